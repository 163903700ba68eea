/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepool-hwtest: adopt a controller, create N hardware I/O queue pairs, write distinct
 * patterns through some queues concurrently, read them back through other queues, print
 * per-queue results, delete everything and hand the device back to the kernel. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent/hw/ctrl.h"
#include "agent/hw/queue.h"
#include "common/i18n.h"

#define CHUNK 4096u
#define IO_TIMEOUT_US (60 * G_USEC_PER_SEC)

static int opt_queues = 4;
static int opt_active = 0;
static int opt_depth = 32;
static int opt_blocks = 64;
static guint opt_nsid = 1;
static gint64 opt_offset = 0;
static gint64 opt_seed = 0x6e76706f6f6c;
static char *opt_expect;
static gboolean opt_poll;
static gboolean opt_reset;
static GArray *lost_qids;

static GOptionEntry entries[] = {
    { "queues", 'q', 0, G_OPTION_ARG_INT, &opt_queues, "I/O queue pairs to create (default 4)",
      "N" },
    { "active", 'a', 0, G_OPTION_ARG_INT, &opt_active,
      "queues writing concurrently (default min(N, 8))", "M" },
    { "depth", 'd', 0, G_OPTION_ARG_INT, &opt_depth, "entries per queue (default 32)", "D" },
    { "chunks", 'c', 0, G_OPTION_ARG_INT, &opt_blocks,
      "4 KiB chunks written per active queue (default 64)", "C" },
    { "nsid", 'n', 0, G_OPTION_ARG_INT, &opt_nsid, "namespace (default 1)", "NSID" },
    { "offset", 'o', 0, G_OPTION_ARG_INT64, &opt_offset, "first LBA used (default 0)", "LBA" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &opt_seed, "pattern seed", "S" },
    { "expect", 'e', 0, G_OPTION_ARG_FILENAME, &opt_expect,
      "write the expected bytes from OFFSET to FILE", "FILE" },
    { "poll", 'p', 0, G_OPTION_ARG_NONE, &opt_poll, "create CQs without interrupts and poll them",
      NULL },
    { "reset", 'r', 0, G_OPTION_ARG_NONE, &opt_reset,
      "after the I/O, reset the controller, check every queue pair is reported lost, recreate one "
      "and read through it",
      NULL },
    { NULL },
};

typedef struct {
    NvpHwCtrl *ctrl;
    guint index;
    guint16 qid;
    int vector;
    int efd;
    NvpHwDmaBuf *sqbuf;
    NvpHwDmaBuf *cqbuf;
    NvpHwSq sq;
    NvpHwCq cq;
    guint8 *data; /* slots * CHUNK bytes in the data window */
    guint64 data_iova;
    guint slots;
    /* job */
    guint8 opcode;
    guint region;
    guint n_chunks;
    /* results */
    const char *role;
    guint64 writes;
    guint64 reads;
    guint64 mismatches;
    guint64 errors;
    guint64 irqs;
    gint64 usec;
    char *first_error;
} Queue;

typedef struct {
    NvpHwCtrl *ctrl;
    guint32 lba_size;
    guint64 first_lba;
    guint region_chunks;
} Test;

static Test test;

