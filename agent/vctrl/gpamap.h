/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest RAM table of one slice: the regions the SSD may reach (GPA range -> agent mapping,
 * usable once their IOMMU mapping is done) and the lookup of the strict path, with its cache. */
#pragma once

#include <glib.h>

#define NVP_GPA_MAP_MAX_REGIONS 64u

/* Where a region's IOMMU mapping stands. Only the mapping worker changes it, and only
 * PENDING -> MAPPED | FAILED while the region is in a table; the owner takes a region out of
 * the table before anything can unmap it. */
typedef enum {
    NVP_GPA_REGION_PENDING,
    NVP_GPA_REGION_MAPPED,
    NVP_GPA_REGION_FAILED,
    NVP_GPA_REGION_UNMAPPED,
} NvpGpaRegionState;

typedef struct {
    gint ref; /* the owner's (atomic); the table neither takes nor drops one */
    guint64 gpa;
    guint64 size;
    guint8 *vaddr;
    gboolean writable;
    gint state; /* NvpGpaRegionState, atomic */
} NvpGpaRegion;

/* The region the last successful lookup hit, MAPPED and still in the table, for an inline check
 * before the lookup proper (NvpSqeCtx.hot); size 0 when there is none. */
typedef struct {
    guint64 gpa;
    guint64 size;
    guint8 *vaddr;
    gboolean writable;
} NvpGpaHot;

/* One thread uses a table (vctrl: the main loop); fields are read-only outside gpamap.c. */
typedef struct {
    NvpGpaRegion *regions[NVP_GPA_MAP_MAX_REGIONS];
    guint n_regions;
    NvpGpaHot hot;
} NvpGpaMap;

void nvp_gpa_map_init(NvpGpaMap *m);

/* Appends @r (FALSE when the table is full). */
gboolean nvp_gpa_map_add(NvpGpaMap *m, NvpGpaRegion *r);

/* Takes region @idx out of the table (the last one moves into its place) and returns it. */
NvpGpaRegion *nvp_gpa_map_remove(NvpGpaMap *m, guint idx);

/* Host pointer for guest memory [gpa, gpa+len) if it lies wholly inside one MAPPED region (and
 * that region is writable by the device if @device_writes), else NULL; len 0 is never inside.
 * @map is the NvpGpaMap: the signature is NvpGuestMapFunc's (agent/vctrl/sqe.h). */
void *nvp_gpa_map_translate(gpointer map, guint64 gpa, guint64 len, gboolean device_writes);

/* The inline check against the hot region: TRUE when [gpa, gpa+len) (len > 0) lies inside it
 * (and it is device-writable if @device_writes) — then nvp_gpa_map_translate() would return
 * hot->vaddr + (gpa - hot->gpa). FALSE says nothing: ask nvp_gpa_map_translate(). */
static inline gboolean
nvp_gpa_hot_contains(const NvpGpaHot *hot, guint64 gpa, guint64 len, gboolean device_writes)
{
    guint64 off = gpa - hot->gpa; /* wraps to a huge value below the region */

    return off < hot->size && len - 1 < hot->size - off && (!device_writes || hot->writable);
}
