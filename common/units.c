/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parsing and printing of byte sizes with virsh-style units. */
#include "common/units.h"

#include <string.h>

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-units-error-quark, nvp_units_error)

gboolean
nvp_units_multiplier(const char *unit, guint64 *multiplier)
{
    static const char prefixes[] = "kmgtpe";
    const char *p;
    guint64 base;
    guint64 m = 1;
    size_t len;

    if (!unit || !*unit || g_ascii_strcasecmp(unit, "b") == 0 ||
        g_ascii_strcasecmp(unit, "byte") == 0 || g_ascii_strcasecmp(unit, "bytes") == 0) {
        *multiplier = 1;
        return TRUE;
    }
    p = strchr(prefixes, g_ascii_tolower(unit[0]));
    if (!p)
        return FALSE;
    len = strlen(unit);
    if (len == 1)
        base = 1024;
    else if (len == 2 && (unit[1] == 'B' || unit[1] == 'b'))
        base = 1000;
    else if (len == 3 && g_ascii_strcasecmp(unit + 1, "iB") == 0)
        base = 1024;
    else
        return FALSE;
    for (ptrdiff_t i = 0; i <= p - prefixes; i++)
        m *= base;
    *multiplier = m;
    return TRUE;
}

gboolean
nvp_units_scale(guint64 value, const char *unit, guint64 *bytes, GError **error)
{
    guint64 m;

    if (!nvp_units_multiplier(unit, &m)) {
        g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_INVALID,
                    _("unknown size unit '%s': use b, KiB, MiB, GiB, TiB (or k, M, G, T) for "
                      "powers "
                      "of 1024, or KB, MB, GB, TB for powers of 1000"),
                    unit);
        return FALSE;
    }
    if (value != 0 && m > G_MAXUINT64 / value) {
        g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_OVERFLOW, _("size %llu%s is too large"),
                    (unsigned long long)value, unit ? unit : "");
        return FALSE;
    }
    *bytes = value * m;
    return TRUE;
}

gboolean
nvp_units_parse_size(const char *str, guint64 *bytes, GError **error)
{
    const char *p = str;
    guint64 whole = 0;
    guint64 frac = 0;
    guint64 frac_div = 1;
    guint64 m;
    guint64 result;
    gboolean digits = FALSE;
    g_autofree char *unit = NULL;

    if (!str)
        str = p = "";
    while (g_ascii_isspace(*p))
        p++;
    for (; g_ascii_isdigit(*p); p++) {
        guint d = *p - '0';
        digits = TRUE;
        if (whole > (G_MAXUINT64 - d) / 10)
            goto overflow;
        whole = whole * 10 + d;
    }
    if (*p == '.') {
        p++;
        for (; g_ascii_isdigit(*p); p++) {
            digits = TRUE;
            if (frac_div >= G_GUINT64_CONSTANT(1000000000000000000))
                goto invalid;
            frac = frac * 10 + (guint64)(*p - '0');
            frac_div *= 10;
        }
    }
    if (!digits)
        goto invalid;
    while (g_ascii_isspace(*p))
        p++;
    unit = g_strdup(p);
    g_strchomp(unit);
    if (!nvp_units_multiplier(unit, &m)) {
        g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_INVALID,
                    _("invalid size '%s': unknown unit '%s' (use b, KiB, MiB, GiB, TiB or k, M, G, "
                      "T for powers of 1024; KB, MB, GB, TB for powers of 1000)"),
                    str, unit);
        return FALSE;
    }
    if (whole != 0 && m > G_MAXUINT64 / whole)
        goto overflow;
    result = whole * m;
    if (frac) {
        /* frac/frac_div * m must be a whole number of bytes. */
        guint64 g = m, a = frac_div, t;
        while (a) {
            t = g % a;
            g = a;
            a = t;
        }
        /* frac * (m / g) / (frac_div / g) */
        if (frac > G_MAXUINT64 / (m / g))
            goto overflow;
        guint64 num = frac * (m / g);
        guint64 den = frac_div / g;
        if (num % den != 0) {
            g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_INVALID,
                        _("invalid size '%s': it is not a whole number of bytes"), str);
            return FALSE;
        }
        if (result > G_MAXUINT64 - num / den)
            goto overflow;
        result += num / den;
    }
    *bytes = result;
    return TRUE;

invalid:
    g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_INVALID,
                _("invalid size '%s': expected a number with an optional unit, e.g. 10G, 512MiB "
                  "or 4096"),
                str);
    return FALSE;
overflow:
    g_set_error(error, NVP_UNITS_ERROR, NVP_UNITS_ERROR_OVERFLOW,
                _("invalid size '%s': it does not fit in 64 bits"), str);
    return FALSE;
}

char *
nvp_units_format_size(guint64 bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    guint i = 0;
    guint64 div = 1;

    while (i + 1 < G_N_ELEMENTS(units) && bytes / div >= 1024) {
        div *= 1024;
        i++;
    }
    if (bytes % div == 0)
        return g_strdup_printf("%" G_GUINT64_FORMAT " %s", bytes / div, units[i]);
    /* Truncated, never rounded up: "has 25.99 GiB free" must not overstate. */
    guint hundredths = (guint)((double)(bytes % div) / (double)div * 100.0);
    if (hundredths > 99)
        hundredths = 99;
    return g_strdup_printf("%" G_GUINT64_FORMAT ".%02u %s", bytes / div, hundredths, units[i]);
}
