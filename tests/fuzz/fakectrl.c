/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A software stand-in for agent/hw (the nvp_hw_ctrl_* calls agent/vctrl makes), for the fuzz-slice
 * target: an IOMMU table, IOVA windows, DMA buffers, queue pairs with doorbells in memory, and a
 * model of the SSD that fetches submitted commands and checks every address and LBA they use
 * against what the slice may reach. It also enforces the teardown rule: nothing a live queue
 * can still reach is ever unmapped or freed. Violations abort (fuzz-common.h). */
#include <string.h>

#include "agent/hw/ctrl.h"
#include "tests/fuzz/fakectrl.h"
#include "tests/fuzz/fuzz-common.h"

#define AGENT_BASE 0x100000000ull /* agent window: DMA buffers */
#define WINDOW_BASE0 (1ull << 40) /* slice windows from here, 1 TiB apart */

typedef struct {
    guint64 iova;
    guint64 size;
    guint8 *vaddr;
    gboolean writable;
    gboolean agent; /* a DMA buffer (agent window), not guest RAM */
} Mapping;

struct _NvpHwCtrl {
    struct nvme_id_ctrl id;
    struct nvme_id_ns ns;
    GArray *maps; /* Mapping */
    FakeQpair qp[FAKE_MAX_QPAIRS + 1];
    guint64 next_window;
    guint64 next_buf;
    guint32 vectors; /* bitmap of allocated vectors 1..31 */
    FakeSlice slice;
    guint64 n_fetched;
};

NvpHwCtrl *
fake_ctrl_new(const FakeSlice *slice)
{
    NvpHwCtrl *c = g_new0(NvpHwCtrl, 1);

    c->maps = g_array_new(FALSE, TRUE, sizeof(Mapping));
    c->next_window = WINDOW_BASE0;
    c->next_buf = AGENT_BASE;
    c->slice = *slice;
    memset(&c->id, 0, sizeof(c->id));
    c->id.mdts = 5; /* 128 KiB */
    c->id.oncs =
        GUINT16_TO_LE(NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES);
    c->id.vwc = 1;
    memcpy(c->id.sn, "FAKE0001            ", 20);
    c->ns.nsze = c->ns.ncap = c->ns.nuse = GUINT64_TO_LE(1ull << 20);
    c->ns.lbaf[0].ds = 9;
    return c;
}

void
fake_ctrl_free(NvpHwCtrl *c)
{
    for (guint q = 1; q <= FAKE_MAX_QPAIRS; q++)
        FUZZ_CHECK(!c->qp[q].live); /* the slice deleted every queue pair it created */
    g_array_unref(c->maps);
    g_free(c);
}

guint64
fake_ctrl_n_fetched(NvpHwCtrl *c)
{
    return c->n_fetched;
}

static const Mapping *
find(NvpHwCtrl *c, guint64 iova, guint64 len)
{
    for (guint i = 0; i < c->maps->len; i++) {
        const Mapping *m = &g_array_index(c->maps, Mapping, i);

        if (iova >= m->iova && iova - m->iova < m->size && len <= m->size - (iova - m->iova))
            return m;
    }
    return NULL;
}

static void
add_reach(FakeQpair *q, guint64 iova, guint64 len)
{
    if (q->n_reach < G_N_ELEMENTS(q->reach))
        q->reach[q->n_reach++] = (FakeRange){ iova, len };
    else
        q->reach_overflow = TRUE;
}

/* May the SSD, on behalf of this slice, touch [iova, iova+len)? Strict: guest RAM in the slice's
 * window only. Trusted: any guest RAM mapped for the slice at IOVA = GPA. */
static void
check_guest_dma(NvpHwCtrl *c, FakeQpair *q, guint64 iova, guint64 len, gboolean device_writes)
{
    const Mapping *m = find(c, iova, len);

    FUZZ_CHECK(len > 0);
    FUZZ_CHECK(m != NULL); /* the IOMMU would fault: reaching unmapped memory */
    FUZZ_CHECK(!m->agent); /* never the agent's own buffers */
    if (device_writes)
        FUZZ_CHECK(m->writable);
    if (c->slice.strict)
        FUZZ_CHECK(iova >= c->slice.window_base &&
                   iova - c->slice.window_base < c->slice.window_size);
    add_reach(q, iova, len);
}

static void
check_lba(NvpHwCtrl *c, guint64 slba, guint64 nlb)
{
    FUZZ_CHECK(slba >= c->slice.lba_start);
    FUZZ_CHECK(nlb <= c->slice.lba_count && slba - c->slice.lba_start <= c->slice.lba_count - nlb);
}

