/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A software stand-in for agent/hw with an SSD model that checks what it is asked to reach
 * (tests/fuzz/fakectrl.c), for the fuzz-slice target. */
#pragma once

#include <glib.h>

#include "agent/hw/ctrl.h"
#include "agent/vctrl/sqe.h"

#define FAKE_MAX_QPAIRS 8

typedef struct {
    guint64 iova;
    guint64 len;
} FakeRange;

typedef struct {
    gboolean live;
    guint64 cq_iova;
    guint32 cq_entries;
    guint64 sq_iova;
    guint32 sq_entries;
    volatile guint32 sq_db;
    volatile guint32 cq_db;
    guint32 sq_head;      /* next SQE the SSD fetches */
    FakeRange reach[256]; /* what fetched commands point at (no completions: all in flight) */
    guint n_reach;
    gboolean reach_overflow;
} FakeQpair;

/* What the slice may reach. window_base/size are filled in by nvp_hw_ctrl_window_alloc(). */
typedef struct {
    gboolean strict;
    guint32 nsid;
    guint64 lba_start;
    guint64 lba_count;
    guint64 window_base;
    guint64 window_size;
} FakeSlice;

NvpHwCtrl *fake_ctrl_new(const FakeSlice *slice);
/* Checks that no queue pair is left. */
void fake_ctrl_free(NvpHwCtrl *c);
/* The SSD fetches and checks every command rung since the last call. */
void fake_ctrl_run_ssd(NvpHwCtrl *c);
guint64 fake_ctrl_n_fetched(NvpHwCtrl *c);
