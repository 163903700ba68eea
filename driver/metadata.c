/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Parse/format of our <nvp:volumes> element inside a libvirt domain's <metadata>. */
#include "driver/metadata.h"

#include <string.h>

#include "common/enum.h"
#include "common/i18n.h"
#include "common/xml.h"

G_DEFINE_QUARK(nvp-metadata-error-quark, nvp_metadata_error)

NVP_ENUM_IMPL(nvp_domain_plug, NvpDomainPlug, NVP_DOMAIN_PLUG_LAST, "cold", "hot")

/* sun_path holds 108 bytes including the terminating NUL. */
#define NVP_SOCKET_PATH_MAX 107
#define NVP_VOLUME_NAME_MAX 64

/* The rule of volume names (schemas/basictypes.rng volumeName): [A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}. */
gboolean
nvp_domain_volume_name_check(const char *name, GError **error)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len > NVP_VOLUME_NAME_MAX || !(g_ascii_isalnum(name[0]) || name[0] == '_')) {
        g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_NAME,
                    _("volume name '%1$s' must be 1 to %2$d characters starting with a letter, a "
                      "digit or '_'"),
                    name ? name : "", NVP_VOLUME_NAME_MAX);
        return FALSE;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(name[i]) && !strchr("_.+-", name[i])) {
            g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_NAME,
                        _("volume name '%1$s' contains '%2$c'; use letters, digits, '_', '.', '+' "
                          "and '-'"),
                        name, name[i]);
            return FALSE;
        }
    }
    return TRUE;
}

/* QEMU ids take letters, digits, '-', '.' and '_' (and start with a letter): '+' becomes '_'.
 * Callers check the result is unique within the domain. */
char *
nvp_domain_volume_device_id(const char *name)
{
    char *id = g_strconcat("nvp-", name, NULL);

    g_strdelimit(id, "+", '_');
    return id;
}

char *
nvp_domain_volume_socket_path(const char *domain_uuid, const char *name, GError **error)
{
    g_autofree char *path =
        g_strdup_printf("%s/vfio-user/%s-%s.sock", NVP_RUNDIR, domain_uuid, name);

    if (strlen(path) > NVP_SOCKET_PATH_MAX) {
        g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_NAME,
                    _("the socket path for volume '%1$s' would be %2$zu bytes long, over the %3$d "
                      "a "
                      "UNIX socket allows; use a shorter volume name"),
                    name, strlen(path), NVP_SOCKET_PATH_MAX);
        return NULL;
    }
    return g_steal_pointer(&path);
}

NvpDomainVolume *
nvp_domain_volume_new(const char *name, guint queues, guint port, const char *domain_uuid,
                      GError **error)
{
    g_autoptr(NvpDomainVolume) vol = NULL;

    if (!nvp_domain_volume_name_check(name, error))
        return NULL;

    vol = g_new0(NvpDomainVolume, 1);
    vol->name = g_strdup(name);
    vol->queues = queues;
    vol->port = port;
    vol->plug = NVP_DOMAIN_PLUG_COLD;
    vol->device_id = nvp_domain_volume_device_id(name);
    if (!(vol->socket = nvp_domain_volume_socket_path(domain_uuid, name, error)))
        return NULL;
    return g_steal_pointer(&vol);
}

void
nvp_domain_volume_free(NvpDomainVolume *vol)
{
    if (!vol)
        return;
    g_free(vol->name);
    g_free(vol->device_id);
    g_free(vol->socket);
    g_free(vol);
}

NvpDomainVolume *
nvp_domain_volume_copy(const NvpDomainVolume *vol)
{
    NvpDomainVolume *copy = g_new0(NvpDomainVolume, 1);

    copy->name = g_strdup(vol->name);
    copy->queues = vol->queues;
    copy->device_id = g_strdup(vol->device_id);
    copy->port = vol->port;
    copy->plug = vol->plug;
    copy->socket = g_strdup(vol->socket);
    return copy;
}

