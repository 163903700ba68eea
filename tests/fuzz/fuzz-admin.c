/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the admin command decoder and admin queue emulation (agent/vctrl/admin.c)
 * behind the real register file (agent/vctrl/regs.c), with a hardware backend double that checks
 * every request it gets (queue memory in guest RAM, granted queue IDs only, one CQ per SQ, no
 * hardware queue leaked by a controller reset). */
#include <string.h>
#include <libnvme.h>

#include "agent/vctrl/admin.h"
#include "agent/vctrl/regs.h"
#include "tests/fuzz/fuzz-guest.h"

#define N_QPAIRS 4
#define N_VECTORS 5
#define MQES 63

typedef struct {
    gboolean live;
    guint16 cqid;
} HwPair;

typedef struct {
    HwPair pairs[NVP_ADMIN_MAX_IO_QUEUES + 1];
    guint n_live;
    guint16 next_status; /* what the next create_qpair returns */
} Backend;

static FuzzGuest G;

static guint16
be_create_qpair(gpointer data, const NvpAdminQueuePair *qp)
{
    Backend *b = data;

    FUZZ_CHECK(qp->sqid >= 1 && qp->sqid <= N_QPAIRS);
    FUZZ_CHECK(!b->pairs[qp->sqid].live);
    FUZZ_CHECK(qp->cqid >= 1 && qp->cqid <= N_QPAIRS);
    for (guint q = 1; q <= N_QPAIRS; q++)
        FUZZ_CHECK(!(b->pairs[q].live && b->pairs[q].cqid == qp->cqid)); /* one CQ per SQ */
    FUZZ_CHECK(qp->sq_entries >= 2 && qp->sq_entries <= MQES + 1);
    FUZZ_CHECK(qp->cq_entries >= 2 && qp->cq_entries <= MQES + 1);
    FUZZ_CHECK(qp->sq_gpa % NVP_PAGE_SIZE == 0 && qp->cq_gpa % NVP_PAGE_SIZE == 0);
    /* the SSD will read the SQ (strict: the agent will) and write the CQ */
    FUZZ_CHECK(fuzz_guest_in_ram(qp->sq_gpa, (guint64)qp->sq_entries * sizeof(NvpNvmeSqe), FALSE));
    FUZZ_CHECK(fuzz_guest_in_ram(qp->cq_gpa, (guint64)qp->cq_entries * sizeof(NvpNvmeCqe), TRUE));
    if (qp->irq_enabled)
        FUZZ_CHECK(qp->vector < N_VECTORS);
    if (b->next_status)
        return b->next_status;
    b->pairs[qp->sqid] = (HwPair){ .live = TRUE, .cqid = qp->cqid };
    b->n_live++;
    return 0;
}

static void
be_delete_qpair(gpointer data, guint16 sqid)
{
    Backend *b = data;

    FUZZ_CHECK(sqid >= 1 && sqid <= N_QPAIRS && b->pairs[sqid].live);
    b->pairs[sqid].live = FALSE;
    b->n_live--;
}

static guint16
be_abort(gpointer data, guint16 sqid, guint16 cid, guint32 *dw0)
{
    Backend *b = data;

    FUZZ_CHECK(sqid >= 1 && sqid <= N_QPAIRS && b->pairs[sqid].live);
    *dw0 = cid & 1;
    return 0;
}

static void
be_irq(gpointer data, guint vector)
{
    FUZZ_CHECK(vector < N_VECTORS);
}

static void
be_io_figures(gpointer data, NvpAdminIoFigures *out)
{
    out->data_units_read = G_MAXUINT64;
    out->host_read_commands = 12345;
}

static const NvpAdminBackend backend = {
    .map = NULL, /* both_map below */
    .create_qpair = be_create_qpair,
    .delete_qpair = be_delete_qpair,
    .abort = be_abort,
    .irq = be_irq,
    .io_figures = be_io_figures,
};

