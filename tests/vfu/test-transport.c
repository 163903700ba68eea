/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* agent/vfu transport driven through the in-tree vfio-user test client over a socketpair (and a
 * real listening socket): negotiation, DMA map/unmap lifecycle, region access, IRQ setup, reset,
 * and malformed messages (error reply or disconnect of that client only, no fd leaks). */
#include <errno.h>
#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/vfu/server.h"
#include "tests/lib/vfu-client.h"

#define BAR0_SIZE 0x4000u
#define CFG_SIZE 256u
#define N_VECTORS 8u
#define MAX_DMA 4u
#define MAX_XFER 8192u
#define RAM_SIZE (4u * 1024u * 1024u)

/* --- device double ---------------------------------------------------------------------------- */

typedef struct {
    guint8 bar0[BAR0_SIZE];
    guint8 config[CFG_SIZE];
    guint n_added;
    guint n_removing;
    guint n_irqs_changed;
    guint n_resets;
    guint n_disconnected;
    guint removing_before_disconnect;
    guint last_irq_index, last_irq_start, last_irq_count;
    gboolean removing_saw_mapped; /* every removing callback could still read the region */
    NvpVfuServer *server;
} Dev;

static int
dev_region_access(gpointer data, guint region, guint64 offset, void *buf, guint32 len,
                  gboolean is_write)
{
    Dev *d = data;
    guint8 *base;

    if (region == VFIO_PCI_BAR0_REGION_INDEX) {
        if ((len != 4 && len != 8) || (offset & (len - 1)))
            return -EINVAL; /* widths are the device's business */
        base = d->bar0;
    } else if (region == VFIO_PCI_CONFIG_REGION_INDEX) {
        base = d->config;
    } else {
        return -EINVAL;
    }
    if (is_write)
        memcpy(base + offset, buf, len);
    else
        memcpy(buf, base + offset, len);
    return 0;
}

static void
dev_dma_added(gpointer data, const NvpVfuDmaRegion *r)
{
    Dev *d = data;

    d->n_added++;
}

static void
dev_dma_removing(gpointer data, const NvpVfuDmaRegion *r)
{
    Dev *d = data;

    d->n_removing++;
    if (r->vaddr) {
        /* still mapped: touching it must not fault, and translate must still find it */
        volatile guint8 *p = r->vaddr;

        (void)p[0];
        (void)p[r->size - 1];
        if (!d->server || nvp_vfu_dma_translate(d->server, r->gpa, 1, FALSE) != r->vaddr)
            d->removing_saw_mapped = FALSE;
    }
}

static void
dev_irqs_changed(gpointer data, guint irq_index, guint start, guint count)
{
    Dev *d = data;

    d->n_irqs_changed++;
    d->last_irq_index = irq_index;
    d->last_irq_start = start;
    d->last_irq_count = count;
}

static void
dev_reset(gpointer data)
{
    Dev *d = data;

    d->n_resets++;
}

static void
dev_disconnected(gpointer data)
{
    Dev *d = data;

    d->n_disconnected++;
    d->removing_before_disconnect = d->n_removing;
}

static const NvpVfuDeviceOps dev_ops = {
    .region_access = dev_region_access,
    .dma_added = dev_dma_added,
    .dma_removing = dev_dma_removing,
    .irqs_changed = dev_irqs_changed,
    .reset = dev_reset,
    .disconnected = dev_disconnected,
};

static void
fill_config(NvpVfuServerConfig *cfg)
{
    const guint32 rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

    cfg->n_regions = VFIO_PCI_NUM_REGIONS;
    cfg->regions[VFIO_PCI_BAR0_REGION_INDEX] = (NvpVfuRegionConfig){ BAR0_SIZE, rw };
    cfg->regions[VFIO_PCI_CONFIG_REGION_INDEX] = (NvpVfuRegionConfig){ CFG_SIZE, rw };
    cfg->n_irq_types = VFIO_PCI_NUM_IRQS;
    cfg->irq_counts[VFIO_PCI_MSIX_IRQ_INDEX] = N_VECTORS;
    cfg->irq_counts[VFIO_PCI_ERR_IRQ_INDEX] = 1;
    cfg->max_dma_regions = MAX_DMA;
    cfg->max_data_xfer = MAX_XFER;
}

/* --- fixture ---------------------------------------------------------------------------------- */

typedef struct {
    Dev dev;
    NvpVfuServer *server;
    NvpTestVfuClient *client;
    guint fds_before;
} Fixture;

static void
attach_new_client(Fixture *f)
{
    int sv[2];
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    g_assert_true(nvp_vfu_server_attach_client(f->server, sv[0], &error));
    g_assert_no_error(error);
    f->client = nvp_test_vfu_client_new(sv[1]);
    nvp_test_vfu_client_set_pump(f->client, g_main_context_default());
}

static void
fixture_setup_raw(Fixture *f, gconstpointer data)
{
    NvpVfuServerConfig cfg = { 0 };
    g_autoptr(GError) error = NULL;

    f->fds_before = nvp_test_count_fds();
    fill_config(&cfg);
    f->dev.removing_saw_mapped = TRUE;
    f->server = nvp_vfu_server_new(&cfg, &dev_ops, &f->dev, &error);
    g_assert_no_error(error);
    f->dev.server = f->server;
    attach_new_client(f);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    fixture_setup_raw(f, data);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
}

