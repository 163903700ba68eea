/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the strict-mode SQE validator/translator (agent/vctrl/sqe.c) against a fake
 * guest RAM table. */
#include <string.h>
#include <stdlib.h>
#include <libnvme.h>

#include "agent/vctrl/sqe.h"

#define RAM_SIZE (4u << 20)   /* guest RAM [0, 4 MiB) */
#define ROM_GPA 0x10000000ull /* a read-only region [256 MiB, +64 KiB) */
#define ROM_SIZE 0x10000u
#define WINDOW 0x4000000000ull
#define LIST_IOVA 0x1000000ull
#define SCRATCH_IOVA 0x2000000ull
#define N_SLOTS 64

typedef struct {
    guint8 *ram;
    guint8 *rom;
    guint8 *lists;
    NvpGpaHot hot;
    NvpSqeCtx ctx;
} Fixture;

static void *
fake_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    Fixture *f = data;

    if (len == 0)
        return NULL;
    if (gpa < RAM_SIZE && len <= RAM_SIZE - gpa)
        return f->ram + gpa;
    if (!device_writes && gpa >= ROM_GPA && gpa - ROM_GPA < ROM_SIZE &&
        len <= ROM_SIZE - (gpa - ROM_GPA))
        return f->rom + (gpa - ROM_GPA);
    return NULL;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->ram = g_malloc0(RAM_SIZE);
    f->rom = g_malloc0(ROM_SIZE);
    g_assert_cmpint(posix_memalign((void **)&f->lists, 4096, N_SLOTS * NVP_SQE_LIST_STRIDE), ==, 0);
    memset(f->lists, 0xee, N_SLOTS * NVP_SQE_LIST_STRIDE);
    f->ctx = (NvpSqeCtx){
        .hw_nsid = 7,
        .lba_start = 1000000,
        .lba_count = 262144, /* 128 MiB of 512-byte blocks */
        .lba_shift = 9,
        .max_transfer = 1u << 20,
        .window_base = WINDOW,
        .map = fake_map,
        .map_data = f,
        .list_vaddr = f->lists,
        .list_iova = LIST_IOVA,
        .n_list_slots = N_SLOTS,
        .scratch_iova = SCRATCH_IOVA,
    };
    /* Every test also runs with a hot region (the translator's inline check before the map, as
     * vctrl's gpamap provides it): the whole RAM, writable, or the read-only region. A hot region
     * only ever describes memory the map accepts, so every verdict and output must be the same. */
    if (g_strcmp0(data, "hot-ram") == 0)
        f->hot = (NvpGpaHot){ 0, RAM_SIZE, f->ram, TRUE };
    else if (g_strcmp0(data, "hot-rom") == 0)
        f->hot = (NvpGpaHot){ ROM_GPA, ROM_SIZE, f->rom, FALSE };
    if (data)
        f->ctx.hot = &f->hot;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_free(f->ram);
    g_free(f->rom);
    free(f->lists);
}

static NvpNvmeSqe
rw(guint8 opcode, guint16 cid, guint64 slba, guint32 nblocks, guint64 prp1, guint64 prp2)
{
    NvpNvmeSqe c = { 0 };

    c.opcode = opcode;
    c.cid = cid;
    c.nsid = 1;
    c.cdw10 = (guint32)slba;
    c.cdw11 = (guint32)(slba >> 32);
    c.cdw12 = nblocks - 1;
    c.prp1 = prp1;
    c.prp2 = prp2;
    return c;
}

static void
assert_rejected(const NvpNvmeSqe *in, const NvpNvmeSqe *out)
{
    /* the replacement: a Read of NSID 0 that only touches the scratch page, same CID */
    g_assert_cmpuint(out->opcode, ==, nvme_cmd_read);
    g_assert_cmpuint(out->nsid, ==, 0);
    g_assert_cmpuint(out->cid, ==, in->cid);
    g_assert_cmpuint(out->prp1, ==, SCRATCH_IOVA);
    g_assert_cmpuint(out->prp2, ==, 0);
    g_assert_cmpuint(out->flags, ==, 0);
}

