/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure domain XML editing (no libvirt calls): our metadata, shared memory backing, the reserved
 * root port and the vfio-user-pci device in <qemu:commandline>. The hook links this, not libvirt. */
#include "driver/domain-xml.h"

#include <grp.h>
#include <json-glib/json-glib.h>
#include <pwd.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/i18n.h"
#include "common/xml.h"

G_DEFINE_QUARK(nvp-domain-error-quark, nvp_domain_error)

/* Bus numbers are 8 bits; libvirt uses the controller index as the bus number. */
#define NVP_PCI_INDEX_MAX 255

void
nvp_domain_info_free(NvpDomainInfo *info)
{
    if (!info)
        return;
    g_free(info->name);
    g_free(info->uuid);
    nvp_domain_metadata_free(info->metadata);
    g_free(info);
}

static gboolean
nvp_xml_is(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && !node->ns &&
           strcmp((const char *)node->name, name) == 0;
}

static gboolean
nvp_xml_is_qemu(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp((const char *)node->ns->href, NVP_QEMU_NS_URI) == 0 &&
           strcmp((const char *)node->name, name) == 0;
}

static xmlNode *
nvp_xml_child(xmlNode *parent, const char *name)
{
    for (xmlNode *child = parent ? parent->children : NULL; child; child = child->next) {
        if (nvp_xml_is(child, name))
            return child;
    }
    return NULL;
}

static char *
nvp_xml_prop(const xmlNode *node, const char *name)
{
    g_autoptr(xmlChar) value = node ? xmlGetNoNsProp(node, BAD_CAST name) : NULL;

    return value ? g_strdup((const char *)value) : NULL;
}

static gboolean
nvp_xml_prop_is(const xmlNode *node, const char *name, const char *value)
{
    g_autofree char *prop = nvp_xml_prop(node, name);

    return g_strcmp0(prop, value) == 0;
}

/* libvirt writes PCI address parts as 0x.. hex; plain decimal is accepted too. */
static gboolean
nvp_xml_prop_uint(const xmlNode *node, const char *name, guint64 *value)
{
    g_autofree char *prop = nvp_xml_prop(node, name);

    if (!prop)
        return FALSE;
    if (g_str_has_prefix(prop, "0x") || g_str_has_prefix(prop, "0X"))
        return g_ascii_string_to_unsigned(prop + 2, 16, 0, G_MAXUINT32, value, NULL);
    return g_ascii_string_to_unsigned(prop, 10, 0, G_MAXUINT32, value, NULL);
}

static void
nvp_xml_unlink_free(xmlNode *node)
{
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

static gboolean
nvp_xml_has_element_children(const xmlNode *node)
{
    for (xmlNode *child = node->children; child; child = child->next) {
        if (child->type == XML_ELEMENT_NODE)
            return TRUE;
    }
    return FALSE;
}

static xmlNode *
nvp_domain_root(xmlDoc *doc, GError **error)
{
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

    if (!nvp_xml_is(root, "domain")) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_INVALID,
                    _("the document is not a libvirt <domain>"));
        return NULL;
    }
    return root;
}

static char *
nvp_domain_name(xmlNode *domain)
{
    xmlNode *name = nvp_xml_child(domain, "name");
    g_autoptr(xmlChar) text = name ? xmlNodeGetContent(name) : NULL;

    return g_strdup(text ? (const char *)text : "?");
}

/* "+107:+107" (numeric) or "libvirt-qemu:kvm" (names) from a DAC <seclabel><label>. */
static gboolean
nvp_domain_parse_dac_label(const char *label, guint32 *uid, guint32 *gid)
{
    g_auto(GStrv) parts = g_strsplit(label, ":", 2);
    guint64 num;

    if (g_strv_length(parts) != 2)
        return FALSE;
    if (parts[0][0] == '+') {
        if (!g_ascii_string_to_unsigned(parts[0] + 1, 10, 0, G_MAXUINT32 - 1, &num, NULL))
            return FALSE;
        *uid = (guint32)num;
    } else {
        struct passwd *pw = getpwnam(parts[0]);

        if (!pw)
            return FALSE;
        *uid = pw->pw_uid;
    }
    if (parts[1][0] == '+') {
        if (!g_ascii_string_to_unsigned(parts[1] + 1, 10, 0, G_MAXUINT32 - 1, &num, NULL))
            return FALSE;
        *gid = (guint32)num;
    } else {
        struct group *gr = getgrnam(parts[1]);

        if (!gr)
            return FALSE;
        *gid = gr->gr_gid;
    }
    return TRUE;
}

