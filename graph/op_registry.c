/* graph/op_registry.c: the op definitions, written compactly in the spirit of TensorFlow's
 * REGISTER_OP, and their one-time parse into frt_op_def structures.
 * Owns: argument names/types, attrs and defaults, traits, the link to each op's shape
 * function. Does not own: kernels (core/kernel.c), shape functions (shape_infer.c),
 * graph validation (validate.c).
 * Arg names, attrs and defaults follow TF 2.21's OpDefs (checked against op_def_registry).
 * Thread-safety: the table is parsed under pthread_once (which ThreadSanitizer understands,
 * unlike C11 call_once: see runtime/init.c) and immutable afterwards. */
#include "graph/op_registry.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/shape_infer.h"
#include "core/dtype.h"

typedef struct op_spec {
    const char *name, *inputs, *outputs, *attrs;
    uint32_t traits;
    frt_shape_fn shape_fn;
} op_spec;

#define SF(x) frt_shape_fn_##x
#define ELEM FRT_OP_ELEMENTWISE
#define BCAST FRT_OP_BROADCAST
#define COMM FRT_OP_COMMUTATIVE
#define FWD FRT_OP_FORWARD
#define STATEFUL FRT_OP_STATEFUL
#define CF FRT_OP_CONTROL_FLOW

/* Families sharing one signature. */
#define UNARY(op) {op, "x: T", "y: T", "T: type", ELEM, SF(unchanged)}
#define ACT(op) {op, "features: T", "activations: T", "T: type", ELEM, SF(unchanged)}
#define BINARY(op, tr) {op, "x: T; y: T", "z: T", "T: type", BCAST | (tr), SF(bcast)}
#define COMPARE(op) {op, "x: T; y: T", "z: bool", "T: type", BCAST, SF(bcast)}
#define LOGICAL(op) {op, "x: bool; y: bool", "z: bool", "", BCAST | COMM, SF(bcast)}
#define REDUCE(op)                                                                         \
    {op, "input: T; reduction_indices: Tidx", "output: T",                                 \
     "keep_dims: bool = false; T: type; Tidx: type = int32", FRT_OP_PURE, SF(reduce)}
#define IDENT(op, tr) {op, "input: T", "output: T", "T: type", FWD | (tr), SF(unchanged)}
#define FLOW(op) {op, "data: T", "output: T", "T: type", FWD | CF, SF(unchanged)}
#define CONV_ATTRS                                                                         \
    "padding: string; explicit_paddings: list(int) = []; data_format: string = 'NHWC'; "   \
    "dilations: list(int) = [1, 1, 1, 1]"
#define FUSED_ATTRS                                                                        \
    "fused_ops: list(string) = []; epsilon: float = 0.0001; leakyrelu_alpha: float = 0.2"
#define FBN_ATTRS                                                                          \
    "epsilon: float = 0.0001; exponential_avg_factor: float = 1.0; "                       \
    "data_format: string = 'NHWC'; is_training: bool = true"
#define FBN_OUT(U)                                                                         \
    "y: T; batch_mean: " U "; batch_variance: " U "; reserve_space_1: " U                  \
    "; reserve_space_2: " U
#define CALL_ATTRS                                                                         \
    "Tin: list(type) >= 0; Tout: list(type) >= 0; f: func; config: string = ''; "          \
    "config_proto: string = ''; executor_type: string = ''"