static void
pump(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->client, nvp_test_vfu_client_free);
    pump();
    g_clear_pointer(&f->server, nvp_vfu_server_free);
    pump();
    /* strict fd accounting: everything the server received was kept or closed */
    g_assert_cmpuint(nvp_test_count_fds(), ==, f->fds_before);
}

/* The connection still answers a well-formed request. */
static void
assert_alive(Fixture *f)
{
    struct vfio_device_info info;

    g_assert_cmpint(nvp_test_vfu_client_get_device_info(f->client, &info), ==, 0);
    g_assert_cmpuint(info.num_regions, ==, VFIO_PCI_NUM_REGIONS);
}

/* The server dropped the client and serves a new one. */
static void
assert_dropped_and_recovers(Fixture *f)
{
    g_assert_true(nvp_test_vfu_client_wait_closed(f->client));
    pump();
    g_assert_false(nvp_vfu_server_has_client(f->server));
    g_clear_pointer(&f->client, nvp_test_vfu_client_free);
    attach_new_client(f);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
    assert_alive(f);
}

static int
send_msg(Fixture *f, guint16 cmd, guint32 flags, const void *payload, gsize len, const int *fds,
         guint n_fds)
{
    return nvp_test_vfu_client_request(f->client, cmd, flags, payload, len, fds, n_fds, NULL);
}

/* --- well-formed use -------------------------------------------------------------------------- */

static void
test_negotiate(Fixture *f, gconstpointer data)
{
    g_autofree char *caps = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *root;
    JsonObject *c;

    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, &caps), ==, 0);
    g_assert_true(json_parser_load_from_data(parser, caps, -1, &error));
    g_assert_no_error(error);
    root = json_node_get_object(json_parser_get_root(parser));
    c = json_object_get_object_member(root, "capabilities");
    g_assert_nonnull(c);
    g_assert_cmpint(json_object_get_int_member(c, "max_msg_fds"), ==, NVP_VFU_MAX_FDS);
    g_assert_cmpint(json_object_get_int_member(c, "max_data_xfer_size"), ==, MAX_XFER);
    g_assert_cmpint(json_object_get_int_member(c, "pgsizes"), ==, 4096);
    g_assert_cmpint(json_object_get_int_member(c, "max_dma_maps"), ==, MAX_DMA);
    g_assert_false(json_object_has_member(c, "migration"));
    g_assert_false(json_object_has_member(c, "write_multiple"));
    /* a second VERSION is refused, the session stays usable */
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, EINVAL);
    assert_alive(f);
}

static void
test_negotiate_minimal(Fixture *f, gconstpointer data)
{
    /* no capabilities at all: spec defaults apply */
    NvpVfuVersion v = { 0, 0 };

    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_VERSION, 0, &v, sizeof(v), NULL, 0), ==, 0);
    assert_alive(f);
}

static void
test_device_info(Fixture *f, gconstpointer data)
{
    struct vfio_device_info info;
    struct vfio_region_info ri;
    struct vfio_irq_info ii;

    g_assert_cmpint(nvp_test_vfu_client_get_device_info(f->client, &info), ==, 0);
    g_assert_cmpuint(info.flags, ==, VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI);
    g_assert_cmpuint(info.num_irqs, ==, VFIO_PCI_NUM_IRQS);

    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, 0, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, BAR0_SIZE);
    g_assert_cmpuint(ri.flags, ==, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
    g_assert_cmpuint(ri.argsz, ==, 32);
    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, 2, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, 0);
    g_assert_cmpuint(ri.flags, ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_get_region_info(f->client, 7, &ri), ==, 0);
    g_assert_cmpuint(ri.size, ==, CFG_SIZE);

    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_MSIX_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, N_VECTORS);
    g_assert_true(ii.flags & VFIO_IRQ_INFO_EVENTFD);
    g_assert_false(ii.flags & VFIO_IRQ_INFO_NORESIZE);
    g_assert_cmpint(nvp_test_vfu_client_get_irq_info(f->client, VFIO_PCI_INTX_IRQ_INDEX, &ii), ==,
                    0);
    g_assert_cmpuint(ii.count, ==, 0);
}

