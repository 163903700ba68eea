/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the shared-vector demultiplexer (agent/vctrl/irqshare.c): guest CQs in memory, a
 * software "SSD" posting entries, real eventfds for the hardware vector and the guest vectors. */
#include <errno.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "agent/vctrl/irqshare.h"

/* One guest CQ, the SSD's view of it (tail + phase) and the guest vector's eventfd. */
typedef struct {
    NvpNvmeCqe *ring;
    guint32 size;
    guint32 ssd_tail;
    guint8 ssd_phase;
    int guest_fd;
    NvpIrqShareCq cq;
} Cq;

static void
cq_setup(Cq *c, guint32 size)
{
    c->ring = g_new0(NvpNvmeCqe, size); /* the guest zeroes its CQ: phase 0 everywhere */
    c->size = size;
    c->ssd_tail = 0;
    c->ssd_phase = 1;
    c->guest_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    g_assert_cmpint(c->guest_fd, >=, 0);
    nvp_irq_share_cq_init(&c->cq, c->ring, size, c->guest_fd);
}

static void
cq_teardown(Cq *c)
{
    close(c->guest_fd);
    g_free(c->ring);
}

/* The SSD writes n completions (with the current phase tag, flipped at each wrap). */
static void
ssd_post(Cq *c, guint n)
{
    for (guint i = 0; i < n; i++) {
        c->ring[c->ssd_tail].cid = GUINT16_TO_LE((guint16)i);
        c->ring[c->ssd_tail].status = GUINT16_TO_LE(c->ssd_phase);
        if (++c->ssd_tail == c->size) {
            c->ssd_tail = 0;
            c->ssd_phase ^= 1;
        }
    }
}

/* The guest takes every posted entry and writes its CQ head doorbell. */
static void
guest_consume_all(Cq *c)
{
    nvp_irq_share_cq_set_head(&c->cq, c->ssd_tail);
}

/* Interrupts the guest vector received since the last call. */
static guint64
guest_irqs(Cq *c)
{
    guint64 n = 0;

    if (read(c->guest_fd, &n, sizeof(n)) != sizeof(n)) {
        g_assert_cmpint(errno, ==, EAGAIN);
        return 0;
    }
    return n;
}

/* The SSD's MSI-X write on the shared hardware vector. */
static void
hw_interrupt(NvpIrqShare *s)
{
    guint64 one = 1;

    g_assert_cmpint(write(nvp_irq_share_get_fd(s), &one, sizeof(one)), ==, sizeof(one));
}

/* A wake-up with nothing new in the CQ sends no guest interrupt (Linux counts unhandled IRQs). */
static void
test_nothing_new(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(3, NULL, NULL);
    Cq a;

    cq_setup(&a, 8);
    nvp_irq_share_attach(s, &a.cq);
    g_assert_cmpuint(nvp_irq_share_get_hw_vector(s), ==, 3);
    g_assert_cmpuint(nvp_irq_share_get_n_cqs(s), ==, 1);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 0);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    g_assert_cmpuint(nvp_irq_share_get_wakeups(s), ==, 1);

    /* one entry: one interrupt; the same entry, not yet consumed, is not announced again */
    ssd_post(&a, 1);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 0);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    /* consumed: still nothing new */
    guest_consume_all(&a);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    g_assert_cmpuint(a.cq.n_signalled, ==, 1);
    g_assert_cmpuint(nvp_irq_share_get_wakeups(s), ==, 3);
    nvp_irq_share_detach(s, &a.cq);
    cq_teardown(&a);
}

/* Phase tags across many wraps of a small CQ: entries of the previous lap (old phase) are never
 * taken for new ones, and every new batch gets exactly one interrupt. Batches of 1..3 entries
 * with 4 slots cross the wrap at every position. */
