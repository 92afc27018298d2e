/* bench/bench_soak.c: many threads hammering ONE session for a bounded time, looking for what
 * short tests miss: outputs that differ under contention, requests that fail when they should
 * not (or succeed when they should not), and memory that grows with the number of calls.
 * Usage (from the repository root):
 *   bench_soak [MODEL.pb --input NAME --output NAME --feed FILE.npy] [--threads 16]
 *              [--seconds 60] [--calls N] [--bad-every 8] [--variants 8] [--sample-s 5]
 *              [--inter-threads N] [--intra-threads N]
 * Defaults to models/digits (images -> Identity on samples.npy). The feed is cut into
 * --variants inputs (fewer batch rows, scaled values), each run once, by a single caller,
 * on a reference session with the same thread counts. Then --threads workers share one
 * session (--inter-threads / --intra-threads, default one per core) until --seconds pass or --calls are made; every
 * --bad-every-th call is a deliberate bad request (wrong feed shape, wrong feed dtype,
 * unknown feed name, fetch of a missing node, output index out of range) that must fail with
 * INVALID_ARGUMENT, NOT_FOUND or OUT_OF_RANGE and leave the fetch NULL; every other call's
 * output must equal its variant's reference bit for bit. RSS (from /proc/self/statm) is
 * sampled before the workers start, every --sample-s seconds and at the end. Prints one
 * line per sample and a final `bench=soak ...` line; exits 1 on any unexpected error,
 * unexpected success, dirty fetch or mismatch. Not a test: `make test` does not run it.
 * Uses only the public API (include/flowrt/flowrt.h) and bench/harness.h. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"
#include "flowrt/flowrt.h"

enum { BAD_SHAPE, BAD_DTYPE, BAD_FEED_NAME, BAD_FETCH_NODE, BAD_FETCH_INDEX, N_BAD };
static const char *const bad_names[N_BAD] = {"feed_shape", "feed_dtype", "unknown_feed",
                                             "missing_fetch", "fetch_index"};

typedef struct soak {
    frt_session *s;
    const char *input, *output;
    int n_variants;
    frt_tensor **feeds, **refs;      /* per variant: input and single-threaded output */
    frt_tensor *bad_shape, *bad_dtype;
    char bad_index_fetch[256];       /* output:99 */
    long max_calls, bad_every;
    atomic_long next;                /* call tickets handed out */
    atomic_long done;                /* calls completed */
    atomic_bool stop;
    pthread_mutex_t report_mu;       /* first messages of each kind, to stderr */
    int reported;
    char bad_msg[N_BAD][160];        /* one expected error message per kind, for the summary */
} soak;

typedef struct tally {
    long good, bad, expected_errors, unexpected_errors, unexpected_ok, dirty, mismatches;
    long bad_by_kind[N_BAD];
} tally;

typedef struct worker {
    soak *sk;
    tally t;
} worker;

static double rss_mb(void) {
    long pages_total = 0, pages_rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return -1;
    int n = fscanf(f, "%ld %ld", &pages_total, &pages_rss);
    fclose(f);
    return n == 2 ? (double)pages_rss * (double)sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0) : -1;
}

static void report(soak *sk, const char *fmt, const char *a, const char *b) {
    pthread_mutex_lock(&sk->report_mu);
    if (sk->reported++ < 20) {
        fprintf(stderr, "bench_soak: ");
        fprintf(stderr, fmt, a, b);
        fprintf(stderr, "\n");
    }
    pthread_mutex_unlock(&sk->report_mu);
}

static bool same_bits(const frt_tensor *a, const frt_tensor *b) {
    if (frt_tensor_dtype(a) != frt_tensor_dtype(b) || frt_tensor_ndim(a) != frt_tensor_ndim(b))
        return false;
    for (int i = 0; i < frt_tensor_ndim(a); i++)
        if (frt_tensor_dim(a, i) != frt_tensor_dim(b, i)) return false;
    size_t n = frt_tensor_nbytes(a);
    return n == frt_tensor_nbytes(b) && (n == 0 || memcmp(frt_tensor_data(a), frt_tensor_data(b), n) == 0);
}