NvpDomainMetadata *
nvp_domain_metadata_new(void)
{
    NvpDomainMetadata *md = g_new0(NvpDomainMetadata, 1);

    md->volumes = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_domain_volume_free);
    return md;
}

void
nvp_domain_metadata_free(NvpDomainMetadata *md)
{
    if (!md)
        return;
    g_clear_pointer(&md->volumes, g_ptr_array_unref);
    g_free(md);
}

NvpDomainVolume *
nvp_domain_metadata_find(const NvpDomainMetadata *md, const char *name)
{
    for (guint i = 0; i < md->volumes->len; i++) {
        NvpDomainVolume *vol = g_ptr_array_index(md->volumes, i);

        if (g_strcmp0(vol->name, name) == 0)
            return vol;
    }
    return NULL;
}

gboolean
nvp_domain_metadata_remove(NvpDomainMetadata *md, const char *name)
{
    NvpDomainVolume *vol = nvp_domain_metadata_find(md, name);

    return vol && g_ptr_array_remove(md->volumes, vol);
}

static gboolean
nvp_domain_metadata_is_ours(const xmlNode *node)
{
    return node->type == XML_ELEMENT_NODE && node->ns && node->ns->href &&
           strcmp((const char *)node->ns->href, NVP_DOMAIN_METADATA_URI) == 0;
}

xmlNode *
nvp_domain_metadata_find_node(xmlNode *domain)
{
    for (xmlNode *child = domain ? domain->children : NULL; child; child = child->next) {
        if (child->type != XML_ELEMENT_NODE || child->ns ||
            strcmp((const char *)child->name, "metadata") != 0)
            continue;
        for (xmlNode *md = child->children; md; md = md->next) {
            if (nvp_domain_metadata_is_ours(md) && strcmp((const char *)md->name, "volumes") == 0)
                return md;
        }
    }
    return NULL;
}

static NvpDomainVolume *
nvp_domain_volume_parse(xmlNode *node, GError **error)
{
    g_autoptr(NvpDomainVolume) vol = g_new0(NvpDomainVolume, 1);
    g_autofree char *plug = NULL;
    int plug_value;

    if (!nvp_xml_get_string(node, "@name", NVP_XML_REQUIRED, &vol->name, error) ||
        !nvp_xml_get_uint(node, "@queues", NVP_XML_OPTIONAL, 1, 65535, &vol->queues, error) ||
        !nvp_xml_get_string(node, "*[local-name()='device']/@id", NVP_XML_REQUIRED, &vol->device_id,
                            error) ||
        !nvp_xml_get_uint(node, "*[local-name()='device']/@port", NVP_XML_REQUIRED, 1, 255,
                          &vol->port, error) ||
        !nvp_xml_get_string(node, "*[local-name()='device']/@plug", NVP_XML_OPTIONAL, &plug,
                            error) ||
        !nvp_xml_get_string(node, "*[local-name()='socket']/@path", NVP_XML_REQUIRED, &vol->socket,
                            error))
        return NULL;

    vol->plug = NVP_DOMAIN_PLUG_COLD;
    if (plug) {
        if ((plug_value = nvp_domain_plug_from_string(plug)) < 0) {
            g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_INVALID,
                        _("volume '%1$s' has unknown plug type '%2$s'"), vol->name, plug);
            return NULL;
        }
        vol->plug = plug_value;
    }
    if (!nvp_domain_volume_name_check(vol->name, error))
        return NULL;
    return g_steal_pointer(&vol);
}

