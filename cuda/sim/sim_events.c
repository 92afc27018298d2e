/* cuda/sim/sim_events.c: simulated events. Recording queues a marker on the stream; the
 * event stands for its most recent record, as in CUDA: cudaEventQuery and
 * cudaEventSynchronize look at that record, cudaStreamWaitEvent makes the waiting stream's
 * thread block, at that point of its queue, until the record captured at the call has run.
 * An event never recorded counts as complete (cudaEventQuery returns cudaSuccess).
 * Owns: event structs (never freed, like streams), the records (reference counted: the
 * event, the queued marker and each waiter hold one), the cudaEvent* functions and
 * cudaStreamWaitEvent.
 * Thread-safety: thread-safe; one mutex and condition variable for all records (waiters
 * re-check their own record when woken). */
#include <stdlib.h>

#include "cuda/sim/runtime_impl.h"

#define EVENT_KIND "cudaEvent_t"
#define EVENT_FLAGS \
    (cudaEventBlockingSync | cudaEventDisableTiming | cudaEventInterprocess)

typedef struct record {
    int done;
    int refs;
} record;

typedef struct sim_event {
    int device;
    record *last; /* the most recent record; NULL when never recorded */
    struct sim_event *all_next;
} sim_event;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static sim_event *all_events; /* every event ever made */

/* Caller holds mu. */
static void unref(record *r) {
    if (r && --r->refs == 0) free(r);
}

static void run_marker(void *arg) {
    record *r = arg;
    pthread_mutex_lock(&mu);
    r->done = 1;
    pthread_cond_broadcast(&done_cv);
    unref(r);
    pthread_mutex_unlock(&mu);
}

/* Caller holds mu. */
static void wait_done(record *r) {
    while (!r->done) pthread_cond_wait(&done_cv, &mu);
}

static void run_wait(void *arg) {
    record *r = arg;
    pthread_mutex_lock(&mu);
    wait_done(r);
    unref(r);
    pthread_mutex_unlock(&mu);
}

static cudaError_t create(const char *api, cudaEvent_t *event, unsigned int flags) {
    cudaError_t e = frt_sim_api_enter(api);
    if (e) return e;
    if (!event) return frt_sim_fail(cudaErrorInvalidValue, "%s: event is NULL", api);
    *event = NULL;
    if ((flags & ~(unsigned)EVENT_FLAGS) ||
        ((flags & cudaEventInterprocess) && !(flags & cudaEventDisableTiming)))
        return frt_sim_fail(cudaErrorInvalidValue, "%s: invalid flags 0x%x", api, flags);
    sim_device *d;
    if ((e = frt_sim_current(api, &d))) return e;
    sim_event *ev = calloc(1, sizeof *ev);
    if (!ev) return cudaErrorMemoryAllocation;
    ev->device = d->index;
    void *h = frt_sim_handle_new(EVENT_KIND, ev);
    if (!h) {
        free(ev);
        return cudaErrorMemoryAllocation;
    }
    pthread_mutex_lock(&mu);
    ev->all_next = all_events;
    all_events = ev;
    pthread_mutex_unlock(&mu);
    *event = h;
    return cudaSuccess;
}

cudaError_t cudaEventCreate(cudaEvent_t *event) {
    return frt_sim_ret(create("cudaEventCreate", event, cudaEventDefault));
}

cudaError_t cudaEventCreateWithFlags(cudaEvent_t *event, unsigned int flags) {
    return frt_sim_ret(create("cudaEventCreateWithFlags", event, flags));
}

static cudaError_t record_on(cudaEvent_t event, cudaStream_t stream) {
    cudaError_t e = frt_sim_api_enter("cudaEventRecord");
    if (e) return e;
    sim_event *ev = frt_sim_handle_get(event, EVENT_KIND, "cudaEventRecord");
    if (!ev) return cudaErrorInvalidResourceHandle;
    sim_stream *s;
    if ((e = frt_sim_stream_resolve(stream, "cudaEventRecord", &s))) return e;
    if (frt_sim_stream_device(s) != ev->device)
        return frt_sim_fail(cudaErrorInvalidResourceHandle,
                            "cudaEventRecord: event %p of device %d recorded on a stream of "
                            "device %d", (void *)event, ev->device, frt_sim_stream_device(s));
    record *r = malloc(sizeof *r);
    if (!r) return cudaErrorMemoryAllocation;
    *r = (record){0, 2}; /* the event's reference and the marker's */
    if ((e = frt_sim_stream_push(s, run_marker, r))) {
        free(r);
        return e;
    }
    pthread_mutex_lock(&mu);
    unref(ev->last);
    ev->last = r;
    pthread_mutex_unlock(&mu);
    return cudaSuccess;
}

cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream) {
    return frt_sim_ret(record_on(event, stream));
}

/* cudaErrorNotReady is an answer, not an error: it is not kept as the last error. */
cudaError_t cudaEventQuery(cudaEvent_t event) {
    cudaError_t e = frt_sim_api_enter("cudaEventQuery");
    if (e) return frt_sim_ret(e);
    sim_event *ev = frt_sim_handle_get(event, EVENT_KIND, "cudaEventQuery");
    if (!ev) return frt_sim_ret(cudaErrorInvalidResourceHandle);
    pthread_mutex_lock(&mu);
    e = !ev->last || ev->last->done ? cudaSuccess : cudaErrorNotReady;
    pthread_mutex_unlock(&mu);
    return e;
}

cudaError_t cudaEventSynchronize(cudaEvent_t event) {
    cudaError_t e = frt_sim_api_enter("cudaEventSynchronize");
    if (e) return frt_sim_ret(e);
    sim_event *ev = frt_sim_handle_get(event, EVENT_KIND, "cudaEventSynchronize");
    if (!ev) return frt_sim_ret(cudaErrorInvalidResourceHandle);
    pthread_mutex_lock(&mu);
    record *r = ev->last;
    if (r) {
        r->refs++;
        wait_done(r);
        unref(r);
    }
    pthread_mutex_unlock(&mu);
    return cudaSuccess;
}

/* As CUDA allows, a record still queued completes after the event is destroyed. */
cudaError_t cudaEventDestroy(cudaEvent_t event) {
    cudaError_t e = frt_sim_api_enter("cudaEventDestroy");
    if (e) return frt_sim_ret(e);
    sim_event *ev = frt_sim_handle_retire(event, EVENT_KIND, "cudaEventDestroy");
    if (!ev) return frt_sim_ret(cudaErrorInvalidResourceHandle);
    pthread_mutex_lock(&mu);
    unref(ev->last);
    ev->last = NULL;
    pthread_mutex_unlock(&mu);
    return cudaSuccess;
}

static cudaError_t wait_event(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
    cudaError_t e = frt_sim_api_enter("cudaStreamWaitEvent");
    if (e) return e;
    if (flags != 0)
        return frt_sim_fail(cudaErrorInvalidValue, "cudaStreamWaitEvent: flags 0x%x (only 0 is "
                            "simulated)", flags);
    sim_stream *s;
    if ((e = frt_sim_stream_resolve(stream, "cudaStreamWaitEvent", &s))) return e;
    sim_event *ev = frt_sim_handle_get(event, EVENT_KIND, "cudaStreamWaitEvent");
    if (!ev) return cudaErrorInvalidResourceHandle;
    pthread_mutex_lock(&mu);
    record *r = ev->last;
    if (!r || r->done) { /* nothing to wait for */
        pthread_mutex_unlock(&mu);
        return cudaSuccess;
    }
    r->refs++;
    pthread_mutex_unlock(&mu);
    if ((e = frt_sim_stream_push(s, run_wait, r))) {
        pthread_mutex_lock(&mu);
        unref(r);
        pthread_mutex_unlock(&mu);
    }
    return e;
}

cudaError_t cudaStreamWaitEvent(cudaStream_t stream, cudaEvent_t event, unsigned int flags) {
    return frt_sim_ret(wait_event(stream, event, flags));
}

void frt_sim_events_reset(void) {
    frt_sim_handles_retire_kind(EVENT_KIND);
    pthread_mutex_lock(&mu);
    for (sim_event *ev = all_events; ev; ev = ev->all_next) {
        unref(ev->last);
        ev->last = NULL;
    }
    pthread_mutex_unlock(&mu);
}
