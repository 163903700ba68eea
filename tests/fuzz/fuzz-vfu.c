/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the vfio-user server (agent/vfu: framing, fd accounting, negotiation, DMA
 * table, IRQs, dispatch) fed a byte stream as a hostile client would send it, through a
 * socketpair to the real connection code. Behind it: the PCI function (agent/vctrl/pci.c), the
 * register file (regs.c) and the admin emulation (admin.c), glued the way a slice glues them,
 * so doorbell REGION_WRITEs reach admin commands that read guest memory from DMA_MAP memfds.
 * Checks: no crash/UB, no fd leaked after disconnect, every region announced before unmap and
 * still mapped while announced, nothing left after disconnect. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <libnvme.h>

#include "agent/vctrl/admin.h"
#include "agent/vctrl/pci.h"
#include "agent/vctrl/regs.h"
#include "agent/vfu/server.h"
#include "tests/fuzz/fuzz-common.h"

#define N_QPAIRS 2
#define N_VECTORS 3
#define MEMFD_SIZE 0x10000u

typedef struct {
    NvpVfuServer *server;
    NvpVctrlPci *pci;
    NvpRegs regs;
    NvpAdmin *admin;
    gboolean live[N_QPAIRS + 1];
    guint n_live;
    guint n_regions;
    gboolean disconnected;
} Slice;

static GMainContext *ctx;

static void *
slice_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    Slice *s = data;

    return nvp_vfu_dma_translate(s->server, gpa, len, device_writes);
}

static guint16
slice_create_qpair(gpointer data, const NvpAdminQueuePair *qp)
{
    Slice *s = data;

    FUZZ_CHECK(qp->sqid >= 1 && qp->sqid <= N_QPAIRS && !s->live[qp->sqid]);
    FUZZ_CHECK(nvp_vfu_dma_translate(s->server, qp->sq_gpa, (guint64)qp->sq_entries * 64, FALSE));
    FUZZ_CHECK(nvp_vfu_dma_translate(s->server, qp->cq_gpa, (guint64)qp->cq_entries * 16, TRUE));
    s->live[qp->sqid] = TRUE;
    s->n_live++;
    return 0;
}

static void
slice_delete_qpair(gpointer data, guint16 sqid)
{
    Slice *s = data;

    FUZZ_CHECK(sqid >= 1 && sqid <= N_QPAIRS && s->live[sqid]);
    s->live[sqid] = FALSE;
    s->n_live--;
}

static guint16
slice_abort(gpointer data, guint16 sqid, guint16 cid, guint32 *dw0)
{
    *dw0 = 1;
    return 0;
}

static void
slice_irq(gpointer data, guint vector)
{
    Slice *s = data;

    FUZZ_CHECK(vector < N_VECTORS);
    nvp_vfu_irq_trigger(s->server, VFIO_PCI_MSIX_IRQ_INDEX, vector);
}

static const NvpAdminBackend slice_backend = {
    .map = slice_map,
    .hw_map = slice_map,
    .create_qpair = slice_create_qpair,
    .delete_qpair = slice_delete_qpair,
    .abort = slice_abort,
    .irq = slice_irq,
};

static void
handle_event(Slice *s, const NvpRegsEvent *ev)
{
    switch (ev->type) {
    case NVP_REGS_EVENT_ENABLE:
        nvp_admin_enable(s->admin);
        break;
    case NVP_REGS_EVENT_DISABLE:
        nvp_admin_reset(s->admin);
        FUZZ_CHECK(s->n_live == 0);
        break;
    case NVP_REGS_EVENT_SQ_TAIL:
        if (ev->qid == 0)
            nvp_admin_sq_tail(s->admin, ev->value);
        break;
    case NVP_REGS_EVENT_CQ_HEAD:
        if (ev->qid == 0)
            nvp_admin_cq_head(s->admin, ev->value);
        break;
    case NVP_REGS_EVENT_BAD_DOORBELL:
        nvp_admin_error_event(s->admin, (guint8)ev->value);
        break;
    default:
        break;
    }
}

static int
bar0_access(gpointer data, guint64 offset, void *buf, guint32 len, gboolean is_write)
{
    Slice *s = data;
    guint64 v = 0;

    if (len > 8)
        return -EINVAL;
    if (!is_write) {
        if (!nvp_regs_read(&s->regs, offset, len, &v))
            return -EINVAL;
        memcpy(buf, &v, len);
        return 0;
    }
    memcpy(&v, buf, len);
    {
        NvpRegsEvent ev;

        if (!nvp_regs_write(&s->regs, offset, len, v, &ev))
            return -EINVAL;
        handle_event(s, &ev);
    }
    return 0;
}

static int
op_region_access(gpointer dev, guint region, guint64 offset, void *buf, guint32 len,
                 gboolean is_write)
{
    Slice *s = dev;

    return nvp_vctrl_pci_region_access(s->pci, region, offset, buf, len, is_write);
}

