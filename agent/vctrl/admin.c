/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Admin queue emulation of one virtual NVMe controller (NVMe 1.4 section 5): generic checks,
 * one dispatch switch, one handler per command. Guest-triggered problems become NVMe statuses. */
#include <string.h>

#include "agent/vctrl/admin.h"

#define PAGE_MASK ((guint64)NVP_PAGE_SIZE - 1)
#define MAX_PENDING_EVENTS 8

/* Commands Supported and Effects: CSUPP (bit 0), LBCC (bit 1). */
#define EFFECT_CSUPP 0x1u
#define EFFECT_LBCC 0x2u

struct _NvpAdmin {
    NvpAdminConfig cfg;
    NvpRegs *regs;
    NvpAdminBackend backend;
    gpointer data;

    struct nvme_id_ctrl id_ctrl;
    struct nvme_id_ns id_ns;

    NvpAdminRing sq;
    NvpAdminRing cq;
    gboolean enabled;

    /* index = queue ID, 0..cfg.n_qpairs (the grant; 0 unused): every guest ID is checked
     * against cfg.n_qpairs before use */
    NvpAdminCq *cqs;
    NvpAdminSq *sqs;
    guint n_live_queues;

    /* features (current values) */
    guint32 arbitration;
    guint32 power_mgmt;
    guint32 temp_thresh;
    guint32 err_recovery;
    guint32 vwc;
    guint32 irq_coalesce;
    guint32 write_atomic;
    guint32 async_event_cfg;
    guint32 kato;
    guint64 timestamp_ms;     /* host-set value ... */
    gint64 timestamp_base_us; /* ... at this monotonic time; 0 = never set */

    /* asynchronous events */
    guint16 aer_cids[NVP_ADMIN_AERL + 1];
    guint n_aers;
    guint32 pending_events[MAX_PENDING_EVENTS];
    guint n_pending_events;
    gboolean error_event_masked; /* until the host reads the Error log */

    gint64 created_us;
    guint64 power_cycles;
    NvpAdminStats stats;
};

/* ---- small helpers ---------------------------------------------------------------------- */

/* SQ head: wraps at size. */
static void
sq_advance(NvpAdminRing *sq)
{
    if (++sq->head == sq->size)
        sq->head = 0;
}

/* CQ tail: wraps at size, flipping the phase tag we write. */
static void
cq_advance(NvpAdminRing *cq)
{
    if (++cq->tail == cq->size) {
        cq->tail = 0;
        cq->phase ^= 1;
    }
}

static gboolean
cq_full(const NvpAdminRing *cq)
{
    return (cq->tail + 1) % cq->size == cq->head;
}

static void
set_padded(char *dst, gsize size, const char *src)
{
    gsize n = src ? MIN(strlen(src), size) : 0;

    memset(dst, ' ', size);
    if (n)
        memcpy(dst, src, n);
}

static void
put_le128(guint8 dst[16], guint64 value)
{
    memset(dst, 0, 16);
    for (guint i = 0; i < 8; i++)
        dst[i] = (guint8)(value >> (8 * i));
}

/* Copies len bytes between buf and the guest buffer described by PRP1/PRP2 of cmd (PRP lists
 * allowed, len <= NVP_ADMIN_MAX_XFER). FALSE if any part is not in guest RAM or misaligned. */
static gboolean
prp_copy(NvpAdmin *a, const NvpNvmeSqe *cmd, void *buf, guint32 len, gboolean to_guest)
{
    guint8 *p = buf;
    guint64 entries[NVP_ADMIN_MAX_XFER / NVP_PAGE_SIZE + 1];
    guint32 n = 0;
    guint64 first;

    g_return_val_if_fail(len <= NVP_ADMIN_MAX_XFER, FALSE);
    if (len == 0)
        return TRUE;
    if (cmd->prp1 & 3)
        return FALSE;
    first = MIN((guint64)len, NVP_PAGE_SIZE - (cmd->prp1 & PAGE_MASK));
    entries[n++] = cmd->prp1;
    if (len > first) {
        guint32 rest = len - (guint32)first;
        guint32 need = (rest + NVP_PAGE_SIZE - 1) / NVP_PAGE_SIZE;

        if (need == 1) {
            entries[n++] = cmd->prp2;
        } else {
            guint64 list = cmd->prp2;
            guint32 got = 0;

            if (list & 7)
                return FALSE;
            while (got < need) {
                guint32 in_page = (guint32)((NVP_PAGE_SIZE - (list & PAGE_MASK)) / 8);
                guint32 left = need - got;
                guint32 take = left <= in_page ? left : in_page - 1;
                const guint64 *src;

                if (take == 0)
                    return FALSE;
                src = a->backend.map(a->data, list, (guint64)(take + (left > in_page)) * 8, FALSE);
                if (!src)
                    return FALSE;
                memcpy(entries + n, src, take * 8);
                n += take;
                got += take;
                if (got < need) {
                    memcpy(&list, src + take, sizeof(list));
                    if (list & 7) /* the next list is qword aligned, like the first */
                        return FALSE;
                }
            }
        }
    }

    for (guint32 i = 0; i < n && len > 0; i++) {
        guint64 gpa = entries[i];
        guint64 chunk = i == 0 ? first : MIN((guint64)len, NVP_PAGE_SIZE);
        void *host;

        if (i > 0 && (gpa & PAGE_MASK))
            return FALSE;
        host = a->backend.map(a->data, gpa, chunk, to_guest);
        if (!host)
            return FALSE;
        if (to_guest)
            memcpy(host, p, chunk);
        else
            memcpy(p, host, chunk);
        p += chunk;
        len -= (guint32)chunk;
    }
    return len == 0;
}

