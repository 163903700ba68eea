/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BAR0 register file of one virtual NVMe controller (NVMe 1.4 section 3.1). */
#include <string.h>

#include "agent/vctrl/regs.h"

#define CC_WRITABLE 0x00fffff1u /* EN, CSS, MPS, AMS, SHN, IOSQES, IOCQES */
#define CC_CSS(cc) (((cc) >> 4) & 0x7)
#define CC_MPS(cc) (((cc) >> 7) & 0xf)
#define CC_AMS(cc) (((cc) >> 11) & 0x7)
#define CC_SHN(cc) (((cc) >> 14) & 0x3)
#define AQA_WRITABLE 0x0fff0fffu
#define BAD_DOORBELL_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

void
nvp_regs_init(NvpRegs *regs, const NvpRegsConfig *cfg)
{
    memset(regs, 0, sizeof(*regs));
    regs->cap = (guint64)cfg->mqes              /* MQES */
                | (1ull << 16)                  /* CQR: contiguous queues required */
                | ((guint64)cfg->timeout << 24) /* TO */
                | (0ull << 32)                  /* DSTRD = 0 */
                | (1ull << 37)                  /* CSS: NVM command set */
                | (0ull << 48) | (0ull << 52);  /* MPSMIN = MPSMAX = 4 KiB */
    regs->vs = 0x00010400;                      /* 1.4.0 */
    regs->n_io_queues = MIN(cfg->n_io_queues, NVP_REGS_MAX_QID);
}

void
nvp_regs_reset(NvpRegs *regs)
{
    regs->intms = 0;
    regs->cc = 0;
    regs->csts = 0;
    regs->aqa = 0;
    regs->asq = 0;
    regs->acq = 0;
    memset(regs->sq_size, 0, sizeof(regs->sq_size));
    memset(regs->cq_size, 0, sizeof(regs->cq_size));
}

void
nvp_regs_set_sq(NvpRegs *regs, guint16 qid, guint32 entries)
{
    if (qid <= NVP_REGS_MAX_QID)
        regs->sq_size[qid] = entries;
}

void
nvp_regs_set_cq(NvpRegs *regs, guint16 qid, guint32 entries)
{
    if (qid <= NVP_REGS_MAX_QID)
        regs->cq_size[qid] = entries;
}

void
nvp_regs_set_fatal(NvpRegs *regs)
{
    regs->csts |= NVP_NVME_CSTS_CFS;
}

gboolean
nvp_regs_read(NvpRegs *regs, guint64 offset, guint32 len, guint64 *value)
{
    guint8 image[0x40] = { 0 };
    guint64 v = 0;

    if ((len != 1 && len != 2 && len != 4 && len != 8) || offset >= NVP_REGS_BAR0_SIZE ||
        len > NVP_REGS_BAR0_SIZE - offset)
        return FALSE;
    if (offset + len > sizeof(image)) {
        *value = 0; /* reserved, vendor-specific and doorbells read as 0 */
        return TRUE;
    }
    memcpy(image + NVP_NVME_REG_CAP, &regs->cap, 8);
    memcpy(image + NVP_NVME_REG_VS, &regs->vs, 4);
    memcpy(image + NVP_NVME_REG_INTMS, &regs->intms, 4);
    memcpy(image + NVP_NVME_REG_INTMC, &regs->intms, 4);
    memcpy(image + NVP_NVME_REG_CC, &regs->cc, 4);
    memcpy(image + NVP_NVME_REG_CSTS, &regs->csts, 4);
    memcpy(image + NVP_NVME_REG_AQA, &regs->aqa, 4);
    memcpy(image + NVP_NVME_REG_ASQ, &regs->asq, 8);
    memcpy(image + NVP_NVME_REG_ACQ, &regs->acq, 8);
    memcpy(&v, image + offset, len);
    *value = v;
    return TRUE;
}

static void
bad_doorbell(NvpRegs *regs, guint64 offset, guint32 value, guint32 aei, NvpRegsEvent *ev)
{
    gint64 now = g_get_monotonic_time();

    regs->n_bad_doorbells++;
    ev->type = NVP_REGS_EVENT_BAD_DOORBELL;
    ev->value = aei;
    if (now - regs->last_log_us >= BAD_DOORBELL_LOG_INTERVAL_US) {
        g_message("guest wrote %u to doorbell offset 0x%" G_GINT64_MODIFIER "x (%s); "
                  "%" G_GUINT64_FORMAT " bad doorbell writes not logged since last message",
                  value, offset,
                  aei == NVP_REGS_AEI_INVALID_DB_REGISTER ? "no such queue" : "value out of range",
                  regs->n_unlogged);
        regs->last_log_us = now;
        regs->n_unlogged = 0;
    } else {
        regs->n_unlogged++;
    }
}

static void
write_doorbell(NvpRegs *regs, guint64 offset, guint32 value, NvpRegsEvent *ev)
{
    guint32 idx = (guint32)((offset - NVP_NVME_REG_DBS) / 4);
    guint16 qid = (guint16)(idx / 2);
    gboolean is_cq = idx & 1;
    guint32 size;

    ev->qid = qid;
    if (!nvp_regs_ready(regs) || qid > regs->n_io_queues) {
        bad_doorbell(regs, offset, value, NVP_REGS_AEI_INVALID_DB_REGISTER, ev);
        return;
    }
    size = is_cq ? regs->cq_size[qid] : regs->sq_size[qid];
    if (size == 0) {
        bad_doorbell(regs, offset, value, NVP_REGS_AEI_INVALID_DB_REGISTER, ev);
        return;
    }
    if (value >= size) {
        bad_doorbell(regs, offset, value, NVP_REGS_AEI_INVALID_DB_VALUE, ev);
        return;
    }
    regs->n_doorbells++;
    ev->type = is_cq ? NVP_REGS_EVENT_CQ_HEAD : NVP_REGS_EVENT_SQ_TAIL;
    ev->value = value;
}

