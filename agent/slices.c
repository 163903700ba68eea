/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command-line slices (--slice): controller adoption, one NvpVctrl per slice, hardware reset
 * dispatch, health checks and the stats dump (SIGUSR1 / exit). */
#include <glib-unix.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "agent/slices.h"

#include "agent/pool/health.h"
#include "common/i18n.h"

#define HEALTH_INTERVAL_S 1

typedef struct {
    char *addr;
    NvpHwCtrl *hw;
    NvpPoolHealth *health; /* armed while hw has live I/O queue pairs */
} SliceCtrl;

struct _NvpSlices {
    GPtrArray *ctrls;  /* SliceCtrl*, owned */
    GPtrArray *slices; /* NvpVctrl*, owned */
    char *stats_file;
    guint usr1_source;
};

static void
slice_ctrl_free(SliceCtrl *c)
{
    nvp_pool_health_free(c->health);
    g_free(c->addr);
    g_free(c);
}

static gboolean
parse_u64(GHashTable *kv, const char *key, gboolean required, guint64 max, guint64 *out,
          GError **error)
{
    const char *s = g_hash_table_lookup(kv, key);
    guint64 v;

    if (!s) {
        if (required) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("The slice needs '%s=' (see 'virt-nvmepoold --help')."), key);
            return FALSE;
        }
        return TRUE;
    }
    if (!g_ascii_string_to_unsigned(s, 10, 0, max, &v, NULL)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    _("'%1$s=%2$s' is not a number from 0 to %3$" G_GUINT64_FORMAT "."), key, s,
                    max);
        return FALSE;
    }
    *out = v;
    return TRUE;
}

gboolean
nvp_slices_parse(const char *spec, NvpVctrlConfig *cfg, char **ctrl_addr, GHashTable **kv_out,
                 GError **error)
{
    g_autoptr(GHashTable) kv = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) items = g_strsplit(spec, ",", -1);
    static const char *const known[] = { "ctrl",   "nsid",    "lba-start",   "lba-count", "queues",
                                         "mode",   "socket",  "name",        "uid",       "gid",
                                         "serial", "entries", "max-vectors", NULL };
    guint64 v = 0;
    const char *mode;

    for (guint i = 0; items[i]; i++) {
        char *eq = strchr(items[i], '=');

        if (!eq || eq == items[i]) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("'%s' in a slice is not KEY=VALUE."), items[i]);
            return FALSE;
        }
        *eq = '\0';
        if (!g_strv_contains(known, items[i])) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("'%s' is not a slice key (see 'virt-nvmepoold --help')."), items[i]);
            return FALSE;
        }
        g_hash_table_replace(kv, g_strdup(items[i]), g_strdup(eq + 1));
    }

    memset(cfg, 0, sizeof(*cfg));
    if (!g_hash_table_lookup(kv, "ctrl") || !g_hash_table_lookup(kv, "socket")) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    _("A slice needs at least ctrl=PCI-ADDRESS, socket=PATH and lba-count=N."));
        return FALSE;
    }
    v = 1;
    if (!parse_u64(kv, "nsid", FALSE, G_MAXUINT32 - 1, &v, error))
        return FALSE;
    cfg->nsid = (guint32)v;
    if (!parse_u64(kv, "lba-start", FALSE, G_MAXUINT64, &cfg->lba_start, error) ||
        !parse_u64(kv, "lba-count", TRUE, G_MAXUINT64, &cfg->lba_count, error))
        return FALSE;
    v = 1;
    if (!parse_u64(kv, "queues", FALSE, 64, &v, error))
        return FALSE;
    cfg->n_qpairs = (guint16)v;
    v = 0;
    if (!parse_u64(kv, "entries", FALSE, 65536, &v, error))
        return FALSE;
    cfg->max_queue_entries = (guint32)v;
    v = 0; /* hardware MSI-X vectors of the slice; beyond them its queues share (0: no limit) */
    if (!parse_u64(kv, "max-vectors", FALSE, 64, &v, error))
        return FALSE;
    cfg->max_hw_vectors = (guint16)v;
    mode = g_hash_table_lookup(kv, "mode");
    if (mode) {
        int m = nvp_vctrl_mode_from_string(mode);

        if (m < 0) {
            g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        _("'mode=%s' is neither 'strict' nor 'trusted'."), mode);
            return FALSE;
        }
        cfg->mode = (NvpVctrlMode)m;
    }
    if (g_hash_table_lookup(kv, "uid") || g_hash_table_lookup(kv, "gid")) {
        guint64 uid = getuid(), gid = getgid();

        if (!parse_u64(kv, "uid", FALSE, G_MAXUINT32, &uid, error) ||
            !parse_u64(kv, "gid", FALSE, G_MAXUINT32, &gid, error))
            return FALSE;
        cfg->set_owner = TRUE;
        cfg->uid = (uid_t)uid;
        cfg->gid = (gid_t)gid;
    }
    cfg->socket_path = g_hash_table_lookup(kv, "socket");
    cfg->name = g_hash_table_lookup(kv, "name");
    cfg->serial = g_hash_table_lookup(kv, "serial");
    *ctrl_addr = g_strdup(g_hash_table_lookup(kv, "ctrl"));
    *kv_out = g_steal_pointer(&kv);
    return TRUE;
}

