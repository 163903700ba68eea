/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* XML helpers: libxml2 parsing with RelaxNG validation against schemas/, XPath value getters that
 * report the offending line, and an escaping, indenting writer. */
#include "common/xml.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <string.h>

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-xml-error-quark, nvp_xml_error)

/* libxml2 2.12 made the structured error callback take a const xmlError *. */
#if LIBXML_VERSION >= 21200
#define NVP_XML_ERROR_CONST const
#else
#define NVP_XML_ERROR_CONST
#endif

/* Documents we parse are small descriptions, never DTD-driven: no entity expansion from outside,
 * no network, no noise on stderr (errors are collected and reported through GError). */
#define NVP_XML_PARSE_OPTIONS \
    (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES | \
     XML_PARSE_NOBLANKS)

static void
nvp_xml_init(void)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        xmlInitParser();
        g_once_init_leave(&once, 1);
    }
}

const char *
nvp_xml_schema_dir(void)
{
    const char *env = g_getenv("NVP_SCHEMA_DIR");

    if (env && *env)
        return env;
    if (g_file_test(NVP_SCHEMADIR, G_FILE_TEST_IS_DIR))
        return NVP_SCHEMADIR;
    return NVP_SRC_SCHEMADIR;
}

char *
nvp_xml_schema_path(const char *schema)
{
    if (strchr(schema, '/'))
        return g_strdup(schema);
    if (g_str_has_suffix(schema, ".rng"))
        return g_build_filename(nvp_xml_schema_dir(), schema, NULL);
    return g_strdup_printf("%s/%s.rng", nvp_xml_schema_dir(), schema);
}

/* Collects the first error libxml2 reports through a structured error callback. */
typedef struct {
    char *message;
    char *file;
    int line;
    guint count;
} NvpXmlErrorSink;

static void
nvp_xml_error_sink_clear(NvpXmlErrorSink *sink)
{
    g_clear_pointer(&sink->message, g_free);
    g_clear_pointer(&sink->file, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(NvpXmlErrorSink, nvp_xml_error_sink_clear)

static void
nvp_xml_error_sink_record(NvpXmlErrorSink *sink, const xmlError *err)
{
    if (!err || err->level == XML_ERR_WARNING)
        return;
    sink->count++;
    if (sink->message)
        return;
    sink->message = g_strstrip(g_strdup(err->message ? err->message : "unknown error"));
    sink->file = g_strdup(err->file);
    sink->line = err->line;
    /* RelaxNG errors often carry the node rather than a line. */
    if (sink->line <= 0 && err->node)
        sink->line = (int)nvp_xml_node_line(err->node);
}

/* Structured error callback for RelaxNG contexts; @data is the sink. */
static void
nvp_xml_error_sink_add(void *data, NVP_XML_ERROR_CONST xmlError *err)
{
    nvp_xml_error_sink_record(data, err);
}

/* Parser errors arrive with the parser context as data; the sink hangs off its _private. */
static void
nvp_xml_parser_error(void *data, NVP_XML_ERROR_CONST xmlError *err)
{
    xmlParserCtxt *pctxt = data;

    nvp_xml_error_sink_record(pctxt->_private, err);
}

static const char *
nvp_xml_doc_name(const xmlDoc *doc)
{
    return doc && doc->URL ? (const char *)doc->URL : "<xml>";
}

/* Cache of loaded schemas, keyed by path. A loaded xmlRelaxNG is read-only and may be shared;
 * validation contexts are per call. Entries live for the life of the process. */
static GMutex schema_lock;
static GHashTable *schema_cache;

static xmlRelaxNG *
nvp_xml_schema_load(const char *schema, GError **error)
{
    g_autofree char *path = nvp_xml_schema_path(schema);
    g_autoptr(xmlRelaxNGParserCtxt) pctxt = NULL;
    g_auto(NvpXmlErrorSink) sink = { 0 };
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&schema_lock);
    xmlRelaxNG *rng;

    nvp_xml_init();
    if (!schema_cache)
        schema_cache =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)xmlRelaxNGFree);
    rng = g_hash_table_lookup(schema_cache, path);
    if (rng)
        return rng;

    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA,
                    _("Schema '%s' not found (looked for %s)."), schema, path);
        return NULL;
    }
    pctxt = xmlRelaxNGNewParserCtxt(path);
    if (!pctxt) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA,
                    _("Cannot create a RelaxNG parser for %s."), path);
        return NULL;
    }
    xmlRelaxNGSetParserStructuredErrors(pctxt, nvp_xml_error_sink_add, &sink);
    rng = xmlRelaxNGParse(pctxt);
    if (!rng) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA,
                    _("Schema %s:%d is not valid RelaxNG: %s"), sink.file ? sink.file : path,
                    sink.line, sink.message ? sink.message : "unknown error");
        return NULL;
    }
    g_hash_table_insert(schema_cache, g_steal_pointer(&path), rng);
    return rng;
}

