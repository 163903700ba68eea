/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MSI-X vector sharing: the agent-owned eventfd of one shared hardware vector and the
 * demultiplexer that forwards each wake-up to the guest CQs that received new entries. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib-unix.h>
#include <sys/eventfd.h>

#include "agent/vctrl/irqshare.h"
#include "agent/vctrl/vctrl.h"
#include "common/i18n.h"

struct _NvpIrqShare {
    guint hw_vector;
    int fd;
    GSource *source;
    GPtrArray *cqs; /* NvpIrqShareCq*, not owned */
    guint64 n_wakeups;
};

/* Moves (idx, phase) n < size entries on, flipping the phase on wrap-around. */
static void
cq_advance(guint32 *idx, guint8 *phase, guint32 size, guint32 n)
{
    *idx += n;
    if (*idx >= size) {
        *idx -= size;
        *phase ^= 1;
    }
}

/* Entries from head to seen: consumed by nobody yet or by the guest without a doorbell yet. */
static guint32
cq_announced(const NvpIrqShareCq *cq)
{
    return cq->seen_phase == cq->head_phase ? cq->seen - cq->head : cq->seen + cq->size - cq->head;
}

void
nvp_irq_share_cq_init(NvpIrqShareCq *cq, const NvpNvmeCqe *ring, guint32 size, int guest_fd)
{
    memset(cq, 0, sizeof(*cq));
    cq->ring = ring;
    cq->size = size;
    cq->guest_fd = guest_fd;
    cq->head_phase = 1;
    cq->seen_phase = 1;
}

void
nvp_irq_share_cq_set_head(NvpIrqShareCq *cq, guint32 head)
{
    guint32 consumed;

    if (head >= cq->size)
        return;
    consumed = head >= cq->head ? head - cq->head : head + cq->size - cq->head;
    /* the guest took entries we never announced (found them handling an earlier interrupt):
     * announcing starts again at its head */
    if (consumed > cq_announced(cq)) {
        cq->seen = cq->head;
        cq->seen_phase = cq->head_phase;
        cq_advance(&cq->seen, &cq->seen_phase, cq->size, consumed);
    }
    cq_advance(&cq->head, &cq->head_phase, cq->size, consumed);
}

/* TRUE if cq has entries past seen; seen moves past them. The SSD never fills more than size - 1
 * entries past the guest's head, so the scan stops there whatever the ring holds. */
static gboolean
cq_collect(NvpIrqShareCq *cq)
{
    guint32 n = 0;

    if (!cq->ring || cq->size < 2 || cq->guest_fd < 0)
        return FALSE; /* no vector set up by the guest (or masked away): the entries wait */
    while (cq_announced(cq) < cq->size - 1) {
        guint16 status = __atomic_load_n(&cq->ring[cq->seen].status, __ATOMIC_ACQUIRE);

        if ((GUINT16_FROM_LE(status) & 1) != cq->seen_phase)
            break;
        cq_advance(&cq->seen, &cq->seen_phase, cq->size, 1);
        n++;
    }
    return n > 0;
}

guint
nvp_irq_share_scan(NvpIrqShare *s)
{
    static const guint64 one = 1;
    guint n = 0;

    for (guint i = 0; i < s->cqs->len; i++) {
        NvpIrqShareCq *cq = g_ptr_array_index(s->cqs, i);

        if (!cq_collect(cq))
            continue;
        /* EAGAIN (counter at its maximum) still means an interrupt is pending */
        if (write(cq->guest_fd, &one, sizeof(one)) == sizeof(one) || errno == EAGAIN) {
            cq->n_signalled++;
            n++;
        }
    }
    return n;
}

guint
nvp_irq_share_dispatch(NvpIrqShare *s)
{
    guint64 count;

    /* drain before scanning: an entry written after the scan wakes us again */
    if (read(s->fd, &count, sizeof(count)) == sizeof(count))
        s->n_wakeups++;
    return nvp_irq_share_scan(s);
}

static gboolean
share_ready(gint fd, GIOCondition cond, gpointer data)
{
    nvp_irq_share_dispatch(data);
    return G_SOURCE_CONTINUE;
}

NvpIrqShare *
nvp_irq_share_new(guint hw_vector, GMainContext *context, GError **error)
{
    NvpIrqShare *s;
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    if (fd < 0) {
        int err = errno;

        g_set_error(error, NVP_VCTRL_ERROR, NVP_VCTRL_ERROR_FAILED,
                    _("Cannot create an eventfd to share hardware vector %1$u: %2$s"), hw_vector,
                    g_strerror(err));
        return NULL;
    }
    s = g_new0(NvpIrqShare, 1);
    s->hw_vector = hw_vector;
    s->fd = fd;
    s->cqs = g_ptr_array_new();
    s->source = g_unix_fd_source_new(fd, G_IO_IN);
    g_source_set_callback(s->source, G_SOURCE_FUNC(share_ready), s, NULL);
    g_source_attach(s->source, context ? context : g_main_context_get_thread_default());
    return s;
}

void
nvp_irq_share_free(NvpIrqShare *s)
{
    if (!s)
        return;
    for (guint i = 0; i < s->cqs->len; i++)
        ((NvpIrqShareCq *)g_ptr_array_index(s->cqs, i))->attached = FALSE;
    if (s->source) {
        g_source_destroy(s->source);
        g_source_unref(s->source);
    }
    close(s->fd);
    g_ptr_array_unref(s->cqs);
    g_free(s);
}

int
nvp_irq_share_get_fd(NvpIrqShare *s)
{
    return s->fd;
}

guint
nvp_irq_share_get_hw_vector(NvpIrqShare *s)
{
    return s->hw_vector;
}

guint
nvp_irq_share_get_n_cqs(NvpIrqShare *s)
{
    return s->cqs->len;
}

guint64
nvp_irq_share_get_wakeups(NvpIrqShare *s)
{
    return s->n_wakeups;
}

void
nvp_irq_share_attach(NvpIrqShare *s, NvpIrqShareCq *cq)
{
    g_return_if_fail(!cq->attached);
    cq->attached = TRUE;
    g_ptr_array_add(s->cqs, cq);
}

void
nvp_irq_share_detach(NvpIrqShare *s, NvpIrqShareCq *cq)
{
    if (g_ptr_array_remove_fast(s->cqs, cq))
        cq->attached = FALSE;
}
