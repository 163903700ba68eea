/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One virtual NVMe controller per slice: ties the vfio-user endpoint, the PCI function, the
 * register file and the admin emulation to dedicated hardware queue pairs and an IOVA window. */
#include <errno.h>
#include <string.h>
#include <linux/vfio.h>

#include "agent/vctrl/vctrl.h"
#include "agent/vctrl/admin.h"
#include "agent/vctrl/gpamap.h"
#include "agent/vctrl/irqshare.h"
#include "agent/vctrl/pci.h"
#include "agent/vctrl/regs.h"
#include "agent/vctrl/sqe.h"
#include "agent/vfu/server.h"
#include "common/i18n.h"

G_DEFINE_QUARK(nvp - vctrl - error - quark, nvp_vctrl_error)

NVP_ENUM_IMPL(nvp_vctrl_mode, NvpVctrlMode, NVP_VCTRL_MODE_LAST, "strict", "trusted");

#define DEFAULT_WINDOW_SIZE (G_GUINT64_CONSTANT(64) << 30)
#define DEFAULT_MAX_ENTRIES 1024u
#define MAX_TRANSFER (1u << 20) /* advertised MDTS cap: a PRP list fits one page */
#define MAX_REGIONS NVP_GPA_MAP_MAX_REGIONS

/* A guest RAM region and its IOMMU mapping at window base + GPA. Mapping pins every page, which
 * takes seconds for a large guest (far longer under TCG), while QEMU waits at most a few seconds
 * for the reply to DMA_MAP. So maps and unmaps run in order on one worker thread and the SSD may
 * use a region (window_map) only once its state is MAPPED. A region the client removes leaves
 * the table at once (after the hardware queues that could reach it are deleted) and is unmapped
 * by the worker after any map still in progress. */
typedef NvpGpaRegion VctrlRegion; /* state (NvpGpaRegionState): written by the worker */

typedef struct {
    gboolean unmap;
    VctrlRegion *region;
} RegionJob;

/* One guest I/O SQ bound to one hardware queue pair (its CQ is the guest CQ in the window). */
typedef struct {
    gboolean live;
    guint16 sqid;
    guint16 cqid;
    guint16 hw_qid; /* 0: lost in a hardware reset */
    guint32 size;
    guint32 tail; /* guest tail already processed */
    guint16 guest_vector;
    int hw_vector;      /* -1: interrupts disabled */
    NvpIrqShare *share; /* hw_vector shared, the agent demultiplexes; NULL: dedicated */
    NvpIrqShareCq irq;  /* the guest CQ as the demultiplexer follows it (interrupts enabled) */
    const NvpNvmeSqe *guest_sq; /* agent mapping of the guest SQ (strict) */
    NvpNvmeSqe *hw_ring;        /* hardware SQ in agent DMA memory (strict) */
    NvpHwDmaBuf *hw_sq_buf;
    NvpHwDmaBuf *list_buf;
    NvpSqeCtx ctx;
    volatile guint32 *sq_db;
    volatile guint32 *cq_db;
    /* counters */
    guint64 n_doorbells;
    guint64 n_cq_doorbells;
    NvpSqeStats st; /* strict path (agent/vctrl/sqe.c) */
} VctrlQueue;

struct _NvpVctrl {
    char *name;
    NvpHwCtrl *hw;
    NvpVctrlConfig cfg; /* strings below are owned copies */
    char *socket_path;
    char *serial;
    guint32 lba_shift;
    guint32 max_transfer;
    guint32 max_entries;

    NvpVctrlPci *pci;
    NvpVfuServer *server;
    NvpRegs regs;
    NvpAdmin *admin;

    guint64 window_base;
    gboolean window_allocated;
    NvpGpaMap ram; /* the client's current regions and the SSD's lookup (agent/vctrl/gpamap.c) */
    GThreadPool *mapper; /* one job at a time: maps and unmaps in submission order */
    gint n_mapped;       /* atomic */
    NvpHwDmaBuf *scratch;

    /* index = guest queue ID, 0..cfg.n_qpairs (the grant; entry 0, the admin queue, unused);
     * every guest-controlled index goes through vctrl_queue() */
    VctrlQueue *queues;
    guint n_queues;

    /* counters of what survives a reset */
    guint64 n_dma_maps;
    guint64 n_dma_unmaps;
    guint64 n_dma_map_failures;
    guint64 n_queue_teardowns_for_unmap;
    guint64 n_disconnects;
    guint64 n_device_resets;
    guint64 n_hw_lost;
    guint64 n_qpair_failures;
    /* Shared hardware vectors (main thread only, like every queue field: doorbells, admin
     * commands, vfio-user callbacks and the shares' wake-ups all run in the main loop; the
     * mapper thread touches regions only). */
    GPtrArray *shares; /* NvpIrqShare*, owned */
    /* counters of deleted queues and freed shares, so that slice totals survive queue deletion
     * and controller resets (I/O totals also feed SMART) */
    guint64 old_reads, old_writes, old_blocks_read, old_blocks_written;
    guint64 old_doorbells, old_cq_doorbells, old_submitted;
    guint64 old_verdict[NVP_SQE_LAST];
    guint64 old_irqs_forwarded, old_shared_wakeups;
};

/* Slices per hardware controller, for the trusted-mode exclusivity rule (main thread only). */
static GHashTable *registry; /* NvpHwCtrl* -> GPtrArray of NvpVctrl* */

static void
region_unref(VctrlRegion *r)
{
    if (g_atomic_int_dec_and_test(&r->ref))
        g_free(r);
}

/* Worker thread: VFIO map/unmap calls are plain ioctls on the container, safe off the main
 * thread; counters touched here are atomic. */
