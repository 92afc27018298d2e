/* core/status.c: frt_status, the one error type (code + message), and the checked heap
 * allocation every flowrt module uses (frt_malloc & co.), with its fault-injection hook.
 * Owns: message formatting, the static out-of-memory status, the injection counter.
 * Thread-safety: statuses need none; the injection state is atomic. */
#include "core/status.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct frt_status {
    frt_code code;
    char *msg;
};

/* Returned when a status itself cannot be allocated; frt_status_free ignores it (SQLite). */
static frt_status oom_status = {FRT_RESOURCE_EXHAUSTED, "out of memory"};

static char *vformat(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return NULL;
    char *s = frt_malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

frt_status *frt_status_newv(frt_code code, const char *fmt, va_list ap) {
    frt_status *st = frt_malloc(sizeof *st);
    if (!st) return &oom_status;
    st->code = code == FRT_OK ? FRT_UNKNOWN : code;
    st->msg = vformat(fmt, ap);
    if (!st->msg) {
        free(st);
        return &oom_status;
    }
    return st;
}

frt_status *frt_status_new(frt_code code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    frt_status *st = frt_status_newv(code, fmt, ap);
    va_end(ap);
    return st;
}

frt_status *frt_status_annotate(frt_status *st, const char *fmt, ...) {
    if (!st || st == &oom_status) return st;
    va_list ap;
    va_start(ap, fmt);
    char *extra = vformat(fmt, ap);
    va_end(ap);
    if (!extra) return st;
    size_t a = strlen(st->msg), b = strlen(extra);
    char *m = frt_realloc(st->msg, a + b + 1);
    if (m) {
        memcpy(m + a, extra, b + 1);
        st->msg = m;
    }
    free(extra);
    return st;
}

frt_code frt_status_code(const frt_status *st) { return st ? st->code : FRT_OK; }
const char *frt_status_message(const frt_status *st) { return st ? st->msg : ""; }

const char *frt_code_name(frt_code code) {
    switch (code) {
    case FRT_OK: return "OK";
    case FRT_CANCELLED: return "CANCELLED";
    case FRT_UNKNOWN: return "UNKNOWN";
    case FRT_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case FRT_NOT_FOUND: return "NOT_FOUND";
    case FRT_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case FRT_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case FRT_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case FRT_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case FRT_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case FRT_INTERNAL: return "INTERNAL";
    case FRT_DATA_LOSS: return "DATA_LOSS";
    }
    return "UNKNOWN";
}

void frt_status_free(frt_status *st) {
    if (!st || st == &oom_status) return;
    free(st->msg);
    free(st);
}

_Noreturn void frt_assert_fail(const char *file, int line, const char *expr) {
    fprintf(stderr, "flowrt: internal invariant broken at %s:%d: %s\n", file, line, expr);
    abort();
}

/* ---- checked allocation and fault injection ---- */

static atomic_long fail_countdown; /* 0: off; else allocations until the failing one */
static atomic_bool fail_sticky;
static atomic_long fail_hits;
static atomic_long fail_armed;     /* n of the last frt_testing_fail_alloc_after */

static bool injected_failure(void) {
    long left = atomic_fetch_sub_explicit(&fail_countdown, 1, memory_order_relaxed);
    bool sticky = atomic_load_explicit(&fail_sticky, memory_order_relaxed);
    if (left > 1) return false;
    if (left < 1 && !sticky) { /* another thread took the failure: stay off */
        atomic_store_explicit(&fail_countdown, 0, memory_order_relaxed);
        return false;
    }
    if (sticky) atomic_store_explicit(&fail_countdown, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&fail_hits, 1, memory_order_relaxed);
    return true;
}

static inline bool alloc_fails(void) {
    return atomic_load_explicit(&fail_countdown, memory_order_relaxed) != 0 &&
           injected_failure();
}

void frt_testing_fail_alloc_after(long n) {
    atomic_store(&fail_hits, 0);
    atomic_store(&fail_armed, n > 0 ? n : 0);
    atomic_store(&fail_countdown, n > 0 ? n : 0);
}
long frt_testing_alloc_count(void) {
    long left = atomic_load(&fail_countdown);
    return left > 0 ? atomic_load(&fail_armed) - left : -1;
}
void frt_testing_fail_alloc_sticky(bool on) { atomic_store(&fail_sticky, on); }
long frt_testing_alloc_failures(void) { return atomic_load(&fail_hits); }

void *frt_malloc(size_t n) { return alloc_fails() ? NULL : malloc(n ? n : 1); }
void *frt_calloc(size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) return NULL; /* before ASan, which aborts on it */
    return alloc_fails() ? NULL : calloc(n ? n : 1, sz ? sz : 1);
}
void *frt_realloc(void *p, size_t n) { return alloc_fails() ? NULL : realloc(p, n ? n : 1); }
char *frt_strndup(const char *s, size_t n) {
    char *d = n < SIZE_MAX ? frt_malloc(n + 1) : NULL;
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
char *frt_strdup(const char *s) { return frt_strndup(s, strlen(s)); }
void *frt_aligned_alloc(size_t align, size_t n) {
    if (n > SIZE_MAX - align) return NULL;
    n = n ? (n + align - 1) / align * align : align;
    return alloc_fails() ? NULL : aligned_alloc(align, n);
}

frt_status *frt_status_oom(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *what = vformat(fmt, ap);
    va_end(ap);
    if (!what) return &oom_status;
    frt_status *st = frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory while %s", what);
    free(what);
    return st;
}

/* For callers that cannot return a status yet: abort with a clear message rather than crash
 * on NULL. */
static void *checked(void *p) {
    if (!p) frt_assert_fail(__FILE__, __LINE__, "out of memory");
    return p;
}
void *frt_xmalloc(size_t n) { return checked(frt_malloc(n)); }
void *frt_xcalloc(size_t n, size_t sz) { return checked(frt_calloc(n, sz)); }
void *frt_xrealloc(void *p, size_t n) { return checked(frt_realloc(p, n)); }
char *frt_xstrndup(const char *s, size_t n) { return checked(frt_strndup(s, n)); }
char *frt_xstrdup(const char *s) { return frt_xstrndup(s, strlen(s)); }
