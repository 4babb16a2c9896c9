#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for tests: sits between promote and a real registry on loopback
and, for requests matching a rule, misbehaves in a chosen way.

Usage: fault_proxy.py UPSTREAM_URL RULES_JSON

Listens on 127.0.0.1 (a free port), prints one line {"port": N} on stdout when ready, then one
line per rule hit: {"hit": RULE_INDEX, "method": M, "path": P, "fault": F, "t": SECONDS} (t on the
monotonic clock, for tests of how long promote waited). Rules are read from
the RULES_JSON file on every request, so a test can change them while the proxy runs. A rule:

  {"method": "PUT", "path": "/blobs/uploads/", "fault": "status", "status": 503,
   "retry_after": "1", "times": 2}

matches when `method` (optional) equals the request method and `path` (a regular expression,
optional) is found in the request target; `times` (optional) bounds how often it fires and
`probability` (optional, 0..1) makes it fire on that share of matching requests. Faults:
  status    answer `status` (with Retry-After when `retry_after` is set) without forwarding; the
            body is a registry error with code `error` (default UNAVAILABLE), none for HEAD
  reset     close the connection without answering (after reading the request)
  stall     hold the request until the client goes away (nothing is forwarded)
  truncate  forward, then send only the first half of the response body and close
  flip      forward, then flip one byte in the middle of the response body
  drip      forward, then send the response body slowly (`bytes_per_second`, default 2048)
  drop      forward nothing and close every connection from now on (the registry is gone)
  unauth    forward without the Authorization header, so the registry answers its own 401 (a
            bearer token that expired early)
  redirect  answer 307 with Location: `location` (a registry redirecting somewhere else)
  huge      answer 200 with Content-Length: `length` (default 10^12) and a few bytes, then close
  note      forward as usual: the rule only records the request (with its time)
  body      answer 200 with `body` (a string) as `content_type` without forwarding: a registry
            serving other bytes than the ones asked for

Plain HTTP only: promote's loopback registries are spoken to over HTTP.
"""
import http.client
import json
import random
import re
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

UPSTREAM = urllib.parse.urlsplit(sys.argv[1])
RULES_PATH = sys.argv[2]
LOCK = threading.Lock()
FIRED = {}
DROPPED = threading.Event()

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "expect"}


def emit(obj):
    with LOCK:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def load_rules():
    try:
        with open(RULES_PATH) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def match(method, target):
    rules = load_rules()
    for i, r in enumerate(rules):
        if r.get("method") and r["method"] != method:
            continue
        if r.get("path") and not re.search(r["path"], target):
            continue
        if "probability" in r and random.random() >= float(r["probability"]):
            continue
        with LOCK:
            n = FIRED.get(i, 0)
            if "times" in r and n >= r["times"]:
                continue
            FIRED[i] = n + 1
        emit({"hit": i, "method": method, "path": target, "fault": r.get("fault"), "t": time.monotonic()})
        return r
    return None


def read_line(f):
    line = f.readline(65537)
    if not line:
        raise EOFError
    return line


def read_body(f, headers):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            size = int(read_line(f).split(b";")[0].strip(), 16)
            if size == 0:
                while read_line(f) not in (b"\r\n", b"\n"):
                    pass
                return bytes(out)
            out += f.read(size)
            read_line(f)
    n = int(headers.get("content-length", "0") or 0)
    return f.read(n) if n else b""


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        upstream = None
        # The registry comes back once the test removes the drop rule.
        if DROPPED.is_set() and not any(r.get("fault") == "drop" for r in load_rules()):
            DROPPED.clear()
        try:
            while not DROPPED.is_set():
                request_line = read_line(self.rfile).decode("latin-1").rstrip("\r\n")
                if not request_line:
                    continue
                method, target, _ = request_line.split(" ", 2)
                headers, raw_headers = {}, []
                while True:
                    line = read_line(self.rfile).decode("latin-1").rstrip("\r\n")
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                    raw_headers.append((name.strip(), value.strip()))
                body = read_body(self.rfile, headers)
                rule = match(method, target)
                fault = rule.get("fault") if rule else None
                if fault == "drop":
                    DROPPED.set()
                    return
                if fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    return
                if fault == "stall":
                    # Hold the request: wait until the client closes the connection.
                    while self.connection.recv(65536):
                        pass
                    return
                if fault == "status":
                    extra = ""
                    if rule.get("retry_after") is not None:
                        extra = "Retry-After: %s\r\n" % rule["retry_after"]
                    payload = json.dumps({"errors": [{"code": rule.get("error", "UNAVAILABLE"),
                                                      "message": "injected fault"}]}).encode()
                    if method == "HEAD":
                        payload = b""
                    self.wfile.write(("HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\n%s"
                                      "Content-Length: %d\r\n\r\n" % (rule.get("status", 503), extra,
                                                                      len(payload))).encode() + payload)
                    self.wfile.flush()
                    continue
                if fault == "redirect":
                    self.wfile.write(("HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
                                      % rule.get("location", "http://203.0.113.1/")).encode())
                    self.wfile.flush()
                    continue
                if fault == "huge":
                    self.wfile.write(("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                                      "Docker-Content-Digest: sha256:%s\r\nContent-Length: %d\r\n\r\n{\"schemaVersion\""
                                      % ("0" * 64, int(rule.get("length", 10 ** 12)))).encode())
                    self.wfile.flush()
                    return
                if fault == "body":
                    payload = rule.get("body", "").encode()
                    self.wfile.write(("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                                      % (rule.get("content_type", "application/octet-stream"), len(payload))).encode()
                                     + (payload if method != "HEAD" else b""))
                    self.wfile.flush()
                    continue
                if fault == "unauth":
                    raw_headers = [(n, v) for n, v in raw_headers if n.lower() != "authorization"]
                if upstream is None:
                    upstream = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
                send_headers = {n: v for n, v in raw_headers if n.lower() not in HOP_BY_HOP and n.lower() != "content-length"}
                send_headers["Content-Length"] = str(len(body))
                upstream.request(method, target, body=body, headers=send_headers)
                resp = upstream.getresponse()
                # Read to the end even for HEAD (b""), so the kept-alive upstream connection is ready
                # for the next request.
                data = resp.read()
                out_headers = [(n, v) for n, v in resp.getheaders() if n.lower() not in HOP_BY_HOP]
                length = None
                for n, v in out_headers:
                    if n.lower() == "content-length":
                        length = v
                if method != "HEAD":
                    out_headers = [(n, v) for n, v in out_headers if n.lower() != "content-length"]
                    out_headers.append(("Content-Length", str(len(data))))
                head = "HTTP/1.1 %d %s\r\n" % (resp.status, resp.reason)
                head += "".join("%s: %s\r\n" % (n, v) for n, v in out_headers) + "\r\n"
                self.wfile.write(head.encode("latin-1"))
                if fault == "truncate" and data:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    return
                if fault == "flip" and data:
                    mid = len(data) // 2
                    data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
                if fault == "drip" and data:
                    rate = int(rule.get("bytes_per_second", 2048))
                    step = max(1, rate // 10)
                    for i in range(0, len(data), step):
                        self.wfile.write(data[i:i + step])
                        self.wfile.flush()
                        time.sleep(0.1)
                else:
                    self.wfile.write(data)
                self.wfile.flush()
                del length
        except (EOFError, ConnectionError, OSError, ValueError):
            return
        finally:
            if upstream is not None:
                upstream.close()


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    emit({"port": server.server_address[1]})
    server.serve_forever()


if __name__ == "__main__":
    main()
