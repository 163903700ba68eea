/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enum <-> string table lookups behind NVP_ENUM_IMPL. */
#include "common/enum.h"

#include <string.h>

const char *
nvp_enum_to_string(const NvpEnumTable *table, int value)
{
    if (value < 0 || value >= table->last)
        return NULL;
    return table->strings[value];
}

int
nvp_enum_from_string(const NvpEnumTable *table, const char *str)
{
    if (!str)
        return -1;
    for (int i = 0; i < table->last; i++) {
        if (table->strings[i] && strcmp(table->strings[i], str) == 0)
            return i;
    }
    return -1;
}
