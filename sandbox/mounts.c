/* The sandbox's root filesystem. Runs in PID 1, in its own mount namespace, holding
 * capabilities in its own user namespace only.
 *
 * Like bwrap, we first pivot into an empty tmpfs ("base") so the host's tree sits at
 * /oldroot, assemble the new root at /newroot, then pivot again and detach the old tree.
 * Every mount source was opened by the launcher (with the invoker's credentials) and is
 * passed in as an O_PATH fd; every target is opened here without following any symlink
 * (openat2 RESOLVE_NO_SYMLINKS, or one component at a time with O_NOFOLLOW); mounts are
 * made onto /proc/self/fd/N of those fds. Nothing is ever mounted through a path a
 * symlink could redirect.
 *
 * The empty writable directories the build gets (/tmp, /var/tmp, /run, /home, /root,
 * /mnt, /media, /dev/shm) and /dev itself are not a tmpfs each but directories of the
 * base tmpfs, bind-mounted into place ("scratch"): a superblock costs its creation and, when
 * the sandbox ends, its teardown, and the base is needed anyway. The binds inherit the
 * base's nosuid,nodev; the base's own root (/newroot, /oldroot) is not reachable through
 * any of them, and link/rename across them fail with EXDEV as across separate tmpfs. */
#include "internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <linux/mount.h>
#include <linux/openat2.h>

#define PROC_PREFIX "/oldroot"

/* Directories that are replaced by empty private ones (of the scratch tmpfs): runner
 * credentials, the invoking user's home, sockets such as docker.sock under /run, the
 * host's scratch space. name: the scratch directory's. */
static const struct {
  const char *path, *name;
  mode_t mode;
} private_dirs[] = {
    {"tmp", "tmp", 01777},   {"var/tmp", "var-tmp", 01777}, {"run", "run", 0755},
    {"home", "home", 0755},  {"root", "root", 0755},        {"mnt", "mnt", 0755},
    {"media", "media", 0755},
};

/* /proc entries that are read-only (writes could reach the kernel) or masked (they leak
 * kernel memory, keys or timing of other tenants). */
static const char *const proc_readonly[] = {"sys", "sysrq-trigger", "irq", "bus", "fs"};
static const char *const proc_masked_files[] = {"kcore", "keys", "timer_list", "sched_debug",
                                                "latency_stats", "kallsyms", "kpagecount",
                                                "kpageflags", "kpagecgroup", "config.gz"};
static const char *const proc_masked_dirs[] = {"acpi", "scsi", "driver"};

static bool has_dotdot(const char *rel) {
  for (const char *p = rel; (p = strstr(p, "..")); p += 2)
    if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
      return true;
  return false;
}

/* hm_open_beneath() in one system call where the kernel has openat2 (5.6): no symlink
 * anywhere on the path, nothing outside dirfd, the final flags on the last component,
 * where the walk costs three calls per component (open, fstat, close). ".." is refused
 * like the walk does. Returns the fd or -errno (-ENOSYS under valgrind, which does not
 * know openat2). */
