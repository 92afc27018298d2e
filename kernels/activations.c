/* kernels/activations.c: activation kernels on CPU — Relu, Relu6, Elu, Selu, LeakyRelu,
 * Sigmoid, Tanh, Softplus, Softsign (elementwise), Softmax and LogSoftmax (over the last
 * dim), and BiasAdd/BiasAddV1 (ops.md §2.2, §2.6).
 * Owns: TF's formulas for these ops, row reductions for softmax.
 * Does not own: plain unary math (cwise_unary.c), broadcasting binary ops (cwise_binary.c).
 * Thread-safety: kernels are stateless. */
#include <float.h>
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "kernels/cwise_impl.h"
#include "kernels/cwise_math.h"
#include "core/array_shapes.h"
#include "core/kernel.h"

#define GRAIN_CHEAP 32768
#define GRAIN_MATH 8192

static inline double exp_f64(double x) { return exp(x); }
static inline double tanh_f64(double x) { return tanh(x); }

/* ---- elementwise activations: <stem>_<DTYPE>(x, alpha) ------------------------------------
 * Relu and Relu6 keep NaN (TF: Relu(NaN) = NaN). */

#define SELU_SCALE 1.0507009873554804934193349852946
#define SELU_ALPHA 1.6732632423543772848170429916717

#define REAL_ACTS(DT, T)                                                                   \
    static inline T relu_##DT(T x, float al) { (void)al; return x < 0 ? (T)0 : x; }        \
    static inline T relu6_##DT(T x, float al) {                                            \
        (void)al;                                                                          \
        return x < 0 ? (T)0 : (x > 6 ? (T)6 : x);                                          \
    }
#define FLOAT_ACTS(DT, T, EXP, TANH, EPS)                                                  \
    static inline T elu_##DT(T x, float al) { (void)al; return x < 0 ? EXP(x) - 1 : x; }   \
    static inline T selu_##DT(T x, float al) {                                             \
        (void)al;                                                                          \
        return x < 0 ? (T)(SELU_SCALE * SELU_ALPHA) * (EXP(x) - 1) : (T)SELU_SCALE * x;    \
    }                                                                                      \
    static inline T leaky_##DT(T x, float al) { return x > 0 ? x : x * (T)al; }            \
    static inline T sigmoid_##DT(T x, float al) { (void)al; return 1 / (1 + EXP(-x)); }    \
    static inline T tanh_##DT(T x, float al) { (void)al; return TANH(x); }                 \
    static inline T softsign_##DT(T x, float al) { (void)al; return x / (1 + fabs(x)); }   \
    /* TF's Softplus: x when large, exp(x) when very negative, log1p(exp(x)) between;      \
     * the threshold is log(epsilon) + 2. */                                               \
    static inline T softplus_##DT(T x, float al) {                                         \
        (void)al;                                                                          \
        const T th = (T)(log(EPS) + 2);                                                    \
        return x > -th ? x : (x < th ? EXP(x) : log1p(EXP(x)));                            \
    }

REAL_ACTS(FLOAT, float)
REAL_ACTS(DOUBLE, double)
REAL_ACTS(INT32, int32_t)
REAL_ACTS(INT64, int64_t)
FLOAT_ACTS(FLOAT, float, frt_exp_f32, frt_tanh_f32, FLT_EPSILON)
FLOAT_ACTS(DOUBLE, double, exp_f64, tanh_f64, DBL_EPSILON)

typedef struct act_impl {
    frt_cwise_loop loop; /* param: alpha */
    frt_dtype dt;
    size_t size;
    int64_t grain;
    bool has_alpha; /* LeakyRelu's alpha attr (default 0.2) */
} act_impl;

static frt_status *check_one(frt_kernel_ctx *c, frt_dtype dt, int n_in) {
    if (c->n_inputs != n_in || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected %d input(s) and 1 output, got %d and %d",
                              n_in, c->n_inputs, c->n_outputs);
    for (int i = 0; i < n_in; i++)
        if (!c->inputs[i] || c->inputs[i]->dtype != dt)
            return frt_status_new(FRT_INVALID_ARGUMENT, "input %d: expected %s, got %s", i,
                                  frt_dtype_name(dt),
                                  c->inputs[i] ? frt_dtype_name(c->inputs[i]->dtype) : "none");
    return NULL;
}

static frt_status *act_run(frt_kernel_ctx *c, const act_impl *im) {
    FRT_TRY(check_one(c, im->dt, 1));
    const frt_tensor *x = c->inputs[0];
    float alpha = 0.2f;
    if (im->has_alpha) FRT_TRY(frt_attr_get_float(c->attrs, "alpha", 0.2f, &alpha));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, im->dt, x->dims, x->ndim, &y));
    frt_cwise_map(c, im->loop, x, y, im->size, im->size, im->grain, alpha);
    return NULL;
}

