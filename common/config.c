/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Agent configuration: GKeyFile loading of agent.conf against a table of known keys with types,
 * ranges and defaults. Unknown groups/keys and bad values are errors naming the key and line. */
#include "common/config.h"

#include <string.h>

#include "common/i18n.h"

G_DEFINE_QUARK(nvp-config-error-quark, nvp_config_error)

static const char *const log_levels[] = {
    "error", "critical", "warning", "message", "info", "debug", NULL,
};

static const char *const slice_modes[] = { "strict", "trusted", NULL };

/*
 * Every key agent.conf may hold: one entry per key. Keep data/agent.conf (the commented example
 * installed to /etc) and docs/virt-nvmepoold.8.scd in step; tests/common/test-config.c checks the
 * example lists every key with its default.
 */
static const NvpConfigKey config_keys[] = {
    { "agent", "log_level", NVP_CONFIG_TYPE_ENUM, 0, 0, log_levels, "message",
      "least severe log level written (debug needs --verbose or this)" },
    { "agent", "state_dir", NVP_CONFIG_TYPE_PATH, 0, 0, NULL, NVP_STATEDIR,
      "directory of the persistent state store" },
    { "agent", "run_dir", NVP_CONFIG_TYPE_PATH, 0, 0, NULL, NVP_RUNDIR,
      "directory of runtime sockets (API, vfio-user endpoints)" },
    { "limits", "max_slices_per_controller", NVP_CONFIG_TYPE_UINT, 1, 1024, NULL, "64",
      "slices one physical controller may serve at once" },
    { "limits", "max_queue_pairs_per_slice", NVP_CONFIG_TYPE_UINT, 1, 256, NULL, "16",
      "hardware I/O queue pairs one slice may hold" },
    { "limits", "max_queue_depth", NVP_CONFIG_TYPE_UINT, 2, 65536, NULL, "1024",
      "entries of one guest I/O queue" },
    { "limits", "max_dma_regions", NVP_CONFIG_TYPE_UINT, 1, 1024, NULL, "64",
      "vfio-user DMA regions one client may map" },
    { "slices", "default_mode", NVP_CONFIG_TYPE_ENUM, 0, 0, slice_modes, "strict",
      "submission mode of slices that do not ask for one" },
    { "slices", "allow_trusted", NVP_CONFIG_TYPE_BOOL, 0, 0, NULL, "false",
      "whether trusted (unvalidated, LightIOV) mode may be requested at all" },
};

struct _NvpConfig {
    char *source;
    GHashTable *values; /* "group\nkey" -> value string */
};

const NvpConfigKey *
nvp_config_keys(guint *n_keys)
{
    *n_keys = G_N_ELEMENTS(config_keys);
    return config_keys;
}

const char *
nvp_config_default_path(void)
{
    return NVP_SYSCONFDIR "/agent.conf";
}

static const NvpConfigKey *
nvp_config_find(const char *group, const char *key)
{
    for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
        if (g_str_equal(config_keys[i].group, group) && g_str_equal(config_keys[i].key, key))
            return &config_keys[i];
    }
    return NULL;
}

static gboolean
nvp_config_group_known(const char *group)
{
    for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
        if (g_str_equal(config_keys[i].group, group))
            return TRUE;
    }
    return FALSE;
}

static char *
nvp_config_id(const char *group, const char *key)
{
    return g_strconcat(group, "\n", key, NULL);
}

NvpConfig *
nvp_config_new(void)
{
    NvpConfig *cfg = g_new0(NvpConfig, 1);

    cfg->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++)
        g_hash_table_insert(cfg->values, nvp_config_id(config_keys[i].group, config_keys[i].key),
                            g_strdup(config_keys[i].def));
    return cfg;
}

void
nvp_config_free(NvpConfig *cfg)
{
    if (!cfg)
        return;
    g_free(cfg->source);
    g_clear_pointer(&cfg->values, g_hash_table_unref);
    g_free(cfg);
}

const char *
nvp_config_get_source(const NvpConfig *cfg)
{
    return cfg->source;
}