static guint16
to_guest(NvpAdmin *a, const NvpNvmeSqe *cmd, const void *buf, guint32 len)
{
    if (!prp_copy(a, cmd, (void *)buf, len, TRUE))
        return NVP_STATUS_GENERIC(NVME_SC_DATA_XFER_ERROR);
    return 0;
}

/* ---- identify data ----------------------------------------------------------------------- */

static void
build_id_ctrl(NvpAdmin *a)
{
    const struct nvme_id_ctrl *hw = a->cfg.hw_id;
    struct nvme_id_ctrl *id = &a->id_ctrl;
    guint32 mdts = 0;

    /* Start from zero and copy only what is true of the slice too: nothing about namespace
     * management, firmware, sanitize, security or SR-IOV of the physical controller leaks. */
    memset(id, 0, sizeof(*id));
    id->vid = hw->vid;
    id->ssvid = hw->ssvid;
    set_padded(id->sn, sizeof(id->sn), a->cfg.serial);
    set_padded(id->mn, sizeof(id->mn), a->cfg.model);
    memcpy(id->fr, hw->fr, sizeof(id->fr));
    id->rab = hw->rab;
    memcpy(id->ieee, hw->ieee, sizeof(id->ieee));
    while ((NVP_PAGE_SIZE << (mdts + 1)) <= a->cfg.max_transfer && mdts < 15)
        mdts++;
    id->mdts = (guint8)mdts;
    id->cntlid = GUINT16_TO_LE(a->cfg.cntlid);
    id->ver = GUINT32_TO_LE(0x00010400);
    id->rtd3r = hw->rtd3r;
    id->rtd3e = hw->rtd3e;
    id->cntrltype = 1; /* I/O controller */
    id->acl = 3;
    id->aerl = NVP_ADMIN_AERL;
    id->frmw = 0x3; /* one slot, slot 1 read-only */
    id->lpa = 0x6;  /* Commands Supported and Effects, extended data */
    id->elpe = 0;
    id->npss = 0;
    id->wctemp = hw->wctemp;
    id->cctemp = hw->cctemp;
    id->sqes = 0x66;
    id->cqes = 0x44;
    id->nn = GUINT32_TO_LE(1);
    id->oncs =
        GUINT16_TO_LE((GUINT16_FROM_LE(hw->oncs) & (NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_DSM |
                                                    NVME_CTRL_ONCS_WRITE_ZEROES)) |
                      NVME_CTRL_ONCS_TIMESTAMP);
    id->vwc = hw->vwc & 0x1;
    id->awun = hw->awun;
    id->awupf = hw->awupf;
    id->acwu = hw->acwu;
    if (a->cfg.subnqn)
        g_strlcpy(id->subnqn, a->cfg.subnqn, sizeof(id->subnqn));
    id->psd[0] = hw->psd[0];
}

static void
build_id_ns(NvpAdmin *a)
{
    const struct nvme_id_ns *hw = a->cfg.hw_ns;
    struct nvme_id_ns *ns = &a->id_ns;
    guint fmt = (hw->flbas & 0xf) | (((guint)hw->flbas >> 5 & 0x3) << 4);

    memset(ns, 0, sizeof(*ns));
    ns->nsze = ns->ncap = ns->nuse = GUINT64_TO_LE(a->cfg.lba_count);
    ns->nlbaf = 0; /* one format ... */
    ns->flbas = 0;
    ns->lbaf[0] = hw->lbaf[fmt < 64 ? fmt : 0]; /* ... the physical namespace's current one */
    ns->lbaf[0].ms = 0;
    ns->dlfeat = hw->dlfeat;
    ns->noiob = hw->noiob;
    ns->npwg = hw->npwg;
    ns->npwa = hw->npwa;
    ns->npdg = hw->npdg;
    ns->npda = hw->npda;
    ns->nows = hw->nows;
    memcpy(ns->nguid, a->cfg.uuid, 16);
    for (guint i = 0; i < 8; i++)
        ns->eui64[i] = a->cfg.uuid[i] ^ a->cfg.uuid[8 + i];
}

/* ---- handlers ---------------------------------------------------------------------------- */

