/* graph/optimize_impl.h: the optimizer's working graph, shared by optimize.c (building it
 * from a finalized graph, dead-node removal, writing the result), const_fold.c and fuse.c.
 * Nodes 0..g->n_nodes-1 are g's; passes append new Const nodes after them. Edges index the
 * working graph. Thread-safety: one working graph per call. */
#pragma once
#include <stdbool.h>

#include "graph/graph.h"
#include "graph/optimize.h"
#include "graph/shape_infer.h"

typedef struct frt_opt_node {
    char *name;           /* owned */
    char *op;             /* owned */
    const char *device;   /* borrowed from g ("" for new nodes) */
    frt_attrs attrs;      /* owned */
    int n_data;
    frt_edge *data;       /* owned */
    int n_ctrl;
    int *ctrl;            /* owned */
    int n_outputs;
    bool live;            /* written to the result */
    bool region;          /* needed by the step: passes may rewrite or remove it */
    bool is_const;        /* a Const (or folded node) without control inputs, value in attrs */
} frt_opt_node;

typedef struct frt_opt_graph {
    const frt_graph *g;
    int n, cap;
    frt_opt_node *nodes;
    const frt_edge *feeds, *fetches;
    int nfeeds, nfetches;
    bool *target;         /* per node of g */
    int *order;           /* topological order of g's nodes */
    frt_optimize_options opts;
    frt_shape_map *shapes; /* static shapes of g's region, computed on first use */
    bool shapes_done;
    /* An allocation failed: passes stop, and the optimizer fails with RESOURCE_EXHAUSTED.
     * Until then a pass may leave a rewrite half done, as long as the working graph stays
     * freeable (working_free). */
    bool oom;
} frt_opt_graph;

bool frt_opt_edge_fed(const frt_opt_graph *w, frt_edge e);
bool frt_opt_edge_fetched(const frt_opt_graph *w, frt_edge e);
/* Whether node i is pinned by the caller: a target, or the producer of a fetch or feed. */
bool frt_opt_pinned(const frt_opt_graph *w, int i);
/* The constant value carried by e (borrowed), or NULL: the producer is live, is_const, and
 * e is not fed. */
const frt_tensor *frt_opt_const_value(const frt_opt_graph *w, frt_edge e);
/* Live data uses of e plus fetches of it, and (via *ctrl_uses) live control uses of its node. */
int frt_opt_uses(const frt_opt_graph *w, frt_edge e, int *ctrl_uses);
/* The static shape of e as g computes it for this step (fed Placeholders take their shape
 * attr, which every run checks its feeds against), or unknown rank. Valid for edges from
 * g's nodes whose outputs passes kept (a fused chain's last node computes what it did). */
frt_shape frt_opt_shape(frt_opt_graph *w, frt_edge e);
/* Appends a live region Const node holding t (takes its own reference) named
 * "<base>/<suffix>" (made unique); returns its index, or -1 (w->oom set) when out of memory. */
int frt_opt_add_const(frt_opt_graph *w, const char *base, const char *suffix, frt_tensor *t);
/* Turns node i into a Const holding t (own reference taken): no inputs, one output. When out
 * of memory, sets w->oom and leaves node i as it was. */
void frt_opt_make_const(frt_opt_graph *w, int i, frt_tensor *t);
/* frt_attrs_try_set for passes: moves *v in, or (out of memory) frees it and sets w->oom. */
void frt_opt_set_attr(frt_opt_graph *w, frt_attrs *a, const char *key, frt_attr_value *v);

void frt_opt_fold_constants(frt_opt_graph *w);
void frt_opt_fuse(frt_opt_graph *w);
