/* kernels/reduce.c: Sum, Mean, Max, Min, Prod (float, double, int32, int64), All, Any
 * (bool), ArgMax, ArgMin (float, double, int32, int64; output_type int64 default or int32).
 * Owns: axis validation (TF's messages, duplicates are an error as in TF 2.21), collapsing
 * the input into alternating kept/reduced dim groups, and two vectorisable passes that
 * cover every case: "inner" (reduce the contiguous last group, 8 independent lanes) and
 * "mid" ([K1, R, K2] -> [K1, K2], accumulating whole K2 rows, which makes Mean over H,W of
 * NHWC a streaming pass). Several reduced groups take several passes through scratch.
 * Accumulation: in the element type, as TF/Eigen does for float32 (so float sums are float
 * sums, in a lane-wise order close to Eigen's packet order); integer sums wrap like TF's.
 * Max/Min propagate NaN (TF 2.21 does). Mean of an empty float reduction is NaN (0/0); of
 * an empty integer reduction 0 (TF would divide by zero).
 * Does not own: Softmax, cumulative ops. Thread-safety: kernels keep no state. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

/* ---- axis handling and collapsing ---- */

typedef struct red_plan {
    int ng;                      /* collapsed groups (all of size >= 2) */
    int64_t g[FRT_MAX_DIMS];
    bool red[FRT_MAX_DIMS];
    int64_t out_dims[FRT_MAX_DIMS];
    int out_nd;
    int64_t count;               /* elements reduced into each output */
} red_plan;

static frt_status *plan_reduction(frt_kernel_ctx *c, red_plan *p) {
    const frt_tensor *x = c->inputs[0], *at = c->inputs[1];
    bool keep, red[FRT_MAX_DIMS] = {false};
    FRT_TRY(frt_shape_reduce_axes(x, at, c->attrs, red, &keep));
    p->out_nd = 0;
    p->count = 1;
    p->ng = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (red[d]) {
            p->count *= x->dims[d];
            if (keep) p->out_dims[p->out_nd++] = 1;
        } else {
            p->out_dims[p->out_nd++] = x->dims[d];
        }
        if (x->dims[d] == 1) continue;
        if (p->ng > 0 && p->red[p->ng - 1] == red[d]) {
            p->g[p->ng - 1] *= x->dims[d];
        } else {
            p->g[p->ng] = x->dims[d];
            p->red[p->ng] = red[d];
            p->ng++;
        }
    }
    return NULL;
}

typedef struct red_fns {
    frt_range_fn inner;   /* job: inner_job */
    frt_range_fn mid;     /* job: mid_job */
    void (*init)(void *out, int64_t n);
    void (*finish)(void *out, int64_t n, int64_t count); /* Mean: divide; else NULL */
    size_t es;
} red_fns;

typedef struct inner_job {
    const void *in;
    void *out;
    int64_t R;
} inner_job;

#define MID_CHUNK 256
typedef struct mid_job {
    const void *in;
    void *out;
    int64_t R, K2, chunks;  /* work unit = (k1, chunk of K2) */
} mid_job;

static frt_status *reduce_run(frt_kernel_ctx *c, const red_fns *f) {
    const frt_tensor *x = c->inputs[0];
    red_plan p;
    FRT_TRY(plan_reduction(c, &p));
    frt_tensor *y;
    int64_t on = frt_shape_num_elements(p.out_dims, p.out_nd);
    bool any_red = false;
    for (int i = 0; i < p.ng; i++) any_red |= p.red[i];
    if (on > 0 && p.count > 0 && !any_red) /* only size-1 dims reduced: same values */
        return frt_array_set_view(c, 0, x, p.out_dims, p.out_nd);
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, p.out_dims, p.out_nd, &y));
    if (on == 0) return NULL;
    if (p.count == 0) {
        f->init(frt_tensor_data(y), on);
        if (f->finish) f->finish(frt_tensor_data(y), on, 0);
        return NULL;
    }
    const void *cur = frt_tensor_data(x);
    bool parallel = (size_t)x->n * f->es >= FRT_ARRAY_PARALLEL_BYTES;
    for (;;) {
        int last_red = -1, nred = 0;
        for (int i = 0; i < p.ng; i++)
            if (p.red[i]) {
                last_red = i;
                nred++;
            }
        if (nred == 0) break;
        int64_t K1 = 1, K2 = 1, R = p.g[last_red];
        for (int i = 0; i < last_red; i++) K1 *= p.g[i];
        for (int i = last_red + 1; i < p.ng; i++) K2 *= p.g[i];
        void *dst; /* partial results live until compute returns: their sizes shrink */
        if (nred == 1) dst = frt_tensor_data(y);
        else FRT_TRY(frt_kernel_temp_alloc(c, (size_t)(K1 * K2) * f->es, &dst));
        if (K2 == 1) {
            inner_job j = {cur, dst, R};
            if (parallel)
                frt_kernel_parallel_for(c, K1, FRT_ARRAY_PARALLEL_BYTES / (R * (int64_t)f->es) + 1,
                                        f->inner, &j);
            else
                f->inner(&j, 0, K1);
        } else {
            mid_job j = {cur, dst, R, K2, (K2 + MID_CHUNK - 1) / MID_CHUNK};
            if (parallel)
                frt_kernel_parallel_for(c, K1 * j.chunks, 1, f->mid, &j);
            else
                f->mid(&j, 0, K1 * j.chunks);
        }
        cur = dst;
        /* Drop the reduced group; merge its kept neighbours. */
        int ng = 0;
        for (int i = 0; i < p.ng; i++) {
            if (i == last_red) continue;
            if (ng > 0 && !p.red[ng - 1] && !p.red[i]) {
                p.g[ng - 1] *= p.g[i];
                continue;
            }
            p.g[ng] = p.g[i];
            p.red[ng] = p.red[i];
            ng++;
        }
        p.ng = ng;
    }
    if (f->finish) f->finish(frt_tensor_data(y), on, p.count);
    return NULL;
}

