/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One physical NVMe controller over VFIO: adoption and bring-up, IOVA windows and DMA, I/O queue
 * pairs, MSI-X vectors, admin commands with timeout/Abort, fatal-status reset, release. */
#include "agent/hw/ctrl.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "agent/hw/admin.h"
#include "agent/hw/adopt.h"
#include "agent/hw/iova.h"
#include "agent/hw/irq.h"
#include "agent/hw/qid.h"
#include "agent/hw/vfio.h"
#include "common/i18n.h"

#define DEFAULT_ADMIN_TIMEOUT_MS 5000
#define DEFAULT_AGENT_WINDOW (G_GUINT64_CONSTANT(1) << 30)
#define DEFAULT_ADMIN_ENTRIES 32
#define WINDOW_ALIGN (G_GUINT64_CONSTANT(2) << 20)
#define MAX_DEFAULT_IOVA_FLOOR (G_GUINT64_CONSTANT(512) << 30)
#define ABORT_TIMEOUT_MS 1000
#define RELEASE_CMD_TIMEOUT_MS 2000

struct _NvpHwCtrl {
    char *pci_addr;
    NvpHwCtrlOptions opts;
    NvpHwAdoption *adoption;
    NvpHwVfio *vfio;
    volatile guint8 *bar0;
    gsize bar0_len;

    guint64 cap;
    guint32 vs;
    guint32 dstrd;
    guint ready_timeout_ms;
    guint32 page_size;
    guint32 mdts_bytes;

    NvpHwIova *iova; /* whole IOVA space: agent window + slice windows */
    guint64 agent_base;
    guint64 iova_floor; /* see NvpHwCtrlOptions */
    guint64 agent_size;
    NvpHwIova *agent_iova; /* inside the agent window */
    GMutex dma_lock;       /* agent_iova, iova */

    NvpHwIrq *irq;
    NvpHwDmaBuf *asq;
    NvpHwDmaBuf *acq;
    NvpHwDmaBuf *idbuf;
    NvpHwAdmin *admin;
    GMutex lock; /* admin queue, idbuf, qids, vectors */
    gboolean enabled;

    NvpHwQidPool *qids;
    NvpHwQidPool *vectors;
    guint max_qpairs;

    struct nvme_id_ctrl id;
    GArray *nsids;  /* guint32 */
    GHashTable *ns; /* nsid -> struct nvme_id_ns* */

    NvpHwResetFunc reset_func;
    gpointer reset_data;

    GMutex queues_lock; /* serialises queues_func calls; taken before lock */
    NvpHwQueuesFunc queues_func;
    gpointer queues_data;
    gboolean queues_live; /* last state told to queues_func */
};

/* ---- registers ---- */

static guint32
reg_read32(NvpHwCtrl *ctrl, guint32 off)
{
    return GUINT32_FROM_LE(*(volatile guint32 *)(ctrl->bar0 + off));
}

static void
reg_write32(NvpHwCtrl *ctrl, guint32 off, guint32 val)
{
    *(volatile guint32 *)(ctrl->bar0 + off) = GUINT32_TO_LE(val);
}

static guint64
reg_read64(NvpHwCtrl *ctrl, guint32 off)
{
    guint64 lo = reg_read32(ctrl, off);
    guint64 hi = reg_read32(ctrl, off + 4);

    return lo | (hi << 32);
}

static void
reg_write64(NvpHwCtrl *ctrl, guint32 off, guint64 val)
{
    reg_write32(ctrl, off, (guint32)val);
    reg_write32(ctrl, off + 4, (guint32)(val >> 32));
}

/* Waits for (CSTS & mask) == want; FALSE on timeout or CFS. */
static gboolean
wait_csts(NvpHwCtrl *ctrl, guint32 mask, guint32 want, guint timeout_ms, guint32 *csts_out)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
    guint32 csts;

    for (;;) {
        csts = reg_read32(ctrl, NVP_NVME_REG_CSTS);
        if (csts != 0xffffffff && (csts & mask) == want)
            break;
        if (csts != 0xffffffff && (csts & NVP_NVME_CSTS_CFS) && mask == NVP_NVME_CSTS_RDY && want)
            break;
        if (g_get_monotonic_time() > deadline)
            break;
        g_usleep(1000);
    }
    *csts_out = csts;
    return csts != 0xffffffff && (csts & mask) == want && !((csts & NVP_NVME_CSTS_CFS) && want);
}

static gboolean
ctrl_disable(NvpHwCtrl *ctrl, GError **error)
{
    guint32 cc = reg_read32(ctrl, NVP_NVME_REG_CC);
    guint32 csts;

    if (cc & NVP_NVME_CC_EN)
        reg_write32(ctrl, NVP_NVME_REG_CC, cc & ~NVP_NVME_CC_EN);
    if (!wait_csts(ctrl, NVP_NVME_CSTS_RDY, 0, ctrl->ready_timeout_ms, &csts)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_READY,
                    _("%s: the controller did not clear CSTS.RDY within %u ms of CC.EN=0 "
                      "(CSTS=0x%x)."),
                    ctrl->pci_addr, ctrl->ready_timeout_ms, csts);
        return FALSE;
    }
    ctrl->enabled = FALSE;
    return TRUE;
}

static gboolean
ctrl_enable(NvpHwCtrl *ctrl, GError **error)
{
    guint32 entries = ctrl->opts.admin_queue_size;
    guint32 cc, csts;

    reg_write32(ctrl, NVP_NVME_REG_AQA, ((entries - 1) << 16) | (entries - 1));
    reg_write64(ctrl, NVP_NVME_REG_ASQ, ctrl->asq->iova);
    reg_write64(ctrl, NVP_NVME_REG_ACQ, ctrl->acq->iova);
    cc = NVP_NVME_CC_IOCQES(4) | NVP_NVME_CC_IOSQES(6) | NVP_NVME_CC_MPS(0) | NVP_NVME_CC_AMS_RR |
         NVP_NVME_CC_CSS_NVM;
    reg_write32(ctrl, NVP_NVME_REG_CC, cc);
    reg_write32(ctrl, NVP_NVME_REG_CC, cc | NVP_NVME_CC_EN);
    if (!wait_csts(ctrl, NVP_NVME_CSTS_RDY, NVP_NVME_CSTS_RDY, ctrl->ready_timeout_ms, &csts)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_READY,
                    (csts != 0xffffffff && (csts & NVP_NVME_CSTS_CFS))
                        ? _("%s: the controller reported fatal status while being enabled "
                            "(CSTS=0x%x).")
                        : _("%s: the controller did not become ready within the CAP.TO timeout "
                            "after CC.EN=1 "
                            "(CSTS=0x%x)."),
                    ctrl->pci_addr, csts);
        return FALSE;
    }
    ctrl->enabled = TRUE;
    return TRUE;
}

