/* graph/freeze.h: freezing — a graph whose variables became constants, holding only what
 * the given outputs need (what TF's convert_variables_to_constants does).
 * Thread-safety: reads the finalized (immutable) input graph; reentrant. */
#pragma once
#include "graph/graph.h"

/* Returns (*value: a new reference the caller owns) the current value of the variable that
 * node `node_name` (op VariableV2, Variable or VarHandleOp; attrs finalized, defaults filled:
 * dtype, shape, container, shared_name) refers to. An error (e.g. FAILED_PRECONDITION for an
 * uninitialised variable) is passed through, annotated with the node. */
typedef frt_status *(*frt_freeze_lookup_fn)(void *ctx, const char *node_name, const char *op,
                                            const frt_attrs *attrs, frt_tensor **value);

/* Builds *out (a new finalized graph the caller owns; NULL on error) from g (finalized):
 *   - only nodes needed by outputs[0..n_outputs) (data and control reachability, as
 *     graph/prune.h) are kept, in their original order with their names, so the frozen
 *     graph's output tensors keep their names; save/restore/init subgraphs and Assign ops not
 *     reached from the outputs disappear;
 *   - VariableV2 / Variable / VarHandleOp nodes become Const nodes (same name and device)
 *     holding the value lookup returns;
 *   - ReadVariableOp(handle) becomes Identity(T = dtype) of the same input, keeping its name;
 *     Identity / IdentityN nodes passing a variable's handle along (as inlined function
 *     arguments do) pass the value instead (T fixed to the variable's dtype);
 *   - _REF dtypes left in type attrs collapse to their base type;
 *   - the function library, if any, is copied.
 * Errors: FAILED_PRECONDITION if g is not finalized, or a kept node modifies a variable
 * (Assign*, AssignVariableOp...) — the outputs depend on it, so freezing would change them;
 * UNIMPLEMENTED for other kept uses of a variable handle (naming node and variable);
 * INVALID_ARGUMENT for a looked-up value whose dtype is not the variable's or a bad output
 * edge; lookup's own errors, annotated with the variable's node name. */
FRT_MUST_USE frt_status *frt_graph_freeze(const frt_graph *g, const frt_edge *outputs,
                                          int n_outputs, frt_freeze_lookup_fn lookup,
                                          void *ctx, frt_graph **out);
