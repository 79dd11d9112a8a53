/* --pids and --memory with cgroup v2, where the host lets us: the build gets a cgroup of
 * its own, created by the launcher before the sandbox exists and entered by the sandbox's
 * init before the launcher lets it go on, so no process of the build ever runs outside
 * it. Then pids.max bounds every task of the build together and memory.max (with swap
 * off) their memory together, which rlimits cannot do. Where no cgroup can be had, the
 * reason is kept for the report and limits.c falls back to rlimits.
 *
 * Which cgroup:
 *   - started as root: <cgroup2 root>/hermetic/run-<pid>-<n>. The root cgroup may hold
 *     processes and still hand controllers down, and "hermetic" never holds any.
 *   - otherwise (or when that fails): a child of our own cgroup, if it was delegated to
 *     us (we may write it and its cgroup.controllers lists what we need). A cgroup with
 *     processes cannot hand controllers to children, so when we are alone in it, as in a
 *     `systemd-run --scope -p Delegate=yes` scope, we first move ourselves into a leaf
 *     "hermetic-launcher-<pid>" next to the build's, as nsjail and crun do.
 *
 * The build never sees this: it has no /sys/fs/cgroup (a fresh sysfs without cgroup
 * mounts, and no mount calls), and its cgroup namespace is rooted at its own cgroup. */
#include "internal.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>

const char *hm_cgroup2_mount(bool *hybrid) {
  struct statfs sfs;
  *hybrid = false;
  if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    return "/sys/fs/cgroup";
  if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
    *hybrid = true;
    return "/sys/fs/cgroup/unified";
  }
  return NULL;
}

/* From the "0::/path" line of /proc/self/cgroup. */
int hm_cgroup_own_path(char *out, size_t size) {
  _cleanup_free_ char *buf = NULL;
  if (hm_read_file("/proc/self/cgroup", &buf, NULL, NULL) < 0)
    return -ENOENT;
  for (char *line = buf; line && *line;) {
    char *next = strchr(line, '\n');
    if (next)
      *next++ = '\0';
    if (strncmp(line, "0::", 3) == 0) {
      snprintf(out, size, "%s", line + 3);
      return 0;
    }
    line = next;
  }
  return -ENOENT;
}

/* The whole of a (small) cgroup file, without its last newline. */
static int read_at(int dfd, const char *name, char *buf, size_t size) {
  _cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  ssize_t n = read(fd, buf, size - 1);
  if (n < 0)
    return -errno;
  if (n > 0 && buf[n - 1] == '\n')
    n--;
  buf[n] = '\0';
  return 0;
}

/* A cgroup file takes one write(2): its errno is the kernel's answer. */
static int write_at(int dfd, const char *name, const char *data) {
  _cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  ssize_t n = write(fd, data, strlen(data));
  if (n < 0)
    return -errno;
  return (size_t)n == strlen(data) ? 0 : -EIO;
}

static bool has_word(const char *list, const char *word) {
  size_t n = strlen(word);
  for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
      return true;
  return false;
}

/* Are the controllers in `want` listed in dfd's file `name`? */
static bool lists(int dfd, const char *name, const struct hm_cgroup *cg) {
  char buf[512];
  if (read_at(dfd, name, buf, sizeof buf) < 0)
    return false;
  return (!cg->pids || has_word(buf, "pids")) && (!cg->memory || has_word(buf, "memory"));
}

static void enable_string(const struct hm_cgroup *cg, char *buf, size_t size) {
  snprintf(buf, size, "%s%s%s", cg->pids ? "+pids" : "", cg->pids && cg->memory ? " " : "",
           cg->memory ? "+memory" : "");
}

static const char *wanted(const struct hm_cgroup *cg) {
  return cg->pids && cg->memory ? "pids and memory" : cg->pids ? "pids" : "memory";
}

static int open_dir_at(int dfd, const char *name) {
  int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  struct statfs sfs;
  if (fstatfs(fd, &sfs) < 0 || sfs.f_type != CGROUP2_SUPER_MAGIC) {
    close(fd);
    return -ENOTDIR;
  }
  return fd;
}

/* Make dfd hand our controllers to its children. */
static int delegate_down(int dfd, const struct hm_cgroup *cg) {
  if (lists(dfd, "cgroup.subtree_control", cg))
    return 0;
  char enable[32];
  enable_string(cg, enable, sizeof enable);
  return write_at(dfd, "cgroup.subtree_control", enable);
}

