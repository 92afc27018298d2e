/* tests/core/test_bfc.c: the BFC allocator on simulated GPUs, and budgets inside it.
 * A simulated GPU hands out regions from a PROT_NONE reservation of its whole memory (which
 * costs no memory, even for 16 GiB): any touch of managed memory by the allocator would
 * crash, which proves it keeps all bookkeeping on the host. */
#include "util/test_util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/bfc.h"

#define KiB ((size_t)1 << 10)
#define MiB ((size_t)1 << 20)
#define GiB ((size_t)1 << 30)
#define MAX_REGIONS 64

/* ---- a simulated GPU ---- */

typedef struct sim_gpu {
    char *mem;               /* PROT_NONE reservation of `total` bytes */
    size_t total, cap;       /* cap: what the device really gives, at most total */
    size_t taken, attempts, refused;
    size_t off[MAX_REGIONS], size[MAX_REGIONS]; /* live regions, sorted by offset */
    int n_live;
    size_t given[MAX_REGIONS]; /* sizes of all regions given, in order */
    int n_given;
    pthread_mutex_t mu;
    frt_region_source src;
} sim_gpu;

static void *sim_alloc(void *ctx, size_t bytes) {
    sim_gpu *g = ctx;
    void *p = NULL;
    pthread_mutex_lock(&g->mu);
    g->attempts++;
    if (bytes % 256 == 0 && g->taken + bytes <= g->cap && g->n_live < MAX_REGIONS) {
        size_t at = 0; /* first fit between live regions */
        int i = 0;
        for (; i < g->n_live && g->off[i] - at < bytes; i++) at = g->off[i] + g->size[i];
        if (g->total - at >= bytes) {
            memmove(&g->off[i + 1], &g->off[i], (size_t)(g->n_live - i) * sizeof g->off[0]);
            memmove(&g->size[i + 1], &g->size[i], (size_t)(g->n_live - i) * sizeof g->size[0]);
            g->off[i] = at;
            g->size[i] = bytes;
            g->n_live++;
            g->taken += bytes;
            if (g->n_given < MAX_REGIONS) g->given[g->n_given++] = bytes;
            p = g->mem + at;
        }
    }
    if (!p) g->refused++;
    pthread_mutex_unlock(&g->mu);
    return p;
}

static void sim_free(void *ctx, void *p, size_t bytes) {
    sim_gpu *g = ctx;
    pthread_mutex_lock(&g->mu);
    int i = 0;
    while (i < g->n_live && g->mem + g->off[i] != (char *)p) i++;
    if (i == g->n_live || g->size[i] != bytes) abort(); /* not a region we gave, or resized */
    memmove(&g->off[i], &g->off[i + 1], (size_t)(g->n_live - i - 1) * sizeof g->off[0]);
    memmove(&g->size[i], &g->size[i + 1], (size_t)(g->n_live - i - 1) * sizeof g->size[0]);
    g->n_live--;
    g->taken -= bytes;
    pthread_mutex_unlock(&g->mu);
}

/* A GPU of `total` bytes with `free_bytes` free at start; cc: compute capability major. */
static sim_gpu *sim_new(size_t total, size_t free_bytes, int cc) {
    sim_gpu *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->mem = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(g->mem != MAP_FAILED);
    g->total = g->cap = total;
    pthread_mutex_init(&g->mu, NULL);
    g->src = (frt_region_source){"/job:localhost/replica:0/task:0/device:GPU:0", total,
                                 free_bytes, cc, sim_alloc, sim_free, g};
    return g;
}

