#!/usr/bin/env bash
# The admin endpoint's cost to the main port: req/s at 64 connections (wrk, 10 s) with
# the admin endpoint off, then on and polled once a second (/stats, /requests,
# /metrics), alternating three times. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
source bench/common.sh
need wrk
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target flexilib example_handlers >/dev/null

printf '/ = %s/build/executors/libflexilib-example.so\n' "$PWD" >"$work/proxy.ini"
port=18183 admin_port=18184

run() { # admin: off | on
  PORT=$port SERVER_THREAD_COUNT=2 ADMIN_PORT=$([[ $1 == on ]] && echo $admin_port || echo off) \
    ./build/flexilib "$work/proxy.ini" >/dev/null 2>&1 &
  local server=$!
  wait_for "$port"
  local poller=
  if [[ $1 == on ]]; then
    (while sleep 1; do for path in stats 'requests?limit=100' metrics; do
       curl -s -o /dev/null "http://127.0.0.1:$admin_port/$path"; done; done) &
    poller=$!
  fi
  wrk -t2 -c64 -d10s "http://127.0.0.1:$port/" | awk '/Requests\/sec/ {print $2}'
  [[ -n $poller ]] && kill $poller
  kill $server; wait $server 2>/dev/null || true
}
for round in 1 2 3; do
  echo "round $round: admin off $(run off) req/s, admin on and polled $(run on) req/s"
done
