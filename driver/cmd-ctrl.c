/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Controller verbs: ctrl-list, ctrl-info, ctrl-adopt, ctrl-release. */
#include <stdio.h>

#include "common/i18n.h"
#include "common/units.h"
#include "driver/pool-client.h"

static void
print_ctrl_info(const NvpController *c)
{
    g_autofree char *bdf = nvp_pci_addr_to_bdf(&c->addr);
    g_autofree char *cap = nvp_units_format_size(nvp_controller_get_capacity(c));
    g_autofree char *free_ = nvp_units_format_size(nvp_controller_get_free(c));

    printf("%-16s %s\n", _("Name:"), c->name);
    printf("%-16s %s\n", _("Address:"), bdf);
    printf("%-16s %s\n", _("State:"), nvp_controller_state_to_string(c->state));
    printf("%-16s %s\n", _("Serial:"), c->serial ? c->serial : "-");
    printf("%-16s %s\n", _("Model:"), c->model ? c->model : "-");
    printf("%-16s %s\n", _("Firmware:"), c->firmware ? c->firmware : "-");
    printf("%-16s %u / %u\n", _("Queue pairs:"), c->queues_free, c->queues_total);
    printf("%-16s %u / %u\n", _("Vectors:"), c->vectors_free, c->vectors_total);
    printf("%-16s %s\n", _("Capacity:"), cap);
    printf("%-16s %s\n", _("Free:"), free_);
    for (guint i = 0; i < c->namespaces->len; i++) {
        const NvpNamespace *ns = c->namespaces->pdata[i];
        g_autofree char *ncap = nvp_units_format_size(ns->capacity);
        g_autofree char *nfree = nvp_units_format_size(ns->free);
        g_autofree char *label = g_strdup_printf(_("Namespace %u:"), ns->nsid);
        printf(_("%-16s %s, %u-byte blocks, %s free\n"), label, ncap, ns->block_size, nfree);
    }
}

static gboolean
cmd_ctrl_list_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GPtrArray) ctrls = NULL;

    if (!conn || !(ctrls = nvp_pool_client_list_controllers(conn, error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonArray) arr = json_array_new();
        g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
        for (guint i = 0; i < ctrls->len; i++)
            json_array_add_element(arr, nvp_pool_client_controller_json(ctrls->pdata[i]));
        json_node_set_array(root, arr);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(" %-18s %-12s %-20s %-4s %-12s %-12s %s\n", _("Name"), _("State"), _("Serial"), _("NS"),
           _("Capacity"), _("Free"), _("Queues free"));
    printf("-------------------------------------------------------------------------------------"
           "------------\n");
    for (guint i = 0; i < ctrls->len; i++) {
        const NvpController *c = ctrls->pdata[i];
        g_autofree char *cap = nvp_units_format_size(nvp_controller_get_capacity(c));
        g_autofree char *free_ = nvp_units_format_size(nvp_controller_get_free(c));
        printf(" %-18s %-12s %-20s %-4u %-12s %-12s %u/%u\n", c->name,
               nvp_controller_state_to_string(c->state), c->serial ? c->serial : "-",
               c->namespaces->len, cap, free_, c->queues_free, c->queues_total);
    }
    printf("\n");
    return TRUE;
}

const NvpCmd nvp_cmd_ctrl_list = {
    .name = "ctrl-list",
    .summary = N_("List the NVMe controllers the agent has adopted"),
    .run = cmd_ctrl_list_run,
};

static gboolean
cmd_ctrl_info_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(NvpController) c = NULL;

    if (!conn ||
        !(c = nvp_pool_client_get_controller(conn, "Get", g_variant_new("(s)", args[0]), error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_controller_json(c);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    print_ctrl_info(c);
    return TRUE;
}

const NvpCmd nvp_cmd_ctrl_info = {
    .name = "ctrl-info",
    .summary = N_("Show an adopted controller: identity, queue pairs, namespaces, free space"),
    .params = N_("CONTROLLER"),
    .description = N_("CONTROLLER is a PCI address, pci_DDDD_BB_SS_F or DDDD:BB:SS.F."),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_ctrl_info_run,
};

static gboolean
cmd_ctrl_adopt_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(NvpController) c = NULL;

    if (!conn ||
        !(c = nvp_pool_client_get_controller(conn, "Adopt", g_variant_new("(s)", args[0]), error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_controller_json(c);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    {
        g_autofree char *free_ = nvp_units_format_size(nvp_controller_get_free(c));
        printf(_("Controller %1$s adopted: %2$u namespace(s), %3$s free, %4$u queue pairs.\n"),
               c->name, c->namespaces->len, free_, c->queues_free);
    }
    return TRUE;
}

const NvpCmd nvp_cmd_ctrl_adopt = {
    .name = "ctrl-adopt",
    .summary = N_("Take an NVMe controller from the kernel and add it to the pool"),
    .params = N_("CONTROLLER"),
    .description = N_("The controller is unbound from the nvme driver and owned by the agent "
                      "through VFIO. It must not be in use (mounted, in a RAID, ...)."),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_ctrl_adopt_run,
};

static gboolean
cmd_ctrl_release_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GVariant) reply = NULL;

    if (!conn || !(reply = nvp_pool_client_call(conn, NVP_POOL_CLIENT_CONTROLLERS, "Release",
                                                g_variant_new("(s)", args[0]), "()", error)))
        return FALSE;
    if (ctx->json) {
        nvp_pool_client_print_json_member("released", args[0]);
        return TRUE;
    }
    printf(_("Controller %s released to the kernel.\n"), args[0]);
    return TRUE;
}

const NvpCmd nvp_cmd_ctrl_release = {
    .name = "ctrl-release",
    .summary = N_("Hand a controller back to the kernel's nvme driver"),
    .params = N_("CONTROLLER"),
    .description = N_("Refused while the controller holds volumes or serves slices."),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_ctrl_release_run,
};