static void
mapper_run(gpointer data, gpointer user_data)
{
    RegionJob *job = data;
    NvpVctrl *v = user_data;
    VctrlRegion *r = job->region;
    g_autoptr(GError) error = NULL;

    if (!job->unmap) {
        if (g_atomic_int_get(&r->state) == NVP_GPA_REGION_PENDING) {
            if (nvp_hw_ctrl_dma_map(v->hw, r->vaddr, v->window_base + r->gpa, r->size, r->writable,
                                    &error)) {
                /* mapped even if removed meanwhile: the unmap job queued behind us undoes it */
                g_atomic_int_inc(&v->n_mapped);
                g_atomic_int_set(&r->state, NVP_GPA_REGION_MAPPED);
            } else if (g_atomic_int_compare_and_exchange(&r->state, NVP_GPA_REGION_PENDING,
                                                         NVP_GPA_REGION_FAILED)) {
                g_warning(_("Slice %1$s: mapping guest memory at 0x%2$" G_GINT64_MODIFIER
                            "x for the SSD "
                            "failed: %3$s"),
                          v->name, r->gpa, error->message);
            }
        }
    } else {
        if (g_atomic_int_get(&r->state) == NVP_GPA_REGION_MAPPED &&
            !nvp_hw_ctrl_dma_unmap(v->hw, v->window_base + r->gpa, r->size, &error))
            g_warning(_("Slice %1$s: unmapping guest memory at 0x%2$" G_GINT64_MODIFIER
                        "x failed: %3$s"),
                      v->name, r->gpa, error->message);
        if (g_atomic_int_get(&r->state) == NVP_GPA_REGION_MAPPED)
            g_atomic_int_add(&v->n_mapped, -1);
        g_atomic_int_set(&r->state, NVP_GPA_REGION_UNMAPPED);
    }
    region_unref(r);
    g_free(job);
}

static void
mapper_push(NvpVctrl *v, VctrlRegion *r, gboolean unmap)
{
    RegionJob *job = g_new0(RegionJob, 1);

    g_atomic_int_inc(&r->ref);
    job->region = r;
    job->unmap = unmap;
    g_thread_pool_push(v->mapper, job, NULL);
}

/* ---- guest memory ------------------------------------------------------------------------ */

/* Host pointer for [gpa, gpa+len) if wholly inside one region mapped in the window. */
static void *
window_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    NvpVctrl *v = data;

    return nvp_gpa_map_translate(&v->ram, gpa, len, device_writes);
}

/* Host pointer for guest memory only the agent touches (admin rings and data): any fd-backed
 * region of the client, whether or not its IOMMU mapping is done. */
static void *
agent_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    NvpVctrl *v = data;

    return v->server ? nvp_vfu_dma_translate(v->server, gpa, len, device_writes) : NULL;
}

/* ---- interrupt vectors ------------------------------------------------------------------- */

/* Points the hardware vector of q at the guest vector's eventfd (dedicated), or tells the
 * demultiplexer where q's interrupts go now (shared). Also on every change of the guest's
 * eventfds (-1 while the guest has none there). */
static void
wire_vector(NvpVctrl *v, VctrlQueue *q)
{
    g_autoptr(GError) error = NULL;
    int fd;

    if (q->hw_vector < 0)
        return;
    fd = nvp_vfu_irq_eventfd(v->server, VFIO_PCI_MSIX_IRQ_INDEX, q->guest_vector);
    q->irq.guest_fd = fd;
    if (q->share) {
        /* entries that came while the guest had no eventfd there get their interrupt now */
        nvp_irq_share_scan(q->share);
        return;
    }
    if (!nvp_hw_ctrl_vector_set_eventfd(v->hw, (guint)q->hw_vector, fd, &error))
        g_warning(_("Slice %1$s: wiring hardware vector %2$d to guest vector %3$u failed: %4$s"),
                  v->name, q->hw_vector, q->guest_vector, error->message);
}

/* Hardware vectors the slice holds: one per queue with a vector of its own, one per share. */
static guint
n_hw_vectors(NvpVctrl *v)
{
    guint n = v->shares->len;

    for (guint i = 1; i < v->n_queues; i++)
        if (v->queues[i].live && v->queues[i].hw_vector >= 0 && !v->queues[i].share)
            n++;
    return n;
}

/* Turns the dedicated vector of live queue o into a shared one: the agent's eventfd replaces the
 * guest's on the hardware vector and o's interrupts are demultiplexed from now on. */
static NvpIrqShare *
share_vector_of(NvpVctrl *v, VctrlQueue *o, GError **error)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new((guint)o->hw_vector, NULL, error);

    if (!s)
        return NULL;
    nvp_irq_share_attach(s, &o->irq);
    if (!nvp_hw_ctrl_vector_set_eventfd(v->hw, (guint)o->hw_vector, nvp_irq_share_get_fd(s),
                                        error)) {
        nvp_irq_share_detach(s, &o->irq);
        wire_vector(v, o); /* back to the guest's eventfd */
        return NULL;
    }
    o->share = s;
    g_ptr_array_add(v->shares, s);
    g_debug("slice %s: hardware vector %d of queue %u is shared from now on", v->name, o->hw_vector,
            o->sqid);
    /* an interrupt of o raised while the vector moved may have reached neither eventfd */
    nvp_irq_share_scan(s);
    return g_steal_pointer(&s);
}

/* A hardware vector for queue q (not live yet, q->irq set up): a dedicated one while the slice
 * is below max_hw_vectors and the controller has one free, else the slice's least loaded vector
 * is shared (q's CQ joins it once its hardware queue exists). */
static gboolean
queue_take_vector(NvpVctrl *v, VctrlQueue *q, GError **error)
{
    g_autoptr(GError) alloc_error = NULL;
    NvpIrqShare *best = NULL;
    VctrlQueue *best_q = NULL;
    guint load = G_MAXUINT, vector;

    if (!v->cfg.max_hw_vectors || n_hw_vectors(v) < v->cfg.max_hw_vectors) {
        if (nvp_hw_ctrl_vector_alloc(v->hw, &vector, &alloc_error)) {
            q->hw_vector = (int)vector;
            return TRUE;
        }
    }
    for (guint i = 0; q->irq.ring && i < v->shares->len; i++) {
        NvpIrqShare *s = g_ptr_array_index(v->shares, i);

        if (nvp_irq_share_get_n_cqs(s) < load) {
            best = s;
            load = nvp_irq_share_get_n_cqs(s);
        }
    }
    for (guint i = 1; q->irq.ring && load > 1 && i < v->n_queues; i++) {
        VctrlQueue *o = &v->queues[i];

        if (o->live && o->hw_vector >= 0 && !o->share && o->irq.ring) {
            best_q = o;
            break;
        }
    }
    if (best_q && !(best = share_vector_of(v, best_q, error)))
        return FALSE;
    if (!best) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_FAILED,
                    _("no hardware interrupt vector is free and the slice has none to share "
                      "(%s)"),
                    alloc_error ? alloc_error->message : _("vector limit of the slice reached"));
        return FALSE;
    }
    q->hw_vector = (int)nvp_irq_share_get_hw_vector(best);
    q->share = best;
    return TRUE;
}