static void bad_call(soak *sk, int kind, tally *t) {
    const char *in[2] = {sk->input, "soak_no_such_tensor"};
    frt_tensor *feed[2] = {sk->feeds[0], sk->feeds[0]};
    const char *out = sk->output;
    int nfeeds = 1;
    switch (kind) {
    case BAD_SHAPE: feed[0] = sk->bad_shape; break;
    case BAD_DTYPE: feed[0] = sk->bad_dtype; break;
    case BAD_FEED_NAME: nfeeds = 2; break;
    case BAD_FETCH_NODE: out = "soak_no_such_node"; break;
    default: out = sk->bad_index_fetch; break;
    }
    frt_tensor *y = (frt_tensor *)&y; /* must come back NULL */
    frt_status *st = frt_session_run(sk->s, in, feed, nfeeds, &out, &y, 1, NULL, 0);
    t->bad++;
    t->bad_by_kind[kind]++;
    frt_code c = frt_status_code(st);
    if (c == FRT_OK) {
        t->unexpected_ok++;
        report(sk, "bad request %s succeeded%s", bad_names[kind], "");
        frt_tensor_unref(y);
        return;
    }
    if (c == FRT_INVALID_ARGUMENT || c == FRT_NOT_FOUND || c == FRT_OUT_OF_RANGE) {
        t->expected_errors++;
        pthread_mutex_lock(&sk->report_mu);
        if (!sk->bad_msg[kind][0])
            snprintf(sk->bad_msg[kind], sizeof sk->bad_msg[kind], "%s: %s", frt_code_name(c),
                     frt_status_message(st));
        pthread_mutex_unlock(&sk->report_mu);
    } else {
        t->unexpected_errors++;
        report(sk, "bad request %s: unexpected %s", bad_names[kind], frt_status_message(st));
    }
    if (y) { /* the sentinel, or a tensor nobody may rely on */
        t->dirty++;
        report(sk, "bad request %s left its fetch non-NULL%s", bad_names[kind], "");
    }
    frt_status_free(st);
}

static void *work(void *p) {
    worker *w = p;
    soak *sk = w->sk;
    tally *t = &w->t;
    while (!atomic_load(&sk->stop)) {
        long ticket = atomic_fetch_add(&sk->next, 1);
        if (sk->max_calls > 0 && ticket >= sk->max_calls) break;
        if (sk->bad_every > 0 && ticket % sk->bad_every == sk->bad_every - 1) {
            bad_call(sk, (int)((ticket / sk->bad_every) % N_BAD), t);
        } else {
            int v = (int)(ticket % sk->n_variants);
            frt_tensor *y = NULL;
            frt_status *st =
                frt_session_run(sk->s, &sk->input, &sk->feeds[v], 1, &sk->output, &y, 1, NULL, 0);
            t->good++;
            if (st) {
                t->unexpected_errors++;
                report(sk, "good request failed: %s%s", frt_status_message(st), "");
                frt_status_free(st);
            } else if (!y || !same_bits(y, sk->refs[v])) {
                char vs[16];
                snprintf(vs, sizeof vs, "%d", v);
                t->mismatches++;
                report(sk, "output of variant %s differs from the reference run%s", vs, "");
            }
            frt_tensor_unref(y);
        }
        atomic_fetch_add(&sk->done, 1);
    }
    return NULL;
}

/* Variant k of feed: the first rows - k*rows/n rows (at least 1), float values scaled by
 * 1 + k/32 so that variants of equal shape still differ. */
