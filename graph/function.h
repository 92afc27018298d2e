/* graph/function.h: the function library IR (TensorFlow's FunctionDefLibrary without
 * protobuf types) and function inlining.
 * A function has a signature (an OpDef-like description of its arguments, attrs and control
 * outputs), body nodes whose input strings use FunctionDef syntax ("arg", "arg:i",
 * "node:out_arg", "node:out_arg:k", "^node"), and ret / control_ret maps. io/function_lib.c
 * builds it from protobuf; io/graphdef_write.c writes it back; graph/inline.c expands calls.
 * Thread-safety: thread-compatible while building; immutable once attached to a graph. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "graph/graph.h"
#include "core/attr.h"
#include "core/status.h"

/* An argument of a function signature (OpDef.ArgDef). */
typedef struct frt_func_arg {
    char *name;
    frt_dtype type;        /* fixed type, or FRT_DTYPE_INVALID */
    char *type_attr;       /* "T" when the type comes from a type attr, else NULL */
    char *number_attr;     /* "N" for `N * T` list args, else NULL */
    char *type_list_attr;  /* "Tin" for list(type) args, else NULL */
    bool is_ref;
} frt_func_arg;

/* An attr declared by the signature (OpDef.AttrDef), for polymorphic functions. */
typedef struct frt_func_attr_def {
    char *name;
    char *type;            /* "type", "int", "list(type)", ... */
    bool has_default;
    frt_attr_value def;    /* valid when has_default */
} frt_func_attr_def;

/* A body node (NodeDef inside a FunctionDef). Attrs may hold FRT_ATTR_PLACEHOLDER values
 * naming one of the function's attrs. */
typedef struct frt_func_node {
    char *name, *op, *device;
    int n_inputs;
    char **inputs;         /* FunctionDef syntax */
    frt_attrs attrs;
} frt_func_node;

typedef struct frt_func_kv {
    char *key, *value;
} frt_func_kv;

typedef struct frt_func_arg_attrs {
    uint32_t index;        /* input arg index */
    frt_attrs attrs;
} frt_func_arg_attrs;

typedef struct frt_function {
    char *name;                         /* signature name */
    int n_in, n_out;
    frt_func_arg *in, *out;             /* signature input_arg / output_arg */
    int n_attr_defs;
    frt_func_attr_def *attr_defs;       /* signature attr */
    int n_control_outputs;
    char **control_outputs;             /* signature control_output */
    bool is_stateful;                   /* signature is_stateful */
    frt_attrs attrs;                    /* FunctionDef.attr (_input_shapes, _noinline...) */
    int n_nodes, cap_nodes;
    frt_func_node *nodes;
    int n_ret, n_control_ret;
    frt_func_kv *ret;                   /* output arg name -> body tensor (FunctionDef syntax) */
    frt_func_kv *control_ret;           /* control output name -> body node name */
    int n_arg_attrs;
    frt_func_arg_attrs *arg_attrs;      /* FunctionDef.arg_attr */
    int n_resource_ids;
    uint32_t (*resource_ids)[2];        /* FunctionDef.resource_arg_unique_id: {arg, id} */
} frt_function;

typedef struct frt_function_lib {
    int n, cap;
    frt_function **fns;                 /* owned */
    int n_gradients;
    frt_func_kv *gradients;             /* GradientDef: function_name -> gradient_func */
} frt_function_lib;

frt_function_lib *frt_function_lib_new(void);      /* NULL when out of memory */
void frt_function_lib_free(frt_function_lib *lib);  /* NULL-safe; frees every function */
/* Deep copy (NULL for NULL, and when out of memory). */
frt_function_lib *frt_function_lib_copy(const frt_function_lib *lib);
/* Appends an empty function named name and returns it (owned by lib). Duplicate names are
 * kept; frt_function_lib_find returns the first. NULL when out of memory. */
frt_function *frt_function_lib_add(frt_function_lib *lib, const char *name);
/* The function named name, or NULL. Borrowed. */
const frt_function *frt_function_lib_find(const frt_function_lib *lib, const char *name);

/* Builders: strings are copied. Arg/attr-def/kv arrays grow by one per call. Out of memory
 * they add nothing and return NULL / false. */
frt_func_arg *frt_function_add_arg(frt_function *fn, bool output, const char *name);
frt_func_node *frt_function_add_node(frt_function *fn, const char *name, const char *op,
                                     const char *device);
bool frt_func_node_add_input(frt_func_node *n, const char *input);
bool frt_function_add_ret(frt_function *fn, bool control, const char *key, const char *value);
bool frt_function_add_control_output(frt_function *fn, const char *name);
frt_func_attr_def *frt_function_add_attr_def(frt_function *fn, const char *name,
                                             const char *type);
/* Looks up a ret / control_ret value by key (NULL when absent). */
const char *frt_function_find_ret(const frt_function *fn, bool control, const char *key);

/* How many flat tensors arg stands for, given the attrs that instantiate the function
 * (number_attr / type_list_attr resolved from them). types (may be NULL) receives up to max
 * dtypes (FRT_DTYPE_INVALID where the type attr is not bound). INVALID_ARGUMENT naming the
 * function, arg and attr when the attr is missing or of the wrong kind. */
