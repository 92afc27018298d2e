/* cuda/blas.c: MatMul, BatchMatMul / V2 / V3 and _FusedMatMul on CUDA devices (float32)
 * through cuBLAS.
 * Owns: row-major products as column-major cuBLAS calls (C^T = op(B)^T op(A)^T: the operands
 * swap places, no data moves), batch broadcasting (one cublasSgemmStridedBatched when each
 * operand's batch is either the output's or a single matrix, read with stride 0; one
 * cublasSgemm per output batch otherwise), _FusedMatMul as Sgemm followed by the bias +
 * activation kernel (cuBLASLt's epilogues would fuse it, but the simulation has no cuBLASLt).
 * Does not own: the shape rules and their error texts (copied from kernels/matmul.c, which
 * owns them), the fused_ops attrs (kernels/fused_impl.h via cuda/dnn_impl.h), the epilogue
 * kernel (cuda/kernels/epilogue.cuh), the cuBLAS handle (cuda/device.c binds it to the
 * compute stream; its math mode is cuBLAS's default, full float32, no TF32).
 * Thread-safety: kernel state is read-only in compute; compute runs with the device entered
 * (frt_device_ops.enter), so the handle is used by one kernel at a time. */
#include <stdlib.h>
#include <string.h>

#include "core/matmul_shapes.h"
#include "cuda/dnn_impl.h"

/* Row-major out[b] = op(a[b]) op(b[b]) for b < batch, [M,N] = [M,K] x [K,N]; sa and sb are
 * the operands' batch strides in elements (0: one matrix for every batch). */
static frt_status *gemm(frt_kernel_ctx *ctx, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                        const float *a, int64_t sa, const float *b, int64_t sb, float *c,
                        int64_t batch) {
    const char *op = ctx->def->op;
    if (M == 0 || N == 0 || batch == 0) return NULL;
    if (K == 0) /* an empty sum; cuBLAS wants leading dimensions >= 1, which K = 0 breaks */
        return frt_cuda_check(cudaMemsetAsync(c, 0, (size_t)(M * N * batch) * sizeof(float),
                                              frt_cuda_stream(ctx)),
                              "zeroing an empty product");
    FRT_TRY(frt_cuda_fits_int(op, "rows", M));
    FRT_TRY(frt_cuda_fits_int(op, "columns", N));
    FRT_TRY(frt_cuda_fits_int(op, "inner dimension", K));
    FRT_TRY(frt_cuda_fits_int(op, "batch", batch));
    cublasHandle_t h = frt_cuda_device_of(ctx)->cublas;
    const float one = 1.0f, zero = 0.0f;
    cublasOperation_t opa = ta ? CUBLAS_OP_T : CUBLAS_OP_N, opb = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    int lda = (int)(ta ? M : K), ldb = (int)(tb ? K : N);
    /* Column-major, out^T [N,M] = op(b)^T [N,K] x op(a)^T [K,M]: b is cuBLAS's A. */
    if (batch == 1)
        return frt_cublas_check(cublasSgemm(h, opb, opa, (int)N, (int)M, (int)K, &one, b, ldb, a,
                                            lda, &zero, c, (int)N),
                                "cublasSgemm");
    return frt_cublas_check(cublasSgemmStridedBatched(h, opb, opa, (int)N, (int)M, (int)K, &one,
                                                      b, ldb, sb, a, lda, sa, &zero, c, (int)N,
                                                      M * N, (int)batch),
                            "cublasSgemmStridedBatched");
}

/* ---- MatMul, _FusedMatMul ---------------------------------------------------------------- */

/* MatMul, and _FusedMatMul when f is non-NULL (bias = input 2). */
static frt_status *matmul_common(frt_kernel_ctx *ctx, const frt_cuda_fused *f) {
    const frt_tensor *a = frt_kernel_input(ctx, 0), *b = frt_kernel_input(ctx, 1);
    bool ta, tb;
    FRT_TRY(frt_attr_get_bool(ctx->attrs, "transpose_a", false, &ta));
    FRT_TRY(frt_attr_get_bool(ctx->attrs, "transpose_b", false, &tb));
    if (a->ndim != 2)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "In[0] is not a matrix. Instead it has shape %s", FRT_SHAPE_STR(a));
    if (b->ndim != 2)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "In[1] is not a matrix. Instead it has shape %s", FRT_SHAPE_STR(b));
    if (a->dtype != FRT_DTYPE_FLOAT || b->dtype != FRT_DTYPE_FLOAT)
        return frt_status_new(FRT_INVALID_ARGUMENT, "MatMul inputs have dtypes %s and %s",
                              frt_dtype_name(a->dtype), frt_dtype_name(b->dtype));
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
    int64_t Kb = b->dims[tb ? 1 : 0], N = b->dims[tb ? 0 : 1];
    if (K != Kb)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Matrix size-incompatible: In[0]: %s, In[1]: %s",
                              FRT_SHAPE_STR(a), FRT_SHAPE_STR(b));
    const float *bias;
    FRT_TRY(frt_cuda_fused_bias(ctx, f, 2, N, &bias));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_FLOAT, (int64_t[]){M, N}, 2, &out));
    if (out->n == 0) return NULL;
    float *c = frt_tensor_device_ptr(out);
    FRT_TRY(gemm(ctx, ta, tb, M, N, K, frt_tensor_device_ptr(a), 0, frt_tensor_device_ptr(b), 0,
                 c, 1));
    if (!f || (!bias && f->act == FRT_CU_ACT_NONE)) return NULL;
    return frt_cuda_check(frt_cu_bias_act(frt_cuda_stream(ctx), c, bias, out->n, N, 1, f->act,
                                          f->alpha),
                          "launching _FusedMatMul's bias and activation");
}