static const op_spec specs[] = {
    /* ---- plumbing ---- */
    {"Const", "", "output: dtype", "value: tensor; dtype: type", FRT_OP_PURE, SF(const)},
    {"Placeholder", "", "output: dtype", "dtype: type; shape: shape = unknown_rank",
     FRT_OP_PURE, SF(placeholder)},
    {"PlaceholderWithDefault", "input: dtype", "output: dtype", "dtype: type; shape: shape",
     FRT_OP_PURE, SF(placeholder_with_default)},
    IDENT("Identity", 0),
    {"IdentityN", "input: T", "output: T", "T: list(type) >= 1", FRT_OP_PURE, SF(identity_n)},
    {"NoOp", "", "", "", FRT_OP_PURE, NULL},
    IDENT("StopGradient", 0),
    IDENT("Snapshot", 0),
    {"CheckNumerics", "tensor: T", "output: T", "T: type; message: string", FWD | STATEFUL,
     SF(unchanged)},
    {"Assert", "condition: bool; data: T", "", "T: list(type) >= 1; summarize: int = 3",
     STATEFUL, NULL},

    /* ---- matrix products, bias, convolution, pooling, batch norm ---- */
    {"MatMul", "a: T; b: T", "product: T",
     "transpose_a: bool = false; transpose_b: bool = false; T: type; grad_a: bool = false; "
     "grad_b: bool = false",
     FRT_OP_PURE, SF(matmul)},
    {"BatchMatMul", "x: T; y: T", "output: T",
     "T: type; adj_x: bool = false; adj_y: bool = false; grad_x: bool = false; "
     "grad_y: bool = false",
     FRT_OP_PURE, SF(batch_matmul)},
    {"BatchMatMulV2", "x: T; y: T", "output: T",
     "T: type; adj_x: bool = false; adj_y: bool = false; grad_x: bool = false; "
     "grad_y: bool = false",
     FRT_OP_PURE, SF(batch_matmul)},
    {"BatchMatMulV3", "x: Ta; y: Tb", "output: Tout",
     "Ta: type; Tb: type; Tout: type; adj_x: bool = false; adj_y: bool = false; "
     "grad_x: bool = false; grad_y: bool = false",
     FRT_OP_PURE, SF(batch_matmul)},
    {"BiasAdd", "value: T; bias: T", "output: T", "T: type; data_format: string = 'NHWC'",
     FRT_OP_PURE, SF(bias_add)},
    {"Conv2D", "input: T; filter: T", "output: T",
     "T: type; strides: list(int); use_cudnn_on_gpu: bool = true; " CONV_ATTRS, FRT_OP_PURE,
     SF(conv2d)},
    {"DepthwiseConv2dNative", "input: T; filter: T", "output: T",
     "T: type; strides: list(int); " CONV_ATTRS, FRT_OP_PURE, SF(depthwise)},
    /* Grappler's remapper fusions (TF 2.21 OpDefs); graph/optimize.c makes them too. */
    {"_FusedConv2D", "input: T; filter: T; args: TArgs; host_args: num_host_args * float",
     "output: T",
     "T: type; TArgs: list(type) >= 1; num_args: int >= 0; num_host_args: int >= 0 = 0; "
     "strides: list(int); " CONV_ATTRS "; filter_format: string = 'HWIO'; "
     "use_cudnn_on_gpu: bool = true; " FUSED_ATTRS,
     FRT_OP_PURE, SF(conv2d)},
    {"_FusedDepthwiseConv2dNative", "input: T; filter: T; args: num_args * T", "output: T",
     "T: type; num_args: int >= 0; strides: list(int); padding: string; "
     "data_format: string = 'NHWC'; dilations: list(int) = [1, 1, 1, 1]; " FUSED_ATTRS,
     FRT_OP_PURE, SF(depthwise)},
    {"_FusedMatMul", "a: T; b: T; args: num_args * T", "product: T",
     "transpose_a: bool = false; transpose_b: bool = false; T: type; num_args: int >= 0; "
     FUSED_ATTRS,
     FRT_OP_PURE, SF(matmul)},
    {"MaxPool", "input: T", "output: T",
     "T: type = float; ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; "
     "explicit_paddings: list(int) = []; data_format: string = 'NHWC'",
     FRT_OP_PURE, SF(pool)},
    {"AvgPool", "value: T", "output: T",
     "ksize: list(int) >= 4; strides: list(int) >= 4; padding: string; "
     "data_format: string = 'NHWC'; T: type",
     FRT_OP_PURE, SF(pool)},
    {"FusedBatchNorm", "x: T; scale: T; offset: T; mean: T; variance: T", FBN_OUT("T"),
     "T: type; " FBN_ATTRS, FRT_OP_PURE, SF(fused_bn)},
    {"FusedBatchNormV2", "x: T; scale: U; offset: U; mean: U; variance: U", FBN_OUT("U"),
     "T: type; U: type; " FBN_ATTRS, FRT_OP_PURE, SF(fused_bn)},
    {"FusedBatchNormV3", "x: T; scale: U; offset: U; mean: U; variance: U",
     FBN_OUT("U") "; reserve_space_3: U", "T: type; U: type; " FBN_ATTRS, FRT_OP_PURE,
     SF(fused_bn)},

    /* ---- activations ---- */
    ACT("Relu"), ACT("Relu6"), ACT("Elu"), ACT("Selu"), ACT("Softplus"),
    {"LeakyRelu", "features: T", "activations: T", "alpha: float = 0.2; T: type = float", ELEM,
     SF(unchanged)},
    UNARY("Sigmoid"), UNARY("Tanh"),
    {"Softmax", "logits: T", "softmax: T", "T: type", FRT_OP_PURE, SF(softmax)},
    {"LogSoftmax", "logits: T", "logsoftmax: T", "T: type", FRT_OP_PURE, SF(softmax)},

    /* ---- element-wise binary ---- */
    BINARY("Add", 0), BINARY("AddV2", COMM), BINARY("Sub", 0), BINARY("Mul", COMM),
    BINARY("Div", 0), BINARY("RealDiv", 0), BINARY("DivNoNan", 0), BINARY("Maximum", 0),
    BINARY("Minimum", 0), BINARY("SquaredDifference", COMM), BINARY("FloorMod", 0),
    BINARY("FloorDiv", 0), BINARY("Pow", 0),
    {"AddN", "inputs: N * T", "sum: T", "N: int >= 1; T: type", COMM, SF(addn)},

    /* ---- element-wise unary ---- */
    UNARY("Rsqrt"), UNARY("Sqrt"), UNARY("Exp"), UNARY("Log"), UNARY("Log1p"), UNARY("Neg"),
    UNARY("Square"), UNARY("Abs"), UNARY("Erf"), UNARY("Floor"), UNARY("Ceil"),
    UNARY("Round"), UNARY("Sign"), UNARY("Reciprocal"),

    /* ---- reductions ---- */
    REDUCE("Mean"), REDUCE("Sum"), REDUCE("Max"), REDUCE("Min"), REDUCE("Prod"),
    {"All", "input: bool; reduction_indices: Tidx", "output: bool",
     "keep_dims: bool = false; Tidx: type = int32", FRT_OP_PURE, SF(reduce)},
    {"Any", "input: bool; reduction_indices: Tidx", "output: bool",
     "keep_dims: bool = false; Tidx: type = int32", FRT_OP_PURE, SF(reduce)},
    {"ArgMax", "input: T; dimension: Tidx", "output: output_type",
     "T: type; Tidx: type = int32; output_type: type = int64", FRT_OP_PURE, SF(argminmax)},
    {"ArgMin", "input: T; dimension: Tidx", "output: output_type",
     "T: type; Tidx: type = int32; output_type: type = int64", FRT_OP_PURE, SF(argminmax)},

    /* ---- shape manipulation ---- */
    {"Reshape", "tensor: T; shape: Tshape", "output: T", "T: type; Tshape: type = int32",
     FRT_OP_PURE, SF(reshape)},
    {"Squeeze", "input: T", "output: T", "T: type; squeeze_dims: list(int) >= 0 = []",
     FRT_OP_PURE, SF(squeeze)},
    {"ExpandDims", "input: T; dim: Tdim", "output: T", "T: type; Tdim: type = int32",
     FRT_OP_PURE, SF(expand_dims)},
    {"ConcatV2", "values: N * T; axis: Tidx", "output: T",
     "N: int >= 2; T: type; Tidx: type = int32", FRT_OP_PURE, SF(concat_v2)},
    {"Concat", "concat_dim: int32; values: N * T", "output: T", "N: int >= 2; T: type",
     FRT_OP_PURE, SF(concat)},
    {"Pack", "values: N * T", "output: T", "N: int >= 1; T: type; axis: int = 0", FRT_OP_PURE,
     SF(pack)},
    {"Unpack", "value: T", "output: num * T", "num: int >= 0; T: type; axis: int = 0",
     FRT_OP_PURE, SF(unpack)},
    {"Shape", "input: T", "output: out_type", "T: type; out_type: type = int32", FRT_OP_PURE,
     SF(shape)},
    {"ShapeN", "input: N * T", "output: N * out_type",
     "N: int >= 1; T: type; out_type: type = int32", FRT_OP_PURE, SF(shape_n)},
    {"Size", "input: T", "output: out_type", "T: type; out_type: type = int32", FRT_OP_PURE,
     SF(scalar)},
    {"Rank", "input: T", "output: int32", "T: type", FRT_OP_PURE, SF(scalar)},
    {"Fill", "dims: index_type; value: T", "output: T", "T: type; index_type: type = int32",
     FRT_OP_PURE, SF(fill)},
    {"ZerosLike", "x: T", "y: T", "T: type", FRT_OP_PURE, SF(zeros_like)},
    {"OnesLike", "x: T", "y: T", "T: type", FRT_OP_PURE, SF(zeros_like)},
    {"StridedSlice", "input: T; begin: Index; end: Index; strides: Index", "output: T",
     "T: type; Index: type; begin_mask: int = 0; end_mask: int = 0; ellipsis_mask: int = 0; "
     "new_axis_mask: int = 0; shrink_axis_mask: int = 0",
     FRT_OP_PURE, SF(strided_slice)},
    {"Slice", "input: T; begin: Index; size: Index", "output: T", "T: type; Index: type",
     FRT_OP_PURE, SF(slice)},
    {"Split", "split_dim: int32; value: T", "output: num_split * T",
     "num_split: int >= 1; T: type", FRT_OP_PURE, SF(split)},
    {"SplitV", "value: T; size_splits: Tlen; split_dim: int32", "output: num_split * T",
     "num_split: int >= 1; T: type; Tlen: type = int64", FRT_OP_PURE, SF(split_v)},
    {"Transpose", "x: T; perm: Tperm", "y: T", "T: type; Tperm: type = int32", FRT_OP_PURE,
     SF(transpose)},
    {"Pad", "input: T; paddings: Tpaddings", "output: T", "T: type; Tpaddings: type = int32",
     FRT_OP_PURE, SF(pad)},
    {"PadV2", "input: T; paddings: Tpaddings; constant_values: T", "output: T",
     "T: type; Tpaddings: type = int32", FRT_OP_PURE, SF(pad)},
    {"MirrorPad", "input: T; paddings: Tpaddings", "output: T",
     "T: type; Tpaddings: type = int32; mode: string", FRT_OP_PURE, SF(pad)},
    {"Cast", "x: SrcT", "y: DstT", "SrcT: type; DstT: type; Truncate: bool = false",
     FRT_OP_PURE, SF(cast)},
    {"GatherV2", "params: Tparams; indices: Tindices; axis: Taxis", "output: Tparams",
     "batch_dims: int = 0; Tparams: type; Tindices: type; Taxis: type", FRT_OP_PURE,
     SF(gather_v2)},
    {"Gather", "params: Tparams; indices: Tindices", "output: Tparams",
     "validate_indices: bool = true; Tparams: type; Tindices: type", FRT_OP_PURE,
     SF(gather_v2)},
    {"Tile", "input: T; multiples: Tmultiples", "output: T",
     "T: type; Tmultiples: type = int32", FRT_OP_PURE, SF(tile)},
    {"SpaceToBatchND", "input: T; block_shape: Tblock_shape; paddings: Tpaddings",
     "output: T", "T: type; Tblock_shape: type = int32; Tpaddings: type = int32", FRT_OP_PURE,
     NULL},
    {"BatchToSpaceND", "input: T; block_shape: Tblock_shape; crops: Tcrops", "output: T",
     "T: type; Tblock_shape: type = int32; Tcrops: type = int32", FRT_OP_PURE, NULL},
    {"Range", "start: Tidx; limit: Tidx; delta: Tidx", "output: Tidx", "Tidx: type = int32",
     FRT_OP_PURE, SF(range)},
    {"BroadcastTo", "input: T; shape: Tidx", "output: T", "T: type; Tidx: type = int32",
     FRT_OP_PURE, SF(broadcast_to)},

    /* ---- comparisons, logic, selection ---- */
    {"Equal", "x: T; y: T", "z: bool", "T: type; incompatible_shape_error: bool = true",
     BCAST | COMM, SF(bcast)},
    {"NotEqual", "x: T; y: T", "z: bool", "T: type; incompatible_shape_error: bool = true",
     BCAST | COMM, SF(bcast)},
    COMPARE("Less"), COMPARE("LessEqual"), COMPARE("Greater"), COMPARE("GreaterEqual"),
    LOGICAL("LogicalAnd"), LOGICAL("LogicalOr"),
    {"LogicalNot", "x: bool", "y: bool", "", ELEM, SF(unchanged)},
    {"Select", "condition: bool; t: T; e: T", "output: T", "T: type", FRT_OP_PURE,
     SF(select)},
    {"SelectV2", "condition: bool; t: T; e: T", "output: T", "T: type", BCAST, SF(select_v2)},
    {"ClipByValue", "t: T; clip_value_min: T; clip_value_max: T", "output: T", "T: type",
     FRT_OP_PURE, SF(unchanged)},

    /* ---- TF1 control flow ---- */
    {"Switch", "data: T; pred: bool", "output_false: T; output_true: T", "T: type", CF,
     SF(switch)},
    {"Merge", "inputs: N * T", "output: T; value_index: int32", "T: type; N: int >= 1", CF,
     SF(merge)},
    {"Enter", "data: T", "output: T",
     "T: type; frame_name: string; is_constant: bool = false; parallel_iterations: int = 10",
     FWD | CF, SF(unchanged)},
    FLOW("Exit"), FLOW("NextIteration"),
    {"LoopCond", "input: bool", "output: bool", "", FWD | CF, SF(unchanged)},

    /* ---- variables ---- */
    {"VariableV2", "", "ref: Ref(dtype)",
     "shape: shape; dtype: type; container: string = ''; shared_name: string = ''", STATEFUL,
     SF(variable)},
    {"Variable", "", "ref: Ref(dtype)",
     "shape: shape; dtype: type; container: string = ''; shared_name: string = ''", STATEFUL,
     SF(variable)},
    {"IsVariableInitialized", "ref: Ref(dtype)", "is_initialized: bool", "dtype: type",
     FRT_OP_ALLOWS_UNINIT, SF(scalar)},
    {"Assign", "ref: Ref(T); value: T", "output_ref: Ref(T)",
     "T: type; validate_shape: bool = true; use_locking: bool = true", FRT_OP_ALLOWS_UNINIT,
     NULL},
    {"AssignAdd", "ref: Ref(T); value: T", "output_ref: Ref(T)",
     "T: type; use_locking: bool = false", FRT_OP_PURE, SF(unchanged)},
    {"AssignSub", "ref: Ref(T); value: T", "output_ref: Ref(T)",
     "T: type; use_locking: bool = false", FRT_OP_PURE, SF(unchanged)},
    {"VarHandleOp", "", "resource: resource",
     "container: string = ''; shared_name: string = ''; debug_name: string = ''; dtype: type; "
     "shape: shape; allowed_devices: list(string) = []",
     STATEFUL, SF(var_handle)},
    {"ReadVariableOp", "resource: resource", "value: dtype", "dtype: type", STATEFUL, NULL},
    {"AssignVariableOp", "resource: resource; value: dtype", "",
     "dtype: type; validate_shape: bool = false", STATEFUL, NULL},
    {"AssignAddVariableOp", "resource: resource; value: dtype", "", "dtype: type", STATEFUL,
     NULL},
    {"AssignSubVariableOp", "resource: resource; value: dtype", "", "dtype: type", STATEFUL,
     NULL},
    {"VarIsInitializedOp", "resource: resource", "is_initialized: bool", "", STATEFUL,
     SF(scalar)},
    {"DisableCopyOnRead", "resource: resource", "", "", STATEFUL, NULL},

    /* ---- checkpoints and strings ---- */
    {"RestoreV2", "prefix: string; tensor_names: string; shape_and_slices: string",
     "tensors: dtypes", "dtypes: list(type) >= 1", STATEFUL, NULL},
    {"SaveV2",
     "prefix: string; tensor_names: string; shape_and_slices: string; tensors: dtypes", "",
     "dtypes: list(type) >= 1", STATEFUL, NULL},
    {"MergeV2Checkpoints", "checkpoint_prefixes: string; destination_prefix: string", "",
     "delete_old_dirs: bool = true; allow_missing_files: bool = false", STATEFUL, NULL},
    {"ShardedFilename", "basename: string; shard: int32; num_shards: int32",
     "filename: string", "", FRT_OP_PURE, SF(scalar)},
    {"ShardedFilespec", "basename: string; num_shards: int32", "filename: string", "",
     FRT_OP_PURE, SF(scalar)},
    {"StringJoin", "inputs: N * string", "output: string",
     "N: int >= 0; separator: string = ''", FRT_OP_PURE, NULL},
    {"StaticRegexFullMatch", "input: string", "output: bool", "pattern: string", ELEM,
     SF(unchanged)},

    /* ---- function calls ---- */
    {"PartitionedCall", "args: Tin", "output: Tout", CALL_ATTRS, FRT_OP_FUNCTION_CALL, NULL},
    {"StatefulPartitionedCall", "args: Tin", "output: Tout", CALL_ATTRS,
     STATEFUL | FRT_OP_FUNCTION_CALL, NULL},
};