/* Frees the simulated GPU, asserting every region came back. */
static void sim_done(sim_gpu *g) {
    assert_int_equal(g->taken, 0);
    assert_int_equal(g->n_live, 0);
    munmap(g->mem, g->total);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

static frt_allocator *bfc(sim_gpu *g, double fraction, bool growth, size_t hard_limit) {
    frt_gpu_memory_options o = {fraction, growth, hard_limit};
    frt_allocator *a;
    TU_OK(frt_bfc_new("gpu_bfc", &g->src, &o, FRT_MEM_DEVICE(0), &a));
    return a;
}

static frt_alloc_stats stats(frt_allocator *a) {
    frt_alloc_stats st;
    frt_allocator_stats(a, &st);
    return st;
}

#define CHECK(a) TU_OK(frt_bfc_check(a))

static int unset_env(void **state) {
    (void)state;
    unsetenv("TF_FORCE_GPU_ALLOW_GROWTH");
    unsetenv("TF_ENABLE_GPU_GARBAGE_COLLECTION");
    return 0;
}

/* ---- tests ---- */

static void fraction_takes_one_region_at_first_use(void **state) {
    (void)state;
    const size_t totals[] = {64 * MiB, GiB, 16 * GiB};
    for (size_t t = 0; t < FRT_COUNTOF(totals); t++) {
        sim_gpu *g = sim_new(totals[t], totals[t], 8);
        frt_allocator *a = bfc(g, 0.5, false, 0);
        assert_string_equal(frt_bfc_mode(a), "fraction");
        assert_string_equal(a->name, "gpu_bfc");
        assert_int_equal(a->space, FRT_MEM_DEVICE(0));
        frt_alloc_stats st = stats(a);
        assert_int_equal(st.limit, totals[t] / 2);
        assert_int_equal(st.regions, 0);
        assert_int_equal(g->attempts, 0);
        void *p = a->alloc(a, 1000), *q = a->alloc(a, 3 * MiB);
        assert_non_null(p);
        assert_non_null(q);
        assert_int_equal(g->n_given, 1);
        assert_int_equal(g->given[0], totals[t] / 2);
        st = stats(a);
        assert_int_equal(st.regions, 1);
        assert_int_equal(st.region_bytes, totals[t] / 2);
        assert_int_equal(st.in_use, 1024 + 3 * MiB);
        assert_int_equal(st.largest_free, totals[t] / 2 - 1024 - 3 * MiB);
        CHECK(a);
        a->free(a, p, 1000);
        a->free(a, q, 3 * MiB);
        st = stats(a);
        assert_int_equal(st.in_use, 0);
        assert_int_equal(st.largest_free, totals[t] / 2);
        CHECK(a);
        frt_allocator_unref(a);
        sim_done(g);
    }
}

static void growth_regions_double_under_the_limit(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 0.5, true, 0);
    assert_string_equal(frt_bfc_mode(a), "fraction+allow_growth");
    void *p[6];
    p[0] = a->alloc(a, MiB);  /* first region: 2 MiB */
    p[1] = a->alloc(a, MiB);  /* the rest of it */
    assert_int_equal(g->n_given, 1);
    p[2] = a->alloc(a, MiB);  /* next region doubles: 4 MiB */
    p[3] = a->alloc(a, 10 * MiB); /* 8 MiB is too small: doubled to 16 MiB */
    p[4] = a->alloc(a, 10 * MiB); /* 16 MiB would pass the 32 MiB limit: the 10 MiB left */
    for (int i = 0; i < 5; i++) assert_non_null(p[i]);
    const size_t want[] = {2 * MiB, 4 * MiB, 16 * MiB, 10 * MiB};
    assert_int_equal(g->n_given, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(g->given[i], want[i]);
    assert_int_equal(stats(a).region_bytes, 32 * MiB);
    p[5] = a->alloc(a, 7 * MiB); /* no chunk, nothing left under the limit */
    assert_null(p[5]);
    assert_int_equal(g->taken, 32 * MiB);
    CHECK(a);
    size_t got[8];
    assert_int_equal(frt_bfc_region_sizes(a, got, 8), 4); /* the regions, one by one */
    for (int i = 0; i < 4; i++) assert_int_equal(got[i], want[i]);
    /* free: the 4 MiB region's 3 MiB, in one chunk (10 MiB took all of the 16 MiB region:
     * a chunk is split only when it is twice the request) */
    frt_alloc_stats busy = stats(a);
    assert_float_equal(frt_alloc_fragmentation(&busy), 0.0, 1e-9);
    const size_t sizes[] = {MiB, MiB, MiB, 10 * MiB, 10 * MiB};
    a->free(a, p[0], sizes[0]); /* 1 MiB more free, in the first region: 1 - 3/4 scattered */
    busy = stats(a);
    assert_float_equal(frt_alloc_fragmentation(&busy), 1.0 - 3.0 / 4.0, 1e-9);
    for (int i = 1; i < 5; i++) a->free(a, p[i], sizes[i]);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.regions, 4);
    assert_int_equal(st.largest_free, 16 * MiB);
    assert_float_equal(frt_alloc_fragmentation(&st), 1.0 - 16.0 / 32.0, 1e-9);
    CHECK(a);
    frt_allocator_unref(a);
    sim_done(g);
}

