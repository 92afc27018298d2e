/* kernels/cwise_binary.c: broadcasting elementwise binary ops on CPU — arithmetic (Add, AddV2,
 * Sub, Mul, Div, RealDiv, DivNoNan, TruncateDiv, TruncateMod, FloorDiv, FloorMod, Maximum,
 * Minimum, SquaredDifference, Pow), comparisons (Equal, NotEqual, Less, LessEqual, Greater,
 * GreaterEqual → bool) and LogicalAnd/LogicalOr.
 * Owns: per-element semantics (TF's, see ops.md §2.8) and the shared driver binary_run (shape
 * check, in-place output, fast paths, thread split). Does not own: broadcast indexing
 * (core/shape.c), BiasAdd (activations.c), SelectV2.
 * Thread-safety: kernels are stateless. */
#include <math.h>
#include <string.h>
#include <tgmath.h>

#include "core/kernel.h"
#include "core/shape.h"

/* Elements per parallel chunk: big enough that a chunk costs far more than a wake-up. */
#define GRAIN 32768

/* ---- per-element semantics --------------------------------------------------------------
 * Each op is a static inline function named <stem>_<DTYPE>; the loop generator below
 * inlines it into three tight loops. Signed integer arithmetic wraps through the unsigned
 * type (what TF's Eigen code does in practice; signed overflow would be UB in C). */

#define FLOAT_ELEMS(DT, T)                                                                 \
    static inline T add_##DT(T a, T b) { return a + b; }                                   \
    static inline T sub_##DT(T a, T b) { return a - b; }                                   \
    static inline T mul_##DT(T a, T b) { return a * b; }                                   \
    static inline T div_##DT(T a, T b) { return a / b; }                                   \
    static inline T divnonan_##DT(T a, T b) { return b == 0 ? (T)0 : a / b; }             \
    /* TF's floor division of reals: floor(x / y). */                                      \
    static inline T floordiv_##DT(T a, T b) { return floor(a / b); }                       \
    /* TF's google_floor_fmod: fmod, moved onto the divisor's side. */                     \
    static inline T floormod_##DT(T a, T b) {                                              \
        T r = fmod(a, b);                                                                  \
        return (r != 0 && ((b < 0) != (r < 0))) ? r + b : r;                               \
    }                                                                                      \
    static inline T truncmod_##DT(T a, T b) { return fmod(a, b); }                         \
    /* TF's Maximum/Minimum propagate NaN from either side. */                             \
    static inline T max_##DT(T a, T b) { return a != a ? a : (b != b ? b : (a > b ? a : b)); } \
    static inline T min_##DT(T a, T b) { return a != a ? a : (b != b ? b : (a < b ? a : b)); } \
    static inline T sqdiff_##DT(T a, T b) { return (a - b) * (a - b); }                    \
    static inline T pow_##DT(T a, T b) { return pow(a, b); }

#define INT_ELEMS(DT, T, U)                                                                \
    static inline T add_##DT(T a, T b) { return (T)((U)a + (U)b); }                        \
    static inline T sub_##DT(T a, T b) { return (T)((U)a - (U)b); }                        \
    static inline T mul_##DT(T a, T b) { return (T)((U)a * (U)b); }                        \
    /* Truncating division; y == 0 was rejected before the loop; MIN / -1 wraps to MIN     \
     * (TF's result) instead of trapping. */                                               \
    static inline T div_##DT(T a, T b) { return b == -1 ? (T)((U)0 - (U)a) : (T)(a / b); } \
    static inline T truncmod_##DT(T a, T b) { return b == -1 ? (T)0 : (T)(a % b); }        \
    /* Python floor semantics: round the quotient down when signs differ and inexact. */   \
    static inline T floordiv_##DT(T a, T b) {                                              \
        T q = div_##DT(a, b);                                                              \
        return (((a < 0) != (b < 0)) && (T)((U)q * (U)b) != a) ? (T)(q - 1) : q;           \
    }                                                                                      \
    /* Result takes the divisor's sign: (-7) mod 3 = 2, 7 mod -3 = -2. */                  \
    static inline T floormod_##DT(T a, T b) {                                              \
        T r = truncmod_##DT(a, b);                                                         \
        return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r;                          \
    }                                                                                      \
    static inline T max_##DT(T a, T b) { return a > b ? a : b; }                           \
    static inline T min_##DT(T a, T b) { return a < b ? a : b; }                           \
    static inline T sqdiff_##DT(T a, T b) {                                                \
        U d = (U)a - (U)b;                                                                 \
        return (T)(d * d);                                                                 \
    }                                                                                      \
    /* Exact power by squaring, wrapping on overflow; b < 0 rejected before the loop. */   \
    static inline T pow_##DT(T a, T b) {                                                   \
        U r = 1, base = (U)a;                                                              \
        for (U e = (U)b; e; e >>= 1) {                                                     \
            if (e & 1) r *= base;                                                          \
            base *= base;                                                                  \
        }                                                                                  \
        return (T)r;                                                                       \
    }