/* Root: <mount>/hermetic. */
static int parent_as_root(struct hm_cgroup *cg, int mnt_fd) {
  if (!lists(mnt_fd, "cgroup.controllers", cg)) {
    snprintf(cg->why_not, sizeof cg->why_not,
             "the cgroup2 hierarchy at %s lacks the %s controllers (bound to cgroup v1?)", cg->mount,
             wanted(cg));
    return -ENOENT;
  }
  int r = delegate_down(mnt_fd, cg);
  if (r < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "enabling %s in %s/cgroup.subtree_control: %s",
             wanted(cg), cg->mount, strerror(-r));
    return r;
  }
  if (mkdirat(mnt_fd, "hermetic", 0755) < 0 && errno != EEXIST) {
    r = -errno;
    snprintf(cg->why_not, sizeof cg->why_not, "mkdir %s/hermetic: %s", cg->mount, strerror(-r));
    return r;
  }
  int fd = open_dir_at(mnt_fd, "hermetic");
  if (fd < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "opening %s/hermetic: %s", cg->mount, strerror(-fd));
    return fd;
  }
  if ((r = delegate_down(fd, cg)) < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "enabling %s in %s/hermetic: %s", wanted(cg),
             cg->mount, strerror(-r));
    close(fd);
    return r;
  }
  cg->parent_fd = fd;
  snprintf(cg->path, sizeof cg->path, "/hermetic");
  return 0;
}

/* Is our pid the only one in dfd's cgroup.procs (one line per process)? */
static bool alone_in(int dfd) {
  char buf[256], want[24];
  snprintf(want, sizeof want, "%d", (int)getpid());
  return read_at(dfd, "cgroup.procs", buf, sizeof buf) == 0 && strcmp(buf, want) == 0;
}

/* Not root, or root without the above: our own cgroup, if delegated to us. */
static int parent_delegated(struct hm_cgroup *cg, int mnt_fd) {
  char own[2048];
  if (hm_cgroup_own_path(own, sizeof own) < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "no cgroup v2 line in /proc/self/cgroup");
    return -ENOENT;
  }
  int fd = strcmp(own, "/") == 0 ? fcntl(mnt_fd, F_DUPFD_CLOEXEC, 3) : open_dir_at(mnt_fd, own + 1);
  if (fd < 0) {
    fd = fd == -1 ? -errno : fd;
    snprintf(cg->why_not, sizeof cg->why_not, "opening our cgroup %.900s: %s", own, strerror(-fd));
    return fd;
  }
  int r = 0;
  if (!lists(fd, "cgroup.controllers", cg)) {
    snprintf(cg->why_not, sizeof cg->why_not, "our cgroup %.900s was not given the %s controllers", own,
             wanted(cg));
    r = -ENOENT;
  } else if (faccessat(fd, "cgroup.procs", W_OK, AT_EACCESS) < 0 || faccessat(fd, ".", W_OK, AT_EACCESS) < 0) {
    r = -errno;
    snprintf(cg->why_not, sizeof cg->why_not, "our cgroup %.900s is not delegated to uid %u: %s", own,
             (unsigned)geteuid(), strerror(-r));
  } else if (strcmp(own, "/") != 0 && !lists(fd, "cgroup.subtree_control", cg)) {
    /* We are in it, and a cgroup with processes must not hand controllers down: the
     * kernel refuses domain controllers (EBUSY), and takes threaded ones like pids by
     * turning it into a thread root, under which no child can hold the build. So step
     * into a leaf first, which only works if we are alone in it. */
    char leaf[64], pid[24];
    snprintf(leaf, sizeof leaf, "hermetic-launcher-%d", (int)getpid());
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    int leaf_fd = -1;
    bool made = false;
    if (!alone_in(fd))
      r = -EBUSY;
    else if (!(made = mkdirat(fd, leaf, 0755) == 0) && errno != EEXIST)
      r = -errno;
    else if ((leaf_fd = open_dir_at(fd, leaf)) < 0)
      r = leaf_fd;
    else if ((r = write_at(leaf_fd, "cgroup.procs", pid)) == 0 && (r = delegate_down(fd, cg)) < 0)
      write_at(fd, "cgroup.procs", pid); /* back where we were */
    if (leaf_fd >= 0)
      close(leaf_fd);
    if (r < 0 && made)
      unlinkat(fd, leaf, AT_REMOVEDIR);
  } else {
    r = delegate_down(fd, cg); /* the root cgroup, or handing down already */
  }
  if (r < 0 && !cg->why_not[0])
    snprintf(cg->why_not, sizeof cg->why_not, "enabling %s in our cgroup %.900s: %s%s", wanted(cg), own,
             strerror(-r), r == -EBUSY ? " (other processes share it: run hermetic in a scope of its own)" : "");
  if (r < 0) {
    close(fd);
    return r;
  }
  cg->parent_fd = fd;
  snprintf(cg->path, sizeof cg->path, "%s", strcmp(own, "/") == 0 ? "" : own);
  return 0;
}

static void set_limits(struct hm_cgroup *cg, const struct hm_sandbox_config *cfg) {
  char v[32];
  int r = 0;
  const char *file = "";
  if (cg->pids) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)cfg->pids + 1); /* + the init */
    r = write_at(cg->dir_fd, file = "pids.max", v);
  }
  if (r == 0 && cg->memory) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)cfg->memory_bytes);
    r = write_at(cg->dir_fd, file = "memory.max", v);
    /* No swap: else the limit only moves the build's memory to disk. Absent without swap
     * accounting, which then cannot be used either. */
    int s = write_at(cg->dir_fd, "memory.swap.max", "0");
    cg->swap_off = s == 0;
    if (r == 0 && s < 0 && s != -ENOENT)
      r = s, file = "memory.swap.max";
  }
  if (r < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "writing %s%s/%s: %s", cg->mount, cg->path, file,
             strerror(-r));
    hm_cgroup_destroy(cg);
  }
}