static frt_status *make_variant(const frt_tensor *feed, int k, int n, frt_tensor **out) {
    int ndim = frt_tensor_ndim(feed);
    int64_t dims[FRT_MAX_DIMS];
    for (int i = 0; i < ndim; i++) dims[i] = frt_tensor_dim(feed, i);
    size_t bytes = frt_tensor_nbytes(feed);
    if (ndim > 0 && dims[0] > 1 && bytes > 0) {
        int64_t rows = dims[0] - (int64_t)k * dims[0] / n;
        bytes = bytes / (size_t)dims[0] * (size_t)(rows > 0 ? rows : 1);
        dims[0] = rows > 0 ? rows : 1;
    }
    FRT_TRY(frt_tensor_new(frt_tensor_dtype(feed), dims, ndim, out));
    if (bytes) memcpy(frt_tensor_data(*out), frt_tensor_data(feed), bytes);
    if (frt_tensor_dtype(feed) == FRT_DTYPE_FLOAT) {
        float *f = frt_tensor_data(*out);
        for (int64_t i = 0; i < frt_tensor_num_elements(*out); i++) f[i] *= 1.0f + (float)k / 32;
    }
    return NULL;
}

static int fail(const char *what, frt_status *st) {
    fprintf(stderr, "bench_soak: %s: %s\n", what, frt_status_message(st));
    frt_status_free(st);
    return 1;
}

static frt_status *new_session(const frt_model *m, int inter, int intra, frt_session **s) {
    frt_session_options *o = frt_session_options_new();
    if (!o) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    frt_session_options_set_inter_op_threads(o, inter);
    frt_session_options_set_intra_op_threads(o, intra);
    frt_status *st = frt_session_new(o, m, s);
    frt_session_options_free(o);
    return st;
}

/* Largest |a - b| over two float tensors of equal shape; 0 for other dtypes. */
static double max_abs_diff(const frt_tensor *a, const frt_tensor *b) {
    if (frt_tensor_dtype(a) != FRT_DTYPE_FLOAT || frt_tensor_dtype(b) != FRT_DTYPE_FLOAT ||
        frt_tensor_num_elements(a) != frt_tensor_num_elements(b))
        return 0;
    const float *x = frt_tensor_data(a), *y = frt_tensor_data(b);
    double d = 0;
    for (int64_t i = 0; i < frt_tensor_num_elements(a); i++)
        if (fabs((double)x[i] - y[i]) > d) d = fabs((double)x[i] - y[i]);
    return d;
}

/* Feeds, references and the bad-request tensors. The references come from a second session
 * with the soak session's thread counts, driven by this one thread: the bits concurrent
 * callers must reproduce. (A session with other intra-op thread counts may differ in the last
 * bits, since kernels split reductions by thread count; *differ_1 and *diff_1 say how far the
 * references are from an inter = intra = 1 session's.) */
