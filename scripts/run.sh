#!/usr/bin/env bash
# Builds flexilib (Release) and runs it on the example proxy.ini from the repo root.
# Arguments go to flexilib; PORT and the other settings come from the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
exec ./build/flexilib "$@"
