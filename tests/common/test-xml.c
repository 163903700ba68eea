/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/xml: schema validation with line numbers, XPath getters, the writer. */
#include <string.h>
#include <unistd.h>

#include "common/enum.h"
#include "common/xml.h"

typedef enum {
    TEST_MODE_STRICT,
    TEST_MODE_TRUSTED,
    TEST_MODE_LAST,
} TestMode;

NVP_ENUM_DECL(test_mode, TestMode);
NVP_ENUM_IMPL(test_mode, TestMode, TEST_MODE_LAST, "strict", "trusted")

static char *
schema(const char *name)
{
    return g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "common", "data", name, NULL);
}

static const char good_xml[] = "<widget name='w0' shared='yes'>\n"
                               "  <size>4096</size>\n"
                               "  <mode>trusted</mode>\n"
                               "  <part id='1'>a</part>\n"
                               "  <part id='2'>b</part>\n"
                               "</widget>\n";

static xmlDoc *
parse_good(void)
{
    g_autofree char *rng = schema("widget.rng");
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = nvp_xml_parse_string(good_xml, "good.xml", rng, &error);

    g_assert_no_error(error);
    g_assert_nonnull(doc);
    return doc;
}

/* A document the schema accepts parses, and every getter reads its values. */
static void
test_parse_valid(void)
{
    g_autoptr(xmlDoc) doc = parse_good();
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    guint64 size = 0;
    gboolean shared = FALSE;
    int mode = -1;

    g_assert_true(nvp_xml_get_string(root, "@name", NVP_XML_REQUIRED, &name, &error));
    g_assert_cmpstr(name, ==, "w0");
    g_assert_true(
        nvp_xml_get_uint64(root, "size", NVP_XML_REQUIRED, 0, G_MAXUINT64, &size, &error));
    g_assert_cmpuint(size, ==, 4096);
    g_assert_true(nvp_xml_get_bool(root, "@shared", NVP_XML_REQUIRED, &shared, &error));
    g_assert_true(shared);
    g_assert_true(
        nvp_xml_get_enum(root, "mode", NVP_XML_REQUIRED, test_mode_from_string, &mode, &error));
    g_assert_no_error(error);
    g_assert_cmpint(mode, ==, TEST_MODE_TRUSTED);
}

/* Schema-invalid input is rejected as INVALID and the message names the offending line. */
static void
test_schema_invalid_line(void)
{
    g_autofree char *rng = schema("widget.rng");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    const char *bad = "<widget name='w0'>\n"
                      "  <size>4096</size>\n"
                      "\n"
                      "  <colour>red</colour>\n"
                      "</widget>\n";

    doc = nvp_xml_parse_string(bad, "bad.xml", rng, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_INVALID);
    g_test_message("error: %s", error->message);
    g_assert_nonnull(strstr(error->message, "bad.xml:4:"));
}

/* An attribute value violating a datatype is reported on the element's line. */
static void
test_schema_invalid_datatype(void)
{
    g_autofree char *rng = schema("widget.rng");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    const char *bad = "<widget name='w0'>\n"
                      "  <size>lots</size>\n"
                      "</widget>\n";

    doc = nvp_xml_parse_string(bad, "dt.xml", rng, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_INVALID);
    g_test_message("error: %s", error->message);
    g_assert_nonnull(strstr(error->message, "dt.xml:2:"));
}

/* Malformed XML is a PARSE error with the line where the parser gave up. */
static void
test_malformed_line(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    doc = nvp_xml_parse_string("<widget>\n<size>\n</widget>\n", "m.xml", NULL, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE);
    g_test_message("error: %s", error->message);
    g_assert_nonnull(strstr(error->message, "m.xml:3:"));

    g_clear_error(&error);
    doc = nvp_xml_parse_string("", "empty.xml", NULL, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_PARSE);
}

/* A schema that does not exist or is not RelaxNG is a SCHEMA error, not a crash. */
static void
test_schema_missing_or_broken(void)
{
    g_autofree char *broken = schema("broken.rng");
    g_autofree char *missing = schema("no-such.rng");
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    doc = nvp_xml_parse_string("<x/>", "x.xml", missing, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA);
    g_clear_error(&error);

    doc = nvp_xml_parse_string("<x/>", "x.xml", broken, &error);
    g_assert_null(doc);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_SCHEMA);
}

