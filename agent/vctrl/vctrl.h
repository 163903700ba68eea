/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One virtual NVMe controller per slice: vfio-user endpoint + PCI function + register file +
 * admin emulation + guest I/O queues bound to dedicated hardware queue pairs in the slice's IOVA
 * window (docs/design.md "Data path"). */
#pragma once

#include <glib.h>
#include <sys/types.h>

#include "common/enum.h"
#include "agent/hw/ctrl.h"

#define NVP_VCTRL_ERROR (nvp_vctrl_error_quark())
GQuark nvp_vctrl_error_quark(void);

typedef enum {
    NVP_VCTRL_ERROR_FAILED,
    NVP_VCTRL_ERROR_INVALID, /* configuration does not fit the controller/namespace */
    NVP_VCTRL_ERROR_BUSY,    /* trusted mode refused: other slices active (or the reverse) */
} NvpVctrlError;

typedef enum {
    NVP_VCTRL_MODE_STRICT,  /* every SQE validated and translated by the agent */
    NVP_VCTRL_MODE_TRUSTED, /* hardware SQ = guest SQ; no isolation from the guest */

    NVP_VCTRL_MODE_LAST
} NvpVctrlMode;
NVP_ENUM_DECL(nvp_vctrl_mode, NvpVctrlMode);

typedef struct {
    const char *name;  /* slice name for logs and stats; NULL: the socket path */
    guint32 nsid;      /* physical namespace */
    guint64 lba_start; /* extent in logical blocks of that namespace */
    guint64 lba_count;
    guint16 n_qpairs;          /* I/O queue pairs granted, 1..64 */
    guint32 max_queue_entries; /* 0: min(hardware, 1024) */
    NvpVctrlMode mode;
    const char *socket_path;
    gboolean set_owner; /* chown the socket */
    uid_t uid;
    gid_t gid;
    const char *serial;  /* NULL: derived from the physical serial, nsid and extent */
    const char *model;   /* NULL: "virt-nvmepool slice" */
    guint8 uuid[16];     /* the volume's UUID; all zero: derived like the serial */
    guint16 cntlid;      /* 0: 1 */
    guint64 window_size; /* IOVA window for guest RAM (strict); 0: 64 GiB */
    /* Hardware MSI-X vectors the slice may hold; 0: no limit. Beyond it (or when the controller
     * has no free vector left) guest CQs share the slice's vectors and the agent demultiplexes
     * (agent/vctrl/irqshare.c). */
    guint16 max_hw_vectors;
} NvpVctrlConfig;

typedef struct _NvpVctrl NvpVctrl;

/* Creates the endpoint (listening socket) of one slice on hw. Refuses a trusted slice when hw
 * already serves another slice, and any slice when hw serves a trusted one. */
NvpVctrl *nvp_vctrl_new(NvpHwCtrl *hw, const NvpVctrlConfig *cfg, GError **error);
/* Teardown order: hardware queues deleted, then DMA unmapped, then the window freed. NULL ok. */
void nvp_vctrl_free(NvpVctrl *v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpVctrl, nvp_vctrl_free)

/* Appends a human-readable dump of the slice's counters. */
void nvp_vctrl_dump_stats(NvpVctrl *v, GString *out);
const char *nvp_vctrl_get_name(NvpVctrl *v);
NvpHwCtrl *nvp_vctrl_get_hw(NvpVctrl *v);

/* The hardware controller was reset (fatal status): the listed hardware queue pairs are gone.
 * Slices using them report Controller Fatal Status so the guest resets the controller. */
void nvp_vctrl_hw_lost_queues(NvpVctrl *v, const guint16 *lost_qids, guint n_lost);
