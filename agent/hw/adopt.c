/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adoption of a PCI function from the kernel nvme driver to vfio-pci, and back. */
#include "agent/hw/adopt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libnvme.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/hw/error.h"
#include "common/i18n.h"

#define BIND_TIMEOUT_US (10 * G_USEC_PER_SEC)

/* sysfs paths, under $NVP_HW_SYSFS_ROOT when set (unit tests use a fake tree). */
static gboolean
sysfs_is_fake(void)
{
    const char *root = g_getenv("NVP_HW_SYSFS_ROOT");

    return root && *root;
}

static char *sysfs(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

static char *
sysfs(const char *fmt, ...)
{
    g_autofree char *rel = NULL;
    va_list ap;

    va_start(ap, fmt);
    rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return g_strconcat(sysfs_is_fake() ? g_getenv("NVP_HW_SYSFS_ROOT") : "", "/sys", rel, NULL);
}

static char *
read_sysfs(const char *path)
{
    char *s = NULL;

    if (!g_file_get_contents(path, &s, NULL, NULL))
        return NULL;
    return g_strstrip(s);
}

static gboolean
write_sysfs(const char *path, const char *value, const char *pci_addr, GError **error)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    gssize len = strlen(value);

    if (fd < 0 || write(fd, value, len) != len) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                    _("%s: writing '%s' to %s failed: %s."), pci_addr, g_strchomp(g_strdup(value)),
                    path, g_strerror(err));
        return FALSE;
    }
    close(fd);
    return TRUE;
}

/* Basename of the driver link, NULL if no driver. */
static char *
device_driver(const char *pci_addr)
{
    g_autofree char *link = sysfs("/bus/pci/devices/%s/driver", pci_addr);
    g_autofree char *target = g_file_read_link(link, NULL);

    return target ? g_path_get_basename(target) : NULL;
}

static gboolean
driver_allowed_in_group(const char *driver)
{
    return !driver || g_str_equal(driver, "vfio-pci") || g_str_equal(driver, "pci-stub") ||
           g_str_equal(driver, "pcieport");
}

static gboolean
check_group(NvpHwAdoption *a, GError **error)
{
    g_autofree char *dir = sysfs("/kernel/iommu_groups/%d/devices", a->iommu_group);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    if (!d) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_IOMMU,
                    _("%s: cannot list IOMMU group %d (%s)."), a->pci_addr, a->iommu_group, dir);
        return FALSE;
    }
    while ((name = g_dir_read_name(d))) {
        g_autofree char *drv = NULL;

        if (g_str_equal(name, a->pci_addr))
            continue;
        drv = device_driver(name);
        if (!driver_allowed_in_group(drv)) {
            g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_GROUP,
                        _("%s: IOMMU group %d also contains %s, bound to %s; every device of the "
                          "group must be "
                          "unbound or bound to vfio-pci first."),
                        a->pci_addr, a->iommu_group, name, drv);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
ensure_vfio_pci(const char *pci_addr, GError **error)
{
    g_autofree char *drv = sysfs("/bus/pci/drivers/vfio-pci");

    if (g_file_test(drv, G_FILE_TEST_IS_DIR))
        return TRUE;
    if (!sysfs_is_fake()) {
        const char *argv[] = { "modprobe", "-q", "vfio-pci", NULL };
        g_spawn_sync(NULL, (char **)argv, NULL,
                     G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, NULL, NULL);
    }
    if (g_file_test(drv, G_FILE_TEST_IS_DIR))
        return TRUE;
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                _("%s: the vfio-pci driver is not available (load the vfio-pci module)."),
                pci_addr);
    return FALSE;
}

/* ---- identity through libnvme ---- */

static char *
id_string(const char *field, gsize len)
{
    g_autofree char *s = g_strndup(field, len);

    return g_strdup(g_strstrip(s));
}

static char *
kernel_ctrl_name(const char *pci_addr)
{
    g_autofree char *dir = sysfs("/bus/pci/devices/%s/nvme", pci_addr);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        if (g_str_has_prefix(name, "nvme"))
            return g_strdup(name);
    }
    return NULL;
}

