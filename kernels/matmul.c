/* kernels/matmul.c: MatMul and BatchMatMul/V2/V3 on the CPU, and TF's _FusedMatMul (float:
 * MatMul + BiasAdd + optional activation, the epilogue applied to each thread's block of the
 * product right after its GEMM; MatMul is the same code with no epilogue).
 * Owns: matrix-product shape rules (TF's MatMul/BatchMatMul shape functions and error texts),
 * float/double GEMM through OpenBLAS split over the session's intra-op pool, naive integer
 * products. Does not own: convolutions (conv.c, which has its own GEMM calls), the
 * epilogue's attrs and formulas (fused_impl.h).
 * Threading: OpenBLAS is put in single-threaded mode at registration (frt_init) so that the
 * session's pool, not OpenBLAS's own threads, decides the parallelism; every call below is
 * re-entrant. Kernel state: none. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "core/matmul_shapes.h"
#include "kernels/fused_impl.h"
#include "core/kernel.h"

/* ---- threads ------------------------------------------------------------------------ */

static int ctx_threads(const frt_kernel_ctx *c) {
    int t = c->pool ? frt_threadpool_size(c->pool) + 1 : 1;
    if (c->intra_threads > 0 && c->intra_threads < t) t = c->intra_threads;
    return t;
}

/* ---- float/double GEMM split over the pool ------------------------------------------ */

typedef struct gemm_job {
    bool ta, tb;
    int64_t M, N, K;
    const void *A, *B;
    void *C;
    int64_t lda, ldb, ldc;
    bool split_n; /* chunks are column ranges of C (else row ranges) */
    const frt_fused_epilogue *ep; /* float only; NULL or inactive: plain product */
} gemm_job;

/* The epilogue on a finished block of C: rows x cols starting at column c0. */
static void epilogue_s(const gemm_job *j, float *C, int64_t rows, int64_t cols, int64_t c0) {
    frt_fused_apply(j->ep, C, rows, cols, j->ldc, c0);
}
static void epilogue_d(const gemm_job *j, double *C, int64_t rows, int64_t cols, int64_t c0) {
    (void)j, (void)C, (void)rows, (void)cols, (void)c0;
}

#define DEFINE_GEMM(PFX, T)                                                                 \
    static void gemm_##PFX##_block(const gemm_job *j, int64_t lo, int64_t hi) {            \
        const T *A = j->A, *B = j->B;                                                      \
        T *C = j->C;                                                                       \
        int64_t M = j->M, N = j->N;                                                        \
        if (j->split_n) {                                                                  \
            B += j->tb ? lo * j->ldb : lo;                                                 \
            C += lo;                                                                       \
            N = hi - lo;                                                                   \
        } else {                                                                           \
            A += j->ta ? lo : lo * j->lda;                                                 \
            C += lo * j->ldc;                                                              \
            M = hi - lo;                                                                   \
        }                                                                                  \
        cblas_##PFX##gemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans,                \
                          j->tb ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N,       \
                          (blasint)j->K, 1, A, (blasint)j->lda, B, (blasint)j->ldb, 0, C,  \
                          (blasint)j->ldc);                                                \
        epilogue_##PFX(j, C, M, N, j->split_n ? lo : 0);                                   \
    }                                                                                      \
    static void gemm_##PFX##_range(void *arg, int64_t lo, int64_t hi) {                    \
        gemm_##PFX##_block(arg, lo, hi);                                                   \
    }
DEFINE_GEMM(s, float)
DEFINE_GEMM(d, double)

