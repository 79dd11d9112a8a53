#!/usr/bin/python3
"""Run a composite action.yml the way the GitHub Actions runner does, for tests.

What it reproduces (actions/runner, src/Runner.Worker: ActionManifestManager,
Handlers/CompositeActionHandler.cs, Handlers/ScriptHandler.cs, FileCommandManager.cs):
- inputs: `with` values over `default`s (defaults may be expressions); no INPUT_* variables
  (composite actions get none); `required` is not enforced, as on GitHub;
- expressions: see expr.py; an unsupported one fails the step, it is never '';
- per step: `if:` (default success()), `env:`, `working-directory` (relative to the
  workspace), `shell:` (required in composite actions), `continue-on-error`,
  `timeout-minutes`; the script goes to $RUNNER_TEMP/<guid> with ".sh" for bash and "" for
  a custom shell, whose `{0}` becomes its path;
- file commands: fresh empty GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY
  and GITHUB_STATE files under $RUNNER_TEMP/_runner_file_commands/ for every step, read
  after it (`name=value` and `name<<DELIM` forms); GITHUB_ENV and GITHUB_PATH carry to
  every later step;
- `uses: ./dir`: a nested local action (relative to the workspace, as on GitHub); any other
  `uses:` (actions/cache, actions/attest, ...) is skipped and recorded in the result;
- the action's `outputs:` from their `value:` expressions.

Usage: runner.py [--workspace DIR] [--temp DIR] [--input NAME=VALUE]... [--env NAME=VALUE]...
                 [--result FILE] [--job-state FILE] ACTION.yml|ACTION_DIR
--job-state makes several invocations steps of one job: what GITHUB_ENV and GITHUB_PATH
set (and the summaries) is read from FILE first and written back after.
Exit status: 0 when the action succeeded, 1 when a step failed, 2 for a usage error.
The result (JSON: conclusion, outputs, steps, skipped_uses, env, path, summary) goes to
--result; the steps' output goes to stdout.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expr import ExprError, Strict, evaluate_if, substitute  # noqa: E402

FILE_COMMANDS = {  # variable: file name prefix, as FileCommandManager names them
    "GITHUB_OUTPUT": "set_output_",
    "GITHUB_ENV": "set_env_",
    "GITHUB_PATH": "add_path_",
    "GITHUB_STEP_SUMMARY": "step_summary_",
    "GITHUB_STATE": "save_state_",
}
# ScriptHandlerHelpers: the built-in shells, their command lines and script extensions.
BUILTIN_SHELLS = {
    "bash": ("bash --noprofile --norc -eo pipefail {0}", ".sh"),
    "sh": ("sh -e {0}", ".sh"),
    "python": ("python {0}", ".py"),
}
# Workflow commands on stdout that GitHub disabled or deprecated in favour of the files.
DISABLED_COMMANDS = ("::set-env ", "::add-path::", "::set-output ", "::save-state ")


class ActionError(Exception):
    pass


def fake_context(workspace, temp):
    """A realistic GitHub-hosted runner environment for a push to main."""
    sha = "0123456789abcdef0123456789abcdef01234567"
    event = os.path.join(temp, "_github_workflow", "event.json")
    os.makedirs(os.path.dirname(event), exist_ok=True)
    with open(event, "w") as f:
        json.dump({"ref": "refs/heads/main", "after": sha,
                   "repository": {"full_name": "octo-org/hello", "default_branch": "main"}}, f)
    tool_cache = os.path.join(temp, "_tool")
    os.makedirs(tool_cache, exist_ok=True)
    return {
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTOR": "octocat",
        "GITHUB_ACTOR_ID": "583231",
        "GITHUB_API_URL": "https://api.github.com",
        "GITHUB_BASE_REF": "",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": event,
        "GITHUB_GRAPHQL_URL": "https://api.github.com/graphql",
        "GITHUB_HEAD_REF": "",
        "GITHUB_JOB": "build",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_REF_NAME": "main",
        "GITHUB_REF_PROTECTED": "true",
        "GITHUB_REF_TYPE": "branch",
        "GITHUB_REPOSITORY": "octo-org/hello",
        "GITHUB_REPOSITORY_ID": "123456789",
        "GITHUB_REPOSITORY_OWNER": "octo-org",
        "GITHUB_REPOSITORY_OWNER_ID": "987654",
        "GITHUB_RETENTION_DAYS": "90",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_RUN_ID": "9876543210",
        "GITHUB_RUN_NUMBER": "42",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_SHA": sha,
        "GITHUB_TRIGGERING_ACTOR": "octocat",
        "GITHUB_WORKFLOW": "release",
        "GITHUB_WORKFLOW_REF": "octo-org/hello/.github/workflows/release.yml@refs/heads/main",
        "GITHUB_WORKFLOW_SHA": sha,
        "GITHUB_WORKSPACE": workspace,
        "RUNNER_ARCH": "X64",
        "RUNNER_ENVIRONMENT": "github-hosted",
        "RUNNER_NAME": "GitHub Actions 2",
        "RUNNER_OS": "Linux",
        "RUNNER_TEMP": temp,
        "RUNNER_TOOL_CACHE": tool_cache,
        "RUNNER_WORKSPACE": os.path.dirname(workspace),
    }


def parse_file_command(path, what):
    """name=value lines and name<<DELIM ... DELIM blocks (FileCommandManager.cs)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    pairs, i = [], 0
    while i < len(lines):
        line = lines[i].rstrip("\r")
        i += 1
        if line == "":
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line[:eq], line[eq + 1:]
        elif heredoc >= 0:
            name, delim = line[:heredoc], line[heredoc + 2:]
            if delim == "":
                raise ActionError(f"{what}: {name}: an empty delimiter")
            body = []
            while i < len(lines) and lines[i].rstrip("\r") != delim:
                body.append(lines[i].rstrip("\r"))
                i += 1
            if i >= len(lines):
                raise ActionError(f"{what}: {name}: matching delimiter not found: {delim!r}")
            i += 1
            value = "\n".join(body)
        else:
            raise ActionError(f"{what}: invalid line {line!r} (neither name=value nor name<<DELIM)")
        if name == "":
            raise ActionError(f"{what}: a line with an empty name")
        pairs.append((name, value))
    return pairs


