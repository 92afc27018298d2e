/* cuda/array_ops.c: the host side of flowrt's own data-movement GPU kernels — views
 * (Identity, StopGradient, Snapshot, Reshape, Squeeze, ExpandDims: no launch), Transpose,
 * ConcatV2, Pad, PadV2, MirrorPad, Slice, StridedSlice, GatherV2.
 * Owns: their shape logic on the host, with the CPU kernels' checks and TF's messages
 * (kernels/shape_ops.c, transpose.c, concat_ops.c, pad_ops.c, slice_ops.c, gather_ops.c);
 * shape, axis, perm, paddings, begin/end/size/strides and constant values are read from host
 * memory (host_mem bits, TF's HostMemory), everything else stays on the device.
 * Zero-copy outputs where the CPU kernels make them too (identity transposes, slices and
 * pads; a concat with one non-empty input).
 * Where TF's GPU kernels differ from its CPU kernels, these follow the GPU ones: GatherV2
 * writes zeros for an out-of-range index instead of failing.
 * Does not own: the index maps (cuda/kernels/array.cuh), StridedSlice's spec
 * (core/strided_slice.c) and the Reshape/Squeeze/ExpandDims shapes (core/array_shapes.c),
 * both shared with the CPU.
 * Thread-safety: kernels are stateless; they run with the device entered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_shapes.h"
#include "core/strided_slice.h"
#include "cuda/elementwise_impl.h"

static frt_status *check_index(const frt_tensor *t, const char *what) {
    return frt_shape_check_index(t, what);
}

/* Output i = a zero-copy view of base with another shape (same element count). */
static frt_status *set_view(frt_kernel_ctx *c, int i, const frt_tensor *base,
                            const int64_t *dims, int ndim) {
    frt_tensor *v;
    FRT_TRY(frt_tensor_view(base, dims, ndim, &v));
    frt_kernel_set_output(c, i, v);
    frt_tensor_unref(v);
    return NULL;
}

static size_t elem_size(const frt_tensor *t) { return frt_dtype_size(t->dtype); }

/* ---- views ------------------------------------------------------------------------------------ */

static frt_status *passthrough_compute(frt_kernel_ctx *c) {
    frt_kernel_set_output(c, 0, c->inputs[0]);
    return NULL;
}

/* Reshape, Squeeze, ExpandDims: shapes from core/array_shapes.c; the output is a view. */
static frt_status *reshape_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_reshape(x->dims, x->ndim, c->inputs[1], dims, &nd));
    return set_view(c, 0, x, dims, nd);
}

static frt_status *squeeze_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_squeeze(x->dims, x->ndim, c->attrs, dims, &nd));
    return set_view(c, 0, x, dims, nd);
}

static frt_status *expand_dims_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t dims[FRT_MAX_DIMS];
    int nd;
    FRT_TRY(frt_shape_expand_dims(x->dims, x->ndim, c->inputs[1], dims, &nd));
    return set_view(c, 0, x, dims, nd);
}

/* ---- Transpose -------------------------------------------------------------------------------- */

static frt_status *transpose_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *pt = c->inputs[1];
    FRT_TRY(check_index(pt, "perm"));
    int r = x->ndim;
    if (pt->ndim != 1 || pt->n != r)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "transpose expects a vector of size %d. But input(1) is a vector of "
                              "size %lld",
                              r, (long long)pt->n);
    int perm[FRT_MAX_DIMS];
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
    int64_t out[FRT_MAX_DIMS];
    for (int i = 0; i < r; i++) out[i] = x->dims[perm[i]];

    /* Simplify as the CPU kernel does: drop size-1 dims, merge dims that stay adjacent and in
     * order; what is left is the permutation the kernel runs (or none: a view). */
    int keep[FRT_MAX_DIMS], nk = 0, kperm[FRT_MAX_DIMS], np = 0;
    int64_t kdims[FRT_MAX_DIMS];
    for (int d = 0; d < r; d++) {
        keep[d] = -1;
        if (x->dims[d] != 1) {
            keep[d] = nk;
            kdims[nk++] = x->dims[d];
        }
    }
    for (int i = 0; i < r; i++)
        if (keep[perm[i]] >= 0) kperm[np++] = keep[perm[i]];
    /* Groups of consecutive kperm entries q, q+1, in output order. */
    int group_of[FRT_MAX_DIMS], ng = 0;
    int64_t gdims[FRT_MAX_DIMS];
    for (int i = 0; i < np; i++) {
        if (i > 0 && kperm[i] == kperm[i - 1] + 1) {
            group_of[kperm[i]] = ng - 1;
            gdims[ng - 1] *= kdims[kperm[i]];
        } else {
            group_of[kperm[i]] = ng;
            gdims[ng] = kdims[kperm[i]];
            ng++;
        }
    }
    /* Each group's position among the input's dims. */
    int in_rank[FRT_MAX_DIMS], ni = 0;
    for (int g = 0; g < ng; g++) in_rank[g] = -1;
    for (int d = 0; d < nk; d++)
        if (in_rank[group_of[d]] < 0) in_rank[group_of[d]] = ni++;
    int gperm[FRT_MAX_DIMS];
    int64_t in_dims[FRT_MAX_DIMS];
    bool identity = true;
    for (int g = 0; g < ng; g++) {
        gperm[g] = in_rank[g];
        in_dims[in_rank[g]] = gdims[g];
        identity &= gperm[g] == g;
    }
    if (identity) return set_view(c, 0, x, out, r);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, out, r, &y));
    if (y->n == 0) return NULL;
    return frt_cuda_check(frt_cu_transpose(frt_cuda_stream(c), frt_tensor_device_ptr(x),
                                           frt_tensor_device_ptr(y), ng, in_dims, gperm,
                                           elem_size(x)),
                          "frt_cu_transpose");
}

