/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scaled-integer XML elements, libvirt style: <capacity unit='G'>10</capacity>. */
#pragma once

#include <glib.h>

#include "common/xml.h"

/* Reads the child element @name of @node as value * unit (unit defaults to bytes). Absent and
 * NVP_XML_OPTIONAL: TRUE with *bytes untouched. Errors are NVP_XML_ERROR with the line. */
gboolean nvp_capacity_parse(xmlNode *node, const char *name, NvpXmlPresence presence,
                            guint64 *bytes, GError **error);
/* <name unit='bytes'>N</name> */
void nvp_capacity_format(NvpXmlWriter *w, const char *name, guint64 bytes);
