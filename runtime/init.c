/* runtime/init.c: fills the global registries once. The only file that names every kernel
 * family (and, when built, the CUDA backend).
 * Thread-safety: pthread_once, not C11's call_once: ThreadSanitizer intercepts the former
 * only, and without that edge it reports every read of the registries as racing with their
 * one-time fill (make test-tsan, tests/runtime/test_cold_start.c). */
#include <pthread.h>

#include "core/kernel.h"
#include "flowrt/flowrt.h"
#include "runtime/init.h"
#ifdef FRT_HAVE_CUDA
#include "cuda/cuda.h"
#endif

frt_kernel_registry *frt_kernel_registry_mutable(void);

#define FAMILY(name) void frt_kernels_register_##name(frt_kernel_registry *r);
#include "kernels/families.def"
#undef FAMILY
/* Kernels whose ops touch files (checkpoint save/restore) live with the formats in io/. */
void frt_io_register_kernels(frt_kernel_registry *r);

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_registries(void) {
    frt_kernel_registry *r = frt_kernel_registry_mutable();
#define FAMILY(name) frt_kernels_register_##name(r);
#include "kernels/families.def"
#undef FAMILY
    frt_io_register_kernels(r);
#ifdef FRT_HAVE_CUDA
    frt_cuda_register(r); /* the GPU backend (found GPUs are listed later) and its kernels */
#endif
}

void frt_init(void) {
    int rc = pthread_once(&init_once, init_registries);
    FRT_ASSERT(rc == 0); /* fails only for a bad argument: a bug here, not an input */
}

int frt_op_has_kernel(const char *op) {
    frt_init();
    return frt_kernel_exists(op, FRT_DEVICE_CPU);
}
