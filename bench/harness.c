/* bench/harness.c: warm-up, repeat-to-minimum-time timing loop and the one-line result format
 * shared by the benchmarks. Owns: timing and statistics. Does not own: what is timed.
 * Thread-safety: reentrant. */
#include "bench/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double frt_bench_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

frt_bench_opts frt_bench_default_opts(void) {
    frt_bench_opts o = {.min_time_s = 0.5, .min_reps = 5, .max_reps = 0, .warmup = 2};
    const char *t = getenv("FRT_BENCH_MIN_TIME"), *r = getenv("FRT_BENCH_REPS");
    if (t && atof(t) >= 0) o.min_time_s = atof(t);
    if (r && atoi(r) > 0) o.min_reps = atoi(r);
    return o;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

frt_status *frt_bench_run(const frt_bench_opts *opts, frt_bench_fn fn, void *arg,
                          frt_bench_result *out) {
    memset(out, 0, sizeof *out);
    frt_bench_opts o = opts ? *opts : frt_bench_default_opts();
    for (int i = 0; i < o.warmup; i++) FRT_TRY(fn(arg));
    int cap = 64, n = 0;
    double *t = malloc((size_t)cap * sizeof *t), total = 0;
    if (!t) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "bench: out of memory");
    while (n < o.min_reps || total < o.min_time_s * 1e6) {
        if (o.max_reps > 0 && n >= o.max_reps) break;
        if (n == cap) {
            double *nt = realloc(t, (size_t)(cap *= 2) * sizeof *t);
            if (!nt) {
                free(t);
                return frt_status_new(FRT_RESOURCE_EXHAUSTED, "bench: out of memory");
            }
            t = nt;
        }
        double t0 = frt_bench_now_us();
        frt_status *st = fn(arg);
        double dt = frt_bench_now_us() - t0;
        if (st) {
            free(t);
            return st;
        }
        t[n++] = dt;
        total += dt;
    }
    if (n == 0) {
        free(t);
        return NULL;
    }
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    out->reps = n;
    out->min_us = t[0];
    out->median_us = n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
    out->mean_us = total / n;
    free(t);
    return NULL;
}

void frt_bench_print(const char *bench, const char *dtype, const char *shape, int threads,
                     const frt_bench_result *r, double flops, const char *extra) {
    printf("bench=%s dtype=%s shape=%s device=cpu threads=%d min_us=%.0f median_us=%.0f", bench,
           dtype, shape, threads, r->min_us, r->median_us);
    if (flops > 0 && r->median_us > 0) printf(" gflops=%.1f", flops / (r->median_us * 1e3));
    if (extra && *extra) printf(" %s", extra);
    printf("\n");
    fflush(stdout);
}

const char *frt_bench_arg(int argc, char **argv, const char *name) {
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return NULL;
}

int frt_bench_arg_int(int argc, char **argv, const char *name, int def) {
    const char *v = frt_bench_arg(argc, argv, name);
    if (!v) return def;
    char *end;
    long x = strtol(v, &end, 10);
    return *end || end == v ? def : (int)x;
}
