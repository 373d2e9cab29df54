#!/usr/bin/env bash
# Prints the path of a sysroot holding an older glibc (Debian bullseye's 2.31: headers,
# crt files, libraries), made once and kept in FLEXILIB_CACHE_DIR, for building a
# server binary that runs on any glibc from 2.31 on: a program linked against glibc N
# asks for glibc N's symbol versions, so it is linked against the oldest one it
# supports. The packages come through a private apt state (scripts/private-apt.sh);
# apt checks them against the mirror's signed index. The C++ headers and libraries are
# the build machine's own (g++ finds those outside the sysroot); the few other
# headers the build uses are linked in from /usr/include.
#   glibc-sysroot.sh [SUITE]   (default bullseye)
set -euo pipefail

suite=${1:-bullseye}
here=$(cd "$(dirname "$0")" && pwd)
cache=${FLEXILIB_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/flexilib}
root=$cache/sysroot-$suite
packages=(libc6 libc6-dev linux-libc-dev libcrypt1 libcrypt-dev)

mkdir -p "$cache"
exec {lock}>"$cache/.sysroot-$suite.lock"
flock "$lock"

if [[ ! -f $root/.complete ]]; then
  echo "glibc-sysroot: making $root from $suite's ${packages[*]}" >&2
  rm -rf "$root" "$root.debs"
  mkdir -p "$root.debs"
  (cd "$root.debs" && "$here/private-apt.sh" "$suite" apt-get -qq download "${packages[@]}")
  for deb in "$root.debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
  # Absolute symbolic links (/lib64/ld-linux-x86-64.so.2) point into the sysroot.
  while read -r link; do
    ln -sfnr "$root$(readlink "$link")" "$link"
  done < <(find "$root" -type l -lname '/*')
  rm -rf "$root.debs"
  touch "$root/.complete"
fi

# Headers of libraries the build takes from the build machine (header-only ones, and
# inih's, whose static archive is linked by its full path).
for header in nlohmann catch2 ini.h; do
  [[ -e /usr/include/$header ]] && ln -sfn "/usr/include/$header" "$root/usr/include/$header"
done
echo "$root"
