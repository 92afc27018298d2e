/* tests/kernels/test_activations.c: kernels/activations.c — elementwise activations against
 * double-precision references, Softmax/LogSoftmax stability, BiasAdd layouts and errors. */
#include "util/test_util.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "runtime/init.h"

static frt_status *run(const char *op, frt_attrs *extra, frt_tensor *const *in, int n_in,
                       frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    if (extra) frt_attrs_copy(&a, extra);
    tu_attr_type(&a, "T", frt_tensor_dtype(in[0]));
    frt_status *st = tu_run(op, &a, in, n_in, y, 1);
    frt_attrs_deinit(&a);
    return st;
}
static frt_status *run1(const char *op, frt_tensor *x, frt_tensor **y) {
    return run(op, NULL, &x, 1, y);
}

/* Handing the inputs over (executor contract) so the kernel may work in place. */
static frt_status *run_owned(const char *op, frt_tensor **in, int n_in, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", frt_tensor_dtype(in[0]));
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, &a);
    assert_non_null(d);
    frt_tensor *out[1] = {NULL};
    frt_kernel_ctx c = {.def = d, .node_name = op, .attrs = &a, .n_inputs = n_in, .inputs = in,
                        .n_outputs = 1, .outputs = out, .alloc = frt_cpu_allocator_default()};
    frt_status *st = d->compute(&c);
    for (int i = 0; i < n_in; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
    *y = out[0];
    return st;
}

static void assert_vals(const frt_tensor *t, int n, const float *want, float atol, float rtol) {
    assert_int_equal(frt_tensor_num_elements(t), n);
    for (int i = 0; i < n; i++) {
        float g = frt_tensor_f32(t)[i], w = want[i];
        if (isnan(w) && isnan(g)) continue;
        if (isinf(w) && g == w) continue;
        if (!(fabsf(g - w) <= atol + rtol * fabsf(w)))
            fail_msg("element %d: got %.9g, want %.9g", i, g, w);
    }
}

static void relu_family(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(6), 1, TU_F32(-2, -0.5f, 0, 3, 7, NAN)), *y;
    TU_OK(run1("Relu", x, &y));
    assert_vals(y, 6, TU_F32(0, 0, 0, 3, 7, NAN), 0, 0); /* TF: Relu(NaN) = NaN */
    frt_tensor_unref(y);
    TU_OK(run1("Relu6", x, &y));
    assert_vals(y, 6, TU_F32(0, 0, 0, 3, 6, NAN), 0, 0);
    frt_tensor_unref(y);
    TU_OK(run1("LeakyRelu", x, &y)); /* alpha defaults to 0.2 */
    assert_vals(y, 6, TU_F32(-0.4f, -0.1f, 0, 3, 7, NAN), 0, 1e-7f);
    frt_tensor_unref(y);
    frt_attrs al;
    frt_attrs_init(&al);
    tu_attr_float(&al, "alpha", 0.3f);
    TU_OK(run("LeakyRelu", &al, &x, 1, &y));
    assert_vals(y, 6, TU_F32(-0.6f, -0.15f, 0, 3, 7, NAN), 0, 1e-7f);
    frt_tensor_unref(y);
    frt_attrs_deinit(&al);
    TU_OK(run1("Elu", x, &y));
    assert_vals(y, 6, TU_F32(expm1f(-2), expm1f(-0.5f), 0, 3, 7, NAN), 1e-7f, 1e-6f);
    frt_tensor_unref(y);
    TU_OK(run1("Selu", x, &y));
    const double l = 1.0507009873554804934, a = 1.6732632423543772848;
    assert_vals(y, 6,
                TU_F32((float)(l * a * expm1(-2.0)), (float)(l * a * expm1(-0.5)), 0,
                       (float)(3 * l), (float)(7 * l), NAN),
                1e-7f, 1e-6f);
    frt_tensor_unref(y);
    TU_OK(run1("Softsign", x, &y));
    assert_vals(y, 6, TU_F32(-2.0f / 3, -0.5f / 1.5f, 0, 0.75f, 7.0f / 8, NAN), 0, 1e-7f);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    frt_tensor *i = tu_i32(TU_DIMS(3), 1, TU_I32(-4, 5, 9));
    TU_OK(run1("Relu6", i, &y));
    assert_int_equal(frt_tensor_i32(y)[0], 0);
    assert_int_equal(frt_tensor_i32(y)[1], 5);
    assert_int_equal(frt_tensor_i32(y)[2], 6);
    frt_tensor_unref(y);
    frt_tensor_unref(i);
}