/* X(op, stem, grain, has_alpha, dtype list) */
#define ACT_OPS(X)                                                                         \
    X(Relu, relu, GRAIN_CHEAP, false, FRT_REAL_TYPES)                                      \
    X(Relu6, relu6, GRAIN_CHEAP, false, FRT_REAL_TYPES)                                    \
    X(Elu, elu, GRAIN_MATH, false, FRT_FLOAT_TYPES)                                        \
    X(Selu, selu, GRAIN_MATH, false, FRT_FLOAT_TYPES)                                      \
    X(LeakyRelu, leaky, GRAIN_CHEAP, true, FRT_FLOAT_TYPES)                                \
    X(Sigmoid, sigmoid, GRAIN_MATH, false, FRT_FLOAT_TYPES)                                \
    X(Tanh, tanh, GRAIN_MATH, false, FRT_FLOAT_TYPES)                                      \
    X(Softsign, softsign, GRAIN_CHEAP, false, FRT_FLOAT_TYPES)                             \
    X(Softplus, softplus, GRAIN_MATH, false, FRT_FLOAT_TYPES)

#define DEF_ACT(OP, STEM, GRAIN, ALPHA, DT, T)                                             \
    static void OP##_##DT##_loop(const void *xv, void *yv, int64_t n, float alpha) {       \
        const T *x = xv;                                                                   \
        T *y = yv;                                                                         \
        for (int64_t i = 0; i < n; i++) y[i] = STEM##_##DT(x[i], alpha);                   \
    }                                                                                      \
    static const act_impl OP##_##DT##_impl = {OP##_##DT##_loop, FRT_DTYPE_##DT, sizeof(T), \
                                              GRAIN, ALPHA};                               \
    static frt_status *OP##_##DT(frt_kernel_ctx *c) { return act_run(c, &OP##_##DT##_impl); }
#define DEF_ACT_OP(OP, STEM, GRAIN, ALPHA, TYPES) TYPES(DEF_ACT, OP, STEM, GRAIN, ALPHA)
ACT_OPS(DEF_ACT_OP)

/* ---- Softmax / LogSoftmax over the last dim ----------------------------------------------
 * Stable: m = max_j x_j, e_j = exp(x_j - m); softmax = e_j / Σe, log-softmax =
 * x_j - m - log(Σe). Reductions use LANES independent accumulators so they vectorise
 * without reassociation flags. */

#define LANES 16

/* Σ exp(x_j - m); when STORE (a literal 0/1, folded away) also y_j = exp(x_j - m), y may
 * alias x. */
#define ROW_EXP(DT, T, EXP, NAME, STORE)                                                   \
    static T row_##NAME##_##DT(const T *x, T *y, int64_t n, T m) {                         \
        T acc[LANES] = {0};                                                                \
        int64_t i = 0;                                                                     \
        for (; i + LANES <= n; i += LANES)                                                 \
            for (int k = 0; k < LANES; k++) {                                              \
                T e = EXP(x[i + k] - m);                                                   \
                if (STORE) y[i + k] = e;                                                   \
                acc[k] += e;                                                               \
            }                                                                              \
        T s = 0;                                                                           \
        for (int k = 0; k < LANES; k++) s += acc[k];                                       \
        for (; i < n; i++) {                                                               \
            T e = EXP(x[i] - m);                                                           \
            if (STORE) y[i] = e;                                                           \
            s += e;                                                                        \
        }                                                                                  \
        return s;                                                                          \
    }

#define DEF_SOFTMAX(DT, T, EXP)                                                            \
    static T row_max_##DT(const T *x, int64_t n) {                                         \
        T acc[LANES];                                                                      \
        for (int k = 0; k < LANES; k++) acc[k] = x[0];                                     \
        int64_t i = 0;                                                                     \
        for (; i + LANES <= n; i += LANES)                                                 \
            for (int k = 0; k < LANES; k++) acc[k] = x[i + k] > acc[k] ? x[i + k] : acc[k]; \
        T m = acc[0];                                                                      \
        for (int k = 1; k < LANES; k++) m = acc[k] > m ? acc[k] : m;                       \
        for (; i < n; i++) m = x[i] > m ? x[i] : m;                                        \
        return m;                                                                          \
    }                                                                                      \
    ROW_EXP(DT, T, EXP, exp_sum, 0)                                                        \
    ROW_EXP(DT, T, EXP, exp_store, 1)                                                      \
    static void softmax_rows_##DT(const void *xv, void *yv, int64_t d, int64_t r0,         \
                                  int64_t r1, bool log_sm) {                               \
        for (int64_t r = r0; r < r1; r++) {                                                \
            const T *x = (const T *)xv + r * d;                                            \
            T *y = (T *)yv + r * d;                                                        \
            T m = row_max_##DT(x, d);                                                      \
            if (log_sm) {                                                                  \
                T s = row_exp_sum_##DT(x, NULL, d, m);                                     \
                T ls = log(s); /* (x - m) - ls, as TF: m + ls would round away digits */   \
                for (int64_t i = 0; i < d; i++) y[i] = (x[i] - m) - ls;                    \
            } else {                                                                       \
                T inv = 1 / row_exp_store_##DT(x, y, d, m);                                  \
                for (int64_t i = 0; i < d; i++) y[i] *= inv;                               \
            }                                                                              \
        }                                                                                  \
    }