gboolean
nvp_xml_validate(xmlDoc *doc, const char *schema, GError **error)
{
    g_autoptr(xmlRelaxNGValidCtxt) vctxt = NULL;
    g_auto(NvpXmlErrorSink) sink = { 0 };
    xmlRelaxNG *rng;
    int rc;

    g_return_val_if_fail(doc != NULL, FALSE);
    g_return_val_if_fail(schema != NULL, FALSE);

    rng = nvp_xml_schema_load(schema, error);
    if (!rng)
        return FALSE;
    vctxt = xmlRelaxNGNewValidCtxt(rng);
    if (!vctxt) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA,
                    _("Cannot create a RelaxNG validation context for schema '%s'."), schema);
        return FALSE;
    }
    xmlRelaxNGSetValidStructuredErrors(vctxt, nvp_xml_error_sink_add, &sink);
    rc = xmlRelaxNGValidateDoc(vctxt, doc);
    if (rc != 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_INVALID,
                    _("%s:%d: document does not match schema '%s': %s"), nvp_xml_doc_name(doc),
                    sink.line, schema, sink.message ? sink.message : "validation failed");
        return FALSE;
    }
    return TRUE;
}

xmlDoc *
nvp_xml_parse_string(const char *text, const char *name, const char *schema, GError **error)
{
    g_autoptr(xmlParserCtxt) pctxt = NULL;
    g_auto(NvpXmlErrorSink) sink = { 0 };
    g_autoptr(xmlDoc) doc = NULL;
    gsize len;

    g_return_val_if_fail(text != NULL, NULL);

    nvp_xml_init();
    if (!name)
        name = "<xml>";
    len = strlen(text);
    if (len > G_MAXINT) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE, _("%s: document is too large."),
                    name);
        return NULL;
    }
    pctxt = xmlNewParserCtxt();
    if (!pctxt) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE,
                    _("%s: cannot allocate an XML parser."), name);
        return NULL;
    }
    /* The parser reports every error after the first too; the first is the one to show. */
    pctxt->_private = &sink;
    pctxt->sax->serror = nvp_xml_parser_error;
    doc = xmlCtxtReadMemory(pctxt, text, (int)len, name, NULL, NVP_XML_PARSE_OPTIONS);
    if (!doc || !pctxt->wellFormed) {
        const xmlError *err = xmlCtxtGetLastError(pctxt);

        if (!sink.message && err)
            nvp_xml_error_sink_record(&sink, err);
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE, _("%s:%d: malformed XML: %s"), name,
                    sink.line, sink.message ? sink.message : "not well-formed");
        return NULL;
    }
    if (!xmlDocGetRootElement(doc)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE,
                    _("%s: document has no root element."), name);
        return NULL;
    }
    if (schema && !nvp_xml_validate(doc, schema, error))
        return NULL;
    return g_steal_pointer(&doc);
}

xmlDoc *
nvp_xml_parse_file(const char *path, const char *schema, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(path != NULL, NULL);

    if (!g_file_get_contents(path, &text, NULL, &local)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE, _("Cannot read %s: %s"), path,
                    local->message);
        return NULL;
    }
    return nvp_xml_parse_string(text, path, schema, error);
}

long
nvp_xml_node_line(const xmlNode *node)
{
    if (!node)
        return 0;
    if (node->type == XML_ATTRIBUTE_NODE || node->type == XML_TEXT_NODE)
        node = node->parent;
    if (!node)
        return 0;
    return xmlGetLineNo(node) > 0 ? xmlGetLineNo(node) : 0;
}

static const char *
nvp_xml_node_doc_name(const xmlNode *node)
{
    return nvp_xml_doc_name(node ? node->doc : NULL);
}

static xmlXPathObject *
nvp_xml_eval(xmlNode *node, const char *xpath, GError **error)
{
    g_autoptr(xmlXPathContext) ctxt = NULL;
    g_auto(NvpXmlErrorSink) sink = { 0 };
    xmlXPathObject *obj;

    ctxt = xmlXPathNewContext(node->doc);
    if (!ctxt) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_XPATH,
                    _("Cannot allocate an XPath context."));
        return NULL;
    }
    ctxt->node = node;
    ctxt->error = nvp_xml_error_sink_add;
    ctxt->userData = &sink;
    obj = xmlXPathEvalExpression((const xmlChar *)xpath, ctxt);
    if (!obj) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_XPATH,
                    _("Invalid XPath expression '%s': %s"), xpath,
                    sink.message ? sink.message : "evaluation failed");
        return NULL;
    }
    return obj;
}

