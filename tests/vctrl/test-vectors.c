/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interrupt vectors of a whole slice (agent/vctrl/vctrl.c) driven by the in-tree vfio-user test
 * client as the guest, over a software stand-in for agent/hw defined below: dedicated hardware
 * vectors wired to the guest's eventfds, shared ones (slice limit or controller out of vectors)
 * demultiplexed by the agent, the counters of the stats dump and what survives queue deletion. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "agent/vctrl/vctrl.h"
#include "tests/lib/vfu-client.h"

/* vctrl maps guest RAM into the IOMMU on a worker thread; here the jobs run at once on the
 * pushing thread, so a queue can be created right after DMA_MAP. This definition takes precedence
 * over GLib's for the code linked into this program. */
gboolean g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error);

gboolean
g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error)
{
    pool->func(data, pool->user_data);
    return TRUE;
}

/* ---- the hardware: what vctrl calls of agent/hw/ctrl.h ----------------------------------- */

#define FAKE_QPAIRS 8
#define FAKE_WINDOW (G_GUINT64_CONSTANT(1) << 40)

struct _NvpHwCtrl {
    struct nvme_id_ctrl id;
    struct nvme_id_ns ns;
    guint n_vectors; /* MSI-X vectors; 1..n_vectors-1 allocatable */
    guint32 vectors; /* allocated */
    int vector_fd[32];
    gboolean qp_live[FAKE_QPAIRS + 1];
    int qp_vector[FAKE_QPAIRS + 1];
    guint64 qp_cq_iova[FAKE_QPAIRS + 1];
    guint32 db[2 * (FAKE_QPAIRS + 1)];
    guint64 next_buf;
    gboolean fail_qpair_create;
};

static NvpHwCtrl *
fake_hw_new(guint n_vectors)
{
    NvpHwCtrl *c = g_new0(NvpHwCtrl, 1);

    c->n_vectors = n_vectors;
    for (guint i = 0; i < G_N_ELEMENTS(c->vector_fd); i++)
        c->vector_fd[i] = -1;
    c->id.mdts = 5;
    memcpy(c->id.sn, "FAKEVEC1            ", 20);
    c->ns.nsze = c->ns.ncap = c->ns.nuse = GUINT64_TO_LE(1ull << 20);
    c->ns.lbaf[0].ds = 9;
    c->next_buf = 2 * FAKE_WINDOW;
    return c;
}

const char *
nvp_hw_ctrl_get_pci_addr(NvpHwCtrl *ctrl)
{
    return "0000:00:11.0";
}

const struct nvme_id_ctrl *
nvp_hw_ctrl_get_id(NvpHwCtrl *ctrl)
{
    return &ctrl->id;
}

const struct nvme_id_ns *
nvp_hw_ctrl_get_ns(NvpHwCtrl *ctrl, guint32 nsid)
{
    return nsid == 1 ? &ctrl->ns : NULL;
}

guint
nvp_hw_ctrl_get_n_free_qpairs(NvpHwCtrl *ctrl)
{
    guint n = 0;

    for (guint q = 1; q <= FAKE_QPAIRS; q++)
        n += !ctrl->qp_live[q];
    return n;
}

guint32
nvp_hw_ctrl_get_max_queue_entries(NvpHwCtrl *ctrl)
{
    return 64;
}

guint32
nvp_hw_ctrl_get_mdts_bytes(NvpHwCtrl *ctrl)
{
    return 128 * 1024;
}

guint64 nvp_hw_ctrl_get_iova_floor(NvpHwCtrl *ctrl);

guint64
nvp_hw_ctrl_get_iova_floor(NvpHwCtrl *ctrl)
{
    return FAKE_WINDOW;
}

gboolean
nvp_hw_ctrl_window_alloc(NvpHwCtrl *ctrl, guint64 size, guint64 *iova_base, GError **error)
{
    *iova_base = FAKE_WINDOW;
    return TRUE;
}

void
nvp_hw_ctrl_window_free(NvpHwCtrl *ctrl, guint64 iova_base)
{
}

gboolean
nvp_hw_ctrl_dma_map(NvpHwCtrl *ctrl, void *vaddr, guint64 iova, guint64 size, gboolean writable,
                    GError **error)
{
    return TRUE;
}

