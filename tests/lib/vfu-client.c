/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* In-tree vfio-user test client: blocking requests with an optional main-context pump. */
#include "tests/lib/vfu-client.h"

#include <errno.h>
#include <gio/gio.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* What QEMU 11.1's client proposes (hw/vfio-user/proxy.c caps_json()). */
#define QEMU_CAPS \
    "{\"capabilities\":{\"migration\":{\"pgsize\":4096,\"max_bitmap_size\":268435456}," \
    "\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,\"pgsizes\":4096," \
    "\"max_dma_maps\":65535,\"write_multiple\":true}}"

struct _NvpTestVfuClient {
    int fd;
    guint16 next_id;
    GMainContext *pump;
    guint timeout_ms;
    char *last_error;
    GByteArray *rx;
};

static void set_error(NvpTestVfuClient *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
set_error(NvpTestVfuClient *c, const char *fmt, ...)
{
    va_list ap;

    g_free(c->last_error);
    va_start(ap, fmt);
    c->last_error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

NvpTestVfuClient *
nvp_test_vfu_client_new(int fd)
{
    NvpTestVfuClient *c = g_new0(NvpTestVfuClient, 1);
    int fl = fcntl(fd, F_GETFL);

    (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    c->fd = fd;
    c->timeout_ms = 5000;
    c->next_id = 1;
    c->rx = g_byte_array_new();
    return c;
}

NvpTestVfuClient *
nvp_test_vfu_client_connect(const char *path, GError **error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "path too long");
        return NULL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;

        if (fd >= 0)
            close(fd);
        g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "connect %s: %s", path,
                    g_strerror(e));
        return NULL;
    }
    return nvp_test_vfu_client_new(fd);
}

void
nvp_test_vfu_client_free(NvpTestVfuClient *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    g_free(c->last_error);
    g_byte_array_unref(c->rx);
    g_free(c);
}

void
nvp_test_vfu_client_set_pump(NvpTestVfuClient *c, GMainContext *context)
{
    c->pump = context;
}

void
nvp_test_vfu_client_set_timeout(NvpTestVfuClient *c, guint ms)
{
    c->timeout_ms = ms;
}

int
nvp_test_vfu_client_get_fd(NvpTestVfuClient *c)
{
    return c->fd;
}

const char *
nvp_test_vfu_client_last_error(NvpTestVfuClient *c)
{
    return c->last_error ? c->last_error : "";
}

gboolean
nvp_test_vfu_client_send_raw(NvpTestVfuClient *c, const void *buf, gsize len, const int *fds,
                             guint n_fds)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 64)];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    gsize off = 0;

    g_return_val_if_fail(n_fds <= 64, FALSE);
    if (n_fds) {
        struct cmsghdr *cm;

        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
        cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
    }
    while (off < len) {
        ssize_t n;

        iov.iov_base = (guint8 *)buf + off;
        iov.iov_len = len - off;
        n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
        if (n < 0) {
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };

            if (errno == EINTR)
                continue;
            if (errno != EAGAIN) {
                set_error(c, "send: %s", g_strerror(errno));
                return FALSE;
            }
            if (c->pump)
                g_main_context_iteration(c->pump, FALSE);
            (void)poll(&p, 1, 10);
            continue;
        }
        off += (gsize)n;
        mh.msg_control = NULL; /* fds go with the first byte only */
        mh.msg_controllen = 0;
    }
    return TRUE;
}

/* Reads exactly len bytes (appended to c->rx) within the deadline. 0 ok, 1 EOF, -1 error. */
static int
read_exact(NvpTestVfuClient *c, gsize len, gint64 deadline)
{
    gsize got = 0;
    guint8 tmp[65536];

    while (got < len) {
        ssize_t n = recv(c->fd, tmp, MIN(len - got, sizeof(tmp)), MSG_DONTWAIT);

        if (n > 0) {
            g_byte_array_append(c->rx, tmp, (guint)n);
            got += (gsize)n;
            continue;
        }
        if (n == 0)
            return 1;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            set_error(c, "recv: %s", g_strerror(errno));
            return -1;
        }
        if (g_get_monotonic_time() > deadline) {
            set_error(c, "timeout waiting for the server");
            return -1;
        }
        if (c->pump) {
            struct pollfd p = { .fd = c->fd, .events = POLLIN };

            g_main_context_iteration(c->pump, FALSE);
            (void)poll(&p, 1, 1);
        } else {
            struct pollfd p = { .fd = c->fd, .events = POLLIN };

            (void)poll(&p, 1, 50);
        }
    }
    return 0;
}

