/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt qemu.d hook (installed as /etc/libvirt/hooks/qemu.d/50-virt-nvmepool): activates a
 * domain's slices before QEMU starts and deactivates them when it is gone. It reads the domain
 * XML libvirt writes on stdin and talks only to the agent: calling libvirt from a hook deadlocks
 * the daemon, so this program does not even link libvirt. */
#include <locale.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/i18n.h"
#include "common/slice.h"
#include "common/xml.h"
#include "driver/agent-client.h"
#include "driver/domain-xml.h"

/* libvirt's domain XML is small; anything past this is not what libvirt sends. */
#define NVP_HOOK_STDIN_MAX (16 * 1024 * 1024)

typedef enum {
    NVP_HOOK_IGNORE,  /* every other operation: exit 0 at once */
    NVP_HOOK_PREPARE, /* "prepare begin": activate, or fail the start */
    NVP_HOOK_RELEASE, /* "release end": deactivate */
    NVP_HOOK_SYNC,    /* "started begin", "reconnect begin": reconcile, always succeed */
    NVP_HOOK_MIGRATE, /* "migrate begin": refuse when the domain has volumes */
} NvpHookAction;

static NvpHookAction
nvp_hook_action(const char *op, const char *subop)
{
    if (g_strcmp0(op, "prepare") == 0 && g_strcmp0(subop, "begin") == 0)
        return NVP_HOOK_PREPARE;
    if (g_strcmp0(op, "release") == 0 && g_strcmp0(subop, "end") == 0)
        return NVP_HOOK_RELEASE;
    if ((g_strcmp0(op, "started") == 0 || g_strcmp0(op, "reconnect") == 0) &&
        g_strcmp0(subop, "begin") == 0)
        return NVP_HOOK_SYNC;
    if (g_strcmp0(op, "migrate") == 0 && g_strcmp0(subop, "begin") == 0)
        return NVP_HOOK_MIGRATE;
    return NVP_HOOK_IGNORE;
}

static char *
nvp_hook_read_stdin(GError **error)
{
    g_autoptr(GString) buf = g_string_new(NULL);
    char chunk[65536];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (buf->len + n > NVP_HOOK_STDIN_MAX) {
            g_set_error(error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        _("the domain XML on standard input is larger than %d bytes"),
                        NVP_HOOK_STDIN_MAX);
            return NULL;
        }
        g_string_append_len(buf, chunk, (gssize)n);
    }
    if (ferror(stdin)) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                    _("cannot read the domain XML from standard input"));
        return NULL;
    }
    return g_string_free(g_steal_pointer(&buf), FALSE);
}

/* QEMU's user when the XML carries no DAC label: the distributions' default users. */
static void
nvp_hook_default_owner(NvpDomainInfo *info)
{
    static const char *const users[] = { "libvirt-qemu", "qemu" };

    if (info->have_owner)
        return;
    for (size_t i = 0; i < G_N_ELEMENTS(users); i++) {
        struct passwd *pw = getpwnam(users[i]);

        if (pw) {
            info->uid = pw->pw_uid;
            info->gid = pw->pw_gid;
            return;
        }
    }
    info->uid = 0;
    info->gid = 0;
}

static NvpSlice *
nvp_hook_slice_request(const NvpDomainInfo *info, const NvpDomainVolume *vol)
{
    NvpSlice *req = nvp_slice_new();

    req->volume = g_strdup(vol->name);
    req->domain_uuid = g_strdup(info->uuid);
    req->domain_name = g_strdup(info->name);
    req->queues = vol->queues;
    req->socket_path = g_strdup(vol->socket);
    req->uid = info->uid;
    req->gid = info->gid;
    return req;
}

/* Deactivate every slice @info's domain holds; returns how many could not be. */
static guint
nvp_hook_release_all(NvpAgentClient *agent, const NvpDomainInfo *info, GPtrArray *held)
{
    guint failed = 0;

    for (guint i = 0; i < held->len; i++) {
        const NvpSlice *slice = g_ptr_array_index(held, i);
        g_autoptr(GError) error = NULL;

        if (!nvp_agent_client_deactivate_slice(agent, slice->volume, info->uuid, &error)) {
            g_printerr(_("virt-nvmepool: cannot deactivate volume '%1$s' of domain '%2$s': %3$s\n"),
                       slice->volume, info->name, error->message);
            failed++;
        }
    }
    return failed;
}

/* prepare begin. All or nothing: on the first failure the slices activated so far are
 * deactivated again and the start fails with one line. */
static gboolean
nvp_hook_prepare(NvpAgentClient *agent, NvpDomainInfo *info, GError **error)
{
    g_autoptr(GPtrArray) stale = NULL;
    g_autoptr(GPtrArray) done = g_ptr_array_new();

    nvp_hook_default_owner(info);

    /* Slices this domain still holds are left over from a QEMU that died without a release
     * (the domain is not running now): free them first. */
    if (!(stale = nvp_agent_client_list_slices(agent, info->uuid, error)))
        return FALSE;
    nvp_hook_release_all(agent, info, stale);

    for (guint i = 0; i < info->metadata->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(info->metadata->volumes, i);
        g_autoptr(NvpSlice) req = nvp_hook_slice_request(info, vol);
        g_autoptr(GError) local = NULL;

        if (!nvp_agent_client_activate_slice(agent, req, NULL, &local)) {
            for (guint j = done->len; j > 0; j--) {
                const NvpDomainVolume *undo = g_ptr_array_index(done, j - 1);

                nvp_agent_client_deactivate_slice(agent, undo->name, info->uuid, NULL);
            }
            g_set_error(error, NVP_AGENT_CLIENT_ERROR, local->code,
                        _("cannot activate volume '%1$s': %2$s"), vol->name, local->message);
            return FALSE;
        }
        g_ptr_array_add(done, (gpointer)vol);
    }
    return TRUE;
}

