/* --snapshot DIR for run and build: the vendor snapshot is checked and its manifest read
 * before the build starts, bound read-only at its own path, and npm is pointed at it so
 * that 'npm ci' installs from it with no network (the lockfile's `resolved` and
 * `integrity` lead npm's cache straight to the blobs by digest). */
#include "cli.h"

#include <limits.h>
#include <string.h>

#include "hm-crypto.h"
#include "snapshot.h"

int hm_cli_snapshot_use(struct hm_sandbox_config *cfg, struct hm_cli_snapshot *snap, const char *dir,
                        hm_error *err) {
  if (snap->manifest)
    return hm_error_set(err, EINVAL, "--snapshot given twice (%s and %s)", snap->dir, dir);
  snap->dir = realpath(dir, NULL);
  if (!snap->dir)
    return hm_error_errno(err, errno, "--snapshot %s", dir);
  /* The manifest is checked against its digest. */
  if (hm_crypto_load(err) < 0)
    return hm_error_wrap(err, "--snapshot %s", dir);
  if (hm_snap_manifest_load(snap->dir, &snap->manifest, snap->sha256, err) < 0)
    return hm_error_wrap(err, "--snapshot %s (not a snapshot made by 'hermetic snapshot fetch'?)", dir);
  int r = hm_sandbox_config_add_bind(cfg, HM_BIND_RO, snap->dir, err);
  if (r < 0)
    return hm_error_wrap(err, "--snapshot");
  /* npm's settings, as npm_config_* variables (a project's own .npmrc still applies):
   * its cache is the snapshot's, it never asks the network, and what it would write
   * (logs) goes to the build's private home, not the read-only snapshot. */
  char cache[PATH_MAX + 32];
  snprintf(cache, sizeof(cache), "npm_config_cache=%s/npm", snap->dir);
  const char *settings[] = {cache,
                            "npm_config_offline=true",
                            "npm_config_audit=false",
                            "npm_config_fund=false",
                            "npm_config_update_notifier=false",
                            "npm_config_logs_dir=" HM_SANDBOX_HOME "/.npm/_logs"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(settings); i++)
    if ((r = hm_sandbox_config_add_env(cfg, settings[i], err)) < 0)
      return hm_error_wrap(err, "--snapshot");
  return 0;
}

void hm_cli_snapshot_free(struct hm_cli_snapshot *snap) {
  free(snap->dir);
  json_object_put(snap->manifest);
  memset(snap, 0, sizeof(*snap));
}
