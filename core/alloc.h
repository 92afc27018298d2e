/* core/alloc.h: the allocator interface and the CPU allocator.
 * Every allocator reports bytes in use, peak, limit and counts, and says which memory it
 * hands out (its memory space: the host, or one device's memory, which host code must never
 * dereference). Allocators are reference counted because tensor buffers may outlive the
 * session that allocated them.
 * Thread-safety: alloc/free/stats are thread-safe. */
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include "core/status.h"

typedef struct frt_alloc_stats {
    size_t in_use;      /* bytes currently allocated */
    size_t peak;        /* highest in_use seen */
    size_t limit;       /* 0 = none */
    size_t num_allocs;  /* allocations so far */
    size_t largest_alloc;
    /* Allocators that carve their memory out of regions (core/bfc.h); 0 for the others. */
    size_t region_bytes;  /* bytes taken from the device in regions */
    size_t regions;       /* number of regions */
    size_t largest_free;  /* largest free chunk in any region */
} frt_alloc_stats;

/* Memory spaces: FRT_MEM_HOST, or FRT_MEM_DEVICE(i) for the i-th accelerator of the process
 * (its index in the device registry's list of non-CPU devices). */
#define FRT_MEM_HOST 0
#define FRT_MEM_DEVICE(i) (1 + (i))
static inline int frt_mem_is_host(int space) { return space == FRT_MEM_HOST; }

typedef struct frt_allocator frt_allocator;
struct frt_allocator {
    const char *name;
    void *(*alloc)(frt_allocator *a, size_t bytes);  /* NULL when the request cannot be met */
    void (*free)(frt_allocator *a, void *p, size_t bytes);
    void (*stats)(frt_allocator *a, frt_alloc_stats *out);
    void (*destroy)(frt_allocator *a);
    atomic_int refs;
    int space;            /* FRT_MEM_HOST or FRT_MEM_DEVICE(i) */
};

/* Alignment of every CPU allocation, enough for AVX-512 loads. */
#define FRT_CPU_ALIGN 64

/* A new CPU allocator with its own statistics (one per session). limit 0 = unlimited. */
frt_allocator *frt_cpu_allocator_new(const char *name, size_t limit);
/* The process-wide CPU allocator for tensors made outside a session (constants, feeds). */
frt_allocator *frt_cpu_allocator_default(void);

frt_allocator *frt_allocator_ref(frt_allocator *a);
void frt_allocator_unref(frt_allocator *a);   /* NULL-safe */
void frt_allocator_stats(frt_allocator *a, frt_alloc_stats *out);
