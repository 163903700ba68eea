/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PCI function of a virtual NVMe controller: config space with per-bit write masks (BARs,
 * command register, PM, MSI-X and PCIe capabilities), BAR0 dispatch, MSI-X BAR, and the
 * never-ready BAR0 stub served by virt-nvmepoold --debug-endpoint. */
#include "agent/vctrl/pci.h"

#include <errno.h>
#include <string.h>

/* config space offsets (PCI 3.0 type 0 header) */
#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS 0x09
#define CFG_CACHE_LINE 0x0c
#define CFG_LATENCY 0x0d
#define CFG_BAR0 0x10
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS 0x2e
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c

#define CMD_MEMORY 0x0002
#define CMD_MASTER 0x0004
#define CMD_WRITABLE 0x0546 /* memory, bus master, parity, SERR, INTx disable */
#define STATUS_CAP_LIST 0x0010
#define STATUS_W1C 0xf900

#define BAR_MEM_64 0x4

#define PM_CAP_ID 0x01
#define MSIX_CAP_ID 0x11
#define EXP_CAP_ID 0x10
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_CTRL_MASKALL 0x4000
#define EXP_SIZE 0x3c /* PCIe capability version 2 */

/* NVMe registers of the stub (NVMe 1.4 section 3.1) */
#define NVME_REG_CAP 0x00
#define NVME_REG_VS 0x08
#define NVME_REG_INTMS 0x0c
#define NVME_REG_INTMC 0x10
#define NVME_REG_CC 0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA 0x24
#define NVME_REG_ASQ 0x28
#define NVME_REG_ACQ 0x30
#define NVME_DOORBELLS 0x1000

struct _NvpVctrlPci {
    NvpVctrlPciConfig cfg;
    guint8 config[NVP_VCTRL_PCI_CONFIG_SIZE];
    guint8 wmask[NVP_VCTRL_PCI_CONFIG_SIZE];
    guint8 w1c[NVP_VCTRL_PCI_CONFIG_SIZE];

    guint64 bar4_size;
    guint32 msix_table_size; /* bytes */
    guint32 pba_offset;
    guint32 pba_size;
    guint8 *msix_table; /* only for clients that do not emulate it */

    NvpVctrlPciBarFunc bar0_func;
    gpointer bar0_data;
    NvpVfuServer *server;

    /* never-ready stub registers */
    guint32 stub_cc;
    guint32 stub_intms;
    guint32 stub_aqa;
    guint64 stub_asq;
    guint64 stub_acq;
};

static void
put16(guint8 *p, guint off, guint16 v)
{
    v = GUINT16_TO_LE(v);
    memcpy(p + off, &v, 2);
}

static void
put32(guint8 *p, guint off, guint32 v)
{
    v = GUINT32_TO_LE(v);
    memcpy(p + off, &v, 4);
}

static guint16
get16(const guint8 *p, guint off)
{
    guint16 v;

    memcpy(&v, p + off, 2);
    return GUINT16_FROM_LE(v);
}

static guint64
pow2_ceil(guint64 v)
{
    guint64 p = 1;

    while (p < v)
        p <<= 1;
    return p;
}

/* Writable bits of a 64-bit memory BAR pair of the given size at off. */
static void
bar64_masks(NvpVctrlPci *pci, guint off, guint64 size)
{
    guint64 mask = ~(size - 1);

    put32(pci->wmask, off, (guint32)mask & 0xfffffff0u);
    put32(pci->wmask, off + 4, (guint32)(mask >> 32));
}

