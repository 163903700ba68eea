/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* In-tree vfio-user TEST CLIENT ("guest driver" for tests): connect, negotiate, DMA_MAP memfd
 * regions, region read/write, SET_IRQS with eventfds, and raw/malformed message helpers.
 * Request helpers return 0, the errno of an error reply (> 0), or -1 if the transport failed
 * (connection closed, timeout, malformed reply; see nvp_test_vfu_client_last_error()). */
#pragma once

#include <glib.h>
#include <linux/vfio.h>

#include "agent/vfu/proto.h"

typedef struct _NvpTestVfuClient NvpTestVfuClient;

/* Takes a connected stream socket. */
NvpTestVfuClient *nvp_test_vfu_client_new(int fd);
NvpTestVfuClient *nvp_test_vfu_client_connect(const char *path, GError **error);
void nvp_test_vfu_client_free(NvpTestVfuClient *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpTestVfuClient, nvp_test_vfu_client_free)

/* While waiting for a reply, iterate this context (server in the same thread). */
void nvp_test_vfu_client_set_pump(NvpTestVfuClient *c, GMainContext *context);
void nvp_test_vfu_client_set_timeout(NvpTestVfuClient *c, guint ms); /* default 5000 */
int nvp_test_vfu_client_get_fd(NvpTestVfuClient *c);
const char *nvp_test_vfu_client_last_error(NvpTestVfuClient *c);

/* Raw I/O. send: bytes + fds in one sendmsg. */
gboolean nvp_test_vfu_client_send_raw(NvpTestVfuClient *c, const void *buf, gsize len,
                                      const int *fds, guint n_fds);
/* Receives one whole message: header into *hdr, payload (may be NULL) into a new GBytes. */
gboolean nvp_test_vfu_client_recv(NvpTestVfuClient *c, NvpVfuHdr *hdr, GBytes **payload);
/* TRUE if the server closed the connection (EOF) within the timeout. */
gboolean nvp_test_vfu_client_wait_closed(NvpTestVfuClient *c);
/* Sends a request (id assigned, size computed from payload) and, unless flags has NO_REPLY,
 * waits for its reply. Returns 0/errno/-1; the reply payload in *reply if non-NULL. */
int nvp_test_vfu_client_request(NvpTestVfuClient *c, guint16 cmd, guint32 flags,
                                const void *payload, gsize len, const int *fds, guint n_fds,
                                GBytes **reply);

/* Protocol helpers. caps_json NULL: what QEMU 11.1 sends. *server_caps gets the reply JSON. */
int nvp_test_vfu_client_negotiate(NvpTestVfuClient *c, const char *caps_json, char **server_caps);
int nvp_test_vfu_client_dma_map(NvpTestVfuClient *c, guint64 iova, guint64 size, int fd,
                                guint64 offset, guint32 flags);
int nvp_test_vfu_client_dma_unmap(NvpTestVfuClient *c, guint64 iova, guint64 size, guint32 flags);
int nvp_test_vfu_client_get_device_info(NvpTestVfuClient *c, struct vfio_device_info *out);
int nvp_test_vfu_client_get_region_info(NvpTestVfuClient *c, guint index,
                                        struct vfio_region_info *out);
int nvp_test_vfu_client_get_irq_info(NvpTestVfuClient *c, guint index, struct vfio_irq_info *out);
/* fds: n_fds eventfds (DATA_EVENTFD) or bools: count bytes (DATA_BOOL), per flags. */
int nvp_test_vfu_client_set_irqs(NvpTestVfuClient *c, guint32 flags, guint index, guint start,
                                 guint count, const int *fds, guint n_fds, const guint8 *bools);
int nvp_test_vfu_client_region_read(NvpTestVfuClient *c, guint region, guint64 offset, void *buf,
                                    guint32 count);
/* posted: NO_REPLY (returns 0 once sent). */
int nvp_test_vfu_client_region_write(NvpTestVfuClient *c, guint region, guint64 offset,
                                     const void *buf, guint32 count, gboolean posted);
int nvp_test_vfu_client_reset(NvpTestVfuClient *c);

/* Helpers for tests. */
int nvp_test_memfd_new(gsize size, void **map); /* memfd of size bytes, mapped shared */
guint nvp_test_count_fds(void);                 /* entries in /proc/self/fd */
