/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* BAR0 register file of one virtual NVMe controller: CAP/VS/CC/CSTS state machine, admin queue
 * attributes, interrupt mask, and doorbell decoding with per-queue validation. Pure: the caller
 * acts on the events a write returns (enable, reset, shutdown, doorbell). */
#pragma once

#include <glib.h>

#include "common/nvme-wire.h"

/* Queue IDs 0..NVP_REGS_MAX_QID have doorbells (admin + up to 64 I/O queue pairs). */
#define NVP_REGS_MAX_QID 64
/* BAR0 size: registers + doorbells, a power of two. */
#define NVP_REGS_BAR0_SIZE 0x4000u

typedef enum {
    NVP_REGS_EVENT_NONE,
    NVP_REGS_EVENT_ENABLE,       /* CC.EN 0->1 accepted: set up the admin queue, CSTS.RDY is 1 */
    NVP_REGS_EVENT_DISABLE,      /* CC.EN 1->0: reset the slice (hw queues first, then the rest) */
    NVP_REGS_EVENT_SHUTDOWN,     /* CC.SHN set: quiesce; CSTS.SHST already reports complete */
    NVP_REGS_EVENT_SQ_TAIL,      /* valid SQ tail doorbell: qid, value */
    NVP_REGS_EVENT_CQ_HEAD,      /* valid CQ head doorbell: qid, value */
    NVP_REGS_EVENT_BAD_DOORBELL, /* counted; value says which async event info applies */
} NvpRegsEventType;

/* Async event information for Error status events (NVMe 1.4 figure 146). */
#define NVP_REGS_AEI_INVALID_DB_REGISTER 0x00
#define NVP_REGS_AEI_INVALID_DB_VALUE 0x01

typedef struct {
    NvpRegsEventType type;
    guint16 qid;
    guint32 value;
} NvpRegsEvent;

typedef struct {
    guint16 mqes;        /* max queue entries, 0-based (CAP.MQES) */
    guint8 timeout;      /* CAP.TO in 500 ms units */
    guint16 n_io_queues; /* doorbells decoded for qid 1..n_io_queues */
} NvpRegsConfig;

typedef struct {
    guint64 cap;
    guint32 vs;
    guint32 intms;
    guint32 cc;
    guint32 csts;
    guint32 aqa;
    guint64 asq;
    guint64 acq;
    guint16 n_io_queues;
    /* entries of each live queue, 0 = absent; admin queue sizes come from AQA on enable */
    guint32 sq_size[NVP_REGS_MAX_QID + 1];
    guint32 cq_size[NVP_REGS_MAX_QID + 1];
    /* counters */
    guint64 n_doorbells;
    guint64 n_bad_doorbells;
    guint64 n_enables;
    guint64 n_resets;
    guint64 n_shutdowns;
    gint64 last_log_us;
    guint64 n_unlogged;
} NvpRegs;

void nvp_regs_init(NvpRegs *regs, const NvpRegsConfig *cfg);
/* Power-on state after a controller reset (keeps the counters). */
void nvp_regs_reset(NvpRegs *regs);

/* BAR0 access of 1, 2, 4 or 8 bytes. Reads of unknown offsets return 0; FALSE only for accesses
 * beyond BAR0 or of an odd size. */
gboolean nvp_regs_read(NvpRegs *regs, guint64 offset, guint32 len, guint64 *value);
gboolean nvp_regs_write(NvpRegs *regs, guint64 offset, guint32 len, guint64 value,
                        NvpRegsEvent *ev);

/* The admin layer records queue creation/deletion (entries = 0 deletes). */
void nvp_regs_set_sq(NvpRegs *regs, guint16 qid, guint32 entries);
void nvp_regs_set_cq(NvpRegs *regs, guint16 qid, guint32 entries);
/* Controller Fatal Status (e.g. the admin queue can't be reached). */
void nvp_regs_set_fatal(NvpRegs *regs);

static inline gboolean
nvp_regs_ready(const NvpRegs *regs)
{
    return (regs->csts & NVP_NVME_CSTS_RDY) != 0;
}

static inline guint32
nvp_regs_admin_sq_entries(const NvpRegs *regs)
{
    return (regs->aqa & 0xfff) + 1;
}

static inline guint32
nvp_regs_admin_cq_entries(const NvpRegs *regs)
{
    return ((regs->aqa >> 16) & 0xfff) + 1;
}

/* CC.IOSQES / CC.IOCQES as log2 of the entry size. */
static inline guint32
nvp_regs_iosqes(const NvpRegs *regs)
{
    return (regs->cc >> 16) & 0xf;
}

static inline guint32
nvp_regs_iocqes(const NvpRegs *regs)
{
    return (regs->cc >> 20) & 0xf;
}
