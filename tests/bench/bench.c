/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* L0 microbenchmark of the agent's per-command work (issue 10): the strict submission path
 * (guest SQE copy + validate + translate into the hardware SQ slot), one admin command
 * (Identify through nvp_admin_execute), and one doorbell message (a posted REGION_WRITE through
 * the real vfio-user server over a socketpair, into the PCI function and the register file).
 * Each case runs one function N times; tests/bench/run-bench.sh counts its instructions with
 * callgrind (--toggle-collect on the function named by --print-func) and prints commands per
 * second from a plain run. Nothing here asserts a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <libnvme.h>

#include "agent/vctrl/admin.h"
#include "agent/vctrl/gpamap.h"
#include "agent/vctrl/pci.h"
#include "agent/vctrl/regs.h"
#include "agent/vctrl/sqe.h"
#include "agent/vfu/dma.h"
#include "agent/vfu/server.h"

/* Under callgrind, the counters are zeroed before the measured loop and dumped right after it
 * (to <out-file>.1), so warm-up and setup never count. Without the header: whole-run counts. */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
/* NVP_BENCH_PROFILE=1 leaves the counters alone: callgrind then attributes costs per function
 * (for callgrind_annotate), at the price of counting the warm-up too. */
#define MEASURE_BEGIN() \
    do { \
        if (!g_getenv("NVP_BENCH_PROFILE")) \
            CALLGRIND_ZERO_STATS; \
    } while (0)
#define MEASURE_END() \
    do { \
        if (!g_getenv("NVP_BENCH_PROFILE")) \
            CALLGRIND_DUMP_STATS; \
    } while (0)
#endif
#endif
#ifndef MEASURE_BEGIN
#define MEASURE_BEGIN() \
    do { \
    } while (0)
#define MEASURE_END() \
    do { \
    } while (0)
#endif

/* A guest as QEMU maps it for a q35 machine with 512 MiB: RAM below 4 GiB split around the
 * legacy holes, plus fd-less ROM regions; every RAM region a sparse memfd. */
#define RAM_LOW_SIZE (256ull << 20)
#define RAM_HIGH_GPA (4ull << 30)
#define RAM_HIGH_SIZE (256ull << 20)
#define WINDOW_BASE (1ull << 40)
#define WINDOW_SIZE (64ull << 30)
#define DEPTH 1024u
#define SQ_GPA 0x100000ull    /* guest SQ: 1024 * 64 B */
#define LIST_GPA 0x200000ull  /* guest PRP lists: one page per SQ slot */
#define DATA_GPA 0x1000000ull /* data pages */

/* The guest RAM map is the one vctrl uses (agent/vctrl/gpamap.c: the region of the last hit,
 * then a linear scan), holding what vctrl keeps: the fd-backed regions, in DMA_MAP order, each
 * MAPPED. "-dmatable" cases use the vfio-user DMA table's binary search (agent/vfu/dma.c). */
typedef struct {
    NvpVfuDmaTable *dma;
    guint8 *ram_low;
    NvpGpaMap ram;
    NvpGpaRegion ram_regions[2];
    NvpSqeCtx ctx;
    NvpNvmeSqe *hw_sq; /* agent-memory hardware SQ */
    guint32 hw_tail;
    guint32 batch;             /* commands per doorbell */
    volatile guint32 doorbell; /* stands in for the BAR0 doorbell */
    NvpSqeStats st;
} Strict;

static void *
dmatable_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    Strict *s = data;

    if (gpa >= WINDOW_SIZE || len > WINDOW_SIZE - gpa)
        return NULL;
    return nvp_vfu_dma_table_translate(s->dma, gpa, len, device_writes);
}

static void
ram_add(Strict *s, NvpGpaRegion *r, guint64 gpa, guint64 size)
{
    *r = (NvpGpaRegion){
        .ref = 1,
        .gpa = gpa,
        .size = size,
        .vaddr = nvp_vfu_dma_table_translate(s->dma, gpa, size, TRUE),
        .writable = TRUE,
        .state = NVP_GPA_REGION_MAPPED, /* as vctrl's worker leaves it */
    };
    g_assert(r->vaddr);
    g_assert(nvp_gpa_map_add(&s->ram, r));
}

static int
memfd_of(guint64 size)
{
    int fd = memfd_create("bench-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
        perror("memfd");
        exit(1);
    }
    return fd;
}

