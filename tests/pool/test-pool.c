/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpPool over the hardware double: adoption, volumes, slices, precise refusals that change
 * nothing, restore after restart, random sequences, and crashes (SIGKILL) at every state-write
 * point. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "agent/pool/extents.h"
#include "tests/pool/fakehw.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)
#define GiB (G_GUINT64_CONSTANT(1) << 30)

typedef struct {
    char *dir;
    char *statedir;
    char *rundir;
    NvpFakeHw *hw;
    NvpPool *pool;
} Fixture;

static void
add_devices(NvpFakeHw *hw)
{
    const guint64 sizes4[] = { 40 * GiB, 1 * GiB };
    const guint32 bs4[] = { 512, 4096 };
    const guint64 sizes5[] = { 8 * GiB + 3 * 512 };
    const guint32 bs5[] = { 512 };

    nvp_fake_hw_add(hw, "0000:00:04.0", "SERIAL4", 2, sizes4, bs4);
    nvp_fake_hw_add(hw, "0000:00:05.0", "SERIAL5", 1, sizes5, bs5);
}

static NvpPool *
open_pool(Fixture *f)
{
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(GError) error = NULL;
    NvpPool *pool = nvp_pool_new(f->statedir, f->rundir, &nvp_fake_hw_ops, f->hw);

    g_assert_true(nvp_pool_load(pool, &warnings, &error));
    g_assert_no_error(error);
    for (guint i = 0; i < warnings->len; i++)
        g_test_message("load warning: %s", (char *)warnings->pdata[i]);
    g_assert_cmpuint(warnings->len, ==, 0);
    return pool;
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
    f->dir = g_dir_make_tmp("nvp-pool-XXXXXX", NULL);
    g_assert_nonnull(f->dir);
    f->statedir = g_build_filename(f->dir, "state", NULL);
    f->rundir = g_build_filename(f->dir, "run", NULL);
    f->hw = nvp_fake_hw_new();
    add_devices(f->hw);
    f->pool = open_pool(f);
}

static void
rm_rf(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    if (dir) {
        while ((name = g_dir_read_name(dir))) {
            g_autofree char *child = g_build_filename(path, name, NULL);
            rm_rf(child);
        }
    }
    g_remove(path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->pool, nvp_pool_free);
    /* Every adopted controller was handed back. */
    g_assert_cmpuint(g_hash_table_size(f->hw->adopted), ==, 0);
    nvp_fake_hw_free(f->hw);
    rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->statedir);
    g_free(f->rundir);
}

static void
restart(Fixture *f)
{
    g_clear_pointer(&f->pool, nvp_pool_free);
    f->pool = open_pool(f);
}

static NvpVolume *
make_vol(NvpPool *pool, const char *name, const char *ctrl, guint64 capacity, GError **error)
{
    g_autoptr(NvpVolume) def = nvp_volume_new();

    g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, name, -1);

    def->name = g_strdup(name);
    def->controller = g_strdup(ctrl);
    def->capacity = capacity;
    /* Deterministic UUIDs so that states can be compared across runs. */
    def->uuid =
        g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", md5, md5 + 8, md5 + 12, md5 + 16, md5 + 20);
    return nvp_pool_vol_create(pool, def, error);
}

/* Everything the pool would persist or report, as text: equal dumps = equal states. */
static char *
dump(NvpPool *pool)
{
    GString *out = g_string_new(NULL);
    g_autoptr(GPtrArray) ctrls = nvp_pool_ctrl_list(pool);
    g_autoptr(GPtrArray) vols = nvp_pool_vol_list(pool, NULL, NULL);

    for (guint i = 0; i < ctrls->len; i++) {
        g_autofree char *xml = nvp_controller_format(ctrls->pdata[i]);
        g_string_append(out, xml);
    }
    for (guint i = 0; i < vols->len; i++) {
        g_autofree char *xml = nvp_volume_format(vols->pdata[i]);
        g_string_append(out, xml);
    }
    return g_string_free(out, FALSE);
}

static void
assert_error_msg(const GError *error, GQuark domain, int code, const char *msg)
{
    g_assert_error(error, domain, code);
    if (!strstr(error->message, msg))
        g_error("expected '%s' in: %s", msg, error->message);
}