static void
on_hw_reset(NvpHwCtrl *hw, const guint16 *lost, guint n_lost, gpointer data)
{
    NvpSlices *s = data;

    for (guint i = 0; i < s->slices->len; i++) {
        NvpVctrl *v = g_ptr_array_index(s->slices, i);

        if (nvp_vctrl_get_hw(v) == hw)
            nvp_vctrl_hw_lost_queues(v, lost, n_lost);
    }
}

static gboolean
on_health(gpointer data)
{
    g_autoptr(GError) error = NULL;

    if (!nvp_hw_ctrl_check_health(data, &error))
        g_warning("%s", error->message);
    return G_SOURCE_CONTINUE;
}

/* Any thread: the first I/O queue pair was created or the last one went away. */
static void
on_hw_queues(NvpHwCtrl *hw, gboolean live, gpointer data)
{
    nvp_pool_health_set_active(data, live);
}

static gboolean
on_usr1(gpointer data)
{
    NvpSlices *s = data;
    g_autoptr(GError) error = NULL;

    if (!nvp_slices_write_stats(s, &error))
        g_warning("%s", error->message);
    return G_SOURCE_CONTINUE;
}

static NvpHwCtrl *
get_ctrl(NvpSlices *s, const char *addr, GError **error)
{
    SliceCtrl *c;
    NvpHwCtrl *hw;

    for (guint i = 0; i < s->ctrls->len; i++) {
        c = g_ptr_array_index(s->ctrls, i);
        if (g_str_equal(c->addr, addr))
            return c->hw;
    }
    hw = nvp_hw_ctrl_adopt(addr, NULL, error);
    if (!hw)
        return NULL;
    nvp_hw_ctrl_set_reset_callback(hw, on_hw_reset, s);
    c = g_new0(SliceCtrl, 1);
    c->addr = g_strdup(addr);
    c->hw = hw;
    c->health = nvp_pool_health_new(HEALTH_INTERVAL_S * 1000, on_health, hw);
    nvp_hw_ctrl_set_queues_callback(hw, on_hw_queues, c->health);
    g_ptr_array_add(s->ctrls, c);
    return hw;
}

NvpSlices *
nvp_slices_new(char **specs, const char *stats_file, GError **error)
{
    g_autoptr(NvpSlices) s = g_new0(NvpSlices, 1);

    s->ctrls = g_ptr_array_new_with_free_func((GDestroyNotify)slice_ctrl_free);
    s->slices = g_ptr_array_new();
    s->stats_file = g_strdup(stats_file);

    for (guint i = 0; specs && specs[i]; i++) {
        g_autoptr(GHashTable) kv = NULL;
        g_autofree char *addr = NULL;
        NvpVctrlConfig cfg;
        NvpHwCtrl *hw;
        NvpVctrl *v;

        if (!nvp_slices_parse(specs[i], &cfg, &addr, &kv, error))
            return NULL;
        hw = get_ctrl(s, addr, error);
        if (!hw)
            return NULL;
        v = nvp_vctrl_new(hw, &cfg, error);
        if (!v) {
            g_prefix_error(error, _("Slice '%s': "), specs[i]);
            return NULL;
        }
        g_ptr_array_add(s->slices, v);
        g_message(_("Slice %1$s of %2$s ready (%3$s mode)."), nvp_vctrl_get_name(v), addr,
                  nvp_vctrl_mode_to_string(cfg.mode));
    }
    s->usr1_source = g_unix_signal_add(SIGUSR1, on_usr1, s);
    return g_steal_pointer(&s);
}

void
nvp_slices_dump_stats(NvpSlices *s, GString *out)
{
    for (guint i = 0; i < s->slices->len; i++)
        nvp_vctrl_dump_stats(g_ptr_array_index(s->slices, i), out);
}

gboolean
nvp_slices_write_stats(NvpSlices *s, GError **error)
{
    g_autoptr(GString) out = g_string_new(NULL);

    nvp_slices_dump_stats(s, out);
    if (!s->stats_file) {
        g_printerr("%s", out->str);
        return TRUE;
    }
    return g_file_set_contents(s->stats_file, out->str, (gssize)out->len, error);
}

void
nvp_slices_free(NvpSlices *s)
{
    if (!s)
        return;
    if (s->usr1_source)
        g_source_remove(s->usr1_source);
    if (s->slices) {
        if (s->slices->len > 0) {
            g_autoptr(GError) error = NULL;
            if (!nvp_slices_write_stats(s, &error))
                g_warning("%s", error->message);
        }
        /* slices before controllers: each slice deletes its hardware queues and unmaps its
         * window while the controller is still adopted */
        for (guint i = s->slices->len; i-- > 0;)
            nvp_vctrl_free(g_ptr_array_index(s->slices, i));
        g_ptr_array_unref(s->slices);
    }
    if (s->ctrls) {
        for (guint i = 0; i < s->ctrls->len; i++) {
            SliceCtrl *c = g_ptr_array_index(s->ctrls, i);
            nvp_hw_ctrl_set_queues_callback(c->hw, NULL, NULL);
            nvp_hw_ctrl_release(c->hw);
        }
        g_ptr_array_unref(s->ctrls);
    }
    g_free(s->stats_file);
    g_free(s);
}
