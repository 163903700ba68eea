/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpPool: controller adoption, volume allocation, slice bookkeeping and their persistence.
 *
 * Persistence: <statedir>/controllers/<pci name>.xml and <statedir>/volumes/<volume>.xml, each
 * written through NvpStore (atomic replace). Every operation changes at most one file, and the
 * in-memory state is only committed after that file is durable, so a crash at any point leaves
 * either the old or the new state. Free space is never stored: it is recomputed from the volumes.
 * Slices are transient (vfio-user has no reconnect) and live in memory only. */
#include "agent/pool/pool.h"

#include <errno.h>
#include <string.h>

#include "agent/pool/extents.h"
#include "common/i18n.h"
#include "common/store.h"
#include "common/units.h"

G_DEFINE_QUARK(nvp-pool-error-quark, nvp_pool_error)

typedef struct {
    NvpController *model;
    gpointer hw;      /* NULL when unavailable */
    GHashTable *maps; /* nsid -> NvpExtentMap */
    guint n_volumes;
    guint n_slices;
    guint slice_queues; /* granted to active slices */
    gboolean trusted_active;
} PoolCtrl;

typedef struct {
    NvpSlice *slice;
    gpointer endpoint;
} PoolSlice;

struct _NvpPool {
    char *statedir;
    char *rundir;
    const NvpPoolHwOps *ops;
    gpointer ops_data;
    NvpStore *ctrl_store;
    NvpStore *vol_store;
    GError *store_error; /* why the stores could not be opened */
    GHashTable *ctrls;   /* name -> PoolCtrl */
    GHashTable *volumes; /* name -> NvpVolume */
    GHashTable *slices;  /* volume name -> PoolSlice */
    NvpPoolLimits limits;
    NvpPoolEventFunc event_func;
    gpointer event_data;
    NvpPoolHookFunc hook;
    gpointer hook_data;
};

static void
pool_ctrl_free(PoolCtrl *pc)
{
    if (!pc)
        return;
    nvp_controller_free(pc->model);
    g_hash_table_unref(pc->maps);
    g_free(pc);
}

static void
pool_slice_free(PoolSlice *ps)
{
    nvp_slice_free(ps->slice);
    g_free(ps);
}

static PoolCtrl *
pool_ctrl_new(NvpController *model)
{
    PoolCtrl *pc = g_new0(PoolCtrl, 1);

    pc->model = model;
    pc->maps = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                     (GDestroyNotify)nvp_extent_map_free);
    for (guint i = 0; i < model->namespaces->len; i++) {
        NvpNamespace *ns = model->namespaces->pdata[i];
        g_hash_table_insert(pc->maps, GUINT_TO_POINTER(ns->nsid),
                            nvp_extent_map_new(ns->capacity, ns->block_size));
    }
    return pc;
}

NvpPool *
nvp_pool_new(const char *statedir, const char *rundir, const NvpPoolHwOps *ops, gpointer ops_data)
{
    static const NvpPoolHwOps no_ops = { 0 };
    NvpPool *pool = g_new0(NvpPool, 1);
    g_autofree char *cdir = g_build_filename(statedir, "controllers", NULL);
    g_autofree char *vdir = g_build_filename(statedir, "volumes", NULL);

    pool->statedir = g_strdup(statedir);
    pool->rundir = g_strdup(rundir);
    pool->ops = ops ? ops : &no_ops;
    pool->ops_data = ops_data;
    pool->ctrls =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pool_ctrl_free);
    pool->volumes =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)nvp_volume_free);
    pool->slices =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)pool_slice_free);
    pool->limits.max_controllers = 32;
    pool->limits.max_volumes = 256;
    pool->limits.max_slices = 64;
    pool->limits.max_queues_per_slice = NVP_VOLUME_QUEUES_MAX;
    pool->limits.reserved_queues = 1;
    pool->limits.allow_trusted = TRUE;
    if (g_mkdir_with_parents(statedir, 0700) < 0) {
        int errsv = errno;
        g_set_error(&pool->store_error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE,
                    _("cannot create the state directory %s: %s"), statedir, g_strerror(errsv));
        return pool;
    }
    pool->ctrl_store = nvp_store_open(cdir, &pool->store_error);
    if (pool->ctrl_store)
        pool->vol_store = nvp_store_open(vdir, &pool->store_error);
    return pool;
}

void
nvp_pool_free(NvpPool *pool)
{
    GHashTableIter iter;
    gpointer value;

    if (!pool)
        return;
    /* Slices first (endpoints reach controllers), then hand controllers back. The state on
     * disk is untouched: the next agent re-adopts them. */
    g_hash_table_iter_init(&iter, pool->slices);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        PoolSlice *ps = value;
        if (ps->endpoint && pool->ops->slice_stop)
            pool->ops->slice_stop(ps->endpoint, pool->ops_data);
    }
    g_hash_table_unref(pool->slices);
    g_hash_table_iter_init(&iter, pool->ctrls);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        PoolCtrl *pc = value;
        if (pc->hw && pool->ops->release)
            pool->ops->release(pc->hw, pool->ops_data);
    }
    g_hash_table_unref(pool->ctrls);
    g_hash_table_unref(pool->volumes);
    if (pool->ctrl_store)
        nvp_store_free(pool->ctrl_store);
    if (pool->vol_store)
        nvp_store_free(pool->vol_store);
    g_clear_error(&pool->store_error);
    g_free(pool->statedir);
    g_free(pool->rundir);
    g_free(pool);
}

void
nvp_pool_get_limits(NvpPool *pool, NvpPoolLimits *limits)
{
    *limits = pool->limits;
}

