/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the admin emulation (agent/vctrl/admin.c) with a backend double that records
 * hardware queue operations and a fake guest RAM. */
#include <string.h>
#include <libnvme.h>

#include "agent/vctrl/admin.h"

#define RAM_SIZE (1u << 20)
#define ASQ 0x10000
#define ACQ 0x20000
#define DATA 0x40000  /* a 4 KiB data buffer */
#define DATA2 0x50000 /* second page */
#define LBA_COUNT 262144

typedef struct {
    guint8 *ram;
    NvpRegs regs;
    NvpAdmin *admin;
    struct nvme_id_ctrl hw_id;
    struct nvme_id_ns hw_ns;
    GString *log; /* backend calls, in order */
    guint n_irqs;
    guint16 create_status;
    NvpAdminQueuePair last_qp;
    guint16 sq_tail; /* guest side of the admin rings */
    guint16 cq_head;
    guint8 cq_phase;
} Fixture;

static void *
fake_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    Fixture *f = data;

    if (len == 0 || gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
        return NULL;
    return f->ram + gpa;
}

static guint16
fake_create(gpointer data, const NvpAdminQueuePair *qp)
{
    Fixture *f = data;

    g_string_append_printf(f->log, "create(%u,%u);", qp->sqid, qp->cqid);
    f->last_qp = *qp;
    return f->create_status;
}

static void
fake_delete(gpointer data, guint16 sqid)
{
    Fixture *f = data;

    g_string_append_printf(f->log, "delete(%u);", sqid);
}

static guint16
fake_abort(gpointer data, guint16 sqid, guint16 cid, guint32 *dw0)
{
    Fixture *f = data;

    g_string_append_printf(f->log, "abort(%u,%u);", sqid, cid);
    *dw0 = 0;
    return 0;
}

static void
fake_irq(gpointer data, guint vector)
{
    Fixture *f = data;

    g_assert_cmpuint(vector, ==, 0);
    f->n_irqs++;
}

static void
fake_figures(gpointer data, NvpAdminIoFigures *out)
{
    out->data_units_read = 7;
    out->data_units_written = 9;
    out->host_read_commands = 1234;
    out->host_write_commands = 5678;
    out->temperature = 300;
}

static const NvpAdminBackend backend = {
    .map = fake_map,
    .hw_map = fake_map,
    .create_qpair = fake_create,
    .delete_qpair = fake_delete,
    .abort = fake_abort,
    .irq = fake_irq,
    .io_figures = fake_figures,
};

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    NvpRegsConfig rc = { .mqes = 1023, .timeout = 30, .n_io_queues = 2 };
    NvpAdminConfig ac = {
        .lba_count = LBA_COUNT,
        .max_transfer = 1u << 20,
        .n_qpairs = 2,
        .n_vectors = 3,
        .cntlid = 5,
        .mqes = 1023,
        .serial = "NVP0001",
        .model = "virt-nvmepool slice",
        .subnqn = "nqn.2026-11.org.virt-nvmepool:slice:NVP0001",
        .uuid = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 },
    };
    NvpRegsEvent ev;

    f->ram = g_malloc0(RAM_SIZE);
    f->log = g_string_new(NULL);
    memset(&f->hw_id, 0, sizeof(f->hw_id));
    memset(&f->hw_ns, 0, sizeof(f->hw_ns));
    f->hw_id.vid = 0x1b36;
    memcpy(f->hw_id.sn, "PHYSICAL-SERIAL     ", 20);
    memcpy(f->hw_id.fr, "1.0     ", 8);
    f->hw_id.mdts = 7;
    f->hw_id.oacs = NVME_CTRL_OACS_FORMAT | NVME_CTRL_OACS_NS_MGMT | NVME_CTRL_OACS_FW;
    f->hw_id.oncs = NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES |
                    NVME_CTRL_ONCS_RESERVATIONS | NVME_CTRL_ONCS_COPY;
    f->hw_id.vwc = 1;
    f->hw_id.wctemp = 343;
    f->hw_id.sanicap = 7;
    f->hw_id.nn = 256;
    f->hw_ns.nsze = 1u << 24;
    f->hw_ns.nlbaf = 1;
    f->hw_ns.flbas = 1;
    f->hw_ns.lbaf[1].ds = 12;
    f->hw_ns.lbaf[0].ds = 9;
    ac.hw_id = &f->hw_id;
    ac.hw_ns = &f->hw_ns;

    nvp_regs_init(&f->regs, &rc);
    f->admin = nvp_admin_new(&ac, &f->regs, &backend, f);
    nvp_regs_write(&f->regs, NVP_NVME_REG_AQA, 4, (7u << 16) | 7u, &ev);
    nvp_regs_write(&f->regs, NVP_NVME_REG_ASQ, 8, ASQ, &ev);
    nvp_regs_write(&f->regs, NVP_NVME_REG_ACQ, 8, ACQ, &ev);
    nvp_regs_write(&f->regs, NVP_NVME_REG_CC, 4, NVP_NVME_CC_EN, &ev);
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_ENABLE);
    nvp_admin_enable(f->admin);
    f->cq_phase = 1;
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    nvp_admin_free(f->admin);
    g_string_free(f->log, TRUE);
    g_free(f->ram);
}

