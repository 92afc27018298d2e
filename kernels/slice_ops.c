/* kernels/slice_ops.c: StridedSlice (all five masks, TF's ValidateStridedSliceOp rules),
 * Slice, Split, SplitV.
 * Owns: Slice's and Split's checks, the strided gather copy (contiguous inner runs by
 * memcpy, split over the thread pool when large), zero-copy outputs where TF also shares
 * (identity slices; Split/SplitV pieces that are contiguous and aligned).
 * Does not own: StridedSlice's spec and its checks (core/strided_slice.c, shared with the
 * GPU kernel), Concat (concat_ops.c).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"
#include "core/strided_slice.h"

/* ---- strided gather: dst (dense, row-major) <- src walked by count[]/step[] ---- */

typedef struct scopy {
    const char *src;
    char *dst;
    int nd;
    int64_t count[FRT_MAX_DIMS];
    int64_t step[FRT_MAX_DIMS]; /* bytes */
    size_t es;
    bool contig;                /* innermost step == es: rows are memcpy runs */
} scopy;

static void copy_elems(char *d, const char *s, int64_t n, int64_t step, size_t es) {
    switch (es) {
    case 4:
        for (int64_t i = 0; i < n; i++) memcpy(d + i * 4, s + i * step, 4);
        break;
    case 8:
        for (int64_t i = 0; i < n; i++) memcpy(d + i * 8, s + i * step, 8);
        break;
    default:
        for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * es, s + i * step, es);
        break;
    }
}

static void scopy_rows(void *arg, int64_t lo, int64_t hi) {
    const scopy *p = arg;
    int outer = p->nd - 1;
    int64_t idx[FRT_MAX_DIMS] = {0}, r = lo, off = 0;
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = r % p->count[d];
        r /= p->count[d];
        off += idx[d] * p->step[d];
    }
    int64_t inner = p->count[outer];
    size_t row_bytes = (size_t)inner * p->es;
    for (int64_t row = lo; row < hi; row++) {
        char *d = p->dst + (size_t)row * row_bytes;
        if (p->contig)
            memcpy(d, p->src + off, row_bytes);
        else
            copy_elems(d, p->src + off, inner, p->step[outer], p->es);
        for (int k = outer - 1; k >= 0; k--) {
            off += p->step[k];
            if (++idx[k] < p->count[k]) break;
            off -= idx[k] * p->step[k];
            idx[k] = 0;
        }
    }
}

/* Copies the region starting at src with per-dim counts and element steps into dst. */
static void strided_copy(frt_kernel_ctx *c, const char *src, char *dst, int nd,
                         const int64_t *count, const int64_t *step_elems, size_t es) {
    scopy p = {.src = src, .dst = dst, .es = es};
    int64_t total = 1;
    for (int d = 0; d < nd; d++) {
        total *= count[d];
        if (count[d] == 1) continue; /* size-1 dims do not move the source */
        if (p.nd > 0 && p.step[p.nd - 1] == count[d] * step_elems[d] * (int64_t)es) {
            p.count[p.nd - 1] *= count[d];
            p.step[p.nd - 1] = step_elems[d] * (int64_t)es;
            continue;
        }
        p.count[p.nd] = count[d];
        p.step[p.nd] = step_elems[d] * (int64_t)es;
        p.nd++;
    }
    if (total == 0) return;
    if (p.nd == 0) {
        p.nd = 1;
        p.count[0] = 1;
        p.step[0] = (int64_t)es;
    }
    p.contig = p.step[p.nd - 1] == (int64_t)es;
    int64_t rows = total / p.count[p.nd - 1];
    int64_t row_bytes = p.count[p.nd - 1] * (int64_t)es;
    int64_t grain = FRT_ARRAY_PARALLEL_BYTES / (row_bytes > 0 ? row_bytes : 1) + 1;
    if ((int64_t)es * total < FRT_ARRAY_PARALLEL_BYTES)
        scopy_rows(&p, 0, rows);
    else
        frt_kernel_parallel_for(c, rows, grain, scopy_rows, &p);
}

static void row_strides(const frt_tensor *x, int64_t *st) {
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        st[d] = s;
        s *= x->dims[d];
    }
}

