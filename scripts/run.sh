#!/usr/bin/env bash
# Builds flexilib (Release, in build/) and runs it from the repo root on the example
# proxy.ini. Arguments go to flexilib; PORT and the other settings come from the
# environment, e.g.  PORT=8080 ./scripts/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
# Only the server and the handlers proxy.ini names: the tests are test.sh's business.
cmake --build build -j"$(nproc)" --target flexilib example_handlers
exec ./build/flexilib "$@"