NvpDomainMetadata *
nvp_domain_metadata_parse_node(xmlNode *node, GError **error)
{
    g_autoptr(NvpDomainMetadata) md = nvp_domain_metadata_new();
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    g_autoptr(GPtrArray) nodes = NULL;
    xmlNode *root;

    /* Validate a copy on its own so the schema sees our element as the document root. */
    root = xmlDocCopyNode(node, doc, 1);
    xmlDocSetRootElement(doc, root);
    if (!nvp_xml_validate(doc, NVP_DOMAIN_METADATA_SCHEMA, error))
        return NULL;

    if (!nvp_xml_get_bool(root, "@memory-backing-added", NVP_XML_OPTIONAL,
                          &md->memory_backing_added, error) ||
        !nvp_xml_get_bool(root, "@memfd-added", NVP_XML_OPTIONAL, &md->memfd_added, error) ||
        !nvp_xml_get_bool(root, "@shared-added", NVP_XML_OPTIONAL, &md->shared_added, error))
        return NULL;

    if (!(nodes = nvp_xml_get_nodes(root, "*[local-name()='volume']", error)))
        return NULL;
    for (guint i = 0; i < nodes->len; i++) {
        NvpDomainVolume *vol = nvp_domain_volume_parse(g_ptr_array_index(nodes, i), error);

        if (!vol)
            return NULL;
        if (nvp_domain_metadata_find(md, vol->name)) {
            g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_INVALID,
                        _("volume '%s' is listed twice in the domain metadata"), vol->name);
            nvp_domain_volume_free(vol);
            return NULL;
        }
        g_ptr_array_add(md->volumes, vol);
    }
    return g_steal_pointer(&md);
}

/* virDomainGetMetadata() hands our element back without its namespace: put it back. */
static void
nvp_domain_metadata_set_ns(xmlNode *node, xmlNs *ns)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            continue;
        if (!node->ns)
            xmlSetNs(node, ns);
        nvp_domain_metadata_set_ns(node->children, ns);
    }
}

NvpDomainMetadata *
nvp_domain_metadata_parse(const char *xml, GError **error)
{
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root;

    if (!(doc = nvp_xml_parse_string(xml, "domain metadata", NULL, error)))
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (root && !root->ns) {
        xmlNs *ns = xmlNewNs(root, BAD_CAST NVP_DOMAIN_METADATA_URI, NULL);

        nvp_domain_metadata_set_ns(root, ns);
    }
    if (!root || !nvp_domain_metadata_is_ours(root)) {
        g_set_error(error, NVP_METADATA_ERROR, NVP_METADATA_ERROR_INVALID,
                    _("the domain metadata is not in the %s namespace"), NVP_DOMAIN_METADATA_URI);
        return NULL;
    }
    return nvp_domain_metadata_parse_node(root, error);
}

char *
nvp_domain_metadata_format(const NvpDomainMetadata *md, gboolean with_ns)
{
    g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();

    nvp_xml_writer_start(w, "volumes");
    if (with_ns)
        nvp_xml_writer_attr(w, "xmlns", NVP_DOMAIN_METADATA_URI);
    nvp_xml_writer_attr(w, "memory-backing-added", md->memory_backing_added ? "yes" : NULL);
    nvp_xml_writer_attr(w, "memfd-added", md->memfd_added ? "yes" : NULL);
    nvp_xml_writer_attr(w, "shared-added", md->shared_added ? "yes" : NULL);
    for (guint i = 0; i < md->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(md->volumes, i);

        nvp_xml_writer_start(w, "volume");
        nvp_xml_writer_attr(w, "name", vol->name);
        if (vol->queues)
            nvp_xml_writer_attr_printf(w, "queues", "%u", vol->queues);
        nvp_xml_writer_start(w, "device");
        nvp_xml_writer_attr(w, "id", vol->device_id);
        nvp_xml_writer_attr_printf(w, "port", "%u", vol->port);
        nvp_xml_writer_attr(w, "plug", nvp_domain_plug_to_string(vol->plug));
        nvp_xml_writer_end(w);
        nvp_xml_writer_start(w, "socket");
        nvp_xml_writer_attr(w, "path", vol->socket);
        nvp_xml_writer_end(w);
        nvp_xml_writer_end(w);
    }
    nvp_xml_writer_end(w);
    return nvp_xml_writer_finish(g_steal_pointer(&w));
}
