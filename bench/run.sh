#!/usr/bin/env bash
# Benchmarks flexilib against nginx on this machine, in one run, and prints a table:
# req/s, p50 and p99 latency and errors at 1, 64 and 256 connections (wrk), the ratio
# to nginx, each server's private memory (the sum of Pss_Anon over its processes)
# idle and after the load, and its system calls per request at 64 connections
# (strace -f on the serving processes for 3 s under wrk, by name; requests are the
# reads that got a "GET /"). Also flexilib's p99 at 64 connections while one more
# connection's handler sleeps 200 ms per request (test/libraries/sleeps.c): the
# others must not wait behind it. At 64 connections the same server also runs the example
# in Zig and in Rust (when they were built), right after the C one, and the table
# gives each example's "alloc" for one request. The table also goes to
# bench/results/latest.txt (the one before it is kept as previous.txt). Not part of
# CI: it takes about six minutes and wants an otherwise idle machine.
#   ROUNDS=3 DURATION=10s THREADS=2 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
rounds=${ROUNDS:-3}
threads=${THREADS:-2}            # serving threads / nginx workers
flexilib_port=18180 nginx_port=18181

source bench/common.sh
./scripts/install-deps.sh
need wrk nginx strace
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target flexilib example_handlers sleeps >/dev/null

# flexilib: the example library answers wrk's one-header request with " 1", in C on
# /, in Zig on /zig and in Rust on /rust.
examples=(c)
for language in zig rust; do
  library=$PWD/build/executors/libflexilib-$language-example.so
  [[ -f $library ]] || continue
  examples+=("$language")
  printf '/%s = %s\n' "$language" "$library" >>"$work/proxy.ini"
done
printf '/sleep = %s/build/test/libraries/libsleeps.so\n' "$PWD" >>"$work/proxy.ini"
printf '/ = %s/build/executors/libflexilib-example.so\n' "$PWD" >>"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off ./build/flexilib "$work/proxy.ini" \
  >"$work/flexilib-access.log" 2>"$work/flexilib.err" &
flexilib_pid=$!

# nginx: the same body, the access log on, as many workers as flexilib has threads.
start_nginx $nginx_port "$threads" 'location / { add_header X-custom-foo bar; return 200 " 1"; }'

wait_for $flexilib_port
wait_for $nginx_port

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
nginx_master=$(cat "$work/nginx.pid")
flexilib_idle=$(private_kb $flexilib_pid)
nginx_idle=$(private_kb "$nginx_master")