/* One page, page aligned: PRP1 only, NSID remapped, extent offset added, PRP2 cleared. */
static void
test_read_one_page(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_read, 5, 10, 8, 0x3000, 0xdead000), out;

    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.opcode, ==, nvme_cmd_read);
    g_assert_cmpuint(out.cid, ==, 5);
    g_assert_cmpuint(out.nsid, ==, 7);
    g_assert_cmpuint(out.cdw10 | ((guint64)out.cdw11 << 32), ==, 1000010);
    g_assert_cmpuint(out.cdw12, ==, 7);
    g_assert_cmpuint(out.prp1, ==, WINDOW + 0x3000);
    g_assert_cmpuint(out.prp2, ==, 0);
    g_assert_cmpuint(out.mptr, ==, 0);
}

/* Every field of the hardware command is written, whatever the slot held before (the fast path
 * writes fields one by one instead of zeroing first). */
static void
test_whole_output(Fixture *f, gconstpointer data)
{
    static const guint64 prp2s[] = { 0, 0x9000 };

    for (guint i = 0; i < G_N_ELEMENTS(prp2s); i++) {
        NvpNvmeSqe in = rw(nvme_cmd_write, 9, 3, prp2s[i] ? 16 : 8, 0x2000, prp2s[i]);
        NvpNvmeSqe out, want = { 0 };

        in.cdw13 = 0x5a;
        in.cdw2 = in.cdw3 = in.cdw14 = in.cdw15 = 0xffffffffu;
        in.mptr = G_MAXUINT64;
        memset(&out, 0xa5, sizeof(out));
        want.opcode = nvme_cmd_write;
        want.cid = 9;
        want.nsid = 7;
        want.prp1 = WINDOW + 0x2000;
        want.prp2 = prp2s[i] ? WINDOW + prp2s[i] : 0;
        want.cdw10 = 1000003;
        want.cdw12 = in.cdw12;
        want.cdw13 = 0x5a;
        g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
        g_assert_cmpmem(&out, sizeof(out), &want, sizeof(want));
    }
}

/* 8 KiB with an offset in the first page: PRP1 + PRP2 (a page pointer, not a list). */
static void
test_write_two_pages(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_write, 6, 0, 8, 0x5800, 0x9000), out;

    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.prp1, ==, WINDOW + 0x5800);
    g_assert_cmpuint(out.prp2, ==, WINDOW + 0x9000);
    g_assert_cmpuint(out.cdw10, ==, 1000000);
}

/* 64 KiB from a page-aligned buffer: PRP2 is a list of 15 entries, copied into the slot buffer
 * chosen by the CID, each entry moved into the window. */
