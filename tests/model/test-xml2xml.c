/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Round trips of the model XML (tests/model/<type>xml2xml/{in,out}) and precise errors for bad
 * input. NVP_REGENERATE_OUTPUT=1 rewrites the expected out/ files. */
#include <string.h>

#include "common/controller.h"
#include "common/slice.h"
#include "common/volume.h"

typedef char *(*RoundTripFunc)(const char *xml, const char *name, GError **error);

static char *
controller_rt(const char *xml, const char *name, GError **error)
{
    g_autoptr(NvpController) c = nvp_controller_parse_string(xml, name, error);
    return c ? nvp_controller_format(c) : NULL;
}

static char *
volume_rt(const char *xml, const char *name, GError **error)
{
    g_autoptr(NvpVolume) v = nvp_volume_parse_string(xml, name, error);
    return v ? nvp_volume_format(v) : NULL;
}

static char *
slice_rt(const char *xml, const char *name, GError **error)
{
    g_autoptr(NvpSlice) s = nvp_slice_parse_string(xml, name, error);
    return s ? nvp_slice_format(s) : NULL;
}

typedef struct {
    const char *dir; /* controllerxml2xml */
    char *in;
    char *out;
    RoundTripFunc func;
} Case;

static void
case_free(gpointer data)
{
    Case *c = data;
    g_free(c->in);
    g_free(c->out);
    g_free(c);
}

/* Parse in/X, format, compare with out/X; then the output must itself round-trip unchanged
 * (format is a fixed point of parse). */