/* The string @xpath selects, or NULL (with *found_node set to where it came from, for error
 * lines). Fails only on a bad expression or result type. */
static gboolean
nvp_xml_eval_string(xmlNode *node, const char *xpath, char **value, xmlNode **found_node,
                    GError **error)
{
    g_autoptr(xmlXPathObject) obj = NULL;

    g_return_val_if_fail(node != NULL, FALSE);
    g_return_val_if_fail(xpath != NULL, FALSE);

    *value = NULL;
    *found_node = node;
    obj = nvp_xml_eval(node, xpath, error);
    if (!obj)
        return FALSE;

    switch (obj->type) {
    case XPATH_NODESET:
        if (obj->nodesetval && obj->nodesetval->nodeNr > 0) {
            xmlNode *first = obj->nodesetval->nodeTab[0];
            g_autoptr(xmlChar) content = xmlNodeGetContent(first);

            *found_node = first;
            if (content)
                *value = g_strdup((const char *)content);
        }
        return TRUE;
    case XPATH_STRING:
        if (obj->stringval && obj->stringval[0])
            *value = g_strdup((const char *)obj->stringval);
        return TRUE;
    default:
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_XPATH,
                    _("XPath expression '%s' does not select a node set or a string."), xpath);
        return FALSE;
    }
}

static gboolean
nvp_xml_missing(xmlNode *node, const char *xpath, NvpXmlPresence presence, GError **error)
{
    if (presence == NVP_XML_OPTIONAL)
        return TRUE;
    g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_MISSING,
                _("%s:%ld: required '%s' is missing in element <%s>."), nvp_xml_node_doc_name(node),
                nvp_xml_node_line(node), xpath, (const char *)node->name);
    return FALSE;
}

gboolean
nvp_xml_get_string(xmlNode *node, const char *xpath, NvpXmlPresence presence, char **value,
                   GError **error)
{
    g_autofree char *str = NULL;
    xmlNode *found = NULL;

    g_return_val_if_fail(value != NULL, FALSE);

    if (!nvp_xml_eval_string(node, xpath, &str, &found, error))
        return FALSE;
    if (!str)
        return nvp_xml_missing(node, xpath, presence, error);
    g_free(*value);
    *value = g_steal_pointer(&str);
    return TRUE;
}

gboolean
nvp_xml_get_uint64(xmlNode *node, const char *xpath, NvpXmlPresence presence, guint64 min,
                   guint64 max, guint64 *value, GError **error)
{
    g_autofree char *str = NULL;
    xmlNode *found = NULL;
    const char *digits;
    char *end = NULL;
    guint base = 10;
    guint64 v;

    g_return_val_if_fail(value != NULL, FALSE);

    if (!nvp_xml_eval_string(node, xpath, &str, &found, error))
        return FALSE;
    if (!str)
        return nvp_xml_missing(node, xpath, presence, error);

    g_strstrip(str);
    digits = str;
    if (g_str_has_prefix(digits, "0x") || g_str_has_prefix(digits, "0X")) {
        base = 16;
        digits += 2;
    }
    /* g_ascii_strtoull would accept signs and leading blanks: insist on digits only. */
    if (!g_ascii_isxdigit(digits[0]) || (base == 10 && !g_ascii_isdigit(digits[0])))
        goto bad;
    errno = 0;
    v = g_ascii_strtoull(digits, &end, base);
    if (errno != 0 || !end || *end != '\0')
        goto bad;
    if (v < min || v > max) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("%s:%ld: '%s' is %s, outside the range %llu..%llu."),
                    nvp_xml_node_doc_name(found), nvp_xml_node_line(found), xpath, str,
                    (unsigned long long)min, (unsigned long long)max);
        return FALSE;
    }
    *value = v;
    return TRUE;

bad:
    g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                _("%s:%ld: '%s' must be an unsigned integer, not '%s'."),
                nvp_xml_node_doc_name(found), nvp_xml_node_line(found), xpath, str);
    return FALSE;
}

gboolean
nvp_xml_get_uint(xmlNode *node, const char *xpath, NvpXmlPresence presence, guint min, guint max,
                 guint *value, GError **error)
{
    guint64 v = *value;

    if (!nvp_xml_get_uint64(node, xpath, presence, min, max, &v, error))
        return FALSE;
    *value = (guint)v;
    return TRUE;
}

