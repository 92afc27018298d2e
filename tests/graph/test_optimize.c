/* tests/graph/test_optimize.c: the graph optimizer (graph/optimize.c, const_fold.c, fuse.c):
 * folding happens and keeps names; fed tensors, stateful ops and control inputs block it;
 * fetched or shared intermediates block fusion; every feed/fetch/target still resolves; a
 * graph with every fusion pattern (Keras-style unfused batch norms, depthwise, Sub on either
 * side, MatMul + bias, NCHW, each activation) gives the same outputs before and after on
 * random inputs, run through the executor; inference FusedBatchNorm* after convs and Pads
 * before VALID/EXPLICIT convs fold (and what must not fold); TF's cnn_fusedbn model fuses. */
#include "util/test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowrt/flowrt.h"
#include "graph/optimize.h"
#include "io/graphdef.h"
#include "core/alloc.h"
#include "runtime/executor.h"
#include "util/graph_util.h"
#include "runtime/init.h"

/* ---- builders ---- */

static int op_t(frt_graph *g, const char *name, const char *op, const char *inputs) {
    int i = tu_add_node(g, name, op, inputs);
    tu_attr_type(tu_node_attrs(g, i), "T", FRT_DTYPE_FLOAT);
    return i;
}

static void cst(frt_graph *g, const char *name, const int64_t *dims, int ndim, unsigned seed) {
    frt_tensor *t = tu_rand_f32(dims, ndim, seed);
    tu_add_const(g, name, t);
    frt_tensor_unref(t);
}

static void cst_v(frt_graph *g, const char *name, const int64_t *dims, int ndim,
                  const float *v) {
    frt_tensor *t = tu_f32(dims, ndim, v);
    tu_add_const(g, name, t);
    frt_tensor_unref(t);
}

static void cst_i32(frt_graph *g, const char *name, const int64_t *dims, int ndim,
                    const int32_t *v) {
    frt_tensor *t = tu_i32(dims, ndim, v);
    tu_add_const(g, name, t);
    frt_tensor_unref(t);
}

static void placeholder(frt_graph *g, const char *name) {
    int i = tu_add_node(g, name, "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, i), "dtype", FRT_DTYPE_FLOAT);
}

static void conv(frt_graph *g, const char *name, const char *op, const char *inputs,
                 int64_t stride, bool nchw) {
    int i = op_t(g, name, op, inputs);
    frt_attrs *a = tu_node_attrs(g, i);
    tu_attr_str(a, "padding", "SAME");
    tu_attr_ints(a, "strides", nchw ? TU_DIMS(1, 1, stride, stride) : TU_DIMS(1, stride, stride, 1),
                 4);
    if (nchw) tu_attr_str(a, "data_format", "NCHW");
}

static frt_edge edge(const frt_graph *g, const char *name) {
    frt_edge e;
    TU_OK(frt_graph_resolve_tensor(g, name, &e));
    return e;
}

static const frt_node *node(const frt_graph *g, const char *name) {
    int i = frt_graph_find(g, name);
    if (i < 0) fail_msg("no node '%s' in the optimized graph", name);
    return &g->nodes[i];
}

static frt_graph *optimize(const frt_graph *g, const char *const *feeds, int nfeeds,
                           const char *const *fetches, int nfetches) {
    frt_edge fe[8], fo[8];
    for (int i = 0; i < nfeeds; i++) fe[i] = edge(g, feeds[i]);
    for (int i = 0; i < nfetches; i++) fo[i] = edge(g, fetches[i]);
    frt_graph *h = NULL;
    TU_OK(frt_graph_optimize(g, fe, nfeeds, fo, nfetches, NULL, 0, &h));
    assert_non_null(h);
    assert_true(h->finalized);
    /* every name still resolves */
    frt_edge e;
    for (int i = 0; i < nfeeds; i++) TU_OK(frt_graph_resolve_tensor(h, feeds[i], &e));
    for (int i = 0; i < nfetches; i++) TU_OK(frt_graph_resolve_tensor(h, fetches[i], &e));
    return h;
}

static int count_op(const frt_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += strcmp(g->nodes[i].op, op) == 0;
    return n;
}

/* Runs g with feeds, returns the fetches (new references). */
static void run(const frt_graph *g, const char *const *feed_names, frt_tensor *const *feeds,
                int nfeeds, const char *const *fetch_names, int nfetches, frt_tensor **out) {
    frt_plan *p = NULL;
    TU_OK(frt_plan_build(g, feed_names, nfeeds, fetch_names, nfetches, NULL, 0, false, &p));
    frt_exec_env env = {.pool = tu_pool, .intra_threads = 0,
                        .alloc = frt_cpu_allocator_default()};
    TU_OK(frt_plan_run(p, &env, feeds, out));
    frt_plan_free(p);
}

/* Asserts got[i] within 1e-4 of want[i] for each i < n; unrefs both. */
static void assert_close_and_unref(frt_tensor **got, frt_tensor **want, int n) {
    for (int i = 0; i < n; i++) {
        tu_assert_close_f32(got[i], want[i], 1e-4f, 1e-4f);
        frt_tensor_unref(got[i]);
        frt_tensor_unref(want[i]);
    }
}

/* Runs g and h (same names) on random x (seeds 1..nseeds) of shape dims [4-D]; asserts
 * their fetches agree within 1e-4. */
static void same_results(const frt_graph *g, const frt_graph *h, const int64_t *dims,
                         const char *const *fetches, int nfetches, unsigned nseeds) {
    for (unsigned seed = 1; seed <= nseeds; seed++) {
        frt_tensor *x = tu_rand_f32(dims, 4, seed);
        frt_tensor *want[4], *got[4];
        assert_true(nfetches <= 4);
        run(g, (const char *[]){"x"}, &x, 1, fetches, nfetches, want);
        run(h, (const char *[]){"x"}, &x, 1, fetches, nfetches, got);
        assert_close_and_unref(got, want, nfetches);
        frt_tensor_unref(x);
    }
}

/* ---- constant folding ---- */

/* x * Identity(c1 + c2): the sum folds into a Const named like the Identity; the AddV2 and
 * the two inputs are gone. */
static frt_graph *fold_graph(void) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    cst_v(g, "c1", TU_DIMS(2), 1, TU_F32(1, 2));
    cst_v(g, "c2", TU_DIMS(2), 1, TU_F32(10, 20));
    op_t(g, "add", "AddV2", "c1,c2");
    op_t(g, "ident", "Identity", "add");
    op_t(g, "y", "Mul", "x,ident");
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void folding_replaces_constant_subgraphs(void **state) {
    (void)state;
    frt_graph *g = fold_graph();
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y"}, 1);
    const frt_node *id = node(h, "ident");
    assert_string_equal(id->op, "Const");
    assert_int_equal(id->n_data, 0);
    const frt_tensor *v = frt_attr_get_tensor(&id->attrs, "value");
    assert_non_null(v);
    frt_tensor *want = tu_f32(TU_DIMS(2), 1, TU_F32(11, 22));
    tu_assert_equal(v, want);
    frt_tensor_unref(want);
    assert_int_equal(frt_graph_find(h, "add"), -1);
    assert_int_equal(frt_graph_find(h, "c1"), -1);
    assert_string_equal(node(h, "y")->op, "Mul");
    frt_graph_free(h);
    frt_graph_free(g);
}

/* A fed tensor is not constant: neither its consumers nor (when a Const is fed) anything
 * downstream fold; the fed node keeps its name. */
static void fed_tensors_block_folding(void **state) {
    (void)state;
    frt_graph *g = fold_graph();
    frt_graph *h = optimize(g, (const char *[]){"x", "add"}, 2, (const char *[]){"y"}, 1);
    assert_string_equal(node(h, "ident")->op, "Identity");
    assert_string_equal(node(h, "add")->op, "AddV2"); /* resolvable, unchanged */
    frt_graph_free(h);
    h = optimize(g, (const char *[]){"x", "c1"}, 2, (const char *[]){"y"}, 1);
    assert_string_equal(node(h, "add")->op, "AddV2");
    assert_string_equal(node(h, "ident")->op, "Identity");
    frt_graph_free(h);
    /* fetching the intermediate keeps it, folded */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "add"}, 2);
    assert_string_equal(node(h, "add")->op, "Const");
    frt_graph_free(h);
    frt_graph_free(g);
}

