#!/usr/bin/env python3
"""A registry-shaped HTTP server on 127.0.0.1 that serves nothing and remembers everything.

Every request it receives is written to stdout as one JSON line (method, path, all headers, the
body as text), and answered 401 with a Basic challenge, so a client that holds credentials for
it sends them. Tests point a request at it as "the caller's own registry" and then search its
log for secrets that must never reach it. Prints {"port": N} once it listens.

usage: request_recorder.py
"""
import http.server
import json
import socketserver
import sys


class Recorder(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _record_and_refuse(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        print(json.dumps({"request": {"method": self.command, "path": self.path,
                                      "headers": dict(self.headers.items()),
                                      "body": body.decode("utf-8", "replace")}}), flush=True)
        payload = b'{"errors":[{"code":"UNAUTHORIZED","message":"recorded"}]}'
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="recorder"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _record_and_refuse

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    server = Server(("127.0.0.1", 0), Recorder)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
