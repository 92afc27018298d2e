/* core/bfc.c: best-fit-with-coalescing allocator over device regions, and budgets in it.
 * Owns: regions taken from an frt_region_source, the chunk bookkeeping (host memory only:
 * the managed memory is never dereferenced), TensorFlow's limit rules, the budget allocator.
 * Does not own: the device (its region source comes from cuda/), CPU memory (alloc_cpu.c).
 *
 * TensorFlow facts matched, from tensorflow/tsl/framework/bfc_allocator.{h,cc} (BFCAllocator,
 * Extend, FindChunkPtr, DeallocateFreeRegions), tensorflow/core/common_runtime/gpu/
 * gpu_device.cc (MinSystemMemory, SingleVirtualDeviceMemoryLimit) and gpu_bfc_allocator.cc
 * (GetAllowGrowthValue, GetGarbageCollectionValue):
 * - requests are rounded up to kMinAllocationSize, 256 bytes; 21 bins (kNumBins), bin b
 *   holding free chunks of [256 << b, 256 << (b+1)) bytes and the last all from 256 MiB up;
 *   a bin is ordered by (size, address), so the first chunk that fits is the best fit;
 * - a chunk is split when it is at least twice the request or would waste 128 MiB or more
 *   (the default max_internal_fragmentation_bytes); a freed chunk merges with free
 *   neighbours, never across regions;
 * - without allow_growth the first region is the whole limit; with it the first is
 *   min(limit, 2 MiB), and each region doubles the next one's size, except that a request
 *   larger than that size doubles it until the request fits (and then it is not doubled
 *   again); regions never take more than what is left under the limit. When the source
 *   refuses, TF "backpedals" once in the allocator's life: it retries at 0.9 of the size,
 *   rounded, while that still holds the request;
 * - when nothing fits, regions holding nothing are given back and a new region is tried
 *   (garbage collection, on unless TF_ENABLE_GPU_GARBAGE_COLLECTION is "false");
 * - the limit is fraction * total memory, or with fraction 0 free memory at start minus
 *   MinSystemMemory: 225 MiB when less than 2 GiB is free, else 500 MiB for compute
 *   capability <= 6, 1050 MiB for 7, 1536 MiB for 8, 1800 MiB above; nothing is subtracted
 *   when that reserve is not below free memory;
 * - TF_FORCE_GPU_ALLOW_GROWTH exactly "true" or "false" overrides allow_growth; TF logs and
 *   ignores other values, we ignore them.
 * Not matched: the doubled reserve of unoptimized TF builds, TF_DEVICE_MIN_SYS_MEMORY_IN_MB,
 * fractions above 1 (unified memory), timestamped chunks, the 10 s retry on failure.
 *
 * Cost: an allocation walks the bins from the request's up, stopping at the first fit;
 * putting a chunk into a bin is linear in the bin's length (TF uses a std::set). Used
 * chunks are found by address in a chained hash table.
 * Thread-safety: thread-safe: one mutex guards all of a BFC allocator (statistics too);
 * budgets use atomics and call a thread-safe base. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bfc.h"

#define MIN_ALLOC ((size_t)256)             /* kMinAllocationSize */
#define NUM_BINS 21                         /* kNumBins */
#define MIB ((size_t)1 << 20)
#define MAX_INTERNAL_FRAG (128 * MIB)       /* split even below 2x when waste reaches this */
#define GROWTH_FIRST_REGION (2 * MIB)
#define BACKPEDAL_FACTOR 0.9

typedef struct chunk {
    uintptr_t ptr;
    size_t size;                   /* a multiple of MIN_ALLOC */
    struct chunk *prev, *next;     /* address neighbours in the same region */
    struct chunk *bprev, *bnext;   /* bin list while free; next spare record when recycled */
    struct chunk *hnext;           /* address map chain while used */
    int bin;                       /* -1 while used */
    bool used;
} chunk;

