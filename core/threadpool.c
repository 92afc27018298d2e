/* core/threadpool.c: worker threads over one FIFO queue, and parallel_for.
 * Owns: threads, the task queue. Does not own: what tasks do.
 * Thread-safety: one mutex guards the queue. */
#include "core/threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/status.h"

typedef frt_pool_task task;

struct frt_threadpool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    task *head, *tail;
    int stop;
    int n;
    pthread_t *threads;
};

int frt_num_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static void *worker(void *arg) {
    frt_threadpool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->stop) pthread_cond_wait(&p->cv, &p->mu);
        if (!p->head) break; /* stop requested and queue drained */
        task *t = p->head;
        p->head = t->next;
        if (!p->head) p->tail = NULL;
        pthread_mutex_unlock(&p->mu);
        bool owned = t->pool_owned; /* read first: fn may reuse a caller's task */
        t->fn(t->arg);
        if (owned) free(t);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

frt_threadpool *frt_threadpool_new(int nthreads) {
    if (nthreads <= 0) nthreads = frt_num_cpus();
    frt_threadpool *p = frt_calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = frt_calloc((size_t)nthreads, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) break;
        p->n++;
    }
    if (p->n == 0) {
        frt_threadpool_free(p);
        return NULL;
    }
    return p;
}

void frt_threadpool_free(frt_threadpool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p);
}

int frt_threadpool_size(const frt_threadpool *p) { return p ? p->n : 0; }

static void enqueue(frt_threadpool *p, task *t) {
    t->next = NULL;
    pthread_mutex_lock(&p->mu);
    if (p->tail) p->tail->next = t;
    else p->head = t;
    p->tail = t;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void frt_threadpool_push(frt_threadpool *p, frt_pool_task *t) {
    t->pool_owned = false;
    enqueue(p, t);
}

int frt_threadpool_schedule(frt_threadpool *p, void (*fn)(void *), void *arg) {
    task *t = p ? frt_malloc(sizeof *t) : NULL;
    if (!t) {
        fn(arg);
        return p ? -1 : 0;
    }
    t->fn = fn;
    t->arg = arg;
    t->pool_owned = true;
    enqueue(p, t);
    return 0;
}

/* Shared state of one parallel_for. Heap-allocated and reference counted, because helper
 * tasks may start after the caller has already finished every chunk and returned. */
typedef struct pfor {
    atomic_int refs;
    atomic_llong next_chunk;
    atomic_llong done_chunks;
    int64_t n, chunk, nchunks;
    frt_range_fn fn;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pfor;

static void pfor_unref(pfor *f) {
    if (atomic_fetch_sub(&f->refs, 1) != 1) return;
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
}

static void pfor_work(pfor *f) {
    for (;;) {
        int64_t c = atomic_fetch_add(&f->next_chunk, 1);
        if (c >= f->nchunks) break;
        int64_t lo = c * f->chunk, hi = lo + f->chunk < f->n ? lo + f->chunk : f->n;
        f->fn(f->ctx, lo, hi);
        if (atomic_fetch_add(&f->done_chunks, 1) + 1 == f->nchunks) {
            pthread_mutex_lock(&f->mu);
            pthread_cond_broadcast(&f->cv);
            pthread_mutex_unlock(&f->mu);
        }
    }
}

static void pfor_helper(void *arg) {
    pfor *f = arg;
    pfor_work(f);
    pfor_unref(f);
}

void frt_parallel_for(frt_threadpool *p, int max_threads, int64_t n, int64_t grain,
                      frt_range_fn fn, void *ctx) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int threads = p ? p->n + 1 : 1;
    if (max_threads > 0 && max_threads < threads) threads = max_threads;
    int64_t nchunks = (n + grain - 1) / grain;
    if (nchunks > (int64_t)threads * 4) nchunks = (int64_t)threads * 4; /* some balance slack */
    if (threads <= 1 || nchunks <= 1) {
        fn(ctx, 0, n);
        return;
    }
    pfor *f = frt_malloc(sizeof *f);
    if (!f) {
        fn(ctx, 0, n);
        return;
    }
    int helpers = threads - 1;
    if (helpers > nchunks - 1) helpers = (int)(nchunks - 1);
    atomic_init(&f->refs, 1 + helpers);
    atomic_init(&f->next_chunk, 0);
    atomic_init(&f->done_chunks, 0);
    f->n = n;
    f->chunk = (n + nchunks - 1) / nchunks;
    f->nchunks = (n + f->chunk - 1) / f->chunk;
    f->fn = fn;
    f->ctx = ctx;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    for (int i = 0; i < helpers; i++)
        if (frt_threadpool_schedule(p, pfor_helper, f) != 0) {} /* ran inline */
    pfor_work(f);
    pthread_mutex_lock(&f->mu);
    while (atomic_load(&f->done_chunks) < f->nchunks) pthread_cond_wait(&f->cv, &f->mu);
    pthread_mutex_unlock(&f->mu);
    pfor_unref(f);
}
