/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpVolume: a persistent volume (a whole namespace or an LBA extent of one) and its XML. */
#pragma once

#include <glib.h>

#include "common/enum.h"
#include "common/xml.h"

typedef enum {
    NVP_VOLUME_TYPE_EXTENT,    /* an LBA extent of a namespace, placed by the allocator */
    NVP_VOLUME_TYPE_NAMESPACE, /* a whole namespace */
    NVP_VOLUME_TYPE_LAST,
} NvpVolumeType;
NVP_ENUM_DECL(nvp_volume_type, NvpVolumeType);

typedef enum {
    NVP_ISOLATION_STRICT,  /* every SQE validated and translated by the agent */
    NVP_ISOLATION_TRUSTED, /* hardware SQ is the guest SQ (LightIOV as published) */
    NVP_ISOLATION_LAST,
} NvpIsolation;
NVP_ENUM_DECL(nvp_isolation, NvpIsolation);

#define NVP_VOLUME_NAME_MAX 64
#define NVP_VOLUME_QUEUES_DEFAULT 1
#define NVP_VOLUME_QUEUES_MAX 64

typedef struct {
    NvpVolumeType type;
    char *name;
    char *uuid;       /* NULL on input means "generate" */
    char *controller; /* "pci_0000_00_04_0" */
    guint32 nsid;     /* 0 on input means "any namespace with room" */
    guint64 capacity; /* bytes; 0 on input for a whole namespace means "all of it" */
    gboolean has_extent;
    guint64 lba;        /* first LBA of the extent (when has_extent) */
    guint64 blocks;     /* LBAs in the extent (when has_extent) */
    guint32 block_size; /* 0 on input: taken from the namespace */
    NvpIsolation isolation;
    guint queues; /* default queue pairs of a slice of this volume */
} NvpVolume;

NvpVolume *nvp_volume_new(void);
NvpVolume *nvp_volume_copy(const NvpVolume *vol);
void nvp_volume_free(NvpVolume *vol);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpVolume, nvp_volume_free)

/* [A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}: safe as a file name and in a socket path. */
gboolean nvp_volume_name_is_valid(const char *name);

NvpVolume *nvp_volume_parse_string(const char *xml, const char *name, GError **error);
NvpVolume *nvp_volume_parse_file(const char *path, GError **error);
NvpVolume *nvp_volume_parse_node(xmlNode *root, GError **error);
char *nvp_volume_format(const NvpVolume *vol);