static void hard_limit_caps_the_fraction(void **state) {
    (void)state;
    sim_gpu *g = sim_new(GiB, GiB, 8);
    frt_allocator *a = bfc(g, 1.0, false, 100 * MiB + 17);
    assert_string_equal(frt_bfc_mode(a), "memory_limit");
    assert_int_equal(stats(a).limit, 100 * MiB); /* rounded down to 256 bytes */
    assert_null(a->alloc(a, 100 * MiB + 1));
    void *p = a->alloc(a, 100 * MiB);
    assert_non_null(p);
    assert_int_equal(g->n_given, 1);
    assert_int_equal(g->given[0], 100 * MiB);
    assert_null(a->alloc(a, 1));
    a->free(a, p, 100 * MiB);
    frt_allocator_unref(a);
    a = bfc(g, 0.25, true, 512 * MiB); /* a cap above the fraction changes nothing */
    assert_string_equal(frt_bfc_mode(a), "fraction+allow_growth");
    assert_int_equal(stats(a).limit, 256 * MiB);
    frt_allocator_unref(a);
    sim_done(g);
}

static void *refuse(void *ctx, size_t bytes) {
    (void)ctx, (void)bytes;
    return NULL;
}
static void no_free(void *ctx, void *p, size_t bytes) { (void)ctx, (void)p, (void)bytes; }

static void default_limit_is_tf_free_minus_reserve(void **state) {
    (void)state;
    static const struct { size_t free_bytes; int cc; size_t limit; } cases[] = {
        {GiB, 8, GiB - 225 * MiB},           /* under 2 GiB free: 225 MiB */
        {2 * GiB, 6, 2 * GiB - 500 * MiB},   /* Pascal and older */
        {16 * GiB, 7, 16 * GiB - 1050 * MiB}, /* Volta, Turing */
        {16 * GiB, 8, 16 * GiB - 1536 * MiB}, /* Ampere, Ada */
        {80 * GiB, 9, 80 * GiB - 1800 * MiB}, /* Hopper */
        {16 * GiB, 0, 16 * GiB - 1800 * MiB}, /* unknown: the largest */
        {200 * MiB, 8, 200 * MiB},           /* reserve not below free: nothing taken off */
        {225 * MiB + 300, 8, 256},           /* what is left, rounded down to 256 */
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        frt_region_source src = {"GPU:0", 80 * GiB, cases[i].free_bytes, cases[i].cc,
                                 refuse, no_free, NULL};
        frt_allocator *a;
        TU_OK(frt_bfc_new(NULL, &src, NULL, FRT_MEM_DEVICE(1), &a));
        assert_string_equal(frt_bfc_mode(a), "default");
        assert_int_equal(stats(a).limit, cases[i].limit);
        assert_null(a->alloc(a, 256)); /* the device refuses */
        frt_allocator_unref(a);
    }
    sim_gpu *g = sim_new(GiB, GiB, 8);
    frt_allocator *a = bfc(g, 0, false, 0);
    void *p = a->alloc(a, 1);
    assert_non_null(p);
    assert_int_equal(g->n_given, 1);
    assert_int_equal(g->given[0], GiB - 225 * MiB);
    a->free(a, p, 1);
    frt_allocator_unref(a);
    sim_done(g);
}

static void env_overrides_allow_growth(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    static const struct { const char *env; bool option, growth; } cases[] = {
        {"true", false, true}, {"false", true, false}, {"1", false, false}, {"TRUE", true, true},
    };
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        setenv("TF_FORCE_GPU_ALLOW_GROWTH", cases[i].env, 1);
        g->n_given = 0;
        frt_allocator *a = bfc(g, 0.5, cases[i].option, 0);
        assert_string_equal(frt_bfc_mode(a),
                            cases[i].growth ? "fraction+allow_growth" : "fraction");
        void *p = a->alloc(a, 1);
        assert_non_null(p);
        assert_int_equal(g->given[0], cases[i].growth ? 2 * MiB : 32 * MiB);
        a->free(a, p, 1);
        frt_allocator_unref(a);
    }
    sim_done(g);
}

