/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Volume verbs: vol-list, vol-info, vol-create, vol-dumpxml, vol-resize, vol-delete. */
#include <stdio.h>

#include "common/i18n.h"
#include "common/units.h"
#include "driver/pool-client.h"

static char *opt_ctrl;
static char *opt_name;
static char *opt_capacity;
static int opt_namespace;
static int opt_queues;
static char *opt_mode;
static gboolean opt_whole;
static gboolean opt_wipe;

/* The slice of each volume in use, by volume name (best effort: slices are informational). */
static GHashTable *
slices_by_volume(GDBusConnection *conn, GPtrArray **keep)
{
    GHashTable *table = g_hash_table_new(g_str_hash, g_str_equal);

    *keep = nvp_pool_client_list_slices(conn, NULL);
    for (guint i = 0; *keep && i < (*keep)->len; i++) {
        NvpSlice *s = (*keep)->pdata[i];
        g_hash_table_insert(table, s->volume, s);
    }
    return table;
}

static const GOptionEntry vol_list_options[] = {
    { "ctrl", 0, 0, G_OPTION_ARG_STRING, &opt_ctrl, N_("Only the volumes of CONTROLLER"),
      N_("CONTROLLER") },
    { NULL },
};

static gboolean
cmd_vol_list_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GPtrArray) vols = NULL;
    g_autoptr(GPtrArray) slices = NULL;
    g_autoptr(GHashTable) in_use = NULL;

    if (!conn || !(vols = nvp_pool_client_list_volumes(conn, opt_ctrl, error)))
        return FALSE;
    in_use = slices_by_volume(conn, &slices);
    if (ctx->json) {
        g_autoptr(JsonArray) arr = json_array_new();
        g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
        for (guint i = 0; i < vols->len; i++) {
            NvpVolume *v = vols->pdata[i];
            json_array_add_element(arr,
                                   nvp_pool_client_volume_json(v, g_hash_table_lookup(in_use,
                                                                                      v->name)));
        }
        json_node_set_array(root, arr);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(" %-20s %-18s %-4s %-12s %-26s %-8s %s\n", _("Name"), _("Controller"), _("NS"),
           _("Capacity"), _("Extent (LBA+blocks)"), _("Mode"), _("In use by"));
    printf("-------------------------------------------------------------------------------------"
           "--------------------\n");
    for (guint i = 0; i < vols->len; i++) {
        NvpVolume *v = vols->pdata[i];
        NvpSlice *s = g_hash_table_lookup(in_use, v->name);
        g_autofree char *cap = nvp_units_format_size(v->capacity);
        g_autofree char *extent =
            g_strdup_printf("%" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, v->lba, v->blocks);
        printf(" %-20s %-18s %-4u %-12s %-26s %-8s %s\n", v->name, v->controller, v->nsid, cap,
               extent, nvp_isolation_to_string(v->isolation),
               s ? (s->domain_name ? s->domain_name : s->domain_uuid) : "-");
    }
    printf("\n");
    return TRUE;
}

const NvpCmd nvp_cmd_vol_list = {
    .name = "vol-list",
    .summary = N_("List the volumes"),
    .options = vol_list_options,
    .run = cmd_vol_list_run,
};

static gboolean
cmd_vol_info_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(NvpVolume) v = NULL;
    g_autoptr(NvpSlice) s = NULL;

    if (!conn ||
        !(v = nvp_pool_client_get_volume(conn, "Get", g_variant_new("(s)", args[0]), error)))
        return FALSE;
    s = nvp_pool_client_get_slice(conn, "Get", g_variant_new("(s)", args[0]), NULL);
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_volume_json(v, s);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    {
        g_autofree char *cap = nvp_units_format_size(v->capacity);
        printf("%-14s %s\n", _("Name:"), v->name);
        printf("%-14s %s\n", _("UUID:"), v->uuid ? v->uuid : "-");
        printf("%-14s %s\n", _("Type:"), nvp_volume_type_to_string(v->type));
        printf("%-14s %s\n", _("Controller:"), v->controller);
        printf("%-14s %u\n", _("Namespace:"), v->nsid);
        printf(_("%-14s %s (%llu bytes)\n"), _("Capacity:"), cap, (unsigned long long)v->capacity);
        printf(_("%-14s LBA %llu, %llu blocks of %u bytes\n"), _("Extent:"),
               (unsigned long long)v->lba, (unsigned long long)v->blocks, v->block_size);
        printf("%-14s %s\n", _("Isolation:"), nvp_isolation_to_string(v->isolation));
        printf("%-14s %u\n", _("Queues:"), v->queues);
        if (s)
            printf(_("%-14s domain %s (%s)\n"), _("In use by:"),
                   s->domain_name ? s->domain_name : "-", s->domain_uuid);
        else
            printf("%-14s -\n", _("In use by:"));
    }
    return TRUE;
}

