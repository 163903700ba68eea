/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nvp-hostile: a hostile guest driver over vfio-user. It drives a victim slice (known data on its
 * extent, a known pattern in its guest RAM) and runs attack cases against an attacker slice of the
 * same controller, one TAP line per case (docs/security.md, "Attack cases"). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/nvme-wire.h"
#include "tests/lib/vfu-client.h"

/* ---- guest memory layout (GPA) ----------------------------------------------------------- */
#define RAM_SIZE (16u << 20)
#define ASQ_GPA 0x4000u /* the register file refuses ASQ = 0 */
#define ACQ_GPA 0x5000u
#define ID_GPA 0x6000u
#define AQ_ENTRIES 64u
#define IOQ_ENTRIES 64u
#define SQ_GPA(q) (0x10000u + ((q)-1u) * 0x2000u)
#define CQ_GPA(q) (SQ_GPA(q) + 0x1000u)
#define LIST_GPA 0x40000u /* PRP list pages, one per command slot (64) */
#define DATA_GPA 0x100000u
#define DATA_SIZE (2u << 20)
#define PAT_GPA 0x800000u /* victim: pattern that must never change */
#define PAT_SIZE (2u << 20)
#define XFER (256u << 10) /* victim read-back chunk */
#define FDLESS_GPA 0x40000000ull
#define RO_GPA 0x2000000ull
#define MAX_IOQ 4

#define SC_SUCCESS 0x00
#define SC_INVALID_OPCODE 0x01
#define SC_INVALID_FIELD 0x02
#define SC_INVALID_NS 0x0b
#define SC_PRP_OFFSET 0x13
#define SCT_GEN 0
#define SCT_CMD 1
#define SC_CQ_INVALID 0x00
#define SC_QID_INVALID 0x01
#define SC_QUEUE_SIZE 0x02
#define SC_INVALID_VECTOR 0x08
#define ST(sct, sc) ((guint16)(((sct) << 8) | (sc)))
#define ST_MASK 0x7ff /* SCT + SC, without CRD/M/DNR */

typedef struct {
    guint32 sq_tail, cq_head, entries;
    guint8 phase;
} IoQ;

typedef struct {
    NvpTestVfuClient *c;
    int memfd;
    guint8 *ram;
    guint16 cid;
    guint32 asq_tail, acq_head;
    guint8 acq_phase;
    guint n_io;
    IoQ io[MAX_IOQ + 1];
    guint64 nsze;
    guint lba_shift;
    guint32 nq_dw0;
} Guest;

typedef struct {
    const char *attacker_sock, *victim_sock, *stats_file, *attacker_name, *victim_name;
    int agent_pid;
    guint64 victim_rel_lba; /* victim extent start - attacker extent start, in LBAs */
    guint n_attacker_queues;
    guint64 victim_window, agent_iova;
    guint baseline_fds;
    Guest *victim;
    Guest *next; /* attacker set up by the previous post-check */
    GString *diag;
    guint n, n_fail;
} Ctx;

static Ctx ctx;

#define DIAG(...) g_string_append_printf(ctx.diag, __VA_ARGS__)

/* ---- patterns ---------------------------------------------------------------------------- */
static guint64
pat_word(guint64 seed, guint64 i)
{
    guint64 x = (i + seed) * 0x9E3779B97F4A7C15ull;

    x ^= x >> 29;
    return x ^ seed;
}

static void
pat_fill(guint8 *buf, gsize len, guint64 seed, guint64 first_word)
{
    for (gsize i = 0; i < len / 8; i++) {
        guint64 w = GUINT64_TO_LE(pat_word(seed, first_word + i));

        memcpy(buf + i * 8, &w, 8);
    }
}

static gboolean
pat_check(const guint8 *buf, gsize len, guint64 seed, guint64 first_word, gsize *bad)
{
    for (gsize i = 0; i < len / 8; i++) {
        guint64 w;

        memcpy(&w, buf + i * 8, 8);
        if (GUINT64_FROM_LE(w) != pat_word(seed, first_word + i)) {
            *bad = i * 8;
            return FALSE;
        }
    }
    return TRUE;
}

#define EXTENT_SEED 0x56494354494d0001ull /* "VICTIM" */
#define MEMORY_SEED 0x56494354494d0002ull

/* ---- a guest driver ---------------------------------------------------------------------- */
static void
guest_free(Guest *g)
{
    if (!g)
        return;
    g_clear_pointer(&g->c, nvp_test_vfu_client_free);
    if (g->ram)
        munmap(g->ram, RAM_SIZE);
    if (g->memfd >= 0)
        close(g->memfd);
    g_free(g);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Guest, guest_free)

static int
bar0_write32(Guest *g, guint64 off, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);

    return nvp_test_vfu_client_region_write(g->c, VFIO_PCI_BAR0_REGION_INDEX, off, &le, 4, FALSE);
}

static int
bar0_read32(Guest *g, guint64 off, guint32 *v)
{
    guint32 le = 0;
    int rc = nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR0_REGION_INDEX, off, &le, 4);

    *v = GUINT32_FROM_LE(le);
    return rc;
}

static guint64
sq_db(guint q)
{
    return NVP_NVME_REG_DBS + 8u * q;
}

static guint64
cq_db(guint q)
{
    return NVP_NVME_REG_DBS + 8u * q + 4u;
}

/* Polls a CQ slot for a new entry (phase). */
static gboolean
poll_cqe(Guest *g, guint64 gpa, guint8 phase, guint timeout_ms, NvpNvmeCqe *out)
{
    gint64 end = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    volatile NvpNvmeCqe *e = (volatile NvpNvmeCqe *)(g->ram + gpa);

    do {
        if ((GUINT16_FROM_LE(e->status) & 1) == phase) {
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            memcpy(out, (const void *)e, sizeof(*out));
            return TRUE;
        }
        g_usleep(200);
    } while (g_get_monotonic_time() < end);
    return FALSE;
}

/* Waits for the next admin completion; status (SCT+SC+DNR...) or -1. */
static int
admin_reap(Guest *g, guint timeout_ms, NvpNvmeCqe *cqe)
{
    if (!poll_cqe(g, ACQ_GPA + g->acq_head * 16u, g->acq_phase, timeout_ms, cqe))
        return -1;
    if (++g->acq_head == AQ_ENTRIES) {
        g->acq_head = 0;
        g->acq_phase ^= 1;
    }
    if (bar0_write32(g, cq_db(0), g->acq_head) != 0)
        return -1;
    return NVP_NVME_CQE_STATUS(cqe);
}

static gboolean
admin_post(Guest *g, NvpNvmeSqe *cmd)
{
    cmd->cid = ++g->cid;
    memcpy(g->ram + ASQ_GPA + g->asq_tail * 64u, cmd, 64);
    g->asq_tail = (g->asq_tail + 1) % AQ_ENTRIES;
    return bar0_write32(g, sq_db(0), g->asq_tail) == 0;
}

/* One admin command; returns the status field or -1 (transport failure / no completion). */
static int
admin(Guest *g, NvpNvmeSqe *cmd, guint32 *dw0)
{
    NvpNvmeCqe cqe;
    int st;

    if (!admin_post(g, cmd))
        return -1;
    st = admin_reap(g, 5000, &cqe);
    if (st >= 0 && cqe.cid != cmd->cid)
        return -1;
    if (dw0)
        *dw0 = GUINT32_FROM_LE(cqe.dw0);
    return st;
}

static int
create_cq_raw(Guest *g, guint16 qid, guint32 entries, guint64 gpa, guint32 flags, guint16 vector)
{
    NvpNvmeSqe c = { .opcode = 0x05 };

    c.prp1 = gpa;
    c.cdw10 = qid | ((entries - 1u) << 16);
    c.cdw11 = flags | ((guint32)vector << 16);
    return admin(g, &c, NULL);
}

static int
create_sq_raw(Guest *g, guint16 qid, guint32 entries, guint64 gpa, guint16 cqid)
{
    NvpNvmeSqe c = { .opcode = 0x01 };

    c.prp1 = gpa;
    c.cdw10 = qid | ((entries - 1u) << 16);
    c.cdw11 = NVP_NVME_QUEUE_PHYS_CONTIG | ((guint32)cqid << 16);
    return admin(g, &c, NULL);
}

static gboolean
create_ioq(Guest *g, guint q, GError **error)
{
    gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC;
    int st;

    memset(g->ram + SQ_GPA(q), 0, 0x2000);
    /* the agent maps guest RAM into the IOMMU on a worker: Invalid Field until that is done */
    do {
        st = create_cq_raw(g, (guint16)q, IOQ_ENTRIES, CQ_GPA(q), NVP_NVME_QUEUE_PHYS_CONTIG, 0);
        if (st < 0 || (st & ST_MASK) != ST(SCT_GEN, SC_INVALID_FIELD))
            break;
        g_usleep(50000);
    } while (g_get_monotonic_time() < end);
    if (st != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Create I/O CQ %u: status 0x%x", q, st);
        return FALSE;
    }
    st = create_sq_raw(g, (guint16)q, IOQ_ENTRIES, SQ_GPA(q), (guint16)q);
    if (st != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "Create I/O SQ %u: status 0x%x (hardware queue pairs exhausted?)", q, st);
        return FALSE;
    }
    g->io[q] = (IoQ){ .entries = IOQ_ENTRIES, .phase = 1 };
    g->n_io = MAX(g->n_io, q);
    return TRUE;
}

