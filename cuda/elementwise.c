/* cuda/elementwise.c: the host side of flowrt's own elementwise GPU kernels — broadcasting
 * binary ops (Add, AddV2, Sub, Mul, RealDiv, Div, Maximum, Minimum, SquaredDifference, Pow),
 * BiasAdd/BiasAddV1 (NHWC and NCHW), unary math and activations, AddN, Cast, Fill,
 * ZerosLike, OnesLike — and frt_cuda_register_elementwise, which registers them with the
 * families of array_ops.c and reduce_ops.c.
 * Owns: shape logic on the host (dims are host metadata; only the bytes live on the GPU),
 * TF's error texts (the CPU kernels' own: kernels/cwise_binary.c, activations.c,
 * cwise_unary.c, cast.c, shape_ops.c, basic.c), in-place outputs, launches on the device's
 * compute stream. float32 arithmetic only: int32 arithmetic stays on the CPU (TF keeps
 * int32 in host memory), other types have no GPU kernels yet.
 * Does not own: per-element semantics (cuda/kernels/cwise.cuh, cast.cuh), Softmax and
 * LogSoftmax (cuda/dnn.c), broadcasting rules (core/shape.h).
 * Thread-safety: kernels are stateless; they run with the device entered. */
#include <stdlib.h>
#include <string.h>

#include "core/array_shapes.h"
#include "core/shape.h"
#include "cuda/elementwise_impl.h"

static frt_status *check_float_inputs(const frt_kernel_ctx *c, int n_in) {
    if (c->n_inputs != n_in || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "expected %d input(s) and 1 output, got %d and %d", n_in,
                              c->n_inputs, c->n_outputs);
    for (int i = 0; i < n_in; i++)
        if (!c->inputs[i] || c->inputs[i]->dtype != FRT_DTYPE_FLOAT)
            return frt_status_new(FRT_INVALID_ARGUMENT, "input %d: expected float, got %s", i,
                                  c->inputs[i] ? frt_dtype_name(c->inputs[i]->dtype) : "none");
    return NULL;
}

static const float *in_f32(const frt_kernel_ctx *c, int i) {
    return frt_tensor_device_ptr(c->inputs[i]);
}

/* ---- broadcasting binary ops ----------------------------------------------------------------- */

static frt_status *binary_run(frt_kernel_ctx *c, frt_cu_binary_op op) {
    FRT_TRY(check_float_inputs(c, 2));
    const frt_tensor *x = c->inputs[0], *y = c->inputs[1];
    frt_bcast bc;
    FRT_TRY(frt_bcast_init(&bc, x->dims, x->ndim, y->dims, y->ndim));
    frt_tensor *z;
    /* In place when an operand has the output's shape and nobody else holds it: each output
     * element reads that operand at its own index only. */
    if (bc.in_n[0] == bc.n && frt_tensor_is_exclusive(x))
        FRT_TRY(frt_kernel_forward_input(c, 0, 0, FRT_DTYPE_FLOAT, bc.out_dims, bc.out_ndim, &z));
    else if (bc.in_n[1] == bc.n && frt_tensor_is_exclusive(y))
        FRT_TRY(frt_kernel_forward_input(c, 1, 0, FRT_DTYPE_FLOAT, bc.out_dims, bc.out_ndim, &z));
    else
        FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_FLOAT, bc.out_dims, bc.out_ndim, &z));
    if (bc.n == 0) return NULL;
    return frt_cuda_check(frt_cu_binary_f32(frt_cuda_stream(c), op, in_f32(c, 0), in_f32(c, 1),
                                            frt_tensor_device_ptr(z), bc.ndim, bc.dims,
                                            bc.strides[0], bc.strides[1]),
                          "frt_cu_binary_f32");
}

#define BINARY_OPS(X)                                                                      \
    X(Add, FRT_CU_ADD) X(AddV2, FRT_CU_ADD) X(Sub, FRT_CU_SUB) X(Mul, FRT_CU_MUL)          \
    X(RealDiv, FRT_CU_DIV) X(Div, FRT_CU_DIV) X(Maximum, FRT_CU_MAXIMUM)                   \
    X(Minimum, FRT_CU_MINIMUM) X(SquaredDifference, FRT_CU_SQUARED_DIFFERENCE)             \
    X(Pow, FRT_CU_POW)

#define DEF_BINARY(OP, CU)                                                                 \
    static frt_status *OP##_compute(frt_kernel_ctx *c) { return binary_run(c, CU); }
BINARY_OPS(DEF_BINARY)