static void
test_dma_lifecycle(Fixture *f, gconstpointer data)
{
    void *ram = NULL;
    int memfd = nvp_test_memfd_new(RAM_SIZE, &ram);
    const guint32 rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    guint8 *p;
    const NvpVfuDmaRegion *r;

    g_assert_cmpint(memfd, >=, 0);
    /* QEMU's pattern: RAM with an fd at two GPAs (file offsets), ROM without */
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0, 0xc0000, memfd, 0, rw), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x100000, RAM_SIZE - 0x100000, memfd,
                                                0x100000, rw),
                    ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0xfffc0000, 0x40000, -1, 0,
                                                VFIO_DMA_MAP_FLAG_READ),
                    ==, 0);
    g_assert_cmpuint(f->dev.n_added, ==, 3);
    /* the memfd can no longer shrink under the agent's mapping (it would SIGBUS the agent) */
    g_assert_cmpint(ftruncate(memfd, 4096), ==, -1);
    g_assert_cmpint(errno, ==, EPERM);

    /* translation sees the client's memory, both ways */
    memcpy((guint8 *)ram + 0x123450, "guest", 6);
    p = nvp_vfu_dma_translate(f->server, 0x123450, 6, FALSE);
    g_assert_nonnull(p);
    g_assert_cmpstr((char *)p, ==, "guest");
    p = nvp_vfu_dma_translate(f->server, 0x2000, 4, TRUE);
    g_assert_nonnull(p);
    memcpy(p, "agt", 4);
    g_assert_cmpstr((char *)ram + 0x2000, ==, "agt");
    /* bounds: crossing the end of a region, a hole, the ROM, len 0 */
    g_assert_null(nvp_vfu_dma_translate(f->server, 0xbfffc, 8, FALSE));
    g_assert_null(nvp_vfu_dma_translate(f->server, 0xc0000, 4, FALSE));
    g_assert_null(nvp_vfu_dma_translate(f->server, 0xfffc0000, 4, FALSE));
    g_assert_null(nvp_vfu_dma_translate(f->server, 0x1000, 0, FALSE));
    g_assert_null(nvp_vfu_dma_translate(f->server, G_MAXUINT64 - 2, 8, FALSE));
    r = nvp_vfu_dma_lookup(f->server, 0xfffc1000);
    g_assert_nonnull(r);
    g_assert_null(r->vaddr);
    g_assert_false(r->writable);

    /* unmap: announced before the mapping goes away */
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0xc0000, 0), ==, 0);
    g_assert_cmpuint(f->dev.n_removing, ==, 1);
    g_assert_true(f->dev.removing_saw_mapped);
    g_assert_null(nvp_vfu_dma_translate(f->server, 0x2000, 4, FALSE));
    /* re-map the same range (firmware does this many times) */
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0, 0xc0000, memfd, 0, rw), ==, 0);
    /* unmap all */
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL), ==, 0);
    g_assert_cmpuint(f->dev.n_removing, ==, 4);
    g_assert_true(f->dev.removing_saw_mapped);
    g_assert_null(nvp_vfu_dma_lookup(f->server, 0x100000));

    munmap(ram, RAM_SIZE);
    close(memfd);
}

static void
test_dma_disconnect(Fixture *f, gconstpointer data)
{
    int memfd = nvp_test_memfd_new(RAM_SIZE, NULL);
    int efd = eventfd(0, EFD_CLOEXEC);

    for (guint i = 0; i < 3; i++)
        g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, i * 0x40000ull, 0x40000, memfd,
                                                    i * 0x40000ull,
                                                    VFIO_DMA_MAP_FLAG_READ |
                                                        VFIO_DMA_MAP_FLAG_WRITE),
                        ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_EVENTFD |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, &efd, 1, NULL),
                    ==, 0);
    close(memfd);
    close(efd);
    g_clear_pointer(&f->client, nvp_test_vfu_client_free);
    pump();
    g_assert_false(nvp_vfu_server_has_client(f->server));
    g_assert_cmpuint(f->dev.n_disconnected, ==, 1);
    g_assert_cmpuint(f->dev.removing_before_disconnect, ==, 3);
    g_assert_true(f->dev.removing_saw_mapped);
    g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 0), ==, -1);
    g_assert_null(nvp_vfu_dma_lookup(f->server, 0));
    /* the endpoint serves the next client */
    attach_new_client(f);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
}

static void
test_region_access(Fixture *f, gconstpointer data)
{
    guint32 v32 = 0x11223344, r32 = 0;
    guint64 v64 = 0x0102030405060708ull, r64 = 0;
    guint8 cfg[CFG_SIZE];
    NvpVfuServerStats st;

    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, 0x14, &v32, 4, FALSE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0x14, &r32, 4), ==, 0);
    g_assert_cmphex(r32, ==, v32);
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, 0x28, &v64, 8, FALSE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0x28, &r64, 8), ==, 0);
    g_assert_cmphex(r64, ==, v64);
    /* posted doorbell writes, then a read: ordered, no replies in between */
    for (guint32 i = 1; i <= 100; i++)
        g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, 0x1000, &i, 4, TRUE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0x1000, &r32, 4), ==, 0);
    g_assert_cmpuint(r32, ==, 100);
    /* config space: any length (QEMU reads it whole) */
    memset(f->dev.config, 0xa5, sizeof(f->dev.config));
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 7, 0, cfg, CFG_SIZE), ==, 0);
    g_assert_cmpuint(cfg[0], ==, 0xa5);
    g_assert_cmpuint(cfg[CFG_SIZE - 1], ==, 0xa5);
    nvp_vfu_server_get_stats(f->server, &st);
    g_assert_cmpuint(st.n_region_writes, ==, 102);
    g_assert_cmpuint(st.n_errors, ==, 0);
}

static guint64
read_eventfd(int fd)
{
    guint64 v = 0;

    if (read(fd, &v, sizeof(v)) != sizeof(v))
        return 0;
    return v;
}

