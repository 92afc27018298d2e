/* bench/bench_conv.c: MobileNetV2-like layers (224x224, batch 1) through flowrt's CPU kernels:
 * the 3x3 stride-2 stem, 1x1 expand/project convs, 3x3 depthwise convs (stride 1 and 2), the
 * final 1x1 conv, and a FusedBatchNormV3 and a 7x7 AvgPool for scale. Each line reports GFLOP/s
 * (2 * multiply-adds). Usage: bench_conv [--threads N] (default: number of CPUs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness.h"
#include "core/kernel.h"
#include "runtime/init.h"

typedef struct layer {
    const char *bench, *op;
    int64_t H, W, C, K, OC, stride; /* OC: output channels (conv) or multiplier (depthwise) */
} layer;

typedef struct run_case {
    const char *op;
    frt_attrs attrs;
    frt_tensor *ins[5];
    int n_in, n_out;
    frt_threadpool *pool;
} run_case;

static frt_status *run(void *arg) {
    run_case *c = arg;
    frt_tensor *outs[6] = {0};
    FRT_TRY(frt_kernel_run_once(c->op, &c->attrs, c->ins, c->n_in, outs, c->n_out, c->pool));
    for (int i = 0; i < c->n_out; i++) frt_tensor_unref(outs[i]);
    return NULL;
}

static void set_ints(frt_attrs *a, const char *key, int64_t v0, int64_t v1, int64_t v2,
                     int64_t v3) {
    frt_attr_value v = {.kind = FRT_ATTR_LIST};
    v.v.list.elem = FRT_ATTR_I;
    v.v.list.n = 4;
    v.v.list.v.i = frt_xmalloc(4 * sizeof(int64_t));
    int64_t vals[4] = {v0, v1, v2, v3};
    memcpy(v.v.list.v.i, vals, sizeof vals);
    frt_attrs_set(a, key, &v);
}

static void set_str(frt_attrs *a, const char *key, const char *s) {
    frt_attr_value v = {.kind = FRT_ATTR_S};
    v.v.s.ptr = frt_xstrdup(s);
    v.v.s.len = strlen(s);
    frt_attrs_set(a, key, &v);
}

static frt_tensor *filled(const int64_t *dims, int ndim, float base) {
    frt_tensor *t = NULL;
    frt_status *st = frt_tensor_new(FRT_DTYPE_FLOAT, dims, ndim, &t);
    if (st) {
        fprintf(stderr, "bench_conv: %s\n", frt_status_message(st));
        exit(1);
    }
    for (int64_t i = 0; i < t->n; i++) frt_tensor_f32(t)[i] = base + (float)(i % 13) * 0.01f;
    return t;
}

int main(int argc, char **argv) {
    frt_init();
    int threads = frt_bench_arg_int(argc, argv, "--threads", frt_num_cpus());
    if (threads < 1) threads = 1;
    frt_threadpool *pool = threads > 1 ? frt_threadpool_new(threads - 1) : NULL;
    static const layer layers[] = {
        {"conv", "Conv2D", 224, 224, 3, 3, 32, 2},                   /* stem */
        {"conv", "Conv2D", 112, 112, 32, 1, 16, 1},                  /* block 0 project */
        {"conv", "Conv2D", 56, 56, 24, 1, 144, 1},                   /* expand */
        {"conv", "Conv2D", 56, 56, 144, 1, 24, 1},                   /* project */
        {"conv", "Conv2D", 7, 7, 320, 1, 1280, 1},                   /* last 1x1 */
        {"depthwise", "DepthwiseConv2dNative", 112, 112, 32, 3, 1, 1},
        {"depthwise", "DepthwiseConv2dNative", 112, 112, 96, 3, 1, 2},
        {"depthwise", "DepthwiseConv2dNative", 56, 56, 144, 3, 1, 1},
        {"depthwise", "DepthwiseConv2dNative", 14, 14, 576, 3, 1, 1},
        {"depthwise", "DepthwiseConv2dNative", 7, 7, 960, 3, 1, 1},
        {"batch_norm", "FusedBatchNormV3", 112, 112, 96, 0, 0, 1},
        {"pool", "AvgPool", 7, 7, 1280, 7, 0, 7},
    };
    frt_bench_opts opts = frt_bench_default_opts();
    int rc = 0;
    for (size_t i = 0; i < sizeof layers / sizeof layers[0] && !rc; i++) {
        const layer *l = &layers[i];
        run_case c = {.op = l->op, .pool = pool, .n_out = 1};
        frt_attrs_init(&c.attrs);
        frt_attr_value t = {.kind = FRT_ATTR_TYPE, .v.type = FRT_DTYPE_FLOAT};
        frt_attrs_set(&c.attrs, "T", &t);
        c.ins[0] = filled((int64_t[]){1, l->H, l->W, l->C}, 4, -0.05f);
        int64_t OH = (l->H + l->stride - 1) / l->stride, OW = (l->W + l->stride - 1) / l->stride;
        double flops = 0;
        char shape[96];
        snprintf(shape, sizeof shape, "1x%lldx%lldx%lld", (long long)l->H, (long long)l->W,
                 (long long)l->C);
        if (strcmp(l->op, "FusedBatchNormV3") == 0) {
            for (int k = 1; k < 5; k++) c.ins[k] = filled((int64_t[]){l->C}, 1, 0.5f);
            c.n_in = 5;
            c.n_out = 6;
            frt_attr_value f = {.kind = FRT_ATTR_B, .v.b = false};
            frt_attrs_set(&c.attrs, "is_training", &f);
            flops = 2.0 * (double)(l->H * l->W * l->C);
        } else if (strcmp(l->op, "AvgPool") == 0) {
            c.n_in = 1;
            set_ints(&c.attrs, "ksize", 1, l->K, l->K, 1);
            set_ints(&c.attrs, "strides", 1, l->stride, l->stride, 1);
            set_str(&c.attrs, "padding", "VALID");
            flops = (double)(l->H * l->W * l->C);
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "_k%lld",
                     (long long)l->K);
        } else {
            bool dw = strcmp(l->op, "Conv2D") != 0;
            c.ins[1] = filled((int64_t[]){l->K, l->K, l->C, l->OC}, 4, -0.03f);
            c.n_in = 2;
            set_ints(&c.attrs, "strides", 1, l->stride, l->stride, 1);
            set_str(&c.attrs, "padding", "SAME");
            int64_t oc = dw ? l->C * l->OC : l->OC;
            flops = 2.0 * (double)(OH * OW * oc) * (double)(l->K * l->K * (dw ? 1 : l->C));
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "_k%lld_s%lld_oc%lld",
                     (long long)l->K, (long long)l->stride, (long long)oc);
        }
        frt_bench_result r;
        frt_status *st = frt_bench_run(&opts, run, &c, &r);
        if (st) {
            fprintf(stderr, "bench_conv %s %s: %s\n", l->op, shape, frt_status_message(st));
            frt_status_free(st);
            rc = 1;
        } else {
            frt_bench_print(l->bench, "f32", shape, threads, &r, flops, NULL);
        }
        for (int k = 0; k < c.n_in; k++) frt_tensor_unref(c.ins[k]);
        frt_attrs_deinit(&c.attrs);
    }
    frt_threadpool_free(pool);
    return rc;
}
