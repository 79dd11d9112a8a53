# shellcheck shell=bash
# Shared by the scripts of actions/*: messages as workflow commands, step outputs, and
# newline-separated list inputs. Sourced, never run.
#
# Every value a caller controls reaches these scripts through the environment (the
# action.yml files map inputs to HM_* variables in `env:`), never through `${{ }}` in a
# script, so no input is ever parsed as shell.

set -euo pipefail

# Workflow command data: % CR LF must be escaped or the runner cuts the message there
# (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
hm_escape() {
  local s=$1
  s=${s//'%'/'%25'}
  s=${s//$'\r'/'%0D'}
  s=${s//$'\n'/'%0A'}
  printf '%s' "$s"
}

hm_error() { printf '::error::%s\n' "$(hm_escape "$*")"; }
hm_warn() { printf '::warning::%s\n' "$(hm_escape "$*")"; }
hm_notice() { printf '::notice::%s\n' "$(hm_escape "$*")"; }

# Report an error the way the runner shows it, then stop the step.
hm_die() {
  hm_error "$*"
  exit 1
}

# Set a step output. The heredoc form carries any value, newlines included; the delimiter
# is random so that a value cannot end it early and inject further outputs.
hm_output() {
  local name=$1 value=$2 delim
  [[ -n ${GITHUB_OUTPUT:-} ]] || hm_die "GITHUB_OUTPUT is not set: not running as a GitHub Actions step"
  delim="hermetic_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  [[ $value != *"$delim"* ]] || hm_die "output $name: value contains the delimiter"
  printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >>"$GITHUB_OUTPUT"
}

# Split a multi-line input into the array named by $1: one item per line, surrounding
# blanks trimmed, empty lines and lines starting with '#' skipped. No word splitting and
# no glob expansion happen here: hermetic expands subject globs itself.
hm_lines() {
  local -n _out=$1
  local line
  _out=()
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [[ -z $line || $line == '#'* ]] && continue
    _out+=("$line")
  done <<<"${2:-}"
}

# "true"/"false" inputs, as YAML writes booleans; anything else is a usage error.
hm_bool() {
  case "${2,,}" in
    true | yes | 1) return 0 ;;
    false | no | 0 | '') return 1 ;;
    *) hm_die "input $1: expected true or false, got '$2'" ;;
  esac
}

# The hermetic binary: setup exports HERMETIC (and puts it on PATH for later steps).
hm_hermetic() {
  local bin=${HERMETIC:-}
  [[ -n $bin ]] || bin=$(command -v hermetic || true)
  [[ -n $bin && -x $bin ]] || hm_die "hermetic not found: run the hermetic setup action (actions/setup) first"
  printf '%s' "$bin"
}

# A private directory for secrets and scratch files: under RUNNER_TEMP (which the runner
# empties after the job), never inside the workspace a build can read.
hm_private_dir() {
  local base=${RUNNER_TEMP:-}
  [[ -n $base && -d $base ]] || hm_die "RUNNER_TEMP is not set or not a directory"
  if [[ -n ${GITHUB_WORKSPACE:-} ]]; then
    local ws tmp
    ws=$(realpath -e "$GITHUB_WORKSPACE")
    tmp=$(realpath -e "$base")
    [[ $tmp/ != "$ws"/* ]] || hm_die "RUNNER_TEMP ($tmp) lies inside the workspace ($ws): refusing to put secrets there"
  fi
  (umask 077 && mktemp -d "$base/hermetic-$1.XXXXXX")
}

# The sha256 of a file, hex.
hm_sha256() {
  local sum
  sum=$(sha256sum -- "$1") || return 1
  printf '%s' "${sum%% *}"
}
