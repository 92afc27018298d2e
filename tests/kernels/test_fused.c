/* tests/kernels/test_fused.c: _FusedConv2D, _FusedDepthwiseConv2dNative and _FusedMatMul
 * against the unfused op sequence (conv/MatMul, BiasAdd, activation kernels) on random
 * inputs: every activation, 1x1 / im2col / grouped convs, depthwise multipliers, strides,
 * paddings, NCHW, transposes, threaded; and the attr / bias errors. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <stdlib.h>
#include <string.h>

static const char *acts[] = {NULL, "Relu", "Relu6", "Elu", "LeakyRelu"};

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

/* fused_ops ["BiasAdd"(, act)], num_args 1, leakyrelu_alpha 0.3 (not TF's default, so the
 * attr is really read). */
static void fused_attrs(frt_attrs *a, const char *act) {
    const char *ops[2] = {"BiasAdd", act};
    attr_strs(a, "fused_ops", ops, act ? 2 : 1);
    tu_attr_int(a, "num_args", 1);
    tu_attr_float(a, "leakyrelu_alpha", 0.3f);
}

/* y = act(BiasAdd(y, bias)) through the unfused kernels; replaces *y. */
static void unfused_epilogue(frt_tensor **y, frt_tensor *bias, const char *act, bool nchw) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    if (nchw) tu_attr_str(&a, "data_format", "NCHW");
    frt_tensor *z = NULL;
    TU_OK(tu_run("BiasAdd", &a, (frt_tensor *[]){*y, bias}, 2, &z, 1));
    frt_attrs_deinit(&a);
    frt_tensor_unref(*y);
    *y = z;
    if (!act) return;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    if (!strcmp(act, "LeakyRelu")) tu_attr_float(&a, "alpha", 0.3f);
    TU_OK(tu_run(act, &a, (frt_tensor *[]){*y}, 1, &z, 1));
    frt_attrs_deinit(&a);
    frt_tensor_unref(*y);
    *y = z;
}

typedef struct conv_case {
    bool depthwise, nchw;
    int64_t N, H, W, C, KH, KW, OC; /* OC: depthwise multiplier for depthwise */
    int64_t cin;                    /* filter input depth (groups = C / cin); 0 = C */
    int64_t s, d;
    const char *padding;
} conv_case;

static void check_conv(const conv_case *c, const char *act, unsigned seed) {
    int64_t cin = c->depthwise ? c->C : (c->cin ? c->cin : c->C);
    int64_t oc = c->depthwise ? c->C * c->OC : c->OC;
    frt_tensor *x = c->nchw ? tu_rand_f32(TU_DIMS(c->N, c->C, c->H, c->W), 4, seed)
                            : tu_rand_f32(TU_DIMS(c->N, c->H, c->W, c->C), 4, seed);
    frt_tensor *f = tu_rand_f32(TU_DIMS(c->KH, c->KW, cin, c->OC), 4, seed + 1);
    frt_tensor *b = tu_rand_f32(TU_DIMS(oc), 1, seed + 2);
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_str(&a, "padding", c->padding);
    if (c->nchw) {
        tu_attr_str(&a, "data_format", "NCHW");
        tu_attr_ints(&a, "strides", TU_DIMS(1, 1, c->s, c->s), 4);
        tu_attr_ints(&a, "dilations", TU_DIMS(1, 1, c->d, c->d), 4);
    } else {
        tu_attr_ints(&a, "strides", TU_DIMS(1, c->s, c->s, 1), 4);
        tu_attr_ints(&a, "dilations", TU_DIMS(1, c->d, c->d, 1), 4);
    }
    if (!strcmp(c->padding, "EXPLICIT"))
        tu_attr_ints(&a, "explicit_paddings",
                     c->nchw ? TU_DIMS(0, 0, 0, 0, 1, 2, 2, 0) : TU_DIMS(0, 0, 1, 2, 2, 0, 0, 0),
                     8);
    const char *op = c->depthwise ? "DepthwiseConv2dNative" : "Conv2D";
    frt_tensor *want = NULL, *got = NULL;
    TU_OK(tu_run(op, &a, (frt_tensor *[]){x, f}, 2, &want, 1));
    unfused_epilogue(&want, b, act, c->nchw);
    fused_attrs(&a, act);
    if (!c->depthwise) tu_attr_types(&a, "TArgs", (frt_dtype[]){FRT_DTYPE_FLOAT}, 1);
    const char *fop = c->depthwise ? "_FusedDepthwiseConv2dNative" : "_FusedConv2D";
    TU_OK(frt_kernel_run_once(fop, &a, (frt_tensor *[]){x, f, b}, 3, &got, 1, tu_pool));
    tu_assert_close_f32(got, want, 1e-5f, 1e-5f);
    frt_tensor_unref(got);
    /* single-threaded too */
    TU_OK(tu_run(fop, &a, (frt_tensor *[]){x, f, b}, 3, &got, 1));
    tu_assert_close_f32(got, want, 1e-5f, 1e-5f);
    frt_tensor_unref(got);
    frt_tensor_unref(want);
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
    frt_tensor_unref(f);
    frt_tensor_unref(b);
}

