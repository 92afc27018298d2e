/* tests/runtime/test_tensor.c: tensors, views, strings, allocator accounting. */
#include "util/test_util.h"

#include <string.h>

static void new_is_zeroed_and_counted(void **state) {
    (void)state;
    frt_tensor *t = tu_f32(TU_DIMS(2, 3), 2, NULL);
    assert_int_equal(frt_tensor_num_elements(t), 6);
    assert_int_equal(frt_tensor_nbytes(t), 24);
    for (int i = 0; i < 6; i++) assert_true(frt_tensor_f32(t)[i] == 0.0f);
    frt_tensor_unref(t);
}

static void view_shares_bytes(void **state) {
    (void)state;
    frt_tensor *t = tu_f32(TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6)), *v;
    TU_OK(frt_tensor_view(t, TU_DIMS(3, 2), 2, &v));
    assert_ptr_equal(frt_tensor_data(v), frt_tensor_data(t));
    assert_false(frt_tensor_is_exclusive(v));
    frt_tensor_unref(t);
    assert_true(frt_tensor_is_exclusive(v));
    tu_assert_error(frt_tensor_view(v, TU_DIMS(4), 1, &t), FRT_INVALID_ARGUMENT, "[3,2]");
    frt_tensor_unref(v);
}

static void bad_shapes_are_errors(void **state) {
    (void)state;
    frt_tensor *t;
    tu_assert_error(frt_tensor_new(FRT_DTYPE_FLOAT, TU_DIMS(2, -1), 2, &t), FRT_INVALID_ARGUMENT,
                    "[2,-1]");
    assert_null(t);
    tu_assert_error(frt_tensor_new(FRT_DTYPE_FLOAT, TU_DIMS(1), 9, &t), FRT_INVALID_ARGUMENT,
                    "rank");
    tu_assert_error(frt_tensor_new((frt_dtype)99, TU_DIMS(1), 1, &t), FRT_INVALID_ARGUMENT,
                    "dtype");
}

static void strings_own_their_bytes(void **state) {
    (void)state;
    frt_tensor *t;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, TU_DIMS(2), 1, &t));
    TU_OK(frt_tensor_set_string(t, 1, "a\0b", 3));
    size_t len;
    const char *s = frt_tensor_string(t, 1, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "a\0b", 3);
    assert_string_equal(frt_tensor_string(t, 0, &len), "");
    tu_assert_error(frt_tensor_set_string(t, 2, "x", 1), FRT_OUT_OF_RANGE, "index 2");
    frt_tensor_unref(t);
}

static void allocator_tracks_peak_and_limit(void **state) {
    (void)state;
    frt_allocator *a = frt_cpu_allocator_new("test", 1000);
    frt_tensor *x, *y;
    TU_OK(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, TU_DIMS(100), 1, &x));
    tu_assert_error(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, TU_DIMS(200), 1, &y),
                    FRT_RESOURCE_EXHAUSTED, "800 bytes");
    frt_alloc_stats st;
    frt_allocator_stats(a, &st);
    assert_int_equal(st.in_use, 400);
    frt_tensor_unref(x);
    frt_allocator_stats(a, &st);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.peak, 400);
    frt_allocator_unref(a);
}

static void status_codes_and_annotation(void **state) {
    (void)state;
    frt_status *st = frt_status_new(FRT_NOT_FOUND, "no node %s", "x");
    st = frt_status_annotate(st, " [[node %s]]", "y");
    assert_int_equal(frt_status_code(st), FRT_NOT_FOUND);
    assert_string_equal(frt_status_message(st), "no node x [[node y]]");
    frt_status_free(st);
    assert_int_equal(frt_status_code(NULL), FRT_OK);
    assert_string_equal(frt_status_message(NULL), "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(new_is_zeroed_and_counted), cmocka_unit_test(view_shares_bytes),
        cmocka_unit_test(bad_shapes_are_errors),    cmocka_unit_test(strings_own_their_bytes),
        cmocka_unit_test(allocator_tracks_peak_and_limit),
        cmocka_unit_test(status_codes_and_annotation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
