/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent/vctrl/pci.c, the PCI function of the virtual NVMe controller, seen the way QEMU's
 * vfio-user client sees it (through agent/vfu and the in-tree test client): IDs and class,
 * capability chain, BAR sizing, command register, MSI-X table/PBA, reset, and the never-ready
 * BAR0 stub behind virt-nvmepoold --debug-endpoint. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/vctrl/pci.h"
#include "tests/lib/vfu-client.h"

#define CFG VFIO_PCI_CONFIG_REGION_INDEX
#define BAR0 VFIO_PCI_BAR0_REGION_INDEX
#define BAR4 VFIO_PCI_BAR4_REGION_INDEX
#define N_VECTORS 17u

typedef struct {
    NvpVctrlPci *pci;
    NvpVfuServer *server;
    NvpTestVfuClient *client;
    guint n_resets;
} Fixture;

static int
fx_region_access(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                 gboolean is_write)
{
    Fixture *f = dev;

    return nvp_vctrl_pci_region_access(f->pci, region, offset, buf, len, is_write);
}

static void
fx_reset(gpointer dev)
{
    Fixture *f = dev;

    f->n_resets++;
    nvp_vctrl_pci_reset(f->pci);
}

static const NvpVfuDeviceOps fx_ops = {
    .region_access = fx_region_access,
    .reset = fx_reset,
};

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    NvpVctrlPciConfig pcfg = { .n_vectors = N_VECTORS };
    NvpVfuServerConfig scfg = { 0 };
    g_autoptr(GError) error = NULL;
    int sv[2];

    f->pci = nvp_vctrl_pci_new(&pcfg, &error);
    g_assert_no_error(error);
    nvp_vctrl_pci_fill_server_config(f->pci, &scfg);
    f->server = nvp_vfu_server_new(&scfg, &fx_ops, f, &error);
    g_assert_no_error(error);
    nvp_vctrl_pci_set_server(f->pci, f->server);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    g_assert_true(nvp_vfu_server_attach_client(f->server, sv[0], &error));
    f->client = nvp_test_vfu_client_new(sv[1]);
    nvp_test_vfu_client_set_pump(f->client, g_main_context_default());
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    nvp_test_vfu_client_free(f->client);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    nvp_vfu_server_free(f->server);
    nvp_vctrl_pci_free(f->pci);
}

static guint32
cfg_read(Fixture *f, guint off, guint len)
{
    guint32 v = 0;

    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, CFG, off, &v, len), ==, 0);
    return GUINT32_FROM_LE(v);
}

static void
cfg_write(Fixture *f, guint off, guint len, guint32 v)
{
    v = GUINT32_TO_LE(v);
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, CFG, off, &v, len, FALSE), ==, 0);
}

static void
test_regions(Fixture *f, gconstpointer data)
{
    struct vfio_device_info di;
    struct vfio_region_info ri;
    struct vfio_irq_info ii;

    g_assert_cmpint(nvp_test_vfu_client_get_device_info(f->client, &di), ==, 0);
    g_assert_cmpuint(di.num_regions, ==, VFIO_PCI_NUM_REGIONS);
    g_assert_cmpuint(di.num_irqs, ==, VFIO_PCI_NUM_IRQS);
    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, BAR0, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, NVP_VCTRL_PCI_BAR0_MIN_SIZE);
    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, BAR4, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, 8192); /* 17 vectors: table page + PBA page */
    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, CFG, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, NVP_VCTRL_PCI_CONFIG_SIZE);
    for (guint i = 1; i <= VFIO_PCI_VGA_REGION_INDEX; i++) {
        if (i == BAR4 || i == CFG)
            continue;
        g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, i, &ri), ==, 0);
        g_assert_cmpuint(ri.size, ==, 0);
    }
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_MSIX_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, N_VECTORS);
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_INTX_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_MSI_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_ERR_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, 1);
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_REQ_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, 1);
}

