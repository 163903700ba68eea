/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* g_autoptr() cleanup functions for foreign (non-GLib) types used in common/ and above.
 * libvirt types belong in driver/, never here: common/ knows nothing of libvirt. */
#pragma once

#include <errno.h>
#include <glib.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <libxml/xpath.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlNode, xmlFreeNode)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlParserCtxt, xmlFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNG, xmlRelaxNGFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGParserCtxt, xmlRelaxNGFreeParserCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlRelaxNGValidCtxt, xmlRelaxNGFreeValidCtxt)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlBuffer, xmlBufferFree)

/* xmlChar strings returned by libxml2 (xmlGetProp, xmlNodeGetContent) go back through xmlFree. */
static inline void
nvp_xml_char_free(xmlChar *str)
{
    if (str)
        xmlFree(str);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlChar, nvp_xml_char_free)

/* A file descriptor that is closed when it goes out of scope: g_auto(NvpFd) fd = -1; */
typedef int NvpFd;
static inline void
nvp_fd_close(NvpFd fd)
{
    int saved_errno = errno;

    if (fd >= 0)
        close(fd);
    errno = saved_errno;
}
G_DEFINE_AUTO_CLEANUP_FREE_FUNC(NvpFd, nvp_fd_close, -1)
