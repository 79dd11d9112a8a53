/* The fetcher: every entry not yet in the store is downloaded on libcurl's multi interface
 * (up to `jobs` at once), hashed while it streams into DIR/tmp/<algo>-<hex>.part, and
 * admitted to blobs/ only when the digest matched. Connection errors, cut or stalled
 * transfers, 5xx and 429 are retried with exponential backoff, resuming with a Range request
 * from the bytes already received (also those an earlier, interrupted run left); 4xx other
 * than 429 and a digest mismatch are not retried on the same URL (the next URL, if the entry
 * has several, is tried). The user's npm configuration is never read: what is fetched is
 * exactly the entry's URLs. */
#include "snapshot-int.h"
#include "store-int.h"
#include "curl-load.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

/* A body larger than this is not an npm tarball or a source archive worth waiting for;
 * stops a hostile server from filling the disk before the digest check can refuse it. */
#define MAX_ARTIFACT_BYTES (4ULL << 30)
#define MAX_BACKOFF_MS 30000.0

/* X_VERIFIED: the part file matched its digest and waits, closed, for admission at the
 * end of the run (one syncfs for all, instead of an fdatasync each: 7 ms apiece here). */
/* libcurl's functions, loaded by hm_snap_fetch before anything here calls them. */
static const struct hm_curl *C;

enum xfer_state { X_PENDING, X_ACTIVE, X_VERIFIED, X_DONE, X_FAILED };

struct fetch;

struct xfer {
  struct fetch *f;
  struct hm_snap_entry *e;
  enum xfer_state state;
  size_t url_index;
  unsigned attempt;      /* failed attempts on the current URL */
  int fd;                /* the part file while the entry is not done */
  EVP_MD_CTX *md;        /* digest of the part file's bytes [0, offset) */
  uint64_t offset;
  uint64_t range_from;   /* what the current request asked for with Range (0: whole) */
  int64_t content_range; /* start of the response's Content-Range; -1 none */
  bool body_checked, body_ok, bad_range, too_big;
  int write_errno;
  bool restarted;        /* a mismatch after a resume already started over from zero */
  double retry_at, last_byte;
  CURL *easy;
  char *url;             /* the URL requested (after the mirror rewrite) */
  char errbuf[CURL_ERROR_SIZE];
  char reason[1536];     /* why the last attempt failed */
};

struct fetch {
  struct hm_snap_store *store;
  const struct hm_snap_fetch_opts *o;
  const EVP_MD *md_sha1, *md_sha256, *md_sha512;
  CURLM *multi;
  struct xfer *x;
  size_t n;
  unsigned active, jobs, retries;
  double stall_ms, backoff_ms, last_progress;
  struct hm_snap_progress prog;
  struct hm_snap_fetch_stats *stats;
  hm_error *err;
  bool have_err;
};

static const EVP_MD *md_for(struct fetch *f, enum hm_snap_algo algo) {
  switch (algo) {
  case HM_SNAP_SHA1:
    return f->md_sha1;
  case HM_SNAP_SHA256:
    return f->md_sha256;
  case HM_SNAP_SHA512:
    return f->md_sha512;
  }
  return NULL;
}

static void entry_label(const struct hm_snap_entry *e, char *buf, size_t len) {
  if (e->version)
    snprintf(buf, len, "%s@%s", e->name, e->version);
  else
    snprintf(buf, len, "%s", e->name);
}

/* The URL to request: the entry's, or the mirror's for one under npm's registry. */
static char *request_url(const struct fetch *f, const char *url) {
  static const char npm[] = HM_SNAP_DEFAULT_REGISTRY "/";
  const char *mirror = f->o->registry;
  if (mirror && *mirror && strncmp(url, npm, sizeof(npm) - 1) == 0) {
    size_t ml = strlen(mirror);
    while (ml > 0 && mirror[ml - 1] == '/')
      ml--;
    char *out = NULL;
    if (asprintf(&out, "%.*s/%s", (int)ml, mirror, url + sizeof(npm) - 1) < 0)
      return NULL;
    return out;
  }
  return strdup(url);
}

