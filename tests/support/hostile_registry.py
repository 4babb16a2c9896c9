#!/usr/bin/env python3
"""A hostile registry for tests: a front on 127.0.0.1 that speaks for a real registry (it forwards
to UPSTREAM, a docker-registry without auth) but misbehaves where a test asks it to, plus a
second listener on another port (the "side": another origin of the same host) that records
whatever reaches it. Every request to either listener is recorded with all its headers, so a
test can assert that credentials went nowhere they do not belong.

Usage: hostile_registry.py CONFIG_JSON_FILE

Config (JSON):
  upstream      "http://127.0.0.1:PORT", the real registry requests are forwarded to
  tls           {"cert": PEM, "key": PEM}: the front speaks HTTPS (the side never does)
  side_tls      the same for the side listener
  username, password   when set, the front demands Basic auth with these (401 + challenge
                otherwise) before forwarding; the side never checks credentials
  rules         a list, first match wins, matched on the front only:
                {"method": M (optional), "path": REGEX (optional, searched in the target), ...}
                with one action:
      "respond": {"status": N, "headers": {...}, "body": STRING}   answer without forwarding
      "redirect": BASE       answer 307 to BASE + the same target (GET blobs to another origin)
      "tags": {"page_bytes": N, "pages": N}   answer tags/list with pages of about N bytes of
                             short tags each, linked by Link: rel="next", `pages` in all
      "forward": {"add_headers": {...}, "location_base": BASE}   forward, then add headers to the
                             answer and/or move its Location header to BASE (same path and query)
  In BASE and header values, {port} and {side_port} are replaced by the listeners' ports.
  referrers_api true: the front also serves the OCI 1.1 referrers API that distribution 2.8
                lacks: every manifest the upstream accepts with a `subject` is remembered and
                answered with OCI-Subject, and GET /v2/<name>/referrers/<digest>[?artifactType=]
                returns an image index of them (filtered, with OCI-Filters-Applied)

Prints {"port": N, "side_port": M} on stdout when both listen, then one line per request:
  {"listener": "front"|"side", "method": M, "target": T, "headers": {lower-cased name: value}}
Loopback only; the side forwards to UPSTREAM as well (without checking anything).
"""
import base64
import hashlib
import http.client
import json
import re
import socketserver
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

CONFIG = json.load(open(sys.argv[1]))
UPSTREAM = urllib.parse.urlsplit(CONFIG["upstream"]) if CONFIG.get("upstream") else None
LOCK = threading.Lock()
PORTS = {}
TAG_PAGE = {}
REFERRERS = {}  # (repository, subject digest) -> {referrer digest: descriptor}
REFERRERS_PATH = re.compile(r"^/v2/(.+)/referrers/(sha256:[0-9a-f]{64})(\?.*)?$")
MANIFEST_PUT_PATH = re.compile(r"^/v2/(.+)/manifests/[^/?]+$")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
              "expect", "content-length"}


def emit(obj):
    with LOCK:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def fill(text):
    return text.replace("{port}", str(PORTS.get("front", 0))).replace("{side_port}", str(PORTS.get("side", 0)))