static void
test_prp_list(Fixture *f, gconstpointer data)
{
    guint64 *glist = (guint64 *)(f->ram + 0x100000);
    guint32 slot;
    guint64 *copy;
    NvpNvmeSqe in, out;

    for (guint i = 0; i < 15; i++)
        glist[i] = 0x200000 + (guint64)i * 0x2000;
    in = rw(nvme_cmd_write, 0x1003, 100, 128, 0x1ff000, 0x100000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    slot = nvp_sqe_list_slot(&f->ctx, 0x1003);
    g_assert_cmpuint(slot, ==, 3);
    g_assert_cmpuint(out.prp2, ==, LIST_IOVA + 3 * NVP_SQE_LIST_STRIDE);
    copy = (guint64 *)(f->lists + 3 * NVP_SQE_LIST_STRIDE);
    for (guint i = 0; i < 15; i++)
        g_assert_cmpuint(copy[i], ==, WINDOW + 0x200000 + (guint64)i * 0x2000);
    /* the guest's own list is untouched */
    g_assert_cmpuint(glist[0], ==, 0x200000);
}

/* A list that starts near the end of a guest page chains to a second list page. */
static void
test_prp_list_chained(Fixture *f, gconstpointer data)
{
    guint64 *p1 = (guint64 *)(f->ram + 0x100ff0); /* 2 slots left in this page */
    guint64 *p2 = (guint64 *)(f->ram + 0x180000);
    guint64 *copy;
    NvpNvmeSqe in, out;

    /* 5 pages after PRP1: entries e0 | chain -> e1..e4 */
    p1[0] = 0x300000;
    p1[1] = 0x180000;
    for (guint i = 0; i < 4; i++)
        p2[i] = 0x301000 + (guint64)i * 0x1000;
    in = rw(nvme_cmd_read, 9, 0, 48, 0x2ff000, 0x100ff0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    copy = (guint64 *)(f->lists + 9 * NVP_SQE_LIST_STRIDE);
    g_assert_cmpuint(copy[0], ==, WINDOW + 0x300000);
    for (guint i = 0; i < 4; i++)
        g_assert_cmpuint(copy[1 + i], ==, WINDOW + 0x301000 + (guint64)i * 0x1000);
}

/* A data page outside guest RAM is refused, wherever it sits. */
static void
test_out_of_ram(Fixture *f, gconstpointer data)
{
    guint64 *glist = (guint64 *)(f->ram + 0x100000);
    NvpNvmeSqe in, out;

    in = rw(nvme_cmd_read, 1, 0, 8, RAM_SIZE, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);
    assert_rejected(&in, &out);

    /* first page straddles the end of RAM */
    in = rw(nvme_cmd_read, 1, 0, 2, RAM_SIZE - 512, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    in = rw(nvme_cmd_read, 1, 0, 8, RAM_SIZE - 512, RAM_SIZE);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);

    /* PRP2 outside */
    in = rw(nvme_cmd_write, 1, 0, 16, 0x1000, 0x7fff0000000ull);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);

    /* one list entry outside */
    for (guint i = 0; i < 3; i++)
        glist[i] = 0x200000 + (guint64)i * 0x1000;
    glist[1] = 0xfffffffffffff000ull;
    in = rw(nvme_cmd_write, 2, 0, 32, 0x1000, 0x100000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);
    assert_rejected(&in, &out);

    /* the list itself outside */
    in = rw(nvme_cmd_write, 2, 0, 32, 0x1000, RAM_SIZE + 0x1000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);
}

/* Read-only memory may be the source of a Write but never the target of a Read. */
static void
test_read_only_region(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_write, 1, 0, 8, ROM_GPA, 0), out;

    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    in.opcode = nvme_cmd_read;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);
}

static void
test_misaligned(Fixture *f, gconstpointer data)
{
    guint64 *glist = (guint64 *)(f->ram + 0x100000);
    NvpNvmeSqe in, out;

    in = rw(nvme_cmd_read, 1, 0, 1, 0x1002, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OFFSET);
    in = rw(nvme_cmd_read, 1, 0, 16, 0x1000, 0x2200); /* PRP2 page with an offset */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OFFSET);
    glist[0] = 0x200000;
    glist[1] = 0x201800; /* list entry with an offset */
    in = rw(nvme_cmd_read, 1, 0, 24, 0x1000, 0x100000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OFFSET);
    in = rw(nvme_cmd_read, 1, 0, 24, 0x1000, 0x100004); /* list pointer not qword aligned */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OFFSET);
}

/* SLBA + NLB must stay inside the extent; no wrap-around on 64-bit overflow. */
static void
test_lba_range(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in, out;

    in = rw(nvme_cmd_read, 1, 262144 - 8, 8, 0x1000, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.cdw10, ==, 1000000 + 262144 - 8);
    in = rw(nvme_cmd_read, 1, 262144 - 7, 8, 0x1000, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_LBA_RANGE);
    assert_rejected(&in, &out);
    in = rw(nvme_cmd_read, 1, 262144, 1, 0x1000, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_LBA_RANGE);
    in = rw(nvme_cmd_write, 1, G_MAXUINT64 - 2, 8, 0x1000, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_LBA_RANGE);
    in = rw(nvme_cmd_write, 1, G_MAXUINT64, 1, 0x1000, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_LBA_RANGE);
}

static void
test_nsid(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_read, 1, 0, 1, 0x1000, 0), out;
    guint32 bad[] = { 0, 2, 7, 0xffffffffu };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        in.nsid = bad[i];
        g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_NSID);
        assert_rejected(&in, &out);
    }
}

static void
test_flush(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = { .opcode = nvme_cmd_flush, .cid = 3, .nsid = 1, .prp1 = 0x1234, .cdw10 = 99 };
    NvpNvmeSqe out;

    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.nsid, ==, 7);
    g_assert_cmpuint(out.prp1, ==, 0);
    g_assert_cmpuint(out.cdw10, ==, 0);
    in.nsid = 0xffffffffu; /* broadcast flush: only our namespace */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.nsid, ==, 7);
    in.nsid = 3;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_NSID);
}