static void best_fit_split_and_coalesce(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 0.25, false, 0); /* one region of 16 MiB */
    char *A = a->alloc(a, MiB), *B = a->alloc(a, MiB), *C = a->alloc(a, MiB);
    assert_ptr_equal(B, A + MiB);
    assert_ptr_equal(C, B + MiB);
    a->free(a, B, MiB);
    CHECK(a);
    char *h1 = a->alloc(a, 512 * KiB), *h2 = a->alloc(a, 512 * KiB); /* B's hole, split */
    assert_ptr_equal(h1, B);
    assert_ptr_equal(h2, B + 512 * KiB);
    CHECK(a);
    /* Holes of 3 MiB (lower address) and 2 MiB: 1.5 MiB goes to the 2 MiB one, whole,
     * because the 512 KiB left would be less than the request. */
    char *x1 = a->alloc(a, 3 * MiB), *s1 = a->alloc(a, 256), *x2 = a->alloc(a, 2 * MiB),
         *s2 = a->alloc(a, 256);
    a->free(a, x1, 3 * MiB);
    a->free(a, x2, 2 * MiB);
    size_t before = stats(a).in_use;
    char *y = a->alloc(a, 3 * MiB / 2);
    assert_ptr_equal(y, x2);
    assert_int_equal(stats(a).in_use, before + 2 * MiB);
    CHECK(a);
    /* Free in an order that merges right, left and both ways. */
    a->free(a, y, 3 * MiB / 2);
    a->free(a, h1, 512 * KiB);
    a->free(a, A, MiB);
    a->free(a, C, MiB);
    a->free(a, h2, 512 * KiB);
    a->free(a, s2, 256);
    a->free(a, s1, 256);
    CHECK(a);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.regions, 1);
    assert_int_equal(st.largest_free, 16 * MiB);
    assert_int_equal(st.peak, 8 * MiB + 512);
    frt_allocator_unref(a);
    sim_done(g);
}

static void oom_returns_null_and_stays_usable(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 0.25, false, 0);
    /* 10 MiB would take the whole region: 6 MiB left is under the request (no split). */
    void *p = a->alloc(a, 8 * MiB), *q = a->alloc(a, 8 * MiB);
    assert_non_null(p);
    assert_non_null(q);
    assert_null(a->alloc(a, 1));
    assert_null(a->alloc(a, 0));         /* as TF: nothing to allocate */
    assert_null(a->alloc(a, SIZE_MAX));  /* no overflow in rounding */
    assert_null(a->alloc(a, 16 * MiB + 1));
    char d[200];
    frt_bfc_describe(a, d, sizeof d);
    assert_string_equal(d, "in use 16.0 MiB, peak 16.0 MiB, limit 16.0 MiB, 1 region 16.0 MiB, "
                           "largest free chunk 0 B");
    a->free(a, q, 8 * MiB);
    assert_null(a->alloc(a, 9 * MiB));
    frt_bfc_describe(a, d, sizeof d);
    assert_string_equal(d, "in use 8.0 MiB, peak 16.0 MiB, limit 16.0 MiB, 1 region 16.0 MiB, "
                           "largest free chunk 8.0 MiB");
    frt_bfc_describe(a, d, 12); /* truncates, stays a string */
    assert_string_equal(d, "in use 8.0 ");
    q = a->alloc(a, 8 * MiB);
    assert_non_null(q);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.num_allocs, 3);
    assert_int_equal(st.in_use, 16 * MiB);
    /* The tensor layer turns the NULL into RESOURCE_EXHAUSTED naming the allocator. */
    frt_tensor *t;
    tu_assert_error(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, TU_DIMS(4), 1, &t),
                    FRT_RESOURCE_EXHAUSTED, "gpu_bfc");
    a->free(a, p, 8 * MiB);
    a->free(a, q, 8 * MiB);
    CHECK(a);
    frt_allocator_unref(a);
    sim_done(g);
    frt_allocator *cpu = frt_cpu_allocator_new("cpu", 0);
    frt_bfc_describe(cpu, d, sizeof d);
    assert_string_equal(d, "in use 0 B, peak 0 B, limit none");
    assert_null(frt_bfc_mode(cpu));
    assert_int_equal(frt_bfc_release_free_regions(cpu), 0);
    tu_assert_error(frt_bfc_check(cpu), FRT_INVALID_ARGUMENT, "not a BFC");
    frt_allocator_unref(cpu);
}

