/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpApiServer: the agent's control API (data/org.virtnvmepool.Agent1.xml) served peer-to-peer
 * over a UNIX socket to root, the agent's own user and members of one configured group. */
#pragma once

#include <glib.h>

#include "agent/pool/pool.h"

#define NVP_API_ERROR (nvp_api_error_quark())
GQuark nvp_api_error_quark(void);

typedef enum {
    NVP_API_ERROR_SOCKET, /* the socket cannot be created, or another agent listens there */
    NVP_API_ERROR_GROUP,  /* the configured group does not exist */
} NvpApiError;

#define NVP_API_OBJECT_PATH "/org/virtnvmepool/Agent"
#define NVP_API_DEFAULT_SOCKET NVP_RUNDIR "/agent.sock"
/* D-Bus error names: NVP_API_ERROR_PREFIX + Invalid, NotFound, Exists, NoSpace, Busy, Limit,
 * Hardware, Unavailable, State (the NvpPoolError codes). */
#define NVP_API_ERROR_PREFIX "org.virtnvmepool.Error."

typedef struct {
    const char *socket_path; /* NULL: NVP_API_DEFAULT_SOCKET */
    const char *group;       /* NULL or "": only root and the agent's user */
} NvpApiServerOptions;

typedef struct _NvpApiServer NvpApiServer;

/* Listens on the socket (mode 0660, group-owned by opts->group) and serves pool (not owned) in
 * the thread-default main context. A stale socket file is replaced; a live one is an error. */
NvpApiServer *nvp_api_server_new(NvpPool *pool, const NvpApiServerOptions *opts, GError **error);
/* Closes every connection and removes the socket file. NULL-safe. */
void nvp_api_server_free(NvpApiServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpApiServer, nvp_api_server_free)

const char *nvp_api_server_get_socket_path(NvpApiServer *server);