/* Adoption persists the controller; duplicates, unknown and malformed addresses are refused. */
static void
test_adopt(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpController) dup = NULL;
    g_autoptr(NvpController) unknown = NULL;
    g_autoptr(NvpController) bad = NULL;
    g_autofree char *path =
        g_build_filename(f->statedir, "controllers", "pci_0000_00_04_0.xml", NULL);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    g_assert_no_error(error);
    g_assert_cmpstr(c->name, ==, "pci_0000_00_04_0");
    g_assert_cmpstr(c->serial, ==, "SERIAL4");
    g_assert_cmpuint(c->namespaces->len, ==, 2);
    g_assert_cmpuint(c->queues_total, ==, 64);
    g_assert_cmpuint(c->queues_free, ==, 63); /* one pair kept by the agent */
    g_assert_cmpuint(nvp_controller_get_free(c), ==, 41 * GiB);
    g_assert_true(g_file_test(path, G_FILE_TEST_IS_REGULAR));

    before = dump(f->pool);
    dup = nvp_pool_ctrl_adopt(f->pool, "0000:00:04.0", &error);
    g_assert_null(dup);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS,
                     "controller pci_0000_00_04_0 is already adopted");
    g_clear_error(&error);
    unknown = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_09_0", &error);
    g_assert_null(unknown);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                     "cannot adopt controller pci_0000_00_09_0: no PCI device 0000:00:09.0");
    g_clear_error(&error);
    bad = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04", &error);
    g_assert_null(bad);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, "invalid PCI address");
    g_clear_error(&error);
    after = dump(f->pool);
    g_assert_cmpstr(before, ==, after);

    g_assert_true(nvp_pool_ctrl_release(f->pool, "pci_0000_00_04_0", &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(g_hash_table_size(f->hw->adopted), ==, 0);
    g_assert_false(nvp_pool_ctrl_release(f->pool, "pci_0000_00_04_0", &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND, "is not adopted");
}

/* Without a hardware layer adoption says so precisely. */
static void
test_no_hw(void)
{
    g_autofree char *dir = g_dir_make_tmp("nvp-pool-XXXXXX", NULL);
    g_autoptr(NvpPool) pool = nvp_pool_new(dir, dir, NULL, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = NULL;

    g_assert_true(nvp_pool_load(pool, NULL, &error));
    c = nvp_pool_ctrl_adopt(pool, "pci_0000_00_04_0", &error);
    g_assert_null(c);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                     "the hardware layer (VFIO) is not available");
    g_clear_pointer(&pool, nvp_pool_free);
    rm_rf(dir);
}

/* Three volumes first-fit, refusals with exact messages and no state change, delete refills
 * the lowest hole, release refused while volumes exist. */
static void
test_volumes(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpVolume) a = make_vol(f->pool, "db01", "pci_0000_00_04_0", 10 * GiB, &error);
    g_autoptr(NvpVolume) b = make_vol(f->pool, "db02", "0000:00:04.0", 5 * GiB, &error);
    g_autoptr(NvpVolume) d = make_vol(f->pool, "db03", "pci_0000_00_04_0", 1, &error);
    g_autoptr(NvpVolume) x = NULL;
    g_autoptr(NvpVolume) e = NULL;
    g_autoptr(NvpController) after = NULL;
    g_autofree char *before = NULL;
    g_autofree char *now = NULL;

    g_assert_no_error(error);
    g_assert_cmpuint(a->lba, ==, 0);
    g_assert_cmpuint(a->blocks, ==, 10 * GiB / 512);
    g_assert_cmpuint(b->lba, ==, 10 * GiB / 512);
    g_assert_cmpstr(b->controller, ==, "pci_0000_00_04_0");
    g_assert_cmpuint(d->capacity, ==, MiB); /* rounded up to the 1 MiB alignment */
    g_assert_cmpuint(d->lba, ==, 15 * GiB / 512);
    g_assert_true(g_uuid_string_is_valid(a->uuid));

    before = dump(f->pool);
    x = make_vol(f->pool, "db01", "pci_0000_00_04_0", GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS,
                     "volume 'db01' already exists (on controller pci_0000_00_04_0)");
    g_clear_error(&error);
    x = make_vol(f->pool, "big", "pci_0000_00_04_0", 100 * GiB, &error);
    g_assert_null(x);
    /* 40 GiB - 16 GiB - 1 MiB on namespace 1, 1 GiB on namespace 2 */
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                     "volume 'big' needs 100 GiB but controller pci_0000_00_04_0 has 25.99 GiB "
                     "free");
    g_clear_error(&error);
    x = make_vol(f->pool, "v", "pci_0000_00_07_0", GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                     "controller pci_0000_00_07_0 is not adopted");
    g_clear_error(&error);
    x = make_vol(f->pool, "-bad", "pci_0000_00_04_0", GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, "invalid volume name");
    g_clear_error(&error);
    g_assert_false(nvp_pool_ctrl_release(f->pool, "pci_0000_00_04_0", &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                     "cannot release controller pci_0000_00_04_0: it holds 3 volume(s)");
    g_clear_error(&error);
    g_assert_false(nvp_pool_vol_delete(f->pool, "nope", FALSE, &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                     "volume 'nope' does not exist");
    g_clear_error(&error);
    /* db01 cannot grow: db02 follows it. */
    x = nvp_pool_vol_resize(f->pool, "db01", 11 * GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                     "volume 'db01' cannot grow by 1 GiB: only 0 B is free right after");
    g_clear_error(&error);
    x = nvp_pool_vol_resize(f->pool, "db01", 1 * GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, "it can only grow");
    g_clear_error(&error);
    now = dump(f->pool);
    g_assert_cmpstr(before, ==, now);

    /* db03 is last: it grows in place. */
    x = nvp_pool_vol_resize(f->pool, "db03", 3 * GiB, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(x->lba, ==, d->lba);
    g_assert_cmpuint(x->capacity, ==, 3 * GiB);
    g_clear_pointer(&x, nvp_volume_free);

    g_assert_true(nvp_pool_vol_delete(f->pool, "db02", FALSE, &error));
    g_assert_no_error(error);
    e = make_vol(f->pool, "db04", "pci_0000_00_04_0", 2 * GiB, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(e->lba, ==, 10 * GiB / 512); /* the lowest hole */
    after = nvp_pool_ctrl_get(f->pool, "pci_0000_00_04_0", &error);
    g_assert_cmpuint(nvp_controller_get_free(after), ==, 41 * GiB - 15 * GiB);
}

/* A whole-namespace volume takes exactly the namespace and excludes extents there. */
static void
test_whole_namespace(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
    g_autoptr(NvpVolume) def = nvp_volume_new();
    g_autoptr(NvpVolume) w = NULL;
    g_autoptr(NvpVolume) x = NULL;

    def->type = NVP_VOLUME_TYPE_NAMESPACE;
    def->name = g_strdup("whole");
    def->controller = g_strdup("pci_0000_00_05_0");
    def->nsid = 1;
    w = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(w->capacity, ==, 8 * GiB + 3 * 512);
    g_assert_cmpuint(w->blocks, ==, (8 * GiB + 3 * 512) / 512);
    x = make_vol(f->pool, "more", "pci_0000_00_05_0", MiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE, "volume 'more' needs 1 MiB");
    g_clear_error(&error);
    restart(f);
    x = nvp_pool_vol_get(f->pool, "whole", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(x->type, ==, NVP_VOLUME_TYPE_NAMESPACE);
    g_assert_cmpuint(x->blocks, ==, w->blocks);
}

/* A restarted pool re-adopts controllers and restores every extent exactly. */
static void
test_restart(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpController) c5 = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;

    for (guint i = 0; i < 6; i++) {
        g_autofree char *name = g_strdup_printf("v%u", i);
        g_autoptr(NvpVolume) v =
            make_vol(f->pool, name, i % 2 ? "pci_0000_00_04_0" : "pci_0000_00_05_0",
                     (i + 1) * GiB / 2, &error);
        g_assert_no_error(error);
    }
    g_assert_true(nvp_pool_vol_delete(f->pool, "v2", FALSE, &error));
    before = dump(f->pool);
    restart(f);
    after = dump(f->pool);
    g_assert_cmpstr(before, ==, after);
    g_assert_cmpuint(g_hash_table_size(f->hw->adopted), ==, 2);
}

/* A controller that is gone at restart stays in the state, unavailable, with its volumes. */
static void
test_unavailable(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
    g_autoptr(NvpVolume) v = make_vol(f->pool, "keep", "pci_0000_00_05_0", GiB, &error);
    g_autoptr(GPtrArray) warnings = NULL;
    g_autoptr(NvpController) got = NULL;
    g_autoptr(NvpVolume) kept = NULL;
    g_autoptr(NvpVolume) x = NULL;

    g_assert_no_error(error);
    g_clear_pointer(&f->pool, nvp_pool_free);
    g_hash_table_remove(f->hw->devices, "0000:00:05.0");
    f->pool = nvp_pool_new(f->statedir, f->rundir, &nvp_fake_hw_ops, f->hw);
    g_assert_true(nvp_pool_load(f->pool, &warnings, &error));
    g_assert_cmpuint(warnings->len, ==, 1);
    g_assert_nonnull(strstr(warnings->pdata[0], "could not be re-adopted"));
    got = nvp_pool_ctrl_get(f->pool, "pci_0000_00_05_0", &error);
    g_assert_no_error(error);
    g_assert_cmpint(got->state, ==, NVP_CONTROLLER_STATE_UNAVAILABLE);
    kept = nvp_pool_vol_get(f->pool, "keep", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(kept->lba, ==, v->lba);
    x = make_vol(f->pool, "new", "pci_0000_00_05_0", GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE, "is unavailable");
}

static NvpSlice *
activate(NvpPool *pool, const char *vol, const char *uuid, guint queues, NvpIsolation iso,
         GError **error)
{
    g_autoptr(NvpSlice) req = nvp_slice_new();

    req->volume = g_strdup(vol);
    req->domain_uuid = g_strdup(uuid);
    req->domain_name = g_strdup("vm1");
    req->queues = queues;
    req->isolation = iso;
    req->uid = 64055;
    req->gid = 64055;
    return nvp_pool_slice_activate(pool, req, error);
}

#define UUID1 "c7a5fdbd-edaf-9455-926a-d65c16db1809"
#define UUID2 "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"

/* Slices take queue pairs from the free pool; a volume in use cannot be deleted or resized,
 * the controller cannot be released; trusted mode only alone and only if the volume allows. */
static void
test_slices(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpVolume) def = nvp_volume_new();
    g_autoptr(NvpVolume) a = NULL;
    g_autoptr(NvpVolume) t = NULL;
    g_autoptr(NvpVolume) x = NULL;
    g_autoptr(NvpSlice) s = NULL;
    g_autoptr(NvpSlice) s2 = NULL;
    g_autoptr(NvpController) after = NULL;
    g_autoptr(GPtrArray) list = NULL;

    /* a trusted volume starts at LBA 0 of namespace 1 (the guest addresses the SSD directly) */
    def->name = g_strdup("fast");
    def->controller = g_strdup("pci_0000_00_04_0");
    def->capacity = GiB;
    def->queues = 4;
    def->isolation = NVP_ISOLATION_TRUSTED;
    t = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(t->nsid, ==, 1);
    g_assert_cmpuint(t->lba, ==, 0);
    g_free(def->name);
    def->name = g_strdup("fast2");
    x = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY, "LBA 0 of namespace 1");
    g_clear_error(&error);
    g_free(def->name);
    def->name = g_strdup("db01");
    def->isolation = NVP_ISOLATION_STRICT;
    a = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(a->lba, >, 0);

    s = activate(f->pool, "db01", UUID1, 0, NVP_ISOLATION_STRICT, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(s->queues, ==, 4);
    g_assert_cmpstr(s->controller, ==, "pci_0000_00_04_0");
    g_assert_true(g_str_has_suffix(s->socket_path, "/run/slices/db01.sock"));
    g_assert_cmpuint(f->hw->n_endpoints, ==, 1);
    after = nvp_pool_ctrl_get(f->pool, "pci_0000_00_04_0", &error);
    g_assert_cmpuint(after->queues_free, ==, 63 - 4);

    s2 = activate(f->pool, "db01", UUID2, 0, NVP_ISOLATION_STRICT, &error);
    g_assert_null(s2);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                     "volume 'db01' is already in use by domain 'vm1'");
    g_clear_error(&error);
    g_assert_false(nvp_pool_vol_delete(f->pool, "db01", FALSE, &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                     "volume 'db01' is in use by domain 'vm1' (" UUID1 ")");
    g_clear_error(&error);
    x = nvp_pool_vol_resize(f->pool, "db01", 2 * GiB, &error);
    g_assert_null(x);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY, "in use");
    g_clear_error(&error);
    g_assert_false(nvp_pool_ctrl_release(f->pool, "pci_0000_00_04_0", &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY, "1 slice(s) are active");
    g_clear_error(&error);
    /* trusted: refused while another slice is active, and for a strict volume */
    s2 = activate(f->pool, "fast", UUID2, 1, NVP_ISOLATION_TRUSTED, &error);
    g_assert_null(s2);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY, "only active slice");
    g_clear_error(&error);
    /* too many queues */
    s2 = activate(f->pool, "fast", UUID2, 60, NVP_ISOLATION_STRICT, &error);
    g_assert_null(s2);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                     "volume 'fast' needs 60 queue pairs but controller pci_0000_00_04_0 has 59 "
                     "free");
    g_clear_error(&error);
    {
        g_autoptr(NvpSlice) req = nvp_slice_new();
        req->volume = g_strdup("fast");
        req->domain_uuid = g_strdup(UUID2);
        req->socket_path = g_strdup("/tmp/evil.sock");
        s2 = nvp_pool_slice_activate(f->pool, req, &error);
        g_assert_null(s2);
        assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                         "invalid endpoint path '/tmp/evil.sock'");
        g_clear_error(&error);
    }
    list = nvp_pool_slice_list(f->pool);
    g_assert_cmpuint(list->len, ==, 1);
    g_assert_cmpuint(((NvpSlice *)list->pdata[0])->counters.submitted, ==, 7);

    g_assert_true(nvp_pool_slice_deactivate(f->pool, "db01", &error));
    g_assert_no_error(error);
    g_assert_cmpuint(f->hw->n_endpoints, ==, 0);
    g_assert_false(nvp_pool_slice_deactivate(f->pool, "db01", &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND, "has no active slice");
    g_clear_error(&error);
    s2 = activate(f->pool, "fast", UUID2, 1, NVP_ISOLATION_TRUSTED, &error);
    g_assert_no_error(error);
    g_assert_cmpint(s2->isolation, ==, NVP_ISOLATION_TRUSTED);
    g_clear_pointer(&s, nvp_slice_free);
    s = activate(f->pool, "db01", UUID1, 0, NVP_ISOLATION_STRICT, &error);
    g_assert_null(s);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY, "trusted mode");
    g_clear_error(&error);
    g_assert_true(nvp_pool_vol_delete(f->pool, "db01", FALSE, &error));
}

/* vol-delete --wipe zeroes exactly the extent; a failed wipe keeps the volume. */
static void
test_wipe(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpVolume) a = make_vol(f->pool, "a", "pci_0000_00_04_0", GiB, &error);
    g_autoptr(NvpVolume) b = make_vol(f->pool, "b", "pci_0000_00_04_0", GiB, &error);
    g_autofree char *expect = NULL;

    g_assert_no_error(error);
    f->hw->fail_wipe = TRUE;
    g_assert_false(nvp_pool_vol_delete(f->pool, "b", TRUE, &error));
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW, "the volume was kept");
    g_clear_error(&error);
    g_clear_pointer(&a, nvp_volume_free);
    a = nvp_pool_vol_get(f->pool, "b", &error);
    g_assert_no_error(error);
    f->hw->fail_wipe = FALSE;
    g_assert_true(nvp_pool_vol_delete(f->pool, "b", TRUE, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(f->hw->wipes->len, ==, 1);
    expect = g_strdup_printf("1:%" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT, b->lba, b->blocks);
    g_assert_cmpstr(f->hw->wipes->pdata[0], ==, expect);
}

/* Limits: controllers, volumes per controller, queues per volume. */
static void
test_limits(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    NvpPoolLimits limits;
    g_autoptr(NvpController) c = NULL;
    g_autoptr(NvpController) c2 = NULL;
    g_autoptr(NvpVolume) v = NULL;
    g_autoptr(NvpVolume) def = nvp_volume_new();

    nvp_pool_get_limits(f->pool, &limits);
    limits.max_controllers = 1;
    limits.max_volumes = 1;
    nvp_pool_set_limits(f->pool, &limits);
    c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_assert_no_error(error);
    c2 = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
    g_assert_null(c2);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT, "more than 1 controllers");
    g_clear_error(&error);
    def->name = g_strdup("q");
    def->controller = g_strdup("pci_0000_00_04_0");
    def->capacity = MiB;
    def->queues = 65;
    v = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_null(v);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT, "1 to 64");
    g_clear_error(&error);
    def->queues = 1;
    v = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_no_error(error);
    g_clear_pointer(&v, nvp_volume_free);
    g_free(def->name);
    def->name = g_strdup("r");
    v = nvp_pool_vol_create(f->pool, def, &error);
    g_assert_null(v);
    assert_error_msg(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT, "already holds 1 volumes");
}

