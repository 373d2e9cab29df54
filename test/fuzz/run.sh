#!/usr/bin/env bash
# Builds the proxy.ini fuzz target (test/fuzz/fuzz_config.cpp) with clang's libFuzzer,
# ASan and UBSan into build-fuzz/, then fuzzes for a bounded time (default 30 s).
# Fails when an input crashes it or breaks a promise; the input is kept in build-fuzz/
# and printed. Inputs found on the way are kept in build-fuzz/corpus for the next run.
#   test/fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-30}
out=build-fuzz

packages=(clang-14 libclang-rt-14-dev libinih-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "fuzz: missing ${missing[*]}; run as root to install them" >&2
    exit 1
  fi
  echo "fuzz: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Only the files under test are compiled, straight with clang: flexilib_core would
# bring the whole server, cpp-httplib and its GCC-only sanitizer flags for nothing.
# With them, the project's sources whose headers they include (transitively, read from
# their #include lines), so that the list follows the parser as it grows.
sources=(loader/config.cpp loader/route_match.cpp)
for ((i = 0; i < ${#sources[@]}; i++)); do
  while read -r header; do
    [[ -f $header.cpp && " ${sources[*]} " != *" $header.cpp "* ]] && sources+=("$header.cpp")
  done < <(cat "${sources[i]}" "${sources[i]%.cpp}.hpp" 2>/dev/null |
    sed -n 's/^#include "\(.*\)\.hpp"$/\1/p')
done

mkdir -p "$out/corpus" "$out/artifacts"
echo "== fuzz: build $out/fuzz_config from test/fuzz/fuzz_config.cpp ${sources[*]}"
clang++-14 -std=c++20 -O1 -g -Wall -Wextra -I. \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  test/fuzz/fuzz_config.cpp "${sources[@]}" -linih -o "$out/fuzz_config"

echo "== fuzz: run for $seconds s"
# New inputs go to the first corpus directory, so the seeds in the source tree stay as
# they are. -timeout: one input taking over 10 s counts as a hang.
status=0
"$out/fuzz_config" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$out/artifacts/" \
  "$out/corpus" test/fuzz/corpus 2>"$out/fuzz.log" || status=$?
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' "$out/fuzz.log" || true
if ((status != 0)); then
  tail -n 60 "$out/fuzz.log"
  for artifact in "$out"/artifacts/*; do
    [[ -f $artifact ]] || continue
    echo "== fuzz: failing input $artifact (base64):"
    base64 "$artifact"
  done
  echo "== fuzz: FAILED (exit $status)" >&2
  exit 1
fi
echo "== fuzz: no crash"