/* The SSD fetches one command of a strict slice's SQ (in agent memory) and checks it. */
static void
fetch(NvpHwCtrl *c, FakeQpair *q, const NvpNvmeSqe *cmd)
{
    guint64 len, first;

    c->n_fetched++;
    if (fuzz_trace())
        fprintf(stderr,
                "SSD fetches opcode 0x%02x cid %u nsid %u prp1 0x%" G_GINT64_MODIFIER
                "x prp2 0x%" G_GINT64_MODIFIER "x cdw10 0x%x cdw12 0x%x\n",
                cmd->opcode, cmd->cid, cmd->nsid, cmd->prp1, cmd->prp2, cmd->cdw10, cmd->cdw12);
    if (cmd->nsid == 0)
        return; /* the replacement of a rejected command: Invalid Namespace, touches nothing */
    FUZZ_CHECK(cmd->nsid == c->slice.nsid);
    FUZZ_CHECK(cmd->flags == 0 && cmd->mptr == 0);
    switch (cmd->opcode) {
    case nvme_cmd_flush:
        return;
    case nvme_cmd_write_zeroes:
        check_lba(c, (guint64)cmd->cdw10 | ((guint64)cmd->cdw11 << 32), (cmd->cdw12 & 0xffff) + 1);
        return;
    case nvme_cmd_dsm: {
        guint32 nr = (cmd->cdw10 & 0xff) + 1;
        const Mapping *m = find(c, cmd->prp1, (guint64)nr * 16);

        FUZZ_CHECK(m && m->agent); /* the range list is the agent's copy */
        add_reach(q, cmd->prp1, (guint64)nr * 16);
        for (guint32 i = 0; i < nr; i++) {
            const NvpDsmRange *r = (const NvpDsmRange *)(m->vaddr + (cmd->prp1 - m->iova)) + i;

            if (r->nlb)
                check_lba(c, r->slba, r->nlb);
        }
        return;
    }
    case nvme_cmd_read:
    case nvme_cmd_write:
    case nvme_cmd_compare:
        break;
    default:
        FUZZ_CHECK(!"opcode outside the allow-list reached the SSD");
    }
    check_lba(c, (guint64)cmd->cdw10 | ((guint64)cmd->cdw11 << 32), (cmd->cdw12 & 0xffff) + 1);
    len = ((guint64)(cmd->cdw12 & 0xffff) + 1) << 9;
    first = MIN(len, 4096 - (cmd->prp1 & 4095));
    check_guest_dma(c, q, cmd->prp1, first, cmd->opcode == nvme_cmd_read);
    len -= first;
    if (len == 0)
        return;
    if (len <= 4096) {
        check_guest_dma(c, q, cmd->prp2, len, cmd->opcode == nvme_cmd_read);
        return;
    }
    {
        guint64 n = (len + 4095) / 4096;
        const Mapping *m = find(c, cmd->prp2, n * 8);

        FUZZ_CHECK(m && m->agent); /* strict: the list is the agent's copy */
        add_reach(q, cmd->prp2, n * 8);
        for (guint64 i = 0; i < n; i++) {
            guint64 e = ((const guint64 *)(m->vaddr + (cmd->prp2 - m->iova)))[i];

            if (fuzz_trace())
                fprintf(stderr, "  list entry %" G_GUINT64_FORMAT ": 0x%" G_GINT64_MODIFIER "x\n",
                        i, e);

            check_guest_dma(c, q, e, MIN(len, 4096), cmd->opcode == nvme_cmd_read);
            len -= MIN(len, 4096);
        }
    }
}

void
fake_ctrl_run_ssd(NvpHwCtrl *c)
{
    for (guint qid = 1; qid <= FAKE_MAX_QPAIRS; qid++) {
        FakeQpair *q = &c->qp[qid];
        guint32 tail = q->sq_db;

        if (!q->live)
            continue;
        FUZZ_CHECK(tail < q->sq_entries); /* the agent never rings a tail beyond the ring */
        if (!c->slice.strict) {
            q->sq_head = tail; /* trusted: the guest SQ itself, nothing to check */
            continue;
        }
        while (q->sq_head != tail) {
            const Mapping *m = find(c, q->sq_iova + (guint64)q->sq_head * 64, 64);

            FUZZ_CHECK(m && m->agent); /* a strict SQ lives in agent memory */
            fetch(c, q, (const NvpNvmeSqe *)(m->vaddr + (q->sq_iova - m->iova)) + q->sq_head);
            q->sq_head = (q->sq_head + 1) % q->sq_entries;
        }
    }
}