/* Equality for every type (bool too); ordering only for the real types that Less & co. take
 * (clang warns about the unused bool ones). */
#define EQ_ELEMS(DT, T)                                                                    \
    static inline uint8_t eq_##DT(T a, T b) { return a == b; }                             \
    static inline uint8_t ne_##DT(T a, T b) { return a != b; }
#define CMP_ELEMS(DT, T)                                                                   \
    EQ_ELEMS(DT, T)                                                                        \
    static inline uint8_t lt_##DT(T a, T b) { return a < b; }                              \
    static inline uint8_t le_##DT(T a, T b) { return a <= b; }                             \
    static inline uint8_t gt_##DT(T a, T b) { return a > b; }                              \
    static inline uint8_t ge_##DT(T a, T b) { return a >= b; }

FLOAT_ELEMS(FLOAT, float)
FLOAT_ELEMS(DOUBLE, double)
INT_ELEMS(INT32, int32_t, uint32_t)
INT_ELEMS(INT64, int64_t, uint64_t)
CMP_ELEMS(FLOAT, float)
CMP_ELEMS(DOUBLE, double)
CMP_ELEMS(INT32, int32_t)
CMP_ELEMS(INT64, int64_t)
EQ_ELEMS(BOOL, uint8_t)
static inline uint8_t and_BOOL(uint8_t a, uint8_t b) { return (a != 0) & (b != 0); }
static inline uint8_t or_BOOL(uint8_t a, uint8_t b) { return (a != 0) | (b != 0); }

/* ---- input checks that TF's CPU kernels make (integer types only) ------------------------ */

#define INT_CHECKS(DT, T)                                                                  \
    static frt_status *check_zero_##DT(const void *yv, int64_t n) {                        \
        const T *y = yv;                                                                   \
        int bad = 0;                                                                       \
        for (int64_t i = 0; i < n; i++) bad |= y[i] == 0;                                  \
        return bad ? frt_status_new(FRT_INVALID_ARGUMENT, "Integer division by zero")      \
                   : NULL;                                                                 \
    }                                                                                      \
    static frt_status *check_negexp_##DT(const void *yv, int64_t n) {                      \
        const T *y = yv;                                                                   \
        int bad = 0;                                                                       \
        for (int64_t i = 0; i < n; i++) bad |= y[i] < 0;                                   \
        return bad ? frt_status_new(FRT_INVALID_ARGUMENT,                                  \
                                    "Integers to negative integer powers are not allowed") \
                   : NULL;                                                                 \
    }
INT_CHECKS(INT32, int32_t)
INT_CHECKS(INT64, int64_t)
/* CHECK_<kind>_<DT>: the check function for that dtype, or NULL where IEEE rules apply. */
#define CHECK_none_FLOAT NULL
#define CHECK_none_DOUBLE NULL
#define CHECK_none_INT32 NULL
#define CHECK_none_INT64 NULL
#define CHECK_none_BOOL NULL
#define CHECK_zero_FLOAT NULL
#define CHECK_zero_DOUBLE NULL
#define CHECK_zero_INT32 check_zero_INT32
#define CHECK_zero_INT64 check_zero_INT64
#define CHECK_negexp_FLOAT NULL
#define CHECK_negexp_DOUBLE NULL
#define CHECK_negexp_INT32 check_negexp_INT32
#define CHECK_negexp_INT64 check_negexp_INT64

