/* bench/bench_gpu.c: latency and GPU memory of Keras' MobileNetV2 and ResNet50 (built in
 * memory with random weights, bench/keras_models.h) per batch size and GPU allocator mode.
 * Usage: bench_gpu [--model mobilenet_v2|resnet50|all] [--batch 1,32] [--runs N]
 *                  [--warmup N] [--mode default|fraction|growth|limit|all]
 *                  [--device gpu|cpu] [--json FILE] [--fraction F] [--limit-mb N]
 *                  [--check] [--log-placement] [--seed N]
 * Per (model, batch, mode): the first call's time, then --warmup untimed calls (the first
 * among them), --runs timed calls: median, min and p90 in ms, images/s from the median; the
 * peak of the process's GPU allocator (weights, activations, temporaries: what TF's
 * get_memory_info('GPU:0')['peak'] reports), the session's own peak and its limit
 * (frt_session_stats_json), the bytes the allocator took from the device (its regions),
 * nodes per device and the copies of a run. --check also runs the batch once on a CPU-only
 * copy of the model and reports the largest difference of the softmax outputs.
 * One GPU allocator exists per process, the first session's options make it, and its peak
 * is never reset, so every case runs in a process of its own: with more than one (model,
 * batch, mode) this program re-executes /proc/self/exe per case with --report-fd, reads the
 * result as a JSON line from a pipe, and prints one table (--mode all, the default, is the
 * four modes). Without a GPU it prints `skipped: no GPU` and exits 0,
 * unless --device cpu pins every node to the CPU (the allocator modes then change nothing,
 * so --mode defaults to default there). Exit status 1 when a case failed or an output was
 * not a softmax, 2 for bad arguments.
 * Thread-safety: a program (single-threaded driver; sessions use their own pools). */
#include "bench/keras_models.c" /* one translation unit: see bench/keras_models.h */

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/harness.h"
#include "runtime/device.h"

enum { MODE_DEFAULT, MODE_FRACTION, MODE_GROWTH, MODE_LIMIT, NUM_MODES };
static const char *const mode_names[NUM_MODES] = {"default", "fraction", "growth", "limit"};

#define MAX_BATCHES 8
#define MAX_RESULTS 256

typedef struct options {
    int models[2], n_models;           /* indices for frt_bench_keras_name */
    int batches[MAX_BATCHES], n_batches;
    int runs, warmup;
    int mode;                          /* MODE_*, or NUM_MODES for all */
    bool cpu, check, log_placement;
    const char *json;
    double fraction;
    long limit_mb;
    unsigned long long seed;
    int report_fd;                     /* >= 0 in a child of --mode all */
} options;

/* One (model, batch, mode). Field order is the JSON's. */
typedef struct result {
    char model[16];
    long long batch;
    char mode[16];
    char device[8];
    char gpu[80];             /* TF name of the GPU the session used ("" on --device cpu) */
    bool simulated;
    long long graph_nodes, params, keras_params, warmup, runs;
    double first_ms, median_ms, min_ms, p90_ms, images_per_s;
    long long peak_bytes;     /* the process's GPU allocator's peak (the session's on cpu) */
    long long session_peak_bytes; /* tensors the session allocated while running, at peak */
    long long limit_bytes;    /* the session's limit on the GPU (the process cap) */
    long long reserved_bytes; /* bytes the GPU allocator took from the device (regions) */
    long long gpu_total_bytes;
    char alloc_mode[40];      /* frt_bfc_mode: "default", "fraction+allow_growth", ... */
    long long host_peak_bytes, nodes_gpu, nodes_cpu, copies, copy_bytes;
    bool output_ok;           /* [batch,1000], finite, rows summing to 1 */
    double max_abs_diff;      /* vs the CPU (--check); < 0 when not checked */
    char error[512];          /* "" when the case ran */
} result;

