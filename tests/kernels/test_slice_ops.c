/* tests/kernels/test_slice_ops.c: StridedSlice mask combinations (expected values made with
 * TensorFlow 2.21's tf.raw_ops.StridedSlice on x = arange(n).reshape(shape)), Slice, Split,
 * SplitV, and their errors. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <string.h>

typedef struct ss_case {
    int nd;
    int64_t shape[4];
    int ns;
    int32_t begin[4], end[4], strides[4];
    int64_t masks[5]; /* begin, end, ellipsis, new_axis, shrink */
    int ond;
    int64_t oshape[4];
    int on;
    float want[24];
} ss_case;

static const ss_case cases[] = {
    {1, {5}, 1, {1}, {4}, {1}, {0,0,0,0,0}, 1, {3}, 3, {1,2,3}},
    {1, {5}, 1, {0}, {0}, {-1}, {1,1,0,0,0}, 1, {5}, 5, {4,3,2,1,0}},
    {1, {5}, 1, {-2}, {0}, {1}, {0,1,0,0,0}, 1, {2}, 2, {3,4}},
    {1, {5}, 1, {10}, {-10}, {-2}, {0,0,0,0,0}, 1, {3}, 3, {4,2,0}},
    {1, {5}, 1, {-1}, {0}, {1}, {0,0,0,0,1}, 0, {0}, 1, {4}},
    {2, {3,4}, 2, {0,-1}, {0,0}, {1,1}, {1,1,0,0,2}, 1, {3}, 3, {3,7,11}},
    {2, {3,4}, 1, {1}, {2}, {1}, {0,0,0,0,1}, 1, {4}, 4, {4,5,6,7}},
    {3, {2,3,4}, 2, {0,0}, {0,1}, {1,1}, {0,0,1,0,2}, 2, {2,3}, 6, {0,4,8,12,16,20}},
    {2, {3,4}, 2, {0,1}, {0,3}, {1,1}, {0,0,0,1,0}, 3, {1,2,4}, 8, {4,5,6,7,8,9,10,11}},
    {3, {2,3,4}, 3, {0,1,0}, {0,3,0}, {1,1,-2}, {1,0,0,0,0}, 3, {0,2,0}, 0, {0}},
    {3, {2,3,4}, 3, {0,0,0}, {0,0,0}, {1,1,-2}, {7,7,0,0,0}, 3, {2,3,2}, 12, {3,1,7,5,11,9,15,13,19,17,23,21}},
    {3, {2,3,4}, 3, {1,0,1}, {2,0,3}, {1,1,1}, {0,0,2,0,0}, 3, {1,3,2}, 6, {13,14,17,18,21,22}},
    {3, {2,3,4}, 3, {0,0,0}, {0,0,0}, {1,1,1}, {0,0,1,4,0}, 4, {2,3,0,1}, 0, {0}},
    {3, {2,3,4}, 3, {0,0,2}, {0,0,3}, {1,1,1}, {0,0,2,1,4}, 3, {1,2,3}, 6, {2,6,10,14,18,22}},
    {2, {3,4}, 2, {-100,-100}, {100,100}, {1,3}, {0,0,0,0,0}, 2, {3,2}, 6, {0,3,4,7,8,11}},
    {2, {3,4}, 2, {2,3}, {-5,-6}, {-1,-2}, {0,0,0,0,0}, 2, {3,2}, 6, {11,9,7,5,3,1}},
    {2, {3,4}, 2, {1,0}, {1,4}, {1,1}, {0,0,0,0,0}, 2, {0,4}, 0, {0}},
    {1, {4}, 1, {3}, {1}, {1}, {0,0,0,0,0}, 1, {0}, 0, {0}},
    {2, {2,3}, 2, {0,0}, {0,0}, {1,1}, {0,0,0,3,0}, 4, {1,1,2,3}, 6, {0,1,2,3,4,5}},
    {3, {2,3,4}, 2, {1,2}, {2,3}, {1,1}, {0,0,0,0,3}, 1, {4}, 4, {20,21,22,23}},
    {3, {2,3,4}, 3, {0,-1,0}, {0,-4,0}, {1,-1,1}, {5,0,0,0,0}, 3, {0,3,0}, 0, {0}},
    {1, {6}, 1, {5}, {0}, {-2}, {0,0,0,0,0}, 1, {3}, 3, {5,3,1}},
    {4, {2,3,4,5}, 2, {0,1}, {0,2}, {1,1}, {0,0,1,0,0}, 4, {2,3,4,1}, 24, {1,6,11,16,21,26,31,36,41,46,51,56,61,66,71,76,81,86,91,96,101,106,111,116}},
    {2, {2,3}, 1, {0}, {1}, {1}, {0,0,0,0,1}, 1, {3}, 3, {0,1,2}},

};

