/* graph/op_registry.h: op definitions (TensorFlow's OpDef): argument names and types,
 * attrs with their defaults, traits, and each op's static shape function.
 * The definitions are written compactly in graph/op_registry.c (in the spirit of TF's
 * REGISTER_OP) and parsed once, on first use, into the structures below.
 * Thread-safety: the registry is immutable after its one-time initialisation (pthread_once),
 * so every function here is thread-safe. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/status.h"

/* Op traits (bit set). Traits are facts about the op, used by the planner and passes. */
enum {
    FRT_OP_PURE = 0,
    FRT_OP_STATEFUL = 1u << 0,      /* TF's is_stateful: never pruned by CSE, not constant */
    FRT_OP_ELEMENTWISE = 1u << 1,   /* output i has input 0's shape, element by element */
    FRT_OP_BROADCAST = 1u << 2,     /* binary (or ternary) NumPy broadcasting */
    FRT_OP_COMMUTATIVE = 1u << 3,   /* TF's is_commutative */
    FRT_OP_FORWARD = 1u << 4,       /* output 0 is input 0 unchanged (Identity-like) */
    FRT_OP_CONTROL_FLOW = 1u << 5,  /* Switch/Merge/Enter/Exit/NextIteration/LoopCond */
    FRT_OP_ALLOWS_UNINIT = 1u << 6, /* TF's allows_uninitialized_input (Assign) */
    FRT_OP_FUNCTION_CALL = 1u << 7, /* has a func attr `f` naming a library function */
};

typedef struct frt_op_arg {
    const char *name;
    frt_dtype type;             /* fixed type, or FRT_DTYPE_INVALID */
    const char *type_attr;      /* "T" when the type comes from a type attr, else NULL */
    const char *number_attr;    /* "N" for `N * T` list args, else NULL */
    const char *type_list_attr; /* "Tin" for list(type) args, else NULL */
    bool is_ref;                /* Ref(T) */
} frt_op_arg;

typedef struct frt_op_attr {
    const char *name;
    const char *type;           /* "type", "int", "list(int)", ... as in the OpDef */
    frt_attr_kind kind;         /* FRT_ATTR_LIST for list(...) */
    frt_attr_kind elem;         /* element kind for lists, else = kind */
    bool has_default;
    frt_attr_value def;         /* valid when has_default */
    bool has_minimum;
    int64_t minimum;            /* ">= k": for int attrs the value, for lists the length */
} frt_op_attr;

/* Static shape inference context for one node (graph/shape_infer.c fills and reads it). */
typedef struct frt_shape frt_shape;
typedef struct frt_shape_ctx frt_shape_ctx;
typedef frt_status *(*frt_shape_fn)(frt_shape_ctx *c);

typedef struct frt_op_def {
    const char *name;
    int n_inputs, n_outputs, n_attrs; /* argument counts (a list arg counts once) */
    const frt_op_arg *inputs, *outputs;
    const frt_op_attr *attrs;
    uint32_t traits;
    frt_shape_fn shape_fn;      /* NULL: outputs get unknown shapes */
} frt_op_def;

/* The definition of op, or NULL when unknown. The result lives for the whole process. */
const frt_op_def *frt_op_find(const char *op);
/* Every registered op, in table order: frt_op_at(i) for 0 <= i < frt_op_count(). */
int frt_op_count(void);
const frt_op_def *frt_op_at(int i);

static inline bool frt_op_is_stateful(const frt_op_def *d) {
    return d && (d->traits & FRT_OP_STATEFUL);
}
static inline bool frt_op_has_trait(const frt_op_def *d, uint32_t t) {
    return d && (d->traits & t) == t;
}
/* Attr definition named name, or NULL. */
const frt_op_attr *frt_op_find_attr(const frt_op_def *d, const char *name);

/* Adds every attr of d missing from attrs with its default (TF graphs omit defaulted
 * attrs, e.g. Conv2D without `dilations`). Attrs without a default are left missing.
 * RESOURCE_EXHAUSTED when out of memory (attrs then holds the defaults added so far). */
FRT_MUST_USE frt_status *frt_op_try_fill_defaults(const frt_op_def *d, frt_attrs *attrs);

/* How many flat tensors argument `arg` of d stands for, with number_attr / type_list_attr
 * resolved from attrs. INVALID_ARGUMENT naming the attr when it is missing, of the wrong
 * kind or negative. */
FRT_MUST_USE frt_status *frt_op_arg_count(const frt_op_def *d, const frt_attrs *attrs,
                                          const frt_op_arg *arg, int *count);
/* Flat input and output counts (lists expanded). */
FRT_MUST_USE frt_status *frt_op_arity(const frt_op_def *d, const frt_attrs *attrs, int *n_in,
                                      int *n_out);
/* Maps element k of output arg `arg` (a function-body name `node:arg:k`) to the flat output
 * index. NOT_FOUND when d has no such output arg; OUT_OF_RANGE when k is past its length. */
FRT_MUST_USE frt_status *frt_op_output_arg_index(const frt_op_def *d, const frt_attrs *attrs,
                                                 const char *arg, int k, int *flat);
/* Same for input args (binding call inputs to argument names). */
FRT_MUST_USE frt_status *frt_op_input_arg_index(const frt_op_def *d, const frt_attrs *attrs,
                                                const char *arg, int k, int *flat);
/* Which arg flat output (or input) index `flat` belongs to; *k receives the element index
 * within it. NULL when flat is out of range or the attrs do not resolve. */
const frt_op_arg *frt_op_output_arg_at(const frt_op_def *d, const frt_attrs *attrs, int flat,
                                       int *k);
const frt_op_arg *frt_op_input_arg_at(const frt_op_def *d, const frt_attrs *attrs, int flat,
                                      int *k);
/* Dtypes of the flat outputs (or inputs) from the attrs: types[i] = FRT_DTYPE_INVALID where
 * the type attr is missing. Ref args give their base type. types must hold the arity. */
FRT_MUST_USE frt_status *frt_op_output_types(const frt_op_def *d, const frt_attrs *attrs,
                                             frt_dtype *types, int max, int *n);
FRT_MUST_USE frt_status *frt_op_input_types(const frt_op_def *d, const frt_attrs *attrs,
                                            frt_dtype *types, int max, int *n);
/* The dtype of flat output `flat` alone (as frt_op_output_types would give it, without an
 * array of every output); FRT_DTYPE_INVALID when unknown or out of range. */
frt_dtype frt_op_output_type_at(const frt_op_def *d, const frt_attrs *attrs, int flat);