NvpDomainInfo *
nvp_domain_info_from_node(xmlNode *domain, GError **error)
{
    g_autoptr(NvpDomainInfo) info = g_new0(NvpDomainInfo, 1);
    xmlNode *node;

    if (!nvp_xml_is(domain, "domain")) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_INVALID,
                    _("the document is not a libvirt <domain>"));
        return NULL;
    }
    if (!nvp_xml_get_string(domain, "string(name)", NVP_XML_REQUIRED, &info->name, error) ||
        !nvp_xml_get_string(domain, "string(uuid)", NVP_XML_REQUIRED, &info->uuid, error))
        return NULL;

    for (xmlNode *child = domain->children; child; child = child->next) {
        xmlNode *label;
        g_autoptr(xmlChar) text = NULL;

        if (!nvp_xml_is(child, "seclabel") || !nvp_xml_prop_is(child, "model", "dac"))
            continue;
        if (!(label = nvp_xml_child(child, "label")) || !(text = xmlNodeGetContent(label)))
            continue;
        info->have_owner = nvp_domain_parse_dac_label((const char *)text, &info->uid, &info->gid);
    }

    if ((node = nvp_domain_metadata_find_node(domain))) {
        if (!(info->metadata = nvp_domain_metadata_parse_node(node, error)))
            return NULL;
    } else {
        info->metadata = nvp_domain_metadata_new();
    }
    return g_steal_pointer(&info);
}

NvpDomainInfo *
nvp_domain_info_parse(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_string(xml, "domain XML", NULL, error);
    xmlNode *root;

    if (!doc || !(root = nvp_domain_root(doc, error)))
        return NULL;
    return nvp_domain_info_from_node(root, error);
}

gboolean
nvp_domain_xml_check_machine(xmlNode *domain, GError **error)
{
    xmlNode *os = nvp_xml_child(domain, "os");
    xmlNode *type = nvp_xml_child(os, "type");
    g_autofree char *machine = nvp_xml_prop(type, "machine");
    g_autofree char *name = nvp_domain_name(domain);

    if (!machine || !strstr(machine, "q35")) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MACHINE,
                    _("domain '%1$s' uses machine type '%2$s'; virt-nvmepool plugs volumes into a "
                      "PCI Express root port, which needs a q35 machine"),
                    name, machine ? machine : _("(none)"));
        return FALSE;
    }
    return TRUE;
}

gboolean
nvp_domain_xml_has_acpi(xmlNode *domain)
{
    return nvp_xml_child(nvp_xml_child(domain, "features"), "acpi") != NULL;
}