/* Control inputs from non-constants, and stateful ops, are not folded; multi-output nodes
 * fold into fresh Consts with consumers rewired. */
static void folding_respects_control_and_state(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    cst_v(g, "c", TU_DIMS(4), 1, TU_F32(1, 2, 3, 4));
    op_t(g, "neg_ctrl", "Neg", "c,^x");        /* waits on a placeholder: stays */
    op_t(g, "neg", "Neg", "c");
    int a = tu_add_node(g, "chk", "CheckNumerics", "neg"); /* stateful */
    tu_attr_type(tu_node_attrs(g, a), "T", FRT_DTYPE_FLOAT);
    tu_attr_str(tu_node_attrs(g, a), "message", "m");
    frt_tensor *ax = tu_scalar_i32(0);
    tu_add_const(g, "axis0", ax);
    frt_tensor_unref(ax);
    int s = op_t(g, "split", "Split", "axis0,c");
    tu_attr_int(tu_node_attrs(g, s), "num_split", 2);
    op_t(g, "s1", "Mul", "split:1,x");
    op_t(g, "y", "AddN", "neg_ctrl,chk");
    tu_attr_int(tu_node_attrs(g, frt_graph_find(g, "y")), "N", 2);
    TU_OK(frt_graph_finalize(g));
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "s1"}, 2);
    assert_string_equal(node(h, "neg_ctrl")->op, "Neg");
    assert_string_equal(node(h, "neg")->op, "Const");
    assert_string_equal(node(h, "chk")->op, "CheckNumerics");
    assert_int_equal(frt_graph_find(h, "split"), -1);
    const frt_node *s1 = node(h, "s1");
    const frt_node *piece = &h->nodes[s1->data[0].node];
    assert_string_equal(piece->op, "Const");
    frt_tensor *want = tu_f32(TU_DIMS(2), 1, TU_F32(3, 4));
    tu_assert_equal(frt_attr_get_tensor(&piece->attrs, "value"), want);
    frt_tensor_unref(want);
    frt_graph_free(h);
    /* fetching split:1 keeps the Split (its name must resolve) */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"s1", "split:1"}, 2);
    assert_string_equal(node(h, "split")->op, "Split");
    frt_graph_free(h);
    frt_graph_free(g);
}

/* ---- fusion ---- */

