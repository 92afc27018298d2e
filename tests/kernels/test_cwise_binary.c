/* tests/kernels/test_cwise_binary.c: broadcasting (core/shape.c) and the binary kernels of
 * kernels/cwise_binary.c against hand-checked values and TF's documented semantics. */
#include "util/test_util.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/shape.h"
#include "runtime/init.h"

/* Runs a two-input op with T = x's dtype. */
static frt_status *run2(const char *op, frt_tensor *x, frt_tensor *y, frt_tensor **z) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", frt_tensor_dtype(x));
    frt_tensor *in[2] = {x, y};
    frt_status *st = tu_run(op, &a, in, 2, z, 1);
    frt_attrs_deinit(&a);
    return st;
}

/* Runs op with the executor's contract: the context holds the only references to its
 * inputs (x and y are handed over), so in-place forwarding can happen. */
static frt_status *run2_owned(const char *op, frt_tensor *x, frt_tensor *y, frt_tensor **z,
                              frt_threadpool *pool) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", frt_tensor_dtype(x));
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, &a);
    assert_non_null(d);
    frt_tensor *in[2] = {x, y}, *out[1] = {NULL};
    frt_kernel_ctx c = {.def = d, .node_name = op, .attrs = &a, .n_inputs = 2, .inputs = in,
                        .n_outputs = 1, .outputs = out, .alloc = frt_cpu_allocator_default(),
                        .pool = pool};
    frt_status *st = d->compute(&c);
    frt_tensor_unref(in[0]);
    frt_tensor_unref(in[1]);
    frt_attrs_deinit(&a);
    *z = out[0];
    return st;
}

static void assert_f32(const frt_tensor *t, const int64_t *dims, int ndim, const float *want) {
    tu_assert_shape(t, dims, ndim);
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_FLOAT);
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++) {
        float g = frt_tensor_f32(t)[i];
        if (isnan(want[i]) && isnan(g)) continue;
        if (g != want[i]) fail_msg("element %lld: got %.9g, want %.9g", (long long)i, g, want[i]);
    }
}
static void assert_i32(const frt_tensor *t, const int64_t *dims, int ndim, const int32_t *want) {
    tu_assert_shape(t, dims, ndim);
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT32);
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++)
        if (frt_tensor_i32(t)[i] != want[i])
            fail_msg("element %lld: got %d, want %d", (long long)i, frt_tensor_i32(t)[i], want[i]);
}
static void assert_bool(const frt_tensor *t, const int64_t *dims, int ndim, const uint8_t *want) {
    tu_assert_shape(t, dims, ndim);
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_BOOL);
    assert_memory_equal(frt_tensor_data(t), want, (size_t)frt_tensor_num_elements(t));
}

/* ---- core/shape.c ---- */

