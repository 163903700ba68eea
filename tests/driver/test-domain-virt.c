/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* attach/detach --config through the public libvirt API, against libvirt's built-in test driver
 * (test:///default, a double: it keeps <metadata>, <memoryBacking> and controllers but drops
 * <qemu:commandline>, which test-domain-xml covers). */
#include <string.h>

#include "driver/domain.h"
#include "driver/virt.h"

#define DOMAIN_XML \
    "<domain type='test'>" \
    "  <name>%s</name>" \
    "  <memory unit='KiB'>262144</memory>" \
    "  <vcpu>1</vcpu>" \
    "  <os><type arch='x86_64' machine='q35'>hvm</type></os>" \
    "  %s" \
    "  <devices>" \
    "    <controller type='pci' index='0' model='pcie-root'/>" \
    "    <controller type='pci' index='1' model='pcie-root-port'/>" \
    "  </devices>" \
    "</domain>"

typedef struct {
    virConnectPtr conn;
} Fixture;

static void
fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;

    /* each connection to test:///default gets its own fresh state */
    f->conn = nvp_virt_connect("test:///default", &error);
    g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
    g_clear_pointer(&f->conn, virConnectClose);
}

static virDomainPtr
define(Fixture *f, const char *name, const char *extra)
{
    g_autofree char *xml = g_strdup_printf(DOMAIN_XML, name, extra);
    virDomainPtr dom = virDomainDefineXML(f->conn, xml);

    g_assert_nonnull(dom);
    return dom;
}

static char *
inactive_xml(virDomainPtr dom)
{
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

    g_assert_nonnull(xml);
    return xml;
}

/* attach --config stores metadata, memfd + shared memory and a new root port in the persistent
 * definition; detach --config takes all of it away again. */
static void
test_attach_detach_config(Fixture *f, gconstpointer data)
{
    g_autoptr(virDomain) dom = define(f, "vm1", "");
    g_autofree char *before = inactive_xml(dom);
    g_autofree char *attached = NULL;
    g_autofree char *after = NULL;
    g_autofree char *md_text = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;
    g_autoptr(NvpDomainVolume) detached = NULL;
    g_autoptr(NvpDomainMetadata) md = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    char uuid[VIR_UUID_STRING_BUFLEN];

    vol = nvp_domain_attach_config(dom, "db01", 4, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vol->port, ==, 2);
    g_assert_cmpint(virDomainGetUUIDString(dom, uuid), ==, 0);
    g_assert_nonnull(strstr(vol->socket, uuid));

    /* what libvirt now holds, read back through its own metadata API */
    md_text = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NVP_DOMAIN_METADATA_URI,
                                   VIR_DOMAIN_AFFECT_CONFIG);
    g_assert_nonnull(md_text);
    md = nvp_domain_metadata_parse(md_text, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(md->volumes->len, ==, 1);
    g_assert_cmpuint(((NvpDomainVolume *)g_ptr_array_index(md->volumes, 0))->queues, ==, 4);
    g_assert_true(md->memory_backing_added);

    attached = inactive_xml(dom);
    g_assert_nonnull(strstr(attached, "<source type='memfd'/>"));
    g_assert_nonnull(strstr(attached, "<access mode='shared'/>"));
    g_assert_nonnull(strstr(attached, "<controller type='pci' index='2' model='pcie-root-port'"));

    info = nvp_domain_get_info(dom, TRUE, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(info->uuid, ==, uuid);
    g_assert_nonnull(nvp_domain_metadata_find(info->metadata, "db01"));

    g_assert_true(nvp_domain_detach_config(dom, "db01", &detached, &error));
    g_assert_no_error(error);
    g_assert_cmpstr(detached->name, ==, "db01");
    after = inactive_xml(dom);
    g_assert_cmpstr(after, ==, before);
    g_assert_null(virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, NVP_DOMAIN_METADATA_URI,
                                       VIR_DOMAIN_AFFECT_CONFIG));
    virResetLastError();
}

static void
test_attach_twice(Fixture *f, gconstpointer data)
{
    g_autoptr(virDomain) dom = define(f, "vm1", "");
    g_autoptr(NvpDomainVolume) vol = nvp_domain_attach_config(dom, "db01", 0, NULL);
    g_autoptr(NvpDomainVolume) again = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_nonnull(vol);
    again = nvp_domain_attach_config(dom, "db01", 0, &error);
    g_assert_null(again);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED);
    g_clear_error(&error);
    g_assert_false(nvp_domain_detach_config(dom, "other", NULL, &error));
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NOT_ATTACHED);
}

