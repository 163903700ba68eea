/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Slices given on the daemon's command line (--slice), before the control plane exists: adopts
 * the controllers they name, serves one virtual controller per slice, dumps their counters. */
#pragma once

#include <glib.h>

#include "agent/vctrl/vctrl.h"

typedef struct _NvpSlices NvpSlices;

/* Parses one --slice value:
 *   ctrl=0000:00:04.0,nsid=1,lba-start=N,lba-count=N,queues=2,mode=strict|trusted,socket=PATH
 *   [,name=NAME][,uid=N][,gid=N][,serial=S][,entries=N]
 * into cfg (strings point into the returned key/value table, which the caller frees). */
gboolean nvp_slices_parse(const char *spec, NvpVctrlConfig *cfg, char **ctrl_addr, GHashTable **kv,
                          GError **error);

/* Adopts every controller named and creates every slice; stats_file (may be NULL) receives the
 * counters of all slices on SIGUSR1 and at exit. */
NvpSlices *nvp_slices_new(char **specs, const char *stats_file, GError **error);
void nvp_slices_free(NvpSlices *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpSlices, nvp_slices_free)

void nvp_slices_dump_stats(NvpSlices *s, GString *out);
gboolean nvp_slices_write_stats(NvpSlices *s, GError **error);
