/* tests/kernels/test_matmul.c: MatMul and BatchMatMul/V2/V3 against hand-computed values and
 * a naive triple loop, on one thread and split over a pool; shape errors. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <stdlib.h>
#include <string.h>

static frt_status *run2(const char *op, const frt_attrs *a, frt_tensor *x, frt_tensor *y,
                        frt_tensor **out, bool threaded) {
    frt_tensor *ins[2] = {x, y};
    return frt_kernel_run_once(op, a, ins, 2, out, 1, threaded ? tu_pool : NULL);
}

static void mm_attrs(frt_attrs *a, frt_dtype dt, bool ta, bool tb) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", dt);
    tu_attr_bool(a, "transpose_a", ta);
    tu_attr_bool(a, "transpose_b", tb);
}

static void matmul_hand_computed(void **state) {
    (void)state;
    frt_attrs a;
    mm_attrs(&a, FRT_DTYPE_FLOAT, false, false);
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    frt_tensor *y = tu_f32(TU_DIMS(3, 2), 2, TU_F32(7, 8, 9, 10, 11, 12)), *z;
    TU_OK(run2("MatMul", &a, x, y, &z, false));
    frt_tensor *want = tu_f32(TU_DIMS(2, 2), 2, TU_F32(58, 64, 139, 154));
    tu_assert_close_f32(z, want, 0, 0);
    frt_tensor_unref(z);
    frt_attrs_deinit(&a);
    /* x^T y^T: [3,2]^T [2,3]^T... use transposes of the same data */
    mm_attrs(&a, FRT_DTYPE_FLOAT, true, true);
    frt_tensor *xt = tu_f32(TU_DIMS(3, 2), 2, TU_F32(1, 4, 2, 5, 3, 6));
    frt_tensor *yt = tu_f32(TU_DIMS(2, 3), 2, TU_F32(7, 9, 11, 8, 10, 12));
    TU_OK(run2("MatMul", &a, xt, yt, &z, false));
    tu_assert_close_f32(z, want, 0, 0);
    frt_tensor_unref(z);
    frt_attrs_deinit(&a);
    frt_tensor_unref(want);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(xt);
    frt_tensor_unref(yt);
}

/* z[b] = op(x[b]) op(y[b]) for stored row-major x [.., rows, cols]. */
static void ref_mm(const float *x, const float *y, float *z, bool ta, bool tb, int64_t M,
                   int64_t N, int64_t K) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0;
            for (int64_t k = 0; k < K; k++)
                s += (double)(ta ? x[k * M + i] : x[i * K + k]) *
                     (double)(tb ? y[j * K + k] : y[k * N + j]);
            z[i * N + j] = (float)s;
        }
}

static void matmul_random_transposes(void **state) {
    (void)state;
    const int64_t sizes[][3] = {{1, 1, 1}, {5, 7, 3},  {64, 80, 96},
                                {2, 300, 200}, {300, 2, 200}, {17, 33, 1}};
    for (size_t s = 0; s < FRT_COUNTOF(sizes); s++)
        for (int t = 0; t < 8; t++) {
            bool ta = t & 1, tb = t & 2, threaded = t & 4;
            int64_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
            frt_tensor *x =
                tu_rand_f32(ta ? TU_DIMS(K, M) : TU_DIMS(M, K), 2, (unsigned)(s * 8 + t));
            frt_tensor *y = tu_rand_f32(tb ? TU_DIMS(N, K) : TU_DIMS(K, N), 2, (unsigned)(s + 99));
            frt_tensor *want = tu_f32(TU_DIMS(M, N), 2, NULL), *z;
            ref_mm(frt_tensor_f32(x), frt_tensor_f32(y), frt_tensor_f32(want), ta, tb, M, N, K);
            frt_attrs a;
            mm_attrs(&a, FRT_DTYPE_FLOAT, ta, tb);
            TU_OK(run2("MatMul", &a, x, y, &z, threaded));
            tu_assert_close_f32(z, want, 1e-4f, 1e-4f);
            frt_attrs_deinit(&a);
            frt_tensor_unref(z);
            frt_tensor_unref(want);
            frt_tensor_unref(x);
            frt_tensor_unref(y);
        }
}

