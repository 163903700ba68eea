/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The extent allocator: first fit at the lowest address, alignment, and (property test) random
 * alloc/grow/release sequences never overlap and keep the free-space accounting exact. */
#include "agent/pool/extents.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define GiB (G_GUINT64_CONSTANT(1) << 30)

/* Every invariant the map promises, checked against an independent model (a byte-granular
 * occupancy count per MiB). */
static void
check_invariants(const NvpExtentMap *map, guint64 expected_used)
{
    guint64 used = 0;
    guint64 prev_end = 0;
    guint64 align = nvp_extent_map_get_align(map);

    for (guint i = 0; i < nvp_extent_map_get_n_extents(map); i++) {
        const NvpExtent *e = nvp_extent_map_get_extent(map, i);
        g_assert_cmpuint(e->length, >, 0);
        g_assert_cmpuint(e->start % align, ==, 0);
        g_assert_cmpuint(e->length % align, ==, 0);
        g_assert_cmpuint(e->start, >=, prev_end); /* sorted, no overlap */
        g_assert_cmpuint(e->start + e->length, <=, nvp_extent_map_get_usable(map));
        prev_end = e->start + e->length;
        used += e->length;
    }
    g_assert_cmpuint(used, ==, expected_used);
    g_assert_cmpuint(nvp_extent_map_get_free(map), ==, nvp_extent_map_get_usable(map) - used);
    g_assert_cmpuint(nvp_extent_map_get_largest_free(map), <=, nvp_extent_map_get_free(map));
}

/* Independent computation of first fit: the start of the lowest gap >= want. */
static guint64
lowest_fit(const NvpExtentMap *map, guint64 want)
{
    guint64 pos = 0;

    for (guint i = 0; i <= nvp_extent_map_get_n_extents(map); i++) {
        guint64 end = i < nvp_extent_map_get_n_extents(map)
                          ? nvp_extent_map_get_extent(map, i)->start
                          : nvp_extent_map_get_usable(map);
        if (end - pos >= want)
            return pos;
        if (i < nvp_extent_map_get_n_extents(map))
            pos = nvp_extent_map_get_extent(map, i)->start +
                  nvp_extent_map_get_extent(map, i)->length;
    }
    return G_MAXUINT64;
}

static void
test_first_fit(void)
{
    g_autoptr(NvpExtentMap) map = nvp_extent_map_new(10 * MiB + 4096, 512);
    guint64 a, b, c, d;

    g_assert_cmpuint(nvp_extent_map_get_usable(map), ==, 10 * MiB);
    g_assert_true(nvp_extent_map_alloc(map, 2 * MiB, &a));
    g_assert_true(nvp_extent_map_alloc(map, 3 * MiB, &b));
    g_assert_true(nvp_extent_map_alloc(map, 1 * MiB, &c));
    g_assert_cmpuint(a, ==, 0);
    g_assert_cmpuint(b, ==, 2 * MiB);
    g_assert_cmpuint(c, ==, 5 * MiB);
    /* Free the 3 MiB hole: a 1 MiB request takes its lowest address, not the tail. */
    g_assert_true(nvp_extent_map_release(map, b));
    g_assert_true(nvp_extent_map_alloc(map, 1 * MiB, &d));
    g_assert_cmpuint(d, ==, 2 * MiB);
    /* 5 MiB free in total (2 in the hole, 4 at the tail... minus): largest is the tail. */
    g_assert_cmpuint(nvp_extent_map_get_free(map), ==, 6 * MiB);
    g_assert_cmpuint(nvp_extent_map_get_largest_free(map), ==, 4 * MiB);
    g_assert_false(nvp_extent_map_alloc(map, 5 * MiB, &d));
    check_invariants(map, 4 * MiB);
}

static void
test_alignment(void)
{
    g_autoptr(NvpExtentMap) map = nvp_extent_map_new(64 * MiB, 4096);
    g_autoptr(NvpExtentMap) big = nvp_extent_map_new(64 * MiB, 2 * MiB);
    guint64 start;

    g_assert_cmpuint(nvp_extent_map_get_align(map), ==, MiB);
    g_assert_cmpuint(nvp_extent_map_get_align(big), ==, 2 * MiB);
    g_assert_cmpuint(nvp_extent_map_round(map, 1), ==, MiB);
    g_assert_cmpuint(nvp_extent_map_round(map, MiB), ==, MiB);
    g_assert_cmpuint(nvp_extent_map_round(big, 3 * MiB), ==, 4 * MiB);
    g_assert_cmpuint(nvp_extent_map_round(map, G_MAXUINT64), ==, 0);
    g_assert_false(nvp_extent_map_alloc(map, MiB + 4096, &start));
    g_assert_false(nvp_extent_map_reserve(map, 4096, MiB));
    g_assert_false(nvp_extent_map_reserve(map, 0, 0));
    g_assert_false(nvp_extent_map_reserve(map, 63 * MiB, 2 * MiB));
    g_assert_true(nvp_extent_map_reserve(map, 8 * MiB, MiB));
    g_assert_false(nvp_extent_map_reserve(map, 8 * MiB, MiB));
    g_assert_false(nvp_extent_map_reserve(map, 7 * MiB, 2 * MiB));
    check_invariants(map, MiB);
}

