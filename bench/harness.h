/* bench/harness.h: timing loop and result line shared by bench/bench_*.c (and tools/ bench).
 * Warm up, repeat until a minimum time and repetition count, report min and median; one line
 * per case: `bench=matmul dtype=f32 shape=256x256x256 device=cpu threads=2 min_us=790
 * median_us=812 gflops=41.3`. Uses only the public API (include/flowrt/flowrt.h).
 * Thread-safety: the functions are reentrant; printing goes to stdout. */
#pragma once
#include <stddef.h>

#include "flowrt/flowrt.h"

typedef struct frt_bench_opts {
    double min_time_s; /* keep repeating until this much time was spent timing (default 0.5) */
    int min_reps;      /* and at least this many timed repetitions (default 5) */
    int max_reps;      /* stop after this many even if min_time_s is not reached (0 = none) */
    int warmup;        /* untimed calls first (default 2) */
} frt_bench_opts;

typedef struct frt_bench_result {
    double min_us, median_us, mean_us;
    int reps;
} frt_bench_result;

/* One repetition; returns NULL or an error (which stops the benchmark). */
typedef frt_status *(*frt_bench_fn)(void *arg);

/* Defaults, then overrides from the environment: FRT_BENCH_MIN_TIME (seconds),
 * FRT_BENCH_REPS (minimum repetitions). */
frt_bench_opts frt_bench_default_opts(void);
/* Monotonic clock in microseconds. */
double frt_bench_now_us(void);
/* Runs fn per opts. On error returns the status (caller owns) and leaves *out zeroed. */
FRT_MUST_USE frt_status *frt_bench_run(const frt_bench_opts *opts, frt_bench_fn fn, void *arg,
                                       frt_bench_result *out);
/* Prints the standard line. flops > 0 adds gflops= (from the median); extra (may be NULL or
 * "") is appended verbatim after a space, for keys such as `impl=cblas ratio=1.02`. */
void frt_bench_print(const char *bench, const char *dtype, const char *shape, int threads,
                     const frt_bench_result *r, double flops, const char *extra);
/* Value of `--name V` in argv, or NULL. */
const char *frt_bench_arg(int argc, char **argv, const char *name);
/* Integer value of `--name N`, or def when absent or not a number. */
int frt_bench_arg_int(int argc, char **argv, const char *name, int def);
