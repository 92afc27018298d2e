/* kernels/pool.c: MaxPool, MaxPoolV2 and AvgPool on the CPU.
 * Owns: pooling attrs (ksize/strides in data_format order, VALID/SAME/EXPLICIT), TF's
 * windowed output-size rule for pools, window max/mean over NHWC vectorised over channels.
 * NCHW is transposed to NHWC at the boundary. AvgPool divides by the number of in-bounds
 * elements (TF's rule for SAME padding). Does not own: convolutions (conv.c).
 * Threading: output rows split over the session's pool. State is read-only in compute. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/kernel.h"

enum { PAD_VALID, PAD_SAME, PAD_EXPLICIT };

typedef struct pool_state {
    bool nchw;
    int padding;
    bool have_window;       /* false for MaxPoolV2: ksize/strides arrive as inputs */
    int64_t kh, kw, sh, sw;
    int64_t pt, pb, pl, pr; /* EXPLICIT paddings */
} pool_state;

/* ksize/strides as 4 entries in data_format order; N and C must be 1. */
static frt_status *set_window(pool_state *s, const char *op, const int64_t *k, int nk,
                              const int64_t *st, int nst) {
    if (nk != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Sliding window ksize field must specify 4 dimensions", op);
    if (nst != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Sliding window stride field must specify 4 dimensions", op);
    int hi = s->nchw ? 2 : 1, wi = hi + 1, ci = s->nchw ? 1 : 3;
    if (k[0] != 1 || st[0] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: Pooling is not yet supported on the batch dimension.", op);
    if (k[ci] != 1 || st[ci] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: pooling over the depth dimension is not implemented", op);
    s->kh = k[hi];
    s->kw = k[wi];
    s->sh = st[hi];
    s->sw = st[wi];
    if (s->kh <= 0 || s->kw <= 0 || s->sh <= 0 || s->sw <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: ksize and strides must be positive, got ksize [%lld,%lld], "
                              "strides [%lld,%lld]", op, (long long)s->kh, (long long)s->kw,
                              (long long)s->sh, (long long)s->sw);
    return NULL;
}

static frt_status *pool_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    const frt_attrs *a = ic->attrs;
    pool_state s = {0};
    const char *padding = NULL, *fmt = NULL;
    FRT_TRY(frt_attr_get_str(a, "padding", NULL, &padding));
    FRT_TRY(frt_attr_get_str(a, "data_format", "NHWC", &fmt));
    if (strcmp(fmt, "NHWC") == 0) s.nchw = false;
    else if (strcmp(fmt, "NCHW") == 0) s.nchw = true;
    else
        return frt_status_new(FRT_UNIMPLEMENTED, "%s: unsupported data_format '%s'", ic->op,
                              fmt);
    if (!padding)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: missing attr 'padding'", ic->op);
    bool is_avg = strcmp(ic->op, "AvgPool") == 0;
    if (strcmp(padding, "VALID") == 0) s.padding = PAD_VALID;
    else if (strcmp(padding, "SAME") == 0) s.padding = PAD_SAME;
    else if (strcmp(padding, "EXPLICIT") == 0 && !is_avg) s.padding = PAD_EXPLICIT;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: unknown padding '%s' (expected %s)",
                              ic->op, padding, is_avg ? "SAME or VALID" : "SAME, VALID or EXPLICIT");
    int64_t pads[16];
    int np = 0;
    FRT_TRY(frt_attr_get_int_list(a, "explicit_paddings", 16, pads, &np));
    if (s.padding == PAD_EXPLICIT) {
        int hi = s.nchw ? 2 : 1, wi = hi + 1, ci = s.nchw ? 1 : 3;
        if (np != 8)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "explicit_paddings attribute must contain 8 values, but got: %d",
                                  np);
        for (int i = 0; i < 8; i++)
            if (pads[i] < 0)
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "All elements of explicit_paddings must be nonnegative");
        if (pads[0] || pads[1] || pads[2 * ci] || pads[2 * ci + 1])
            return frt_status_new(FRT_UNIMPLEMENTED, "Nonzero explicit padding in the batch or "
                                                     "depth dimensions is not supported");
        s.pt = pads[2 * hi];
        s.pb = pads[2 * hi + 1];
        s.pl = pads[2 * wi];
        s.pr = pads[2 * wi + 1];
    } else if (np != 0) {
        return frt_status_new(FRT_INVALID_ARGUMENT, "explicit_paddings attribute must be empty "
                                                    "if the padding is not EXPLICIT");
    }
    s.have_window = strcmp(ic->op, "MaxPoolV2") != 0;
    if (s.have_window) {
        int64_t k[8], st[8];
        int nk = 0, nst = 0;
        FRT_TRY(frt_attr_get_int_list(a, "ksize", 8, k, &nk));
        FRT_TRY(frt_attr_get_int_list(a, "strides", 8, st, &nst));
        FRT_TRY(set_window(&s, ic->op, k, nk, st, nst));
    }
    pool_state *p = malloc(sizeof *p);
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
    *p = s;
    *state = p;
    return NULL;
}