static void matmul_double_and_int(void **state) {
    (void)state;
    frt_attrs a;
    mm_attrs(&a, FRT_DTYPE_INT32, false, true);
    frt_tensor *x = tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 2, 3, 4));
    frt_tensor *y = tu_i32(TU_DIMS(3, 2), 2, TU_I32(1, 0, 0, 1, -1, 2)), *z;
    TU_OK(run2("MatMul", &a, x, y, &z, false));
    frt_tensor *want = tu_i32(TU_DIMS(2, 3), 2, TU_I32(1, 2, 3, 3, 4, 5));
    tu_assert_equal(z, want);
    frt_tensor_unref(z);
    frt_tensor_unref(want);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);

    mm_attrs(&a, FRT_DTYPE_DOUBLE, false, false);
    const double xd[] = {1.5, -2, 0.25, 4}, yd[] = {2, 1, -1, 0.5};
    TU_OK(frt_tensor_new_copy(FRT_DTYPE_DOUBLE, TU_DIMS(2, 2), 2, xd, sizeof xd, &x));
    TU_OK(frt_tensor_new_copy(FRT_DTYPE_DOUBLE, TU_DIMS(2, 2), 2, yd, sizeof yd, &y));
    TU_OK(run2("MatMul", &a, x, y, &z, false));
    const double *zd = frt_tensor_data(z);
    assert_true(zd[0] == 5.0 && zd[1] == 0.5 && zd[2] == -3.5 && zd[3] == 2.25);
    frt_tensor_unref(z);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
}

static void matmul_errors(void **state) {
    (void)state;
    frt_attrs a;
    mm_attrs(&a, FRT_DTYPE_FLOAT, false, false);
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, NULL), *y = tu_f32(TU_DIMS(4, 5), 2, NULL), *z;
    tu_assert_error(run2("MatMul", &a, x, y, &z, false), FRT_INVALID_ARGUMENT,
                    "Matrix size-incompatible: In[0]: [2,3], In[1]: [4,5]");
    assert_null(z);
    frt_tensor *v = tu_f32(TU_DIMS(2, 3, 1), 3, NULL);
    tu_assert_error(run2("MatMul", &a, v, y, &z, false), FRT_INVALID_ARGUMENT,
                    "In[0] is not a matrix. Instead it has shape [2,3,1]");
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(v);
    frt_attrs_deinit(&a);
}

static void bmm_attrs(frt_attrs *a, bool adjx, bool adjy) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    tu_attr_bool(a, "adj_x", adjx);
    tu_attr_bool(a, "adj_y", adjy);
}

/* x [xb..., M, K] (or [.., K, M] with adj_x), y [yb..., K, N] (or [.., N, K]) against the
 * reference, batch dims broadcast. */
static void check_bmm(const char *op, const int64_t *xb, int xbr, const int64_t *yb, int ybr,
                      int64_t M0, int64_t K0, int64_t N0, bool adjx, bool adjy, bool threaded,
                      unsigned seed) {
    int64_t xd[FRT_MAX_DIMS], yd[FRT_MAX_DIMS];
    int xr = xbr + 2, yr = ybr + 2;
    if (xbr) memcpy(xd, xb, (size_t)xbr * sizeof *xd);
    if (ybr) memcpy(yd, yb, (size_t)ybr * sizeof *yd);
    xd[xbr] = adjx ? K0 : M0;
    xd[xbr + 1] = adjx ? M0 : K0;
    yd[ybr] = adjy ? N0 : K0;
    yd[ybr + 1] = adjy ? K0 : N0;
    frt_tensor *x = tu_rand_f32(xd, xr, seed), *y = tu_rand_f32(yd, yr, seed + 1), *z;
    frt_attrs a;
    bmm_attrs(&a, adjx, adjy);
    if (strcmp(op, "BatchMatMulV3") == 0) {
        tu_attr_type(&a, "Ta", FRT_DTYPE_FLOAT);
        tu_attr_type(&a, "Tb", FRT_DTYPE_FLOAT);
        tu_attr_type(&a, "Tout", FRT_DTYPE_FLOAT);
    }
    TU_OK(run2(op, &a, x, y, &z, threaded));
    int64_t M = xd[xr - (adjx ? 1 : 2)], K = xd[xr - (adjx ? 2 : 1)], N = yd[yr - (adjy ? 2 : 1)];
    int ob = (xr > yr ? xr : yr) - 2;
    int64_t od[FRT_MAX_DIMS];
    for (int i = 0; i < ob; i++) {
        int xi = i - (ob - (xr - 2)), yi = i - (ob - (yr - 2));
        int64_t a1 = xi >= 0 ? xd[xi] : 1, b1 = yi >= 0 ? yd[yi] : 1;
        od[i] = a1 > b1 ? a1 : b1;
    }
    od[ob] = M;
    od[ob + 1] = N;
    frt_tensor *want = tu_f32(od, ob + 2, NULL);
    int64_t nb = want->n / (M * N);
    for (int64_t b = 0; b < nb; b++) {
        int64_t rem = b, xo = 0, yo = 0, xs = 1, ys = 1;
        for (int i = ob - 1; i >= 0; i--) {
            int64_t idx = rem % od[i];
            rem /= od[i];
            int xi = i - (ob - (xr - 2)), yi = i - (ob - (yr - 2));
            int64_t a1 = xi >= 0 ? xd[xi] : 1, b1 = yi >= 0 ? yd[yi] : 1;
            xo += (a1 == 1 ? 0 : idx) * xs;
            yo += (b1 == 1 ? 0 : idx) * ys;
            xs *= a1;
            ys *= b1;
        }
        ref_mm(frt_tensor_f32(x) + xo * M * K, frt_tensor_f32(y) + yo * K * N,
               frt_tensor_f32(want) + b * M * N, adjx, adjy, M, N, K);
    }
    tu_assert_close_f32(z, want, 1e-4f, 1e-4f);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(z);
    frt_tensor_unref(want);
    frt_attrs_deinit(&a);
}