/* ---- ConcatV2 (the axis, last, in host memory) ---------------------------------------------- */

static frt_status *concat_v2_compute(frt_kernel_ctx *c) {
    if (c->n_inputs < 2) return frt_status_new(FRT_INVALID_ARGUMENT, "ConcatV2 needs an axis");
    if (c->inputs[0]->ndim == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "ConcatOp : Can't concatenate scalars (use tf.stack instead)");
    int n = c->n_inputs - 1;
    frt_tensor *const *ins = c->inputs;
    const frt_tensor *axis_t = c->inputs[n];
    FRT_TRY(check_index(axis_t, "axis"));
    if (axis_t->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Concat axis must be a scalar, got shape %s",
                              FRT_SHAPE_STR(axis_t));
    const frt_tensor *x0 = ins[0];
    int rank = x0->ndim;
    int64_t a = frt_tensor_int_at(axis_t, 0);
    if (a < -rank || a >= rank)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "ConcatOp : Expected concatenating dimensions in the range [%d, %d), "
                              "but got %lld",
                              -rank, rank, (long long)a);
    int axis = (int)(a < 0 ? a + rank : a);
    int64_t dims[FRT_MAX_DIMS];
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
    int nonempty = -1, count = 0;
    for (int k = 0; k < n; k++)
        if (ins[k]->n > 0) {
            nonempty = k;
            count++;
        }
    if (count == 1) return set_view(c, 0, ins[nonempty], dims, rank);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x0->dtype, dims, rank, &y));
    if (y->n == 0) return NULL;
    /* Each output row holds every input's run in turn: one row copy per input. */
    int64_t outer = 1, row = y->n;
    for (int d = 0; d < axis; d++) outer *= dims[d];
    row /= outer;
    size_t es = elem_size(x0);
    char *dst = frt_tensor_device_ptr(y);
    for (int k = 0; k < n; k++) {
        int64_t run = ins[k]->n / outer;
        if (run == 0) continue;
        FRT_TRY(frt_cuda_check(frt_cu_copy_rows(frt_cuda_stream(c), frt_tensor_device_ptr(ins[k]),
                                                dst, outer, run, run, row, es),
                               "frt_cu_copy_rows (ConcatV2)"));
        dst += (size_t)run * es;
    }
    return NULL;
}

/* ---- Pad, PadV2, MirrorPad (paddings and constant_values in host memory) ------------------- */

