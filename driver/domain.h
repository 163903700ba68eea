/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML editing for attached volumes through libvirt's public API only: the persistent
 * definition (--config, virDomainDefineXML), live metadata (virDomainSetMetadata) and hot plug
 * with QMP device_add/device_del (virDomainQemuMonitorCommand, --live). */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

#include "driver/domain-xml.h"

/* libvirt: the persistent definition (--config). Fetches the inactive XML, edits it with the
 * functions above and defines it again in one virDomainDefineXML(). */
NvpDomainVolume *nvp_domain_attach_config(virDomainPtr dom, const char *volume, guint queues,
                                          GError **error);
gboolean nvp_domain_detach_config(virDomainPtr dom, const char *volume, NvpDomainVolume **detached,
                                  GError **error);

/* libvirt: whether the persistent definition has <features><acpi/> (see
 * nvp_domain_xml_has_acpi()); TRUE when it cannot be read. */
gboolean nvp_domain_has_acpi(virDomainPtr dom);

/* libvirt: what the domain's current (live when running) or persistent XML says. */
NvpDomainInfo *nvp_domain_get_info(virDomainPtr dom, gboolean inactive, GError **error);

/* libvirt, running domain (--live). reserve: nvp_domain_xml_reserve_live() on the live XML.
 * hotplug sends QMP
 * device_add then records the volume in the live metadata; hotunplug sends device_del, waits up
 * to @timeout_ms for QEMU to drop the device, then removes it from the live metadata. */
NvpDomainVolume *nvp_domain_live_reserve(virDomainPtr dom, const char *volume, guint queues,
                                         GError **error);
gboolean nvp_domain_hotplug(virDomainPtr dom, const NvpDomainVolume *vol, GError **error);
gboolean nvp_domain_hotunplug(virDomainPtr dom, const char *volume, guint timeout_ms,
                              NvpDomainVolume **detached, GError **error);
