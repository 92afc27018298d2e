/* tests/kernels/test_cwise_unary.c: kernels/cwise_unary.c against hand-checked values. */
#include "util/test_util.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "runtime/init.h"

static frt_status *run1(const char *op, frt_tensor *x, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", frt_tensor_dtype(x));
    frt_status *st = tu_run(op, &a, &x, 1, y, 1);
    frt_attrs_deinit(&a);
    return st;
}

/* Executor contract: x is handed over, so the kernel may write into it. */
static frt_status *run1_owned(const char *op, frt_tensor *x, frt_tensor **y, frt_threadpool *p) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", frt_tensor_dtype(x));
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, &a);
    assert_non_null(d);
    frt_tensor *in[1] = {x}, *out[1] = {NULL};
    frt_kernel_ctx c = {.def = d, .node_name = op, .attrs = &a, .n_inputs = 1, .inputs = in,
                        .n_outputs = 1, .outputs = out, .alloc = frt_cpu_allocator_default(),
                        .pool = p};
    frt_status *st = d->compute(&c);
    frt_tensor_unref(in[0]);
    frt_attrs_deinit(&a);
    *y = out[0];
    return st;
}

/* Applies op to a float vector and checks each result within rel (NaN matches NaN, inf
 * must match exactly, signed zero is checked when want is zero). */
static void check_f32(const char *op, int n, const float *x, const float *want, float rel) {
    frt_tensor *t = tu_f32(TU_DIMS(n), 1, x), *y;
    TU_OK(run1(op, t, &y));
    tu_assert_shape(y, TU_DIMS(n), 1);
    assert_int_equal(frt_tensor_dtype(y), FRT_DTYPE_FLOAT);
    for (int i = 0; i < n; i++) {
        float g = frt_tensor_f32(y)[i], w = want[i];
        bool ok = (isnan(w) && isnan(g)) || (isinf(w) && g == w) ||
                  (w == 0 && g == 0 && signbit(g) == signbit(w)) ||
                  (isfinite(w) && w != 0 && fabsf(g - w) <= rel * fabsf(w));
        if (!ok) fail_msg("%s(%.9g): got %.9g, want %.9g", op, x[i], g, w);
    }
    frt_tensor_unref(y);
    frt_tensor_unref(t);
}

static void check_i32(const char *op, int n, const int32_t *x, const int32_t *want) {
    frt_tensor *t = tu_i32(TU_DIMS(n), 1, x), *y;
    TU_OK(run1(op, t, &y));
    assert_int_equal(frt_tensor_dtype(y), FRT_DTYPE_INT32);
    for (int i = 0; i < n; i++)
        if (frt_tensor_i32(y)[i] != want[i])
            fail_msg("%s(%d): got %d, want %d", op, x[i], frt_tensor_i32(y)[i], want[i]);
    frt_tensor_unref(y);
    frt_tensor_unref(t);
}

static void round_is_half_to_even(void **state) {
    (void)state;
    check_f32("Round", 10, TU_F32(-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, -2.4f, 1e9f, NAN),
              TU_F32(-2, -2, -0.0f, 0, 2, 2, 3, -2, 1e9f, NAN), 0);
    check_f32("Rint", 3, TU_F32(0.5f, 1.5f, -3.5f), TU_F32(0, 2, -4), 0);
    check_i32("Round", 3, TU_I32(-3, 0, 7), TU_I32(-3, 0, 7)); /* identity on ints */
    check_f32("Floor", 4, TU_F32(-1.5f, 1.5f, -0.0f, -2), TU_F32(-2, 1, -0.0f, -2), 0);
    check_f32("Ceil", 4, TU_F32(-1.5f, 1.5f, 0.2f, -0.2f), TU_F32(-1, 2, 1, -0.0f), 0);
}

