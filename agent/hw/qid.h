/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pool of small integer IDs [first, last], lowest free first: hardware queue IDs
 * (1..max_qpairs) and MSI-X vectors (1..n_vectors-1, vector 0 stays with the admin queue). */
#pragma once

#include <glib.h>

typedef struct _NvpHwQidPool NvpHwQidPool;

/* first <= last, last <= 65535. */
NvpHwQidPool *nvp_hw_qid_pool_new(guint first, guint last);
void nvp_hw_qid_pool_free(NvpHwQidPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwQidPool, nvp_hw_qid_pool_free)

/* Takes the lowest free ID; NVP_HW_ERROR_NO_SPACE when none is left. */
gboolean nvp_hw_qid_pool_alloc(NvpHwQidPool *pool, guint *id, GError **error);
/* Takes a given ID; FALSE (NVP_HW_ERROR_INVALID / NO_SPACE) when out of range or taken. */
gboolean nvp_hw_qid_pool_take(NvpHwQidPool *pool, guint id, GError **error);
/* Returns an ID; FALSE when it is out of range or was not allocated (double free). */
gboolean nvp_hw_qid_pool_release(NvpHwQidPool *pool, guint id);
gboolean nvp_hw_qid_pool_is_allocated(const NvpHwQidPool *pool, guint id);
guint nvp_hw_qid_pool_n_free(const NvpHwQidPool *pool);
guint nvp_hw_qid_pool_n_allocated(const NvpHwQidPool *pool);
/* Calls func for every allocated ID in ascending order. */
void nvp_hw_qid_pool_foreach(const NvpHwQidPool *pool, void (*func)(guint id, gpointer data),
                             gpointer data);
/* Frees every ID. */
void nvp_hw_qid_pool_clear(NvpHwQidPool *pool);
