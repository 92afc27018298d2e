/* tests/kernels/test_cast.c: kernels/cast.c — integer truncation and wrap-around, bool,
 * IEEE half and bfloat16 bit patterns (values checked against TF 2.21), round trips. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <math.h>
#include <string.h>

static frt_tensor *make(frt_dtype dt, int64_t n, const void *data) {
    frt_tensor *t;
    TU_OK(frt_tensor_new_copy(dt, TU_DIMS(n), 1, data, (size_t)n * frt_dtype_size(dt), &t));
    return t;
}

static frt_status *cast(frt_tensor *x, frt_dtype dst, bool truncate, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "SrcT", frt_tensor_dtype(x));
    tu_attr_type(&a, "DstT", dst);
    if (truncate) tu_attr_bool(&a, "Truncate", true);
    frt_status *st = tu_run("Cast", &a, &x, 1, y, 1);
    frt_attrs_deinit(&a);
    return st;
}

/* Casts n elements of src data and compares the destination bytes with want. */
static void check(frt_dtype src, frt_dtype dst, bool truncate, int64_t n, const void *in,
                  const void *want) {
    frt_tensor *x = make(src, n, in), *y;
    TU_OK(cast(x, dst, truncate, &y));
    assert_int_equal(frt_tensor_dtype(y), dst);
    tu_assert_shape(y, TU_DIMS(n), 1);
    size_t es = frt_dtype_size(dst);
    for (int64_t i = 0; i < n; i++)
        if (memcmp((char *)frt_tensor_data(y) + i * es, (const char *)want + i * es, es) != 0)
            fail_msg("%s -> %s element %lld differs", frt_dtype_name(src), frt_dtype_name(dst),
                     (long long)i);
    frt_tensor_unref(y);
    frt_tensor_unref(x);
}

static void float_to_int_truncates(void **state) {
    (void)state;
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_INT32, false, 6, TU_F32(2.7f, -2.7f, 0.5f, -0.5f, 1e9f, -0.0f),
          TU_I32(2, -2, 0, 0, 1000000000, 0));
    /* Out of range and NaN: what TF gives on x86, and no trap. */
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_INT32, false, 3, TU_F32(3e9f, -3e9f, NAN),
          TU_I32(INT32_MIN, INT32_MIN, INT32_MIN));
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_UINT8, false, 4, TU_F32(300, -1, NAN, 255.9f),
          ((const uint8_t[]){44, 255, 0, 255}));
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_UINT16, false, 2, TU_F32(70000, -1),
          ((const uint16_t[]){4464, 65535}));
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_UINT32, false, 2, TU_F32(5e9f, -1),
          ((const uint32_t[]){705032704u, 4294967295u}));
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_INT64, false, 4, TU_F32(1e19f, -1e19f, NAN, -123.9f),
          ((const int64_t[]){INT64_MIN, INT64_MIN, INT64_MIN, -123}));
    check(FRT_DTYPE_DOUBLE, FRT_DTYPE_INT32, false, 3, ((const double[]){-2147483648.9, 2147483647.9, 1e300}),
          TU_I32(INT32_MIN, INT32_MAX, INT32_MIN));
}

static void integer_conversions(void **state) {
    (void)state;
    const int64_t big[] = {(int64_t)1 << 32 | 5, -1, 3000000000};
    check(FRT_DTYPE_INT64, FRT_DTYPE_INT32, false, 3, big, TU_I32(5, -1, -1294967296));
    check(FRT_DTYPE_INT32, FRT_DTYPE_INT64, false, 2, TU_I32(-7, INT32_MAX),
          ((const int64_t[]){-7, INT32_MAX}));
    check(FRT_DTYPE_INT32, FRT_DTYPE_UINT8, false, 3, TU_I32(256, -1, 200), ((const uint8_t[]){0, 255, 200}));
    check(FRT_DTYPE_UINT8, FRT_DTYPE_FLOAT, false, 3, ((const uint8_t[]){0, 128, 255}), TU_F32(0, 128, 255));
    check(FRT_DTYPE_INT8, FRT_DTYPE_INT32, false, 2, ((const int8_t[]){-128, 127}), TU_I32(-128, 127));
    check(FRT_DTYPE_INT32, FRT_DTYPE_FLOAT, false, 2, TU_I32(16777217, -3), TU_F32(16777216, -3));
    check(FRT_DTYPE_INT64, FRT_DTYPE_DOUBLE, false, 1, ((const int64_t[]){-5}), ((const double[]){-5}));
}

