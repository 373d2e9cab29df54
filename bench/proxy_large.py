#!/usr/bin/env python3
"""The two ends of bench/proxy-large.sh: a backend that answers one large body, and a
client that reads it through the proxy, fast or at a set rate, and checks it.

  proxy_large.py backend PORT SIZE FRAMING TIMES_FILE   (FRAMING: length or chunked)
  proxy_large.py client URL SIZE RATE_MBPS TIMES_FILE   (RATE_MBPS 0: as fast as it can)

The backend sends the head, notes the moment (CLOCK_MONOTONIC, shared by processes on
one machine) in TIMES_FILE, waits 200 ms and sends the body: a deterministic pattern
whose CRC-32 it also writes there. The client prints one line: bytes received, whether
the CRC matches, the first byte's delay after the backend's head, and the duration."""
import socket
import sys
import time
import zlib

BLOCK = bytes((i * 7 + i // 251) % 256 for i in range(1 << 20))


def backend(port, size, framing, times_file):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    while True:
        connection, _ = listener.accept()
        request = b""
        while b"\r\n\r\n" not in request:
            more = connection.recv(65536)
            if not more:
                break
            request += more
        if not request.startswith(b"GET /large"):  # the script's readiness probe
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            connection.close()
            continue
        length = f"Content-Length: {size}" if framing == "length" else "Transfer-Encoding: chunked"
        connection.sendall(f"HTTP/1.1 200 OK\r\n{length}\r\nConnection: close\r\n\r\n".encode())
        head_sent = time.monotonic()
        time.sleep(0.2)
        crc, left = 0, size
        try:
            while left > 0:
                block = BLOCK[: min(left, len(BLOCK))]
                crc = zlib.crc32(block, crc)
                connection.sendall(block if framing == "length" else b"%x\r\n%s\r\n" % (len(block), block))
                left -= len(block)
            if framing == "chunked":
                connection.sendall(b"0\r\n\r\n")
        except OSError:
            pass
        with open(times_file, "w") as out:
            out.write(f"{head_sent} {crc}\n")
        connection.close()


def client(url, size, rate_mbps, times_file):
    host, port = url.split("//")[1].split("/")[0].split(":")
    connection = socket.create_connection((host, int(port)))
    connection.sendall(b"GET /large HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
    start = time.monotonic()
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    head, in_head, first_byte, body, crc = b"", True, None, 0, 0
    chunked, pending = False, b""
    per_read = 64 * 1024 if rate_mbps else len(buffer)
    while True:
        got = connection.recv_into(view[:per_read])
        if got == 0:
            break
        if first_byte is None:
            first_byte = time.monotonic()
        data = view[:got]
        if in_head:
            head += bytes(data)
            if b"\r\n\r\n" not in head:
                continue
            head, data = head.split(b"\r\n\r\n", 1)
            chunked = b"transfer-encoding: chunked" in head.lower()
            in_head = False
        if chunked:
            pending += bytes(data)
            decoded = []
            while True:
                line_end = pending.find(b"\r\n")
                if line_end < 0:
                    break
                chunk = int(pending[:line_end].split(b";")[0], 16)
                if chunk == 0 or len(pending) < line_end + 2 + chunk + 2:
                    break
                decoded.append(pending[line_end + 2 : line_end + 2 + chunk])
                pending = pending[line_end + 2 + chunk + 2 :]
            data = b"".join(decoded)
        body += len(data)
        crc = zlib.crc32(data, crc)
        if rate_mbps:
            expected = start + body / (rate_mbps * 1e6)
            ahead = expected - time.monotonic()  # read once: it must not turn negative
            if ahead > 0:
                time.sleep(ahead)
    end = time.monotonic()
    for _ in range(50):  # the backend writes its line once it has sent everything
        try:
            head_sent, sent_crc = open(times_file).read().split()
            break
        except (OSError, ValueError):
            time.sleep(0.1)
    else:
        head_sent, sent_crc = "nan", "-1"
    delay_ms = (first_byte - float(head_sent)) * 1000 if first_byte else float("nan")
    print(f"bytes {body} of {size}, crc {'ok' if int(sent_crc) == crc and body == size else 'MISMATCH'}, "
          f"first byte {delay_ms:.1f} ms after the backend's head, {end - start:.1f} s")


if __name__ == "__main__":
    if sys.argv[1] == "backend":
        backend(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
