/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of queue-ID / vector bookkeeping (agent/hw/qid.c): lowest first, exhaustion,
 * release and reuse, double free, foreach/clear (what a controller reset reports). */
#include "agent/hw/error.h"
#include "agent/hw/qid.h"

/* IDs come out lowest first, starting at first; exhausting 1..63 yields NO_SPACE. */
static void
test_exhaustion(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 63);
    g_autoptr(GError) error = NULL;
    guint id;

    for (guint i = 1; i <= 63; i++) {
        g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
        g_assert_cmpuint(id, ==, i);
    }
    g_assert_cmpuint(nvp_hw_qid_pool_n_free(pool), ==, 0);
    g_assert_cmpuint(nvp_hw_qid_pool_n_allocated(pool), ==, 63);
    g_assert_false(nvp_hw_qid_pool_alloc(pool, &id, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE);
}

/* A released ID is reused before higher ones, and the lowest free one wins. */
static void
test_release_reuse(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 100);
    guint id;

    for (guint i = 0; i < 10; i++)
        g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_true(nvp_hw_qid_pool_release(pool, 7));
    g_assert_true(nvp_hw_qid_pool_release(pool, 3));
    g_assert_false(nvp_hw_qid_pool_is_allocated(pool, 3));
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 3);
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 7);
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 11);
}

/* Double free and out-of-range IDs are refused without changing the counts. */
static void
test_double_free(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 8);
    guint id;

    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_true(nvp_hw_qid_pool_release(pool, id));
    g_assert_false(nvp_hw_qid_pool_release(pool, id));
    g_assert_false(nvp_hw_qid_pool_release(pool, 0));
    g_assert_false(nvp_hw_qid_pool_release(pool, 9));
    g_assert_cmpuint(nvp_hw_qid_pool_n_free(pool), ==, 8);
}

/* take() claims a specific ID once; out-of-range is INVALID, taken is NO_SPACE. */
static void
test_take(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 4);
    g_autoptr(GError) error = NULL;
    guint id;

    g_assert_true(nvp_hw_qid_pool_take(pool, 2, NULL));
    g_assert_false(nvp_hw_qid_pool_take(pool, 2, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE);
    g_clear_error(&error);
    g_assert_false(nvp_hw_qid_pool_take(pool, 5, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID);
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 1);
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 3);
}

static void
collect(guint id, gpointer data)
{
    g_array_append_val((GArray *)data, id);
}

/* foreach lists exactly the allocated IDs in order; clear frees them all (reset semantics). */
static void
test_foreach_clear(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 65535);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(guint));
    guint id;

    g_assert_true(nvp_hw_qid_pool_take(pool, 65535, NULL));
    g_assert_true(nvp_hw_qid_pool_take(pool, 64, NULL));
    g_assert_true(nvp_hw_qid_pool_take(pool, 65, NULL));
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    nvp_hw_qid_pool_foreach(pool, collect, ids);
    g_assert_cmpuint(ids->len, ==, 4);
    g_assert_cmpuint(g_array_index(ids, guint, 0), ==, 1);
    g_assert_cmpuint(g_array_index(ids, guint, 1), ==, 64);
    g_assert_cmpuint(g_array_index(ids, guint, 2), ==, 65);
    g_assert_cmpuint(g_array_index(ids, guint, 3), ==, 65535);
    nvp_hw_qid_pool_clear(pool);
    g_assert_cmpuint(nvp_hw_qid_pool_n_free(pool), ==, 65535);
    g_assert_true(nvp_hw_qid_pool_alloc(pool, &id, NULL));
    g_assert_cmpuint(id, ==, 1);
}

/* A vector pool 1..n-1 (vector 0 reserved for admin) with n = 1 cannot exist; n = 2 has one. */
static void
test_vector_pool(void)
{
    g_autoptr(NvpHwQidPool) pool = nvp_hw_qid_pool_new(1, 1);
    g_autoptr(GError) error = NULL;
    guint v;

    g_assert_true(nvp_hw_qid_pool_alloc(pool, &v, NULL));
    g_assert_cmpuint(v, ==, 1);
    g_assert_false(nvp_hw_qid_pool_alloc(pool, &v, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE);
    g_assert_false(nvp_hw_qid_pool_is_allocated(pool, 0));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/qid/exhaustion", test_exhaustion);
    g_test_add_func("/hw/qid/release-reuse", test_release_reuse);
    g_test_add_func("/hw/qid/double-free", test_double_free);
    g_test_add_func("/hw/qid/take", test_take);
    g_test_add_func("/hw/qid/foreach-clear", test_foreach_clear);
    g_test_add_func("/hw/qid/vector-pool", test_vector_pool);
    return g_test_run();
}
