#!/usr/bin/env python3
"""The soak test behind bench/soak.sh: mixed traffic against a running flexilib for
SECONDS, printing per minute the requests answered, the failures, the descriptors
and the private (anonymous) memory of both of its processes (the supervisor and the
serving process it restarts). Exit status 0 only when it passes: no unexpected
failure, and descriptors and private memory flat from minute 2 to the end: each
minute's mean within 10% of the mean of those minutes (see flat()).

    bench/soak.py SECONDS BUILD_DIR

All at once: keep-alive and new-connection clients, pipelined requests, POST bodies of
1 KB to 1 MB, the admin /stats and /requests polled each second, a library replaced
every 5 s, SIGHUP every 7 s, a handler crash every 30 s, a proxied route, 20 slow
readers and 20 slowloris heads.

A crash takes the serving process down with every request it is serving at that
moment, not only the crashing one: a connection that breaks between the crash and the
restarted process's first answer is counted as "lost to crash", in a column of its
own, and does not fail the run. Everything else that goes wrong is a failure.
"""
import http.client
import http.server
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SECONDS = int(sys.argv[1]) if len(sys.argv) > 1 else 600
BUILD = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "build")
LIBRARIES = f"{BUILD}/test/libraries"
BIG_BODY = 10 * 1024 * 1024  # what libbad-response answers for x-mode: big
WRITE_TIMEOUT_S = 5  # the server's default WRITE_TIMEOUT_MS
MINUTE = 60

stopping = threading.Event()
started_at = time.monotonic()


