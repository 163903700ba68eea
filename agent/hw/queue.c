/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hardware SQ/CQ ring state; the only place that knows about wrap-around and phase flips. */
#include "agent/hw/queue.h"

void
nvp_hw_sq_init(NvpHwSq *sq, guint16 qid, void *ring, guint32 size, volatile guint32 *doorbell)
{
    g_return_if_fail(size >= 2);
    *sq = (NvpHwSq){ .ring = ring, .doorbell = doorbell, .qid = qid, .size = size };
}

guint32
nvp_hw_sq_n_free(const NvpHwSq *sq)
{
    guint32 used = (sq->tail + sq->size - sq->head) % sq->size;

    return sq->size - 1 - used;
}

gboolean
nvp_hw_sq_is_full(const NvpHwSq *sq)
{
    return nvp_hw_sq_n_free(sq) == 0;
}

NvpNvmeSqe *
nvp_hw_sq_slot(NvpHwSq *sq)
{
    if (nvp_hw_sq_is_full(sq) || !sq->ring)
        return NULL;
    return &sq->ring[sq->tail];
}

guint32
nvp_hw_sq_advance(NvpHwSq *sq)
{
    guint32 filled = sq->tail;

    sq->tail = (sq->tail + 1 == sq->size) ? 0 : sq->tail + 1;
    return filled;
}

gboolean
nvp_hw_sq_set_head(NvpHwSq *sq, guint16 sqhd)
{
    if (sqhd >= sq->size)
        return FALSE;
    sq->head = sqhd;
    return TRUE;
}

void
nvp_hw_sq_ring(NvpHwSq *sq)
{
    /* SQEs (write-back memory) must be visible before the doorbell (uncached MMIO). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (sq->doorbell)
        *sq->doorbell = GUINT32_TO_LE(sq->tail);
}

void
nvp_hw_cq_init(NvpHwCq *cq, guint16 qid, void *ring, guint32 size, volatile guint32 *doorbell)
{
    g_return_if_fail(size >= 2);
    *cq = (NvpHwCq){ .ring = ring, .doorbell = doorbell, .qid = qid, .size = size, .phase = 1 };
}

const NvpNvmeCqe *
nvp_hw_cq_peek(NvpHwCq *cq)
{
    const volatile NvpNvmeCqe *cqe;

    if (!cq->ring)
        return NULL;
    cqe = &cq->ring[cq->head];
    if ((GUINT16_FROM_LE(cqe->status) & 1) != cq->phase)
        return NULL;
    /* The rest of the CQE must not be read before the phase tag. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    return (const NvpNvmeCqe *)cqe;
}

void
nvp_hw_cq_advance(NvpHwCq *cq)
{
    if (++cq->head == cq->size) {
        cq->head = 0;
        cq->phase ^= 1;
    }
}

void
nvp_hw_cq_ring(NvpHwCq *cq)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (cq->doorbell)
        *cq->doorbell = GUINT32_TO_LE(cq->head);
}