/* ---- DMA ---- */

NvpHwDmaBuf *
nvp_hw_dma_buf_new(NvpHwCtrl *ctrl, gsize size, GError **error)
{
    g_autofree NvpHwDmaBuf *buf = g_new0(NvpHwDmaBuf, 1);
    guint64 pg = nvp_hw_iova_get_page_size(ctrl->agent_iova);
    gboolean ok;
    void *p;

    if (size == 0 || size > ctrl->agent_size) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: invalid DMA buffer size %zu."), ctrl->pci_addr, size);
        return NULL;
    }
    size = (size + pg - 1) & ~(pg - 1);
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                    _("%s: cannot allocate %zu bytes: %s."), ctrl->pci_addr, size, g_strerror(err));
        return NULL;
    }
    /* A child of a fork() must never share (copy-on-write) pages the IOMMU points at. */
    madvise(p, size, MADV_DONTFORK);
    g_mutex_lock(&ctrl->dma_lock);
    ok = nvp_hw_iova_alloc(ctrl->agent_iova, size, 0, &buf->iova, error);
    g_mutex_unlock(&ctrl->dma_lock);
    if (!ok) {
        munmap(p, size);
        return NULL;
    }
    if (!nvp_hw_vfio_dma_map(ctrl->vfio, p, buf->iova, size, TRUE, error)) {
        g_mutex_lock(&ctrl->dma_lock);
        nvp_hw_iova_release(ctrl->agent_iova, buf->iova);
        g_mutex_unlock(&ctrl->dma_lock);
        munmap(p, size);
        return NULL;
    }
    buf->vaddr = p;
    buf->size = size;
    buf->ctrl = ctrl;
    return g_steal_pointer(&buf);
}

void
nvp_hw_dma_buf_free(NvpHwDmaBuf *buf)
{
    NvpHwCtrl *ctrl;

    if (!buf)
        return;
    ctrl = buf->ctrl;
    if (nvp_hw_vfio_dma_unmap(ctrl->vfio, buf->iova, buf->size, NULL)) {
        g_mutex_lock(&ctrl->dma_lock);
        nvp_hw_iova_release(ctrl->agent_iova, buf->iova);
        g_mutex_unlock(&ctrl->dma_lock);
        munmap(buf->vaddr, buf->size);
    } else {
        /* Never unpin memory the IOMMU may still reach: leak it instead. */
        g_debug("%s: leaking DMA buffer at IOVA 0x%" G_GINT64_MODIFIER "x", ctrl->pci_addr,
                buf->iova);
    }
    g_free(buf);
}

gboolean
nvp_hw_ctrl_window_alloc(NvpHwCtrl *ctrl, guint64 size, guint64 *iova_base, GError **error)
{
    gboolean ok;

    g_mutex_lock(&ctrl->dma_lock);
    ok = nvp_hw_iova_alloc(ctrl->iova, size, WINDOW_ALIGN, iova_base, error);
    g_mutex_unlock(&ctrl->dma_lock);
    if (!ok)
        g_prefix_error(error, "%s: ", ctrl->pci_addr);
    return ok;
}

guint64
nvp_hw_ctrl_get_iova_floor(NvpHwCtrl *ctrl)
{
    return ctrl->iova_floor;
}

void
nvp_hw_ctrl_window_free(NvpHwCtrl *ctrl, guint64 iova_base)
{
    if (iova_base == ctrl->agent_base)
        return;
    g_mutex_lock(&ctrl->dma_lock);
    nvp_hw_iova_release(ctrl->iova, iova_base);
    g_mutex_unlock(&ctrl->dma_lock);
}

gboolean
nvp_hw_ctrl_dma_map(NvpHwCtrl *ctrl, void *vaddr, guint64 iova, guint64 size, gboolean writable,
                    GError **error)
{
    guint64 pg = nvp_hw_vfio_get_iova_page_size(ctrl->vfio);

    if (size == 0 || (iova | size | (guint64)(uintptr_t)vaddr) & (pg - 1)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: DMA mapping of 0x%llx bytes at IOVA 0x%llx is not aligned to the IOMMU "
                      "page size %llu."),
                    ctrl->pci_addr, (unsigned long long)size, (unsigned long long)iova,
                    (unsigned long long)pg);
        return FALSE;
    }
    return nvp_hw_vfio_dma_map(ctrl->vfio, vaddr, iova, size, writable, error);
}

gboolean
nvp_hw_ctrl_dma_unmap(NvpHwCtrl *ctrl, guint64 iova, guint64 size, GError **error)
{
    return nvp_hw_vfio_dma_unmap(ctrl->vfio, iova, size, error);
}

/* ---- admin ---- */

typedef struct {
    GArray *lost; /* guint16 qids lost in a reset, NULL if no reset */
} NvpHwResetReport;

static gboolean reset_locked(NvpHwCtrl *ctrl, NvpHwResetReport *report, GError **error);

/* Called with ctrl->lock released: tell queues_func when the controller went from no live I/O
 * queue pair to some or back. */
static void
notify_queues(NvpHwCtrl *ctrl)
{
    gboolean live;

    g_mutex_lock(&ctrl->queues_lock);
    g_mutex_lock(&ctrl->lock);
    live = ctrl->qids && nvp_hw_qid_pool_n_allocated(ctrl->qids) > 0;
    g_mutex_unlock(&ctrl->lock);
    if (ctrl->queues_func && live != ctrl->queues_live) {
        ctrl->queues_live = live;
        ctrl->queues_func(ctrl, live, ctrl->queues_data);
    }
    g_mutex_unlock(&ctrl->queues_lock);
}