DEF_SOFTMAX(FLOAT, float, frt_exp_f32)
DEF_SOFTMAX(DOUBLE, double, exp_f64)

typedef struct softmax_job {
    void (*rows)(const void *x, void *y, int64_t d, int64_t r0, int64_t r1, bool log_sm);
    const void *x;
    void *y;
    int64_t d;
    bool log_sm;
} softmax_job;

static void softmax_range(void *arg, int64_t lo, int64_t hi) {
    const softmax_job *j = arg;
    j->rows(j->x, j->y, j->d, lo, hi, j->log_sm);
}

static frt_status *softmax_run(frt_kernel_ctx *c, frt_dtype dt, bool log_sm,
                               void (*rows)(const void *, void *, int64_t, int64_t, int64_t,
                                            bool)) {
    FRT_TRY(check_one(c, dt, 1));
    const frt_tensor *x = c->inputs[0];
    if (x->ndim < 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "logits must have >= 1 dimension, got %s",
                              FRT_SHAPE_STR(x));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, dt, x->dims, x->ndim, &y));
    int64_t d = x->dims[x->ndim - 1];
    if (x->n == 0) return NULL;
    softmax_job job = {rows, frt_tensor_data(x), frt_tensor_data(y), d, log_sm};
    int64_t grain = GRAIN_MATH / d > 0 ? GRAIN_MATH / d : 1;
    frt_kernel_parallel_for(c, x->n / d, grain, softmax_range, &job);
    return NULL;
}

static frt_status *Softmax_FLOAT(frt_kernel_ctx *c) {
    return softmax_run(c, FRT_DTYPE_FLOAT, false, softmax_rows_FLOAT);
}
static frt_status *Softmax_DOUBLE(frt_kernel_ctx *c) {
    return softmax_run(c, FRT_DTYPE_DOUBLE, false, softmax_rows_DOUBLE);
}
static frt_status *LogSoftmax_FLOAT(frt_kernel_ctx *c) {
    return softmax_run(c, FRT_DTYPE_FLOAT, true, softmax_rows_FLOAT);
}
static frt_status *LogSoftmax_DOUBLE(frt_kernel_ctx *c) {
    return softmax_run(c, FRT_DTYPE_DOUBLE, true, softmax_rows_DOUBLE);
}

/* ---- BiasAdd -------------------------------------------------------------------------------
 * value [..., C] + bias [C] (NHWC), or value [N, C, ...] + bias [C] per channel plane
 * (NCHW, rank >= 3; TF treats a 2-D NCHW input like NHWC). Output reuses value's buffer
 * when possible. Integers wrap. */

/* blocks of `inner` contiguous elements; block b gets bias[(b / outer_div) % C] for NCHW,
 * or inner == C and each block is one row for NHWC. */
typedef struct bias_job {
    void (*rows)(const struct bias_job *j, int64_t lo, int64_t hi);
    const char *x, *b;
    char *y;
    int64_t c, inner; /* NHWC: inner = 0 (rows of length c); NCHW: plane length */
} bias_job;

#define BIAS_REP 1024 /* elements of the repeated-bias buffer */

