/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A controller health-check timer that exists only while it is active (I/O queue pairs live), so
 * an idle agent has no periodic wake-up. */
#include "agent/pool/health.h"

struct _NvpPoolHealth {
    GMutex lock; /* source */
    GSource *source;
    guint interval_ms;
    GSourceFunc check;
    gpointer data;
};

static gboolean
on_timeout(gpointer data)
{
    NvpPoolHealth *h = data;

    h->check(h->data);
    return G_SOURCE_CONTINUE;
}

NvpPoolHealth *
nvp_pool_health_new(guint interval_ms, GSourceFunc check, gpointer data)
{
    NvpPoolHealth *h = g_new0(NvpPoolHealth, 1);

    g_mutex_init(&h->lock);
    h->interval_ms = MAX(interval_ms, 1u);
    h->check = check;
    h->data = data;
    return h;
}

void
nvp_pool_health_set_active(NvpPoolHealth *h, gboolean active)
{
    g_mutex_lock(&h->lock);
    if (active && !h->source) {
        /* whole seconds: a seconds source, which GLib aligns with other timers */
        h->source = h->interval_ms % 1000 == 0 ? g_timeout_source_new_seconds(h->interval_ms / 1000)
                                               : g_timeout_source_new(h->interval_ms);
        g_source_set_callback(h->source, on_timeout, h, NULL);
        g_source_attach(h->source, NULL);
    } else if (!active && h->source) {
        g_source_destroy(h->source);
        g_clear_pointer(&h->source, g_source_unref);
    }
    g_mutex_unlock(&h->lock);
}

gboolean
nvp_pool_health_is_armed(NvpPoolHealth *h)
{
    gboolean armed;

    g_mutex_lock(&h->lock);
    armed = h->source != NULL;
    g_mutex_unlock(&h->lock);
    return armed;
}

void
nvp_pool_health_free(NvpPoolHealth *h)
{
    if (!h)
        return;
    nvp_pool_health_set_active(h, FALSE);
    g_mutex_clear(&h->lock);
    g_free(h);
}