/* ---- parsing the table (once) ------------------------------------------------------------ */

static frt_op_def defs[FRT_COUNTOF(specs)];
static pthread_once_t parse_once = PTHREAD_ONCE_INIT;

/* The table is ours: a malformed row is a bug in this file, hence FRT_ASSERT. */
#define SPEC_CHECK(cond, op, what)                                                         \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "op_registry: bad spec for %s: %s\n", (op), (what));           \
            FRT_ASSERT(cond);                                                              \
        }                                                                                  \
    } while (0)

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

/* Splits s in place at top-level ';' (not inside [...] or quotes); returns the count. */
static int split_items(char *s, char **items, int max) {
    int n = 0, depth = 0;
    bool quote = false;
    char *start = s;
    for (char *p = s;; p++) {
        if (*p == '\'') quote = !quote;
        if (!quote && *p == '[') depth++;
        if (!quote && *p == ']') depth--;
        if (*p == 0 || (*p == ';' && depth == 0 && !quote)) {
            bool end = *p == 0;
            *p = 0;
            char *t = trim(start);
            if (*t) {
                FRT_ASSERT(n < max);
                items[n++] = t;
            }
            if (end) break;
            start = p + 1;
        }
    }
    return n;
}

static frt_dtype parse_dtype(const char *name) {
    char buf[48] = "DT_";
    size_t n = strlen(name);
    if (n + 4 > sizeof buf) return FRT_DTYPE_INVALID;
    for (size_t i = 0; i < n; i++) buf[3 + i] = (char)toupper((unsigned char)name[i]);
    buf[3 + n] = 0;
    return frt_dtype_from_tf_name(buf);
}

