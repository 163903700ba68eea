/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the strict-mode SQE validator/translator (agent/vctrl/sqe.c) on arbitrary
 * 64-byte SQEs and arbitrary guest memory, with the real DMA region table (agent/vfu/dma.c) as the
 * guest RAM map, and an independent oracle that aborts when an accepted command could reach
 * anything outside the slice (LBA extent, guest RAM in the window, agent list buffers). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libnvme.h>

#include "agent/vctrl/sqe.h"
#include "tests/fuzz/fuzz-guest.h"

#ifndef NVP_SQE_PRP_LIST_MAX /* sqe.h before list slots got separate PRP and DSM pages */
#define NVP_SQE_PRP_LIST_MAX (NVP_SQE_LIST_STRIDE / 8u)
#endif

#define WINDOW_BASE 0x4000000000ull
#define LIST_IOVA 0x1000000ull
#define SCRATCH_IOVA 0x2000000ull
#define MAX_SLOTS 8u

static FuzzGuest G;

static void
check_data_ptr(guint64 iova, guint64 len, gboolean device_writes)
{
    FUZZ_CHECK(iova >= WINDOW_BASE);
    FUZZ_CHECK(fuzz_guest_in_ram(iova - WINDOW_BASE, len, device_writes));
}

static void
check_lba(const NvpSqeCtx *ctx, guint64 slba, guint64 nlb)
{
    FUZZ_CHECK(nlb >= 1);
    FUZZ_CHECK(slba >= ctx->lba_start);
    FUZZ_CHECK(slba - ctx->lba_start < ctx->lba_count);
    FUZZ_CHECK(nlb <= ctx->lba_count - (slba - ctx->lba_start));
}

/* A list pointer of the hardware command: inside one slot of the agent's list buffers, with room
 * for len bytes before the slot ends. */
static const guint64 *
list_of(const NvpSqeCtx *ctx, guint64 iova, guint64 len)
{
    guint64 off;

    FUZZ_CHECK(iova >= ctx->list_iova);
    off = iova - ctx->list_iova;
    FUZZ_CHECK(off % 8 == 0);
    FUZZ_CHECK(off / NVP_SQE_LIST_STRIDE < ctx->n_list_slots);
    FUZZ_CHECK(len <= NVP_SQE_LIST_STRIDE - off % NVP_SQE_LIST_STRIDE);
    return (const guint64 *)(ctx->list_vaddr + off);
}

static void
check_prps(const NvpSqeCtx *ctx, const NvpNvmeSqe *out, guint64 len, gboolean device_writes)
{
    guint64 first = NVP_PAGE_SIZE - ((out->prp1 - WINDOW_BASE) & (NVP_PAGE_SIZE - 1));

    FUZZ_CHECK((out->prp1 & 3) == 0);
    if (first > len)
        first = len;
    check_data_ptr(out->prp1, first, device_writes);
    len -= first;
    if (len == 0)
        return;
    if (len <= NVP_PAGE_SIZE) {
        FUZZ_CHECK((out->prp2 & (NVP_PAGE_SIZE - 1)) == 0);
        check_data_ptr(out->prp2, len, device_writes);
        return;
    }
    /* one list in agent memory, no chaining (<= 512 entries) */
    {
        guint64 n = (len + NVP_PAGE_SIZE - 1) / NVP_PAGE_SIZE;
        const guint64 *l = list_of(ctx, out->prp2, n * sizeof(guint64));

        FUZZ_CHECK(n <= NVP_SQE_PRP_LIST_MAX);
        for (guint64 i = 0; i < n; i++) {
            guint64 elen = len > NVP_PAGE_SIZE ? NVP_PAGE_SIZE : len;

            FUZZ_CHECK((l[i] & (NVP_PAGE_SIZE - 1)) == 0);
            check_data_ptr(l[i], elen, device_writes);
            len -= elen;
        }
    }
}