def load_action(path):
    if os.path.isdir(path):
        for name in ("action.yml", "action.yaml"):
            if os.path.isfile(os.path.join(path, name)):
                path = os.path.join(path, name)
                break
        else:
            raise ActionError(f"{path}: no action.yml")
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), dict):
        raise ActionError(f"{path}: not an action (no runs:)")
    if doc["runs"].get("using") != "composite":
        raise ActionError(f"{path}: runs.using is {doc['runs'].get('using')!r}; the harness runs composite actions")
    return os.path.dirname(os.path.abspath(path)), doc


class Job:
    """What the runner keeps for the whole job: base environment, GITHUB_ENV values, the
    GITHUB_PATH prefix, the summaries, and a log of every step of every action run."""

    def __init__(self, workspace, temp, base_env):
        self.workspace = workspace
        self.temp = temp
        self.base_env = base_env
        self.env = {}            # from GITHUB_ENV
        self.path = []           # from GITHUB_PATH, most recent first
        self.summary = []
        self.state = {}
        self.skipped_uses = []
        self.steps_log = []
        self.cmd_dir = os.path.join(temp, "_runner_file_commands")
        os.makedirs(self.cmd_dir, exist_ok=True)

    def process_env(self, action_env, step_env):
        env = dict(self.base_env)
        env.update(self.env)
        env.update(action_env)
        env.update(step_env)
        if self.path:
            env["PATH"] = ":".join(self.path + [env.get("PATH", os.defpath)])
        return env

    def github_ctx(self, action_dir, env):
        keys = {
            "action_path": action_dir, "workspace": self.workspace,
            "token": env.get("GITHUB_TOKEN", "ghs_fake_token_of_the_harness"),
        }
        for var in ("repository", "repository_owner", "repository_id", "sha", "ref", "ref_name",
                    "ref_type", "server_url", "api_url", "run_id", "run_number", "run_attempt",
                    "workflow", "workflow_ref", "workflow_sha", "event_name", "event_path", "actor",
                    "actor_id", "job", "head_ref", "base_ref", "triggering_actor", "retention_days"):
            if "GITHUB_" + var.upper() in env:
                keys[var] = env["GITHUB_" + var.upper()]
        return Strict("github", keys)

    def runner_ctx(self, env):
        return Strict("runner", {"temp": self.temp, "os": env.get("RUNNER_OS", "Linux"),
                                 "arch": env.get("RUNNER_ARCH", "X64"), "name": env.get("RUNNER_NAME", ""),
                                 "tool_cache": env.get("RUNNER_TOOL_CACHE", ""),
                                 "environment": env.get("RUNNER_ENVIRONMENT", ""),
                                 "debug": env.get("RUNNER_DEBUG", "")})


