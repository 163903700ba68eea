/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Free-space map of one namespace: sorted, non-overlapping, aligned extents (the allocator). */
#pragma once

#include <glib.h>

/* Every extent starts and ends on a multiple of this many bytes and of the LBA size. */
#define NVP_EXTENT_ALIGN (G_GUINT64_CONSTANT(1) << 20)

typedef struct _NvpExtentMap NvpExtentMap;

typedef struct {
    guint64 start;  /* bytes from LBA 0 of the namespace */
    guint64 length; /* bytes */
} NvpExtent;

/* A namespace of size bytes with LBAs of block_size bytes (a power of two, 512..1 MiB*16). Only
 * the aligned prefix [0, usable) is ever handed out. */
NvpExtentMap *nvp_extent_map_new(guint64 size, guint32 block_size);
void nvp_extent_map_free(NvpExtentMap *map);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpExtentMap, nvp_extent_map_free)

/* Alignment of starts and lengths: max(NVP_EXTENT_ALIGN, block_size). */
guint64 nvp_extent_map_get_align(const NvpExtentMap *map);
/* Bytes that can ever be allocated: size rounded down to the alignment. */
guint64 nvp_extent_map_get_usable(const NvpExtentMap *map);
guint64 nvp_extent_map_get_free(const NvpExtentMap *map);
guint64 nvp_extent_map_get_largest_free(const NvpExtentMap *map);
guint nvp_extent_map_get_n_extents(const NvpExtentMap *map);
const NvpExtent *nvp_extent_map_get_extent(const NvpExtentMap *map, guint i);
/* TRUE when one extent covers the whole namespace (a whole-namespace volume). */
gboolean nvp_extent_map_is_whole(const NvpExtentMap *map);

/* length rounded up to the alignment; 0 on overflow. */
guint64 nvp_extent_map_round(const NvpExtentMap *map, guint64 length);

/* Placement policy: first fit at the lowest address. length must be aligned and non-zero.
 * FALSE (map unchanged) when no free gap is large enough. */
gboolean nvp_extent_map_alloc(NvpExtentMap *map, guint64 length, guint64 *start);
/* Claims exactly [start, start+length) (state restore, whole-namespace volumes). FALSE (map
 * unchanged) if unaligned, outside the usable range or overlapping an existing extent. */
gboolean nvp_extent_map_reserve(NvpExtentMap *map, guint64 start, guint64 length);
/* Claims the whole namespace as one extent: [0, usable). FALSE if anything is allocated. */
gboolean nvp_extent_map_reserve_whole(NvpExtentMap *map);
/* Grows the extent that starts at start to new_length in place (extents must stay contiguous for
 * the data path). FALSE (map unchanged) if there is no such extent, new_length is unaligned or
 * smaller, or the space after it is taken. */
gboolean nvp_extent_map_grow(NvpExtentMap *map, guint64 start, guint64 new_length);
/* Bytes free right after the extent at start (how far it could grow). */
guint64 nvp_extent_map_get_room_after(const NvpExtentMap *map, guint64 start);
/* Releases the extent starting at start. FALSE if there is none. */
gboolean nvp_extent_map_release(NvpExtentMap *map, guint64 start);