/* The fields, for writing and reading JSON lines. */
typedef enum { F_STR, F_INT, F_DBL, F_BOOL, F_OPT_DBL } field_kind;
static const struct field {
    const char *key;
    field_kind kind;
    size_t off, size;
} fields[] = {
#define FIELD(k, kind) {#k, kind, offsetof(result, k), sizeof(((result *)0)->k)}
    FIELD(model, F_STR),          FIELD(batch, F_INT),          FIELD(mode, F_STR),
    FIELD(device, F_STR),         FIELD(gpu, F_STR),            FIELD(simulated, F_BOOL),
    FIELD(graph_nodes, F_INT),    FIELD(params, F_INT),         FIELD(keras_params, F_INT),
    FIELD(warmup, F_INT),         FIELD(runs, F_INT),           FIELD(first_ms, F_DBL),
    FIELD(median_ms, F_DBL),      FIELD(min_ms, F_DBL),         FIELD(p90_ms, F_DBL),
    FIELD(images_per_s, F_DBL),   FIELD(peak_bytes, F_INT),     FIELD(session_peak_bytes, F_INT),
    FIELD(limit_bytes, F_INT),
    FIELD(reserved_bytes, F_INT), FIELD(gpu_total_bytes, F_INT), FIELD(alloc_mode, F_STR),
    FIELD(host_peak_bytes, F_INT), FIELD(nodes_gpu, F_INT),     FIELD(nodes_cpu, F_INT),
    FIELD(copies, F_INT),         FIELD(copy_bytes, F_INT),     FIELD(output_ok, F_BOOL),
    FIELD(max_abs_diff, F_OPT_DBL), FIELD(error, F_STR),
#undef FIELD
};

/* ---- minimal JSON: flat objects written here and by frt_session_stats_json ---- */

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20) fprintf(f, "\\u%04x", (unsigned char)*s);
        else fputc(*s, f);
    }
    fputc('"', f);
}

static void write_result(FILE *f, const result *r) {
    fputc('{', f);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const struct field *fd = &fields[i];
        const char *p = (const char *)r + fd->off;
        fprintf(f, "%s\"%s\": ", i ? ", " : "", fd->key);
        switch (fd->kind) {
        case F_STR: json_string(f, p); break;
        case F_INT: fprintf(f, "%lld", *(const long long *)p); break;
        case F_DBL: fprintf(f, "%.4f", *(const double *)p); break;
        case F_BOOL: fputs(*(const bool *)p ? "true" : "false", f); break;
        case F_OPT_DBL:
            if (*(const double *)p < 0) fputs("null", f);
            else fprintf(f, "%.3g", *(const double *)p);
            break;
        }
    }
    fputc('}', f);
}

/* The value of "key" in s[0..end) (a flat object), past the colon and blanks; NULL if absent. */
static const char *json_find(const char *s, const char *end, const char *key) {
    size_t kl = strlen(key);
    for (const char *p = s; p && p + kl + 2 < end; p++) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p || p + kl + 2 >= end) return NULL;
        if (strncmp(p + 1, key, kl) != 0 || p[kl + 1] != '"') continue;
        const char *v = p + kl + 2; /* a key is followed by a colon, a value is not */
        while (v < end && *v == ' ') v++;
        if (v == end || *v != ':') continue;
        for (v++; v < end && *v == ' ';) v++;
        return v < end ? v : NULL;
    }
    return NULL;
}
static double json_num(const char *s, const char *end, const char *key, double def) {
    const char *v = json_find(s, end, key);
    return v && strncmp(v, "null", 4) != 0 ? strtod(v, NULL) : def;
}
static bool json_bool(const char *s, const char *end, const char *key) {
    const char *v = json_find(s, end, key);
    return v && strncmp(v, "true", 4) == 0;
}
/* Copies a string value (escapes undone) into buf; "" when absent. */
static void json_str(const char *s, const char *end, const char *key, char *buf, size_t n) {
    const char *v = json_find(s, end, key);
    size_t k = 0;
    if (v && *v == '"') {
        for (v++; v < end && *v != '"' && k + 1 < n; v++) {
            if (*v == '\\' && v + 1 < end) {
                v++;
                if (*v == 'u' && v + 4 < end) {
                    buf[k++] = (char)strtol((char[5]){v[1], v[2], v[3], v[4], 0}, NULL, 16);
                    v += 4;
                    continue;
                }
            }
            buf[k++] = *v;
        }
    }
    buf[k] = 0;
}