static void
strict_setup(Strict *s, const char *shape_arg)
{
    g_autofree char *shape = g_strdup(shape_arg);
    gboolean dmatable = g_str_has_suffix(shape, "-dmatable");
    gboolean batch32 = g_str_has_suffix(shape, "-batch32");
    guint8 *lists;
    guint32 pages;
    guint32 offset = 0;

    if (dmatable)
        shape[strlen(shape) - strlen("-dmatable")] = '\0';
    if (batch32)
        shape[strlen(shape) - strlen("-batch32")] = '\0';

    memset(s, 0, sizeof(*s));
    s->batch = batch32 ? 32 : 1;
    s->dma = nvp_vfu_dma_table_new(64);
    /* the order QEMU sends them in: ROMs and RAM */
    g_assert(nvp_vfu_dma_table_add(s->dma, 0x0, RAM_LOW_SIZE, memfd_of(RAM_LOW_SIZE), 0, TRUE, TRUE,
                                   NULL) == 0);
    g_assert(nvp_vfu_dma_table_add(s->dma, 0xfffc0000ull, 0x40000, -1, 0, TRUE, FALSE, NULL) == 0);
    g_assert(nvp_vfu_dma_table_add(s->dma, 0xfeda0000ull, 0x20000, -1, 0, TRUE, FALSE, NULL) == 0);
    g_assert(nvp_vfu_dma_table_add(s->dma, RAM_HIGH_GPA, RAM_HIGH_SIZE, memfd_of(RAM_HIGH_SIZE), 0,
                                   TRUE, TRUE, NULL) == 0);
    s->ram_low = nvp_vfu_dma_table_translate(s->dma, 0, RAM_LOW_SIZE, TRUE);
    g_assert(s->ram_low);
    /* what vctrl keeps: the fd-backed regions only, in DMA_MAP order */
    nvp_gpa_map_init(&s->ram);
    ram_add(s, &s->ram_regions[0], 0, RAM_LOW_SIZE);
    ram_add(s, &s->ram_regions[1], RAM_HIGH_GPA, RAM_HIGH_SIZE);

    g_assert(posix_memalign((void **)&lists, NVP_PAGE_SIZE, (gsize)DEPTH * NVP_SQE_LIST_STRIDE) ==
             0);
    memset(lists, 0, (gsize)DEPTH * NVP_SQE_LIST_STRIDE);
    g_assert(posix_memalign((void **)&s->hw_sq, NVP_PAGE_SIZE, DEPTH * sizeof(NvpNvmeSqe)) == 0);
    memset(s->hw_sq, 0, DEPTH * sizeof(NvpNvmeSqe));
    s->ctx = (NvpSqeCtx){
        .hw_nsid = 1,
        .lba_start = 1u << 20,
        .lba_count = 1u << 24, /* 8 GiB of 512-byte blocks */
        .lba_shift = 9,
        .max_transfer = 512u * 1024u,
        .window_base = WINDOW_BASE,
        .map = dmatable ? dmatable_map : nvp_gpa_map_translate,
        .map_data = dmatable ? (gpointer)s : &s->ram,
        .hot = dmatable ? NULL : &s->ram.hot, /* as vctrl sets it */
        .list_vaddr = lists,
        .list_iova = 0x10000000ull,
        .n_list_slots = DEPTH,
        .scratch_iova = 0x20000000ull,
    };

    if (g_str_equal(shape, "1page")) {
        pages = 1;
    } else if (g_str_equal(shape, "2pages")) {
        pages = 2;
    } else if (g_str_equal(shape, "list32")) {
        pages = 33; /* PRP1 + a 32-entry PRP list: 132 KiB */
    } else if (g_str_equal(shape, "list32-unaligned")) {
        pages = 33; /* 131.5 KiB from 512 bytes into a page: PRP1 + 32 */
        offset = 512;
    } else {
        fprintf(stderr, "unknown shape %s\n", shape);
        exit(2);
    }

    /* the guest's SQ, full of reads of this shape; data pages scattered like a page cache */
    for (guint32 slot = 0; slot < DEPTH; slot++) {
        NvpNvmeSqe *c = (NvpNvmeSqe *)(s->ram_low + SQ_GPA) + slot;
        guint64 base = DATA_GPA + (guint64)((slot * 7919u) % 4096u) * 8 * NVP_PAGE_SIZE;
        guint32 bytes = pages * NVP_PAGE_SIZE - offset;
        guint32 nlb = bytes >> 9;

        memset(c, 0, sizeof(*c));
        c->opcode = nvme_cmd_read;
        c->cid = (guint16)slot;
        c->nsid = 1;
        c->cdw10 = (guint32)((guint64)slot * 256);
        c->cdw12 = nlb - 1;
        c->prp1 = base + offset;
        if (pages == 2) {
            c->prp2 = base + 2 * NVP_PAGE_SIZE;
        } else if (pages > 2) {
            guint64 *l = (guint64 *)(s->ram_low + LIST_GPA + (guint64)slot * NVP_PAGE_SIZE);

            for (guint32 i = 1; i < pages; i++)
                l[i - 1] = base + (guint64)(2 * i) * NVP_PAGE_SIZE; /* every other page */
            c->prp2 = LIST_GPA + (guint64)slot * NVP_PAGE_SIZE;
        }
    }
}

