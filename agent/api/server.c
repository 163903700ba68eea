/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The control API: GDBusServer on a UNIX socket, peer credentials checked on authentication,
 * one skeleton per interface exported on every connection, pool events as Changed signals. */
#include "agent/api/server.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>

#include "agent/api/agent-dbus.h"
#include "common/i18n.h"

G_DEFINE_QUARK(nvp-api-error-quark, nvp_api_error)

/* Limits: a volume or slice document is a few hundred bytes; clients are the CLI, the hook and a
 * few tools. */
#define NVP_API_MAX_XML (64 * 1024)
#define NVP_API_MAX_CONNECTIONS 64

struct _NvpApiServer {
    NvpPool *pool;
    char *socket_path;
    gboolean have_group;
    gid_t gid;
    GDBusServer *server;
    GDBusAuthObserver *observer;
    GPtrArray *connections; /* GDBusConnection */
    NvpDBusAgent1 *agent_skel;
    NvpDBusControllers1 *ctrl_skel;
    NvpDBusVolumes1 *vol_skel;
    NvpDBusSlices1 *slice_skel;
};

static const char *const error_names[NVP_POOL_ERROR_LAST] = {
    [NVP_POOL_ERROR_INVALID] = NVP_API_ERROR_PREFIX "Invalid",
    [NVP_POOL_ERROR_NOT_FOUND] = NVP_API_ERROR_PREFIX "NotFound",
    [NVP_POOL_ERROR_EXISTS] = NVP_API_ERROR_PREFIX "Exists",
    [NVP_POOL_ERROR_NO_SPACE] = NVP_API_ERROR_PREFIX "NoSpace",
    [NVP_POOL_ERROR_BUSY] = NVP_API_ERROR_PREFIX "Busy",
    [NVP_POOL_ERROR_LIMIT] = NVP_API_ERROR_PREFIX "Limit",
    [NVP_POOL_ERROR_HW] = NVP_API_ERROR_PREFIX "Hardware",
    [NVP_POOL_ERROR_UNAVAILABLE] = NVP_API_ERROR_PREFIX "Unavailable",
    [NVP_POOL_ERROR_STATE] = NVP_API_ERROR_PREFIX "State",
};

/* Every failure reaches the client as org.virtnvmepool.Error.<Code> with our message only. */
static void
return_error(GDBusMethodInvocation *invocation, const GError *error)
{
    const char *name = NVP_API_ERROR_PREFIX "Invalid";

    if (error->domain == NVP_POOL_ERROR && error->code >= 0 && error->code < NVP_POOL_ERROR_LAST)
        name = error_names[error->code];
    g_dbus_method_invocation_return_dbus_error(invocation, name, error->message);
}

/* FALSE (and the invocation answered) if an XML argument is larger than NVP_API_MAX_XML. */
static gboolean
check_xml_size(GDBusMethodInvocation *invocation, const char *xml)
{
    if (strlen(xml) <= NVP_API_MAX_XML)
        return TRUE;
    g_dbus_method_invocation_return_dbus_error(invocation, NVP_API_ERROR_PREFIX "Limit",
                                               _("the XML document is larger than 64 KiB"));
    return FALSE;
}

typedef char *(*NvpFormatFunc)(gconstpointer obj);

/* The XML of every object in @objs, NULL-terminated, for a D-Bus "as" reply. */
static GPtrArray *
format_all(GPtrArray *objs, NvpFormatFunc format)
{
    GPtrArray *xmls = g_ptr_array_new_full(objs->len + 1, g_free);

    for (guint i = 0; i < objs->len; i++)
        g_ptr_array_add(xmls, format(objs->pdata[i]));
    g_ptr_array_add(xmls, NULL);
    return xmls;
}

/* --- Agent1 --- */

static gboolean
on_get_version(NvpDBusAgent1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
    nvp_dbus_agent1_complete_get_version(skel, inv, PACKAGE_VERSION);
    return TRUE;
}

