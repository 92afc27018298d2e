/* tests/cuda_sim/test_sim_cublas.c: the simulated cuBLAS: Sgemm against a hand-computed
 * product and, for every transpose combination and leading dimensions larger than the
 * matrices, against a plain loop; strided batches; stream order; argument checks, bad
 * pointers and handles as violations. Runs on FLOWRT_SIM_GPUS=2x256. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "cuda/sim/sim_internal.h"

#define OK(x) assert_int_equal((x), cudaSuccess)
#define BLAS_OK(x) assert_int_equal((x), CUBLAS_STATUS_SUCCESS)
#define VIOLATES(expr, code)                     \
    do {                                         \
        long v0_ = frt_sim_violations();         \
        assert_int_equal((expr), (code));        \
        assert_true(frt_sim_violations() > v0_); \
    } while (0)

static cublasHandle_t handle;

static int setup(void **state) {
    (void)state;
    frt_sim_reset_violations();
    OK(cudaSetDevice(0));
    BLAS_OK(cublasCreate(&handle));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    BLAS_OK(cublasDestroy(handle));
    assert_int_equal(frt_sim_violations(), 0);
    return 0;
}

/* For tests that misuse the API on purpose. */
static int teardown_dirty(void **state) {
    (void)state;
    BLAS_OK(cublasDestroy(handle));
    frt_sim_reset_violations();
    return 0;
}

static float *to_device(const float *x, size_t n) {
    float *d;
    OK(cudaMalloc((void **)&d, n * sizeof *d));
    OK(cudaMemcpy(d, x, n * sizeof *d, cudaMemcpyHostToDevice));
    return d;
}

static void to_host(float *x, const float *d, size_t n) {
    OK(cudaMemcpy(x, d, n * sizeof *x, cudaMemcpyDeviceToHost));
}

static void fill_random(float *x, size_t n, unsigned *seed) {
    for (size_t i = 0; i < n; i++) x[i] = (float)(rand_r(seed) % 2001) / 1000 - 1;
}

/* The reference: column-major, element (i, j) of op(X) at x[i + j*ld] or x[j + i*ld]. */
static void ref_gemm(int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                     const float *b, int ldb, float beta, float *c, int ldc) {
    for (int j = 0; j < n; j++)
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int l = 0; l < k; l++)
                acc += (double)(ta ? a[l + i * lda] : a[i + l * lda]) *
                       (tb ? b[j + l * ldb] : b[l + j * ldb]);
            double v = (double)alpha * acc;
            if (beta != 0) v += (double)beta * c[i + j * ldc];
            c[i + j * ldc] = (float)v;
        }
}

static const float one = 1, zero = 0;

/* cublasSgemm on the shared handle with alpha = 1 and the given beta. */
static cublasStatus_t sgemm(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                            const float *a, int lda, const float *b, int ldb, const float *beta,
                            float *c, int ldc) {
    return cublasSgemm(handle, ta, tb, m, n, k, &one, a, lda, b, ldb, beta, c, ldc);
}

static void assert_close(const float *got, const float *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        float tol = 1e-5f * (want[i] < 0 ? -want[i] : want[i]) + 1e-6f;
        float d = got[i] - want[i];
        if (d > tol || d < -tol) fail_msg("element %zu: got %g, want %g", i, got[i], want[i]);
    }
}

static void hand_computed_product(void **state) {
    (void)state;
    /* A = [1 2 3; 4 5 6], B = [7 8; 9 10; 11 12], column-major; A*B = [58 64; 139 154]. */
    const float a[] = {1, 4, 2, 5, 3, 6}, b[] = {7, 9, 11, 8, 10, 12};
    float *da = to_device(a, 6), *db = to_device(b, 6), *dc, c[4];
    OK(cudaMalloc((void **)&dc, sizeof c)); /* fresh memory is NaN: beta = 0 must not read it */
    float two = 2;
    BLAS_OK(sgemm(CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, da, 2, db, 3, &zero, dc, 2));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, 4);
    assert_true(c[0] == 58 && c[1] == 139 && c[2] == 64 && c[3] == 154);
    BLAS_OK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &two, da, 2, db, 3, &one, dc,
                        2));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, 4);
    assert_true(c[0] == 174 && c[1] == 417 && c[2] == 192 && c[3] == 462);
    /* B^T A^T = (AB)^T from the same storage. */
    BLAS_OK(sgemm(CUBLAS_OP_T, CUBLAS_OP_T, 2, 2, 3, db, 3, da, 2, &zero, dc, 2));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, 4);
    assert_true(c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154);
    OK(cudaFree(da));
    OK(cudaFree(db));
    OK(cudaFree(dc));
}

