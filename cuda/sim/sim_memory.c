/* cuda/sim/sim_memory.c: simulated device memory: cudaMalloc, cudaFree, cudaMemGetInfo and
 * the translation of device pointers to the host memory behind them (frt_sim_host_ptr).
 * Device addresses come from one range reserved with PROT_NONE and never mapped, so host
 * code that dereferences a device pointer faults (under ASan too). Addresses are handed out
 * upwards and never reused, 256-byte aligned, with an unallocated gap after every allocation:
 * a stale pointer into freed memory, or one running off the end of an allocation, never
 * lands in another allocation. Each allocation is backed by its own malloc'd block, filled
 * with 0xff bytes (NaN as float) because cudaMalloc'd memory is not zeroed.
 * Owns: the range, the allocation records (all of them, freed ones too, sorted by address,
 * for messages naming a freed allocation), the per-device byte counts.
 * Thread-safety: thread-safe: a read-write lock; translation takes the read side. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cuda/sim/runtime_impl.h"

#define RANGE_BYTES ((size_t)1 << 38) /* 256 GiB of device addresses over the process's life */
#define ALIGN ((size_t)256)           /* cudaMalloc's documented minimum alignment */
#define GAP ALIGN                     /* unallocated bytes after each allocation */
#define FILL 0xff

typedef struct {
    uintptr_t addr;
    size_t size;    /* as requested */
    size_t charged; /* size rounded up to ALIGN: what the device's count holds */
    void *host;     /* NULL once freed */
    int device;
} record;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static uintptr_t range_lo, range_hi, next_addr; /* range_lo == 0: none reserved */
static record *recs;
static size_t n_recs, cap_recs;

static void reserve(void) {
    void *p = mmap(NULL, RANGE_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "cuda-sim: cannot reserve %zu bytes of address space for device memory: "
                        "%s; every cudaMalloc will fail\n", RANGE_BYTES, strerror(errno));
        return;
    }
    /* mmap returns page-aligned addresses; start one ALIGN in so that no device pointer is
     * the page boundary a host allocator might also produce. */
    range_lo = (uintptr_t)p;
    range_hi = range_lo + RANGE_BYTES;
    next_addr = range_lo + ALIGN;
}

int frt_sim_is_device_ptr(const void *p) {
    pthread_once(&once, reserve);
    uintptr_t a = (uintptr_t)p;
    return range_lo && a >= range_lo && a < range_hi;
}

/* The last record at or below address a, or NULL. Caller holds the lock. */
static record *find_at_or_below(uintptr_t a) {
    size_t lo = 0, hi = n_recs; /* invariant: recs[< lo] are <= a, recs[>= hi] above a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (recs[mid].addr <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? &recs[lo - 1] : NULL;
}

/* Checks [a, a + bytes) against record r (the last one at or below a) and returns the host
 * pointer, or NULL after a violation. Caller holds the lock. */
static void *translate(const record *r, uintptr_t a, size_t bytes, const char *what) {
    int inside = r && (a < r->addr + r->size || (bytes == 0 && a == r->addr + r->size));
    if (!inside) {
        if (r)
            frt_sim_violation("%s: device address %p is not inside any allocation (the nearest "
                              "below is %zu bytes at %p)", what, (void *)a, r->size,
                              (void *)r->addr);
        else
            frt_sim_violation("%s: device address %p is not inside any allocation", what,
                              (void *)a);
        return NULL;
    }
    if (!r->host) {
        frt_sim_violation("%s: device address %p is in the allocation of %zu bytes at %p, which "
                          "was freed", what, (void *)a, r->size, (void *)r->addr);
        return NULL;
    }
    size_t room = r->addr + r->size - a;
    if (bytes > room) {
        frt_sim_violation("%s: %zu bytes at %p run %zu bytes past the end of the allocation of "
                          "%zu bytes at %p", what, bytes, (void *)a, bytes - room, r->size,
                          (void *)r->addr);
        return NULL;
    }
    return (char *)r->host + (a - r->addr);
}

void *frt_sim_host_ptr(const void *dev_ptr, size_t bytes, const char *what) {
    if (!dev_ptr) {
        frt_sim_violation("%s: NULL device pointer", what);
        return NULL;
    }
    if (!frt_sim_is_device_ptr(dev_ptr)) {
        frt_sim_violation("%s: %p is not a device pointer (host memory?)", what, dev_ptr);
        return NULL;
    }
    pthread_rwlock_rdlock(&lock);
    uintptr_t a = (uintptr_t)dev_ptr;
    void *host = translate(find_at_or_below(a), a, bytes, what);
    pthread_rwlock_unlock(&lock);
    return host;
}

/* Charges `charged` bytes to d, or cudaErrorMemoryAllocation when they do not fit. */
static cudaError_t charge(sim_device *d, size_t charged) {
    cudaError_t e = cudaSuccess;
    pthread_rwlock_wrlock(&lock);
    if (charged > d->total - d->used)
        e = cudaErrorMemoryAllocation;
    else
        d->used += charged;
    pthread_rwlock_unlock(&lock);
    return e;
}

/* Adds the record for host block `host`; 0 when addresses or records run out. */
static uintptr_t add_record(sim_device *d, size_t size, size_t charged, void *host) {
    uintptr_t a = 0;
    pthread_rwlock_wrlock(&lock);
    if (n_recs == cap_recs) {
        size_t cap = cap_recs ? cap_recs * 2 : 1024;
        record *r = realloc(recs, cap * sizeof *r);
        if (r) {
            recs = r;
            cap_recs = cap;
        }
    }
    if (n_recs < cap_recs && range_lo && charged + GAP <= range_hi - next_addr) {
        a = next_addr;
        next_addr += charged + GAP;
        recs[n_recs++] = (record){a, size, charged, host, d->index};
    } else {
        d->used -= charged;
    }
    pthread_rwlock_unlock(&lock);
    return a;
}

cudaError_t cudaMalloc(void **devPtr, size_t size) {
    cudaError_t e = frt_sim_api_enter("cudaMalloc");
    if (e) return frt_sim_ret(e);
    if (!devPtr)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue, "cudaMalloc: devPtr is NULL"));
    *devPtr = NULL;
    sim_device *d;
    if ((e = frt_sim_current("cudaMalloc", &d))) return frt_sim_ret(e);
    if (size == 0) return cudaSuccess; /* CUDA returns NULL for zero bytes */
    pthread_once(&once, reserve);
    if (size > SIZE_MAX - ALIGN) return frt_sim_ret(cudaErrorMemoryAllocation);
    size_t charged = (size + ALIGN - 1) / ALIGN * ALIGN;
    if (charge(d, charged)) return frt_sim_ret(cudaErrorMemoryAllocation);
    void *host = malloc(size);
    uintptr_t a = host ? add_record(d, size, charged, host) : 0;
    if (!a) {
        if (host) {
            fprintf(stderr, "cuda-sim: cudaMalloc: the simulation's %zu bytes of device "
                            "addresses (or its records) are used up\n", RANGE_BYTES);
            free(host);
        } else {
            pthread_rwlock_wrlock(&lock);
            d->used -= charged;
            pthread_rwlock_unlock(&lock);
        }
        return frt_sim_ret(cudaErrorMemoryAllocation);
    }
    memset(host, FILL, size);
    *devPtr = (void *)a;
    return cudaSuccess;
}