/* Connect, negotiate, map RAM, enable; n_io I/O queue pairs (n_io may be 0). asq: admin SQ GPA. */
static Guest *
guest_open_at(const char *path, guint n_io, guint64 asq, GError **error)
{
    g_autoptr(Guest) g = g_new0(Guest, 1);
    gint64 end = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
    NvpNvmeSqe c;
    guint32 csts = 0;
    int rc;

    g->memfd = -1;
    /* the agent takes one client at a time and handles a disconnect asynchronously */
    for (;;) {
        g_autoptr(GError) local = NULL;

        g->c = nvp_test_vfu_client_connect(path, &local);
        if (g->c) {
            nvp_test_vfu_client_set_timeout(g->c, 10000);
            rc = nvp_test_vfu_client_negotiate(g->c, NULL, NULL);
            if (rc == 0)
                break;
            g_clear_pointer(&g->c, nvp_test_vfu_client_free);
        }
        if (g_get_monotonic_time() > end) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot connect to %s: %s", path,
                        local ? local->message : "negotiation failed");
            return NULL;
        }
        g_usleep(100000);
    }
    g->memfd = nvp_test_memfd_new(RAM_SIZE, (void **)&g->ram);
    if (g->memfd < 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "memfd: %s", g_strerror(errno));
        return NULL;
    }
    rc = nvp_test_vfu_client_dma_map(g->c, 0, RAM_SIZE, g->memfd, 0,
                                     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if (rc != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "DMA_MAP of guest RAM: %d", rc);
        return NULL;
    }
    if (bar0_write32(g, NVP_NVME_REG_AQA, (AQ_ENTRIES - 1) | ((AQ_ENTRIES - 1) << 16)) ||
        bar0_write32(g, NVP_NVME_REG_ASQ, (guint32)asq) ||
        bar0_write32(g, NVP_NVME_REG_ASQ + 4, (guint32)(asq >> 32)) ||
        bar0_write32(g, NVP_NVME_REG_ACQ, ACQ_GPA) || bar0_write32(g, NVP_NVME_REG_ACQ + 4, 0) ||
        bar0_write32(g, NVP_NVME_REG_CC,
                     NVP_NVME_CC_EN | NVP_NVME_CC_IOSQES(6) | NVP_NVME_CC_IOCQES(4)) ||
        bar0_read32(g, NVP_NVME_REG_CSTS, &csts)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "BAR0 access failed: %s",
                    nvp_test_vfu_client_last_error(g->c));
        return NULL;
    }
    g->acq_phase = 1;
    if (!(csts & NVP_NVME_CSTS_RDY) || (csts & NVP_NVME_CSTS_CFS)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "CSTS 0x%x after CC.EN", csts);
        return NULL;
    }
    if (asq != ASQ_GPA)
        return g_steal_pointer(&g);

    c = (NvpNvmeSqe){ .opcode = 0x06, .prp1 = ID_GPA, .cdw10 = 1 };
    if ((rc = admin(g, &c, NULL)) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Identify controller: %d", rc);
        return NULL;
    }
    c = (NvpNvmeSqe){ .opcode = 0x06, .nsid = 1, .prp1 = ID_GPA, .cdw10 = 0 };
    if ((rc = admin(g, &c, NULL)) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Identify namespace: %d", rc);
        return NULL;
    }
    {
        const guint8 *id = g->ram + ID_GPA;
        guint64 nsze;
        guint flbas = id[26] & 0xf;

        memcpy(&nsze, id, 8);
        g->nsze = GUINT64_FROM_LE(nsze);
        g->lba_shift = id[128 + 4 * flbas + 2];
    }
    c = (NvpNvmeSqe){ .opcode = 0x09, .cdw10 = 0x07, .cdw11 = 63u | (63u << 16) };
    if ((rc = admin(g, &c, &g->nq_dw0)) != 0) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Set Features Number of Queues: %d", rc);
        return NULL;
    }
    for (guint q = 1; q <= n_io; q++)
        if (!create_ioq(g, q, error))
            return NULL;
    return g_steal_pointer(&g);
}

static Guest *
guest_open(const char *path, guint n_io, GError **error)
{
    return guest_open_at(path, n_io, ASQ_GPA, error);
}

/* ---- I/O --------------------------------------------------------------------------------- */
static void
io_post(Guest *g, guint q, NvpNvmeSqe *cmd)
{
    IoQ *io = &g->io[q];

    if (!cmd->cid)
        cmd->cid = ++g->cid;
    memcpy(g->ram + SQ_GPA(q) + io->sq_tail * 64u, cmd, 64);
    io->sq_tail = (io->sq_tail + 1) % io->entries;
}

static gboolean
io_ring(Guest *g, guint q)
{
    return bar0_write32(g, sq_db(q), g->io[q].sq_tail) == 0;
}

static int
io_reap(Guest *g, guint q, guint timeout_ms, NvpNvmeCqe *cqe)
{
    IoQ *io = &g->io[q];

    if (!poll_cqe(g, CQ_GPA(q) + io->cq_head * 16u, io->phase, timeout_ms, cqe))
        return -1;
    if (++io->cq_head == io->entries) {
        io->cq_head = 0;
        io->phase ^= 1;
    }
    if (bar0_write32(g, cq_db(q), io->cq_head) != 0)
        return -1;
    return NVP_NVME_CQE_STATUS(cqe);
}

static int
io_cmd(Guest *g, guint q, NvpNvmeSqe *cmd)
{
    NvpNvmeCqe cqe;

    io_post(g, q, cmd);
    if (!io_ring(g, q))
        return -1;
    return io_reap(g, q, 10000, &cqe);
}

/* PRPs for a transfer of len bytes at gpa (page aligned), list in page `slot` of LIST_GPA. */
static void
set_prps(Guest *g, NvpNvmeSqe *c, guint64 gpa, guint32 len, guint slot)
{
    guint n = (len + 4095) / 4096;

    c->prp1 = gpa;
    c->prp2 = 0;
    if (n == 2) {
        c->prp2 = gpa + 4096;
    } else if (n > 2) {
        guint64 list = LIST_GPA + slot * 4096u;

        for (guint i = 1; i < n; i++) {
            guint64 e = GUINT64_TO_LE(gpa + (guint64)i * 4096);

            memcpy(g->ram + list + (i - 1) * 8u, &e, 8);
        }
        c->prp2 = list;
    }
}

static NvpNvmeSqe
rw_cmd(Guest *g, guint8 opcode, guint64 slba, guint32 nblocks, guint64 gpa, guint slot)
{
    NvpNvmeSqe c = { .opcode = opcode, .nsid = 1 };

    c.cdw10 = (guint32)slba;
    c.cdw11 = (guint32)(slba >> 32);
    c.cdw12 = (nblocks - 1) & 0xffff;
    set_prps(g, &c, gpa, nblocks << g->lba_shift, slot);
    return c;
}

/* ---- victim ------------------------------------------------------------------------------ */
static gboolean
victim_write_pattern(Guest *v, GError **error)
{
    guint64 bytes = v->nsze << v->lba_shift;
    guint32 nb = XFER >> v->lba_shift;

    for (guint64 off = 0; off < bytes; off += XFER) {
        NvpNvmeSqe c = rw_cmd(v, 0x01, off >> v->lba_shift, nb, DATA_GPA, 0);
        int st;

        pat_fill(v->ram + DATA_GPA, XFER, EXTENT_SEED, off / 8);
        if ((st = io_cmd(v, 1, &c)) != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "victim write at byte %" G_GUINT64_FORMAT ": status %d", off, st);
            return FALSE;
        }
    }
    pat_fill(v->ram + PAT_GPA, PAT_SIZE, MEMORY_SEED, 0);
    return TRUE;
}

static gboolean
victim_verify(Guest *v, GError **error)
{
    guint64 bytes = v->nsze << v->lba_shift;
    guint32 nb = XFER >> v->lba_shift;
    gsize bad = 0;

    if (!pat_check(v->ram + PAT_GPA, PAT_SIZE, MEMORY_SEED, 0, &bad)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    "victim guest memory changed at GPA 0x%" G_GSIZE_MODIFIER "x",
                    (gsize)PAT_GPA + bad);
        return FALSE;
    }
    for (guint64 off = 0; off < bytes; off += XFER) {
        NvpNvmeSqe c = rw_cmd(v, 0x02, off >> v->lba_shift, nb, DATA_GPA, 0);
        int st;

        memset(v->ram + DATA_GPA, 0xee, XFER);
        if ((st = io_cmd(v, 1, &c)) != 0) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "victim read at byte %" G_GUINT64_FORMAT ": status %d", off, st);
            return FALSE;
        }
        if (!pat_check(v->ram + DATA_GPA, XFER, EXTENT_SEED, off / 8, &bad)) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                        "victim extent changed at byte %" G_GUINT64_FORMAT, off + bad);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- the agent --------------------------------------------------------------------------- */
static guint
agent_fds(void)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/fd", ctx.agent_pid);
    g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
    guint n = 0;

    if (!d)
        return 0;
    while (g_dir_read_name(d))
        n++;
    return n;
}

static gboolean
agent_alive(void)
{
    return ctx.agent_pid > 0 && kill(ctx.agent_pid, 0) == 0;
}

/* SIGUSR1 -> the agent rewrites its stats file (g_file_set_contents: atomic rename); returns
 * its text. The old file is removed first: on the 9p share mtime and inode numbers can repeat. */
static char *
agent_stats(void)
{
    gint64 end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    char *text = NULL;

    if (!ctx.stats_file || !agent_alive())
        return NULL;
    if (unlink(ctx.stats_file) < 0 && errno != ENOENT)
        return NULL;
    if (kill(ctx.agent_pid, SIGUSR1) < 0)
        return NULL;
    do {
        g_usleep(10000);
        if (g_file_get_contents(ctx.stats_file, &text, NULL, NULL) &&
            strstr(text, "io-completions"))
            return text;
        g_clear_pointer(&text, g_free);
    } while (g_get_monotonic_time() < end);
    return NULL;
}

/* Number of live queue lines of slice @name in a stats dump, -1 if the slice is not there;
 * *value gets the number after @key (if key != NULL). */
static int
stats_slice(const char *text, const char *name, const char *key, guint64 *value)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    g_autofree char *head = g_strdup_printf("slice %s", name);
    gboolean in = FALSE, found = FALSE;
    int n = 0;

    for (guint i = 0; lines[i]; i++) {
        if (g_str_has_prefix(lines[i], "slice ")) {
            in = g_str_equal(lines[i], head);
            found |= in;
            continue;
        }
        if (!in)
            continue;
        if (g_str_has_prefix(lines[i], "  queue "))
            n++;
        if (key) {
            g_auto(GStrv) w = g_strsplit_set(lines[i], " ", -1);

            for (guint k = 0; w[k] && w[k + 1]; k++)
                if (g_str_equal(w[k], key))
                    *value = g_ascii_strtoull(w[k + 1], NULL, 0);
        }
    }
    return found ? n : -1;
}

static guint64
stats_get(const char *name, const char *key)
{
    g_autofree char *text = agent_stats();
    guint64 v = G_MAXUINT64;

    if (text)
        stats_slice(text, name, key, &v);
    return v;
}

/* ---- cases ------------------------------------------------------------------------------- */
typedef gboolean (*CaseFunc)(Guest **g);

/* Post-conditions of every case: agent alive, its fds back to the baseline, the agent's own
 * bookkeeping (no live queue left on the attacker slice, the victim's queue still there), the
 * victim's memory and extent unchanged (read back through its hardware queue), and a new
 * attacker can bind every granted I/O queue pair again: the SSD has exactly as many queue pairs
 * as both slices are granted, so one leaked hardware queue pair makes this fail. */
static gboolean
post_check(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *stats = NULL;
    gint64 end;
    guint fds = 0;
    int n;

    if (!agent_alive()) {
        DIAG("agent process %d is gone\n", ctx.agent_pid);
        return FALSE;
    }
    end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while ((fds = agent_fds()) > ctx.baseline_fds && g_get_monotonic_time() < end)
        g_usleep(50000);
    if (fds > ctx.baseline_fds) {
        DIAG("agent holds %u fds, %u before the attacker connected\n", fds, ctx.baseline_fds);
        return FALSE;
    }
    stats = agent_stats();
    if (!stats) {
        DIAG("no stats dump from the agent\n");
        return FALSE;
    }
    if ((n = stats_slice(stats, ctx.attacker_name, NULL, NULL)) != 0) {
        DIAG("attacker slice has %d live queues after disconnecting\n", n);
        return FALSE;
    }
    if ((n = stats_slice(stats, ctx.victim_name, NULL, NULL)) != 1) {
        DIAG("victim slice has %d live queues, not 1\n", n);
        return FALSE;
    }
    if (!victim_verify(ctx.victim, &error)) {
        DIAG("%s\n", error->message);
        return FALSE;
    }
    g_clear_pointer(&ctx.next, guest_free);
    ctx.next = guest_open(ctx.attacker_sock, ctx.n_attacker_queues, &error);
    if (!ctx.next) {
        DIAG("a new attacker cannot bind its %u queue pairs: %s\n", ctx.n_attacker_queues,
             error->message);
        return FALSE;
    }
    if (!agent_alive()) {
        DIAG("agent process %d is gone\n", ctx.agent_pid);
        return FALSE;
    }
    return TRUE;
}