/* Start over from byte zero: the part file's bytes are worthless. */
static int reset_part(struct xfer *x) {
  x->offset = 0;
  if (ftruncate(x->fd, 0) < 0)
    return -errno;
  if (!EVP_DigestInit_ex(x->md, md_for(x->f, x->e->algo), NULL))
    return -ENOMEM;
  return 0;
}

/* Hash what an earlier attempt or run left in the part file, to resume after it. */
static int load_part(struct xfer *x) {
  struct stat st;
  if (fstat(x->fd, &st) < 0)
    return -errno;
  if (!EVP_DigestInit_ex(x->md, md_for(x->f, x->e->algo), NULL))
    return -ENOMEM;
  x->offset = 0;
  /* On the heap, not in thread-local storage: the loader zeroes static TLS in every
   * process at start, and 64 KiB of it cost every hermetic command 16 page faults. */
  enum { BUF = 1 << 16 };
  _cleanup_free_ unsigned char *buf = malloc(BUF);
  if (!buf)
    return -ENOMEM;
  while (x->offset < (uint64_t)st.st_size) {
    ssize_t r = pread(x->fd, buf, BUF, (off_t)x->offset);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return reset_part(x);
    EVP_DigestUpdate(x->md, buf, (size_t)r);
    x->offset += (uint64_t)r;
  }
  return 0;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *data) {
  struct xfer *x = data;
  size_t n = size * nitems;
  x->last_byte = hm_now_ms();
  if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
    x->content_range = -1; /* a new response (after a redirect): forget the last one's */
  } else if (n > 14 && strncasecmp(buf, "content-range:", 14) == 0) {
    unsigned long long start;
    if (sscanf(buf + 14, " bytes %llu-", &start) == 1)
      x->content_range = (int64_t)start;
  }
  return n;
}

/* Called with the first byte of the final response's body: decide where it goes. */
static int check_body_start(struct xfer *x) {
  long status = 0;
  C->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  x->body_checked = true;
  x->body_ok = false;
  if (status == 200) {
    /* The whole file, whatever we asked for: the server ignored the Range. */
    if (x->offset > 0 && reset_part(x) < 0)
      return -1;
    x->body_ok = true;
  } else if (status == 206) {
    if (x->content_range < 0 || (uint64_t)x->content_range != x->offset) {
      x->bad_range = true;
      return -1;
    }
    x->body_ok = true;
  }
  return 0; /* other statuses: the error page is read and dropped */
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *data) {
  struct xfer *x = data;
  size_t n = size * nmemb;
  if (!x->body_checked && check_body_start(x) < 0)
    return 0;
  if (!x->body_ok)
    return n;
  x->last_byte = hm_now_ms();
  if (x->offset + n > MAX_ARTIFACT_BYTES) {
    x->too_big = true;
    return 0;
  }
  for (size_t done = 0; done < n;) {
    ssize_t w = pwrite(x->fd, buf + done, n - done, (off_t)(x->offset + done));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      x->write_errno = w < 0 ? errno : ENOSPC;
      return 0;
    }
    done += (size_t)w;
  }
  EVP_DigestUpdate(x->md, buf, n);
  x->offset += n;
  x->f->prog.bytes += n;
  x->f->stats->bytes += n;
  return n;
}

