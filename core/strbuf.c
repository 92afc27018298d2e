/* core/strbuf.c: the growing string (core/strbuf.h).
 * Owns: growth (doubling) and the out-of-memory flag. Thread-safety: thread-compatible. */
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>

bool frt_strbuf_vprintf(frt_strbuf *b, const char *fmt, va_list ap) {
    if (b->oom) return false;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) return true; /* an encoding error appends nothing */
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = frt_realloc(b->s, cap);
        if (!s) {
            b->oom = true;
            return false;
        }
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return true;
}

bool frt_strbuf_printf(frt_strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    bool ok = frt_strbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return ok;
}

void frt_strbuf_free(frt_strbuf *b) {
    free(b->s);
    *b = (frt_strbuf){0};
}
