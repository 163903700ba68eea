/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user VERSION capabilities JSON (json-glib). */
#include "agent/vfu/caps.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "agent/vfu/proto.h"

void
nvp_vfu_caps_init_defaults(NvpVfuCaps *caps)
{
    caps->max_msg_fds = 1;
    caps->max_data_xfer = NVP_VFU_DEFAULT_MAX_XFER;
    caps->pgsizes = NVP_VFU_PAGE_SIZE;
    caps->max_dma_maps = 65535;
    caps->write_multiple = FALSE;
}

static gboolean
get_uint(JsonObject *obj, const char *name, guint64 *out, GError **error)
{
    JsonNode *node = json_object_get_member(obj, name);
    gint64 v;

    if (!node)
        return TRUE;
    if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_INT64) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "capability %s is not an integer",
                    name);
        return FALSE;
    }
    v = json_node_get_int(node);
    if (v < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "capability %s is negative", name);
        return FALSE;
    }
    *out = (guint64)v;
    return TRUE;
}

gboolean
nvp_vfu_caps_parse(const char *json, NvpVfuCaps *caps, GError **error)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;
    JsonNode *capnode;
    JsonObject *cap;

    if (!json_parser_load_from_data(parser, json, -1, error))
        return FALSE;
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "version data is not an object");
        return FALSE;
    }
    capnode = json_object_get_member(json_node_get_object(root), "capabilities");
    if (!capnode)
        return TRUE;
    if (!JSON_NODE_HOLDS_OBJECT(capnode)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "capabilities is not an object");
        return FALSE;
    }
    cap = json_node_get_object(capnode);
    if (!get_uint(cap, "max_msg_fds", &caps->max_msg_fds, error) ||
        !get_uint(cap, "max_data_xfer_size", &caps->max_data_xfer, error) ||
        !get_uint(cap, "pgsizes", &caps->pgsizes, error) ||
        !get_uint(cap, "max_dma_maps", &caps->max_dma_maps, error))
        return FALSE;
    if (json_object_has_member(cap, "write_multiple")) {
        JsonNode *node = json_object_get_member(cap, "write_multiple");

        if (!JSON_NODE_HOLDS_VALUE(node) || json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "capability write_multiple is not a boolean");
            return FALSE;
        }
        caps->write_multiple = json_node_get_boolean(node);
    }
    return TRUE;
}

char *
nvp_vfu_caps_format(const NvpVfuCaps *caps)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "capabilities");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "max_msg_fds");
    json_builder_add_int_value(b, (gint64)caps->max_msg_fds);
    json_builder_set_member_name(b, "max_data_xfer_size");
    json_builder_add_int_value(b, (gint64)caps->max_data_xfer);
    json_builder_set_member_name(b, "pgsizes");
    json_builder_add_int_value(b, (gint64)caps->pgsizes);
    json_builder_set_member_name(b, "max_dma_maps");
    json_builder_add_int_value(b, (gint64)caps->max_dma_maps);
    json_builder_end_object(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}