static xmlNode *
nvp_xml_add_child(xmlNode *parent, const char *name)
{
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

gboolean
nvp_domain_xml_share_memory(xmlNode *domain, NvpDomainMetadata *md, GError **error)
{
    g_autofree char *name = nvp_domain_name(domain);
    xmlNode *numa = nvp_xml_child(nvp_xml_child(domain, "cpu"), "numa");
    xmlNode *mb = nvp_xml_child(domain, "memoryBacking");
    xmlNode *source = nvp_xml_child(mb, "source");
    xmlNode *access = nvp_xml_child(mb, "access");
    g_autofree char *source_type = nvp_xml_prop(source, "type");
    g_autofree char *access_mode = nvp_xml_prop(access, "mode");

    for (xmlNode *cell = numa ? numa->children : NULL; cell; cell = cell->next) {
        if (nvp_xml_is(cell, "cell") && nvp_xml_prop_is(cell, "memAccess", "private")) {
            g_autofree char *id = nvp_xml_prop(cell, "id");

            g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                        _("domain '%1$s' has NUMA cell %2$s with memAccess='private'; the agent "
                          "needs all guest memory shared: remove memAccess or set it to 'shared'"),
                        name, id ? id : "?");
            return FALSE;
        }
    }
    if (g_strcmp0(source_type, "anonymous") == 0) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                    _("domain '%s' asks for anonymous guest memory (<source type='anonymous'/>), "
                      "which QEMU cannot share with the agent; use <source type='memfd'/> or "
                      "remove the <source> element"),
                    name);
        return FALSE;
    }
    if (g_strcmp0(access_mode, "private") == 0) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                    _("domain '%s' asks for private guest memory (<access mode='private'/>); the "
                      "agent needs it shared: remove the <access> element or set mode='shared'"),
                    name);
        return FALSE;
    }
    if (g_strcmp0(source_type, "file") == 0 && g_strcmp0(access_mode, "shared") != 0) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                    _("domain '%s' backs guest memory with a file that is not shared; add "
                      "<access mode='shared'/> to <memoryBacking> yourself if writes reaching "
                      "that file are acceptable, or use <source type='memfd'/>"),
                    name);
        return FALSE;
    }
    if (source_type && g_strcmp0(source_type, "memfd") != 0 &&
        g_strcmp0(source_type, "file") != 0) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                    _("domain '%1$s' uses memory source type '%2$s', which virt-nvmepool does not "
                      "know to be shareable; use <source type='memfd'/>"),
                    name, source_type);
        return FALSE;
    }

    if (source_type && access_mode)
        return TRUE; /* memfd or file, shared */

    if (!md) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_MEMORY,
                    _("domain '%s' runs without shared memfd guest memory, so a volume cannot be "
                      "hot-plugged; attach it with --config and restart the domain"),
                    name);
        return FALSE;
    }

    if (!mb) {
        xmlNode *anchor = nvp_xml_child(domain, "devices");

        mb = xmlNewDocNode(domain->doc, NULL, BAD_CAST "memoryBacking", NULL);
        if (anchor)
            xmlAddPrevSibling(anchor, mb);
        else
            xmlAddChild(domain, mb);
        md->memory_backing_added = TRUE;
    }
    if (!source) {
        source = nvp_xml_add_child(mb, "source");
        xmlNewProp(source, BAD_CAST "type", BAD_CAST "memfd");
        md->memfd_added = TRUE;
    }
    if (!access) {
        access = nvp_xml_add_child(mb, "access");
        xmlNewProp(access, BAD_CAST "mode", BAD_CAST "shared");
        md->shared_added = TRUE;
    }
    return TRUE;
}

/* Undo what nvp_domain_xml_share_memory() recorded in @md. */
static void
nvp_domain_xml_unshare_memory(xmlNode *domain, NvpDomainMetadata *md)
{
    xmlNode *mb = nvp_xml_child(domain, "memoryBacking");
    xmlNode *node;

    if (!mb)
        return;
    if (md->memfd_added && (node = nvp_xml_child(mb, "source")) &&
        nvp_xml_prop_is(node, "type", "memfd"))
        nvp_xml_unlink_free(node);
    if (md->shared_added && (node = nvp_xml_child(mb, "access")) &&
        nvp_xml_prop_is(node, "mode", "shared"))
        nvp_xml_unlink_free(node);
    if (md->memory_backing_added && !nvp_xml_has_element_children(mb))
        nvp_xml_unlink_free(mb);
    md->memory_backing_added = md->memfd_added = md->shared_added = FALSE;
}

/* The bus number a device's <address type='pci'> names, or -1. */
static gint64
nvp_device_pci_bus(xmlNode *device)
{
    xmlNode *address = nvp_xml_child(device, "address");
    guint64 bus;

    if (!address || !nvp_xml_prop_is(address, "type", "pci") ||
        !nvp_xml_prop_uint(address, "bus", &bus))
        return -1;
    return (gint64)bus;
}

