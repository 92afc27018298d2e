/* tests/kernels/test_batch_norm.c: FusedBatchNorm V1/V2/V3 inference (constant-folded and
 * per-call paths, NHWC and NCHW, pass-through outputs as TF fills them) and training
 * statistics (biased variance for y, Bessel-corrected batch_variance, exponential averaging);
 * error cases. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <math.h>
#include <string.h>

/* tu_rand_f32 shifted by lo (variances must stay positive). */
static frt_tensor *rand_f32(const int64_t *dims, int ndim, unsigned seed, float lo) {
    frt_tensor *t = tu_rand_f32(dims, ndim, seed);
    for (int64_t i = 0; i < t->n; i++) frt_tensor_f32(t)[i] += lo;
    return t;
}

static void bn_attrs(frt_attrs *a, float eps, bool training, const char *fmt) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    tu_attr_type(a, "U", FRT_DTYPE_FLOAT);
    tu_attr_float(a, "epsilon", eps);
    tu_attr_bool(a, "is_training", training);
    if (fmt) tu_attr_str(a, "data_format", fmt);
}

/* Runs the kernel with no constant inputs (the per-call fold path), on the pool. */
static frt_status *run_nonconst(const char *op, const frt_attrs *a, frt_tensor **ins,
                                frt_tensor **outs, int n_out) {
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, a);
    assert_non_null(d);
    const frt_tensor *consts[5] = {0};
    frt_dtype types[5];
    for (int i = 0; i < 5; i++) types[i] = ins[i]->dtype;
    frt_kernel_init_ctx ic = {.node_name = op, .op = op, .attrs = a, .n_inputs = 5,
                              .input_types = types, .const_inputs = consts, .n_outputs = n_out};
    void *st = NULL;
    FRT_TRY(d->init(&ic, &st));
    for (int i = 0; i < n_out; i++) outs[i] = NULL;
    frt_tensor *in_refs[5];
    for (int i = 0; i < 5; i++) in_refs[i] = frt_tensor_ref(ins[i]);
    frt_kernel_ctx c = {.def = d, .node_name = op, .attrs = a, .state = st, .n_inputs = 5,
                        .inputs = in_refs, .n_outputs = n_out, .outputs = outs,
                        .alloc = frt_cpu_allocator_default(), .pool = tu_pool};
    frt_status *s = d->compute(&c);
    d->free_state(st);
    for (int i = 0; i < 5; i++) frt_tensor_unref(in_refs[i]);
    return s;
}

static void inference_hand_computed(void **state) {
    (void)state;
    /* x [1,1,2,2]; y = (x - mean) / sqrt(var + eps) * scale + offset with eps chosen so that
     * var + eps is a perfect square. */
    frt_tensor *x = tu_f32(TU_DIMS(1, 1, 2, 2), 4, TU_F32(1, 2, 3, 4));
    frt_tensor *scale = tu_f32(TU_DIMS(2), 1, TU_F32(2, 1));
    frt_tensor *offset = tu_f32(TU_DIMS(2), 1, TU_F32(0.5f, -1));
    frt_tensor *mean = tu_f32(TU_DIMS(2), 1, TU_F32(1, 4));
    frt_tensor *var = tu_f32(TU_DIMS(2), 1, TU_F32(3.75f, 0.75f));
    frt_tensor *ins[5] = {x, scale, offset, mean, var}, *outs[6];
    frt_tensor *want = tu_f32(TU_DIMS(1, 1, 2, 2), 4, TU_F32(0.5f, -3, 2.5f, -1));
    const char *ops[] = {"FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"};
    for (int v = 0; v < 3; v++) {
        int n_out = v == 2 ? 6 : 5;
        frt_attrs a;
        bn_attrs(&a, 0.25f, false, NULL);
        TU_OK(tu_run(ops[v], &a, ins, 5, outs, n_out));
        tu_assert_close_f32(outs[0], want, 1e-6f, 0);
        /* Inference: batch_mean/reserve_space_1 = mean, batch_variance/reserve_space_2 = var. */
        tu_assert_equal(outs[1], mean);
        tu_assert_equal(outs[2], var);
        tu_assert_equal(outs[3], mean);
        tu_assert_equal(outs[4], var);
        if (n_out == 6) tu_assert_shape(outs[5], TU_DIMS(0), 1);
        for (int i = 0; i < n_out; i++) frt_tensor_unref(outs[i]);
        TU_OK(run_nonconst(ops[v], &a, ins, outs, n_out));
        tu_assert_close_f32(outs[0], want, 1e-6f, 0);
        tu_assert_equal(outs[2], var);
        for (int i = 0; i < n_out; i++) frt_tensor_unref(outs[i]);
        frt_attrs_deinit(&a);
    }
    for (int i = 0; i < 5; i++) frt_tensor_unref(ins[i]);
    frt_tensor_unref(want);
}

