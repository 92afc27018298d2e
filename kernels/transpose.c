/* kernels/transpose.c: Transpose (perm int32/int64) for every fixed-size dtype and strings.
 * Owns: perm validation (TF's messages), dim simplification (size-1 dims dropped, dims that
 * stay adjacent merged), and three paths: identity after simplification -> zero-copy view;
 * (batched) 2-D swap -> cache-blocked tiles; anything else -> per output row, a memcpy of the
 * contiguous inner run when the last dim stays last, else a strided gather.
 * Does not own: ConjugateTranspose (not needed for real types).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

#define TILE 32

typedef struct tr_job {
    const char *src;
    char *dst;
    size_t es;
    int nd;
    int64_t in_dims[FRT_MAX_DIMS], in_stride[FRT_MAX_DIMS];
    int perm[FRT_MAX_DIMS];
    int64_t out_dims[FRT_MAX_DIMS];
    /* batched 2-D: batch of [R, C] -> [C, R] */
    int64_t R, C, tiles_r, tiles_c;
} tr_job;

#define DEFINE_TILE(NAME, T)                                                                \
    static void NAME(const char *s, char *d, int64_t R, int64_t C, int64_t i0, int64_t i1,   \
                     int64_t j0, int64_t j1) {                                              \
        const T *in = (const T *)(const void *)s;                                           \
        T *out = (T *)(void *)d;                                                            \
        for (int64_t j = j0; j < j1; j++)                                                   \
            for (int64_t i = i0; i < i1; i++) out[j * R + i] = in[i * C + j];               \
    }
DEFINE_TILE(tile_u8, uint8_t)
DEFINE_TILE(tile_u16, uint16_t)
DEFINE_TILE(tile_u32, uint32_t)
DEFINE_TILE(tile_u64, uint64_t)

static void tile_any(const tr_job *j, const char *s, char *d, int64_t i0, int64_t i1, int64_t j0,
                     int64_t j1) {
    int64_t R = j->R, C = j->C;
    switch (j->es) {
    case 1: tile_u8(s, d, R, C, i0, i1, j0, j1); return;
    case 2: tile_u16(s, d, R, C, i0, i1, j0, j1); return;
    case 4: tile_u32(s, d, R, C, i0, i1, j0, j1); return;
    case 8: tile_u64(s, d, R, C, i0, i1, j0, j1); return;
    default:
        for (int64_t jj = j0; jj < j1; jj++)
            for (int64_t i = i0; i < i1; i++)
                memcpy(d + (size_t)(jj * R + i) * j->es, s + (size_t)(i * C + jj) * j->es, j->es);
    }
}

/* Work unit w = (batch, tile row, tile col). */
static void blocked_range(void *arg, int64_t lo, int64_t hi) {
    const tr_job *j = arg;
    int64_t per = j->tiles_r * j->tiles_c;
    size_t mat = (size_t)(j->R * j->C) * j->es;
    for (int64_t w = lo; w < hi; w++) {
        int64_t b = w / per, t = w % per;
        int64_t i0 = (t / j->tiles_c) * TILE, j0 = (t % j->tiles_c) * TILE;
        int64_t i1 = i0 + TILE < j->R ? i0 + TILE : j->R, j1 = j0 + TILE < j->C ? j0 + TILE : j->C;
        tile_any(j, j->src + b * mat, j->dst + b * mat, i0, i1, j0, j1);
    }
}

/* General path: output row r (all output dims but the last). */
static void rows_range(void *arg, int64_t lo, int64_t hi) {
    const tr_job *j = arg;
    int last = j->nd - 1;
    int64_t idx[FRT_MAX_DIMS] = {0}, r = lo, off = 0;
    for (int d = last - 1; d >= 0; d--) {
        idx[d] = r % j->out_dims[d];
        r /= j->out_dims[d];
        off += idx[d] * j->in_stride[j->perm[d]];
    }
    int64_t W = j->out_dims[last], step = j->in_stride[j->perm[last]];
    size_t es = j->es;
    bool contig = step == 1;
    for (int64_t row = lo; row < hi; row++) {
        char *d = j->dst + (size_t)(row * W) * es;
        const char *s = j->src + (size_t)off * es;
        if (contig) {
            memcpy(d, s, (size_t)W * es);
        } else {
            switch (es) {
            case 4:
                for (int64_t k = 0; k < W; k++)
                    ((uint32_t *)(void *)d)[k] = ((const uint32_t *)(const void *)s)[k * step];
                break;
            case 8:
                for (int64_t k = 0; k < W; k++)
                    ((uint64_t *)(void *)d)[k] = ((const uint64_t *)(const void *)s)[k * step];
                break;
            default:
                for (int64_t k = 0; k < W; k++)
                    memcpy(d + (size_t)k * es, s + (size_t)(k * step) * es, es);
            }
        }
        for (int k = last - 1; k >= 0; k--) {
            off += j->in_stride[j->perm[k]];
            if (++idx[k] < j->out_dims[k]) break;
            off -= idx[k] * j->in_stride[j->perm[k]];
            idx[k] = 0;
        }
    }
}

static frt_status *transpose_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0], *pt = c->inputs[1];
    frt_transpose_plan tp;
    FRT_TRY(frt_shape_transpose(x, pt, &tp));
    int ng = tp.ng, r = x->ndim;
    const int *gperm = tp.gperm;
    const int64_t *out = tp.out;
    tr_job j = {.src = frt_tensor_data(x), .es = frt_array_elem_size(x->dtype), .nd = ng};
    for (int g = 0; g < ng; g++) {
        j.in_dims[g] = tp.in_dims[g];
        j.out_dims[g] = tp.out_dims[g];
        j.perm[g] = gperm[g];
    }
    bool identity = tp.identity;
    if (identity) return frt_array_set_view(c, 0, x, out, r);

    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, out, r, &y));
    if (y->n == 0) return NULL;
    j.dst = frt_tensor_data(y);
    int64_t s = 1;
    for (int d = ng - 1; d >= 0; d--) {
        j.in_stride[d] = s;
        s *= j.in_dims[d];
    }
    bool big = (size_t)y->n * j.es >= FRT_ARRAY_PARALLEL_BYTES;
    /* Batched 2-D swap: perm = [0..ng-3, ng-1, ng-2]. */
    bool batched2d = ng >= 2 && gperm[ng - 1] == ng - 2 && gperm[ng - 2] == ng - 1;
    for (int g = 0; g < ng - 2 && batched2d; g++) batched2d = gperm[g] == g;
    if (batched2d) {
        j.R = j.in_dims[ng - 2];
        j.C = j.in_dims[ng - 1];
        j.tiles_r = (j.R + TILE - 1) / TILE;
        j.tiles_c = (j.C + TILE - 1) / TILE;
        int64_t batch = y->n / (j.R * j.C), work = batch * j.tiles_r * j.tiles_c;
        if (big)
            frt_kernel_parallel_for(c, work, 4, blocked_range, &j);
        else
            blocked_range(&j, 0, work);
    } else {
        int64_t W = j.out_dims[ng - 1], rows = y->n / W;
        if (big)
            frt_kernel_parallel_for(c, rows,
                                    (int64_t)(FRT_ARRAY_PARALLEL_BYTES / ((size_t)W * j.es + 1)) + 1,
                                    rows_range, &j);
        else
            rows_range(&j, 0, rows);
    }
    return frt_array_own_strings(y);
}

static const frt_kernel_def defs[] = {
    {"Transpose", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, transpose_compute, NULL, NULL, 1u << 1, NULL},
};

void frt_kernels_register_transpose(frt_kernel_registry *r);
void frt_kernels_register_transpose(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
