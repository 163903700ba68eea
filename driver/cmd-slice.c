/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slice and agent verbs: slice-list, slice-info, stats. */
#include <stdio.h>

#include "common/i18n.h"
#include "common/units.h"
#include "driver/pool-client.h"

static gboolean
cmd_slice_list_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GPtrArray) slices = NULL;

    if (!conn || !(slices = nvp_pool_client_list_slices(conn, error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonArray) arr = json_array_new();
        g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
        for (guint i = 0; i < slices->len; i++)
            json_array_add_element(arr, nvp_pool_client_slice_json(slices->pdata[i]));
        json_node_set_array(root, arr);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(" %-20s %-20s %-38s %-7s %-8s %s\n", _("Volume"), _("Domain"), _("Domain UUID"),
           _("Queues"), _("Mode"), _("State"));
    printf("-------------------------------------------------------------------------------------"
           "--------------------------\n");
    for (guint i = 0; i < slices->len; i++) {
        NvpSlice *s = slices->pdata[i];
        printf(" %-20s %-20s %-38s %-7u %-8s %s\n", s->volume,
               s->domain_name ? s->domain_name : "-", s->domain_uuid, s->queues,
               nvp_isolation_to_string(s->isolation), nvp_slice_state_to_string(s->state));
    }
    printf("\n");
    return TRUE;
}

const NvpCmd nvp_cmd_slice_list = {
    .name = "slice-list",
    .summary = N_("List the active slices (volumes bound to running domains)"),
    .run = cmd_slice_list_run,
};

static gboolean
cmd_slice_info_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(NvpSlice) s = NULL;

    if (!conn ||
        !(s = nvp_pool_client_get_slice(conn, "Get", g_variant_new("(s)", args[0]), error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_slice_json(s);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf("%-14s %s\n", _("Volume:"), s->volume);
    printf("%-14s %s\n", _("Controller:"), s->controller ? s->controller : "-");
    printf(_("%-14s %s (%s)\n"), _("Domain:"), s->domain_name ? s->domain_name : "-",
           s->domain_uuid);
    printf("%-14s %u\n", _("Queue pairs:"), s->queues);
    printf("%-14s %s\n", _("Isolation:"), nvp_isolation_to_string(s->isolation));
    printf("%-14s %s\n", _("Endpoint:"), s->socket_path ? s->socket_path : "-");
    printf("%-14s %u:%u\n", _("Owner:"), s->uid, s->gid);
    printf("%-14s %s\n", _("State:"), nvp_slice_state_to_string(s->state));
    printf(_("%-14s %llu submitted, %llu completed, %llu rejected, %llu doorbells\n"),
           _("Counters:"), (unsigned long long)s->counters.submitted,
           (unsigned long long)s->counters.completed, (unsigned long long)s->counters.rejected,
           (unsigned long long)s->counters.doorbells);
    return TRUE;
}

const NvpCmd nvp_cmd_slice_info = {
    .name = "slice-info",
    .summary = N_("Show the active slice of a volume"),
    .params = N_("VOLUME"),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_slice_info_run,
};

static guint64
dict_u(GVariantDict *d, const char *key)
{
    g_autoptr(GVariant) v = g_variant_dict_lookup_value(d, key, NULL);

    if (!v)
        return 0;
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
        return g_variant_get_uint32(v);
    if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT64))
        return g_variant_get_uint64(v);
    return 0;
}

static gboolean
cmd_stats_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    static const char *const keys[] = { "controllers", "volumes",   "slices",       "capacity",
                                        "free",        "allocated", "queues-total", "queues-free" };
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariant) dict = NULL;
    g_auto(GVariantDict) d;

    if (!conn || !(reply = nvp_pool_client_call(conn, NVP_POOL_CLIENT_AGENT, "GetStats", NULL,
                                                "(a{sv})", error)))
        return FALSE;
    dict = g_variant_get_child_value(reply, 0);
    g_variant_dict_init(&d, dict);
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object(b);
        for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
            g_autofree char *member = g_strdelimit(g_strdup(keys[i]), "-", '_');
            json_builder_set_member_name(b, member);
            json_builder_add_int_value(b, (gint64)dict_u(&d, keys[i]));
        }
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    {
        g_autofree char *cap = nvp_units_format_size(dict_u(&d, "capacity"));
        g_autofree char *free_ = nvp_units_format_size(dict_u(&d, "free"));
        g_autofree char *alloc = nvp_units_format_size(dict_u(&d, "allocated"));
        printf("%-14s %" G_GUINT64_FORMAT "\n", _("Controllers:"), dict_u(&d, "controllers"));
        printf("%-14s %" G_GUINT64_FORMAT "\n", _("Volumes:"), dict_u(&d, "volumes"));
        printf("%-14s %" G_GUINT64_FORMAT "\n", _("Slices:"), dict_u(&d, "slices"));
        printf("%-14s %s\n", _("Capacity:"), cap);
        printf("%-14s %s\n", _("Allocated:"), alloc);
        printf("%-14s %s\n", _("Free:"), free_);
        printf("%-14s %" G_GUINT64_FORMAT " / %" G_GUINT64_FORMAT "\n", _("Queue pairs:"),
               dict_u(&d, "queues-free"), dict_u(&d, "queues-total"));
    }
    return TRUE;
}

