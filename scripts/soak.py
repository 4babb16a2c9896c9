#!/usr/bin/env python3
"""The soak, a reliability test run by scripts/soak: one long-running `promote agent` serves N configured
promotions (`promote run`, dev -> stage, signed and recorded) from C concurrent client processes
for about ten minutes, while fault_proxy.py (tests/support) injects random transient faults between
the agent and the registries and their token server.

Setting: a bearer-token server and two docker-registry instances (dev and stage) on 127.0.0.1,
plain HTTP (the proxy speaks plain HTTP upstream), token auth; one fault proxy in front of each of
the three. The agent (credentials and signing key in agent.yaml) and promote.yaml name only the
proxies, which promote treats as loopback plain-HTTP registries; the token realm the registries
announce is the token proxy. Setting up (not measured, no faults): N images (one application each,
a few small layers) pushed to dev with skopeo directly, and their promotion records in dev
(`promote run --branch develop` through the agent, through the proxies).

The soak: the rules file of the proxies is filled (every rule fires on its share `p` of the
matching requests: 500, 502, 503, 429 with Retry-After: 1, connection reset, and for responses
with a body a truncated body; on blob GET, blob upload PUT, manifest PUT, manifest GET and token
requests), then the N promotions run in waves: C clients start together, one wave every
SECONDS / ceil(N / C) seconds, so the N promotions are spread over about SECONDS with C in
flight at the peak of each wave (a client whose previous promotion is still running starts late).
A promotion whose `promote run` fails is re-run by its client after a pause, as a pipeline retry
would, up to --attempts runs in all; one that never succeeds is lost.

Measured: promotions completed, first-attempt failures, lost promotions, wrong digests (after the
run, every target tag -- the immutable sha tag, the version tag and the mutable `stage` tag -- and
the promotion record and signature tags are checked with a HEAD directly at the stage registry,
not through the proxy, against the source digest read from dev the same way), latency (client
process start to exit; also first start to success), the agent's RSS, threads and open files over
time, faults injected (hit lines of the proxies), the agent's exit status on SIGTERM.

Exit status: 0 when no promotion ended with a wrong digest or without its tags and the agent
exited 0 on SIGTERM (promotions may be lost: their count is reported against a target of 0), 1
otherwise, 2 for bad arguments.
"""

import argparse
import base64
import concurrent.futures
import http.client
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

from bench_services import (USER, AgentCaseError, Children, client_env, cpu_seconds, loadavg, make_signing_key,
                            percentile, random_secret, read_line, run, start_agent, start_registry,
                            start_token_server, stop_agent, token_auth)
from oci_layout import MT_INDEX, MT_MANIFEST, ImageSpec, build_layout

