/* kernels/cwise_math.h: branch-free float math shared by the elementwise kernel files
 * (cwise_unary.c, activations.c): exp, tanh and erf written so that loops over them
 * vectorise (libm calls do not), with the accuracy of the Eigen routines TF itself uses.
 * Owns: these approximations and the float<->bits casts they use (cast.c uses those too).
 * Thread-safety: pure functions. */
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- a vectorisable exp for float --------------------------------------------------------
 * Cephes-style (as Eigen's pexp, which TF uses): x = m·ln2 + r with |r| <= ln2/2, exp(r) by
 * a degree-6 polynomial (about 1 ulp), times 2^m applied in two halves so that results in
 * the subnormal range and m = 128 are exact. Branch-free, so loops over it vectorise. */

static inline float frt_bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint32_t frt_f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float frt_exp_f32(float x) {
    float xc = x > 89.0f ? 89.0f : x;
    xc = xc < -104.0f ? -104.0f : xc;
    /* m = round(xc·log2(e)) by the 1.5·2^23 trick (no float→int conversion of NaN). */
    float t = xc * 1.44269504088896341f + 12582912.0f;
    int32_t m = (int32_t)(frt_f32_to_bits(t) - frt_f32_to_bits(12582912.0f));
    float mf = t - 12582912.0f;
    float r = xc - mf * 0.693359375f;      /* Cody-Waite: ln2 = hi + lo */
    r = r - mf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r * r + r + 1.0f;
    int32_t m1 = m / 2, m2 = m - m1;     /* both within [-75, 64]: normal scales */
    y = y * frt_bits_to_f32((uint32_t)(m1 + 127) << 23) * frt_bits_to_f32((uint32_t)(m2 + 127) << 23);
    return x != x ? x : y;
}

/* Cephes tanhf: odd polynomial near 0 (no cancellation), 1 - 2/(e^{2|x|} + 1) elsewhere. */
static inline float frt_tanh_f32(float x) {
    float ax = fabsf(x);
    float s = x * x;
    float small = ((((-5.70498872745e-3f * s + 2.06390887954e-2f) * s - 5.37397155531e-2f) * s +
                    1.33314422036e-1f) * s - 3.33332819422e-1f) * s * x + x;
    float big = 1.0f - 2.0f / (frt_exp_f32(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}

/* Eigen's rational erf approximation (generic_fast_erf_float), clamped to [-4, 4] where
 * erf is ±1 in float; max error about 4e-7. */
static inline float frt_erf_f32(float a) {
    float x = a > 4.f ? 4.f : (a < -4.f ? -4.f : a);
    float x2 = x * x;
    float p = -2.72614225801306e-10f;
    p = p * x2 + 2.77068142495902e-08f;
    p = p * x2 - 2.10102402082508e-06f;
    p = p * x2 - 5.69250639462346e-05f;
    p = p * x2 - 7.34990630326855e-04f;
    p = p * x2 - 2.95459980854025e-03f;
    p = p * x2 - 1.60960333262415e-02f;
    float q = -1.45660718464996e-05f;
    q = q * x2 - 2.13374055278905e-04f;
    q = q * x2 - 1.68282697438203e-03f;
    q = q * x2 - 7.37332916720468e-03f;
    q = q * x2 - 1.42647390514189e-02f;
    return a != a ? a : p * x / q;
}
