/* kernels/conv.c: Conv2D and DepthwiseConv2dNative on the CPU (float32), and TF's fused
 * forms _FusedConv2D / _FusedDepthwiseConv2dNative (Grappler's remapper output; our graph
 * optimizer makes them too) whose bias + activation run on each output tile while it is in
 * cache: after each im2col tile's GEMM, after each row block of a 1x1 GEMM, and on the
 * accumulators of the depthwise loop. The unfused ops are the fused ones with no epilogue.
 * Owns: 1x1 convs as one GEMM, general convs as im2col over tiles of output pixels + GEMM
 * (grouped convs too), depthwise as a direct loop vectorised over channels.
 * Does not own: conv attrs and filter/geometry checks (core/window_attrs.c, shared with
 * cuda/), the output-size rule (core/shape.c), the NCHW<->NHWC boundary (window_impl.h), the epilogue's attrs
 * (core/fused_attrs.c) and formulas (fused_impl.h), pooling.
 * Threading: work is split over the session's pool; OpenBLAS runs single-threaded inside
 * each chunk (matmul.c sets that up at registration). Kernel state is read-only in compute. */
#include <cblas.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/fused_impl.h"
#include "kernels/window_impl.h"
#include "core/kernel.h"

typedef struct conv_state {
    frt_window_attrs w;
    int64_t sh, sw, dh, dw;
    bool fused;          /* _Fused*: args from input 2 on, epilogue in `ops` */
    frt_fused_ops ops;
} conv_state;

static int ctx_threads(const frt_kernel_ctx *c) {
    int t = c->pool ? frt_threadpool_size(c->pool) + 1 : 1;
    if (c->intra_threads > 0 && c->intra_threads < t) t = c->intra_threads;
    return t;
}

/* Attrs shared by both ops, validated once per node (core/window_attrs.c: TF's texts). */
static frt_status *conv_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    frt_conv_attrs ca;
    FRT_TRY(frt_conv_attrs_parse(ic->op, ic->attrs, &ca));
    conv_state s = {.w = ca.w, .sh = ca.sh, .sw = ca.sw, .dh = ca.dh, .dw = ca.dw,
                    .fused = ca.fused};
    if (s.fused) FRT_TRY(frt_fused_ops_parse(ic->op, ic->attrs, &s.ops));
    conv_state *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
    *p = s;
    *state = p;
    return NULL;
}

/* ---- shared geometry --------------------------------------------------------------- */

typedef frt_window_geom geom; /* short name for the loops below */

/* What the NHWC bodies (frt_window_nhwc_fn) need besides the input and output buffers. */
typedef struct conv_call {
    frt_kernel_ctx *ctx;
    const geom *g;
    const float *filter;
    frt_fused_epilogue ep; /* inactive for the unfused ops */
} conv_call;

static frt_status *conv_common(frt_kernel_ctx *ctx, bool depthwise, frt_window_nhwc_fn fn) {
    const conv_state *s = frt_kernel_state(ctx);
    const frt_tensor *x = frt_kernel_input(ctx, 0), *f = frt_kernel_input(ctx, 1);
    const char *op = ctx->def->op;
    geom g;
    int64_t odims[4], groups;
    FRT_TRY(frt_conv_geom(op, &s->w, s->sh, s->sw, s->dh, s->dw, depthwise, x, f, &g, odims,
                          &groups));
    const frt_window_attrs *w = &s->w;
    frt_fused_epilogue ep;
    FRT_TRY(frt_fused_bind(ctx, s->fused ? &s->ops : NULL, 2, g.OC, &ep));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_FLOAT, odims, 4, &out));
    if (out->n == 0) return NULL;
    if (x->n == 0 || f->n == 0) { /* empty reduction: zeros, then the epilogue */
        float *o = frt_tensor_f32(out);
        memset(o, 0, (size_t)out->n * sizeof(float));
        for (int64_t i = 0; i < out->n && frt_fused_active(&ep); i++)
            frt_fused_apply(&ep, o + i, 1, 1, 1,
                            w->nchw ? (i / (g.OH * g.OW)) % g.OC : i % g.OC);
        return NULL;
    }
    conv_call call = {.ctx = ctx, .g = &g, .filter = frt_tensor_f32(f), .ep = ep};
    return frt_window_run_nhwc(ctx, op, w->nchw, &g, x, out, fn, &call);
}

