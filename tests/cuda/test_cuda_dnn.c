/* tests/cuda/test_cuda_dnn.c: the cuBLAS and cuDNN kernels (cuda/blas.c, cuda/dnn.c) against
 * the CPU kernels on random inputs: each op runs through a plan on the CPU and GPU:0 (inputs
 * fed or Const on the host, copied to the device; the op itself must land on the GPU) and
 * its outputs are compared with frt_kernel_run_once's on the CPU. Covered: MatMul with every
 * transpose, BatchMatMul / V2 / V3 with equal, one-sided and two-sided broadcast batches,
 * _FusedMatMul with each activation, Conv2D in NHWC and NCHW with strides 1 and 2, dilations,
 * VALID, SAME with odd and even sizes (asymmetric padding), EXPLICIT, groups, depthwise with
 * multipliers 1 and 2, the fused convolutions with each activation, conv + batch norm folded
 * by the planner, MaxPool / MaxPoolV2 / AvgPool with every kind of padding, Softmax and
 * LogSoftmax, FusedBatchNorm / V2 / V3 in inference, and concurrent runs of one plan over
 * several input shapes (the algorithm cache and the workspaces). In the simulation build
 * no test may leave a violation behind. Without a GPU (FLOWRT_SIM_GPUS=0, or a machine
 * without one) the tests are skipped. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_impl.h"
#include "runtime/device.h"
#include "runtime/executor.h"
#include "runtime/init.h"
#include "util/graph_util.h"
#include "util/test_util.h"
#ifdef FRT_CUDA_SIM
#include "cuda/sim/sim_internal.h"
#endif

static frt_device *gpu; /* GPU:0, NULL when there is none */

static const float ATOL = 1e-4f, RTOL = 1e-4f;

static int setup(void **state) {
    FRT_ASSERT(tu_pool_setup(state) == 0);
    gpu = tu_open_gpu();
    return 0;
}

static int no_violations(void **state) {
    (void)state;
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
    return 0;
}

#define NEED_GPU()                                                                          \
    do {                                                                                    \
        if (!gpu) skip();                                                                   \
    } while (0)

/* ---- attrs ------------------------------------------------------------------------------ */

static void attr_strs(frt_attrs *a, const char *key, const char *const *v, int n) {
    frt_attr_value x = {.kind = FRT_ATTR_LIST};
    x.v.list.elem = n ? FRT_ATTR_S : FRT_ATTR_NONE;
    x.v.list.n = n;
    x.v.list.v.s = calloc((size_t)n + 1, sizeof(frt_string));
    for (int i = 0; i < n; i++) {
        x.v.list.v.s[i].ptr = strdup(v[i]);
        x.v.list.v.s[i].len = strlen(v[i]);
    }
    frt_attrs_set(a, key, &x);
}

/* fused_ops ["BiasAdd"(, act)], num_args 1, leakyrelu_alpha 0.3 (not the default 0.2). */
static void fused_attrs(frt_attrs *a, const char *act) {
    const char *ops[2] = {"BiasAdd", act};
    attr_strs(a, "fused_ops", ops, act ? 2 : 1);
    tu_attr_int(a, "num_args", 1);
    tu_attr_float(a, "leakyrelu_alpha", 0.3f);
}

/* A convolution's attrs: strides (sh, sw) and dilations in data_format order, padding, and
 * explicit pads {top, bottom, left, right} for EXPLICIT. */
static void conv_attrs(frt_attrs *a, bool nchw, int64_t sh, int64_t sw, int64_t dh,
                       int64_t dw, const char *padding, const int64_t *pads) {
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    tu_attr_str(a, "data_format", nchw ? "NCHW" : "NHWC");
    tu_attr_str(a, "padding", padding);
    if (nchw) {
        tu_attr_ints(a, "strides", (int64_t[]){1, 1, sh, sw}, 4);
        tu_attr_ints(a, "dilations", (int64_t[]){1, 1, dh, dw}, 4);
    } else {
        tu_attr_ints(a, "strides", (int64_t[]){1, sh, sw, 1}, 4);
        tu_attr_ints(a, "dilations", (int64_t[]){1, dh, dw, 1}, 4);
    }
    if (pads) {
        int64_t e[8] = {0};
        int hi = nchw ? 2 : 1, wi = hi + 1;
        e[2 * hi] = pads[0], e[2 * hi + 1] = pads[1], e[2 * wi] = pads[2], e[2 * wi + 1] = pads[3];
        tu_attr_ints(a, "explicit_paddings", e, 8);
    }
}

static void pool_attrs(frt_attrs *a, bool nchw, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                       const char *padding, const int64_t *pads) {
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    tu_attr_str(a, "data_format", nchw ? "NCHW" : "NHWC");
    tu_attr_str(a, "padding", padding);
    tu_attr_ints(a, "ksize", nchw ? (int64_t[]){1, 1, kh, kw} : (int64_t[]){1, kh, kw, 1}, 4);
    tu_attr_ints(a, "strides", nchw ? (int64_t[]){1, 1, sh, sw} : (int64_t[]){1, sh, sw, 1}, 4);
    if (pads) {
        int64_t e[8] = {0};
        int hi = nchw ? 2 : 1, wi = hi + 1;
        e[2 * hi] = pads[0], e[2 * hi + 1] = pads[1], e[2 * wi] = pads[2], e[2 * wi + 1] = pads[3];
        tu_attr_ints(a, "explicit_paddings", e, 8);
    }
}