/* Called with ctrl->lock released. */
static void
report_reset(NvpHwCtrl *ctrl, NvpHwResetReport *report)
{
    if (!report->lost)
        return;
    notify_queues(ctrl);
    if (ctrl->reset_func)
        ctrl->reset_func(ctrl, (const guint16 *)report->lost->data, report->lost->len,
                         ctrl->reset_data);
    g_clear_pointer(&report->lost, g_array_unref);
}

static gboolean
admin_locked(NvpHwCtrl *ctrl, const NvpNvmeSqe *cmd, NvpNvmeCqe *cqe, guint timeout_ms,
             NvpHwResetReport *report, GError **error)
{
    g_autoptr(GError) timeout_err = NULL;
    NvpNvmeSqe abort_cmd = { 0 };
    guint16 cid, abort_cid;
    guint32 csts;

    if (!ctrl->enabled) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FATAL,
                    _("%s: the controller is not enabled."), ctrl->pci_addr);
        return FALSE;
    }
    if (timeout_ms == 0)
        timeout_ms = ctrl->opts.admin_timeout_ms;
    if (!nvp_hw_admin_submit(ctrl->admin, cmd, &cid, error))
        return FALSE;
    if (nvp_hw_admin_wait(ctrl->admin, cid, timeout_ms, cqe, &timeout_err))
        return TRUE;

    /* Timed out: fatal status means reset at once; otherwise try Abort first. */
    csts = reg_read32(ctrl, NVP_NVME_REG_CSTS);
    if (csts != 0xffffffff && !(csts & NVP_NVME_CSTS_CFS)) {
        abort_cmd.opcode = nvme_admin_abort_cmd;
        abort_cmd.cdw10 = GUINT32_TO_LE(((guint32)cid << 16) | 0);
        if (nvp_hw_admin_submit(ctrl->admin, &abort_cmd, &abort_cid, NULL)) {
            gboolean got_orig = FALSE, not_aborted = FALSE;

            /* The original may still complete (late, or aborted) before or after the Abort. */
            while (!got_orig && !not_aborted) {
                NvpNvmeCqe c;

                if (!nvp_hw_admin_wait_any(ctrl->admin, cid, abort_cid, ABORT_TIMEOUT_MS, &c, NULL))
                    break;
                if (GUINT16_FROM_LE(c.cid) == cid) {
                    got_orig = TRUE;
                    *cqe = c;
                } else {
                    /* dw0 bit 0 set: the command was not aborted, it will not complete. */
                    not_aborted = NVP_NVME_CQE_STATUS(&c) != 0 || (GUINT32_FROM_LE(c.dw0) & 1);
                }
            }
            if (got_orig) {
                guint16 st = NVP_NVME_CQE_STATUS(cqe);

                /* Completed after all (late): its result stands unless the Abort got it. */
                if (!(NVP_NVME_STATUS_SCT(st) == 0 && NVP_NVME_STATUS_SC(st) == NVME_SC_ABORT_REQ))
                    return TRUE;
                g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_TIMEOUT,
                            _("%s: admin command 0x%02x timed out after %u ms and was aborted."),
                            ctrl->pci_addr, cmd->opcode, timeout_ms);
                return FALSE;
            }
        }
    }
    {
        g_autoptr(GError) reset_err = NULL;
        gboolean reset_ok = reset_locked(ctrl, report, &reset_err);

        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_TIMEOUT,
                    _("%s: admin command 0x%02x timed out after %u ms (CSTS=0x%x); the controller "
                      "was reset%s%s."),
                    ctrl->pci_addr, cmd->opcode, timeout_ms, csts,
                    reset_ok ? "" : _(" and failed: "), reset_ok ? "" : reset_err->message);
    }
    return FALSE;
}

static gboolean
check_status(NvpHwCtrl *ctrl, const char *what, const NvpNvmeCqe *cqe, GError **error)
{
    guint16 st = NVP_NVME_CQE_STATUS(cqe);

    if (st == 0)
        return TRUE;
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NVME_STATUS,
                _("%s: %s failed: %s (status 0x%x)."), ctrl->pci_addr, what,
                nvme_status_to_string(st, false), st);
    return FALSE;
}

gboolean
nvp_hw_ctrl_admin(NvpHwCtrl *ctrl, const NvpNvmeSqe *cmd, guint32 *cqe_dw0, guint16 *status,
                  guint timeout_ms, GError **error)
{
    NvpHwResetReport report = { NULL };
    NvpNvmeCqe cqe = { 0 };
    gboolean ok;

    g_mutex_lock(&ctrl->lock);
    ok = admin_locked(ctrl, cmd, &cqe, timeout_ms, &report, error);
    g_mutex_unlock(&ctrl->lock);
    report_reset(ctrl, &report);
    if (!ok)
        return FALSE;
    if (cqe_dw0)
        *cqe_dw0 = GUINT32_FROM_LE(cqe.dw0);
    if (status)
        *status = NVP_NVME_CQE_STATUS(&cqe);
    return check_status(ctrl, _("admin command"), &cqe, error);
}

static gboolean
identify_locked(NvpHwCtrl *ctrl, guint8 cns, guint32 nsid, void *out, gsize len,
                NvpHwResetReport *report, GError **error)
{
    NvpNvmeSqe cmd = { 0 };
    NvpNvmeCqe cqe;

    memset(ctrl->idbuf->vaddr, 0, 4096);
    cmd.opcode = nvme_admin_identify;
    cmd.nsid = GUINT32_TO_LE(nsid);
    cmd.prp1 = GUINT64_TO_LE(ctrl->idbuf->iova);
    cmd.cdw10 = GUINT32_TO_LE(cns);
    if (!admin_locked(ctrl, &cmd, &cqe, 0, report, error) ||
        !check_status(ctrl, _("Identify"), &cqe, error))
        return FALSE;
    memcpy(out, ctrl->idbuf->vaddr, MIN(len, 4096));
    return TRUE;
}