/* q's CQ leaves its hardware vector (its hardware queue is deleted or was never created); the
 * last CQ of a shared vector returns it, detached from the agent's eventfd first. */
static void
queue_release_vector(NvpVctrl *v, VctrlQueue *q)
{
    NvpIrqShare *s = q->share;

    if (s) {
        nvp_irq_share_detach(s, &q->irq);
        if (nvp_irq_share_get_n_cqs(s) == 0) {
            nvp_hw_ctrl_vector_free(v->hw, nvp_irq_share_get_hw_vector(s));
            v->old_shared_wakeups += nvp_irq_share_get_wakeups(s);
            g_ptr_array_remove_fast(v->shares, s);
            nvp_irq_share_free(s);
        }
    } else if (q->hw_vector >= 0) {
        nvp_hw_ctrl_vector_free(v->hw, (guint)q->hw_vector);
    }
    q->share = NULL;
    q->hw_vector = -1;
}

/* ---- hardware queue pairs ---------------------------------------------------------------- */

static void
queue_destroy(NvpVctrl *v, VctrlQueue *q)
{
    g_autoptr(GError) error = NULL;

    if (!q->live)
        return;
    /* hardware first: once the SQ and CQ are deleted the SSD can't reach guest memory or our
     * list buffers through this pair any more */
    if (q->hw_qid && !nvp_hw_ctrl_qpair_delete(v->hw, q->hw_qid, &error))
        g_warning(_("Slice %1$s: deleting hardware queue pair %2$u failed: %3$s"), v->name,
                  q->hw_qid, error->message);
    queue_release_vector(v, q);
    nvp_hw_dma_buf_free(q->list_buf);
    nvp_hw_dma_buf_free(q->hw_sq_buf);
    v->old_reads += q->st.n_reads;
    v->old_writes += q->st.n_writes;
    v->old_blocks_read += q->st.blocks_read;
    v->old_blocks_written += q->st.blocks_written;
    v->old_doorbells += q->n_doorbells;
    v->old_cq_doorbells += q->n_cq_doorbells;
    v->old_submitted += q->st.n_submitted;
    for (guint k = 0; k < NVP_SQE_LAST; k++)
        v->old_verdict[k] += q->st.n_verdict[k];
    v->old_irqs_forwarded += q->irq.n_signalled;
    memset(q, 0, sizeof(*q));
    q->hw_vector = -1;
}

/* The I/O queue of a guest queue ID, NULL outside the grant (1..cfg.n_qpairs). The admin layer
 * and the doorbell decoder already refuse such IDs; this keeps the array safe on its own. */
static VctrlQueue *
vctrl_queue(NvpVctrl *v, guint qid)
{
    return qid >= 1 && qid < v->n_queues ? &v->queues[qid] : NULL;
}

static guint16
backend_create_qpair(gpointer data, const NvpAdminQueuePair *qp)
{
    NvpVctrl *v = data;
    VctrlQueue *q = vctrl_queue(v, qp->sqid);
    g_autoptr(GError) error = NULL;
    guint64 sq_iova;
    guint64 cq_iova = v->window_base + qp->cq_gpa;

    if (!q)
        return NVP_STATUS_SPECIFIC(NVME_SC_QID_INVALID);
    memset(q, 0, sizeof(*q));
    q->hw_vector = -1;
    q->sqid = qp->sqid;
    q->cqid = qp->cqid;
    q->size = qp->sq_entries;
    q->guest_vector = qp->vector;

    if (qp->irq_enabled) {
        /* A hardware vector of its own wired to the guest vector's eventfd, or a shared one the
         * agent demultiplexes by reading the guest CQ (through the agent's own mapping, which
         * does not wait for the IOMMU). */
        nvp_irq_share_cq_init(&q->irq,
                              agent_map(v, qp->cq_gpa, (guint64)qp->cq_entries * sizeof(NvpNvmeCqe),
                                        FALSE),
                              qp->cq_entries, -1);
        if (!queue_take_vector(v, q, &error))
            goto fail;
    }

    if (v->cfg.mode == NVP_VCTRL_MODE_STRICT) {
        q->guest_sq =
            window_map(v, qp->sq_gpa, (guint64)qp->sq_entries * sizeof(NvpNvmeSqe), FALSE);
        if (!q->guest_sq)
            goto fail;
        q->hw_sq_buf =
            nvp_hw_dma_buf_new(v->hw, (gsize)qp->sq_entries * sizeof(NvpNvmeSqe), &error);
        if (!q->hw_sq_buf)
            goto fail;
        q->list_buf =
            nvp_hw_dma_buf_new(v->hw, (gsize)qp->sq_entries * NVP_SQE_LIST_STRIDE, &error);
        if (!q->list_buf)
            goto fail;
        q->hw_ring = q->hw_sq_buf->vaddr;
        sq_iova = q->hw_sq_buf->iova;
        q->ctx = (NvpSqeCtx){
            .hw_nsid = v->cfg.nsid,
            .lba_start = v->cfg.lba_start,
            .lba_count = v->cfg.lba_count,
            .lba_shift = v->lba_shift,
            .max_transfer = v->max_transfer,
            .window_base = v->window_base,
            .map = nvp_gpa_map_translate,
            .map_data = &v->ram,
            .hot = &v->ram.hot,
            .list_vaddr = q->list_buf->vaddr,
            .list_iova = q->list_buf->iova,
            .n_list_slots = qp->sq_entries,
            .scratch_iova = v->scratch->iova,
        };
    } else {
        sq_iova = v->window_base + qp->sq_gpa;
    }

    if (!nvp_hw_ctrl_qpair_create(v->hw, cq_iova, qp->cq_entries, q->hw_vector, sq_iova,
                                  qp->sq_entries, &q->hw_qid, &error))
        goto fail;
    q->sq_db = nvp_hw_ctrl_sq_doorbell(v->hw, q->hw_qid);
    q->cq_db = nvp_hw_ctrl_cq_doorbell(v->hw, q->hw_qid);
    q->live = TRUE;
    if (q->share)
        nvp_irq_share_attach(q->share, &q->irq);
    wire_vector(v, q);
    g_debug("slice %s: guest SQ %u / CQ %u -> hardware queue pair %u, vector %u -> %d%s", v->name,
            qp->sqid, qp->cqid, q->hw_qid, qp->vector, q->hw_vector, q->share ? " (shared)" : "");
    return 0;

fail:
    v->n_qpair_failures++;
    if (error)
        g_warning(_("Slice %1$s: binding I/O queue %2$u to hardware failed: %3$s"), v->name,
                  qp->sqid, error->message);
    queue_release_vector(v, q);
    nvp_hw_dma_buf_free(q->list_buf);
    nvp_hw_dma_buf_free(q->hw_sq_buf);
    memset(q, 0, sizeof(*q));
    q->hw_vector = -1;
    return NVP_STATUS_GENERIC(NVME_SC_INTERNAL);
}

