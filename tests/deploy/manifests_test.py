#!/usr/bin/python3
"""deploy/: every Kubernetes manifest parses and has what its kind requires; the Deployment runs
under the "restricted" Pod Security Standard, probes the agent, and its mounts, ports and probes
agree with the agent.yaml of the ConfigMap; the Helm chart, rendered with its default values,
gives the same objects as deploy/kubernetes (Helm's own labels aside).

No helm or kubeconform in Debian 12: the chart is rendered here by a small renderer for the
subset of Helm templates the chart uses ({{ .Values.x }}, .Release.*, .Chart.*, include, toYaml,
quote, nindent, indent, if/end, define, comments). Anything else in a template fails the test,
which keeps the chart within what can be checked.
  tests/deploy/manifests_test.py [REPO_ROOT]"""
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import Checks, repo_root  # noqa: E402

ROOT = repo_root(__file__)
K8S = os.path.join(ROOT, "deploy", "kubernetes")
CHART = os.path.join(ROOT, "deploy", "helm", "promote-agent")
check = Checks()


def ports_named(container, name):
    return [p["containerPort"] for p in container.get("ports", []) if p.get("name") == name]


# --- a Helm template renderer for the subset the chart uses ---

ACTION = re.compile(r"(\s*)\{\{(-?)\s*(.*?)\s*(-?)\}\}(\s*)", re.S)


def lookup(path, ctx):
    node = ctx
    for part in path.strip(".").split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"{path}: no such value")
        node = node[part]
    return node


def to_yaml(v):
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True).rstrip("\n")


def evaluate(expr, ctx, defines):
    stages = [s.strip() for s in expr.split("|")]
    head = stages[0]
    if m := re.fullmatch(r'include "([^"]+)" \.', head):
        value = render(defines[m.group(1)], ctx, defines)
    elif m := re.fullmatch(r"toYaml (\.[\w.]+)", head):
        value = to_yaml(lookup(m.group(1), ctx))
    elif re.fullmatch(r"\.[\w.]+", head):
        value = lookup(head, ctx)
        value = str(value).lower() if isinstance(value, bool) else str(value)
    else:
        raise ValueError(f"unsupported template action: {{{{ {expr} }}}}")
    for stage in stages[1:]:
        if stage == "quote":
            value = '"' + value.replace('"', '\\"') + '"'
        elif m := re.fullmatch(r"(n?)indent (\d+)", stage):
            pad = " " * int(m.group(2))
            value = ("\n" if m.group(1) else "") + "\n".join(pad + line if line else line for line in value.split("\n"))
        else:
            raise ValueError(f"unsupported template function: {stage}")
    return value


def tokens(text):
    """[("text", s) | ("action", expr)] with Helm's {{- and -}} whitespace trimming applied."""
    out, pos = [], 0
    for m in ACTION.finditer(text):
        before = text[pos:m.start()] + ("" if m.group(2) else m.group(1))
        out.append(("text", before))
        out.append(("action", m.group(3)))
        pos = m.end() if m.group(4) else m.end() - len(m.group(5))
    out.append(("text", text[pos:]))
    return out


def parse_defines(text):
    defines, stack = {}, []
    for kind, s in tokens(text):
        if kind == "action" and (m := re.fullmatch(r'define "([^"]+)"', s)):
            stack.append((m.group(1), []))
        elif kind == "action" and s == "end" and stack:
            name, body = stack.pop()
            defines[name] = body
        elif stack:
            stack[-1][1].append((kind, s))
    return defines


def render(toks, ctx, defines):
    out, skipping = [], []
    for kind, s in toks:
        if kind == "action" and s.startswith("/*"):
            continue
        if kind == "action" and (m := re.fullmatch(r"if (\.[\w.]+)", s)):
            skipping.append(not lookup(m.group(1), ctx))
            continue
        if kind == "action" and s == "end":
            skipping.pop()
            continue
        if any(skipping):
            continue
        out.append(s if kind == "text" else evaluate(s, ctx, defines))
    return "".join(out)


def render_chart():
    with open(os.path.join(CHART, "Chart.yaml")) as f:
        chart = yaml.safe_load(f)
    with open(os.path.join(CHART, "values.yaml")) as f:
        values = yaml.safe_load(f)
    ctx = {"Values": values, "Release": {"Name": "promote-agent", "Namespace": "default", "Service": "Helm"},
           "Chart": {"Name": chart["name"], "Version": chart["version"], "AppVersion": chart["appVersion"]}}
    tdir = os.path.join(CHART, "templates")
    with open(os.path.join(tdir, "_helpers.tpl")) as f:
        defines = parse_defines(f.read())
    objects = []
    for name in sorted(os.listdir(tdir)):
        if not name.endswith(".yaml"):
            continue
        with open(os.path.join(tdir, name)) as f:
            text = render(tokens(f.read()), ctx, defines)
        objects += [o for o in yaml.safe_load_all(text) if o]
    return chart, objects


