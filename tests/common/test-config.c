/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests for common/config: key table, defaults, precise errors with key and line. */
#include <string.h>

#include "common/config.h"

/* Loads @text expecting failure with @code; the message must contain every string in @needles. */
static void
expect_error(const char *text, NvpConfigError code, const char *const *needles)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpConfig) cfg = nvp_config_load_data(text, "agent.conf", &error);

    g_assert_null(cfg);
    g_assert_error(error, NVP_CONFIG_ERROR, (gint)code);
    g_test_message("%s", error->message);
    for (guint i = 0; needles[i]; i++) {
        if (!strstr(error->message, needles[i]))
            g_error("'%s' not in '%s'", needles[i], error->message);
    }
}

/* Every default in the table satisfies its own type and range (load each as if written). */
static void
test_defaults_valid(void)
{
    guint n = 0;
    const NvpConfigKey *keys = nvp_config_keys(&n);

    g_assert_cmpuint(n, >, 0);
    for (guint i = 0; i < n; i++) {
        g_autofree char *text =
            g_strdup_printf("[%s]\n%s=%s\n", keys[i].group, keys[i].key, keys[i].def);
        g_autoptr(GError) error = NULL;
        g_autoptr(NvpConfig) cfg = nvp_config_load_data(text, "defaults", &error);

        g_assert_no_error(error);
        g_assert_nonnull(cfg);
        g_assert_nonnull(keys[i].help);
    }
}

/* An empty file (or only comments) gives the defaults; values set in the file win. */
static void
test_values_and_defaults(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpConfig) def = nvp_config_new();
    g_autoptr(NvpConfig) cfg = NULL;
    const char *text = "# comment\n"
                       "\n"
                       "[limits]\n"
                       "  max_queue_depth = 256  \n"
                       "[slices]\n"
                       "allow_trusted=true\n"
                       "default_mode=trusted\n"
                       "[agent]\n"
                       "state_dir=/tmp/nvp state\n";

    g_assert_cmpuint(nvp_config_get_uint(def, "limits", "max_queue_depth"), ==, 1024);
    g_assert_false(nvp_config_get_bool(def, "slices", "allow_trusted"));
    g_assert_cmpstr(nvp_config_get_string(def, "slices", "default_mode"), ==, "strict");
    g_assert_cmpstr(nvp_config_get_string(def, "agent", "state_dir"), ==, NVP_STATEDIR);
    g_assert_null(nvp_config_get_source(def));

    cfg = nvp_config_load_data(text, "agent.conf", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(nvp_config_get_uint(cfg, "limits", "max_queue_depth"), ==, 256);
    g_assert_true(nvp_config_get_bool(cfg, "slices", "allow_trusted"));
    g_assert_cmpstr(nvp_config_get_string(cfg, "slices", "default_mode"), ==, "trusted");
    g_assert_cmpstr(nvp_config_get_string(cfg, "agent", "state_dir"), ==, "/tmp/nvp state");
    g_assert_cmpuint(nvp_config_get_uint(cfg, "limits", "max_slices_per_controller"), ==, 64);
    g_assert_cmpstr(nvp_config_get_source(cfg), ==, "agent.conf");
}

/* An unknown key is an error naming the key, its group and its line. */
static void
test_unknown_key_line(void)
{
    static const char *const needles[] = { "agent.conf:5:", "max_queus", "[limits]", NULL };

    expect_error("[agent]\nlog_level=info\n\n[limits]\nmax_queus=4\n", NVP_CONFIG_ERROR_UNKNOWN,
                 needles);
}

/* An unknown group is an error naming the group and its line. */
static void
test_unknown_group_line(void)
{
    static const char *const needles[] = { "agent.conf:3:", "[limit]", NULL };

    expect_error("[agent]\n# x\n[limit]\nmax_queue_depth=4\n", NVP_CONFIG_ERROR_UNKNOWN, needles);
}

/* Out-of-range numbers name key, value, range and line. */
static void
test_out_of_range_line(void)
{
    static const char *const needles[] = {
        "agent.conf:4:", "max_queue_depth", "70000", "2..65536", NULL,
    };

    expect_error("[limits]\nmax_slices_per_controller=3\n# deep\nmax_queue_depth=70000\n",
                 NVP_CONFIG_ERROR_VALUE, needles);
}