static void
run_case(const char *id, const char *desc, CaseFunc func)
{
    g_autoptr(GError) error = NULL;
    Guest *g = g_steal_pointer(&ctx.next);
    gboolean ok;

    g_string_truncate(ctx.diag, 0);
    if (!g)
        g = guest_open(ctx.attacker_sock, ctx.n_attacker_queues, &error);
    if (!g) {
        DIAG("attacker setup: %s\n", error->message);
        ok = FALSE;
    } else {
        ok = func(&g);
    }
    guest_free(g); /* disconnect: the agent tears the attacker's queues down */
    if (!post_check())
        ok = FALSE;
    ctx.n++;
    if (!ok)
        ctx.n_fail++;
    printf("%sok %u - %s %s\n", ok ? "" : "not ", ctx.n, id, desc);
    if (ctx.diag->len) {
        g_auto(GStrv) l = g_strsplit(ctx.diag->str, "\n", -1);

        for (guint i = 0; l[i]; i++)
            if (*l[i])
                printf("# %s\n", l[i]);
    }
    fflush(stdout);
}

static gboolean
expect(const char *what, int got, guint16 want)
{
    if (got < 0 || (got & ST_MASK) != want) {
        DIAG("%s: status 0x%x, want 0x%x\n", what, got, want);
        return FALSE;
    }
    return TRUE;
}

/* An I/O command that strict mode must refuse: the SSD fails its replacement (NSID 0). */
static const char *const reasons[] = { "bad-opcode",     "bad-flags", "sgl",      "bad-nsid",
                                       "bad-field",      "lba-range", "too-long", "prp-offset",
                                       "prp-out-of-ram", "dsm-range" };

/* The attacker slice's io-rejected and per-reason counters (live queues only). */
static guint64
rejections(guint64 *per_reason)
{
    g_autofree char *text = agent_stats();
    guint64 v = G_MAXUINT64;

    if (!text)
        return v;
    stats_slice(text, ctx.attacker_name, "io-rejected", &v);
    for (guint i = 0; i < G_N_ELEMENTS(reasons); i++) {
        per_reason[i] = 0;
        stats_slice(text, ctx.attacker_name, reasons[i], &per_reason[i]);
    }
    return v;
}

static gboolean
expect_io_rejected(Guest *g, NvpNvmeSqe *c, const char *what)
{
    guint64 rb[G_N_ELEMENTS(reasons)], ra[G_N_ELEMENTS(reasons)];
    guint64 before = rejections(rb), after;

    if (!expect(what, io_cmd(g, 1, c), ST(SCT_GEN, SC_INVALID_NS)))
        return FALSE;
    /* the agent refused it (not the SSD for a reason of its own) */
    after = rejections(ra);
    for (guint i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (ra[i] != rb[i])
            DIAG("%s: refused by the agent (%s)\n", what, reasons[i]);
    if (before == G_MAXUINT64 || after != before + 1) {
        DIAG("%s: the agent's io-rejected went %" G_GINT64_MODIFIER "d -> %" G_GINT64_MODIFIER
             "d, want +1\n",
             what, (gint64)before, (gint64)after);
        return FALSE;
    }
    return TRUE;
}

#define ATTACK_SEED 0x41545441434b0001ull /* "ATTACK" */

/* Data the attacker writes: never the victim's pattern. */
static void
attacker_data(Guest *g)
{
    pat_fill(g->ram + DATA_GPA, DATA_SIZE, ATTACK_SEED, 0);
}

/* -- controls: the attacker's own I/O works, so rejections below mean something -- */
static gboolean
c_control_rw(Guest **gp)
{
    Guest *g = *gp;
    guint32 nb = (64u << 10) >> g->lba_shift;
    NvpNvmeSqe w, r;
    gsize bad;

    attacker_data(g);
    w = rw_cmd(g, 0x01, g->nsze - nb, nb, DATA_GPA, 1);
    if (!expect("write of the last 64 KiB of its own extent", io_cmd(g, 1, &w), 0))
        return FALSE;
    memset(g->ram + DATA_GPA, 0, 64u << 10);
    r = rw_cmd(g, 0x02, g->nsze - nb, nb, DATA_GPA, 2);
    if (!expect("read back", io_cmd(g, 2, &r), 0))
        return FALSE;
    if (!pat_check(g->ram + DATA_GPA, 64u << 10, ATTACK_SEED, 0, &bad)) {
        DIAG("read back differs at %zu\n", bad);
        return FALSE;
    }
    return TRUE;
}

/* The victim check can fail: a changed block of the victim's extent and a changed byte of its
 * memory are both detected (then restored). */
static gboolean
c_control_oracle(Guest **gp)
{
    Guest *v = ctx.victim;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GError) e3 = NULL;
    guint32 nb = XFER >> v->lba_shift;
    NvpNvmeSqe c = rw_cmd(v, 0x01, v->nsze - 1, 1, DATA_GPA, 0);
    gboolean ok = TRUE;

    memset(v->ram + DATA_GPA, 0x41, 1u << v->lba_shift);
    if (!expect("victim overwrites its last block", io_cmd(v, 1, &c), 0))
        return FALSE;
    if (victim_verify(v, &e1)) {
        DIAG("the victim check missed a changed block\n");
        ok = FALSE;
    }
    c = rw_cmd(v, 0x01, v->nsze - nb, nb, DATA_GPA, 0);
    pat_fill(v->ram + DATA_GPA, XFER, EXTENT_SEED, ((v->nsze - nb) << v->lba_shift) / 8);
    if (!expect("victim restores it", io_cmd(v, 1, &c), 0))
        return FALSE;
    v->ram[PAT_GPA + 12345] ^= 1;
    if (victim_verify(v, &e2)) {
        DIAG("the victim check missed a changed byte of memory\n");
        ok = FALSE;
    }
    v->ram[PAT_GPA + 12345] ^= 1;
    if (!victim_verify(v, &e3)) {
        DIAG("after restoring: %s\n", e3->message);
        ok = FALSE;
    }
    if (ok)
        DIAG("detected: %s; %s\n", e1->message, e2->message);
    return ok;
}

static gboolean
c_control_flush_broadcast(Guest **gp)
{
    NvpNvmeSqe c = { .opcode = 0x00, .nsid = 0xffffffff };

    return expect("Flush with NSID FFFFFFFFh", io_cmd(*gp, 1, &c), 0);
}

/* -- PRPs -- */
static gboolean
prp_case(Guest *g, guint8 opcode, guint64 prp1, guint64 prp2, guint32 bytes)
{
    NvpNvmeSqe c = rw_cmd(g, opcode, 0, bytes >> g->lba_shift, DATA_GPA, 3);

    attacker_data(g);
    c.prp1 = prp1;
    if (prp2 != G_MAXUINT64)
        c.prp2 = prp2;
    return expect_io_rejected(g, &c, opcode == 0x02 ? "Read" : "Write");
}

static gboolean
c_prp1_outside_ram(Guest **gp)
{
    return prp_case(*gp, 0x02, RAM_SIZE + 0x100000, G_MAXUINT64, 4096) &&
           prp_case(*gp, 0x01, 0xfffffffffffff000ull, G_MAXUINT64, 4096);
}

static gboolean
c_prp1_straddles_ram_end(Guest **gp)
{
    /* two pages: PRP1 the last page of RAM, PRP2 just past it */
    return prp_case(*gp, 0x02, RAM_SIZE - 4096, RAM_SIZE, 8192);
}

static gboolean
c_prp_agent_window(Guest **gp)
{
    return prp_case(*gp, 0x02, ctx.agent_iova, G_MAXUINT64, 4096) &&
           prp_case(*gp, 0x02, DATA_GPA, ctx.agent_iova + 0x1000, 8192);
}

static gboolean
c_prp1_victim_window(Guest **gp)
{
    /* device writes into the victim's pattern at its IOVA */
    return prp_case(*gp, 0x02, ctx.victim_window + PAT_GPA, G_MAXUINT64, 4096) &&
           prp_case(*gp, 0x01, ctx.victim_window + PAT_GPA, G_MAXUINT64, 4096);
}

static gboolean
c_prp2_victim_window(Guest **gp)
{
    return prp_case(*gp, 0x02, DATA_GPA, ctx.victim_window + PAT_GPA + 0x1000, 8192);
}

static gboolean
c_prp1_unaligned(Guest **gp)
{
    return prp_case(*gp, 0x02, DATA_GPA + 2, G_MAXUINT64, 512);
}

static gboolean
c_prp2_unaligned(Guest **gp)
{
    return prp_case(*gp, 0x02, DATA_GPA, DATA_GPA + 4096 + 8, 8192);
}

static gboolean
c_prp_list_ptr_outside(Guest **gp)
{
    return prp_case(*gp, 0x02, DATA_GPA, RAM_SIZE + 0x10000, 16384);
}

static gboolean
c_prp_list_ptr_victim(Guest **gp)
{
    return prp_case(*gp, 0x02, DATA_GPA, ctx.victim_window + PAT_GPA, 16384);
}

static gboolean
list_entry_case(Guest *g, guint64 bad_entry)
{
    NvpNvmeSqe c = rw_cmd(g, 0x02, 0, 16384 >> g->lba_shift, DATA_GPA, 4);
    guint64 e = GUINT64_TO_LE(bad_entry);

    memcpy(g->ram + LIST_GPA + 4 * 4096 + 8, &e, 8); /* second entry */
    return expect_io_rejected(g, &c, "Read with a bad PRP list entry");
}

static gboolean
c_prp_list_entry_victim(Guest **gp)
{
    return list_entry_case(*gp, ctx.victim_window + PAT_GPA);
}

static gboolean
c_prp_list_entry_outside(Guest **gp)
{
    return list_entry_case(*gp, RAM_SIZE) && list_entry_case(*gp, ctx.agent_iova);
}

static gboolean
c_prp_list_entry_unaligned(Guest **gp)
{
    return list_entry_case(*gp, DATA_GPA + 0x3010);
}

