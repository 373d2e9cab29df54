#!/usr/bin/env bash
# Installs from Debian what flexilib needs to build and test, and only what is missing:
# a second run asks dpkg alone, so it is fast and needs no network.
# --runtime: only what the built server needs to run (the Docker runtime stage).
set -euo pipefail

build_packages=(build-essential cmake pkg-config libcpp-httplib-dev nlohmann-json3-dev
                libinih-dev catch2 curl clang-14 libclang-rt-14-dev python3)
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
((${#missing[@]} == 0)) && exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing ${missing[*]}; run this as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
