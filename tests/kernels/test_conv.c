/* tests/kernels/test_conv.c: Conv2D and DepthwiseConv2dNative against hand-computed values and
 * a direct 7-loop reference on random inputs (strides, dilations, SAME/VALID/EXPLICIT, odd and
 * even sizes, 1x1, groups, multipliers, batch > 1, NCHW), threaded and not; error cases. */
#include "util/test_util.h"
#include "runtime/init.h"

#include <stdlib.h>
#include <string.h>

typedef struct cfg {
    int64_t N, H, W, C, KH, KW, OC; /* OC: Conv2D output channels, depthwise multiplier */
    int64_t sh, sw, dh, dw;
    const char *padding;
    int64_t pt, pb, pl, pr;  /* EXPLICIT only */
    int64_t groups;          /* Conv2D only; 0 = 1 */
} cfg;

/* Output size and leading pad per the windowed rule in spec/ops.md 2.3. */
static void out_dim(const char *pad, int64_t in, int64_t k, int64_t d, int64_t s, int64_t eb,
                    int64_t ea, int64_t *out, int64_t *before) {
    int64_t keff = (k - 1) * d + 1;
    if (strcmp(pad, "VALID") == 0) {
        *out = (in - keff + s) / s;
        *before = 0;
    } else if (strcmp(pad, "SAME") == 0) {
        *out = (in + s - 1) / s;
        int64_t total = (*out - 1) * s + keff - in;
        *before = (total > 0 ? total : 0) / 2;
    } else {
        *out = (in + eb + ea - keff + s) / s;
        *before = eb;
    }
}

static void set_attrs(frt_attrs *a, const cfg *c, bool nchw) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", FRT_DTYPE_FLOAT);
    if (nchw) {
        tu_attr_ints(a, "strides", TU_DIMS(1, 1, c->sh, c->sw), 4);
        tu_attr_ints(a, "dilations", TU_DIMS(1, 1, c->dh, c->dw), 4);
        tu_attr_str(a, "data_format", "NCHW");
    } else {
        tu_attr_ints(a, "strides", TU_DIMS(1, c->sh, c->sw, 1), 4);
        tu_attr_ints(a, "dilations", TU_DIMS(1, c->dh, c->dw, 1), 4);
    }
    tu_attr_str(a, "padding", c->padding);
    if (strcmp(c->padding, "EXPLICIT") == 0) {
        if (nchw) tu_attr_ints(a, "explicit_paddings", TU_DIMS(0, 0, 0, 0, c->pt, c->pb, c->pl, c->pr), 8);
        else tu_attr_ints(a, "explicit_paddings", TU_DIMS(0, 0, c->pt, c->pb, c->pl, c->pr, 0, 0), 8);
    }
}

/* Direct reference: Conv2D (grouped) or depthwise, NHWC. */
static frt_tensor *reference(const cfg *c, bool depthwise, const frt_tensor *x,
                             const frt_tensor *f) {
    int64_t OH, OW, pt, pl;
    out_dim(c->padding, c->H, c->KH, c->dh, c->sh, c->pt, c->pb, &OH, &pt);
    out_dim(c->padding, c->W, c->KW, c->dw, c->sw, c->pl, c->pr, &OW, &pl);
    int64_t G = c->groups ? c->groups : 1, cin_g = c->C / G;
    int64_t OC = depthwise ? c->C * c->OC : c->OC, og = OC / G;
    frt_tensor *y = tu_f32(TU_DIMS(c->N, OH, OW, OC), 4, NULL);
    const float *xd = frt_tensor_f32(x), *fd = frt_tensor_f32(f);
    for (int64_t n = 0; n < c->N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t co = 0; co < OC; co++) {
                    double s = 0;
                    for (int64_t ky = 0; ky < c->KH; ky++)
                        for (int64_t kx = 0; kx < c->KW; kx++) {
                            int64_t iy = oy * c->sh + ky * c->dh - pt;
                            int64_t ix = ox * c->sw + kx * c->dw - pl;
                            if (iy < 0 || iy >= c->H || ix < 0 || ix >= c->W) continue;
                            const float *px = xd + ((n * c->H + iy) * c->W + ix) * c->C;
                            if (depthwise) {
                                int64_t ci = co / c->OC, m = co % c->OC;
                                s += (double)px[ci] * fd[((ky * c->KW + kx) * c->C + ci) * c->OC + m];
                            } else {
                                int64_t g = co / og;
                                for (int64_t ci = 0; ci < cin_g; ci++)
                                    s += (double)px[g * cin_g + ci] *
                                         fd[((ky * c->KW + kx) * cin_g + ci) * OC + co];
                            }
                        }
                    frt_tensor_f32(y)[((n * OH + oy) * OW + ox) * OC + co] = (float)s;
                }
    return y;
}

