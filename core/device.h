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

struct frt_gpu_memory_options; /* core/bfc.h */

typedef struct frt_device frt_device;

/* Called once the bytes of an asynchronous copy are in place, or with the error that stopped
 * them. It runs on a thread the device chooses (a GPU's callback thread): it may schedule
 * work, but must not block or call the device. */
typedef void (*frt_copy_done_fn)(void *arg, frt_status *st);

typedef struct frt_device_ops {
    /* Host memory -> this device's memory, n bytes. Ordered after the work already enqueued
     * on the device's compute stream (so dst, just allocated, is no longer in use by it),
     * and before any compute work enqueued later (so consumers may be enqueued at once).
     * src must stay valid until the copy has read it: `keep` (may be NULL) is a tensor the
     * device holds a reference to until then. Returns once enqueued. */
    frt_status *(*copy_to_device)(frt_device *d, void *dst, const void *src, size_t n,
                                  frt_tensor *keep);
    /* This device's memory -> host memory, ordered after the compute work enqueued so far;
     * done(arg, NULL) once the bytes are on the host (possibly before this returns), or
     * done(arg, error). keep as above (held until done). Returns an error only when the copy
     * could not even be enqueued (then done is not called). */
    frt_status *(*copy_to_host)(frt_device *d, void *dst, const void *src, size_t n,
                                frt_tensor *keep, frt_copy_done_fn done, void *arg);
    /* Waits until everything enqueued on the device so far has run; errors of that work
     * surface here. */
    frt_status *(*sync)(frt_device *d);
    /* Optional (NULL on the CPU): held around a kernel's compute on this device, so that
     * enqueueing onto its stream and library handles is serialized. */
    void (*enter)(frt_device *d);
    void (*leave)(frt_device *d);
    /* Optional: creates d->alloc, once, with the first caller's options (TF: the first
     * session's GPUOptions govern the process); later calls return at once. */
    frt_status *(*open_memory)(frt_device *d, const struct frt_gpu_memory_options *o);
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
    /* The process-wide allocator of this device's memory, shared by every session (made by
     * ops->open_memory); NULL for the CPU, where each session has its own host allocator
     * (and memory limit). */
    frt_allocator *alloc;
    frt_stream *stream;      /* the compute stream kernels enqueue on; NULL on the CPU */
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