static const conv_case conv_cases[] = {
    /* 1x1 (the GEMM path; 3600 rows x 96 columns spans several epilogue blocks) */
    {false, false, 1, 60, 60, 24, 1, 1, 96, 0, 1, 1, "SAME"},
    {false, false, 2, 5, 7, 3, 1, 1, 4, 0, 1, 1, "VALID"},
    /* im2col: strides, dilation, paddings, groups, batch */
    {false, false, 1, 17, 16, 3, 3, 3, 8, 0, 2, 1, "SAME"},
    {false, false, 2, 9, 8, 5, 3, 2, 6, 0, 1, 2, "VALID"},
    {false, false, 1, 8, 9, 4, 3, 3, 5, 0, 1, 1, "EXPLICIT"},
    {false, false, 1, 7, 7, 8, 3, 3, 6, 4, 1, 1, "SAME"},
    /* NCHW (transposed at the boundary) */
    {false, true, 2, 6, 5, 3, 3, 3, 4, 0, 2, 1, "SAME"},
    {false, true, 1, 6, 6, 8, 1, 1, 16, 0, 1, 1, "VALID"},
    /* depthwise: multiplier 1 with the 16-channel vector path and a tail, 2, strides */
    {true, false, 1, 11, 10, 32, 3, 3, 1, 0, 1, 1, "SAME"},
    {true, false, 2, 9, 9, 19, 3, 3, 1, 0, 2, 1, "SAME"},
    {true, false, 1, 8, 7, 5, 3, 3, 2, 0, 2, 1, "VALID"},
    {true, false, 1, 9, 9, 3, 3, 3, 3, 0, 1, 2, "SAME"},
    {true, true, 1, 7, 6, 4, 3, 3, 2, 0, 1, 1, "SAME"},
};

static void fused_conv_matches_unfused(void **state) {
    (void)state;
    for (size_t i = 0; i < FRT_COUNTOF(conv_cases); i++)
        for (size_t k = 0; k < FRT_COUNTOF(acts); k++)
            check_conv(&conv_cases[i], acts[k], (unsigned)(100 * i + k));
}

static void check_matmul(int64_t M, int64_t K, int64_t N, bool ta, bool tb, const char *act,
                         unsigned seed) {
    frt_tensor *x = ta ? tu_rand_f32(TU_DIMS(K, M), 2, seed) : tu_rand_f32(TU_DIMS(M, K), 2, seed);
    frt_tensor *w = tb ? tu_rand_f32(TU_DIMS(N, K), 2, seed + 1)
                       : tu_rand_f32(TU_DIMS(K, N), 2, seed + 1);
    frt_tensor *b = tu_rand_f32(TU_DIMS(N), 1, seed + 2);
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_bool(&a, "transpose_a", ta);
    tu_attr_bool(&a, "transpose_b", tb);
    frt_tensor *want = NULL, *got = NULL;
    TU_OK(tu_run("MatMul", &a, (frt_tensor *[]){x, w}, 2, &want, 1));
    unfused_epilogue(&want, b, act, false);
    fused_attrs(&a, act);
    TU_OK(frt_kernel_run_once("_FusedMatMul", &a, (frt_tensor *[]){x, w, b}, 3, &got, 1,
                              tu_pool));
    tu_assert_close_f32(got, want, 1e-5f, 1e-5f);
    frt_tensor_unref(got);
    frt_tensor_unref(want);
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
    frt_tensor_unref(w);
    frt_tensor_unref(b);
}

