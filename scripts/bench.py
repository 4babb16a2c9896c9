#!/usr/bin/env python3
"""Side-by-side copy benchmark: `promote copy` against skopeo (and raw curl) on the same images.

Run through scripts/bench, which installs what is missing, builds promote, starts the source and
target registries and passes their addresses here. This file builds synthetic OCI images, pushes
them into the source registry, times each case with the tools' runs interleaved, verifies every
copy by digest, and prints a table (stdout) and a JSON report (--json). The `agent` case (one
`promote agent` serving many concurrent `promote run`s, against separate CLI runs) lives in
bench_agent.py and starts its own TLS registries. The soak (one agent, promotions for about ten
minutes under injected faults) is a reliability test, not a measurement: scripts/soak runs it.

Exit status: 0 when every copy (and promotion) succeeded with the right digest (targets may still
be missed: this is a measurement), 1 when one failed or a digest differs.
"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import bench_agent
from oci_layout import MT_INDEX, MT_MANIFEST, Image, ImageSpec, build_layout  # noqa: E402
ACCEPT = ", ".join([
    MT_INDEX, MT_MANIFEST,
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
PLATFORMS = [("linux", "amd64"), ("linux", "arm64")]
KIB = 1024
MIB = 1024 * 1024
CHUNK = 4 * MIB


class BenchError(Exception):
    """A copy failed or produced the wrong digest: the benchmark result is void."""


def log(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def human_bytes(n):
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def load():
    return "%.2f %.2f %.2f" % os.getloadavg()


# ---------------------------------------------------------------------------------------------
# Synthetic images: an OCI image layout on disk, pushed with skopeo.


# ---------------------------------------------------------------------------------------------
# Registry access for verification (plain HTTP on loopback).


def head_manifest(host, repo, reference):
    """Returns the Docker-Content-Digest the registry reports for repo:reference, or None."""
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request("HEAD", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ACCEPT})
        r = conn.getresponse()
        r.read()
        return r.getheader("Docker-Content-Digest") if r.status == 200 else None
    finally:
        conn.close()


def verify_target(host, repo, tag, digest, tool):
    by_tag = head_manifest(host, repo, tag)
    by_digest = head_manifest(host, repo, digest)
    if by_tag != digest or by_digest != digest:
        raise BenchError(f"{tool}: target {host}/{repo}:{tag} names {by_tag}, "
                         f"by digest {by_digest}; source digest is {digest}")


# ---------------------------------------------------------------------------------------------
# Timed runs.


@dataclass
class Run:
    seconds: float
    rss_kib: int = 0
    stdout: str = ""


class Runner:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.policy = os.path.join(work, "policy.json")
        with open(self.policy, "w") as f:
            json.dump({"default": [{"type": "insecureAcceptAnything"}]}, f)
        self.registries_conf = os.path.join(work, "registries.conf")
        with open(self.registries_conf, "w") as f:
            f.write("# empty: no search registries, no mirrors\n")
        self.skopeo_homes = 0

    def timed(self, cmd, env=None, what=""):
        """Runs cmd under GNU time; returns wall seconds, peak RSS and stdout. Raises on failure."""
        rss_file = os.path.join(self.work, "rss")
        full = ["/usr/bin/time", "-f", "%M", "-o", rss_file] + cmd
        t0 = time.monotonic()
        p = subprocess.run(full, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        elapsed = time.monotonic() - t0
        if p.returncode != 0:
            raise BenchError(f"{what or cmd[0]} failed (exit {p.returncode}): {' '.join(cmd)}\n"
                             f"stdout: {p.stdout[-4000:]}\nstderr: {p.stderr[-4000:]}")
        with open(rss_file) as f:
            rss = int(f.read().strip().splitlines()[-1])
        return Run(elapsed, rss, p.stdout)

    def promote(self, pairs, tag):
        """One `promote copy` of every (src Image, dst host, dst repo) pair in a single call."""
        cmd = [self.args.promote, "-o", "json", "--progress-interval", "0", "copy"]
        if self.args.promote_jobs:
            cmd += ["--jobs", str(self.args.promote_jobs)]
        for img, host, repo in pairs:
            cmd += [img.ref, f"{host}/{repo}:{tag}"]
        run = self.timed(cmd, what="promote copy")
        try:
            out = json.loads(run.stdout)
        except ValueError as e:
            raise BenchError(f"promote printed no JSON ({e}): {run.stdout[:2000]}")
        results = out.get("results", [out]) if len(pairs) > 1 else [out]
        if len(results) != len(pairs):
            raise BenchError(f"promote returned {len(results)} results for {len(pairs)} pairs")
        for (img, host, repo), res in zip(pairs, results):
            if not res.get("ok", False):
                raise BenchError(f"promote copy {img.ref} failed: {res.get('error')}")
            if res.get("digest") != img.digest:
                raise BenchError(f"promote copy {img.ref}: target digest {res.get('digest')} "
                                 f"!= source digest {img.digest}")
            verify_target(host, repo, tag, img.digest, "promote")
        run.results = results
        return run

    def skopeo_env(self):
        """A fresh HOME per run so skopeo starts with an empty blob-info cache, as on a new machine.
        As root skopeo keeps that cache in /var/lib/containers/cache; _CONTAINERS_ROOTLESS_UID
        makes it use $HOME/.local/share/containers/cache instead (checked in preflight)."""
        self.skopeo_homes += 1
        home = os.path.join(self.work, "skopeo-home", str(self.skopeo_homes))
        os.makedirs(home)
        env = dict(os.environ)
        env.update({"HOME": home, "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
                    "XDG_CONFIG_HOME": os.path.join(home, ".config"),
                    "XDG_RUNTIME_DIR": os.path.join(home, "run"),
                    "REGISTRY_AUTH_FILE": os.path.join(home, "auth.json")})
        os.makedirs(env["XDG_RUNTIME_DIR"])
        if os.geteuid() == 0:
            env["_CONTAINERS_ROOTLESS_UID"] = "65534"
        return env, home

    def skopeo_cmd(self, src_ref, dst_ref, extra=()):
        return ["skopeo", "--policy", self.policy, "--registries-conf", self.registries_conf,
                *extra, "copy", "--quiet", "--all", "--preserve-digests",
                "--src-tls-verify=false", "--dest-tls-verify=false",
                f"docker://{src_ref}", f"docker://{dst_ref}"]

    def skopeo(self, pairs, tag):
        """One skopeo copy per pair, in a loop, sharing one fresh HOME (as one CI job would)."""
        env, home = self.skopeo_env()
        total, rss = 0.0, 0
        t0 = time.monotonic()
        for img, host, repo in pairs:
            r = self.timed(self.skopeo_cmd(img.ref, f"{host}/{repo}:{tag}"), env=env, what="skopeo copy")
            rss = max(rss, r.rss_kib)
        total = time.monotonic() - t0
        for img, host, repo in pairs:
            verify_target(host, repo, tag, img.digest, "skopeo")
        shutil.rmtree(home, ignore_errors=True)
        return Run(total, rss)

    def curl_blobs(self, img, parallel):
        """GET every blob of the image from the source registry, `parallel` at a time, with one
        curl process (--parallel), so the figure is the registry's read limit, not fork costs."""
        host = img.ref.split("/", 1)[0]
        config = os.path.join(self.work, "curl-blobs.cfg")
        with open(config, "w") as f:
            for d in img.blob_digests:
                f.write(f'url = "http://{host}/v2/{img.spec.repo}/blobs/{d}"\noutput = "/dev/null"\n')
        cmd = ["curl", "-sSf", "--parallel", "--parallel-max", str(parallel), "--write-out", "%{size_download}\\n",
               "--config", config]
        run = self.timed(cmd, what="curl blob GETs")
        got = sum(int(x) for x in run.stdout.split())
        if got != img.blob_bytes:
            raise BenchError(f"curl fetched {got} bytes of {img.ref}'s blobs, expected {img.blob_bytes}")
        return run


