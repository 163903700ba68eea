/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Admin queue emulation of one virtual NVMe controller: the guest's admin SQ/CQ rings in guest
 * memory, one handler per admin command, I/O queue bookkeeping, features, log pages, AERs.
 * Everything that touches hardware goes through NvpAdminBackend (doubles in unit tests). */
#pragma once

#include <glib.h>
#include <libnvme.h>

#include "common/nvme-wire.h"
#include "agent/vctrl/regs.h"
#include "agent/vctrl/sqe.h"

#define NVP_ADMIN_MAX_IO_QUEUES NVP_REGS_MAX_QID
#define NVP_ADMIN_AERL 3                 /* 4 outstanding Asynchronous Event Requests */
#define NVP_ADMIN_MAX_XFER (64u * 1024u) /* largest admin data transfer we serve */

/* A guest I/O queue pair as the backend binds it to a hardware queue pair. */
typedef struct {
    guint16 sqid;
    guint64 sq_gpa;
    guint32 sq_entries;
    guint16 cqid;
    guint64 cq_gpa;
    guint32 cq_entries;
    guint16 vector; /* guest MSI-X vector of the CQ */
    gboolean irq_enabled;
} NvpAdminQueuePair;

/* Per-slice I/O figures for the SMART log. */
typedef struct {
    guint64 data_units_read; /* in 1000 * 512 bytes, rounded up */
    guint64 data_units_written;
    guint64 host_read_commands;
    guint64 host_write_commands;
    guint16 temperature; /* Kelvin; 0 = unknown */
} NvpAdminIoFigures;

typedef struct {
    /* Guest memory the agent itself reads and writes (admin rings, admin data). */
    NvpGuestMapFunc map;
    /* Guest memory the SSD can reach (mapped in the slice's IOVA window): I/O queues. */
    NvpGuestMapFunc hw_map;
    /* Bind a guest SQ (and the CQ it names) to a hardware queue pair. Returns an NVMe status
     * (0 = success). */
    guint16 (*create_qpair)(gpointer data, const NvpAdminQueuePair *qp);
    /* Unbind: the hardware SQ and CQ are deleted before this returns. */
    void (*delete_qpair)(gpointer data, guint16 sqid);
    /* Abort command cid of guest SQ sqid; returns an NVMe status, *dw0 bit 0 = not aborted. */
    guint16 (*abort)(gpointer data, guint16 sqid, guint16 cid, guint32 *dw0);
    /* Interrupt for guest vector (admin CQ: 0). */
    void (*irq)(gpointer data, guint vector);
    void (*io_figures)(gpointer data, NvpAdminIoFigures *out);
} NvpAdminBackend;

typedef struct {
    const struct nvme_id_ctrl *hw_id; /* physical controller's Identify (copied) */
    const struct nvme_id_ns *hw_ns;   /* physical namespace's Identify (copied) */
    guint64 lba_count;                /* slice extent */
    guint32 max_transfer;             /* advertised MDTS in bytes (power of two, >= 4096) */
    guint16 n_qpairs;                 /* granted I/O queue pairs */
    guint16 n_vectors;                /* guest MSI-X vectors */
    guint16 cntlid;
    guint16 mqes;       /* 0-based */
    const char *serial; /* <= 20 chars */
    const char *model;  /* <= 40 chars */
    const char *subnqn; /* <= 255 chars */
    guint8 uuid[16];    /* per volume: namespace UUID, NGUID and EUI-64 derive from it */
} NvpAdminConfig;

typedef struct {
    guint64 gpa;
    guint32 size;
    guint32 head;
    guint32 tail;
    guint8 phase; /* CQ: phase tag of the next entry we write */
} NvpAdminRing;

typedef struct {
    guint64 gpa;
    guint32 entries;
    guint16 vector;
    gboolean irq_enabled;
    gboolean live;
    guint16 n_sqs; /* SQs bound to it (0 or 1) */
} NvpAdminCq;

typedef struct {
    guint64 gpa;
    guint32 entries;
    guint16 cqid;
    gboolean live;
} NvpAdminSq;

typedef struct {
    guint64 commands;
    guint64 refused; /* completed with an error status */
    guint64 invalid_opcode;
    guint64 aer_events;
    guint64 unreachable; /* admin SQE or CQE outside guest RAM */
} NvpAdminStats;

typedef struct _NvpAdmin NvpAdmin;

NvpAdmin *nvp_admin_new(const NvpAdminConfig *cfg, NvpRegs *regs, const NvpAdminBackend *backend,
                        gpointer data);
void nvp_admin_free(NvpAdmin *admin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpAdmin, nvp_admin_free)

/* CC.EN 0->1: take the admin queue attributes from the registers. */
void nvp_admin_enable(NvpAdmin *admin);
/* Controller reset / shutdown: every bound I/O queue pair is deleted through the backend (hardware
 * queues before anything else), pending AERs dropped, features back to defaults. */
void nvp_admin_reset(NvpAdmin *admin);
/* Doorbells of the admin queue (already validated by the register file). */
void nvp_admin_sq_tail(NvpAdmin *admin, guint32 tail);
void nvp_admin_cq_head(NvpAdmin *admin, guint32 head);
/* Report an Error-type asynchronous event (e.g. NVP_REGS_AEI_INVALID_DB_VALUE). */
void nvp_admin_error_event(NvpAdmin *admin, guint8 info);

/* Executes one admin command; TRUE if a completion is due now (status + dw0 filled), FALSE for
 * a command that completes later (AER). Exposed for unit tests. */
gboolean nvp_admin_execute(NvpAdmin *admin, const NvpNvmeSqe *cmd, guint16 *status, guint32 *dw0);

const struct nvme_id_ctrl *nvp_admin_get_id_ctrl(NvpAdmin *admin);
const struct nvme_id_ns *nvp_admin_get_id_ns(NvpAdmin *admin);
const NvpAdminStats *nvp_admin_get_stats(NvpAdmin *admin);
const NvpAdminCq *nvp_admin_get_cq(NvpAdmin *admin, guint16 qid);
const NvpAdminSq *nvp_admin_get_sq(NvpAdmin *admin, guint16 qid);

/* NVMe status field (without phase): SC | SCT << 8 | DNR. */
#define NVP_STATUS(sct, sc) ((guint16)(((sct) << 8) | (sc) | NVME_SC_DNR))
#define NVP_STATUS_GENERIC(sc) NVP_STATUS(NVME_SCT_GENERIC, sc)
#define NVP_STATUS_SPECIFIC(sc) NVP_STATUS(NVME_SCT_CMD_SPECIFIC, sc)
