/* bench/bench_chain.c: memory per node on a very long graph. Writes a GraphDef of a float
 * Placeholder `x` followed by N chained Identity nodes (`n1` … `nN`, the last one the only
 * sink) with flowrt's own writer (io/graphdef_write.h); with --run, loads such a file in a
 * fresh process, runs it once feeding x=1 and prints resident bytes per node:
 *
 *   build/bench_chain 1000000 /tmp/chain.pb && build/bench_chain --run 1000000 /tmp/chain.pb
 *   /usr/bin/time -v build/flowrt run /tmp/chain.pb --input x=1   # the CLI's view
 *
 * Owns: nothing reusable; a measuring tool, not a ctest test. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <malloc.h>
#include <string.h>
#include <sys/resource.h>

#include "flowrt/flowrt.h"
#include "graph/graph.h"
#include "io/graphdef_write.h"

static long maxrss_kb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Bytes malloc has handed out and not had back (glibc; 0 elsewhere): what the structures
 * take, whatever the allocator keeps resident. */
static double heap_bytes(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    struct mallinfo2 mi = mallinfo2();
    return (double)mi.uordblks + (double)mi.hblkhd;
#else
    return 0;
#endif
}

/* Resident set size now, in KiB (Linux /proc; 0 elsewhere). */
static long rss_kb(void) {
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    if (f) fclose(f);
    return res * 4;
}

static frt_status *write_chain(long n, const char *path) {
    frt_graph *g = frt_graph_new();
    if (!g) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    frt_graph_add_node(g, "x", "Placeholder", "");
    frt_attr_value dt = {.kind = FRT_ATTR_TYPE, .v.type = FRT_DTYPE_FLOAT};
    frt_attrs_set(&g->nodes[0].attrs, "dtype", &dt);
    char name[32], prev[32] = "x";
    for (long i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "n%ld", i);
        int k = frt_graph_add_node(g, name, "Identity", "");
        frt_node_add_input(&g->nodes[k], prev);
        frt_attr_value t = {.kind = FRT_ATTR_TYPE, .v.type = FRT_DTYPE_FLOAT};
        frt_attrs_set(&g->nodes[k].attrs, "T", &t);
        memcpy(prev, name, sizeof name);
    }
    frt_status *st = frt_graphdef_write_file(g, path);
    frt_graph_free(g);
    return st;
}

/* Loads path, runs it once (x=1, fetching nN), and prints bytes per node: resident after
 * loading, after the run (model + session + cached plan), and the peak, each over the
 * resident size before loading. */
static frt_status *run_chain(long n, const char *path) {
    long base = rss_kb();
    double heap0 = heap_bytes();
    frt_model *m = NULL;
    FRT_TRY(frt_model_load(path, &m));
    long loaded = rss_kb(), load_peak = maxrss_kb();
    double heap_loaded = heap_bytes();
    frt_session *s = NULL;
    frt_status *st = frt_session_new(NULL, m, &s);
    frt_tensor *x = NULL, *y = NULL;
    if (!st) st = frt_tensor_new(FRT_DTYPE_FLOAT, NULL, 0, &x);
    char last[32];
    snprintf(last, sizeof last, "n%ld", n);
    const char *feed = "x", *fetch = last;
    if (!st) *(float *)frt_tensor_data(x) = 1.0f;
    if (!st) st = frt_session_run(s, &feed, &x, 1, &fetch, &y, 1, NULL, 0);
    long ran = rss_kb(), peak = maxrss_kb();
    double heap_ran = heap_bytes();
    double k = 1024.0 / (double)n;
    if (!st)
        printf("bench=chain nodes=%ld rss_loaded=%.0f rss_load_peak=%.0f rss_after_run=%.0f "
               "rss_peak=%.0f heap_loaded=%.0f heap_after_run=%.0f (bytes per node) "
               "peak_rss_mb=%.1f\n",
               n, (loaded - base) * k, (load_peak - base) * k, (ran - base) * k,
               (peak - base) * k, (heap_loaded - heap0) / (double)n,
               (heap_ran - heap0) / (double)n, peak / 1024.0);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_session_free(s);
    frt_model_free(m);
    return st;
}

int main(int argc, char **argv) {
    bool run = argc == 4 && strcmp(argv[1], "--run") == 0;
    if (argc != 3 && !run) {
        fprintf(stderr, "usage: %s N OUT.pb      write the chain\n"
                        "       %s --run N FILE.pb  load and run it, print bytes per node\n",
                argv[0], argv[0]);
        return 2;
    }
    long n = strtol(argv[run ? 2 : 1], NULL, 10);
    if (n < 1) {
        fprintf(stderr, "N must be at least 1\n");
        return 2;
    }
    frt_status *st = run ? run_chain(n, argv[3]) : write_chain(n, argv[2]);
    if (!st && !run) fprintf(stderr, "wrote %s: %ld Identity nodes\n", argv[2], n);
    if (st) {
        fprintf(stderr, "bench_chain: %s\n", frt_status_message(st));
        frt_status_free(st);
        return 1;
    }
    return 0;
}