static void
test_grow_and_whole(void)
{
    g_autoptr(NvpExtentMap) map = nvp_extent_map_new(16 * MiB, 512);
    guint64 a, b;

    g_assert_true(nvp_extent_map_alloc(map, 2 * MiB, &a));
    g_assert_true(nvp_extent_map_alloc(map, 2 * MiB, &b));
    g_assert_false(nvp_extent_map_reserve_whole(map));
    g_assert_cmpuint(nvp_extent_map_get_room_after(map, a), ==, 0);
    g_assert_false(nvp_extent_map_grow(map, a, 3 * MiB));
    g_assert_cmpuint(nvp_extent_map_get_room_after(map, b), ==, 12 * MiB);
    g_assert_true(nvp_extent_map_grow(map, b, 14 * MiB));
    g_assert_false(nvp_extent_map_grow(map, b, 15 * MiB));
    g_assert_false(nvp_extent_map_grow(map, b, 1 * MiB));
    g_assert_false(nvp_extent_map_grow(map, 5 * MiB, 6 * MiB));
    check_invariants(map, 16 * MiB);
    g_assert_true(nvp_extent_map_release(map, a));
    g_assert_true(nvp_extent_map_release(map, b));
    g_assert_false(nvp_extent_map_release(map, b));
    g_assert_true(nvp_extent_map_reserve_whole(map));
    g_assert_true(nvp_extent_map_is_whole(map));
    g_assert_false(nvp_extent_map_alloc(map, MiB, &a));
    check_invariants(map, 16 * MiB);
}

/* Random sequences against a shadow list of what should be allocated. */
static void
test_random(void)
{
    guint rounds = g_test_slow() ? 200 : 40;

    for (guint round = 0; round < rounds; round++) {
        guint32 bs = g_test_rand_bit() ? 512 : 4096;
        guint64 size = (guint64)g_test_rand_int_range(1, 4096) * MiB +
                       bs * (guint64)g_test_rand_int_range(0, 100);
        g_autoptr(NvpExtentMap) map = nvp_extent_map_new(size, bs);
        g_autoptr(GArray) live = g_array_new(FALSE, FALSE, sizeof(NvpExtent));
        guint64 used = 0;

        for (guint step = 0; step < 400; step++) {
            int op = g_test_rand_int_range(0, 10);
            if (op < 5) {
                guint64 want = (guint64)g_test_rand_int_range(1, 256) * MiB;
                guint64 start = 0;
                guint64 expected = lowest_fit(map, want);
                gboolean ok = nvp_extent_map_alloc(map, want, &start);
                /* Succeeds exactly when a gap is large enough, at the lowest such gap. */
                g_assert_cmpint(ok, ==, expected != G_MAXUINT64);
                if (ok) {
                    g_assert_cmpuint(start, ==, expected);
                    NvpExtent e = { start, want };
                    for (guint i = 0; i < live->len; i++) {
                        NvpExtent *o = &g_array_index(live, NvpExtent, i);
                        g_assert_true(start + want <= o->start || o->start + o->length <= start);
                    }
                    g_array_append_val(live, e);
                    used += want;
                } else {
                    g_assert_cmpuint(nvp_extent_map_get_largest_free(map), <, want);
                }
            } else if (op < 8 && live->len > 0) {
                guint i = g_test_rand_int_range(0, live->len);
                NvpExtent e = g_array_index(live, NvpExtent, i);
                g_assert_true(nvp_extent_map_release(map, e.start));
                g_array_remove_index_fast(live, i);
                used -= e.length;
            } else if (live->len > 0) {
                guint i = g_test_rand_int_range(0, live->len);
                NvpExtent *e = &g_array_index(live, NvpExtent, i);
                guint64 room = nvp_extent_map_get_room_after(map, e->start);
                guint64 more = (guint64)g_test_rand_int_range(1, 64) * MiB;
                gboolean ok = nvp_extent_map_grow(map, e->start, e->length + more);
                g_assert_cmpint(ok, ==, more <= room);
                if (ok) {
                    e->length += more;
                    used += more;
                }
            }
            check_invariants(map, used);
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/pool/extents/first-fit", test_first_fit);
    g_test_add_func("/pool/extents/alignment", test_alignment);
    g_test_add_func("/pool/extents/grow-and-whole", test_grow_and_whole);
    g_test_add_func("/pool/extents/random", test_random);
    return g_test_run();
}
