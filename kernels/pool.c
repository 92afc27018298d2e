/* kernels/pool.c: MaxPool, MaxPoolV2 and AvgPool on the CPU.
 * Owns: EXPLICIT pads smaller than the window, window max/mean over NHWC vectorised over channels. AvgPool divides by the number
 * of in-bounds elements (TF's rule for SAME padding).
 * Does not own: pooling attrs (core/window_attrs.c, shared with cuda/), the output-size
 * rule (core/shape.c), the NCHW<->NHWC boundary (window_impl.h), convolutions (conv.c).
 * Threading: output rows split over the session's pool. State is read-only in compute. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/window_impl.h"
#include "core/kernel.h"

typedef frt_pool_attrs pool_state; /* attrs and checks: core/window_attrs.c */

static frt_status *pool_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    pool_state s;
    FRT_TRY(frt_pool_attrs_parse(ic->op, ic->attrs, &s));
    pool_state *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
    *p = s;
    *state = p;
    return NULL;
}

/* TF's GetWindowedOutputSizeVerbose with dilation 1, with its error text. */
typedef struct pool_job {
    const frt_window_geom *g;
    const void *in;
    void *out;
    frt_kernel_ctx *ctx;
    frt_range_fn fn;
    int64_t rows, grain;
} pool_job;

/* Rows r in [lo, hi) of N*OH; each output pixel reduces the in-bounds part of its window:
 * o = INIT, o = ACC(o, p) over the window's pixels p, then FINISH(T) on o (C channels) with
 * the clipped window [y0, y1) x [x0, x1) in scope. */
#define DEFINE_POOL(KIND, DT, T, INIT, ACC, FINISH)                                         \
    static void KIND##_##DT(void *arg, int64_t lo, int64_t hi) {                           \
        const pool_job *j = arg;                                                           \
        const frt_window_geom *g = j->g;                                                   \
        const T *in = j->in;                                                               \
        T *out = j->out;                                                                   \
        int64_t C = g->C;                                                                  \
        for (int64_t r = lo; r < hi; r++) {                                                \
            int64_t n = r / g->OH, oy = r % g->OH;                                         \
            int64_t y0 = oy * g->sh - g->pt, y1 = y0 + g->KH;                              \
            if (y0 < 0) y0 = 0;                                                            \
            if (y1 > g->H) y1 = g->H;                                                      \
            for (int64_t ox = 0; ox < g->OW; ox++) {                                       \
                int64_t x0 = ox * g->sw - g->pl, x1 = x0 + g->KW;                          \
                if (x0 < 0) x0 = 0;                                                        \
                if (x1 > g->W) x1 = g->W;                                                  \
                T *o = out + (r * g->OW + ox) * C;                                         \
                for (int64_t c = 0; c < C; c++) o[c] = INIT;                               \
                for (int64_t y = y0; y < y1; y++)                                          \
                    for (int64_t x = x0; x < x1; x++) {                                    \
                        const T *p = in + ((n * g->H + y) * g->W + x) * C;                 \
                        for (int64_t c = 0; c < C; c++) o[c] = ACC(o[c], p[c]);            \
                    }                                                                      \
                FINISH(T)                                                                  \
            }                                                                              \
        }                                                                                  \
    }
#define POOL_MAX(acc, v) ((v) > (acc) ? (v) : (acc))
#define POOL_SUM(acc, v) ((acc) + (v))
#define POOL_KEEP(T)
#define POOL_MEAN(T)                                                                        \
    {                                                                                      \
        int64_t cnt = (y1 > y0 ? y1 - y0 : 0) * (x1 > x0 ? x1 - x0 : 0);                   \
        T inv = cnt > 0 ? (T)1 / (T)cnt : (T)0;                                            \
        for (int64_t c = 0; c < C; c++) o[c] *= inv;                                       \
    }
DEFINE_POOL(maxpool, INT32, int32_t, INT32_MIN, POOL_MAX, POOL_KEEP)
DEFINE_POOL(maxpool, INT64, int64_t, INT64_MIN, POOL_MAX, POOL_KEEP)
DEFINE_POOL(maxpool, FLOAT, float, -INFINITY, POOL_MAX, POOL_KEEP)
DEFINE_POOL(maxpool, DOUBLE, double, -INFINITY, POOL_MAX, POOL_KEEP)
DEFINE_POOL(avgpool, FLOAT, float, 0, POOL_SUM, POOL_MEAN)
DEFINE_POOL(avgpool, DOUBLE, double, 0, POOL_SUM, POOL_MEAN)

/* The NHWC body (frt_window_nhwc_fn): output rows split over the pool. */
static frt_status *pool_nhwc(void *arg, const void *in, void *out) {
    pool_job *j = arg;
    j->in = in;
    j->out = out;
    frt_kernel_parallel_for(j->ctx, j->rows, j->grain, j->fn, j);
    return NULL;
}

static frt_status *pool_run(frt_kernel_ctx *ctx, frt_range_fn fn, const pool_state *s) {
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    const char *op = ctx->def->op;
    const frt_window_attrs *w = &s->w;
    frt_window_geom g;
    int64_t odims[4];
    FRT_TRY(frt_pool_geom(op, w, s->kh, s->kw, s->sh, s->sw, x, &g, odims));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, x->dtype, odims, 4, &out));
    if (out->n == 0) return NULL;
    int64_t rows = g.N * g.OH, per_row = g.OW * g.C * g.KH * g.KW;
    int64_t grain = per_row > 0 ? 16384 / per_row : rows;
    if (grain < 1) grain = 1;
    pool_job j = {.g = &g, .ctx = ctx, .fn = fn, .rows = rows, .grain = grain};
    return frt_window_run_nhwc(ctx, op, w->nchw, &g, x, out, pool_nhwc, &j);
}

#define DEFINE_POOL_COMPUTE(KIND, DT, T)                                                    \
    static frt_status *KIND##_compute_##DT(frt_kernel_ctx *ctx) {                          \
        return pool_run(ctx, KIND##_##DT, frt_kernel_state(ctx));                          \
    }
FRT_REAL_TYPES(DEFINE_POOL_COMPUTE, maxpool)
FRT_FLOAT_TYPES(DEFINE_POOL_COMPUTE, avgpool)

/* MaxPoolV2: ksize and strides are int32 host-memory inputs 1 and 2. */
static frt_status *window_from_inputs(frt_kernel_ctx *ctx, pool_state *s) {
    return frt_pool_window_from_inputs(s, frt_kernel_input(ctx, 1), frt_kernel_input(ctx, 2));
}

#define DEFINE_MAXPOOL_V2(X, DT, T)                                                         \
    static frt_status *maxpool_v2_##DT(frt_kernel_ctx *ctx) {                              \
        pool_state s = *(const pool_state *)frt_kernel_state(ctx);                         \
        FRT_TRY(window_from_inputs(ctx, &s));                                              \
        return pool_run(ctx, maxpool_##DT, &s);                                            \
    }
FRT_REAL_TYPES(DEFINE_MAXPOOL_V2, _)

#define ROW(OP, FN, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, FN##_##DT, pool_init, free, 0, NULL},
#define ROW_V2(OP, FN, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, FN##_##DT, pool_init, free, 0x6, NULL},
static const frt_kernel_def defs[] = {
    FRT_REAL_TYPES(ROW, MaxPool, maxpool_compute)
    FRT_FLOAT_TYPES(ROW, AvgPool, avgpool_compute)
    FRT_REAL_TYPES(ROW_V2, MaxPoolV2, maxpool_v2)
};

void frt_kernels_register_pool(frt_kernel_registry *r);
void frt_kernels_register_pool(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
