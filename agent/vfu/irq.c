/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interrupt state of one vfio-user device: eventfds, mask and pending bits per vector. */
#include "agent/vfu/irq.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent/vfu/proto.h"

typedef struct {
    guint count;
    int *fds;
    guint8 *masked;
    guint8 *pending;
} IrqType;

struct _NvpVfuIrqs {
    guint n_types;
    IrqType types[NVP_VFU_MAX_IRQ_TYPES];
};

NvpVfuIrqs *
nvp_vfu_irqs_new(guint n_types, const guint *counts)
{
    NvpVfuIrqs *irqs = g_new0(NvpVfuIrqs, 1);

    irqs->n_types = MIN(n_types, NVP_VFU_MAX_IRQ_TYPES);
    for (guint t = 0; t < irqs->n_types; t++) {
        IrqType *it = &irqs->types[t];

        it->count = counts[t];
        it->fds = g_new(int, MAX(it->count, 1));
        for (guint i = 0; i < it->count; i++)
            it->fds[i] = -1;
        it->masked = g_new0(guint8, MAX(it->count, 1));
        it->pending = g_new0(guint8, MAX(it->count, 1));
    }
    return irqs;
}

void
nvp_vfu_irqs_free(NvpVfuIrqs *irqs)
{
    if (!irqs)
        return;
    for (guint t = 0; t < irqs->n_types; t++) {
        IrqType *it = &irqs->types[t];

        for (guint i = 0; i < it->count; i++) {
            if (it->fds[i] >= 0)
                close(it->fds[i]);
        }
        g_free(it->fds);
        g_free(it->masked);
        g_free(it->pending);
    }
    g_free(irqs);
}

guint
nvp_vfu_irqs_n_types(NvpVfuIrqs *irqs)
{
    return irqs->n_types;
}

guint
nvp_vfu_irqs_count(NvpVfuIrqs *irqs, guint type)
{
    return type < irqs->n_types ? irqs->types[type].count : 0;
}

void
nvp_vfu_irqs_set_fds(NvpVfuIrqs *irqs, guint type, guint start, guint n, const int *fds,
                     GArray *old_fds)
{
    IrqType *it = &irqs->types[type];

    g_return_if_fail(type < irqs->n_types && start <= it->count && n <= it->count - start);
    for (guint i = 0; i < n; i++) {
        int old = it->fds[start + i];

        if (old >= 0)
            g_array_append_val(old_fds, old);
        it->fds[start + i] = fds ? fds[i] : -1;
    }
}

gboolean
nvp_vfu_irqs_clear_type(NvpVfuIrqs *irqs, guint type, GArray *old_fds)
{
    IrqType *it;
    gboolean any = FALSE;

    if (type >= irqs->n_types)
        return FALSE;
    it = &irqs->types[type];
    for (guint i = 0; i < it->count; i++) {
        if (it->fds[i] >= 0) {
            g_array_append_val(old_fds, it->fds[i]);
            it->fds[i] = -1;
            any = TRUE;
        }
    }
    return any;
}

int
nvp_vfu_irqs_fd(NvpVfuIrqs *irqs, guint type, guint vector)
{
    if (type >= irqs->n_types || vector >= irqs->types[type].count)
        return -1;
    return irqs->types[type].fds[vector];
}

static void
signal_fd(int fd)
{
    guint64 one = 1;
    ssize_t n;

    do {
        n = write(fd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    /* EAGAIN: the counter is saturated, the interrupt is pending anyway. */
}

void
nvp_vfu_irqs_trigger(NvpVfuIrqs *irqs, guint type, guint vector)
{
    IrqType *it;

    if (type >= irqs->n_types || vector >= irqs->types[type].count)
        return;
    it = &irqs->types[type];
    if (it->masked[vector]) {
        it->pending[vector] = 1;
        return;
    }
    if (it->fds[vector] >= 0)
        signal_fd(it->fds[vector]);
}

void
nvp_vfu_irqs_set_masked(NvpVfuIrqs *irqs, guint type, guint vector, gboolean masked)
{
    IrqType *it;

    if (type >= irqs->n_types || vector >= irqs->types[type].count)
        return;
    it = &irqs->types[type];
    it->masked[vector] = masked ? 1 : 0;
    if (!masked && it->pending[vector]) {
        it->pending[vector] = 0;
        if (it->fds[vector] >= 0)
            signal_fd(it->fds[vector]);
    }
}

gboolean
nvp_vfu_irqs_masked(NvpVfuIrqs *irqs, guint type, guint vector)
{
    if (type >= irqs->n_types || vector >= irqs->types[type].count)
        return FALSE;
    return irqs->types[type].masked[vector] != 0;
}

gboolean
nvp_vfu_irqs_pending(NvpVfuIrqs *irqs, guint type, guint vector)
{
    if (type >= irqs->n_types || vector >= irqs->types[type].count)
        return FALSE;
    return irqs->types[type].pending[vector] != 0;
}

void
nvp_vfu_irqs_reset_state(NvpVfuIrqs *irqs)
{
    for (guint t = 0; t < irqs->n_types; t++) {
        IrqType *it = &irqs->types[t];

        memset(it->masked, 0, MAX(it->count, 1));
        memset(it->pending, 0, MAX(it->count, 1));
    }
}
