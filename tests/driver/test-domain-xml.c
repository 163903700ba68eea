/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML editing without libvirt: attach fixtures in tests/driver/data/domainxml2xml/in give
 * out/ (NVP_REGENERATE_OUTPUT=1 rewrites them), every output validates with libvirt's own
 * virt-xml-validate, detaching gives the input back, and domains whose memory cannot be shared
 * are refused with the reason. */
#include <glib/gstdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/xml.h"
#include "driver/domain-xml.h"

static char *
data_path(const char *sub, const char *name)
{
    return g_build_filename(g_getenv("NVP_SRCDIR"), "tests", "driver", "data", sub, name, NULL);
}

static xmlDoc *
load(const char *sub, const char *name)
{
    g_autofree char *path = data_path(sub, name);
    g_autoptr(GError) error = NULL;
    xmlDoc *doc = nvp_xml_parse_file(path, NULL, &error);

    g_assert_no_error(error);
    g_assert_nonnull(doc);
    return doc;
}

/* libvirt's schema check of a domain XML text; skips when virt-xml-validate is missing. */
static void
assert_libvirt_valid(const char *xml)
{
    g_autofree char *tool = g_find_program_in_path("virt-xml-validate");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = NULL;
    int fd;
    int status = -1;

    if (!tool) {
        g_test_skip("virt-xml-validate (libvirt-clients) is not installed");
        return;
    }
    fd = g_file_open_tmp("nvp-domain-XXXXXX.xml", &tmp, &error);
    g_assert_no_error(error);
    close(fd);
    g_assert_true(g_file_set_contents(tmp, xml, -1, &error));
    {
        const char *argv[] = { tool, tmp, "domain", NULL };

        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                                   &err, &status, &error));
    }
    g_assert_no_error(error);
    if (!g_spawn_check_wait_status(status, NULL))
        g_test_message("virt-xml-validate: %s%s", out, err);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_unlink(tmp);
}

