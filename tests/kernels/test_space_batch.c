/* tests/kernels/test_space_batch.c: SpaceToBatchND / BatchToSpaceND on TF's documented
 * examples, a padded/cropped round trip, and errors. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <string.h>

static frt_status *sb(const char *op, frt_tensor *x, frt_tensor *block, frt_tensor *pads,
                      frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", x->dtype);
    frt_tensor *in[3] = {x, block, pads};
    frt_status *st = tu_run(op, &a, in, 3, y, 1);
    frt_tensor_unref(block);
    frt_tensor_unref(pads);
    frt_attrs_deinit(&a);
    return st;
}

static frt_tensor *iota1(const int64_t *dims, int nd) {
    frt_tensor *t = tu_f32(dims, nd, NULL);
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++) frt_tensor_f32(t)[i] = (float)(i + 1);
    return t;
}

/* SpaceToBatchND of iota(x_dims) with block [2,2] and paddings pads (2x2) gives want;
 * BatchToSpaceND with the same block, pads as crops, gives the input back. */
static void round_trip(const int64_t *x_dims, const int32_t *pads, const int64_t *want_dims,
                       const float *want_v) {
    frt_tensor *x = iota1(x_dims, 4), *y, *back;
    TU_OK(sb("SpaceToBatchND", x, tu_i32(TU_DIMS(2), 1, TU_I32(2, 2)),
             tu_i32(TU_DIMS(2, 2), 2, pads), &y));
    frt_tensor *want = tu_f32(want_dims, 4, want_v);
    tu_assert_equal(y, want);
    TU_OK(sb("BatchToSpaceND", y, tu_i32(TU_DIMS(2), 1, TU_I32(2, 2)),
             tu_i32(TU_DIMS(2, 2), 2, pads), &back));
    tu_assert_equal(back, x);
    frt_tensor_unref(back);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void documented_examples(void **state) {
    (void)state;
    /* tf.space_to_batch_nd docs, example 3: [1,4,4,1], block [2,2]. */
    round_trip(TU_DIMS(1, 4, 4, 1), TU_I32(0, 0, 0, 0), TU_DIMS(4, 2, 2, 1),
               TU_F32(1, 3, 9, 11, 2, 4, 10, 12, 5, 7, 13, 15, 6, 8, 14, 16));
    /* Example 4: [2,2,4,1], block [2,2], paddings [[0,0],[2,0]] -> [8,1,3,1]. */
    round_trip(TU_DIMS(2, 2, 4, 1), TU_I32(0, 0, 2, 0), TU_DIMS(8, 1, 3, 1),
               TU_F32(0, 1, 3, 0, 9, 11, 0, 2, 4, 0, 10, 12, 0, 5, 7, 0, 13, 15, 0, 6, 8, 0, 14,
                      16));
}

static void dilated_conv_round_trip(void **state) {
    (void)state;
    /* hey_snips pattern: block [13,1] on [1,40,3,2], pad H to a multiple of 13. */
    frt_tensor *x = iota1(TU_DIMS(1, 40, 3, 2), 4), *y, *back;
    int64_t pads[4] = {5, 7, 0, 0}, blk[2] = {13, 1};
    TU_OK(sb("SpaceToBatchND", x, tu_i64(TU_DIMS(2), 1, blk), tu_i64(TU_DIMS(2, 2), 2, pads), &y));
    tu_assert_shape(y, TU_DIMS(13, 4, 3, 2), 4);
    /* out[b, h, w, c] = padded[0, h*13 + b, w, c]; padded row p holds x row p - 5. */
    for (int b = 0; b < 13; b++)
        for (int h = 0; h < 4; h++) {
            int row = h * 13 + b - 5;
            float got = frt_tensor_f32(y)[((b * 4 + h) * 3 + 1) * 2 + 1];
            float exp = row < 0 || row >= 40 ? 0.0f : (float)((row * 3 + 1) * 2 + 1 + 1);
            assert_true(got == exp);
        }
    TU_OK(sb("BatchToSpaceND", y, tu_i64(TU_DIMS(2), 1, blk), tu_i64(TU_DIMS(2, 2), 2, pads),
             &back));
    tu_assert_equal(back, x);
    frt_tensor_unref(back);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

/* Bad block shapes, paddings and crops: TF's messages. */
static void errors(void **state) {
    (void)state;
    static const struct {
        const char *op;
        int64_t x[4];
        int32_t block, pc[2]; /* pc: paddings (SpaceToBatchND) or crops (BatchToSpaceND) */
        const char *needle;
    } cases[] = {
        {"SpaceToBatchND", {1, 5, 1, 1}, 2, {0, 0},
         "padded_shape[0]=5 is not divisible by block_shape[0]=2"},
        {"SpaceToBatchND", {1, 5, 1, 1}, 0, {0, 0},
         "All values in block_shape must be positive, got value, 0 at index 0."},
        {"BatchToSpaceND", {3, 2, 1, 1}, 2, {0, 0},
         "Input batch dimension (3) is not divisible by product of block sizes (2)"},
        {"BatchToSpaceND", {2, 2, 1, 1}, 2, {3, 3}, "cropped_shape[0]=-2 must be non-negative"},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        frt_tensor *x = tu_f32(cases[i].x, 4, NULL), *y;
        tu_assert_error(sb(cases[i].op, x, tu_i32(TU_DIMS(1), 1, &cases[i].block),
                           tu_i32(TU_DIMS(1, 2), 2, cases[i].pc), &y),
                        FRT_INVALID_ARGUMENT, cases[i].needle);
        frt_tensor_unref(x);
    }
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(documented_examples),
        cmocka_unit_test(dilated_conv_round_trip),
        cmocka_unit_test(errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