static guint64
splitmix(guint64 x)
{
    x += G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static void
pattern_fill(guint8 *buf, guint region, guint chunk)
{
    guint64 *w = (guint64 *)buf;

    for (guint k = 0; k < CHUNK / 8; k++)
        w[k] = splitmix((guint64)opt_seed ^ ((guint64)region << 40) ^ ((guint64)chunk << 20) ^ k);
}

static guint64
chunk_lba(guint region, guint chunk)
{
    return test.first_lba +
           ((guint64)region * test.region_chunks + chunk) * (CHUNK / test.lba_size);
}

static void queue_error(Queue *q, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
queue_error(Queue *q, const char *fmt, ...)
{
    va_list ap;

    q->errors++;
    if (q->first_error)
        return;
    va_start(ap, fmt);
    q->first_error = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

/* Waits for the next completion: sleeps on the vector's eventfd (or spins when polling). */
static const NvpNvmeCqe *
queue_wait_cqe(Queue *q, gint64 deadline)
{
    const NvpNvmeCqe *cqe;

    while (!(cqe = nvp_hw_cq_peek(&q->cq))) {
        if (g_get_monotonic_time() > deadline)
            return NULL;
        if (q->efd >= 0) {
            struct pollfd pfd = { .fd = q->efd, .events = POLLIN };
            guint64 v;

            if (poll(&pfd, 1, 100) > 0 && read(q->efd, &v, sizeof(v)) == sizeof(v))
                q->irqs += v;
        } else {
            g_usleep(50);
        }
    }
    return cqe;
}

/* Runs q->n_chunks commands of q->opcode on region q->region, keeping up to slots outstanding. */
static gpointer
queue_run(gpointer data)
{
    Queue *q = data;
    g_autofree guint *slot_chunk = g_new0(guint, q->slots);
    g_autofree gboolean *slot_busy = g_new0(gboolean, q->slots);
    g_autofree guint *free_slots = g_new0(guint, q->slots);
    g_autofree guint8 *expect = g_malloc(CHUNK);
    guint next = 0, done = 0, outstanding = 0, n_free = q->slots;

    /* Completions come back in any order: a slot (buffer + CID) is reused only once its
     * command has completed. */
    for (guint i = 0; i < q->slots; i++)
        free_slots[i] = q->slots - 1 - i;
    gint64 start = g_get_monotonic_time();
    gint64 deadline = start + IO_TIMEOUT_US;
    guint32 nlb = CHUNK / test.lba_size - 1;

    while (done < q->n_chunks) {
        gboolean submitted = FALSE;

        while (next < q->n_chunks && n_free > 0 && !nvp_hw_sq_is_full(&q->sq)) {
            guint slot = free_slots[--n_free];
            NvpNvmeSqe *sqe = nvp_hw_sq_slot(&q->sq);
            guint64 lba = chunk_lba(q->region, next);

            if (q->opcode == nvme_cmd_write)
                pattern_fill(q->data + (gsize)slot * CHUNK, q->region, next);
            else
                memset(q->data + (gsize)slot * CHUNK, 0xa5, CHUNK);
            memset(sqe, 0, sizeof(*sqe));
            sqe->opcode = q->opcode;
            sqe->cid = GUINT16_TO_LE(slot);
            sqe->nsid = GUINT32_TO_LE(opt_nsid);
            sqe->prp1 = GUINT64_TO_LE(q->data_iova + (guint64)slot * CHUNK);
            sqe->cdw10 = GUINT32_TO_LE((guint32)lba);
            sqe->cdw11 = GUINT32_TO_LE((guint32)(lba >> 32));
            sqe->cdw12 = GUINT32_TO_LE(nlb);
            slot_chunk[slot] = next;
            slot_busy[slot] = TRUE;
            nvp_hw_sq_advance(&q->sq);
            next++;
            outstanding++;
            submitted = TRUE;
        }
        if (submitted)
            nvp_hw_sq_ring(&q->sq);

        {
            const NvpNvmeCqe *cqe = queue_wait_cqe(q, deadline);
            guint consumed = 0;

            if (!cqe) {
                queue_error(q, "timeout with %u commands outstanding", outstanding);
                break;
            }
            do {
                guint16 cid = GUINT16_FROM_LE(cqe->cid);
                guint16 st = NVP_NVME_CQE_STATUS(cqe);

                nvp_hw_sq_set_head(&q->sq, GUINT16_FROM_LE(cqe->sqhd));
                nvp_hw_cq_advance(&q->cq);
                consumed++;
                if (cid >= q->slots || !slot_busy[cid]) {
                    queue_error(q, "completion with unknown CID %u", cid);
                } else {
                    slot_busy[cid] = FALSE;
                    free_slots[n_free++] = cid;
                    outstanding--;
                    done++;
                    if (st != 0) {
                        queue_error(q, "chunk %u: %s", slot_chunk[cid],
                                    nvme_status_to_string(st, false));
                    } else if (q->opcode == nvme_cmd_write) {
                        q->writes++;
                    } else {
                        q->reads++;
                        pattern_fill(expect, q->region, slot_chunk[cid]);
                        if (memcmp(expect, q->data + (gsize)cid * CHUNK, CHUNK) != 0)
                            q->mismatches++;
                    }
                }
            } while ((cqe = nvp_hw_cq_peek(&q->cq)));
            if (consumed)
                nvp_hw_cq_ring(&q->cq);
        }
    }
    q->usec += g_get_monotonic_time() - start;
    return NULL;
}

static void
run_phase(Queue **qs, guint n, const char *name)
{
    g_autoptr(GPtrArray) threads = g_ptr_array_new();
    gint64 t0 = g_get_monotonic_time();
    guint64 bytes = 0;
    double secs;

    for (guint i = 0; i < n; i++) {
        g_autofree char *tname = g_strdup_printf("q%u", qs[i]->qid);
        g_ptr_array_add(threads, g_thread_new(tname, queue_run, qs[i]));
        bytes += (guint64)qs[i]->n_chunks * CHUNK;
    }
    for (guint i = 0; i < threads->len; i++)
        g_thread_join(threads->pdata[i]);
    secs = (g_get_monotonic_time() - t0) / 1e6;
    printf("phase %-6s %3u queues concurrently, %7.2f MiB in %6.3f s (%.2f MiB/s)\n", name, n,
           bytes / 1048576.0, secs, secs > 0 ? bytes / 1048576.0 / secs : 0.0);
}

static void
on_reset(NvpHwCtrl *ctrl, const guint16 *lost, guint n_lost, gpointer data)
{
    printf("controller reset: %u queue pairs reported lost\n", n_lost);
    if (lost_qids)
        g_array_append_vals(lost_qids, lost, n_lost);
}

static double
ms_since(gint64 t0)
{
    return (g_get_monotonic_time() - t0) / 1000.0;
}

static char *
id_str(const char *s, gsize len)
{
    g_autofree char *c = g_strndup(s, len);

    return g_strdup(g_strstrip(c));
}

/* ---- an eventfd owned by another process (as QEMU's irqfds are for the agent) ---- */

typedef struct {
    pid_t pid;
    int sock;
    int efd; /* the received copy, until attached */
} Helper;

static void
helper_main(int sock)
{
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    char byte = 'e';
    char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)
    };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    guint64 total = 0, v;

    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &efd, sizeof(int));
    if (efd < 0 || sendmsg(sock, &msg, 0) != 1)
        _exit(1);
    /* Count interrupts until the parent says stop (or goes away). */
    for (;;) {
        struct pollfd pfd[2] = { { .fd = efd, .events = POLLIN },
                                 { .fd = sock, .events = POLLIN } };

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if ((pfd[0].revents & POLLIN) && read(efd, &v, sizeof(v)) == sizeof(v))
            total += v;
        if (pfd[1].revents)
            break;
    }
    if (read(efd, &v, sizeof(v)) == sizeof(v))
        total += v;
    if (write(sock, &total, sizeof(total)) != sizeof(total))
        _exit(1);
    _exit(0);
}

