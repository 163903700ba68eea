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
