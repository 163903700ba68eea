/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Atomic state store: named blobs in one directory, each replaced atomically (write a temp file,
 * fsync it, rename over the old one, fsync the directory). A crash leaves old or new, never a mix. */
#pragma once

#include <glib.h>

#define NVP_STORE_ERROR (nvp_store_error_quark())
GQuark nvp_store_error_quark(void);

typedef enum {
    NVP_STORE_ERROR_IO,           /* a system call failed (message carries strerror) */
    NVP_STORE_ERROR_NOT_FOUND,    /* no entry of that name */
    NVP_STORE_ERROR_INVALID_NAME, /* empty, has '/', starts with '.', or is too long */
    NVP_STORE_ERROR_TOO_LARGE,    /* larger than NVP_STORE_MAX_SIZE */
} NvpStoreError;

/* Entries are state descriptions, not data: anything bigger is a bug or an attack. */
#define NVP_STORE_MAX_SIZE (16u * 1024 * 1024)

typedef struct _NvpStore NvpStore;

/* Points where a test can stop a writer (see nvp_store_set_test_hook()). */
typedef enum {
    NVP_STORE_STAGE_TEMP_WRITTEN, /* temp file written and fsynced, not renamed yet */
    NVP_STORE_STAGE_RENAMED,      /* renamed over the entry, directory not fsynced yet */
} NvpStoreStage;

typedef void (*NvpStoreTestHook)(NvpStoreStage stage, const char *path, gpointer data);

/* Opens (creating it with mode 0700 if needed) the store directory @dir. Leftover temp files of
 * an interrupted writer are removed: the entry they were replacing is still intact. */
NvpStore *nvp_store_open(const char *dir, GError **error);
void nvp_store_free(NvpStore *store);
const char *nvp_store_get_dir(const NvpStore *store);

/* Replace (or create) entry @name with @len bytes of @data, atomically and durably; mode 0600. */
gboolean nvp_store_write(NvpStore *store, const char *name, const void *data, gsize len,
                         GError **error);
/* Whole content of entry @name, NUL-terminated (the NUL is not counted in @len, which may be
 * NULL). Leftover temp files are never read. */
gboolean nvp_store_read(NvpStore *store, const char *name, char **data, gsize *len, GError **error);
/* Remove entry @name durably. A missing entry is not an error. */
gboolean nvp_store_remove(NvpStore *store, const char *name, GError **error);
/* Names of all entries, sorted, temp files excluded. */
GStrv nvp_store_list(NvpStore *store, GError **error);

/* Tests only: called at each NvpStoreStage of every write (e.g. to raise(SIGKILL) there). */
void nvp_store_set_test_hook(NvpStore *store, NvpStoreTestHook hook, gpointer data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpStore, nvp_store_free)
