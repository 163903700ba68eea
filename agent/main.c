/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepoold: the agent's entry point. Options, configuration, logging, starting the layers
 * in order (startup_steps[]), the GLib main loop, systemd notification and signals. */
#include <glib-unix.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "common/config.h"
#include "common/i18n.h"
#include "common/log.h"
#include "common/notify.h"
#include "common/store.h"
#include "agent/vctrl/pci.h"

typedef struct {
    /* Command line (add options below in agent_options[] and their fields here). */
    gboolean opt_version;
    gboolean opt_verbose;
    char *opt_config;

    /* Runtime. */
    NvpConfig *config;
    GMainLoop *loop;
    int exit_status;
    NvpStore *store; /* the persistent state store at [agent] state_dir */

    /* Layers put their objects here (pool, API server, debug endpoints, ...). */
    char *opt_debug_endpoint;          /* --debug-endpoint PATH */
    NvpVctrlPciStub *debug_endpoint;   /* its vfio-user server + PCI model */
} NvpAgent;

static NvpAgent agent;

static const GOptionEntry agent_options[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &agent.opt_version,
      N_("Print the version and exit"), NULL },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &agent.opt_config,
      N_("Read the configuration from FILE instead of the default agent.conf"),
      N_("FILE") },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &agent.opt_verbose,
      N_("Log debug messages too"), NULL },
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
    /* { "pool", pool_start, pool_stop }, adopt controllers, restore volumes and slices */
    /* { "api", api_start, api_stop }, the control API socket */
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
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    _("Unexpected argument '%s'."), (*argv)[1]);
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
    g_debug("configuration: %s",
            nvp_config_get_source(agent.config) ? nvp_config_get_source(agent.config)
                                                : "built-in defaults");

    agent.loop = g_main_loop_new(NULL, FALSE);
    g_unix_signal_add(SIGTERM, on_signal, &agent);
    g_unix_signal_add(SIGINT, on_signal, &agent);
    /* A client vanishing mid-write must not kill the agent. */
    signal(SIGPIPE, SIG_IGN);

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
