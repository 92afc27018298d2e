/* core/status.h: the one error type. NULL means OK; codes are TensorFlow's.
 * Thread-safety: a status is a plain value owned by whoever holds it. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include "include/flowrt/flowrt.h"

#define FRT_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

frt_status *frt_status_newv(frt_code code, const char *fmt, va_list ap);

/* Broken invariants in our own code only; never for user input. */
#define FRT_ASSERT(x)                                                                   \
    do {                                                                                \
        if (!(x)) frt_assert_fail(__FILE__, __LINE__, #x);                              \
    } while (0)
_Noreturn void frt_assert_fail(const char *file, int line, const char *expr);

/* Checked heap allocation. Every flowrt heap allocation goes through these (the one place
 * where tests inject failures, see frt_testing_fail_alloc_after). They return NULL when the
 * memory cannot be had, and the caller returns frt_status_oom(...) after freeing what it
 * built. A size of 0 asks for 1 byte; frt_calloc also fails when n * sz overflows;
 * frt_realloc leaves p untouched on failure. Memory is released with free(). */
void *frt_malloc(size_t n);
void *frt_calloc(size_t n, size_t sz);
void *frt_realloc(void *p, size_t n);
char *frt_strdup(const char *s);
char *frt_strndup(const char *s, size_t n);
/* align: a power of two and a multiple of sizeof(void *); n is rounded up to it. */
void *frt_aligned_alloc(size_t align, size_t n);

/* RESOURCE_EXHAUSTED "out of memory while <what>"; what is printf-style. */
FRT_MUST_USE frt_status *frt_status_oom(const char *fmt, ...) FRT_PRINTF(1, 2);

/* The same, aborting (file:line) when out of memory: only for sites whose callers cannot
 * return a status yet (not on the load and run paths; the issue-6 report lists them). */
void *frt_xmalloc(size_t n);
void *frt_xcalloc(size_t n, size_t sz);
void *frt_xrealloc(void *p, size_t n);
char *frt_xstrdup(const char *s);
char *frt_xstrndup(const char *s, size_t n);

/* Testing only (SQLite's sqlite3_test_control(SQLITE_TESTCTRL_FAULT_INSTALL) in spirit):
 * n > 0 makes the nth checked allocation from now fail, counting every frt_ allocation in
 * the process (frt_x* ones too, which then abort); n <= 0 turns injection off. Only that one
 * allocation fails unless sticky is set, in which case it and all later ones fail until the
 * next call. One-at-a-time is the default because it finds more: the code after the failure
 * keeps running with working memory, so cleanup paths that allocate, errors that are
 * swallowed (the run then "succeeds" with wrong results) and partially built state are all
 * exercised; sticky mode checks that error reporting itself survives (statuses fall back to
 * the static out-of-memory one). Deterministic only when one thread allocates at a time.
 * Cost when off: one relaxed atomic load and a branch per allocation. */
void frt_testing_fail_alloc_after(long n);
void frt_testing_fail_alloc_sticky(bool on);
/* Failures injected since the last frt_testing_fail_alloc_after. */
long frt_testing_alloc_failures(void);
/* Allocations counted since the last frt_testing_fail_alloc_after, while none has failed
 * yet (-1 otherwise): arm with LONG_MAX to count the allocations of a path. */
long frt_testing_alloc_count(void);
