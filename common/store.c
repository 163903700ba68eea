/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Atomic state store: named blobs in one directory, each replaced atomically (write a temp file,
 * fsync it, rename over the old one, fsync the directory). A crash leaves old or new, never a mix. */
#include "common/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/i18n.h"

G_DEFINE_QUARK(nvp-store-error-quark, nvp_store_error)

#define NVP_STORE_NAME_MAX 200
/* Temp files are ".<name>.tmp.<random>": entry names never start with '.', so a leading dot
 * marks everything that is not an entry. */
#define NVP_STORE_TEMP_INFIX ".tmp."

struct _NvpStore {
    char *dir;
    int dirfd;
    NvpStoreTestHook hook;
    gpointer hook_data;
};

static gboolean
nvp_store_set_errno(GError **error, int err, const char *what, const char *dir, const char *name)
{
    g_set_error(error, NVP_STORE_ERROR,
                err == ENOENT ? NVP_STORE_ERROR_NOT_FOUND : NVP_STORE_ERROR_IO,
                _("Cannot %s '%s' in state directory %s: %s"), what, name, dir, g_strerror(err));
    return FALSE;
}

static gboolean
nvp_store_name_valid(const char *name, GError **error)
{
    if (!name || !*name || name[0] == '.' || strchr(name, '/') ||
        strlen(name) > NVP_STORE_NAME_MAX) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_INVALID_NAME,
                    _("'%s' is not a valid state entry name (1-%d characters, no '/', not "
                      "starting with '.')."),
                    name ? name : "", NVP_STORE_NAME_MAX);
        return FALSE;
    }
    return TRUE;
}

static gboolean
nvp_store_is_temp(const char *fname)
{
    return fname[0] == '.' && strstr(fname, NVP_STORE_TEMP_INFIX) != NULL;
}

static gboolean
nvp_store_fsync_dir(NvpStore *store, const char *name, GError **error)
{
    if (fsync(store->dirfd) < 0)
        return nvp_store_set_errno(error, errno, "sync the directory entry of", store->dir, name);
    return TRUE;
}

/* Remove temp files an interrupted writer left behind. */
static gboolean
nvp_store_clean_temps(NvpStore *store, GError **error)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    const char *fname;

    dir = g_dir_open(store->dir, 0, &local);
    if (!dir) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO,
                    _("Cannot list state directory %s: %s"), store->dir, local->message);
        return FALSE;
    }
    while ((fname = g_dir_read_name(dir))) {
        if (!nvp_store_is_temp(fname))
            continue;
        g_debug("removing leftover temp file %s/%s", store->dir, fname);
        if (unlinkat(store->dirfd, fname, 0) < 0 && errno != ENOENT)
            return nvp_store_set_errno(error, errno, "remove", store->dir, fname);
    }
    return TRUE;
}

NvpStore *
nvp_store_open(const char *dir, GError **error)
{
    g_autoptr(NvpStore) store = g_new0(NvpStore, 1);

    g_return_val_if_fail(dir != NULL, NULL);

    store->dir = g_strdup(dir);
    store->dirfd = -1;
    if (g_mkdir_with_parents(dir, 0700) < 0) {
        int err = errno;

        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO,
                    _("Cannot create state directory %s: %s"), dir, g_strerror(err));
        return NULL;
    }
    store->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (store->dirfd < 0) {
        int err = errno;

        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO,
                    _("Cannot open state directory %s: %s"), dir, g_strerror(err));
        return NULL;
    }
    if (!nvp_store_clean_temps(store, error))
        return NULL;
    return g_steal_pointer(&store);
}

void
nvp_store_free(NvpStore *store)
{
    if (!store)
        return;
    if (store->dirfd >= 0)
        close(store->dirfd);
    g_free(store->dir);
    g_free(store);
}

const char *
nvp_store_get_dir(const NvpStore *store)
{
    return store->dir;
}

void
nvp_store_set_test_hook(NvpStore *store, NvpStoreTestHook hook, gpointer data)
{
    store->hook = hook;
    store->hook_data = data;
}

static void
nvp_store_run_hook(NvpStore *store, NvpStoreStage stage, const char *fname)
{
    g_autofree char *path = NULL;

    if (!store->hook)
        return;
    path = g_build_filename(store->dir, fname, NULL);
    store->hook(stage, path, store->hook_data);
}

static gboolean
nvp_store_write_all(int fd, const guint8 *data, gsize len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return FALSE;
        }
        data += n;
        len -= (gsize)n;
    }
    return TRUE;
}

