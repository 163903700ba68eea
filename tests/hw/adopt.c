/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of adoption checks (agent/hw/adopt.c) against a fake sysfs tree
 * ($NVP_HW_SYSFS_ROOT): bad addresses, non-NVMe functions, missing IOMMU, non-viable groups,
 * foreign drivers, missing vfio-pci each give a precise error naming the device and the cause;
 * restore writes back the driver_override found. */
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/hw/adopt.h"
#include "agent/hw/error.h"

#define ADDR "0000:00:10.0"
#define OTHER "0000:00:10.1"

typedef struct {
    char *root;
} Fixture;

static void
put(const char *root, const char *rel, const char *content)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, content, -1, NULL));
}

static void
mkdirs(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);

    g_assert_cmpint(g_mkdir_with_parents(path, 0755), ==, 0);
}

static void
link_to(const char *root, const char *rel, const char *target_rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    g_autofree char *target = g_build_filename(root, target_rel, NULL);

    g_unlink(path);
    g_assert_cmpint(symlink(target, path), ==, 0);
}

/* A PCI function with class `class`, in IOMMU group 5, bound to `driver` (NULL: none). */
static void
add_device(const char *root, const char *addr, const char *class, const char *driver)
{
    g_autofree char *dev = g_strdup_printf("sys/bus/pci/devices/%s", addr);
    g_autofree char *class_f = g_strdup_printf("%s/class", dev);
    g_autofree char *ovr = g_strdup_printf("%s/driver_override", dev);
    g_autofree char *grp = g_strdup_printf("%s/iommu_group", dev);
    g_autofree char *member = g_strdup_printf("sys/kernel/iommu_groups/5/devices/%s", addr);

    put(root, class_f, class);
    put(root, ovr, "(null)\n");
    mkdirs(root, "sys/kernel/iommu_groups/5/devices");
    link_to(root, grp, "sys/kernel/iommu_groups/5");
    link_to(root, member, dev);
    if (driver) {
        g_autofree char *drv = g_strdup_printf("sys/bus/pci/drivers/%s", driver);
        g_autofree char *drv_link = g_strdup_printf("%s/driver", dev);
        mkdirs(root, drv);
        link_to(root, drv_link, drv);
    }
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    f->root = g_dir_make_tmp("nvp-hw-sysfs-XXXXXX", NULL);
    g_assert_nonnull(f->root);
    mkdirs(f->root, "sys/bus/pci/drivers/vfio-pci");
    put(f->root, "sys/bus/pci/drivers_probe", "");
    g_setenv("NVP_HW_SYSFS_ROOT", f->root, TRUE);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    const char *argv[] = { "rm", "-rf", f->root, NULL };

    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                 NULL);
    g_unsetenv("NVP_HW_SYSFS_ROOT");
    g_free(f->root);
}

static void
assert_refused(const char *addr, int code, const char *const *needles)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpHwAdoption) a = nvp_hw_adoption_inspect(addr, &error);

    g_assert_null(a);
    g_assert_error(error, NVP_HW_ERROR, code);
    for (guint i = 0; needles[i]; i++) {
        if (!strstr(error->message, needles[i]))
            g_error("'%s' does not mention '%s'", error->message, needles[i]);
    }
}

/* Malformed addresses are refused before sysfs is touched. */
static void
test_bad_address(Fixture *f, gconstpointer data)
{
    assert_refused("00:10.0", NVP_HW_ERROR_INVALID,
                   (const char *[]){ "00:10.0", "PCI address", NULL });
    assert_refused("0000:00:10.0/../x", NVP_HW_ERROR_INVALID,
                   (const char *[]){ "PCI address", NULL });
}

static void
test_not_found(Fixture *f, gconstpointer data)
{
    assert_refused(ADDR, NVP_HW_ERROR_NOT_FOUND,
                   (const char *[]){ ADDR, "no such PCI device", NULL });
}

/* A network card is not an NVMe controller; the message names the class found. */
static void
test_not_nvme(Fixture *f, gconstpointer data)
{
    add_device(f->root, ADDR, "0x020000\n", "e1000e");
    assert_refused(ADDR, NVP_HW_ERROR_NOT_NVME,
                   (const char *[]){ ADDR, "not an NVMe controller", "0x020000", NULL });
}

/* No iommu_group link: the IOMMU is off. */
static void
test_no_iommu(Fixture *f, gconstpointer data)
{
    g_autofree char *grp =
        g_build_filename(f->root, "sys/bus/pci/devices/" ADDR "/iommu_group", NULL);

    add_device(f->root, ADDR, "0x010802\n", NULL);
    g_assert_cmpint(g_unlink(grp), ==, 0);
    assert_refused(ADDR, NVP_HW_ERROR_NO_IOMMU, (const char *[]){ ADDR, "no IOMMU group", NULL });
}

