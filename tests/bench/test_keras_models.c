/* tests/bench/test_keras_models.c: the Keras models bench/bench_gpu.c builds in memory
 * (bench/keras_models.h): parameter counts equal Keras' to the parameter, the layer census
 * is keras.applications', both run on the CPU to a softmax of sensible logits, pinning
 * reaches every node, and an unknown name is NOT_FOUND. */
#include "bench/keras_models.c" /* not in any library: see bench/keras_models.h */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/test_util.h"

static int count_op(const frt_model *m, const char *op) {
    int n = 0;
    for (int i = 0; i < frt_model_num_nodes(m); i++) n += strcmp(frt_model_node_op(m, i), op) == 0;
    return n;
}

static frt_model *build(const char *name, const char *device, frt_bench_keras_info *info) {
    frt_model *m = NULL;
    TU_OK(frt_bench_keras_build(name, device, 1, &m, info));
    return m;
}

static void mobilenet_v2_is_keras(void **state) {
    (void)state;
    frt_bench_keras_info info;
    frt_model *m = build("mobilenet_v2", "", &info);
    /* keras.applications.MobileNetV2(alpha=1.0, weights=None).count_params() */
    assert_int_equal(info.params, 3538984);
    assert_int_equal(info.keras_params, 3538984);
    assert_int_equal(info.nodes, frt_model_num_nodes(m));
    /* Conv1, 16 expansions, 17 projections, Conv_1; a BN after each of them and after
     * each of the 17 depthwise convs; residual Adds in blocks 2, 4-5, 7-9, 11-12, 14-15;
     * ZeroPadding2D before the 4 stride-2 depthwise convs. */
    assert_int_equal(count_op(m, "Conv2D"), 35);
    assert_int_equal(count_op(m, "DepthwiseConv2dNative"), 17);
    assert_int_equal(count_op(m, "FusedBatchNormV3"), 52);
    assert_int_equal(count_op(m, "Relu6"), 35);
    assert_int_equal(count_op(m, "AddV2"), 10);
    assert_int_equal(count_op(m, "Pad"), 4);
    assert_int_equal(count_op(m, "BiasAdd"), 1); /* the Dense layer only */
    frt_model_free(m);
}

static void resnet50_is_keras(void **state) {
    (void)state;
    frt_bench_keras_info info;
    frt_model *m = build("resnet50", "", &info);
    /* keras.applications.ResNet50(weights=None).count_params() */
    assert_int_equal(info.params, 25636712);
    assert_int_equal(info.keras_params, 25636712);
    /* conv1, 3 convs in each of 16 blocks, 4 projection shortcuts; all with biases. */
    assert_int_equal(count_op(m, "Conv2D"), 53);
    assert_int_equal(count_op(m, "BiasAdd"), 54);
    assert_int_equal(count_op(m, "FusedBatchNormV3"), 53);
    assert_int_equal(count_op(m, "Relu"), 1 + 16 * 3);
    assert_int_equal(count_op(m, "AddV2"), 16);
    assert_int_equal(count_op(m, "Pad"), 2);
    assert_int_equal(count_op(m, "MaxPool"), 1);
    frt_model_free(m);
}

/* Runs name at batch 2 on the CPU: a softmax per row, logits neither vanishing nor
 * exploding (the random weights keep activations O(1)). */
static void runs_to_a_softmax(const char *name) {
    frt_bench_keras_info info;
    frt_model *m = build(name, "/device:CPU:0", &info);
    frt_tensor *feed = tu_rand_f32(TU_DIMS(2, INPUT_SIZE, INPUT_SIZE, 3), 4, 7);
    frt_session *s = NULL;
    TU_OK(frt_session_new(NULL, m, &s));
    const char *in = info.input, *outs[2] = {info.output, info.logits};
    frt_tensor *got[2] = {NULL, NULL};
    TU_OK(frt_session_run(s, &in, &feed, 1, outs, got, 2, NULL, 0));
    tu_assert_shape(got[0], TU_DIMS(2, NUM_CLASSES), 2);
    const float *p = frt_tensor_data(got[0]), *z = frt_tensor_data(got[1]);
    double sq = 0;
    for (int b = 0; b < 2; b++) {
        double sum = 0;
        for (int i = 0; i < NUM_CLASSES; i++) {
            assert_true(isfinite(p[b * NUM_CLASSES + i]));
            sum += p[b * NUM_CLASSES + i];
            sq += (double)z[b * NUM_CLASSES + i] * z[b * NUM_CLASSES + i];
        }
        assert_true(fabs(sum - 1) < 1e-4);
    }
    double rms = sqrt(sq / (2 * NUM_CLASSES));
    if (!(rms > 0.1 && rms < 100)) fail_msg("%s: logits rms %g", name, rms);
    frt_tensor_unref(got[0]);
    frt_tensor_unref(got[1]);
    frt_tensor_unref(feed);
    frt_session_free(s);
    frt_model_free(m);
}

static void mobilenet_v2_runs(void **state) {
    (void)state;
    runs_to_a_softmax("mobilenet_v2");
}

static void resnet50_runs(void **state) {
    (void)state;
    runs_to_a_softmax("resnet50");
}

static void pinning_reaches_every_node(void **state) {
    (void)state;
    frt_model *m = build("mobilenet_v2", "/device:CPU:0", NULL);
    for (int i = 0; i < frt_model_num_nodes(m); i++)
        assert_string_equal(frt_model_node_device(m, i), "/device:CPU:0");
    frt_model_free(m);
    m = build("mobilenet_v2", "", NULL);
    for (int i = 0; i < frt_model_num_nodes(m); i++)
        assert_string_equal(frt_model_node_device(m, i), "");
    frt_model_free(m);
}

static void unknown_name(void **state) {
    (void)state;
    frt_model *m = NULL;
    tu_assert_error(frt_bench_keras_build("vgg16", "", 1, &m, NULL), FRT_NOT_FOUND, "vgg16");
    assert_null(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mobilenet_v2_is_keras), cmocka_unit_test(resnet50_is_keras),
        cmocka_unit_test(mobilenet_v2_runs),     cmocka_unit_test(resnet50_runs),
        cmocka_unit_test(pinning_reaches_every_node), cmocka_unit_test(unknown_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