/* x -> conv -> BiasAdd(b) -> Relu -> y */
static frt_graph *conv_bias_relu(void) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    cst(g, "f", TU_DIMS(3, 3, 2, 4), 4, 1);
    cst(g, "b", TU_DIMS(4), 1, 2);
    conv(g, "conv", "Conv2D", "x,f", 1, false);
    op_t(g, "bias", "BiasAdd", "conv,b");
    op_t(g, "y", "Relu", "bias");
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void fusion_makes_tf_fused_ops(void **state) {
    (void)state;
    frt_graph *g = conv_bias_relu();
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y"}, 1);
    const frt_node *y = node(h, "y");
    assert_string_equal(y->op, "_FusedConv2D");
    assert_int_equal(y->n_data, 3);
    assert_int_equal(frt_graph_find(h, "conv"), -1);
    assert_int_equal(frt_graph_find(h, "bias"), -1);
    const frt_attr_value *ops = frt_attrs_find(&y->attrs, "fused_ops");
    assert_non_null(ops);
    assert_int_equal(ops->v.list.n, 2);
    assert_string_equal(ops->v.list.v.s[0].ptr, "BiasAdd");
    assert_string_equal(ops->v.list.v.s[1].ptr, "Relu");
    int64_t num_args = 0;
    TU_OK(frt_attr_get_int(&y->attrs, "num_args", 0, &num_args));
    assert_int_equal(num_args, 1);
    const frt_attr_value *targs = frt_attrs_find(&y->attrs, "TArgs");
    assert_non_null(targs);
    assert_int_equal(targs->v.list.n, 1);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* A fetched or shared intermediate ends the chain before it. */
static void fetched_intermediates_block_fusion(void **state) {
    (void)state;
    frt_graph *g = conv_bias_relu();
    /* bias fetched: conv + bias fuse (named "bias", still fetchable), Relu stays */
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "bias"}, 2);
    assert_string_equal(node(h, "bias")->op, "_FusedConv2D");
    assert_string_equal(node(h, "y")->op, "Relu");
    frt_graph_free(h);
    /* conv fetched: nothing fuses */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "conv"}, 2);
    assert_string_equal(node(h, "conv")->op, "Conv2D");
    assert_string_equal(node(h, "bias")->op, "BiasAdd");
    assert_string_equal(node(h, "y")->op, "Relu");
    frt_graph_free(h);
    /* conv fed: its consumers are not a conv chain */
    h = optimize(g, (const char *[]){"conv"}, 1, (const char *[]){"y"}, 1);
    assert_string_equal(node(h, "bias")->op, "BiasAdd");
    frt_graph_free(h);
    frt_graph_free(g);
    /* conv output used twice */
    g = frt_graph_new();
    placeholder(g, "x");
    cst(g, "f", TU_DIMS(1, 1, 2, 4), 4, 1);
    cst(g, "b", TU_DIMS(4), 1, 2);
    conv(g, "conv", "Conv2D", "x,f", 1, false);
    op_t(g, "bias", "BiasAdd", "conv,b");
    op_t(g, "y", "AddV2", "bias,conv");
    TU_OK(frt_graph_finalize(g));
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y"}, 1);
    assert_string_equal(node(h, "conv")->op, "Conv2D");
    assert_string_equal(node(h, "bias")->op, "BiasAdd");
    frt_graph_free(h);
    frt_graph_free(g);
}

/* Keras 3 batch norm after conv: Mul(conv, gamma * rsqrt(var + eps)), AddV2(., beta - mean
 * * scale), all on Consts; and the rest of the patterns. */
static void keras_bn(frt_graph *g, const char *p, const char *in, int64_t oc, unsigned seed,
                     const char *act) {
    char n[12][64];
    const char *sfx[] = {"var", "eps", "add", "rsqrt", "gamma", "scale", "mean", "ms", "beta",
                         "shift", "mul1", "out"};
    for (int i = 0; i < 12; i++) snprintf(n[i], sizeof n[i], "%s/%s", p, sfx[i]);
    frt_tensor *var = tu_rand_f32(TU_DIMS(oc), 1, seed);
    for (int64_t c = 0; c < oc; c++) frt_tensor_f32(var)[c] = fabsf(frt_tensor_f32(var)[c]) + 0.5f;
    tu_add_const(g, n[0], var);
    frt_tensor_unref(var);
    cst_v(g, n[1], TU_DIMS(0), 0, TU_F32(0.001f));
    char buf[256];
    snprintf(buf, sizeof buf, "%s,%s", n[0], n[1]);
    op_t(g, n[2], "AddV2", buf);
    op_t(g, n[3], "Rsqrt", n[2]);
    cst(g, n[4], TU_DIMS(oc), 1, seed + 1);
    snprintf(buf, sizeof buf, "%s,%s", n[3], n[4]);
    op_t(g, n[5], "Mul", buf);
    cst(g, n[6], TU_DIMS(oc), 1, seed + 2);
    snprintf(buf, sizeof buf, "%s,%s", n[6], n[5]);
    op_t(g, n[7], "Mul", buf);
    cst(g, n[8], TU_DIMS(oc), 1, seed + 3);
    snprintf(buf, sizeof buf, "%s,%s", n[8], n[7]);
    op_t(g, n[9], "Sub", buf);
    snprintf(buf, sizeof buf, "%s,%s", in, n[5]);
    op_t(g, n[10], "Mul", buf);
    snprintf(buf, sizeof buf, "%s,%s", n[10], n[9]);
    op_t(g, act ? n[11] : p, "AddV2", buf);
    if (act) op_t(g, p, act, n[11]);
}