/* Random NHWC vs NCHW, constant vs per-call; default epsilon 1e-4. */
static void inference_layouts_agree(void **state) {
    (void)state;
    int64_t N = 2, H = 5, W = 3, C = 7;
    frt_tensor *x = rand_f32(TU_DIMS(N, H, W, C), 4, 1, 0);
    frt_tensor *scale = rand_f32(TU_DIMS(C), 1, 2, 0), *offset = rand_f32(TU_DIMS(C), 1, 3, 0);
    frt_tensor *mean = rand_f32(TU_DIMS(C), 1, 4, 0), *var = rand_f32(TU_DIMS(C), 1, 5, 1.5f);
    frt_tensor *want = tu_f32(x->dims, 4, NULL);
    for (int64_t i = 0; i < x->n; i++) {
        int64_t c = i % C;
        const float *s = frt_tensor_f32(scale), *o = frt_tensor_f32(offset);
        const float *m = frt_tensor_f32(mean), *v = frt_tensor_f32(var);
        frt_tensor_f32(want)[i] =
            (float)((frt_tensor_f32(x)[i] - m[c]) / sqrt(v[c] + 1e-4) * s[c] + o[c]);
    }
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_bool(&a, "is_training", false);
    frt_tensor *ins[5] = {x, scale, offset, mean, var}, *outs[6];
    TU_OK(frt_kernel_run_once("FusedBatchNormV3", &a, ins, 5, outs, 6, tu_pool));
    tu_assert_close_f32(outs[0], want, 1e-5f, 1e-5f);
    for (int i = 0; i < 6; i++) frt_tensor_unref(outs[i]);

    /* NCHW: transpose x and the expectation. */
    frt_tensor *xc = tu_f32(TU_DIMS(N, C, H, W), 4, NULL), *wc = tu_f32(TU_DIMS(N, C, H, W), 4, NULL);
    for (int64_t n = 0; n < N; n++)
        for (int64_t p = 0; p < H * W; p++)
            for (int64_t c = 0; c < C; c++) {
                frt_tensor_f32(xc)[(n * C + c) * H * W + p] = frt_tensor_f32(x)[(n * H * W + p) * C + c];
                frt_tensor_f32(wc)[(n * C + c) * H * W + p] = frt_tensor_f32(want)[(n * H * W + p) * C + c];
            }
    tu_attr_str(&a, "data_format", "NCHW");
    ins[0] = xc;
    TU_OK(run_nonconst("FusedBatchNormV3", &a, ins, outs, 6));
    tu_assert_close_f32(outs[0], wc, 1e-5f, 1e-5f);
    for (int i = 0; i < 6; i++) frt_tensor_unref(outs[i]);
    TU_OK(tu_run("FusedBatchNormV3", &a, ins, 5, outs, 6));
    tu_assert_close_f32(outs[0], wc, 1e-5f, 1e-5f);
    for (int i = 0; i < 6; i++) frt_tensor_unref(outs[i]);
    frt_attrs_deinit(&a);
    frt_tensor_unref(xc);
    frt_tensor_unref(wc);
    frt_tensor_unref(x);
    for (int i = 1; i < 5; i++) frt_tensor_unref(ins[i]);
    frt_tensor_unref(want);
}

/* Training: y from biased batch statistics; batch_variance Bessel-corrected; reserve spaces hold
 * the batch mean and biased variance (what TF 2.21 returns); exponential_avg_factor mixes. */
