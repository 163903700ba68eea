/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepoold: the per-host agent (placeholder until the Foundation issue fills it in). */
#include <glib.h>

int
main(int argc, char **argv)
{
    return 0;
}
