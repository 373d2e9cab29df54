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
ci_start=$SECONDS
# Each stage's line says when it began (seconds since the start, and the time of day),
# so that a CI log shows where the time goes.
stage() { printf '== %s [+%d s, %s]\n' "$*" $((SECONDS - ci_start)) "$(date -u +%H:%M:%S)"; }
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

# Ninja (ninja-build, from scripts/install-deps.sh) keeps both cores busy across
# targets: Make compiles no source of a target until every library it links is built
# (flexilib_core waited for cpp-httplib's one large file, the tests for flexilib_core).
# A build directory made before keeps the generator it was made with.
generator_for() {
  [[ -f $1/CMakeCache.txt ]] || ! command -v ninja >/dev/null || echo "-GNinja"
}
# The Zig and Rust handler libraries are built without sanitizers, the same in every
# build directory: their compilers' caches are shared, so each is compiled once.
handler_cache=$PWD/build/handler-cache

# build-dir, extra cmake arguments...
build_and_test() {
  local dir=$1
  shift
  stage "$dir: build"
  # shellcheck disable=SC2046 # no generator argument when generator_for prints none
  cmake -S . -B "$dir" $(generator_for "$dir") -DBUILD_TESTING=ON \
    -DFLEXILIB_HANDLER_CACHE="$handler_cache" "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  stage "$dir: test"
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
stage "release: package, then run it on Debian bullseye"
cmake --build build --target package >/dev/null
./scripts/bullseye-check.sh
# The soak, once, on the Release build: mixed traffic, reloads, crashes (bench/soak.sh).
# SOAK_SECONDS=0 skips it.
if ((${SOAK_SECONDS:-60} > 0)); then
  stage "soak: ${SOAK_SECONDS:-60} s"
  bench/soak.sh "${SOAK_SECONDS:-60}"
fi
if [[ ${SANITIZERS:-all} == none ]]; then
  stage "done"
  exit 0
fi

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
stage "fuzz: ${FUZZ_SECONDS:-20} s each"
./test/fuzz/run.sh "${FUZZ_SECONDS:-20}"
stage "done"
