/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Behaviour of the two programs while thin: virt-nvmepoold (options, config errors, sd_notify,
 * clean exit on SIGTERM/SIGINT) and virt-nvmepool (verbs, help, --json, exit codes), plus
 * common/notify. Usage: test-programs --tap PATH-TO-virt-nvmepoold PATH-TO-virt-nvmepool */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/notify.h"

static const char *agent_path;
static const char *cli_path;

typedef struct {
    int status;
    char *out;
    char *err;
} RunResult;

static void
run_result_clear(RunResult *r)
{
    g_free(r->out);
    g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(RunResult, run_result_clear)

/* Runs @argv to completion, capturing stdout, stderr and the exit status. */
static void
run(RunResult *r, const char *const *argv)
{
    g_autoptr(GError) error = NULL;
    int wait_status = 0;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &r->out,
                               &r->err, &wait_status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r->status = WEXITSTATUS(wait_status);
    g_test_message("%s -> %d\nstdout: %s\nstderr: %s", argv[1] ? argv[1] : "", r->status, r->out,
                   r->err);
}

static char *
make_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("nvp-programs-XXXXXX", &error);

    g_assert_no_error(error);
    return dir;
}

static void
rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR))
            rm_rf(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

/* --version prints the version on stdout and exits 0, for both programs. */
static void
test_versions(void)
{
    const char *agent_argv[] = { agent_path, "--version", NULL };
    const char *cli_argv[] = { cli_path, "--version", NULL };
    g_auto(RunResult) a = { 0 };
    g_auto(RunResult) c = { 0 };
    g_autofree char *want_a = g_strdup_printf("virt-nvmepoold %s\n", PACKAGE_VERSION);
    g_autofree char *want_c = g_strdup_printf("virt-nvmepool %s\n", PACKAGE_VERSION);

    run(&a, agent_argv);
    g_assert_cmpint(a.status, ==, 0);
    g_assert_cmpstr(a.out, ==, want_a);
    run(&c, cli_argv);
    g_assert_cmpint(c.status, ==, 0);
    g_assert_cmpstr(c.out, ==, want_c);
}

/* A bad configuration stops the agent with status 1 and a message naming file, line and key;
 * a missing --config file and unknown options are errors too. */
static void
test_agent_bad_config(void)
{
    g_autofree char *dir = make_tmpdir();
    g_autofree char *conf = g_build_filename(dir, "agent.conf", NULL);
    g_autofree char *missing = g_build_filename(dir, "missing.conf", NULL);
    g_autofree char *want = g_strdup_printf("%s:3:", conf);
    const char *bad_argv[] = { agent_path, "--config", conf, NULL };
    const char *missing_argv[] = { agent_path, "--config", missing, NULL };
    const char *opt_argv[] = { agent_path, "--no-such-option", NULL };
    g_auto(RunResult) r1 = { 0 };
    g_auto(RunResult) r2 = { 0 };
    g_auto(RunResult) r3 = { 0 };

    g_assert_true(g_file_set_contents(conf, "[limits]\n# comment\nmax_queue_depth=1\n", -1, NULL));
    run(&r1, bad_argv);
    g_assert_cmpint(r1.status, ==, 1);
    g_assert_nonnull(strstr(r1.err, want));
    g_assert_nonnull(strstr(r1.err, "max_queue_depth"));

    run(&r2, missing_argv);
    g_assert_cmpint(r2.status, ==, 1);
    g_assert_nonnull(strstr(r2.err, missing));

    run(&r3, opt_argv);
    g_assert_cmpint(r3.status, ==, 2);
    g_assert_nonnull(strstr(r3.err, "no-such-option"));
    rm_rf(dir);
}

/* A datagram socket standing in for systemd's notify socket. */
static int
notify_socket_new(const char *path)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { .tv_sec = 30 };

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(path), <, sizeof(addr.sun_path));
    memcpy(addr.sun_path, path, strlen(path));
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), ==, 0);
    return fd;
}