static frt_tensor *iota_f32(const int64_t *dims, int nd) {
    frt_tensor *t = tu_f32(dims, nd, NULL);
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++) frt_tensor_f32(t)[i] = (float)i;
    return t;
}

static void set_masks(frt_attrs *a, const int64_t *m) {
    static const char *names[5] = {"begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                   "shrink_axis_mask"};
    for (int i = 0; i < 5; i++) tu_attr_int(a, names[i], m[i]);
}

static frt_status *run_ss(const frt_tensor *x, const ss_case *k, bool i64, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "Index", i64 ? FRT_DTYPE_INT64 : FRT_DTYPE_INT32);
    set_masks(&a, k->masks);
    frt_tensor *in[4] = {(frt_tensor *)x};
    for (int j = 0; j < 3; j++) {
        const int32_t *src = j == 0 ? k->begin : j == 1 ? k->end : k->strides;
        if (i64) {
            int64_t v[4];
            for (int q = 0; q < k->ns; q++) v[q] = src[q];
            in[1 + j] = tu_i64((int64_t[]){k->ns}, 1, v);
        } else {
            in[1 + j] = tu_i32((int64_t[]){k->ns}, 1, src);
        }
    }
    frt_status *st = tu_run("StridedSlice", &a, in, 4, y, 1);
    for (int j = 1; j < 4; j++) frt_tensor_unref(in[j]);
    frt_attrs_deinit(&a);
    return st;
}

static void strided_slice_cases(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ss_case *k = &cases[i];
        frt_tensor *x = iota_f32(k->shape, k->nd);
        for (int i64 = 0; i64 < 2; i64++) {
            frt_tensor *y = NULL;
            frt_status *st = run_ss(x, k, i64, &y);
            if (st) fail_msg("case %zu: %s", i, frt_status_message(st));
            tu_assert_shape(y, k->oshape, k->ond);
            assert_int_equal(frt_tensor_num_elements(y), k->on);
            for (int j = 0; j < k->on; j++)
                if (frt_tensor_f32(y)[j] != k->want[j])
                    fail_msg("case %zu element %d: %g != %g", i, j, frt_tensor_f32(y)[j],
                             k->want[j]);
            frt_tensor_unref(y);
        }
        frt_tensor_unref(x);
    }
}

static frt_status *ss_simple(const frt_tensor *x, int n, const int32_t *b, const int32_t *e,
                             const int32_t *s, int64_t shrink, int64_t ellipsis,
                             frt_tensor **y) {
    ss_case k = {.ns = n};
    memcpy(k.begin, b, sizeof(int32_t) * (size_t)n);
    memcpy(k.end, e, sizeof(int32_t) * (size_t)n);
    memcpy(k.strides, s, sizeof(int32_t) * (size_t)n);
    k.masks[2] = ellipsis;
    k.masks[4] = shrink;
    return run_ss(x, &k, false, y);
}

static void strided_slice_errors(void **state) {
    (void)state;
    frt_tensor *x = iota_f32(TU_DIMS(2, 5), 2), *y = NULL;
    tu_assert_error(ss_simple(x, 1, TU_I32(5), TU_I32(6), TU_I32(1), 1, 0, &y),
                    FRT_INVALID_ARGUMENT, "slice index 5 of dimension 0 out of bounds.");
    tu_assert_error(ss_simple(x, 1, TU_I32(-3), TU_I32(6), TU_I32(1), 1, 0, &y),
                    FRT_INVALID_ARGUMENT, "slice index -1 of dimension 0 out of bounds.");
    tu_assert_error(ss_simple(x, 1, TU_I32(0), TU_I32(1), TU_I32(0), 0, 0, &y),
                    FRT_INVALID_ARGUMENT, "strides[0] must be non-zero");
    tu_assert_error(ss_simple(x, 1, TU_I32(0), TU_I32(1), TU_I32(-1), 1, 0, &y),
                    FRT_INVALID_ARGUMENT, "only stride 1 allowed on non-range indexing.");
    tu_assert_error(ss_simple(x, 3, TU_I32(0, 0, 0), TU_I32(1, 1, 1), TU_I32(1, 1, 1), 0, 0, &y),
                    FRT_INVALID_ARGUMENT, "Index out of range using input dim 2; input has only 2 dims");
    tu_assert_error(ss_simple(x, 2, TU_I32(0, 0), TU_I32(1, 1), TU_I32(1, 1), 0, 3, &y),
                    FRT_INVALID_ARGUMENT, "Multiple ellipses in slice spec not allowed");
    /* masks are int32 in TF: wider values are refused, not truncated (test_mutations) */
    tu_assert_error(ss_simple(x, 1, TU_I32(0), TU_I32(1), TU_I32(1), 0, INT64_MIN, &y),
                    FRT_INVALID_ARGUMENT, "Attr ellipsis_mask has value -9223372036854775808 "
                    "out of range for an int32");
    tu_assert_error(ss_simple(x, 1, TU_I32(0), TU_I32(1), TU_I32(1), (int64_t)1 << 40, 0, &y),
                    FRT_INVALID_ARGUMENT, "Attr shrink_axis_mask has value 1099511627776");
    assert_null(y);
    frt_tensor_unref(x);
}

