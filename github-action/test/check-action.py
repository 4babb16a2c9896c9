#!/usr/bin/env python3
"""Static checks of the promote GitHub Action, the ones GitHub itself would only catch at run time:
- action.yml is a composite action whose steps run bash, with no ${{ }} expression inside run:
  (the script-injection hole) in action.yml or in any example workflow;
- every input is mapped into the step's env: as INPUT_<ID> (upper case, '-' -> '_'), every INPUT_*
  the entry script reads is such a mapping, and every mapped input is read;
- every declared output is value: ${{ steps.promote.outputs.<id> }} and the script writes it
  (set_output <id>), and the script writes no other output;
- the example workflows only pass declared inputs to the action, pass required ones, run the action
  under a concurrency group, and the prod workflow waits for the production environment.
The run: blocks are written to RUN_BLOCK_DIR as scripts for shellcheck.
usage: check-action.py ACTION_DIR RUN_BLOCK_DIR"""
import os
import re
import sys

import yaml

errors = []


def error(msg):
    errors.append(msg)


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def run_blocks(name, doc, out_dir):
    """Every run: string of a workflow or action, written out; checks for ${{ }} inside."""
    n = 0

    def walk(node, where):
        nonlocal n
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "run" and isinstance(v, str):
                    n += 1
                    if "${{" in v:
                        error(f"{name}: {where}: run: contains a ${{{{ }}}} expression; map it through env:")
                    shell = node.get("shell", "bash")
                    if isinstance(shell, str) and shell.startswith("bash"):
                        path = os.path.join(out_dir, f"{os.path.splitext(name)[0]}-{n}.sh")
                        with open(path, "w") as f:
                            f.write("#!/usr/bin/env bash\nset -euo pipefail\n" + v)
                else:
                    walk(v, f"{where}.{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{where}[{i}]")

    walk(doc, name)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    action_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    action = load(os.path.join(action_dir, "action.yml"))
    with open(os.path.join(action_dir, "promote-action.sh")) as f:
        script = f.read()

    for key in ("name", "description", "inputs", "outputs", "runs"):
        if key not in action:
            error(f"action.yml: missing {key}")
    inputs = action.get("inputs") or {}
    outputs = action.get("outputs") or {}
    runs = action.get("runs") or {}
    if runs.get("using") != "composite":
        error("action.yml: runs.using must be composite")
    steps = runs.get("steps") or []
    for i, step in enumerate(steps):
        if "run" in step and step.get("shell") != "bash":
            error(f"action.yml: step {i} runs without shell: bash")
    run_blocks("action.yml", action, out_dir)

    for iid, spec in inputs.items():
        spec = spec or {}
        if not spec.get("description"):
            error(f"action.yml: input {iid} has no description")
        if "required" not in spec:
            error(f"action.yml: input {iid} does not say whether it is required")
        if not spec.get("required") and "default" not in spec:
            error(f"action.yml: optional input {iid} has no default")

    promote_steps = [s for s in steps if s.get("id") == "promote"]
    if len(promote_steps) != 1:
        error("action.yml: expected one step with id: promote")
        env = {}
    else:
        env = promote_steps[0].get("env") or {}
        if "promote-action.sh" not in promote_steps[0].get("run", ""):
            error("action.yml: the promote step does not run promote-action.sh")
    mapped = {}
    for var, value in env.items():
        m = re.fullmatch(r"\$\{\{ inputs\.([a-z0-9-]+) \}\}", str(value))
        if var.startswith("INPUT_"):
            if not m:
                error(f"action.yml: env {var} is not mapped from an input")
                continue
            if m.group(1) not in inputs:
                error(f"action.yml: env {var} maps undeclared input {m.group(1)}")
            if var != "INPUT_" + m.group(1).upper().replace("-", "_"):
                error(f"action.yml: env {var} maps input {m.group(1)} under the wrong name")
            mapped[var] = m.group(1)
        elif m:
            error(f"action.yml: input {m.group(1)} reaches the script as {var}, not INPUT_*")
    for iid in inputs:
        if iid not in mapped.values():
            error(f"action.yml: input {iid} is declared but not passed to the script")
    read = set(re.findall(r"\bINPUT_[A-Z0-9_]+", script))
    for var in sorted(read - set(mapped)):
        error(f"promote-action.sh reads {var}, which no declared input is mapped to")
    for var in sorted(set(mapped) - read):
        error(f"promote-action.sh never reads {var} (input {mapped[var]})")

    written = set(re.findall(r"^\s*set_output ([a-z0-9-]+) ", script, re.M))
    for oid, spec in outputs.items():
        spec = spec or {}
        if not spec.get("description"):
            error(f"action.yml: output {oid} has no description")
        if spec.get("value") != "${{ steps.promote.outputs.%s }}" % oid:
            error(f"action.yml: output {oid} must be value: ${{{{ steps.promote.outputs.{oid} }}}}")
        if oid not in written:
            error(f"action.yml: output {oid} is declared but promote-action.sh never writes it")
    for oid in sorted(written - set(outputs)):
        error(f"promote-action.sh writes output {oid}, which action.yml does not declare")

    examples = os.path.join(action_dir, "examples")
    names = sorted(f for f in os.listdir(examples) if f.endswith(".yml")) if os.path.isdir(examples) else []
    required = {iid for iid, spec in inputs.items() if (spec or {}).get("required")}
    for name in names:
        wf = load(os.path.join(examples, name))
        run_blocks(name, wf, out_dir)
        if not isinstance(wf, dict) or "jobs" not in wf or (True not in wf and "on" not in wf):
            error(f"{name}: not a workflow (needs on: and jobs:)")
            continue
        prod_gate = False
        for jid, job in wf["jobs"].items():
            env_name = job.get("environment")
            if isinstance(env_name, dict):
                env_name = env_name.get("name")
            if env_name == "production":
                prod_gate = True
            for step in job.get("steps") or []:
                uses = step.get("uses", "")
                if "/github-action" not in uses and uses != "./github-action":
                    continue
                given = set((step.get("with") or {}).keys())
                for k in sorted(given - set(inputs)):
                    error(f"{name}: job {jid} passes undeclared input {k}")
                for k in sorted(required - given):
                    error(f"{name}: job {jid} does not pass required input {k}")
                if "concurrency" not in job and "concurrency" not in wf:
                    error(f"{name}: job {jid} promotes without a concurrency group")
        if name == "promote-prod.yml" and not prod_gate:
            error(f"{name}: no job waits for environment: production")

    for e in errors:
        print(f"check-action: {e}", file=sys.stderr)
    print(f"check-action: {len(inputs)} inputs, {len(outputs)} outputs, {len(names)} workflows, "
          f"{len(errors)} problems", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
