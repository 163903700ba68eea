/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the libFuzzer targets: invariant checks that abort, memfd-backed guest
 * memory, and the memory patch format of the inputs. */
#pragma once

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* An invariant of the code under test: a violation is a finding, like a crash. */
#define FUZZ_CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
            abort(); \
        } \
    } while (0)

/* A memfd of size bytes (zero-filled) as QEMU hands guest RAM over: sealable (the DMA table
 * seals it against shrinking and refuses fds it cannot seal). */
static inline int
fuzz_memfd(gsize size)
{
    int fd = memfd_create("fuzz-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

    FUZZ_CHECK(fd >= 0);
    FUZZ_CHECK(ftruncate(fd, (off_t)size) == 0);
    return fd;
}

/* Memory patches: repeated [u8 sel][u16 offset LE][u16 len LE][len bytes]; sel bit 0 chooses
 * the second memory; offsets wrap, bytes past the end of a memory are dropped. */
static inline void
fuzz_apply_patches(const guint8 *p, gsize n, guint8 *mem0, gsize size0, guint8 *mem1, gsize size1)
{
    while (n >= 5) {
        guint8 *mem = (p[0] & 1) ? mem1 : mem0;
        gsize size = (p[0] & 1) ? size1 : size0;
        gsize off = (gsize)(p[1] | (p[2] << 8)) % size;
        gsize len = (gsize)(p[3] | (p[4] << 8));

        p += 5;
        n -= 5;
        if (len > n)
            len = n;
        memcpy(mem + off, p, MIN(len, size - off));
        p += len;
        n -= len;
    }
}

static inline GLogWriterOutput
fuzz_null_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
    return G_LOG_WRITER_HANDLED;
}

/* Guest-triggered log lines (rate-limited per object, and every input makes new objects) would
 * drown libFuzzer's output. Call once. */
static inline void
fuzz_quiet_logs(void)
{
    if (!g_getenv("FUZZ_VERBOSE"))
        g_log_set_writer_func(fuzz_null_writer, NULL, NULL);
}

/* FUZZ_TRACE=1: targets print what each input did (for checking seeds by hand). */
static inline gboolean
fuzz_trace(void)
{
    static int trace = -1;

    if (trace < 0)
        trace = g_getenv("FUZZ_TRACE") != NULL;
    return trace;
}
