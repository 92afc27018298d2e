/* tests/kernels/test_reduce.c: Sum/Mean/Max/Min/Prod over every axis subset of rank-3 and
 * rank-4 inputs (with and without keep_dims) against a naive reference; global average
 * pooling shape; empty reductions; axis errors; All/Any; ArgMax/ArgMin ties and NaN. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { SUM, MEAN, MAX, MIN, PROD };
static const char *ops[] = {"Sum", "Mean", "Max", "Min", "Prod"};

static double naive(int op, const float *x, const int64_t *dims, int r, unsigned mask,
                    int64_t out_flat, int64_t *count_out) {
    /* Walk all input elements; keep those whose kept coordinates match out_flat. */
    int64_t n = 1;
    for (int d = 0; d < r; d++) n *= dims[d];
    double acc = op == PROD ? 1 : op == MAX ? -INFINITY : op == MIN ? INFINITY : 0;
    int64_t cnt = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t rem = i, idx[8], of = 0;
        for (int d = r - 1; d >= 0; d--) {
            idx[d] = rem % dims[d];
            rem /= dims[d];
        }
        for (int d = 0; d < r; d++)
            if (!(mask & (1u << d))) of = of * dims[d] + idx[d];
        if (of != out_flat) continue;
        double v = x[i];
        cnt++;
        if (op == SUM || op == MEAN) acc += v;
        if (op == PROD) acc *= v;
        if (op == MAX && v > acc) acc = v;
        if (op == MIN && v < acc) acc = v;
    }
    *count_out = cnt;
    return op == MEAN ? acc / (double)cnt : acc;
}

static void check_all_axis_sets(const int64_t *dims, int r) {
    frt_tensor *x = tu_f32(dims, r, NULL);
    for (int64_t i = 0; i < frt_tensor_num_elements(x); i++)
        frt_tensor_f32(x)[i] = (float)((i * 37) % 11) * 0.25f - 1.0f;
    for (unsigned mask = 0; mask < (1u << r); mask++)
        for (int keep = 0; keep < 2; keep++)
            for (int op = 0; op < 5; op++) {
                int32_t axes[8];
                int na = 0;
                for (int d = 0; d < r; d++)
                    if (mask & (1u << d)) {
                        axes[na] = (na % 2) ? d - r : d; /* mix negative axes in */
                        na++;
                    }
                frt_attrs a;
                frt_attrs_init(&a);
                tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
                tu_attr_bool(&a, "keep_dims", keep);
                frt_tensor *at = tu_i32((int64_t[]){na}, 1, axes), *in[2] = {x, at}, *y;
                TU_OK(tu_run(ops[op], &a, in, 2, &y, 1));
                int64_t od[8];
                int ond = 0;
                for (int d = 0; d < r; d++) {
                    if (!(mask & (1u << d)))
                        od[ond++] = dims[d];
                    else if (keep)
                        od[ond++] = 1;
                }
                tu_assert_shape(y, od, ond);
                for (int64_t o = 0; o < frt_tensor_num_elements(y); o++) {
                    int64_t cnt;
                    double want = naive(op, frt_tensor_f32(x), dims, r, mask, o, &cnt);
                    double got = frt_tensor_f32(y)[o];
                    if (fabs(got - want) > 1e-4 * (1 + fabs(want)))
                        fail_msg("%s mask %u keep %d out %lld: %g vs %g", ops[op], mask, keep,
                                 (long long)o, got, want);
                }
                frt_tensor_unref(y);
                frt_tensor_unref(at);
                frt_attrs_deinit(&a);
            }
    frt_tensor_unref(x);
}

static void every_axis_set(void **state) {
    (void)state;
    check_all_axis_sets(TU_DIMS(3, 4, 5), 3);
    check_all_axis_sets(TU_DIMS(2, 3, 1, 4), 4);
    check_all_axis_sets(TU_DIMS(2, 5, 3, 7), 4);
    check_all_axis_sets(TU_DIMS(17), 1);
}

static frt_status *reduce(const char *op, frt_tensor *x, frt_tensor *axes, bool keep,
                          frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", x->dtype);
    tu_attr_bool(&a, "keep_dims", keep);
    frt_tensor *in[2] = {x, axes};
    frt_status *st = tu_run(op, &a, in, 2, y, 1);
    frt_tensor_unref(axes);
    frt_attrs_deinit(&a);
    return st;
}

