/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nvp-scale: the two halves of the testbed scenario 'scale' (issue 10): activating many slices
 * through the agent's control API, timed per call, and holding one idle vfio-user client on
 * every slice endpoint (negotiated, guest RAM mapped) until told to stop. Prints figures only. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gio/gio.h>

#include "common/slice.h"
#include "common/volume.h"
#include "tests/lib/vfu-client.h"

#define AGENT_PATH "/org/virtnvmepool/Agent"
#define CALL_TIMEOUT_MS 120000

static char *opt_address;
static char *opt_ctrl;
static char *opt_prefix = "s";
static char *opt_dir;
static gint opt_first;
static gint opt_count = 1;
static gint opt_ram_kib = 64;
static gint opt_capacity_mib = 1;

static const GOptionEntry options[] = {
    { "address", 0, 0, G_OPTION_ARG_STRING, &opt_address, "activate: the agent's D-Bus address",
      "ADDR" },
    { "ctrl", 0, 0, G_OPTION_ARG_STRING, &opt_ctrl, "activate: controller name (pci_D_B_S_F)",
      "NAME" },
    { "prefix", 0, 0, G_OPTION_ARG_STRING, &opt_prefix, "activate: volume name prefix", "P" },
    { "first", 0, 0, G_OPTION_ARG_INT, &opt_first, "activate: first volume number", "I" },
    { "count", 0, 0, G_OPTION_ARG_INT, &opt_count, "activate: slices to activate", "N" },
    { "capacity-mib", 0, 0, G_OPTION_ARG_INT, &opt_capacity_mib, "activate: volume size", "MIB" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &opt_dir, "clients: directory of slice sockets", "DIR" },
    { "ram-kib", 0, 0, G_OPTION_ARG_INT, &opt_ram_kib,
      "clients: guest RAM each client maps (one memfd shared by all)", "KIB" },
    { NULL },
};