/* Submits one command through the admin SQ ring and returns the status of its CQE (checking
 * phase, CID, SQHD and the interrupt). */
static guint16
submit(Fixture *f, NvpNvmeSqe cmd, guint32 *dw0)
{
    static guint16 next_cid = 100;
    NvpNvmeCqe *cqe = (NvpNvmeCqe *)(f->ram + ACQ) + f->cq_head;
    guint irqs = f->n_irqs;

    cmd.cid = next_cid++;
    memcpy(f->ram + ASQ + f->sq_tail * 64u, &cmd, 64);
    f->sq_tail = (f->sq_tail + 1) % 8;
    nvp_admin_sq_tail(f->admin, f->sq_tail);
    if (cmd.opcode == nvme_admin_async_event && (cqe->status & 1) != f->cq_phase)
        return 0xffff; /* still outstanding */
    g_assert_cmpuint(cqe->status & 1, ==, f->cq_phase);
    g_assert_cmpuint(cqe->cid, ==, cmd.cid);
    g_assert_cmpuint(cqe->sqhd, ==, f->sq_tail);
    g_assert_cmpuint(cqe->sqid, ==, 0);
    g_assert_cmpuint(f->n_irqs, ==, irqs + 1);
    if (dw0)
        *dw0 = cqe->dw0;
    f->cq_head = (f->cq_head + 1) % 8;
    if (f->cq_head == 0)
        f->cq_phase ^= 1;
    nvp_admin_cq_head(f->admin, f->cq_head);
    return cqe->status >> 1;
}

static NvpNvmeSqe
identify_cmd(guint8 cns, guint32 nsid)
{
    return (NvpNvmeSqe){ .opcode = nvme_admin_identify, .nsid = nsid, .prp1 = DATA, .cdw10 = cns };
}

#define ST_GENERIC(sc) (NVME_SC_DNR | (sc))
#define ST_SPECIFIC(sc) (NVME_SC_DNR | (NVME_SCT_CMD_SPECIFIC << 8) | (sc))

/* Identify Controller: per-slice identity, one namespace, nothing of namespace management,
 * firmware or sanitize of the physical controller, MDTS as configured. */