/* Every field the SSD interprets, checked against the slice. */
static void
oracle(const NvpSqeCtx *ctx, const NvpNvmeSqe *in, const NvpNvmeSqe *out, NvpSqeVerdict v)
{
    FUZZ_CHECK(v < NVP_SQE_LAST);
    FUZZ_CHECK(nvp_sqe_verdict_to_string(v) != NULL);
    FUZZ_CHECK(out->cid == in->cid);
    FUZZ_CHECK(out->flags == 0); /* no fused ops, no SGL reaches the SSD */
    FUZZ_CHECK(out->mptr == 0);  /* no metadata pointer: it would be a raw DMA address */
    FUZZ_CHECK(out->cdw2 == 0 && out->cdw3 == 0);
    FUZZ_CHECK(out->cdw14 == 0 && out->cdw15 == 0); /* no PI reference tags / app tags */

    if (v != NVP_SQE_OK) {
        FUZZ_CHECK(out->opcode == nvme_cmd_read);
        FUZZ_CHECK(out->nsid == 0);
        FUZZ_CHECK(out->prp1 == ctx->scratch_iova && out->prp2 == 0);
        return;
    }

    FUZZ_CHECK(out->nsid == ctx->hw_nsid);
    FUZZ_CHECK(out->opcode == in->opcode);
    switch (out->opcode) {
    case nvme_cmd_flush:
        FUZZ_CHECK(out->prp1 == 0 && out->prp2 == 0);
        break;
    case nvme_cmd_read:
    case nvme_cmd_write:
    case nvme_cmd_compare: {
        guint64 slba = (guint64)out->cdw10 | ((guint64)out->cdw11 << 32);
        guint64 nlb = (guint64)(out->cdw12 & 0xffff) + 1;
        guint64 len = nlb << ctx->lba_shift;

        /* no PI (PRINFO), no directives (DTYPE), no storage tag check */
        FUZZ_CHECK((out->cdw12 & ((0xfu << 26) | (0xfu << 20) | (1u << 24) | (1u << 25))) == 0);
        check_lba(ctx, slba, nlb);
        FUZZ_CHECK(len <= ctx->max_transfer);
        check_prps(ctx, out, len, out->opcode == nvme_cmd_read);
        break;
    }
    case nvme_cmd_write_zeroes: {
        guint64 slba = (guint64)out->cdw10 | ((guint64)out->cdw11 << 32);
        guint64 nlb = (guint64)(out->cdw12 & 0xffff) + 1;

        FUZZ_CHECK((out->cdw12 & ((0xfu << 26) | (0xfu << 20) | (1u << 24))) == 0);
        check_lba(ctx, slba, nlb);
        FUZZ_CHECK(out->prp1 == 0 && out->prp2 == 0);
        break;
    }
    case nvme_cmd_dsm: {
        guint32 nr = (out->cdw10 & 0xff) + 1;
        const NvpDsmRange *r =
            (const NvpDsmRange *)list_of(ctx, out->prp1, (guint64)nr * sizeof(NvpDsmRange));

        FUZZ_CHECK(out->prp2 == 0);
        FUZZ_CHECK((out->cdw10 >> 8) == 0);
        for (guint32 i = 0; i < nr; i++) {
            if (r[i].nlb == 0)
                continue;
            check_lba(ctx, r[i].slba, r[i].nlb);
        }
        break;
    }
    default:
        FUZZ_CHECK(!"an opcode outside the I/O allow-list was accepted");
    }
}

