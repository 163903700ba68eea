/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The domain verbs: attach-volume and detach-volume (persistent definition and/or running
 * domain, virsh's --config/--live/--current semantics). */
#include <pwd.h>
#include <stdio.h>

#include "common/i18n.h"
#include "driver/agent-client.h"
#include "driver/cmd.h"
#include "driver/domain.h"
#include "driver/virt.h"

/* Waiting for a guest to release a hot-unplugged device: Linux answers the PCIe hot-plug
 * request after about 5 s (its attention-button delay). */
#define NVP_DETACH_TIMEOUT_MS_DEFAULT 30000

static gboolean opt_config;
static gboolean opt_live;
static gboolean opt_current;
static int opt_queues;
static int opt_timeout = NVP_DETACH_TIMEOUT_MS_DEFAULT;
static char *opt_uri;

#define NVP_DOMAIN_COMMON_OPTIONS \
    { "config",    0, \
      0,           G_OPTION_ARG_NONE, \
      &opt_config, N_("Change the persistent definition (takes effect at the next start)"), \
      NULL }, \
        { "live",    0, \
          0,         G_OPTION_ARG_NONE, \
          &opt_live, N_("Change the running domain (QMP device_add/device_del through libvirt)"), \
          NULL }, \
        { "current", \
          0, \
          0, \
          G_OPTION_ARG_NONE, \
          &opt_current, \
          N_("Change the running domain if it runs, else its definition (the default)"), \
          NULL }, \
    { \
        "uri", 'u', 0, G_OPTION_ARG_STRING, &opt_uri, \
            N_("libvirt connection URI (default: $LIBVIRT_DEFAULT_URI or libvirt's default)"), \
            N_("URI") \
    }

static const GOptionEntry attach_options[] = {
    { "queues", 'q', 0, G_OPTION_ARG_INT, &opt_queues,
      N_("Hardware I/O queue pairs to grant (default: the volume's)"), N_("N") },
    NVP_DOMAIN_COMMON_OPTIONS,
    { NULL },
};

static const GOptionEntry detach_options[] = {
    { "timeout", 't', 0, G_OPTION_ARG_INT, &opt_timeout,
      N_("With --live: how long to wait for the guest to release the device (default 30000)"),
      N_("MS") },
    NVP_DOMAIN_COMMON_OPTIONS,
    { NULL },
};

typedef struct {
    gboolean config;
    gboolean live;
} NvpAffect;

/* virsh's rules: --current excludes the others; none means --current; --current is --live on
 * a running domain and --config otherwise. */
static gboolean
nvp_cmd_domain_affect(virDomainPtr dom, NvpAffect *affect, GError **error)
{
    int active;

    if (opt_current && (opt_config || opt_live)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--current cannot be combined with --config or --live."));
        return FALSE;
    }
    affect->config = opt_config;
    affect->live = opt_live;
    if (affect->config || affect->live)
        return TRUE;
    if ((active = virDomainIsActive(dom)) < 0) {
        nvp_virt_set_error(error, _("cannot tell whether the domain runs"));
        return FALSE;
    }
    affect->live = active == 1;
    affect->config = active != 1;
    return TRUE;
}

static void
nvp_cmd_domain_print(const NvpCmdContext *ctx, const char *what, virDomainPtr dom,
                     const NvpDomainVolume *vol, const NvpAffect *affect)
{
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "domain");
        json_builder_add_string_value(b, virDomainGetName(dom));
        json_builder_set_member_name(b, "volume");
        json_builder_add_string_value(b, vol->name);
        json_builder_set_member_name(b, "device");
        json_builder_add_string_value(b, vol->device_id);
        json_builder_set_member_name(b, "port");
        json_builder_add_int_value(b, vol->port);
        json_builder_set_member_name(b, "queues");
        json_builder_add_int_value(b, vol->queues);
        json_builder_set_member_name(b, "socket");
        json_builder_add_string_value(b, vol->socket);
        json_builder_set_member_name(b, "config");
        json_builder_add_boolean_value(b, affect->config);
        json_builder_set_member_name(b, "live");
        json_builder_add_boolean_value(b, affect->live);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        nvp_cmd_print_json(root);
        return;
    }
    /* what: "attached to" / "detached from", already translated */
    printf(_("Volume '%1$s' %2$s domain '%3$s' (%4$s).\n"), vol->name, what, virDomainGetName(dom),
           affect->config && affect->live ? _("running domain and persistent definition")
           : affect->live                 ? _("running domain")
                                          : _("persistent definition, from the next start"));
}