static void
test_bad_opcode(Fixture *f, gconstpointer data)
{
    guint8 bad[] = { nvme_cmd_write_uncor,
                     nvme_cmd_verify,
                     nvme_cmd_resv_register,
                     nvme_cmd_resv_report,
                     nvme_cmd_resv_acquire,
                     nvme_cmd_resv_release,
                     nvme_cmd_copy,
                     nvme_zns_cmd_mgmt_send,
                     nvme_zns_cmd_append,
                     0x80,
                     0xc1,
                     0xff };

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        NvpNvmeSqe in = rw(bad[i], 44, 0, 1, 0x1000, 0), out;

        g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_OPCODE);
        assert_rejected(&in, &out);
    }
}

static void
test_flags(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_read, 1, 0, 1, 0x1000, 0), out;

    in.flags = 0x40; /* PSDT = SGL */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_SGL);
    assert_rejected(&in, &out);
    in.flags = 0x80;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_SGL);
    in.flags = 0x01; /* fused, first */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FLAGS);
    in.flags = 0x02;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FLAGS);
    in.flags = 0x04; /* reserved */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FLAGS);
}

/* Protection information, directives and storage tag check are not exposed. */
static void
test_bad_fields(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_write, 1, 0, 1, 0x1000, 0), out;

    in.cdw12 |= 1u << 26; /* PRINFO */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FIELD);
    in = rw(nvme_cmd_write, 1, 0, 1, 0x1000, 0);
    in.cdw12 |= 1u << 20; /* DTYPE */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FIELD);
    in = rw(nvme_cmd_write, 1, 0, 1, 0x1000, 0);
    in.cdw12 |= (1u << 30) | (1u << 31); /* FUA + LR are fine */
    in.mptr = 0x5000;                    /* never reaches the SSD */
    in.cdw2 = 0xffff;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.cdw12, ==, in.cdw12);
    g_assert_cmpuint(out.mptr, ==, 0);
    g_assert_cmpuint(out.cdw2, ==, 0);
}

/* Transfers beyond MDTS are refused before any PRP is looked at. */
static void
test_too_long(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_read, 1, 0, 2048, 0x1000, 0x100000), out;
    guint64 *glist = (guint64 *)(f->ram + 0x100000);

    for (guint i = 0; i < 256; i++)
        glist[i] = 0x200000 + (guint64)i * 0x1000;
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK); /* exactly 1 MiB */
    in = rw(nvme_cmd_read, 1, 0, 2049, 0x1000, 0x100000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_TOO_LONG);
    in = rw(nvme_cmd_read, 1, 0, 65536, 0x1000, 0x100000); /* NLB max */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_TOO_LONG);
    assert_rejected(&in, &out);
}

static void
test_write_zeroes(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe in = rw(nvme_cmd_write_zeroes, 1, 262144 - 100, 100, 0xdead, 0xbeef), out;

    in.cdw12 |= 1u << 25; /* DEAC */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    g_assert_cmpuint(out.cdw10, ==, 1000000 + 262144 - 100);
    g_assert_cmpuint(out.prp1, ==, 0);
    g_assert_cmpuint(out.cdw12, ==, in.cdw12);
    in = rw(nvme_cmd_write_zeroes, 1, 262144 - 99, 100, 0, 0);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_LBA_RANGE);
}

/* DSM: the range list is copied, every range checked and moved by the extent offset; the
 * SSD reads the agent's copy, not guest memory. */
