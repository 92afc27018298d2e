/* graph/problems.c: collecting per-node problem lines (graph/problems.h).
 * Owns: the line format and the line cap. Thread-safety: thread-compatible. */
#include "graph/problems.h"

#include <stdio.h>
#include <stdlib.h>

void frt_problems_add(frt_problems *p, const frt_node *n, const char *fmt, ...) {
    if (++p->n > p->max_lines) return;
    char *line = frt_malloc(p->line_max);
    if (!line) {
        p->text.oom = true;
        return;
    }
    int k = snprintf(line, p->line_max, "node '%s' (%s): ", n->name, n->op);
    va_list ap;
    va_start(ap, fmt);
    if (k >= 0 && (size_t)k < p->line_max) vsnprintf(line + k, p->line_max - (size_t)k, fmt, ap);
    va_end(ap);
    frt_strbuf_printf(&p->text, "%s%s", p->text.len ? "\n" : "", line);
    free(line);
}