/* ---- Conv2D ------------------------------------------------------------------------- */

typedef struct conv_job {
    const geom *g;
    const float *in, *filter;
    float *out;
    const frt_fused_epilogue *ep;
    int64_t tile;   /* output pixels per im2col tile */
    int64_t cin_g;  /* input channels per group */
    int64_t groups;
    /* im2col scratch: n_slots tiles of tile x kdim floats from the node's allocator; a chunk
     * claims a free slot (at most n_slots chunks run at once: one per thread). */
    float *cols;
    atomic_bool *busy;
    int n_slots;
} conv_job;

/* Rows [p0, p1) of the im2col matrix for group gi: row p holds, for each (ky, kx), the
 * cin_g input channels under that tap (zeros outside the input). */
static void im2col(const conv_job *j, int64_t gi, int64_t p0, int64_t p1, float *col) {
    const geom *g = j->g;
    int64_t cg = j->cin_g, kdim = g->KH * g->KW * cg, ohw = g->OH * g->OW;
    bool runs = j->groups == 1 && g->dw == 1; /* a row of KW taps is contiguous in input */
    for (int64_t p = p0; p < p1; p++) {
        int64_t n = p / ohw, r = p % ohw, oy = r / g->OW, ox = r % g->OW;
        float *dst = col + (p - p0) * kdim;
        int64_t iy0 = oy * g->sh - g->pt, ix0 = ox * g->sw - g->pl;
        for (int64_t ky = 0; ky < g->KH; ky++) {
            int64_t iy = iy0 + ky * g->dh;
            float *d = dst + ky * g->KW * cg;
            if (iy < 0 || iy >= g->H) {
                memset(d, 0, (size_t)(g->KW * cg) * sizeof(float));
                continue;
            }
            const float *row = j->in + ((n * g->H + iy) * g->W) * g->C + gi * cg;
            if (runs && ix0 >= 0 && ix0 + g->KW <= g->W) {
                memcpy(d, row + ix0 * g->C, (size_t)(g->KW * cg) * sizeof(float));
                continue;
            }
            for (int64_t kx = 0; kx < g->KW; kx++) {
                int64_t ix = ix0 + kx * g->dw;
                if (ix < 0 || ix >= g->W) memset(d + kx * cg, 0, (size_t)cg * sizeof(float));
                else memcpy(d + kx * cg, row + ix * g->C, (size_t)cg * sizeof(float));
            }
        }
    }
}

/* Output pixel tiles [lo, hi) (in tile units): im2col then one GEMM per group. */
static void conv_tiles(void *arg, int64_t lo, int64_t hi) {
    conv_job *j = arg;
    const geom *g = j->g;
    int64_t P = g->N * g->OH * g->OW, cg = j->cin_g, kdim = g->KH * g->KW * cg;
    int64_t og = g->OC / j->groups;
    int slot = 0;
    while (atomic_exchange(&j->busy[slot], true)) slot = (slot + 1) % j->n_slots;
    float *col = j->cols + (size_t)slot * (size_t)(j->tile * kdim);
    for (int64_t t = lo; t < hi; t++) {
        int64_t p0 = t * j->tile, p1 = p0 + j->tile < P ? p0 + j->tile : P;
        for (int64_t gi = 0; gi < j->groups; gi++) {
            im2col(j, gi, p0, p1, col);
            /* [p1-p0, kdim] x filter[kdim, OC] restricted to this group's columns. */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)(p1 - p0),
                        (blasint)og, (blasint)kdim, 1.0f, col, (blasint)kdim,
                        j->filter + gi * og, (blasint)g->OC, 0.0f,
                        j->out + p0 * g->OC + gi * og, (blasint)g->OC);
        }
        frt_fused_apply(j->ep, j->out + p0 * g->OC, p1 - p0, g->OC, g->OC, 0);
    }
    atomic_store(&j->busy[slot], false);
}

