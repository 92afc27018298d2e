/* tests/kernels/test_gather_ops.c: GatherV2 (axis, negative axis, batch_dims, out-of-range
 * error text), Gather v1, Tile. */
#include "util/test_util.h"
#include "runtime/init.h"

static frt_status *gather(frt_tensor *p, frt_tensor *ix, int axis, int bd, frt_tensor **y) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tparams", p->dtype);
    tu_attr_int(&a, "batch_dims", bd);
    frt_tensor *ax = tu_scalar_i32(axis), *in[3] = {p, ix, ax};
    frt_status *st = tu_run("GatherV2", &a, in, 3, y, 1);
    frt_tensor_unref(ax);
    frt_attrs_deinit(&a);
    return st;
}

static void gather_axes(void **state) {
    (void)state;
    frt_tensor *p = tu_f32(TU_DIMS(3, 2), 2, TU_F32(0, 1, 10, 11, 20, 21)), *y;
    frt_tensor *ix = tu_i32(TU_DIMS(2, 2), 2, TU_I32(2, 0, 1, 1));
    TU_OK(gather(p, ix, 0, 0, &y));
    frt_tensor *want = tu_f32(TU_DIMS(2, 2, 2), 3, TU_F32(20, 21, 0, 1, 10, 11, 10, 11));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    frt_tensor *ix1 = tu_i32(TU_DIMS(3), 1, TU_I32(1, 0, 1));
    TU_OK(gather(p, ix1, -1, 0, &y));
    want = tu_f32(TU_DIMS(3, 3), 2, TU_F32(1, 0, 1, 11, 10, 11, 21, 20, 21));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    /* v1 Gather: axis 0, int64 indices. */
    int64_t i64[1] = {2};
    frt_tensor *ixl = tu_i64(TU_DIMS(1), 1, i64), *in[2] = {p, ixl};
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tparams", FRT_DTYPE_FLOAT);
    TU_OK(tu_run("Gather", &a, in, 2, &y, 1));
    tu_assert_shape(y, TU_DIMS(1, 2), 2);
    assert_true(frt_tensor_f32(y)[0] == 20 && frt_tensor_f32(y)[1] == 21);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
    frt_tensor_unref(ixl);
    frt_tensor_unref(ix1);
    frt_tensor_unref(ix);
    frt_tensor_unref(p);
}

static void gather_batch_dims(void **state) {
    (void)state;
    /* params [2,3], indices [2,2], batch_dims 1, axis 1: out[b,i] = p[b, ix[b,i]]. */
    frt_tensor *p = tu_i32(TU_DIMS(2, 3), 2, TU_I32(0, 1, 2, 10, 11, 12)), *y;
    frt_tensor *ix = tu_i32(TU_DIMS(2, 2), 2, TU_I32(2, 0, 1, 1));
    TU_OK(gather(p, ix, 1, 1, &y));
    frt_tensor *want = tu_i32(TU_DIMS(2, 2), 2, TU_I32(2, 0, 11, 11));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    TU_OK(gather(p, ix, 1, -1, &y));
    frt_tensor_unref(y);
    tu_assert_error(gather(p, ix, 0, 1, &y), FRT_INVALID_ARGUMENT,
                    "batch_dims (1) must be less than or equal to axis (0).");
    frt_tensor_unref(ix);
    frt_tensor_unref(p);
}

static void gather_out_of_range_error(void **state) {
    (void)state;
    frt_tensor *p = tu_f32(TU_DIMS(3, 2), 2, NULL), *y = NULL;
    frt_tensor *ix = tu_i32(TU_DIMS(1, 2), 2, TU_I32(0, 5));
    tu_assert_error(gather(p, ix, 0, 0, &y), FRT_INVALID_ARGUMENT,
                    "indices[0,1] = 5 is not in [0, 3)");
    assert_null(y);
    frt_tensor_unref(ix);
    ix = tu_i32(TU_DIMS(2), 1, TU_I32(0, -1));
    tu_assert_error(gather(p, ix, 0, 0, &y), FRT_INVALID_ARGUMENT,
                    "indices[1] = -1 is not in [0, 3)");
    tu_assert_error(gather(p, ix, 2, 0, &y), FRT_INVALID_ARGUMENT,
                    "Expected axis in the range [-2, 2), but got 2");
    frt_tensor_unref(ix);
    frt_tensor_unref(p);
}