const NvpCmd nvp_cmd_stats = {
    .name = "stats",
    .summary = N_("Show the pool's totals: controllers, volumes, slices, space, queue pairs"),
    .run = cmd_stats_run,
};

static char *opt_domain_uuid;
static char *opt_domain_name;
static int opt_slice_queues;
static char *opt_slice_mode;
static char *opt_socket;
static char *opt_owner;

static const GOptionEntry slice_activate_options[] = {
    { "domain-uuid", 0, 0, G_OPTION_ARG_STRING, &opt_domain_uuid,
      N_("UUID of the domain the slice is for (required)"), N_("UUID") },
    { "domain-name", 0, 0, G_OPTION_ARG_STRING, &opt_domain_name, N_("Name of that domain"),
      N_("NAME") },
    { "queues", 0, 0, G_OPTION_ARG_INT, &opt_slice_queues,
      N_("Hardware queue pairs (default: the volume's)"), N_("N") },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_slice_mode, N_("strict (default) or trusted"),
      N_("MODE") },
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &opt_socket,
      N_("vfio-user endpoint path, under the agent's run directory"), N_("PATH") },
    { "owner", 0, 0, G_OPTION_ARG_STRING, &opt_owner, N_("Owner of the endpoint (QEMU's user)"),
      N_("UID:GID") },
    { NULL },
};

static gboolean
cmd_slice_activate_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(NvpSlice) req = nvp_slice_new();
    g_autoptr(NvpSlice) s = NULL;
    g_autofree char *xml = NULL;

    if (!opt_domain_uuid) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, _("--domain-uuid is required"));
        return FALSE;
    }
    req->volume = g_strdup(args[0]);
    req->domain_uuid = g_strdup(opt_domain_uuid);
    req->domain_name = g_strdup(opt_domain_name);
    if (opt_slice_queues < 0 || opt_slice_queues > NVP_VOLUME_QUEUES_MAX) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--queues must be between 1 and %d"), NVP_VOLUME_QUEUES_MAX);
        return FALSE;
    }
    req->queues = (guint)opt_slice_queues;
    if (opt_slice_mode) {
        int mode = nvp_isolation_from_string(opt_slice_mode);
        if (mode < 0) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("--mode must be 'strict' or 'trusted', not '%s'"), opt_slice_mode);
            return FALSE;
        }
        req->isolation = mode;
    }
    req->socket_path = g_strdup(opt_socket);
    if (opt_owner) {
        guint64 uid = 0, gid = 0;
        g_auto(GStrv) parts = g_strsplit(opt_owner, ":", 2);
        if (g_strv_length(parts) != 2 ||
            !g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT32 - 1, &uid, NULL) ||
            !g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT32 - 1, &gid, NULL)) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("--owner must be UID:GID in numbers, not '%s'"), opt_owner);
            return FALSE;
        }
        req->uid = (guint32)uid;
        req->gid = (guint32)gid;
    }
    xml = nvp_slice_format(req);
    if (!(conn = nvp_pool_client_connect(ctx, error)) ||
        !(s = nvp_pool_client_get_slice(conn, "Activate", g_variant_new("(s)", xml), error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_slice_json(s);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(_("Slice of volume '%1$s' active: %2$u queue pairs, endpoint %3$s.\n"), s->volume,
           s->queues, s->socket_path);
    return TRUE;
}

const NvpCmd nvp_cmd_slice_activate = {
    .name = "slice-activate",
    .summary = N_("Serve a volume to a domain (normally done by the libvirt hook)"),
    .params = N_("VOLUME"),
    .options = slice_activate_options,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_slice_activate_run,
};

static gboolean
cmd_slice_deactivate_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GVariant) reply = NULL;

    if (!conn || !(reply = nvp_pool_client_call(conn, NVP_POOL_CLIENT_SLICES, "Deactivate",
                                                g_variant_new("(s)", args[0]), "()", error)))
        return FALSE;
    if (ctx->json) {
        nvp_pool_client_print_json_member("deactivated", args[0]);
        return TRUE;
    }
    printf(_("Slice of volume '%s' deactivated.\n"), args[0]);
    return TRUE;
}

const NvpCmd nvp_cmd_slice_deactivate = {
    .name = "slice-deactivate",
    .summary = N_("Stop serving a volume (normally done by the libvirt hook)"),
    .params = N_("VOLUME"),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_slice_deactivate_run,
};
