/* cuda/device.c: the CUDA device (core/device.h) for each GPU, and the "GPU" backend that
 * finds them (runtime/device.h).
 * Owns: creating a GPU's streams (compute, host-to-device, device-to-host), its ordering
 * event and its cuBLAS / cuDNN handles; copies between host and device and how they are
 * ordered against the compute stream; the device's BFC allocator over cudaMalloc regions
 * (made once per process by open_memory); registering the backend and its kernel families.
 * Does not own: the process's device list (runtime/device.c), the BFC allocator itself
 * (core/bfc.c), kernels (cuda/kernels/, cuda/blas.c, cuda/dnn.c), error statuses
 * (cuda/check.c).
 * Ordering, in CUDA terms (cuda/README.md, "Backend"): a copy to the device records an event
 * on compute that h2d waits for (the destination, just allocated, may have been freed by
 * work still queued on compute), copies, and records an event on h2d that compute waits for
 * (kernels enqueued afterwards see the bytes); a host function on h2d then releases `keep`.
 * A copy to the host waits on d2h for an event recorded on compute, copies, and records an
 * event on d2h; the device's completer thread waits for those events in order, releases each
 * copy's `keep` and calls its done: with the error when the device failed, which a host
 * function would never hear of (CUDA skips them once its context has an error). Host
 * functions make no CUDA calls.
 * Thread-safety: a device is immutable after creation; its ops are thread-safe: CUDA
 * streams take work from any thread, order_mu makes each record-and-wait pair one step,
 * launch_mu serialises kernels (enter/leave), memory_mu guards creating the allocator,
 * done_mu the queue of copies to the host. */
#include "cuda/cuda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_impl.h"
#include "runtime/device.h"

static frt_cuda_device *cuda_dev(frt_device *d) { return (frt_cuda_device *)d; }

/* Makes the calling host thread's current CUDA device d's: the runtime keeps one per thread,
 * and kernel launches, events and library calls act on the current device. */
static frt_status *use_device(frt_cuda_device *d) {
    char what[64];
    cudaError_t e = cudaSetDevice(d->ordinal);
    if (e == cudaSuccess) return NULL;
    snprintf(what, sizeof what, "cudaSetDevice(%d)", d->ordinal);
    return frt_cuda_check(e, what);
}

/* Work enqueued on `waiter` from now on waits for the work enqueued on `signaller` so far. */
static frt_status *order_after(frt_cuda_device *d, cudaStream_t waiter, cudaStream_t signaller,
                               const char *what) {
    pthread_mutex_lock(&d->order_mu);
    cudaError_t e = cudaEventRecord(d->order_event, signaller);
    if (e == cudaSuccess) e = cudaStreamWaitEvent(waiter, d->order_event, 0);
    pthread_mutex_unlock(&d->order_mu);
    return frt_cuda_check(e, what);
}

/* ---- copies ---------------------------------------------------------------------------- */

/* A copy to the device: the source, held until the copy has read it. */
typedef struct copy_done {
    frt_tensor *keep;     /* a reference */
} copy_done;

/* Runs on CUDA's callback thread once the copy before it on h2d is done: no CUDA calls allowed
 * here (the runtime forbids them; the simulation checks). Releasing keep may free memory,
 * which the host allocators do without CUDA. */
static void copy_finished(void *p) {
    copy_done *c = p;
    frt_tensor_unref(c->keep);
    free(c);
}

/* A copy to the host in flight, or a spare entry keeping its event for the next one. */
typedef struct frt_cuda_pending {
    struct frt_cuda_pending *next;
    cudaEvent_t done_event;   /* recorded on d2h after the copy */
    frt_tensor *keep;
    frt_copy_done_fn done;
    void *arg;
} pending;

/* A spare entry, or a new one with its event (on the current device, which is d's). */
static frt_status *take_pending(frt_cuda_device *d, pending **out) {
    pthread_mutex_lock(&d->done_mu);
    pending *p = d->spare;
    if (p) d->spare = p->next;
    pthread_mutex_unlock(&d->done_mu);
    if (!p) {
        if (!(p = frt_calloc(1, sizeof *p))) return frt_status_oom("a copy to the host");
        /* blocking: the completer sleeps in cudaEventSynchronize instead of spinning */
        frt_status *st = frt_cuda_check(
            cudaEventCreateWithFlags(&p->done_event,
                                     cudaEventBlockingSync | cudaEventDisableTiming),
            "cudaEventCreateWithFlags for a copy to the host");
        if (st) {
            free(p);
            return st;
        }
    }
    p->next = NULL;
    *out = p;
    return NULL;
}

static void put_spare(frt_cuda_device *d, pending *p) {
    pthread_mutex_lock(&d->done_mu);
    p->next = d->spare;
    d->spare = p;
    pthread_mutex_unlock(&d->done_mu);
}

