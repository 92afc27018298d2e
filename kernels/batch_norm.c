/* kernels/batch_norm.c: FusedBatchNorm, FusedBatchNormV2, FusedBatchNormV3 on the CPU (float).
 * Owns: per-channel affine y = x * a[c] + b[c] with a = scale * rsqrt(var + eps) and
 * b = offset - mean * a (inference; a/b precomputed in init when the four vectors are graph
 * constants), and batch statistics for is_training=true (TF's CPU semantics: biased variance
 * normalises, the batch_variance output is Bessel-corrected, exponential_avg_factor mixes in
 * the old running values). Does not own: attrs and input checks (core/batch_norm_attrs.c,
 * shared with cuda/dnn.c), unfused batch norm (plain arithmetic ops).
 * Outputs as TF's CPU kernel fills them: inference passes mean/variance through as
 * batch_mean/batch_variance and reserve_space_1/2; V3's reserve_space_3 is empty ([0]).
 * Threading: rows of x split over the session's pool. State is read-only in compute. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/batch_norm_attrs.h"
#include "core/kernel.h"

typedef struct bn_state {
    float epsilon, avg_factor;
    bool training;
    bool channels_first; /* NCHW / NCDHW */
    int64_t nconst;      /* > 0: a and b below were precomputed for this many channels */
    float *a, *b;
} bn_state;

static void bn_free(void *p) {
    bn_state *s = p;
    if (!s) return;
    free(s->a);
    free(s->b);
    free(s);
}

/* a[c], b[c] from the four vectors (each C floats). */
static void fold(const float *scale, const float *offset, const float *mean, const float *var,
                 float eps, int64_t C, float *a, float *b) {
    for (int64_t c = 0; c < C; c++) {
        /* TF computes scale * rsqrt(var + eps) in float. */
        a[c] = scale[c] * (1.0f / sqrtf(var[c] + eps));
        b[c] = offset[c] - mean[c] * a[c];
    }
}

static frt_status *bn_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    const frt_attrs *at = ic->attrs;
    bn_state s = {0};
    frt_bn_attrs ba;
    FRT_TRY(frt_bn_attrs_parse(ic->op, at, &ba));
    s.epsilon = ba.epsilon;
    s.avg_factor = ba.avg_factor;
    s.training = ba.training;
    s.channels_first = ba.channels_first;
    bn_state *p = frt_calloc(1, sizeof *p);
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
    *p = s;
    /* Constant vectors (the usual frozen inference graph): fold them once. */
    if (!s.training && ic->n_inputs >= 5 && ic->const_inputs) {
        const frt_tensor *const *v = ic->const_inputs;
        bool ok = true;
        for (int i = 1; i <= 4 && ok; i++)
            ok = v[i] && v[i]->dtype == FRT_DTYPE_FLOAT && v[i]->ndim == 1 &&
                 v[i]->dims[0] == v[1]->dims[0] && v[i]->n > 0;
        if (ok) {
            int64_t C = v[1]->dims[0];
            p->a = frt_malloc((size_t)C * sizeof(float));
            p->b = frt_malloc((size_t)C * sizeof(float));
            if (!p->a || !p->b) {
                bn_free(p);
                return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
            }
            fold(frt_tensor_f32(v[1]), frt_tensor_f32(v[2]), frt_tensor_f32(v[3]),
                 frt_tensor_f32(v[4]), s.epsilon, C, p->a, p->b);
            p->nconst = C;
        }
    }
    *state = p;
    return NULL;
}

typedef struct affine_job {
    const float *x, *a, *b;
    float *y;
    int64_t C, inner; /* channels-last: inner = 1; channels-first: inner = spatial size */
} affine_job;

/* Channels last: units are pixels, each C contiguous channels. */
static void affine_last(void *arg, int64_t lo, int64_t hi) {
    const affine_job *j = arg;
    int64_t C = j->C;
    for (int64_t p = lo; p < hi; p++) {
        const float *x = j->x + p * C;
        float *y = j->y + p * C;
        for (int64_t c = 0; c < C; c++) y[c] = fmaf(x[c], j->a[c], j->b[c]);
    }
}

/* Channels first: units are (n, c) planes of `inner` elements. */
static void affine_first(void *arg, int64_t lo, int64_t hi) {
    const affine_job *j = arg;
    for (int64_t p = lo; p < hi; p++) {
        float a = j->a[p % j->C], b = j->b[p % j->C];
        const float *x = j->x + p * j->inner;
        float *y = j->y + p * j->inner;
        for (int64_t i = 0; i < j->inner; i++) y[i] = fmaf(x[i], a, b);
    }
}

static void run_affine(frt_kernel_ctx *ctx, const bn_state *s, const float *x, float *y,
                       int64_t total, int64_t C, int64_t inner, const float *a, const float *b) {
    if (total == 0 || C == 0) return;
    affine_job j = {.x = x, .y = y, .a = a, .b = b, .C = C, .inner = inner};
    if (!s->channels_first)
        frt_kernel_parallel_for(ctx, total / C, 16384 / C + 1, affine_last, &j);
    else if (inner > 0)
        frt_kernel_parallel_for(ctx, total / inner, 16384 / inner + 1, affine_first, &j);
}