static void strided_slice_identity_shares_buffer(void **state) {
    (void)state;
    frt_tensor *x = iota_f32(TU_DIMS(3, 4), 2), *y;
    TU_OK(ss_simple(x, 2, TU_I32(0, -100), TU_I32(3, 100), TU_I32(1, 1), 0, 0, &y));
    tu_assert_shape(y, TU_DIMS(3, 4), 2);
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(x));
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void strided_slice_strings(void **state) {
    (void)state;
    frt_tensor *x, *y;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, TU_DIMS(4), 1, &x));
    const char *w[4] = {"a", "bb", "ccc", "dddd"};
    for (int i = 0; i < 4; i++) TU_OK(frt_tensor_set_string(x, i, w[i], strlen(w[i])));
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_STRING);
    tu_attr_type(&a, "Index", FRT_DTYPE_INT32);
    tu_attr_int(&a, "begin_mask", 1);
    tu_attr_int(&a, "end_mask", 1);
    frt_tensor *in[4] = {x, tu_i32(TU_DIMS(1), 1, TU_I32(0)), tu_i32(TU_DIMS(1), 1, TU_I32(0)),
                         tu_i32(TU_DIMS(1), 1, TU_I32(-2))};
    TU_OK(tu_run("StridedSlice", &a, in, 4, &y, 1));
    frt_tensor_unref(x); /* the output must own its bytes */
    tu_assert_shape(y, TU_DIMS(2), 1);
    assert_string_equal(frt_tensor_string(y, 0, NULL), "dddd");
    assert_string_equal(frt_tensor_string(y, 1, NULL), "bb");
    for (int j = 1; j < 4; j++) frt_tensor_unref(in[j]);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
}

static frt_status *run_slice(frt_tensor *x, frt_tensor *b, frt_tensor *s, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *in[3] = {x, b, s};
    frt_status *st = tu_run("Slice", &a, in, 3, y, 1);
    frt_tensor_unref(b);
    frt_tensor_unref(s);
    frt_attrs_deinit(&a);
    return st;
}

static void slice_size_minus_one_and_errors(void **state) {
    (void)state;
    frt_tensor *x = iota_f32(TU_DIMS(3, 4), 2), *y = NULL;
    TU_OK(run_slice(x, tu_i32(TU_DIMS(2), 1, TU_I32(1, 1)), tu_i32(TU_DIMS(2), 1, TU_I32(-1, 2)),
                    &y));
    frt_tensor *want = tu_f32(TU_DIMS(2, 2), 2, TU_F32(5, 6, 9, 10));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    int64_t b64[2] = {0, 3}, s64[2] = {3, 1};
    TU_OK(run_slice(x, tu_i64(TU_DIMS(2), 1, b64), tu_i64(TU_DIMS(2), 1, s64), &y));
    want = tu_f32(TU_DIMS(3, 1), 2, TU_F32(3, 7, 11));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    tu_assert_error(run_slice(x, tu_i32(TU_DIMS(2), 1, TU_I32(0, -1)),
                              tu_i32(TU_DIMS(2), 1, TU_I32(1, 1)), &y),
                    FRT_INVALID_ARGUMENT, "Expected begin[1] in [0, 4], but got -1");
    tu_assert_error(run_slice(x, tu_i32(TU_DIMS(2), 1, TU_I32(0, 1)),
                              tu_i32(TU_DIMS(2), 1, TU_I32(1, 4)), &y),
                    FRT_INVALID_ARGUMENT, "Expected size[1] in [0, 3], but got 4");
    tu_assert_error(run_slice(x, tu_i32(TU_DIMS(1), 1, TU_I32(0)), tu_i32(TU_DIMS(1), 1, TU_I32(1)),
                              &y),
                    FRT_INVALID_ARGUMENT, "1-D tensors of size 2, but got shapes [1] and [1]");
    frt_tensor_unref(x);
}

