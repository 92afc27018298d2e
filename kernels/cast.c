/* kernels/cast.c: Cast on CPU between float, double, int8/16/32/64, uint8/16/32/64, bool,
 * half and bfloat16 (attrs SrcT, DstT, Truncate; ops.md §2.7 Cast).
 * Owns: the conversion rules (IEEE half and bfloat16 with round-to-nearest-even, TF's
 * Truncate, x86-compatible out-of-range float→int). Does not own: Bitcast, string casts.
 * Thread-safety: kernels are stateless. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/cwise_math.h"
#include "core/kernel.h"

#define GRAIN 32768

/* ---- bit-level helpers (float bit casts: cwise_math.h) ------------------------------------ */

/* float → IEEE binary16, round to nearest even; NaN → quiet NaN with the sign (Eigen). */
static inline uint16_t f32_to_f16(float f) {
    uint32_t x = frt_f32_to_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return sign | 0x7e00u;  /* NaN */
    if (ax >= 0x477ff000u) return sign | 0x7c00u; /* >= 65520 rounds to inf (ties to even) */
    if (ax < 0x38800000u) {
        /* Below 2^-14: a subnormal half counts units of 2^-24. Scaling by 2^24 is exact, and
         * rintf rounds half to even. 1024 units encode the smallest normal, as it should. */
        return sign | (uint16_t)rintf(frt_bits_to_f32(ax) * 16777216.0f);
    }
    ax += 0xfffu + ((ax >> 13) & 1u); /* round the 13 dropped bits, ties to even */
    ax -= 112u << 23;                 /* rebias exponent: 127 → 15 */
    return sign | (uint16_t)(ax >> 13);
}

static inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0)
        return frt_bits_to_f32(sign | frt_f32_to_bits((float)m * 5.9604644775390625e-08f));
    if (e == 31) return frt_bits_to_f32(sign | 0x7f800000u | (m << 13));
    return frt_bits_to_f32(sign | ((e + 112u) << 23) | (m << 13));
}