/* [N,A,B,...] planes: dst = src with the two middle groups swapped (NHWC <-> NCHW). */
static frt_tensor *swap_layout(const frt_tensor *t, bool to_nchw) {
    int64_t N = t->dims[0];
    int64_t A = to_nchw ? t->dims[1] * t->dims[2] : t->dims[1];
    int64_t B = to_nchw ? t->dims[3] : t->dims[2] * t->dims[3];
    const int64_t *d = t->dims;
    frt_tensor *o = to_nchw ? tu_f32(TU_DIMS(d[0], d[3], d[1], d[2]), 4, NULL)
                            : tu_f32(TU_DIMS(d[0], d[2], d[3], d[1]), 4, NULL);
    for (int64_t n = 0; n < N; n++)
        for (int64_t a = 0; a < A; a++)
            for (int64_t b = 0; b < B; b++)
                frt_tensor_f32(o)[(n * B + b) * A + a] = frt_tensor_f32(t)[(n * A + a) * B + b];
    return o;
}

static void check(const cfg *c, bool depthwise, unsigned seed) {
    int64_t G = c->groups ? c->groups : 1;
    frt_tensor *x = tu_rand_f32(TU_DIMS(c->N, c->H, c->W, c->C), 4, seed);
    frt_tensor *f = depthwise ? tu_rand_f32(TU_DIMS(c->KH, c->KW, c->C, c->OC), 4, seed + 7)
                              : tu_rand_f32(TU_DIMS(c->KH, c->KW, c->C / G, c->OC), 4, seed + 7);
    frt_tensor *want = reference(c, depthwise, x, f);
    const char *op = depthwise ? "DepthwiseConv2dNative" : "Conv2D";
    for (int mode = 0; mode < 3; mode++) { /* NHWC, NHWC threaded, NCHW threaded */
        frt_attrs a;
        set_attrs(&a, c, mode == 2);
        frt_tensor *xin = mode == 2 ? swap_layout(x, true) : frt_tensor_ref(x), *y;
        frt_tensor *ins[2] = {xin, f};
        frt_status *st = frt_kernel_run_once(op, &a, ins, 2, &y, 1, mode ? tu_pool : NULL);
        if (st)
            fail_msg("%s %lldx%lldx%lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld %s mode %d: %s", op,
                     (long long)c->N, (long long)c->H, (long long)c->W, (long long)c->C,
                     (long long)c->KH, (long long)c->KW, (long long)c->sh, (long long)c->sw,
                     (long long)c->dh, (long long)c->dw, c->padding, mode, frt_status_message(st));
        frt_tensor *got = mode == 2 ? swap_layout(y, false) : frt_tensor_ref(y);
        tu_assert_close_f32(got, want, 1e-4f, 1e-4f);
        frt_tensor_unref(got);
        frt_tensor_unref(y);
        frt_tensor_unref(xin);
        frt_attrs_deinit(&a);
    }
    frt_tensor_unref(x);
    frt_tensor_unref(f);
    frt_tensor_unref(want);
}

