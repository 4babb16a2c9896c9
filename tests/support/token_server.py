#!/usr/bin/env python3
"""Bearer token server for promote's integration tests.

Implements the token protocol that the CNCF distribution registry delegates to
(docs/spec/auth/token.md and jwt.md in distribution): a client that got
`401 WWW-Authenticate: Bearer realm=...,service=...,scope=...` from the registry asks

    GET <realm>?service=<service>&scope=repository:<name>:pull,push[&scope=...]

with HTTP Basic credentials, and receives
{"token", "access_token", "expires_in", "issued_at"}. The token is a JWT signed
with ES256; its header carries the signing certificate in `x5c` (which the
registry checks against its `rootcertbundle`, the file written to
`signing_cert_out`) and its libtrust key ID in `kid`.

Policy: a known user with the right password gets, for each requested scope,
the requested actions that the user is allowed (users[name].actions; "*" in
that list allows everything), on the repositories it may use
(users[name].repositories: namespaces such as "stage", covering "stage/app";
absent: all), as a robot account per project has them. Wrong credentials get 401. Anonymous requests
(no Authorization header) get a token with an empty access list, as Docker Hub
and most registries do, unless "anonymous" is "reject", in which case 401.

Also serves GET /stats: JSON counters, so tests can assert that a client
caches and refreshes tokens.

Usage: token_server.py CONFIG.json
CONFIG: {"issuer", "service", "signing_cert_out", "ttl_seconds",
         "users": {name: {"password", "actions", "repositories"?}}, "anonymous": "token"|"reject",
         "tls_cert", "tls_key" (both optional: HTTPS when set)}
It binds 127.0.0.1 on a port of its own choosing and prints
"token server listening on <scheme>://127.0.0.1:<port>" on stdout when ready.
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def libtrust_key_id(public_key):
    """The key ID format of docker/libtrust: base32 of the first 240 bits of
    SHA-256(DER SubjectPublicKeyInfo), in groups of 4 separated by ':'."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode("ascii")
    return ":".join(b32[i : i + 4] for i in range(0, len(b32), 4))


class Signer:
    """An ES256 key with a self-signed certificate; the certificate is both the
    token's x5c chain and the registry's rootcertbundle."""

    def __init__(self, cert_out):
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "promote test token signer")])
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        tmp = cert_out + ".tmp"
        with open(tmp, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        os.replace(tmp, cert_out)
        self.x5c = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")]
        self.kid = libtrust_key_id(self.key.public_key())

    def sign_jwt(self, claims):
        header = {"typ": "JWT", "alg": "ES256", "kid": self.kid, "x5c": self.x5c}
        signing_input = (
            b64url(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + b64url(json.dumps(claims, separators=(",", ":")).encode())
        )
        der = self.key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        # JWS wants the raw r||s concatenation, not DER (RFC 7518 section 3.4).
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def parse_scope(scope):
    """'repository:shop/app:pull,push' -> ('repository', 'shop/app', ['pull', 'push']).
    The name is everything between the first and the last ':' (names may hold ':'
    only in theory, but splitting this way is what distribution does)."""
    first = scope.find(":")
    last = scope.rfind(":")
    if first <= 0 or last == first:
        return None
    actions = [a for a in scope[last + 1 :].split(",") if a]
    return scope[:first], scope[first + 1 : last], actions


class State:
    def __init__(self, config):
        self.config = config
        self.signer = Signer(config["signing_cert_out"])
        self.lock = threading.Lock()
        self.stats = {
            "requests": 0,
            "issued": 0,
            "issued_anonymous": 0,
            "rejected": 0,
            "bad_request": 0,
            "scopes": [],
        }

    def count(self, key, scopes=None):
        with self.lock:
            self.stats[key] += 1
            if scopes is not None:
                self.stats["scopes"].extend(scopes)
                del self.stats["scopes"][:-1000]

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.stats))


def make_handler(state):
    config = state.config

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "promote-test-token-server"

        def send_json(self, status, body, extra_headers=()):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra_headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self):  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            if url.path == "/stats":
                self.send_json(200, state.snapshot())
                return
            if url.path != "/token":
                self.send_json(404, {"details": "not found: " + url.path})
                return
            self.issue(parse_qs(url.query))

        def do_POST(self):  # noqa: N802
            # The OAuth2 form (POST) is optional in the protocol; clients fall back to GET.
            self.send_json(405, {"details": "use GET"}, [("Allow", "GET")])

        def authenticate(self):
            """Returns (username, ok). username is None for anonymous."""
            header = self.headers.get("Authorization")
            if header is None:
                return None, True
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                return "", False
            try:
                user, sep, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                return "", False
            entry = config["users"].get(user)
            if not sep or entry is None:
                return user, False
            return user, hmac.compare_digest(entry["password"].encode(), password.encode())

        def issue(self, query):
            scopes = []
            for value in query.get("scope", []):
                scopes.extend(s for s in value.split(" ") if s)
            state.count("requests", scopes)
            if query.get("service", [""])[0] != config["service"]:
                state.count("bad_request")
                self.send_json(400, {"details": "unknown service; expected " + config["service"]})
                return
            user, ok = self.authenticate()
            if not ok or (user is None and config.get("anonymous", "token") == "reject"):
                state.count("rejected")
                self.send_json(
                    401,
                    {"details": "incorrect username or password"},
                    [("WWW-Authenticate", 'Basic realm="promote-test-token-server"')],
                )
                return
            allowed = set(config["users"][user]["actions"]) if user is not None else set()
            namespaces = config["users"][user].get("repositories") if user is not None else None
            access = []
            for scope in scopes:
                parsed = parse_scope(scope)
                if parsed is None:
                    state.count("bad_request")
                    self.send_json(400, {"details": "malformed scope: " + scope})
                    return
                kind, name, actions = parsed
                granted = [a for a in actions if "*" in allowed or a in allowed]
                if namespaces is not None and not any(name == ns or name.startswith(ns + "/") for ns in namespaces):
                    granted = []
                access.append({"type": kind, "name": name, "actions": granted})
            now = int(time.time())
            ttl = int(config["ttl_seconds"])
            claims = {
                "iss": config["issuer"],
                "sub": user or "",
                "aud": config["service"],
                "exp": now + ttl,
                "nbf": now,
                "iat": now,
                "jti": b64url(os.urandom(16)),
                "access": access,
            }
            token = state.signer.sign_jwt(claims)
            state.count("issued" if user is not None else "issued_anonymous")
            issued_at = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
            self.send_json(
                200,
                {
                    "token": token,
                    "access_token": token,
                    "expires_in": ttl,
                    "issued_at": issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            )

        def log_message(self, format, *args):  # noqa: A002 (base class signature)
            # The request line holds no secret (credentials travel in a header).
            sys.stderr.write("token-server %s - %s\n" % (self.address_string(), format % args))

    return Handler


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: token_server.py CONFIG.json\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    state = State(config)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    scheme = "http"
    if config.get("tls_cert"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(config["tls_cert"], config["tls_key"])
        # Handshake in the request thread, so one stalled client cannot block accept().
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        scheme = "https"
    port = server.server_address[1]
    print("token server listening on %s://127.0.0.1:%d" % (scheme, port), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
