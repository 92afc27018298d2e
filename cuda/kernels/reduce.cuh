/* cuda/kernels/reduce.cuh: the body of the float32 reductions (Sum, Mean, Prod, Max, Min),
 * written once for nvcc (reduce.cu) and the simulation (reduce_sim.c): one thread per
 * output element walks all of its reduced elements.
 * Owns: identities, combining (Max/Min propagate NaN, as TF 2.21 and flowrt's CPU kernel),
 * and the accumulator: Sum and Mean add in double, because one thread adds its whole
 * reduction in sequence where TF's GPU kernels add float partial sums in a tree (a float
 * accumulator here would lose digits theirs keep); Prod multiplies in float, so it overflows
 * where TF's does.
 * Does not own: axis validation and collapsing (cuda/reduce_ops.c).
 * Thread-safety: pure functions. */
#pragma once
#include <math.h>

#include "cuda/kernels/common.cuh"

typedef struct frt_cu_reduce_args {
    int kept_ndim, red_ndim;
    int64_t count;                   /* reduced elements per output */
    int64_t kept_dims[FRT_CU_MAX_DIMS], kept_strides[FRT_CU_MAX_DIMS];
    int64_t red_dims[FRT_CU_MAX_DIMS], red_strides[FRT_CU_MAX_DIMS];
} frt_cu_reduce_args;

FRT_CU_HOST void frt_cu_reduce_args_init(frt_cu_reduce_args *a, int kept_ndim,
                                         const int64_t *kept_dims, const int64_t *kept_strides,
                                         int red_ndim, const int64_t *red_dims,
                                         const int64_t *red_strides) {
    memset(a, 0, sizeof *a);
    a->kept_ndim = kept_ndim;
    a->red_ndim = red_ndim;
    for (int k = 0; k < kept_ndim; k++) {
        a->kept_dims[k] = kept_dims[k];
        a->kept_strides[k] = kept_strides[k];
    }
    for (int k = 0; k < red_ndim; k++) {
        a->red_dims[k] = red_dims[k];
        a->red_strides[k] = red_strides[k];
    }
    a->count = frt_cu_num_elements(red_ndim, red_dims);
}

/* Strides must be >= 0 (a reduction reads x from its first element on). */
FRT_CU_HOST bool frt_cu_reduce_strides_ok(int kept_ndim, const int64_t *kept_strides,
                                          int red_ndim, const int64_t *red_strides) {
    for (int k = 0; k < kept_ndim; k++)
        if (kept_strides[k] < 0) return false;
    for (int k = 0; k < red_ndim; k++)
        if (red_strides[k] < 0) return false;
    return true;
}

/* The lowest and highest offsets of x a reduction reads (count > 0, n_out > 0). */
FRT_CU_HOST void frt_cu_reduce_extent(const frt_cu_reduce_args *a, int64_t *lo, int64_t *hi) {
    int64_t klo, khi, rlo, rhi;
    frt_cu_offset_range(a->kept_ndim, a->kept_dims, a->kept_strides, &klo, &khi);
    frt_cu_offset_range(a->red_ndim, a->red_dims, a->red_strides, &rlo, &rhi);
    *lo = klo + rlo;
    *hi = khi + rhi;
}

/* Output element o. */
FRT_CU_HD float frt_cu_reduce_elem(int op, const float *x, int64_t o,
                                   const frt_cu_reduce_args *a) {
    int64_t off = frt_cu_offset(o, a->kept_ndim, a->kept_dims, a->kept_strides);
    int64_t c[FRT_CU_MAX_DIMS];
    for (int k = 0; k < a->red_ndim; k++) c[k] = 0;
    double sum = 0.0;
    float acc = op == FRT_CU_REDUCE_PROD ? 1.0f
              : op == FRT_CU_REDUCE_MAX  ? -INFINITY
              : op == FRT_CU_REDUCE_MIN  ? INFINITY
                                         : 0.0f;
    for (int64_t r = 0; r < a->count; r++) {
        float v = x[off];
        switch (op) {
        case FRT_CU_REDUCE_SUM:
        case FRT_CU_REDUCE_MEAN: sum += v; break;
        case FRT_CU_REDUCE_PROD: acc *= v; break;
        case FRT_CU_REDUCE_MAX: acc = (v > acc || v != v) ? v : acc; break;
        case FRT_CU_REDUCE_MIN: acc = (v < acc || v != v) ? v : acc; break;
        default: break;
        }
        /* the next reduced element: an odometer over red_dims */
        for (int k = a->red_ndim - 1; k >= 0; k--) {
            off += a->red_strides[k];
            if (++c[k] < a->red_dims[k]) break;
            off -= c[k] * a->red_strides[k];
            c[k] = 0;
        }
    }
    if (op == FRT_CU_REDUCE_SUM) return (float)sum;
    if (op == FRT_CU_REDUCE_MEAN) return (float)sum / (float)a->count;
    return acc;
}
