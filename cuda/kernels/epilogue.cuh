/* cuda/kernels/epilogue.cuh: the bodies of the kernels that finish cuBLAS and cuDNN results
 * (cuda/kernels/epilogue.h): bias + activation, and an average pool's count correction,
 * written once for nvcc (epilogue.cu) and the simulation (epilogue_sim.c).
 * Owns: the per-element arithmetic of those two. Does not own: the activations' formulas
 * (frt_cu_unary in cwise.cuh, the elementwise kernels' own, which follow TF's), where the
 * results come from (cuda/blas.c, cuda/dnn.c).
 * Thread-safety: pure functions. */
#pragma once
#include "cuda/kernels/cwise.cuh"
#include "cuda/kernels/epilogue.h"

typedef struct frt_cu_bias_act_args {
    int64_t channels, inner;
    int op; /* a frt_cu_unary_op, or -1 for none */
    float alpha;
} frt_cu_bias_act_args;

/* The unary op of an epilogue's activation, -1 for none or one we do not know (launchers
 * refuse those). */
FRT_CU_HOST int frt_cu_act_op(frt_cu_act act) {
    switch (act) {
    case FRT_CU_ACT_NONE: return -1;
    case FRT_CU_ACT_RELU: return FRT_CU_RELU;
    case FRT_CU_ACT_RELU6: return FRT_CU_RELU6;
    case FRT_CU_ACT_ELU: return FRT_CU_ELU;
    case FRT_CU_ACT_LEAKY: return FRT_CU_LEAKY_RELU;
    case FRT_CU_ACT_TANH: return FRT_CU_TANH;
    case FRT_CU_ACT_SIGMOID: return FRT_CU_SIGMOID;
    default: return -2;
    }
}

/* The channel whose bias element i gets. */
FRT_CU_HD int64_t frt_cu_bias_channel(int64_t i, const frt_cu_bias_act_args *a) {
    return (i / a->inner) % a->channels;
}

/* act(v + *b): b points at the element's bias, or is NULL when there is none. */
FRT_CU_HD float frt_cu_bias_act_elem(float v, const float *b, const frt_cu_bias_act_args *a) {
    if (b) v += *b;
    return a->op < 0 ? v : frt_cu_unary(a->op, v, a->alpha);
}

typedef struct frt_cu_avgpool_args {
    int64_t out_h, out_w;
    frt_cu_pool_dim h, w;
} frt_cu_avgpool_args;

/* The input elements window o of one dim covers (clipped to the input). */
FRT_CU_HD int64_t frt_cu_pool_count(int64_t o, const frt_cu_pool_dim *d) {
    int64_t lo = o * d->stride - d->pad_before, hi = lo + d->window;
    if (lo < 0) lo = 0;
    if (hi > d->in) hi = d->in;
    return hi > lo ? hi - lo : 1; /* launchers only take windows that reach the input */
}

/* The factor output element i (of planes of out_h x out_w) is multiplied by. */
FRT_CU_HD float frt_cu_avgpool_factor(int64_t i, const frt_cu_avgpool_args *a) {
    int64_t ow = i % a->out_w, oh = i / a->out_w % a->out_h;
    int64_t whole = a->h.window * a->w.window;
    int64_t inside = frt_cu_pool_count(oh, &a->h) * frt_cu_pool_count(ow, &a->w);
    return (float)whole / (float)inside;
}

/* Argument checks both launchers make. */
FRT_CU_HOST bool frt_cu_pool_dim_ok(const frt_cu_pool_dim *d) {
    return d->in >= 1 && d->window >= 1 && d->stride >= 1 && d->pad_before >= 0 &&
           d->pad_before < d->window;
}