typedef struct region {
    uintptr_t base;
    size_t size;
    chunk *first;                  /* chunks tile [base, base + size) */
} region;

typedef struct bfc {
    frt_allocator base;
    char *name, *device;
    frt_region_source src;
    size_t limit;                  /* a multiple of MIN_ALLOC */
    bool growth, gc, backpedaled;
    const char *mode;
    pthread_mutex_t mu;            /* guards everything below */
    size_t next_region;            /* TF's curr_region_allocation_bytes_ */
    region *regions;
    size_t n_regions, cap_regions, region_bytes;
    chunk *bins[NUM_BINS];         /* free chunks in ascending (size, address) */
    chunk **map;                   /* used chunks by address; map_cap a power of two */
    size_t map_cap, map_n;
    chunk *spare;                  /* recycled records */
    size_t in_use, peak, num_allocs, largest_alloc;
} bfc;

static void bfc_destroy(frt_allocator *a);

static bfc *as_bfc(frt_allocator *a) {
    return a && a->destroy == bfc_destroy ? (bfc *)a : NULL;
}

/* Callers keep n <= limit, which is a multiple of MIN_ALLOC, so this cannot overflow. */
static size_t round_up(size_t n) { return (n + MIN_ALLOC - 1) / MIN_ALLOC * MIN_ALLOC; }

static int bin_for(size_t size) {
    unsigned long long v = (size < MIN_ALLOC ? MIN_ALLOC : size) / MIN_ALLOC;
    int b = 63 - __builtin_clzll(v);
    return b < NUM_BINS - 1 ? b : NUM_BINS - 1;
}

static bool before(const chunk *x, const chunk *y) {
    return x->size < y->size || (x->size == y->size && x->ptr < y->ptr);
}

static void bin_insert(bfc *b, chunk *c) {
    int i = bin_for(c->size);
    chunk *prev = NULL, *at = b->bins[i];
    while (at && before(at, c)) {
        prev = at;
        at = at->bnext;
    }
    c->bin = i;
    c->used = false;
    c->bprev = prev;
    c->bnext = at;
    if (at) at->bprev = c;
    if (prev) prev->bnext = c;
    else b->bins[i] = c;
}

static void bin_remove(bfc *b, chunk *c) {
    if (c->bprev) c->bprev->bnext = c->bnext;
    else b->bins[c->bin] = c->bnext;
    if (c->bnext) c->bnext->bprev = c->bprev;
    c->bin = -1;
    c->bprev = c->bnext = NULL;
}

static size_t map_slot(size_t cap, uintptr_t p) {
    return (size_t)(((uint64_t)(p / MIN_ALLOC) * 0x9E3779B97F4A7C15ull) >> 24) & (cap - 1);
}

/* Inserting never fails: when the table cannot grow, chains get longer. */
static void map_put(bfc *b, chunk *c) {
    if (b->map_n >= b->map_cap) {
        size_t cap = b->map_cap * 2;
        chunk **m = frt_calloc(cap, sizeof *m);
        if (m) {
            for (size_t i = 0; i < b->map_cap; i++)
                for (chunk *x = b->map[i], *nx; x; x = nx) {
                    nx = x->hnext;
                    size_t s = map_slot(cap, x->ptr);
                    x->hnext = m[s];
                    m[s] = x;
                }
            free(b->map);
            b->map = m;
            b->map_cap = cap;
        }
    }
    size_t s = map_slot(b->map_cap, c->ptr);
    c->hnext = b->map[s];
    b->map[s] = c;
    b->map_n++;
}

static chunk *map_find(const bfc *b, uintptr_t p, chunk ***link) {
    for (chunk **pp = &b->map[map_slot(b->map_cap, p)]; *pp; pp = &(*pp)->hnext)
        if ((*pp)->ptr == p) {
            if (link) *link = pp;
            return *pp;
        }
    return NULL;
}

