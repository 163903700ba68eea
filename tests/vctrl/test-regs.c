/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the virtual controller's BAR0 register file (agent/vctrl/regs.c). */
#include "agent/vctrl/regs.h"

static const NvpRegsConfig cfg = { .mqes = 1023, .timeout = 30, .n_io_queues = 2 };

static guint64
rd(NvpRegs *r, guint64 off, guint32 len)
{
    guint64 v = 0xdeadbeef;

    g_assert_true(nvp_regs_read(r, off, len, &v));
    return v;
}

static NvpRegsEventType
wr(NvpRegs *r, guint64 off, guint32 len, guint64 val)
{
    NvpRegsEvent ev;

    g_assert_true(nvp_regs_write(r, off, len, val, &ev));
    return ev.type;
}

static void
enable(NvpRegs *r)
{
    wr(r, NVP_NVME_REG_AQA, 4, (31u << 16) | 31u);
    wr(r, NVP_NVME_REG_ASQ, 8, 0x10000);
    wr(r, NVP_NVME_REG_ACQ, 4, 0x20000);
    wr(r, NVP_NVME_REG_ACQ + 4, 4, 0x1);
    g_assert_cmpint(wr(r, NVP_NVME_REG_CC, 4,
                       NVP_NVME_CC_EN | NVP_NVME_CC_IOSQES(6) | NVP_NVME_CC_IOCQES(4)),
                    ==, NVP_REGS_EVENT_ENABLE);
}

/* CAP advertises MQES, TO, DSTRD 0, CQR, NVM command set, 4 KiB pages; VS is 1.4. */
static void
test_cap_vs(void)
{
    NvpRegs r;
    guint64 cap;

    nvp_regs_init(&r, &cfg);
    cap = rd(&r, NVP_NVME_REG_CAP, 8);
    g_assert_cmpuint(NVP_NVME_CAP_MQES(cap), ==, 1023);
    g_assert_cmpuint(NVP_NVME_CAP_TO(cap), ==, 30);
    g_assert_cmpuint(NVP_NVME_CAP_DSTRD(cap), ==, 0);
    g_assert_cmpuint(NVP_NVME_CAP_CQR(cap), ==, 1);
    g_assert_cmpuint(NVP_NVME_CAP_CSS(cap), ==, 1);
    g_assert_cmpuint(NVP_NVME_CAP_MPSMIN(cap), ==, 0);
    g_assert_cmpuint(NVP_NVME_CAP_MPSMAX(cap), ==, 0);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CAP + 4, 4), ==, cap >> 32);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_VS, 4), ==, 0x10400);
    /* read-only */
    wr(&r, NVP_NVME_REG_CAP, 8, 0);
    wr(&r, NVP_NVME_REG_VS, 4, 0);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CAP, 8), ==, cap);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_VS, 4), ==, 0x10400);
    g_assert_cmpuint(rd(&r, 0x3c, 4), ==, 0);
    g_assert_cmpuint(rd(&r, 0x1000, 4), ==, 0);
    /* out of the BAR */
    {
        guint64 v;
        g_assert_false(nvp_regs_read(&r, NVP_REGS_BAR0_SIZE, 4, &v));
        g_assert_false(nvp_regs_read(&r, NVP_REGS_BAR0_SIZE - 2, 4, &v));
        g_assert_false(nvp_regs_read(&r, 0, 3, &v));
    }
}

/* Enable -> RDY; disable -> reset of everything but counters; re-enable works. */
static void
test_enable_disable(void)
{
    NvpRegs r;

    nvp_regs_init(&r, &cfg);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4), ==, 0);
    enable(&r);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4), ==, NVP_NVME_CSTS_RDY);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_ASQ, 8), ==, 0x10000);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_ACQ, 8), ==, 0x100020000ull);
    g_assert_cmpuint(r.sq_size[0], ==, 32);
    g_assert_cmpuint(r.cq_size[0], ==, 32);
    g_assert_cmpuint(nvp_regs_iosqes(&r), ==, 6);
    g_assert_cmpuint(nvp_regs_iocqes(&r), ==, 4);
    /* admin attributes are frozen while enabled */
    wr(&r, NVP_NVME_REG_ASQ, 8, 0x50000);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_ASQ, 8), ==, 0x10000);
    /* a second EN=1 write is no event */
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, rd(&r, NVP_NVME_REG_CC, 4)), ==,
                    NVP_REGS_EVENT_NONE);
    nvp_regs_set_sq(&r, 1, 64);
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, 0), ==, NVP_REGS_EVENT_DISABLE);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4), ==, 0);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_AQA, 4), ==, 0);
    g_assert_cmpuint(r.sq_size[1], ==, 0);
    g_assert_cmpuint(r.sq_size[0], ==, 0);
    g_assert_cmpuint(r.n_resets, ==, 1);
    enable(&r);
    g_assert_cmpuint(r.n_enables, ==, 2);
    /* disable while disabled: nothing */
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, 0), ==, NVP_REGS_EVENT_DISABLE);
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, 0), ==, NVP_REGS_EVENT_NONE);
}

