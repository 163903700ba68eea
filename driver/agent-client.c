/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* D-Bus client of the agent's control API, limited to what driver/ needs. */
#include "driver/agent-client.h"

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-agent-client-error-quark, nvp_agent_client_error)

/* The agent's API: data/org.virtnvmepool.Agent1.xml (peer-to-peer D-Bus on a UNIX socket). */
#define NVP_AGENT_DEFAULT_ADDRESS "unix:path=" NVP_RUNDIR "/agent.sock"
#define NVP_AGENT_OBJECT_PATH "/org/virtnvmepool/Agent"
#define NVP_AGENT_SLICES_IFACE "org.virtnvmepool.Slices1"
#define NVP_AGENT_VOLUMES_IFACE "org.virtnvmepool.Volumes1"
#define NVP_AGENT_CALL_TIMEOUT_MS 30000

struct _NvpAgentClient {
    GDBusConnection *conn;
    char *address;
};

const char *
nvp_agent_client_default_address(void)
{
    const char *env = g_getenv("NVP_AGENT_ADDRESS");

    return env && *env ? env : NVP_AGENT_DEFAULT_ADDRESS;
}

NvpAgentClient *
nvp_agent_client_new(const char *address, GError **error)
{
    g_autoptr(GError) local = NULL;
    NvpAgentClient *client;
    GDBusConnection *conn;

    if (!address)
        address = nvp_agent_client_default_address();
    conn = g_dbus_connection_new_for_address_sync(address,
                                                  G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT,
                                                  NULL, NULL, &local);
    if (!conn) {
        g_set_error(error, NVP_AGENT_CLIENT_ERROR, NVP_AGENT_CLIENT_ERROR_UNREACHABLE,
                    _("cannot reach the virt-nvmepool agent at %1$s (is virt-nvmepoold running?): "
                      "%2$s"),
                    address, local->message);
        return NULL;
    }
    client = g_new0(NvpAgentClient, 1);
    client->conn = conn;
    client->address = g_strdup(address);
    return client;
}

void
nvp_agent_client_free(NvpAgentClient *client)
{
    if (!client)
        return;
    g_clear_object(&client->conn);
    g_free(client->address);
    g_free(client);
}

static GVariant *
nvp_agent_client_call_iface(NvpAgentClient *client, const char *iface, const char *method,
                            GVariant *args, const GVariantType *reply_type, GError **error)
{
    g_autoptr(GError) local = NULL;
    GVariant *reply;

    reply = g_dbus_connection_call_sync(client->conn, NULL, NVP_AGENT_OBJECT_PATH, iface, method,
                                        args, reply_type, G_DBUS_CALL_FLAGS_NONE,
                                        NVP_AGENT_CALL_TIMEOUT_MS, NULL, &local);
    if (!reply) {
        g_autofree char *remote = g_dbus_error_get_remote_error(local);
        int code = g_strcmp0(remote, "org.virtnvmepool.Error.NotFound") == 0
                       ? NVP_AGENT_CLIENT_ERROR_NOT_FOUND
                       : NVP_AGENT_CLIENT_ERROR_REFUSED;

        /* The agent's message is the useful part; drop GDBus's "GDBus.Error:name: " prefix. */
        if (g_dbus_error_is_remote_error(local))
            g_dbus_error_strip_remote_error(local);
        g_set_error(error, NVP_AGENT_CLIENT_ERROR, code, "%s", local->message);
    }
    return reply;
}

static GVariant *
nvp_agent_client_call(NvpAgentClient *client, const char *method, GVariant *args,
                      const GVariantType *reply_type, GError **error)
{
    return nvp_agent_client_call_iface(client, NVP_AGENT_SLICES_IFACE, method, args, reply_type,
                                       error);
}

NvpVolume *
nvp_agent_client_get_volume(NvpAgentClient *client, const char *name, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    const char *xml = NULL;

    reply = nvp_agent_client_call_iface(client, NVP_AGENT_VOLUMES_IFACE, "Get",
                                        g_variant_new("(s)", name), G_VARIANT_TYPE("(s)"), error);
    if (!reply)
        return NULL;
    g_variant_get(reply, "(&s)", &xml);
    return nvp_volume_parse_string(xml, "agent reply", error);
}

gboolean
nvp_agent_client_activate_slice(NvpAgentClient *client, const NvpSlice *request, NvpSlice **active,
                                GError **error)
{
    g_autofree char *xml = nvp_slice_format(request);
    g_autoptr(GVariant) reply = NULL;
    const char *out = NULL;

    reply = nvp_agent_client_call(client, "Activate", g_variant_new("(s)", xml),
                                  G_VARIANT_TYPE("(s)"), error);
    if (!reply)
        return FALSE;
    if (active) {
        g_variant_get(reply, "(&s)", &out);
        if (!(*active = nvp_slice_parse_string(out, "agent reply", error)))
            return FALSE;
    }
    return TRUE;
}

GPtrArray *
nvp_agent_client_list_slices(NvpAgentClient *client, const char *domain_uuid, GError **error)
{
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GVariantIter) iter = NULL;
    g_autoptr(GPtrArray) slices = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_slice_free);
    const char *xml;

    reply = nvp_agent_client_call(client, "List", NULL, G_VARIANT_TYPE("(as)"), error);
    if (!reply)
        return NULL;
    g_variant_get(reply, "(as)", &iter);
    while (g_variant_iter_loop(iter, "&s", &xml)) {
        NvpSlice *slice = nvp_slice_parse_string(xml, "agent reply", error);

        if (!slice)
            return NULL;
        if (domain_uuid && g_ascii_strcasecmp(slice->domain_uuid, domain_uuid) != 0) {
            nvp_slice_free(slice);
            continue;
        }
        g_ptr_array_add(slices, slice);
    }
    return g_steal_pointer(&slices);
}

gboolean
nvp_agent_client_deactivate_slice(NvpAgentClient *client, const char *volume,
                                  const char *domain_uuid, GError **error)
{
    g_autoptr(GPtrArray) mine = nvp_agent_client_list_slices(client, domain_uuid, error);
    g_autoptr(GVariant) reply = NULL;
    gboolean held = FALSE;

    if (!mine)
        return FALSE;
    for (guint i = 0; i < mine->len; i++) {
        const NvpSlice *slice = g_ptr_array_index(mine, i);

        held |= g_strcmp0(slice->volume, volume) == 0;
    }
    if (!held)
        return TRUE; /* not active, or another domain's: never touch it */

    reply = nvp_agent_client_call(client, "Deactivate", g_variant_new("(s)", volume),
                                  G_VARIANT_TYPE("()"), error);
    return reply != NULL;
}
