/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/store: atomic replacement, crash between write and rename, leftovers. */
#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/store.h"

typedef struct {
    char *dir;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("nvp-store-XXXXXX", &error);
    g_assert_no_error(error);
}

static void
remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    remove_tree(f->dir);
    g_free(f->dir);
}

static char *
read_entry(NvpStore *store, const char *name)
{
    g_autoptr(GError) error = NULL;
    char *data = NULL;

    g_assert_true(nvp_store_read(store, name, &data, NULL, &error));
    g_assert_no_error(error);
    return data;
}

static guint
count_temps(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint n = 0;

    while (d && (name = g_dir_read_name(d)))
        n += name[0] == '.';
    return n;
}

/* Write, overwrite and read back; contents are exact (binary-safe, NUL-terminated). */
static void
test_write_read(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    g_autofree char *got = NULL;
    static const char bin[] = { 'a', 0, 'b', '\n' };
    gsize len = 0;
    struct stat st;
    g_autofree char *path = g_build_filename(f->dir, "one", NULL);

    g_assert_no_error(error);
    g_assert_true(nvp_store_write(store, "one", "first", 5, &error));
    g_assert_true(nvp_store_write(store, "one", bin, sizeof(bin), &error));
    g_assert_no_error(error);
    g_assert_true(nvp_store_read(store, "one", &got, &len, &error));
    g_assert_cmpuint(len, ==, sizeof(bin));
    g_assert_cmpmem(got, len, bin, sizeof(bin));
    g_assert_cmpint(got[len], ==, 0);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpuint(count_temps(f->dir), ==, 0);
}

/* A missing entry is NOT_FOUND; removing a missing entry is fine; removal is visible. */
static void
test_not_found_remove(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    char *got = NULL;

    g_assert_false(nvp_store_read(store, "nope", &got, NULL, &error));
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_NOT_FOUND);
    g_assert_null(got);
    g_clear_error(&error);
    g_assert_true(nvp_store_remove(store, "nope", &error));
    g_assert_true(nvp_store_write(store, "x", "1", 1, &error));
    g_assert_true(nvp_store_remove(store, "x", &error));
    g_assert_false(nvp_store_read(store, "x", &got, NULL, &error));
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_NOT_FOUND);
}

/* Names that could escape the directory or collide with temp files are refused. */
static void
test_invalid_names(Fixture *f, gconstpointer data)
{
    static const char *const bad[] = { "", ".hidden", "../escape", "a/b", ".x.tmp.1234" };
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    g_autofree char *longname = g_strnfill(201, 'n');

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(nvp_store_write(store, bad[i], "x", 1, &error));
        g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_INVALID_NAME);
        g_clear_error(&error);
    }
    g_assert_false(nvp_store_write(store, longname, "x", 1, &error));
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_INVALID_NAME);
}

/* The listing is sorted and never shows temp files. */
static void
test_list(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    g_autofree char *temp = g_build_filename(f->dir, ".b.tmp.deadbeef", NULL);
    g_auto(GStrv) names = NULL;

    g_assert_true(nvp_store_write(store, "c", "3", 1, &error));
    g_assert_true(nvp_store_write(store, "a", "1", 1, &error));
    g_assert_true(nvp_store_write(store, "b", "2", 1, &error));
    g_assert_true(g_file_set_contents(temp, "partial", -1, NULL));
    names = nvp_store_list(store, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(g_strv_length(names), ==, 3);
    g_assert_cmpstr(names[0], ==, "a");
    g_assert_cmpstr(names[1], ==, "b");
    g_assert_cmpstr(names[2], ==, "c");
}

static void
kill_at_stage(NvpStoreStage stage, const char *path, gpointer data)
{
    if ((int)stage == GPOINTER_TO_INT(data))
        raise(SIGKILL);
}

/* Forks a writer that replaces entry "state" with "NEW" and dies by SIGKILL at @stage. */
static void
write_and_die(const char *dir, NvpStoreStage stage)
{
    int status = 0;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        g_autoptr(NvpStore) store = nvp_store_open(dir, NULL);

        if (!store)
            _exit(2);
        nvp_store_set_test_hook(store, kill_at_stage, GINT_TO_POINTER(stage));
        nvp_store_write(store, "state", "NEW", 3, NULL);
        _exit(3); /* not reached when the hook fires */
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);
}