class Action:
    """One composite action invocation: its inputs, its steps context, its env."""

    def __init__(self, job, action_dir, doc, inputs, action_env, depth=0):
        self.job = job
        self.dir = action_dir
        self.doc = doc
        self.action_env = dict(action_env)
        self.depth = depth
        self.failed = False
        steps = doc["runs"].get("steps") or []
        if not isinstance(steps, list):
            raise ActionError(f"{action_dir}: runs.steps is not a list")
        self.steps = steps
        self.steps_ctx = Strict("steps", {
            s["id"]: {"outputs": {}, "outcome": None, "conclusion": None}
            for s in steps if isinstance(s, dict) and "id" in s})
        declared = doc.get("inputs") or {}
        unknown = sorted(set(inputs) - set(declared))
        if unknown:
            raise ActionError(f"{action_dir}: unexpected input(s) {', '.join(unknown)}; "
                              f"declared: {', '.join(sorted(declared))}")
        self.inputs = Strict("inputs", {})
        for name, spec in declared.items():
            if name in inputs:
                self.inputs[name] = inputs[name]
            elif isinstance(spec, dict) and "default" in spec:
                self.inputs[name] = self.subst(spec["default"], self.job.process_env(self.action_env, {}))
            else:
                self.inputs[name] = ""

    def contexts(self, env):
        return {"inputs": self.inputs, "steps": self.steps_ctx, "env": dict(env),
                "github": self.job.github_ctx(self.dir, env), "runner": self.job.runner_ctx(env)}

    def functions(self):
        return {"success": lambda: not self.failed, "failure": lambda: self.failed,
                "always": lambda: True, "cancelled": lambda: False}

    def subst(self, value, env):
        return substitute(value, self.contexts(env), self.functions())

    def log(self, msg):
        print(f"{'  ' * self.depth}[harness] {msg}", flush=True)

    def run(self):
        for index, step in enumerate(self.steps):
            if not isinstance(step, dict):
                raise ActionError(f"{self.dir}: step {index} is not a mapping")
            self.run_step(index, step)
        return self.outputs()

    def outputs(self):
        out = {}
        env = self.job.process_env(self.action_env, {})
        for name, spec in (self.doc.get("outputs") or {}).items():
            if not isinstance(spec, dict) or "value" not in spec:
                raise ActionError(f"{self.dir}: outputs.{name}: a composite action's output needs value:")
            out[name] = self.subst(spec["value"], env)
        return out

    def run_step(self, index, step):
        sid = step.get("id")
        label = sid or step.get("name") or f"step {index}"
        record = {"action": self.dir, "id": sid, "name": step.get("name"), "outputs": {}}
        self.job.steps_log.append(record)
        try:
            pre_env = self.job.process_env(self.action_env, {})
            step_env = {k: self.subst(v, pre_env) for k, v in (step.get("env") or {}).items()}
            env = self.job.process_env(self.action_env, step_env)
            if not evaluate_if(step.get("if"), self.contexts(pre_env), self.functions()):
                record.update(kind="if", outcome="skipped")
                self.set_result(sid, "skipped", {}, False)
                self.log(f"{label}: skipped (if: {step.get('if')})")
                return
            if "uses" in step:
                outputs = self.run_uses(step, env, record)
            elif "run" in step:
                outputs = self.run_script(step, env, step_env, record)
            else:
                raise ActionError("a step needs run: or uses:")
            outcome = "success"
        except (ActionError, ExprError, OSError, yaml.YAMLError) as e:
            self.log(f"{label}: error: {e}")
            record["error"] = str(e)
            outputs, outcome = record.get("outputs", {}), "failure"
        record["outcome"] = outcome
        self.set_result(sid, outcome, outputs, bool(step.get("continue-on-error")))

    def set_result(self, sid, outcome, outputs, continue_on_error):
        conclusion = "success" if outcome == "failure" and continue_on_error else outcome
        if conclusion == "failure":
            self.failed = True
        if sid:
            self.steps_ctx[sid] = {"outputs": outputs, "outcome": outcome, "conclusion": conclusion}

    def run_uses(self, step, env, record):
        uses = step["uses"]
        if not uses.startswith("./"):
            record.update(kind="uses-skipped", uses=uses)
            self.job.skipped_uses.append(uses)
            self.log(f"uses: {uses}: SKIPPED (a remote action; the harness does not fetch actions)")
            return {}
        record.update(kind="uses-local", uses=uses)
        path = os.path.join(self.job.workspace, uses[2:])
        child_dir, child_doc = load_action(path)
        inputs = {k: self.subst(v, env) for k, v in (step.get("with") or {}).items()}
        child_env = dict(self.action_env)
        child_env.update({k: v for k, v in env.items() if k in (step.get("env") or {})})
        child = Action(self.job, child_dir, child_doc, inputs, child_env, self.depth + 1)
        outputs = child.run()
        record["outputs"] = outputs
        if child.failed:
            raise ActionError(f"the local action {uses} failed")
        return outputs

    def shell_argv(self, step, script_path, env):
        shell = step.get("shell")
        if not shell:
            raise ActionError("shell: is required for a run: step in a composite action")
        shell = str(shell).strip()
        template = BUILTIN_SHELLS[shell][0] if shell in BUILTIN_SHELLS else shell
        if "{0}" not in template:
            template += " {0}"
        argv = [a.replace("{0}", script_path) for a in shlex.split(template)]
        exe = shutil.which(argv[0], path=env.get("PATH", os.defpath))
        if exe is None:
            raise ActionError(f"shell {argv[0]!r}: not found in PATH ({env.get('PATH', '')})")
        return [exe] + argv[1:]

    def write_script(self, step, env):
        shell = str(step.get("shell") or "").strip()
        ext = BUILTIN_SHELLS[shell][1] if shell in BUILTIN_SHELLS else ""
        path = os.path.join(self.job.temp, str(uuid.uuid4()) + ext)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.subst(step["run"], env))
        return path

    def fresh_file_commands(self):
        files = {}
        suffix = str(uuid.uuid4())
        for var, prefix in FILE_COMMANDS.items():
            files[var] = os.path.join(self.job.cmd_dir, prefix + suffix)
            open(files[var], "w").close()
        return files

    def run_script(self, step, env, step_env, record):
        files = self.fresh_file_commands()
        script = self.write_script(step, env)
        argv = self.shell_argv(step, script, env)
        wd = step.get("working-directory")
        cwd = os.path.join(self.job.workspace, self.subst(wd, env)) if wd else self.job.workspace
        env = dict(env)
        env.update(files)
        env["GITHUB_ACTION_PATH"] = self.dir
        env["GITHUB_ACTION"] = step.get("id") or "__run"
        record.update(kind="run", script=script, argv=argv, cwd=cwd)
        self.log(f"run ({step.get('name') or step.get('id') or 'unnamed'}): {' '.join(argv)}")
        timeout = step.get("timeout-minutes")
        rc = self.spawn(argv, env, cwd, float(timeout) * 60 if timeout else None)
        outputs = dict(parse_file_command(files["GITHUB_OUTPUT"], "GITHUB_OUTPUT"))
        record["outputs"] = outputs
        self.absorb_file_commands(files)
        record["exit"] = rc
        if rc != 0:
            raise ActionError(f"process completed with exit code {rc}")
        return outputs

    def spawn(self, argv, env, cwd, timeout):
        if not os.path.isdir(cwd):
            raise ActionError(f"working-directory {cwd}: no such directory")
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, close_fds=True)
        bad = None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace")
            sys.stdout.write("  " * self.depth + line)
            if line.startswith(DISABLED_COMMANDS):
                bad = line.strip()
        sys.stdout.flush()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise ActionError(f"timed out after {timeout}s")
        if bad:
            raise ActionError(f"disabled or deprecated workflow command on stdout: {bad} "
                              "(use the GITHUB_OUTPUT/GITHUB_ENV/GITHUB_PATH files)")
        return rc

    def absorb_file_commands(self, files):
        for name, value in parse_file_command(files["GITHUB_ENV"], "GITHUB_ENV"):
            if name.upper() == "NODE_OPTIONS":
                raise ActionError("GITHUB_ENV: NODE_OPTIONS cannot be set through GITHUB_ENV")
            self.job.env[name] = value
        with open(files["GITHUB_PATH"], encoding="utf-8") as f:
            for line in f.read().splitlines():
                line = line.strip()
                if line:
                    if line in self.job.path:
                        self.job.path.remove(line)
                    self.job.path.insert(0, line)
        with open(files["GITHUB_STEP_SUMMARY"], encoding="utf-8") as f:
            text = f.read()
        if text:
            self.job.summary.append(text)
        self.job.state.update(parse_file_command(files["GITHUB_STATE"], "GITHUB_STATE"))


