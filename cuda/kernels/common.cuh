/* cuda/kernels/common.cuh: what every kernel body header (cuda/kernels/<family>.cuh) builds on —
 * the qualifiers that let one body compile as CUDA device code (nvcc, the .cu files) and as
 * host C11 (gcc, the simulation's _sim.c files), index decomposition, float bit casts, and,
 * for nvcc only, the grid-stride launch shape.
 * The shared subset (cuda/README.md, "Own kernels"): C that is also C++ — no designated
 * initializers, compound literals, restrict, _Generic or implicit void * conversions, no
 * library calls beyond the math functions CUDA's device library also has (expf, log1pf, ...).
 * Bodies take typed pointers and plain structs of int64_t arrays, and never allocate.
 * Thread-safety: pure functions. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cuda/kernels/launch.h"

/* FRT_CU_HD: a per-element body, inlined into a __global__ kernel by nvcc, an ordinary
 * static inline function for the simulation. FRT_CU_HOST: launch-side arithmetic (argument
 * structs, extents) that both launchers share; host code in either build. */
#ifdef __CUDACC__
#define FRT_CU_HD static __device__ __forceinline__
#else
#define FRT_CU_HD static inline
#endif
#define FRT_CU_HOST static inline

/* Dims and element strides of up to FRT_CU_MAX_DIMS dims, passed to kernels by value. */
typedef struct frt_cu_dims {
    int ndim;
    int64_t d[FRT_CU_MAX_DIMS];
} frt_cu_dims;

/* Row-major element strides of dims (innermost 1). */
FRT_CU_HOST void frt_cu_row_strides(int ndim, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int k = ndim - 1; k >= 0; k--) {
        strides[k] = s;
        s *= dims[k];
    }
}

FRT_CU_HOST int64_t frt_cu_num_elements(int ndim, const int64_t *dims) {
    int64_t n = 1;
    for (int k = 0; k < ndim; k++) n *= dims[k];
    return n;
}

/* Element sizes the data-movement launchers copy (the kernels move 1-, 2-, 4-, 8- or
 * 16-byte words). */
FRT_CU_HOST bool frt_cu_elem_size_ok(size_t es) {
    return es == 1 || es == 2 || es == 4 || es == 8 || es == 16;
}

/* Offset of flat row-major index i of `dims` in a tensor with element strides `strides`
 * (any signs; 0 = broadcast). */
FRT_CU_HD int64_t frt_cu_offset(int64_t i, int ndim, const int64_t *dims,
                                const int64_t *strides) {
    int64_t off = 0;
    for (int k = ndim - 1; k >= 0; k--) {
        int64_t c = i % dims[k];
        i /= dims[k];
        off += c * strides[k];
    }
    return off;
}

/* The lowest and highest element offsets (inclusive) that frt_cu_offset reaches over all
 * indices of dims (which must hold at least one element): the extent a kernel reads. */
FRT_CU_HOST void frt_cu_offset_range(int ndim, const int64_t *dims, const int64_t *strides,
                                     int64_t *lo, int64_t *hi) {
    *lo = 0;
    *hi = 0;
    for (int k = 0; k < ndim; k++) {
        int64_t span = (dims[k] - 1) * strides[k];
        if (span < 0) *lo += span;
        else *hi += span;
    }
}

/* float <-> bits, in device code and host code alike. */
FRT_CU_HD uint32_t frt_cu_f32_bits(float f) {
#ifdef __CUDA_ARCH__
    return __float_as_uint(f);
#else
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
#endif
}
FRT_CU_HD float frt_cu_bits_f32(uint32_t u) {
#ifdef __CUDA_ARCH__
    return __uint_as_float(u);
#else
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
#endif
}
FRT_CU_HD uint64_t frt_cu_f64_bits(double d) {
#ifdef __CUDA_ARCH__
    return (uint64_t)__double_as_longlong(d);
#else
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
#endif
}
FRT_CU_HD double frt_cu_bits_f64(uint64_t u) {
#ifdef __CUDA_ARCH__
    return __longlong_as_double((long long)u);
#else
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
#endif
}

#ifdef __CUDACC__
/* ---- nvcc only: the launch shape of every grid-stride kernel ----------------------------- */
#define FRT_CU_THREADS 256
/* Enough blocks to cover n (capped: the grid-stride loop does the rest). n > 0. */
static inline unsigned frt_cu_blocks(int64_t n) {
    int64_t b = (n + FRT_CU_THREADS - 1) / FRT_CU_THREADS;
    return (unsigned)(b < 65536 ? b : 65536);
}
/* for (i over [0, n)) in a __global__ kernel, each thread taking every gridDim*blockDim-th. */
#define FRT_CU_FOR(i, n)                                                                   \
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n);              \
         i += (int64_t)gridDim.x * blockDim.x)
#endif
