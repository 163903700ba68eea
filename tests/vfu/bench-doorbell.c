/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Doorbell path cost of agent/vfu: posted REGION_WRITEs (QEMU's doorbell writes) and
 * non-posted round trips through a socketpair, the server on its own thread and main context.
 * Prints figures (TAP comments), asserts nothing about speed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/vfu/server.h"
#include "tests/lib/vfu-client.h"

typedef struct {
    GMainContext *ctx;
    GMainLoop *loop;
    NvpVfuServer *server;
    int fd;
    volatile guint32 last;
    GMutex lock;
    GCond ready;
    gboolean up;
} Srv;

static int
access_cb(gpointer dev, guint region, guint64 offset, void *buf, guint32 len, gboolean is_write)
{
    Srv *s = dev;

    if (is_write)
        memcpy((void *)&s->last, buf, 4);
    else
        memcpy(buf, (void *)&s->last, 4);
    return 0;
}

static const NvpVfuDeviceOps ops = { .region_access = access_cb };

static gpointer
server_thread(gpointer data)
{
    Srv *s = data;
    NvpVfuServerConfig cfg = { .n_regions = 1, .context = s->ctx };

    g_main_context_push_thread_default(s->ctx);
    cfg.regions[0] =
        (NvpVfuRegionConfig){ 0x4000, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE };
    s->server = nvp_vfu_server_new(&cfg, &ops, s, NULL);
    g_assert_true(nvp_vfu_server_attach_client(s->server, s->fd, NULL));
    g_mutex_lock(&s->lock);
    s->up = TRUE;
    g_cond_signal(&s->ready);
    g_mutex_unlock(&s->lock);
    g_main_loop_run(s->loop);
    nvp_vfu_server_free(s->server);
    g_main_context_pop_thread_default(s->ctx);
    return NULL;
}

static gboolean
quit_cb(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

int
main(int argc, char **argv)
{
    Srv s = { 0 };
    int sv[2];
    GThread *t;
    NvpTestVfuClient *c;
    const guint n = 200000;
    gint64 t0, t1;
    guint32 v = 0;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    s.ctx = g_main_context_new();
    s.loop = g_main_loop_new(s.ctx, FALSE);
    s.fd = sv[0];
    g_mutex_init(&s.lock);
    g_cond_init(&s.ready);
    t = g_thread_new("vfu-server", server_thread, &s);
    g_mutex_lock(&s.lock);
    while (!s.up)
        g_cond_wait(&s.ready, &s.lock);
    g_mutex_unlock(&s.lock);

    c = nvp_test_vfu_client_new(sv[1]);
    g_assert_cmpint(nvp_test_vfu_client_negotiate(c, NULL, NULL), ==, 0);

    printf("1..2\n");
    t0 = g_get_monotonic_time();
    for (guint32 i = 1; i <= n; i++)
        nvp_test_vfu_client_region_write(c, 0, 0x1000, &i, 4, TRUE);
    nvp_test_vfu_client_region_read(c, 0, 0x1000, &v, 4); /* drains the posted writes */
    t1 = g_get_monotonic_time();
    printf("# posted doorbell writes: %u in %.3f s = %.0f msg/s (%.2f us each), last=%u\n", n,
           (t1 - t0) / 1e6, n / ((t1 - t0) / 1e6), (double)(t1 - t0) / n, v);
    printf("%s 1 - posted writes all arrived in order\n", v == n ? "ok" : "not ok");

    t0 = g_get_monotonic_time();
    for (guint32 i = 0; i < n / 10; i++)
        nvp_test_vfu_client_region_write(c, 0, 0x1000, &i, 4, FALSE);
    t1 = g_get_monotonic_time();
    printf("# non-posted writes (round trip): %u in %.3f s = %.1f us each\n", n / 10,
           (t1 - t0) / 1e6, (double)(t1 - t0) / (n / 10));
    printf("ok 2 - round trips completed\n");

    nvp_test_vfu_client_free(c);
    g_main_context_invoke(s.ctx, quit_cb, s.loop);
    g_thread_join(t);
    g_main_loop_unref(s.loop);
    g_main_context_unref(s.ctx);
    return 0;
}
