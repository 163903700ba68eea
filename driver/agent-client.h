/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The few agent calls driver/ needs (slice activation for the hook and for hot plug), behind one
 * small client so the D-Bus details live in one place. */
#pragma once

#include <gio/gio.h>
#include <glib.h>

#include "common/slice.h"
#include "common/volume.h"

#define NVP_AGENT_CLIENT_ERROR (nvp_agent_client_error_quark())
GQuark nvp_agent_client_error_quark(void);

typedef enum {
    NVP_AGENT_CLIENT_ERROR_UNREACHABLE, /* no agent listening at the address */
    NVP_AGENT_CLIENT_ERROR_REFUSED,     /* the agent answered with an error */
    NVP_AGENT_CLIENT_ERROR_NOT_FOUND,   /* ... org.virtnvmepool.Error.NotFound */
    NVP_AGENT_CLIENT_ERROR_PROTOCOL,    /* the answer was not what the API promises */
} NvpAgentClientError;

typedef struct _NvpAgentClient NvpAgentClient;

/* The agent's API address: $NVP_AGENT_ADDRESS (a D-Bus address) if set, else the agent's
 * default socket, NVP_RUNDIR/agent.sock (data/org.virtnvmepool.Agent1.xml). */
const char *nvp_agent_client_default_address(void);

/* Connect (@address NULL: the default address), failing fast when nobody listens. */
NvpAgentClient *nvp_agent_client_new(const char *address, GError **error);
void nvp_agent_client_free(NvpAgentClient *client);

/* Activate a slice of @request->volume for @request->domain_uuid: the agent reserves
 * @request->queues queue pairs (0: its default) and listens on @request->socket_path owned by
 * @request->uid:gid. @active (may be NULL) gets the slice as the agent reports it. */
gboolean nvp_agent_client_activate_slice(NvpAgentClient *client, const NvpSlice *request,
                                         NvpSlice **active, GError **error);
/* Deactivate the slice of @volume if @domain_uuid holds it; a slice that is not active, or that
 * another domain holds, is left alone and is not an error. */
gboolean nvp_agent_client_deactivate_slice(NvpAgentClient *client, const char *volume,
                                           const char *domain_uuid, GError **error);
/* The volume @name as the agent knows it (NVP_AGENT_CLIENT_ERROR_NOT_FOUND if it does not). */
NvpVolume *nvp_agent_client_get_volume(NvpAgentClient *client, const char *name, GError **error);
/* Active slices (NvpSlice), optionally only those @domain_uuid holds (NULL: all). */
GPtrArray *nvp_agent_client_list_slices(NvpAgentClient *client, const char *domain_uuid,
                                        GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpAgentClient, nvp_agent_client_free)
