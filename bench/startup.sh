#!/usr/bin/env bash
# Measures start-up: the time from exec of the server, on the example proxy.ini with
# the default settings (supervisor and admin endpoint on), to the first answered
# request (GET /, which also loads the example library), median of 20 starts. Given
# several binaries it starts them in turn, so that the machine's load falls on all
# alike. On a machine other processes keep busy, each new process and thread waits for a
# CPU and that wait swamps the figure: REALTIME=1 runs the server (SCHED_FIFO 50) and
# the poller (SCHED_FIFO 40, below it) ahead of every ordinary process. Not part of CI.
#   bench/startup.sh                       # build/flexilib
#   REALTIME=1 bench/startup.sh /tmp/old-flexilib build/flexilib
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target flexilib example_handlers >/dev/null
(($# > 0)) || set -- build/flexilib

echo "load average $(cut -d' ' -f1-3 /proc/loadavg)${REALTIME:+, server and poller SCHED_FIFO}"
python3 - "$@" <<'PY'
import os, signal, socket, statistics, sys, time
PORT, ADMIN_PORT, RUNS = 27185, 27186, 20
REQUEST = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
environment = dict(os.environ, PORT=str(PORT), ADMIN_PORT=str(ADMIN_PORT))
realtime = os.environ.get("REALTIME") == "1"
if realtime:
    os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(40))

def answered():
    """True once GET / got a 200; False while nothing listens."""
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=5) as connection:
            connection.sendall(REQUEST)
            return connection.recv(12).startswith(b"HTTP/1.1 200")
    except (ConnectionRefusedError, ConnectionResetError):
        return False

def start_once(binary):
    """Milliseconds from exec to the first 200; stops the server after."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    started = time.monotonic()
    priority = {"scheduler": (os.SCHED_FIFO, os.sched_param(50))} if realtime else {}
    pid = os.posix_spawn(binary, [binary, "proxy.ini"], environment,
                         file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1),
                                       (os.POSIX_SPAWN_DUP2, devnull, 2)], **priority)
    while not answered():  # polled tightly: a refused connect costs microseconds
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            sys.exit(f"{binary} exited before answering")
    elapsed = (time.monotonic() - started) * 1000
    os.kill(pid, signal.SIGTERM)
    os.waitpid(pid, 0)
    os.close(devnull)
    return elapsed

samples = {binary: [] for binary in sys.argv[1:]}
for _ in range(RUNS):
    for binary in samples:
        samples[binary].append(start_once(binary))
for binary, times in samples.items():
    print(f"{binary}: exec to first answer median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f}, max {max(times):.1f} over {len(times)} starts")
PY
