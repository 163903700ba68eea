/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* gettext macros for every user-facing string (po/POTFILES.in lists the users). */
#pragma once

#include <glib/gi18n-lib.h>