static guint16
identify(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint8 cns = cmd->cdw10 & 0xff;
    guint8 csi = cmd->cdw11 >> 24;
    guint8 buf[NVP_PAGE_SIZE] = { 0 };

    switch (cns) {
    case NVME_IDENTIFY_CNS_NS:
        if (cmd->nsid == 1)
            return to_guest(a, cmd, &a->id_ns, sizeof(a->id_ns));
        if (cmd->nsid == NVME_NSID_ALL) {
            struct nvme_id_ns common = a->id_ns; /* capabilities common to all namespaces */

            common.nsze = common.ncap = common.nuse = 0;
            memset(common.nguid, 0, sizeof(common.nguid));
            memset(common.eui64, 0, sizeof(common.eui64));
            return to_guest(a, cmd, &common, sizeof(common));
        }
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_NS);
    case NVME_IDENTIFY_CNS_CTRL:
        return to_guest(a, cmd, &a->id_ctrl, sizeof(a->id_ctrl));
    case NVME_IDENTIFY_CNS_NS_ACTIVE_LIST:
        if (cmd->nsid >= 0xfffffffeu)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_NS);
        if (cmd->nsid < 1) {
            guint32 one = GUINT32_TO_LE(1);
            memcpy(buf, &one, 4);
        }
        return to_guest(a, cmd, buf, sizeof(buf));
    case NVME_IDENTIFY_CNS_NS_DESC_LIST: {
        guint8 *p = buf;
        if (cmd->nsid != 1)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_NS);
        p[0] = NVME_NIDT_EUI64;
        p[1] = 8;
        memcpy(p + 4, a->id_ns.eui64, 8);
        p += 4 + 8;
        p[0] = NVME_NIDT_NGUID;
        p[1] = 16;
        memcpy(p + 4, a->id_ns.nguid, 16);
        p += 4 + 16;
        p[0] = NVME_NIDT_UUID;
        p[1] = 16;
        memcpy(p + 4, a->cfg.uuid, 16);
        p += 4 + 16;
        p[0] = NVME_NIDT_CSI;
        p[1] = 1;
        p[4] = NVME_CSI_NVM;
        return to_guest(a, cmd, buf, sizeof(buf));
    }
    case NVME_IDENTIFY_CNS_CSI_NS:
        if (csi != NVME_CSI_NVM)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        if (cmd->nsid != 1)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_NS);
        return to_guest(a, cmd, buf, sizeof(buf)); /* no PI, no storage tags: all zero */
    case NVME_IDENTIFY_CNS_CSI_CTRL:
        if (csi != NVME_CSI_NVM)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        return to_guest(a, cmd, buf, sizeof(buf)); /* no extra NVM limits */
    default:
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    }
}

static void
build_smart(NvpAdmin *a, struct nvme_smart_log *s)
{
    NvpAdminIoFigures f = { 0 };
    guint64 hours =
        (guint64)((g_get_monotonic_time() - a->created_us) / ((gint64)3600 * G_USEC_PER_SEC));
    guint16 temp;

    if (a->backend.io_figures)
        a->backend.io_figures(a->data, &f);
    temp = f.temperature ? f.temperature : 313;
    memset(s, 0, sizeof(*s));
    s->temperature[0] = temp & 0xff;
    s->temperature[1] = temp >> 8;
    s->avail_spare = 100;
    s->spare_thresh = 10;
    put_le128(s->data_units_read, f.data_units_read);
    put_le128(s->data_units_written, f.data_units_written);
    put_le128(s->host_reads, f.host_read_commands);
    put_le128(s->host_writes, f.host_write_commands);
    put_le128(s->power_cycles, a->power_cycles);
    put_le128(s->power_on_hours, hours);
}

