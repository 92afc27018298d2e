/* bench/keras_models.c: builds Keras' MobileNetV2 (alpha 1.0, 224) and ResNet50 (v1) as graph
 * IR with seeded random weights (bench/keras_models.h).
 * Owns: the layer tables and how each Keras layer becomes TF ops; the weight initialisation.
 * Does not own: validating or running the graph (graph/, runtime/).
 * Included as source by bench/bench_gpu.c and tests/bench/test_keras_models.c (see the
 * header); everything but the two public functions is static.
 * Thread-safety: reentrant. */
#include "bench/keras_models.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/attr.h"
#include "core/tensor.h"
#include "graph/graph.h"
#include "runtime/model.h"

/* Keras' model.count_params() for the two models (checked with keras 3's
 * keras.applications.MobileNetV2(weights=None) and ResNet50(weights=None) summaries). */
#define KERAS_PARAMS_MOBILENET_V2 3538984
#define KERAS_PARAMS_RESNET50 25636712
#define NUM_CLASSES 1000
#define INPUT_SIZE 224

/* A graph under construction. The first error sticks in err and turns every later call
 * into a no-op, so the builders check once, at the end. */
typedef struct kb {
    frt_graph *g;
    const char *device;
    uint64_t rng;
    int64_t params;
    frt_status *err;
} kb;