static void
op_dma_added(gpointer dev, const NvpVfuDmaRegion *r)
{
    Slice *s = dev;

    FUZZ_CHECK(r->size > 0 && r->gpa % 4096 == 0);
    if (r->vaddr)
        FUZZ_CHECK(((volatile guint8 *)r->vaddr)[r->size - 1] == ((guint8 *)r->vaddr)[r->size - 1]);
    s->n_regions++;
}

static void
op_dma_removing(gpointer dev, const NvpVfuDmaRegion *r)
{
    Slice *s = dev;

    /* still mapped while announced: touching it must not fault */
    if (r->vaddr)
        (void)((volatile guint8 *)r->vaddr)[0];
    FUZZ_CHECK(nvp_vfu_dma_lookup(s->server, r->gpa) == r);
    /* what a slice does: no hardware queue may keep reaching guest RAM */
    if (s->n_live) {
        nvp_admin_reset(s->admin);
        nvp_regs_reset(&s->regs);
    }
    FUZZ_CHECK(s->n_regions > 0);
    s->n_regions--;
}

static void
op_irqs_changed(gpointer dev, guint irq_index, guint start, guint count)
{
    Slice *s = dev;

    for (guint i = 0; i < count; i++) {
        int fd = nvp_vfu_irq_eventfd(s->server, irq_index, start + i);

        FUZZ_CHECK(fd < 0 || fcntl(fd, F_GETFD) >= 0);
    }
}

static void
op_reset(gpointer dev)
{
    Slice *s = dev;

    nvp_admin_reset(s->admin);
    nvp_regs_reset(&s->regs);
    nvp_vctrl_pci_reset(s->pci);
}

static void
count_region(const NvpVfuDmaRegion *r, gpointer data)
{
    (*(guint *)data)++;
}

static void
op_disconnected(gpointer dev)
{
    Slice *s = dev;
    guint n = 0;

    nvp_vfu_dma_foreach(s->server, count_region, &n);
    FUZZ_CHECK(n == 0);
    FUZZ_CHECK(s->n_regions == 0);
    for (guint v = 0; v < N_VECTORS; v++)
        FUZZ_CHECK(nvp_vfu_irq_eventfd(s->server, VFIO_PCI_MSIX_IRQ_INDEX, v) < 0);
    nvp_admin_reset(s->admin);
    s->disconnected = TRUE;
}

static const NvpVfuDeviceOps ops = {
    .region_access = op_region_access,
    .dma_added = op_dma_added,
    .dma_removing = op_dma_removing,
    .irqs_changed = op_irqs_changed,
    .reset = op_reset,
    .disconnected = op_disconnected,
};

static guint
count_fds(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    FUZZ_CHECK(d);
    while (g_dir_read_name(d))
        n++;
    return n;
}

static void
pump(int cfd)
{
    guint8 sink[8192];

    for (guint i = 0; i < 64; i++) {
        gboolean busy = g_main_context_iteration(ctx, FALSE);
        ssize_t n = recv(cfd, sink, sizeof(sink), MSG_DONTWAIT);

        if (!busy && n <= 0)
            break;
    }
}

/* One fd for a record. *shrink_later is set for a memfd the client truncates once it is sent. */
static int
make_fd(guint kind, const guint8 *img, gsize img_len, gboolean *shrink_later)
{
    *shrink_later = FALSE;
    switch (kind) {
    case 0:
    case 3: {
        /* 3: a memfd that cannot be sealed, which the client truncates once it is sent */
        int fd = kind == 0 ? fuzz_memfd(MEMFD_SIZE) : memfd_create("fuzz-unsealable", MFD_CLOEXEC);

        FUZZ_CHECK(fd >= 0 && ftruncate(fd, MEMFD_SIZE) == 0);
        if (img_len)
            FUZZ_CHECK(pwrite(fd, img, MIN(img_len, MEMFD_SIZE), 0) >= 0);
        *shrink_later = kind == 3;
        return fd;
    }
    case 1:
        return eventfd(0, EFD_CLOEXEC);
    default:
        return open("/dev/null", O_RDWR | O_CLOEXEC); /* neither memfd nor eventfd */
    }
}