static void bcast_collapses_and_flags(void **state) {
    (void)state;
    frt_bcast b;
    TU_OK(frt_bcast_init(&b, TU_DIMS(2, 3, 4), 3, TU_DIMS(2, 3, 4), 3));
    assert_true(b.same_shape);
    assert_int_equal(b.ndim, 1);
    assert_int_equal(b.dims[0], 24);

    TU_OK(frt_bcast_init(&b, TU_DIMS(2, 3, 4), 3, TU_DIMS(4), 1));
    assert_false(b.same_shape);
    assert_true(b.y_row);
    assert_false(b.x_row);
    assert_int_equal(b.ndim, 2);
    assert_int_equal(b.dims[0], 6);
    assert_int_equal(b.dims[1], 4);
    assert_int_equal(b.strides[1][0], 0);
    assert_int_equal(b.strides[1][1], 1);

    TU_OK(frt_bcast_init(&b, TU_DIMS(1, 5), 2, TU_DIMS(7, 5), 2));
    assert_true(b.x_row);

    /* [2,1,3] vs [4,1] -> [2,4,3]: nothing merges. */
    TU_OK(frt_bcast_init(&b, TU_DIMS(2, 1, 3), 3, TU_DIMS(4, 1), 2));
    assert_int_equal(b.out_ndim, 3);
    assert_int_equal(b.out_dims[0], 2);
    assert_int_equal(b.out_dims[1], 4);
    assert_int_equal(b.out_dims[2], 3);
    assert_int_equal(b.n, 24);
    assert_int_equal(b.ndim, 3);
    int64_t xs[] = {3, 0, 1}, ys[] = {0, 1, 0};
    for (int d = 0; d < 3; d++) {
        assert_int_equal(b.strides[0][d], xs[d]);
        assert_int_equal(b.strides[1][d], ys[d]);
    }
    assert_int_equal(frt_bcast_offset(&b, 0, 23), 5);
    assert_int_equal(frt_bcast_offset(&b, 1, 23), 3);

    /* Size-1 dims are dropped before merging: [3,1,4] vs [3,1,4] is one run. */
    TU_OK(frt_bcast_init(&b, TU_DIMS(3, 1, 4), 3, TU_DIMS(1, 3, 1, 4), 4));
    assert_true(b.same_shape);
    assert_int_equal(b.out_ndim, 4);
    assert_int_equal(b.ndim, 1);

    /* Scalars. */
    TU_OK(frt_bcast_init(&b, NULL, 0, NULL, 0));
    assert_int_equal(b.out_ndim, 0);
    assert_int_equal(b.n, 1);
    assert_true(b.scalar[0] && b.scalar[1] && b.same_shape);
    TU_OK(frt_bcast_init(&b, TU_DIMS(1, 1), 2, TU_DIMS(5), 1));
    assert_true(b.scalar[0]);
    assert_false(b.scalar[1]);
    assert_int_equal(b.out_ndim, 2);

    /* Zero-size: [0] vs [1] is [0]; [2,0] vs [2,1] is [2,0]. */
    TU_OK(frt_bcast_init(&b, TU_DIMS(0), 1, TU_DIMS(1), 1));
    assert_int_equal(b.n, 0);
    assert_int_equal(b.out_dims[0], 0);
    TU_OK(frt_bcast_init(&b, TU_DIMS(2, 0), 2, TU_DIMS(2, 1), 2));
    assert_int_equal(b.n, 0);
}

static void bcast_errors_name_both_shapes(void **state) {
    (void)state;
    frt_bcast b;
    tu_assert_error(frt_bcast_init(&b, TU_DIMS(2, 3), 2, TU_DIMS(4), 1), FRT_INVALID_ARGUMENT,
                    "Incompatible shapes: [2,3] vs. [4]");
    tu_assert_error(frt_bcast_init(&b, TU_DIMS(0), 1, TU_DIMS(3), 1), FRT_INVALID_ARGUMENT,
                    "Incompatible shapes: [0] vs. [3]");
    tu_assert_error(frt_bcast_init3(&b, TU_DIMS(2), 1, TU_DIMS(3, 1), 2, TU_DIMS(3), 1),
                    FRT_INVALID_ARGUMENT, "[2] vs. [3,1] vs. [3]");
}

static void bcast_three_way(void **state) {
    (void)state;
    frt_bcast b;
    TU_OK(frt_bcast_init3(&b, TU_DIMS(2, 1), 2, TU_DIMS(3), 1, NULL, 0));
    assert_int_equal(b.n, 6);
    assert_int_equal(b.n_in, 3);
    assert_true(b.scalar[2]);
    /* Output (1,2): condition row 1, then col 2, else 0. */
    assert_int_equal(frt_bcast_offset(&b, 0, 5), 1);
    assert_int_equal(frt_bcast_offset(&b, 1, 5), 2);
    assert_int_equal(frt_bcast_offset(&b, 2, 5), 0);
}

/* ---- kernels ---- */

static void add_same_shape_and_row(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    frt_tensor *y = tu_f32(TU_DIMS(2, 3), 2, TU_F32(10, 20, 30, 40, 50, 60));
    frt_tensor *r = tu_f32(TU_DIMS(3), 1, TU_F32(10, 20, 30)), *z;
    TU_OK(run2("AddV2", x, y, &z));
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(11, 22, 33, 44, 55, 66));
    frt_tensor_unref(z);
    TU_OK(run2("Add", x, r, &z));
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(11, 22, 33, 14, 25, 36));
    frt_tensor_unref(z);
    TU_OK(run2("Sub", r, x, &z)); /* row on the left */
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(9, 18, 27, 6, 15, 24));
    frt_tensor_unref(z);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(r);
}

