/* graph/shape_infer.h: static shape and dtype inference over a finalized graph, run once
 * when a session is created: each kept node's output shapes (possibly partial) from its
 * op's shape function, the fed shapes, and constant inputs (Reshape's shape, ConcatV2's
 * axis, Pad's paddings, ...). Unknown ops or missing information give unknown shapes;
 * only statically certain contradictions are errors.
 * Thread-safety: a frt_shape_map is immutable once returned, so it may be shared. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "graph/graph.h"
#include "graph/op_registry.h"
#include "core/tensor.h"

/* A partial shape: ndim = -1 for unknown rank; dims[i] = -1 for an unknown dim. */
struct frt_shape {
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
};

static inline frt_shape frt_shape_unknown(void) { return (frt_shape){.ndim = -1}; }
frt_shape frt_shape_make(const int64_t *dims, int ndim);
/* True when the rank and every dim are known. */
bool frt_shape_is_full(const frt_shape *s);
/* "[2,?,3]" or "<unknown>" into buf (n bytes); returns buf. */
char *frt_shape_fmt(const frt_shape *s, char *buf, size_t n);

typedef struct frt_shape_map frt_shape_map;

/* Infers shapes for every node with keep[i] (keep NULL = all nodes), in topological order.
 * fed[i] / fed_shapes[i] (i < n_fed): tensors the caller feeds and what is known of their
 * shapes; a fed tensor takes that shape instead of its producer's (a fed Placeholder's
 * shape must agree with its `shape` attr). g must be finalized.
 * Errors: INVALID_ARGUMENT naming the node for static contradictions, e.g.
 * "node 'add' (AddV2): Incompatible shapes: [2,3] vs. [4]". *out: caller owns (free with
 * frt_shape_map_free); NULL on error. */
FRT_MUST_USE frt_status *frt_graph_infer_shapes(const frt_graph *g, const bool *keep,
                                                const frt_edge *fed, const frt_shape *fed_shapes,
                                                int n_fed, frt_shape_map **out);
void frt_shape_map_free(frt_shape_map *m); /* NULL-safe */
/* The inferred shape of output e (borrowed); unknown rank for nodes not inferred, unknown
 * ops and out-of-range indices. */
const frt_shape *frt_shape_map_get(const frt_shape_map *m, frt_edge e);
/* The inferred dtype of output e; FRT_DTYPE_INVALID when unknown. */
frt_dtype frt_shape_map_dtype(const frt_shape_map *m, frt_edge e);
/* A constant value known for output e (Const nodes, not fed), else NULL. Borrowed from
 * the graph. */
const frt_tensor *frt_shape_map_const(const frt_shape_map *m, frt_edge e);

/* ---- shape functions (referenced by the op table in op_registry.c) ---------------------- */

/* What a shape function sees for one node. Outputs arrive preset: out[i] unknown,
 * out_types[i] from the op definition and attrs. A function returns INVALID_ARGUMENT with
 * a bare message (the caller adds the node); it must never fail for missing information. */
struct frt_shape_ctx {
    const char *node, *op;
    const frt_attrs *attrs;                /* defaults filled */
    int n_in;
    const frt_shape *in;
    const frt_dtype *in_types;             /* FRT_DTYPE_INVALID when unknown */
    const frt_tensor *const *in_values;    /* constant value of input i, or NULL */
    const frt_shape *in_pv;                /* partial value of int inputs of rank <= 1 */
    int n_out;
    frt_shape *out;
    frt_dtype *out_types;
    frt_shape *out_pv;                     /* set a partial value (Shape, Pack...): ndim >= 0 */
};

#define FRT_SHAPE_FNS(X)                                                                    \
    X(const) X(placeholder) X(placeholder_with_default) X(unchanged) X(identity_n)          \
    X(scalar) X(bcast) X(select) X(select_v2) X(addn) X(matmul) X(batch_matmul)             \
    X(bias_add) X(conv2d) X(depthwise) X(pool) X(fused_bn) X(reduce) X(argminmax)           \
    X(reshape) X(squeeze) X(expand_dims) X(concat_v2) X(concat) X(pack) X(unpack)           \
    X(shape) X(shape_n) X(transpose) X(pad) X(fill) X(tile) X(switch) X(merge) X(split)     \
    X(split_v) X(gather_v2) X(range) X(slice) X(broadcast_to) X(variable) X(strided_slice)  \
    X(cast) X(zeros_like) X(softmax) X(var_handle)
#define FRT_SHAPE_FN_DECL(name) frt_status *frt_shape_fn_##name(frt_shape_ctx *c);
FRT_SHAPE_FNS(FRT_SHAPE_FN_DECL)
#undef FRT_SHAPE_FN_DECL