static void
init_config(NvpVctrlPci *pci)
{
    guint8 *c = pci->config;
    guint n = pci->cfg.n_vectors;

    memset(pci->config, 0, sizeof(pci->config));
    memset(pci->wmask, 0, sizeof(pci->wmask));
    memset(pci->w1c, 0, sizeof(pci->w1c));

    put16(c, CFG_VENDOR, pci->cfg.vendor_id);
    put16(c, CFG_DEVICE, pci->cfg.device_id);
    put16(c, CFG_COMMAND, 0);
    put16(pci->wmask, CFG_COMMAND, CMD_WRITABLE);
    put16(c, CFG_STATUS, STATUS_CAP_LIST);
    put16(pci->w1c, CFG_STATUS, STATUS_W1C);
    c[CFG_REVISION] = pci->cfg.revision;
    c[CFG_CLASS] = NVP_VCTRL_PCI_CLASS & 0xff;            /* prog-if 02: NVM Express */
    c[CFG_CLASS + 1] = (NVP_VCTRL_PCI_CLASS >> 8) & 0xff; /* subclass 08: NVM */
    c[CFG_CLASS + 2] = NVP_VCTRL_PCI_CLASS >> 16;         /* class 01: mass storage */
    pci->wmask[CFG_CACHE_LINE] = 0xff;
    pci->wmask[CFG_LATENCY] = 0xff;

    /* BAR0/1: 64-bit memory, registers + doorbells; BAR4/5: 64-bit memory, MSI-X table + PBA */
    put32(c, CFG_BAR0, BAR_MEM_64);
    bar64_masks(pci, CFG_BAR0, pci->cfg.bar0_size);
    put32(c, CFG_BAR0 + 4 * NVP_VCTRL_PCI_MSIX_BAR, BAR_MEM_64);
    bar64_masks(pci, CFG_BAR0 + 4 * NVP_VCTRL_PCI_MSIX_BAR, pci->bar4_size);

    put16(c, CFG_SUBSYS_VENDOR, pci->cfg.subsys_vendor_id);
    put16(c, CFG_SUBSYS, pci->cfg.subsys_id);
    c[CFG_CAP_PTR] = NVP_VCTRL_PCI_CAP_PM;
    pci->wmask[CFG_INT_LINE] = 0xff; /* interrupt pin 0: no INTx, MSI-X only */

    /* Power management, version 3, D0/D3hot, No_Soft_Reset */
    c[NVP_VCTRL_PCI_CAP_PM] = PM_CAP_ID;
    c[NVP_VCTRL_PCI_CAP_PM + 1] = NVP_VCTRL_PCI_CAP_MSIX;
    put16(c, NVP_VCTRL_PCI_CAP_PM + 2, 0x0003);
    put16(c, NVP_VCTRL_PCI_CAP_PM + 4, 0x0008);
    put16(pci->wmask, NVP_VCTRL_PCI_CAP_PM + 4, 0x0003);

    /* MSI-X: table at BAR4 + 0, PBA after it */
    c[NVP_VCTRL_PCI_CAP_MSIX] = MSIX_CAP_ID;
    c[NVP_VCTRL_PCI_CAP_MSIX + 1] = NVP_VCTRL_PCI_CAP_EXP;
    put16(c, NVP_VCTRL_PCI_CAP_MSIX + 2, (guint16)(n - 1));
    put16(pci->wmask, NVP_VCTRL_PCI_CAP_MSIX + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
    put32(c, NVP_VCTRL_PCI_CAP_MSIX + 4, 0 | NVP_VCTRL_PCI_MSIX_BAR);
    put32(c, NVP_VCTRL_PCI_CAP_MSIX + 8, pci->pba_offset | NVP_VCTRL_PCI_MSIX_BAR);

    /* PCI Express v2, endpoint, 2.5 GT/s x1, no FLR, no extended capabilities */
    c[NVP_VCTRL_PCI_CAP_EXP] = EXP_CAP_ID;
    c[NVP_VCTRL_PCI_CAP_EXP + 1] = 0;
    put16(c, NVP_VCTRL_PCI_CAP_EXP + 0x02, 0x0002);     /* version 2, type endpoint */
    put32(c, NVP_VCTRL_PCI_CAP_EXP + 0x04, 0x00008000); /* devcap: MPS 128, RBER */
    put16(c, NVP_VCTRL_PCI_CAP_EXP + 0x08, 0x2000);     /* devctl: MRRS 512 */
    put16(pci->wmask, NVP_VCTRL_PCI_CAP_EXP + 0x08, 0x79ff);
    put16(pci->w1c, NVP_VCTRL_PCI_CAP_EXP + 0x0a, 0x000f); /* devsta error bits */
    put32(c, NVP_VCTRL_PCI_CAP_EXP + 0x0c, 0x00000011);    /* linkcap: 2.5 GT/s, x1 */
    put16(pci->wmask, NVP_VCTRL_PCI_CAP_EXP + 0x10, 0x01c3);
    put16(c, NVP_VCTRL_PCI_CAP_EXP + 0x12, 0x0011);     /* linksta: 2.5 GT/s, x1 */
    put32(c, NVP_VCTRL_PCI_CAP_EXP + 0x2c, 0x00000002); /* linkcap2: 2.5 GT/s */
    put16(c, NVP_VCTRL_PCI_CAP_EXP + 0x30, 0x0001);     /* linkctl2: target 2.5 GT/s */
    G_STATIC_ASSERT(NVP_VCTRL_PCI_CAP_EXP + EXP_SIZE <= 0x100);

    memset(pci->msix_table, 0, pci->msix_table_size);
    for (guint i = 0; i < n; i++)
        put32(pci->msix_table, i * 16 + 12, 1); /* vector control: masked */
}

static void
stub_reset(NvpVctrlPci *pci)
{
    pci->stub_cc = 0;
    pci->stub_intms = 0;
    pci->stub_aqa = 0;
    pci->stub_asq = 0;
    pci->stub_acq = 0;
}

NvpVctrlPci *
nvp_vctrl_pci_new(const NvpVctrlPciConfig *cfg, GError **error)
{
    NvpVctrlPci *pci;
    guint n = cfg->n_vectors;
    guint64 bar0 = cfg->bar0_size ? cfg->bar0_size : NVP_VCTRL_PCI_BAR0_MIN_SIZE;

    if (n == 0 || n > NVP_VCTRL_PCI_MAX_VECTORS) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_INVALID,
                    "MSI-X vector count %u is outside 1..%u", n, NVP_VCTRL_PCI_MAX_VECTORS);
        return NULL;
    }
    if (bar0 < NVP_VCTRL_PCI_BAR0_MIN_SIZE || (bar0 & (bar0 - 1)) || bar0 > G_MAXUINT32 + 1ull) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_INVALID,
                    "BAR0 size %" G_GUINT64_FORMAT " is not a power of two of at least %u", bar0,
                    NVP_VCTRL_PCI_BAR0_MIN_SIZE);
        return NULL;
    }

    pci = g_new0(NvpVctrlPci, 1);
    pci->cfg = *cfg;
    pci->cfg.bar0_size = bar0;
    if (!pci->cfg.vendor_id)
        pci->cfg.vendor_id = NVP_VCTRL_PCI_VENDOR_ID;
    if (!pci->cfg.device_id)
        pci->cfg.device_id = NVP_VCTRL_PCI_DEVICE_ID;
    if (!pci->cfg.subsys_vendor_id)
        pci->cfg.subsys_vendor_id = NVP_VCTRL_PCI_SUBSYS_VENDOR_ID;
    if (!pci->cfg.subsys_id)
        pci->cfg.subsys_id = NVP_VCTRL_PCI_SUBSYS_ID;
    if (!pci->cfg.revision)
        pci->cfg.revision = NVP_VCTRL_PCI_REVISION;

    pci->msix_table_size = (guint32)(((guint64)n * 16 + 4095) & ~4095ull);
    pci->pba_offset = pci->msix_table_size;
    pci->pba_size = (guint32)(((n + 63) / 64) * 8);
    pci->bar4_size = pow2_ceil(pci->pba_offset + ((pci->pba_size + 4095u) & ~4095u));
    pci->msix_table = g_malloc0(pci->msix_table_size);
    init_config(pci);
    stub_reset(pci);
    return pci;
}

