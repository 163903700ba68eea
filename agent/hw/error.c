/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error domain of agent/hw. */
#include "agent/hw/error.h"

/* clang-format off */
G_DEFINE_QUARK(nvp-hw-error-quark, nvp_hw_error)
/* clang-format on */
