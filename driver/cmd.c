/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepool's verb framework: the verb table, per-verb option parsing and help, and the
 * output/error conventions every verb shares (virsh-like "error: ..." and exit codes). */
#include "driver/cmd.h"

#include <stdio.h>
#include <string.h>

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-cmd-error-quark, nvp_cmd_error)

/*
 * The verb table, in --help order: one line per verb. nvp_cmd_<name> is defined in
 * driver/cmd-<area>.c (add that file to driver/meson.build).
 */
#define NVP_CMD_TABLE(X) \
    X(ctrl_list) \
    X(ctrl_info) \
    X(ctrl_adopt) \
    X(ctrl_release) \
    X(vol_list) \
    X(vol_info) \
    X(vol_create) \
    X(vol_dumpxml) \
    X(vol_resize) \
    X(vol_delete) \
    X(slice_list) \
    X(slice_info) \
    X(slice_activate) \
    X(slice_deactivate) \
    X(stats) \
    X(attach_volume) \
    X(detach_volume) \
    X(version) \
    X(help)

#define NVP_CMD_DECLARE(name) extern const NvpCmd nvp_cmd_##name;
#define NVP_CMD_ENTRY(name) &nvp_cmd_##name,

NVP_CMD_TABLE(NVP_CMD_DECLARE)

static const NvpCmd *const cmd_table[] = { NVP_CMD_TABLE(NVP_CMD_ENTRY) };

/* Global options, accepted before the verb and after it. */
static gboolean opt_json;
static char *opt_connect;
static gboolean opt_version;

static const GOptionEntry global_options[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &opt_json, N_("Print machine-readable JSON on stdout"),
      NULL },
    { "connect", 'c', 0, G_OPTION_ARG_STRING, &opt_connect,
      N_("Talk to the agent at SOCKET (a path or a D-Bus address)"), N_("SOCKET") },
    { NULL },
};

static const GOptionEntry top_options[] = {
    { "version", 'V', 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version and exit"), NULL },
    { NULL },
};

const NvpCmd *const *
nvp_cmd_all(guint *n_cmds)
{
    *n_cmds = G_N_ELEMENTS(cmd_table);
    return cmd_table;
}

const NvpCmd *
nvp_cmd_find(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++) {
        if (g_str_equal(cmd_table[i]->name, name))
            return cmd_table[i];
    }
    return NULL;
}

char *
nvp_cmd_address(const NvpCmdContext *ctx)
{
    if (!ctx->connect || !*ctx->connect)
        return NULL;
    if (ctx->connect[0] == '/')
        return g_strdup_printf("unix:path=%s", ctx->connect);
    return g_strdup(ctx->connect);
}

void
nvp_cmd_print_json(JsonNode *node)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autofree char *text = NULL;

    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    json_generator_set_root(gen, node);
    text = json_generator_to_data(gen, NULL);
    printf("%s\n", text);
}

static char *
nvp_cmd_verb_list(void)
{
    GString *s = g_string_new(_("Verbs:"));

    g_string_append_c(s, '\n');
    for (gsize i = 0; i < G_N_ELEMENTS(cmd_table); i++)
        g_string_append_printf(s, "  %-22s %s\n", cmd_table[i]->name, _(cmd_table[i]->summary));
    g_string_append(s, _("\nRun 'virt-nvmepool VERB --help' for the options of a verb."));
    return g_string_free(s, FALSE);
}

static GOptionContext *
nvp_cmd_verb_context(const NvpCmd *cmd)
{
    g_autofree char *params = g_strdup_printf("%s%s%s", cmd->name, cmd->params ? " " : "",
                                              cmd->params ? _(cmd->params) : "");
    GOptionContext *ctx = g_option_context_new(params);

    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    g_option_context_set_summary(ctx, _(cmd->summary));
    if (cmd->description)
        g_option_context_set_description(ctx, _(cmd->description));
    if (cmd->options)
        g_option_context_add_main_entries(ctx, cmd->options, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, global_options, GETTEXT_PACKAGE);
    return ctx;
}

