/* Internal interfaces between the files of the sandbox library. Not installed, not
 * included by the CLI. */
#ifndef HM_SANDBOX_INTERNAL_H
#define HM_SANDBOX_INTERNAL_H

#include <linux/filter.h>
#include <json-c/json.h>

#include "sandbox.h"
#include "hm-fsio.h"

/* ---- seccomp.c -------------------------------------------------------------------
 * The filter is built once in the launcher (before clone) and installed by the command's
 * process just before execve. It is a stack of classic BPF programs exported by
 * libseccomp: (1) a syscall allowlist whose default is ENOSYS, with explicit EPERM/ENOSYS
 * for the dangerous calls; (2) argument checks (socket families, clone/unshare namespace
 * flags, ioctl TIOCSTI/TIOCLINUX on the low 32 bits) over a default of ALLOW, because
 * libseccomp lets an unconditional rule for a syscall override conditional ones. */
#define HM_SECCOMP_MAX_PROGS 4
struct hm_seccomp_set {
  enum hm_seccomp_mode mode;
  size_t n_progs;
  struct sock_fprog progs[HM_SECCOMP_MAX_PROGS]; /* filter arrays are heap-owned */
  char sha256_hex[65];  /* sha256 over the programs' instructions, in install order */
  size_t n_insns;       /* total instructions */
};
int hm_seccomp_build(enum hm_seccomp_mode mode, struct hm_seccomp_set *out, hm_error *err);
/* The same programs, compiled at build time by seccomp-gen (no libseccomp call at run
 * time); free with hm_seccomp_free. */
int hm_seccomp_precompiled(enum hm_seccomp_mode mode, struct hm_seccomp_set *out, hm_error *err);
/* Installs every program with seccomp(2) (SECCOMP_FILTER_FLAG_LOG in log mode ignored);
 * the caller has set no_new_privs. Async-signal-safe; returns 0 or -errno. */
int hm_seccomp_install(const struct hm_seccomp_set *set);
void hm_seccomp_free(struct hm_seccomp_set *set);
const char *hm_seccomp_mode_name(enum hm_seccomp_mode mode);
/* JSON describing the profile: {"profile","action_on_denied","arch","denied":[names...]} */
json_object *hm_seccomp_describe(const struct hm_seccomp_set *set);

/* ---- netlink.c -------------------------------------------------------------------
 * Runs inside the new network namespace (caller holds CAP_NET_ADMIN there). */
int hm_netns_bring_up_loopback(hm_error *err);
/* {"interfaces":[{"name","index","flags":[..],"up":bool,"addresses":["127.0.0.1/8",..]}],
 *  "routes":[{"family":"inet","table":"local","dst":"127.0.0.0/8","dev":"lo","type":..}]} */
int hm_netns_describe(json_object **out, hm_error *err);
/* Both on one socket, sharing the address dump; out NULL: bring up only. */
int hm_netns_setup(json_object **out, hm_error *err);

#endif

/* ---- launch.c <-> pid1.c ---------------------------------------------------------
 * Messages from the sandbox to the launcher over a SOCK_SEQPACKET socketpair: a header
 * and an optional payload (text or JSON), one message per packet. */
enum hm_msg_type {
  HM_MSG_ERROR = 1,    /* setup failed: payload is the message; the sandbox exits */
  HM_MSG_OBSERVED,     /* payload: JSON {"network","mounts","timings_ms",...} */
  HM_MSG_STARTED,      /* value: the command's pid inside */
  HM_MSG_EXEC_FAILED,  /* value: errno of the last execve attempt */
  HM_MSG_EXIT,         /* value: the command's raw wait status */
  HM_MSG_GO,           /* launcher to sandbox: maps written; carries the source fds */
};
struct hm_msg_hdr {
  uint32_t type;
  int32_t value;
};
#define HM_MSG_MAX (256 * 1024)
/* Async-signal-safe when payload is built by the caller. Returns 0 or -errno. */
int hm_msg_send(int sock, uint32_t type, int32_t value, const void *payload, size_t len);
int hm_msg_send_fds(int sock, uint32_t type, int32_t value, const void *payload, size_t len,
                    const int *fds, size_t n_fds);
/* Returns 1 with a message, 0 when the peer closed, -errno on error. Received fds are
 * O_CLOEXEC; payload is NUL-terminated (cap includes room for the NUL). */
int hm_msg_recv(int sock, struct hm_msg_hdr *hdr, char *payload, size_t cap, size_t *len,
                int *fds, size_t max_fds, size_t *n_fds);

/* The sources the launcher opens for the sandbox (through /proc/<pid1>/root, so with the
 * launcher's own credentials but on the sandbox's copy of the mount tree), in this order. */
enum {
  HM_SRC_ROOT,       /* "/" or --rootfs */
  HM_SRC_WORKSPACE,
  HM_SRC_DEV_NULL, HM_SRC_DEV_ZERO, HM_SRC_DEV_FULL, HM_SRC_DEV_RANDOM, HM_SRC_DEV_URANDOM,
  HM_SRC_DEV_TTY,
  HM_SRC_FIXED_COUNT /* then one per cfg->binds entry of kind RO/RW (-1 for others) */
};
#define HM_MAX_FDS_PER_MSG 250
#define HM_MAX_BINDS 100