static void global_average_pool(void **state) {
    (void)state;
    /* Mean over H,W of NHWC [2,7,7,64] with keep_dims: [2,1,1,64]. */
    int64_t dims[4] = {2, 7, 7, 64};
    frt_tensor *x = tu_f32(dims, 4, NULL), *y;
    for (int64_t i = 0; i < frt_tensor_num_elements(x); i++)
        frt_tensor_f32(x)[i] = (float)(i % 64) + (float)((i / 64) % 49) / 49.0f;
    TU_OK(reduce("Mean", x, tu_i32(TU_DIMS(2), 1, TU_I32(1, 2)), true, &y));
    tu_assert_shape(y, TU_DIMS(2, 1, 1, 64), 4);
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < 64; c++)
            assert_float_equal(frt_tensor_f32(y)[n * 64 + c], c + 24.0f / 49.0f, 1e-4);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void scalar_axis_int64_and_ints(void **state) {
    (void)state;
    frt_tensor *x = tu_i32(TU_DIMS(2, 2), 2, TU_I32(-3, -4, 7, 2)), *y;
    int64_t ax = 0;
    TU_OK(reduce("Mean", x, tu_i64(NULL, 0, &ax), false, &y));
    frt_tensor *want = tu_i32(TU_DIMS(2), 1, TU_I32(2, -1)); /* (-3+7)/2, (-4+2)/2 */
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    TU_OK(reduce("Mean", x, tu_scalar_i32(1), false, &y));
    want = tu_i32(TU_DIMS(2), 1, TU_I32(-3, 4)); /* -7/2 truncates to -3 like TF */
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    TU_OK(reduce("Prod", x, tu_i32(TU_DIMS(0), 1, NULL), false, &y)); /* no axes: same values */
    tu_assert_equal(y, x);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void empty_reductions(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 0), 2, NULL), *y;
    static const float want[5] = {0, NAN, -INFINITY, INFINITY, 1};
    for (int op = 0; op < 5; op++) {
        TU_OK(reduce(ops[op], x, tu_scalar_i32(1), false, &y));
        tu_assert_shape(y, TU_DIMS(2), 1);
        float v = frt_tensor_f32(y)[1];
        if (op == MEAN)
            assert_true(isnan(v));
        else
            assert_true(v == want[op]);
        frt_tensor_unref(y);
    }
    TU_OK(reduce("Sum", x, tu_scalar_i32(0), false, &y));
    tu_assert_shape(y, TU_DIMS(0), 1);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void axis_errors_and_nan(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(3), 1, TU_F32(1, NAN, 3)), *y;
    tu_assert_error(reduce("Sum", x, tu_i32(TU_DIMS(2), 1, TU_I32(0, -1)), false, &y),
                    FRT_INVALID_ARGUMENT,
                    "Invalid reduction arguments: Axes contains duplicate dimension: 0");
    tu_assert_error(reduce("Sum", x, tu_scalar_i32(1), false, &y), FRT_INVALID_ARGUMENT,
                    "Invalid reduction dimension (1 for input with 1 dimension(s)");
    TU_OK(reduce("Max", x, tu_scalar_i32(0), false, &y));
    assert_true(isnan(frt_tensor_f32(y)[0])); /* TF 2.21 propagates NaN */
    frt_tensor_unref(y);
    TU_OK(reduce("Min", x, tu_scalar_i32(0), false, &y));
    assert_true(isnan(frt_tensor_f32(y)[0]));
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void all_any(void **state) {
    (void)state;
    frt_tensor *x = tu_bool(TU_DIMS(2, 3), 2, (const uint8_t[]){1, 1, 1, 0, 1, 0}), *y;
    TU_OK(reduce("All", x, tu_scalar_i32(1), false, &y));
    assert_true(frt_tensor_data(y) && ((uint8_t *)frt_tensor_data(y))[0] == 1 &&
                ((uint8_t *)frt_tensor_data(y))[1] == 0);
    frt_tensor_unref(y);
    TU_OK(reduce("Any", x, tu_scalar_i32(0), true, &y));
    tu_assert_shape(y, TU_DIMS(1, 3), 2);
    const uint8_t *p = frt_tensor_data(y);
    assert_true(p[0] == 1 && p[1] == 1 && p[2] == 1);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static frt_status *arg(const char *op, frt_tensor *x, int dim, frt_dtype ot, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", x->dtype);
    if (ot) tu_attr_type(&a, "output_type", ot);
    frt_tensor *d = tu_scalar_i32(dim), *in[2] = {x, d};
    frt_status *st = tu_run(op, &a, in, 2, y, 1);
    frt_tensor_unref(d);
    frt_attrs_deinit(&a);
    return st;
}

static void argmax_ties_and_axes(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 4), 2, TU_F32(3, 7, 7, 1, 5, 5, 2, 5)), *y;
    TU_OK(arg("ArgMax", x, 1, FRT_DTYPE_INVALID, &y));
    assert_int_equal(y->dtype, FRT_DTYPE_INT64);
    assert_true(frt_tensor_i64(y)[0] == 1 && frt_tensor_i64(y)[1] == 0); /* lowest index */
    frt_tensor_unref(y);
    TU_OK(arg("ArgMin", x, -1, FRT_DTYPE_INT32, &y));
    assert_int_equal(y->dtype, FRT_DTYPE_INT32);
    assert_true(frt_tensor_i32(y)[0] == 3 && frt_tensor_i32(y)[1] == 2);
    frt_tensor_unref(y);
    TU_OK(arg("ArgMax", x, 0, FRT_DTYPE_INVALID, &y));
    tu_assert_shape(y, TU_DIMS(4), 1);
    int64_t want[4] = {1, 0, 0, 1};
    assert_memory_equal(frt_tensor_i64(y), want, sizeof want);
    frt_tensor_unref(y);
    tu_assert_error(arg("ArgMax", x, 2, FRT_DTYPE_INVALID, &y), FRT_INVALID_ARGUMENT,
                    "Expected dimension in the range [-2, 2), but got 2");
    frt_tensor_unref(x);
    x = tu_f32(TU_DIMS(3), 1, TU_F32(NAN, 1, 3)); /* TF 2.21 CPU: NaN never wins -> 2 */
    TU_OK(arg("ArgMax", x, 0, FRT_DTYPE_INVALID, &y));
    assert_int_equal(frt_tensor_i64(y)[0], 2);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    x = tu_f32(TU_DIMS(2, 0), 2, NULL);
    tu_assert_error(arg("ArgMax", x, 1, FRT_DTYPE_INVALID, &y), FRT_INVALID_ARGUMENT,
                    "Reduction axis 1 is empty in shape [2,0]");
    frt_tensor_unref(x);
}