/* ---- StridedSlice: the spec is core/strided_slice.c's, shared with the GPU kernel ---- */

static frt_status *strided_slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    frt_strided_slice ss;
    FRT_TRY(frt_strided_slice_init(&ss, c->attrs, x->dims, x->ndim, c->inputs[1], c->inputs[2],
                                   c->inputs[3]));
    if (ss.identity) return frt_array_set_view(c, 0, x, ss.out_dims, ss.out_ndim);

    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, ss.out_dims, ss.out_ndim, &y));
    if (y->n == 0) return NULL;
    size_t es = frt_array_elem_size(x->dtype);
    int64_t xs[FRT_MAX_DIMS], step[FRT_MAX_DIMS], off = 0;
    row_strides(x, xs);
    for (int i = 0; i < x->ndim; i++) {
        off += ss.begin[i] * xs[i];
        step[i] = ss.stride[i] * xs[i];
    }
    strided_copy(c, (const char *)frt_tensor_data(x) + (size_t)off * es, frt_tensor_data(y),
                 x->ndim, ss.size, step, es);
    return frt_array_own_strings(y);
}

/* ---- Slice ---- */

static frt_status *slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *bt = c->inputs[1], *zt = c->inputs[2];
    int64_t begin[FRT_MAX_DIMS], size[FRT_MAX_DIMS];
    bool identity;
    FRT_TRY(frt_shape_slice(x, bt, zt, begin, size, &identity));
    if (identity) return frt_array_set_view(c, 0, x, x->dims, x->ndim);
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, size, x->ndim, &y));
    if (y->n == 0) return NULL;
    size_t es = frt_array_elem_size(x->dtype);
    int64_t xs[FRT_MAX_DIMS], off = 0;
    row_strides(x, xs);
    for (int i = 0; i < x->ndim; i++) off += begin[i] * xs[i];
    strided_copy(c, (const char *)frt_tensor_data(x) + (size_t)off * es, frt_tensor_data(y),
                 x->ndim, size, xs, es);
    return frt_array_own_strings(y);
}

/* ---- Split / SplitV ---- */

static frt_status *split_axis(const frt_tensor *dimt, const frt_tensor *x, int *axis) {
    FRT_TRY(frt_array_check_index(dimt, "split_dim"));
    if (dimt->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "split_dim must be a scalar, got shape %s",
                              FRT_SHAPE_STR(dimt));
    int64_t a = frt_tensor_int_at(dimt, 0);
    if (a < -x->ndim || a >= x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "-input rank(-%d) <= split_dim < input rank (%d), but got %lld",
                              x->ndim, x->ndim, (long long)a);
    *axis = (int)(a < 0 ? a + x->ndim : a);
    return NULL;
}

/* Writes the pieces of x along axis with the given sizes to outputs 0..n-1. A piece that is
 * one contiguous, 64-byte-aligned run of x (nothing before axis but size-1 dims) becomes a
 * view of x's buffer, as TF's split does for aligned slices. */
static frt_status *split_pieces(frt_kernel_ctx *c, const frt_tensor *x, int axis,
                                const int64_t *sizes, int n) {
    if (n == 1) {
        frt_kernel_set_output(c, 0, (frt_tensor *)x);
        return NULL;
    }
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < x->ndim; d++) inner *= x->dims[d];
    size_t es = frt_array_elem_size(x->dtype);
    int64_t D = x->dims[axis], start = 0;
    int64_t dims[FRT_MAX_DIMS];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->ndim);
    for (int k = 0; k < n; k++) {
        dims[axis] = sizes[k];
        size_t off_bytes = (size_t)(start * inner) * es;
        const char *base = frt_tensor_data(x);
        if (outer == 1 && x->dtype != FRT_DTYPE_STRING && sizes[k] * inner > 0 &&
            ((uintptr_t)(base + off_bytes) % 64) == 0) {
            frt_tensor *v;
            FRT_TRY(frt_tensor_view(x, x->dims, x->ndim, &v));
            memcpy(v->dims, dims, sizeof(int64_t) * (size_t)x->ndim);
            v->n = sizes[k] * inner;
            v->offset += off_bytes;
            frt_kernel_set_output(c, k, v);
            frt_tensor_unref(v);
        } else {
            frt_tensor *y;
            FRT_TRY(frt_kernel_output(c, k, x->dtype, dims, x->ndim, &y));
            if (y->n) {
                int64_t cnt[2] = {outer, sizes[k] * inner}, step[2] = {D * inner, 1};
                strided_copy(c, base + off_bytes, frt_tensor_data(y), 2, cnt, step, es);
                FRT_TRY(frt_array_own_strings(y));
            }
        }
        start += sizes[k];
    }
    return NULL;
}

