/* kernels/slice_ops.c: StridedSlice (all five masks, TF's ValidateStridedSliceOp rules),
 * Slice, Split, SplitV.
 * Owns: dense-spec construction, index canonicalisation and clamping, the strided gather copy
 * (contiguous inner runs by memcpy, split over the thread pool when large), zero-copy outputs
 * where TF also shares (identity slices; Split/SplitV pieces that are contiguous and aligned).
 * Does not own: Concat (concat_ops.c).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

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

/* ---- StridedSlice ---- */

typedef struct dense_dim {
    int64_t begin, end, stride;
    bool begin_mask, end_mask, shrink;
} dense_dim;

#define NEW_AXIS (-1)
#define SHRINK_AXIS (-2)

static frt_status *strided_slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *bt = c->inputs[1], *et = c->inputs[2],
                     *st = c->inputs[3];
    FRT_TRY(frt_array_check_index(bt, "begin"));
    FRT_TRY(frt_array_check_index(et, "end"));
    FRT_TRY(frt_array_check_index(st, "strides"));
    char s1[96], s2[96], s3[96];
    if (bt->ndim != 1 || et->ndim != 1 || st->ndim != 1 || bt->n != et->n || bt->n != st->n)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected begin, end, and strides to be 1D equal size tensors, "
                              "but got shapes %s, %s, and %s instead.",
                              frt_shape_str(bt->dims, bt->ndim, s1, sizeof s1),
                              frt_shape_str(et->dims, et->ndim, s2, sizeof s2),
                              frt_shape_str(st->dims, st->ndim, s3, sizeof s3));
    if (bt->n >= 32)
        return frt_status_new(FRT_INVALID_ARGUMENT, "StridedSlice spec has %lld entries; at most "
                              "31 allowed", (long long)bt->n);
    int64_t m[5];
    static const char *mask_names[5] = {"begin_mask", "end_mask", "ellipsis_mask",
                                        "new_axis_mask", "shrink_axis_mask"};
    for (int i = 0; i < 5; i++) {
        FRT_TRY(frt_attr_get_int(c->attrs, mask_names[i], 0, &m[i]));
        if (m[i] < INT32_MIN || m[i] > INT32_MAX) /* TF reads them as int32 */
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Attr %s has value %lld out of range for an int32",
                                  mask_names[i], (long long)m[i]);
    }
    uint32_t begin_mask = (uint32_t)m[0], end_mask = (uint32_t)m[1], ellipsis = (uint32_t)m[2],
             new_axis = (uint32_t)m[3], shrink = (uint32_t)m[4];
    if (ellipsis & (ellipsis - 1))
        return frt_status_new(FRT_INVALID_ARGUMENT, "Multiple ellipses in slice spec not allowed");

    int n = (int)bt->n;
    /* No ellipsis: pretend one follows the last entry, covering the remaining dims. */
    int sparse_n = n;
    if (!ellipsis) {
        ellipsis = 1u << n;
        sparse_n = n + 1;
    }
    int ell_pos = 0;
    while (!(ellipsis & (1u << ell_pos))) ell_pos++;
    int new_after = 0;
    for (int i = ell_pos + 1; i < sparse_n; i++)
        if (new_axis & (1u << i)) new_after++;

    int rank = x->ndim;
    dense_dim dd[FRT_MAX_DIMS];
    int gather[64], ngather = 0; /* final shape: dense index, NEW_AXIS or SHRINK_AXIS */
    int full = 0;
    for (int i = 0; i < sparse_n; i++) {
        if (ellipsis & (1u << i)) {
            int next = rank - (sparse_n - i) + 1 + new_after;
            if (next > rank) next = rank;
            for (; full < next; full++) {
                dd[full] = (dense_dim){0, 0, 1, true, true, false};
                gather[ngather++] = full;
            }
        } else if (new_axis & (1u << i)) {
            gather[ngather++] = NEW_AXIS;
        } else {
            if (full == rank)
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "Index out of range using input dim %d; input has only %d "
                                      "dims",
                                      full, rank);
            dd[full] = (dense_dim){frt_tensor_int_at(bt, i), frt_tensor_int_at(et, i),
                                   frt_tensor_int_at(st, i), (begin_mask >> i) & 1,
                                   (end_mask >> i) & 1, (shrink >> i) & 1};
            gather[ngather++] = dd[full].shrink ? SHRINK_AXIS : full;
            full++;
        }
    }
    /* Dims after the last spec entry (only possible with an explicit ellipsis earlier that
     * already covered them, so full == rank here); keep the invariant explicit. */
    for (; full < rank; full++) {
        dd[full] = (dense_dim){0, 0, 1, true, true, false};
        gather[ngather++] = full;
    }

    int64_t size[FRT_MAX_DIMS];
    bool identity = true;
    for (int i = 0; i < rank; i++) {
        dense_dim *d = &dd[i];
        int64_t D = x->dims[i], s = d->stride;
        if (s == 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "strides[%d] must be non-zero", i);
        if (d->shrink && s <= 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "only stride 1 allowed on non-range indexing.");
        if (d->shrink) {
            int64_t b = d->begin < 0 ? D + d->begin : d->begin;
            if (b < 0 || b >= D)
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "slice index %lld of dimension %d out of bounds.",
                                      (long long)b, i);
            d->begin = b;
            d->end = b + 1;
        } else {
            int64_t lo = s > 0 ? 0 : -1, hi = s > 0 ? D : D - 1;
            if (d->begin_mask) {
                d->begin = s > 0 ? lo : hi;
            } else {
                int64_t b = d->begin < 0 ? D + d->begin : d->begin;
                d->begin = b < lo ? lo : b > hi ? hi : b;
            }
            if (d->end_mask) {
                d->end = s > 0 ? hi : lo;
            } else {
                int64_t e = d->end < 0 ? D + d->end : d->end;
                d->end = e < lo ? lo : e > hi ? hi : e;
            }
        }
        int64_t len = d->end - d->begin;
        if (len == 0 || ((len < 0) != (s < 0)))
            size[i] = 0;
        else
            size[i] = len / s + (len % s != 0);
        if (!(d->begin == 0 && s == 1 && size[i] == D)) identity = false;
    }

    int64_t out[FRT_MAX_DIMS];
    int ond = 0;
    for (int k = 0; k < ngather; k++) {
        if (gather[k] == SHRINK_AXIS) continue;
        if (ond == FRT_MAX_DIMS)
            return frt_status_new(FRT_UNIMPLEMENTED, "StridedSlice output rank above %d",
                                  FRT_MAX_DIMS);
        out[ond++] = gather[k] == NEW_AXIS ? 1 : size[gather[k]];
    }
    if (identity) return frt_array_set_view(c, 0, x, out, ond);

    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, out, ond, &y));
    if (y->n == 0) return NULL;
    size_t es = frt_array_elem_size(x->dtype);
    int64_t xs[FRT_MAX_DIMS], step[FRT_MAX_DIMS], off = 0;
    row_strides(x, xs);
    for (int i = 0; i < rank; i++) {
        off += dd[i].begin * xs[i];
        step[i] = dd[i].stride * xs[i];
    }
    strided_copy(c, (const char *)frt_tensor_data(x) + (size_t)off * es, frt_tensor_data(y), rank,
                 size, step, es);
    return frt_array_own_strings(y);
}

/* ---- Slice ---- */

static frt_status *slice_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *bt = c->inputs[1], *zt = c->inputs[2];
    FRT_TRY(frt_array_check_index(bt, "begin"));
    FRT_TRY(frt_array_check_index(zt, "size"));
    char s1[96], s2[96];
    if (bt->ndim != 1 || zt->ndim != 1 || bt->n != x->ndim || zt->n != x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected begin and size arguments to be 1-D tensors of size %d, "
                              "but got shapes %s and %s instead.",
                              x->ndim, frt_shape_str(bt->dims, bt->ndim, s1, sizeof s1),
                              frt_shape_str(zt->dims, zt->ndim, s2, sizeof s2));
    int64_t begin[FRT_MAX_DIMS], size[FRT_MAX_DIMS];
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