ACCEPT = ", ".join([
    MT_INDEX, MT_MANIFEST,
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FAULT_PROXY = os.path.join(ROOT, "tests", "support", "fault_proxy.py")
KIB = 1024
# fault_proxy.py as of b58795d leaves the upstream response to a HEAD unread, so http.client
# refuses the next request on that upstream connection (ResponseNotReady) and the proxy drops the
# client connection without an answer: an extra, uncounted fault after every HEAD on a kept-alive
# connection. The soak runs the proxy with HEAD responses read at once (harmless once it does that
# itself) and counts any traceback the proxies still log.
PROXY_LAUNCHER = """
import http.client, runpy, sys
_getresponse = http.client.HTTPConnection.getresponse
def getresponse(self, *args, **kwargs):
    resp = _getresponse(self, *args, **kwargs)
    if resp._method == "HEAD":
        resp.read()
    return resp
http.client.HTTPConnection.getresponse = getresponse
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""

# (kind, method, path regex, whether responses carry a body worth truncating)
REQUEST_KINDS = [
    ("blob GET", "GET", r"/blobs/sha256:", True),
    ("blob PUT", "PUT", r"/blobs/uploads/", False),
    ("manifest PUT", "PUT", r"/manifests/", False),
    ("manifest GET", "GET", r"/manifests/", True),
    ("token GET", "GET", r"^/token\?", True),
]
FAULTS = [
    ("500", {"fault": "status", "status": 500}),
    ("502", {"fault": "status", "status": 502}),
    ("503", {"fault": "status", "status": 503}),
    ("429 Retry-After: 1", {"fault": "status", "status": 429, "retry_after": "1"}),
    ("reset", {"fault": "reset"}),
    ("truncated body", {"fault": "truncate"}),
]


def log(msg):
    print(f"[soak] {msg}", file=sys.stderr, flush=True)


def fault_rules(probability):
    """The rules file: every request kind x every fault, each firing on `probability` of the
    matching requests. Returns (rules, labels) with labels[i] = (kind, fault) of rule i."""
    rules, labels = [], []
    for kind, method, path, has_body in REQUEST_KINDS:
        for fault, spec in FAULTS:
            if spec["fault"] == "truncate" and not has_body:
                continue  # the proxy cannot truncate an empty body: the rule would count hits that did nothing
            rules.append({"method": method, "path": path, "probability": probability, **spec})
            labels.append((kind, fault))
    return rules, labels


def proc_status(pid):
    """VmRSS, VmHWM (KiB) and Threads of a live process, and its open file descriptors."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0])
                elif key == "Threads":
                    out[key] = int(value)
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (OSError, ValueError):
        pass
    return out


class FaultProxy:
    """fault_proxy.py in front of one upstream; counts its hit lines in a reader thread."""

    def __init__(self, name, upstream_url, rules_path, children, work):
        self.name = name
        self.hits = {}       # rule index -> count
        self.lines = 0
        self.lock = threading.Lock()
        errlog = open(os.path.join(work, f"proxy-{name}.log"), "wb")
        self.hits_file = open(os.path.join(work, f"proxy-{name}.hits"), "w")  # every hit line, timed
        self.proc = children.add(f"fault proxy {name}", subprocess.Popen(
            ["python3", "-c", PROXY_LAUNCHER, FAULT_PROXY, upstream_url, rules_path], stdout=subprocess.PIPE,
            stderr=errlog))
        self.errlog_path = os.path.join(work, f"proxy-{name}.log")
        line = read_line(self.proc, f"fault proxy {name}")
        try:
            self.port = json.loads(line)["port"]
        except (ValueError, KeyError, TypeError):
            raise AgentCaseError(f"fault proxy {name} said {line!r}")
        self.host = f"127.0.0.1:{self.port}"
        # read_line consumed the first line with os.read; what came after it in that chunk is
        # not lost because the proxy prints nothing more until a rule fires (no rules yet).
        threading.Thread(target=self.read_hits, daemon=True).start()
        log(f"fault proxy {name}: http://{self.host} -> {upstream_url} (pid {self.proc.pid})")

    def read_hits(self):
        for raw in self.proc.stdout:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if "hit" in obj:
                self.hits_file.write(f"{time.time():.3f} {raw.decode().strip()}\n")
                self.hits_file.flush()
                with self.lock:
                    self.lines += 1
                    self.hits[obj["hit"]] = self.hits.get(obj["hit"], 0) + 1

    def tracebacks(self):
        """Requests the proxy itself failed on (no answer, not a rule): tracebacks in its log."""
        try:
            with open(self.errlog_path, errors="replace") as f:
                return f.read().count("Traceback")
        except OSError:
            return 0

    def snapshot(self):
        with self.lock:
            return self.lines, dict(self.hits)


class DirectReader:
    """HEAD manifests directly at a plain-HTTP registry, with a token asked of the token server
    directly (not through any proxy); one token per repository."""

    def __init__(self, host, token_url, service, user, password):
        self.host, self.token_url, self.service = host, token_url, service
        self.basic = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.tokens = {}
        self.conn = None

    def token(self, repo):
        if repo not in self.tokens:
            url = urllib.parse.urlsplit(self.token_url)
            q = urllib.parse.urlencode({"service": self.service, "scope": f"repository:{repo}:pull"})
            c = http.client.HTTPConnection(url.netloc, timeout=30)
            c.request("GET", f"/token?{q}", headers={"Authorization": self.basic})
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status != 200:
                raise AgentCaseError(f"token for {repo} from {self.token_url}: HTTP {r.status}")
            self.tokens[repo] = "Bearer " + json.loads(body)["token"]
        return self.tokens[repo]

    def head_digest(self, repo, ref):
        headers = {"Accept": ACCEPT, "Authorization": self.token(repo)}
        for _ in range(3):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=30)
            try:
                self.conn.request("HEAD", f"/v2/{repo}/manifests/{ref}", headers=headers)
                r = self.conn.getresponse()
                r.read()
                if r.status == 401:
                    self.tokens.pop(repo, None)
                    headers["Authorization"] = self.token(repo)
                    continue
                return r.getheader("Docker-Content-Digest") if r.status == 200 else None
            except (OSError, http.client.HTTPException):
                self.conn.close()
                self.conn = None
        raise AgentCaseError(f"HEAD http://{self.host}/v2/{repo}/manifests/{ref}: no answer")


class SoakCase:
    def __init__(self, promote, work, opts):
        """opts: promotions, clients, seconds, probability, attempts, retry_delay, layers,
        layer_size, token_ttl, limits (dict for agent.yaml)."""
        self.promote = promote
        self.work = os.path.join(work, "soak-case")
        self.o = opts
        self.children = Children(log)
        self.password = random_secret()
        self.key_password = random_secret()
        self.registries = {}   # name -> (Popen, host)
        self.proxies = {}      # name -> FaultProxy
        self.images = []
        self.samples = []      # monitor samples
        self.in_flight = 0
        self.max_in_flight = 0
        self.completed = 0
        self.lock = threading.Lock()
        self.stop_monitor = threading.Event()

    # -- services --

    def write_rules(self, rules):
        tmp = self.rules_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rules, f)
        os.replace(tmp, self.rules_path)

    def start(self):
        os.makedirs(self.work, exist_ok=True)
        self.rules_path = os.path.join(self.work, "fault-rules.json")
        self.write_rules([])
        p, self.token_url, self.token_config = start_token_server(self.work, self.children, "soak", self.password,
                                                                  self.o["token_ttl"])
        log(f"token server {self.token_url} (pid {p.pid}, tokens live {self.o['token_ttl']} s)")
        self.proxies["token"] = FaultProxy("token", self.token_url, self.rules_path, self.children, self.work)
        auth = token_auth(f"http://{self.proxies['token'].host}/token", self.token_config)
        for name in ("dev", "stage"):
            self.registries[name] = start_registry(self.work, name, "127.0.0.1", auth, self.children, log)
            self.proxies[name] = FaultProxy(name, f"http://{self.registries[name][1]}", self.rules_path,
                                            self.children, self.work)
        self.key_file = make_signing_key(self.promote, self.work, self.key_password)
        self.agent, self.agent_address, self.agent_log, _ = start_agent(
            self.promote, self.work, self.children, hosts=[self.proxies[n].host for n in ("dev", "stage")],
            env_prefix="SOAK", password=self.password, key_file=self.key_file, key_password=self.key_password,
            limits=self.o["limits"], log_level="info", health_env=self.client_env())
        log(f"agent {self.agent_address} (pid {self.agent.pid}), log {self.agent_log}")

    def client_env(self):
        return client_env(self.work, "SOAK", self.password, self.key_file, self.key_password)

    # -- set-up: images in dev, their records --

    def write_configs(self):
        """One promote.yaml per application (each image is its own application, so every
        promotion needs tokens for repositories no other promotion used): dev -> stage, both
        through the proxies; stage signs the image."""
        d = os.path.join(self.work, "configs")
        os.makedirs(d, exist_ok=True)
        creds = "    credentials: {username: " + USER + ", password: env:SOAK_REGISTRY_PASSWORD}\n"
        for img in self.images:
            app = img["app"]
            text = ("version: 1\n"
                    f"image: {app}\n"
                    "tags:\n  immutable: \"sha-{sha7}\"\n  version-from-branch: true\n"
                    "signing:\n  key: env:PROMOTE_SIGNING_KEY\n  password: env:PROMOTE_KEY_PASSWORD\n"
                    "environments:\n"
                    f"  - name: dev\n    registry: \"{self.proxies['dev'].host}\"\n    repository: dev/{app}\n"
                    f"    mutable-tags: [latest]\n{creds}"
                    f"  - name: stage\n    registry: \"{self.proxies['stage'].host}\"\n"
                    f"    repository: stage/{app}\n    mutable-tags: [stage]\n    sign: true\n{creds}")
            img["config"] = os.path.join(d, f"{app}.yaml")
            with open(img["config"], "w") as f:
                f.write(text)

    def push_images(self):
        n, o = self.o["promotions"], self.o
        log(f"building and pushing {n} images to dev directly ({o['layers']} layers x "
            f"{o['layer_size'] // KIB} KiB, one platform, one application each)")
        policy = os.path.join(self.work, "skopeo-policy.json")
        with open(policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        regconf = os.path.join(self.work, "registries.conf")
        with open(regconf, "w") as f:
            f.write("# empty\n")
        shas = set()
        while len(shas) < n:
            shas.add(os.urandom(20).hex())
        shas = sorted(shas)
        dev = self.registries["dev"][1]

        def push(i):
            sha, app = shas[i], f"app{i:03d}"
            tag = f"sha-{sha[:7]}"
            path = os.path.join(self.work, "layouts", f"{i:03d}")
            top, _, _ = build_layout(ImageSpec(f"dev/{app}", [("linux", "amd64")], o["layers"], o["layer_size"]),
                                     path, tag)
            home = os.path.join(self.work, "skopeo-home", f"{i:03d}")
            os.makedirs(home, exist_ok=True)
            env = dict(os.environ, HOME=home, XDG_RUNTIME_DIR=home, REGISTRY_AUTH_FILE=os.path.join(home, "auth.json"))
            run(["skopeo", "--policy", policy, "--registries-conf", regconf, "copy", "--quiet", "--all",
                 "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", f"{USER}:{self.password}",
                 f"oci:{path}:{tag}", f"docker://{dev}/dev/{app}:{tag}"], env=env)
            shutil.rmtree(path, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
            return {"i": i, "app": app, "sha": sha, "tag": tag, "digest": top["digest"]}

        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            self.images = list(ex.map(push, range(n)))
        log(f"pushed {n} images in {time.monotonic() - t0:.1f}s")
        self.write_configs()

    def command(self, img, branch, to=None):
        cmd = [self.promote, "--agent", self.agent_address, "-o", "json", "--progress-interval", "0", "run",
               "--config", img["config"], "--sha", img["sha"], "--branch", branch]
        return cmd + (["--to", to] if to else [])

    def attempt(self, img, cmd, env):
        """One client process; returns a dict (latency, exit, status, digest, error)."""
        t0 = time.monotonic()
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                out, err = p.communicate(timeout=self.o["client_timeout"])
                hung = False
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGTERM)  # the client cancels its call, as on Ctrl-C
                try:
                    out, err = p.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    out, err = p.communicate()
                hung = True
        finally:
            with self.lock:
                self.in_flight -= 1
        res = {"start": t0, "seconds": time.monotonic() - t0, "exit": p.returncode, "ok": False, "error": None,
               "code": None}
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        res["status"] = doc.get("status")
        res["digest"] = doc.get("digest")
        if hung or p.returncode != 0 or doc.get("status") not in ("promoted", "unchanged"):
            e = doc.get("error") or {}
            res["code"] = "client timeout" if hung else (e.get("code") if isinstance(e, dict) else None) or f"exit {p.returncode}"
            msg = e.get("message") if isinstance(e, dict) else e
            res["error"] = (f"exit {p.returncode}, status {doc.get('status')}, {res['code']}: "
                            f"{msg or err.strip()[-500:]}")
        elif doc.get("digest") != img["digest"]:
            res["error"] = f"promoted digest {doc.get('digest')} != source {img['digest']}"
            res["code"] = "wrong digest"
            res["wrong_digest"] = True
        else:
            res["ok"] = True
        return res

    def record_in_dev(self):
        env = self.client_env()
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(self.o["clients"]) as ex:
            results = list(ex.map(lambda img: self.attempt(img, self.command(img, "develop"), env), self.images))
        bad = [r for r in results if not r["ok"]]
        if bad:
            raise AgentCaseError(f"{len(bad)} of {len(results)} promotions into dev failed (no faults yet); "
                                 f"first: {bad[0]['error']}")
        log(f"recorded {len(results)} images in dev (promote run --branch develop, via the agent and the "
            f"proxies, no faults) in {time.monotonic() - t0:.1f}s")

    # -- monitor --

    def sample(self, label=None):
        st = proc_status(self.agent.pid)
        with self.lock:
            s = {"t": time.monotonic(), "rss_kib": st.get("VmRSS"), "hwm_kib": st.get("VmHWM"),
                 "threads": st.get("Threads"), "fds": st.get("fds"), "in_flight": self.in_flight,
                 "completed": self.completed, "agent_cpu_s": cpu_seconds(self.agent.pid), "load": loadavg()}
        if label:
            s["label"] = label
        self.samples.append(s)
        return s

    def monitor(self, every):
        while not self.stop_monitor.wait(every):
            self.sample()

    # -- the soak --

    def soak(self, env):
        o = self.o
        n, c = len(self.images), o["clients"]
        waves = math.ceil(n / c)
        period = o["seconds"] / waves
        self.t0 = time.monotonic()
        self.wave_starts = [self.t0 + w * period for w in range(waves)]
        attempts = {img["i"]: [] for img in self.images}
        log(f"soak: {n} promotions in {waves} waves of up to {c}, one wave every {period:.1f}s; "
            f"up to {o['attempts']} runs per promotion ({o['retry_delay']:.0f}s apart); load average {loadavg()}")

        def client(k):
            for idx in range(k, n, c):
                img = self.images[idx]
                delay = self.wave_starts[idx // c] - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                for a in range(o["attempts"]):
                    r = self.attempt(img, self.command(img, "release/1.0", "stage"), env)
                    r["attempt"] = a + 1
                    r["wave"] = idx // c
                    attempts[img["i"]].append(r)
                    if r["ok"]:
                        with self.lock:
                            self.completed += 1
                        break
                    log(f"  !! {img['app']} attempt {a + 1} failed after {r['seconds']:.1f}s: {r['error'][:400]}")
                    if a + 1 < o["attempts"]:
                        time.sleep(o["retry_delay"])

        def waves_log():
            # Sampled just before each wave starts: what the previous waves left behind.
            for w in range(1, waves + 1):
                until = self.wave_starts[w] - 0.5 if w < waves else None
                while until is not None and time.monotonic() < until:
                    if self.stop_monitor.wait(min(1.0, until - time.monotonic())):
                        return
                if until is None:
                    return
                s = self.sample(f"wave {w + 1} start")
                rss = (s["rss_kib"] or 0) / 1024
                log(f"  wave {w + 1}/{waves} at {s['t'] - self.t0:.0f}s: {s['completed']} completed, "
                    f"{s['in_flight']} still running; agent RSS {rss:.1f} MiB, {s['threads']} threads, "
                    f"{s['fds']} fds; load {s['load']}")

        logger = threading.Thread(target=waves_log, daemon=True)
        logger.start()
        with concurrent.futures.ThreadPoolExecutor(c) as ex:
            list(ex.map(client, range(c)))
        self.t_end = time.monotonic()
        return attempts

    # -- verification --

    def verify(self, attempts):
        """Every target tag (sha, version, stage) and the record and signature tags, by HEAD
        directly at stage; the source digest by HEAD directly at dev. Returns counts and the
        problems found, one line each."""
        svc = self.token_config["service"]
        dev = DirectReader(self.registries["dev"][1], self.token_url, svc, USER, self.password)
        stage = DirectReader(self.registries["stage"][1], self.token_url, svc, USER, self.password)
        v = {"wrong_digests": 0, "missing_tags": 0, "missing_records": 0, "missing_signatures": 0,
             "lost_with_tags": 0, "problems": []}
        for img in self.images:
            completed = any(r["ok"] for r in attempts[img["i"]])
            src = dev.head_digest(f"dev/{img['app']}", img["tag"])
            if src != img["digest"]:
                v["problems"].append(f"dev/{img['app']}:{img['tag']} names {src}, pushed {img['digest']}")
            repo = f"stage/{img['app']}"
            tags = {t: stage.head_digest(repo, t) for t in (img["tag"], "1.0", "stage")}
            wrong = {t: d for t, d in tags.items() if d is not None and d != src}
            absent = [t for t, d in tags.items() if d is None]
            if wrong:
                v["wrong_digests"] += 1
                v["problems"].append(f"{repo}: tags name another digest than the source {src}: {wrong}")
            if completed and absent:
                v["missing_tags"] += 1
                v["problems"].append(f"{repo}: the promotion succeeded but tags {absent} are missing")
            if not completed and len(absent) < len(tags):
                v["lost_with_tags"] += 1
                v["problems"].append(f"{repo}: every run failed, yet tags {sorted(set(tags) - set(absent))} exist")
            ref = img["digest"].replace(":", "-")
            if completed and stage.head_digest(repo, f"{ref}.att") is None:
                v["missing_records"] += 1
                v["problems"].append(f"{repo}: no promotion record {ref}.att")
            if completed and stage.head_digest(repo, f"{ref}.sig") is None:
                v["missing_signatures"] += 1
                v["problems"].append(f"{repo}: no signature {ref}.sig")
        return v

    # -- the whole case --

    def run(self):
        o = self.o
        os.makedirs(self.work, exist_ok=True)
        t_case = time.monotonic()
        rules, labels = fault_rules(o["probability"])
        report = {"promotions": o["promotions"], "clients": o["clients"], "target_seconds": o["seconds"],
                  "fault_probability_per_rule": o["probability"], "attempts_per_promotion": o["attempts"],
                  "retry_delay_s": o["retry_delay"], "token_ttl_s": o["token_ttl"],
                  "image": f"1 platform x {o['layers']} layers x {o['layer_size'] // KIB} KiB",
                  "agent_limits": o["limits"], "fault_rules": len(rules),
                  "pacing": "waves: all clients start together, one wave every seconds / ceil(promotions / clients)"}
        try:
            self.start()
            start = self.sample("start")
            self.push_images()
            self.record_in_dev()
            setup = self.sample("after setup")
            mon = threading.Thread(target=self.monitor, args=(o["sample_every"],), daemon=True)
            mon.start()
            self.write_rules(rules)
            log(f"faults on: {len(rules)} rules, each firing on {o['probability']:.1%} of its requests")
            hits0 = {k: p.snapshot() for k, p in self.proxies.items()}
            load0 = loadavg()
            attempts = self.soak(self.client_env())
            self.write_rules([])
            hits1 = {k: p.snapshot() for k, p in self.proxies.items()}
            load1 = loadavg()
            time.sleep(o["settle"])
            self.stop_monitor.set()
            end = self.sample("end")
            verdict = self.verify(attempts)
            for p in verdict["problems"][:20]:
                log(f"  !! {p}")
            alive = self.agent.poll() is None
            report["agent_exit_on_sigterm"] = stop_agent(self.agent, timeout=60) if alive else f"died: {self.agent.returncode}"
            if report["agent_exit_on_sigterm"] != 0:
                log(f"!! the agent exited with {report['agent_exit_on_sigterm']} on SIGTERM (expected 0)")
        finally:
            self.stop_monitor.set()
            self.children.stop_all()
        report.update(self.summarize(attempts, start, setup, end, hits0, hits1, labels, verdict, load0, load1))
        report["case_seconds"] = time.monotonic() - t_case
        return report

    def summarize(self, attempts, start, setup, end, hits0, hits1, labels, verdict, load0, load1):
        all_runs = [r for rs in attempts.values() for r in rs]
        first = [rs[0] for rs in attempts.values() if rs]
        done = [rs for rs in attempts.values() if any(r["ok"] for r in rs)]
        to_success = [rs[-1]["start"] + rs[-1]["seconds"] - rs[0]["start"] for rs in done]
        codes = {}
        for r in all_runs:
            if not r["ok"]:
                codes[r["code"]] = codes.get(r["code"], 0) + 1
        # Faults injected: hit lines during the soak, per request kind and fault.
        by_kind, by_proxy, total = {}, {}, 0
        for name in self.proxies:
            lines0, h0 = hits0[name]
            lines1, h1 = hits1[name]
            by_proxy[name] = lines1 - lines0
            total += lines1 - lines0
            for i, count in h1.items():
                count -= h0.get(i, 0)
                if count:
                    kind, fault = labels[i]
                    by_kind.setdefault(kind, {})
                    by_kind[kind][fault] = by_kind[kind].get(fault, 0) + count
        # Memory: the warm-up point is the start of wave 2; troughs are each wave's lowest RSS.
        soak_samples = [s for s in self.samples if self.t0 <= s["t"] <= self.t_end + self.o["settle"] + 1]
        warm = next((s for s in self.samples if s.get("label") == "wave 2 start"), setup)
        troughs = []
        for w, ws in enumerate(self.wave_starts):
            we = self.wave_starts[w + 1] if w + 1 < len(self.wave_starts) else self.t_end
            vals = [s["rss_kib"] for s in soak_samples if ws <= s["t"] <= we and s["rss_kib"]]
            troughs.append(min(vals) if vals else None)

        def mem(s):
            return {"rss_kib": s["rss_kib"], "threads": s["threads"], "fds": s["fds"], "in_flight": s["in_flight"],
                    "seconds_into_soak": round(s["t"] - self.t0, 1)}

        rss_peak = max((s["rss_kib"] or 0 for s in self.samples), default=0)
        lat_all = [r["seconds"] for r in all_runs]
        lat_first = [r["seconds"] for r in first]
        wall = self.t_end - self.t0
        return {
            "soak_seconds": wall,
            "completed": len(done),
            "first_attempt_failures": sum(1 for r in first if not r["ok"]),
            "lost": len(attempts) - len(done),
            "runs": len(all_runs),
            "failed_runs": sum(1 for r in all_runs if not r["ok"]),
            "failed_runs_by_code": codes,
            "completed_on_attempt": {str(a): sum(1 for rs in done if len(rs) == a) for a in range(1, self.o["attempts"] + 1)},
            **{k: verdict[k] for k in ("wrong_digests", "missing_tags", "missing_records", "missing_signatures",
                                       "lost_with_tags")},
            "problems": verdict["problems"][:50],
            "latency_s": {
                "runs": {"p50": percentile(lat_all, 50), "p99": percentile(lat_all, 99), "max": max(lat_all)},
                "first_runs": {"p50": percentile(lat_first, 50), "p99": percentile(lat_first, 99)},
                "to_success": ({"p50": percentile(to_success, 50), "p99": percentile(to_success, 99),
                                "max": max(to_success)} if to_success else None),
            },
            "throughput_per_s": len(done) / wall if wall else None,
            "max_in_flight": self.max_in_flight,
            "faults": {"total": total, "by_proxy": by_proxy, "by_kind": by_kind,
                       "proxy_tracebacks": {k: p.tracebacks() for k, p in self.proxies.items()}},
            "agent": {"start": mem(start), "after_setup": mem(setup), "after_warmup": mem(warm), "end": mem(end),
                      "peak_rss_kib": rss_peak, "hwm_kib": end.get("hwm_kib"),
                      "growth_warmup_to_end_kib": (end["rss_kib"] or 0) - (warm["rss_kib"] or 0),
                      "wave_trough_rss_kib": troughs,
                      "cpu_s": end["agent_cpu_s"] - setup["agent_cpu_s"],
                      "timeline": [{"t": round(s["t"] - self.t0, 1), "rss_kib": s["rss_kib"], "threads": s["threads"],
                                    "fds": s["fds"], "in_flight": s["in_flight"]} for s in soak_samples]},
            "agent_log": self.agent_log,
            "load_start": load0, "load_end": load1,
        }


def table(r):
    """The human summary printed by scripts/soak."""
    a = r["agent"]
    mib = lambda k: f"{k / 1024:.1f} MiB" if k else "-"  # noqa: E731
    lat = r["latency_s"]
    ts = lat["to_success"] or {}
    faults = "; ".join(f"{k} " + ", ".join(f"{f} {n}" for f, n in sorted(v.items()))
                       for k, v in sorted(r["faults"]["by_kind"].items()))
    troughs = [t for t in a["wave_trough_rss_kib"] if t]
    lines = [
        f"soak case: {r['promotions']} x `promote run` dev -> stage (signed, recorded; {r['image']}, one "
        f"application each) through one agent, {r['clients']} clients, in waves over {r['soak_seconds']:.0f}s "
        f"(target {r['target_seconds']}s, at most {r['max_in_flight']} in flight); {r['fault_rules']} fault rules at {r['fault_probability_per_rule']:.1%} "
        f"each; up to {r['attempts_per_promotion']} runs per promotion; load average {r['load_start']} -> {r['load_end']}",
        f"  promotions completed       {r['completed']}/{r['promotions']} "
        f"(on run 1/2/3…: {', '.join(str(v) for v in r['completed_on_attempt'].values())})",
        f"  first-attempt failures     {r['first_attempt_failures']}  (failed runs {r['failed_runs']}/{r['runs']}: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r["failed_runs_by_code"].items(), key=str)) + ")",
        f"  lost promotions            {r['lost']}  (target 0)",
        f"  wrong digests              {r['wrong_digests']}  (target 0; tags missing after success "
        f"{r['missing_tags']}, records missing {r['missing_records']}, signatures missing {r['missing_signatures']}, "
        f"lost promotions that left tags {r['lost_with_tags']})",
        f"  latency per run            p50 {lat['runs']['p50']:.2f}s, p99 {lat['runs']['p99']:.2f}s, max "
        f"{lat['runs']['max']:.2f}s; first start to success p50 {ts.get('p50', 0):.2f}s, p99 {ts.get('p99', 0):.2f}s",
        f"  faults injected            {r['faults']['total']} (" +
        ", ".join(f"{k} {v}" for k, v in r["faults"]["by_proxy"].items()) + f" proxy): {faults}; requests the "
        f"proxies failed on their own: {sum(r['faults']['proxy_tracebacks'].values())}",
        f"  agent RSS                  start {mib(a['start']['rss_kib'])}, after setup {mib(a['after_setup']['rss_kib'])}, "
        f"after warm-up (wave 2) {mib(a['after_warmup']['rss_kib'])}, end {mib(a['end']['rss_kib'])} "
        f"(growth {a['growth_warmup_to_end_kib'] / 1024:+.1f} MiB), peak {mib(a['peak_rss_kib'])}",
        f"  agent RSS troughs by wave  " + " ".join(f"{t / 1024:.0f}" for t in troughs) + " MiB",
        f"  agent threads / fds        start {a['start']['threads']}/{a['start']['fds']}, warm-up "
        f"{a['after_warmup']['threads']}/{a['after_warmup']['fds']}, end {a['end']['threads']}/{a['end']['fds']}; "
        f"exit on SIGTERM: {r['agent_exit_on_sigterm']}",
    ]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--promote", required=True, help="the promote binary under test")
    ap.add_argument("--work", required=True, help="work directory (registries, agent, logs)")
    ap.add_argument("--quick", action="store_true", help="64 promotions in 60 s")
    ap.add_argument("--promotions", type=int, help="default 500 (--quick: 64)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=int, help="default 600 (--quick: 60)")
    ap.add_argument("--fault-probability", type=float, default=0.02, help="per rule")
    ap.add_argument("--attempts", type=int, default=3, help="runs per promotion (the pipeline's retries)")
    ap.add_argument("--json", dest="json_file", help="write the full report here")
    args = ap.parse_args()
    args.promotions = args.promotions or (64 if args.quick else 500)
    args.seconds = args.seconds or (60 if args.quick else 600)
    if min(args.promotions, args.clients, args.seconds, args.attempts) < 1 or not 0 <= args.fault_probability <= 1:
        ap.error("--promotions, --clients, --seconds and --attempts must be at least 1, "
                 "--fault-probability between 0 and 1")

    case = SoakCase(args.promote, args.work, {
        "promotions": args.promotions, "clients": args.clients, "seconds": args.seconds,
        "probability": args.fault_probability, "attempts": args.attempts, "retry_delay": 5.0,
        "layers": 3, "layer_size": 16 * KIB, "token_ttl": 120, "client_timeout": 300, "sample_every": 2.0,
        "settle": 10.0, "limits": {"operations": 32, "queue": 256, "jobs": 16, "registry_requests": 32}})
    log(f"{args.promotions} promotions, {args.clients} clients, about {args.seconds}s, "
        f"fault probability {args.fault_probability} per rule; load average {loadavg()}")
    try:
        report = case.run()
    except AgentCaseError as e:
        log(f"FAILED: {e}")
        return 1
    print(table(report))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump({"case": "soak", **report}, f, indent=2)
            f.write("\n")
        log(f"wrote {args.json_file}")
    bad = []
    if report["wrong_digests"] or report["missing_tags"]:
        bad.append(f"{report['wrong_digests']} wrong digests, {report['missing_tags']} promotions without their tags")
    if report["agent_exit_on_sigterm"] != 0:
        bad.append(f"agent exit on SIGTERM: {report['agent_exit_on_sigterm']}")
    print(f"\nlost promotions {report['lost']} (target 0); agent RSS growth after warm-up "
          f"{report['agent']['growth_warmup_to_end_kib'] / 1024:+.1f} MiB")
    if bad:
        print("FAILED: " + "; ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