/* Values of the wrong type are errors naming key and line, for every type. */
static void
test_bad_values(void)
{
    static const struct {
        const char *text;
        const char *key;
    } cases[] = {
        { "[limits]\n\nmax_dma_regions=-1\n", "max_dma_regions" },
        { "[limits]\n\nmax_dma_regions=12k\n", "max_dma_regions" },
        { "[limits]\n\nmax_dma_regions=0\n", "max_dma_regions" },
        { "[limits]\n\nmax_dma_regions=\n", "max_dma_regions" },
        { "[slices]\n\nallow_trusted=yes\n", "allow_trusted" },
        { "[slices]\n\ndefault_mode=lax\n", "default_mode" },
        { "[agent]\n\nstate_dir=relative/dir\n", "state_dir" },
        { "[agent]\n\nlog_level=loud\n", "log_level" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *needles[] = { "agent.conf:3:", cases[i].key, NULL };

        expect_error(cases[i].text, NVP_CONFIG_ERROR_VALUE, needles);
    }
}

/* Lines GKeyFile would accept silently or reject without a line are syntax errors with one. */
static void
test_syntax_errors(void)
{
    static const char *const no_eq[] = { "agent.conf:2:", "garbage", NULL };
    static const char *const no_group[] = { "agent.conf:1:", "log_level", NULL };
    static const char *const open_group[] = { "agent.conf:3:", NULL };

    expect_error("[agent]\ngarbage\n", NVP_CONFIG_ERROR_SYNTAX, no_eq);
    expect_error("log_level=info\n[agent]\n", NVP_CONFIG_ERROR_SYNTAX, no_group);
    expect_error("[agent]\nlog_level=info\n[limits\n", NVP_CONFIG_ERROR_SYNTAX, open_group);
}

/* A key or group set twice is an error pointing at both lines (GKeyFile keeps the last silently). */
static void
test_duplicates(void)
{
    static const char *const key[] = { "agent.conf:4:", "line 2", "log_level", NULL };
    static const char *const group[] = { "agent.conf:3:", "line 1", "[agent]", NULL };

    expect_error("[agent]\nlog_level=info\n\nlog_level=debug\n", NVP_CONFIG_ERROR_DUPLICATE, key);
    expect_error("[agent]\nlog_level=info\n[agent]\n", NVP_CONFIG_ERROR_DUPLICATE, group);
}

/* Localised variants (key[de]=) are not keys we know. */
static void
test_locale_variant(void)
{
    static const char *const needles[] = { "agent.conf:2:", "log_level[de]", NULL };

    expect_error("[agent]\nlog_level[de]=info\n", NVP_CONFIG_ERROR_UNKNOWN, needles);
}

/* The default path is used only when no file is named; a missing default file means defaults,
 * a missing named file is an error. */
static void
test_load_files(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpConfig) cfg = NULL;

    g_assert_true(g_str_has_suffix(nvp_config_default_path(), "/virt-nvmepool/agent.conf"));
    g_assert_true(g_path_is_absolute(nvp_config_default_path()));
    cfg = nvp_config_load("/nonexistent/agent.conf", &error);
    g_assert_null(cfg);
    g_assert_error(error, NVP_CONFIG_ERROR, NVP_CONFIG_ERROR_IO);
    g_assert_nonnull(strstr(error->message, "/nonexistent/agent.conf"));
}

/* The installed example (data/agent.conf) loads cleanly and shows every key, commented out, with
 * its default: documentation and table cannot drift apart. */
static void
test_example_file(void)
{
    g_autofree char *path = g_build_filename(g_getenv("NVP_BUILDDIR"), "data", "agent.conf", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpConfig) cfg = nvp_config_load(path, &error);
    g_autofree char *text = NULL;
    guint n = 0;
    const NvpConfigKey *keys = nvp_config_keys(&n);

    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    for (guint i = 0; i < n; i++) {
        g_autofree char *line = g_strdup_printf("\n#%s=%s\n", keys[i].key, keys[i].def);
        g_autofree char *group = g_strdup_printf("\n[%s]\n", keys[i].group);
        const char *g = strstr(text, group);
        const char *l = strstr(text, line);

        if (!g || !l || l < g)
            g_error("%s lacks '%s' under [%s]", path, g_strstrip(line), keys[i].group);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/config/defaults-valid", test_defaults_valid);
    g_test_add_func("/config/values-and-defaults", test_values_and_defaults);
    g_test_add_func("/config/unknown-key-line", test_unknown_key_line);
    g_test_add_func("/config/unknown-group-line", test_unknown_group_line);
    g_test_add_func("/config/out-of-range-line", test_out_of_range_line);
    g_test_add_func("/config/bad-values", test_bad_values);
    g_test_add_func("/config/syntax-errors", test_syntax_errors);
    g_test_add_func("/config/duplicates", test_duplicates);
    g_test_add_func("/config/locale-variant", test_locale_variant);
    g_test_add_func("/config/load-files", test_load_files);
    g_test_add_func("/config/example-file", test_example_file);
    return g_test_run();
}