# ---------------------------------------------------------------------------------------------
# Cases.


@dataclass
class Series:
    runs: list = field(default_factory=list)

    def add(self, run):
        self.runs.append(run)

    @property
    def median(self):
        return statistics.median(r.seconds for r in self.runs) if self.runs else None

    @property
    def peak_rss_kib(self):
        return max((r.rss_kib for r in self.runs), default=0)

    def to_json(self):
        if not self.runs:
            return None
        return {"runs_s": [round(r.seconds, 4) for r in self.runs], "median_s": round(self.median, 4),
                "peak_rss_kib": self.peak_rss_kib or None}


@dataclass
class Row:
    case: str
    metric: str               # what the ratio column means
    value: float              # ratio, or MiB for the RSS row
    target: str               # human text, e.g. ">= 3.00x"
    ok: bool
    promote: Series
    skopeo: Series
    curl: Series = None
    error: str = None         # set when the case failed: a copy failed or a digest differs

    @property
    def result(self):
        if self.error:
            return "FAIL"
        if self.target == "(none)":
            return "-"
        return "PASS" if self.ok else "MISS"


class Bench:
    def __init__(self, args):
        self.args = args
        self.work = args.work
        self.runner = Runner(args, args.work)
        self.rows = []
        self.cases = []
        self.images = {}

    # -- images --

    def push_image(self, spec, tag="v1", quiet=False):
        path = os.path.join(self.work, "layout", spec.repo.replace("/", "_"))
        total = spec.layers * len(spec.platforms)
        if not quiet:
            log(f"building {spec.repo}: {len(spec.platforms)} platform(s) x {spec.layers} layers x "
                f"{human_bytes(spec.layer_size)} ({total} layers) as an OCI layout")
        top, blobs, nbytes = build_layout(spec, path, tag)
        ref = f"{self.args.src}/{spec.repo}:{tag}"
        if not quiet:
            log(f"pushing {ref} ({human_bytes(nbytes)}) with skopeo copy oci:{path}:{tag}")
        env, home = self.runner.skopeo_env()
        cmd = ["skopeo", "--policy", self.runner.policy, "--registries-conf", self.runner.registries_conf,
               "copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false",
               f"oci:{path}:{tag}", f"docker://{ref}"]
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(path, ignore_errors=True)
        if p.returncode != 0:
            raise BenchError(f"pushing {ref} failed: {p.stderr}")
        got = head_manifest(self.args.src, spec.repo, tag)
        if got != top["digest"]:
            raise BenchError(f"pushed {ref} but the registry names {got}, expected {top['digest']}")
        return Image(spec, ref, top["digest"], blobs, nbytes)

    # -- the loop shared by the cases --

    def measure(self, name, reps, pairs_for, with_curl=None, check=None):
        """Runs `reps` rounds of promote, then skopeo (then curl), each into fresh targets given by
        pairs_for(tool, rep) -> [(Image, dst host, dst repo)]. Returns the three series."""
        p, s, c = Series(), Series(), Series()
        load_before = load()
        log(f"case {name}: {reps} round(s), load average {load_before}")
        for rep in range(reps):
            rp = self.runner.promote(pairs_for("promote", rep), "v1")
            if check:
                check(rp)
            p.add(rp)
            rs = self.runner.skopeo(pairs_for("skopeo", rep), "v1")
            s.add(rs)
            line = f"  round {rep + 1}/{reps}: promote {rp.seconds:.3f}s ({rp.rss_kib // 1024} MiB), " \
                   f"skopeo {rs.seconds:.3f}s ({rs.rss_kib // 1024} MiB)"
            if with_curl:
                rc = self.runner.curl_blobs(with_curl, self.args.curl_parallel)
                c.add(rc)
                line += f", curl {rc.seconds:.3f}s"
            log(line)
        load_after = load()
        self.cases.append({"case": name, "rounds": reps, "load_before": load_before, "load_after": load_after,
                           "promote": p.to_json(), "skopeo": s.to_json(), "curl": c.to_json(),
                           "promote_blobs": getattr(p.runs[-1], "results", [{}])[0].get("blobs"),
                           "promote_bytes": getattr(p.runs[-1], "results", [{}])[0].get("bytes")})
        return p, s, c

    def ratio_row(self, case, p, s, minimum, c=None):
        r = s.median / p.median
        self.rows.append(Row(case, "skopeo/promote", r, f">= {minimum:.2f}x", r >= minimum, p, s, c))

    # -- the cases --

    def case1_large(self):
        """large image, cross-registry"""
        a = self.args
        img = self.push_image(ImageSpec("bench/large", PLATFORMS, 8, a.large_layer))
        self.images["large"] = img
        dst = a.dst
        p, s, c = self.measure("1 large image, cross-registry", a.reps,
                               lambda tool, rep: [(img, dst, f"bench/c1/{tool}-{rep}/large")],
                               with_curl=img)
        name = f"1 large cross-reg ({len(img.blob_digests)} blobs, {human_bytes(img.blob_bytes)})"
        self.ratio_row(name, p, s, 1.0, c)
        r = p.median / c.median
        self.rows.append(Row(name, "promote/curl", r, "<= 1.15x", r <= 1.15, p, s, c))

    def case2_small_layers(self):
        """many small layers, cross-registry"""
        a = self.args
        img = self.push_image(ImageSpec("bench/small-layers", PLATFORMS, a.small_layers, 20 * KIB))
        p, s, c = self.measure("2 many small layers, cross-registry", a.reps,
                               lambda tool, rep: [(img, a.dst, f"bench/c2/{tool}-{rep}/small")],
                               with_curl=img)
        self.ratio_row(f"2 small layers cross-reg ({len(img.blob_digests)} blobs)", p, s, 3.0, c)

    def case3_same_registry(self):
        """same registry, another repository"""
        a = self.args
        img = self.images.get("large") or self.push_image(ImageSpec("bench/large", PLATFORMS, 8, a.large_layer))
        self.images["large"] = img
        moved = []

        def check(run):
            for res in run.results:
                b = res.get("bytes", {})
                moved.append(b.get("copied"))
                if b.get("copied") != 0:
                    log(f"  !! promote moved {b.get('copied')} blob bytes within one registry "
                        f"(blobs: {res.get('blobs')}); expected 0 (mounts)")

        p, s, _ = self.measure("3 same registry, another repository", a.reps,
                               lambda tool, rep: [(img, a.src, f"bench/c3/{tool}-{rep}/large")], check=check)
        name = f"3 same registry, mount ({len(img.blob_digests)} blobs)"
        self.ratio_row(name, p, s, 4.0)
        worst = max(moved)
        self.rows.append(Row(name, "bytes copied", worst, "== 0 B", worst == 0, p, s))

    def case4_release(self):
        """release of 20 images"""
        a = self.args
        log(f"building and pushing {a.release_images} images bench/release/appNN:v1, each "
            f"{len(PLATFORMS)} platforms x {a.release_layers} layers x {human_bytes(a.release_layer)}")
        imgs = [self.push_image(ImageSpec(f"bench/release/app{i:02d}", PLATFORMS, a.release_layers,
                                          a.release_layer), quiet=True)
                for i in range(a.release_images)]
        p, s, _ = self.measure(f"4 release of {len(imgs)} images, cross-registry", a.reps,
                               lambda tool, rep: [(img, a.dst, f"bench/c4/{tool}-{rep}/app{i:02d}")
                                                  for i, img in enumerate(imgs)])
        self.ratio_row(f"4 release: {len(imgs)} images in one call", p, s, 3.0)

    def case5_rerun(self):
        """re-run, everything present"""
        a = self.args
        img = self.images.get("large") or self.push_image(ImageSpec("bench/large", PLATFORMS, 8, a.large_layer))
        self.images["large"] = img
        repo = "bench/c5/existing"
        log(f"case 5: seeding {a.dst}/{repo}:v1 with promote (not timed)")
        self.runner.promote([(img, a.dst, repo)], "v1")

        def check(run):
            for res in run.results:
                if res.get("bytes", {}).get("copied"):
                    log(f"  !! promote re-run moved {res['bytes']['copied']} bytes; expected 0")

        p, s, _ = self.measure("5 re-run of case 1, all present", a.reps,
                               lambda tool, rep: [(img, a.dst, repo)], check=check)
        self.ratio_row("5 re-run, everything present", p, s, 1.0)

    def case6_huge(self):
        """one 1 GiB layer"""
        a = self.args
        free = shutil.disk_usage(self.work).free
        need = 4 * a.huge_size
        if free < need:
            log(f"case 6 skipped: {human_bytes(free)} free in {self.work}, needs about {human_bytes(need)}")
            return
        img = self.push_image(ImageSpec("bench/huge", PLATFORMS[:1], 1, a.huge_size))
        p, s, _ = self.measure(f"6 one {human_bytes(a.huge_size)} layer, cross-registry", a.huge_reps,
                               lambda tool, rep: [(img, a.dst, f"bench/c6/{tool}-{rep}/huge")])
        name = f"6 one {human_bytes(a.huge_size)} layer"
        rss_mib = p.peak_rss_kib / 1024
        self.rows.append(Row(name, "promote RSS MiB", rss_mib, "<= 64 MiB", rss_mib <= 64, p, s))
        self.rows.append(Row(name, "skopeo/promote", s.median / p.median, "(none)", True, p, s))

    def case_agent(self):
        """agent: N promotions through one agent vs N embedded CLI runs"""
        a = self.args
        case = bench_agent.AgentCase(a.promote, self.work, {
            "promotions": a.agent_promotions, "clients": a.agent_clients, "reps": a.agent_reps,
            "layout": a.agent_layout, "auth": a.agent_auth, "layers": 3, "layer_size": 16 * KIB,
            "limits": {"operations": 32, "queue": 256, "jobs": 16, "registry_requests": 32}})
        log(f"case agent: {a.agent_promotions} promotions, {a.agent_clients} concurrent clients, "
            f"{a.agent_reps} round(s), layout {a.agent_layout}, {a.agent_auth} auth over TLS; load average {load()}")
        report = case.run()
        self.agent_report = report
        med = report["median"]
        name = (f"agent: {report['promotions']} runs, {report['clients']} clients, "
                f"TLS+{report['auth']}, layout {report['layout']}")
        ratio = report["ratio"]
        bad = sum(med[m]["failures"] + med[m]["wrong_digests"] for m in ("agent", "cli"))
        row = Row(name, "agent/CLI throughput", ratio, ">= 3.00x", ratio >= 3.0, Series(), Series())
        if bad:
            row.error = (f"{med['agent']['failures']} + {med['cli']['failures']} failed promotions, "
                         f"{med['agent']['wrong_digests']} + {med['cli']['wrong_digests']} wrong digests (agent + CLI)")
        self.rows.append(row)
        self.cases.append({"case": "agent", **report})
        if bad:
            raise BenchError(row.error)

    def agent_table(self):
        r = getattr(self, "agent_report", None)
        if not r:
            return ""
        med = r["median"]
        head = ["mode", "promotions/s", "p50", "p99", "failed", "wrong digest", "CPU s per promotion",
                "tokens/run", "TCP accepts/run (host-wide)"]
        lines = []
        for mode, label in (("agent", "one agent (--agent unix://…)"), ("cli", "separate CLI runs")):
            m = med[mode]
            cpu = m["cpu_s_per_promotion"]
            cpu_text = ", ".join(f"{k} {cpu[k]:.3f}" for k in ("clients", "agent", "registries", "token server")
                                 if k in cpu and (k != "token server" or r["auth"] == "token"))
            tok = m["token_requests_per_promotion"]
            lines.append([label, f"{m['throughput']:.2f}", f"{m['p50_s']:.2f}s", f"{m['p99_s']:.2f}s",
                          f"{m['failures']}/{m['promotions']}", str(m["wrong_digests"]), cpu_text,
                          "-" if tok is None else f"{tok:.2f}", f"{m['tcp_accepts_per_promotion']:.1f}"])
        widths = [max(len(str(x[i])) for x in [head] + lines) for i in range(len(head))]
        out = [f"agent case: {r['promotions']} x `promote run` dev -> stage ({r['image']}), {r['clients']} at a "
               f"time, registries on {r['registry_address']} with TLS and {r['auth']} auth, layout "
               f"'{r['layout']}'; medians of {len(r['rounds'])} round(s) (failures summed); "
               f"case took {r['case_seconds']:.0f}s",
               "  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
        out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
        out.append(f"throughput agent / separate runs: {r['ratio']:.2f}x (target >= 3.00x); per round: " +
                   ", ".join(f"{x['agent']['throughput'] / x['cli']['throughput']:.2f}x" for x in r["rounds"]))
        return "\n".join(out)

    # -- output --

    def table(self):
        head = ["case", "promote", "skopeo", "curl", "metric", "value", "target", "result",
                "promote RSS", "skopeo RSS"]
        lines = []

        def secs(series):
            return f"{series.median:.3f}s" if series and series.runs else "-"

        def rss(series):
            return f"{series.peak_rss_kib / 1024:.1f} MiB" if series and series.runs else "-"

        for r in self.rows:
            if r.value is None:
                val = "-"
            elif r.metric in ("bytes copied", "lost promotions", "wrong digests"):
                val = f"{r.value:.0f}"
            elif "RSS" in r.metric:
                val = f"{r.value:.1f}"
            else:
                val = f"{r.value:.2f}x"
            lines.append([r.case, secs(r.promote), secs(r.skopeo), secs(r.curl), r.metric, val, r.target,
                          r.result, rss(r.promote), rss(r.skopeo)])
        widths = [max(len(str(x[i])) for x in [head] + lines) for i in range(len(head))]
        out = ["  ".join(str(h).ljust(w) for h, w in zip(head, widths)),
               "  ".join("-" * w for w in widths)]
        out += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in lines]
        return "\n".join(line.rstrip() for line in out)

    def report_json(self, started, load_start):
        def med(series):
            return round(series.median, 4) if series and series.runs else None

        return {
            "schema": 1,
            "command": " ".join(self.args.command_line),
            "started": started,
            "rounds": self.args.reps,
            "agent_rounds": self.args.agent_reps,
            "quick": self.args.quick,
            "machine": {"nproc": os.cpu_count(), "load_start": load_start, "load_end": load(),
                        "promote": self.args.promote_origin or self.args.promote,
                        "promote_sha256": sha256_file(self.args.promote), "versions": self.args.versions},
            "notes": "times are medians of wall-clock seconds over the rounds; tools ran interleaved "
                     "(promote, skopeo[, curl]) in every round into fresh target repositories; "
                     "skopeo ran with a fresh HOME (empty blob-info cache) per round; RSS is the "
                     "largest peak RSS (GNU time %M) over the rounds",
            "rows": [{"case": r.case, "metric": r.metric,
                      "value": round(r.value, 4) if r.value is not None else None, "target": r.target,
                      "result": r.result, "error": r.error,
                      "promote_median_s": med(r.promote), "skopeo_median_s": med(r.skopeo),
                      "curl_median_s": med(r.curl),
                      "promote_peak_rss_kib": r.promote.peak_rss_kib if r.promote else None,
                      "skopeo_peak_rss_kib": r.skopeo.peak_rss_kib if r.skopeo else None} for r in self.rows],
            "cases": self.cases,
        }


