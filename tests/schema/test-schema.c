/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Validates every XML fixture under tests/ against the schemas/ *.rng whose start element it is
 * (by namespace and name), including our elements embedded in foreign documents (e.g. the
 * metadata inside libvirt domain XML). Negative fixtures are skipped: they live in directories
 * named bad, invalid or refused, or are named malformed*.xml, and their own unit tests check
 * them. tests/common/data holds unit-test schemas and is skipped too. */
#include <string.h>

#include "common/cleanup.h"
#include "common/xml.h"

typedef struct {
    char *path; /* schemas/NAME.rng */
    char *ns;   /* namespace of the start element, "" for none */
    char *name; /* local name of the start element, NULL for a library (basictypes) */
} Schema;

static GPtrArray *schemas; /* Schema */
static guint n_checked, n_foreign;

static const char *
srcdir(void)
{
    const char *d = g_getenv("NVP_SRCDIR");

    return d ? d : ".";
}

static xmlNode *
first_element(xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE)
            return n;
    }
    return NULL;
}

static char *
inherited_ns(xmlNode *n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
        g_autoptr(xmlChar) ns = xmlGetProp(n, (const xmlChar *)"ns");

        if (ns)
            return g_strdup((const char *)ns);
    }
    return g_strdup("");
}

/* The start element of a schema: <start><element name=...> or <start><ref name=D/> with
 * <define name=D><element name=...>. */
static void
schema_find_start(Schema *s, xmlDoc *doc)
{
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *start = NULL;
    xmlNode *el;

    for (xmlNode *n = first_element(root->children); n; n = first_element(n->next)) {
        if (xmlStrEqual(n->name, (const xmlChar *)"start"))
            start = n;
    }
    if (!start)
        return;
    el = first_element(start->children);
    if (el && xmlStrEqual(el->name, (const xmlChar *)"ref")) {
        g_autoptr(xmlChar) ref = xmlGetProp(el, (const xmlChar *)"name");

        el = NULL;
        for (xmlNode *n = first_element(root->children); n && ref; n = first_element(n->next)) {
            g_autoptr(xmlChar) name = xmlGetProp(n, (const xmlChar *)"name");

            if (xmlStrEqual(n->name, (const xmlChar *)"define") && xmlStrEqual(name, ref))
                el = first_element(n->children);
        }
    }
    if (el && xmlStrEqual(el->name, (const xmlChar *)"element")) {
        g_autoptr(xmlChar) name = xmlGetProp(el, (const xmlChar *)"name");

        s->name = g_strdup((const char *)name);
        s->ns = inherited_ns(el);
    }
}

static void
schema_free(gpointer data)
{
    Schema *s = data;

    g_free(s->path);
    g_free(s->ns);
    g_free(s->name);
    g_free(s);
}

/* Every schema parses as RelaxNG (and its includes resolve). */
static void
test_schema_loads(gconstpointer data)
{
    const Schema *s = data;
    g_autoptr(xmlRelaxNGParserCtxt) pctxt = NULL;
    g_autoptr(xmlRelaxNG) rng = NULL;
    g_autofree char *wrapper = NULL;

    if (s->name) {
        pctxt = xmlRelaxNGNewParserCtxt(s->path);
    } else {
        /* A library of definitions (no <start>): load it through a grammar including it. */
        g_autofree char *uri = g_filename_to_uri(s->path, NULL, NULL);

        wrapper = g_strdup_printf("<grammar xmlns='http://relaxng.org/ns/structure/1.0'>"
                                  "<include href='%s'/><start><element name='x'><empty/>"
                                  "</element></start></grammar>",
                                  uri);
        pctxt = xmlRelaxNGNewMemParserCtxt(wrapper, (int)strlen(wrapper));
    }
    g_assert_nonnull(pctxt);
    rng = xmlRelaxNGParse(pctxt);
    g_assert_nonnull(rng);
}

/* The schema of @node: by name and namespace; below the root only namespaced schemas count
 * (libvirt's own <controller> is not ours). */
static const Schema *
schema_for(xmlNode *node)
{
    const char *ns = node->ns && node->ns->href ? (const char *)node->ns->href : "";
    gboolean is_root = node->parent && node->parent->type == XML_DOCUMENT_NODE;

    for (guint i = 0; i < schemas->len; i++) {
        const Schema *s = schemas->pdata[i];

        if (s->name && g_str_equal(s->name, (const char *)node->name) && g_str_equal(s->ns, ns) &&
            (is_root || *s->ns))
            return s;
    }
    return NULL;
}

