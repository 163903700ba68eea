/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A test double of the hardware below the pool: controllers described in memory. */
#pragma once

#include "agent/pool/pool.h"

typedef struct {
    GHashTable *devices; /* bdf -> NvpController (identity to report) */
    GHashTable *adopted; /* bdf -> TRUE */
    GPtrArray *wipes;    /* "nsid:lba:blocks" strings */
    guint n_endpoints;
    gboolean fail_wipe;
} NvpFakeHw;

extern const NvpPoolHwOps nvp_fake_hw_ops;

NvpFakeHw *nvp_fake_hw_new(void);
void nvp_fake_hw_free(NvpFakeHw *hw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpFakeHw, nvp_fake_hw_free)

/* A device at bdf with namespaces of the given sizes (bytes) and block sizes; 64 queue pairs,
 * 65 vectors. */
void nvp_fake_hw_add(NvpFakeHw *hw, const char *bdf, const char *serial, guint n_ns,
                     const guint64 *sizes, const guint32 *block_sizes);
