#!/usr/bin/env bash
# Benchmarks flexilib as a reverse proxy, in one run, against the proxy a user would
# pick instead: wrk at 64 connections through flexilib to an nginx backend, through
# nginx proxy_pass (an upstream block with keepalive) to the same backend, and the
# backend directly. Rounds alternate the three so that the machine's noise hits each
# alike; the table gives each round and the mean. Not part of CI.
# BASELINE=path adds a fourth path to every round: that flexilib binary (another
# commit's build) the same way, for an A/B comparison within the run.
#   DURATION=10s ROUNDS=3 THREADS=2 CONNECTIONS=64 BUILD_DIR=build [FLEXILIB=path]
#   [BASELINE=path] bench/proxy.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
threads=${THREADS:-2} # flexilib serving threads, and workers of each nginx
connections=${CONNECTIONS:-64}
build=${BUILD_DIR:-./build}
flexilib_port=${PORT_BASE:-18390} backend_port=$((flexilib_port + 1)) nginx_proxy_port=$((flexilib_port + 2))

source bench/common.sh
need wrk nginx
# FLEXILIB=path runs that binary instead of building one.
binary=${FLEXILIB:-}
if [[ -z $binary ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target flexilib >/dev/null
  binary=$build/flexilib
fi

# The backend: nginx answering " 1", access log on (as in bench/run.sh).
NGINX_NAME=backend-nginx start_nginx $backend_port "$threads" 'location / { return 200 " 1"; }' \
  'keepalive_requests 100000;'
# The peer: nginx as a reverse proxy with upstream keep-alive, as its documentation
# recommends for it (proxy_http_version 1.1 and an empty Connection field).
NGINX_NAME=proxy-nginx start_nginx $nginx_proxy_port "$threads" \
  'location / { proxy_pass http://backend; proxy_http_version 1.1;
                proxy_set_header Connection ""; }' \
  "keepalive_requests 100000;
   upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }"

printf '/ = http://127.0.0.1:%s\n' "$backend_port" >"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off SUPERVISOR=off \
  "$binary" "$work/proxy.ini" >"$work/flexilib-access.log" 2>"$work/flexilib.err" &
flexilib_pid=$!
baseline=${BASELINE:-}
baseline_port=$((flexilib_port + 3))
paths="flexilib nginx-proxy-pass backend"
if [[ -n $baseline ]]; then
  PORT=$baseline_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off SUPERVISOR=off \
    "$baseline" "$work/proxy.ini" >/dev/null 2>"$work/baseline.err" &
  baseline_pid=$!
  paths="flexilib baseline nginx-proxy-pass backend"
  wait_for $baseline_port
fi

wait_for $backend_port
wait_for $nginx_proxy_port
wait_for $flexilib_port

# One wrk run: "req/s p50 p99 errors" (latencies in ms).
measure() {
  wrk -t2 -c"$connections" -d"$duration" --latency "http://127.0.0.1:$1/" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^Requests\/sec/ {rps = $2}
    /^ +50%/ {p50 = ms($2)} /^ +99%/ {p99 = ms($2)}
    /Non-2xx|Socket errors/ {errors += $NF}
    END {printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors}'
}

echo "reverse proxy on $(nproc) cores, $threads threads / workers each, wrk -t2 -c$connections" \
  "-d$duration, $rounds rounds, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
printf '| round | path | req/s | p50 ms | p99 ms | errors | load avg |\n|---|---|---|---|---|---|---|\n'
declare -A sum
for round in $(seq "$rounds"); do
  for path in $paths; do
    case $path in
    flexilib) port=$flexilib_port label="flexilib -> nginx" ;;
    baseline) port=$baseline_port label="baseline flexilib ($baseline) -> nginx" ;;
    nginx-proxy-pass) port=$nginx_proxy_port label="nginx proxy_pass -> nginx" ;;
    backend) port=$backend_port label="nginx backend directly" ;;
    esac
    read -r rps p50 p99 errors < <(measure $port)
    sum[$path]=$((${sum[$path]:-0} + rps))
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$round" "$label" "$rps" "$p50" "$p99" \
      "$errors" "$(cut -d' ' -f1 /proc/loadavg)"
  done
done
flexilib=$((sum[flexilib] / rounds)) nginx=$((sum[nginx-proxy-pass] / rounds))
backend=$((sum[backend] / rounds))
printf '\nmeans: flexilib %s req/s, nginx proxy_pass %s, backend directly %s\n' \
  "$flexilib" "$nginx" "$backend"
awk -v a="$flexilib" -v b="$nginx" 'BEGIN {printf "flexilib / nginx proxy_pass: %.2fx\n", a / b}'
if [[ -n $baseline ]]; then
  awk -v a="$((sum[baseline] / rounds))" -v b="$nginx" \
    'BEGIN {printf "baseline %d req/s, baseline / nginx proxy_pass: %.2fx\n", a, a / b}'
  kill "$baseline_pid" 2>/dev/null || true
fi
printf 'private memory (Pss_Anon) of flexilib after the runs: %s KiB\n' "$(private_kb $flexilib_pid)"
