/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extent allocator of one namespace: a sorted array of allocated extents, first fit lowest LBA. */
#include "agent/pool/extents.h"

struct _NvpExtentMap {
    guint64 size;
    guint64 align;
    guint64 usable;
    gboolean whole;
    GArray *extents; /* NvpExtent, sorted by start, never overlapping */
};

NvpExtentMap *
nvp_extent_map_new(guint64 size, guint32 block_size)
{
    NvpExtentMap *map = g_new0(NvpExtentMap, 1);

    map->size = size;
    map->align = MAX(NVP_EXTENT_ALIGN, (guint64)block_size);
    map->usable = size - size % map->align;
    map->extents = g_array_new(FALSE, FALSE, sizeof(NvpExtent));
    return map;
}

void
nvp_extent_map_free(NvpExtentMap *map)
{
    if (!map)
        return;
    g_array_unref(map->extents);
    g_free(map);
}

guint64
nvp_extent_map_get_align(const NvpExtentMap *map)
{
    return map->align;
}

guint64
nvp_extent_map_get_usable(const NvpExtentMap *map)
{
    return map->usable;
}

guint64
nvp_extent_map_get_free(const NvpExtentMap *map)
{
    guint64 used = 0;

    for (guint i = 0; i < map->extents->len; i++)
        used += g_array_index(map->extents, NvpExtent, i).length;
    return map->usable - used;
}

/* Calls back for each free gap in address order; stops when func returns TRUE. */
static gboolean
nvp_extent_map_foreach_gap(const NvpExtentMap *map,
                           gboolean (*func)(guint64 start, guint64 length, gpointer data),
                           gpointer data)
{
    guint64 pos = 0;

    for (guint i = 0; i <= map->extents->len; i++) {
        guint64 end =
            i < map->extents->len ? g_array_index(map->extents, NvpExtent, i).start : map->usable;
        if (end > pos && func(pos, end - pos, data))
            return TRUE;
        if (i < map->extents->len) {
            const NvpExtent *e = &g_array_index(map->extents, NvpExtent, i);
            pos = e->start + e->length;
        }
    }
    return FALSE;
}

static gboolean
largest_cb(guint64 start, guint64 length, gpointer data)
{
    guint64 *largest = data;

    if (length > *largest)
        *largest = length;
    return FALSE;
}

guint64
nvp_extent_map_get_largest_free(const NvpExtentMap *map)
{
    guint64 largest = 0;

    nvp_extent_map_foreach_gap(map, largest_cb, &largest);
    return largest;
}

guint
nvp_extent_map_get_n_extents(const NvpExtentMap *map)
{
    return map->extents->len;
}

const NvpExtent *
nvp_extent_map_get_extent(const NvpExtentMap *map, guint i)
{
    g_return_val_if_fail(i < map->extents->len, NULL);
    return &g_array_index(map->extents, NvpExtent, i);
}

gboolean
nvp_extent_map_is_whole(const NvpExtentMap *map)
{
    return map->whole;
}

guint64
nvp_extent_map_round(const NvpExtentMap *map, guint64 length)
{
    guint64 rem = length % map->align;

    if (rem == 0)
        return length;
    if (length > G_MAXUINT64 - (map->align - rem))
        return 0;
    return length + (map->align - rem);
}

/* Index at which an extent starting at start would be inserted (first extent with a larger
 * start). */
static guint
nvp_extent_map_insert_pos(const NvpExtentMap *map, guint64 start)
{
    guint lo = 0, hi = map->extents->len;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(map->extents, NvpExtent, mid).start <= start)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static gint
nvp_extent_map_find(const NvpExtentMap *map, guint64 start)
{
    guint pos = nvp_extent_map_insert_pos(map, start);

    if (pos == 0 || g_array_index(map->extents, NvpExtent, pos - 1).start != start)
        return -1;
    return (gint)pos - 1;
}

typedef struct {
    guint64 length;
    guint64 start;
} FirstFit;

static gboolean
first_fit_cb(guint64 start, guint64 length, gpointer data)
{
    FirstFit *ff = data;

    if (length < ff->length)
        return FALSE;
    ff->start = start;
    return TRUE;
}

gboolean
nvp_extent_map_alloc(NvpExtentMap *map, guint64 length, guint64 *start)
{
    FirstFit ff = { length, 0 };

    if (map->whole || length == 0 || length % map->align != 0)
        return FALSE;
    if (!nvp_extent_map_foreach_gap(map, first_fit_cb, &ff))
        return FALSE;
    if (!nvp_extent_map_reserve(map, ff.start, length))
        return FALSE;
    *start = ff.start;
    return TRUE;
}

gboolean
nvp_extent_map_reserve(NvpExtentMap *map, guint64 start, guint64 length)
{
    NvpExtent e = { start, length };
    guint pos;

    if (map->whole || length == 0 || start % map->align != 0 || length % map->align != 0)
        return FALSE;
    if (start >= map->usable || length > map->usable - start)
        return FALSE;
    pos = nvp_extent_map_insert_pos(map, start);
    if (pos > 0) {
        const NvpExtent *prev = &g_array_index(map->extents, NvpExtent, pos - 1);
        if (prev->start + prev->length > start)
            return FALSE;
    }
    if (pos < map->extents->len &&
        g_array_index(map->extents, NvpExtent, pos).start < start + length)
        return FALSE;
    g_array_insert_val(map->extents, pos, e);
    return TRUE;
}

gboolean
nvp_extent_map_reserve_whole(NvpExtentMap *map)
{
    if (map->extents->len > 0 || map->usable == 0)
        return FALSE;
    if (!nvp_extent_map_reserve(map, 0, map->usable))
        return FALSE;
    map->whole = TRUE;
    return TRUE;
}

guint64
nvp_extent_map_get_room_after(const NvpExtentMap *map, guint64 start)
{
    gint i = nvp_extent_map_find(map, start);
    const NvpExtent *e;
    guint64 end;

    if (i < 0)
        return 0;
    e = &g_array_index(map->extents, NvpExtent, i);
    end = (guint)i + 1 < map->extents->len ? g_array_index(map->extents, NvpExtent, i + 1).start
                                           : map->usable;
    return end - (e->start + e->length);
}

gboolean
nvp_extent_map_grow(NvpExtentMap *map, guint64 start, guint64 new_length)
{
    gint i = nvp_extent_map_find(map, start);
    NvpExtent *e;

    if (i < 0 || map->whole || new_length % map->align != 0)
        return FALSE;
    e = &g_array_index(map->extents, NvpExtent, i);
    if (new_length < e->length)
        return FALSE;
    if (new_length - e->length > nvp_extent_map_get_room_after(map, start))
        return FALSE;
    e->length = new_length;
    return TRUE;
}

gboolean
nvp_extent_map_release(NvpExtentMap *map, guint64 start)
{
    gint i = nvp_extent_map_find(map, start);

    if (i < 0)
        return FALSE;
    g_array_remove_index(map->extents, i);
    map->whole = FALSE;
    return TRUE;
}