void
nvp_pool_set_limits(NvpPool *pool, const NvpPoolLimits *limits)
{
    pool->limits = *limits;
}

void
nvp_pool_set_event_func(NvpPool *pool, NvpPoolEventFunc func, gpointer data)
{
    pool->event_func = func;
    pool->event_data = data;
}

static void
pool_store_hook(NvpStoreStage stage, const char *path, gpointer data)
{
    NvpPool *pool = data;

    if (pool->hook)
        pool->hook(stage == NVP_STORE_STAGE_TEMP_WRITTEN ? "store:temp-written" : "store:renamed",
                   pool->hook_data);
}

void
nvp_pool_set_hook(NvpPool *pool, NvpPoolHookFunc func, gpointer data)
{
    pool->hook = func;
    pool->hook_data = data;
    if (pool->ctrl_store)
        nvp_store_set_test_hook(pool->ctrl_store, func ? pool_store_hook : NULL, pool);
    if (pool->vol_store)
        nvp_store_set_test_hook(pool->vol_store, func ? pool_store_hook : NULL, pool);
}

static void
pool_hook(NvpPool *pool, const char *point)
{
    if (pool->hook)
        pool->hook(point, pool->hook_data);
}

static void
pool_event(NvpPool *pool, NvpPoolObject kind, const char *name, const char *event)
{
    if (pool->event_func)
        pool->event_func(kind, name, event, pool->event_data);
}

static gboolean
pool_check_store(NvpPool *pool, GError **error)
{
    if (pool->vol_store)
        return TRUE;
    g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE, _("the state store is unusable: %s"),
                pool->store_error ? pool->store_error->message : "?");
    return FALSE;
}

/* Writes entry name.xml; errors become NVP_POOL_ERROR_STATE. */
static gboolean
pool_store_write(NvpStore *store, const char *name, const char *xml, GError **error)
{
    g_autofree char *entry = g_strconcat(name, ".xml", NULL);
    g_autoptr(GError) local = NULL;

    if (!nvp_store_write(store, entry, xml, strlen(xml), &local)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE,
                    _("cannot save '%s' in %s: %s; nothing was changed"), name,
                    nvp_store_get_dir(store), local->message);
        return FALSE;
    }
    return TRUE;
}

static gboolean
pool_store_remove(NvpStore *store, const char *name, GError **error)
{
    g_autofree char *entry = g_strconcat(name, ".xml", NULL);
    g_autoptr(GError) local = NULL;

    if (!nvp_store_remove(store, entry, &local)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE,
                    _("cannot remove '%s' from %s: %s; nothing was changed"), name,
                    nvp_store_get_dir(store), local->message);
        return FALSE;
    }
    return TRUE;
}

/* --- lookups --- */

static PoolCtrl *
pool_find_ctrl(NvpPool *pool, const char *name, GError **error)
{
    NvpPciAddr addr;
    g_autofree char *canon = NULL;
    g_autoptr(GError) local = NULL;
    PoolCtrl *pc;

    if (!nvp_pci_addr_parse(name, &addr, &local)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, "%s", local->message);
        return NULL;
    }
    canon = nvp_pci_addr_to_name(&addr);
    pc = g_hash_table_lookup(pool->ctrls, canon);
    if (!pc)
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                    _("controller %s is not adopted (see ctrl-list; adopt it with ctrl-adopt)"),
                    canon);
    return pc;
}

static NvpVolume *
pool_find_vol(NvpPool *pool, const char *name, GError **error)
{
    NvpVolume *vol = name ? g_hash_table_lookup(pool->volumes, name) : NULL;

    if (!vol)
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                    _("volume '%s' does not exist (see vol-list)"), name ? name : "");
    return vol;
}

/* Recomputes the free space of each namespace and the free queue pairs of pc->model. */
static void
pool_ctrl_refresh(NvpPool *pool, PoolCtrl *pc)
{
    NvpController *m = pc->model;
    guint reserved = MIN(pool->limits.reserved_queues, m->queues_total);
    guint used = reserved + pc->slice_queues;

    for (guint i = 0; i < m->namespaces->len; i++) {
        NvpNamespace *ns = m->namespaces->pdata[i];
        NvpExtentMap *map = g_hash_table_lookup(pc->maps, GUINT_TO_POINTER(ns->nsid));
        ns->free = map ? nvp_extent_map_get_free(map) : 0;
    }
    m->queues_free = m->queues_total > used ? m->queues_total - used : 0;
    /* Vector 0 is the admin queue; every granted queue pair gets a vector of its own. */
    m->vectors_free = m->vectors_total > 1 + used ? m->vectors_total - 1 - used : 0;
}

static gint
compare_str_ptr(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static GPtrArray *
sorted_keys(GHashTable *table)
{
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init(&iter, table);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(keys, key);
    g_ptr_array_sort(keys, compare_str_ptr);
    return keys;
}

/* --- controllers --- */

/* Adopts through the ops and fills a model; NULL with error when unavailable. */
static NvpController *
pool_hw_adopt(NvpPool *pool, const NvpPciAddr *addr, gpointer *hw, GError **error)
{
    g_autofree char *bdf = nvp_pci_addr_to_bdf(addr);
    g_autoptr(NvpController) model = nvp_controller_new(addr);
    g_autoptr(GError) local = NULL;
    gpointer handle;

    if (!pool->ops->adopt || !pool->ops->identify) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                    _("cannot adopt controller %s: the hardware layer (VFIO) is not available "
                      "in this build of the agent"),
                    model->name);
        return NULL;
    }
    handle = pool->ops->adopt(bdf, pool->ops_data, &local);
    if (!handle) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW, _("cannot adopt controller %s: %s"),
                    model->name, local->message);
        return NULL;
    }
    if (!pool->ops->identify(handle, model, pool->ops_data, &local)) {
        pool->ops->release(handle, pool->ops_data);
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                    _("cannot identify controller %s: %s"), model->name, local->message);
        return NULL;
    }
    model->state = NVP_CONTROLLER_STATE_ADOPTED;
    *hw = handle;
    return g_steal_pointer(&model);
}

