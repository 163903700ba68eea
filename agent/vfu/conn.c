/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One vfio-user stream connection: framing, fd passing, reused buffers. */
#include "agent/vfu/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define RX_INITIAL 4096u

typedef enum {
    RX_HEADER,
    RX_BODY,
    RX_DISCARD,
} RxState;

struct _NvpVfuConn {
    int fd;
    guint32 max_msg_size;

    RxState state;
    guint8 *rx; /* reused receive buffer: header + payload */
    guint32 rx_cap;
    guint32 rx_have; /* bytes of the current message received (also counts discarded ones) */
    NvpVfuMsg msg;
    gboolean msg_live; /* msg handed out and not yet done */

    guint8 *tx; /* reused reply buffer */
    guint32 tx_cap;
    guint32 tx_len;
    guint32 tx_off;
};

NvpVfuConn *
nvp_vfu_conn_new(int fd, guint32 max_msg_size)
{
    NvpVfuConn *c = g_new0(NvpVfuConn, 1);
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    c->fd = fd;
    c->max_msg_size = MAX(max_msg_size, (guint32)(sizeof(NvpVfuHdr) + 64));
    c->rx_cap = RX_INITIAL;
    c->rx = g_malloc(c->rx_cap);
    c->tx_cap = RX_INITIAL;
    c->tx = g_malloc(c->tx_cap);
    return c;
}

static void
msg_close_fds(NvpVfuMsg *m)
{
    for (guint i = 0; i < m->n_fds; i++) {
        if (m->fds[i] >= 0)
            close(m->fds[i]);
        m->fds[i] = -1;
    }
    m->n_fds = 0;
}

void
nvp_vfu_conn_free(NvpVfuConn *c)
{
    if (!c)
        return;
    msg_close_fds(&c->msg);
    if (c->fd >= 0)
        close(c->fd);
    g_free(c->rx);
    g_free(c->tx);
    g_free(c);
}

int
nvp_vfu_conn_get_fd(NvpVfuConn *c)
{
    return c->fd;
}

static void
msg_reset(NvpVfuConn *c)
{
    msg_close_fds(&c->msg);
    memset(&c->msg, 0, sizeof(c->msg));
    c->state = RX_HEADER;
    c->rx_have = 0;
    c->msg_live = FALSE;
}

void
nvp_vfu_conn_msg_done(NvpVfuConn *c)
{
    msg_reset(c);
}

static void
collect_fds(NvpVfuConn *c, struct msghdr *mh)
{
    NvpVfuMsg *m = &c->msg;

    if (mh->msg_flags & MSG_CTRUNC)
        m->fds_truncated = TRUE;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
        size_t n;
        int *fds;

        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        fds = (int *)CMSG_DATA(cm);
        for (size_t i = 0; i < n; i++) {
            int fd;

            memcpy(&fd, &fds[i], sizeof(fd));
            if (m->n_fds < NVP_VFU_MAX_FDS) {
                m->fds[m->n_fds++] = fd;
            } else {
                close(fd);
                m->fds_truncated = TRUE;
            }
        }
    }
}

/* One recvmsg of at most len bytes into buf, fds attached to the current message. */
static ssize_t
recv_some(NvpVfuConn *c, void *buf, size_t len)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * NVP_VFU_MAX_FDS)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = len };
    struct msghdr mh = {
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = ctl.buf,
        .msg_controllen = sizeof(ctl.buf),
    };
    ssize_t n;

    do {
        n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    /* msg_controllen is only meaningful after a successful call (it keeps our buffer size on
     * EAGAIN, and parsing the uninitialised buffer would invent fds) */
    if (n > 0)
        collect_fds(c, &mh);
    return n;
}