static gboolean
read_identity(NvpHwAdoption *a, GError **error)
{
    g_autofree char *dev = g_strdup_printf("/dev/%s", a->kernel_name);
    g_autofree struct nvme_id_ctrl *id = g_malloc0(sizeof(*id));
    g_autofree struct nvme_ns_list *list = g_malloc0(sizeof(*list));
    int fd, ret;

    fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                    _("%s: cannot open %s to identify it: %s."), a->pci_addr, dev, g_strerror(err));
        return FALSE;
    }
    ret = nvme_identify_ctrl(fd, id);
    if (ret == 0)
        ret = nvme_identify_active_ns_list(fd, 0, list);
    if (ret != 0) {
        int err = errno;
        close(fd);
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                    _("%s: Identify through %s failed: %s."), a->pci_addr, dev,
                    ret < 0 ? g_strerror(err) : nvme_status_to_string(ret, false));
        return FALSE;
    }
    a->model = id_string(id->mn, sizeof(id->mn));
    a->serial = id_string(id->sn, sizeof(id->sn));
    a->firmware = id_string(id->fr, sizeof(id->fr));
    a->mdts_bytes = id->mdts ? 4096u << MIN(id->mdts, 19) : 0;
    for (guint i = 0; i < G_N_ELEMENTS(list->ns); i++) {
        guint32 nsid = GUINT32_FROM_LE(list->ns[i]);
        g_autofree struct nvme_id_ns *ns = NULL;
        NvpHwAdoptNs ans;
        guint fmt;

        if (nsid == 0)
            break;
        ns = g_malloc0(sizeof(*ns));
        if (nvme_identify_ns(fd, nsid, ns) != 0)
            continue;
        fmt = (ns->flbas & 0xf) | ((ns->flbas >> 1) & 0x30);
        ans.nsid = nsid;
        ans.n_lbas = GUINT64_FROM_LE(ns->nsze);
        ans.lba_size =
            fmt < G_N_ELEMENTS(ns->lbaf) && ns->lbaf[fmt].ds < 32 ? 1u << ns->lbaf[fmt].ds : 0;
        g_array_append_val(a->namespaces, ans);
    }
    close(fd);
    return TRUE;
}

/* ---- in-use checks ---- */

static gboolean
is_ns_name(const char *name)
{
    return g_regex_match_simple("^nvme[0-9]+(c[0-9]+)?n[0-9]+$", name, 0, 0);
}

/* Block devices of the controller (namespaces, their multipath heads), and their partitions. */
static GPtrArray *
ctrl_block_devices(const NvpHwAdoption *a)
{
    g_autofree char *dir = sysfs("/bus/pci/devices/%s/nvme/%s", a->pci_addr, a->kernel_name);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    while (d && (name = g_dir_read_name(d))) {
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

        if (!is_ns_name(name))
            continue;
        g_ptr_array_add(names, g_strdup(name));
        if (strchr(name + 4, 'c')) {
            /* nvmeXcYnZ is a path of head nvmeXnZ (native multipath). */
            g_autoptr(GRegex) re = g_regex_new("c[0-9]+n", 0, 0, NULL);
            g_ptr_array_add(names, g_regex_replace_literal(re, name, -1, 0, "n", 0, NULL));
        }
        for (guint i = 0; i < names->len; i++) {
            const char *blk = names->pdata[i];
            g_autofree char *bdir = sysfs("/block/%s", blk);
            g_autoptr(GDir) bd = g_dir_open(bdir, 0, NULL);
            const char *part;

            if (!bd)
                continue;
            g_ptr_array_add(out, g_strdup(blk));
            while ((part = g_dir_read_name(bd))) {
                if (g_str_has_prefix(part, blk) && part[strlen(blk)] == 'p')
                    g_ptr_array_add(out, g_strdup(part));
            }
        }
    }
    return out;
}

static char *
block_sysfs_dir(const char *blk)
{
    g_autofree char *direct = sysfs("/class/block/%s", blk);

    return g_steal_pointer(&direct);
}