static void broadcast_column_and_outer(void **state) {
    (void)state;
    frt_tensor *col = tu_f32(TU_DIMS(2, 1), 2, TU_F32(2, 3));
    frt_tensor *row = tu_f32(TU_DIMS(1, 3), 2, TU_F32(1, 10, 100));
    frt_tensor *m = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6)), *z;
    TU_OK(run2("Mul", col, row, &z)); /* outer product */
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(2, 20, 200, 3, 30, 300));
    frt_tensor_unref(z);
    TU_OK(run2("Mul", m, col, &z)); /* column broadcast */
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(2, 4, 6, 12, 15, 18));
    frt_tensor_unref(z);
    TU_OK(run2("RealDiv", col, m, &z));
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(2.0f / 1, 2.0f / 2, 2.0f / 3, 3.0f / 4, 3.0f / 5, 3.0f / 6));
    frt_tensor_unref(z);
    frt_tensor_unref(col);
    frt_tensor_unref(row);
    frt_tensor_unref(m);
}

static void broadcast_rank_mismatch_3d(void **state) {
    (void)state;
    /* [2,1,3] - [4,1] -> [2,4,3]: z[i,j,k] = x[i,0,k] - y[j,0]. */
    float xv[6] = {1, 2, 3, 4, 5, 6}, yv[4] = {10, 20, 30, 40}, want[24];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 4; j++)
            for (int k = 0; k < 3; k++) want[(i * 4 + j) * 3 + k] = xv[i * 3 + k] - yv[j];
    frt_tensor *x = tu_f32(TU_DIMS(2, 1, 3), 3, xv), *y = tu_f32(TU_DIMS(4, 1), 2, yv), *z;
    TU_OK(run2("Sub", x, y, &z));
    assert_f32(z, TU_DIMS(2, 4, 3), 3, want);
    frt_tensor_unref(z);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void scalars_either_side(void **state) {
    (void)state;
    frt_tensor *s = tu_scalar_f32(10), *v = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 4)), *z;
    TU_OK(run2("Sub", s, v, &z));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(9, 8, 6));
    frt_tensor_unref(z);
    TU_OK(run2("RealDiv", v, s, &z));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(0.1f, 0.2f, 0.4f));
    frt_tensor_unref(z);
    TU_OK(run2("Mul", s, s, &z));
    assert_f32(z, NULL, 0, TU_F32(100));
    frt_tensor_unref(z);
    /* [1,1] scalar-like against [3] gives rank 2. */
    frt_tensor *one = tu_f32(TU_DIMS(1, 1), 2, TU_F32(5));
    TU_OK(run2("Maximum", one, v, &z));
    assert_f32(z, TU_DIMS(1, 3), 2, TU_F32(5, 5, 5));
    frt_tensor_unref(z);
    frt_tensor_unref(one);
    frt_tensor_unref(s);
    frt_tensor_unref(v);
}

static void zero_size_dims(void **state) {
    (void)state;
    frt_tensor *e = tu_f32(TU_DIMS(0, 3), 2, NULL), *r = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 3));
    frt_tensor *one = tu_f32(TU_DIMS(1), 1, TU_F32(1)), *e0 = tu_f32(TU_DIMS(0), 1, NULL), *z;
    TU_OK(run2("AddV2", e, r, &z));
    tu_assert_shape(z, TU_DIMS(0, 3), 2);
    frt_tensor_unref(z);
    TU_OK(run2("Mul", one, e0, &z));
    tu_assert_shape(z, TU_DIMS(0), 1);
    frt_tensor_unref(z);
    TU_OK(run2("Less", e0, one, &z));
    tu_assert_shape(z, TU_DIMS(0), 1);
    assert_int_equal(frt_tensor_dtype(z), FRT_DTYPE_BOOL);
    frt_tensor_unref(z);
    /* No division-by-zero error when nothing is divided. */
    frt_tensor *ie = tu_i32(TU_DIMS(0), 1, NULL), *iz = tu_i32(TU_DIMS(1), 1, TU_I32(0));
    TU_OK(run2("FloorDiv", ie, iz, &z));
    tu_assert_shape(z, TU_DIMS(0), 1);
    frt_tensor_unref(z);
    tu_assert_error(run2("AddV2", e0, r, &z), FRT_INVALID_ARGUMENT,
                    "Incompatible shapes: [0] vs. [3]");
    assert_null(z);
    frt_tensor_unref(ie);
    frt_tensor_unref(iz);
    frt_tensor_unref(e);
    frt_tensor_unref(r);
    frt_tensor_unref(one);
    frt_tensor_unref(e0);
}