void
nvp_vctrl_pci_free(NvpVctrlPci *pci)
{
    if (!pci)
        return;
    g_free(pci->msix_table);
    g_free(pci);
}

void
nvp_vctrl_pci_set_bar0_handler(NvpVctrlPci *pci, NvpVctrlPciBarFunc func, gpointer data)
{
    pci->bar0_func = func;
    pci->bar0_data = data;
}

void
nvp_vctrl_pci_set_server(NvpVctrlPci *pci, NvpVfuServer *server)
{
    pci->server = server;
}

void
nvp_vctrl_pci_fill_server_config(NvpVctrlPci *pci, NvpVfuServerConfig *cfg)
{
    const guint32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

    cfg->n_regions = VFIO_PCI_NUM_REGIONS;
    memset(cfg->regions, 0, sizeof(cfg->regions));
    cfg->regions[VFIO_PCI_BAR0_REGION_INDEX] = (NvpVfuRegionConfig){ pci->cfg.bar0_size, rw };
    cfg->regions[VFIO_PCI_BAR4_REGION_INDEX] = (NvpVfuRegionConfig){ pci->bar4_size, rw };
    cfg->regions[VFIO_PCI_CONFIG_REGION_INDEX] =
        (NvpVfuRegionConfig){ NVP_VCTRL_PCI_CONFIG_SIZE, rw };
    cfg->n_irq_types = VFIO_PCI_NUM_IRQS;
    memset(cfg->irq_counts, 0, sizeof(cfg->irq_counts));
    cfg->irq_counts[VFIO_PCI_MSIX_IRQ_INDEX] = pci->cfg.n_vectors;
    cfg->irq_counts[VFIO_PCI_ERR_IRQ_INDEX] = 1;
    cfg->irq_counts[VFIO_PCI_REQ_IRQ_INDEX] = 1;
}

