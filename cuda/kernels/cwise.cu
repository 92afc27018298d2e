/* cuda/kernels/cwise.cu: the GPU's build of the float32 elementwise launchers of
 * cuda/kernels/launch.h (unary, broadcasting binary, AddN): grid-stride __global__ kernels
 * around the bodies of cwise.cuh, one instantiation per op so the op's switch folds away.
 * cwise_sim.c is the simulation's build of the same launchers.
 * Owns: the kernels and their launches. Does not own: per-element semantics (cwise.cuh).
 * Thread-safety: as launch.h. */
#include <cuda_runtime.h>

#include "cuda/kernels/cwise.cuh"

namespace {

template <int OP>
__global__ void unary_kernel(const float *x, float *y, int64_t n, float alpha) {
    FRT_CU_FOR(i, n) y[i] = frt_cu_unary(OP, x[i], alpha);
}

template <int OP>
__global__ void binary_kernel(const float *x, const float *y, float *z, int64_t n,
                              frt_cu_bcast_args a) {
    FRT_CU_FOR(i, n) {
        int64_t xo, yo;
        frt_cu_bcast_offsets(i, &a, &xo, &yo);
        z[i] = frt_cu_binary(OP, x[xo], y[yo]);
    }
}

/* Same-shape operands: no index arithmetic. */
template <int OP>
__global__ void binary_flat_kernel(const float *x, const float *y, float *z, int64_t n) {
    FRT_CU_FOR(i, n) z[i] = frt_cu_binary(OP, x[i], y[i]);
}

__global__ void add_n_kernel(float *out, int64_t n, frt_cu_add_n_args a) {
    FRT_CU_FOR(i, n) out[i] = frt_cu_add_n_elem(i, &a);
}

template <int OP>
cudaError_t unary_launch(cudaStream_t s, const float *x, float *y, int64_t n, float alpha) {
    unary_kernel<OP><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(x, y, n, alpha);
    return cudaGetLastError();
}

template <int OP>
cudaError_t binary_launch(cudaStream_t s, const float *x, const float *y, float *z, int64_t n,
                          const frt_cu_bcast_args &a, bool flat) {
    if (flat)
        binary_flat_kernel<OP><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(x, y, z, n);
    else
        binary_kernel<OP><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>(x, y, z, n, a);
    return cudaGetLastError();
}

} // namespace

extern "C" cudaError_t frt_cu_unary_f32(cudaStream_t s, frt_cu_unary_op op, const float *x,
                                        float *y, int64_t n, float alpha) {
    if (n < 0 || (int)op < 0 || op >= FRT_CU_UNARY_OPS) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    switch (op) {
#define CASE(OP)                                                                           \
    case OP: return unary_launch<OP>(s, x, y, n, alpha);
    CASE(FRT_CU_RELU) CASE(FRT_CU_RELU6) CASE(FRT_CU_ELU) CASE(FRT_CU_SELU)
    CASE(FRT_CU_LEAKY_RELU) CASE(FRT_CU_SIGMOID) CASE(FRT_CU_TANH) CASE(FRT_CU_SOFTPLUS)
    CASE(FRT_CU_SOFTSIGN) CASE(FRT_CU_EXP) CASE(FRT_CU_EXPM1) CASE(FRT_CU_LOG)
    CASE(FRT_CU_LOG1P) CASE(FRT_CU_SQRT) CASE(FRT_CU_RSQRT) CASE(FRT_CU_SQUARE)
    CASE(FRT_CU_NEG) CASE(FRT_CU_ABS) CASE(FRT_CU_RECIPROCAL) CASE(FRT_CU_SIGN)
    CASE(FRT_CU_FLOOR) CASE(FRT_CU_CEIL) CASE(FRT_CU_ROUND) CASE(FRT_CU_ERF)
    CASE(FRT_CU_SIN) CASE(FRT_CU_COS)
#undef CASE
    default: return cudaErrorInvalidValue;
    }
}

extern "C" cudaError_t frt_cu_binary_f32(cudaStream_t s, frt_cu_binary_op op, const float *x,
                                         const float *y, float *z, int ndim,
                                         const int64_t *dims, const int64_t *x_strides,
                                         const int64_t *y_strides) {
    if (ndim < 1 || ndim > FRT_CU_MAX_DIMS || (int)op < 0 || op >= FRT_CU_BINARY_OPS)
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, dims);
    if (n == 0) return cudaSuccess;
    frt_cu_bcast_args a;
    frt_cu_bcast_args_init(&a, ndim, dims, x_strides, y_strides);
    bool flat = frt_cu_bcast_is_flat(&a);
    switch (op) {
#define CASE(OP)                                                                           \
    case OP: return binary_launch<OP>(s, x, y, z, n, a, flat);
    CASE(FRT_CU_ADD) CASE(FRT_CU_SUB) CASE(FRT_CU_MUL) CASE(FRT_CU_DIV) CASE(FRT_CU_MAXIMUM)
    CASE(FRT_CU_MINIMUM) CASE(FRT_CU_SQUARED_DIFFERENCE) CASE(FRT_CU_POW)
#undef CASE
    default: return cudaErrorInvalidValue;
    }
}

extern "C" cudaError_t frt_cu_add_n_f32(cudaStream_t s, const float *const *ins, int n,
                                        float *out, int64_t len) {
    if (n < 1 || len < 0 || !ins) return cudaErrorInvalidValue;
    if (len == 0) return cudaSuccess;
    frt_cu_add_n_args a;
    for (int next = 0; next < n;) {
        frt_cu_add_n_args_next(&a, ins, n, out, &next);
        add_n_kernel<<<frt_cu_blocks(len), FRT_CU_THREADS, 0, s>>>(out, len, a);
        cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
}
