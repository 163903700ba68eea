/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One physical NVMe controller owned through VFIO: adoption, bring-up, IOVA windows, DMA,
 * hardware I/O queue pairs, MSI-X vectors, admin commands, fatal-status reset. */
#pragma once

#include <glib.h>
#include <libnvme.h>

#include "common/nvme-wire.h"
#include "agent/hw/error.h"

typedef struct _NvpHwCtrl NvpHwCtrl;

typedef struct {
    guint admin_timeout_ms;    /* 0: 5000 */
    guint64 agent_window_size; /* IOVA bytes reserved for agent buffers; 0: 1 GiB */
    guint16 admin_queue_size;  /* entries; 0: 32 */
    /* A device found already bound to vfio-pci (left there by an agent that was killed) is
     * handed to this kernel driver at release instead of staying on vfio-pci; NULL keeps it
     * where it was found. Must outlive the controller (a static string). */
    const char *release_driver;
    /* Every IOVA the agent allocates (its own buffers, strict windows) lies at or above this
     * address, so that IOVAs below it can carry a trusted guest's memory at IOVA = GPA.
     * 0: half of the IOMMU's address space, at most 512 GiB. */
    guint64 iova_floor;
} NvpHwCtrlOptions;

/* Agent-owned DMA memory, mapped in the agent window. vaddr/iova/size are read-only. */
typedef struct {
    void *vaddr;
    guint64 iova;
    gsize size;      /* rounded up to the IOMMU page size */
    NvpHwCtrl *ctrl; /* private */
} NvpHwDmaBuf;

/* Called (from the thread that detected it) after a controller reset caused by CSTS.CFS or an
 * admin timeout: every I/O queue pair listed was destroyed by the reset and its qid freed.
 * Vectors and eventfds, IOVA windows and DMA mappings survive. */
typedef void (*NvpHwResetFunc)(NvpHwCtrl *ctrl, const guint16 *lost_qids, guint n_lost,
                               gpointer data);

/* Adopt the PCI function pci_addr ("0000:00:04.0"): identity via libnvme while kernel-bound,
 * refuse if a namespace is in use, bind to vfio-pci, open group/container/device, map BAR0,
 * reset + enable, admin queue, Identify, Set Features Number of Queues (maximum), MSI-X enabled
 * for every vector (vector 0 on the admin eventfd, the others without trigger). On error the device is left as it was found.
 * opts may be NULL. */
NvpHwCtrl *nvp_hw_ctrl_adopt(const char *pci_addr, const NvpHwCtrlOptions *opts, GError **error);
/* Delete remaining queues, shutdown + disable, MSI-X off, unmap agent DMA, close VFIO, clear
 * driver_override and hand the device back to the kernel (drivers_probe). NULL-safe. */
void nvp_hw_ctrl_release(NvpHwCtrl *ctrl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwCtrl, nvp_hw_ctrl_release)

const char *nvp_hw_ctrl_get_pci_addr(NvpHwCtrl *ctrl);
const struct nvme_id_ctrl *nvp_hw_ctrl_get_id(NvpHwCtrl *ctrl);
/* Active namespace IDs, ascending. */
const guint32 *nvp_hw_ctrl_get_nsids(NvpHwCtrl *ctrl, guint *n_nsids);
guint nvp_hw_ctrl_get_n_namespaces(NvpHwCtrl *ctrl);
/* NULL if nsid is not an active namespace. */
const struct nvme_id_ns *nvp_hw_ctrl_get_ns(NvpHwCtrl *ctrl, guint32 nsid);
/* LBA data size in bytes of the namespace's current format; 0 if inactive. */
guint32 nvp_hw_ctrl_get_lba_size(NvpHwCtrl *ctrl, guint32 nsid);
/* I/O queue pairs granted by Set Features Number of Queues. */
guint nvp_hw_ctrl_get_max_qpairs(NvpHwCtrl *ctrl);
guint nvp_hw_ctrl_get_n_free_qpairs(NvpHwCtrl *ctrl);
/* Maximum entries per I/O queue (CAP.MQES + 1). */
guint32 nvp_hw_ctrl_get_max_queue_entries(NvpHwCtrl *ctrl);
/* MSI-X vectors of the device; vector 0 belongs to the admin queue. */
guint nvp_hw_ctrl_get_n_vectors(NvpHwCtrl *ctrl);
/* Maximum data transfer size in bytes; 0 means no limit. */
guint32 nvp_hw_ctrl_get_mdts_bytes(NvpHwCtrl *ctrl);
/* Controller memory page size (CC.MPS) in bytes: PRP entries are in these units. */
guint32 nvp_hw_ctrl_get_page_size(NvpHwCtrl *ctrl);

/* IOVA windows, disjoint from each other and from the agent window, inside the IOMMU's valid
 * ranges; aligned to 2 MiB. */
gboolean nvp_hw_ctrl_window_alloc(NvpHwCtrl *ctrl, guint64 size, guint64 *iova_base,
                                  GError **error);
