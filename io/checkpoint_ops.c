/* io/checkpoint_ops.c: (placeholder) kernels of the checkpoint ops, registered from
 * runtime/init.c. */
#include "runtime/kernel.h"

void frt_io_register_kernels(frt_kernel_registry *r);
void frt_io_register_kernels(frt_kernel_registry *r) { (void)r; }