# --- the checks ---

def load_dir(path):
    objects = []
    for name in sorted(os.listdir(path)):
        if name.endswith(".yaml") and name != "kustomization.yaml":
            with open(os.path.join(path, name)) as f:
                objects += [o for o in yaml.safe_load_all(f) if o]
    return objects


REQUIRED = {
    "Deployment": ["spec.replicas", "spec.selector.matchLabels", "spec.template.metadata.labels",
                   "spec.template.spec.containers"],
    "Service": ["spec.selector", "spec.ports"],
    "ConfigMap": ["data.agent.yaml"],
    "ServiceAccount": [],
    "NetworkPolicy": ["spec.podSelector", "spec.policyTypes"],
    "PodDisruptionBudget": ["spec.selector.matchLabels"],
}
API = {"Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "ServiceAccount": "v1",
       "NetworkPolicy": "networking.k8s.io/v1", "PodDisruptionBudget": "policy/v1"}


def get(obj, path):
    node = obj
    keys = path.split(".")
    i = 0
    while i < len(keys):
        # keys with dots (agent.yaml) are looked up whole
        for j in range(len(keys), i, -1):
            k = ".".join(keys[i:j])
            if isinstance(node, dict) and k in node:
                node, i = node[k], j
                break
        else:
            return None
    return node


