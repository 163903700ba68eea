/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The `version` verb: the client's version (the agent's joins it once the API can report it). */
#include <stdio.h>

#include "common/i18n.h"
#include "driver/cmd.h"

static gboolean
cmd_version_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    if (ctx->json) {
        g_autoptr(JsonBuilder) b = json_builder_new();
        g_autoptr(JsonNode) root = NULL;

        json_builder_begin_object(b);
        json_builder_set_member_name(b, "client");
        json_builder_add_string_value(b, PACKAGE_VERSION);
        json_builder_end_object(b);
        root = json_builder_get_root(b);
        nvp_cmd_print_json(root);
        return TRUE;
    }
    printf(_("Client version: %s\n"), PACKAGE_VERSION);
    return TRUE;
}

const NvpCmd nvp_cmd_version = {
    .name = "version",
    .summary = N_("Show the version of virt-nvmepool"),
    .run = cmd_version_run,
};
