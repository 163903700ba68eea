/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's hardware double: adopt/identify/release/wipe/slice endpoints without devices. */
#include "tests/pool/fakehw.h"

#include <gio/gio.h>

static gpointer
fake_adopt(const char *bdf, gpointer data, GError **error)
{
    NvpFakeHw *hw = data;
    NvpController *dev = g_hash_table_lookup(hw->devices, bdf);

    if (!dev) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no PCI device %s", bdf);
        return NULL;
    }
    if (g_hash_table_contains(hw->adopted, bdf)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_BUSY, "%s is in use", bdf);
        return NULL;
    }
    g_hash_table_add(hw->adopted, g_strdup(bdf));
    return dev;
}

static void
fake_release(gpointer handle, gpointer data)
{
    NvpFakeHw *hw = data;
    NvpController *dev = handle;
    g_autofree char *bdf = nvp_pci_addr_to_bdf(&dev->addr);

    g_assert_true(g_hash_table_remove(hw->adopted, bdf));
}

static gboolean
fake_identify(gpointer handle, NvpController *ctrl, gpointer data, GError **error)
{
    NvpController *dev = handle;

    ctrl->serial = g_strdup(dev->serial);
    ctrl->model = g_strdup(dev->model);
    ctrl->firmware = g_strdup(dev->firmware);
    ctrl->queues_total = dev->queues_total;
    ctrl->vectors_total = dev->vectors_total;
    for (guint i = 0; i < dev->namespaces->len; i++)
        nvp_controller_add_namespace(ctrl, nvp_namespace_copy(dev->namespaces->pdata[i]));
    return TRUE;
}

static gboolean
fake_wipe(gpointer handle, guint32 nsid, guint64 lba, guint64 blocks, NvpPoolWipeMode mode,
          gpointer data, GError **error)
{
    NvpFakeHw *hw = data;

    if (hw->fail_wipe) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Write Zeroes failed: status 0x4002");
        return FALSE;
    }
    g_ptr_array_add(hw->wipes, g_strdup_printf("%u:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, nsid,
                                               lba, blocks));
    return TRUE;
}

static gpointer
fake_slice_start(gpointer handle, const NvpSlice *slice, const NvpVolume *vol, gpointer data,
                 GError **error)
{
    NvpFakeHw *hw = data;

    hw->n_endpoints++;
    return GUINT_TO_POINTER(hw->n_endpoints);
}

static void
fake_slice_stop(gpointer endpoint, gpointer data)
{
    NvpFakeHw *hw = data;

    g_assert_cmpuint(hw->n_endpoints, >, 0);
    hw->n_endpoints--;
}

static void
fake_slice_counters(gpointer endpoint, NvpSliceCounters *counters, gpointer data)
{
    counters->submitted = 7;
    counters->completed = 7;
}

const NvpPoolHwOps nvp_fake_hw_ops = {
    .adopt = fake_adopt,
    .release = fake_release,
    .identify = fake_identify,
    .wipe = fake_wipe,
    .slice_start = fake_slice_start,
    .slice_stop = fake_slice_stop,
    .slice_counters = fake_slice_counters,
};

NvpFakeHw *
nvp_fake_hw_new(void)
{
    NvpFakeHw *hw = g_new0(NvpFakeHw, 1);

    hw->devices =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)nvp_controller_free);
    hw->adopted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    hw->wipes = g_ptr_array_new_with_free_func(g_free);
    return hw;
}

void
nvp_fake_hw_free(NvpFakeHw *hw)
{
    if (!hw)
        return;
    g_hash_table_unref(hw->devices);
    g_hash_table_unref(hw->adopted);
    g_ptr_array_unref(hw->wipes);
    g_free(hw);
}

void
nvp_fake_hw_add(NvpFakeHw *hw, const char *bdf, const char *serial, guint n_ns,
                const guint64 *sizes, const guint32 *block_sizes)
{
    NvpPciAddr addr;
    NvpController *dev;

    g_assert_true(nvp_pci_addr_parse(bdf, &addr, NULL));
    dev = nvp_controller_new(&addr);
    dev->serial = g_strdup(serial);
    dev->model = g_strdup("Fake NVMe");
    dev->firmware = g_strdup("1.0");
    dev->queues_total = 64;
    dev->vectors_total = 65;
    for (guint i = 0; i < n_ns; i++)
        nvp_controller_add_namespace(dev, nvp_namespace_new(i + 1, sizes[i], block_sizes[i]));
    g_hash_table_insert(hw->devices, nvp_pci_addr_to_bdf(&addr), dev);
}
