/* kernels/cwise_unary.c: elementwise unary math on CPU — Neg, Abs, Square, Sign, Sqrt, Rsqrt,
 * Reciprocal/Inv, Exp, Expm1, Log, Log1p, Erf, Sin, Cos, Floor, Ceil, Round, Rint,
 * IsNan/IsInf/IsFinite (→ bool) and LogicalNot (ops.md §2.7).
 * Owns: per-element semantics and unary_run (input check, in-place output). Does not own:
 * the chunked thread split (cwise_impl.h, shared with activations.c), activations
 * (activations.c), Cast (cast.c).
 * Thread-safety: kernels are stateless. */
#include <math.h>
#include <tgmath.h>

#include "kernels/cwise_impl.h"
#include "kernels/cwise_math.h"
#include "core/kernel.h"

/* Elements per parallel chunk for cheap ops; libm calls cost ~10x more per element. */
#define GRAIN_CHEAP 32768
#define GRAIN_MATH 4096

/* ---- per-element semantics: <stem>_<DTYPE> ------------------------------------------------ */

#define FLOAT_ELEMS(DT, T, EXP, ERF)                                                               \
    static inline T neg_##DT(T a) { return -a; }                                           \
    static inline T abs_##DT(T a) { return fabs(a); }                                      \
    static inline T square_##DT(T a) { return a * a; }                                     \
    /* TF: Sign(NaN) = NaN, Sign(±0) = ±0. */                                              \
    static inline T sign_##DT(T a) { return a > 0 ? (T)1 : (a < 0 ? (T)-1 : a); }          \
    static inline T sqrt_##DT(T a) { return sqrt(a); }                                     \
    static inline T rsqrt_##DT(T a) { return (T)1 / sqrt(a); }                             \
    static inline T recip_##DT(T a) { return (T)1 / a; }                                   \
    static inline T exp_##DT(T a) { return EXP(a); }                                       \
    static inline T expm1_##DT(T a) { return expm1(a); }                                   \
    static inline T log_##DT(T a) { return log(a); }                                       \
    static inline T log1p_##DT(T a) { return log1p(a); }                                   \
    static inline T erf_##DT(T a) { return ERF(a); }                                       \
    static inline T sin_##DT(T a) { return sin(a); }                                       \
    static inline T cos_##DT(T a) { return cos(a); }                                       \
    static inline T floor_##DT(T a) { return floor(a); }                                   \
    static inline T ceil_##DT(T a) { return ceil(a); }                                     \
    /* TF rounds half to even (scalar_round_half_to_even_op); rint does that in the        \
     * default rounding mode. */                                                           \
    static inline T round_##DT(T a) { return rint(a); }                                    \
    static inline uint8_t isnan_##DT(T a) { return a != a; }                               \
    static inline uint8_t isinf_##DT(T a) { return isinf(a) != 0; }                        \
    static inline uint8_t isfinite_##DT(T a) { return isfinite(a) != 0; }

/* Integers wrap through the unsigned type (Neg/Abs of MIN give MIN, as in TF). */
#define INT_ELEMS(DT, T, U)                                                                \
    static inline T neg_##DT(T a) { return (T)((U)0 - (U)a); }                             \
    static inline T abs_##DT(T a) { return a < 0 ? (T)((U)0 - (U)a) : a; }                 \
    static inline T square_##DT(T a) { return (T)((U)a * (U)a); }                          \
    static inline T sign_##DT(T a) { return (T)((a > 0) - (a < 0)); }                      \
    static inline T round_##DT(T a) { return a; }

/* float Exp and Erf: the vectorisable versions (the algorithms of Eigen, which TF uses). */
FLOAT_ELEMS(FLOAT, float, frt_exp_f32, frt_erf_f32)
FLOAT_ELEMS(DOUBLE, double, exp, erf)
INT_ELEMS(INT32, int32_t, uint32_t)
INT_ELEMS(INT64, int64_t, uint64_t)
static inline uint8_t not_BOOL(uint8_t a) { return a == 0; }

/* ---- the shared driver ------------------------------------------------------------------- */

typedef struct unary_impl {
    frt_cwise_loop loop; /* param unused */
    frt_dtype in, out;
    size_t in_size, out_size;
    int64_t grain;
} unary_impl;