static gboolean
set_num_queues_locked(NvpHwCtrl *ctrl, NvpHwResetReport *report, GError **error)
{
    NvpNvmeSqe cmd = { 0 };
    NvpNvmeCqe cqe;
    guint32 dw0, nsqa, ncqa, db_limit;

    cmd.opcode = nvme_admin_set_features;
    cmd.cdw10 = GUINT32_TO_LE(NVME_FEAT_FID_NUM_QUEUES);
    cmd.cdw11 = GUINT32_TO_LE(0xfffeu | (0xfffeu << 16));
    if (!admin_locked(ctrl, &cmd, &cqe, 0, report, error) ||
        !check_status(ctrl, _("Set Features Number of Queues"), &cqe, error))
        return FALSE;
    dw0 = GUINT32_FROM_LE(cqe.dw0);
    nsqa = (dw0 & 0xffff) + 1;
    ncqa = (dw0 >> 16) + 1;
    /* Doorbells beyond the mmapped part of BAR0 are unusable. */
    db_limit = (guint32)((ctrl->bar0_len - NVP_NVME_REG_DBS) / (8u << ctrl->dstrd)) - 1;
    ctrl->max_qpairs = MIN(MIN(nsqa, ncqa), MIN(db_limit, 65535u));
    return TRUE;
}

static void
collect_qid(guint id, gpointer data)
{
    guint16 qid = id;

    g_array_append_val((GArray *)data, qid);
}

static gboolean
reset_locked(NvpHwCtrl *ctrl, NvpHwResetReport *report, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!report->lost)
        report->lost = g_array_new(FALSE, FALSE, sizeof(guint16));
    if (ctrl->qids) {
        nvp_hw_qid_pool_foreach(ctrl->qids, collect_qid, report->lost);
        nvp_hw_qid_pool_clear(ctrl->qids);
    }
    if (!ctrl_disable(ctrl, &local)) {
        /* CC.EN=0 was not enough: function-level reset through VFIO, then try again. */
        g_clear_error(&local);
        if (!nvp_hw_vfio_device_reset(ctrl->vfio, &local) || !ctrl_disable(ctrl, &local)) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
    }
    nvp_hw_admin_reset(ctrl->admin);
    if (!ctrl_enable(ctrl, error))
        return FALSE;
    return set_num_queues_locked(ctrl, report, error);
}

gboolean
nvp_hw_ctrl_reset(NvpHwCtrl *ctrl, GError **error)
{
    NvpHwResetReport report = { NULL };
    gboolean ok;

    g_mutex_lock(&ctrl->lock);
    ok = reset_locked(ctrl, &report, error);
    g_mutex_unlock(&ctrl->lock);
    report_reset(ctrl, &report);
    return ok;
}

gboolean
nvp_hw_ctrl_check_health(NvpHwCtrl *ctrl, GError **error)
{
    NvpHwResetReport report = { NULL };
    g_autoptr(GError) reset_err = NULL;
    guint32 csts;
    gboolean ok;

    g_mutex_lock(&ctrl->lock);
    csts = reg_read32(ctrl, NVP_NVME_REG_CSTS);
    if (csts != 0xffffffff && !(csts & NVP_NVME_CSTS_CFS) && ctrl->enabled) {
        g_mutex_unlock(&ctrl->lock);
        return TRUE;
    }
    ok = reset_locked(ctrl, &report, &reset_err);
    g_mutex_unlock(&ctrl->lock);
    report_reset(ctrl, &report);
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FATAL,
                _("%s: controller fatal status (CSTS=0x%x); the controller was reset%s%s."),
                ctrl->pci_addr, csts, ok ? "" : _(" and failed: "), ok ? "" : reset_err->message);
    return FALSE;
}

void
nvp_hw_ctrl_set_reset_callback(NvpHwCtrl *ctrl, NvpHwResetFunc func, gpointer data)
{
    ctrl->reset_func = func;
    ctrl->reset_data = data;
}

void
nvp_hw_ctrl_set_queues_callback(NvpHwCtrl *ctrl, NvpHwQueuesFunc func, gpointer data)
{
    g_mutex_lock(&ctrl->queues_lock);
    ctrl->queues_func = func;
    ctrl->queues_data = data;
    ctrl->queues_live = FALSE;
    g_mutex_unlock(&ctrl->queues_lock);
    notify_queues(ctrl);
}

/* ---- queue pairs ---- */

static gboolean
delete_queue_locked(NvpHwCtrl *ctrl, guint8 opcode, guint16 qid, guint timeout_ms,
                    NvpHwResetReport *report, GError **error)
{
    NvpNvmeSqe cmd = { 0 };
    NvpNvmeCqe cqe;

    cmd.opcode = opcode;
    cmd.cdw10 = GUINT32_TO_LE(qid);
    if (!admin_locked(ctrl, &cmd, &cqe, timeout_ms, report, error))
        return FALSE;
    return check_status(ctrl,
                        opcode == nvme_admin_delete_sq ? _("Delete I/O Submission Queue")
                                                       : _("Delete I/O Completion Queue"),
                        &cqe, error);
}

