/* Regression: hm_sandbox_run() from a process with another thread. Two hangs:
 * - PID 1 is a clone() of the caller; glibc's setgroups/setresuid wrappers there waited
 *   forever for the caller's other threads (setxid broadcast). PID 1 now changes
 *   credentials with the raw system calls.
 * - The launcher learnt of the init's exit only from SIGCHLD on a signalfd; the kernel may
 *   deliver SIGCHLD to another thread that does not block it, and the launcher then
 *   waited forever beside a zombie init (about one run in 20 here). It now also polls a
 *   pidfd of the init. Each run below would hang with either bug. */
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

static int started[2];

/* Says it is running, then only waits. The sandbox's init is a clone() of this process
 * and inherits any lock another thread holds at that moment (the allocator's: a thread
 * still starting up under ASan holds one), which no library can undo; so the clone must
 * happen once this thread holds none, as an idle thread of a real caller would. */
static void *idle_thread(void *arg) {
  (void)arg;
  char c = 1;
  if (write(started[1], &c, 1) != 1)
    return NULL;
  for (;;)
    pause();
  return NULL;
}

int main(void) {
  if (access("/proc/self/ns/user", F_OK) != 0)
    tap_skip_all("no user namespaces on this kernel");
  tap_plan(3);
  pthread_t t;
  char c;
  tap_ok(pipe(started) == 0 && pthread_create(&t, NULL, idle_thread, NULL) == 0 &&
             read(started[0], &c, 1) == 1,
         "a second thread is running");
  /* A hang is the failure: bound it. */
  alarm(30);
  struct hm_sandbox_config cfg;
  hm_sandbox_config_init(&cfg);
  char *argv[] = {"true", NULL};
  cfg.argv = argv;
  hm_error err = {0};
  struct hm_sandbox_result res = {0};
  int r = hm_sandbox_config_finish(&cfg, &err);
  if (r == 0)
    r = hm_sandbox_run(&cfg, &res, &err);
  if (r < 0 && (err.code == EPERM || err.code == ENOSPC)) {
    tap_skip("this host cannot create the sandbox: %s", err.msg);
  } else {
    tap_ok(r == 0 && res.exit_code == 0, "the sandbox ran true and returned (%d, exit %d%s%s)", r,
           res.exit_code, r < 0 ? ": " : "", r < 0 ? err.msg : "");
  }
  hm_sandbox_result_free(&res);
  /* The lost SIGCHLD is a race: run it enough times to lose it. */
  int ok = 0, runs = 60;
  for (int i = 0; r == 0 && i < runs; i++) {
    struct hm_sandbox_result again = {0};
    if (hm_sandbox_run(&cfg, &again, &err) == 0 && again.exit_code == 0)
      ok++;
    hm_sandbox_result_free(&again);
  }
  if (r == 0)
    tap_ok(ok == runs, "%d more runs with the thread alive all returned (%d ok)", runs, ok);
  else
    tap_skip("the sandbox could not be created");
  hm_sandbox_config_free(&cfg);
  return tap_exit_status(3);
}