static void
test_phase_wraps(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(1, NULL, NULL);
    Cq a;
    guint64 sent = 0;

    cq_setup(&a, 4);
    nvp_irq_share_attach(s, &a.cq);
    for (guint round = 0; round < 40; round++) {
        guint batch = 1 + round % 3;

        /* before posting, the slots hold the previous lap's entries (after the first lap) */
        g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
        g_assert_cmpuint(guest_irqs(&a), ==, 0);
        ssd_post(&a, batch);
        hw_interrupt(s);
        g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 1);
        g_assert_cmpuint(guest_irqs(&a), ==, 1);
        sent++;
        guest_consume_all(&a);
        g_assert_cmpuint(a.cq.head, ==, a.ssd_tail);
        g_assert_cmpuint(a.cq.head_phase, ==, a.ssd_phase);
        g_assert_cmpuint(a.cq.seen, ==, a.ssd_tail);
    }
    g_assert_cmpuint(a.cq.n_signalled, ==, sent);
    cq_teardown(&a);
}

/* Entries posted while the guest is still handling the previous interrupt: the guest takes more
 * than was announced and rings its doorbell past what the agent has seen; only entries after
 * that are announced, once. A full CQ (size - 1 entries) is announced once and the scan ends. */
static void
test_guest_ahead_and_full(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(1, NULL, NULL);
    Cq a;

    cq_setup(&a, 8);
    nvp_irq_share_attach(s, &a.cq);
    ssd_post(&a, 2);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    ssd_post(&a, 3);       /* 5 posted, 2 announced */
    guest_consume_all(&a); /* the guest's handler found all 5 */
    hw_interrupt(s);       /* the SSD's interrupt for the 3 arrives late */
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 0);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    g_assert_cmpuint(a.cq.seen, ==, 5);

    /* 7 of 8 slots full, across the wrap */
    ssd_post(&a, 7);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(a.cq.seen, ==, 4);
    g_assert_cmpuint(a.cq.seen_phase, ==, 0);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
    /* the guest takes 3 (head 5 -> 0, wrap), the SSD adds 3: only those are new */
    nvp_irq_share_cq_set_head(&a.cq, 0);
    g_assert_cmpuint(a.cq.head_phase, ==, 0);
    ssd_post(&a, 3);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(a.cq.seen, ==, 7);
    /* an out-of-range doorbell value changes nothing */
    nvp_irq_share_cq_set_head(&a.cq, 8);
    g_assert_cmpuint(a.cq.head, ==, 0);
    guest_consume_all(&a);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
    g_assert_cmpuint(a.cq.n_signalled, ==, 3);
    cq_teardown(&a);
}

/* The guest can write its own CQ memory: a CQ whose every slot carries the expected phase tag
 * (including the slot at the guest's head, which the SSD never fills) costs one bounded scan and
 * one interrupt, never more than size - 1 entries past the head. */
static void
test_hostile_ring(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(1, NULL, NULL);
    Cq a;

    cq_setup(&a, 8);
    nvp_irq_share_attach(s, &a.cq);
    for (guint i = 0; i < a.size; i++)
        a.ring[i].status = GUINT16_TO_LE(1);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(a.cq.seen, ==, 7);
    g_assert_cmpuint(a.cq.seen_phase, ==, 1);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
    cq_teardown(&a);
}

/* Two CQs on one vector: each wake-up signals exactly the CQs with new entries. */
static void
test_two_cqs(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(2, NULL, NULL);
    Cq a, b;

    cq_setup(&a, 16);
    cq_setup(&b, 4);
    nvp_irq_share_attach(s, &a.cq);
    nvp_irq_share_attach(s, &b.cq);
    g_assert_cmpuint(nvp_irq_share_get_n_cqs(s), ==, 2);

    ssd_post(&b, 1);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    g_assert_cmpuint(guest_irqs(&b), ==, 1);

    ssd_post(&a, 2);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(guest_irqs(&b), ==, 0);

    ssd_post(&a, 1);
    ssd_post(&b, 2);
    hw_interrupt(s);
    hw_interrupt(s); /* two MSI-X writes, one wake-up */
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 2);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(guest_irqs(&b), ==, 1);
    g_assert_cmpuint(nvp_irq_share_get_wakeups(s), ==, 3);
    cq_teardown(&a);
    cq_teardown(&b);
}

/* A detached CQ is never read or signalled again; the others go on. Freeing the share with CQs
 * still attached leaves them detached. */