static frt_attr_kind kind_of(const char *t) {
    static const struct {
        const char *name;
        frt_attr_kind kind;
    } kinds[] = {{"string", FRT_ATTR_S},     {"int", FRT_ATTR_I},      {"float", FRT_ATTR_F},
                 {"bool", FRT_ATTR_B},       {"type", FRT_ATTR_TYPE},  {"shape", FRT_ATTR_SHAPE},
                 {"tensor", FRT_ATTR_TENSOR}, {"func", FRT_ATTR_FUNC}};
    for (size_t i = 0; i < FRT_COUNTOF(kinds); i++)
        if (strcmp(kinds[i].name, t) == 0) return kinds[i].kind;
    return FRT_ATTR_NONE;
}

/* Parses one scalar default of kind k from s into v. */
static bool parse_scalar(frt_attr_kind k, const char *s, frt_attr_value *v) {
    char *end;
    memset(v, 0, sizeof *v);
    v->kind = k;
    switch (k) {
    case FRT_ATTR_B:
        if (strcmp(s, "true") && strcmp(s, "false")) return false;
        v->v.b = strcmp(s, "true") == 0;
        return true;
    case FRT_ATTR_I:
        v->v.i = strtoll(s, &end, 10);
        return end != s && *end == 0;
    case FRT_ATTR_F:
        v->v.f = strtof(s, &end);
        return end != s && *end == 0;
    case FRT_ATTR_TYPE:
        v->v.type = parse_dtype(s);
        return v->v.type != FRT_DTYPE_INVALID;
    case FRT_ATTR_S: {
        size_t n = strlen(s);
        if (n < 2 || s[0] != '\'' || s[n - 1] != '\'') return false;
        v->v.s.len = n - 2;
        v->v.s.ptr = frt_xstrndup(s + 1, n - 2);
        return true;
    }
    case FRT_ATTR_SHAPE:
        /* Only the unknown-rank default occurs (Placeholder). */
        v->v.shape.unknown_rank = true;
        return strcmp(s, "unknown_rank") == 0;
    default: return false;
    }
}

