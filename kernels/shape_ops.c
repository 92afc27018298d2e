/* kernels/shape_ops.c: shape kernels: Reshape, Squeeze, ExpandDims (zero-copy views of the
 * input), Shape, ShapeN, Size, Rank, Fill, BroadcastTo, Range.
 * Owns: the CPU side of these ops. Does not own: Reshape/Squeeze/ExpandDims shapes and their
 * TF error texts (core/array_shapes.c, shared with cuda/), slicing (slice_ops.c), tiling
 * helpers (array_impl.h).
 * Thread-safety: kernels keep no state. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/array_shapes.h"
#include "core/kernel.h"
#include "kernels/array_impl.h"

static frt_status *read_shape_vector(const frt_tensor *t, const char *what, int64_t *dims,
                                     int *ndim) {
    FRT_TRY(frt_array_check_index(t, what));
    if (t->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s must be 1-D, not %s", what,
                              FRT_SHAPE_STR(t));
    if (t->n > FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "%s has %lld entries; at most %d dims supported",
                              what, (long long)t->n, FRT_MAX_DIMS);
    for (int64_t i = 0; i < t->n; i++) dims[i] = frt_tensor_int_at(t, i);
    *ndim = (int)t->n;
    return NULL;
}

/* Reshape, Squeeze, ExpandDims: shapes from core/array_shapes.c; the output is a view. */
static frt_status *reshape_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_reshape(x->dims, x->ndim, c->inputs[1], dims, &nd));
    return frt_array_set_view(c, 0, x, dims, nd);
}

static frt_status *squeeze_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_squeeze(x->dims, x->ndim, c->attrs, dims, &nd));
    return frt_array_set_view(c, 0, x, dims, nd);
}

static frt_status *expand_dims_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_expand_dims(x->dims, x->ndim, c->inputs[1], dims, &nd));
    return frt_array_set_view(c, 0, x, dims, nd);
}

static frt_status *out_type(frt_kernel_ctx *c, frt_dtype *dt) {
    FRT_TRY(frt_attr_get_type(c->attrs, "out_type", FRT_DTYPE_INT32, dt));
    if (*dt != FRT_DTYPE_INT32 && *dt != FRT_DTYPE_INT64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "out_type must be int32 or int64, got %s",
                              frt_dtype_name(*dt));
    return NULL;
}

static frt_status *write_ints(frt_tensor *t, int64_t i, int64_t v) {
    if (t->dtype == FRT_DTYPE_INT32) {
        if (v > INT32_MAX)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "value %lld does not fit in int32; use out_type int64",
                                  (long long)v);
        frt_tensor_i32(t)[i] = (int32_t)v;
    } else {
        frt_tensor_i64(t)[i] = v;
    }
    return NULL;
}

/* Shape and ShapeN: output k is the shape of input k. */
static frt_status *shape_compute(frt_kernel_ctx *c) {
    frt_dtype dt;
    FRT_TRY(out_type(c, &dt));
    int n = c->n_outputs < c->n_inputs ? c->n_outputs : c->n_inputs;
    for (int k = 0; k < n; k++) {
        const frt_tensor *x = c->inputs[k];
        frt_tensor *y;
        FRT_TRY(frt_kernel_output(c, k, dt, (int64_t[]){x->ndim}, 1, &y));
        for (int i = 0; i < x->ndim; i++) FRT_TRY(write_ints(y, i, x->dims[i]));
    }
    return NULL;
}

static frt_status *size_compute(frt_kernel_ctx *c) {
    frt_dtype dt;
    FRT_TRY(out_type(c, &dt));
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, dt, NULL, 0, &y));
    return write_ints(y, 0, c->inputs[0]->n);
}

static frt_status *rank_compute(frt_kernel_ctx *c) {
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_INT32, NULL, 0, &y));
    frt_tensor_i32(y)[0] = c->inputs[0]->ndim;
    return NULL;
}

static frt_status *fill_compute(frt_kernel_ctx *c) {
    const frt_tensor *d = c->inputs[0], *v = c->inputs[1];
    FRT_TRY(frt_array_check_index(d, "dims"));
    if (d->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "dims must be a vector, got shape %s",
                              FRT_SHAPE_STR(d));
    if (v->ndim != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "value must be a scalar, got shape %s",
                              FRT_SHAPE_STR(v));
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(read_shape_vector(d, "dims", dims, &nd));
    for (int i = 0; i < nd; i++)
        if (dims[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Dimension %lld must be >= 0",
                                  (long long)dims[i]);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, v->dtype, dims, nd, &y));
    frt_array_fill(frt_tensor_data(y), frt_tensor_data(v), frt_array_elem_size(v->dtype), y->n);
    return frt_array_own_strings(y);
}