static void sign_abs_neg_square(void **state) {
    (void)state;
    check_f32("Sign", 5, TU_F32(-3, 0, -0.0f, 2.5f, NAN), TU_F32(-1, 0, -0.0f, 1, NAN), 0);
    check_i32("Sign", 3, TU_I32(-5, 0, 5), TU_I32(-1, 0, 1));
    check_f32("Abs", 3, TU_F32(-3, -0.0f, 2), TU_F32(3, 0, 2), 0);
    check_i32("Abs", 3, TU_I32(-5, INT32_MIN, 5), TU_I32(5, INT32_MIN, 5)); /* wraps like TF */
    check_i32("Neg", 3, TU_I32(-5, INT32_MIN, 5), TU_I32(5, INT32_MIN, -5));
    check_f32("Neg", 2, TU_F32(1, 0), TU_F32(-1, -0.0f), 0);
    check_i32("Square", 2, TU_I32(-7, 65536), TU_I32(49, 0));
    check_f32("Square", 2, TU_F32(-1.5f, 3), TU_F32(2.25f, 9), 0);
    frt_tensor *t = tu_i64(TU_DIMS(2), 1, (const int64_t[]){-3, INT64_MIN}), *y;
    TU_OK(run1("Neg", t, &y));
    assert_int_equal(frt_tensor_i64(y)[0], 3);
    assert_true(frt_tensor_i64(y)[1] == INT64_MIN);
    frt_tensor_unref(y);
    frt_tensor_unref(t);
}

static void math_functions(void **state) {
    (void)state;
    const float r = 2e-7f;
    check_f32("Sqrt", 4, TU_F32(4, 2, 0, -1), TU_F32(2, 1.41421356f, 0, NAN), r);
    check_f32("Rsqrt", 4, TU_F32(4, 0, -1, INFINITY), TU_F32(0.5f, INFINITY, NAN, 0), r);
    check_f32("Reciprocal", 3, TU_F32(4, -0.0f, 3), TU_F32(0.25f, -INFINITY, 0.333333343f), r);
    check_f32("Inv", 1, TU_F32(-8), TU_F32(-0.125f), r);
    check_f32("Exp", 6, TU_F32(0, 1, -INFINITY, 100, INFINITY, NAN), TU_F32(1, 2.71828183f, 0, INFINITY, INFINITY, NAN), r);
    check_f32("Exp", 3, TU_F32(88.7f, -87.0f, -0.3f),
              TU_F32((float)exp((double)88.7f), (float)exp(-87.0), (float)exp((double)-0.3f)), 3e-7f);
    check_f32("Expm1", 2, TU_F32(1e-10f, 1), TU_F32(1e-10f, 1.71828183f), r);
    check_f32("Log", 4, TU_F32(1, 2.71828183f, 0, -1), TU_F32(0, 1, -INFINITY, NAN), r);
    check_f32("Log1p", 3, TU_F32(1e-10f, 0, -1), TU_F32(1e-10f, 0, -INFINITY), r);
    check_f32("Erf", 5, TU_F32(0, 1, -1, 10, NAN), TU_F32(0, 0.842700793f, -0.842700793f, 1, NAN), 1e-6f);
    check_f32("Sin", 2, TU_F32(0, 1.57079633f), TU_F32(0, 1), r);
    check_f32("Cos", 1, TU_F32(0), TU_F32(1), r);
    /* double */
    frt_tensor *d, *y;
    TU_OK(frt_tensor_new_copy(FRT_DTYPE_DOUBLE, TU_DIMS(2), 1, (const double[]){2, 9}, 16, &d));
    TU_OK(run1("Sqrt", d, &y));
    assert_int_equal(frt_tensor_dtype(y), FRT_DTYPE_DOUBLE);
    assert_true(((double *)frt_tensor_data(y))[0] == sqrt(2.0));
    assert_true(((double *)frt_tensor_data(y))[1] == 3.0);
    frt_tensor_unref(y);
    frt_tensor_unref(d);
    /* No int kernels for float-only math: lookup fails cleanly. */
    frt_tensor *i = tu_i32(TU_DIMS(1), 1, TU_I32(4));
    tu_assert_error(run1("Sqrt", i, &y), FRT_NOT_FOUND, "Sqrt");
    frt_tensor_unref(i);
}