/* Sigmoid, Tanh (vectorised exp inside) against double references over a dense sweep. */
static void sigmoid_tanh_accuracy(void **state) {
    (void)state;
    const int n = 40001;
    frt_tensor *x = tu_f32(TU_DIMS(n), 1, NULL), *s, *t;
    float *xv = frt_tensor_f32(x);
    for (int i = 0; i < n; i++) xv[i] = (float)(i - n / 2) * 2.5e-3f; /* [-50, 50] */
    TU_OK(run1("Sigmoid", x, &s));
    TU_OK(run1("Tanh", x, &t));
    for (int i = 0; i < n; i++) {
        double ws = 1.0 / (1.0 + exp(-(double)xv[i])), wt = tanh((double)xv[i]);
        double gs = frt_tensor_f32(s)[i], gt = frt_tensor_f32(t)[i];
        if (!(fabs(gs - ws) <= 4e-7 * ws + 1e-30)) fail_msg("Sigmoid(%.9g) = %.9g, want %.9g", xv[i], gs, ws);
        if (!(fabs(gt - wt) <= 4e-7 * fabs(wt) + 1e-30)) fail_msg("Tanh(%.9g) = %.9g, want %.9g", xv[i], gt, wt);
    }
    frt_tensor_unref(s);
    frt_tensor_unref(t);
    frt_tensor_unref(x);
    /* Saturation and specials: no overflow to NaN. */
    x = tu_f32(TU_DIMS(7), 1, TU_F32(-100, 100, -INFINITY, INFINITY, NAN, 0, -1e-6f));
    TU_OK(run1("Sigmoid", x, &s));
    /* TF flushes the subnormal exp(-100) terms to 0; either is fine here. */
    assert_vals(s, 7, TU_F32(0, 1, 0, 1, NAN, 0.5f, 0.49999975f), 1e-38f, 1e-6f);
    TU_OK(run1("Tanh", x, &t));
    assert_vals(t, 7, TU_F32(-1, 1, -1, 1, NAN, 0, -1e-6f), 0, 1e-6f);
    frt_tensor_unref(s);
    frt_tensor_unref(t);
    TU_OK(run1("Softplus", x, &s));
    assert_vals(s, 7, TU_F32(0, 100, 0, INFINITY, NAN, 0.693147181f, 0.69314668f), 1e-38f, 1e-6f);
    frt_tensor_unref(s);
    frt_tensor_unref(x);
    x = tu_f32(TU_DIMS(4), 1, TU_F32(-20, -10, 1, 20));
    TU_OK(run1("Softplus", x, &s));
    assert_vals(s, 4, TU_F32(2.0611537e-09f, 4.53988992e-05f, 1.31326169f, 20), 0, 1e-6f);
    frt_tensor_unref(s);
    frt_tensor_unref(x);
}

static void softmax_is_stable(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1000, 1001, 1002, -1000, -1000, -1000)), *y;
    TU_OK(run1("Softmax", x, &y));
    tu_assert_shape(y, TU_DIMS(2, 3), 2);
    assert_vals(y, 6, TU_F32(0.0900305732f, 0.244728471f, 0.665240956f, 1.0f / 3, 1.0f / 3, 1.0f / 3),
                0, 1e-6f);
    frt_tensor_unref(y);
    TU_OK(run1("LogSoftmax", x, &y));
    assert_vals(y, 6, TU_F32(-2.40760596f, -1.40760596f, -0.407605964f, -1.09861229f, -1.09861229f, -1.09861229f),
                0, 1e-6f);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    /* Long rows (vector lanes plus a tail) and many rows: each row sums to 1. */
    const int rows = 37, d = 1003;
    x = tu_f32(TU_DIMS(rows, d), 2, NULL);
    for (int i = 0; i < rows * d; i++) frt_tensor_f32(x)[i] = (float)((i * 7919) % 2000) * 0.05f + 500;
    TU_OK(run1("Softmax", x, &y));
    for (int r = 0; r < rows; r++) {
        double s = 0;
        for (int j = 0; j < d; j++) {
            float v = frt_tensor_f32(y)[r * d + j];
            assert_true(v >= 0 && v <= 1);
            s += v;
        }
        if (fabs(s - 1) > 1e-5) fail_msg("row %d sums to %.9g", r, s);
    }
    frt_tensor_unref(y);
    /* LogSoftmax agrees with log(Softmax) where the latter is accurate. */
    frt_tensor *l;
    TU_OK(run1("Softmax", x, &y));
    TU_OK(run1("LogSoftmax", x, &l));
    for (int i = 0; i < rows * d; i++) {
        float p = frt_tensor_f32(y)[i];
        if (p > 1e-20f && fabsf(logf(p) - frt_tensor_f32(l)[i]) > 2e-4f)
            fail_msg("element %d: log %.9g vs %.9g", i, logf(p), frt_tensor_f32(l)[i]);
    }
    frt_tensor_unref(y);
    frt_tensor_unref(l);
    frt_tensor_unref(x);
    /* rank 0 is an error; empty is fine; 1-D works. */
    frt_tensor *s = tu_scalar_f32(1), *e = tu_f32(TU_DIMS(2, 0), 2, NULL);
    tu_assert_error(run1("Softmax", s, &y), FRT_INVALID_ARGUMENT, ">= 1 dimension");
    TU_OK(run1("Softmax", e, &y));
    tu_assert_shape(y, TU_DIMS(2, 0), 2);
    frt_tensor_unref(y);
    frt_tensor *v = tu_f32(TU_DIMS(2), 1, TU_F32(0, 0));
    TU_OK(run1("Softmax", v, &y));
    assert_vals(y, 2, TU_F32(0.5f, 0.5f), 0, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(v);
    frt_tensor_unref(s);
    frt_tensor_unref(e);
}

