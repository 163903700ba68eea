/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The admin queue pair of the adopted controller: submission, completion wait with timeout
 * (interrupt on vector 0's eventfd plus a periodic check), stale completions skipped. */
#pragma once

#include <glib.h>

#include "agent/hw/queue.h"

typedef struct _NvpHwAdmin NvpHwAdmin;

/* Rings in DMA memory (entries each), doorbells in BAR0, eventfd of MSI-X vector 0 (-1: poll). */
NvpHwAdmin *nvp_hw_admin_new(void *sq_ring, void *cq_ring, guint32 entries,
                             volatile guint32 *sq_doorbell, volatile guint32 *cq_doorbell,
                             int eventfd, const char *pci_addr);
void nvp_hw_admin_free(NvpHwAdmin *admin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwAdmin, nvp_hw_admin_free)

/* After a controller reset: clear both rings, head/tail 0, phase 1. */
void nvp_hw_admin_reset(NvpHwAdmin *admin);
/* Copies cmd into the SQ with a fresh CID (returned) and rings the doorbell. Not thread-safe:
 * the owner serializes. FALSE (NVP_HW_ERROR_NO_SPACE) if the SQ is full. */
gboolean nvp_hw_admin_submit(NvpHwAdmin *admin, const NvpNvmeSqe *cmd, guint16 *cid,
                             GError **error);
/* Waits up to timeout_ms for the completion of cid; completions of other CIDs (late ones of
 * aborted commands) are consumed and dropped. NVP_HW_ERROR_TIMEOUT when it does not come. */
gboolean nvp_hw_admin_wait(NvpHwAdmin *admin, guint16 cid, guint timeout_ms, NvpNvmeCqe *cqe,
                           GError **error);
/* Same for whichever of cid_a / cid_b completes first (see cqe->cid). */
gboolean nvp_hw_admin_wait_any(NvpHwAdmin *admin, guint16 cid_a, guint16 cid_b, guint timeout_ms,
                               NvpNvmeCqe *cqe, GError **error);
