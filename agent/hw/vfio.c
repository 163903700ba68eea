/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VFIO plumbing for one PCI function (type1 container, group, device, regions, DMA, IRQs). */
#include "agent/hw/vfio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/hw/error.h"
#include "common/i18n.h"

struct _NvpHwVfio {
    char *pci_addr;
    int group_id;
    int container_fd;
    int group_fd;
    int device_fd;
    GArray *iova_ranges; /* NvpHwIovaRange */
    guint64 iova_page_size;
    guint64 config_offset;
    GPtrArray *maps; /* NvpHwVfioMap */
};

typedef struct {
    void *addr;
    gsize len;
} NvpHwVfioMap;

static void
map_free(gpointer p)
{
    NvpHwVfioMap *m = p;

    munmap(m->addr, m->len);
    g_free(m);
}

static gboolean
vfio_fail(GError **error, NvpHwVfio *vfio, const char *what, int err)
{
    g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO, _("%s: VFIO %s failed: %s."),
                vfio->pci_addr, what, g_strerror(err));
    return FALSE;
}

static gboolean
load_iommu_info(NvpHwVfio *vfio, GError **error)
{
    g_autofree struct vfio_iommu_type1_info *info = g_malloc0(sizeof(*info));
    guint32 argsz = sizeof(*info);

    info->argsz = argsz;
    if (ioctl(vfio->container_fd, VFIO_IOMMU_GET_INFO, info) < 0)
        return vfio_fail(error, vfio, "IOMMU_GET_INFO", errno);
    if (info->argsz > argsz) {
        argsz = info->argsz;
        g_free(info);
        info = g_malloc0(argsz);
        info->argsz = argsz;
        if (ioctl(vfio->container_fd, VFIO_IOMMU_GET_INFO, info) < 0)
            return vfio_fail(error, vfio, "IOMMU_GET_INFO", errno);
    }
    vfio->iova_page_size = (info->flags & VFIO_IOMMU_INFO_PGSIZES) && info->iova_pgsizes
                               ? (guint64)1 << __builtin_ctzll(info->iova_pgsizes)
                               : 4096;

#ifdef VFIO_IOMMU_INFO_CAPS
    if ((info->flags & VFIO_IOMMU_INFO_CAPS) && info->cap_offset) {
        guint32 off = info->cap_offset;

        while (off && off + sizeof(struct vfio_info_cap_header) <= argsz) {
            struct vfio_info_cap_header *hdr = (void *)((char *)info + off);

            if (hdr->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
                struct vfio_iommu_type1_info_cap_iova_range *cap = (void *)hdr;

                if (off + sizeof(*cap) + (gsize)cap->nr_iovas * sizeof(cap->iova_ranges[0]) > argsz)
                    break;
                for (guint32 i = 0; i < cap->nr_iovas; i++) {
                    NvpHwIovaRange r = { cap->iova_ranges[i].start, cap->iova_ranges[i].end };
                    g_array_append_val(vfio->iova_ranges, r);
                }
            }
            if (hdr->next <= off)
                break;
            off = hdr->next;
        }
    }
#endif
    if (vfio->iova_ranges->len == 0) {
        /* Old kernels: the x86 MSI window is the only reserved range; 39 bits is the smallest
         * common address width. */
        NvpHwIovaRange lo = { 0, 0xfedfffff },
                       hi = { 0xfef00000, (G_GUINT64_CONSTANT(1) << 39) - 1 };
        g_array_append_val(vfio->iova_ranges, lo);
        g_array_append_val(vfio->iova_ranges, hi);
    }
    return TRUE;
}