static guint16
get_log_page(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint8 lid = cmd->cdw10 & 0xff;
    gboolean rae = (cmd->cdw10 >> 15) & 1;
    guint64 numd = ((guint64)(cmd->cdw10 >> 16) | ((guint64)(cmd->cdw11 & 0xffff) << 16)) + 1;
    guint64 len = numd * 4;
    guint64 offset = (guint64)cmd->cdw12 | ((guint64)cmd->cdw13 << 32);
    g_autofree guint8 *out = NULL;
    guint8 page[NVP_PAGE_SIZE] = { 0 };
    gsize page_len;
    guint16 st;

    if (len > NVP_ADMIN_MAX_XFER || (offset & 3))
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);

    switch (lid) {
    case NVME_LOG_LID_ERROR:
        page_len = 64; /* one entry (ELPE 0), never filled: no media errors here */
        break;
    case NVME_LOG_LID_SMART:
        if (cmd->nsid != 0 && cmd->nsid != 1 && cmd->nsid != NVME_NSID_ALL)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_NS);
        build_smart(a, (struct nvme_smart_log *)page);
        page_len = sizeof(struct nvme_smart_log);
        break;
    case NVME_LOG_LID_FW_SLOT: {
        struct nvme_firmware_slot *fw = (struct nvme_firmware_slot *)page;
        fw->afi = 1;
        memcpy(fw->frs[0], a->id_ctrl.fr, sizeof(fw->frs[0]));
        page_len = sizeof(*fw);
        break;
    }
    case NVME_LOG_LID_CMD_EFFECTS: {
        struct nvme_cmd_effects_log *e = (struct nvme_cmd_effects_log *)page;
        const guint8 admin_ops[] = { nvme_admin_delete_sq,    nvme_admin_create_sq,
                                     nvme_admin_get_log_page, nvme_admin_delete_cq,
                                     nvme_admin_create_cq,    nvme_admin_identify,
                                     nvme_admin_abort_cmd,    nvme_admin_set_features,
                                     nvme_admin_get_features, nvme_admin_async_event,
                                     nvme_admin_keep_alive };
        for (guint i = 0; i < G_N_ELEMENTS(admin_ops); i++)
            e->acs[admin_ops[i]] = GUINT32_TO_LE(EFFECT_CSUPP);
        e->iocs[nvme_cmd_flush] = GUINT32_TO_LE(EFFECT_CSUPP | EFFECT_LBCC);
        e->iocs[nvme_cmd_write] = GUINT32_TO_LE(EFFECT_CSUPP | EFFECT_LBCC);
        e->iocs[nvme_cmd_read] = GUINT32_TO_LE(EFFECT_CSUPP);
        e->iocs[nvme_cmd_compare] = GUINT32_TO_LE(EFFECT_CSUPP);
        if (GUINT16_FROM_LE(a->id_ctrl.oncs) & NVME_CTRL_ONCS_WRITE_ZEROES)
            e->iocs[nvme_cmd_write_zeroes] = GUINT32_TO_LE(EFFECT_CSUPP | EFFECT_LBCC);
        if (GUINT16_FROM_LE(a->id_ctrl.oncs) & NVME_CTRL_ONCS_DSM)
            e->iocs[nvme_cmd_dsm] = GUINT32_TO_LE(EFFECT_CSUPP | EFFECT_LBCC);
        page_len = sizeof(*e);
        break;
    }
    default:
        return NVP_STATUS_SPECIFIC(NVME_SC_INVALID_LOG_PAGE);
    }

    if (offset > page_len)
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    out = g_malloc0(len);
    memcpy(out, page + offset, MIN(len, page_len - offset));
    st = to_guest(a, cmd, out, (guint32)len);
    if (st == 0 && lid == NVME_LOG_LID_ERROR && !rae)
        a->error_event_masked = FALSE;
    return st;
}

static guint16
create_cq(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint16 qid = cmd->cdw10 & 0xffff;
    guint32 entries = (cmd->cdw10 >> 16) + 1;
    guint16 vector = cmd->cdw11 >> 16;
    gboolean ien = (cmd->cdw11 >> 1) & 1;
    NvpAdminCq *cq;

    if (qid == 0 || qid > a->cfg.n_qpairs || a->cqs[qid].live)
        return NVP_STATUS_SPECIFIC(NVME_SC_QID_INVALID);
    if (entries < 2 || entries > (guint32)a->cfg.mqes + 1)
        return NVP_STATUS_SPECIFIC(NVME_SC_QUEUE_SIZE);
    if (!(cmd->cdw11 & NVP_NVME_QUEUE_PHYS_CONTIG))
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    if (ien && vector >= a->cfg.n_vectors)
        return NVP_STATUS_SPECIFIC(NVME_SC_INVALID_VECTOR);
    if (cmd->prp1 & PAGE_MASK)
        return NVP_STATUS_GENERIC(NVME_SC_PRP_INVALID_OFFSET);
    if (!a->backend.hw_map(a->data, cmd->prp1, (guint64)entries * sizeof(NvpNvmeCqe), TRUE))
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);

    cq = &a->cqs[qid];
    *cq = (NvpAdminCq){
        .gpa = cmd->prp1, .entries = entries, .vector = vector, .irq_enabled = ien, .live = TRUE
    };
    nvp_regs_set_cq(a->regs, qid, entries);
    return 0;
}

