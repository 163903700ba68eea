/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The qemu.d hook program, run as libvirtd runs it (arguments + domain XML on stdin), against a
 * fake agent (a D-Bus peer speaking the agent client's protocol, a double): all-or-nothing
 * activation, one clear stderr line when a start must fail, release of only the domain's own
 * slices, reconcile on reconnect, and exit 0 where libvirt must not be stopped. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "common/slice.h"

#define VM3_UUID "9f8e7d6c-5b4a-4321-8fed-cba987654321"

static const char *hook_path;

static const char fake_introspection[] =
    "<node>"
    "  <interface name='org.virtnvmepool.Slices1'>"
    "    <method name='Activate'><arg type='s' direction='in'/><arg type='s' "
    "direction='out'/></method>"
    "    <method name='Deactivate'><arg type='s' direction='in'/></method>"
    "    <method name='List'><arg type='as' direction='out'/></method>"
    "  </interface>"
    "</node>";

typedef struct {
    GMutex lock;
    GPtrArray *slices; /* NvpSlice, active */
    char *fail_volume; /* Activate of this volume fails */
    guint calls;
    char *address;
    char *dir;
    GThread *thread;
    GMainContext *ctx;
    GMainLoop *loop;
    GDBusServer *server;
    GDBusNodeInfo *info;
} FakeAgent;

static NvpSlice *
fake_find(FakeAgent *fa, const char *volume)
{
    for (guint i = 0; i < fa->slices->len; i++) {
        NvpSlice *s = g_ptr_array_index(fa->slices, i);

        if (g_strcmp0(s->volume, volume) == 0)
            return s;
    }
    return NULL;
}

static void
fake_method(GDBusConnection *conn, const char *sender, const char *path, const char *iface,
            const char *method, GVariant *params, GDBusMethodInvocation *inv, gpointer data)
{
    FakeAgent *fa = data;
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fa->lock);

    fa->calls++;
    if (strcmp(method, "Activate") == 0) {
        const char *xml;
        g_autoptr(GError) error = NULL;
        NvpSlice *s;

        g_variant_get(params, "(&s)", &xml);
        if (!(s = nvp_slice_parse_string(xml, "request", &error))) {
            g_dbus_method_invocation_return_gerror(inv, error);
            return;
        }
        if (g_strcmp0(s->volume, fa->fail_volume) == 0 || fake_find(fa, s->volume)) {
            g_dbus_method_invocation_return_dbus_error(
                inv, "org.virtnvmepool.Error.Busy",
                fake_find(fa, s->volume) ? "volume is already in use by another domain"
                                         : "not enough free queue pairs on the controller");
            nvp_slice_free(s);
            return;
        }
        g_ptr_array_add(fa->slices, s);
        g_dbus_method_invocation_return_value(inv, g_variant_new("(s)", xml));
    } else if (strcmp(method, "Deactivate") == 0) {
        const char *volume;
        NvpSlice *s;

        g_variant_get(params, "(&s)", &volume);
        if ((s = fake_find(fa, volume)))
            g_ptr_array_remove(fa->slices, s);
        g_dbus_method_invocation_return_value(inv, NULL);
    } else {
        g_autoptr(GVariantBuilder) b = g_variant_builder_new(G_VARIANT_TYPE("as"));

        for (guint i = 0; i < fa->slices->len; i++) {
            g_autofree char *xml = nvp_slice_format(g_ptr_array_index(fa->slices, i));

            g_variant_builder_add(b, "s", xml);
        }
        g_dbus_method_invocation_return_value(inv, g_variant_new("(as)", b));
    }
}

static const GDBusInterfaceVTable fake_vtable = { fake_method, NULL, NULL, { 0 } };

static gboolean
fake_new_connection(GDBusServer *server, GDBusConnection *conn, gpointer data)
{
    FakeAgent *fa = data;

    g_dbus_connection_register_object(conn, "/org/virtnvmepool/Agent", fa->info->interfaces[0],
                                      &fake_vtable, fa, NULL, NULL);
    g_object_ref(conn); /* kept until the peer closes it */
    g_signal_connect(conn, "closed", G_CALLBACK(g_object_unref), NULL);
    return TRUE;
}

