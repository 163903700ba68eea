/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpPoolHwOps implemented with agent/hw: adopt/release/identify, wipe with Write Zeroes on a
 * temporary, polled I/O queue pair of the agent's own, health checks, and slice endpoints as
 * agent/vctrl virtual controllers. */
#include "agent/pool/hwops.h"

#include <errno.h>
#include <string.h>

#include "agent/hw/ctrl.h"
#include "agent/hw/queue.h"
#include "agent/pool/health.h"
#include "agent/vctrl/vctrl.h"
#include "common/i18n.h"

#define WIPE_QUEUE_ENTRIES 16
#define WIPE_MAX_BLOCKS 65536u /* NLB is a 16-bit, 0-based field */
#define WIPE_TIMEOUT_US (30 * G_USEC_PER_SEC)
#define NVME_CMD_WRITE_ZEROES 0x08
#define NVME_ONCS_WRITE_ZEROES (1u << 3)
#define NVME_WZ_DEAC (1u << 25)

#define HEALTH_INTERVAL_S 1

/* Per adopted controller: its slices' virtual controllers (told about resets) and the health
 * check timer, armed only while the controller has live I/O queue pairs (agent/hw tells us). */
typedef struct {
    GPtrArray *vctrls; /* NvpVctrl*, not owned */
    NvpPoolHealth *health;
} HwEntry;

static GHashTable *hw_entries; /* NvpHwCtrl* -> HwEntry */

static void
hw_entry_free(HwEntry *e)
{
    nvp_pool_health_free(e->health);
    g_ptr_array_unref(e->vctrls);
    g_free(e);
}

static void
on_hw_reset(NvpHwCtrl *hw, const guint16 *lost_qids, guint n_lost, gpointer data)
{
    HwEntry *e = hw_entries ? g_hash_table_lookup(hw_entries, hw) : NULL;

    for (guint i = 0; e && i < e->vctrls->len; i++)
        nvp_vctrl_hw_lost_queues(e->vctrls->pdata[i], lost_qids, n_lost);
}

static gboolean
on_health(gpointer data)
{
    NvpHwCtrl *hw = data;
    g_autoptr(GError) error = NULL;

    if (!nvp_hw_ctrl_check_health(hw, &error))
        g_warning("controller %s: %s", nvp_hw_ctrl_get_pci_addr(hw), error->message);
    return G_SOURCE_CONTINUE;
}

/* Any thread: the first I/O queue pair was created or the last one went away. */
static void
on_hw_queues(NvpHwCtrl *hw, gboolean live, gpointer data)
{
    nvp_pool_health_set_active(data, live);
}

static gpointer
hw_adopt(const char *bdf, gpointer data, GError **error)
{
    /* ctrl-release hands a controller back to the kernel's nvme driver, also when a killed
     * agent left it on vfio-pci and this adoption found it there. */
    static const NvpHwCtrlOptions opts = { .release_driver = "nvme" };
    NvpHwCtrl *hw = nvp_hw_ctrl_adopt(bdf, &opts, error);
    HwEntry *e;

    if (!hw)
        return NULL;
    if (!hw_entries)
        hw_entries = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                           (GDestroyNotify)hw_entry_free);
    e = g_new0(HwEntry, 1);
    e->vctrls = g_ptr_array_new();
    e->health = nvp_pool_health_new(HEALTH_INTERVAL_S * 1000, on_health, hw);
    g_hash_table_insert(hw_entries, hw, e);
    nvp_hw_ctrl_set_reset_callback(hw, on_hw_reset, NULL);
    nvp_hw_ctrl_set_queues_callback(hw, on_hw_queues, e->health);
    return hw;
}

static void
hw_release(gpointer handle, gpointer data)
{
    /* the release deletes leftover queue pairs: no callback into the freed entry */
    nvp_hw_ctrl_set_queues_callback(handle, NULL, NULL);
    if (hw_entries)
        g_hash_table_remove(hw_entries, handle);
    nvp_hw_ctrl_release(handle);
}

/* Identify strings are space-padded, not NUL-terminated. */
static char *
id_string(const char *field, gsize len)
{
    char *s = g_strndup(field, len);

    g_strstrip(s);
    return s;
}