/* C[M,N] = op(A) op(B), row-major, split into about `threads` row (or column) blocks. */
static void gemm_run(frt_kernel_ctx *ctx, int threads, gemm_job *j, bool dbl) {
    if (j->M == 0 || j->N == 0) return;
    if (j->K == 0) { /* BLAS leaves C alone when K == 0 with beta 0 on some builds */
        size_t es = dbl ? sizeof(double) : sizeof(float);
        for (int64_t i = 0; i < j->M; i++)
            memset((char *)j->C + (size_t)(i * j->ldc) * es, 0, (size_t)j->N * es);
        if (!dbl) epilogue_s(j, j->C, j->M, j->N, 0);
        return;
    }
    double flops = 2.0 * (double)j->M * (double)j->N * (double)j->K;
    if (threads > 1 && flops < 2e5) threads = 1; /* not worth waking anyone */
    j->split_n = j->M < 4 * threads && j->N > j->M;
    int64_t extent = j->split_n ? j->N : j->M;
    if (threads <= 1 || extent < 2) {
        if (dbl) gemm_d_block(j, 0, extent);
        else gemm_s_block(j, 0, extent);
        return;
    }
    /* One block per thread: each block repacks the shared operand, so fewer is better. */
    int64_t grain = (extent + threads - 1) / threads;
    frt_kernel_parallel_for(ctx, extent, grain, dbl ? gemm_d_range : gemm_s_range, j);
}

/* ---- naive integer products ------------------------------------------------------- */

#define DEFINE_IGEMM(T)                                                                     \
    static void igemm_##T(bool ta, bool tb, int64_t M, int64_t N, int64_t K, const T *A,   \
                          const T *B, T *C) {                                              \
        memset(C, 0, (size_t)(M * N) * sizeof(T));                                         \
        for (int64_t i = 0; i < M; i++)                                                    \
            for (int64_t k = 0; k < K; k++) {                                              \
                /* Wrap-around like TF (Eigen) does: multiply in unsigned arithmetic. */    \
                T a = ta ? A[k * M + i] : A[i * K + k];                                    \
                for (int64_t n = 0; n < N; n++) {                                          \
                    T b = tb ? B[n * K + k] : B[k * N + n];                                \
                    C[i * N + n] = (T)((u##T)C[i * N + n] + (u##T)a * (u##T)b);            \
                }                                                                          \
            }                                                                              \
    }
DEFINE_IGEMM(int32_t)
DEFINE_IGEMM(int64_t)

/* One product of the given dtype; A, B, C already offset to the batch. */
static frt_status *product(frt_kernel_ctx *ctx, int threads, frt_dtype dt, bool ta, bool tb,
                           int64_t M, int64_t N, int64_t K, const void *A, const void *B,
                           void *C) {
    gemm_job j = {.ta = ta, .tb = tb, .M = M, .N = N, .K = K, .A = A, .B = B, .C = C,
                  .lda = ta ? M : K, .ldb = tb ? K : N, .ldc = N, .ep = NULL};
    switch (dt) {
    case FRT_DTYPE_FLOAT: gemm_run(ctx, threads, &j, false); return NULL;
    case FRT_DTYPE_DOUBLE: gemm_run(ctx, threads, &j, true); return NULL;
    case FRT_DTYPE_INT32: igemm_int32_t(ta, tb, M, N, K, A, B, C); return NULL;
    case FRT_DTYPE_INT64: igemm_int64_t(ta, tb, M, N, K, A, B, C); return NULL;
    default:
        return frt_status_new(FRT_UNIMPLEMENTED, "matrix product for dtype %s",
                              frt_dtype_name(dt));
    }
}

/* ---- MatMul ------------------------------------------------------------------------ */

/* MatMul, and _FusedMatMul when ops is non-NULL (bias = input 2; float only). */
static frt_status *matmul_common(frt_kernel_ctx *ctx, const frt_fused_ops *ops) {
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
    if (a->dtype != b->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT, "MatMul inputs have dtypes %s and %s",
                              frt_dtype_name(a->dtype), frt_dtype_name(b->dtype));
    int64_t M = a->dims[ta ? 1 : 0], K = a->dims[ta ? 0 : 1];
    int64_t Kb = b->dims[tb ? 1 : 0], N = b->dims[tb ? 0 : 1];
    if (K != Kb)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Matrix size-incompatible: In[0]: %s, In[1]: %s",
                              FRT_SHAPE_STR(a), FRT_SHAPE_STR(b));
    frt_fused_epilogue ep;
    FRT_TRY(frt_fused_bind(ctx, ops, 2, N, &ep));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, a->dtype, (int64_t[]){M, N}, 2, &out));
    if (!frt_fused_active(&ep))
        return product(ctx, ctx_threads(ctx), a->dtype, ta, tb, M, N, K, frt_tensor_data(a),
                       frt_tensor_data(b), frt_tensor_data(out));
    if (a->dtype != FRT_DTYPE_FLOAT)
        return frt_status_new(FRT_UNIMPLEMENTED, "%s: only float32 is implemented, got %s",
                              ctx->def->op, frt_dtype_name(a->dtype));
    gemm_job j = {.ta = ta, .tb = tb, .M = M, .N = N, .K = K, .A = frt_tensor_data(a),
                  .B = frt_tensor_data(b), .C = frt_tensor_data(out), .lda = ta ? M : K,
                  .ldb = tb ? K : N, .ldc = N, .ep = &ep};
    gemm_run(ctx, ctx_threads(ctx), &j, false);
    return NULL;
}

