/* timeit: run several commands interleaved N times and report, for each, the median, p10 and
 * p90 of its wall-clock time and of its CPU time (user+sys of the process and every
 * descendant it waited for, from wait4), then the ratio of each command's median to the
 * first command's.
 *
 *   timeit [-n RUNS] [-w WARMUP] [-m wall|cpu] [-b PREP] [-v] \
 *          ::: LABEL CMD [ARG...] ::: LABEL CMD [ARG...] ...
 *
 * Commands are fork+exec'd directly (no shell), so a shell's startup is not measured.
 * Interleaving (A B C, B C A, C A B, ...) spreads drift of the machine (thermal, other load,
 * page cache) over all commands instead of charging it to whichever ran last.
 * -b PREP is a shell command run before every run of every command and not timed
 * (e.g. `make clean`). A run that exits non-zero aborts the benchmark: a command that fails
 * fast must not look like a fast command. Output goes to /dev/null unless -v.
 * The last line printed is the ratio of the second command to the first, on the -m metric.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS 8

struct cmd {
  const char *label;
  char **argv;
  double *wall_ms;
  double *cpu_ms;
};

static void usage(void) {
  fprintf(stderr,
          "usage: timeit [-n RUNS] [-w WARMUP] [-m wall|cpu] [-b PREP] [-v]\n"
          "              ::: LABEL CMD [ARG...] ::: LABEL CMD [ARG...] ...\n");
  exit(2);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double tv_ms(struct timeval tv) { return tv.tv_sec * 1e3 + tv.tv_usec / 1e3; }

static int run_shell(const char *script, int quiet) {
  pid_t pid = fork();
  if (pid < 0) {
    perror("timeit: fork");
    exit(1);
  }
  if (pid == 0) {
    if (quiet) {
      int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
    }
    execl("/bin/sh", "sh", "-c", script, (char *)NULL);
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) {
      perror("timeit: waitpid");
      exit(1);
    }
  return status;
}

/* One timed run. Returns the wait status; fills wall and CPU time in milliseconds. */
static int run_once(char **argv, int quiet, double *wall, double *cpu) {
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) {
    perror("timeit: fork");
    exit(1);
  }
  if (pid == 0) {
    /* Keep a way to say why exec failed when stderr goes to /dev/null. */
    int errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);
    int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
      dup2(fd, 0);
      if (quiet) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
    }
    execvp(argv[0], argv);
    dprintf(errfd >= 0 ? errfd : 2, "timeit: %s: %s\n", argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  int status;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0)
    if (errno != EINTR) {
      perror("timeit: wait4");
      exit(1);
    }
  *wall = now_ms() - t0;
  *cpu = tv_ms(ru.ru_utime) + tv_ms(ru.ru_stime);
  return status;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Percentile by linear interpolation between closest ranks; sorts v in place. */
static double percentile(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  double rank = p / 100.0 * (n - 1);
  int lo = (int)rank;
  int hi = lo + 1 < n ? lo + 1 : lo;
  return v[lo] + (rank - lo) * (v[hi] - v[lo]);
}

static void describe_status(const char *label, int status) {
  if (WIFEXITED(status))
    fprintf(stderr, "timeit: '%s' exited with status %d; aborting (rerun with -v to see its output)\n",
            label, WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    fprintf(stderr, "timeit: '%s' was killed by signal %d; aborting\n", label, WTERMSIG(status));
}

int main(int argc, char **argv) {
  int runs = 100, warmup = 3, quiet = 1, use_cpu = 0;
  const char *prep = NULL;
  int opt;
  while ((opt = getopt(argc, argv, "+n:w:m:b:vh")) != -1) {
    switch (opt) {
    case 'n': runs = atoi(optarg); break;
    case 'w': warmup = atoi(optarg); break;
    case 'm':
      if (strcmp(optarg, "cpu") == 0) use_cpu = 1;
      else if (strcmp(optarg, "wall") == 0) use_cpu = 0;
      else usage();
      break;
    case 'b': prep = optarg; break;
    case 'v': quiet = 0; break;
    default: usage();
    }
  }
  if (runs < 1 || warmup < 0)
    usage();

  if (optind >= argc || strcmp(argv[optind], ":::") != 0)
    usage();
  struct cmd cmds[MAX_CMDS];
  int ncmds = 0;
  for (int i = optind; i < argc; i++) {
    if (strcmp(argv[i], ":::") != 0)
      continue;
    if (ncmds == MAX_CMDS || i + 2 >= argc || strcmp(argv[i + 2], ":::") == 0)
      usage();
    argv[i] = NULL; /* terminates the previous command's argv */
    cmds[ncmds].label = argv[i + 1];
    cmds[ncmds].argv = &argv[i + 2];
    cmds[ncmds].wall_ms = calloc((size_t)runs, sizeof(double));
    cmds[ncmds].cpu_ms = calloc((size_t)runs, sizeof(double));
    if (!cmds[ncmds].wall_ms || !cmds[ncmds].cpu_ms) {
      perror("timeit");
      return 1;
    }
    ncmds++;
  }
  if (ncmds < 1)
    usage();

  for (int r = -warmup; r < runs; r++) {
    for (int k = 0; k < ncmds; k++) {
      /* Rotate the order each round so no command always runs first. */
      struct cmd *c = &cmds[((r + warmup) + k) % ncmds];
      if (prep) {
        int st = run_shell(prep, quiet);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
          fprintf(stderr, "timeit: prep command failed: %s\n", prep);
          return 1;
        }
      }
      double wall, cpu;
      int st = run_once(c->argv, quiet, &wall, &cpu);
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        describe_status(c->label, st);
        return 1;
      }
      if (r >= 0) {
        c->wall_ms[r] = wall;
        c->cpu_ms[r] = cpu;
      }
    }
  }

  double med[MAX_CMDS];
  printf("%-12s %5s  %10s %10s %10s  %10s %10s %10s\n", "command", "runs", "wall med", "wall p10",
         "wall p90", "cpu med", "cpu p10", "cpu p90");
  for (int k = 0; k < ncmds; k++) {
    struct cmd *c = &cmds[k];
    double wm = percentile(c->wall_ms, runs, 50), w10 = percentile(c->wall_ms, runs, 10),
           w90 = percentile(c->wall_ms, runs, 90);
    double cm = percentile(c->cpu_ms, runs, 50), c10 = percentile(c->cpu_ms, runs, 10),
           c90 = percentile(c->cpu_ms, runs, 90);
    med[k] = use_cpu ? cm : wm;
    printf("%-12s %5d  %8.2fms %8.2fms %8.2fms  %8.2fms %8.2fms %8.2fms\n", c->label, runs, wm, w10,
           w90, cm, c10, c90);
  }
  /* Ratios against the first command; the second command's ratio is printed last. */
  for (int k = ncmds - 1; k >= 1; k--)
    printf("ratio %s/%s (median %s): %.3f\n", cmds[k].label, cmds[0].label, use_cpu ? "cpu" : "wall",
           med[0] > 0 ? med[k] / med[0] : 0.0);
  return 0;
}
