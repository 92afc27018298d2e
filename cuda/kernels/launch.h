/* cuda/kernels/launch.h: C launchers of flowrt's own CUDA kernels. Each body is written once
 * (cuda/kernels/<family>.cuh) and built twice: by nvcc into __global__ kernels (the .cu files), and,
 * in the simulation build, as host code that the simulated stream runs (the _sim.c files) —
 * the mechanism is described in cuda/README.md. Launchers enqueue on `s` and return at once.
 * Pointers are device pointers; shapes and other arguments are host values, copied at the
 * call. A launch over zero elements enqueues nothing and succeeds. Errors: the launch's
 * (cudaGetLastError after it; the simulation: cudaErrorInvalidResourceHandle for a bad
 * stream), or cudaErrorInvalidValue for arguments out of the ranges stated here. Faults of
 * the kernel itself (an index past an allocation) come later: on a GPU as a sticky error of
 * the stream, in the simulation as a violation (frt_sim_violations).
 * Thread-safety: launchers are thread-safe (the stream orders the work). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most dims any launcher takes (flowrt's FRT_MAX_DIMS). */
#define FRT_CU_MAX_DIMS 8

/* ---- data movement (any element size es in {1, 2, 4, 8, 16}) ----------------------------- */

/* N-d constant pad: out[i] = in[i - before] inside, else *fill (elem_size bytes, host
 * pointer; NULL = zeros). dims of out = in_dims + before + after. ndim <= 8. */
cudaError_t frt_cu_pad(cudaStream_t s, const void *in, void *out, int ndim,
                       const int64_t *in_dims, const int64_t *before, const int64_t *out_dims,
                       size_t elem_size, const void *fill);

/* N-d mirror pad (TF's MirrorPad): along each dim, output index o reads input index
 * v = o - before[d] reflected into [0, in_dims[d]): REFLECT (offset 1) leaves the edge out,
 * SYMMETRIC (offset 0) repeats it. The caller checks TF's limits on the paddings
 * (before[d], after[d] <= in_dims[d] - offset); in_dims must hold at least one element. */
cudaError_t frt_cu_mirror_pad(cudaStream_t s, const void *in, void *out, int ndim,
                              const int64_t *in_dims, const int64_t *before,
                              const int64_t *out_dims, size_t elem_size, int offset);

/* out = in with its dims permuted: out dim k is in dim perm[k] (a permutation of 0..ndim-1,
 * ndim in [1, 8]). */
cudaError_t frt_cu_transpose(cudaStream_t s, const void *in, void *out, int ndim,
                             const int64_t *in_dims, const int *perm, size_t elem_size);

/* Strided gather (Slice, StridedSlice): out (dense, dims out_dims) element at coordinates c
 * is in[in_offset + sum_k c[k] * in_strides[k]] (element units, strides of any sign).
 * ndim in [0, 8]. */
cudaError_t frt_cu_strided_copy(cudaStream_t s, const void *in, void *out, int ndim,
                                const int64_t *out_dims, int64_t in_offset,
                                const int64_t *in_strides, size_t elem_size);

/* rows x cols elements: out[r * out_pitch + c] = in[r * in_pitch + c] (pitches in elements,
 * >= cols). One input's share of a Concat. */
cudaError_t frt_cu_copy_rows(cudaStream_t s, const void *in, void *out, int64_t rows,
                             int64_t cols, int64_t in_pitch, int64_t out_pitch,
                             size_t elem_size);

/* GatherV2 over [batch, outer, limit, inner] params and [batch, n_idx] indices (int32 when
 * index_size is 4, int64 when 8, device memory): out[b, o, i, :] = params[b, o, idx, :]
 * with idx = indices[b, i]; an idx outside [0, limit) gives zeros there, as TF's GPU kernel
 * does (its CPU kernel fails instead). */
cudaError_t frt_cu_gather(cudaStream_t s, const void *params, const void *indices,
                          size_t index_size, void *out, int64_t batch, int64_t outer,
                          int64_t n_idx, int64_t limit, int64_t inner, size_t elem_size);

/* out[0..n) = *value (elem_size bytes, host pointer). */
cudaError_t frt_cu_fill(cudaStream_t s, void *out, int64_t n, size_t elem_size,
                        const void *value);

/* ---- float32 arithmetic ------------------------------------------------------------------ */