#define DEF_BIAS(DT, T, U)                                                                 \
    static void bias_rows_##DT(const bias_job *j, int64_t lo, int64_t hi) {                \
        const T *x = (const T *)j->x, *b = (const T *)j->b;                                \
        T *y = (T *)j->y;                                                                  \
        int64_t c = j->c;                                                                  \
        if (j->inner == 0) { /* NHWC: rows [lo, hi) of length c */                         \
            /* Short rows: add a bias repeated g times to g rows at once (long loops). */  \
            T rep[BIAS_REP];                                                               \
            int64_t g = c <= BIAS_REP / 4 ? BIAS_REP / c : 1;                              \
            if (g > hi - lo) g = hi - lo;                                                  \
            const T *bb = b;                                                               \
            if (g > 1) {                                                                   \
                for (int64_t q = 0; q < g * c; q++) rep[q] = b[q % c];                     \
                bb = rep;                                                                  \
            }                                                                              \
            int64_t r = lo, w = g * c;                                                     \
            for (; r + g <= hi; r += g) {                                                  \
                const T *xr = x + r * c;                                                   \
                T *yr = y + r * c;                                                         \
                for (int64_t k = 0; k < w; k++) yr[k] = (T)((U)xr[k] + (U)bb[k]);          \
            }                                                                              \
            for (; r < hi; r++) {                                                          \
                const T *xr = x + r * c;                                                   \
                T *yr = y + r * c;                                                         \
                for (int64_t k = 0; k < c; k++) yr[k] = (T)((U)xr[k] + (U)b[k]);           \
            }                                                                              \
        } else { /* NCHW: planes [lo, hi), plane p belongs to channel p % c */             \
            int64_t in = j->inner;                                                         \
            for (int64_t p = lo; p < hi; p++) {                                            \
                const T *xr = x + p * in;                                                  \
                T *yr = y + p * in;                                                        \
                const T bv = b[p % c];                                                     \
                for (int64_t k = 0; k < in; k++) yr[k] = (T)((U)xr[k] + (U)bv);            \
            }                                                                              \
        }                                                                                  \
    }
DEF_BIAS(FLOAT, float, float)
DEF_BIAS(DOUBLE, double, double)
DEF_BIAS(INT32, int32_t, uint32_t)
DEF_BIAS(INT64, int64_t, uint64_t)

static void bias_range(void *arg, int64_t lo, int64_t hi) {
    const bias_job *j = arg;
    j->rows(j, lo, hi);
}

static frt_status *bias_run(frt_kernel_ctx *c, frt_dtype dt,
                            void (*rows)(const bias_job *, int64_t, int64_t)) {
    FRT_TRY(check_one(c, dt, 2));
    const frt_tensor *x = c->inputs[0], *b = c->inputs[1];
    bool nchw;
    FRT_TRY(frt_shape_bias_add(c->attrs, x, b, &nchw));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, dt, x->dims, x->ndim, &y));
    if (x->n == 0) return NULL;
    int64_t ch = b->dims[0];
    bias_job job = {rows, frt_tensor_data(x), frt_tensor_data(b), frt_tensor_data(y), ch, 0};
    int64_t blocks, block_len;
    if (nchw) {
        job.inner = x->n / (x->dims[0] * ch);
        block_len = job.inner;
        blocks = x->dims[0] * ch;
    } else {
        block_len = ch;
        blocks = x->n / ch;
    }
    int64_t grain = GRAIN_CHEAP / block_len > 0 ? GRAIN_CHEAP / block_len : 1;
    frt_kernel_parallel_for(c, blocks, grain, bias_range, &job);
    return NULL;
}

#define DEF_BIAS_KERNEL(X, DT, T)                                                          \
    static frt_status *BiasAdd_##DT(frt_kernel_ctx *c) {                                   \
        return bias_run(c, FRT_DTYPE_##DT, bias_rows_##DT);                                \
    }
FRT_REAL_TYPES(DEF_BIAS_KERNEL, 0)

#define ROW(OP, STEM, GRAIN, ALPHA, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, OP##_##DT, NULL, NULL, 0, NULL},
#define ROWS(OP, STEM, GRAIN, ALPHA, TYPES) TYPES(ROW, OP, STEM, GRAIN, ALPHA)
#define BIAS_ROWS(OP, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, BiasAdd_##DT, NULL, NULL, 0, NULL},
static const frt_kernel_def defs[] = {
    ACT_OPS(ROWS)
    {"Softmax", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, Softmax_FLOAT, NULL, NULL, 0, NULL},
    {"Softmax", FRT_DEVICE_CPU, FRT_DTYPE_DOUBLE, Softmax_DOUBLE, NULL, NULL, 0, NULL},
    {"LogSoftmax", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, LogSoftmax_FLOAT, NULL, NULL, 0, NULL},
    {"LogSoftmax", FRT_DEVICE_CPU, FRT_DTYPE_DOUBLE, LogSoftmax_DOUBLE, NULL, NULL, 0, NULL},
    FRT_REAL_TYPES(BIAS_ROWS, BiasAdd)
    FRT_REAL_TYPES(BIAS_ROWS, BiasAddV1)
};

void frt_kernels_register_activations(frt_kernel_registry *r);
void frt_kernels_register_activations(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