static gboolean
nvp_domain_xml_bus_used(xmlNode *devices, guint bus, xmlNode **user)
{
    for (xmlNode *dev = devices ? devices->children : NULL; dev; dev = dev->next) {
        if (dev->type == XML_ELEMENT_NODE && nvp_device_pci_bus(dev) == (gint64)bus) {
            if (user)
                *user = dev;
            return TRUE;
        }
    }
    return FALSE;
}

static xmlNode *
nvp_domain_xml_find_port(xmlNode *devices, guint index)
{
    for (xmlNode *dev = devices ? devices->children : NULL; dev; dev = dev->next) {
        guint64 idx;

        if (nvp_xml_is(dev, "controller") && nvp_xml_prop_is(dev, "type", "pci") &&
            nvp_xml_prop_is(dev, "model", "pcie-root-port") &&
            nvp_xml_prop_uint(dev, "index", &idx) && idx == index)
            return dev;
    }
    return NULL;
}

gboolean
nvp_domain_xml_check_ports(xmlNode *domain, const NvpDomainMetadata *md, GError **error)
{
    xmlNode *devices = nvp_xml_child(domain, "devices");

    for (guint i = 0; i < md->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(md->volumes, i);
        xmlNode *user = NULL;

        if (nvp_domain_xml_bus_used(devices, vol->port, &user)) {
            g_autofree char *name = nvp_domain_name(domain);

            g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_PORT_TAKEN,
                        _("domain '%1$s' has a <%2$s> on PCI bus %3$u, the root port reserved for "
                          "volume '%4$s'; give that device another address"),
                        name, (const char *)user->name, vol->port, vol->name);
            return FALSE;
        }
    }
    return TRUE;
}

static guint
nvp_domain_xml_max_pci_index(xmlNode *devices, const NvpDomainMetadata *md)
{
    guint max = 0;

    for (xmlNode *dev = devices ? devices->children : NULL; dev; dev = dev->next) {
        guint64 idx;

        if (nvp_xml_is(dev, "controller") && nvp_xml_prop_is(dev, "type", "pci") &&
            nvp_xml_prop_uint(dev, "index", &idx) && idx > max)
            max = (guint)idx;
    }
    for (guint i = 0; i < md->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(md->volumes, i);

        max = MAX(max, vol->port);
    }
    return max;
}

char *
nvp_domain_device_json(const NvpDomainVolume *vol)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *bus = g_strdup_printf("pci.%u", vol->port);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "driver");
    json_builder_add_string_value(b, "vfio-user-pci");
    json_builder_set_member_name(b, "id");
    json_builder_add_string_value(b, vol->device_id);
    json_builder_set_member_name(b, "bus");
    json_builder_add_string_value(b, bus);
    json_builder_set_member_name(b, "addr");
    json_builder_add_string_value(b, "0x0");
    json_builder_set_member_name(b, "socket");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, "unix");
    json_builder_set_member_name(b, "path");
    json_builder_add_string_value(b, vol->socket);
    json_builder_end_object(b);
    json_builder_end_object(b);

    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}

/* The id member of a -device JSON argument, or NULL. */
static char *
nvp_device_json_id(const char *json)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    JsonNode *root;
    JsonObject *obj;

    if (!json || json[0] != '{' || !json_parser_load_from_data(parser, json, -1, NULL))
        return NULL;
    root = json_parser_get_root(parser);
    if (!JSON_NODE_HOLDS_OBJECT(root))
        return NULL;
    obj = json_node_get_object(root);
    if (!json_object_has_member(obj, "id"))
        return NULL;
    return g_strdup(json_object_get_string_member(obj, "id"));
}

static xmlNs *
nvp_domain_qemu_ns(xmlNode *domain, gboolean create, GError **error)
{
    xmlNs *ns = xmlSearchNsByHref(domain->doc, domain, BAD_CAST NVP_QEMU_NS_URI);

    if (ns || !create)
        return ns;
    if (!(ns = xmlNewNs(domain, BAD_CAST NVP_QEMU_NS_URI, BAD_CAST "qemu")))
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_INVALID,
                    _("the domain XML uses the 'qemu' namespace prefix for something other than "
                      "%s"),
                    NVP_QEMU_NS_URI);
    return ns;
}