static void
test_dsm(Fixture *f, gconstpointer data)
{
    NvpDsmRange *g = (NvpDsmRange *)(f->ram + 0x4ff0); /* spans two guest pages */
    NvpDsmRange *copy;
    NvpNvmeSqe in = {
        .opcode = nvme_cmd_dsm, .cid = 17, .nsid = 1, .prp1 = 0x4ff0, .prp2 = 0x7000
    };
    NvpNvmeSqe out;

    /* the second range lives at 0x7000 (PRP2), not at 0x5000 */
    g[0] = (NvpDsmRange){ .nlb = 8, .slba = 16 };
    *(NvpDsmRange *)(f->ram + 0x7000) = (NvpDsmRange){ .nlb = 100, .slba = 262144 - 100 };
    in.cdw10 = 1;       /* 2 ranges */
    in.cdw11 = 1u << 2; /* AD */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_OK);
    copy = (NvpDsmRange *)(f->lists + 17 * NVP_SQE_LIST_STRIDE + NVP_SQE_LIST_DSM_OFFSET);
    g_assert_cmpuint(copy[0].slba, ==, 1000016);
    g_assert_cmpuint(copy[0].nlb, ==, 8);
    g_assert_cmpuint(copy[1].slba, ==, 1000000 + 262144 - 100);
    g_assert_cmpuint(out.prp1, ==, LIST_IOVA + 17 * NVP_SQE_LIST_STRIDE + NVP_SQE_LIST_DSM_OFFSET);
    g_assert_cmpuint(out.prp2, ==, 0);
    g_assert_cmpuint(out.cdw10, ==, 1);
    g_assert_cmpuint(g[0].slba, ==, 16); /* guest copy untouched */

    *(NvpDsmRange *)(f->ram + 0x7000) = (NvpDsmRange){ .nlb = 101, .slba = 262144 - 100 };
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_DSM_RANGE);
    assert_rejected(&in, &out);
    *(NvpDsmRange *)(f->ram + 0x7000) = (NvpDsmRange){ .nlb = 2, .slba = G_MAXUINT64 - 1 };
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_DSM_RANGE);
    in.prp2 = RAM_SIZE; /* range list partly outside RAM */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_PRP_OUT_OF_RAM);
    in.prp2 = 0x7000;
    in.cdw11 = 1u << 3; /* reserved attribute */
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &in, &out), ==, NVP_SQE_BAD_FIELD);
}

/* The list slot comes from the low 12 CID bits modulo the depth. */
static void
test_list_slot(Fixture *f, gconstpointer data)
{
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, 0), ==, 0);
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, 63), ==, 63);
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, 64), ==, 0);
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, 0xf005), ==, 5);
    f->ctx.n_list_slots = 1000;
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, 0x1fff), ==, 0xfff % 1000);
}

/* Random 64-byte commands never crash, and whatever the verdict, the output never points the
 * SSD outside the window + RAM, the list buffers or the scratch page. */
static void
test_random(Fixture *f, gconstpointer data)
{
    GRand *rand = g_rand_new_with_seed(1234);

    for (guint i = 0; i < 200000; i++) {
        NvpNvmeSqe in, out;
        guint32 *w = (guint32 *)&in;

        for (guint j = 0; j < 16; j++)
            w[j] = g_rand_int(rand);
        if (i & 1) {
            in.opcode = g_rand_int_range(rand, 0, 10);
            in.flags = 0;
            in.nsid = 1;
            in.prp1 &= RAM_SIZE * 2 - 1;
            in.prp2 &= RAM_SIZE * 2 - 1;
            in.cdw11 = 0;
            in.cdw12 &= 0x3ff;
        }
        if (nvp_sqe_translate(&f->ctx, &in, &out) == NVP_SQE_OK) {
            g_assert_cmpuint(out.nsid, ==, 7);
            g_assert_true(
                out.prp1 == 0 || (out.prp1 >= WINDOW && out.prp1 < WINDOW + RAM_SIZE) ||
                (out.prp1 >= WINDOW + ROM_GPA && out.prp1 < WINDOW + ROM_GPA + ROM_SIZE) ||
                (out.prp1 >= LIST_IOVA && out.prp1 < LIST_IOVA + N_SLOTS * NVP_SQE_LIST_STRIDE));
        } else {
            assert_rejected(&in, &out);
        }
    }
    g_rand_free(rand);
}

/* Regression (fuzz finding): two commands of one doorbell batch share a list slot through
 * colliding CIDs and the second is rejected half-way through its list. The slot the first,
 * accepted command points at must still hold only in-window addresses of guest RAM. */
