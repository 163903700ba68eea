/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The health-check timer (agent/pool/health.c): armed only while active, so an idle agent has no
 * periodic wake-up; checks run while armed and stop when disarmed. */
#include "agent/pool/health.h"

static gboolean
count_check(gpointer data)
{
    (*(guint *)data)++;
    return G_SOURCE_REMOVE; /* ignored: the timer stays until deactivated */
}

/* Run the default context for ms milliseconds. */
static void
run_for(guint ms)
{
    gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;

    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
}

static void
test_inactive_no_source(void)
{
    guint n = 0;
    g_autoptr(NvpPoolHealth) h = nvp_pool_health_new(5, count_check, &n);

    g_assert_false(nvp_pool_health_is_armed(h));
    /* nothing attached: the context has nothing to dispatch and no timeout to wait for */
    g_assert_false(g_main_context_pending(NULL));
    run_for(50);
    g_assert_cmpuint(n, ==, 0);
}

static void
test_armed_while_active(void)
{
    guint n = 0;
    g_autoptr(NvpPoolHealth) h = nvp_pool_health_new(5, count_check, &n);

    nvp_pool_health_set_active(h, TRUE); /* first queue pair */
    g_assert_true(nvp_pool_health_is_armed(h));
    nvp_pool_health_set_active(h, TRUE); /* idempotent */
    run_for(100);
    g_assert_cmpuint(n, >=, 2);           /* kept running although check returned REMOVE */
    nvp_pool_health_set_active(h, FALSE); /* last queue pair gone */
    g_assert_false(nvp_pool_health_is_armed(h));
    n = 0;
    run_for(50);
    g_assert_cmpuint(n, ==, 0);
    g_assert_false(g_main_context_pending(NULL));
    nvp_pool_health_set_active(h, TRUE); /* rearmed by a new queue pair */
    run_for(50);
    g_assert_cmpuint(n, >=, 1);
}

static gpointer
toggle_thread(gpointer data)
{
    for (guint i = 0; i < 1000; i++)
        nvp_pool_health_set_active(data, i % 2 == 0);
    return NULL;
}

static void
test_threads(void)
{
    guint n = 0;
    g_autoptr(NvpPoolHealth) h = nvp_pool_health_new(5, count_check, &n);
    GThread *t = g_thread_new("toggle", toggle_thread, h);

    g_thread_join(t);
    g_assert_false(nvp_pool_health_is_armed(h)); /* last call (i = 999) deactivated */
    run_for(30);
    g_assert_cmpuint(n, ==, 0);
}

static void
test_free_disarms(void)
{
    guint n = 0;
    NvpPoolHealth *h = nvp_pool_health_new(5, count_check, &n);

    nvp_pool_health_set_active(h, TRUE);
    nvp_pool_health_free(h);
    run_for(30);
    g_assert_cmpuint(n, ==, 0);
    g_assert_false(g_main_context_pending(NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pool/health/inactive-no-source", test_inactive_no_source);
    g_test_add_func("/pool/health/armed-while-active", test_armed_while_active);
    g_test_add_func("/pool/health/threads", test_threads);
    g_test_add_func("/pool/health/free-disarms", test_free_disarms);
    return g_test_run();
}
