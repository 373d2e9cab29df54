#!/usr/bin/env bash
# Slow-client attacks on flexilib with slowhttptest (Debian's package): slowloris (-H,
# heads that never end), slow body (-B, bodies a few bytes at a time) and slow read
# (-X, a client that reads the response a few bytes at a time through a tiny window).
# Each runs DURATION seconds with CONNECTIONS connections against the example library
# (the slow read against libbad-response's 10 MB answer, which outgrows the socket
# buffers) with the server's default limits, while a normal request is sent every
# second; one more is sent after. Prints a summary per mode (also to
# bench/results/slowhttp.txt).
# Not part of CI: it takes about two minutes.
#   DURATION=30 CONNECTIONS=300 THREADS=2 BUILD_DIR=build bench/slowhttp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-30}
connections=${CONNECTIONS:-300}
threads=${THREADS:-2}
build=${BUILD_DIR:-build}
port=18183

source bench/common.sh
./scripts/install-deps.sh
need slowhttptest
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target flexilib example_handlers test_libraries >/dev/null

built=$(realpath "$build")
printf '/big = %s/test/libraries/libbad-response.so\n/ = %s/executors/libflexilib-example.so\n' \
  "$built" "$built" >"$work/proxy.ini"
PORT=$port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off "$build/flexilib" "$work/proxy.ini" \
  >/dev/null 2>"$work/flexilib.err" &
server_pid=$!
url="http://127.0.0.1:$port/"
wait_for $port

# One normal request: "status seconds" (status 000: no answer within 10 s).
normal_request() {
  curl -s -o /dev/null --max-time 10 -w '%{http_code} %{time_total}\n' "$url" || true
}

# name, path, slowhttptest arguments...: runs one attack with normal requests alongside.
attack() {
  local name=$1 path=$2
  shift 2
  echo "== $name: slowhttptest ${*@Q} -c $connections -l $duration" >&2
  # One a second, each on its own: a request that waits must not delay the next. When
  # stopped, the prober waits for those still running.
  (
    trap 'wait; exit 0' TERM
    while sleep 1; do normal_request & done
  ) >"$work/$name.during" &
  local prober=$!
  # The server's peak private memory over the attack, sampled every 100 ms.
  (
    peak=0
    trap 'echo "$peak"; exit 0' TERM
    while sleep 0.1; do
      now=$(private_kb "$server_pid")
      ((now > peak)) && peak=$now
    done
  ) >"$work/$name.memory" &
  local sampler=$!
  slowhttptest "$@" -c "$connections" -r 200 -l "$duration" -p 3 -g -o "$work/$name" \
    -u "$url${path#/}" >"$work/$name.out" 2>&1 || true
  kill "$prober" "$sampler" 2>/dev/null
  wait "$prober" "$sampler" 2>/dev/null || true
  normal_request >"$work/$name.after"
  summarize "$name"
}

# slowhttptest's CSV has one row a second: Seconds,Closed,Pending,Connected,Service
# Available (0 when its probe request got no answer within -p seconds).
summarize() {
  local name=$1
  local exit_status
  exit_status=$(sed 's/\x1b\[[0-9;]*m//g' "$work/$name.out" | awk -F': *' '/^Exit status/ {print $2}')
  awk -F, -v name="$name" -v exit_status="$exit_status" '
    # Seconds without service, as ranges: "6-31" rather than every second.
    function flush_range() { if (from != "") { downs = downs (downs == "" ? "" : ",") from (to > from ? "-" to : ""); from = "" } }
    NR > 1 { rows++; if ($4 > max_connected) max_connected = $4
             if ($5 == 0) { down++; if (from != "" && $1 == to + 1) to = $1; else { flush_range(); from = to = $1 } } }
    END { flush_range()
          printf "%-10s service available %d of %d s%s; most connections held open %d; slowhttptest: %s\n",
                 name, rows - down, rows, down ? " (not at s " downs ")" : "", max_connected, exit_status }
  ' "$work/$name.csv"
  awk -v after="$(cat "$work/$name.after")" -v peak="$(cat "$work/$name.memory")" '
    { total++; if ($1 == 200) { ok++; if ($2 < 1) prompt++ } if ($2 > slowest) slowest = $2 }
    END { split(after, a, " ")
          printf "%-10s normal requests during: %d of %d answered 200 (%d within 1 s), slowest %.3f s; after: %s in %.3f s\n",
                 "", ok, total, prompt, slowest, a[1], a[2]
          printf "%-10s peak private memory (Pss_Anon) during the attack: %.1f MiB\n", "", peak / 1024 }
  ' "$work/$name.during"
}

summary=$(
  echo "flexilib under slowhttptest, $threads serving threads, default limits (READ_TIMEOUT_MS and WRITE_TIMEOUT_MS 5000), $connections connections, $duration s each, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
  # Follow-up data every 2 s: more often than the server's 5 s read timeout, so a
  # deadline per read instead of per head or body would never fire.
  attack slowloris / -H -i 2 -x 24
  attack slowbody / -B -i 2 -x 24 -s 65536
  # Windows of 512-1024 bytes, 32 bytes read every 5 s. slowhttptest cannot add a
  # header, but sends its Cookie value verbatim: the CRLF in it adds x-mode: big.
  attack slowread /big -X -w 512 -y 1024 -n 5 -z 32 -j $'probe=1\r\nx-mode: big'
)
echo "$summary"
mkdir -p bench/results
echo "$summary" >bench/results/slowhttp.txt
kill -0 "$server_pid" 2>/dev/null || { echo "flexilib is gone; its stderr:" >&2; cat "$work/flexilib.err" >&2; exit 1; }
grep -E 'died of signal|exited with status' "$work/flexilib.err" >&2 || true