static gboolean
on_get_stats(NvpDBusAgent1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
    NvpApiServer *s = data;
    NvpPoolStats st;
    GVariantBuilder b;

    nvp_pool_get_stats(s->pool, &st);
    g_variant_builder_init(&b, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add(&b, "{sv}", "controllers", g_variant_new_uint32(st.controllers));
    g_variant_builder_add(&b, "{sv}", "volumes", g_variant_new_uint32(st.volumes));
    g_variant_builder_add(&b, "{sv}", "slices", g_variant_new_uint32(st.slices));
    g_variant_builder_add(&b, "{sv}", "capacity", g_variant_new_uint64(st.capacity));
    g_variant_builder_add(&b, "{sv}", "free", g_variant_new_uint64(st.free));
    g_variant_builder_add(&b, "{sv}", "allocated", g_variant_new_uint64(st.allocated));
    g_variant_builder_add(&b, "{sv}", "queues-total", g_variant_new_uint32(st.queues_total));
    g_variant_builder_add(&b, "{sv}", "queues-free", g_variant_new_uint32(st.queues_free));
    nvp_dbus_agent1_complete_get_stats(skel, inv, g_variant_builder_end(&b));
    return TRUE;
}

/* --- Controllers1 --- */

static gboolean
on_ctrl_list(NvpDBusControllers1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GPtrArray) ctrls = nvp_pool_ctrl_list(s->pool);
    g_autoptr(GPtrArray) xmls = format_all(ctrls, (NvpFormatFunc)nvp_controller_format);

    nvp_dbus_controllers1_complete_list(skel, inv, (const char *const *)xmls->pdata);
    return TRUE;
}

static gboolean
on_ctrl_get(NvpDBusControllers1 *skel, GDBusMethodInvocation *inv, const char *name, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_get(s->pool, name, &error);
    g_autofree char *xml = NULL;

    if (!c) {
        return_error(inv, error);
        return TRUE;
    }
    xml = nvp_controller_format(c);
    nvp_dbus_controllers1_complete_get(skel, inv, xml);
    return TRUE;
}

static gboolean
on_ctrl_adopt(NvpDBusControllers1 *skel, GDBusMethodInvocation *inv, const char *name,
              gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(s->pool, name, &error);
    g_autofree char *xml = NULL;

    if (!c) {
        g_message("ctrl-adopt %s refused: %s", name, error->message);
        return_error(inv, error);
        return TRUE;
    }
    g_message("Adopted controller %s (serial '%s').", c->name, c->serial ? c->serial : "");
    xml = nvp_controller_format(c);
    nvp_dbus_controllers1_complete_adopt(skel, inv, xml);
    return TRUE;
}

static gboolean
on_ctrl_release(NvpDBusControllers1 *skel, GDBusMethodInvocation *inv, const char *name,
                gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;

    if (!nvp_pool_ctrl_release(s->pool, name, &error)) {
        return_error(inv, error);
        return TRUE;
    }
    g_message("Released controller %s.", name);
    nvp_dbus_controllers1_complete_release(skel, inv);
    return TRUE;
}

/* --- Volumes1 --- */

static gboolean
on_vol_list(NvpDBusVolumes1 *skel, GDBusMethodInvocation *inv, const char *ctrl, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) vols = nvp_pool_vol_list(s->pool, ctrl, &error);
    g_autoptr(GPtrArray) xmls = NULL;

    if (!vols) {
        return_error(inv, error);
        return TRUE;
    }
    xmls = format_all(vols, (NvpFormatFunc)nvp_volume_format);
    nvp_dbus_volumes1_complete_list(skel, inv, (const char *const *)xmls->pdata);
    return TRUE;
}

static gboolean
on_vol_get(NvpDBusVolumes1 *skel, GDBusMethodInvocation *inv, const char *name, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpVolume) v = nvp_pool_vol_get(s->pool, name, &error);
    g_autofree char *xml = NULL;

    if (!v) {
        return_error(inv, error);
        return TRUE;
    }
    xml = nvp_volume_format(v);
    nvp_dbus_volumes1_complete_get(skel, inv, xml);
    return TRUE;
}