/*
 * Input: [u16 LE image length][image: initial content of every memfd handed over] then
 * records [u8 ctl][u16 LE len][len bytes of stream]; ctl bits 0-1: number of fds attached to
 * that sendmsg, bits 2-3 and 4-5: kind of the first/other fds (memfd, eventfd, /dev/null, memfd
 * the client truncates to 0 right after sending it); bit 6: the client half-closes after this
 * record; bit 7: pump only after this record.
 * The stream itself is free-form: vfio-user headers, payloads and garbage alike.
 */
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    struct nvme_id_ctrl hw_id;
    struct nvme_id_ns hw_ns;
    NvpRegsConfig rcfg = { .mqes = 63, .timeout = 10, .n_io_queues = N_QPAIRS };
    NvpAdminConfig acfg;
    NvpVctrlPciConfig pcfg = { .n_vectors = N_VECTORS };
    NvpVfuServerConfig scfg = { 0 };
    Slice s = { 0 };
    const guint8 *p = data;
    const guint8 *end = data + size;
    const guint8 *img;
    gsize img_len;
    guint fds_before;
    int sv[2];

    if (!ctx) {
        ctx = g_main_context_new();
        fuzz_quiet_logs();
    }
    if (size < 2)
        return 0;
    img_len = MIN((gsize)(p[0] | (p[1] << 8)), size - 2);
    img = p + 2;
    p += 2 + img_len;

    fds_before = count_fds();
    memset(&hw_id, 0x11, sizeof(hw_id));
    memset(&hw_ns, 0, sizeof(hw_ns));
    acfg = (NvpAdminConfig){ .hw_id = &hw_id,
                             .hw_ns = &hw_ns,
                             .lba_count = 2048,
                             .max_transfer = 65536,
                             .n_qpairs = N_QPAIRS,
                             .n_vectors = N_VECTORS,
                             .cntlid = 1,
                             .mqes = 63,
                             .serial = "FUZZ",
                             .model = "fuzz" };
    nvp_regs_init(&s.regs, &rcfg);
    s.admin = nvp_admin_new(&acfg, &s.regs, &slice_backend, &s);
    s.pci = nvp_vctrl_pci_new(&pcfg, NULL);
    FUZZ_CHECK(s.pci);
    nvp_vctrl_pci_set_bar0_handler(s.pci, bar0_access, &s);
    nvp_vctrl_pci_fill_server_config(s.pci, &scfg);
    scfg.context = ctx;
    scfg.max_dma_regions = 8;
    scfg.max_data_xfer = 8192;
    s.server = nvp_vfu_server_new(&scfg, &ops, &s, NULL);
    FUZZ_CHECK(s.server);
    nvp_vctrl_pci_set_server(s.pci, s.server);

    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    FUZZ_CHECK(nvp_vfu_server_attach_client(s.server, sv[0], NULL));

    while (end - p >= 3) {
        guint ctl = p[0];
        gsize len = MIN((gsize)(p[1] | (p[2] << 8)), (gsize)(end - p - 3));
        guint n_fds = ctl & 3;
        int fds[3] = { -1, -1, -1 };
        union {
            char buf[CMSG_SPACE(sizeof(int) * 3)];
            struct cmsghdr align;
        } cbuf;
        struct iovec iov = { .iov_base = (void *)(p + 3), .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        gboolean shrink[3] = { FALSE, FALSE, FALSE };

        for (guint i = 0; i < n_fds; i++)
            fds[i] = make_fd(i == 0 ? (ctl >> 2) & 3 : (ctl >> 4) & 3, img, img_len, &shrink[i]);
        if (n_fds) {
            struct cmsghdr *cm;

            memset(&cbuf, 0, sizeof(cbuf));
            mh.msg_control = cbuf.buf;
            mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
            cm = CMSG_FIRSTHDR(&mh);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
            memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
        }
        if (len > 0 || n_fds)
            (void)sendmsg(sv[1], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (!(ctl & 0x80))
            pump(sv[1]); /* the server takes the fds before the client plays its trick */
        for (guint i = 0; i < n_fds; i++) {
            if (shrink[i])
                (void)ftruncate(fds[i], 0); /* a hostile client shrinks a mapped memfd */
            close(fds[i]);
        }
        p += 3 + len;
        if (ctl & 0x40)
            shutdown(sv[1], SHUT_WR);
        if (end - p < 3)
            pump(sv[1]);
        if (!nvp_vfu_server_has_client(s.server))
            break;
    }

    close(sv[1]);
    pump(-1);
    if (fuzz_trace()) {
        NvpVfuServerStats st;

        nvp_vfu_server_get_stats(s.server, &st);
        fprintf(stderr,
                "messages %" G_GUINT64_FORMAT " errors %" G_GUINT64_FORMAT
                " admin commands %" G_GUINT64_FORMAT " doorbells %" G_GUINT64_FORMAT "\n",
                st.n_messages, st.n_errors, nvp_admin_get_stats(s.admin)->commands,
                s.regs.n_doorbells);
    }
    /* the server saw EOF (or dropped the client earlier): everything must be gone */
    FUZZ_CHECK(!nvp_vfu_server_has_client(s.server));
    FUZZ_CHECK(s.disconnected);
    nvp_vfu_server_free(s.server);
    nvp_vctrl_pci_free(s.pci);
    nvp_admin_free(s.admin);
    FUZZ_CHECK(s.n_live == 0);
    while (g_main_context_iteration(ctx, FALSE))
        ;
    FUZZ_CHECK(count_fds() == fds_before);
    return 0;
}