static frt_status *prepare(soak *sk, const frt_model *m, const frt_tensor *feed, int inter,
                           int intra, int *differ_1, double *diff_1) {
    sk->feeds = calloc((size_t)sk->n_variants, sizeof *sk->feeds);
    sk->refs = calloc((size_t)sk->n_variants, sizeof *sk->refs);
    if (!sk->feeds || !sk->refs) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    frt_session *ref = NULL, *one = NULL;
    frt_status *st = new_session(m, inter, intra, &ref);
    if (!st) st = new_session(m, 1, 1, &one);
    *differ_1 = 0;
    *diff_1 = 0;
    for (int k = 0; k < sk->n_variants && !st; k++) {
        frt_tensor *y1 = NULL;
        st = make_variant(feed, k, sk->n_variants, &sk->feeds[k]);
        if (!st)
            st = frt_session_run(ref, &sk->input, &sk->feeds[k], 1, &sk->output, &sk->refs[k], 1,
                                 NULL, 0);
        if (!st) st = frt_session_run(one, &sk->input, &sk->feeds[k], 1, &sk->output, &y1, 1, NULL, 0);
        if (!st && !same_bits(y1, sk->refs[k])) {
            (*differ_1)++;
            double d = max_abs_diff(y1, sk->refs[k]);
            if (d > *diff_1) *diff_1 = d;
        }
        frt_tensor_unref(y1);
    }
    frt_session_free(ref);
    frt_session_free(one);
    FRT_TRY(st);
    /* wrong shape: the same elements with one dimension more; wrong dtype: int32 or double */
    int ndim = frt_tensor_ndim(feed);
    int64_t dims[FRT_MAX_DIMS + 1];
    for (int i = 0; i < ndim; i++) dims[i] = frt_tensor_dim(feed, i);
    dims[ndim] = 1;
    if (ndim < FRT_MAX_DIMS) FRT_TRY(frt_tensor_new(frt_tensor_dtype(feed), dims, ndim + 1, &sk->bad_shape));
    else FRT_TRY(frt_tensor_new(frt_tensor_dtype(feed), dims, 1, &sk->bad_shape));
    frt_dtype other = frt_tensor_dtype(feed) == FRT_DTYPE_INT32 ? FRT_DTYPE_DOUBLE : FRT_DTYPE_INT32;
    FRT_TRY(frt_tensor_new(other, dims, ndim, &sk->bad_dtype));
    snprintf(sk->bad_index_fetch, sizeof sk->bad_index_fetch, "%s:99", sk->output);
    return NULL;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 && argv[1][0] != '-' ? argv[1] : "models/digits/model.pb";
    const char *input = frt_bench_arg(argc, argv, "--input");
    const char *output = frt_bench_arg(argc, argv, "--output");
    const char *feed_path = frt_bench_arg(argc, argv, "--feed");
    if (argc <= 1 || argv[1][0] == '-') { /* the bundled model */
        input = input ? input : "images";
        output = output ? output : "Identity";
        feed_path = feed_path ? feed_path : "models/digits/samples.npy";
    }
    int threads = frt_bench_arg_int(argc, argv, "--threads", 16);
    int seconds = frt_bench_arg_int(argc, argv, "--seconds", 60);
    int variants = frt_bench_arg_int(argc, argv, "--variants", 8);
    int sample_s = frt_bench_arg_int(argc, argv, "--sample-s", 5);
    int inter = frt_bench_arg_int(argc, argv, "--inter-threads", 0);
    int intra = frt_bench_arg_int(argc, argv, "--intra-threads", 0);
    const char *calls_s = frt_bench_arg(argc, argv, "--calls");
    soak sk = {.input = input, .output = output, .n_variants = variants > 0 ? variants : 1,
               .max_calls = calls_s ? atol(calls_s) : 0,
               .bad_every = frt_bench_arg_int(argc, argv, "--bad-every", 8)};
    if (!input || !output || !feed_path || threads < 1 || seconds < 1 || sample_s < 1) {
        fprintf(stderr, "usage: bench_soak [MODEL.pb --input NAME --output NAME --feed X.npy] "
                        "[--threads 16] [--seconds 60] [--calls N] [--bad-every 8] "
                        "[--variants 8] [--sample-s 5] [--inter-threads N] [--intra-threads N]\n");
        return 2;
    }
    pthread_mutex_init(&sk.report_mu, NULL);
    frt_model *m = NULL;
    frt_tensor *feed = NULL;
    frt_status *st = frt_model_load(path, &m);
    if (st) return fail(path, st);
    if ((st = frt_npy_read(feed_path, &feed))) return fail(feed_path, st);
    int differ_1 = 0;
    double diff_1 = 0;
    if ((st = prepare(&sk, m, feed, inter, intra, &differ_1, &diff_1)))
        return fail("reference run", st);
    if ((st = new_session(m, inter, intra, &sk.s))) return fail("session", st);

    double rss_start = rss_mb(), rss_max = rss_start;
    double t0 = frt_bench_now_us() / 1e6;
    printf("soak: model=%s threads=%d seconds=%d variants=%d bad_every=%ld rss_start_mb=%.1f\n"
           "soak: references vs an inter=intra=1 session: %d of %d variants differ, max abs "
           "diff %.3g\n",
           path, threads, seconds, sk.n_variants, sk.bad_every, rss_start, differ_1,
           sk.n_variants, diff_1);
    fflush(stdout);
    worker *w = calloc((size_t)threads, sizeof *w);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    if (!w || !th) return fail("workers", frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory"));
    int started = 0;
    for (; started < threads; started++) {
        w[started].sk = &sk;
        if (pthread_create(&th[started], NULL, work, &w[started]) != 0) break;
    }
    /* Sample until the time is up or the workers ran out of calls. */
    double next_sample = t0 + sample_s, rss_first = -1, now = t0;
    for (;;) {
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        now = frt_bench_now_us() / 1e6;
        bool out_of_calls = sk.max_calls > 0 && atomic_load(&sk.done) >= sk.max_calls;
        if (now >= next_sample || now - t0 >= seconds || out_of_calls) {
            double r = rss_mb();
            if (r > rss_max) rss_max = r;
            if (rss_first < 0) rss_first = r;
            printf("soak: t=%.1fs calls=%ld rss_mb=%.1f\n", now - t0, atomic_load(&sk.done), r);
            fflush(stdout);
            next_sample += sample_s;
        }
        if (now - t0 >= seconds || out_of_calls) break;
    }
    atomic_store(&sk.stop, true);
    for (int i = 0; i < started; i++) pthread_join(th[i], NULL);
    double elapsed = frt_bench_now_us() / 1e6 - t0, rss_end = rss_mb();
    if (rss_end > rss_max) rss_max = rss_end;

    tally t = {0};
    for (int i = 0; i < started; i++) {
        tally *x = &w[i].t;
        t.good += x->good, t.bad += x->bad, t.expected_errors += x->expected_errors;
        t.unexpected_errors += x->unexpected_errors, t.unexpected_ok += x->unexpected_ok;
        t.dirty += x->dirty, t.mismatches += x->mismatches;
        for (int k = 0; k < N_BAD; k++) t.bad_by_kind[k] += x->bad_by_kind[k];
    }
    for (int k = 0; k < N_BAD; k++)
        if (sk.bad_msg[k][0]) printf("soak: %s x%ld -> %s\n", bad_names[k], t.bad_by_kind[k], sk.bad_msg[k]);
    const char *base = strrchr(path, '/');
    printf("bench=soak model=%s threads=%d seconds=%.1f calls=%ld calls_per_s=%.0f good=%ld "
           "bad=%ld expected_errors=%ld unexpected_errors=%ld unexpected_ok=%ld dirty_fetches=%ld "
           "mismatches=%ld rss_start_mb=%.1f rss_first_sample_mb=%.1f rss_end_mb=%.1f "
           "rss_max_mb=%.1f rss_drift_mb=%.1f\n",
           base ? base + 1 : path, started, elapsed, t.good + t.bad,
           (double)(t.good + t.bad) / elapsed, t.good, t.bad, t.expected_errors,
           t.unexpected_errors, t.unexpected_ok, t.dirty, t.mismatches, rss_start, rss_first,
           rss_end, rss_max, rss_end - rss_first);
    bool clean = started == threads && !t.unexpected_errors && !t.unexpected_ok && !t.dirty &&
                 !t.mismatches;
    frt_session_free(sk.s);
    for (int k = 0; k < sk.n_variants; k++) {
        frt_tensor_unref(sk.feeds[k]);
        frt_tensor_unref(sk.refs[k]);
    }
    free(sk.feeds);
    free(sk.refs);
    frt_tensor_unref(sk.bad_shape);
    frt_tensor_unref(sk.bad_dtype);
    frt_tensor_unref(feed);
    frt_model_free(m);
    free(w);
    free(th);
    return clean ? 0 : 1;
}
