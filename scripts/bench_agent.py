#!/usr/bin/env python3
"""The `agent` case of scripts/bench: N configured promotions (`promote run`, dev -> stage) through
ONE long-running `promote agent` by C concurrent client processes, against N separate embedded CLI
runs (no --agent) with the same concurrency, on the same images into fresh targets.

The setting is the one the agent is for: registries that speak TLS (a test CA made with openssl)
and need authentication (Bearer tokens from a token server by default, or htpasswd Basic auth), so
that what the agent keeps between operations — TLS connections and sessions, registry tokens, the
decrypted signing key, a warm process — is what the comparison measures.

Not timed: the CA, the token server, the two registries (dev and stage, each on its own port), a
signing key, N distinct images (a few small layers each, one commit SHA tag each) pushed to dev
with skopeo, and their promotion records in dev (`promote run --branch develop`, through the agent),
which the stage-order gate of every timed promotion checks.

Timed, in each round and for each mode (modes alternate which goes first): N × `promote -o json run
--config promote.yaml --branch release/1.0 --sha SHA --to stage`, C at a time, into stage
repositories no earlier run has written. Reported per mode: throughput (promotions/s over the
wall time from the first start to the last exit), p50 and p99 of the per-promotion latency (process
start to exit, as a pipeline step sees it), failures, and digests that differ from the source (every
target tag is checked with a HEAD by tag against the source digest). Also, as a profile of where
the time goes: CPU seconds per promotion of the client processes, the agent, the registries and
the token server; token requests and TCP connections accepted per promotion.

Layouts (--agent-layout): `one` — every commit is a build of one application (one promote.yaml,
one repository; the version tag from the branch is off, since 100 commits cannot all be 1.0);
`many` — every image is its own application (its own promote.yaml and repository, all released
as 1.0), so no registry token can be shared between two promotions.
"""

import concurrent.futures
import base64
import http.client
import json
import os
import re
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import time
import sys
import urllib.parse

from bench_services import (USER, AgentCaseError, Children, ServerTLS, client_env, cpu_seconds, htpasswd_auth,
                            loadavg, make_signing_key, percentile, random_secret, run, start_agent,
                            start_registry, start_token_server, stop_agent, token_auth)
from oci_layout import MT_INDEX, MT_MANIFEST, ImageSpec, build_layout