/* splitmix64: fast, seedable, good enough for weights. */
static uint64_t next_u64(kb *b) {
    uint64_t z = (b->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
/* Uniform in [lo, hi). */
static float uniform(kb *b, float lo, float hi) {
    return lo + (hi - lo) * (float)(next_u64(b) >> 40) * (1.0f / 16777216.0f);
}

static void set_attr(kb *b, int node, const char *key, frt_attr_value *v) {
    if (!b->err && node >= 0)
        b->err = frt_attrs_try_set(&frt_graph_node(b->g, node)->attrs, key, v);
    frt_attr_value_deinit(v); /* zeroed when moved; what is left on failure */
}
static void attr_type(kb *b, int node, const char *key, frt_dtype t) {
    frt_attr_value v = {.kind = FRT_ATTR_TYPE, .v.type = t};
    set_attr(b, node, key, &v);
}
static void attr_float(kb *b, int node, const char *key, float f) {
    frt_attr_value v = {.kind = FRT_ATTR_F, .v.f = f};
    set_attr(b, node, key, &v);
}
static void attr_bool(kb *b, int node, const char *key, bool x) {
    frt_attr_value v = {.kind = FRT_ATTR_B, .v.b = x};
    set_attr(b, node, key, &v);
}
static void attr_str(kb *b, int node, const char *key, const char *s) {
    frt_attr_value v = {.kind = FRT_ATTR_S};
    v.v.s.ptr = frt_strdup(s);
    v.v.s.len = strlen(s);
    if (!v.v.s.ptr && !b->err) b->err = frt_status_oom("building a Keras model");
    set_attr(b, node, key, &v);
}
/* [1, a, a, 1], the NHWC form of strides and window sizes. */
static void attr_nhwc(kb *b, int node, const char *key, int a) {
    frt_attr_value v = {.kind = FRT_ATTR_LIST};
    int64_t *x = frt_malloc(4 * sizeof *x);
    if (x) {
        x[0] = x[3] = 1;
        x[1] = x[2] = a;
        v.v.list.elem = FRT_ATTR_I;
        v.v.list.n = 4;
        v.v.list.v.i = x;
    } else if (!b->err) {
        b->err = frt_status_oom("building a Keras model");
    }
    set_attr(b, node, key, &v);
}
static void attr_shape(kb *b, int node, const char *key, const int64_t *dims, int ndim) {
    frt_attr_value v = {.kind = FRT_ATTR_SHAPE};
    v.v.shape.ndim = ndim;
    for (int i = 0; i < ndim; i++) v.v.shape.dims[i] = dims[i];
    set_attr(b, node, key, &v);
}

/* Adds node `fmt...` running op on inputs (tensor names) and returns its index, or -1 once
 * anything failed. */
static int add_node(kb *b, const char *op, const char *const *inputs, int n, const char *fmt,
                    ...) FRT_PRINTF(5, 6);
static int add_node(kb *b, const char *op, const char *const *inputs, int n, const char *fmt,
                    ...) {
    if (b->err) return -1;
    char name[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int idx = -1;
    b->err = frt_graph_try_add_node(b->g, name, op, b->device, &idx);
    for (int i = 0; i < n && !b->err; i++)
        b->err = frt_node_try_add_input(frt_graph_node(b->g, idx), inputs[i]);
    return b->err ? -1 : idx;
}
/* The node's name (its string outlives growth of the node array), or "" after an error. */
static const char *name_of(kb *b, int node) {
    return node >= 0 && !b->err ? frt_graph_node(b->g, node)->name : "";
}

/* A Const holding t (the node takes the reference). */
static const char *add_const(kb *b, frt_tensor *t, const char *name) {
    int c = add_node(b, "Const", NULL, 0, "%s", name);
    if (c < 0) {
        frt_tensor_unref(t);
        return "";
    }
    attr_type(b, c, "dtype", frt_tensor_dtype(t));
    frt_attr_value v = {.kind = FRT_ATTR_TENSOR, .v.tensor = t};
    set_attr(b, c, "value", &v);
    return name_of(b, c);
}

/* A float weight of the given shape, uniform in [lo, hi), counted as parameters. */
static const char *weight(kb *b, const int64_t *dims, int ndim, float lo, float hi,
                          const char *layer, const char *what) {
    if (b->err) return "";
    frt_tensor *t = NULL;
    b->err = frt_tensor_new(FRT_DTYPE_FLOAT, dims, ndim, &t);
    if (b->err) return "";
    float *p = frt_tensor_data(t);
    int64_t n = frt_tensor_num_elements(t);
    for (int64_t i = 0; i < n; i++) p[i] = uniform(b, lo, hi);
    b->params += n;
    char name[160];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    return add_const(b, t, name);
}

/* An int32 constant (paddings, reduction axes): not a parameter. */
static const char *int_const(kb *b, const int32_t *v, const int64_t *dims, int ndim,
                             const char *name) {
    if (b->err) return "";
    frt_tensor *t = NULL;
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= dims[i];
    b->err = frt_tensor_new_copy(FRT_DTYPE_INT32, dims, ndim, v, (size_t)n * sizeof *v, &t);
    return b->err ? "" : add_const(b, t, name);
}

/* Keras Conv2D: kernel [k,k,cin,cout] (He uniform: the variance of He normal), then BiasAdd
 * when the layer has a bias. padding is "SAME" or "VALID". */
static const char *conv(kb *b, const char *x, const char *layer, int k, int cin, int cout,
                        int stride, const char *padding, bool bias) {
    int64_t kd[4] = {k, k, cin, cout};
    float lim = sqrtf(6.0f / (float)(k * k * cin));
    const char *w = weight(b, kd, 4, -lim, lim, layer, "kernel");
    const char *in[2] = {x, w};
    int c = add_node(b, "Conv2D", in, 2, "%s/Conv2D", layer);
    attr_type(b, c, "T", FRT_DTYPE_FLOAT);
    attr_nhwc(b, c, "strides", stride);
    attr_str(b, c, "padding", padding);
    attr_str(b, c, "data_format", "NHWC");
    if (!bias) return name_of(b, c);
    int64_t bd[1] = {cout};
    const char *bw = weight(b, bd, 1, -0.05f, 0.05f, layer, "bias");
    const char *bin[2] = {name_of(b, c), bw};
    int ba = add_node(b, "BiasAdd", bin, 2, "%s/BiasAdd", layer);
    attr_type(b, ba, "T", FRT_DTYPE_FLOAT);
    attr_str(b, ba, "data_format", "NHWC");
    return name_of(b, ba);
}

/* Keras DepthwiseConv2D, 3x3, depth multiplier 1, no bias (MobileNetV2's). */
static const char *depthwise(kb *b, const char *x, const char *layer, int c, int stride,
                             const char *padding) {
    int64_t kd[4] = {3, 3, c, 1};
    float lim = sqrtf(6.0f / 9.0f);
    const char *w = weight(b, kd, 4, -lim, lim, layer, "depthwise_kernel");
    const char *in[2] = {x, w};
    int d = add_node(b, "DepthwiseConv2dNative", in, 2, "%s/depthwise", layer);
    attr_type(b, d, "T", FRT_DTYPE_FLOAT);
    attr_nhwc(b, d, "strides", stride);
    attr_str(b, d, "padding", padding);
    attr_str(b, d, "data_format", "NHWC");
    return name_of(b, d);
}

/* Keras BatchNormalization in inference: gamma, beta, moving mean and variance (4 x c
 * parameters) into FusedBatchNormV3. gamma_scale < 1 for the last BN of a residual branch
 * keeps the sum of 16 residual blocks from growing (as zero-init-gamma training does);
 * the statistics are otherwise near identity, so activations stay O(1) through the net. */
static const char *batch_norm(kb *b, const char *x, const char *layer, int c, float eps,
                              float gamma_scale) {
    int64_t d[1] = {c};
    const char *in[5] = {
        x,
        weight(b, d, 1, 0.8f * gamma_scale, 1.2f * gamma_scale, layer, "gamma"),
        weight(b, d, 1, -0.1f, 0.1f, layer, "beta"),
        weight(b, d, 1, -0.1f, 0.1f, layer, "moving_mean"),
        weight(b, d, 1, 0.8f, 1.2f, layer, "moving_variance"),
    };
    int n = add_node(b, "FusedBatchNormV3", in, 5, "%s/FusedBatchNormV3", layer);
    attr_type(b, n, "T", FRT_DTYPE_FLOAT);
    attr_type(b, n, "U", FRT_DTYPE_FLOAT);
    attr_float(b, n, "epsilon", eps);
    attr_bool(b, n, "is_training", false);
    attr_str(b, n, "data_format", "NHWC");
    return name_of(b, n); /* output 0, y */
}

/* A one-input float op (Relu, Relu6, Softmax). */
static const char *unary(kb *b, const char *op, const char *x, const char *name) {
    int n = add_node(b, op, &x, 1, "%s", name);
    attr_type(b, n, "T", FRT_DTYPE_FLOAT);
    return name_of(b, n);
}

static const char *add(kb *b, const char *x, const char *y, const char *name) {
    const char *in[2] = {x, y};
    int n = add_node(b, "AddV2", in, 2, "%s", name);
    attr_type(b, n, "T", FRT_DTYPE_FLOAT);
    return name_of(b, n);
}

/* Keras ZeroPadding2D(((top, bottom), (left, right))). */
static const char *zero_pad(kb *b, const char *x, const char *layer, int top, int bottom,
                            int left, int right) {
    int32_t p[8] = {0, 0, top, bottom, left, right, 0, 0};
    int64_t pd[2] = {4, 2};
    char name[160];
    snprintf(name, sizeof name, "%s/Pad/paddings", layer);
    const char *in[2] = {x, int_const(b, p, pd, 2, name)};
    int n = add_node(b, "Pad", in, 2, "%s/Pad", layer);
    attr_type(b, n, "T", FRT_DTYPE_FLOAT);
    attr_type(b, n, "Tpaddings", FRT_DTYPE_INT32);
    return name_of(b, n);
}

/* GlobalAveragePooling2D, then Dense(1000, softmax) with Glorot-uniform weights. */
static const char *classifier(kb *b, const char *x, int cin, const char *pool_layer) {
    int32_t axes[2] = {1, 2};
    int64_t ad[1] = {2};
    char name[160];
    snprintf(name, sizeof name, "%s/Mean/reduction_indices", pool_layer);
    const char *min[2] = {x, int_const(b, axes, ad, 1, name)};
    int m = add_node(b, "Mean", min, 2, "%s/Mean", pool_layer);
    attr_type(b, m, "T", FRT_DTYPE_FLOAT);
    attr_type(b, m, "Tidx", FRT_DTYPE_INT32);
    attr_bool(b, m, "keep_dims", false);
    int64_t kd[2] = {cin, NUM_CLASSES}, bd[1] = {NUM_CLASSES};
    float lim = sqrtf(6.0f / (float)(cin + NUM_CLASSES));
    const char *in[2] = {name_of(b, m), weight(b, kd, 2, -lim, lim, "predictions", "kernel")};
    int mm = add_node(b, "MatMul", in, 2, "predictions/MatMul");
    attr_type(b, mm, "T", FRT_DTYPE_FLOAT);
    attr_bool(b, mm, "transpose_a", false);
    attr_bool(b, mm, "transpose_b", false);
    const char *bin[2] = {name_of(b, mm),
                          weight(b, bd, 1, -0.05f, 0.05f, "predictions", "bias")};
    int ba = add_node(b, "BiasAdd", bin, 2, "predictions/BiasAdd");
    attr_type(b, ba, "T", FRT_DTYPE_FLOAT);
    attr_str(b, ba, "data_format", "NHWC");
    return unary(b, "Softmax", name_of(b, ba), "predictions/Softmax");
}

static const char *placeholder(kb *b) {
    int p = add_node(b, "Placeholder", NULL, 0, "input");
    attr_type(b, p, "dtype", FRT_DTYPE_FLOAT);
    int64_t d[4] = {-1, INPUT_SIZE, INPUT_SIZE, 3};
    attr_shape(b, p, "shape", d, 4);
    return name_of(b, p);
}

/* ---- MobileNetV2 (keras/src/applications/mobilenet_v2.py, alpha 1.0) ---- */

#define MNV2_EPS 1e-3f

/* Keras' _make_divisible(v, 8). */
static int make_divisible(double v, int divisor) {
    int nv = (int)(v + divisor / 2.0) / divisor * divisor;
    if (nv < divisor) nv = divisor;
    if (nv < 0.9 * v) nv += divisor;
    return nv;
}

/* imagenet_utils.correct_pad(x, 3) for a square input of `size`: (before, after). */
static void correct_pad(int size, int *before, int *after) {
    int adjust = 1 - size % 2, correct = 3 / 2;
    *before = correct - adjust;
    *after = correct;
}

/* _inverted_res_block: expand 1x1 (not in block 0), depthwise 3x3, project 1x1, and the
 * residual Add when the shape is kept. *c and *size are the input's channels and spatial
 * size, updated to the output's. */
static const char *inverted_res_block(kb *b, const char *inputs, int *c, int *size,
                                      int expansion, int stride, int filters, int block_id) {
    int in_c = *c, out_c = make_divisible(filters * 1.0, 8);
    char prefix[32], layer[64];
    if (block_id) snprintf(prefix, sizeof prefix, "block_%d_", block_id);
    else snprintf(prefix, sizeof prefix, "expanded_conv_");
    const char *x = inputs;
    int hidden = in_c;
    if (block_id) {
        hidden = expansion * in_c;
        snprintf(layer, sizeof layer, "%sexpand", prefix);
        x = conv(b, x, layer, 1, in_c, hidden, 1, "SAME", false);
        snprintf(layer, sizeof layer, "%sexpand_BN", prefix);
        x = batch_norm(b, x, layer, hidden, MNV2_EPS, 1.0f);
        snprintf(layer, sizeof layer, "%sexpand_relu/Relu6", prefix);
        x = unary(b, "Relu6", x, layer);
    }
    if (stride == 2) {
        int before, after;
        correct_pad(*size, &before, &after);
        snprintf(layer, sizeof layer, "%spad", prefix);
        x = zero_pad(b, x, layer, before, after, before, after);
        *size = (*size + before + after - 3) / 2 + 1;
    }
    snprintf(layer, sizeof layer, "%sdepthwise", prefix);
    x = depthwise(b, x, layer, hidden, stride, stride == 1 ? "SAME" : "VALID");
    snprintf(layer, sizeof layer, "%sdepthwise_BN", prefix);
    x = batch_norm(b, x, layer, hidden, MNV2_EPS, 1.0f);
    snprintf(layer, sizeof layer, "%sdepthwise_relu/Relu6", prefix);
    x = unary(b, "Relu6", x, layer);
    snprintf(layer, sizeof layer, "%sproject", prefix);
    x = conv(b, x, layer, 1, hidden, out_c, 1, "SAME", false);
    bool residual = in_c == out_c && stride == 1;
    snprintf(layer, sizeof layer, "%sproject_BN", prefix);
    x = batch_norm(b, x, layer, out_c, MNV2_EPS, residual ? 0.25f : 1.0f);
    *c = out_c;
    if (!residual) return x;
    snprintf(layer, sizeof layer, "%sadd/AddV2", prefix);
    return add(b, inputs, x, layer);
}

static const char *mobilenet_v2(kb *b) {
    /* (expansion, filters, repeats, first stride): the 17 calls of MobileNetV2(). */
    static const int table[][4] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2},
                                   {6, 64, 4, 2},  {6, 96, 3, 1},  {6, 160, 3, 2},
                                   {6, 320, 1, 1}};
    const char *x = placeholder(b);
    int c = make_divisible(32 * 1.0, 8), size = INPUT_SIZE;
    x = conv(b, x, "Conv1", 3, 3, c, 2, "SAME", false);
    size /= 2;
    x = batch_norm(b, x, "bn_Conv1", c, MNV2_EPS, 1.0f);
    x = unary(b, "Relu6", x, "Conv1_relu/Relu6");
    int block_id = 0;
    for (size_t r = 0; r < sizeof table / sizeof *table; r++)
        for (int i = 0; i < table[r][2]; i++, block_id++)
            x = inverted_res_block(b, x, &c, &size, table[r][0], i ? 1 : table[r][3],
                                   table[r][1], block_id);
    x = conv(b, x, "Conv_1", 1, c, 1280, 1, "VALID", false);
    x = batch_norm(b, x, "Conv_1_bn", 1280, MNV2_EPS, 1.0f);
    x = unary(b, "Relu6", x, "out_relu/Relu6");
    return classifier(b, x, 1280, "global_average_pooling2d");
}

/* ---- ResNet50 (keras/src/applications/resnet.py: ResNet(stack_fn, preact=False,
 * use_bias=True)) ---- */

#define RESNET_EPS 1.001e-5f

/* residual_block_v1: a 1x1 projection shortcut (conv_shortcut) or the identity, then
 * 1x1 (carrying the stride) -> 3x3 -> 1x1 x4, Add, Relu. */
static const char *residual_block_v1(kb *b, const char *x, int *c, int filters, int stride,
                                     bool conv_shortcut, const char *name) {
    char layer[64];
    const char *shortcut = x;
    if (conv_shortcut) {
        snprintf(layer, sizeof layer, "%s_0_conv", name);
        shortcut = conv(b, x, layer, 1, *c, 4 * filters, stride, "VALID", true);
        snprintf(layer, sizeof layer, "%s_0_bn", name);
        shortcut = batch_norm(b, shortcut, layer, 4 * filters, RESNET_EPS, 1.0f);
    }
    snprintf(layer, sizeof layer, "%s_1_conv", name);
    const char *y = conv(b, x, layer, 1, *c, filters, stride, "VALID", true);
    snprintf(layer, sizeof layer, "%s_1_bn", name);
    y = batch_norm(b, y, layer, filters, RESNET_EPS, 1.0f);
    snprintf(layer, sizeof layer, "%s_1_relu/Relu", name);
    y = unary(b, "Relu", y, layer);
    snprintf(layer, sizeof layer, "%s_2_conv", name);
    y = conv(b, y, layer, 3, filters, filters, 1, "SAME", true);
    snprintf(layer, sizeof layer, "%s_2_bn", name);
    y = batch_norm(b, y, layer, filters, RESNET_EPS, 1.0f);
    snprintf(layer, sizeof layer, "%s_2_relu/Relu", name);
    y = unary(b, "Relu", y, layer);
    snprintf(layer, sizeof layer, "%s_3_conv", name);
    y = conv(b, y, layer, 1, filters, 4 * filters, 1, "VALID", true);
    snprintf(layer, sizeof layer, "%s_3_bn", name);
    y = batch_norm(b, y, layer, 4 * filters, RESNET_EPS, conv_shortcut ? 1.0f : 0.25f);
    snprintf(layer, sizeof layer, "%s_add/AddV2", name);
    y = add(b, shortcut, y, layer);
    snprintf(layer, sizeof layer, "%s_out/Relu", name);
    *c = 4 * filters;
    return unary(b, "Relu", y, layer);
}

static const char *resnet50(kb *b) {
    /* stack_residual_blocks_v1(x, filters, blocks, stride1, name) as ResNet50's stack_fn. */
    static const struct { int filters, blocks, stride1; const char *name; } stacks[] = {
        {64, 3, 1, "conv2"}, {128, 4, 2, "conv3"}, {256, 6, 2, "conv4"}, {512, 3, 2, "conv5"}};
    const char *x = placeholder(b);
    x = zero_pad(b, x, "conv1_pad", 3, 3, 3, 3);
    x = conv(b, x, "conv1_conv", 7, 3, 64, 2, "VALID", true);
    x = batch_norm(b, x, "conv1_bn", 64, RESNET_EPS, 1.0f);
    x = unary(b, "Relu", x, "conv1_relu/Relu");
    x = zero_pad(b, x, "pool1_pad", 1, 1, 1, 1);
    int p = add_node(b, "MaxPool", &x, 1, "pool1_pool/MaxPool");
    attr_type(b, p, "T", FRT_DTYPE_FLOAT);
    attr_nhwc(b, p, "ksize", 3);
    attr_nhwc(b, p, "strides", 2);
    attr_str(b, p, "padding", "VALID");
    attr_str(b, p, "data_format", "NHWC");
    x = name_of(b, p);
    int c = 64;
    for (size_t s = 0; s < sizeof stacks / sizeof *stacks; s++) {
        for (int i = 1; i <= stacks[s].blocks; i++) {
            char name[32];
            snprintf(name, sizeof name, "%s_block%d", stacks[s].name, i);
            x = residual_block_v1(b, x, &c, stacks[s].filters, i == 1 ? stacks[s].stride1 : 1,
                                  i == 1, name);
        }
    }
    return classifier(b, x, c, "avg_pool");
}

static const struct {
    const char *name;
    const char *(*build)(kb *b);
    int64_t keras_params;
} models[] = {
    {"mobilenet_v2", mobilenet_v2, KERAS_PARAMS_MOBILENET_V2},
    {"resnet50", resnet50, KERAS_PARAMS_RESNET50},
};

const char *frt_bench_keras_name(int i) {
    return i >= 0 && i < (int)(sizeof models / sizeof *models) ? models[i].name : NULL;
}

frt_status *frt_bench_keras_build(const char *name, const char *device, uint64_t seed,
                                  frt_model **out, frt_bench_keras_info *info) {
    *out = NULL;
    if (info) memset(info, 0, sizeof *info);
    int which = -1;
    for (int i = 0; frt_bench_keras_name(i); i++)
        if (strcmp(name, models[i].name) == 0) which = i;
    if (which < 0)
        return frt_status_new(FRT_NOT_FOUND, "no Keras model '%s' (mobilenet_v2, resnet50)",
                              name);
    kb b = {.g = frt_graph_new(), .device = device ? device : "", .rng = seed};
    if (!b.g) return frt_status_oom("building Keras model '%s'", name);
    models[which].build(&b);
    if (!b.err) b.err = frt_graph_finalize(b.g);
    if (b.err) {
        frt_graph_free(b.g);
        return frt_status_annotate(b.err, " (building Keras model '%s')", name);
    }
    int nodes = b.g->n_nodes;
    char path[64];
    snprintf(path, sizeof path, "keras:%s", name);
    *out = frt_model_from_graph(b.g, path);
    if (!*out) {
        frt_graph_free(b.g);
        return frt_status_oom("building Keras model '%s'", name);
    }
    if (info) {
        info->name = models[which].name;
        info->input = "input";
        info->output = "predictions/Softmax";
        info->logits = "predictions/BiasAdd";
        info->nodes = nodes;
        info->params = b.params;
        info->keras_params = models[which].keras_params;
    }
    return NULL;
}