static guint16
create_sq(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint16 qid = cmd->cdw10 & 0xffff;
    guint32 entries = (cmd->cdw10 >> 16) + 1;
    guint16 cqid = cmd->cdw11 >> 16;
    NvpAdminCq *cq;
    NvpAdminQueuePair qp;
    guint16 st;

    if (qid == 0 || qid > a->cfg.n_qpairs || a->sqs[qid].live)
        return NVP_STATUS_SPECIFIC(NVME_SC_QID_INVALID);
    if (cqid == 0 || cqid > a->cfg.n_qpairs || !a->cqs[cqid].live)
        return NVP_STATUS_SPECIFIC(NVME_SC_CQ_INVALID);
    cq = &a->cqs[cqid];
    if (cq->n_sqs > 0) /* one hardware CQ per hardware SQ: a shared CQ can't be the guest's */
        return NVP_STATUS_SPECIFIC(NVME_SC_CQ_INVALID);
    if (entries < 2 || entries > (guint32)a->cfg.mqes + 1)
        return NVP_STATUS_SPECIFIC(NVME_SC_QUEUE_SIZE);
    if (!(cmd->cdw11 & NVP_NVME_QUEUE_PHYS_CONTIG))
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    if (cmd->prp1 & PAGE_MASK)
        return NVP_STATUS_GENERIC(NVME_SC_PRP_INVALID_OFFSET);
    if (!a->backend.hw_map(a->data, cmd->prp1, (guint64)entries * sizeof(NvpNvmeSqe), FALSE))
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);

    qp = (NvpAdminQueuePair){
        .sqid = qid,
        .sq_gpa = cmd->prp1,
        .sq_entries = entries,
        .cqid = cqid,
        .cq_gpa = cq->gpa,
        .cq_entries = cq->entries,
        .vector = cq->vector,
        .irq_enabled = cq->irq_enabled,
    };
    st = a->backend.create_qpair(a->data, &qp);
    if (st != 0)
        return st;
    a->sqs[qid] = (NvpAdminSq){ .gpa = cmd->prp1, .entries = entries, .cqid = cqid, .live = TRUE };
    cq->n_sqs++;
    a->n_live_queues++;
    nvp_regs_set_sq(a->regs, qid, entries);
    return 0;
}

static void
unbind_sq(NvpAdmin *a, guint16 qid)
{
    NvpAdminSq *sq = &a->sqs[qid];

    a->backend.delete_qpair(a->data, qid);
    a->cqs[sq->cqid].n_sqs--;
    sq->live = FALSE;
    a->n_live_queues--;
    nvp_regs_set_sq(a->regs, qid, 0);
}

static guint16
delete_sq(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint16 qid = cmd->cdw10 & 0xffff;

    if (qid == 0 || qid > a->cfg.n_qpairs || !a->sqs[qid].live)
        return NVP_STATUS_SPECIFIC(NVME_SC_QID_INVALID);
    unbind_sq(a, qid);
    return 0;
}

static guint16
delete_cq(NvpAdmin *a, const NvpNvmeSqe *cmd)
{
    guint16 qid = cmd->cdw10 & 0xffff;

    if (qid == 0 || qid > a->cfg.n_qpairs || !a->cqs[qid].live)
        return NVP_STATUS_SPECIFIC(NVME_SC_QID_INVALID);
    if (a->cqs[qid].n_sqs > 0)
        return NVP_STATUS_SPECIFIC(NVME_SC_INVALID_QUEUE);
    a->cqs[qid].live = FALSE;
    nvp_regs_set_cq(a->regs, qid, 0);
    return 0;
}

static guint16
abort_cmd(NvpAdmin *a, const NvpNvmeSqe *cmd, guint32 *dw0)
{
    guint16 sqid = cmd->cdw10 & 0xffff;
    guint16 cid = cmd->cdw10 >> 16;

    *dw0 = 1; /* not aborted */
    if (sqid == 0)
        return 0; /* admin commands complete before the next one is fetched */
    if (sqid > a->cfg.n_qpairs || !a->sqs[sqid].live)
        return 0;
    return a->backend.abort(a->data, sqid, cid, dw0);
}

static guint16
timestamp_feature(NvpAdmin *a, const NvpNvmeSqe *cmd, gboolean set)
{
    guint8 ts[8] = { 0 };
    guint64 ms;

    if (set) {
        if (!prp_copy(a, cmd, ts, sizeof(ts), FALSE))
            return NVP_STATUS_GENERIC(NVME_SC_DATA_XFER_ERROR);
        ms = 0;
        for (guint i = 0; i < 6; i++)
            ms |= (guint64)ts[i] << (8 * i);
        a->timestamp_ms = ms;
        a->timestamp_base_us = g_get_monotonic_time();
        return 0;
    }
    if (a->timestamp_base_us) {
        ms = a->timestamp_ms + (guint64)(g_get_monotonic_time() - a->timestamp_base_us) / 1000;
        ts[6] = 1 << 1; /* Timestamp Origin: set by a Set Features command */
    } else {
        ms = (guint64)(g_get_monotonic_time() - a->created_us) / 1000;
    }
    for (guint i = 0; i < 6; i++)
        ts[i] = (guint8)(ms >> (8 * i));
    return to_guest(a, cmd, ts, sizeof(ts));
}

static guint32
num_queues_dw0(NvpAdmin *a)
{
    guint32 n = (guint32)a->cfg.n_qpairs - 1;
    return n | (n << 16);
}

