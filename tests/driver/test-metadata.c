/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Our domain <metadata> element: fixture round trips (tests/driver/data/metadata/good), schema
 * rejections (bad/), libvirt's namespace-stripped form, volume names and socket paths. */
#include <string.h>

#include "common/xml.h"
#include "driver/metadata.h"

static char *
data_path(const char *rel)
{
    return g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "driver", "data", "metadata", rel,
                            NULL);
}

/* good/X parses and formats back to exactly X (format is the fixed point of parse). */
static void
test_round_trip(gconstpointer data)
{
    const char *path = data;
    g_autofree char *in = NULL;
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainMetadata) md = NULL;

    g_assert_true(g_file_get_contents(path, &in, NULL, &error));
    md = nvp_domain_metadata_parse(in, &error);
    g_assert_no_error(error);
    g_assert_nonnull(md);
    out = nvp_domain_metadata_format(md, TRUE);
    if (g_getenv("NVP_REGENERATE_OUTPUT"))
        g_assert_true(g_file_set_contents(path, out, -1, NULL));
    g_assert_cmpstr(out, ==, in);
}

/* bad/X is refused with a metadata or schema error, never accepted. */
static void
test_bad(gconstpointer data)
{
    const char *path = data;
    g_autofree char *in = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainMetadata) md = NULL;

    g_assert_true(g_file_get_contents(path, &in, NULL, NULL));
    md = nvp_domain_metadata_parse(in, &error);
    g_assert_null(md);
    g_assert_nonnull(error);
    g_assert_true(error->domain == NVP_METADATA_ERROR || error->domain == NVP_XML_ERROR);
}

/* The values of the two-volume fixture land in the right fields. */
static void
test_fields(void)
{
    g_autofree char *path = data_path("good/two-volumes.xml");
    g_autofree char *in = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainMetadata) md = NULL;
    NvpDomainVolume *vol;

    g_assert_true(g_file_get_contents(path, &in, NULL, NULL));
    md = nvp_domain_metadata_parse(in, &error);
    g_assert_no_error(error);
    g_assert_true(md->memory_backing_added && md->memfd_added && md->shared_added);
    g_assert_cmpuint(md->volumes->len, ==, 2);
    vol = nvp_domain_metadata_find(md, "db01");
    g_assert_nonnull(vol);
    g_assert_cmpuint(vol->queues, ==, 4);
    g_assert_cmpuint(vol->port, ==, 3);
    g_assert_cmpint(vol->plug, ==, NVP_DOMAIN_PLUG_COLD);
    g_assert_cmpstr(vol->device_id, ==, "nvp-db01");
    vol = nvp_domain_metadata_find(md, "scratch+1");
    g_assert_nonnull(vol);
    g_assert_cmpuint(vol->queues, ==, 0);
    g_assert_cmpint(vol->plug, ==, NVP_DOMAIN_PLUG_HOT);
    g_assert_null(nvp_domain_metadata_find(md, "nope"));
    g_assert_true(nvp_domain_metadata_remove(md, "db01"));
    g_assert_false(nvp_domain_metadata_remove(md, "db01"));
    g_assert_cmpuint(md->volumes->len, ==, 1);
}

/* virDomainGetMetadata() returns our element without its namespace, and virDomainSetMetadata()
 * wants it that way: the bare form parses to the same thing and formats without a prefix. */
static void
test_bare_form(void)
{
    g_autofree char *path = data_path("good/two-volumes.xml");
    g_autofree char *in = NULL;
    g_autofree char *bare = NULL;
    g_autofree char *again = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainMetadata) md = NULL;
    g_autoptr(NvpDomainMetadata) md2 = NULL;

    g_assert_true(g_file_get_contents(path, &in, NULL, NULL));
    md = nvp_domain_metadata_parse(in, &error);
    g_assert_no_error(error);
    bare = nvp_domain_metadata_format(md, FALSE);
    g_assert_null(strstr(bare, "nvp:"));
    g_assert_null(strstr(bare, "xmlns"));
    g_assert_true(g_str_has_prefix(bare, "<volumes "));
    md2 = nvp_domain_metadata_parse(bare, &error);
    g_assert_no_error(error);
    again = nvp_domain_metadata_format(md2, TRUE);
    g_assert_cmpstr(again, ==, in);
}

static void
test_volume_names(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *id = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *long_name = g_strnfill(64, 'x');
    g_autofree char *too_long = g_strnfill(65, 'x');
    const char *uuid = "6e2c4b0e-5b1f-4a55-9a0e-2f1a4c7e9d01";

    g_assert_true(nvp_domain_volume_name_check("db01", NULL));
    g_assert_true(nvp_domain_volume_name_check("_a.b+c-d", NULL));
    g_assert_true(nvp_domain_volume_name_check(long_name, NULL));
    g_assert_false(nvp_domain_volume_name_check(too_long, NULL));
    g_assert_false(nvp_domain_volume_name_check("", NULL));
    g_assert_false(nvp_domain_volume_name_check("-a", NULL));
    g_assert_false(nvp_domain_volume_name_check("a b", &error));
    g_assert_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_NAME);
    g_clear_error(&error);
    g_assert_false(nvp_domain_volume_name_check("../etc", NULL));

    /* '+' is not allowed in QEMU ids */
    id = nvp_domain_volume_device_id("a+b");
    g_assert_cmpstr(id, ==, "nvp-a_b");

    sock = nvp_domain_volume_socket_path(uuid, "db01", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(sock, ==,
                    NVP_RUNDIR "/vfio-user/6e2c4b0e-5b1f-4a55-9a0e-2f1a4c7e9d01-db01.sock");
    /* sun_path is 108 bytes: a 64-character name does not fit after the UUID */
    g_assert_null(nvp_domain_volume_socket_path(uuid, long_name, &error));
    g_assert_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_NAME);
}

static void
add_dir(const char *sub, GTestDataFunc func)
{
    g_autofree char *dir = data_path(sub);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        if (g_str_has_suffix(name, ".xml"))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    g_assert_cmpuint(names->len, >, 0);
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *test = g_strdup_printf("/metadata/%s/%s", sub, n);

        g_test_add_data_func_full(test, g_build_filename(dir, n, NULL), func, g_free);
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    add_dir("good", test_round_trip);
    add_dir("bad", test_bad);
    g_test_add_func("/metadata/fields", test_fields);
    g_test_add_func("/metadata/bare-form", test_bare_form);
    g_test_add_func("/metadata/volume-names", test_volume_names);
    return g_test_run();
}