static char *
notify_recv(int fd)
{
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

    g_assert_cmpint(n, >, 0);
    buf[n] = '\0';
    return g_strdup(buf);
}

/* The agent reports READY=1 once started, STOPPING=1 on @sig, and exits 0. */
static void
agent_lifecycle(int sig)
{
    g_autofree char *dir = make_tmpdir();
    g_autofree char *conf = g_build_filename(dir, "agent.conf", NULL);
    g_autofree char *sock = g_build_filename(dir, "notify", NULL);
    g_autofree char *state = g_build_filename(dir, "state", NULL);
    g_autofree char *text = g_strdup_printf("[agent]\nstate_dir=%s\nrun_dir=%s\n", state, dir);
    g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *ready = NULL;
    g_autofree char *stopping = NULL;
    g_auto(NvpFd) fd = notify_socket_new(sock);

    g_assert_true(g_file_set_contents(conf, text, -1, NULL));
    g_subprocess_launcher_setenv(launcher, "NOTIFY_SOCKET", sock, TRUE);
    proc = g_subprocess_launcher_spawn(launcher, &error, agent_path, "--config", conf, NULL);
    g_assert_no_error(error);

    ready = notify_recv(fd);
    g_assert_nonnull(strstr(ready, "READY=1"));
    g_assert_true(g_file_test(state, G_FILE_TEST_IS_DIR));
    g_subprocess_send_signal(proc, sig);
    stopping = notify_recv(fd);
    g_assert_cmpstr(stopping, ==, "STOPPING=1");
    g_assert_true(g_subprocess_wait(proc, NULL, &error));
    g_assert_true(g_subprocess_get_if_exited(proc));
    g_assert_cmpint(g_subprocess_get_exit_status(proc), ==, 0);
    rm_rf(dir);
}

static void
test_agent_sigterm(void)
{
    agent_lifecycle(SIGTERM);
}

static void
test_agent_sigint(void)
{
    agent_lifecycle(SIGINT);
}

/* nvp_notify: no $NOTIFY_SOCKET is a silent no-op; abstract addresses work; a relative path is
 * an ADDRESS error; a socket nobody listens on is a SEND error. */
static void
test_notify(void)
{
    g_autofree char *dir = make_tmpdir();
    g_autofree char *nobody = g_build_filename(dir, "nobody", NULL);
    g_autofree char *abstract = g_strdup_printf("@nvp-test-%d", (int)getpid());
    g_autoptr(GError) error = NULL;
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 10 };
    g_auto(NvpFd) fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    g_autofree char *got = NULL;

    g_unsetenv("NOTIFY_SOCKET");
    g_assert_true(nvp_notify("READY=1", &error));
    g_assert_no_error(error);

    memcpy(addr.sun_path + 1, abstract + 1, strlen(abstract) - 1);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&addr,
                         offsetof(struct sockaddr_un, sun_path) + strlen(abstract)),
                    ==, 0);
    g_assert_cmpint(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), ==, 0);
    g_setenv("NOTIFY_SOCKET", abstract, TRUE);
    g_assert_true(nvp_notify("STATUS=abstract", &error));
    g_assert_no_error(error);
    got = notify_recv(fd);
    g_assert_cmpstr(got, ==, "STATUS=abstract");

    g_setenv("NOTIFY_SOCKET", "relative/sock", TRUE);
    g_assert_false(nvp_notify("READY=1", &error));
    g_assert_error(error, NVP_NOTIFY_ERROR, NVP_NOTIFY_ERROR_ADDRESS);
    g_clear_error(&error);

    g_setenv("NOTIFY_SOCKET", nobody, TRUE);
    g_assert_false(nvp_notify("READY=1", &error));
    g_assert_error(error, NVP_NOTIFY_ERROR, NVP_NOTIFY_ERROR_SEND);
    g_unsetenv("NOTIFY_SOCKET");
    rm_rf(dir);
}

