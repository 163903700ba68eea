/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepool: the libvirt-side CLI (placeholder until the Foundation issue fills it in). */
#include <glib.h>

int
main(int argc, char **argv)
{
    return 0;
}
