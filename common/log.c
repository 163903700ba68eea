/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging setup: GLib structured logging with one writer for the whole process, sending to the
 * journal when stderr is connected to it and to stderr otherwise, filtered by a level threshold. */
#include "common/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

NVP_ENUM_IMPL(nvp_log_level, NvpLogLevel, NVP_LOG_LAST, "error", "critical", "warning", "message",
              "info", "debug")

static gint log_threshold = NVP_LOG_MESSAGE;
static gint log_journal = -1; /* -1: not checked yet */

void
nvp_log_set_threshold(NvpLogLevel threshold)
{
    g_return_if_fail(threshold < NVP_LOG_LAST);
    g_atomic_int_set(&log_threshold, threshold);
}

NvpLogLevel
nvp_log_get_threshold(void)
{
    return (NvpLogLevel)g_atomic_int_get(&log_threshold);
}

gboolean
nvp_log_to_journal(void)
{
    if (g_atomic_int_get(&log_journal) < 0)
        g_atomic_int_set(&log_journal, g_log_writer_is_journald(fileno(stderr)) ? 1 : 0);
    return g_atomic_int_get(&log_journal) == 1;
}

static NvpLogLevel
nvp_log_level_of(GLogLevelFlags level)
{
    if (level & G_LOG_LEVEL_ERROR)
        return NVP_LOG_ERROR;
    if (level & G_LOG_LEVEL_CRITICAL)
        return NVP_LOG_CRITICAL;
    if (level & G_LOG_LEVEL_WARNING)
        return NVP_LOG_WARNING;
    if (level & G_LOG_LEVEL_MESSAGE)
        return NVP_LOG_MESSAGE;
    if (level & G_LOG_LEVEL_INFO)
        return NVP_LOG_INFO;
    return NVP_LOG_DEBUG;
}

static const char *
nvp_log_field(const GLogField *fields, gsize n_fields, const char *key)
{
    for (gsize i = 0; i < n_fields; i++) {
        if (g_str_equal(fields[i].key, key) && fields[i].length < 0)
            return fields[i].value;
    }
    return NULL;
}

/* Debug (and info) of a domain are wanted when the threshold says so, or when
 * $G_MESSAGES_DEBUG names the domain (GLib's own rule, so `G_MESSAGES_DEBUG=nvp-vfu` works). */
static gboolean
nvp_log_wanted(GLogLevelFlags level, const GLogField *fields, gsize n_fields)
{
    NvpLogLevel l = nvp_log_level_of(level);

    if (l <= nvp_log_get_threshold())
        return TRUE;
    if (l >= NVP_LOG_INFO)
        return !g_log_writer_default_would_drop(level,
                                                nvp_log_field(fields, n_fields, "GLIB_DOMAIN"));
    return FALSE;
}

GLogWriterOutput
nvp_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
    g_autofree char *line = NULL;

    if (!nvp_log_wanted(level, fields, n_fields))
        return G_LOG_WRITER_HANDLED;
    if (nvp_log_to_journal() &&
        g_log_writer_journald(level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
        return G_LOG_WRITER_HANDLED;

    /* Everything goes to stderr: stdout belongs to the program's output (XML, --json). */
    line = g_log_writer_format_fields(level, fields, n_fields,
                                      g_log_writer_supports_color(fileno(stderr)));
    if (!line)
        return G_LOG_WRITER_UNHANDLED;
    fprintf(stderr, "%s\n", line);
    fflush(stderr);
    return G_LOG_WRITER_HANDLED;
}

void
nvp_log_init(NvpLogLevel threshold)
{
    static gsize once;

    nvp_log_set_threshold(threshold);
    if (g_once_init_enter(&once)) {
        g_log_set_writer_func(nvp_log_writer, NULL, NULL);
        g_once_init_leave(&once, 1);
    }
}