static void
test_identify_ctrl(Fixture *f, gconstpointer data)
{
    struct nvme_id_ctrl *id = (struct nvme_id_ctrl *)(f->ram + DATA);

    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_CTRL, 0), NULL), ==, 0);
    g_assert_cmpmem(id->sn, 20, "NVP0001             ", 20);
    g_assert_cmpmem(id->mn, 19, "virt-nvmepool slice", 19);
    g_assert_cmpmem(id->fr, 8, "1.0     ", 8);
    g_assert_cmpuint(id->vid, ==, 0x1b36);
    g_assert_cmpuint(id->mdts, ==, 8); /* 1 MiB in 4 KiB pages */
    g_assert_cmpuint(id->cntlid, ==, 5);
    g_assert_cmpuint(id->ver, ==, 0x10400);
    g_assert_cmpuint(id->nn, ==, 1);
    g_assert_cmpuint(id->oacs, ==, 0);
    g_assert_cmpuint(id->sanicap, ==, 0);
    g_assert_cmpuint(id->oncs, ==,
                     NVME_CTRL_ONCS_COMPARE | NVME_CTRL_ONCS_DSM | NVME_CTRL_ONCS_WRITE_ZEROES |
                         NVME_CTRL_ONCS_TIMESTAMP);
    g_assert_cmpuint(id->sqes, ==, 0x66);
    g_assert_cmpuint(id->cqes, ==, 0x44);
    g_assert_cmpuint(id->sgls, ==, 0);
    g_assert_cmpuint(id->aerl, ==, NVP_ADMIN_AERL);
    g_assert_cmpuint(id->vwc, ==, 1);
    g_assert_cmpstr(id->subnqn, ==, "nqn.2026-11.org.virt-nvmepool:slice:NVP0001");
}

/* Identify Namespace: NSID 1 with the slice's size and the physical LBA format. */
static void
test_identify_ns(Fixture *f, gconstpointer data)
{
    struct nvme_id_ns *ns = (struct nvme_id_ns *)(f->ram + DATA);
    guint8 *p = f->ram + DATA;
    guint32 *list = (guint32 *)(f->ram + DATA);

    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS, 1), NULL), ==, 0);
    g_assert_cmpuint(ns->nsze, ==, LBA_COUNT);
    g_assert_cmpuint(ns->ncap, ==, LBA_COUNT);
    g_assert_cmpuint(ns->nlbaf, ==, 0);
    g_assert_cmpuint(ns->flbas, ==, 0);
    g_assert_cmpuint(ns->lbaf[0].ds, ==, 12);
    g_assert_cmpuint(ns->nguid[0], ==, 1);
    g_assert_cmpuint(ns->nguid[15], ==, 16);

    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS, 2), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_NS));
    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS, 0), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_NS));

    memset(p, 0xff, 4096);
    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 0), NULL), ==, 0);
    g_assert_cmpuint(list[0], ==, 1);
    g_assert_cmpuint(list[1], ==, 0);
    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS_ACTIVE_LIST, 1), NULL), ==, 0);
    g_assert_cmpuint(list[0], ==, 0);

    /* descriptors: EUI-64, NGUID, UUID (the volume's), CSI */
    g_assert_cmpuint(submit(f, identify_cmd(NVME_IDENTIFY_CNS_NS_DESC_LIST, 1), NULL), ==, 0);
    g_assert_cmpuint(p[0], ==, NVME_NIDT_EUI64);
    g_assert_cmpuint(p[1], ==, 8);
    g_assert_cmpuint(p[12], ==, NVME_NIDT_NGUID);
    g_assert_cmpuint(p[32], ==, NVME_NIDT_UUID);
    g_assert_cmpuint(p[33], ==, 16);
    g_assert_cmpuint(p[36], ==, 1);
    g_assert_cmpuint(p[51], ==, 16);
    g_assert_cmpuint(p[52], ==, NVME_NIDT_CSI);

    g_assert_cmpuint(submit(f, identify_cmd(0x10, 0), NULL), ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    {
        NvpNvmeSqe c = identify_cmd(NVME_IDENTIFY_CNS_CSI_CTRL, 0);
        g_assert_cmpuint(submit(f, c, NULL), ==, 0);
        c.cdw11 = 2u << 24; /* zoned: not ours */
        g_assert_cmpuint(submit(f, c, NULL), ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    }
}

/* A data buffer outside guest RAM is a data transfer error, not a crash. */
static void
test_bad_buffer(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe c = identify_cmd(NVME_IDENTIFY_CNS_CTRL, 0);

    c.prp1 = RAM_SIZE - 1024;
    c.prp2 = RAM_SIZE;
    g_assert_cmpuint(submit(f, c, NULL), ==, ST_GENERIC(NVME_SC_DATA_XFER_ERROR));
    c.prp1 = DATA + 2048; /* straddles into PRP2 */
    c.prp2 = DATA2;
    g_assert_cmpuint(submit(f, c, NULL), ==, 0);
    g_assert_cmpmem(f->ram + DATA + 2048 + 4, 7, "NVP0001", 7);
}

static NvpNvmeSqe
log_cmd(guint8 lid, guint32 nsid, guint32 len)
{
    return (NvpNvmeSqe){ .opcode = nvme_admin_get_log_page,
                         .nsid = nsid,
                         .prp1 = DATA,
                         .prp2 = DATA2,
                         .cdw10 = lid | ((len / 4 - 1) << 16) };
}

static void
test_log_pages(Fixture *f, gconstpointer data)
{
    struct nvme_smart_log *s = (struct nvme_smart_log *)(f->ram + DATA);
    struct nvme_firmware_slot *fw = (struct nvme_firmware_slot *)(f->ram + DATA);
    struct nvme_cmd_effects_log *e = (struct nvme_cmd_effects_log *)(f->ram + DATA);

    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_SMART, NVME_NSID_ALL, 512), NULL), ==, 0);
    g_assert_cmpuint(s->data_units_read[0], ==, 7);
    g_assert_cmpuint(s->data_units_written[0], ==, 9);
    g_assert_cmpuint(s->host_reads[0] | (s->host_reads[1] << 8), ==, 1234);
    g_assert_cmpuint(s->temperature[0] | (s->temperature[1] << 8), ==, 300);
    g_assert_cmpuint(s->avail_spare, ==, 100);
    g_assert_cmpuint(s->power_cycles[0], ==, 1);
    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_SMART, 3, 512), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_NS));

    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_FW_SLOT, 0, 512), NULL), ==, 0);
    g_assert_cmpuint(fw->afi, ==, 1);
    g_assert_cmpmem(fw->frs[0], 8, "1.0     ", 8);

    memset(f->ram + DATA, 0xff, 64);
    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_ERROR, 0, 64), NULL), ==, 0);
    g_assert_cmpuint(f->ram[DATA], ==, 0);

    /* 4 KiB + 4 KiB: PRP2 as a second page */
    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_CMD_EFFECTS, 0, 4096), NULL), ==, 0);
    g_assert_cmpuint(e->acs[nvme_admin_identify], ==, 1);
    g_assert_cmpuint(e->acs[nvme_admin_format_nvm], ==, 0);
    g_assert_cmpuint(e->iocs[nvme_cmd_write], ==, 3);
    g_assert_cmpuint(e->iocs[nvme_cmd_copy], ==, 0);

    /* a partial read at an offset */
    {
        NvpNvmeSqe c = log_cmd(NVME_LOG_LID_SMART, 0, 16);
        c.cdw12 = 32; /* data units read starts at byte 32 */
        g_assert_cmpuint(submit(f, c, NULL), ==, 0);
        g_assert_cmpuint(f->ram[DATA], ==, 7);
        c.cdw12 = 2;
        g_assert_cmpuint(submit(f, c, NULL), ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    }
    g_assert_cmpuint(submit(f, log_cmd(0x0d, 0, 64), NULL), ==,
                     ST_SPECIFIC(NVME_SC_INVALID_LOG_PAGE));
    g_assert_cmpuint(submit(f, log_cmd(NVME_LOG_LID_SMART, 0, 128 * 1024), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_FIELD));
}