gboolean
nvp_test_vfu_client_recv(NvpTestVfuClient *c, NvpVfuHdr *hdr, GBytes **payload)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)c->timeout_ms * 1000;
    int r;

    g_byte_array_set_size(c->rx, 0);
    r = read_exact(c, sizeof(*hdr), deadline);
    if (r != 0) {
        if (r == 1)
            set_error(c, "connection closed by the server");
        return FALSE;
    }
    memcpy(hdr, c->rx->data, sizeof(*hdr));
    if (hdr->size < sizeof(*hdr) || hdr->size > 64u * 1024 * 1024) {
        set_error(c, "bad reply size %u", hdr->size);
        return FALSE;
    }
    r = read_exact(c, hdr->size - sizeof(*hdr), deadline);
    if (r != 0) {
        if (r == 1)
            set_error(c, "connection closed inside a reply");
        return FALSE;
    }
    if (payload)
        *payload = g_bytes_new(c->rx->data + sizeof(*hdr), hdr->size - sizeof(*hdr));
    return TRUE;
}

gboolean
nvp_test_vfu_client_wait_closed(NvpTestVfuClient *c)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)c->timeout_ms * 1000;

    for (;;) {
        guint8 tmp[4096];
        ssize_t n = recv(c->fd, tmp, sizeof(tmp), MSG_DONTWAIT);

        if (n == 0)
            return TRUE;
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return errno == ECONNRESET;
        if (g_get_monotonic_time() > deadline)
            return FALSE;
        if (c->pump)
            g_main_context_iteration(c->pump, FALSE);
        g_usleep(1000);
    }
}

int
nvp_test_vfu_client_request(NvpTestVfuClient *c, guint16 cmd, guint32 flags, const void *payload,
                            gsize len, const int *fds, guint n_fds, GBytes **reply)
{
    g_autofree guint8 *buf = g_malloc(sizeof(NvpVfuHdr) + len);
    NvpVfuHdr h = {
        .id = c->next_id++,
        .command = cmd,
        .size = (guint32)(sizeof(NvpVfuHdr) + len),
        .flags = flags,
    };
    NvpVfuHdr rh;
    g_autoptr(GBytes) rp = NULL;

    memcpy(buf, &h, sizeof(h));
    if (len)
        memcpy(buf + sizeof(h), payload, len);
    if (!nvp_test_vfu_client_send_raw(c, buf, sizeof(h) + len, fds, n_fds))
        return -1;
    if (flags & NVP_VFU_FLAG_NO_REPLY)
        return 0;
    if (!nvp_test_vfu_client_recv(c, &rh, &rp))
        return -1;
    if (rh.id != h.id || rh.command != cmd ||
        (rh.flags & NVP_VFU_FLAG_TYPE_MASK) != NVP_VFU_FLAG_TYPE_REPLY) {
        set_error(c, "reply id %u command %u flags 0x%x does not match request id %u command %u",
                  rh.id, rh.command, rh.flags, h.id, cmd);
        return -1;
    }
    if (rh.flags & NVP_VFU_FLAG_ERROR) {
        if (rh.size != sizeof(rh)) {
            set_error(c, "error reply with a payload");
            return -1;
        }
        return rh.error ? (int)rh.error : EIO;
    }
    if (reply)
        *reply = g_steal_pointer(&rp);
    return 0;
}