static gboolean
on_vol_create(NvpDBusVolumes1 *skel, GDBusMethodInvocation *inv, const char *xml_in, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpVolume) def = NULL;
    g_autoptr(NvpVolume) v = NULL;
    g_autofree char *xml = NULL;

    if (!check_xml_size(inv, xml_in))
        return TRUE;
    def = nvp_volume_parse_string(xml_in, "volume XML", &error);
    if (def)
        v = nvp_pool_vol_create(s->pool, def, &error);
    if (!v) {
        return_error(inv, error);
        return TRUE;
    }
    g_message("Created volume '%s' on %s namespace %u, LBA %" G_GUINT64_FORMAT
              " + %" G_GUINT64_FORMAT ".",
              v->name, v->controller, v->nsid, v->lba, v->blocks);
    xml = nvp_volume_format(v);
    nvp_dbus_volumes1_complete_create(skel, inv, xml);
    return TRUE;
}

static gboolean
on_vol_resize(NvpDBusVolumes1 *skel, GDBusMethodInvocation *inv, const char *name, guint64 capacity,
              gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpVolume) v = nvp_pool_vol_resize(s->pool, name, capacity, &error);
    g_autofree char *xml = NULL;

    if (!v) {
        return_error(inv, error);
        return TRUE;
    }
    xml = nvp_volume_format(v);
    nvp_dbus_volumes1_complete_resize(skel, inv, xml);
    return TRUE;
}

static gboolean
on_vol_delete(NvpDBusVolumes1 *skel, GDBusMethodInvocation *inv, const char *name, gboolean wipe,
              gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;

    if (!nvp_pool_vol_delete(s->pool, name, wipe, &error)) {
        return_error(inv, error);
        return TRUE;
    }
    g_message("Deleted volume '%s'%s.", name, wipe ? " (wiped)" : "");
    nvp_dbus_volumes1_complete_delete(skel, inv);
    return TRUE;
}

/* --- Slices1 --- */

static gboolean
on_slice_list(NvpDBusSlices1 *skel, GDBusMethodInvocation *inv, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GPtrArray) slices = nvp_pool_slice_list(s->pool);
    g_autoptr(GPtrArray) xmls = format_all(slices, (NvpFormatFunc)nvp_slice_format);

    nvp_dbus_slices1_complete_list(skel, inv, (const char *const *)xmls->pdata);
    return TRUE;
}

static gboolean
on_slice_get(NvpDBusSlices1 *skel, GDBusMethodInvocation *inv, const char *volume, gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpSlice) sl = nvp_pool_slice_get(s->pool, volume, &error);
    g_autofree char *xml = NULL;

    if (!sl) {
        return_error(inv, error);
        return TRUE;
    }
    xml = nvp_slice_format(sl);
    nvp_dbus_slices1_complete_get(skel, inv, xml);
    return TRUE;
}

static gboolean
on_slice_activate(NvpDBusSlices1 *skel, GDBusMethodInvocation *inv, const char *xml_in,
                  gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpSlice) req = NULL;
    g_autoptr(NvpSlice) sl = NULL;
    g_autofree char *xml = NULL;

    if (!check_xml_size(inv, xml_in))
        return TRUE;
    req = nvp_slice_parse_string(xml_in, "slice XML", &error);
    if (req)
        sl = nvp_pool_slice_activate(s->pool, req, &error);
    if (!sl) {
        return_error(inv, error);
        return TRUE;
    }
    g_message("Activated slice of volume '%s' for domain %s (%u queue pairs, %s) at %s.",
              sl->volume, sl->domain_uuid, sl->queues, nvp_isolation_to_string(sl->isolation),
              sl->socket_path);
    xml = nvp_slice_format(sl);
    nvp_dbus_slices1_complete_activate(skel, inv, xml);
    return TRUE;
}

