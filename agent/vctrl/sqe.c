/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict-mode submission path: validation and translation of one guest I/O command. Hot path:
 * no allocation, no logging, no locks; every guest value is read once from a private copy. */
#include <string.h>
#include <libnvme.h>

#include "agent/vctrl/sqe.h"

NVP_ENUM_IMPL(nvp_sqe_verdict, NvpSqeVerdict, NVP_SQE_LAST, "ok", "bad-opcode", "bad-flags", "sgl",
              "bad-nsid", "bad-field", "lba-range", "too-long", "prp-offset", "prp-out-of-ram",
              "dsm-range");

#define PAGE_MASK ((guint64)NVP_PAGE_SIZE - 1)

/* Read/Write/Compare CDW12: NLB 15:0, DTYPE 23:20, STC 24, PRINFO 29:26, FUA 30, LR 31.
 * Write Zeroes adds DEAC 25. We expose no protection information, directives or storage tags. */
#define RW_CDW12_ALLOWED (0xffffu | (1u << 30) | (1u << 31))
#define WZ_CDW12_ALLOWED (RW_CDW12_ALLOWED | (1u << 25))

/*
 * PRP list buffers: each command with a PRP list (or a DSM range list) needs agent memory that
 * stays untouched until the SSD has fetched it. Indexing that memory by SQ slot would be unsafe:
 * a guest may reuse an SQ slot while the command that last used it is still in flight (Linux does,
 * since SQ slots are released on SQHD progress, not on completion). We index it by
 * (CID & 0xfff) % depth instead. For Linux the low 12 bits of the CID are the blk-mq tag, which
 * is < queue depth and unique among outstanding commands, so no two in-flight commands share a
 * buffer. For any other guest a collision can only corrupt that guest's own transfer: every list
 * entry is validated against the guest's own RAM before the SSD sees it, so isolation holds.
 */
guint32
nvp_sqe_list_slot(const NvpSqeCtx *ctx, guint16 cid)
{
    return (guint32)(cid & 0xfff) % ctx->n_list_slots;
}

static inline gboolean
lba_range_ok(const NvpSqeCtx *ctx, guint64 slba, guint64 nblocks)
{
    /* overflow-safe: slba + nblocks <= lba_count */
    return nblocks <= ctx->lba_count && slba <= ctx->lba_count - nblocks;
}

static inline gboolean
nsid_ok(guint32 nsid)
{
    return nsid == 1;
}

/* The guest's own memory: a map with no hot region. */
static const NvpGpaHot no_hot;

/* Host pointer for guest memory [gpa, gpa+len): the map's hot region inline, else the map. */
static inline const void *
guest_map(const NvpSqeCtx *ctx, const NvpGpaHot *hot, guint64 gpa, guint64 len,
          gboolean device_writes)
{
    if (G_LIKELY(nvp_gpa_hot_contains(hot, gpa, len, device_writes)))
        return hot->vaddr + (gpa - hot->gpa);
    return ctx->map(ctx->map_data, gpa, len, device_writes);
}

/* Whether the device may touch [gpa, gpa+len): guest_map() without the pointer. */
static inline gboolean
guest_ok(const NvpSqeCtx *ctx, const NvpGpaHot *hot, guint64 gpa, guint64 len,
         gboolean device_writes)
{
    return nvp_gpa_hot_contains(hot, gpa, len, device_writes) ||
           ctx->map(ctx->map_data, gpa, len, device_writes) != NULL;
}

/* Copies the PRP list at @list (PRP2) of a transfer of @len bytes after PRP1's page
 * (len > one page) into the slot's list buffer, translated, and points PRP2 at it. The list has
 * n entries, possibly chained across guest list pages. Each entry is validated and translated as
 * it is copied, so the slot only ever holds in-window addresses of device-writable guest RAM:
 * whatever other in-flight command shares this slot (a guest choosing colliding CIDs) can only
 * be pointed at that guest's own memory, in either direction. A rejected command may leave the
 * slot partly rewritten — with valid entries. */
