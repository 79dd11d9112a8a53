/* hermetic doctor [--json]: print the library's checks, one row each, and exit 1 if any
 * failed. All probing lives in sandbox/doctor.c; this file only formats. */
#include <getopt.h>
#include <string.h>

#include <json-c/json.h>

#include "cli.h"
#include "sandbox.h"

/* 2 is the usage-error status every other read-only subcommand (verify) uses. */
#define DOCTOR_EXIT_USAGE 2

static const char doctor_usage[] =
    "Usage: hermetic doctor [--json]\n"
    "\n"
    "Check whether this host can run the hermetic sandbox and, for every problem, print\n"
    "the exact commands that fix it. Each check runs a real probe in a short-lived child\n"
    "process (each bounded to a few seconds), as the sandbox would:\n"
    "  kernel            version >= 5.12 and unshare of all seven namespaces\n"
    "  user namespaces   unshare, uid_map and a mount inside, as an unprivileged user\n"
    "                    (as root: also tested as uid 65534); catches AppArmor's\n"
    "                    kernel.apparmor_restrict_unprivileged_userns\n"
    "  seccomp           no_new_privs and installing a filter; available actions\n"
    "  cgroup v2         memory and pids controllers delegated to us (a warning only:\n"
    "                    --memory and --pids use rlimits today)\n"
    "  container         container hints, masked /proc, mounting a fresh proc\n"
    "  idmapped mounts   as root: idmapping the current directory's filesystem\n"
    "  ptrace scope, unprivileged bpf   informational\n"
    "\n"
    "Options:\n"
    "      --json    print {\"ok\":bool,\"checks\":[{\"name\",\"status\":\"ok|warn|fail\",\n"
    "                \"detail\",\"fix\"}]} instead of text\n"
    "  -h, --help    show this help and exit\n"
    "\n"
    "Exit status: 0 when no check failed (warnings allowed), 1 when any check failed\n"
    "or the checks could not run, 2 on a usage error.\n";

static const char *status_tag(enum hm_check_status s) {
  switch (s) {
  case HM_CHECK_OK:
    return "[ ok ]";
  case HM_CHECK_WARN:
    return "[warn]";
  default:
    return "[FAIL]";
  }
}

static const char *status_word(enum hm_check_status s) {
  switch (s) {
  case HM_CHECK_OK:
    return "ok";
  case HM_CHECK_WARN:
    return "warn";
  default:
    return "fail";
  }
}

/* "[warn] name: detail" then the fix, one command a line, under a "fix:" label so the
 * commands can be pasted as they are. */
static void print_text(const struct hm_check *checks, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const struct hm_check *c = &checks[i];
    printf("%s %s: %s\n", status_tag(c->status), c->name, c->detail);
    const char *line = c->fix;
    bool first = true;
    while (*line) {
      size_t len = strcspn(line, "\n");
      printf("       %s %.*s\n", first ? "fix:" : "    ", (int)len, line);
      first = false;
      line += len;
      if (*line == '\n')
        line++;
    }
  }
}

static int print_json(const struct hm_check *checks, size_t n, bool ok) {
  json_object *root = json_object_new_object();
  json_object *arr = json_object_new_array();
  if (!root || !arr) {
    json_object_put(root);
    json_object_put(arr);
    return -ENOMEM;
  }
  json_object_object_add(root, "ok", json_object_new_boolean(ok));
  json_object_object_add(root, "checks", arr);
  for (size_t i = 0; i < n; i++) {
    json_object *o = json_object_new_object();
    if (!o) {
      json_object_put(root);
      return -ENOMEM;
    }
    json_object_object_add(o, "name", json_object_new_string(checks[i].name));
    json_object_object_add(o, "status", json_object_new_string(status_word(checks[i].status)));
    json_object_object_add(o, "detail", json_object_new_string(checks[i].detail));
    json_object_object_add(o, "fix", json_object_new_string(checks[i].fix));
    json_object_array_add(arr, o);
  }
  int r = hm_cli_print_json(root);
  json_object_put(root);
  return r;
}

int hm_cmd_doctor(int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  bool json = false;
  int c;
  optind = 1;
  opterr = 0; /* we name the bad option ourselves */
  while ((c = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
    switch (c) {
    case 'j':
      json = true;
      break;
    case 'h':
      fputs(doctor_usage, stdout);
      return 0;
    default:
      return hm_cli_option_error("doctor", DOCTOR_EXIT_USAGE, argv, c);
    }
  }
  if (optind < argc) {
    return hm_cli_usage_error("doctor", DOCTOR_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
  }

  struct hm_check *checks = NULL;
  size_t n = 0;
  int r = hm_doctor_run(&checks, &n);
  if (r < 0) {
    fprintf(stderr, "hermetic doctor: running the checks: %s\n", strerror(-r));
    return 1;
  }
  bool ok = true;
  for (size_t i = 0; i < n; i++)
    if (checks[i].status == HM_CHECK_FAIL)
      ok = false;
  if (json)
    r = print_json(checks, n, ok);
  else
    print_text(checks, n);
  free(checks);
  if (r < 0) {
    fprintf(stderr, "hermetic doctor: writing JSON: %s\n", strerror(-r));
    return 1;
  }
  if (fflush(stdout) != 0) {
    fprintf(stderr, "hermetic doctor: writing the report: %s\n", strerror(errno));
    return 1;
  }
  return ok ? 0 : 1;
}
