/* core/device.h: a device — something that runs kernels on memory of its own: the host CPU,
 * a GPU. Each has TensorFlow's full name, a type, the key its kernels are registered under,
 * its memory space, an allocator for that memory, copies to and from the host, and streams
 * (ordered queues of work; the CPU has none and runs everything synchronously).
 * The process-wide list of devices (which ones exist, which a session may use) is the
 * registry's, in runtime/device.c; implementations: runtime/device.c (CPU), cuda/ (GPUs).
 * Thread-safety: a device is immutable after creation; its ops are thread-safe. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "core/alloc.h"
#include "core/kernel.h"

typedef struct frt_device frt_device;

typedef struct frt_device_ops {
    /* Copies n bytes between host memory and this device's memory, ordered on stream s
     * (NULL: the device's default order; on the CPU, both are a memcpy). Returns once the
     * copy is enqueued; frt_device_sync waits for it. */
    frt_status *(*copy_to_device)(frt_device *d, frt_stream *s, void *dst, const void *src,
                                  size_t n);
    frt_status *(*copy_to_host)(frt_device *d, frt_stream *s, void *dst, const void *src,
                                size_t n);
    /* Waits until everything enqueued on s has run; errors of that work surface here. */
    frt_status *(*sync)(frt_device *d, frt_stream *s);
    void (*destroy)(frt_device *d);
} frt_device_ops;

struct frt_device {
    char name[80];           /* "/job:localhost/replica:0/task:0/device:GPU:0" */
    const char *type;        /* "CPU", "GPU" */
    int index;               /* N of device:TYPE:N */
    frt_device_type kernels; /* the registry key of the kernels that run here */
    int space;               /* FRT_MEM_HOST or FRT_MEM_DEVICE(i) */
    bool simulated;          /* a simulated GPU (the CUDA simulation build) */
    size_t total_memory;     /* bytes; 0 for the CPU (the host's is not ours to cap) */
    /* The process-wide allocator of this device's memory, shared by every session; NULL for
     * the CPU, where each session has its own host allocator (and memory limit). */
    frt_allocator *alloc;
    const frt_device_ops *ops;
    void *impl;
};

/* The host CPU device (static; never freed). */
frt_device *frt_device_cpu(void);

/* The kernel d runs for an op with these attrs (dtype from the kernel's type attr), or NULL. */
static inline const frt_kernel_def *frt_device_find_kernel(const frt_device *d, const char *op,
                                                           const frt_attrs *attrs) {
    return frt_kernel_find(op, d->kernels, attrs);
}
static inline bool frt_device_has_kernel(const frt_device *d, const char *op,
                                         const frt_attrs *attrs) {
    return frt_device_find_kernel(d, op, attrs) != NULL;
}
static inline bool frt_device_is_host(const frt_device *d) { return frt_mem_is_host(d->space); }