static NvpSqeVerdict
translate_prp_list(const NvpSqeCtx *ctx, const NvpGpaHot *hot, guint16 cid, guint64 list,
                   NvpNvmeSqe *out, guint64 len, gboolean device_writes)
{
    guint32 n = (guint32)((len + PAGE_MASK) >> NVP_PAGE_SHIFT);
    guint32 slot = nvp_sqe_list_slot(ctx, cid);
    guint64 slot_off = (guint64)slot * NVP_SQE_LIST_STRIDE + NVP_SQE_LIST_PRP_OFFSET;
    guint64 *dst = (guint64 *)(ctx->list_vaddr + slot_off);
    guint32 done = 0;

    if (n > NVP_SQE_PRP_LIST_MAX)
        return NVP_SQE_TOO_LONG;
    if (list & 7)
        return NVP_SQE_PRP_OFFSET;

    while (done < n) {
        guint32 in_page = (guint32)((NVP_PAGE_SIZE - (list & PAGE_MASK)) / sizeof(guint64));
        guint32 left = n - done;
        guint32 take = left <= in_page ? left : in_page - 1; /* last slot chains */
        const guint64 *src;

        if (take == 0)
            return NVP_SQE_PRP_OFFSET; /* a page holding only a chain pointer */
        src = guest_map(ctx, hot, list,
                        (guint64)(take + (left > in_page ? 1 : 0)) * sizeof(guint64), FALSE);
        if (!src)
            return NVP_SQE_PRP_OUT_OF_RAM;
        for (guint32 i = 0; i < take; i++) {
            guint64 e = src[i]; /* read the guest's value exactly once */
            guint64 elen = len > NVP_PAGE_SIZE ? NVP_PAGE_SIZE : len;

            if (e & PAGE_MASK)
                return NVP_SQE_PRP_OFFSET;
            /* device-writable (the slot rule above) and, for a transfer from the guest,
             * readable: a device-writable hot region is both */
            if (!nvp_gpa_hot_contains(hot, e, elen, TRUE) &&
                (!ctx->map(ctx->map_data, e, elen, TRUE) ||
                 (!device_writes && !ctx->map(ctx->map_data, e, elen, FALSE))))
                return NVP_SQE_PRP_OUT_OF_RAM;
            dst[done + i] = ctx->window_base + e;
            len -= elen;
        }
        done += take;
        if (done < n) {
            list = src[take];
            if (list & PAGE_MASK)
                return NVP_SQE_PRP_OFFSET;
        }
    }
    out->prp2 = ctx->list_iova + slot_off;
    return NVP_SQE_OK;
}

/* Rewrites the PRPs of a transfer of @len bytes (len > 0) into the window (a PRP list: see
 * translate_prp_list). Inlined: the one- and two-page cases are the hot path. */
static inline __attribute__((always_inline)) NvpSqeVerdict
translate_prps(const NvpSqeCtx *ctx, const NvpGpaHot *hot, const NvpNvmeSqe *in, NvpNvmeSqe *out,
               guint64 len, gboolean device_writes)
{
    guint64 prp1 = in->prp1;
    guint64 prp2 = in->prp2;
    guint64 first = NVP_PAGE_SIZE - (prp1 & PAGE_MASK);

    if (prp1 & 3)
        return NVP_SQE_PRP_OFFSET;
    if (G_LIKELY(len <= first)) {
        /* the common case: the transfer ends in PRP1's page */
        if (!guest_ok(ctx, hot, prp1, len, device_writes))
            return NVP_SQE_PRP_OUT_OF_RAM;
        out->prp1 = ctx->window_base + prp1;
        out->prp2 = 0;
        return NVP_SQE_OK;
    }
    if (!guest_ok(ctx, hot, prp1, first, device_writes))
        return NVP_SQE_PRP_OUT_OF_RAM;
    out->prp1 = ctx->window_base + prp1;
    len -= first;

    if (len <= NVP_PAGE_SIZE) {
        if (prp2 & PAGE_MASK)
            return NVP_SQE_PRP_OFFSET;
        if (!guest_ok(ctx, hot, prp2, len, device_writes))
            return NVP_SQE_PRP_OUT_OF_RAM;
        out->prp2 = ctx->window_base + prp2;
        return NVP_SQE_OK;
    }
    return translate_prp_list(ctx, hot, in->cid, prp2, out, len, device_writes);
}

