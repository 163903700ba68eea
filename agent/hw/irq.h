/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MSI-X vectors of the adopted device through VFIO_DEVICE_SET_IRQS: all vectors enabled at
 * bring-up, vector 0 on the admin eventfd, any eventfd attachable to any other vector. */
#pragma once

#include <glib.h>

#include "agent/hw/vfio.h"

typedef struct _NvpHwIrq NvpHwIrq;

/* Enables MSI-X with every vector the device has: vector 0 signals the admin eventfd, the
 * others have no trigger ("parked": the kernel keeps the vector masked). */
NvpHwIrq *nvp_hw_irq_new(NvpHwVfio *vfio, const char *pci_addr, GError **error);
/* Disables MSI-X and closes the admin eventfd. NULL-safe. */
void nvp_hw_irq_free(NvpHwIrq *irq);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwIrq, nvp_hw_irq_free)

guint nvp_hw_irq_get_n_vectors(NvpHwIrq *irq);
/* VFIO_IRQ_INFO_NORESIZE: the vector count is fixed once enabled (no dynamic MSI-X). */
gboolean nvp_hw_irq_get_noresize(NvpHwIrq *irq);
int nvp_hw_irq_get_admin_eventfd(NvpHwIrq *irq);
/* fd -1 parks the vector. Vector 0 cannot be changed. */
gboolean nvp_hw_irq_set_eventfd(NvpHwIrq *irq, guint vector, int fd, GError **error);
