/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepoold: the agent's entry point. Options, configuration, logging, starting the layers
 * in order (startup_steps[]), the GLib main loop, systemd notification and signals. */
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

#include "common/config.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/store.h"
#include "agent/vctrl/pci.h"
#include "agent/slices.h"
#include "agent/api/server.h"
#include "agent/pool/hwops.h"
#include "agent/pool/pool.h"

typedef struct {
    /* Command line (add options below in agent_options[] and their fields here). */
    gboolean opt_version;
    gboolean opt_verbose;
    char *opt_config;
    char **opt_slices; /* --slice, repeatable (agent/slices.c) */
    char *opt_stats_file;

    /* Runtime. */
    NvpConfig *config;
    GMainLoop *loop;
    int exit_status;
    NvpStore *store;   /* the persistent state store at [agent] state_dir */
    NvpSlices *slices; /* command-line slices */

    /* Layers put their objects here (pool, API server, debug endpoints, ...). */
    char *opt_debug_endpoint;        /* --debug-endpoint PATH */
    NvpVctrlPciStub *debug_endpoint; /* its vfio-user server + PCI model */
    char *opt_api_socket;
    char *opt_api_group;
    NvpPool *pool;
    NvpApiServer *api;
} NvpAgent;

static NvpAgent agent;

static const GOptionEntry agent_options[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &agent.opt_version, N_("Print the version and exit"),
      NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &agent.opt_config,
      N_("Read the configuration from FILE instead of the default agent.conf"), N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &agent.opt_verbose, N_("Log debug messages too"),
      NULL },
    { "api-socket", 0, 0, G_OPTION_ARG_FILENAME, &agent.opt_api_socket,
      N_("Serve the control API on SOCKET instead of RUN_DIR/agent.sock"), N_("SOCKET") },
    { "api-group", 0, 0, G_OPTION_ARG_STRING, &agent.opt_api_group,
      N_("Also let members of GROUP use the control API (root always may)"), N_("GROUP") },
    { "slice", 0, 0, G_OPTION_ARG_STRING_ARRAY, &agent.opt_slices,
      N_("Serve a slice: ctrl=PCI,nsid=N,lba-start=N,lba-count=N,queues=N,mode=strict|trusted,"
         "socket=PATH[,name=S,uid=N,gid=N,serial=S,entries=N,max-vectors=N] (repeatable)"),
      N_("SPEC") },
    { "stats-file", 0, 0, G_OPTION_ARG_FILENAME, &agent.opt_stats_file,
      N_("Write the slices' counters to FILE on SIGUSR1 and at exit"), N_("FILE") },
    { "debug-endpoint", 0, 0, G_OPTION_ARG_FILENAME, &agent.opt_debug_endpoint,
      N_("Serve a test vfio-user NVMe PCI device (never ready) on SOCKET"), N_("SOCKET") },
    /* More options go here, e.g. --debug-endpoint (a vfio-user endpoint without libvirt) and
     * slice options; give each a field in NvpAgent and act on it in a startup step. */
    { NULL },
};

/*
 * Startup steps, run in this order after the configuration is loaded; on exit the steps that
 * started are stopped in reverse order. A layer joins the agent by adding one entry here (and its
 * functions below or in its own file). A step that fails stops the startup: its error is printed
 * once and the agent exits 1.
 */
typedef struct {
    const char *name;
    gboolean (*start)(NvpAgent *agent, GError **error);
    void (*stop)(NvpAgent *agent);
} NvpAgentStep;

static gboolean
state_start(NvpAgent *a, GError **error)
{
    a->store = nvp_store_open(nvp_config_get_string(a->config, "agent", "state_dir"), error);
    return a->store != NULL;
}

static void
state_stop(NvpAgent *a)
{
    g_clear_pointer(&a->store, nvp_store_free);
}

/* Controllers re-adopted and volumes restored from <state_dir>/{controllers,volumes}/. */
static gboolean
pool_start(NvpAgent *a, GError **error)
{
    g_autoptr(GPtrArray) warnings = NULL;
    NvpPoolLimits limits;

    a->pool =
        nvp_pool_new(nvp_config_get_string(a->config, "agent", "state_dir"),
                     nvp_config_get_string(a->config, "agent", "run_dir"), &nvp_pool_hw_ops, NULL);
    nvp_pool_get_limits(a->pool, &limits);
    limits.max_slices = nvp_config_get_uint(a->config, "limits", "max_slices_per_controller");
    /* every slice has a volume of its own: the slice limit is reachable only with as many */
    limits.max_volumes = MAX(limits.max_volumes, limits.max_slices);
    limits.max_queues_per_slice =
        MIN(nvp_config_get_uint(a->config, "limits", "max_queue_pairs_per_slice"),
            NVP_VOLUME_QUEUES_MAX);
    limits.allow_trusted = nvp_config_get_bool(a->config, "slices", "allow_trusted");
    nvp_pool_set_limits(a->pool, &limits);
    if (!nvp_pool_load(a->pool, &warnings, error))
        return FALSE;
    for (guint i = 0; i < warnings->len; i++)
        g_warning("%s", (const char *)warnings->pdata[i]);
    return TRUE;
}

static void
pool_stop(NvpAgent *a)
{
    g_clear_pointer(&a->pool, nvp_pool_free);
}

