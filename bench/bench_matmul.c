/* bench/bench_matmul.c: GEMM GFLOP/s through flowrt's MatMul kernel (frt_kernel_run_once, the
 * session's splitting over a pool included) side by side with a direct cblas_sgemm at the same
 * thread count, and their ratio (flowrt median / cblas median; 1.00 = no overhead).
 * Usage: bench_matmul [--threads N] (default: number of CPUs). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/harness.h"
#include "core/kernel.h"
#include "runtime/init.h"

typedef struct mm_case {
    frt_tensor *a, *b;
    frt_attrs attrs;
    frt_threadpool *pool;
    int64_t M, N, K;
} mm_case;

static frt_status *run_flowrt(void *arg) {
    mm_case *c = arg;
    frt_tensor *ins[2] = {c->a, c->b}, *out = NULL;
    FRT_TRY(frt_kernel_run_once("MatMul", &c->attrs, ins, 2, &out, 1, c->pool));
    frt_tensor_unref(out);
    return NULL;
}

static frt_status *run_cblas(void *arg) {
    mm_case *c = arg;
    float *C = malloc((size_t)(c->M * c->N) * sizeof(float));
    if (!C) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)c->M, (int)c->N, (int)c->K, 1,
                frt_tensor_f32(c->a), (int)c->K, frt_tensor_f32(c->b), (int)c->N, 0, C, (int)c->N);
    free(C);
    return NULL;
}

int main(int argc, char **argv) {
    frt_init();
    int threads = frt_bench_arg_int(argc, argv, "--threads", frt_num_cpus());
    if (threads < 1) threads = 1;
    frt_threadpool *pool = threads > 1 ? frt_threadpool_new(threads - 1) : NULL;
    static const int64_t shapes[][3] = {
        {64, 64, 64},     {128, 128, 128}, {256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024},
        {1, 1024, 1000},  {1, 1280, 1000}, /* classifier heads, batch 1 */
        {3136, 24, 144},  {3136, 144, 24}, /* MobileNetV2 1x1 expand/project at 56x56 */
        {12544, 32, 16},  {49, 320, 1280},
    };
    frt_bench_opts opts = frt_bench_default_opts();
    int rc = 0;
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0] && !rc; i++) {
        mm_case c = {.M = shapes[i][0], .K = shapes[i][1], .N = shapes[i][2], .pool = pool};
        frt_status *st = frt_tensor_new(FRT_DTYPE_FLOAT, (int64_t[]){c.M, c.K}, 2, &c.a);
        if (!st) st = frt_tensor_new(FRT_DTYPE_FLOAT, (int64_t[]){c.K, c.N}, 2, &c.b);
        if (st) {
            fprintf(stderr, "bench_matmul: %s\n", frt_status_message(st));
            return 1;
        }
        for (int64_t k = 0; k < c.a->n; k++) frt_tensor_f32(c.a)[k] = (float)(k % 7) * 0.1f;
        for (int64_t k = 0; k < c.b->n; k++) frt_tensor_f32(c.b)[k] = (float)(k % 5) * 0.1f;
        frt_attrs_init(&c.attrs);
        frt_attr_value t = {.kind = FRT_ATTR_TYPE, .v.type = FRT_DTYPE_FLOAT};
        frt_attrs_set(&c.attrs, "T", &t);
        char shape[64];
        snprintf(shape, sizeof shape, "%lldx%lldx%lld", (long long)c.M, (long long)c.N,
                 (long long)c.K);
        double flops = 2.0 * (double)c.M * (double)c.N * (double)c.K;
        frt_bench_result rb, rf;
        openblas_set_num_threads(threads); /* direct call: OpenBLAS's own threads */
        st = frt_bench_run(&opts, run_cblas, &c, &rb);
        openblas_set_num_threads(1);       /* flowrt: our pool splits, OpenBLAS serial */
        if (!st) st = frt_bench_run(&opts, run_flowrt, &c, &rf);
        if (st) {
            fprintf(stderr, "bench_matmul %s: %s\n", shape, frt_status_message(st));
            frt_status_free(st);
            rc = 1;
        } else {
            frt_bench_print("matmul", "f32", shape, threads, &rb, flops, "impl=cblas");
            char extra[64];
            snprintf(extra, sizeof extra, "impl=flowrt ratio=%.2f", rf.median_us / rb.median_us);
            frt_bench_print("matmul", "f32", shape, threads, &rf, flops, extra);
        }
        frt_attrs_deinit(&c.attrs);
        frt_tensor_unref(c.a);
        frt_tensor_unref(c.b);
    }
    frt_threadpool_free(pool);
    return rc;
}
