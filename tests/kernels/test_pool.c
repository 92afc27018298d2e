/* tests/kernels/test_pool.c: MaxPool, MaxPoolV2 and AvgPool: values TensorFlow 2.21 printed
 * for a 5x5 ramp, a direct reference on random inputs (borders, SAME/VALID/EXPLICIT, batch > 1,
 * NCHW, threaded), error cases. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <math.h>
#include <string.h>

static void pool_attrs(frt_attrs *a, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       const char *pad, bool nchw) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    if (nchw) {
        tu_attr_ints(a, "ksize", TU_DIMS(1, 1, kh, kw), 4);
        tu_attr_ints(a, "strides", TU_DIMS(1, 1, sh, sw), 4);
        tu_attr_str(a, "data_format", "NCHW");
    } else {
        tu_attr_ints(a, "ksize", TU_DIMS(1, kh, kw, 1), 4);
        tu_attr_ints(a, "strides", TU_DIMS(1, sh, sw, 1), 4);
    }
    tu_attr_str(a, "padding", pad);
}

static frt_tensor *ramp(void) {
    float v[25];
    for (int i = 0; i < 25; i++) v[i] = (float)i;
    return tu_f32(TU_DIMS(1, 5, 5, 1), 4, v);
}

/* Expected values printed by tf.nn.avg_pool2d(x, 3, 2, 'SAME') and max_pool2d(x, 2, 2, 'SAME')
 * on the 5x5 ramp: the average's divisor counts only in-bounds elements. */
static void matches_tensorflow_on_ramp(void **state) {
    (void)state;
    frt_tensor *x = ramp(), *y;
    frt_attrs a;
    pool_attrs(&a, 3, 3, 2, 2, "SAME", false);
    TU_OK(tu_run("AvgPool", &a, &x, 1, &y, 1));
    frt_tensor *want = tu_f32(TU_DIMS(1, 3, 3, 1), 4,
                              TU_F32(3, 4.5f, 6, 10.5f, 12, 13.5f, 18, 19.5f, 21));
    tu_assert_close_f32(y, want, 1e-6f, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_attrs_deinit(&a);

    pool_attrs(&a, 2, 2, 2, 2, "SAME", false);
    TU_OK(tu_run("MaxPool", &a, &x, 1, &y, 1));
    want = tu_f32(TU_DIMS(1, 3, 3, 1), 4, TU_F32(6, 8, 9, 16, 18, 19, 21, 23, 24));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);

    /* MaxPoolV2: same window from int32 inputs. */
    pool_attrs(&a, 1, 1, 1, 1, "SAME", false);
    frt_tensor *k = tu_i32(TU_DIMS(4), 1, TU_I32(1, 2, 2, 1));
    frt_tensor *s = tu_i32(TU_DIMS(4), 1, TU_I32(1, 2, 2, 1));
    TU_OK(tu_run("MaxPoolV2", &a, (frt_tensor *[]){x, k, s}, 3, &y, 1));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_tensor_unref(k);
    frt_tensor_unref(s);
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
}

typedef struct pcfg {
    int64_t N, H, W, C, kh, kw, sh, sw;
    const char *padding;
    int64_t pt, pb, pl, pr;
} pcfg;

static frt_tensor *reference(const pcfg *c, bool avg, const frt_tensor *x) {
    int64_t OH, OW, pt, pl;
    if (strcmp(c->padding, "VALID") == 0) {
        OH = (c->H - c->kh + c->sh) / c->sh;
        OW = (c->W - c->kw + c->sw) / c->sw;
        pt = pl = 0;
    } else if (strcmp(c->padding, "SAME") == 0) {
        OH = (c->H + c->sh - 1) / c->sh;
        OW = (c->W + c->sw - 1) / c->sw;
        int64_t th = (OH - 1) * c->sh + c->kh - c->H, tw = (OW - 1) * c->sw + c->kw - c->W;
        pt = (th > 0 ? th : 0) / 2;
        pl = (tw > 0 ? tw : 0) / 2;
    } else {
        OH = (c->H + c->pt + c->pb - c->kh + c->sh) / c->sh;
        OW = (c->W + c->pl + c->pr - c->kw + c->sw) / c->sw;
        pt = c->pt;
        pl = c->pl;
    }
    frt_tensor *y = tu_f32(TU_DIMS(c->N, OH, OW, c->C), 4, NULL);
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t ch = 0; ch < c->C; ch++) {
                    double s = 0, m = -INFINITY;
                    int cnt = 0;
                    for (int64_t ky = 0; ky < c->kh; ky++)
                        for (int64_t kx = 0; kx < c->kw; kx++) {
                            int64_t iy = oy * c->sh + ky - pt, ix = ox * c->sw + kx - pl;
                            if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) continue;
                            float v = frt_tensor_f32(x)[((n * c->H + iy) * c->W + ix) * c->C + ch];
                            s += v;
                            m = v > m ? v : m;
                            cnt++;
                        }
                    frt_tensor_f32(y)[((n * OH + oy) * OW + ox) * c->C + ch] =
                        (float)(avg ? s / cnt : m);
                }
    return y;
}