static NvpNvmeSqe
feat(guint8 opcode, guint8 fid, guint32 cdw11)
{
    return (NvpNvmeSqe){ .opcode = opcode, .prp1 = DATA, .cdw10 = fid, .cdw11 = cdw11 };
}

static NvpNvmeSqe
create_cq_cmd(guint16 qid, guint32 entries, guint16 iv, guint64 gpa, gboolean pc)
{
    return (NvpNvmeSqe){ .opcode = nvme_admin_create_cq,
                         .prp1 = gpa,
                         .cdw10 = qid | ((entries - 1) << 16),
                         .cdw11 = (pc ? 1 : 0) | (1u << 1) | ((guint32)iv << 16) };
}

static NvpNvmeSqe
create_sq_cmd(guint16 qid, guint32 entries, guint16 cqid, guint64 gpa)
{
    return (NvpNvmeSqe){ .opcode = nvme_admin_create_sq,
                         .prp1 = gpa,
                         .cdw10 = qid | ((entries - 1) << 16),
                         .cdw11 = 1 | ((guint32)cqid << 16) };
}

/* Number of Queues is capped at the grant and frozen once I/O queues exist. */
static void
test_num_queues(Fixture *f, gconstpointer data)
{
    guint32 dw0 = 0;

    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_NUM_QUEUES, 0x001f001f),
                            &dw0),
                     ==, 0);
    g_assert_cmpuint(dw0, ==, 0x00010001);
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_NUM_QUEUES, 0), &dw0),
                     ==, 0);
    g_assert_cmpuint(dw0, ==, 0x00010001);
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_NUM_QUEUES, 0xffff0000),
                            NULL),
                     ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, 0x80000, TRUE), NULL), ==, 0);
    g_assert_cmpuint(submit(f, create_sq_cmd(1, 64, 1, 0x90000), NULL), ==, 0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_NUM_QUEUES, 0), NULL),
                     ==, ST_GENERIC(NVME_SC_CMD_SEQ_ERROR));
}

