/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user VERSION capabilities: parse the client's JSON and format our reply (json-glib). */
#pragma once

#include <glib.h>

typedef struct {
    guint64 max_msg_fds;     /* fds the sender can receive per message */
    guint64 max_data_xfer;   /* max count of REGION/DMA read/write data */
    guint64 pgsizes;         /* DMA page sizes or'ed together */
    guint64 max_dma_maps;    /* simultaneous DMA regions */
    gboolean write_multiple; /* REGION_WRITE_MULTI supported */
} NvpVfuCaps;

/* Spec defaults for a sender that omits a capability. */
void nvp_vfu_caps_init_defaults(NvpVfuCaps *caps);
/* Parses a NUL-terminated JSON object {"capabilities": {...}} over defaults; FALSE (error set,
 * G_IO_ERROR_INVALID_DATA) if it is not JSON, not an object, or a known member has a bad type. */
gboolean nvp_vfu_caps_parse(const char *json, NvpVfuCaps *caps, GError **error);
/* Our reply: {"capabilities":{...}} with max_msg_fds, max_data_xfer_size, pgsizes, max_dma_maps;
 * no migration, no write_multiple, no twin_socket. */
char *nvp_vfu_caps_format(const NvpVfuCaps *caps);
