/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure domain XML editing for attached volumes (no libvirt calls, so the hook can use it):
 * our <metadata>, shared memfd <memoryBacking>, a reserved pcie-root-port and the vfio-user-pci
 * device in <qemu:commandline>. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "driver/metadata.h"

#define NVP_QEMU_NS_URI "http://libvirt.org/schemas/domain/qemu/1.0"

#define NVP_DOMAIN_ERROR (nvp_domain_error_quark())
GQuark nvp_domain_error_quark(void);

typedef enum {
    NVP_DOMAIN_ERROR_INVALID,      /* the domain XML is not what libvirt writes */
    NVP_DOMAIN_ERROR_MACHINE,      /* not a q35 (PCI Express) machine */
    NVP_DOMAIN_ERROR_MEMORY,       /* guest memory cannot be shared with the agent */
    NVP_DOMAIN_ERROR_ATTACHED,     /* the volume is already attached to this domain */
    NVP_DOMAIN_ERROR_NOT_ATTACHED, /* the volume is not attached to this domain */
    NVP_DOMAIN_ERROR_NO_PORT,      /* no pcie-root-port to plug into */
    NVP_DOMAIN_ERROR_PORT_TAKEN,   /* another device sits on the port reserved for a volume */
    NVP_DOMAIN_ERROR_STATE,        /* running/shut off does not fit the request */
    NVP_DOMAIN_ERROR_QMP,          /* QEMU refused a monitor command */
    NVP_DOMAIN_ERROR_TIMEOUT,      /* the guest did not release a device in time */
} NvpDomainError;

/* What one domain XML says that matters to us. */
typedef struct {
    char *name;
    char *uuid;
    gboolean have_owner; /* a DAC label told QEMU's user and group */
    guint32 uid;
    guint32 gid;
    NvpDomainMetadata *metadata; /* never NULL: empty when the domain has no volumes */
} NvpDomainInfo;

void nvp_domain_info_free(NvpDomainInfo *info);
/* Parse a domain XML document (virDomainGetXMLDesc(), or what the hook gets on stdin). */
NvpDomainInfo *nvp_domain_info_parse(const char *xml, GError **error);
NvpDomainInfo *nvp_domain_info_from_node(xmlNode *domain, GError **error);

/*
 * Editing a parsed persistent definition (pure: no libvirt calls).
 *
 * plug: records @volume in our metadata, makes guest memory memfd + shared (or refuses, see
 * nvp_domain_xml_share_memory()), reserves a new pcie-root-port (index one above every PCI
 * controller in the domain) and adds "-device <JSON vfio-user-pci>" to <qemu:commandline>.
 * Returns the new volume entry.
 *
 * unplug: the reverse. Detaching the last volume also undoes what plug added to <memoryBacking>.
 * @detached (may be NULL) gets the removed entry.
 */
NvpDomainVolume *nvp_domain_xml_plug(xmlDoc *doc, const char *volume, guint queues, GError **error);
gboolean nvp_domain_xml_unplug(xmlDoc *doc, const char *volume, NvpDomainVolume **detached,
                               GError **error);

/*
 * Guest memory must be fd-backed and shared so QEMU can hand it to the agent (vfio-user
 * DMA_MAP with fds). Decisions, in order:
 *  - any NUMA <cell memAccess='private'>: refused (that cell's RAM would not be shared);
 *  - <source type='anonymous'/>: refused (explicitly not fd-backed);
 *  - <source type='file'/>: accepted with <access mode='shared'/>, refused otherwise (we do not
 *    change what a file-backed guest writes to its file);
 *  - <access mode='private'/>: refused;
 *  - otherwise (no <memoryBacking>, or memfd, or no <source>, hugepages included: libvirt backs
 *    hugepages with memfd's hugetlb mode): <source type='memfd'/> and <access mode='shared'/> are
 *    added where missing and @md records what was added.
 * With @md NULL nothing is changed: the domain must already qualify (a running domain).
 */
gboolean nvp_domain_xml_share_memory(xmlNode *domain, NvpDomainMetadata *md, GError **error);

/* For hot plug into the running domain described by @doc (its live XML): checks the machine,
 * that memory is already shared, that the volume is not attached, and picks a pcie-root-port
 * with nothing on it (libvirt cannot hot-plug root ports). Returns the entry to hot-plug. */
NvpDomainVolume *nvp_domain_xml_reserve_live(xmlDoc *doc, const char *volume, guint queues,
                                             GError **error);

/* Whether the domain has <features><acpi/>. Without ACPI a Linux guest drives the root port's
 * hot-plug slot natively and finds the device behind it powered off ("Unable to change power
 * state from D3cold to D0"), so the volume is unusable: attach-volume warns. */
gboolean nvp_domain_xml_has_acpi(xmlNode *domain);

/* Refuse a domain that is not a q35 machine (the device sits on a PCI Express root port). */
gboolean nvp_domain_xml_check_machine(xmlNode *domain, GError **error);

/* Refuse when a device other than ours has an address on a port reserved for one of @md's
 * volumes (libvirt does not know the port is taken and may place a new device there). */
gboolean nvp_domain_xml_check_ports(xmlNode *domain, const NvpDomainMetadata *md, GError **error);

/* The vfio-user-pci device as QEMU JSON: -device argument and QMP device_add arguments. */
char *nvp_domain_device_json(const NvpDomainVolume *vol);

char *nvp_domain_xml_to_string(xmlDoc *doc);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpDomainInfo, nvp_domain_info_free)
