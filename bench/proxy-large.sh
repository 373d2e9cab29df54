#!/usr/bin/env bash
# The large-body relay: one 4 GiB upstream response through flexilib, to a fast
# client and to a slow one, each checked whole (CRC-32 against what the backend sent),
# with the serving process's private memory (Pss_Anon, sampled every 0.1 s) at idle
# and at its peak, and the delay from the backend's head to the client's first byte
# (the backend waits 200 ms after its head, so a proxy that held the head back for
# the body would show it). Not part of CI.
#   SIZE=$((4 << 30)) SLOW_MBPS=100 FRAMING=length BUILD_DIR=build [FLEXILIB=path] bench/proxy-large.sh
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-$((4 << 30))}
slow_mbps=${SLOW_MBPS:-100}
framing=${FRAMING:-length} # length or chunked: how the backend frames its body
build=${BUILD_DIR:-./build}
flexilib_port=${PORT_BASE:-18395} backend_port=$((flexilib_port + 1))

source bench/common.sh
# FLEXILIB=path runs that binary instead of building one.
binary=${FLEXILIB:-}
if [[ -z $binary ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build" -j2 --target flexilib >/dev/null
  binary=$build/flexilib
fi

python3 bench/proxy_large.py backend $backend_port "$size" "$framing" "$work/times" &
printf '/ = http://127.0.0.1:%s\n' "$backend_port" >"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=2 ADMIN_PORT=off SUPERVISOR=off \
  "$binary" "$work/proxy.ini" >"$work/flexilib-access.log" 2>"$work/flexilib.err" &
flexilib_pid=$!
wait_for $backend_port
wait_for $flexilib_port
idle=$(private_kb $flexilib_pid)

# One client run while memory is sampled: prints the client's line, the peak and the
# peak over idle.
relay() {
  local rate=$1 peak=$idle sample
  rm -f "$work/times"
  python3 bench/proxy_large.py client "http://127.0.0.1:$flexilib_port" "$size" "$rate" \
    "$work/times" >"$work/client.out" &
  local client=$!
  while kill -0 $client 2>/dev/null; do
    sample=$(private_kb $flexilib_pid)
    ((sample > peak)) && peak=$sample
    sleep 0.1
  done
  wait $client || true
  echo "$(cat "$work/client.out"); peak $peak KiB private, $((peak - idle)) KiB over idle"
}

echo "large relay: $size bytes ($framing), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "flexilib idle: $idle KiB private (Pss_Anon)"
echo "fast client: $(relay 0)"
echo "slow client ($slow_mbps MB/s): $(relay "$slow_mbps")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "access log:"
grep 'GET /large' "$work/flexilib-access.log" || true
