/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The error domain of agent/vfu (server set-up; protocol errors go to the client as errno). */
#pragma once

#include <glib.h>

#define NVP_VFU_ERROR (nvp_vfu_error_quark())
GQuark nvp_vfu_error_quark(void);

typedef enum {
    NVP_VFU_ERROR_FAILED,  /* anything else */
    NVP_VFU_ERROR_INVALID, /* bad configuration or argument */
    NVP_VFU_ERROR_SOCKET,  /* socket, bind, listen, chmod/chown failed */
    NVP_VFU_ERROR_BUSY,    /* a client is already attached */
} NvpVfuError;