static void
backend_delete_qpair(gpointer data, guint16 sqid)
{
    NvpVctrl *v = data;
    VctrlQueue *q = vctrl_queue(v, sqid);

    if (q)
        queue_destroy(v, q);
}

static guint16
backend_abort(gpointer data, guint16 sqid, guint16 cid, guint32 *dw0)
{
    NvpVctrl *v = data;
    VctrlQueue *q = vctrl_queue(v, sqid);
    NvpNvmeSqe cmd = { 0 };
    guint16 status = 0;

    if (!q || !q->live || !q->hw_qid)
        return 0;
    cmd.opcode = nvme_admin_abort_cmd;
    cmd.cdw10 = GUINT32_TO_LE((guint32)q->hw_qid | ((guint32)cid << 16));
    if (!nvp_hw_ctrl_admin(v->hw, &cmd, dw0, &status, 0, NULL) && status == 0)
        return NVP_STATUS_GENERIC(NVME_SC_INTERNAL);
    return status;
}

static void
backend_irq(gpointer data, guint vector)
{
    NvpVctrl *v = data;

    nvp_vfu_irq_trigger(v->server, VFIO_PCI_MSIX_IRQ_INDEX, vector);
}

static void
backend_io_figures(gpointer data, NvpAdminIoFigures *out)
{
    NvpVctrl *v = data;
    guint64 reads = v->old_reads, writes = v->old_writes;
    guint64 br = v->old_blocks_read, bw = v->old_blocks_written;

    for (guint i = 1; i < v->n_queues; i++) {
        reads += v->queues[i].st.n_reads;
        writes += v->queues[i].st.n_writes;
        br += v->queues[i].st.blocks_read;
        bw += v->queues[i].st.blocks_written;
    }
    out->host_read_commands = reads;
    out->host_write_commands = writes;
    /* data units are thousands of 512-byte units, rounded up */
    out->data_units_read = ((br << v->lba_shift >> 9) + 999) / 1000;
    out->data_units_written = ((bw << v->lba_shift >> 9) + 999) / 1000;
}

static const NvpAdminBackend admin_backend = {
    .map = agent_map,
    .hw_map = window_map,
    .create_qpair = backend_create_qpair,
    .delete_qpair = backend_delete_qpair,
    .abort = backend_abort,
    .irq = backend_irq,
    .io_figures = backend_io_figures,
};

/* ---- I/O doorbells ----------------------------------------------------------------------- */

/* The strict submission path: validate + translate every new SQE into the same index of the
 * hardware SQ, then ring the hardware doorbell once. */
static void
io_sq_tail(NvpVctrl *v, VctrlQueue *q, guint32 tail)
{
    q->n_doorbells++;
    if (v->cfg.mode == NVP_VCTRL_MODE_TRUSTED) {
        *q->sq_db = GUINT32_TO_LE(tail);
        return;
    }
    nvp_sqe_submit(&q->ctx, q->guest_sq, q->hw_ring, q->size, q->tail, tail, &q->st);
    q->tail = tail;
    __atomic_thread_fence(__ATOMIC_RELEASE); /* SQEs visible before the doorbell */
    *q->sq_db = GUINT32_TO_LE(tail);
}

static void
io_cq_head(NvpVctrl *v, guint16 cqid, guint32 head)
{
    /* the guest CQ is the hardware CQ of the pair its SQ is bound to (one SQ per CQ) */
    for (guint i = 1; i < v->n_queues; i++) {
        VctrlQueue *q = &v->queues[i];

        if (q->live && q->cqid == cqid) {
            q->n_cq_doorbells++;
            if (q->hw_vector >= 0)
                nvp_irq_share_cq_set_head(&q->irq, head);
            if (q->hw_qid)
                *q->cq_db = GUINT32_TO_LE(head);
            return;
        }
    }
}

/* ---- register file ----------------------------------------------------------------------- */

static void
slice_reset(NvpVctrl *v)
{
    /* admin reset deletes every hardware queue pair first */
    nvp_admin_reset(v->admin);
}

static int
bar0_access(gpointer data, guint64 offset, void *buf, guint32 len, gboolean is_write)
{
    NvpVctrl *v = data;
    NvpRegsEvent ev;
    VctrlQueue *q;
    guint64 value = 0;

    if (!is_write) {
        if (!nvp_regs_read(&v->regs, offset, len, &value))
            return -EINVAL;
        value = GUINT64_TO_LE(value);
        memcpy(buf, &value, len);
        return 0;
    }
    if (len > sizeof(value))
        return -EINVAL;
    memcpy(&value, buf, len);
    value = GUINT64_FROM_LE(value);
    if (!nvp_regs_write(&v->regs, offset, len, value, &ev))
        return -EINVAL;

    if (ev.type != NVP_REGS_EVENT_NONE && ev.type != NVP_REGS_EVENT_SQ_TAIL &&
        ev.type != NVP_REGS_EVENT_CQ_HEAD)
        g_debug("slice %s: register event %d (qid %u value 0x%x)", v->name, ev.type, ev.qid,
                ev.value);
    switch (ev.type) {
    case NVP_REGS_EVENT_NONE:
        break;
    case NVP_REGS_EVENT_ENABLE:
        nvp_admin_enable(v->admin);
        break;
    case NVP_REGS_EVENT_DISABLE:
    case NVP_REGS_EVENT_SHUTDOWN:
        slice_reset(v);
        break;
    case NVP_REGS_EVENT_SQ_TAIL:
        if (ev.qid == 0)
            nvp_admin_sq_tail(v->admin, ev.value);
        else if ((q = vctrl_queue(v, ev.qid)) && q->live)
            io_sq_tail(v, q, ev.value);
        break;
    case NVP_REGS_EVENT_CQ_HEAD:
        if (ev.qid == 0)
            nvp_admin_cq_head(v->admin, ev.value);
        else
            io_cq_head(v, ev.qid, ev.value);
        break;
    case NVP_REGS_EVENT_BAD_DOORBELL:
        nvp_admin_error_event(v->admin, (guint8)ev.value);
        break;
    }
    return 0;
}

