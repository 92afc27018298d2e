/* kernels/fused_impl.h: the epilogue of TF's fused kernels (_FusedConv2D,
 * _FusedDepthwiseConv2dNative in conv.c; _FusedMatMul in matmul.c): parsing the fused_ops /
 * num_args / leakyrelu_alpha attrs once at init, and applying bias + activation to a block of
 * output rows while it is still in cache. The unfused ops run the same code with an empty
 * epilogue.
 * Owns: the as activations.c computes them (Relu/Relu6 keep NaN, Elu through
 * frt_exp_f32, LeakyRelu x > 0 ? x : alpha * x). Does not own: the products themselves, the
 * fused_ops attrs (core/fused_attrs.c, shared with cuda/).
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/fused_attrs.h"
#include "core/kernel.h"
#include "kernels/cwise_math.h"

/* An epilogue bound to one invocation: the parsed ops and the bias values (NULL when none). */
typedef struct frt_fused_epilogue {
    const frt_fused_ops *ops;
    const float *bias;
} frt_fused_epilogue;

/* Checks the bias argument (input `arg` of ctx) against oc output channels and binds it. */
static inline frt_status *frt_fused_bind(frt_kernel_ctx *ctx, const frt_fused_ops *ops, int arg,
                                         int64_t oc, frt_fused_epilogue *ep) {
    ep->ops = ops;
    ep->bias = NULL;
    if (!ops || !ops->bias) return NULL;
    if (frt_kernel_num_inputs(ctx) <= arg)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: missing the bias argument",
                              ctx->def->op);
    const frt_tensor *b = frt_kernel_input(ctx, arg);
    if (b->dtype != FRT_DTYPE_FLOAT || b->ndim != 1 || b->dims[0] != oc)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: bias must be a float vector of %lld output channels, got "
                              "%s %s",
                              ctx->def->op, (long long)oc, frt_dtype_name(b->dtype),
                              FRT_SHAPE_STR(b));
    ep->bias = frt_tensor_f32(b);
    return NULL;
}

static inline bool frt_fused_active(const frt_fused_epilogue *ep) {
    return ep && ep->ops && (ep->bias || ep->ops->act != FRT_FUSED_ACT_NONE);
}

/* Applies the epilogue to x[r * ld + j] for r < rows, j < cols, where column j is output
 * channel c0 + j: one pass per row, the activation chosen outside the loops so they
 * vectorise. No-op for an inactive epilogue. */
#define FRT_FUSED_LOOP_(IN, EXPR)                                                           \
    for (int64_t r = 0; r < rows; r++) {                                                   \
        float *p = x + r * ld;                                                             \
        for (int64_t j = 0; j < cols; j++) {                                               \
            float v = (IN);                                                                \
            p[j] = (EXPR);                                                                 \
        }                                                                                  \
    }
#define FRT_FUSED_ROWS_(EXPR)                                                               \
    if (b) {                                                                               \
        FRT_FUSED_LOOP_(p[j] + b[j], EXPR)                                                 \
    } else {                                                                               \
        FRT_FUSED_LOOP_(p[j], EXPR)                                                        \
    }
static inline void frt_fused_apply(const frt_fused_epilogue *ep, float *x, int64_t rows,
                                   int64_t cols, int64_t ld, int64_t c0) {
    if (!frt_fused_active(ep)) return;
    const float *b = ep->bias ? ep->bias + c0 : NULL;
    float al = ep->ops->alpha;
    switch (ep->ops->act) {
    case FRT_FUSED_ACT_NONE: FRT_FUSED_ROWS_(v) break;
    case FRT_FUSED_ACT_RELU: FRT_FUSED_ROWS_(v < 0 ? 0.0f : v) break;
    case FRT_FUSED_ACT_RELU6: FRT_FUSED_ROWS_(v < 0 ? 0.0f : (v > 6 ? 6.0f : v)) break;
    case FRT_FUSED_ACT_ELU: FRT_FUSED_ROWS_(v < 0 ? frt_exp_f32(v) - 1 : v) break;
    case FRT_FUSED_ACT_LEAKY: FRT_FUSED_ROWS_(v > 0 ? v : v * al) break;
    }
}
#undef FRT_FUSED_ROWS_
#undef FRT_FUSED_LOOP_
