#!/usr/bin/env bash
# Benchmarks flexilib as a reverse proxy: req/s at 64 connections (wrk) through
# flexilib to nginx, against the same nginx directly, in one run, with the ratio.
# Not part of CI; wants an otherwise idle machine.
#   DURATION=10s THREADS=2 CONNECTIONS=64 BUILD_DIR=build bench/proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
threads=${THREADS:-2}            # flexilib serving threads / nginx workers
connections=${CONNECTIONS:-64}
build=${BUILD_DIR:-./build}
flexilib_port=18190 nginx_port=18191

source bench/common.sh
need wrk nginx
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target flexilib >/dev/null

# nginx: the upstream, and the baseline. Access log on, as in bench/run.sh.
start_nginx $nginx_port "$threads" 'location / { return 200 " 1"; }' 'keepalive_requests 100000;'

printf '/ = http://127.0.0.1:%s\n' "$nginx_port" >"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off SUPERVISOR=off \
  "$build/flexilib" "$work/proxy.ini" >"$work/flexilib-access.log" 2>"$work/flexilib.err" &

wait_for $nginx_port
wait_for $flexilib_port

rps() { wrk -t2 -c"$connections" -d"$duration" "http://127.0.0.1:$1/" | awk '/^Requests\/sec/ {print $2}'; }
through=$(rps $flexilib_port)
direct=$(rps $nginx_port)
echo "reverse proxy on $(nproc) cores, $threads threads / workers, wrk -t2 -c$connections -d$duration, $(date -u +%FT%TZ)"
printf '%-22s %12s\n' path req/s
printf '%-22s %12s\n' "flexilib -> nginx" "$through" "nginx directly" "$direct"
awk -v a="$through" -v b="$direct" 'BEGIN {printf "ratio: %.2f of nginx directly\n", a / b}'
