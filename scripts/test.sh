#!/usr/bin/env bash
# Builds flexilib and runs every test with ctest: the Release build in build/, then
# the same tests under ThreadSanitizer (build-tsan/) and AddressSanitizer with
# UndefinedBehaviorSanitizer (build-asan/). SANITIZERS=none skips the sanitizer builds.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

jobs=$(nproc)
run_tests() { # build-dir, extra cmake arguments...
  local dir=$1
  shift
  echo "== $dir: building"
  cmake -S . -B "$dir" -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  echo "== $dir: testing"
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout 120
}

run_tests build -DCMAKE_BUILD_TYPE=Release
if [[ ${SANITIZERS:-all} != none ]]; then
  # halt_on_error: a sanitizer report fails the test that caused it.
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
    run_tests build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEXILIB_SANITIZE=thread
  ASAN_OPTIONS="halt_on_error=1 detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" \
    run_tests build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEXILIB_SANITIZE=address,undefined
fi
