/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd readiness notification (sd_notify protocol): one datagram to $NOTIFY_SOCKET. */
#pragma once

#include <glib.h>

#define NVP_NOTIFY_ERROR (nvp_notify_error_quark())
GQuark nvp_notify_error_quark(void);

typedef enum {
    NVP_NOTIFY_ERROR_ADDRESS, /* $NOTIFY_SOCKET is not a usable socket address */
    NVP_NOTIFY_ERROR_SEND,    /* socket()/sendto() failed */
} NvpNotifyError;

/* Send @state (e.g. "READY=1", "STOPPING=1", "STATUS=...") to the service manager. Returns TRUE
 * and does nothing when $NOTIFY_SOCKET is unset (not started by systemd with Type=notify). */
gboolean nvp_notify(const char *state, GError **error);
