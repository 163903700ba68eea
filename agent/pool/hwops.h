/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The pool's hardware operations over agent/hw (VFIO) and agent/vctrl (slice endpoints), for the
 * daemon. Unit tests use a double instead (tests/pool/fakehw.c). */
#pragma once

#include "agent/pool/pool.h"

/* ops_data for these ops: NULL. */
extern const NvpPoolHwOps nvp_pool_hw_ops;