gboolean
nvp_xml_get_bool(xmlNode *node, const char *xpath, NvpXmlPresence presence, gboolean *value,
                 GError **error)
{
    g_autofree char *str = NULL;
    xmlNode *found = NULL;

    g_return_val_if_fail(value != NULL, FALSE);

    if (!nvp_xml_eval_string(node, xpath, &str, &found, error))
        return FALSE;
    if (!str)
        return nvp_xml_missing(node, xpath, presence, error);
    if (g_str_equal(str, "yes")) {
        *value = TRUE;
    } else if (g_str_equal(str, "no")) {
        *value = FALSE;
    } else {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("%s:%ld: '%s' must be 'yes' or 'no', not '%s'."),
                    nvp_xml_node_doc_name(found), nvp_xml_node_line(found), xpath, str);
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_xml_get_enum(xmlNode *node, const char *xpath, NvpXmlPresence presence,
                 NvpXmlEnumFromString from_string, int *value, GError **error)
{
    g_autofree char *str = NULL;
    xmlNode *found = NULL;
    int v;

    g_return_val_if_fail(value != NULL, FALSE);
    g_return_val_if_fail(from_string != NULL, FALSE);

    if (!nvp_xml_eval_string(node, xpath, &str, &found, error))
        return FALSE;
    if (!str)
        return nvp_xml_missing(node, xpath, presence, error);
    v = from_string(str);
    if (v < 0) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("%s:%ld: '%s' has the unknown value '%s'."), nvp_xml_node_doc_name(found),
                    nvp_xml_node_line(found), xpath, str);
        return FALSE;
    }
    *value = v;
    return TRUE;
}

GPtrArray *
nvp_xml_get_nodes(xmlNode *node, const char *xpath, GError **error)
{
    g_autoptr(xmlXPathObject) obj = NULL;
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();

    g_return_val_if_fail(node != NULL, NULL);
    g_return_val_if_fail(xpath != NULL, NULL);

    obj = nvp_xml_eval(node, xpath, error);
    if (!obj)
        return NULL;
    if (obj->type != XPATH_NODESET) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_XPATH,
                    _("XPath expression '%s' does not select a node set."), xpath);
        return NULL;
    }
    for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
        xmlNode *n = obj->nodesetval->nodeTab[i];

        if (n->type == XML_ELEMENT_NODE)
            g_ptr_array_add(nodes, n);
    }
    return g_steal_pointer(&nodes);
}

/* ---- writer ---- */

typedef struct {
    char *name;
    gboolean has_children;
    gboolean has_text;
} NvpXmlWriterLevel;

struct _NvpXmlWriter {
    GString *buf;
    GArray *stack;     /* NvpXmlWriterLevel */
    gboolean tag_open; /* "<name attr=..." written, '>' not yet */
};

static void
nvp_xml_writer_level_clear(gpointer data)
{
    NvpXmlWriterLevel *level = data;

    g_free(level->name);
}

NvpXmlWriter *
nvp_xml_writer_new(void)
{
    NvpXmlWriter *w = g_new0(NvpXmlWriter, 1);

    w->buf = g_string_new(NULL);
    w->stack = g_array_new(FALSE, TRUE, sizeof(NvpXmlWriterLevel));
    g_array_set_clear_func(w->stack, nvp_xml_writer_level_clear);
    return w;
}

void
nvp_xml_writer_free(NvpXmlWriter *w)
{
    if (!w)
        return;
    if (w->buf)
        g_string_free(w->buf, TRUE);
    g_array_unref(w->stack);
    g_free(w);
}

static NvpXmlWriterLevel *
nvp_xml_writer_top(NvpXmlWriter *w)
{
    if (w->stack->len == 0)
        return NULL;
    return &g_array_index(w->stack, NvpXmlWriterLevel, w->stack->len - 1);
}

static void
nvp_xml_writer_indent(NvpXmlWriter *w)
{
    for (guint i = 0; i < w->stack->len; i++)
        g_string_append(w->buf, "  ");
}

static gboolean
nvp_xml_name_ok(const char *name)
{
    return name && xmlValidateNCName((const xmlChar *)name, 0) == 0;
}

void
nvp_xml_writer_start(NvpXmlWriter *w, const char *name)
{
    NvpXmlWriterLevel *top;
    NvpXmlWriterLevel level = { 0 };

    g_return_if_fail(w != NULL);
    g_return_if_fail(nvp_xml_name_ok(name));

    top = nvp_xml_writer_top(w);
    g_return_if_fail(top == NULL ? w->buf->len == 0 : !top->has_text);
    if (top) {
        if (w->tag_open)
            g_string_append(w->buf, ">\n");
        top->has_children = TRUE;
    }
    nvp_xml_writer_indent(w);
    g_string_append_printf(w->buf, "<%s", name);
    level.name = g_strdup(name);
    g_array_append_val(w->stack, level);
    w->tag_open = TRUE;
}