static void read_result(const char *line, result *r) {
    const char *end = line + strlen(line);
    memset(r, 0, sizeof *r);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        const struct field *fd = &fields[i];
        char *p = (char *)r + fd->off;
        switch (fd->kind) {
        case F_STR: json_str(line, end, fd->key, p, fd->size); break;
        case F_INT: *(long long *)p = (long long)json_num(line, end, fd->key, 0); break;
        case F_DBL: *(double *)p = json_num(line, end, fd->key, 0); break;
        case F_BOOL: *(bool *)p = json_bool(line, end, fd->key); break;
        case F_OPT_DBL: *(double *)p = json_num(line, end, fd->key, -1); break;
        }
    }
}

/* ---- what the session says about its devices (frt_session_stats_json) ---- */

typedef struct dev_stats {
    int n_gpus;
    char gpu[80];
    bool simulated;
    char mode[40];
    long long gpu_limit, gpu_peak, nodes_gpu, nodes_cpu, host_peak, copies, copy_bytes;
} dev_stats;

static frt_status *session_devices(frt_session *s, dev_stats *d) {
    memset(d, 0, sizeof *d);
    char *js = NULL;
    FRT_TRY(frt_session_stats_json(s, &js));
    const char *end = js + strlen(js);
    /* Each device is one flat object that starts with its name. */
    for (const char *p = strstr(js, "{\"name\""); p; p = strstr(p + 1, "{\"name\"")) {
        const char *oe = strchr(p, '}');
        if (!oe) break;
        char name[80];
        json_str(p, oe, "name", name, sizeof name);
        long long nodes = (long long)json_num(p, oe, "nodes", 0);
        long long peak = (long long)json_num(p, oe, "peak_bytes", 0);
        if (strstr(name, "device:CPU:")) {
            d->nodes_cpu += nodes;
            d->host_peak = peak;
            continue;
        }
        d->nodes_gpu += nodes;
        if (d->n_gpus++ == 0) { /* the first GPU: where unpinned nodes go */
            snprintf(d->gpu, sizeof d->gpu, "%s", name);
            d->simulated = json_bool(p, oe, "simulated");
            json_str(p, oe, "mode", d->mode, sizeof d->mode);
            d->gpu_limit = (long long)json_num(p, oe, "limit_bytes", 0);
            d->gpu_peak = peak;
        }
    }
    const char *c = strstr(js, "\"copies\"");
    if (c) {
        d->copies = (long long)json_num(c, end, "count", 0);
        d->copy_bytes = (long long)json_num(c, end, "bytes", 0);
    }
    free(js);
    return NULL;
}

/* The process's first GPU allocator: its peak, the bytes it holds in regions, and the GPU's
 * memory. Internal (runtime/device.h): the public statistics are the session's, and they
 * leave out what the process allocator holds for the plan (Consts uploaded once). */
static void gpu_process_stats(long long *peak, long long *reserved, long long *total) {
    frt_device *const *all;
    int n;
    frt_devices_all(&all, &n);
    *peak = *reserved = *total = 0;
    if (n < 2) return;
    *total = (long long)all[1]->total_memory;
    if (all[1]->alloc) {
        frt_alloc_stats st;
        frt_allocator_stats(all[1]->alloc, &st);
        *peak = (long long)st.peak;
        *reserved = (long long)st.region_bytes;
    }
}

/* ---- one case ---- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static frt_status *make_feed(int batch, unsigned long long seed, frt_tensor **out) {
    int64_t dims[4] = {batch, INPUT_SIZE, INPUT_SIZE, 3};
    FRT_TRY(frt_tensor_new(FRT_DTYPE_FLOAT, dims, 4, out));
    float *f = frt_tensor_data(*out);
    kb rng = {.rng = seed ^ 0x5eedull};
    for (int64_t i = 0; i < frt_tensor_num_elements(*out); i++) f[i] = uniform(&rng, 0, 1);
    return NULL;
}

/* Softmax rows of the right shape, finite, summing to 1. */
static bool output_ok(const frt_tensor *t, int batch) {
    if (!t || frt_tensor_dtype(t) != FRT_DTYPE_FLOAT || frt_tensor_ndim(t) != 2 ||
        frt_tensor_dim(t, 0) != batch || frt_tensor_dim(t, 1) != NUM_CLASSES)
        return false;
    const float *p = frt_tensor_data(t);
    for (int b = 0; b < batch; b++) {
        double sum = 0;
        for (int i = 0; i < NUM_CLASSES; i++) {
            float v = p[(size_t)b * NUM_CLASSES + i];
            if (!isfinite(v) || v < 0) return false;
            sum += v;
        }
        if (fabs(sum - 1) > 1e-3) return false;
    }
    return true;
}

