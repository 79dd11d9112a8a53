/* The build log: while the build runs, our stdout and stderr are pipes; a small child
 * process copies each to the console (the original fd) and to the log file, hashing what
 * it writes, and sends the digest back when both pipes are closed. The digest is of the
 * bytes written, so nothing the build does to the file afterwards can change what the
 * provenance records. A process, not a thread: the sandbox is started with clone(), and
 * a clone of a multi-threaded process inherits locks that other threads may hold. */
#include "statement.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <string.h>

#include <openssl/evp.h>

#include "hm-fsio.h"

struct hm_build_log {
  struct hm_atomic_file file;
  int console[2];  /* saved stdout, stderr */
  int pipe_rd[2];  /* read ends of the pipes now at fds 1 and 2 */
  EVP_MD_CTX *md;
  pid_t copier;
  int result_rd;   /* the copier's answer: "<hex>\n" or "E<errno>\n" */
};

/* In the copier: returns 0 or the first -errno writing the log. */
static int copy_loop(struct hm_build_log *log) {
  static char buf[65536];
  int write_error = 0;
  struct pollfd pfd[2] = {{.fd = log->pipe_rd[0], .events = POLLIN}, {.fd = log->pipe_rd[1], .events = POLLIN}};
  int open_ends = 2;
  while (open_ends > 0) {
    if (poll(pfd, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      write_error = -errno;
      break;
    }
    for (int i = 0; i < 2; i++) {
      if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      ssize_t n = read(pfd[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0) {
        pfd[i].fd = -1;
        open_ends--;
        continue;
      }
      /* The console may be gone (a closed pipe): the log must still be complete. */
      (void)hm_write_all(log->console[i], buf, (size_t)n);
      int r = hm_write_all(log->file.fd, buf, (size_t)n);
      if (r < 0 && !write_error)
        write_error = r;
      EVP_DigestUpdate(log->md, buf, (size_t)n);
    }
  }
  return write_error;
}

static __attribute__((noreturn)) void copier_main(struct hm_build_log *log, int result_wr) {
  /* Our copies of fds 1 and 2 are the pipes' write ends: give them back to the console
   * so that the pipes close when the build and hermetic are done with them. */
  for (int i = 0; i < 2; i++)
    dup2(log->console[i], i + 1);
  signal(SIGINT, SIG_IGN); /* a ^C reaches the build; the log keeps what it printed */
  char msg[80];
  int r = copy_loop(log);
  if (r < 0) {
    snprintf(msg, sizeof msg, "E%d\n", -r);
  } else {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(log->md, md, &mdlen);
    hm_hex(md, mdlen, msg);
    strcat(msg, "\n");
  }
  (void)hm_write_all(result_wr, msg, strlen(msg));
  _exit(0);
}

static void restore_console(struct hm_build_log *log) {
  for (int i = 0; i < 2; i++)
    if (log->console[i] >= 0) {
      dup2(log->console[i], i + 1);
      close(log->console[i]);
      log->console[i] = -1;
    }
}

static void log_free(struct hm_build_log *log) {
  restore_console(log);
  for (int i = 0; i < 2; i++)
    if (log->pipe_rd[i] >= 0)
      close(log->pipe_rd[i]);
  if (log->md)
    EVP_MD_CTX_free(log->md);
  if (log->result_rd >= 0)
    close(log->result_rd);
  if (log->copier > 0) {
    kill(log->copier, SIGKILL);
    waitpid(log->copier, NULL, 0);
  }
  hm_atomic_file_abort(&log->file);
  free(log);
}

int hm_build_log_start(const char *path, struct hm_build_log **out, hm_error *err) {
  struct hm_build_log *log = calloc(1, sizeof *log);
  if (!log)
    return hm_error_set(err, ENOMEM, "out of memory");
  log->console[0] = log->console[1] = log->pipe_rd[0] = log->pipe_rd[1] = log->result_rd = -1;
  log->file.fd = log->file.dirfd = -1;
  int r = hm_atomic_file_open(&log->file, path, 0644, err);
  if (r < 0)
    goto fail;
  log->md = EVP_MD_CTX_new();
  if (!log->md || !EVP_DigestInit_ex(log->md, EVP_sha256(), NULL)) {
    r = hm_error_set(err, ENOMEM, "starting the build log's digest");
    goto fail;
  }
  fflush(stdout);
  fflush(stderr);
  for (int i = 0; i < 2; i++) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
      r = hm_error_errno(err, errno, "creating the build log's pipe");
      goto fail;
    }
    log->pipe_rd[i] = p[0];
    log->console[i] = fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
    if (log->console[i] < 0 || dup2(p[1], i + 1) < 0) {
      r = hm_error_errno(err, errno, "redirecting fd %d to the build log", i + 1);
      close(p[1]);
      goto fail;
    }
    close(p[1]);
  }
  int res[2];
  if (pipe2(res, O_CLOEXEC) < 0) {
    r = hm_error_errno(err, errno, "creating the build log's pipe");
    goto fail;
  }
  log->copier = fork();
  if (log->copier < 0) {
    r = hm_error_errno(err, errno, "starting the build log's copier");
    close(res[0]);
    close(res[1]);
    goto fail;
  }
  if (log->copier == 0) {
    close(res[0]);
    copier_main(log, res[1]);
  }
  close(res[1]);
  log->result_rd = res[0];
  /* The copier alone reads the pipes. */
  for (int i = 0; i < 2; i++) {
    close(log->pipe_rd[i]);
    log->pipe_rd[i] = -1;
  }
  *out = log;
  return 0;
fail:
  log_free(log);
  return r;
}

int hm_build_log_finish(struct hm_build_log *log, char sha256_hex[65], hm_error *err) {
  fflush(stdout);
  fflush(stderr);
  /* Our own fds 1 and 2 were the last write ends (every build process is dead): giving
   * the console back closes them and the copier sees end of file. */
  restore_console(log);
  char msg[80] = "";
  ssize_t n = hm_read_all(log->result_rd, msg, sizeof msg - 1);
  int status = 0;
  while (waitpid(log->copier, &status, 0) < 0 && errno == EINTR) {
  }
  log->copier = 0;
  int r;
  if (n == 65 && msg[64] == '\n') {
    memcpy(sha256_hex, msg, 64);
    sha256_hex[64] = '\0';
    r = hm_atomic_file_commit(&log->file, err);
  } else if (n > 1 && msg[0] == 'E') {
    r = hm_error_errno(err, atoi(msg + 1), "writing the build log %s", log->file.path);
  } else {
    r = hm_error_set(err, EIO, "the build log's copier ended without a result (status 0x%x)", status);
  }
  log_free(log);
  return r;
}
