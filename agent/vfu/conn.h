/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One vfio-user stream connection: non-blocking message framing with SCM_RIGHTS fd accounting,
 * a reused receive buffer and a reused reply buffer (internal to agent/vfu). */
#pragma once

#include <glib.h>

#include "agent/vfu/proto.h"

typedef struct {
    NvpVfuHdr hdr;
    guint8 *payload; /* hdr.size - 16 bytes, in the connection's receive buffer */
    guint32 payload_len;
    int fds[NVP_VFU_MAX_FDS]; /* received fds; a handler that keeps one sets its slot to -1 */
    guint n_fds;
    gboolean fds_truncated; /* more fds than NVP_VFU_MAX_FDS came (the extra were closed) */
    gboolean oversized;     /* hdr.size exceeded the limit: payload was discarded, len 0 */
} NvpVfuMsg;

typedef enum {
    NVP_VFU_RECV_MESSAGE, /* *msg is complete */
    NVP_VFU_RECV_AGAIN,   /* would block */
    NVP_VFU_RECV_CLOSED,  /* peer closed (between messages) */
    NVP_VFU_RECV_FATAL,   /* stream unusable: I/O error, EOF inside a message, hdr.size < 16 */
} NvpVfuRecvResult;

typedef struct _NvpVfuConn NvpVfuConn;

/* Takes fd (made non-blocking). max_msg_size: largest message kept whole. */
NvpVfuConn *nvp_vfu_conn_new(int fd, guint32 max_msg_size);
void nvp_vfu_conn_free(NvpVfuConn *c); /* closes the socket and any fd not handed out; NULL ok */
int nvp_vfu_conn_get_fd(NvpVfuConn *c);

/* Reads until one message is complete. The message stays valid until nvp_vfu_conn_msg_done(),
 * which must be called before the next recv; on FATAL, *msg may hold the partial header
 * (hdr.size < 16) for an error reply. */
NvpVfuRecvResult nvp_vfu_conn_recv(NvpVfuConn *c, NvpVfuMsg **msg);
/* Closes every fd of the current message that was not taken. */
void nvp_vfu_conn_msg_done(NvpVfuConn *c);

/* Starts a reply to req with payload_len bytes of payload (returned, zeroed header fields set,
 * payload uninitialised). Only when no output is pending. */
guint8 *nvp_vfu_conn_reply_begin(NvpVfuConn *c, const NvpVfuHdr *req, guint32 payload_len);
/* Turns the reply being built into a header-only error reply. */
void nvp_vfu_conn_reply_error(NvpVfuConn *c, const NvpVfuHdr *req, int err);
/* Drops the reply being built (NO_REPLY). */
void nvp_vfu_conn_reply_cancel(NvpVfuConn *c);
/* Sends what is buffered; FALSE if the connection failed. Leftovers stay pending (EAGAIN). */
gboolean nvp_vfu_conn_flush(NvpVfuConn *c);
gboolean nvp_vfu_conn_output_pending(NvpVfuConn *c);
