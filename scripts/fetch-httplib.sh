#!/usr/bin/env bash
# Puts cpp-httplib into OUT_DIR as httplib.h (declarations) and httplib.cc (the
# implementation, compiled once): upstream's single header from Debian's source
# package, with Debian's patches applied, split as Debian's own build splits it.
# CMake runs this at configure time; nothing of it is committed.
#
# Usage: fetch-httplib.sh OUT_DIR SUITE DEBIAN_VERSION DSC_SHA256
#
# The source package comes from the Debian mirror this machine's apt uses, through a
# private apt state (scripts/private-apt.sh), so the machine's apt configuration and
# lists are not touched. apt checks
# the .dsc against the mirror's signed index; the .dsc must also have DSC_SHA256, and
# dpkg-source checks every tarball against the .dsc's checksums. The downloaded files
# are kept in FLEXILIB_CACHE_DIR (default ~/.cache/flexilib) for later builds.
set -euo pipefail

if (($# != 4)); then
  echo "usage: $0 OUT_DIR SUITE DEBIAN_VERSION DSC_SHA256" >&2
  exit 2
fi
out=$1 suite=$2 version=$3 dsc_sha256=$4
here=$(cd "$(dirname "$0")" && pwd)
cache=${FLEXILIB_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/flexilib}
sources=$cache/debian-sources/cpp-httplib_$version
dsc=$sources/cpp-httplib_${version#*:}.dsc

dsc_is_expected() {
  [[ -f $dsc ]] && echo "$dsc_sha256  $dsc" | sha256sum --check --status
}

download() {
  mkdir -p "$sources"
  echo "fetch-httplib: cpp-httplib $version, Debian's source package ($suite)" >&2
  (cd "$sources" && "$here/private-apt.sh" "$suite" apt-get -qq --download-only source \
    "cpp-httplib=$version")
}

mkdir -p "$cache/debian-sources"
exec {lock}>"$cache/debian-sources/.lock"
flock "$lock" # builds configuring at once share the cache

fetch() {
  dsc_is_expected || download
  if ! dsc_is_expected; then
    echo "fetch-httplib: $dsc does not have the SHA-256 $dsc_sha256" >&2
    exit 1
  fi
}

# dpkg-source verifies the tarballs against the .dsc and applies Debian's patches.
# (It cannot check the .dsc's OpenPGP signature without Debian's maintainer keyring:
# the pinned SHA-256 stands for that. Its output is shown only when it fails.)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
extract() {
  rm -rf "$work/src"
  dpkg-source -x "$dsc" "$work/src" >"$work/log" 2>&1
}

fetch
if ! extract; then # a damaged cache: fetched again, once
  rm -rf "$sources"
  fetch
  extract || { cat "$work/log" >&2; exit 1; }
fi
mkdir -p "$out"
# The split of upstream's split.py: the lines between the two border comments are the
# implementation; they go to httplib.cc, without their "inline", the rest to httplib.h.
awk -v header="$out/httplib.h" -v source="$out/httplib.cc" '
  BEGIN { print "#include \"httplib.h\"\nnamespace httplib {" > source }
  index($0, "// ----------------------------------------------------------------------------") {
    implementation = !implementation; next
  }
  implementation { gsub(/inline /, ""); print > source; next }
  { print > header }
  END { print "} // namespace httplib" > source }' "$work/src/httplib.h"
echo "$version $dsc_sha256" >"$out/VERSION"