def preflight(runner, args):
    """Checks that skopeo's blob-info cache lands in the per-run HOME, not in a shared location."""
    env, home = runner.skopeo_env()
    p = subprocess.run(["skopeo", "--debug", "--policy", runner.policy, "--registries-conf",
                        runner.registries_conf, "copy", "--all", "--preserve-digests",
                        "--src-tls-verify=false", "--dest-tls-verify=false",
                        f"docker://{args.src}/bench/preflight:v1", f"docker://{args.src}/bench/preflight-2:v1"],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    shutil.rmtree(home, ignore_errors=True)
    if p.returncode != 0:
        raise BenchError(f"skopeo preflight copy failed:\n{p.stdout[-3000:]}")
    for line in p.stdout.splitlines():
        if "blob info cache at" in line:
            where = line.split("blob info cache at", 1)[1].strip().strip('"').split()[0]
            if not where.startswith(home):
                raise BenchError(f"skopeo keeps its blob-info cache at {where}, outside the per-run HOME; "
                                 "its runs would not start cold")
            log(f"skopeo blob-info cache is per run (under {home})")
            return
    log("skopeo did not report its blob-info cache location; assuming the per-run HOME isolates it")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--promote", required=True)
    ap.add_argument("--promote-origin", default="", help="where the promote binary was copied from")
    ap.add_argument("--src", required=True, help="source registry host:port")
    ap.add_argument("--dst", required=True, help="target registry host:port")
    ap.add_argument("--work", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--cases", default="1,2,3,4,5,6")
    ap.add_argument("--huge", choices=["auto", "yes", "no"], default="auto")
    ap.add_argument("--json", dest="json_file")
    ap.add_argument("--promote-jobs", type=int, default=0)
    ap.add_argument("--curl-parallel", type=int, default=8)
    ap.add_argument("--agent-promotions", type=int, help="default 100 (--quick: 40)")
    ap.add_argument("--agent-clients", type=int, default=20)
    ap.add_argument("--agent-layout", choices=["one", "many"], default="one")
    ap.add_argument("--agent-auth", choices=["token", "basic"], default="token")
    ap.add_argument("--command-line", nargs=argparse.REMAINDER, default=[])
    args = ap.parse_args()

    q = args.quick
    args.reps = args.reps or (2 if q else 5)
    args.large_layer = (2 if q else 12) * MIB
    args.small_layers = 20 if q else 40
    args.release_images = 20
    args.release_layers = 2 if q else 3
    args.release_layer = (16 if q else 64) * KIB
    args.huge_size = 1 << 30
    args.huge_reps = min(args.reps, 3)
    args.agent_reps = min(args.reps, 3)
    args.agent_promotions = args.agent_promotions or (40 if q else 100)
    if args.agent_promotions < 1 or args.agent_clients < 1:
        ap.error("--agent-promotions and --agent-clients must be at least 1")
    cases = {c.strip() for c in args.cases.split(",") if c.strip()}
    if "soak" in cases:
        ap.error("the soak is a reliability test now: run scripts/soak")
    unknown = cases - {"1", "2", "3", "4", "5", "6", "agent"}
    if unknown:
        ap.error(f"unknown case(s) {', '.join(sorted(unknown))}: choose from 1,2,3,4,5,6,agent")
    cases = {int(c) if c.isdigit() else c for c in cases}
    if args.huge == "no" or (args.huge == "auto" and q):
        cases.discard(6)
    args.versions = {
        "skopeo": subprocess.run(["skopeo", "--version"], capture_output=True, text=True).stdout.strip(),
        "registry": subprocess.run(["docker-registry", "--version"], capture_output=True, text=True).stdout.strip(),
        "curl": subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
    }

    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    load_start = load()
    bench = Bench(args)
    log(f"{'quick' if q else 'full'} run: cases {sorted(cases, key=str)}, {args.reps} round(s) each; "
        f"load average {load_start} on {os.cpu_count()} cores")
    try:
        if any(isinstance(c, int) for c in cases):  # the skopeo check matters to the copy cases only
            bench.push_image(ImageSpec("bench/preflight", PLATFORMS[:1], 1, 1 * KIB))
            preflight(bench.runner, args)
    except BenchError as e:
        log(f"FAILED before the first case: {e}")
        return 1
    failed = []
    for n, fn in [(1, bench.case1_large), (2, bench.case2_small_layers), (3, bench.case3_same_registry),
                  (4, bench.case4_release), (5, bench.case5_rerun), (6, bench.case6_huge),
                  ("agent", bench.case_agent)]:
        if n not in cases:
            continue
        try:
            fn()
        except (BenchError, bench_agent.AgentCaseError) as e:
            # The case is void; the others still run so one failure does not hide the rest.
            log(f"!! case {n} FAILED: {e}")
            failed.append(n)
            if not any(r.error for r in bench.rows if r.case.startswith(str(n))):
                bench.rows.append(Row(f"{n} {fn.__doc__ or fn.__name__}", "error", None, "copy ok, same digest",
                                      False, Series(), Series(), error=str(e).splitlines()[0]))

    report = bench.report_json(started, load_start)
    print()
    copy_cases = sorted(c for c in cases if isinstance(c, int))
    what = (f"promote copy vs skopeo copy --all (medians of {args.reps} interleaved rounds"
            f"{'; case 6: ' + str(args.huge_reps) if 6 in cases else ''}"
            f"{'; agent case: ' + str(args.agent_reps) if 'agent' in cases else ''})") if copy_cases else \
        f"promote agent vs separate CLI runs (medians of {args.agent_reps} rounds)"
    print(f"{what}; load average start {load_start}, end {report['machine']['load_end']}, {os.cpu_count()} cores")
    print(bench.table())
    if bench.agent_table():
        print()
        print(bench.agent_table())
    missed = [r for r in bench.rows if not r.ok and not r.error]
    counted = [r for r in bench.rows if r.result != "-"]
    print(f"\n{len([r for r in counted if r.result == 'PASS'])} of {len(counted)} targets met"
          + (f"; missed: {', '.join(r.case + ' ' + r.metric for r in missed)}" if missed else ""))
    if args.json_file:
        with open(args.json_file, "w") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
        log(f"wrote {args.json_file}")
    if failed:
        print(f"FAILED: case(s) {', '.join(map(str, failed))}: a copy failed or a digest differs (see stderr)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
