/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The strict-mode submission path: validate one guest I/O command
 * and translate it (NSID, LBA extent, PRPs into the slice's IOVA window) for the hardware SQ. */
#pragma once

#include <string.h>
#include <glib.h>
#include <libnvme.h>

#include "agent/vctrl/gpamap.h"
#include "common/enum.h"
#include "common/nvme-wire.h"

/* DSM range, as in guest memory. */
typedef struct {
    guint32 cattr;
    guint32 nlb;
    guint64 slba;
} NvpDsmRange;
G_STATIC_ASSERT(sizeof(NvpDsmRange) == 16);

#define NVP_PAGE_SHIFT 12
#define NVP_PAGE_SIZE (1u << NVP_PAGE_SHIFT)
/* Each list slot owns two pages: one for a copied PRP list (512 entries, so a transfer of up to
 * 2 MiB never needs a chained list in agent memory) and one for a DSM range list (256 ranges).
 * They never share memory: a misbehaving guest can make two in-flight commands share a slot
 * (see nvp_sqe_list_slot), and DSM ranges read as PRP entries would be guest-chosen IOVAs. */
#define NVP_SQE_LIST_STRIDE (2u * NVP_PAGE_SIZE)
#define NVP_SQE_LIST_PRP_OFFSET 0u
#define NVP_SQE_LIST_DSM_OFFSET NVP_PAGE_SIZE
#define NVP_SQE_PRP_LIST_MAX (NVP_PAGE_SIZE / 8u)
#define NVP_SQE_MAX_TRANSFER (NVP_SQE_PRP_LIST_MAX * NVP_PAGE_SIZE)

/* The verdict on one command: OK, or why it was rejected (one counter each in the stats). */
typedef enum {
    NVP_SQE_OK,
    NVP_SQE_BAD_OPCODE,
    NVP_SQE_BAD_FLAGS, /* fused operation or reserved bits */
    NVP_SQE_SGL,       /* PSDT != 0 */
    NVP_SQE_BAD_NSID,
    NVP_SQE_BAD_FIELD, /* protection info, directives, storage tags ... */
    NVP_SQE_LBA_RANGE,
    NVP_SQE_TOO_LONG,       /* transfer above MDTS */
    NVP_SQE_PRP_OFFSET,     /* misaligned PRP entry or list pointer */
    NVP_SQE_PRP_OUT_OF_RAM, /* a PRP (or list) outside the guest's mapped RAM */
    NVP_SQE_DSM_RANGE,      /* a Dataset Management range outside the extent */

    NVP_SQE_LAST
} NvpSqeVerdict;
NVP_ENUM_DECL(nvp_sqe_verdict, NvpSqeVerdict);

/* Host pointer to guest memory [gpa, gpa+len) if that range lies wholly inside one region mapped
 * in the slice's IOVA window (and writable by the device if @device_writes), else NULL. */
typedef void *(*NvpGuestMapFunc)(gpointer data, guint64 gpa, guint64 len, gboolean device_writes);

/* Everything the translator needs about one slice + one queue. Read-only on the hot path. */
typedef struct {
    guint32 hw_nsid;   /* physical namespace */
    guint64 lba_start; /* extent, in logical blocks of the physical namespace */
    guint64 lba_count;
    guint32 lba_shift;    /* log2 of the logical block size */
    guint32 max_transfer; /* advertised MDTS in bytes, <= NVP_SQE_MAX_TRANSFER */
    guint64 window_base;  /* IOVA of guest physical address 0 */
    NvpGuestMapFunc map;
    gpointer map_data;
    /* Optional: the map's hot region (agent/vctrl/gpamap.h), checked inline before calling map.
     * Whoever sets it keeps it describing only memory map accepts. NULL: map decides alone. */
    const NvpGpaHot *hot;
    /* agent-owned list buffers of this queue: n_list_slots pages, at list_vaddr / list_iova */
    guint8 *list_vaddr;
    guint64 list_iova;
    guint32 n_list_slots;
    guint64 scratch_iova; /* an agent page the replacement of a rejected command points at */
} NvpSqeCtx;

/* Validates @in (a private copy of the guest's SQE) and writes the command for the hardware SQ to
 * @out. On a rejection @out is a Read of NSID 0 with the guest's CID, which every controller fails
 * with Invalid Namespace, so the guest still gets an in-order error completion. Never allocates,
 * never logs; callable on arbitrary 64-byte input (fuzzing entry point). */
NvpSqeVerdict nvp_sqe_translate(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out);

/* What the strict path counted on one queue. */
typedef struct {
    guint64 n_submitted;
    guint64 n_verdict[NVP_SQE_LAST];
    guint64 n_reads; /* accepted Reads and Writes, and their logical blocks */
    guint64 n_writes;
    guint64 blocks_read;
    guint64 blocks_written;
} NvpSqeStats;

/* The list-buffer slot a command uses; see the comment in sqe.c. */
guint32 nvp_sqe_list_slot(const NvpSqeCtx *ctx, guint16 cid);

/* The strict path for one SQ tail doorbell: every guest SQE at ring index [head, tail) of
 * @guest_sq (a ring of @size entries) is read once into a private copy, translated into the same
 * index of @hw_sq and counted in @st. Nothing happens unless head and tail are below size.
 * Inline: the per-command loop is part of the hot path (vctrl's io_sq_tail, the L0 bench). */
static inline void
nvp_sqe_submit(const NvpSqeCtx *ctx, const NvpNvmeSqe *guest_sq, NvpNvmeSqe *hw_sq, guint32 size,
               guint32 head, guint32 tail, NvpSqeStats *st)
{
    if (G_UNLIKELY(head >= size || tail >= size))
        return;
    for (guint32 i = head; i != tail; i = i + 1 == size ? 0 : i + 1) {
        NvpNvmeSqe cmd;
        NvpSqeVerdict v;

        memcpy(&cmd, &guest_sq[i], sizeof(cmd)); /* one read of guest memory */
        v = nvp_sqe_translate(ctx, &cmd, &hw_sq[i]);
        st->n_submitted++;
        st->n_verdict[v]++;
        if (G_LIKELY(v == NVP_SQE_OK)) {
            if (cmd.opcode == nvme_cmd_read) {
                st->n_reads++;
                st->blocks_read += (cmd.cdw12 & 0xffff) + 1;
            } else if (cmd.opcode == nvme_cmd_write) {
                st->n_writes++;
                st->blocks_written += (cmd.cdw12 & 0xffff) + 1;
            }
        }
    }
}
