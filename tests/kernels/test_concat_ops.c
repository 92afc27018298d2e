/* tests/kernels/test_concat_ops.c: ConcatV2 (negative axis, zero-size inputs, N inputs,
 * errors), Concat v1, Pack, Unpack, strings. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <string.h>

static frt_status *concat(frt_tensor **vals, int n, frt_tensor *axis, bool v1, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", vals[0]->dtype);
    tu_attr_int(&a, "N", n);
    frt_tensor *in[8];
    for (int i = 0; i < n; i++) in[v1 ? i + 1 : i] = vals[i];
    in[v1 ? 0 : n] = axis;
    frt_status *st = tu_run(v1 ? "Concat" : "ConcatV2", &a, in, n + 1, y, 1);
    frt_tensor_unref(axis);
    frt_attrs_deinit(&a);
    return st;
}

static void concat_v2_axes(void **state) {
    (void)state;
    frt_tensor *v[3] = {tu_f32(TU_DIMS(2, 1), 2, TU_F32(1, 2)),
                        tu_f32(TU_DIMS(2, 2), 2, TU_F32(3, 4, 5, 6)),
                        tu_f32(TU_DIMS(2, 0), 2, NULL)},
               *y;
    TU_OK(concat(v, 3, tu_scalar_i32(-1), false, &y));
    frt_tensor *want = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 3, 4, 2, 5, 6));
    tu_assert_equal(y, want);
    frt_tensor_unref(y);
    TU_OK(concat(v, 3, tu_scalar_i32(1), true, &y));
    tu_assert_equal(y, want);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    tu_assert_error(concat(v, 2, tu_scalar_i32(0), false, &y), FRT_INVALID_ARGUMENT,
                    "ConcatOp : Dimension 1 in both shapes must be equal: shape[0] = [2,1] vs. "
                    "shape[1] = [2,2]");
    tu_assert_error(concat(v, 2, tu_scalar_i32(2), false, &y), FRT_INVALID_ARGUMENT,
                    "ConcatOp : Expected concatenating dimensions in the range [-2, 2), but got 2");
    frt_tensor *r1 = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2)), *bad[2] = {v[0], r1};
    tu_assert_error(concat(bad, 2, tu_scalar_i32(0), false, &y), FRT_INVALID_ARGUMENT,
                    "ConcatOp : Ranks of all input tensors should match: shape[0] = [2,1] vs. "
                    "shape[1] = [2]");
    frt_tensor_unref(r1);
    for (int i = 0; i < 3; i++) frt_tensor_unref(v[i]);
}

static void concat_zero_size_inputs(void **state) {
    (void)state;
    frt_tensor *v[3] = {tu_f32(TU_DIMS(0, 3), 2, NULL), tu_f32(TU_DIMS(2, 3), 2,
                        TU_F32(1, 2, 3, 4, 5, 6)), tu_f32(TU_DIMS(0, 3), 2, NULL)}, *y;
    int64_t ax = 0;
    TU_OK(concat(v, 3, tu_i64(NULL, 0, &ax), false, &y));
    tu_assert_equal(y, v[1]);
    frt_tensor_unref(y);
    frt_tensor *e[2] = {v[0], v[2]};
    TU_OK(concat(e, 2, tu_scalar_i32(0), false, &y));
    tu_assert_shape(y, TU_DIMS(0, 3), 2);
    frt_tensor_unref(y);
    for (int i = 0; i < 3; i++) frt_tensor_unref(v[i]);
}

static void concat_axis0_many(void **state) {
    (void)state;
    frt_tensor *v[5], *y;
    for (int i = 0; i < 5; i++) v[i] = tu_i32(TU_DIMS(1, 2), 2, TU_I32(i, 10 * i));
    frt_attrs a;
    frt_attrs_init(&a);
    TU_OK(concat(v, 5, tu_scalar_i32(0), false, &y));
    tu_assert_shape(y, TU_DIMS(5, 2), 2);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(frt_tensor_i32(y)[2 * i], i);
        assert_int_equal(frt_tensor_i32(y)[2 * i + 1], 10 * i);
    }
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
    for (int i = 0; i < 5; i++) frt_tensor_unref(v[i]);
}

static void pack_and_unpack(void **state) {
    (void)state;
    frt_tensor *v[3] = {tu_i32(TU_DIMS(2), 1, TU_I32(1, 2)), tu_i32(TU_DIMS(2), 1, TU_I32(3, 4)),
                        tu_i32(TU_DIMS(2), 1, TU_I32(5, 6))},
               *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_INT32);
    tu_attr_int(&a, "axis", -1);
    TU_OK(tu_run("Pack", &a, v, 3, &y, 1));
    frt_tensor *want = tu_i32(TU_DIMS(2, 3), 2, TU_I32(1, 3, 5, 2, 4, 6));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    /* Unpack along axis 1 gives the inputs back. */
    frt_tensor *outs[3];
    tu_attr_int(&a, "axis", 1);
    tu_attr_int(&a, "num", 3);
    TU_OK(tu_run("Unpack", &a, &y, 1, outs, 3));
    for (int i = 0; i < 3; i++) {
        tu_assert_equal(outs[i], v[i]);
        frt_tensor_unref(outs[i]);
    }
    tu_attr_int(&a, "axis", 0);
    tu_assert_error(tu_run("Unpack", &a, &y, 1, outs, 3), FRT_INVALID_ARGUMENT,
                    "Input shape axis 0 must equal 3, got shape [2,3]");
    frt_tensor_unref(y);
    tu_attr_int(&a, "axis", 2);
    tu_assert_error(tu_run("Pack", &a, v, 3, &y, 1), FRT_INVALID_ARGUMENT,
                    "axis = 2 not in [-2, 2)");
    frt_tensor *odd = tu_i32(TU_DIMS(3), 1, TU_I32(1, 2, 3)), *bad[2] = {v[0], odd};
    tu_attr_int(&a, "axis", 0);
    tu_assert_error(tu_run("Pack", &a, bad, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "Shapes of all inputs must match: values[0].shape = [2] != values[1].shape = "
                    "[3]");
    /* Scalars pack into a vector (shape-math subgraphs). */
    frt_tensor *s[2] = {tu_scalar_i32(7), tu_scalar_i32(8)};
    TU_OK(tu_run("Pack", &a, s, 2, &y, 1));
    tu_assert_shape(y, TU_DIMS(2), 1);
    assert_true(frt_tensor_i32(y)[0] == 7 && frt_tensor_i32(y)[1] == 8);
    frt_tensor_unref(y);
    frt_tensor_unref(s[0]);
    frt_tensor_unref(s[1]);
    frt_tensor_unref(odd);
    for (int i = 0; i < 3; i++) frt_tensor_unref(v[i]);
    frt_attrs_deinit(&a);
}

static void concat_strings_own_bytes(void **state) {
    (void)state;
    frt_tensor *v[2], *y;
    for (int i = 0; i < 2; i++) {
        TU_OK(frt_tensor_new(FRT_DTYPE_STRING, TU_DIMS(1), 1, &v[i]));
        TU_OK(frt_tensor_set_string(v[i], 0, i ? "world" : "hello", 5));
    }
    TU_OK(concat(v, 2, tu_scalar_i32(0), false, &y));
    frt_tensor_unref(v[0]);
    frt_tensor_unref(v[1]);
    assert_string_equal(frt_tensor_string(y, 0, NULL), "hello");
    assert_string_equal(frt_tensor_string(y, 1, NULL), "world");
    frt_tensor_unref(y);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concat_v2_axes),       cmocka_unit_test(concat_zero_size_inputs),
        cmocka_unit_test(concat_axis0_many),    cmocka_unit_test(pack_and_unpack),
        cmocka_unit_test(concat_strings_own_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
