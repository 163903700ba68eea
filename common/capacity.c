/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parse/format of <capacity unit='...'>N</capacity>-style elements. */
#include "common/capacity.h"

#include "common/i18n.h"
#include "common/units.h"

gboolean
nvp_capacity_parse(xmlNode *node, const char *name, NvpXmlPresence presence, guint64 *bytes,
                   GError **error)
{
    g_autofree char *value_xpath = g_strdup(name);
    g_autofree char *unit = NULL;
    g_autoptr(GError) local = NULL;
    guint64 value = G_MAXUINT64;
    guint64 scaled;
    gboolean have = FALSE;

    if (!nvp_xml_get_uint64(node, value_xpath, presence, 0, G_MAXUINT64, &value, error))
        return FALSE;
    /* The getter leaves value untouched when the element is absent. */
    {
        g_autoptr(GPtrArray) nodes = nvp_xml_get_nodes(node, name, error);
        if (!nodes)
            return FALSE;
        have = nodes->len > 0;
        if (have)
            node = g_ptr_array_index(nodes, 0);
    }
    if (!have)
        return TRUE;
    if (!nvp_xml_get_string(node, "@unit", NVP_XML_OPTIONAL, &unit, error))
        return FALSE;
    if (!nvp_units_scale(value, unit, &scaled, &local)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE, _("line %ld: <%s>: %s"),
                    nvp_xml_node_line(node), name, local->message);
        return FALSE;
    }
    *bytes = scaled;
    return TRUE;
}

void
nvp_capacity_format(NvpXmlWriter *w, const char *name, guint64 bytes)
{
    g_autofree char *text = g_strdup_printf("%" G_GUINT64_FORMAT, bytes);

    nvp_xml_writer_start(w, name);
    nvp_xml_writer_attr(w, "unit", "bytes");
    nvp_xml_writer_text(w, text);
    nvp_xml_writer_end(w);
}