static const cfg conv_cfgs[] = {
    /* N  H   W   C  KH KW OC sh sw dh dw pad */
    {1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, "VALID", 0, 0, 0, 0, 0},
    {1, 7, 6, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},
    {2, 8, 8, 3, 3, 3, 8, 2, 2, 1, 1, "SAME", 0, 0, 0, 0, 0},     /* stem-like, even input */
    {1, 9, 9, 4, 3, 3, 5, 2, 2, 1, 1, "SAME", 0, 0, 0, 0, 0},     /* odd input */
    {1, 9, 10, 4, 3, 2, 5, 2, 1, 1, 1, "VALID", 0, 0, 0, 0, 0},
    {2, 6, 6, 16, 1, 1, 24, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},   /* 1x1 = one GEMM */
    {1, 6, 6, 16, 1, 1, 8, 1, 1, 1, 1, "VALID", 0, 0, 0, 0, 0},
    {1, 7, 7, 8, 1, 1, 8, 2, 2, 1, 1, "SAME", 0, 0, 0, 0, 0},     /* 1x1 strided */
    {1, 9, 9, 3, 3, 3, 4, 1, 1, 2, 2, "SAME", 0, 0, 0, 0, 0},     /* dilation 2 */
    {1, 10, 9, 3, 3, 3, 4, 1, 2, 2, 1, "VALID", 0, 0, 0, 0, 0},
    {1, 6, 7, 3, 3, 3, 2, 1, 1, 1, 1, "EXPLICIT", 1, 2, 0, 3, 0},
    {2, 5, 5, 2, 2, 2, 3, 2, 2, 1, 1, "EXPLICIT", 1, 1, 1, 1, 0},
    {1, 6, 6, 8, 3, 3, 6, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 2},     /* 2 groups */
    {1, 5, 5, 6, 3, 3, 6, 2, 2, 1, 1, "VALID", 0, 0, 0, 0, 3},
    {1, 2, 2, 3, 3, 3, 4, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},     /* kernel > input */
    {1, 40, 40, 8, 3, 3, 16, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},  /* several im2col tiles */
    {1, 3, 3, 2, 5, 5, 2, 2, 2, 1, 1, "VALID", 0, 0, 0, 0, 0},    /* 0x0 output */
};

static void conv2d_matches_reference(void **state) {
    (void)state;
    for (size_t i = 0; i < FRT_COUNTOF(conv_cfgs); i++) check(&conv_cfgs[i], false, (unsigned)i);
}

static const cfg dw_cfgs[] = {
    {1, 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},
    {2, 8, 8, 19, 3, 3, 1, 2, 2, 1, 1, "SAME", 0, 0, 0, 0, 0},   /* tail channels */
    {1, 9, 9, 48, 3, 3, 1, 2, 2, 1, 1, "SAME", 0, 0, 0, 0, 0},
    {1, 6, 5, 4, 3, 3, 2, 1, 1, 1, 1, "SAME", 0, 0, 0, 0, 0},    /* multiplier 2 */
    {1, 7, 7, 3, 3, 3, 3, 2, 2, 1, 1, "VALID", 0, 0, 0, 0, 0},
    {1, 9, 9, 16, 3, 3, 1, 1, 1, 2, 2, "SAME", 0, 0, 0, 0, 0},   /* dilation 2 */
    {1, 6, 6, 16, 5, 5, 1, 1, 1, 1, 1, "EXPLICIT", 2, 1, 0, 2, 0},
    {1, 5, 5, 17, 5, 5, 2, 1, 1, 1, 1, "EXPLICIT", 1, 0, 2, 1, 0},
    {3, 4, 4, 8, 1, 1, 1, 1, 1, 1, 1, "VALID", 0, 0, 0, 0, 0},
};

static void depthwise_matches_reference(void **state) {
    (void)state;
    for (size_t i = 0; i < FRT_COUNTOF(dw_cfgs); i++) check(&dw_cfgs[i], true, 100u + (unsigned)i);
}

/* 4x4 input 0..15, 3x3 ones filter, stride 2 SAME: pad_total = 1 goes after (bottom/right),
 * so out[0,0] sums rows/cols 0..2 and out[1,1] rows/cols 2..3. */