/* Admin passes one data pointer to every callback: the map needs the guest, the rest the
 * backend, so the harness uses one struct holding both. */
typedef struct {
    Backend b; /* first member: the callbacks above cast data to Backend * */
    FuzzGuest *g;
} Both;

static Both BOTH;

static void *
both_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    return fuzz_guest_map(((Both *)data)->g, gpa, len, device_writes);
}

static void
handle_event(NvpAdmin *admin, NvpRegs *regs, const NvpRegsEvent *ev)
{
    switch (ev->type) {
    case NVP_REGS_EVENT_ENABLE:
        nvp_admin_enable(admin);
        break;
    case NVP_REGS_EVENT_DISABLE:
        nvp_admin_reset(admin);
        FUZZ_CHECK(BOTH.b.n_live == 0);
        break;
    case NVP_REGS_EVENT_SHUTDOWN:
        break;
    case NVP_REGS_EVENT_SQ_TAIL:
        if (ev->qid == 0)
            nvp_admin_sq_tail(admin, ev->value);
        else
            FUZZ_CHECK(ev->qid <= N_QPAIRS && regs->sq_size[ev->qid] > ev->value);
        break;
    case NVP_REGS_EVENT_CQ_HEAD:
        if (ev->qid == 0)
            nvp_admin_cq_head(admin, ev->value);
        else
            FUZZ_CHECK(ev->qid <= N_QPAIRS && regs->cq_size[ev->qid] > ev->value);
        break;
    case NVP_REGS_EVENT_BAD_DOORBELL:
        nvp_admin_error_event(admin, (guint8)ev->value);
        break;
    case NVP_REGS_EVENT_NONE:
        break;
    }
}

static void
reg_write(NvpAdmin *admin, NvpRegs *regs, guint64 off, guint32 len, guint64 v)
{
    NvpRegsEvent ev;

    if (nvp_regs_write(regs, off, len, v, &ev))
        handle_event(admin, regs, &ev);
}

static guint64
le(const guint8 *p, guint n)
{
    guint64 v = 0;

    for (guint i = 0; i < n; i++)
        v |= (guint64)p[i] << (8 * i);
    return v;
}

static void
check_live_queues_consistent(NvpAdmin *admin)
{
    for (guint16 q = 0; q <= NVP_ADMIN_MAX_IO_QUEUES; q++) {
        const NvpAdminSq *sq = nvp_admin_get_sq(admin, q);

        if (q == 0 || q > N_QPAIRS) {
            FUZZ_CHECK(q == 0 || sq == NULL);
            continue;
        }
        /* the emulation's view and the hardware's view of live queue pairs agree */
        FUZZ_CHECK((sq != NULL) == BOTH.b.pairs[q].live);
        if (sq)
            FUZZ_CHECK(nvp_admin_get_cq(admin, sq->cqid) != NULL);
    }
}

