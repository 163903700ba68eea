/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NvpController: model object and parse/format of <controller>. */
#include "common/controller.h"

#include <string.h>

#include "common/capacity.h"
#include "common/i18n.h"

NVP_ENUM_IMPL(nvp_controller_state, NvpControllerState, NVP_CONTROLLER_STATE_LAST, "adopted",
              "unavailable")

NvpController *
nvp_controller_new(const NvpPciAddr *addr)
{
    NvpController *ctrl = g_new0(NvpController, 1);

    ctrl->addr = *addr;
    ctrl->name = nvp_pci_addr_to_name(addr);
    ctrl->namespaces = g_ptr_array_new_with_free_func((GDestroyNotify)nvp_namespace_free);
    return ctrl;
}

void
nvp_controller_free(NvpController *ctrl)
{
    if (!ctrl)
        return;
    g_free(ctrl->name);
    g_free(ctrl->serial);
    g_free(ctrl->model);
    g_free(ctrl->firmware);
    if (ctrl->namespaces)
        g_ptr_array_unref(ctrl->namespaces);
    g_free(ctrl);
}

NvpController *
nvp_controller_copy(const NvpController *ctrl)
{
    NvpController *copy = nvp_controller_new(&ctrl->addr);

    copy->state = ctrl->state;
    copy->serial = g_strdup(ctrl->serial);
    copy->model = g_strdup(ctrl->model);
    copy->firmware = g_strdup(ctrl->firmware);
    copy->queues_total = ctrl->queues_total;
    copy->queues_free = ctrl->queues_free;
    copy->vectors_total = ctrl->vectors_total;
    copy->vectors_free = ctrl->vectors_free;
    for (guint i = 0; i < ctrl->namespaces->len; i++)
        g_ptr_array_add(copy->namespaces, nvp_namespace_copy(ctrl->namespaces->pdata[i]));
    return copy;
}

gboolean
nvp_controller_add_namespace(NvpController *ctrl, NvpNamespace *ns)
{
    guint pos = 0;

    for (; pos < ctrl->namespaces->len; pos++) {
        NvpNamespace *cur = ctrl->namespaces->pdata[pos];
        if (cur->nsid == ns->nsid)
            return FALSE;
        if (cur->nsid > ns->nsid)
            break;
    }
    g_ptr_array_insert(ctrl->namespaces, (gint)pos, ns);
    return TRUE;
}

NvpNamespace *
nvp_controller_get_namespace(const NvpController *ctrl, guint32 nsid)
{
    for (guint i = 0; i < ctrl->namespaces->len; i++) {
        NvpNamespace *ns = ctrl->namespaces->pdata[i];
        if (ns->nsid == nsid)
            return ns;
    }
    return NULL;
}

guint64
nvp_controller_get_capacity(const NvpController *ctrl)
{
    guint64 sum = 0;

    for (guint i = 0; i < ctrl->namespaces->len; i++)
        sum += ((NvpNamespace *)ctrl->namespaces->pdata[i])->capacity;
    return sum;
}

guint64
nvp_controller_get_free(const NvpController *ctrl)
{
    guint64 sum = 0;

    for (guint i = 0; i < ctrl->namespaces->len; i++)
        sum += ((NvpNamespace *)ctrl->namespaces->pdata[i])->free;
    return sum;
}

static gboolean
parse_pair(xmlNode *root, const char *elem, guint max, guint *total, guint *free_, GError **error)
{
    g_autofree char *total_xpath = g_strdup_printf("%s/@total", elem);
    g_autofree char *free_xpath = g_strdup_printf("%s/@free", elem);

    *total = 0;
    if (!nvp_xml_get_uint(root, total_xpath, NVP_XML_OPTIONAL, 0, max, total, error))
        return FALSE;
    *free_ = *total;
    if (!nvp_xml_get_uint(root, free_xpath, NVP_XML_OPTIONAL, 0, *total, free_, error))
        return FALSE;
    return TRUE;
}