/* ---- running an op on the GPU and on the CPU ---------------------------------------------- */

enum { MAX_IN = 6, MAX_OUT = 6 };

/* The env of a plan on the CPU and the GPU. */
static frt_exec_env gpu_env(frt_allocator **allocs) {
    allocs[0] = frt_cpu_allocator_default();
    allocs[1] = gpu->alloc;
    return (frt_exec_env){.pool = tu_pool, .alloc = allocs[0], .allocs = allocs};
}

/* Runs op (attrs a) on inputs `in` (input i a Const when const_mask has bit i, else fed)
 * through a plan on CPU + GPU:0, asserting that the op runs on the GPU; compares its first
 * n_cmp outputs with the CPU kernel's (frt_kernel_run_once), or with want[] when given. */
static void check_op_vs(const char *op, const frt_attrs *a, frt_tensor *const *in, int n_in,
                        unsigned const_mask, int n_cmp, frt_tensor *const *want_given,
                        float atol, float rtol) {
    frt_graph *g = frt_graph_new();
    char inputs[128] = "";
    const char *feed_names[MAX_IN];
    frt_tensor *feeds[MAX_IN];
    int n_feeds = 0;
    static const char *const in_names[MAX_IN] = {"in0", "in1", "in2", "in3", "in4", "in5"};
    for (int i = 0; i < n_in; i++) {
        if (const_mask & (1u << i)) {
            tu_add_const(g, in_names[i], in[i]);
        } else {
            int p = tu_add_node(g, in_names[i], "Placeholder", NULL);
            tu_attr_type(tu_node_attrs(g, p), "dtype", in[i]->dtype);
            feed_names[n_feeds] = in_names[i];
            feeds[n_feeds++] = in[i];
        }
        snprintf(inputs + strlen(inputs), sizeof inputs - strlen(inputs), "%s%s", i ? "," : "",
                 in_names[i]);
    }
    int node = tu_add_node(g, "op", op, inputs);
    frt_attrs_copy(tu_node_attrs(g, node), a);
    TU_OK(frt_graph_finalize(g));

    frt_tensor *want[MAX_OUT] = {0};
    int n_out = g->nodes[node].n_outputs;
    if (n_out < 0) n_out = n_cmp; /* an op the registry does not define (MaxPoolV2) */
    assert_true(n_out >= n_cmp && n_out <= MAX_OUT);
    if (want_given) {
        for (int k = 0; k < n_cmp; k++) want[k] = frt_tensor_ref(want_given[k]);
    } else {
        TU_OK(frt_kernel_run_once(op, &g->nodes[node].attrs, in, n_in, want, n_out, tu_pool));
    }

    char fetch_buf[MAX_OUT][16];
    const char *fetches[MAX_OUT];
    for (int k = 0; k < n_cmp; k++) {
        if (k == 0) snprintf(fetch_buf[k], sizeof fetch_buf[k], "op");
        else snprintf(fetch_buf[k], sizeof fetch_buf[k], "op:%d", k);
        fetches[k] = fetch_buf[k];
    }
    frt_device *devs[2] = {frt_device_cpu(), gpu};
    frt_plan_config cfg = {.optimize = false, .n_devices = 2, .devices = devs};
    frt_plan *p = NULL;
    TU_OK(frt_plan_build_config(g, feed_names, n_feeds, fetches, n_cmp, NULL, 0, &cfg, &p));
    bool on_gpu = false;
    for (int i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].def && p->nodes[i].node == frt_graph_find(p->g, "op"))
            on_gpu = p->nodes[i].device == 1 && p->nodes[i].def->device == FRT_DEVICE_CUDA;
    if (!on_gpu) fail_msg("%s did not run on the GPU", op);
    frt_allocator *allocs[2];
    frt_exec_env env = gpu_env(allocs);
    frt_tensor *got[MAX_OUT] = {0};
    TU_OK(frt_plan_run(p, &env, feeds, got));
    for (int k = 0; k < n_cmp; k++) {
        tu_assert_close_f32(got[k], want[k], atol, rtol);
        frt_tensor_unref(got[k]);
    }
    for (int k = 0; k < MAX_OUT; k++) frt_tensor_unref(want[k]);
    frt_plan_free(p);
    frt_graph_free(g);
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
}

static void check_op(const char *op, const frt_attrs *a, frt_tensor *const *in, int n_in,
                     unsigned const_mask) {
    check_op_vs(op, a, in, n_in, const_mask, 1, NULL, ATOL, RTOL);
}

/* Runs op on the GPU (all inputs fed) and expects the error `code` with `needle` in its
 * message, from building the plan (init) or from running it. */
