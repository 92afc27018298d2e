/* core/bfc.h: the best-fit-with-coalescing (BFC) allocator for device memory, TensorFlow's
 * GPU allocator written again, and per-session budgets inside it.
 * The allocator takes its memory in regions from a region source (cudaMalloc on a GPU, host
 * memory in tests) and never touches that memory: device memory is not host-addressable, so
 * all bookkeeping lives in host structures keyed by address. It is an frt_allocator like the
 * CPU one (core/alloc.h): reference counted, alloc returns NULL when it cannot meet a request.
 * Thread-safety: thread-safe (one mutex per allocator). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "core/alloc.h"

/* Where regions come from. alloc returns NULL when the device cannot give that many bytes;
 * regions must be 256-byte aligned (cudaMalloc's are). The allocator copies this struct and
 * the device string; ctx must outlive the allocator. */
typedef struct frt_region_source {
    const char *device;   /* "/job:localhost/replica:0/task:0/device:GPU:0", for messages */
    size_t total_bytes;   /* the device's total memory */
    size_t free_bytes;    /* free at start (cudaMemGetInfo), for TF's default limit */
    int cc_major;         /* CUDA compute capability major, for TF's default reserve; 0 when
                             unknown or not CUDA, taken as the newest (largest reserve) */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p, size_t bytes);
    void *ctx;
} frt_region_source;

/* TensorFlow's GPUOptions. Zero-initialised means TF's defaults. */
typedef struct frt_gpu_memory_options {
    /* 0: TF's default limit (free memory at start minus a reserve); else (0, 1] of total. */
    double per_process_gpu_memory_fraction;
    /* Grow regions on demand instead of taking the whole limit at the first allocation.
     * The environment variable TF_FORCE_GPU_ALLOW_GROWTH overrides it when it is exactly
     * "true" or "false"; other values are ignored, as in TF. */
    bool allow_growth;
    /* Hard cap in bytes (TF's virtual device memory_limit); 0 = none. Caps whatever the
     * fraction or the default gives. */
    size_t memory_limit_bytes;
} frt_gpu_memory_options;

/* INVALID_ARGUMENT (one line) for a fraction that is NaN, negative or above 1. NULL: OK. */
FRT_MUST_USE frt_status *frt_gpu_memory_options_check(const frt_gpu_memory_options *o);

/* A new BFC allocator over src with the options (NULL: defaults), for memory space `space`
 * (FRT_MEM_DEVICE(i)). The limit is the fraction of total_bytes, or TF's default, capped by
 * memory_limit_bytes and rounded down to 256 bytes; no region is taken before the first
 * allocation. Allocations are rounded up to multiples of 256 bytes, and in_use counts the
 * rounded chunk sizes (TF's bytes_in_use). alloc(0) returns NULL, as in TF (tensors of no
 * elements allocate nothing). When an allocation cannot be met while some regions are wholly
 * free, those are given back and a larger one is asked for (TF's garbage collection, off when
 * TF_ENABLE_GPU_GARBAGE_COLLECTION is "false"). Destroying the allocator (its last unref)
 * gives every region back; tensors hold a reference, so by then nothing is live.
 * INVALID_ARGUMENT for bad options or a source without alloc/free; RESOURCE_EXHAUSTED when the
 * host is out of memory. */
FRT_MUST_USE frt_status *frt_bfc_new(const char *name, const frt_region_source *src,
                                     const frt_gpu_memory_options *o, int space,
                                     frt_allocator **out);

/* How the limit was chosen and whether regions grow: "default", "fraction" or
 * "memory_limit" (the hard cap was below the other two), followed by "+allow_growth" when
 * regions grow. NULL when a is not a BFC allocator. */
const char *frt_bfc_mode(frt_allocator *a);

/* The sizes of a's regions, in the order they were taken: writes at most max of them and
 * returns how many there are (0 when a is not a BFC allocator). */
int frt_bfc_region_sizes(frt_allocator *a, size_t *sizes, int max);
/* How scattered the free memory of a region allocator is: 1 - largest free chunk / free bytes
 * in its regions (0 when nothing is free, or all of it is one chunk). */
double frt_alloc_fragmentation(const frt_alloc_stats *st);

/* Gives back to the source every region with nothing allocated in it and returns the bytes
 * given back (0 when a is not a BFC allocator). Later allocations take new regions. */
size_t frt_bfc_release_free_regions(frt_allocator *a);

/* One line for out-of-memory messages, from any allocator's statistics:
 * "in use 12.0 MiB, peak 13.5 MiB, limit 256.0 MiB, 2 regions 6.0 MiB, largest free chunk
 * 3.5 MiB" (the region part only for allocators with regions; "limit none" when 0). */
void frt_bfc_describe(frt_allocator *a, char *buf, size_t n);

/* Walks every region and bin and checks the invariants: chunks tile each region without gaps,
 * no two neighbouring chunks are both free, sizes are multiples of 256, every free chunk is
 * in its bin in (size, address) order, every used chunk is in the address map, and the
 * statistics add up. INTERNAL naming the first broken one; NULL when all hold. For tests. */
FRT_MUST_USE frt_status *frt_bfc_check(frt_allocator *a);

/* A per-session budget inside a shared allocator: forwards to base (taking a reference on
 * it) and refuses an allocation that would take its own live bytes (as requested) above
 * limit (0 = none). Its statistics are its own in_use, peak, limit, num_allocs and
 * largest_alloc, plus the base's region figures. Same memory space as base. NULL when out of
 * host memory. */
frt_allocator *frt_budget_allocator_new(const char *name, frt_allocator *base, size_t limit);