static bool parse_default(frt_op_attr *a, char *s) {
    if (a->kind != FRT_ATTR_LIST) return parse_scalar(a->kind, s, &a->def);
    size_t n = strlen(s);
    if (n < 2 || s[0] != '[' || s[n - 1] != ']') return false;
    s[n - 1] = 0;
    char *body = trim(s + 1);
    frt_attr_value *v = &a->def;
    memset(v, 0, sizeof *v);
    v->kind = FRT_ATTR_LIST;
    v->v.list.elem = FRT_ATTR_NONE; /* an empty list has elem kind NONE (attr.h) */
    if (!*body) return true;
    if (a->elem != FRT_ATTR_I) return false; /* only int list defaults occur */
    int count = 1;
    for (char *p = body; *p; p++) count += *p == ',';
    v->v.list.elem = FRT_ATTR_I;
    v->v.list.v.i = frt_xcalloc((size_t)count, sizeof(int64_t));
    for (char *tok = strtok(body, ","); tok; tok = strtok(NULL, ",")) {
        frt_attr_value e;
        if (!parse_scalar(FRT_ATTR_I, trim(tok), &e)) return false;
        v->v.list.v.i[v->v.list.n++] = e.v.i;
    }
    return true;
}

static void parse_attr(const char *op, char *item, frt_op_attr *a) {
    memset(a, 0, sizeof *a);
    char *colon = strchr(item, ':');
    SPEC_CHECK(colon, op, item);
    *colon = 0;
    a->name = frt_xstrdup(trim(item));
    char *rest = colon + 1;
    char *eq = strchr(rest, '=');
    while (eq && eq > rest && eq[-1] == '>') eq = strchr(eq + 1, '='); /* skip ">=" */
    char *dflt = NULL;
    if (eq) {
        *eq = 0;
        dflt = trim(eq + 1);
    }
    char *ge = strstr(rest, ">=");
    if (ge) {
        *ge = 0;
        a->has_minimum = true;
        a->minimum = strtoll(ge + 2, NULL, 10);
    }
    char *type = trim(rest);
    a->type = frt_xstrdup(type);
    if (strncmp(type, "list(", 5) == 0) {
        size_t n = strlen(type);
        SPEC_CHECK(type[n - 1] == ')', op, a->name);
        type[n - 1] = 0;
        a->kind = FRT_ATTR_LIST;
        a->elem = kind_of(type + 5);
    } else {
        a->kind = a->elem = kind_of(type);
    }
    SPEC_CHECK(a->elem != FRT_ATTR_NONE, op, a->name);
    if (dflt) {
        a->has_default = true;
        SPEC_CHECK(parse_default(a, dflt), op, a->name);
    }
}