static void training_statistics(void **state) {
    (void)state;
    /* Channel 0 values 1,3,5,7 (mean 4, biased var 5, unbiased 20/3); channel 1 all 2. */
    frt_tensor *x = tu_f32(TU_DIMS(1, 2, 2, 2), 4, TU_F32(1, 2, 3, 2, 5, 2, 7, 2));
    frt_tensor *scale = tu_f32(TU_DIMS(2), 1, TU_F32(1, 1));
    frt_tensor *offset = tu_f32(TU_DIMS(2), 1, TU_F32(0, 10));
    frt_tensor *empty = tu_f32(TU_DIMS(0), 1, NULL), *outs[6];
    frt_attrs a;
    bn_attrs(&a, 4.0f, true, NULL);
    frt_tensor *ins[5] = {x, scale, offset, empty, empty};
    TU_OK(tu_run("FusedBatchNormV3", &a, ins, 5, outs, 6));
    /* (v - 4) / sqrt(5 + 4) = (v - 4) / 3; channel 1: 10. */
    frt_tensor *want = tu_f32(TU_DIMS(1, 2, 2, 2), 4, TU_F32(-1, 10, -1.0f / 3, 10, 1.0f / 3, 10, 1, 10));
    tu_assert_close_f32(outs[0], want, 1e-6f, 1e-6f);
    frt_tensor *m = tu_f32(TU_DIMS(2), 1, TU_F32(4, 2)), *vb = tu_f32(TU_DIMS(2), 1, TU_F32(20.0f / 3, 0));
    frt_tensor *v = tu_f32(TU_DIMS(2), 1, TU_F32(5, 0));
    tu_assert_close_f32(outs[1], m, 1e-6f, 1e-6f);
    tu_assert_close_f32(outs[2], vb, 1e-6f, 1e-6f);
    tu_assert_close_f32(outs[3], m, 1e-6f, 1e-6f);
    tu_assert_close_f32(outs[4], v, 1e-6f, 1e-6f);
    for (int i = 0; i < 6; i++) frt_tensor_unref(outs[i]);

    /* factor 0.5 with old running mean [0, 0] and variance [2, 2]. */
    frt_tensor *old_m = tu_f32(TU_DIMS(2), 1, TU_F32(0, 0)), *old_v = tu_f32(TU_DIMS(2), 1, TU_F32(2, 2));
    tu_attr_float(&a, "exponential_avg_factor", 0.5f);
    ins[3] = old_m;
    ins[4] = old_v;
    TU_OK(tu_run("FusedBatchNormV3", &a, ins, 5, outs, 6));
    tu_assert_close_f32(outs[0], want, 1e-6f, 1e-6f);
    frt_tensor *mm = tu_f32(TU_DIMS(2), 1, TU_F32(2, 1)), *mv = tu_f32(TU_DIMS(2), 1, TU_F32(1 + 10.0f / 3, 1));
    tu_assert_close_f32(outs[1], mm, 1e-6f, 1e-6f);
    tu_assert_close_f32(outs[2], mv, 1e-6f, 1e-6f);
    for (int i = 0; i < 6; i++) frt_tensor_unref(outs[i]);
    frt_attrs_deinit(&a);
    frt_tensor *all[] = {x, scale, offset, empty, want, m, vb, v, old_m, old_v, mm, mv};
    for (size_t i = 0; i < FRT_COUNTOF(all); i++) frt_tensor_unref(all[i]);
}

static void batch_norm_errors(void **state) {
    (void)state;
    frt_tensor *x = tu_f32(TU_DIMS(1, 2, 2, 3), 4, NULL), *x2 = tu_f32(TU_DIMS(2, 3), 2, NULL);
    frt_tensor *v3 = tu_f32(TU_DIMS(3), 1, NULL), *v2 = tu_f32(TU_DIMS(2), 1, NULL), *outs[6];
    frt_attrs a;
    bn_attrs(&a, 1e-3f, false, NULL);
    tu_assert_error(tu_run("FusedBatchNormV3", &a, (frt_tensor *[]){x, v3, v3, v2, v3}, 5, outs, 6),
                    FRT_INVALID_ARGUMENT, "mean must be a vector of 3 elements");
    tu_assert_error(tu_run("FusedBatchNormV3", &a, (frt_tensor *[]){x2, v3, v3, v3, v3}, 5, outs, 6),
                    FRT_INVALID_ARGUMENT, "input must be 4-dimensional[2,3]");
    tu_attr_str(&a, "data_format", "HWNC");
    tu_assert_error(tu_run("FusedBatchNormV3", &a, (frt_tensor *[]){x, v3, v3, v3, v3}, 5, outs, 6),
                    FRT_INVALID_ARGUMENT, "data_format 'HWNC'");
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
    frt_tensor_unref(x2);
    frt_tensor_unref(v3);
    frt_tensor_unref(v2);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inference_hand_computed),
        cmocka_unit_test(inference_layouts_agree),
        cmocka_unit_test(training_statistics),
        cmocka_unit_test(batch_norm_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
