#!/usr/bin/env bash
# Soak test: bench/soak.sh [SECONDS] (default 600) runs mixed traffic against a
# Release build of flexilib with 2 serving threads for SECONDS, all at once:
# keep-alive and new connections, pipelined requests, POST bodies of 1 KB to 1 MB, the
# admin /stats and /requests polled each second, a library replaced every 5 s, SIGHUP
# every 7 s, a handler crash every 30 s, a proxied route, 20 slow readers and 20
# slowloris heads (bench/soak.py says how each is checked). It prints per minute the
# requests answered, the failures, and the open descriptors and private memory of
# both processes (supervisor and serving process). Exit status 0 only when it passes:
# no unexpected failure, and descriptors and private memory flat (each minute within 10%
# of their mean) from minute 2 to the end. scripts/test.sh runs it for 60 s.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build build -j"$(nproc)" --target flexilib example_handlers test_libraries >/dev/null
exec python3 bench/soak.py "$seconds" build
