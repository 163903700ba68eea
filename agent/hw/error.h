/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error domain of agent/hw: one quark, one enum of codes for every hw object. */
#pragma once

#include <glib.h>

#define NVP_HW_ERROR (nvp_hw_error_quark())
GQuark nvp_hw_error_quark(void);

typedef enum {
    NVP_HW_ERROR_FAILED,      /* anything else (errno from sysfs or ioctls) */
    NVP_HW_ERROR_NOT_FOUND,   /* no such PCI device / namespace / queue */
    NVP_HW_ERROR_NOT_NVME,    /* the PCI function is not an NVMe controller */
    NVP_HW_ERROR_IN_USE,      /* a namespace is mounted, held or open */
    NVP_HW_ERROR_NO_IOMMU,    /* no IOMMU group: IOMMU off or missing */
    NVP_HW_ERROR_GROUP,       /* IOMMU group not viable (other devices with other drivers) */
    NVP_HW_ERROR_VFIO,        /* vfio-pci missing or a VFIO ioctl failed */
    NVP_HW_ERROR_NOT_READY,   /* CSTS.RDY did not follow CC.EN within CAP.TO */
    NVP_HW_ERROR_TIMEOUT,     /* an admin command timed out (aborted or controller reset) */
    NVP_HW_ERROR_NVME_STATUS, /* an admin command completed with an error status */
    NVP_HW_ERROR_NO_SPACE,    /* IOVA space, queue IDs or vectors exhausted */
    NVP_HW_ERROR_INVALID,     /* bad argument */
    NVP_HW_ERROR_FATAL,       /* CSTS.CFS: controller fatal status, reset performed */
} NvpHwError;