NvpVfuRecvResult
nvp_vfu_conn_recv(NvpVfuConn *c, NvpVfuMsg **msg)
{
    NvpVfuMsg *m = &c->msg;

    g_return_val_if_fail(!c->msg_live, NVP_VFU_RECV_FATAL);
    *msg = m;

    for (;;) {
        guint32 want;
        guint8 *dst;
        guint8 sink[4096];
        ssize_t n;

        if (c->state == RX_HEADER) {
            want = sizeof(NvpVfuHdr) - c->rx_have;
            dst = c->rx + c->rx_have;
        } else if (c->state == RX_BODY) {
            want = m->hdr.size - c->rx_have;
            dst = c->rx + c->rx_have;
        } else {
            want = MIN(m->hdr.size - c->rx_have, (guint32)sizeof(sink));
            dst = sink;
        }

        if (want > 0) {
            n = recv_some(c, dst, want);
            if (n < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return NVP_VFU_RECV_AGAIN;
                return NVP_VFU_RECV_FATAL;
            }
            if (n == 0) {
                if (c->state == RX_HEADER && c->rx_have == 0 && m->n_fds == 0)
                    return NVP_VFU_RECV_CLOSED;
                return NVP_VFU_RECV_FATAL;
            }
            c->rx_have += (guint32)n;
            if ((guint32)n < want)
                continue;
        }

        if (c->state == RX_HEADER) {
            memcpy(&m->hdr, c->rx, sizeof(m->hdr));
            if (m->hdr.size < sizeof(NvpVfuHdr)) {
                c->msg_live = TRUE;
                return NVP_VFU_RECV_FATAL; /* cannot find the next message */
            }
            if (m->hdr.size > c->max_msg_size) {
                m->oversized = TRUE;
                c->state = RX_DISCARD;
                continue;
            }
            if (m->hdr.size > c->rx_cap) {
                c->rx_cap = MAX(m->hdr.size, MIN(c->rx_cap * 2, c->max_msg_size));
                c->rx = g_realloc(c->rx, c->rx_cap);
            }
            c->state = RX_BODY;
            continue;
        }

        /* RX_BODY or RX_DISCARD complete */
        if (c->rx_have < m->hdr.size)
            continue;
        if (m->oversized) {
            m->payload = c->rx + sizeof(NvpVfuHdr);
            m->payload_len = 0;
        } else {
            m->payload = c->rx + sizeof(NvpVfuHdr);
            m->payload_len = m->hdr.size - (guint32)sizeof(NvpVfuHdr);
        }
        c->msg_live = TRUE;
        return NVP_VFU_RECV_MESSAGE;
    }
}

guint8 *
nvp_vfu_conn_reply_begin(NvpVfuConn *c, const NvpVfuHdr *req, guint32 payload_len)
{
    guint32 size = (guint32)sizeof(NvpVfuHdr) + payload_len;
    NvpVfuHdr h = {
        .id = req->id,
        .command = req->command,
        .size = size,
        .flags = NVP_VFU_FLAG_TYPE_REPLY,
        .error = 0,
    };

    g_return_val_if_fail(c->tx_len == c->tx_off, NULL);
    if (size > c->tx_cap) {
        c->tx_cap = size;
        c->tx = g_realloc(c->tx, c->tx_cap);
    }
    memcpy(c->tx, &h, sizeof(h));
    c->tx_len = size;
    c->tx_off = 0;
    return c->tx + sizeof(NvpVfuHdr);
}

void
nvp_vfu_conn_reply_error(NvpVfuConn *c, const NvpVfuHdr *req, int err)
{
    NvpVfuHdr h = {
        .id = req->id,
        .command = req->command,
        .size = sizeof(NvpVfuHdr),
        .flags = NVP_VFU_FLAG_TYPE_REPLY | NVP_VFU_FLAG_ERROR,
        .error = (guint32)err,
    };

    memcpy(c->tx, &h, sizeof(h));
    c->tx_len = sizeof(h);
    c->tx_off = 0;
}

void
nvp_vfu_conn_reply_cancel(NvpVfuConn *c)
{
    c->tx_len = c->tx_off = 0;
}

gboolean
nvp_vfu_conn_flush(NvpVfuConn *c)
{
    while (c->tx_off < c->tx_len) {
        ssize_t n =
            send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return TRUE;
            return FALSE;
        }
        c->tx_off += (guint32)n;
    }
    c->tx_len = c->tx_off = 0;
    return TRUE;
}

gboolean
nvp_vfu_conn_output_pending(NvpVfuConn *c)
{
    return c->tx_off < c->tx_len;
}
