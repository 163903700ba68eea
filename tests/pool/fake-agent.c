/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nvp-fake-agent: the pool and the control API of virt-nvmepoold over the hardware double, so
 * the CLI can be tested end to end without devices. Test use only; never installed.
 *   nvp-fake-agent --state-dir D --run-dir R --api-socket S
 *                  --device 0000:00:04.0,SERIAL,40G/512,1G/4096 ... */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "agent/api/server.h"
#include "common/units.h"
#include "tests/pool/fakehw.h"

static char *opt_state;
static char *opt_run;
static char *opt_socket;
static char **opt_devices;

static const GOptionEntry options[] = {
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_state, "State directory", "DIR" },
    { "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_run, "Runtime directory", "DIR" },
    { "api-socket", 0, 0, G_OPTION_ARG_FILENAME, &opt_socket, "API socket", "PATH" },
    { "device", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_devices,
      "A fake controller: BDF,SERIAL,SIZE/BLOCKSIZE[,SIZE/BLOCKSIZE...]", "SPEC" },
    { NULL },
};

static gboolean
add_device(NvpFakeHw *hw, const char *spec, GError **error)
{
    g_auto(GStrv) parts = g_strsplit(spec, ",", -1);
    guint n = g_strv_length(parts);
    g_autofree guint64 *sizes = NULL;
    g_autofree guint32 *bs = NULL;

    if (n < 2) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "bad --device %s", spec);
        return FALSE;
    }
    sizes = g_new0(guint64, n);
    bs = g_new0(guint32, n);
    for (guint i = 2; i < n; i++) {
        g_auto(GStrv) sb = g_strsplit(parts[i], "/", 2);
        guint64 b = 512;
        if (!nvp_units_parse_size(sb[0], &sizes[i - 2], error))
            return FALSE;
        if (sb[1] && !g_ascii_string_to_unsigned(sb[1], 10, 512, 65536, &b, error))
            return FALSE;
        bs[i - 2] = (guint32)b;
    }
    nvp_fake_hw_add(hw, parts[0], parts[1], n - 2, sizes, bs);
    return TRUE;
}

static gboolean
on_term(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpFakeHw) hw = nvp_fake_hw_new();
    g_autoptr(NvpPool) pool = NULL;
    g_autoptr(NvpApiServer) api = NULL;
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    NvpApiServerOptions opts = { 0 };

    g_option_context_add_main_entries(ctx, options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || !opt_state || !opt_run ||
        !opt_socket) {
        fprintf(stderr, "nvp-fake-agent: %s\n",
                error ? error->message : "--state-dir, --run-dir and --api-socket are required");
        return 2;
    }
    for (guint i = 0; opt_devices && opt_devices[i]; i++) {
        if (!add_device(hw, opt_devices[i], &error)) {
            fprintf(stderr, "nvp-fake-agent: %s\n", error->message);
            return 2;
        }
    }
    pool = nvp_pool_new(opt_state, opt_run, &nvp_fake_hw_ops, hw);
    if (!nvp_pool_load(pool, &warnings, &error)) {
        fprintf(stderr, "nvp-fake-agent: %s\n", error->message);
        return 1;
    }
    for (guint i = 0; i < warnings->len; i++)
        fprintf(stderr, "nvp-fake-agent: warning: %s\n", (char *)warnings->pdata[i]);
    opts.socket_path = opt_socket;
    api = nvp_api_server_new(pool, &opts, &error);
    if (!api) {
        fprintf(stderr, "nvp-fake-agent: %s\n", error->message);
        return 1;
    }
    g_unix_signal_add(SIGTERM, on_term, loop);
    g_unix_signal_add(SIGINT, on_term, loop);
    g_main_loop_run(loop);
    g_clear_pointer(&api, nvp_api_server_free);
    g_clear_pointer(&pool, nvp_pool_free);
    return 0;
}
