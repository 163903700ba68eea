/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MSI-X vectors through VFIO_DEVICE_SET_IRQS. */
#include "agent/hw/irq.h"

#include <errno.h>
#include <linux/vfio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "agent/hw/error.h"
#include "common/i18n.h"

struct _NvpHwIrq {
    NvpHwVfio *vfio;
    char *pci_addr;
    guint n_vectors;
    gboolean noresize;
    int admin_efd;
    gboolean enabled;
};

NvpHwIrq *
nvp_hw_irq_new(NvpHwVfio *vfio, const char *pci_addr, GError **error)
{
    g_autoptr(NvpHwIrq) irq = g_new0(NvpHwIrq, 1);
    g_autofree int *fds = NULL;
    guint32 flags = 0;

    irq->vfio = vfio;
    irq->pci_addr = g_strdup(pci_addr);
    irq->admin_efd = -1;
    if (!nvp_hw_vfio_get_irq_info(vfio, VFIO_PCI_MSIX_IRQ_INDEX, &irq->n_vectors, &flags, error))
        return NULL;
    if (irq->n_vectors == 0 || !(flags & VFIO_IRQ_INFO_EVENTFD)) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_VFIO,
                    _("%s: the device has no MSI-X vectors."), pci_addr);
        return NULL;
    }
    irq->noresize = (flags & VFIO_IRQ_INFO_NORESIZE) != 0;
    irq->admin_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (irq->admin_efd < 0) {
        int err = errno;
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_FAILED, _("%s: eventfd: %s."), pci_addr,
                    g_strerror(err));
        return NULL;
    }
    /* Enabling all vectors at once makes vfio-pci allocate all of them now, with or without
     * NORESIZE; later per-vector SET_IRQS only swap triggers inside that range. */
    fds = g_new(int, irq->n_vectors);
    fds[0] = irq->admin_efd;
    for (guint i = 1; i < irq->n_vectors; i++)
        fds[i] = -1;
    if (!nvp_hw_vfio_set_irqs(vfio, VFIO_PCI_MSIX_IRQ_INDEX, 0, irq->n_vectors, fds, error))
        return NULL;
    irq->enabled = TRUE;
    return g_steal_pointer(&irq);
}

void
nvp_hw_irq_free(NvpHwIrq *irq)
{
    if (!irq)
        return;
    if (irq->enabled)
        nvp_hw_vfio_set_irqs(irq->vfio, VFIO_PCI_MSIX_IRQ_INDEX, 0, 0, NULL, NULL);
    if (irq->admin_efd >= 0)
        close(irq->admin_efd);
    g_free(irq->pci_addr);
    g_free(irq);
}

guint
nvp_hw_irq_get_n_vectors(NvpHwIrq *irq)
{
    return irq->n_vectors;
}

gboolean
nvp_hw_irq_get_noresize(NvpHwIrq *irq)
{
    return irq->noresize;
}

int
nvp_hw_irq_get_admin_eventfd(NvpHwIrq *irq)
{
    return irq->admin_efd;
}

gboolean
nvp_hw_irq_set_eventfd(NvpHwIrq *irq, guint vector, int fd, GError **error)
{
    if (vector == 0 || vector >= irq->n_vectors) {
        g_set_error(error, NVP_HW_ERROR, NVP_HW_ERROR_INVALID,
                    _("%s: MSI-X vector %u is not in 1..%u."), irq->pci_addr, vector,
                    irq->n_vectors - 1);
        return FALSE;
    }
    return nvp_hw_vfio_set_irqs(irq->vfio, VFIO_PCI_MSIX_IRQ_INDEX, vector, 1, &fd, error);
}
