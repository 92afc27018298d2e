/* cuda/dnn_impl.h: what cuda/blas.c and cuda/dnn.c share: the fused-op attrs as the CUDA
 * kernels read them (kernels/fused_impl.h's parser, plus the activations only the GPU fuses),
 * the bias argument's checks, and the limits of the libraries' int arguments.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/fused_attrs.h"
#include "cuda/cuda_impl.h"
#include "cuda/kernels/epilogue.h"

/* cuda/blas.c's rows; frt_cuda_register_dnn (cuda/dnn.c) adds them with its own. */
void frt_cuda_register_blas(frt_kernel_registry *r);

/* A fused op's epilogue: an optional bias over the output channels, then an activation. */
typedef struct frt_cuda_fused {
    bool bias;
    frt_cu_act act;
    float alpha; /* LeakyRelu's leakyrelu_alpha */
} frt_cuda_fused;

/* fused_ops as kernels/fused_impl.h parses them (same attrs, same errors); with
 * tanh_sigmoid, ["BiasAdd", "Tanh"] and ["BiasAdd", "Sigmoid"] too (TF's _FusedMatMul
 * accepts them; the CPU kernels do not, so the planner only fuses what both have). */
static inline frt_status *frt_cuda_fused_parse(const char *op, const frt_attrs *a,
                                               bool tanh_sigmoid, frt_cuda_fused *out) {
    frt_fused_ops ops;
    frt_status *st = frt_fused_ops_parse(op, a, &ops);
    if (st && tanh_sigmoid && frt_status_code(st) == FRT_UNIMPLEMENTED) {
        const frt_attr_value *v = frt_attrs_find(a, "fused_ops");
        bool two = v && v->kind == FRT_ATTR_LIST && v->v.list.n == 2 &&
                   v->v.list.elem == FRT_ATTR_S;
        const frt_string *s = two ? v->v.list.v.s : NULL;
        int64_t num_args = 0;
        frt_status *na = frt_attr_get_int(a, "num_args", 0, &num_args);
        if (!na && num_args == 1 && two && frt_fused_str_is(&s[0], "BiasAdd") &&
            (frt_fused_str_is(&s[1], "Tanh") || frt_fused_str_is(&s[1], "Sigmoid"))) {
            frt_status_free(st);
            *out = (frt_cuda_fused){
                .bias = true,
                .act = frt_fused_str_is(&s[1], "Tanh") ? FRT_CU_ACT_TANH : FRT_CU_ACT_SIGMOID};
            return NULL;
        }
        frt_status_free(na);
    }
    if (st) return st;
    static const frt_cu_act acts[] = {
        [FRT_FUSED_ACT_NONE] = FRT_CU_ACT_NONE,   [FRT_FUSED_ACT_RELU] = FRT_CU_ACT_RELU,
        [FRT_FUSED_ACT_RELU6] = FRT_CU_ACT_RELU6, [FRT_FUSED_ACT_ELU] = FRT_CU_ACT_ELU,
        [FRT_FUSED_ACT_LEAKY] = FRT_CU_ACT_LEAKY,
    };
    *out = (frt_cuda_fused){.bias = ops.bias, .act = acts[ops.act], .alpha = ops.alpha};
    return NULL;
}

/* The bias argument (input `arg`): a float vector of oc elements, as frt_fused_bind checks
 * it, in device memory. *bias is NULL when f has no bias. */
static inline frt_status *frt_cuda_fused_bias(frt_kernel_ctx *ctx, const frt_cuda_fused *f,
                                              int arg, int64_t oc, const float **bias) {
    *bias = NULL;
    if (!f || !f->bias) return NULL;
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
    *bias = frt_tensor_device_ptr(b);
    return NULL;
}

/* cuBLAS and the legacy cuDNN API take int sizes and strides; beyond them the CUDA kernels
 * report UNIMPLEMENTED, naming the op and what is too large. */
static inline frt_status *frt_cuda_fits_int(const char *op, const char *what, int64_t v) {
    if (v >= 0 && v <= INT_MAX) return NULL;
    return frt_status_new(FRT_UNIMPLEMENTED,
                          "%s on GPU: %s = %lld exceeds the int range of cuBLAS/cuDNN", op,
                          what, (long long)v);
}
