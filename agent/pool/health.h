/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A controller health-check timer that exists only while it is active (I/O queue pairs live), so
 * an idle agent has no periodic wake-up. */
#pragma once

#include <glib.h>

typedef struct _NvpPoolHealth NvpPoolHealth;

/* check runs every interval_ms on the default main context while active; its return value is
 * ignored (the timer stays until deactivated). Starts inactive. */
NvpPoolHealth *nvp_pool_health_new(guint interval_ms, GSourceFunc check, gpointer data);
void nvp_pool_health_free(NvpPoolHealth *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpPoolHealth, nvp_pool_health_free)

/* Arm (TRUE) or disarm (FALSE) the timer; idempotent, callable from any thread. */
void nvp_pool_health_set_active(NvpPoolHealth *h, gboolean active);
gboolean nvp_pool_health_is_armed(NvpPoolHealth *h);
