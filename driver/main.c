/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nvmepool: the libvirt-side CLI. Sets up locale and logging, then hands the command line
 * to the verb framework (driver/cmd.c). */
#include <locale.h>

#include "common/i18n.h"
#include "common/log.h"
#include "driver/cmd.h"

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    /* Diagnostics go to stderr; stdout is the command's output. */
    nvp_log_init(NVP_LOG_WARNING);
    return nvp_cmd_main(argc, argv);
}
