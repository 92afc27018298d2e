/* graph/optimize.h: the per-run graph optimizer (a small Grappler): constant folding and
 * TF's remapper fusions (Conv2D / DepthwiseConv2dNative with constant scales, biases and an
 * activation, inference FusedBatchNorm* included -> _FusedConv2D / _FusedDepthwiseConv2dNative;
 * zero Pads folded into the convs' padding; MatMul + bias (+ activation) -> _FusedMatMul), on
 * the subgraph one (feeds, fetches, targets) signature needs.
 * Thread-safety: only reads g (finalized, immutable), so concurrent calls are fine; constant
 * folding runs CPU kernels (frt_init must have run). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "graph/graph.h"

typedef struct frt_optimize_options {
    bool no_fold;            /* skip constant folding */
    bool no_fuse;            /* skip fusions */
    int64_t max_fold_bytes;  /* folded outputs larger than this stay computed; 0 = 10 MiB */
    bool null_if_unchanged;  /* *out = NULL, no copy, when no pass rewrote anything: the
                              * step then runs g itself (its prune is the same region) */
    /* Fusions (and Pad folding) happen only where this allows: `op` (its dtype attrs in
     * attrs) would replace the nodes nodes[0..n) of g. The planner, which runs fusions after
     * placement, answers "all on one device, and that device has op's kernel". NULL: allowed
     * everywhere. */
    bool (*may_fuse)(void *ctx, const char *op, const frt_attrs *attrs, const int *nodes,
                     int n);
    void *may_fuse_ctx;
} frt_optimize_options;

/* Returns in *out a NEW finalized graph (caller frees with frt_graph_free; NULL instead when
 * opts->null_if_unchanged is set and nothing was rewritten) holding the nodes
 * that the step needs (prune of g for feeds/fetches/targets, plus whatever resolves the fed
 * tensors' names), optimized: every feed, fetch and target resolves by the same names to the
 * same values (up to float reassociation in fused products), so a caller can resolve its
 * tensor names against *out. g is borrowed; edges and targets index g.
 *  - Constant folding: pure nodes with a CPU kernel whose data inputs are all constants (Const
 *    nodes, or nodes folded before them) and whose control inputs come only from constants,
 *    whose outputs are not fed, are run once (frt_kernel_run_once) and become Const nodes of
 *    the same name (a multi-output node, unless fetched or a target, becomes one Const per
 *    output with fresh names, consumers rewired). Nodes downstream of a fed tensor are not
 *    constant. Outputs over max_fold_bytes and kernels that fail stay as they were.
 *  - Fusions of chains whose intermediate tensors are not fetched, fed, targets or used by
 *    anything else, named like the chain's last node: see graph/fuse.c. Static shapes (fed
 *    Placeholders by their shape attr, which runs check feeds against) only decide whether
 *    explicit pads equal SAME's.
 * Errors: FAILED_PRECONDITION when g is not finalized; INVALID_ARGUMENT for an edge or target
 * outside g; INTERNAL if the rewritten graph fails to finalize (a bug here). */
FRT_MUST_USE frt_status *frt_graph_optimize(const frt_graph *g, const frt_edge *feeds,
                                            int nfeeds, const frt_edge *fetches, int nfetches,
                                            const int *targets, int ntargets, frt_graph **out);
/* The same with options (NULL = defaults). */
FRT_MUST_USE frt_status *frt_graph_optimize_opts(const frt_graph *g, const frt_edge *feeds,
                                                 int nfeeds, const frt_edge *fetches,
                                                 int nfetches, const int *targets, int ntargets,
                                                 const frt_optimize_options *opts,
                                                 frt_graph **out);