static void
test_irqs(Fixture *f, gconstpointer data)
{
    const guint32 ev = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    int efd[4];
    guint8 bools[2] = { 0, 1 };

    for (guint i = 0; i < 4; i++)
        efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    /* QEMU's dynamic MSI-X path: one vector at a time */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
                                                 &efd[0], 1, NULL),
                    ==, 0);
    g_assert_cmpuint(f->dev.n_irqs_changed, ==, 1);
    g_assert_cmpuint(f->dev.last_irq_start, ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX, 1, 3,
                                                 &efd[1], 3, NULL),
                    ==, 0);
    g_assert_cmpuint(f->dev.last_irq_start, ==, 1);
    g_assert_cmpuint(f->dev.last_irq_count, ==, 3);
    g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 3), >=, 0);
    g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 4), ==, -1);

    /* the server's fd is the client's eventfd */
    nvp_vfu_irq_trigger(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 2);
    g_assert_cmpuint(read_eventfd(efd[2]), ==, 1);
    g_assert_cmpuint(read_eventfd(efd[1]), ==, 0);

    /* mask: pending instead of firing; unmask fires */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, NULL, 0, NULL),
                    ==, 0);
    g_assert_true(nvp_vfu_irq_masked(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 1));
    nvp_vfu_irq_trigger(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 1);
    g_assert_cmpuint(read_eventfd(efd[1]), ==, 0);
    g_assert_true(nvp_vfu_irq_pending(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 1));
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE |
                                                     VFIO_IRQ_SET_ACTION_UNMASK,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 1, 1, NULL, 0, NULL),
                    ==, 0);
    g_assert_cmpuint(read_eventfd(efd[1]), ==, 1);
    g_assert_false(nvp_vfu_irq_pending(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 1));

    /* client-side trigger with DATA_BOOL: only vector 3 of [2,3] */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_BOOL |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 2, 2, NULL, 0, bools),
                    ==, 0);
    g_assert_cmpuint(read_eventfd(efd[2]), ==, 0);
    g_assert_cmpuint(read_eventfd(efd[3]), ==, 1);

    /* de-assign vector 0 (eventfd flag, no fds), then disable all (count 0) */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL,
                                                 0, NULL),
                    ==, 0);
    g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 0), ==, -1);
    g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, 1), >=, 0);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, 0, NULL),
                    ==, 0);
    g_assert_cmpuint(f->dev.last_irq_count, ==, N_VECTORS);
    for (guint i = 0; i < N_VECTORS; i++)
        g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, i), ==, -1);
    for (guint i = 0; i < 4; i++)
        close(efd[i]);
}

static void
test_reset(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(nvp_test_vfu_client_reset(f->client), ==, 0);
    g_assert_cmpuint(f->dev.n_resets, ==, 1);
}

/* --- malformed messages ----------------------------------------------------------------------- */

static void
test_bad_short_header_size(Fixture *f, gconstpointer data)
{
    NvpVfuHdr h = { .id = 7, .command = NVP_VFU_CMD_DEVICE_GET_INFO, .size = 8 };
    NvpVfuHdr rh;

    g_assert_true(nvp_test_vfu_client_send_raw(f->client, &h, sizeof(h), NULL, 0));
    g_assert_true(nvp_test_vfu_client_recv(f->client, &rh, NULL));
    g_assert_true(rh.flags & NVP_VFU_FLAG_ERROR);
    g_assert_cmpuint(rh.error, ==, EINVAL);
    assert_dropped_and_recovers(f);
}

static void
test_bad_truncated_header(Fixture *f, gconstpointer data)
{
    guint8 half[8] = { 1, 0, 4, 0, 16, 0, 0, 0 };

    g_assert_true(nvp_test_vfu_client_send_raw(f->client, half, sizeof(half), NULL, 0));
    shutdown(nvp_test_vfu_client_get_fd(f->client), SHUT_WR);
    assert_dropped_and_recovers(f);
}

static void
test_bad_oversized(Fixture *f, gconstpointer data)
{
    /* REGION_WRITE of MAX_XFER + 4096 bytes: discarded, E2BIG, stream stays in sync */
    gsize len = sizeof(NvpVfuRegionRw) + MAX_XFER + 4096;
    g_autofree guint8 *p = g_malloc0(len);
    NvpVfuRegionRw rw = { .offset = 0, .region = 0, .count = MAX_XFER + 4096 };

    memcpy(p, &rw, sizeof(rw));
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_REGION_WRITE, 0, p, len, NULL, 0), ==, E2BIG);
    assert_alive(f);
}

static void
test_bad_flags(Fixture *f, gconstpointer data)
{
    NvpVfuDeviceInfo i = { .argsz = sizeof(i) };

    /* a "reply" from the client, unknown bits, the error bit in a command */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, NVP_VFU_FLAG_TYPE_REPLY, &i, sizeof(i),
                             NULL, 0),
                    ==, EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, 0x3, &i, sizeof(i), NULL, 0), ==,
                    EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, 0x100, &i, sizeof(i), NULL, 0), ==,
                    EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, NVP_VFU_FLAG_ERROR, &i, sizeof(i),
                             NULL, 0),
                    ==, EINVAL);
    assert_alive(f);
}

static void
test_bad_reply_type(Fixture *f, gconstpointer data)
{
    NvpVfuDeviceInfo i = { .argsz = sizeof(i) };
    guint8 buf[sizeof(NvpVfuHdr) + sizeof(i)];
    NvpVfuHdr h = { .id = 9,
                    .command = NVP_VFU_CMD_DEVICE_GET_INFO,
                    .size = sizeof(buf),
                    .flags = NVP_VFU_FLAG_TYPE_REPLY };
    NvpVfuHdr rh;

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), &i, sizeof(i));
    g_assert_true(nvp_test_vfu_client_send_raw(f->client, buf, sizeof(buf), NULL, 0));
    g_assert_true(nvp_test_vfu_client_recv(f->client, &rh, NULL));
    g_assert_cmpuint(rh.id, ==, 9);
    g_assert_true(rh.flags & NVP_VFU_FLAG_ERROR);
    g_assert_cmpuint(rh.error, ==, EINVAL);
    assert_alive(f);
}