static void predicates_and_logical_not(void **state) {
    (void)state;
    frt_tensor *t = tu_f32(TU_DIMS(4), 1, TU_F32(NAN, INFINITY, -INFINITY, 1)), *y;
    const char *ops[] = {"IsNan", "IsInf", "IsFinite"};
    const uint8_t want[3][4] = {{1, 0, 0, 0}, {0, 1, 1, 0}, {0, 0, 0, 1}};
    for (int k = 0; k < 3; k++) {
        TU_OK(run1(ops[k], t, &y));
        assert_int_equal(frt_tensor_dtype(y), FRT_DTYPE_BOOL);
        assert_memory_equal(frt_tensor_data(y), want[k], 4);
        frt_tensor_unref(y);
    }
    frt_tensor_unref(t);
    frt_tensor *b = tu_bool(TU_DIMS(2), 1, (const uint8_t[]){0, 1});
    TU_OK(tu_run("LogicalNot", NULL, &b, 1, &y, 1));
    assert_memory_equal(frt_tensor_data(y), ((const uint8_t[]){1, 0}), 2);
    frt_tensor_unref(y);
    frt_tensor_unref(b);
}

static void in_place_and_shared_inputs(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(3), 1, TU_F32(1, 4, 9)), *y;
    /* Shared: the caller's tensor must survive. */
    TU_OK(run1_owned("Sqrt", frt_tensor_ref(x), &y, NULL));
    assert_ptr_not_equal(frt_tensor_data(y), frt_tensor_data(x));
    assert_true(frt_tensor_f32(x)[2] == 9 && frt_tensor_f32(y)[2] == 3);
    frt_tensor_unref(y);
    /* Only reference: written in place. */
    void *xd = frt_tensor_data(x);
    TU_OK(run1_owned("Neg", x, &y, NULL));
    assert_ptr_equal(frt_tensor_data(y), xd);
    assert_true(frt_tensor_f32(y)[1] == -4);
    frt_tensor_unref(y);
    /* Rank 0 and empty tensors. */
    frt_tensor *s = tu_scalar_f32(-2), *e = tu_f32(TU_DIMS(2, 0), 2, NULL);
    TU_OK(run1("Abs", s, &y));
    tu_assert_shape(y, NULL, 0);
    assert_true(frt_tensor_f32(y)[0] == 2);
    frt_tensor_unref(y);
    TU_OK(run1("Exp", e, &y));
    tu_assert_shape(y, TU_DIMS(2, 0), 2);
    frt_tensor_unref(y);
    frt_tensor_unref(s);
    frt_tensor_unref(e);
}

static void large_threaded(void **state) {
    (void)state;
    const int64_t n = 100003;
    frt_tensor *x = tu_f32(TU_DIMS(n), 1, NULL), *y;
    for (int64_t i = 0; i < n; i++) frt_tensor_f32(x)[i] = (float)(i - n / 2) * 1e-3f;
    frt_threadpool *p = frt_threadpool_new(3);
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_kernel_run_once("Exp", &a, &x, 1, &y, 1, p));
    for (int64_t i = 0; i < n; i++) {
        double w = exp((double)frt_tensor_f32(x)[i]), g = frt_tensor_f32(y)[i];
        if (!(fabs(g - w) <= 2.5e-7 * w)) fail_msg("Exp(%.9g) = %.9g, want %.9g", frt_tensor_f32(x)[i], g, w);
    }
    frt_tensor_unref(y);
    /* Erf: Eigen's rational approximation, within 5e-7 everywhere. */
    TU_OK(frt_kernel_run_once("Erf", &a, &x, 1, &y, 1, p));
    for (int64_t i = 0; i < n; i++) {
        double w = erf((double)frt_tensor_f32(x)[i]), g = frt_tensor_f32(y)[i];
        if (!(fabs(g - w) <= 5e-7)) fail_msg("Erf(%.9g) = %.9g, want %.9g", frt_tensor_f32(x)[i], g, w);
    }
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
    frt_threadpool_free(p);
    frt_tensor_unref(x);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_is_half_to_even),
        cmocka_unit_test(sign_abs_neg_square),
        cmocka_unit_test(math_functions),
        cmocka_unit_test(predicates_and_logical_not),
        cmocka_unit_test(in_place_and_shared_inputs),
        cmocka_unit_test(large_threaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
