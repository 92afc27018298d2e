/* cuda/register_defaults.c: empty stand-ins for the backend's kernel families while they are
 * being written (cuda/kernels/ registers frt_cuda_register_elementwise, cuda/blas.c and
 * cuda/dnn.c frt_cuda_register_dnn), so the tree links meanwhile. Delete this file once both
 * have landed.
 * They are weak definitions in a file of their own, listed last among libflowrt's sources
 * (CMakeLists.txt): the linker takes the first archive member that defines a symbol it
 * needs, so a real definition earlier in the archive is the one linked. Inside cuda/device.c
 * they would win instead: that member is pulled in first, and the linker never extracts a
 * member just to replace a weak definition.
 * Thread-safety: reentrant (they do nothing). */
#include "cuda/cuda_impl.h"

__attribute__((weak)) void frt_cuda_register_elementwise(frt_kernel_registry *r) { (void)r; }
__attribute__((weak)) void frt_cuda_register_dnn(frt_kernel_registry *r) { (void)r; }
