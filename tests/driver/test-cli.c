/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The attach-volume/detach-volume verbs end to end against libvirt's test driver loaded from
 * tests/driver/data/cli/node.xml (a double; its domains run from the start): --json output,
 * refusals with exit status 1, usage errors with exit status 2. */
#include <json-glib/json-glib.h>
#include <string.h>

static const char *cli_path;

typedef struct {
    int status;
    char *out;
    char *err;
} CliRun;

static void
cli_run_clear(CliRun *r)
{
    g_free(r->out);
    g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(CliRun, cli_run_clear)

/* virt-nvmepool --connect <nowhere> VERB --uri test:///.../node.xml ARGS... */
static void
run_cli(CliRun *r, const char *verb, ...)
{
    g_autofree char *node = g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "driver", "data",
                                             "cli", "node.xml", NULL);
    g_autofree char *uri = g_strdup_printf("test://%s", node);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) error = NULL;
    const char *arg;
    va_list ap;
    int wait_status;

    g_ptr_array_add(argv, (gpointer)cli_path);
    g_ptr_array_add(argv, (gpointer) "--connect");
    g_ptr_array_add(argv, (gpointer) "/nonexistent/agent.sock");
    g_ptr_array_add(argv, (gpointer)verb);
    g_ptr_array_add(argv, (gpointer) "--uri");
    g_ptr_array_add(argv, uri);
    va_start(ap, verb);
    while ((arg = va_arg(ap, const char *)))
        g_ptr_array_add(argv, (gpointer)arg);
    va_end(ap);
    g_ptr_array_add(argv, NULL);

    g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &r->out, &r->err, &wait_status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r->status = WEXITSTATUS(wait_status);
    if (*r->err)
        g_test_message("stderr: %s", r->err);
}

static void
test_attach_config_json(void)
{
    g_auto(CliRun) r = { 0 };
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *obj;

    run_cli(&r, "attach-volume", "vm1", "db01", "--config", "--queues", "3", "--json", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_true(json_parser_load_from_data(parser, r.out, -1, &error));
    g_assert_no_error(error);
    obj = json_node_get_object(json_parser_get_root(parser));
    g_assert_cmpstr(json_object_get_string_member(obj, "domain"), ==, "vm1");
    g_assert_cmpstr(json_object_get_string_member(obj, "device"), ==, "nvp-db01");
    g_assert_cmpint(json_object_get_int_member(obj, "port"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(obj, "queues"), ==, 3);
    g_assert_true(json_object_get_boolean_member(obj, "config"));
    g_assert_false(json_object_get_boolean_member(obj, "live"));
    /* no agent here: the volume could not be checked, which is a warning only */
    g_assert_nonnull(strstr(r.err, "warning: volume 'db01' not checked"));
    /* the fixture's domain has no ACPI: warned about, attached anyway */
    g_assert_nonnull(strstr(r.err, "warning: domain 'vm1' has no <features><acpi/>"));
}

static void
test_attach_text(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "attach-volume", "vm1", "db01", "--config", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.out, ==,
                    "Volume 'db01' attached to domain 'vm1' (persistent definition, from the next "
                    "start).\n");
}

static void
test_refuse_machine(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "attach-volume", "old", "db01", "--config", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, "error: domain 'old' uses machine type 'pc'"));
    g_assert_cmpstr(r.out, ==, "");
}

/* --current on a running domain means --live, which needs shared memory already. */
static void
test_current_is_live(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "attach-volume", "vm1", "db01", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, "attach it with --config and restart"));
}

static void
test_detach_not_attached(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "detach-volume", "vm1", "db01", "--config", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, "error: volume 'db01' is not attached to domain 'vm1'"));
}

static void
test_unknown_domain(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "attach-volume", "nope", "db01", "--config", NULL);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_nonnull(strstr(r.err, "no domain named 'nope'"));
}

static void
test_usage(void)
{
    g_auto(CliRun) a = { 0 };
    g_auto(CliRun) b = { 0 };
    g_auto(CliRun) c = { 0 };
    g_auto(CliRun) d = { 0 };

    run_cli(&a, "attach-volume", "vm1", "db01", "--current", "--live", NULL);
    g_assert_cmpint(a.status, ==, 2);
    g_assert_nonnull(strstr(a.err, "--current cannot be combined"));
    run_cli(&b, "attach-volume", "vm1", NULL);
    g_assert_cmpint(b.status, ==, 2);
    run_cli(&c, "attach-volume", "vm1", "db01", "--queues", "70000", NULL);
    g_assert_cmpint(c.status, ==, 2);
    run_cli(&d, "detach-volume", "vm1", "db01", "--timeout", "-1", NULL);
    g_assert_cmpint(d.status, ==, 2);
}

static void
test_help(void)
{
    g_auto(CliRun) r = { 0 };

    run_cli(&r, "detach-volume", "--help", NULL);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(strstr(r.out, "detach-volume DOMAIN VOLUME"));
    g_assert_nonnull(strstr(r.out, "--timeout"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (argc < 2) {
        g_printerr("usage: %s [--tap] PATH-OF-VIRT-NVMEPOOL\n", argv[0]);
        return 2;
    }
    cli_path = argv[1];
    g_test_add_func("/cli/attach-config-json", test_attach_config_json);
    g_test_add_func("/cli/attach-text", test_attach_text);
    g_test_add_func("/cli/refuse-machine", test_refuse_machine);
    g_test_add_func("/cli/current-is-live", test_current_is_live);
    g_test_add_func("/cli/detach-not-attached", test_detach_not_attached);
    g_test_add_func("/cli/unknown-domain", test_unknown_domain);
    g_test_add_func("/cli/usage", test_usage);
    g_test_add_func("/cli/help", test_help);
    return g_test_run();
}
