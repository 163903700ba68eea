/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpSlice: a volume bound to a running domain with dedicated hardware queue pairs (transient),
 * and its <slice> XML. */
#pragma once

#include <glib.h>

#include "common/enum.h"
#include "common/volume.h"
#include "common/xml.h"

typedef enum {
    NVP_SLICE_STATE_ACTIVE,    /* endpoint listening, no client yet */
    NVP_SLICE_STATE_CONNECTED, /* a vfio-user client (QEMU) is attached */
    NVP_SLICE_STATE_FAILED,    /* the endpoint or the controller failed; deactivate it */
    NVP_SLICE_STATE_LAST,
} NvpSliceState;
NVP_ENUM_DECL(nvp_slice_state, NvpSliceState);

typedef struct {
    guint64 submitted; /* commands forwarded to the hardware */
    guint64 completed;
    guint64 rejected; /* commands that failed validation (strict mode) */
    guint64 doorbells;
} NvpSliceCounters;

typedef struct {
    char *volume;
    char *controller;
    char *domain_uuid;
    char *domain_name; /* may be NULL */
    guint queues; /* hardware I/O queue pairs granted (in a request, 0: the volume's default) */
    NvpIsolation isolation;
    char *socket_path; /* vfio-user endpoint */
    guint32 uid;       /* owner of the endpoint (QEMU's user) */
    guint32 gid;
    NvpSliceState state;
    NvpSliceCounters counters;
} NvpSlice;

NvpSlice *nvp_slice_new(void);
NvpSlice *nvp_slice_copy(const NvpSlice *slice);
void nvp_slice_free(NvpSlice *slice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpSlice, nvp_slice_free)

NvpSlice *nvp_slice_parse_string(const char *xml, const char *name, GError **error);
NvpSlice *nvp_slice_parse_node(xmlNode *root, GError **error);
char *nvp_slice_format(const NvpSlice *slice);
