/* core/alloc.h: the allocator interface and the CPU allocator.
 * Every allocator reports bytes in use, peak, limit and counts. Allocators are reference
 * counted because tensor buffers may outlive the session that allocated them.
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
} frt_alloc_stats;

typedef struct frt_allocator frt_allocator;
struct frt_allocator {
    const char *name;
    void *(*alloc)(frt_allocator *a, size_t bytes);  /* NULL when the request cannot be met */
    void (*free)(frt_allocator *a, void *p, size_t bytes);
    void (*stats)(frt_allocator *a, frt_alloc_stats *out);
    void (*destroy)(frt_allocator *a);
    atomic_int refs;
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
