/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user server for one endpoint: listener, the one client's connection, version negotiation
 * and dispatch of every command to the DMA table, the IRQ table or the device callbacks. */
#include "agent/vfu/server.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/vfu/caps.h"
#include "agent/vfu/conn.h"
#include "agent/vfu/irq.h"

/* Messages handled per wakeup before yielding to other sources (fairness between endpoints). */
#define BATCH 64
#define MAX_MAX_XFER (64u * 1024u * 1024u)

struct _NvpVfuServer {
    NvpVfuServerConfig cfg; /* copy; socket_path points to path */
    char *path;
    const NvpVfuDeviceOps *ops;
    gpointer dev;
    GMainContext *context;

    int listen_fd;
    dev_t listen_dev;
    ino_t listen_ino;
    GSource *listen_src;

    NvpVfuConn *conn;
    GSource *conn_src;
    gboolean conn_wants_out;
    gboolean negotiated;
    NvpVfuCaps client_caps;

    NvpVfuDmaTable *dma;
    NvpVfuIrqs *irqs;
    NvpVfuServerStats stats;
};

static gboolean conn_ready(gint fd, GIOCondition cond, gpointer data);

/* --- client lifecycle ------------------------------------------------------------------------ */

static void
dma_removing_cb(const NvpVfuDmaRegion *r, gpointer data)
{
    NvpVfuServer *s = data;

    if (s->ops->dma_removing)
        s->ops->dma_removing(s->dev, r);
}

static void
close_fd_array(GArray *fds)
{
    for (guint i = 0; i < fds->len; i++)
        close(g_array_index(fds, int, i));
    g_array_set_size(fds, 0);
}

static void
clear_irqs(NvpVfuServer *s)
{
    g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(int));

    for (guint t = 0; t < nvp_vfu_irqs_n_types(s->irqs); t++) {
        if (nvp_vfu_irqs_clear_type(s->irqs, t, old) && s->ops->irqs_changed)
            s->ops->irqs_changed(s->dev, t, 0, nvp_vfu_irqs_count(s->irqs, t));
        close_fd_array(old);
    }
    nvp_vfu_irqs_reset_state(s->irqs);
}

static void
set_conn_watch(NvpVfuServer *s, gboolean want_out)
{
    if (s->conn_src) {
        g_source_destroy(s->conn_src);
        g_source_unref(s->conn_src);
    }
    s->conn_wants_out = want_out;
    s->conn_src = g_unix_fd_source_new(nvp_vfu_conn_get_fd(s->conn),
                                       (want_out ? G_IO_OUT : G_IO_IN) | G_IO_HUP | G_IO_ERR);
    g_source_set_callback(s->conn_src, G_SOURCE_FUNC(conn_ready), s, NULL);
    g_source_attach(s->conn_src, s->context);
}

static void
drop_client(NvpVfuServer *s)
{
    if (!s->conn)
        return;
    if (s->conn_src) {
        g_source_destroy(s->conn_src);
        g_source_unref(s->conn_src);
        s->conn_src = NULL;
    }
    /* Safety rule (docs/design.md): every region is announced before any is unmapped. */
    nvp_vfu_dma_table_clear(s->dma, dma_removing_cb, s);
    clear_irqs(s);
    g_clear_pointer(&s->conn, nvp_vfu_conn_free);
    s->negotiated = FALSE;
    g_debug("vfio-user %s: client gone after %" G_GUINT64_FORMAT " messages (%" G_GUINT64_FORMAT
            " errors)",
            s->path ? s->path : "-", s->stats.n_messages, s->stats.n_errors);
    if (s->ops->disconnected)
        s->ops->disconnected(s->dev);
}

gboolean
nvp_vfu_server_attach_client(NvpVfuServer *s, int fd, GError **error)
{
    if (s->conn) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_BUSY,
                    "vfio-user endpoint %s already serves a client", s->path ? s->path : "");
        return FALSE;
    }
    s->conn = nvp_vfu_conn_new(fd, (guint32)(sizeof(NvpVfuHdr) + sizeof(NvpVfuRegionRw) +
                                             s->cfg.max_data_xfer));
    s->negotiated = FALSE;
    nvp_vfu_caps_init_defaults(&s->client_caps);
    s->stats.n_clients++;
    g_debug("vfio-user %s: client connected", s->path ? s->path : "-");
    set_conn_watch(s, FALSE);
    return TRUE;
}