static void
test_round_trip(gconstpointer data)
{
    const Case *c = data;
    g_autofree char *in = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *got = NULL;
    g_autofree char *again = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_get_contents(c->in, &in, NULL, &error));
    g_assert_no_error(error);
    got = c->func(in, c->in, &error);
    g_assert_no_error(error);
    g_assert_nonnull(got);
    if (g_getenv("NVP_REGENERATE_OUTPUT")) {
        g_assert_true(g_file_set_contents(c->out, got, -1, &error));
        g_assert_no_error(error);
    }
    g_assert_true(g_file_get_contents(c->out, &expected, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(got, ==, expected);
    again = c->func(got, c->out, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(again, ==, got);
}

static void
add_dir(GPtrArray *cases, const char *srcdir, const char *type, RoundTripFunc func)
{
    g_autofree char *dirname = g_strdup_printf("%sxml2xml", type);
    g_autofree char *indir = g_build_filename(srcdir, "tests", "model", dirname, "in", NULL);
    g_autoptr(GDir) dir = g_dir_open(indir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    g_assert_nonnull(dir);
    while ((entry = g_dir_read_name(dir)))
        if (g_str_has_suffix(entry, ".xml"))
            g_ptr_array_add(names, g_strdup(entry));
    g_assert_cmpuint(names->len, >, 0);
    for (guint i = 0; i < names->len; i++) {
        Case *c = g_new0(Case, 1);
        g_autofree char *path = NULL;
        c->in = g_build_filename(indir, names->pdata[i], NULL);
        c->out = g_build_filename(srcdir, "tests", "model", dirname, "out", names->pdata[i], NULL);
        c->func = func;
        path = g_strdup_printf("/model/xml2xml/%s/%s", type, (char *)names->pdata[i]);
        g_ptr_array_add(cases, c);
        g_test_add_data_func(path, c, test_round_trip);
    }
}

typedef struct {
    const char *what;
    RoundTripFunc func;
    const char *xml;
    const char *message; /* substring the error must contain */
} BadCase;

static const BadCase bad_cases[] = {
    { "malformed", volume_rt, "<volume>\n<name>x</name>\n<oops>\n</volume>", "bad.xml:4" },
    { "schema-unknown-element", volume_rt,
      "<volume>\n  <name>a</name>\n  <controller>pci_0000_00_04_0</controller>\n"
      "  <capacity>1</capacity>\n  <colour>red</colour>\n</volume>",
      "bad.xml:" },
    { "schema-bad-name", volume_rt,
      "<volume>\n  <name>../etc</name>\n  <controller>pci_0000_00_04_0</controller>\n"
      "  <capacity>1</capacity>\n</volume>",
      "bad.xml:" },
    { "bad-unit", volume_rt,
      "<volume>\n  <name>a</name>\n  <controller>pci_0000_00_04_0</controller>\n"
      "  <capacity unit='GiBB'>1</capacity>\n</volume>",
      "bad.xml:" },
    { "extent-without-capacity", volume_rt,
      "<volume>\n  <name>a</name>\n  <controller>pci_0000_00_04_0</controller>\n</volume>",
      "needs a non-zero <capacity>" },
    { "namespace-without-nsid", volume_rt,
      "<volume type='namespace'>\n  <name>a</name>\n"
      "  <controller>pci_0000_00_04_0</controller>\n</volume>",
      "needs <namespace>" },
    { "capacity-disagrees-with-extent", volume_rt,
      "<volume>\n  <name>a</name>\n  <controller>pci_0000_00_04_0</controller>\n"
      "  <namespace>1</namespace>\n  <capacity>4096</capacity>\n"
      "  <extent lba='0' blocks='1'/>\n  <blocksize>512</blocksize>\n</volume>",
      "disagrees with the extent" },
    { "queues-out-of-range", volume_rt,
      "<volume>\n  <name>a</name>\n  <controller>pci_0000_00_04_0</controller>\n"
      "  <capacity>1</capacity>\n  <queues>65</queues>\n</volume>",
      "bad.xml:5" },
    { "address-disagrees", controller_rt,
      "<controller>\n  <name>pci_0000_00_04_0</name>\n"
      "  <address domain='0' bus='0' slot='5' function='0'/>\n</controller>",
      "line 3: <address> is pci_0000_00_05_0" },
    { "duplicate-namespace", controller_rt,
      "<controller>\n  <name>pci_0000_00_04_0</name>\n"
      "  <namespace id='1'><capacity>4096</capacity><blocksize>512</blocksize></namespace>\n"
      "  <namespace id='1'><capacity>4096</capacity><blocksize>512</blocksize></namespace>\n"
      "</controller>",
      "line 4: namespace 1 is listed twice" },
    { "free-exceeds-capacity", controller_rt,
      "<controller>\n  <name>pci_0000_00_04_0</name>\n"
      "  <namespace id='1'><capacity>4096</capacity><blocksize>512</blocksize>"
      "<free>8192</free></namespace>\n</controller>",
      "exceeds its capacity" },
    { "slice-bad-uuid", slice_rt,
      "<slice>\n  <volume>a</volume>\n  <domain uuid='not-a-uuid'/>\n</slice>", "bad.xml:3" },
    { "slice-relative-socket", slice_rt,
      "<slice>\n  <volume>a</volume>\n"
      "  <domain uuid='c7a5fdbd-edaf-9455-926a-d65c16db1809'/>\n"
      "  <socket>relative.sock</socket>\n</slice>",
      "bad.xml:" },
};

/* Each bad document is refused with a message that locates the problem. */
static void
test_bad(gconstpointer data)
{
    const BadCase *b = data;
    g_autoptr(GError) error = NULL;
    g_autofree char *out = b->func(b->xml, "bad.xml", &error);

    g_assert_null(out);
    g_assert_nonnull(error);
    if (!strstr(error->message, b->message))
        g_error("expected '%s' in: %s", b->message, error->message);
}

int
main(int argc, char **argv)
{
    const char *srcdir = g_getenv("NVP_SRCDIR");
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(case_free);

    g_test_init(&argc, &argv, NULL);
    if (!srcdir)
        srcdir = NVP_SRC_SCHEMADIR "/..";
    add_dir(cases, srcdir, "controller", controller_rt);
    add_dir(cases, srcdir, "volume", volume_rt);
    add_dir(cases, srcdir, "slice", slice_rt);
    for (guint i = 0; i < G_N_ELEMENTS(bad_cases); i++) {
        g_autofree char *path = g_strdup_printf("/model/bad/%s", bad_cases[i].what);
        g_test_add_data_func(path, &bad_cases[i], test_bad);
    }
    return g_test_run();
}