/* ---- per (op, dtype) loops ---- */

#define LANES 8

/* COMBINE(acc, v) must be an expression; INIT the identity. */
#define DEFINE_REDUCER(OP, DT, T, INIT, COMBINE)                                            \
    static void OP##_##DT##_init(void *out, int64_t n) {                                    \
        T *o = out;                                                                         \
        for (int64_t i = 0; i < n; i++) o[i] = (INIT);                                      \
    }                                                                                       \
    static void OP##_##DT##_inner(void *arg, int64_t lo, int64_t hi) {                      \
        const inner_job *j = arg;                                                           \
        const T *in = j->in;                                                                \
        T *out = j->out;                                                                    \
        int64_t R = j->R;                                                                   \
        for (int64_t r = lo; r < hi; r++) {                                                 \
            const T *p = in + r * R;                                                        \
            T lane[LANES];                                                                  \
            for (int l = 0; l < LANES; l++) lane[l] = (INIT);                               \
            int64_t i = 0;                                                                  \
            for (; i + LANES <= R; i += LANES)                                              \
                for (int l = 0; l < LANES; l++) {                                           \
                    T acc = lane[l], v = p[i + l];                                          \
                    lane[l] = (COMBINE);                                                    \
                }                                                                           \
            T acc = (INIT);                                                                 \
            for (int l = 0; l < LANES; l++) {                                               \
                T v = lane[l];                                                              \
                acc = (COMBINE);                                                            \
            }                                                                               \
            for (; i < R; i++) {                                                            \
                T v = p[i];                                                                 \
                acc = (COMBINE);                                                            \
            }                                                                               \
            out[r] = acc;                                                                   \
        }                                                                                   \
    }                                                                                       \
    static void OP##_##DT##_mid(void *arg, int64_t lo, int64_t hi) {                        \
        const mid_job *j = arg;                                                             \
        const T *in = j->in;                                                                \
        T *out = j->out;                                                                    \
        for (int64_t w = lo; w < hi; w++) {                                                 \
            int64_t k1 = w / j->chunks, c0 = (w % j->chunks) * MID_CHUNK;                   \
            int64_t c1 = c0 + MID_CHUNK < j->K2 ? c0 + MID_CHUNK : j->K2;                   \
            T *o = out + k1 * j->K2;                                                        \
            for (int64_t k = c0; k < c1; k++) o[k] = (INIT);                                \
            for (int64_t r = 0; r < j->R; r++) {                                            \
                const T *p = in + (k1 * j->R + r) * j->K2;                                  \
                for (int64_t k = c0; k < c1; k++) {                                         \
                    T acc = o[k], v = p[k];                                                 \
                    o[k] = (COMBINE);                                                       \
                }                                                                           \
            }                                                                               \
        }                                                                                   \
    }

/* Integer + and * wrap (two's complement), done in unsigned arithmetic to stay defined. */
#define ADD_F(T) (acc + v)
#define MUL_F(T) (acc * v)
#define ADD_I(T, U) ((T)((U)acc + (U)v))
#define MUL_I(T, U) ((T)((U)acc * (U)v))
#define MAX_C ((v > acc || v != v) ? v : acc)
#define MIN_C ((v < acc || v != v) ? v : acc)

#define FLOAT_REDUCERS(DT, T, LOW, HIGH)                                                    \
    DEFINE_REDUCER(Sum, DT, T, 0, ADD_F(T))                                                 \
    DEFINE_REDUCER(Prod, DT, T, 1, MUL_F(T))                                                \
    DEFINE_REDUCER(Max, DT, T, LOW, MAX_C)                                                  \
    DEFINE_REDUCER(Min, DT, T, HIGH, MIN_C)