static void incompatible_shapes_error(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, NULL), *y = tu_f32(TU_DIMS(4), 1, NULL), *z;
    tu_assert_error(run2("AddV2", x, y, &z), FRT_INVALID_ARGUMENT,
                    "Incompatible shapes: [2,3] vs. [4]");
    assert_null(z);
    tu_assert_error(run2("Greater", x, y, &z), FRT_INVALID_ARGUMENT, "[2,3] vs. [4]");
    /* Equal/NotEqual with incompatible_shape_error=false: scalar false / true. */
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_bool(&a, "incompatible_shape_error", false);
    frt_tensor *in[2] = {x, y};
    TU_OK(tu_run("Equal", &a, in, 2, &z, 1));
    assert_bool(z, NULL, 0, (const uint8_t[]){0});
    frt_tensor_unref(z);
    TU_OK(tu_run("NotEqual", &a, in, 2, &z, 1));
    assert_bool(z, NULL, 0, (const uint8_t[]){1});
    frt_tensor_unref(z);
    frt_attrs_deinit(&a);
    /* Mixed dtypes are rejected, not misread. */
    frt_tensor *i = tu_i32(TU_DIMS(4), 1, NULL);
    tu_assert_error(run2("AddV2", y, i, &z), FRT_INVALID_ARGUMENT, "int32");
    frt_tensor_unref(i);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void integer_division_by_zero(void **state) {
    (void)state;
    const char *ops[] = {"Div", "FloorDiv", "FloorMod", "TruncateDiv", "TruncateMod"};
    frt_tensor *x = tu_i32(TU_DIMS(2), 1, TU_I32(7, 8)), *y = tu_i32(TU_DIMS(2), 1, TU_I32(2, 0));
    frt_tensor *x64 = tu_i64(TU_DIMS(2), 1, (const int64_t[]){7, 8});
    frt_tensor *y64 = tu_i64(TU_DIMS(1), 1, (const int64_t[]){0}), *z;
    for (size_t k = 0; k < FRT_COUNTOF(ops); k++) {
        tu_assert_error(run2(ops[k], x, y, &z), FRT_INVALID_ARGUMENT, "Integer division by zero");
        assert_null(z);
        tu_assert_error(run2(ops[k], x64, y64, &z), FRT_INVALID_ARGUMENT,
                        "Integer division by zero");
    }
    /* Floats follow IEEE. */
    frt_tensor *fx = tu_f32(TU_DIMS(3), 1, TU_F32(1, -1, 0)), *f0 = tu_scalar_f32(0);
    TU_OK(run2("Div", fx, f0, &z));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(INFINITY, -INFINITY, NAN));
    frt_tensor_unref(z);
    TU_OK(run2("DivNoNan", fx, f0, &z));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(0, 0, 0));
    frt_tensor_unref(z);
    frt_tensor_unref(fx);
    frt_tensor_unref(f0);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(x64);
    frt_tensor_unref(y64);
}