static chunk *chunk_get(bfc *b) {
    chunk *c = b->spare;
    if (c) b->spare = c->bnext;
    else c = frt_malloc(sizeof *c);
    if (c) *c = (chunk){.bin = -1};
    return c;
}

static void chunk_put(bfc *b, chunk *c) {
    c->bnext = b->spare;
    b->spare = c;
}

/* Merges c's free right neighbour into c. */
static void merge_next(bfc *b, chunk *c) {
    chunk *n = c->next;
    c->size += n->size;
    c->next = n->next;
    if (n->next) n->next->prev = c;
    chunk_put(b, n);
}

/* The best-fitting free chunk for `rounded` bytes, split and marked used; NULL if none. */
static chunk *take_chunk(bfc *b, size_t rounded) {
    for (int i = bin_for(rounded); i < NUM_BINS; i++)
        for (chunk *c = b->bins[i]; c; c = c->bnext) {
            if (c->size < rounded) continue;
            bin_remove(b, c);
            chunk *rest = NULL;
            if (c->size / 2 >= rounded || c->size - rounded >= MAX_INTERNAL_FRAG)
                rest = chunk_get(b);  /* without host memory for it, c is handed out whole */
            if (rest) {
                rest->ptr = c->ptr + rounded;
                rest->size = c->size - rounded;
                rest->prev = c;
                rest->next = c->next;
                if (c->next) c->next->prev = rest;
                c->next = rest;
                c->size = rounded;
                bin_insert(b, rest);
            }
            c->used = true;
            map_put(b, c);
            b->in_use += c->size;
            if (b->in_use > b->peak) b->peak = b->in_use;
            if (c->size > b->largest_alloc) b->largest_alloc = c->size;
            b->num_allocs++;
            return c;
        }
    return NULL;
}

/* TF's Extend: takes a new region from the source big enough for `rounded` bytes. */
static bool extend(bfc *b, size_t rounded) {
    size_t avail = (b->limit - b->region_bytes) / MIN_ALLOC * MIN_ALLOC;
    if (rounded > avail) return false;
    bool increased = false;
    while (rounded > b->next_region) {
        b->next_region *= 2;
        increased = true;
    }
    if (b->n_regions == b->cap_regions) {
        size_t cap = b->cap_regions ? 2 * b->cap_regions : 8;
        region *r = frt_realloc(b->regions, cap * sizeof *r);
        if (!r) return false;
        b->regions = r;
        b->cap_regions = cap;
    }
    chunk *c = chunk_get(b);
    if (!c) return false;
    size_t bytes = b->next_region < avail ? b->next_region : avail;
    void *p = b->src.alloc(b->src.ctx, bytes);
    if (!p && !b->backpedaled) {
        b->backpedaled = true;
        for (;;) {
            size_t less = round_up((size_t)((double)bytes * BACKPEDAL_FACTOR));
            if (less < rounded || less >= bytes) break;  /* TF loops forever at 256 bytes */
            bytes = less;
            if ((p = b->src.alloc(b->src.ctx, bytes))) break;
        }
    }
    if (!p) {
        chunk_put(b, c);
        return false;
    }
    FRT_ASSERT((uintptr_t)p % MIN_ALLOC == 0);
    if (!increased && b->next_region <= SIZE_MAX / 2) b->next_region *= 2;
    c->ptr = (uintptr_t)p;
    c->size = bytes;
    b->regions[b->n_regions++] = (region){c->ptr, bytes, c};
    b->region_bytes += bytes;
    bin_insert(b, c);
    return true;
}

static bool region_is_free(const region *r) { return !r->first->used && r->first->size == r->size; }

/* Gives back the regions with nothing in use and returns their bytes. With need > 0 (TF's
 * DeallocateFreeRegions) only when a region of need bytes would then fit under the limit. */
