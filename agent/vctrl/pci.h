/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI function of a virtual NVMe controller: type 0 config space (IDs, class 01:08:02, PM, MSI-X
 * and PCIe capabilities, BAR sizing, command register), BAR0 dispatch and the MSI-X BAR (BAR4:
 * table + PBA; QEMU's vfio-user client emulates the table and forwards only PBA reads). */
#pragma once

#include <glib.h>

#include "agent/vfu/server.h"

/* IDs. 0x4e56 ("NV" in ASCII) is NOT a PCI-SIG assignment: it is unassigned in pci.ids (checked
 * 2026-11) and used as a placeholder until the project has a vendor ID of its own; a deployment
 * can set its own through NvpVctrlPciConfig. The Linux nvme driver binds by class code (01:08:02),
 * so any ID works, and this pair matches no nvme quirk entry. */
#define NVP_VCTRL_PCI_VENDOR_ID 0x4e56
#define NVP_VCTRL_PCI_DEVICE_ID 0x5056 /* "PV": pool virtual */
#define NVP_VCTRL_PCI_SUBSYS_VENDOR_ID 0x4e56
#define NVP_VCTRL_PCI_SUBSYS_ID 0x0001
#define NVP_VCTRL_PCI_REVISION 0x01
#define NVP_VCTRL_PCI_CLASS 0x010802 /* mass storage, NVM, NVM Express */

#define NVP_VCTRL_PCI_CONFIG_SIZE 4096u     /* PCIe extended config space */
#define NVP_VCTRL_PCI_BAR0_MIN_SIZE 0x4000u /* 16 KiB: registers + doorbells */
#define NVP_VCTRL_PCI_MAX_VECTORS 2048u
#define NVP_VCTRL_PCI_MSIX_BAR 4u /* BAR4/5, 64-bit */

/* Capability offsets in config space (fixed layout). */
#define NVP_VCTRL_PCI_CAP_PM 0x40
#define NVP_VCTRL_PCI_CAP_MSIX 0x50
#define NVP_VCTRL_PCI_CAP_EXP 0x60

typedef struct {
    guint16 vendor_id;        /* 0: NVP_VCTRL_PCI_VENDOR_ID */
    guint16 device_id;        /* 0: NVP_VCTRL_PCI_DEVICE_ID */
    guint16 subsys_vendor_id; /* 0: NVP_VCTRL_PCI_SUBSYS_VENDOR_ID */
    guint16 subsys_id;        /* 0: NVP_VCTRL_PCI_SUBSYS_ID */
    guint8 revision;          /* 0: NVP_VCTRL_PCI_REVISION */
    guint n_vectors;          /* MSI-X table size, 1..NVP_VCTRL_PCI_MAX_VECTORS (admin + I/O) */
    guint64 bar0_size;        /* power of two >= NVP_VCTRL_PCI_BAR0_MIN_SIZE; 0: the minimum */
} NvpVctrlPciConfig;

/* BAR0 accesses (offset+len inside BAR0, checked). 0 or -errno (-EINVAL for a bad width). */
typedef int (*NvpVctrlPciBarFunc)(gpointer data, guint64 offset, void *buf, guint32 len,
                                  gboolean is_write);

typedef struct _NvpVctrlPci NvpVctrlPci;

NvpVctrlPci *nvp_vctrl_pci_new(const NvpVctrlPciConfig *cfg, GError **error);
void nvp_vctrl_pci_free(NvpVctrlPci *pci);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpVctrlPci, nvp_vctrl_pci_free)

/* The BAR0 register file. Without one (func NULL) BAR0 is a built-in stub of an NVMe 1.4
 * controller that never becomes ready: CAP/VS/CC/AQA/ASQ/ACQ read back, CSTS stays 0,
 * doorbell writes are ignored; 4- or 8-byte naturally aligned accesses only. */
void nvp_vctrl_pci_set_bar0_handler(NvpVctrlPci *pci, NvpVctrlPciBarFunc func, gpointer data);
/* Where PBA reads find pending bits (optional; without it the PBA reads as zero). */
void nvp_vctrl_pci_set_server(NvpVctrlPci *pci, NvpVfuServer *server);

/* Fills the region table and IRQ counts of a vfio-user server config for this function
 * (9 PCI regions: BAR0, BAR4, config; 5 IRQ types: MSI-X n_vectors, ERR 1, REQ 1). */
void nvp_vctrl_pci_fill_server_config(NvpVctrlPci *pci, NvpVfuServerConfig *cfg);
/* NvpVfuDeviceOps.region_access for this function: config space (any length, the
 * capability/BAR/command semantics applied per byte), BAR0 (to the handler), BAR4 (PBA). */
int nvp_vctrl_pci_region_access(NvpVctrlPci *pci, guint region, guint64 offset, void *buf,
                                guint32 len, gboolean is_write);
/* Function-level reset state: command 0, BARs 0, MSI-X disabled, D0 (for DEVICE_RESET). */
void nvp_vctrl_pci_reset(NvpVctrlPci *pci);

guint64 nvp_vctrl_pci_get_bar0_size(NvpVctrlPci *pci);
guint nvp_vctrl_pci_get_n_vectors(NvpVctrlPci *pci);
guint16 nvp_vctrl_pci_get_command(NvpVctrlPci *pci);
gboolean nvp_vctrl_pci_bus_master(NvpVctrlPci *pci);   /* COMMAND.BME */
gboolean nvp_vctrl_pci_msix_enabled(NvpVctrlPci *pci); /* MSI-X enable and not function-masked */

/* A stand-alone endpoint of the PCI function alone with the never-ready BAR0 stub
 * (virt-nvmepoold --debug-endpoint PATH). */
typedef struct _NvpVctrlPciStub NvpVctrlPciStub;
NvpVctrlPciStub *nvp_vctrl_pci_stub_new(const char *socket_path, GError **error);
void nvp_vctrl_pci_stub_free(NvpVctrlPciStub *stub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpVctrlPciStub, nvp_vctrl_pci_stub_free)