def check_objects(objects, where):
    by_kind = {}
    for o in objects:
        kind = o.get("kind")
        check(kind in REQUIRED, f"{where}: unexpected kind {kind}")
        if kind not in REQUIRED:
            continue
        by_kind[kind] = o
        check(o.get("apiVersion") == API[kind], f"{where}: {kind} apiVersion {o.get('apiVersion')}")
        check(bool(get(o, "metadata.name")), f"{where}: {kind} has no metadata.name")
        for field in REQUIRED[kind]:
            check(get(o, field) is not None, f"{where}: {kind} lacks {field}")
    check(set(by_kind) == set(REQUIRED), f"{where}: kinds {sorted(by_kind)} != {sorted(REQUIRED)}")
    dep, cm, svc = by_kind.get("Deployment"), by_kind.get("ConfigMap"), by_kind.get("Service")
    if not (dep and cm and svc):
        return by_kind
    pod = dep["spec"]["template"]["spec"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    sel = dep["spec"]["selector"]["matchLabels"]
    check(all(labels.get(k) == v for k, v in sel.items()), f"{where}: selector does not match the pod labels")
    check(all(labels.get(k) == v for k, v in svc["spec"]["selector"].items()), f"{where}: Service selects no agent pod")
    for kind in ("NetworkPolicy", "PodDisruptionBudget"):
        o = by_kind.get(kind)
        s = (o or {}).get("spec", {}).get("podSelector" if kind == "NetworkPolicy" else "selector", {})
        check(all(labels.get(k) == v for k, v in s.get("matchLabels", {}).items()) and s.get("matchLabels"),
              f"{where}: {kind} selects no agent pod")

    # Pod Security Standard "restricted"
    psc = pod.get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot")
    check(psc.get("seccompProfile", {}).get("type") in ("RuntimeDefault", "Localhost"), f"{where}: pod seccompProfile")
    check(pod.get("automountServiceAccountToken") is False, f"{where}: service account token mounted")
    check(not any(pod.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), f"{where}: host namespaces")
    check(all("hostPath" not in v for v in pod.get("volumes", [])), f"{where}: hostPath volume")
    (c,) = pod["containers"]
    sc = c.get("securityContext", {})
    check(sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation")
    check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: capabilities.drop [ALL]")
    check(not sc.get("capabilities", {}).get("add"), f"{where}: capabilities added")
    check(sc.get("readOnlyRootFilesystem") is True, f"{where}: readOnlyRootFilesystem")
    check(sc.get("privileged") is not True, f"{where}: privileged")
    res = c.get("resources", {})
    check(bool(res.get("requests", {}).get("cpu")) and bool(res.get("requests", {}).get("memory")),
          f"{where}: resource requests")
    check(bool(res.get("limits", {}).get("memory")), f"{where}: memory limit")

    # The agent's config against the pod: ports, probes, mounts.
    agent = yaml.safe_load(cm["data"]["agent.yaml"])
    check(set(agent) <= {"version", "listen", "socket-mode", "socket-group", "tls", "auth", "registries",
                         "docker-config", "ca-file", "plain-http", "signing", "scanners", "limits",
                         "allow-request-credentials", "log", "shutdown-grace-seconds", "policy", "metrics"},
          f"{where}: agent.yaml has keys the agent does not know")
    tcp_ports = {int(a.rsplit(":", 1)[1]) for a in agent["listen"] if a.startswith("tcp://")}
    metrics_port = int(agent["metrics"]["listen"].rsplit(":", 1)[1]) if "metrics" in agent else None
    check(metrics_port is None or ports_named(c, "metrics") == [metrics_port],
          f"{where}: the container port named metrics is not agent.yaml's metrics.listen port")
    if metrics_port is not None:
        tcp_ports.add(metrics_port)
    unix = [a[len("unix://"):] for a in agent["listen"] if a.startswith("unix://")]
    ports = {p["containerPort"]: p["name"] for p in c["ports"]}
    check(set(ports) == tcp_ports, f"{where}: container ports {sorted(ports)} != agent.yaml TCP ports {sorted(tcp_ports)}")
    check(all(not a.startswith("tcp://") or agent.get("tls") for a in agent["listen"]), f"{where}: TCP without TLS")
    check(bool(agent.get("auth", {}).get("token-file") or agent.get("tls", {}).get("client-ca")),
          f"{where}: TCP without tokens or client CA")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        cmd = c.get(probe, {}).get("exec", {}).get("command", [])
        check(cmd[:1] == ["promote"] and cmd[-1:] == ["health"] and f"unix://{unix[0]}" in cmd if unix else False,
              f"{where}: {probe} runs promote health on the agent's unix socket")
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}

    def mounted(path):
        return any(path == mp or path.startswith(mp.rstrip("/") + "/") for mp in mounts)

    files = [agent.get("tls", {}).get("cert"), agent.get("tls", {}).get("key"),
             agent.get("auth", {}).get("token-file"), agent.get("docker-config")]
    files += [v[len("file:"):] for v in (agent.get("signing") or {}).values() if str(v).startswith("file:")]
    for f in filter(None, files):
        check(mounted(f), f"{where}: agent.yaml names {f}, which no volume mounts")
    for u in unix:
        m = mounts.get(os.path.dirname(u))
        check(m is not None and "emptyDir" in volumes[m["name"]] and not m.get("readOnly"),
              f"{where}: the socket directory {os.path.dirname(u)} is a writable emptyDir")
    check("/etc/promote" in mounts and "configMap" in volumes[mounts["/etc/promote"]["name"]],
          f"{where}: agent.yaml mounted from the ConfigMap")
    for path in ("/tmp",):
        check(path in mounts, f"{where}: {path} writable (read-only root)")
    check(c.get("args", [])[:1] == ["agent"], f"{where}: the container runs promote agent")
    svc_ports = {p.get("targetPort") for p in svc["spec"]["ports"]}
    check(svc_ports <= set(ports.values()) | set(ports), f"{where}: Service targets a port the pod lacks")
    return by_kind


def normalise(o):
    """An object as compared: Helm's own labels dropped, agent.yaml parsed."""
    o = yaml.safe_load(yaml.safe_dump(o))
    for labels in (get(o, "metadata.labels"), get(o, "spec.template.metadata.labels")):
        if isinstance(labels, dict):
            labels.pop("helm.sh/chart", None)
            labels.pop("app.kubernetes.io/managed-by", None)
    if o.get("kind") == "ConfigMap":
        o["data"]["agent.yaml"] = yaml.safe_load(o["data"]["agent.yaml"])
    return o


def main():
    plain = load_dir(K8S)
    check_objects(plain, "deploy/kubernetes")
    with open(os.path.join(K8S, "kustomization.yaml")) as f:
        kust = yaml.safe_load(f)
    listed = set(kust["resources"])
    files = {n for n in os.listdir(K8S) if n.endswith(".yaml") and n != "kustomization.yaml"}
    check(listed == files, f"kustomization.yaml lists {sorted(listed)}, directory has {sorted(files)}")

    chart, rendered = render_chart()
    check(chart.get("apiVersion") == "v2" and chart.get("name") == "promote-agent", "Chart.yaml")
    check_objects(rendered, "helm chart")
    key = lambda o: (o["kind"], o["metadata"]["name"])  # noqa: E731
    a = {key(o): normalise(o) for o in plain}
    b = {key(o): normalise(o) for o in rendered}
    check(set(a) == set(b), f"chart renders {sorted(b)}, deploy/kubernetes has {sorted(a)}")
    for k in sorted(set(a) & set(b)):
        if a[k] != b[k]:
            import difflib
            diff = "\n".join(difflib.unified_diff(yaml.safe_dump(a[k]).splitlines(), yaml.safe_dump(b[k]).splitlines(),
                                                  "deploy/kubernetes", "helm chart", lineterm=""))
            check(False, f"{k}: the chart renders it differently:\n{diff}")
        else:
            check(True, "")
    # The app version, chart version and image tag move together.
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        version = re.search(r"project\(promote VERSION ([0-9.]+)", f.read()).group(1)
    check(chart["appVersion"] == version, f"Chart appVersion {chart['appVersion']} != promote {version}")
    dep = next(o for o in plain if o["kind"] == "Deployment")
    check(dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":" + version),
          f"deploy/kubernetes image is not promote {version}")

    return check.finish()


if __name__ == "__main__":
    sys.exit(main())