static NvpAgentClient *
nvp_cmd_domain_agent(const NvpCmdContext *ctx, GError **error)
{
    g_autofree char *address = nvp_cmd_address(ctx);

    return nvp_agent_client_new(address, error);
}

/* Fill the endpoint owner from the running domain's DAC label, else QEMU's usual user. */
static void
nvp_cmd_domain_owner(const NvpDomainInfo *info, NvpSlice *req)
{
    static const char *const users[] = { "libvirt-qemu", "qemu" };

    if (info->have_owner) {
        req->uid = info->uid;
        req->gid = info->gid;
        return;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(users); i++) {
        struct passwd *pw = getpwnam(users[i]);

        if (pw) {
            req->uid = pw->pw_uid;
            req->gid = pw->pw_gid;
            return;
        }
    }
}

/* --live attach: slice first (QEMU's device_add connects at once), then the device. */
static NvpDomainVolume *
nvp_cmd_attach_live(const NvpCmdContext *ctx, virDomainPtr dom, const char *volume, GError **error)
{
    g_autoptr(NvpDomainVolume) vol = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpAgentClient) agent = NULL;
    g_autoptr(NvpSlice) req = nvp_slice_new();
    g_autoptr(GError) local = NULL;

    if (!(vol = nvp_domain_live_reserve(dom, volume, (guint)opt_queues, error)) ||
        !(info = nvp_domain_get_info(dom, FALSE, error)) ||
        !(agent = nvp_cmd_domain_agent(ctx, error)))
        return NULL;

    req->volume = g_strdup(vol->name);
    req->domain_uuid = g_strdup(info->uuid);
    req->domain_name = g_strdup(info->name);
    req->queues = vol->queues;
    req->socket_path = g_strdup(vol->socket);
    nvp_cmd_domain_owner(info, req);
    if (!nvp_agent_client_activate_slice(agent, req, NULL, &local)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                    _("cannot activate volume '%1$s' for domain '%2$s': %3$s"), vol->name,
                    info->name, local->message);
        return NULL;
    }
    if (!nvp_domain_hotplug(dom, vol, error)) {
        nvp_agent_client_deactivate_slice(agent, vol->name, info->uuid, NULL);
        return NULL;
    }
    return g_steal_pointer(&vol);
}

/* A volume the agent does not know is refused; an agent that cannot be reached only warns
 * (the definition can be prepared before the agent runs; the start checks again). */
static gboolean
nvp_cmd_attach_check_volume(const NvpCmdContext *ctx, const char *volume, GError **error)
{
    g_autoptr(NvpAgentClient) agent = NULL;
    g_autoptr(NvpVolume) vol = NULL;
    g_autoptr(GError) local = NULL;

    if (!(agent = nvp_cmd_domain_agent(ctx, &local))) {
        g_printerr(_("warning: volume '%1$s' not checked: %2$s\n"), volume, local->message);
        return TRUE;
    }
    if (!(vol = nvp_agent_client_get_volume(agent, volume, &local))) {
        if (g_error_matches(local, NVP_AGENT_CLIENT_ERROR, NVP_AGENT_CLIENT_ERROR_NOT_FOUND)) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                        _("the agent has no volume '%s'; 'virt-nvmepool vol-list' shows them"),
                        volume);
            return FALSE;
        }
        g_printerr(_("warning: volume '%1$s' not checked: %2$s\n"), volume, local->message);
    }
    return TRUE;
}

