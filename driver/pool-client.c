/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI side of the control API: connection, calls, replies parsed with the common model, and
 * their JSON forms for --json. */
#include "driver/pool-client.h"

#include <unistd.h>

#include "common/i18n.h"

#define CALL_TIMEOUT_MS (10 * 60 * 1000) /* vol-delete --wipe of a large volume takes time */

GDBusConnection *
nvp_pool_client_connect(const NvpCmdContext *ctx, GError **error)
{
    g_autofree char *address = nvp_cmd_address(ctx);
    g_autofree char *shown = NULL;
    g_autoptr(GError) local = NULL;
    GDBusConnection *conn;

    if (!address) {
        g_autofree char *escaped = g_dbus_address_escape_value(NVP_RUNDIR "/agent.sock");
        address = g_strdup_printf("unix:path=%s", escaped);
        shown = g_strdup(NVP_RUNDIR "/agent.sock");
    } else {
        shown = g_strdup(ctx->connect);
    }
    conn = g_dbus_connection_new_for_address_sync(address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                  NULL, NULL, &local);
    if (!conn) {
        if (g_error_matches(local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND) ||
            g_error_matches(local, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                        _("cannot connect to the agent at %s: is virt-nvmepoold running?"), shown);
        else if (geteuid() != 0 &&
                 !g_error_matches(local, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
            /* Authentication ended without a reply: the agent refused our credentials. */
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                        _("the agent at %s refused uid %u: its control API is for root and the "
                          "members of its API group (%s)"),
                        shown, (guint)geteuid(), local->message);
        else
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                        _("cannot connect to the agent at %s: %s"), shown, local->message);
        return NULL;
    }
    return conn;
}

GVariant *
nvp_pool_client_call(GDBusConnection *conn, const char *iface, const char *method, GVariant *args,
                     const char *reply_type, GError **error)
{
    g_autoptr(GError) local = NULL;
    GVariant *reply;

    reply = g_dbus_connection_call_sync(conn, NULL, NVP_POOL_CLIENT_OBJECT, iface, method, args,
                                        G_VARIANT_TYPE(reply_type), G_DBUS_CALL_FLAGS_NONE,
                                        CALL_TIMEOUT_MS, NULL, &local);
    if (!reply) {
        if (g_dbus_error_is_remote_error(local)) {
            g_autofree char *name = g_dbus_error_get_remote_error(local);
            g_dbus_error_strip_remote_error(local);
            if (g_str_has_prefix(name, "org.freedesktop.DBus.Error.")) {
                /* Not the agent's own refusal: AccessDenied, UnknownMethod, ... */
                g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED,
                            _("the agent refused %s.%s: %s"), iface, method, local->message);
                return NULL;
            }
        }
        g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_FAILED, "%s", local->message);
        return NULL;
    }
    return reply;
}

static char *
call_string(GDBusConnection *conn, const char *iface, const char *method, GVariant *args,
            GError **error)
{
    g_autoptr(GVariant) reply = nvp_pool_client_call(conn, iface, method, args, "(s)", error);
    char *out = NULL;

    if (!reply)
        return NULL;
    g_variant_get(reply, "(s)", &out);
    return out;
}

NvpController *
nvp_pool_client_get_controller(GDBusConnection *conn, const char *method, GVariant *args,
                               GError **error)
{
    g_autofree char *xml = call_string(conn, NVP_POOL_CLIENT_CONTROLLERS, method, args, error);

    return xml ? nvp_controller_parse_string(xml, _("the agent's reply"), error) : NULL;
}

NvpVolume *
nvp_pool_client_get_volume(GDBusConnection *conn, const char *method, GVariant *args,
                           GError **error)
{
    g_autofree char *xml = call_string(conn, NVP_POOL_CLIENT_VOLUMES, method, args, error);

    return xml ? nvp_volume_parse_string(xml, _("the agent's reply"), error) : NULL;
}

NvpSlice *
nvp_pool_client_get_slice(GDBusConnection *conn, const char *method, GVariant *args, GError **error)
{
    g_autofree char *xml = call_string(conn, NVP_POOL_CLIENT_SLICES, method, args, error);

    return xml ? nvp_slice_parse_string(xml, _("the agent's reply"), error) : NULL;
}

typedef gpointer (*ParseFunc)(const char *xml, const char *name, GError **error);

static GPtrArray *
call_list(GDBusConnection *conn, const char *iface, GVariant *args, ParseFunc parse,
          GDestroyNotify free_func, GError **error)
{
    g_autoptr(GVariant) reply = nvp_pool_client_call(conn, iface, "List", args, "(as)", error);
    g_autoptr(GPtrArray) out = NULL;
    g_autoptr(GVariantIter) iter = NULL;
    const char *xml;

    if (!reply)
        return NULL;
    out = g_ptr_array_new_with_free_func(free_func);
    g_variant_get(reply, "(as)", &iter);
    while (g_variant_iter_next(iter, "&s", &xml)) {
        gpointer obj = parse(xml, _("the agent's reply"), error);
        if (!obj)
            return NULL;
        g_ptr_array_add(out, obj);
    }
    return g_steal_pointer(&out);
}