gboolean
nvp_hw_ctrl_dma_unmap(NvpHwCtrl *ctrl, guint64 iova, guint64 size, GError **error)
{
    return TRUE;
}

NvpHwDmaBuf *
nvp_hw_dma_buf_new(NvpHwCtrl *ctrl, gsize size, GError **error)
{
    NvpHwDmaBuf *b = g_new0(NvpHwDmaBuf, 1);

    b->size = (size + 4095) & ~(gsize)4095;
    b->vaddr = g_aligned_alloc0(1, b->size, 4096);
    b->iova = ctrl->next_buf;
    b->ctrl = ctrl;
    ctrl->next_buf += b->size;
    return b;
}

void
nvp_hw_dma_buf_free(NvpHwDmaBuf *buf)
{
    if (!buf)
        return;
    g_aligned_free(buf->vaddr);
    g_free(buf);
}

gboolean
nvp_hw_ctrl_qpair_create(NvpHwCtrl *ctrl, guint64 cq_iova, guint32 cq_entries, int vector,
                         guint64 sq_iova, guint32 sq_entries, guint16 *qid_out, GError **error)
{
    /* a CQ's vector is one the slice holds */
    g_assert_true(vector < 0 || (ctrl->vectors & (1u << vector)));
    if (ctrl->fail_qpair_create) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED, "create failed (test)");
        return FALSE;
    }
    for (guint16 q = 1; q <= FAKE_QPAIRS; q++) {
        if (ctrl->qp_live[q])
            continue;
        ctrl->qp_live[q] = TRUE;
        ctrl->qp_vector[q] = vector;
        ctrl->qp_cq_iova[q] = cq_iova;
        *qid_out = q;
        return TRUE;
    }
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE, "no free queue pair");
    return FALSE;
}

gboolean
nvp_hw_ctrl_qpair_delete(NvpHwCtrl *ctrl, guint16 qid, GError **error)
{
    g_assert_true(ctrl->qp_live[qid]);
    ctrl->qp_live[qid] = FALSE;
    return TRUE;
}

volatile guint32 *
nvp_hw_ctrl_sq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    return &ctrl->db[2 * qid];
}

volatile guint32 *
nvp_hw_ctrl_cq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    return &ctrl->db[2 * qid + 1];
}

gboolean
nvp_hw_ctrl_vector_alloc(NvpHwCtrl *ctrl, guint *vector, GError **error)
{
    for (guint v = 1; v < ctrl->n_vectors; v++) {
        if (!(ctrl->vectors & (1u << v))) {
            ctrl->vectors |= 1u << v;
            *vector = v;
            return TRUE;
        }
    }
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE, "no free vector");
    return FALSE;
}

void
nvp_hw_ctrl_vector_free(NvpHwCtrl *ctrl, guint vector)
{
    g_assert_true(ctrl->vectors & (1u << vector));
    /* no queue may still signal it */
    for (guint q = 1; q <= FAKE_QPAIRS; q++)
        g_assert_false(ctrl->qp_live[q] && ctrl->qp_vector[q] == (int)vector);
    ctrl->vectors &= ~(1u << vector);
    ctrl->vector_fd[vector] = -1;
}

gboolean
nvp_hw_ctrl_vector_set_eventfd(NvpHwCtrl *ctrl, guint vector, int fd, GError **error)
{
    g_assert_true(ctrl->vectors & (1u << vector));
    ctrl->vector_fd[vector] = fd;
    return TRUE;
}

gboolean
nvp_hw_ctrl_admin(NvpHwCtrl *ctrl, const NvpNvmeSqe *cmd, guint32 *cqe_dw0, guint16 *status,
                  guint timeout_ms, GError **error)
{
    return TRUE;
}

/* The SSD raises the MSI-X vector of hardware queue pair qid (writes its trigger eventfd). */
static void
hw_interrupt(NvpHwCtrl *c, guint16 qid)
{
    guint64 one = 1;
    int fd;

    g_assert_true(c->qp_live[qid]);
    g_assert_cmpint(c->qp_vector[qid], >, 0);
    fd = c->vector_fd[c->qp_vector[qid]];
    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(write(fd, &one, sizeof(one)), ==, sizeof(one));
}