/* ---- vfio-user device callbacks ---------------------------------------------------------- */

static int
dev_region_access(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                  gboolean is_write)
{
    NvpVctrl *v = dev;

    return nvp_vctrl_pci_region_access(v->pci, region, offset, buf, len, is_write);
}

static gboolean
any_queue_live(NvpVctrl *v)
{
    for (guint i = 1; i < v->n_queues; i++)
        if (v->queues[i].live)
            return TRUE;
    return FALSE;
}

static void
dev_dma_added(gpointer dev, const NvpVfuDmaRegion *r)
{
    NvpVctrl *v = dev;
    VctrlRegion *reg;
    guint64 limit;

    if (!r->vaddr)
        return; /* fd-less (e.g. ROM): never reachable by the SSD */
    /* trusted: IOVA = GPA, which must stay below every IOVA the agent allocates */
    limit = v->cfg.mode == NVP_VCTRL_MODE_TRUSTED
                ? MIN(v->cfg.window_size, nvp_hw_ctrl_get_iova_floor(v->hw))
                : v->cfg.window_size;
    if (r->gpa >= limit || r->size > limit - r->gpa || v->ram.n_regions >= MAX_REGIONS) {
        v->n_dma_map_failures++;
        g_warning(_("Slice %1$s: guest memory at 0x%2$" G_GINT64_MODIFIER
                    "x (+0x%3$" G_GINT64_MODIFIER
                    "x) is outside the slice's IOVA window; the controller cannot use it."),
                  v->name, r->gpa, r->size);
        return;
    }
    g_debug("slice %s: DMA region 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER "x added (%s)",
            v->name, r->gpa, r->size, r->writable ? "rw" : "ro");
    reg = g_new0(VctrlRegion, 1);
    reg->ref = 1;
    reg->gpa = r->gpa;
    reg->size = r->size;
    reg->vaddr = r->vaddr;
    reg->writable = r->writable;
    reg->state = NVP_GPA_REGION_PENDING;
    nvp_gpa_map_add(&v->ram, reg); /* room checked above */
    v->n_dma_maps++;
    mapper_push(v, reg, FALSE);
}

/* Takes region idx out of the table and queues its unmap (after any map in progress). The
 * caller has deleted every hardware queue that could reach it. */
static void
region_unmap(NvpVctrl *v, guint idx)
{
    VctrlRegion *r = nvp_gpa_map_remove(&v->ram, idx);

    v->n_dma_unmaps++;
    /* a map not started yet never starts: the client unmaps the memory when we return */
    g_atomic_int_compare_and_exchange(&r->state, NVP_GPA_REGION_PENDING, NVP_GPA_REGION_UNMAPPED);
    mapper_push(v, r, TRUE);
    region_unref(r);
}

static void
dev_dma_removing(gpointer dev, const NvpVfuDmaRegion *r)
{
    NvpVctrl *v = dev;

    for (guint i = 0; i < v->ram.n_regions; i++) {
        if (v->ram.regions[i]->gpa != r->gpa || v->ram.regions[i]->size != r->size)
            continue;
        g_debug("slice %s: DMA region 0x%" G_GINT64_MODIFIER "x+0x%" G_GINT64_MODIFIER
                "x removing%s",
                v->name, r->gpa, r->size,
                any_queue_live(v) ? ": deleting the hardware queues first" : "");
        /* Any live hardware queue may hold commands whose PRPs point into this region: delete
         * every queue pair of the slice before the IOMMU mapping goes, and report a fatal status
         * so the guest resets the controller (QEMU only unmaps RAM in use by a driver on
         * memory hot-unplug or when the guest is going away). */
        if (any_queue_live(v)) {
            v->n_queue_teardowns_for_unmap++;
            slice_reset(v);
            nvp_regs_set_fatal(&v->regs);
        }
        region_unmap(v, i);
        return;
    }
}

static void
dev_irqs_changed(gpointer dev, guint irq_index, guint start, guint count)
{
    NvpVctrl *v = dev;

    if (irq_index != VFIO_PCI_MSIX_IRQ_INDEX)
        return;
    for (guint i = 1; i < v->n_queues; i++) {
        VctrlQueue *q = &v->queues[i];

        if (q->live && q->guest_vector >= start && q->guest_vector - start < count)
            wire_vector(v, q);
    }
}

static void
device_reset(NvpVctrl *v)
{
    slice_reset(v);
    nvp_regs_reset(&v->regs);
    nvp_vctrl_pci_reset(v->pci);
}

static void
dev_reset(gpointer dev)
{
    NvpVctrl *v = dev;

    v->n_device_resets++;
    device_reset(v);
}

static void
dev_disconnected(gpointer dev)
{
    NvpVctrl *v = dev;

    v->n_disconnects++;
    device_reset(v);
    /* every region was announced removing; nothing may be left mapped */
    while (v->ram.n_regions > 0)
        region_unmap(v, v->ram.n_regions - 1);
}

static const NvpVfuDeviceOps device_ops = {
    .region_access = dev_region_access,
    .dma_added = dev_dma_added,
    .dma_removing = dev_dma_removing,
    .irqs_changed = dev_irqs_changed,
    .reset = dev_reset,
    .disconnected = dev_disconnected,
};

/* ---- life cycle -------------------------------------------------------------------------- */