NvpController *
nvp_pool_ctrl_adopt(NvpPool *pool, const char *name, GError **error)
{
    NvpPciAddr addr;
    g_autoptr(GError) local = NULL;
    g_autoptr(NvpController) model = NULL;
    g_autofree char *xml = NULL;
    gpointer hw = NULL;
    PoolCtrl *pc;

    if (!pool_check_store(pool, error))
        return NULL;
    if (!nvp_pci_addr_parse(name, &addr, &local)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, "%s", local->message);
        return NULL;
    }
    {
        g_autofree char *canon = nvp_pci_addr_to_name(&addr);
        if (g_hash_table_contains(pool->ctrls, canon)) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS,
                        _("controller %s is already adopted"), canon);
            return NULL;
        }
    }
    if (g_hash_table_size(pool->ctrls) >= pool->limits.max_controllers) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT,
                    _("cannot adopt more than %u controllers"), pool->limits.max_controllers);
        return NULL;
    }
    model = pool_hw_adopt(pool, &addr, &hw, error);
    if (!model)
        return NULL;
    pool_hook(pool, "ctrl-adopt:before-write");
    xml = nvp_controller_format(model);
    if (!pool_store_write(pool->ctrl_store, model->name, xml, error)) {
        pool->ops->release(hw, pool->ops_data);
        return NULL;
    }
    pool_hook(pool, "ctrl-adopt:after-write");
    pc = pool_ctrl_new(g_steal_pointer(&model));
    pc->hw = hw;
    pool_ctrl_refresh(pool, pc);
    g_hash_table_insert(pool->ctrls, pc->model->name, pc);
    pool_event(pool, NVP_POOL_OBJECT_CONTROLLER, pc->model->name, "adopted");
    return nvp_controller_copy(pc->model);
}

gboolean
nvp_pool_ctrl_release(NvpPool *pool, const char *name, GError **error)
{
    PoolCtrl *pc = pool_find_ctrl(pool, name, error);
    g_autofree char *cname = NULL;

    if (!pc)
        return FALSE;
    if (pc->n_slices > 0) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("cannot release controller %s: %u slice(s) are active on it; stop their "
                      "domains first (see slice-list)"),
                    pc->model->name, pc->n_slices);
        return FALSE;
    }
    if (pc->n_volumes > 0) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("cannot release controller %s: it holds %u volume(s); delete them first "
                      "(see vol-list --ctrl %s)"),
                    pc->model->name, pc->n_volumes, pc->model->name);
        return FALSE;
    }
    pool_hook(pool, "ctrl-release:before-remove");
    if (!pool_store_remove(pool->ctrl_store, pc->model->name, error))
        return FALSE;
    pool_hook(pool, "ctrl-release:after-remove");
    if (pc->hw && pool->ops->release)
        pool->ops->release(pc->hw, pool->ops_data);
    pc->hw = NULL;
    cname = g_strdup(pc->model->name);
    g_hash_table_remove(pool->ctrls, cname);
    pool_event(pool, NVP_POOL_OBJECT_CONTROLLER, cname, "released");
    return TRUE;
}

NvpController *
nvp_pool_ctrl_get(NvpPool *pool, const char *name, GError **error)
{
    PoolCtrl *pc = pool_find_ctrl(pool, name, error);

    return pc ? nvp_controller_copy(pc->model) : NULL;
}

GPtrArray *
nvp_pool_ctrl_list(NvpPool *pool)
{
    g_autoptr(GPtrArray) keys = sorted_keys(pool->ctrls);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_controller_free);

    for (guint i = 0; i < keys->len; i++) {
        PoolCtrl *pc = g_hash_table_lookup(pool->ctrls, keys->pdata[i]);
        g_ptr_array_add(out, nvp_controller_copy(pc->model));
    }
    return out;
}

/* --- volumes --- */

static char *
fmt_size(guint64 bytes)
{
    return nvp_units_format_size(bytes);
}

/* Places vol (type, nsid, capacity filled) on pc: sets nsid, lba, blocks, block_size and claims
 * the extent in the maps. */