static frt_status *matmul(frt_kernel_ctx *ctx) { return matmul_common(ctx, NULL); }

static frt_status *fused_matmul_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    frt_cuda_fused f;
    FRT_TRY(frt_cuda_fused_parse(ic->op, ic->attrs, true, &f));
    frt_cuda_fused *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_oom("%s: kernel state", ic->op);
    *p = f;
    *state = p;
    return NULL;
}

static frt_status *fused_matmul(frt_kernel_ctx *ctx) {
    return matmul_common(ctx, frt_kernel_state(ctx));
}

/* ---- BatchMatMul, V2, V3 ------------------------------------------------------------------ */

/* V1 (broadcast=false) needs equal batch dims; V2/V3 broadcast them NumPy-style. */
static frt_status *batch_matmul(frt_kernel_ctx *ctx, bool broadcast) {
    const frt_tensor *x = frt_kernel_input(ctx, 0), *y = frt_kernel_input(ctx, 1);
    bool ta, tb;
    FRT_TRY(frt_bmm_attrs(ctx->attrs, x, y, &ta, &tb));
    if (x->dtype != FRT_DTYPE_FLOAT || y->dtype != FRT_DTYPE_FLOAT)
        return frt_status_new(FRT_UNIMPLEMENTED, "BatchMatMul on GPU for dtypes %s and %s",
                              frt_dtype_name(x->dtype), frt_dtype_name(y->dtype));
    frt_bmm_geom g;
    FRT_TRY(frt_bmm_geom_init(x, y, ta, tb, broadcast, &g));
    int64_t M = g.M, N = g.N, K = g.K, xcount = g.xcount, ycount = g.ycount;
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_FLOAT, g.odims, g.ob + 2, &out));
    if (out->n == 0) return NULL;
    int64_t nbatch = out->n / (M * N);
    const float *xd = frt_tensor_device_ptr(x), *yd = frt_tensor_device_ptr(y);
    float *zd = frt_tensor_device_ptr(out);
    /* Each operand either has a matrix per output batch, in order, or one for all: one call. */
    bool x_simple = xcount == nbatch || xcount == 1, y_simple = ycount == nbatch || ycount == 1;
    if (x_simple && y_simple)
        return gemm(ctx, ta, tb, M, N, K, xd, xcount == 1 ? 0 : M * K, yd,
                    ycount == 1 ? 0 : K * N, zd, nbatch);
    /* Both broadcast along different dims ([2,1] x [1,3]): one product per output batch. */
    for (int64_t b = 0; b < nbatch; b++) {
        int64_t xo, yo;
        frt_bmm_batch_offsets(&g, b, &xo, &yo);
        FRT_TRY(gemm(ctx, ta, tb, M, N, K, xd + xo * M * K, 0, yd + yo * K * N, 0,
                     zd + b * M * N, 1));
    }
    return NULL;
}

static frt_status *batch_matmul_v1(frt_kernel_ctx *ctx) { return batch_matmul(ctx, false); }
static frt_status *batch_matmul_v2(frt_kernel_ctx *ctx) { return batch_matmul(ctx, true); }

/* V3 names its types Ta, Tb, Tout; only Ta == Tb == Tout == float here. */
static frt_status *bmm_v3_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    return frt_bmm_v3_check_types(ic->attrs);
}

static const frt_kernel_def defs[] = {
    {"MatMul", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, matmul, NULL, NULL, 0, NULL},
    {"BatchMatMul", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, batch_matmul_v1, NULL, NULL, 0, NULL},
    {"BatchMatMulV2", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, batch_matmul_v2, NULL, NULL, 0, NULL},
    {"BatchMatMulV3", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, batch_matmul_v2, bmm_v3_init, NULL, 0,
     "Ta"},
    {"_FusedMatMul", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, fused_matmul, fused_matmul_init, free, 0,
     NULL},
};

void frt_cuda_register_blas(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