static gboolean
c_prp_list_loop(Guest **gp)
{
    Guest *g = *gp;
    guint32 bytes = 256u << 10; /* within MDTS (QEMU's NVMe: 512 KiB) */
    NvpNvmeSqe c = rw_cmd(g, 0x02, 0, bytes >> g->lba_shift, DATA_GPA, 5);
    guint64 page = LIST_GPA + 5 * 4096u;
    guint64 e0 = GUINT64_TO_LE(DATA_GPA + 4096), chain = GUINT64_TO_LE(page);
    guint64 rb[G_N_ELEMENTS(reasons)], ra[G_N_ELEMENTS(reasons)];
    int st;

    /* the list starts 2 entries before the page end and chains back to the start of its own
     * page, whose last entry chains there again: a loop the translator must bound */
    for (guint i = 0; i < 511; i++) {
        guint64 e = GUINT64_TO_LE(DATA_GPA + (guint64)(i % 200 + 2) * 4096);

        memcpy(g->ram + page + i * 8u, &e, 8);
    }
    memcpy(g->ram + page + 4080, &e0, 8);
    memcpy(g->ram + page + 4088, &chain, 8);
    c.prp2 = page + 4080;
    rejections(rb);
    st = io_cmd(g, 1, &c);
    rejections(ra);
    for (guint i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (ra[i] != rb[i])
            DIAG("looping list: refused by the agent (%s)\n", reasons[i]);
    if (st < 0) {
        DIAG("no completion for a looping PRP list\n");
        return FALSE;
    }
    /* bounded by MDTS: either refused, or every entry stayed inside the guest's own RAM */
    DIAG("looping list: status 0x%x\n", st);
    return TRUE;
}

static gboolean
c_prp_chain_unaligned(Guest **gp)
{
    Guest *g = *gp;
    NvpNvmeSqe c = rw_cmd(g, 0x02, 0, (64u << 10) >> g->lba_shift, DATA_GPA, 6);
    guint64 page = LIST_GPA + 6 * 4096u;
    guint64 e0 = GUINT64_TO_LE(DATA_GPA + 4096), chain = GUINT64_TO_LE(LIST_GPA + 7 * 4096u + 12);

    memcpy(g->ram + page + 4080, &e0, 8);
    memcpy(g->ram + page + 4088, &chain, 8);
    c.prp2 = page + 4080;
    return expect_io_rejected(g, &c, "Read with a misaligned chain pointer");
}

static gboolean
c_too_long(Guest **gp)
{
    Guest *g = *gp;
    /* 2 MiB + 4 KiB: above the advertised MDTS and above one list page */
    guint32 nb = ((2u << 20) + 4096) >> g->lba_shift;
    NvpNvmeSqe c = rw_cmd(g, 0x02, 0, MIN(nb, 65536u), DATA_GPA, 8);

    c.prp2 = LIST_GPA + 8 * 4096u;
    for (guint i = 0; i < 512; i++) {
        guint64 e = GUINT64_TO_LE(DATA_GPA + (guint64)(i + 1) * 4096);

        memcpy(g->ram + c.prp2 + i * 8, &e, 8);
    }
    return expect_io_rejected(g, &c, "Read of 2 MiB + 4 KiB");
}

static gboolean
map_extra(Guest *g, guint64 gpa, gsize size, gboolean with_fd, guint32 flags, int *fd_out)
{
    int fd = -1;
    int rc;

    if (with_fd) {
        fd = nvp_test_memfd_new(size, NULL);
        if (fd < 0)
            return FALSE;
    }
    rc = nvp_test_vfu_client_dma_map(g->c, gpa, size, fd, 0, flags);
    if (fd_out)
        *fd_out = fd;
    else if (fd >= 0)
        close(fd);
    if (rc != 0)
        DIAG("DMA_MAP 0x%" G_GINT64_MODIFIER "x: %d\n", gpa, rc);
    return rc == 0;
}

static gboolean
c_prp_fdless(Guest **gp)
{
    if (!map_extra(*gp, FDLESS_GPA, 1u << 20, FALSE, VFIO_DMA_MAP_FLAG_READ, NULL))
        return FALSE;
    return prp_case(*gp, 0x01, FDLESS_GPA, G_MAXUINT64, 4096) &&
           prp_case(*gp, 0x02, FDLESS_GPA, G_MAXUINT64, 4096);
}

static gboolean
c_prp_read_only(Guest **gp)
{
    if (!map_extra(*gp, RO_GPA, 1u << 20, TRUE, VFIO_DMA_MAP_FLAG_READ, NULL))
        return FALSE;
    g_usleep(500000); /* let the agent finish the IOMMU mapping: refused for writability */
    return prp_case(*gp, 0x02, RO_GPA, G_MAXUINT64, 4096);
}

/* -- command fields -- */
static gboolean
field_case(Guest *g, guint8 opcode, guint8 flags, guint32 nsid, guint32 cdw12_or, guint32 cdw13,
           const char *what)
{
    NvpNvmeSqe c = rw_cmd(g, opcode, 0, 8, DATA_GPA, 9);

    attacker_data(g);
    c.flags = flags;
    c.nsid = nsid;
    c.cdw12 |= cdw12_or;
    c.cdw13 = cdw13;
    return expect_io_rejected(g, &c, what);
}

static gboolean
c_sgl(Guest **gp)
{
    return field_case(*gp, 0x02, 0x40, 1, 0, 0, "Read with PSDT=01b (SGL)") &&
           field_case(*gp, 0x01, 0x80, 1, 0, 0, "Write with PSDT=10b (SGL)");
}

static gboolean
c_fused(Guest **gp)
{
    return field_case(*gp, 0x05, 0x01, 1, 0, 0, "fused Compare (first)") &&
           field_case(*gp, 0x01, 0x02, 1, 0, 0, "fused Write (second)");
}

static gboolean
c_opcodes(Guest **gp)
{
    return field_case(*gp, 0x80, 0, 1, 0, 0, "vendor-specific I/O opcode 80h") &&
           field_case(*gp, 0x19, 0, 1, 0, 0, "Copy (19h)") &&
           field_case(*gp, 0x0d, 0, 1, 0, 0, "Reservation Register (0Dh)") &&
           field_case(*gp, 0x79, 0, 1, 0, 0, "Zone Management Send (79h)");
}

static gboolean
c_pi_directives(Guest **gp)
{
    return field_case(*gp, 0x01, 0, 1, 0xfu << 26, 0, "Write with PRINFO") &&
           field_case(*gp, 0x01, 0, 1, 0x2u << 20, 0x10000, "Write with a directive");
}

static gboolean
c_nsid_foreign(Guest **gp)
{
    return field_case(*gp, 0x01, 0, 2, 0, 0, "Write to NSID 2") &&
           field_case(*gp, 0x02, 0, 0, 0, 0, "Read of NSID 0");
}

static gboolean
c_nsid_broadcast(Guest **gp)
{
    return field_case(*gp, 0x01, 0, 0xffffffff, 0, 0, "Write to NSID FFFFFFFFh") &&
           field_case(*gp, 0x02, 0, 0xffffffff, 0, 0, "Read of NSID FFFFFFFFh");
}

/* -- LBAs -- */
static gboolean
lba_case(Guest *g, guint8 opcode, guint64 slba, guint32 nb, const char *what)
{
    NvpNvmeSqe c = rw_cmd(g, opcode, slba, MIN(nb, 256u), DATA_GPA, 10);

    attacker_data(g);
    c.cdw12 = (c.cdw12 & ~0xffffu) | ((nb - 1) & 0xffff);
    return expect_io_rejected(g, &c, what);
}

static gboolean
c_lba_past_extent(Guest **gp)
{
    Guest *g = *gp;

    return lba_case(g, 0x01, g->nsze, 1, "Write of the first LBA past the extent") &&
           lba_case(g, 0x01, g->nsze - 1, 2, "Write straddling the extent end");
}

static gboolean
c_lba_victim(Guest **gp)
{
    Guest *g = *gp;

    return lba_case(g, 0x01, ctx.victim_rel_lba, 8, "Write at the victim's extent") &&
           lba_case(g, 0x02, ctx.victim_rel_lba, 8, "Read of the victim's extent");
}

static gboolean
c_lba_wrap(Guest **gp)
{
    Guest *g = *gp;

    return lba_case(g, 0x01, G_MAXUINT64, 2, "Write SLBA FFFF...FFFF + 2 blocks") &&
           lba_case(g, 0x01, G_MAXUINT64 - 0xff, 0x200, "Write SLBA+NLB wrapping past 2^64") &&
           lba_case(g, 0x02, G_MAXUINT64 - 0x7, 0x10, "Read SLBA+NLB wrapping past 2^64");
}

static gboolean
c_write_zeroes(Guest **gp)
{
    Guest *g = *gp;
    NvpNvmeSqe c = { .opcode = 0x08, .nsid = 1 };
    gboolean ok;

    c.cdw10 = (guint32)ctx.victim_rel_lba;
    c.cdw11 = (guint32)(ctx.victim_rel_lba >> 32);
    c.cdw12 = 7;
    ok = expect_io_rejected(g, &c, "Write Zeroes at the victim's extent");
    c = (NvpNvmeSqe){
        .opcode = 0x08, .nsid = 1, .cdw10 = 0xffffffff, .cdw11 = 0xffffffff, .cdw12 = 0xffff
    };
    return expect_io_rejected(g, &c, "Write Zeroes wrapping") && ok;
}

static gboolean
dsm_case(Guest *g, guint64 slba, guint32 nlb, const char *what)
{
    NvpNvmeSqe c = {
        .opcode = 0x09, .nsid = 1, .prp1 = LIST_GPA + 11 * 4096u, .cdw10 = 1, .cdw11 = 1u << 2
    };
    guint8 *r = g->ram + c.prp1;
    guint32 n0 = GUINT32_TO_LE(8), n1 = GUINT32_TO_LE(nlb), a = 0;
    guint64 s0 = 0, s1 = GUINT64_TO_LE(slba);

    /* range 0 inside the extent, range 1 the attack */
    memcpy(r, &a, 4), memcpy(r + 4, &n0, 4), memcpy(r + 8, &s0, 8);
    memcpy(r + 16, &a, 4), memcpy(r + 20, &n1, 4), memcpy(r + 24, &s1, 8);
    return expect_io_rejected(g, &c, what);
}

static gboolean
c_dsm(Guest **gp)
{
    Guest *g = *gp;

    return dsm_case(g, ctx.victim_rel_lba, 64, "Deallocate of the victim's extent") &&
           dsm_case(g, g->nsze - 4, 8, "Deallocate straddling the extent end") &&
           dsm_case(g, G_MAXUINT64 - 1, 4, "Deallocate wrapping past 2^64");
}

static gboolean
c_cid_slot_sharing(Guest **gp)
{
    Guest *g = *gp;
    /* a Read with a PRP list and a DSM with the same CID (same list slot), one doorbell */
    NvpNvmeSqe r = rw_cmd(g, 0x02, 0, 16384 >> g->lba_shift, DATA_GPA, 12);
    NvpNvmeSqe d = {
        .opcode = 0x09, .nsid = 1, .prp1 = LIST_GPA + 13 * 4096u, .cdw10 = 0, .cdw11 = 1u << 2
    };
    guint8 *rng = g->ram + d.prp1;
    guint32 cattr = GUINT32_TO_LE((guint32)(ctx.victim_window + PAT_GPA)),
            nlb = GUINT32_TO_LE((guint32)((ctx.victim_window + PAT_GPA) >> 32));
    guint64 s = 0;
    NvpNvmeCqe cqe;
    int st1, st2;

    memcpy(rng, &cattr, 4), memcpy(rng + 4, &nlb, 4), memcpy(rng + 8, &s, 8);
    r.cid = 0x77;
    d.cid = 0x77;
    io_post(g, 1, &r);
    io_post(g, 1, &d);
    if (!io_ring(g, 1))
        return FALSE;
    st1 = io_reap(g, 1, 10000, &cqe);
    st2 = io_reap(g, 1, 10000, &cqe);
    if (st1 < 0 || st2 < 0) {
        DIAG("completions: 0x%x 0x%x\n", st1, st2);
        return FALSE;
    }
    DIAG("statuses 0x%x 0x%x (any: only the guest's own memory may be touched)\n", st1, st2);
    return TRUE;
}

/* -- admin -- */
static gboolean
admin_refused(Guest *g, guint8 opcode, guint32 nsid, guint32 cdw10, const char *what)
{
    NvpNvmeSqe c = { .opcode = opcode, .nsid = nsid, .prp1 = ID_GPA, .cdw10 = cdw10 };

    return expect(what, admin(g, &c, NULL), ST(SCT_GEN, SC_INVALID_OPCODE));
}

#define ADMIN_CASE(fn, op, nsid, cdw10, what) \
    static gboolean fn(Guest **gp) \
    { \
        return admin_refused(*gp, op, nsid, cdw10, what); \
    }
ADMIN_CASE(c_format, 0x80, 0xffffffff, 0, "Format NVM (all namespaces)")
ADMIN_CASE(c_sanitize, 0x84, 0, 0x2, "Sanitize (block erase)")
ADMIN_CASE(c_fw_download, 0x11, 0, 0x3ff, "Firmware Image Download")
ADMIN_CASE(c_fw_commit, 0x10, 0, 0x9, "Firmware Commit (activate now)")
ADMIN_CASE(c_ns_mgmt, 0x0d, 0, 0, "Namespace Management (create)")
ADMIN_CASE(c_ns_attach, 0x15, 1, 0, "Namespace Attachment")
ADMIN_CASE(c_sec_send, 0x81, 0, 0x01000000, "Security Send")
ADMIN_CASE(c_sec_recv, 0x82, 0, 0x01000000, "Security Receive")
ADMIN_CASE(c_virt_mgmt, 0x1c, 0, 0x8, "Virtualization Management")
ADMIN_CASE(c_vendor_c0, 0xc0, 0, 0, "vendor-specific admin C0h")
ADMIN_CASE(c_vendor_ff, 0xff, 0, 0, "vendor-specific admin FFh")
ADMIN_CASE(c_self_test, 0x14, 0xffffffff, 0x2, "Device Self-test (extended)")
ADMIN_CASE(c_dbbuf, 0x7c, 0, 0, "Doorbell Buffer Config")
ADMIN_CASE(c_directive, 0x19, 1, 0, "Directive Send")

static gboolean
c_identify_foreign(Guest **gp)
{
    NvpNvmeSqe c = { .opcode = 0x06, .nsid = 2, .prp1 = ID_GPA, .cdw10 = 0 };
    NvpNvmeSqe d = { .opcode = 0x06, .nsid = 1, .prp1 = RAM_SIZE, .cdw10 = 1 };
    gboolean ok = expect("Identify NSID 2", admin(*gp, &c, NULL), ST(SCT_GEN, SC_INVALID_NS));
    int st = admin(*gp, &d, NULL);

    if (st <= 0) {
        DIAG("Identify into memory outside RAM: status 0x%x, want an error\n", st);
        return FALSE;
    }
    return ok;
}

static gboolean
c_log_page_huge(Guest **gp)
{
    /* SMART log, NUMD all ones, offset 2^63, buffer crossing the end of RAM */
    NvpNvmeSqe c = { .opcode = 0x02,
                     .nsid = 0xffffffff,
                     .prp1 = RAM_SIZE - 4096,
                     .prp2 = RAM_SIZE,
                     .cdw10 = 0x02 | (0xffffu << 16),
                     .cdw11 = 0xffff,
                     .cdw12 = 0,
                     .cdw13 = 0x80000000 };
    int st = admin(*gp, &c, NULL);

    if (st <= 0) {
        DIAG("Get Log Page with a huge length: status 0x%x, want an error\n", st);
        return FALSE;
    }
    return TRUE;
}

/* -- queues: the attacker starts without I/O queues -- */
static gboolean
c_num_queues(Guest **gp)
{
    guint32 want = (ctx.n_attacker_queues - 1) | ((ctx.n_attacker_queues - 1) << 16);

    if ((*gp)->nq_dw0 != want) {
        DIAG("Number of Queues asked 64/64, got 0x%x, want 0x%x\n", (*gp)->nq_dw0, want);
        return FALSE;
    }
    return expect("Create I/O CQ above the grant",
                  create_cq_raw(*gp, (guint16)(ctx.n_attacker_queues + 1), 16, CQ_GPA(3),
                                NVP_NVME_QUEUE_PHYS_CONTIG, 0),
                  ST(SCT_CMD, SC_QID_INVALID));
}

static gboolean
reopen_bare(Guest **gp)
{
    g_autoptr(GError) error = NULL;

    guest_free(*gp);
    *gp = guest_open(ctx.attacker_sock, 0, &error);
    if (!*gp)
        DIAG("%s\n", error->message);
    return *gp != NULL;
}

static gboolean
c_qid_bad(Guest **gp)
{
    Guest *g;

    if (!reopen_bare(gp))
        return FALSE;
    g = *gp;
    return expect("Create I/O CQ 0", create_cq_raw(g, 0, 16, CQ_GPA(1), 1, 0),
                  ST(SCT_CMD, SC_QID_INVALID)) &&
           expect("Create I/O CQ FFFFh", create_cq_raw(g, 0xffff, 16, CQ_GPA(1), 1, 0),
                  ST(SCT_CMD, SC_QID_INVALID)) &&
           expect("Create I/O SQ 1 (no CQ yet)", create_sq_raw(g, 1, 16, SQ_GPA(1), 1),
                  ST(SCT_CMD, SC_CQ_INVALID)) &&
           create_ioq(g, 1, NULL) &&
           expect("duplicate Create I/O CQ 1", create_cq_raw(g, 1, 16, CQ_GPA(2), 1, 0),
                  ST(SCT_CMD, SC_QID_INVALID)) &&
           expect("duplicate Create I/O SQ 1", create_sq_raw(g, 1, 16, SQ_GPA(2), 1),
                  ST(SCT_CMD, SC_QID_INVALID));
}

static gboolean
c_queue_sizes(Guest **gp)
{
    if (!reopen_bare(gp))
        return FALSE;
    return expect("CQ of 1 entry", create_cq_raw(*gp, 1, 1, CQ_GPA(1), 1, 0),
                  ST(SCT_CMD, SC_QUEUE_SIZE)) &&
           expect("CQ of 65536 entries", create_cq_raw(*gp, 1, 65536, CQ_GPA(1), 1, 0),
                  ST(SCT_CMD, SC_QUEUE_SIZE)) &&
           expect("non-contiguous CQ", create_cq_raw(*gp, 1, 16, CQ_GPA(1), 0, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD));
}

static gboolean
c_queue_memory(Guest **gp)
{
    Guest *g;

    if (!reopen_bare(gp))
        return FALSE;
    g = *gp;
    g_usleep(300000);
    return expect("CQ outside RAM", create_cq_raw(g, 1, 64, RAM_SIZE, 1, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD)) &&
           expect("CQ straddling the end of RAM", create_cq_raw(g, 1, 1024, RAM_SIZE - 4096, 1, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD)) &&
           expect("CQ at the victim's IOVA",
                  create_cq_raw(g, 1, 64, ctx.victim_window + PAT_GPA, 1, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD)) &&
           expect("CQ in the agent window", create_cq_raw(g, 1, 64, ctx.agent_iova, 1, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD)) &&
           expect("CQ not page aligned", create_cq_raw(g, 1, 64, CQ_GPA(1) + 64, 1, 0),
                  ST(SCT_GEN, SC_PRP_OFFSET)) &&
           create_ioq(g, 1, NULL) &&
           expect("CQ 2 ok", create_cq_raw(g, 2, 64, CQ_GPA(2), 1, 0), 0) &&
           expect("SQ outside RAM", create_sq_raw(g, 2, 64, RAM_SIZE + 4096, 2),
                  ST(SCT_GEN, SC_INVALID_FIELD)) &&
           expect("SQ at the victim's IOVA",
                  create_sq_raw(g, 2, 64, ctx.victim_window + 0x10000, 2),
                  ST(SCT_GEN, SC_INVALID_FIELD));
}

static gboolean
c_cq_read_only(Guest **gp)
{
    if (!reopen_bare(gp) || !map_extra(*gp, RO_GPA, 1u << 20, TRUE, VFIO_DMA_MAP_FLAG_READ, NULL))
        return FALSE;
    g_usleep(500000);
    return expect("CQ in read-only guest memory", create_cq_raw(*gp, 1, 64, RO_GPA, 1, 0),
                  ST(SCT_GEN, SC_INVALID_FIELD));
}

static gboolean
c_two_sq_one_cq(Guest **gp)
{
    if (!reopen_bare(gp) || !create_ioq(*gp, 1, NULL))
        return FALSE;
    return expect("second SQ on CQ 1", create_sq_raw(*gp, 2, 64, SQ_GPA(2), 1),
                  ST(SCT_CMD, SC_CQ_INVALID));
}

static gboolean
c_vector(Guest **gp)
{
    if (!reopen_bare(gp))
        return FALSE;
    return expect("CQ with vector beyond the MSI-X table",
                  create_cq_raw(*gp, 1, 64, CQ_GPA(1),
                                NVP_NVME_QUEUE_PHYS_CONTIG | NVP_NVME_CQ_IRQ_ENABLED,
                                (guint16)(ctx.n_attacker_queues + 1)),
                  ST(SCT_CMD, SC_INVALID_VECTOR));
}

static gboolean
c_admin_queue_outside(Guest **gp)
{
    g_autoptr(GError) error = NULL;
    NvpNvmeSqe c = { .opcode = 0x06, .cdw10 = 1, .prp1 = ID_GPA };
    guint32 csts = 0;

    guest_free(*gp);
    *gp = guest_open_at(ctx.attacker_sock, 0, RAM_SIZE + 0x100000, &error);
    if (!*gp) {
        DIAG("%s\n", error->message);
        return FALSE;
    }
    if (!admin_post(*gp, &c) || bar0_read32(*gp, NVP_NVME_REG_CSTS, &csts) != 0) {
        DIAG("the agent did not answer\n");
        return FALSE;
    }
    if (!(csts & NVP_NVME_CSTS_CFS)) {
        DIAG("CSTS 0x%x, want CFS\n", csts);
        return FALSE;
    }
    return TRUE;
}

/* -- doorbells -- */
static gboolean
expect_error_event(Guest *g, NvpNvmeCqe *cqe, const char *what)
{
    int st = admin_reap(g, 3000, cqe);

    if (st != 0 || (GUINT32_FROM_LE(cqe->dw0) & 0x7) != 0) {
        DIAG("%s: AER completion status %d dw0 0x%x, want an Error event\n", what, st,
             st >= 0 ? GUINT32_FROM_LE(cqe->dw0) : 0);
        return FALSE;
    }
    return TRUE;
}

static gboolean
bad_db_case(Guest *g, guint64 off, guint32 value, const char *what)
{
    NvpNvmeSqe aer = { .opcode = 0x0c };
    NvpNvmeSqe log = {
        .opcode = 0x02, .nsid = 0xffffffff, .prp1 = ID_GPA, .cdw10 = 0x01 | (15u << 16)
    };
    NvpNvmeCqe cqe;
    guint64 before = stats_get(ctx.attacker_name, "bad-doorbells"), after;

    if (!admin_post(g, &aer))
        return FALSE;
    if (bar0_write32(g, off, value) != 0) {
        DIAG("%s: the doorbell write got an error reply\n", what);
        return FALSE;
    }
    if (!expect_error_event(g, &cqe, what))
        return FALSE;
    after = stats_get(ctx.attacker_name, "bad-doorbells");
    if (after != before + 1) {
        DIAG("%s: bad-doorbells %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT "\n", what, before,
             after);
        return FALSE;
    }
    /* reading the Error log unmasks the next event */
    return expect("Get Log Page (error)", admin(g, &log, NULL), 0);
}

static gboolean
c_db_beyond_size(Guest **gp)
{
    return bad_db_case(*gp, sq_db(1), IOQ_ENTRIES, "SQ 1 tail = queue size") &&
           bad_db_case(*gp, cq_db(1), 0xffffffff, "CQ 1 head = FFFFFFFFh") &&
           bad_db_case(*gp, sq_db(0), AQ_ENTRIES + 5, "admin SQ tail beyond its size");
}

static gboolean
c_db_no_queue(Guest **gp)
{
    Guest *g = *gp;

    return bad_db_case(g, sq_db(ctx.n_attacker_queues + 1), 1, "SQ doorbell above the grant") &&
           bad_db_case(g, cq_db(40), 1, "CQ 40 doorbell") &&
           bad_db_case(g, sq_db(64), 1, "SQ 64 doorbell (last in BAR0)") &&
           expect("I/O still works", ({
                      NvpNvmeSqe c = { .opcode = 0x00, .nsid = 1 };
                      io_cmd(g, 1, &c);
                  }),
                  0);
}

static gboolean
c_db_unbound_queue(Guest **gp)
{
    if (!reopen_bare(gp))
        return FALSE;
    return bad_db_case(*gp, sq_db(1), 1, "SQ 1 doorbell before SQ 1 exists") &&
           bad_db_case(*gp, cq_db(2), 1, "CQ 2 doorbell before CQ 2 exists");
}

static gboolean
c_cq_head_beyond_tail(Guest **gp)
{
    Guest *g = *gp;
    NvpNvmeSqe c = { .opcode = 0x00, .nsid = 1 };

    /* no completion posted on CQ 1 yet; the head jumps ahead of the SSD's tail */
    if (bar0_write32(g, cq_db(1), 40) != 0 || bar0_write32(g, cq_db(2), IOQ_ENTRIES - 1) != 0) {
        DIAG("CQ head doorbell got an error reply\n");
        return FALSE;
    }
    /* the attacker's own queue may now be confused; submit anyway, don't require a completion */
    io_post(g, 1, &c);
    io_ring(g, 1);
    g_usleep(200000);
    return TRUE;
}

static gboolean
c_sq_overfill(Guest **gp)
{
    Guest *g = *gp;
    NvpNvmeCqe cqe;

    /* 63 zeroed SQEs (Flush of NSID 0) in one doorbell: a full ring of garbage */
    memset(g->ram + SQ_GPA(1), 0, 4096);
    g->io[1].sq_tail = IOQ_ENTRIES - 1;
    if (!io_ring(g, 1))
        return FALSE;
    for (guint i = 0; i < IOQ_ENTRIES - 1; i++) {
        int st = io_reap(g, 1, 10000, &cqe);

        if ((st & ST_MASK) != ST(SCT_GEN, SC_INVALID_NS)) {
            DIAG("entry %u: status 0x%x, want Invalid Namespace\n", i, st);
            return FALSE;
        }
    }
    return TRUE;
}

/* -- PCI: MSI-X BAR and config space -- */
static gboolean
c_msix_table(Guest **gp)
{
    Guest *g = *gp;
    guint8 junk[16];
    guint8 back[16] = { 0 };

    memset(junk, 0xa5, sizeof(junk));
    for (guint v = 0; v <= ctx.n_attacker_queues; v++)
        for (guint d = 0; d < 16; d += 4)
            if (nvp_test_vfu_client_region_write(g->c, VFIO_PCI_BAR4_REGION_INDEX, v * 16 + d,
                                                 junk + d, 4, FALSE) != 0) {
                DIAG("MSI-X table write of vector %u refused\n", v);
                return FALSE;
            }
    if (nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR4_REGION_INDEX, 0, back, 8) != 0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR4_REGION_INDEX, 8, back + 8, 8) != 0 ||
        memcmp(back, junk, 16) != 0) {
        DIAG("MSI-X table does not read back what the guest wrote\n");
        return FALSE;
    }
    /* the function's own table only: I/O keeps working */
    return expect("Flush after MSI-X table junk", ({
                      NvpNvmeSqe c = { .opcode = 0x00, .nsid = 1 };
                      io_cmd(g, 1, &c);
                  }),
                  0);
}

