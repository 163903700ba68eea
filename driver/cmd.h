/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepool's verb framework: the verb table, per-verb option parsing and help, and the
 * output/error conventions every verb shares (virsh-like "error: ..." and exit codes). */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#define NVP_CMD_ERROR (nvp_cmd_error_quark())
GQuark nvp_cmd_error_quark(void);

typedef enum {
    NVP_CMD_ERROR_USAGE,  /* bad verb, options or arguments: exit status 2 */
    NVP_CMD_ERROR_FAILED, /* the command was understood but failed: exit status 1 */
} NvpCmdError;

/* Exit statuses of virt-nvmepool (documented in virt-nvmepool(1)). */
#define NVP_CMD_EXIT_OK 0
#define NVP_CMD_EXIT_FAILED 1
#define NVP_CMD_EXIT_USAGE 2

/* What every verb gets: the global options. */
typedef struct {
    gboolean json;       /* --json: print machine-readable JSON on stdout */
    const char *connect; /* --connect SOCKET|ADDRESS, NULL for the agent's default */
    const char *verb;    /* the verb's name */
} NvpCmdContext;

/*
 * A verb. Each lives in driver/cmd-<area>.c as `const NvpCmd nvp_cmd_<name> = { ... };` and is
 * listed once in NVP_CMD_TABLE in driver/cmd.c. Strings are N_()-marked; the framework
 * translates them. Option values go in the verb file's static variables (a CLI runs one verb).
 */
typedef struct {
    const char *name;            /* "volume-list" */
    const char *summary;         /* one line for `virt-nvmepool --help` */
    const char *params;          /* positional parameters for usage, e.g. "VOLUME [SIZE]" */
    const char *description;     /* more text for `VERB --help`, may be NULL */
    const GOptionEntry *options; /* the verb's own options, NULL-terminated, may be NULL */
    guint min_args;              /* number of positional arguments accepted */
    guint max_args;
    /* @args: the positional arguments, NULL-terminated. Return FALSE with @error set on failure:
     * the framework prints "error: MESSAGE" once. */
    gboolean (*run)(const NvpCmdContext *ctx, char **args, GError **error);
} NvpCmd;

/* All verbs, in help order, and lookup by name (NULL if unknown). */
const NvpCmd *const *nvp_cmd_all(guint *n_cmds);
const NvpCmd *nvp_cmd_find(const char *name);

/* Run the whole command line; returns the exit status. */
int nvp_cmd_main(int argc, char **argv);

/* D-Bus address for --connect: a path becomes "unix:path=PATH"; NULL means the default. */
char *nvp_cmd_address(const NvpCmdContext *ctx);

/* Print @node as pretty JSON on stdout followed by a newline. */
void nvp_cmd_print_json(JsonNode *node);
