/* kernels/shape_ops.c: (placeholder, kernels to come). */
#include "runtime/kernel.h"

void frt_kernels_register_shape_ops(frt_kernel_registry *r);
void frt_kernels_register_shape_ops(frt_kernel_registry *r) { (void)r; }