static guint16
hw_qid_of_cq(NvpHwCtrl *c, guint64 cq_gpa)
{
    for (guint16 q = 1; q <= FAKE_QPAIRS; q++)
        if (c->qp_live[q] && c->qp_cq_iova[q] == FAKE_WINDOW + cq_gpa)
            return q;
    g_assert_not_reached();
    return 0;
}

static guint
n_bits(guint32 x)
{
    return (guint)__builtin_popcount(x);
}

/* ---- the guest ------------------------------------------------------------------------------ */

#define RAM_SIZE 0x100000u
#define ASQ 0x10000u
#define ACQ 0x11000u
#define AQ_ENTRIES 16u
#define IO_ENTRIES 8u
#define SQ_GPA(q) (0x20000u + (q)*0x2000u)
#define CQ_GPA(q) (0x21000u + (q)*0x2000u)
#define N_VECTORS 3 /* admin + 2 I/O queue pairs */

typedef struct {
    guint16 max_hw_vectors;
    guint hw_vectors; /* of the fake controller, including the admin vector 0 */
} Case;

typedef struct {
    char *dir;
    NvpHwCtrl *hw;
    NvpVctrl *v;
    NvpTestVfuClient *client;
    guint8 *ram;
    int efd[N_VECTORS];
    guint32 asq_tail;
    guint32 acq_head;
    guint8 acq_phase;
    guint16 cid;
    guint32 cq_tail[3]; /* the SSD's position in each guest I/O CQ */
    guint8 cq_phase[3];
} Fx;

static void
pump(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
reg_write(Fx *f, guint64 offset, guint32 value)
{
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, VFIO_PCI_BAR0_REGION_INDEX, offset,
                                                     &value, 4, FALSE),
                    ==, 0);
}

static void
doorbell(Fx *f, guint16 qid, gboolean cq, guint32 value)
{
    reg_write(f, NVP_NVME_REG_DBS + (2u * qid + (cq ? 1 : 0)) * 4u, value);
}

/* Submits one admin command, returns its status (without phase). */
static guint16
admin(Fx *f, guint8 opcode, guint32 cdw10, guint32 cdw11, guint64 prp1)
{
    NvpNvmeSqe *sq = (NvpNvmeSqe *)(f->ram + ASQ);
    NvpNvmeCqe *cq = (NvpNvmeCqe *)(f->ram + ACQ);
    NvpNvmeSqe cmd = { 0 };
    guint16 status;

    cmd.opcode = opcode;
    cmd.cid = f->cid++;
    cmd.prp1 = prp1;
    cmd.cdw10 = cdw10;
    cmd.cdw11 = cdw11;
    sq[f->asq_tail] = cmd;
    f->asq_tail = (f->asq_tail + 1) % AQ_ENTRIES;
    doorbell(f, 0, FALSE, f->asq_tail);
    pump();
    g_assert_cmpuint(NVP_NVME_CQE_PHASE(&cq[f->acq_head]), ==, f->acq_phase);
    g_assert_cmpuint(cq[f->acq_head].cid, ==, cmd.cid);
    status = NVP_NVME_CQE_STATUS(&cq[f->acq_head]);
    if (++f->acq_head == AQ_ENTRIES) {
        f->acq_head = 0;
        f->acq_phase ^= 1;
    }
    doorbell(f, 0, TRUE, f->acq_head);
    return status;
}

/* Create I/O CQ q with interrupts on guest vector q; returns the status. */
static guint16
create_cq(Fx *f, guint16 q)
{
    f->cq_tail[q] = 0;
    f->cq_phase[q] = 1;
    return admin(f, nvme_admin_create_cq, (IO_ENTRIES - 1) << 16 | q,
                 (guint32)q << 16 | 2u | NVP_NVME_QUEUE_PHYS_CONTIG, CQ_GPA(q));
}

/* Create I/O SQ q on CQ q (this binds the hardware queue pair); returns the status. */
static guint16
create_sq(Fx *f, guint16 q)
{
    return admin(f, nvme_admin_create_sq, (IO_ENTRIES - 1) << 16 | q,
                 (guint32)q << 16 | NVP_NVME_QUEUE_PHYS_CONTIG, SQ_GPA(q));
}

