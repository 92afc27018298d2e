/* cuda/kernels/cast.cu: the GPU's build of frt_cu_cast (cuda/kernels/launch.h): a
 * grid-stride __global__ kernel around the body of cast.cuh. The (source, destination)
 * switch is uniform across a launch, so it is left to the kernel rather than instantiated
 * 81 times. cast_sim.c is the simulation's build.
 * Owns: the kernel and its launch. Does not own: the conversions (cast.cuh).
 * Thread-safety: as launch.h. */
#include <cuda_runtime.h>

#include "cuda/kernels/cast.cuh"

namespace {

__global__ void cast_kernel(int src, const void *x, int dst, void *y, int64_t n, bool truncate) {
    FRT_CU_FOR(i, n) frt_cu_cast_elem(src, dst, x, y, i, truncate);
}

} // namespace

extern "C" cudaError_t frt_cu_cast(cudaStream_t s, frt_cu_type src, const void *x,
                                   frt_cu_type dst, void *y, int64_t n, int truncate) {
    if (n < 0 || (int)src < 0 || src >= FRT_CU_TYPES || (int)dst < 0 || dst >= FRT_CU_TYPES)
        return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    cast_kernel<<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(src, x, dst, y, n, truncate != 0);
    return cudaGetLastError();
}