static void bool_conversions(void **state) {
    (void)state;
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_BOOL, false, 5, TU_F32(0, -0.0f, 0.5f, NAN, -3),
          ((const uint8_t[]){0, 0, 1, 1, 1}));
    check(FRT_DTYPE_INT64, FRT_DTYPE_BOOL, false, 3, ((const int64_t[]){0, (int64_t)1 << 40, -1}),
          ((const uint8_t[]){0, 1, 1}));
    check(FRT_DTYPE_BOOL, FRT_DTYPE_FLOAT, false, 2, ((const uint8_t[]){1, 0}), TU_F32(1, 0));
    check(FRT_DTYPE_BOOL, FRT_DTYPE_INT32, false, 2, ((const uint8_t[]){0, 1}), TU_I32(0, 1));
    check(FRT_DTYPE_HALF, FRT_DTYPE_BOOL, false, 3, ((const uint16_t[]){0x8000, 0x0001, 0x7e00}),
          ((const uint8_t[]){0, 1, 1}));
}

static void half_bit_patterns(void **state) {
    (void)state;
    /* float -> half, round to nearest even; patterns from TF 2.21's Cast. */
    const float f[] = {1.0f, -2.0f, 65504.0f, 65519.0f, 65520.0f, 1e-8f, 3e-8f, 5.9604645e-8f,
                       6.1035156e-05f, 6.0975552e-05f, INFINITY, -INFINITY, NAN, 1.0018765f,
                       0.1f, -0.0f, 1e6f, 1.00048828125f, 1.00146484375f};
    const uint16_t h[] = {0x3c00, 0xc000, 0x7bff, 0x7bff, 0x7c00, 0x0000, 0x0001, 0x0001,
                          0x0400, 0x03ff, 0x7c00, 0xfc00, 0x7e00, 15362,
                          0x2e66, 0x8000, 0x7c00, 0x3c00, 0x3c02};
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_HALF, false, (int64_t)FRT_COUNTOF(f), f, h);
    /* half -> float is exact. */
    const uint16_t hh[] = {0x3c00, 0x0001, 0x7bff, 0x8000, 0x7c00, 0x03ff, 0xc400, 0x3555};
    const float ff[] = {1.0f, 5.9604644775390625e-08f, 65504.0f, -0.0f, INFINITY,
                        6.0975551605224609e-05f, -4.0f, 0.333251953125f};
    check(FRT_DTYPE_HALF, FRT_DTYPE_FLOAT, false, (int64_t)FRT_COUNTOF(hh), hh, ff);
    /* Truncate=true drops mantissa bits (TF: 1.0018765 -> 0x3c01, 65520 -> 0x7bff). */
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_HALF, true, 3, TU_F32(1.0018765f, 65519, 65520),
          ((const uint16_t[]){15361, 31743, 31743}));
    /* Integers and doubles go through float; 2049 ties to even 2048. */
    check(FRT_DTYPE_INT32, FRT_DTYPE_HALF, false, 3, TU_I32(2049, 2051, -70000),
          ((const uint16_t[]){0x6800, 0x6802, 0xfc00}));
    check(FRT_DTYPE_DOUBLE, FRT_DTYPE_HALF, false, 1, ((const double[]){0.5}), ((const uint16_t[]){0x3800}));
    check(FRT_DTYPE_HALF, FRT_DTYPE_INT32, false, 2, ((const uint16_t[]){0xc0f0, 0x7c00}),
          TU_I32(-2, INT32_MIN));
}

