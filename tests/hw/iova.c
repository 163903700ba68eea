/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the IOVA allocator (agent/hw/iova.c): valid ranges, alignment, exhaustion,
 * coalescing release, lookup. */
#include "agent/hw/error.h"
#include "agent/hw/iova.h"

#define KiB (G_GUINT64_CONSTANT(1) << 10)
#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define GiB (G_GUINT64_CONSTANT(1) << 30)

/* Page 0 is never handed out and ranges are page-aligned inward. */
static void
test_ranges_normalized(void)
{
    NvpHwIovaRange r[] = { { 0, 16 * KiB - 1 }, { 100 * KiB + 1, 200 * KiB + 5 } };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(r, G_N_ELEMENTS(r), 4 * KiB);
    guint64 base;

    /* [4K, 16K) = 12K and [104K, 200K) = 96K */
    g_assert_cmpuint(nvp_hw_iova_get_free_bytes(iova), ==, 12 * KiB + 96 * KiB);
    g_assert_true(nvp_hw_iova_alloc(iova, 1, 0, &base, NULL));
    g_assert_cmpuint(base, ==, 4 * KiB);
    g_assert_true(nvp_hw_iova_lookup(iova, base + 100, NULL, NULL));
}

/* The x86 MSI window between two valid ranges is never handed out, even for a large request. */
static void
test_hole_respected(void)
{
    NvpHwIovaRange r[] = { { 0xfef00000, (G_GUINT64_CONSTANT(1) << 39) - 1 }, { 0, 0xfedfffff } };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(r, G_N_ELEMENTS(r), 4 * KiB);
    guint64 a, b, c;

    g_assert_true(nvp_hw_iova_alloc(iova, 1 * GiB, 2 * MiB, &a, NULL));
    g_assert_cmpuint(a, ==, 2 * MiB); /* first fit, aligned above page 0 */
    g_assert_true(nvp_hw_iova_alloc(iova, 3 * GiB, 2 * MiB, &b, NULL));
    /* [2M+1G, 0xfedfffff] is < 3 GiB, so b must be above the hole */
    g_assert_cmpuint(b, >=, 0xfef00000);
    g_assert_cmpuint(b % (2 * MiB), ==, 0);
    /* A small one goes first fit into the gap left below the aligned window. */
    g_assert_true(nvp_hw_iova_alloc(iova, 4 * KiB, 0, &c, NULL));
    g_assert_cmpuint(c, ==, 4 * KiB);
    for (guint64 x = a; x < a + 1 * GiB; x += 256 * MiB)
        g_assert_false(x >= 0xfee00000 && x < 0xfef00000);
    g_assert_false(b < 0xfef00000 && b + 3 * GiB > 0xfee00000);
}

/* Alignment is honoured and sizes are rounded to pages. */
static void
test_alignment(void)
{
    NvpHwIovaRange r = { 0, 64 * MiB - 1 };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(&r, 1, 4 * KiB);
    guint64 a, b, size;

    g_assert_true(nvp_hw_iova_alloc(iova, 5000, 0, &a, NULL));
    g_assert_true(nvp_hw_iova_lookup(iova, a, NULL, &size));
    g_assert_cmpuint(size, ==, 8 * KiB);
    g_assert_true(nvp_hw_iova_alloc(iova, 4 * KiB, 1 * MiB, &b, NULL));
    g_assert_cmpuint(b % MiB, ==, 0);
    g_assert_cmpuint(b, >=, a + 8 * KiB);
}