static frt_status *run_once(frt_session *s, const frt_bench_keras_info *info, frt_tensor *feed,
                            frt_tensor **out) {
    return frt_session_run(s, &info->input, &feed, 1, &info->output, out, 1, NULL, 0);
}

/* The largest |a - b| between this output and a CPU-only session's. */
static frt_status *check_vs_cpu(const frt_model *cpu_model, const frt_bench_keras_info *info,
                                frt_tensor *feed, const frt_tensor *out, double *diff) {
    frt_session *s = NULL;
    frt_tensor *ref = NULL;
    FRT_TRY(frt_session_new(NULL, cpu_model, &s));
    frt_status *st = run_once(s, info, feed, &ref);
    frt_session_free(s);
    if (st) return frt_status_annotate(st, " (the CPU reference run of --check)");
    *diff = 0;
    const float *a = frt_tensor_data(out), *b = frt_tensor_data(ref);
    for (int64_t i = 0; i < frt_tensor_num_elements(ref); i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= *diff)) *diff = d; /* NaN wins */
    }
    frt_tensor_unref(ref);
    return NULL;
}

static void apply_mode(frt_session_options *so, const options *o, int mode) {
    if (mode == MODE_FRACTION) frt_session_options_set_gpu_memory_fraction(so, o->fraction);
    if (mode == MODE_GROWTH) frt_session_options_set_allow_growth(so, 1);
    if (mode == MODE_LIMIT)
        frt_session_options_set_gpu_memory_limit(so, (size_t)o->limit_mb << 20);
}

/* Runs one case into r (errors land in r->error). Returns false, having filled nothing
 * else, when the session has no GPU and one was asked for. */