static gboolean
pool_place(NvpPool *pool, PoolCtrl *pc, NvpVolume *vol, GError **error)
{
    NvpController *m = pc->model;
    guint64 largest = 0;
    gboolean trusted = vol->isolation == NVP_ISOLATION_TRUSTED;

    /* The SSD executes a trusted guest's commands untranslated: its LBAs and NSID 1 are
     * physical, so a trusted volume starts at LBA 0 of namespace 1. */
    if (trusted && ((vol->nsid && vol->nsid != 1) || (vol->has_extent && vol->lba != 0))) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s' allows trusted mode, in which the guest addresses the SSD "
                      "directly: it must start at LBA 0 of namespace 1"),
                    vol->name);
        return FALSE;
    }
    if (vol->type == NVP_VOLUME_TYPE_NAMESPACE) {
        NvpNamespace *ns = nvp_controller_get_namespace(m, vol->nsid);
        NvpExtentMap *map;
        if (!ns) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                        _("controller %s has no namespace %u"), m->name, vol->nsid);
            return FALSE;
        }
        map = g_hash_table_lookup(pc->maps, GUINT_TO_POINTER(ns->nsid));
        if (vol->capacity && vol->capacity != ns->capacity) {
            g_autofree char *want = fmt_size(vol->capacity);
            g_autofree char *have = fmt_size(ns->capacity);
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                        _("volume '%s' asks for %s but namespace %u of %s is %s: a whole-"
                          "namespace volume takes exactly the namespace (omit <capacity>)"),
                        vol->name, want, ns->nsid, m->name, have);
            return FALSE;
        }
        if (!nvp_extent_map_reserve_whole(map)) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                        _("volume '%s' needs all of namespace %u of %s, but %u volume(s) "
                          "already use it"),
                        vol->name, ns->nsid, m->name, nvp_extent_map_get_n_extents(map));
            return FALSE;
        }
        vol->block_size = ns->block_size;
        vol->capacity = ns->capacity;
        vol->lba = 0;
        vol->blocks = ns->capacity / ns->block_size;
        vol->has_extent = TRUE;
        return TRUE;
    }

    for (guint i = 0; i < m->namespaces->len; i++) {
        NvpNamespace *ns = m->namespaces->pdata[i];
        NvpExtentMap *map = g_hash_table_lookup(pc->maps, GUINT_TO_POINTER(ns->nsid));
        guint64 length = nvp_extent_map_round(map, vol->capacity);
        guint64 start;

        if (vol->nsid && vol->nsid != ns->nsid)
            continue;
        if (vol->block_size && vol->block_size != ns->block_size) {
            if (vol->nsid) {
                g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                            _("volume '%s' asks for %u-byte blocks but namespace %u of %s is "
                              "formatted with %u-byte blocks"),
                            vol->name, vol->block_size, ns->nsid, m->name, ns->block_size);
                return FALSE;
            }
            continue;
        }
        if (length == 0)
            continue;
        if (vol->has_extent) {
            /* Restore or explicit placement: exactly there, or nowhere. */
            guint64 want_start = vol->lba * ns->block_size;
            if (vol->block_size != ns->block_size ||
                !nvp_extent_map_reserve(map, want_start, vol->blocks * ns->block_size)) {
                g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                            _("volume '%s': extent at LBA %llu (%llu blocks) on namespace %u of %s "
                              "is "
                              "unaligned, out of range or overlaps another volume"),
                            vol->name, (unsigned long long)vol->lba,
                            (unsigned long long)vol->blocks, ns->nsid, m->name);
                return FALSE;
            }
            vol->capacity = vol->blocks * ns->block_size;
            return TRUE;
        }
        if (trusted && ns->nsid != 1)
            continue;
        start = 0;
        if (trusted ? nvp_extent_map_reserve(map, 0, length)
                    : nvp_extent_map_alloc(map, length, &start)) {
            vol->nsid = ns->nsid;
            vol->block_size = ns->block_size;
            vol->capacity = length;
            vol->lba = start / ns->block_size;
            vol->blocks = length / ns->block_size;
            vol->has_extent = TRUE;
            return TRUE;
        }
        if (trusted) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                        _("volume '%s' allows trusted mode and so must start at LBA 0 of "
                          "namespace 1 of %s, where another volume already lies"),
                        vol->name, m->name);
            return FALSE;
        }
        largest = MAX(largest, nvp_extent_map_get_largest_free(map));
    }

    if (vol->nsid && !nvp_controller_get_namespace(m, vol->nsid)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                    _("controller %s has no namespace %u"), m->name, vol->nsid);
        return FALSE;
    }
    {
        g_autofree char *want = fmt_size(vol->capacity);
        guint64 free_bytes = 0;
        g_autofree char *have = NULL;
        g_autofree char *big = fmt_size(largest);

        for (guint i = 0; i < m->namespaces->len; i++) {
            NvpNamespace *ns = m->namespaces->pdata[i];
            if (!vol->nsid || ns->nsid == vol->nsid)
                free_bytes += ns->free;
        }
        have = fmt_size(free_bytes);
        if (m->namespaces->len == 0)
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                        _("volume '%s' needs %s but controller %s has no namespaces"), vol->name,
                        want, m->name);
        else if (free_bytes >= vol->capacity)
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                        _("volume '%s' needs %s but controller %s has %s free and the largest "
                          "contiguous free extent is %s"),
                        vol->name, want, m->name, have, big);
        else if (vol->nsid)
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                        _("volume '%s' needs %s but namespace %u of controller %s has %s free"),
                        vol->name, want, vol->nsid, m->name, have);
        else
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                        _("volume '%s' needs %s but controller %s has %s free"), vol->name, want,
                        m->name, have);
    }
    return FALSE;
}

static void
pool_unplace(PoolCtrl *pc, const NvpVolume *vol)
{
    NvpExtentMap *map = g_hash_table_lookup(pc->maps, GUINT_TO_POINTER(vol->nsid));

    if (map)
        nvp_extent_map_release(map, vol->lba * vol->block_size);
}