/* Frees the allocation starting at a, or reports why a is not one. Caller holds the lock. */
static cudaError_t release(uintptr_t a, void **host) {
    record *r = find_at_or_below(a);
    if (r && r->addr == a && r->host) {
        *host = r->host;
        r->host = NULL;
        sim_device *d = frt_sim_device(r->device);
        if (d) d->used -= r->charged;
        return cudaSuccess;
    }
    if (r && r->addr == a)
        return frt_sim_fail(cudaErrorInvalidValue, "cudaFree: %p (%zu bytes) was already freed",
                            (void *)a, r->size);
    if (r && a < r->addr + r->size)
        return frt_sim_fail(cudaErrorInvalidValue, "cudaFree: %p is %zu bytes into the %s "
                            "allocation of %zu bytes at %p, not its start", (void *)a,
                            (size_t)(a - r->addr), r->host ? "live" : "freed", r->size,
                            (void *)r->addr);
    return frt_sim_fail(cudaErrorInvalidValue, "cudaFree: %p is not an allocation", (void *)a);
}

cudaError_t cudaFree(void *devPtr) {
    cudaError_t e = frt_sim_api_enter("cudaFree");
    if (e) return frt_sim_ret(e);
    if (!devPtr) return cudaSuccess; /* documented: no operation */
    if (!frt_sim_is_device_ptr(devPtr))
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue,
                                        "cudaFree: %p is not a device pointer (host memory?)",
                                        devPtr));
    /* cudaFree synchronises the device, so no queued work can still use the memory. All
     * devices: a stream of one device may copy from another's memory. */
    frt_sim_sync_all_devices();
    void *host = NULL;
    pthread_rwlock_wrlock(&lock);
    e = release((uintptr_t)devPtr, &host);
    pthread_rwlock_unlock(&lock);
    free(host);
    return frt_sim_ret(e);
}

cudaError_t cudaMemGetInfo(size_t *free_bytes, size_t *total) {
    cudaError_t e = frt_sim_api_enter("cudaMemGetInfo");
    if (e) return frt_sim_ret(e);
    if (!free_bytes || !total)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue, "cudaMemGetInfo: NULL argument"));
    sim_device *d;
    if ((e = frt_sim_current("cudaMemGetInfo", &d))) return frt_sim_ret(e);
    pthread_rwlock_rdlock(&lock);
    *total = d->total;
    *free_bytes = d->total - d->used;
    pthread_rwlock_unlock(&lock);
    return cudaSuccess;
}

/* The devices are made anew after this, so their counts need no update. */
void frt_sim_memory_reset(void) {
    pthread_rwlock_wrlock(&lock);
    for (size_t i = 0; i < n_recs; i++) {
        free(recs[i].host);
        recs[i].host = NULL;
    }
    pthread_rwlock_unlock(&lock);
}
