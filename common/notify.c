/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* systemd readiness notification (sd_notify protocol): one datagram to $NOTIFY_SOCKET.
 *
 * Hand-written rather than linking libsystemd: the protocol is one AF_UNIX datagram of
 * "KEY=VALUE" lines to the path (or '@'-prefixed abstract name) in $NOTIFY_SOCKET, documented as
 * stable in sd_notify(3) for exactly this purpose, and we need only READY/STOPPING/STATUS (no fd
 * passing). That is not worth a runtime dependency the build machines and packages must carry. */
#include "common/notify.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/cleanup.h"
#include "common/i18n.h"

G_DEFINE_QUARK(nvp-notify-error-quark, nvp_notify_error)

gboolean
nvp_notify(const char *state, GError **error)
{
    const char *path = g_getenv("NOTIFY_SOCKET");
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    socklen_t addrlen;
    gsize len;
    g_auto(NvpFd) fd = -1;

    g_return_val_if_fail(state != NULL, FALSE);

    if (!path || !*path)
        return TRUE;
    len = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) {
        g_set_error(error, NVP_NOTIFY_ERROR, NVP_NOTIFY_ERROR_ADDRESS,
                    _("NOTIFY_SOCKET '%s' is not an absolute path or abstract socket name."), path);
        return FALSE;
    }
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@')
        addr.sun_path[0] = '\0';
    addrlen = offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/' ? 1 : 0);

    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 ||
        sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addrlen) < 0) {
        int err = errno;

        g_set_error(error, NVP_NOTIFY_ERROR, NVP_NOTIFY_ERROR_SEND,
                    _("Cannot notify the service manager through %s: %s"), path, g_strerror(err));
        return FALSE;
    }
    return TRUE;
}