/* started/reconnect: the slices the domain holds should be those its XML lists. Extra ones are
 * freed, missing ones reported (vfio-user-pci cannot reconnect, so there is nothing to redo). */
static void
nvp_hook_sync(NvpAgentClient *agent, const NvpDomainInfo *info)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) held = nvp_agent_client_list_slices(agent, info->uuid, &error);
    g_autoptr(GPtrArray) extra = g_ptr_array_new();

    if (!held) {
        g_printerr(_("virt-nvmepool: cannot list the slices of domain '%1$s': %2$s\n"), info->name,
                   error->message);
        return;
    }
    for (guint i = 0; i < held->len; i++) {
        NvpSlice *slice = g_ptr_array_index(held, i);

        if (!nvp_domain_metadata_find(info->metadata, slice->volume))
            g_ptr_array_add(extra, slice);
    }
    nvp_hook_release_all(agent, info, extra);

    for (guint i = 0; i < info->metadata->volumes->len; i++) {
        const NvpDomainVolume *vol = g_ptr_array_index(info->metadata->volumes, i);
        gboolean found = FALSE;

        for (guint j = 0; j < held->len; j++)
            found |= g_strcmp0(((NvpSlice *)g_ptr_array_index(held, j))->volume, vol->name) == 0;
        if (!found)
            g_printerr(_("virt-nvmepool: domain '%1$s' runs without an active slice for volume "
                         "'%2$s'; its device does not work until the domain is restarted\n"),
                       info->name, vol->name);
    }
}

static int
nvp_hook_run(NvpHookAction action, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *xml = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    g_autoptr(NvpDomainInfo) info = NULL;
    g_autoptr(NvpAgentClient) agent = NULL;
    g_autoptr(GPtrArray) held = NULL;
    gboolean strict = action == NVP_HOOK_PREPARE || action == NVP_HOOK_MIGRATE;
    xmlNode *root;

    if (!(xml = nvp_hook_read_stdin(&error)) ||
        !(doc = nvp_xml_parse_string(xml, "domain XML", NULL, &error)) ||
        !(info = nvp_domain_info_from_node(xmlDocGetRootElement(doc), &error))) {
        g_printerr(_("virt-nvmepool: cannot read the XML of domain '%1$s': %2$s\n"), name,
                   error->message);
        return strict ? 1 : 0;
    }
    root = xmlDocGetRootElement(doc);

    /* The common case, and the fast one: a domain without volumes needs no agent. Release still
     * asks the agent when it can, so a slice hot-plugged and not recorded is not left behind. */
    if (info->metadata->volumes->len == 0 && action != NVP_HOOK_RELEASE)
        return 0;

    switch (action) {
    case NVP_HOOK_MIGRATE:
        g_printerr(_("virt-nvmepool: domain '%s' has virt-nvmepool volumes, and vfio-user "
                     "devices cannot migrate; detach them first\n"),
                   info->name);
        return 1;
    case NVP_HOOK_PREPARE:
        if (!nvp_domain_xml_check_ports(root, info->metadata, &error) ||
            !(agent = nvp_agent_client_new(NULL, &error)) ||
            !nvp_hook_prepare(agent, info, &error)) {
            g_printerr(_("virt-nvmepool: cannot start domain '%1$s': %2$s\n"), info->name,
                       error->message);
            return 1;
        }
        return 0;
    case NVP_HOOK_RELEASE:
        if (!(agent = nvp_agent_client_new(NULL, &error))) {
            if (info->metadata->volumes->len)
                g_printerr(_("virt-nvmepool: cannot free the slices of domain '%1$s': %2$s\n"),
                           info->name, error->message);
            return 0;
        }
        if (!(held = nvp_agent_client_list_slices(agent, info->uuid, &error))) {
            g_printerr(_("virt-nvmepool: cannot list the slices of domain '%1$s': %2$s\n"),
                       info->name, error->message);
            return 0;
        }
        nvp_hook_release_all(agent, info, held);
        return 0;
    case NVP_HOOK_SYNC:
        if (!(agent = nvp_agent_client_new(NULL, &error))) {
            g_printerr(_("virt-nvmepool: cannot check the slices of domain '%1$s': %2$s\n"),
                       info->name, error->message);
            return 0;
        }
        nvp_hook_sync(agent, info);
        return 0;
    case NVP_HOOK_IGNORE:
        break;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    NvpHookAction action;

    setlocale(LC_ALL, "");
    bindtextdomain(GETTEXT_PACKAGE, LOCALEDIR);
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");

    /* libvirt calls: HOOK DOMAIN OPERATION SUB-OPERATION EXTRA, domain XML on stdin. */
    if (argc < 4) {
        g_printerr(_("usage: %s DOMAIN OPERATION SUB-OPERATION [EXTRA] < DOMAIN-XML (run by "
                     "libvirtd from /etc/libvirt/hooks/qemu.d)\n"),
                   argv[0]);
        return 2;
    }
    action = nvp_hook_action(argv[2], argv[3]);
    if (action == NVP_HOOK_IGNORE)
        return 0;
    return nvp_hook_run(action, argv[1]);
}