NvpHwVfio *
nvp_hw_vfio_open(const char *pci_addr, int group_id, GError **error)
{
    g_autoptr(NvpHwVfio) vfio = g_new0(NvpHwVfio, 1);
    g_autofree char *group_path = g_strdup_printf("/dev/vfio/%d", group_id);
    struct vfio_group_status status = { .argsz = sizeof(status) };
    struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = VFIO_PCI_CONFIG_REGION_INDEX };
    int api;

    vfio->pci_addr = g_strdup(pci_addr);
    vfio->group_id = group_id;
    vfio->container_fd = vfio->group_fd = vfio->device_fd = -1;
    vfio->iova_ranges = g_array_new(FALSE, FALSE, sizeof(NvpHwIovaRange));
    vfio->maps = g_ptr_array_new_with_free_func(map_free);

    vfio->container_fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
    if (vfio->container_fd < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: cannot open /dev/vfio/vfio: %s (is the vfio module loaded?)."), pci_addr,
                    g_strerror(err));
        return NULL;
    }
    api = ioctl(vfio->container_fd, VFIO_GET_API_VERSION);
    if (api != VFIO_API_VERSION) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO, _("%s: unknown VFIO API version %d."),
                    pci_addr, api);
        return NULL;
    }
    if (ioctl(vfio->container_fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_IOMMU,
                    _("%s: the kernel offers no VFIO type1v2 IOMMU (is an IOMMU enabled?)."),
                    pci_addr);
        return NULL;
    }

    vfio->group_fd = open(group_path, O_RDWR | O_CLOEXEC);
    if (vfio->group_fd < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO, _("%s: cannot open %s: %s."), pci_addr,
                    group_path, g_strerror(err));
        return NULL;
    }
    if (ioctl(vfio->group_fd, VFIO_GROUP_GET_STATUS, &status) < 0)
        return vfio_fail(error, vfio, "GROUP_GET_STATUS", errno), NULL;
    if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_GROUP,
                    _("%s: IOMMU group %d is not viable: every device in it must be bound to "
                      "vfio-pci or to "
                      "no driver."),
                    pci_addr, group_id);
        return NULL;
    }
    if (ioctl(vfio->group_fd, VFIO_GROUP_SET_CONTAINER, &vfio->container_fd) < 0)
        return vfio_fail(error, vfio, "GROUP_SET_CONTAINER", errno), NULL;
    if (ioctl(vfio->container_fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
        return vfio_fail(error, vfio, "SET_IOMMU", errno), NULL;
    if (!load_iommu_info(vfio, error))
        return NULL;

    vfio->device_fd = ioctl(vfio->group_fd, VFIO_GROUP_GET_DEVICE_FD, pci_addr);
    if (vfio->device_fd < 0)
        return vfio_fail(error, vfio, "GROUP_GET_DEVICE_FD", errno), NULL;
    if (ioctl(vfio->device_fd, VFIO_DEVICE_GET_REGION_INFO, &cfg) < 0)
        return vfio_fail(error, vfio, "DEVICE_GET_REGION_INFO(config)", errno), NULL;
    vfio->config_offset = cfg.offset;
    return g_steal_pointer(&vfio);
}

void
nvp_hw_vfio_close(NvpHwVfio *vfio)
{
    if (!vfio)
        return;
    if (vfio->maps)
        g_ptr_array_unref(vfio->maps);
    if (vfio->device_fd >= 0)
        close(vfio->device_fd);
    if (vfio->group_fd >= 0) {
        ioctl(vfio->group_fd, VFIO_GROUP_UNSET_CONTAINER);
        close(vfio->group_fd);
    }
    if (vfio->container_fd >= 0)
        close(vfio->container_fd);
    if (vfio->iova_ranges)
        g_array_unref(vfio->iova_ranges);
    g_free(vfio->pci_addr);
    g_free(vfio);
}

int
nvp_hw_vfio_get_device_fd(NvpHwVfio *vfio)
{
    return vfio->device_fd;
}

const NvpHwIovaRange *
nvp_hw_vfio_get_iova_ranges(NvpHwVfio *vfio, guint *n_ranges)
{
    *n_ranges = vfio->iova_ranges->len;
    return (const NvpHwIovaRange *)vfio->iova_ranges->data;
}

guint64
nvp_hw_vfio_get_iova_page_size(NvpHwVfio *vfio)
{
    return vfio->iova_page_size;
}

gboolean
nvp_hw_vfio_map_region(NvpHwVfio *vfio, guint index, gsize min_size, void **addr, gsize *len,
                       GError **error)
{
    g_autofree struct vfio_region_info *info = g_malloc0(sizeof(*info));
    guint32 argsz = sizeof(*info);
    guint64 map_off = 0, map_len;
    void *p;

    info->argsz = argsz;
    info->index = index;
    if (ioctl(vfio->device_fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
        return vfio_fail(error, vfio, "DEVICE_GET_REGION_INFO", errno);
    if (info->argsz > argsz) {
        argsz = info->argsz;
        g_free(info);
        info = g_malloc0(argsz);
        info->argsz = argsz;
        info->index = index;
        if (ioctl(vfio->device_fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0)
            return vfio_fail(error, vfio, "DEVICE_GET_REGION_INFO", errno);
    }
    if (!(info->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO, _("%s: region %u cannot be mmapped."),
                    vfio->pci_addr, index);
        return FALSE;
    }
    map_len = info->size;
    if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info->cap_offset) {
        guint32 off = info->cap_offset;

        while (off && off + sizeof(struct vfio_info_cap_header) <= argsz) {
            struct vfio_info_cap_header *hdr = (void *)((char *)info + off);

            if (hdr->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
                struct vfio_region_info_cap_sparse_mmap *sp = (void *)hdr;

                map_len = 0;
                for (guint32 i = 0; i < sp->nr_areas; i++) {
                    if (sp->areas[i].offset == 0) {
                        map_off = 0;
                        map_len = sp->areas[i].size;
                    }
                }
            }
            if (hdr->next <= off)
                break;
            off = hdr->next;
        }
    }
    if (map_len < min_size) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: only %llu bytes of region %u can be mmapped, %zu are needed."),
                    vfio->pci_addr, (unsigned long long)map_len, index, min_size);
        return FALSE;
    }
    p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, vfio->device_fd,
             info->offset + map_off);
    if (p == MAP_FAILED)
        return vfio_fail(error, vfio, "region mmap", errno);
    {
        NvpHwVfioMap *m = g_new0(NvpHwVfioMap, 1);
        m->addr = p;
        m->len = map_len;
        g_ptr_array_add(vfio->maps, m);
    }
    *addr = p;
    *len = map_len;
    return TRUE;
}