gboolean
nvp_hw_ctrl_qpair_create(NvpHwCtrl *ctrl, guint64 cq_iova, guint32 cq_entries, int vector,
                         guint64 sq_iova, guint32 sq_entries, guint16 *qid_out, GError **error)
{
    NvpHwResetReport report = { NULL };
    guint32 max_entries = nvp_hw_ctrl_get_max_queue_entries(ctrl);
    NvpNvmeSqe cmd = { 0 };
    NvpNvmeCqe cqe;
    gboolean ok = FALSE;
    guint qid = 0;

    if (cq_entries < 2 || sq_entries < 2 || cq_entries > max_entries || sq_entries > max_entries) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: queue sizes %u/%u are outside 2..%u entries."), ctrl->pci_addr,
                    cq_entries, sq_entries, max_entries);
        return FALSE;
    }
    if ((cq_iova | sq_iova) & (ctrl->page_size - 1)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: queue addresses must be aligned to %u bytes."), ctrl->pci_addr,
                    ctrl->page_size);
        return FALSE;
    }
    if (vector != -1 && (vector < 1 || (guint)vector >= nvp_hw_irq_get_n_vectors(ctrl->irq))) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: MSI-X vector %d is not in 1..%u."), ctrl->pci_addr, vector,
                    nvp_hw_irq_get_n_vectors(ctrl->irq) - 1);
        return FALSE;
    }

    g_mutex_lock(&ctrl->lock);
    if (!nvp_hw_qid_pool_alloc(ctrl->qids, &qid, error)) {
        g_prefix_error(error, _("%s: no free I/O queue pair: "), ctrl->pci_addr);
        goto out;
    }
    cmd.opcode = nvme_admin_create_cq;
    cmd.prp1 = GUINT64_TO_LE(cq_iova);
    cmd.cdw10 = GUINT32_TO_LE(((cq_entries - 1) << 16) | qid);
    cmd.cdw11 =
        GUINT32_TO_LE(NVP_NVME_QUEUE_PHYS_CONTIG |
                      (vector >= 0 ? NVP_NVME_CQ_IRQ_ENABLED | ((guint32)vector << 16) : 0));
    if (!admin_locked(ctrl, &cmd, &cqe, 0, &report, error))
        goto out;
    if (!check_status(ctrl, _("Create I/O Completion Queue"), &cqe, error)) {
        nvp_hw_qid_pool_release(ctrl->qids, qid);
        goto out;
    }
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = nvme_admin_create_sq;
    cmd.prp1 = GUINT64_TO_LE(sq_iova);
    cmd.cdw10 = GUINT32_TO_LE(((sq_entries - 1) << 16) | qid);
    cmd.cdw11 = GUINT32_TO_LE(NVP_NVME_QUEUE_PHYS_CONTIG | ((guint32)qid << 16));
    if (!admin_locked(ctrl, &cmd, &cqe, 0, &report, error))
        goto out;
    if (!check_status(ctrl, _("Create I/O Submission Queue"), &cqe, error)) {
        if (delete_queue_locked(ctrl, nvme_admin_delete_cq, qid, 0, &report, NULL))
            nvp_hw_qid_pool_release(ctrl->qids, qid);
        goto out;
    }
    *qid_out = qid;
    ok = TRUE;
out:
    g_mutex_unlock(&ctrl->lock);
    report_reset(ctrl, &report);
    notify_queues(ctrl);
    return ok;
}

gboolean
nvp_hw_ctrl_qpair_delete(NvpHwCtrl *ctrl, guint16 qid, GError **error)
{
    NvpHwResetReport report = { NULL };
    g_autoptr(GError) sq_err = NULL;
    gboolean ok = FALSE;

    g_mutex_lock(&ctrl->lock);
    if (!nvp_hw_qid_pool_is_allocated(ctrl->qids, qid)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_FOUND,
                    _("%s: I/O queue pair %u does not exist."), ctrl->pci_addr, qid);
        goto out;
    }
    if (!delete_queue_locked(ctrl, nvme_admin_delete_sq, qid, 0, &report, &sq_err) &&
        !g_error_matches(sq_err, NVP_HW_ERROR, NVP_HW_ERROR_NVME_STATUS)) {
        /* Timed out: the reset destroyed the queues and freed the qid. */
        g_propagate_error(error, g_steal_pointer(&sq_err));
        goto out;
    }
    if (!delete_queue_locked(ctrl, nvme_admin_delete_cq, qid, 0, &report, error)) {
        if (g_error_matches(*error, NVP_HW_ERROR, NVP_HW_ERROR_NVME_STATUS) && !sq_err)
            goto out; /* SQ gone, CQ refused: keep the qid reserved */
        if (!report.lost)
            nvp_hw_qid_pool_release(ctrl->qids, qid);
        goto out;
    }
    nvp_hw_qid_pool_release(ctrl->qids, qid);
    if (sq_err) {
        g_propagate_error(error, g_steal_pointer(&sq_err));
        goto out;
    }
    ok = TRUE;
out:
    g_mutex_unlock(&ctrl->lock);
    report_reset(ctrl, &report);
    notify_queues(ctrl);
    return ok;
}

volatile guint32 *
nvp_hw_ctrl_sq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    if (qid == 0 || qid > ctrl->max_qpairs)
        return NULL;
    return (volatile guint32 *)(ctrl->bar0 + nvp_nvme_sq_doorbell_offset(qid, ctrl->dstrd));
}

volatile guint32 *
nvp_hw_ctrl_cq_doorbell(NvpHwCtrl *ctrl, guint16 qid)
{
    if (qid == 0 || qid > ctrl->max_qpairs)
        return NULL;
    return (volatile guint32 *)(ctrl->bar0 + nvp_nvme_cq_doorbell_offset(qid, ctrl->dstrd));
}

/* ---- vectors ---- */

gboolean
nvp_hw_ctrl_vector_alloc(NvpHwCtrl *ctrl, guint *vector, GError **error)
{
    gboolean ok;

    if (!ctrl->vectors) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                    _("%s: the controller has no MSI-X vector besides the admin queue's."),
                    ctrl->pci_addr);
        return FALSE;
    }
    g_mutex_lock(&ctrl->lock);
    ok = nvp_hw_qid_pool_alloc(ctrl->vectors, vector, error);
    g_mutex_unlock(&ctrl->lock);
    if (!ok)
        g_prefix_error(error, _("%s: no free MSI-X vector: "), ctrl->pci_addr);
    return ok;
}

void
nvp_hw_ctrl_vector_free(NvpHwCtrl *ctrl, guint vector)
{
    if (!ctrl->vectors)
        return;
    g_mutex_lock(&ctrl->lock);
    if (nvp_hw_qid_pool_release(ctrl->vectors, vector))
        nvp_hw_irq_set_eventfd(ctrl->irq, vector, -1, NULL);
    g_mutex_unlock(&ctrl->lock);
}