/* ---- the shared driver ------------------------------------------------------------------- */

/* n elements: x and y both advance (vv), y fixed (vs), x fixed (sv). z may alias x or y
 * element for element (in-place), so no restrict. */
typedef void (*loop_fn)(const void *x, const void *y, void *z, int64_t n);

typedef struct binary_impl {
    loop_fn vv, vs, sv;
    frt_status *(*check)(const void *y, int64_t n); /* optional, runs over all of y */
    frt_dtype in, out;
    size_t in_size, out_size;
    int incompat; /* Equal: 0, NotEqual: 1 — result when shapes are incompatible and
                     incompatible_shape_error=false; -1 for every other op */
} binary_impl;

typedef struct binary_job {
    const binary_impl *im;
    const frt_bcast *bc;
    const char *x, *y;
    char *z;
} binary_job;

/* Bytes of the repeated row vector kept on the stack by row_range. */
#define ROW_BUF 8192

/* Row broadcast ([rows, L] op [L], either side): the vector is repeated k times into a
 * buffer so that short rows (BiasAdd-like, L = 3 or 32) still run as long tight loops. */
static void row_range(const binary_job *j, int64_t lo, int64_t hi) {
    const binary_impl *im = j->im;
    const frt_bcast *b = j->bc;
    size_t is = im->in_size, os = im->out_size;
    int64_t len_row = b->dims[1];
    const char *vec = b->y_row ? j->y : j->x, *full = b->y_row ? j->x : j->y;
    _Alignas(64) char buf[ROW_BUF];
    int64_t k = 0;
    if ((size_t)len_row * is <= ROW_BUF / 2) {
        k = (int64_t)(ROW_BUF / is) / len_row;
        if (k * len_row > hi - lo) k = (hi - lo + len_row - 1) / len_row;
        for (int64_t r = 0; r < k; r++) memcpy(buf + (size_t)(r * len_row) * is, vec, (size_t)len_row * is);
    }
    for (int64_t i = lo; i < hi;) {
        int64_t col = i % len_row, len;
        const char *v;
        if (k > 0 && col == 0 && hi - i >= k * len_row) {
            len = k * len_row;
            v = buf;
        } else {
            len = len_row - col < hi - i ? len_row - col : hi - i;
            v = (k > 0 ? buf : vec) + (size_t)col * is;
        }
        if (b->y_row) im->vv(full + i * is, v, j->z + i * os, len);
        else im->vv(v, full + i * is, j->z + i * os, len);
        i += len;
    }
}

static void binary_range(void *arg, int64_t lo, int64_t hi) {
    const binary_job *j = arg;
    const binary_impl *im = j->im;
    const frt_bcast *b = j->bc;
    size_t is = im->in_size, os = im->out_size;
    if (b->same_shape) {
        im->vv(j->x + lo * is, j->y + lo * is, j->z + lo * os, hi - lo);
        return;
    }
    if (b->scalar[1]) { /* y has one element, so x has the output's shape */
        im->vs(j->x + lo * is, j->y, j->z + lo * os, hi - lo);
        return;
    }
    if (b->scalar[0]) {
        im->sv(j->x, j->y + lo * is, j->z + lo * os, hi - lo);
        return;
    }
    if (b->y_row || b->x_row) {
        row_range(j, lo, hi);
        return;
    }
    /* General case, row by row over the collapsed shape. The innermost dim is never
     * broadcast on both sides, so each row is one of the three tight loops. */
    int last = b->ndim - 1;
    bool xv = b->strides[0][last] != 0, yv = b->strides[1][last] != 0;
    loop_fn f = xv && yv ? im->vv : (xv ? im->vs : im->sv);
    frt_bcast_iter it;
    frt_bcast_iter_init(b, &it, lo);
    for (int64_t i = lo; i < hi;) {
        int64_t len = frt_bcast_iter_row_left(b, &it);
        if (len > hi - i) len = hi - i;
        f(j->x + it.off[0] * is, j->y + it.off[1] * is, j->z + i * os, len);
        i += len;
        frt_bcast_iter_advance(b, &it, len);
    }
}