gboolean
nvp_vfu_server_has_client(NvpVfuServer *s)
{
    return s->conn != NULL;
}

void
nvp_vfu_server_disconnect(NvpVfuServer *s)
{
    drop_client(s);
}

/* --- command handlers: return 0 (reply built or header-only) or a positive errno -------------- */

static int
handle_version(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuVersion v;
    NvpVfuCaps caps;
    NvpVfuCaps ours;
    g_autofree char *json = NULL;
    gsize jlen;
    guint8 *p;

    if (s->negotiated || m->payload_len < sizeof(v) || m->n_fds)
        return EINVAL;
    memcpy(&v, m->payload, sizeof(v));
    if (v.major != NVP_VFU_MAJOR)
        return ENOTSUP;

    nvp_vfu_caps_init_defaults(&caps);
    if (m->payload_len > sizeof(v)) {
        const char *data = (const char *)m->payload + sizeof(v);
        guint32 len = m->payload_len - (guint32)sizeof(v);
        g_autoptr(GError) err = NULL;

        if (data[len - 1] != '\0')
            return EINVAL;
        if (len > 1 && !nvp_vfu_caps_parse(data, &caps, &err)) {
            g_debug("vfio-user %s: bad VERSION capabilities: %s", s->path, err->message);
            return EINVAL;
        }
    }
    if (!(caps.pgsizes & NVP_VFU_PAGE_SIZE))
        return ENOTSUP;

    ours.max_msg_fds = NVP_VFU_MAX_FDS;
    ours.max_data_xfer = s->cfg.max_data_xfer;
    ours.pgsizes = NVP_VFU_PAGE_SIZE;
    ours.max_dma_maps = MIN(caps.max_dma_maps, (guint64)s->cfg.max_dma_regions);
    ours.write_multiple = FALSE;
    json = nvp_vfu_caps_format(&ours);
    jlen = strlen(json) + 1;

    p = nvp_vfu_conn_reply_begin(s->conn, &m->hdr, (guint32)(sizeof(v) + jlen));
    v.major = NVP_VFU_MAJOR;
    v.minor = NVP_VFU_MINOR;
    memcpy(p, &v, sizeof(v));
    memcpy(p + sizeof(v), json, jlen);
    s->client_caps = caps;
    s->negotiated = TRUE;
    g_debug("vfio-user %s: version 0.0 negotiated (client max_data_xfer %" G_GUINT64_FORMAT
            ", max_msg_fds %" G_GUINT64_FORMAT ")",
            s->path ? s->path : "-", caps.max_data_xfer, caps.max_msg_fds);
    return 0;
}