/* One random case: every element of C's storage (padding rows included) matches. */
static void random_case(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k,
                        float alpha, float beta, unsigned seed) {
    int ra = ta == CUBLAS_OP_N ? m : k, ca = ta == CUBLAS_OP_N ? k : m;
    int rb = tb == CUBLAS_OP_N ? k : n, cb = tb == CUBLAS_OP_N ? n : k;
    int lda = ra + 3, ldb = rb + 1, ldc = m + 2;
    size_t na = (size_t)lda * ca, nb = (size_t)ldb * cb, nc = (size_t)ldc * n;
    float *a = malloc(na * 4), *b = malloc(nb * 4), *c = malloc(nc * 4), *want = malloc(nc * 4);
    fill_random(a, na, &seed);
    fill_random(b, nb, &seed);
    fill_random(c, nc, &seed);
    memcpy(want, c, nc * 4);
    ref_gemm(ta != CUBLAS_OP_N, tb != CUBLAS_OP_N, m, n, k, alpha, a, lda, b, ldb, beta, want,
             ldc);
    float *da = to_device(a, na), *db = to_device(b, nb), *dc = to_device(c, nc);
    BLAS_OK(cublasSgemm(handle, ta, tb, m, n, k, &alpha, da, lda, db, ldb, &beta, dc, ldc));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, nc);
    assert_close(c, want, nc);
    OK(cudaFree(da));
    OK(cudaFree(db));
    OK(cudaFree(dc));
    free(a);
    free(b);
    free(c);
    free(want);
}

static void random_products_all_transposes(void **state) {
    (void)state;
    const cublasOperation_t ops[] = {CUBLAS_OP_N, CUBLAS_OP_T};
    const int shapes[][3] = {{5, 7, 3}, {17, 9, 13}, {1, 1, 1}, {8, 1, 20}, {1, 6, 4}};
    unsigned seed = 1;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                random_case(ops[i], ops[j], shapes[s][0], shapes[s][1], shapes[s][2], 0.7f,
                            -0.3f, seed++);
                random_case(ops[i], ops[j], shapes[s][0], shapes[s][1], shapes[s][2], 1.0f,
                            0.0f, seed++);
            }
    random_case(CUBLAS_OP_C, CUBLAS_OP_N, 6, 5, 4, 1.5f, 0.5f, seed++); /* C == T for floats */
}

static void strided_batches(void **state) {
    (void)state;
    enum { M = 4, N = 5, K = 6, BATCH = 3, LDA = K + 1, LDB = K + 2, LDC = M + 1 };
    /* op(A) = A^T, A stored K x M; B stored K x N. Gaps between the batches' matrices. */
    const long long sa = LDA * M + 7, sb = LDB * N + 3, sc = LDC * N + 5;
    size_t na = (size_t)sa * BATCH, nb = (size_t)sb * BATCH, nc = (size_t)sc * BATCH;
    float a[na], b[nb], c[nc], want[nc];
    unsigned seed = 42;
    fill_random(a, na, &seed);
    fill_random(b, nb, &seed);
    fill_random(c, nc, &seed);
    memcpy(want, c, sizeof c);
    float alpha = 0.5f, beta = 2.0f;
    for (int p = 0; p < BATCH; p++)
        ref_gemm(1, 0, M, N, K, alpha, a + p * sa, LDA, b + p * sb, LDB, beta, want + p * sc,
                 LDC);
    float *da = to_device(a, na), *db = to_device(b, nb), *dc = to_device(c, nc);
    BLAS_OK(cublasSgemmStridedBatched(handle, CUBLAS_OP_T, CUBLAS_OP_N, M, N, K, &alpha, da, LDA,
                                      sa, db, LDB, sb, &beta, dc, LDC, sc, BATCH));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, nc);
    assert_close(c, want, nc);
    /* strideA = 0: one A for every batch. */
    memcpy(want, c, sizeof c);
    for (int p = 0; p < BATCH; p++)
        ref_gemm(1, 0, M, N, K, alpha, a, LDA, b + p * sb, LDB, beta, want + p * sc, LDC);
    BLAS_OK(cublasSgemmStridedBatched(handle, CUBLAS_OP_T, CUBLAS_OP_N, M, N, K, &alpha, da, LDA,
                                      0, db, LDB, sb, &beta, dc, LDC, sc, BATCH));
    OK(cudaDeviceSynchronize());
    to_host(c, dc, nc);
    assert_close(c, want, nc);
    /* Too many batches for the allocations. */
    VIOLATES(cublasSgemmStridedBatched(handle, CUBLAS_OP_T, CUBLAS_OP_N, M, N, K, &alpha, da,
                                       LDA, sa, db, LDB, sb, &beta, dc, LDC, sc, BATCH + 1),
             CUBLAS_STATUS_EXECUTION_FAILED);
    frt_sim_reset_violations();
    OK(cudaFree(da));
    OK(cudaFree(db));
    OK(cudaFree(dc));
}

