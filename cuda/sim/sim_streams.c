/* cuda/sim/sim_streams.c: simulated streams: each one a FIFO queue run by its own thread,
 * which waits a random [0, FLOWRT_SIM_DELAY_US] microseconds before every item, so work
 * that is not ordered by a stream or an event runs in an order nobody can count on. The
 * legacy NULL stream of each device is such a stream too, started on first use; it does not
 * synchronise with other streams (the strict reading; see cuda_runtime_api.h).
 * Owns: stream structs (never freed: a destroyed handle's struct stays, so nothing that
 * raced with the destroy reads freed memory), workers, the cudaStream* functions,
 * cudaLaunchHostFunc, cudaDeviceSynchronize, frt_sim_enqueue.
 * Does not own: events (sim_events.c), copies (sim_copy.c), device list (runtime_sim.c).
 * Thread-safety: thread-safe. Lock order: a device's mu before a stream's mu; a worker
 * never holds its stream's mu while it runs an item or takes its device's mu. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cuda/sim/runtime_impl.h"

#define STREAM_KIND "cudaStream_t"

typedef struct sim_item {
    struct sim_item *next;
    void (*fn)(void *arg);
    void *arg;
} sim_item;

struct sim_stream {
    sim_device *dev;
    pthread_mutex_t mu;
    pthread_cond_t cv;   /* signalled when an item is queued, done, or the stream closes */
    sim_item *head, *tail; /* head is the item running (or next to run) */
    uint64_t queued, done;
    int closing, exited;
    unsigned delay_us;
    uint64_t rng;
    struct sim_stream *all_next;
};

static pthread_mutex_t all_mu = PTHREAD_MUTEX_INITIALIZER;
static sim_stream *all_streams; /* every stream ever made, so none is lost */
static uint64_t n_made;

/* ---- the worker ---- */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void random_pause(sim_stream *s) {
    if (!s->delay_us) return;
    uint64_t us = splitmix64(&s->rng) % ((uint64_t)s->delay_us + 1);
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static void leave_device(sim_stream *s) {
    sim_device *d = s->dev;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n_streams; i++) {
        if (d->streams[i] == s) {
            d->streams[i] = d->streams[--d->n_streams];
            break;
        }
    }
    if (d->legacy == s) d->legacy = NULL;
    pthread_mutex_unlock(&d->mu);
}

static void *worker(void *arg) {
    sim_stream *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->closing) pthread_cond_wait(&s->cv, &s->mu);
        sim_item *it = s->head;
        if (!it) break; /* closing and drained */
        pthread_mutex_unlock(&s->mu);
        random_pause(s);
        it->fn(it->arg);
        pthread_mutex_lock(&s->mu);
        s->head = it->next;
        if (!s->head) s->tail = NULL;
        s->done++;
        pthread_cond_broadcast(&s->cv);
        free(it);
    }
    pthread_mutex_unlock(&s->mu);
    leave_device(s);
    pthread_mutex_lock(&s->mu);
    s->exited = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* ---- making and closing streams ---- */

/* A new stream of d with its worker running, or NULL. Caller holds d->mu. */
static sim_stream *start_locked(sim_device *d) {
    if (d->n_streams == d->cap_streams) {
        size_t cap = d->cap_streams ? d->cap_streams * 2 : 8;
        sim_stream **v = realloc(d->streams, cap * sizeof *v);
        if (!v) return NULL;
        d->streams = v;
        d->cap_streams = cap;
    }
    sim_stream *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->dev = d;
    s->delay_us = frt_sim_delay_us();
    pthread_mutex_lock(&all_mu);
    s->rng = frt_sim_seed() ^ (++n_made * 0x2545f4914f6cdd1dull);
    pthread_mutex_unlock(&all_mu);

    pthread_attr_t attr;
    pthread_t t;
    int rc = pthread_attr_init(&attr);
    if (!rc) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        rc = pthread_create(&t, &attr, worker, s);
        pthread_attr_destroy(&attr);
    }
    if (rc) {
        fprintf(stderr, "cuda-sim: cannot start a stream thread: %s\n", strerror(rc));
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s);
        return NULL;
    }
    d->streams[d->n_streams++] = s;
    pthread_mutex_lock(&all_mu);
    s->all_next = all_streams;
    all_streams = s;
    pthread_mutex_unlock(&all_mu);
    return s;
}

