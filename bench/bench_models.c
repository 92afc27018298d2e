/* bench/bench_models.c: end-to-end latency of one model through the public API only.
 * Usage: bench_models MODEL.pb --input NAME --shape 1,224,224,3 [--output NAME]
 *                     [--threads N] [--inter-threads N] [--iters N]
 * Loads the model, feeds deterministic pseudo-random float data (zeros for other dtypes),
 * warms up, times frt_session_run and prints one line with min/median latency and the
 * session's peak bytes. Without --output the last node that nothing consumes is fetched.
 * --threads sets intra-op threads (default: all cores); --iters fixes the timed runs
 * (default: repeat for FRT_BENCH_MIN_TIME seconds, 2 s). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/harness.h"
#include "flowrt/flowrt.h"

typedef struct model_run {
    frt_session *s;
    const char *feed_name, *fetch_name;
    frt_tensor *feed;
} model_run;

static frt_status *run_once(void *arg) {
    model_run *r = arg;
    frt_tensor *out = NULL;
    FRT_TRY(frt_session_run(r->s, &r->feed_name, &r->feed, 1, &r->fetch_name, &out, 1, NULL, 0));
    frt_tensor_unref(out);
    return NULL;
}

/* The last node (in graph order) whose outputs nothing consumes. */
static const char *default_output(const frt_model *m) {
    int *sinks = calloc((size_t)frt_model_num_nodes(m) + 1, sizeof *sinks);
    int ns = sinks ? frt_model_sink_nodes(m, sinks) : 0;
    const char *out = ns > 0 ? frt_model_node_name(m, sinks[ns - 1]) : NULL;
    free(sinks);
    return out;
}

static int fail(const char *what, frt_status *st) {
    fprintf(stderr, "bench_models: %s: %s\n", what, frt_status_message(st));
    frt_status_free(st);
    return 1;
}

static int usage(void) {
    fprintf(stderr, "usage: bench_models MODEL.pb --input NAME --shape 1,224,224,3 "
                    "[--output NAME] [--threads N] [--inter-threads N] [--iters N] "
                    "[--no-optimize]\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 2 || argv[1][0] == '-') return usage();
    const char *path = argv[1];
    const char *input = frt_bench_arg(argc, argv, "--input");
    const char *shape_s = frt_bench_arg(argc, argv, "--shape");
    const char *output = frt_bench_arg(argc, argv, "--output");
    int threads = frt_bench_arg_int(argc, argv, "--threads", 0);
    int inter = frt_bench_arg_int(argc, argv, "--inter-threads", -1);
    int iters = frt_bench_arg_int(argc, argv, "--iters", 0);
    bool optimize = true;
    for (int i = 2; i < argc; i++) optimize = optimize && strcmp(argv[i], "--no-optimize") != 0;
    if (!input || !shape_s) return usage();
    int64_t dims[FRT_MAX_DIMS];
    int ndim = 0;
    for (const char *p = shape_s; *p;) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 0 || ndim == FRT_MAX_DIMS) return usage();
        dims[ndim++] = v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return usage();
    }

    frt_model *m = NULL;
    frt_status *st = frt_model_load(path, &m);
    if (st) return fail(path, st);
    if (!output) output = default_output(m);
    if (!output) {
        fprintf(stderr, "bench_models: cannot pick an output node; pass --output\n");
        frt_model_free(m);
        return 2;
    }
    /* Feed dtype from the placeholder when the input names one; float otherwise. */
    frt_dtype dt = FRT_DTYPE_FLOAT;
    int in_node = frt_model_find_node(m, input);
    if (in_node >= 0 && strcmp(frt_model_node_op(m, in_node), "Placeholder") == 0) {
        frt_dtype d;
        frt_status *e = frt_model_node_dtype_attr(m, in_node, "dtype", &d);
        if (!e) dt = d;
        frt_status_free(e);
    }
    frt_tensor *feed = NULL;
    st = frt_tensor_new(dt, dims, ndim, &feed);
    if (st) {
        frt_model_free(m);
        return fail("feed", st);
    }
    if (dt == FRT_DTYPE_FLOAT) {
        float *f = frt_tensor_data(feed);
        unsigned seed = 12345u;
        for (int64_t i = 0; i < frt_tensor_num_elements(feed); i++) {
            seed = seed * 1103515245u + 12345u;
            f[i] = (float)((seed >> 8) & 0xffff) / 65536.0f; /* [0, 1) like a scaled image */
        }
    }

    frt_session_options *o = frt_session_options_new();
    if (!o) {
        fprintf(stderr, "bench_models: out of memory\n");
        return 1;
    }
    frt_session_options_set_intra_op_threads(o, threads);
    frt_session_options_set_inter_op_threads(o, inter >= 0 ? inter : threads);
    frt_session_options_set_optimize(o, optimize);
    frt_session *s = NULL;
    st = frt_session_new(o, m, &s);
    frt_session_options_free(o);
    if (st) {
        frt_tensor_unref(feed);
        frt_model_free(m);
        return fail("session", st);
    }
    model_run r = {.s = s, .feed_name = input, .fetch_name = output, .feed = feed};
    frt_bench_opts opts = frt_bench_default_opts();
    if (!getenv("FRT_BENCH_MIN_TIME")) opts.min_time_s = 2.0;
    if (iters > 0) {
        opts.min_reps = iters;
        opts.max_reps = iters;
        opts.min_time_s = 0;
    }
    frt_bench_result res;
    st = frt_bench_run(&opts, run_once, &r, &res);
    int rc = 0;
    if (st) {
        rc = fail("run", st);
    } else {
        const char *base = strrchr(path, '/');
        char extra[512];
        snprintf(extra, sizeof extra,
                 "model=%s input=%s output=%s iters=%d peak_bytes=%zu optimize=%d",
                 base ? base + 1 : path, input, output, res.reps, frt_session_peak_bytes(s),
                 optimize);
        frt_bench_print("model", frt_dtype_name(dt), shape_s, threads, &res, 0, extra);
    }
    frt_session_free(s);
    frt_tensor_unref(feed);
    frt_model_free(m);
    return rc;
}
