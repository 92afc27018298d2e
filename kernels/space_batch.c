/* kernels/space_batch.c: SpaceToBatchND and BatchToSpaceND (TF1's dilated-conv plumbing).
 * Owns: block_shape/paddings/crops validation with TF's messages and one shared walk over
 * the batch-major side: big-batch index bb = (block offset index) * B + n, spatial
 * y_i of the big side <-> y_i * block_i + offset_i - pad_i of the small side.
 * Does not own: the convolution in between (conv.c).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

typedef struct sb_job {
    bool to_batch;          /* true: SpaceToBatch (fill big side), false: BatchToSpace */
    int M;
    int64_t Bs;             /* small-side batch */
    int64_t block[FRT_MAX_DIMS], pad[FRT_MAX_DIMS];
    int64_t big_sp[FRT_MAX_DIMS], small_sp[FRT_MAX_DIMS];
    int64_t n_pos;          /* positions per big batch: prod big_sp */
    size_t rest;            /* bytes per spatial position */
    char *big;
    char *small;
} sb_job;

static void sb_range(void *arg, int64_t lo, int64_t hi) {
    const sb_job *j = arg;
    int M = j->M;
    int64_t small_pos = 1;
    for (int i = 0; i < M; i++) small_pos *= j->small_sp[i];
    for (int64_t bb = lo; bb < hi; bb++) {
        int64_t n = bb % j->Bs, oi = bb / j->Bs, off[FRT_MAX_DIMS];
        for (int i = M - 1; i >= 0; i--) {
            off[i] = oi % j->block[i];
            oi /= j->block[i];
        }
        char *bigb = j->big + (size_t)(bb * j->n_pos) * j->rest;
        char *smallb = j->small + (size_t)(n * small_pos) * j->rest;
        int64_t y[FRT_MAX_DIMS] = {0};
        for (int64_t q = 0; q < j->n_pos; q++) {
            bool valid = true;
            int64_t sidx = 0;
            for (int i = 0; i < M; i++) {
                int64_t p = y[i] * j->block[i] + off[i] - j->pad[i];
                if (p < 0 || p >= j->small_sp[i]) valid = false;
                sidx = sidx * j->small_sp[i] + p;
            }
            char *bp = bigb + (size_t)q * j->rest;
            if (valid) {
                char *sp = smallb + (size_t)sidx * j->rest;
                if (j->to_batch)
                    memcpy(bp, sp, j->rest);
                else
                    memcpy(sp, bp, j->rest);
            } else if (j->to_batch) {
                memset(bp, 0, j->rest);
            }
            for (int i = M - 1; i >= 0; i--) {
                if (++y[i] < j->big_sp[i]) break;
                y[i] = 0;
            }
        }
    }
}

/* Reads block_shape [M] and the [M, 2] paddings/crops (what = "paddings" or "crops"). */
static frt_status *read_block(const frt_tensor *x, const frt_tensor *bt, const frt_tensor *pt,
                              const char *what, int *M, int64_t *block, int64_t *p0,
                              int64_t *p1) {
    FRT_TRY(frt_array_check_index(bt, "block_shape"));
    FRT_TRY(frt_array_check_index(pt, what));
    if (bt->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "block_shape must be one-dimensional, got %s",
                              FRT_SHAPE_STR(bt));
    int m = (int)bt->n;
    if (pt->ndim != 2 || pt->dims[0] != m || pt->dims[1] != 2)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s should have shape [%d, 2] instead of %s",
                              what, m, FRT_SHAPE_STR(pt));
    if (x->ndim < 1 + m)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input rank should be >= %d instead of %d",
                              1 + m, x->ndim);
    for (int i = 0; i < m; i++) {
        block[i] = frt_tensor_int_at(bt, i);
        p0[i] = frt_tensor_int_at(pt, 2 * i);
        p1[i] = frt_tensor_int_at(pt, 2 * i + 1);
        if (block[i] < 1)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "All values in block_shape must be positive, got value, %lld at "
                                  "index %d.",
                                  (long long)block[i], i);
        if (p0[i] < 0 || p1[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s must be non-negative, got [%lld, %lld] "
                                  "at index %d", what, (long long)p0[i], (long long)p1[i], i);
    }
    *M = m;
    return NULL;
}

