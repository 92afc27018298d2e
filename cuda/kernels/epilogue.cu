/* cuda/kernels/epilogue.cu: the GPU's build of the launchers of cuda/kernels/epilogue.h:
 * grid-stride __global__ kernels around the bodies of epilogue.cuh, one instantiation per
 * activation so its switch folds away. epilogue_sim.c is the simulation's build.
 * Owns: the kernels and their launches. Does not own: the per-element arithmetic
 * (epilogue.cuh). Thread-safety: as epilogue.h. */
#include <cuda_runtime.h>

#include "cuda/kernels/epilogue.cuh"

namespace {

template <int OP, bool BIAS>
__global__ void bias_act_kernel(float *y, const float *bias, int64_t n,
                                frt_cu_bias_act_args a) {
    a.op = OP;
    FRT_CU_FOR(i, n) {
        const float *b = BIAS ? bias + frt_cu_bias_channel(i, &a) : nullptr;
        y[i] = frt_cu_bias_act_elem(y[i], b, &a);
    }
}

template <int OP>
cudaError_t bias_act_launch(cudaStream_t s, float *y, const float *bias, int64_t n,
                            const frt_cu_bias_act_args &a) {
    if (bias)
        bias_act_kernel<OP, true><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(y, bias, n, a);
    else
        bias_act_kernel<OP, false><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(y, bias, n, a);
    return cudaGetLastError();
}

__global__ void avgpool_rescale_kernel(float *y, int64_t n, frt_cu_avgpool_args a) {
    FRT_CU_FOR(i, n) y[i] *= frt_cu_avgpool_factor(i, &a);
}

} // namespace

extern "C" cudaError_t frt_cu_bias_act(cudaStream_t s, float *y, const float *bias, int64_t n,
                                       int64_t channels, int64_t inner, frt_cu_act act,
                                       float alpha) {
    int op = frt_cu_act_op(act);
    if (n < 0 || channels < 1 || inner < 1 || op < -1) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    frt_cu_bias_act_args a;
    a.channels = channels;
    a.inner = inner;
    a.op = op;
    a.alpha = alpha;
    switch (op) {
    case FRT_CU_RELU: return bias_act_launch<FRT_CU_RELU>(s, y, bias, n, a);
    case FRT_CU_RELU6: return bias_act_launch<FRT_CU_RELU6>(s, y, bias, n, a);
    case FRT_CU_ELU: return bias_act_launch<FRT_CU_ELU>(s, y, bias, n, a);
    case FRT_CU_LEAKY_RELU: return bias_act_launch<FRT_CU_LEAKY_RELU>(s, y, bias, n, a);
    case FRT_CU_TANH: return bias_act_launch<FRT_CU_TANH>(s, y, bias, n, a);
    case FRT_CU_SIGMOID: return bias_act_launch<FRT_CU_SIGMOID>(s, y, bias, n, a);
    default: return bias_act_launch<-1>(s, y, bias, n, a);
    }
}

extern "C" cudaError_t frt_cu_avgpool_rescale(cudaStream_t s, float *y, int64_t planes,
                                              int64_t out_h, int64_t out_w, frt_cu_pool_dim h,
                                              frt_cu_pool_dim w) {
    if (planes < 0 || out_h < 1 || out_w < 1 || !frt_cu_pool_dim_ok(&h) ||
        !frt_cu_pool_dim_ok(&w))
        return cudaErrorInvalidValue;
    if (planes == 0) return cudaSuccess;
    frt_cu_avgpool_args a;
    a.out_h = out_h;
    a.out_w = out_w;
    a.h = h;
    a.w = w;
    int64_t n = planes * out_h * out_w;
    avgpool_rescale_kernel<<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(y, n, a);
    return cudaGetLastError();
}