static void expect_gpu_error(const char *op, const frt_attrs *a, frt_tensor *const *in,
                             int n_in, frt_code code, const char *needle) {
    frt_graph *g = frt_graph_new();
    char inputs[128] = "";
    static const char *const in_names[MAX_IN] = {"in0", "in1", "in2", "in3", "in4", "in5"};
    for (int i = 0; i < n_in; i++) {
        int p = tu_add_node(g, in_names[i], "Placeholder", NULL);
        tu_attr_type(tu_node_attrs(g, p), "dtype", in[i]->dtype);
        snprintf(inputs + strlen(inputs), sizeof inputs - strlen(inputs), "%s%s", i ? "," : "",
                 in_names[i]);
    }
    int node = tu_add_node(g, "op", op, inputs);
    frt_attrs_copy(tu_node_attrs(g, node), a);
    TU_OK(frt_graph_finalize(g));
    frt_device *devs[2] = {frt_device_cpu(), gpu};
    frt_plan_config cfg = {.n_devices = 2, .devices = devs};
    frt_plan *p = NULL;
    const char *fetch = "op";
    frt_status *st = frt_plan_build_config(g, (const char *const *)in_names, n_in, &fetch, 1,
                                           NULL, 0, &cfg, &p);
    if (!st) {
        frt_allocator *allocs[2];
        frt_exec_env env = gpu_env(allocs);
        frt_tensor *got = NULL;
        st = frt_plan_run(p, &env, in, &got);
        assert_null(got);
        if (st) assert_non_null(strstr(frt_status_message(st), "on GPU:0"));
    }
    tu_assert_error(st, code, needle);
    frt_plan_free(p);
    frt_graph_free(g);
}

static void unref_all(frt_tensor **t, int n) {
    for (int i = 0; i < n; i++) frt_tensor_unref(t[i]);
}

/* ---- cuBLAS ----------------------------------------------------------------------------- */

static void matmul_transposes(void **state) {
    (void)state;
    NEED_GPU();
    for (int t = 0; t < 4; t++) {
        bool ta = t & 1, tb = t & 2;
        int64_t M = 5, K = 7, N = 3;
        frt_tensor *in[2] = {
            tu_rand_f32(ta ? (int64_t[]){K, M} : (int64_t[]){M, K}, 2, 10u + (unsigned)t),
            tu_rand_f32(tb ? (int64_t[]){N, K} : (int64_t[]){K, N}, 2, 20u + (unsigned)t)};
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
        tu_attr_bool(&a, "transpose_a", ta);
        tu_attr_bool(&a, "transpose_b", tb);
        check_op("MatMul", &a, in, 2, t == 3 ? 2u : 0u);
        frt_attrs_deinit(&a);
        unref_all(in, 2);
    }
}

/* An empty inner dimension gives zeros; empty rows give an empty output. */
static void matmul_empty(void **state) {
    (void)state;
    NEED_GPU();
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *in[2] = {tu_f32((int64_t[]){4, 0}, 2, NULL), tu_f32((int64_t[]){0, 3}, 2, NULL)};
    check_op("MatMul", &a, in, 2, 0);
    unref_all(in, 2);
    frt_tensor *in2[2] = {tu_f32((int64_t[]){0, 5}, 2, NULL),
                          tu_rand_f32((int64_t[]){5, 3}, 2, 3)};
    check_op("MatMul", &a, in2, 2, 0);
    unref_all(in2, 2);
    frt_attrs_deinit(&a);
}

static void batch_matmul_broadcasting(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        const char *op;
        int xr, yr;
        int64_t x[4], y[4];
        bool ax, ay;
    } cases[] = {
        {"BatchMatMul", 3, 3, {3, 4, 5}, {3, 5, 6}, false, false},
        {"BatchMatMulV2", 4, 4, {2, 3, 4, 5}, {2, 3, 5, 6}, false, false},
        {"BatchMatMulV2", 4, 2, {2, 3, 4, 5}, {5, 6}, false, false},        /* y shared */
        {"BatchMatMulV2", 3, 3, {1, 4, 5}, {3, 5, 6}, false, false},        /* x batch 1 */
        {"BatchMatMulV2", 3, 3, {3, 5, 4}, {1, 6, 5}, true, true},          /* adjoints */
        {"BatchMatMulV2", 4, 4, {2, 1, 4, 5}, {1, 3, 5, 6}, false, false},  /* both broadcast */
        {"BatchMatMulV3", 3, 4, {3, 5, 4}, {2, 3, 5, 6}, true, false},
        {"BatchMatMulV2", 3, 3, {2, 4, 0}, {2, 0, 6}, false, false},        /* empty K */
    };
    for (size_t c = 0; c < FRT_COUNTOF(cases); c++) {
        frt_tensor *in[2] = {tu_rand_f32(cases[c].x, cases[c].xr, 30u + (unsigned)c),
                             tu_rand_f32(cases[c].y, cases[c].yr, 40u + (unsigned)c)};
        frt_attrs a;
        frt_attrs_init(&a);
        if (!strcmp(cases[c].op, "BatchMatMulV3")) {
            tu_attr_type(&a, "Ta", FRT_DTYPE_FLOAT);
            tu_attr_type(&a, "Tb", FRT_DTYPE_FLOAT);
            tu_attr_type(&a, "Tout", FRT_DTYPE_FLOAT);
        } else {
            tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
        }
        tu_attr_bool(&a, "adj_x", cases[c].ax);
        tu_attr_bool(&a, "adj_y", cases[c].ay);
        check_op(cases[c].op, &a, in, 2, 0);
        frt_attrs_deinit(&a);
        unref_all(in, 2);
    }
}