static gboolean
registry_check(NvpHwCtrl *hw, NvpVctrlMode mode, GError **error)
{
    GPtrArray *slices = registry ? g_hash_table_lookup(registry, hw) : NULL;

    if (!slices || slices->len == 0)
        return TRUE;
    if (mode == NVP_VCTRL_MODE_TRUSTED) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_BUSY,
                    _("A trusted slice needs controller %1$s to itself, but %2$u other slice(s) "
                      "are active on it."),
                    nvp_hw_ctrl_get_pci_addr(hw), slices->len);
        return FALSE;
    }
    for (guint i = 0; i < slices->len; i++) {
        NvpVctrl *o = g_ptr_array_index(slices, i);
        if (o->cfg.mode == NVP_VCTRL_MODE_TRUSTED) {
            g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_BUSY,
                        _("Controller %1$s serves trusted slice %2$s, which must be alone on it; "
                          "stop that "
                          "slice first."),
                        nvp_hw_ctrl_get_pci_addr(hw), o->name);
            return FALSE;
        }
    }
    return TRUE;
}

static void
registry_add(NvpVctrl *v)
{
    GPtrArray *slices;

    if (!registry)
        registry = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                         (GDestroyNotify)g_ptr_array_unref);
    slices = g_hash_table_lookup(registry, v->hw);
    if (!slices) {
        slices = g_ptr_array_new();
        g_hash_table_insert(registry, v->hw, slices);
    }
    g_ptr_array_add(slices, v);
}

static void
registry_remove(NvpVctrl *v)
{
    GPtrArray *slices = registry ? g_hash_table_lookup(registry, v->hw) : NULL;

    if (!slices || !g_ptr_array_remove(slices, v))
        return;
    if (slices->len == 0)
        g_hash_table_remove(registry, v->hw);
    if (g_hash_table_size(registry) == 0)
        g_clear_pointer(&registry, g_hash_table_unref);
}

static gboolean
check_config(NvpHwCtrl *hw, const NvpVctrlConfig *cfg, const struct nvme_id_ns **ns_out,
             GError **error)
{
    const struct nvme_id_ns *ns = nvp_hw_ctrl_get_ns(hw, cfg->nsid);
    guint fmt;

    if (!ns) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("Controller %1$s has no active namespace %2$u."),
                    nvp_hw_ctrl_get_pci_addr(hw), cfg->nsid);
        return FALSE;
    }
    fmt = (ns->flbas & 0xf) | (((guint)ns->flbas >> 5 & 0x3) << 4);
    if (GUINT16_FROM_LE(ns->lbaf[fmt].ms) != 0) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("Namespace %1$u of %2$s is formatted with metadata, which slices do not "
                      "support; format it "
                      "without metadata."),
                    cfg->nsid, nvp_hw_ctrl_get_pci_addr(hw));
        return FALSE;
    }
    if (cfg->lba_count == 0 || cfg->lba_start > GUINT64_FROM_LE(ns->nsze) ||
        cfg->lba_count > GUINT64_FROM_LE(ns->nsze) - cfg->lba_start) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("The extent %1$" G_GUINT64_FORMAT "+%2$" G_GUINT64_FORMAT
                      " does not fit namespace %3$u of "
                      "%4$s (%5$" G_GUINT64_FORMAT " blocks)."),
                    cfg->lba_start, cfg->lba_count, cfg->nsid, nvp_hw_ctrl_get_pci_addr(hw),
                    (guint64)GUINT64_FROM_LE(ns->nsze));
        return FALSE;
    }
    /* The SSD executes a trusted guest's commands untouched: LBAs and NSID 1 are physical. */
    if (cfg->mode == NVP_VCTRL_MODE_TRUSTED && (cfg->lba_start != 0 || cfg->nsid != 1)) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("A trusted slice passes the guest's commands to the SSD untranslated, so its "
                      "extent must start at LBA 0 of namespace 1 (asked: namespace %1$u, LBA "
                      "%2$" G_GUINT64_FORMAT ")."),
                    cfg->nsid, cfg->lba_start);
        return FALSE;
    }
    if (cfg->n_qpairs == 0 || cfg->n_qpairs > NVP_REGS_MAX_QID ||
        cfg->n_qpairs > nvp_hw_ctrl_get_n_free_qpairs(hw)) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("A slice needs 1 to %1$u I/O queue pairs; %2$u were asked and %3$s has %4$u "
                      "free."),
                    MIN((guint)NVP_REGS_MAX_QID, nvp_hw_ctrl_get_n_free_qpairs(hw)), cfg->n_qpairs,
                    nvp_hw_ctrl_get_pci_addr(hw), nvp_hw_ctrl_get_n_free_qpairs(hw));
        return FALSE;
    }
    if (!cfg->socket_path) {
        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_INVALID,
                    _("A slice needs a socket path."));
        return FALSE;
    }
    *ns_out = ns;
    return TRUE;
}

static void
derive_identity(NvpVctrl *v, const NvpVctrlConfig *cfg, guint8 uuid[16])
{
    static const guint8 zero[16] = { 0 };
    const struct nvme_id_ctrl *id = nvp_hw_ctrl_get_id(v->hw);
    g_autofree char *key = g_strdup_printf("%.20s/%u/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
                                           id->sn, cfg->nsid, cfg->lba_start, cfg->lba_count);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize len = sizeof(digest);

    g_checksum_update(sum, (const guchar *)key, -1);
    g_checksum_get_digest(sum, digest, &len);
    if (memcmp(cfg->uuid, zero, 16) != 0) {
        memcpy(uuid, cfg->uuid, 16);
    } else {
        memcpy(uuid, digest, 16);
        uuid[6] = (uuid[6] & 0x0f) | 0x50; /* name-based UUID layout (version 5 style) */
        uuid[8] = (uuid[8] & 0x3f) | 0x80;
    }
    v->serial = cfg->serial ? g_strndup(cfg->serial, 20)
                            : g_strdup_printf("NVP%02X%02X%02X%02X%02X%02X", digest[16], digest[17],
                                              digest[18], digest[19], digest[20], digest[21]);
}