static xmlNode *
nvp_domain_qemu_commandline(xmlNode *domain)
{
    for (xmlNode *child = domain->children; child; child = child->next) {
        if (nvp_xml_is_qemu(child, "commandline"))
            return child;
    }
    return NULL;
}

static gboolean
nvp_domain_xml_add_device(xmlNode *domain, const NvpDomainVolume *vol, GError **error)
{
    xmlNs *ns = nvp_domain_qemu_ns(domain, TRUE, error);
    xmlNode *cmdline;
    xmlNode *arg;
    g_autofree char *json = nvp_domain_device_json(vol);

    if (!ns)
        return FALSE;
    if (!(cmdline = nvp_domain_qemu_commandline(domain)))
        cmdline = xmlNewChild(domain, ns, BAD_CAST "commandline", NULL);
    arg = xmlNewChild(cmdline, ns, BAD_CAST "arg", NULL);
    xmlNewProp(arg, BAD_CAST "value", BAD_CAST "-device");
    arg = xmlNewChild(cmdline, ns, BAD_CAST "arg", NULL);
    xmlNewProp(arg, BAD_CAST "value", BAD_CAST json);
    return TRUE;
}

static gboolean
nvp_xml_uses_ns(const xmlNode *node, const xmlNs *ns)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (node->ns == ns)
            return TRUE;
        for (const xmlAttr *attr = node->properties; attr; attr = attr->next) {
            if (attr->ns == ns)
                return TRUE;
        }
        if (nvp_xml_uses_ns(node->children, ns))
            return TRUE;
    }
    return FALSE;
}

/* Remove "-device" + JSON argument pairs whose id is @device_id; drop <qemu:commandline> and
 * the root's xmlns:qemu when nothing is left in them. */
static void
nvp_domain_xml_remove_device(xmlNode *domain, const char *device_id)
{
    xmlNode *cmdline = nvp_domain_qemu_commandline(domain);
    xmlNode *arg;
    xmlNs **prev;

    for (arg = cmdline ? cmdline->children : NULL; arg;) {
        xmlNode *next = arg->next;

        while (next && next->type != XML_ELEMENT_NODE)
            next = next->next;
        if (nvp_xml_is_qemu(arg, "arg") && nvp_xml_prop_is(arg, "value", "-device") && next &&
            nvp_xml_is_qemu(next, "arg")) {
            g_autofree char *value = nvp_xml_prop(next, "value");
            g_autofree char *id = nvp_device_json_id(value);

            if (g_strcmp0(id, device_id) == 0) {
                xmlNode *after = next->next;

                nvp_xml_unlink_free(arg);
                nvp_xml_unlink_free(next);
                arg = after;
                continue;
            }
        }
        arg = arg->next;
    }
    if (cmdline && !nvp_xml_has_element_children(cmdline))
        nvp_xml_unlink_free(cmdline);

    for (prev = &domain->nsDef; *prev; prev = &(*prev)->next) {
        xmlNs *ns = *prev;

        if (ns->href && strcmp((const char *)ns->href, NVP_QEMU_NS_URI) == 0 &&
            !nvp_xml_uses_ns(domain, ns)) {
            *prev = ns->next;
            ns->next = NULL;
            xmlFreeNs(ns);
            break;
        }
    }
}