static void stats_are_exact(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 0.25, false, 0);
    void *p1 = a->alloc(a, 1), *p2 = a->alloc(a, 257), *p3 = a->alloc(a, 1000);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.in_use, 256 + 512 + 1024);
    assert_int_equal(st.peak, 1792);
    assert_int_equal(st.num_allocs, 3);
    assert_int_equal(st.largest_alloc, 1024);
    assert_int_equal(st.limit, 16 * MiB);
    assert_int_equal(st.region_bytes, 16 * MiB);
    assert_int_equal(st.regions, 1);
    assert_int_equal(st.largest_free, 16 * MiB - 1792);
    a->free(a, p2, 257);
    st = stats(a);
    assert_int_equal(st.in_use, 1280);
    assert_int_equal(st.peak, 1792);
    assert_int_equal(st.num_allocs, 3);
    assert_int_equal(st.largest_free, 16 * MiB - 1792);
    CHECK(a);
    a->free(a, p1, 1);
    a->free(a, p3, 1000);
    a->free(a, NULL, 0); /* nothing */
    st = stats(a);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.largest_free, 16 * MiB);
    frt_allocator_unref(a);
    sim_done(g);
}

static void release_gives_back_only_wholly_free_regions(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 1.0, true, 0);
    assert_int_equal(frt_bfc_release_free_regions(a), 0);
    void *p1 = a->alloc(a, 2 * MiB), *p2 = a->alloc(a, 4 * MiB), *p3 = a->alloc(a, 8 * MiB);
    void *p4 = a->alloc(a, 256); /* in p2's region? no: 4 MiB region is full; a new one */
    assert_int_equal(g->n_given, 4);
    a->free(a, p1, 2 * MiB);
    a->free(a, p3, 8 * MiB);
    a->free(a, p4, 256);
    assert_int_equal(frt_bfc_release_free_regions(a), 2 * MiB + 8 * MiB + 16 * MiB);
    assert_int_equal(g->taken, 4 * MiB);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.regions, 1);
    assert_int_equal(st.region_bytes, 4 * MiB);
    assert_int_equal(st.in_use, 4 * MiB);
    assert_int_equal(st.largest_free, 0);
    CHECK(a);
    assert_int_equal(frt_bfc_release_free_regions(a), 0);
    void *p5 = a->alloc(a, MiB); /* regions keep growing: 32 MiB, under the 60 MiB left */
    assert_non_null(p5);
    assert_int_equal(g->given[4], 32 * MiB);
    a->free(a, p2, 4 * MiB);
    a->free(a, p5, MiB);
    assert_int_equal(frt_bfc_release_free_regions(a), 36 * MiB);
    st = stats(a);
    assert_int_equal(st.regions, 0);
    assert_int_equal(st.region_bytes, 0);
    assert_int_equal(st.largest_free, 0);
    assert_int_equal(st.peak, 14 * MiB + 256);
    CHECK(a);
    assert_int_equal(g->taken, 0);
    frt_allocator_unref(a);
    sim_done(g);
}

static void garbage_collection_makes_room_for_a_bigger_region(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    for (int gc = 1; gc >= 0; gc--) {
        if (!gc) setenv("TF_ENABLE_GPU_GARBAGE_COLLECTION", "false", 1);
        g->n_given = 0;
        frt_allocator *a = bfc(g, 1.0, true, 8 * MiB);
        void *p1 = a->alloc(a, 2 * MiB), *p2 = a->alloc(a, 4 * MiB);
        a->free(a, p1, 2 * MiB);
        a->free(a, p2, 4 * MiB);
        void *p = a->alloc(a, 7 * MiB); /* 2 MiB left under the limit, 6 MiB free in pieces */
        CHECK(a);
        if (gc) {
            assert_non_null(p);
            assert_int_equal(g->n_given, 3);
            assert_int_equal(g->given[2], 8 * MiB);
            assert_int_equal(stats(a).regions, 1);
            a->free(a, p, 7 * MiB);
        } else {
            assert_null(p);
            assert_int_equal(stats(a).regions, 2);
        }
        frt_allocator_unref(a);
    }
    sim_done(g);
}

static void chunks_never_span_regions(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 1.0, true, 0);
    char *p1 = a->alloc(a, 2 * MiB), *p2 = a->alloc(a, 4 * MiB);
    assert_ptr_equal(p2, p1 + 2 * MiB); /* the device gave neighbouring regions */
    a->free(a, p1, 2 * MiB);
    a->free(a, p2, 4 * MiB);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.regions, 2);
    assert_int_equal(st.largest_free, 4 * MiB); /* not 6 */
    CHECK(a);
    char *p3 = a->alloc(a, 5 * MiB);
    assert_true(p3 >= p2 + 4 * MiB); /* from a third region */
    assert_int_equal(stats(a).regions, 3);
    a->free(a, p3, 5 * MiB);
    frt_allocator_unref(a);
    sim_done(g);
}

