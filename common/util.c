#include "hm-util.h"

#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <time.h>

static void vformat(hm_error *err, const char *fmt, va_list ap) {
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int hm_error_set(hm_error *err, int code, const char *fmt, ...) {
  if (code <= 0)
    code = EIO;
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vformat(err, fmt, ap);
    va_end(ap);
    err->code = code;
  }
  return -code;
}

int hm_error_errno(hm_error *err, int code, const char *fmt, ...) {
  if (code <= 0)
    code = EIO;
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vformat(err, fmt, ap);
    va_end(ap);
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(code));
    err->code = code;
  }
  return -code;
}

int hm_error_wrap(hm_error *err, const char *fmt, ...) {
  if (!err)
    return -EIO;
  char prefix[512], old[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%.400s: %.600s", prefix, old);
  if (err->code <= 0)
    err->code = EIO;
  return -err->code;
}

void hm_error_clear(hm_error *err) {
  if (err) {
    err->code = 0;
    err->msg[0] = '\0';
  }
}

int hm_write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

ssize_t hm_read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, p + got, len - got);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -errno;
    }
    if (n == 0)
      break;
    got += (size_t)n;
  }
  return (ssize_t)got;
}

int hm_read_fd_max(int fd, size_t max, char **out, size_t *len, hm_error *err) {
  size_t cap = 4096, used = 0;
  _cleanup_free_ char *buf = malloc(cap);
  if (!buf)
    return hm_error_set(err, ENOMEM, "out of memory");
  for (;;) {
    if (used + 1 >= cap) {
      char *nb = realloc(buf, cap * 2);
      if (!nb)
        return hm_error_set(err, ENOMEM, "out of memory");
      buf = nb;
      cap *= 2;
    }
    ssize_t n = read(fd, buf + used, cap - used - 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return hm_error_errno(err, errno, "reading");
    }
    if (n == 0)
      break;
    used += (size_t)n;
    if (used > max)
      return hm_error_set(err, EFBIG, "more than the limit of %zu bytes", max);
  }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer(&buf);
  return 0;
}

int hm_read_fd(int fd, char **out, size_t *len, hm_error *err) {
  return hm_read_fd_max(fd, SIZE_MAX - 1, out, len, err);
}

bool hm_is_lower_hex(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return false;
  return true;
}

int hm_read_file(const char *path, char **out, size_t *len, hm_error *err) {
  _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return hm_error_errno(err, errno, "opening %s", path);
  int r = hm_read_fd(fd, out, len, err);
  if (r < 0)
    return hm_error_wrap(err, "%s", path);
  return 0;
}

size_t hm_strv_len(char *const *v) {
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

int hm_strv_push(char ***v, const char *s) {
  size_t n = hm_strv_len(*v);
  char *copy = strdup(s);
  if (!copy)
    return -ENOMEM;
  char **nv = realloc(*v, (n + 2) * sizeof(char *));
  if (!nv) {
    free(copy);
    return -ENOMEM;
  }
  nv[n] = copy;
  nv[n + 1] = NULL;
  *v = nv;
  return 0;
}

void hm_strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

void hm_strv_freep(char ***v) { hm_strv_free(*v); }

int hm_parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s)
    return -EINVAL;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -EINVAL;
    unsigned d = (unsigned)(*p - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -ERANGE;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int hm_parse_size(const char *s, uint64_t *out) {
  if (!s || !*s)
    return -EINVAL;
  size_t n = strlen(s);
  uint64_t mult = 1;
  char last = s[n - 1];
  if (last == 'K' || last == 'k')
    mult = 1ULL << 10;
  else if (last == 'M' || last == 'm')
    mult = 1ULL << 20;
  else if (last == 'G' || last == 'g')
    mult = 1ULL << 30;
  char digits[32];
  size_t dn = mult == 1 ? n : n - 1;
  if (dn == 0 || dn >= sizeof digits)
    return -EINVAL;
  memcpy(digits, s, dn);
  digits[dn] = '\0';
  uint64_t v;
  int r = hm_parse_u64(digits, &v);
  if (r < 0)
    return r;
  if (v > UINT64_MAX / mult)
    return -ERANGE;
  *out = v * mult;
  return 0;
}

void hm_hex(const unsigned char *in, size_t len, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < len; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * len] = '\0';
}

double hm_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

size_t hm_cpu_count(void) {
  cpu_set_t set;
  long n = 0;
  /* The CPUs this process may run on (taskset, cgroup cpusets), else the online count. */
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    n = CPU_COUNT(&set);
  if (n <= 0)
    n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (size_t)n : 1;
}
