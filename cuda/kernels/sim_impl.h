/* cuda/kernels/sim_impl.h: what the simulation's builds of flowrt's kernels (the _sim.c
 * files, make build-sim only) share: queueing a launch as a job on the simulated stream,
 * translating each device pointer to host memory over exactly the elements the kernel may
 * touch (so a launcher whose shape arithmetic reaches past an allocation raises a
 * violation), checking each access against that extent, and the order in which the
 * simulated kernel visits its indices (a fixed permutation, not 0, 1, 2...: GPU threads
 * run in no order, so a body must not depend on one).
 * Owns: these helpers. Does not own: the bodies (cuda/kernels/<family>.cuh), the simulation
 * itself (cuda/sim/).
 * Thread-safety: a job runs on its stream's thread and owns its memory; helpers are pure. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cuda/sim/sim_internal.h"

/* Queues run(job) on stream s; job (malloc'd) is run's to free. On a refused stream the job
 * is freed here and the error returned. */
static inline cudaError_t frt_cu_sim_launch(cudaStream_t s, void (*run)(void *), void *job) {
    if (!job) return cudaErrorMemoryAllocation;
    cudaError_t e = frt_sim_enqueue(s, run, job);
    if (e != cudaSuccess) free(job);
    return e;
}

/* Elements [lo, hi] (inclusive; hi < lo: none) of es bytes at device pointer dev, in host
 * memory; accesses outside them are violations. */
typedef struct frt_cu_sim_span {
    char *host;                      /* element lo; NULL when empty */
    int64_t lo, hi;
    size_t es;
    const char *what;
} frt_cu_sim_span;

/* False after a violation (the range is not inside one live allocation). */
static inline bool frt_cu_sim_span_init(frt_cu_sim_span *sp, const void *dev, int64_t lo,
                                        int64_t hi, size_t es, const char *what) {
    sp->host = NULL;
    sp->lo = lo;
    sp->hi = hi;
    sp->es = es;
    sp->what = what;
    if (hi < lo) return true;
    if (lo < 0) {
        frt_sim_violation("%s: the kernel reaches element %lld, before the pointer", what,
                          (long long)lo);
        return false;
    }
    sp->host = frt_sim_host_ptr((const char *)dev + (size_t)lo * es,
                                (size_t)(hi - lo + 1) * es, what);
    return sp->host != NULL;
}

/* The host address of element idx, or NULL after a violation when idx is outside the span. */
static inline char *frt_cu_sim_at(const frt_cu_sim_span *sp, int64_t idx) {
    if (idx < sp->lo || idx > sp->hi) {
        frt_sim_violation("%s: element %lld is outside the %lld..%lld the launch covers",
                          sp->what, (long long)idx, (long long)sp->lo, (long long)sp->hi);
        return NULL;
    }
    return sp->host + (size_t)(idx - sp->lo) * sp->es;
}

/* A step coprime with n: index k of a simulated launch visits element k * step mod n. */
static inline int64_t frt_cu_sim_step(int64_t n) {
    static const int64_t primes[] = {7919, 7907, 7901, 7883};
    for (size_t k = 0; k < sizeof primes / sizeof primes[0]; k++)
        if (n % primes[k] != 0) return primes[k] % n ? primes[k] % n : 1;
    return 1;
}

/* for (i over a permutation of [0, n)). */
#define FRT_CU_SIM_FOR(i, n)                                                               \
    for (int64_t frt_k_ = 0, frt_step_ = frt_cu_sim_step(n), i = 0;                         \
         frt_k_ < (n) && ((i = frt_k_ * frt_step_ % (n)), 1); frt_k_++)
