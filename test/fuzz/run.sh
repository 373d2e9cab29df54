#!/usr/bin/env bash
# Builds the fuzz targets with clang's libFuzzer, ASan and UBSan into build-fuzz/ and
# fuzzes each for a bounded time (default 30 s): fuzz_config (proxy.ini parsing and
# rule matching) and fuzz_request_head (a client's head and chunked body before
# cpp-httplib reads them). Fails when an input crashes a target or breaks a promise;
# the input is kept in build-fuzz/artifacts and printed. Inputs found on the way are
# kept in build-fuzz/corpus for the next run.
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
# their #include lines), so that the list follows the code as it grows.
with_included_sources() {
  local -a sources=("$@")
  local i header
  for ((i = 0; i < ${#sources[@]}; i++)); do
    while read -r header; do
      [[ -f $header.cpp && " ${sources[*]} " != *" $header.cpp "* ]] && sources+=("$header.cpp")
    done < <(cat "${sources[i]}" "${sources[i]%.cpp}.hpp" 2>/dev/null |
      sed -n 's/^#include "\(.*\)\.hpp"$/\1/p')
  done
  echo "${sources[@]}"
}

# target (test/fuzz/<target>.cpp, seeds in test/fuzz/corpus/<name>), sources, libraries
fuzz() {
  local target=$1 name=${1#fuzz_} sources libraries=${3:-}
  sources=$(with_included_sources $2)
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  echo "== fuzz: build $out/$target from test/fuzz/$target.cpp $sources"
  # shellcheck disable=SC2086 # word splitting of the lists is meant
  clang++-14 -std=c++20 -O1 -g -Wall -Wextra -I. \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    "test/fuzz/$target.cpp" $sources $libraries -o "$out/$target"

  echo "== fuzz: run $target for $seconds s"
  # New inputs go to the first corpus directory, so the seeds in the source tree stay
  # as they are. -timeout: one input taking over 10 s counts as a hang.
  local status=0
  "$out/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$name/" \
    "$out/corpus/$name" "test/fuzz/corpus/$name" 2>"$out/$target.log" || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
    "$out/$target.log" || true
  if ((status != 0)); then
    tail -n 60 "$out/$target.log"
    for artifact in "$out/artifacts/$name"/*; do
      [[ -f $artifact ]] || continue
      echo "== fuzz: failing input $artifact (base64):"
      base64 "$artifact"
    done
    echo "== fuzz: $target FAILED (exit $status)" >&2
    exit 1
  fi
  echo "== fuzz: $target: no crash"
}

fuzz fuzz_config "loader/config.cpp loader/route_match.cpp" -linih
fuzz fuzz_request_head "server/request_head.cpp server/request_framing.cpp server/chunked_body_meter.cpp http/chunked_framing.cpp"