static frt_status *split_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[1];
    int axis = 0;
    FRT_TRY(split_axis(c->inputs[0], x, &axis));
    int64_t num;
    FRT_TRY(frt_attr_get_int(c->attrs, "num_split", c->n_outputs, &num));
    if (num != c->n_outputs || num < 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "num_split %lld does not match %d outputs",
                              (long long)num, c->n_outputs);
    int64_t D = x->dims[axis];
    if (D % num != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Number of ways to split should evenly divide the split dimension, "
                              "but got split_dim %d (size = %lld) and num_split %lld",
                              axis, (long long)D, (long long)num);
    int64_t *sizes = frt_malloc(sizeof(int64_t) * (size_t)num);
    if (!sizes) return frt_status_oom("splitting a tensor %lld ways", (long long)num);
    for (int64_t k = 0; k < num; k++) sizes[k] = D / num;
    frt_status *st = split_pieces(c, x, axis, sizes, (int)num);
    free(sizes);
    return st;
}

static frt_status *split_v_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *ss = c->inputs[1];
    int axis = 0;
    FRT_TRY(split_axis(c->inputs[2], x, &axis));
    if (ss->dtype != FRT_DTYPE_INT32 && ss->dtype != FRT_DTYPE_INT64 &&
        ss->dtype != FRT_DTYPE_INT8)
        return frt_status_new(FRT_INVALID_ARGUMENT, "size_splits must be int8, int32 or int64");
    if (ss->ndim != 1 || ss->n != c->n_outputs)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Length of size_splits should be equal to the value of num_split.");
    int n = c->n_outputs;
    int64_t *sizes = frt_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    if (!sizes) return frt_status_oom("splitting a tensor %d ways", n);
    int64_t D = x->dims[axis], known = 0;
    int neg = -1;
    frt_status *st = NULL;
    for (int k = 0; k < n && !st; k++) {
        sizes[k] = ss->dtype == FRT_DTYPE_INT8 ? ((const int8_t *)frt_tensor_data(ss))[k]
                                               : frt_tensor_int_at(ss, k);
        if (sizes[k] == -1) {
            if (neg >= 0)
                st = frt_status_new(FRT_INVALID_ARGUMENT, "There can only be one -1 in the input.");
            neg = k;
        } else {
            known += sizes[k];
        }
    }
    if (!st && !((neg < 0 && known == D) || (neg >= 0 && known <= D)))
        st = frt_status_new(FRT_INVALID_ARGUMENT,
                            "Determined shape must either match input shape along split_dim "
                            "exactly if fully specified, or be less than the size of the input "
                            "along split_dim if not fully specified.  Got: %lld",
                            (long long)known);
    if (!st && neg >= 0) sizes[neg] = D - known;
    for (int k = 0; k < n && !st; k++)
        if (sizes[k] < 0)
            st = frt_status_new(FRT_INVALID_ARGUMENT, "Split size at index %d must be >= 0. Got: "
                                "%lld", k, (long long)sizes[k]);
    if (!st) st = split_pieces(c, x, axis, sizes, n);
    free(sizes);
    return st;
}

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"StridedSlice", CPU, ANY, strided_slice_compute, NULL, NULL, 0xEu, NULL},
    {"Slice", CPU, ANY, slice_compute, NULL, NULL, 0x6u, NULL},
    {"Split", CPU, ANY, split_compute, NULL, NULL, 0x1u, NULL},
    {"SplitV", CPU, ANY, split_v_compute, NULL, NULL, 0x6u, NULL},
};

void frt_kernels_register_slice_ops(frt_kernel_registry *r);
void frt_kernels_register_slice_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