sim_stream *frt_sim_legacy_stream(sim_device *d) {
    pthread_mutex_lock(&d->mu);
    if (!d->legacy) d->legacy = start_locked(d);
    sim_stream *s = d->legacy;
    pthread_mutex_unlock(&d->mu);
    return s;
}

/* The worker runs what is queued, then exits. */
static void close_stream(sim_stream *s) {
    pthread_mutex_lock(&s->mu);
    s->closing = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static void wait_exited(sim_stream *s) {
    pthread_mutex_lock(&s->mu);
    while (!s->exited) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

/* ---- queueing and waiting ---- */

cudaError_t frt_sim_stream_resolve(cudaStream_t h, const char *what, sim_stream **out) {
    *out = NULL;
    if (!h) {
        sim_device *d;
        cudaError_t e = frt_sim_current(what, &d);
        if (e) return e;
        *out = frt_sim_legacy_stream(d);
        return *out ? cudaSuccess : cudaErrorMemoryAllocation;
    }
    *out = frt_sim_handle_get(h, STREAM_KIND, what);
    return *out ? cudaSuccess : cudaErrorInvalidResourceHandle;
}

cudaError_t frt_sim_stream_push(sim_stream *s, void (*fn)(void *arg), void *arg) {
    sim_item *it = malloc(sizeof *it);
    if (!it) return cudaErrorMemoryAllocation;
    *it = (sim_item){NULL, fn, arg};
    pthread_mutex_lock(&s->mu);
    if (s->tail)
        s->tail->next = it;
    else
        s->head = it;
    s->tail = it;
    s->queued++;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return cudaSuccess;
}

int frt_sim_stream_device(const sim_stream *s) { return s->dev->index; }

uint64_t frt_sim_stream_mark(sim_stream *s) {
    pthread_mutex_lock(&s->mu);
    uint64_t m = s->queued;
    pthread_mutex_unlock(&s->mu);
    return m;
}

void frt_sim_stream_wait(sim_stream *s, uint64_t mark) {
    pthread_mutex_lock(&s->mu);
    while (s->done < mark) pthread_cond_wait(&s->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
}

void frt_sim_device_sync(sim_device *d) {
    pthread_mutex_lock(&d->mu);
    size_t n = d->n_streams;
    sim_stream **ss = malloc((n ? n : 1) * sizeof *ss);
    uint64_t *marks = malloc((n ? n : 1) * sizeof *marks);
    if (!ss || !marks) {
        /* Waiting under d->mu is safe (workers take it only to exit), only slower. */
        for (size_t i = 0; i < n; i++)
            frt_sim_stream_wait(d->streams[i], frt_sim_stream_mark(d->streams[i]));
        pthread_mutex_unlock(&d->mu);
    } else {
        for (size_t i = 0; i < n; i++) {
            ss[i] = d->streams[i];
            marks[i] = frt_sim_stream_mark(ss[i]);
        }
        pthread_mutex_unlock(&d->mu);
        for (size_t i = 0; i < n; i++) frt_sim_stream_wait(ss[i], marks[i]);
    }
    free(ss);
    free(marks);
}

void frt_sim_sync_all_devices(void) {
    for (int i = 0; i < frt_sim_device_count(); i++) frt_sim_device_sync(frt_sim_device(i));
}

cudaError_t frt_sim_enqueue(cudaStream_t s, void (*fn)(void *arg), void *arg) {
    cudaError_t e = frt_sim_api_enter("cuBLAS/cuDNN");
    sim_stream *st;
    if (!e) e = frt_sim_stream_resolve(s, "cuBLAS/cuDNN stream", &st);
    if (!e) e = frt_sim_stream_push(st, fn, arg);
    return frt_sim_ret(e);
}

cudaError_t frt_sim_check_stream(cudaStream_t s, const char *what) {
    sim_stream *st;
    return frt_sim_stream_resolve(s, what, &st);
}

void frt_sim_streams_reset(void) {
    for (int i = 0; i < frt_sim_device_count(); i++) {
        sim_device *d = frt_sim_device(i);
        pthread_mutex_lock(&d->mu);
        while (d->n_streams) { /* each worker takes itself off the list before it exits */
            sim_stream *s = d->streams[0];
            pthread_mutex_unlock(&d->mu);
            close_stream(s);
            wait_exited(s);
            pthread_mutex_lock(&d->mu);
        }
        pthread_mutex_unlock(&d->mu);
    }
    frt_sim_handles_retire_kind(STREAM_KIND);
}

/* ---- the API ---- */

static cudaError_t create(const char *api, cudaStream_t *pStream, unsigned int flags) {
    cudaError_t e = frt_sim_api_enter(api);
    if (e) return e;
    if (!pStream) return frt_sim_fail(cudaErrorInvalidValue, "%s: pStream is NULL", api);
    *pStream = NULL;
    if (flags & ~(unsigned)cudaStreamNonBlocking)
        return frt_sim_fail(cudaErrorInvalidValue, "%s: unknown flags 0x%x", api, flags);
    sim_device *d;
    if ((e = frt_sim_current(api, &d))) return e;
    pthread_mutex_lock(&d->mu);
    sim_stream *s = start_locked(d);
    pthread_mutex_unlock(&d->mu);
    if (!s) return cudaErrorMemoryAllocation;
    void *h = frt_sim_handle_new(STREAM_KIND, s);
    if (!h) {
        close_stream(s);
        return cudaErrorMemoryAllocation;
    }
    *pStream = h;
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *pStream) {
    return frt_sim_ret(create("cudaStreamCreate", pStream, cudaStreamDefault));
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *pStream, unsigned int flags) {
    return frt_sim_ret(create("cudaStreamCreateWithFlags", pStream, flags));
}

/* As CUDA documents: returns at once; work already queued still runs, then the stream ends. */
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    cudaError_t e = frt_sim_api_enter("cudaStreamDestroy");
    if (e) return frt_sim_ret(e);
    if (!stream)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidResourceHandle,
                                        "cudaStreamDestroy: the NULL stream cannot be destroyed"));
    sim_stream *s = frt_sim_handle_retire(stream, STREAM_KIND, "cudaStreamDestroy");
    if (!s) return frt_sim_ret(cudaErrorInvalidResourceHandle);
    close_stream(s);
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    cudaError_t e = frt_sim_api_enter("cudaStreamSynchronize");
    sim_stream *s;
    if (!e) e = frt_sim_stream_resolve(stream, "cudaStreamSynchronize", &s);
    if (!e) frt_sim_stream_wait(s, frt_sim_stream_mark(s));
    return frt_sim_ret(e);
}

