/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interrupt state of one vfio-user device: per IRQ type and vector the trigger eventfd the client
 * handed over, the mask bit and the pending bit (internal to agent/vfu). */
#pragma once

#include <glib.h>

typedef struct _NvpVfuIrqs NvpVfuIrqs;

NvpVfuIrqs *nvp_vfu_irqs_new(guint n_types, const guint *counts);
void nvp_vfu_irqs_free(NvpVfuIrqs *irqs); /* closes every fd; NULL ok */

guint nvp_vfu_irqs_n_types(NvpVfuIrqs *irqs);
guint nvp_vfu_irqs_count(NvpVfuIrqs *irqs, guint type); /* 0 for unknown types */

/* Replaces the eventfds of [start, start+n): fds[i] (taken over) or -1 to clear; the old fds are
 * appended to *old_fds for the caller to close once the layer above was told. Range checked by
 * the caller. */
void nvp_vfu_irqs_set_fds(NvpVfuIrqs *irqs, guint type, guint start, guint n, const int *fds,
                          GArray *old_fds);
/* Clears every fd of every type, old fds into *old_fds; returns TRUE if any was set. */
gboolean nvp_vfu_irqs_clear_type(NvpVfuIrqs *irqs, guint type, GArray *old_fds);
int nvp_vfu_irqs_fd(NvpVfuIrqs *irqs, guint type, guint vector); /* -1 if none or out of range */

void nvp_vfu_irqs_trigger(NvpVfuIrqs *irqs, guint type, guint vector);
void nvp_vfu_irqs_set_masked(NvpVfuIrqs *irqs, guint type, guint vector, gboolean masked);
gboolean nvp_vfu_irqs_masked(NvpVfuIrqs *irqs, guint type, guint vector);
gboolean nvp_vfu_irqs_pending(NvpVfuIrqs *irqs, guint type, guint vector);
/* Mask bits and pending bits back to 0 (device reset, disconnect). */
void nvp_vfu_irqs_reset_state(NvpVfuIrqs *irqs);