static void backpedals_once_when_the_device_has_less(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    g->cap = 40 * MiB; /* another process holds the rest */
    frt_allocator *a = bfc(g, 1.0, false, 0);
    size_t want = 64 * MiB, tries = 1;
    while (want > 40 * MiB) {
        want = ((size_t)((double)want * 0.9) + 255) / 256 * 256;
        tries++;
    }
    void *p = a->alloc(a, MiB);
    assert_non_null(p);
    assert_int_equal(g->attempts, tries);
    assert_int_equal(g->n_given, 1);
    assert_int_equal(g->given[0], want);
    /* The rest of the region is usable; beyond it TF does not backpedal again. */
    void *q = a->alloc(a, want - MiB);
    assert_non_null(q);
    assert_null(a->alloc(a, MiB));
    assert_int_equal(g->attempts, tries + 1);
    CHECK(a);
    a->free(a, p, MiB);
    a->free(a, q, want - MiB);
    frt_allocator_unref(a);
    sim_done(g);
}

static void budgets_refuse_beyond_their_limit_and_share_a_base(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *base = bfc(g, 0.5, false, 0);
    frt_allocator *s1 = frt_budget_allocator_new("session1", base, 8 * MiB);
    frt_allocator *s2 = frt_budget_allocator_new("session2", base, 8 * MiB);
    frt_allocator *s3 = frt_budget_allocator_new(NULL, base, 0);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_non_null(s3);
    assert_int_equal(s1->space, FRT_MEM_DEVICE(0));
    assert_string_equal(s3->name, "budget");
    void *a1 = s1->alloc(s1, 6 * MiB);
    assert_non_null(a1);
    assert_null(s1->alloc(s1, 3 * MiB)); /* its own limit, while the base has 26 MiB */
    void *a2 = s1->alloc(s1, 2 * MiB), *b1 = s2->alloc(s2, 8 * MiB);
    assert_non_null(a2);
    assert_non_null(b1);
    frt_alloc_stats st = stats(s1);
    assert_int_equal(st.in_use, 8 * MiB);
    assert_int_equal(st.peak, 8 * MiB);
    assert_int_equal(st.limit, 8 * MiB);
    assert_int_equal(st.num_allocs, 2);
    assert_int_equal(st.largest_alloc, 6 * MiB);
    assert_int_equal(st.regions, 1);
    assert_int_equal(st.region_bytes, 32 * MiB);
    assert_int_equal(st.largest_free, 16 * MiB);
    assert_int_equal(stats(base).in_use, 16 * MiB);
    assert_null(s3->alloc(s3, 17 * MiB)); /* no budget limit, but the base is full */
    assert_int_equal(stats(s3).in_use, 0);
    char d[200];
    frt_bfc_describe(s1, d, sizeof d);
    assert_string_equal(d, "in use 8.0 MiB, peak 8.0 MiB, limit 8.0 MiB, 1 region 32.0 MiB, "
                           "largest free chunk 16.0 MiB");
    frt_allocator_unref(base); /* the budgets keep it */
    s1->free(s1, a1, 6 * MiB);
    s1->free(s1, a2, 2 * MiB);
    assert_int_equal(stats(s1).in_use, 0);
    assert_int_equal(stats(s2).in_use, 8 * MiB);
    void *a3 = s1->alloc(s1, 8 * MiB);
    assert_non_null(a3);
    s1->free(s1, a3, 8 * MiB);
    s2->free(s2, b1, 8 * MiB);
    CHECK(base);
    frt_allocator_unref(s1);
    frt_allocator_unref(s2);
    assert_int_equal(g->taken, 32 * MiB);
    frt_allocator_unref(s3); /* the last reference: the base goes */
    sim_done(g);
}

/* 8 threads allocate and free random sizes at once, in growth mode so regions are added
 * concurrently too; one of them also gives back free regions now and then. */
typedef struct worker {
    frt_allocator *a;
    unsigned seed;
    int id;
    size_t got, refused, broken;
} worker;

