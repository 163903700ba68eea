/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOVA space allocator: first-fit over the IOMMU's valid IOVA ranges (from
 * VFIO_IOMMU_GET_INFO), aligned allocations, coalescing release. Pure bookkeeping: no ioctls. */
#pragma once

#include <glib.h>

typedef struct {
    guint64 start;
    guint64 last; /* inclusive */
} NvpHwIovaRange;

typedef struct _NvpHwIova NvpHwIova;

/* ranges may be unsorted and overlapping; every allocation is aligned to at least page_size
 * (a power of two) and IOVA 0..page_size-1 is never handed out. */
NvpHwIova *nvp_hw_iova_new(const NvpHwIovaRange *ranges, guint n_ranges, guint64 page_size);
void nvp_hw_iova_free(NvpHwIova *iova);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwIova, nvp_hw_iova_free)

/* size is rounded up to page_size; align 0 means page_size; must be a power of two.
 * NVP_HW_ERROR_NO_SPACE when no free range fits, NVP_HW_ERROR_INVALID for size 0/bad align. */
gboolean nvp_hw_iova_alloc(NvpHwIova *iova, guint64 size, guint64 align, guint64 *base,
                           GError **error);
/* Frees the allocation starting at base; FALSE if base is not the start of one. */
gboolean nvp_hw_iova_release(NvpHwIova *iova, guint64 base);
/* The allocation containing addr (base and rounded size); FALSE if none. */
gboolean nvp_hw_iova_lookup(const NvpHwIova *iova, guint64 addr, guint64 *base, guint64 *size);
guint64 nvp_hw_iova_get_free_bytes(const NvpHwIova *iova);
guint nvp_hw_iova_get_n_allocations(const NvpHwIova *iova);
guint64 nvp_hw_iova_get_page_size(const NvpHwIova *iova);
