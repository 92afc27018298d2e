/* tests/kernels/test_shape_ops.c: Reshape (-1, zero sizes, TF error texts, zero copy),
 * Squeeze, ExpandDims, Shape/ShapeN/Size/Rank, Fill, BroadcastTo, Range. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <string.h>

static frt_status *run2(const char *op, frt_tensor *x, frt_tensor *arg, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", x->dtype);
    frt_tensor *in[2] = {x, arg};
    frt_status *st = tu_run(op, &a, in, 2, y, 1);
    frt_tensor_unref(arg);
    frt_attrs_deinit(&a);
    return st;
}

static void reshape_infers_and_shares(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6)), *y;
    TU_OK(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(-1, 2)), &y));
    tu_assert_shape(y, TU_DIMS(3, 2), 2);
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(x));
    frt_tensor_unref(y);
    int64_t s64[3] = {1, -1, 1};
    TU_OK(run2("Reshape", x, tu_i64(TU_DIMS(3), 1, s64), &y));
    tu_assert_shape(y, TU_DIMS(1, 6, 1), 3);
    frt_tensor_unref(y);
    tu_assert_error(run2("Reshape", x, tu_i32(TU_DIMS(1), 1, TU_I32(4)), &y), FRT_INVALID_ARGUMENT,
                    "Input to reshape is a tensor with 6 values, but the requested shape has 4");
    tu_assert_error(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(-1, 4)), &y),
                    FRT_INVALID_ARGUMENT,
                    "Input to reshape is a tensor with 6 values, but the requested shape "
                    "requires a multiple of 4");
    tu_assert_error(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(-1, -1)), &y),
                    FRT_INVALID_ARGUMENT, "Only one input size may be -1, not both 0 and 1");
    tu_assert_error(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(-2, 3)), &y),
                    FRT_INVALID_ARGUMENT, "Size 0 must be non-negative, not -2");
    tu_assert_error(run2("Reshape", x, tu_i32(TU_DIMS(1, 1), 2, TU_I32(6)), &y),
                    FRT_INVALID_ARGUMENT, "sizes input must be 1-D, not [1,1]");
    frt_tensor_unref(x);
    /* Zero-sized: [0,3] -> [0,-1] infers 3; [-1,0] infers 3 too (TF 2.21). */
    x = tu_f32(TU_DIMS(0, 3), 2, NULL);
    TU_OK(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(0, -1)), &y));
    tu_assert_shape(y, TU_DIMS(0, 3), 2);
    frt_tensor_unref(y);
    TU_OK(run2("Reshape", x, tu_i32(TU_DIMS(2), 1, TU_I32(-1, 0)), &y));
    tu_assert_shape(y, TU_DIMS(3, 0), 2);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    /* Scalar from a 1-element tensor with an empty shape vector. */
    x = tu_f32(TU_DIMS(1, 1), 2, TU_F32(7));
    TU_OK(run2("Reshape", x, tu_i32(TU_DIMS(0), 1, NULL), &y));
    tu_assert_shape(y, NULL, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void squeeze_and_expand_dims(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(1, 3, 1), 3, TU_F32(1, 2, 3)), *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    TU_OK(tu_run("Squeeze", &a, &x, 1, &y, 1));
    tu_assert_shape(y, TU_DIMS(3), 1);
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(x));
    frt_tensor_unref(y);
    tu_attr_ints(&a, "squeeze_dims", (int64_t[]){-1}, 1);
    TU_OK(tu_run("Squeeze", &a, &x, 1, &y, 1));
    tu_assert_shape(y, TU_DIMS(1, 3), 2);
    frt_tensor_unref(y);
    tu_attr_ints(&a, "squeeze_dims", (int64_t[]){1}, 1);
    tu_assert_error(tu_run("Squeeze", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "Can not squeeze dim[1], expected a dimension of 1, got 3");
    tu_attr_ints(&a, "squeeze_dims", (int64_t[]){3}, 1);
    tu_assert_error(tu_run("Squeeze", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "Tried to squeeze dim index 3 for tensor with 3 dimensions.");
    frt_attrs_deinit(&a);
    TU_OK(run2("ExpandDims", x, tu_scalar_i32(-1), &y));
    tu_assert_shape(y, TU_DIMS(1, 3, 1, 1), 4);
    frt_tensor_unref(y);
    TU_OK(run2("ExpandDims", x, tu_i32(TU_DIMS(1), 1, TU_I32(1)), &y));
    tu_assert_shape(y, TU_DIMS(1, 1, 3, 1), 4);
    frt_tensor_unref(y);
    TU_OK(run2("ExpandDims", x, tu_scalar_i32(-4), &y));
    tu_assert_shape(y, TU_DIMS(1, 1, 3, 1), 4);
    frt_tensor_unref(y);
    tu_assert_error(run2("ExpandDims", x, tu_scalar_i32(4), &y), FRT_INVALID_ARGUMENT,
                    "Tried to expand dim index 4 for tensor with 3 dimensions.");
    frt_tensor_unref(x);
}

static void shape_size_rank(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 0, 5), 3, NULL), *z = tu_scalar_f32(1), *y[2];
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    TU_OK(tu_run("Shape", &a, &x, 1, y, 1));
    assert_int_equal(y[0]->dtype, FRT_DTYPE_INT32);
    tu_assert_shape(y[0], TU_DIMS(3), 1);
    assert_true(frt_tensor_i32(y[0])[0] == 2 && frt_tensor_i32(y[0])[1] == 0 &&
                frt_tensor_i32(y[0])[2] == 5);
    frt_tensor_unref(y[0]);
    tu_attr_type(&a, "out_type", FRT_DTYPE_INT64);
    frt_tensor *ins[2] = {x, z};
    TU_OK(tu_run("ShapeN", &a, ins, 2, y, 2));
    assert_int_equal(frt_tensor_i64(y[0])[2], 5);
    tu_assert_shape(y[1], TU_DIMS(0), 1);
    frt_tensor_unref(y[0]);
    frt_tensor_unref(y[1]);
    TU_OK(tu_run("Size", &a, &x, 1, y, 1));
    assert_int_equal(y[0]->dtype, FRT_DTYPE_INT64);
    assert_int_equal(frt_tensor_i64(y[0])[0], 0);
    frt_tensor_unref(y[0]);
    TU_OK(tu_run("Rank", &a, &x, 1, y, 1));
    assert_int_equal(frt_tensor_i32(y[0])[0], 3);
    frt_tensor_unref(y[0]);
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
    frt_tensor_unref(z);
}

