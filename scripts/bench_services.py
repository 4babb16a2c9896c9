#!/usr/bin/env python3
"""The services the `agent` case of scripts/bench and scripts/soak start for themselves, and the small
helpers both cases use. One piece of code, so that the two cases measure the same processes with
the same configurations: Debian's docker-registry instances, the bearer-token server of the tests
(tests/support/token_server.py), a cosign signing key and one `promote agent`.

What the cases differ in is a parameter here: TLS (the agent case serves its registries and token
server over TLS with a test CA, the soak plain HTTP because its fault proxies speak plain HTTP
upstream), the token realm the registries announce (the token server, or a proxy in front of it),
the token lifetime, the prefix of the environment variables that carry the secrets (BENCH_*,
SOAK_*), the agent's log level, and the log function the progress lines go to.
"""

import base64
import collections
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import threading
import time

USER = "bench"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN_SERVER = os.path.join(ROOT, "tests", "support", "token_server.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The server certificate and key every TLS service of a case presents, and the client context
# that trusts their CA (to ask a registry whether it is up).
ServerTLS = collections.namedtuple("ServerTLS", "cert key context")


class AgentCaseError(Exception):
    """The case could not be set up or measured (as opposed to promotions that failed, which are
    counted and reported)."""


# ---------------------------------------------------------------------------------------------
# Helpers: processes, measurements.


def loadavg():
    return "%.2f %.2f %.2f" % os.getloadavg()


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(1, -(-len(s) * p // 100))  # ceil(len * p / 100), at least 1
    return s[int(k) - 1]


def run(cmd, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if p.returncode != 0:
        raise AgentCaseError(f"{' '.join(cmd)} failed (exit {p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def cpu_seconds(pid):
    """utime + stime of a live process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def random_secret():
    """A fresh password (120 random bits as 24 lowercase base32 characters) for each run."""
    return base64.b32encode(os.urandom(15)).decode().lower()


class Children:
    """Long-running child processes a case started; stopped (by pid) in reverse order."""

    def __init__(self, log):
        self.log = log
        self.procs = []  # (name, Popen)

    def add(self, name, proc):
        self.procs.append((name, proc))
        return proc

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.log(f"{name} (pid {p.pid}) did not stop on SIGTERM within 20 s; killing it")
                    p.kill()
                    p.wait()
        self.procs = []


def read_line(proc, what, timeout=30.0):
    """The first line proc writes on stdout (no sleeping: select on the pipe until the deadline)."""
    deadline = time.monotonic() + timeout
    buf = b""
    fd = proc.stdout.fileno()
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AgentCaseError(f"{what} printed no line within {timeout:.0f} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise AgentCaseError(f"{what} exited (status {proc.wait()}) before printing its first line")
            buf += chunk
    return buf.split(b"\n", 1)[0].decode()


def drain(stream):
    """Reads a pipe to its end in a thread, so a child never blocks on a full pipe."""
    threading.Thread(target=lambda: [None for _ in iter(lambda: stream.read(65536), b"")], daemon=True).start()


# ---------------------------------------------------------------------------------------------
# Services: the token server, registries, the signing key, the agent.


def start_token_server(work, children, name, password, ttl, tls=None):
    """The tests' token server, configured and logging under work/token-server: one user (USER,
    every action), no anonymous tokens, tokens that live ttl seconds; over TLS when tls is given.
    name goes into its issuer and service (`promote-NAME-…`). Returns (Popen, base URL, config):
    the registries need the config's issuer, service and signing certificate to trust its tokens."""
    d = os.path.join(work, "token-server")
    os.makedirs(d, exist_ok=True)
    config = {"issuer": f"promote-{name}-issuer", "service": f"promote-{name}-registry",
              "signing_cert_out": os.path.join(d, "signer.crt"), "ttl_seconds": ttl,
              "users": {USER: {"password": password, "actions": ["*"]}}, "anonymous": "reject"}
    if tls:
        config.update(tls_cert=tls.cert, tls_key=tls.key)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f)
    if not os.path.exists(TOKEN_SERVER):
        raise AgentCaseError(f"{TOKEN_SERVER} is missing (the bearer-token server of the tests)")
    p = children.add("token server", subprocess.Popen(
        ["python3", TOKEN_SERVER, os.path.join(d, "config.json")], stdout=subprocess.PIPE,
        stderr=open(os.path.join(d, "token-server.log"), "wb")))
    line = read_line(p, "the token server")
    m = re.search(rf"listening on ({'https' if tls else 'http'}://\S+)", line)
    if not m:
        raise AgentCaseError(f"token server said {line!r}")
    drain(p.stdout)
    return p, m.group(1), config


def token_auth(realm, token_config):
    """A registry's auth: Bearer tokens of the token server with token_config, which clients are
    sent to ask for at realm (the token server's /token, or a proxy in front of it).
    Returns (what the log calls it, the lines of the auth: section)."""
    c = token_config
    return "token", ["  token:", f"    realm: {realm}", f"    service: {c['service']}",
                     f"    issuer: {c['issuer']}", f"    rootcertbundle: {c['signing_cert_out']}"]


def htpasswd_auth(path):
    """A registry's auth: Basic, against the htpasswd file at path. Returns what token_auth does."""
    return "basic", ["  htpasswd:", "    realm: promote-bench", f"    path: {path}"]


def registry_config(d, addr, auth_lines, tls):
    """docker-registry's config.yml, storage under d: the same for every case but for the TLS
    and auth sections."""
    lines = [
        "version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
        "storage:", "  filesystem:", f"    rootdirectory: {d}/storage", "  delete:", "    enabled: true",
        "  cache:", "    blobdescriptor: inmemory", "  maintenance:", "    uploadpurging:",
        "      enabled: false",
        "http:", f"  addr: {addr}", f"  secret: {os.urandom(16).hex()}",
    ]
    if tls:
        lines += ["  tls:", f"    certificate: {tls.cert}", f"    key: {tls.key}"]
    lines += ["health:", "  storagedriver:", "    enabled: false", "auth:", *auth_lines]
    return "\n".join(lines) + "\n"


def registry_answers(p, host, tls, timeout=15):
    """Whether registry p at host comes up within timeout. It prints nothing when it is ready:
    ask until /v2/ answers 401, which also shows that its auth is on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        try:
            c = (http.client.HTTPSConnection(host, context=tls.context, timeout=2) if tls
                 else http.client.HTTPConnection(host, timeout=2))
            c.request("GET", "/v2/")
            status = c.getresponse().status
            c.close()
            if status == 401:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def start_registry(work, name, ip, auth, children, log, tls=None):
    """docker-registry `name` on ip, its config, storage and log under work/registry-NAME, with
    auth (from token_auth or htpasswd_auth), over TLS when tls is given. The port is a free one
    the registry has to bind after this process let go of it, so another process can take it
    first: up to 5 attempts. Returns (Popen, host:port)."""
    d = os.path.join(work, f"registry-{name}")
    os.makedirs(os.path.join(d, "storage"), exist_ok=True)
    kind, auth_lines = auth
    for attempt in range(5):
        with socket.socket() as s:
            s.bind((ip, 0))
            port = s.getsockname()[1]
        host = f"{ip}:{port}"
        with open(os.path.join(d, "config.yml"), "w") as f:
            f.write(registry_config(d, host, auth_lines, tls))
        errlog = open(os.path.join(d, "registry.log"), "ab")
        p = subprocess.Popen(["docker-registry", "serve", os.path.join(d, "config.yml")],
                             stdout=errlog, stderr=errlog)
        if registry_answers(p, host, tls):
            children.add(f"registry {name}", p)
            log(f"registry {name}: {'https' if tls else 'http'}://{host} ({kind} auth, pid {p.pid})")
            return p, host
        if p.poll() is None:
            p.terminate()
            p.wait()
        log(f"registry {name} on port {port} did not come up (attempt {attempt + 1})")
    raise AgentCaseError(f"could not start registry {name}; see {d}/registry.log")


def make_signing_key(promote, work, key_password):
    """A cosign key pair under work/signing, the private key encrypted with key_password.
    Returns the private key's path."""
    d = os.path.join(work, "signing")
    os.makedirs(d, exist_ok=True)
    key_file = os.path.join(d, "cosign.key")
    run([promote, "keygen", "--output-key", key_file, "--output-pub", os.path.join(d, "cosign.pub")],
        env=dict(os.environ, PROMOTE_KEY_PASSWORD=key_password))
    return key_file


def client_env(work, env_prefix, password, key_file, key_password):
    """The environment of every client process: the CLI (no agent) reads promote.yaml's
    credential (env:PREFIX_REGISTRY_PASSWORD) and signing references from it; a private HOME
    holds no docker config."""
    home = os.path.join(work, "client-home")
    os.makedirs(home, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMOTE_", "DOCKER_", "REGISTRY_AUTH"))}
    env.update({"HOME": home, f"{env_prefix}_REGISTRY_PASSWORD": password,
                "PROMOTE_SIGNING_KEY": key_file, "PROMOTE_KEY_PASSWORD": key_password})
    return env


def agent_config(sock, hosts, env_prefix, key_file, limits, log_level, ca_file):
    """agent.yaml: a unix socket, the registry password and the key's passphrase by reference to
    PREFIX_* variables of the agent's environment (as a deployment would keep them out of the
    file), ca_file only when the registries speak TLS."""
    regs = "".join(f"  - {{host: \"{h}\", username: {USER}, password: env:{env_prefix}_REGISTRY_PASSWORD}}\n"
                   for h in hosts)
    ca = f"ca-file: {ca_file}\n" if ca_file else ""
    return (f"listen: [\"unix://{sock}\"]\nsocket_mode: \"0660\"\n{ca}registries:\n{regs}"
            f"signing: {{key: \"file:{key_file}\", password: env:{env_prefix}_KEY_PASSWORD}}\n"
            f"limits: {{operations: {limits['operations']}, queue: {limits['queue']}, "
            f"jobs: {limits['jobs']}, registry-requests: {limits['registry_requests']}}}\n"
            f"log: {{format: json, level: {log_level}}}\n")


def start_agent(promote, work, children, *, hosts, env_prefix, password, key_file, key_password, limits,
                log_level, health_env, ca_file=None):
    """`promote agent` with its config, HOME and log under work/agent: credentials for hosts (the
    registries, or the proxies in front of them) and the signing key, limits and log level as
    given. Ready when it has printed where it listens and `promote health` (run with health_env)
    says SERVING. Returns (Popen, address, log path, the health answer)."""
    d = os.path.join(work, "agent")
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "agent.yaml")
    with open(cfg, "w") as f:
        f.write(agent_config(os.path.join(d, "agent.sock"), hosts, env_prefix, key_file, limits, log_level, ca_file))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROMOTE_", "DOCKER_"))}
    env.update({"HOME": d, f"{env_prefix}_REGISTRY_PASSWORD": password, f"{env_prefix}_KEY_PASSWORD": key_password})
    agent_log = os.path.join(d, "agent.log")
    p = children.add("agent", subprocess.Popen([promote, "agent", "-c", cfg], env=env, stdout=subprocess.PIPE,
                                               stderr=open(agent_log, "wb")))
    line = read_line(p, "promote agent")
    try:
        address = json.loads(line)["listening"][0]
    except (ValueError, KeyError, TypeError, IndexError):
        raise AgentCaseError(f"promote agent's first line is not {{\"listening\": [...]}}: {line!r}")
    drain(p.stdout)
    health = subprocess.run([promote, "--agent", address, "health"], capture_output=True, text=True, env=health_env)
    if health.returncode != 0 or "SERVING" not in health.stdout:
        raise AgentCaseError(f"promote health: exit {health.returncode}: {health.stdout} {health.stderr}")
    return p, address, agent_log, health.stdout.strip()


def stop_agent(p, timeout):
    """SIGTERM, as a supervisor would; returns the exit status (None when it had to be killed
    after timeout seconds)."""
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None