static void quick_returns_read_nothing(void **state) {
    (void)state;
    float c[4] = {1, 2, 3, 4}, out[4], half = 0.5f;
    float *dc = to_device(c, 4);
    /* k = 0 and beta = 1: C unchanged; A and B are not read, so NULL is fine. */
    BLAS_OK(sgemm(CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 0, NULL, 2, NULL, 1, &one, dc, 2));
    /* alpha = 0: C = beta * C, A and B not read. */
    BLAS_OK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 3, &zero, NULL, 2, NULL, 3, &half,
                        dc, 2));
    BLAS_OK(sgemm(CUBLAS_OP_N, CUBLAS_OP_N, 0, 2, 3, NULL, 1, NULL, 3, &one, NULL, 1)); /* m = 0 */
    OK(cudaDeviceSynchronize());
    to_host(out, dc, 4);
    assert_true(out[0] == 0.5f && out[1] == 1 && out[2] == 1.5f && out[3] == 2);
    OK(cudaFree(dc));
}

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
} gate;

static void gate_hold(void *arg) {
    gate *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->open) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

/* The product runs on the handle's stream, in its order. */
static void runs_on_the_handle_stream(void **state) {
    (void)state;
    const float a[] = {2}, b[] = {3}, c0[] = {-1};
    float *da = to_device(a, 1), *db = to_device(b, 1), *dc = to_device(c0, 1), c;
    cudaStream_t s, got;
    gate g = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    BLAS_OK(cublasSetStream(handle, s));
    BLAS_OK(cublasGetStream(handle, &got));
    assert_ptr_equal(got, s);
    OK(cudaLaunchHostFunc(s, gate_hold, &g));
    BLAS_OK(sgemm(CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, da, 1, db, 1, &zero, dc, 1));
    to_host(&c, dc, 1); /* the NULL stream does not wait for s */
    assert_true(c == -1);
    pthread_mutex_lock(&g.mu);
    g.open = 1;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    OK(cudaStreamSynchronize(s));
    to_host(&c, dc, 1);
    assert_true(c == 6);
    /* A stream destroyed under the handle. */
    OK(cudaStreamDestroy(s));
    VIOLATES(sgemm(CUBLAS_OP_N, CUBLAS_OP_N, 1, 1, 1, da, 1, db, 1, &zero, dc, 1),
             CUBLAS_STATUS_EXECUTION_FAILED);
    VIOLATES(cublasSetStream(handle, s), CUBLAS_STATUS_INVALID_VALUE);
    BLAS_OK(cublasSetStream(handle, NULL));
    frt_sim_reset_violations();
    OK(cudaFree(da));
    OK(cudaFree(db));
    OK(cudaFree(dc));
}