static frt_status *read_paddings(const frt_tensor *x, const frt_tensor *pt, int64_t *before,
                                 int64_t *after) {
    FRT_TRY(check_index(pt, "paddings"));
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

static frt_status *pad_impl(frt_kernel_ctx *c, const void *fill) {
    const frt_tensor *x = c->inputs[0];
    int64_t before[FRT_MAX_DIMS], after[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    FRT_TRY(read_paddings(x, c->inputs[1], before, after));
    bool none = true;
    for (int d = 0; d < x->ndim; d++) {
        if (before[d] < 0 || after[d] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Paddings must be non-negative: %lld %lld",
                                  (long long)before[d], (long long)after[d]);
        dims[d] = before[d] + x->dims[d] + after[d];
        if (before[d] || after[d]) none = false;
    }
    if (none) {
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, &y));
    return frt_cuda_check(frt_cu_pad(frt_cuda_stream(c), frt_tensor_device_ptr(x),
                                     frt_tensor_device_ptr(y), x->ndim, x->dims, before, dims,
                                     elem_size(x), fill),
                          "frt_cu_pad");
}

static frt_status *pad_compute(frt_kernel_ctx *c) { return pad_impl(c, NULL); }

static frt_status *pad_v2_compute(frt_kernel_ctx *c) {
    const frt_tensor *v = c->inputs[2];
    if (v->ndim != 0 && v->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "constant_values must be a scalar. Got: %s",
                              FRT_SHAPE_STR(v));
    if (v->dtype != c->inputs[0]->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT, "constant_values is %s, input is %s",
                              frt_dtype_name(v->dtype), frt_dtype_name(c->inputs[0]->dtype));
    return pad_impl(c, frt_tensor_data(v));
}

static frt_status *mirror_pad_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    const char *mode;
    FRT_TRY(frt_attr_get_str(c->attrs, "mode", "", &mode));
    int offset;
    if (strcmp(mode, "REFLECT") == 0)
        offset = 1;
    else if (strcmp(mode, "SYMMETRIC") == 0)
        offset = 0;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "mode must be REFLECT or SYMMETRIC, got '%s'",
                              mode);
    int64_t before[FRT_MAX_DIMS], after[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    FRT_TRY(read_paddings(x, c->inputs[1], before, after));
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
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, &y));
    if (y->n == 0) return NULL;
    return frt_cuda_check(frt_cu_mirror_pad(frt_cuda_stream(c), frt_tensor_device_ptr(x),
                                            frt_tensor_device_ptr(y), x->ndim, x->dims, before,
                                            dims, elem_size(x), offset),
                          "frt_cu_mirror_pad");
}

/* ---- Slice and StridedSlice: strided gathers (begin, size, end, strides in host memory) ---- */

static frt_status *strided_launch(frt_kernel_ctx *c, const frt_tensor *x, const int64_t *begin,
                                  const int64_t *step, const int64_t *count,
                                  const int64_t *out_dims, int out_ndim) {
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, out_dims, out_ndim, &y));
    if (y->n == 0) return NULL;
    int64_t xs[FRT_MAX_DIMS], strides[FRT_MAX_DIMS], off = 0;
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        xs[d] = s;
        s *= x->dims[d];
    }
    for (int d = 0; d < x->ndim; d++) {
        off += begin[d] * xs[d];
        strides[d] = step[d] * xs[d];
    }
    /* The copy walks the input's dims (count elements each); the output's shape only adds or
     * drops dims of size 1, so the same dense order fills it. */
    return frt_cuda_check(frt_cu_strided_copy(frt_cuda_stream(c), frt_tensor_device_ptr(x),
                                              frt_tensor_device_ptr(y), x->ndim, count, off,
                                              strides, elem_size(x)),
                          "frt_cu_strided_copy");
}

static frt_status *slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *bt = c->inputs[1], *zt = c->inputs[2];
    FRT_TRY(check_index(bt, "begin"));
    FRT_TRY(check_index(zt, "size"));
    char s1[96], s2[96];
    if (bt->ndim != 1 || zt->ndim != 1 || bt->n != x->ndim || zt->n != x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected begin and size arguments to be 1-D tensors of size %d, "
                              "but got shapes %s and %s instead.",
                              x->ndim, frt_shape_str(bt->dims, bt->ndim, s1, sizeof s1),
                              frt_shape_str(zt->dims, zt->ndim, s2, sizeof s2));
    int64_t begin[FRT_MAX_DIMS], size[FRT_MAX_DIMS], step[FRT_MAX_DIMS];
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
        step[i] = 1;
        if (b != 0 || s != D) identity = false;
    }
    if (identity) return set_view(c, 0, x, x->dims, x->ndim);
    return strided_launch(c, x, begin, step, size, size, x->ndim);
}

static frt_status *strided_slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    frt_strided_slice ss;
    FRT_TRY(frt_strided_slice_init(&ss, c->attrs, x->dims, x->ndim, c->inputs[1], c->inputs[2],
                                   c->inputs[3]));
    if (ss.identity) return set_view(c, 0, x, ss.out_dims, ss.out_ndim);
    return strided_launch(c, x, ss.begin, ss.stride, ss.size, ss.out_dims, ss.out_ndim);
}