/* y = act(x w + b) through the CPU's MatMul, BiasAdd and activation kernels. */
static frt_tensor *unfused_matmul(frt_tensor *x, frt_tensor *w, frt_tensor *b, const char *act) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *y = NULL, *z = NULL, *r = NULL;
    TU_OK(tu_run("MatMul", &a, (frt_tensor *[]){x, w}, 2, &y, 1));
    TU_OK(tu_run("BiasAdd", &a, (frt_tensor *[]){y, b}, 2, &z, 1));
    TU_OK(tu_run(act, &a, &z, 1, &r, 1));
    frt_attrs_deinit(&a);
    frt_tensor_unref(y);
    frt_tensor_unref(z);
    return r;
}

static void fused_matmul_activations(void **state) {
    (void)state;
    NEED_GPU();
    const char *acts[] = {NULL, "Relu", "Relu6", "Elu", "LeakyRelu", "Tanh", "Sigmoid"};
    for (size_t i = 0; i < FRT_COUNTOF(acts); i++) {
        /* Scaled so that Relu6 clips and Elu sees large negatives. */
        frt_tensor *in[3] = {tu_rand_f32((int64_t[]){6, 9}, 2, 50u + (unsigned)i),
                             tu_rand_f32((int64_t[]){9, 11}, 2, 60u + (unsigned)i),
                             tu_rand_f32((int64_t[]){11}, 1, 70u + (unsigned)i)};
        for (int64_t k = 0; k < in[0]->n; k++) frt_tensor_f32(in[0])[k] *= 4.0f;
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
        fused_attrs(&a, acts[i]);
        bool gpu_only = acts[i] && (!strcmp(acts[i], "Tanh") || !strcmp(acts[i], "Sigmoid"));
        if (gpu_only) { /* the CPU's _FusedMatMul does not take these: compose the reference */
            frt_tensor *want = unfused_matmul(in[0], in[1], in[2], acts[i]);
            check_op_vs("_FusedMatMul", &a, in, 3, 6u, 1, &want, ATOL, RTOL);
            frt_tensor_unref(want);
        } else {
            check_op("_FusedMatMul", &a, in, 3, 6u);
        }
        frt_attrs_deinit(&a);
        unref_all(in, 3);
    }
}

/* ---- convolutions ------------------------------------------------------------------------ */

typedef struct conv_case {
    bool nchw;
    int64_t n, h, w, c;      /* input, logical dims */
    int64_t kh, kw, cin, oc; /* filter HWIO (depthwise: cin = C, oc = multiplier) */
    int64_t sh, sw, dh, dw;
    const char *padding;
    int64_t pads[4];         /* EXPLICIT: top, bottom, left, right */
} conv_case;

static frt_tensor *conv_input(const conv_case *c, unsigned seed) {
    return c->nchw ? tu_rand_f32((int64_t[]){c->n, c->c, c->h, c->w}, 4, seed)
                   : tu_rand_f32((int64_t[]){c->n, c->h, c->w, c->c}, 4, seed);
}