static int
config_access(NvpVctrlPci *pci, guint64 offset, guint8 *buf, guint32 len, gboolean is_write)
{
    if (!is_write) {
        memcpy(buf, pci->config + offset, len);
        return 0;
    }
    for (guint32 i = 0; i < len; i++) {
        guint off = (guint)offset + i;
        guint8 old = pci->config[off];
        guint8 v = (old & ~pci->wmask[off]) | (buf[i] & pci->wmask[off]);

        v &= ~(buf[i] & pci->w1c[off]);
        pci->config[off] = v;
    }
    return 0;
}

static gboolean
natural(guint64 offset, guint32 len)
{
    return (len == 4 || len == 8) && (offset & (len - 1)) == 0;
}

/* NVMe 1.4 controller that never becomes ready (CSTS.RDY stays 0). */
static int
stub_bar0_access(NvpVctrlPci *pci, guint64 offset, guint8 *buf, guint32 len, gboolean is_write)
{
    /* CAP: MQES 1023, CQR, TO 2 (1 s), CSS NVM, MPSMIN/MAX 4 KiB, DSTRD 0 */
    const guint64 cap = 0x3ffull | (1ull << 16) | (2ull << 24) | (1ull << 37);
    guint8 regs[0x38] = { 0 };
    guint64 v64;

    if (!natural(offset, len))
        return -EINVAL;
    if (offset >= NVME_DOORBELLS) {
        if (!is_write)
            memset(buf, 0, len);
        return 0; /* doorbells of a controller that is not ready: ignored */
    }
    if (offset + len > sizeof(regs)) {
        if (!is_write)
            memset(buf, 0, len);
        return 0;
    }
    if (is_write) {
        guint32 lo;

        memcpy(&lo, buf, 4);
        lo = GUINT32_FROM_LE(lo);
        if (len == 8 && (offset == NVME_REG_ASQ || offset == NVME_REG_ACQ)) {
            memcpy(&v64, buf, 8);
            v64 = GUINT64_FROM_LE(v64) & ~0xfffull;
            if (offset == NVME_REG_ASQ)
                pci->stub_asq = v64;
            else
                pci->stub_acq = v64;
            return 0;
        }
        switch (offset) {
        case NVME_REG_INTMS:
            pci->stub_intms |= lo;
            break;
        case NVME_REG_INTMC:
            pci->stub_intms &= ~lo;
            break;
        case NVME_REG_CC:
            pci->stub_cc = lo;
            break;
        case NVME_REG_AQA:
            pci->stub_aqa = lo & 0x0fff0fffu;
            break;
        case NVME_REG_ASQ:
            pci->stub_asq = (pci->stub_asq & ~0xffffffffull) | (lo & ~0xfffu);
            break;
        case NVME_REG_ASQ + 4:
            pci->stub_asq = (pci->stub_asq & 0xffffffffull) | ((guint64)lo << 32);
            break;
        case NVME_REG_ACQ:
            pci->stub_acq = (pci->stub_acq & ~0xffffffffull) | (lo & ~0xfffu);
            break;
        case NVME_REG_ACQ + 4:
            pci->stub_acq = (pci->stub_acq & 0xffffffffull) | ((guint64)lo << 32);
            break;
        default:
            break; /* read-only */
        }
        return 0;
    }
    v64 = GUINT64_TO_LE(cap);
    memcpy(regs + NVME_REG_CAP, &v64, 8);
    put32(regs, NVME_REG_VS, 0x00010400);
    put32(regs, NVME_REG_INTMS, pci->stub_intms);
    put32(regs, NVME_REG_INTMC, pci->stub_intms);
    put32(regs, NVME_REG_CC, pci->stub_cc);
    put32(regs, NVME_REG_CSTS, 0);
    put32(regs, NVME_REG_AQA, pci->stub_aqa);
    v64 = GUINT64_TO_LE(pci->stub_asq);
    memcpy(regs + NVME_REG_ASQ, &v64, 8);
    v64 = GUINT64_TO_LE(pci->stub_acq);
    memcpy(regs + NVME_REG_ACQ, &v64, 8);
    memcpy(buf, regs + offset, len);
    return 0;
}

static int
msix_bar_access(NvpVctrlPci *pci, guint64 offset, guint8 *buf, guint32 len, gboolean is_write)
{
    if (!natural(offset, len))
        return -EINVAL;
    if (offset + len <= pci->msix_table_size) {
        if (is_write)
            memcpy(pci->msix_table + offset, buf, len);
        else
            memcpy(buf, pci->msix_table + offset, len);
        return 0;
    }
    if (is_write)
        return 0; /* PBA and the holes are read-only */
    memset(buf, 0, len);
    if (offset >= pci->pba_offset && offset + len <= (guint64)pci->pba_offset + pci->pba_size &&
        pci->server) {
        guint first = (guint)(offset - pci->pba_offset) * 8;

        for (guint bit = 0; bit < len * 8; bit++) {
            guint v = first + bit;

            if (v < pci->cfg.n_vectors &&
                nvp_vfu_irq_pending(pci->server, VFIO_PCI_MSIX_IRQ_INDEX, v))
                buf[bit / 8] |= (guint8)(1u << (bit % 8));
        }
    }
    return 0;
}