/* Checks def and builds the volume to be created (not placed yet). */
static NvpVolume *
pool_vol_prepare(NvpPool *pool, const NvpVolume *def, PoolCtrl **pc_out, GError **error)
{
    g_autoptr(NvpVolume) vol = NULL;
    PoolCtrl *pc;

    if (!nvp_volume_name_is_valid(def->name)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("invalid volume name '%s': use 1 to %d letters, digits, '_', '.', '+' or "
                      "'-', not starting with '.', '+' or '-'"),
                    def->name ? def->name : "", NVP_VOLUME_NAME_MAX);
        return NULL;
    }
    if (g_hash_table_contains(pool->volumes, def->name)) {
        NvpVolume *other = g_hash_table_lookup(pool->volumes, def->name);
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS,
                    _("volume '%s' already exists (on controller %s)"), def->name,
                    other->controller);
        return NULL;
    }
    pc = pool_find_ctrl(pool, def->controller ? def->controller : "", error);
    if (!pc)
        return NULL;
    if (pc->model->state != NVP_CONTROLLER_STATE_ADOPTED) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                    _("controller %s is unavailable (it could not be re-adopted); volumes "
                      "cannot be created on it"),
                    pc->model->name);
        return NULL;
    }
    if (pc->n_volumes >= pool->limits.max_volumes) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT,
                    _("controller %s already holds %u volumes, the limit"), pc->model->name,
                    pool->limits.max_volumes);
        return NULL;
    }
    if (def->queues == 0 || def->queues > pool->limits.max_queues_per_slice) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT,
                    _("volume '%s': %u queue pairs requested, the allowed range is 1 to %u"),
                    def->name, def->queues, pool->limits.max_queues_per_slice);
        return NULL;
    }
    if (def->type == NVP_VOLUME_TYPE_EXTENT && def->capacity == 0) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s': the capacity must be larger than 0"), def->name);
        return NULL;
    }
    if (def->type == NVP_VOLUME_TYPE_NAMESPACE && def->nsid == 0) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s': a whole-namespace volume needs a namespace"), def->name);
        return NULL;
    }
    vol = nvp_volume_copy(def);
    g_free(vol->controller);
    vol->controller = g_strdup(pc->model->name);
    if (!vol->uuid)
        vol->uuid = g_uuid_string_random();
    *pc_out = pc;
    return g_steal_pointer(&vol);
}

NvpVolume *
nvp_pool_vol_create(NvpPool *pool, const NvpVolume *def, GError **error)
{
    g_autoptr(NvpVolume) vol = NULL;
    g_autofree char *xml = NULL;
    PoolCtrl *pc = NULL;
    GHashTableIter iter;
    gpointer value;

    if (!pool_check_store(pool, error))
        return NULL;
    vol = pool_vol_prepare(pool, def, &pc, error);
    if (!vol)
        return NULL;
    g_hash_table_iter_init(&iter, pool->volumes);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        NvpVolume *other = value;
        if (g_strcmp0(other->uuid, vol->uuid) == 0) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_EXISTS,
                        _("UUID %s is already used by volume '%s'"), vol->uuid, other->name);
            return NULL;
        }
    }
    if (!pool_place(pool, pc, vol, error))
        return NULL;
    pool_hook(pool, "vol-create:before-write");
    xml = nvp_volume_format(vol);
    if (!pool_store_write(pool->vol_store, vol->name, xml, error)) {
        pool_unplace(pc, vol);
        return NULL;
    }
    pool_hook(pool, "vol-create:after-write");
    pc->n_volumes++;
    pool_ctrl_refresh(pool, pc);
    {
        NvpVolume *stored = nvp_volume_copy(vol);
        g_hash_table_insert(pool->volumes, stored->name, stored);
    }
    pool_event(pool, NVP_POOL_OBJECT_VOLUME, vol->name, "created");
    return g_steal_pointer(&vol);
}

NvpVolume *
nvp_pool_vol_resize(NvpPool *pool, const char *name, guint64 capacity, GError **error)
{
    NvpVolume *vol = pool_find_vol(pool, name, error);
    g_autoptr(NvpVolume) updated = NULL;
    g_autofree char *xml = NULL;
    NvpExtentMap *map;
    PoolCtrl *pc;
    guint64 length, start, old_length;

    if (!vol || !pool_check_store(pool, error))
        return NULL;
    pc = pool_find_ctrl(pool, vol->controller, error);
    if (!pc)
        return NULL;
    if (vol->type == NVP_VOLUME_TYPE_NAMESPACE) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s' is a whole namespace: it cannot be resized"), name);
        return NULL;
    }
    if (g_hash_table_contains(pool->slices, name)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("volume '%s' is in use by a slice; resize it while its domain is stopped"),
                    name);
        return NULL;
    }
    map = g_hash_table_lookup(pc->maps, GUINT_TO_POINTER(vol->nsid));
    length = nvp_extent_map_round(map, capacity);
    start = vol->lba * vol->block_size;
    old_length = vol->blocks * vol->block_size;
    if (length == 0 || length < old_length) {
        g_autofree char *want = fmt_size(capacity);
        g_autofree char *have = fmt_size(old_length);
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s' is %s: it can only grow (shrinking would cut off its data), "
                      "and %s is smaller"),
                    name, have, want);
        return NULL;
    }
    if (length == old_length)
        return nvp_volume_copy(vol);
    if (!nvp_extent_map_grow(map, start, length)) {
        g_autofree char *want = fmt_size(length - old_length);
        g_autofree char *room = fmt_size(nvp_extent_map_get_room_after(map, start));
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                    _("volume '%s' cannot grow by %s: only %s is free right after its extent on "
                      "namespace %u of %s (a volume is one contiguous extent)"),
                    name, want, room, vol->nsid, vol->controller);
        return NULL;
    }
    updated = nvp_volume_copy(vol);
    updated->capacity = length;
    updated->blocks = length / vol->block_size;
    pool_hook(pool, "vol-resize:before-write");
    xml = nvp_volume_format(updated);
    if (!pool_store_write(pool->vol_store, name, xml, error)) {
        /* Shrink the map back: release and re-reserve the old extent. */
        nvp_extent_map_release(map, start);
        nvp_extent_map_reserve(map, start, old_length);
        return NULL;
    }
    pool_hook(pool, "vol-resize:after-write");
    vol->capacity = updated->capacity;
    vol->blocks = updated->blocks;
    pool_ctrl_refresh(pool, pc);
    pool_event(pool, NVP_POOL_OBJECT_VOLUME, name, "resized");
    return g_steal_pointer(&updated);
}