def tag_page(size):
    # Short distinct tags ("t0000000", ...) filling about `size` bytes: the most tags per byte.
    with LOCK:
        if size not in TAG_PAGE:
            n = max(1, size // 11)
            TAG_PAGE[size] = ('{"name":"app","tags":[' + ",".join('"t%07d"' % i for i in range(n)) + "]}").encode()
        return TAG_PAGE[size]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    listener = "front"
    tls = False

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def answer(self, status, headers, body):
        self.send_response_only(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def forward(self, body):
        if UPSTREAM is None:
            return self.answer(404, [("Content-Type", "application/json")], b'{"errors":[{"code":"NAME_UNKNOWN"}]}')
        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=120)
        try:
            # Host is kept, and the scheme passed on, so that the registry's Locations name this
            # listener, as they would for a registry serving here itself.
            headers = {n: v for n, v in self.headers.items() if n.lower() not in HOP_BY_HOP | {"authorization"}}
            headers["Content-Length"] = str(len(body))
            headers["X-Forwarded-Proto"] = "https" if self.tls else "http"
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = [(n, v) for n, v in resp.getheaders() if n.lower() not in HOP_BY_HOP]
            return resp.status, out, data
        finally:
            conn.close()

    def serve_referrers(self, match):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        wanted = query.get("artifactType", [None])[0]
        with LOCK:
            found = list(REFERRERS.get((match.group(1), match.group(2)), {}).values())
        headers = [("Content-Type", "application/vnd.oci.image.index.v1+json")]
        if wanted is not None:
            found = [d for d in found if d.get("artifactType") == wanted]
            headers.append(("OCI-Filters-Applied", "artifactType"))
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": found}
        return self.answer(200, headers, json.dumps(index).encode())

    def note_referrer(self, body, headers):
        # Called after the upstream stored a manifest: remember it when it names a subject.
        match = MANIFEST_PUT_PATH.match(self.path)
        try:
            doc = json.loads(body)
        except ValueError:
            return headers
        if not match or not isinstance(doc, dict) or not isinstance(doc.get("subject"), dict):
            return headers
        descriptor = {"mediaType": doc.get("mediaType") or self.headers.get("Content-Type", ""),
                      "digest": "sha256:" + hashlib.sha256(body).hexdigest(), "size": len(body)}
        artifact_type = doc.get("artifactType") or (doc.get("config") or {}).get("mediaType")
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if doc.get("annotations"):
            descriptor["annotations"] = doc["annotations"]
        subject = doc["subject"].get("digest", "")
        with LOCK:
            REFERRERS.setdefault((match.group(1), subject), {})[descriptor["digest"]] = descriptor
        return headers + [("OCI-Subject", subject)]

    def authorized(self):
        user = CONFIG.get("username")
        if not user:
            return True
        expected = "Basic " + base64.b64encode(("%s:%s" % (user, CONFIG["password"])).encode()).decode()
        return self.headers.get("Authorization", "") == expected

    def handle_any(self):
        body = self.read_body()
        emit({"listener": self.listener, "method": self.command, "target": self.path,
              "headers": {n.lower(): v for n, v in self.headers.items()}})
        if self.listener == "side":
            status, headers, data = self.forward(body)
            return self.answer(status, headers, data)
        rule = None
        for r in CONFIG.get("rules", []):
            if r.get("method") and r["method"] != self.command:
                continue
            if r.get("path") and not re.search(r["path"], self.path):
                continue
            rule = r
            break
        if rule is not None and "respond" in rule:
            spec = rule["respond"]
            headers = [(n, fill(v)) for n, v in spec.get("headers", {}).items()]
            return self.answer(spec.get("status", 200), headers, spec.get("body", "").encode())
        if not self.authorized():
            return self.answer(401, [("WWW-Authenticate", 'Basic realm="hostile"'),
                                     ("Content-Type", "application/json")],
                               b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
        if rule is not None and "redirect" in rule:
            return self.answer(307, [("Location", fill(rule["redirect"]) + self.path)], b"")
        if rule is not None and "tags" in rule:
            spec = rule["tags"]
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            page = int(query.get("page", ["0"])[0])
            headers = [("Content-Type", "application/json")]
            if page + 1 < spec.get("pages", 1):
                headers.append(("Link", '</v2/app/tags/list?n=1000&page=%d>; rel="next"' % (page + 1)))
            return self.answer(200, headers, tag_page(int(spec.get("page_bytes", 1024))))
        referrers = REFERRERS_PATH.match(self.path) if CONFIG.get("referrers_api") else None
        if referrers and self.command == "GET":
            return self.serve_referrers(referrers)
        status, headers, data = self.forward(body)
        if CONFIG.get("referrers_api") and self.command == "PUT" and status == 201:
            headers = self.note_referrer(body, headers)
        if rule is not None and "forward" in rule:
            spec = rule["forward"]
            base = spec.get("location_base")
            if base:
                moved = []
                for n, v in headers:
                    if n.lower() == "location":
                        parts = urllib.parse.urlsplit(v)
                        v = fill(base) + parts.path + ("?" + parts.query if parts.query else "")
                    moved.append((n, v))
                headers = moved
            headers += [(n, fill(v)) for n, v in spec.get("add_headers", {}).items()]
        return self.answer(status, headers, data)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class SideHandler(Handler):
    listener = "side"


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def listen(handler, tls):
    server = Server(("127.0.0.1", 0), handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls["cert"], tls["key"])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    return server


def main():
    Handler.tls = bool(CONFIG.get("tls"))
    SideHandler.tls = bool(CONFIG.get("side_tls"))
    front = listen(Handler, CONFIG.get("tls"))
    side = listen(SideHandler, CONFIG.get("side_tls"))
    PORTS["front"] = front.server_address[1]
    PORTS["side"] = side.server_address[1]
    threading.Thread(target=side.serve_forever, daemon=True).start()
    emit({"port": PORTS["front"], "side_port": PORTS["side"]})
    front.serve_forever()


if __name__ == "__main__":
    main()