static void batch_matmul_broadcasts(void **state) {
    (void)state;
    for (int t = 0; t < 8; t++) {
        bool ax = t & 1, ay = t & 2, th = t & 4;
        check_bmm("BatchMatMul", TU_DIMS(3), 1, TU_DIMS(3), 1, 4, 5, 4, ax, ay, th, 1u + t);
        check_bmm("BatchMatMulV2", TU_DIMS(2, 1), 2, TU_DIMS(3), 1, 4, 5, 6, ax, ay, th, 7u + t);
        check_bmm("BatchMatMulV2", TU_DIMS(2, 3), 2, NULL, 0, 6, 5, 7, ax, ay, th, 9u + t);
        check_bmm("BatchMatMulV2", NULL, 0, TU_DIMS(4, 1), 2, 6, 5, 3, ax, ay, th, 3u + t);
        check_bmm("BatchMatMulV3", TU_DIMS(2), 1, TU_DIMS(2), 1, 40, 50, 60, ax, ay, th, 5u + t);
    }
    /* Large single-batch product exercises the split inside one matrix. */
    check_bmm("BatchMatMulV2", TU_DIMS(1), 1, NULL, 0, 70, 90, 80, false, true, true, 11);
}

static void batch_matmul_errors(void **state) {
    (void)state;
    frt_attrs a;
    bmm_attrs(&a, false, false);
    frt_tensor *x = tu_f32(TU_DIMS(2, 2, 3), 3, NULL), *y = tu_f32(TU_DIMS(3, 3, 5), 3, NULL);
    frt_tensor *y4 = tu_f32(TU_DIMS(3, 4, 5), 3, NULL), *v = tu_f32(TU_DIMS(3), 1, NULL), *z;
    tu_assert_error(run2("BatchMatMul", &a, x, y, &z, false), FRT_INVALID_ARGUMENT,
                    "In[0].dim(0) and In[1].dim(0) must be the same: [2,2,3] vs [3,3,5]");
    tu_assert_error(run2("BatchMatMulV2", &a, x, y, &z, false), FRT_INVALID_ARGUMENT,
                    "must have compatible batch dimensions: [2,2,3] vs. [3,3,5]");
    tu_assert_error(run2("BatchMatMulV2", &a, x, y4, &z, false), FRT_INVALID_ARGUMENT,
                    "Matrix size-incompatible: In[0]: [2,2,3], In[1]: [3,4,5]");
    tu_assert_error(run2("BatchMatMulV2", &a, v, y, &z, false), FRT_INVALID_ARGUMENT,
                    "In[0] ndims must be >= 2: 1");
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(y4);
    frt_tensor_unref(v);
    frt_attrs_deinit(&a);
}

static void empty_inner_dim_gives_zeros(void **state) {
    (void)state;
    frt_attrs a;
    mm_attrs(&a, FRT_DTYPE_FLOAT, false, false);
    frt_tensor *x = tu_f32(TU_DIMS(2, 0), 2, NULL), *y = tu_f32(TU_DIMS(0, 3), 2, NULL), *z;
    TU_OK(run2("MatMul", &a, x, y, &z, false));
    tu_assert_shape(z, TU_DIMS(2, 3), 2);
    for (int i = 0; i < 6; i++) assert_true(frt_tensor_f32(z)[i] == 0.0f);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(z);
    frt_attrs_deinit(&a);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matmul_hand_computed),
        cmocka_unit_test(matmul_random_transposes),
        cmocka_unit_test(matmul_double_and_int),
        cmocka_unit_test(matmul_errors),
        cmocka_unit_test(batch_matmul_broadcasts),
        cmocka_unit_test(batch_matmul_errors),
        cmocka_unit_test(empty_inner_dim_gives_zeros),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
