/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a whole slice (agent/vctrl/vctrl.c with its vfio-user server, PCI function,
 * register file, admin emulation and strict/trusted I/O queues) driven over its UNIX socket by a
 * hostile client, on top of tests/fuzz/fakectrl.c instead of agent/hw. The fake SSD fetches every
 * command the agent rings and checks it (LBAs in the extent, DMA only into the guest's RAM in its
 * window, never the agent's buffers), and the fake IOMMU checks the teardown rule (nothing a live
 * queue can reach is unmapped or freed). The software half of the hostile-guest suite. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <libnvme.h>

#include "agent/vctrl/vctrl.h"
#include "tests/fuzz/fakectrl.h"
#include "tests/fuzz/fuzz-common.h"

#define MEMFD_SIZE 0x10000u

/* vctrl maps guest RAM into the IOMMU on a worker thread (QEMU must not wait for pinning). For
 * deterministic inputs the harness runs those jobs at once, in order, on the pushing thread: this
 * definition takes precedence over GLib's for the code linked into this program. */
gboolean g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error);

gboolean
g_thread_pool_push(GThreadPool *pool, gpointer data, GError **error)
{
    pool->func(data, pool->user_data);
    return TRUE;
}

static char *sock_dir;

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
        gboolean busy = g_main_context_iteration(NULL, FALSE);
        ssize_t n = cfd >= 0 ? recv(cfd, sink, sizeof(sink), MSG_DONTWAIT) : -1;

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
 * Input: [u8 mode: bit 0 trusted][u16 LE image length][image: initial content of every memfd
 * handed over] then the records of fuzz-vfu.c ([u8 ctl][u16 LE len][stream]).
 */
int LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
    FakeSlice fs = { .strict = TRUE, .nsid = 1, .lba_start = 1000, .lba_count = 100000 };
    NvpVctrlConfig cfg = { 0 };
    g_autofree char *path = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const guint8 *p = data;
    const guint8 *end = data + size;
    const guint8 *img;
    gsize img_len;
    guint fds_before;
    NvpHwCtrl *hw;
    NvpVctrl *v;
    int cfd;

    if (!sock_dir) {
        sock_dir = g_dir_make_tmp("nvp-fuzz-slice-XXXXXX", NULL);
        FUZZ_CHECK(sock_dir);
        fuzz_quiet_logs();
        /* the default main context's wakeup fd lives for the whole process */
        (void)g_main_context_iteration(NULL, FALSE);
    }
    if (size < 3)
        return 0;
    fs.strict = !(p[0] & 1);
    if (!fs.strict)
        fs.lba_start = 0; /* trusted slices start at LBA 0 (the guest's LBAs are physical) */
    img_len = MIN((gsize)(p[1] | (p[2] << 8)), size - 3);
    img = p + 3;
    p += 3 + img_len;

    fds_before = count_fds();
    hw = fake_ctrl_new(&fs);
    path = g_build_filename(sock_dir, "slice.sock", NULL);
    cfg = (NvpVctrlConfig){ .name = "fuzz",
                            .nsid = 1,
                            .lba_start = fs.lba_start,
                            .lba_count = fs.lba_count,
                            .n_qpairs = 2,
                            .max_queue_entries = 64,
                            .mode = fs.strict ? NVP_VCTRL_MODE_STRICT : NVP_VCTRL_MODE_TRUSTED,
                            .socket_path = path,
                            .serial = "FUZZSLICE",
                            .window_size = 1ull << 30 };
    v = nvp_vctrl_new(hw, &cfg, NULL);
    FUZZ_CHECK(v);

    cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(cfd >= 0);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    FUZZ_CHECK(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    pump(cfd); /* accept */

    while (end - p >= 3) {
        guint ctl = p[0];
        gsize len = MIN((gsize)(p[1] | (p[2] << 8)), (gsize)(end - p - 3));
        guint n_fds = ctl & 3;
        int fds[3] = { -1, -1, -1 };
        gboolean shrink[3] = { FALSE, FALSE, FALSE };
        union {
            char buf[CMSG_SPACE(sizeof(int) * 3)];
            struct cmsghdr align;
        } cbuf;
        struct iovec iov = { .iov_base = (void *)(p + 3), .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

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
            (void)sendmsg(cfd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        p += 3 + len;
        if (!(ctl & 0x80) || end - p < 3) {
            pump(cfd);
            fake_ctrl_run_ssd(hw); /* the SSD fetches whatever the agent rang */
        }
        for (guint i = 0; i < n_fds; i++) {
            if (shrink[i])
                (void)ftruncate(fds[i], 0);
            close(fds[i]);
        }
        if (ctl & 0x40)
            shutdown(cfd, SHUT_WR);
    }

    if (fuzz_trace()) {
        g_autoptr(GString) st = g_string_new(NULL);

        nvp_vctrl_dump_stats(v, st);
        fprintf(stderr, "%sSSD fetched %" G_GUINT64_FORMAT " commands\n", st->str,
                fake_ctrl_n_fetched(hw));
    }
    close(cfd);
    pump(-1);
    fake_ctrl_run_ssd(hw);
    nvp_vctrl_free(v);
    fake_ctrl_free(hw);
    while (g_main_context_iteration(NULL, FALSE))
        ;
    if (count_fds() != fds_before && fuzz_trace()) {
        g_autofree char *ls = NULL;

        g_spawn_command_line_sync("ls -l /proc/self/fd", &ls, NULL, NULL, NULL);
        fprintf(stderr, "fds before %u after %u\n%s", fds_before, count_fds(), ls);
    }
    FUZZ_CHECK(count_fds() == fds_before);
    return 0;
}