/* The strict path for one SQ tail doorbell of s->batch new commands: nvp_sqe_submit(), as
 * io_sq_tail() in vctrl.c calls it (private copy of each guest SQE, validate + translate into the
 * hardware SQ at the same ring index, count), then the tail store standing in for the MMIO
 * doorbell write. */
__attribute__((noinline)) void nvp_bench_strict_one(Strict *s);

__attribute__((noinline)) void
nvp_bench_strict_one(Strict *s)
{
    guint32 tail = (s->hw_tail + s->batch) % DEPTH;

    nvp_sqe_submit(&s->ctx, (const NvpNvmeSqe *)(s->ram_low + SQ_GPA), s->hw_sq, DEPTH, s->hw_tail,
                   tail, &s->st);
    s->hw_tail = tail;
    s->doorbell = tail;
}

/* ---- admin --------------------------------------------------------------------------------- */

static guint8 admin_ram[64 * 1024] __attribute__((aligned(4096)));

static void *
admin_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    if (len == 0 || gpa >= sizeof(admin_ram) || len > sizeof(admin_ram) - gpa)
        return NULL;
    return admin_ram + gpa;
}

static guint16
admin_create(gpointer data, const NvpAdminQueuePair *qp)
{
    return 0;
}

static void
admin_delete(gpointer data, guint16 sqid)
{
}

static void
admin_irq(gpointer data, guint vector)
{
}

__attribute__((noinline)) void nvp_bench_admin_one(NvpAdmin *admin, const NvpNvmeSqe *cmd);

__attribute__((noinline)) void
nvp_bench_admin_one(NvpAdmin *admin, const NvpNvmeSqe *cmd)
{
    guint16 status;
    guint32 dw0;

    if (!nvp_admin_execute(admin, cmd, &status, &dw0) || status != 0)
        abort();
}

static NvpAdmin *
admin_setup(NvpRegs *regs, struct nvme_id_ctrl *hw_id, struct nvme_id_ns *hw_ns)
{
    static const NvpAdminBackend be = {
        .map = admin_map,
        .hw_map = admin_map,
        .create_qpair = admin_create,
        .delete_qpair = admin_delete,
        .irq = admin_irq,
    };
    NvpRegsConfig rcfg = { .mqes = 1023, .timeout = 10, .n_io_queues = 4 };
    NvpAdminConfig cfg = {
        .hw_id = hw_id,
        .hw_ns = hw_ns,
        .lba_count = 1u << 24,
        .max_transfer = 512u * 1024u,
        .n_qpairs = 4,
        .n_vectors = 5,
        .cntlid = 1,
        .mqes = 1023,
        .serial = "BENCH0001",
        .model = "virt-nvmepool slice",
    };

    memset(hw_id, 0, sizeof(*hw_id));
    memset(hw_ns, 0, sizeof(*hw_ns));
    nvp_regs_init(regs, &rcfg);
    return nvp_admin_new(&cfg, regs, &be, NULL);
}

/* ---- doorbell message through the vfio-user server ------------------------------------------ */

typedef struct {
    NvpVctrlPci *pci;
    NvpRegs regs;
    guint64 n_sq_tail;
} Endpoint;

