/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpVolume: model object and parse/format of <volume>. */
#include "common/volume.h"

#include <string.h>

#include "common/capacity.h"
#include "common/i18n.h"
#include "common/pciaddr.h"

NVP_ENUM_IMPL(nvp_volume_type, NvpVolumeType, NVP_VOLUME_TYPE_LAST, "extent", "namespace")
NVP_ENUM_IMPL(nvp_isolation, NvpIsolation, NVP_ISOLATION_LAST, "strict", "trusted")

NvpVolume *
nvp_volume_new(void)
{
    NvpVolume *vol = g_new0(NvpVolume, 1);

    vol->queues = NVP_VOLUME_QUEUES_DEFAULT;
    return vol;
}

NvpVolume *
nvp_volume_copy(const NvpVolume *vol)
{
    NvpVolume *copy = g_memdup2(vol, sizeof(*vol));

    copy->name = g_strdup(vol->name);
    copy->uuid = g_strdup(vol->uuid);
    copy->controller = g_strdup(vol->controller);
    return copy;
}

void
nvp_volume_free(NvpVolume *vol)
{
    if (!vol)
        return;
    g_free(vol->name);
    g_free(vol->uuid);
    g_free(vol->controller);
    g_free(vol);
}

gboolean
nvp_volume_name_is_valid(const char *name)
{
    size_t len;

    if (!name)
        return FALSE;
    len = strlen(name);
    if (len == 0 || len > NVP_VOLUME_NAME_MAX)
        return FALSE;
    if (!g_ascii_isalnum(name[0]) && name[0] != '_')
        return FALSE;
    for (size_t i = 1; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("_.+-", name[i]))
            return FALSE;
    }
    return TRUE;
}

NvpVolume *
nvp_volume_parse_node(xmlNode *root, GError **error)
{
    g_autoptr(NvpVolume) vol = nvp_volume_new();
    g_autoptr(GPtrArray) extent = NULL;
    g_autoptr(GError) local = NULL;
    NvpPciAddr addr;
    int type = NVP_VOLUME_TYPE_EXTENT;
    int isolation = NVP_ISOLATION_STRICT;
    guint nsid = 0;
    guint block_size = 0;
    long line = nvp_xml_node_line(root);

    if (!nvp_xml_get_enum(root, "@type", NVP_XML_OPTIONAL,
                          (NvpXmlEnumFromString)nvp_volume_type_from_string, &type, error) ||
        !nvp_xml_get_string(root, "name", NVP_XML_REQUIRED, &vol->name, error) ||
        !nvp_xml_get_string(root, "uuid", NVP_XML_OPTIONAL, &vol->uuid, error) ||
        !nvp_xml_get_string(root, "controller", NVP_XML_REQUIRED, &vol->controller, error) ||
        !nvp_xml_get_uint(root, "namespace", NVP_XML_OPTIONAL, 1, 0xfffffffe, &nsid, error) ||
        !nvp_capacity_parse(root, "capacity", NVP_XML_OPTIONAL, &vol->capacity, error) ||
        !nvp_xml_get_uint(root, "blocksize", NVP_XML_OPTIONAL, 512, 65536, &block_size, error) ||
        !nvp_xml_get_enum(root, "isolation", NVP_XML_OPTIONAL,
                          (NvpXmlEnumFromString)nvp_isolation_from_string, &isolation, error) ||
        !nvp_xml_get_uint(root, "queues", NVP_XML_OPTIONAL, 1, NVP_VOLUME_QUEUES_MAX, &vol->queues,
                          error))
        return NULL;
    vol->type = type;
    vol->isolation = isolation;
    vol->nsid = nsid;
    vol->block_size = block_size;

    if (!nvp_volume_name_is_valid(vol->name)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: invalid volume name '%s': use 1 to %d letters, digits, '_', '.', "
                      "'+' or '-', not starting with '.', '+' or '-'"),
                    line, vol->name, NVP_VOLUME_NAME_MAX);
        return NULL;
    }
    if (vol->uuid) {
        g_autofree char *lower = g_ascii_strdown(vol->uuid, -1);
        if (!g_uuid_string_is_valid(lower)) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE, _("line %ld: invalid UUID '%s'"),
                        line, vol->uuid);
            return NULL;
        }
        g_free(vol->uuid);
        vol->uuid = g_steal_pointer(&lower);
    }
    if (!nvp_pci_addr_parse(vol->controller, &addr, &local)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE, _("line %ld: %s"), line,
                    local->message);
        return NULL;
    }
    if (block_size & (block_size - 1)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: block size %u is not a power of two"), line, block_size);
        return NULL;
    }
    if (vol->type == NVP_VOLUME_TYPE_EXTENT && vol->capacity == 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_MISSING,
                    _("line %ld: volume '%s': an extent volume needs a non-zero <capacity>"), line,
                    vol->name);
        return NULL;
    }
    if (vol->type == NVP_VOLUME_TYPE_NAMESPACE && vol->nsid == 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_MISSING,
                    _("line %ld: volume '%s': a whole-namespace volume needs <namespace>"), line,
                    vol->name);
        return NULL;
    }

    extent = nvp_xml_get_nodes(root, "extent", error);
    if (!extent)
        return NULL;
    if (extent->len > 0) {
        xmlNode *enode = extent->pdata[0];
        if (!nvp_xml_get_uint64(enode, "@lba", NVP_XML_REQUIRED, 0, G_MAXUINT64, &vol->lba,
                                error) ||
            !nvp_xml_get_uint64(enode, "@blocks", NVP_XML_REQUIRED, 1, G_MAXUINT64, &vol->blocks,
                                error))
            return NULL;
        if (vol->block_size == 0 || vol->nsid == 0) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_MISSING,
                        _("line %ld: volume '%s': <extent> needs <namespace> and <blocksize>"),
                        nvp_xml_node_line(enode), vol->name);
            return NULL;
        }
        if (vol->blocks > G_MAXUINT64 / vol->block_size || vol->lba > G_MAXUINT64 - vol->blocks) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                        _("line %ld: volume '%s': extent is out of range"),
                        nvp_xml_node_line(enode), vol->name);
            return NULL;
        }
        if (vol->capacity && vol->capacity != vol->blocks * vol->block_size) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                        _("line %ld: volume '%s': capacity %llu bytes disagrees with the extent of "
                          "%llu blocks of %u bytes"),
                        nvp_xml_node_line(enode), vol->name, (unsigned long long)vol->capacity,
                        (unsigned long long)vol->blocks, vol->block_size);
            return NULL;
        }
        vol->has_extent = TRUE;
        vol->capacity = vol->blocks * vol->block_size;
    }
    return g_steal_pointer(&vol);
}