static int
handle_dma_map(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuDmaMap req;
    const NvpVfuDmaRegion *r = NULL;
    int fd;
    int err;

    if (m->payload_len != sizeof(req) || m->n_fds > 1)
        return EINVAL;
    memcpy(&req, m->payload, sizeof(req));
    if (req.argsz < sizeof(req))
        return EINVAL;
    if (req.flags & ~(guint32)(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
        return EINVAL;
    fd = m->n_fds ? m->fds[0] : -1;
    err = nvp_vfu_dma_table_add(s->dma, req.iova, req.size, fd, req.offset,
                                (req.flags & VFIO_DMA_MAP_FLAG_READ) != 0,
                                (req.flags & VFIO_DMA_MAP_FLAG_WRITE) != 0, &r);
    if (err)
        return err;
    if (m->n_fds)
        m->fds[0] = -1; /* the table owns it now */
    if (s->ops->dma_added)
        s->ops->dma_added(s->dev, r);
    return 0;
}

static int
handle_dma_unmap(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuDmaUnmap req;
    int err;

    if (m->payload_len != sizeof(req) || m->n_fds)
        return EINVAL;
    memcpy(&req, m->payload, sizeof(req));
    if (req.argsz < sizeof(req))
        return EINVAL;
    if (req.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP)
        return ENOTSUP;
    if (req.flags & ~(guint32)VFIO_DMA_UNMAP_FLAG_ALL)
        return EINVAL;
    if (req.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
        if (req.iova || req.size)
            return EINVAL;
        nvp_vfu_dma_table_clear(s->dma, dma_removing_cb, s);
    } else {
        err = nvp_vfu_dma_table_remove(s->dma, req.iova, req.size, dma_removing_cb, s);
        if (err)
            return err;
    }
    memcpy(nvp_vfu_conn_reply_begin(s->conn, &m->hdr, sizeof(req)), &req, sizeof(req));
    return 0;
}

static int
handle_get_info(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuDeviceInfo info;

    if (m->payload_len != sizeof(info) || m->n_fds)
        return EINVAL;
    memcpy(&info, m->payload, sizeof(info));
    if (info.argsz < sizeof(info))
        return EINVAL;
    info.argsz = sizeof(info);
    info.flags = VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI;
    info.num_regions = s->cfg.n_regions;
    info.num_irqs = s->cfg.n_irq_types;
    memcpy(nvp_vfu_conn_reply_begin(s->conn, &m->hdr, sizeof(info)), &info, sizeof(info));
    return 0;
}

static int
handle_get_region_info(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuRegionInfo info;
    const NvpVfuRegionConfig *rc;

    if (m->payload_len != sizeof(info) || m->n_fds)
        return EINVAL;
    memcpy(&info, m->payload, sizeof(info));
    if (info.argsz < sizeof(info) || info.index >= s->cfg.n_regions)
        return EINVAL;
    rc = &s->cfg.regions[info.index];
    info.argsz = sizeof(info);
    info.flags = rc->size ? rc->flags : 0;
    info.cap_offset = 0;
    info.size = rc->size;
    info.offset = 0;
    memcpy(nvp_vfu_conn_reply_begin(s->conn, &m->hdr, sizeof(info)), &info, sizeof(info));
    return 0;
}

static int
handle_get_irq_info(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuIrqInfo info;

    if (m->payload_len != sizeof(info) || m->n_fds)
        return EINVAL;
    memcpy(&info, m->payload, sizeof(info));
    if (info.argsz < sizeof(info) || info.index >= s->cfg.n_irq_types)
        return EINVAL;
    info.argsz = sizeof(info);
    /* no NORESIZE: vectors can be given eventfds one at a time (QEMU's dynamic MSI-X path) */
    info.flags = VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE;
    info.count = s->cfg.irq_counts[info.index];
    memcpy(nvp_vfu_conn_reply_begin(s->conn, &m->hdr, sizeof(info)), &info, sizeof(info));
    return 0;
}

static gboolean
is_eventfd(int fd)
{
    char link[64];
    char target[64];
    ssize_t n;

    g_snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return FALSE;
    target[n] = '\0';
    return strcmp(target, "anon_inode:[eventfd]") == 0;
}

static int
handle_set_irqs(NvpVfuServer *s, NvpVfuMsg *m)
{
    const guint32 data_mask =
        VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_DATA_EVENTFD;
    const guint32 action_mask =
        VFIO_IRQ_SET_ACTION_MASK | VFIO_IRQ_SET_ACTION_UNMASK | VFIO_IRQ_SET_ACTION_TRIGGER;
    NvpVfuIrqSet req;
    guint32 data, action, total;
    const guint8 *bools = NULL;

    if (m->payload_len < sizeof(req))
        return EINVAL;
    memcpy(&req, m->payload, sizeof(req));
    data = req.flags & data_mask;
    action = req.flags & action_mask;
    if (req.argsz < sizeof(req) || (req.flags & ~(data_mask | action_mask)) || !data ||
        (data & (data - 1)) || !action || (action & (action - 1)))
        return EINVAL;
    if (req.index >= s->cfg.n_irq_types)
        return EINVAL;
    total = nvp_vfu_irqs_count(s->irqs, req.index);

    /* count 0 with DATA_NONE: disable every interrupt of the index */
    if (req.count == 0 && req.start == 0 && data == VFIO_IRQ_SET_DATA_NONE &&
        action == VFIO_IRQ_SET_ACTION_TRIGGER) {
        g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(int));

        if (m->payload_len != sizeof(req) || m->n_fds)
            return EINVAL;
        if (nvp_vfu_irqs_clear_type(s->irqs, req.index, old) && s->ops->irqs_changed)
            s->ops->irqs_changed(s->dev, req.index, 0, total);
        close_fd_array(old);
        return 0;
    }
    if (req.count == 0 || req.start >= total || req.count > total - req.start)
        return EINVAL;

    if (data == VFIO_IRQ_SET_DATA_EVENTFD) {
        g_autoptr(GArray) old = g_array_new(FALSE, FALSE, sizeof(int));

        if (m->payload_len != sizeof(req))
            return EINVAL;
        if (action != VFIO_IRQ_SET_ACTION_TRIGGER)
            return ENOTSUP; /* mask/unmask notification eventfds are not offered */
        if (m->n_fds != 0 && m->n_fds != req.count)
            return EINVAL;
        for (guint i = 0; i < m->n_fds; i++) {
            if (!is_eventfd(m->fds[i]))
                return EINVAL;
        }
        nvp_vfu_irqs_set_fds(s->irqs, req.index, req.start, req.count, m->n_fds ? m->fds : NULL,
                             old);
        for (guint i = 0; i < m->n_fds; i++)
            m->fds[i] = -1; /* taken */
        g_debug("vfio-user %s: irq index %u vectors %u..%u %s", s->path ? s->path : "-", req.index,
                req.start, req.start + req.count - 1, m->n_fds ? "wired to eventfds" : "cleared");
        if (s->ops->irqs_changed)
            s->ops->irqs_changed(s->dev, req.index, req.start, req.count);
        close_fd_array(old);
        return 0;
    }

    if (m->n_fds)
        return EINVAL;
    if (data == VFIO_IRQ_SET_DATA_BOOL) {
        if (m->payload_len != sizeof(req) + req.count)
            return EINVAL;
        bools = m->payload + sizeof(req);
    } else if (m->payload_len != sizeof(req)) {
        return EINVAL;
    }
    for (guint i = 0; i < req.count; i++) {
        guint v = req.start + i;

        if (bools && !bools[i])
            continue;
        if (action == VFIO_IRQ_SET_ACTION_MASK)
            nvp_vfu_irqs_set_masked(s->irqs, req.index, v, TRUE);
        else if (action == VFIO_IRQ_SET_ACTION_UNMASK)
            nvp_vfu_irqs_set_masked(s->irqs, req.index, v, FALSE);
        else
            nvp_vfu_irqs_trigger(s->irqs, req.index, v);
    }
    return 0;
}

static int
check_region_access(NvpVfuServer *s, const NvpVfuRegionRw *rw, guint32 need_flag)
{
    const NvpVfuRegionConfig *rc;

    if (rw->region >= s->cfg.n_regions)
        return EINVAL;
    rc = &s->cfg.regions[rw->region];
    if (rc->size == 0 || !(rc->flags & need_flag))
        return EINVAL;
    if (rw->count == 0)
        return EINVAL;
    if (rw->count > s->cfg.max_data_xfer)
        return E2BIG;
    if (rw->offset > rc->size || rw->count > rc->size - rw->offset)
        return EINVAL;
    return 0;
}

static int
device_errno(int rc)
{
    return (rc < 0 && rc > -4096) ? -rc : EIO;
}

static int
handle_region_read(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuRegionRw rw;
    guint8 *p;
    int err;
    int rc;

    if (m->payload_len != sizeof(rw) || m->n_fds)
        return EINVAL;
    memcpy(&rw, m->payload, sizeof(rw));
    err = check_region_access(s, &rw, VFIO_REGION_INFO_FLAG_READ);
    if (err)
        return err;
    s->stats.n_region_reads++;
    p = nvp_vfu_conn_reply_begin(s->conn, &m->hdr, (guint32)sizeof(rw) + rw.count);
    memcpy(p, &rw, sizeof(rw));
    memset(p + sizeof(rw), 0, rw.count);
    rc = s->ops->region_access(s->dev, rw.region, rw.offset, p + sizeof(rw), rw.count, FALSE);
    return rc ? device_errno(rc) : 0;
}

static int
handle_region_write(NvpVfuServer *s, NvpVfuMsg *m)
{
    NvpVfuRegionRw rw;
    int err;
    int rc;

    if (m->payload_len < sizeof(rw) || m->n_fds)
        return EINVAL;
    memcpy(&rw, m->payload, sizeof(rw));
    if (rw.count != m->payload_len - sizeof(rw))
        return EINVAL;
    err = check_region_access(s, &rw, VFIO_REGION_INFO_FLAG_WRITE);
    if (err)
        return err;
    s->stats.n_region_writes++;
    rc = s->ops->region_access(s->dev, rw.region, rw.offset, m->payload + sizeof(rw), rw.count,
                               TRUE);
    if (rc)
        return device_errno(rc);
    if (!(m->hdr.flags & NVP_VFU_FLAG_NO_REPLY))
        memcpy(nvp_vfu_conn_reply_begin(s->conn, &m->hdr, sizeof(rw)), &rw, sizeof(rw));
    return 0;
}

static int
handle_reset(NvpVfuServer *s, NvpVfuMsg *m)
{
    if (m->payload_len != 0 || m->n_fds)
        return EINVAL;
    nvp_vfu_irqs_reset_state(s->irqs);
    if (s->ops->reset)
        s->ops->reset(s->dev);
    return 0;
}

static int
dispatch(NvpVfuServer *s, NvpVfuMsg *m)
{
    if (m->oversized)
        return E2BIG;
    if ((m->hdr.flags & ~NVP_VFU_FLAG_KNOWN) ||
        (m->hdr.flags & NVP_VFU_FLAG_TYPE_MASK) != NVP_VFU_FLAG_TYPE_COMMAND ||
        (m->hdr.flags & NVP_VFU_FLAG_ERROR))
        return EINVAL;
    if (m->fds_truncated)
        return EINVAL;
    if (!s->negotiated && m->hdr.command != NVP_VFU_CMD_VERSION)
        return EINVAL;

    switch ((NvpVfuCommand)m->hdr.command) {
    case NVP_VFU_CMD_VERSION:
        return handle_version(s, m);
    case NVP_VFU_CMD_DMA_MAP:
        return handle_dma_map(s, m);
    case NVP_VFU_CMD_DMA_UNMAP:
        return handle_dma_unmap(s, m);
    case NVP_VFU_CMD_DEVICE_GET_INFO:
        return handle_get_info(s, m);
    case NVP_VFU_CMD_DEVICE_GET_REGION_INFO:
        return handle_get_region_info(s, m);
    case NVP_VFU_CMD_DEVICE_GET_IRQ_INFO:
        return handle_get_irq_info(s, m);
    case NVP_VFU_CMD_DEVICE_SET_IRQS:
        return handle_set_irqs(s, m);
    case NVP_VFU_CMD_REGION_READ:
        return handle_region_read(s, m);
    case NVP_VFU_CMD_REGION_WRITE:
        return handle_region_write(s, m);
    case NVP_VFU_CMD_DEVICE_RESET:
        return handle_reset(s, m);
    case NVP_VFU_CMD_DEVICE_GET_REGION_IO_FDS:
    case NVP_VFU_CMD_DMA_READ:
    case NVP_VFU_CMD_DMA_WRITE:
    case NVP_VFU_CMD_DIRTY_PAGES:
    case NVP_VFU_CMD_REGION_WRITE_MULTI:
    case NVP_VFU_CMD_DEVICE_FEATURE:
        break;
    }
    return ENOSYS;
}

/* Handles one message and queues its reply. FALSE: drop the client. */
static gboolean
handle_message(NvpVfuServer *s, NvpVfuMsg *m)
{
    int err;

    s->stats.n_messages++;
    err = dispatch(s, m);
    if (err) {
        s->stats.n_errors++;
        g_debug("vfio-user %s: command %u id %u failed: %s", s->path ? s->path : "-",
                m->hdr.command, m->hdr.id, g_strerror(err));
        nvp_vfu_conn_reply_error(s->conn, &m->hdr, err);
    } else if (!nvp_vfu_conn_output_pending(s->conn)) {
        nvp_vfu_conn_reply_begin(s->conn, &m->hdr, 0);
    }
    if (m->hdr.flags & NVP_VFU_FLAG_NO_REPLY)
        nvp_vfu_conn_reply_cancel(s->conn);
    nvp_vfu_conn_msg_done(s->conn);
    return nvp_vfu_conn_flush(s->conn);
}

static gboolean
conn_ready(gint fd, GIOCondition cond, gpointer data)
{
    NvpVfuServer *s = data;

    if (nvp_vfu_conn_output_pending(s->conn)) {
        if (!nvp_vfu_conn_flush(s->conn)) {
            drop_client(s);
            return G_SOURCE_REMOVE;
        }
        if (nvp_vfu_conn_output_pending(s->conn))
            return G_SOURCE_CONTINUE;
    }

    for (guint i = 0; i < BATCH; i++) {
        NvpVfuMsg *m = NULL;
        NvpVfuRecvResult r = nvp_vfu_conn_recv(s->conn, &m);

        if (r == NVP_VFU_RECV_AGAIN)
            break;
        if (r == NVP_VFU_RECV_CLOSED) {
            drop_client(s);
            return G_SOURCE_REMOVE;
        }
        if (r == NVP_VFU_RECV_FATAL) {
            /* Unframeable stream: tell the client if we can, then drop it. */
            if (m && m->hdr.size < sizeof(NvpVfuHdr) && m->hdr.size != 0) {
                s->stats.n_errors++;
                nvp_vfu_conn_reply_error(s->conn, &m->hdr, EINVAL);
                (void)nvp_vfu_conn_flush(s->conn);
            }
            s->stats.n_disconnects++;
            drop_client(s);
            return G_SOURCE_REMOVE;
        }
        if (!handle_message(s, m)) {
            drop_client(s);
            return G_SOURCE_REMOVE;
        }
        if (nvp_vfu_conn_output_pending(s->conn)) {
            set_conn_watch(s, TRUE); /* back-pressure: read nothing until the reply is out */
            return G_SOURCE_REMOVE;
        }
    }
    if (s->conn_wants_out) {
        set_conn_watch(s, FALSE);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

/* --- listener -------------------------------------------------------------------------------- */

static gboolean
listen_ready(gint fd, GIOCondition cond, gpointer data)
{
    NvpVfuServer *s = data;
    int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

    if (cfd < 0)
        return G_SOURCE_CONTINUE;
    if (s->conn) {
        g_debug("vfio-user %s: refusing a second client", s->path);
        close(cfd);
        return G_SOURCE_CONTINUE;
    }
    (void)nvp_vfu_server_attach_client(s, cfd, NULL);
    return G_SOURCE_CONTINUE;
}

static gboolean
open_listener(NvpVfuServer *s, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    int fd;

    if (strlen(s->path) >= sizeof(sa.sun_path)) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_INVALID, "socket path %s is too long",
                    s->path);
        return FALSE;
    }
    memcpy(sa.sun_path, s->path, strlen(s->path) + 1);

    if (lstat(s->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_SOCKET, "%s exists and is not a socket",
                        s->path);
            return FALSE;
        }
        (void)unlink(s->path); /* stale socket of an earlier run */
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_SOCKET, "socket: %s", g_strerror(errno));
        return FALSE;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;

        close(fd);
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_SOCKET, "cannot bind %s: %s", s->path,
                    g_strerror(e));
        return FALSE;
    }
    /* Nobody can connect before listen(): set mode and owner first. */
    if (chmod(s->path, s->cfg.mode ? s->cfg.mode : 0600) < 0 ||
        (s->cfg.set_owner && chown(s->path, s->cfg.uid, s->cfg.gid) < 0) ||
        stat(s->path, &st) < 0 || listen(fd, 4) < 0) {
        int e = errno;

        close(fd);
        (void)unlink(s->path);
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_SOCKET, "cannot set up %s: %s", s->path,
                    g_strerror(e));
        return FALSE;
    }
    s->listen_fd = fd;
    s->listen_dev = st.st_dev;
    s->listen_ino = st.st_ino;
    s->listen_src = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(s->listen_src, G_SOURCE_FUNC(listen_ready), s, NULL);
    g_source_attach(s->listen_src, s->context);
    return TRUE;
}