static void note_error(struct fetch *f, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_error(struct fetch *f, int code, const char *fmt, ...) {
  if (f->have_err)
    return;
  va_list ap;
  va_start(ap, fmt);
  char msg[sizeof(f->err->msg)];
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  hm_error_set(f->err, code, "%s", msg);
  f->have_err = true;
}

static void close_part(struct xfer *x) {
  if (x->fd >= 0)
    close(x->fd);
  x->fd = -1;
}

/* The entry failed for good: report it. keep_part: the bytes so far are sound (a network
 * failure) and the next run resumes from them. */
static void fail_entry(struct xfer *x, bool keep_part) {
  struct fetch *f = x->f;
  close_part(x);
  if (!keep_part)
    hm_snap_store_part_discard(f->store, x->e);
  x->state = X_FAILED;
  f->prog.failed++;
  f->stats->failed++;
  char label[512];
  entry_label(x->e, label, sizeof(label));
  note_error(f, EIO, "%s: %s", label, x->reason);
  if (f->o->failure)
    f->o->failure(x->e, x->reason, f->o->failure_data);
}

/* This URL will not give the right bytes: try the entry's next one, from zero. */
static void next_url(struct xfer *x, bool keep_part) {
  if (x->e->urls[x->url_index + 1] == NULL) {
    fail_entry(x, keep_part);
    return;
  }
  x->url_index++;
  x->attempt = 0;
  x->restarted = false;
  if (reset_part(x) < 0) {
    snprintf(x->reason, sizeof(x->reason), "cannot truncate its partial download: %s",
             strerror(errno));
    fail_entry(x, false);
    return;
  }
  x->state = X_PENDING;
  x->retry_at = 0;
}

static void retry_later(struct xfer *x) {
  struct fetch *f = x->f;
  if (++x->attempt > f->retries) {
    size_t len = strlen(x->reason);
    snprintf(x->reason + len, sizeof(x->reason) - len, " (gave up after %u attempts)",
             x->attempt);
    next_url(x, true);
    return;
  }
  double delay = f->backoff_ms;
  for (unsigned i = 1; i < x->attempt && delay < MAX_BACKOFF_MS; i++)
    delay *= 2;
  if (delay > MAX_BACKOFF_MS)
    delay = MAX_BACKOFF_MS;
  f->stats->retries++;
  x->state = X_PENDING;
  x->retry_at = hm_now_ms() + delay;
}

/* The digest of the part file so far, as hex, leaving x->md as it was. */
static void current_digest(struct xfer *x, char got[2 * EVP_MAX_MD_SIZE + 1]) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  EVP_MD_CTX *copy = EVP_MD_CTX_new();
  got[0] = '\0';
  if (copy && EVP_MD_CTX_copy_ex(copy, x->md) && EVP_DigestFinal_ex(copy, md, &mdlen))
    hm_hex(md, mdlen, got);
  EVP_MD_CTX_free(copy);
}

static void verified(struct xfer *x) {
  /* Start writing it back now, so that the one syncfs before admission finds little to do. */
  if (x->fd >= 0)
    sync_file_range(x->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  close_part(x);
  x->state = X_VERIFIED;
  x->f->prog.done++;
  x->f->stats->fetched++;
}

static void admit(struct xfer *x) {
  char got[2 * EVP_MAX_MD_SIZE + 1];
  current_digest(x, got);
  if (strcmp(got, x->e->hex) == 0) {
    verified(x);
    return;
  }
  if (x->range_from > 0 && !x->restarted) {
    /* The bytes kept from before may be what is wrong: fetch the whole file once. */
    x->restarted = true;
    if (reset_part(x) == 0) {
      x->state = X_PENDING;
      x->retry_at = 0;
      return;
    }
  }
  snprintf(x->reason, sizeof(x->reason),
           "%s mismatch: expected %.16s..., got %.16s... (%llu bytes from %s); not stored",
           hm_snap_algo_name(x->e->algo), x->e->hex, got, (unsigned long long)x->offset, x->url);
  next_url(x, false);
}

static bool retryable_curl_error(CURLcode rc) {
  switch (rc) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_PARTIAL_FILE:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_WEIRD_SERVER_REPLY:
    return true;
  default:
    return false;
  }
}