/* Replace (or add, or with no volumes left remove) our element in <metadata>. */
static gboolean
nvp_domain_xml_store_metadata(xmlNode *domain, const NvpDomainMetadata *md, GError **error)
{
    xmlNode *old = nvp_domain_metadata_find_node(domain);
    xmlNode *metadata = nvp_xml_child(domain, "metadata");
    g_autoptr(xmlDoc) fragment = NULL;
    g_autofree char *text = NULL;
    xmlNode *copy;

    if (md->volumes->len == 0) {
        if (old)
            nvp_xml_unlink_free(old);
        if (metadata && !nvp_xml_has_element_children(metadata))
            nvp_xml_unlink_free(metadata);
        return TRUE;
    }

    text = nvp_domain_metadata_format(md, TRUE);
    if (!(fragment =
              nvp_xml_parse_string(text, "domain metadata", NVP_DOMAIN_METADATA_SCHEMA, error)))
        return FALSE;
    copy = xmlDocCopyNode(xmlDocGetRootElement(fragment), domain->doc, 1);

    if (old) {
        xmlReplaceNode(old, copy);
        xmlFreeNode(old);
        return TRUE;
    }
    if (!metadata) {
        xmlNode *anchor = nvp_xml_child(domain, "uuid");

        if (!anchor)
            anchor = nvp_xml_child(domain, "name");
        metadata = xmlNewDocNode(domain->doc, NULL, BAD_CAST "metadata", NULL);
        if (anchor)
            xmlAddNextSibling(anchor, metadata);
        else
            xmlAddChild(domain, metadata);
    }
    xmlAddChild(metadata, copy);
    return TRUE;
}

static gboolean
nvp_domain_metadata_device_id_taken(const NvpDomainMetadata *md, const char *device_id)
{
    for (guint i = 0; i < md->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(md->volumes, i);

        if (g_strcmp0(vol->device_id, device_id) == 0)
            return TRUE;
    }
    return FALSE;
}

static gboolean
nvp_domain_check_new_volume(xmlNode *domain, const NvpDomainMetadata *md,
                            const NvpDomainVolume *vol, GError **error)
{
    g_autofree char *name = nvp_domain_name(domain);

    if (nvp_domain_metadata_find(md, vol->name)) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED,
                    _("volume '%1$s' is already attached to domain '%2$s'"), vol->name, name);
        return FALSE;
    }
    if (nvp_domain_metadata_device_id_taken(md, vol->device_id)) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_ATTACHED,
                    _("volume '%1$s' would get device id '%2$s', which another volume of domain "
                      "'%3$s' already has; rename one of them"),
                    vol->name, vol->device_id, name);
        return FALSE;
    }
    return TRUE;
}

NvpDomainVolume *
nvp_domain_xml_plug(xmlDoc *doc, const char *volume, guint queues, GError **error)
{
    xmlNode *domain = nvp_domain_root(doc, error);
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;
    xmlNode *devices;
    xmlNode *port;
    guint index;

    if (!domain || !(info = nvp_domain_info_from_node(domain, error)))
        return NULL;
    if (!nvp_domain_xml_check_machine(domain, error))
        return NULL;
    if (!(vol = nvp_domain_volume_new(volume, queues, 0, info->uuid, error)))
        return NULL;
    if (!nvp_domain_check_new_volume(domain, info->metadata, vol, error))
        return NULL;

    if (!(devices = nvp_xml_child(domain, "devices")))
        devices = nvp_xml_add_child(domain, "devices");
    index = nvp_domain_xml_max_pci_index(devices, info->metadata) + 1;
    if (index > NVP_PCI_INDEX_MAX) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NO_PORT,
                    _("domain '%s' has no PCI controller index left for another root port"),
                    info->name);
        return NULL;
    }
    vol->port = index;

    if (!nvp_domain_xml_share_memory(domain, info->metadata, error))
        return NULL;

    /* libvirt assigns the port's address on pcie.0 when the definition is stored. */
    port = xmlNewDocNode(doc, NULL, BAD_CAST "controller", NULL);
    xmlNewProp(port, BAD_CAST "type", BAD_CAST "pci");
    {
        g_autofree char *idx = g_strdup_printf("%u", index);

        xmlNewProp(port, BAD_CAST "index", BAD_CAST idx);
    }
    xmlNewProp(port, BAD_CAST "model", BAD_CAST "pcie-root-port");
    xmlAddChild(devices, port);

    if (!nvp_domain_xml_add_device(domain, vol, error))
        return NULL;

    g_ptr_array_add(info->metadata->volumes, nvp_domain_volume_copy(vol));
    if (!nvp_domain_xml_store_metadata(domain, info->metadata, error))
        return NULL;
    return g_steal_pointer(&vol);
}