static bool run_case(const options *o, int mode, const frt_model *m, const frt_model *cpu_model,
                     const frt_bench_keras_info *info, int batch, result *r) {
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", info->name);
    snprintf(r->mode, sizeof r->mode, "%s", mode_names[mode]);
    snprintf(r->device, sizeof r->device, "%s", o->cpu ? "cpu" : "gpu");
    r->batch = batch;
    r->graph_nodes = info->nodes;
    r->params = info->params;
    r->keras_params = info->keras_params;
    r->warmup = o->warmup;
    r->runs = o->runs;
    r->max_abs_diff = -1;

    frt_tensor *feed = NULL, *out = NULL;
    frt_session *s = NULL;
    double *times = calloc((size_t)o->runs, sizeof *times);
    bool has_gpu = true;
    dev_stats d;
    int n = 0;
    frt_status *st = times ? make_feed(batch, o->seed, &feed)
                           : frt_status_oom("timing %d runs", o->runs);
    frt_session_options *so = st ? NULL : frt_session_options_new();
    if (!st && !so) st = frt_status_oom("session options");
    if (!st) {
        apply_mode(so, o, mode);
        frt_session_options_set_log_device_placement(so, o->log_placement);
        st = frt_session_new(so, m, &s);
    }
    if (!st) st = session_devices(s, &d);
    if (!st && !o->cpu && d.n_gpus == 0) {
        has_gpu = false;
        goto done;
    }
    for (int i = 0; !st && i < o->warmup + o->runs; i++) {
        frt_tensor_unref(out);
        out = NULL;
        double t0 = frt_bench_now_us();
        st = run_once(s, info, feed, &out);
        double ms = (frt_bench_now_us() - t0) / 1e3;
        if (i == 0) r->first_ms = ms;
        if (i >= o->warmup && !st) times[n++] = ms;
    }
    if (!st && n > 0) {
        qsort(times, (size_t)n, sizeof *times, cmp_double);
        r->min_ms = times[0];
        r->median_ms = n % 2 ? times[n / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
        int k = (int)ceil(0.9 * n) - 1; /* nearest-rank 90th percentile */
        r->p90_ms = times[k < 0 ? 0 : k];
        r->images_per_s = r->median_ms > 0 ? batch * 1e3 / r->median_ms : 0;
        r->output_ok = output_ok(out, batch);
    }
    if (s) {
        frt_status *e = session_devices(s, &d);
        if (!st) st = e;
        else frt_status_free(e);
        snprintf(r->gpu, sizeof r->gpu, "%s", o->cpu ? "" : d.gpu);
        r->simulated = d.simulated;
        snprintf(r->alloc_mode, sizeof r->alloc_mode, "%s", o->cpu ? "host" : d.mode);
        long long proc_peak = 0;
        gpu_process_stats(&proc_peak, &r->reserved_bytes, &r->gpu_total_bytes);
        r->peak_bytes = o->cpu ? d.host_peak : proc_peak;
        r->session_peak_bytes = o->cpu ? d.host_peak : d.gpu_peak;
        r->limit_bytes = o->cpu ? 0 : d.gpu_limit;
        r->host_peak_bytes = d.host_peak;
        r->nodes_gpu = d.nodes_gpu;
        r->nodes_cpu = d.nodes_cpu;
        r->copies = d.copies;
        r->copy_bytes = d.copy_bytes;
    }
    if (!st && o->check && cpu_model && out)
        st = check_vs_cpu(cpu_model, info, feed, out, &r->max_abs_diff);
done:
    if (st) snprintf(r->error, sizeof r->error, "%s", frt_status_message(st));
    frt_status_free(st);
    frt_session_free(s);
    frt_session_options_free(so);
    frt_tensor_unref(out);
    frt_tensor_unref(feed);
    free(times);
    return has_gpu;
}

/* Runs every (model, batch) of o's mode in this process (one case, or a child's), appending
 * to res. Returns false when there is no GPU (and one was asked for). */
static bool run_cases(const options *o, result *res, int *n_res) {
    int mode = o->mode;
    for (int mi = 0; mi < o->n_models; mi++) {
        const char *name = frt_bench_keras_name(o->models[mi]);
        frt_model *m = NULL, *cpu_model = NULL;
        frt_bench_keras_info info;
        frt_status *st = frt_bench_keras_build(name, o->cpu ? "/device:CPU:0" : "", o->seed, &m,
                                               &info);
        if (!st && o->check && !o->cpu)
            st = frt_bench_keras_build(name, "/device:CPU:0", o->seed, &cpu_model, NULL);
        if (st) {
            result *r = &res[(*n_res)++];
            memset(r, 0, sizeof *r);
            snprintf(r->model, sizeof r->model, "%s", name);
            snprintf(r->mode, sizeof r->mode, "%s", mode_names[mode]);
            snprintf(r->error, sizeof r->error, "%s", frt_status_message(st));
            frt_status_free(st);
            frt_model_free(m);
            continue;
        }
        if (o->report_fd < 0) /* the parent prints it under the table */
            fprintf(stderr, "bench_gpu: %s: %d nodes, %lld parameters (Keras: %lld%s)\n", name,
                    info.nodes, (long long)info.params, (long long)info.keras_params,
                    info.params == info.keras_params ? ", equal" : ", DIFFERENT");
        for (int bi = 0; bi < o->n_batches; bi++) {
            result *r = &res[*n_res];
            if (!run_case(o, mode, m, cpu_model, &info, o->batches[bi], r)) {
                frt_model_free(m);
                frt_model_free(cpu_model);
                return false;
            }
            (*n_res)++;
            if (r->error[0])
                fprintf(stderr, "bench_gpu: %s batch %lld mode %s: FAILED: %s\n", name,
                        r->batch, r->mode, r->error);
            else
                fprintf(stderr, "bench_gpu: %s batch %lld mode %s: median %.2f ms, peak %.1f "
                        "MiB\n", name, r->batch, r->mode, r->median_ms,
                        (double)r->peak_bytes / (1 << 20));
        }
        frt_model_free(m);
        frt_model_free(cpu_model);
    }
    return true;
}

/* ---- one process per case ---- */

/* Runs this program for one (mode, model, batch) with --report-fd, appending what it
 * reports. Returns false when the child found no GPU. */
static bool run_child(const options *o, char *argv0, int mode, int model, int batch,
                      result *res, int *n_res) {
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "bench_gpu: pipe: %s\n", strerror(errno));
        exit(1);
    }
    char batch_s[16], runs[16], warmup[16], fd[16], frac[32], limit[32], seed[32];
    snprintf(batch_s, sizeof batch_s, "%d", batch);
    snprintf(runs, sizeof runs, "%d", o->runs);
    snprintf(warmup, sizeof warmup, "%d", o->warmup);
    snprintf(fd, sizeof fd, "%d", fds[1]);
    snprintf(frac, sizeof frac, "%.17g", o->fraction);
    snprintf(limit, sizeof limit, "%ld", o->limit_mb);
    snprintf(seed, sizeof seed, "%llu", o->seed);
    char *args[32] = {argv0, "--model", (char *)frt_bench_keras_name(model), "--batch",
                      batch_s, "--runs", runs, "--warmup", warmup, "--mode",
                      (char *)mode_names[mode], "--device", o->cpu ? "cpu" : "gpu",
                      "--fraction", frac, "--limit-mb", limit, "--seed", seed, "--report-fd",
                      fd};
    int na = 21;
    if (o->check) args[na++] = "--check";
    if (o->log_placement) args[na++] = "--log-placement";
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_gpu: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid == 0) {
        close(fds[0]);
        execv("/proc/self/exe", args);
        fprintf(stderr, "bench_gpu: exec /proc/self/exe: %s\n", strerror(errno));
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    bool gpu = true;
    int got = 0;
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        if (strstr(line, "\"skipped\"")) {
            gpu = false;
            continue;
        }
        if (*n_res < MAX_RESULTS) {
            read_result(line, &res[(*n_res)++]);
            got++;
        }
    }
    free(line);
    if (f) fclose(f);
    else close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    bool abnormal = WIFSIGNALED(status) || WEXITSTATUS(status) > 1 || (!got && gpu);
    if (abnormal && *n_res < MAX_RESULTS) {
        result *r = &res[(*n_res)++];
        memset(r, 0, sizeof *r);
        snprintf(r->model, sizeof r->model, "%s", frt_bench_keras_name(model));
        snprintf(r->mode, sizeof r->mode, "%s", mode_names[mode]);
        r->batch = batch;
        if (WIFSIGNALED(status))
            snprintf(r->error, sizeof r->error, "its process died of signal %d (%s)%s",
                     WTERMSIG(status), strsignal(WTERMSIG(status)),
                     got ? " after reporting" : "");
        else
            snprintf(r->error, sizeof r->error, "its process exited with status %d%s",
                     WEXITSTATUS(status), got ? " after reporting" : "");
    }
    return gpu;
}

