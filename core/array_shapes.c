/* core/array_shapes.c: output shapes of Reshape, Squeeze and ExpandDims with TF's checks
 * and messages (see core/array_shapes.h). Used by kernels/shape_ops.c and cuda/array_ops.c.
 * Thread-safety: pure functions over caller-owned values. */
#include "core/array_shapes.h"

#include <stdbool.h>

frt_status *frt_shape_check_index(const frt_tensor *t, const char *what) {
    if (t->dtype != FRT_DTYPE_INT32 && t->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s must be int32 or int64, got %s", what,
                              frt_dtype_name(t->dtype));
    return NULL;
}

frt_status *frt_shape_reshape(const int64_t *in, int in_ndim, const frt_tensor *s,
                              int64_t *dims, int *ndim) {
    FRT_TRY(frt_shape_check_index(s, "shape"));
    if (s->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "sizes input must be 1-D, not %s",
                              FRT_SHAPE_STR(s));
    if (s->n > FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "reshape to rank %lld; at most %d supported",
                              (long long)s->n, FRT_MAX_DIMS);
    int nd = (int)s->n, unknown = -1;
    int64_t product = 1;
    bool has_zero = false;
    for (int i = 0; i < nd; i++) {
        int64_t d = frt_tensor_int_at(s, i);
        dims[i] = d;
        if (d == -1) {
            if (unknown >= 0)
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "Only one input size may be -1, not both %d and %d",
                                      unknown, i);
            unknown = i;
        } else if (d < 0) {
            return frt_status_new(FRT_INVALID_ARGUMENT, "Size %d must be non-negative, not %lld",
                                  i, (long long)d);
        } else if (d == 0) {
            has_zero = true;
        } else {
            if (product > INT64_MAX / d)
                return frt_status_new(FRT_INVALID_ARGUMENT, "requested shape is too large");
            product *= d;
        }
    }
    if (unknown >= 0) {
        /* Zero-sized input dims are left out of the count when the requested shape has a
         * zero of its own, so the other dims can still be inferred (TF does the same). */
        int64_t in_n = 1;
        bool in_zero = false;
        for (int i = 0; i < in_ndim; i++) {
            if (in[i] > 0 || !has_zero)
                in_n *= in[i];
            else
                in_zero = true;
        }
        int64_t missing = in_n / product;
        if (!in_zero && product * missing != in_n)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Input to reshape is a tensor with %lld values, but the "
                                  "requested shape requires a multiple of %lld",
                                  (long long)in_n, (long long)product);
        dims[unknown] = missing;
    }
    int64_t total = frt_shape_num_elements(dims, nd), x_n = frt_shape_num_elements(in, in_ndim);
    if (total != x_n)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Input to reshape is a tensor with %lld values, but the requested "
                              "shape has %lld",
                              (long long)x_n, (long long)total);
    *ndim = nd;
    return NULL;
}

frt_status *frt_shape_squeeze(const int64_t *in, int in_ndim, const frt_attrs *attrs,
                              int64_t *dims, int *ndim) {
    int64_t sq[FRT_MAX_DIMS * 2];
    int nsq = 0;
    FRT_TRY(frt_attr_get_int_list(attrs, "squeeze_dims", FRT_MAX_DIMS * 2, sq, &nsq));
    bool drop[FRT_MAX_DIMS] = {false};
    for (int k = 0; k < nsq; k++) {
        int64_t d = sq[k];
        if (d < -in_ndim || d >= in_ndim)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Tried to squeeze dim index %lld for tensor with %d dimensions.",
                                  (long long)d, in_ndim);
        if (d < 0) d += in_ndim;
        if (in[d] != 1)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Can not squeeze dim[%lld], expected a dimension of 1, got %lld",
                                  (long long)d, (long long)in[d]);
        drop[d] = true;
    }
    int nd = 0;
    for (int i = 0; i < in_ndim; i++) {
        bool gone = nsq ? drop[i] : in[i] == 1;
        if (!gone) dims[nd++] = in[i];
    }
    *ndim = nd;
    return NULL;
}

frt_status *frt_shape_expand_dims(const int64_t *in, int in_ndim, const frt_tensor *dt,
                                  int64_t *dims, int *ndim) {
    FRT_TRY(frt_shape_check_index(dt, "dim"));
    if (dt->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "'dim' must be a tensor with a single value");
    int64_t d = frt_tensor_int_at(dt, 0);
    if (d < -1 - in_ndim || d > in_ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Tried to expand dim index %lld for tensor with %d dimensions.",
                              (long long)d, in_ndim);
    if (d < 0) d += in_ndim + 1;
    if (in_ndim >= FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "ExpandDims beyond %d dims", FRT_MAX_DIMS);
    int nd = 0;
    for (int i = 0; i <= in_ndim; i++) {
        if (i == d) dims[nd++] = 1;
        if (i < in_ndim) dims[nd++] = in[i];
    }
    *ndim = nd;
    return NULL;
}