static size_t release_free(bfc *b, size_t need) {
    size_t freeable = 0;
    for (size_t i = 0; i < b->n_regions; i++)
        if (region_is_free(&b->regions[i])) freeable += b->regions[i].size;
    if (!freeable || (need && need > b->limit - b->region_bytes + freeable)) return 0;
    size_t kept = 0;
    for (size_t i = 0; i < b->n_regions; i++) {
        region r = b->regions[i];
        if (!region_is_free(&r)) {
            b->regions[kept++] = r;
            continue;
        }
        bin_remove(b, r.first);
        chunk_put(b, r.first);
        b->src.free(b->src.ctx, (void *)r.base, r.size);
        b->region_bytes -= r.size;
    }
    b->n_regions = kept;
    return freeable;
}

static void *bfc_alloc(frt_allocator *a, size_t bytes) {
    bfc *b = (bfc *)a;
    if (bytes == 0 || bytes > b->limit) return NULL;
    size_t rounded = round_up(bytes);
    pthread_mutex_lock(&b->mu);
    chunk *c = take_chunk(b, rounded);
    if (!c && extend(b, rounded)) c = take_chunk(b, rounded);
    if (!c && b->gc && release_free(b, rounded) && extend(b, rounded)) c = take_chunk(b, rounded);
    pthread_mutex_unlock(&b->mu);
    return c ? (void *)c->ptr : NULL;
}

static void bfc_free(frt_allocator *a, void *p, size_t bytes) {
    bfc *b = (bfc *)a;
    if (!p) return;
    pthread_mutex_lock(&b->mu);
    chunk **link = NULL, *c = map_find(b, (uintptr_t)p, &link);
    FRT_ASSERT(c != NULL && bytes <= c->size); /* a pointer this allocator handed out */
    *link = c->hnext;
    b->map_n--;
    b->in_use -= c->size;
    c->used = false;
    if (c->next && !c->next->used) {
        bin_remove(b, c->next);
        merge_next(b, c);
    }
    if (c->prev && !c->prev->used) {
        chunk *left = c->prev;
        bin_remove(b, left);
        merge_next(b, left);
        c = left;
    }
    bin_insert(b, c);
    pthread_mutex_unlock(&b->mu);
}

static size_t largest_free(const bfc *b) {
    for (int i = NUM_BINS - 1; i >= 0; i--) {
        const chunk *c = b->bins[i];
        if (!c) continue;
        while (c->bnext) c = c->bnext;
        return c->size;
    }
    return 0;
}

static void bfc_stats(frt_allocator *a, frt_alloc_stats *out) {
    bfc *b = (bfc *)a;
    pthread_mutex_lock(&b->mu);
    out->in_use = b->in_use;
    out->peak = b->peak;
    out->limit = b->limit;
    out->num_allocs = b->num_allocs;
    out->largest_alloc = b->largest_alloc;
    out->region_bytes = b->region_bytes;
    out->regions = b->n_regions;
    out->largest_free = largest_free(b);
    pthread_mutex_unlock(&b->mu);
}

/* Gives every region back, live chunks or not: see frt_bfc_new. */
static void bfc_destroy(frt_allocator *a) {
    bfc *b = (bfc *)a;
    for (size_t i = 0; i < b->n_regions; i++) {
        for (chunk *c = b->regions[i].first, *nx; c; c = nx) {
            nx = c->next;
            free(c);
        }
        b->src.free(b->src.ctx, (void *)b->regions[i].base, b->regions[i].size);
    }
    for (chunk *c = b->spare, *nx; c; c = nx) {
        nx = c->bnext;
        free(c);
    }
    pthread_mutex_destroy(&b->mu);
    free(b->regions);
    free(b->map);
    free(b->name);
    free(b->device);
    free(b);
}

frt_status *frt_gpu_memory_options_check(const frt_gpu_memory_options *o) {
    double f = o ? o->per_process_gpu_memory_fraction : 0;
    if (!(f >= 0 && f <= 1)) /* NaN fails both */
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "per_process_gpu_memory_fraction is %g: expected 0 (TensorFlow's "
                              "default) or a fraction in (0, 1] (above 1 needs unified memory, "
                              "which flowrt does not support)", f);
    return NULL;
}

