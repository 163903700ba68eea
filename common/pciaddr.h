/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PCI address: libvirt nodedev names ("pci_0000_00_04_0") and sysfs BDFs ("0000:00:04.0"). */
#pragma once

#include <glib.h>

#define NVP_PCI_ADDR_ERROR (nvp_pci_addr_error_quark())
GQuark nvp_pci_addr_error_quark(void);

typedef enum {
    NVP_PCI_ADDR_ERROR_INVALID,
} NvpPciAddrError;

typedef struct {
    guint domain;   /* 0..0xffff */
    guint bus;      /* 0..0xff */
    guint slot;     /* 0..0x1f */
    guint function; /* 0..7 */
} NvpPciAddr;

/* Accepts "pci_0000_00_04_0", "0000:00:04.0" and "00:04.0" (domain 0). */
gboolean nvp_pci_addr_parse(const char *str, NvpPciAddr *addr, GError **error);
/* Range check of the four fields. */
gboolean nvp_pci_addr_check(const NvpPciAddr *addr, GError **error);
/* "pci_0000_00_04_0" */
char *nvp_pci_addr_to_name(const NvpPciAddr *addr);
/* "0000:00:04.0" */
char *nvp_pci_addr_to_bdf(const NvpPciAddr *addr);
gboolean nvp_pci_addr_equal(const NvpPciAddr *a, const NvpPciAddr *b);