static void
test_detach(void)
{
    NvpIrqShare *s = nvp_irq_share_new(2, NULL, NULL);
    Cq a, b;

    cq_setup(&a, 8);
    cq_setup(&b, 8);
    nvp_irq_share_attach(s, &a.cq);
    nvp_irq_share_attach(s, &b.cq);
    nvp_irq_share_detach(s, &a.cq);
    g_assert_false(a.cq.attached);
    g_assert_cmpuint(nvp_irq_share_get_n_cqs(s), ==, 1);
    ssd_post(&a, 1);
    ssd_post(&b, 1);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 0);
    g_assert_cmpuint(guest_irqs(&b), ==, 1);
    nvp_irq_share_detach(s, &a.cq); /* twice: no-op */
    g_assert_cmpuint(nvp_irq_share_get_n_cqs(s), ==, 1);
    g_assert_true(b.cq.attached);
    nvp_irq_share_free(s);
    g_assert_false(b.cq.attached);
    cq_teardown(&a);
    cq_teardown(&b);
}

/* Without a guest eventfd (vector not set up by the guest) entries wait: nothing is written and
 * nothing counted; once the eventfd is there the next scan announces them. */
static void
test_no_guest_eventfd(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(1, NULL, NULL);
    Cq a;

    cq_setup(&a, 8);
    a.cq.guest_fd = -1;
    nvp_irq_share_attach(s, &a.cq);
    ssd_post(&a, 2);
    hw_interrupt(s);
    g_assert_cmpuint(nvp_irq_share_dispatch(s), ==, 0);
    g_assert_cmpuint(a.cq.seen, ==, 0);
    g_assert_cmpuint(a.cq.n_signalled, ==, 0);
    a.cq.guest_fd = a.guest_fd;
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(a.cq.seen, ==, 2);
    cq_teardown(&a);
}

/* A queue that had a vector of its own joins a share with entries pending past the guest's
 * head (e.g. 3 consumed, 2 more posted): those 2 are announced once, at the first scan. */
static void
test_attach_midway(void)
{
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(1, NULL, NULL);
    Cq a;

    cq_setup(&a, 4);
    ssd_post(&a, 3);
    guest_consume_all(&a);
    ssd_post(&a, 2); /* slots 3 and 0 (phase 0) */
    nvp_irq_share_attach(s, &a.cq);
    g_assert_cmpuint(a.cq.seen, ==, 3);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 1);
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(a.cq.seen, ==, 1);
    g_assert_cmpuint(a.cq.seen_phase, ==, 0);
    g_assert_cmpuint(nvp_irq_share_scan(s), ==, 0);
    cq_teardown(&a);
}

/* The eventfd is watched in the main context: an MSI-X write on it ends up as a guest interrupt
 * without anyone calling dispatch by hand. */
static void
test_main_loop(void)
{
    g_autoptr(GMainContext) ctx = g_main_context_new();
    g_autoptr(NvpIrqShare) s = nvp_irq_share_new(5, ctx, NULL);
    Cq a;

    cq_setup(&a, 8);
    nvp_irq_share_attach(s, &a.cq);
    g_assert_false(g_main_context_iteration(ctx, FALSE));
    ssd_post(&a, 1);
    hw_interrupt(s);
    g_assert_true(g_main_context_iteration(ctx, FALSE));
    g_assert_cmpuint(guest_irqs(&a), ==, 1);
    g_assert_cmpuint(nvp_irq_share_get_wakeups(s), ==, 1);
    g_assert_false(g_main_context_iteration(ctx, FALSE)); /* drained */
    cq_teardown(&a);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vctrl/irqshare/nothing-new", test_nothing_new);
    g_test_add_func("/vctrl/irqshare/phase-wraps", test_phase_wraps);
    g_test_add_func("/vctrl/irqshare/guest-ahead-and-full", test_guest_ahead_and_full);
    g_test_add_func("/vctrl/irqshare/hostile-ring", test_hostile_ring);
    g_test_add_func("/vctrl/irqshare/two-cqs", test_two_cqs);
    g_test_add_func("/vctrl/irqshare/detach", test_detach);
    g_test_add_func("/vctrl/irqshare/no-guest-eventfd", test_no_guest_eventfd);
    g_test_add_func("/vctrl/irqshare/attach-midway", test_attach_midway);
    g_test_add_func("/vctrl/irqshare/main-loop", test_main_loop);
    return g_test_run();
}