static void
test_config_header(Fixture *f, gconstpointer data)
{
    guint8 c[NVP_VCTRL_PCI_CONFIG_SIZE];
    guint ptr;
    guint ids[3];
    guint n = 0;

    /* QEMU reads the whole config space in one REGION_READ */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, CFG, 0, c, sizeof(c)), ==, 0);
    g_assert_cmphex(c[0] | c[1] << 8, ==, NVP_VCTRL_PCI_VENDOR_ID);
    g_assert_cmphex(c[2] | c[3] << 8, ==, NVP_VCTRL_PCI_DEVICE_ID);
    g_assert_cmphex(c[0x2c] | c[0x2d] << 8, ==, NVP_VCTRL_PCI_SUBSYS_VENDOR_ID);
    g_assert_cmphex(c[0x2e] | c[0x2f] << 8, ==, NVP_VCTRL_PCI_SUBSYS_ID);
    g_assert_cmphex(c[0x09], ==, 0x02); /* NVM Express */
    g_assert_cmphex(c[0x0a], ==, 0x08);
    g_assert_cmphex(c[0x0b], ==, 0x01);
    g_assert_cmphex(c[0x0e], ==, 0x00);      /* type 0, single function */
    g_assert_true(c[0x06] & 0x10);           /* capability list */
    g_assert_cmphex(c[0x3d], ==, 0);         /* no INTx */
    g_assert_cmphex(c[0x10] & 0x7, ==, 0x4); /* BAR0 64-bit memory */
    g_assert_cmphex(c[0x20] & 0x7, ==, 0x4); /* BAR4 64-bit memory */
    /* capability chain: PM -> MSI-X -> PCIe, no extended capabilities */
    for (ptr = c[0x34]; ptr && n < 3; ptr = c[ptr + 1])
        ids[n++] = c[ptr];
    g_assert_cmpuint(n, ==, 3);
    g_assert_cmphex(ids[0], ==, 0x01);
    g_assert_cmphex(ids[1], ==, 0x11);
    g_assert_cmphex(ids[2], ==, 0x10);
    g_assert_cmpuint(ptr, ==, 0);
    g_assert_cmphex(c[0x100] | c[0x101] | c[0x102] | c[0x103], ==, 0);
    /* MSI-X: 17 vectors, table at BAR4+0, PBA at BAR4+0x1000 */
    g_assert_cmphex(c[0x52] | (c[0x53] & 0x07) << 8, ==, N_VECTORS - 1);
    g_assert_cmphex(c[0x54], ==, 0x04);
    g_assert_cmphex(c[0x58] | c[0x59] << 8, ==, 0x1004);
    /* PCIe v2 endpoint */
    g_assert_cmphex(c[0x62] & 0xf, ==, 2);
    g_assert_cmphex((c[0x62] >> 4) & 0xf, ==, 0);
}

static void
test_bar_sizing(Fixture *f, gconstpointer data)
{
    cfg_write(f, 0x10, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x10, 4), ==, 0xffffc004); /* 16 KiB, 64-bit */
    cfg_write(f, 0x14, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x14, 4), ==, 0xffffffff);
    cfg_write(f, 0x20, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x20, 4), ==, 0xffffe004); /* 8 KiB */
    cfg_write(f, 0x18, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x18, 4), ==, 0); /* BAR2: absent */
    cfg_write(f, 0x30, 4, 0xffffffff);
    g_assert_cmphex(cfg_read(f, 0x30, 4), ==, 0); /* no ROM */
    /* programming an address */
    cfg_write(f, 0x10, 4, 0xfebf0000);
    cfg_write(f, 0x14, 4, 0);
    g_assert_cmphex(cfg_read(f, 0x10, 4), ==, 0xfebf0004);
    /* read-only identity */
    cfg_write(f, 0x00, 4, 0x12345678);
    g_assert_cmphex(cfg_read(f, 0x00, 2), ==, NVP_VCTRL_PCI_VENDOR_ID);
    cfg_write(f, 0x08, 4, 0);
    g_assert_cmphex(cfg_read(f, 0x0b, 1), ==, 0x01);
}