/* Schema names resolve through $NVP_SCHEMA_DIR. */
static void
test_schema_dir_env(void)
{
    g_autofree char *dir =
        g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "common", "data", NULL);
    g_autofree char *old = g_strdup(g_getenv("NVP_SCHEMA_DIR"));
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;

    g_setenv("NVP_SCHEMA_DIR", dir, TRUE);
    path = nvp_xml_schema_path("widget");
    g_assert_true(g_str_has_suffix(path, "tests/common/data/widget.rng"));
    doc = nvp_xml_parse_string(good_xml, "good.xml", "widget", &error);
    g_assert_no_error(error);
    g_assert_nonnull(doc);
    if (old)
        g_setenv("NVP_SCHEMA_DIR", old, TRUE);
    else
        g_unsetenv("NVP_SCHEMA_DIR");
}

/* Parsing never fetches external entities (no XXE): the entity reference stays unexpanded. */
static void
test_no_external_entities(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autofree char *text = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *secret = g_build_filename(g_get_tmp_dir(), "nvp-xxe-XXXXXX", NULL);
    int fd = g_mkstemp(secret);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, "SECRET", 6), ==, 6);
    close(fd);
    xml = g_strdup_printf("<!DOCTYPE x [<!ENTITY e SYSTEM 'file://%s'>]>\n<x>&e;</x>\n", secret);
    doc = nvp_xml_parse_string(xml, "xxe.xml", NULL, &error);
    if (doc) {
        g_assert_true(nvp_xml_get_string(xmlDocGetRootElement(doc), "string(.)", NVP_XML_OPTIONAL,
                                         &text, &error));
        g_assert_true(text == NULL || strstr(text, "SECRET") == NULL);
    }
    unlink(secret);
}

/* Optional values that are absent leave the caller's default alone; required ones name the
 * xpath, the element and its line. */
static void
test_get_missing(void)
{
    g_autoptr(xmlDoc) doc = parse_good();
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(GError) error = NULL;
    g_autofree char *str = NULL;
    guint64 v = 77;
    int mode = TEST_MODE_STRICT;

    g_assert_true(nvp_xml_get_uint64(root, "@nope", NVP_XML_OPTIONAL, 0, 100, &v, &error));
    g_assert_cmpuint(v, ==, 77);
    g_assert_true(nvp_xml_get_string(root, "nothing", NVP_XML_OPTIONAL, &str, &error));
    g_assert_null(str);
    g_assert_true(
        nvp_xml_get_enum(root, "@mode", NVP_XML_OPTIONAL, test_mode_from_string, &mode, &error));
    g_assert_cmpint(mode, ==, TEST_MODE_STRICT);
    g_assert_no_error(error);

    g_assert_false(nvp_xml_get_uint64(root, "@nope", NVP_XML_REQUIRED, 0, 100, &v, &error));
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_MISSING);
    g_assert_nonnull(strstr(error->message, "good.xml:1:"));
    g_assert_nonnull(strstr(error->message, "@nope"));
    g_assert_cmpuint(v, ==, 77);
}

static xmlDoc *
parse_plain(const char *xml)
{
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = nvp_xml_parse_string(xml, "plain.xml", NULL, &error);

    g_assert_no_error(error);
    return doc;
}

/* Integers: decimal or 0x hex, no signs, blanks or trailing junk, no overflow, inside bounds;
 * the error names the line of the element holding the bad value. */
static void
test_get_uint64_forms(void)
{
    static const struct {
        const char *text;
        gboolean ok;
        guint64 value;
    } cases[] = {
        { "0", TRUE, 0 },
        { "4096", TRUE, 4096 },
        { "0x1000", TRUE, 4096 },
        { "0XfF", TRUE, 255 },
        { "18446744073709551615", TRUE, G_MAXUINT64 },
        { "18446744073709551616", FALSE, 0 },
        { "-1", FALSE, 0 },
        { "+1", FALSE, 0 },
        { "12abc", FALSE, 0 },
        { "0x", FALSE, 0 },
        { "abc", FALSE, 0 },
        { "1 2", FALSE, 0 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf("<a>\n\n<v>%s</v></a>", cases[i].text);
        g_autoptr(xmlDoc) doc = parse_plain(xml);
        g_autoptr(GError) error = NULL;
        guint64 v = 1234;
        gboolean ok;

        ok = nvp_xml_get_uint64(xmlDocGetRootElement(doc), "v", NVP_XML_REQUIRED, 0, G_MAXUINT64,
                                &v, &error);
        g_test_message("'%s' -> %d", cases[i].text, ok);
        g_assert_cmpint(ok, ==, cases[i].ok);
        if (ok) {
            g_assert_cmpuint(v, ==, cases[i].value);
        } else {
            g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE);
            g_assert_nonnull(strstr(error->message, "plain.xml:3:"));
            g_assert_cmpuint(v, ==, 1234);
        }
    }
}

