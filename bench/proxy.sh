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

for tool in wrk nginx; do
  command -v "$tool" >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light >/dev/null
  }
done
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target flexilib >/dev/null

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

# nginx: the upstream, and the baseline. Access log on, as in bench/run.sh.
cat >"$work/nginx.conf" <<NGINX
worker_processes $threads;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx-access.log;
  default_type text/plain;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$nginx_port reuseport backlog=4096;
    location / { return 200 " 1"; }
  }
}
NGINX
nginx -c "$work/nginx.conf"

printf '/ = http://127.0.0.1:%s\n' "$nginx_port" >"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off SUPERVISOR=off \
  "$build/flexilib" "$work/proxy.ini" >"$work/flexilib-access.log" 2>"$work/flexilib.err" &

wait_for() { for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done; echo "port $1 did not answer" >&2; exit 1; }
wait_for $nginx_port
wait_for $flexilib_port

rps() { wrk -t2 -c"$connections" -d"$duration" "http://127.0.0.1:$1/" | awk '/^Requests\/sec/ {print $2}'; }
through=$(rps $flexilib_port)
direct=$(rps $nginx_port)
echo "reverse proxy on $(nproc) cores, $threads threads / workers, wrk -t2 -c$connections -d$duration, $(date -u +%FT%TZ)"
printf '%-22s %12s\n' path req/s
printf '%-22s %12s\n' "flexilib -> nginx" "$through" "nginx directly" "$direct"
awk -v a="$through" -v b="$direct" 'BEGIN {printf "ratio: %.2f of nginx directly\n", a / b}'