/* Forks a process that creates an eventfd and sends it over a UNIX socket. Call before any
 * thread or VFIO fd exists. */
static gboolean
helper_start(Helper *h)
{
    int sv[2];
    char byte;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)
    };
    struct cmsghdr *cm;

    h->pid = -1;
    h->sock = h->efd = -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return FALSE;
    fflush(stdout);
    h->pid = fork();
    if (h->pid < 0)
        return FALSE;
    if (h->pid == 0) {
        close(sv[0]);
        helper_main(sv[1]);
    }
    close(sv[1]);
    h->sock = sv[0];
    if (recvmsg(h->sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return FALSE;
    cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS)
        return FALSE;
    memcpy(&h->efd, CMSG_DATA(cm), sizeof(int));
    return TRUE;
}

/* Tells the helper to stop; returns the interrupts it counted (-1 on failure). */
static gint64
helper_stop(Helper *h)
{
    guint64 total = 0;
    gint64 ret = -1;

    if (h->efd >= 0)
        close(h->efd);
    if (h->sock >= 0) {
        if (write(h->sock, "q", 1) == 1 && read(h->sock, &total, sizeof(total)) == sizeof(total))
            ret = (gint64)total;
        close(h->sock);
    }
    if (h->pid > 0)
        waitpid(h->pid, NULL, 0);
    h->pid = -1;
    h->sock = h->efd = -1;
    return ret;
}