static guint16
set_features(NvpAdmin *a, const NvpNvmeSqe *cmd, guint32 *dw0)
{
    guint8 fid = cmd->cdw10 & 0xff;
    gboolean save = cmd->cdw10 >> 31;
    guint32 v = cmd->cdw11;

    if (save)
        return NVP_STATUS_SPECIFIC(NVME_SC_FEATURE_NOT_SAVEABLE);

    switch (fid) {
    case NVME_FEAT_FID_ARBITRATION:
        a->arbitration = v;
        return 0;
    case NVME_FEAT_FID_POWER_MGMT:
        if ((v & 0x1f) != 0) /* only power state 0 exists */
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        a->power_mgmt = v;
        return 0;
    case NVME_FEAT_FID_TEMP_THRESH:
        a->temp_thresh = v & 0xffff;
        return 0;
    case NVME_FEAT_FID_ERR_RECOVERY:
        a->err_recovery = v & 0x1ffff;
        return 0;
    case NVME_FEAT_FID_VOLATILE_WC:
        if (!(a->id_ctrl.vwc & 1))
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        /* recorded only: the physical cache is shared by every slice; Flush still works */
        a->vwc = v & 1;
        return 0;
    case NVME_FEAT_FID_NUM_QUEUES:
        if ((v & 0xffff) == 0xffff || (v >> 16) == 0xffff)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        if (a->n_live_queues > 0)
            return NVP_STATUS_GENERIC(NVME_SC_CMD_SEQ_ERROR);
        *dw0 = num_queues_dw0(a);
        return 0;
    case NVME_FEAT_FID_IRQ_COALESCE:
        /* recorded only: the hardware CQ interrupts the guest directly */
        a->irq_coalesce = v & 0xffff;
        return 0;
    case NVME_FEAT_FID_IRQ_CONFIG:
        if ((v & 0xffff) >= a->cfg.n_vectors)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        return 0;
    case NVME_FEAT_FID_WRITE_ATOMIC:
        a->write_atomic = v & 1;
        return 0;
    case NVME_FEAT_FID_ASYNC_EVENT:
        a->async_event_cfg = v;
        return 0;
    case NVME_FEAT_FID_TIMESTAMP:
        return timestamp_feature(a, cmd, TRUE);
    case NVME_FEAT_FID_KATO:
        a->kato = v;
        return 0;
    default:
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    }
}

static guint16
get_features(NvpAdmin *a, const NvpNvmeSqe *cmd, guint32 *dw0)
{
    guint8 fid = cmd->cdw10 & 0xff;
    guint8 sel = (cmd->cdw10 >> 8) & 0x7;
    gboolean dflt = sel == 1 || sel == 2; /* default; saved == default (nothing is saveable) */

    if (sel > 3)
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);

    switch (fid) {
    case NVME_FEAT_FID_ARBITRATION:
        *dw0 = dflt ? 0 : a->arbitration;
        break;
    case NVME_FEAT_FID_POWER_MGMT:
        *dw0 = dflt ? 0 : a->power_mgmt;
        break;
    case NVME_FEAT_FID_TEMP_THRESH:
        *dw0 = dflt ? GUINT16_FROM_LE(a->id_ctrl.wctemp) : a->temp_thresh;
        break;
    case NVME_FEAT_FID_ERR_RECOVERY:
        *dw0 = dflt ? 0 : a->err_recovery;
        break;
    case NVME_FEAT_FID_VOLATILE_WC:
        if (!(a->id_ctrl.vwc & 1))
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        *dw0 = dflt ? 1 : a->vwc;
        break;
    case NVME_FEAT_FID_NUM_QUEUES:
        *dw0 = num_queues_dw0(a);
        break;
    case NVME_FEAT_FID_IRQ_COALESCE:
        *dw0 = dflt ? 0 : a->irq_coalesce;
        break;
    case NVME_FEAT_FID_IRQ_CONFIG:
        if ((cmd->cdw11 & 0xffff) >= a->cfg.n_vectors)
            return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        *dw0 = cmd->cdw11 & 0xffff;
        break;
    case NVME_FEAT_FID_WRITE_ATOMIC:
        *dw0 = dflt ? 0 : a->write_atomic;
        break;
    case NVME_FEAT_FID_ASYNC_EVENT:
        *dw0 = dflt ? 0 : a->async_event_cfg;
        break;
    case NVME_FEAT_FID_TIMESTAMP:
        if (sel == 3) {
            *dw0 = 0x4;
            return 0;
        }
        return timestamp_feature(a, cmd, FALSE);
    case NVME_FEAT_FID_KATO:
        *dw0 = dflt ? 0 : a->kato;
        break;
    default:
        return NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
    }
    if (sel == 3)
        *dw0 = fid == NVME_FEAT_FID_NUM_QUEUES ? 0 : 0x4; /* changeable, not saveable */
    return 0;
}

static void post_cqe(NvpAdmin *a, guint16 cid, guint16 status, guint32 dw0);

static gboolean
deliver_event(NvpAdmin *a)
{
    guint16 cid;
    guint32 ev;

    if (a->n_aers == 0 || a->n_pending_events == 0 || cq_full(&a->cq))
        return FALSE;
    cid = a->aer_cids[--a->n_aers];
    ev = a->pending_events[0];
    memmove(a->pending_events, a->pending_events + 1, (--a->n_pending_events) * sizeof(guint32));
    post_cqe(a, cid, 0, ev);
    a->stats.aer_events++;
    return TRUE;
}

