#!/usr/bin/python3
"""TAP: the action harness (runner.py) against the fixtures in fixtures/.

Each case runs runner.py as a program, the way the end-to-end suite does, in a fresh
workspace and RUNNER_TEMP under HM_WORK_BASE, and reads its --result JSON.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import expr  # noqa: E402
import runner  # noqa: E402


class Case:
    def __init__(self):
        base = os.environ.get("HM_WORK_BASE") or os.path.join(HERE, "work")
        os.makedirs(base, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="selftest.", dir=base)
        self.ws = os.path.join(self.dir, "ws")
        self.temp = os.path.join(self.dir, "runner-temp")
        os.makedirs(self.ws)

    def run(self, fixture, inputs=(), env=(), want_rc=0, job_state=None):
        result = os.path.join(self.dir, "result.json")
        argv = [sys.executable, os.path.join(HERE, "runner.py"), "--workspace", self.ws,
                "--temp", self.temp, "--result", result]
        if job_state:
            argv += ["--job-state", job_state]
        for k, v in inputs:
            argv += ["--input", f"{k}={v}"]
        for k, v in env:
            argv += ["--env", f"{k}={v}"]
        argv.append(os.path.join(FIXTURES, fixture))
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.log = p.stdout
        if p.returncode != want_rc:
            raise AssertionError(f"runner.py exit {p.returncode}, want {want_rc}; output:\n{p.stdout}")
        with open(result) as f:
            return json.load(f)

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def step(res, sid):
    for s in res["steps"]:
        if s["id"] == sid:
            return s
    raise AssertionError(f"no step {sid} in the result")


def case_outputs(c):
    res = c.run("outputs")
    eq(res["conclusion"], "success", "conclusion")
    eq(res["outputs"]["x"], "1", "one-line output")
    eq(res["outputs"]["multi"], "line one\nline=two\n\nline four", "multiline output (name<<DELIM)")
    eq(res["outputs"]["equals"], "a=b<<c", "'=' before '<<' is name=value")
    eq(res["outputs"]["seen"], "x=1 lines=4", "a later step reads steps.ID.outputs")


def case_env_path(c):
    res = c.run("env-path")
    out = res["outputs"]
    eq(out["tool"], "fixture-tool from " + os.path.join(FIXTURES, "env-path", "bin"),
       "GITHUB_PATH reaches the next step's PATH")
    eq(out["foo"], "bar baz", "GITHUB_ENV reaches the next step's environment")
    eq(out["foo-ctx"], "bar baz", "GITHUB_ENV reaches the env context")
    eq(out["multi"], "first+second", "multiline GITHUB_ENV")
    eq(out["step-env"], "step-level", "step env:")
    eq(out["later"], "unset", "step env: stays in its step")
    eq(res["path"], [os.path.join(FIXTURES, "env-path", "bin")], "the PATH prefix in the result")


def case_file_commands_fresh(c):
    """Every step gets its own empty file-command files under _runner_file_commands."""
    res = c.run("outputs")
    cmd_dir = os.path.join(c.temp, "_runner_file_commands")
    names = sorted(os.listdir(cmd_dir))
    eq(len(names), 10, "five files for each of two steps")
    for prefix in runner.FILE_COMMANDS.values():
        eq(sum(n.startswith(prefix) for n in names), 2, f"{prefix}* files")
    outs = [n for n in names if n.startswith("set_output_")]
    sizes = sorted(os.path.getsize(os.path.join(cmd_dir, n)) for n in outs)
    if sizes[0] == sizes[1]:
        raise AssertionError(f"both steps wrote the same GITHUB_OUTPUT file? sizes {sizes}")
    eq(step(res, "second")["outputs"], {"seen": "x=1 lines=4"}, "the second step's own outputs only")


def case_defaults(c):
    res = c.run("defaults")
    eq(res["outputs"]["all"], f"hello|{c.ws}/out|true|", "defaults (plain, expression, boolean-like, none)")
    eq(res["outputs"]["direct"], "hello-true", "inputs in an output value")
    eq(res["outputs"]["either"], "fallback", "'' || 'fallback'")
    res = c.run("defaults", inputs=[("greeting", "hi"), ("nodefault", "given"), ("flag", "false")])
    eq(res["outputs"]["all"], f"hi|{c.ws}/out|false|given", "with: overrides defaults")
    eq(res["outputs"]["either"], "given", "'given' || 'fallback'")
    res = c.run("defaults", inputs=[("typo", "x")], want_rc=1)
    if "unexpected input(s) typo" not in res.get("error", ""):
        raise AssertionError(f"an undeclared input was accepted: {res}")


def case_unsupported_expressions(c):
    res = c.run("expressions")
    eq(res["outputs"]["ok"], "yes", "no selected bad step: success")
    want = {
        "secrets": "context 'secrets' is not supported",
        "undeclared": "inputs.not_declared: not supported",
        "function": "function hashFiles() is not supported",
        "step": "steps.no_such_step: not supported",
        "github": "github.no_such_key: not supported",
        "syntax": "unexpected end of",
    }
    for which, msg in want.items():
        res = c.run("expressions", inputs=[("which", which)], want_rc=1)
        errors = [s.get("error", "") for s in res["steps"] if s.get("outcome") == "failure"]
        if len(errors) != 1 or msg not in errors[0]:
            raise AssertionError(f"which={which}: want one failed step saying {msg!r}; got {errors}")
        eq(res["outputs"]["ok"], "", f"which={which}: the step after the failure did not run")


def case_custom_shell(c):
    res = c.run("shells")
    out = res["outputs"]
    bash_script = out["bash-script"]
    eq(os.path.dirname(bash_script), c.temp, "the bash script is in RUNNER_TEMP")
    if not bash_script.endswith(".sh"):
        raise AssertionError(f"shell bash: script {bash_script} lacks .sh")
    custom = out["custom-script"]
    eq(os.path.dirname(custom), c.temp, "the custom shell's script is in RUNNER_TEMP")
    if "." in os.path.basename(custom):
        raise AssertionError(f"custom shell: script {custom} has an extension")
    with open(custom) as f:
        if 'echo "script=$0"' not in f.read():
            raise AssertionError("the custom shell's script is not the step's run:")
    if "e" not in out["custom-args"]:
        raise AssertionError(f"bash -e {{0}}: -e not in $- ({out['custom-args']})")
    eq(step(res, "custom")["argv"], [shutil.which("bash"), "-e", custom], "{0} replaced by the script path")
    eq(out["python"], os.path.basename(step(res, "py")["script"]), "python3 -I {0}")
    eq(out["pipefail"], "failure", "shell bash runs with -o pipefail")
    eq(step(res, "bash")["argv"][1:4], ["--noprofile", "--norc", "-eo"], "bash flags")


def case_failure(c):
    res = c.run("failure", want_rc=1)
    eq(res["conclusion"], "failure", "a failing step fails the action")
    eq(step(res, "skipped")["outcome"], "skipped", "a default step after a failure is skipped")
    eq(res["outputs"]["after-failure"], "yes", "if: failure() runs")
    eq(res["outputs"]["always"], "yes", "if: always() runs")
    eq(res["outputs"]["tolerated"], "failure/success", "continue-on-error")
    res = c.run("failure", inputs=[("fail", "false")])
    eq(res["outputs"]["after-failure"], "", "if: failure() does not run after success")
    eq(step(res, "skipped")["outcome"], "success", "the default step runs after success")


def case_nested_and_remote(c):
    shutil.copytree(os.path.join(FIXTURES, "nested-child"), os.path.join(c.ws, "nested-child"))
    res = c.run("nested")
    eq(res["outputs"]["child"], "from the parent octo-org/hello @ nested-child", "nested local action")
    eq(res["outputs"]["after"], "child", "GITHUB_ENV from a nested action")
    eq(res["skipped_uses"], ["actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830"], "remote uses recorded")


def case_context_env(c):
    """The fake runner environment a step sees."""
    probe = os.path.join(c.dir, "probe")
    os.makedirs(probe)
    with open(os.path.join(probe, "action.yml"), "w") as f:
        f.write("name: p\ndescription: p\nruns:\n  using: composite\n  steps:\n"
                "    - id: p\n      shell: bash\n      run: env > \"$RUNNER_TEMP/env.txt\"\n")
    c.run(probe, env=[("GITHUB_TOKEN", "ghp_x")])
    env = dict(line.split("=", 1) for line in open(os.path.join(c.temp, "env.txt")).read().splitlines() if "=" in line)
    for k, v in {"GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_OS": "Linux", "GITHUB_WORKSPACE": c.ws,
                 "RUNNER_TEMP": c.temp, "GITHUB_ACTION_PATH": probe, "GITHUB_TOKEN": "ghp_x"}.items():
        eq(env.get(k), v, k)
    for k in ("GITHUB_REPOSITORY", "GITHUB_SHA", "GITHUB_RUN_ID", "GITHUB_WORKFLOW_REF", "GITHUB_EVENT_PATH"):
        if not env.get(k):
            raise AssertionError(f"{k} is not set")
    for k in runner.FILE_COMMANDS:
        if not env.get(k, "").startswith(os.path.join(c.temp, "_runner_file_commands") + "/"):
            raise AssertionError(f"{k}={env.get(k)} is not under _runner_file_commands")
    if any(k.startswith("INPUT_") for k in env):
        raise AssertionError("composite actions get no INPUT_* variables")


def write_action(c, name, steps):
    d = os.path.join(c.dir, name)
    os.makedirs(d)
    with open(os.path.join(d, "action.yml"), "w") as f:
        f.write(f"name: {name}\ndescription: {name}\noutputs:\n  out:\n    description: o\n"
                f"    value: ${{{{ steps.s.outputs.out }}}}\nruns:\n  using: composite\n  steps:\n{steps}")
    return d


def case_job_state_and_workdir(c):
    """--job-state makes two invocations steps of one job; working-directory is relative
    to the workspace."""
    os.makedirs(os.path.join(c.ws, "sub", "dir"))
    first = write_action(c, "first", "    - id: s\n      shell: bash\n      working-directory: sub/dir\n"
                         "      run: |\n        echo \"out=$PWD\" >> \"$GITHUB_OUTPUT\"\n"
                         "        echo \"CARRIED=yes\" >> \"$GITHUB_ENV\"\n"
                         "        echo \"$PWD\" >> \"$GITHUB_PATH\"\n")
    second = write_action(c, "second", "    - id: s\n      shell: bash\n"
                          "      run: echo \"out=$CARRIED:${PATH%%:*}\" >> \"$GITHUB_OUTPUT\"\n")
    state = os.path.join(c.dir, "job.json")
    sub = os.path.join(c.ws, "sub", "dir")
    eq(c.run(first, job_state=state)["outputs"]["out"], sub, "working-directory")
    eq(c.run(second, job_state=state)["outputs"]["out"], f"yes:{sub}", "GITHUB_ENV and GITHUB_PATH across invocations")
    eq(c.run(second)["outputs"]["out"], ":" + os.environ.get("PATH", "").split(":")[0],
       "without --job-state nothing carries")


def case_missing_delimiter(c):
    bad = os.path.join(c.dir, "bad")
    os.makedirs(bad)
    with open(os.path.join(bad, "action.yml"), "w") as f:
        f.write("name: b\ndescription: b\nruns:\n  using: composite\n  steps:\n"
                "    - id: b\n      shell: bash\n      run: printf 'x<<EOF\\nno end\\n' >> \"$GITHUB_OUTPUT\"\n"
                "    - id: s\n      shell: bash\n      run: echo '::set-output name=y::1'\n"
                "      if: always()\n")
    res = c.run(bad, want_rc=1)
    if "matching delimiter not found" not in step(res, "b").get("error", ""):
        raise AssertionError(f"a missing delimiter was accepted: {step(res, 'b')}")
    if "disabled or deprecated workflow command" not in step(res, "s").get("error", ""):
        raise AssertionError(f"::set-output was accepted: {step(res, 's')}")


def case_expression_semantics(c):
    ctx = {"inputs": expr.Strict("inputs", {"a": "", "b": "x", "n": "3"}), "env": {}}
    ev = lambda s: expr.evaluate(s, ctx)  # noqa: E731
    eq(ev("inputs.a || inputs.b"), "x", "|| returns the first truthy operand")
    eq(ev("inputs.b && 'y'"), "y", "&& returns the last operand when all are truthy")
    eq(ev("inputs.a && 'y'"), "", "&& returns the first falsy operand")
    eq(ev("inputs.b == 'X'"), True, "== on strings ignores case")
    eq(ev("inputs.n == 3"), True, "== coerces a string to a number")
    eq(ev("!inputs.a"), True, "! of ''")
    eq(ev("'it''s'"), "it's", "'' inside a string literal")
    eq(ev("env.UNSET"), None, "an unset env var is null")
    eq(expr.substitute("a-${{ inputs.b }}-${{ '}}' }}", ctx), "a-x-}}", "substitution, '}}' in a literal")
    for bad in ("inputs.c", "vars.X", "toLower(inputs.b)", "inputs.b ==", "inputs.b |"):
        try:
            ev(bad)
        except expr.ExprError:
            continue
        raise AssertionError(f"{bad!r} evaluated instead of failing")


CASES = [
    ("step outputs, multiline outputs, action outputs", case_outputs),
    ("GITHUB_ENV and GITHUB_PATH carry to later steps", case_env_path),
    ("fresh file-command files for every step", case_file_commands_fresh),
    ("input defaults and with: overrides", case_defaults),
    ("an unsupported expression fails its step", case_unsupported_expressions),
    ("shell bash and a custom shell with {0} and an extension-less script", case_custom_shell),
    ("failure(), always(), continue-on-error", case_failure),
    ("a nested local action runs, a remote one is skipped and recorded", case_nested_and_remote),
    ("the fake GitHub context in the environment", case_context_env),
    ("working-directory; --job-state carries env and PATH between actions", case_job_state_and_workdir),
    ("a missing delimiter and a disabled workflow command fail the step", case_missing_delimiter),
    ("expression semantics (||, &&, ==, literals)", case_expression_semantics),
]


def main():
    print(f"1..{len(CASES)}")
    for n, (name, fn) in enumerate(CASES, 1):
        c = Case()
        try:
            fn(c)
            print(f"ok {n} - {name}")
        except Exception:  # every failure, whatever its kind, is this case's
            print(f"not ok {n} - {name}")
            for line in (traceback.format_exc() + "\nharness output:\n" + getattr(c, "log", "")).splitlines():
                print("# " + line)
        finally:
            c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
