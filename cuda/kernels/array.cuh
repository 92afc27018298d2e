/* cuda/kernels/array.cuh: the bodies of the data-movement kernels (Pad, MirrorPad,
 * Transpose, Slice/StridedSlice, Concat's row copies, GatherV2), written once for nvcc
 * (array.cu) and the simulation (array_sim.c). Every body is an index map — for output
 * element i, which input element it reads (or -1: a fill value) — so it does not depend on
 * the element type; the kernels around it copy elements of the launch's size.
 * Owns: the argument structs and their setup from the launchers' arguments, the index maps.
 * Does not own: shape validation (cuda/array_ops.c, with TF's messages), element copies.
 * Thread-safety: pure functions. */
#pragma once
#include "cuda/kernels/common.cuh"

/* ---- Pad and MirrorPad --------------------------------------------------------------------- */

typedef struct frt_cu_pad_args {
    int ndim;
    int offset;                      /* MirrorPad: 1 REFLECT, 0 SYMMETRIC; unused by Pad */
    int64_t out_dims[FRT_CU_MAX_DIMS];
    int64_t in_dims[FRT_CU_MAX_DIMS];
    int64_t before[FRT_CU_MAX_DIMS];
    int64_t in_strides[FRT_CU_MAX_DIMS];
} frt_cu_pad_args;

FRT_CU_HOST void frt_cu_pad_args_init(frt_cu_pad_args *a, int ndim, const int64_t *in_dims,
                                      const int64_t *before, const int64_t *out_dims,
                                      int offset) {
    memset(a, 0, sizeof *a);
    a->ndim = ndim;
    a->offset = offset;
    for (int k = 0; k < ndim; k++) {
        a->out_dims[k] = out_dims[k];
        a->in_dims[k] = in_dims[k];
        a->before[k] = before[k];
    }
    frt_cu_row_strides(ndim, in_dims, a->in_strides);
}

/* The input element output element i copies, or -1 where it is padding. */
FRT_CU_HD int64_t frt_cu_pad_src(int64_t i, const frt_cu_pad_args *a) {
    int64_t src = 0;
    for (int k = a->ndim - 1; k >= 0; k--) {
        int64_t v = i % a->out_dims[k] - a->before[k];
        i /= a->out_dims[k];
        if (v < 0 || v >= a->in_dims[k]) return -1;
        src += v * a->in_strides[k];
    }
    return src;
}

/* MirrorPad: every output element reads one input element. */
FRT_CU_HD int64_t frt_cu_mirror_pad_src(int64_t i, const frt_cu_pad_args *a) {
    int64_t src = 0;
    for (int k = a->ndim - 1; k >= 0; k--) {
        int64_t v = i % a->out_dims[k] - a->before[k], d = a->in_dims[k];
        i /= a->out_dims[k];
        if (v < 0) v = -v - 1 + a->offset;
        else if (v >= d) v = 2 * d - 1 - a->offset - v;
        src += v * a->in_strides[k];
    }
    return src;
}

/* ---- strided gathers: Transpose, Slice, StridedSlice ----------------------------------------
 * Output element at coordinates c (over out_dims) reads offset + sum c[k] * strides[k]. A
 * transpose is the case offset 0, strides[k] = the input's row-major stride of dim perm[k]. */

typedef struct frt_cu_strided_args {
    int ndim;
    int64_t offset;
    int64_t out_dims[FRT_CU_MAX_DIMS];
    int64_t strides[FRT_CU_MAX_DIMS];
} frt_cu_strided_args;

FRT_CU_HOST void frt_cu_strided_args_init(frt_cu_strided_args *a, int ndim,
                                          const int64_t *out_dims, int64_t offset,
                                          const int64_t *strides) {
    memset(a, 0, sizeof *a);
    a->ndim = ndim;
    a->offset = offset;
    for (int k = 0; k < ndim; k++) {
        a->out_dims[k] = out_dims[k];
        a->strides[k] = strides[k];
    }
}

/* Transpose as a strided gather: out dim k = in dim perm[k]. */
FRT_CU_HOST void frt_cu_transpose_args_init(frt_cu_strided_args *a, int ndim,
                                            const int64_t *in_dims, const int *perm) {
    int64_t in_strides[FRT_CU_MAX_DIMS], out_dims[FRT_CU_MAX_DIMS], strides[FRT_CU_MAX_DIMS];
    frt_cu_row_strides(ndim, in_dims, in_strides);
    for (int k = 0; k < ndim; k++) {
        out_dims[k] = in_dims[perm[k]];
        strides[k] = in_strides[perm[k]];
    }
    frt_cu_strided_args_init(a, ndim, out_dims, 0, strides);
}

FRT_CU_HD int64_t frt_cu_strided_src(int64_t i, const frt_cu_strided_args *a) {
    return a->offset + frt_cu_offset(i, a->ndim, a->out_dims, a->strides);
}

/* ---- row copies (one input's share of a Concat) ---------------------------------------------
 * Element i of the rows x cols block: where it is read and where it is written. */

typedef struct frt_cu_rows_args {
    int64_t cols, in_pitch, out_pitch;
} frt_cu_rows_args;

FRT_CU_HD int64_t frt_cu_rows_src(int64_t i, const frt_cu_rows_args *a) {
    return i / a->cols * a->in_pitch + i % a->cols;
}
FRT_CU_HD int64_t frt_cu_rows_dst(int64_t i, const frt_cu_rows_args *a) {
    return i / a->cols * a->out_pitch + i % a->cols;
}

/* ---- GatherV2 ------------------------------------------------------------------------------ */

typedef struct frt_cu_gather_args {
    int64_t outer, n_idx, limit, inner;
    int index_size;                  /* 4: int32 indices, 8: int64 */
} frt_cu_gather_args;

/* The params element output element i copies, or -1 where its index is out of range
 * (the kernel writes zeros there, as TF's GPU kernel). */
FRT_CU_HD int64_t frt_cu_gather_src(int64_t i, const frt_cu_gather_args *a,
                                    const void *indices) {
    int64_t k = i % a->inner, r = i / a->inner;
    int64_t j = r % a->n_idx;
    r /= a->n_idx;
    int64_t o = r % a->outer, b = r / a->outer;
    int64_t pos = b * a->n_idx + j;
    int64_t idx = a->index_size == 4 ? (int64_t)((const int32_t *)indices)[pos]
                                     : ((const int64_t *)indices)[pos];
    if (idx < 0 || idx >= a->limit) return -1;
    return ((b * a->outer + o) * a->limit + idx) * a->inner + k;
}