/* float → bfloat16, round to nearest even (TF's Cast); NaN → ±0x7fc0. */
static inline uint16_t f32_to_bf16(float f) {
    uint32_t x = frt_f32_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (x >> 31) ? 0xffc0u : 0x7fc0u;
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
static inline float bf16_to_f32(uint16_t h) { return frt_bits_to_f32((uint32_t)h << 16); }

/* Float → integer truncates toward zero. Out of range (and NaN) is undefined in C; we give
 * what x86 gives TF: the "integer indefinite" value, so results match and nothing traps. */
static inline int32_t f32_to_i32(float x) {
    return (x >= -2147483648.0f && x < 2147483648.0f) ? (int32_t)x : INT32_MIN;
}
static inline int32_t f64_to_i32(double x) {
    return (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : INT32_MIN;
}
static inline int64_t f32_to_i64(float x) {
    return (x >= -9223372036854775808.0f && x < 9223372036854775808.0f) ? (int64_t)x : INT64_MIN;
}
static inline int64_t f64_to_i64(double x) {
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : INT64_MIN;
}
static inline uint64_t f64_to_u64(double x) {
    if (x >= 0 && x < 18446744073709551616.0) return (uint64_t)x;
    return (uint64_t)f64_to_i64(x); /* negative wraps, like the x86 sequence; NaN: 2^63 */
}

/* ---- load (source element → natural C value) and store (→ destination element) ----------- */

#define LOAD_FLOAT(v) (v)
#define LOAD_DOUBLE(v) (v)
#define LOAD_INT32(v) (v)
#define LOAD_INT64(v) (v)
#define LOAD_UINT8(v) (v)
#define LOAD_INT8(v) (v)
#define LOAD_INT16(v) (v)
#define LOAD_UINT16(v) (v)
#define LOAD_UINT32(v) (v)
#define LOAD_UINT64(v) (v)
#define LOAD_BOOL(v) ((int)((v) != 0))
#define LOAD_HALF(v) f16_to_f32(v)
#define LOAD_BFLOAT16(v) bf16_to_f32(v)

#define STORE_FLOAT(v) ((float)(v))
#define STORE_DOUBLE(v) ((double)(v))
/* Anything → bool is != 0 (NaN is true). */
#define STORE_BOOL(v) ((uint8_t)((v) != 0))
/* Eigen converts double → half/bfloat16 through float; so do we. */
#define STORE_HALF(v) f32_to_f16((float)(v))
#define STORE_BFLOAT16(v) f32_to_bf16((float)(v))
#define STORE_INT32(v) \
    _Generic((v), float: f32_to_i32((float)(v)), double: f64_to_i32((double)(v)), default: (int32_t)(v))
#define STORE_INT64(v) \
    _Generic((v), float: f32_to_i64((float)(v)), double: f64_to_i64((double)(v)), default: (int64_t)(v))
#define STORE_UINT64(v) \
    _Generic((v), float: f64_to_u64((double)(v)), double: f64_to_u64((double)(v)), default: (uint64_t)(v))
/* Narrow integers: through int32 (int64 for uint32), keeping the low bits, as x86 does. */
#define STORE_INT8(v) ((int8_t)STORE_INT32(v))
#define STORE_UINT8(v) ((uint8_t)STORE_INT32(v))
#define STORE_INT16(v) ((int16_t)STORE_INT32(v))
#define STORE_UINT16(v) ((uint16_t)STORE_INT32(v))
#define STORE_UINT32(v) ((uint32_t)STORE_INT64(v))

/* Two copies of the type list, so one can nest inside the other. */
#define CAST_TYPES_A(X, ...)                                                               \
    X(__VA_ARGS__, FLOAT, float) X(__VA_ARGS__, DOUBLE, double)                            \
    X(__VA_ARGS__, INT32, int32_t) X(__VA_ARGS__, INT64, int64_t)                          \
    X(__VA_ARGS__, BOOL, uint8_t) X(__VA_ARGS__, UINT8, uint8_t)                           \
    X(__VA_ARGS__, INT8, int8_t) X(__VA_ARGS__, INT16, int16_t)                            \
    X(__VA_ARGS__, UINT16, uint16_t) X(__VA_ARGS__, UINT32, uint32_t)                      \
    X(__VA_ARGS__, UINT64, uint64_t) X(__VA_ARGS__, HALF, uint16_t)                        \
    X(__VA_ARGS__, BFLOAT16, uint16_t)
#define CAST_TYPES_B(X, ...)                                                               \
    X(__VA_ARGS__, FLOAT, float) X(__VA_ARGS__, DOUBLE, double)                            \
    X(__VA_ARGS__, INT32, int32_t) X(__VA_ARGS__, INT64, int64_t)                          \
    X(__VA_ARGS__, BOOL, uint8_t) X(__VA_ARGS__, UINT8, uint8_t)                           \
    X(__VA_ARGS__, INT8, int8_t) X(__VA_ARGS__, INT16, int16_t)                            \
    X(__VA_ARGS__, UINT16, uint16_t) X(__VA_ARGS__, UINT32, uint32_t)                      \
    X(__VA_ARGS__, UINT64, uint64_t) X(__VA_ARGS__, HALF, uint16_t)                        \
    X(__VA_ARGS__, BFLOAT16, uint16_t)

typedef void (*cast_fn)(const void *in, void *out, int64_t n);
typedef struct cast_entry {
    frt_dtype dst;
    cast_fn fn;
    size_t dst_size;
} cast_entry;

#define DEF_CAST(SDT, ST, DDT, DTY)                                                        \
    static void cast_##SDT##_##DDT(const void *iv, void *ov, int64_t n) {                  \
        const ST *in = iv;                                                                 \
        DTY *out = ov;                                                                     \
        for (int64_t i = 0; i < n; i++) out[i] = STORE_##DDT(LOAD_##SDT(in[i]));           \
    }
#define DEF_CASTS_FROM(UNUSED, SDT, ST) CAST_TYPES_B(DEF_CAST, SDT, ST)
CAST_TYPES_A(DEF_CASTS_FROM, 0)

#define ENTRY(SDT, DDT, DTY) {FRT_DTYPE_##DDT, cast_##SDT##_##DDT, sizeof(DTY)},
#define DEF_TABLE(UNUSED, SDT, ST) static const cast_entry casts_from_##SDT[] = {CAST_TYPES_B(ENTRY, SDT)};
CAST_TYPES_A(DEF_TABLE, 0)

/* ---- Truncate = true: float/double → half/bfloat16 ------------------------------------------
 * TF clears the mantissa bits the destination cannot hold (NaN left alone), then casts as
 * usual; the cast is then exact for normal results, i.e. rounding toward zero. */

static inline float clear_low_f32(float f, int bits) {
    uint32_t x = frt_f32_to_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return f;
    return frt_bits_to_f32(x & ~((1u << bits) - 1u));
}
static inline float clear_low_f64(double d, int bits) {
    uint64_t x;
    memcpy(&x, &d, sizeof x);
    if ((x & 0x7fffffffffffffffull) > 0x7ff0000000000000ull) return (float)d;
    x &= ~((1ull << bits) - 1ull);
    memcpy(&d, &x, sizeof d);
    return (float)d;
}
#define DEF_TRUNC(SDT, ST, DDT, CLEAR, BITS)                                              \
    static void trunc_##SDT##_##DDT(const void *iv, void *ov, int64_t n) {                  \
        const ST *in = iv;                                                                 \
        uint16_t *out = ov;                                                                \
        for (int64_t i = 0; i < n; i++) out[i] = STORE_##DDT(CLEAR(in[i], BITS));          \
    }