/* The completer: one thread per device, an ordinary one (so done may even call CUDA). Copies
 * to the host finish in d2h's order, so it waits for the oldest first. */
static void *completer_main(void *arg) {
    frt_cuda_device *d = arg;
    (void)cudaSetDevice(d->ordinal);
    pthread_mutex_lock(&d->done_mu);
    for (;;) {
        while (!d->head && !d->stopping) pthread_cond_wait(&d->done_cv, &d->done_mu);
        pending *p = d->head;
        if (!p) break; /* stopping, and nothing left */
        pthread_mutex_unlock(&d->done_mu);

        frt_status *st = frt_cuda_check(cudaEventSynchronize(p->done_event),
                                        "a copy to the host");
        if (st) st = frt_status_annotate(st, " [[%s]]", d->base.name);
        frt_tensor_unref(p->keep);
        p->done(p->arg, st);

        pthread_mutex_lock(&d->done_mu);
        d->head = p->next;
        if (!d->head) d->tail = NULL;
        p->next = d->spare;
        d->spare = p;
        d->completed++;
        pthread_cond_broadcast(&d->done_cv);
    }
    pthread_mutex_unlock(&d->done_mu);
    return NULL;
}

static frt_status *cuda_copy_to_device(frt_device *base, void *dst, const void *src, size_t n,
                                       frt_tensor *keep) {
    frt_cuda_device *d = cuda_dev(base);
    if (n == 0) return NULL; /* an empty tensor has no device buffer to copy into */
    copy_done *c = NULL;
    if (keep && !(c = frt_calloc(1, sizeof *c)))
        return frt_status_oom("a copy to %s", base->name);
    frt_status *st = use_device(d);
    if (!st) st = order_after(d, d->h2d, d->compute, "ordering a copy to the GPU after its "
                                                     "compute stream");
    if (!st) st = frt_cuda_check(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, d->h2d),
                                 "cudaMemcpyAsync to the GPU");
    if (st) { /* nothing enqueued reads src */
        free(c);
        return frt_status_annotate(st, " [[%s]]", base->name);
    }
    /* The copy is queued: from here on src may be read until the host function runs. */
    st = order_after(d, d->compute, d->h2d, "ordering the GPU's compute stream after a copy");
    if (c) {
        c->keep = frt_tensor_ref(keep);
        frt_status *hs = frt_cuda_check(cudaLaunchHostFunc(d->h2d, copy_finished, c),
                                        "cudaLaunchHostFunc after a copy to the GPU");
        if (hs) { /* release keep once the copy is certainly done with it */
            frt_status_free(frt_cuda_check(cudaStreamSynchronize(d->h2d), "cudaStreamSynchronize"));
            frt_tensor_unref(keep);
            free(c);
            if (!st) st = hs;
            else frt_status_free(hs);
        }
    }
    return st ? frt_status_annotate(st, " [[%s]]", base->name) : NULL;
}

static frt_status *cuda_copy_to_host(frt_device *base, void *dst, const void *src, size_t n,
                                     frt_tensor *keep, frt_copy_done_fn done, void *arg) {
    frt_cuda_device *d = cuda_dev(base);
    if (n == 0) {
        done(arg, NULL);
        return NULL;
    }
    pending *p = NULL;
    frt_status *st = use_device(d);
    if (!st) st = take_pending(d, &p);
    if (!st) st = order_after(d, d->d2h, d->compute, "ordering a copy to the host after the "
                                                     "GPU's compute stream");
    if (!st) st = frt_cuda_check(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, d->d2h),
                                 "cudaMemcpyAsync to the host");
    if (!st) {
        st = frt_cuda_check(cudaEventRecord(p->done_event, d->d2h),
                            "cudaEventRecord after a copy to the host");
        /* done is not called: the copy counts as never enqueued, once it is over */
        if (st) frt_status_free(frt_cuda_check(cudaStreamSynchronize(d->d2h),
                                               "cudaStreamSynchronize"));
    }
    if (st) {
        if (p) put_spare(d, p);
        return frt_status_annotate(st, " [[%s]]", base->name);
    }
    p->keep = frt_tensor_ref(keep);
    p->done = done;
    p->arg = arg;
    pthread_mutex_lock(&d->done_mu);
    if (d->tail) d->tail->next = p;
    else d->head = p;
    d->tail = p;
    d->queued++;
    pthread_cond_broadcast(&d->done_cv);
    pthread_mutex_unlock(&d->done_mu);
    return NULL;
}