static const frt_op_attr *attr_in(const frt_op_attr *attrs, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (strcmp(attrs[i].name, name) == 0) return &attrs[i];
    return NULL;
}

static void parse_arg(const char *op, char *item, const frt_op_attr *attrs, int n_attrs,
                      frt_op_arg *a) {
    memset(a, 0, sizeof *a);
    char *colon = strchr(item, ':');
    SPEC_CHECK(colon, op, item);
    *colon = 0;
    a->name = frt_xstrdup(trim(item));
    char *t = trim(colon + 1);
    if (strncmp(t, "Ref(", 4) == 0) {
        size_t n = strlen(t);
        SPEC_CHECK(t[n - 1] == ')', op, a->name);
        t[n - 1] = 0;
        t += 4;
        a->is_ref = true;
    }
    char *star = strchr(t, '*');
    if (star) {
        *star = 0;
        const char *num = trim(t);
        const frt_op_attr *na = attr_in(attrs, n_attrs, num);
        SPEC_CHECK(na && na->kind == FRT_ATTR_I, op, "number_attr must be an int attr");
        a->number_attr = na->name;
        t = star + 1;
    }
    t = trim(t);
    const frt_op_attr *ta = attr_in(attrs, n_attrs, t);
    if (ta && ta->kind == FRT_ATTR_TYPE) {
        a->type_attr = ta->name;
    } else if (ta && ta->kind == FRT_ATTR_LIST && ta->elem == FRT_ATTR_TYPE) {
        SPEC_CHECK(!a->number_attr, op, "N * list(type)");
        a->type_list_attr = ta->name;
    } else {
        a->type = parse_dtype(t);
        SPEC_CHECK(a->type != FRT_DTYPE_INVALID, op, t);
    }
}

