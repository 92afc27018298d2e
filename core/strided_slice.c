/* core/strided_slice.c: TF's StridedSlice spec validation and canonicalisation.
 * Owns: the sparse-to-dense spec (ellipsis expansion, new and shrunk axes), index
 * canonicalisation and clamping, output sizes, TF's messages. Does not own: copying
 * (kernels/slice_ops.c on the CPU, cuda/array_ops.c on the GPU).
 * Thread-safety: pure. */
#include "core/strided_slice.h"

#include <stdio.h>

typedef struct dense_dim {
    int64_t begin, end, stride;
    bool begin_mask, end_mask, shrink;
} dense_dim;

#define NEW_AXIS (-1)
#define SHRINK_AXIS (-2)

static frt_status *check_index(const frt_tensor *t, const char *what) {
    if (t->dtype != FRT_DTYPE_INT32 && t->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s must be int32 or int64, got %s", what,
                              frt_dtype_name(t->dtype));
    return NULL;
}

static dense_dim full_dim(void) {
    dense_dim d = {0, 0, 1, true, true, false};
    return d;
}

frt_status *frt_strided_slice_init(frt_strided_slice *ss, const frt_attrs *attrs,
                                   const int64_t *dims, int rank, const frt_tensor *bt,
                                   const frt_tensor *et, const frt_tensor *st) {
    FRT_TRY(check_index(bt, "begin"));
    FRT_TRY(check_index(et, "end"));
    FRT_TRY(check_index(st, "strides"));
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
        FRT_TRY(frt_attr_get_int(attrs, mask_names[i], 0, &m[i]));
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

    dense_dim dd[FRT_MAX_DIMS];
    int gather[64], ngather = 0; /* final shape: dense index, NEW_AXIS or SHRINK_AXIS */
    int full = 0;
    for (int i = 0; i < sparse_n; i++) {
        if (ellipsis & (1u << i)) {
            int next = rank - (sparse_n - i) + 1 + new_after;
            if (next > rank) next = rank;
            for (; full < next; full++) {
                dd[full] = full_dim();
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
            dense_dim d = {frt_tensor_int_at(bt, i), frt_tensor_int_at(et, i),
                           frt_tensor_int_at(st, i), (begin_mask >> i) & 1,
                           (end_mask >> i) & 1, (shrink >> i) & 1};
            dd[full] = d;
            gather[ngather++] = dd[full].shrink ? SHRINK_AXIS : full;
            full++;
        }
    }
    /* Dims after the last spec entry (only possible with an explicit ellipsis earlier that
     * already covered them, so full == rank here); keep the invariant explicit. */
    for (; full < rank; full++) {
        dd[full] = full_dim();
        gather[ngather++] = full;
    }

    ss->rank = rank;
    ss->identity = true;
    for (int i = 0; i < rank; i++) {
        dense_dim *d = &dd[i];
        int64_t D = dims[i], s = d->stride;
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
            ss->size[i] = 0;
        else
            ss->size[i] = len / s + (len % s != 0);
        ss->begin[i] = d->begin;
        ss->stride[i] = s;
        if (!(d->begin == 0 && s == 1 && ss->size[i] == D)) ss->identity = false;
    }

    ss->out_ndim = 0;
    for (int k = 0; k < ngather; k++) {
        if (gather[k] == SHRINK_AXIS) continue;
        if (ss->out_ndim == FRT_MAX_DIMS)
            return frt_status_new(FRT_UNIMPLEMENTED, "StridedSlice output rank above %d",
                                  FRT_MAX_DIMS);
        ss->out_dims[ss->out_ndim++] = gather[k] == NEW_AXIS ? 1 : ss->size[gather[k]];
    }
    return NULL;
}