static frt_graph *all_patterns(void) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");                                       /* [2, 9, 9, 3] */
    /* conv + Keras BN + Relu6 */
    cst(g, "f1", TU_DIMS(3, 3, 3, 8), 4, 10);
    conv(g, "c1", "Conv2D", "x,f1", 2, false);
    keras_bn(g, "bn1", "c1", 8, 20, "Relu6");
    /* depthwise (multiplier 2) + Keras BN + Relu */
    cst(g, "f2", TU_DIMS(3, 3, 8, 2), 4, 30);
    conv(g, "d2", "DepthwiseConv2dNative", "bn1,f2", 1, false);
    keras_bn(g, "bn2", "d2", 16, 40, "Relu");
    /* 1x1 conv + BN, no activation (a projection) */
    cst(g, "f3", TU_DIMS(1, 1, 16, 8), 4, 50);
    conv(g, "c3", "Conv2D", "bn2,f3", 1, false);
    keras_bn(g, "bn3", "c3", 8, 60, NULL);
    /* conv + BiasAdd + Mul(scalar) + Add([1,1,1,oc]) + LeakyRelu */
    cst(g, "f4", TU_DIMS(3, 3, 8, 4), 4, 70);
    cst(g, "b4", TU_DIMS(4), 1, 71);
    cst_v(g, "s4", TU_DIMS(0), 0, TU_F32(0.5f));
    cst(g, "a4", TU_DIMS(1, 1, 1, 4), 4, 72);
    conv(g, "c4", "Conv2D", "bn3,f4", 1, false);
    op_t(g, "c4/bias", "BiasAdd", "c4,b4");
    op_t(g, "c4/mul", "Mul", "s4,c4/bias");
    op_t(g, "c4/add", "Add", "c4/mul,a4");
    int lr = op_t(g, "c4/act", "LeakyRelu", "c4/add");
    tu_attr_float(tu_node_attrs(g, lr), "alpha", 0.1f);
    /* depthwise + Sub(K - x) + Elu */
    cst(g, "f5", TU_DIMS(3, 3, 4, 1), 4, 80);
    cst(g, "k5", TU_DIMS(4), 1, 81);
    conv(g, "d5", "DepthwiseConv2dNative", "c4/act,f5", 2, false);
    op_t(g, "d5/sub", "Sub", "k5,d5");
    op_t(g, "d5/act", "Elu", "d5/sub");
    /* residual add of two non-constants: not fused */
    op_t(g, "res", "AddV2", "d5/act,d5/act");
    /* NCHW conv + BiasAdd(NCHW) + Relu on a transposed copy */
    cst_i32(g, "perm", TU_DIMS(4), 1, TU_I32(0, 3, 1, 2));
    op_t(g, "xt", "Transpose", "x,perm");
    cst(g, "f6", TU_DIMS(3, 3, 3, 5), 4, 90);
    cst(g, "b6", TU_DIMS(5), 1, 91);
    conv(g, "c6", "Conv2D", "xt,f6", 1, true);
    int ba = op_t(g, "c6/bias", "BiasAdd", "c6,b6");
    tu_attr_str(tu_node_attrs(g, ba), "data_format", "NCHW");
    op_t(g, "c6/act", "Relu", "c6/bias");
    /* MatMul + AddV2([1, n]) + Elu; MatMul(transpose_b) + BiasAdd */
    cst_i32(g, "shape", TU_DIMS(2), 1, TU_I32(2, -1));
    op_t(g, "flat", "Reshape", "res,shape");                   /* [2, 3*3*4] */
    cst(g, "w7", TU_DIMS(36, 6), 2, 100);
    cst(g, "b7", TU_DIMS(1, 6), 2, 101);
    op_t(g, "m7", "MatMul", "flat,w7");
    op_t(g, "m7/add", "AddV2", "m7,b7");
    op_t(g, "m7/act", "Elu", "m7/add");
    cst(g, "w8", TU_DIMS(3, 6), 2, 102);
    cst(g, "b8", TU_DIMS(3), 1, 103);
    int m8 = op_t(g, "m8", "MatMul", "m7/act,w8");
    tu_attr_bool(tu_node_attrs(g, m8), "transpose_b", true);
    op_t(g, "logits", "BiasAdd", "m8,b8");
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void every_pattern_keeps_results(void **state) {
    (void)state;
    frt_graph *g = all_patterns();
    const char *feeds[] = {"x"}, *fetches[] = {"logits", "c6/act", "bn3"};
    frt_graph *h = optimize(g, feeds, 1, fetches, 3);
    /* what fused */
    assert_string_equal(node(h, "bn1")->op, "_FusedConv2D");
    assert_string_equal(node(h, "bn2")->op, "_FusedDepthwiseConv2dNative");
    assert_string_equal(node(h, "bn3")->op, "_FusedConv2D"); /* bias only */
    assert_string_equal(node(h, "c4/act")->op, "_FusedConv2D");
    assert_string_equal(node(h, "d5/act")->op, "_FusedDepthwiseConv2dNative");
    assert_string_equal(node(h, "res")->op, "AddV2");
    assert_string_equal(node(h, "c6/act")->op, "_FusedConv2D");
    assert_string_equal(node(h, "m7/act")->op, "_FusedMatMul");
    assert_string_equal(node(h, "logits")->op, "_FusedMatMul");
    assert_int_equal(count_op(h, "Rsqrt"), 0);
    assert_int_equal(count_op(h, "Mul"), 0);
    assert_int_equal(count_op(h, "Sub"), 0);
    assert_int_equal(count_op(h, "Conv2D"), 0);
    assert_int_equal(count_op(h, "DepthwiseConv2dNative"), 0);
    /* same values */
    same_results(g, h, TU_DIMS(2, 9, 9, 3), fetches, 3, 3);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* ---- FusedBatchNorm folding ---- */

/* A FusedBatchNorm{,V2,V3} node on constant vectors (variance positive), epsilon 0.001. */
static void fbn(frt_graph *g, const char *name, const char *op, const char *in, int64_t oc,
                unsigned seed, bool training, bool nchw) {
    char n[4][64], buf[300];
    const char *sfx[] = {"scale", "offset", "mean", "var"};
    for (int i = 0; i < 4; i++) {
        snprintf(n[i], sizeof n[i], "%s/%s", name, sfx[i]);
        frt_tensor *t = tu_rand_f32(TU_DIMS(oc), 1, seed + (unsigned)i);
        if (i == 3)
            for (int64_t c = 0; c < oc; c++) frt_tensor_f32(t)[c] = fabsf(frt_tensor_f32(t)[c]) + 0.1f;
        tu_add_const(g, n[i], t);
        frt_tensor_unref(t);
    }
    snprintf(buf, sizeof buf, "%s,%s,%s,%s,%s", in, n[0], n[1], n[2], n[3]);
    int i = op_t(g, name, op, buf);
    frt_attrs *a = tu_node_attrs(g, i);
    if (strcmp(op, "FusedBatchNorm")) tu_attr_type(a, "U", FRT_DTYPE_FLOAT);
    tu_attr_float(a, "epsilon", 0.001f);
    tu_attr_bool(a, "is_training", training);
    if (nchw) tu_attr_str(a, "data_format", "NCHW");
}

static int count_prefix(const frt_graph *g, const char *prefix) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += !strncmp(g->nodes[i].op, prefix, strlen(prefix));
    return n;
}

