/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Our element in a libvirt domain's <metadata> (schemas/domain-metadata.rng): the volumes attached
 * to the domain and what attaching them changed. Parse (validated) and format. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#define NVP_DOMAIN_METADATA_URI "http://virt-nvmepool.org/xmlns/domain/1.0"
#define NVP_DOMAIN_METADATA_PREFIX "nvp"
#define NVP_DOMAIN_METADATA_SCHEMA "domain-metadata"

#define NVP_METADATA_ERROR (nvp_metadata_error_quark())
GQuark nvp_metadata_error_quark(void);

typedef enum {
    NVP_METADATA_ERROR_INVALID, /* our element is there but malformed */
    NVP_METADATA_ERROR_NAME,    /* a volume name QEMU or the socket path cannot carry */
} NvpMetadataError;

typedef enum {
    NVP_DOMAIN_PLUG_COLD, /* <qemu:commandline> of the persistent definition */
    NVP_DOMAIN_PLUG_HOT,  /* QMP device_add into the running domain */
    NVP_DOMAIN_PLUG_LAST,
} NvpDomainPlug;

const char *nvp_domain_plug_to_string(NvpDomainPlug value);
int nvp_domain_plug_from_string(const char *str);

typedef struct {
    char *name;      /* volume name */
    guint queues;    /* hardware I/O queue pairs granted; 0: the agent's default */
    char *device_id; /* QEMU id of the vfio-user-pci device */
    guint port;      /* index of the pcie-root-port the device sits on */
    NvpDomainPlug plug;
    char *socket; /* vfio-user socket the agent listens on while the slice is active */
} NvpDomainVolume;

typedef struct {
    GPtrArray *volumes;            /* NvpDomainVolume, in attach order */
    gboolean memory_backing_added; /* we created <memoryBacking> */
    gboolean memfd_added;          /* we added <source type='memfd'/> */
    gboolean shared_added;         /* we added <access mode='shared'/> */
} NvpDomainMetadata;

NvpDomainVolume *nvp_domain_volume_new(const char *name, guint queues, guint port,
                                       const char *domain_uuid, GError **error);
void nvp_domain_volume_free(NvpDomainVolume *vol);
NvpDomainVolume *nvp_domain_volume_copy(const NvpDomainVolume *vol);

/* Volume names must be usable in a QEMU device id and a socket file name. */
gboolean nvp_domain_volume_name_check(const char *name, GError **error);
/* "nvp-<volume>" */
char *nvp_domain_volume_device_id(const char *name);
/* NVP_RUNDIR "/vfio-user/<domain uuid>-<volume>.sock", or NULL with @error when it exceeds the
 * 107 bytes a UNIX socket address can hold. */
char *nvp_domain_volume_socket_path(const char *domain_uuid, const char *name, GError **error);

NvpDomainMetadata *nvp_domain_metadata_new(void);
void nvp_domain_metadata_free(NvpDomainMetadata *md);

NvpDomainVolume *nvp_domain_metadata_find(const NvpDomainMetadata *md, const char *name);
/* Removes and frees the volume; FALSE when it was not there. */
gboolean nvp_domain_metadata_remove(NvpDomainMetadata *md, const char *name);

/* Parse our element, validated against the schema. @xml is either the namespaced element or the
 * text virDomainGetMetadata() returns, which libvirt strips of its namespace. */
NvpDomainMetadata *nvp_domain_metadata_parse(const char *xml, GError **error);
/* Same, from the element inside a parsed domain document. */
NvpDomainMetadata *nvp_domain_metadata_parse_node(xmlNode *node, GError **error);
/* Our element in @domain (a parsed <domain>), or NULL when the domain has none. */
xmlNode *nvp_domain_metadata_find_node(xmlNode *domain);

/* Our element as text, two-space indented. @with_ns: our namespace as the element's default
 * namespace (for domain XML; libvirt keeps it as written); without: bare, as
 * virDomainSetMetadata() wants it (libvirt adds the namespace from its uri and key arguments). */
char *nvp_domain_metadata_format(const NvpDomainMetadata *md, gboolean with_ns);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpDomainVolume, nvp_domain_volume_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NvpDomainMetadata, nvp_domain_metadata_free)