/* --- object ---------------------------------------------------------------------------------- */

NvpVfuServer *
nvp_vfu_server_new(const NvpVfuServerConfig *cfg, const NvpVfuDeviceOps *ops, gpointer dev,
                   GError **error)
{
    g_autoptr(NvpVfuServer) s = NULL;

    if (!ops || !ops->region_access || cfg->n_regions == 0 ||
        cfg->n_regions > NVP_VFU_MAX_REGIONS || cfg->n_irq_types > NVP_VFU_MAX_IRQ_TYPES ||
        cfg->max_data_xfer > MAX_MAX_XFER) {
        g_set_error(error, NVP_VFU_ERROR, NVP_VFU_ERROR_INVALID,
                    "invalid vfio-user server configuration");
        return NULL;
    }
    s = g_new0(NvpVfuServer, 1);
    s->cfg = *cfg;
    s->path = g_strdup(cfg->socket_path);
    s->cfg.socket_path = s->path;
    if (!s->cfg.max_data_xfer)
        s->cfg.max_data_xfer = NVP_VFU_DEFAULT_MAX_XFER;
    if (!s->cfg.max_dma_regions)
        s->cfg.max_dma_regions = NVP_VFU_DEFAULT_MAX_DMA_MAPS;
    s->ops = ops;
    s->dev = dev;
    s->context =
        g_main_context_ref(cfg->context ? cfg->context : g_main_context_ref_thread_default());
    if (!cfg->context)
        g_main_context_unref(s->context); /* ref_thread_default already took one */
    s->listen_fd = -1;
    s->dma = nvp_vfu_dma_table_new(s->cfg.max_dma_regions);
    s->irqs = nvp_vfu_irqs_new(s->cfg.n_irq_types, s->cfg.irq_counts);
    nvp_vfu_caps_init_defaults(&s->client_caps);

    if (s->path && !open_listener(s, error))
        return NULL;
    return g_steal_pointer(&s);
}

