/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adoption of a PCI function: sysfs checks (NVMe class, IOMMU group viability, vfio-pci), kernel
 * identity through libnvme, in-use checks, driver_override/unbind/probe and the reverse. */
#pragma once

#include <glib.h>

typedef struct {
    guint32 nsid;
    guint64 n_lbas;
    guint32 lba_size;
} NvpHwAdoptNs;

typedef struct {
    char *pci_addr;
    int iommu_group;
    char *orig_driver;   /* driver bound when found, NULL if none */
    char *orig_override; /* driver_override when found, NULL if "(null)" */
    char *kernel_name;   /* "nvme0" when found bound to the nvme driver */
    /* Identity read through libnvme while kernel-bound (empty strings / no namespaces when the
     * device was not bound to nvme). */
    char *model;
    char *serial;
    char *firmware;
    guint32 mdts_bytes;     /* assuming CAP.MPSMIN = 0; 0 = no limit */
    GArray *namespaces;     /* NvpHwAdoptNs */
    gboolean bound_to_vfio; /* we changed the binding (restore undoes it) */
} NvpHwAdoption;

/* Checks everything that can be checked without touching the device: it exists, is an NVMe
 * controller (class 01:08:02), has an IOMMU group whose other members are bound to vfio-pci,
 * pci-stub, pcieport or nothing, vfio-pci is available; if bound to nvme, reads its identity
 * via libnvme and refuses when a namespace is mounted, held, used as swap or open. */
NvpHwAdoption *nvp_hw_adoption_inspect(const char *pci_addr, GError **error);
/* driver_override=vfio-pci, unbind, drivers_probe, wait for /dev/vfio/<group>. On error the
 * binding found is restored. */
gboolean nvp_hw_adoption_bind_vfio(NvpHwAdoption *adoption, GError **error);
/* Restores driver_override and hands the device back to the kernel (drivers_probe), waiting
 * for the original driver (nvme) to bind. */
gboolean nvp_hw_adoption_restore(NvpHwAdoption *adoption, GError **error);
void nvp_hw_adoption_free(NvpHwAdoption *adoption);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpHwAdoption, nvp_hw_adoption_free)