/* ---- BiasAdd: a broadcasting add whose bias strides run along the channel dim ------------ */

static frt_status *bias_add_compute(frt_kernel_ctx *c) {
    FRT_TRY(check_float_inputs(c, 2));
    const frt_tensor *x = c->inputs[0], *b = c->inputs[1];
    bool nchw;
    FRT_TRY(frt_shape_bias_add(c->attrs, x, b, &nchw));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, FRT_DTYPE_FLOAT, x->dims, x->ndim, &y));
    if (x->n == 0) return NULL;
    int64_t ch = b->dims[0];
    /* NHWC: [rows, C] + [C]; NCHW: [N, C, plane] + [C] along the middle dim. */
    int64_t dims[3], xs[3], bs[3];
    int nd;
    if (nchw) {
        int64_t plane = x->n / (x->dims[0] * ch);
        int64_t d3[3] = {x->dims[0], ch, plane}, x3[3] = {ch * plane, plane, 1}, b3[3] = {0, 1, 0};
        memcpy(dims, d3, sizeof d3);
        memcpy(xs, x3, sizeof x3);
        memcpy(bs, b3, sizeof b3);
        nd = 3;
    } else {
        int64_t d2[2] = {x->n / ch, ch}, x2[2] = {ch, 1}, b2[2] = {0, 1};
        memcpy(dims, d2, sizeof d2);
        memcpy(xs, x2, sizeof x2);
        memcpy(bs, b2, sizeof b2);
        nd = 2;
    }
    return frt_cuda_check(frt_cu_binary_f32(frt_cuda_stream(c), FRT_CU_ADD, in_f32(c, 0),
                                            in_f32(c, 1), frt_tensor_device_ptr(y), nd, dims,
                                            xs, bs),
                          "frt_cu_binary_f32 (BiasAdd)");
}

/* ---- unary math and activations --------------------------------------------------------------- */

static frt_status *unary_run(frt_kernel_ctx *c, frt_cu_unary_op op) {
    FRT_TRY(check_float_inputs(c, 1));
    const frt_tensor *x = c->inputs[0];
    float alpha = 0.2f;
    if (op == FRT_CU_LEAKY_RELU) FRT_TRY(frt_attr_get_float(c->attrs, "alpha", 0.2f, &alpha));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, FRT_DTYPE_FLOAT, x->dims, x->ndim, &y));
    return frt_cuda_check(frt_cu_unary_f32(frt_cuda_stream(c), op, in_f32(c, 0),
                                           frt_tensor_device_ptr(y), x->n, alpha),
                          "frt_cu_unary_f32");
}

#define UNARY_OPS(X)                                                                       \
    X(Relu, FRT_CU_RELU) X(Relu6, FRT_CU_RELU6) X(Elu, FRT_CU_ELU) X(Selu, FRT_CU_SELU)    \
    X(LeakyRelu, FRT_CU_LEAKY_RELU) X(Sigmoid, FRT_CU_SIGMOID) X(Tanh, FRT_CU_TANH)        \
    X(Softplus, FRT_CU_SOFTPLUS) X(Softsign, FRT_CU_SOFTSIGN) X(Exp, FRT_CU_EXP)           \
    X(Expm1, FRT_CU_EXPM1) X(Log, FRT_CU_LOG) X(Log1p, FRT_CU_LOG1P) X(Sqrt, FRT_CU_SQRT)  \
    X(Rsqrt, FRT_CU_RSQRT) X(Square, FRT_CU_SQUARE) X(Neg, FRT_CU_NEG) X(Abs, FRT_CU_ABS)  \
    X(Reciprocal, FRT_CU_RECIPROCAL) X(Inv, FRT_CU_RECIPROCAL) X(Sign, FRT_CU_SIGN)        \
    X(Floor, FRT_CU_FLOOR) X(Ceil, FRT_CU_CEIL) X(Round, FRT_CU_ROUND) X(Rint, FRT_CU_ROUND) \
    X(Erf, FRT_CU_ERF) X(Sin, FRT_CU_SIN) X(Cos, FRT_CU_COS)

#define DEF_UNARY(OP, CU)                                                                  \
    static frt_status *OP##_compute(frt_kernel_ctx *c) { return unary_run(c, CU); }
UNARY_OPS(DEF_UNARY)

/* ---- AddN ------------------------------------------------------------------------------------ */