static gboolean
enable_ok(const NvpRegs *regs, guint32 cc)
{
    if (CC_CSS(cc) != 0 || CC_MPS(cc) != 0 || CC_AMS(cc) != 0)
        return FALSE;
    if ((regs->aqa & 0xfff) == 0 || ((regs->aqa >> 16) & 0xfff) == 0)
        return FALSE; /* admin queues need at least 2 entries */
    if ((regs->asq & 0xfff) || (regs->acq & 0xfff) || regs->asq == 0 || regs->acq == 0)
        return FALSE;
    return TRUE;
}

static void
write_cc(NvpRegs *regs, guint32 value, NvpRegsEvent *ev)
{
    guint32 old = regs->cc;
    guint32 cc = value & CC_WRITABLE;

    if ((old & NVP_NVME_CC_EN) && !(cc & NVP_NVME_CC_EN)) {
        /* reset: everything but the counters back to power-on */
        nvp_regs_reset(regs);
        regs->n_resets++;
        ev->type = NVP_REGS_EVENT_DISABLE;
        return;
    }
    regs->cc = cc;
    if (!(old & NVP_NVME_CC_EN) && (cc & NVP_NVME_CC_EN)) {
        if (!enable_ok(regs, cc)) {
            regs->csts |= NVP_NVME_CSTS_CFS;
            return;
        }
        regs->sq_size[0] = nvp_regs_admin_sq_entries(regs);
        regs->cq_size[0] = nvp_regs_admin_cq_entries(regs);
        regs->csts = NVP_NVME_CSTS_RDY;
        regs->n_enables++;
        ev->type = NVP_REGS_EVENT_ENABLE;
        return;
    }
    if (CC_SHN(cc) && !CC_SHN(old) && (cc & NVP_NVME_CC_EN)) {
        regs->csts = (regs->csts & ~NVP_NVME_CSTS_SHST_MASK) | NVP_NVME_CSTS_SHST_CMPLT;
        regs->n_shutdowns++;
        ev->type = NVP_REGS_EVENT_SHUTDOWN;
        return;
    }
    if (!CC_SHN(cc))
        regs->csts &= ~NVP_NVME_CSTS_SHST_MASK;
}

static void
write_dword(NvpRegs *regs, guint64 offset, guint32 value, NvpRegsEvent *ev)
{
    gboolean enabled = (regs->cc & NVP_NVME_CC_EN) != 0;

    switch (offset) {
    case NVP_NVME_REG_INTMS:
        regs->intms |= value;
        break;
    case NVP_NVME_REG_INTMC:
        regs->intms &= ~value;
        break;
    case NVP_NVME_REG_CC:
        write_cc(regs, value, ev);
        break;
    case NVP_NVME_REG_AQA:
        if (!enabled)
            regs->aqa = value & AQA_WRITABLE;
        break;
    case NVP_NVME_REG_ASQ:
        if (!enabled)
            regs->asq = (regs->asq & 0xffffffff00000000ull) | (value & 0xfffff000u);
        break;
    case NVP_NVME_REG_ASQ + 4:
        if (!enabled)
            regs->asq = (regs->asq & 0xffffffffull) | ((guint64)value << 32);
        break;
    case NVP_NVME_REG_ACQ:
        if (!enabled)
            regs->acq = (regs->acq & 0xffffffff00000000ull) | (value & 0xfffff000u);
        break;
    case NVP_NVME_REG_ACQ + 4:
        if (!enabled)
            regs->acq = (regs->acq & 0xffffffffull) | ((guint64)value << 32);
        break;
    default:
        /* CAP, VS, CSTS, NSSR (unsupported: CAP.NSSRS = 0) and reserved registers */
        break;
    }
}

gboolean
nvp_regs_write(NvpRegs *regs, guint64 offset, guint32 len, guint64 value, NvpRegsEvent *ev)
{
    memset(ev, 0, sizeof(*ev));
    if ((len != 1 && len != 2 && len != 4 && len != 8) || offset >= NVP_REGS_BAR0_SIZE ||
        len > NVP_REGS_BAR0_SIZE - offset)
        return FALSE;

    if (offset >= NVP_NVME_REG_DBS) {
        if (len != 4 || (offset & 3)) {
            bad_doorbell(regs, offset, (guint32)value, NVP_REGS_AEI_INVALID_DB_REGISTER, ev);
            return TRUE;
        }
        write_doorbell(regs, offset, (guint32)value, ev);
        return TRUE;
    }
    if (offset & 3 || len < 4)
        return TRUE; /* sub-dword register writes are ignored */
    write_dword(regs, offset, (guint32)value, ev);
    if (len == 8 && ev->type == NVP_REGS_EVENT_NONE)
        write_dword(regs, offset + 4, (guint32)(value >> 32), ev);
    return TRUE;
}
