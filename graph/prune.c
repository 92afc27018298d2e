/* graph/prune.c: removes nodes that cannot reach the fetches or targets.
 * Owns: the backward reachability walk over data and control edges, feed cuts.
 * Does not own: feed rewriting (session.c), placement, shape inference.
 * Thread-safety: only reads the finalized graph. */
#include "graph/prune.h"

#include <stdlib.h>
#include <string.h>

static bool is_fed(const frt_edge *feeds, int n_feeds, frt_edge e) {
    for (int i = 0; i < n_feeds; i++)
        if (feeds[i].node == e.node && feeds[i].index == e.index) return true;
    return false;
}

static frt_status *check_edge(const frt_graph *g, frt_edge e, const char *what, int i) {
    if (e.node < 0 || e.node >= g->n_nodes)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s %d: node index %d is outside the graph "
                              "(%d nodes)", what, i, e.node, g->n_nodes);
    const frt_node *n = &g->nodes[e.node];
    if (e.index < 0 || (n->n_outputs >= 0 && e.index >= n->n_outputs))
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s %d: '%s:%d' is out of range: node '%s' (%s) has %d output%s",
                              what, i, n->name, e.index, n->name, n->op, n->n_outputs,
                              n->n_outputs == 1 ? "" : "s");
    return NULL;
}

frt_status *frt_graph_prune(const frt_graph *g, const frt_edge *feeds, int n_feeds,
                            const frt_edge *fetches, int n_fetches, const int *targets,
                            int n_targets, bool *keep) {
    int n = g->n_nodes;
    for (int i = 0; i < n; i++) keep[i] = false;
    if (!g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION, "pruning needs a finalized graph");
    for (int i = 0; i < n_feeds; i++) FRT_TRY(check_edge(g, feeds[i], "feed", i));
    for (int i = 0; i < n_fetches; i++) FRT_TRY(check_edge(g, fetches[i], "fetch", i));
    for (int i = 0; i < n_targets; i++)
        if (targets[i] < 0 || targets[i] >= n)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "target %d: node index %d is outside the graph (%d nodes)", i,
                                  targets[i], n);

    /* Each node enters the stack at most once (keep marks it on push). */
    int *stack = frt_malloc((size_t)n * sizeof *stack + 1);
    if (!stack) return frt_status_oom("pruning a graph of %d nodes", n);
    int top = 0;
#define PUSH(v)                                                                            \
    do {                                                                                   \
        int v_ = (v);                                                                      \
        if (v_ >= 0 && !keep[v_]) {                                                        \
            keep[v_] = true;                                                               \
            stack[top++] = v_;                                                             \
        }                                                                                  \
    } while (0)
    for (int i = 0; i < n_fetches; i++)
        if (!is_fed(feeds, n_feeds, fetches[i])) PUSH(fetches[i].node);
    for (int i = 0; i < n_targets; i++) PUSH(targets[i]);
    while (top > 0) {
        const frt_node *nd = &g->nodes[stack[--top]];
        for (int k = 0; k < nd->n_data; k++)
            if (!is_fed(feeds, n_feeds, nd->data[k])) PUSH(nd->data[k].node);
        for (int k = 0; k < nd->n_ctrl; k++) PUSH(nd->ctrl[k]);
    }
#undef PUSH
    free(stack);
    return NULL;
}