static gboolean
on_slice_deactivate(NvpDBusSlices1 *skel, GDBusMethodInvocation *inv, const char *volume,
                    gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;

    if (!nvp_pool_slice_deactivate(s->pool, volume, &error)) {
        return_error(inv, error);
        return TRUE;
    }
    g_message("Deactivated slice of volume '%s'.", volume);
    nvp_dbus_slices1_complete_deactivate(skel, inv);
    return TRUE;
}

/* --- events, credentials, connections --- */

static void
on_pool_event(NvpPoolObject kind, const char *name, const char *event, gpointer data)
{
    NvpApiServer *s = data;

    switch (kind) {
    case NVP_POOL_OBJECT_CONTROLLER:
        nvp_dbus_controllers1_emit_changed(s->ctrl_skel, name, event);
        break;
    case NVP_POOL_OBJECT_VOLUME:
        nvp_dbus_volumes1_emit_changed(s->vol_skel, name, event);
        break;
    case NVP_POOL_OBJECT_SLICE:
        nvp_dbus_slices1_emit_changed(s->slice_skel, name, event);
        break;
    }
}

static gboolean
uid_in_group(uid_t uid, gid_t gid)
{
    struct passwd pw, *pwp = NULL;
    struct group gr, *grp = NULL;
    char buf[16384];

    if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp) {
        if (pwp->pw_gid == gid)
            return TRUE;
        {
            g_autofree char *user = g_strdup(pwp->pw_name);
            if (getgrgid_r(gid, &gr, buf, sizeof(buf), &grp) == 0 && grp) {
                for (char **m = grp->gr_mem; m && *m; m++)
                    if (g_strcmp0(*m, user) == 0)
                        return TRUE;
            }
        }
    }
    return FALSE;
}

static gboolean
on_authorize(GDBusAuthObserver *observer, GIOStream *stream, GCredentials *credentials,
             gpointer data)
{
    NvpApiServer *s = data;
    g_autoptr(GError) error = NULL;
    uid_t uid;

    if (!credentials) {
        g_message("API: refused a client without credentials");
        return FALSE;
    }
    uid = g_credentials_get_unix_user(credentials, &error);
    if (uid == (uid_t)-1) {
        g_message("API: refused a client: %s", error->message);
        return FALSE;
    }
    if (uid == 0 || uid == geteuid() || (s->have_group && uid_in_group(uid, s->gid)))
        return TRUE;
    g_message("API: refused uid %u: neither root nor in the agent's group", (guint)uid);
    return FALSE;
}

static gboolean
on_allow_mechanism(GDBusAuthObserver *observer, const char *mechanism, gpointer data)
{
    return g_strcmp0(mechanism, "EXTERNAL") == 0;
}

static void
export_all(NvpApiServer *s, GDBusConnection *conn)
{
    GDBusInterfaceSkeleton *skels[] = {
        G_DBUS_INTERFACE_SKELETON(s->agent_skel),
        G_DBUS_INTERFACE_SKELETON(s->ctrl_skel),
        G_DBUS_INTERFACE_SKELETON(s->vol_skel),
        G_DBUS_INTERFACE_SKELETON(s->slice_skel),
    };

    for (guint i = 0; i < G_N_ELEMENTS(skels); i++) {
        g_autoptr(GError) error = NULL;
        if (!g_dbus_interface_skeleton_export(skels[i], conn, NVP_API_OBJECT_PATH, &error))
            g_warning("API: cannot export an interface: %s", error->message);
    }
}

static void
unexport_all(NvpApiServer *s, GDBusConnection *conn)
{
    GDBusInterfaceSkeleton *skels[] = {
        G_DBUS_INTERFACE_SKELETON(s->agent_skel),
        G_DBUS_INTERFACE_SKELETON(s->ctrl_skel),
        G_DBUS_INTERFACE_SKELETON(s->vol_skel),
        G_DBUS_INTERFACE_SKELETON(s->slice_skel),
    };

    for (guint i = 0; i < G_N_ELEMENTS(skels); i++)
        if (g_dbus_interface_skeleton_has_connection(skels[i], conn))
            g_dbus_interface_skeleton_unexport_from_connection(skels[i], conn);
}