/* ---- GatherV2 (indices in device memory, the axis in host memory) ------------------------- */

static frt_status *gather_v2_compute(frt_kernel_ctx *c) {
    const frt_tensor *p = c->inputs[0], *ix = c->inputs[1], *at = c->inputs[2];
    FRT_TRY(check_index(at, "axis"));
    if (at->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "axis must be scalar, got shape %s",
                              FRT_SHAPE_STR(at));
    int64_t bd_raw, axis_raw = frt_tensor_int_at(at, 0);
    FRT_TRY(frt_attr_get_int(c->attrs, "batch_dims", 0, &bd_raw));
    if (ix->dtype != FRT_DTYPE_INT32 && ix->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_UNIMPLEMENTED, "GatherV2 on the GPU takes int32 or int64 "
                              "indices, got %s", frt_dtype_name(ix->dtype));
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
    int64_t dims[FRT_MAX_DIMS];
    int k = 0;
    for (int d = 0; d < axis; d++) dims[k++] = p->dims[d];
    for (int d = (int)bd; d < ix->ndim; d++) dims[k++] = ix->dims[d];
    for (int d = axis + 1; d < pr; d++) dims[k++] = p->dims[d];
    int64_t batch = 1, outer = 1, inner = 1, n_idx = 1;
    for (int d = 0; d < bd; d++) batch *= p->dims[d];
    for (int d = (int)bd; d < axis; d++) outer *= p->dims[d];
    for (int d = axis + 1; d < pr; d++) inner *= p->dims[d];
    for (int d = (int)bd; d < ix->ndim; d++) n_idx *= ix->dims[d];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, p->dtype, dims, ond, &y));
    if (y->n == 0) return NULL;
    return frt_cuda_check(frt_cu_gather(frt_cuda_stream(c), frt_tensor_device_ptr(p),
                                        frt_tensor_device_ptr(ix), frt_dtype_size(ix->dtype),
                                        frt_tensor_device_ptr(y), batch, outer, n_idx,
                                        p->dims[axis], inner, elem_size(p)),
                          "frt_cu_gather");
}

/* ---- registration ----------------------------------------------------------------------------- */

#define GPU FRT_DEVICE_CUDA
#define IN1 FRT_HOST_IN(1)
#define ROWS(UNUSED, DT)                                                                   \
    {"Identity", GPU, FRT_DTYPE_##DT, passthrough_compute, NULL, NULL, 0, NULL},           \
    {"StopGradient", GPU, FRT_DTYPE_##DT, passthrough_compute, NULL, NULL, 0, NULL},       \
    {"Snapshot", GPU, FRT_DTYPE_##DT, passthrough_compute, NULL, NULL, 0, NULL},           \
    {"Reshape", GPU, FRT_DTYPE_##DT, reshape_compute, NULL, NULL, IN1, NULL},              \
    {"Squeeze", GPU, FRT_DTYPE_##DT, squeeze_compute, NULL, NULL, 0, NULL},                \
    {"ExpandDims", GPU, FRT_DTYPE_##DT, expand_dims_compute, NULL, NULL, IN1, NULL},       \
    {"Transpose", GPU, FRT_DTYPE_##DT, transpose_compute, NULL, NULL, IN1, NULL},          \
    {"ConcatV2", GPU, FRT_DTYPE_##DT, concat_v2_compute, NULL, NULL, FRT_HOST_LAST_IN, NULL}, \
    {"Pad", GPU, FRT_DTYPE_##DT, pad_compute, NULL, NULL, IN1, NULL},                      \
    {"PadV2", GPU, FRT_DTYPE_##DT, pad_v2_compute, NULL, NULL, IN1 | FRT_HOST_IN(2), NULL}, \
    {"MirrorPad", GPU, FRT_DTYPE_##DT, mirror_pad_compute, NULL, NULL, IN1, NULL},         \
    {"Slice", GPU, FRT_DTYPE_##DT, slice_compute, NULL, NULL, IN1 | FRT_HOST_IN(2), NULL}, \
    {"StridedSlice", GPU, FRT_DTYPE_##DT, strided_slice_compute, NULL, NULL,               \
     IN1 | FRT_HOST_IN(2) | FRT_HOST_IN(3), NULL},                                         \
    {"GatherV2", GPU, FRT_DTYPE_##DT, gather_v2_compute, NULL, NULL, FRT_HOST_IN(2), "Tparams"},

static const frt_kernel_def defs[] = {FRT_CUDA_MOVE_TYPES(ROWS, 0)};

void frt_cuda_register_array_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