static void
test_command_and_msix(Fixture *f, gconstpointer data)
{
    cfg_write(f, 0x04, 2, 0xffff);
    g_assert_cmphex(cfg_read(f, 0x04, 2), ==, 0x0546);
    g_assert_true(nvp_vctrl_pci_bus_master(f->pci));
    cfg_write(f, 0x06, 2, 0xffff); /* W1C on clean error bits: status unchanged */
    g_assert_cmphex(cfg_read(f, 0x06, 2), ==, 0x0010);
    cfg_write(f, 0x04, 2, 0);
    g_assert_false(nvp_vctrl_pci_bus_master(f->pci));

    g_assert_false(nvp_vctrl_pci_msix_enabled(f->pci));
    cfg_write(f, 0x52, 2, 0xc000); /* enable + function mask */
    g_assert_cmphex(cfg_read(f, 0x52, 2), ==, 0xc000 | (N_VECTORS - 1));
    g_assert_false(nvp_vctrl_pci_msix_enabled(f->pci));
    cfg_write(f, 0x52, 2, 0x8000);
    g_assert_true(nvp_vctrl_pci_msix_enabled(f->pci));
    /* power state D3hot and back */
    cfg_write(f, 0x44, 2, 0x0003);
    g_assert_cmphex(cfg_read(f, 0x44, 2), ==, 0x000b);
    cfg_write(f, 0x44, 2, 0x0000);
    g_assert_cmphex(cfg_read(f, 0x44, 2), ==, 0x0008);

    /* reset: command, BARs and MSI-X back to power-on state */
    cfg_write(f, 0x04, 2, 0x0006);
    cfg_write(f, 0x10, 4, 0xfebf0000);
    g_assert_cmpint(nvp_test_vfu_client_reset(f->client), ==, 0);
    g_assert_cmpuint(f->n_resets, ==, 1);
    g_assert_cmphex(cfg_read(f, 0x04, 2), ==, 0);
    g_assert_cmphex(cfg_read(f, 0x10, 4), ==, 0x4);
    g_assert_false(nvp_vctrl_pci_msix_enabled(f->pci));
}

static void
test_msix_bar(Fixture *f, gconstpointer data)
{
    guint64 pba = 1;
    guint32 ctrl = 0;
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    /* table entries start masked (for clients that do not emulate the table) */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR4, 16 * 3 + 12, &ctrl, 4), ==, 0);
    g_assert_cmphex(ctrl, ==, 1);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR4, 0x1000, &pba, 8), ==, 0);
    g_assert_cmphex(pba, ==, 0);
    /* a masked vector that fires is pending in the PBA */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_EVENTFD |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 3, 1, &efd, 1, NULL),
                    ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 3, 1, NULL, 0, NULL),
                    ==, 0);
    nvp_vfu_irq_trigger(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 3);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR4, 0x1000, &pba, 8), ==, 0);
    g_assert_cmphex(pba, ==, 1u << 3);
    /* wrong widths */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR4, 0x1000, &pba, 2), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR4, 0x1002, &pba, 4), ==, EINVAL);
    close(efd);
}

static void
test_bar0_stub(Fixture *f, gconstpointer data)
{
    guint64 cap = 0, asq = 0x12345000, r64 = 0;
    guint32 v = 0, cc = 0x00460001;

    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0, &cap, 8), ==, 0);
    g_assert_cmphex(cap & 0xffff, ==, 0x3ff);   /* MQES */
    g_assert_cmphex((cap >> 24) & 0xff, ==, 2); /* TO: 1 s */
    g_assert_true(cap & (1ull << 37));          /* NVM command set */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 8, &v, 4), ==, 0);
    g_assert_cmphex(v, ==, 0x00010400);
    /* CC.EN=1: the controller never becomes ready */
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, BAR0, 0x14, &cc, 4, FALSE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x1c, &v, 4), ==, 0);
    g_assert_cmphex(v, ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x14, &v, 4), ==, 0);
    g_assert_cmphex(v, ==, cc);
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, BAR0, 0x28, &asq, 8, FALSE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x28, &r64, 8), ==, 0);
    g_assert_cmphex(r64, ==, asq);
    /* doorbells are accepted (posted) and ignored */
    v = 5;
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, BAR0, 0x1000, &v, 4, TRUE), ==, 0);
    /* widths: 2 bytes, unaligned */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x1c, &v, 2), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x1e, &v, 4), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, BAR0, 0x3ffc, &v, 4), ==, 0);
}

