/* cuda/sim/sim_copy.c: cudaMemcpy, cudaMemcpyAsync, cudaMemset, cudaMemsetAsync. Each
 * checks both ends against the copy kind (a host pointer where the kind says device, or the
 * reverse, is a violation) and device ends against live allocations, at the call; the
 * bytes move when the stream reaches the item. The synchronous calls use the NULL stream
 * of the current device and wait as CUDA documents for pageable memory, and no longer:
 * host-to-device returns once the source is staged, device-to-host once the copy has run,
 * device-to-device and cudaMemset at once.
 * Owns: the copy and set items. Does not own: streams (sim_streams.c), translation
 * (sim_memory.c).
 * Thread-safety: thread-safe. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/sim/runtime_impl.h"

typedef struct {
    void *dst;
    const void *src;
    size_t n;
    void *staged; /* owned copy of a host source, or NULL */
} copy_job;

static void run_copy(void *arg) {
    copy_job *j = arg;
    memcpy(j->dst, j->src, j->n);
    free(j->staged);
    free(j);
}

typedef struct {
    void *dst;
    int value;
    size_t n;
} set_job;

static void run_set(void *arg) {
    set_job *j = arg;
    memset(j->dst, j->value, j->n);
    free(j);
}

/* Which ends the kind says are device memory; cudaMemcpyDefault infers them. */
static cudaError_t decode_kind(const char *api, enum cudaMemcpyKind kind, const void *dst,
                               const void *src, int *dst_dev, int *src_dev) {
    switch (kind) {
    case cudaMemcpyHostToHost: *dst_dev = 0, *src_dev = 0; return cudaSuccess;
    case cudaMemcpyHostToDevice: *dst_dev = 1, *src_dev = 0; return cudaSuccess;
    case cudaMemcpyDeviceToHost: *dst_dev = 0, *src_dev = 1; return cudaSuccess;
    case cudaMemcpyDeviceToDevice: *dst_dev = 1, *src_dev = 1; return cudaSuccess;
    case cudaMemcpyDefault:
        *dst_dev = frt_sim_is_device_ptr(dst);
        *src_dev = frt_sim_is_device_ptr(src);
        return cudaSuccess;
    }
    return frt_sim_fail(cudaErrorInvalidMemcpyDirection, "%s: %d is not a cudaMemcpyKind", api,
                        (int)kind);
}

/* The host address of one end of a copy of n bytes; `device` is what the kind says. */
static cudaError_t endpoint(const char *api, const char *side, const void *p, size_t n,
                            int device, const void **host) {
    *host = NULL;
    if (!p) return frt_sim_fail(cudaErrorInvalidValue, "%s: %s is NULL", api, side);
    if (device && !frt_sim_is_device_ptr(p))
        return frt_sim_fail(cudaErrorInvalidValue, "%s: %s %p is host memory, but the copy kind "
                            "says device memory", api, side, p);
    if (!device && frt_sim_is_device_ptr(p))
        return frt_sim_fail(cudaErrorInvalidValue, "%s: %s %p is device memory, but the copy "
                            "kind says host memory", api, side, p);
    if (!device) {
        *host = p;
        return cudaSuccess;
    }
    char what[64];
    snprintf(what, sizeof what, "%s %s", api, side);
    *host = frt_sim_host_ptr(p, n, what);
    return *host ? cudaSuccess : cudaErrorInvalidValue;
}

static cudaError_t copy(const char *api, void *dst, const void *src, size_t count,
                        enum cudaMemcpyKind kind, int sync, cudaStream_t stream) {
    cudaError_t e = frt_sim_api_enter(api);
    if (e) return e;
    int dst_dev = 0, src_dev = 0;
    if ((e = decode_kind(api, kind, dst, src, &dst_dev, &src_dev))) return e;
    sim_stream *s = NULL;
    if ((!sync || dst_dev || src_dev) && (e = frt_sim_stream_resolve(stream, api, &s))) return e;
    if (count == 0) return cudaSuccess;
    const void *hd, *hs;
    if ((e = endpoint(api, "dst", dst, count, dst_dev, &hd))) return e;
    if ((e = endpoint(api, "src", src, count, src_dev, &hs))) return e;
    uintptr_t d0 = (uintptr_t)hd, s0 = (uintptr_t)hs;
    if (d0 < s0 + count && s0 < d0 + count)
        return frt_sim_fail(cudaErrorInvalidValue, "%s: dst %p and src %p overlap (%zu bytes)",
                            api, dst, src, count);
    if (!s) { /* synchronous host to host */
        memcpy(dst, src, count);
        return cudaSuccess;
    }
    copy_job *j = malloc(sizeof *j);
    if (!j) return cudaErrorMemoryAllocation;
    *j = (copy_job){(void *)hd, hs, count, NULL};
    if (sync && !src_dev) { /* pageable host source: staged, so the caller may reuse it */
        if (!(j->staged = malloc(count))) {
            free(j);
            return cudaErrorMemoryAllocation;
        }
        memcpy(j->staged, hs, count);
        j->src = j->staged;
    }
    if ((e = frt_sim_stream_push(s, run_copy, j))) {
        free(j->staged);
        free(j);
        return e;
    }
    if (sync && !dst_dev) frt_sim_stream_wait(s, frt_sim_stream_mark(s));
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind) {
    return frt_sim_ret(copy("cudaMemcpy", dst, src, count, kind, 1, NULL));
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind,
                            cudaStream_t stream) {
    return frt_sim_ret(copy("cudaMemcpyAsync", dst, src, count, kind, 0, stream));
}

static cudaError_t set(const char *api, void *devPtr, int value, size_t count,
                       cudaStream_t stream) {
    cudaError_t e = frt_sim_api_enter(api);
    sim_stream *s;
    if (!e) e = frt_sim_stream_resolve(stream, api, &s);
    if (e || count == 0) return e;
    void *host = frt_sim_host_ptr(devPtr, count, api);
    if (!host) return cudaErrorInvalidValue;
    set_job *j = malloc(sizeof *j);
    if (!j) return cudaErrorMemoryAllocation;
    *j = (set_job){host, value, count};
    if ((e = frt_sim_stream_push(s, run_set, j))) free(j);
    return e;
}

cudaError_t cudaMemset(void *devPtr, int value, size_t count) {
    return frt_sim_ret(set("cudaMemset", devPtr, value, count, NULL));
}

cudaError_t cudaMemsetAsync(void *devPtr, int value, size_t count, cudaStream_t stream) {
    return frt_sim_ret(set("cudaMemsetAsync", devPtr, value, count, stream));
}