NvpVctrl *
nvp_vctrl_new(NvpHwCtrl *hw, const NvpVctrlConfig *cfg, GError **error)
{
    g_autoptr(NvpVctrl) v = NULL;
    const struct nvme_id_ns *ns = NULL;
    NvpVctrlPciConfig pcfg = { 0 };
    NvpVfuServerConfig scfg = { 0 };
    NvpRegsConfig rcfg = { 0 };
    NvpAdminConfig acfg = { 0 };
    g_autofree char *subnqn = NULL;
    guint32 hw_mdts;
    guint fmt;

    if (!check_config(hw, cfg, &ns, error))
        return NULL;
    if (!registry_check(hw, cfg->mode, error))
        return NULL;

    v = g_new0(NvpVctrl, 1);
    v->n_queues = cfg->n_qpairs + 1u;
    v->queues = g_new0(VctrlQueue, v->n_queues);
    v->hw = hw;
    v->cfg = *cfg;
    v->socket_path = g_strdup(cfg->socket_path);
    v->name = g_strdup(cfg->name ? cfg->name : cfg->socket_path);
    v->cfg.name = v->name;
    v->cfg.socket_path = v->socket_path;
    v->cfg.serial = NULL;
    v->cfg.model = NULL;
    if (!v->cfg.window_size)
        v->cfg.window_size = DEFAULT_WINDOW_SIZE;
    derive_identity(v, cfg, v->cfg.uuid);
    fmt = (ns->flbas & 0xf) | (((guint)ns->flbas >> 5 & 0x3) << 4);
    v->lba_shift = ns->lbaf[fmt].ds;
    hw_mdts = nvp_hw_ctrl_get_mdts_bytes(hw);
    v->max_transfer = hw_mdts && hw_mdts < MAX_TRANSFER ? hw_mdts : MAX_TRANSFER;
    v->max_entries = MIN(nvp_hw_ctrl_get_max_queue_entries(hw),
                         cfg->max_queue_entries ? cfg->max_queue_entries : DEFAULT_MAX_ENTRIES);
    for (guint i = 0; i < v->n_queues; i++)
        v->queues[i].hw_vector = -1;
    v->shares = g_ptr_array_new();
    /* Not exclusive: a thread only while jobs are queued (GLib's shared threads leave after
     * 15 s idle), not one parked thread per slice (tests/testbed/scenarios/scale.sh). One job at
     * a time still keeps the submission order. */
    v->mapper = g_thread_pool_new(mapper_run, v, 1, FALSE, error);
    if (!v->mapper)
        return NULL;
    registry_add(v);

    /* IOVA: strict slices get a window of their own; a trusted slice maps guest RAM at IOVA = GPA
     * since the SSD follows the guest's own PRPs. */
    if (cfg->mode == NVP_VCTRL_MODE_STRICT) {
        if (!nvp_hw_ctrl_window_alloc(hw, v->cfg.window_size, &v->window_base, error))
            return NULL;
        v->window_allocated = TRUE;
    } else {
        v->window_base = 0;
    }
    v->scratch = nvp_hw_dma_buf_new(hw, NVP_PAGE_SIZE, error);
    if (!v->scratch)
        return NULL;

    rcfg.mqes = (guint16)(v->max_entries - 1);
    rcfg.timeout = 30; /* 15 s: hardware queue deletion under TCG can be slow */
    rcfg.n_io_queues = cfg->n_qpairs;
    nvp_regs_init(&v->regs, &rcfg);

    subnqn = g_strdup_printf("nqn.2026-11.org.virt-nvmepool:slice:%s", v->serial);
    acfg.hw_id = nvp_hw_ctrl_get_id(hw);
    acfg.hw_ns = ns;
    acfg.lba_count = cfg->lba_count;
    acfg.max_transfer = v->max_transfer;
    acfg.n_qpairs = cfg->n_qpairs;
    acfg.n_vectors = (guint16)(cfg->n_qpairs + 1);
    acfg.cntlid = cfg->cntlid ? cfg->cntlid : 1;
    acfg.mqes = rcfg.mqes;
    acfg.serial = v->serial;
    acfg.model = cfg->model ? cfg->model : "virt-nvmepool slice";
    acfg.subnqn = subnqn;
    memcpy(acfg.uuid, v->cfg.uuid, 16);
    v->admin = nvp_admin_new(&acfg, &v->regs, &admin_backend, v);

    pcfg.n_vectors = cfg->n_qpairs + 1u;
    pcfg.bar0_size = NVP_REGS_BAR0_SIZE;
    v->pci = nvp_vctrl_pci_new(&pcfg, error);
    if (!v->pci)
        return NULL;
    nvp_vctrl_pci_set_bar0_handler(v->pci, bar0_access, v);

    nvp_vctrl_pci_fill_server_config(v->pci, &scfg);
    scfg.socket_path = v->socket_path;
    scfg.set_owner = cfg->set_owner;
    scfg.uid = cfg->uid;
    scfg.gid = cfg->gid;
    scfg.max_dma_regions = MAX_REGIONS;
    v->server = nvp_vfu_server_new(&scfg, &device_ops, v, error);
    if (!v->server)
        return NULL;
    nvp_vctrl_pci_set_server(v->pci, v->server);
    return g_steal_pointer(&v);
}

void
nvp_vctrl_free(NvpVctrl *v)
{
    if (!v)
        return;
    /* The server drops its client first: dma_removing deletes the hardware queues before any
     * unmap, disconnected resets the slice. Then whatever is left goes in the same order. */
    g_clear_pointer(&v->server, nvp_vfu_server_free);
    if (v->admin)
        nvp_admin_reset(v->admin);
    for (guint i = 1; i < v->n_queues; i++)
        queue_destroy(v, &v->queues[i]);
    /* the last queue of each shared vector freed it */
    g_warn_if_fail(!v->shares || v->shares->len == 0);
    g_clear_pointer(&v->shares, g_ptr_array_unref);
    while (v->ram.n_regions > 0)
        region_unmap(v, v->ram.n_regions - 1);
    if (v->mapper)
        g_thread_pool_free(v->mapper, FALSE, TRUE); /* every queued unmap done */
    g_clear_pointer(&v->admin, nvp_admin_free);
    g_clear_pointer(&v->pci, nvp_vctrl_pci_free);
    nvp_hw_dma_buf_free(v->scratch);
    if (v->window_allocated)
        nvp_hw_ctrl_window_free(v->hw, v->window_base);
    registry_remove(v);
    g_free(v->queues);
    g_free(v->serial);
    g_free(v->socket_path);
    g_free(v->name);
    g_free(v);
}

const char *
nvp_vctrl_get_name(NvpVctrl *v)
{
    return v->name;
}

NvpHwCtrl *
nvp_vctrl_get_hw(NvpVctrl *v)
{
    return v->hw;
}

