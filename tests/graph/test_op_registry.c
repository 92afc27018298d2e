/* tests/graph/test_op_registry.c: the op table parses, arities resolve list args from attrs,
 * function-body output names map to flat indices, defaults match TensorFlow's OpDefs. */
#include "util/test_util.h"

#include <string.h>

#include "graph/op_registry.h"

static const char *required_ops[] = {
    "Const", "Placeholder", "PlaceholderWithDefault", "Identity", "IdentityN", "NoOp",
    "StopGradient", "Snapshot", "MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
    "BiasAdd", "Conv2D", "DepthwiseConv2dNative", "MaxPool", "AvgPool", "FusedBatchNorm",
    "FusedBatchNormV2", "FusedBatchNormV3", "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh",
    "Softmax", "LogSoftmax", "Softplus", "LeakyRelu", "Add", "AddV2", "AddN", "Sub", "Mul",
    "Div", "RealDiv", "DivNoNan", "Maximum", "Minimum", "SquaredDifference", "FloorMod",
    "FloorDiv", "Pow", "Rsqrt", "Sqrt", "Exp", "Log", "Log1p", "Neg", "Square", "Abs", "Erf",
    "Floor", "Ceil", "Round", "Sign", "Reciprocal", "Mean", "Sum", "Max", "Min", "Prod", "All",
    "Any", "ArgMax", "ArgMin", "Reshape", "Squeeze", "ExpandDims", "ConcatV2", "Concat", "Pack",
    "Unpack", "Shape", "ShapeN", "Size", "Rank", "Fill", "ZerosLike", "OnesLike",
    "StridedSlice", "Slice", "Split", "SplitV", "Transpose", "Pad", "PadV2", "MirrorPad", "Cast",
    "GatherV2", "Gather", "Tile", "SpaceToBatchND", "BatchToSpaceND", "Range", "Equal",
    "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
    "LogicalNot", "Select", "SelectV2", "ClipByValue", "BroadcastTo", "CheckNumerics", "Assert",
    "Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "VariableV2", "Assign",
    "AssignAdd", "AssignSub", "VarHandleOp", "ReadVariableOp", "AssignVariableOp",
    "AssignAddVariableOp", "AssignSubVariableOp", "VarIsInitializedOp", "DisableCopyOnRead",
    "RestoreV2", "SaveV2", "MergeV2Checkpoints", "ShardedFilename", "StringJoin",
    "StaticRegexFullMatch", "PartitionedCall", "StatefulPartitionedCall"};

static void every_required_op_is_defined(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof required_ops / sizeof *required_ops; i++) {
        const frt_op_def *d = frt_op_find(required_ops[i]);
        if (!d) fail_msg("op %s is not registered", required_ops[i]);
        assert_string_equal(d->name, required_ops[i]);
    }
    assert_null(frt_op_find("NoSuchOp"));
    assert_true(frt_op_count() >= (int)(sizeof required_ops / sizeof *required_ops));
    for (int i = 0; i < frt_op_count(); i++)
        assert_ptr_equal(frt_op_find(frt_op_at(i)->name), frt_op_at(i));
    assert_null(frt_op_at(frt_op_count()));
}

