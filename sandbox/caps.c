/* Capabilities: the build keeps none, in any set. */
#include "internal.h"

#include <sys/capability.h>
#include <sys/prctl.h>

int hm_caps_drop_bounding(hm_error *err) {
  int last = (int)cap_max_bits() - 1;
  for (int c = 0; c <= last; c++) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
      continue;
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
      return hm_error_errno(err, errno, "dropping capability %d from the bounding set", c);
  }
  return 0;
}

int hm_caps_clear(hm_error *err) {
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return hm_error_errno(err, errno, "clearing the ambient capabilities");
  cap_t empty = cap_init();
  if (!empty)
    return hm_error_errno(err, errno, "cap_init");
  int r = cap_set_proc(empty);
  int e = errno;
  cap_free(empty);
  if (r < 0)
    return hm_error_errno(err, e, "clearing effective, permitted and inheritable capabilities");
  return 0;
}

int hm_caps_verify_empty(hm_error *err) {
  cap_t cur = cap_get_proc();
  if (!cur)
    return hm_error_errno(err, errno, "reading capabilities");
  cap_t empty = cap_init();
  int diff = empty ? cap_compare(cur, empty) : 1;
  cap_free(cur);
  if (empty)
    cap_free(empty);
  if (diff != 0)
    return hm_error_set(err, EPERM, "capabilities remain after dropping them");
  int last = (int)cap_max_bits() - 1;
  for (int c = 0; c <= last; c++) {
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) > 0)
      return hm_error_set(err, EPERM, "capability %d remains in the bounding set", c);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) > 0)
      return hm_error_set(err, EPERM, "capability %d remains in the ambient set", c);
  }
  return 0;
}

json_object *hm_caps_describe_enforced(void) {
  json_object *o = json_object_new_object();
  static const char *const sets[] = {"effective", "permitted", "inheritable", "bounding", "ambient"};
  for (size_t i = 0; i < HM_ARRAY_SIZE(sets); i++)
    json_object_object_add(o, sets[i], json_object_new_array());
  return o;
}
