/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fixed guest memory of the fuzz targets: a real DMA region table (agent/vfu/dma.c) with
 * memfd-backed regions, the map function the translator and the admin emulation use, and the
 * oracle's own idea of what the device may touch. */
#pragma once

#include "agent/vfu/dma.h"
#include "tests/fuzz/fuzz-common.h"

/* Guest physical layout:
 *   [0, 64 KiB)           RAM, read/write (input patches land here)
 *   [128 KiB, +16 KiB)    fd-less region (QEMU's ROM): recorded, never accessible
 *   [256 KiB, +16 KiB)    read-only: the device may read it, never write it
 *   [4 GiB, +16 KiB)      read/write but outside the slice's IOVA window: the map refuses it */
#define FUZZ_RAM_GPA 0x0ull
#define FUZZ_RAM_SIZE 0x10000ull
#define FUZZ_NOFD_GPA 0x20000ull
#define FUZZ_RO_GPA 0x40000ull
#define FUZZ_RO_SIZE 0x4000ull
#define FUZZ_WINDOW_SIZE 0x100000000ull
#define FUZZ_FAR_GPA 0x100000000ull

typedef struct {
    NvpVfuDmaTable *dma;
    guint8 *ram; /* the RAM region as the agent maps it */
    guint8 *ro;  /* a writable alias of the read-only region, for the harness */
} FuzzGuest;

static inline void *
fuzz_guest_map(gpointer data, guint64 gpa, guint64 len, gboolean device_writes)
{
    FuzzGuest *g = data;

    if (gpa >= FUZZ_WINDOW_SIZE || len > FUZZ_WINDOW_SIZE - gpa)
        return NULL;
    return nvp_vfu_dma_table_translate(g->dma, gpa, len, device_writes);
}

static inline void
fuzz_guest_init(FuzzGuest *g)
{
    int fd;

    g->dma = nvp_vfu_dma_table_new(16);
    fd = fuzz_memfd(FUZZ_RAM_SIZE);
    FUZZ_CHECK(
        nvp_vfu_dma_table_add(g->dma, FUZZ_RAM_GPA, FUZZ_RAM_SIZE, fd, 0, TRUE, TRUE, NULL) == 0);
    FUZZ_CHECK(nvp_vfu_dma_table_add(g->dma, FUZZ_NOFD_GPA, 0x4000, -1, 0, TRUE, TRUE, NULL) == 0);
    fd = fuzz_memfd(FUZZ_RO_SIZE);
    FUZZ_CHECK(nvp_vfu_dma_table_add(g->dma, FUZZ_RO_GPA, FUZZ_RO_SIZE, fd, 0, TRUE, FALSE, NULL) ==
               0);
    fd = fuzz_memfd(0x4000);
    FUZZ_CHECK(nvp_vfu_dma_table_add(g->dma, FUZZ_FAR_GPA, 0x4000, fd, 0, TRUE, TRUE, NULL) == 0);
    g->ram = nvp_vfu_dma_table_translate(g->dma, FUZZ_RAM_GPA, FUZZ_RAM_SIZE, TRUE);
    FUZZ_CHECK(g->ram);
    g->ro = mmap(NULL, FUZZ_RO_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
                 nvp_vfu_dma_table_lookup(g->dma, FUZZ_RO_GPA)->fd, 0);
    FUZZ_CHECK(g->ro != MAP_FAILED);
}

static inline void
fuzz_guest_clear(FuzzGuest *g)
{
    memset(g->ram, 0, FUZZ_RAM_SIZE);
    memset(g->ro, 0, FUZZ_RO_SIZE);
}

/* The oracle: may the device touch [gpa, gpa+len)? */
static inline gboolean
fuzz_guest_in_ram(guint64 gpa, guint64 len, gboolean device_writes)
{
    if (len == 0)
        return FALSE;
    if (gpa < FUZZ_RAM_GPA + FUZZ_RAM_SIZE && gpa >= FUZZ_RAM_GPA &&
        len <= FUZZ_RAM_GPA + FUZZ_RAM_SIZE - gpa)
        return TRUE;
    if (!device_writes && gpa >= FUZZ_RO_GPA && gpa < FUZZ_RO_GPA + FUZZ_RO_SIZE &&
        len <= FUZZ_RO_GPA + FUZZ_RO_SIZE - gpa)
        return TRUE;
    return FALSE;
}