#define INT_REDUCERS(DT, T, U, LOW, HIGH)                                                   \
    DEFINE_REDUCER(Sum, DT, T, 0, ADD_I(T, U))                                              \
    DEFINE_REDUCER(Prod, DT, T, 1, MUL_I(T, U))                                             \
    DEFINE_REDUCER(Max, DT, T, LOW, MAX_C)                                                  \
    DEFINE_REDUCER(Min, DT, T, HIGH, MIN_C)

FLOAT_REDUCERS(FLOAT, float, -INFINITY, INFINITY)
FLOAT_REDUCERS(DOUBLE, double, -INFINITY, INFINITY)
INT_REDUCERS(INT32, int32_t, uint32_t, INT32_MIN, INT32_MAX)
INT_REDUCERS(INT64, int64_t, uint64_t, INT64_MIN, INT64_MAX)
DEFINE_REDUCER(All, BOOL, uint8_t, 1, (uint8_t)(acc && v))
DEFINE_REDUCER(Any, BOOL, uint8_t, 0, (uint8_t)(acc || v))

/* Mean = Sum, then divide by the count: float division for floats (0/0 = NaN when empty),
 * truncating integer division for integers. */
#define DEFINE_MEAN_FINISH(DT, T)                                                           \
    static void Mean_##DT##_finish(void *out, int64_t n, int64_t count) {                   \
        T *o = out;                                                                         \
        if (count == 0 && (T)0.5 == 0) return;                                              \
        for (int64_t i = 0; i < n; i++) o[i] = (T)(o[i] / (T)count);                        \
    }
DEFINE_MEAN_FINISH(FLOAT, float)
DEFINE_MEAN_FINISH(DOUBLE, double)
DEFINE_MEAN_FINISH(INT32, int32_t)
DEFINE_MEAN_FINISH(INT64, int64_t)

#define FNS(OP, DT, T)                                                                      \
    static const red_fns OP##_##DT##_fns = {OP##_##DT##_inner, OP##_##DT##_mid,             \
                                            OP##_##DT##_init, NULL, sizeof(T)};             \
    static frt_status *OP##_##DT(frt_kernel_ctx *c) { return reduce_run(c, &OP##_##DT##_fns); }
#define MEAN_FNS(DT, T)                                                                     \
    static const red_fns Mean_##DT##_fns = {Sum_##DT##_inner, Sum_##DT##_mid,               \
                                            Sum_##DT##_init, Mean_##DT##_finish, sizeof(T)}; \
    static frt_status *Mean_##DT(frt_kernel_ctx *c) { return reduce_run(c, &Mean_##DT##_fns); }
#define ALL_FNS(X, DT, T) FNS(Sum, DT, T) FNS(Prod, DT, T) FNS(Max, DT, T) FNS(Min, DT, T) \
    MEAN_FNS(DT, T)
FRT_REAL_TYPES(ALL_FNS, _)
FNS(All, BOOL, uint8_t)
FNS(Any, BOOL, uint8_t)

/* All/Any have no "T" attr (their input is always bool): registered for any dtype, checked. */
static frt_status *logical_reduce(frt_kernel_ctx *c, frt_kernel_fn fn) {
    if (c->inputs[0]->dtype != FRT_DTYPE_BOOL)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input must be bool, got %s",
                              frt_dtype_name(c->inputs[0]->dtype));
    return fn(c);
}
static frt_status *all_compute(frt_kernel_ctx *c) { return logical_reduce(c, All_BOOL); }
static frt_status *any_compute(frt_kernel_ctx *c) { return logical_reduce(c, Any_BOOL); }

/* ---- ArgMax / ArgMin: ties -> lowest index; NaN never wins (TF 2.21 on CPU). ---- */

#define DEFINE_ARG(OP, CMP, DT, T, INIT)                                                    \
    static void OP##_##DT##_scan(const T *in, int64_t outer, int64_t D, int64_t inner,      \
                                 int64_t *idx, T *best) {                                   \
        for (int64_t o = 0; o < outer; o++) {                                               \
            int64_t *ix = idx + o * inner;                                                  \
            for (int64_t k = 0; k < inner; k++) {                                           \
                ix[k] = 0;                                                                  \
                best[k] = (INIT);                                                           \
            }                                                                               \
            for (int64_t d = 0; d < D; d++) {                                               \
                const T *p = in + (o * D + d) * inner;                                      \
                for (int64_t k = 0; k < inner; k++)                                         \
                    if (p[k] CMP best[k]) {                                                 \
                        best[k] = p[k];                                                     \
                        ix[k] = d;                                                          \
                    }                                                                       \
            }                                                                               \
        }                                                                                   \
    }                                                                                       \
    static frt_status *OP##_##DT(frt_kernel_ctx *c) {                                       \
        int64_t outer, D, inner;                                                            \
        frt_tensor *y;                                                                      \
        FRT_TRY(arg_prepare(c, &outer, &D, &inner, &y));                                    \
        if (y->n == 0) return NULL;                                                         \
        int64_t *idx;                                                                       \
        T *best;                                                                            \
        FRT_TRY(frt_kernel_temp_alloc(c, sizeof(int64_t) * (size_t)y->n, (void **)&idx));   \
        FRT_TRY(frt_kernel_temp_alloc(c, sizeof(T) * (size_t)inner, (void **)&best));       \
        OP##_##DT##_scan(frt_tensor_data(c->inputs[0]), outer, D, inner, idx, best);        \
        arg_store(y, idx);                                                                  \
        return NULL;                                                                        \
    }

