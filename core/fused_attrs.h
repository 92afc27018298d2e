/* core/fused_attrs.h: the attrs of TF's fused kernels' epilogue (_FusedConv2D,
 * _FusedDepthwiseConv2dNative, _FusedMatMul): fused_ops, num_args and leakyrelu_alpha parsed
 * once at init with TF's error texts. Shared by the CPU kernels (kernels/fused_impl.h) and
 * the GPU's (cuda/dnn_impl.h).
 * Owns: which fused_ops lists are supported and TF's error text for the others.
 * Does not own: applying the epilogue (per device).
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <string.h>

#include "core/attr.h"
#include "core/status.h"
#include "core/tensor.h"

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

static inline bool frt_fused_str_is(const frt_string *s, const char *lit) {
    return s->len == strlen(lit) && memcmp(s->ptr, lit, s->len) == 0;
}

/* Parses fused_ops (["BiasAdd"] or ["BiasAdd", act] with act one of Relu, Relu6, Elu,
 * LeakyRelu), num_args (must be 1) and leakyrelu_alpha for op. Errors: INVALID_ARGUMENT for
 * malformed attrs or a wrong num_args, UNIMPLEMENTED (TF's "Fusion is not implemented")
 * for other fusions. */
FRT_MUST_USE frt_status *frt_fused_ops_parse(const char *op, const frt_attrs *a,
                                             frt_fused_ops *out);
