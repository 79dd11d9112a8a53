#!/usr/bin/env python3
"""A loopback HTTP/1.1 file server that misbehaves on request, for the snapshot tests.

server.py --root DIR --port-file FILE --log FILE [--faults FAULTS.json] [--connections FILE]

Serves the files under DIR on 127.0.0.1 (an ephemeral port, written to --port-file once
listening). FAULTS.json maps a URL path to a list of behaviours, one per attempt on that
path, the last one repeating:
  "ok"                  serve the file (honouring "Range: bytes=N-" and "bytes=N-M")
  "full"                serve the whole file with 200, ignoring any Range header
  "404", "500", ...     that status, with a short body
  "cut"                 the full Content-Length, about half the body, then close
  "stall:SECONDS"       half the body, then sleep, then close
  "slow:MS"             the body in 1 KiB pieces, MS apart
  "wrong"               the same length, one byte changed
  "redirect:/path"      302 to /path
  "reset"               close the connection (RST) without a response
Every request is logged as one JSON line: {"path", "range", "behaviour", "status"}.
--connections FILE gets one line per accepted connection, request or not.
"""

import argparse
import http.server
import json
import os
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.parse

CHUNK = 1024
BEHAVIOUR = re.compile(r"ok|full|cut|wrong|reset|[1-5]\d\d|stall:\d+(\.\d+)?|slow:\d+"
                       r"|redirect:/\S*")


class State:
    def __init__(self, root, faults, log_path, conn_path):
        self.root = os.path.realpath(root)
        self.faults = faults
        self.attempts = {}
        self.lock = threading.Lock()
        self.log = open(log_path, "a", encoding="utf-8")
        self.conns = open(conn_path, "a", encoding="utf-8") if conn_path else None

    def next_behaviour(self, path):
        with self.lock:
            plan = self.faults.get(path) or ["ok"]
            n = self.attempts.get(path, 0)
            self.attempts[path] = n + 1
            return plan[min(n, len(plan) - 1)]

    def record(self, entry):
        with self.lock:
            self.log.write(json.dumps(entry) + "\n")
            self.log.flush()

    def record_connection(self, peer):
        if self.conns:
            with self.lock:
                self.conns.write(json.dumps({"peer": "%s:%d" % peer[:2]}) + "\n")
                self.conns.flush()


def parse_range(header, size):
    """(start, end) inclusive for a single "bytes=N-" or "bytes=N-M" range; None to ignore
    the header (RFC 9110 14.2 allows serving the whole file); "unsatisfiable" for 416."""
    m = re.fullmatch(r"bytes=(\d+)-(\d*)", header.strip()) if header else None
    if not m:
        return None
    start = int(m.group(1))
    end = int(m.group(2)) if m.group(2) else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hm-snapshot-test/1"
    entry = None  # this request's log line until it is written
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK wait on the last segment

    def log_message(self, fmt, *args):
        pass  # the JSON log is the record; stderr stays quiet

    def do_GET(self):
        state = self.server.state
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        behaviour = state.next_behaviour(path)
        rng = self.headers.get("Range")
        self.entry = {"path": path, "range": rng, "behaviour": behaviour, "status": None}
        try:
            self.respond(path, behaviour, rng)
        finally:
            self.record()

    def send_response(self, code, message=None):
        # Logged as the status goes out, so that a stalled body is in the log already.
        if self.entry:
            self.entry["status"] = code
        self.record()
        super().send_response(code, message)

    def record(self):
        if self.entry:
            self.server.state.record(self.entry)
            self.entry = None

    def respond(self, path, behaviour, rng):
        kind, _, arg = behaviour.partition(":")
        if kind == "reset":
            # SO_LINGER 0: close() sends an RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.server.resets.add(self.connection)
            self.close_connection = True
            return
        if kind.isdigit():
            return self.send_status(int(kind))
        if kind == "redirect":
            self.send_response(302)
            self.send_header("Location", arg)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.read_file(path)
        if body is None:
            return self.send_status(404)
        self.send_body(body, rng, kind, arg)

    def read_file(self, path):
        full = os.path.realpath(os.path.join(self.server.state.root, path.lstrip("/")))
        if not full.startswith(self.server.state.root + os.sep) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def send_status(self, code):
        body = ("%d from the test server\n" % code).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_body(self, body, rng, kind, arg):
        size = len(body)
        r = None if kind == "full" else parse_range(rng, size)
        if r == "unsatisfiable":
            self.send_response(416)
            self.send_header("Content-Range", "bytes */%d" % size)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status = 200
        if r:
            status = 206
            body = body[r[0]:r[1] + 1]
        if kind == "wrong" and body:
            mid = len(body) // 2
            body = body[:mid] + bytes([body[mid] ^ 0x5A]) + body[mid + 1:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if r:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (r[0], r[1], size))
        self.end_headers()
        if kind in ("cut", "stall"):
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            if kind == "stall":
                time.sleep(float(arg))
            self.close_connection = True
        elif kind == "slow":
            for off in range(0, len(body), CHUNK):
                self.wfile.write(body[off:off + CHUNK])
                self.wfile.flush()
                time.sleep(float(arg) / 1000)
        else:
            self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.resets = set()

    def shutdown_request(self, request):
        # The default sends a FIN first (shutdown(SHUT_WR)); a reset must not.
        if request in self.resets:
            self.resets.discard(request)
            self.close_request(request)
        else:
            super().shutdown_request(request)

    def verify_request(self, request, client_address):
        self.state.record_connection(client_address)
        return True

    def handle_error(self, request, client_address):
        pass  # clients that hang up mid-body are what these tests are about


def load_faults(path):
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        faults = json.load(f)
    for key, plan in faults.items():
        if not isinstance(plan, list) or not plan or not all(
                isinstance(b, str) and BEHAVIOUR.fullmatch(b) for b in plan):
            sys.exit("server.py: %s: %s: want a non-empty list of behaviours, not %r"
                     % (path, key, plan))
    return faults


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--faults")
    ap.add_argument("--connections")
    args = ap.parse_args()

    server = Server(("127.0.0.1", 0), Handler)
    server.state = State(args.root, load_faults(args.faults), args.log, args.connections)

    def on_term(signum, frame):
        # shutdown() waits for serve_forever() to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)
    server.serve_forever(poll_interval=0.1)
    server.server_close()


if __name__ == "__main__":
    main()
