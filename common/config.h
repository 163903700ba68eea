/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Agent configuration: GKeyFile loading of agent.conf against a table of known keys with types,
 * ranges and defaults. Unknown groups/keys and bad values are errors naming the key and line. */
#pragma once

#include <glib.h>

#define NVP_CONFIG_ERROR (nvp_config_error_quark())
GQuark nvp_config_error_quark(void);

typedef enum {
    NVP_CONFIG_ERROR_IO,        /* the file cannot be read */
    NVP_CONFIG_ERROR_SYNTAX,    /* a line is not a group, key=value pair or comment */
    NVP_CONFIG_ERROR_UNKNOWN,   /* unknown group or key */
    NVP_CONFIG_ERROR_DUPLICATE, /* a group or key appears twice */
    NVP_CONFIG_ERROR_VALUE,     /* a value has the wrong type or is out of range */
} NvpConfigError;

typedef enum {
    NVP_CONFIG_TYPE_BOOL,   /* true/false */
    NVP_CONFIG_TYPE_UINT,   /* decimal, within [min, max] */
    NVP_CONFIG_TYPE_STRING, /* any text (non-empty) */
    NVP_CONFIG_TYPE_PATH,   /* an absolute path */
    NVP_CONFIG_TYPE_ENUM,   /* one of choices[] */
} NvpConfigType;

typedef struct {
    const char *group;
    const char *key;
    NvpConfigType type;
    guint64 min, max;           /* NVP_CONFIG_TYPE_UINT */
    const char *const *choices; /* NVP_CONFIG_TYPE_ENUM, NULL-terminated */
    const char *def;            /* default, as it would be written in the file */
    const char *help;           /* one line for docs and --help */
} NvpConfigKey;

typedef struct _NvpConfig NvpConfig;

/* The agent's keys (common/config.c has the table; add a key there, one entry per key). */
const NvpConfigKey *nvp_config_keys(guint *n_keys);

/* Default location: NVP_SYSCONFDIR "/agent.conf". */
const char *nvp_config_default_path(void);

/* All keys at their defaults. */
NvpConfig *nvp_config_new(void);

/* Load @path. If @path is NULL the default location is used and a missing file means "all
 * defaults"; an explicitly given file must exist. Errors read "FILE:LINE: ..." and name the key. */
NvpConfig *nvp_config_load(const char *path, GError **error);
/* Same, from text (@name is used in messages). */
NvpConfig *nvp_config_load_data(const char *text, const char *name, GError **error);

void nvp_config_free(NvpConfig *cfg);

/* The file loaded, or NULL for built-in defaults. */
const char *nvp_config_get_source(const NvpConfig *cfg);

/* Typed getters; asking for an unknown key or with the wrong type is a programming error
 * (g_return_val_if_fail). The value is the file's or the key's default. */
gboolean nvp_config_get_bool(const NvpConfig *cfg, const char *group, const char *key);
guint64 nvp_config_get_uint(const NvpConfig *cfg, const char *group, const char *key);
/* STRING, PATH and ENUM keys. */
const char *nvp_config_get_string(const NvpConfig *cfg, const char *group, const char *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpConfig, nvp_config_free)