/* The writer is killed after the temp file is complete but before the rename: the entry keeps its
 * old content, the leftover temp is ignored by readers and removed by the next open. */
static void
test_killed_before_rename(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    g_autoptr(NvpStore) reopened = NULL;
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autofree char *again = NULL;
    g_auto(GStrv) names = NULL;

    g_assert_true(nvp_store_write(store, "state", "OLD", 3, &error));
    write_and_die(f->dir, NVP_STORE_STAGE_TEMP_WRITTEN);

    g_assert_cmpuint(count_temps(f->dir), ==, 1);
    before = read_entry(store, "state");
    g_assert_cmpstr(before, ==, "OLD");
    names = nvp_store_list(store, &error);
    g_assert_cmpuint(g_strv_length(names), ==, 1);

    reopened = nvp_store_open(f->dir, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(count_temps(f->dir), ==, 0);
    after = read_entry(reopened, "state");
    g_assert_cmpstr(after, ==, "OLD");
    g_assert_true(nvp_store_write(reopened, "state", "NEWER", 5, &error));
    again = read_entry(reopened, "state");
    g_assert_cmpstr(again, ==, "NEWER");
}

/* Killed right after the rename: the new content is complete and there is no leftover. */
static void
test_killed_after_rename(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = nvp_store_open(f->dir, &error);
    g_autofree char *got = NULL;

    g_assert_true(nvp_store_write(store, "state", "OLD", 3, &error));
    write_and_die(f->dir, NVP_STORE_STAGE_RENAMED);
    got = read_entry(store, "state");
    g_assert_cmpstr(got, ==, "NEW");
    g_assert_cmpuint(count_temps(f->dir), ==, 0);
}

/* Killed before the first version of an entry was renamed: the entry does not exist (rather than
 * existing half-written). */
static void
test_killed_first_write(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpStore) store = NULL;
    char *got = NULL;

    write_and_die(f->dir, NVP_STORE_STAGE_TEMP_WRITTEN);
    store = nvp_store_open(f->dir, &error);
    g_assert_no_error(error);
    g_assert_false(nvp_store_read(store, "state", &got, NULL, &error));
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_NOT_FOUND);
}

/* Oversized writes are refused before touching the disk; open creates missing directories 0700;
 * errors from an unusable directory are IO errors naming it. */
static void
test_limits_and_open(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *sub = g_build_filename(f->dir, "a", "b", NULL);
    g_autofree char *file = g_build_filename(f->dir, "plainfile", NULL);
    g_autofree char *under_file = g_build_filename(file, "x", NULL);
    g_autoptr(NvpStore) store = nvp_store_open(sub, &error);
    g_autoptr(NvpStore) bad = NULL;
    struct stat st;

    g_assert_no_error(error);
    g_assert_cmpint(g_stat(sub, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_false(nvp_store_write(store, "big", "", NVP_STORE_MAX_SIZE + 1, &error));
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_TOO_LARGE);
    g_clear_error(&error);

    g_assert_true(g_file_set_contents(file, "", 0, NULL));
    bad = nvp_store_open(under_file, &error);
    g_assert_null(bad);
    g_assert_error(error, NVP_STORE_ERROR, NVP_STORE_ERROR_IO);
    g_assert_nonnull(strstr(error->message, under_file));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
    ADD("/store/write-read", test_write_read);
    ADD("/store/not-found-remove", test_not_found_remove);
    ADD("/store/invalid-names", test_invalid_names);
    ADD("/store/list", test_list);
    ADD("/store/killed-before-rename", test_killed_before_rename);
    ADD("/store/killed-after-rename", test_killed_after_rename);
    ADD("/store/killed-first-write", test_killed_first_write);
    ADD("/store/limits-and-open", test_limits_and_open);
#undef ADD
    return g_test_run();
}
