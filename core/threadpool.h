/* core/threadpool.h: a fixed pool of worker threads and a parallel-for on top of it.
 * The executor schedules ready nodes here (inter-op); kernels split loops with
 * frt_parallel_for (intra-op). The caller of parallel_for works on its own loop too and
 * waits only for chunks already claimed, so nested use from pool threads cannot deadlock.
 * Thread-safety: all functions are thread-safe. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef struct frt_threadpool frt_threadpool;

/* nthreads <= 0 means the number of online CPUs. NULL on failure. */
frt_threadpool *frt_threadpool_new(int nthreads);
void frt_threadpool_free(frt_threadpool *p);  /* waits for queued work; NULL-safe */
int frt_threadpool_size(const frt_threadpool *p);
/* Queues fn(arg); never blocks on fn. Returns 0, or -1 on OOM (fn then runs inline). */
int frt_threadpool_schedule(frt_threadpool *p, void (*fn)(void *), void *arg);

/* A task whose storage the caller provides: queueing it allocates nothing, so it cannot
 * fail and never runs fn inline (what a device's callback thread needs). Set fn and arg;
 * the task must stay valid until fn has started, and may be reused from inside fn. */
typedef struct frt_pool_task {
    void (*fn)(void *);
    void *arg;
    struct frt_pool_task *next;  /* the pool's */
    bool pool_owned;             /* the pool's */
} frt_pool_task;
void frt_threadpool_push(frt_threadpool *p, frt_pool_task *t);

typedef void (*frt_range_fn)(void *ctx, int64_t lo, int64_t hi);
/* Calls fn over [0, n) split into chunks of about `grain` units or more, on up to
 * max_threads threads (the caller included); p may be NULL (runs inline). */
void frt_parallel_for(frt_threadpool *p, int max_threads, int64_t n, int64_t grain,
                      frt_range_fn fn, void *ctx);

int frt_num_cpus(void);