static frt_status *arg_prepare(frt_kernel_ctx *c, int64_t *outer, int64_t *D, int64_t *inner,
                               frt_tensor **y) {
    const frt_tensor *x = c->inputs[0], *dt = c->inputs[1];
    FRT_TRY(frt_array_check_index(dt, "dimension"));
    if (dt->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "dim must be a scalar, but received tensor of "
                              "shape: %s", FRT_SHAPE_STR(dt));
    frt_dtype ot;
    FRT_TRY(frt_attr_get_type(c->attrs, "output_type", FRT_DTYPE_INT64, &ot));
    if (ot != FRT_DTYPE_INT32 && ot != FRT_DTYPE_INT64)
        return frt_status_new(FRT_UNIMPLEMENTED, "output_type %s not supported",
                              frt_dtype_name(ot));
    int64_t a = frt_tensor_int_at(dt, 0);
    int r = x->ndim;
    if (a < -r || a >= r || r == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Expected dimension in the range [%d, %d), but got %lld", -r, r,
                              (long long)a);
    int axis = (int)(a < 0 ? a + r : a);
    if (x->dims[axis] == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Reduction axis %lld is empty in shape %s",
                              (long long)a, FRT_SHAPE_STR(x));
    int64_t dims[FRT_MAX_DIMS];
    *outer = 1;
    *inner = 1;
    for (int d = 0, k = 0; d < r; d++) {
        if (d < axis) *outer *= x->dims[d];
        if (d > axis) *inner *= x->dims[d];
        if (d != axis) dims[k++] = x->dims[d];
    }
    *D = x->dims[axis];
    return frt_kernel_output(c, 0, ot, dims, r - 1, y);
}

static void arg_store(frt_tensor *y, const int64_t *idx) {
    if (y->dtype == FRT_DTYPE_INT64)
        memcpy(frt_tensor_data(y), idx, sizeof(int64_t) * (size_t)y->n);
    else
        for (int64_t i = 0; i < y->n; i++) frt_tensor_i32(y)[i] = (int32_t)idx[i];
}

#define ARGS(X, DT, T, LOW, HIGH) DEFINE_ARG(ArgMax, >, DT, T, LOW) DEFINE_ARG(ArgMin, <, DT, T, HIGH)
ARGS(_, FLOAT, float, -INFINITY, INFINITY)
ARGS(_, DOUBLE, double, -INFINITY, INFINITY)
ARGS(_, INT32, int32_t, INT32_MIN, INT32_MAX)
ARGS(_, INT64, int64_t, INT64_MIN, INT64_MAX)

#define CPU FRT_DEVICE_CPU
#define ROWS(X, DT, T)                                                                      \
    {"Sum", CPU, FRT_DTYPE_##DT, Sum_##DT, NULL, NULL, 2u, NULL},                           \
    {"Prod", CPU, FRT_DTYPE_##DT, Prod_##DT, NULL, NULL, 2u, NULL},                         \
    {"Max", CPU, FRT_DTYPE_##DT, Max_##DT, NULL, NULL, 2u, NULL},                           \
    {"Min", CPU, FRT_DTYPE_##DT, Min_##DT, NULL, NULL, 2u, NULL},                           \
    {"Mean", CPU, FRT_DTYPE_##DT, Mean_##DT, NULL, NULL, 2u, NULL},                         \
    {"ArgMax", CPU, FRT_DTYPE_##DT, ArgMax_##DT, NULL, NULL, 2u, NULL},                     \
    {"ArgMin", CPU, FRT_DTYPE_##DT, ArgMin_##DT, NULL, NULL, 2u, NULL},

static const frt_kernel_def defs[] = {
    FRT_REAL_TYPES(ROWS, _)
    {"All", CPU, FRT_DTYPE_INVALID, all_compute, NULL, NULL, 2u, NULL},
    {"Any", CPU, FRT_DTYPE_INVALID, any_compute, NULL, NULL, 2u, NULL},
};

void frt_kernels_register_reduce(frt_kernel_registry *r);
void frt_kernels_register_reduce(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