static gboolean
c_msix_pba(Guest **gp)
{
    Guest *g = *gp;
    struct vfio_region_info ri = { 0 };
    guint64 ones = G_MAXUINT64, back = 1;
    guint64 pba = 4096; /* table rounded up to a page, PBA after it */

    if (nvp_test_vfu_client_get_region_info(g->c, VFIO_PCI_BAR4_REGION_INDEX, &ri) != 0) {
        DIAG("no BAR4 region info\n");
        return FALSE;
    }
    if (nvp_test_vfu_client_region_write(g->c, VFIO_PCI_BAR4_REGION_INDEX, pba, &ones, 8, FALSE) !=
            0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR4_REGION_INDEX, pba, &back, 8) != 0) {
        DIAG("PBA access failed\n");
        return FALSE;
    }
    if (back != 0) {
        DIAG("PBA reads 0x%" G_GINT64_MODIFIER "x after a write of ones\n", back);
        return FALSE;
    }
    if (nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR4_REGION_INDEX, ri.size - 4, &back, 8) <=
            0 ||
        nvp_test_vfu_client_region_write(g->c, VFIO_PCI_BAR4_REGION_INDEX, ri.size, &ones, 8,
                                         FALSE) <= 0) {
        DIAG("BAR4 access beyond its end (size 0x%llx) not refused\n", (unsigned long long)ri.size);
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_bar0_bounds(Guest **gp)
{
    Guest *g = *gp;
    guint64 v = 0;
    guint8 b3[3] = { 0 };

    if (nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR0_REGION_INDEX, 0x4000 - 4, &v, 8) <= 0 ||
        nvp_test_vfu_client_region_write(g->c, VFIO_PCI_BAR0_REGION_INDEX, 0x4000, &v, 4, FALSE) <=
            0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR0_REGION_INDEX, 0, b3, 3) <= 0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_BAR5_REGION_INDEX, 0, &v, 4) <= 0 ||
        nvp_test_vfu_client_region_read(g->c, 0xffffffff, 0, &v, 4) <= 0) {
        DIAG("an out-of-bounds/odd-width/unknown-region access was not refused\n");
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_config_space(Guest **gp)
{
    Guest *g = *gp;
    guint32 ones = 0xffffffff, bar0 = 0, id = 0;
    guint16 cmd = 0xffff;

    if (nvp_test_vfu_client_region_write(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 0x10, &ones, 4,
                                         FALSE) != 0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 0x10, &bar0, 4) != 0 ||
        nvp_test_vfu_client_region_write(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 0x04, &cmd, 2,
                                         FALSE) != 0 ||
        nvp_test_vfu_client_region_write(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 0x00, &ones, 4,
                                         FALSE) != 0 ||
        nvp_test_vfu_client_region_read(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 0x00, &id, 4) != 0) {
        DIAG("config space access failed\n");
        return FALSE;
    }
    if ((bar0 & ~0xfu) == 0xfffffff0u || id == 0xffffffff) {
        DIAG("BAR0 sizing reads 0x%x, IDs 0x%x: writes not masked\n", bar0, id);
        return FALSE;
    }
    if (nvp_test_vfu_client_region_read(g->c, VFIO_PCI_CONFIG_REGION_INDEX, 4096, &id, 4) <= 0) {
        DIAG("config read beyond 4 KiB not refused\n");
        return FALSE;
    }
    return TRUE;
}

