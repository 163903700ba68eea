/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XML helpers: libxml2 parsing with RelaxNG validation against schemas/, XPath value getters that
 * report the offending line, and an escaping, indenting writer. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "common/cleanup.h"

#define NVP_XML_ERROR (nvp_xml_error_quark())
GQuark nvp_xml_error_quark(void);

typedef enum {
    NVP_XML_ERROR_PARSE,   /* not well-formed XML (or unreadable file) */
    NVP_XML_ERROR_SCHEMA,  /* the RelaxNG schema itself could not be found or loaded */
    NVP_XML_ERROR_INVALID, /* well-formed, but the schema rejects it */
    NVP_XML_ERROR_MISSING, /* a required element or attribute is absent */
    NVP_XML_ERROR_VALUE,   /* a value has the wrong form or is out of range */
    NVP_XML_ERROR_XPATH,   /* the XPath expression itself is bad (a programming error) */
} NvpXmlError;

/* Directory holding the *.rng files: $NVP_SCHEMA_DIR if set, else the installed NVP_SCHEMADIR if
 * it exists, else the source tree's NVP_SRC_SCHEMADIR (uninstalled builds). */
const char *nvp_xml_schema_dir(void);

/* "volume" -> "<schema dir>/volume.rng"; a name containing '/' is taken as a path as is. */
char *nvp_xml_schema_path(const char *schema);

/* Parse @text (@name, e.g. a file name, is used in error messages and as the document URL) and,
 * if @schema is not NULL, validate it (see nvp_xml_schema_path()). External entities and network
 * access are disabled. Errors carry "name:line: " in their message. */
xmlDoc *nvp_xml_parse_string(const char *text, const char *name, const char *schema,
                             GError **error);
xmlDoc *nvp_xml_parse_file(const char *path, const char *schema, GError **error);

/* Validate an already parsed document. The first schema complaint, with its line, is reported
 * as NVP_XML_ERROR_INVALID. */
gboolean nvp_xml_validate(xmlDoc *doc, const char *schema, GError **error);

/* Line of @node in its source document (the owning element's line for attributes), 0 if
 * unknown. */
long nvp_xml_node_line(const xmlNode *node);

/*
 * XPath getters. @xpath is evaluated relative to @node ("@size", "target/@path", "string(name)").
 * When it selects nothing (or an empty string) the getter fails with NVP_XML_ERROR_MISSING if
 * @presence is NVP_XML_REQUIRED; otherwise it returns TRUE and leaves *value untouched, so callers
 * set defaults first. Bad values fail with NVP_XML_ERROR_VALUE naming the xpath and the line.
 */
typedef enum {
    NVP_XML_OPTIONAL,
    NVP_XML_REQUIRED,
} NvpXmlPresence;

typedef int (*NvpXmlEnumFromString)(const char *str);

gboolean nvp_xml_get_string(xmlNode *node, const char *xpath, NvpXmlPresence presence, char **value,
                            GError **error);
/* Decimal, or hexadecimal with a 0x prefix; must lie in [min, max]. */
gboolean nvp_xml_get_uint64(xmlNode *node, const char *xpath, NvpXmlPresence presence, guint64 min,
                            guint64 max, guint64 *value, GError **error);
gboolean nvp_xml_get_uint(xmlNode *node, const char *xpath, NvpXmlPresence presence, guint min,
                          guint max, guint *value, GError **error);
/* "yes" or "no" (libvirt's habit). */
gboolean nvp_xml_get_bool(xmlNode *node, const char *xpath, NvpXmlPresence presence,
                          gboolean *value, GError **error);
/* @from_string is an NVP_ENUM_IMPL prefix_from_string (returns -1 for unknown strings). */
gboolean nvp_xml_get_enum(xmlNode *node, const char *xpath, NvpXmlPresence presence,
                          NvpXmlEnumFromString from_string, int *value, GError **error);
/* Element nodes selected by @xpath, in document order (possibly none). NULL only when the
 * expression is bad. The array does not own the nodes. */
GPtrArray *nvp_xml_get_nodes(xmlNode *node, const char *xpath, GError **error);

/*
 * Writer: builds indented (2 spaces) XML text in a GString, escaping everything it is given.
 *
 *   g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();
 *   nvp_xml_writer_start(w, "volume");
 *   nvp_xml_writer_attr(w, "name", name);
 *   nvp_xml_writer_element_printf(w, "capacity", "%" G_GUINT64_FORMAT, bytes);
 *   nvp_xml_writer_end(w);
 *   g_autofree char *xml = nvp_xml_writer_finish(g_steal_pointer(&w));
 *
 * An element holds either text or child elements, never both. An element with neither is written
 * as <name/>. Misuse (attribute after content, unbalanced end) is a g_return_if_fail().
 */
typedef struct _NvpXmlWriter NvpXmlWriter;

NvpXmlWriter *nvp_xml_writer_new(void);
void nvp_xml_writer_free(NvpXmlWriter *w);
void nvp_xml_writer_start(NvpXmlWriter *w, const char *name);
/* NULL @value: the attribute is left out. */
void nvp_xml_writer_attr(NvpXmlWriter *w, const char *name, const char *value);
void nvp_xml_writer_attr_printf(NvpXmlWriter *w, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
void nvp_xml_writer_attr_uint64(NvpXmlWriter *w, const char *name, guint64 value);
void nvp_xml_writer_text(NvpXmlWriter *w, const char *text);
/* <name>text</name>; NULL @text: nothing is written. */
void nvp_xml_writer_element(NvpXmlWriter *w, const char *name, const char *text);
void nvp_xml_writer_element_printf(NvpXmlWriter *w, const char *name, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
void nvp_xml_writer_end(NvpXmlWriter *w);
/* Frees @w and returns its text; every element must be closed. */
char *nvp_xml_writer_finish(NvpXmlWriter *w);

/* Append @text escaped for element content (@attr FALSE) or a double-quoted attribute value.
 * Characters XML 1.0 cannot carry (control characters, invalid UTF-8) become U+FFFD. */
void nvp_xml_escape(GString *out, const char *text, gboolean attr);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpXmlWriter, nvp_xml_writer_free)