/* A transfer ended (rc), or was aborted by the stall check (stalled). */
static void finish(struct xfer *x, CURLcode rc, bool stalled) {
  struct fetch *f = x->f;
  long status = 0;
  C->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
  C->multi_remove_handle(f->multi, x->easy);
  C->easy_cleanup(x->easy);
  x->easy = NULL;
  f->active--;
  f->prog.active = f->active;

  if (x->write_errno) {
    char rel[HM_SNAP_RELPATH_MAX];
    hm_snap_part_relpath(x->e->algo, x->e->hex, rel, sizeof(rel));
    snprintf(x->reason, sizeof(x->reason), "writing %s/%s: %s", f->store->path, rel,
             strerror(x->write_errno));
    fail_entry(x, false);
  } else if (x->too_big) {
    snprintf(x->reason, sizeof(x->reason), "%s sent more than %llu bytes; not stored", x->url,
             MAX_ARTIFACT_BYTES);
    next_url(x, false);
  } else if (stalled) {
    snprintf(x->reason, sizeof(x->reason), "%s: no data for %.1f s", x->url, f->stall_ms / 1000);
    retry_later(x);
  } else if (x->bad_range) {
    snprintf(x->reason, sizeof(x->reason), "%s answered a Range request with another range",
             x->url);
    if (reset_part(x) == 0)
      retry_later(x);
    else
      fail_entry(x, false);
  } else if (rc != CURLE_OK) {
    snprintf(x->reason, sizeof(x->reason), "%s: %s", x->url,
             x->errbuf[0] ? x->errbuf : C->easy_strerror(rc));
    if (retryable_curl_error(rc))
      retry_later(x);
    else
      next_url(x, true);
  } else if (status == 200 || status == 206) {
    admit(x);
  } else if (status == 416) {
    snprintf(x->reason, sizeof(x->reason), "%s: HTTP 416 for a resumed download", x->url);
    if (reset_part(x) == 0)
      retry_later(x);
    else
      fail_entry(x, false);
  } else {
    snprintf(x->reason, sizeof(x->reason), "%s: HTTP %ld", x->url, status);
    if (status == 429 || status >= 500)
      retry_later(x);
    else
      next_url(x, true);
  }
}

static int start(struct xfer *x) {
  struct fetch *f = x->f;
  free(x->url);
  x->url = request_url(f, x->e->urls[x->url_index]);
  CURL *c = x->easy = C->easy_init();
  if (!x->url || !c)
    return -ENOMEM;
  x->range_from = x->offset;
  x->content_range = -1;
  x->body_checked = x->body_ok = x->bad_range = x->too_big = false;
  x->write_errno = 0;
  x->errbuf[0] = '\0';
  x->last_byte = hm_now_ms();
  char range[32];
  snprintf(range, sizeof(range), "%llu-", (unsigned long long)x->offset);
  bool ok = C->easy_setopt(c, CURLOPT_URL, x->url) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_PRIVATE, x) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_WRITEDATA, x) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_HEADERDATA, x) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_ERRORBUFFER, x->errbuf) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_MAXREDIRS, 10L) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, f->o->connect_timeout_ms) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_USERAGENT, "hermetic/" HERMETIC_VERSION) == CURLE_OK &&
            C->easy_setopt(c, CURLOPT_BUFFERSIZE, 128L * 1024) == CURLE_OK &&
            /* Wait for a connection to the same host to say whether it multiplexes (HTTP/2)
             * rather than open another: one TLS handshake for a registry, not sixteen. */
            C->easy_setopt(c, CURLOPT_PIPEWAIT, 1L) == CURLE_OK &&
            (x->offset == 0 || C->easy_setopt(c, CURLOPT_RANGE, range) == CURLE_OK);
  if (!ok || C->multi_add_handle(f->multi, c) != CURLM_OK) {
    C->easy_cleanup(c);
    x->easy = NULL;
    return -ENOMEM;
  }
  x->state = X_ACTIVE;
  f->active++;
  f->prog.active = f->active;
  return 0;
}

/* Open x's part file when its first transfer is due (not all up front: the first
 * request goes out sooner) and hash what an earlier attempt or run left in it. */
static int open_part(struct xfer *x) {
  struct fetch *f = x->f;
  hm_error perr = {0};
  x->fd = hm_snap_store_part_open(f->store, x->e, &perr);
  if (x->fd < 0) {
    snprintf(x->reason, sizeof(x->reason), "%s", perr.msg);
    return x->fd;
  }
  if (!(x->md = EVP_MD_CTX_new()) || load_part(x) < 0) {
    snprintf(x->reason, sizeof(x->reason), "reading its partial download: %s", strerror(errno));
    return -EIO;
  }
  if (x->offset > 0) {
    /* An earlier run may have been stopped after the download matched, before it was
     * admitted: then there is nothing left to fetch. */
    char got[2 * EVP_MAX_MD_SIZE + 1];
    current_digest(x, got);
    if (strcmp(got, x->e->hex) == 0)
      verified(x);
  }
  return 0;
}