static gboolean
api_start(NvpAgent *a, GError **error)
{
    g_autofree char *def =
        g_build_filename(nvp_config_get_string(a->config, "agent", "run_dir"), "agent.sock", NULL);
    NvpApiServerOptions opts = {
        .socket_path = a->opt_api_socket ? a->opt_api_socket : def,
        .group = a->opt_api_group,
    };

    a->api = nvp_api_server_new(a->pool, &opts, error);
    if (a->api)
        g_message("Control API listening on %s.", nvp_api_server_get_socket_path(a->api));
    return a->api != NULL;
}

static void
api_stop(NvpAgent *a)
{
    g_clear_pointer(&a->api, nvp_api_server_free);
}

static gboolean
slices_start(NvpAgent *a, GError **error)
{
    if (!a->opt_slices)
        return TRUE;
    a->slices = nvp_slices_new(a->opt_slices, a->opt_stats_file, error);
    return a->slices != NULL;
}

static void
slices_stop(NvpAgent *a)
{
    g_clear_pointer(&a->slices, nvp_slices_free);
}

/* --debug-endpoint: the virtual NVMe PCI function alone, its controller never ready. */
static gboolean
debug_endpoint_start(NvpAgent *a, GError **error)
{
    if (!a->opt_debug_endpoint)
        return TRUE;
    a->debug_endpoint = nvp_vctrl_pci_stub_new(a->opt_debug_endpoint, error);
    if (!a->debug_endpoint)
        return FALSE;
    g_message("Debug vfio-user endpoint on %s.", a->opt_debug_endpoint);
    return TRUE;
}

static void
debug_endpoint_stop(NvpAgent *a)
{
    g_clear_pointer(&a->debug_endpoint, nvp_vctrl_pci_stub_free);
    g_clear_pointer(&a->opt_debug_endpoint, g_free);
}

static const NvpAgentStep startup_steps[] = {
    { "debug-endpoint", debug_endpoint_start, debug_endpoint_stop },
    { "state", state_start, state_stop },
    { "slices", slices_start, slices_stop },
    { "pool", pool_start, pool_stop },
    { "api", api_start, api_stop },
};

static gboolean
on_signal(gpointer data)
{
    NvpAgent *a = data;

    g_message("Received a termination signal, stopping.");
    g_main_loop_quit(a->loop);
    return G_SOURCE_CONTINUE;
}

static void
notify_or_log(const char *state)
{
    g_autoptr(GError) error = NULL;

    if (!nvp_notify(state, &error))
        g_warning("%s", error->message);
}

/* Every slice holds fds (its endpoint, the client's connection and DMA regions, eventfds): 3
 * per idle connected slice in tests/testbed/scenarios/scale.sh, so systemd's soft limit for
 * services (1024) would stop an agent at about 330 slices. The main loop uses poll(), not
 * select(), so the soft limit may be the hard one. */
static void
raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rlim_t old = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            g_debug("open files limit raised from %llu to %llu", (unsigned long long)old,
                    (unsigned long long)rl.rlim_max);
    }
}

static gboolean
parse_options(int *argc, char ***argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);

    g_option_context_set_summary(ctx, _("The virt-nvmepool agent: serves slices of NVMe "
                                        "controllers to virtual machines over vfio-user."));
    g_option_context_add_main_entries(ctx, agent_options, GETTEXT_PACKAGE);
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, argc, argv, error))
        return FALSE;
    if (*argc > 1) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, _("Unexpected argument '%s'."),
                    (*argv)[1]);
        return FALSE;
    }
    return TRUE;
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    const char *level;
    guint started = 0;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

    if (!parse_options(&argc, &argv, &error)) {
        g_printerr("virt-nvmepoold: %s\n", error->message);
        g_printerr(_("Try 'virt-nvmepoold --help'.\n"));
        return 2;
    }
    if (agent.opt_version) {
        printf("virt-nvmepoold %s\n", PACKAGE_VERSION);
        return 0;
    }

    nvp_log_init(agent.opt_verbose ? NVP_LOG_DEBUG : NVP_LOG_MESSAGE);
    agent.config = nvp_config_load(agent.opt_config, &error);
    if (!agent.config) {
        g_printerr("virt-nvmepoold: %s\n", error->message);
        return 1;
    }
    level = nvp_config_get_string(agent.config, "agent", "log_level");
    if (!agent.opt_verbose)
        nvp_log_set_threshold((NvpLogLevel)nvp_log_level_from_string(level));
    g_debug("configuration: %s", nvp_config_get_source(agent.config)
                                     ? nvp_config_get_source(agent.config)
                                     : "built-in defaults");

    agent.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, &agent);
    g_unix_signal_add(SIGINT, on_signal, &agent);
    /* A client vanishing mid-write must not kill the agent. */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    for (; started < G_N_ELEMENTS(startup_steps); started++) {
        g_debug("starting %s", startup_steps[started].name);
        if (!startup_steps[started].start(&agent, &error)) {
            g_printerr("virt-nvmepoold: %s\n", error->message);
            agent.exit_status = 1;
            break;
        }
    }

    if (agent.exit_status == 0) {
        g_message("virt-nvmepoold %s ready.", PACKAGE_VERSION);
        notify_or_log("READY=1\nSTATUS=Running");
        g_main_loop_run(agent.loop);
        notify_or_log("STOPPING=1");
    }

    while (started-- > 0) {
        if (startup_steps[started].stop)
            startup_steps[started].stop(&agent);
    }
    g_clear_pointer(&agent.loop, g_main_loop_unref);
    g_clear_pointer(&agent.config, nvp_config_free);
    g_clear_pointer(&agent.opt_config, g_free);
    return agent.exit_status;
}