typedef struct gemm_rows {
    const float *a, *b;
    float *c;
    int64_t K, N;
    const frt_fused_epilogue *ep;
} gemm_rows;

/* With an epilogue the rows go in blocks of about 128 KiB of output (at least 64 rows, so
 * OpenBLAS's packing of the filter stays cheap next to the product), each finished (bias,
 * activation) right after its GEMM while it is in L2; without one, one GEMM per range. */
static void gemm_rows_range(void *arg, int64_t lo, int64_t hi) {
    const gemm_rows *j = arg;
    int64_t block = hi - lo;
    if (frt_fused_active(j->ep)) {
        block = (128 * 1024 / (int64_t)sizeof(float)) / (j->N > 0 ? j->N : 1);
        if (block < 64) block = 64;
    }
    for (int64_t r0 = lo; r0 < hi; r0 += block) {
        int64_t r1 = r0 + block < hi ? r0 + block : hi;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (blasint)(r1 - r0),
                    (blasint)j->N, (blasint)j->K, 1.0f, j->a + r0 * j->K, (blasint)j->K, j->b,
                    (blasint)j->N, 0.0f, j->c + r0 * j->N, (blasint)j->N);
        frt_fused_apply(j->ep, j->c + r0 * j->N, r1 - r0, j->N, j->N, 0);
    }
}

static frt_status *conv2d_nhwc(void *arg, const void *in_, void *out_) {
    const conv_call *c = arg;
    frt_kernel_ctx *ctx = c->ctx;
    const geom *g = c->g;
    const float *in = in_, *filter = c->filter;
    float *out = out_;
    int threads = ctx_threads(ctx);
    int64_t P = g->N * g->OH * g->OW;
    const frt_tensor *f = frt_kernel_input(ctx, 1);
    int64_t cin_g = f->dims[2], groups = g->C / cin_g;
    /* 1x1, stride 1, no padding: the input already is the [P, C] matrix. */
    if (g->KH == 1 && g->KW == 1 && g->sh == 1 && g->sw == 1 && groups == 1 && g->pt == 0 &&
        g->pl == 0 && g->OH == g->H && g->OW == g->W) {
        gemm_rows j = {.a = in, .b = filter, .c = out, .K = g->C, .N = g->OC, .ep = &c->ep};
        int64_t grain = (P + threads - 1) / threads;
        if ((double)P * (double)g->C * (double)g->OC < 1e5) grain = P;
        frt_kernel_parallel_for(ctx, P, grain, gemm_rows_range, &j);
        return NULL;
    }
    int64_t kdim = g->KH * g->KW * cin_g;
    /* Tiles of ~256 KiB of im2col scratch (L2-sized), at least 32 rows for GEMM efficiency. */
    int64_t tile = (256 * 1024 / (int64_t)sizeof(float)) / (kdim > 0 ? kdim : 1);
    if (tile < 32) tile = 32;
    if (tile > P) tile = P;
    int64_t ntiles = (P + tile - 1) / tile;
    /* Keep every thread busy: shrink tiles when there are fewer tiles than threads. */
    if (ntiles < threads && P >= 32 * threads) {
        tile = (P + threads - 1) / threads;
        ntiles = (P + tile - 1) / tile;
    }
    conv_job j = {.g = g, .in = in, .filter = filter, .out = out, .ep = &c->ep, .tile = tile,
                  .cin_g = cin_g, .groups = groups};
    j.n_slots = threads < ntiles ? threads : (int)ntiles;
    FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)j.n_slots * (size_t)(tile * kdim) * sizeof(float),
                                  (void **)&j.cols));
    FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)j.n_slots * sizeof(atomic_bool),
                                  (void **)&j.busy));
    for (int i = 0; i < j.n_slots; i++) atomic_init(&j.busy[i], false);
    frt_kernel_parallel_for(ctx, ntiles, 1, conv_tiles, &j);
    return NULL;
}

static frt_status *conv2d(frt_kernel_ctx *ctx) { return conv_common(ctx, false, conv2d_nhwc); }

/* ---- DepthwiseConv2dNative -------------------------------------------------------- */

typedef struct dw_job {
    const geom *g;
    const float *in, *filter;
    float *out;
    int64_t mult;
    const frt_fused_epilogue *ep;
} dw_job;