static const char *list_str(const frt_node *n, const char *key, int i) {
    const frt_attr_value *v = frt_attrs_find(&n->attrs, key);
    assert_non_null(v);
    assert_int_equal(v->kind, FRT_ATTR_LIST);
    assert_true(i < v->v.list.n);
    return v->v.list.v.s[i].ptr;
}

/* conv -> BiasAdd -> FusedBatchNormV3 -> Relu; depthwise -> FusedBatchNorm -> Relu6; NCHW
 * 1x1 conv -> FusedBatchNormV2 (fetched): each one fused node, same values. */
static void batch_norms_fold_into_convs(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");                                       /* [2, 9, 9, 3] */
    cst(g, "f1", TU_DIMS(3, 3, 3, 8), 4, 10);
    cst(g, "b1", TU_DIMS(8), 1, 11);
    conv(g, "c1", "Conv2D", "x,f1", 1, false);
    op_t(g, "c1/bias", "BiasAdd", "c1,b1");
    fbn(g, "bn1", "FusedBatchNormV3", "c1/bias", 8, 12, false, false);
    op_t(g, "r1", "Relu", "bn1");
    cst(g, "f2", TU_DIMS(3, 3, 8, 2), 4, 20);
    conv(g, "d2", "DepthwiseConv2dNative", "r1,f2", 2, false);
    fbn(g, "bn2", "FusedBatchNorm", "d2", 16, 22, false, false);
    op_t(g, "r2", "Relu6", "bn2");
    cst_i32(g, "perm", TU_DIMS(4), 1, TU_I32(0, 3, 1, 2));
    op_t(g, "r2t", "Transpose", "r2,perm");
    cst(g, "f3", TU_DIMS(1, 1, 16, 4), 4, 30);
    conv(g, "c3", "Conv2D", "r2t,f3", 1, true);
    fbn(g, "bn3", "FusedBatchNormV2", "c3", 4, 32, false, true);
    TU_OK(frt_graph_finalize(g));
    const char *fetches[] = {"r1", "bn3"};
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, fetches, 2);
    const frt_node *r1 = node(h, "r1");
    assert_string_equal(r1->op, "_FusedConv2D");
    assert_string_equal(list_str(r1, "fused_ops", 0), "BiasAdd");
    assert_string_equal(list_str(r1, "fused_ops", 1), "Relu");
    assert_string_equal(node(h, "r2")->op, "_FusedDepthwiseConv2dNative");
    assert_string_equal(list_str(node(h, "r2"), "fused_ops", 1), "Relu6");
    const frt_node *bn3 = node(h, "bn3");
    assert_string_equal(bn3->op, "_FusedConv2D");
    assert_int_equal(bn3->n_outputs, 1);
    assert_int_equal(frt_attrs_find(&bn3->attrs, "fused_ops")->v.list.n, 1);
    assert_int_equal(count_prefix(h, "FusedBatchNorm"), 0);
    assert_int_equal(count_op(h, "BiasAdd"), 0);
    assert_int_equal(count_op(h, "Conv2D") + count_op(h, "DepthwiseConv2dNative"), 0);
    assert_int_equal(frt_graph_find(h, "bn1/mean"), -1); /* folded into the filter and bias */
    same_results(g, h, TU_DIMS(2, 9, 9, 3), fetches, 2, 2);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* x -> conv -> FusedBatchNormV3 `bn` (is_training as given, mean from `mean`) -> Relu y. */
static frt_graph *conv_bn(bool training, bool fed_mean, bool bn_nchw) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    placeholder(g, "m");
    cst(g, "f", TU_DIMS(3, 3, 3, 4), 4, 1);
    conv(g, "conv", "Conv2D", "x,f", 1, false);
    fbn(g, "bn", "FusedBatchNormV3", "conv", 4, 5, training, bn_nchw);
    if (fed_mean) {
        frt_node *b = frt_graph_node(g, frt_graph_find(g, "bn"));
        free(b->inputs[3]);
        b->inputs[3] = strdup("m");
    }
    op_t(g, "y", "Relu", "bn");
    op_t(g, "stat", "Identity", "bn:1");
    TU_OK(frt_graph_finalize(g));
    return g;
}

/* Training mode, non-constant statistics, a data_format other than the conv's, other
 * outputs in use or fetched, or output 0 fed: the batch norm stays. Output 0 fetched: the
 * chain ends at the batch norm. */