typedef struct {
    cudaHostFn_t fn;
    void *user_data;
} host_call;

static void run_host_call(void *arg) {
    host_call *c = arg;
    frt_sim_set_in_host_fn(1);
    c->fn(c->user_data);
    frt_sim_set_in_host_fn(0);
    free(c);
}

cudaError_t cudaLaunchHostFunc(cudaStream_t stream, cudaHostFn_t fn, void *userData) {
    cudaError_t e = frt_sim_api_enter("cudaLaunchHostFunc");
    if (e) return frt_sim_ret(e);
    if (!fn)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue, "cudaLaunchHostFunc: fn is NULL"));
    sim_stream *s;
    if ((e = frt_sim_stream_resolve(stream, "cudaLaunchHostFunc", &s))) return frt_sim_ret(e);
    host_call *c = malloc(sizeof *c);
    if (!c) return frt_sim_ret(cudaErrorMemoryAllocation);
    *c = (host_call){fn, userData};
    if ((e = frt_sim_stream_push(s, run_host_call, c))) free(c);
    return frt_sim_ret(e);
}

cudaError_t cudaDeviceSynchronize(void) {
    cudaError_t e = frt_sim_api_enter("cudaDeviceSynchronize");
    sim_device *d;
    if (!e) e = frt_sim_current("cudaDeviceSynchronize", &d);
    if (!e) frt_sim_device_sync(d);
    return frt_sim_ret(e);
}