static void fill_and_broadcast_to(void **state) {
    (void)state;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *in[2] = {tu_i32(TU_DIMS(2), 1, TU_I32(2, 3)), tu_scalar_f32(1.5f)}, *y;
    TU_OK(tu_run("Fill", &a, in, 2, &y, 1));
    tu_assert_shape(y, TU_DIMS(2, 3), 2);
    for (int i = 0; i < 6; i++) assert_true(frt_tensor_f32(y)[i] == 1.5f);
    frt_tensor_unref(y);
    frt_tensor_unref(in[0]);
    in[0] = tu_i32(TU_DIMS(2), 1, TU_I32(2, -1));
    tu_assert_error(tu_run("Fill", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "Dimension -1 must be >= 0");
    frt_tensor_unref(in[0]);
    frt_tensor_unref(in[1]);
    frt_attrs_deinit(&a);

    frt_tensor *x = tu_f32(TU_DIMS(3, 1), 2, TU_F32(1, 2, 3));
    TU_OK(run2("BroadcastTo", x, tu_i32(TU_DIMS(3), 1, TU_I32(2, 3, 2)), &y));
    frt_tensor *want = tu_f32(TU_DIMS(2, 3, 2), 3, TU_F32(1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    tu_assert_error(run2("BroadcastTo", x, tu_i32(TU_DIMS(2), 1, TU_I32(4, 2)), &y),
                    FRT_INVALID_ARGUMENT, "Incompatible shapes: [3,1] vs. [4,2]");
    tu_assert_error(run2("BroadcastTo", x, tu_i32(TU_DIMS(1), 1, TU_I32(3)), &y),
                    FRT_INVALID_ARGUMENT,
                    "Rank of input (2) must be no greater than rank of output shape (1).");
    frt_tensor_unref(x);
}

static frt_status *run_range(frt_dtype dt, frt_tensor *s, frt_tensor *l, frt_tensor *d,
                             frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tidx", dt);
    frt_tensor *in[3] = {s, l, d};
    frt_status *st = tu_run("Range", &a, in, 3, y, 1);
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
    return st;
}

static void range_ints_floats_errors(void **state) {
    (void)state;
    frt_tensor *y;
    TU_OK(run_range(FRT_DTYPE_INT32, tu_scalar_i32(10), tu_scalar_i32(1), tu_scalar_i32(-3), &y));
    frt_tensor *want = tu_i32(TU_DIMS(3), 1, TU_I32(10, 7, 4));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    TU_OK(run_range(FRT_DTYPE_FLOAT, tu_scalar_f32(0), tu_scalar_f32(1), tu_scalar_f32(0.3f), &y));
    tu_assert_shape(y, TU_DIMS(4), 1);
    assert_true(frt_tensor_f32(y)[3] == 3.0f * 0.3f);
    frt_tensor_unref(y);
    int64_t s = 0, l = 5, d = 2;
    TU_OK(run_range(FRT_DTYPE_INT64, tu_i64(NULL, 0, &s), tu_i64(NULL, 0, &l), tu_i64(NULL, 0, &d),
                    &y));
    assert_true(y->n == 3 && frt_tensor_i64(y)[2] == 4);
    frt_tensor_unref(y);
    tu_assert_error(run_range(FRT_DTYPE_INT32, tu_scalar_i32(5), tu_scalar_i32(1),
                              tu_scalar_i32(1), &y),
                    FRT_INVALID_ARGUMENT, "Requires start <= limit when delta > 0: 5/1");
    tu_assert_error(run_range(FRT_DTYPE_INT32, tu_scalar_i32(1), tu_scalar_i32(5),
                              tu_scalar_i32(-1), &y),
                    FRT_INVALID_ARGUMENT, "Requires start >= limit when delta < 0: 1/5");
    tu_assert_error(run_range(FRT_DTYPE_INT32, tu_scalar_i32(1), tu_scalar_i32(5),
                              tu_scalar_i32(0), &y),
                    FRT_INVALID_ARGUMENT, "Requires delta != 0: 0");
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reshape_infers_and_shares),
        cmocka_unit_test(squeeze_and_expand_dims),
        cmocka_unit_test(shape_size_rank),
        cmocka_unit_test(fill_and_broadcast_to),
        cmocka_unit_test(range_ints_floats_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
