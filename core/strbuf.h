/* core/strbuf.h: a growing string for messages built piece by piece (lists of problems,
 * reports, JSON). Out of memory is remembered, not fatal: the text so far stays valid and
 * `oom` tells the caller to report that instead.
 * Thread-safety: thread-compatible (one owner). */
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

typedef struct frt_strbuf {
    char *s;        /* NUL-terminated once anything was appended; NULL before */
    size_t len, cap;
    bool oom;       /* an append failed; later appends do nothing */
} frt_strbuf;

/* Appends formatted text; false (and oom set) when it could not. */
bool frt_strbuf_printf(frt_strbuf *b, const char *fmt, ...) FRT_PRINTF(2, 3);
bool frt_strbuf_vprintf(frt_strbuf *b, const char *fmt, va_list ap);
/* Frees the text; b is empty again. */
void frt_strbuf_free(frt_strbuf *b);