gboolean
nvp_hw_vfio_config_read(NvpHwVfio *vfio, guint offset, void *buf, gsize len, GError **error)
{
    if (pread(vfio->device_fd, buf, len, vfio->config_offset + offset) != (gssize)len)
        return vfio_fail(error, vfio, "config space read", errno ? errno : EIO);
    return TRUE;
}

gboolean
nvp_hw_vfio_config_write(NvpHwVfio *vfio, guint offset, const void *buf, gsize len, GError **error)
{
    if (pwrite(vfio->device_fd, buf, len, vfio->config_offset + offset) != (gssize)len)
        return vfio_fail(error, vfio, "config space write", errno ? errno : EIO);
    return TRUE;
}

gboolean
nvp_hw_vfio_dma_map(NvpHwVfio *vfio, void *vaddr, guint64 iova, guint64 size, gboolean writable,
                    GError **error)
{
    struct vfio_iommu_type1_dma_map map = {
        .argsz = sizeof(map),
        .flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
        .vaddr = (guint64)(uintptr_t)vaddr,
        .iova = iova,
        .size = size,
    };

    if (ioctl(vfio->container_fd, VFIO_IOMMU_MAP_DMA, &map) < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: mapping IOVA 0x%llx + 0x%llx failed: %s."), vfio->pci_addr,
                    (unsigned long long)iova, (unsigned long long)size, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_hw_vfio_dma_unmap(NvpHwVfio *vfio, guint64 iova, guint64 size, GError **error)
{
    struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap),
                                                .iova = iova,
                                                .size = size };

    if (ioctl(vfio->container_fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: unmapping IOVA 0x%llx + 0x%llx failed: %s."), vfio->pci_addr,
                    (unsigned long long)iova, (unsigned long long)size, g_strerror(err));
        return FALSE;
    }
    if (unmap.size != size) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: unmapping IOVA 0x%llx unmapped 0x%llx bytes instead of 0x%llx."),
                    vfio->pci_addr, (unsigned long long)iova, (unsigned long long)unmap.size,
                    (unsigned long long)size);
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_hw_vfio_get_irq_info(NvpHwVfio *vfio, guint index, guint *count, guint32 *flags, GError **error)
{
    struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };

    if (ioctl(vfio->device_fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0)
        return vfio_fail(error, vfio, "DEVICE_GET_IRQ_INFO", errno);
    *count = info.count;
    *flags = info.flags;
    return TRUE;
}

gboolean
nvp_hw_vfio_set_irqs(NvpHwVfio *vfio, guint index, guint start, guint count, const int *fds,
                     GError **error)
{
    gsize sz = sizeof(struct vfio_irq_set) + (gsize)count * sizeof(int);
    g_autofree struct vfio_irq_set *set = g_malloc0(sz);

    set->argsz = sz;
    set->index = index;
    set->start = start;
    set->count = count;
    if (count == 0) {
        set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
    } else {
        set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
        memcpy(set->data, fds, count * sizeof(int));
    }
    if (ioctl(vfio->device_fd, VFIO_DEVICE_SET_IRQS, set) < 0)
        return vfio_fail(error, vfio, "DEVICE_SET_IRQS", errno);
    return TRUE;
}

gboolean
nvp_hw_vfio_device_reset(NvpHwVfio *vfio, GError **error)
{
    if (ioctl(vfio->device_fd, VFIO_DEVICE_RESET) < 0)
        return vfio_fail(error, vfio, "DEVICE_RESET", errno);
    return TRUE;
}
