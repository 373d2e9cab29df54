#!/usr/bin/env bash
# Measures the supervisor's restart after a crash: 20 times, a request with x-mode: crash
# makes libbad-response take the serving process down (SIGSEGV), and the time from its
# connection being reset to the first 200 on a fresh connection is measured. Crashes are
# 1.5 s apart, so that none counts as "quick" and the crash-loop backoff stays out of
# it. Also counts refused connections (ECONNREFUSED) while polling: there should be
# none, since the supervisor keeps the listening socket open. Not part of CI.
#   BUILD_DIR=build bench/restart.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
port=18184

./scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target flexilib test_libraries >/dev/null

source bench/common.sh
printf '/ = %s/test/libraries/libbad-response.so\n' "$(realpath "$build")" >"$work/proxy.ini"
PORT=$port SERVER_THREAD_COUNT=2 ADMIN_PORT=off SUPERVISOR=on "$build/flexilib" "$work/proxy.ini" \
  >/dev/null 2>"$work/flexilib.err" &
wait_for "$port"

echo "== 20 crashes: time from the crashing request's reset to the next 200"
python3 - "$port" <<'PY'
import socket, statistics, sys, time
port = int(sys.argv[1])
NORMAL = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
CRASH = b"GET /crash HTTP/1.1\r\nx-mode: crash\r\nConnection: close\r\n\r\n"

def exchange(request):
    """The status line's code, or the error that ended the exchange."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else "closed"

samples, refused, reset = [], 0, 0
for crash in range(20):
    try:
        outcome = exchange(CRASH)
    except ConnectionResetError:
        outcome = "reset"
    crashed = time.monotonic()
    if outcome not in ("reset", "closed"):
        sys.exit(f"crash {crash}: the crashing request got {outcome}")
    while True:  # poll tightly: a fresh connection each time, nothing between them
        try:
            if exchange(NORMAL) == 200:
                break
        except ConnectionRefusedError:
            refused += 1
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            reset += 1
    samples.append((time.monotonic() - crashed) * 1000)
    time.sleep(1.5)  # the new serving process outlives quick_death_ms (1 s)
print(f"restart: median {statistics.median(samples):.1f} ms, min {min(samples):.1f}, "
      f"max {max(samples):.1f} over {len(samples)} crashes")
print(f"connections refused while restarting: {refused}; reset or timed out: {reset}")
PY
deaths=$(grep -c 'died of signal' "$work/flexilib.err" || true)
backoffs=$(grep -c 'keeps dying' "$work/flexilib.err" || true)
echo "supervisor log: $deaths crashes logged, $backoffs backoffs"
grep -m1 'died of signal' "$work/flexilib.err" || true