NvpVolume *
nvp_volume_parse_string(const char *xml, const char *name, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_string(xml, name, "volume", error);

    if (!doc)
        return NULL;
    return nvp_volume_parse_node(xmlDocGetRootElement(doc), error);
}

NvpVolume *
nvp_volume_parse_file(const char *path, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_file(path, "volume", error);

    if (!doc)
        return NULL;
    return nvp_volume_parse_node(xmlDocGetRootElement(doc), error);
}

char *
nvp_volume_format(const NvpVolume *vol)
{
    g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();

    nvp_xml_writer_start(w, "volume");
    nvp_xml_writer_attr(w, "type", nvp_volume_type_to_string(vol->type));
    nvp_xml_writer_element(w, "name", vol->name);
    nvp_xml_writer_element(w, "uuid", vol->uuid);
    nvp_xml_writer_element(w, "controller", vol->controller);
    if (vol->nsid)
        nvp_xml_writer_element_printf(w, "namespace", "%u", vol->nsid);
    if (vol->capacity)
        nvp_capacity_format(w, "capacity", vol->capacity);
    if (vol->has_extent) {
        nvp_xml_writer_start(w, "extent");
        nvp_xml_writer_attr_uint64(w, "lba", vol->lba);
        nvp_xml_writer_attr_uint64(w, "blocks", vol->blocks);
        nvp_xml_writer_end(w);
    }
    if (vol->block_size)
        nvp_xml_writer_element_printf(w, "blocksize", "%u", vol->block_size);
    nvp_xml_writer_element(w, "isolation", nvp_isolation_to_string(vol->isolation));
    nvp_xml_writer_element_printf(w, "queues", "%u", vol->queues);
    nvp_xml_writer_end(w);
    return nvp_xml_writer_finish(g_steal_pointer(&w));
}