static void split_even_and_errors(void **state) {
    (void)state;
    frt_tensor *x = iota_f32(TU_DIMS(2, 6), 2), *y[4];
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_int(&a, "num_split", 3);
    frt_tensor *in[2] = {tu_scalar_i32(-1), x};
    TU_OK(tu_run("Split", &a, in, 2, y, 3));
    for (int k = 0; k < 3; k++) {
        tu_assert_shape(y[k], TU_DIMS(2, 2), 2);
        float *p = frt_tensor_f32(y[k]);
        assert_true(p[0] == 2 * k && p[1] == 2 * k + 1 && p[2] == 6 + 2 * k && p[3] == 7 + 2 * k);
        frt_tensor_unref(y[k]);
    }
    frt_tensor_unref(in[0]);
    /* Along dim 0 the first piece is contiguous and aligned: shared, not copied. */
    frt_attrs b;
    frt_attrs_init(&b);
    tu_attr_type(&b, "T", FRT_DTYPE_FLOAT);
    tu_attr_int(&b, "num_split", 2);
    in[0] = tu_scalar_i32(0);
    TU_OK(tu_run("Split", &b, in, 2, y, 2));
    assert_ptr_equal(frt_tensor_data(y[0]), frt_tensor_data(x));
    tu_assert_shape(y[1], TU_DIMS(1, 6), 2);
    assert_true(frt_tensor_f32(y[1])[0] == 6.0f && frt_tensor_f32(y[1])[5] == 11.0f);
    frt_tensor_unref(y[0]);
    frt_tensor_unref(y[1]);
    frt_tensor_unref(in[0]);
    in[0] = tu_scalar_i32(1);
    tu_attr_int(&b, "num_split", 4);
    tu_assert_error(tu_run("Split", &b, in, 2, y, 4), FRT_INVALID_ARGUMENT,
                    "evenly divide the split dimension, but got split_dim 1 (size = 6) and "
                    "num_split 4");
    frt_tensor_unref(in[0]);
    in[0] = tu_scalar_i32(2);
    tu_attr_int(&b, "num_split", 2);
    tu_assert_error(tu_run("Split", &b, in, 2, y, 2), FRT_INVALID_ARGUMENT,
                    "-input rank(-2) <= split_dim < input rank (2), but got 2");
    frt_tensor_unref(in[0]);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
    frt_attrs_deinit(&b);
}

static void split_v_with_minus_one(void **state) {
    (void)state;
    frt_tensor *x = iota_f32(TU_DIMS(2, 5), 2), *y[3];
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_int(&a, "num_split", 3);
    int64_t sizes[3] = {1, -1, 2};
    frt_tensor *in[3] = {x, tu_i64(TU_DIMS(3), 1, sizes), tu_scalar_i32(1)};
    TU_OK(tu_run("SplitV", &a, in, 3, y, 3));
    tu_assert_shape(y[0], TU_DIMS(2, 1), 2);
    tu_assert_shape(y[1], TU_DIMS(2, 2), 2);
    tu_assert_shape(y[2], TU_DIMS(2, 2), 2);
    float w1[4] = {1, 2, 6, 7}, w2[4] = {3, 4, 8, 9};
    assert_memory_equal(frt_tensor_f32(y[1]), w1, sizeof w1);
    assert_memory_equal(frt_tensor_f32(y[2]), w2, sizeof w2);
    assert_true(frt_tensor_f32(y[0])[1] == 5.0f);
    for (int k = 0; k < 3; k++) frt_tensor_unref(y[k]);
    frt_tensor_unref(in[1]);
    int64_t bad[3] = {1, -1, -1};
    in[1] = tu_i64(TU_DIMS(3), 1, bad);
    tu_assert_error(tu_run("SplitV", &a, in, 3, y, 3), FRT_INVALID_ARGUMENT,
                    "There can only be one -1 in the input.");
    frt_tensor_unref(in[1]);
    int64_t big[3] = {1, 2, 3};
    in[1] = tu_i64(TU_DIMS(3), 1, big);
    tu_assert_error(tu_run("SplitV", &a, in, 3, y, 3), FRT_INVALID_ARGUMENT,
                    "along split_dim if not fully specified.  Got: 6");
    frt_tensor_unref(in[1]);
    frt_tensor_unref(in[2]);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strided_slice_cases),
        cmocka_unit_test(strided_slice_errors),
        cmocka_unit_test(strided_slice_identity_shares_buffer),
        cmocka_unit_test(strided_slice_strings),
        cmocka_unit_test(slice_size_minus_one_and_errors),
        cmocka_unit_test(split_even_and_errors),
        cmocka_unit_test(split_v_with_minus_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