void hm_cgroup_create(const struct hm_sandbox_config *cfg, bool root_mode, struct hm_cgroup *cg) {
  static unsigned serial;
  *cg = (struct hm_cgroup){.dir_fd = -1, .parent_fd = -1, .pids = cfg->pids > 0,
                           .memory = cfg->memory_bytes > 0};
  if (!cg->pids && !cg->memory)
    return;
  bool hybrid;
  const char *mnt = hm_cgroup2_mount(&hybrid);
  if (!mnt) {
    snprintf(cg->why_not, sizeof cg->why_not, "no cgroup2 hierarchy is mounted");
    return;
  }
  snprintf(cg->mount, sizeof cg->mount, "%s", mnt);
  _cleanup_close_ int mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mnt_fd < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "opening %s: %s", mnt, strerror(errno));
    return;
  }
  char first[sizeof cg->why_not] = "";
  if (root_mode && parent_as_root(cg, mnt_fd) < 0) {
    snprintf(first, sizeof first, "%s", cg->why_not);
    cg->why_not[0] = '\0';
  }
  if (cg->parent_fd < 0 && parent_delegated(cg, mnt_fd) < 0) {
    if (first[0]) { /* both reasons: the root one first */
      char second[sizeof cg->why_not];
      snprintf(second, sizeof second, "%s", cg->why_not);
      snprintf(cg->why_not, sizeof cg->why_not, "%.500s; %.500s", first, second);
    }
    return;
  }
  snprintf(cg->name, sizeof cg->name, "run-%d-%u", (int)getpid(), serial++);
  int fd = mkdirat(cg->parent_fd, cg->name, 0755) < 0 ? -errno : open_dir_at(cg->parent_fd, cg->name);
  if (fd < 0) {
    snprintf(cg->why_not, sizeof cg->why_not, "creating the cgroup %s%.800s/%s: %s", mnt, cg->path,
             cg->name, strerror(-fd));
    if (fd != -EEXIST)
      unlinkat(cg->parent_fd, cg->name, AT_REMOVEDIR);
    close(cg->parent_fd);
    cg->parent_fd = -1;
    return;
  }
  cg->dir_fd = fd;
  size_t n = strlen(cg->path);
  snprintf(cg->path + n, sizeof cg->path - n, "/%s", cg->name);
  set_limits(cg, cfg);
}

int hm_cgroup_enter(struct hm_cgroup *cg, pid_t pid, hm_error *err) {
  char v[24];
  snprintf(v, sizeof v, "%d", (int)pid);
  int r = write_at(cg->dir_fd, "cgroup.procs", v);
  if (r < 0)
    return hm_error_errno(err, -r, "moving the sandbox into the cgroup %s%s", cg->mount, cg->path);
  return 0;
}

/* What the kernel counted, read after the build: peaks and OOM kills. */
void hm_cgroup_observe(const struct hm_cgroup *cg, json_object *limits) {
  if (cg->dir_fd < 0 || !limits)
    return;
  char buf[4096], *end;
  json_object *pids = json_object_object_get(limits, "pids");
  if (pids && read_at(cg->dir_fd, "pids.peak", buf, sizeof buf) == 0)
    json_object_object_add(pids, "peak", json_object_new_int64(strtoll(buf, &end, 10)));
  json_object *mem = json_object_object_get(limits, "memory");
  if (mem && read_at(cg->dir_fd, "memory.peak", buf, sizeof buf) == 0)
    json_object_object_add(mem, "peak_bytes", json_object_new_int64(strtoll(buf, &end, 10)));
  const char *p;
  if (mem && read_at(cg->dir_fd, "memory.events", buf, sizeof buf) == 0 && (p = strstr(buf, "\noom_kill ")))
    json_object_object_add(mem, "oom_kills", json_object_new_int64(strtoll(p + 10, &end, 10)));
}

/* Kill what is left (nothing, normally: the pid namespace died with its init) and remove
 * the cgroup. A cgroup is removable only once its last task has fully exited. */
void hm_cgroup_destroy(struct hm_cgroup *cg) {
  if (cg->dir_fd >= 0) {
    write_at(cg->dir_fd, "cgroup.kill", "1"); /* since 5.14; ENOENT before */
    close(cg->dir_fd);
    cg->dir_fd = -1;
    for (int i = 0; i < 2000; i++) {
      if (unlinkat(cg->parent_fd, cg->name, AT_REMOVEDIR) == 0 || errno != EBUSY)
        break;
      nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
    }
  }
  if (cg->parent_fd >= 0)
    close(cg->parent_fd);
  cg->parent_fd = -1;
}
