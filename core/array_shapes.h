/* core/array_shapes.h: output shapes of TensorFlow's data-movement ops (Reshape, Squeeze,
 * ExpandDims, Transpose, ConcatV2, Pad/PadV2/MirrorPad, GatherV2, Slice; the reduction axes)
 * from input dims, attrs and host index tensors, with TF's error texts. Shared by the CPU
 * kernels (kernels/shape_ops.c, transpose.c, concat_ops.c, pad_ops.c, gather_ops.c,
 * slice_ops.c, reduce.c) and the GPU's (cuda/array_ops.c, cuda/reduce_ops.c), which differ
 * only in how they move data.
 * Owns: the shape rules and their checks. Does not own: element moves, views, allocation.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/status.h"
#include "core/tensor.h"

/* INVALID_ARGUMENT "<what> must be int32 or int64, got <dtype>" unless t holds int32 or
 * int64 (index inputs: shapes, axes, paddings). */
FRT_MUST_USE frt_status *frt_shape_check_index(const frt_tensor *t, const char *what);

/* Reshape (TF's reshape_op.h): the output dims for an input of dims in[0..in_ndim) and the
 * requested 1-D host `shape` tensor: one -1 inferred from the nonzero sizes, zero sizes
 * allowed, element counts must match. */
FRT_MUST_USE frt_status *frt_shape_reshape(const int64_t *in, int in_ndim,
                                           const frt_tensor *shape, int64_t *dims, int *ndim);

/* Squeeze: drops the dims the `squeeze_dims` attr names (each must be 1), or every dim of
 * size 1 when it names none. */
FRT_MUST_USE frt_status *frt_shape_squeeze(const int64_t *in, int in_ndim,
                                           const frt_attrs *attrs, int64_t *dims, int *ndim);

/* ExpandDims: inserts a dim of 1 at the position the single-valued host `dim` tensor gives
 * (negative counts from the end of the output). */
FRT_MUST_USE frt_status *frt_shape_expand_dims(const int64_t *in, int in_ndim,
                                               const frt_tensor *dim, int64_t *dims, int *ndim);

/* Transpose: the host `perm` tensor checked against x (TF's texts), the output dims, and the
 * permutation simplified the way both kernels run it: dims of size 1 dropped, dims that stay
 * adjacent and in order merged into groups. */
typedef struct frt_transpose_plan {
    int perm[FRT_MAX_DIMS];        /* the checked perm, x->ndim entries */
    int64_t out[FRT_MAX_DIMS];     /* output dims, x->ndim of them */
    int ng;                        /* merged groups */
    int gperm[FRT_MAX_DIMS];       /* output group g reads input group gperm[g] */
    int64_t in_dims[FRT_MAX_DIMS]; /* group sizes in input order */
    int64_t out_dims[FRT_MAX_DIMS]; /* group sizes in output order */
    bool identity;                 /* the data keeps its order: a view will do */
} frt_transpose_plan;

FRT_MUST_USE frt_status *frt_shape_transpose(const frt_tensor *x, const frt_tensor *perm,
                                             frt_transpose_plan *out);

/* ConcatV2 (and Concat): the host scalar `axis` tensor, the n >= 1 inputs' dtypes, ranks and
 * dims checked with TF's texts; the output dims (rank ins[0]->ndim) and the axis, made
 * non-negative. */
FRT_MUST_USE frt_status *frt_shape_concat(frt_tensor *const *ins, int n, const frt_tensor *axis_t,
                                          int64_t *dims, int *axis);

/* Pad / PadV2: the host `paddings` tensor ([rank, 2], non-negative) read into before and the
 * output dims; *none when every padding is zero. */
FRT_MUST_USE frt_status *frt_shape_pad(const frt_tensor *x, const frt_tensor *paddings,
                                       int64_t *before, int64_t *dims, bool *none);

/* PadV2's constant_values: a scalar of x's dtype. */
FRT_MUST_USE frt_status *frt_shape_pad_value(const frt_tensor *v, frt_dtype x_dtype);

/* MirrorPad: the `mode` attr (REFLECT: *offset 1, SYMMETRIC: 0) and the paddings, each
 * non-negative and within the dim as the mode requires; before and the output dims. */
FRT_MUST_USE frt_status *frt_shape_mirror_pad(const frt_attrs *attrs, const frt_tensor *x,
                                              const frt_tensor *paddings, int64_t *before,
                                              int64_t *dims, int *offset);

/* GatherV2's geometry from params and indices dims, the axis and the batch_dims attr as
 * given (negative ones count from the end), with TF's texts. The output dims, and the
 * [batch, outer, n_idx, limit, inner] shape of the gather. */
typedef struct frt_gather_geom {
    int axis;
    int64_t bd;
    int64_t dims[FRT_MAX_DIMS];
    int ndim;
    int64_t batch, outer, inner, n_idx, limit;
} frt_gather_geom;

FRT_MUST_USE frt_status *frt_shape_gather(const frt_tensor *params, const frt_tensor *indices,
                                          int64_t axis, int64_t batch_dims, frt_gather_geom *g);

/* Slice: the host `begin` and `size` tensors checked against x (size -1: to the end), with
 * TF's texts; begin and size per dim, and *identity when the slice is all of x. */
FRT_MUST_USE frt_status *frt_shape_slice(const frt_tensor *x, const frt_tensor *begin_t,
                                         const frt_tensor *size_tensor, int64_t *begin,
                                         int64_t *size, bool *identity);

/* Reductions (Sum, Mean, Max, ...): the host `reduction_indices` tensor (scalar or vector,
 * negative axes count from the end, no duplicates) into red[0..x->ndim), and the keep_dims
 * attr. */
FRT_MUST_USE frt_status *frt_shape_reduce_axes(const frt_tensor *x, const frt_tensor *axes,
                                               const frt_attrs *attrs, bool *red, bool *keep);

/* BiasAdd's layout and checks (TF's texts): data_format NHWC or NCHW, a 1-D bias, an input
 * of at least 2 dims whose channel dim (the last; dim 1 for NCHW of 3 or more dims: TF treats
 * a 2-D NCHW input like NHWC) has as many elements as the bias. *nchw: the channel is dim 1. */
FRT_MUST_USE frt_status *frt_shape_bias_add(const frt_attrs *attrs, const frt_tensor *x,
                                            const frt_tensor *b, bool *nchw);