static gboolean
hw_identify(gpointer handle, NvpController *ctrl, gpointer data, GError **error)
{
    NvpHwCtrl *hw = handle;
    const struct nvme_id_ctrl *id = nvp_hw_ctrl_get_id(hw);
    const guint32 *nsids;
    guint n = 0;

    ctrl->serial = id_string(id->sn, sizeof(id->sn));
    ctrl->model = id_string(id->mn, sizeof(id->mn));
    ctrl->firmware = id_string(id->fr, sizeof(id->fr));
    ctrl->queues_total = nvp_hw_ctrl_get_max_qpairs(hw);
    ctrl->vectors_total = nvp_hw_ctrl_get_n_vectors(hw);
    nsids = nvp_hw_ctrl_get_nsids(hw, &n);
    for (guint i = 0; i < n && i < NVP_CONTROLLER_MAX_NAMESPACES; i++) {
        const struct nvme_id_ns *ns = nvp_hw_ctrl_get_ns(hw, nsids[i]);
        guint32 bs = nvp_hw_ctrl_get_lba_size(hw, nsids[i]);
        if (!ns || bs == 0)
            continue;
        nvp_controller_add_namespace(ctrl, nvp_namespace_new(nsids[i],
                                                             GUINT64_FROM_LE(ns->nsze) * bs, bs));
    }
    return TRUE;
}

static gboolean
hw_wipe(gpointer handle, guint32 nsid, guint64 lba, guint64 blocks, NvpPoolWipeMode mode,
        gpointer data, GError **error)
{
    NvpHwCtrl *hw = handle;
    const struct nvme_id_ctrl *id = nvp_hw_ctrl_get_id(hw);
    g_autoptr(NvpHwDmaBuf) sq_buf = NULL;
    g_autoptr(NvpHwDmaBuf) cq_buf = NULL;
    guint16 qid = 0;
    NvpHwSq sq;
    NvpHwCq cq;
    gboolean ok = TRUE;

    if (!(GUINT16_FROM_LE(id->oncs) & NVME_ONCS_WRITE_ZEROES)) {
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_UNAVAILABLE,
                    _("the controller does not support Write Zeroes"));
        return FALSE;
    }
    sq_buf = nvp_hw_dma_buf_new(hw, WIPE_QUEUE_ENTRIES * sizeof(NvpNvmeSqe), error);
    if (!sq_buf)
        return FALSE;
    cq_buf = nvp_hw_dma_buf_new(hw, WIPE_QUEUE_ENTRIES * sizeof(NvpNvmeCqe), error);
    if (!cq_buf)
        return FALSE;
    if (!nvp_hw_ctrl_qpair_create(hw, cq_buf->iova, WIPE_QUEUE_ENTRIES, -1, sq_buf->iova,
                                  WIPE_QUEUE_ENTRIES, &qid, error))
        return FALSE;
    nvp_hw_sq_init(&sq, qid, sq_buf->vaddr, WIPE_QUEUE_ENTRIES, nvp_hw_ctrl_sq_doorbell(hw, qid));
    nvp_hw_cq_init(&cq, qid, cq_buf->vaddr, WIPE_QUEUE_ENTRIES, nvp_hw_ctrl_cq_doorbell(hw, qid));

    /* One command at a time: simple, and a wipe is not on any latency path. */
    for (guint64 done = 0; ok && done < blocks;) {
        guint32 n = (guint32)MIN(blocks - done, (guint64)WIPE_MAX_BLOCKS);
        guint64 slba = lba + done;
        NvpNvmeSqe *cmd = nvp_hw_sq_slot(&sq);
        const NvpNvmeCqe *cqe = NULL;
        gint64 deadline = g_get_monotonic_time() + WIPE_TIMEOUT_US;

        memset(cmd, 0, sizeof(*cmd));
        cmd->opcode = NVME_CMD_WRITE_ZEROES;
        cmd->cid = GUINT16_TO_LE((guint16)(sq.tail));
        cmd->nsid = GUINT32_TO_LE(nsid);
        cmd->cdw10 = GUINT32_TO_LE((guint32)slba);
        cmd->cdw11 = GUINT32_TO_LE((guint32)(slba >> 32));
        cmd->cdw12 = GUINT32_TO_LE((n - 1) | (mode == NVP_POOL_WIPE_DEALLOCATE ? NVME_WZ_DEAC : 0));
        nvp_hw_sq_advance(&sq);
        nvp_hw_sq_ring(&sq);
        while (!(cqe = nvp_hw_cq_peek(&cq))) {
            if (g_get_monotonic_time() > deadline) {
                g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                            _("Write Zeroes at LBA %llu timed out"), (unsigned long long)slba);
                ok = FALSE;
                break;
            }
            g_usleep(20);
        }
        if (!cqe)
            break;
        if (NVP_NVME_CQE_STATUS(cqe) != 0) {
            g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_HW,
                        _("Write Zeroes at LBA %llu failed with status 0x%x"),
                        (unsigned long long)slba, NVP_NVME_CQE_STATUS(cqe));
            ok = FALSE;
        }
        nvp_hw_sq_set_head(&sq, GUINT16_FROM_LE(cqe->sqhd));
        nvp_hw_cq_advance(&cq);
        nvp_hw_cq_ring(&cq);
        done += n;
    }
    /* Deleting the SQ aborts anything still outstanding (after a timeout). */
    if (!nvp_hw_ctrl_qpair_delete(hw, qid, ok ? error : NULL))
        ok = FALSE;
    return ok;
}

