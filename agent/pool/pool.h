/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpPool: adopted controllers, volumes carved from their namespaces, slices bound to domains,
 * persisted under the state directory. Hardware is reached only through NvpPoolHwOps. */
#pragma once

#include <glib.h>

#include "common/controller.h"
#include "common/slice.h"
#include "common/volume.h"

#define NVP_POOL_ERROR (nvp_pool_error_quark())
GQuark nvp_pool_error_quark(void);

typedef enum {
    NVP_POOL_ERROR_INVALID,     /* a malformed argument */
    NVP_POOL_ERROR_NOT_FOUND,   /* unknown controller, namespace, volume or slice */
    NVP_POOL_ERROR_EXISTS,      /* duplicate name, controller already adopted */
    NVP_POOL_ERROR_NO_SPACE,    /* capacity beyond free space, no free queue pairs */
    NVP_POOL_ERROR_BUSY,        /* has volumes, active slices, volume in use */
    NVP_POOL_ERROR_LIMIT,       /* a configured limit is reached */
    NVP_POOL_ERROR_HW,          /* the hardware layer failed */
    NVP_POOL_ERROR_UNAVAILABLE, /* the hardware (or vctrl) layer is not available */
    NVP_POOL_ERROR_STATE,       /* reading or writing the state directory failed */
    NVP_POOL_ERROR_LAST,
} NvpPoolError;

typedef enum {
    NVP_POOL_WIPE_WRITE_ZEROES,
    NVP_POOL_WIPE_DEALLOCATE,
} NvpPoolWipeMode;

/* The hardware below the pool: agent/hw in the daemon (agent/pool/hwops.c), a double in tests.
 * Handles are opaque to the pool. Every member may be NULL, meaning "not available". */
typedef struct {
    /* Take the controller at bdf ("0000:00:04.0") away from the kernel. */
    gpointer (*adopt)(const char *bdf, gpointer data, GError **error);
    void (*release)(gpointer handle, gpointer data);
    /* Identity of an adopted controller: serial, model, firmware, queue pairs, vectors and
     * namespaces (capacity, block size) filled in; name/addr come from the pool. */
    gboolean (*identify)(gpointer handle, NvpController *ctrl, gpointer data, GError **error);
    /* Zero or deallocate blocks LBAs from lba on nsid. */
    gboolean (*wipe)(gpointer handle, guint32 nsid, guint64 lba, guint64 blocks,
                     NvpPoolWipeMode mode, gpointer data, GError **error);
    /* Serve a slice (the vfio-user endpoint of a virtual controller); returns its handle. */
    gpointer (*slice_start)(gpointer handle, const NvpSlice *slice, const NvpVolume *vol,
                            gpointer data, GError **error);
    void (*slice_stop)(gpointer endpoint, gpointer data);
    void (*slice_counters)(gpointer endpoint, NvpSliceCounters *counters, gpointer data);
} NvpPoolHwOps;

typedef struct {
    guint max_controllers;      /* default 32 */
    guint max_volumes;          /* per controller, default 256 */
    guint max_slices;           /* per controller, default 64 */
    guint max_queues_per_slice; /* default NVP_VOLUME_QUEUES_MAX */
    guint reserved_queues;      /* queue pairs kept by the agent (wipe), default 1 */
    gboolean allow_trusted;     /* trusted slices may be requested at all, default TRUE */
} NvpPoolLimits;

typedef enum {
    NVP_POOL_OBJECT_CONTROLLER,
    NVP_POOL_OBJECT_VOLUME,
    NVP_POOL_OBJECT_SLICE,
} NvpPoolObject;

/* State changes, after they are persisted: event is "adopted", "released", "created",
 * "resized", "deleted", "activated", "deactivated". */
typedef void (*NvpPoolEventFunc)(NvpPoolObject kind, const char *name, const char *event,
                                 gpointer data);

/* Crash-test hook: called at named points around every state write ("vol-create:before-write",
 * "vol-create:after-write", ...) and inside each store write ("store:temp-written",
 * "store:renamed"). */
typedef void (*NvpPoolHookFunc)(const char *point, gpointer data);

typedef struct _NvpPool NvpPool;

/* statedir holds controllers/ and volumes/ (created 0700 if missing); rundir holds slice
 * sockets. ops may be NULL (no hardware at all). */
NvpPool *nvp_pool_new(const char *statedir, const char *rundir, const NvpPoolHwOps *ops,
                      gpointer ops_data);
void nvp_pool_free(NvpPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpPool, nvp_pool_free)

void nvp_pool_get_limits(NvpPool *pool, NvpPoolLimits *limits);
void nvp_pool_set_limits(NvpPool *pool, const NvpPoolLimits *limits);
void nvp_pool_set_event_func(NvpPool *pool, NvpPoolEventFunc func, gpointer data);
void nvp_pool_set_hook(NvpPool *pool, NvpPoolHookFunc func, gpointer data);

/* Reads the state directory: re-adopts every controller (one that cannot be adopted stays,
 * state "unavailable", with its volumes) and restores every volume at its recorded extent.
 * Problems with single files do not fail the load: they are returned in *warnings (strings)
 * and the files are left alone. FALSE only if the directory itself is unusable. */
gboolean nvp_pool_load(NvpPool *pool, GPtrArray **warnings, GError **error);

/* Controllers. name is "pci_0000_00_04_0" or "0000:00:04.0". Returned objects are copies. */
NvpController *nvp_pool_ctrl_adopt(NvpPool *pool, const char *name, GError **error);
gboolean nvp_pool_ctrl_release(NvpPool *pool, const char *name, GError **error);
NvpController *nvp_pool_ctrl_get(NvpPool *pool, const char *name, GError **error);
/* NvpController*, sorted by name. */
GPtrArray *nvp_pool_ctrl_list(NvpPool *pool);

/* Volumes. def: name, controller, capacity, optional nsid/type/isolation/queues/uuid; a given
 * extent is honoured exactly if free (else allocated first-fit). */
NvpVolume *nvp_pool_vol_create(NvpPool *pool, const NvpVolume *def, GError **error);
/* Grow in place to capacity bytes (rounded up to 1 MiB). */
NvpVolume *nvp_pool_vol_resize(NvpPool *pool, const char *name, guint64 capacity, GError **error);
gboolean nvp_pool_vol_delete(NvpPool *pool, const char *name, gboolean wipe, GError **error);
NvpVolume *nvp_pool_vol_get(NvpPool *pool, const char *name, GError **error);
/* NvpVolume*, sorted by name; ctrl NULL for all. */
GPtrArray *nvp_pool_vol_list(NvpPool *pool, const char *ctrl, GError **error);

/* Slices. request: volume, domain_uuid, domain_name (optional), queues (0: the volume's
 * default), isolation (trusted only if the volume is trusted too), socket_path (NULL: under
 * rundir/slices/; else it must be an absolute path under rundir), uid/gid of the endpoint. */
#define NVP_POOL_SOCKET_PATH_MAX 107
NvpSlice *nvp_pool_slice_activate(NvpPool *pool, const NvpSlice *request, GError **error);
gboolean nvp_pool_slice_deactivate(NvpPool *pool, const char *volume, GError **error);
NvpSlice *nvp_pool_slice_get(NvpPool *pool, const char *volume, GError **error);
GPtrArray *nvp_pool_slice_list(NvpPool *pool);

typedef struct {
    guint controllers;
    guint volumes;
    guint slices;
    guint64 capacity;
    guint64 free;
    guint64 allocated;
    guint queues_total;
    guint queues_free;
} NvpPoolStats;
void nvp_pool_get_stats(NvpPool *pool, NvpPoolStats *stats);