/* TF's MinSystemMemory (optimized builds). cc_major 0 (unknown) gets the newest rule. */
static size_t min_system_memory(size_t available, int cc_major) {
    if (available < ((size_t)1 << 31)) return 225 * MIB;
    if (cc_major >= 1 && cc_major <= 6) return 500 * MIB;
    if (cc_major == 7) return 1050 * MIB;
    if (cc_major == 8) return 1536 * MIB;
    return 1800 * MIB;
}

/* "true" / "false" exactly override dflt, as TF's Get*Value; anything else is ignored. */
static bool env_bool(const char *var, bool dflt) {
    const char *v = getenv(var);
    if (v && strcmp(v, "true") == 0) return true;
    if (v && strcmp(v, "false") == 0) return false;
    return dflt;
}

frt_status *frt_bfc_new(const char *name, const frt_region_source *src,
                        const frt_gpu_memory_options *o, int space, frt_allocator **out) {
    *out = NULL;
    static const frt_gpu_memory_options defaults = {0};
    static const char *const modes[3][2] = {{"default", "default+allow_growth"},
                                            {"fraction", "fraction+allow_growth"},
                                            {"memory_limit", "memory_limit+allow_growth"}};
    if (!name) name = "bfc";
    if (!o) o = &defaults;
    FRT_TRY(frt_gpu_memory_options_check(o));
    if (!src || !src->alloc || !src->free)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "BFC allocator '%s': the region source has no alloc or free", name);
    int kind = 0;
    size_t limit;
    double f = o->per_process_gpu_memory_fraction;
    if (f > 0) {
        double v = f * (double)src->total_bytes; /* may round up to total, never past it */
        limit = v < (double)src->total_bytes ? (size_t)v : src->total_bytes;
        kind = 1;
    } else {
        limit = src->free_bytes;
        size_t reserve = min_system_memory(limit, src->cc_major);
        if (reserve < limit) limit -= reserve;
    }
    if (o->memory_limit_bytes && o->memory_limit_bytes < limit) {
        limit = o->memory_limit_bytes;
        kind = 2;
    }
    bfc *b = frt_calloc(1, sizeof *b);
    if (!b) return frt_status_oom("creating BFC allocator '%s'", name);
    b->name = frt_strdup(name);
    b->device = frt_strdup(src->device ? src->device : "device");
    b->map_cap = 64;
    b->map = frt_calloc(b->map_cap, sizeof *b->map);
    if (!b->name || !b->device || !b->map) {
        free(b->name);
        free(b->device);
        free(b->map);
        free(b);
        return frt_status_oom("creating BFC allocator '%s'", name);
    }
    b->src = *src;
    b->src.device = b->device;
    b->limit = limit / MIN_ALLOC * MIN_ALLOC;
    b->growth = env_bool("TF_FORCE_GPU_ALLOW_GROWTH", o->allow_growth);
    b->gc = env_bool("TF_ENABLE_GPU_GARBAGE_COLLECTION", true);
    b->mode = modes[kind][b->growth];
    size_t first = b->growth && b->limit > GROWTH_FIRST_REGION ? GROWTH_FIRST_REGION : b->limit;
    b->next_region = first ? first : MIN_ALLOC;
    pthread_mutex_init(&b->mu, NULL);
    b->base.name = b->name;
    b->base.alloc = bfc_alloc;
    b->base.free = bfc_free;
    b->base.stats = bfc_stats;
    b->base.destroy = bfc_destroy;
    b->base.space = space;
    atomic_init(&b->base.refs, 1);
    *out = &b->base;
    return NULL;
}

const char *frt_bfc_mode(frt_allocator *a) {
    bfc *b = as_bfc(a);
    return b ? b->mode : NULL;
}