def minute_of(moment):
    return int((moment - started_at) // MINUTE)


class Tally:
    """Per minute: requests answered, failures, connections lost to a crash."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answered, self.failed, self.lost = {}, {}, {}
        self.failure_lines = []
        self.crashes = []  # [start, end of the window], end None while restarting
        self.retried = 0
        self.reader_stalled = 0

    def ok(self):
        with self.lock:
            m = minute_of(time.monotonic())
            self.answered[m] = self.answered.get(m, 0) + 1

    def crash_overlaps(self, began, now):
        """Whether a crash killed the serving process while this request was in flight,
        or the request was made while the restarted process was not yet answering."""
        for start, end in self.crashes:
            if start <= now and (end is None or began <= end + 0.5):
                return True
        return False

    def failure(self, what, began):
        now = time.monotonic()
        with self.lock:
            m = minute_of(now)
            if self.crash_overlaps(began, now):
                self.lost[m] = self.lost.get(m, 0) + 1
                if os.environ.get("SOAK_VERBOSE"):
                    print(f"lost: {now - started_at:7.1f}s {what}", file=sys.stderr)
                return
            self.failed[m] = self.failed.get(m, 0) + 1
            if len(self.failure_lines) < 30:
                self.failure_lines.append(f"{now - started_at:7.1f}s {what}")


tally = Tally()


def connect(port, timeout=15):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)


def run_forever(body):
    """Runs body() until the soak ends; an exception in the driver itself is fatal."""
    def loop():
        try:
            while not stopping.is_set():
                body()
        except Exception as error:  # a bug in this script, not a server failure
            print(f"soak driver error: {error!r}", file=sys.stderr)
            os._exit(2)
    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def check(name, connection, method, path, expect, body=None, headers=None):
    """One request; True when answered as `expect(status, body)` wants."""
    began = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        tally.failure(f"{name}: {method} {path}: {error!r}", began)
        return False
    if not expect(response.status, data):
        tally.failure(f"{name}: {method} {path}: {response.status} {data[:80]!r}", began)
        return False
    tally.ok()
    return True


class KeepAliveClient:
    """Requests on one connection for as long as the server keeps it. A request that
    fails before any answer on a connection that has served before is sent again on a
    new one, as HTTP clients do for idempotent requests (the server may have closed the
    connection as the request left: idle timeout, request limit, restart)."""

    def __init__(self, port):
        self.port, self.connection, self.used = port, None, False

    def request(self, name, method, path, expect, body=None, headers=None):
        if self.connection is None:
            self.connection, self.used = connect(self.port), False
        began = time.monotonic()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            data = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
            self.connection.close()
            self.connection = None
            if self.used and method == "GET":
                with tally.lock:
                    tally.retried += 1
                return self.request(name, method, path, expect, body, headers)
            tally.failure(f"{name}: {method} {path}: {error!r}", began)
            return
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.connection = None
            tally.failure(f"{name}: {method} {path}: {error!r}", began)
            return
        self.used = True
        if response.will_close:
            self.connection.close()
            self.connection = None
        if expect(response.status, data):
            tally.ok()
        else:
            tally.failure(f"{name}: {method} {path}: {response.status} {data[:80]!r}", began)


def counter_answer(status, data):
    return status == 200 and data in (b"v1", b"v2")


def example_answer(status, data):
    return status == 200 and data.startswith(b" ")


def upstream_answer(status, data):
    return status == 200 and data == b"upstream ok"


def json_answer(status, data):
    return status == 200 and data.startswith(b"{")


def keep_alive_traffic(port):
    client = KeepAliveClient(port)
    paths = [("/count", counter_answer), ("/", example_answer), ("/proxy/x", upstream_answer)]

    def body():
        path, expect = random.choice(paths)
        client.request("keep-alive", "GET", path, expect)
    return body


def new_connection_traffic(port):
    def body():
        connection = connect(port)
        check("new-connection", connection, "GET", "/count", counter_answer,
              headers={"Connection": "close"})
        connection.close()
    return body


def post_traffic(port):
    client = KeepAliveClient(port)

    def body():
        size = int(math.exp(random.uniform(math.log(1024), math.log(1024 * 1024))))
        client.request("post", "POST", "/", example_answer, body=os.urandom(size),
                       headers={"Content-Type": "application/octet-stream"})
    return body


def read_responses(sock, count, deadline):
    """Reads `count` responses with Content-Length bodies; returns their statuses."""
    data, statuses = b"", []
    while len(statuses) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            if len(data) >= head_end + 4 + length:
                statuses.append(int(head.split(" ")[1]))
                data = data[head_end + 4 + length:]
                continue
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(statuses)} of {count} responses")
        data += chunk
    return statuses


def pipelined_traffic(port):
    def body():
        began = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n" * 9 +
                             b"GET / HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
                statuses = read_responses(sock, 10, time.monotonic() + 15)
        except (OSError, ValueError) as error:
            tally.failure(f"pipelined: {error!r}", began)
            return
        if statuses != [200] * 10:
            tally.failure(f"pipelined: statuses {statuses}", began)
            return
        for _ in statuses:
            tally.ok()
    return body


def admin_traffic(admin_port):
    def body():
        for path in ("/stats", "/requests"):
            connection = connect(admin_port)
            check("admin", connection, "GET", path, json_answer)
            connection.close()
        stopping.wait(1)
    return body


def slow_reader(port):
    """Asks for 10 MB and reads it at about 1 MB/s, in small reads. If this script
    itself was held up (a loaded machine) for WRITE_TIMEOUT_MS between two reads, the
    server rightly dropped the connection as a reader that read nothing: that is counted
    apart ("reader stalled"), not as a failure."""
    def body():
        began = time.monotonic()
        got, longest_gap = 0, 0.0
        error = None
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
                sock.sendall(b"GET /big HTTP/1.1\r\nHost: soak\r\nx-mode: big\r\n"
                             b"Connection: close\r\n\r\n")
                last = time.monotonic()
                while not stopping.is_set():
                    chunk = sock.recv(16384)
                    now = time.monotonic()
                    longest_gap, last = max(longest_gap, now - last), now
                    if not chunk:
                        break
                    got += len(chunk)
                    time.sleep(0.016)
        except OSError as failure:
            error = failure
        if stopping.is_set():
            return
        if error is None and got >= BIG_BODY:
            tally.ok()
        elif longest_gap >= WRITE_TIMEOUT_S * 0.9:
            with tally.lock:
                tally.reader_stalled += 1
        else:
            tally.failure(f"slow reader: closed after {got} bytes ({error!r})", began)
    return body


def slowloris(port):
    """A head that never ends, a header line every second: the server closes it after
    READ_TIMEOUT_MS, and it starts again. Nothing to count: it only takes up room."""
    def body():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n")
                for i in range(120):
                    if stopping.wait(1):
                        return
                    sock.sendall(b"X-Slow-%d: a\r\n" % i)
        except OSError:
            pass
    return body


def library_replacer(target):
    versions = [f"{LIBRARIES}/libcounter-v2.so", f"{LIBRARIES}/libcounter.so"]
    state = {"next": 0}

    def body():
        if stopping.wait(5):
            return
        # Written beside it, then renamed over it: the file is never seen half-written.
        shutil.copyfile(versions[state["next"] % 2], target + ".new")
        os.rename(target + ".new", target)
        state["next"] += 1
    return body


def hangups(server):
    def body():
        if stopping.wait(7):
            return
        server.send_signal(signal.SIGHUP)
    return body


def crasher(port):
    def body():
        if stopping.wait(30):
            return
        start = time.monotonic()
        with tally.lock:
            tally.crashes.append([start, None])
        try:
            connection = connect(port, timeout=5)
            connection.request("GET", "/big", headers={"x-mode": "crash"})
            connection.getresponse().read()
        except (OSError, http.client.HTTPException):
            pass  # the crashing request's own connection: expected to break
        # The window closes when the restarted process answers.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                probe = connect(port, timeout=2)
                probe.request("GET", "/", headers={"Connection": "close"})
                if probe.getresponse().status == 200:
                    break
            except (OSError, http.client.HTTPException):
                time.sleep(0.01)
        with tally.lock:
            tally.crashes[-1][1] = time.monotonic()
    return body


def private_kib(pid):
    """The process's private (anonymous) memory, resident. Counted whole also while a
    freshly forked serving process still shares it copy-on-write with the supervisor:
    Private_Dirty would swing with every restart without either process changing."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Anonymous:"):
                    total += int(line.split()[1])
    except OSError:
        return None
    return total


