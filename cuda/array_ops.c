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
    const frt_tensor *x = c->inputs[0];
    frt_transpose_plan tp;
    FRT_TRY(frt_shape_transpose(x, c->inputs[1], &tp));
    if (tp.identity) return set_view(c, 0, x, tp.out, x->ndim);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, tp.out, x->ndim, &y));
    if (y->n == 0) return NULL;
    return frt_cuda_check(frt_cu_transpose(frt_cuda_stream(c), frt_tensor_device_ptr(x),
                                           frt_tensor_device_ptr(y), tp.ng, tp.in_dims, tp.gperm,
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
    const frt_tensor *x0 = ins[0];
    int64_t dims[FRT_MAX_DIMS];
    int rank = x0->ndim, axis;
    FRT_TRY(frt_shape_concat(ins, n, c->inputs[n], dims, &axis));
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

static frt_status *pad_impl(frt_kernel_ctx *c, const void *fill) {
    const frt_tensor *x = c->inputs[0];
    int64_t before[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    bool none;
    FRT_TRY(frt_shape_pad(x, c->inputs[1], before, dims, &none));
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
    FRT_TRY(frt_shape_pad_value(v, c->inputs[0]->dtype));
    return pad_impl(c, frt_tensor_data(v));
}

static frt_status *mirror_pad_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t before[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    int offset;
    FRT_TRY(frt_shape_mirror_pad(c->attrs, x, c->inputs[1], before, dims, &offset));
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
    int64_t begin[FRT_MAX_DIMS], size[FRT_MAX_DIMS], step[FRT_MAX_DIMS];
    bool identity;
    FRT_TRY(frt_shape_slice(x, bt, zt, begin, size, &identity));
    for (int i = 0; i < x->ndim; i++) step[i] = 1;
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
    frt_gather_geom g;
    FRT_TRY(frt_shape_gather(p, ix, axis_raw, bd_raw, &g));
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, p->dtype, g.dims, g.ndim, &y));
    if (y->n == 0) return NULL;
    return frt_cuda_check(frt_cu_gather(frt_cuda_stream(c), frt_tensor_device_ptr(p),
                                        frt_tensor_device_ptr(ix), frt_dtype_size(ix->dtype),
                                        frt_tensor_device_ptr(y), g.batch, g.outer, g.n_idx,
                                        g.limit, g.inner, elem_size(p)),
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