int frt_bfc_region_sizes(frt_allocator *a, size_t *sizes, int max) {
    bfc *b = as_bfc(a);
    if (!b) return 0;
    pthread_mutex_lock(&b->mu);
    int n = (int)b->n_regions;
    for (int i = 0; i < n && i < max; i++) sizes[i] = b->regions[i].size;
    pthread_mutex_unlock(&b->mu);
    return n;
}

double frt_alloc_fragmentation(const frt_alloc_stats *st) {
    size_t free_bytes = st->region_bytes > st->in_use ? st->region_bytes - st->in_use : 0;
    return free_bytes ? 1.0 - (double)st->largest_free / (double)free_bytes : 0.0;
}

size_t frt_bfc_release_free_regions(frt_allocator *a) {
    bfc *b = as_bfc(a);
    if (!b) return 0;
    pthread_mutex_lock(&b->mu);
    size_t n = release_free(b, 0);
    pthread_mutex_unlock(&b->mu);
    return n;
}

static const char *human(char *buf, size_t n, size_t bytes) {
    static const char units[] = "KMGTPE";
    if (bytes < 1024) {
        snprintf(buf, n, "%zu B", bytes);
        return buf;
    }
    double v = (double)bytes / 1024;
    int u = 0;
    while (v >= 1024 && units[u + 1]) {
        v /= 1024;
        u++;
    }
    snprintf(buf, n, "%.1f %ciB", v, units[u]);
    return buf;
}

void frt_bfc_describe(frt_allocator *a, char *buf, size_t n) {
    frt_alloc_stats st;
    frt_allocator_stats(a, &st);
    char u[24], p[24], l[24], r[24], f[24];
    int k = snprintf(buf, n, "in use %s, peak %s, limit %s", human(u, sizeof u, st.in_use),
                     human(p, sizeof p, st.peak),
                     st.limit ? human(l, sizeof l, st.limit) : "none");
    if (st.regions && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", %zu region%s %s, largest free chunk %s", st.regions,
                 st.regions == 1 ? "" : "s", human(r, sizeof r, st.region_bytes),
                 human(f, sizeof f, st.largest_free));
}

static frt_status *check_locked(const bfc *b) {
#define BAD(...) return frt_status_new(FRT_INTERNAL, "BFC '%s': " __VA_ARGS__)
    size_t used = 0, n_used = 0, n_free = 0, total = 0;
    for (size_t i = 0; i < b->n_regions; i++) {
        const region *r = &b->regions[i];
        size_t off = 0;
        const chunk *prev = NULL;
        for (const chunk *c = r->first; c; prev = c, c = c->next) {
            if (c->ptr != r->base + off || c->prev != prev)
                BAD("region %zu: chunk %p is not linked at offset %zu", b->name, i,
                    (void *)c->ptr, off);
            if (c->size == 0 || c->size % MIN_ALLOC || c->size > r->size - off)
                BAD("region %zu: chunk %p has size %zu", b->name, i, (void *)c->ptr, c->size);
            if (c->used) {
                used += c->size;
                n_used++;
                if (c->bin != -1 || map_find(b, c->ptr, NULL) != c)
                    BAD("used chunk %p is in a bin or not in the address map", b->name,
                        (void *)c->ptr);
            } else {
                n_free++;
                if (prev && !prev->used)
                    BAD("free chunks %p and %p are neighbours", b->name, (void *)prev->ptr,
                        (void *)c->ptr);
                if (c->bin != bin_for(c->size))
                    BAD("free chunk %p of %zu bytes is in bin %d", b->name, (void *)c->ptr,
                        c->size, c->bin);
            }
            off += c->size;
        }
        if (off != r->size)
            BAD("region %zu: chunks cover %zu of %zu bytes", b->name, i, off, r->size);
        total += r->size;
    }
    size_t in_bins = 0;
    for (int i = 0; i < NUM_BINS; i++)
        for (const chunk *c = b->bins[i]; c; c = c->bnext) {
            in_bins++;
            if (c->used || c->bin != i || (c->bnext && (c->bnext->bprev != c || !before(c, c->bnext))))
                BAD("bin %d is broken at chunk %p", b->name, i, (void *)c->ptr);
        }
    if (in_bins != n_free) BAD("%zu free chunks in regions, %zu in bins", b->name, n_free, in_bins);
    if (n_used != b->map_n) BAD("%zu used chunks, %zu in the map", b->name, n_used, b->map_n);
    if (used != b->in_use) BAD("used chunks hold %zu bytes, in_use says %zu", b->name, used, b->in_use);
    if (total != b->region_bytes || total > b->limit)
        BAD("regions hold %zu bytes, region_bytes %zu, limit %zu", b->name, total,
            b->region_bytes, b->limit);
    if (b->peak < b->in_use) BAD("peak %zu below in_use %zu", b->name, b->peak, b->in_use);
    return NULL;
#undef BAD
}

