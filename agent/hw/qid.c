/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pool of small integer IDs [first, last] handed out lowest first (hardware qids, vectors). */
#include "agent/hw/qid.h"

#include "agent/hw/error.h"
#include "common/i18n.h"

#include <string.h>

struct _NvpHwQidPool {
    guint first;
    guint last;
    guint n_allocated;
    guint hint;    /* no free ID below first + hint */
    guint64 *bits; /* bit i set: first + i allocated */
};

NvpHwQidPool *
nvp_hw_qid_pool_new(guint first, guint last)
{
    NvpHwQidPool *pool;
    guint n;

    g_return_val_if_fail(first <= last && last <= G_MAXUINT16, NULL);
    n = last - first + 1;
    pool = g_new0(NvpHwQidPool, 1);
    pool->first = first;
    pool->last = last;
    pool->bits = g_new0(guint64, (n + 63) / 64);
    return pool;
}

void
nvp_hw_qid_pool_free(NvpHwQidPool *pool)
{
    if (!pool)
        return;
    g_free(pool->bits);
    g_free(pool);
}

static gboolean
bit_get(const NvpHwQidPool *pool, guint i)
{
    return (pool->bits[i / 64] >> (i % 64)) & 1;
}

static void
bit_set(NvpHwQidPool *pool, guint i, gboolean v)
{
    if (v)
        pool->bits[i / 64] |= G_GUINT64_CONSTANT(1) << (i % 64);
    else
        pool->bits[i / 64] &= ~(G_GUINT64_CONSTANT(1) << (i % 64));
}

gboolean
nvp_hw_qid_pool_alloc(NvpHwQidPool *pool, guint *id, GError **error)
{
    guint n = pool->last - pool->first + 1;

    for (guint i = pool->hint; i < n; i++) {
        if (!bit_get(pool, i)) {
            bit_set(pool, i, TRUE);
            pool->n_allocated++;
            pool->hint = i + 1;
            *id = pool->first + i;
            return TRUE;
        }
    }
    pool->hint = n;
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                _("All %u IDs from %u to %u are in use."), n, pool->first, pool->last);
    return FALSE;
}

gboolean
nvp_hw_qid_pool_take(NvpHwQidPool *pool, guint id, GError **error)
{
    if (id < pool->first || id > pool->last) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("ID %u is outside the range %u to %u."), id, pool->first, pool->last);
        return FALSE;
    }
    if (bit_get(pool, id - pool->first)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE, _("ID %u is already in use."), id);
        return FALSE;
    }
    bit_set(pool, id - pool->first, TRUE);
    pool->n_allocated++;
    return TRUE;
}

gboolean
nvp_hw_qid_pool_release(NvpHwQidPool *pool, guint id)
{
    guint i;

    if (id < pool->first || id > pool->last)
        return FALSE;
    i = id - pool->first;
    if (!bit_get(pool, i))
        return FALSE;
    bit_set(pool, i, FALSE);
    pool->n_allocated--;
    if (i < pool->hint)
        pool->hint = i;
    return TRUE;
}

gboolean
nvp_hw_qid_pool_is_allocated(const NvpHwQidPool *pool, guint id)
{
    if (id < pool->first || id > pool->last)
        return FALSE;
    return bit_get(pool, id - pool->first);
}

guint
nvp_hw_qid_pool_n_free(const NvpHwQidPool *pool)
{
    return pool->last - pool->first + 1 - pool->n_allocated;
}

guint
nvp_hw_qid_pool_n_allocated(const NvpHwQidPool *pool)
{
    return pool->n_allocated;
}

void
nvp_hw_qid_pool_foreach(const NvpHwQidPool *pool, void (*func)(guint id, gpointer data),
                        gpointer data)
{
    for (guint id = pool->first; id <= pool->last; id++) {
        if (bit_get(pool, id - pool->first))
            func(id, data);
    }
}

void
nvp_hw_qid_pool_clear(NvpHwQidPool *pool)
{
    guint n = pool->last - pool->first + 1;

    memset(pool->bits, 0, ((n + 63) / 64) * sizeof(guint64));
    pool->n_allocated = 0;
    pool->hint = 0;
}