/* BroadcastTo: one-way NumPy broadcast; TF's two error texts. */
static frt_status *broadcast_to_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t out[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(read_shape_vector(c->inputs[1], "shape", out, &nd));
    char a[96], b[96];
    if (x->ndim > nd)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Rank of input (%d) must be no greater than rank of output shape "
                              "(%d).",
                              x->ndim, nd);
    for (int i = 0; i < nd; i++)
        if (out[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "shape %s has a negative dimension",
                                  frt_shape_str(out, nd, a, sizeof a));
    int64_t in[FRT_MAX_DIMS], mult[FRT_MAX_DIMS];
    int off = nd - x->ndim;
    bool same = true;
    for (int i = 0; i < nd; i++) {
        in[i] = i < off ? 1 : x->dims[i - off];
        if (in[i] == out[i]) {
            mult[i] = 1;
        } else if (in[i] == 1) {
            mult[i] = out[i];
            same = false;
        } else {
            return frt_status_new(FRT_INVALID_ARGUMENT, "Incompatible shapes: %s vs. %s",
                                  frt_shape_str(x->dims, x->ndim, a, sizeof a),
                                  frt_shape_str(out, nd, b, sizeof b));
        }
    }
    if (same) return frt_array_set_view(c, 0, x, out, nd);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, out, nd, &y));
    if (y->n == 0) return NULL;
    frt_array_tile(frt_tensor_data(x), frt_tensor_data(y), in, mult, nd,
                   frt_array_elem_size(x->dtype));
    return frt_array_own_strings(y);
}

/* Range: TF's size formula and out[i] = start + i * delta (checked against TF 2.21, which
 * multiplies rather than accumulates). */
static frt_status *range_check_scalars(frt_kernel_ctx *c) {
    static const char *names[3] = {"start", "limit", "delta"};
    for (int i = 0; i < 3; i++)
        if (c->inputs[i]->ndim != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s must be a scalar, not shape %s",
                                  names[i], FRT_SHAPE_STR(c->inputs[i]));
    return NULL;
}

#define DEFINE_RANGE(DT, T, IS_INT, FMT, CAST)                                              \
    static frt_status *range_##DT(frt_kernel_ctx *c) {                                      \
        FRT_TRY(range_check_scalars(c));                                                    \
        T start = *(const T *)frt_tensor_data(c->inputs[0]);                                \
        T limit = *(const T *)frt_tensor_data(c->inputs[1]);                                \
        T delta = *(const T *)frt_tensor_data(c->inputs[2]);                                \
        if (delta == 0)                                                                     \
            return frt_status_new(FRT_INVALID_ARGUMENT, "Requires delta != 0: " FMT,        \
                                  (CAST)delta);                                             \
        if (delta > 0 && start > limit)                                                     \
            return frt_status_new(FRT_INVALID_ARGUMENT,                                     \
                                  "Requires start <= limit when delta > 0: " FMT "/" FMT,   \
                                  (CAST)start, (CAST)limit);                                \
        if (delta < 0 && start < limit)                                                     \
            return frt_status_new(FRT_INVALID_ARGUMENT,                                     \
                                  "Requires start >= limit when delta < 0: " FMT "/" FMT,   \
                                  (CAST)start, (CAST)limit);                                \
        int64_t n;                                                                          \
        if (IS_INT) {                                                                       \
            int64_t span = (int64_t)limit - (int64_t)start, step = (int64_t)delta;          \
            if (span < 0) span = -span;                                                     \
            if (step < 0) step = -step;                                                     \
            n = (span + step - 1) / step;                                                   \
        } else {                                                                            \
            double sz = ceil(fabs((double)((limit - start) / delta)));                      \
            if (!(sz < 9.0e18))                                                             \
                return frt_status_new(FRT_INVALID_ARGUMENT, "Range size is too large");    \
            n = (int64_t)sz;                                                                \
        }                                                                                   \
        frt_tensor *y;                                                                      \
        FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_##DT, (int64_t[]){n}, 1, &y));            \
        T *p = frt_tensor_data(y);                                                          \
        for (int64_t i = 0; i < n; i++) p[i] = (T)(start + (T)i * delta);                   \
        return NULL;                                                                        \
    }
DEFINE_RANGE(FLOAT, float, 0, "%g", double)
DEFINE_RANGE(DOUBLE, double, 0, "%g", double)
DEFINE_RANGE(INT32, int32_t, 1, "%lld", long long)
DEFINE_RANGE(INT64, int64_t, 1, "%lld", long long)

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"Reshape", CPU, ANY, reshape_compute, NULL, NULL, 1u << 1, NULL},
    {"Squeeze", CPU, ANY, squeeze_compute, NULL, NULL, 0, NULL},
    {"ExpandDims", CPU, ANY, expand_dims_compute, NULL, NULL, 1u << 1, NULL},
    {"Shape", CPU, ANY, shape_compute, NULL, NULL, 0, NULL},
    {"ShapeN", CPU, ANY, shape_compute, NULL, NULL, 0, NULL},
    {"Size", CPU, ANY, size_compute, NULL, NULL, 0, NULL},
    {"Rank", CPU, ANY, rank_compute, NULL, NULL, 0, NULL},
    {"Fill", CPU, ANY, fill_compute, NULL, NULL, 1u << 0, NULL},
    {"BroadcastTo", CPU, ANY, broadcast_to_compute, NULL, NULL, 1u << 1, NULL},
    {"Range", CPU, FRT_DTYPE_FLOAT, range_FLOAT, NULL, NULL, 7u, "Tidx"},
    {"Range", CPU, FRT_DTYPE_DOUBLE, range_DOUBLE, NULL, NULL, 7u, "Tidx"},
    {"Range", CPU, FRT_DTYPE_INT32, range_INT32, NULL, NULL, 7u, "Tidx"},
    {"Range", CPU, FRT_DTYPE_INT64, range_INT64, NULL, NULL, 7u, "Tidx"},
};

void frt_kernels_register_shape_ops(frt_kernel_registry *r);
void frt_kernels_register_shape_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
