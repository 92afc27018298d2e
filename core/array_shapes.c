/* core/array_shapes.c: output shapes of Reshape, Squeeze, ExpandDims, Transpose, ConcatV2,
 * the Pads, GatherV2 and Slice, and reduction axes, with TF's checks and messages (see
 * core/array_shapes.h). Used by kernels/ (shape_ops, transpose, concat_ops, pad_ops,
 * gather_ops, slice_ops, reduce) and cuda/ (array_ops, reduce_ops).
 * Thread-safety: pure functions over caller-owned values. */
#include "core/array_shapes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

frt_status *frt_shape_transpose(const frt_tensor *x, const frt_tensor *pt,
                                frt_transpose_plan *tp) {
    FRT_TRY(frt_shape_check_index(pt, "perm"));
    int r = x->ndim;
    if (pt->ndim != 1 || pt->n != r)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "transpose expects a vector of size %d. But input(1) is a vector of "
                              "size %lld",
                              r, (long long)pt->n);
    int *perm = tp->perm;
    bool seen[FRT_MAX_DIMS] = {false};
    for (int i = 0; i < r; i++) {
        int64_t p = frt_tensor_int_at(pt, i);
        if (p < 0 || p >= r)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%lld is out of range [0 .. %d)",
                                  (long long)p, r);
        perm[i] = (int)p;
        seen[p] = true;
    }
    for (int i = 0; i < r; i++)
        if (!seen[i]) {
            char list[FRT_MAX_DIMS * 4 + 4];
            size_t k = 0;
            for (int q = 0; q < r; q++)
                k += (size_t)snprintf(list + k, sizeof list - k, q ? ",%d" : "%d", perm[q]);
            return frt_status_new(FRT_INVALID_ARGUMENT, "%d is missing from {%s}.", i, list);
        }
    for (int i = 0; i < r; i++) tp->out[i] = x->dims[perm[i]];

    /* Simplify: keep dims of size > 1, renumber them, then merge runs p, p+1 in perm. */
    int keep_map[FRT_MAX_DIMS], nk = 0;
    int64_t kdims[FRT_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        keep_map[d] = -1;
        if (x->dims[d] != 1) {
            keep_map[d] = nk;
            kdims[nk++] = x->dims[d];
        }
    }
    int kperm[FRT_MAX_DIMS], np = 0;
    for (int i = 0; i < r; i++)
        if (keep_map[perm[i]] >= 0) kperm[np++] = keep_map[perm[i]];
    /* Groups: consecutive kperm entries q, q+1 form one merged input dim. */
    int group_of[FRT_MAX_DIMS], ng = 0;
    for (int i = 0; i < np; i++) {
        if (i > 0 && kperm[i] == kperm[i - 1] + 1) {
            group_of[kperm[i]] = ng - 1;
            tp->out_dims[ng - 1] *= kdims[kperm[i]];
        } else {
            group_of[kperm[i]] = ng;
            tp->out_dims[ng] = kdims[kperm[i]];
            ng++;
        }
    }
    /* Input order of groups: walk input dims, number groups by first appearance. */
    int in_rank_of_group[FRT_MAX_DIMS], ni = 0;
    for (int g = 0; g < ng; g++) in_rank_of_group[g] = -1;
    for (int d = 0; d < nk; d++) {
        int g = group_of[d];
        if (in_rank_of_group[g] < 0) in_rank_of_group[g] = ni++;
    }
    tp->ng = ng;
    tp->identity = true;
    for (int g = 0; g < ng; g++) {
        tp->gperm[g] = in_rank_of_group[g];
        tp->in_dims[in_rank_of_group[g]] = tp->out_dims[g];
        tp->identity &= tp->gperm[g] == g;
    }
    return NULL;
}

frt_status *frt_shape_concat(frt_tensor *const *ins, int n, const frt_tensor *axis_t,
                             int64_t *dims, int *axis_out) {
    FRT_TRY(frt_shape_check_index(axis_t, "axis"));
    if (axis_t->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Concat axis must be a scalar, got shape %s",
                              FRT_SHAPE_STR(axis_t));
    if (n < 1) return frt_status_new(FRT_INVALID_ARGUMENT, "ConcatOp : no inputs");
    const frt_tensor *x0 = ins[0];
    int rank = x0->ndim;
    int64_t a = frt_tensor_int_at(axis_t, 0);
    if (a < -rank || a >= rank)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "ConcatOp : Expected concatenating dimensions in the range [%d, %d), "
                              "but got %lld",
                              -rank, rank, (long long)a);
    int axis = (int)(a < 0 ? a + rank : a);
    memcpy(dims, x0->dims, sizeof(int64_t) * (size_t)rank);
    dims[axis] = 0;
    char s1[96], s2[96];
    for (int k = 0; k < n; k++) {
        const frt_tensor *x = ins[k];
        if (x->dtype != x0->dtype)
            return frt_status_new(FRT_INVALID_ARGUMENT, "ConcatOp : input %d is %s, input 0 is %s",
                                  k, frt_dtype_name(x->dtype), frt_dtype_name(x0->dtype));
        if (x->ndim != rank)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "ConcatOp : Ranks of all input tensors should match: shape[0] = "
                                  "%s vs. shape[%d] = %s",
                                  frt_shape_str(x0->dims, rank, s1, sizeof s1), k,
                                  frt_shape_str(x->dims, x->ndim, s2, sizeof s2));
        for (int d = 0; d < rank; d++)
            if (d != axis && x->dims[d] != x0->dims[d])
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "ConcatOp : Dimension %d in both shapes must be equal: "
                                      "shape[0] = %s vs. shape[%d] = %s",
                                      d, frt_shape_str(x0->dims, rank, s1, sizeof s1), k,
                                      frt_shape_str(x->dims, rank, s2, sizeof s2));
        dims[axis] += x->dims[axis];
    }
    *axis_out = axis;
    return NULL;
}