static void
test_features(Fixture *f, gconstpointer data)
{
    guint32 dw0 = 0;
    NvpNvmeSqe c;

    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_IRQ_COALESCE, 0x0a04),
                            NULL),
                     ==, 0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_IRQ_COALESCE, 0), &dw0),
                     ==, 0);
    g_assert_cmpuint(dw0, ==, 0x0a04);
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_VOLATILE_WC, 0), NULL),
                     ==, 0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_VOLATILE_WC, 0), &dw0),
                     ==, 0);
    g_assert_cmpuint(dw0, ==, 0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_ASYNC_EVENT, 0x1ff),
                            NULL),
                     ==, 0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_ASYNC_EVENT, 0), &dw0),
                     ==, 0);
    g_assert_cmpuint(dw0, ==, 0x1ff);
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_KATO, 5000), NULL), ==,
                     0);
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_KATO, 0), &dw0), ==, 0);
    g_assert_cmpuint(dw0, ==, 5000);
    /* power state 1 does not exist */
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_POWER_MGMT, 1), NULL),
                     ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    /* nothing is saveable */
    c = feat(nvme_admin_set_features, NVME_FEAT_FID_ARBITRATION, 0);
    c.cdw10 |= 1u << 31;
    g_assert_cmpuint(submit(f, c, NULL), ==, ST_SPECIFIC(NVME_SC_FEATURE_NOT_SAVEABLE));
    /* host memory buffer, APST, unknown: not supported */
    g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_HOST_MEM_BUF, 1), NULL),
                     ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_AUTO_PST, 0), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_FIELD));
    g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, 0x7f, 0), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_FIELD));

    /* timestamp: set, then get returns at least that value with origin "set by host" */
    {
        guint64 ts = 1764000000000ull;
        guint64 got = 0;
        memcpy(f->ram + DATA, &ts, 8);
        g_assert_cmpuint(submit(f, feat(nvme_admin_set_features, NVME_FEAT_FID_TIMESTAMP, 0), NULL),
                         ==, 0);
        memset(f->ram + DATA, 0, 8);
        g_assert_cmpuint(submit(f, feat(nvme_admin_get_features, NVME_FEAT_FID_TIMESTAMP, 0), NULL),
                         ==, 0);
        memcpy(&got, f->ram + DATA, 6);
        g_assert_cmpuint(got, >=, ts);
        g_assert_cmpuint(got, <, ts + 10000);
        g_assert_cmpuint(f->ram[DATA + 6], ==, 2);
    }
}

/* Create CQ + SQ binds a hardware queue pair with the guest CQ's address and vector; the
 * register file learns the sizes; deletion order is enforced. */
