/* tests/kernels/test_basic.c: Const (same buffer, no copy), Placeholder's unfed error text,
 * pass-through ops, CheckNumerics, ZerosLike/OnesLike. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <math.h>
#include <string.h>

static void const_returns_same_buffer(void **state) {
    (void)state;
    frt_tensor *v = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2)), *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "dtype", FRT_DTYPE_FLOAT);
    tu_attr_tensor(&a, "value", v);
    TU_OK(tu_run("Const", &a, NULL, 0, &y, 1));
    assert_ptr_equal(y, v);
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(v));
    frt_tensor_unref(y);
    tu_attr_type(&a, "dtype", FRT_DTYPE_INT32);
    tu_assert_error(tu_run("Const", &a, NULL, 0, &y, 1), FRT_INVALID_ARGUMENT, "does not match");
    frt_attrs_deinit(&a);
    frt_tensor_unref(v);
}

static void placeholder_unfed_error_text(void **state) {
    (void)state;
    frt_tensor *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(&a, "shape", TU_DIMS(-1, 3), 2);
    frt_status *st = tu_run("Placeholder", &a, NULL, 0, &y, 1);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    /* frt_kernel_run_once names the node after its op. */
    assert_string_equal(frt_status_message(st),
                        "You must feed a value for placeholder tensor 'Placeholder' with dtype "
                        "float and shape [?,3]");
    frt_status_free(st);
    frt_attrs_deinit(&a);
    frt_attrs_init(&a);
    tu_attr_type(&a, "dtype", FRT_DTYPE_INT64);
    st = tu_run("Placeholder", &a, NULL, 0, &y, 1);
    assert_string_equal(frt_status_message(st),
                        "You must feed a value for placeholder tensor 'Placeholder' with dtype "
                        "int64");
    frt_status_free(st);
    frt_attrs_deinit(&a);
}

static void passthrough_ops_alias_input(void **state) {
    (void)state;
    static const char *ops[] = {"Identity", "StopGradient", "Snapshot", "PreventGradient",
                                "PlaceholderWithDefault"};
    frt_tensor *x = tu_i32(TU_DIMS(3), 1, TU_I32(1, 2, 3)), *y;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", FRT_DTYPE_INT32);
        tu_attr_type(&a, "dtype", FRT_DTYPE_INT32);
        TU_OK(tu_run(ops[i], &a, &x, 1, &y, 1));
        assert_ptr_equal(y, x);
        frt_tensor_unref(y);
        frt_attrs_deinit(&a);
    }
    frt_tensor *z = tu_scalar_f32(2), *ins[2] = {x, z}, *outs[2];
    frt_attrs a;
    frt_attrs_init(&a);
    frt_dtype ts[2] = {FRT_DTYPE_INT32, FRT_DTYPE_FLOAT};
    tu_attr_types(&a, "T", ts, 2);
    TU_OK(tu_run("IdentityN", &a, ins, 2, outs, 2));
    assert_ptr_equal(outs[0], x);
    assert_ptr_equal(outs[1], z);
    frt_tensor_unref(outs[0]);
    frt_tensor_unref(outs[1]);
    TU_OK(tu_run("NoOp", &a, NULL, 0, NULL, 0));
    frt_attrs_deinit(&a);
    frt_tensor_unref(z);
    frt_tensor_unref(x);
}

static void check_numerics_messages(void **state) {
    (void)state;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_str(&a, "message", "bad");
    frt_tensor *ok = tu_f32(TU_DIMS(2), 1, TU_F32(1, -2)), *y;
    TU_OK(tu_run("CheckNumerics", &a, &ok, 1, &y, 1));
    assert_ptr_equal(y, ok);
    frt_tensor_unref(y);
    frt_tensor *both = tu_f32(TU_DIMS(3), 1, TU_F32(1, NAN, INFINITY));
    tu_assert_error(tu_run("CheckNumerics", &a, &both, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "bad : Tensor had Inf and NaN values");
    frt_tensor *inf = tu_f32(TU_DIMS(2), 1, TU_F32(1, -INFINITY));
    tu_assert_error(tu_run("CheckNumerics", &a, &inf, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "bad : Tensor had Inf values");
    frt_tensor *nan = tu_f32(TU_DIMS(1), 1, TU_F32(NAN));
    tu_assert_error(tu_run("CheckNumerics", &a, &nan, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "bad : Tensor had NaN values");
    frt_tensor_unref(ok);
    frt_tensor_unref(both);
    frt_tensor_unref(inf);
    frt_tensor_unref(nan);
    frt_attrs_deinit(&a);
}

static void zeros_and_ones_like(void **state) {
    (void)state;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_INT64);
    int64_t v[3] = {5, 6, 7};
    frt_tensor *x = tu_i64(TU_DIMS(3, 1), 2, v), *y;
    TU_OK(tu_run("OnesLike", &a, &x, 1, &y, 1));
    tu_assert_shape(y, TU_DIMS(3, 1), 2);
    for (int i = 0; i < 3; i++) assert_int_equal(frt_tensor_i64(y)[i], 1);
    frt_tensor_unref(y);
    TU_OK(tu_run("ZerosLike", &a, &x, 1, &y, 1));
    for (int i = 0; i < 3; i++) assert_int_equal(frt_tensor_i64(y)[i], 0);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    x = tu_f32(TU_DIMS(2), 1, TU_F32(3, 4));
    TU_OK(tu_run("OnesLike", &a, &x, 1, &y, 1));
    assert_true(frt_tensor_f32(y)[0] == 1.0f && frt_tensor_f32(y)[1] == 1.0f);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(const_returns_same_buffer),
        cmocka_unit_test(placeholder_unfed_error_text),
        cmocka_unit_test(passthrough_ops_alias_input),
        cmocka_unit_test(check_numerics_messages),
        cmocka_unit_test(zeros_and_ones_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