/* ---- output ---- */

static int model_rank(const char *m) {
    for (int i = 0; frt_bench_keras_name(i); i++)
        if (strcmp(m, frt_bench_keras_name(i)) == 0) return i;
    return 99;
}
static int mode_rank(const char *m) {
    for (int i = 0; i < NUM_MODES; i++)
        if (strcmp(m, mode_names[i]) == 0) return i;
    return 99;
}
static int cmp_result(const void *a, const void *b) {
    const result *x = a, *y = b;
    int d = model_rank(x->model) - model_rank(y->model);
    if (!d) d = (x->batch > y->batch) - (x->batch < y->batch);
    if (!d) d = mode_rank(x->mode) - mode_rank(y->mode);
    return d;
}

static double mib(long long b) { return (double)b / (1 << 20); }

static void print_table(const result *res, int n) {
    if (n == 0) return;
    bool sim = false;
    for (int i = 0; i < n; i++) sim = sim || res[i].simulated;
    const result *g = NULL;
    for (int i = 0; i < n && !g; i++)
        if (res[i].gpu[0]) g = &res[i];
    if (g)
        printf("GPU: %s%s, %.0f MiB\n", g->gpu, g->simulated ? " (simulated)" : "",
               mib(g->gpu_total_bytes));
    printf("%-12s %5s %-8s %9s %9s %9s %9s %8s %9s %9s %9s %9s %-21s %8s %6s %s\n", "model",
           "batch", "mode", "first_ms", "median_ms", "min_ms", "p90_ms", "img/s", "peak_MiB",
           "sess_MiB", "rsrv_MiB", "limit_MiB", "allocator", "gpu/cpu", "copies", "output");
    for (int i = 0; i < n; i++) {
        const result *r = &res[i];
        if (r->error[0]) {
            printf("%-12s %5lld %-8s FAILED: %s\n", r->model, r->batch, r->mode, r->error);
            continue;
        }
        char nodes[24], check[32];
        snprintf(nodes, sizeof nodes, "%lld/%lld", r->nodes_gpu, r->nodes_cpu);
        if (r->max_abs_diff >= 0) snprintf(check, sizeof check, " cpu_diff=%.2g", r->max_abs_diff);
        else check[0] = 0;
        printf("%-12s %5lld %-8s %9.2f %9.2f %9.2f %9.2f %8.1f %9.1f %9.1f %9.1f %9.1f %-21s %8s "
               "%6lld %s%s\n",
               r->model, r->batch, r->mode, r->first_ms, r->median_ms, r->min_ms, r->p90_ms,
               r->images_per_s, mib(r->peak_bytes), mib(r->session_peak_bytes),
               mib(r->reserved_bytes), mib(r->limit_bytes), r->alloc_mode, nodes, r->copies,
               r->output_ok ? "ok" : "BAD", check);
    }
    /* Parameter counts once per model: equal to Keras' is the check on the structure. */
    for (int i = 0; i < n; i++) {
        bool first = res[i].params > 0; /* failed rows may have no counts */
        for (int j = 0; j < i; j++)
            first = first && (strcmp(res[j].model, res[i].model) != 0 || !res[j].params);
        if (first)
            printf("%s: %lld graph nodes, %lld parameters (Keras: %lld, %s)\n", res[i].model,
                   res[i].graph_nodes, res[i].params, res[i].keras_params,
                   res[i].params == res[i].keras_params ? "equal" : "DIFFERENT");
    }
    if (sim)
        printf("note: simulated GPU (cuda/sim): its kernels are naive host reference code, so "
               "these times mean nothing; placement, copies and memory are real\n");
}