gboolean
nvp_domain_xml_unplug(xmlDoc *doc, const char *volume, NvpDomainVolume **detached, GError **error)
{
    xmlNode *domain = nvp_domain_root(doc, error);
    g_autoptr(NvpDomainInfo) info = NULL;
    NvpDomainVolume *vol;
    xmlNode *devices;
    xmlNode *port;

    if (!domain || !(info = nvp_domain_info_from_node(domain, error)))
        return FALSE;
    if (!(vol = nvp_domain_metadata_find(info->metadata, volume))) {
        g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NOT_ATTACHED,
                    _("volume '%1$s' is not attached to domain '%2$s'"), volume, info->name);
        return FALSE;
    }

    nvp_domain_xml_remove_device(domain, vol->device_id);

    /* The reserved port goes too, unless something else was put on it meanwhile. */
    devices = nvp_xml_child(domain, "devices");
    if ((port = nvp_domain_xml_find_port(devices, vol->port)) &&
        !nvp_domain_xml_bus_used(devices, vol->port, NULL))
        nvp_xml_unlink_free(port);

    if (detached)
        *detached = nvp_domain_volume_copy(vol);
    nvp_domain_metadata_remove(info->metadata, volume);
    if (info->metadata->volumes->len == 0)
        nvp_domain_xml_unshare_memory(domain, info->metadata);
    return nvp_domain_xml_store_metadata(domain, info->metadata, error);
}

NvpDomainVolume *
nvp_domain_xml_reserve_live(xmlDoc *doc, const char *volume, guint queues, GError **error)
{
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpDomainVolume) vol = NULL;
    xmlNode *domain;
    xmlNode *devices;

    if (!(domain = nvp_domain_root(doc, error)) ||
        !(info = nvp_domain_info_from_node(domain, error)))
        return NULL;
    if (!nvp_domain_xml_check_machine(domain, error) ||
        !nvp_domain_xml_share_memory(domain, NULL, error))
        return NULL;
    if (!(vol = nvp_domain_volume_new(volume, queues, 0, info->uuid, error)))
        return NULL;
    vol->plug = NVP_DOMAIN_PLUG_HOT;
    if (!nvp_domain_check_new_volume(domain, info->metadata, vol, error))
        return NULL;

    /* libvirt cannot hot-plug a root port: use an empty one the domain was started with. */
    devices = nvp_xml_child(domain, "devices");
    for (xmlNode *dev = devices ? devices->children : NULL; dev; dev = dev->next) {
        xmlNode *target = nvp_xml_child(dev, "target");
        guint64 idx;
        gboolean taken = FALSE;

        if (!nvp_xml_is(dev, "controller") || !nvp_xml_prop_is(dev, "type", "pci") ||
            !nvp_xml_prop_is(dev, "model", "pcie-root-port") ||
            !nvp_xml_prop_uint(dev, "index", &idx) || nvp_xml_prop_is(target, "hotplug", "off"))
            continue;
        for (guint i = 0; i < info->metadata->volumes->len; i++) {
            const NvpDomainVolume *other = g_ptr_array_index(info->metadata->volumes, i);

            taken |= other->port == idx;
        }
        if (taken || nvp_domain_xml_bus_used(devices, (guint)idx, NULL))
            continue;
        vol->port = (guint)idx;
        return g_steal_pointer(&vol);
    }
    g_set_error(error, NVP_DOMAIN_ERROR, NVP_DOMAIN_ERROR_NO_PORT,
                _("running domain '%s' has no empty pcie-root-port to hot-plug into; add one to "
                  "its definition (or attach with --config) and restart it"),
                info->name);
    return NULL;
}

char *
nvp_domain_xml_to_string(xmlDoc *doc)
{
    xmlChar *buf = NULL;
    int len = 0;
    char *text;

    xmlDocDumpFormatMemoryEnc(doc, &buf, &len, "UTF-8", 1);
    text = g_strndup((const char *)buf, (gsize)len);
    xmlFree(buf);
    return text;
}