static NvpSqeVerdict
translate_rw(const NvpSqeCtx *ctx, const NvpGpaHot *hot, const NvpNvmeSqe *in, NvpNvmeSqe *out,
             gboolean device_writes)
{
    guint64 slba = (guint64)in->cdw10 | ((guint64)in->cdw11 << 32);
    guint64 nblocks = (guint64)(in->cdw12 & 0xffff) + 1;
    guint64 len = nblocks << ctx->lba_shift;

    if (in->cdw12 & ~RW_CDW12_ALLOWED)
        return NVP_SQE_BAD_FIELD;
    if (!lba_range_ok(ctx, slba, nblocks))
        return NVP_SQE_LBA_RANGE;
    if (len > ctx->max_transfer)
        return NVP_SQE_TOO_LONG;
    slba += ctx->lba_start;
    out->cdw10 = (guint32)slba;
    out->cdw11 = (guint32)(slba >> 32);
    out->cdw12 = in->cdw12;
    out->cdw13 = in->cdw13; /* dataset management hints */
    return translate_prps(ctx, hot, in, out, len, device_writes);
}

static NvpSqeVerdict
translate_write_zeroes(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out)
{
    guint64 slba = (guint64)in->cdw10 | ((guint64)in->cdw11 << 32);
    guint64 nblocks = (guint64)(in->cdw12 & 0xffff) + 1;

    if (in->cdw12 & ~WZ_CDW12_ALLOWED)
        return NVP_SQE_BAD_FIELD;
    if (!lba_range_ok(ctx, slba, nblocks))
        return NVP_SQE_LBA_RANGE;
    slba += ctx->lba_start;
    out->cdw10 = (guint32)slba;
    out->cdw11 = (guint32)(slba >> 32);
    out->cdw12 = in->cdw12;
    return NVP_SQE_OK;
}

/* Gathers @len bytes (<= one page) of guest data described by PRP1/PRP2 into @dst. */
static NvpSqeVerdict
gather_small(const NvpSqeCtx *ctx, const NvpGpaHot *hot, const NvpNvmeSqe *in, guint8 *dst,
             guint32 len)
{
    guint64 first = NVP_PAGE_SIZE - (in->prp1 & PAGE_MASK);
    const void *src;

    if (in->prp1 & 3)
        return NVP_SQE_PRP_OFFSET;
    if (first > len)
        first = len;
    src = guest_map(ctx, hot, in->prp1, first, FALSE);
    if (!src)
        return NVP_SQE_PRP_OUT_OF_RAM;
    memcpy(dst, src, first);
    if (first < len) {
        if (in->prp2 & PAGE_MASK)
            return NVP_SQE_PRP_OFFSET;
        src = guest_map(ctx, hot, in->prp2, len - first, FALSE);
        if (!src)
            return NVP_SQE_PRP_OUT_OF_RAM;
        memcpy(dst + first, src, len - first);
    }
    return NVP_SQE_OK;
}