/* Exhaustion yields NO_SPACE, release makes room again, and neighbours coalesce. */
static void
test_exhaustion_and_release(void)
{
    NvpHwIovaRange r = { 4 * KiB, 4 * KiB + 16 * KiB - 1 }; /* 4 pages */
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(&r, 1, 4 * KiB);
    g_autoptr(GError) error = NULL;
    guint64 p[4], big;

    for (guint i = 0; i < 4; i++)
        g_assert_true(nvp_hw_iova_alloc(iova, 4 * KiB, 0, &p[i], NULL));
    g_assert_cmpuint(nvp_hw_iova_get_free_bytes(iova), ==, 0);
    g_assert_false(nvp_hw_iova_alloc(iova, 4 * KiB, 0, &big, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE);
    g_clear_error(&error);

    /* Free pages 1 and 2 (not adjacent to the free tail): a 2-page allocation must fit. */
    g_assert_true(nvp_hw_iova_release(iova, p[1]));
    g_assert_true(nvp_hw_iova_release(iova, p[2]));
    g_assert_true(nvp_hw_iova_alloc(iova, 8 * KiB, 0, &big, NULL));
    g_assert_cmpuint(big, ==, p[1]);
    g_assert_true(nvp_hw_iova_release(iova, big));

    /* Releasing everything coalesces back into one range that fits all 16 KiB. */
    g_assert_true(nvp_hw_iova_release(iova, p[0]));
    g_assert_true(nvp_hw_iova_release(iova, p[3]));
    g_assert_cmpuint(nvp_hw_iova_get_n_allocations(iova), ==, 0);
    g_assert_true(nvp_hw_iova_alloc(iova, 16 * KiB, 0, &big, NULL));
    g_assert_cmpuint(big, ==, 4 * KiB);
}

/* Double free, unknown bases and interior addresses are refused. */
static void
test_bad_release(void)
{
    NvpHwIovaRange r = { 0, 1 * MiB - 1 };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(&r, 1, 4 * KiB);
    guint64 a;

    g_assert_true(nvp_hw_iova_alloc(iova, 16 * KiB, 0, &a, NULL));
    g_assert_false(nvp_hw_iova_release(iova, a + 4 * KiB));
    g_assert_false(nvp_hw_iova_release(iova, 0x12345000));
    g_assert_true(nvp_hw_iova_release(iova, a));
    g_assert_false(nvp_hw_iova_release(iova, a));
    g_assert_false(nvp_hw_iova_lookup(iova, a, NULL, NULL));
}

/* Invalid sizes/alignments and huge sizes fail cleanly without overflow. */
static void
test_invalid(void)
{
    NvpHwIovaRange r = { 0, G_MAXUINT64 };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(&r, 1, 4 * KiB);
    g_autoptr(GError) error = NULL;
    guint64 a;

    g_assert_false(nvp_hw_iova_alloc(iova, 0, 0, &a, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_false(nvp_hw_iova_alloc(iova, 4096, 3 * KiB, &a, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_false(nvp_hw_iova_alloc(iova, G_MAXUINT64, 0, &a, &error));
    g_assert_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE);
    g_clear_error(&error);
    /* The top of a full 64-bit space is usable. */
    g_assert_true(nvp_hw_iova_alloc(iova, G_MAXUINT64 - 8 * KiB + 1, 0, &a, NULL));
    g_assert_cmpuint(a, ==, 4 * KiB);
}

/* Many windows: disjointness under random alloc/free churn. */
static void
test_churn_disjoint(void)
{
    NvpHwIovaRange r[] = { { 0, 0xfedfffff }, { 0xfef00000, (G_GUINT64_CONSTANT(1) << 39) - 1 } };
    g_autoptr(NvpHwIova) iova = nvp_hw_iova_new(r, 2, 4 * KiB);
    g_autoptr(GRand) rnd = g_rand_new_with_seed(42);
    guint64 base[64] = { 0 }, size[64] = { 0 };

    for (guint round = 0; round < 2000; round++) {
        guint i = g_rand_int_range(rnd, 0, 64);

        if (base[i]) {
            g_assert_true(nvp_hw_iova_release(iova, base[i]));
            base[i] = 0;
        } else {
            size[i] = (guint64)g_rand_int_range(rnd, 1, 4096) * 2 * MiB;
            g_assert_true(nvp_hw_iova_alloc(iova, size[i], 2 * MiB, &base[i], NULL));
            g_assert_false(base[i] < 0xfef00000 && base[i] + size[i] > 0xfee00000);
            for (guint j = 0; j < 64; j++) {
                if (j != i && base[j])
                    g_assert_true(base[i] + size[i] <= base[j] || base[j] + size[j] <= base[i]);
            }
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hw/iova/ranges-normalized", test_ranges_normalized);
    g_test_add_func("/hw/iova/hole-respected", test_hole_respected);
    g_test_add_func("/hw/iova/alignment", test_alignment);
    g_test_add_func("/hw/iova/exhaustion-and-release", test_exhaustion_and_release);
    g_test_add_func("/hw/iova/bad-release", test_bad_release);
    g_test_add_func("/hw/iova/invalid", test_invalid);
    g_test_add_func("/hw/iova/churn-disjoint", test_churn_disjoint);
    return g_test_run();
}