static frt_status *binary_run(frt_kernel_ctx *c, const binary_impl *im) {
    if (c->n_inputs != 2 || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected 2 inputs and 1 output, got %d and %d",
                              c->n_inputs, c->n_outputs);
    const frt_tensor *x = c->inputs[0], *y = c->inputs[1];
    if (!x || !y || x->dtype != im->in || y->dtype != im->in)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected two %s inputs, got %s and %s",
                              frt_dtype_name(im->in), x ? frt_dtype_name(x->dtype) : "none",
                              y ? frt_dtype_name(y->dtype) : "none");
    frt_bcast bc;
    frt_status *st = frt_bcast_init(&bc, x->dims, x->ndim, y->dims, y->ndim);
    frt_tensor *z;
    if (st) {
        bool err = true;
        if (im->incompat >= 0) {
            frt_status *ast = frt_attr_get_bool(c->attrs, "incompatible_shape_error", true, &err);
            if (ast) {
                frt_status_free(st);
                return ast;
            }
        }
        if (err) return st;
        /* TF: Equal/NotEqual with incompatible_shape_error=false give a scalar. */
        frt_status_free(st);
        FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_BOOL, NULL, 0, &z));
        *(uint8_t *)frt_tensor_data(z) = (uint8_t)im->incompat;
        return NULL;
    }
    if (im->check && bc.n > 0) FRT_TRY(im->check(frt_tensor_data(y), y->n));
    /* In place when an input has the output's shape and dtype and nobody else holds it. */
    if (im->out == im->in && bc.in_n[0] == bc.n && frt_tensor_is_exclusive(x))
        FRT_TRY(frt_kernel_forward_input(c, 0, 0, im->out, bc.out_dims, bc.out_ndim, &z));
    else if (im->out == im->in && bc.in_n[1] == bc.n && frt_tensor_is_exclusive(y))
        FRT_TRY(frt_kernel_forward_input(c, 1, 0, im->out, bc.out_dims, bc.out_ndim, &z));
    else
        FRT_TRY(frt_kernel_output(c, 0, im->out, bc.out_dims, bc.out_ndim, &z));
    if (bc.n == 0) return NULL;
    binary_job job = {im, &bc, frt_tensor_data(x), frt_tensor_data(y), frt_tensor_data(z)};
    frt_kernel_parallel_for(c, bc.n, GRAIN, binary_range, &job);
    return NULL;
}

/* ---- the op table ------------------------------------------------------------------------
 * X(op, element stem, output kind, input check, dtype list, incompat value). */

#define OUT_SAME(T) T
#define OUT_BOOL(T) uint8_t
#define ODT_SAME(DT) FRT_DTYPE_##DT
#define ODT_BOOL(DT) FRT_DTYPE_BOOL
#define REAL_BOOL_TYPES(X, ...) FRT_REAL_TYPES(X, __VA_ARGS__) X(__VA_ARGS__, BOOL, uint8_t)