const NvpCmd nvp_cmd_vol_info = {
    .name = "vol-info",
    .summary = N_("Show a volume"),
    .params = N_("VOLUME"),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_vol_info_run,
};

static gboolean
cmd_vol_dumpxml_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GVariant) reply = NULL;
    const char *xml = NULL;

    if (!conn || !(reply = nvp_pool_client_call(conn, NVP_POOL_CLIENT_VOLUMES, "Get",
                                                g_variant_new("(s)", args[0]), "(s)", error)))
        return FALSE;
    g_variant_get(reply, "(&s)", &xml);
    if (ctx->json) {
        nvp_pool_client_print_json_member("xml", xml);
        return TRUE;
    }
    fputs(xml, stdout);
    return TRUE;
}

const NvpCmd nvp_cmd_vol_dumpxml = {
    .name = "vol-dumpxml",
    .summary = N_("Print a volume's XML (schemas/volume.rng)"),
    .params = N_("VOLUME"),
    .min_args = 1,
    .max_args = 1,
    .run = cmd_vol_dumpxml_run,
};

static const GOptionEntry vol_create_options[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &opt_name, N_("Name of the new volume"), N_("NAME") },
    { "ctrl", 0, 0, G_OPTION_ARG_STRING, &opt_ctrl, N_("Controller to carve it from"),
      N_("CONTROLLER") },
    { "capacity", 0, 0, G_OPTION_ARG_STRING, &opt_capacity,
      N_("Size, e.g. 10G, 512MiB or bytes (rounded up to 1 MiB)"), N_("SIZE") },
    { "namespace", 0, 0, G_OPTION_ARG_INT, &opt_namespace,
      N_("Namespace to carve it from (default: the first with room)"), N_("NSID") },
    { "queues", 0, 0, G_OPTION_ARG_INT, &opt_queues,
      N_("Default hardware queue pairs of its slices (default 1)"), N_("N") },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &opt_mode, N_("Isolation: strict (default) or trusted"),
      N_("MODE") },
    { "whole-namespace", 0, 0, G_OPTION_ARG_NONE, &opt_whole,
      N_("The volume is all of --namespace (no --capacity)"), NULL },
    { NULL },
};

static NvpVolume *
vol_def_from_options(GError **error)
{
    g_autoptr(NvpVolume) def = nvp_volume_new();
    g_autoptr(GError) local = NULL;

    if (!opt_name || !opt_ctrl || (!opt_capacity && !opt_whole)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("give either an XML file or --name, --ctrl and --capacity (or "
                      "--whole-namespace with --namespace)"));
        return NULL;
    }
    def->name = g_strdup(opt_name);
    def->controller = g_strdup(opt_ctrl);
    if (opt_whole) {
        if (opt_capacity || opt_namespace <= 0) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("--whole-namespace needs --namespace and takes no --capacity"));
            return NULL;
        }
        def->type = NVP_VOLUME_TYPE_NAMESPACE;
    } else if (!nvp_units_parse_size(opt_capacity, &def->capacity, &local)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, "--capacity: %s", local->message);
        return NULL;
    }
    if (opt_namespace < 0) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--namespace must be a namespace ID (1 or more)"));
        return NULL;
    }
    def->nsid = (guint32)opt_namespace;
    if (opt_queues < 0 || opt_queues > NVP_VOLUME_QUEUES_MAX) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("--queues must be between 1 and %d"), NVP_VOLUME_QUEUES_MAX);
        return NULL;
    }
    if (opt_queues)
        def->queues = (guint)opt_queues;
    if (opt_mode) {
        int mode = nvp_isolation_from_string(opt_mode);
        if (mode < 0) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("--mode must be 'strict' or 'trusted', not '%s'"), opt_mode);
            return NULL;
        }
        def->isolation = mode;
    }
    if (!nvp_volume_name_is_valid(def->name)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                    _("invalid volume name '%s': use 1 to %d letters, digits, '_', '.', '+' or "
                      "'-', not starting with '.', '+' or '-'"),
                    def->name, NVP_VOLUME_NAME_MAX);
        return NULL;
    }
    return g_steal_pointer(&def);
}