static gpointer
fake_thread(gpointer data)
{
    FakeAgent *fa = data;

    g_main_context_push_thread_default(fa->ctx);
    g_main_loop_run(fa->loop);
    g_main_context_pop_thread_default(fa->ctx);
    return NULL;
}

static FakeAgent *
fake_agent_start(void)
{
    FakeAgent *fa = g_new0(FakeAgent, 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *guid = g_dbus_generate_guid();

    g_mutex_init(&fa->lock);
    fa->slices = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_slice_free);
    fa->dir = g_dir_make_tmp("nvp-hook-XXXXXX", &error);
    g_assert_no_error(error);
    fa->address = g_strdup_printf("unix:path=%s/api.sock", fa->dir);
    fa->info = g_dbus_node_info_new_for_xml(fake_introspection, &error);
    g_assert_no_error(error);
    fa->ctx = g_main_context_new();
    fa->loop = g_main_loop_new(fa->ctx, FALSE);

    g_main_context_push_thread_default(fa->ctx);
    fa->server =
        g_dbus_server_new_sync(fa->address, G_DBUS_SERVER_FLAGS_NONE, guid, NULL, NULL, &error);
    g_assert_no_error(error);
    g_signal_connect(fa->server, "new-connection", G_CALLBACK(fake_new_connection), fa);
    g_dbus_server_start(fa->server);
    g_main_context_pop_thread_default(fa->ctx);

    fa->thread = g_thread_new("fake-agent", fake_thread, fa);
    return fa;
}

static void
fake_agent_stop(FakeAgent *fa)
{
    g_autofree char *sock = g_build_filename(fa->dir, "api.sock", NULL);

    g_main_loop_quit(fa->loop);
    g_thread_join(fa->thread);
    /* let the server's cancelled accept source run down before the context goes */
    g_dbus_server_stop(fa->server);
    g_clear_object(&fa->server);
    while (g_main_context_iteration(fa->ctx, FALSE))
        ;
    g_main_loop_unref(fa->loop);
    g_main_context_unref(fa->ctx);
    g_dbus_node_info_unref(fa->info);
    g_ptr_array_unref(fa->slices);
    g_unlink(sock);
    g_rmdir(fa->dir);
    g_free(fa->dir);
    g_free(fa->address);
    g_free(fa->fail_volume);
    g_mutex_clear(&fa->lock);
    g_free(fa);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FakeAgent, fake_agent_stop)

static void
fake_add(FakeAgent *fa, const char *volume, const char *uuid)
{
    NvpSlice *s = nvp_slice_new();

    s->volume = g_strdup(volume);
    s->domain_uuid = g_strdup(uuid);
    s->socket_path = g_strdup("/run/x.sock");
    g_mutex_lock(&fa->lock);
    g_ptr_array_add(fa->slices, s);
    g_mutex_unlock(&fa->lock);
}

static guint
fake_count(FakeAgent *fa, const char *uuid)
{
    guint n = 0;

    g_mutex_lock(&fa->lock);
    for (guint i = 0; i < fa->slices->len; i++) {
        NvpSlice *s = g_ptr_array_index(fa->slices, i);

        n += !uuid || g_strcmp0(s->domain_uuid, uuid) == 0;
    }
    g_mutex_unlock(&fa->lock);
    return n;
}

typedef struct {
    int status;
    char *err;
    guint lines;
} HookRun;