static void same_padding_goes_after(void **state) {
    (void)state;
    float xv[16], fv[9];
    for (int i = 0; i < 16; i++) xv[i] = (float)i;
    for (int i = 0; i < 9; i++) fv[i] = 1;
    frt_tensor *x = tu_f32(TU_DIMS(1, 4, 4, 1), 4, xv), *f = tu_f32(TU_DIMS(3, 3, 1, 1), 4, fv);
    cfg c = {.sh = 2, .sw = 2, .dh = 1, .dw = 1, .padding = "SAME"};
    frt_attrs a;
    set_attrs(&a, &c, false);
    frt_tensor *ins[2] = {x, f}, *y;
    TU_OK(tu_run("Conv2D", &a, ins, 2, &y, 1));
    /* [0+1+2+4+5+6+8+9+10, 2+3+6+7+10+11, 8+9+10+12+13+14, 10+11+14+15] */
    frt_tensor *want = tu_f32(TU_DIMS(1, 2, 2, 1), 4, TU_F32(45, 39, 66, 50));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    TU_OK(tu_run("DepthwiseConv2dNative", &a, ins, 2, &y, 1));
    want = tu_f32(TU_DIMS(1, 2, 2, 1), 4, TU_F32(45, 39, 66, 50));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_tensor_unref(x);
    frt_tensor_unref(f);
    frt_attrs_deinit(&a);
}

static void conv_errors(void **state) {
    (void)state;
    cfg c = {.sh = 1, .sw = 1, .dh = 1, .dw = 1, .padding = "SAME"};
    frt_attrs a;
    set_attrs(&a, &c, false);
    frt_tensor *x = tu_f32(TU_DIMS(1, 5, 5, 3), 4, NULL), *x3 = tu_f32(TU_DIMS(5, 5, 3), 3, NULL);
    frt_tensor *f = tu_f32(TU_DIMS(3, 3, 2, 4), 4, NULL), *f3 = tu_f32(TU_DIMS(3, 3, 3), 3, NULL);
    frt_tensor *ok = tu_f32(TU_DIMS(3, 3, 3, 4), 4, NULL), *y;
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, f}, 2, &y, 1), FRT_INVALID_ARGUMENT,
                    "input depth must be evenly divisible by filter depth: 3 vs 2");
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x3, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "input must be 4-dimensional[5,5,3]");
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, f3}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "filter must be 4-dimensional: [3,3,3]");
    tu_assert_error(tu_run("DepthwiseConv2dNative", &a, (frt_tensor *[]){x, f}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "input and filter must have the same depth: 3 vs 2");
    frt_attrs_deinit(&a);

    c.padding = "FULL";
    set_attrs(&a, &c, false);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "unknown padding 'FULL'");
    frt_attrs_deinit(&a);

    c.padding = "SAME";
    set_attrs(&a, &c, false);
    tu_attr_ints(&a, "strides", TU_DIMS(1, 1, 1), 3);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "strides field must specify 4 dimensions");
    tu_attr_ints(&a, "strides", TU_DIMS(2, 1, 1, 1), 4);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1), FRT_UNIMPLEMENTED,
                    "strides in the batch and depth dimensions");
    tu_attr_ints(&a, "strides", TU_DIMS(1, 1, 1, 1), 4);
    tu_attr_ints(&a, "explicit_paddings", TU_DIMS(0, 0, 1, 1, 1, 1, 0, 0), 8);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "must be empty if the padding is not EXPLICIT");
    tu_attr_str(&a, "padding", "EXPLICIT");
    tu_attr_ints(&a, "explicit_paddings", TU_DIMS(0, 0, 1, 1), 4);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "must contain 8 values, but got: 4");
    tu_attr_str(&a, "padding", "VALID");
    tu_attr_ints(&a, "explicit_paddings", NULL, 0);
    frt_tensor *big = tu_f32(TU_DIMS(7, 7, 3, 4), 4, NULL);
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, big}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "Computed output size would be negative");
    tu_attr_str(&a, "data_format", "NCWH");
    tu_assert_error(tu_run("Conv2D", &a, (frt_tensor *[]){x, ok}, 2, &y, 1),
                    FRT_INVALID_ARGUMENT, "data_format 'NCWH'");
    frt_attrs_deinit(&a);
    frt_tensor_unref(big);
    frt_tensor_unref(x);
    frt_tensor_unref(x3);
    frt_tensor_unref(f);
    frt_tensor_unref(f3);
    frt_tensor_unref(ok);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_padding_goes_after),
        cmocka_unit_test(conv2d_matches_reference),
        cmocka_unit_test(depthwise_matches_reference),
        cmocka_unit_test(conv_errors),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