static frt_status *matmul(frt_kernel_ctx *ctx) { return matmul_common(ctx, NULL); }

static frt_status *fused_matmul_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    frt_fused_ops ops;
    FRT_TRY(frt_fused_ops_parse(ic->op, ic->attrs, &ops));
    frt_fused_ops *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "%s: out of memory", ic->op);
    *p = ops;
    *state = p;
    return NULL;
}

static frt_status *fused_matmul(frt_kernel_ctx *ctx) {
    return matmul_common(ctx, frt_kernel_state(ctx));
}

/* ---- BatchMatMul, V2, V3 ------------------------------------------------------------ */

typedef struct bmm_job {
    frt_kernel_ctx *ctx;
    frt_dtype dt;
    bool ta, tb;
    int64_t M, N, K;
    const char *x, *y;
    char *z;
    const int64_t *xoff, *yoff; /* element offset of each output batch's operands */
    frt_status *err;            /* only set for unsupported dtypes, before any work */
} bmm_job;

static void bmm_range(void *arg, int64_t lo, int64_t hi) {
    bmm_job *j = arg;
    size_t es = frt_dtype_size(j->dt);
    for (int64_t b = lo; b < hi; b++) {
        frt_status *st = product(j->ctx, 1, j->dt, j->ta, j->tb, j->M, j->N, j->K,
                                 j->x + (size_t)j->xoff[b] * es, j->y + (size_t)j->yoff[b] * es,
                                 j->z + (size_t)(b * j->M * j->N) * es);
        frt_status_free(st); /* dtype was validated before the loop */
    }
}