void
nvp_vctrl_hw_lost_queues(NvpVctrl *v, const guint16 *lost_qids, guint n_lost)
{
    gboolean hit = FALSE;

    for (guint i = 1; i < v->n_queues; i++) {
        VctrlQueue *q = &v->queues[i];

        for (guint j = 0; q->live && j < n_lost; j++) {
            if (q->hw_qid == lost_qids[j]) {
                q->hw_qid = 0; /* gone with the reset: never delete or ring it again */
                hit = TRUE;
            }
        }
    }
    if (hit) {
        v->n_hw_lost++;
        nvp_regs_set_fatal(&v->regs);
    }
}

void
nvp_vctrl_dump_stats(NvpVctrl *v, GString *out)
{
    const NvpAdminStats *as = nvp_admin_get_stats(v->admin);
    guint64 submitted = v->old_submitted, doorbells = v->old_doorbells;
    guint64 cq_doorbells = v->old_cq_doorbells, forwarded = v->old_irqs_forwarded;
    guint64 wakeups = v->old_shared_wakeups;
    guint64 verdict[NVP_SQE_LAST];
    guint64 rejected = 0;

    memcpy(verdict, v->old_verdict, sizeof(verdict));

    g_string_append_printf(out, "slice %s\n", v->name);
    g_string_append_printf(out,
                           "  controller %s nsid %u extent %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT
                           " lba-size %u mode %s qpairs %u socket %s serial %s\n",
                           nvp_hw_ctrl_get_pci_addr(v->hw), v->cfg.nsid, v->cfg.lba_start,
                           v->cfg.lba_count, 1u << v->lba_shift,
                           nvp_vctrl_mode_to_string(v->cfg.mode), v->cfg.n_qpairs, v->socket_path,
                           v->serial);
    g_string_append_printf(out,
                           "  window-iova 0x%" G_GINT64_MODIFIER
                           "x dma-regions %u iommu-mapped %d dma-maps %" G_GUINT64_FORMAT
                           " dma-unmaps %" G_GUINT64_FORMAT " dma-map-refused %" G_GUINT64_FORMAT
                           "\n",
                           v->window_base, v->ram.n_regions, g_atomic_int_get(&v->n_mapped),
                           v->n_dma_maps, v->n_dma_unmaps, v->n_dma_map_failures);
    g_string_append_printf(out,
                           "  enables %" G_GUINT64_FORMAT " resets %" G_GUINT64_FORMAT
                           " shutdowns %" G_GUINT64_FORMAT " device-resets %" G_GUINT64_FORMAT
                           " disconnects %" G_GUINT64_FORMAT " hw-lost %" G_GUINT64_FORMAT
                           " unmap-teardowns %" G_GUINT64_FORMAT
                           " qpair-failures %" G_GUINT64_FORMAT "\n",
                           v->regs.n_enables, v->regs.n_resets, v->regs.n_shutdowns,
                           v->n_device_resets, v->n_disconnects, v->n_hw_lost,
                           v->n_queue_teardowns_for_unmap, v->n_qpair_failures);
    g_string_append_printf(out,
                           "  admin-commands %" G_GUINT64_FORMAT " admin-refused %" G_GUINT64_FORMAT
                           " admin-invalid-opcode %" G_GUINT64_FORMAT
                           " aer-events %" G_GUINT64_FORMAT "\n",
                           as->commands, as->refused, as->invalid_opcode, as->aer_events);
    for (guint i = 1; i < v->n_queues; i++) {
        VctrlQueue *q = &v->queues[i];
        guint64 rej = 0;

        if (!q->live)
            continue;
        for (guint k = 1; k < NVP_SQE_LAST; k++)
            rej += q->st.n_verdict[k];
        g_string_append_printf(out,
                               "  queue %u cq %u hw-qid %u entries %u guest-vector %u hw-vector %d "
                               "shared %d "
                               "sq-doorbells %" G_GUINT64_FORMAT " cq-doorbells %" G_GUINT64_FORMAT
                               " submitted %" G_GUINT64_FORMAT " rejected %" G_GUINT64_FORMAT
                               " agent-irqs %" G_GUINT64_FORMAT "\n",
                               q->sqid, q->cqid, q->hw_qid, q->size, q->guest_vector, q->hw_vector,
                               q->share != NULL, q->n_doorbells, q->n_cq_doorbells,
                               q->st.n_submitted, rej, q->irq.n_signalled);
        submitted += q->st.n_submitted;
        doorbells += q->n_doorbells;
        cq_doorbells += q->n_cq_doorbells;
        forwarded += q->irq.n_signalled;
        for (guint k = 0; k < NVP_SQE_LAST; k++)
            verdict[k] += q->st.n_verdict[k];
    }
    for (guint i = 0; i < v->shares->len; i++)
        wakeups += nvp_irq_share_get_wakeups(g_ptr_array_index(v->shares, i));
    for (guint k = 1; k < NVP_SQE_LAST; k++)
        rejected += verdict[k];
    g_string_append_printf(out,
                           "  io-sq-doorbells %" G_GUINT64_FORMAT
                           " io-cq-doorbells %" G_GUINT64_FORMAT " io-submitted %" G_GUINT64_FORMAT
                           " io-rejected %" G_GUINT64_FORMAT " doorbells %" G_GUINT64_FORMAT
                           " bad-doorbells %" G_GUINT64_FORMAT "\n",
                           doorbells, cq_doorbells, submitted, rejected, v->regs.n_doorbells,
                           v->regs.n_bad_doorbells);
    g_string_append(out, "  rejected-by-reason");
    for (guint k = 1; k < NVP_SQE_LAST; k++)
        g_string_append_printf(out, " %s %" G_GUINT64_FORMAT, nvp_sqe_verdict_to_string(k),
                               verdict[k]);
    g_string_append(out, "\n");
    /* With a dedicated vector the SSD's MSI-X signals QEMU's eventfd directly and no agent code
     * runs per completion: both stay 0. On a shared vector each wake-up of the agent counts, and
     * each guest interrupt it forwarded after finding new entries in a guest CQ. */
    g_string_append_printf(out,
                           "  io-completions-handled-by-agent %" G_GUINT64_FORMAT
                           " shared-vector-wakeups %" G_GUINT64_FORMAT " hw-vectors %u"
                           " shared-vectors %u\n",
                           forwarded, wakeups, n_hw_vectors(v), v->shares->len);
}
