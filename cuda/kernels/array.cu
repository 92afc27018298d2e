/* cuda/kernels/array.cu: the GPU's build of the data-movement launchers of
 * cuda/kernels/launch.h (pad, mirror pad, transpose, strided copy, row copies, gather,
 * fill): grid-stride __global__ kernels around the index maps of array.cuh, instantiated
 * per element size. array_sim.c is the simulation's build of the same launchers.
 * Owns: the kernels and their launches. Does not own: the index maps (array.cuh).
 * Thread-safety: as launch.h. */
#include <cuda_runtime.h>

#include "cuda/kernels/array.cuh"

namespace {

/* The word each element size is moved as. */
struct alignas(16) word16 {
    unsigned long long lo, hi;
};

template <typename T>
__global__ void pad_kernel(const T *in, T *out, int64_t n, frt_cu_pad_args a, T fill) {
    FRT_CU_FOR(i, n) {
        int64_t src = frt_cu_pad_src(i, &a);
        out[i] = src >= 0 ? in[src] : fill;
    }
}

template <typename T>
__global__ void mirror_pad_kernel(const T *in, T *out, int64_t n, frt_cu_pad_args a) {
    FRT_CU_FOR(i, n) out[i] = in[frt_cu_mirror_pad_src(i, &a)];
}

template <typename T>
__global__ void strided_kernel(const T *in, T *out, int64_t n, frt_cu_strided_args a) {
    FRT_CU_FOR(i, n) out[i] = in[frt_cu_strided_src(i, &a)];
}

template <typename T>
__global__ void rows_kernel(const T *in, T *out, int64_t n, frt_cu_rows_args a) {
    FRT_CU_FOR(i, n) out[frt_cu_rows_dst(i, &a)] = in[frt_cu_rows_src(i, &a)];
}

template <typename T>
__global__ void gather_kernel(const T *params, const void *indices, T *out, int64_t n,
                              frt_cu_gather_args a) {
    FRT_CU_FOR(i, n) {
        int64_t src = frt_cu_gather_src(i, &a, indices);
        T zero;
        memset(&zero, 0, sizeof zero);
        out[i] = src >= 0 ? params[src] : zero;
    }
}

template <typename T>
__global__ void fill_kernel(T *out, int64_t n, T value) {
    FRT_CU_FOR(i, n) out[i] = value;
}

/* An element of es bytes from host bytes (NULL: zeros). */
template <typename T>
T host_value(const void *bytes) {
    T v;
    memset(&v, 0, sizeof v);
    if (bytes) memcpy(&v, bytes, sizeof v);
    return v;
}

} // namespace

/* Runs LAUNCH(T) with T the word of elem_size bytes, then returns the launch's error. */
#define BY_ELEM_SIZE(elem_size, LAUNCH)                                                    \
    do {                                                                                   \
        switch (elem_size) {                                                               \
        case 1: LAUNCH(uint8_t); break;                                                    \
        case 2: LAUNCH(uint16_t); break;                                                   \
        case 4: LAUNCH(uint32_t); break;                                                   \
        case 8: LAUNCH(unsigned long long); break;                                         \
        default: LAUNCH(word16); break;                                                    \
        }                                                                                  \
        return cudaGetLastError();                                                         \
    } while (0)

extern "C" cudaError_t frt_cu_pad(cudaStream_t s, const void *in, void *out, int ndim,
                                  const int64_t *in_dims, const int64_t *before,
                                  const int64_t *out_dims, size_t elem_size, const void *fill) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    frt_cu_pad_args a;
    frt_cu_pad_args_init(&a, ndim, in_dims, before, out_dims, 0);
#define LAUNCH(T)                                                                          \
    pad_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((const T *)in, (T *)out, n, a, \
                                                             host_value<T>(fill))
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}

extern "C" cudaError_t frt_cu_mirror_pad(cudaStream_t s, const void *in, void *out, int ndim,
                                         const int64_t *in_dims, const int64_t *before,
                                         const int64_t *out_dims, size_t elem_size,
                                         int offset) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size) ||
        (offset != 0 && offset != 1))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    frt_cu_pad_args a;
    frt_cu_pad_args_init(&a, ndim, in_dims, before, out_dims, offset);
#define LAUNCH(T)                                                                          \
    mirror_pad_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((const T *)in, (T *)out, \
                                                                    n, a)
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}

static cudaError_t strided(cudaStream_t s, const void *in, void *out, int64_t n,
                           const frt_cu_strided_args &a, size_t elem_size) {
#define LAUNCH(T)                                                                          \
    strided_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((const T *)in, (T *)out, n, a)
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}

extern "C" cudaError_t frt_cu_transpose(cudaStream_t s, const void *in, void *out, int ndim,
                                        const int64_t *in_dims, const int *perm,
                                        size_t elem_size) {
    if (ndim < 1 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, in_dims);
    if (n == 0) return cudaSuccess;
    frt_cu_strided_args a;
    frt_cu_transpose_args_init(&a, ndim, in_dims, perm);
    return strided(s, in, out, n, a, elem_size);
}

extern "C" cudaError_t frt_cu_strided_copy(cudaStream_t s, const void *in, void *out, int ndim,
                                           const int64_t *out_dims, int64_t in_offset,
                                           const int64_t *in_strides, size_t elem_size) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    frt_cu_strided_args a;
    frt_cu_strided_args_init(&a, ndim, out_dims, in_offset, in_strides);
    return strided(s, in, out, n, a, elem_size);
}

extern "C" cudaError_t frt_cu_copy_rows(cudaStream_t s, const void *in, void *out,
                                        int64_t rows, int64_t cols, int64_t in_pitch,
                                        int64_t out_pitch, size_t elem_size) {
    if (rows < 0 || cols < 0 || in_pitch < cols || out_pitch < cols ||
        !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return cudaSuccess;
    frt_cu_rows_args a;
    a.cols = cols;
    a.in_pitch = in_pitch;
    a.out_pitch = out_pitch;
    int64_t n = rows * cols;
#define LAUNCH(T)                                                                          \
    rows_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((const T *)in, (T *)out, n, a)
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}

extern "C" cudaError_t frt_cu_gather(cudaStream_t s, const void *params, const void *indices,
                                     size_t index_size, void *out, int64_t batch,
                                     int64_t outer, int64_t n_idx, int64_t limit,
                                     int64_t inner, size_t elem_size) {
    if ((index_size != 4 && index_size != 8) || batch < 0 || outer < 0 || n_idx < 0 ||
        limit < 0 || inner < 0 || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = batch * outer * n_idx * inner;
    if (n == 0) return cudaSuccess;
    frt_cu_gather_args a;
    a.outer = outer;
    a.n_idx = n_idx;
    a.limit = limit;
    a.inner = inner;
    a.index_size = (int)index_size;
#define LAUNCH(T)                                                                          \
    gather_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((const T *)params, indices, \
                                                                (T *)out, n, a)
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}

extern "C" cudaError_t frt_cu_fill(cudaStream_t s, void *out, int64_t n, size_t elem_size,
                                   const void *value) {
    if (n < 0 || !value || !frt_cu_elem_size_ok(elem_size)) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
#define LAUNCH(T)                                                                          \
    fill_kernel<T><<<frt_cu_blocks(n), FRT_CU_THREADS, 0, s>>>((T *)out, n, host_value<T>(value))
    BY_ELEM_SIZE(elem_size, LAUNCH);
#undef LAUNCH
}