/* Checks that on every namespace the volumes' extents are aligned, disjoint and that the
 * reported free space is exactly what they leave. */
static void
check_pool_invariants(NvpPool *pool)
{
    g_autoptr(GPtrArray) ctrls = nvp_pool_ctrl_list(pool);
    g_autoptr(GPtrArray) vols = nvp_pool_vol_list(pool, NULL, NULL);

    for (guint i = 0; i < ctrls->len; i++) {
        NvpController *c = ctrls->pdata[i];
        for (guint n = 0; n < c->namespaces->len; n++) {
            NvpNamespace *ns = c->namespaces->pdata[n];
            guint64 usable = ns->capacity - ns->capacity % MiB;
            guint64 used = 0;
            for (guint j = 0; j < vols->len; j++) {
                NvpVolume *v = vols->pdata[j];
                if (g_strcmp0(v->controller, c->name) != 0 || v->nsid != ns->nsid)
                    continue;
                g_assert_cmpuint(v->block_size, ==, ns->block_size);
                g_assert_cmpuint((v->lba * v->block_size) % MiB, ==, 0);
                g_assert_cmpuint(v->capacity % MiB, ==, 0);
                g_assert_cmpuint(v->capacity, ==, v->blocks * v->block_size);
                g_assert_cmpuint(v->lba * v->block_size + v->capacity, <=, usable);
                for (guint k = j + 1; k < vols->len; k++) {
                    NvpVolume *w = vols->pdata[k];
                    if (g_strcmp0(w->controller, c->name) != 0 || w->nsid != ns->nsid)
                        continue;
                    g_assert_true(v->lba + v->blocks <= w->lba || w->lba + w->blocks <= v->lba);
                }
                used += v->capacity;
            }
            g_assert_cmpuint(ns->free, ==, usable - used);
        }
    }
}