gboolean
nvp_hw_ctrl_vector_set_eventfd(NvpHwCtrl *ctrl, guint vector, int fd, GError **error)
{
    gboolean ok;

    g_mutex_lock(&ctrl->lock);
    if (!ctrl->vectors || !nvp_hw_qid_pool_is_allocated(ctrl->vectors, vector)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: MSI-X vector %u was not allocated."), ctrl->pci_addr, vector);
        ok = FALSE;
    } else {
        ok = nvp_hw_irq_set_eventfd(ctrl->irq, vector, fd, error);
    }
    g_mutex_unlock(&ctrl->lock);
    return ok;
}

/* ---- getters ---- */

const char *
nvp_hw_ctrl_get_pci_addr(NvpHwCtrl *ctrl)
{
    return ctrl->pci_addr;
}

const struct nvme_id_ctrl *
nvp_hw_ctrl_get_id(NvpHwCtrl *ctrl)
{
    return &ctrl->id;
}

const guint32 *
nvp_hw_ctrl_get_nsids(NvpHwCtrl *ctrl, guint *n_nsids)
{
    *n_nsids = ctrl->nsids->len;
    return (const guint32 *)ctrl->nsids->data;
}

guint
nvp_hw_ctrl_get_n_namespaces(NvpHwCtrl *ctrl)
{
    return ctrl->nsids->len;
}

const struct nvme_id_ns *
nvp_hw_ctrl_get_ns(NvpHwCtrl *ctrl, guint32 nsid)
{
    return g_hash_table_lookup(ctrl->ns, GUINT_TO_POINTER(nsid));
}

guint32
nvp_hw_ctrl_get_lba_size(NvpHwCtrl *ctrl, guint32 nsid)
{
    const struct nvme_id_ns *ns = nvp_hw_ctrl_get_ns(ctrl, nsid);
    guint fmt;

    if (!ns)
        return 0;
    fmt = (ns->flbas & 0xf) | ((ns->flbas >> 1) & 0x30);
    if (fmt >= G_N_ELEMENTS(ns->lbaf) || ns->lbaf[fmt].ds < 9 || ns->lbaf[fmt].ds > 31)
        return 0;
    return 1u << ns->lbaf[fmt].ds;
}

guint
nvp_hw_ctrl_get_max_qpairs(NvpHwCtrl *ctrl)
{
    return ctrl->max_qpairs;
}

guint
nvp_hw_ctrl_get_n_free_qpairs(NvpHwCtrl *ctrl)
{
    guint n;

    g_mutex_lock(&ctrl->lock);
    n = nvp_hw_qid_pool_n_free(ctrl->qids);
    g_mutex_unlock(&ctrl->lock);
    return n;
}

guint32
nvp_hw_ctrl_get_max_queue_entries(NvpHwCtrl *ctrl)
{
    return NVP_NVME_CAP_MQES(ctrl->cap) + 1;
}

guint
nvp_hw_ctrl_get_n_vectors(NvpHwCtrl *ctrl)
{
    return nvp_hw_irq_get_n_vectors(ctrl->irq);
}

guint32
nvp_hw_ctrl_get_mdts_bytes(NvpHwCtrl *ctrl)
{
    return ctrl->mdts_bytes;
}

guint32
nvp_hw_ctrl_get_page_size(NvpHwCtrl *ctrl)
{
    return ctrl->page_size;
}

/* ---- adopt / release ---- */

static gboolean
enable_pci(NvpHwCtrl *ctrl, GError **error)
{
    guint16 cmd;

    if (!nvp_hw_vfio_config_read(ctrl->vfio, PCI_COMMAND, &cmd, sizeof(cmd), error))
        return FALSE;
    cmd = GUINT16_FROM_LE(cmd) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE;
    cmd = GUINT16_TO_LE(cmd);
    return nvp_hw_vfio_config_write(ctrl->vfio, PCI_COMMAND, &cmd, sizeof(cmd), error);
}

static gboolean
check_cap(NvpHwCtrl *ctrl, GError **error)
{
    ctrl->cap = reg_read64(ctrl, NVP_NVME_REG_CAP);
    ctrl->vs = reg_read32(ctrl, NVP_NVME_REG_VS);
    if (ctrl->cap == G_MAXUINT64) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_READY,
                    _("%s: the controller does not answer register reads (CAP reads all ones)."),
                    ctrl->pci_addr);
        return FALSE;
    }
    if (ctrl->vs < 0x00010000) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_NVME,
                    _("%s: unsupported NVMe version register 0x%08x."), ctrl->pci_addr, ctrl->vs);
        return FALSE;
    }
    if (!(NVP_NVME_CAP_CSS(ctrl->cap) & 1)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_NVME,
                    _("%s: the controller does not support the NVM command set (CAP=0x%016llx)."),
                    ctrl->pci_addr, (unsigned long long)ctrl->cap);
        return FALSE;
    }
    if (NVP_NVME_CAP_MPSMIN(ctrl->cap) != 0) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_NVME,
                    _("%s: the controller's minimum memory page size is %u bytes; only 4096 is "
                      "supported."),
                    ctrl->pci_addr, 4096u << NVP_NVME_CAP_MPSMIN(ctrl->cap));
        return FALSE;
    }
    ctrl->dstrd = NVP_NVME_CAP_DSTRD(ctrl->cap);
    ctrl->ready_timeout_ms = MAX(NVP_NVME_CAP_TO(ctrl->cap), 1u) * 500u;
    ctrl->page_size = 4096;
    return TRUE;
}

