/* cuda/kernels/cast.cuh: the body of Cast, written once for nvcc (cast.cu) and the
 * simulation (cast_sim.c).
 * Owns: the conversions, the same as flowrt's CPU Cast (kernels/cast.c): half and bfloat16
 * rounded to nearest even (NaN kept quiet, with its sign), float -> integer truncating with
 * out-of-range values and NaN giving the integer's minimum (what x86 gives TF's CPU kernel;
 * a GPU's own conversion would saturate instead), integers wrapping, anything -> bool != 0,
 * and TF's Truncate (mantissa bits cleared) for float/double -> half/bfloat16.
 * Every source is read into a wide value — a double for the floating types (exact for all
 * of them), an int64 for the integer ones — and each destination is written from either, so
 * no conversion rounds twice.
 * Does not own: which pairs the kernel registers (cuda/elementwise.c).
 * Thread-safety: pure functions. */
#pragma once
#include <math.h>

#include "cuda/kernels/common.cuh"

/* ---- 16-bit floats --------------------------------------------------------------------------- */

FRT_CU_HD uint16_t frt_cu_f32_to_f16(float f) {
    uint32_t x = frt_cu_f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);  /* NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to inf */
    if (ax < 0x38800000u) /* subnormal half: units of 2^-24, rintf rounds half to even */
        return (uint16_t)(sign | (uint16_t)rintf(frt_cu_bits_f32(ax) * 16777216.0f));
    ax += 0xfffu + ((ax >> 13) & 1u); /* round the 13 dropped bits, ties to even */
    ax -= 112u << 23;                 /* rebias the exponent: 127 -> 15 */
    return (uint16_t)(sign | (uint16_t)(ax >> 13));
}

FRT_CU_HD float frt_cu_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0)
        return frt_cu_bits_f32(sign | frt_cu_f32_bits((float)m * 5.9604644775390625e-08f));
    if (e == 31) return frt_cu_bits_f32(sign | 0x7f800000u | (m << 13));
    return frt_cu_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}