static void
on_closed(GDBusConnection *conn, gboolean remote_peer_vanished, GError *error, gpointer data)
{
    NvpApiServer *s = data;

    unexport_all(s, conn);
    g_signal_handlers_disconnect_by_data(conn, s);
    g_ptr_array_remove(s->connections, conn);
}

static gboolean
on_new_connection(GDBusServer *server, GDBusConnection *conn, gpointer data)
{
    NvpApiServer *s = data;

    if (s->connections->len >= NVP_API_MAX_CONNECTIONS) {
        g_message("API: refused a connection: %u clients are connected already",
                  s->connections->len);
        return FALSE;
    }
    g_ptr_array_add(s->connections, g_object_ref(conn));
    g_signal_connect(conn, "closed", G_CALLBACK(on_closed), s);
    export_all(s, conn);
    return TRUE;
}

/* A socket file someone still listens on means another agent. */
static gboolean
prepare_socket_path(const char *path, GError **error)
{
    g_autofree char *dir = g_path_get_dirname(path);
    g_autoptr(GSocketClient) client = NULL;
    g_autoptr(GSocketAddress) addr = NULL;
    g_autoptr(GSocketConnection) conn = NULL;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int errsv = errno;
        g_set_error(error, NVP_API_ERROR, NVP_API_ERROR_SOCKET,
                    _("cannot create the directory %s of the API socket: %s"), dir,
                    g_strerror(errsv));
        return FALSE;
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        return TRUE;
    client = g_socket_client_new();
    addr = g_unix_socket_address_new(path);
    conn = g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), NULL, NULL);
    if (conn) {
        g_set_error(error, NVP_API_ERROR, NVP_API_ERROR_SOCKET,
                    _("another agent is already listening on %s"), path);
        return FALSE;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        int errsv = errno;
        g_set_error(error, NVP_API_ERROR, NVP_API_ERROR_SOCKET,
                    _("cannot remove the stale socket %s: %s"), path, g_strerror(errsv));
        return FALSE;
    }
    return TRUE;
}