/* `virt-nvmepool --help` lists the verbs; `VERB --help` and `help VERB` show the verb's usage. */
static void
test_cli_help(void)
{
    const char *help_argv[] = { cli_path, "--help", NULL };
    const char *verb_argv[] = { cli_path, "version", "--help", NULL };
    const char *help_verb_argv[] = { cli_path, "help", "version", NULL };
    g_auto(RunResult) r1 = { 0 };
    g_auto(RunResult) r2 = { 0 };
    g_auto(RunResult) r3 = { 0 };

    run(&r1, help_argv);
    g_assert_cmpint(r1.status, ==, 0);
    g_assert_nonnull(strstr(r1.out, "\n  version "));
    g_assert_nonnull(strstr(r1.out, "\n  help "));
    g_assert_nonnull(strstr(r1.out, "--json"));
    g_assert_nonnull(strstr(r1.out, "--connect"));

    run(&r2, verb_argv);
    g_assert_cmpint(r2.status, ==, 0);
    g_assert_nonnull(strstr(r2.out, "version"));
    g_assert_nonnull(strstr(r2.out, "Show the version"));

    run(&r3, help_verb_argv);
    g_assert_cmpint(r3.status, ==, 0);
    g_assert_nonnull(strstr(r3.out, "Show the version"));
}

/* `version` in text and --json (before or after the verb); the JSON parses. */
static void
test_cli_version_json(void)
{
    const char *text_argv[] = { cli_path, "version", NULL };
    const char *json_argv[] = { cli_path, "--json", "version", NULL };
    const char *json_after_argv[] = { cli_path, "version", "--json", NULL };
    g_auto(RunResult) r1 = { 0 };
    g_auto(RunResult) r2 = { 0 };
    g_auto(RunResult) r3 = { 0 };
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *obj;

    run(&r1, text_argv);
    g_assert_cmpint(r1.status, ==, 0);
    g_assert_nonnull(strstr(r1.out, PACKAGE_VERSION));

    run(&r2, json_argv);
    g_assert_cmpint(r2.status, ==, 0);
    g_assert_true(json_parser_load_from_data(parser, r2.out, -1, &error));
    g_assert_no_error(error);
    obj = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpstr(json_object_get_string_member(obj, "client"), ==, PACKAGE_VERSION);

    run(&r3, json_after_argv);
    g_assert_cmpint(r3.status, ==, 0);
    g_assert_cmpstr(r3.out, ==, r2.out);
}

/* Usage errors: "error: ..." on stderr, nothing on stdout, exit status 2. */
static void
test_cli_usage_errors(void)
{
    const char *const *cases[] = {
        (const char *const[]){ cli_path, NULL },
        (const char *const[]){ cli_path, "no-such-verb", NULL },
        (const char *const[]){ cli_path, "--no-such-option", "version", NULL },
        (const char *const[]){ cli_path, "version", "--no-such-option", NULL },
        (const char *const[]){ cli_path, "version", "extra", NULL },
        (const char *const[]){ cli_path, "help", "no-such-verb", NULL },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_auto(RunResult) r = { 0 };

        run(&r, cases[i]);
        g_assert_cmpint(r.status, ==, 2);
        g_assert_true(g_str_has_prefix(r.err, "error: "));
        g_assert_cmpstr(r.out, ==, "");
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (argc != 3) {
        g_printerr("usage: %s [--tap] VIRT-NVMEPOOLD VIRT-NVMEPOOL\n", argv[0]);
        return 2;
    }
    agent_path = argv[1];
    cli_path = argv[2];
    /* Messages must be English whatever the caller's locale. */
    g_setenv("LC_ALL", "C", TRUE);

    g_test_add_func("/programs/versions", test_versions);
    g_test_add_func("/programs/agent/bad-config", test_agent_bad_config);
    g_test_add_func("/programs/agent/sigterm", test_agent_sigterm);
    g_test_add_func("/programs/agent/sigint", test_agent_sigint);
    g_test_add_func("/programs/notify", test_notify);
    g_test_add_func("/programs/cli/help", test_cli_help);
    g_test_add_func("/programs/cli/version-json", test_cli_version_json);
    g_test_add_func("/programs/cli/usage-errors", test_cli_usage_errors);
    return g_test_run();
}