static int
nvp_cmd_fail(GError *error, const char *verb)
{
    g_printerr(_("error: %s\n"), error->message);
    if (g_error_matches(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE) ||
        error->domain == G_OPTION_ERROR) {
        if (verb)
            g_printerr(_("Try 'virt-nvmepool %s --help'.\n"), verb);
        else
            g_printerr(_("Try 'virt-nvmepool --help'.\n"));
        return NVP_CMD_EXIT_USAGE;
    }
    return NVP_CMD_EXIT_FAILED;
}

/* Runs @cmd with @argv = { verb, options and arguments... }. */
static int
nvp_cmd_run(const NvpCmd *cmd, int argc, char **argv)
{
    g_autoptr(GOptionContext) octx = nvp_cmd_verb_context(cmd);
    g_autoptr(GError) error = NULL;
    NvpCmdContext ctx = { 0 };
    guint nargs;

    if (!g_option_context_parse(octx, &argc, &argv, &error))
        return nvp_cmd_fail(error, cmd->name);
    nargs = argc > 1 ? (guint)argc - 1 : 0;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        if (cmd->max_args == 0)
            g_set_error(&error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("'%s' takes no arguments, got '%s'."), cmd->name, argv[1]);
        else
            g_set_error(&error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE,
                        _("'%s' takes %u to %u arguments (%s), got %u."), cmd->name, cmd->min_args,
                        cmd->max_args, cmd->params ? _(cmd->params) : "", nargs);
        return nvp_cmd_fail(error, cmd->name);
    }

    ctx.json = opt_json;
    ctx.connect = opt_connect;
    ctx.verb = cmd->name;
    if (!cmd->run(&ctx, argv + 1, &error))
        return nvp_cmd_fail(error, cmd->name);
    return NVP_CMD_EXIT_OK;
}

int
nvp_cmd_main(int argc, char **argv)
{
    g_autoptr(GOptionContext) octx = g_option_context_new(_("VERB [OPTION…] [ARGUMENT…]"));
    g_autoptr(GError) error = NULL;
    g_autofree char *verbs = nvp_cmd_verb_list();
    const NvpCmd *cmd;

    g_option_context_set_translation_domain(octx, GETTEXT_PACKAGE);
    g_option_context_set_summary(octx, _("Manage NVMe controllers, volumes and slices of "
                                         "virt-nvmepool for libvirt domains."));
    g_option_context_set_description(octx, verbs);
    g_option_context_add_main_entries(octx, top_options, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(octx, global_options, GETTEXT_PACKAGE);
    /* Stop at the verb: what follows belongs to it. */
    g_option_context_set_strict_posix(octx, TRUE);
    if (!g_option_context_parse(octx, &argc, &argv, &error))
        return nvp_cmd_fail(error, NULL);

    if (opt_version) {
        printf("virt-nvmepool %s\n", PACKAGE_VERSION);
        return NVP_CMD_EXIT_OK;
    }
    if (argc < 2) {
        g_set_error(&error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, _("No verb given."));
        return nvp_cmd_fail(error, NULL);
    }
    cmd = nvp_cmd_find(argv[1]);
    if (!cmd) {
        g_set_error(&error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, _("Unknown verb '%s'."), argv[1]);
        return nvp_cmd_fail(error, NULL);
    }
    return nvp_cmd_run(cmd, argc - 1, argv + 1);
}

/* `help [VERB]`: the verb list, or one verb's help (same text as `VERB --help`). */
static gboolean
cmd_help_run(const NvpCmdContext *ctx, char **args, GError **error)
{
    g_autofree char *text = NULL;

    if (args[0]) {
        const NvpCmd *cmd = nvp_cmd_find(args[0]);
        g_autoptr(GOptionContext) octx = NULL;

        if (!cmd) {
            g_set_error(error, NVP_CMD_ERROR, NVP_CMD_ERROR_USAGE, _("Unknown verb '%s'."),
                        args[0]);
            return FALSE;
        }
        octx = nvp_cmd_verb_context(cmd);
        text = g_option_context_get_help(octx, TRUE, NULL);
    } else {
        text = nvp_cmd_verb_list();
    }
    printf("%s\n", text);
    return TRUE;
}

const NvpCmd nvp_cmd_help = {
    .name = "help",
    .summary = N_("Show the verbs, or the help of one verb"),
    .params = N_("[VERB]"),
    .max_args = 1,
    .run = cmd_help_run,
};
