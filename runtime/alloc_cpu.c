/* runtime/alloc_cpu.c: 64-byte aligned host allocator with byte accounting.
 * Owns: CPU allocation statistics. Does not own: BFC (GPU) allocation.
 * Thread-safety: lock-free atomics for the counters. */
#include <stdlib.h>
#include <string.h>

#include "runtime/alloc.h"

typedef struct cpu_alloc {
    frt_allocator base;
    char *name;
    size_t limit;
    atomic_size_t in_use, peak, num_allocs, largest;
} cpu_alloc;

static void *cpu_alloc_fn(frt_allocator *a, size_t bytes) {
    cpu_alloc *c = (cpu_alloc *)a;
    size_t rounded = (bytes + FRT_CPU_ALIGN - 1) / FRT_CPU_ALIGN * FRT_CPU_ALIGN;
    if (rounded == 0) rounded = FRT_CPU_ALIGN;
    size_t now = atomic_fetch_add(&c->in_use, bytes) + bytes;
    if (c->limit && now > c->limit) {
        atomic_fetch_sub(&c->in_use, bytes);
        return NULL;
    }
    void *p = aligned_alloc(FRT_CPU_ALIGN, rounded);
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
    free(c->name);
    free(c);
}

frt_allocator *frt_cpu_allocator_new(const char *name, size_t limit) {
    cpu_alloc *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name = strdup(name ? name : "cpu");
    c->base.name = c->name ? c->name : "cpu";
    c->base.alloc = cpu_alloc_fn;
    c->base.free = cpu_free_fn;
    c->base.stats = cpu_stats_fn;
    c->base.destroy = cpu_destroy_fn;
    c->limit = limit;
    atomic_init(&c->base.refs, 1);
    return &c->base;
}

static cpu_alloc default_cpu = {
    .base = {.name = "cpu", .alloc = cpu_alloc_fn, .free = cpu_free_fn,
             .stats = cpu_stats_fn, .destroy = NULL},
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
