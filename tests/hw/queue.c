/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of hardware SQ/CQ ring state (agent/hw/queue.c): fullness with one empty slot,
 * tail wrap, head updates, CQ phase tags and flips, doorbell values. */
#include <string.h>

#include "agent/hw/queue.h"

/* An SQ of 4 entries holds 3 commands; the slot pointer follows tail; tail wraps to 0. */
static void
test_sq_full_and_wrap(void)
{
    NvpNvmeSqe ring[4];
    guint32 db = 0xdead;
    NvpHwSq sq;

    nvp_hw_sq_init(&sq, 5, ring, 4, &db);
    g_assert_cmpuint(nvp_hw_sq_n_free(&sq), ==, 3);
    for (guint i = 0; i < 3; i++) {
        g_assert_true(nvp_hw_sq_slot(&sq) == &ring[i]);
        g_assert_cmpuint(nvp_hw_sq_advance(&sq), ==, i);
    }
    g_assert_true(nvp_hw_sq_is_full(&sq));
    g_assert_null(nvp_hw_sq_slot(&sq));
    nvp_hw_sq_ring(&sq);
    g_assert_cmpuint(db, ==, 3);

    /* Controller consumed two: head 2, two slots free, tail wraps 3 -> 0. */
    g_assert_true(nvp_hw_sq_set_head(&sq, 2));
    g_assert_cmpuint(nvp_hw_sq_n_free(&sq), ==, 2);
    g_assert_cmpuint(nvp_hw_sq_advance(&sq), ==, 3);
    g_assert_cmpuint(sq.tail, ==, 0);
    g_assert_true(nvp_hw_sq_slot(&sq) == &ring[0]);
    nvp_hw_sq_ring(&sq);
    g_assert_cmpuint(db, ==, 0);
}

/* SQHD beyond the ring is ignored. */
static void
test_sq_bad_head(void)
{
    NvpHwSq sq;

    nvp_hw_sq_init(&sq, 1, NULL, 8, NULL);
    g_assert_false(nvp_hw_sq_set_head(&sq, 8));
    g_assert_cmpuint(sq.head, ==, 0);
    g_assert_true(nvp_hw_sq_set_head(&sq, 7));
    g_assert_cmpuint(sq.head, ==, 7);
}

static void
post(NvpNvmeCqe *ring, guint idx, guint16 cid, guint phase)
{
    ring[idx].cid = GUINT16_TO_LE(cid);
    ring[idx].status = GUINT16_TO_LE(phase & 1);
}

/* CQ: entries are visible only with the expected phase; the phase flips on each wrap. */
static void
test_cq_phase(void)
{
    NvpNvmeCqe ring[3];
    guint32 db = 0xdead;
    NvpHwCq cq;

    memset(ring, 0, sizeof(ring));
    nvp_hw_cq_init(&cq, 2, ring, 3, &db);
    g_assert_cmpuint(cq.phase, ==, 1);
    g_assert_null(nvp_hw_cq_peek(&cq)); /* zeroed ring: phase 0 */

    for (guint lap = 0; lap < 4; lap++) {
        guint phase = (lap % 2) ? 0 : 1;
        for (guint i = 0; i < 3; i++) {
            const NvpNvmeCqe *cqe;

            g_assert_null(nvp_hw_cq_peek(&cq));
            post(ring, i, lap * 10 + i, phase);
            cqe = nvp_hw_cq_peek(&cq);
            g_assert_nonnull(cqe);
            g_assert_cmpuint(GUINT16_FROM_LE(cqe->cid), ==, lap * 10 + i);
            nvp_hw_cq_advance(&cq);
        }
        g_assert_cmpuint(cq.head, ==, 0);
        g_assert_cmpuint(cq.phase, ==, phase ^ 1);
        /* Old entries of this lap keep the previous phase: nothing new visible. */
        g_assert_null(nvp_hw_cq_peek(&cq));
    }
    nvp_hw_cq_advance(&cq);
    nvp_hw_cq_ring(&cq);
    g_assert_cmpuint(db, ==, 1);
}

/* Status helpers strip the phase bit and split SCT/SC. */
static void
test_status_bits(void)
{
    NvpNvmeCqe cqe = { 0 };

    /* SCT 1, SC 0x01 (Invalid Completion Queue), DNR, phase 1 */
    cqe.status = GUINT16_TO_LE((guint16)(((NVP_NVME_STATUS_DNR | (1 << 8) | 0x01) << 1) | 1));
    g_assert_cmpuint(NVP_NVME_CQE_PHASE(&cqe), ==, 1);
    g_assert_cmpuint(NVP_NVME_STATUS_SCT(NVP_NVME_CQE_STATUS(&cqe)), ==, 1);
    g_assert_cmpuint(NVP_NVME_STATUS_SC(NVP_NVME_CQE_STATUS(&cqe)), ==, 1);
    g_assert_true(NVP_NVME_CQE_STATUS(&cqe) & NVP_NVME_STATUS_DNR);
    g_assert_cmpuint(nvp_nvme_sq_doorbell_offset(3, 0), ==, 0x1000 + 24);
    g_assert_cmpuint(nvp_nvme_cq_doorbell_offset(3, 0), ==, 0x1000 + 28);
    g_assert_cmpuint(nvp_nvme_cq_doorbell_offset(1, 2), ==, 0x1000 + 3 * 16);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/queue/sq-full-and-wrap", test_sq_full_and_wrap);
    g_test_add_func("/hw/queue/sq-bad-head", test_sq_bad_head);
    g_test_add_func("/hw/queue/cq-phase", test_cq_phase);
    g_test_add_func("/hw/queue/status-bits", test_status_bits);
    return g_test_run();
}