static NvpSqeVerdict
translate_dsm(const NvpSqeCtx *ctx, const NvpGpaHot *hot, const NvpNvmeSqe *in, NvpNvmeSqe *out)
{
    guint32 nr = (in->cdw10 & 0xff) + 1;
    guint32 slot = nvp_sqe_list_slot(ctx, in->cid);
    guint64 slot_off = (guint64)slot * NVP_SQE_LIST_STRIDE + NVP_SQE_LIST_DSM_OFFSET;
    /* Ranges are gathered and checked in a private copy and only then published into the slot,
     * which another in-flight DSM of this guest may share: it must never see an unchecked one. */
    NvpDsmRange ranges[256];
    NvpSqeVerdict v;

    G_STATIC_ASSERT(sizeof(ranges) <= NVP_SQE_LIST_STRIDE - NVP_SQE_LIST_DSM_OFFSET);
    if (in->cdw10 & ~0xffu)
        return NVP_SQE_BAD_FIELD;
    if (in->cdw11 & ~0x7u) /* IDR, IDW, AD */
        return NVP_SQE_BAD_FIELD;
    v = gather_small(ctx, hot, in, (guint8 *)ranges, nr * (guint32)sizeof(NvpDsmRange));
    if (v != NVP_SQE_OK)
        return v;
    for (guint32 i = 0; i < nr; i++) {
        guint64 slba = ranges[i].slba;
        guint64 nlb = ranges[i].nlb;

        if (nlb == 0) {
            ranges[i].slba = ctx->lba_start;
            continue;
        }
        if (!lba_range_ok(ctx, slba, nlb))
            return NVP_SQE_DSM_RANGE;
        ranges[i].slba = slba + ctx->lba_start;
    }
    memcpy(ctx->list_vaddr + slot_off, ranges, nr * sizeof(NvpDsmRange));
    out->cdw10 = in->cdw10;
    out->cdw11 = in->cdw11;
    out->prp1 = ctx->list_iova + slot_off;
    out->prp2 = 0;
    return NVP_SQE_OK;
}

static NvpSqeVerdict
translate(const NvpSqeCtx *ctx, const NvpGpaHot *hot, const NvpNvmeSqe *in, NvpNvmeSqe *out)
{
    if (in->flags & 0xc0)
        return NVP_SQE_SGL;
    if (in->flags)
        return NVP_SQE_BAD_FLAGS;

    switch (in->opcode) {
    case nvme_cmd_flush:
        if (in->nsid != 1 && in->nsid != 0xffffffffu)
            return NVP_SQE_BAD_NSID;
        return NVP_SQE_OK;
    case nvme_cmd_write:
        if (!nsid_ok(in->nsid))
            return NVP_SQE_BAD_NSID;
        return translate_rw(ctx, hot, in, out, FALSE);
    case nvme_cmd_read:
        if (!nsid_ok(in->nsid))
            return NVP_SQE_BAD_NSID;
        return translate_rw(ctx, hot, in, out, TRUE);
    case nvme_cmd_compare:
        if (!nsid_ok(in->nsid))
            return NVP_SQE_BAD_NSID;
        return translate_rw(ctx, hot, in, out, FALSE);
    case nvme_cmd_write_zeroes:
        if (!nsid_ok(in->nsid))
            return NVP_SQE_BAD_NSID;
        return translate_write_zeroes(ctx, in, out);
    case nvme_cmd_dsm:
        if (!nsid_ok(in->nsid))
            return NVP_SQE_BAD_NSID;
        return translate_dsm(ctx, hot, in, out);
    default:
        return NVP_SQE_BAD_OPCODE;
    }
}

/* The whole translation of any command; see nvp_sqe_translate(). */
static __attribute__((noinline)) NvpSqeVerdict
translate_full(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out)
{
    const NvpGpaHot *hot = ctx->hot ? ctx->hot : &no_hot;
    NvpSqeVerdict v;

    /* Start from a clean command: only fields a handler copies on purpose reach the SSD. */
    memset(out, 0, sizeof(*out));
    out->opcode = in->opcode;
    out->cid = in->cid;
    out->nsid = ctx->hw_nsid;

    v = translate(ctx, hot, in, out);
    if (G_LIKELY(v == NVP_SQE_OK))
        return v;

    memset(out, 0, sizeof(*out));
    out->opcode = nvme_cmd_read;
    out->cid = in->cid;
    out->nsid = 0; /* never a valid namespace: Invalid Namespace or Format */
    out->prp1 = ctx->scratch_iova;
    return v;
}