/* Checks @value against @k; on failure sets an error naming file, line, group and key. */
static gboolean
nvp_config_check_value(const NvpConfigKey *k, const char *value, const char *name, guint line,
                       GError **error)
{
    g_autoptr(GError) local = NULL;
    guint64 v;

    switch (k->type) {
    case NVP_CONFIG_TYPE_BOOL:
        if (g_str_equal(value, "true") || g_str_equal(value, "false"))
            return TRUE;
        g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                    _("%s:%u: [%s] %s must be 'true' or 'false', not '%s'."), name, line, k->group,
                    k->key, value);
        return FALSE;
    case NVP_CONFIG_TYPE_UINT:
        if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXUINT64, &v, &local)) {
            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                        _("%s:%u: [%s] %s must be an unsigned decimal number, not '%s'."), name,
                        line, k->group, k->key, value);
            return FALSE;
        }
        if (v < k->min || v > k->max) {
            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                        _("%s:%u: [%s] %s = %s is out of range (%llu..%llu)."), name, line,
                        k->group, k->key, value, (unsigned long long)k->min,
                        (unsigned long long)k->max);
            return FALSE;
        }
        return TRUE;
    case NVP_CONFIG_TYPE_STRING:
        if (*value)
            return TRUE;
        g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                    _("%s:%u: [%s] %s must not be empty."), name, line, k->group, k->key);
        return FALSE;
    case NVP_CONFIG_TYPE_PATH:
        if (g_path_is_absolute(value))
            return TRUE;
        g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                    _("%s:%u: [%s] %s must be an absolute path, not '%s'."), name, line, k->group,
                    k->key, value);
        return FALSE;
    case NVP_CONFIG_TYPE_ENUM:
        if (g_strv_contains(k->choices, value))
            return TRUE;
        {
            g_autofree char *choices = g_strjoinv(", ", (char **)k->choices);

            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE,
                        _("%s:%u: [%s] %s must be one of %s, not '%s'."), name, line, k->group,
                        k->key, choices, value);
        }
        return FALSE;
    }
    g_return_val_if_reached(FALSE);
}

/*
 * GKeyFile does not tell where a key was, so the text is scanned here with GKeyFile's line rules
 * (leading blanks ignored, '#' comments, "[group]", "key=value") to record the line of every group
 * and key, and to reject lines, keys or groups GKeyFile would accept silently (duplicates, keys
 * before any group, locale variants). Values are then read through GKeyFile itself so escapes
 * mean what GKeyFile says they mean.
 */
static gboolean
nvp_config_scan(const char *text, const char *name, GHashTable *lines, GError **error)
{
    g_auto(GStrv) rows = g_strsplit(text, "\n", -1);
    g_autofree char *group = NULL;
    g_autoptr(GHashTable) groups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; rows[i]; i++) {
        guint line = i + 1;
        const char *row = rows[i];
        const char *eq;
        g_autofree char *key = NULL;

        while (g_ascii_isspace(*row))
            row++;
        if (*row == '\0' || *row == '#')
            continue;
        if (*row == '[') {
            const char *close = strchr(row, ']');
            g_autofree char *rest = NULL;

            if (!close) {
                g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_SYNTAX,
                            _("%s:%u: group header '%s' has no closing ']'."), name, line, row);
                return FALSE;
            }
            rest = g_strstrip(g_strdup(close + 1));
            if (*rest) {
                g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_SYNTAX,
                            _("%s:%u: unexpected text '%s' after group header."), name, line, rest);
                return FALSE;
            }
            g_free(group);
            group = g_strndup(row + 1, close - row - 1);
            if (!nvp_config_group_known(group)) {
                g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_UNKNOWN,
                            _("%s:%u: unknown group [%s]."), name, line, group);
                return FALSE;
            }
            if (g_hash_table_contains(groups, group)) {
                g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_DUPLICATE,
                            _("%s:%u: group [%s] appears a second time (first on line %u)."), name,
                            line, group, GPOINTER_TO_UINT(g_hash_table_lookup(groups, group)));
                return FALSE;
            }
            g_hash_table_insert(groups, g_strdup(group), GUINT_TO_POINTER(line));
            continue;
        }
        eq = strchr(row, '=');
        if (!eq) {
            g_autofree char *shown = g_strchomp(g_strdup(row));

            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_SYNTAX,
                        _("%s:%u: '%s' is not a group header, a key=value pair or a comment."),
                        name, line, shown);
            return FALSE;
        }
        key = g_strstrip(g_strndup(row, eq - row));
        if (!group) {
            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_SYNTAX,
                        _("%s:%u: key '%s' comes before any [group] header."), name, line, key);
            return FALSE;
        }
        if (!nvp_config_find(group, key)) {
            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_UNKNOWN,
                        _("%s:%u: unknown key '%s' in group [%s]."), name, line, key, group);
            return FALSE;
        }
        {
            g_autofree char *id = nvp_config_id(group, key);
            guint first = GPOINTER_TO_UINT(g_hash_table_lookup(lines, id));

            if (first) {
                g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_DUPLICATE,
                            _("%s:%u: [%s] %s is set a second time (first on line %u)."), name,
                            line, group, key, first);
                return FALSE;
            }
            g_hash_table_insert(lines, g_steal_pointer(&id), GUINT_TO_POINTER(line));
        }
    }
    return TRUE;
}

