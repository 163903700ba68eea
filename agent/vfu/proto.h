/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vfio-user wire format (QEMU docs/interop/vfio-user.rst, protocol 0.0): message header,
 * commands, flags and the fixed payloads we parse or send. Host endianness, packed by layout. */
#pragma once

#include <glib.h>
#include <linux/vfio.h>

#define NVP_VFU_MAJOR 0
#define NVP_VFU_MINOR 0

typedef enum {
    NVP_VFU_CMD_VERSION = 1,
    NVP_VFU_CMD_DMA_MAP = 2,
    NVP_VFU_CMD_DMA_UNMAP = 3,
    NVP_VFU_CMD_DEVICE_GET_INFO = 4,
    NVP_VFU_CMD_DEVICE_GET_REGION_INFO = 5,
    NVP_VFU_CMD_DEVICE_GET_REGION_IO_FDS = 6,
    NVP_VFU_CMD_DEVICE_GET_IRQ_INFO = 7,
    NVP_VFU_CMD_DEVICE_SET_IRQS = 8,
    NVP_VFU_CMD_REGION_READ = 9,
    NVP_VFU_CMD_REGION_WRITE = 10,
    NVP_VFU_CMD_DMA_READ = 11,
    NVP_VFU_CMD_DMA_WRITE = 12,
    NVP_VFU_CMD_DEVICE_RESET = 13,
    NVP_VFU_CMD_DIRTY_PAGES = 14,
    NVP_VFU_CMD_REGION_WRITE_MULTI = 15,
    NVP_VFU_CMD_DEVICE_FEATURE = 16,
} NvpVfuCommand;

/* header flags */
#define NVP_VFU_FLAG_TYPE_MASK 0x0fu
#define NVP_VFU_FLAG_TYPE_COMMAND 0x0u
#define NVP_VFU_FLAG_TYPE_REPLY 0x1u
#define NVP_VFU_FLAG_NO_REPLY 0x10u
#define NVP_VFU_FLAG_ERROR 0x20u
#define NVP_VFU_FLAG_KNOWN (NVP_VFU_FLAG_TYPE_MASK | NVP_VFU_FLAG_NO_REPLY | NVP_VFU_FLAG_ERROR)

typedef struct {
    guint16 id;
    guint16 command;
    guint32 size; /* whole message, header included */
    guint32 flags;
    guint32 error; /* errno in an error reply */
} NvpVfuHdr;
G_STATIC_ASSERT(sizeof(NvpVfuHdr) == 16);

typedef struct {
    guint16 major;
    guint16 minor;
    /* followed by an optional NUL-terminated JSON object */
} NvpVfuVersion;
G_STATIC_ASSERT(sizeof(NvpVfuVersion) == 4);

typedef struct {
    guint32 argsz;
    guint32 flags;  /* VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE */
    guint64 offset; /* file offset of the fd sent along, 0 without fd */
    guint64 iova;
    guint64 size;
} NvpVfuDmaMap;
G_STATIC_ASSERT(sizeof(NvpVfuDmaMap) == 32);

typedef struct {
    guint32 argsz;
    guint32 flags; /* 0 or VFIO_DMA_UNMAP_FLAG_ALL */
    guint64 iova;
    guint64 size;
} NvpVfuDmaUnmap;
G_STATIC_ASSERT(sizeof(NvpVfuDmaUnmap) == 24);

typedef struct {
    guint32 argsz;
    guint32 flags; /* VFIO_DEVICE_FLAGS_* */
    guint32 num_regions;
    guint32 num_irqs;
} NvpVfuDeviceInfo;
G_STATIC_ASSERT(sizeof(NvpVfuDeviceInfo) == 16);

typedef struct {
    guint32 argsz;
    guint32 flags; /* VFIO_REGION_INFO_FLAG_* */
    guint32 index;
    guint32 cap_offset;
    guint64 size;
    guint64 offset;
} NvpVfuRegionInfo;
G_STATIC_ASSERT(sizeof(NvpVfuRegionInfo) == 32);

typedef struct {
    guint32 argsz;
    guint32 flags; /* VFIO_IRQ_INFO_* */
    guint32 index;
    guint32 count;
} NvpVfuIrqInfo;
G_STATIC_ASSERT(sizeof(NvpVfuIrqInfo) == 16);

typedef struct {
    guint32 argsz;
    guint32 flags; /* one VFIO_IRQ_SET_DATA_* | one VFIO_IRQ_SET_ACTION_* */
    guint32 index;
    guint32 start;
    guint32 count;
    /* DATA_BOOL: count bytes follow; DATA_EVENTFD: count fds (or none) as SCM_RIGHTS */
} NvpVfuIrqSet;
G_STATIC_ASSERT(sizeof(NvpVfuIrqSet) == 20);

typedef struct {
    guint64 offset;
    guint32 region;
    guint32 count;
    /* data follows (write request, read reply) */
} NvpVfuRegionRw;
G_STATIC_ASSERT(sizeof(NvpVfuRegionRw) == 16);

/* Defaults and hard limits of this implementation. */
#define NVP_VFU_PAGE_SIZE 4096u
#define NVP_VFU_MAX_FDS 16u                      /* per message; QEMU rejects > 16 */
#define NVP_VFU_DEFAULT_MAX_XFER (1024u * 1024u) /* max_data_xfer_size */
#define NVP_VFU_DEFAULT_MAX_DMA_MAPS 1024u
#define NVP_VFU_MAX_REGIONS 16u
#define NVP_VFU_MAX_IRQ_TYPES 8u