/* The test driver's stock domain is not q35: refused, definition untouched. */
static void
test_refuse_machine(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virDomain) dom = nvp_virt_lookup_domain(f->conn, "test", &error);
    g_autofree char *before = NULL;
    g_autofree char *after = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;

    g_assert_no_error(error);
    before = inactive_xml(dom);
    vol = nvp_domain_attach_config(dom, "db01", 0, &error);
    g_assert_null(vol);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MACHINE);
    after = inactive_xml(dom);
    g_assert_cmpstr(after, ==, before);
}

static void
test_lookup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(virDomain) by_name = nvp_virt_lookup_domain(f->conn, "test", &error);
    g_autoptr(virDomain) by_id = NULL;
    g_autoptr(virDomain) by_uuid = NULL;
    g_autoptr(virDomain) none = NULL;
    char uuid[VIR_UUID_STRING_BUFLEN];

    g_assert_no_error(error);
    g_assert_cmpint(virDomainGetUUIDString(by_name, uuid), ==, 0);
    by_uuid = nvp_virt_lookup_domain(f->conn, uuid, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(virDomainGetName(by_uuid), ==, "test");
    by_id = nvp_virt_lookup_domain(f->conn, "1", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(virDomainGetName(by_id), ==, "test");
    none = nvp_virt_lookup_domain(f->conn, "nope", &error);
    g_assert_null(none);
    g_assert_error(error, NVP_VIRT_ERROR, NVP_VIRT_ERROR_NO_DOMAIN);
}

/* A transient domain has no definition to change. */
static void
test_transient(Fixture *f, gconstpointer data)
{
    g_autofree char *xml = g_strdup_printf(DOMAIN_XML, "tmp", "");
    g_autoptr(virDomain) dom = virDomainCreateXML(f->conn, xml, 0);
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;

    g_assert_nonnull(dom);
    vol = nvp_domain_attach_config(dom, "db01", 0, &error);
    g_assert_null(vol);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_STATE);
}

/* --live: the port comes from the running domain, and a QEMU that cannot take the device (here:
 * the test driver has no monitor) leaves the live metadata untouched. Live metadata in libvirt's
 * bare form is read back by nvp_domain_get_info(). */
static void
test_live(Fixture *f, gconstpointer data)
{
    g_autoptr(virDomain) dom =
        define(f, "vm1",
               "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>");
    g_autoptr(virDomain) off = define(f, "vm2", "");
    g_autoptr(GError) error = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;
    g_autoptr(NvpDomainVolume) none = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpDomainMetadata) md = nvp_domain_metadata_new();
    g_autofree char *bare = NULL;

    none = nvp_domain_live_reserve(off, "db01", 0, &error);
    g_assert_null(none);
    g_assert_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_STATE);
    g_clear_error(&error);

    g_assert_cmpint(virDomainCreate(dom), ==, 0);
    vol = nvp_domain_live_reserve(dom, "db01", 2, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(vol->port, ==, 1);
    g_assert_false(nvp_domain_hotplug(dom, vol, &error));
    g_assert_nonnull(error);
    g_clear_error(&error);
    info = nvp_domain_get_info(dom, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(info->metadata->volumes->len, ==, 0);
    g_clear_pointer(&info, nvp_domain_info_free);

    g_ptr_array_add(md->volumes, nvp_domain_volume_copy(vol));
    bare = nvp_domain_metadata_format(md, FALSE);
    g_assert_cmpint(virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, bare,
                                         NVP_DOMAIN_METADATA_PREFIX, NVP_DOMAIN_METADATA_URI,
                                         VIR_DOMAIN_AFFECT_LIVE),
                    ==, 0);
    info = nvp_domain_get_info(dom, FALSE, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(info->metadata->volumes->len, ==, 1);
    g_assert_cmpint(((NvpDomainVolume *)g_ptr_array_index(info->metadata->volumes, 0))->plug, ==,
                    NVP_DOMAIN_PLUG_HOT);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    nvp_virt_init();
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
    ADD("/domain-virt/attach-detach-config", test_attach_detach_config);
    ADD("/domain-virt/attach-twice", test_attach_twice);
    ADD("/domain-virt/refuse-machine", test_refuse_machine);
    ADD("/domain-virt/lookup", test_lookup);
    ADD("/domain-virt/transient", test_transient);
    ADD("/domain-virt/live", test_live);
#undef ADD
    return g_test_run();
}