gboolean
nvp_pool_vol_delete(NvpPool *pool, const char *name, gboolean wipe, GError **error)
{
    NvpVolume *vol = pool_find_vol(pool, name, error);
    PoolSlice *ps;
    PoolCtrl *pc;
    g_autofree char *vname = NULL;

    if (!vol || !pool_check_store(pool, error))
        return FALSE;
    ps = g_hash_table_lookup(pool->slices, name);
    if (ps) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("volume '%s' is in use by domain '%s' (%s); stop the domain first"), name,
                    ps->slice->domain_name ? ps->slice->domain_name : "?", ps->slice->domain_uuid);
        return FALSE;
    }
    pc = pool_find_ctrl(pool, vol->controller, error);
    if (!pc)
        return FALSE;
    if (wipe) {
        g_autoptr(GError) local = NULL;
        if (!pc->hw || !pool->ops->wipe) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                        _("cannot wipe volume '%s': %s"), name,
                        !pc->hw ? _("its controller is unavailable")
                                : _("the hardware layer cannot write zeroes in this build"));
            return FALSE;
        }
        if (!pool->ops->wipe(pc->hw, vol->nsid, vol->lba, vol->blocks, NVP_POOL_WIPE_WRITE_ZEROES,
                             pool->ops_data, &local)) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                        _("cannot wipe volume '%s': %s; the volume was kept"), name,
                        local->message);
            return FALSE;
        }
    }
    pool_hook(pool, "vol-delete:before-remove");
    if (!pool_store_remove(pool->vol_store, name, error))
        return FALSE;
    pool_hook(pool, "vol-delete:after-remove");
    pool_unplace(pc, vol);
    pc->n_volumes--;
    pool_ctrl_refresh(pool, pc);
    vname = g_strdup(name);
    g_hash_table_remove(pool->volumes, vname);
    pool_event(pool, NVP_POOL_OBJECT_VOLUME, vname, "deleted");
    return TRUE;
}

NvpVolume *
nvp_pool_vol_get(NvpPool *pool, const char *name, GError **error)
{
    NvpVolume *vol = pool_find_vol(pool, name, error);

    return vol ? nvp_volume_copy(vol) : NULL;
}

GPtrArray *
nvp_pool_vol_list(NvpPool *pool, const char *ctrl, GError **error)
{
    g_autoptr(GPtrArray) keys = sorted_keys(pool->volumes);
    GPtrArray *out;
    PoolCtrl *pc = NULL;

    if (ctrl && *ctrl) {
        pc = pool_find_ctrl(pool, ctrl, error);
        if (!pc)
            return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_volume_free);
    for (guint i = 0; i < keys->len; i++) {
        NvpVolume *vol = g_hash_table_lookup(pool->volumes, keys->pdata[i]);
        if (pc && g_strcmp0(vol->controller, pc->model->name) != 0)
            continue;
        g_ptr_array_add(out, nvp_volume_copy(vol));
    }
    return out;
}

/* --- slices --- */

static gboolean
pool_check_socket_path(NvpPool *pool, const char *path, GError **error)
{
    g_autofree char *prefix = g_strconcat(pool->rundir, "/", NULL);

    if (!g_path_is_absolute(path) || !g_str_has_prefix(path, prefix) || strstr(path, "/../") ||
        strstr(path, "/./") || g_str_has_suffix(path, "/..") ||
        strlen(path) > NVP_POOL_SOCKET_PATH_MAX) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("invalid endpoint path '%s': it must be an absolute path under %s of at "
                      "most %d bytes"),
                    path, pool->rundir, NVP_POOL_SOCKET_PATH_MAX);
        return FALSE;
    }
    return TRUE;
}

