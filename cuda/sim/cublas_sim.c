/* cuda/sim/cublas_sim.c: simulated cuBLAS: handles, cublasSgemm and
 * cublasSgemmStridedBatched. Arguments are checked as cuBLAS documents (a bad value is a
 * violation and CUBLAS_STATUS_INVALID_VALUE); the matrices must lie inside live device
 * allocations (checked at the call: where real cuBLAS would fault later, on the GPU, the
 * simulation reports a violation and returns CUBLAS_STATUS_EXECUTION_FAILED). The product
 * runs on the handle's stream, a naive loop accumulating in double, rounded to float once.
 * alpha and beta are read at the call from host memory (CUBLAS_POINTER_MODE_HOST only).
 * Owns: the handle structs. Does not own: streams, memory (the runtime, sim_internal.h).
 * Thread-safety: thread-safe; destroying a handle while another thread uses it is the
 * caller's race, as in cuBLAS. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cublas_v2.h>

#include "cuda/sim/sim_internal.h"

#define BLAS_KIND "cublasHandle_t"

typedef struct {
    int device;
    cudaStream_t stream;
    cublasMath_t math;
    cublasPointerMode_t pointer_mode;
} blas_ctx;

static cublasStatus_t invalid(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static cublasStatus_t invalid(const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    frt_sim_violation("%s", msg);
    return CUBLAS_STATUS_INVALID_VALUE;
}

/* ---- handles ---- */

cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
    if (!handle) return invalid("cublasCreate: handle is NULL");
    *handle = NULL;
    int device;
    if (cudaGetDevice(&device) != cudaSuccess) return CUBLAS_STATUS_NOT_INITIALIZED;
    blas_ctx *b = calloc(1, sizeof *b);
    if (!b) return CUBLAS_STATUS_ALLOC_FAILED;
    b->device = device;
    void *h = frt_sim_handle_new(BLAS_KIND, b);
    if (!h) {
        free(b);
        return CUBLAS_STATUS_ALLOC_FAILED;
    }
    *handle = h;
    return CUBLAS_STATUS_SUCCESS;
}

/* As cuBLAS documents, destroying a handle synchronises the device. */
cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    blas_ctx *b = frt_sim_handle_retire(handle, BLAS_KIND, "cublasDestroy");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    cudaDeviceSynchronize();
    free(b);
    return CUBLAS_STATUS_SUCCESS;
}

static blas_ctx *get(cublasHandle_t handle, const char *api) {
    return frt_sim_handle_get(handle, BLAS_KIND, api);
}

cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId) {
    blas_ctx *b = get(handle, "cublasSetStream");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (frt_sim_check_stream(streamId, "cublasSetStream") != cudaSuccess)
        return CUBLAS_STATUS_INVALID_VALUE;
    b->stream = streamId;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, cudaStream_t *streamId) {
    blas_ctx *b = get(handle, "cublasGetStream");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!streamId) return invalid("cublasGetStream: streamId is NULL");
    *streamId = b->stream;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t mode) {
    blas_ctx *b = get(handle, "cublasSetPointerMode");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (mode == CUBLAS_POINTER_MODE_DEVICE) {
        fprintf(stderr, "cuda-sim: cublasSetPointerMode: CUBLAS_POINTER_MODE_DEVICE is not "
                        "simulated\n");
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    if (mode != CUBLAS_POINTER_MODE_HOST)
        return invalid("cublasSetPointerMode: %d is not a cublasPointerMode_t", (int)mode);
    b->pointer_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetPointerMode_v2(cublasHandle_t handle, cublasPointerMode_t *mode) {
    blas_ctx *b = get(handle, "cublasGetPointerMode");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return invalid("cublasGetPointerMode: mode is NULL");
    *mode = b->pointer_mode;
    return CUBLAS_STATUS_SUCCESS;
}

/* Stored and returned; the simulation always computes in double. */
cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
    blas_ctx *b = get(handle, "cublasSetMathMode");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    int base = (int)mode & ~(int)CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base < CUBLAS_DEFAULT_MATH || base > CUBLAS_TF32_TENSOR_OP_MATH)
        return invalid("cublasSetMathMode: %d is not a cublasMath_t", (int)mode);
    b->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t *mode) {
    blas_ctx *b = get(handle, "cublasGetMathMode");
    if (!b) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!mode) return invalid("cublasGetMathMode: mode is NULL");
    *mode = b->math;
    return CUBLAS_STATUS_SUCCESS;
}