static void
test_queues(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe del = { .opcode = nvme_admin_delete_cq, .cdw10 = 1 };

    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, 0x80000, FALSE), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_FIELD));
    g_assert_cmpuint(submit(f, create_cq_cmd(0, 64, 1, 0x80000, TRUE), NULL), ==,
                     ST_SPECIFIC(NVME_SC_QID_INVALID));
    g_assert_cmpuint(submit(f, create_cq_cmd(3, 64, 1, 0x80000, TRUE), NULL), ==,
                     ST_SPECIFIC(NVME_SC_QID_INVALID));
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 2048, 1, 0x80000, TRUE), NULL), ==,
                     ST_SPECIFIC(NVME_SC_QUEUE_SIZE));
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 3, 0x80000, TRUE), NULL), ==,
                     ST_SPECIFIC(NVME_SC_INVALID_VECTOR));
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, 0x80800, TRUE), NULL), ==,
                     ST_GENERIC(NVME_SC_PRP_INVALID_OFFSET));
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, RAM_SIZE, TRUE), NULL), ==,
                     ST_GENERIC(NVME_SC_INVALID_FIELD));
    g_assert_cmpuint(submit(f, create_sq_cmd(1, 64, 1, 0x90000), NULL), ==,
                     ST_SPECIFIC(NVME_SC_CQ_INVALID));
    g_assert_cmpstr(f->log->str, ==, "");

    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 2, 0x80000, TRUE), NULL), ==, 0);
    g_assert_cmpuint(f->regs.cq_size[1], ==, 64);
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 2, 0x80000, TRUE), NULL), ==,
                     ST_SPECIFIC(NVME_SC_QID_INVALID));
    g_assert_cmpuint(submit(f, create_sq_cmd(1, 128, 1, 0x90000), NULL), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "create(1,1);");
    g_assert_cmpuint(f->last_qp.cq_gpa, ==, 0x80000);
    g_assert_cmpuint(f->last_qp.cq_entries, ==, 64);
    g_assert_cmpuint(f->last_qp.sq_gpa, ==, 0x90000);
    g_assert_cmpuint(f->last_qp.sq_entries, ==, 128);
    g_assert_cmpuint(f->last_qp.vector, ==, 2);
    g_assert_true(f->last_qp.irq_enabled);
    g_assert_cmpuint(f->regs.sq_size[1], ==, 128);

    /* a second SQ on the same CQ can't share a hardware CQ */
    g_assert_cmpuint(submit(f, create_sq_cmd(2, 64, 1, 0xa0000), NULL), ==,
                     ST_SPECIFIC(NVME_SC_CQ_INVALID));
    /* CQ with an SQ still bound */
    g_assert_cmpuint(submit(f, del, NULL), ==, ST_SPECIFIC(NVME_SC_INVALID_QUEUE));
    del.opcode = nvme_admin_delete_sq;
    g_assert_cmpuint(submit(f, del, NULL), ==, 0);
    g_assert_cmpstr(f->log->str, ==, "create(1,1);delete(1);");
    g_assert_cmpuint(f->regs.sq_size[1], ==, 0);
    g_assert_cmpuint(submit(f, del, NULL), ==, ST_SPECIFIC(NVME_SC_QID_INVALID));
    del.opcode = nvme_admin_delete_cq;
    g_assert_cmpuint(submit(f, del, NULL), ==, 0);
    g_assert_cmpuint(f->regs.cq_size[1], ==, 0);

    /* the backend's refusal reaches the guest and leaves no SQ behind */
    g_assert_cmpuint(submit(f, create_cq_cmd(2, 64, 1, 0x80000, TRUE), NULL), ==, 0);
    f->create_status = ST_GENERIC(NVME_SC_INTERNAL);
    g_assert_cmpuint(submit(f, create_sq_cmd(2, 64, 2, 0x90000), NULL), ==,
                     ST_GENERIC(NVME_SC_INTERNAL));
    g_assert_null(nvp_admin_get_sq(f->admin, 2));

    /* queue IDs past the grant (2 pairs; the tables hold 3 entries) are refused, never looked up */
    g_assert_cmpuint(submit(f, create_sq_cmd(3, 64, 2, 0x90000), NULL), ==,
                     ST_SPECIFIC(NVME_SC_QID_INVALID));
    g_assert_cmpuint(submit(f, create_sq_cmd(2, 64, 3, 0x90000), NULL), ==,
                     ST_SPECIFIC(NVME_SC_CQ_INVALID));
    del = (NvpNvmeSqe){ .opcode = nvme_admin_delete_sq, .cdw10 = 64 };
    g_assert_cmpuint(submit(f, del, NULL), ==, ST_SPECIFIC(NVME_SC_QID_INVALID));
    del = (NvpNvmeSqe){ .opcode = nvme_admin_delete_cq, .cdw10 = 0xffff };
    g_assert_cmpuint(submit(f, del, NULL), ==, ST_SPECIFIC(NVME_SC_QID_INVALID));
    g_assert_null(nvp_admin_get_cq(f->admin, 3));
    g_assert_null(nvp_admin_get_sq(f->admin, 64));
    g_assert_null(nvp_admin_get_cq(f->admin, 0xffff));
    g_assert_cmpstr(f->log->str, ==, "create(1,1);delete(1);create(2,2);");
}

