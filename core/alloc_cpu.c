/* core/alloc_cpu.c: 64-byte aligned host allocator with byte accounting and a cache of
 * freed blocks. Owns: CPU allocation statistics and block reuse. Does not own: BFC (GPU)
 * allocation.
 *
 * Why a cache: a model run allocates and frees the same activation sizes every step; going
 * back to malloc for multi-megabyte blocks means mmap/munmap and fresh page faults each time
 * (a third of MobileNetV2's run time was kernel time before). Freed blocks are kept per
 * size class (64-byte steps up to 4 KiB, then 8 classes per power of two, so at most 12.5%
 * slack) up to a cap, and handed out again; they return to the system when the allocator
 * (its session) goes away. Statistics count bytes requested by live tensors, not the cache.
 * Thread-safety: atomics for the counters, one mutex for the cache. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

enum { N_CLASSES = 8 * 64 + 64 };

typedef struct free_block {
    struct free_block *next;
} free_block;

typedef struct cpu_alloc {
    frt_allocator base;
    char *name;
    size_t limit;
    size_t cache_cap;            /* 0: no cache */
    atomic_size_t in_use, peak, num_allocs, largest;
    pthread_mutex_t mu;          /* guards the cache */
    size_t cached_bytes;
    free_block *classes[N_CLASSES];
} cpu_alloc;

/* Size class of n bytes and the block size it stands for. */
static int size_class(size_t n, size_t *block) {
    if (n <= 4096) {
        size_t k = n ? (n + FRT_CPU_ALIGN - 1) / FRT_CPU_ALIGN : 1;
        *block = k * FRT_CPU_ALIGN;
        return (int)k - 1; /* 0..63 */
    }
    int p = 63 - __builtin_clzll((unsigned long long)(n - 1)); /* 2^p < n <= 2^(p+1) */
    size_t step = ((size_t)1 << p) / 8;
    size_t k = (n - ((size_t)1 << p) + step - 1) / step; /* 1..8 */
    *block = ((size_t)1 << p) + k * step;
    return 64 + (p - 12) * 8 + (int)k - 1;
}

static void *cpu_alloc_fn(frt_allocator *a, size_t bytes) {
    cpu_alloc *c = (cpu_alloc *)a;
    size_t now = atomic_fetch_add(&c->in_use, bytes) + bytes;
    if (c->limit && now > c->limit) {
        atomic_fetch_sub(&c->in_use, bytes);
        return NULL;
    }
    size_t block;
    int cls = size_class(bytes, &block);
    void *p = NULL;
    if (c->cache_cap && cls < N_CLASSES) {
        pthread_mutex_lock(&c->mu);
        free_block *b = c->classes[cls];
        if (b) {
            c->classes[cls] = b->next;
            c->cached_bytes -= block;
            p = b;
        }
        pthread_mutex_unlock(&c->mu);
    }
    if (!p) p = frt_aligned_alloc(FRT_CPU_ALIGN, block);
    if (!p) {
        atomic_fetch_sub(&c->in_use, bytes);
        return NULL;
    }
    size_t pk = atomic_load(&c->peak);
    while (now > pk && !atomic_compare_exchange_weak(&c->peak, &pk, now)) {}
    size_t lg = atomic_load(&c->largest);
    while (bytes > lg && !atomic_compare_exchange_weak(&c->largest, &lg, bytes)) {}
    atomic_fetch_add(&c->num_allocs, 1);
    return p;
}

static void cpu_free_fn(frt_allocator *a, void *p, size_t bytes) {
    cpu_alloc *c = (cpu_alloc *)a;
    if (!p) return;
    atomic_fetch_sub(&c->in_use, bytes);
    size_t block;
    int cls = size_class(bytes, &block);
    if (c->cache_cap && cls < N_CLASSES) {
        pthread_mutex_lock(&c->mu);
        if (c->cached_bytes + block <= c->cache_cap) {
            free_block *b = p;
            b->next = c->classes[cls];
            c->classes[cls] = b;
            c->cached_bytes += block;
            p = NULL;
        }
        pthread_mutex_unlock(&c->mu);
    }
    free(p);
}

static void cpu_stats_fn(frt_allocator *a, frt_alloc_stats *out) {
    cpu_alloc *c = (cpu_alloc *)a;
    out->in_use = atomic_load(&c->in_use);
    out->peak = atomic_load(&c->peak);
    out->limit = c->limit;
    out->num_allocs = atomic_load(&c->num_allocs);
    out->largest_alloc = atomic_load(&c->largest);
}

static void cpu_destroy_fn(frt_allocator *a) {
    cpu_alloc *c = (cpu_alloc *)a;
    for (int i = 0; i < N_CLASSES; i++)
        for (free_block *b = c->classes[i], *next; b; b = next) {
            next = b->next;
            free(b);
        }
    pthread_mutex_destroy(&c->mu);
    free(c->name);
    free(c);
}

frt_allocator *frt_cpu_allocator_new(const char *name, size_t limit) {
    cpu_alloc *c = frt_calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name = frt_strdup(name ? name : "cpu");
    c->base.name = c->name ? c->name : "cpu";
    c->base.alloc = cpu_alloc_fn;
    c->base.free = cpu_free_fn;
    c->base.stats = cpu_stats_fn;
    c->base.destroy = cpu_destroy_fn;
    c->limit = limit;
    c->cache_cap = (size_t)1 << 30; /* released when the session goes */
    pthread_mutex_init(&c->mu, NULL);
    atomic_init(&c->base.refs, 1);
    return &c->base;
}

/* The process-wide allocator never goes away, so it keeps no cache. */
static cpu_alloc default_cpu = {
    .base = {.name = "cpu", .alloc = cpu_alloc_fn, .free = cpu_free_fn,
             .stats = cpu_stats_fn, .destroy = NULL},
    .mu = PTHREAD_MUTEX_INITIALIZER,
};

frt_allocator *frt_cpu_allocator_default(void) { return &default_cpu.base; }

frt_allocator *frt_allocator_ref(frt_allocator *a) {
    if (a && a->destroy) atomic_fetch_add(&a->refs, 1);
    return a;
}

void frt_allocator_unref(frt_allocator *a) {
    if (!a || !a->destroy) return; /* the default allocator is static */
    if (atomic_fetch_sub(&a->refs, 1) == 1) a->destroy(a);
}

void frt_allocator_stats(frt_allocator *a, frt_alloc_stats *out) {
    memset(out, 0, sizeof *out);
    if (a && a->stats) a->stats(a, out);
}
