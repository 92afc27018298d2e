/* core/device.c: the CPU device — the host, running the CPU kernels on host memory.
 * Owns: the one CPU device object (TF's "/job:localhost/replica:0/task:0/device:CPU:0").
 * Does not own: the list of devices a process has (runtime/device.c), GPUs (cuda/), the host
 * allocators (core/alloc_cpu.c: sessions make their own, with their memory limits).
 * Thread-safety: immutable. */
#include "core/device.h"

#include <string.h>

static frt_status *cpu_to_device(frt_device *d, void *dst, const void *src, size_t n,
                                 frt_tensor *keep) {
    (void)d;
    (void)keep;
    if (n) memcpy(dst, src, n);
    return NULL;
}

static frt_status *cpu_to_host(frt_device *d, void *dst, const void *src, size_t n,
                               frt_tensor *keep, frt_copy_done_fn done, void *arg) {
    (void)d;
    (void)keep;
    if (n) memcpy(dst, src, n);
    done(arg, NULL);
    return NULL;
}

static frt_status *cpu_sync(frt_device *d) {
    (void)d;
    return NULL; /* CPU kernels finish before they return */
}

static const frt_device_ops cpu_ops = {
    .copy_to_device = cpu_to_device,
    .copy_to_host = cpu_to_host,
    .sync = cpu_sync,
};

static frt_device cpu_device = {
    .name = "/job:localhost/replica:0/task:0/device:CPU:0",
    .type = "CPU",
    .index = 0,
    .kernels = FRT_DEVICE_CPU,
    .space = FRT_MEM_HOST,
    .ops = &cpu_ops,
};

frt_device *frt_device_cpu(void) { return &cpu_device; }
