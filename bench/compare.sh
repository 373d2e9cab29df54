#!/usr/bin/env bash
# Compares two flexilib binaries (say, before and after a change) in one run on this
# machine: private memory (Pss_Anon of the supervisor and the serving process) idle
# and after 256 connections, with where it goes by mapping, then req/s at 64
# connections in interleaved wrk runs (A, B, A, B...), so that load from elsewhere on
# the machine falls on both alike. Both serve the same example library. Last, p99 at 64
# connections while a 65th connection's handler sleeps 200 ms per request
# (test/libraries/sleeps.c), interleaved the same way (SLOW_ROUNDS, default ROUNDS;
# 0: skip). OLD_ENV and NEW_ENV add settings to one side ("STAND_IN_AFTER_MS=0"), to
# compare one binary with itself. Not in CI.
#   ROUNDS=5 DURATION=5s THREADS=2 bench/compare.sh OLD_BINARY NEW_BINARY
set -euo pipefail
cd "$(dirname "$0")/.."
(($# == 2)) || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
old=$(realpath "$1") new=$(realpath "$2")
rounds=${ROUNDS:-5} duration=${DURATION:-5s} threads=${THREADS:-2}
old_port=18182 new_port=18183

source bench/common.sh
need wrk
slow_rounds=${SLOW_ROUNDS:-$rounds}
cmake --build build -j"$(nproc)" --target example_handlers sleeps >/dev/null
printf '/sleep = %s/build/test/libraries/libsleeps.so\n' "$PWD" >"$work/proxy.ini"
printf '/ = %s/build/executors/libflexilib-example.so\n' "$PWD" >>"$work/proxy.ini"
# shellcheck disable=SC2086 # OLD_ENV and NEW_ENV are lists of NAME=value
env ${OLD_ENV:-} PORT=$old_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off "$old" "$work/proxy.ini" \
  >/dev/null 2>"$work/old.err" &
old_pid=$!
# shellcheck disable=SC2086
env ${NEW_ENV:-} PORT=$new_port SERVER_THREAD_COUNT=$threads ADMIN_PORT=off "$new" "$work/proxy.ini" \
  >/dev/null 2>"$work/new.err" &
new_pid=$!
wait_for $old_port
wait_for $new_port

# Where the private memory of a process and its children goes: KiB of anonymous pages
# by mapping (file name, or [heap], [stack], [anon]...), largest first. (smaps gives
# Pss_Anon only for the whole process: pages the supervisor and the serving process
# still share since the fork count here in both, so these add up to more than the
# Pss_Anon total printed last, which is the figure to compare.)
by_mapping() {
  local pid
  for pid in $1 $(pgrep -P "$1" || true); do cat "/proc/$pid/smaps" 2>/dev/null; done |
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = NF >= 6 ? $6 : "[anon]"; sub(".*/", "", name) }
         /^Anonymous:/ { kb[name] += $2 }
         END { for (n in kb) if (kb[n] > 0) printf "%8d  %s\n", kb[n], n }' |
    sort -k1,1nr
  printf '%8d  Pss_Anon total\n' "$(private_kb "$1")"
}
memory() { # when
  echo "== private memory (KiB: Anonymous by mapping, then Pss_Anon), $1"
  paste <(echo "old: $old"; by_mapping "$old_pid") <(echo "new: $new"; by_mapping "$new_pid") |
    awk -F'\t' '{ printf "%-48s %s\n", $1, $2 }'
}

memory "idle"
for port in $old_port $new_port; do
  wrk -t2 -c256 -d"$duration" "http://127.0.0.1:$port/" >/dev/null 2>&1
done
memory "after $duration at 256 connections"

echo "== req/s and p99 (ms) at 64 connections, wrk -t2 -d$duration, $rounds interleaved rounds, $threads serving threads, $(nproc) cores"
echo "   (the machine may be shared: compare the two columns of a round, not runs on other days)"
echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -a old_rps new_rps old_p99 new_p99
# "req/s p99_ms" of one wrk run against port $1
run_wrk() {
  wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$1/" 2>&1 |
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
         /^Requests\/sec/ { rps = $2 } $1 == "99%" { p99 = ms($2) } END { printf "%s %.3f\n", rps, p99 }'
}
for ((round = 1; round <= rounds; round++)); do
  read -r rps p99 < <(run_wrk $old_port)
  old_rps+=("$rps") old_p99+=("$p99")
  read -r rps p99 < <(run_wrk $new_port)
  new_rps+=("$rps") new_p99+=("$p99")
  printf 'round %d: old %10s req/s p99 %7s  new %10s req/s p99 %7s\n' "$round" "${old_rps[-1]}" \
    "${old_p99[-1]}" "${new_rps[-1]}" "${new_p99[-1]}"
done
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
printf 'median:  old %10s req/s p99 %7s  new %10s req/s p99 %7s\n' "$(median "${old_rps[@]}")" \
  "$(median "${old_p99[@]}")" "$(median "${new_rps[@]}")" "$(median "${new_p99[@]}")"

((slow_rounds > 0)) || exit 0
echo "== p99 (ms) at 64 connections while a 65th connection's handler sleeps 200 ms per request"
declare -a old_slow new_slow
slow_p99() { # port
  (while :; do curl -s -o /dev/null -H 'x-sleep-us: 200000' "http://127.0.0.1:$1/sleep"; done) &
  local slow_pid=$!
  run_wrk "$1" | awk '{ print $2 }'
  kill $slow_pid 2>/dev/null
  wait $slow_pid 2>/dev/null || true
}
for ((round = 1; round <= slow_rounds; round++)); do
  old_slow+=("$(slow_p99 $old_port)")
  new_slow+=("$(slow_p99 $new_port)")
  printf 'round %d: old p99 %7s  new p99 %7s\n' "$round" "${old_slow[-1]}" "${new_slow[-1]}"
done
printf 'median:  old p99 %7s  new p99 %7s\n' "$(median "${old_slow[@]}")" "$(median "${new_slow[@]}")"
echo "   load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