static gboolean
cmd_attach_volume_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(NvpDomainVolume) cold = NULL;
    g_autoptr(NvpDomainVolume) hot = NULL;
    NvpAffect affect = { 0 };

    if (opt_queues < 0 || opt_queues > NVP_VOLUME_QUEUES_MAX) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--queues must be between 1 and %1$d, got %2$d."), NVP_VOLUME_QUEUES_MAX,
                    opt_queues);
        return FALSE;
    }
    nvp_virt_init();
    if (!(conn = nvp_virt_connect(opt_uri, error)) ||
        !(dom = nvp_virt_lookup_domain(conn, args[0], error)) ||
        !nvp_cmd_domain_affect(dom, &affect, error))
        return FALSE;
    if (!nvp_cmd_attach_check_volume(ctx, args[1], error))
        return FALSE;

    /* The definition first: it is the easy one to undo if the live part fails. */
    if (affect.config && !(cold = nvp_domain_attach_config(dom, args[1], (guint)opt_queues, error)))
        return FALSE;
    if (affect.live && !(hot = nvp_cmd_attach_live(ctx, dom, args[1], error))) {
        if (cold)
            nvp_domain_detach_config(dom, args[1], NULL, NULL);
        return FALSE;
    }
    if (!nvp_domain_has_acpi(dom))
        g_printerr(_("warning: domain '%s' has no <features><acpi/>: a Linux guest then finds the "
                     "volume's device behind its root port powered off; add ACPI to the domain\n"),
                   virDomainGetName(dom));
    nvp_cmd_domain_print(ctx, _("attached to"), dom, hot ? hot : cold, &affect);
    return TRUE;
}

static gboolean
cmd_detach_volume_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(virConnect) conn = NULL;
    g_autoptr(virDomain) dom = NULL;
    g_autoptr(NvpDomainVolume) cold = NULL;
    g_autoptr(NvpDomainVolume) hot = NULL;
    NvpAffect affect = { 0 };

    if (opt_timeout < 0) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--timeout must not be negative, got %d."), opt_timeout);
        return FALSE;
    }
    nvp_virt_init();
    if (!(conn = nvp_virt_connect(opt_uri, error)) ||
        !(dom = nvp_virt_lookup_domain(conn, args[0], error)) ||
        !nvp_cmd_domain_affect(dom, &affect, error))
        return FALSE;

    if (affect.live) {
        g_autoptr(NvpDomainInfo) info = NULL;
        g_autoptr(NvpAgentClient) agent = NULL;
        g_autoptr(GError) local = NULL;

        if (!nvp_domain_hotunplug(dom, args[1], (guint)opt_timeout, &hot, error) ||
            !(info = nvp_domain_get_info(dom, FALSE, error)))
            return FALSE;
        /* The device is gone from the guest: free its slice now rather than at shutdown. */
        if (!(agent = nvp_cmd_domain_agent(ctx, &local)) ||
            !nvp_agent_client_deactivate_slice(agent, args[1], info->uuid, &local))
            g_printerr(_("warning: volume '%1$s' stays active until domain '%2$s' stops: %3$s\n"),
                       args[1], info->name, local->message);
    }
    if (affect.config && !nvp_domain_detach_config(dom, args[1], &cold, error))
        return FALSE;
    nvp_cmd_domain_print(ctx, _("detached from"), dom, hot ? hot : cold, &affect);
    return TRUE;
}

const NvpCmd nvp_cmd_attach_volume = {
    .name = "attach-volume",
    .summary = N_("Attach a volume to a libvirt domain"),
    .params = N_("DOMAIN VOLUME"),
    .description =
        N_("Records the volume in the domain's <metadata>, makes guest memory shared (memfd) and\n"
           "adds a vfio-user-pci device on a reserved pcie-root-port through <qemu:commandline>\n"
           "(--config), or hot-plugs it with QMP device_add (--live). The libvirt hook activates\n"
           "the volume's slice whenever the domain starts. See docs/libvirt.md."),
    .options = attach_options,
    .min_args = 2,
    .max_args = 2,
    .run = cmd_attach_volume_run,
};

const NvpCmd nvp_cmd_detach_volume = {
    .name = "detach-volume",
    .summary = N_("Detach a volume from a libvirt domain"),
    .params = N_("DOMAIN VOLUME"),
    .description =
        N_("Removes what attach-volume added. With --live the guest must release the device\n"
           "(PCIe hot-unplug) before the slice is freed."),
    .options = detach_options,
    .min_args = 2,
    .max_args = 2,
    .run = cmd_detach_volume_run,
};