ACCEPT = ", ".join([
    MT_INDEX, MT_MANIFEST,
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
KIB = 1024


def log(msg):
    print(f"[bench agent] {msg}", file=sys.stderr, flush=True)


def host_address():
    """A non-loopback address of this machine, so that promote treats the registries as remote
    (TLS only, as in production) instead of trying plain HTTP first as it does for 127.0.0.0/8.
    Falls back to 127.0.0.1 when the machine has no other address."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout.split()
    except OSError:
        out = []
    for a in out:
        if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", a) and not a.startswith("127."):
            try:
                with socket.socket() as s:
                    s.bind((a, 0))
                return a
            except OSError:
                continue
    return "127.0.0.1"


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def peak_rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def tcp_passive_opens():
    """Tcp PassiveOpens of this network namespace: connections accepted so far, by anyone."""
    try:
        with open("/proc/net/snmp") as f:
            lines = [ln.split() for ln in f if ln.startswith("Tcp:")]
        return int(lines[1][lines[0].index("PassiveOpens")])
    except (OSError, IndexError, ValueError):
        return 0


# ---------------------------------------------------------------------------------------------
# Services: the CA here; the token server, registries and the agent in bench_services.


def make_ca(d, ip):
    """A test CA and one server certificate for ip, 127.0.0.1 and localhost (P-256, openssl CLI)."""
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.crt", "-days", "2",
         "-subj", "/CN=promote bench CA", "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    run(["openssl", "req", "-new", *ec, "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr",
         "-subj", "/CN=promote bench registry"])
    with open(f"{d}/server.ext", "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                f"extendedKeyUsage=serverAuth\nsubjectAltName=IP:{ip},IP:127.0.0.1,DNS:localhost\n")
    run(["openssl", "x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.crt", "-CAkey", f"{d}/ca.key",
         "-CAcreateserial", "-out", f"{d}/server.crt", "-days", "2", "-extfile", f"{d}/server.ext"])
    # skopeo's --dest-cert-dir form: a directory holding ca.crt.
    os.makedirs(f"{d}/certs.d", exist_ok=True)
    shutil.copy(f"{d}/ca.crt", f"{d}/certs.d/ca.crt")


class Setting:
    """Everything the case starts: TLS registries dev and stage, their auth, the agent."""

    def __init__(self, work, promote, auth, ip):
        self.work = work
        self.promote = promote
        self.auth = auth
        self.ip = ip
        self.children = Children(log)
        self.password = random_secret()
        self.key_password = random_secret()
        self.ca_dir = os.path.join(work, "ca")
        self.ca = os.path.join(self.ca_dir, "ca.crt")
        self.ssl = None
        self.token_server = None      # (Popen, base URL)
        self.registries = {}          # name -> (Popen, host:port)
        self.agent = None             # Popen
        self.agent_address = None

    # -- start --

    def start(self):
        make_ca(self.ca_dir, self.ip)
        self.ssl = ssl.create_default_context(cafile=self.ca)
        tls = ServerTLS(os.path.join(self.ca_dir, "server.crt"), os.path.join(self.ca_dir, "server.key"), self.ssl)
        if self.auth == "token":
            p, url, config = start_token_server(self.work, self.children, "bench", self.password, 900, tls)
            self.token_server = (p, url)
            log(f"token server {url} (pid {p.pid})")
            auth = token_auth(f"{url}/token", config)
        else:
            htpasswd = os.path.join(self.work, "htpasswd")
            run(["htpasswd", "-Bbc", htpasswd, USER, self.password])
            auth = htpasswd_auth(htpasswd)
        for name in ("dev", "stage"):
            self.registries[name] = start_registry(self.work, name, self.ip, auth, self.children, log, tls)
        self.key_file = make_signing_key(self.promote, self.work, self.key_password)

    def host(self, name):
        return self.registries[name][1]

    def client_env(self):
        return client_env(self.work, "BENCH", self.password, self.key_file, self.key_password)

    def start_agent(self, limits):
        self.agent, self.agent_address, _, health = start_agent(
            self.promote, self.work, self.children, hosts=[self.host(n) for n in ("dev", "stage")],
            env_prefix="BENCH", password=self.password, key_file=self.key_file, key_password=self.key_password,
            limits=limits, log_level="warn", health_env=self.client_env(), ca_file=self.ca)
        log(f"agent {self.agent_address} (pid {self.agent.pid}), health: {health}")

    def stop_agent(self):
        return stop_agent(self.agent, timeout=30)

    def stop(self):
        self.children.stop_all()

    # -- registry reads, for verification --

    def reader(self, name):
        return RegistryReader(self.host(name), self.ssl, USER, self.password)


class RegistryReader:
    """HEAD manifests over TLS with Bearer or Basic auth (one token per repository, cached)."""

    def __init__(self, host, context, user, password):
        self.host, self.context = host, context
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = {}
        self.conn = None

    def request(self, method, path, headers):
        for _ in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPSConnection(self.host, context=self.context, timeout=30)
            try:
                self.conn.request(method, path, headers=headers)
                r = self.conn.getresponse()
                r.read()
                return r
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
        raise AgentCaseError(f"{method} https://{self.host}{path}: no answer")

    def authorization(self, repo, challenge):
        if challenge.lower().startswith("basic"):
            return self.basic
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = urllib.parse.urlencode({"service": params.get("service", ""), "scope": f"repository:{repo}:pull"})
        url = urllib.parse.urlsplit(params["realm"])
        c = http.client.HTTPSConnection(url.netloc, context=self.context, timeout=30)
        c.request("GET", f"{url.path}?{query}", headers={"Authorization": self.basic})
        r = c.getresponse()
        body = r.read()
        c.close()
        if r.status != 200:
            raise AgentCaseError(f"token for {repo}: HTTP {r.status}")
        return "Bearer " + json.loads(body)["token"]

    def head_digest(self, repo, ref):
        path = f"/v2/{repo}/manifests/{ref}"
        headers = {"Accept": ACCEPT}
        if repo in self.auth:
            headers["Authorization"] = self.auth[repo]
        r = self.request("HEAD", path, headers)
        if r.status == 401:
            self.auth[repo] = self.authorization(repo, r.getheader("WWW-Authenticate", ""))
            headers["Authorization"] = self.auth[repo]
            r = self.request("HEAD", path, headers)
        return r.getheader("Docker-Content-Digest") if r.status == 200 else None


# ---------------------------------------------------------------------------------------------
# The case.


class AgentCase:
    def __init__(self, promote, work, opts):
        """opts: promotions, clients, reps, layout ('one'|'many'), auth ('token'|'basic'),
        layers, layer_size, limits (dict for agent.yaml)."""
        self.promote = promote
        self.work = os.path.join(work, "agent-case")
        self.o = opts
        self.ip = host_address()
        self.s = Setting(self.work, promote, opts["auth"], self.ip)
        self.images = []   # dicts: app, sha, tag, dev_repo, digest

    # -- set-up --

    def app(self, i):
        return "app" if self.o["layout"] == "one" else f"app{i:03d}"

    def write_configs(self, label, stage_prefix):
        """promote.yaml for every application of the layout: dev -> stage, stage written under
        stage_prefix/ (a fresh repository per round and mode). Returns {app: path}."""
        d = os.path.join(self.work, "configs", label)
        os.makedirs(d, exist_ok=True)
        creds = "    credentials: {username: " + USER + ", password: env:BENCH_REGISTRY_PASSWORD}\n"
        paths = {}
        for img in self.images:
            app = img["app"]
            if app in paths:
                continue
            text = ("version: 1\n"
                    f"image: {app}\n"
                    "tags:\n  immutable: \"sha-{sha7}\"\n"
                    f"  version-from-branch: {'true' if self.o['layout'] == 'many' else 'false'}\n"
                    "signing:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
                    "environments:\n"
                    f"  - name: dev\n    registry: \"{self.s.host('dev')}\"\n    repository: dev/{app}\n"
                    f"    mutable-tags: [latest]\n{creds}"
                    f"  - name: stage\n    registry: \"{self.s.host('stage')}\"\n"
                    f"    repository: {stage_prefix}/{app}\n    mutable-tags: [stage]\n{creds}")
            paths[app] = os.path.join(d, f"{app}.yaml")
            with open(paths[app], "w") as f:
                f.write(text)
        return paths

    def push_images(self):
        n, o = self.o["promotions"], self.o
        log(f"building and pushing {n} images to dev ({o['layers']} layers x {o['layer_size'] // KIB} KiB, "
            f"one platform; layout '{o['layout']}')")
        policy = os.path.join(self.work, "skopeo-policy.json")
        with open(policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        regconf = os.path.join(self.work, "registries.conf")
        with open(regconf, "w") as f:
            f.write("# empty\n")
        shas = set()
        while len(shas) < n:
            sha = os.urandom(20).hex()
            if sha[:7] not in {s[:7] for s in shas}:
                shas.add(sha)
        shas = sorted(shas)
        dev = self.s.host("dev")

        def push(i):
            sha = shas[i]
            app = self.app(i)
            tag = f"sha-{sha[:7]}"
            path = os.path.join(self.work, "layouts", f"{i:03d}")
            top, _, _ = build_layout(ImageSpec(f"dev/{app}", [("linux", "amd64")], o["layers"], o["layer_size"]),
                                     path, tag)
            home = os.path.join(self.work, "skopeo-home", f"{i:03d}")
            os.makedirs(home, exist_ok=True)
            env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=home, REGISTRY_AUTH_FILE=os.path.join(home, "auth.json"))
            run(["skopeo", "--policy", policy, "--registries-conf", regconf, "copy", "--quiet", "--all",
                 "--preserve-digests", "--dest-cert-dir", os.path.join(self.s.ca_dir, "certs.d"),
                 "--dest-creds", f"{USER}:{self.s.password}", f"oci:{path}:{tag}",
                 f"docker://{dev}/dev/{app}:{tag}"], env=env)
            shutil.rmtree(path, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
            return {"app": app, "sha": sha, "tag": tag, "digest": top["digest"]}

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            self.images = list(ex.map(push, range(n)))
        reader = self.s.reader("dev")
        for img in self.images:
            got = reader.head_digest(f"dev/{img['app']}", img["tag"])
            if got != img["digest"]:
                raise AgentCaseError(f"pushed dev/{img['app']}:{img['tag']} but dev names {got}")
        log(f"pushed {n} images in {time.monotonic() - t0:.1f}s")

    def record_in_dev(self):
        """promote run --branch develop for every image, through the agent (not timed): the
        records in dev that the stage-order gate of each timed promotion verifies."""
        paths = self.write_configs("setup", "setup")
        t0 = time.monotonic()
        results = self.run_batch(paths, "agent", ["--branch", "develop"])
        bad = [r for r in results if not r["ok"]]
        if bad:
            raise AgentCaseError(f"{len(bad)} of {len(results)} promotions into dev failed; first: {bad[0]['error']}")
        log(f"recorded {len(results)} images in dev (promote run --branch develop, via the agent) "
            f"in {time.monotonic() - t0:.1f}s")

    # -- one batch: N promotions, C at a time --

    def command(self, mode, config, extra, sha):
        cmd = [self.promote]
        if mode == "agent":
            cmd += ["--agent", self.s.agent_address]
        cmd += ["-o", "json", "--progress-interval", "0", "run", "--config", config, "--sha", sha, *extra]
        if mode == "cli":
            cmd += ["--ca-file", self.s.ca]
        return cmd

    def run_batch(self, paths, mode, extra):
        """Every image's promotion, self.o["clients"] client processes at a time; one result
        dict per image (latency from process start to exit, exit code, status, digest, error)."""
        env = self.s.client_env()

        def one(img):
            cmd = self.command(mode, paths[img["app"]], extra, img["sha"])
            t0 = time.monotonic()
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            elapsed = time.monotonic() - t0
            res = {"sha": img["sha"], "seconds": elapsed, "exit": p.returncode, "ok": False, "error": None}
            try:
                out = json.loads(p.stdout)
            except ValueError:
                out = {}
            res["status"] = out.get("status")
            res["digest"] = out.get("digest")
            if p.returncode != 0 or out.get("status") != "promoted":
                err = out.get("error") or {}
                res["error"] = (f"exit {p.returncode}, status {out.get('status')}: "
                                f"{err.get('message') if isinstance(err, dict) else err or p.stderr.strip()[-500:]}")
            elif out.get("digest") != img["digest"]:
                res["error"] = f"promoted digest {out.get('digest')} != source {img['digest']}"
                res["wrong_digest"] = True
            else:
                res["ok"] = True
            return res

        with concurrent.futures.ThreadPoolExecutor(self.o["clients"]) as ex:
            return list(ex.map(one, self.images))

    def measure(self, mode, label):
        paths = self.write_configs(label, label)
        comps = {"agent": [self.s.agent.pid],
                 "registries": [p.pid for p, _ in self.s.registries.values()],
                 "token server": [self.s.token_server[0].pid] if self.s.token_server else []}
        cpu0 = {k: sum(cpu_seconds(pid) for pid in v) for k, v in comps.items()}
        clients0 = children_cpu()
        tokens0 = self.token_requests()
        conns0 = tcp_passive_opens()
        load0 = loadavg()
        t0 = time.monotonic()
        results = self.run_batch(paths, mode, ["--branch", "release/1.0", "--to", "stage"])
        wall = time.monotonic() - t0
        cpu = {k: sum(cpu_seconds(pid) for pid in v) - cpu0[k] for k, v in comps.items()}
        cpu["clients"] = children_cpu() - clients0
        if mode != "agent":
            cpu.pop("agent")  # idle, but not nothing: gRPC keeps a few timers
        if not self.s.token_server:
            cpu.pop("token server")
        tokens = self.token_requests() - tokens0 if self.s.token_server else None
        conns = tcp_passive_opens() - conns0
        n = len(results)
        # Every target tag, checked at the stage registry against the source digest.
        reader = self.s.reader("stage")
        wrong = 0
        for img, r in zip(self.images, results):
            got = reader.head_digest(f"{label}/{img['app']}", img["tag"])
            if r["ok"] and got != img["digest"]:
                r["ok"] = False
                r["wrong_digest"] = True
                r["error"] = f"stage {label}/{img['app']}:{img['tag']} names {got}, source {img['digest']}"
            wrong += bool(r.get("wrong_digest"))
        failures = [r for r in results if not r["ok"]]
        lat = [r["seconds"] for r in results]
        m = {"mode": mode, "label": label, "promotions": n, "wall_s": wall, "throughput": n / wall,
             "p50_s": percentile(lat, 50), "p99_s": percentile(lat, 99), "max_s": max(lat),
             "failures": len(failures), "wrong_digests": wrong,
             "first_errors": sorted({r["error"] for r in failures})[:5],
             "cpu_s_per_promotion": {k: v / n for k, v in cpu.items()},
             "cpu_busy": sum(cpu.values()) / wall / (os.cpu_count() or 1),
             "token_requests_per_promotion": tokens / n if tokens is not None else None,
             "tcp_accepts_per_promotion": conns / n,
             "load_before": load0, "load_after": loadavg()}
        return m

    def token_requests(self):
        if not self.s.token_server:
            return 0
        url = urllib.parse.urlsplit(self.s.token_server[1])
        c = http.client.HTTPSConnection(url.netloc, context=self.s.ssl, timeout=10)
        c.request("GET", "/stats")
        body = c.getresponse().read()
        c.close()
        return json.loads(body)["requests"]

    # -- the whole case --

    def run(self):
        o = self.o
        os.makedirs(self.work, exist_ok=True)
        t_case = time.monotonic()
        report = {"promotions": o["promotions"], "clients": o["clients"], "layout": o["layout"], "auth": o["auth"],
                  "registry_address": self.ip, "image": f"1 platform x {o['layers']} layers x "
                                                        f"{o['layer_size'] // KIB} KiB",
                  "agent_limits": o["limits"], "rounds": []}
        try:
            self.s.start()
            self.s.start_agent(o["limits"])
            self.push_images()
            self.record_in_dev()
            for rep in range(o["reps"]):
                order = ("agent", "cli") if rep % 2 == 0 else ("cli", "agent")
                rnd = {}
                for mode in order:
                    m = self.measure(mode, f"r{rep + 1}-{mode}")
                    rnd[mode] = m
                    log(f"  round {rep + 1}/{o['reps']} {mode:5s}: {m['throughput']:.2f} promotions/s "
                        f"(wall {m['wall_s']:.2f}s), p50 {m['p50_s']:.2f}s, p99 {m['p99_s']:.2f}s, "
                        f"failures {m['failures']}, wrong digests {m['wrong_digests']}; "
                        f"CPU s/promotion " + ", ".join(f"{k} {v:.3f}" for k, v in m['cpu_s_per_promotion'].items())
                        + (f"; tokens/promotion {m['token_requests_per_promotion']:.2f}"
                           if m['token_requests_per_promotion'] is not None else "")
                        + f"; TCP accepts/promotion {m['tcp_accepts_per_promotion']:.1f}; "
                        f"load average before {m['load_before']}, after {m['load_after']}")
                    for e in m["first_errors"]:
                        log(f"    !! {e}")
                report["rounds"].append(rnd)
            report["agent_peak_rss_kib"] = peak_rss_kib(self.s.agent.pid)
            status = self.s.stop_agent()
            report["agent_exit_on_sigterm"] = status
            if status != 0:
                log(f"!! the agent exited with {status} on SIGTERM (expected 0)")
        finally:
            self.s.stop()
        report["case_seconds"] = time.monotonic() - t_case
        return summarize(report)


def summarize(report):
    """Medians over the rounds, per mode, and the ratio of the median throughputs."""
    out = {}
    for mode in ("agent", "cli"):
        ms = [r[mode] for r in report["rounds"]]
        cpu_keys = ms[0]["cpu_s_per_promotion"].keys()
        out[mode] = {
            "throughput": statistics.median(m["throughput"] for m in ms),
            "p50_s": statistics.median(m["p50_s"] for m in ms),
            "p99_s": statistics.median(m["p99_s"] for m in ms),
            "failures": sum(m["failures"] for m in ms),
            "wrong_digests": sum(m["wrong_digests"] for m in ms),
            "promotions": sum(m["promotions"] for m in ms),
            "cpu_s_per_promotion": {k: statistics.median(m["cpu_s_per_promotion"][k] for m in ms) for k in cpu_keys},
            "token_requests_per_promotion": (statistics.median(m["token_requests_per_promotion"] for m in ms)
                                             if ms[0]["token_requests_per_promotion"] is not None else None),
            "tcp_accepts_per_promotion": statistics.median(m["tcp_accepts_per_promotion"] for m in ms),
            "cpu_busy": statistics.median(m["cpu_busy"] for m in ms),
        }
    report["median"] = out
    report["ratio"] = out["agent"]["throughput"] / out["cli"]["throughput"]
    return report