static frt_status *add_n_compute(frt_kernel_ctx *c) {
    int n = c->n_inputs;
    if (n < 1 || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "AddN needs at least one input");
    for (int i = 0; i < n; i++)
        if (c->inputs[i]->dtype != FRT_DTYPE_FLOAT)
            return frt_status_new(FRT_INVALID_ARGUMENT, "input %d: expected float, got %s", i,
                                  frt_dtype_name(c->inputs[i]->dtype));
    const frt_tensor *x0 = c->inputs[0];
    char s1[96], s2[96];
    for (int i = 1; i < n; i++)
        if (!frt_tensor_same_shape(c->inputs[i], x0))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Inputs to operation %s of type AddN must have the same size "
                                  "and shape.  Input 0: %s != input %d: %s",
                                  c->node_name, frt_shape_str(x0->dims, x0->ndim, s1, sizeof s1),
                                  i, frt_shape_str(c->inputs[i]->dims, c->inputs[i]->ndim, s2,
                                                   sizeof s2));
    if (n == 1) { /* TF forwards a lone input */
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(c, 0, 0, FRT_DTYPE_FLOAT, x0->dims, x0->ndim, &y));
    if (x0->n == 0) return NULL;
    const float *small[16];
    const float **ins = n <= 16 ? small : frt_malloc(sizeof *ins * (size_t)n);
    if (!ins) return frt_status_oom("adding %d tensors", n);
    for (int i = 0; i < n; i++) ins[i] = in_f32(c, i);
    frt_status *st = frt_cuda_check(frt_cu_add_n_f32(frt_cuda_stream(c), ins, n,
                                                     frt_tensor_device_ptr(y), x0->n),
                                    "frt_cu_add_n_f32");
    if (ins != small) free(ins);
    return st;
}

/* ---- Cast ------------------------------------------------------------------------------------ */

#define CAST_TYPES(X, ...)                                                                 \
    X(__VA_ARGS__, FLOAT, FRT_CU_F32) X(__VA_ARGS__, DOUBLE, FRT_CU_F64)                   \
    X(__VA_ARGS__, HALF, FRT_CU_F16) X(__VA_ARGS__, BFLOAT16, FRT_CU_BF16)                 \
    X(__VA_ARGS__, INT32, FRT_CU_I32) X(__VA_ARGS__, INT64, FRT_CU_I64)                    \
    X(__VA_ARGS__, BOOL, FRT_CU_BOOL) X(__VA_ARGS__, UINT8, FRT_CU_U8)                     \
    X(__VA_ARGS__, INT8, FRT_CU_I8)

/* The kernels' type of dt, or -1 when Cast does not convert it on the GPU. */
static int cu_type(frt_dtype dt) {
    switch (dt) {
#define CASE(UNUSED, DT, CU) case FRT_DTYPE_##DT: return CU;
        CAST_TYPES(CASE, 0)
#undef CASE
    default: return -1;
    }
}

static frt_status *cast_compute(frt_kernel_ctx *c) {
    if (c->n_inputs != 1 || c->n_outputs != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected 1 input and 1 output, got %d and %d",
                              c->n_inputs, c->n_outputs);
    const frt_tensor *x = c->inputs[0];
    frt_dtype src = x->dtype, dst = FRT_DTYPE_INVALID;
    bool trunc = false;
    FRT_TRY(frt_attr_get_type(c->attrs, "DstT", FRT_DTYPE_INVALID, &dst));
    FRT_TRY(frt_attr_get_bool(c->attrs, "Truncate", false, &trunc));
    if (dst == FRT_DTYPE_INVALID)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Cast needs a DstT attr");
    if (dst == src) { /* TF forwards the input unchanged */
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    int s = cu_type(src), d = cu_type(dst);
    if (s < 0 || d < 0)
        return frt_status_new(FRT_UNIMPLEMENTED, "Cast %s to %s is not supported on the GPU",
                              frt_dtype_name(src), frt_dtype_name(dst));
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, dst, x->dims, x->ndim, &y));
    return frt_cuda_check(frt_cu_cast(frt_cuda_stream(c), (frt_cu_type)s,
                                      frt_tensor_device_ptr(x), (frt_cu_type)d,
                                      frt_tensor_device_ptr(y), x->n, trunc),
                          "frt_cu_cast");
}

/* ---- Fill, ZerosLike, OnesLike ---------------------------------------------------------------- */

