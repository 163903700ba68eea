/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI address parsing and naming. */
#include "common/pciaddr.h"

#include <string.h>

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-pci-addr-error-quark, nvp_pci_addr_error)

static gboolean
parse_hex_field(const char *s, gsize len, guint max, guint *out)
{
    guint v = 0;

    if (len == 0 || len > 4)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        int d = g_ascii_xdigit_value(s[i]);
        if (d < 0)
            return FALSE;
        v = v * 16 + (guint)d;
    }
    if (v > max)
        return FALSE;
    *out = v;
    return TRUE;
}

gboolean
nvp_pci_addr_check(const NvpPciAddr *addr, GError **error)
{
    if (addr->domain > 0xffff || addr->bus > 0xff || addr->slot > 0x1f || addr->function > 7) {
        g_set_error(error, NVP_PCI_ADDR_ERROR, NVP_PCI_ADDR_ERROR_INVALID,
                    _("PCI address %x:%x:%x.%x is out of range (domain <= 0xffff, bus <= 0xff, "
                      "slot <= 0x1f, function <= 7)"),
                    addr->domain, addr->bus, addr->slot, addr->function);
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_pci_addr_parse(const char *str, NvpPciAddr *addr, GError **error)
{
    NvpPciAddr a = { 0 };
    g_auto(GStrv) parts = NULL;
    guint n;

    if (!str)
        str = "";
    if (g_str_has_prefix(str, "pci_")) {
        parts = g_strsplit(str + 4, "_", -1);
        n = g_strv_length(parts);
        if (n == 4 && strlen(parts[0]) == 4 && strlen(parts[1]) == 2 && strlen(parts[2]) == 2 &&
            strlen(parts[3]) == 1 && parse_hex_field(parts[0], 4, 0xffff, &a.domain) &&
            parse_hex_field(parts[1], 2, 0xff, &a.bus) &&
            parse_hex_field(parts[2], 2, 0x1f, &a.slot) &&
            parse_hex_field(parts[3], 1, 7, &a.function)) {
            *addr = a;
            return TRUE;
        }
    } else {
        const char *dot = strrchr(str, '.');
        const char *c2 = dot ? g_strrstr_len(str, dot - str, ":") : NULL;
        const char *c1 = c2 ? g_strrstr_len(str, c2 - str, ":") : NULL;
        const char *bus_start = c1 ? c1 + 1 : str;

        if (dot && c2 && strlen(dot + 1) == 1 && parse_hex_field(dot + 1, 1, 7, &a.function) &&
            parse_hex_field(c2 + 1, dot - c2 - 1, 0x1f, &a.slot) &&
            parse_hex_field(bus_start, c2 - bus_start, 0xff, &a.bus) &&
            (!c1 || parse_hex_field(str, c1 - str, 0xffff, &a.domain))) {
            *addr = a;
            return TRUE;
        }
    }
    g_set_error(error, NVP_PCI_ADDR_ERROR, NVP_PCI_ADDR_ERROR_INVALID,
                _("invalid PCI address '%s': expected pci_DDDD_BB_SS_F (e.g. pci_0000_00_04_0) or "
                  "DDDD:BB:SS.F (e.g. 0000:00:04.0)"),
                str);
    return FALSE;
}

char *
nvp_pci_addr_to_name(const NvpPciAddr *addr)
{
    return g_strdup_printf("pci_%04x_%02x_%02x_%x", addr->domain, addr->bus, addr->slot,
                           addr->function);
}

char *
nvp_pci_addr_to_bdf(const NvpPciAddr *addr)
{
    return g_strdup_printf("%04x:%02x:%02x.%x", addr->domain, addr->bus, addr->slot,
                           addr->function);
}

gboolean
nvp_pci_addr_equal(const NvpPciAddr *a, const NvpPciAddr *b)
{
    return a->domain == b->domain && a->bus == b->bus && a->slot == b->slot &&
           a->function == b->function;
}