/* Our elements in @node's subtree (not descending into a match). */
static void
collect(xmlNode *node, GPtrArray *out)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (schema_for(node))
            g_ptr_array_add(out, node);
        else
            collect(node->children, out);
    }
}

static void
test_fixture(gconstpointer data)
{
    const char *path = data;
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = nvp_xml_parse_file(path, NULL, &error);
    g_autoptr(GPtrArray) nodes = g_ptr_array_new();

    g_assert_no_error(error);
    collect(xmlDocGetRootElement(doc), nodes);
    if (nodes->len == 0) {
        n_foreign++;
        g_test_skip("no element of ours in this document");
        return;
    }
    for (guint i = 0; i < nodes->len; i++) {
        xmlNode *node = nodes->pdata[i];
        const Schema *s = schema_for(node);
        g_autoptr(xmlDoc) sub = xmlNewDoc((const xmlChar *)"1.0");

        sub->URL = xmlStrdup(doc->URL);
        xmlDocSetRootElement(sub, xmlDocCopyNode(node, sub, 1));
        if (!nvp_xml_validate(sub, s->path, &error))
            g_error("%s (element <%s> from line %ld)", error->message, (const char *)node->name,
                    nvp_xml_node_line(node));
        n_checked++;
    }
}

static gboolean
negative_fixture(const char *dir, const char *name)
{
    g_autofree char *base = g_path_get_basename(dir);

    return g_str_equal(base, "bad") || g_str_equal(base, "invalid") ||
           g_str_equal(base, "refused") || g_str_has_suffix(base, "-refused") ||
           g_str_has_prefix(name, "malformed");
}

static void
find_fixtures(const char *dir, GPtrArray *out)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = g_build_filename(dir, name, NULL);

        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            g_autofree char *skip = g_build_filename(srcdir(), "tests", "common", "data", NULL);

            if (!g_str_equal(path, skip))
                find_fixtures(path, out);
        } else if (g_str_has_suffix(name, ".xml") && !negative_fixture(dir, name)) {
            g_ptr_array_add(out, g_steal_pointer(&path));
        }
    }
}

static int
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Runs last: says what was checked, so "zero fixtures" is visible rather than silent. */
static void
test_inventory(gconstpointer data)
{
    guint n_fixtures = GPOINTER_TO_UINT(data);

    g_test_message("%u schemas, %u fixture files: %u elements validated, %u files without "
                   "elements of ours",
                   schemas->len, n_fixtures, n_checked, n_foreign);
    g_assert_cmpuint(schemas->len, >, 0);
    g_assert_cmpuint(n_checked + n_foreign, >=, n_fixtures);
}

int
main(int argc, char **argv)
{
    g_autofree char *schemadir = g_build_filename(srcdir(), "schemas", NULL);
    g_autofree char *testsdir = g_build_filename(srcdir(), "tests", NULL);
    g_autoptr(GPtrArray) fixtures = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = NULL;
    const char *name;
    int ret;

    g_test_init(&argc, &argv, NULL);
    schemas = g_ptr_array_new_with_free_func(schema_free);

    d = g_dir_open(schemadir, 0, NULL);
    while (d && (name = g_dir_read_name(d))) {
        Schema *s;
        g_autoptr(GError) error = NULL;
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *test = NULL;

        if (!g_str_has_suffix(name, ".rng"))
            continue;
        s = g_new0(Schema, 1);
        s->path = g_build_filename(schemadir, name, NULL);
        doc = nvp_xml_parse_file(s->path, NULL, &error);
        if (doc)
            schema_find_start(s, doc);
        g_ptr_array_add(schemas, s);
        test = g_strdup_printf("/schema/load/%s", name);
        g_test_add_data_func(test, s, test_schema_loads);
    }

    find_fixtures(testsdir, fixtures);
    g_ptr_array_sort(fixtures, cmp_str);
    for (guint i = 0; i < fixtures->len; i++) {
        const char *path = fixtures->pdata[i];
        g_autofree char *test = g_strdup_printf("/schema/fixture/%s", path + strlen(testsdir) + 1);

        g_test_add_data_func(test, path, test_fixture);
    }
    g_test_add_data_func("/schema/summary/counts", GUINT_TO_POINTER(fixtures->len), test_inventory);

    ret = g_test_run();
    g_clear_pointer(&schemas, g_ptr_array_unref);
    return ret;
}