/* Fill: dims and value come from host memory (the value is copied into the launch). */
static frt_status *fill_compute(frt_kernel_ctx *c) {
    const frt_tensor *d = c->inputs[0], *v = c->inputs[1];
    if (d->dtype != FRT_DTYPE_INT32 && d->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "dims must be int32 or int64, got %s",
                              frt_dtype_name(d->dtype));
    if (d->ndim != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "dims must be a vector, got shape %s",
                              FRT_SHAPE_STR(d));
    if (v->ndim != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "value must be a scalar, got shape %s",
                              FRT_SHAPE_STR(v));
    if (d->n > FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "dims has %lld entries; at most %d dims supported",
                              (long long)d->n, FRT_MAX_DIMS);
    int64_t dims[FRT_MAX_DIMS];
    int nd = (int)d->n;
    for (int i = 0; i < nd; i++) {
        dims[i] = frt_tensor_int_at(d, i);
        if (dims[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "Dimension %lld must be >= 0",
                                  (long long)dims[i]);
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, v->dtype, dims, nd, &y));
    return frt_cuda_check(frt_cu_fill(frt_cuda_stream(c), frt_tensor_device_ptr(y), y->n,
                                      frt_dtype_size(v->dtype), frt_tensor_data(v)),
                          "frt_cu_fill");
}

static frt_status *zeros_like_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, x->dims, x->ndim, &y));
    size_t n = frt_tensor_nbytes(y);
    if (n == 0) return NULL;
    return frt_cuda_check(cudaMemsetAsync(frt_tensor_device_ptr(y), 0, n, frt_cuda_stream(c)),
                          "cudaMemsetAsync (ZerosLike)");
}

/* One, in each type's bytes (half 0x3C00, bfloat16 0x3F80, complex 1 + 0i). */
static void one_of(frt_dtype dt, unsigned char *out) {
    memset(out, 0, 16);
    switch (dt) {
    case FRT_DTYPE_FLOAT:
    case FRT_DTYPE_COMPLEX64: {
        float f = 1.0f;
        memcpy(out, &f, sizeof f);
        break;
    }
    case FRT_DTYPE_DOUBLE:
    case FRT_DTYPE_COMPLEX128: {
        double f = 1.0;
        memcpy(out, &f, sizeof f);
        break;
    }
    case FRT_DTYPE_HALF: out[0] = 0x00, out[1] = 0x3C; break;
    case FRT_DTYPE_BFLOAT16: out[0] = 0x80, out[1] = 0x3F; break;
    default: out[0] = 1; break; /* integers and bool, little-endian */
    }
}

static frt_status *ones_like_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, x->dims, x->ndim, &y));
    unsigned char one[16];
    one_of(x->dtype, one);
    return frt_cuda_check(frt_cu_fill(frt_cuda_stream(c), frt_tensor_device_ptr(y), y->n,
                                      frt_dtype_size(x->dtype), one),
                          "frt_cu_fill (OnesLike)");
}

/* ---- registration ----------------------------------------------------------------------------- */

#define GPU FRT_DEVICE_CUDA
#define F32 FRT_DTYPE_FLOAT
#define BINARY_ROW(OP, CU) {#OP, GPU, F32, OP##_compute, NULL, NULL, 0, NULL},
#define UNARY_ROW(OP, CU) {#OP, GPU, F32, OP##_compute, NULL, NULL, 0, NULL},
#define CAST_ROW(UNUSED, DT, CU) {"Cast", GPU, FRT_DTYPE_##DT, cast_compute, NULL, NULL, 0, "SrcT"},
#define FILL_ROWS(UNUSED, DT)                                                              \
    {"Fill", GPU, FRT_DTYPE_##DT, fill_compute, NULL, NULL, FRT_HOST_IN(0) | FRT_HOST_IN(1), NULL}, \
    {"ZerosLike", GPU, FRT_DTYPE_##DT, zeros_like_compute, NULL, NULL, 0, NULL},           \
    {"OnesLike", GPU, FRT_DTYPE_##DT, ones_like_compute, NULL, NULL, 0, NULL},

static const frt_kernel_def defs[] = {
    BINARY_OPS(BINARY_ROW)
    UNARY_OPS(UNARY_ROW)
    {"BiasAdd", GPU, F32, bias_add_compute, NULL, NULL, 0, NULL},
    {"BiasAddV1", GPU, F32, bias_add_compute, NULL, NULL, 0, NULL},
    {"AddN", GPU, F32, add_n_compute, NULL, NULL, 0, NULL},
    CAST_TYPES(CAST_ROW, 0)
    FRT_CUDA_MOVE_TYPES(FILL_ROWS, 0)
};

void frt_cuda_register_elementwise(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
    frt_cuda_register_array_ops(r);
    frt_cuda_register_reduce_ops(r);
}