/* Nothing in [iova, iova+size) may still be reachable by a live queue pair. */
static void
check_unreachable(NvpHwCtrl *c, guint64 iova, guint64 size)
{
    for (guint qid = 1; qid <= FAKE_MAX_QPAIRS; qid++) {
        FakeQpair *q = &c->qp[qid];

        if (!q->live)
            continue;
        FUZZ_CHECK(q->cq_iova + (guint64)q->cq_entries * 16 <= iova || q->cq_iova >= iova + size);
        FUZZ_CHECK(q->sq_iova + (guint64)q->sq_entries * 64 <= iova || q->sq_iova >= iova + size);
        FUZZ_CHECK(!q->reach_overflow);
        for (guint i = 0; i < q->n_reach; i++)
            FUZZ_CHECK(q->reach[i].iova + q->reach[i].len <= iova ||
                       q->reach[i].iova >= iova + size);
    }
}

/* ---- the nvp_hw_ctrl_* API vctrl uses ------------------------------------------------------- */

const char *
nvp_hw_ctrl_get_pci_addr(NvpHwCtrl *ctrl)
{
    return "0000:00:10.0";
}

guint64
nvp_hw_ctrl_get_iova_floor(NvpHwCtrl *ctrl)
{
    return G_GUINT64_CONSTANT(512) << 30; /* the default of a 48-bit IOMMU */
}

const struct nvme_id_ctrl *
nvp_hw_ctrl_get_id(NvpHwCtrl *ctrl)
{
    return &ctrl->id;
}

const struct nvme_id_ns *
nvp_hw_ctrl_get_ns(NvpHwCtrl *ctrl, guint32 nsid)
{
    return nsid == ctrl->slice.nsid ? &ctrl->ns : NULL;
}

guint
nvp_hw_ctrl_get_n_free_qpairs(NvpHwCtrl *ctrl)
{
    guint n = 0;

    for (guint q = 1; q <= FAKE_MAX_QPAIRS; q++)
        n += !ctrl->qp[q].live;
    return n;
}

guint32
nvp_hw_ctrl_get_max_queue_entries(NvpHwCtrl *ctrl)
{
    return 64;
}

guint32
nvp_hw_ctrl_get_mdts_bytes(NvpHwCtrl *ctrl)
{
    return 128 * 1024;
}

gboolean
nvp_hw_ctrl_window_alloc(NvpHwCtrl *ctrl, guint64 size, guint64 *iova_base, GError **error)
{
    *iova_base = ctrl->next_window;
    ctrl->next_window += 1ull << 40;
    ctrl->slice.window_base = *iova_base;
    ctrl->slice.window_size = size;
    return TRUE;
}

void
nvp_hw_ctrl_window_free(NvpHwCtrl *ctrl, guint64 iova_base)
{
    for (guint i = 0; i < ctrl->maps->len; i++) {
        const Mapping *m = &g_array_index(ctrl->maps, Mapping, i);

        FUZZ_CHECK(m->agent || m->iova + m->size <= iova_base ||
                   m->iova >= iova_base + ctrl->slice.window_size);
    }
}

gboolean
nvp_hw_ctrl_dma_map(NvpHwCtrl *ctrl, void *vaddr, guint64 iova, guint64 size, gboolean writable,
                    GError **error)
{
    Mapping m = { .iova = iova, .size = size, .vaddr = vaddr, .writable = writable };

    FUZZ_CHECK(size > 0 && iova + size > iova);
    for (guint i = 0; i < ctrl->maps->len; i++) {
        const Mapping *o = &g_array_index(ctrl->maps, Mapping, i);

        FUZZ_CHECK(o->iova + o->size <= iova ||
                   o->iova >= iova + size); /* the IOMMU refuses overlaps */
    }
    if (ctrl->slice.strict)
        FUZZ_CHECK(iova >= ctrl->slice.window_base &&
                   iova - ctrl->slice.window_base < ctrl->slice.window_size &&
                   size <= ctrl->slice.window_size - (iova - ctrl->slice.window_base));
    g_array_append_val(ctrl->maps, m);
    return TRUE;
}

gboolean
nvp_hw_ctrl_dma_unmap(NvpHwCtrl *ctrl, guint64 iova, guint64 size, GError **error)
{
    for (guint i = 0; i < ctrl->maps->len; i++) {
        const Mapping *m = &g_array_index(ctrl->maps, Mapping, i);

        if (!m->agent && m->iova == iova && m->size == size) {
            fake_ctrl_run_ssd(ctrl); /* the SSD may have fetched anything rung so far */
            check_unreachable(ctrl, iova, size);
            g_array_remove_index(ctrl->maps, i);
            return TRUE;
        }
    }
    FUZZ_CHECK(!"unmap of a range that is not mapped");
    return FALSE;
}