/* in/X + attach db01 (4 queues) == out/X; valid for libvirt; detach gives in/X back. */
static void
test_xml2xml(gconstpointer data)
{
    const char *name = data;
    g_autoptr(xmlDoc) doc = load("domainxml2xml/in", name);
    g_autofree char *before = nvp_domain_xml_to_string(doc);
    g_autofree char *after = NULL;
    g_autofree char *back = NULL;
    g_autofree char *expected = NULL;
    g_autofree char *out_path = data_path("domainxml2xml/out", name);
    g_autoptr(NvpDomainVolume) vol = NULL;
    g_autoptr(NvpDomainVolume) detached = NULL;
    g_autoptr(GError) error = NULL;

    vol = nvp_domain_xml_plug(doc, "db01", 4, &error);
    g_assert_no_error(error);
    g_assert_nonnull(vol);
    g_assert_cmpstr(vol->device_id, ==, "nvp-db01");
    g_assert_cmpuint(vol->queues, ==, 4);
    after = nvp_domain_xml_to_string(doc);
    if (g_getenv("NVP_REGENERATE_OUTPUT"))
        g_assert_true(g_file_set_contents(out_path, after, -1, NULL));
    g_assert_true(g_file_get_contents(out_path, &expected, NULL, NULL));
    g_assert_cmpstr(after, ==, expected);

    /* what we wrote is a domain libvirt accepts, qemu:commandline included */
    g_assert_nonnull(strstr(after, "vfio-user-pci"));
    assert_libvirt_valid(after);

    g_assert_true(nvp_domain_xml_unplug(doc, "db01", &detached, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(detached->port, ==, vol->port);
    back = nvp_domain_xml_to_string(doc);
    g_assert_cmpstr(back, ==, before);
}

/* The new root port takes the index after every PCI controller and every reserved port. */
static void
test_port_index(void)
{
    g_autoptr(xmlDoc) basic = load("domainxml2xml/in", "q35-basic.xml");
    g_autoptr(xmlDoc) second = load("domainxml2xml/in", "q35-memfd-second.xml");
    g_autoptr(NvpDomainVolume) a = NULL;
    g_autoptr(NvpDomainVolume) b = NULL;
    g_autoptr(NvpDomainVolume) c = NULL;
    g_autofree char *xml = NULL;

    a = nvp_domain_xml_plug(basic, "a", 0, NULL);
    g_assert_cmpuint(a->port, ==, 3);
    b = nvp_domain_xml_plug(basic, "b", 0, NULL);
    g_assert_cmpuint(b->port, ==, 4);
    xml = nvp_domain_xml_to_string(basic);
    g_assert_nonnull(
        strstr(xml, "<controller type=\"pci\" index=\"4\" model=\"pcie-root-port\"/>"));
    assert_libvirt_valid(xml);

    c = nvp_domain_xml_plug(second, "c", 0, NULL);
    g_assert_cmpuint(c->port, ==, 4);
}

/* Two volumes: detaching the first keeps the second's device, port and shared memory. */
static void
test_detach_one_of_two(void)
{
    g_autoptr(xmlDoc) doc = load("domainxml2xml/in", "q35-basic.xml");
    g_autoptr(NvpDomainVolume) a = nvp_domain_xml_plug(doc, "a", 1, NULL);
    g_autoptr(NvpDomainVolume) b = nvp_domain_xml_plug(doc, "b", 2, NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autofree char *xml = NULL;

    g_assert_nonnull(a);
    g_assert_nonnull(b);
    g_assert_true(nvp_domain_xml_unplug(doc, "a", NULL, &error));
    g_assert_no_error(error);
    xml = nvp_domain_xml_to_string(doc);
    g_assert_null(strstr(xml, "&quot;id&quot;:&quot;nvp-a&quot;"));
    g_assert_nonnull(strstr(xml, "&quot;id&quot;:&quot;nvp-b&quot;"));
    g_assert_null(strstr(xml, "index=\"3\""));
    g_assert_nonnull(strstr(xml, "index=\"4\""));
    g_assert_nonnull(strstr(xml, "<source type=\"memfd\"/>"));
    info = nvp_domain_info_from_node(xmlDocGetRootElement(doc), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(info->metadata->volumes->len, ==, 1);
    g_assert_true(info->metadata->memory_backing_added);
    assert_libvirt_valid(xml);

    g_assert_false(nvp_domain_xml_unplug(doc, "a", NULL, &error));
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NOT_ATTACHED);
}

static void
test_attach_twice(void)
{
    g_autoptr(xmlDoc) doc = load("domainxml2xml/in", "q35-memfd-second.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = nvp_domain_xml_plug(doc, "logs", 0, &error);

    g_assert_null(vol);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED);
    g_assert_nonnull(strstr(error->message, "'logs'"));
    g_assert_nonnull(strstr(error->message, "'vm3'"));
}

/* "a+b" and "a_b" map to the same QEMU id: the second is refused. */
static void
test_device_id_clash(void)
{
    g_autoptr(xmlDoc) doc = load("domainxml2xml/in", "q35-basic.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) a = nvp_domain_xml_plug(doc, "a+b", 0, &error);
    g_autoptr(NvpDomainVolume) b = NULL;

    g_assert_no_error(error);
    b = nvp_domain_xml_plug(doc, "a_b", 0, &error);
    g_assert_null(b);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED);
}

typedef struct {
    const char *file;
    int code;
    const char *needle; /* part of the message that names the reason */
} Refusal;

static const Refusal refusals[] = {
    { "i440fx.xml", NVP_DOMAIN_ERROR_MACHINE, "q35" },
    { "anonymous.xml", NVP_DOMAIN_ERROR_MEMORY, "anonymous" },
    { "private.xml", NVP_DOMAIN_ERROR_MEMORY, "private" },
    { "file-private.xml", NVP_DOMAIN_ERROR_MEMORY, "file" },
    { "numa-private.xml", NVP_DOMAIN_ERROR_MEMORY, "NUMA cell 1" },
};

/* Refused domains are left exactly as they were. */
static void
test_refused(gconstpointer data)
{
    const Refusal *r = data;
    g_autoptr(xmlDoc) doc = load("domain-refused", r->file);
    g_autofree char *before = nvp_domain_xml_to_string(doc);
    g_autofree char *after = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = nvp_domain_xml_plug(doc, "db01", 0, &error);

    g_assert_null(vol);
    g_assert_error(error, NVP_DOMAIN_ERROR, r->code);
    g_assert_nonnull(strstr(error->message, r->needle));
    after = nvp_domain_xml_to_string(doc);
    g_assert_cmpstr(after, ==, before);
}

/* The -device JSON QEMU gets, byte for byte. */
static void
test_device_json(void)
{
    NvpDomainVolume vol = {
        .name = (char *)"db01",
        .device_id = (char *)"nvp-db01",
        .port = 9,
        .socket = (char *)"/run/virt-nvmepool/vfio-user/u-db01.sock",
    };
    g_autofree char *json = nvp_domain_device_json(&vol);

    g_assert_cmpstr(json, ==,
                    "{\"driver\":\"vfio-user-pci\",\"id\":\"nvp-db01\",\"bus\":\"pci.9\","
                    "\"addr\":\"0x0\",\"socket\":{\"type\":\"unix\",\"path\":"
                    "\"/run/virt-nvmepool/vfio-user/u-db01.sock\"}}");
}

/* What the hook needs from a live domain XML. */
static void
test_info(void)
{
    g_autofree char *path = data_path("hook", "with-volumes.xml");
    g_autofree char *xml = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpDomainInfo) plain = NULL;
    g_autofree char *plain_path = data_path("hook", "no-volumes.xml");
    g_autofree char *plain_xml = NULL;

    g_assert_true(g_file_get_contents(path, &xml, NULL, NULL));
    info = nvp_domain_info_parse(xml, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(info->name, ==, "vm3");
    g_assert_cmpstr(info->uuid, ==, "9f8e7d6c-5b4a-4321-8fed-cba987654321");
    g_assert_true(info->have_owner);
    g_assert_cmpuint(info->uid, ==, 64055);
    g_assert_cmpuint(info->gid, ==, 993);
    g_assert_cmpuint(info->metadata->volumes->len, ==, 2);

    g_assert_true(g_file_get_contents(plain_path, &plain_xml, NULL, NULL));
    plain = nvp_domain_info_parse(plain_xml, &error);
    g_assert_no_error(error);
    g_assert_false(plain->have_owner);
    g_assert_cmpuint(plain->metadata->volumes->len, ==, 0);

    g_assert_null(nvp_domain_info_parse("<network/>", &error));
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_INVALID);
}

/* Hot plug picks the empty root port (5), skipping those volumes hold (3, 4). */
static void
test_reserve_live(void)
{
    g_autoptr(xmlDoc) doc = load("hook", "with-volumes.xml");
    g_autoptr(xmlDoc) plain = load("hook", "no-volumes.xml");
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = nvp_domain_xml_reserve_live(doc, "new", 2, &error);
    g_autoptr(NvpDomainVolume) none = NULL;
    g_autoptr(NvpDomainVolume) again = NULL;

    g_assert_no_error(error);
    g_assert_cmpuint(vol->port, ==, 5);
    g_assert_cmpint(vol->plug, ==, NVP_DOMAIN_PLUG_HOT);

    again = nvp_domain_xml_reserve_live(doc, "db01", 2, &error);
    g_assert_null(again);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED);
    g_clear_error(&error);

    /* running without memfd: cannot be fixed live */
    none = nvp_domain_xml_reserve_live(plain, "new", 2, &error);
    g_assert_null(none);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY);
    g_assert_nonnull(strstr(error->message, "--config"));
}

