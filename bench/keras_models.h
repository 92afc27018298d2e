/* bench/keras_models.h: Keras' MobileNetV2 (alpha 1.0, 224x224) and ResNet50 (v1) built in
 * memory through the graph IR, with seeded random weights, for benchmarks that cannot ship
 * the models (ResNet50's weights are ~100 MB) and run where there is no TensorFlow.
 * The layer structure is keras.applications' (keras/src/applications/mobilenet_v2.py and
 * resnet.py), op for op as a frozen tf.keras (Keras 2) graph has it: Conv2D (+ BiasAdd where
 * Keras uses a bias), FusedBatchNormV3 (inference; Keras 3 freezes BN as Mul/Add instead),
 * Relu6 / Relu, ZeroPadding2D as Pad, DepthwiseConv2dNative, MaxPool, AddV2,
 * GlobalAveragePooling2D as Mean, Dense as MatMul + BiasAdd, Softmax. NHWC
 * float32; input placeholder `input` [-1,224,224,3], output `predictions/Softmax` [-1,1000].
 * The parameter count equals Keras' model.count_params() (BN moving statistics included):
 * that equality is the check that the structure is Keras'.
 * Not a library file: bench/bench_gpu.c and the test include keras_models.c itself, because
 * CMake makes every bench/bench_*.c one executable linked with bench/harness.c only.
 * Thread-safety: reentrant (each call builds its own graph). */
#pragma once
#include <stdint.h>

#include "flowrt/flowrt.h"

typedef struct frt_bench_keras_info {
    const char *name;          /* "mobilenet_v2", "resnet50" */
    const char *input;         /* "input" */
    const char *output;        /* "predictions/Softmax" */
    const char *logits;        /* "predictions/BiasAdd" (before the softmax) */
    int nodes;                 /* graph nodes, weights (Const) included */
    int64_t params;            /* elements of the weight constants */
    int64_t keras_params;      /* what Keras' model.count_params() says for this model */
} frt_bench_keras_info;

/* The models this file builds, by name; NULL after the last (i = 0, 1, ...). */
const char *frt_bench_keras_name(int i);

/* Builds model `name` with weights drawn from `seed`; every node is pinned to `device`
 * ("" = no device, so the placer chooses; "/device:CPU:0" keeps everything on the host).
 * The graph is finalized and wrapped with frt_model_from_graph (*out: free with
 * frt_model_free). NOT_FOUND for an unknown name, RESOURCE_EXHAUSTED when out of memory,
 * INVALID_ARGUMENT if the graph does not validate (a bug here). info may be NULL. */
FRT_MUST_USE frt_status *frt_bench_keras_build(const char *name, const char *device,
                                               uint64_t seed, frt_model **out,
                                               frt_bench_keras_info *info);
