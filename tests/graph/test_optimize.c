/* tests/graph/test_optimize.c: the graph optimizer (graph/optimize.c, const_fold.c, fuse.c):
 * folding happens and keeps names; fed tensors, stateful ops and control inputs block it;
 * fetched or shared intermediates block fusion; every feed/fetch/target still resolves; a
 * graph with every fusion pattern (Keras-style unfused batch norms, depthwise, Sub on either
 * side, MatMul + bias, NCHW, each activation) gives the same outputs before and after on
 * random inputs, run through the executor. */
#include "util/test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/optimize.h"
#include "runtime/alloc.h"
#include "runtime/executor.h"
#include "util/graph_util.h"

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
    frt_tensor *perm = tu_i32(TU_DIMS(4), 1, TU_I32(0, 3, 1, 2));
    tu_add_const(g, "perm", perm);
    frt_tensor_unref(perm);
    op_t(g, "xt", "Transpose", "x,perm");
    cst(g, "f6", TU_DIMS(3, 3, 3, 5), 4, 90);
    cst(g, "b6", TU_DIMS(5), 1, 91);
    conv(g, "c6", "Conv2D", "xt,f6", 1, true);
    int ba = op_t(g, "c6/bias", "BiasAdd", "c6,b6");
    tu_attr_str(tu_node_attrs(g, ba), "data_format", "NCHW");
    op_t(g, "c6/act", "Relu", "c6/bias");
    /* MatMul + AddV2([1, n]) + Elu; MatMul(transpose_b) + BiasAdd */
    frt_tensor *shp = tu_i32(TU_DIMS(2), 1, TU_I32(2, -1));
    tu_add_const(g, "shape", shp);
    frt_tensor_unref(shp);
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
    for (unsigned seed = 1; seed <= 3; seed++) {
        frt_tensor *x = tu_rand_f32(TU_DIMS(2, 9, 9, 3), 4, seed);
        frt_tensor *want[3], *got[3];
        run(g, feeds, &x, 1, fetches, 3, want);
        run(h, feeds, &x, 1, fetches, 3, got);
        for (int i = 0; i < 3; i++) {
            tu_assert_close_f32(got[i], want[i], 1e-4f, 1e-4f);
            frt_tensor_unref(got[i]);
            frt_tensor_unref(want[i]);
        }
        frt_tensor_unref(x);
    }
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
        cmocka_unit_test(targets_and_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
