/* kernels/fused_impl.h: the epilogue of TF's fused kernels (_FusedConv2D,
 * _FusedDepthwiseConv2dNative in conv.c; _FusedMatMul in matmul.c): parsing the fused_ops /
 * num_args / leakyrelu_alpha attrs once at init, and applying bias + activation to a block of
 * output rows while it is still in cache. The unfused ops run the same code with an empty
 * epilogue.
 * Owns: which fused_ops lists are supported and TF's error text for the others, the
 * activation formulas as activations.c computes them (Relu/Relu6 keep NaN, Elu through
 * frt_exp_f32, LeakyRelu x > 0 ? x : alpha * x). Does not own: the products themselves.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernels/cwise_math.h"
#include "core/kernel.h"

typedef enum frt_fused_act {
    FRT_FUSED_ACT_NONE = 0,
    FRT_FUSED_ACT_RELU,
    FRT_FUSED_ACT_RELU6,
    FRT_FUSED_ACT_ELU,
    FRT_FUSED_ACT_LEAKY,
} frt_fused_act;

/* What runs after the product, per output element of channel c: x + bias[c], then act. */
typedef struct frt_fused_ops {
    bool bias;         /* fused_ops starts with "BiasAdd": args[0] is a vector over channels */
    frt_fused_act act;
    float alpha;       /* LeakyRelu's leakyrelu_alpha */
} frt_fused_ops;

/* An epilogue bound to one invocation: the parsed ops and the bias values (NULL when none). */
typedef struct frt_fused_epilogue {
    const frt_fused_ops *ops;
    const float *bias;
} frt_fused_epilogue;

static inline bool frt_fused_str_is(const frt_string *s, const char *lit) {
    return s->len == strlen(lit) && memcmp(s->ptr, lit, s->len) == 0;
}

/* Parses fused_ops (["BiasAdd"] or ["BiasAdd", act] with act one of Relu, Relu6, Elu,
 * LeakyRelu), num_args (must be 1) and leakyrelu_alpha for op. Errors: INVALID_ARGUMENT for
 * malformed attrs or a wrong num_args, UNIMPLEMENTED (TF's "Fusion is not implemented")
 * for other fusions. */
static inline frt_status *frt_fused_ops_parse(const char *op, const frt_attrs *a,
                                              frt_fused_ops *out) {
    memset(out, 0, sizeof *out);
    FRT_TRY(frt_attr_get_float(a, "leakyrelu_alpha", 0.2f, &out->alpha));
    int64_t num_args = 0;
    FRT_TRY(frt_attr_get_int(a, "num_args", 0, &num_args));
    const frt_attr_value *v = frt_attrs_find(a, "fused_ops");
    int n = v && v->kind == FRT_ATTR_LIST ? v->v.list.n : 0;
    if (v && (v->kind != FRT_ATTR_LIST || (n > 0 && v->v.list.elem != FRT_ATTR_S)))
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: attr 'fused_ops' must be a list of "
                                                    "strings", op);
    const frt_string *s = n > 0 ? v->v.list.v.s : NULL;
    bool ok = n >= 1 && n <= 2 && frt_fused_str_is(&s[0], "BiasAdd");
    if (ok && n == 2) {
        if (frt_fused_str_is(&s[1], "Relu")) out->act = FRT_FUSED_ACT_RELU;
        else if (frt_fused_str_is(&s[1], "Relu6")) out->act = FRT_FUSED_ACT_RELU6;
        else if (frt_fused_str_is(&s[1], "Elu")) out->act = FRT_FUSED_ACT_ELU;
        else if (frt_fused_str_is(&s[1], "LeakyRelu")) out->act = FRT_FUSED_ACT_LEAKY;
        else ok = false;
    }
    if (!ok) {
        char list[256] = "";
        for (int i = 0; i < n; i++) {
            size_t at = strlen(list);
            snprintf(list + at, sizeof list - at, "%s%.*s", i ? "," : "", (int)s[i].len,
                     s[i].ptr);
        }
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: Fusion is not implemented: [%s] (supported: BiasAdd, "
                              "optionally followed by Relu, Relu6, Elu or LeakyRelu)",
                              op, list);
    }
    out->bias = true;
    if (num_args != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Fused %s must have one extra argument: bias (num_args = "
                              "%lld)",
                              op, "BiasAdd", (long long)num_args);
    return NULL;
}

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