static void floor_semantics_with_negatives(void **state) {
    (void)state;
    frt_tensor *x = tu_i32(TU_DIMS(5), 1, TU_I32(-7, 7, -7, 7, -6));
    frt_tensor *y = tu_i32(TU_DIMS(5), 1, TU_I32(2, -2, -2, 2, 3)), *z;
    TU_OK(run2("FloorDiv", x, y, &z));
    assert_i32(z, TU_DIMS(5), 1, TU_I32(-4, -4, 3, 3, -2));
    frt_tensor_unref(z);
    TU_OK(run2("Div", x, y, &z)); /* integer Div truncates */
    assert_i32(z, TU_DIMS(5), 1, TU_I32(-3, -3, 3, 3, -2));
    frt_tensor_unref(z);
    frt_tensor *y3 = tu_i32(TU_DIMS(5), 1, TU_I32(3, -3, -3, 3, 3));
    TU_OK(run2("FloorMod", x, y3, &z)); /* sign of the divisor */
    assert_i32(z, TU_DIMS(5), 1, TU_I32(2, -2, -1, 1, 0));
    frt_tensor_unref(z);
    TU_OK(run2("TruncateMod", x, y3, &z)); /* sign of the dividend */
    assert_i32(z, TU_DIMS(5), 1, TU_I32(-1, 1, -1, 1, 0));
    frt_tensor_unref(z);
    /* INT_MIN / -1 wraps (TF gives INT_MIN) instead of trapping; % -1 is 0. */
    frt_tensor *mn = tu_i32(TU_DIMS(1), 1, TU_I32(INT32_MIN)), *m1 = tu_i32(TU_DIMS(1), 1, TU_I32(-1));
    TU_OK(run2("FloorDiv", mn, m1, &z));
    assert_i32(z, TU_DIMS(1), 1, TU_I32(INT32_MIN));
    frt_tensor_unref(z);
    TU_OK(run2("FloorMod", mn, m1, &z));
    assert_i32(z, TU_DIMS(1), 1, TU_I32(0));
    frt_tensor_unref(z);
    /* int64 too. */
    frt_tensor *a = tu_i64(TU_DIMS(2), 1, (const int64_t[]){-7, 7});
    frt_tensor *b = tu_i64(TU_DIMS(1), 1, (const int64_t[]){-3});
    TU_OK(run2("FloorMod", a, b, &z));
    assert_int_equal(frt_tensor_i64(z)[0], -1);
    assert_int_equal(frt_tensor_i64(z)[1], -2);
    frt_tensor_unref(z);
    TU_OK(run2("FloorDiv", a, b, &z));
    assert_int_equal(frt_tensor_i64(z)[0], 2);
    assert_int_equal(frt_tensor_i64(z)[1], -3);
    frt_tensor_unref(z);
    /* Floats: floor(x / y) and fmod moved to the divisor's sign. */
    frt_tensor *fx = tu_f32(TU_DIMS(6), 1, TU_F32(-7, 7, -7, 7, 0, 7.5f));
    frt_tensor *fy = tu_f32(TU_DIMS(6), 1, TU_F32(3, -3, -3, 3, -3, 2));
    TU_OK(run2("FloorMod", fx, fy, &z));
    assert_f32(z, TU_DIMS(6), 1, TU_F32(2, -2, -1, 1, 0, 1.5f));
    frt_tensor_unref(z);
    TU_OK(run2("FloorDiv", fx, fy, &z));
    assert_f32(z, TU_DIMS(6), 1, TU_F32(-3, -3, 2, 2, -0.0f, 3));
    frt_tensor_unref(z);
    frt_tensor_unref(fx);
    frt_tensor_unref(fy);
    frt_tensor_unref(a);
    frt_tensor_unref(b);
    frt_tensor_unref(mn);
    frt_tensor_unref(m1);
    frt_tensor_unref(y3);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void pow_int_and_float(void **state) {
    (void)state;
    frt_tensor *x = tu_i32(TU_DIMS(4), 1, TU_I32(0, -3, 2, 5));
    frt_tensor *y = tu_i32(TU_DIMS(4), 1, TU_I32(0, 3, 31, 1)), *z;
    TU_OK(run2("Pow", x, y, &z));
    assert_i32(z, TU_DIMS(4), 1, TU_I32(1, -27, INT32_MIN, 5));
    frt_tensor_unref(z);
    frt_tensor *neg = tu_i32(TU_DIMS(1), 1, TU_I32(-1));
    tu_assert_error(run2("Pow", x, neg, &z), FRT_INVALID_ARGUMENT,
                    "Integers to negative integer powers are not allowed");
    frt_tensor *fx = tu_f32(TU_DIMS(3), 1, TU_F32(2, 9, 0)), *fy = tu_f32(TU_DIMS(3), 1, TU_F32(-1, 0.5f, -1));
    TU_OK(run2("Pow", fx, fy, &z));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(0.5f, 3, INFINITY));
    frt_tensor_unref(z);
    frt_tensor_unref(fx);
    frt_tensor_unref(fy);
    frt_tensor_unref(neg);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void max_min_sqdiff(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(4), 1, TU_F32(NAN, 1, -2, 5));
    frt_tensor *y = tu_f32(TU_DIMS(4), 1, TU_F32(1, NAN, 3, 4)), *z;
    TU_OK(run2("Maximum", x, y, &z)); /* NaN propagates either side (TF) */
    assert_f32(z, TU_DIMS(4), 1, TU_F32(NAN, NAN, 3, 5));
    frt_tensor_unref(z);
    TU_OK(run2("Minimum", x, y, &z));
    assert_f32(z, TU_DIMS(4), 1, TU_F32(NAN, NAN, -2, 4));
    frt_tensor_unref(z);
    TU_OK(run2("SquaredDifference", x, y, &z));
    assert_f32(z, TU_DIMS(4), 1, TU_F32(NAN, NAN, 25, 1));
    frt_tensor_unref(z);
    frt_tensor *i = tu_i64(TU_DIMS(2), 1, (const int64_t[]){-5, 9}), *j = tu_i64(NULL, 0, (const int64_t[]){2});
    TU_OK(run2("Minimum", i, j, &z));
    assert_int_equal(frt_tensor_i64(z)[0], -5);
    assert_int_equal(frt_tensor_i64(z)[1], 2);
    frt_tensor_unref(z);
    TU_OK(run2("SquaredDifference", i, j, &z));
    assert_int_equal(frt_tensor_i64(z)[0], 49);
    assert_int_equal(frt_tensor_i64(z)[1], 49);
    frt_tensor_unref(z);
    /* Integer overflow wraps rather than being UB. */
    frt_tensor *big = tu_i32(TU_DIMS(1), 1, TU_I32(INT32_MAX)), *one = tu_scalar_i32(1);
    TU_OK(run2("AddV2", big, one, &z));
    assert_i32(z, TU_DIMS(1), 1, TU_I32(INT32_MIN));
    frt_tensor_unref(z);
    frt_tensor_unref(big);
    frt_tensor_unref(one);
    frt_tensor_unref(i);
    frt_tensor_unref(j);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void comparisons_and_logic(void **state) {
    (void)state;
    frt_tensor *x = tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 2, 3, 4)), *y = tu_i32(TU_DIMS(2), 1, TU_I32(2, 3)), *z;
    TU_OK(run2("Less", x, y, &z));
    assert_bool(z, TU_DIMS(2, 2), 2, (const uint8_t[]){1, 1, 0, 0});
    frt_tensor_unref(z);
    TU_OK(run2("LessEqual", x, y, &z));
    assert_bool(z, TU_DIMS(2, 2), 2, (const uint8_t[]){1, 1, 0, 0});
    frt_tensor_unref(z);
    TU_OK(run2("GreaterEqual", x, y, &z));
    assert_bool(z, TU_DIMS(2, 2), 2, (const uint8_t[]){0, 0, 1, 1});
    frt_tensor_unref(z);
    TU_OK(run2("Greater", y, x, &z));
    assert_bool(z, TU_DIMS(2, 2), 2, (const uint8_t[]){1, 1, 0, 0});
    frt_tensor_unref(z);
    TU_OK(run2("Equal", x, y, &z));
    assert_bool(z, TU_DIMS(2, 2), 2, (const uint8_t[]){0, 0, 0, 0});
    frt_tensor_unref(z);
    frt_tensor *f = tu_f32(TU_DIMS(3), 1, TU_F32(NAN, 1, 2)), *g = tu_f32(TU_DIMS(3), 1, TU_F32(NAN, 1, 3));
    TU_OK(run2("Equal", f, g, &z)); /* NaN != NaN */
    assert_bool(z, TU_DIMS(3), 1, (const uint8_t[]){0, 1, 0});
    frt_tensor_unref(z);
    TU_OK(run2("NotEqual", f, g, &z));
    assert_bool(z, TU_DIMS(3), 1, (const uint8_t[]){1, 0, 1});
    frt_tensor_unref(z);
    frt_tensor *p = tu_bool(TU_DIMS(4), 1, (const uint8_t[]){0, 0, 1, 1});
    frt_tensor *q = tu_bool(TU_DIMS(4), 1, (const uint8_t[]){0, 1, 0, 1});
    TU_OK(run2("Equal", p, q, &z));
    assert_bool(z, TU_DIMS(4), 1, (const uint8_t[]){1, 0, 0, 1});
    frt_tensor_unref(z);
    frt_tensor *in[2] = {p, q};
    TU_OK(tu_run("LogicalAnd", NULL, in, 2, &z, 1)); /* no T attr */
    assert_bool(z, TU_DIMS(4), 1, (const uint8_t[]){0, 0, 0, 1});
    frt_tensor_unref(z);
    TU_OK(tu_run("LogicalOr", NULL, in, 2, &z, 1));
    assert_bool(z, TU_DIMS(4), 1, (const uint8_t[]){0, 1, 1, 1});
    frt_tensor_unref(z);
    frt_tensor_unref(p);
    frt_tensor_unref(q);
    frt_tensor_unref(f);
    frt_tensor_unref(g);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