# Each figure is the median of ROUNDS runs (default 3); the rounds alternate the
# servers, so that load from elsewhere falls on both alike.
declare -A runs
measure() { # name port connections [path]
  local out
  out=$(wrk -t"$(($3 < 2 ? 1 : 2))" -c"$3" -d"$duration" --latency "http://127.0.0.1:$2/${4:-}" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Socket errors/ {gsub(",", ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $5} END {print e + 0}' <<<"$out")
  runs[$1,$3]+="${rps:-0} ${p50:-0us} ${p99:-0us} ${errors:-0}"$'\n'
}
# The median of each column over the rounds, latencies in ms; errors summed.
declare -A result
summarize() {
  local key
  for key in "${!runs[@]}"; do
    result[$key]=$(awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
      function median(list, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && list[j - 1] > list[j]; j--) { t = list[j]; list[j] = list[j - 1]; list[j - 1] = t } return list[int((n + 1) / 2)] }
      NF == 4 { n++; rps[n] = $1; p50[n] = ms($2); p99[n] = ms($3); errors += $4 }
      END { printf "%.0f %.3fms %.3fms %d\n", median(rps, n), median(p50, n), median(p99, n), errors }' <<<"${runs[$key]}")
  done
}
# System calls per request: "TOTAL name:count/request..." for the processes given,
# traced for 3 s in the middle of a wrk run at 64 connections.
syscalls_per_request() { # port pid...
  local port=$1 pid trace=(); shift
  for pid in "$@"; do trace+=(-p "$pid"); done
  wrk -t2 -c64 -d7s "http://127.0.0.1:$port/" >/dev/null 2>&1 &
  local load=$!
  sleep 2
  timeout -s INT 3 strace -f -s 6 -o "$work/strace.out" "${trace[@]}" 2>/dev/null || true
  wait $load
  awk '/recvfrom/ && /"GET \// { requests++ }
       /resumed>/ { next }
       { call = $0; sub(/^[0-9]+ +/, "", call); sub(/\(.*/, "", call)
         if (call ~ /^[a-z_0-9]+$/) { calls[call]++; total++ } }
       END { if (requests == 0) { print "? (no requests seen)"; exit }
             line = sprintf("%.2f", total / requests)
             for (c in calls) if (calls[c] / requests >= 0.01) line = line sprintf(" %s:%.2f", c, calls[c] / requests)
             print line }' "$work/strace.out"
}
flexilib_serving=$(pgrep -P $flexilib_pid | head -1)
declare -A syscalls
syscalls[flexilib]=$(syscalls_per_request $flexilib_port "$flexilib_serving")
syscalls[nginx]=$(syscalls_per_request $nginx_port $(pgrep -P "$(cat "$work/nginx.pid")"))

# One connection's handler sleeps 200 ms per request while wrk's 64 ask for quick
# answers: flexilib's p99 then (nginx has no such handler to compare).
slow_client() {
  while :; do curl -s -o /dev/null -H 'x-sleep-us: 200000' "http://127.0.0.1:$flexilib_port/sleep"; done
}
slow_client &
slow_pid=$!
measure flexilib-slow1 $flexilib_port 64
kill $slow_pid 2>/dev/null
wait $slow_pid 2>/dev/null || true

for ((round = 1; round <= rounds; round++)); do
  for connections in 1 64 256; do
    measure flexilib $flexilib_port $connections
    if ((connections == 64)); then
      for language in "${examples[@]:1}"; do
        measure "flexilib-$language" $flexilib_port $connections "$language"
      done
    fi
    measure nginx $nginx_port $connections
  done
done
summarize
# The "alloc" of one request to each example, from the request log.
alloc_of() { # path
  grep -F "\"GET $1 HTTP/1.1\" 200" "$work/flexilib-access.log" | tail -1 |
    sed -n 's/.*, alloc: \([0-9]*\)).*/\1/p'
}
allocs=""
for language in "${examples[@]}"; do
  path=/$language
  [[ $language == c ]] && path=/
  allocs+=" $language $(alloc_of "$path") bytes,"
done
flexilib_after=$(private_kb $flexilib_pid)
nginx_after=$(private_kb "$nginx_master")

table=$(
  echo "flexilib vs nginx on $(nproc) cores, $threads serving threads / workers, wrk -t2 (-t1 at 1 conn) -d$duration, median of $rounds rounds, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
  printf '%-13s %5s %12s %10s %10s %7s %9s\n' server conns req/s p50 p99 errors "x nginx"
  for connections in 1 64 256; do
    read -r n_rps _ <<<"${result[nginx,$connections]}"
    servers=(flexilib)
    if ((connections == 64)); then
      for language in "${examples[@]:1}"; do servers+=("flexilib-$language"); done
    fi
    for server in "${servers[@]}" nginx; do
      read -r rps p50 p99 errors <<<"${result[$server,$connections]}"
      printf '%-13s %5s %12s %10s %10s %7s %9s\n' "$server" "$connections" "$rps" "$p50" "$p99" "$errors" \
        "$(awk -v a="$rps" -v b="$n_rps" 'BEGIN {printf "%.2f", a / b}')"
    done
  done
  printf 'private memory (Pss_Anon, KiB): flexilib idle %s, after load %s; nginx idle %s, after load %s\n' \
    "$flexilib_idle" "$flexilib_after" "$nginx_idle" "$nginx_after"
  echo "alloc of one request (flexilib's log, the example in each language):${allocs%,}"
  read -r _ _ slow_p99 slow_errors <<<"${result[flexilib-slow1,64]}"
  echo "flexilib at 64 connections while a 65th connection's handler sleeps 200 ms per request: p99 $slow_p99, errors $slow_errors"
  echo "system calls per request at 64 connections (strace -f, 3 s): flexilib ${syscalls[flexilib]}"
  echo "                                                            nginx    ${syscalls[nginx]}"
  echo "load average before and after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
)
echo "$table"
mkdir -p bench/results
[[ -f bench/results/latest.txt ]] && mv bench/results/latest.txt bench/results/previous.txt
echo "$table" >bench/results/latest.txt