static void bias_add_layouts(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    frt_tensor *b = tu_f32(TU_DIMS(3), 1, TU_F32(10, 20, 30)), *y;
    frt_tensor *in[2] = {x, b};
    TU_OK(run("BiasAdd", NULL, in, 2, &y));
    tu_assert_shape(y, TU_DIMS(2, 3), 2);
    assert_vals(y, 6, TU_F32(11, 22, 33, 14, 25, 36), 0, 0);
    frt_tensor_unref(y);
    TU_OK(run("BiasAddV1", NULL, in, 2, &y));
    assert_vals(y, 6, TU_F32(11, 22, 33, 14, 25, 36), 0, 0);
    frt_tensor_unref(y);
    /* NCHW [1,2,2,2]: channel planes get their own bias. */
    frt_tensor *xc = tu_f32(TU_DIMS(1, 2, 2, 2), 4, TU_F32(1, 2, 3, 4, 5, 6, 7, 8));
    frt_tensor *bc = tu_f32(TU_DIMS(2), 1, TU_F32(100, 200));
    frt_attrs f;
    frt_attrs_init(&f);
    tu_attr_str(&f, "data_format", "NCHW");
    frt_tensor *inc[2] = {xc, bc};
    TU_OK(run("BiasAdd", &f, inc, 2, &y));
    assert_vals(y, 8, TU_F32(101, 102, 103, 104, 205, 206, 207, 208), 0, 0);
    frt_tensor_unref(y);
    /* NCHW rank 3: [N, C, W], channel dim 1 (TF). */
    frt_tensor *x3 = tu_f32(TU_DIMS(1, 2, 3), 3, NULL);
    frt_tensor *in3[2] = {x3, bc};
    TU_OK(run("BiasAdd", &f, in3, 2, &y));
    assert_vals(y, 6, TU_F32(100, 100, 100, 200, 200, 200), 0, 0);
    frt_tensor_unref(y);
    /* NCHW rank 2 behaves like NHWC (TF). */
    frt_tensor *x2 = tu_f32(TU_DIMS(2, 2), 2, NULL);
    frt_tensor *in2[2] = {x2, bc};
    TU_OK(run("BiasAdd", &f, in2, 2, &y));
    assert_vals(y, 4, TU_F32(100, 200, 100, 200), 0, 0);
    frt_tensor_unref(y);
    /* Bad shapes name both shapes (TF's texts). */
    frt_tensor *bad[2] = {x, bc};
    tu_assert_error(run("BiasAdd", NULL, bad, 2, &y), FRT_INVALID_ARGUMENT,
                    "Must provide as many biases as the last dimension of the input tensor: "
                    "[2] vs. [2,3]");
    assert_null(y);
    frt_tensor *badc[2] = {xc, b};
    tu_assert_error(run("BiasAdd", &f, badc, 2, &y), FRT_INVALID_ARGUMENT, "[3] vs. [1,2,2,2]");
    frt_tensor *b2 = tu_f32(TU_DIMS(1, 3), 2, NULL);
    frt_tensor *bad2[2] = {x, b2};
    tu_assert_error(run("BiasAdd", NULL, bad2, 2, &y), FRT_INVALID_ARGUMENT, "Biases must be 1D: [1,3]");
    frt_tensor *bad1[2] = {b, b};
    tu_assert_error(run("BiasAdd", NULL, bad1, 2, &y), FRT_INVALID_ARGUMENT,
                    "Input tensor must be at least 2D: [3]");
    frt_attrs g;
    frt_attrs_init(&g);
    tu_attr_str(&g, "data_format", "NDHWCX");
    tu_assert_error(run("BiasAdd", &g, in, 2, &y), FRT_INVALID_ARGUMENT, "NDHWCX");
    frt_attrs_deinit(&g);
    frt_attrs_deinit(&f);
    /* Small and odd channel counts, many rows, through the pool (grouped-row path). */
    frt_threadpool *pool = frt_threadpool_new(3);
    const int64_t shapes[][2] = {{30001, 3}, {1001, 7}, {5, 300}, {2, 1000}};
    for (int si = 0; si < 4; si++) {
        int64_t R = shapes[si][0], C = shapes[si][1];
        frt_tensor *v = tu_f32(TU_DIMS(R, C), 2, NULL), *bv = tu_f32(TU_DIMS(C), 1, NULL);
        for (int64_t i = 0; i < R * C; i++) frt_tensor_f32(v)[i] = (float)(i % 89);
        for (int64_t i = 0; i < C; i++) frt_tensor_f32(bv)[i] = (float)i * 100.0f;
        frt_attrs t;
        frt_attrs_init(&t);
        tu_attr_type(&t, "T", FRT_DTYPE_FLOAT);
        frt_tensor *vb[2] = {v, bv};
        TU_OK(frt_kernel_run_once("BiasAdd", &t, vb, 2, &y, 1, pool));
        for (int64_t i = 0; i < R * C; i++)
            if (frt_tensor_f32(y)[i] != (float)(i % 89) + (float)(i % C) * 100.0f)
                fail_msg("[%lld,%lld] wrong at %lld", (long long)R, (long long)C, (long long)i);
        frt_tensor_unref(y);
        frt_attrs_deinit(&t);
        frt_tensor_unref(v);
        frt_tensor_unref(bv);
    }
    frt_threadpool_free(pool);
    /* int32 */
    frt_tensor *xi = tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 2, 3, 4)), *bi = tu_i32(TU_DIMS(2), 1, TU_I32(-1, INT32_MAX));
    frt_tensor *ini[2] = {xi, bi};
    TU_OK(run("BiasAdd", NULL, ini, 2, &y));
    assert_int_equal(frt_tensor_i32(y)[0], 0);
    assert_int_equal(frt_tensor_i32(y)[3], INT32_MIN + 3); /* wraps */
    frt_tensor_unref(y);
    frt_tensor_unref(xi);
    frt_tensor_unref(bi);
    frt_tensor_unref(b2);
    frt_tensor_unref(x3);
    frt_tensor_unref(x2);
    frt_tensor_unref(xc);
    frt_tensor_unref(bc);
    frt_tensor_unref(x);
    frt_tensor_unref(b);
}