static const conv_case conv_cases[] = {
    {false, 1, 7, 7, 3, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", {0}},       /* symmetric SAME */
    {false, 2, 8, 8, 3, 3, 3, 3, 5, 2, 2, 1, 1, "SAME", {0}},       /* even: asymmetric */
    {false, 1, 7, 9, 2, 3, 3, 2, 4, 2, 2, 1, 1, "SAME", {0}},       /* odd: symmetric */
    {false, 1, 6, 5, 3, 2, 2, 3, 2, 1, 1, 1, 1, "SAME", {0}},       /* even kernel */
    {false, 2, 9, 8, 3, 3, 2, 3, 4, 2, 3, 1, 1, "VALID", {0}},
    {false, 1, 9, 9, 2, 3, 3, 2, 3, 1, 1, 2, 2, "SAME", {0}},       /* dilated */
    {false, 1, 9, 8, 2, 3, 2, 2, 3, 1, 1, 2, 3, "VALID", {0}},
    {false, 1, 6, 7, 3, 3, 3, 3, 4, 2, 1, 1, 1, "EXPLICIT", {1, 2, 2, 0}},
    {false, 2, 5, 5, 4, 1, 1, 4, 6, 1, 1, 1, 1, "VALID", {0}},      /* 1x1 */
    {false, 1, 6, 6, 4, 3, 3, 2, 6, 1, 1, 1, 1, "SAME", {0}},       /* 2 groups */
    {true, 1, 7, 7, 3, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", {0}},
    {true, 2, 8, 6, 3, 3, 3, 3, 5, 2, 2, 1, 1, "SAME", {0}},
    {true, 1, 9, 9, 2, 3, 3, 2, 3, 1, 1, 2, 2, "SAME", {0}},
    {true, 1, 6, 7, 3, 3, 3, 3, 4, 1, 2, 1, 1, "EXPLICIT", {0, 1, 3, 1}},
    {true, 2, 8, 7, 3, 2, 3, 3, 4, 3, 2, 1, 1, "VALID", {0}},
    {false, 0, 5, 5, 3, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", {0}},       /* empty batch */
};

static void conv_run(const char *op, const conv_case *c, const char *act, unsigned seed,
                     unsigned const_mask) {
    frt_attrs a;
    frt_attrs_init(&a);
    conv_attrs(&a, c->nchw, c->sh, c->sw, c->dh, c->dw, c->padding,
               strcmp(c->padding, "EXPLICIT") ? NULL : c->pads);
    bool fused = !strncmp(op, "_Fused", 6);
    bool depthwise = strstr(op, "Depthwise") != NULL;
    if (fused) fused_attrs(&a, act);
    if (fused && !depthwise) tu_attr_types(&a, "TArgs", (frt_dtype[]){FRT_DTYPE_FLOAT}, 1);
    frt_tensor *in[3] = {conv_input(c, seed),
                         tu_rand_f32((int64_t[]){c->kh, c->kw, c->cin, c->oc}, 4, seed + 1),
                         NULL};
    int n_in = 2;
    if (fused) in[n_in++] = tu_rand_f32((int64_t[]){depthwise ? c->c * c->oc : c->oc}, 1,
                                        seed + 2);
    check_op(op, &a, in, n_in, const_mask);
    unref_all(in, n_in);
    frt_attrs_deinit(&a);
}

static void conv2d_geometry(void **state) {
    (void)state;
    NEED_GPU();
    for (size_t i = 0; i < FRT_COUNTOF(conv_cases); i++) {
        /* Half the cases read the filter from a Const (uploaded once by the plan). */
        conv_run("Conv2D", &conv_cases[i], NULL, 100u + 7u * (unsigned)i, i % 2 ? 2u : 0u);
    }
}

static void fused_conv2d_activations(void **state) {
    (void)state;
    NEED_GPU();
    const char *acts[] = {NULL, "Relu", "Relu6", "Elu", "LeakyRelu"};
    const size_t pick[] = {0, 1, 7, 11, 13}; /* SAME, asymmetric SAME, EXPLICIT, NCHW */
    for (size_t i = 0; i < FRT_COUNTOF(acts); i++)
        for (size_t p = 0; p < FRT_COUNTOF(pick); p++)
            conv_run("_FusedConv2D", &conv_cases[pick[p]], acts[i],
                     300u + 11u * (unsigned)(i * 7 + p), p % 2 ? 6u : 0u);
}

static const conv_case dw_cases[] = {
    {false, 1, 7, 7, 3, 3, 3, 3, 1, 1, 1, 1, 1, "SAME", {0}},
    {false, 2, 8, 8, 4, 3, 3, 4, 2, 2, 2, 1, 1, "SAME", {0}},       /* multiplier 2, asym */
    {false, 1, 9, 9, 2, 3, 3, 2, 2, 1, 1, 2, 2, "VALID", {0}},      /* dilated */
    {false, 1, 6, 7, 3, 3, 3, 3, 2, 1, 1, 1, 1, "EXPLICIT", {2, 0, 1, 1}},
    {true, 1, 7, 6, 3, 3, 3, 3, 1, 2, 2, 1, 1, "SAME", {0}},
    {true, 2, 6, 6, 2, 3, 3, 2, 2, 1, 1, 1, 1, "SAME", {0}},
};

static void depthwise_multipliers(void **state) {
    (void)state;
    NEED_GPU();
    for (size_t i = 0; i < FRT_COUNTOF(dw_cases); i++)
        conv_run("DepthwiseConv2dNative", &dw_cases[i], NULL, 500u + 3u * (unsigned)i,
                 i % 2 ? 2u : 0u);
    const char *acts[] = {NULL, "Relu", "Relu6", "Elu", "LeakyRelu"};
    for (size_t i = 0; i < FRT_COUNTOF(acts); i++)
        conv_run("_FusedDepthwiseConv2dNative", &dw_cases[i % FRT_COUNTOF(dw_cases)], acts[i],
                 600u + 5u * (unsigned)i, 0);
}

/* x -> Conv2D (Const filter) -> FusedBatchNormV3 (inference, Const vectors) -> Relu, as
 * exported TF1 models have it: the planner folds the batch norm into the filter and a bias
 * and fuses the chain into _FusedConv2D, on the GPU as on the CPU; the results agree. */
static void conv_batch_norm_folded(void **state) {
    (void)state;
    NEED_GPU();
    for (int nchw = 0; nchw < 2; nchw++) {
        int64_t C = 5;
        frt_graph *g = frt_graph_new();
        int x = tu_add_node(g, "x", "Placeholder", NULL);
        tu_attr_type(tu_node_attrs(g, x), "dtype", FRT_DTYPE_FLOAT);
        frt_tensor *w = tu_rand_f32((int64_t[]){3, 3, 3, C}, 4, 71);
        frt_tensor *vec[4];
        for (int i = 0; i < 4; i++) vec[i] = tu_rand_f32((int64_t[]){C}, 1, 80u + (unsigned)i);
        for (int64_t c = 0; c < C; c++) /* a positive variance */
            frt_tensor_f32(vec[3])[c] = fabsf(frt_tensor_f32(vec[3])[c]) + 0.5f;
        tu_add_const(g, "w", w);
        const char *vn[4] = {"scale", "offset", "mean", "var"};
        for (int i = 0; i < 4; i++) tu_add_const(g, vn[i], vec[i]);
        int conv = tu_add_node(g, "conv", "Conv2D", "x,w");
        conv_attrs(tu_node_attrs(g, conv), nchw, 2, 2, 1, 1, "SAME", NULL);
        int bn = tu_add_node(g, "bn", "FusedBatchNormV3", "conv,scale,offset,mean,var");
        frt_attrs *ba = tu_node_attrs(g, bn);
        tu_attr_type(ba, "T", FRT_DTYPE_FLOAT);
        tu_attr_type(ba, "U", FRT_DTYPE_FLOAT);
        tu_attr_bool(ba, "is_training", false);
        tu_attr_float(ba, "epsilon", 0.001f);
        tu_attr_str(ba, "data_format", nchw ? "NCHW" : "NHWC");
        int re = tu_add_node(g, "relu", "Relu", "bn");
        tu_attr_type(tu_node_attrs(g, re), "T", FRT_DTYPE_FLOAT);
        TU_OK(frt_graph_finalize(g));
        frt_tensor *in = nchw ? tu_rand_f32((int64_t[]){2, 3, 8, 8}, 4, 90)
                              : tu_rand_f32((int64_t[]){2, 8, 8, 3}, 4, 90);
        frt_tensor *want = NULL, *got = NULL;
        const char *feed = "x", *fetch = "relu";

        frt_plan *p = NULL;
        frt_plan_config cpu_only = {.optimize = true};
        TU_OK(frt_plan_build_config(g, &feed, 1, &fetch, 1, NULL, 0, &cpu_only, &p));
        frt_exec_env cenv = {.pool = tu_pool, .alloc = frt_cpu_allocator_default()};
        TU_OK(frt_plan_run(p, &cenv, &in, &want));
        frt_plan_free(p);

        frt_device *devs[2] = {frt_device_cpu(), gpu};
        frt_plan_config two = {.optimize = true, .n_devices = 2, .devices = devs};
        TU_OK(frt_plan_build_config(g, &feed, 1, &fetch, 1, NULL, 0, &two, &p));
        bool fused_on_gpu = false;
        for (int i = 0; i < p->n_nodes; i++) {
            const frt_plan_node *pn = &p->nodes[i];
            if (pn->def && !strcmp(p->g->nodes[pn->node].op, "_FusedConv2D"))
                fused_on_gpu = pn->def->device == FRT_DEVICE_CUDA;
        }
        assert_true(fused_on_gpu);
        frt_allocator *allocs[2];
        frt_exec_env env = gpu_env(allocs);
        TU_OK(frt_plan_run(p, &env, &in, &got));
        tu_assert_close_f32(got, want, ATOL, RTOL);
        frt_plan_free(p);

        frt_tensor_unref(got);
        frt_tensor_unref(want);
        frt_tensor_unref(in);
        frt_tensor_unref(w);
        unref_all(vec, 4);
        frt_graph_free(g);
#ifdef FRT_CUDA_SIM
        assert_int_equal(frt_sim_violations(), 0);
#endif
    }
}

/* ---- concurrent runs: the algorithm cache and the workspaces --------------------------- */

typedef struct conc_arg {
    const frt_plan *p;
    int t;
    frt_status *st;
    int mismatches;
} conc_arg;

static void *conc_run(void *arg) {
    conc_arg *c = arg;
    frt_allocator *allocs[2];
    frt_exec_env env = gpu_env(allocs);
    frt_attrs a;
    frt_attrs_init(&a);
    conv_attrs(&a, false, 1, 1, 1, 1, "SAME", NULL);
    frt_tensor *w = tu_rand_f32((int64_t[]){3, 3, 3, 4}, 4, 7);
    for (int r = 0; r < 6 && !c->st; r++) {
        int64_t hw = 5 + (c->t + r) % 3; /* three shapes in turn: cache hits and misses */
        unsigned seed = 1000u + (unsigned)(c->t * 10 + r);
        frt_tensor *x = tu_rand_f32((int64_t[]){1, hw, hw, 3}, 4, seed);
        frt_tensor *in[2] = {x, w}, *got = NULL, *want = NULL;
        c->st = frt_plan_run(c->p, &env, in, &got);
        if (!c->st) c->st = frt_kernel_run_once("Conv2D", &a, in, 2, &want, 1, NULL);
        if (!c->st) {
            for (int64_t i = 0; i < want->n; i++)
                if (!(fabsf(frt_tensor_f32(got)[i] - frt_tensor_f32(want)[i]) <=
                      ATOL + RTOL * fabsf(frt_tensor_f32(want)[i])))
                    c->mismatches++;
        }
        frt_tensor_unref(x);
        frt_tensor_unref(got);
        frt_tensor_unref(want);
    }
    frt_tensor_unref(w);
    frt_attrs_deinit(&a);
    return NULL;
}

static void concurrent_runs_share_the_kernel(void **state) {
    (void)state;
    NEED_GPU();
    frt_graph *g = frt_graph_new();
    const char *names[2] = {"x", "w"};
    for (int i = 0; i < 2; i++) {
        int p = tu_add_node(g, names[i], "Placeholder", NULL);
        tu_attr_type(tu_node_attrs(g, p), "dtype", FRT_DTYPE_FLOAT);
    }
    int conv = tu_add_node(g, "conv", "Conv2D", "x,w");
    conv_attrs(tu_node_attrs(g, conv), false, 1, 1, 1, 1, "SAME", NULL);
    TU_OK(frt_graph_finalize(g));
    frt_device *devs[2] = {frt_device_cpu(), gpu};
    frt_plan_config cfg = {.n_devices = 2, .devices = devs};
    frt_plan *p = NULL;
    const char *fetch = "conv";
    TU_OK(frt_plan_build_config(g, names, 2, &fetch, 1, NULL, 0, &cfg, &p));
    enum { THREADS = 4 };
    pthread_t th[THREADS];
    conc_arg args[THREADS];
    for (int t = 0; t < THREADS; t++) {
        args[t] = (conc_arg){.p = p, .t = t};
        pthread_create(&th[t], NULL, conc_run, &args[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        TU_OK(args[t].st);
        assert_int_equal(args[t].mismatches, 0);
    }
    frt_plan_free(p);
    frt_graph_free(g);
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
}

/* ---- pooling ----------------------------------------------------------------------------- */

typedef struct pool_case {
    const char *op;
    bool nchw;
    int64_t n, h, w, c, kh, kw, sh, sw;
    const char *padding;
    int64_t pads[4];
} pool_case;

static void pooling_padding(void **state) {
    (void)state;
    NEED_GPU();
    static const pool_case cases[] = {
        {"MaxPool", false, 2, 8, 8, 3, 2, 2, 2, 2, "VALID", {0}},
        {"MaxPool", false, 1, 8, 7, 4, 3, 3, 2, 2, "SAME", {0}},      /* asymmetric */
        {"MaxPool", false, 1, 7, 7, 2, 3, 3, 1, 1, "SAME", {0}},      /* symmetric */
        {"MaxPool", false, 1, 6, 6, 3, 3, 2, 2, 1, "EXPLICIT", {1, 0, 0, 1}},
        {"MaxPool", true, 2, 8, 9, 3, 3, 3, 2, 2, "SAME", {0}},
        {"MaxPool", false, 2, 7, 8, 1, 2, 3, 2, 2, "SAME", {0}},      /* C = 1: no transpose */
        {"AvgPool", false, 2, 8, 8, 3, 2, 2, 2, 2, "VALID", {0}},
        {"AvgPool", false, 1, 8, 7, 4, 3, 3, 2, 2, "SAME", {0}},      /* asymmetric */
        {"AvgPool", false, 1, 7, 7, 2, 3, 3, 1, 1, "SAME", {0}},      /* symmetric, excluded */
        {"AvgPool", true, 2, 8, 9, 3, 3, 2, 2, 3, "SAME", {0}},
        {"AvgPool", true, 1, 6, 6, 2, 2, 2, 1, 1, "SAME", {0}},
        {"AvgPool", false, 1, 6, 5, 1, 3, 3, 2, 2, "SAME", {0}},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        const pool_case *c = &cases[i];
        frt_attrs a;
        frt_attrs_init(&a);
        pool_attrs(&a, c->nchw, c->kh, c->kw, c->sh, c->sw, c->padding,
                   strcmp(c->padding, "EXPLICIT") ? NULL : c->pads);
        unsigned seed = 700u + (unsigned)i;
        frt_tensor *x = c->nchw ? tu_rand_f32((int64_t[]){c->n, c->c, c->h, c->w}, 4, seed)
                                : tu_rand_f32((int64_t[]){c->n, c->h, c->w, c->c}, 4, seed);
        check_op(c->op, &a, &x, 1, 0);
        frt_tensor_unref(x);
        frt_attrs_deinit(&a);
    }
}

/* MaxPoolV2 reads ksize and strides from host-memory inputs. */
static void maxpool_v2_host_inputs(void **state) {
    (void)state;
    NEED_GPU();
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_str(&a, "padding", "SAME");
    frt_tensor *in[3] = {tu_rand_f32((int64_t[]){2, 8, 8, 3}, 4, 77),
                         tu_i32((int64_t[]){4}, 1, (int32_t[]){1, 3, 3, 1}),
                         tu_i32((int64_t[]){4}, 1, (int32_t[]){1, 2, 2, 1})};
    check_op("MaxPoolV2", &a, in, 3, 0);
    check_op("MaxPoolV2", &a, in, 3, 6u);
    unref_all(in, 3);
    frt_attrs_deinit(&a);
}

/* ---- softmax, batch norm ---------------------------------------------------------------- */

static void softmax_last_axis(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        int nd;
        int64_t dims[3];
    } shapes[] = {{2, {4, 10}}, {3, {2, 3, 17}}, {1, {5}}, {2, {3, 1}}};
    const char *ops[] = {"Softmax", "LogSoftmax"};
    for (size_t o = 0; o < 2; o++)
        for (size_t i = 0; i < FRT_COUNTOF(shapes); i++) {
            frt_attrs a;
            frt_attrs_init(&a);
            tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
            frt_tensor *x = tu_rand_f32(shapes[i].dims, shapes[i].nd, 800u + (unsigned)i);
            for (int64_t k = 0; k < x->n; k++) frt_tensor_f32(x)[k] *= 8.0f;
            check_op(ops[o], &a, &x, 1, 0);
            frt_tensor_unref(x);
            frt_attrs_deinit(&a);
        }
}

static void batch_norm_inference(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        const char *op, *fmt;
        int nd;
        int64_t dims[5];
        int cdim;
    } cases[] = {
        {"FusedBatchNormV3", "NHWC", 4, {2, 5, 4, 3}, 3},
        {"FusedBatchNormV3", "NCHW", 4, {2, 3, 5, 4}, 1},
        {"FusedBatchNormV2", "NHWC", 4, {1, 3, 3, 6}, 3},
        {"FusedBatchNorm", "NCHW", 4, {3, 2, 4, 4}, 1},
        {"FusedBatchNormV3", "NDHWC", 5, {1, 2, 3, 4, 3}, 4},
        {"FusedBatchNormV3", "NCDHW", 5, {2, 3, 2, 3, 4}, 1},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        int64_t C = cases[i].dims[cases[i].cdim];
        frt_tensor *in[5] = {tu_rand_f32(cases[i].dims, cases[i].nd, 900u + (unsigned)i)};
        for (int k = 1; k < 5; k++) in[k] = tu_rand_f32(&C, 1, 910u + (unsigned)(i * 5 + k));
        for (int64_t c = 0; c < C; c++)
            frt_tensor_f32(in[4])[c] = fabsf(frt_tensor_f32(in[4])[c]) + 0.25f;
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
        if (strcmp(cases[i].op, "FusedBatchNorm")) tu_attr_type(&a, "U", FRT_DTYPE_FLOAT);
        tu_attr_bool(&a, "is_training", false);
        tu_attr_float(&a, "epsilon", 0.001f);
        tu_attr_str(&a, "data_format", cases[i].fmt);
        /* y, and the mean and variance passed through; the vectors are Consts half the time. */
        check_op_vs(cases[i].op, &a, in, 5, i % 2 ? 0x1eu : 0u, 3, NULL, ATOL, RTOL);
        frt_attrs_deinit(&a);
        unref_all(in, 5);
    }
}

/* Training mode is the CPU's: the GPU kernel refuses it when the plan is built. */
static void batch_norm_training_refused(void **state) {
    (void)state;
    NEED_GPU();
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "U", FRT_DTYPE_FLOAT);
    tu_attr_bool(&a, "is_training", true);
    const frt_kernel_def *d = frt_kernel_find("FusedBatchNormV3", FRT_DEVICE_CUDA, &a);
    assert_non_null(d);
    frt_kernel_init_ctx ic = {.node_name = "bn", .op = "FusedBatchNormV3", .attrs = &a,
                              .n_inputs = 5, .device = gpu};
    void *st = NULL;
    tu_assert_error(d->init(&ic, &st), FRT_UNIMPLEMENTED, "is_training=true");
    assert_null(st);
    frt_attrs_deinit(&a);
}

/* Bad arguments fail on the GPU as on the CPU, with the CPU kernels' texts. */
static void errors_match_the_cpu(void **state) {
    (void)state;
    NEED_GPU();
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    frt_tensor *mm[2] = {tu_rand_f32((int64_t[]){2, 3}, 2, 1),
                         tu_rand_f32((int64_t[]){4, 5}, 2, 2)};
    expect_gpu_error("MatMul", &a, mm, 2, FRT_INVALID_ARGUMENT, "Matrix size-incompatible");
    fused_attrs(&a, "Relu");
    frt_tensor *fm[3] = {mm[0], tu_rand_f32((int64_t[]){3, 5}, 2, 3),
                         tu_rand_f32((int64_t[]){4}, 1, 4)};
    expect_gpu_error("_FusedMatMul", &a, fm, 3, FRT_INVALID_ARGUMENT,
                     "bias must be a float vector of 5 output channels");
    fused_attrs(&a, "Gelu");
    expect_gpu_error("_FusedMatMul", &a, fm, 3, FRT_UNIMPLEMENTED, "Fusion is not implemented");
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    conv_attrs(&a, false, 1, 1, 1, 1, "SAME", NULL);
    frt_tensor *cv[2] = {tu_rand_f32((int64_t[]){1, 5, 5, 3}, 4, 5),
                         tu_rand_f32((int64_t[]){3, 3, 2, 4}, 4, 6)};
    expect_gpu_error("Conv2D", &a, cv, 2, FRT_INVALID_ARGUMENT,
                     "input depth must be evenly divisible by filter depth");
    frt_tensor *big[2] = {cv[0], tu_rand_f32((int64_t[]){7, 3, 3, 4}, 4, 7)};
    frt_attrs_deinit(&a);
    frt_attrs_init(&a);
    conv_attrs(&a, false, 1, 1, 1, 1, "VALID", NULL);
    expect_gpu_error("Conv2D", &a, big, 2, FRT_INVALID_ARGUMENT,
                     "Computed output size would be negative");
    frt_attrs_deinit(&a);
    unref_all(mm, 2);
    unref_all(fm + 1, 2);
    unref_all(cv, 2);
    frt_tensor_unref(big[1]);
}

int main(void) {
    frt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(matmul_transposes, no_violations),
        cmocka_unit_test_teardown(matmul_empty, no_violations),
        cmocka_unit_test_teardown(batch_matmul_broadcasting, no_violations),
        cmocka_unit_test_teardown(fused_matmul_activations, no_violations),
        cmocka_unit_test_teardown(conv2d_geometry, no_violations),
        cmocka_unit_test_teardown(fused_conv2d_activations, no_violations),
        cmocka_unit_test_teardown(depthwise_multipliers, no_violations),
        cmocka_unit_test_teardown(conv_batch_norm_folded, no_violations),
        cmocka_unit_test_teardown(concurrent_runs_share_the_kernel, no_violations),
        cmocka_unit_test_teardown(pooling_padding, no_violations),
        cmocka_unit_test_teardown(maxpool_v2_host_inputs, no_violations),
        cmocka_unit_test_teardown(softmax_last_axis, no_violations),
        cmocka_unit_test_teardown(batch_norm_inference, no_violations),
        cmocka_unit_test_teardown(batch_norm_training_refused, no_violations),
        cmocka_unit_test_teardown(errors_match_the_cpu, no_violations),
    };
    return cmocka_run_group_tests(tests, setup, tu_pool_teardown);
}