/* Controller reset deletes every hardware queue pair. */
static void
test_reset(Fixture *f, gconstpointer data)
{
    NvpRegsEvent ev;

    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, 0x80000, TRUE), NULL), ==, 0);
    g_assert_cmpuint(submit(f, create_sq_cmd(1, 64, 1, 0x90000), NULL), ==, 0);
    g_assert_cmpuint(submit(f, create_cq_cmd(2, 64, 2, 0xa0000, TRUE), NULL), ==, 0);
    g_assert_cmpuint(submit(f, create_sq_cmd(2, 64, 2, 0xb0000), NULL), ==, 0);
    nvp_regs_write(&f->regs, NVP_NVME_REG_CC, 4, 0, &ev);
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_DISABLE);
    nvp_admin_reset(f->admin);
    g_assert_cmpstr(f->log->str, ==, "create(1,1);create(2,2);delete(1);delete(2);");
    g_assert_null(nvp_admin_get_cq(f->admin, 1));
    g_assert_null(nvp_admin_get_sq(f->admin, 2));
}

/* Every command the slice does not offer is an Invalid Command Opcode with DNR. */
static void
test_refused(Fixture *f, gconstpointer data)
{
    guint8 ops[] = { nvme_admin_format_nvm,
                     nvme_admin_sanitize_nvm,
                     nvme_admin_fw_commit,
                     nvme_admin_fw_download,
                     nvme_admin_ns_mgmt,
                     nvme_admin_ns_attach,
                     nvme_admin_security_send,
                     nvme_admin_security_recv,
                     nvme_admin_virtual_mgmt,
                     nvme_admin_dev_self_test,
                     nvme_admin_directive_send,
                     nvme_admin_dbbuf,
                     nvme_admin_get_lba_status,
                     0x03,
                     0x07,
                     0xc0,
                     0xc5,
                     0xff };

    for (guint i = 0; i < G_N_ELEMENTS(ops); i++) {
        NvpNvmeSqe c = { .opcode = ops[i], .nsid = 1, .prp1 = DATA };
        g_assert_cmpuint(submit(f, c, NULL), ==, ST_GENERIC(NVME_SC_INVALID_OPCODE));
    }
    g_assert_cmpuint(nvp_admin_get_stats(f->admin)->invalid_opcode, ==, G_N_ELEMENTS(ops));
    g_assert_cmpstr(f->log->str, ==, "");
    /* fused or SGL admin commands */
    {
        NvpNvmeSqe c = identify_cmd(NVME_IDENTIFY_CNS_CTRL, 0);
        c.flags = 0x40;
        g_assert_cmpuint(submit(f, c, NULL), ==, ST_GENERIC(NVME_SC_INVALID_FIELD));
    }
}

/* Abort is translated to the backend for I/O queues. */
static void
test_abort(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe c = { .opcode = nvme_admin_abort_cmd, .cdw10 = 1 | (77u << 16) };
    guint32 dw0 = 5;

    g_assert_cmpuint(submit(f, c, &dw0), ==, 0); /* no such SQ: not aborted */
    g_assert_cmpuint(dw0, ==, 1);
    g_assert_cmpuint(submit(f, create_cq_cmd(1, 64, 1, 0x80000, TRUE), NULL), ==, 0);
    g_assert_cmpuint(submit(f, create_sq_cmd(1, 64, 1, 0x90000), NULL), ==, 0);
    g_assert_cmpuint(submit(f, c, &dw0), ==, 0);
    g_assert_cmpuint(dw0, ==, 0);
    g_assert_cmpstr(f->log->str, ==, "create(1,1);abort(1,77);");
}