static void in_place_forwarding(void **state) {
    (void)state;
    /* BiasAdd on a value we hand over writes into it; a value still shared is left alone. */
    frt_tensor *x = tu_f32(TU_DIMS(4, 2), 2, TU_F32(1, 2, 3, 4, 5, 6, 7, 8));
    frt_tensor *b = tu_f32(TU_DIMS(2), 1, TU_F32(1, -1)), *y;
    frt_tensor *in[2] = {frt_tensor_ref(x), frt_tensor_ref(b)};
    TU_OK(run_owned("BiasAdd", in, 2, &y));
    assert_ptr_not_equal(frt_tensor_data(y), frt_tensor_data(x));
    assert_vals(x, 8, TU_F32(1, 2, 3, 4, 5, 6, 7, 8), 0, 0);
    assert_vals(y, 8, TU_F32(2, 1, 4, 3, 6, 5, 8, 7), 0, 0);
    frt_tensor_unref(y);
    void *xd = frt_tensor_data(x);
    frt_tensor *in2[2] = {x, frt_tensor_ref(b)};
    TU_OK(run_owned("BiasAdd", in2, 2, &y));
    assert_ptr_equal(frt_tensor_data(y), xd);
    assert_vals(y, 8, TU_F32(2, 1, 4, 3, 6, 5, 8, 7), 0, 0);
    /* Softmax in place on the result. */
    void *yd = frt_tensor_data(y);
    frt_tensor *z;
    frt_tensor *in3[1] = {y};
    TU_OK(run_owned("Softmax", in3, 1, &z));
    assert_ptr_equal(frt_tensor_data(z), yd);
    assert_vals(z, 8, TU_F32(0.731058598f, 0.268941432f, 0.731058598f, 0.268941432f, 0.731058598f,
                             0.268941432f, 0.731058598f, 0.268941432f), 0, 1e-6f);
    frt_tensor_unref(z);
    frt_tensor_unref(b);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(relu_family),
        cmocka_unit_test(sigmoid_tanh_accuracy),
        cmocka_unit_test(softmax_is_stable),
        cmocka_unit_test(bias_add_layouts),
        cmocka_unit_test(in_place_forwarding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