static frt_status *cuda_sync(frt_device *base) {
    frt_cuda_device *d = cuda_dev(base);
    FRT_TRY(use_device(d));
    const struct {
        cudaStream_t s;
        const char *what;
    } streams[] = {
        {d->compute, "cudaStreamSynchronize(compute)"},
        {d->h2d, "cudaStreamSynchronize(host to device)"},
        {d->d2h, "cudaStreamSynchronize(device to host)"},
    };
    /* Copies to the host queued before this call have called their done when it returns. */
    pthread_mutex_lock(&d->done_mu);
    unsigned long long target = d->queued;
    pthread_mutex_unlock(&d->done_mu);
    frt_status *st = NULL;
    for (size_t i = 0; i < sizeof streams / sizeof streams[0]; i++) {
        frt_status *s = frt_cuda_check(cudaStreamSynchronize(streams[i].s), streams[i].what);
        if (!st) st = s;
        else frt_status_free(s);
    }
    pthread_mutex_lock(&d->done_mu);
    while (d->completed < target) pthread_cond_wait(&d->done_cv, &d->done_mu);
    pthread_mutex_unlock(&d->done_mu);
    return st;
}

static void cuda_enter(frt_device *base) {
    frt_cuda_device *d = cuda_dev(base);
    pthread_mutex_lock(&d->launch_mu);
    /* Cannot fail for a device that was created; if it did, the kernel's own calls fail. */
    frt_status_free(use_device(d));
}

static void cuda_leave(frt_device *base) { pthread_mutex_unlock(&cuda_dev(base)->launch_mu); }

/* ---- memory ---------------------------------------------------------------------------- */

/* Region source callbacks: cudaMalloc / cudaFree on this device, leaving the calling
 * thread's current device as it was. */
static void *region_alloc(void *ctx, size_t bytes) {
    frt_cuda_device *d = ctx;
    int prev = -1;
    void *p = NULL;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    if (cudaSetDevice(d->ordinal) != cudaSuccess || cudaMalloc(&p, bytes) != cudaSuccess) {
        (void)cudaGetLastError(); /* out of device memory: the allocator reports it */
        p = NULL;
    }
    if (prev >= 0 && prev != d->ordinal) (void)cudaSetDevice(prev);
    return p;
}

static void region_free(void *ctx, void *p, size_t bytes) {
    frt_cuda_device *d = ctx;
    (void)bytes;
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) prev = -1;
    /* cudaFree waits for the device's queued work, so no kernel still uses the region. */
    if (cudaSetDevice(d->ordinal) != cudaSuccess || cudaFree(p) != cudaSuccess)
        (void)cudaGetLastError();
    if (prev >= 0 && prev != d->ordinal) (void)cudaSetDevice(prev);
}

static frt_status *cuda_open_memory(frt_device *base, const frt_gpu_memory_options *o) {
    frt_cuda_device *d = cuda_dev(base);
    pthread_mutex_lock(&d->memory_mu);
    frt_status *st = NULL;
    if (base->alloc) goto done; /* TF: the first session's GPUOptions govern the process */
    size_t free_bytes = 0, total = 0;
    st = use_device(d);
    if (!st) st = frt_cuda_check(cudaMemGetInfo(&free_bytes, &total), "cudaMemGetInfo");
    if (st) goto done;
    frt_region_source src = d->regions;
    src.free_bytes = free_bytes;
    if (total) src.total_bytes = total;
    char name[32];
    snprintf(name, sizeof name, "GPU_%d_bfc", base->index); /* TF's allocator name */
    frt_allocator *a = NULL;
    st = frt_bfc_new(name, &src, o, base->space, &a);
    if (!st) base->alloc = a;
done:
    pthread_mutex_unlock(&d->memory_mu);
    return st ? frt_status_annotate(st, " [[%s]]", base->name) : NULL;
}

static void cuda_destroy(frt_device *base) {
    frt_cuda_device *d = cuda_dev(base);
    if (!d) return;
    if (d->completer_running) { /* it finishes the copies queued, then stops */
        pthread_mutex_lock(&d->done_mu);
        d->stopping = true;
        pthread_cond_broadcast(&d->done_cv);
        pthread_mutex_unlock(&d->done_mu);
        pthread_join(d->completer, NULL);
    }
    while (d->spare) {
        pending *p = d->spare;
        d->spare = p->next;
        (void)cudaEventDestroy(p->done_event);
        free(p);
    }
    if (cudaSetDevice(d->ordinal) == cudaSuccess) {
        if (d->compute) (void)cudaStreamSynchronize(d->compute);
        if (d->h2d) (void)cudaStreamSynchronize(d->h2d);
        if (d->d2h) (void)cudaStreamSynchronize(d->d2h);
    }
    frt_allocator_unref(base->alloc); /* gives its regions back (cudaFree) */
    if (d->cublas) (void)cublasDestroy(d->cublas);
    if (d->cudnn) (void)cudnnDestroy(d->cudnn);
    if (d->order_event) (void)cudaEventDestroy(d->order_event);
    if (d->compute) (void)cudaStreamDestroy(d->compute);
    if (d->h2d) (void)cudaStreamDestroy(d->h2d);
    if (d->d2h) (void)cudaStreamDestroy(d->d2h);
    (void)cudaGetLastError();
    pthread_mutex_destroy(&d->launch_mu);
    pthread_mutex_destroy(&d->order_mu);
    pthread_mutex_destroy(&d->memory_mu);
    pthread_mutex_destroy(&d->done_mu);
    pthread_cond_destroy(&d->done_cv);
    free(d);
}