static int
ep_bar0(gpointer data, guint64 offset, void *buf, guint32 len, gboolean is_write)
{
    Endpoint *ep = data;
    guint64 v = 0;
    NvpRegsEvent ev;

    if (!is_write || len > 8)
        return -EINVAL;
    memcpy(&v, buf, len);
    if (!nvp_regs_write(&ep->regs, offset, len, v, &ev))
        return -EINVAL;
    if (ev.type == NVP_REGS_EVENT_SQ_TAIL)
        ep->n_sq_tail++;
    return 0;
}

static int
ep_region_access(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                 gboolean is_write)
{
    Endpoint *ep = dev;

    return nvp_vctrl_pci_region_access(ep->pci, region, offset, buf, len, is_write);
}

static const NvpVfuDeviceOps ep_ops = { .region_access = ep_region_access };

static void
die_if(gboolean cond, const char *what)
{
    if (cond) {
        fprintf(stderr, "bench: %s failed: %s\n", what, g_strerror(errno));
        exit(1);
    }
}

/* One round: the client posts `batch` doorbell writes, the server handles them in one wakeup. */
__attribute__((noinline)) void nvp_bench_doorbell_round(GMainContext *ctx, int cfd,
                                                        const guint8 *msgs, gsize len);

__attribute__((noinline)) void
nvp_bench_doorbell_round(GMainContext *ctx, int cfd, const guint8 *msgs, gsize len)
{
    die_if(send(cfd, msgs, len, MSG_NOSIGNAL) != (ssize_t)len, "send");
    while (g_main_context_iteration(ctx, FALSE))
        ;
}

static void
run_doorbell(guint64 iters, guint batch)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    NvpVctrlPciConfig pcfg = { .n_vectors = 5 };
    NvpVfuServerConfig scfg = { 0 };
    NvpRegsConfig rcfg = { .mqes = 1023, .timeout = 10, .n_io_queues = 4 };
    Endpoint ep = { 0 };
    g_autoptr(GByteArray) stream = g_byte_array_new();
    NvpVfuServer *server;
    int sv[2];
    gint64 t0, t1;
    guint64 rounds = iters / batch;
    NvpRegsEvent ev;

    nvp_regs_init(&ep.regs, &rcfg);
    /* an enabled controller with a live I/O SQ 1 of 1024 entries */
    ep.regs.aqa = 0x001f001f;
    ep.regs.asq = 0x1000;
    ep.regs.acq = 0x2000;
    nvp_regs_write(&ep.regs, NVP_NVME_REG_CC, 4, NVP_NVME_CC_EN | (6u << 16) | (4u << 20), &ev);
    g_assert(ev.type == NVP_REGS_EVENT_ENABLE);
    nvp_regs_set_sq(&ep.regs, 1, DEPTH);
    ep.pci = nvp_vctrl_pci_new(&pcfg, NULL);
    g_assert(ep.pci);
    nvp_vctrl_pci_set_bar0_handler(ep.pci, ep_bar0, &ep);
    nvp_vctrl_pci_fill_server_config(ep.pci, &scfg);
    scfg.context = ctx;
    server = nvp_vfu_server_new(&scfg, &ep_ops, &ep, NULL);
    g_assert(server);
    die_if(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0, "socketpair");
    g_assert(nvp_vfu_server_attach_client(server, sv[0], NULL));

    {
        /* negotiate as QEMU does */
        static const char caps[] =
            "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
            "\"pgsizes\":4096,\"max_dma_maps\":65535}}";
        guint8 buf[256];
        NvpVfuHdr h = { .id = 1,
                        .command = NVP_VFU_CMD_VERSION,
                        .size = (guint32)(sizeof(NvpVfuHdr) + 4 + sizeof(caps)) };
        NvpVfuVersion v = { 0, 0 };

        memcpy(buf, &h, sizeof(h));
        memcpy(buf + sizeof(h), &v, sizeof(v));
        memcpy(buf + sizeof(h) + sizeof(v), caps, sizeof(caps));
        die_if(send(sv[1], buf, h.size, 0) != (ssize_t)h.size, "send");
        while (g_main_context_iteration(ctx, FALSE))
            ;
        die_if(recv(sv[1], buf, sizeof(buf), 0) <= 0, "recv");
    }

    for (guint i = 0; i < batch; i++) {
        NvpVfuHdr h = { .id = (guint16)i,
                        .command = NVP_VFU_CMD_REGION_WRITE,
                        .size = (guint32)(sizeof(NvpVfuHdr) + sizeof(NvpVfuRegionRw) + 4),
                        .flags = NVP_VFU_FLAG_NO_REPLY };
        NvpVfuRegionRw rw = { .offset = nvp_nvme_sq_doorbell_offset(1, 0),
                              .region = VFIO_PCI_BAR0_REGION_INDEX,
                              .count = 4 };
        guint32 value = i % DEPTH;

        g_byte_array_append(stream, (const guint8 *)&h, sizeof(h));
        g_byte_array_append(stream, (const guint8 *)&rw, sizeof(rw));
        g_byte_array_append(stream, (const guint8 *)&value, sizeof(value));
    }

    MEASURE_BEGIN();
    t0 = g_get_monotonic_time();
    for (guint64 r = 0; r < rounds; r++)
        nvp_bench_doorbell_round(ctx, sv[1], stream->data, stream->len);
    t1 = g_get_monotonic_time();
    MEASURE_END();
    if (ep.n_sq_tail != rounds * batch) {
        fprintf(stderr,
                "bench: %" G_GUINT64_FORMAT
                " doorbells reached the register file, expected %" G_GUINT64_FORMAT "\n",
                ep.n_sq_tail, rounds * batch);
        exit(1);
    }
    printf("iterations %" G_GUINT64_FORMAT "\n", rounds * batch);
    printf("per_second %.0f\n", (double)(rounds * batch) * 1e6 / (double)MAX(t1 - t0, 1));
    close(sv[1]);
    nvp_vfu_server_free(server);
    nvp_vctrl_pci_free(ep.pci);
}