static gboolean
check_block_in_use(const NvpHwAdoption *a, const char *blk, const char *mountinfo,
                   const char *swaps, GError **error)
{
    g_autofree char *dir = block_sysfs_dir(blk);
    g_autofree char *holders_dir = g_strdup_printf("%s/holders", dir);
    g_autofree char *devpath = g_strdup_printf("%s/dev", dir);
    g_autofree char *majmin = read_sysfs(devpath);
    g_autoptr(GDir) hd = g_dir_open(holders_dir, 0, NULL);
    g_autofree char *devnode = g_strdup_printf("/dev/%s", blk);
    const char *holder;
    int fd;

    if (hd && (holder = g_dir_read_name(hd))) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                    _("%s: namespace %s is in use: held by %s."), a->pci_addr, blk, holder);
        return FALSE;
    }
    if (majmin && mountinfo) {
        g_auto(GStrv) lines = g_strsplit(mountinfo, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            g_auto(GStrv) f = g_strsplit(lines[i], " ", 6);
            if (g_strv_length(f) >= 5 && g_str_equal(f[2], majmin)) {
                g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                            _("%s: namespace %s is in use: mounted at %s."), a->pci_addr, blk,
                            f[4]);
                return FALSE;
            }
        }
    }
    if (swaps) {
        g_auto(GStrv) lines = g_strsplit(swaps, "\n", -1);
        for (guint i = 1; lines[i]; i++) {
            if (g_str_has_prefix(lines[i], devnode) && g_ascii_isspace(lines[i][strlen(devnode)])) {
                g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                            _("%s: namespace %s is in use as swap."), a->pci_addr, blk);
                return FALSE;
            }
        }
    }
    /* An exclusive open fails while a filesystem, md, dm or another exclusive user holds it. */
    fd = open(devnode, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == EBUSY) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                    _("%s: namespace %s is in use: it is opened exclusively by someone."),
                    a->pci_addr, blk);
        return FALSE;
    }
    if (fd >= 0)
        close(fd);
    return TRUE;
}

/* Any process (but us) with an fd on /dev/<kernel_name>, a namespace node or a partition. */
static gboolean
check_open_fds(const NvpHwAdoption *a, GPtrArray *blks, GError **error)
{
    g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
    g_autofree char *self = g_strdup_printf("%d", getpid());
    g_autofree char *ctrl_node = g_strdup_printf("/dev/%s", a->kernel_name);
    g_autoptr(GPtrArray) nodes = g_ptr_array_new_with_free_func(g_free);
    const char *pid;

    g_ptr_array_add(nodes, g_strdup(ctrl_node));
    for (guint i = 0; i < blks->len; i++) {
        const char *blk = blks->pdata[i];
        g_ptr_array_add(nodes, g_strdup_printf("/dev/%s", blk));
        /* generic char node ngXnY */
        if (g_str_has_prefix(blk, "nvme") && !strchr(blk, 'p'))
            g_ptr_array_add(nodes, g_strdup_printf("/dev/ng%s", blk + 4));
    }
    while (proc && (pid = g_dir_read_name(proc))) {
        g_autofree char *fddir = NULL;
        g_autoptr(GDir) fds = NULL;
        const char *fdname;

        if (!g_ascii_isdigit(pid[0]) || g_str_equal(pid, self))
            continue;
        fddir = g_strdup_printf("/proc/%s/fd", pid);
        fds = g_dir_open(fddir, 0, NULL);
        while (fds && (fdname = g_dir_read_name(fds))) {
            g_autofree char *link = g_strdup_printf("%s/%s", fddir, fdname);
            g_autofree char *target = g_file_read_link(link, NULL);

            if (!target)
                continue;
            for (guint i = 0; i < nodes->len; i++) {
                if (g_str_equal(target, nodes->pdata[i])) {
                    g_autofree char *comm_path = g_strdup_printf("/proc/%s/comm", pid);
                    g_autofree char *comm = read_sysfs(comm_path);
                    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                                _("%s: %s is in use: open by process %s (%s)."), a->pci_addr,
                                target, pid, comm ? comm : "?");
                    return FALSE;
                }
            }
        }
    }
    return TRUE;
}

