#!/usr/bin/env bash
# Builds flexilib with its tests (Release, in build/) and runs them all with ctest;
# exits with ctest's status. Needs no terminal: CI runs it as .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh

# build-dir, extra cmake arguments...
build_and_test() {
  local dir=$1
  shift
  cmake -S . -B "$dir" -DBUILD_TESTING=ON "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
  # A hung test fails after two minutes instead of holding up CI.
  ctest --test-dir "$dir" --output-on-failure --timeout 120
}

build_and_test build -DCMAKE_BUILD_TYPE=Release

# --- Sanitizer builds: not enabled yet -----------------------------------------------
# The same tests again, each sanitizer in its own build directory. To enable, uncomment:
# TSAN_OPTIONS="halt_on_error=1" \
#   build_and_test build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEXILIB_SANITIZE=thread
# ASAN_OPTIONS="halt_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
#   build_and_test build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
#   -DFLEXILIB_SANITIZE=address,undefined
# -------------------------------------------------------------------------------------