int
main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";
    guint64 iters = argc > 2 ? g_ascii_strtoull(argv[2], NULL, 10) : 1000000;
    gint64 t0, t1;

    if (iters == 0) {
        fprintf(stderr, "usage: nvp-bench strict-SHAPE|admin-identify|doorbell|doorbell-batch32 "
                        "ITERATIONS\n");
        return 2;
    }
    if (g_str_has_prefix(what, "strict-")) {
        Strict s;

        strict_setup(&s, what + strlen("strict-"));
        /* one pass over the ring outside the measurement: page faults of the sparse memfd */
        for (guint i = 0; i < DEPTH / s.batch; i++)
            nvp_bench_strict_one(&s);
        iters -= iters % s.batch; /* ITERATIONS counts commands */
        MEASURE_BEGIN();
        t0 = g_get_monotonic_time();
        for (guint64 i = 0; i < iters / s.batch; i++)
            nvp_bench_strict_one(&s);
        t1 = g_get_monotonic_time();
        MEASURE_END();
        if (s.st.n_verdict[NVP_SQE_OK] != s.st.n_submitted ||
            s.st.n_submitted != iters + DEPTH / s.batch * s.batch) {
            fprintf(stderr,
                    "bench: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " commands accepted\n",
                    s.st.n_verdict[NVP_SQE_OK], s.st.n_submitted);
            return 1;
        }
    } else if (g_str_equal(what, "admin-identify")) {
        struct nvme_id_ctrl hw_id;
        struct nvme_id_ns hw_ns;
        NvpRegs regs;
        g_autoptr(NvpAdmin) admin = admin_setup(&regs, &hw_id, &hw_ns);
        NvpNvmeSqe cmd = {
            .opcode = nvme_admin_identify, .cid = 1, .prp1 = 0x3000, .cdw10 = NVME_IDENTIFY_CNS_CTRL
        };

        nvp_bench_admin_one(admin, &cmd);
        MEASURE_BEGIN();
        t0 = g_get_monotonic_time();
        for (guint64 i = 0; i < iters; i++)
            nvp_bench_admin_one(admin, &cmd);
        t1 = g_get_monotonic_time();
        MEASURE_END();
    } else if (g_str_equal(what, "doorbell")) {
        run_doorbell(iters, 1); /* one message per wakeup (QD1) */
        return 0;
    } else if (g_str_equal(what, "doorbell-batch32")) {
        run_doorbell(iters, 32); /* 32 queued messages per wakeup */
        return 0;
    } else {
        fprintf(stderr, "unknown case '%s'\n", what);
        return 2;
    }
    printf("iterations %" G_GUINT64_FORMAT "\n", iters);
    printf("per_second %.0f\n", (double)iters * 1e6 / (double)MAX(t1 - t0, 1));
    return 0;
}
