/* graph/problems.h: the lines of one error that lists every problem at once, each naming its
 * node and op ("node 'x' (Op): ..."), as validation and placement report them. Past
 * max_lines only a count is kept.
 * Thread-safety: thread-compatible (one owner). */
#pragma once
#include "core/strbuf.h"
#include "graph/graph.h"

typedef struct frt_problems {
    frt_strbuf text;   /* lines separated by '\n' */
    int n;             /* problems added, listed or not */
    int max_lines;     /* set by the owner */
    size_t line_max;   /* bytes of one line kept (longer ones are cut); set by the owner */
} frt_problems;

void frt_problems_add(frt_problems *p, const frt_node *n, const char *fmt, ...) FRT_PRINTF(3, 4);
