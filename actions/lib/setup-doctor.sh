#!/usr/bin/env bash
# actions/setup, step 4: can this runner sandbox? Runs 'hermetic doctor'. Where only
# AppArmor's unprivileged user namespace restriction stands in the way (GitHub's
# ubuntu-24.04 images: kernel.apparmor_restrict_unprivileged_userns=1), install the
# AppArmor profile of actions/runner/apparmor/hermetic for this binary with sudo and ask
# the doctor again. Anything still failing is reported with the doctor's exact fix.
# Environment: HM_BIN (the binary), HM_PROFILE (the profile template), HM_APPARMOR
# (install the profile when needed: true/false), HM_DOCTOR (fail the step when the host
# cannot sandbox: true/false).
# Outputs: doctor (the JSON report).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ -n ${HM_BIN:-} && -x $HM_BIN ]] || hm_die "HM_BIN is not an executable: '${HM_BIN:-}'"

# Prints the status of one check of the doctor's JSON (ok, warn, fail, or missing).
check_status() {
  python3 -c 'import json,sys
d = json.loads(sys.argv[1])
print(next((c["status"] for c in d["checks"] if c["name"] == sys.argv[2]), "missing"))' "$1" "$2"
}

# Prints "name: detail" and the fix of every failing check, one error each.
report_failures() {
  python3 -c 'import json,sys
for c in json.loads(sys.argv[1])["checks"]:
    if c["status"] == "fail":
        fix = ("\nfix:\n" + c["fix"]) if c.get("fix") else ""
        print(c["name"] + ": " + c["detail"] + fix + "\0", end="")' "$1"
}

doctor_json() { "$HM_BIN" doctor --json 2>/dev/null || true; }

install_profile() {
  local bin=$1 profile
  [[ $bin =~ ^/[A-Za-z0-9._/+-]+$ ]] ||
    { hm_warn "not writing an AppArmor profile for '$bin': the path needs quoting in the profile language"; return 1; }
  local parser
  parser=$(PATH=$PATH:/usr/sbin:/sbin command -v apparmor_parser) || { hm_warn "apparmor_parser not found"; return 1; }
  local sudo=()
  if ((EUID != 0)); then
    sudo -n true 2>/dev/null || { hm_warn "no passwordless sudo to install the AppArmor profile"; return 1; }
    sudo=(sudo -n)
  fi
  profile=$(sed "s#^profile hermetic [^ ]* #profile hermetic $bin #" "$HM_PROFILE")
  [[ $profile == *"profile hermetic $bin "* ]] || { hm_warn "$HM_PROFILE has no 'profile hermetic PATH' line"; return 1; }
  echo "AppArmor restricts unprivileged user namespaces; allowing them for $bin only (/etc/apparmor.d/hermetic)"
  printf '%s\n' "$profile" | "${sudo[@]}" tee /etc/apparmor.d/hermetic >/dev/null
  "${sudo[@]}" "$parser" -r /etc/apparmor.d/hermetic
}

"$HM_BIN" doctor || true
json=$(doctor_json)
[[ -n $json ]] || hm_die "'$HM_BIN doctor --json' printed nothing"
restrict=$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null || echo absent)

if [[ $(check_status "$json" "user namespaces") == fail && $restrict == 1 ]] &&
  hm_bool apparmor "${HM_APPARMOR:-true}"; then
  if install_profile "$(realpath -e "$HM_BIN")"; then
    json=$(doctor_json)
    echo "after installing the profile:"
    "$HM_BIN" doctor || true
  fi
fi

hm_output doctor "$json"
ok=$(python3 -c 'import json,sys; print(str(json.loads(sys.argv[1])["ok"]).lower())' "$json")
if [[ $ok == true ]]; then
  echo "hermetic doctor: this runner can sandbox builds"
  exit 0
fi
while IFS= read -r -d '' failure; do
  if hm_bool doctor "${HM_DOCTOR:-true}"; then hm_error "hermetic doctor: $failure"; else hm_warn "hermetic doctor: $failure"; fi
done < <(report_failures "$json")
hm_bool doctor "${HM_DOCTOR:-true}" || exit 0
hm_die "this runner cannot run the hermetic sandbox; apply the fix above (a self-hosted runner: docs/runners.md), or set the doctor input to false to continue anyway"