const char *cublasGetStatusString(cublasStatus_t status) {
    switch (status) {
    case CUBLAS_STATUS_SUCCESS: return "the operation completed successfully";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED: return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR: return "an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "the functionality requested is not supported";
    case CUBLAS_STATUS_LICENSE_ERROR: return "the functionality requested requires some license";
    }
    return "unknown error";
}

/* ---- gemm ---- */

typedef struct {
    int trans_a, trans_b, m, n, k;
    double alpha, beta;
    const float *a, *b; /* host memory; NULL when alpha == 0 or k == 0 (not read) */
    float *c;
    int lda, ldb, ldc;
    long long stride_a, stride_b, stride_c;
    int batch;
} gemm_job;

/* One product; element (i, j) of op(X) is x[i + j*ld] untransposed, x[j + i*ld] transposed. */
static void gemm_one(const gemm_job *g, const float *a, const float *b, float *c) {
    for (int j = 0; j < g->n; j++) {
        for (int i = 0; i < g->m; i++) {
            double acc = 0;
            for (int l = 0; a && l < g->k; l++) {
                float x = g->trans_a ? a[l + (size_t)i * g->lda] : a[i + (size_t)l * g->lda];
                float y = g->trans_b ? b[j + (size_t)l * g->ldb] : b[l + (size_t)j * g->ldb];
                acc += (double)x * y;
            }
            float *out = &c[i + (size_t)j * g->ldc];
            double v = g->alpha * acc;
            if (g->beta != 0) v += g->beta * *out; /* beta == 0: C is not read (may be NaN) */
            *out = (float)v;
        }
    }
}

static void run_gemm(void *arg) {
    gemm_job *g = arg;
    for (int p = 0; p < g->batch; p++) {
        const float *a = g->a ? g->a + p * g->stride_a : NULL;
        const float *b = g->b ? g->b + p * g->stride_b : NULL;
        gemm_one(g, a, b, g->c + p * g->stride_c);
    }
    free(g);
}

/* The host memory behind a batch of rows x cols matrices (leading dimension ld, stride
 * apart), or NULL after a violation. */
static const float *matrix(const char *api, const char *name, const float *p, int rows,
                           int cols, int ld, long long stride, int batch) {
    char what[64];
    snprintf(what, sizeof what, "%s %s", api, name);
    size_t elems, last = 0, bytes;
    int overflow = __builtin_mul_overflow((size_t)(cols - 1), (size_t)ld, &elems) ||
                   __builtin_add_overflow(elems, (size_t)rows, &elems) ||
                   __builtin_mul_overflow((size_t)(batch - 1), (size_t)stride, &last) ||
                   __builtin_add_overflow(elems, last, &elems) ||
                   __builtin_mul_overflow(elems, sizeof(float), &bytes);
    if (overflow) {
        frt_sim_violation("%s: the matrices span more than the address space", what);
        return NULL;
    }
    return frt_sim_host_ptr(p, bytes, what);
}

static cublasStatus_t check_scalar(const char *api, const char *name, const float *p) {
    if (!p) return invalid("%s: %s is NULL", api, name);
    if (frt_sim_is_device_ptr(p))
        return invalid("%s: %s %p is device memory; only CUBLAS_POINTER_MODE_HOST is simulated",
                       api, name, (const void *)p);
    return CUBLAS_STATUS_SUCCESS;
}