/* Channel multiplier 1: out[c] = sum over taps in[c] * f[tap][c]; channels are contiguous in
 * both input and filter, so each tap is a vector FMA over a 16-channel block (fmaf: ISO C mode
 * does not contract a * b + c). Interior pixels go four at a time so each filter load feeds
 * four FMAs; border pixels clip their tap ranges. */
#define DW_VEC 16
static void dw_pixel_m1(const dw_job *j, const float *img, int64_t iy0, int64_t ky0,
                        int64_t ky1, int64_t ox, float *o) {
    const geom *g = j->g;
    int64_t C = g->C, ix0 = ox * g->sw - g->pl, kx0 = 0, kx1 = g->KW;
    while (kx0 < kx1 && ix0 + kx0 * g->dw < 0) kx0++;
    while (kx1 > kx0 && ix0 + (kx1 - 1) * g->dw >= g->W) kx1--;
    int64_t c = 0;
    for (; c + DW_VEC <= C; c += DW_VEC) {
        float acc[DW_VEC] = {0};
        for (int64_t ky = ky0; ky < ky1; ky++) {
            const float *ip = img + ((iy0 + ky * g->dh) * g->W + ix0 + kx0 * g->dw) * C + c;
            const float *fp = j->filter + ky * g->KW * C + c;
            for (int64_t kx = kx0; kx < kx1; kx++) {
                const float *a = ip + (kx - kx0) * g->dw * C, *b = fp + kx * C;
                for (int v = 0; v < DW_VEC; v++) acc[v] = fmaf(a[v], b[v], acc[v]);
            }
        }
        memcpy(o + c, acc, sizeof acc);
    }
    for (; c < C; c++) {
        float acc = 0;
        for (int64_t ky = ky0; ky < ky1; ky++)
            for (int64_t kx = kx0; kx < kx1; kx++)
                acc = fmaf(img[((iy0 + ky * g->dh) * g->W + ix0 + kx * g->dw) * C + c],
                           j->filter[(ky * g->KW + kx) * C + c], acc);
        o[c] = acc;
    }
}

static void dw_rows_m1(void *arg, int64_t lo, int64_t hi) {
    const dw_job *j = arg;
    const geom *g = j->g;
    int64_t C = g->C, sx = g->sw * C, dx = g->dw * C;
    /* Output columns whose taps all lie inside the input. */
    int64_t oxa = 0, oxb = g->OW;
    while (oxa < oxb && oxa * g->sw - g->pl < 0) oxa++;
    while (oxb > oxa && (oxb - 1) * g->sw - g->pl + (g->KW - 1) * g->dw >= g->W) oxb--;
    for (int64_t r = lo; r < hi; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        int64_t iy0 = oy * g->sh - g->pt;
        int64_t ky0 = 0, ky1 = g->KH; /* taps inside the input */
        while (ky0 < ky1 && iy0 + ky0 * g->dh < 0) ky0++;
        while (ky1 > ky0 && iy0 + (ky1 - 1) * g->dh >= g->H) ky1--;
        const float *img = j->in + n * g->H * g->W * C;
        float *orow = j->out + r * g->OW * C;
        int64_t ox = 0;
        for (; ox < oxa; ox++) dw_pixel_m1(j, img, iy0, ky0, ky1, ox, orow + ox * C);
        for (; ox + 4 <= oxb && C % DW_VEC == 0; ox += 4) {
            for (int64_t c = 0; c < C; c += DW_VEC) {
                float a0[DW_VEC] = {0}, a1[DW_VEC] = {0}, a2[DW_VEC] = {0}, a3[DW_VEC] = {0};
                for (int64_t ky = ky0; ky < ky1; ky++) {
                    const float *ip =
                        img + ((iy0 + ky * g->dh) * g->W + ox * g->sw - g->pl) * C + c;
                    const float *fp = j->filter + ky * g->KW * C + c;
                    for (int64_t kx = 0; kx < g->KW; kx++) {
                        const float *p = ip + kx * dx, *f = fp + kx * C;
                        for (int v = 0; v < DW_VEC; v++) {
                            a0[v] = fmaf(p[v], f[v], a0[v]);
                            a1[v] = fmaf(p[sx + v], f[v], a1[v]);
                            a2[v] = fmaf(p[2 * sx + v], f[v], a2[v]);
                            a3[v] = fmaf(p[3 * sx + v], f[v], a3[v]);
                        }
                    }
                }
                float *o = orow + ox * C + c;
                memcpy(o, a0, sizeof a0);
                memcpy(o + C, a1, sizeof a1);
                memcpy(o + 2 * C, a2, sizeof a2);
                memcpy(o + 3 * C, a3, sizeof a3);
            }
        }
        for (; ox < g->OW; ox++) dw_pixel_m1(j, img, iy0, ky0, ky1, ox, orow + ox * C);
        /* The epilogue on the finished output row, still in L1/L2: applying it to the
         * accumulators instead would spill them. */
        frt_fused_apply(j->ep, orow, g->OW, C, C, 0);
    }
}