/* The bits to clear: 23 - 10 (half) and 23 - 7 (bfloat16) of float's mantissa; 52 - 10 and
 * 52 - 7 of double's. */
DEF_TRUNC(FLOAT, float, HALF, clear_low_f32, 13)
DEF_TRUNC(FLOAT, float, BFLOAT16, clear_low_f32, 16)
DEF_TRUNC(DOUBLE, double, HALF, clear_low_f64, 42)
DEF_TRUNC(DOUBLE, double, BFLOAT16, clear_low_f64, 45)

/* ---- the kernel: one per SrcT, DstT picked at run time ----------------------------------- */

typedef struct cast_job {
    cast_fn fn;
    const char *in;
    char *out;
    size_t in_size, out_size;
} cast_job;

static void cast_range(void *arg, int64_t lo, int64_t hi) {
    const cast_job *j = arg;
    j->fn(j->in + lo * j->in_size, j->out + lo * j->out_size, hi - lo);
}

static frt_status *cast_run(frt_kernel_ctx *c, frt_dtype src, const cast_entry *table, int n) {
    if (c->n_inputs != 1 || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected 1 input and 1 output, got %d and %d",
                              c->n_inputs, c->n_outputs);
    const frt_tensor *x = c->inputs[0];
    if (!x || x->dtype != src)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input is %s but SrcT is %s",
                              x ? frt_dtype_name(x->dtype) : "none", frt_dtype_name(src));
    frt_dtype dst = FRT_DTYPE_INVALID;
    bool trunc = false;
    FRT_TRY(frt_attr_get_type(c->attrs, "DstT", FRT_DTYPE_INVALID, &dst));
    FRT_TRY(frt_attr_get_bool(c->attrs, "Truncate", false, &trunc));
    if (dst == FRT_DTYPE_INVALID)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Cast needs a DstT attr");
    if (dst == src) { /* TF forwards the input unchanged */
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    const cast_entry *e = NULL;
    for (int i = 0; i < n && !e; i++)
        if (table[i].dst == dst) e = &table[i];
    if (!e)
        return frt_status_new(FRT_UNIMPLEMENTED, "Cast %s to %s is not supported",
                              frt_dtype_name(src), frt_dtype_name(dst));
    cast_fn fn = e->fn;
    if (trunc && src == FRT_DTYPE_FLOAT && dst == FRT_DTYPE_HALF) fn = trunc_FLOAT_HALF;
    if (trunc && src == FRT_DTYPE_FLOAT && dst == FRT_DTYPE_BFLOAT16) fn = trunc_FLOAT_BFLOAT16;
    if (trunc && src == FRT_DTYPE_DOUBLE && dst == FRT_DTYPE_HALF) fn = trunc_DOUBLE_HALF;
    if (trunc && src == FRT_DTYPE_DOUBLE && dst == FRT_DTYPE_BFLOAT16) fn = trunc_DOUBLE_BFLOAT16;
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, dst, x->dims, x->ndim, &y));
    if (x->n == 0) return NULL;
    cast_job job = {fn, frt_tensor_data(x), frt_tensor_data(y), frt_dtype_size(src), e->dst_size};
    frt_kernel_parallel_for(c, x->n, GRAIN, cast_range, &job);
    return NULL;
}

#define DEF_KERNEL(UNUSED, SDT, ST)                                                        \
    static frt_status *Cast_##SDT(frt_kernel_ctx *c) {                                     \
        return cast_run(c, FRT_DTYPE_##SDT, casts_from_##SDT,                              \
                        (int)FRT_COUNTOF(casts_from_##SDT));                               \
    }
CAST_TYPES_A(DEF_KERNEL, 0)

#define ROW(UNUSED, SDT, ST) {"Cast", FRT_DEVICE_CPU, FRT_DTYPE_##SDT, Cast_##SDT, NULL, NULL, 0, "SrcT"},
static const frt_kernel_def defs[] = {CAST_TYPES_A(ROW, 0)};

void frt_kernels_register_cast(frt_kernel_registry *r);
void frt_kernels_register_cast(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