int
nvp_test_vfu_client_negotiate(NvpTestVfuClient *c, const char *caps_json, char **server_caps)
{
    const char *json = caps_json ? caps_json : QEMU_CAPS;
    gsize jlen = strlen(json) + 1;
    g_autofree guint8 *p = g_malloc(4 + jlen);
    NvpVfuVersion v = { .major = NVP_VFU_MAJOR, .minor = NVP_VFU_MINOR };
    g_autoptr(GBytes) reply = NULL;
    const guint8 *r;
    gsize rlen;
    int rc;

    memcpy(p, &v, sizeof(v));
    memcpy(p + 4, json, jlen);
    rc = nvp_test_vfu_client_request(c, NVP_VFU_CMD_VERSION, 0, p, 4 + jlen, NULL, 0, &reply);
    if (rc)
        return rc;
    r = g_bytes_get_data(reply, &rlen);
    if (rlen < 4) {
        set_error(c, "short VERSION reply");
        return -1;
    }
    memcpy(&v, r, sizeof(v));
    if (v.major != NVP_VFU_MAJOR || v.minor > NVP_VFU_MINOR) {
        set_error(c, "server version %u.%u", v.major, v.minor);
        return -1;
    }
    if (rlen > 4 && r[rlen - 1] != '\0') {
        set_error(c, "VERSION reply capabilities not NUL-terminated");
        return -1;
    }
    if (server_caps)
        *server_caps = rlen > 4 ? g_strdup((const char *)r + 4) : g_strdup("");
    return 0;
}

int
nvp_test_vfu_client_dma_map(NvpTestVfuClient *c, guint64 iova, guint64 size, int fd, guint64 offset,
                            guint32 flags)
{
    NvpVfuDmaMap m = {
        .argsz = sizeof(m),
        .flags = flags,
        .offset = offset,
        .iova = iova,
        .size = size,
    };

    return nvp_test_vfu_client_request(c, NVP_VFU_CMD_DMA_MAP, 0, &m, sizeof(m),
                                       fd >= 0 ? &fd : NULL, fd >= 0 ? 1 : 0, NULL);
}

int
nvp_test_vfu_client_dma_unmap(NvpTestVfuClient *c, guint64 iova, guint64 size, guint32 flags)
{
    NvpVfuDmaUnmap m = { .argsz = sizeof(m), .flags = flags, .iova = iova, .size = size };

    return nvp_test_vfu_client_request(c, NVP_VFU_CMD_DMA_UNMAP, 0, &m, sizeof(m), NULL, 0, NULL);
}

/* Request with a fixed-size payload whose reply has the same layout. */
static int
request_struct(NvpTestVfuClient *c, guint16 cmd, void *inout, gsize len)
{
    g_autoptr(GBytes) reply = NULL;
    int rc = nvp_test_vfu_client_request(c, cmd, 0, inout, len, NULL, 0, &reply);

    if (rc)
        return rc;
    if (g_bytes_get_size(reply) < len) {
        set_error(c, "short reply to command %u", cmd);
        return -1;
    }
    memcpy(inout, g_bytes_get_data(reply, NULL), len);
    return 0;
}

int
nvp_test_vfu_client_get_device_info(NvpTestVfuClient *c, struct vfio_device_info *out)
{
    NvpVfuDeviceInfo i = { .argsz = sizeof(i) };
    int rc = request_struct(c, NVP_VFU_CMD_DEVICE_GET_INFO, &i, sizeof(i));

    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->argsz = i.argsz;
    out->flags = i.flags;
    out->num_regions = i.num_regions;
    out->num_irqs = i.num_irqs;
    return 0;
}

int
nvp_test_vfu_client_get_region_info(NvpTestVfuClient *c, guint index, struct vfio_region_info *out)
{
    NvpVfuRegionInfo i = { .argsz = sizeof(i), .index = index };
    int rc = request_struct(c, NVP_VFU_CMD_DEVICE_GET_REGION_INFO, &i, sizeof(i));

    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    out->argsz = i.argsz;
    out->flags = i.flags;
    out->index = i.index;
    out->cap_offset = i.cap_offset;
    out->size = i.size;
    out->offset = i.offset;
    return 0;
}