/* Per-channel biased mean and variance of x, in double for accuracy. */
static void batch_stats(const bn_state *s, const float *x, int64_t total, int64_t C,
                        int64_t inner, double *mu, double *var) {
    int64_t count = total / (C ? C : 1);
    for (int64_t c = 0; c < C; c++) mu[c] = var[c] = 0;
    for (int64_t i = 0; i < total; i++) {
        int64_t c = s->channels_first ? (i / inner) % C : i % C;
        mu[c] += x[i];
    }
    for (int64_t c = 0; c < C; c++) mu[c] /= (double)count; /* NaN when x is empty, like TF */
    for (int64_t i = 0; i < total; i++) {
        int64_t c = s->channels_first ? (i / inner) % C : i % C;
        double d = x[i] - mu[c];
        var[c] += d * d;
    }
    for (int64_t c = 0; c < C; c++) var[c] /= (double)count;
}

static frt_status *vec_output(frt_kernel_ctx *ctx, int i, int64_t C, const double *v) {
    if (i >= ctx->n_outputs) return NULL;
    frt_tensor *t;
    FRT_TRY(frt_kernel_output(ctx, i, FRT_DTYPE_FLOAT, &C, 1, &t));
    for (int64_t c = 0; c < C; c++) frt_tensor_f32(t)[c] = (float)v[c];
    return NULL;
}

static frt_status *batch_norm(frt_kernel_ctx *ctx) {
    const bn_state *s = frt_kernel_state(ctx);
    const char *op = ctx->def->op;
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    frt_bn_attrs ba = {.epsilon = s->epsilon, .avg_factor = s->avg_factor,
                       .training = s->training, .channels_first = s->channels_first};
    int64_t C;
    FRT_TRY(frt_bn_check_inputs(op, &ba, ctx->inputs, ctx->n_inputs, &C));
    frt_tensor *const *v = ctx->inputs;
    int64_t inner = 1;
    if (s->channels_first)
        for (int d = 2; d < x->ndim; d++) inner *= x->dims[d];
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(ctx, 0, 0, FRT_DTYPE_FLOAT, x->dims, x->ndim, &y));
    const float *xd = frt_tensor_f32(x);
    float *yd = frt_tensor_f32(y);
    frt_status *st = NULL;
    if (!s->training) {
        if (s->nconst == C) {
            run_affine(ctx, s, xd, yd, x->n, C, inner, s->a, s->b);
        } else {
            float *ab = frt_malloc((size_t)(2 * C + 1) * sizeof(float));
            if (!ab) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", op);
            fold(frt_tensor_f32(v[1]), frt_tensor_f32(v[2]), frt_tensor_f32(v[3]),
                 frt_tensor_f32(v[4]), s->epsilon, C, ab, ab + C);
            run_affine(ctx, s, xd, yd, x->n, C, inner, ab, ab + C);
            free(ab);
        }
        /* batch_mean, batch_variance, reserve_space_1, reserve_space_2: pass-through. */
        for (int i = 1; i <= 4 && i < ctx->n_outputs; i++)
            frt_kernel_set_output(ctx, i, (frt_tensor *)v[i % 2 ? 3 : 4]);
    } else {
        double *buf = frt_malloc((size_t)(C ? C : 1) * 4 * sizeof(double));
        float *ab = frt_malloc((size_t)(2 * C + 1) * sizeof(float));
        if (!buf || !ab) {
            free(buf);
            free(ab);
            return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", op);
        }
        double *mu = buf, *var = buf + C, *run_mu = buf + 2 * C, *run_var = buf + 3 * C;
        batch_stats(s, xd, x->n, C, inner, mu, var);
        const float *scale = frt_tensor_f32(v[1]), *offset = frt_tensor_f32(v[2]);
        for (int64_t c = 0; c < C; c++) {
            float a = scale[c] * (1.0f / sqrtf((float)var[c] + s->epsilon));
            ab[c] = a;
            ab[C + c] = offset[c] - (float)mu[c] * a;
        }
        run_affine(ctx, s, xd, yd, x->n, C, inner, ab, ab + C);
        int64_t count = C ? x->n / C : 0;
        double bessel = count > 1 ? (double)count / (double)(count - 1) : 1.0;
        double f = s->avg_factor;
        bool mix = f != 1.0 && v[3]->n == C && v[4]->n == C;
        for (int64_t c = 0; c < C; c++) {
            run_mu[c] = mu[c];
            run_var[c] = var[c] * bessel;
            if (mix) {
                run_mu[c] = (1 - f) * frt_tensor_f32(v[3])[c] + f * run_mu[c];
                run_var[c] = (1 - f) * frt_tensor_f32(v[4])[c] + f * run_var[c];
            }
        }
        st = vec_output(ctx, 1, C, run_mu);
        if (!st) st = vec_output(ctx, 2, C, run_var);
        if (!st) st = vec_output(ctx, 3, C, mu);
        if (!st) st = vec_output(ctx, 4, C, var);
        free(buf);
        free(ab);
    }
    if (!st && ctx->n_outputs > 5) { /* V3 reserve_space_3: empty, as TF's CPU kernel */
        frt_tensor *r3;
        st = frt_kernel_output(ctx, 5, FRT_DTYPE_FLOAT, (int64_t[]){0}, 1, &r3);
    }
    return st;
}

static const frt_kernel_def defs[] = {
    {"FusedBatchNorm", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, batch_norm, bn_init, bn_free, 0, NULL},
    {"FusedBatchNormV2", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, batch_norm, bn_init, bn_free, 0, NULL},
    {"FusedBatchNormV3", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, batch_norm, bn_init, bn_free, 0, NULL},
};

void frt_kernels_register_batch_norm(frt_kernel_registry *r);
void frt_kernels_register_batch_norm(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
