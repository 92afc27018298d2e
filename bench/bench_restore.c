/* bench/bench_restore.c: checkpoint restore throughput — open a V2 checkpoint and read every
 * tensor (checksums verified), through the public frt_checkpoint API or through RestoreV2
 * kernels, and report GB/s of tensor bytes. Each repetition opens the checkpoint afresh
 * (index parse, then pread into owned tensors, or with --zero-copy mmap + page faults), as a
 * restore does.
 *   bench_restore [--checkpoint PREFIX_OR_DIR] [--via api|kernel] [--mb N] [--zero-copy]
 * Without --checkpoint it writes a synthetic N MB (default 64) float checkpoint to /tmp.
 * Output: one harness line with bytes=, gbps= (median wall time), max_gbps= (fastest) and
 * cpu_gbps= (median process CPU time: steadier than wall time on a loaded machine). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/harness.h"
#include "io/bundle.h"
#include "core/attr.h"
#include "core/kernel.h"
#include "runtime/init.h"

typedef struct job {
    const char *path;
    bool kernel, zero_copy;
    double bytes;
    double cpu_us[256]; /* process CPU time of each call (warm-ups first) */
    int ncpu;
} job;

static double cpu_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static size_t tensor_bytes(const frt_tensor *t) {
    if (frt_tensor_dtype(t) != FRT_DTYPE_STRING) return frt_tensor_nbytes(t);
    size_t n = 0, len;
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++) {
        frt_tensor_string(t, i, &len);
        n += len;
    }
    return n;
}

static frt_status *restore_kernel(const frt_checkpoint *c, double *bytes) {
    int n = frt_checkpoint_num_tensors(c);
    frt_status *st = NULL;
    for (int base = 0; base < n && !st; base += 64) {
        int k = n - base < 64 ? n - base : 64;
        frt_tensor *names, *slices, *prefix, *outs[64];
        frt_dtype dts[64];
        FRT_TRY(frt_tensor_new(FRT_DTYPE_STRING, NULL, 0, &prefix));
        FRT_TRY(frt_tensor_new(FRT_DTYPE_STRING, (int64_t[]){k}, 1, &names));
        FRT_TRY(frt_tensor_new(FRT_DTYPE_STRING, (int64_t[]){k}, 1, &slices));
        const char *p = frt_checkpoint_prefix(c);
        FRT_TRY(frt_tensor_set_string(prefix, 0, p, strlen(p)));
        for (int i = 0; i < k; i++) {
            const char *nm = frt_checkpoint_tensor_name(c, base + i);
            FRT_TRY(frt_tensor_set_string(names, i, nm, strlen(nm)));
            dts[i] = frt_checkpoint_tensor_dtype(c, base + i);
        }
        frt_attrs a;
        frt_attrs_init(&a);
        frt_attr_value v = {.kind = FRT_ATTR_LIST};
        v.v.list.elem = FRT_ATTR_TYPE;
        v.v.list.n = k;
        v.v.list.v.type = malloc((size_t)k * sizeof(frt_dtype));
        memcpy(v.v.list.v.type, dts, (size_t)k * sizeof(frt_dtype));
        frt_attrs_set(&a, "dtypes", &v);
        frt_tensor *in[3] = {prefix, names, slices};
        st = frt_kernel_run_once("RestoreV2", &a, in, 3, outs, k, NULL);
        for (int i = 0; i < k && !st; i++) {
            *bytes += (double)tensor_bytes(outs[i]);
            frt_tensor_unref(outs[i]);
        }
        frt_attrs_deinit(&a);
        frt_tensor_unref(prefix);
        frt_tensor_unref(names);
        frt_tensor_unref(slices);
    }
    return st;
}

