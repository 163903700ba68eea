/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The admin queue pair: submit, wait for a CID with a timeout, skip stale completions.
 * Waiting sleeps on vector 0's eventfd (the agent stays idle while the controller works) and
 * re-checks the CQ every few milliseconds, so a lost or masked interrupt costs latency, not a
 * false timeout. */
#include "agent/hw/admin.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "agent/hw/error.h"
#include "common/i18n.h"

#define RECHECK_MS 5

struct _NvpHwAdmin {
    NvpHwSq sq;
    NvpHwCq cq;
    int eventfd;
    guint16 next_cid;
    char *pci_addr;
};

NvpHwAdmin *
nvp_hw_admin_new(void *sq_ring, void *cq_ring, guint32 entries, volatile guint32 *sq_doorbell,
                 volatile guint32 *cq_doorbell, int eventfd, const char *pci_addr)
{
    NvpHwAdmin *admin = g_new0(NvpHwAdmin, 1);

    nvp_hw_sq_init(&admin->sq, 0, sq_ring, entries, sq_doorbell);
    nvp_hw_cq_init(&admin->cq, 0, cq_ring, entries, cq_doorbell);
    admin->eventfd = eventfd;
    admin->pci_addr = g_strdup(pci_addr);
    admin->next_cid = 1;
    return admin;
}

void
nvp_hw_admin_free(NvpHwAdmin *admin)
{
    if (!admin)
        return;
    g_free(admin->pci_addr);
    g_free(admin);
}

void
nvp_hw_admin_reset(NvpHwAdmin *admin)
{
    memset(admin->sq.ring, 0, (gsize)admin->sq.size * sizeof(NvpNvmeSqe));
    memset(admin->cq.ring, 0, (gsize)admin->cq.size * sizeof(NvpNvmeCqe));
    nvp_hw_sq_init(&admin->sq, 0, admin->sq.ring, admin->sq.size, admin->sq.doorbell);
    nvp_hw_cq_init(&admin->cq, 0, admin->cq.ring, admin->cq.size, admin->cq.doorbell);
}

gboolean
nvp_hw_admin_submit(NvpHwAdmin *admin, const NvpNvmeSqe *cmd, guint16 *cid, GError **error)
{
    NvpNvmeSqe *slot = nvp_hw_sq_slot(&admin->sq);

    if (!slot) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_NO_SPACE,
                    _("%s: the admin submission queue is full."), admin->pci_addr);
        return FALSE;
    }
    *slot = *cmd;
    slot->cid = GUINT16_TO_LE(admin->next_cid);
    *cid = admin->next_cid;
    /* CID 0xffff is reserved by the spec for "no command". */
    admin->next_cid = admin->next_cid >= 0xfffe ? 1 : admin->next_cid + 1;
    nvp_hw_sq_advance(&admin->sq);
    nvp_hw_sq_ring(&admin->sq);
    return TRUE;
}

gboolean
nvp_hw_admin_wait(NvpHwAdmin *admin, guint16 cid, guint timeout_ms, NvpNvmeCqe *out, GError **error)
{
    return nvp_hw_admin_wait_any(admin, cid, cid, timeout_ms, out, error);
}

gboolean
nvp_hw_admin_wait_any(NvpHwAdmin *admin, guint16 cid, guint16 cid_b, guint timeout_ms,
                      NvpNvmeCqe *out, GError **error)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        const NvpNvmeCqe *cqe;
        gboolean found = FALSE;
        guint consumed = 0;
        gint64 now;

        while ((cqe = nvp_hw_cq_peek(&admin->cq))) {
            NvpNvmeCqe copy = *cqe;

            nvp_hw_sq_set_head(&admin->sq, GUINT16_FROM_LE(copy.sqhd));
            nvp_hw_cq_advance(&admin->cq);
            consumed++;
            if (GUINT16_FROM_LE(copy.cid) == cid || GUINT16_FROM_LE(copy.cid) == cid_b) {
                *out = copy;
                found = TRUE;
                break;
            }
            g_debug("%s: dropping stale admin completion for CID %u", admin->pci_addr,
                    GUINT16_FROM_LE(copy.cid));
        }
        if (consumed)
            nvp_hw_cq_ring(&admin->cq);
        if (found)
            return TRUE;

        now = g_get_monotonic_time();
        if (now >= deadline) {
            g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_TIMEOUT,
                        _("%s: admin command %u did not complete within %u ms."), admin->pci_addr,
                        cid, timeout_ms);
            return FALSE;
        }
        if (admin->eventfd >= 0) {
            struct pollfd pfd = { .fd = admin->eventfd, .events = POLLIN };
            int wait_ms = (int)MIN((deadline - now + 999) / 1000, RECHECK_MS);

            if (poll(&pfd, 1, wait_ms) > 0) {
                guint64 v;
                if (read(admin->eventfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
                    g_debug("%s: admin eventfd read: %s", admin->pci_addr, g_strerror(errno));
            }
        } else {
            g_usleep(100);
        }
    }
}
