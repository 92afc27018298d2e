/* graph/graph.h: the graph IR — nodes, data edges, control edges, attrs.
 * Built by io/ (GraphDef loaders) with frt_graph_add_node/frt_node_add_input, then
 * frt_graph_finalize resolves input strings to edges and validates (graph/validate.c).
 * Thread-safety: thread-compatible while building; immutable (and shareable) once finalized. */
#pragma once
#include <stdbool.h>

#include "core/attr.h"
#include "core/status.h"

typedef struct frt_edge {
    int node;   /* producer node index */
    int index;  /* producer output index */
} frt_edge;

typedef struct frt_node {
    char *name, *op, *device;
    int n_inputs;        /* raw input strings, as in NodeDef: "x", "x:1", "^y" */
    char **inputs;
    int cap_inputs;      /* allocated length of inputs (doubles as it fills) */
    frt_attrs attrs;
    /* Filled by frt_graph_finalize: */
    int n_data;          /* data inputs, in order */
    frt_edge *data;
    int n_ctrl;          /* control predecessors (node indices) */
    int *ctrl;
    int n_outputs;       /* from the op definition; -1 when the op is unknown */
} frt_node;

typedef struct frt_graph {
    int n_nodes, cap;
    frt_node *nodes;
    int *hash;           /* open addressing: node index + 1, 0 = empty */
    int hash_cap;
    int producer, min_consumer;
    bool finalized;
    /* Function library, owned by whoever set it (io/); freed with library_free. */
    void *library;
    void (*library_free)(void *library);
} frt_graph;

frt_graph *frt_graph_new(void);     /* NULL when out of memory */
void frt_graph_free(frt_graph *g);  /* NULL-safe */

/* Appends a node, *idx its index. Duplicate names are kept and reported by
 * frt_graph_finalize (so every problem is listed at once). RESOURCE_EXHAUSTED (nothing
 * added, *idx = -1) when out of memory. */
frt_status *frt_graph_try_add_node(frt_graph *g, const char *name, const char *op,
                                  const char *device, int *idx);
/* Appends a raw input string; RESOURCE_EXHAUSTED (nothing added) when out of memory. */
frt_status *frt_node_try_add_input(frt_node *n, const char *input);
/* The same, aborting when out of memory (graph rewrites not yet converted, tests). */
int frt_graph_add_node(frt_graph *g, const char *name, const char *op, const char *device);
void frt_node_add_input(frt_node *n, const char *input);
static inline frt_node *frt_graph_node(frt_graph *g, int i) { return &g->nodes[i]; }
/* Index of the node named name[0..len) (first one added), or -1. */
int frt_graph_find_n(const frt_graph *g, const char *name, size_t len);
int frt_graph_find(const frt_graph *g, const char *name);

/* Splits "node", "node:k" or "^node" (ctrl set) into the node name and index.
 * Returns false when the syntax is wrong (empty name, bad index). */
bool frt_parse_input_name(const char *s, const char **name, size_t *name_len, int *index,
                          bool *ctrl);
/* Resolves a tensor name ("node" or "node:k") against g: NOT_FOUND / INVALID_ARGUMENT naming
 * it when the node does not exist or the output index is out of range. */
frt_status *frt_graph_resolve_tensor(const frt_graph *g, const char *tensor, frt_edge *out);

/* Resolves inputs to edges, fills attr defaults from the op registry, sets n_outputs, and
 * validates: duplicate names, unknown input nodes or output indices, arity mismatch, cycles
 * (NextIteration back edges excepted). Every problem is reported in one INVALID_ARGUMENT
 * status, one line each, naming the node and op. */
frt_status *frt_graph_finalize(frt_graph *g);

/* Topological order of all nodes (data and control edges; NextIteration back edges are
 * skipped), stable by node index. order must hold n_nodes. FAILED_PRECONDITION when g is
 * not finalized, INVALID_ARGUMENT on a cycle. Implemented in graph/validate.c. */
frt_status *frt_graph_topo_order(const frt_graph *g, int *order);

/* The most nodes a loaded graph may have: 2^22 = 4,194,304, four times the largest real
 * graphs and about 4 GB of IR and plan at ~1 KB a node (bench/bench_chain.c measures it).
 * TensorFlow itself is bounded only by its 2 GB proto limit, which a GraphDef of minimal
 * nodes can fill with ~3e8 of them; loaders refuse more than this, naming the file, before
 * building anything (io/graphdef.c). */
#define FRT_GRAPH_MAX_NODES (1 << 22)
/* The most output tensors the nodes of one run may have in all: 2^24 = 16,777,216, four per
 * node at FRT_GRAPH_MAX_NODES. Shape inference and the plan keep an entry per output (about
 * 100 bytes), so a small file of many Splits with num_split 10^6 would otherwise size them
 * at gigabytes; planning refuses more with INVALID_ARGUMENT naming the node that crosses it. */
#define FRT_GRAPH_MAX_OUTPUTS (1 << 24)
/* The limit in force: FRT_GRAPH_MAX_NODES unless a test lowered it. */
int frt_graph_max_nodes(void);
/* For tests only (a million-node file to test the refusal is too slow to build): sets the
 * limit; n <= 0 restores FRT_GRAPH_MAX_NODES. Not thread-safe against concurrent loads. */
void frt_graph_set_max_nodes_for_testing(int n);