NvpSlice *
nvp_pool_slice_activate(NvpPool *pool, const NvpSlice *request, GError **error)
{
    const char *volume = request->volume;
    NvpVolume *vol = pool_find_vol(pool, volume, error);
    g_autoptr(NvpSlice) slice = NULL;
    g_autofree char *uuid = NULL;
    g_autofree char *sockname = NULL;
    PoolSlice *existing;
    PoolSlice *ps;
    PoolCtrl *pc;
    gpointer endpoint = NULL;
    guint queues = request->queues;
    NvpIsolation isolation = request->isolation;

    if (!vol)
        return NULL;
    existing = g_hash_table_lookup(pool->slices, volume);
    if (existing) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("volume '%s' is already in use by domain '%s' (%s)"), volume,
                    existing->slice->domain_name ? existing->slice->domain_name : "?",
                    existing->slice->domain_uuid);
        return NULL;
    }
    uuid = request->domain_uuid ? g_ascii_strdown(request->domain_uuid, -1) : NULL;
    if (!uuid || !g_uuid_string_is_valid(uuid)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, _("invalid domain UUID '%s'"),
                    request->domain_uuid ? request->domain_uuid : "");
        return NULL;
    }
    if (request->socket_path && !pool_check_socket_path(pool, request->socket_path, error))
        return NULL;
    pc = pool_find_ctrl(pool, vol->controller, error);
    if (!pc)
        return NULL;
    if (!pc->hw) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                    _("controller %s of volume '%s' is unavailable"), pc->model->name, volume);
        return NULL;
    }
    if (queues == 0)
        queues = vol->queues;
    if (isolation >= NVP_ISOLATION_LAST) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID, _("invalid isolation mode"));
        return NULL;
    }
    if (isolation == NVP_ISOLATION_TRUSTED && !pool->limits.allow_trusted) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("trusted mode is disabled on this host (allow_trusted in agent.conf)"));
        return NULL;
    }
    if (isolation == NVP_ISOLATION_TRUSTED && vol->isolation != NVP_ISOLATION_TRUSTED) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_INVALID,
                    _("volume '%s' allows only strict isolation; trusted mode needs a volume "
                      "created with isolation 'trusted'"),
                    volume);
        return NULL;
    }
    if (queues > pool->limits.max_queues_per_slice) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT,
                    _("a slice may have at most %u queue pairs, %u were requested"),
                    pool->limits.max_queues_per_slice, queues);
        return NULL;
    }
    if (pc->n_slices >= pool->limits.max_slices) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_LIMIT,
                    _("controller %s already serves %u slices, the limit"), pc->model->name,
                    pool->limits.max_slices);
        return NULL;
    }
    if (queues > pc->model->queues_free) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NO_SPACE,
                    _("volume '%s' needs %u queue pairs but controller %s has %u free"), volume,
                    queues, pc->model->name, pc->model->queues_free);
        return NULL;
    }
    if (pc->trusted_active) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("controller %s serves a slice in trusted mode, which must be its only "
                      "slice"),
                    pc->model->name);
        return NULL;
    }
    if (isolation == NVP_ISOLATION_TRUSTED && pc->n_slices > 0) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_BUSY,
                    _("volume '%s' asks for trusted mode, which is allowed only as the only "
                      "active slice of controller %s (%u are active)"),
                    volume, pc->model->name, pc->n_slices);
        return NULL;
    }

    slice = nvp_slice_new();
    slice->volume = g_strdup(volume);
    slice->controller = g_strdup(pc->model->name);
    slice->domain_uuid = g_steal_pointer(&uuid);
    slice->domain_name =
        g_strdup(request->domain_name && *request->domain_name ? request->domain_name : NULL);
    slice->queues = queues;
    slice->isolation = isolation;
    sockname = g_strconcat(volume, ".sock", NULL);
    slice->socket_path = request->socket_path
                             ? g_strdup(request->socket_path)
                             : g_build_filename(pool->rundir, "slices", sockname, NULL);
    slice->uid = request->uid;
    slice->gid = request->gid;
    slice->state = NVP_SLICE_STATE_ACTIVE;
    if (pool->ops->slice_start) {
        g_autoptr(GError) local = NULL;
        endpoint = pool->ops->slice_start(pc->hw, slice, vol, pool->ops_data, &local);
        if (!endpoint) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                        _("cannot start the endpoint of volume '%s': %s"), volume, local->message);
            return NULL;
        }
    }
    ps = g_new0(PoolSlice, 1);
    ps->slice = nvp_slice_copy(slice);
    ps->endpoint = endpoint;
    g_hash_table_insert(pool->slices, ps->slice->volume, ps);
    pc->n_slices++;
    pc->slice_queues += queues;
    pc->trusted_active = isolation == NVP_ISOLATION_TRUSTED;
    pool_ctrl_refresh(pool, pc);
    pool_event(pool, NVP_POOL_OBJECT_SLICE, volume, "activated");
    return g_steal_pointer(&slice);
}

gboolean
nvp_pool_slice_deactivate(NvpPool *pool, const char *volume, GError **error)
{
    PoolSlice *ps = volume ? g_hash_table_lookup(pool->slices, volume) : NULL;
    PoolCtrl *pc;
    g_autofree char *vname = NULL;

    if (!ps) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                    _("volume '%s' has no active slice"), volume ? volume : "");
        return FALSE;
    }
    if (ps->endpoint && pool->ops->slice_stop)
        pool->ops->slice_stop(ps->endpoint, pool->ops_data);
    pc = g_hash_table_lookup(pool->ctrls, ps->slice->controller);
    if (pc) {
        pc->n_slices--;
        pc->slice_queues -= ps->slice->queues;
        if (ps->slice->isolation == NVP_ISOLATION_TRUSTED)
            pc->trusted_active = FALSE;
        pool_ctrl_refresh(pool, pc);
    }
    vname = g_strdup(volume);
    g_hash_table_remove(pool->slices, vname);
    pool_event(pool, NVP_POOL_OBJECT_SLICE, vname, "deactivated");
    return TRUE;
}

static NvpSlice *
pool_slice_snapshot(NvpPool *pool, PoolSlice *ps)
{
    NvpSlice *copy = nvp_slice_copy(ps->slice);

    if (ps->endpoint && pool->ops->slice_counters)
        pool->ops->slice_counters(ps->endpoint, &copy->counters, pool->ops_data);
    return copy;
}

NvpSlice *
nvp_pool_slice_get(NvpPool *pool, const char *volume, GError **error)
{
    PoolSlice *ps = volume ? g_hash_table_lookup(pool->slices, volume) : NULL;

    if (!ps) {
        if (volume && g_hash_table_contains(pool->volumes, volume))
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                        _("volume '%s' has no active slice (its domain is not running)"), volume);
        else
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_NOT_FOUND,
                        _("volume '%s' does not exist (see vol-list)"), volume ? volume : "");
        return NULL;
    }
    return pool_slice_snapshot(pool, ps);
}

GPtrArray *
nvp_pool_slice_list(NvpPool *pool)
{
    g_autoptr(GPtrArray) keys = sorted_keys(pool->slices);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_slice_free);

    for (guint i = 0; i < keys->len; i++)
        g_ptr_array_add(out, pool_slice_snapshot(pool, g_hash_table_lookup(pool->slices,
                                                                           keys->pdata[i])));
    return out;
}

