/* cuda/kernels/epilogue.h: C launchers of the small CUDA kernels that finish cuBLAS and cuDNN
 * results in place (cuda/blas.c, cuda/dnn.c): a per-channel bias plus an activation (the
 * epilogue of _FusedMatMul and of fused convolutions whose activation cuDNN cannot fuse), and
 * the count correction of an average pool whose asymmetric padding was made explicit. The
 * bodies are cuda/kernels/epilogue.cuh, built by nvcc (epilogue.cu) and, in the simulation,
 * as host code run by the simulated stream (epilogue_sim.c): cuda/README.md, "Own kernels".
 * Launchers enqueue on `s` and return at once; pointers are device pointers.
 * Thread-safety: launchers are thread-safe (the stream orders the work). */
#pragma once
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The activations an epilogue applies, with TF's formulas (kernels/fused_impl.h,
 * kernels/activations.c): Relu and Relu6 keep NaN, Elu is x < 0 ? exp(x) - 1 : x, LeakyRelu
 * x > 0 ? x : alpha * x. */
typedef enum frt_cu_act {
    FRT_CU_ACT_NONE = 0,
    FRT_CU_ACT_RELU,
    FRT_CU_ACT_RELU6,
    FRT_CU_ACT_ELU,
    FRT_CU_ACT_LEAKY,
    FRT_CU_ACT_TANH,
    FRT_CU_ACT_SIGMOID,
} frt_cu_act;

/* y[i] = act(y[i] + bias[(i / inner) % channels]) for i < n; bias NULL: no bias. inner is 1
 * for channels-last data (and matrices), the spatial size for NCHW. n, channels, inner >= 1
 * (n may be 0), alpha is LeakyRelu's; cudaErrorInvalidValue otherwise. */
cudaError_t frt_cu_bias_act(cudaStream_t s, float *y, const float *bias, int64_t n,
                            int64_t channels, int64_t inner, frt_cu_act act, float alpha);

/* One spatial dim of an average pool: its input size, window, stride and the padding before
 * the first window (TF's, which may differ from the one after). */
typedef struct frt_cu_pool_dim {
    int64_t in, window, stride, pad_before;
} frt_cu_pool_dim;

/* y is `planes` NCHW planes of out_h x out_w averages that divided each window's sum by the
 * whole window (h.window * w.window); multiplies each by that / (the window's elements inside
 * the input), which gives TF's average over the in-bounds elements. Every window must hold
 * at least one input element (TF's padding is smaller than the window); windows, strides and
 * inputs >= 1; cudaErrorInvalidValue otherwise. */
cudaError_t frt_cu_avgpool_rescale(cudaStream_t s, float *y, int64_t planes, int64_t out_h,
                                   int64_t out_w, frt_cu_pool_dim h, frt_cu_pool_dim w);

#ifdef __cplusplus
}
#endif