/* Start transfers while there are free slots and entries due. Returns the ms until the
 * next entry waiting for its retry is due (or 100). */
static double start_due(struct fetch *f) {
  double now = hm_now_ms(), wait = 100;
  for (size_t i = 0; i < f->n && f->active < f->jobs; i++) {
    struct xfer *x = &f->x[i];
    if (x->state != X_PENDING)
      continue;
    if (x->retry_at > now) {
      if (x->retry_at - now < wait)
        wait = x->retry_at - now;
      continue;
    }
    if (x->fd < 0) {
      if (open_part(x) < 0) {
        fail_entry(x, false);
        continue;
      }
      if (x->state == X_VERIFIED)
        continue;
    }
    if (start(x) < 0) {
      snprintf(x->reason, sizeof(x->reason), "cannot start a transfer: out of memory");
      fail_entry(x, true);
    }
  }
  return wait;
}

static void check_stalls(struct fetch *f) {
  double now = hm_now_ms();
  for (size_t i = 0; i < f->n; i++)
    if (f->x[i].state == X_ACTIVE && now - f->x[i].last_byte > f->stall_ms)
      finish(&f->x[i], CURLE_OK, true);
}

static void report_progress(struct fetch *f, bool last) {
  double now = hm_now_ms();
  if (!f->o->progress || (!last && now - f->last_progress < 100))
    return;
  f->last_progress = now;
  f->o->progress(&f->prog, f->o->progress_data);
}

static size_t remaining(const struct fetch *f) {
  return f->prog.total - f->prog.done - f->prog.cached - f->prog.failed;
}

static int run_loop(struct fetch *f) {
  while (remaining(f) > 0) {
    double wait = start_due(f);
    int running = 0; /* finished transfers are collected below, whatever it says */
    CURLMcode mc = C->multi_perform(f->multi, &running);
    if (mc != CURLM_OK)
      return hm_error_set(f->err, EIO, "libcurl: %s", C->multi_strerror(mc));
    CURLMsg *msg;
    int left;
    while ((msg = C->multi_info_read(f->multi, &left)))
      if (msg->msg == CURLMSG_DONE) {
        struct xfer *x = NULL;
        C->easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        finish(x, msg->data.result, false);
      }
    check_stalls(f);
    report_progress(f, false);
    if (remaining(f) == 0)
      break;
    /* Slots freed above are filled before waiting, not after the next timeout. */
    wait = start_due(f);
    if (f->active > 0) {
      mc = C->multi_poll(f->multi, NULL, 0, (int)(wait < 1 ? 1 : wait), NULL);
      if (mc != CURLM_OK)
        return hm_error_set(f->err, EIO, "libcurl: %s", C->multi_strerror(mc));
    } else if (f->active == 0 && wait > 0) {
      struct timespec ts = {.tv_sec = (time_t)(wait / 1000),
                            .tv_nsec = (long)((wait - (double)(long)(wait / 1000) * 1000) * 1e6)};
      nanosleep(&ts, NULL);
    }
  }
  return 0;
}

/* Entries already stored are done; the others get their part file opened and hashed. */
static int prepare(struct fetch *f, struct hm_snap_list *list) {
  for (size_t i = 0; i < list->n; i++) {
    struct xfer *x = &f->x[i];
    x->f = f;
    x->e = &list->v[i];
    x->fd = -1;
    if (!x->e->urls || !x->e->urls[0] || !md_for(f, x->e->algo))
      return hm_error_set(f->err, EINVAL, "%s: no URL or unknown digest algorithm", x->e->name);
    int r = hm_snap_store_has(f->store, x->e, f->err);
    if (r < 0)
      return r;
    if (r == 1) {
      x->state = X_DONE;
      f->prog.cached++;
      f->stats->cached++;
      continue;
    }
    x->state = X_PENDING;
  }
  return 0;
}

