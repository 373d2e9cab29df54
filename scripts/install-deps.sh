#!/usr/bin/env bash
# Installs from Debian what flexilib needs to build and test, and only what is missing:
# a second run asks dpkg alone, so it is fast and needs no network.
# The built server needs nothing but glibc to run. cpp-httplib is not installed: the
# build takes it from Debian's source package (scripts/fetch-httplib.sh, which needs
# dpkg-dev, part of build-essential). debootstrap: the bullseye check of the release.
set -euo pipefail

packages=(build-essential cmake pkg-config nlohmann-json3-dev libinih-dev catch2 curl
          clang-14 libclang-rt-14-dev debootstrap)

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