def open_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def serving_child(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            found = children.read().split()
        return int(found[0]) if found else None
    except OSError:
        return None


class Sampler:
    """Each second: descriptors and private memory of both processes."""

    def __init__(self, supervisor_pid):
        self.pid = supervisor_pid
        self.samples = {}  # minute -> list of (fds, kib, child fds, child kib)

    def body(self):
        child = serving_child(self.pid)
        figures = (open_fds(self.pid), private_kib(self.pid),
                   open_fds(child) if child else None, private_kib(child) if child else None)
        if None not in figures:
            self.samples.setdefault(minute_of(time.monotonic()), []).append(figures)
        stopping.wait(1)


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "11")
        self.end_headers()
        self.wfile.write(b"upstream ok")

    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a connection the crashing serving process broke: nothing to say


def start_upstream():
    server = QuietServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def start_flexilib(work, upstream_port):
    library = f"{work}/libcounter.so"
    shutil.copyfile(f"{LIBRARIES}/libcounter.so", library)
    with open(f"{work}/proxy.ini", "w") as ini:
        ini.write(f"/count = {library}\n"
                  f"/big = {LIBRARIES}/libbad-response.so\n"
                  f"/proxy = http://127.0.0.1:{upstream_port}\n"
                  f"/ = {BUILD}/executors/libflexilib-example.so\n")
    # A fixed admin port: a restarted serving process opens it again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        admin_port = probe.getsockname()[1]
    # CLIENT_BUFFERS_MB=16: the slow readers' 200 MB of unread responses fill the
    # memory budget and spill to disk either way; a smaller budget keeps how full it
    # happens to be at each sample from swamping the figure the soak watches.
    env = dict(os.environ, PORT="0", ADMIN_PORT=str(admin_port), SERVER_THREAD_COUNT="2",
               CLIENT_BUFFERS_MB="16")
    server = subprocess.Popen([f"{BUILD}/flexilib", f"{work}/proxy.ini"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    ports = {}
    for line in server.stderr:
        if "admin listening on" in line:
            ports["admin"] = int(line.rsplit(":", 1)[1])
        elif "listening on" in line:
            ports["serving"] = int(line.rsplit(":", 1)[1])
        if len(ports) == 2:
            break
    if len(ports) != 2:
        sys.exit("flexilib did not start")
    log = open(f"{work}/flexilib.err", "w")

    def drain():  # keeps the pipe flowing; the log is kept for a failing run
        for line in server.stderr:
            log.write(line)
        log.flush()
    threading.Thread(target=drain, daemon=True).start()
    return server, ports["serving"], ports["admin"], library


def flat(values):
    """From minute 2 to the end, every minute within 10% of those minutes' mean: a band,
    not a comparison with minute 2 alone, whose one value may sit anywhere in the swing
    that a serving process restarted every 30 s shows (its memory builds up over each
    life). A leak across restarts, or in the supervisor, leaves the band."""
    values = values[1:]
    if len(values) < 2:
        return True
    mean = sum(values) / len(values)
    return all(abs(v - mean) <= 0.10 * mean for v in values)


def main():
    work = tempfile.mkdtemp(prefix="flexilib-soak.")
    upstream_port = start_upstream()
    server, port, admin_port, library = start_flexilib(work, upstream_port)
    sampler = Sampler(server.pid)
    print(f"soak: {SECONDS} s against flexilib pid {server.pid} on port {port} "
          f"(admin {admin_port}), 2 serving threads; work dir {work}", flush=True)
    threads = []
    threads += [run_forever(keep_alive_traffic(port)) for _ in range(4)]
    threads += [run_forever(new_connection_traffic(port)) for _ in range(2)]
    threads += [run_forever(post_traffic(port)) for _ in range(2)]
    threads += [run_forever(pipelined_traffic(port))]
    threads += [run_forever(admin_traffic(admin_port))]
    threads += [run_forever(slow_reader(port)) for _ in range(20)]
    threads += [run_forever(slowloris(port)) for _ in range(20)]
    threads += [run_forever(library_replacer(library)), run_forever(hangups(server)),
                run_forever(crasher(port)), run_forever(sampler.body)]

    stopping.wait(SECONDS)
    stopping.set()
    for thread in threads:
        thread.join(timeout=20)
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()

    minutes = sorted(m for m in sampler.samples if m < math.ceil(SECONDS / MINUTE))
    print(f"{'minute':>6} {'requests':>9} {'failures':>8} {'lost to crash':>13} "
          f"{'fds sup':>7} {'fds srv':>7} {'anon KiB sup':>12} {'anon KiB srv':>12}")
    # In the order of Sampler's figures.
    columns = {"supervisor fds": [], "supervisor KiB": [], "serving fds": [], "serving KiB": []}
    for m in minutes:
        rows = sampler.samples[m]
        mean = [sum(r[i] for r in rows) / len(rows) for i in range(4)]
        for key, value in zip(columns, mean):
            columns[key].append(value)
        print(f"{m + 1:>6} {tally.answered.get(m, 0):>9} {tally.failed.get(m, 0):>8} "
              f"{tally.lost.get(m, 0):>13} {mean[0]:>7.1f} {mean[2]:>7.1f} "
              f"{mean[1]:>12.0f} {mean[3]:>12.0f}")
    failures = sum(tally.failed.values())
    print(f"crashes: {len(tally.crashes)}, lost to crash: {sum(tally.lost.values())}, "
          f"GETs sent again on a new connection: {tally.retried}, slow readers dropped after "
          f"this script stalled {WRITE_TIMEOUT_S} s: {tally.reader_stalled}; figures are each minute's "
          f"mean of per-second samples (sup: supervisor, srv: serving process)")
    for line in tally.failure_lines:
        print(f"failure: {line}")
    problems = []
    if failures:
        problems.append(f"{failures} unexpected failures")
    if not minutes:
        problems.append("no samples")
    for key, values in columns.items():
        if not flat(values):
            problems.append(f"{key} not within 10% of its mean from minute 2: "
                            + ", ".join(f"{v:.0f}" for v in values))
    if len(minutes) < 3:
        print("(shorter than 3 minutes: descriptors and memory are shown, not judged)")
    if problems:
        print("soak: FAIL: " + "; ".join(problems) + f" (server log: {work}/flexilib.err)")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print("soak: PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