static void
test_bad_config(void)
{
    NvpVctrlPciConfig c0 = { .n_vectors = 0 };
    NvpVctrlPciConfig cbig = { .n_vectors = NVP_VCTRL_PCI_MAX_VECTORS + 1 };
    NvpVctrlPciConfig cbar = { .n_vectors = 4, .bar0_size = 0x5000 };
    NvpVctrlPciConfig cmax = { .n_vectors = NVP_VCTRL_PCI_MAX_VECTORS, .bar0_size = 0x10000 };
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpVctrlPci) pci = NULL;
    NvpVfuServerConfig scfg = { 0 };

    g_assert_null(nvp_vctrl_pci_new(&c0, &error));
    g_assert_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_INVALID);
    g_clear_error(&error);
    g_assert_null(nvp_vctrl_pci_new(&cbig, &error));
    g_clear_error(&error);
    g_assert_null(nvp_vctrl_pci_new(&cbar, &error));
    g_clear_error(&error);
    pci = nvp_vctrl_pci_new(&cmax, &error);
    g_assert_no_error(error);
    nvp_vctrl_pci_fill_server_config(pci, &scfg);
    /* 2048 vectors: 32 KiB table + PBA page -> 64 KiB BAR4 */
    g_assert_cmpuint(scfg.regions[VFIO_PCI_BAR4_REGION_INDEX].size, ==, 0x10000);
    g_assert_cmpuint(scfg.regions[VFIO_PCI_BAR0_REGION_INDEX].size, ==, 0x10000);
}

/* virt-nvmepoold --debug-endpoint: the stub serves the function on a socket path. */
static void
test_stub_endpoint(void)
{
    g_autofree char *dir = g_dir_make_tmp("nvp-pci-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "dbg.sock", NULL);
    g_autoptr(GError) error = NULL;
    NvpVctrlPciStub *stub = nvp_vctrl_pci_stub_new(path, &error);
    NvpTestVfuClient *c;
    guint32 id = 0;
    guint32 csts = 1;

    g_assert_no_error(error);
    c = nvp_test_vfu_client_connect(path, &error);
    g_assert_no_error(error);
    nvp_test_vfu_client_set_pump(c, g_main_context_default());
    g_assert_cmpint(nvp_test_vfu_client_negotiate(c, NULL, NULL), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(c, CFG, 0, &id, 4), ==, 0);
    g_assert_cmphex(id, ==, NVP_VCTRL_PCI_DEVICE_ID << 16 | NVP_VCTRL_PCI_VENDOR_ID);
    g_assert_cmpint(nvp_test_vfu_client_region_read(c, BAR0, 0x1c, &csts, 4), ==, 0);
    g_assert_cmphex(csts, ==, 0);
    nvp_test_vfu_client_free(c);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    nvp_vctrl_pci_stub_free(stub);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    rmdir(dir);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(name, func) g_test_add(name, Fixture, NULL, fixture_setup, func, fixture_teardown)
    ADD("/vctrl-pci/regions", test_regions);
    ADD("/vctrl-pci/config-header", test_config_header);
    ADD("/vctrl-pci/bar-sizing", test_bar_sizing);
    ADD("/vctrl-pci/command-msix-reset", test_command_and_msix);
    ADD("/vctrl-pci/msix-bar", test_msix_bar);
    ADD("/vctrl-pci/bar0-stub", test_bar0_stub);
#undef ADD
    g_test_add_func("/vctrl-pci/bad-config", test_bad_config);
    g_test_add_func("/vctrl-pci/stub-endpoint", test_stub_endpoint);
    return g_test_run();
}