/* Range limits are enforced and reported with the allowed range. */
static void
test_get_uint_range(void)
{
    g_autoptr(xmlDoc) doc = parse_plain("<a q='65' r='64'/>");
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(GError) error = NULL;
    guint v = 0;

    g_assert_true(nvp_xml_get_uint(root, "@r", NVP_XML_REQUIRED, 1, 64, &v, &error));
    g_assert_cmpuint(v, ==, 64);
    g_assert_false(nvp_xml_get_uint(root, "@q", NVP_XML_REQUIRED, 1, 64, &v, &error));
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE);
    g_assert_nonnull(strstr(error->message, "1..64"));
    g_assert_cmpuint(v, ==, 64);
}

/* Enums and booleans reject values outside their tables. */
static void
test_get_enum_bool_bad(void)
{
    g_autoptr(xmlDoc) doc = parse_plain("<a mode='lax' b='true'/>");
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(GError) error = NULL;
    gboolean b = FALSE;
    int mode = TEST_MODE_STRICT;

    g_assert_false(
        nvp_xml_get_enum(root, "@mode", NVP_XML_REQUIRED, test_mode_from_string, &mode, &error));
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE);
    g_assert_nonnull(strstr(error->message, "lax"));
    g_assert_cmpint(mode, ==, TEST_MODE_STRICT);
    g_clear_error(&error);
    g_assert_false(nvp_xml_get_bool(root, "@b", NVP_XML_REQUIRED, &b, &error));
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE);
}

/* Node lists come back in document order; bad expressions are XPATH errors. */
static void
test_get_nodes(void)
{
    g_autoptr(xmlDoc) doc = parse_good();
    xmlNode *root = xmlDocGetRootElement(doc);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) parts = NULL;
    g_autoptr(GPtrArray) none = NULL;
    g_autoptr(GPtrArray) bad = NULL;

    parts = nvp_xml_get_nodes(root, "part", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(parts->len, ==, 2);
    for (guint i = 0; i < parts->len; i++) {
        guint id = 0;

        g_assert_true(nvp_xml_get_uint(g_ptr_array_index(parts, i), "@id", NVP_XML_REQUIRED, 0, 10,
                                       &id, &error));
        g_assert_cmpuint(id, ==, i + 1);
        g_assert_cmpint(nvp_xml_node_line(g_ptr_array_index(parts, i)), ==, 4 + i);
    }
    none = nvp_xml_get_nodes(root, "nothing", &error);
    g_assert_nonnull(none);
    g_assert_cmpuint(none->len, ==, 0);

    bad = nvp_xml_get_nodes(root, "][", &error);
    g_assert_null(bad);
    g_assert_error(error, NVP_XML_ERROR, NVP_XML_ERROR_XPATH);
}

/* The writer's exact layout: 2-space indent, empty elements self-closed, text inline. */
static void
test_writer_layout(void)
{
    g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();
    g_autofree char *out = NULL;

    nvp_xml_writer_start(w, "widget");
    nvp_xml_writer_attr(w, "name", "w0");
    nvp_xml_writer_attr(w, "skipped", NULL);
    nvp_xml_writer_element_printf(w, "size", "%d", 4096);
    nvp_xml_writer_element(w, "mode", NULL);
    nvp_xml_writer_start(w, "group");
    nvp_xml_writer_start(w, "part");
    nvp_xml_writer_attr_uint64(w, "id", 7);
    nvp_xml_writer_end(w);
    nvp_xml_writer_end(w);
    nvp_xml_writer_start(w, "empty");
    nvp_xml_writer_end(w);
    nvp_xml_writer_end(w);
    out = nvp_xml_writer_finish(g_steal_pointer(&w));
    g_assert_cmpstr(out, ==,
                    "<widget name=\"w0\">\n"
                    "  <size>4096</size>\n"
                    "  <group>\n"
                    "    <part id=\"7\"/>\n"
                    "  </group>\n"
                    "  <empty/>\n"
                    "</widget>\n");
}

