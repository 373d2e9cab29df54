#!/usr/bin/env python3
"""What flexilib answers to each hostile input of issue 6, as a Markdown table.

Starts build/flexilib (build it first: scripts/run.sh or scripts/test.sh) on a free
port with the example library and short limits, sends each case over a raw socket,
and records the first status line (or how the connection ended) and whether a normal
request right after it is answered 200. The tests in test/integration/
test_hostile_input.cpp are what guard these answers; this shows them.
    bench/hostile.py [path/to/flexilib]
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

READ_TIMEOUT_MS = 1000
WRITE_TIMEOUT_MS = 2000
MAX_BODY_KB = 64
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_server(binary):
    work = tempfile.mkdtemp()
    ini = os.path.join(work, "proxy.ini")
    with open(ini, "w") as f:
        f.write(f"/ = {ROOT}/build/executors/libflexilib-example.so\n")
    env = dict(os.environ, PORT="0", ADMIN_PORT="off", SERVER_THREAD_COUNT="2",
               READ_TIMEOUT_MS=str(READ_TIMEOUT_MS), WRITE_TIMEOUT_MS=str(WRITE_TIMEOUT_MS),
               MAX_BODY_KB=str(MAX_BODY_KB), SUPERVISOR="off")
    server = subprocess.Popen([binary, ini], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    for line in server.stderr:  # "listening on 0.0.0.0:PORT"
        if "listening on" in line:
            return server, int(line.rsplit(":", 1)[1].split()[0])
    sys.exit("flexilib did not start")


def exchange(port, data, wait=3.0, then=None, read_window=None):
    """Sends data (and then `then` after a pause); returns (answer, ms until it ended)."""
    s = socket.socket()
    if read_window:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, read_window)
    s.connect(("127.0.0.1", port))
    start = time.monotonic()
    try:
        s.sendall(data)
        if then:
            time.sleep(0.2)
            s.sendall(then)
    except OSError:
        pass
    s.settimeout(wait)
    received = b""
    ended = "open after %.1f s" % wait
    try:
        while len(received) < 1 << 20:
            chunk = s.recv(65536)
            if not chunk:
                ended = "closed"
                break
            received += chunk
    except socket.timeout:
        pass
    except ConnectionResetError:
        ended = "reset"
    elapsed = (time.monotonic() - start) * 1000
    s.close()
    return received, ended, elapsed


def describe(received, ended, elapsed):
    found = re.findall(rb"HTTP/1\.1 (\d{3} [^\r]*)\r\n", received)
    statuses = ", ".join(s.decode(errors="replace") for s in found) or "nothing"
    return f"{statuses}; {ended} ({elapsed:.0f} ms)"


def normal_request_ok(port):
    received, _, _ = exchange(port, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    return received.startswith(b"HTTP/1.1 200")


def disconnect(port, data):
    s = socket.socket()
    s.connect(("127.0.0.1", port))
    s.sendall(data)
    s.close()
    return b"", "client closed", 0


CASES = [
    ("malformed request line", lambda p: exchange(p, b"GARBAGE\r\n\r\n")),
    ("request line without a version", lambda p: exchange(p, b"GET /\r\n\r\n")),
    ("unknown HTTP version", lambda p: exchange(p, b"GET / HTTP/9.9\r\n\r\n")),
    ("bare LF line ends", lambda p: exchange(p, b"GET / HTTP/1.1\nHost: a\n\n")),
    ("header name with a space", lambda p: exchange(p, b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")),
    ("header name with a control byte", lambda p: exchange(p, b"GET / HTTP/1.1\r\nBa\x01d: x\r\n\r\n")),
    ("obs-fold continuation line", lambda p: exchange(p, b"GET / HTTP/1.1\r\nA: 1\r\n 2\r\n\r\n")),
    ("NUL in the target", lambda p: exchange(p, b"GET /a\0b HTTP/1.1\r\n\r\n")),
    ("NUL in a header value", lambda p: exchange(p, b"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n")),
    ("target of 9000 bytes", lambda p: exchange(p, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\n\r\n")),
    ("5000 header fields", lambda p: exchange(p, b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 5000 + b"\r\n")),
    ("head over MAX_HEADER_KB", lambda p: exchange(p, b"GET / HTTP/1.1\r\nX: " + b"y" * 20000 + b"\r\n\r\n")),
    ("two identical Content-Lengths", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")),
    ("conflicting Content-Lengths", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi!")),
    ("Content-Length with Transfer-Encoding (smuggling)", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n")),
    ("Transfer-Encoding: gzip", lambda p: exchange(p, b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")),
    ("Content-Length over MAX_BODY_KB", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY_KB * 1024 + 1))),
    ("chunk sizes over MAX_BODY_KB", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (MAX_BODY_KB * 1024 + 1))),
    ("chunked body that never ends", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")),
    ("Content-Length body that stops", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nhalf")),
    ("head that never ends (slowloris)", lambda p: exchange(p, b"GET / HTTP/1.1\r\nX-Slow: ")),
    ("Expect: 100-continue, body after it", lambda p: exchange(
        p, b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n",
        then=b"hello")),
    ("three pipelined requests in one write", lambda p: exchange(
        p, b"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /3 HTTP/1.1\r\nConnection: close\r\n\r\n")),
    ("client gone mid-body", lambda p: disconnect(p, b"POST / HTTP/1.1\r\nContent-Length: 3000\r\n\r\nabc")),
    ("client gone mid-head", lambda p: disconnect(p, b"GET / HTTP/1.1\r\nHo")),
]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "flexilib")
    server, port = start_server(binary)
    try:
        print(f"flexilib {binary}, READ_TIMEOUT_MS={READ_TIMEOUT_MS}, MAX_BODY_KB={MAX_BODY_KB}, "
              f"MAX_HEADER_KB=16, MAX_HEADER_COUNT=100\n")
        print("| case | answer; how the connection ended | next request |")
        print("|---|---|---|")
        for name, run in CASES:
            answer = describe(*run(port))
            print(f"| {name} | {answer} | {'200' if normal_request_ok(port) else 'FAILED'} |")
        alive = server.poll() is None
        print(f"\nserver still running after all cases: {'yes' if alive else 'NO'}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