/* "0f3c9a52-6a0e-..." -> 16 bytes; all zero if it does not parse. */
static void
uuid_bytes(const char *uuid, guint8 out[16])
{
    guint n = 0;

    memset(out, 0, 16);
    for (const char *p = uuid; p && *p && n < 32; p++) {
        int d = g_ascii_xdigit_value(*p);
        if (d < 0)
            continue;
        out[n / 2] |= (guint8)(n % 2 ? d : d << 4);
        n++;
    }
    if (n != 32)
        memset(out, 0, 16);
}

static gpointer
hw_slice_start(gpointer handle, const NvpSlice *slice, const NvpVolume *vol, gpointer data,
               GError **error)
{
    NvpHwCtrl *hw = handle;
    HwEntry *e = hw_entries ? g_hash_table_lookup(hw_entries, hw) : NULL;
    g_autofree char *dir = g_path_get_dirname(slice->socket_path);
    NvpVctrlConfig cfg = { 0 };
    NvpVctrl *v;

    if (g_mkdir_with_parents(dir, 0755) < 0) {
        int errsv = errno;
        g_set_error(error, NVP_POOL_ERROR, NVP_POOL_ERROR_STATE, _("cannot create %s: %s"), dir,
                    g_strerror(errsv));
        return NULL;
    }
    cfg.name = slice->volume;
    cfg.nsid = vol->nsid;
    cfg.lba_start = vol->lba;
    cfg.lba_count = vol->blocks;
    cfg.n_qpairs = (guint16)slice->queues;
    cfg.mode =
        slice->isolation == NVP_ISOLATION_TRUSTED ? NVP_VCTRL_MODE_TRUSTED : NVP_VCTRL_MODE_STRICT;
    cfg.socket_path = slice->socket_path;
    cfg.set_owner = TRUE;
    cfg.uid = slice->uid;
    cfg.gid = slice->gid;
    uuid_bytes(vol->uuid, cfg.uuid);
    v = nvp_vctrl_new(hw, &cfg, error);
    if (v && e)
        g_ptr_array_add(e->vctrls, v);
    return v;
}

static void
hw_slice_stop(gpointer endpoint, gpointer data)
{
    NvpVctrl *v = endpoint;
    HwEntry *e = hw_entries ? g_hash_table_lookup(hw_entries, nvp_vctrl_get_hw(v)) : NULL;

    if (e)
        g_ptr_array_remove(e->vctrls, v);
    nvp_vctrl_free(v);
}

const NvpPoolHwOps nvp_pool_hw_ops = {
    .adopt = hw_adopt,
    .release = hw_release,
    .identify = hw_identify,
    .wipe = hw_wipe,
    .slice_start = hw_slice_start,
    .slice_stop = hw_slice_stop,
};
