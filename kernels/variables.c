/* kernels/variables.c: (placeholder, kernels to come). */
#include "runtime/kernel.h"

void frt_kernels_register_variables(frt_kernel_registry *r);
void frt_kernels_register_variables(frt_kernel_registry *r) { (void)r; }
