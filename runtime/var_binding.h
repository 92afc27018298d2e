/* runtime/var_binding.h: after a session restores a TF2 SavedModel, fill the variables its
 * signatures read that the saver's restore op did not (frt_metagraph.var_bindings, computed
 * by io/object_graph.c from the object graph).
 * Thread-safety: call while nothing else runs in the session (session creation). */
#pragma once
#include "graph/metagraph.h"
#include "core/resource.h"

/* For each binding of mg: the variable of its VarHandleOp node (container attr, and
 * frt_variable_name_for_node, as the VarHandleOp kernel names it) is, when still
 * uninitialised, assigned the tensor stored under the binding's checkpoint key in the
 * checkpoint at mg->checkpoint_prefix (opened once, only when needed). Variables already
 * initialised (the restore op filled them) are left alone. No bindings or no checkpoint
 * prefix: nothing to do.
 * Errors: INVALID_ARGUMENT when a binding names no VarHandleOp of the graph, and when the
 * checkpoint tensor's dtype or shape does not match the VarHandleOp's `dtype`/`shape` attrs
 * (naming the variable, the key and both); the checkpoint's errors (NOT_FOUND for a missing
 * key, DATA_LOSS) annotated with the variable. */
FRT_MUST_USE frt_status *frt_metagraph_bind_variables(const frt_metagraph *mg,
                                                      frt_resource_mgr *res);
