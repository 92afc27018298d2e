/* core/batch_norm_attrs.c: FusedBatchNorm's attrs and input checks with TF's texts (see
 * core/batch_norm_attrs.h). Used by kernels/batch_norm.c and cuda/dnn.c.
 * Thread-safety: pure functions over caller-owned values. */
#include "core/batch_norm_attrs.h"

#include <string.h>

static const char *const vec_names[] = {"x", "scale", "offset", "mean", "variance"};

frt_status *frt_bn_attrs_parse(const char *op, const frt_attrs *at, frt_bn_attrs *s) {
    *s = (frt_bn_attrs){0};
    const char *fmt = NULL;
    FRT_TRY(frt_attr_get_float(at, "epsilon", 1e-4f, &s->epsilon));
    FRT_TRY(frt_attr_get_float(at, "exponential_avg_factor", 1.0f, &s->avg_factor));
    FRT_TRY(frt_attr_get_bool(at, "is_training", true, &s->training));
    FRT_TRY(frt_attr_get_str(at, "data_format", "NHWC", &fmt));
    if (strcmp(fmt, "NHWC") == 0 || strcmp(fmt, "NDHWC") == 0) s->channels_first = false;
    else if (strcmp(fmt, "NCHW") == 0 || strcmp(fmt, "NCDHW") == 0) s->channels_first = true;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: unsupported data_format '%s'", op,
                              fmt);
    if (strcmp(op, "FusedBatchNorm") != 0) {
        frt_dtype u;
        FRT_TRY(frt_attr_get_type(at, "U", FRT_DTYPE_FLOAT, &u));
        if (u != FRT_DTYPE_FLOAT)
            return frt_status_new(FRT_UNIMPLEMENTED, "%s: only U=float is implemented, got %s",
                                  op, frt_dtype_name(u));
    }
    return NULL;
}

frt_status *frt_bn_check_inputs(const char *op, const frt_bn_attrs *s,
                                frt_tensor *const *v, int n, int64_t *C_out) {
    if (n != 5)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s expects 5 inputs, got %d", op, n);
    const frt_tensor *x = v[0];
    if (x->ndim != 4 && x->ndim != 5)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input must be 4-dimensional%s",
                              FRT_SHAPE_STR(x));
    for (int i = 0; i < 5; i++)
        if (v[i]->dtype != FRT_DTYPE_FLOAT)
            return frt_status_new(FRT_UNIMPLEMENTED, "%s: %s has dtype %s; only float32 is "
                                                     "implemented",
                                  op, vec_names[i], frt_dtype_name(v[i]->dtype));
    int64_t C = x->dims[s->channels_first ? 1 : x->ndim - 1];
    for (int i = 1; i < 5; i++) {
        /* Training graphs may feed empty running mean/variance. */
        if (s->training && i >= 3 && v[i]->n == 0 && v[i]->ndim == 1) continue;
        if (v[i]->ndim != 1 || v[i]->dims[0] != C)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "%s must be a vector of %lld elements (the channels of x %s), "
                                  "got %s",
                                  vec_names[i], (long long)C, FRT_SHAPE_STR(x),
                                  FRT_SHAPE_STR(v[i]));
    }
    *C_out = C;
    return NULL;
}
