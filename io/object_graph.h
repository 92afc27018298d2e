/* io/object_graph.h: binding a TF2 SavedModel's variables through its object graph, as
 * tf.saved_model.load does (formats.md §5.5): MetaGraphDef.object_graph_def
 * (SavedObjectGraph) says which object-graph nodes each concrete function captures
 * (SavedConcreteFunction.bound_inputs = the trailing inputs of its call nodes), and the
 * checkpoint's `_CHECKPOINTABLE_OBJECT_GRAPH` (TrackableObjectGraph) gives each variable
 * node's checkpoint key. The result (frt_var_binding in graph/metagraph.h) lets the session
 * fill the VarHandleOps the signatures read even when the saver's restore function fills
 * others (Keras 3 models saved with tf.saved_model.save).
 * Thread-safety: reentrant (no shared state). */
#pragma once
#include "graph/metagraph.h"
#include "io/proto/meta_graph.pb-c.h"

#define FRT_OBJECT_GRAPH_CHECKPOINT_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

/* A top-level VarHandleOp captured by a concrete function, with the object-graph node
 * (kind `variable`) it stands for. */
typedef struct frt_bound_variable {
    char *node;      /* VarHandleOp node name (in mgd's graph_def and in g) */
    int object_id;   /* index into object_graph_def.nodes */
} frt_bound_variable;

/* Step 1, no checkpoint needed. For every node of mgd->graph_def that calls a function
 * (attr `f`, as StatefulPartitionedCall/PartitionedCall do, or an op named after the
 * function) listed in object_graph_def.concrete_functions with bound_inputs: the k-th of
 * the B bound inputs is the call's data input N-B+k (N data inputs, control inputs not
 * counted). Those whose object node is a `variable` and whose producer in g (traced back
 * through Identity nodes) is a VarHandleOp are returned, once per VarHandleOp, sorted by
 * node name. Other captures (assets, constants, resources) are skipped.
 * The graph_def's node names, inputs and attrs are read, so this may run before or after
 * frt_meta_graph_from_proto (which leaves those in place); g is the finalized graph (the
 * VarHandleOps are top-level nodes the inliner keeps by name).
 * No object_graph_def, or none with bound inputs: *n = 0, no error.
 * Errors (INVALID_ARGUMENT, naming the node and function): a call with fewer data inputs
 * than bound inputs, a bound input id outside object_graph_def.nodes, one VarHandleOp bound
 * to two different variable objects. *out: caller owns (frt_bound_variables_free). */
FRT_MUST_USE frt_status *frt_object_graph_bound_variables(const Tensorflow__MetaGraphDef *mgd,
                                                          const frt_graph *g,
                                                          frt_bound_variable **out, int *n);
void frt_bound_variables_free(frt_bound_variable *v, int n); /* NULL-safe */

/* Step 2. Reads `_CHECKPOINTABLE_OBJECT_GRAPH` from the V2 checkpoint at checkpoint_prefix,
 * matches its nodes to og's by path from the root (children with equal local_name, as
 * TF's object-based restore does; in TF-written SavedModels the ids coincide), and gives
 * each bound variable the checkpoint_key of its `VARIABLE_VALUE` attribute. Variables with
 * no matching checkpoint node or no such attribute get no binding. A checkpoint without
 * `_CHECKPOINTABLE_OBJECT_GRAPH` (name-based) gives no bindings and no error.
 * Errors name the checkpoint: the bundle's own open/read errors (NOT_FOUND, DATA_LOSS),
 * DATA_LOSS when the object graph is not a scalar string or not a valid serialized
 * TrackableObjectGraph. *out sorted by node; caller frees each field and the array
 * (frt_var_bindings_free). */
FRT_MUST_USE frt_status *frt_object_graph_checkpoint_keys(const Tensorflow__SavedObjectGraph *og,
                                                          const frt_bound_variable *vars,
                                                          int nvars,
                                                          const char *checkpoint_prefix,
                                                          frt_var_binding **out, int *n);
void frt_var_bindings_free(frt_var_binding *b, int n); /* NULL-safe */

/* Both steps: what io/saved_model.c stores in frt_metagraph.var_bindings. The checkpoint is
 * only opened when step 1 finds bound variables; checkpoint_prefix NULL gives no bindings. */
FRT_MUST_USE frt_status *frt_object_graph_var_bindings(const Tensorflow__MetaGraphDef *mgd,
                                                       const frt_graph *g,
                                                       const char *checkpoint_prefix,
                                                       frt_var_binding **out, int *n);