NvpHwDmaBuf *
nvp_hw_dma_buf_new(NvpHwCtrl *ctrl, gsize size, GError **error)
{
    NvpHwDmaBuf *b = g_new0(NvpHwDmaBuf, 1);
    Mapping m = { 0 };

    b->size = (size + 4095) & ~(gsize)4095;
    b->vaddr = g_malloc0(b->size);
    b->iova = ctrl->next_buf;
    b->ctrl = ctrl;
    ctrl->next_buf += b->size + 4096;
    m = (Mapping){
        .iova = b->iova, .size = b->size, .vaddr = b->vaddr, .writable = TRUE, .agent = TRUE
    };
    g_array_append_val(ctrl->maps, m);
    return b;
}

void
nvp_hw_dma_buf_free(NvpHwDmaBuf *buf)
{
    NvpHwCtrl *c;

    if (!buf)
        return;
    c = buf->ctrl;
    check_unreachable(c, buf->iova, buf->size); /* no live queue uses the SQ ring or the lists */
    for (guint i = 0; i < c->maps->len; i++) {
        if (g_array_index(c->maps, Mapping, i).iova == buf->iova) {
            g_array_remove_index(c->maps, i);
            break;
        }
    }
    g_free(buf->vaddr);
    g_free(buf);
}

gboolean
nvp_hw_ctrl_qpair_create(NvpHwCtrl *ctrl, guint64 cq_iova, guint32 cq_entries, int vector,
                         guint64 sq_iova, guint32 sq_entries, guint16 *qid_out, GError **error)
{
    const Mapping *cq = find(ctrl, cq_iova, (guint64)cq_entries * 16);
    const Mapping *sq = find(ctrl, sq_iova, (guint64)sq_entries * 64);

    FUZZ_CHECK(cq && !cq->agent && cq->writable); /* the SSD writes CQEs into guest RAM only */
    if (ctrl->slice.strict)
        FUZZ_CHECK(cq_iova >= ctrl->slice.window_base);
    FUZZ_CHECK(sq && (ctrl->slice.strict ? sq->agent : !sq->agent));
    FUZZ_CHECK(cq_entries >= 2 && cq_entries <= 64 && sq_entries >= 2 && sq_entries <= 64);
    for (guint q = 1; q <= FAKE_MAX_QPAIRS; q++) {
        if (!ctrl->qp[q].live) {
            ctrl->qp[q] = (FakeQpair){ .live = TRUE,
                                       .cq_iova = cq_iova,
                                       .cq_entries = cq_entries,
                                       .sq_iova = sq_iova,
                                       .sq_entries = sq_entries };
            *qid_out = (guint16)q;
            return TRUE;
        }
    }
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE, "no free queue pair");
    return FALSE;
}

gboolean
nvp_hw_ctrl_qpair_delete(NvpHwCtrl *ctrl, guint16 qid, GError **error)
{
    FUZZ_CHECK(qid >= 1 && qid <= FAKE_MAX_QPAIRS && ctrl->qp[qid].live);
    memset(&ctrl->qp[qid], 0, sizeof(ctrl->qp[qid])); /* outstanding commands aborted */
    return TRUE;
}

volatile guint32 *
nvp_hw_ctrl_sq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    return &ctrl->qp[qid].sq_db;
}

volatile guint32 *
nvp_hw_ctrl_cq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    return &ctrl->qp[qid].cq_db;
}

gboolean
nvp_hw_ctrl_vector_alloc(NvpHwCtrl *ctrl, guint *vector, GError **error)
{
    for (guint v = 1; v < 32; v++) {
        if (!(ctrl->vectors & (1u << v))) {
            ctrl->vectors |= 1u << v;
            *vector = v;
            return TRUE;
        }
    }
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE, "no free vector");
    return FALSE;
}

void
nvp_hw_ctrl_vector_free(NvpHwCtrl *ctrl, guint vector)
{
    FUZZ_CHECK(vector >= 1 && vector < 32 && (ctrl->vectors & (1u << vector)));
    ctrl->vectors &= ~(1u << vector);
}

gboolean
nvp_hw_ctrl_vector_set_eventfd(NvpHwCtrl *ctrl, guint vector, int fd, GError **error)
{
    FUZZ_CHECK(ctrl->vectors & (1u << vector));
    return TRUE;
}

gboolean
nvp_hw_ctrl_admin(NvpHwCtrl *ctrl, const NvpNvmeSqe *cmd, guint32 *cqe_dw0, guint16 *status,
                  guint timeout_ms, GError **error)
{
    FUZZ_CHECK(cmd->opcode == nvme_admin_abort_cmd); /* the only admin command a slice forwards */
    FUZZ_CHECK((cmd->cdw10 & 0xffff) >= 1 && (cmd->cdw10 & 0xffff) <= FAKE_MAX_QPAIRS &&
               ctrl->qp[cmd->cdw10 & 0xffff].live); /* only its own queues */
    *cqe_dw0 = 1;
    *status = 0;
    return TRUE;
}

GQuark
nvp_hw_error_quark(void)
{
    return g_quark_from_static_string("nvp-hw-error-quark");
}