static void
test_bad_unknown_command(Fixture *f, gconstpointer data)
{
    g_assert_cmpint(send_msg(f, 99, 0, NULL, 0, NULL, 0), ==, ENOSYS);
    g_assert_cmpint(send_msg(f, 0, 0, NULL, 0, NULL, 0), ==, ENOSYS);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DMA_READ, 0, NULL, 0, NULL, 0), ==, ENOSYS);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_REGION_WRITE_MULTI, 0, NULL, 0, NULL, 0), ==, ENOSYS);
    assert_alive(f);
}

static void
test_bad_before_version(Fixture *f, gconstpointer data)
{
    NvpVfuDeviceInfo i = { .argsz = sizeof(i) };

    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, 0, &i, sizeof(i), NULL, 0), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
    assert_alive(f);
}

static void
test_bad_version(Fixture *f, gconstpointer data)
{
    guint8 p[64];
    NvpVfuVersion v = { 0, 0 };
    NvpVfuVersion v1 = { 1, 0 };
    const char nonul[] = "{\"capabilities\":{}}";

    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, "{not json", NULL), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, "[1,2]", NULL), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client,
                                                  "{\"capabilities\":{\"max_msg_fds\":\"x\"}}",
                                                  NULL),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client,
                                                  "{\"capabilities\":{\"pgsizes\":2097152}}", NULL),
                    ==, ENOTSUP);
    /* capabilities not NUL-terminated */
    memcpy(p, &v, 4);
    memcpy(p + 4, nonul, strlen(nonul));
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_VERSION, 0, p, 4 + strlen(nonul), NULL, 0), ==, EINVAL);
    /* major 1 */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_VERSION, 0, &v1, sizeof(v1), NULL, 0), ==, ENOTSUP);
    /* short */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_VERSION, 0, &v, 2, NULL, 0), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
    assert_alive(f);
}

static void
test_bad_dma_map(Fixture *f, gconstpointer data)
{
    const guint32 rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int memfd = nvp_test_memfd_new(RAM_SIZE, NULL);
    int small = nvp_test_memfd_new(4096, NULL);
    int pipefd[2];
    int two[2];
    int unsealable;
    NvpVfuDmaMap m = { .argsz = sizeof(m), .flags = rw, .iova = 0x10000000, .size = 4096 };

    g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0, 0x10000, memfd, 0, rw), ==, 0);
    /* overlap (inside, straddling) */
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x8000, 0x1000, memfd, 0, rw), ==,
                    EEXIST);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0xf000, 0x2000, -1, 0, rw), ==, EEXIST);
    /* unaligned iova, size, offset; zero size; overflow; no access flags; unknown flags */
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20001, 0x1000, memfd, 0, rw), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1001, memfd, 0, rw), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1000, memfd, 0x10, rw), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0, memfd, 0, rw), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, G_MAXUINT64 - 0xfff, 0x2000, -1, 0, rw),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1000, memfd, 0, 0), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1000, memfd, 0, rw | 0x80),
                    ==, EINVAL);
    /* bad fds: a pipe, a memfd smaller than the region */
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1000, pipefd[0], 0, rw), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x2000, small, 0, rw), ==,
                    EINVAL);
    /* a memfd that cannot be sealed against shrinking (QEMU seal=off) could SIGBUS the agent */
    unsealable = memfd_create("unsealable", MFD_CLOEXEC);
    g_assert_cmpint(ftruncate(unsealable, 0x10000), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x20000, 0x1000, unsealable, 0, rw), ==,
                    EPERM);
    close(unsealable);
    /* two fds */
    two[0] = memfd;
    two[1] = small;
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DMA_MAP, 0, &m, sizeof(m), two, 2), ==, EINVAL);
    /* wrong payload size */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DMA_MAP, 0, &m, sizeof(m) - 8, NULL, 0), ==, EINVAL);
    /* count limit: MAX_DMA regions */
    for (guint i = 1; i < MAX_DMA; i++)
        g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x100000ull * i, 0x1000, -1, 0,
                                                    VFIO_DMA_MAP_FLAG_READ),
                        ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0x100000ull * 9, 0x1000, -1, 0,
                                                VFIO_DMA_MAP_FLAG_READ),
                    ==, ENOSPC);
    g_assert_cmpuint(f->dev.n_added, ==, MAX_DMA);
    assert_alive(f);
    close(memfd);
    close(small);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void