/* TF's GetWindowedOutputSizeVerbose with dilation 1. */
static frt_status *window_dim(const char *op, int64_t in, int64_t k, int64_t s, int mode,
                              int64_t eb, int64_t ea, int64_t *out, int64_t *pb) {
    if (mode == PAD_VALID) {
        *out = (in - k + s) / s;
        *pb = 0;
    } else if (mode == PAD_SAME) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + k - in;
        *pb = total > 0 ? total / 2 : 0;
    } else {
        *out = (in + eb + ea - k + s) / s;
        *pb = eb;
    }
    if (*out < 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Computed output size would be negative: %lld [input: %lld, "
                              "window: %lld, stride: %lld]",
                              op, (long long)*out, (long long)in, (long long)k, (long long)s);
    return NULL;
}

typedef struct pgeom {
    int64_t N, H, W, C, OH, OW, kh, kw, sh, sw, pt, pl;
} pgeom;

typedef struct pool_job {
    const pgeom *g;
    const void *in;
    void *out;
} pool_job;

/* Rows r in [lo, hi) of N*OH; each output pixel reduces the in-bounds part of its window. */
#define DEFINE_MAXPOOL(DT, T, LOWEST)                                                       \
    static void maxpool_##DT(void *arg, int64_t lo, int64_t hi) {                          \
        const pool_job *j = arg;                                                           \
        const pgeom *g = j->g;                                                             \
        const T *in = j->in;                                                               \
        T *out = j->out;                                                                   \
        int64_t C = g->C;                                                                  \
        for (int64_t r = lo; r < hi; r++) {                                                \
            int64_t n = r / g->OH, oy = r % g->OH;                                         \
            int64_t y0 = oy * g->sh - g->pt, y1 = y0 + g->kh;                              \
            if (y0 < 0) y0 = 0;                                                            \
            if (y1 > g->H) y1 = g->H;                                                      \
            for (int64_t ox = 0; ox < g->OW; ox++) {                                       \
                int64_t x0 = ox * g->sw - g->pl, x1 = x0 + g->kw;                          \
                if (x0 < 0) x0 = 0;                                                        \
                if (x1 > g->W) x1 = g->W;                                                  \
                T *o = out + (r * g->OW + ox) * C;                                         \
                for (int64_t c = 0; c < C; c++) o[c] = LOWEST;                             \
                for (int64_t y = y0; y < y1; y++)                                          \
                    for (int64_t x = x0; x < x1; x++) {                                    \
                        const T *p = in + ((n * g->H + y) * g->W + x) * C;                 \
                        for (int64_t c = 0; c < C; c++) o[c] = p[c] > o[c] ? p[c] : o[c];  \
                    }                                                                      \
            }                                                                              \
        }                                                                                  \
    }
DEFINE_MAXPOOL(INT32, int32_t, INT32_MIN)
DEFINE_MAXPOOL(INT64, int64_t, INT64_MIN)
DEFINE_MAXPOOL(FLOAT, float, -INFINITY)
DEFINE_MAXPOOL(DOUBLE, double, -INFINITY)

#define DEFINE_AVGPOOL(DT, T)                                                               \
    static void avgpool_##DT(void *arg, int64_t lo, int64_t hi) {                          \
        const pool_job *j = arg;                                                           \
        const pgeom *g = j->g;                                                             \
        const T *in = j->in;                                                               \
        T *out = j->out;                                                                   \
        int64_t C = g->C;                                                                  \
        for (int64_t r = lo; r < hi; r++) {                                                \
            int64_t n = r / g->OH, oy = r % g->OH;                                         \
            int64_t y0 = oy * g->sh - g->pt, y1 = y0 + g->kh;                              \
            if (y0 < 0) y0 = 0;                                                            \
            if (y1 > g->H) y1 = g->H;                                                      \
            for (int64_t ox = 0; ox < g->OW; ox++) {                                       \
                int64_t x0 = ox * g->sw - g->pl, x1 = x0 + g->kw;                          \
                if (x0 < 0) x0 = 0;                                                        \
                if (x1 > g->W) x1 = g->W;                                                  \
                T *o = out + (r * g->OW + ox) * C;                                         \
                for (int64_t c = 0; c < C; c++) o[c] = 0;                                  \
                for (int64_t y = y0; y < y1; y++)                                          \
                    for (int64_t x = x0; x < x1; x++) {                                    \
                        const T *p = in + ((n * g->H + y) * g->W + x) * C;                 \
                        for (int64_t c = 0; c < C; c++) o[c] += p[c];                      \
                    }                                                                      \
                int64_t cnt = (y1 > y0 ? y1 - y0 : 0) * (x1 > x0 ? x1 - x0 : 0);           \
                T inv = cnt > 0 ? (T)1 / (T)cnt : (T)0;                                    \
                for (int64_t c = 0; c < C; c++) o[c] *= inv;                               \
            }                                                                              \
        }                                                                                  \
    }
