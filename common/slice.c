/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpSlice: model object and parse/format of <slice>. */
#include "common/slice.h"

#include "common/i18n.h"
#include "common/pciaddr.h"

NVP_ENUM_IMPL(nvp_slice_state, NvpSliceState, NVP_SLICE_STATE_LAST, "active", "connected", "failed")

NvpSlice *
nvp_slice_new(void)
{
    NvpSlice *slice = g_new0(NvpSlice, 1);

    return slice;
}

NvpSlice *
nvp_slice_copy(const NvpSlice *slice)
{
    NvpSlice *copy = g_memdup2(slice, sizeof(*slice));

    copy->volume = g_strdup(slice->volume);
    copy->controller = g_strdup(slice->controller);
    copy->domain_uuid = g_strdup(slice->domain_uuid);
    copy->domain_name = g_strdup(slice->domain_name);
    copy->socket_path = g_strdup(slice->socket_path);
    return copy;
}

void
nvp_slice_free(NvpSlice *slice)
{
    if (!slice)
        return;
    g_free(slice->volume);
    g_free(slice->controller);
    g_free(slice->domain_uuid);
    g_free(slice->domain_name);
    g_free(slice->socket_path);
    g_free(slice);
}

NvpSlice *
nvp_slice_parse_node(xmlNode *root, GError **error)
{
    g_autoptr(NvpSlice) slice = nvp_slice_new();
    long line = nvp_xml_node_line(root);
    int isolation = NVP_ISOLATION_STRICT;
    int state = NVP_SLICE_STATE_ACTIVE;
    guint uid = 0, gid = 0;
    g_autofree char *lower = NULL;

    if (!nvp_xml_get_string(root, "volume", NVP_XML_REQUIRED, &slice->volume, error) ||
        !nvp_xml_get_string(root, "controller", NVP_XML_OPTIONAL, &slice->controller, error) ||
        !nvp_xml_get_string(root, "domain/@uuid", NVP_XML_REQUIRED, &slice->domain_uuid, error) ||
        !nvp_xml_get_string(root, "domain/@name", NVP_XML_OPTIONAL, &slice->domain_name, error) ||
        !nvp_xml_get_uint(root, "queues", NVP_XML_OPTIONAL, 0, NVP_VOLUME_QUEUES_MAX,
                          &slice->queues, error) ||
        !nvp_xml_get_enum(root, "isolation", NVP_XML_OPTIONAL,
                          (NvpXmlEnumFromString)nvp_isolation_from_string, &isolation, error) ||
        !nvp_xml_get_string(root, "socket", NVP_XML_OPTIONAL, &slice->socket_path, error) ||
        !nvp_xml_get_uint(root, "owner/@uid", NVP_XML_OPTIONAL, 0, G_MAXUINT32, &uid, error) ||
        !nvp_xml_get_uint(root, "owner/@gid", NVP_XML_OPTIONAL, 0, G_MAXUINT32, &gid, error) ||
        !nvp_xml_get_enum(root, "state", NVP_XML_OPTIONAL,
                          (NvpXmlEnumFromString)nvp_slice_state_from_string, &state, error) ||
        !nvp_xml_get_uint64(root, "counters/@submitted", NVP_XML_OPTIONAL, 0, G_MAXUINT64,
                            &slice->counters.submitted, error) ||
        !nvp_xml_get_uint64(root, "counters/@completed", NVP_XML_OPTIONAL, 0, G_MAXUINT64,
                            &slice->counters.completed, error) ||
        !nvp_xml_get_uint64(root, "counters/@rejected", NVP_XML_OPTIONAL, 0, G_MAXUINT64,
                            &slice->counters.rejected, error) ||
        !nvp_xml_get_uint64(root, "counters/@doorbells", NVP_XML_OPTIONAL, 0, G_MAXUINT64,
                            &slice->counters.doorbells, error))
        return NULL;
    slice->isolation = isolation;
    slice->state = state;
    slice->uid = uid;
    slice->gid = gid;
    if (!nvp_volume_name_is_valid(slice->volume)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: invalid volume name '%s'"), line, slice->volume);
        return NULL;
    }
    lower = g_ascii_strdown(slice->domain_uuid, -1);
    if (!g_uuid_string_is_valid(lower)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: invalid domain UUID '%s'"), line, slice->domain_uuid);
        return NULL;
    }
    g_free(slice->domain_uuid);
    slice->domain_uuid = g_steal_pointer(&lower);
    if (slice->controller) {
        NvpPciAddr addr;
        g_autoptr(GError) local = NULL;
        if (!nvp_pci_addr_parse(slice->controller, &addr, &local)) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE, _("line %ld: %s"), line,
                        local->message);
            return NULL;
        }
    }
    return g_steal_pointer(&slice);
}

NvpSlice *
nvp_slice_parse_string(const char *xml, const char *name, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_string(xml, name, "slice", error);

    if (!doc)
        return NULL;
    return nvp_slice_parse_node(xmlDocGetRootElement(doc), error);
}

char *
nvp_slice_format(const NvpSlice *slice)
{
    g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();

    nvp_xml_writer_start(w, "slice");
    nvp_xml_writer_element(w, "volume", slice->volume);
    nvp_xml_writer_element(w, "controller", slice->controller);
    nvp_xml_writer_start(w, "domain");
    nvp_xml_writer_attr(w, "uuid", slice->domain_uuid);
    nvp_xml_writer_attr(w, "name", slice->domain_name);
    nvp_xml_writer_end(w);
    nvp_xml_writer_element_printf(w, "queues", "%u", slice->queues);
    nvp_xml_writer_element(w, "isolation", nvp_isolation_to_string(slice->isolation));
    nvp_xml_writer_element(w, "socket", slice->socket_path);
    nvp_xml_writer_start(w, "owner");
    nvp_xml_writer_attr_printf(w, "uid", "%u", slice->uid);
    nvp_xml_writer_attr_printf(w, "gid", "%u", slice->gid);
    nvp_xml_writer_end(w);
    nvp_xml_writer_element(w, "state", nvp_slice_state_to_string(slice->state));
    nvp_xml_writer_start(w, "counters");
    nvp_xml_writer_attr_uint64(w, "submitted", slice->counters.submitted);
    nvp_xml_writer_attr_uint64(w, "completed", slice->counters.completed);
    nvp_xml_writer_attr_uint64(w, "rejected", slice->counters.rejected);
    nvp_xml_writer_attr_uint64(w, "doorbells", slice->counters.doorbells);
    nvp_xml_writer_end(w);
    nvp_xml_writer_end(w);
    return nvp_xml_writer_finish(g_steal_pointer(&w));
}