/* Reads paddings [rank, 2] into before/after; TF's messages for shape. */
static frt_status *read_paddings(const frt_tensor *x, const frt_tensor *pt, int64_t *before,
                                 int64_t *after) {
    FRT_TRY(frt_shape_check_index(pt, "paddings"));
    char s1[96], s2[96];
    if (pt->ndim != 2 || pt->dims[1] != 2)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "paddings must be a matrix with 2 columns: %s",
                              frt_shape_str(pt->dims, pt->ndim, s1, sizeof s1));
    if (pt->dims[0] != x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "The first dimension of paddings must be the rank of inputs%s %s",
                              frt_shape_str(pt->dims, pt->ndim, s1, sizeof s1),
                              frt_shape_str(x->dims, x->ndim, s2, sizeof s2));
    for (int d = 0; d < x->ndim; d++) {
        before[d] = frt_tensor_int_at(pt, 2 * d);
        after[d] = frt_tensor_int_at(pt, 2 * d + 1);
    }
    return NULL;
}

frt_status *frt_shape_pad(const frt_tensor *x, const frt_tensor *pt, int64_t *before,
                          int64_t *dims, bool *none_out) {
    int64_t after[FRT_MAX_DIMS];
    FRT_TRY(read_paddings(x, pt, before, after));
    bool none = true;
    for (int d = 0; d < x->ndim; d++) {
        if (before[d] < 0 || after[d] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Paddings must be non-negative: %lld %lld",
                                  (long long)before[d], (long long)after[d]);
        dims[d] = before[d] + x->dims[d] + after[d];
        if (before[d] || after[d]) none = false;
    }
    *none_out = none;
    return NULL;
}

frt_status *frt_shape_pad_value(const frt_tensor *v, frt_dtype x_dtype) {
    if (v->ndim != 0 && v->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "constant_values must be a scalar. Got: %s",
                              FRT_SHAPE_STR(v));
    if (v->dtype != x_dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT, "constant_values is %s, input is %s",
                              frt_dtype_name(v->dtype), frt_dtype_name(x_dtype));
    return NULL;
}

frt_status *frt_shape_mirror_pad(const frt_attrs *attrs, const frt_tensor *x,
                                 const frt_tensor *pt, int64_t *before, int64_t *dims,
                                 int *offset_out) {
    const char *mode;
    FRT_TRY(frt_attr_get_str(attrs, "mode", "", &mode));
    int offset;
    if (strcmp(mode, "REFLECT") == 0)
        offset = 1;
    else if (strcmp(mode, "SYMMETRIC") == 0)
        offset = 0;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "mode must be REFLECT or SYMMETRIC, got '%s'",
                              mode);
    int64_t after[FRT_MAX_DIMS];
    FRT_TRY(read_paddings(x, pt, before, after));
    for (int d = 0; d < x->ndim; d++) {
        int64_t D = x->dims[d];
        if (before[d] < 0 || after[d] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "paddings must be non-negative: %lld %lld",
                                  (long long)before[d], (long long)after[d]);
        if (offset == 0 && (before[d] > D || after[d] > D))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "paddings must be no greater than the dimension size: %lld, "
                                  "%lld greater than %lld",
                                  (long long)before[d], (long long)after[d], (long long)D);
        if (offset == 1 && (before[d] >= D || after[d] >= D))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "paddings must be less than the dimension size: %lld, %lld not "
                                  "less than %lld",
                                  (long long)before[d], (long long)after[d], (long long)D);
        dims[d] = before[d] + D + after[d];
    }
    *offset_out = offset;
    return NULL;
}