/* The hardware refuses the next queue pair; the agent warns of it. */
static guint16
create_sq_refused(Fx *f, guint16 q)
{
    GLogLevelFlags old_fatal = g_log_set_always_fatal(G_LOG_FATAL_MASK);
    guint16 st;

    f->hw->fail_qpair_create = TRUE;
    st = create_sq(f, q);
    f->hw->fail_qpair_create = FALSE;
    g_log_set_always_fatal(old_fatal);
    return st;
}

static void
create_qpair(Fx *f, guint16 q)
{
    g_assert_cmphex(create_cq(f, q), ==, 0);
    g_assert_cmphex(create_sq(f, q), ==, 0);
}

static void
delete_qpair(Fx *f, guint16 q)
{
    g_assert_cmphex(admin(f, nvme_admin_delete_sq, q, 0, 0), ==, 0);
    g_assert_cmphex(admin(f, nvme_admin_delete_cq, q, 0, 0), ==, 0);
}

/* The SSD writes one completion into guest CQ q. */
static void
ssd_post(Fx *f, guint16 q)
{
    NvpNvmeCqe *cq = (NvpNvmeCqe *)(f->ram + CQ_GPA(q));

    cq[f->cq_tail[q]].status = GUINT16_TO_LE(f->cq_phase[q]);
    if (++f->cq_tail[q] == IO_ENTRIES) {
        f->cq_tail[q] = 0;
        f->cq_phase[q] ^= 1;
    }
}

/* ... and raises that queue's vector. */
static void
ssd_complete(Fx *f, guint16 q)
{
    ssd_post(f, q);
    hw_interrupt(f->hw, hw_qid_of_cq(f->hw, CQ_GPA(q)));
}

/* Interrupts guest vector i received since the last call. */
static guint64
guest_irqs(Fx *f, guint i)
{
    guint64 n = 0;

    if (read(f->efd[i], &n, sizeof(n)) != sizeof(n)) {
        g_assert_cmpint(errno, ==, EAGAIN);
        return 0;
    }
    return n;
}

/* Sum of the numbers after every occurrence of key in the stats dump (what the testbed's
 * stats_value does). */
static guint64
stat_value(Fx *f, const char *key)
{
    g_autoptr(GString) out = g_string_new(NULL);
    g_auto(GStrv) tok = NULL;
    guint64 sum = 0;
    gboolean found = FALSE;

    nvp_vctrl_dump_stats(f->v, out);
    tok = g_strsplit_set(out->str, " \n", -1);
    for (guint i = 0; tok[i] && tok[i + 1]; i++) {
        if (g_str_equal(tok[i], key)) {
            sum += g_ascii_strtoull(tok[i + 1], NULL, 10);
            found = TRUE;
        }
    }
    g_assert_true(found);
    return sum;
}

static void
fx_setup(Fx *f, const Case *tc)
{
    g_autofree char *path = NULL;
    g_autoptr(GError) error = NULL;
    NvpVctrlConfig cfg = { 0 };
    int memfd;

    memset(f, 0, sizeof(*f));
    f->dir = g_dir_make_tmp("nvp-vectors-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    path = g_build_filename(f->dir, "slice.sock", NULL);
    f->hw = fake_hw_new(tc->hw_vectors);
    cfg.name = "vec";
    cfg.nsid = 1;
    cfg.lba_count = 4096;
    cfg.n_qpairs = 2;
    cfg.mode = NVP_VCTRL_MODE_STRICT;
    cfg.socket_path = path;
    cfg.window_size = 1u << 30;
    cfg.max_hw_vectors = tc->max_hw_vectors;
    f->v = nvp_vctrl_new(f->hw, &cfg, &error);
    g_assert_no_error(error);

    f->client = nvp_test_vfu_client_connect(path, &error);
    g_assert_no_error(error);
    nvp_test_vfu_client_set_pump(f->client, g_main_context_default());
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
    memfd = nvp_test_memfd_new(RAM_SIZE, (void **)&f->ram);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0, RAM_SIZE, memfd, 0,
                                                VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE),
                    ==, 0);
    close(memfd);
    for (guint i = 0; i < N_VECTORS; i++)
        f->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_EVENTFD |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, N_VECTORS, f->efd,
                                                 N_VECTORS, NULL),
                    ==, 0);
    pump();

    /* enable with a 16-entry admin queue */
    f->acq_phase = 1;
    reg_write(f, NVP_NVME_REG_AQA, (AQ_ENTRIES - 1) << 16 | (AQ_ENTRIES - 1));
    reg_write(f, NVP_NVME_REG_ASQ, ASQ);
    reg_write(f, NVP_NVME_REG_ASQ + 4, 0);
    reg_write(f, NVP_NVME_REG_ACQ, ACQ);
    reg_write(f, NVP_NVME_REG_ACQ + 4, 0);
    reg_write(f, NVP_NVME_REG_CC, NVP_NVME_CC_EN | NVP_NVME_CC_IOSQES(6) | NVP_NVME_CC_IOCQES(4));
    pump();
}