static void tile_multiples(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4)), *y;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    int64_t m[2] = {2, 3};
    frt_tensor *mt = tu_i64(TU_DIMS(2), 1, m), *in[2] = {x, mt};
    TU_OK(tu_run("Tile", &a, in, 2, &y, 1));
    frt_tensor *want = tu_f32(TU_DIMS(4, 6), 2,
                              TU_F32(1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3,
                                     4, 3, 4));
    tu_assert_equal(y, want);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
    frt_tensor_unref(mt);
    in[1] = mt = tu_i32(TU_DIMS(2), 1, TU_I32(1, -1));
    tu_assert_error(tu_run("Tile", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "Expected multiples[1] >= 0, but got -1");
    frt_tensor_unref(mt);
    in[1] = mt = tu_i32(TU_DIMS(1), 1, TU_I32(1));
    tu_assert_error(tu_run("Tile", &a, in, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "Expected multiples argument to be a vector of length 2 but got length 1");
    frt_tensor_unref(mt);
    in[1] = mt = tu_i32(TU_DIMS(2), 1, TU_I32(0, 2));
    TU_OK(tu_run("Tile", &a, in, 2, &y, 1));
    tu_assert_shape(y, TU_DIMS(0, 4), 2);
    frt_tensor_unref(y);
    frt_tensor_unref(mt);
    frt_tensor_unref(x);
    frt_attrs_deinit(&a);
}

/* Large gather on a thread pool: same bytes as serial; a bad index still reports the first. */
static void parallel_gather(void **state) {
    (void)state;
    frt_threadpool *pool = frt_threadpool_new(3);
    int64_t pd[2] = {1000, 64}, nidx = 5000;
    frt_tensor *p = tu_f32(pd, 2, NULL), *ix = tu_i32(&nidx, 1, NULL), *ax = tu_scalar_i32(0);
    for (int64_t i = 0; i < 64000; i++) frt_tensor_f32(p)[i] = (float)i;
    for (int64_t i = 0; i < nidx; i++) frt_tensor_i32(ix)[i] = (int32_t)((i * 31) % 1000);
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tparams", FRT_DTYPE_FLOAT);
    frt_tensor *in[3] = {p, ix, ax}, *y1, *y2;
    TU_OK(frt_kernel_run_once("GatherV2", &a, in, 3, &y1, 1, NULL));
    TU_OK(frt_kernel_run_once("GatherV2", &a, in, 3, &y2, 1, pool));
    tu_assert_equal(y2, y1);
    assert_true(frt_tensor_f32(y1)[64 * 7 + 3] == (float)(((7 * 31) % 1000) * 64 + 3));
    frt_tensor_unref(y1);
    frt_tensor_unref(y2);
    frt_tensor_i32(ix)[4000] = 1000;
    frt_tensor_i32(ix)[4500] = -1;
    tu_assert_error(frt_kernel_run_once("GatherV2", &a, in, 3, &y1, 1, pool), FRT_INVALID_ARGUMENT,
                    "indices[4000] = 1000 is not in [0, 1000)");
    frt_attrs_deinit(&a);
    frt_tensor_unref(p);
    frt_tensor_unref(ix);
    frt_tensor_unref(ax);
    frt_threadpool_free(pool);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gather_axes),
        cmocka_unit_test(gather_batch_dims),
        cmocka_unit_test(gather_out_of_range_error),
        cmocka_unit_test(tile_multiples),
        cmocka_unit_test(parallel_gather),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
