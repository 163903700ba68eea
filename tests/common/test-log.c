/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/log (threshold, G_MESSAGES_DEBUG, stderr only) and enum tables. */
#include <string.h>

#include "common/log.h"

/* Every enum value maps to a distinct string and back; out-of-range values and unknown strings
 * are rejected (NULL / -1) rather than read past the table. */
static void
test_enum_roundtrip(void)
{
    for (int i = 0; i < NVP_LOG_LAST; i++) {
        const char *s = nvp_log_level_to_string((NvpLogLevel)i);

        g_assert_nonnull(s);
        g_assert_cmpint(nvp_log_level_from_string(s), ==, i);
        for (int j = 0; j < i; j++)
            g_assert_cmpstr(nvp_log_level_to_string((NvpLogLevel)j), !=, s);
    }
    g_assert_null(nvp_log_level_to_string(NVP_LOG_LAST));
    g_assert_null(nvp_log_level_to_string((NvpLogLevel)-1));
    g_assert_cmpint(nvp_log_level_from_string("loud"), ==, -1);
    g_assert_cmpint(nvp_log_level_from_string(""), ==, -1);
    g_assert_cmpint(nvp_log_level_from_string(NULL), ==, -1);
    g_assert_cmpint(nvp_log_level_from_string("DEBUG"), ==, -1);
}

static void
emit_all(void)
{
    /* g_test_init() makes warnings fatal; the subprocess wants to see them printed. */
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    g_log_structured("nvp-test", G_LOG_LEVEL_WARNING, "MESSAGE", "w-%s", "shown");
    g_log_structured("nvp-test", G_LOG_LEVEL_MESSAGE, "MESSAGE", "m-%s", "shown");
    g_log_structured("nvp-test", G_LOG_LEVEL_INFO, "MESSAGE", "i-%s", "shown");
    g_log_structured("nvp-test", G_LOG_LEVEL_DEBUG, "MESSAGE", "d-%s", "shown");
}

/* The threshold hides less severe levels; everything goes to stderr, nothing to stdout. */
static void
test_threshold(void)
{
    if (g_test_subprocess()) {
        nvp_log_init(NVP_LOG_WARNING);
        emit_all();
        return;
    }
    g_unsetenv("G_MESSAGES_DEBUG");
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*w-shown*");
    g_test_trap_assert_stderr_unmatched("*m-shown*");
    g_test_trap_assert_stderr_unmatched("*d-shown*");
    g_test_trap_assert_stdout("");
}

/* --verbose (threshold debug) shows debug output without any environment variable. */
static void
test_verbose(void)
{
    if (g_test_subprocess()) {
        nvp_log_init(NVP_LOG_MESSAGE);
        nvp_log_init(NVP_LOG_DEBUG); /* a second init only moves the threshold */
        g_assert_cmpint(nvp_log_get_threshold(), ==, NVP_LOG_DEBUG);
        emit_all();
        return;
    }
    g_unsetenv("G_MESSAGES_DEBUG");
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*w-shown*m-shown*i-shown*d-shown*");
    g_test_trap_assert_stdout("");
}

/* $G_MESSAGES_DEBUG still turns on debug for the domains it names, and only those. */
static void
test_messages_debug_env(void)
{
    if (g_test_subprocess()) {
        nvp_log_init(NVP_LOG_MESSAGE);
        g_log_set_always_fatal(G_LOG_FATAL_MASK);
        g_log_structured("nvp-test", G_LOG_LEVEL_DEBUG, "MESSAGE", "named-debug");
        g_log_structured("nvp-other", G_LOG_LEVEL_DEBUG, "MESSAGE", "other-debug");
        return;
    }
    g_setenv("G_MESSAGES_DEBUG", "nvp-test", TRUE);
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_unsetenv("G_MESSAGES_DEBUG");
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*named-debug*");
    g_test_trap_assert_stderr_unmatched("*other-debug*");
}

/* A pipe is not the journal: output is plain text on stderr. */
static void
test_not_journal(void)
{
    if (g_test_subprocess()) {
        nvp_log_init(NVP_LOG_MESSAGE);
        g_assert_false(nvp_log_to_journal());
        g_log_set_always_fatal(G_LOG_FATAL_MASK);
        g_message("plain-text");
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_test_trap_assert_stderr("*plain-text*");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/enum/log-level-roundtrip", test_enum_roundtrip);
    g_test_add_func("/log/threshold", test_threshold);
    g_test_add_func("/log/verbose", test_verbose);
    g_test_add_func("/log/messages-debug-env", test_messages_debug_env);
    g_test_add_func("/log/not-journal", test_not_journal);
    return g_test_run();
}