/* -- vfio-user transport -- */
static gboolean
expect_errno(const char *what, int rc)
{
    if (rc <= 0) {
        DIAG("%s: %d, want an error reply\n", what, rc);
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_dma_map_bad(Guest **gp)
{
    Guest *g = *gp;
    int fd = nvp_test_memfd_new(1u << 20, NULL);
    int efd = eventfd(0, EFD_CLOEXEC);
    int nofd = memfd_create("nvp-hostile-unsealable", MFD_CLOEXEC);
    gboolean ok;

    if (nofd >= 0 && ftruncate(nofd, 1u << 20) < 0) {
        close(nofd);
        nofd = -1;
    }
    ok = expect_errno("DMA_MAP overlapping guest RAM",
                      nvp_test_vfu_client_dma_map(g->c, 0x100000, 1u << 20, fd, 0, 3)) &&
         expect_errno("DMA_MAP unaligned",
                      nvp_test_vfu_client_dma_map(g->c, 0x3000100, 1u << 20, fd, 0, 3)) &&
         expect_errno("DMA_MAP wrapping past 2^64",
                      nvp_test_vfu_client_dma_map(g->c, 0xfffffffffff00000ull, 2u << 20, fd, 0,
                                                  3)) &&
         expect_errno("DMA_MAP past the end of the fd",
                      nvp_test_vfu_client_dma_map(g->c, 0x3000000, 4u << 20, fd, 0, 3)) &&
         expect_errno("DMA_MAP of an eventfd",
                      nvp_test_vfu_client_dma_map(g->c, 0x3000000, 1u << 20, efd, 0, 3)) &&
         expect_errno("DMA_MAP of a memfd that cannot be sealed",
                      nvp_test_vfu_client_dma_map(g->c, 0x3000000, 1u << 20, nofd, 0, 3));
    if (fd >= 0)
        close(fd);
    if (efd >= 0)
        close(efd);
    if (nofd >= 0)
        close(nofd);
    return ok;
}

static gboolean
c_shrink_memfd(Guest **gp)
{
    Guest *g = *gp;
    int fd = -1;
    gboolean mapped = map_extra(g, 0x3000000, 1u << 20, TRUE, 3, &fd);
    NvpNvmeSqe c;

    /* the agent sealed it against shrinking: ftruncate must fail */
    if (fd >= 0 && ftruncate(fd, 0) == 0) {
        DIAG("a mapped memfd could be shrunk\n");
        close(fd);
        return FALSE;
    }
    if (fd >= 0)
        close(fd);
    c = (NvpNvmeSqe){ .opcode = 0x06, .cdw10 = 1, .prp1 = 0x3000000 };
    return mapped && expect("Identify into the extra region", admin(g, &c, NULL), 0);
}

/* Sends raw bytes; the server must answer with an error or close the connection. */
static gboolean
raw_case(Guest *g, const void *buf, gsize len, const int *fds, guint n_fds, const char *what)
{
    NvpVfuHdr hdr;
    g_autoptr(GBytes) payload = NULL;

    nvp_test_vfu_client_set_timeout(g->c, 2000);
    if (!nvp_test_vfu_client_send_raw(g->c, buf, len, fds, n_fds))
        return TRUE; /* already closed */
    if (!nvp_test_vfu_client_recv(g->c, &hdr, &payload))
        return TRUE; /* closed (or silent): checked by the post-conditions */
    if (!(hdr.flags & NVP_VFU_FLAG_ERROR)) {
        DIAG("%s: reply without error (flags 0x%x)\n", what, hdr.flags);
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_malformed_headers(Guest **gp)
{
    Guest *g;
    NvpVfuHdr h;
    gboolean ok = TRUE;

    struct {
        guint16 cmd;
        guint32 size;
        guint32 flags;
        const char *what;
    } t[] = {
        { 99, 16, 0, "unknown command 99" },
        { NVP_VFU_CMD_DMA_MAP, 20, 0, "DMA_MAP with a 4-byte payload" },
        { NVP_VFU_CMD_REGION_READ, 16, 0, "REGION_READ without payload" },
        { NVP_VFU_CMD_DEVICE_GET_INFO, 16, 0xff00, "unknown flags" },
        { NVP_VFU_CMD_VERSION, 24, 0, "second VERSION" },
        { NVP_VFU_CMD_REGION_WRITE, 16 + 16 + 8, 0, "REGION_WRITE count beyond the message" },
        { NVP_VFU_CMD_DEVICE_GET_INFO, 16, NVP_VFU_FLAG_TYPE_REPLY, "a reply from the client" },
        { NVP_VFU_CMD_DEVICE_GET_INFO, 8, 0, "size < header" },
    };

    for (guint i = 0; i < G_N_ELEMENTS(t); i++) {
        guint8 buf[64] = { 0 };

        if (!reopen_bare(gp))
            return FALSE;
        g = *gp;
        h = (NvpVfuHdr){
            .id = 0x4242, .command = t[i].cmd, .size = t[i].size, .flags = t[i].flags
        };
        memcpy(buf, &h, sizeof(h));
        if (t[i].cmd == NVP_VFU_CMD_REGION_WRITE) {
            NvpVfuRegionRw rw = { .offset = 0x14, .region = 0, .count = 4096 };

            memcpy(buf + 16, &rw, sizeof(rw));
        }
        if (!raw_case(g, buf, MAX(t[i].size, 16u), NULL, 0, t[i].what))
            ok = FALSE;
    }
    return ok;
}

static gboolean
c_oversized(Guest **gp)
{
    Guest *g = *gp;
    NvpVfuHdr h = { .id = 7, .command = NVP_VFU_CMD_REGION_WRITE, .size = 4u << 20 };
    g_autofree guint8 *junk = g_malloc0(1u << 20);

    if (!nvp_test_vfu_client_send_raw(g->c, &h, sizeof(h), NULL, 0))
        return TRUE;
    /* the server reads and discards it (or disconnects) */
    for (guint i = 0; i < 4; i++)
        if (!nvp_test_vfu_client_send_raw(g->c, junk, i == 3 ? (1u << 20) - 16 : 1u << 20, NULL, 0))
            return TRUE;
    {
        NvpVfuHdr r;
        g_autoptr(GBytes) p = NULL;

        if (nvp_test_vfu_client_recv(g->c, &r, &p) && !(r.flags & NVP_VFU_FLAG_ERROR)) {
            DIAG("oversized message answered without error\n");
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
c_before_version(Guest **gp)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpTestVfuClient) c = NULL;
    struct vfio_device_info di = { 0 };
    gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    int rc;

    g_clear_pointer(gp, guest_free);
    do {
        g_clear_pointer(&c, nvp_test_vfu_client_free);
        g_clear_error(&error);
        c = nvp_test_vfu_client_connect(ctx.attacker_sock, &error);
        rc = c ? nvp_test_vfu_client_get_device_info(c, &di) : -1;
        if (rc > 0)
            break;
        g_usleep(100000);
    } while (g_get_monotonic_time() < end);
    if (rc <= 0 && c && !nvp_test_vfu_client_wait_closed(c)) {
        DIAG("DEVICE_GET_INFO before VERSION: %d\n", rc);
        return FALSE;
    }
    g_clear_pointer(&c, nvp_test_vfu_client_free);
    c = nvp_test_vfu_client_connect(ctx.attacker_sock, &error);
    if (!c)
        return TRUE;
    rc = nvp_test_vfu_client_negotiate(c, "{\"capabilities\":{\"max_msg_fds\":\"lots\",", NULL);
    if (rc == 0) {
        DIAG("broken VERSION JSON accepted\n");
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_fd_flood(Guest **gp)
{
    Guest *g = *gp;
    int fds[40];
    NvpVfuHdr h = { .id = 9, .command = NVP_VFU_CMD_DEVICE_GET_INFO, .size = 16 + 16 };
    guint8 buf[32] = { 0 };
    gboolean ok;

    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        fds[i] = eventfd(0, EFD_CLOEXEC);
    memcpy(buf, &h, 16);
    ok = raw_case(g, buf, sizeof(buf), fds, 20, "20 fds on DEVICE_GET_INFO");
    if (ok && !reopen_bare(gp))
        ok = FALSE;
    if (ok)
        ok = raw_case(*gp, buf, sizeof(buf), fds + 20, 3, "3 fds on DEVICE_GET_INFO") || TRUE;
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        close(fds[i]);
    /* fds in the agent: compared with the baseline by the post-conditions */
    return ok;
}

static gboolean
c_set_irqs_bad(Guest **gp)
{
    Guest *g = *gp;
    int efd = eventfd(0, EFD_CLOEXEC);
    int p[2] = { -1, -1 };
    gboolean ok;

    if (pipe(p) < 0)
        return FALSE;
    ok =
        expect_errno("SET_IRQS MSI-X vector 100",
                     nvp_test_vfu_client_set_irqs(g->c,
                                                  VFIO_IRQ_SET_DATA_EVENTFD |
                                                      VFIO_IRQ_SET_ACTION_TRIGGER,
                                                  VFIO_PCI_MSIX_IRQ_INDEX, 100, 1, &efd, 1,
                                                  NULL)) &&
        expect_errno("SET_IRQS start+count wrapping",
                     nvp_test_vfu_client_set_irqs(g->c,
                                                  VFIO_IRQ_SET_DATA_EVENTFD |
                                                      VFIO_IRQ_SET_ACTION_TRIGGER,
                                                  VFIO_PCI_MSIX_IRQ_INDEX, 0xffffffff, 2, NULL, 0,
                                                  NULL)) &&
        expect_errno("SET_IRQS with a pipe instead of an eventfd",
                     nvp_test_vfu_client_set_irqs(g->c,
                                                  VFIO_IRQ_SET_DATA_EVENTFD |
                                                      VFIO_IRQ_SET_ACTION_TRIGGER,
                                                  VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &p[0], 1, NULL)) &&
        expect_errno("SET_IRQS on IRQ index 9",
                     nvp_test_vfu_client_set_irqs(g->c,
                                                  VFIO_IRQ_SET_DATA_EVENTFD |
                                                      VFIO_IRQ_SET_ACTION_TRIGGER,
                                                  9, 0, 1, &efd, 1, NULL));
    close(efd);
    close(p[0]);
    close(p[1]);
    return ok;
}

/* -- teardown -- */
static guint
io_burst(Guest *g, guint8 opcode, guint n)
{
    guint32 nb = (256u << 10) >> g->lba_shift;

    attacker_data(g);
    for (guint i = 0; i < n; i++) {
        NvpNvmeSqe c =
            rw_cmd(g, opcode, (guint64)(i % 8) * nb, nb, DATA_GPA + (i % 8) * (256u << 10), 16 + i);

        io_post(g, 1, &c);
    }
    return io_ring(g, 1);
}

static gboolean
c_unmap_live_queues(Guest **gp)
{
    Guest *g = *gp;
    guint64 before = stats_get(ctx.attacker_name, "unmap-teardowns");
    guint64 after;
    int rc = nvp_test_vfu_client_dma_unmap(g->c, 0, RAM_SIZE, 0);

    if (rc != 0) {
        DIAG("DMA_UNMAP of guest RAM: %d\n", rc);
        return FALSE;
    }
    after = stats_get(ctx.attacker_name, "unmap-teardowns");
    if (after != before + 1) {
        DIAG("unmap-teardowns %" G_GUINT64_FORMAT " -> %" G_GUINT64_FORMAT "\n", before, after);
        return FALSE;
    }
    {
        g_autofree char *text = agent_stats();
        int n = text ? stats_slice(text, ctx.attacker_name, NULL, NULL) : -1;

        if (n != 0) {
            DIAG("attacker still has %d live queues after unmapping their memory\n", n);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
c_unmap_in_flight(Guest **gp)
{
    if (!io_burst(*gp, 0x02, 32))
        return FALSE;
    /* the reply may be an error; the post-conditions decide */
    DIAG("DMA_UNMAP: %d\n", nvp_test_vfu_client_dma_unmap((*gp)->c, 0, RAM_SIZE, 0));
    return TRUE;
}

static gboolean
c_unmap_in_flight_writes(Guest **gp)
{
    if (!io_burst(*gp, 0x01, 32))
        return FALSE;
    DIAG("DMA_UNMAP (all): %d\n",
         nvp_test_vfu_client_dma_unmap((*gp)->c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL));
    return TRUE;
}

static gboolean
c_disconnect_mid_io(Guest **gp)
{
    if (!io_burst(*gp, 0x01, 40))
        return FALSE;
    g_clear_pointer(gp, guest_free);
    return TRUE;
}

static gboolean
c_reset_mid_io(Guest **gp)
{
    if (!io_burst(*gp, 0x02, 32))
        return FALSE;
    DIAG("DEVICE_RESET: %d\n", nvp_test_vfu_client_reset((*gp)->c));
    return TRUE;
}

static gboolean
c_cc_disable_mid_io(Guest **gp)
{
    guint32 csts = 1;

    if (!io_burst(*gp, 0x01, 32) || bar0_write32(*gp, NVP_NVME_REG_CC, 0) != 0 ||
        bar0_read32(*gp, NVP_NVME_REG_CSTS, &csts) != 0)
        return FALSE;
    if (csts & NVP_NVME_CSTS_RDY) {
        DIAG("CSTS.RDY still set after CC.EN=0\n");
        return FALSE;
    }
    return TRUE;
}

static gboolean
c_truncated_disconnect(Guest **gp)
{
    NvpVfuHdr h = { .id = 5, .command = NVP_VFU_CMD_REGION_WRITE, .size = 4096 };

    if (!io_burst(*gp, 0x02, 16))
        return FALSE;
    nvp_test_vfu_client_send_raw((*gp)->c, &h, sizeof(h), NULL, 0);
    g_clear_pointer(gp, guest_free);
    return TRUE;
}

typedef struct {
    const char *id;
    const char *desc;
    CaseFunc func;
} Case;

static const Case cases[] = {
    { "control", "the attacker's own write+read in its extent succeeds", c_control_rw },
    { "control", "Flush with the broadcast NSID succeeds", c_control_flush_broadcast },
    { "control", "the victim check detects a changed block and a changed memory byte",
      c_control_oracle },
    { "#1", "PRP1 outside guest RAM (read and write)", c_prp1_outside_ram },
    { "#1", "2-page transfer straddling the end of guest RAM", c_prp1_straddles_ram_end },
    { "#2", "PRP1/PRP2 into the agent's IOVA window", c_prp_agent_window },
    { "#3", "PRP1 at the victim's IOVA (read into / write from its memory)", c_prp1_victim_window },
    { "#3", "PRP2 at the victim's IOVA", c_prp2_victim_window },
    { "#4", "PRP1 not dword-aligned", c_prp1_unaligned },
    { "#4", "PRP2 not page-aligned", c_prp2_unaligned },
    { "#5", "device write into a read-only region", c_prp_read_only },
    { "#6", "PRP into an fd-less (ROM) region", c_prp_fdless },
    { "#7", "PRP list pointer outside guest RAM", c_prp_list_ptr_outside },
    { "#7", "PRP list pointer at the victim's IOVA", c_prp_list_ptr_victim },
    { "#8", "PRP list entry at the victim's IOVA", c_prp_list_entry_victim },
    { "#8", "PRP list entries outside RAM / in the agent window", c_prp_list_entry_outside },
    { "#8", "PRP list entry not page-aligned", c_prp_list_entry_unaligned },
    { "#9", "PRP list chained onto itself (bounded, own RAM only)", c_prp_list_loop },
    { "#10", "transfer above MDTS (2 MiB + 4 KiB)", c_too_long },
    { "#11", "chain pointer misaligned", c_prp_chain_unaligned },
    { "#12", "SGL descriptors (PSDT != 0)", c_sgl },
    { "#13", "fused operations", c_fused },
    { "#14", "LBA range past the extent", c_lba_past_extent },
    { "#14", "LBAs of the victim's extent (relative to the attacker's)", c_lba_victim },
    { "#15", "SLBA + NLB wrap-around", c_lba_wrap },
    { "#16", "Dataset Management ranges outside the extent", c_dsm },
    { "#17", "Write Zeroes outside the extent", c_write_zeroes },
    { "#18", "foreign NSIDs", c_nsid_foreign },
    { "#19", "broadcast NSID on Read/Write", c_nsid_broadcast },
    { "#20", "protection information / directives", c_pi_directives },
    { "#21", "I/O opcodes outside the allow-list", c_opcodes },
    { "#22", "Read with a PRP list + DSM sharing a CID (list slot)", c_cid_slot_sharing },
    { "#23", "Format NVM", c_format },
    { "#24", "Sanitize", c_sanitize },
    { "#25", "Firmware Image Download", c_fw_download },
    { "#25", "Firmware Commit", c_fw_commit },
    { "#26", "Namespace Management", c_ns_mgmt },
    { "#26", "Namespace Attachment", c_ns_attach },
    { "#27", "Security Send", c_sec_send },
    { "#27", "Security Receive", c_sec_recv },
    { "#28", "Virtualization Management", c_virt_mgmt },
    { "#29", "vendor-specific admin opcode C0h", c_vendor_c0 },
    { "#29", "vendor-specific admin opcode FFh", c_vendor_ff },
    { "#23+", "Device Self-test", c_self_test },
    { "#23+", "Doorbell Buffer Config", c_dbbuf },
    { "#23+", "Directive Send", c_directive },
    { "#18", "Identify of a foreign NSID / into memory outside RAM", c_identify_foreign },
    { "#50", "Get Log Page with huge length and offset", c_log_page_huge },
    { "#30", "more I/O queues than granted", c_num_queues },
    { "#31", "zero / huge / duplicate queue IDs", c_qid_bad },
    { "#32", "queue sizes 1 and 65536, non-contiguous", c_queue_sizes },
    { "#33", "queue memory outside RAM / at other IOVAs / misaligned", c_queue_memory },
    { "#33", "CQ in read-only guest memory", c_cq_read_only },
    { "#34", "two SQs on one CQ", c_two_sq_one_cq },
    { "#33", "CQ interrupt vector beyond the MSI-X table", c_vector },
    { "#35", "admin queue outside RAM", c_admin_queue_outside },
    { "#36", "doorbells beyond the queue size", c_db_beyond_size },
    { "#37", "doorbells of queues that do not exist", c_db_no_queue },
    { "#37", "doorbells of granted but not created queues", c_db_unbound_queue },
    { "#38", "CQ head beyond the SSD's tail", c_cq_head_beyond_tail },
    { "#38", "SQ overfilled with garbage in one doorbell", c_sq_overfill },
    { "#39", "MSI-X table junk", c_msix_table },
    { "#39", "PBA writes and BAR4 out of range", c_msix_pba },
    { "#49", "BAR0 / unknown region out of bounds, odd widths", c_bar0_bounds },
    { "#40", "config space: BAR sizing, IDs, command, out of range", c_config_space },
    { "#41", "DMA_UNMAP of the region holding live queues", c_unmap_live_queues },
    { "#42", "DMA_UNMAP with reads in flight", c_unmap_in_flight },
    { "#42", "DMA_UNMAP (all) with writes in flight", c_unmap_in_flight_writes },
    { "#43", "disconnect mid-I/O", c_disconnect_mid_io },
    { "#43", "DEVICE_RESET mid-I/O", c_reset_mid_io },
    { "#43", "CC.EN=0 mid-I/O", c_cc_disable_mid_io },
    { "#43", "truncated message + disconnect mid-I/O", c_truncated_disconnect },
    { "#44", "DMA_MAP overlap/unaligned/overflow/short/eventfd/unsealable", c_dma_map_bad },
    { "#51", "shrinking a mapped memfd", c_shrink_memfd },
    { "#45", "malformed vfio-user headers", c_malformed_headers },
    { "#45", "oversized message (4 MiB)", c_oversized },
    { "#46", "commands before VERSION, broken VERSION JSON", c_before_version },
    { "#47", "fd flooding", c_fd_flood },
    { "#48", "SET_IRQS out of range / non-eventfd / bad index", c_set_irqs_bad },
};

/* ---- main -------------------------------------------------------------------------------- */
static gboolean
parse_u64_opt(const char *s, guint64 *out)
{
    guint base = 10;

    if (!s)
        return FALSE;
    if (g_str_has_prefix(s, "0x")) {
        s += 2;
        base = 16;
    }
    return g_ascii_string_to_unsigned(s, base, 0, G_MAXUINT64, out, NULL);
}

int
main(int argc, char **argv)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GOptionContext) oc = g_option_context_new("- hostile vfio-user guest");
    g_autofree char *victim_window = NULL, *agent_iova = NULL, *victim_rel = NULL;
    g_autofree char *only = NULL;
    gint64 pattern_bytes = -1;
    int n_queues = 2;
    gboolean list = FALSE;
    GOptionEntry entries[] = {
        { "attacker", 0, 0, G_OPTION_ARG_FILENAME, &ctx.attacker_sock, "attacker slice socket",
          "PATH" },
        { "victim", 0, 0, G_OPTION_ARG_FILENAME, &ctx.victim_sock, "victim slice socket", "PATH" },
        { "agent-pid", 0, 0, G_OPTION_ARG_INT, &ctx.agent_pid, "the agent's process ID", "PID" },
        { "stats-file", 0, 0, G_OPTION_ARG_FILENAME, &ctx.stats_file, "the agent's --stats-file",
          "FILE" },
        { "attacker-name", 0, 0, G_OPTION_ARG_STRING, &ctx.attacker_name, "attacker slice name",
          "NAME" },
        { "victim-name", 0, 0, G_OPTION_ARG_STRING, &ctx.victim_name, "victim slice name", "NAME" },
        { "attacker-queues", 0, 0, G_OPTION_ARG_INT, &n_queues,
          "queue pairs granted to the attacker", "N" },
        { "victim-rel-lba", 0, 0, G_OPTION_ARG_STRING, &victim_rel,
          "victim extent start minus attacker extent start (LBAs)", "N" },
        { "victim-window", 0, 0, G_OPTION_ARG_STRING, &victim_window,
          "the victim's IOVA window base (default: from the stats)", "IOVA" },
        { "agent-iova", 0, 0, G_OPTION_ARG_STRING, &agent_iova,
          "an IOVA in the agent's window (default 0x3ff00000)", "IOVA" },
        { "only", 0, 0, G_OPTION_ARG_STRING, &only,
          "run only cases whose description contains TEXT", "TEXT" },
        { "list", 0, 0, G_OPTION_ARG_NONE, &list, "list the cases", NULL },
        { "print-pattern", 0, 0, G_OPTION_ARG_INT64, &pattern_bytes,
          "write the victim's extent pattern (BYTES) to stdout and exit", "BYTES" },
        { NULL },
    };

    g_option_context_add_main_entries(oc, entries, NULL);
    if (!g_option_context_parse(oc, &argc, &argv, &error)) {
        g_printerr("nvp-hostile: %s\n", error->message);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);

    if (pattern_bytes >= 0) {
        g_autofree guint8 *buf = g_malloc(XFER);

        for (gint64 off = 0; off < pattern_bytes; off += XFER) {
            gsize len = (gsize)MIN((gint64)XFER, pattern_bytes - off);

            pat_fill(buf, XFER, EXTENT_SEED, (guint64)off / 8);
            if (fwrite(buf, 1, len, stdout) != len)
                return 1;
        }
        return 0;
    }
    if (list) {
        for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
            printf("%s %s\n", cases[i].id, cases[i].desc);
        return 0;
    }
    if (!ctx.attacker_sock || !ctx.victim_sock || ctx.agent_pid <= 0 || !ctx.stats_file ||
        !ctx.attacker_name || !ctx.victim_name || !parse_u64_opt(victim_rel, &ctx.victim_rel_lba)) {
        g_printerr("nvp-hostile: needs --attacker, --victim, --agent-pid, --stats-file, "
                   "--attacker-name, --victim-name and --victim-rel-lba\n");
        return 2;
    }
    ctx.n_attacker_queues = (guint)CLAMP(n_queues, 1, MAX_IOQ);
    ctx.agent_iova = 0x3ff00000ull;
    if (agent_iova && !parse_u64_opt(agent_iova, &ctx.agent_iova))
        return 2;
    ctx.diag = g_string_new(NULL);

    /* the victim: one queue pair, its pattern on the whole extent and in its memory */
    ctx.victim = guest_open(ctx.victim_sock, 1, &error);
    if (!ctx.victim) {
        printf("Bail out! victim setup: %s\n", error->message);
        return 1;
    }
    if (!victim_write_pattern(ctx.victim, &error) || !victim_verify(ctx.victim, &error)) {
        printf("Bail out! victim pattern: %s\n", error->message);
        return 1;
    }
    printf("# victim: %" G_GUINT64_FORMAT " blocks of %u bytes written and verified\n",
           ctx.victim->nsze, 1u << ctx.victim->lba_shift);
    if (victim_window) {
        if (!parse_u64_opt(victim_window, &ctx.victim_window))
            return 2;
    } else {
        ctx.victim_window = stats_get(ctx.victim_name, "window-iova");
        if (ctx.victim_window == G_MAXUINT64) {
            printf("Bail out! no window-iova of slice %s in the agent's stats\n", ctx.victim_name);
            return 1;
        }
    }
    printf("# victim IOVA window 0x%" G_GINT64_MODIFIER "x, agent IOVA probe 0x%" G_GINT64_MODIFIER
           "x, victim at attacker LBA +%" G_GUINT64_FORMAT "\n",
           ctx.victim_window, ctx.agent_iova, ctx.victim_rel_lba);
    ctx.baseline_fds = agent_fds();
    printf("# agent pid %d holds %u fds with the victim connected\n", ctx.agent_pid,
           ctx.baseline_fds);

    if (!only)
        printf("1..%u\n", (guint)G_N_ELEMENTS(cases));
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        if (only && !strstr(cases[i].desc, only))
            continue;
        run_case(cases[i].id, cases[i].desc, cases[i].func);
    }
    if (only)
        printf("1..%u\n", ctx.n);
    g_clear_pointer(&ctx.next, guest_free);
    printf("# %u cases, %u failed\n", ctx.n, ctx.n_fail);
    guest_free(ctx.victim);
    g_string_free(ctx.diag, TRUE);
    return ctx.n_fail ? 1 : 0;
}
