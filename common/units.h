/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Sizes as users write them (virsh style: "10G", "512MiB", "4096", "1.5TB") and as we print them. */
#pragma once

#include <glib.h>

#define NVP_UNITS_ERROR (nvp_units_error_quark())
GQuark nvp_units_error_quark(void);

typedef enum {
    NVP_UNITS_ERROR_INVALID,  /* not a number followed by a known unit */
    NVP_UNITS_ERROR_OVERFLOW, /* does not fit in 64 bits of bytes */
} NvpUnitsError;

/* Multiplier of a unit suffix as virsh and libvirt's <capacity unit=...> accept it: "", "b",
 * "bytes" = 1; "k" "KiB" = 1024, "KB" = 1000, and so on up to E/EiB/EB. Case-insensitive except
 * that a lone "B" suffix (xB) means a power of 1000. FALSE for unknown units. */
gboolean nvp_units_multiplier(const char *unit, guint64 *multiplier);

/* Parses "<integer>[unit]" (whitespace allowed between), e.g. "10G" = 10 GiB, "512MiB", "1000000KB",
 * a plain number in bytes. Decimal fractions are accepted when the result is a whole number of
 * bytes ("1.5G"). */
gboolean nvp_units_parse_size(const char *str, guint64 *bytes, GError **error);

/* value * unit, with the same units, for XML <capacity unit='G'>10</capacity>. */
gboolean nvp_units_scale(guint64 value, const char *unit, guint64 *bytes, GError **error);

/* Human-readable, binary units, 2 decimals truncated when not exact: "10 GiB", "1.50 GiB",
 * "512 B". */
char *nvp_units_format_size(guint64 bytes);