void nvp_hw_ctrl_window_free(NvpHwCtrl *ctrl, guint64 iova_base);
/* IOVAs below this address are never allocated by the agent: a trusted slice maps guest memory
 * there at IOVA = GPA. */
guint64 nvp_hw_ctrl_get_iova_floor(NvpHwCtrl *ctrl);
/* VFIO_IOMMU_MAP_DMA / UNMAP_DMA; vaddr, iova and size aligned to the IOMMU page size.
 * The caller keeps vaddr mapped until it has unmapped the IOVA range. */
gboolean nvp_hw_ctrl_dma_map(NvpHwCtrl *ctrl, void *vaddr, guint64 iova, guint64 size,
                             gboolean writable, GError **error);
gboolean nvp_hw_ctrl_dma_unmap(NvpHwCtrl *ctrl, guint64 iova, guint64 size, GError **error);

/* Zeroed, page-aligned memory mapped read/write in the agent window. */
NvpHwDmaBuf *nvp_hw_dma_buf_new(NvpHwCtrl *ctrl, gsize size, GError **error);
void nvp_hw_dma_buf_free(NvpHwDmaBuf *buf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwDmaBuf, nvp_hw_dma_buf_free)

/* Create I/O CQ then SQ with a free qid, both physically contiguous at the given IOVAs (already
 * mapped by the caller), entries <= max_queue_entries. vector -1 creates the CQ with interrupts
 * disabled, else it must be 1..n_vectors-1. */
gboolean nvp_hw_ctrl_qpair_create(NvpHwCtrl *ctrl, guint64 cq_iova, guint32 cq_entries, int vector,
                                  guint64 sq_iova, guint32 sq_entries, guint16 *qid_out,
                                  GError **error);
/* Delete SQ (the controller aborts what is outstanding) then CQ, and free the qid. */
gboolean nvp_hw_ctrl_qpair_delete(NvpHwCtrl *ctrl, guint16 qid, GError **error);
/* Doorbells of qid (mapped BAR0); NULL for qid 0 or beyond max_qpairs. */
volatile guint32 *nvp_hw_ctrl_sq_doorbell(NvpHwCtrl *ctrl, guint16 qid);
volatile guint32 *nvp_hw_ctrl_cq_doorbell(NvpHwCtrl *ctrl, guint16 qid);

/* Vectors 1..n_vectors-1 are handed out lowest first. */
gboolean nvp_hw_ctrl_vector_alloc(NvpHwCtrl *ctrl, guint *vector, GError **error);
/* Detaches any eventfd and returns the vector. */
void nvp_hw_ctrl_vector_free(NvpHwCtrl *ctrl, guint vector);
/* Signal fd (any eventfd, e.g. received over a socket from QEMU) on an allocated MSI-X vector;
 * -1 detaches it (no trigger: the kernel masks the vector, an interrupt stays pending). The
 * caller keeps ownership of fd: the kernel holds its own reference until detach. */
gboolean nvp_hw_ctrl_vector_set_eventfd(NvpHwCtrl *ctrl, guint vector, int fd, GError **error);

/* Synchronous admin command (thread-safe). cmd->cid is assigned here. timeout_ms 0 uses the
 * default. On timeout an Abort is sent; if that fails too the controller is reset (reset
 * callback). status is the CQE status field without phase (0 = success); an error status returns
 * FALSE with NVP_HW_ERROR_NVME_STATUS and still fills cqe_dw0/status. Output pointers may be NULL. */
gboolean nvp_hw_ctrl_admin(NvpHwCtrl *ctrl, const NvpNvmeSqe *cmd, guint32 *cqe_dw0,
                           guint16 *status, guint timeout_ms, GError **error);

void nvp_hw_ctrl_set_reset_callback(NvpHwCtrl *ctrl, NvpHwResetFunc func, gpointer data);
/* Called when the controller goes from no live I/O queue pair to some (live TRUE) or back (a
 * delete, or a reset that destroyed them), from the thread that created or deleted the queue
 * pair, never with the controller lock held; calls are serialised and alternate. Meant to run the
 * health check only while there is I/O to lose: an idle controller needs no polling, and a dead
 * one is found by its next admin command (timeout, abort, reset). Setting it calls func at once
 * if queue pairs are already live. */
typedef void (*NvpHwQueuesFunc)(NvpHwCtrl *ctrl, gboolean live, gpointer data);
void nvp_hw_ctrl_set_queues_callback(NvpHwCtrl *ctrl, NvpHwQueuesFunc func, gpointer data);
/* Reads CSTS; on CFS (or all-ones: device gone) resets the controller, calls the reset callback
 * and returns FALSE with NVP_HW_ERROR_FATAL. Call it periodically (e.g. a 1 s GLib timeout) while
 * the queues callback says I/O queue pairs are live. */
gboolean nvp_hw_ctrl_check_health(NvpHwCtrl *ctrl, GError **error);
/* Controller reset: all I/O queues are lost (reported through the callback), admin queue and
 * Number of Queues re-established. */
gboolean nvp_hw_ctrl_reset(NvpHwCtrl *ctrl, GError **error);