void
nvp_xml_writer_attr(NvpXmlWriter *w, const char *name, const char *value)
{
    g_return_if_fail(w != NULL);
    g_return_if_fail(w->tag_open);
    g_return_if_fail(nvp_xml_name_ok(name));

    if (!value)
        return;
    g_string_append_printf(w->buf, " %s=\"", name);
    nvp_xml_escape(w->buf, value, TRUE);
    g_string_append_c(w->buf, '"');
}

void
nvp_xml_writer_attr_printf(NvpXmlWriter *w, const char *name, const char *fmt, ...)
{
    g_autofree char *value = NULL;
    va_list ap;

    va_start(ap, fmt);
    value = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    nvp_xml_writer_attr(w, name, value);
}

void
nvp_xml_writer_attr_uint64(NvpXmlWriter *w, const char *name, guint64 value)
{
    nvp_xml_writer_attr_printf(w, name, "%" G_GUINT64_FORMAT, value);
}

void
nvp_xml_writer_text(NvpXmlWriter *w, const char *text)
{
    NvpXmlWriterLevel *top;

    g_return_if_fail(w != NULL);
    g_return_if_fail(text != NULL);
    top = nvp_xml_writer_top(w);
    g_return_if_fail(top != NULL);
    g_return_if_fail(!top->has_children);

    if (w->tag_open) {
        g_string_append_c(w->buf, '>');
        w->tag_open = FALSE;
    }
    top->has_text = TRUE;
    nvp_xml_escape(w->buf, text, FALSE);
}

void
nvp_xml_writer_element(NvpXmlWriter *w, const char *name, const char *text)
{
    if (!text)
        return;
    nvp_xml_writer_start(w, name);
    nvp_xml_writer_text(w, text);
    nvp_xml_writer_end(w);
}

void
nvp_xml_writer_element_printf(NvpXmlWriter *w, const char *name, const char *fmt, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    nvp_xml_writer_element(w, name, text);
}

void
nvp_xml_writer_end(NvpXmlWriter *w)
{
    NvpXmlWriterLevel *top;

    g_return_if_fail(w != NULL);
    top = nvp_xml_writer_top(w);
    g_return_if_fail(top != NULL);

    if (w->tag_open) {
        g_string_append(w->buf, "/>\n");
    } else if (top->has_text) {
        g_string_append_printf(w->buf, "</%s>\n", top->name);
    } else {
        /* The last child ended its line: indent the end tag to this element's depth. */
        for (guint i = 1; i < w->stack->len; i++)
            g_string_append(w->buf, "  ");
        g_string_append_printf(w->buf, "</%s>\n", top->name);
    }
    w->tag_open = FALSE;
    g_array_set_size(w->stack, w->stack->len - 1);
}

char *
nvp_xml_writer_finish(NvpXmlWriter *w)
{
    g_autoptr(NvpXmlWriter) owned = w;

    g_return_val_if_fail(w != NULL, NULL);
    g_return_val_if_fail(w->stack->len == 0, NULL);

    return g_string_free(g_steal_pointer(&owned->buf), FALSE);
}

static gboolean
nvp_xml_char_ok(gunichar c)
{
    /* XML 1.0 Char production. */
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

void
nvp_xml_escape(GString *out, const char *text, gboolean attr)
{
    const char *p = text;
    const char *end = text + strlen(text);

    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);

        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append(out, "\xEF\xBF\xBD");
            p++;
            continue;
        }
        switch (c) {
        case '&':
            g_string_append(out, "&amp;");
            break;
        case '<':
            g_string_append(out, "&lt;");
            break;
        case '>':
            g_string_append(out, "&gt;");
            break;
        case '"':
            g_string_append(out, attr ? "&quot;" : "\"");
            break;
        case '\n':
            g_string_append(out, attr ? "&#10;" : "\n");
            break;
        case '\r':
            g_string_append(out, "&#13;");
            break;
        case '\t':
            g_string_append(out, attr ? "&#9;" : "\t");
            break;
        default:
            if (nvp_xml_char_ok(c))
                g_string_append_len(out, p, g_utf8_next_char(p) - p);
            else
                g_string_append(out, "\xEF\xBF\xBD");
            break;
        }
        p = g_utf8_next_char(p);
    }
}