static void matmul_def_matches_tf(void **state) {
    (void)state;
    const frt_op_def *d = frt_op_find("MatMul");
    assert_int_equal(d->n_inputs, 2);
    assert_string_equal(d->inputs[0].name, "a");
    assert_string_equal(d->inputs[1].name, "b");
    assert_string_equal(d->inputs[0].type_attr, "T");
    assert_string_equal(d->outputs[0].name, "product");
    const frt_op_attr *ta = frt_op_find_attr(d, "transpose_a");
    assert_non_null(ta);
    assert_true(ta->has_default);
    assert_int_equal(ta->def.kind, FRT_ATTR_B);
    assert_false(ta->def.v.b);
    assert_false(frt_op_find_attr(d, "T")->has_default);
    assert_false(frt_op_is_stateful(d));
    assert_true(frt_op_is_stateful(frt_op_find("VarHandleOp")));
    assert_true(frt_op_is_stateful(frt_op_find("StatefulPartitionedCall")));
    assert_false(frt_op_is_stateful(frt_op_find("PartitionedCall")));
    assert_true(frt_op_has_trait(frt_op_find("AddV2"), FRT_OP_BROADCAST | FRT_OP_COMMUTATIVE));
    assert_false(frt_op_has_trait(frt_op_find("Sub"), FRT_OP_COMMUTATIVE));
    assert_true(frt_op_has_trait(frt_op_find("Relu"), FRT_OP_ELEMENTWISE));
    /* Ref and fixed types. */
    const frt_op_def *v = frt_op_find("VariableV2");
    assert_true(v->outputs[0].is_ref);
    assert_string_equal(v->outputs[0].type_attr, "dtype");
    const frt_op_def *sw = frt_op_find("Switch");
    assert_int_equal(sw->inputs[1].type, FRT_DTYPE_BOOL);
    assert_null(sw->inputs[1].type_attr);
}

static void defaults_are_filled(void **state) {
    (void)state;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    tu_attr_ints(&a, "strides", (const int64_t[]){1, 2, 2, 1}, 4);
    tu_attr_str(&a, "padding", "SAME");
    tu_attr_str(&a, "data_format", "NCHW"); /* present: must not be overwritten */
    TU_OK(frt_op_try_fill_defaults(frt_op_find("Conv2D"), &a));
    int64_t dil[8];
    int n;
    TU_OK(frt_attr_get_int_list(&a, "dilations", 8, dil, &n));
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(dil[i], 1);
    const frt_attr_value *ep = frt_attrs_find(&a, "explicit_paddings");
    assert_non_null(ep);
    assert_int_equal(ep->kind, FRT_ATTR_LIST);
    assert_int_equal(ep->v.list.n, 0);
    const char *fmt;
    TU_OK(frt_attr_get_str(&a, "data_format", "", &fmt));
    assert_string_equal(fmt, "NCHW");
    bool cudnn = false;
    TU_OK(frt_attr_get_bool(&a, "use_cudnn_on_gpu", false, &cudnn));
    assert_true(cudnn);
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    TU_OK(frt_op_try_fill_defaults(frt_op_find("FusedBatchNormV3"), &a));
    float eps = 0;
    bool training = false;
    TU_OK(frt_attr_get_float(&a, "epsilon", 0, &eps));
    TU_OK(frt_attr_get_bool(&a, "is_training", false, &training));
    assert_float_equal(eps, 0.0001f, 0);
    assert_true(training); /* TF's default is training */
    assert_null(frt_attrs_find(&a, "T"));
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    TU_OK(frt_op_try_fill_defaults(frt_op_find("ArgMax"), &a));
    frt_dtype ot;
    TU_OK(frt_attr_get_type(&a, "output_type", FRT_DTYPE_INVALID, &ot));
    assert_int_equal(ot, FRT_DTYPE_INT64);
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    TU_OK(frt_op_try_fill_defaults(frt_op_find("Placeholder"), &a));
    frt_attr_shape s;
    bool found;
    TU_OK(frt_attr_get_shape(&a, "shape", &s, &found));
    assert_true(found);
    assert_true(s.unknown_rank);
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    TU_OK(frt_op_try_fill_defaults(frt_op_find("SplitV"), &a));
    TU_OK(frt_attr_get_type(&a, "Tlen", FRT_DTYPE_INVALID, &ot));
    assert_int_equal(ot, FRT_DTYPE_INT64);
    frt_attrs_deinit(&a);
}