static gboolean
async_event_request(NvpAdmin *a, const NvpNvmeSqe *cmd, guint16 *status)
{
    if (a->n_aers > NVP_ADMIN_AERL) {
        *status = NVP_STATUS_SPECIFIC(NVME_SC_ASYNC_LIMIT);
        return TRUE;
    }
    a->aer_cids[a->n_aers++] = cmd->cid;
    return FALSE;
}

gboolean
nvp_admin_execute(NvpAdmin *a, const NvpNvmeSqe *cmd, guint16 *status, guint32 *dw0)
{
    *status = 0;
    *dw0 = 0;
    a->stats.commands++;

    /* generic checks: no fused operations, PRPs only (SGLs are not for admin commands over PCIe) */
    if (cmd->flags != 0) {
        *status = NVP_STATUS_GENERIC(NVME_SC_INVALID_FIELD);
        goto out;
    }

    switch (cmd->opcode) {
    case nvme_admin_delete_sq:
        *status = delete_sq(a, cmd);
        break;
    case nvme_admin_create_sq:
        *status = create_sq(a, cmd);
        break;
    case nvme_admin_get_log_page:
        *status = get_log_page(a, cmd);
        break;
    case nvme_admin_delete_cq:
        *status = delete_cq(a, cmd);
        break;
    case nvme_admin_create_cq:
        *status = create_cq(a, cmd);
        break;
    case nvme_admin_identify:
        *status = identify(a, cmd);
        break;
    case nvme_admin_abort_cmd:
        *status = abort_cmd(a, cmd, dw0);
        break;
    case nvme_admin_set_features:
        *status = set_features(a, cmd, dw0);
        break;
    case nvme_admin_get_features:
        *status = get_features(a, cmd, dw0);
        break;
    case nvme_admin_async_event:
        if (!async_event_request(a, cmd, status))
            return FALSE;
        break;
    case nvme_admin_keep_alive:
        break;
    default:
        /* Format NVM, Sanitize, Firmware Commit/Download, Namespace Management/Attachment,
         * Security Send/Receive, Virtualization Management, Device Self-test, Directives,
         * Doorbell Buffer Config, NVMe-MI, Get LBA Status, vendor-specific and unknown opcodes:
         * none is advertised (OACS = 0), so each is an invalid opcode for this controller. */
        a->stats.invalid_opcode++;
        *status = NVP_STATUS_GENERIC(NVME_SC_INVALID_OPCODE);
        break;
    }
out:
    if (*status)
        a->stats.refused++;
    return TRUE;
}

/* ---- admin rings ------------------------------------------------------------------------- */

static void
post_cqe(NvpAdmin *a, guint16 cid, guint16 status, guint32 dw0)
{
    NvpNvmeCqe *slot = a->backend.map(a->data, a->cq.gpa + (guint64)a->cq.tail * sizeof(NvpNvmeCqe),
                                      sizeof(NvpNvmeCqe), TRUE);
    guint16 st = (guint16)((status << 1) | a->cq.phase);

    if (!slot) {
        a->stats.unreachable++;
        nvp_regs_set_fatal(a->regs);
        return;
    }
    slot->dw0 = GUINT32_TO_LE(dw0);
    slot->dw1 = 0;
    slot->sqhd = GUINT16_TO_LE((guint16)a->sq.head);
    slot->sqid = 0;
    slot->cid = cid;
    /* the phase tag goes last: the guest must never see a half-written entry as new */
    __atomic_store_n(&slot->status, GUINT16_TO_LE(st), __ATOMIC_RELEASE);
    cq_advance(&a->cq);
    a->backend.irq(a->data, 0);
}

static void
process(NvpAdmin *a)
{
    while (a->enabled && a->sq.head != a->sq.tail && !cq_full(&a->cq) &&
           !(a->regs->csts & NVP_NVME_CSTS_CFS)) {
        const NvpNvmeSqe *g =
            a->backend.map(a->data, a->sq.gpa + (guint64)a->sq.head * sizeof(NvpNvmeSqe),
                           sizeof(NvpNvmeSqe), FALSE);
        NvpNvmeSqe cmd;
        guint16 status;
        guint32 dw0;

        if (!g) {
            a->stats.unreachable++;
            nvp_regs_set_fatal(a->regs);
            return;
        }
        memcpy(&cmd, g, sizeof(cmd)); /* one read of guest memory per command */
        sq_advance(&a->sq);
        if (nvp_admin_execute(a, &cmd, &status, &dw0)) {
            g_debug("admin: opcode 0x%02x cid %u nsid %u cdw10 0x%x cdw11 0x%x: status 0x%x dw0 "
                    "0x%x",
                    cmd.opcode, cmd.cid, cmd.nsid, cmd.cdw10, cmd.cdw11, status, dw0);
            post_cqe(a, cmd.cid, status, dw0);
        }
        if (!a->enabled)
            return; /* a handler may not reset the controller, but be safe */
    }
    while (deliver_event(a))
        ;
}

