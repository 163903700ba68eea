/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hardware SQ/CQ ring state: size/head/tail/phase and the *_advance() helpers that own
 * wrap-around and phase flips, plus doorbell writes with the needed barriers. */
#pragma once

#include <glib.h>

#include "common/nvme-wire.h"

typedef struct {
    NvpNvmeSqe *ring;           /* size entries, DMA memory (may be NULL in unit tests) */
    volatile guint32 *doorbell; /* SQ tail doorbell (may be NULL in unit tests) */
    guint16 qid;
    guint32 size; /* entries, >= 2 */
    guint32 tail; /* next slot the host fills */
    guint32 head; /* last SQHD reported by the controller */
} NvpHwSq;

typedef struct {
    NvpNvmeCqe *ring;
    volatile guint32 *doorbell; /* CQ head doorbell */
    guint16 qid;
    guint32 size;
    guint32 head; /* next entry to consume */
    guint8 phase; /* phase tag expected at head: starts at 1 */
} NvpHwCq;

void nvp_hw_sq_init(NvpHwSq *sq, guint16 qid, void *ring, guint32 size, volatile guint32 *doorbell);
/* Entries the host may still fill before the ring is full (one slot always stays empty). */
guint32 nvp_hw_sq_n_free(const NvpHwSq *sq);
gboolean nvp_hw_sq_is_full(const NvpHwSq *sq);
/* The slot at tail (to be filled before nvp_hw_sq_advance()); NULL if the ring is full. */
NvpNvmeSqe *nvp_hw_sq_slot(NvpHwSq *sq);
/* tail = (tail + 1) % size; returns the index of the slot just filled. */
guint32 nvp_hw_sq_advance(NvpHwSq *sq);
/* Records SQHD from a CQE; FALSE (ignored) if sqhd >= size. */
gboolean nvp_hw_sq_set_head(NvpHwSq *sq, guint16 sqhd);
/* Write barrier, then tail doorbell. */
void nvp_hw_sq_ring(NvpHwSq *sq);

void nvp_hw_cq_init(NvpHwCq *cq, guint16 qid, void *ring, guint32 size, volatile guint32 *doorbell);
/* The CQE at head if its phase tag is current (followed by a read barrier), else NULL. */
const NvpNvmeCqe *nvp_hw_cq_peek(NvpHwCq *cq);
/* head = (head + 1) % size, flipping the expected phase on wrap. */
void nvp_hw_cq_advance(NvpHwCq *cq);
/* Head doorbell. */
void nvp_hw_cq_ring(NvpHwCq *cq);
