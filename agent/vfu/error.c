/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error domain of agent/vfu. */
#include "agent/vfu/error.h"

G_DEFINE_QUARK(nvp - vfu - error - quark, nvp_vfu_error)
