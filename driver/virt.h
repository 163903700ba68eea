/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seam to libvirt's public API: g_autoptr() cleanups for its objects and the conversion of
 * libvirt's last error into a GError (NVP_VIRT_ERROR). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virConnect, virConnectClose)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)

#define NVP_VIRT_ERROR (nvp_virt_error_quark())
GQuark nvp_virt_error_quark(void);

typedef enum {
    NVP_VIRT_ERROR_FAILED,      /* libvirt reported an error (message is libvirt's) */
    NVP_VIRT_ERROR_NO_DOMAIN,   /* no domain of that name or UUID */
    NVP_VIRT_ERROR_UNSUPPORTED, /* the driver or daemon lacks what we need */
} NvpVirtError;

/* Install a no-op libvirt error handler so libvirt does not print errors itself; we report them
 * through GError. Call once before the first libvirt call. */
void nvp_virt_init(void);

/* Set @error from libvirt's last error, prefixed by @context (a translated sentence fragment,
 * e.g. "cannot define domain 'vm1'"), and reset it. */
void nvp_virt_set_error(GError **error, const char *context);

/* virConnectOpen(@uri) (NULL: libvirt's default URI) with @error on failure. */
virConnectPtr nvp_virt_connect(const char *uri, GError **error);

/* A domain by name, UUID or ID. */
virDomainPtr nvp_virt_lookup_domain(virConnectPtr conn, const char *name, GError **error);