/* The command the fast path accepted, every field written once. */
static inline __attribute__((always_inline)) NvpSqeVerdict
emit_rw(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out, guint64 slba, guint64 prp2)
{
    slba += ctx->lba_start;
    out->opcode = in->opcode;
    out->flags = 0;
    out->cid = in->cid;
    out->nsid = ctx->hw_nsid;
    out->cdw2 = 0;
    out->cdw3 = 0;
    out->mptr = 0;
    out->prp1 = ctx->window_base + in->prp1;
    out->prp2 = prp2;
    out->cdw10 = (guint32)slba;
    out->cdw11 = (guint32)(slba >> 32);
    memcpy(&out->cdw12, &in->cdw12, 2 * sizeof(guint32)); /* CDW12, and CDW13: DSM hints */
    out->cdw14 = 0;
    out->cdw15 = 0;
    return NVP_SQE_OK;
}

/* The fast path's two-page case: PRP1's page and the one at PRP2, @len bytes in all. */
static __attribute__((noinline)) NvpSqeVerdict
fast_two_pages(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out, guint64 slba,
               guint64 len)
{
    const NvpGpaHot *hot = ctx->hot;
    gboolean device_writes = in->opcode == nvme_cmd_read;
    guint64 prp1 = in->prp1;
    guint64 prp2 = in->prp2;
    guint64 first = NVP_PAGE_SIZE - (prp1 & PAGE_MASK);

    if (G_UNLIKELY(len - first > NVP_PAGE_SIZE || (prp2 & PAGE_MASK) ||
                   !nvp_gpa_hot_contains(hot, prp1, first, device_writes) ||
                   !nvp_gpa_hot_contains(hot, prp2, len - first, device_writes)))
        return translate_full(ctx, in, out);
    return emit_rw(ctx, in, out, slba, ctx->window_base + prp2);
}

NvpSqeVerdict
nvp_sqe_translate(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, NvpNvmeSqe *out)
{
    const NvpGpaHot *hot = ctx->hot;
    guint8 opcode = in->opcode;
    guint64 slba, nblocks, len, prp1;

    /* The fast path, a leaf: a Read or Write of one or two pages whose PRPs lie in the map's hot
     * region. It accepts a command only after every check translate_full() would make on it
     * (flags, opcode, NSID, CDW12 fields, extent, MDTS, PRP alignment, guest RAM and direction)
     * and writes the same command, every field once. Anything else, accepted or not, takes the
     * full path, which decides. */
    if (G_UNLIKELY(!hot || (opcode != nvme_cmd_read && opcode != nvme_cmd_write) || in->flags ||
                   !nsid_ok(in->nsid) || (in->cdw12 & ~RW_CDW12_ALLOWED)))
        return translate_full(ctx, in, out);
    slba = (guint64)in->cdw10 | ((guint64)in->cdw11 << 32);
    nblocks = (guint64)(in->cdw12 & 0xffff) + 1;
    len = nblocks << ctx->lba_shift;
    prp1 = in->prp1;
    if (G_UNLIKELY(!lba_range_ok(ctx, slba, nblocks) || len > ctx->max_transfer || (prp1 & 3)))
        return translate_full(ctx, in, out);
    if (G_UNLIKELY(len > NVP_PAGE_SIZE - (prp1 & PAGE_MASK)))
        return fast_two_pages(ctx, in, out, slba, len);
    if (G_UNLIKELY(!nvp_gpa_hot_contains(hot, prp1, len, opcode == nvme_cmd_read)))
        return translate_full(ctx, in, out);
    return emit_rw(ctx, in, out, slba, 0);
}