static void batch_norms_that_stay(void **state) {
    (void)state;
    const char *y[] = {"y"};
    frt_graph *g = conv_bn(true, false, false);
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, y, 1);
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    assert_string_equal(node(h, "conv")->op, "Conv2D");
    same_results(g, h, TU_DIMS(2, 6, 6, 3), y, 1, 2);
    frt_graph_free(h);
    frt_graph_free(g);

    g = conv_bn(false, true, false);
    h = optimize(g, (const char *[]){"x", "m"}, 2, y, 1);
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    assert_string_equal(node(h, "conv")->op, "Conv2D");
    frt_graph_free(h);
    frt_graph_free(g);

    g = conv_bn(false, false, true); /* NCHW batch norm after an NHWC conv */
    h = optimize(g, (const char *[]){"x"}, 1, y, 1);
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    frt_graph_free(h);
    frt_graph_free(g);

    g = conv_bn(false, false, false);
    /* batch_mean used by a fetched Identity */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "stat"}, 2);
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    assert_string_equal(node(h, "conv")->op, "Conv2D");
    same_results(g, h, TU_DIMS(2, 6, 6, 3), (const char *[]){"y", "stat"}, 2, 2);
    frt_graph_free(h);
    /* batch_variance fetched directly */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "bn:2"}, 2);
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    frt_graph_free(h);
    /* output 0 fed: y reads the feed */
    h = optimize(g, (const char *[]){"x", "bn"}, 2, y, 1);
    assert_string_equal(node(h, "y")->op, "Relu");
    assert_string_equal(node(h, "bn")->op, "FusedBatchNormV3");
    frt_graph_free(h);
    /* output 0 fetched: conv + batch norm fuse under its name, Relu stays */
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"y", "bn"}, 2);
    assert_string_equal(node(h, "bn")->op, "_FusedConv2D");
    assert_string_equal(node(h, "y")->op, "Relu");
    same_results(g, h, TU_DIMS(2, 6, 6, 3), (const char *[]){"y", "bn"}, 2, 2);
    frt_graph_free(h);
    /* the unused statistics alone do not block it */
    h = optimize(g, (const char *[]){"x"}, 1, y, 1);
    assert_string_equal(node(h, "y")->op, "_FusedConv2D");
    assert_int_equal(frt_graph_find(h, "bn"), -1);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* ---- Pad folding ---- */

static void paddings(frt_graph *g, const char *name, const int64_t *v, bool i64) {
    int32_t v32[8];
    for (int i = 0; i < 8; i++) v32[i] = (int32_t)v[i];
    frt_tensor *t = i64 ? tu_i64(TU_DIMS(4, 2), 2, v) : tu_i32(TU_DIMS(4, 2), 2, v32);
    tu_add_const(g, name, t);
    frt_tensor_unref(t);
}

static void conv_pad(frt_graph *g, const char *name, const char *op, const char *inputs,
                     int64_t stride, const char *padding) {
    conv(g, name, op, inputs, stride, false);
    tu_attr_str(tu_node_attrs(g, frt_graph_find(g, name)), "padding", padding);
}

static void set_shape(frt_graph *g, const char *name, int64_t h, int64_t w, int64_t c) {
    tu_attr_shape(tu_node_attrs(g, frt_graph_find(g, name)), "shape", TU_DIMS(-1, h, w, c), 4);
}

/* x [?, hw, hw, 4] (hw < 0: no shape attr)
 *  -> Pad [1,1]x[2,0] -> Conv2D VALID -> BiasAdd -> Relu r1             [?, hw, hw, 6]
 *  -> PadV2 (int64, 0.0) [0,1]x[0,1] -> depthwise VALID /2 -> BiasAdd -> Relu6 r2
 *  -> Pad [2,0]x[1,1] -> depthwise VALID d3 (no chain)
 *  -> Pad [1,0]x[0,1] -> Conv2D EXPLICIT [1,1]x[0,0] c4 (fetched) */
static frt_graph *pad_graph(int64_t hw) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    if (hw > 0) set_shape(g, "x", hw, hw, 4);
    paddings(g, "p1/pads", TU_DIMS(0, 0, 1, 1, 2, 0, 0, 0), false);
    op_t(g, "p1", "Pad", "x,p1/pads");
    cst(g, "f1", TU_DIMS(3, 3, 4, 6), 4, 1);
    cst(g, "b1", TU_DIMS(6), 1, 2);
    conv_pad(g, "c1", "Conv2D", "p1,f1", 1, "VALID");
    op_t(g, "c1/bias", "BiasAdd", "c1,b1");
    op_t(g, "r1", "Relu", "c1/bias");
    paddings(g, "p2/pads", TU_DIMS(0, 0, 0, 1, 0, 1, 0, 0), true);
    cst_v(g, "p2/zero", TU_DIMS(0), 0, TU_F32(0.0f));
    int p2 = op_t(g, "p2", "PadV2", "r1,p2/pads,p2/zero");
    tu_attr_type(tu_node_attrs(g, p2), "Tpaddings", FRT_DTYPE_INT64);
    cst(g, "f2", TU_DIMS(3, 3, 6, 1), 4, 3);
    cst(g, "b2", TU_DIMS(6), 1, 4);
    conv_pad(g, "d2", "DepthwiseConv2dNative", "p2,f2", 2, "VALID");
    op_t(g, "d2/bias", "BiasAdd", "d2,b2");
    op_t(g, "r2", "Relu6", "d2/bias");
    paddings(g, "p3/pads", TU_DIMS(0, 0, 2, 0, 1, 1, 0, 0), false);
    op_t(g, "p3", "Pad", "r2,p3/pads");
    cst(g, "f3", TU_DIMS(3, 3, 6, 1), 4, 5);
    conv_pad(g, "d3", "DepthwiseConv2dNative", "p3,f3", 1, "VALID");
    paddings(g, "p4/pads", TU_DIMS(0, 0, 1, 0, 0, 1, 0, 0), false);
    op_t(g, "p4", "Pad", "d3,p4/pads");
    cst(g, "f4", TU_DIMS(2, 2, 6, 3), 4, 6);
    conv_pad(g, "c4", "Conv2D", "p4,f4", 1, "EXPLICIT");
    tu_attr_ints(tu_node_attrs(g, frt_graph_find(g, "c4")), "explicit_paddings",
                 TU_DIMS(0, 0, 1, 1, 0, 0, 0, 0), 8);
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void assert_padding(const frt_node *n, const char *mode, const int64_t *pads) {
    const char *p = NULL;
    TU_OK(frt_attr_get_str(&n->attrs, "padding", NULL, &p));
    assert_non_null(p);
    assert_string_equal(p, mode);
    int64_t v[16];
    int np = 0;
    TU_OK(frt_attr_get_int_list(&n->attrs, "explicit_paddings", 16, v, &np));
    assert_int_equal(np, pads ? 8 : 0);
    for (int i = 0; i < np; i++) assert_int_equal(v[i], pads[i]);
}

