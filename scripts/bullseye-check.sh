#!/usr/bin/env bash
# Proof that the release runs elsewhere: in a minimal Debian bullseye root (glibc 2.31,
# older than the build machine's), made with debootstrap from the Debian mirror this
# machine's apt uses, with nothing copied in but the release tarball, the server is
# started (in a chroot) from the unpacked tarball, serves the C example and the C++
# example (curl, from outside), and reloads a library replaced on disk.
#   bullseye-check.sh [TARBALL]   (default: build/flexilib-*-linux-x86_64.tar.gz)
# Needs root. The debootstrapped root is kept as a tar file in FLEXILIB_CACHE_DIR, so
# later runs on the same machine skip debootstrap; each run unpacks a fresh copy.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:-$(ls build/flexilib-*-linux-x86_64.tar.gz 2>/dev/null | head -n 1)}
[[ -f $tarball ]] || { echo "bullseye-check: no release tarball (cmake --build build --target package)" >&2; exit 1; }
cache=${FLEXILIB_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/flexilib}
image=$cache/bullseye-minbase.tar
port=${BULLSEYE_CHECK_PORT:-18391}

say() { echo "bullseye-check: $*"; }

if [[ ! -f $image ]]; then
  mirror=$(scripts/debian-mirror.sh)
  say "debootstrap bullseye from $mirror (once per machine)"
  made=$(mktemp -d)
  debootstrap --variant=minbase bullseye "$made" "$mirror" >"$made.log" 2>&1 ||
    { tail -n 20 "$made.log"; exit 1; }
  mkdir -p "$cache"
  tar -C "$made" -cf "$image.part" . && mv "$image.part" "$image"
  rm -rf "$made" "$made.log"
fi

root=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  mountpoint -q "$root/proc" && umount "$root/proc"
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$image"
mount -t proc proc "$root/proc"
say "glibc in the root: $(chroot "$root" /usr/bin/ldd --version | head -n 1)"

cp "$tarball" "$root/tmp/"
name=$(basename "$tarball" .tar.gz)
chroot "$root" tar -C /opt -xzf "/tmp/$name.tar.gz"
release=/opt/$name
# /reload starts as a copy of the C example; the check later replaces it with the
# C++ example, as a developer's rebuild would.
cp "$root$release/examples/libflexilib-example.so" "$root$release/examples/reloadable.so"
sed -i '1i /reload = examples/reloadable.so' "$root$release/proxy.ini"

log=$root/tmp/flexilib.log
chroot "$root" /usr/bin/env -i PORT="$port" ADMIN_PORT=off /bin/sh -c \
  "cd $release && exec ./flexilib" >"$log" 2>&1 &
server=$!

fail() {
  say "FAILED: $*"
  echo "--- the server's output:"
  cat "$log"
  exit 1
}
get() { curl -sS --max-time 5 "http://127.0.0.1:$port$1"; }
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  kill -0 "$server" 2>/dev/null || fail "the server exited"
  sleep 0.1
done
grep -q "listening on" "$log" || fail "the server did not start listening within 10 s"
say "$(chroot "$root" "$release/flexilib" --version)"

c_answer=$(get /) || fail "GET / (the C example)"
[[ $c_answer =~ ^\ [0-9]+$ ]] || fail "the C example answered: $c_answer"
json_answer=$(get /json/x) || fail "GET /json/x (the C++ example)"
[[ $json_answer == *'"target":"/json/x"'* ]] || fail "the C++ example answered: $json_answer"
say "the C example and the C++ example answered"

before=$(get /reload) || fail "GET /reload"
[[ $before != *'"target"'* ]] || fail "/reload answered as the C++ example before the change"
cp "$root$release/examples/libflexilib-json-example.so" "$root$release/examples/reloadable.so.new"
mv "$root$release/examples/reloadable.so.new" "$root$release/examples/reloadable.so"
reloaded=
for _ in $(seq 100); do
  after=$(get /reload) || fail "GET /reload after the change"
  [[ $after == *'"target":"/reload"'* ]] && { reloaded=yes; break; }
  sleep 0.1
done
[[ -n $reloaded ]] || fail "the replaced library was not reloaded within 10 s: $after"
say "the replaced library was reloaded"
say "passed"