/* Property test: random create/delete/resize over two controllers, with restarts. */
static void
test_random(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c4 = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpController) c5 = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
    guint steps = g_test_slow() ? 3000 : 600;
    guint created = 0, refused = 0;

    for (guint step = 0; step < steps; step++) {
        int op = g_test_rand_int_range(0, 10);
        g_autofree char *name = g_strdup_printf("v%d", g_test_rand_int_range(0, 40));
        g_autoptr(GError) e = NULL;

        if (op < 5) {
            g_autoptr(NvpVolume) v =
                make_vol(f->pool, name, g_test_rand_bit() ? "pci_0000_00_04_0" : "pci_0000_00_05_0",
                         (guint64)g_test_rand_int_range(1, 4096) * MiB +
                             (guint64)g_test_rand_int_range(0, 2) * 512,
                         &e);
            if (v)
                created++;
            else
                refused++;
            g_assert_true(v || g_error_matches(e, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS) ||
                          g_error_matches(e, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE));
        } else if (op < 8) {
            gboolean ok = nvp_pool_vol_delete(f->pool, name, FALSE, &e);
            g_assert_true(ok || g_error_matches(e, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND));
        } else if (op < 9) {
            g_autoptr(NvpVolume) cur = nvp_pool_vol_get(f->pool, name, NULL);
            if (cur) {
                g_autoptr(NvpVolume) v =
                    nvp_pool_vol_resize(f->pool, name,
                                        cur->capacity +
                                            (guint64)g_test_rand_int_range(1, 512) * MiB,
                                        &e);
                g_assert_true(v || g_error_matches(e, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE));
                if (v)
                    g_assert_cmpuint(v->lba, ==, cur->lba);
            }
        } else {
            g_autofree char *before = dump(f->pool);
            g_autofree char *after = NULL;
            restart(f);
            after = dump(f->pool);
            g_assert_cmpstr(before, ==, after);
        }
        check_pool_invariants(f->pool);
    }
    g_test_message("created %u, refused %u", created, refused);
    g_assert_cmpuint(created, >, 0);
}

