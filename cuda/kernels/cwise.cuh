/* cuda/kernels/cwise.cuh: the bodies of the float32 elementwise kernels — unary math and
 * activations, broadcasting binary ops (BiasAdd is one), AddN — written once for nvcc
 * (cwise.cu) and the simulation (cwise_sim.c).
 * Owns: per-element semantics, which follow flowrt's CPU kernels (kernels/cwise_unary.c,
 * activations.c, cwise_binary.c), i.e. TensorFlow's: Relu keeps NaN, Maximum/Minimum
 * propagate NaN, Softplus switches at log(FLT_EPSILON) + 2, Round is half to even.
 * Functions are the C library's float ones, which CUDA's device library has too; results
 * may differ from the CPU's in the last bits (expf, tanhf, erff differ in ulps between the
 * two libraries), so tests compare with a tolerance.
 * Does not own: shapes and broadcasting rules (cuda/elementwise.c, core/shape.h).
 * Thread-safety: pure functions. */
#pragma once
#include <math.h>

#include "cuda/kernels/common.cuh"

#define FRT_CU_SELU_SCALE 1.0507009873554804934193349852946f
#define FRT_CU_SELU_ALPHA 1.6732632423543772848170429916717f
/* TF's Softplus threshold, log(FLT_EPSILON) + 2, rounded to float as the CPU kernel does. */
#define FRT_CU_SOFTPLUS_THRESHOLD (-13.942385152878742f)

FRT_CU_HD float frt_cu_unary(int op, float x, float alpha) {
    switch (op) {
    case FRT_CU_RELU: return x < 0.0f ? 0.0f : x;
    case FRT_CU_RELU6: return x < 0.0f ? 0.0f : (x > 6.0f ? 6.0f : x);
    case FRT_CU_ELU: return x < 0.0f ? expf(x) - 1.0f : x;
    case FRT_CU_SELU:
        return x < 0.0f ? FRT_CU_SELU_SCALE * FRT_CU_SELU_ALPHA * (expf(x) - 1.0f)
                        : FRT_CU_SELU_SCALE * x;
    case FRT_CU_LEAKY_RELU: return x > 0.0f ? x : x * alpha;
    case FRT_CU_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case FRT_CU_TANH: return tanhf(x);
    case FRT_CU_SOFTPLUS:
        return x > -FRT_CU_SOFTPLUS_THRESHOLD
                   ? x
                   : (x < FRT_CU_SOFTPLUS_THRESHOLD ? expf(x) : log1pf(expf(x)));
    case FRT_CU_SOFTSIGN: return x / (1.0f + fabsf(x));
    case FRT_CU_EXP: return expf(x);
    case FRT_CU_EXPM1: return expm1f(x);
    case FRT_CU_LOG: return logf(x);
    case FRT_CU_LOG1P: return log1pf(x);
    case FRT_CU_SQRT: return sqrtf(x);
    case FRT_CU_RSQRT: return 1.0f / sqrtf(x);
    case FRT_CU_SQUARE: return x * x;
    case FRT_CU_NEG: return -x;
    case FRT_CU_ABS: return fabsf(x);
    case FRT_CU_RECIPROCAL: return 1.0f / x;
    /* Sign(NaN) = NaN, Sign(±0) = ±0. */
    case FRT_CU_SIGN: return x > 0.0f ? 1.0f : (x < 0.0f ? -1.0f : x);
    case FRT_CU_FLOOR: return floorf(x);
    case FRT_CU_CEIL: return ceilf(x);
    case FRT_CU_ROUND: return rintf(x);
    case FRT_CU_ERF: return erff(x);
    case FRT_CU_SIN: return sinf(x);
    case FRT_CU_COS: return cosf(x);
    default: return x; /* launchers refuse other ops */
    }
}

FRT_CU_HD float frt_cu_binary(int op, float a, float b) {
    switch (op) {
    case FRT_CU_ADD: return a + b;
    case FRT_CU_SUB: return a - b;
    case FRT_CU_MUL: return a * b;
    case FRT_CU_DIV: return a / b;
    case FRT_CU_MAXIMUM: return a != a ? a : (b != b ? b : (a > b ? a : b));
    case FRT_CU_MINIMUM: return a != a ? a : (b != b ? b : (a < b ? a : b));
    case FRT_CU_SQUARED_DIFFERENCE: return (a - b) * (a - b);
    case FRT_CU_POW: return powf(a, b);
    default: return a; /* launchers refuse other ops */
    }
}

/* ---- broadcasting -------------------------------------------------------------------------- */

typedef struct frt_cu_bcast_args {
    int ndim;
    int64_t dims[FRT_CU_MAX_DIMS];
    int64_t x_strides[FRT_CU_MAX_DIMS];
    int64_t y_strides[FRT_CU_MAX_DIMS];
} frt_cu_bcast_args;

FRT_CU_HOST void frt_cu_bcast_args_init(frt_cu_bcast_args *a, int ndim, const int64_t *dims,
                                        const int64_t *x_strides, const int64_t *y_strides) {
    memset(a, 0, sizeof *a);
    a->ndim = ndim;
    for (int k = 0; k < ndim; k++) {
        a->dims[k] = dims[k];
        a->x_strides[k] = x_strides[k];
        a->y_strides[k] = y_strides[k];
    }
}

/* Both operands have the output's shape (the collapsed form of core/shape.h makes that one
 * dim of strides 1): the kernel may index them flat. */
FRT_CU_HOST bool frt_cu_bcast_is_flat(const frt_cu_bcast_args *a) {
    return a->ndim == 1 && a->x_strides[0] == 1 && a->y_strides[0] == 1;
}

/* The operands' offsets of output element i: z[i] = op(x[*xo], y[*yo]). */
FRT_CU_HD void frt_cu_bcast_offsets(int64_t i, const frt_cu_bcast_args *a, int64_t *xo,
                                    int64_t *yo) {
    int64_t x = 0, y = 0;
    for (int k = a->ndim - 1; k >= 0; k--) {
        int64_t c = i % a->dims[k];
        i /= a->dims[k];
        x += c * a->x_strides[k];
        y += c * a->y_strides[k];
    }
    *xo = x;
    *yo = y;
}

/* ---- AddN: up to FRT_CU_ADD_N_MAX inputs per launch; the launcher chains launches, each
 * later one taking the running sum as its first input. ------------------------------------ */

#define FRT_CU_ADD_N_MAX 8

typedef struct frt_cu_add_n_args {
    int n;
    const float *in[FRT_CU_ADD_N_MAX];
} frt_cu_add_n_args;

/* The next launch of AddN over ins[0..n), *next inputs summed so far (0 at first): the
 * first takes up to FRT_CU_ADD_N_MAX inputs, each later one the running sum in out and up to
 * FRT_CU_ADD_N_MAX - 1 more. */
FRT_CU_HOST void frt_cu_add_n_args_next(frt_cu_add_n_args *a, const float *const *ins, int n,
                                        const float *out, int *next) {
    memset(a, 0, sizeof *a);
    if (*next > 0) a->in[a->n++] = out;
    while (a->n < FRT_CU_ADD_N_MAX && *next < n) a->in[a->n++] = ins[(*next)++];
}

FRT_CU_HD float frt_cu_add_n_elem(int64_t i, const frt_cu_add_n_args *a) {
    float s = a->in[0][i];
    for (int k = 1; k < a->n; k++) s += a->in[k][i];
    return s;
}