/* AERs stay outstanding; the fifth exceeds AERL; an error event completes one. */
static void
test_aer(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe c = { .opcode = nvme_admin_async_event };
    NvpNvmeCqe *cqe;

    for (guint i = 0; i <= NVP_ADMIN_AERL; i++)
        g_assert_cmpuint(submit(f, c, NULL), ==, 0xffff);
    g_assert_cmpuint(submit(f, c, NULL), ==, ST_SPECIFIC(NVME_SC_ASYNC_LIMIT));
    cqe = (NvpNvmeCqe *)(f->ram + ACQ) + f->cq_head;
    nvp_admin_error_event(f->admin, NVP_REGS_AEI_INVALID_DB_VALUE);
    g_assert_cmpuint(cqe->status, ==, f->cq_phase);
    g_assert_cmpuint(cqe->dw0, ==,
                     (NVP_REGS_AEI_INVALID_DB_VALUE << 8) | (NVME_LOG_LID_ERROR << 16));
    f->cq_head++;
    /* masked until the error log is read */
    nvp_admin_error_event(f->admin, NVP_REGS_AEI_INVALID_DB_VALUE);
    cqe = (NvpNvmeCqe *)(f->ram + ACQ) + f->cq_head;
    g_assert_cmpuint(cqe->status & 1, !=, f->cq_phase);
    g_assert_cmpuint(nvp_admin_get_stats(f->admin)->aer_events, ==, 1);
}

/* The admin CQ wraps with a phase flip, and a full CQ holds commands back until the head moves. */
static void
test_ring_wrap_and_full(Fixture *f, gconstpointer data)
{
    NvpNvmeSqe c = { .opcode = nvme_admin_keep_alive };
    NvpNvmeCqe *cq = (NvpNvmeCqe *)(f->ram + ACQ);

    for (guint i = 0; i < 20; i++)
        g_assert_cmpuint(submit(f, c, NULL), ==, 0);
    /* now fill the CQ without moving its head: 7 of 8 slots usable, then one more command */
    for (guint i = 0; i < 7; i++) {
        memcpy(f->ram + ASQ + f->sq_tail * 64u, &c, 64);
        f->sq_tail = (f->sq_tail + 1) % 8;
    }
    nvp_admin_sq_tail(f->admin, f->sq_tail);
    memcpy(f->ram + ASQ + f->sq_tail * 64u, &c, 64);
    f->sq_tail = (f->sq_tail + 1) % 8;
    nvp_admin_sq_tail(f->admin, f->sq_tail);
    {
        guint16 last = (f->cq_head + 6) % 8;
        guint16 blocked = (f->cq_head + 7) % 8;
        guint8 ph_last = f->cq_head + 6 >= 8 ? f->cq_phase ^ 1 : f->cq_phase;
        guint8 ph_blocked = f->cq_head + 7 >= 8 ? f->cq_phase ^ 1 : f->cq_phase;

        g_assert_cmpuint(cq[last].status & 1, ==, ph_last);
        g_assert_cmpuint(cq[blocked].status & 1, !=, ph_blocked);
        /* the guest consumes one: the held-back command completes */
        nvp_admin_cq_head(f->admin, (f->cq_head + 1) % 8);
        g_assert_cmpuint(cq[blocked].status & 1, ==, ph_blocked);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) \
    g_test_add("/vctrl/admin/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
    ADD("identify-ctrl", test_identify_ctrl);
    ADD("identify-ns", test_identify_ns);
    ADD("bad-buffer", test_bad_buffer);
    ADD("log-pages", test_log_pages);
    ADD("num-queues", test_num_queues);
    ADD("features", test_features);
    ADD("queues", test_queues);
    ADD("reset", test_reset);
    ADD("refused", test_refused);
    ADD("abort", test_abort);
    ADD("aer", test_aer);
    ADD("ring-wrap-and-full", test_ring_wrap_and_full);
    return g_test_run();
}
