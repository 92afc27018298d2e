/* cuda/sim/sim_handles.c: opaque handles for the simulated libraries (cudaStream_t,
 * cudaEvent_t, cublasHandle_t, cudnnHandle_t, ...). A handle is an address in a range
 * reserved with PROT_NONE and never mapped, handed out once: the table maps it to its kind,
 * its object and whether it is still live, so destroyed, made-up and wrong-kind handles are
 * reported instead of being dereferenced, and host code that dereferences a handle faults.
 * Owns: the reserved range and the table. Does not own: the objects (the entry keeps the
 * pointer after a handle is retired, so the runtime's never-freed structs stay reachable).
 * Thread-safety: thread-safe (a read-write lock over the table). */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cuda/sim/runtime_impl.h"

#define HANDLE_STRIDE ((uintptr_t)16)
#define HANDLE_RANGE ((size_t)1 << 30) /* 2^26 handles over the life of the process */

typedef struct {
    const char *kind;
    void *obj;
    int live;
} entry;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static uintptr_t base; /* 0 when the range could not be reserved */
static entry *table;
static size_t n_entries, cap_entries;

static void reserve(void) {
    void *p = mmap(NULL, HANDLE_RANGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "cuda-sim: cannot reserve %zu bytes of address space for handles: %s\n",
                HANDLE_RANGE, strerror(errno));
        return;
    }
    base = (uintptr_t)p;
}

void *frt_sim_handle_new(const char *kind, void *obj) {
    pthread_once(&once, reserve);
    if (!base) return NULL;
    void *h = NULL;
    pthread_rwlock_wrlock(&lock);
    if (n_entries == cap_entries && n_entries < HANDLE_RANGE / HANDLE_STRIDE) {
        size_t cap = cap_entries ? cap_entries * 2 : 256;
        entry *t = realloc(table, cap * sizeof *t);
        if (t) {
            table = t;
            cap_entries = cap;
        }
    }
    if (n_entries < cap_entries) {
        table[n_entries] = (entry){kind, obj, 1};
        h = (void *)(base + n_entries * HANDLE_STRIDE);
        n_entries++;
    }
    pthread_rwlock_unlock(&lock);
    return h;
}

/* The entry of h, or NULL when h was never handed out. Caller holds the lock. */
static entry *find(const void *h) {
    uintptr_t a = (uintptr_t)h;
    if (!base || a < base || (a - base) % HANDLE_STRIDE) return NULL;
    size_t i = (a - base) / HANDLE_STRIDE;
    return i < n_entries ? &table[i] : NULL;
}

/* The entry of a live handle of this kind, or NULL after a violation. Caller holds the lock. */
static entry *check(const void *h, const char *kind, const char *what) {
    entry *e = find(h);
    if (!h)
        frt_sim_violation("%s: NULL %s", what, kind);
    else if (!e)
        frt_sim_violation("%s: %p is not a %s (never created)", what, h, kind);
    else if (strcmp(e->kind, kind) != 0)
        frt_sim_violation("%s: %p is a %s, not a %s", what, h, e->kind, kind);
    else if (!e->live)
        frt_sim_violation("%s: %s %p was destroyed", what, kind, h);
    else
        return e;
    return NULL;
}

void *frt_sim_handle_get(const void *h, const char *kind, const char *what) {
    pthread_rwlock_rdlock(&lock);
    entry *e = check(h, kind, what);
    void *obj = e ? e->obj : NULL;
    pthread_rwlock_unlock(&lock);
    return obj;
}

void *frt_sim_handle_retire(const void *h, const char *kind, const char *what) {
    pthread_rwlock_wrlock(&lock);
    entry *e = check(h, kind, what);
    void *obj = NULL;
    if (e) {
        e->live = 0;
        obj = e->obj;
    }
    pthread_rwlock_unlock(&lock);
    return obj;
}

void frt_sim_handles_retire_kind(const char *kind) {
    pthread_rwlock_wrlock(&lock);
    for (size_t i = 0; i < n_entries; i++)
        if (strcmp(table[i].kind, kind) == 0) table[i].live = 0;
    pthread_rwlock_unlock(&lock);
}
