#!/usr/bin/env bash
# Benchmarks flexilib against nginx on this machine, in one run, and prints a table:
# req/s, p50 and p99 latency and errors at 1, 64 and 256 connections (wrk), the ratio
# to nginx, and each server's private memory (the sum of Pss_Anon over its processes)
# idle and after the load. At 64 connections the same server also runs the example
# in Zig and in Rust (when they were built), right after the C one, and the table
# gives each example's "alloc" for one request. The table also goes to
# bench/results/latest.txt (the one before it is kept as previous.txt). Not part of
# CI: it takes about two minutes and wants an otherwise idle machine.
#   DURATION=10s THREADS=2 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10s}
threads=${THREADS:-2}            # serving threads / nginx workers
flexilib_port=18180 nginx_port=18181

source bench/common.sh
./scripts/install-deps.sh
need wrk nginx
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target flexilib example_handlers >/dev/null

# flexilib: the example library answers wrk's one-header request with " 1", in C on
# /, in Zig on /zig and in Rust on /rust.
examples=(c)
for language in zig rust; do
  library=$PWD/build/executors/libflexilib-$language-example.so
  [[ -f $library ]] || continue
  examples+=("$language")
  printf '/%s = %s\n' "$language" "$library" >>"$work/proxy.ini"
done
printf '/ = %s/build/executors/libflexilib-example.so\n' "$PWD" >>"$work/proxy.ini"
PORT=$flexilib_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off ./build/flexilib "$work/proxy.ini" \
  >"$work/flexilib-access.log" 2>"$work/flexilib.err" &
flexilib_pid=$!

# nginx: the same body, the access log on, as many workers as flexilib has threads.
start_nginx $nginx_port "$threads" 'location / { add_header X-custom-foo bar; return 200 " 1"; }'

wait_for $flexilib_port
wait_for $nginx_port

nginx_master=$(cat "$work/nginx.pid")
flexilib_idle=$(private_kb $flexilib_pid)
nginx_idle=$(private_kb "$nginx_master")

declare -A result
measure() { # name port connections [path]
  local out
  out=$(wrk -t"$(($3 < 2 ? 1 : 2))" -c"$3" -d"$duration" --latency "http://127.0.0.1:$2/${4:-}" 2>&1)
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  errors=$(awk '/Socket errors/ {gsub(",", ""); e += $4 + $6 + $8 + $10} /Non-2xx/ {e += $5} END {print e + 0}' <<<"$out")
  result[$1,$3]="$rps $p50 $p99 ${errors:-0}"
}
for connections in 1 64 256; do
  measure flexilib $flexilib_port $connections
  if ((connections == 64)); then
    for language in "${examples[@]:1}"; do
      measure "flexilib-$language" $flexilib_port $connections "$language"
    done
  fi
  measure nginx $nginx_port $connections
done
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
  echo "flexilib vs nginx on $(nproc) cores, $threads serving threads / workers, wrk -t2 (-t1 at 1 conn) -d$duration, $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo ?)"
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
)
echo "$table"
mkdir -p bench/results
[[ -f bench/results/latest.txt ]] && mv bench/results/latest.txt bench/results/previous.txt
echo "$table" >bench/results/latest.txt
