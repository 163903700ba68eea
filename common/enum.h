/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enum <-> string tables: one table per enum, indexed by value, ending at a _LAST sentinel
 * (libvirt's VIR_ENUM_IMPL habit). */
#pragma once

#include <glib.h>

typedef struct {
    const char *name;
    const char *const *strings;
    int last;
} NvpEnumTable;

#define NVP_ENUM_DECL(prefix, Type) \
    const char *prefix##_to_string(Type value); \
    int prefix##_from_string(const char *str)

/* Defines prefix_to_string()/prefix_from_string() over the strings given, which must number
 * exactly LAST (checked at compile time). */
#define NVP_ENUM_IMPL(prefix, Type, LAST, ...) \
    static const char *const prefix##_strings[] = { __VA_ARGS__ }; \
    G_STATIC_ASSERT(G_N_ELEMENTS(prefix##_strings) == (LAST)); \
    static const NvpEnumTable prefix##_table = { #prefix, prefix##_strings, (LAST) }; \
    const char *prefix##_to_string(Type value) \
    { \
        return nvp_enum_to_string(&prefix##_table, (int)value); \
    } \
    int prefix##_from_string(const char *str) \
    { \
        return nvp_enum_from_string(&prefix##_table, str); \
    }

/* NULL for out-of-range values. */
const char *nvp_enum_to_string(const NvpEnumTable *table, int value);
/* -1 for NULL or unknown strings. */
int nvp_enum_from_string(const NvpEnumTable *table, const char *str);