static void
hook_run_clear(HookRun *r)
{
    g_free(r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(HookRun, hook_run_clear)

/* Run the hook like libvirtd: HOOK NAME OP SUBOP -, fixture XML on stdin. */
static void
run_hook(const char *address, const char *fixture, const char *op, const char *subop, HookRun *r)
{
    g_autofree char *path =
        g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "driver", "data", "hook", fixture, NULL);
    g_autofree char *script = g_strdup_printf("exec \"$0\" vm3 %s %s - < \"$1\"", op, subop);
    const char *argv[] = { "/bin/sh", "-c", script, hook_path, path, NULL };
    g_auto(GStrv) env = g_get_environ();
    g_autoptr(GError) error = NULL;
    int wait_status;

    env = g_environ_setenv(env, "NVP_AGENT_ADDRESS", address, TRUE);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, env, G_SPAWN_DEFAULT, NULL, NULL, NULL, &r->err,
                               &wait_status, &error));
    g_assert_no_error(error);
    g_assert_true(WIFEXITED(wait_status));
    r->status = WEXITSTATUS(wait_status);
    r->lines = 0;
    for (const char *p = r->err; *p; p++)
        r->lines += *p == '\n';
    if (*r->err)
        g_test_message("hook stderr: %s", r->err);
}

#define NOWHERE "unix:path=/nonexistent/virt-nvmepool/api.sock"