frt_status *frt_bfc_check(frt_allocator *a) {
    bfc *b = as_bfc(a);
    if (!b)
        return frt_status_new(FRT_INVALID_ARGUMENT, "'%s' is not a BFC allocator",
                              a ? a->name : "(null)");
    pthread_mutex_lock(&b->mu);
    frt_status *st = check_locked(b);
    pthread_mutex_unlock(&b->mu);
    return st;
}

/* ---- budgets ---- */

typedef struct budget {
    frt_allocator base;
    char *name;
    frt_allocator *under;
    size_t limit;
    atomic_size_t in_use, peak, num_allocs, largest;
} budget;

static void *budget_alloc(frt_allocator *a, size_t bytes) {
    budget *g = (budget *)a;
    size_t now = atomic_fetch_add(&g->in_use, bytes) + bytes;
    void *p = NULL;
    if ((!g->limit || now <= g->limit) && now >= bytes) p = g->under->alloc(g->under, bytes);
    if (!p) {
        atomic_fetch_sub(&g->in_use, bytes);
        return NULL;
    }
    size_t pk = atomic_load(&g->peak);
    while (now > pk && !atomic_compare_exchange_weak(&g->peak, &pk, now)) {}
    size_t lg = atomic_load(&g->largest);
    while (bytes > lg && !atomic_compare_exchange_weak(&g->largest, &lg, bytes)) {}
    atomic_fetch_add(&g->num_allocs, 1);
    return p;
}

static void budget_free(frt_allocator *a, void *p, size_t bytes) {
    budget *g = (budget *)a;
    if (!p) return;
    g->under->free(g->under, p, bytes);
    atomic_fetch_sub(&g->in_use, bytes);
}

static void budget_stats(frt_allocator *a, frt_alloc_stats *out) {
    budget *g = (budget *)a;
    frt_allocator_stats(g->under, out);
    out->in_use = atomic_load(&g->in_use);
    out->peak = atomic_load(&g->peak);
    out->limit = g->limit;
    out->num_allocs = atomic_load(&g->num_allocs);
    out->largest_alloc = atomic_load(&g->largest);
}

static void budget_destroy(frt_allocator *a) {
    budget *g = (budget *)a;
    frt_allocator_unref(g->under);
    free(g->name);
    free(g);
}

frt_allocator *frt_budget_allocator_new(const char *name, frt_allocator *base, size_t limit) {
    budget *g = frt_calloc(1, sizeof *g);
    if (!g || !(g->name = frt_strdup(name ? name : "budget"))) {
        free(g);
        return NULL;
    }
    g->under = frt_allocator_ref(base);
    g->limit = limit;
    g->base.name = g->name;
    g->base.alloc = budget_alloc;
    g->base.free = budget_free;
    g->base.stats = budget_stats;
    g->base.destroy = budget_destroy;
    g->base.space = base->space;
    atomic_init(&g->base.refs, 1);
    return &g->base;
}