static size_t random_size(unsigned *seed) {
    unsigned r = (unsigned)rand_r(seed);
    if (r % 100 < 70) return 1 + r % (64 * KiB);
    if (r % 100 < 95) return 1 + r % MiB;
    return 1 + r % (12 * MiB);
}

static void *work(void *arg) {
    worker *w = arg;
    void *live[32] = {0};
    size_t size[32] = {0};
    for (int op = 0; op < 10000; op++) {
        int i = rand_r(&w->seed) % 32;
        if (live[i]) {
            w->a->free(w->a, live[i], size[i]);
            live[i] = NULL;
        } else {
            size[i] = random_size(&w->seed);
            live[i] = w->a->alloc(w->a, size[i]);
            if (live[i]) w->got++;
            else w->refused++;
            if (live[i] && (uintptr_t)live[i] % 256) w->broken++;
        }
        if (w->id == 0 && op % 500 == 0) frt_bfc_release_free_regions(w->a);
        if (op % 1000 == 999) {
            frt_status *st = frt_bfc_check(w->a);
            if (st) w->broken++;
            frt_status_free(st);
        }
    }
    for (int i = 0; i < 32; i++)
        if (live[i]) w->a->free(w->a, live[i], size[i]);
    return NULL;
}

static void eight_threads_at_once(void **state) {
    (void)state;
    sim_gpu *g = sim_new(GiB, GiB, 8);
    frt_allocator *a = bfc(g, 0.25, true, 40 * MiB); /* tight: refusals and collections */
    pthread_t th[8];
    worker w[8];
    for (int i = 0; i < 8; i++) {
        w[i] = (worker){a, 1234u + (unsigned)i, i, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    size_t got = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(w[i].broken, 0);
        got += w[i].got;
    }
    assert_true(got > 8 * 4000);
    CHECK(a);
    frt_alloc_stats st = stats(a);
    assert_int_equal(st.in_use, 0);
    assert_int_equal(st.num_allocs, got);
    assert_true(st.region_bytes <= 40 * MiB);
    /* Nothing in use and no free neighbours (CHECK): each region is one free chunk. */
    size_t biggest = 0;
    for (int i = 0; i < g->n_live; i++)
        if (g->size[i] > biggest) biggest = g->size[i];
    assert_int_equal(st.largest_free, biggest);
    assert_int_equal(frt_bfc_release_free_regions(a), st.region_bytes);
    frt_allocator_unref(a);
    sim_done(g);
}

/* Random operations with the consistency check after every one; live blocks must lie in the
 * device's memory, 256-byte aligned, and never overlap. */
static void randomized_with_check_after_every_op(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 1.0, true, 48 * MiB);
    unsigned seed = 42;
    char *live[64] = {0};
    size_t size[64] = {0};
    for (int op = 0; op < 6000; op++) {
        int i = rand_r(&seed) % 64, r = rand_r(&seed) % 100;
        if (r == 0) {
            frt_bfc_release_free_regions(a);
        } else if (live[i]) {
            a->free(a, live[i], size[i]);
            live[i] = NULL;
        } else {
            size[i] = random_size(&seed);
            live[i] = a->alloc(a, size[i]);
            if (live[i]) {
                assert_true(live[i] >= g->mem && live[i] + size[i] <= g->mem + g->total);
                assert_int_equal((uintptr_t)live[i] % 256, 0);
                for (int j = 0; j < 64; j++)
                    if (j != i && live[j])
                        assert_true(live[i] + size[i] <= live[j] || live[j] + size[j] <= live[i]);
            }
        }
        CHECK(a);
        assert_true(stats(a).region_bytes <= 48 * MiB);
    }
    for (int i = 0; i < 64; i++)
        if (live[i]) a->free(a, live[i], size[i]);
    CHECK(a);
    assert_int_equal(stats(a).in_use, 0);
    frt_allocator_unref(a);
    sim_done(g);
}