/* A domain without volumes never needs the agent: success even with none running. */
static void
test_no_volumes(void)
{
    g_auto(HookRun) r = { 0 };

    run_hook(NOWHERE, "no-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.err, ==, "");
}

/* Operations the hook does not handle exit 0 at once (stdin not even read). */
static void
test_ignored_op(void)
{
    g_auto(HookRun) r = { 0 };

    run_hook(NOWHERE, "malformed.xml", "stopped", "end", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.err, ==, "");
}

/* No agent: the start fails with exactly one line naming the domain. */
static void
test_prepare_no_agent(void)
{
    g_auto(HookRun) r = { 0 };

    run_hook(NOWHERE, "with-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    g_assert_true(g_str_has_prefix(r.err, "virt-nvmepool: cannot start domain 'vm3'"));
    g_assert_nonnull(strstr(r.err, "virt-nvmepoold"));
}

/* Every volume of the metadata is activated with the DAC owner and the recorded socket. */
static void
test_prepare_ok(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };
    NvpSlice *logs;

    run_hook(fa->address, "with-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpstr(r.err, ==, "");
    g_assert_cmpuint(fake_count(fa, VM3_UUID), ==, 2);
    logs = fake_find(fa, "logs");
    g_assert_nonnull(logs);
    g_assert_cmpuint(logs->uid, ==, 64055);
    g_assert_cmpuint(logs->gid, ==, 993);
    g_assert_cmpuint(logs->queues, ==, 2);
    g_assert_cmpstr(logs->domain_name, ==, "vm3");
    g_assert_cmpstr(logs->socket_path, ==, "/run/virt-nvmepool/vfio-user/" VM3_UUID "-logs.sock");
}

/* The second activation fails: the first is undone, one line names the failing volume. */
static void
test_prepare_all_or_nothing(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };

    fa->fail_volume = g_strdup("db01");
    run_hook(fa->address, "with-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    g_assert_nonnull(strstr(r.err, "cannot start domain 'vm3'"));
    g_assert_nonnull(strstr(r.err, "'db01'"));
    g_assert_nonnull(strstr(r.err, "queue pairs"));
    g_assert_cmpuint(fake_count(fa, NULL), ==, 0);
}

/* The volume is active for another domain: refused, and that domain's slice is untouched. */
static void
test_prepare_volume_busy(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };

    fake_add(fa, "db01", "00000000-0000-4000-8000-000000000001");
    run_hook(fa->address, "with-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    g_assert_nonnull(strstr(r.err, "in use by another domain"));
    g_assert_cmpuint(fake_count(fa, VM3_UUID), ==, 0);
    g_assert_cmpuint(fake_count(fa, "00000000-0000-4000-8000-000000000001"), ==, 1);
}

/* A slice left over from a QEMU that died is freed before activating again. */
static void
test_prepare_stale(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };

    fake_add(fa, "logs", VM3_UUID);
    run_hook(fa->address, "with-volumes.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpuint(fake_count(fa, VM3_UUID), ==, 2);
}

/* Release frees this domain's slices and nothing else; it never fails. */
static void
test_release(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };
    g_auto(HookRun) r2 = { 0 };

    fake_add(fa, "logs", VM3_UUID);
    fake_add(fa, "db01", VM3_UUID);
    fake_add(fa, "other", "00000000-0000-4000-8000-000000000001");
    run_hook(fa->address, "with-volumes.xml", "release", "end", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_cmpuint(fake_count(fa, VM3_UUID), ==, 0);
    g_assert_cmpuint(fake_count(fa, NULL), ==, 1);

    run_hook(NOWHERE, "with-volumes.xml", "release", "end", &r2);
    g_assert_cmpint(r2.status, ==, 0);
}

/* Reconnect: a slice the domain holds but no longer lists is freed; a missing one is reported;
 * exit 0 either way, agent or not. */
static void
test_reconnect(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };
    g_auto(HookRun) r2 = { 0 };

    fake_add(fa, "logs", VM3_UUID);
    fake_add(fa, "gone", VM3_UUID);
    run_hook(fa->address, "with-volumes.xml", "reconnect", "begin", &r);
    g_assert_cmpint(r.status, ==, 0);
    g_assert_nonnull(fake_find(fa, "logs"));
    g_assert_null(fake_find(fa, "gone"));
    g_assert_nonnull(strstr(r.err, "'db01'"));

    run_hook(NOWHERE, "with-volumes.xml", "started", "begin", &r2);
    g_assert_cmpint(r2.status, ==, 0);
}

static void
test_migrate(void)
{
    g_auto(HookRun) r = { 0 };
    g_auto(HookRun) r2 = { 0 };

    run_hook(NOWHERE, "with-volumes.xml", "migrate", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    g_assert_nonnull(strstr(r.err, "cannot migrate"));
    run_hook(NOWHERE, "no-volumes.xml", "migrate", "begin", &r2);
    g_assert_cmpint(r2.status, ==, 0);
}

/* Unreadable XML fails a start, never a release. */
static void
test_malformed(void)
{
    g_auto(HookRun) r = { 0 };
    g_auto(HookRun) r2 = { 0 };

    run_hook(NOWHERE, "malformed.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    run_hook(NOWHERE, "malformed.xml", "release", "end", &r2);
    g_assert_cmpint(r2.status, ==, 0);
}

/* libvirt placed a device on a reserved port: the start fails before any slice is activated. */
static void
test_port_taken(void)
{
    g_autoptr(FakeAgent) fa = fake_agent_start();
    g_auto(HookRun) r = { 0 };

    run_hook(fa->address, "port-taken.xml", "prepare", "begin", &r);
    g_assert_cmpint(r.status, ==, 1);
    g_assert_cmpuint(r.lines, ==, 1);
    g_assert_nonnull(strstr(r.err, "memballoon"));
    g_assert_cmpuint(fa->calls, ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    if (argc < 2) {
        g_printerr("usage: %s [--tap] PATH-OF-THE-HOOK\n", argv[0]);
        return 2;
    }
    hook_path = argv[1];
    g_test_add_func("/hook/no-volumes", test_no_volumes);
    g_test_add_func("/hook/ignored-op", test_ignored_op);
    g_test_add_func("/hook/prepare-no-agent", test_prepare_no_agent);
    g_test_add_func("/hook/prepare-ok", test_prepare_ok);
    g_test_add_func("/hook/prepare-all-or-nothing", test_prepare_all_or_nothing);
    g_test_add_func("/hook/prepare-volume-busy", test_prepare_volume_busy);
    g_test_add_func("/hook/prepare-stale", test_prepare_stale);
    g_test_add_func("/hook/release", test_release);
    g_test_add_func("/hook/reconnect", test_reconnect);
    g_test_add_func("/hook/migrate", test_migrate);
    g_test_add_func("/hook/malformed", test_malformed);
    g_test_add_func("/hook/port-taken", test_port_taken);
    return g_test_run();
}
