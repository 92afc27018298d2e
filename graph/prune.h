/* graph/prune.h: which nodes a step needs: those that compute the fetches or run the
 * targets, walking data and control edges backwards and stopping at fed tensors.
 * Thread-safety: reads a finalized (immutable) graph; safe to call concurrently. */
#pragma once
#include <stdbool.h>

#include "graph/graph.h"

/* keep[i] (g->n_nodes entries, caller-allocated) is set true for every node needed to
 * compute fetches[0..n_fetches) and run targets[0..n_targets) (node indices). A fed tensor
 * cuts the walk on its edge: its producer is needed only when reached through another,
 * unfed output or a control edge; a fetched tensor that is itself fed needs nothing.
 * Back edges of loops are walked like any other edge.
 * Errors: FAILED_PRECONDITION if g is not finalized; INVALID_ARGUMENT for an edge or target
 * outside the graph (naming it). */
FRT_MUST_USE frt_status *frt_graph_prune(const frt_graph *g, const frt_edge *feeds, int n_feeds,
                                         const frt_edge *fetches, int n_fetches,
                                         const int *targets, int n_targets, bool *keep);