static gboolean
setup_iova(NvpHwCtrl *ctrl, GError **error)
{
    guint n_ranges;
    const NvpHwIovaRange *ranges = nvp_hw_vfio_get_iova_ranges(ctrl->vfio, &n_ranges);
    guint64 pg = MAX(nvp_hw_vfio_get_iova_page_size(ctrl->vfio), (guint64)ctrl->page_size);
    guint64 floor = ctrl->opts.iova_floor, top = 0;
    g_autoptr(GArray) above = g_array_new(FALSE, FALSE, sizeof(NvpHwIovaRange));
    NvpHwIovaRange agent;

    for (guint i = 0; i < n_ranges; i++)
        top = MAX(top, ranges[i].last);
    if (!floor)
        floor = MIN(MAX_DEFAULT_IOVA_FLOOR, (top / 2 + 1) & ~(WINDOW_ALIGN - 1));
    for (guint i = 0; i < n_ranges; i++) {
        NvpHwIovaRange r = ranges[i];

        if (r.last < floor)
            continue;
        r.start = MAX(r.start, floor);
        g_array_append_val(above, r);
    }
    ctrl->iova_floor = floor;
    ctrl->iova = nvp_hw_iova_new((const NvpHwIovaRange *)above->data, above->len, pg);
    if (!nvp_hw_iova_alloc(ctrl->iova, ctrl->opts.agent_window_size, WINDOW_ALIGN,
                           &ctrl->agent_base, error)) {
        g_prefix_error(error, _("%s: cannot reserve the agent IOVA window: "), ctrl->pci_addr);
        return FALSE;
    }
    ctrl->agent_size = ctrl->opts.agent_window_size;
    agent = (NvpHwIovaRange){ ctrl->agent_base, ctrl->agent_base + ctrl->agent_size - 1 };
    ctrl->agent_iova = nvp_hw_iova_new(&agent, 1, pg);
    return TRUE;
}

static gboolean
identify_all_locked(NvpHwCtrl *ctrl, NvpHwResetReport *report, GError **error)
{
    g_autofree struct nvme_ns_list *list = g_malloc0(sizeof(*list));

    if (!identify_locked(ctrl, NVME_IDENTIFY_CNS_CTRL, 0, &ctrl->id, sizeof(ctrl->id), report,
                         error))
        return FALSE;
    ctrl->mdts_bytes =
        ctrl->id.mdts ? (guint32)MIN((guint64)4096 << ctrl->id.mdts, (guint64)1 << 31) : 0;
    if (!identify_locked(ctrl, NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0, list, sizeof(*list), report,
                         error))
        return FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(list->ns); i++) {
        guint32 nsid = GUINT32_FROM_LE(list->ns[i]);
        g_autofree struct nvme_id_ns *ns = NULL;

        if (nsid == 0)
            break;
        ns = g_malloc0(sizeof(*ns));
        if (!identify_locked(ctrl, NVME_IDENTIFY_CNS_NS, nsid, ns, sizeof(*ns), report, error))
            return FALSE;
        g_array_append_val(ctrl->nsids, nsid);
        g_hash_table_insert(ctrl->ns, GUINT_TO_POINTER(nsid), g_steal_pointer(&ns));
    }
    return TRUE;
}

static gboolean
bring_up(NvpHwCtrl *ctrl, GError **error)
{
    NvpHwResetReport report = { NULL };
    guint32 entries = ctrl->opts.admin_queue_size;
    void *bar;
    gboolean ok;

    if (!enable_pci(ctrl, error))
        return FALSE;
    if (!nvp_hw_vfio_map_region(ctrl->vfio, 0, NVP_NVME_REG_DBS + 8, &bar, &ctrl->bar0_len, error))
        return FALSE;
    ctrl->bar0 = bar;
    if (!check_cap(ctrl, error) || !setup_iova(ctrl, error))
        return FALSE;
    if (entries < 2 || entries > NVP_NVME_CAP_MQES(ctrl->cap) + 1 || entries > 4096)
        entries = ctrl->opts.admin_queue_size =
            MIN(DEFAULT_ADMIN_ENTRIES, NVP_NVME_CAP_MQES(ctrl->cap) + 1);
    if (!(ctrl->irq = nvp_hw_irq_new(ctrl->vfio, ctrl->pci_addr, error)))
        return FALSE;
    if (nvp_hw_irq_get_n_vectors(ctrl->irq) > 1)
        ctrl->vectors = nvp_hw_qid_pool_new(1, nvp_hw_irq_get_n_vectors(ctrl->irq) - 1);
    if (!(ctrl->asq = nvp_hw_dma_buf_new(ctrl, entries * sizeof(NvpNvmeSqe), error)) ||
        !(ctrl->acq = nvp_hw_dma_buf_new(ctrl, entries * sizeof(NvpNvmeCqe), error)) ||
        !(ctrl->idbuf = nvp_hw_dma_buf_new(ctrl, 4096, error)))
        return FALSE;
    ctrl->admin =
        nvp_hw_admin_new(ctrl->asq->vaddr, ctrl->acq->vaddr, entries,
                         (volatile guint32 *)(ctrl->bar0 +
                                              nvp_nvme_sq_doorbell_offset(0, ctrl->dstrd)),
                         (volatile guint32 *)(ctrl->bar0 +
                                              nvp_nvme_cq_doorbell_offset(0, ctrl->dstrd)),
                         nvp_hw_irq_get_admin_eventfd(ctrl->irq), ctrl->pci_addr);
    if (!ctrl_disable(ctrl, error) || !ctrl_enable(ctrl, error))
        return FALSE;

    g_mutex_lock(&ctrl->lock);
    ok = identify_all_locked(ctrl, &report, error) && set_num_queues_locked(ctrl, &report, error);
    g_mutex_unlock(&ctrl->lock);
    g_clear_pointer(&report.lost, g_array_unref);
    if (!ok)
        return FALSE;
    if (ctrl->max_qpairs == 0) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                    _("%s: the controller grants no I/O queue pair."), ctrl->pci_addr);
        return FALSE;
    }
    ctrl->qids = nvp_hw_qid_pool_new(1, ctrl->max_qpairs);
    return TRUE;
}