test_bad_dma_unmap(Fixture *f, gconstpointer data)
{
    int memfd = nvp_test_memfd_new(RAM_SIZE, NULL);
    NvpVfuDmaUnmap u = { .argsz = sizeof(u), .iova = 0, .size = 0x10000 };

    g_assert_cmpint(nvp_test_vfu_client_dma_map(f->client, 0, 0x10000, memfd, 0,
                                                VFIO_DMA_MAP_FLAG_READ),
                    ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0x8000, 0), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0x100000, 0x1000, 0), ==, ENOENT);
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0x10000, 0x80), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0x10000,
                                                  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP),
                    ==, ENOTSUP);
    g_assert_cmpint(nvp_test_vfu_client_dma_unmap(f->client, 0, 0x10000, VFIO_DMA_UNMAP_FLAG_ALL),
                    ==, EINVAL);
    /* an fd attached to an unmap: refused and closed */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DMA_UNMAP, 0, &u, sizeof(u), &memfd, 1), ==, EINVAL);
    g_assert_cmpuint(f->dev.n_removing, ==, 0);
    g_assert_nonnull(nvp_vfu_dma_lookup(f->server, 0));
    assert_alive(f);
    close(memfd);
}

static void
test_bad_region_access(Fixture *f, gconstpointer data)
{
    guint8 buf[MAX_XFER + 8];
    NvpVfuRegionRw rw = { .offset = 0, .region = 0, .count = 8 };

    /* out of range, straddling the end, offset overflow, count 0, absent region, bad index */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, BAR0_SIZE, buf, 4), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, BAR0_SIZE - 4, buf, 8), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, G_MAXUINT64 - 3, buf, 8), ==,
                    EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0, buf, 0), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 2, 0, buf, 4), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 42, 0, buf, 4), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, BAR0_SIZE, buf, 4, FALSE), ==,
                    EINVAL);
    /* wrong width for the device (3 bytes, unaligned 4) */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0, buf, 3), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, 2, buf, 4, FALSE), ==, EINVAL);
    /* larger than max_data_xfer */
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0, buf, MAX_XFER + 4), ==, E2BIG);
    /* REGION_WRITE whose count disagrees with the message size; READ with data */
    memcpy(buf, &rw, sizeof(rw));
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_REGION_WRITE, 0, buf, sizeof(rw) + 4, NULL, 0), ==,
                    EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_REGION_READ, 0, buf, sizeof(rw) + 4, NULL, 0), ==,
                    EINVAL);
    assert_alive(f);
}

static void
test_bad_set_irqs(Fixture *f, gconstpointer data)
{
    const guint32 ev = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
    int efd[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
    int pipefd[2];

    g_assert_cmpint(pipe2(pipefd, O_CLOEXEC), ==, 0);
    /* fd count mismatch (2 fds for count 3), a pipe instead of an eventfd */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 3, efd,
                                                 2, NULL),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX, 0, 1,
                                                 &pipefd[0], 1, NULL),
                    ==, EINVAL);
    /* out of range, bad index, two data flags, no action, fds with DATA_NONE */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, VFIO_PCI_MSIX_IRQ_INDEX,
                                                 N_VECTORS - 1, 2, efd, 2, NULL),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, ev, 7, 0, 1, efd, 1, NULL), ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0, NULL),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client, VFIO_IRQ_SET_DATA_NONE,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, NULL, 0, NULL),
                    ==, EINVAL);
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_NONE |
                                                     VFIO_IRQ_SET_ACTION_TRIGGER,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 1, efd, 1, NULL),
                    ==, EINVAL);
    /* DATA_BOOL without the bools */
    g_assert_cmpint(nvp_test_vfu_client_set_irqs(f->client,
                                                 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
                                                 VFIO_PCI_MSIX_IRQ_INDEX, 0, 2, NULL, 0, NULL),
                    ==, EINVAL);
    g_assert_cmpuint(f->dev.n_irqs_changed, ==, 0);
    for (guint i = 0; i < N_VECTORS; i++)
        g_assert_cmpint(nvp_vfu_irq_eventfd(f->server, VFIO_PCI_MSIX_IRQ_INDEX, i), ==, -1);
    assert_alive(f);
    close(efd[0]);
    close(efd[1]);
    close(pipefd[0]);
    close(pipefd[1]);
}

static void
test_bad_info_requests(Fixture *f, gconstpointer data)
{
    NvpVfuRegionInfo ri = { .argsz = 16, .index = 0 };
    NvpVfuIrqInfo ii = { .argsz = sizeof(ii), .index = 9 };
    NvpVfuDeviceInfo di = { .argsz = sizeof(di) };
    int memfd = nvp_test_memfd_new(4096, NULL);

    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri), NULL, 0),
                    ==, EINVAL);
    ri.argsz = sizeof(ri);
    ri.index = 9;
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_REGION_INFO, 0, &ri, sizeof(ri), NULL, 0),
                    ==, EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_IRQ_INFO, 0, &ii, sizeof(ii), NULL, 0), ==,
                    EINVAL);
    /* an fd where none belongs: refused and closed */
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, 0, &di, sizeof(di), &memfd, 1), ==,
                    EINVAL);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_RESET, 0, &di, 4, NULL, 0), ==, EINVAL);
    g_assert_cmpuint(f->dev.n_resets, ==, 0);
    assert_alive(f);
    close(memfd);
}

static void
test_bad_too_many_fds(Fixture *f, gconstpointer data)
{
    int fds[NVP_VFU_MAX_FDS + 4];
    NvpVfuDeviceInfo di = { .argsz = sizeof(di) };

    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        fds[i] = eventfd(0, EFD_CLOEXEC);
    g_assert_cmpint(send_msg(f, NVP_VFU_CMD_DEVICE_GET_INFO, 0, &di, sizeof(di), fds,
                             G_N_ELEMENTS(fds)),
                    ==, EINVAL);
    for (guint i = 0; i < G_N_ELEMENTS(fds); i++)
        close(fds[i]);
    assert_alive(f);
}