static void
raise_nofile(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int
cmp_gint64(gconstpointer a, gconstpointer b)
{
    gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;

    return x < y ? -1 : x > y;
}

static GVariant *
call(GDBusConnection *conn, const char *iface, const char *method, const char *xml, GError **error)
{
    return g_dbus_connection_call_sync(conn, NULL, AGENT_PATH, iface, method,
                                       g_variant_new("(s)", xml), G_VARIANT_TYPE("(s)"),
                                       G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, error);
}

/* Volume create + slice activate for volumes first..first+count-1, each call timed. */
static int
run_activate(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(GArray) t_create = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autoptr(GArray) t_act = g_array_new(FALSE, FALSE, sizeof(gint64));
    g_autofree char *uuid = g_uuid_string_random();
    gint64 sum_create = 0, sum_act = 0, start = g_get_monotonic_time();
    guint n = 0;

    if (!opt_address || !opt_ctrl || opt_count < 1) {
        g_printerr("nvp-scale activate: --address, --ctrl and --count are required\n");
        return 2;
    }
    conn = g_dbus_connection_new_for_address_sync(opt_address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                  NULL, NULL, &error);
    if (!conn) {
        g_printerr("nvp-scale activate: %s: %s\n", opt_address, error->message);
        return 1;
    }
    for (gint i = opt_first; i < opt_first + opt_count; i++) {
        g_autoptr(NvpVolume) vol = nvp_volume_new();
        g_autoptr(NvpSlice) req = nvp_slice_new();
        g_autoptr(GVariant) r1 = NULL;
        g_autoptr(GVariant) r2 = NULL;
        g_autofree char *vxml = NULL;
        g_autofree char *sxml = NULL;
        gint64 t0, t1, t2;

        vol->type = NVP_VOLUME_TYPE_EXTENT;
        vol->name = g_strdup_printf("%s%05d", opt_prefix, i);
        vol->controller = g_strdup(opt_ctrl);
        vol->capacity = (guint64)opt_capacity_mib << 20;
        vol->isolation = NVP_ISOLATION_STRICT;
        vol->queues = 1;
        vxml = nvp_volume_format(vol);
        req->volume = g_strdup(vol->name);
        req->domain_uuid = g_strdup(uuid);
        req->domain_name = g_strdup("scale");
        req->queues = 1;
        req->isolation = NVP_ISOLATION_STRICT;
        sxml = nvp_slice_format(req);

        t0 = g_get_monotonic_time();
        r1 = call(conn, "org.virtnvmepool.Volumes1", "Create", vxml, &error);
        t1 = g_get_monotonic_time();
        if (r1)
            r2 = call(conn, "org.virtnvmepool.Slices1", "Activate", sxml, &error);
        t2 = g_get_monotonic_time();
        if (!r1 || !r2) {
            g_printerr("nvp-scale activate: %s %s: %s\n", r1 ? "slice-activate" : "vol-create",
                       vol->name, error->message);
            break;
        }
        g_array_append_val(t_create, (gint64){ t1 - t0 });
        g_array_append_val(t_act, (gint64){ t2 - t1 });
        sum_create += t1 - t0;
        sum_act += t2 - t1;
        n++;
    }
    if (n > 0) {
        g_array_sort(t_act, cmp_gint64);
        printf("nvp-scale-activate ctrl=%s first=%d count=%u wall_us=%" G_GINT64_FORMAT
               " create_mean_us=%" G_GINT64_FORMAT " activate_mean_us=%" G_GINT64_FORMAT
               " activate_p50_us=%" G_GINT64_FORMAT " activate_max_us=%" G_GINT64_FORMAT "\n",
               opt_ctrl, opt_first, n, g_get_monotonic_time() - start, sum_create / n, sum_act / n,
               g_array_index(t_act, gint64, n / 2), g_array_index(t_act, gint64, n - 1));
    }
    return n == (guint)opt_count ? 0 : 1;
}

/* Mean microseconds of one BAR0 CSTS read (a vfio-user REGION_READ round trip through the
 * agent's main loop) over 200 reads on c; -1 if one failed. */
static gint64
rtt_us(NvpTestVfuClient *c)
{
    gint64 t0 = g_get_monotonic_time();
    guint32 v;

    for (guint i = 0; i < 200; i++)
        if (nvp_test_vfu_client_region_read(c, VFIO_PCI_BAR0_REGION_INDEX, 0x1c, &v, 4) != 0)
            return -1;
    return (g_get_monotonic_time() - t0) / 200;
}

/* One client per *.sock in --dir: connect, negotiate, DMA_MAP the shared memfd at GPA 0; then
 * block in sigwait() (no timer, no wake-up) until SIGTERM/SIGINT. */
static int
run_clients(void)
{
    g_autoptr(GPtrArray) clients =
        g_ptr_array_new_with_free_func((GDestroyNotify)nvp_test_vfu_client_free);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    gsize ram = (gsize)opt_ram_kib << 10;
    gint64 start, wall, t_sum = 0, t_max = 0, rtt_first = -1;
    guint failed = 0;
    void *map = NULL;
    sigset_t set;
    DIR *d;
    struct dirent *e;
    int memfd, sig = 0;

    if (!opt_dir || opt_ram_kib < 4) {
        g_printerr("nvp-scale clients: --dir is required, --ram-kib at least 4\n");
        return 2;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    d = opendir(opt_dir);
    if (!d) {
        g_printerr("nvp-scale clients: %s: %s\n", opt_dir, g_strerror(errno));
        return 1;
    }
    while ((e = readdir(d)))
        if (g_str_has_suffix(e->d_name, ".sock"))
            g_ptr_array_add(paths, g_build_filename(opt_dir, e->d_name, NULL));
    closedir(d);
    memfd = nvp_test_memfd_new(ram, &map);
    if (memfd < 0) {
        g_printerr("nvp-scale clients: memfd: %s\n", g_strerror(errno));
        return 1;
    }
    memset(map, 0, ram); /* the pages exist before any agent pins them */
    start = g_get_monotonic_time();
    for (guint i = 0; i < paths->len; i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NvpTestVfuClient) c = NULL;
        gint64 t0 = g_get_monotonic_time(), dt;
        int rc = -1;

        c = nvp_test_vfu_client_connect(paths->pdata[i], &error);
        if (c) {
            nvp_test_vfu_client_set_timeout(c, 30000);
            rc = nvp_test_vfu_client_negotiate(c, NULL, NULL);
            if (rc == 0)
                rc = nvp_test_vfu_client_dma_map(c, 0, ram, memfd, 0,
                                                 VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        }
        if (rc != 0) {
            if (failed++ < 5)
                g_printerr("nvp-scale clients: %s: %s\n", (char *)paths->pdata[i],
                           c ? nvp_test_vfu_client_last_error(c) : error->message);
            continue;
        }
        dt = g_get_monotonic_time() - t0;
        t_sum += dt;
        t_max = MAX(t_max, dt);
        g_ptr_array_add(clients, g_steal_pointer(&c));
        if (clients->len == 1)
            rtt_first = rtt_us(clients->pdata[0]);
    }
    wall = g_get_monotonic_time() - start;
    printf("nvp-scale-clients connected=%u failed=%u ram_kib=%d wall_us=%" G_GINT64_FORMAT
           " connect_mean_us=%" G_GINT64_FORMAT " connect_max_us=%" G_GINT64_FORMAT
           " rtt_one_connected_us=%" G_GINT64_FORMAT " rtt_all_connected_us=%" G_GINT64_FORMAT "\n",
           clients->len, failed, opt_ram_kib, wall, clients->len ? t_sum / clients->len : 0, t_max,
           rtt_first, clients->len ? rtt_us(clients->pdata[0]) : -1);
    fflush(stdout);
    sigwait(&set, &sig);
    return failed ? 1 : 0;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new("activate|clients");
    g_autoptr(GError) error = NULL;

    g_option_context_add_main_entries(ctx, options, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &error) || argc != 2) {
        g_printerr("nvp-scale: %s\n", error ? error->message : "say activate or clients");
        return 2;
    }
    raise_nofile();
    if (strcmp(argv[1], "activate") == 0)
        return run_activate();
    if (strcmp(argv[1], "clients") == 0)
        return run_clients();
    g_printerr("nvp-scale: unknown mode '%s'\n", argv[1]);
    return 2;
}