/* Every verified download, synced (its writeback was started when it matched), then renamed
 * into blobs/ and linked for npm. A crash before the renames reach the disk loses names,
 * never content: the next fetch finds the part files complete and admits them. */
static int admit_verified(struct fetch *f) {
  size_t pending = 0;
  for (size_t i = 0; i < f->n; i++)
    pending += f->x[i].state == X_VERIFIED;
  if (pending == 0)
    return 0;
  int r = hm_snap_store_sync(f->store, f->err);
  for (size_t i = 0; i < f->n && r == 0; i++) {
    struct xfer *x = &f->x[i];
    if (x->state != X_VERIFIED)
      continue;
    if ((r = hm_snap_store_admit(f->store, x->e, f->err)) < 0)
      return hm_error_wrap(f->err, "storing %s", x->e->name);
    x->state = X_DONE;
  }
  return r;
}

static void cleanup(struct fetch *f) {
  for (size_t i = 0; f->x && i < f->n; i++) {
    struct xfer *x = &f->x[i];
    if (x->easy) {
      C->multi_remove_handle(f->multi, x->easy);
      C->easy_cleanup(x->easy);
    }
    close_part(x);
    EVP_MD_CTX_free(x->md);
    free(x->url);
  }
  free(f->x);
  if (f->multi)
    C->multi_cleanup(f->multi);
  C->global_cleanup();
}

void hm_snap_fetch_opts_init(struct hm_snap_fetch_opts *o) {
  memset(o, 0, sizeof(*o));
  o->jobs = 16;
  o->connect_timeout_ms = 10000;
  o->stall_timeout_ms = 30000;
  o->retries = 4;
  o->backoff_ms = 250;
}

int hm_snap_fetch(struct hm_snap_store *store, struct hm_snap_list *list,
                  const struct hm_snap_fetch_opts *opts, struct hm_snap_fetch_stats *stats,
                  hm_error *err) {
  struct fetch f = {
      .store = store,
      .o = opts,
      .n = list->n,
      .jobs = opts->jobs ? opts->jobs : 1,
      .retries = opts->retries,
      .stall_ms = opts->stall_timeout_ms > 0 ? (double)opts->stall_timeout_ms : 1,
      .backoff_ms = opts->backoff_ms > 0 ? (double)opts->backoff_ms : 0,
      .stats = stats,
      .err = err,
  };
  memset(stats, 0, sizeof(*stats));
  double t0 = hm_now_ms();
  f.prog.total = stats->total = list->n;
  f.md_sha1 = EVP_sha1();
  f.md_sha256 = EVP_sha256();
  f.md_sha512 = EVP_sha512();
  if (!(C = hm_curl_load(err)))
    return -ELIBACC;
  if (C->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
    return hm_error_set(err, EIO, "libcurl could not be initialised");
  f.x = calloc(list->n ? list->n : 1, sizeof(*f.x));
  f.multi = C->multi_init();
  int r;
  if (!f.x || !f.multi)
    r = hm_error_set(err, ENOMEM, "out of memory");
  else if (unlinkat(store->dirfd, "manifest.json", 0) < 0 && errno != ENOENT)
    r = hm_error_errno(err, errno, "removing the earlier %s/manifest.json", store->path);
  else if ((r = prepare(&f, list)) == 0)
    r = run_loop(&f);
  /* What matched is kept even when other entries failed: a re-run need not fetch it. */
  int ar = f.x ? admit_verified(&f) : 0;
  if (r == 0)
    r = ar;
  if (r == 0)
    report_progress(&f, true);
  cleanup(&f);
  stats->ms = hm_now_ms() - t0;
  if (r < 0)
    return r;
  if (stats->failed > 0) {
    if (stats->failed > 1)
      hm_error_wrap(err, "%zu of %zu artifacts could not be stored; the first", stats->failed,
                    stats->total);
    return -EIO;
  }
  return 0;
}
