/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NVMe wire formats libnvme does not define: 64-byte SQE, 16-byte CQE, controller register
 * offsets and bits (NVMe Base Specification 2.0). Spec data only: no VFIO, no vfio-user. */
#pragma once

#include <glib.h>

/* Submission Queue Entry (NVMe base spec 2.0, figure 88). */
typedef struct {
    guint8 opcode;
    guint8 flags; /* FUSE bits 1:0, PSDT bits 7:6 */
    guint16 cid;
    guint32 nsid;
    guint32 cdw2;
    guint32 cdw3;
    guint64 mptr;
    guint64 prp1;
    guint64 prp2;
    guint32 cdw10;
    guint32 cdw11;
    guint32 cdw12;
    guint32 cdw13;
    guint32 cdw14;
    guint32 cdw15;
} NvpNvmeSqe;
G_STATIC_ASSERT(sizeof(NvpNvmeSqe) == 64);

/* Completion Queue Entry (figure 90). status: bit 0 = phase tag, bits 15:1 = status field. */
typedef struct {
    guint32 dw0;
    guint32 dw1;
    guint16 sqhd;
    guint16 sqid;
    guint16 cid;
    guint16 status;
} NvpNvmeCqe;
G_STATIC_ASSERT(sizeof(NvpNvmeCqe) == 16);

/* Status field without the phase bit: SC in bits 7:0, SCT in 10:8, CRD 12:11, M 13, DNR 14.
 * This is the value libnvme's nvme_status_to_string() expects. */
#define NVP_NVME_CQE_STATUS(cqe) ((guint16)(GUINT16_FROM_LE((cqe)->status) >> 1))
#define NVP_NVME_CQE_PHASE(cqe) ((guint16)(GUINT16_FROM_LE((cqe)->status) & 1))
#define NVP_NVME_STATUS_SC(st) ((st)&0xff)
#define NVP_NVME_STATUS_SCT(st) (((st) >> 8) & 0x7)
#define NVP_NVME_STATUS_DNR 0x4000

/* Controller registers (BAR0). */
enum {
    NVP_NVME_REG_CAP = 0x00,
    NVP_NVME_REG_VS = 0x08,
    NVP_NVME_REG_INTMS = 0x0c,
    NVP_NVME_REG_INTMC = 0x10,
    NVP_NVME_REG_CC = 0x14,
    NVP_NVME_REG_CSTS = 0x1c,
    NVP_NVME_REG_NSSR = 0x20,
    NVP_NVME_REG_AQA = 0x24,
    NVP_NVME_REG_ASQ = 0x28,
    NVP_NVME_REG_ACQ = 0x30,
    NVP_NVME_REG_DBS = 0x1000,
};

#define NVP_NVME_CAP_MQES(cap) ((guint32)((cap)&0xffff))
#define NVP_NVME_CAP_CQR(cap) ((guint32)(((cap) >> 16) & 0x1))
#define NVP_NVME_CAP_TO(cap) ((guint32)(((cap) >> 24) & 0xff)) /* 500 ms units */
#define NVP_NVME_CAP_DSTRD(cap) ((guint32)(((cap) >> 32) & 0xf))
#define NVP_NVME_CAP_CSS(cap) ((guint32)(((cap) >> 37) & 0xff))
#define NVP_NVME_CAP_MPSMIN(cap) ((guint32)(((cap) >> 48) & 0xf))
#define NVP_NVME_CAP_MPSMAX(cap) ((guint32)(((cap) >> 52) & 0xf))

#define NVP_NVME_CC_EN (1u << 0)
#define NVP_NVME_CC_CSS_NVM (0u << 4)
#define NVP_NVME_CC_MPS(mps) ((guint32)(mps) << 7)
#define NVP_NVME_CC_AMS_RR (0u << 11)
#define NVP_NVME_CC_SHN_NORMAL (1u << 14)
#define NVP_NVME_CC_SHN_MASK (3u << 14)
#define NVP_NVME_CC_IOSQES(n) ((guint32)(n) << 16)
#define NVP_NVME_CC_IOCQES(n) ((guint32)(n) << 20)

#define NVP_NVME_CSTS_RDY (1u << 0)
#define NVP_NVME_CSTS_CFS (1u << 1)
#define NVP_NVME_CSTS_SHST_MASK (3u << 2)
#define NVP_NVME_CSTS_SHST_CMPLT (2u << 2)

/* Create I/O CQ/SQ cdw11 bits. */
#define NVP_NVME_QUEUE_PHYS_CONTIG (1u << 0)
#define NVP_NVME_CQ_IRQ_ENABLED (1u << 1)

/* Doorbell offsets for queue qid with stride 4 << dstrd bytes. */
static inline guint32
nvp_nvme_sq_doorbell_offset(guint16 qid, guint32 dstrd)
{
    return NVP_NVME_REG_DBS + (2u * qid) * (4u << dstrd);
}

static inline guint32
nvp_nvme_cq_doorbell_offset(guint16 qid, guint32 dstrd)
{
    return NVP_NVME_REG_DBS + (2u * qid + 1u) * (4u << dstrd);
}