static void run_job(frt_kernel_ctx *c, sb_job *j, int64_t big_batch) {
    if ((size_t)(big_batch * j->n_pos) * j->rest < FRT_ARRAY_PARALLEL_BYTES)
        sb_range(j, 0, big_batch);
    else
        frt_kernel_parallel_for(c, big_batch, 1, sb_range, j);
}

/* The output: dims[0..M] set by the caller, the dims after the block dims copied from x.
 * Unless the output is empty, also j's per-position sizes (n_pos, rest). */
static frt_status *sb_output(frt_kernel_ctx *c, const frt_tensor *x, sb_job *j, int64_t *dims,
                             frt_tensor **y) {
    int64_t rest = 1;
    for (int d = 1 + j->M; d < x->ndim; d++) {
        dims[d] = x->dims[d];
        rest *= x->dims[d];
    }
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, y));
    if ((*y)->n == 0) return NULL;
    j->n_pos = 1;
    for (int i = 0; i < j->M; i++) j->n_pos *= j->big_sp[i];
    j->rest = (size_t)rest * frt_array_elem_size(x->dtype);
    return NULL;
}

static frt_status *space_to_batch_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int M;
    int64_t block[FRT_MAX_DIMS], p0[FRT_MAX_DIMS], p1[FRT_MAX_DIMS];
    FRT_TRY(read_block(x, c->inputs[1], c->inputs[2], "paddings", &M, block, p0, p1));
    sb_job j = {.to_batch = true, .M = M, .Bs = x->dims[0]};
    int64_t dims[FRT_MAX_DIMS], prod = 1;
    for (int i = 0; i < M; i++) {
        int64_t P = x->dims[1 + i] + p0[i] + p1[i];
        if (P % block[i] != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "padded_shape[%d]=%lld is not divisible by block_shape[%d]=%lld",
                                  i, (long long)P, i, (long long)block[i]);
        j.block[i] = block[i];
        j.pad[i] = p0[i];
        j.small_sp[i] = x->dims[1 + i];
        j.big_sp[i] = P / block[i];
        dims[1 + i] = P / block[i];
        prod *= block[i];
    }
    dims[0] = x->dims[0] * prod;
    frt_tensor *y;
    FRT_TRY(sb_output(c, x, &j, dims, &y));
    if (y->n == 0) return NULL;
    j.big = frt_tensor_data(y);
    j.small = frt_tensor_data(x);
    if (x->n == 0) {
        memset(j.big, 0, (size_t)y->n * frt_array_elem_size(x->dtype));
        return NULL;
    }
    run_job(c, &j, dims[0]);
    return frt_array_own_strings(y);
}

static frt_status *batch_to_space_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int M;
    int64_t block[FRT_MAX_DIMS], c0[FRT_MAX_DIMS], c1[FRT_MAX_DIMS];
    FRT_TRY(read_block(x, c->inputs[1], c->inputs[2], "crops", &M, block, c0, c1));
    int64_t prod = 1;
    for (int i = 0; i < M; i++) prod *= block[i];
    if (x->dims[0] % prod != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Input batch dimension (%lld) is not divisible by product of block "
                              "sizes (%lld)",
                              (long long)x->dims[0], (long long)prod);
    sb_job j = {.to_batch = false, .M = M, .Bs = x->dims[0] / prod};
    int64_t dims[FRT_MAX_DIMS];
    dims[0] = j.Bs;
    for (int i = 0; i < M; i++) {
        int64_t out = x->dims[1 + i] * block[i] - c0[i] - c1[i];
        if (out < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "cropped_shape[%d]=%lld must be non-negative",
                                  i, (long long)out);
        j.block[i] = block[i];
        j.pad[i] = c0[i];
        j.big_sp[i] = x->dims[1 + i];
        j.small_sp[i] = out;
        dims[1 + i] = out;
    }
    frt_tensor *y;
    FRT_TRY(sb_output(c, x, &j, dims, &y));
    if (y->n == 0) return NULL;
    j.big = frt_tensor_data(x);
    j.small = frt_tensor_data(y);
    run_job(c, &j, x->dims[0]);
    return frt_array_own_strings(y);
}

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"SpaceToBatchND", CPU, ANY, space_to_batch_compute, NULL, NULL, 0x6u, NULL},
    {"BatchToSpaceND", CPU, ANY, batch_to_space_compute, NULL, NULL, 0x6u, NULL},
};

void frt_kernels_register_space_batch(frt_kernel_registry *r);
void frt_kernels_register_space_batch(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
