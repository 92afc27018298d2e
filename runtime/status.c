/* runtime/status.c: frt_status, the one error type (code + message), and OOM-checked malloc.
 * Owns: message formatting, the static out-of-memory status. Thread-safety: none needed. */
#include "runtime/status.h"

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
    char *s = malloc((size_t)n + 1);
    if (s) vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

frt_status *frt_status_newv(frt_code code, const char *fmt, va_list ap) {
    frt_status *st = malloc(sizeof *st);
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
    char *m = realloc(st->msg, a + b + 1);
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

/* Internal allocations that we cannot sensibly recover from mid-structure-building are
 * still checked: callers that can return a status use plain malloc and test for NULL.
 * These helpers are for small bookkeeping (names, arrays) where OOM means the process is
 * lost anyway; they abort with a clear message rather than crash on NULL. */
void *frt_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) frt_assert_fail(__FILE__, __LINE__, "out of memory");
    return p;
}
void *frt_xcalloc(size_t n, size_t sz) {
    void *p = calloc(n ? n : 1, sz ? sz : 1);
    if (!p) frt_assert_fail(__FILE__, __LINE__, "out of memory");
    return p;
}
void *frt_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) frt_assert_fail(__FILE__, __LINE__, "out of memory");
    return q;
}
char *frt_xstrndup(const char *s, size_t n) {
    char *d = frt_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
char *frt_xstrdup(const char *s) { return frt_xstrndup(s, strlen(s)); }