static void
delete_all_qpairs_locked(NvpHwCtrl *ctrl)
{
    g_autoptr(GArray) qids = g_array_new(FALSE, FALSE, sizeof(guint16));
    NvpHwResetReport report = { NULL };

    if (!ctrl->qids || !ctrl->enabled)
        return;
    nvp_hw_qid_pool_foreach(ctrl->qids, collect_qid, qids);
    for (guint i = 0; i < qids->len && ctrl->enabled; i++) {
        guint16 qid = g_array_index(qids, guint16, i);

        delete_queue_locked(ctrl, nvme_admin_delete_sq, qid, RELEASE_CMD_TIMEOUT_MS, &report, NULL);
        delete_queue_locked(ctrl, nvme_admin_delete_cq, qid, RELEASE_CMD_TIMEOUT_MS, &report, NULL);
        if (report.lost)
            break;
    }
    nvp_hw_qid_pool_clear(ctrl->qids);
    g_clear_pointer(&report.lost, g_array_unref);
}

static void
shutdown_ctrl(NvpHwCtrl *ctrl)
{
    guint32 cc, csts;

    if (!ctrl->bar0)
        return;
    cc = reg_read32(ctrl, NVP_NVME_REG_CC);
    if (cc != 0xffffffff && (cc & NVP_NVME_CC_EN) && ctrl->enabled) {
        reg_write32(ctrl, NVP_NVME_REG_CC, (cc & ~NVP_NVME_CC_SHN_MASK) | NVP_NVME_CC_SHN_NORMAL);
        if (!wait_csts(ctrl, NVP_NVME_CSTS_SHST_MASK, NVP_NVME_CSTS_SHST_CMPLT,
                       ctrl->ready_timeout_ms, &csts))
            g_debug("%s: shutdown did not complete (CSTS=0x%x)", ctrl->pci_addr, csts);
    }
    ctrl_disable(ctrl, NULL);
}

static void
ctrl_teardown(NvpHwCtrl *ctrl)
{
    if (ctrl->admin) {
        g_mutex_lock(&ctrl->lock);
        delete_all_qpairs_locked(ctrl);
        g_mutex_unlock(&ctrl->lock);
    }
    shutdown_ctrl(ctrl);
    g_clear_pointer(&ctrl->irq, nvp_hw_irq_free);
    g_clear_pointer(&ctrl->admin, nvp_hw_admin_free);
    g_clear_pointer(&ctrl->idbuf, nvp_hw_dma_buf_free);
    g_clear_pointer(&ctrl->acq, nvp_hw_dma_buf_free);
    g_clear_pointer(&ctrl->asq, nvp_hw_dma_buf_free);
    /* Closing the container drops every remaining IOMMU mapping. */
    g_clear_pointer(&ctrl->vfio, nvp_hw_vfio_close);
    ctrl->bar0 = NULL;
    if (ctrl->adoption)
        nvp_hw_adoption_restore(ctrl->adoption, NULL);
}

static void
ctrl_free(NvpHwCtrl *ctrl)
{
    g_clear_pointer(&ctrl->adoption, nvp_hw_adoption_free);
    g_clear_pointer(&ctrl->iova, nvp_hw_iova_free);
    g_clear_pointer(&ctrl->agent_iova, nvp_hw_iova_free);
    g_clear_pointer(&ctrl->qids, nvp_hw_qid_pool_free);
    g_clear_pointer(&ctrl->vectors, nvp_hw_qid_pool_free);
    g_clear_pointer(&ctrl->nsids, g_array_unref);
    g_clear_pointer(&ctrl->ns, g_hash_table_unref);
    g_mutex_clear(&ctrl->lock);
    g_mutex_clear(&ctrl->dma_lock);
    g_mutex_clear(&ctrl->queues_lock);
    g_free(ctrl->pci_addr);
    g_free(ctrl);
}

NvpHwCtrl *
nvp_hw_ctrl_adopt(const char *pci_addr, const NvpHwCtrlOptions *opts, GError **error)
{
    NvpHwCtrl *ctrl;

    ctrl = g_new0(NvpHwCtrl, 1);
    g_mutex_init(&ctrl->lock);
    g_mutex_init(&ctrl->dma_lock);
    g_mutex_init(&ctrl->queues_lock);
    ctrl->pci_addr = g_strdup(pci_addr);
    if (opts)
        ctrl->opts = *opts;
    if (!ctrl->opts.admin_timeout_ms)
        ctrl->opts.admin_timeout_ms = DEFAULT_ADMIN_TIMEOUT_MS;
    if (!ctrl->opts.agent_window_size)
        ctrl->opts.agent_window_size = DEFAULT_AGENT_WINDOW;
    ctrl->opts.agent_window_size =
        (ctrl->opts.agent_window_size + WINDOW_ALIGN - 1) & ~(WINDOW_ALIGN - 1);
    if (!ctrl->opts.admin_queue_size)
        ctrl->opts.admin_queue_size = DEFAULT_ADMIN_ENTRIES;
    ctrl->nsids = g_array_new(FALSE, FALSE, sizeof(guint32));
    ctrl->ns = g_hash_table_new_full(NULL, NULL, NULL, g_free);

    ctrl->adoption = nvp_hw_adoption_inspect(pci_addr, error);
    if (!ctrl->adoption)
        goto fail;
    if (!nvp_hw_adoption_bind_vfio(ctrl->adoption, error))
        goto fail;
    ctrl->vfio = nvp_hw_vfio_open(pci_addr, ctrl->adoption->iommu_group, error);
    if (!ctrl->vfio || !bring_up(ctrl, error))
        goto fail;
    /* Only once adoption succeeded: a failed one leaves the device as it was found. */
    if (ctrl->opts.release_driver && !ctrl->adoption->bound_to_vfio &&
        g_strcmp0(ctrl->adoption->orig_driver, "vfio-pci") == 0) {
        g_free(ctrl->adoption->orig_driver);
        ctrl->adoption->orig_driver = g_strdup(ctrl->opts.release_driver);
        g_clear_pointer(&ctrl->adoption->orig_override, g_free);
        ctrl->adoption->bound_to_vfio = TRUE;
    }
    return ctrl;

fail:
    ctrl_teardown(ctrl);
    ctrl_free(ctrl);
    return NULL;
}

void
nvp_hw_ctrl_release(NvpHwCtrl *ctrl)
{
    if (!ctrl)
        return;
    ctrl_teardown(ctrl);
    ctrl_free(ctrl);
}