/* ACPI present (q35-basic) or not (q35-hugepages-cmdline): attach-volume warns without it. */
static void
test_acpi(void)
{
    g_autoptr(xmlDoc) with = load("domainxml2xml/in", "q35-basic.xml");
    g_autoptr(xmlDoc) without = load("domainxml2xml/in", "q35-hugepages-cmdline.xml");

    g_assert_true(nvp_domain_xml_has_acpi(xmlDocGetRootElement(with)));
    g_assert_false(nvp_domain_xml_has_acpi(xmlDocGetRootElement(without)));
}

/* A device libvirt placed on a reserved port is reported with the volume it collides with. */
static void
test_port_taken(void)
{
    g_autoptr(xmlDoc) ok = load("hook", "with-volumes.xml");
    g_autoptr(xmlDoc) bad = load("hook", "port-taken.xml");
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(GError) error = NULL;

    info = nvp_domain_info_from_node(xmlDocGetRootElement(ok), &error);
    g_assert_no_error(error);
    g_assert_true(nvp_domain_xml_check_ports(xmlDocGetRootElement(ok), info->metadata, &error));
    g_assert_no_error(error);
    g_assert_false(nvp_domain_xml_check_ports(xmlDocGetRootElement(bad), info->metadata, &error));
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_PORT_TAKEN);
    g_assert_nonnull(strstr(error->message, "memballoon"));
    g_assert_nonnull(strstr(error->message, "'logs'"));
}

int
main(int argc, char **argv)
{
    g_autofree char *dir = data_path("domainxml2xml", "in");
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_test_init(&argc, &argv, NULL);

    d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    while ((name = g_dir_read_name(d))) {
        if (g_str_has_suffix(name, ".xml"))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < names->len; i++) {
        const char *n = g_ptr_array_index(names, i);
        g_autofree char *path = g_strdup_printf("/domain-xml/xml2xml/%s", n);

        g_test_add_data_func(path, n, test_xml2xml);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(refusals); i++) {
        g_autofree char *path = g_strdup_printf("/domain-xml/refused/%s", refusals[i].file);

        g_test_add_data_func(path, &refusals[i], test_refused);
    }
    g_test_add_func("/domain-xml/port-index", test_port_index);
    g_test_add_func("/domain-xml/detach-one-of-two", test_detach_one_of_two);
    g_test_add_func("/domain-xml/attach-twice", test_attach_twice);
    g_test_add_func("/domain-xml/device-id-clash", test_device_id_clash);
    g_test_add_func("/domain-xml/device-json", test_device_json);
    g_test_add_func("/domain-xml/info", test_info);
    g_test_add_func("/domain-xml/reserve-live", test_reserve_live);
    g_test_add_func("/domain-xml/port-taken", test_port_taken);
    g_test_add_func("/domain-xml/acpi", test_acpi);
    return g_test_run();
}
