/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DMA region table of one vfio-user connection: regions from DMA_MAP/DMA_UNMAP, fd-backed ones
 * mmapped shared, with overlap/alignment/count checks and bounds-checked GPA->pointer lookups. */
#pragma once

#include <glib.h>

typedef struct {
    guint64 gpa;       /* guest physical (client DMA) address, page aligned */
    guint64 size;      /* bytes, page multiple, > 0 */
    void *vaddr;       /* agent mapping of [gpa, gpa+size); NULL for fd-less regions */
    int fd;            /* owned by the table; -1 for fd-less regions */
    guint64 fd_offset; /* file offset of gpa in fd */
    gboolean readable;
    gboolean writable;
} NvpVfuDmaRegion;

typedef void (*NvpVfuDmaFunc)(const NvpVfuDmaRegion *region, gpointer data);
/* Called before a region is unmapped; the region is still mapped and valid during the call. */
typedef void (*NvpVfuDmaRemovingFunc)(const NvpVfuDmaRegion *region, gpointer data);

typedef struct _NvpVfuDmaTable NvpVfuDmaTable;

NvpVfuDmaTable *nvp_vfu_dma_table_new(guint max_regions);
/* Announces every region as removing (if func != NULL), unmaps and closes everything. */
void nvp_vfu_dma_table_clear(NvpVfuDmaTable *t, NvpVfuDmaRemovingFunc func, gpointer data);
void nvp_vfu_dma_table_free(NvpVfuDmaTable *t); /* clear() without announcements; NULL ok */

/* Adds a region. fd (-1 for none) is taken over on success only. Returns 0 or a positive errno:
 * EINVAL (zero size, unaligned, overflow, no access flags, bad or too small fd), EPERM (the file
 * is not sealed against shrinking and cannot be: it could SIGBUS the agent), EEXIST (overlaps a
 * region), ENOSPC (max_regions reached), or the mmap errno. *out points into the table. */
int nvp_vfu_dma_table_add(NvpVfuDmaTable *t, guint64 gpa, guint64 size, int fd, guint64 fd_offset,
                          gboolean readable, gboolean writable, const NvpVfuDmaRegion **out);
/* Removes every region wholly inside [gpa, gpa+size), calling func before each unmap. 0, or
 * EINVAL if a region straddles the range boundary (nothing removed), ENOENT if none is inside. */
int nvp_vfu_dma_table_remove(NvpVfuDmaTable *t, guint64 gpa, guint64 size,
                             NvpVfuDmaRemovingFunc func, gpointer data);

/* Agent pointer for [gpa, gpa+len) if it lies wholly inside one fd-backed region that allows the
 * access (write => writable, else readable); NULL otherwise (len 0 is never valid). */
void *nvp_vfu_dma_table_translate(NvpVfuDmaTable *t, guint64 gpa, guint64 len, gboolean write);
/* The region containing gpa, or NULL. */
const NvpVfuDmaRegion *nvp_vfu_dma_table_lookup(NvpVfuDmaTable *t, guint64 gpa);
void nvp_vfu_dma_table_foreach(NvpVfuDmaTable *t, NvpVfuDmaFunc func, gpointer data);
guint nvp_vfu_dma_table_count(NvpVfuDmaTable *t);