int
nvp_vctrl_pci_region_access(NvpVctrlPci *pci, guint region, guint64 offset, void *buf, guint32 len,
                            gboolean is_write)
{
    switch (region) {
    case VFIO_PCI_CONFIG_REGION_INDEX:
        if (offset > NVP_VCTRL_PCI_CONFIG_SIZE || len > NVP_VCTRL_PCI_CONFIG_SIZE - offset)
            return -EINVAL;
        return config_access(pci, offset, buf, len, is_write);
    case VFIO_PCI_BAR0_REGION_INDEX:
        if (offset > pci->cfg.bar0_size || len > pci->cfg.bar0_size - offset)
            return -EINVAL;
        if (pci->bar0_func)
            return pci->bar0_func(pci->bar0_data, offset, buf, len, is_write);
        return stub_bar0_access(pci, offset, buf, len, is_write);
    case VFIO_PCI_BAR4_REGION_INDEX:
        if (offset > pci->bar4_size || len > pci->bar4_size - offset)
            return -EINVAL;
        return msix_bar_access(pci, offset, buf, len, is_write);
    default:
        return -EINVAL;
    }
}

void
nvp_vctrl_pci_reset(NvpVctrlPci *pci)
{
    init_config(pci);
    stub_reset(pci);
}

guint64
nvp_vctrl_pci_get_bar0_size(NvpVctrlPci *pci)
{
    return pci->cfg.bar0_size;
}

guint
nvp_vctrl_pci_get_n_vectors(NvpVctrlPci *pci)
{
    return pci->cfg.n_vectors;
}

guint16
nvp_vctrl_pci_get_command(NvpVctrlPci *pci)
{
    return get16(pci->config, CFG_COMMAND);
}

gboolean
nvp_vctrl_pci_bus_master(NvpVctrlPci *pci)
{
    return (get16(pci->config, CFG_COMMAND) & CMD_MASTER) != 0;
}

gboolean
nvp_vctrl_pci_msix_enabled(NvpVctrlPci *pci)
{
    guint16 ctrl = get16(pci->config, NVP_VCTRL_PCI_CAP_MSIX + 2);

    return (ctrl & MSIX_CTRL_ENABLE) && !(ctrl & MSIX_CTRL_MASKALL);
}

/* --- debug endpoint ------------------------------------------------------------------------ */

struct _NvpVctrlPciStub {
    NvpVctrlPci *pci;
    NvpVfuServer *server;
};

static int
stub_region_access(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                   gboolean is_write)
{
    NvpVctrlPciStub *stub = dev;

    return nvp_vctrl_pci_region_access(stub->pci, region, offset, buf, len, is_write);
}

static void
stub_device_reset(gpointer dev)
{
    NvpVctrlPciStub *stub = dev;

    nvp_vctrl_pci_reset(stub->pci);
}

static const NvpVfuDeviceOps stub_ops = {
    .region_access = stub_region_access,
    .reset = stub_device_reset,
};

NvpVctrlPciStub *
nvp_vctrl_pci_stub_new(const char *socket_path, GError **error)
{
    NvpVctrlPciConfig pcfg = { .n_vectors = 17 };
    NvpVfuServerConfig scfg = { .socket_path = socket_path };
    NvpVctrlPciStub *stub = g_new0(NvpVctrlPciStub, 1);

    stub->pci = nvp_vctrl_pci_new(&pcfg, error);
    if (!stub->pci) {
        nvp_vctrl_pci_stub_free(stub);
        return NULL;
    }
    nvp_vctrl_pci_fill_server_config(stub->pci, &scfg);
    stub->server = nvp_vfu_server_new(&scfg, &stub_ops, stub, error);
    if (!stub->server) {
        nvp_vctrl_pci_stub_free(stub);
        return NULL;
    }
    nvp_vctrl_pci_set_server(stub->pci, stub->server);
    return stub;
}

void
nvp_vctrl_pci_stub_free(NvpVctrlPciStub *stub)
{
    if (!stub)
        return;
    nvp_vfu_server_free(stub->server);
    nvp_vctrl_pci_free(stub->pci);
    g_free(stub);
}