frt_status *frt_shape_gather(const frt_tensor *p, const frt_tensor *ix, int64_t axis_raw,
                             int64_t bd_raw, frt_gather_geom *g) {
    int pr = p->ndim;
    if (axis_raw < -pr || axis_raw >= pr)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected axis in the range [%d, %d), but got %lld", -pr, pr,
                              (long long)axis_raw);
    int axis = (int)(axis_raw < 0 ? axis_raw + pr : axis_raw);
    int64_t bd = bd_raw;
    if (bd < 0) bd += ix->ndim;
    if (bd < 0 || bd > ix->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected batch_dims in the range [%d, %d], but got %lld",
                              -ix->ndim, ix->ndim, (long long)bd_raw);
    if (bd > axis)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "batch_dims (%lld) must be less than or equal to axis (%d).",
                              (long long)bd, axis);
    for (int d = 0; d < bd; d++)
        if (p->dims[d] != ix->dims[d])
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "params.shape[%d]: %lld should be equal to indices.shape[%d]: "
                                  "%lld",
                                  d, (long long)p->dims[d], d, (long long)ix->dims[d]);
    int ond = pr - 1 + ix->ndim - (int)bd;
    if (ond > FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "Gather output rank %d above %d", ond,
                              FRT_MAX_DIMS);
    int k = 0;
    for (int d = 0; d < axis; d++) g->dims[k++] = p->dims[d];
    for (int d = (int)bd; d < ix->ndim; d++) g->dims[k++] = ix->dims[d];
    for (int d = axis + 1; d < pr; d++) g->dims[k++] = p->dims[d];
    g->axis = axis;
    g->bd = bd;
    g->ndim = ond;
    g->batch = g->outer = g->inner = g->n_idx = 1;
    for (int d = 0; d < bd; d++) g->batch *= p->dims[d];
    for (int d = (int)bd; d < axis; d++) g->outer *= p->dims[d];
    for (int d = axis + 1; d < pr; d++) g->inner *= p->dims[d];
    for (int d = (int)bd; d < ix->ndim; d++) g->n_idx *= ix->dims[d];
    g->limit = p->dims[axis];
    return NULL;
}

frt_status *frt_shape_slice(const frt_tensor *x, const frt_tensor *bt, const frt_tensor *zt,
                            int64_t *begin, int64_t *size, bool *identity_out) {
    FRT_TRY(frt_shape_check_index(bt, "begin"));
    FRT_TRY(frt_shape_check_index(zt, "size"));
    char s1[96], s2[96];
    if (bt->ndim != 1 || zt->ndim != 1 || bt->n != x->ndim || zt->n != x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected begin and size arguments to be 1-D tensors of size %d, "
                              "but got shapes %s and %s instead.",
                              x->ndim, frt_shape_str(bt->dims, bt->ndim, s1, sizeof s1),
                              frt_shape_str(zt->dims, zt->ndim, s2, sizeof s2));
    bool identity = true;
    for (int i = 0; i < x->ndim; i++) {
        int64_t D = x->dims[i], b = frt_tensor_int_at(bt, i), s = frt_tensor_int_at(zt, i);
        if (b < 0 || b > D)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Expected begin[%d] in [0, %lld], but got "
                                  "%lld", i, (long long)D, (long long)b);
        if (s == -1) s = D - b;
        if (s < 0 || b + s > D)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Expected size[%d] in [0, %lld], but got "
                                  "%lld", i, (long long)(D - b), (long long)s);
        begin[i] = b;
        size[i] = s;
        if (b != 0 || s != D) identity = false;
    }
    *identity_out = identity;
    return NULL;
}

frt_status *frt_shape_reduce_axes(const frt_tensor *x, const frt_tensor *at,
                                  const frt_attrs *attrs, bool *red, bool *keep) {
    FRT_TRY(frt_shape_check_index(at, "reduction_indices"));
    if (at->ndim > 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "reduction_indices must be a scalar or vector, got shape %s",
                              FRT_SHAPE_STR(at));
    FRT_TRY(frt_attr_get_bool(attrs, "keep_dims", false, keep));
    for (int d = 0; d < x->ndim; d++) red[d] = false;
    for (int64_t i = 0; i < at->n; i++) {
        int64_t a = frt_tensor_int_at(at, i);
        if (a < -x->ndim || a >= x->ndim)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Invalid reduction dimension (%lld for input with %d "
                                  "dimension(s)",
                                  (long long)a, x->ndim);
        if (a < 0) a += x->ndim;
        if (red[a])
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Invalid reduction arguments: Axes contains duplicate "
                                  "dimension: %lld",
                                  (long long)a);
        red[a] = true;
    }
    return NULL;
}

frt_status *frt_shape_bias_add(const frt_attrs *attrs, const frt_tensor *x, const frt_tensor *b,
                               bool *nchw) {
    const char *fmt = "NHWC";
    FRT_TRY(frt_attr_get_str(attrs, "data_format", "NHWC", &fmt));
    if (strcmp(fmt, "NHWC") == 0) *nchw = false;
    else if (strcmp(fmt, "NCHW") == 0) *nchw = true;
    else return frt_status_new(FRT_INVALID_ARGUMENT, "Invalid data format: %s", fmt);
    if (b->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Biases must be 1D: %s", FRT_SHAPE_STR(b));
    if (x->ndim < 2)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Input tensor must be at least 2D: %s",
                              FRT_SHAPE_STR(x));
    *nchw = *nchw && x->ndim >= 3; /* TF treats a 2-D NCHW input like NHWC */
    int cdim = *nchw ? 1 : x->ndim - 1;
    if (x->dims[cdim] != b->dims[0])
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Must provide as many biases as the last dimension of the input "
                              "tensor: %s vs. %s",
                              FRT_SHAPE_STR(b), FRT_SHAPE_STR(x));
    return NULL;
}