static int openat2_beneath(int dirfd, const char *rel, int flags) {
  if (has_dotdot(rel))
    return -EINVAL;
  struct open_how how = {
      /* Without O_NOFOLLOW a trailing symlink is refused too (ELOOP), not opened. */
      .flags = (uint64_t)((flags & ~(O_CREAT | O_NOFOLLOW)) | O_CLOEXEC),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  long fd = syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
  return fd >= 0 ? (int)fd : -errno;
}

/* Any failure goes through the walk, which also names the component at fault. */
static int open_beneath(int dirfd, const char *rel, int flags, hm_error *err) {
  int fd = openat2_beneath(dirfd, rel, flags);
  return fd >= 0 ? fd : hm_open_beneath(dirfd, rel, flags, err);
}

static int mount_fd(const char *src, int dst_fd, const char *fstype, unsigned long flags,
                    const char *data, const char *what, hm_error *err) {
  char dst[64];
  hm_fd_path(dst, sizeof dst, PROC_PREFIX, dst_fd);
  if (mount(src, dst, fstype, flags, data) < 0)
    return hm_error_errno(err, errno, "mounting %s", what);
  return 0;
}

static int bind_fd(int src_fd, int dst_fd, bool recursive, const char *what, hm_error *err) {
  char src[64];
  hm_fd_path(src, sizeof src, PROC_PREFIX, src_fd);
  return mount_fd(src, dst_fd, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL, what, err);
}

/* Translate statvfs flags so that a remount keeps the flags the kernel locks on mounts
 * copied into a less privileged user namespace (changing them would be EPERM). */
static unsigned long locked_flags(int fd) {
  struct statvfs sv;
  if (fstatvfs(fd, &sv) < 0)
    return 0;
  unsigned long f = 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  if (!(sv.f_flag & (ST_NOATIME | ST_RELATIME))) f |= MS_STRICTATIME;
  return f;
}

static int remount_fd(int fd, unsigned long add, const char *what, hm_error *err) {
  char p[64];
  hm_fd_path(p, sizeof p, PROC_PREFIX, fd);
  unsigned long flags = MS_REMOUNT | MS_BIND | locked_flags(fd) | add;
  if (mount(NULL, p, NULL, flags, NULL) < 0)
    return hm_error_errno(err, errno, "remounting %s", what);
  return 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
        p[3] <= '7') {
      *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
      p += 3;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
}

struct mount_entry {
  char *target, *fstype, *options;
};

static void free_entries(struct mount_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(e[i].target);
    free(e[i].fstype);
    free(e[i].options);
  }
  free(e);
}

static int read_mountinfo(const char *path, struct mount_entry **out, size_t *n_out, hm_error *err) {
  _cleanup_free_ char *buf = NULL;
  int r = hm_read_file(path, &buf, NULL, err);
  if (r < 0)
    return r;
  struct mount_entry *e = NULL;
  size_t n = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    /* id parent maj:min root mountpoint options [optional...] - fstype source superopts */
    char *f[6] = {0};
    char *s2 = NULL, *tok = strtok_r(line, " ", &s2);
    for (int i = 0; i < 6 && tok; i++, tok = strtok_r(NULL, " ", &s2))
      f[i] = tok;
    while (tok && strcmp(tok, "-") != 0)
      tok = strtok_r(NULL, " ", &s2);
    char *fstype = tok ? strtok_r(NULL, " ", &s2) : NULL;
    if (!f[4] || !f[5] || !fstype)
      continue;
    struct mount_entry *ne = realloc(e, (n + 1) * sizeof *e);
    if (!ne) {
      free_entries(e, n);
      return hm_error_set(err, ENOMEM, "out of memory");
    }
    e = ne;
    unescape(f[4]);
    e[n].target = strdup(f[4]);
    e[n].options = strdup(f[5]);
    e[n].fstype = strdup(fstype);
    n++;
  }
  *out = e;
  *n_out = n;
  return 0;
}