static void fused_matmul_matches_unfused(void **state) {
    (void)state;
    for (size_t k = 0; k < FRT_COUNTOF(acts); k++) {
        check_matmul(64, 40, 48, false, false, acts[k], 10 + (unsigned)k); /* row blocks */
        check_matmul(1, 50, 300, false, true, acts[k], 20 + (unsigned)k);  /* column blocks */
        check_matmul(7, 5, 3, true, false, acts[k], 30 + (unsigned)k);
        check_matmul(3, 0, 4, false, false, acts[k], 40 + (unsigned)k);   /* K = 0: act(bias) */
    }
}

/* Unsupported fusions, wrong num_args, a bias of the wrong length. */
static void fused_errors(void **state) {
    (void)state;
    frt_tensor *x = tu_rand_f32(TU_DIMS(1, 4, 4, 2), 4, 1);
    frt_tensor *f = tu_rand_f32(TU_DIMS(1, 1, 2, 3), 4, 2);
    frt_tensor *b3 = tu_rand_f32(TU_DIMS(3), 1, 3), *b2 = tu_rand_f32(TU_DIMS(2), 1, 4);
    frt_tensor *out = NULL;
    struct {
        const char *ops[2];
        int nops, num_args;
        frt_tensor *bias;
        frt_code code;
        const char *needle;
    } cases[] = {
        {{"Relu", NULL}, 1, 1, b3, FRT_UNIMPLEMENTED, "Fusion is not implemented: [Relu]"},
        {{"BiasAdd", "Sigmoid"}, 2, 1, b3, FRT_UNIMPLEMENTED, "[BiasAdd,Sigmoid]"},
        {{NULL, NULL}, 0, 0, b3, FRT_UNIMPLEMENTED, "Fusion is not implemented: []"},
        {{"BiasAdd", NULL}, 1, 2, b3, FRT_INVALID_ARGUMENT, "num_args = 2"},
        {{"BiasAdd", "Relu"}, 2, 1, b2, FRT_INVALID_ARGUMENT, "vector of 3 output channels"},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        frt_attrs a;
        frt_attrs_init(&a);
        tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
        tu_attr_str(&a, "padding", "SAME");
        tu_attr_ints(&a, "strides", TU_DIMS(1, 1, 1, 1), 4);
        attr_strs(&a, "fused_ops", cases[i].ops, cases[i].nops);
        tu_attr_int(&a, "num_args", cases[i].num_args);
        tu_assert_error(tu_run("_FusedConv2D", &a, (frt_tensor *[]){x, f, cases[i].bias}, 3,
                               &out, 1),
                        cases[i].code, cases[i].needle);
        assert_null(out);
        frt_attrs_deinit(&a);
    }
    /* _FusedMatMul: the bias must match the product's columns. */
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    fused_attrs(&a, "Relu");
    frt_tensor *m = tu_rand_f32(TU_DIMS(2, 2), 2, 5);
    tu_assert_error(tu_run("_FusedMatMul", &a, (frt_tensor *[]){m, m, b3}, 3, &out, 1),
                    FRT_INVALID_ARGUMENT, "vector of 2 output channels");
    frt_attrs_deinit(&a);
    frt_tensor_unref(m);
    frt_tensor_unref(x);
    frt_tensor_unref(f);
    frt_tensor_unref(b3);
    frt_tensor_unref(b2);
}

int main(void) {
    frt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fused_conv_matches_unfused),
        cmocka_unit_test(fused_matmul_matches_unfused),
        cmocka_unit_test(fused_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