FRT_MUST_USE frt_status *frt_function_arg_types(const frt_function *fn, const frt_func_arg *arg,
                                                const frt_attrs *bind, frt_dtype *types,
                                                int max, int *count);

/* The library attached to g (from a GraphDef's `library`), or NULL. Borrowed. */
const frt_function_lib *frt_graph_library(const frt_graph *g);
/* Attaches lib to g (g takes ownership; any previous library is freed). lib may be NULL. */
void frt_graph_set_library(frt_graph *g, frt_function_lib *lib);

/* ---- inlining (graph/inline.c) --------------------------------------------------------- */

/* Replaces, before frt_graph_finalize, every call node by the body of the function it calls,
 * recursively, as TensorFlow's function inliner (InlineFunctionBody, kFetchable caller) does.
 * Call nodes: op PartitionedCall / StatefulPartitionedCall (callee in func attr `f`, its
 * attrs binding the callee's attr placeholders) and nodes whose op is a library function
 * (bound by the node's own attrs). For a call node C calling F:
 *   - body node n becomes C/n (device kept, attr placeholders substituted, FunctionDef input
 *     strings translated to graph syntax through the op registry or the callee's signature);
 *   - each input arg becomes Identity C/<arg> (C/<arg>_<i> for list args) fed by the call's
 *     corresponding data input, on the call's device;
 *   - the call's control inputs move to NoOp C/input_control_node, which every arg Identity
 *     and every body node without data inputs depends on;
 *   - C itself becomes IdentityN over the ret tensors (NoOp when F has no outputs) with
 *     control inputs on every control_ret node, so consumers of C:k and ^C still resolve.
 * Calls from If/While/Case func attrs are left alone; the library stays attached.
 * Before expanding anything, the nodes the expansion will add are counted from the call tree
 * (frt_graph_inline_count); more than FRT_INLINE_MAX_ADDED_NODES is RESOURCE_EXHAUSTED naming
 * the function and call node whose expansion is largest, the count and the limit, with g
 * unchanged. The same limit is enforced node by node while expanding, for what the count
 * cannot see (see frt_graph_inline_count).
 * Errors (g may be partly rewritten; the caller frees it): NOT_FOUND naming the node and the
 * function when the callee is missing; INVALID_ARGUMENT for recursion, arity mismatches,
 * unbound attr placeholders, bad body input strings (naming call, function, body node);
 * RESOURCE_EXHAUSTED past the limit above; FAILED_PRECONDITION when g is already finalized.
 * A graph without a library or calls is left unchanged. */
FRT_MUST_USE frt_status *frt_graph_inline_functions(frt_graph *g);

/* The most nodes inlining may add to one graph: 2^20 (1,048,576). Inlining multiplies: 31
 * functions each calling the next twice are a 21 KB file that expands to 6.4e9 nodes, and an
 * inlined node costs about 1.2 KB (name, inputs, attrs, index entry; measured), so terabytes.
 * At the limit, inlining takes about 1.3 GB and 6 s (one core), the most a hostile file can
 * make us spend here; real models stay far below it (TF2 SavedModels of large networks such
 * as BERT or detection models inline to tens of thousands of nodes), so it costs them
 * nothing. Nodes already in the graph do not count: they cost their bytes in the file, and
 * the limit is on the amplification. */
#define FRT_INLINE_MAX_ADDED_NODES (UINT64_C(1) << 20)

/* frt_graph_inline_functions with max_added in place of FRT_INLINE_MAX_ADDED_NODES. */
FRT_MUST_USE frt_status *frt_graph_inline_functions_limited(frt_graph *g, uint64_t max_added);

/* How many nodes frt_graph_inline_functions(g) would add, counted without expanding: per
 * function and per "does the call have control inputs" (which decides input_control_node for
 * it and for its body nodes without data inputs), memoised, nodes(F) = F's body nodes (a call
 * node among them stays, as the IdentityN) + for each body call node: its input_control_node,
 * one Identity per data input, nodes(callee); plus the same boundary nodes for each call
 * node of g. Saturates at UINT64_MAX; linear in the library's size. Exact (the tests compare
 * it with real expansions) when each data input of a call inside a function names one tensor
 * ("x", "x:0", "node:out:k", a single-tensor "node:out"), as TensorFlow writes FunctionDefs.
 * Otherwise, and for calls the count cannot follow (a callee bound through an attr
 * placeholder, recursion, nesting past the inliner's depth limit, all errors or rare), it may
 * be low: the per-node check in frt_graph_inline_functions covers that. *worst (may be NULL)
 * gets the index in g of the call node with the largest expansion (-1 when none), *worst_n
 * (may be NULL) that expansion. RESOURCE_EXHAUSTED only when out of memory. */
FRT_MUST_USE frt_status *frt_graph_inline_count(const frt_graph *g, uint64_t *added,
                                                int *worst, uint64_t *worst_n);
