#!/usr/bin/env python3
"""The inputs each example workflow passes to the action, as the runner would evaluate them on a
push to the workflow's first branch (workflow_dispatch inputs empty, secrets as placeholders),
with action.yml's defaults for the inputs a step leaves out. For every step that uses the action,
writes OUT_DIR/<n>.inputs: a first line naming workflow, job and step, then one INPUT_<ID>=VALUE
per declared input. Fails on an expression it cannot evaluate, so a new one gets added here.
  example-inputs.py ACTION_DIR OUT_DIR SHA
"""
import os
import re
import sys

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def evaluate(text, context):
    def term(t):
        t = t.strip()
        if t in ("true", "false"):
            return t
        if t.startswith("secrets."):
            return "placeholder-" + t[len("secrets."):].lower()
        if t.startswith("inputs.") or t.startswith("steps."):
            return ""
        if t in context:
            return context[t]
        raise ValueError(f"cannot evaluate '{t}'")

    def expr(m):
        # a || b: the first alternative that is not empty or false, else the last.
        values = [term(alternative) for alternative in m.group(1).split("||")]
        return next((v for v in values if v not in ("", "false")), values[-1])

    return EXPR.sub(expr, str(text))


def main():
    action_dir, out_dir, sha = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(os.path.join(action_dir, "action.yml")) as f:
        declared = yaml.safe_load(f)["inputs"]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    examples = os.path.join(action_dir, "examples")
    for name in sorted(os.listdir(examples)):
        with open(os.path.join(examples, name)) as f:
            workflow = yaml.safe_load(f)
        triggers = workflow.get("on", workflow.get(True, {}))
        push = (triggers or {}).get("push") or {}
        branch = (push.get("branches") or ["develop"])[0].replace("**", "v1.2.0-sha-" + sha[:7]).replace("*", "x")
        context = {"github.sha": sha, "github.ref_name": branch}
        for job_id, job in workflow.get("jobs", {}).items():
            for i, step in enumerate(job.get("steps", [])):
                if "/github-action@" not in str(step.get("uses", "")):
                    continue
                given = step.get("with") or {}
                n += 1
                lines = [f"{name} job {job_id} step {step.get('name', i + 1)} (branch {branch})"]
                for input_id, spec in declared.items():
                    value = given.get(input_id, spec.get("default", ""))
                    if isinstance(value, bool):
                        value = "true" if value else "false"
                    value = evaluate(value, context)
                    if "\n" in value:
                        raise ValueError(f"{name}: {input_id} is not a single line")
                    lines.append(f"INPUT_{input_id.upper().replace('-', '_')}={value}")
                with open(os.path.join(out_dir, f"{n}.inputs"), "w") as f:
                    f.write("\n".join(lines) + "\n")
    print(n)


if __name__ == "__main__":
    sys.exit(main())