DEFINE_AVGPOOL(FLOAT, float)
DEFINE_AVGPOOL(DOUBLE, double)

/* dst[n][b][a] = src[n][a][b] for each of N planes of A x B elements of size es. */
static void transpose_planes(const char *src, char *dst, int64_t N, int64_t A, int64_t B,
                             size_t es) {
    for (int64_t n = 0; n < N; n++) {
        const char *s = src + (size_t)(n * A * B) * es;
        char *d = dst + (size_t)(n * A * B) * es;
        for (int64_t a0 = 0; a0 < A; a0 += 32)
            for (int64_t b0 = 0; b0 < B; b0 += 32)
                for (int64_t a = a0; a < A && a < a0 + 32; a++)
                    for (int64_t b = b0; b < B && b < b0 + 32; b++)
                        memcpy(d + (size_t)(b * A + a) * es, s + (size_t)(a * B + b) * es, es);
    }
}

static frt_status *pool_run(frt_kernel_ctx *ctx, frt_range_fn fn, const pool_state *s) {
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    const char *op = ctx->def->op;
    if (x->ndim != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: input must be 4-dimensional, got %s",
                              op, FRT_SHAPE_STR(x));
    pgeom g = {.N = x->dims[0], .H = x->dims[s->nchw ? 2 : 1], .W = x->dims[s->nchw ? 3 : 2],
               .C = x->dims[s->nchw ? 1 : 3], .kh = s->kh, .kw = s->kw, .sh = s->sh,
               .sw = s->sw};
    FRT_TRY(window_dim(op, g.H, g.kh, g.sh, s->padding, s->pt, s->pb, &g.OH, &g.pt));
    FRT_TRY(window_dim(op, g.W, g.kw, g.sw, s->padding, s->pl, s->pr, &g.OW, &g.pl));
    if (s->padding == PAD_EXPLICIT && (s->pt >= g.kh || s->pb >= g.kh || s->pl >= g.kw ||
                                       s->pr >= g.kw))
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: explicit padding must be smaller than the window", op);
    int64_t odims[4] = {g.N, g.OH, g.OW, g.C};
    if (s->nchw) {
        odims[1] = g.C;
        odims[2] = g.OH;
        odims[3] = g.OW;
    }
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, x->dtype, odims, 4, &out));
    if (out->n == 0) return NULL;
    int64_t rows = g.N * g.OH, per_row = g.OW * g.C * g.kh * g.kw;
    int64_t grain = per_row > 0 ? 16384 / per_row : rows;
    if (grain < 1) grain = 1;
    if (!s->nchw) {
        pool_job j = {.g = &g, .in = frt_tensor_data(x), .out = frt_tensor_data(out)};
        frt_kernel_parallel_for(ctx, rows, grain, fn, &j);
        return NULL;
    }
    size_t es = frt_dtype_size(x->dtype);
    char *xin = malloc((size_t)x->n * es), *xout = malloc((size_t)out->n * es);
    frt_status *st = NULL;
    if (!xin || !xout) {
        st = frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory for NCHW transpose", op);
    } else {
        transpose_planes(frt_tensor_data(x), xin, g.N, g.C, g.H * g.W, es);
        pool_job j = {.g = &g, .in = xin, .out = xout};
        frt_kernel_parallel_for(ctx, rows, grain, fn, &j);
        transpose_planes(xout, frt_tensor_data(out), g.N, g.OH * g.OW, g.C, es);
    }
    free(xin);
    free(xout);
    return st;
}

#define DEFINE_POOL_COMPUTE(KIND, DT, T)                                                    \
    static frt_status *KIND##_compute_##DT(frt_kernel_ctx *ctx) {                          \
        return pool_run(ctx, KIND##_##DT, frt_kernel_state(ctx));                          \
    }
FRT_REAL_TYPES(DEFINE_POOL_COMPUTE, maxpool)
FRT_FLOAT_TYPES(DEFINE_POOL_COMPUTE, avgpool)

/* MaxPoolV2: ksize and strides are int32 host-memory inputs 1 and 2. */
static frt_status *window_from_inputs(frt_kernel_ctx *ctx, pool_state *s) {
    int64_t k[4], st[4];
    for (int i = 1; i <= 2; i++) {
        const frt_tensor *t = frt_kernel_input(ctx, i);
        if (t->ndim != 1 || t->n != 4 ||
            (t->dtype != FRT_DTYPE_INT32 && t->dtype != FRT_DTYPE_INT64))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "MaxPoolV2: %s must be a vector of 4 ints, got %s %s",
                                  i == 1 ? "ksize" : "strides", frt_dtype_name(t->dtype),
                                  FRT_SHAPE_STR(t));
        for (int d = 0; d < 4; d++) (i == 1 ? k : st)[d] = frt_tensor_int_at(t, d);
    }
    return set_window(s, "MaxPoolV2", k, 4, st, 4);
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
