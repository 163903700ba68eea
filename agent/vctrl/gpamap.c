/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest RAM table of one slice and its lookup: the hot region (last hit) first, then a
 * linear scan (a q35 guest has two or three RAM regions). */
#include <string.h>

#include "agent/vctrl/gpamap.h"

void
nvp_gpa_map_init(NvpGpaMap *m)
{
    memset(m, 0, sizeof(*m));
}

gboolean
nvp_gpa_map_add(NvpGpaMap *m, NvpGpaRegion *r)
{
    if (m->n_regions >= NVP_GPA_MAP_MAX_REGIONS)
        return FALSE;
    m->regions[m->n_regions++] = r;
    return TRUE;
}

NvpGpaRegion *
nvp_gpa_map_remove(NvpGpaMap *m, guint idx)
{
    NvpGpaRegion *r;

    g_return_val_if_fail(idx < m->n_regions, NULL);
    r = m->regions[idx];
    m->regions[idx] = m->regions[--m->n_regions];
    /* the hot region may be the one leaving: nothing may reach it through the cache any more */
    memset(&m->hot, 0, sizeof(m->hot));
    return r;
}

void *
nvp_gpa_map_translate(gpointer map, guint64 gpa, guint64 len, gboolean device_writes)
{
    NvpGpaMap *m = map;

    /* The hot region was MAPPED when it was cached and stays so while it is in the table (see
     * NvpGpaRegionState), so its state need not be read again. */
    if (G_LIKELY(nvp_gpa_hot_contains(&m->hot, gpa, len, device_writes)))
        return m->hot.vaddr + (gpa - m->hot.gpa);
    for (guint i = 0; i < m->n_regions; i++) {
        NvpGpaRegion *r = m->regions[i];

        if (gpa >= r->gpa && gpa - r->gpa < r->size && len > 0 && len <= r->size - (gpa - r->gpa)) {
            if ((device_writes && !r->writable) ||
                g_atomic_int_get(&r->state) != NVP_GPA_REGION_MAPPED)
                return NULL;
            m->hot = (NvpGpaHot){
                .gpa = r->gpa, .size = r->size, .vaddr = r->vaddr, .writable = r->writable
            };
            return r->vaddr + (gpa - r->gpa);
        }
    }
    return NULL;
}