static void bfloat16_bit_patterns(void **state) {
    (void)state;
    uint32_t tie_even = 0x3f808000u, tie_odd = 0x3f818000u, sub = 0x00000001u;
    float t1, t2, s1;
    memcpy(&t1, &tie_even, 4);
    memcpy(&t2, &tie_odd, 4);
    memcpy(&s1, &sub, 4);
    const float f[] = {1.006f, NAN, -NAN, 1e-40f, t1, t2, INFINITY, -1.0f, s1, 3.4028235e38f};
    const uint16_t b[] = {16257, 0x7fc0, 0xffc0, 1, 0x3f80, 0x3f82, 0x7f80, 0xbf80, 0x0000, 0x7f80};
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_BFLOAT16, false, (int64_t)FRT_COUNTOF(f), f, b);
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_BFLOAT16, true, 2, TU_F32(1.00390625f, 3.4028235e38f),
          ((const uint16_t[]){0x3f80, 0x7f7f}));
    check(FRT_DTYPE_BFLOAT16, FRT_DTYPE_FLOAT, false, 3, ((const uint16_t[]){0x3f80, 0xc040, 0x0001}),
          TU_F32(1.0f, -3.0f, 9.18354962e-41f));
}

/* Every non-NaN half survives half -> float -> half and half -> double -> half; every
 * bfloat16 survives bfloat16 -> float -> bfloat16. */
static void round_trips(void **state) {
    (void)state;
    static uint16_t all[65536];
    for (int i = 0; i < 65536; i++) all[i] = (uint16_t)i;
    const frt_dtype mids[] = {FRT_DTYPE_FLOAT, FRT_DTYPE_DOUBLE};
    const frt_dtype kinds[] = {FRT_DTYPE_HALF, FRT_DTYPE_BFLOAT16};
    for (int k = 0; k < 2; k++)
        for (int m = 0; m < 2; m++) {
            frt_tensor *x = make(kinds[k], 65536, all), *y, *z;
            TU_OK(cast(x, mids[m], false, &y));
            TU_OK(cast(y, kinds[k], false, &z));
            const uint16_t *o = frt_tensor_data(z);
            for (int i = 0; i < 65536; i++) {
                bool nan = kinds[k] == FRT_DTYPE_HALF ? ((i & 0x7c00) == 0x7c00 && (i & 0x3ff))
                                                      : ((i & 0x7f80) == 0x7f80 && (i & 0x7f));
                if (nan) assert_true(o[i] == ((i & 0x8000) | (kinds[k] == FRT_DTYPE_HALF ? 0x7e00 : 0x7fc0)));
                else if (o[i] != i) fail_msg("%s 0x%04x came back as 0x%04x", frt_dtype_name(kinds[k]), i, o[i]);
            }
            frt_tensor_unref(x);
            frt_tensor_unref(y);
            frt_tensor_unref(z);
        }
    /* int32 -> int64 -> int32 and float -> double -> float are lossless. */
    check(FRT_DTYPE_FLOAT, FRT_DTYPE_DOUBLE, false, 2, TU_F32(0.1f, -3e38f),
          ((const double[]){(double)0.1f, (double)-3e38f}));
    check(FRT_DTYPE_DOUBLE, FRT_DTYPE_FLOAT, false, 2, ((const double[]){(double)0.1f, 1e300}),
          TU_F32(0.1f, INFINITY));
}

static void same_type_and_errors(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2)), *y;
    TU_OK(cast(x, FRT_DTYPE_FLOAT, false, &y));
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(x)); /* forwarded as is */
    frt_tensor_unref(y);
    tu_assert_error(cast(x, FRT_DTYPE_STRING, false, &y), FRT_UNIMPLEMENTED, "string");
    assert_null(y);
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "SrcT", FRT_DTYPE_FLOAT);
    tu_assert_error(tu_run("Cast", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT, "DstT");
    frt_attrs_deinit(&a);
    /* SrcT that disagrees with the input is an error, not a misread. */
    frt_attrs_init(&a);
    tu_attr_type(&a, "SrcT", FRT_DTYPE_INT32);
    tu_attr_type(&a, "DstT", FRT_DTYPE_FLOAT);
    tu_assert_error(tu_run("Cast", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT, "SrcT");
    frt_attrs_deinit(&a);
    frt_tensor *e = tu_f32(TU_DIMS(0, 4), 2, NULL);
    TU_OK(cast(e, FRT_DTYPE_HALF, false, &y));
    tu_assert_shape(y, TU_DIMS(0, 4), 2);
    frt_tensor_unref(y);
    frt_tensor_unref(e);
    frt_tensor_unref(x);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_to_int_truncates),
        cmocka_unit_test(integer_conversions),
        cmocka_unit_test(bool_conversions),
        cmocka_unit_test(half_bit_patterns),
        cmocka_unit_test(bfloat16_bit_patterns),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(same_type_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
