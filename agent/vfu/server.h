/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user server for one endpoint: a listening UNIX socket, one client at a time, message
 * dispatch on the GLib main loop. Transport only: knows nothing of NVMe (docs/design.md). */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "agent/vfu/dma.h"
#include "agent/vfu/error.h"
#include "agent/vfu/proto.h"

/* Region indexes for PCI devices are VFIO's: VFIO_PCI_BAR0_REGION_INDEX (0) ..
 * VFIO_PCI_BAR5_REGION_INDEX (5), VFIO_PCI_ROM_REGION_INDEX (6), VFIO_PCI_CONFIG_REGION_INDEX (7),
 * VFIO_PCI_VGA_REGION_INDEX (8). IRQ indexes: VFIO_PCI_INTX_IRQ_INDEX (0), MSI (1), MSIX (2),
 * ERR (3), REQ (4). All from <linux/vfio.h>. */

typedef struct {
    guint64 size;  /* 0: region absent (reported with size 0, no access) */
    guint32 flags; /* VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE */
} NvpVfuRegionConfig;

typedef struct {
    /* Listening socket path; NULL for no listener (clients then come only through
     * nvp_vfu_server_attach_client()). A stale socket file at the path is replaced. */
    const char *socket_path;
    gboolean set_owner; /* chown the socket to uid:gid */
    uid_t uid;
    gid_t gid;
    guint mode;      /* socket file mode; 0 means 0600 */
    guint n_regions; /* VFIO_PCI_NUM_REGIONS (9) for a PCI device */
    NvpVfuRegionConfig regions[NVP_VFU_MAX_REGIONS];
    guint n_irq_types; /* VFIO_PCI_NUM_IRQS (5) for a PCI device */
    guint irq_counts[NVP_VFU_MAX_IRQ_TYPES];
    guint max_dma_regions; /* 0: NVP_VFU_DEFAULT_MAX_DMA_MAPS */
    guint32 max_data_xfer; /* 0: NVP_VFU_DEFAULT_MAX_XFER; largest REGION_READ/WRITE count */
    GMainContext *context; /* NULL: the thread-default context at creation */
} NvpVfuServerConfig;

/* Device callbacks; all run in the server's main context, never re-entered, and must not free the
 * server. region_access is mandatory, the others optional (NULL). */
typedef struct {
    /* offset+len is inside the region (checked); the device checks widths/alignment. Returns 0
     * or -errno (sent to the client as the error of the reply). */
    int (*region_access)(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                         gboolean is_write);
    void (*dma_added)(gpointer dev, const NvpVfuDmaRegion *r); /* after DMA_MAP installed it */
    /* BEFORE a region is unmapped (DMA_UNMAP, disconnect, server free): stop every hardware queue
     * and DMA that can reach it. The region is still mapped during the call. */
    void (*dma_removing)(gpointer dev, const NvpVfuDmaRegion *r);
    /* eventfds of [start, start+count) of irq_index were set or cleared (also on disconnect);
     * nvp_vfu_irq_eventfd() already returns the new state, old fds are still open during the call */
    void (*irqs_changed)(gpointer dev, guint irq_index, guint start, guint count);
    void (*reset)(gpointer dev); /* DEVICE_RESET */
    /* client gone: every DMA region was announced removing and is unmapped, irqs cleared */
    void (*disconnected)(gpointer dev);
} NvpVfuDeviceOps;

typedef struct _NvpVfuServer NvpVfuServer;

/* Statistics of one server (since creation). */
typedef struct {
    guint64 n_messages; /* commands received */
    guint64 n_errors;   /* error replies sent (or due but suppressed by NO_REPLY) */
    guint64 n_region_writes;
    guint64 n_region_reads;
    guint64 n_clients;     /* clients accepted */
    guint64 n_disconnects; /* clients dropped for protocol violations */
} NvpVfuServerStats;

NvpVfuServer *nvp_vfu_server_new(const NvpVfuServerConfig *cfg, const NvpVfuDeviceOps *ops,
                                 gpointer dev, GError **error);
/* Drops the client (dma_removing for each region, irqs_changed, disconnected), closes the
 * listener and unlinks its socket path. NULL ok. */
void nvp_vfu_server_free(NvpVfuServer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpVfuServer, nvp_vfu_server_free)

/* Serves an already connected stream socket (socketpair, socket activation). Takes fd on
 * success; NVP_VFU_ERROR_BUSY if a client is attached. */
gboolean nvp_vfu_server_attach_client(NvpVfuServer *s, int fd, GError **error);
gboolean nvp_vfu_server_has_client(NvpVfuServer *s);
/* Drops the current client as if it had disconnected. */
void nvp_vfu_server_disconnect(NvpVfuServer *s);
const char *nvp_vfu_server_get_path(NvpVfuServer *s);
void nvp_vfu_server_get_stats(NvpVfuServer *s, NvpVfuServerStats *out);

/* DMA: agent pointer for [gpa, gpa+len) if wholly inside one fd-backed mapped region that allows
 * the access; NULL otherwise (fd-less regions, e.g. QEMU's ROM, are never accessible). */
void *nvp_vfu_dma_translate(NvpVfuServer *s, guint64 gpa, guint64 len, gboolean write);
const NvpVfuDmaRegion *nvp_vfu_dma_lookup(NvpVfuServer *s, guint64 gpa);
void nvp_vfu_dma_foreach(NvpVfuServer *s, NvpVfuDmaFunc func, gpointer data);

/* IRQs: the trigger eventfd the client gave for (irq_index, vector), or -1. The fd stays owned by
 * the server (dup it to keep it beyond the next irqs_changed). */
int nvp_vfu_irq_eventfd(NvpVfuServer *s, guint irq_index, guint vector);
/* Signals the vector (writes 1 to its eventfd); if the vector is masked the interrupt is left
 * pending and fires on unmask. No-op without an eventfd. */
void nvp_vfu_irq_trigger(NvpVfuServer *s, guint irq_index, guint vector);
gboolean nvp_vfu_irq_masked(NvpVfuServer *s, guint irq_index, guint vector);
gboolean nvp_vfu_irq_pending(NvpVfuServer *s, guint irq_index, guint vector);
