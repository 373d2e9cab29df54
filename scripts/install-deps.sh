#!/usr/bin/env bash
# Installs from Debian what flexilib needs to build and test, and only what is missing:
# a second run asks dpkg alone, so it is fast and needs no network.
# --runtime: only what the built server needs to run (the Docker runtime stage).
set -euo pipefail

build_packages=(build-essential cmake pkg-config libcpp-httplib-dev nlohmann-json3-dev
                libinih-dev catch2 curl clang-14 libclang-rt-14-dev
                chromium systemd) # the dashboard's browser test; systemd-socket-activate
# The browser test drives Debian's chromium with playwright-core from npm, pinned and
# kept in a fixed directory (CMake's FLEXILIB_BROWSER_TOOLS). playwright-core
# downloads no browser; 1.61 is the last release that runs on Debian 12's Node 18.
browser_tools=/opt/flexilib-browser-test
playwright_version=1.61.1
runtime_packages=(libcpp-httplib0.11 libinih1)

case ${1:-} in
  "") packages=("${build_packages[@]}") ;;
  --runtime) packages=("${runtime_packages[@]}") ;;
  *) echo "usage: $0 [--runtime]" >&2; exit 2 ;;
esac

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
# Node and npm from Debian, unless a node with npm is already there.
[[ -z ${1:-} ]] && ! command -v npm >/dev/null && missing+=(nodejs npm)

need_root() {
  [[ $(id -u) -eq 0 ]] && return 0
  echo "install-deps: missing $1; run this as root to install it" >&2
  exit 1
}

if ((${#missing[@]} > 0)); then
  need_root "${missing[*]}"
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[[ -n ${1:-} ]] && exit 0
installed=$(cd / && node -p "require('$browser_tools/node_modules/playwright-core/package.json').version" \
  2>/dev/null || true)
[[ $installed == "$playwright_version" ]] && exit 0
need_root "playwright-core $playwright_version in $browser_tools"
echo "install-deps: installing playwright-core@$playwright_version into $browser_tools" >&2
mkdir -p "$browser_tools"
# Its own package.json, so that npm installs here and not into a parent's project.
[[ -f $browser_tools/package.json ]] || echo '{"private": true}' >"$browser_tools/package.json"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$browser_tools" --no-audit --no-fund \
  --save-exact --loglevel=error "playwright-core@$playwright_version" >/dev/null
