/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpNamespace: parse/format of <namespace>. */
#include "common/namespace.h"

#include "common/capacity.h"
#include "common/i18n.h"

NvpNamespace *
nvp_namespace_new(guint32 nsid, guint64 capacity, guint32 block_size)
{
    NvpNamespace *ns = g_new0(NvpNamespace, 1);

    ns->nsid = nsid;
    ns->capacity = capacity;
    ns->block_size = block_size;
    ns->free = capacity;
    return ns;
}

NvpNamespace *
nvp_namespace_copy(const NvpNamespace *ns)
{
    return g_memdup2(ns, sizeof(*ns));
}

void
nvp_namespace_free(NvpNamespace *ns)
{
    g_free(ns);
}

NvpNamespace *
nvp_namespace_parse_node(xmlNode *node, GError **error)
{
    g_autoptr(NvpNamespace) ns = g_new0(NvpNamespace, 1);
    guint nsid = 0;
    guint block_size = 0;

    if (!nvp_xml_get_uint(node, "@id", NVP_XML_REQUIRED, 1, 0xfffffffe, &nsid, error) ||
        !nvp_capacity_parse(node, "capacity", NVP_XML_REQUIRED, &ns->capacity, error) ||
        !nvp_xml_get_uint(node, "blocksize", NVP_XML_REQUIRED, 512, 65536, &block_size, error))
        return NULL;
    ns->nsid = nsid;
    ns->block_size = block_size;
    if ((block_size & (block_size - 1)) != 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: namespace %u: block size %u is not a power of two"),
                    nvp_xml_node_line(node), nsid, block_size);
        return NULL;
    }
    if (ns->capacity % block_size != 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: namespace %u: capacity %llu is not a multiple of the block size "
                      "%u"),
                    nvp_xml_node_line(node), nsid, (unsigned long long)ns->capacity, block_size);
        return NULL;
    }
    ns->free = ns->capacity;
    if (!nvp_capacity_parse(node, "free", NVP_XML_OPTIONAL, &ns->free, error))
        return NULL;
    if (ns->free > ns->capacity) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: namespace %u: free space %llu exceeds its capacity %llu"),
                    nvp_xml_node_line(node), nsid, (unsigned long long)ns->free,
                    (unsigned long long)ns->capacity);
        return NULL;
    }
    return g_steal_pointer(&ns);
}

void
nvp_namespace_format(const NvpNamespace *ns, NvpXmlWriter *w)
{
    nvp_xml_writer_start(w, "namespace");
    nvp_xml_writer_attr_printf(w, "id", "%u", ns->nsid);
    nvp_capacity_format(w, "capacity", ns->capacity);
    nvp_xml_writer_element_printf(w, "blocksize", "%u", ns->block_size);
    nvp_capacity_format(w, "free", ns->free);
    nvp_xml_writer_end(w);
}