/* Enable with a bad configuration sets CFS instead of RDY. */
static void
test_enable_invalid(void)
{
    NvpRegs r;

    nvp_regs_init(&r, &cfg);
    /* no admin queue configured */
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, NVP_NVME_CC_EN), ==, NVP_REGS_EVENT_NONE);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4) & NVP_NVME_CSTS_CFS, !=, 0);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4) & NVP_NVME_CSTS_RDY, ==, 0);

    nvp_regs_init(&r, &cfg);
    wr(&r, NVP_NVME_REG_AQA, 4, (7u << 16) | 7u);
    wr(&r, NVP_NVME_REG_ASQ, 8, 0x10000);
    wr(&r, NVP_NVME_REG_ACQ, 8, 0x20000);
    /* MPS = 8 KiB is not supported */
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, NVP_NVME_CC_EN | NVP_NVME_CC_MPS(1)), ==,
                    NVP_REGS_EVENT_NONE);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4), ==, NVP_NVME_CSTS_CFS);
}

/* Normal shutdown reports SHST complete; clearing SHN clears it. */
static void
test_shutdown(void)
{
    NvpRegs r;
    guint32 cc;

    nvp_regs_init(&r, &cfg);
    enable(&r);
    cc = (guint32)rd(&r, NVP_NVME_REG_CC, 4);
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, cc | NVP_NVME_CC_SHN_NORMAL), ==,
                    NVP_REGS_EVENT_SHUTDOWN);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4) & NVP_NVME_CSTS_SHST_MASK, ==,
                     NVP_NVME_CSTS_SHST_CMPLT);
    g_assert_cmpuint(r.n_shutdowns, ==, 1);
    /* then disable, as Linux does */
    g_assert_cmpint(wr(&r, NVP_NVME_REG_CC, 4, 0), ==, NVP_REGS_EVENT_DISABLE);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_CSTS, 4), ==, 0);
}

static void
test_intms(void)
{
    NvpRegs r;

    nvp_regs_init(&r, &cfg);
    wr(&r, NVP_NVME_REG_INTMS, 4, 0x5);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_INTMS, 4), ==, 0x5);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_INTMC, 4), ==, 0x5);
    wr(&r, NVP_NVME_REG_INTMC, 4, 0x1);
    g_assert_cmpuint(rd(&r, NVP_NVME_REG_INTMS, 4), ==, 0x4);
}

/* Doorbells decode to (qid, SQ/CQ, value); bad queue or value is counted, not acted on. */
static void
test_doorbells(void)
{
    NvpRegs r;
    NvpRegsEvent ev;

    nvp_regs_init(&r, &cfg);
    /* before enable every doorbell is bad */
    g_assert_true(nvp_regs_write(&r, 0x1000, 4, 1, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    enable(&r);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_sq_doorbell_offset(0, 0), 4, 5, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_SQ_TAIL);
    g_assert_cmpuint(ev.qid, ==, 0);
    g_assert_cmpuint(ev.value, ==, 5);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_cq_doorbell_offset(0, 0), 4, 31, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_CQ_HEAD);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_cq_doorbell_offset(0, 0), 4, 32, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    g_assert_cmpuint(ev.value, ==, NVP_REGS_AEI_INVALID_DB_VALUE);
    /* queue 1 not created yet */
    g_assert_true(nvp_regs_write(&r, nvp_nvme_sq_doorbell_offset(1, 0), 4, 0, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    g_assert_cmpuint(ev.value, ==, NVP_REGS_AEI_INVALID_DB_REGISTER);
    nvp_regs_set_sq(&r, 1, 128);
    nvp_regs_set_cq(&r, 1, 256);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_sq_doorbell_offset(1, 0), 4, 127, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_SQ_TAIL);
    g_assert_cmpuint(ev.qid, ==, 1);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_sq_doorbell_offset(1, 0), 4, 128, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    g_assert_true(nvp_regs_write(&r, nvp_nvme_cq_doorbell_offset(1, 0), 4, 200, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_CQ_HEAD);
    g_assert_cmpuint(ev.value, ==, 200);
    /* beyond the granted queues */
    g_assert_true(nvp_regs_write(&r, nvp_nvme_sq_doorbell_offset(3, 0), 4, 0, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    /* misaligned / wrong size */
    g_assert_true(nvp_regs_write(&r, 0x1002, 2, 0, &ev));
    g_assert_cmpint(ev.type, ==, NVP_REGS_EVENT_BAD_DOORBELL);
    g_assert_cmpuint(r.n_doorbells, ==, 4);
    g_assert_cmpuint(r.n_bad_doorbells, ==, 6);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vctrl/regs/cap-vs", test_cap_vs);
    g_test_add_func("/vctrl/regs/enable-disable", test_enable_disable);
    g_test_add_func("/vctrl/regs/enable-invalid", test_enable_invalid);
    g_test_add_func("/vctrl/regs/shutdown", test_shutdown);
    g_test_add_func("/vctrl/regs/intms", test_intms);
    g_test_add_func("/vctrl/regs/doorbells", test_doorbells);
    return g_test_run();
}