static void parse_all(void) {
    for (size_t i = 0; i < FRT_COUNTOF(specs); i++) {
        const op_spec *s = &specs[i];
        frt_op_def *d = &defs[i];
        char *items[32];
        d->name = s->name;
        d->traits = s->traits;
        d->shape_fn = s->shape_fn;

        char *buf = frt_xstrdup(s->attrs);
        d->n_attrs = split_items(buf, items, 32);
        frt_op_attr *attrs = frt_xcalloc((size_t)d->n_attrs, sizeof *attrs);
        for (int k = 0; k < d->n_attrs; k++) parse_attr(s->name, items[k], &attrs[k]);
        for (int k = 0; k < d->n_attrs; k++)
            SPEC_CHECK(attr_in(attrs, k, attrs[k].name) == NULL, s->name, "duplicate attr");
        d->attrs = attrs;
        free(buf);

        for (int io = 0; io < 2; io++) {
            buf = frt_xstrdup(io ? s->outputs : s->inputs);
            int n = split_items(buf, items, 32);
            frt_op_arg *args = frt_xcalloc((size_t)n, sizeof *args);
            for (int k = 0; k < n; k++) parse_arg(s->name, items[k], attrs, d->n_attrs, &args[k]);
            if (io) {
                d->n_outputs = n;
                d->outputs = args;
            } else {
                d->n_inputs = n;
                d->inputs = args;
            }
            free(buf);
        }
        for (size_t j = 0; j < i; j++)
            SPEC_CHECK(strcmp(defs[j].name, s->name) != 0, s->name, "duplicate op");
    }
}

static void ensure_parsed(void) {
    int rc = pthread_once(&parse_once, parse_all);
    FRT_ASSERT(rc == 0); /* fails only for a bad argument */
}

/* ---- lookups ------------------------------------------------------------------------------ */

int frt_op_count(void) { return (int)FRT_COUNTOF(specs); }

const frt_op_def *frt_op_at(int i) {
    ensure_parsed();
    return i >= 0 && i < frt_op_count() ? &defs[i] : NULL;
}

const frt_op_def *frt_op_find(const char *op) {
    ensure_parsed();
    if (!op) return NULL;
    /* A linear scan over ~140 names: lookups happen at graph build, never per step. */
    for (size_t i = 0; i < FRT_COUNTOF(defs); i++)
        if (strcmp(defs[i].name, op) == 0) return &defs[i];
    return NULL;
}

const frt_op_attr *frt_op_find_attr(const frt_op_def *d, const char *name) {
    return attr_in(d->attrs, d->n_attrs, name);
}

frt_status *frt_op_try_fill_defaults(const frt_op_def *d, frt_attrs *attrs) {
    for (int i = 0; i < d->n_attrs; i++) {
        const frt_op_attr *a = &d->attrs[i];
        if (!a->has_default) continue;
        const frt_attr_value *have = frt_attrs_find(attrs, a->name);
        if (have && have->kind != FRT_ATTR_NONE) continue;
        frt_attr_value v;
        frt_status *st = frt_attr_value_try_copy(&v, &a->def);
        if (!st && (st = frt_attrs_try_set(attrs, a->name, &v))) frt_attr_value_deinit(&v);
        if (st) return frt_status_annotate(st, " (default of attr '%s')", a->name);
    }
    return NULL;
}

frt_status *frt_op_arg_count(const frt_op_def *d, const frt_attrs *attrs,
                             const frt_op_arg *arg, int *count) {
    *count = 1;
    if (arg->number_attr) {
        const frt_attr_value *v = frt_attrs_find(attrs, arg->number_attr);
        if (!v || v->kind == FRT_ATTR_NONE)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s: missing attr '%s' (length of '%s')",
                                  d->name, arg->number_attr, arg->name);
        if (v->kind != FRT_ATTR_I || v->v.i < 0 || v->v.i > 1000000)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "%s: attr '%s' (length of '%s') must be a non-negative int",
                                  d->name, arg->number_attr, arg->name);
        *count = (int)v->v.i;
    } else if (arg->type_list_attr) {
        const frt_attr_value *v = frt_attrs_find(attrs, arg->type_list_attr);
        if (!v || v->kind == FRT_ATTR_NONE)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s: missing attr '%s' (types of '%s')",
                                  d->name, arg->type_list_attr, arg->name);
        if (v->kind != FRT_ATTR_LIST ||
            (v->v.list.n > 0 && v->v.list.elem != FRT_ATTR_TYPE))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "%s: attr '%s' (types of '%s') must be a list(type)", d->name,
                                  arg->type_list_attr, arg->name);
        *count = v->v.list.n;
    }
    return NULL;
}

static frt_status *count_args(const frt_op_def *d, const frt_attrs *attrs, const frt_op_arg *args,
                              int n, int *total) {
    *total = 0;
    for (int i = 0; i < n; i++) {
        int c;
        FRT_TRY(frt_op_arg_count(d, attrs, &args[i], &c));
        *total += c;
    }
    return NULL;
}

