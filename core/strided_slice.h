/* core/strided_slice.h: TensorFlow's StridedSlice spec (ValidateStridedSliceOp): begin, end
 * and strides with the five masks (begin, end, ellipsis, new_axis, shrink_axis) turned into
 * a canonical per-dimension slice of the input (start, step, count) and the output shape,
 * with TF's error texts. Shared by the CPU kernel (kernels/slice_ops.c) and the GPU's
 * (cuda/array_ops.c), which differ only in how they copy.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/status.h"
#include "core/tensor.h"

typedef struct frt_strided_slice {
    int rank;                        /* the input's */
    /* Per input dim: the first index read, the step between reads (non-zero, either sign)
     * and how many are read. */
    int64_t begin[FRT_MAX_DIMS], stride[FRT_MAX_DIMS], size[FRT_MAX_DIMS];
    int out_ndim;                    /* after new axes and shrunk axes */
    int64_t out_dims[FRT_MAX_DIMS];
    bool identity;                   /* every input element is read, in order: the output is
                                        the input reshaped */
} frt_strided_slice;

/* The slice of an input of shape dims[0..rank) that begin, end, strides (1-D int32/int64
 * host tensors of one length) and the mask attrs of `attrs` describe. INVALID_ARGUMENT with
 * TF's messages for bad specs; UNIMPLEMENTED for outputs above FRT_MAX_DIMS dims. */
FRT_MUST_USE frt_status *frt_strided_slice_init(frt_strided_slice *ss, const frt_attrs *attrs,
                                                const int64_t *dims, int rank,
                                                const frt_tensor *begin, const frt_tensor *end,
                                                const frt_tensor *strides);
