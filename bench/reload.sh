#!/usr/bin/env bash
# Measures library hot reload: (1) the time from a library file being replaced to the
# first response from the new generation, median of 20 replacements; (2) failed
# requests in a 10-second wrk run (64 connections) during which the library is
# replaced 20 times. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
source bench/common.sh
need wrk
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build build -j"$(nproc)" --target flexilib test_libraries >/dev/null

port=18182
cp build/test/libraries/libcounter.so "$work/libcounter.so"
printf '/ = %s/libcounter.so\n' "$work" >"$work/proxy.ini"
PORT=$port SERVER_THREAD_COUNT=2 ADMIN_PORT=off ./build/flexilib "$work/proxy.ini" \
  >/dev/null 2>"$work/flexilib.err" &
wait_for "$port"

echo "== time from replacing the file (cp over it in place) to the new generation's first response"
python3 - "$port" "$work/libcounter.so" build/test/libraries <<'PY'
import http.client, shutil, statistics, sys, time
port, target, libraries = int(sys.argv[1]), sys.argv[2], sys.argv[3]
connection = http.client.HTTPConnection("127.0.0.1", port)
def body():
    connection.request("GET", "/")
    return connection.getresponse().read().decode()
samples = []
for i in range(20):
    version = "v2" if i % 2 == 0 else "v1"
    start = time.monotonic()
    shutil.copyfile(f"{libraries}/libcounter{'-v2' if version == 'v2' else ''}.so", target)
    while body() != version:
        pass
    samples.append((time.monotonic() - start) * 1000)
print(f"median {statistics.median(samples):.1f} ms, min {min(samples):.1f}, max {max(samples):.1f} "
      f"(settle time 50 ms included) over {len(samples)} replacements")
PY

echo "== wrk -t2 -c64 -d10s while the library is replaced 20 times"
( for i in $(seq 20); do
    sleep 0.45
    if ((i % 2)); then cp build/test/libraries/libcounter-v2.so "$work/libcounter.so"
    else cp build/test/libraries/libcounter.so "$work/libcounter.so"; fi
  done ) &
wrk -t2 -c64 -d10s "http://127.0.0.1:$port/" | grep -E "requests in|Requests/sec|Socket errors|Non-2xx" || true
echo "(no 'Socket errors' or 'Non-2xx' line: no request failed)"
echo "generations loaded: $(grep -c 'loaded ' "$work/flexilib.err"), load failures: $(grep -c 'load failed' "$work/flexilib.err" || true)"