gboolean
nvp_store_write(NvpStore *store, const char *name, const void *data, gsize len, GError **error)
{
    g_autofree char *temp = NULL;
    g_auto(NvpFd) fd = -1;
    int err;

    g_return_val_if_fail(store != NULL, FALSE);
    g_return_val_if_fail(data != NULL || len == 0, FALSE);

    if (!nvp_store_name_valid(name, error))
        return FALSE;
    if (len > NVP_STORE_MAX_SIZE) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_TOO_LARGE,
                    _("State entry '%s' would be %lu bytes; the limit is %u."), name,
                    (unsigned long)len, NVP_STORE_MAX_SIZE);
        return FALSE;
    }

    for (int attempt = 0; fd < 0 && attempt < 16; attempt++) {
        g_free(temp);
        temp = g_strdup_printf(".%s" NVP_STORE_TEMP_INFIX "%08x", name, g_random_int());
        fd = openat(store->dirfd, temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return nvp_store_set_errno(error, errno, "create a temp file for", store->dir, name);

    if (!nvp_store_write_all(fd, data, len) || fsync(fd) < 0)
        goto fail;
    err = close(fd);
    fd = -1;
    if (err < 0)
        goto fail;
    nvp_store_run_hook(store, NVP_STORE_STAGE_TEMP_WRITTEN, temp);

    if (renameat(store->dirfd, temp, store->dirfd, name) < 0)
        goto fail;
    nvp_store_run_hook(store, NVP_STORE_STAGE_RENAMED, name);
    return nvp_store_fsync_dir(store, name, error);

fail:
    err = errno;
    unlinkat(store->dirfd, temp, 0);
    return nvp_store_set_errno(error, err, "write", store->dir, name);
}

gboolean
nvp_store_read(NvpStore *store, const char *name, char **data, gsize *len, GError **error)
{
    g_auto(NvpFd) fd = -1;
    g_autofree char *buf = NULL;
    struct stat st;
    gsize got = 0;

    g_return_val_if_fail(store != NULL, FALSE);
    g_return_val_if_fail(data != NULL, FALSE);

    if (!nvp_store_name_valid(name, error))
        return FALSE;
    fd = openat(store->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) < 0)
        return nvp_store_set_errno(error, errno, "open", store->dir, name);
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO,
                    _("State entry '%s' in %s is not a regular file."), name, store->dir);
        return FALSE;
    }
    if (st.st_size > NVP_STORE_MAX_SIZE) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_TOO_LARGE,
                    _("State entry '%s' in %s is %lld bytes; the limit is %u."), name, store->dir,
                    (long long)st.st_size, NVP_STORE_MAX_SIZE);
        return FALSE;
    }
    buf = g_malloc((gsize)st.st_size + 1);
    while (got < (gsize)st.st_size) {
        ssize_t n = read(fd, buf + got, (gsize)st.st_size - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return nvp_store_set_errno(error, errno, "read", store->dir, name);
        if (n == 0)
            break;
        got += (gsize)n;
    }
    buf[got] = '\0';
    if (len)
        *len = got;
    *data = g_steal_pointer(&buf);
    return TRUE;
}

gboolean
nvp_store_remove(NvpStore *store, const char *name, GError **error)
{
    g_return_val_if_fail(store != NULL, FALSE);

    if (!nvp_store_name_valid(name, error))
        return FALSE;
    if (unlinkat(store->dirfd, name, 0) < 0) {
        if (errno == ENOENT)
            return TRUE;
        return nvp_store_set_errno(error, errno, "remove", store->dir, name);
    }
    return nvp_store_fsync_dir(store, name, error);
}

static int
nvp_store_name_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GStrv
nvp_store_list(NvpStore *store, GError **error)
{
    g_autoptr(GDir) dir = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *fname;

    g_return_val_if_fail(store != NULL, NULL);

    dir = g_dir_open(store->dir, 0, &local);
    if (!dir) {
        g_set_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO,
                    _("Cannot list state directory %s: %s"), store->dir, local->message);
        return NULL;
    }
    while ((fname = g_dir_read_name(dir))) {
        if (fname[0] == '.')
            continue;
        g_ptr_array_add(names, g_strdup(fname));
    }
    g_ptr_array_sort(names, nvp_store_name_cmp);
    g_ptr_array_add(names, NULL);
    return (GStrv)g_ptr_array_free(g_steal_pointer(&names), FALSE);
}