static gboolean
check_in_use(NvpHwAdoption *a, GError **error)
{
    g_autoptr(GPtrArray) blks = ctrl_block_devices(a);
    g_autofree char *mountinfo = NULL;
    g_autofree char *swaps = NULL;

    g_file_get_contents("/proc/self/mountinfo", &mountinfo, NULL, NULL);
    g_file_get_contents("/proc/swaps", &swaps, NULL, NULL);
    for (guint i = 0; i < blks->len; i++) {
        if (!check_block_in_use(a, blks->pdata[i], mountinfo, swaps, error))
            return FALSE;
    }
    /* udev's probes open a namespace briefly after every uevent: a holder must still be there
     * after a second look. */
    for (guint attempt = 0;; attempt++) {
        g_autoptr(GError) local = NULL;

        if (check_open_fds(a, blks, &local))
            return TRUE;
        if (attempt == 4) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        g_usleep(200000);
    }
}

/* ---- public ---- */

NvpHwAdoption *
nvp_hw_adoption_inspect(const char *pci_addr, GError **error)
{
    g_autoptr(NvpHwAdoption) a = g_new0(NvpHwAdoption, 1);
    g_autofree char *devdir = NULL;
    g_autofree char *class_path = NULL;
    g_autofree char *class = NULL;
    g_autofree char *group_link = NULL;
    g_autofree char *group_target = NULL;
    g_autofree char *override_path = NULL;
    g_autofree char *group_base = NULL;

    a->namespaces = g_array_new(FALSE, FALSE, sizeof(NvpHwAdoptNs));
    a->iommu_group = -1;
    if (!pci_addr ||
        !g_regex_match_simple("^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$", pci_addr, 0, 0)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("'%s' is not a PCI address of the form 0000:00:04.0."),
                    pci_addr ? pci_addr : "");
        return NULL;
    }
    a->pci_addr = g_strdup(pci_addr);
    devdir = sysfs("/bus/pci/devices/%s", pci_addr);
    if (!g_file_test(devdir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_FOUND, _("%s: no such PCI device."),
                    pci_addr);
        return NULL;
    }
    class_path = g_strdup_printf("%s/class", devdir);
    class = read_sysfs(class_path);
    if (!class || !g_str_equal(class, "0x010802")) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NOT_NVME,
                    _("%s: not an NVMe controller (PCI class %s, expected 0x010802)."), pci_addr,
                    class ? class : "unknown");
        return NULL;
    }
    group_link = g_strdup_printf("%s/iommu_group", devdir);
    group_target = g_file_read_link(group_link, NULL);
    if (!group_target) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_IOMMU,
                    _("%s: no IOMMU group: the IOMMU is off or missing (boot with intel_iommu=on "
                      "or amd_iommu=on)."),
                    pci_addr);
        return NULL;
    }
    group_base = g_path_get_basename(group_target);
    a->iommu_group = (int)g_ascii_strtoll(group_base, NULL, 10);
    a->orig_driver = device_driver(pci_addr);
    override_path = g_strdup_printf("%s/driver_override", devdir);
    a->orig_override = read_sysfs(override_path);
    if (a->orig_override && (g_str_equal(a->orig_override, "(null)") || !*a->orig_override))
        g_clear_pointer(&a->orig_override, g_free);

    if (a->orig_driver && !g_str_equal(a->orig_driver, "nvme") &&
        !g_str_equal(a->orig_driver, "vfio-pci")) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_IN_USE,
                    _("%s: bound to driver %s, neither nvme nor vfio-pci; unbind it first."),
                    pci_addr, a->orig_driver);
        return NULL;
    }
    if (!check_group(a, error) || !ensure_vfio_pci(pci_addr, error))
        return NULL;

    if (a->orig_driver && g_str_equal(a->orig_driver, "nvme")) {
        a->kernel_name = kernel_ctrl_name(pci_addr);
        if (!a->kernel_name) {
            g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                        _("%s: bound to nvme but no controller device appeared under %s/nvme."),
                        pci_addr, devdir);
            return NULL;
        }
        if (!read_identity(a, error) || !check_in_use(a, error))
            return NULL;
    } else {
        a->model = g_strdup("");
        a->serial = g_strdup("");
        a->firmware = g_strdup("");
    }
    return g_steal_pointer(&a);
}

