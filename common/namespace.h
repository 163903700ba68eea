/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One namespace of an adopted controller: <namespace id='1'> inside <controller>. */
#pragma once

#include <glib.h>

#include "common/xml.h"

typedef struct {
    guint32 nsid;       /* 1.. */
    guint64 capacity;   /* bytes: NSZE * block size */
    guint32 block_size; /* bytes of the LBA format in use */
    guint64 free;       /* bytes not taken by volumes (kept by agent/pool) */
} NvpNamespace;

NvpNamespace *nvp_namespace_new(guint32 nsid, guint64 capacity, guint32 block_size);
NvpNamespace *nvp_namespace_copy(const NvpNamespace *ns);
void nvp_namespace_free(NvpNamespace *ns);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpNamespace, nvp_namespace_free)

/* Parses a <namespace> element (already schema-validated as part of its document). */
NvpNamespace *nvp_namespace_parse_node(xmlNode *node, GError **error);
void nvp_namespace_format(const NvpNamespace *ns, NvpXmlWriter *w);