static frt_status *restore_all(void *arg) {
    job *j = arg;
    double c0 = cpu_now_us();
    frt_checkpoint *c;
    FRT_TRY(frt_checkpoint_open_flags(j->path, j->zero_copy ? FRT_CHECKPOINT_ZERO_COPY : 0, &c));
    double bytes = 0;
    frt_status *st = NULL;
    if (j->kernel) {
        st = restore_kernel(c, &bytes);
    } else {
        for (int i = 0; i < frt_checkpoint_num_tensors(c) && !st; i++) {
            frt_tensor *t;
            st = frt_checkpoint_read(c, frt_checkpoint_tensor_name(c, i), &t);
            if (!st) {
                bytes += (double)tensor_bytes(t);
                frt_tensor_unref(t);
            }
        }
    }
    frt_checkpoint_close(c);
    j->bytes = bytes;
    if (j->ncpu < (int)(sizeof j->cpu_us / sizeof *j->cpu_us))
        j->cpu_us[j->ncpu++] = cpu_now_us() - c0;
    return st;
}

/* n_mb MB of float tensors (1 MiB .. 8 MiB each) under prefix. */
static frt_status *write_synthetic(const char *prefix, int n_mb) {
    frt_bundle_writer *w;
    FRT_TRY(frt_bundle_writer_new(prefix, &w));
    frt_status *st = NULL;
    size_t left = (size_t)n_mb << 20;
    for (int i = 0; left > 0 && !st; i++) {
        size_t bytes = ((size_t)1 << 20) << (i % 4);
        if (bytes > left) bytes = left;
        left -= bytes;
        frt_tensor *t;
        st = frt_tensor_new(FRT_DTYPE_FLOAT, (int64_t[]){(int64_t)(bytes / 4)}, 1, &t);
        if (st) break;
        float *f = frt_tensor_data(t);
        for (size_t k = 0; k < bytes / 4; k++) f[k] = (float)(k % 1000) * 0.001f;
        char name[32];
        snprintf(name, sizeof name, "layer_%03d/kernel", i);
        st = frt_bundle_writer_add(w, name, t);
        frt_tensor_unref(t);
    }
    if (!st) st = frt_bundle_writer_finish(w);
    frt_bundle_writer_free(w);
    return st;
}

int main(int argc, char **argv) {
    frt_init();
    const char *path = frt_bench_arg(argc, argv, "--checkpoint");
    const char *via = frt_bench_arg(argc, argv, "--via");
    int mb = frt_bench_arg_int(argc, argv, "--mb", 64);
    char tmp[64] = "";
    frt_status *st = NULL;
    if (!path) {
        snprintf(tmp, sizeof tmp, "/tmp/frt_bench_restore_%ld", (long)getpid());
        st = write_synthetic(tmp, mb);
        path = tmp;
    }
    job j = {.path = path, .kernel = via && strcmp(via, "kernel") == 0};
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--zero-copy") == 0) j.zero_copy = true;
    if (j.kernel && j.zero_copy) {
        fprintf(stderr, "bench_restore: --zero-copy is for --via api (RestoreV2 owns)\n");
        return 2;
    }
    frt_bench_opts o = frt_bench_default_opts();
    frt_bench_result r;
    if (!st) st = frt_bench_run(&o, restore_all, &j, &r);
    if (tmp[0]) {
        char f[128];
        snprintf(f, sizeof f, "%s.index", tmp);
        unlink(f);
        snprintf(f, sizeof f, "%s.data-00000-of-00001", tmp);
        unlink(f);
    }
    if (st) {
        fprintf(stderr, "bench_restore: %s\n", frt_status_message(st));
        frt_status_free(st);
        return 1;
    }
    int skip = j.ncpu > o.warmup ? o.warmup : 0, ncpu = j.ncpu - skip;
    qsort(j.cpu_us + skip, (size_t)ncpu, sizeof *j.cpu_us, cmp_double);
    double cpu_us = ncpu ? j.cpu_us[skip + ncpu / 2] : 0;
    char shape[64], extra[192];
    snprintf(shape, sizeof shape, "%.0fMB", j.bytes / 1e6);
    snprintf(extra, sizeof extra, "via=%s%s bytes=%.0f gbps=%.2f max_gbps=%.2f cpu_gbps=%.2f",
             j.kernel ? "kernel" : "api", j.zero_copy ? " zero_copy=1" : "", j.bytes,
             j.bytes / (r.median_us * 1e3), j.bytes / (r.min_us * 1e3),
             cpu_us > 0 ? j.bytes / (cpu_us * 1e3) : 0.0);
    frt_bench_print("restore", "mixed", shape, 1, &r, 0, extra);
    return 0;
}
