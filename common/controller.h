/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpController: an NVMe controller adopted by the agent, and its <controller> XML. */
#pragma once

#include <glib.h>

#include "common/enum.h"
#include "common/namespace.h"
#include "common/pciaddr.h"
#include "common/xml.h"

typedef enum {
    NVP_CONTROLLER_STATE_ADOPTED,     /* owned through VFIO, usable */
    NVP_CONTROLLER_STATE_UNAVAILABLE, /* in the state but could not be re-adopted */
    NVP_CONTROLLER_STATE_LAST,
} NvpControllerState;
NVP_ENUM_DECL(nvp_controller_state, NvpControllerState);

/* Bounds the parser and the pool enforce. */
#define NVP_CONTROLLER_MAX_NAMESPACES 1024
#define NVP_CONTROLLER_MAX_QUEUES 65535
#define NVP_CONTROLLER_MAX_VECTORS 2048
#define NVP_CONTROLLER_MAX_STRING 256

typedef struct {
    char *name; /* "pci_0000_00_04_0", always derived from addr */
    NvpPciAddr addr;
    NvpControllerState state;
    char *serial;
    char *model;
    char *firmware;
    guint queues_total; /* I/O queue pairs the controller granted */
    guint queues_free;  /* not granted to slices (nor reserved by the agent) */
    guint vectors_total;
    guint vectors_free;
    GPtrArray *namespaces; /* NvpNamespace*, ascending nsid */
} NvpController;

NvpController *nvp_controller_new(const NvpPciAddr *addr);
NvpController *nvp_controller_copy(const NvpController *ctrl);
void nvp_controller_free(NvpController *ctrl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpController, nvp_controller_free)

/* Takes ownership of ns; keeps the array sorted. FALSE if the nsid is already there. */
gboolean nvp_controller_add_namespace(NvpController *ctrl, NvpNamespace *ns);
NvpNamespace *nvp_controller_get_namespace(const NvpController *ctrl, guint32 nsid);
/* Sums over the namespaces. */
guint64 nvp_controller_get_capacity(const NvpController *ctrl);
guint64 nvp_controller_get_free(const NvpController *ctrl);

/* Parse and validate against schemas/controller.rng; @name is used in error messages. */
NvpController *nvp_controller_parse_string(const char *xml, const char *name, GError **error);
NvpController *nvp_controller_parse_file(const char *path, GError **error);
NvpController *nvp_controller_parse_node(xmlNode *root, GError **error);
char *nvp_controller_format(const NvpController *ctrl);