static void in_place_forwarding_is_safe(void **state) {
    (void)state;
    /* Same tensor twice: neither side is exclusive, the input must survive. */
    frt_tensor *x = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 3)), *z;
    TU_OK(run2_owned("Mul", frt_tensor_ref(x), frt_tensor_ref(x), &z, NULL));
    assert_f32(z, TU_DIMS(3), 1, TU_F32(1, 4, 9));
    assert_f32(x, TU_DIMS(3), 1, TU_F32(1, 2, 3));
    assert_ptr_not_equal(frt_tensor_data(z), frt_tensor_data(x));
    frt_tensor_unref(z);
    /* Caller keeps a reference to y: y is not overwritten. */
    frt_tensor *y = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    frt_tensor *s = tu_scalar_f32(1);
    TU_OK(run2_owned("AddV2", s, frt_tensor_ref(y), &z, NULL));
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(2, 3, 4, 5, 6, 7));
    assert_f32(y, TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    frt_tensor_unref(z);
    /* The only reference: the output reuses the full-shape input's bytes (x here is the
     * broadcast side, so y's buffer must be chosen). */
    void *yd = frt_tensor_data(y);
    frt_tensor *r = tu_f32(TU_DIMS(3), 1, TU_F32(10, 20, 30));
    TU_OK(run2_owned("Sub", r, y, &z, NULL));
    assert_ptr_equal(frt_tensor_data(z), yd);
    assert_f32(z, TU_DIMS(2, 3), 2, TU_F32(9, 18, 27, 6, 15, 24));
    frt_tensor_unref(z);
    /* Comparisons never forward (different dtype). */
    frt_tensor *a = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    TU_OK(run2_owned("Less", a, tu_scalar_f32(1.5f), &z, NULL));
    assert_bool(z, TU_DIMS(2), 1, (const uint8_t[]){1, 0});
    frt_tensor_unref(z);
    frt_tensor_unref(x);
}

