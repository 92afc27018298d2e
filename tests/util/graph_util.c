/* tests/util/graph_util.c: graph-building helpers for the tests (see graph_util.h). */
#include "util/graph_util.h"

#include <stdlib.h>
#include <string.h>

#include "util/test_util.h"

int tu_add_node(frt_graph *g, const char *name, const char *op, const char *inputs) {
    int i = frt_graph_add_node(g, name, op, "");
    if (inputs && *inputs) {
        char *buf = frt_xstrdup(inputs);
        for (char *t = strtok(buf, ","); t; t = strtok(NULL, ","))
            frt_node_add_input(frt_graph_node(g, i), t);
        free(buf);
    }
    return i;
}

frt_attrs *tu_node_attrs(frt_graph *g, int i) { return &frt_graph_node(g, i)->attrs; }

int tu_add_const(frt_graph *g, const char *name, frt_tensor *t) {
    int i = tu_add_node(g, name, "Const", NULL);
    tu_attr_type(tu_node_attrs(g, i), "dtype", t->dtype);
    tu_attr_tensor(tu_node_attrs(g, i), "value", t);
    return i;
}