/* The pooled (parallel) paths give bit-identical results: each output is reduced by one
 * thread in the same order. Shapes hit the inner, mid and multi-pass cases. */
static void parallel_matches_serial(void **state) {
    (void)state;
    frt_threadpool *pool = frt_threadpool_new(3);
    assert_non_null(pool);
    int64_t dims[4] = {4, 33, 17, 40};
    frt_tensor *x = tu_f32(dims, 4, NULL);
    for (int64_t i = 0; i < frt_tensor_num_elements(x); i++)
        frt_tensor_f32(x)[i] = (float)((i * 7919) % 1000) / 100.0f;
    static const int32_t sets[4][3] = {{3, -1, -1}, {1, 2, -1}, {0, 2, -1}, {0, 1, 3}};
    static const int nsets[4] = {1, 2, 2, 3};
    for (int s = 0; s < 4; s++)
        for (int op = 0; op < 5; op++) {
            frt_attrs a;
            frt_attrs_init(&a);
            tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
            frt_tensor *at = tu_i32((int64_t[]){nsets[s]}, 1, sets[s]), *in[2] = {x, at}, *y1, *y2;
            TU_OK(frt_kernel_run_once(ops[op], &a, in, 2, &y1, 1, NULL));
            TU_OK(frt_kernel_run_once(ops[op], &a, in, 2, &y2, 1, pool));
            tu_assert_equal(y2, y1);
            frt_tensor_unref(y1);
            frt_tensor_unref(y2);
            frt_tensor_unref(at);
            frt_attrs_deinit(&a);
        }
    frt_tensor_unref(x);
    frt_threadpool_free(pool);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_axis_set),
        cmocka_unit_test(global_average_pool),
        cmocka_unit_test(scalar_axis_int64_and_ints),
        cmocka_unit_test(empty_reductions),
        cmocka_unit_test(axis_errors_and_nan),
        cmocka_unit_test(all_any),
        cmocka_unit_test(argmax_ties_and_axes),
        cmocka_unit_test(parallel_matches_serial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
