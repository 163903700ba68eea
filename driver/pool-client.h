/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The CLI's connection to the agent's control API (data/org.virtnvmepool.Agent1.xml): connect,
 * call a method, turn D-Bus errors back into the agent's own message. */
#pragma once

#include <gio/gio.h>

#include "common/controller.h"
#include "common/slice.h"
#include "common/volume.h"
#include "driver/cmd.h"

#define NVP_POOL_CLIENT_OBJECT "/org/virtnvmepool/Agent"
#define NVP_POOL_CLIENT_AGENT "org.virtnvmepool.Agent1"
#define NVP_POOL_CLIENT_CONTROLLERS "org.virtnvmepool.Controllers1"
#define NVP_POOL_CLIENT_VOLUMES "org.virtnvmepool.Volumes1"
#define NVP_POOL_CLIENT_SLICES "org.virtnvmepool.Slices1"

/* Connects to --connect or NVP_RUNDIR/agent.sock; on failure: "cannot connect to the agent at
 * PATH: is virt-nvmepoold running?" (NVP_CMD_ERROR_FAILED). */
GDBusConnection *nvp_pool_client_connect(const NvpCmdContext *ctx, GError **error);

/* Calls iface.method; @args is floating (may be NULL). Errors carry the agent's message. */
GVariant *nvp_pool_client_call(GDBusConnection *conn, const char *iface, const char *method,
                               GVariant *args, const char *reply_type, GError **error);

/* Calls a method whose reply is one XML document "(s)" and parses it with the model. */
NvpController *nvp_pool_client_get_controller(GDBusConnection *conn, const char *method,
                                              GVariant *args, GError **error);
NvpVolume *nvp_pool_client_get_volume(GDBusConnection *conn, const char *method, GVariant *args,
                                      GError **error);
NvpSlice *nvp_pool_client_get_slice(GDBusConnection *conn, const char *method, GVariant *args,
                                    GError **error);
/* List methods "(as)": arrays of parsed objects. */
GPtrArray *nvp_pool_client_list_controllers(GDBusConnection *conn, GError **error);
GPtrArray *nvp_pool_client_list_volumes(GDBusConnection *conn, const char *ctrl, GError **error);
GPtrArray *nvp_pool_client_list_slices(GDBusConnection *conn, GError **error);

/* Prints {"key": "value"} (--json answer of verbs that return nothing else). */
void nvp_pool_client_print_json_member(const char *key, const char *value);

/* JSON forms of the model objects (sizes in bytes, names as in the XML). */
JsonNode *nvp_pool_client_controller_json(const NvpController *c);
JsonNode *nvp_pool_client_volume_json(const NvpVolume *v, const NvpSlice *slice);
JsonNode *nvp_pool_client_slice_json(const NvpSlice *s);