NvpConfig *
nvp_config_load_data(const char *text, const char *name, GError **error)
{
    g_autoptr(NvpConfig) cfg = nvp_config_new();
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GHashTable) lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GError) local = NULL;

    g_return_val_if_fail(text != NULL, NULL);
    if (!name)
        name = "<config>";

    if (!nvp_config_scan(text, name, lines, error))
        return NULL;
    if (!g_key_file_load_from_data(kf, text, -1, G_KEY_FILE_NONE, &local)) {
        g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_SYNTAX, "%s: %s", name,
                    local->message);
        return NULL;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(config_keys); i++) {
        const NvpConfigKey *k = &config_keys[i];
        g_autofree char *id = nvp_config_id(k->group, k->key);
        guint line = GPOINTER_TO_UINT(g_hash_table_lookup(lines, id));
        g_autofree char *value = NULL;

        if (!line)
            continue;
        value = g_key_file_get_string(kf, k->group, k->key, &local);
        if (!value) {
            g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_VALUE, "%s:%u: [%s] %s: %s", name,
                        line, k->group, k->key, local->message);
            return NULL;
        }
        g_strstrip(value);
        if (!nvp_config_check_value(k, value, name, line, error))
            return NULL;
        g_hash_table_replace(cfg->values, g_steal_pointer(&id), g_steal_pointer(&value));
    }
    cfg->source = g_strdup(name);
    return g_steal_pointer(&cfg);
}

NvpConfig *
nvp_config_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) local = NULL;
    gboolean explicit = path != NULL;

    if (!path)
        path = nvp_config_default_path();
    if (!g_file_get_contents(path, &text, NULL, &local)) {
        if (!explicit && g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            return nvp_config_new();
        g_set_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_IO,
                    _("Cannot read configuration file: %s"), local->message);
        return NULL;
    }
    return nvp_config_load_data(text, path, error);
}

static const char *
nvp_config_lookup(const NvpConfig *cfg, const char *group, const char *key, NvpConfigType type)
{
    const NvpConfigKey *k;
    g_autofree char *id = NULL;

    g_return_val_if_fail(cfg != NULL, NULL);
    k = nvp_config_find(group, key);
    g_return_val_if_fail(k != NULL, NULL);
    if (type == NVP_CONFIG_TYPE_STRING)
        g_return_val_if_fail(k->type == NVP_CONFIG_TYPE_STRING || k->type == NVP_CONFIG_TYPE_PATH ||
                                 k->type == NVP_CONFIG_TYPE_ENUM,
                             NULL);
    else
        g_return_val_if_fail(k->type == type, NULL);
    id = nvp_config_id(group, key);
    return g_hash_table_lookup(cfg->values, id);
}

gboolean
nvp_config_get_bool(const NvpConfig *cfg, const char *group, const char *key)
{
    const char *v = nvp_config_lookup(cfg, group, key, NVP_CONFIG_TYPE_BOOL);

    return v && g_str_equal(v, "true");
}

guint64
nvp_config_get_uint(const NvpConfig *cfg, const char *group, const char *key)
{
    const char *v = nvp_config_lookup(cfg, group, key, NVP_CONFIG_TYPE_UINT);

    return v ? g_ascii_strtoull(v, NULL, 10) : 0;
}

const char *
nvp_config_get_string(const NvpConfig *cfg, const char *group, const char *key)
{
    return nvp_config_lookup(cfg, group, key, NVP_CONFIG_TYPE_STRING);
}