static void
test_shared_slot_rejected(Fixture *f, gconstpointer data)
{
    guint64 *la = (guint64 *)(f->ram + 0x100000);
    guint64 *lb = (guint64 *)(f->ram + 0x140000);
    const guint64 *copy;
    NvpNvmeSqe a, b, out_a, out_b;

    for (guint i = 0; i < 15; i++) {
        la[i] = 0x200000 + (guint64)i * 0x1000;
        lb[i] = 0x300000 + (guint64)i * 0x1000;
    }
    lb[5] = 0x7ffff000000ull; /* far outside guest RAM */
    a = rw(nvme_cmd_read, 1, 0, 128, 0x1ff000, 0x100000);
    b = rw(nvme_cmd_read, 1 + N_SLOTS, 0, 128, 0x2ff000, 0x140000);
    g_assert_cmpuint(nvp_sqe_list_slot(&f->ctx, a.cid), ==, nvp_sqe_list_slot(&f->ctx, b.cid));
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &a, &out_a), ==, NVP_SQE_OK);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &b, &out_b), ==, NVP_SQE_PRP_OUT_OF_RAM);
    copy = (const guint64 *)(f->lists + (out_a.prp2 - LIST_IOVA));
    for (guint i = 0; i < 15; i++) {
        g_assert_cmpuint(copy[i], >=, WINDOW);
        g_assert_cmpuint(copy[i], <, WINDOW + RAM_SIZE);
    }
}

/* Regression (fuzz finding): a DSM sharing a list slot with an in-flight PRP-list command must
 * not overwrite that command's list with its ranges (they would be guest-chosen IOVAs). */
static void
test_shared_slot_dsm(Fixture *f, gconstpointer data)
{
    guint64 *la = (guint64 *)(f->ram + 0x100000);
    NvpDsmRange *r = (NvpDsmRange *)(f->ram + 0x6000);
    const guint64 *copy;
    NvpNvmeSqe a, out_a, out_d;
    NvpNvmeSqe d = { .opcode = nvme_cmd_dsm, .cid = 1 + N_SLOTS, .nsid = 1, .prp1 = 0x6000 };

    for (guint i = 0; i < 15; i++)
        la[i] = 0x200000 + (guint64)i * 0x1000;
    for (guint i = 0; i < 8; i++)
        r[i] = (NvpDsmRange){ .cattr = 0xffffffffu, .nlb = 1, .slba = i };
    d.cdw10 = 7;
    a = rw(nvme_cmd_read, 1, 0, 128, 0x1ff000, 0x100000);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &a, &out_a), ==, NVP_SQE_OK);
    g_assert_cmpint(nvp_sqe_translate(&f->ctx, &d, &out_d), ==, NVP_SQE_OK);
    g_assert_cmpuint(out_d.prp1, !=, out_a.prp2);
    copy = (const guint64 *)(f->lists + (out_a.prp2 - LIST_IOVA));
    for (guint i = 0; i < 15; i++)
        g_assert_cmpuint(copy[i], ==, WINDOW + 0x200000 + (guint64)i * 0x1000);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    do { \
        g_test_add("/vctrl/sqe/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown); \
        g_test_add("/vctrl/sqe/hot-ram/" name, Fixture, "hot-ram", fixture_setup, fn, \
                   fixture_teardown); \
        g_test_add("/vctrl/sqe/hot-rom/" name, Fixture, "hot-rom", fixture_setup, fn, \
                   fixture_teardown); \
    } while (0)
    ADD("read-one-page", test_read_one_page);
    ADD("whole-output", test_whole_output);
    ADD("write-two-pages", test_write_two_pages);
    ADD("prp-list", test_prp_list);
    ADD("prp-list-chained", test_prp_list_chained);
    ADD("out-of-ram", test_out_of_ram);
    ADD("read-only-region", test_read_only_region);
    ADD("misaligned", test_misaligned);
    ADD("lba-range", test_lba_range);
    ADD("nsid", test_nsid);
    ADD("flush", test_flush);
    ADD("bad-opcode", test_bad_opcode);
    ADD("flags", test_flags);
    ADD("bad-fields", test_bad_fields);
    ADD("too-long", test_too_long);
    ADD("write-zeroes", test_write_zeroes);
    ADD("dsm", test_dsm);
    ADD("list-slot", test_list_slot);
    ADD("shared-slot-rejected", test_shared_slot_rejected);
    ADD("shared-slot-dsm", test_shared_slot_dsm);
    ADD("random", test_random);
    return g_test_run();
}
