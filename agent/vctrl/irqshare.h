/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MSI-X vector sharing: one hardware vector whose eventfd the agent owns, the guest CQs behind
 * it, and the demultiplexer that turns a wake-up into interrupts of the CQs with new entries. */
#pragma once

#include <glib.h>

#include "common/nvme-wire.h"

/* A guest CQ as the agent follows it. head/head_phase: where the guest has consumed up to (its CQ
 * head doorbells) and the phase tag a new entry there carries; seen/seen_phase: the first entry
 * not yet announced to the guest by an interrupt of ours. Kept for every interrupt-driven queue,
 * so a queue with a dedicated vector can join a shared one at any time. Fields are read-only
 * outside irqshare.c except guest_fd. */
typedef struct {
    const NvpNvmeCqe *ring; /* agent mapping of the guest CQ; NULL: never scanned */
    guint32 size;
    int guest_fd; /* eventfd of the guest's vector (not owned); -1: none, entries wait */
    guint32 head;
    guint8 head_phase;
    guint32 seen;
    guint8 seen_phase;
    gboolean attached;
    guint64 n_signalled; /* guest interrupts sent for this CQ */
} NvpIrqShareCq;

/* A new, empty CQ (head 0, phase 1). */
void nvp_irq_share_cq_init(NvpIrqShareCq *cq, const NvpNvmeCqe *ring, guint32 size, int guest_fd);
/* The guest wrote its CQ head doorbell (a value >= size is ignored). */
void nvp_irq_share_cq_set_head(NvpIrqShareCq *cq, guint32 head);

typedef struct _NvpIrqShare NvpIrqShare;

/* An eventfd for hardware vector hw_vector, watched in context (NULL: the thread-default one):
 * each wake-up runs nvp_irq_share_dispatch() there. Attach the CQs and the fd to the vector. */
NvpIrqShare *nvp_irq_share_new(guint hw_vector, GMainContext *context, GError **error);
/* Stops watching and closes the eventfd; detach it from the hardware vector first. NULL ok. */
void nvp_irq_share_free(NvpIrqShare *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpIrqShare, nvp_irq_share_free)

int nvp_irq_share_get_fd(NvpIrqShare *s);
guint nvp_irq_share_get_hw_vector(NvpIrqShare *s);
guint nvp_irq_share_get_n_cqs(NvpIrqShare *s);
guint64 nvp_irq_share_get_wakeups(NvpIrqShare *s);

/* cq stays the caller's and must stay valid, with its ring mapped, until detached. The agent
 * announces nothing for a CQ on a vector of its own, so there everything past the guest's head
 * counts as new: joining a share may repeat one interrupt the hardware sent already. */
void nvp_irq_share_attach(NvpIrqShare *s, NvpIrqShareCq *cq);
void nvp_irq_share_detach(NvpIrqShare *s, NvpIrqShareCq *cq);

/* Every attached CQ with a guest eventfd and new entries past what was announced gets exactly
 * one interrupt (1 written to guest_fd). Returns the number of interrupts sent. */
guint nvp_irq_share_scan(NvpIrqShare *s);
/* One wake-up: drains the eventfd, then scans. What the main loop runs; exposed for tests. */
guint nvp_irq_share_dispatch(NvpIrqShare *s);
