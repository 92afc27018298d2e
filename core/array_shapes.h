/* core/array_shapes.h: output shapes of TensorFlow's data-movement ops (Reshape, Squeeze,
 * ExpandDims) from input dims, attrs and host index tensors, with TF's error texts.
 * Shared by the CPU kernels (kernels/shape_ops.c) and the GPU's (cuda/array_ops.c), which
 * differ only in how they move data.
 * Owns: the shape rules and their checks. Does not own: element moves, views, allocation.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
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