GPtrArray *
nvp_pool_client_list_controllers(GDBusConnection *conn, GError **error)
{
    return call_list(conn, NVP_POOL_CLIENT_CONTROLLERS, NULL,
                     (ParseFunc)nvp_controller_parse_string, (GDestroyNotify)nvp_controller_free,
                     error);
}

GPtrArray *
nvp_pool_client_list_volumes(GDBusConnection *conn, const char *ctrl, GError **error)
{
    return call_list(conn, NVP_POOL_CLIENT_VOLUMES, g_variant_new("(s)", ctrl ? ctrl : ""),
                     (ParseFunc)nvp_volume_parse_string, (GDestroyNotify)nvp_volume_free, error);
}

GPtrArray *
nvp_pool_client_list_slices(GDBusConnection *conn, GError **error)
{
    return call_list(conn, NVP_POOL_CLIENT_SLICES, NULL, (ParseFunc)nvp_slice_parse_string,
                     (GDestroyNotify)nvp_slice_free, error);
}

void
nvp_pool_client_print_json_member(const char *key, const char *value)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, value);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    nvp_cmd_print_json(root);
}

static void
add_string(JsonBuilder *b, const char *name, const char *value)
{
    json_builder_set_member_name(b, name);
    if (value)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_int(JsonBuilder *b, const char *name, gint64 value)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
}

JsonNode *
nvp_pool_client_controller_json(const NvpController *c)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autofree char *bdf = nvp_pci_addr_to_bdf(&c->addr);

    json_builder_begin_object(b);
    add_string(b, "name", c->name);
    add_string(b, "address", bdf);
    add_string(b, "state", nvp_controller_state_to_string(c->state));
    add_string(b, "serial", c->serial);
    add_string(b, "model", c->model);
    add_string(b, "firmware", c->firmware);
    add_int(b, "queues_total", c->queues_total);
    add_int(b, "queues_free", c->queues_free);
    add_int(b, "vectors_total", c->vectors_total);
    add_int(b, "vectors_free", c->vectors_free);
    add_int(b, "capacity", (gint64)nvp_controller_get_capacity(c));
    add_int(b, "free", (gint64)nvp_controller_get_free(c));
    json_builder_set_member_name(b, "namespaces");
    json_builder_begin_array(b);
    for (guint i = 0; i < c->namespaces->len; i++) {
        const NvpNamespace *ns = c->namespaces->pdata[i];
        json_builder_begin_object(b);
        add_int(b, "id", ns->nsid);
        add_int(b, "capacity", (gint64)ns->capacity);
        add_int(b, "block_size", ns->block_size);
        add_int(b, "free", (gint64)ns->free);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *
nvp_pool_client_volume_json(const NvpVolume *v, const NvpSlice *slice)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_string(b, "name", v->name);
    add_string(b, "uuid", v->uuid);
    add_string(b, "type", nvp_volume_type_to_string(v->type));
    add_string(b, "controller", v->controller);
    add_int(b, "namespace", v->nsid);
    add_int(b, "capacity", (gint64)v->capacity);
    add_int(b, "block_size", v->block_size);
    json_builder_set_member_name(b, "extent");
    json_builder_begin_object(b);
    add_int(b, "lba", (gint64)v->lba);
    add_int(b, "blocks", (gint64)v->blocks);
    json_builder_end_object(b);
    add_string(b, "isolation", nvp_isolation_to_string(v->isolation));
    add_int(b, "queues", v->queues);
    add_string(b, "in_use_by", slice ? slice->domain_uuid : NULL);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *
nvp_pool_client_slice_json(const NvpSlice *s)
{
    g_autoptr(JsonBuilder) b = json_builder_new();

    json_builder_begin_object(b);
    add_string(b, "volume", s->volume);
    add_string(b, "controller", s->controller);
    add_string(b, "domain_uuid", s->domain_uuid);
    add_string(b, "domain_name", s->domain_name);
    add_int(b, "queues", s->queues);
    add_string(b, "isolation", nvp_isolation_to_string(s->isolation));
    add_string(b, "socket", s->socket_path);
    add_int(b, "uid", s->uid);
    add_int(b, "gid", s->gid);
    add_string(b, "state", nvp_slice_state_to_string(s->state));
    json_builder_set_member_name(b, "counters");
    json_builder_begin_object(b);
    add_int(b, "submitted", (gint64)s->counters.submitted);
    add_int(b, "completed", (gint64)s->counters.completed);
    add_int(b, "rejected", (gint64)s->counters.rejected);
    add_int(b, "doorbells", (gint64)s->counters.doorbells);
    json_builder_end_object(b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}