/* Input: 4 config bytes, 1..4 SQEs of 64 bytes (one doorbell's worth: config byte 3 bits 4-5
 * say how many), then memory patches (see fuzz-common.h). Every command is checked right after
 * its translation AND again once the whole batch is translated, because that is what the SSD
 * sees when the doorbell rings: a later command of the batch must not have changed what an
 * earlier, accepted one points at (list buffers are shared between commands). */
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    static const guint32 shifts[] = { 9, 12 };
    static const guint32 max_xfers[] = { 1u << 20, 128u * 1024u, NVP_SQE_MAX_TRANSFER, 4096u };
    static const guint64 counts[] = { 262144, 1, 8, G_MAXUINT64 / 2 };
    NvpSqeCtx ctx;
    NvpGpaHot hot = { 0 };
    NvpNvmeSqe in[4];
    NvpNvmeSqe out[4];
    NvpSqeVerdict v[4];
    guint n_slots;
    guint n_cmds;
    gsize head;

    if (!G.dma)
        fuzz_guest_init(&G);
    if (size < 4)
        return 0;
    n_cmds = 1 + ((data[3] >> 4) & 3);
    head = 4 + n_cmds * sizeof(NvpNvmeSqe);
    if (size < head)
        return 0;

    n_slots = 1 + data[2] % MAX_SLOTS;
    ctx = (NvpSqeCtx){
        .hw_nsid = 7,
        .lba_start = (data[3] & 1) ? G_MAXUINT64 / 2 - 1 : 1000000,
        .lba_count = counts[((data[3] >> 1) & 7) % G_N_ELEMENTS(counts)],
        .lba_shift = shifts[data[0] % G_N_ELEMENTS(shifts)],
        .max_transfer = max_xfers[data[1] % G_N_ELEMENTS(max_xfers)],
        .window_base = WINDOW_BASE,
        .map = fuzz_guest_map,
        .map_data = &G,
        .list_iova = LIST_IOVA,
        .n_list_slots = n_slots,
        .scratch_iova = SCRATCH_IOVA,
    };
    /* exactly n_slots pages so ASan sees any write past the last slot */
    /* the translator's inline fast path: a hot region (what vctrl's gpamap caches) that only
     * ever describes memory the map accepts, in the direction it allows */
    switch ((data[3] >> 6) & 3) {
    case 1:
        hot = (NvpGpaHot){ FUZZ_RAM_GPA, FUZZ_RAM_SIZE, G.ram, TRUE };
        break;
    case 2:
        hot = (NvpGpaHot){ FUZZ_RO_GPA, FUZZ_RO_SIZE,
                           nvp_vfu_dma_table_translate(G.dma, FUZZ_RO_GPA, FUZZ_RO_SIZE, FALSE),
                           FALSE };
        FUZZ_CHECK(hot.vaddr);
        break;
    case 3:
        hot = (NvpGpaHot){ FUZZ_RAM_GPA, FUZZ_RAM_SIZE, G.ram, FALSE };
        break;
    }
    ctx.hot = hot.size ? &hot : NULL;
    ctx.list_vaddr = aligned_alloc(NVP_PAGE_SIZE, (gsize)n_slots * NVP_SQE_LIST_STRIDE);
    FUZZ_CHECK(ctx.list_vaddr);
    memset(ctx.list_vaddr, 0xee, (gsize)n_slots * NVP_SQE_LIST_STRIDE);

    memcpy(in, data + 4, n_cmds * sizeof(NvpNvmeSqe));
    fuzz_guest_clear(&G);
    fuzz_apply_patches(data + head, size - head, G.ram, FUZZ_RAM_SIZE, G.ro, FUZZ_RO_SIZE);

    for (guint i = 0; i < n_cmds; i++) {
        v[i] = nvp_sqe_translate(&ctx, &in[i], &out[i]);
        if (fuzz_trace())
            fprintf(stderr, "command %u (cid %u, list slot %u): verdict %s\n", i, in[i].cid,
                    nvp_sqe_list_slot(&ctx, in[i].cid), nvp_sqe_verdict_to_string(v[i]));
        oracle(&ctx, &in[i], &out[i], v[i]);
    }
    /* the doorbell rings: the SSD now reads every command and every list buffer */
    for (guint i = 0; i < n_cmds; i++)
        oracle(&ctx, &in[i], &out[i], v[i]);
    /* the translator must not depend on anything but its input */
    if (n_cmds == 1) {
        NvpNvmeSqe again;

        FUZZ_CHECK(nvp_sqe_translate(&ctx, &in[0], &again) == v[0]);
        FUZZ_CHECK(memcmp(&again, &out[0], sizeof(again)) == 0);
    }
    free(ctx.list_vaddr);
    return 0;
}
