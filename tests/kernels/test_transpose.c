/* tests/kernels/test_transpose.c: Transpose of rank 2..5 with every permutation shape class
 * against a naive reference, for 1/2/4/8-byte elements and strings; identity -> view;
 * perm errors. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <stdlib.h>
#include <string.h>

/* Naive: y[i_0..i_{r-1}] = x[j] with j[perm[k]] = i_k. */
static void reference(const char *x, char *y, const int64_t *dims, const int *perm, int r,
                      size_t es) {
    int64_t n = 1, xs[8], od[8], idx[8] = {0};
    for (int d = r - 1; d >= 0; d--) {
        xs[d] = n;
        n *= dims[d];
    }
    for (int d = 0; d < r; d++) od[d] = dims[perm[d]];
    for (int64_t o = 0; o < n; o++) {
        int64_t src = 0;
        for (int k = 0; k < r; k++) src += idx[k] * xs[perm[k]];
        memcpy(y + (size_t)o * es, x + (size_t)src * es, es);
        for (int k = r - 1; k >= 0; k--) {
            if (++idx[k] < od[k]) break;
            idx[k] = 0;
        }
    }
}

static bool next_perm(int *p, int n) {
    int i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) return false;
    int j = n - 1;
    while (p[j] <= p[i]) j--;
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) {
        t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
    return true;
}

static void check_all_perms(const int64_t *dims, int r, frt_dtype dt) {
    frt_tensor *x;
    TU_OK(frt_tensor_new(dt, dims, r, &x));
    size_t es = frt_dtype_size(dt);
    unsigned char *b = frt_tensor_data(x);
    for (size_t i = 0; i < frt_tensor_nbytes(x); i++) b[i] = (unsigned char)(i * 7 + i / 251);
    int perm[8];
    for (int i = 0; i < r; i++) perm[i] = i;
    char *want = malloc(frt_tensor_nbytes(x) + 1);
    do {
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", dt);
        int64_t p64[8];
        for (int i = 0; i < r; i++) p64[i] = perm[i];
        frt_tensor *pt = tu_i64((int64_t[]){r}, 1, p64), *in[2] = {x, pt}, *y;
        TU_OK(tu_run("Transpose", &a, in, 2, &y, 1));
        reference(frt_tensor_data(x), want, dims, perm, r, es);
        for (int d = 0; d < r; d++) assert_int_equal(frt_tensor_dim(y, d), dims[perm[d]]);
        if (memcmp(frt_tensor_data(y), want, frt_tensor_nbytes(x)) != 0) {
            char s[64] = {0};
            for (int d = 0; d < r; d++) s[d] = (char)('0' + perm[d]);
            fail_msg("rank %d dtype %d perm %s differs", r, dt, s);
        }
        frt_tensor_unref(y);
        frt_tensor_unref(pt);
        frt_attrs_deinit(&a);
    } while (next_perm(perm, r));
    free(want);
    frt_tensor_unref(x);
}

static void all_perms_rank2_to_5(void **state) {
    (void)state;
    static const frt_dtype dts[] = {FRT_DTYPE_FLOAT, FRT_DTYPE_UINT8, FRT_DTYPE_INT16,
                                    FRT_DTYPE_INT64};
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        check_all_perms(TU_DIMS(37, 45), 2, dts[k]);      /* partial 32x32 tiles */
        check_all_perms(TU_DIMS(3, 4, 5), 3, dts[k]);
        check_all_perms(TU_DIMS(2, 1, 3, 4), 4, dts[k]);  /* size-1 dim dropped */
        check_all_perms(TU_DIMS(2, 3, 1, 4, 5), 5, dts[k]);
        check_all_perms(TU_DIMS(2, 3, 2, 4, 3), 5, dts[k]);
    }
    /* Big enough for the parallel path and multi-tile batches (NHWC <-> NCHW). */
    check_all_perms(TU_DIMS(2, 33, 40, 70), 4, FRT_DTYPE_FLOAT);
}

static void identity_is_view_and_errors(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 1, 3), 3, TU_F32(1, 2, 3, 4, 5, 6)), *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *pt = tu_i32(TU_DIMS(3), 1, TU_I32(1, 0, 2)), *in[2] = {x, pt};
    TU_OK(tu_run("Transpose", &a, in, 2, &y, 1));
    tu_assert_shape(y, TU_DIMS(1, 2, 3), 3);
    assert_ptr_equal(frt_tensor_data(y), frt_tensor_data(x));
    frt_tensor_unref(y);
    frt_tensor_unref(pt);
    in[1] = pt = tu_i32(TU_DIMS(2), 1, TU_I32(0, 1));
    tu_assert_error(tu_run("Transpose", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "transpose expects a vector of size 3. But input(1) is a vector of size 2");
    frt_tensor_unref(pt);
    in[1] = pt = tu_i32(TU_DIMS(3), 1, TU_I32(1, 1, 2));
    tu_assert_error(tu_run("Transpose", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "0 is missing from {1,1,2}.");
    frt_tensor_unref(pt);
    in[1] = pt = tu_i32(TU_DIMS(3), 1, TU_I32(0, 3, 1));
    tu_assert_error(tu_run("Transpose", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "3 is out of range [0 .. 3)");
    frt_tensor_unref(pt);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
}

static void strings_transpose(void **state) {
    (void)state;
    frt_tensor *x, *y;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, TU_DIMS(2, 3), 2, &x));
    const char *w[6] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++) TU_OK(frt_tensor_set_string(x, i, w[i], 1));
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_STRING);
    frt_tensor *pt = tu_i32(TU_DIMS(2), 1, TU_I32(1, 0)), *in[2] = {x, pt};
    TU_OK(tu_run("Transpose", &a, in, 2, &y, 1));
    frt_tensor_unref(x);
    const char *order = "adbecf";
    for (int i = 0; i < 6; i++) assert_int_equal(frt_tensor_string(y, i, NULL)[0], order[i]);
    frt_tensor_unref(y);
    frt_tensor_unref(pt);
    frt_attrs_deinit(&a);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_perms_rank2_to_5),
        cmocka_unit_test(identity_is_view_and_errors),
        cmocka_unit_test(strings_transpose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
