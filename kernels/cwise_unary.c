/* kernels/cwise_unary.c: (placeholder, kernels to come). */
#include "runtime/kernel.h"

void frt_kernels_register_cwise_unary(frt_kernel_registry *r);
void frt_kernels_register_cwise_unary(frt_kernel_registry *r) { (void)r; }