NvpController *
nvp_controller_parse_node(xmlNode *root, GError **error)
{
    g_autoptr(NvpController) ctrl = NULL;
    g_autoptr(GPtrArray) nodes = NULL;
    g_autofree char *name = NULL;
    g_autoptr(GError) local = NULL;
    NvpPciAddr addr = { 0 };
    int state = NVP_CONTROLLER_STATE_ADOPTED;
    guint max_strlen = NVP_CONTROLLER_MAX_STRING;

    if (!nvp_xml_get_string(root, "name", NVP_XML_REQUIRED, &name, error))
        return NULL;
    if (!nvp_pci_addr_parse(name, &addr, &local)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE, _("line %ld: %s"),
                    nvp_xml_node_line(root), local->message);
        return NULL;
    }
    ctrl = nvp_controller_new(&addr);

    nodes = nvp_xml_get_nodes(root, "address", error);
    if (!nodes)
        return NULL;
    if (nodes->len > 0) {
        xmlNode *anode = nodes->pdata[0];
        NvpPciAddr a2 = { 0 };
        if (!nvp_xml_get_uint(anode, "@domain", NVP_XML_REQUIRED, 0, 0xffff, &a2.domain, error) ||
            !nvp_xml_get_uint(anode, "@bus", NVP_XML_REQUIRED, 0, 0xff, &a2.bus, error) ||
            !nvp_xml_get_uint(anode, "@slot", NVP_XML_REQUIRED, 0, 0x1f, &a2.slot, error) ||
            !nvp_xml_get_uint(anode, "@function", NVP_XML_REQUIRED, 0, 7, &a2.function, error))
            return NULL;
        if (!nvp_pci_addr_equal(&addr, &a2)) {
            g_autofree char *aname = nvp_pci_addr_to_name(&a2);
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                        _("line %ld: <address> is %s but <name> is %s: they must agree"),
                        nvp_xml_node_line(anode), aname, name);
            return NULL;
        }
    }
    if (!nvp_xml_get_enum(root, "state", NVP_XML_OPTIONAL,
                          (NvpXmlEnumFromString)nvp_controller_state_from_string, &state, error))
        return NULL;
    ctrl->state = state;
    if (!nvp_xml_get_string(root, "serial", NVP_XML_OPTIONAL, &ctrl->serial, error) ||
        !nvp_xml_get_string(root, "model", NVP_XML_OPTIONAL, &ctrl->model, error) ||
        !nvp_xml_get_string(root, "firmware", NVP_XML_OPTIONAL, &ctrl->firmware, error))
        return NULL;
    if ((ctrl->serial && strlen(ctrl->serial) > max_strlen) ||
        (ctrl->model && strlen(ctrl->model) > max_strlen) ||
        (ctrl->firmware && strlen(ctrl->firmware) > max_strlen)) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: serial, model and firmware are limited to %u bytes"),
                    nvp_xml_node_line(root), max_strlen);
        return NULL;
    }
    if (!parse_pair(root, "queues", NVP_CONTROLLER_MAX_QUEUES, &ctrl->queues_total,
                    &ctrl->queues_free, error) ||
        !parse_pair(root, "vectors", NVP_CONTROLLER_MAX_VECTORS, &ctrl->vectors_total,
                    &ctrl->vectors_free, error))
        return NULL;

    g_clear_pointer(&nodes, g_ptr_array_unref);
    nodes = nvp_xml_get_nodes(root, "namespace", error);
    if (!nodes)
        return NULL;
    if (nodes->len > NVP_CONTROLLER_MAX_NAMESPACES) {
        g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                    _("line %ld: %u namespaces, at most %u are supported"), nvp_xml_node_line(root),
                    nodes->len, NVP_CONTROLLER_MAX_NAMESPACES);
        return NULL;
    }
    for (guint i = 0; i < nodes->len; i++) {
        NvpNamespace *ns = nvp_namespace_parse_node(nodes->pdata[i], error);
        if (!ns)
            return NULL;
        if (!nvp_controller_add_namespace(ctrl, ns)) {
            g_set_error(error, NVP_XML_ERROR, NVP_XML_ERROR_VALUE,
                        _("line %ld: namespace %u is listed twice"),
                        nvp_xml_node_line(nodes->pdata[i]), ns->nsid);
            nvp_namespace_free(ns);
            return NULL;
        }
    }
    return g_steal_pointer(&ctrl);
}

NvpController *
nvp_controller_parse_string(const char *xml, const char *name, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_string(xml, name, "controller", error);

    if (!doc)
        return NULL;
    return nvp_controller_parse_node(xmlDocGetRootElement(doc), error);
}

NvpController *
nvp_controller_parse_file(const char *path, GError **error)
{
    g_autoptr(xmlDoc) doc = nvp_xml_parse_file(path, "controller", error);

    if (!doc)
        return NULL;
    return nvp_controller_parse_node(xmlDocGetRootElement(doc), error);
}

char *
nvp_controller_format(const NvpController *ctrl)
{
    g_autoptr(NvpXmlWriter) w = nvp_xml_writer_new();

    nvp_xml_writer_start(w, "controller");
    nvp_xml_writer_element(w, "name", ctrl->name);
    nvp_xml_writer_start(w, "address");
    nvp_xml_writer_attr_printf(w, "domain", "0x%04x", ctrl->addr.domain);
    nvp_xml_writer_attr_printf(w, "bus", "0x%02x", ctrl->addr.bus);
    nvp_xml_writer_attr_printf(w, "slot", "0x%02x", ctrl->addr.slot);
    nvp_xml_writer_attr_printf(w, "function", "0x%x", ctrl->addr.function);
    nvp_xml_writer_end(w);
    nvp_xml_writer_element(w, "state", nvp_controller_state_to_string(ctrl->state));
    nvp_xml_writer_element(w, "serial", ctrl->serial);
    nvp_xml_writer_element(w, "model", ctrl->model);
    nvp_xml_writer_element(w, "firmware", ctrl->firmware);
    nvp_xml_writer_start(w, "queues");
    nvp_xml_writer_attr_printf(w, "total", "%u", ctrl->queues_total);
    nvp_xml_writer_attr_printf(w, "free", "%u", ctrl->queues_free);
    nvp_xml_writer_end(w);
    nvp_xml_writer_start(w, "vectors");
    nvp_xml_writer_attr_printf(w, "total", "%u", ctrl->vectors_total);
    nvp_xml_writer_attr_printf(w, "free", "%u", ctrl->vectors_free);
    nvp_xml_writer_end(w);
    nvp_capacity_format(w, "capacity", nvp_controller_get_capacity(ctrl));
    nvp_capacity_format(w, "free", nvp_controller_get_free(ctrl));
    for (guint i = 0; i < ctrl->namespaces->len; i++)
        nvp_namespace_format(ctrl->namespaces->pdata[i], w);
    nvp_xml_writer_end(w);
    return nvp_xml_writer_finish(g_steal_pointer(&w));
}