FRT_CU_HD uint16_t frt_cu_f32_to_bf16(float f) {
    uint32_t x = frt_cu_f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (x >> 31) ? 0xffc0u : 0x7fc0u;
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

FRT_CU_HD float frt_cu_bf16_to_f32(uint16_t h) { return frt_cu_bits_f32((uint32_t)h << 16); }

/* ---- float -> integer, x86's answers out of range ------------------------------------------ */

FRT_CU_HD int32_t frt_cu_f64_to_i32(double x) {
    return (x > -2147483649.0 && x < 2147483648.0) ? (int32_t)x : INT32_MIN;
}
FRT_CU_HD int64_t frt_cu_f64_to_i64(double x) {
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? (int64_t)x : INT64_MIN;
}

/* ---- reading and writing elements ---------------------------------------------------------- */

FRT_CU_HD bool frt_cu_type_is_float(int t) {
    return t == FRT_CU_F32 || t == FRT_CU_F64 || t == FRT_CU_F16 || t == FRT_CU_BF16;
}

FRT_CU_HD double frt_cu_load_float(int t, const void *x, int64_t i) {
    switch (t) {
    case FRT_CU_F32: return ((const float *)x)[i];
    case FRT_CU_F64: return ((const double *)x)[i];
    case FRT_CU_F16: return frt_cu_f16_to_f32(((const uint16_t *)x)[i]);
    default: return frt_cu_bf16_to_f32(((const uint16_t *)x)[i]);
    }
}

FRT_CU_HD int64_t frt_cu_load_int(int t, const void *x, int64_t i) {
    switch (t) {
    case FRT_CU_I32: return ((const int32_t *)x)[i];
    case FRT_CU_I64: return ((const int64_t *)x)[i];
    case FRT_CU_BOOL: return ((const uint8_t *)x)[i] != 0;
    case FRT_CU_U8: return ((const uint8_t *)x)[i];
    default: return ((const int8_t *)x)[i];
    }
}

/* Double -> half/bfloat16 goes through float, as Eigen's conversion (and the CPU) does. */
FRT_CU_HD void frt_cu_store_float(int t, void *y, int64_t i, double v) {
    switch (t) {
    case FRT_CU_F32: ((float *)y)[i] = (float)v; break;
    case FRT_CU_F64: ((double *)y)[i] = v; break;
    case FRT_CU_F16: ((uint16_t *)y)[i] = frt_cu_f32_to_f16((float)v); break;
    case FRT_CU_BF16: ((uint16_t *)y)[i] = frt_cu_f32_to_bf16((float)v); break;
    case FRT_CU_I32: ((int32_t *)y)[i] = frt_cu_f64_to_i32(v); break;
    case FRT_CU_I64: ((int64_t *)y)[i] = frt_cu_f64_to_i64(v); break;
    case FRT_CU_BOOL: ((uint8_t *)y)[i] = (uint8_t)(v != 0); break;
    case FRT_CU_U8: ((uint8_t *)y)[i] = (uint8_t)frt_cu_f64_to_i32(v); break;
    default: ((int8_t *)y)[i] = (int8_t)frt_cu_f64_to_i32(v); break;
    }
}

/* Integers wrap through their low bits (two's complement), as the CPU's casts do. */
FRT_CU_HD void frt_cu_store_int(int t, void *y, int64_t i, int64_t v) {
    switch (t) {
    case FRT_CU_F32: ((float *)y)[i] = (float)v; break;
    case FRT_CU_F64: ((double *)y)[i] = (double)v; break;
    case FRT_CU_F16: ((uint16_t *)y)[i] = frt_cu_f32_to_f16((float)v); break;
    case FRT_CU_BF16: ((uint16_t *)y)[i] = frt_cu_f32_to_bf16((float)v); break;
    case FRT_CU_I32: ((int32_t *)y)[i] = (int32_t)(uint32_t)(uint64_t)v; break;
    case FRT_CU_I64: ((int64_t *)y)[i] = v; break;
    case FRT_CU_BOOL: ((uint8_t *)y)[i] = (uint8_t)(v != 0); break;
    case FRT_CU_U8: ((uint8_t *)y)[i] = (uint8_t)(uint64_t)v; break;
    default: ((int8_t *)y)[i] = (int8_t)(uint8_t)(uint64_t)v; break;
    }
}

/* TF's Truncate: the mantissa bits the 16-bit type cannot hold cleared (NaN left alone), so
 * the conversion that follows is exact: rounding toward zero. bits: 13 (half) or 16
 * (bfloat16) of float's 23. */
FRT_CU_HD float frt_cu_truncate_mantissa(double v, bool from_double, int bits) {
    if (v != v) return (float)v;
    if (from_double) {
        uint64_t u = frt_cu_f64_bits(v) & ~((1ull << (bits + 29)) - 1ull);
        return (float)frt_cu_bits_f64(u);
    }
    return frt_cu_bits_f32(frt_cu_f32_bits((float)v) & ~((1u << bits) - 1u));
}

/* y[i] = x[i] converted from src to dst. */
FRT_CU_HD void frt_cu_cast_elem(int src, int dst, const void *x, void *y, int64_t i,
                                bool truncate) {
    if (!frt_cu_type_is_float(src)) {
        frt_cu_store_int(dst, y, i, frt_cu_load_int(src, x, i));
        return;
    }
    double v = frt_cu_load_float(src, x, i);
    if (truncate && (dst == FRT_CU_F16 || dst == FRT_CU_BF16) &&
        (src == FRT_CU_F32 || src == FRT_CU_F64))
        v = frt_cu_truncate_mantissa(v, src == FRT_CU_F64, dst == FRT_CU_F16 ? 13 : 16);
    frt_cu_store_float(dst, y, i, v);
}