/* --- crash test --- */

typedef struct {
    const char *op;
    const char *point;
} CrashCase;

static const CrashCase crash_cases[] = {
    { "vol-create", "vol-create:before-write" },
    { "vol-create", "store:temp-written" },
    { "vol-create", "store:renamed" },
    { "vol-create", "vol-create:after-write" },
    { "vol-resize", "vol-resize:before-write" },
    { "vol-resize", "store:temp-written" },
    { "vol-resize", "store:renamed" },
    { "vol-resize", "vol-resize:after-write" },
    { "vol-delete", "vol-delete:before-remove" },
    { "vol-delete", "vol-delete:after-remove" },
    { "ctrl-adopt", "ctrl-adopt:before-write" },
    { "ctrl-adopt", "store:temp-written" },
    { "ctrl-adopt", "store:renamed" },
    { "ctrl-adopt", "ctrl-adopt:after-write" },
    { "ctrl-release", "ctrl-release:before-remove" },
    { "ctrl-release", "ctrl-release:after-remove" },
};

static void
kill_at(const char *point, gpointer data)
{
    if (g_strcmp0(point, data) == 0)
        raise(SIGKILL);
}

static void
do_op(NvpPool *pool, const char *op)
{
    g_autoptr(GError) error = NULL;

    if (g_str_equal(op, "vol-create")) {
        g_autoptr(NvpVolume) def = nvp_volume_new();
        g_autoptr(NvpVolume) v = NULL;
        def->name = g_strdup("new");
        def->uuid = g_strdup("11111111-2222-3333-4444-555555555555");
        def->controller = g_strdup("pci_0000_00_04_0");
        def->capacity = 3 * GiB;
        v = nvp_pool_vol_create(pool, def, &error);
    } else if (g_str_equal(op, "vol-resize")) {
        g_autoptr(NvpVolume) v = nvp_pool_vol_resize(pool, "b", 4 * GiB, &error);
    } else if (g_str_equal(op, "vol-delete")) {
        nvp_pool_vol_delete(pool, "a", FALSE, &error);
    } else if (g_str_equal(op, "ctrl-adopt")) {
        g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(pool, "pci_0000_00_05_0", &error);
    } else if (g_str_equal(op, "ctrl-release")) {
        nvp_pool_vol_delete(pool, "c5", FALSE, &error);
        g_assert_no_error(error);
        nvp_pool_ctrl_release(pool, "pci_0000_00_05_0", &error);
    }
    g_assert_no_error(error);
}

