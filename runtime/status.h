/* runtime/status.h: the one error type. NULL means OK; codes are TensorFlow's.
 * Thread-safety: a status is a plain value owned by whoever holds it. */
#pragma once
#include <stdarg.h>
#include "include/flowrt/flowrt.h"

#define FRT_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

frt_status *frt_status_newv(frt_code code, const char *fmt, va_list ap);

/* Broken invariants in our own code only; never for user input. */
#define FRT_ASSERT(x)                                                                   \
    do {                                                                                \
        if (!(x)) frt_assert_fail(__FILE__, __LINE__, #x);                              \
    } while (0)
_Noreturn void frt_assert_fail(const char *file, int line, const char *expr);

/* Out-of-memory helper: returns NULL-checked pointer or a status. */
void *frt_xmalloc(size_t n);
void *frt_xcalloc(size_t n, size_t sz);
void *frt_xrealloc(void *p, size_t n);
char *frt_xstrdup(const char *s);
char *frt_xstrndup(const char *s, size_t n);