static void
test_bad_garbage(Fixture *f, gconstpointer data)
{
    guint8 junk[4096];

    /* random bytes: whatever the server makes of them, it survives and serves the next client */
    for (guint i = 0; i < sizeof(junk); i++)
        junk[i] = (guint8)g_test_rand_int();
    junk[4] = 4; /* header size < 16: unframeable */
    junk[5] = junk[6] = junk[7] = 0;
    g_assert_true(nvp_test_vfu_client_send_raw(f->client, junk, sizeof(junk), NULL, 0));
    assert_dropped_and_recovers(f);
}

static void
test_bad_no_reply(Fixture *f, gconstpointer data)
{
    guint32 v = 1;
    guint32 r = 0;

    /* a failing posted write gets no reply; the next request gets its own */
    g_assert_cmpint(nvp_test_vfu_client_region_write(f->client, 0, BAR0_SIZE, &v, 4, TRUE), ==, 0);
    g_assert_cmpint(nvp_test_vfu_client_region_read(f->client, 0, 0, &r, 4), ==, 0);
    assert_alive(f);
}

/* Random corruption of well-formed messages: every outcome is an error reply, a normal reply or
 * a dropped client; the server never crashes, never leaks an fd and serves the next client. */
static void
test_bad_mutations(Fixture *f, gconstpointer data)
{
    NvpVfuDmaMap map = { .argsz = 32, .flags = 3, .iova = 0x10000, .size = 0x1000 };
    NvpVfuRegionRw rw = { .offset = 0x14, .region = 0, .count = 4 };
    NvpVfuIrqSet irq = { .argsz = 20,
                         .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
                         .index = VFIO_PCI_MSIX_IRQ_INDEX,
                         .start = 0,
                         .count = 1 };
    int memfd = nvp_test_memfd_new(0x1000, NULL);
    int efd = eventfd(0, EFD_CLOEXEC);
    guint fds_base = 0;

    for (guint iter = 0; iter < 300; iter++) {
        guint8 msg[64] = { 0 };
        NvpVfuHdr h = { .id = (guint16)iter };
        guint32 plen;
        int fd = -1;

        switch (iter % 3) {
        case 0:
            h.command = NVP_VFU_CMD_DMA_MAP;
            plen = sizeof(map);
            memcpy(msg + 16, &map, plen);
            fd = memfd;
            break;
        case 1:
            h.command = NVP_VFU_CMD_REGION_WRITE;
            plen = sizeof(rw) + 4;
            memcpy(msg + 16, &rw, sizeof(rw));
            break;
        default:
            h.command = NVP_VFU_CMD_DEVICE_SET_IRQS;
            plen = sizeof(irq);
            memcpy(msg + 16, &irq, plen);
            fd = efd;
            break;
        }
        h.size = 16 + plen;
        memcpy(msg, &h, sizeof(h));
        for (guint k = 0, n = 1 + g_test_rand_int_range(0, 4); k < n; k++)
            msg[g_test_rand_int_range(0, (gint32)(16 + plen))] ^=
                (guint8)g_test_rand_int_range(1, 256);
        g_assert_true(nvp_test_vfu_client_send_raw(f->client, msg, 16 + plen, fd >= 0 ? &fd : NULL,
                                                   fd >= 0 ? 1 : 0));
        /* end of stream: a complete message is answered (or not), a truncated one drops us */
        shutdown(nvp_test_vfu_client_get_fd(f->client), SHUT_WR);
        g_assert_true(nvp_test_vfu_client_wait_closed(f->client));
        pump();
        g_assert_false(nvp_vfu_server_has_client(f->server));
        g_clear_pointer(&f->client, nvp_test_vfu_client_free);
        attach_new_client(f);
        g_assert_cmpint(nvp_test_vfu_client_negotiate(f->client, NULL, NULL), ==, 0);
        if (iter == 0)
            fds_base = nvp_test_count_fds();
        else
            g_assert_cmpuint(nvp_test_count_fds(), ==, fds_base);
    }
    assert_alive(f);
    close(memfd);
    close(efd);
}

/* --- listening socket ------------------------------------------------------------------------- */

