#!/usr/bin/env bash
# Builds flexilib and runs every test with ctest: first the Release build (build/),
# then the release (CPack) checked in a Debian bullseye chroot, then the same tests
# under ThreadSanitizer (build-tsan/) and under AddressSanitizer
# with UndefinedBehaviorSanitizer (build-asan/). Exits non-zero when a test fails or
# when any process (a test, the server, its supervisor) printed a sanitizer report.
# After the Release tests, bench/soak.sh runs for SOAK_SECONDS (60). Last, the
# proxy.ini parser and the request-head checks are fuzzed for FUZZ_SECONDS each (20;
# test/fuzz/run.sh).
# Tests labelled "heavy" (many requests, the dashboard in Chromium) run in the Release
# build only. SANITIZERS=none runs the Release tests and the soak only. Needs no
# terminal: CI runs it as .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

# Sanitizer reports go to files, so that one from a server process the tests start
# (whose stderr no test reads whole) fails the run as surely as a test's own.
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
fail_on_reports() {
  local found
  found=$(find "$reports" -type f)
  [[ -z $found ]] && return 0
  echo "== sanitizer reports:"
  for report in $found; do cat "$report"; done
  return 1
}

# build-dir, extra cmake arguments...
build_and_test() {
  local dir=$1
  shift
  echo "== $dir: build"
  cmake -S . -B "$dir" -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  echo "== $dir: test"
  # A hung test fails after two minutes instead of holding up CI.
  if ! ctest --test-dir "$dir" --output-on-failure -j"$(nproc)" --timeout 120 "${ctest_filter[@]}"; then
    fail_on_reports || true # show what a sanitizer saw, if anything
    return 1
  fi
}

ctest_filter=()
build_and_test build -DCMAKE_BUILD_TYPE=Release
# The release made from that build, and proof that it runs on an older Debian
# (bullseye, in a chroot): once, not in the sanitizer builds.
echo "== release: package, then run it on Debian bullseye"
cmake --build build --target package >/dev/null
./scripts/bullseye-check.sh
# The soak, once, on the Release build: mixed traffic, reloads, crashes (bench/soak.sh).
# SOAK_SECONDS=0 skips it.
if ((${SOAK_SECONDS:-60} > 0)); then
  echo "== soak: ${SOAK_SECONDS:-60} s"
  bench/soak.sh "${SOAK_SECONDS:-60}"
fi
[[ ${SANITIZERS:-all} == none ]] && exit 0

# Tests labelled "heavy" (100,000 requests, the dashboard in Chromium and the like) ran
# in the Release build.
ctest_filter=(-LE heavy)

TSAN_OPTIONS="halt_on_error=1 suppressions=$PWD/test/tsan.supp log_path=$reports/tsan" \
  build_and_test build-tsan -DCMAKE_BUILD_TYPE=Debug -DFLEXILIB_SANITIZE=thread
fail_on_reports
ASAN_OPTIONS="halt_on_error=1 log_path=$reports/asan" \
  UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1 log_path=$reports/ubsan" \
  build_and_test build-asan -DCMAKE_BUILD_TYPE=Debug -DFLEXILIB_SANITIZE=address,undefined
fail_on_reports
# proxy.ini parsing and rule matching, and what a client sends before cpp-httplib
# reads it, under libFuzzer for a bounded time.
./test/fuzz/run.sh "${FUZZ_SECONDS:-20}"
