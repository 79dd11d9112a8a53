/* Between doctor.c (rows, statuses, fixes) and doctor-probe.c (the probes that find out
 * what this host allows). Internal to those two files. */
#ifndef HM_DOCTOR_PROBE_H
#define HM_DOCTOR_PROBE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Append to the NUL-terminated text in buf, with sep first unless buf is empty; a tail
 * that does not fit is cut. */
void hm_doctor_vappend(char *buf, size_t size, const char *sep, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
void hm_doctor_appendf(char *buf, size_t size, const char *sep, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "EPERM (Operation not permitted)": the symbol is what people search for. */
const char *hm_doctor_errnm(int e, char *buf, size_t size);
#define ERRNM(e) hm_doctor_errnm((e), (char[96]){0}, 96)

/* What a probe found. A probe that forks runs in a child, killed if it hangs; done == 0
 * then (or when it could not start, or died before reporting), and stage says which, as a
 * sentence. Otherwise err is 0 or the errno of the step named in stage, and step says how
 * far the probe got (its meaning is given with each probe below). */
struct probe_out {
  int done;        /* set by whichever process finished the probe */
  int err;         /* 0, or the errno of the step that failed */
  int step;        /* how far the probe got: its meaning is the probe's own */
  char stage[160]; /* the step that failed */
  char info[256];  /* facts found along the way */
};

/* ---- container hints (shared by several checks) ------------------------------------ */

struct container_hints {
  bool in_container;
  char hints[256];      /* what gave it away */
  char overmounts[256]; /* mounts on top of files under /proc */
  int n_overmounts;
};
void hm_probe_container(struct container_hints *h);

/* ---- kernel ------------------------------------------------------------------------ */

struct ns_kind {
  int flag;
  const char *name;
  const char *config; /* the kernel option that provides it */
};
/* unshare() of every namespace the sandbox uses, and a PID 1 in the new PID namespace.
 * step 0: unshare failed; 1: the PID namespace's first process did. */
void hm_probe_namespaces(struct probe_out *res);
/* After hm_probe_namespaces() failed: the first namespace that fails alone (with a user
 * namespace), with its probe in *res; NULL when each works alone. */
const struct ns_kind *hm_probe_ns_culprit(struct probe_out *res);
/* Whether the kernel has syscall nr (a container's filter returning EPERM counts as yes). */
bool hm_probe_syscall_present(long nr);

/* ---- user namespaces --------------------------------------------------------------- */

/* A user namespace, an id map and a mount inside, as the sandbox does; as_nobody
 * first becomes uid 65534 (for a root caller to test what a runner's user meets).
 * step -1: the drop failed (nothing known about user namespaces); 0: unshare failed;
 * 1: unshare worked and a later step failed. info: the AppArmor label after unshare. */
void hm_probe_userns(bool as_nobody, struct probe_out *res);

/* ---- seccomp ----------------------------------------------------------------------- */

/* no_new_privs and an allow-all filter. step 0: no_new_privs failed; 1: the filter. */
void hm_probe_seccomp(struct probe_out *res);
/* SECCOMP_GET_ACTION_AVAIL for one action: 0, or -errno (-EOPNOTSUPP: not available). */
int hm_probe_seccomp_action(uint32_t action);


/* ---- nested in a container --------------------------------------------------------- */

/* A fresh proc mounted in new user+pid+mount namespaces. step 0: making the namespaces
 * failed; 1: they exist and the mount (or the PID 1 making it) failed; 2: the new /proc is
 * not the new PID namespace's. */
void hm_probe_fresh_proc(struct probe_out *res);

/* ---- idmapped mounts --------------------------------------------------------------- */

/* Idmap a detached copy of the current directory's mount, as root mode does to the
 * workspace. step 0: open_tree failed; 1: the user namespace for the idmapping did;
 * 2: mount_setattr did. */
void hm_probe_idmap(struct probe_out *res);

#endif
