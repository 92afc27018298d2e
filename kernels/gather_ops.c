/* kernels/gather_ops.c: GatherV2 (axis, batch_dims), Gather (v1), Tile.
 * Owns: index validation with TF's CPU error text ("indices[0,1] = 5 is not in [0, 3)"),
 * slice copies by memcpy, tiling through frt_array_tile.
 * Does not own: GatherNd, ResourceGather (not here yet).
 * Thread-safety: kernels keep no state. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

static int64_t index_at(const frt_tensor *t, int64_t i) {
    switch (t->dtype) {
    case FRT_DTYPE_INT16: return ((const int16_t *)frt_tensor_data(t))[i];
    case FRT_DTYPE_INT32: return ((const int32_t *)frt_tensor_data(t))[i];
    default: return ((const int64_t *)frt_tensor_data(t))[i];
    }
}

/* "[0,1]": the multi-index of flat element i of shape dims (TF's SliceDebugString). */
static void index_str(const frt_tensor *t, int64_t i, char *buf, size_t n) {
    int64_t idx[FRT_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = t->dims[d] ? i % t->dims[d] : 0;
        i = t->dims[d] ? i / t->dims[d] : 0;
    }
    frt_shape_str(idx, t->ndim, buf, n);
}

typedef struct gather_job {
    const char *params;
    const frt_tensor *indices;
    char *out;
    int64_t outer, n_idx, limit;  /* per batch: outer rows, indices, params.shape[axis] */
    size_t slice;                  /* bytes per gathered slice */
    atomic_bool bad;               /* some index was out of range (found again serially) */
} gather_job;

/* Work items are (batch, outer row, index) triples flattened in output order. */
static int64_t g_batch_n(const gather_job *j) { return j->outer * j->n_idx; }

static void gather_range(void *arg, int64_t lo, int64_t hi) {
    gather_job *j = arg;
    int64_t per_batch = g_batch_n(j);
    for (int64_t w = lo; w < hi; w++) {
        int64_t b = w / per_batch, rem = w % per_batch;
        int64_t o = rem / j->n_idx, i = rem % j->n_idx;
        int64_t flat = b * j->n_idx + i;
        int64_t v = index_at(j->indices, flat);
        if (v < 0 || v >= j->limit) {
            atomic_store(&j->bad, true);
            return;
        }
        memcpy(j->out + (size_t)w * j->slice,
               j->params + ((size_t)((b * j->outer + o) * j->limit + v)) * j->slice, j->slice);
    }
}

static frt_status *gather_impl(frt_kernel_ctx *c, int64_t axis_raw, int64_t bd_raw) {
    const frt_tensor *p = c->inputs[0], *ix = c->inputs[1];
    if (ix->dtype != FRT_DTYPE_INT16 && ix->dtype != FRT_DTYPE_INT32 &&
        ix->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "indices must be int16, int32 or int64, got %s",
                              frt_dtype_name(ix->dtype));
    frt_gather_geom g;
    FRT_TRY(frt_shape_gather(p, ix, axis_raw, bd_raw, &g));
    int64_t batch = g.batch, outer = g.outer, inner = g.inner, n_idx = g.n_idx;

    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, p->dtype, g.dims, g.ndim, &y));
    size_t es = frt_array_elem_size(p->dtype);
    gather_job j = {frt_tensor_data(p), ix, frt_tensor_data(y), outer, n_idx, g.limit,
                    (size_t)inner * es, false};
    int64_t work = batch * outer * n_idx;
    if (work > 0 && inner > 0) {
        if ((size_t)work * j.slice < FRT_ARRAY_PARALLEL_BYTES)
            gather_range(&j, 0, work);
        else
            frt_kernel_parallel_for(c, work, (int64_t)(FRT_ARRAY_PARALLEL_BYTES / j.slice) + 1,
                                    gather_range, &j);
    } else if (work > 0) {
        /* Empty slices: nothing to copy, but indices are still validated. */
        for (int64_t f = 0; f < ix->n; f++) {
            int64_t v = index_at(ix, f);
            if (v < 0 || v >= j.limit) atomic_store(&j.bad, true);
        }
    }
    if (atomic_load(&j.bad)) {
        /* Report the first bad index in index order, as TF's serial check does. */
        int64_t first = 0;
        for (int64_t f = 0; f < ix->n; f++) {
            int64_t v = index_at(ix, f);
            if (v < 0 || v >= j.limit) {
                first = f;
                break;
            }
        }
        if (y->dtype == FRT_DTYPE_STRING) memset(frt_tensor_data(y), 0, (size_t)y->n * es);
        char s[96];
        index_str(ix, first, s, sizeof s);
        return frt_status_new(FRT_INVALID_ARGUMENT, "indices%s = %lld is not in [0, %lld)", s,
                              (long long)index_at(ix, first), (long long)j.limit);
    }
    return frt_array_own_strings(y);
}

static frt_status *gather_v2_compute(frt_kernel_ctx *c) {
    const frt_tensor *at = c->inputs[2];
    FRT_TRY(frt_array_check_index(at, "axis"));
    if (at->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "axis must be scalar, got shape %s",
                              FRT_SHAPE_STR(at));
    int64_t bd;
    FRT_TRY(frt_attr_get_int(c->attrs, "batch_dims", 0, &bd));
    return gather_impl(c, frt_tensor_int_at(at, 0), bd);
}

static frt_status *gather_v1_compute(frt_kernel_ctx *c) { return gather_impl(c, 0, 0); }

static frt_status *tile_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *mt = c->inputs[1];
    FRT_TRY(frt_array_check_index(mt, "multiples"));
    if (mt->ndim != 1 || mt->n != x->ndim)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected multiples argument to be a vector of length %d but got "
                              "length %lld",
                              x->ndim, (long long)(mt->ndim == 1 ? mt->n : -1));
    int64_t mult[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    bool same = true;
    for (int d = 0; d < x->ndim; d++) {
        mult[d] = frt_tensor_int_at(mt, d);
        if (mult[d] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Expected multiples[%d] >= 0, but got %lld",
                                  d, (long long)mult[d]);
        dims[d] = x->dims[d] * mult[d];
        if (mult[d] != 1) same = false;
    }
    if (same) {
        frt_kernel_set_output(c, 0, (frt_tensor *)x);
        return NULL;
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, &y));
    if (y->n == 0) return NULL;
    frt_array_tile(frt_tensor_data(x), frt_tensor_data(y), x->dims, mult, x->ndim,
                   frt_array_elem_size(x->dtype));
    return frt_array_own_strings(y);
}

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"GatherV2", CPU, ANY, gather_v2_compute, NULL, NULL, 1u << 2, "Tparams"},
    {"Gather", CPU, ANY, gather_v1_compute, NULL, NULL, 0, "Tparams"},
    {"Tile", CPU, ANY, tile_compute, NULL, NULL, 1u << 1, NULL},
};

void frt_kernels_register_gather_ops(frt_kernel_registry *r);
void frt_kernels_register_gather_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
