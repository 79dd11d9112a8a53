/* Capabilities: the build keeps none, in any set. The sandbox's init drops them for itself
 * before it starts the command, which inherits the empty sets (clone copies credentials).
 * Each system call here costs about 1.5 us on the VMs we run on, so the sets are dropped
 * and checked with as few calls as the kernel allows. */
#include "internal.h"

#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int hm_caps_drop_bounding(hm_error *err) {
  /* cap_max_bits() is probed once, when libcap is loaded. Dropping a capability that is
   * already out of the set succeeds, so no PR_CAPBSET_READ first. */
  int last = (int)cap_max_bits() - 1;
  for (int c = 0; c <= last; c++)
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      return hm_error_errno(err, errno, "dropping capability %d from the bounding set", c);
  return 0;
}

int hm_caps_clear(hm_error *err) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return hm_error_errno(err, errno, "clearing the ambient capabilities");
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &hdr, data) < 0)
    return hm_error_errno(err, errno, "clearing effective, permitted and inheritable capabilities");
  return 0;
}

/* "CapBnd:\t0000000000000000": true when the field is present and all zero. */
static bool status_field_zero(const char *status, const char *name) {
  size_t n = strlen(name);
  for (const char *p = status; p; p = strchr(p, '\n')) {
    p += *p == '\n';
    if (strncmp(p, name, n) != 0 || p[n] != ':')
      continue;
    p += n + 1;
    p += strspn(p, " \t");
    size_t digits = strspn(p, "0123456789abcdefABCDEF");
    return digits > 0 && strspn(p, "0") == digits;
  }
  return false;
}

/* The kernel's own account of all five sets, in one read of /proc/self/status. Returns 1
 * when that file cannot be read. */
static int verify_from_status(hm_error *err) {
  _cleanup_free_ char *status = NULL;
  if (hm_read_file("/proc/self/status", &status, NULL, NULL) < 0)
    return 1;
  static const char *const fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(fields); i++)
    if (!status_field_zero(status, fields[i]))
      return hm_error_set(err, EPERM, "capabilities remain after dropping them (%s in /proc/self/status)",
                          fields[i]);
  return 0;
}

int hm_caps_verify_empty(hm_error *err) {
  int r = verify_from_status(err);
  if (r <= 0)
    return r;
  /* /proc/self/status unreadable: ask capget and the bounding set directly. The ambient
   * set cannot outlive an empty permitted set (the kernel keeps it a subset of permitted
   * and inheritable), so capget covers it. */
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
  if (syscall(SYS_capget, &hdr, data) < 0)
    return hm_error_errno(err, errno, "reading capabilities");
  for (size_t i = 0; i < HM_ARRAY_SIZE(data); i++)
    if (data[i].effective || data[i].permitted || data[i].inheritable)
      return hm_error_set(err, EPERM, "capabilities remain after dropping them");
  int last = (int)cap_max_bits() - 1;
  for (int c = 0; c <= last; c++)
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) != 0)
      return hm_error_set(err, EPERM, "capability %d remains in the bounding set", c);
  return 0;
}

json_object *hm_caps_describe_enforced(void) {
  json_object *o = json_object_new_object();
  static const char *const sets[] = {"effective", "permitted", "inheritable", "bounding", "ambient"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(sets); i++)
    json_object_object_add(o, sets[i], json_object_new_array());
  return o;
}