static void bad_options_are_one_line_errors(void **state) {
    (void)state;
    const double bad[] = {-0.5, 1.5, NAN, INFINITY, -INFINITY};
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    for (size_t i = 0; i < FRT_COUNTOF(bad); i++) {
        frt_gpu_memory_options o = {bad[i], false, 0};
        frt_status *st = frt_gpu_memory_options_check(&o);
        assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
        assert_non_null(strstr(frt_status_message(st), "per_process_gpu_memory_fraction is "));
        assert_null(strchr(frt_status_message(st), '\n'));
        frt_status_free(st);
        frt_allocator *a = (frt_allocator *)1;
        tu_assert_error(frt_bfc_new("x", &g->src, &o, FRT_MEM_DEVICE(0), &a),
                        FRT_INVALID_ARGUMENT, "(0, 1]");
        assert_null(a);
    }
    frt_gpu_memory_options ok[] = {{0, false, 0}, {1, true, 0}, {1e-9, false, 1}};
    for (size_t i = 0; i < FRT_COUNTOF(ok); i++) TU_OK(frt_gpu_memory_options_check(&ok[i]));
    frt_region_source src = g->src;
    src.free = NULL;
    frt_allocator *a;
    tu_assert_error(frt_bfc_new("x", &src, NULL, FRT_MEM_DEVICE(0), &a), FRT_INVALID_ARGUMENT,
                    "region source");
    tu_assert_error(frt_bfc_new("x", NULL, NULL, FRT_MEM_DEVICE(0), &a), FRT_INVALID_ARGUMENT,
                    "region source");
    sim_done(g);
}

/* Host allocation failures (the allocator's own records) at every point: creation fails with
 * RESOURCE_EXHAUSTED, allocations return NULL or hand out a chunk unsplit, nothing leaks
 * (LeakSanitizer) and every region goes back. */
static void host_allocation_failures(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    for (long n = 1;; n++) {
        frt_testing_fail_alloc_after(n);
        frt_allocator *a;
        frt_status *st = frt_bfc_new("faulty", &g->src, &(frt_gpu_memory_options){1.0, true, 0},
                                     FRT_MEM_DEVICE(0), &a);
        if (st) {
            assert_int_equal(frt_status_code(st), FRT_RESOURCE_EXHAUSTED);
            assert_null(a);
            frt_status_free(st);
            continue;
        }
        void *p[100];
        for (int i = 0; i < 100; i++) p[i] = a->alloc(a, (size_t)(i % 7 + 1) * 100 * KiB);
        CHECK(a);
        for (int i = 0; i < 100; i++)
            if (p[i]) a->free(a, p[i], (size_t)(i % 7 + 1) * 100 * KiB);
        CHECK(a);
        assert_int_equal(stats(a).in_use, 0);
        frt_allocator_unref(a);
        assert_int_equal(g->taken, 0);
        long failures = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        if (failures == 0) break;
    }
    sim_done(g);
}

static void tensors_keep_the_allocator_alive(void **state) {
    (void)state;
    sim_gpu *g = sim_new(64 * MiB, 64 * MiB, 8);
    frt_allocator *a = bfc(g, 0.25, false, 0);
    frt_tensor *t;
    TU_OK(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, TU_DIMS(1000, 1000), 2, &t));
    assert_int_equal(stats(a).in_use, 4000000); /* a multiple of 256 already */
    frt_allocator_unref(a); /* the tensor's buffer holds a reference */
    assert_int_equal(g->taken, 16 * MiB);
    frt_tensor_unref(t);
    sim_done(g); /* destroyed with the last buffer: every region back */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fraction_takes_one_region_at_first_use),
        cmocka_unit_test(growth_regions_double_under_the_limit),
        cmocka_unit_test(hard_limit_caps_the_fraction),
        cmocka_unit_test(default_limit_is_tf_free_minus_reserve),
        cmocka_unit_test_teardown(env_overrides_allow_growth, unset_env),
        cmocka_unit_test(best_fit_split_and_coalesce),
        cmocka_unit_test(oom_returns_null_and_stays_usable),
        cmocka_unit_test(stats_are_exact),
        cmocka_unit_test(release_gives_back_only_wholly_free_regions),
        cmocka_unit_test_teardown(garbage_collection_makes_room_for_a_bigger_region, unset_env),
        cmocka_unit_test(chunks_never_span_regions),
        cmocka_unit_test(backpedals_once_when_the_device_has_less),
        cmocka_unit_test(budgets_refuse_beyond_their_limit_and_share_a_base),
        cmocka_unit_test(eight_threads_at_once),
        cmocka_unit_test(randomized_with_check_after_every_op),
        cmocka_unit_test(bad_options_are_one_line_errors),
        cmocka_unit_test(host_allocation_failures),
        cmocka_unit_test(tensors_keep_the_allocator_alive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
