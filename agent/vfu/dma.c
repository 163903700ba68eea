/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DMA region table of one vfio-user connection: a sorted array of disjoint regions, fd-backed
 * ones mmapped MAP_SHARED; binary search for GPA lookups (the per-command hot path). */
#include "agent/vfu/dma.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/vfu/proto.h"

struct _NvpVfuDmaTable {
    GArray *regions; /* NvpVfuDmaRegion, sorted by gpa, disjoint */
    guint max_regions;
};

NvpVfuDmaTable *
nvp_vfu_dma_table_new(guint max_regions)
{
    NvpVfuDmaTable *t = g_new0(NvpVfuDmaTable, 1);

    t->regions = g_array_new(FALSE, TRUE, sizeof(NvpVfuDmaRegion));
    t->max_regions = max_regions ? max_regions : NVP_VFU_DEFAULT_MAX_DMA_MAPS;
    return t;
}

static void
region_release(NvpVfuDmaRegion *r)
{
    if (r->vaddr)
        munmap(r->vaddr, r->size);
    if (r->fd >= 0)
        close(r->fd);
    r->vaddr = NULL;
    r->fd = -1;
}

void
nvp_vfu_dma_table_clear(NvpVfuDmaTable *t, NvpVfuDmaRemovingFunc func, gpointer data)
{
    if (!t)
        return;
    /* Announce every region before any is unmapped: the layer above stops all queues first. */
    if (func) {
        for (guint i = 0; i < t->regions->len; i++)
            func(&g_array_index(t->regions, NvpVfuDmaRegion, i), data);
    }
    for (guint i = 0; i < t->regions->len; i++)
        region_release(&g_array_index(t->regions, NvpVfuDmaRegion, i));
    g_array_set_size(t->regions, 0);
}

void
nvp_vfu_dma_table_free(NvpVfuDmaTable *t)
{
    if (!t)
        return;
    nvp_vfu_dma_table_clear(t, NULL, NULL);
    g_array_unref(t->regions);
    g_free(t);
}

