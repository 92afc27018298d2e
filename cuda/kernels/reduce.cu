/* cuda/kernels/reduce.cu: the GPU's build of frt_cu_reduce_f32 (cuda/kernels/launch.h): a
 * grid-stride __global__ kernel around the body of reduce.cuh, one thread per output
 * element, one instantiation per op. reduce_sim.c is the simulation's build.
 * Owns: the kernel and its launch. Does not own: the reduction (reduce.cuh).
 * Thread-safety: as launch.h. */
#include <cuda_runtime.h>

#include "cuda/kernels/reduce.cuh"

namespace {

template <int OP>
__global__ void reduce_kernel(const float *x, float *out, int64_t n_out, frt_cu_reduce_args a) {
    FRT_CU_FOR(o, n_out) out[o] = frt_cu_reduce_elem(OP, x, o, &a);
}

template <int OP>
cudaError_t reduce_launch(cudaStream_t s, const float *x, float *out, int64_t n_out,
                          const frt_cu_reduce_args &a) {
    reduce_kernel<OP><<<frt_cu_blocks(n_out), FRT_CU_THREADS, 0, s>>>(x, out, n_out, a);
    return cudaGetLastError();
}

} // namespace

extern "C" cudaError_t frt_cu_reduce_f32(cudaStream_t s, frt_cu_reduce_op op, const float *x,
                                         float *out, int64_t n_out, int kept_ndim,
                                         const int64_t *kept_dims, const int64_t *kept_strides,
                                         int red_ndim, const int64_t *red_dims,
                                         const int64_t *red_strides) {
    if (n_out < 0 || kept_ndim < 0 || kept_ndim > FRT_CU_MAX_DIMS || red_ndim < 0 ||
        red_ndim > FRT_CU_MAX_DIMS || (int)op < 0 || op >= FRT_CU_REDUCE_OPS ||
        !frt_cu_reduce_strides_ok(kept_ndim, kept_strides, red_ndim, red_strides))
        return cudaErrorInvalidValue;
    if (n_out == 0) return cudaSuccess;
    frt_cu_reduce_args a;
    frt_cu_reduce_args_init(&a, kept_ndim, kept_dims, kept_strides, red_ndim, red_dims,
                            red_strides);
    switch (op) {
    case FRT_CU_REDUCE_SUM: return reduce_launch<FRT_CU_REDUCE_SUM>(s, x, out, n_out, a);
    case FRT_CU_REDUCE_MEAN: return reduce_launch<FRT_CU_REDUCE_MEAN>(s, x, out, n_out, a);
    case FRT_CU_REDUCE_PROD: return reduce_launch<FRT_CU_REDUCE_PROD>(s, x, out, n_out, a);
    case FRT_CU_REDUCE_MAX: return reduce_launch<FRT_CU_REDUCE_MAX>(s, x, out, n_out, a);
    case FRT_CU_REDUCE_MIN: return reduce_launch<FRT_CU_REDUCE_MIN>(s, x, out, n_out, a);
    default: return cudaErrorInvalidValue;
    }
}