int
main(int argc, char **argv)
{
    g_autoptr(GOptionContext) octx =
        g_option_context_new(_("PCI_ADDR - exercise hardware I/O queues of an NVMe controller"));
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) queues = g_ptr_array_new();
    NvpHwCtrl *ctrl;
    const struct nvme_id_ctrl *id;
    const struct nvme_id_ns *ns;
    guint n, active, slots;
    guint64 win_size, win_iova = 0, total_mismatch = 0, total_err = 0;
    guint8 *win = NULL;
    gboolean mapped = FALSE;
    Helper helper = { .pid = -1, .sock = -1, .efd = -1 };
    int foreign_vector = -1;
    gint64 t0;
    int rc = 0;

    setlocale(LC_ALL, "");
    g_option_context_add_main_entries(octx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(octx, &argc, &argv, &error)) {
        fprintf(stderr, "%s\n", error->message);
        return 2;
    }
    if (argc != 2 || opt_queues < 1 || opt_depth < 2 || opt_blocks < 1 || opt_offset < 0) {
        g_autofree char *help = g_option_context_get_help(octx, TRUE, NULL);
        fprintf(stderr, "%s", help);
        return 2;
    }

    if (!opt_poll && !helper_start(&helper)) {
        fprintf(stderr, "virt-nvmepool-hwtest: cannot start the eventfd helper process: %s\n",
                g_strerror(errno));
        return 1;
    }

    t0 = g_get_monotonic_time();
    ctrl = nvp_hw_ctrl_adopt(argv[1], NULL, &error);
    if (!ctrl) {
        fprintf(stderr, "virt-nvmepool-hwtest: %s\n", error->message);
        helper_stop(&helper);
        return 1;
    }
    test.ctrl = ctrl;
    nvp_hw_ctrl_set_reset_callback(ctrl, on_reset, NULL);
    id = nvp_hw_ctrl_get_id(ctrl);
    {
        g_autofree char *mn = id_str(id->mn, sizeof(id->mn));
        g_autofree char *sn = id_str(id->sn, sizeof(id->sn));
        g_autofree char *fr = id_str(id->fr, sizeof(id->fr));
        printf("adopted %s in %.1f ms: model '%s' serial '%s' firmware '%s'\n", argv[1],
               ms_since(t0), mn, sn, fr);
    }
    printf("  namespaces %u, max queue pairs %u, max queue entries %u, MSI-X vectors %u, MDTS %u "
           "bytes\n",
           nvp_hw_ctrl_get_n_namespaces(ctrl), nvp_hw_ctrl_get_max_qpairs(ctrl),
           nvp_hw_ctrl_get_max_queue_entries(ctrl), nvp_hw_ctrl_get_n_vectors(ctrl),
           nvp_hw_ctrl_get_mdts_bytes(ctrl));
    ns = nvp_hw_ctrl_get_ns(ctrl, opt_nsid);
    test.lba_size = nvp_hw_ctrl_get_lba_size(ctrl, opt_nsid);
    if (!ns || test.lba_size == 0 || test.lba_size > CHUNK) {
        fprintf(stderr,
                "virt-nvmepool-hwtest: %s: namespace %u is not active or has an unsupported LBA "
                "size\n",
                argv[1], opt_nsid);
        rc = 1;
        goto release;
    }
    printf("  namespace %u: %" G_GUINT64_FORMAT " LBAs of %u bytes\n", opt_nsid,
           GUINT64_FROM_LE(ns->nsze), test.lba_size);

    n = MIN((guint)opt_queues, nvp_hw_ctrl_get_max_qpairs(ctrl));
    if (n < (guint)opt_queues)
        printf("  only %u queue pairs available, using %u\n", nvp_hw_ctrl_get_max_qpairs(ctrl), n);
    active = opt_active > 0 ? MIN((guint)opt_active, n) : MIN(n, 8u);
    opt_depth = MIN((guint)opt_depth, nvp_hw_ctrl_get_max_queue_entries(ctrl));
    slots = MIN((guint)opt_depth - 1, 32u);
    test.first_lba = opt_offset;
    test.region_chunks = opt_blocks;
    if (chunk_lba(active, 0) > GUINT64_FROM_LE(ns->nsze)) {
        fprintf(stderr, "virt-nvmepool-hwtest: the test needs LBAs up to %" G_GUINT64_FORMAT "\n",
                chunk_lba(active, 0));
        rc = 1;
        goto release;
    }

    /* Data buffers: one window mapped through the caller-side API (window + dma_map). */
    win_size = ((guint64)n * slots * CHUNK + (2u << 20) - 1) & ~(guint64)((2u << 20) - 1);
    win = mmap(NULL, win_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (win == MAP_FAILED || !nvp_hw_ctrl_window_alloc(ctrl, win_size, &win_iova, &error) ||
        !nvp_hw_ctrl_dma_map(ctrl, win, win_iova, win_size, TRUE, &error)) {
        fprintf(stderr, "virt-nvmepool-hwtest: data window: %s\n",
                error ? error->message : g_strerror(errno));
        if (win == MAP_FAILED)
            win = NULL;
        rc = 1;
        goto release;
    }
    mapped = TRUE;

    t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++) {
        Queue *q = g_new0(Queue, 1);
        guint vector = 0;

        q->ctrl = ctrl;
        q->index = i;
        q->efd = -1;
        q->vector = -1;
        q->slots = slots;
        q->data = win + (gsize)i * slots * CHUNK;
        q->data_iova = win_iova + (guint64)i * slots * CHUNK;
        g_ptr_array_add(queues, q);
        if (!(q->sqbuf = nvp_hw_dma_buf_new(ctrl, (gsize)opt_depth * sizeof(NvpNvmeSqe), &error)) ||
            !(q->cqbuf = nvp_hw_dma_buf_new(ctrl, (gsize)opt_depth * sizeof(NvpNvmeCqe), &error)))
            break;
        if (!opt_poll && nvp_hw_ctrl_vector_alloc(ctrl, &vector, NULL)) {
            q->vector = vector;
            if (i == n - 1 && n > 2 * active && helper.efd >= 0) {
                /* The last (verify-only) queue signals the helper process's eventfd; this
                 * process polls that CQ. */
                if (!nvp_hw_ctrl_vector_set_eventfd(ctrl, vector, helper.efd, &error))
                    break;
                close(helper.efd);
                helper.efd = -1;
                foreign_vector = vector;
            } else {
                q->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
                if (q->efd < 0 || !nvp_hw_ctrl_vector_set_eventfd(ctrl, vector, q->efd, &error))
                    break;
            }
        }
        if (!nvp_hw_ctrl_qpair_create(ctrl, q->cqbuf->iova, opt_depth, q->vector, q->sqbuf->iova,
                                      opt_depth, &q->qid, &error))
            break;
        nvp_hw_sq_init(&q->sq, q->qid, q->sqbuf->vaddr, opt_depth,
                       nvp_hw_ctrl_sq_doorbell(ctrl, q->qid));
        nvp_hw_cq_init(&q->cq, q->qid, q->cqbuf->vaddr, opt_depth,
                       nvp_hw_ctrl_cq_doorbell(ctrl, q->qid));
    }
    if (error) {
        fprintf(stderr, "virt-nvmepool-hwtest: creating queue pair %u: %s\n", queues->len,
                error->message);
        rc = 1;
        goto teardown;
    }
    printf("created %u I/O queue pairs (depth %d, %s) in %.1f ms; %u free\n", n, opt_depth,
           opt_poll ? "polled" : "MSI-X eventfds", ms_since(t0),
           nvp_hw_ctrl_get_n_free_qpairs(ctrl));

    /* Write: queue i writes region i (active queues concurrently). */
    {
        g_autofree Queue **qs = g_new0(Queue *, active);
        for (guint i = 0; i < active; i++) {
            Queue *q = queues->pdata[i];
            q->opcode = nvme_cmd_write;
            q->region = i;
            q->n_chunks = opt_blocks;
            q->role = "write";
            qs[i] = q;
        }
        run_phase(qs, active, "write");
    }
    /* Read back: region i through queue (i + active) % n, concurrently. */
    {
        g_autofree Queue **qs = g_new0(Queue *, active);
        guint nq = 0;
        for (guint i = 0; i < active; i++) {
            Queue *q = queues->pdata[(i + active) % n];
            if (q->opcode == nvme_cmd_read && n < 2 * active)
                continue; /* fewer queues than 2 * active: a queue reads one region only */
            q->opcode = nvme_cmd_read;
            q->region = i;
            q->n_chunks = opt_blocks;
            q->role = q->role ? "wr+rd" : "read";
            qs[nq++] = q;
        }
        run_phase(qs, nq, "read");
    }
    /* Every queue: read its first chunks of region (index % active), all queues concurrently. */
    {
        g_autofree Queue **qs = g_new0(Queue *, n);
        for (guint i = 0; i < n; i++) {
            Queue *q = queues->pdata[i];
            q->opcode = nvme_cmd_read;
            q->region = i % active;
            q->n_chunks = MIN((guint)opt_blocks, slots);
            if (!q->role)
                q->role = "verify";
            qs[i] = q;
        }
        run_phase(qs, n, "verify");
    }
    if (foreign_vector >= 0) {
        pid_t pid = helper.pid;
        gint64 count = helper_stop(&helper);

        printf("foreign eventfd: vector %d (qid %u) signalled %" G_GINT64_FORMAT
               " interrupts to process %d\n",
               foreign_vector, ((Queue *)queues->pdata[n - 1])->qid, count, (int)pid);
        if (count <= 0)
            rc = 1;
    }

    printf("%5s %6s %6s %8s %8s %10s %6s %8s %9s\n", "qid", "vector", "role", "writes", "reads",
           "mismatches", "errors", "irqs", "busy_ms");
    for (guint i = 0; i < queues->len; i++) {
        Queue *q = queues->pdata[i];
        g_autofree char *vec = q->vector >= 0 ? g_strdup_printf("%d", q->vector) : g_strdup("-");

        printf("%5u %6s %6s %8" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT
               " %6" G_GUINT64_FORMAT " %8" G_GUINT64_FORMAT " %9.1f%s%s\n",
               q->qid, vec, q->role ? q->role : "-", q->writes, q->reads, q->mismatches, q->errors,
               q->irqs, q->usec / 1000.0, q->first_error ? "  " : "",
               q->first_error ? q->first_error : "");
        total_mismatch += q->mismatches;
        total_err += q->errors;
    }
    printf("total: %" G_GUINT64_FORMAT " mismatches, %" G_GUINT64_FORMAT " errors\n",
           total_mismatch, total_err);
    if (total_mismatch || total_err)
        rc = 1;

    if (opt_reset && rc == 0) {
        Queue *q = queues->pdata[0];
        guint n_ok = 0;

        lost_qids = g_array_new(FALSE, FALSE, sizeof(guint16));
        t0 = g_get_monotonic_time();
        if (!nvp_hw_ctrl_reset(ctrl, &error)) {
            fprintf(stderr, "virt-nvmepool-hwtest: reset: %s\n", error->message);
            g_clear_error(&error);
            rc = 1;
        }
        printf("reset in %.1f ms: %u of %u queue pairs reported lost, %u free\n", ms_since(t0),
               lost_qids->len, n, nvp_hw_ctrl_get_n_free_qpairs(ctrl));
        for (guint i = 0; i < queues->len; i++) {
            Queue *qi = queues->pdata[i];
            for (guint j = 0; j < lost_qids->len; j++) {
                if (g_array_index(lost_qids, guint16, j) == qi->qid) {
                    qi->qid = 0;
                    n_ok++;
                }
            }
        }
        if (n_ok != n || nvp_hw_ctrl_get_n_free_qpairs(ctrl) != nvp_hw_ctrl_get_max_qpairs(ctrl))
            rc = 1;
        /* The rings' old contents are stale: start from zeroed memory. */
        memset(q->sqbuf->vaddr, 0, q->sqbuf->size);
        memset(q->cqbuf->vaddr, 0, q->cqbuf->size);
        if (rc == 0 && nvp_hw_ctrl_qpair_create(ctrl, q->cqbuf->iova, opt_depth, q->vector,
                                                q->sqbuf->iova, opt_depth, &q->qid, &error)) {
            nvp_hw_sq_init(&q->sq, q->qid, q->sqbuf->vaddr, opt_depth,
                           nvp_hw_ctrl_sq_doorbell(ctrl, q->qid));
            nvp_hw_cq_init(&q->cq, q->qid, q->cqbuf->vaddr, opt_depth,
                           nvp_hw_ctrl_cq_doorbell(ctrl, q->qid));
            q->reads = q->mismatches = q->errors = 0;
            q->opcode = nvme_cmd_read;
            q->region = 0;
            q->n_chunks = opt_blocks;
            queue_run(q);
            printf("after reset: recreated qid %u, read %" G_GUINT64_FORMAT
                   " chunks back, %" G_GUINT64_FORMAT " mismatches, %" G_GUINT64_FORMAT " errors\n",
                   q->qid, q->reads, q->mismatches, q->errors);
            if (q->reads != (guint64)opt_blocks || q->mismatches || q->errors)
                rc = 1;
        } else if (rc == 0) {
            fprintf(stderr, "virt-nvmepool-hwtest: recreating a queue pair after reset: %s\n",
                    error->message);
            g_clear_error(&error);
            rc = 1;
        }

        /* An Asynchronous Event Request stays outstanding until an event: with a short timeout it
         * exercises the timeout -> Abort (-> reset) path. The controller must be usable after. */
        if (rc == 0) {
            NvpNvmeSqe aer = { .opcode = nvme_admin_async_event };
            NvpNvmeSqe getf = { .opcode = nvme_admin_get_features };
            guint lost_before = lost_qids->len;
            guint32 dw0 = 0;

            t0 = g_get_monotonic_time();
            if (nvp_hw_ctrl_admin(ctrl, &aer, NULL, NULL, 300, &error)) {
                printf("admin timeout: the Asynchronous Event Request completed at once\n");
                rc = 1;
            } else {
                printf("admin timeout after %.1f ms: %s\n", ms_since(t0), error->message);
                if (!g_error_matches(error, NVP_HW_ERROR, NVP_HW_ERROR_TIMEOUT))
                    rc = 1;
                g_clear_error(&error);
            }
            if (lost_qids->len > lost_before)
                q->qid = 0; /* the timeout escalated to a reset */
            getf.cdw10 = GUINT32_TO_LE(NVME_FEAT_FID_NUM_QUEUES);
            if (!nvp_hw_ctrl_admin(ctrl, &getf, &dw0, NULL, 0, &error) ||
                !nvp_hw_ctrl_check_health(ctrl, &error)) {
                fprintf(stderr, "virt-nvmepool-hwtest: after the admin timeout: %s\n",
                        error->message);
                g_clear_error(&error);
                rc = 1;
            } else {
                printf("after the admin timeout: controller healthy, Get Features Number of Queues "
                       "= 0x%08x\n",
                       dw0);
            }
        }
    }

    if (opt_expect) {
        g_autoptr(GString) exp = g_string_sized_new((gsize)active * opt_blocks * CHUNK);
        g_autofree guint8 *buf = g_malloc(CHUNK);
        for (guint r = 0; r < active; r++) {
            for (guint c = 0; c < (guint)opt_blocks; c++) {
                pattern_fill(buf, r, c);
                g_string_append_len(exp, (const char *)buf, CHUNK);
            }
        }
        if (!g_file_set_contents(opt_expect, exp->str, exp->len, &error)) {
            fprintf(stderr, "virt-nvmepool-hwtest: %s\n", error->message);
            g_clear_error(&error);
            rc = 1;
        } else {
            printf("expected bytes: %s, %zu bytes from LBA %" G_GINT64_FORMAT " (%u-byte LBAs)\n",
                   opt_expect, exp->len, opt_offset, test.lba_size);
        }
    }