int
nvp_test_vfu_client_get_irq_info(NvpTestVfuClient *c, guint index, struct vfio_irq_info *out)
{
    NvpVfuIrqInfo i = { .argsz = sizeof(i), .index = index };
    int rc = request_struct(c, NVP_VFU_CMD_DEVICE_GET_IRQ_INFO, &i, sizeof(i));

    if (rc)
        return rc;
    out->argsz = i.argsz;
    out->flags = i.flags;
    out->index = i.index;
    out->count = i.count;
    return 0;
}

int
nvp_test_vfu_client_set_irqs(NvpTestVfuClient *c, guint32 flags, guint index, guint start,
                             guint count, const int *fds, guint n_fds, const guint8 *bools)
{
    gsize extra = (flags & VFIO_IRQ_SET_DATA_BOOL) && bools ? count : 0;
    g_autofree guint8 *p = g_malloc0(sizeof(NvpVfuIrqSet) + extra);
    NvpVfuIrqSet s = {
        .argsz = (guint32)(sizeof(s) + extra),
        .flags = flags,
        .index = index,
        .start = start,
        .count = count,
    };

    memcpy(p, &s, sizeof(s));
    if (extra)
        memcpy(p + sizeof(s), bools, extra);
    return nvp_test_vfu_client_request(c, NVP_VFU_CMD_DEVICE_SET_IRQS, 0, p, sizeof(s) + extra, fds,
                                       n_fds, NULL);
}

int
nvp_test_vfu_client_region_read(NvpTestVfuClient *c, guint region, guint64 offset, void *buf,
                                guint32 count)
{
    NvpVfuRegionRw rw = { .offset = offset, .region = region, .count = count };
    g_autoptr(GBytes) reply = NULL;
    const guint8 *r;
    gsize rlen;
    int rc;

    rc = nvp_test_vfu_client_request(c, NVP_VFU_CMD_REGION_READ, 0, &rw, sizeof(rw), NULL, 0,
                                     &reply);
    if (rc)
        return rc;
    r = g_bytes_get_data(reply, &rlen);
    if (rlen != sizeof(rw) + count) {
        set_error(c, "REGION_READ reply of %zu bytes for %u", rlen, count);
        return -1;
    }
    memcpy(&rw, r, sizeof(rw));
    if (rw.count != count || rw.offset != offset || rw.region != region) {
        set_error(c, "REGION_READ reply does not echo the request");
        return -1;
    }
    memcpy(buf, r + sizeof(rw), count);
    return 0;
}

int
nvp_test_vfu_client_region_write(NvpTestVfuClient *c, guint region, guint64 offset, const void *buf,
                                 guint32 count, gboolean posted)
{
    g_autofree guint8 *p = g_malloc(sizeof(NvpVfuRegionRw) + count);
    NvpVfuRegionRw rw = { .offset = offset, .region = region, .count = count };

    memcpy(p, &rw, sizeof(rw));
    memcpy(p + sizeof(rw), buf, count);
    return nvp_test_vfu_client_request(c, NVP_VFU_CMD_REGION_WRITE,
                                       posted ? NVP_VFU_FLAG_NO_REPLY : 0, p, sizeof(rw) + count,
                                       NULL, 0, NULL);
}

int
nvp_test_vfu_client_reset(NvpTestVfuClient *c)
{
    return nvp_test_vfu_client_request(c, NVP_VFU_CMD_DEVICE_RESET, 0, NULL, 0, NULL, 0, NULL);
}

int
nvp_test_memfd_new(gsize size, void **map)
{
    int fd = memfd_create("nvp-test-guest-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    if (fd < 0)
        return -1;
    if (ftruncate(fd, (off_t)size) < 0) {
        close(fd);
        return -1;
    }
    if (map) {
        *map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (*map == MAP_FAILED) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

guint
nvp_test_count_fds(void)
{
    g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
    guint n = 0;

    if (!d)
        return 0;
    while (g_dir_read_name(d))
        n++;
    return n;
}
