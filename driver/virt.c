/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt seam: connection, domain lookup and libvirt errors turned into GErrors. */
#include "driver/virt.h"

#include "common/i18n.h"

#include <string.h>

G_DEFINE_QUARK(nvp-virt-error-quark, nvp_virt_error)

static void
nvp_virt_silent_handler(void *opaque, virErrorPtr err)
{
}

void
nvp_virt_init(void)
{
    virSetErrorFunc(NULL, nvp_virt_silent_handler);
}

void
nvp_virt_set_error(GError **error, const char *context)
{
    virErrorPtr err = virGetLastError();
    int code = NVP_VIRT_ERROR_FAILED;

    if (err && err->code == VIR_ERR_NO_DOMAIN)
        code = NVP_VIRT_ERROR_NO_DOMAIN;
    else if (err && err->code == VIR_ERR_NO_SUPPORT)
        code = NVP_VIRT_ERROR_UNSUPPORTED;

    g_set_error(error, NVP_VIRT_ERROR, code, "%s: %s", context,
                err && err->message ? err->message : _("unknown libvirt error"));
    virResetLastError();
}

virConnectPtr
nvp_virt_connect(const char *uri, GError **error)
{
    virConnectPtr conn = virConnectOpen(uri);

    if (!conn) {
        g_autofree char *context = g_strdup_printf(_("cannot connect to libvirt at '%s'"),
                                                   uri ? uri : _("the default URI"));
        nvp_virt_set_error(error, context);
    }
    return conn;
}

virDomainPtr
nvp_virt_lookup_domain(virConnectPtr conn, const char *name, GError **error)
{
    virDomainPtr dom = NULL;
    guint64 id;

    if (g_ascii_string_to_unsigned(name, 10, 0, G_MAXINT, &id, NULL))
        dom = virDomainLookupByID(conn, (int)id);
    if (!dom && strlen(name) == VIR_UUID_STRING_BUFLEN - 1)
        dom = virDomainLookupByUUIDString(conn, name);
    if (!dom)
        dom = virDomainLookupByName(conn, name);
    if (!dom) {
        virResetLastError();
        g_set_error(error, NVP_VIRT_ERROR, NVP_VIRT_ERROR_NO_DOMAIN,
                    _("no domain named '%s' (checked names, UUIDs and IDs); 'virsh list --all' "
                      "shows them"),
                    name);
    }
    return dom;
}
