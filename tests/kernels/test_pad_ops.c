/* tests/kernels/test_pad_ops.c: Pad, PadV2, MirrorPad (REFLECT/SYMMETRIC) and their errors. */
#include "util/test_util.h"
#include "runtime/init.h"

static frt_status *pad(const char *op, const char *mode, frt_tensor *x, frt_tensor *p,
                       frt_tensor *cv, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", x->dtype);
    if (mode) tu_attr_str(&a, "mode", mode);
    frt_tensor *in[3] = {x, p, cv};
    frt_status *st = tu_run(op, &a, in, cv ? 3 : 2, y, 1);
    frt_tensor_unref(p);
    frt_tensor_unref(cv);
    frt_attrs_deinit(&a);
    return st;
}

static void pad_constant(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4)), *y;
    TU_OK(pad("Pad", NULL, x, tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 0, 0, 2)), NULL, &y));
    frt_tensor *want = tu_f32(TU_DIMS(3, 4), 2, TU_F32(0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    int64_t p64[4] = {0, 1, 1, 1};
    TU_OK(pad("PadV2", NULL, x, tu_i64(TU_DIMS(2, 2), 2, p64), tu_scalar_f32(-1), &y));
    want = tu_f32(TU_DIMS(3, 4), 2, TU_F32(-1, 1, 2, -1, -1, 3, 4, -1, -1, -1, -1, -1));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    tu_assert_error(pad("Pad", NULL, x, tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, -1, 0, 0)), NULL, &y),
                    FRT_INVALID_ARGUMENT, "Paddings must be non-negative: 1 -1");
    tu_assert_error(pad("Pad", NULL, x, tu_i32(TU_DIMS(1, 2), 2, TU_I32(1, 1)), NULL, &y),
                    FRT_INVALID_ARGUMENT,
                    "The first dimension of paddings must be the rank of inputs[1,2] [2,2]");
    frt_tensor_unref(x);
}

static void mirror_pad_modes(void **state) {
    (void)state;
    frt_tensor *x = tu_i32(TU_DIMS(3), 1, TU_I32(1, 2, 3)), *y;
    TU_OK(pad("MirrorPad", "REFLECT", x, tu_i32(TU_DIMS(1, 2), 2, TU_I32(2, 2)), NULL, &y));
    frt_tensor *want = tu_i32(TU_DIMS(7), 1, TU_I32(3, 2, 1, 2, 3, 2, 1));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    TU_OK(pad("MirrorPad", "SYMMETRIC", x, tu_i32(TU_DIMS(1, 2), 2, TU_I32(2, 2)), NULL, &y));
    want = tu_i32(TU_DIMS(7), 1, TU_I32(2, 1, 1, 2, 3, 3, 2));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    tu_assert_error(pad("MirrorPad", "REFLECT", x, tu_i32(TU_DIMS(1, 2), 2, TU_I32(3, 0)), NULL,
                        &y),
                    FRT_INVALID_ARGUMENT, "paddings must be less than the dimension size: 3, 0 not "
                    "less than 3");
    tu_assert_error(pad("MirrorPad", "SYMMETRIC", x, tu_i32(TU_DIMS(1, 2), 2, TU_I32(0, 4)), NULL,
                        &y),
                    FRT_INVALID_ARGUMENT, "paddings must be no greater than the dimension size: "
                    "0, 4 greater than 3");
    frt_tensor_unref(x);
    /* 2-D: both dims mirrored (values from np.pad(x, ((1,1),(2,1)), 'reflect')). */
    x = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    TU_OK(pad("MirrorPad", "REFLECT", x, tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 1, 2, 1)), NULL, &y));
    want = tu_f32(TU_DIMS(4, 6), 2,
                  TU_F32(6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2, 6, 5, 4, 5, 6, 5, 3, 2, 1, 2, 3, 2));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pad_constant),
        cmocka_unit_test(mirror_pad_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