static frt_tensor *to_nchw(const frt_tensor *t) {
    const int64_t *d = t->dims;
    frt_tensor *o = tu_f32(TU_DIMS(d[0], d[3], d[1], d[2]), 4, NULL);
    for (int64_t n = 0; n < d[0]; n++)
        for (int64_t y = 0; y < d[1]; y++)
            for (int64_t x = 0; x < d[2]; x++)
                for (int64_t c = 0; c < d[3]; c++)
                    frt_tensor_f32(o)[((n * d[3] + c) * d[1] + y) * d[2] + x] =
                        frt_tensor_f32(t)[((n * d[1] + y) * d[2] + x) * d[3] + c];
    return o;
}

static void pools_match_reference(void **state) {
    (void)state;
    static const pcfg cfgs[] = {
        {1, 7, 7, 3, 3, 3, 2, 2, "SAME", 0, 0, 0, 0},
        {2, 8, 6, 5, 3, 3, 2, 2, "SAME", 0, 0, 0, 0},
        {1, 8, 8, 16, 2, 2, 2, 2, "VALID", 0, 0, 0, 0},
        {1, 9, 7, 4, 3, 2, 1, 3, "VALID", 0, 0, 0, 0},
        {1, 5, 5, 2, 5, 5, 1, 1, "SAME", 0, 0, 0, 0},   /* window as big as the input */
        {2, 7, 7, 40, 7, 7, 1, 1, "VALID", 0, 0, 0, 0}, /* global pool */
        {1, 6, 6, 3, 3, 3, 2, 2, "EXPLICIT", 1, 2, 2, 0},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cfgs); i++) {
        const pcfg *c = &cfgs[i];
        frt_tensor *x = tu_rand_f32(TU_DIMS(c->N, c->H, c->W, c->C), 4, 5u + (unsigned)i);
        for (int avg = 0; avg < 2; avg++) {
            if (avg && strcmp(c->padding, "EXPLICIT") == 0) continue;
            frt_tensor *want = reference(c, avg, x);
            for (int mode = 0; mode < 3; mode++) { /* NHWC, NHWC threaded, NCHW */
                frt_attrs a;
                pool_attrs(&a, c->kh, c->kw, c->sh, c->sw, c->padding, mode == 2);
                if (strcmp(c->padding, "EXPLICIT") == 0)
                    tu_attr_ints(&a, "explicit_paddings",
                                 mode == 2 ? TU_DIMS(0, 0, 0, 0, c->pt, c->pb, c->pl, c->pr)
                                           : TU_DIMS(0, 0, c->pt, c->pb, c->pl, c->pr, 0, 0), 8);
                frt_tensor *in = mode == 2 ? to_nchw(x) : frt_tensor_ref(x), *y;
                TU_OK(frt_kernel_run_once(avg ? "AvgPool" : "MaxPool", &a, &in, 1, &y, 1,
                                          mode ? tu_pool : NULL));
                frt_tensor *w = mode == 2 ? to_nchw(want) : frt_tensor_ref(want);
                tu_assert_close_f32(y, w, 1e-5f, 1e-5f);
                frt_tensor_unref(w);
                frt_tensor_unref(y);
                frt_tensor_unref(in);
                frt_attrs_deinit(&a);
            }
            frt_tensor_unref(want);
        }
        frt_tensor_unref(x);
    }
}

static void maxpool_int32(void **state) {
    (void)state;
    frt_attrs a;
    pool_attrs(&a, 2, 2, 1, 1, "VALID", false);
    tu_attr_type(&a, "T", FRT_DTYPE_INT32);
    frt_tensor *x = tu_i32(TU_DIMS(1, 2, 3, 1), 4, TU_I32(-5, -7, 3, -1, -9, 2)), *y;
    TU_OK(tu_run("MaxPool", &a, &x, 1, &y, 1));
    frt_tensor *want = tu_i32(TU_DIMS(1, 1, 2, 1), 4, TU_I32(-1, 3));
    tu_assert_equal(y, want);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_attrs_deinit(&a);
}

static void pool_errors(void **state) {
    (void)state;
    frt_tensor *x = ramp(), *x3 = tu_f32(TU_DIMS(5, 5, 1), 3, NULL), *y;
    frt_attrs a;
    pool_attrs(&a, 2, 2, 2, 2, "FULL", false);
    tu_assert_error(tu_run("MaxPool", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "unknown padding 'FULL'");
    tu_attr_str(&a, "padding", "EXPLICIT");
    tu_assert_error(tu_run("AvgPool", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "unknown padding 'EXPLICIT'");
    tu_attr_str(&a, "padding", "VALID");
    tu_assert_error(tu_run("MaxPool", &a, &x3, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "input must be 4-dimensional, got [5,5,1]");
    tu_attr_ints(&a, "ksize", TU_DIMS(1, 2, 2), 3);
    tu_assert_error(tu_run("MaxPool", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "ksize field must specify 4 dimensions");
    tu_attr_ints(&a, "ksize", TU_DIMS(2, 2, 2, 1), 4);
    tu_assert_error(tu_run("AvgPool", &a, &x, 1, &y, 1), FRT_UNIMPLEMENTED,
                    "not yet supported on the batch dimension");
    tu_attr_ints(&a, "ksize", TU_DIMS(1, 7, 7, 1), 4);
    tu_attr_ints(&a, "strides", TU_DIMS(1, 1, 1, 1), 4);
    tu_assert_error(tu_run("AvgPool", &a, &x, 1, &y, 1), FRT_INVALID_ARGUMENT,
                    "Computed output size would be negative");
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
    frt_tensor_unref(x3);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_tensorflow_on_ramp),
        cmocka_unit_test(pools_match_reference),
        cmocka_unit_test(maxpool_int32),
        cmocka_unit_test(pool_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