def parse_pairs(items, what):
    out = {}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"runner.py: {what} {item!r}: want NAME=VALUE")
        k, v = item.split("=", 1)
        out[k] = v
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run a composite action.yml as the GitHub runner does.")
    ap.add_argument("action")
    ap.add_argument("--workspace", default=os.getcwd())
    ap.add_argument("--temp", help="RUNNER_TEMP (default: a new directory beside the workspace)")
    ap.add_argument("--input", action="append", default=[], help="NAME=VALUE, as with:")
    ap.add_argument("--env", action="append", default=[],
                    help="NAME=VALUE in the job's environment (the caller step's env:)")
    ap.add_argument("--result", help="write the result as JSON to this file")
    ap.add_argument("--job-state", help="carry GITHUB_ENV, GITHUB_PATH and summaries across invocations")
    a = ap.parse_args(argv)
    workspace = os.path.abspath(a.workspace)
    temp = os.path.abspath(a.temp) if a.temp else tempfile.mkdtemp(
        prefix="runner-temp.", dir=os.path.dirname(workspace))
    os.makedirs(temp, exist_ok=True)
    base = dict(os.environ)
    base.update(fake_context(workspace, temp))
    base.update(parse_pairs(a.env, "--env"))
    job = Job(workspace, temp, base)
    if a.job_state and os.path.exists(a.job_state):
        with open(a.job_state) as f:
            saved = json.load(f)
        job.env, job.path, job.summary = saved["env"], saved["path"], saved["summary"]
    result = {"conclusion": "failure", "outputs": {}}
    try:
        action_dir, doc = load_action(a.action)
        action = Action(job, action_dir, doc, parse_pairs(a.input, "--input"), {})
        result["outputs"] = action.run()
        result["conclusion"] = "failure" if action.failed else "success"
    except (ActionError, ExprError, OSError, yaml.YAMLError) as e:
        print(f"[harness] error: {e}", flush=True)
        result["error"] = str(e)
    result.update(steps=job.steps_log, skipped_uses=job.skipped_uses, env=job.env, path=job.path,
                  summary="".join(job.summary), state=job.state, runner_temp=temp)
    if a.job_state:
        with open(a.job_state, "w") as f:
            json.dump({"env": job.env, "path": job.path, "summary": job.summary}, f)
    if a.result:
        with open(a.result, "w") as f:
            json.dump(result, f, indent=2)
    print(f"[harness] conclusion: {result['conclusion']}", flush=True)
    return 0 if result["conclusion"] == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