/*
 * Input: a program of operations, each one opcode byte (mod 8) and its operands:
 *   0 execute: 64-byte SQE straight into nvp_admin_execute()
 *   1 patch guest memory: one patch (fuzz-common.h format)
 *   2 bring up: u32 AQA, u64 ASQ, u64 ACQ written to the registers, then CC = EN
 *   3 admin SQ tail doorbell: u16     4 admin CQ head doorbell: u16
 *   5 register write: u16 offset, u8 size selector, u64 value
 *   6 next create_qpair status: u16   7 controller reset (CC.EN = 0)
 */
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static const guint32 lens[] = { 1, 2, 4, 8, 3 };
    struct nvme_id_ctrl hw_id;
    struct nvme_id_ns hw_ns;
    NvpRegsConfig rcfg = { .mqes = MQES, .timeout = 10, .n_io_queues = N_QPAIRS };
    NvpRegs regs;
    NvpAdminConfig cfg;
    NvpAdminBackend be = backend;
    g_autoptr(NvpAdmin) admin = NULL;
    const guint8 *p = data;
    const guint8 *end = data + size;

    if (!G.dma) {
        fuzz_guest_init(&G);
        fuzz_quiet_logs();
        BOTH.g = &G;
    }
    memset(&BOTH.b, 0, sizeof(BOTH.b));
    fuzz_guest_clear(&G);
    if (size < 2)
        return 0;

    memset(&hw_id, 0x5a, sizeof(hw_id));
    memset(&hw_ns, 0xa5, sizeof(hw_ns));
    hw_ns.flbas = p[0];
    hw_id.oncs = GUINT16_TO_LE((guint16)(p[1] * 0x0101u));
    hw_id.vwc = p[1] & 1;
    p += 2;

    cfg = (NvpAdminConfig){
        .hw_id = &hw_id,
        .hw_ns = &hw_ns,
        .lba_count = 262144,
        .max_transfer = 128 * 1024,
        .n_qpairs = N_QPAIRS,
        .n_vectors = N_VECTORS,
        .cntlid = 1,
        .mqes = MQES,
        .serial = "FUZZ-SERIAL-0123456789", /* longer than 20: truncated */
        .model = "virt-nvmepool slice",
        .subnqn = "nqn.2026-11.org.example:fuzz",
    };
    nvp_regs_init(&regs, &rcfg);
    be.map = both_map;
    be.hw_map = both_map; /* one guest: what the agent and the SSD may reach is the same */
    admin = nvp_admin_new(&cfg, &regs, &be, &BOTH);

    while (p < end) {
        guint op = *p++ % 8;

        switch (op) {
        case 0: {
            NvpNvmeSqe cmd;
            guint16 status;
            guint32 dw0;

            if (end - p < (ptrdiff_t)sizeof(cmd))
                goto done;
            memcpy(&cmd, p, sizeof(cmd));
            p += sizeof(cmd);
            (void)nvp_admin_execute(admin, &cmd, &status, &dw0);
            break;
        }
        case 1: {
            gsize len;

            if (end - p < 5)
                goto done;
            len = MIN((gsize)(p[3] | (p[4] << 8)), (gsize)(end - p - 5));
            fuzz_apply_patches(p, 5 + len, G.ram, FUZZ_RAM_SIZE, G.ro, FUZZ_RO_SIZE);
            p += 5 + len;
            break;
        }
        case 2:
            if (end - p < 20)
                goto done;
            reg_write(admin, &regs, NVP_NVME_REG_AQA, 4, le(p, 4));
            reg_write(admin, &regs, NVP_NVME_REG_ASQ, 8, le(p + 4, 8));
            reg_write(admin, &regs, NVP_NVME_REG_ACQ, 8, le(p + 12, 8));
            reg_write(admin, &regs, NVP_NVME_REG_CC, 4, NVP_NVME_CC_EN | (6u << 16) | (4u << 20));
            p += 20;
            break;
        case 3:
        case 4:
            if (end - p < 2)
                goto done;
            reg_write(admin, &regs, NVP_NVME_REG_DBS + (op == 4 ? 4 : 0), 4, le(p, 2));
            p += 2;
            break;
        case 5:
            if (end - p < 11)
                goto done;
            reg_write(admin, &regs, le(p, 2), lens[p[2] % G_N_ELEMENTS(lens)], le(p + 3, 8));
            p += 11;
            break;
        case 6:
            if (end - p < 2)
                goto done;
            BOTH.b.next_status = (guint16)le(p, 2);
            p += 2;
            break;
        case 7:
            reg_write(admin, &regs, NVP_NVME_REG_CC, 4, 0);
            break;
        }
        check_live_queues_consistent(admin);
        FUZZ_CHECK(nvp_admin_get_stats(admin)->commands >= nvp_admin_get_stats(admin)->refused);
    }
done:
    /* teardown: every hardware queue pair is deleted by a reset */
    nvp_admin_reset(admin);
    FUZZ_CHECK(BOTH.b.n_live == 0);
    return 0;
}