#define BINARY_OPS(X)                                                                      \
    X(Add, add, SAME, none, FRT_REAL_TYPES, -1)                                            \
    X(AddV2, add, SAME, none, FRT_REAL_TYPES, -1)                                          \
    X(Sub, sub, SAME, none, FRT_REAL_TYPES, -1)                                            \
    X(Mul, mul, SAME, none, FRT_REAL_TYPES, -1)                                            \
    X(Div, div, SAME, zero, FRT_REAL_TYPES, -1)                                            \
    X(RealDiv, div, SAME, none, FRT_FLOAT_TYPES, -1)                                       \
    X(DivNoNan, divnonan, SAME, none, FRT_FLOAT_TYPES, -1)                                 \
    X(TruncateDiv, div, SAME, zero, FRT_INT_TYPES, -1)                                     \
    X(TruncateMod, truncmod, SAME, zero, FRT_REAL_TYPES, -1)                               \
    X(FloorDiv, floordiv, SAME, zero, FRT_REAL_TYPES, -1)                                  \
    X(FloorMod, floormod, SAME, zero, FRT_REAL_TYPES, -1)                                  \
    X(Maximum, max, SAME, none, FRT_REAL_TYPES, -1)                                        \
    X(Minimum, min, SAME, none, FRT_REAL_TYPES, -1)                                        \
    X(SquaredDifference, sqdiff, SAME, none, FRT_REAL_TYPES, -1)                           \
    X(Pow, pow, SAME, negexp, FRT_REAL_TYPES, -1)                                          \
    X(Equal, eq, BOOL, none, REAL_BOOL_TYPES, 0)                                           \
    X(NotEqual, ne, BOOL, none, REAL_BOOL_TYPES, 1)                                        \
    X(Less, lt, BOOL, none, FRT_REAL_TYPES, -1)                                            \
    X(LessEqual, le, BOOL, none, FRT_REAL_TYPES, -1)                                       \
    X(Greater, gt, BOOL, none, FRT_REAL_TYPES, -1)                                         \
    X(GreaterEqual, ge, BOOL, none, FRT_REAL_TYPES, -1)

/* Three loops, the impl record and the compute function for one (op, dtype). */
#define DEF_KERNEL(OP, STEM, OUT, CHECK, INCOMPAT, DT, T)                                  \
    static void OP##_##DT##_vv(const void *xv, const void *yv, void *zv, int64_t n) {      \
        const T *x = xv, *y = yv;                                                          \
        OUT_##OUT(T) *z = zv;                                                              \
        for (int64_t i = 0; i < n; i++) z[i] = STEM##_##DT(x[i], y[i]);                    \
    }                                                                                      \
    static void OP##_##DT##_vs(const void *xv, const void *yv, void *zv, int64_t n) {      \
        const T *x = xv;                                                                   \
        const T b = *(const T *)yv;                                                        \
        OUT_##OUT(T) *z = zv;                                                              \
        for (int64_t i = 0; i < n; i++) z[i] = STEM##_##DT(x[i], b);                       \
    }                                                                                      \
    static void OP##_##DT##_sv(const void *xv, const void *yv, void *zv, int64_t n) {      \
        const T a = *(const T *)xv, *y = yv;                                               \
        OUT_##OUT(T) *z = zv;                                                              \
        for (int64_t i = 0; i < n; i++) z[i] = STEM##_##DT(a, y[i]);                       \
    }                                                                                      \
    static const binary_impl OP##_##DT##_impl = {                                          \
        OP##_##DT##_vv, OP##_##DT##_vs, OP##_##DT##_sv, CHECK_##CHECK##_##DT,              \
        FRT_DTYPE_##DT, ODT_##OUT(DT), sizeof(T), sizeof(OUT_##OUT(T)), INCOMPAT};         \
    static frt_status *OP##_##DT(frt_kernel_ctx *c) { return binary_run(c, &OP##_##DT##_impl); }

#define DEF_OP(OP, STEM, OUT, CHECK, TYPES, INCOMPAT) TYPES(DEF_KERNEL, OP, STEM, OUT, CHECK, INCOMPAT)
BINARY_OPS(DEF_OP)
/* LogicalAnd/LogicalOr have no type attr: bool only. */
DEF_KERNEL(LogicalAnd, and, BOOL, none, -1, BOOL, uint8_t)
DEF_KERNEL(LogicalOr, or, BOOL, none, -1, BOOL, uint8_t)

#define ROW(OP, STEM, OUT, CHECK, INCOMPAT, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, OP##_##DT, NULL, NULL, 0, NULL},
#define ROWS(OP, STEM, OUT, CHECK, TYPES, INCOMPAT) TYPES(ROW, OP, STEM, OUT, CHECK, INCOMPAT)
static const frt_kernel_def defs[] = {
    BINARY_OPS(ROWS)
    {"LogicalAnd", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, LogicalAnd_BOOL, NULL, NULL, 0, NULL},
    {"LogicalOr", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, LogicalOr_BOOL, NULL, NULL, 0, NULL},
};

void frt_kernels_register_cwise_binary(frt_kernel_registry *r);
void frt_kernels_register_cwise_binary(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