void
nvp_admin_sq_tail(NvpAdmin *a, guint32 tail)
{
    if (!a->enabled || tail >= a->sq.size)
        return;
    a->sq.tail = tail;
    process(a);
}

void
nvp_admin_cq_head(NvpAdmin *a, guint32 head)
{
    if (!a->enabled || head >= a->cq.size)
        return;
    a->cq.head = head;
    process(a); /* resumes commands held back by a full CQ */
}

void
nvp_admin_error_event(NvpAdmin *a, guint8 info)
{
    /* Error type (0), log page 01h; masked until the host reads the Error log */
    guint32 ev = 0x0u | ((guint32)info << 8) | ((guint32)NVME_LOG_LID_ERROR << 16);

    if (!a->enabled || a->error_event_masked || a->n_pending_events >= MAX_PENDING_EVENTS)
        return;
    a->error_event_masked = TRUE;
    a->pending_events[a->n_pending_events++] = ev;
    while (deliver_event(a))
        ;
}

static void
features_default(NvpAdmin *a)
{
    a->arbitration = 0;
    a->power_mgmt = 0;
    a->temp_thresh = GUINT16_FROM_LE(a->id_ctrl.wctemp);
    a->err_recovery = 0;
    a->vwc = a->id_ctrl.vwc & 1;
    a->irq_coalesce = 0;
    a->write_atomic = 0;
    a->async_event_cfg = 0;
    a->kato = 0;
    a->timestamp_ms = 0;
    a->timestamp_base_us = 0;
}

void
nvp_admin_enable(NvpAdmin *a)
{
    a->sq = (NvpAdminRing){ .gpa = a->regs->asq, .size = nvp_regs_admin_sq_entries(a->regs) };
    a->cq = (NvpAdminRing){ .gpa = a->regs->acq,
                            .size = nvp_regs_admin_cq_entries(a->regs),
                            .phase = 1 };
    a->enabled = TRUE;
    a->power_cycles++;
}

void
nvp_admin_reset(NvpAdmin *a)
{
    /* hardware queues first: nothing else may go while the SSD can still reach guest memory */
    for (guint16 q = 1; q <= a->cfg.n_qpairs; q++) {
        if (a->sqs[q].live)
            unbind_sq(a, q);
    }
    for (guint16 q = 1; q <= a->cfg.n_qpairs; q++) {
        if (a->cqs[q].live) {
            a->cqs[q].live = FALSE;
            nvp_regs_set_cq(a->regs, q, 0);
        }
    }
    a->enabled = FALSE;
    a->n_aers = 0;
    a->n_pending_events = 0;
    a->error_event_masked = FALSE;
    features_default(a);
}

NvpAdmin *
nvp_admin_new(const NvpAdminConfig *cfg, NvpRegs *regs, const NvpAdminBackend *backend,
              gpointer data)
{
    NvpAdmin *a = g_new0(NvpAdmin, 1);

    a->cfg = *cfg; /* the pointers in cfg are used by the builders only */
    a->cfg.n_qpairs = MIN(cfg->n_qpairs, NVP_ADMIN_MAX_IO_QUEUES);
    a->cqs = g_new0(NvpAdminCq, a->cfg.n_qpairs + 1u);
    a->sqs = g_new0(NvpAdminSq, a->cfg.n_qpairs + 1u);
    a->regs = regs;
    a->backend = *backend;
    a->data = data;
    build_id_ctrl(a);
    build_id_ns(a);
    a->cfg.hw_id = NULL;
    a->cfg.hw_ns = NULL;
    a->cfg.serial = NULL;
    a->cfg.model = NULL;
    a->cfg.subnqn = NULL;
    a->created_us = g_get_monotonic_time();
    features_default(a);
    return a;
}

void
nvp_admin_free(NvpAdmin *a)
{
    if (!a)
        return;
    g_free(a->cqs);
    g_free(a->sqs);
    g_free(a);
}

const struct nvme_id_ctrl *
nvp_admin_get_id_ctrl(NvpAdmin *a)
{
    return &a->id_ctrl;
}

const struct nvme_id_ns *
nvp_admin_get_id_ns(NvpAdmin *a)
{
    return &a->id_ns;
}

const NvpAdminStats *
nvp_admin_get_stats(NvpAdmin *a)
{
    return &a->stats;
}

const NvpAdminCq *
nvp_admin_get_cq(NvpAdmin *a, guint16 qid)
{
    return qid <= a->cfg.n_qpairs && a->cqs[qid].live ? &a->cqs[qid] : NULL;
}

const NvpAdminSq *
nvp_admin_get_sq(NvpAdmin *a, guint16 qid)
{
    return qid <= a->cfg.n_qpairs && a->sqs[qid].live ? &a->sqs[qid] : NULL;
}