static void pads_fold_into_convs(void **state) {
    (void)state;
    const char *fetches[] = {"c4"};
    /* 8x8: the depthwise's [0,1] pads are SAME's for stride 2, so it folds and still fuses */
    frt_graph *g = pad_graph(8);
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, fetches, 1);
    assert_int_equal(count_op(h, "Pad") + count_op(h, "PadV2"), 0);
    const frt_node *r1 = node(h, "r1");
    assert_string_equal(r1->op, "_FusedConv2D");
    assert_padding(r1, "EXPLICIT", TU_DIMS(0, 0, 1, 1, 2, 0, 0, 0));
    assert_string_equal(h->nodes[r1->data[0].node].name, "x");
    const frt_node *r2 = node(h, "r2");
    assert_string_equal(r2->op, "_FusedDepthwiseConv2dNative");
    assert_padding(r2, "SAME", NULL);
    assert_string_equal(h->nodes[r2->data[0].node].name, "r1");
    /* [2,0] leads SAME's [1,1]: stays EXPLICIT on the plain depthwise */
    assert_string_equal(node(h, "d3")->op, "DepthwiseConv2dNative");
    assert_padding(node(h, "d3"), "EXPLICIT", TU_DIMS(0, 0, 2, 0, 1, 1, 0, 0));
    assert_padding(node(h, "c4"), "EXPLICIT", TU_DIMS(0, 0, 2, 1, 0, 1, 0, 0));
    same_results(g, h, TU_DIMS(2, 8, 8, 4), fetches, 1, 2);
    frt_graph_free(h);
    frt_graph_free(g);
    /* 9x9 (SAME pads r1 [1,1] for stride 2) and unknown shapes: the depthwise keeps its
     * Pad and fuses (TF's _FusedDepthwiseConv2dNative has no EXPLICIT); the rest fold. */
    for (int k = 0; k < 2; k++) {
        g = pad_graph(k == 0 ? 9 : -1);
        h = optimize(g, (const char *[]){"x"}, 1, fetches, 1);
        assert_string_equal(node(h, "p2")->op, "PadV2");
        assert_string_equal(node(h, "r2")->op, "_FusedDepthwiseConv2dNative");
        assert_padding(node(h, "r2"), "VALID", NULL);
        assert_int_equal(count_op(h, "Pad"), 0);
        assert_string_equal(node(h, "r1")->op, "_FusedConv2D");
        assert_padding(node(h, "d3"), "EXPLICIT", TU_DIMS(0, 0, 2, 0, 1, 1, 0, 0));
        same_results(g, h, TU_DIMS(2, 9, 9, 4), fetches, 1, 2);
        frt_graph_free(h);
        frt_graph_free(g);
    }
}

/* x -> Pad(pads) [PadV2 with value cv when cv != 0] -> Conv2D (padding) -> conv; optionally
 * a Relu "other" of the Pad. */
static frt_graph *pad_conv(const int64_t *pads, float cv, const char *padding, bool other,
                           int64_t cin) {
    frt_graph *g = frt_graph_new();
    placeholder(g, "x");
    set_shape(g, "x", 6, 6, 3);
    paddings(g, "pads", pads, false);
    if (cv != 0.0f) {
        cst_v(g, "cv", TU_DIMS(0), 0, (float[]){cv});
        op_t(g, "pad", "PadV2", "x,pads,cv");
    } else {
        op_t(g, "pad", "Pad", "x,pads");
    }
    cst(g, "f", TU_DIMS(3, 3, cin, 2), 4, 1);
    conv_pad(g, "conv", "Conv2D", "pad,f", 1, padding);
    if (other) op_t(g, "other", "Relu", "pad");
    TU_OK(frt_graph_finalize(g));
    return g;
}

/* Non-zero channel or batch pads, a non-zero constant, another consumer, a fetched Pad, a
 * SAME conv: the Pad stays and the conv keeps its padding. */