static void arity_resolves_lists(void **state) {
    (void)state;
    frt_attrs a;
    int ni, no;
    frt_attrs_init(&a);
    tu_attr_int(&a, "N", 3);
    TU_OK(frt_op_arity(frt_op_find("ConcatV2"), &a, &ni, &no));
    assert_int_equal(ni, 4);
    assert_int_equal(no, 1);
    TU_OK(frt_op_arity(frt_op_find("Merge"), &a, &ni, &no));
    assert_int_equal(ni, 3);
    assert_int_equal(no, 2);
    TU_OK(frt_op_arity(frt_op_find("ShapeN"), &a, &ni, &no));
    assert_int_equal(ni, 3);
    assert_int_equal(no, 3);
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    tu_attr_int(&a, "num", 5);
    TU_OK(frt_op_arity(frt_op_find("Unpack"), &a, &ni, &no));
    assert_int_equal(ni, 1);
    assert_int_equal(no, 5);
    frt_attrs_deinit(&a);

    frt_attrs_init(&a);
    tu_attr_types(&a, "Tin", (const frt_dtype[]){FRT_DTYPE_FLOAT, FRT_DTYPE_RESOURCE}, 2);
    tu_attr_types(&a, "Tout", (const frt_dtype[]){FRT_DTYPE_FLOAT}, 1);
    TU_OK(frt_op_arity(frt_op_find("StatefulPartitionedCall"), &a, &ni, &no));
    assert_int_equal(ni, 2);
    assert_int_equal(no, 1);
    frt_dtype types[4];
    int nt;
    TU_OK(frt_op_input_types(frt_op_find("StatefulPartitionedCall"), &a, types, 4, &nt));
    assert_int_equal(nt, 2);
    assert_int_equal(types[1], FRT_DTYPE_RESOURCE);
    frt_attrs_deinit(&a);

    /* Missing or malformed list attrs are errors naming the attr. */
    frt_attrs_init(&a);
    tu_assert_error(frt_op_arity(frt_op_find("AddN"), &a, &ni, &no), FRT_INVALID_ARGUMENT,
                    "'N'");
    assert_int_equal(ni, -1);
    tu_attr_int(&a, "N", -2);
    tu_assert_error(frt_op_arity(frt_op_find("AddN"), &a, &ni, &no), FRT_INVALID_ARGUMENT,
                    "non-negative");
    tu_assert_error(frt_op_arity(frt_op_find("IdentityN"), &a, &ni, &no), FRT_INVALID_ARGUMENT,
                    "'T'");
    frt_attrs_deinit(&a);

    /* Fixed arities. */
    frt_attrs_init(&a);
    TU_OK(frt_op_arity(frt_op_find("FusedBatchNormV3"), &a, &ni, &no));
    assert_int_equal(ni, 5);
    assert_int_equal(no, 6);
    TU_OK(frt_op_arity(frt_op_find("NoOp"), &a, &ni, &no));
    assert_int_equal(ni, 0);
    assert_int_equal(no, 0);
    TU_OK(frt_op_arity(frt_op_find("Switch"), &a, &ni, &no));
    assert_int_equal(no, 2);
    frt_attrs_deinit(&a);
}