void
nvp_vfu_server_free(NvpVfuServer *s)
{
    struct stat st;

    if (!s)
        return;
    drop_client(s);
    if (s->listen_src) {
        g_source_destroy(s->listen_src);
        g_source_unref(s->listen_src);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
        /* unlink only our own socket, not one a successor bound meanwhile */
        if (stat(s->path, &st) == 0 && st.st_dev == s->listen_dev && st.st_ino == s->listen_ino)
            (void)unlink(s->path);
    }
    nvp_vfu_dma_table_free(s->dma);
    nvp_vfu_irqs_free(s->irqs);
    if (s->context)
        g_main_context_unref(s->context);
    g_free(s->path);
    g_free(s);
}

const char *
nvp_vfu_server_get_path(NvpVfuServer *s)
{
    return s->path;
}

void
nvp_vfu_server_get_stats(NvpVfuServer *s, NvpVfuServerStats *out)
{
    *out = s->stats;
}

void *
nvp_vfu_dma_translate(NvpVfuServer *s, guint64 gpa, guint64 len, gboolean write)
{
    return nvp_vfu_dma_table_translate(s->dma, gpa, len, write);
}

const NvpVfuDmaRegion *
nvp_vfu_dma_lookup(NvpVfuServer *s, guint64 gpa)
{
    return nvp_vfu_dma_table_lookup(s->dma, gpa);
}

void
nvp_vfu_dma_foreach(NvpVfuServer *s, NvpVfuDmaFunc func, gpointer data)
{
    nvp_vfu_dma_table_foreach(s->dma, func, data);
}

int
nvp_vfu_irq_eventfd(NvpVfuServer *s, guint irq_index, guint vector)
{
    return nvp_vfu_irqs_fd(s->irqs, irq_index, vector);
}

void
nvp_vfu_irq_trigger(NvpVfuServer *s, guint irq_index, guint vector)
{
    nvp_vfu_irqs_trigger(s->irqs, irq_index, vector);
}

gboolean
nvp_vfu_irq_masked(NvpVfuServer *s, guint irq_index, guint vector)
{
    return nvp_vfu_irqs_masked(s->irqs, irq_index, vector);
}

gboolean
nvp_vfu_irq_pending(NvpVfuServer *s, guint irq_index, guint vector)
{
    return nvp_vfu_irqs_pending(s->irqs, irq_index, vector);
}