static void pads_that_stay(void **state) {
    (void)state;
    const int64_t *spatial = TU_DIMS(0, 0, 1, 1, 1, 1, 0, 0);
    struct {
        const int64_t *pads;
        float cv;
        const char *padding;
        bool other;
        int64_t cin;
        const char *fetch2;
    } cases[] = {
        {TU_DIMS(0, 0, 1, 1, 1, 1, 0, 1), 0, "VALID", false, 4, NULL},
        {TU_DIMS(1, 0, 1, 1, 1, 1, 0, 0), 0, "VALID", false, 3, NULL},
        {spatial, 1.0f, "VALID", false, 3, NULL},
        {spatial, 0, "VALID", true, 3, "other"},
        {spatial, 0, "VALID", false, 3, "pad"},
        {spatial, 0, "SAME", false, 3, NULL},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        frt_graph *g = pad_conv(cases[i].pads, cases[i].cv, cases[i].padding, cases[i].other,
                                cases[i].cin);
        const char *fetches[] = {"conv", cases[i].fetch2};
        int nf = cases[i].fetch2 ? 2 : 1;
        frt_graph *h = optimize(g, (const char *[]){"x"}, 1, fetches, nf);
        assert_string_equal(node(h, "pad")->op, cases[i].cv != 0.0f ? "PadV2" : "Pad");
        assert_padding(node(h, "conv"), cases[i].padding, NULL);
        same_results(g, h, TU_DIMS(1, 6, 6, 3), fetches, nf, 2);
        frt_graph_free(h);
        frt_graph_free(g);
    }
    /* the same graph with zero channel pads folds (the cases above are not vacuous) */
    frt_graph *g = pad_conv(spatial, 0, "VALID", false, 3);
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"conv"}, 1);
    assert_int_equal(frt_graph_find(h, "pad"), -1);
    assert_padding(node(h, "conv"), "SAME", NULL); /* [1,1] pads of a 3x3 stride-1 conv */
    frt_graph_free(h);
    frt_graph_free(g);
    /* NCHW: pads on dims 2 and 3; dim 1 is the channel */
    g = frt_graph_new();
    placeholder(g, "x");
    paddings(g, "pads", TU_DIMS(0, 0, 0, 0, 2, 1, 0, 3), false);
    op_t(g, "pad", "Pad", "x,pads");
    cst(g, "f", TU_DIMS(3, 2, 3, 4), 4, 1);
    conv(g, "conv", "Conv2D", "pad,f", 2, true);
    tu_attr_str(tu_node_attrs(g, frt_graph_find(g, "conv")), "padding", "VALID");
    TU_OK(frt_graph_finalize(g));
    h = optimize(g, (const char *[]){"x"}, 1, (const char *[]){"conv"}, 1);
    assert_int_equal(frt_graph_find(h, "pad"), -1);
    assert_padding(node(h, "conv"), "EXPLICIT", TU_DIMS(0, 0, 0, 0, 2, 1, 0, 3));
    same_results(g, h, TU_DIMS(2, 3, 7, 6), (const char *[]){"conv"}, 1, 2);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* TF's own graph (tests/data/models/cnn_fusedbn): Conv2D -> BiasAdd -> FusedBatchNormV3 ->
 * Relu and Conv2D -> FusedBatchNormV3 -> Relu6 each become one _FusedConv2D, and the
 * optimized plan reproduces TF's outputs. */
static void tf_fusedbn_model_fuses(void **state) {
    (void)state;
    char p[512];
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "models/cnn_fusedbn/model.pb"), &g));
    TU_OK(frt_graph_finalize(g));
    const char *fetches[] = {"Identity", "Identity_1"};
    frt_graph *h = optimize(g, (const char *[]){"x"}, 1, fetches, 2);
    assert_int_equal(count_prefix(g, "FusedBatchNorm"), 2);
    assert_int_equal(count_prefix(h, "FusedBatchNorm"), 0);
    assert_int_equal(count_op(h, "_FusedConv2D"), 2);
    assert_int_equal(count_op(h, "Conv2D"), 0);
    assert_string_equal(node(h, "Relu")->op, "_FusedConv2D");
    assert_string_equal(node(h, "Relu6")->op, "_FusedConv2D");
    frt_tensor *x = NULL, *want[2], *got[2];
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "models/cnn_fusedbn/input_0.npy"), &x));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "models/cnn_fusedbn/output_0.npy"), &want[0]));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "models/cnn_fusedbn/output_1.npy"), &want[1]));
    run(h, (const char *[]){"x"}, &x, 1, fetches, 2, got);
    assert_close_and_unref(got, want, 2);
    frt_tensor_unref(x);
    frt_graph_free(h);
    frt_graph_free(g);
}

/* Targets resolve and run; bad input is reported. */
static void targets_and_errors(void **state) {
    (void)state;
    frt_graph *g = fold_graph();
    int t = frt_graph_find(g, "ident");
    frt_edge fe = edge(g, "x"), fo = edge(g, "y");
    frt_graph *h = NULL;
    TU_OK(frt_graph_optimize(g, &fe, 1, &fo, 1, &t, 1, &h));
    assert_true(frt_graph_find(h, "ident") >= 0);
    frt_graph_free(h);
    int bad = 99;
    tu_assert_error(frt_graph_optimize(g, &fe, 1, &fo, 1, &bad, 1, &h), FRT_INVALID_ARGUMENT,
                    "outside the graph");
    assert_null(h);
    frt_edge badf = {0, 7};
    tu_assert_error(frt_graph_optimize(g, &fe, 1, &badf, 1, NULL, 0, &h), FRT_INVALID_ARGUMENT,
                    "out of range");
    frt_graph *raw = frt_graph_new();
    tu_assert_error(frt_graph_optimize(raw, NULL, 0, NULL, 0, NULL, 0, &h),
                    FRT_FAILED_PRECONDITION, "finalized");
    frt_graph_free(raw);
    /* options: no folding, no fusion leaves the graph as it was */
    frt_optimize_options o = {.no_fold = true, .no_fuse = true};
    TU_OK(frt_graph_optimize_opts(g, &fe, 1, &fo, 1, NULL, 0, &o, &h));
    assert_string_equal(node(h, "add")->op, "AddV2");
    assert_int_equal(h->n_nodes, g->n_nodes);
    frt_graph_free(h);
    frt_graph_free(g);
}

int main(void) {
    frt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folding_replaces_constant_subgraphs),
        cmocka_unit_test(fed_tensors_block_folding),
        cmocka_unit_test(folding_respects_control_and_state),
        cmocka_unit_test(fusion_makes_tf_fused_ops),
        cmocka_unit_test(fetched_intermediates_block_fusion),
        cmocka_unit_test(every_pattern_keeps_results),
        cmocka_unit_test(batch_norms_fold_into_convs),
        cmocka_unit_test(batch_norms_that_stay),
        cmocka_unit_test(pads_fold_into_convs),
        cmocka_unit_test(pads_that_stay),
        cmocka_unit_test(tf_fusedbn_model_fuses),
        cmocka_unit_test(targets_and_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