teardown:
    t0 = g_get_monotonic_time();
    {
        guint deleted = 0;
        for (guint i = 0; i < queues->len; i++) {
            Queue *q = queues->pdata[i];
            if (q->qid) {
                if (!nvp_hw_ctrl_qpair_delete(ctrl, q->qid, &error)) {
                    fprintf(stderr, "virt-nvmepool-hwtest: deleting queue pair %u: %s\n", q->qid,
                            error->message);
                    g_clear_error(&error);
                    rc = 1;
                } else {
                    deleted++;
                }
            }
            if (q->vector >= 0)
                nvp_hw_ctrl_vector_free(ctrl, q->vector);
            if (q->efd >= 0)
                close(q->efd);
            nvp_hw_dma_buf_free(q->sqbuf);
            nvp_hw_dma_buf_free(q->cqbuf);
            g_free(q->first_error);
            g_free(q);
        }
        printf("deleted %u I/O queue pairs in %.1f ms; %u free\n", deleted, ms_since(t0),
               nvp_hw_ctrl_get_n_free_qpairs(ctrl));
    }
release:
    if (mapped && !nvp_hw_ctrl_dma_unmap(ctrl, win_iova, win_size, &error)) {
        fprintf(stderr, "virt-nvmepool-hwtest: %s\n", error->message);
        g_clear_error(&error);
        rc = 1;
    }
    if (win_iova)
        nvp_hw_ctrl_window_free(ctrl, win_iova);
    if (win)
        munmap(win, win_size);
    t0 = g_get_monotonic_time();
    nvp_hw_ctrl_release(ctrl);
    printf("released %s in %.1f ms\n", argv[1], ms_since(t0));
    helper_stop(&helper);
    printf("%s\n", rc == 0 ? "RESULT: PASS" : "RESULT: FAIL");
    if (lost_qids)
        g_array_unref(lost_qids);
    return rc;
}