/* cuBLAS's argument checks for gemm: operations, sizes, leading dimensions. */
static cublasStatus_t check_args(const char *api, cublasOperation_t ta, cublasOperation_t tb,
                                 int m, int n, int k, int lda, int ldb, int ldc, int batch) {
    if (ta != CUBLAS_OP_N && ta != CUBLAS_OP_T && ta != CUBLAS_OP_C)
        return invalid("%s: transa %d is not a cublasOperation_t", api, (int)ta);
    if (tb != CUBLAS_OP_N && tb != CUBLAS_OP_T && tb != CUBLAS_OP_C)
        return invalid("%s: transb %d is not a cublasOperation_t", api, (int)tb);
    if (m < 0 || n < 0 || k < 0 || batch < 0)
        return invalid("%s: m=%d n=%d k=%d batchCount=%d: none may be negative", api, m, n, k,
                       batch);
    int rows_a = ta == CUBLAS_OP_N ? m : k, rows_b = tb == CUBLAS_OP_N ? k : n;
    if (lda < (rows_a > 1 ? rows_a : 1))
        return invalid("%s: lda=%d < max(1, %d), the rows of A", api, lda, rows_a);
    if (ldb < (rows_b > 1 ? rows_b : 1))
        return invalid("%s: ldb=%d < max(1, %d), the rows of B", api, ldb, rows_b);
    if (ldc < (m > 1 ? m : 1)) return invalid("%s: ldc=%d < max(1, m=%d)", api, ldc, m);
    return CUBLAS_STATUS_SUCCESS;
}

static cublasStatus_t gemm(const char *api, cublasHandle_t handle, cublasOperation_t ta,
                           cublasOperation_t tb, int m, int n, int k, const float *alpha,
                           const float *A, int lda, long long sa, const float *B, int ldb,
                           long long sb, const float *beta, float *C, int ldc, long long sc,
                           int batch) {
    blas_ctx *ctx = get(handle, api);
    if (!ctx) return CUBLAS_STATUS_NOT_INITIALIZED;
    cublasStatus_t st = check_args(api, ta, tb, m, n, k, lda, ldb, ldc, batch);
    if (!st) st = check_scalar(api, "alpha", alpha);
    if (!st) st = check_scalar(api, "beta", beta);
    if (st) return st;
    int device;
    if (cudaGetDevice(&device) != cudaSuccess) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (device != ctx->device)
        return invalid("%s: the handle belongs to device %d, the current device is %d", api,
                       ctx->device, device);
    if (m == 0 || n == 0 || batch == 0 || ((*alpha == 0 || k == 0) && *beta == 1))
        return CUBLAS_STATUS_SUCCESS; /* nothing to compute, as BLAS returns early */
    if (sa < 0 || sb < 0 || sc < 0) {
        fprintf(stderr, "cuda-sim: %s: negative strides are not simulated\n", api);
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    gemm_job g = {ta != CUBLAS_OP_N, tb != CUBLAS_OP_N, m, n, k, *alpha, *beta, NULL, NULL,
                  NULL, lda, ldb, ldc, sa, sb, sc, batch};
    if (*alpha != 0 && k > 0) { /* otherwise A and B are not read */
        g.a = matrix(api, "A", A, ta == CUBLAS_OP_N ? m : k, ta == CUBLAS_OP_N ? k : m, lda, sa,
                     batch);
        if (!g.a) return CUBLAS_STATUS_EXECUTION_FAILED;
        g.b = matrix(api, "B", B, tb == CUBLAS_OP_N ? k : n, tb == CUBLAS_OP_N ? n : k, ldb, sb,
                     batch);
        if (!g.b) return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    g.c = (float *)matrix(api, "C", C, m, n, ldc, sc, batch);
    if (!g.c) return CUBLAS_STATUS_EXECUTION_FAILED;
    gemm_job *job = malloc(sizeof *job);
    if (!job) return CUBLAS_STATUS_ALLOC_FAILED;
    *job = g;
    if (frt_sim_enqueue(ctx->stream, run_gemm, job) != cudaSuccess) {
        free(job);
        return CUBLAS_STATUS_EXECUTION_FAILED;
    }
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa,
                              cublasOperation_t transb, int m, int n, int k, const float *alpha,
                              const float *A, int lda, const float *B, int ldb,
                              const float *beta, float *C, int ldc) {
    return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, lda, 0, B, ldb, 0,
                beta, C, ldc, 0, 1);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa,
                                         cublasOperation_t transb, int m, int n, int k,
                                         const float *alpha, const float *A, int lda,
                                         long long int strideA, const float *B, int ldb,
                                         long long int strideB, const float *beta, float *C,
                                         int ldc, long long int strideC, int batchCount) {
    return gemm("cublasSgemmStridedBatched", handle, transa, transb, m, n, k, alpha, A, lda,
                strideA, B, ldb, strideB, beta, C, ldc, strideC, batchCount);
}