NvpApiServer *
nvp_api_server_new(NvpPool *pool, const NvpApiServerOptions *opts, GError **error)
{
    g_autoptr(NvpApiServer) s = g_new0(NvpApiServer, 1);
    g_autofree char *guid = g_dbus_generate_guid();
    g_autofree char *address = NULL;
    g_autofree char *escaped = NULL;
    const char *path = opts && opts->socket_path ? opts->socket_path : NVP_API_DEFAULT_SOCKET;

    s->pool = pool;
    s->socket_path = g_strdup(path);
    s->connections = g_ptr_array_new_with_free_func(g_object_unref);
    if (opts && opts->group && *opts->group) {
        struct group gr, *grp = NULL;
        char buf[16384];
        if (getgrnam_r(opts->group, &gr, buf, sizeof(buf), &grp) != 0 || !grp) {
            g_set_error(error, NVP_API_ERROR, NVP_API_ERROR_GROUP,
                        _("the API group '%s' does not exist"), opts->group);
            return NULL;
        }
        s->have_group = TRUE;
        s->gid = grp->gr_gid;
    }
    if (!prepare_socket_path(path, error))
        return NULL;

    s->agent_skel = nvp_dbus_agent1_skeleton_new();
    s->ctrl_skel = nvp_dbus_controllers1_skeleton_new();
    s->vol_skel = nvp_dbus_volumes1_skeleton_new();
    s->slice_skel = nvp_dbus_slices1_skeleton_new();
    g_signal_connect(s->agent_skel, "handle-get-version", G_CALLBACK(on_get_version), s);
    g_signal_connect(s->agent_skel, "handle-get-stats", G_CALLBACK(on_get_stats), s);
    g_signal_connect(s->ctrl_skel, "handle-list", G_CALLBACK(on_ctrl_list), s);
    g_signal_connect(s->ctrl_skel, "handle-get", G_CALLBACK(on_ctrl_get), s);
    g_signal_connect(s->ctrl_skel, "handle-adopt", G_CALLBACK(on_ctrl_adopt), s);
    g_signal_connect(s->ctrl_skel, "handle-release", G_CALLBACK(on_ctrl_release), s);
    g_signal_connect(s->vol_skel, "handle-list", G_CALLBACK(on_vol_list), s);
    g_signal_connect(s->vol_skel, "handle-get", G_CALLBACK(on_vol_get), s);
    g_signal_connect(s->vol_skel, "handle-create", G_CALLBACK(on_vol_create), s);
    g_signal_connect(s->vol_skel, "handle-resize", G_CALLBACK(on_vol_resize), s);
    g_signal_connect(s->vol_skel, "handle-delete", G_CALLBACK(on_vol_delete), s);
    g_signal_connect(s->slice_skel, "handle-list", G_CALLBACK(on_slice_list), s);
    g_signal_connect(s->slice_skel, "handle-get", G_CALLBACK(on_slice_get), s);
    g_signal_connect(s->slice_skel, "handle-activate", G_CALLBACK(on_slice_activate), s);
    g_signal_connect(s->slice_skel, "handle-deactivate", G_CALLBACK(on_slice_deactivate), s);

    s->observer = g_dbus_auth_observer_new();
    g_signal_connect(s->observer, "authorize-authenticated-peer", G_CALLBACK(on_authorize), s);
    g_signal_connect(s->observer, "allow-mechanism", G_CALLBACK(on_allow_mechanism), s);
    escaped = g_dbus_address_escape_value(path);
    address = g_strdup_printf("unix:path=%s", escaped);
    s->server =
        g_dbus_server_new_sync(address, G_DBUS_SERVER_FLAGS_NONE, guid, s->observer, NULL, error);
    if (!s->server) {
        g_prefix_error(error, _("cannot listen on %s: "), path);
        return NULL;
    }
    g_signal_connect(s->server, "new-connection", G_CALLBACK(on_new_connection), s);
    g_dbus_server_start(s->server);
    if (chmod(path, 0660) < 0 || (s->have_group && chown(path, 0, s->gid) < 0 && geteuid() == 0)) {
        int errsv = errno;
        g_set_error(error, NVP_API_ERROR, NVP_API_ERROR_SOCKET,
                    _("cannot set the permissions of %s: %s"), path, g_strerror(errsv));
        return NULL;
    }
    nvp_pool_set_event_func(pool, on_pool_event, s);
    return g_steal_pointer(&s);
}

void
nvp_api_server_free(NvpApiServer *s)
{
    if (!s)
        return;
    if (s->pool)
        nvp_pool_set_event_func(s->pool, NULL, NULL);
    if (s->server) {
        g_dbus_server_stop(s->server);
        g_clear_object(&s->server);
        unlink(s->socket_path);
    }
    while (s->connections && s->connections->len > 0) {
        GDBusConnection *conn = g_object_ref(s->connections->pdata[s->connections->len - 1]);
        unexport_all(s, conn);
        g_signal_handlers_disconnect_by_data(conn, s);
        g_ptr_array_remove_index(s->connections, s->connections->len - 1);
        g_dbus_connection_close_sync(conn, NULL, NULL);
        g_object_unref(conn);
    }
    g_clear_pointer(&s->connections, g_ptr_array_unref);
    g_clear_object(&s->observer);
    g_clear_object(&s->agent_skel);
    g_clear_object(&s->ctrl_skel);
    g_clear_object(&s->vol_skel);
    g_clear_object(&s->slice_skel);
    g_free(s->socket_path);
    g_free(s);
}

const char *
nvp_api_server_get_socket_path(NvpApiServer *s)
{
    return s->socket_path;
}