/* Index of the first region with gpa + size > addr (i.e. that ends after addr). */
static guint
first_ending_after(NvpVfuDmaTable *t, guint64 addr)
{
    guint lo = 0, hi = t->regions->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        const NvpVfuDmaRegion *r = &g_array_index(t->regions, NvpVfuDmaRegion, mid);

        if (r->gpa + r->size <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static gboolean
aligned(guint64 v)
{
    return (v & (NVP_VFU_PAGE_SIZE - 1)) == 0;
}

int
nvp_vfu_dma_table_add(NvpVfuDmaTable *t, guint64 gpa, guint64 size, int fd, guint64 fd_offset,
                      gboolean readable, gboolean writable, const NvpVfuDmaRegion **out)
{
    NvpVfuDmaRegion r = { .gpa = gpa,
                          .size = size,
                          .fd = -1,
                          .fd_offset = fd_offset,
                          .readable = readable,
                          .writable = writable };
    guint idx;

    if (size == 0 || !aligned(gpa) || !aligned(size) || gpa + size < gpa)
        return EINVAL;
    if (!readable && !writable)
        return EINVAL;
    if (fd < 0 && fd_offset != 0)
        return EINVAL;
    if (fd >= 0 && (!aligned(fd_offset) || fd_offset + size < fd_offset ||
                    fd_offset + size > (guint64)G_MAXINT64))
        return EINVAL;

    idx = first_ending_after(t, gpa);
    if (idx < t->regions->len) {
        const NvpVfuDmaRegion *next = &g_array_index(t->regions, NvpVfuDmaRegion, idx);

        if (next->gpa < gpa + size)
            return EEXIST;
    }
    if (t->regions->len >= t->max_regions)
        return ENOSPC;

    if (fd >= 0) {
        struct stat st;
        int prot = (readable ? PROT_READ : 0) | (writable ? PROT_WRITE : 0);
        int seals;
        void *p;

        /* Only regular files (memfd, hugetlbfs, tmpfs) that really cover the range: touching a
         * mapping past EOF would SIGBUS the agent. */
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
            return EINVAL;
        if ((guint64)st.st_size < fd_offset + size)
            return EINVAL;
        /* A file that can still shrink under our mapping would SIGBUS the agent (and with it
         * every slice): require F_SEAL_SHRINK, adding it when the memfd allows sealing. QEMU's
         * memory-backend-memfd (libvirt <source type='memfd'/>) is sealed by default; files
         * that cannot be sealed (seal=off memfds, plain tmpfs/hugetlbfs files) are refused. */
        seals = fcntl(fd, F_GET_SEALS);
        if (seals >= 0 && !(seals & F_SEAL_SHRINK) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
            seals |= F_SEAL_SHRINK;
        if (seals < 0 || !(seals & F_SEAL_SHRINK))
            return EPERM;
        p = mmap(NULL, size, prot, MAP_SHARED, fd, (off_t)fd_offset);
        if (p == MAP_FAILED)
            return errno == ENOMEM ? ENOMEM : EINVAL;
        r.vaddr = p;
        r.fd = fd;
    }

    g_array_insert_val(t->regions, idx, r);
    if (out)
        *out = &g_array_index(t->regions, NvpVfuDmaRegion, idx);
    return 0;
}

int
nvp_vfu_dma_table_remove(NvpVfuDmaTable *t, guint64 gpa, guint64 size, NvpVfuDmaRemovingFunc func,
                         gpointer data)
{
    guint64 end = gpa + size;
    guint first, last;

    if (size == 0 || end < gpa)
        return EINVAL;

    first = first_ending_after(t, gpa);
    last = first;
    while (last < t->regions->len) {
        const NvpVfuDmaRegion *r = &g_array_index(t->regions, NvpVfuDmaRegion, last);

        if (r->gpa >= end)
            break;
        if (r->gpa < gpa || r->gpa + r->size > end)
            return EINVAL; /* straddles the range: unmap only whole regions */
        last++;
    }
    if (last == first)
        return ENOENT;

    if (func) {
        for (guint i = first; i < last; i++)
            func(&g_array_index(t->regions, NvpVfuDmaRegion, i), data);
    }
    for (guint i = first; i < last; i++)
        region_release(&g_array_index(t->regions, NvpVfuDmaRegion, i));
    g_array_remove_range(t->regions, first, last - first);
    return 0;
}

const NvpVfuDmaRegion *
nvp_vfu_dma_table_lookup(NvpVfuDmaTable *t, guint64 gpa)
{
    guint idx = first_ending_after(t, gpa);
    const NvpVfuDmaRegion *r;

    if (idx >= t->regions->len)
        return NULL;
    r = &g_array_index(t->regions, NvpVfuDmaRegion, idx);
    return r->gpa <= gpa ? r : NULL;
}

void *
nvp_vfu_dma_table_translate(NvpVfuDmaTable *t, guint64 gpa, guint64 len, gboolean write)
{
    const NvpVfuDmaRegion *r;
    guint64 off;

    if (len == 0)
        return NULL;
    r = nvp_vfu_dma_table_lookup(t, gpa);
    if (!r || !r->vaddr)
        return NULL;
    if (write ? !r->writable : !r->readable)
        return NULL;
    off = gpa - r->gpa;
    if (len > r->size - off)
        return NULL;
    return (guint8 *)r->vaddr + off;
}

void
nvp_vfu_dma_table_foreach(NvpVfuDmaTable *t, NvpVfuDmaFunc func, gpointer data)
{
    for (guint i = 0; i < t->regions->len; i++)
        func(&g_array_index(t->regions, NvpVfuDmaRegion, i), data);
}

guint
nvp_vfu_dma_table_count(NvpVfuDmaTable *t)
{
    return t->regions->len;
}