frt_status *frt_op_arity(const frt_op_def *d, const frt_attrs *attrs, int *n_in, int *n_out) {
    int a = 0, b = 0;
    frt_status *st = count_args(d, attrs, d->inputs, d->n_inputs, &a);
    if (!st) st = count_args(d, attrs, d->outputs, d->n_outputs, &b);
    if (n_in) *n_in = st ? -1 : a;
    if (n_out) *n_out = st ? -1 : b;
    return st;
}

static frt_status *arg_index(const frt_op_def *d, const frt_attrs *attrs, const frt_op_arg *args,
                             int n, const char *what, const char *arg, int k, int *flat) {
    int offset = 0;
    *flat = -1;
    for (int i = 0; i < n; i++) {
        int c;
        FRT_TRY(frt_op_arg_count(d, attrs, &args[i], &c));
        if (strcmp(args[i].name, arg) == 0) {
            if (k < 0 || k >= c)
                return frt_status_new(FRT_OUT_OF_RANGE,
                                      "%s: %s arg '%s' has %d element%s, index %d is out of range",
                                      d->name, what, arg, c, c == 1 ? "" : "s", k);
            *flat = offset + k;
            return NULL;
        }
        offset += c;
    }
    return frt_status_new(FRT_NOT_FOUND, "%s has no %s arg named '%s'", d->name, what, arg);
}

frt_status *frt_op_output_arg_index(const frt_op_def *d, const frt_attrs *attrs, const char *arg,
                                    int k, int *flat) {
    return arg_index(d, attrs, d->outputs, d->n_outputs, "output", arg, k, flat);
}

frt_status *frt_op_input_arg_index(const frt_op_def *d, const frt_attrs *attrs, const char *arg,
                                   int k, int *flat) {
    return arg_index(d, attrs, d->inputs, d->n_inputs, "input", arg, k, flat);
}

static const frt_op_arg *arg_at(const frt_op_def *d, const frt_attrs *attrs,
                                const frt_op_arg *args, int n, int flat, int *k) {
    int offset = 0;
    for (int i = 0; i < n; i++) {
        int c;
        frt_status *st = frt_op_arg_count(d, attrs, &args[i], &c);
        if (st) {
            frt_status_free(st);
            return NULL;
        }
        if (flat >= offset && flat < offset + c) {
            if (k) *k = flat - offset;
            return &args[i];
        }
        offset += c;
    }
    return NULL;
}

const frt_op_arg *frt_op_output_arg_at(const frt_op_def *d, const frt_attrs *attrs, int flat,
                                       int *k) {
    return arg_at(d, attrs, d->outputs, d->n_outputs, flat, k);
}

const frt_op_arg *frt_op_input_arg_at(const frt_op_def *d, const frt_attrs *attrs, int flat,
                                      int *k) {
    return arg_at(d, attrs, d->inputs, d->n_inputs, flat, k);
}

/* The attr holding arg a's dtype(s), or NULL. */
static const frt_attr_value *arg_type_value(const frt_op_arg *a, const frt_attrs *attrs) {
    if (a->type_attr) return frt_attrs_find(attrs, a->type_attr);
    if (a->type_list_attr) return frt_attrs_find(attrs, a->type_list_attr);
    return NULL;
}

/* The dtype of element k of arg a, whose count frt_op_arg_count resolved; v from
 * arg_type_value. */
static frt_dtype arg_elem_type(const frt_op_arg *a, const frt_attr_value *v, int k) {
    frt_dtype t = a->type;
    if (a->type_attr) t = v && v->kind == FRT_ATTR_TYPE ? v->v.type : FRT_DTYPE_INVALID;
    if (a->type_list_attr) t = v->v.list.v.type[k]; /* count checked the kind */
    return frt_dtype_base((int)t);
}

frt_dtype frt_op_output_type_at(const frt_op_def *d, const frt_attrs *attrs, int flat) {
    int k;
    const frt_op_arg *a = frt_op_output_arg_at(d, attrs, flat, &k);
    return a ? arg_elem_type(a, arg_type_value(a, attrs), k) : FRT_DTYPE_INVALID;
}

static frt_status *arg_types(const frt_op_def *d, const frt_attrs *attrs, const frt_op_arg *args,
                             int n, frt_dtype *types, int max, int *total) {
    int pos = 0;
    *total = 0;
    for (int i = 0; i < n; i++) {
        const frt_op_arg *a = &args[i];
        int c;
        FRT_TRY(frt_op_arg_count(d, attrs, a, &c));
        if (pos + c > max)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s: more than %d arguments", d->name,
                                  max);
        const frt_attr_value *v = arg_type_value(a, attrs);
        for (int k = 0; k < c; k++) types[pos++] = arg_elem_type(a, v, k);
    }
    *total = pos;
    return NULL;
}

frt_status *frt_op_output_types(const frt_op_def *d, const frt_attrs *attrs, frt_dtype *types,
                                int max, int *n) {
    return arg_types(d, attrs, d->outputs, d->n_outputs, types, max, n);
}

frt_status *frt_op_input_types(const frt_op_def *d, const frt_attrs *attrs, frt_dtype *types,
                               int max, int *n) {
    return arg_types(d, attrs, d->inputs, d->n_inputs, types, max, n);
}