static void
test_listener(void)
{
    g_autofree char *dir = g_dir_make_tmp("nvp-vfu-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "ep.sock", NULL);
    NvpVfuServerConfig cfg = { .socket_path = path, .mode = 0660 };
    g_autoptr(GError) error = NULL;
    Dev dev = { .removing_saw_mapped = TRUE };
    NvpVfuServer *s;
    NvpTestVfuClient *a;
    NvpTestVfuClient *b;
    struct stat st;
    guint fds_before = nvp_test_count_fds();

    fill_config(&cfg);
    /* a stale socket from an earlier run is replaced; a regular file is not */
    g_assert_true(g_file_set_contents(path, "x", 1, NULL));
    g_assert_null(nvp_vfu_server_new(&cfg, &dev_ops, &dev, &error));
    g_assert_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_SOCKET);
    g_clear_error(&error);
    unlink(path);

    /* owner and mode set by the caller (only root may give the socket away) */
    cfg.set_owner = getuid() == 0;
    cfg.uid = 65534;
    cfg.gid = 65533;
    s = nvp_vfu_server_new(&cfg, &dev_ops, &dev, &error);
    g_assert_no_error(error);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_true(S_ISSOCK(st.st_mode));
    g_assert_cmpuint(st.st_mode & 0777, ==, 0660);
    if (getuid() == 0) {
        g_assert_cmpuint(st.st_uid, ==, 65534);
        g_assert_cmpuint(st.st_gid, ==, 65533);
    }

    a = nvp_test_vfu_client_connect(path, &error);
    g_assert_no_error(error);
    nvp_test_vfu_client_set_pump(a, g_main_context_default());
    g_assert_cmpint(nvp_test_vfu_client_negotiate(a, NULL, NULL), ==, 0);
    /* one client at a time: a second one is closed, the first keeps working */
    b = nvp_test_vfu_client_connect(path, &error);
    g_assert_no_error(error);
    nvp_test_vfu_client_set_pump(b, g_main_context_default());
    g_assert_true(nvp_test_vfu_client_wait_closed(b));
    nvp_test_vfu_client_free(b);
    g_assert_cmpint(nvp_test_vfu_client_reset(a), ==, 0);
    nvp_test_vfu_client_free(a);
    pump();
    g_assert_cmpuint(dev.n_disconnected, ==, 1);
    /* the next client is served */
    a = nvp_test_vfu_client_connect(path, &error);
    g_assert_no_error(error);
    nvp_test_vfu_client_set_pump(a, g_main_context_default());
    g_assert_cmpint(nvp_test_vfu_client_negotiate(a, NULL, NULL), ==, 0);
    nvp_test_vfu_client_free(a);
    pump();

    nvp_vfu_server_free(s);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(nvp_test_count_fds(), ==, fds_before);
    rmdir(dir);
}

/* Two endpoints: a misbehaving client of one does not disturb the other. */
static void
test_isolation(void)
{
    Fixture a = { 0 }, b = { 0 };
    NvpVfuHdr h = { .id = 1, .command = 1, .size = 3 };

    fixture_setup(&a, NULL);
    fixture_setup(&b, NULL);
    g_assert_true(nvp_test_vfu_client_send_raw(a.client, &h, sizeof(h), NULL, 0));
    g_assert_true(nvp_test_vfu_client_wait_closed(a.client));
    pump();
    g_assert_false(nvp_vfu_server_has_client(a.server));
    g_assert_true(nvp_vfu_server_has_client(b.server));
    assert_alive(&b);
    g_clear_pointer(&a.client, nvp_test_vfu_client_free);
    g_clear_pointer(&a.server, nvp_vfu_server_free);
    b.fds_before = a.fds_before;
    fixture_teardown(&b, NULL);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* the default context's wakeup fd exists before any fd count is taken */
    g_main_context_iteration(g_main_context_default(), FALSE);

#define ADD(name, setup, func) g_test_add(name, Fixture, NULL, setup, func, fixture_teardown)
    ADD("/vfu/negotiate/qemu-caps", fixture_setup_raw, test_negotiate);
    ADD("/vfu/negotiate/no-caps", fixture_setup_raw, test_negotiate_minimal);
    ADD("/vfu/device-info", fixture_setup, test_device_info);
    ADD("/vfu/dma/lifecycle", fixture_setup, test_dma_lifecycle);
    ADD("/vfu/dma/disconnect", fixture_setup, test_dma_disconnect);
    ADD("/vfu/region/access", fixture_setup, test_region_access);
    ADD("/vfu/irq/eventfds", fixture_setup, test_irqs);
    ADD("/vfu/reset", fixture_setup, test_reset);
    ADD("/vfu/bad/header-size-below-16", fixture_setup, test_bad_short_header_size);
    ADD("/vfu/bad/truncated-header", fixture_setup, test_bad_truncated_header);
    ADD("/vfu/bad/oversized", fixture_setup, test_bad_oversized);
    ADD("/vfu/bad/flags", fixture_setup, test_bad_flags);
    ADD("/vfu/bad/reply-type", fixture_setup, test_bad_reply_type);
    ADD("/vfu/bad/unknown-command", fixture_setup, test_bad_unknown_command);
    ADD("/vfu/bad/before-version", fixture_setup_raw, test_bad_before_version);
    ADD("/vfu/bad/version", fixture_setup_raw, test_bad_version);
    ADD("/vfu/bad/dma-map", fixture_setup, test_bad_dma_map);
    ADD("/vfu/bad/dma-unmap", fixture_setup, test_bad_dma_unmap);
    ADD("/vfu/bad/region-access", fixture_setup, test_bad_region_access);
    ADD("/vfu/bad/set-irqs", fixture_setup, test_bad_set_irqs);
    ADD("/vfu/bad/info-requests", fixture_setup, test_bad_info_requests);
    ADD("/vfu/bad/too-many-fds", fixture_setup, test_bad_too_many_fds);
    ADD("/vfu/bad/garbage", fixture_setup, test_bad_garbage);
    ADD("/vfu/bad/no-reply-error", fixture_setup, test_bad_no_reply);
    ADD("/vfu/bad/mutations", fixture_setup, test_bad_mutations);
#undef ADD
    g_test_add_func("/vfu/listener", test_listener);
    g_test_add_func("/vfu/isolation", test_isolation);
    return g_test_run();
}