/* Another function of the group bound to a host driver makes the group non-viable. */
static void
test_group_not_viable(Fixture *f, gconstpointer data)
{
    add_device(f->root, ADDR, "0x010802\n", NULL);
    add_device(f->root, OTHER, "0x020000\n", "e1000e");
    assert_refused(ADDR, NVP_HW_ERROR_GROUP,
                   (const char *[]){ ADDR, "group 5", OTHER, "e1000e", NULL });
}

/* Group members bound to vfio-pci, pcieport or nothing are fine; an unbound NVMe function is
 * inspected without libnvme identity. */
static void
test_group_viable(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpHwAdoption) a = NULL;

    add_device(f->root, ADDR, "0x010802\n", NULL);
    add_device(f->root, OTHER, "0x020000\n", "vfio-pci");
    add_device(f->root, "0000:00:10.2", "0x060400\n", "pcieport");
    add_device(f->root, "0000:00:10.3", "0x020000\n", NULL);
    a = nvp_hw_adoption_inspect(ADDR, &error);
    g_assert_no_error(error);
    g_assert_nonnull(a);
    g_assert_cmpint(a->iommu_group, ==, 5);
    g_assert_null(a->orig_driver);
    g_assert_null(a->orig_override);
    g_assert_null(a->kernel_name);
    g_assert_cmpuint(a->namespaces->len, ==, 0);
}

/* A function bound to a driver that is neither nvme nor vfio-pci is not taken away from it. */
static void
test_foreign_driver(Fixture *f, gconstpointer data)
{
    add_device(f->root, ADDR, "0x010802\n", "spdk-uio");
    assert_refused(ADDR, NVP_HW_ERROR_IN_USE, (const char *[]){ ADDR, "spdk-uio", NULL });
}

/* Without vfio-pci the device is refused before anything is changed. */
static void
test_no_vfio_pci(Fixture *f, gconstpointer data)
{
    g_autofree char *drv = g_build_filename(f->root, "sys/bus/pci/drivers/vfio-pci", NULL);
    g_autofree char *ovr =
        g_build_filename(f->root, "sys/bus/pci/devices/" ADDR "/driver_override", NULL);
    g_autofree char *content = NULL;

    add_device(f->root, ADDR, "0x010802\n", NULL);
    g_assert_cmpint(g_rmdir(drv), ==, 0);
    assert_refused(ADDR, NVP_HW_ERROR_VFIO, (const char *[]){ ADDR, "vfio-pci", NULL });
    g_assert_true(g_file_get_contents(ovr, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "(null)\n");
}

/* Restore puts back the driver_override found and unbinds from vfio-pci. */
static void
test_restore_override(Fixture *f, gconstpointer data)
{
    g_autofree char *ovr =
        g_build_filename(f->root, "sys/bus/pci/devices/" ADDR "/driver_override", NULL);
    g_autofree char *unbind =
        g_build_filename(f->root, "sys/bus/pci/drivers/vfio-pci/unbind", NULL);
    g_autofree char *content = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpHwAdoption) a = NULL;

    add_device(f->root, ADDR, "0x010802\n", NULL);
    put(f->root, "sys/bus/pci/devices/" ADDR "/driver_override", "pci-stub\n");
    a = nvp_hw_adoption_inspect(ADDR, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(a->orig_override, ==, "pci-stub");

    /* Pretend bind_vfio ran: override vfio-pci, driver vfio-pci. */
    put(f->root, "sys/bus/pci/devices/" ADDR "/driver_override", "vfio-pci");
    put(f->root, "sys/bus/pci/drivers/vfio-pci/unbind", "");
    link_to(f->root, "sys/bus/pci/devices/" ADDR "/driver", "sys/bus/pci/drivers/vfio-pci");
    a->bound_to_vfio = TRUE;
    g_assert_true(nvp_hw_adoption_restore(a, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(ovr, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, "pci-stub");
    g_clear_pointer(&content, g_free);
    g_assert_true(g_file_get_contents(unbind, &content, NULL, NULL));
    g_assert_cmpstr(content, ==, ADDR);
    /* A second restore is a no-op. */
    g_assert_true(nvp_hw_adoption_restore(a, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add("/hw/adopt/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("bad-address", test_bad_address);
    ADD("not-found", test_not_found);
    ADD("not-nvme", test_not_nvme);
    ADD("no-iommu", test_no_iommu);
    ADD("group-not-viable", test_group_not_viable);
    ADD("group-viable", test_group_viable);
    ADD("foreign-driver", test_foreign_driver);
    ADD("no-vfio-pci", test_no_vfio_pci);
    ADD("restore-override", test_restore_override);
    return g_test_run();
}