static void
fx_teardown(Fx *f)
{
    nvp_test_vfu_client_free(f->client);
    pump();
    nvp_vctrl_free(f->v);
    for (guint q = 1; q <= FAKE_QPAIRS; q++)
        g_assert_false(f->hw->qp_live[q]);
    g_assert_cmpuint(f->hw->vectors, ==, 0); /* every vector returned */
    g_free(f->hw);
    for (guint i = 0; i < N_VECTORS; i++)
        close(f->efd[i]);
    munmap(f->ram, RAM_SIZE);
    g_rmdir(f->dir);
    g_free(f->dir);
}

/* Dedicated vectors: each queue's hardware vector signals the guest's eventfd itself (no main
 * loop iteration needed: the agent is not involved) and the agent's counters stay 0. A queue
 * the hardware refuses gives its vector back. */
static void
test_dedicated(gconstpointer data)
{
    Fx f;

    fx_setup(&f, data);
    g_assert_cmphex(create_cq(&f, 1), ==, 0);
    g_assert_cmphex(create_sq_refused(&f, 1), !=, 0);
    g_assert_cmpuint(f.hw->vectors, ==, 0);
    g_assert_cmphex(create_sq(&f, 1), ==, 0);
    create_qpair(&f, 2);
    g_assert_cmpuint(n_bits(f.hw->vectors), ==, 2);
    g_assert_cmpint(f.hw->qp_vector[hw_qid_of_cq(f.hw, CQ_GPA(1))], !=,
                    f.hw->qp_vector[hw_qid_of_cq(f.hw, CQ_GPA(2))]);
    ssd_complete(&f, 2);
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 0);
    ssd_complete(&f, 1);
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    pump();
    g_assert_cmpuint(stat_value(&f, "shared"), ==, 0);
    g_assert_cmpuint(stat_value(&f, "hw-vectors"), ==, 2);
    g_assert_cmpuint(stat_value(&f, "shared-vectors"), ==, 0);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 0);
    g_assert_cmpuint(stat_value(&f, "shared-vector-wakeups"), ==, 0);
    fx_teardown(&f);
}

/* Shared vectors (slice limit of 1, or a controller with a single I/O vector): the first queue
 * has the vector to itself; the second one turns it into a shared vector on the agent's eventfd.
 * Each wake-up interrupts exactly the guest vectors whose CQs got entries, none for a wake-up
 * with nothing new; the counters say so, and survive queue deletion and controller reset. */
