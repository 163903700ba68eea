/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML editing for attached volumes through libvirt's public API: the persistent
 * definition (virDomainDefineXML), live metadata (virDomainSetMetadata) and hot plug through
 * QMP device_add/device_del (virDomainQemuMonitorCommand). */
#include "driver/domain.h"

#include <json-glib/json-glib.h>
#include <libvirt/libvirt-qemu.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/i18n.h"
#include "common/xml.h"
#include "driver/virt.h"

#define NVP_HOTUNPLUG_POLL_MS 100

static xmlDoc *
nvp_domain_get_doc(virDomainPtr dom, unsigned int flags, GError **error)
{
    g_autofree char *xml = virDomainGetXMLDesc(dom, flags);

    if (!xml) {
        g_autofree char *context =
            g_strdup_printf(_("cannot read the XML of domain '%s'"), virDomainGetName(dom));
        nvp_virt_set_error(error, context);
        return NULL;
    }
    return nvp_xml_parse_string(xml, virDomainGetName(dom), NULL, error);
}

NvpDomainInfo *
nvp_domain_get_info(virDomainPtr dom, gboolean inactive, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_domain_get_doc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0, error);

    if (!doc)
        return NULL;
    return nvp_domain_info_from_node(xmlDocGetRootElement(doc), error);
}

gboolean
nvp_domain_has_acpi(virDomainPtr dom)
{
    g_autoptr(xmlDoc) doc = nvp_domain_get_doc(dom, VIR_DOMAIN_XML_INACTIVE, NULL);

    return !doc || nvp_domain_xml_has_acpi(xmlDocGetRootElement(doc));
}

static gboolean
nvp_domain_define(virDomainPtr dom, xmlDoc *doc, GError **error)
{
    g_autofree char *xml = nvp_domain_xml_to_string(doc);
    g_autoptr(virDomain) defined = NULL;

    /* VALIDATE: libvirt checks the result against its own domain schema before storing it. */
    defined = virDomainDefineXMLFlags(virDomainGetConnect(dom), xml, VIR_DOMAIN_DEFINE_VALIDATE);
    if (!defined) {
        g_autofree char *context =
            g_strdup_printf(_("cannot define domain '%s'"), virDomainGetName(dom));
        nvp_virt_set_error(error, context);
        return FALSE;
    }
    return TRUE;
}

static gboolean
nvp_domain_check_persistent(virDomainPtr dom, GError **error)
{
    if (virDomainIsPersistent(dom) != 1) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_STATE,
                    _("domain '%s' is transient, so it has no persistent definition to change; "
                      "use --live"),
                    virDomainGetName(dom));
        return FALSE;
    }
    return TRUE;
}

NvpDomainVolume *
nvp_domain_attach_config(virDomainPtr dom, const char *volume, guint queues, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;

    if (!nvp_domain_check_persistent(dom, error))
        return NULL;
    if (!(doc = nvp_domain_get_doc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, error)))
        return NULL;
    if (!(vol = nvp_domain_xml_plug(doc, volume, queues, error)))
        return NULL;
    if (!nvp_domain_define(dom, doc, error))
        return NULL;
    return g_steal_pointer(&vol);
}

gboolean
nvp_domain_detach_config(virDomainPtr dom, const char *volume, NvpDomainVolume **detached,
                         GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;

    if (!nvp_domain_check_persistent(dom, error))
        return FALSE;
    if (!(doc = nvp_domain_get_doc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, error)))
        return FALSE;
    if (!nvp_domain_xml_unplug(doc, volume, &vol, error))
        return FALSE;
    if (!nvp_domain_define(dom, doc, error))
        return FALSE;
    if (detached)
        *detached = g_steal_pointer(&vol);
    return TRUE;
}

static gboolean
nvp_domain_check_active(virDomainPtr dom, GError **error)
{
    if (virDomainIsActive(dom) != 1) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_STATE,
                    _("domain '%s' is not running; use --config to change its definition"),
                    virDomainGetName(dom));
        return FALSE;
    }
    return TRUE;
}

NvpDomainVolume *
nvp_domain_live_reserve(virDomainPtr dom, const char *volume, guint queues, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;

    if (!nvp_domain_check_active(dom, error) || !(doc = nvp_domain_get_doc(dom, 0, error)))
        return NULL;
    return nvp_domain_xml_reserve_live(doc, volume, queues, error);
}

/* Send one QMP command; the reply's "return" member goes to @ret (may be NULL). QMP errors
 * become NVP_DOMAIN_ERROR_QMP with QEMU's description. */
static gboolean
nvp_domain_qmp(virDomainPtr dom, const char *command, JsonNode **ret, GError **error)
{
    g_autofree char *reply = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonObject *obj;

    if (virDomainQemuMonitorCommand(dom, command, &reply, VIR_DOMAIN_QEMU_MONITOR_COMMAND_DEFAULT) <
        0) {
        g_autofree char *context =
            g_strdup_printf(_("cannot send a monitor command to domain '%s'"),
                            virDomainGetName(dom));
        nvp_virt_set_error(error, context);
        return FALSE;
    }
    if (!json_parser_load_from_data(parser, reply, -1, NULL) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_QMP,
                    _("QEMU of domain '%1$s' sent a reply that is not a JSON object: %2$s"),
                    virDomainGetName(dom), reply);
        return FALSE;
    }
    obj = json_node_get_object(json_parser_get_root(parser));
    if (json_object_has_member(obj, "error")) {
        JsonObject *err = json_object_get_object_member(obj, "error");
        const char *desc = err && json_object_has_member(err, "desc")
                               ? json_object_get_string_member(err, "desc")
                               : reply;

        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_QMP, "%s", desc);
        return FALSE;
    }
    if (ret && json_object_has_member(obj, "return"))
        *ret = json_node_copy(json_object_get_member(obj, "return"));
    return TRUE;
}