/* Everything the writer is given survives a parse: markup characters, quotes, newlines in
 * attributes, and bytes XML cannot carry are replaced rather than producing broken XML. */
static void
test_writer_escape_roundtrip(void)
{
    static const char *const values[] = {
        "plain",
        "a<b>&c\"d'e",
        "]]> & <!-- -->",
        "line1\nline2\ttab\r",
        "ctl\x01\x1f"
        "end",
        "bad\xff\xfeutf8",
        "caf\xc3\xa9 \xe2\x82\xac",
    };

    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();
        g_autoptr(GError) error = NULL;
        g_autoptr(xmlDoc) doc = NULL;
        g_autofree char *out = NULL;
        g_autofree char *attr = NULL;
        g_autofree char *text = NULL;
        gboolean representable = g_utf8_validate(values[i], -1, NULL) && !strchr(values[i], '\x01');

        nvp_xml_writer_start(w, "r");
        nvp_xml_writer_attr(w, "v", values[i]);
        nvp_xml_writer_element(w, "t", values[i]);
        nvp_xml_writer_end(w);
        out = nvp_xml_writer_finish(g_steal_pointer(&w));
        doc = nvp_xml_parse_string(out, "w.xml", NULL, &error);
        g_assert_no_error(error);
        g_assert_true(
            nvp_xml_get_string(xmlDocGetRootElement(doc), "@v", NVP_XML_REQUIRED, &attr, &error));
        g_assert_true(
            nvp_xml_get_string(xmlDocGetRootElement(doc), "t", NVP_XML_REQUIRED, &text, &error));
        if (representable) {
            g_assert_cmpstr(attr, ==, values[i]);
            /* Parsers normalise CR in content to LF; compare after the same step. */
            if (!strchr(values[i], '\r'))
                g_assert_cmpstr(text, ==, values[i]);
        } else {
            g_assert_true(g_utf8_validate(attr, -1, NULL));
            g_assert_nonnull(strstr(attr, "\xEF\xBF\xBD"));
        }
    }
}

/* An element holds text or children, never both, and finish() refuses unbalanced documents. */
static void
test_writer_misuse(void)
{
    if (g_test_subprocess()) {
        g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();

        nvp_xml_writer_start(w, "a");
        nvp_xml_writer_text(w, "x");
        nvp_xml_writer_start(w, "b");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*CRITICAL*");
}

static void
test_writer_unbalanced(void)
{
    if (g_test_subprocess()) {
        g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();
        g_autofree char *out = NULL;

        nvp_xml_writer_start(w, "a");
        out = nvp_xml_writer_finish(g_steal_pointer(&w));
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*CRITICAL*");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/xml/parse/valid", test_parse_valid);
    g_test_add_func("/xml/parse/schema-invalid-line", test_schema_invalid_line);
    g_test_add_func("/xml/parse/schema-invalid-datatype", test_schema_invalid_datatype);
    g_test_add_func("/xml/parse/malformed-line", test_malformed_line);
    g_test_add_func("/xml/parse/schema-missing-or-broken", test_schema_missing_or_broken);
    g_test_add_func("/xml/parse/schema-dir-env", test_schema_dir_env);
    g_test_add_func("/xml/parse/no-external-entities", test_no_external_entities);
    g_test_add_func("/xml/get/missing", test_get_missing);
    g_test_add_func("/xml/get/uint64-forms", test_get_uint64_forms);
    g_test_add_func("/xml/get/uint-range", test_get_uint_range);
    g_test_add_func("/xml/get/enum-bool-bad", test_get_enum_bool_bad);
    g_test_add_func("/xml/get/nodes", test_get_nodes);
    g_test_add_func("/xml/writer/layout", test_writer_layout);
    g_test_add_func("/xml/writer/escape-roundtrip", test_writer_escape_roundtrip);
    g_test_add_func("/xml/writer/misuse", test_writer_misuse);
    g_test_add_func("/xml/writer/unbalanced", test_writer_unbalanced);
    return g_test_run();
}