void
nvp_pool_get_stats(NvpPool *pool, NvpPoolStats *stats)
{
    GHashTableIter iter;
    gpointer value;

    memset(stats, 0, sizeof(*stats));
    stats->controllers = g_hash_table_size(pool->ctrls);
    stats->volumes = g_hash_table_size(pool->volumes);
    stats->slices = g_hash_table_size(pool->slices);
    g_hash_table_iter_init(&iter, pool->ctrls);
    while (g_hash_table_iter_next(&iter, NULL, &value)) {
        PoolCtrl *pc = value;
        stats->capacity += nvp_controller_get_capacity(pc->model);
        stats->free += nvp_controller_get_free(pc->model);
        stats->queues_total += pc->model->queues_total;
        stats->queues_free += pc->model->queues_free;
    }
    g_hash_table_iter_init(&iter, pool->volumes);
    while (g_hash_table_iter_next(&iter, NULL, &value))
        stats->allocated += ((NvpVolume *)value)->capacity;
}

/* --- restore --- */

static void warn(GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
warn(GPtrArray *warnings, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_ptr_array_add(warnings, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static char *
entry_to_name(const char *entry)
{
    if (!g_str_has_suffix(entry, ".xml"))
        return NULL;
    return g_strndup(entry, strlen(entry) - 4);
}

static void
pool_load_ctrl(NvpPool *pool, const char *entry, GPtrArray *warnings)
{
    g_autofree char *name = entry_to_name(entry);
    g_autofree char *xml = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(NvpController) saved = NULL;
    g_autoptr(NvpController) live = NULL;
    gpointer hw = NULL;
    PoolCtrl *pc;

    if (!name)
        return;
    if (!nvp_store_read(pool->ctrl_store, entry, &xml, NULL, &local) ||
        !(saved = nvp_controller_parse_string(xml, entry, &local))) {
        warn(warnings, _("controller state %s/%s is unreadable and was ignored: %s"),
             nvp_store_get_dir(pool->ctrl_store), entry, local->message);
        return;
    }
    if (g_strcmp0(saved->name, name) != 0) {
        warn(warnings, _("controller state %s/%s describes %s and was ignored"),
             nvp_store_get_dir(pool->ctrl_store), entry, saved->name);
        return;
    }
    live = pool_hw_adopt(pool, &saved->addr, &hw, &local);
    if (live && g_strcmp0(live->serial, saved->serial) != 0) {
        warn(warnings,
             _("controller %s now has serial '%s' but '%s' was adopted: it stays unavailable "
               "until the original device is back"),
             saved->name, live->serial ? live->serial : "", saved->serial ? saved->serial : "");
        pool->ops->release(hw, pool->ops_data);
        hw = NULL;
        g_clear_pointer(&live, nvp_controller_free);
    }
    if (!live) {
        if (local)
            warn(warnings,
                 _("controller %s could not be re-adopted (%s); its volumes are kept "
                   "and it is marked unavailable"),
                 saved->name, local->message);
        saved->state = NVP_CONTROLLER_STATE_UNAVAILABLE;
        live = g_steal_pointer(&saved);
    }
    pc = pool_ctrl_new(g_steal_pointer(&live));
    pc->hw = hw;
    pool_ctrl_refresh(pool, pc);
    g_hash_table_insert(pool->ctrls, pc->model->name, pc);
}

static void
pool_load_vol(NvpPool *pool, const char *entry, GPtrArray *warnings)
{
    g_autofree char *name = entry_to_name(entry);
    g_autofree char *xml = NULL;
    g_autoptr(GError) local = NULL;
    g_autoptr(NvpVolume) vol = NULL;
    PoolCtrl *pc;

    if (!name)
        return;
    if (!nvp_store_read(pool->vol_store, entry, &xml, NULL, &local) ||
        !(vol = nvp_volume_parse_string(xml, entry, &local))) {
        warn(warnings, _("volume state %s/%s is unreadable and was ignored: %s"),
             nvp_store_get_dir(pool->vol_store), entry, local->message);
        return;
    }
    if (g_strcmp0(vol->name, name) != 0 || !vol->has_extent) {
        warn(warnings, _("volume state %s/%s is inconsistent (name or extent) and was ignored"),
             nvp_store_get_dir(pool->vol_store), entry);
        return;
    }
    pc = g_hash_table_lookup(pool->ctrls, vol->controller);
    if (!pc) {
        warn(warnings,
             _("volume '%s' is on controller %s, which is not in the state; it was "
               "ignored"),
             vol->name, vol->controller);
        return;
    }
    if (!pool_place(pool, pc, vol, &local)) {
        warn(warnings, _("volume '%s' could not be restored: %s"), vol->name, local->message);
        return;
    }
    pc->n_volumes++;
    pool_ctrl_refresh(pool, pc);
    g_hash_table_insert(pool->volumes, vol->name, vol);
    vol = NULL;
}

gboolean
nvp_pool_load(NvpPool *pool, GPtrArray **warnings_out, GError **error)
{
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) ctrls = NULL;
    g_auto(GStrv) vols = NULL;
    g_autoptr(GError) local = NULL;

    if (!pool_check_store(pool, error))
        return FALSE;
    ctrls = nvp_store_list(pool->ctrl_store, &local);
    if (!ctrls || !(vols = nvp_store_list(pool->vol_store, &local))) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE,
                    _("cannot read the state directory %s: %s"), pool->statedir, local->message);
        return FALSE;
    }
    for (guint i = 0; ctrls[i]; i++)
        pool_load_ctrl(pool, ctrls[i], warnings);
    for (guint i = 0; vols[i]; i++)
        pool_load_vol(pool, vols[i], warnings);
    if (warnings_out)
        *warnings_out = g_steal_pointer(&warnings);
    return TRUE;
}