static void
crash_base(Fixture *f, gboolean with_c5)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpController) c = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_04_0", &error);
    g_autoptr(NvpVolume) a = make_vol(f->pool, "a", "pci_0000_00_04_0", GiB, &error);
    g_autoptr(NvpVolume) b = make_vol(f->pool, "b", "pci_0000_00_04_0", GiB, &error);

    g_assert_no_error(error);
    if (with_c5) {
        g_autoptr(NvpController) c5 = nvp_pool_ctrl_adopt(f->pool, "pci_0000_00_05_0", &error);
        g_assert_no_error(error);
    }
}

/* The child runs one operation and is killed at the hook point; the parent's reload must show
 * exactly the state before or exactly the state after the operation, never anything else. */
static void
test_crash(Fixture *f, gconstpointer data)
{
    const CrashCase *cc = data;
    gboolean release = g_str_equal(cc->op, "ctrl-release");
    g_autofree char *before = NULL;
    g_autofree char *expected_after = NULL;
    g_autofree char *got = NULL;
    int status = 0;
    pid_t pid;

    /* Reference run: base state, then the op without a crash, in the same directory, to learn
     * the "after" state; then start over for the crash. */
    crash_base(f, release);
    if (release) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NvpVolume) v = make_vol(f->pool, "c5", "pci_0000_00_05_0", GiB, &error);
        g_assert_no_error(error);
    }
    before = dump(f->pool);
    do_op(f->pool, cc->op);
    expected_after = dump(f->pool);
    g_assert_cmpstr(before, !=, expected_after);
    g_clear_pointer(&f->pool, nvp_pool_free);
    rm_rf(f->statedir);
    f->pool = open_pool(f);
    crash_base(f, release);
    if (release) {
        g_autoptr(GError) error = NULL;
        g_autoptr(NvpVolume) v = make_vol(f->pool, "c5", "pci_0000_00_05_0", GiB, &error);
        g_assert_no_error(error);
    }
    {
        g_autofree char *again = dump(f->pool);
        g_assert_cmpstr(again, ==, before);
    }
    /* For ctrl-release the volume deletion before it is part of "before". */
    g_clear_pointer(&f->pool, nvp_pool_free);

    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        NvpPool *pool = nvp_pool_new(f->statedir, f->rundir, &nvp_fake_hw_ops, f->hw);
        g_assert_true(nvp_pool_load(pool, NULL, NULL));
        nvp_pool_set_hook(pool, kill_at, (gpointer)cc->point);
        do_op(pool, cc->op);
        _exit(3); /* the hook point was never reached */
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGKILL);

    f->pool = open_pool(f);
    got = dump(f->pool);
    if (release) {
        /* The child deleted c5 before releasing: "before" minus c5 is the only other state. */
        g_autoptr(GError) error = NULL;
        g_assert_true(g_strcmp0(got, expected_after) == 0 || strstr(got, "pci_0000_00_05_0"));
        g_assert_null(strstr(got, "<name>c5</name>"));
    } else {
        g_assert_true(g_strcmp0(got, before) == 0 || g_strcmp0(got, expected_after) == 0);
    }
    if (g_str_has_suffix(cc->point, "after-write") || g_str_has_suffix(cc->point, "after-remove") ||
        g_str_equal(cc->point, "store:renamed"))
        g_assert_cmpstr(got, ==, expected_after);
    if (g_str_has_suffix(cc->point, "before-write") ||
        g_str_has_suffix(cc->point, "before-remove") ||
        g_str_equal(cc->point, "store:temp-written")) {
        if (!release)
            g_assert_cmpstr(got, ==, before);
    }
    check_pool_invariants(f->pool);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
    ADD("/pool/adopt", test_adopt);
    g_test_add_func("/pool/no-hw", test_no_hw);
    ADD("/pool/volumes", test_volumes);
    ADD("/pool/whole-namespace", test_whole_namespace);
    ADD("/pool/restart", test_restart);
    ADD("/pool/unavailable", test_unavailable);
    ADD("/pool/slices", test_slices);
    ADD("/pool/wipe", test_wipe);
    ADD("/pool/limits", test_limits);
    ADD("/pool/random", test_random);
    for (guint i = 0; i < G_N_ELEMENTS(crash_cases); i++) {
        g_autofree char *path =
            g_strdup_printf("/pool/crash/%s/%s", crash_cases[i].op, crash_cases[i].point);
        g_test_add(path, Fixture, &crash_cases[i], fixture_set_up, test_crash, fixture_tear_down);
    }
    return g_test_run();
}