/* Elementwise y[i] = op(x[i]); alpha is LeakyRelu's (ignored elsewhere). y may be x. */
typedef enum frt_cu_unary_op {
    FRT_CU_RELU,
    FRT_CU_RELU6,
    FRT_CU_ELU,
    FRT_CU_SELU,
    FRT_CU_LEAKY_RELU,
    FRT_CU_SIGMOID,
    FRT_CU_TANH,
    FRT_CU_SOFTPLUS,
    FRT_CU_SOFTSIGN,
    FRT_CU_EXP,
    FRT_CU_EXPM1,
    FRT_CU_LOG,
    FRT_CU_LOG1P,
    FRT_CU_SQRT,
    FRT_CU_RSQRT,
    FRT_CU_SQUARE,
    FRT_CU_NEG,
    FRT_CU_ABS,
    FRT_CU_RECIPROCAL,
    FRT_CU_SIGN,
    FRT_CU_FLOOR,
    FRT_CU_CEIL,
    FRT_CU_ROUND,
    FRT_CU_ERF,
    FRT_CU_SIN,
    FRT_CU_COS,
    FRT_CU_UNARY_OPS   /* the count */
} frt_cu_unary_op;
cudaError_t frt_cu_unary_f32(cudaStream_t s, frt_cu_unary_op op, const float *x, float *y,
                             int64_t n, float alpha);

/* Broadcasting z = op(x, y) over output dims[0..ndim) (row-major, ndim in [1, 8]): the
 * operands are read at sum_k c[k] * x_strides[k] (y_strides), 0 where broadcast.
 * z may be x or y when that operand has the output's shape. */
typedef enum frt_cu_binary_op {
    FRT_CU_ADD,
    FRT_CU_SUB,
    FRT_CU_MUL,
    FRT_CU_DIV,
    FRT_CU_MAXIMUM,
    FRT_CU_MINIMUM,
    FRT_CU_SQUARED_DIFFERENCE,
    FRT_CU_POW,
    FRT_CU_BINARY_OPS  /* the count */
} frt_cu_binary_op;
cudaError_t frt_cu_binary_f32(cudaStream_t s, frt_cu_binary_op op, const float *x,
                              const float *y, float *z, int ndim, const int64_t *dims,
                              const int64_t *x_strides, const int64_t *y_strides);

/* AddN: out[i] = sum of ins[k][i] over k < n (n >= 1; ins: a host array of n device
 * pointers, copied at the call). out may be one of the inputs. */
cudaError_t frt_cu_add_n_f32(cudaStream_t s, const float *const *ins, int n, float *out,
                             int64_t len);

/* Reductions: out[o] = op over the reduced elements of x, for o in [0, n_out): o's
 * coordinates over kept_dims (row-major) give the base offset sum c[k] * kept_strides[k],
 * and the reduced elements are base + sum r[k] * red_strides[k] over red_dims. Mean divides
 * the sum by the number of reduced elements (0/0 = NaN when there are none, as TF).
 * kept_ndim, red_ndim in [0, 8]; strides >= 0. */
typedef enum frt_cu_reduce_op {
    FRT_CU_REDUCE_SUM,
    FRT_CU_REDUCE_MEAN,
    FRT_CU_REDUCE_PROD,
    FRT_CU_REDUCE_MAX,
    FRT_CU_REDUCE_MIN,
    FRT_CU_REDUCE_OPS  /* the count */
} frt_cu_reduce_op;
cudaError_t frt_cu_reduce_f32(cudaStream_t s, frt_cu_reduce_op op, const float *x, float *out,
                              int64_t n_out, int kept_ndim, const int64_t *kept_dims,
                              const int64_t *kept_strides, int red_ndim,
                              const int64_t *red_dims, const int64_t *red_strides);

/* ---- Cast -------------------------------------------------------------------------------- */

/* The element types Cast converts between on the GPU. */
typedef enum frt_cu_type {
    FRT_CU_F32,
    FRT_CU_F64,
    FRT_CU_F16,
    FRT_CU_BF16,
    FRT_CU_I32,
    FRT_CU_I64,
    FRT_CU_BOOL,
    FRT_CU_U8,
    FRT_CU_I8,
    FRT_CU_TYPES       /* the count */
} frt_cu_type;
/* y[i] = x[i] converted as flowrt's CPU Cast does (kernels/cast.c: round to nearest even,
 * float -> int truncating with out-of-range and NaN giving the integer's minimum, anything
 * -> bool is != 0); truncate: TF's Truncate for float/double -> half/bfloat16. */
cudaError_t frt_cu_cast(cudaStream_t s, frt_cu_type src, const void *x, frt_cu_type dst,
                        void *y, int64_t n, int truncate);

#ifdef __cplusplus
}
#endif
