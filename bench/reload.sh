#!/usr/bin/env bash
# Measures library hot reload: (1) the time from a library file being replaced to the
# first response from the new generation, 20 replacements by `cp` over the file (written
# in place: IN_CLOSE_WRITE) and 20 by `mv` of a finished copy into place (IN_MOVED_TO),
# medians; (2) failed requests in a 10-second wrk run (64 connections) during which the
# library is replaced 20 times, by cp and mv in turn. Not part of CI.
#   bench/reload.sh                      # build/flexilib
#   FLEXILIB=/tmp/old-flexilib bench/reload.sh
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
source bench/common.sh
need wrk
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build build -j2 --target flexilib test_libraries >/dev/null
binary=${FLEXILIB:-build/flexilib}

port=18182
libraries=build/test/libraries
cp "$libraries/libcounter.so" "$work/libcounter.so"
printf '/ = %s/libcounter.so\n' "$work" >"$work/proxy.ini"
PORT=$port SERVER_THREAD_COUNT=2 ADMIN_PORT=off "$binary" "$work/proxy.ini" \
  >/dev/null 2>"$work/flexilib.err" &
wait_for "$port"
echo "$binary, load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== time from the replacing command to the new generation's first response (20 each)"
python3 - "$port" "$work/libcounter.so" "$libraries" <<'PY'
import http.client, statistics, subprocess, sys, time
port, target, libraries = int(sys.argv[1]), sys.argv[2], sys.argv[3]
connection = http.client.HTTPConnection("127.0.0.1", port)
def body():
    connection.request("GET", "/")
    return connection.getresponse().read().decode()

# Each returns the command to time, having done what comes before it.
def cp_over(source):
    # Truncates and rewrites the library's own inode; the close ends the write.
    return lambda: subprocess.run(["cp", source, target], check=True)

def mv_into_place(source):
    # A finished copy under another name in the same directory, then a rename over
    # the library: the rename is the write.
    subprocess.run(["cp", source, target + ".new"], check=True)
    return lambda: subprocess.run(["mv", target + ".new", target], check=True)

def measure(name, prepare):
    after_exit, after_start = [], []
    for i in range(20):
        version = "v2" if i % 2 == 0 else "v1"
        source = f"{libraries}/libcounter{'-v2' if version == 'v2' else ''}.so"
        command = prepare(source)
        started = time.monotonic()
        command()
        exited = time.monotonic()
        while body() != version:
            pass
        answered = time.monotonic()
        after_exit.append((answered - exited) * 1000)
        after_start.append((answered - started) * 1000)
    print(f"{name:3}: median {statistics.median(after_exit):.2f} ms from the command's exit "
          f"(min {min(after_exit):.2f}, max {max(after_exit):.2f}); "
          f"median {statistics.median(after_start):.2f} ms from its start")

measure("cp", cp_over)
measure("mv", mv_into_place)
PY

echo "== wrk -t2 -c64 -d10s while the library is replaced 20 times (cp and mv in turn)"
( for i in $(seq 20); do
    sleep 0.45
    if ((i % 2)); then source=$libraries/libcounter-v2.so; else source=$libraries/libcounter.so; fi
    if ((i % 4 < 2)); then cp "$source" "$work/libcounter.so"
    else cp "$source" "$work/libcounter.so.new" && mv "$work/libcounter.so.new" "$work/libcounter.so"; fi
  done ) &
wrk -t2 -c64 -d10s "http://127.0.0.1:$port/" | grep -E "requests in|Requests/sec|Socket errors|Non-2xx" || true
echo "(no 'Socket errors' or 'Non-2xx' line: no request failed)"
# "loaded PATH generation N", not "unloaded ..." (which a plain 'loaded ' also matched,
# counting each replacement twice).
echo "generations loaded: $(grep -cE '(^| )loaded ' "$work/flexilib.err" || true)," \
  "load failures: $(grep -c 'load failed' "$work/flexilib.err" || true)"
