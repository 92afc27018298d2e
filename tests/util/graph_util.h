/* tests/util/graph_util.h: graph-building helpers shared by the graph tests (prune, validate,
 * shape inference): nodes from a name, an op and a comma-separated input list, their attrs,
 * Const nodes. Thread-compatible, like frt_graph itself. */
#pragma once
#include "graph/graph.h"
#include "core/tensor.h"

/* Adds node `name` running `op` with comma-separated inputs ("a,b:1,^c"; NULL or "" for
 * none) and returns its index. */
int tu_add_node(frt_graph *g, const char *name, const char *op, const char *inputs);
/* The attrs of node i (borrowed from g). */
frt_attrs *tu_node_attrs(frt_graph *g, int i);
/* Adds a Const node with dtype and value attrs from t (borrowed; the node keeps its own
 * reference) and returns its index. */
int tu_add_const(frt_graph *g, const char *name, frt_tensor *t);
