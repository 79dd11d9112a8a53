#!/usr/bin/env bash
# The reusable workflow's build job: lay out what leaves the job as workflow artifacts:
# STAGE/subjects/<name> for each subject of NAME.sha256 (copied from the workspace after
# checking it against its digest once more) and STAGE/provenance/ with the unsigned
# provenance files. The digests of the latter go out as a job output, which the sign job
# checks before it signs anything (check-digests.sh): job outputs are fixed by this job,
# while the artifact store is writable by any job of the run.
# Environment: HM_NAME, HM_WORKSPACE, HM_SUBJECTS_SHA256, HM_PROVENANCE, HM_STAGE.
# Outputs: subjects-artifact, unsigned-artifact, provenance-digests (base64 sha256sum lines).
# shellcheck source-path=SCRIPTDIR
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

for v in HM_NAME HM_WORKSPACE HM_SUBJECTS_SHA256 HM_PROVENANCE HM_STAGE; do
  [[ -n ${!v:-} ]] || hm_die "$v is not set"
done
rm -rf -- "$HM_STAGE"
mkdir -p -- "$HM_STAGE/subjects" "$HM_STAGE/provenance"

while IFS= read -r line; do
  [[ $line != \\* ]] || hm_die "$HM_SUBJECTS_SHA256: subject names with a newline or backslash cannot be staged"
  sum=${line:0:64} file=${line:66}
  [[ $file != /* && /$file/ != */../* ]] || hm_die "$HM_SUBJECTS_SHA256: '$file' is not inside the workspace"
  [[ $(hm_sha256 "$HM_WORKSPACE/$file") == "$sum" ]] ||
    hm_die "$file changed after the build digested it"
  install -D -m 0644 -- "$HM_WORKSPACE/$file" "$HM_STAGE/subjects/$file"
done <"$HM_SUBJECTS_SHA256"

base=${HM_PROVENANCE%.intoto.jsonl}
for ext in intoto.jsonl statement.json predicate.json sha256 log report.json; do
  [[ -f $base.$ext ]] && cp -- "$base.$ext" "$HM_STAGE/provenance/"
done
digests=$(cd "$HM_STAGE/provenance" && sha256sum -- *)

hm_output subjects-artifact "$HM_NAME-subjects"
hm_output unsigned-artifact "$HM_NAME-provenance-unsigned"
hm_output provenance-digests "$(base64 -w0 <<<"$digests")"
