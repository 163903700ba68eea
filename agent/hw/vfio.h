/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VFIO plumbing for one PCI function: type1 container, group, device fd, IOMMU info caps
 * (valid IOVA ranges), region mmap, DMA map/unmap, IRQ info and SET_IRQS, config space. */
#pragma once

#include <glib.h>

#include "agent/hw/iova.h"

typedef struct _NvpHwVfio NvpHwVfio;

/* Opens /dev/vfio/vfio + /dev/vfio/<group>, checks the group is viable, sets a type1v2 IOMMU
 * and gets the device fd. */
NvpHwVfio *nvp_hw_vfio_open(const char *pci_addr, int group_id, GError **error);
void nvp_hw_vfio_close(NvpHwVfio *vfio);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwVfio, nvp_hw_vfio_close)

int nvp_hw_vfio_get_device_fd(NvpHwVfio *vfio);
/* Valid IOVA ranges (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, or a 39-bit default minus the MSI
 * window when the kernel has no such capability). */
const NvpHwIovaRange *nvp_hw_vfio_get_iova_ranges(NvpHwVfio *vfio, guint *n_ranges);
/* Smallest IOMMU page size. */
guint64 nvp_hw_vfio_get_iova_page_size(NvpHwVfio *vfio);

/* mmaps the part of region `index` starting at offset 0 (whole region or the first sparse
 * mmap area) and checks it covers at least min_size bytes. */
gboolean nvp_hw_vfio_map_region(NvpHwVfio *vfio, guint index, gsize min_size, void **addr,
                                gsize *len, GError **error);
gboolean nvp_hw_vfio_config_read(NvpHwVfio *vfio, guint offset, void *buf, gsize len,
                                 GError **error);
gboolean nvp_hw_vfio_config_write(NvpHwVfio *vfio, guint offset, const void *buf, gsize len,
                                  GError **error);

gboolean nvp_hw_vfio_dma_map(NvpHwVfio *vfio, void *vaddr, guint64 iova, guint64 size,
                             gboolean writable, GError **error);
gboolean nvp_hw_vfio_dma_unmap(NvpHwVfio *vfio, guint64 iova, guint64 size, GError **error);

gboolean nvp_hw_vfio_get_irq_info(NvpHwVfio *vfio, guint index, guint *count, guint32 *flags,
                                  GError **error);
/* ACTION_TRIGGER with eventfds (-1 entries leave a vector without a trigger); count 0 disables
 * the IRQ index. */
gboolean nvp_hw_vfio_set_irqs(NvpHwVfio *vfio, guint index, guint start, guint count,
                              const int *fds, GError **error);

/* VFIO_DEVICE_RESET (function-level reset when the device supports one). */
gboolean nvp_hw_vfio_device_reset(NvpHwVfio *vfio, GError **error);
