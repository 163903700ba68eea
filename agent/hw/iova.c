/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IOVA space allocator: first fit over the valid ranges, aligned, coalescing on release. */
#include "agent/hw/iova.h"

#include "agent/hw/error.h"
#include "common/i18n.h"

struct _NvpHwIova {
    guint64 page_size;
    GArray *free; /* NvpHwIovaRange, sorted by start, disjoint, not adjacent */
    GArray *used; /* NvpHwIovaRange, one per allocation, unsorted */
};

static gint
range_cmp(gconstpointer a, gconstpointer b)
{
    const NvpHwIovaRange *ra = a, *rb = b;

    return ra->start < rb->start ? -1 : ra->start > rb->start ? 1 : 0;
}

NvpHwIova *
nvp_hw_iova_new(const NvpHwIovaRange *ranges, guint n_ranges, guint64 page_size)
{
    NvpHwIova *iova;
    g_autoptr(GArray) in = g_array_new(FALSE, FALSE, sizeof(NvpHwIovaRange));

    g_return_val_if_fail(page_size && (page_size & (page_size - 1)) == 0, NULL);
    iova = g_new0(NvpHwIova, 1);
    iova->page_size = page_size;
    iova->free = g_array_new(FALSE, FALSE, sizeof(NvpHwIovaRange));
    iova->used = g_array_new(FALSE, FALSE, sizeof(NvpHwIovaRange));

    /* Page-align every range inward, drop page 0, then sort and merge. */
    for (guint i = 0; i < n_ranges; i++) {
        NvpHwIovaRange r = ranges[i];
        guint64 start = MAX(r.start, page_size);

        if (r.last < start)
            continue;
        if (start & (page_size - 1)) {
            if (start > G_MAXUINT64 - page_size)
                continue;
            start = (start + page_size - 1) & ~(page_size - 1);
        }
        if (((r.last + 1) & (page_size - 1)) != 0) {
            guint64 end = (r.last + 1) & ~(page_size - 1); /* exclusive; r.last+1 may wrap to 0 */
            if (end == 0 || end <= start)
                continue;
            r.last = end - 1;
        }
        if (r.last < start)
            continue;
        r.start = start;
        g_array_append_val(in, r);
    }
    g_array_sort(in, range_cmp);
    for (guint i = 0; i < in->len; i++) {
        NvpHwIovaRange r = g_array_index(in, NvpHwIovaRange, i);
        NvpHwIovaRange *prev = iova->free->len
                                   ? &g_array_index(iova->free, NvpHwIovaRange, iova->free->len - 1)
                                   : NULL;

        if (prev && (r.start <= prev->last || r.start == prev->last + 1)) {
            prev->last = MAX(prev->last, r.last);
            continue;
        }
        g_array_append_val(iova->free, r);
    }
    return iova;
}

void
nvp_hw_iova_free(NvpHwIova *iova)
{
    if (!iova)
        return;
    g_array_unref(iova->free);
    g_array_unref(iova->used);
    g_free(iova);
}

gboolean
nvp_hw_iova_alloc(NvpHwIova *iova, guint64 size, guint64 align, guint64 *base, GError **error)
{
    if (align == 0)
        align = iova->page_size;
    if (size == 0 || (align & (align - 1)) != 0) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("Invalid IOVA allocation: size %llu, alignment %llu."),
                    (unsigned long long)size, (unsigned long long)align);
        return FALSE;
    }
    align = MAX(align, iova->page_size);
    if (size > G_MAXUINT64 - iova->page_size) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                    _("No free IOVA range of %llu bytes."), (unsigned long long)size);
        return FALSE;
    }
    size = (size + iova->page_size - 1) & ~(iova->page_size - 1);

    for (guint i = 0; i < iova->free->len; i++) {
        NvpHwIovaRange *r = &g_array_index(iova->free, NvpHwIovaRange, i);
        NvpHwIovaRange head, tail, used;
        guint64 start;

        if (r->start > G_MAXUINT64 - (align - 1))
            continue;
        start = (r->start + align - 1) & ~(align - 1);
        if (start > r->last || size - 1 > r->last - start)
            continue;

        head = (NvpHwIovaRange){ r->start, start - 1 };
        tail = (NvpHwIovaRange){ start + size, r->last };
        used = (NvpHwIovaRange){ start, start + size - 1 };
        gboolean has_head = start > r->start;
        gboolean has_tail = used.last < r->last;

        g_array_remove_index(iova->free, i);
        if (has_tail)
            g_array_insert_val(iova->free, i, tail);
        if (has_head)
            g_array_insert_val(iova->free, i, head);
        g_array_append_val(iova->used, used);
        *base = start;
        return TRUE;
    }
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                _("No free IOVA range of %llu bytes aligned to %llu is left."),
                (unsigned long long)size, (unsigned long long)align);
    return FALSE;
}

gboolean
nvp_hw_iova_release(NvpHwIova *iova, guint64 base)
{
    NvpHwIovaRange r;
    guint pos;

    for (pos = 0; pos < iova->used->len; pos++) {
        if (g_array_index(iova->used, NvpHwIovaRange, pos).start == base)
            break;
    }
    if (pos == iova->used->len)
        return FALSE;
    r = g_array_index(iova->used, NvpHwIovaRange, pos);
    g_array_remove_index_fast(iova->used, pos);

    /* Insert sorted, then merge with the neighbours. */
    for (pos = 0; pos < iova->free->len; pos++) {
        if (g_array_index(iova->free, NvpHwIovaRange, pos).start > r.start)
            break;
    }
    g_array_insert_val(iova->free, pos, r);
    if (pos + 1 < iova->free->len) {
        NvpHwIovaRange *cur = &g_array_index(iova->free, NvpHwIovaRange, pos);
        NvpHwIovaRange *next = &g_array_index(iova->free, NvpHwIovaRange, pos + 1);
        if (cur->last + 1 == next->start) {
            cur->last = next->last;
            g_array_remove_index(iova->free, pos + 1);
        }
    }
    if (pos > 0) {
        NvpHwIovaRange *prev = &g_array_index(iova->free, NvpHwIovaRange, pos - 1);
        NvpHwIovaRange *cur = &g_array_index(iova->free, NvpHwIovaRange, pos);
        if (prev->last + 1 == cur->start) {
            prev->last = cur->last;
            g_array_remove_index(iova->free, pos);
        }
    }
    return TRUE;
}

gboolean
nvp_hw_iova_lookup(const NvpHwIova *iova, guint64 addr, guint64 *base, guint64 *size)
{
    for (guint i = 0; i < iova->used->len; i++) {
        const NvpHwIovaRange *r = &g_array_index(iova->used, NvpHwIovaRange, i);

        if (addr >= r->start && addr <= r->last) {
            if (base)
                *base = r->start;
            if (size)
                *size = r->last - r->start + 1;
            return TRUE;
        }
    }
    return FALSE;
}

guint64
nvp_hw_iova_get_free_bytes(const NvpHwIova *iova)
{
    guint64 total = 0;

    for (guint i = 0; i < iova->free->len; i++) {
        const NvpHwIovaRange *r = &g_array_index(iova->free, NvpHwIovaRange, i);
        guint64 len = r->last - r->start + 1;

        total = (len == 0 || total > G_MAXUINT64 - len) ? G_MAXUINT64 : total + len;
    }
    return total;
}

guint
nvp_hw_iova_get_n_allocations(const NvpHwIova *iova)
{
    return iova->used->len;
}

guint64
nvp_hw_iova_get_page_size(const NvpHwIova *iova)
{
    return iova->page_size;
}