static int write_json(const char *path, const result *res, int n, bool skipped) {
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "bench_gpu: %s: %s\n", path, strerror(errno));
        return 1;
    }
    fprintf(f, "{\"bench\": \"gpu\", \"skipped\": %s, \"results\": [",
            skipped ? "\"no GPU\"" : "null");
    for (int i = 0; i < n; i++) {
        fputs(i ? ",\n  " : "\n  ", f);
        write_result(f, &res[i]);
    }
    fputs("\n]}\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "bench_gpu: %s: %s\n", path, strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- arguments ---- */

static int usage(const char *why) {
    if (why) fprintf(stderr, "bench_gpu: %s\n", why);
    fprintf(stderr, "usage: bench_gpu [--model mobilenet_v2|resnet50|all] [--batch 1,32] "
                    "[--runs N] [--warmup N]\n"
                    "                 [--mode default|fraction|growth|limit|all] "
                    "[--device gpu|cpu] [--json FILE]\n"
                    "                 [--fraction F (0.5)] [--limit-mb N (2048)] [--check] "
                    "[--log-placement] [--seed N]\n");
    return 2;
}

static bool parse_long(const char *s, long lo, long hi, long *out) {
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || end == s || *end || errno || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.runs = 20, .warmup = 3, .mode = NUM_MODES, .fraction = 0.5,
                   .limit_mb = 2048, .seed = 1, .report_fd = -1};
    const char *model_arg = "all", *batch_arg = "1,32";
    bool mode_given = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long x;
        if (strcmp(a, "--check") == 0 || strcmp(a, "--log-placement") == 0) {
            if (a[2] == 'c') o->check = true;
            else o->log_placement = true;
            continue;
        }
        if (!v) return usage("a flag without its value");
        i++;
        if (strcmp(a, "--model") == 0) {
            model_arg = v;
        } else if (strcmp(a, "--batch") == 0) {
            batch_arg = v;
        } else if (strcmp(a, "--runs") == 0) {
            if (!parse_long(v, 1, 1000000, &x)) return usage("--runs: expected 1 or more");
            o->runs = (int)x;
        } else if (strcmp(a, "--warmup") == 0) {
            if (!parse_long(v, 0, 1000000, &x)) return usage("--warmup: expected 0 or more");
            o->warmup = (int)x;
        } else if (strcmp(a, "--mode") == 0) {
            mode_given = true;
            o->mode = -1;
            for (int m = 0; m < NUM_MODES; m++)
                if (strcmp(v, mode_names[m]) == 0) o->mode = m;
            if (strcmp(v, "all") == 0) o->mode = NUM_MODES;
            if (o->mode < 0) return usage("--mode: default, fraction, growth, limit or all");
        } else if (strcmp(a, "--device") == 0) {
            if (strcmp(v, "cpu") != 0 && strcmp(v, "gpu") != 0)
                return usage("--device: gpu or cpu");
            o->cpu = strcmp(v, "cpu") == 0;
        } else if (strcmp(a, "--json") == 0) {
            o->json = v;
        } else if (strcmp(a, "--fraction") == 0) {
            char *end;
            o->fraction = strtod(v, &end);
            if (*end || end == v || !(o->fraction > 0 && o->fraction <= 1))
                return usage("--fraction: expected a number in (0, 1]");
        } else if (strcmp(a, "--limit-mb") == 0) {
            if (!parse_long(v, 1, 1L << 30, &x)) return usage("--limit-mb: expected 1 or more");
            o->limit_mb = x;
        } else if (strcmp(a, "--seed") == 0) {
            if (!parse_long(v, 0, 1L << 30, &x)) return usage("--seed: expected 0 or more");
            o->seed = (unsigned long long)x;
        } else if (strcmp(a, "--report-fd") == 0) {
            if (!parse_long(v, 0, 1 << 20, &x)) return usage("--report-fd: expected an fd");
            o->report_fd = (int)x;
        } else {
            fprintf(stderr, "bench_gpu: unknown flag '%s'\n", a);
            return usage(NULL);
        }
    }
    if (strcmp(model_arg, "all") == 0) {
        o->models[0] = 0;
        o->models[1] = 1;
        o->n_models = 2;
    } else {
        for (int i = 0; frt_bench_keras_name(i); i++)
            if (strcmp(model_arg, frt_bench_keras_name(i)) == 0) o->models[o->n_models++] = i;
        if (!o->n_models) return usage("--model: mobilenet_v2, resnet50 or all");
    }
    for (const char *p = batch_arg; *p;) {
        char *end;
        errno = 0;
        long b = strtol(p, &end, 10);
        if (end == p || errno || b < 1 || b > 4096 || (*end && *end != ',') ||
            o->n_batches == MAX_BATCHES)
            return usage("--batch: up to 8 sizes from 1 to 4096, separated by commas");
        o->batches[o->n_batches++] = (int)b;
        p = *end ? end + 1 : end;
    }
    if (!o->n_batches) return usage("--batch: no batch size");
    if (o->cpu && !mode_given) o->mode = MODE_DEFAULT; /* the modes are about GPU memory */
    return 0;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    static result res[MAX_RESULTS];
    int n = 0;
    bool gpu = true;
    const char *force = getenv("TF_FORCE_GPU_ALLOW_GROWTH");
    if (o.report_fd < 0 && !o.cpu && force && (!strcmp(force, "true") || !strcmp(force, "false")))
        fprintf(stderr, "bench_gpu: note: TF_FORCE_GPU_ALLOW_GROWTH=%s overrides allow_growth "
                "in every mode\n", force);
    int first_mode = o.mode == NUM_MODES ? 0 : o.mode;
    int last_mode = o.mode == NUM_MODES ? NUM_MODES - 1 : o.mode;
    if (o.report_fd < 0 && (last_mode - first_mode + 1) * o.n_models * o.n_batches > 1) {
        for (int mi = 0; mi < o.n_models; mi++)
            for (int bi = 0; bi < o.n_batches; bi++)
                for (int m = first_mode; m <= last_mode && gpu; m++)
                    gpu = run_child(&o, argv[0], m, o.models[mi], o.batches[bi], res, &n);
    } else {
        gpu = run_cases(&o, res, &n);
    }
    if (o.report_fd >= 0) { /* a child: the parent prints */
        FILE *f = fdopen(o.report_fd, "w");
        if (!f) return 3;
        if (!gpu) fputs("{\"skipped\": \"no GPU\"}\n", f);
        for (int i = 0; gpu && i < n; i++) {
            write_result(f, &res[i]);
            fputc('\n', f);
        }
        if (fclose(f) != 0) return 3;
    }
    if (!gpu) {
        if (o.report_fd < 0) {
            printf("skipped: no GPU\n");
            if (o.json) return write_json(o.json, res, 0, true);
        }
        return 0;
    }
    rc = 0;
    for (int i = 0; i < n; i++) rc = rc || res[i].error[0] || !res[i].output_ok;
    if (o.report_fd >= 0) return rc;
    qsort(res, (size_t)n, sizeof *res, cmp_result);
    print_table(res, n);
    if (o.json && write_json(o.json, res, n, false)) return 1;
    return rc;
}