static void output_arg_names_map_to_flat_indices(void **state) {
    (void)state;
    frt_attrs a;
    int flat;
    frt_attrs_init(&a);
    const frt_op_def *fbn = frt_op_find("FusedBatchNormV3");
    TU_OK(frt_op_output_arg_index(fbn, &a, "y", 0, &flat));
    assert_int_equal(flat, 0);
    TU_OK(frt_op_output_arg_index(fbn, &a, "reserve_space_3", 0, &flat));
    assert_int_equal(flat, 5);
    tu_assert_error(frt_op_output_arg_index(fbn, &a, "reserve_space_3", 1, &flat),
                    FRT_OUT_OF_RANGE, "reserve_space_3");
    tu_assert_error(frt_op_output_arg_index(fbn, &a, "z", 0, &flat), FRT_NOT_FOUND, "'z'");
    frt_attrs_deinit(&a);

    /* Merge: output (1) then value_index; Switch: output_false, output_true. */
    frt_attrs_init(&a);
    tu_attr_int(&a, "N", 2);
    TU_OK(frt_op_output_arg_index(frt_op_find("Merge"), &a, "value_index", 0, &flat));
    assert_int_equal(flat, 1);
    TU_OK(frt_op_output_arg_index(frt_op_find("Switch"), &a, "output_true", 0, &flat));
    assert_int_equal(flat, 1);
    /* Input side: ConcatV2 with N=2: values:0, values:1, axis -> 2. */
    TU_OK(frt_op_input_arg_index(frt_op_find("ConcatV2"), &a, "axis", 0, &flat));
    assert_int_equal(flat, 2);
    TU_OK(frt_op_input_arg_index(frt_op_find("ConcatV2"), &a, "values", 1, &flat));
    assert_int_equal(flat, 1);
    frt_attrs_deinit(&a);

    /* RestoreV2:tensors:2 with 3 dtypes. */
    frt_attrs_init(&a);
    tu_attr_types(&a, "dtypes",
                  (const frt_dtype[]){FRT_DTYPE_FLOAT, FRT_DTYPE_INT64, FRT_DTYPE_STRING}, 3);
    TU_OK(frt_op_output_arg_index(frt_op_find("RestoreV2"), &a, "tensors", 2, &flat));
    assert_int_equal(flat, 2);
    int k = -1;
    const frt_op_arg *arg = frt_op_output_arg_at(frt_op_find("RestoreV2"), &a, 2, &k);
    assert_non_null(arg);
    assert_string_equal(arg->name, "tensors");
    assert_int_equal(k, 2);
    assert_null(frt_op_output_arg_at(frt_op_find("RestoreV2"), &a, 3, &k));
    frt_dtype types[4];
    int nt;
    TU_OK(frt_op_output_types(frt_op_find("RestoreV2"), &a, types, 4, &nt));
    assert_int_equal(nt, 3);
    assert_int_equal(types[2], FRT_DTYPE_STRING);
    frt_attrs_deinit(&a);

    /* A list arg before another output shifts it: Unpack has one list output only, so use
     * ShapeN (N * out_type) and then nothing; check element 1 of 3. */
    frt_attrs_init(&a);
    tu_attr_int(&a, "N", 3);
    TU_OK(frt_op_output_arg_index(frt_op_find("ShapeN"), &a, "output", 1, &flat));
    assert_int_equal(flat, 1);
    frt_attrs_deinit(&a);
}

static void output_types_follow_attrs(void **state) {
    (void)state;
    frt_attrs a;
    frt_dtype t[8];
    int n;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_HALF);
    tu_attr_type(&a, "U", FRT_DTYPE_FLOAT);
    TU_OK(frt_op_output_types(frt_op_find("FusedBatchNormV3"), &a, t, 8, &n));
    assert_int_equal(n, 6);
    assert_int_equal(t[0], FRT_DTYPE_HALF);
    assert_int_equal(t[1], FRT_DTYPE_FLOAT);
    TU_OK(frt_op_output_types(frt_op_find("Equal"), &a, t, 8, &n));
    assert_int_equal(t[0], FRT_DTYPE_BOOL);
    /* No out_type attr: unknown until defaults are filled. */
    TU_OK(frt_op_output_types(frt_op_find("Shape"), &a, t, 8, &n));
    assert_int_equal(t[0], FRT_DTYPE_INVALID);
    TU_OK(frt_op_try_fill_defaults(frt_op_find("Shape"), &a));
    TU_OK(frt_op_output_types(frt_op_find("Shape"), &a, t, 8, &n));
    assert_int_equal(t[0], FRT_DTYPE_INT32);
    frt_attrs_deinit(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_required_op_is_defined),
        cmocka_unit_test(matmul_def_matches_tf),
        cmocka_unit_test(defaults_are_filled),
        cmocka_unit_test(arity_resolves_lists),
        cmocka_unit_test(output_arg_names_map_to_flat_indices),
        cmocka_unit_test(output_types_follow_attrs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