/* General multiplier: out[c*M + m] = sum in[c] * f[tap][c*M + m]. */
static void dw_rows_general(void *arg, int64_t lo, int64_t hi) {
    const dw_job *j = arg;
    const geom *g = j->g;
    int64_t C = g->C, M = j->mult, OC = g->OC;
    for (int64_t r = lo; r < hi; r++) {
        int64_t n = r / g->OH, oy = r % g->OH;
        int64_t iy0 = oy * g->sh - g->pt;
        const float *img = j->in + n * g->H * g->W * C;
        for (int64_t ox = 0; ox < g->OW; ox++) {
            int64_t ix0 = ox * g->sw - g->pl;
            float *o = j->out + (r * g->OW + ox) * OC;
            memset(o, 0, (size_t)OC * sizeof(float));
            for (int64_t ky = 0; ky < g->KH; ky++) {
                int64_t iy = iy0 + ky * g->dh;
                if (iy < 0 || iy >= g->H) continue;
                for (int64_t kx = 0; kx < g->KW; kx++) {
                    int64_t ix = ix0 + kx * g->dw;
                    if (ix < 0 || ix >= g->W) continue;
                    const float *ip = img + (iy * g->W + ix) * C;
                    const float *fp = j->filter + (ky * g->KW + kx) * OC;
                    for (int64_t c = 0; c < C; c++)
                        for (int64_t m = 0; m < M; m++) o[c * M + m] += ip[c] * fp[c * M + m];
                }
            }
        }
        frt_fused_apply(j->ep, j->out + r * g->OW * OC, g->OW, OC, OC, 0);
    }
}

static frt_status *depthwise_nhwc(void *arg, const void *in, void *out) {
    const conv_call *c = arg;
    frt_kernel_ctx *ctx = c->ctx;
    const geom *g = c->g;
    const float *filter = c->filter;
    dw_job j = {.g = g, .in = in, .filter = filter, .out = out, .mult = g->OC / g->C,
                .ep = &c->ep};
    int64_t rows = g->N * g->OH;
    /* ~32k multiply-adds per chunk at least. */
    int64_t per_row = g->OW * g->OC * g->KH * g->KW;
    int64_t grain = per_row > 0 ? 32768 / per_row : rows;
    if (grain < 1) grain = 1;
    frt_kernel_parallel_for(ctx, rows, grain, j.mult == 1 ? dw_rows_m1 : dw_rows_general, &j);
    return NULL;
}

static frt_status *depthwise(frt_kernel_ctx *ctx) {
    return conv_common(ctx, true, depthwise_nhwc);
}

static const frt_kernel_def defs[] = {
    {"Conv2D", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, conv2d, conv_init, free, 0, NULL},
    {"DepthwiseConv2dNative", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, depthwise, conv_init, free, 0,
     NULL},
    {"_FusedConv2D", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, conv2d, conv_init, free, 0, NULL},
    {"_FusedDepthwiseConv2dNative", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, depthwise, conv_init, free,
     0, NULL},
};

void frt_kernels_register_conv(frt_kernel_registry *r);
void frt_kernels_register_conv(frt_kernel_registry *r) {
    openblas_set_num_threads(1); /* see matmul.c: our pool does the splitting */
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