static bool path_under(const char *path, const char *dir) {
  size_t n = strlen(dir);
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Remount read-only every mount at or below abs_dir (a path in the base namespace view,
 * e.g. "/newroot" or "/newroot/opt/x"). Mounts below directories that even the sandbox's
 * init cannot search are skipped: the build, with fewer rights, cannot reach them either. */
static bool excluded(const char *target, const char *const *keep_rw) {
  for (size_t i = 0; keep_rw && keep_rw[i]; i++)
    if (path_under(target, keep_rw[i]))
      return true;
  return false;
}

/* The whole tree in one mount_setattr(AT_RECURSIVE) (Linux 5.12), atomically, instead of
 * a remount per mount (a host has dozens: each cost four system calls). The read-write
 * mounts to keep are single mounts (non-recursive idmapped clones) made writable again.
 * Returns 1 when the kernel would not do it (then nothing changed), 0 or -errno. */
static int tree_readonly_at_once(int base_fd, const char *abs_dir, unsigned long add,
                                 const char *const *keep_rw, hm_error *err) {
  hm_error sub;
  _cleanup_close_ int fd = open_beneath(base_fd, abs_dir + 1, O_PATH, &sub); /* or a file */
  if (fd < 0)
    return hm_error_set(err, -fd, "making %s read-only: %s", abs_dir, sub.msg);
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | ((add & MS_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
                                        ((add & MS_NODEV) ? MOUNT_ATTR_NODEV : 0)};
  /* Any failure of the recursive call left every mount as it was: the loop then. */
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    return 1;
  for (size_t i = 0; keep_rw && keep_rw[i]; i++) {
    _cleanup_close_ int k = open_beneath(base_fd, keep_rw[i] + 1, O_PATH, &sub);
    if (k < 0)
      return hm_error_set(err, -k, "keeping %s writable: %s", keep_rw[i], sub.msg);
    struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
    if (syscall(SYS_mount_setattr, k, "", AT_EMPTY_PATH, &rw, sizeof rw) < 0)
      return hm_error_errno(err, errno, "keeping %s writable", keep_rw[i]);
  }
  return 0;
}

static int make_tree_readonly(int base_fd, const char *abs_dir, unsigned long add,
                              const char *const *keep_rw, hm_error *err) {
  int r = tree_readonly_at_once(base_fd, abs_dir, add, keep_rw, err);
  if (r <= 0)
    return r;
  struct mount_entry *e = NULL;
  size_t n = 0;
  r = read_mountinfo(PROC_PREFIX "/proc/self/mountinfo", &e, &n, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < n && r == 0; i++) {
    if (!path_under(e[i].target, abs_dir) || excluded(e[i].target, keep_rw))
      continue;
    hm_error sub;
    int fd = open_beneath(base_fd, e[i].target + 1, O_PATH, &sub);
    if (fd < 0) {
      if (fd == -EACCES || fd == -ENOENT)
        continue;
      r = hm_error_set(err, -fd, "making %s read-only: %s", e[i].target, sub.msg);
      break;
    }
    r = remount_fd(fd, MS_RDONLY | add, e[i].target, err);
    close(fd);
  }
  free_entries(e, n);
  return r;
}

/* Whether path lies in one of the private directories (so its mount point is created on
 * our tmpfs rather than found in the read-only host tree). */
static char *const *opaque;

static bool in_private_dir(const char *path) {
  char p[64];
  for (size_t i = 0; opaque && opaque[i]; i++)
    if (path_under(path, opaque[i]))
      return true;
  for (size_t i = 0; i < HM_ARRAY_SIZE(private_dirs); i++) {
    snprintf(p, sizeof p, "/%s", private_dirs[i].path);
    if (path_under(path, p))
      return true;
  }
  return path_under(path, "/dev");
}

/* Started as root, the sandbox's init sets up as an unprivileged uid, which may not be
 * able to search the directories above a workspace (a 0700 home, say). Such read-write
 * mounts in the host tree are attached onto their own source, through the fd, before the
 * host root is bound recursively into the new root, which carries them along: no path
 * search is needed. They are idmapped mounts made by the launcher, already nosuid,nodev. */
static bool premounted(const struct hm_sandbox_config *cfg, const char *path, int idmapped_fd) {
  return idmapped_fd >= 0 && !cfg->rootfs && !in_private_dir(path);
}

static int premount(int src_fd, int idmapped_fd, const char *what, hm_error *err) {
  if (syscall(SYS_move_mount, idmapped_fd, "", src_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return hm_error_errno(err, errno, "attaching the idmapped %s", what);
  return 0;
}

/* Create a mount point. Started as root, the init sets up as uid 0 of the namespace,
 * which the idmapped workspace does not map: creating there fails with EOVERFLOW, so
 * such a mount point is created as the build's uid, which it does map. */
static int create_beneath(int dirfd, const char *rel, bool file, hm_error *err) {
  int fd = openat2_beneath(dirfd, rel, O_PATH | (file ? 0 : O_DIRECTORY));
  if (fd >= 0)
    return fd; /* already there: a mount point in the host's tree */
  fd = file ? hm_mkfile_beneath(dirfd, rel, err) : hm_mkdir_beneath(dirfd, rel, 0755, err);
  if (fd != -EOVERFLOW || getuid() == HM_BUILD_UID)
    return fd;
  uid_t old_uid = (uid_t)setfsuid(HM_BUILD_UID);
  gid_t old_gid = (gid_t)setfsgid(HM_BUILD_GID);
  fd = file ? hm_mkfile_beneath(dirfd, rel, err) : hm_mkdir_beneath(dirfd, rel, 0755, err);
  setfsgid(old_gid);
  setfsuid(old_uid);
  if ((uid_t)setfsuid((uid_t)-1) != old_uid) {
    if (fd >= 0)
      close(fd);
    return hm_error_set(err, EPERM, "restoring the init's file-system uid after creating %s", rel);
  }
  return fd;
}

/* A fresh directory NAME of the scratch space (a directory of the base tmpfs that nothing
 * of the sandbox can reach) with exactly MODE (no umask): an O_PATH fd, or -errno. */
static int scratch_dir(int scratch_fd, const char *name, mode_t mode, const char *what, hm_error *err) {
  if (mkdirat(scratch_fd, name, 0700) < 0 || fchmodat(scratch_fd, name, mode, 0) < 0)
    return hm_error_errno(err, errno, "creating the directory for %s", what);
  int fd = openat(scratch_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd >= 0 ? fd : hm_error_errno(err, errno, "opening the directory for %s", what);
}

/* A fresh scratch directory bound onto dst_fd. */
static int bind_scratch(int scratch_fd, const char *name, mode_t mode, int dst_fd, const char *what,
                        hm_error *err) {
  _cleanup_close_ int src = scratch_dir(scratch_fd, name, mode, what, err);
  return src < 0 ? src : bind_fd(src, dst_fd, false, what, err);
}

static int mount_tmpfs_at(int parent_fd, const char *rel, const char *opts, unsigned long flags,
                          bool create, hm_error *err) {
  _cleanup_close_ int fd = create ? create_beneath(parent_fd, rel, false, err)
                                  : open_beneath(parent_fd, rel, O_PATH | O_DIRECTORY, err);
  if (fd < 0)
    return fd;
  return mount_fd("tmpfs", fd, "tmpfs", flags, opts, rel, err);
}

/* /dev: the device nodes are binds of the host's (a bind keeps the flags of the mount it
 * came from, so /dev's own nodev does not stop them), made read-only at the end. */
static int setup_dev(int newroot_fd, int scratch_fd, const int *src_fds, hm_error *err) {
  int r;
  {
    _cleanup_close_ int t = open_beneath(newroot_fd, "dev", O_PATH | O_DIRECTORY, err);
    if (t < 0)
      return t;
    if ((r = bind_scratch(scratch_fd, "dev", 0755, t, "/dev", err)) < 0)
      return r;
  }
  _cleanup_close_ int dev = open_beneath(newroot_fd, "dev", O_PATH | O_DIRECTORY, err);
  if (dev < 0)
    return dev;
  static const struct {
    const char *name;
    int src;
  } nodes[] = {{"null", HM_SRC_DEV_NULL},     {"zero", HM_SRC_DEV_ZERO},
               {"full", HM_SRC_DEV_FULL},     {"random", HM_SRC_DEV_RANDOM},
               {"urandom", HM_SRC_DEV_URANDOM}, {"tty", HM_SRC_DEV_TTY}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(nodes); i++) {
    if (src_fds[nodes[i].src] < 0)
      continue; /* the host lacks it (only /dev/tty may) */
    char what[32];
    snprintf(what, sizeof what, "/dev/%s", nodes[i].name);
    /* /dev is a fresh directory of our own: one exclusive create per mount point. */
    _cleanup_close_ int t = openat(dev, nodes[i].name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (t < 0)
      return hm_error_errno(err, errno, "creating the mount point for %s", what);
    if ((r = bind_fd(src_fds[nodes[i].src], t, false, what, err)) < 0)
      return r;
  }
  static const char *const links[][2] = {{"/proc/self/fd", "fd"},   {"/proc/self/fd/0", "stdin"},
                                         {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
                                         {"pts/ptmx", "ptmx"}};
  for (size_t i = 0; i < HM_ARRAY_SIZE(links); i++)
    if (symlinkat(links[i][0], dev, links[i][1]) < 0)
      return hm_error_errno(err, errno, "creating /dev/%s", links[i][1]);
  {
    _cleanup_close_ int shm = hm_mkdir_beneath(dev, "shm", 0755, err);
    if (shm < 0)
      return shm;
    if ((r = bind_scratch(scratch_fd, "dev-shm", 01777, shm, "/dev/shm", err)) < 0)
      return r;
  }
  /* A new devpts instance: the build sees only its own ptys, never the host's. */
  _cleanup_close_ int pts = hm_mkdir_beneath(dev, "pts", 0755, err);
  if (pts < 0)
    return pts;
  return mount_fd("devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=620",
                  "/dev/pts", err);
}

static int setup_proc(int newroot_fd, hm_error *err) {
  _cleanup_close_ int fd = open_beneath(newroot_fd, "proc", O_PATH | O_DIRECTORY, err);
  if (fd < 0)
    return fd;
  return mount_fd("proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, "a fresh /proc", err);
}

static int mask_proc(int newroot_fd, int scratch_fd, hm_error *err) {
  _cleanup_close_ int proc = open_beneath(newroot_fd, "proc", O_PATH | O_DIRECTORY, err);
  if (proc < 0)
    return proc;
  _cleanup_close_ int null = open_beneath(newroot_fd, "dev/null", O_PATH, err);
  if (null < 0)
    return null;
  int r;
  for (size_t i = 0; i < HM_ARRAY_SIZE(proc_readonly); i++) {
    hm_error sub;
    _cleanup_close_ int fd = open_beneath(proc, proc_readonly[i], O_PATH, &sub);
    if (fd < 0)
      continue; /* not present on this kernel */
    char what[64];
    snprintf(what, sizeof what, "/proc/%s read-only", proc_readonly[i]);
    if ((r = bind_fd(fd, fd, true, what, err)) < 0)
      return r;
    _cleanup_close_ int top = open_beneath(proc, proc_readonly[i], O_PATH, err);
    if (top < 0)
      return top;
    if ((r = remount_fd(top, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, what, err)) < 0)
      return r;
  }
  for (size_t i = 0; i < HM_ARRAY_SIZE(proc_masked_files); i++) {
    hm_error sub;
    _cleanup_close_ int fd = open_beneath(proc, proc_masked_files[i], O_PATH, &sub);
    if (fd < 0)
      continue;
    char what[64];
    snprintf(what, sizeof what, "/dev/null over /proc/%s", proc_masked_files[i]);
    if ((r = bind_fd(null, fd, false, what, err)) < 0)
      return r;
  }
  /* One empty directory, bound read-only over each. */
  _cleanup_close_ int empty = scratch_dir(scratch_fd, "empty", 0555, "the masked /proc directories", err);
  if (empty < 0)
    return empty;
  for (size_t i = 0; i < HM_ARRAY_SIZE(proc_masked_dirs); i++) {
    hm_error sub;
    _cleanup_close_ int fd = open_beneath(proc, proc_masked_dirs[i], O_PATH | O_DIRECTORY, &sub);
    if (fd < 0)
      continue;
    char what[64];
    snprintf(what, sizeof what, "an empty /proc/%s", proc_masked_dirs[i]);
    if ((r = bind_fd(empty, fd, false, what, err)) < 0)
      return r;
    _cleanup_close_ int top = open_beneath(proc, proc_masked_dirs[i], O_PATH | O_DIRECTORY, err);
    if (top < 0)
      return top;
    if ((r = remount_fd(top, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, what, err)) < 0)
      return r;
  }
  return 0;
}

static int setup_sys(int newroot_fd, bool *fresh, hm_error *err) {
  _cleanup_close_ int fd = open_beneath(newroot_fd, "sys", O_PATH | O_DIRECTORY, err);
  if (fd < 0)
    return fd;
  unsigned long f = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  /* A fresh sysfs belongs to our network namespace: /sys/class/net lists only lo. Where
   * that is refused (nested containers), an empty tmpfs: never the host's sysfs. */
  hm_error sub;
  if (mount_fd("sysfs", fd, "sysfs", f, NULL, "/sys", &sub) == 0) {
    *fresh = true;
    return 0;
  }
  *fresh = false;
  return mount_fd("tmpfs", fd, "tmpfs", f, "mode=0555,size=4k", "an empty /sys", err);
}

/* Mount point for a source: a directory or an empty file, created if it lies on one of
 * our tmpfs (it cannot be created in the read-only host tree). */
static int make_target(int newroot_fd, const char *abs_path, int src_fd, hm_error *err) {
  struct stat st;
  bool file = src_fd >= 0 && fstat(src_fd, &st) == 0 && !S_ISDIR(st.st_mode);
  return create_beneath(newroot_fd, abs_path + 1, file, err);
}

static int attach_rw(int newroot_fd, const char *path, int src_fd, int idmapped_fd, hm_error *err) {
  _cleanup_close_ int t = make_target(newroot_fd, path, src_fd, err);
  if (t < 0)
    return hm_error_wrap(err, "mount point for %s", path);
  int r;
  if (idmapped_fd >= 0) {
    if (syscall(SYS_move_mount, idmapped_fd, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      return hm_error_errno(err, errno, "attaching the idmapped %s", path);
    return 0;
  }
  if ((r = bind_fd(src_fd, t, true, path, err)) < 0)
    return r;
  _cleanup_close_ int top = open_beneath(newroot_fd, path + 1, O_PATH, err);
  if (top < 0)
    return top;
  return remount_fd(top, MS_NOSUID | MS_NODEV, path, err);
}

static int apply_binds(const struct hm_sandbox_config *cfg, int base_fd, int newroot_fd,
                       const int *src_fds, const int *idmapped_fds, hm_error *err) {
  int r;
  for (size_t i = 0; i < cfg->n_binds; i++) {
    const struct hm_bind *b = &cfg->binds[i];
    int src = src_fds[HM_SRC_FIXED_COUNT + i];
    r = 0;
    switch (b->kind) {
    case HM_BIND_RW:
      if (!premounted(cfg, b->path, idmapped_fds[HM_SRC_FIXED_COUNT + i]))
        r = attach_rw(newroot_fd, b->path, src, idmapped_fds[HM_SRC_FIXED_COUNT + i], err);
      break;
    case HM_BIND_RO: {
      _cleanup_close_ int t = make_target(newroot_fd, b->path, src, err);
      if (t < 0)
        return hm_error_wrap(err, "--ro %s", b->path);
      if ((r = bind_fd(src, t, true, b->path, err)) < 0)
        return r;
      char abs[4096];
      snprintf(abs, sizeof abs, "/newroot%s", b->path);
      r = make_tree_readonly(base_fd, abs, MS_NOSUID | MS_NODEV, NULL, err);
      break;
    }
    case HM_BIND_TMPFS:
      r = mount_tmpfs_at(newroot_fd, b->path + 1, "mode=0755,uid=1000,gid=1000", MS_NOSUID | MS_NODEV,
                         true, err);
      break;
    case HM_BIND_HIDE: {
      struct stat st;
      hm_error sub;
      _cleanup_close_ int t = open_beneath(newroot_fd, b->path + 1, O_PATH, &sub);
      if (t < 0) /* not visible in the sandbox: nothing to hide */
        break;
      if (fstat(t, &st) < 0)
        return hm_error_errno(err, errno, "--hide %s", b->path);
      if (S_ISDIR(st.st_mode)) {
        r = mount_fd("tmpfs", t, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=4k",
                     b->path, err);
      } else {
        _cleanup_close_ int null = open_beneath(newroot_fd, "dev/null", O_PATH, err);
        if (null < 0)
          return null;
        r = bind_fd(null, t, false, b->path, err);
      }
      break;
    }
    default:
      r = 0;
    }
    if (r < 0)
      return r;
  }
  return 0;
}

int hm_mounts_setup(const struct hm_sandbox_config *cfg, const int *src_fds,
                    const int *idmapped_fds, size_t n_src, char *const *opaque_dirs, hm_error *err) {
  (void)n_src;
  int r;
  opaque = opaque_dirs;
  /* Nothing we do may propagate back to the host. */
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return hm_error_errno(err, errno, "making the mount tree private");
  /* The base: no size limit (it holds the build's /tmp and the others, as their own
   * tmpfs did: half of RAM, the kernel's default, for all of them together). */
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0)
    return hm_error_errno(err, errno, "mounting the setup tmpfs");
  if (mkdir("/tmp/newroot", 0755) < 0 || mkdir("/tmp/oldroot", 0755) < 0 || mkdir("/tmp/scratch", 0700) < 0)
    return hm_error_errno(err, errno, "creating directories on the setup tmpfs");
  if (syscall(SYS_pivot_root, "/tmp", "/tmp/oldroot") < 0)
    return hm_error_errno(err, errno, "pivot_root into the setup tmpfs");
  if (chdir("/") < 0)
    return hm_error_errno(err, errno, "chdir /");
  _cleanup_close_ int base = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int newroot = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  _cleanup_close_ int scratch = open("/scratch", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (base < 0 || newroot < 0 || scratch < 0)
    return hm_error_errno(err, errno, "opening the new root");

  /* Read-write mounts carried into the new root by the recursive bind below. */
  char *keep_rw[HM_MAX_BINDS + 2] = {0};
  size_t n_keep = 0;
  for (size_t i = HM_SRC_WORKSPACE; i < HM_SRC_FIXED_COUNT + cfg->n_binds; i++) {
    if (i > HM_SRC_WORKSPACE && i < HM_SRC_FIXED_COUNT)
      continue;
    const char *path = i == HM_SRC_WORKSPACE ? cfg->workspace : cfg->binds[i - HM_SRC_FIXED_COUNT].path;
    if (i >= HM_SRC_FIXED_COUNT && cfg->binds[i - HM_SRC_FIXED_COUNT].kind != HM_BIND_RW)
      continue;
    if (!premounted(cfg, path, idmapped_fds[i]))
      continue;
    if ((r = premount(src_fds[i], idmapped_fds[i], path, err)) < 0)
      goto free_keep;
    char *k;
    if (asprintf(&k, "/newroot%s", path) < 0) {
      r = hm_error_set(err, ENOMEM, "out of memory");
      goto free_keep;
    }
    keep_rw[n_keep++] = k;
  }
  if ((r = bind_fd(src_fds[HM_SRC_ROOT], newroot, true, cfg->rootfs ? cfg->rootfs : "the host's /", err)) == 0)
    r = make_tree_readonly(base, "/newroot", MS_NOSUID | MS_NODEV, (const char *const *)keep_rw, err);
free_keep:
  for (size_t i = 0; i < n_keep; i++)
    free(keep_rw[i]);
  if (r < 0)
    return r;
  /* Re-open: the fd taken before the bind refers to the directory underneath it. */
  close(newroot);
  newroot = open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (newroot < 0)
    return hm_error_errno(err, errno, "opening the new root");

  if ((r = setup_proc(newroot, err)) < 0)
    return r;
  bool fresh_sys;
  if ((r = setup_sys(newroot, &fresh_sys, err)) < 0)
    return r;
  if ((r = setup_dev(newroot, scratch, src_fds, err)) < 0)
    return r;
  for (size_t i = 0; i < HM_ARRAY_SIZE(private_dirs); i++) {
    hm_error sub;
    _cleanup_close_ int fd = open_beneath(newroot, private_dirs[i].path, O_PATH | O_DIRECTORY, &sub);
    if (fd < 0) {
      if (fd == -ENOENT)
        continue; /* absent in this root: nothing to hide */
      return hm_error_set(err, -fd, "hiding /%s: %s", private_dirs[i].path, sub.msg);
    }
    if ((r = bind_scratch(scratch, private_dirs[i].name, private_dirs[i].mode, fd, private_dirs[i].path,
                          err)) < 0)
      return r;
  }
  /* Directories above a read-write mount that the build's uid could not search (started as
   * root, a 0700 directory, say): an empty tmpfs, through which only the mount's path
   * leads. The build could not list or enter them before, so it loses nothing. */
  for (size_t i = 0; opaque && opaque[i]; i++) {
    hm_error sub;
    _cleanup_close_ int fd = open_beneath(newroot, opaque[i] + 1, O_PATH | O_DIRECTORY, &sub);
    if (fd < 0)
      continue; /* under another private directory already */
    if ((r = mount_fd("tmpfs", fd, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k", opaque[i], err)) < 0)
      return r;
  }
  {
    _cleanup_close_ int home = hm_mkdir_beneath(newroot, "home/build", 0700, err);
    if (home < 0)
      return hm_error_wrap(err, "creating HOME");
    char p[64];
    hm_fd_path(p, sizeof p, PROC_PREFIX, home);
    if (chown(p, HM_BUILD_UID, HM_BUILD_GID) < 0)
      return hm_error_errno(err, errno, "chown HOME");
  }
  if (!premounted(cfg, cfg->workspace, idmapped_fds[HM_SRC_WORKSPACE]) &&
      (r = attach_rw(newroot, cfg->workspace, src_fds[HM_SRC_WORKSPACE], idmapped_fds[HM_SRC_WORKSPACE],
                     err)) < 0)
    return hm_error_wrap(err, "workspace");
  if ((r = apply_binds(cfg, base, newroot, src_fds, idmapped_fds, err)) < 0)
    return r;
  if ((r = mask_proc(newroot, scratch, err)) < 0)
    return r;
  {
    _cleanup_close_ int dev = open_beneath(newroot, "dev", O_PATH | O_DIRECTORY, err);
    if (dev < 0)
      return dev;
    if ((r = remount_fd(dev, MS_RDONLY | MS_NOSUID | MS_NOEXEC, "/dev read-only", err)) < 0)
      return r;
  }

  /* Into the new root; the old tree (and with it every host mount not bound in) goes. */
  if (fchdir(newroot) < 0)
    return hm_error_errno(err, errno, "entering the new root");
  if (syscall(SYS_pivot_root, ".", ".") < 0)
    return hm_error_errno(err, errno, "pivot_root into the new root");
  if (umount2(".", MNT_DETACH) < 0)
    return hm_error_errno(err, errno, "detaching the old root");
  if (chdir("/") < 0)
    return hm_error_errno(err, errno, "chdir /");
  return 0;
}

int hm_mounts_describe(json_object **out, hm_error *err) {
  struct mount_entry *e = NULL;
  size_t n = 0;
  int r = read_mountinfo("/proc/self/mountinfo", &e, &n, err);
  if (r < 0)
    return r;
  json_object *arr = json_object_new_array();
  for (size_t i = 0; i < n; i++) {
    json_object *m = json_object_new_object();
    json_object_object_add(m, "target", json_object_new_string(e[i].target ? e[i].target : ""));
    json_object_object_add(m, "fstype", json_object_new_string(e[i].fstype ? e[i].fstype : ""));
    json_object_object_add(m, "options", json_object_new_string(e[i].options ? e[i].options : ""));
    json_object_array_add(arr, m);
  }
  free_entries(e, n);
  *out = arr;
  return 0;
}