static void
test_shared(gconstpointer data)
{
    NvpNvmeSqe *sq2;
    Fx f;

    fx_setup(&f, data);
    create_qpair(&f, 1);
    g_assert_cmpuint(n_bits(f.hw->vectors), ==, 1);
    g_assert_cmpuint(stat_value(&f, "shared-vectors"), ==, 0);
    ssd_complete(&f, 1); /* still its own vector: straight to the guest */
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    doorbell(&f, 1, TRUE, 1);

    create_qpair(&f, 2);
    g_assert_cmpuint(n_bits(f.hw->vectors), ==, 1);
    g_assert_cmpint(f.hw->qp_vector[hw_qid_of_cq(f.hw, CQ_GPA(1))], ==,
                    f.hw->qp_vector[hw_qid_of_cq(f.hw, CQ_GPA(2))]);
    g_assert_cmpuint(stat_value(&f, "shared"), ==, 2);
    g_assert_cmpuint(stat_value(&f, "hw-vectors"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "shared-vectors"), ==, 1);
    pump();
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 0); /* the entry consumed is not announced again */

    ssd_complete(&f, 2);
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 0); /* the agent's eventfd now, not the guest's */
    pump();
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 0);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "shared-vector-wakeups"), ==, 1);

    /* a wake-up with nothing new: no guest interrupt */
    hw_interrupt(f.hw, hw_qid_of_cq(f.hw, CQ_GPA(2)));
    pump();
    g_assert_cmpuint(guest_irqs(&f, 1) + guest_irqs(&f, 2), ==, 0);
    g_assert_cmpuint(stat_value(&f, "shared-vector-wakeups"), ==, 2);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 1);

    ssd_complete(&f, 1);
    pump();
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 0);
    /* the guest takes CQ 2's entry; the next one there is new again */
    doorbell(&f, 2, TRUE, 1);
    ssd_complete(&f, 2);
    pump();
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 3);
    g_assert_cmpuint(stat_value(&f, "agent-irqs"), ==, 3);

    /* one refused command on SQ 2, then SQ/CQ 2 deleted: the slice totals keep its counters */
    sq2 = (NvpNvmeSqe *)(f.ram + SQ_GPA(2));
    memset(&sq2[0], 0, sizeof(sq2[0]));
    sq2[0].opcode = 0x7f;
    sq2[0].nsid = 1;
    doorbell(&f, 2, FALSE, 1);
    g_assert_cmpuint(stat_value(&f, "io-submitted"), ==, 1);
    delete_qpair(&f, 2);
    g_assert_cmpuint(n_bits(f.hw->vectors), ==, 1); /* queue 1 still uses it */
    g_assert_cmpuint(stat_value(&f, "shared"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-submitted"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-rejected"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "bad-opcode"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-sq-doorbells"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-cq-doorbells"), ==, 2);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 3);
    ssd_complete(&f, 1); /* queue 1 alone on the shared vector */
    pump();
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 0);

    /* controller reset: every queue gone, the vector returned, the totals kept */
    reg_write(&f, NVP_NVME_REG_CC, 0);
    pump();
    g_assert_cmpuint(f.hw->vectors, ==, 0);
    g_assert_cmpuint(stat_value(&f, "hw-vectors"), ==, 0);
    g_assert_cmpuint(stat_value(&f, "shared-vectors"), ==, 0);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 4);
    g_assert_cmpuint(stat_value(&f, "shared-vector-wakeups"), ==, 5);
    g_assert_cmpuint(stat_value(&f, "io-submitted"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "io-cq-doorbells"), ==, 2);
    fx_teardown(&f);
}

/* A completion whose interrupt was still in flight while the first queue's vector moved from the
 * guest's eventfd to the agent's (it may reach neither): the agent announces it right away, even
 * when the hardware then refuses the second queue (which leaves no trace but its refusal). */
static void
test_convert_in_flight(gconstpointer data)
{
    Fx f;

    fx_setup(&f, data);
    create_qpair(&f, 1);
    ssd_post(&f, 1);
    g_assert_cmphex(create_cq(&f, 2), ==, 0);
    g_assert_cmphex(create_sq_refused(&f, 2), !=, 0);
    g_assert_cmpuint(stat_value(&f, "shared-vectors"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "shared"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "qpair-failures"), ==, 1);
    g_assert_cmpuint(n_bits(f.hw->vectors), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    g_assert_cmpuint(guest_irqs(&f, 2), ==, 0);
    g_assert_cmpuint(stat_value(&f, "io-completions-handled-by-agent"), ==, 1);
    g_assert_cmpuint(stat_value(&f, "shared-vector-wakeups"), ==, 0);
    /* the shared vector goes on working for queue 1 */
    ssd_complete(&f, 1);
    pump();
    g_assert_cmpuint(guest_irqs(&f, 1), ==, 1);
    fx_teardown(&f);
}

int
main(int argc, char **argv)
{
    static const Case dedicated = { .max_hw_vectors = 0, .hw_vectors = 8 };
    static const Case limit = { .max_hw_vectors = 1, .hw_vectors = 8 };
    static const Case exhausted = { .max_hw_vectors = 0, .hw_vectors = 2 };

    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/vctrl/vectors/dedicated", &dedicated, test_dedicated);
    g_test_add_data_func("/vctrl/vectors/shared-by-limit", &limit, test_shared);
    g_test_add_data_func("/vctrl/vectors/shared-when-exhausted", &exhausted, test_shared);
    g_test_add_data_func("/vctrl/vectors/convert-in-flight", &limit, test_convert_in_flight);
    return g_test_run();
}