static const frt_device_ops cuda_ops = {
    .copy_to_device = cuda_copy_to_device,
    .copy_to_host = cuda_copy_to_host,
    .sync = cuda_sync,
    .enter = cuda_enter,
    .leave = cuda_leave,
    .open_memory = cuda_open_memory,
    .destroy = cuda_destroy,
};

/* ---- the backend ----------------------------------------------------------------------- */

/* GPUs CUDA sees (after CUDA_VISIBLE_DEVICES). No driver, no device, or a driver too old is
 * an ordinary CPU-only machine: 0, never an error. */
static int gpu_count(void) {
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n;
}

static frt_status *gpu_create(int index, frt_device **out) {
    *out = NULL;
    frt_cuda_device *d = frt_calloc(1, sizeof *d);
    if (!d) return frt_status_oom("creating GPU:%d", index);
    frt_device *b = &d->base;
    snprintf(b->name, sizeof b->name, "/job:localhost/replica:0/task:0/device:GPU:%d", index);
    b->type = "GPU";
    b->index = index;
    b->kernels = FRT_DEVICE_CUDA;
    b->space = FRT_MEM_DEVICE(index);
#ifdef FRT_CUDA_SIM
    b->simulated = true;
#endif
    b->ops = &cuda_ops;
    b->impl = d;
    d->ordinal = index;
    pthread_mutex_init(&d->launch_mu, NULL);
    pthread_mutex_init(&d->order_mu, NULL);
    pthread_mutex_init(&d->memory_mu, NULL);
    pthread_mutex_init(&d->done_mu, NULL);
    pthread_cond_init(&d->done_cv, NULL);

    struct cudaDeviceProp prop;
    frt_status *st = use_device(d);
    if (!st) st = frt_cuda_check(cudaGetDeviceProperties(&prop, index),
                                 "cudaGetDeviceProperties");
    if (!st) {
        b->total_memory = prop.totalGlobalMem;
        d->cc_major = prop.major;
        d->cc_minor = prop.minor;
    }
    /* Non-blocking: no implicit synchronisation with the legacy NULL stream, which flowrt
     * never uses; every dependency between streams is an event. */
    if (!st) st = frt_cuda_check(cudaStreamCreateWithFlags(&d->compute, cudaStreamNonBlocking),
                                 "cudaStreamCreateWithFlags(compute)");
    if (!st) st = frt_cuda_check(cudaStreamCreateWithFlags(&d->h2d, cudaStreamNonBlocking),
                                 "cudaStreamCreateWithFlags(host to device)");
    if (!st) st = frt_cuda_check(cudaStreamCreateWithFlags(&d->d2h, cudaStreamNonBlocking),
                                 "cudaStreamCreateWithFlags(device to host)");
    if (!st) st = frt_cuda_check(cudaEventCreateWithFlags(&d->order_event,
                                                          cudaEventDisableTiming),
                                 "cudaEventCreateWithFlags");
    if (!st) st = frt_cublas_check(cublasCreate(&d->cublas), "cublasCreate");
    if (!st) st = frt_cublas_check(cublasSetStream(d->cublas, d->compute), "cublasSetStream");
    if (!st) st = frt_cudnn_check(cudnnCreate(&d->cudnn), "cudnnCreate");
    if (!st) st = frt_cudnn_check(cudnnSetStream(d->cudnn, d->compute), "cudnnSetStream");
    if (!st) {
        int rc = pthread_create(&d->completer, NULL, completer_main, d);
        if (rc) st = frt_status_new(FRT_RESOURCE_EXHAUSTED, "starting %s's completion thread: %s",
                                    b->name, strerror(rc));
        d->completer_running = rc == 0;
    }
    if (st) {
        cuda_destroy(b);
        return st;
    }
    b->stream = (frt_stream *)d->compute;
    d->regions = (frt_region_source){.device = b->name, .total_bytes = b->total_memory,
                                     .cc_major = d->cc_major, .alloc = region_alloc,
                                     .free = region_free, .ctx = d};
    *out = b;
    return NULL;
}

static const frt_device_backend gpu_backend = {
    .type = "GPU",
    .count = gpu_count,
    .create = gpu_create,
};

void frt_cuda_register(frt_kernel_registry *r) {
    frt_devices_register_backend(&gpu_backend);
    frt_cuda_register_elementwise(r);
    frt_cuda_register_dnn(r);
}