/* cgroup.c (launcher): a cgroup v2 of the build's own for --pids/--memory, where the
 * host lets us have one (see there). */
struct hm_cgroup {
  int dir_fd;           /* the build's cgroup, or -1: the limits are rlimits */
  int parent_fd;
  bool pids, memory;    /* the limits asked for (all enforced here when dir_fd >= 0) */
  bool swap_off;        /* memory.swap.max is 0 (absent: no swap accounting) */
  char name[64];        /* of dir_fd under parent_fd */
  char mount[64];       /* where cgroup2 is mounted */
  char path[2200];      /* of the build's cgroup, from the cgroup2 root */
  char why_not[1100];   /* when limits were asked for and dir_fd < 0 */
};

struct hm_launch_ctx {
  const struct hm_sandbox_config *cfg;
  struct hm_seccomp_set seccomp;
  char **envp;          /* the build's whole environment */
  int sock;             /* sandbox end of the socketpair */
  bool root_mode;
  uint32_t inner_setup_uid; /* uid PID 1 takes for setup: 0 in root mode, HM_BUILD_UID else */
  int *idmapped_fds;    /* launcher only: per source, a detached idmapped mount (root mode), or -1 */
  size_t n_sources;
  bool have_cgroupns;
  struct hm_cgroup cgroup; /* launcher only (the init closes its fds at once) */
  bool cgroupns_late;   /* the init is moved into cgroup after clone: it makes its cgroup
                           namespace then, rooted there, instead of at clone */
  char **opaque_dirs;   /* root mode: ancestors of rw mounts the build could not search */
  int relay_w[3];       /* root mode: write ends of the stdout/stderr relays (-1: none) */
  char **launcher_environ; /* to scrub from PID 1's memory */
  bool observe;         /* the report is wanted: the init describes network, mounts, timings */
};

/* pid1.c: the sandbox's init. Never returns. */
__attribute__((noreturn)) void hm_pid1_main(struct hm_launch_ctx *ctx);

/* mounts.c: build the new root and pivot into it. src_fds: O_PATH fds indexed by HM_SRC_*
 * then binds; idmapped_fds likewise (-1 when not idmapped). Fills *mounts_json with the
 * observed mount table afterwards. */
int hm_mounts_setup(const struct hm_sandbox_config *cfg, const int *src_fds,
                    const int *idmapped_fds, size_t n_src, char *const *opaque_dirs, hm_error *err);
int hm_mounts_describe(json_object **out, hm_error *err);

/* Path helpers that never follow a symlink: common/hm-fsio.h. */

/* idmap.c (launcher, root mode): a detached clone of path whose files owned by
 * owner_uid/owner_gid appear as host_uid/host_gid, and back. Returns the mount fd. */
int hm_idmap_clone(const char *path, uid_t owner_uid, gid_t owner_gid, uid_t host_uid,
                   gid_t host_gid, hm_error *err);

/* caps.c: run in the sandbox. */
int hm_caps_drop_bounding(hm_error *err); /* needs CAP_SETPCAP */
int hm_caps_clear(hm_error *err);         /* effective, permitted, inheritable, ambient */
int hm_caps_verify_empty(hm_error *err);
json_object *hm_caps_describe_enforced(void);

/* env.c */
int hm_env_build(const struct hm_sandbox_config *cfg, char ***out, hm_error *err);

/* cgroup.c: see struct hm_cgroup above. */
/* Where cgroup2 is mounted (*hybrid: beside v1 controllers at /sys/fs/cgroup), or NULL. */
const char *hm_cgroup2_mount(bool *hybrid);
/* Our cgroup v2 path ("/..."), or -ENOENT. */
int hm_cgroup_own_path(char *out, size_t size);
/* Never fails the run: without a cgroup, dir_fd is -1 and why_not says why. */
void hm_cgroup_create(const struct hm_sandbox_config *cfg, bool root_mode, struct hm_cgroup *cg);
/* Move pid (the sandbox's init, before it is let go) into it. */
int hm_cgroup_enter(struct hm_cgroup *cg, pid_t pid, hm_error *err);
/* After the build: add the kernel's peaks and OOM kill count to the report's limits. */
void hm_cgroup_observe(const struct hm_cgroup *cg, json_object *limits);
/* Kill anything left in it and remove it. */
void hm_cgroup_destroy(struct hm_cgroup *cg);

/* limits.c */
/* Applied in the command's process before execve: what the cgroup does not cover. */
int hm_limits_apply_rlimits(const struct hm_sandbox_config *cfg, const struct hm_cgroup *cg, hm_error *err);
json_object *hm_limits_describe(const struct hm_sandbox_config *cfg, const struct hm_cgroup *cg);

/* report.c (launcher): assemble the isolation report. */
json_object *hm_report_build(const struct hm_launch_ctx *ctx, const char *uid_map,
                             const char *gid_map, json_object *observed);
int hm_report_write_file(const char *path, json_object *report, hm_error *err);