static gboolean
nvp_domain_set_live_metadata(virDomainPtr dom, const NvpDomainMetadata *md, GError **error)
{
    g_autofree char *xml = md->volumes->len ? nvp_domain_metadata_format(md, FALSE) : NULL;

    if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml,
                             xml ? NVP_DOMAIN_METADATA_PREFIX : NULL, NVP_DOMAIN_METADATA_URI,
                             VIR_DOMAIN_AFFECT_LIVE) < 0) {
        g_autofree char *context =
            g_strdup_printf(_("cannot record the volumes of running domain '%s'"),
                            virDomainGetName(dom));
        nvp_virt_set_error(error, context);
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_domain_hotplug(virDomainPtr dom, const NvpDomainVolume *vol, GError **error)
{
    g_autofree char *args = nvp_domain_device_json(vol);
    g_autofree char *cmd = g_strdup_printf("{\"execute\":\"device_add\",\"arguments\":%s}", args);
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(GError) local = NULL;

    if (!nvp_domain_qmp(dom, cmd, NULL, &local)) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_QMP,
                    _("QEMU of domain '%1$s' refused to add volume '%2$s': %3$s"),
                    virDomainGetName(dom), vol->name, local->message);
        return FALSE;
    }
    if (!(info = nvp_domain_get_info(dom, FALSE, error)))
        return FALSE;
    g_ptr_array_add(info->metadata->volumes, nvp_domain_volume_copy(vol));
    return nvp_domain_set_live_metadata(dom, info->metadata, error);
}

static gboolean
nvp_domain_device_present(virDomainPtr dom, const char *device_id, gboolean *present,
                          GError **error)
{
    g_autofree char *cmd = g_strdup_printf(
        "{\"execute\":\"qom-list\",\"arguments\":{\"path\":\"/machine/peripheral\"}}");
    g_autoptr(JsonNode) ret = NULL;
    JsonArray *list;

    if (!nvp_domain_qmp(dom, cmd, &ret, error))
        return FALSE;
    *present = FALSE;
    if (!JSON_NODE_HOLDS_ARRAY(ret))
        return TRUE;
    list = json_node_get_array(ret);
    for (guint i = 0; i < json_array_get_length(list); i++) {
        JsonObject *prop = json_array_get_object_element(list, i);

        if (prop && json_object_has_member(prop, "name") &&
            g_strcmp0(json_object_get_string_member(prop, "name"), device_id) == 0)
            *present = TRUE;
    }
    return TRUE;
}

gboolean
nvp_domain_hotunplug(virDomainPtr dom, const char *volume, guint timeout_ms,
                     NvpDomainVolume **detached, GError **error)
{
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *cmd = NULL;
    g_autofree char *id_json = NULL;
    NvpDomainVolume *vol;
    gboolean present = TRUE;
    gint64 deadline;

    if (!nvp_domain_check_active(dom, error) || !(info = nvp_domain_get_info(dom, FALSE, error)))
        return FALSE;
    if (!(vol = nvp_domain_metadata_find(info->metadata, volume))) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NOT_ATTACHED,
                    _("volume '%1$s' is not attached to running domain '%2$s'"), volume,
                    info->name);
        return FALSE;
    }

    {
        g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), vol->device_id);

        id_json = json_to_string(node, FALSE);
    }
    cmd = g_strdup_printf("{\"execute\":\"device_del\",\"arguments\":{\"id\":%s}}", id_json);
    if (!nvp_domain_qmp(dom, cmd, NULL, &local)) {
        /* A repeated detach while the guest is still releasing the device, or a device that
         * is already gone: both go on to waiting and cleaning up. */
        if (!strstr(local->message, "in the process of unplug") &&
            !strstr(local->message, "not found")) {
            g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_QMP,
                        _("QEMU of domain '%1$s' refused to remove volume '%2$s': %3$s"),
                        info->name, volume, local->message);
            return FALSE;
        }
    }

    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    for (;;) {
        if (!nvp_domain_device_present(dom, vol->device_id, &present, error))
            return FALSE;
        if (!present || g_get_monotonic_time() >= deadline)
            break;
        g_usleep(NVP_HOTUNPLUG_POLL_MS * 1000);
    }
    if (present) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_TIMEOUT,
                    _("the guest of domain '%1$s' has not released volume '%2$s' after %3$u ms; "
                      "its slice stays active: run detach-volume --live again later"),
                    info->name, volume, timeout_ms);
        return FALSE;
    }

    if (detached)
        *detached = nvp_domain_volume_copy(vol);
    nvp_domain_metadata_remove(info->metadata, volume);
    return nvp_domain_set_live_metadata(dom, info->metadata, error);
}