static gboolean
wait_driver(const char *pci_addr, const char *want, gint64 timeout_us)
{
    gint64 deadline = g_get_monotonic_time() + timeout_us;

    for (;;) {
        g_autofree char *drv = device_driver(pci_addr);

        if (g_strcmp0(drv, want) == 0)
            return TRUE;
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        g_usleep(20000);
    }
}

static gboolean
set_override(const char *pci_addr, const char *value, GError **error)
{
    g_autofree char *path = sysfs("/bus/pci/devices/%s/driver_override", pci_addr);

    return write_sysfs(path, value ? value : "\n", pci_addr, error);
}

static gboolean
unbind(const char *pci_addr, GError **error)
{
    g_autofree char *drv = device_driver(pci_addr);
    g_autofree char *path = NULL;

    if (!drv)
        return TRUE;
    path = sysfs("/bus/pci/drivers/%s/unbind", drv);
    return write_sysfs(path, pci_addr, pci_addr, error);
}

gboolean
nvp_hw_adoption_bind_vfio(NvpHwAdoption *a, GError **error)
{
    g_autofree char *dev = g_strdup_printf("/dev/vfio/%d", a->iommu_group);
    g_autofree char *probe = sysfs("/bus/pci/drivers_probe");
    gint64 deadline;

    if (a->orig_driver && g_str_equal(a->orig_driver, "vfio-pci")) {
        a->bound_to_vfio = FALSE;
    } else {
        a->bound_to_vfio = TRUE;
        if (!set_override(a->pci_addr, "vfio-pci", error))
            goto fail;
        if (!unbind(a->pci_addr, error))
            goto fail;
        if (!write_sysfs(probe, a->pci_addr, a->pci_addr, error))
            goto fail;
        if (!wait_driver(a->pci_addr, "vfio-pci", BIND_TIMEOUT_US)) {
            g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                        _("%s: vfio-pci did not bind to the device."), a->pci_addr);
            goto fail;
        }
    }
    deadline = g_get_monotonic_time() + BIND_TIMEOUT_US;
    while (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
        if (g_get_monotonic_time() > deadline) {
            g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO, _("%s: %s did not appear."),
                        a->pci_addr, dev);
            goto fail;
        }
        g_usleep(20000);
    }
    return TRUE;

fail:
    if (a->bound_to_vfio)
        nvp_hw_adoption_restore(a, NULL);
    return FALSE;
}

gboolean
nvp_hw_adoption_restore(NvpHwAdoption *a, GError **error)
{
    g_autoptr(GError) local = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *probe = sysfs("/bus/pci/drivers_probe");

    if (!a->bound_to_vfio)
        return TRUE;
    a->bound_to_vfio = FALSE;
    if (!set_override(a->pci_addr, a->orig_override, &local))
        goto fail;
    cur = device_driver(a->pci_addr);
    if (g_strcmp0(cur, a->orig_driver) == 0)
        return TRUE;
    if (!unbind(a->pci_addr, &local))
        goto fail;
    if (!a->orig_driver)
        return TRUE;
    if (!write_sysfs(probe, a->pci_addr, a->pci_addr, &local))
        goto fail;
    if (!wait_driver(a->pci_addr, a->orig_driver, BIND_TIMEOUT_US)) {
        g_autofree char *bind = sysfs("/bus/pci/drivers/%s/bind", a->orig_driver);
        write_sysfs(bind, a->pci_addr, a->pci_addr, NULL);
        if (!wait_driver(a->pci_addr, a->orig_driver, BIND_TIMEOUT_US)) {
            g_set_error(&local, NVP_HW_ERROR, NVP_HW_ERROR_FAILED,
                        _("%s: driver %s did not bind again."), a->pci_addr, a->orig_driver);
            goto fail;
        }
    }
    return TRUE;

fail:
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
}

void
nvp_hw_adoption_free(NvpHwAdoption *a)
{
    if (!a)
        return;
    g_free(a->pci_addr);
    g_free(a->orig_driver);
    g_free(a->orig_override);
    g_free(a->kernel_name);
    g_free(a->model);
    g_free(a->serial);
    g_free(a->firmware);
    if (a->namespaces)
        g_array_unref(a->namespaces);
    g_free(a);
}