/* V1 (broadcast=false) needs equal batch dims; V2/V3 broadcast them NumPy-style. */
static frt_status *batch_matmul(frt_kernel_ctx *ctx, bool broadcast) {
    const frt_tensor *x = frt_kernel_input(ctx, 0), *y = frt_kernel_input(ctx, 1);
    bool ta, tb;
    FRT_TRY(frt_bmm_attrs(ctx->attrs, x, y, &ta, &tb));
    if (x->dtype != y->dtype)
        return frt_status_new(FRT_UNIMPLEMENTED, "BatchMatMul with mixed dtypes %s and %s",
                              frt_dtype_name(x->dtype), frt_dtype_name(y->dtype));
    if (x->dtype != FRT_DTYPE_FLOAT && x->dtype != FRT_DTYPE_DOUBLE &&
        x->dtype != FRT_DTYPE_INT32 && x->dtype != FRT_DTYPE_INT64)
        return frt_status_new(FRT_UNIMPLEMENTED, "BatchMatMul for dtype %s",
                              frt_dtype_name(x->dtype));
    frt_bmm_geom g;
    FRT_TRY(frt_bmm_geom_init(x, y, ta, tb, broadcast, &g));
    int64_t M = g.M, N = g.N, K = g.K, xstride = g.xcount, ystride = g.ycount;
    int ob = g.ob;
    const int64_t *odims = g.odims;
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, x->dtype, g.odims, ob + 2, &out));
    int64_t nbatch = 1;
    for (int i = 0; i < ob; i++) nbatch *= odims[i];
    if (out->n == 0) return NULL;
    int threads = ctx_threads(ctx);
    const char *xd = frt_tensor_data(x), *yd = frt_tensor_data(y);
    size_t es = frt_dtype_size(x->dtype);
    /* y shared by every batch and x not transposed: one tall product [nbatch*M, K] x y. */
    if (ystride == 1 && !ta && xstride == nbatch)
        return product(ctx, threads, x->dtype, false, tb, nbatch * M, N, K, xd, yd,
                       frt_tensor_data(out));
    int64_t *offs = frt_malloc((size_t)nbatch * 2 * sizeof *offs);
    if (!offs) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "BatchMatMul: out of memory");
    for (int64_t b = 0; b < nbatch; b++) {
        int64_t xo, yo;
        frt_bmm_batch_offsets(&g, b, &xo, &yo);
        offs[b] = xo * M * K;
        offs[nbatch + b] = yo * K * N;
    }
    frt_status *st = NULL;
    if (nbatch >= threads || threads == 1) {
        bmm_job j = {.ctx = ctx, .dt = x->dtype, .ta = ta, .tb = tb, .M = M, .N = N, .K = K,
                     .x = xd, .y = yd, .z = frt_tensor_data(out), .xoff = offs,
                     .yoff = offs + nbatch};
        frt_kernel_parallel_for(ctx, nbatch, 1, bmm_range, &j);
    } else {
        char *zd = frt_tensor_data(out);
        for (int64_t b = 0; b < nbatch && !st; b++)
            st = product(ctx, threads, x->dtype, ta, tb, M, N, K, xd + (size_t)offs[b] * es,
                         yd + (size_t)offs[nbatch + b] * es, zd + (size_t)(b * M * N) * es);
    }
    free(offs);
    return st;
}

static frt_status *batch_matmul_v1(frt_kernel_ctx *ctx) { return batch_matmul(ctx, false); }
static frt_status *batch_matmul_v2(frt_kernel_ctx *ctx) { return batch_matmul(ctx, true); }

/* V3 names its types Ta, Tb, Tout; we support Ta == Tb == Tout. */
static frt_status *bmm_v3_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    return frt_bmm_v3_check_types(ic->attrs);
}

#define MATMUL_TYPES(X, ...) FRT_REAL_TYPES(X, __VA_ARGS__)
#define ROW(OP, FN, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, FN, NULL, NULL, 0, NULL},
#define ROW_V3(OP, FN, DT, T) {#OP, FRT_DEVICE_CPU, FRT_DTYPE_##DT, FN, bmm_v3_init, NULL, 0, "Ta"},
static const frt_kernel_def defs[] = {
    MATMUL_TYPES(ROW, MatMul, matmul)
    MATMUL_TYPES(ROW, BatchMatMul, batch_matmul_v1)
    MATMUL_TYPES(ROW, BatchMatMulV2, batch_matmul_v2)
    MATMUL_TYPES(ROW_V3, BatchMatMulV3, batch_matmul_v2)
    {"_FusedMatMul", FRT_DEVICE_CPU, FRT_DTYPE_FLOAT, fused_matmul, fused_matmul_init, free, 0,
     NULL},
};

void frt_kernels_register_matmul(frt_kernel_registry *r);
void frt_kernels_register_matmul(frt_kernel_registry *r) {
    /* Our pool splits products; OpenBLAS threads on top of it would oversubscribe. */
    openblas_set_num_threads(1);
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