static frt_status *unary_run(frt_kernel_ctx *c, const unary_impl *im) {
    if (c->n_inputs != 1 || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected 1 input and 1 output, got %d and %d",
                              c->n_inputs, c->n_outputs);
    const frt_tensor *x = c->inputs[0];
    if (!x || x->dtype != im->in)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected a %s input, got %s",
                              frt_dtype_name(im->in), x ? frt_dtype_name(x->dtype) : "none");
    frt_tensor *y;
    if (im->out == im->in)
        FRT_TRY(frt_kernel_forward_input(c, 0, 0, im->out, x->dims, x->ndim, &y));
    else
        FRT_TRY(frt_kernel_output(c, 0, im->out, x->dims, x->ndim, &y));
    frt_cwise_map(c, im->loop, x, y, im->in_size, im->out_size, im->grain, 0.0f);
    return NULL;
}

/* ---- the op table: X(op, element stem, output kind, grain, dtype list) ------------------- */

#define OUT_SAME(T) T
#define OUT_BOOL(T) uint8_t
#define ODT_SAME(DT) FRT_DTYPE_##DT
#define ODT_BOOL(DT) FRT_DTYPE_BOOL

#define UNARY_OPS(X)                                                                       \
    X(Neg, neg, SAME, GRAIN_CHEAP, FRT_REAL_TYPES)                                         \
    X(Abs, abs, SAME, GRAIN_CHEAP, FRT_REAL_TYPES)                                         \
    X(Square, square, SAME, GRAIN_CHEAP, FRT_REAL_TYPES)                                   \
    X(Sign, sign, SAME, GRAIN_CHEAP, FRT_REAL_TYPES)                                       \
    X(Round, round, SAME, GRAIN_CHEAP, FRT_REAL_TYPES)                                     \
    X(Rint, round, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                     \
    X(Floor, floor, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                    \
    X(Ceil, ceil, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                      \
    X(Sqrt, sqrt, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                      \
    X(Rsqrt, rsqrt, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                    \
    X(Reciprocal, recip, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                               \
    X(Inv, recip, SAME, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                      \
    X(Exp, exp, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                         \
    X(Expm1, expm1, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                     \
    X(Log, log, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                         \
    X(Log1p, log1p, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                     \
    X(Erf, erf, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                         \
    X(Sin, sin, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                         \
    X(Cos, cos, SAME, GRAIN_MATH, FRT_FLOAT_TYPES)                                         \
    X(IsNan, isnan, BOOL, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                    \
    X(IsInf, isinf, BOOL, GRAIN_CHEAP, FRT_FLOAT_TYPES)                                    \
    X(IsFinite, isfinite, BOOL, GRAIN_CHEAP, FRT_FLOAT_TYPES)

#define DEF_KERNEL(OP, STEM, OUT, GRAIN, DT, T)                                            \
    static void OP##_##DT##_loop(const void *xv, void *yv, int64_t n, float unused) {      \
        (void)unused;                                                                      \
        const T *x = xv;                                                                   \
        OUT_##OUT(T) *y = yv;                                                              \
        for (int64_t i = 0; i < n; i++) y[i] = STEM##_##DT(x[i]);                          \
    }                                                                                      \
    static const unary_impl OP##_##DT##_impl = {OP##_##DT##_loop, FRT_DTYPE_##DT,          \
                                                 ODT_##OUT(DT), sizeof(T),                 \
                                                 sizeof(OUT_##OUT(T)), GRAIN};             \
    static frt_status *OP##_##DT(frt_kernel_ctx *c) { return unary_run(c, &OP##_##DT##_impl); }

#define DEF_OP(OP, STEM, OUT, GRAIN, TYPES) TYPES(DEF_KERNEL, OP, STEM, OUT, GRAIN)
UNARY_OPS(DEF_OP)
/* LogicalNot has no type attr: bool only. */
DEF_KERNEL(LogicalNot, not, SAME, GRAIN_CHEAP, BOOL, uint8_t)

#define ROW(OP, STEM, OUT, GRAIN, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, OP##_##DT, NULL, NULL, 0, NULL},
#define ROWS(OP, STEM, OUT, GRAIN, TYPES) TYPES(ROW, OP, STEM, OUT, GRAIN)
static const frt_kernel_def defs[] = {
    UNARY_OPS(ROWS)
    {"LogicalNot", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, LogicalNot_BOOL, NULL, NULL, 0, NULL},
};

void frt_kernels_register_cwise_unary(frt_kernel_registry *r);
void frt_kernels_register_cwise_unary(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
