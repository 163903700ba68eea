/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sizes as users type them (virsh units) and PCI address names. */
#include <string.h>

#include "common/pciaddr.h"
#include "common/units.h"

static void
test_parse_ok(void)
{
    static const struct {
        const char *in;
        guint64 bytes;
    } cases[] = {
        { "4096", 4096 },
        { "10G", G_GUINT64_CONSTANT(10) << 30 },
        { "10 GiB", G_GUINT64_CONSTANT(10) << 30 },
        { "10GB", G_GUINT64_CONSTANT(10000000000) },
        { "512MiB", G_GUINT64_CONSTANT(512) << 20 },
        { "512m", G_GUINT64_CONSTANT(512) << 20 },
        { "1k", 1024 },
        { "1KB", 1000 },
        { "7b", 7 },
        { "7bytes", 7 },
        { "1.5G", G_GUINT64_CONSTANT(3) << 29 },
        { "2T", G_GUINT64_CONSTANT(2) << 40 },
        { "15E", G_GUINT64_CONSTANT(15) << 60 },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        guint64 bytes = 0;
        g_assert_true(nvp_units_parse_size(cases[i].in, &bytes, &error));
        g_assert_no_error(error);
        g_assert_cmpuint(bytes, ==, cases[i].bytes);
    }
}

static void
test_parse_bad(void)
{
    static const struct {
        const char *in;
        int code;
        const char *msg;
    } cases[] = {
        { "", NVP_UNITS_ERROR_INVALID, "expected a number" },
        { "G", NVP_UNITS_ERROR_INVALID, "expected a number" },
        { "-1G", NVP_UNITS_ERROR_INVALID, "expected a number" },
        { "10Q", NVP_UNITS_ERROR_INVALID, "unknown unit 'Q'" },
        { "10 GiBs", NVP_UNITS_ERROR_INVALID, "unknown unit 'GiBs'" },
        { "16E", NVP_UNITS_ERROR_OVERFLOW, "64 bits" },
        { "99999999999999999999", NVP_UNITS_ERROR_OVERFLOW, "64 bits" },
        { "0.3b", NVP_UNITS_ERROR_INVALID, "whole number of bytes" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        guint64 bytes = 42;
        g_assert_false(nvp_units_parse_size(cases[i].in, &bytes, &error));
        g_assert_error(error, NVP_UNITS_ERROR, cases[i].code);
        g_assert_nonnull(strstr(error->message, cases[i].msg));
        g_assert_cmpuint(bytes, ==, 42);
    }
}

static void
test_format(void)
{
    g_autofree char *a = nvp_units_format_size(G_GUINT64_CONSTANT(40) << 30);
    g_autofree char *b = nvp_units_format_size(512);
    g_autofree char *c = nvp_units_format_size(G_GUINT64_CONSTANT(3) << 29);

    g_assert_cmpstr(a, ==, "40 GiB");
    g_assert_cmpstr(b, ==, "512 B");
    g_assert_cmpstr(c, ==, "1.50 GiB");
}

static void
test_pci(void)
{
    NvpPciAddr a, b;
    g_autoptr(GError) error = NULL;
    g_autofree char *name = NULL;
    g_autofree char *bdf = NULL;

    g_assert_true(nvp_pci_addr_parse("pci_0000_00_04_0", &a, &error));
    g_assert_no_error(error);
    g_assert_true(nvp_pci_addr_parse("0000:00:04.0", &b, &error));
    g_assert_no_error(error);
    g_assert_true(nvp_pci_addr_equal(&a, &b));
    g_assert_true(nvp_pci_addr_parse("3a:1f.7", &b, &error));
    g_assert_cmpuint(b.bus, ==, 0x3a);
    g_assert_cmpuint(b.slot, ==, 0x1f);
    g_assert_cmpuint(b.function, ==, 7);
    name = nvp_pci_addr_to_name(&b);
    bdf = nvp_pci_addr_to_bdf(&b);
    g_assert_cmpstr(name, ==, "pci_0000_3a_1f_7");
    g_assert_cmpstr(bdf, ==, "0000:3a:1f.7");
    for (const char *const *bad =
             (const char *const[]){ "pci_0000_00_20_0", "pci_0000_00_04_8", "0000:00:04",
                                    "pci_00_04_0", "", "0000:100:04.0", NULL };
         *bad; bad++) {
        g_autoptr(GError) e = NULL;
        g_assert_false(nvp_pci_addr_parse(*bad, &a, &e));
        g_assert_error(e, NVP_PCI_ADDR_ERROR, NVP_PCI_ADDR_ERROR_INVALID);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/units/parse/ok", test_parse_ok);
    g_test_add_func("/units/parse/bad", test_parse_bad);
    g_test_add_func("/units/format", test_format);
    g_test_add_func("/pciaddr/parse", test_pci);
    return g_test_run();
}