static void bad_arguments(void **state) {
    (void)state;
    float *d;
    OK(cudaMalloc((void **)&d, 64 * sizeof *d));
    const cublasStatus_t INVALID = CUBLAS_STATUS_INVALID_VALUE;
    const cublasOperation_t N = CUBLAS_OP_N, T = CUBLAS_OP_T;
    /* lda >= max(1, rows of A as stored), ldb likewise, ldc >= max(1, m). */
    VIOLATES(sgemm(N, N, 4, 2, 3, d, 3, d, 3, &one, d, 4), INVALID);
    VIOLATES(sgemm(T, N, 4, 2, 3, d, 2, d, 3, &one, d, 4), INVALID);
    VIOLATES(sgemm(N, N, 4, 2, 3, d, 4, d, 2, &one, d, 4), INVALID);
    VIOLATES(sgemm(N, T, 4, 2, 3, d, 4, d, 1, &one, d, 4), INVALID);
    VIOLATES(sgemm(N, N, 4, 2, 3, d, 4, d, 3, &one, d, 3), INVALID);
    VIOLATES(sgemm(N, N, 0, 2, 3, d, 0, d, 3, &one, d, 1), INVALID);
    VIOLATES(sgemm(N, N, -1, 2, 3, d, 4, d, 3, &one, d, 4), INVALID);
    VIOLATES(sgemm((cublasOperation_t)7, N, 4, 2, 3, d, 4, d, 3, &one, d, 4), INVALID);
    VIOLATES(cublasSgemm(handle, N, N, 4, 2, 3, NULL, d, 4, d, 3, &one, d, 4), INVALID);
    VIOLATES(sgemm(N, N, 4, 2, 3, d, 4, d, 3, d, d, 4), INVALID); /* beta in device memory */
    VIOLATES(cublasSgemmStridedBatched(handle, N, N, 2, 2, 2, &one, d, 2, 4, d, 2, 4, &one, d, 2,
                                       4, -1), INVALID);
    /* Matrices outside live allocations. */
    VIOLATES(sgemm(N, N, 9, 9, 9, d, 9, d, 9, &one, d, 9), CUBLAS_STATUS_EXECUTION_FAILED);
    float host[16];
    VIOLATES(sgemm(N, N, 2, 2, 2, host, 2, d, 2, &one, d + 8, 2), CUBLAS_STATUS_EXECUTION_FAILED);
    OK(cudaFree(d));
    VIOLATES(sgemm(N, N, 2, 2, 2, d, 2, d, 2, &one, d, 2), CUBLAS_STATUS_EXECUTION_FAILED);
    /* Modes. */
    assert_int_equal(cublasSetPointerMode(handle, CUBLAS_POINTER_MODE_DEVICE),
                     CUBLAS_STATUS_NOT_SUPPORTED);
    cublasPointerMode_t pm;
    BLAS_OK(cublasGetPointerMode(handle, &pm));
    assert_int_equal(pm, CUBLAS_POINTER_MODE_HOST);
    BLAS_OK(cublasSetMathMode(handle, CUBLAS_TF32_TENSOR_OP_MATH));
    cublasMath_t mm;
    BLAS_OK(cublasGetMathMode(handle, &mm));
    assert_int_equal(mm, CUBLAS_TF32_TENSOR_OP_MATH);
    VIOLATES(cublasSetMathMode(handle, (cublasMath_t)99), INVALID);
    assert_string_equal(cublasGetStatusString(CUBLAS_STATUS_SUCCESS),
                        "the operation completed successfully");
}

static void bad_handles(void **state) {
    (void)state;
    cublasHandle_t h, h1;
    float *d;
    OK(cudaMalloc((void **)&d, 16 * sizeof *d));
    BLAS_OK(cublasCreate(&h));
    BLAS_OK(cublasDestroy(h));
    VIOLATES(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, d, 2, d, 2, &one, d + 8, 2),
             CUBLAS_STATUS_NOT_INITIALIZED);
    VIOLATES(cublasDestroy(h), CUBLAS_STATUS_NOT_INITIALIZED);
    VIOLATES(cublasSetStream(h, NULL), CUBLAS_STATUS_NOT_INITIALIZED);
    VIOLATES(cublasSetStream((cublasHandle_t)(uintptr_t)0x40, NULL),
             CUBLAS_STATUS_NOT_INITIALIZED);
    /* A handle is used on the device that was current when it was made. */
    OK(cudaSetDevice(1));
    BLAS_OK(cublasCreate(&h1));
    OK(cudaSetDevice(0));
    VIOLATES(cublasSgemm(h1, CUBLAS_OP_N, CUBLAS_OP_N, 2, 2, 2, &one, d, 2, d, 2, &one, d + 8, 2),
             CUBLAS_STATUS_INVALID_VALUE);
    OK(cudaSetDevice(1));
    BLAS_OK(cublasDestroy(h1));
    OK(cudaSetDevice(0));
    VIOLATES(cublasCreate(NULL), CUBLAS_STATUS_INVALID_VALUE);
    OK(cudaFree(d));
}

int main(void) {
    setenv("FLOWRT_SIM_GPUS", "2x256", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hand_computed_product, setup, teardown),
        cmocka_unit_test_setup_teardown(random_products_all_transposes, setup, teardown),
        cmocka_unit_test_setup_teardown(strided_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(quick_returns_read_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(runs_on_the_handle_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown_dirty),
        cmocka_unit_test_setup_teardown(bad_handles, setup, teardown_dirty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
