/* Pure helpers shared by every library: the error object, cleanup attributes,
 * EINTR-safe I/O. Nothing here has side effects on the OS beyond the fd it is given. */
#ifndef HM_UTIL_H
#define HM_UTIL_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/types.h>

/* The error object every library function fills (crun's libcrun_error_t).
 * code is a positive errno; msg names what failed and why. */
typedef struct hm_error {
  int code;
  char msg[1024];
} hm_error;

/* Set err (if non-NULL) and return -code, so callers write: return hm_error_set(err, ...). */
int hm_error_set(hm_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like hm_error_set, appending ": strerror(code)". */
int hm_error_errno(hm_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefix existing message with context: "mounting /proc: <old message>". Returns -err->code. */
int hm_error_wrap(hm_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hm_error_clear(hm_error *err);

static inline void hm_freep(void *p) { free(*(void **)p); }
static inline void hm_closep(int *fd) {
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void hm_fclosep(FILE **f) { if (*f) fclose(*f); }
static inline void hm_closedirp(DIR **d) { if (*d) closedir(*d); }
void hm_strv_freep(char ***v);

#define _cleanup_free_ __attribute__((cleanup(hm_freep)))
#define _cleanup_close_ __attribute__((cleanup(hm_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(hm_fclosep)))
#define _cleanup_closedir_ __attribute__((cleanup(hm_closedirp)))
#define _cleanup_strv_ __attribute__((cleanup(hm_strv_freep)))

static inline void *hm_steal_ptr(void *pp) {
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) hm_steal_ptr(pp)
static inline int steal_fd(int *fd) {
  int v = *fd;
  *fd = -1;
  return v;
}

#define HM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* EINTR-retrying, short-write-completing I/O. Return 0 / bytes read, or -errno. */
int hm_write_all(int fd, const void *buf, size_t len);
ssize_t hm_read_all(int fd, void *buf, size_t len);
/* Read a whole (small, regular or proc) file into a NUL-terminated heap buffer. */
int hm_read_file(const char *path, char **out, size_t *len, hm_error *err);
/* Read everything from fd until EOF. */
int hm_read_fd(int fd, char **out, size_t *len, hm_error *err);
/* The same, failing with EFBIG once more than max bytes have been read. */
int hm_read_fd_max(int fd, size_t max, char **out, size_t *len, hm_error *err);

/* NULL-terminated string vectors. */
size_t hm_strv_len(char *const *v);
int hm_strv_push(char ***v, const char *s); /* copies s; -ENOMEM */
void hm_strv_free(char **v);

/* Parse a non-negative decimal integer (no sign, no spaces, no suffix). -EINVAL / -ERANGE. */
int hm_parse_u64(const char *s, uint64_t *out);
/* Like hm_parse_u64 but accepts K, M, G (binary) suffixes: "512M". */
int hm_parse_size(const char *s, uint64_t *out);

/* True when s[0..n) is non-empty and all lowercase hex digits. */
bool hm_is_lower_hex(const char *s, size_t n);

/* Lowercase hex of len bytes into out (2*len+1). */
void hm_hex(const unsigned char *in, size_t len, char *out);

/* How many threads a parallel job should use: the CPUs this process may run on. */
size_t hm_cpu_count(void);

/* Monotonic milliseconds, for setup timings. */
double hm_now_ms(void);

#endif
