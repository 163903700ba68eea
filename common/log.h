/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging setup: GLib structured logging with one writer for the whole process, sending to the
 * journal when stderr is connected to it and to stderr otherwise, filtered by a level threshold. */
#pragma once

#include <glib.h>

#include "common/enum.h"

/* Levels from most to least severe; the names are agent.conf's [agent] log_level values. */
typedef enum {
    NVP_LOG_ERROR,
    NVP_LOG_CRITICAL,
    NVP_LOG_WARNING,
    NVP_LOG_MESSAGE,
    NVP_LOG_INFO,
    NVP_LOG_DEBUG,
    NVP_LOG_LAST,
} NvpLogLevel;

NVP_ENUM_DECL(nvp_log_level, NvpLogLevel);

/* Install the writer. @threshold: least severe level written. $G_MESSAGES_DEBUG still enables
 * debug output of the domains it names, as GLib documents. Safe to call again (e.g. once the
 * configuration is known): only the threshold changes. */
void nvp_log_init(NvpLogLevel threshold);
void nvp_log_set_threshold(NvpLogLevel threshold);
NvpLogLevel nvp_log_get_threshold(void);

/* Whether log output goes to the journal (stderr is the journal stream). */
gboolean nvp_log_to_journal(void);

/* The writer itself (installed by nvp_log_init(); exposed for tests). */
GLogWriterOutput nvp_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                gpointer user_data);