static gboolean
cmd_vol_create_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(NvpVolume) def = NULL;
    g_autoptr(NvpVolume) v = NULL;
    g_autofree char *xml = NULL;

    if (args[0]) {
        g_autoptr(GError) local = NULL;
        if (opt_name || opt_ctrl || opt_capacity || opt_namespace || opt_queues || opt_mode ||
            opt_whole) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("give either an XML file or the volume options, not both"));
            return FALSE;
        }
        /* Validated here first so that errors name the file and line. */
        def = nvp_volume_parse_file(args[0], &local);
        if (!def) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED, "%s", local->message);
            return FALSE;
        }
    } else if (!(def = vol_def_from_options(error))) {
        return FALSE;
    }
    xml = nvp_volume_format(def);
    if (!(conn = nvp_pool_client_connect(ctx, error)) ||
        !(v = nvp_pool_client_get_volume(conn, "Create", g_variant_new("(s)", xml), error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_volume_json(v, NULL);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    {
        g_autofree char *cap = nvp_units_format_size(v->capacity);
        printf(_("Volume '%1$s' created: %2$s on %3$s namespace %4$u at LBA %5$llu.\n"), v->name,
               cap, v->controller, v->nsid, (unsigned long long)v->lba);
    }
    return TRUE;
}

const NvpCmd nvp_cmd_vol_create = {
    .name = "vol-create",
    .summary = N_("Create a volume from an XML file or from options"),
    .params = N_("[FILE]"),
    .description = N_("FILE holds a <volume> (schemas/volume.rng). Without FILE, --name, --ctrl "
                      "and --capacity are required. Space is taken first-fit at the lowest free "
                      "LBA, aligned to 1 MiB."),
    .options = vol_create_options,
    .max_args = 1,
    .run = cmd_vol_create_run,
};

static gboolean
cmd_vol_resize_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = NULL;
    g_autoptr(NvpVolume) v = NULL;
    g_autoptr(GError) local = NULL;
    const char *size = args[1];
    gboolean delta = size[0] == '+';
    guint64 bytes;

    if (!nvp_units_parse_size(delta ? size + 1 : size, &bytes, &local)) {
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, "%s", local->message);
        return FALSE;
    }
    if (!(conn = nvp_pool_client_connect(ctx, error)))
        return FALSE;
    if (delta) {
        g_autoptr(NvpVolume) cur =
            nvp_pool_client_get_volume(conn, "Get", g_variant_new("(s)", args[0]), error);
        if (!cur)
            return FALSE;
        if (bytes > G_MAXUINT64 - cur->capacity) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, _("size %s is too large"), size);
            return FALSE;
        }
        bytes += cur->capacity;
    }
    if (!(v = nvp_pool_client_get_volume(conn, "Resize", g_variant_new("(st)", args[0], bytes),
                                         error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonNode) root = nvp_pool_client_volume_json(v, NULL);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    {
        g_autofree char *cap = nvp_units_format_size(v->capacity);
        printf(_("Volume '%1$s' resized to %2$s.\n"), v->name, cap);
    }
    return TRUE;
}

const NvpCmd nvp_cmd_vol_resize = {
    .name = "vol-resize",
    .summary = N_("Grow a volume in place"),
    .params = N_("VOLUME SIZE"),
    .description = N_("SIZE is the new capacity (e.g. 20G), or +SIZE to grow by that much. "
                      "Volumes only grow, and only into free space right after them."),
    .min_args = 2,
    .max_args = 2,
    .run = cmd_vol_resize_run,
};

static const GOptionEntry vol_delete_options[] = {
    { "wipe", 0, 0, G_OPTION_ARG_NONE, &opt_wipe,
      N_("Write zeroes over the volume's extent before deleting it"), NULL },
    { NULL },
};

static gboolean
cmd_vol_delete_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autoptr(GDBusConnection) conn = nvp_pool_client_connect(ctx, error);
    g_autoptr(GVariant) reply = NULL;

    if (!conn ||
        !(reply = nvp_pool_client_call(conn, NVP_POOL_CLIENT_VOLUMES, "Delete",
                                       g_variant_new("(sb)", args[0], opt_wipe), "()", error)))
        return FALSE;
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "deleted");
        json_builder_add_string_value(b, args[0]);
        json_builder_set_member_name(b, "wiped");
        json_builder_add_boolean_value(b, opt_wipe);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(opt_wipe ? _("Volume '%s' wiped and deleted.\n") : _("Volume '%s' deleted.\n"), args[0]);
    return TRUE;
}

const NvpCmd nvp_cmd_vol_delete = {
    .name = "vol-delete",
    .summary = N_("Delete a volume (refused while a domain uses it)"),
    .params = N_("VOLUME"),
    .options = vol_delete_options,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_vol_delete_run,
};