/* Large shapes through the thread pool: chunks start and end mid-row. */
static void large_broadcast_threaded(void **state) {
    (void)state;
    const int64_t A = 37, B = 29, C = 2001;
    frt_tensor *x = tu_f32(TU_DIMS(A, 1, C), 3, NULL), *y = tu_f32(TU_DIMS(1, B, 1), 3, NULL), *z;
    float *xv = frt_tensor_f32(x), *yv = frt_tensor_f32(y);
    for (int64_t i = 0; i < A * C; i++) xv[i] = (float)(i % 1000) * 0.5f;
    for (int64_t j = 0; j < B; j++) yv[j] = (float)j * 3.0f;
    frt_threadpool *pool = frt_threadpool_new(3);
    assert_non_null(pool);
    frt_attrs at;
    frt_attrs_init(&at);
    tu_attr_type(&at, "T", FRT_DTYPE_FLOAT);
    frt_tensor *in[2] = {x, y};
    TU_OK(frt_kernel_run_once("SquaredDifference", &at, in, 2, &z, 1, pool));
    tu_assert_shape(z, TU_DIMS(A, B, C), 3);
    const float *zv = frt_tensor_f32(z);
    for (int64_t a = 0; a < A; a++)
        for (int64_t b = 0; b < B; b++)
            for (int64_t c = 0; c < C; c++) {
                float d = xv[a * C + c] - yv[b];
                if (zv[(a * B + b) * C + c] != d * d) fail_msg("mismatch at %lld,%lld,%lld",
                                                               (long long)a, (long long)b, (long long)c);
            }
    frt_tensor_unref(z);
    /* Row broadcast on either side, rows short and long, chunks splitting rows. */
    const int64_t shapes[][2] = {{40001, 3}, {3001, 37}, {13, 5000}};
    for (int si = 0; si < 3; si++) {
        int64_t R = shapes[si][0], L = shapes[si][1];
        frt_tensor *m = tu_f32(TU_DIMS(R, L), 2, NULL), *v = tu_f32(TU_DIMS(L), 1, NULL), *z2;
        for (int64_t i = 0; i < R * L; i++) frt_tensor_f32(m)[i] = (float)(i % 101);
        for (int64_t i = 0; i < L; i++) frt_tensor_f32(v)[i] = (float)i * 1000.0f;
        frt_tensor *mv[2] = {m, v}, *vm[2] = {v, m};
        TU_OK(frt_kernel_run_once("Sub", &at, mv, 2, &z, 1, pool));
        TU_OK(frt_kernel_run_once("Sub", &at, vm, 2, &z2, 1, pool));
        for (int64_t i = 0; i < R * L; i++) {
            float want = (float)(i % 101) - (float)(i % L) * 1000.0f;
            if (frt_tensor_f32(z)[i] != want || frt_tensor_f32(z2)[i] != -want)
                fail_msg("[%lld,%lld] row broadcast wrong at %lld", (long long)R, (long long)L,
                         (long long)i);
        }
        frt_tensor_unref(z);
        frt_tensor_unref(z2);
        frt_tensor_unref(m);
        frt_tensor_unref(v);
    }
    /* Same shapes and a scalar, threaded, in place. */
    frt_tensor *big = tu_f32(TU_DIMS(300001), 1, NULL);
    for (int64_t i = 0; i < 300001; i++) frt_tensor_f32(big)[i] = (float)i;
    TU_OK(run2_owned("Mul", big, tu_scalar_f32(2), &z, pool));
    for (int64_t i = 0; i < 300001; i++) assert_true(frt_tensor_f32(z)[i] == 2.0f * (float)i);
    frt_tensor_unref(z);
    frt_attrs_deinit(&at);
    frt_threadpool_free(pool);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bcast_collapses_and_flags),
        cmocka_unit_test(bcast_errors_name_both_shapes),
        cmocka_unit_test(bcast_three_way),
        cmocka_unit_test(add_same_shape_and_row),
        cmocka_unit_test(broadcast_column_and_outer),
        cmocka_unit_test(broadcast_rank_mismatch_3d),
        cmocka_unit_test(scalars_either_side),
        cmocka_unit_test(zero_size_dims),
        cmocka_unit_test(incompatible_shapes_error),
        cmocka_unit_test(integer_division_by_zero),
        cmocka_unit_test(floor_semantics_with_negatives),
        cmocka_unit_test(pow_int_and_float),
        cmocka_unit_test(max_min_sqdiff),
        cmocka_unit_test(comparisons_and_logic),
        cmocka_unit_test(in_place_forwarding_is_safe),
        cmocka_unit_test(large_broadcast_threaded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
