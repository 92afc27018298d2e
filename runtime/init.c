/* runtime/init.c: fills the global registries once. The only file that names every kernel
 * family (and, when built, the CUDA backend). Thread-safety: call_once. */
#include <threads.h>

#include "runtime/kernel.h"

frt_kernel_registry *frt_kernel_registry_mutable(void);

#define FAMILY(name) void frt_kernels_register_##name(frt_kernel_registry *r);
#include "kernels/families.def"
#undef FAMILY
/* Kernels whose ops touch files (checkpoint save/restore) live with the formats in io/. */
void frt_io_register_kernels(frt_kernel_registry *r);

static once_flag init_once = ONCE_FLAG_INIT;

static void init_registries(void) {
    frt_kernel_registry *r = frt_kernel_registry_mutable();
#define FAMILY(name) frt_kernels_register_##name(r);
#include "kernels/families.def"
#undef FAMILY
    frt_io_register_kernels(r);
}

void frt_init(void) { call_once(&init_once, init_registries); }
