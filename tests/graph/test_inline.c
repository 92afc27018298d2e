/* tests/graph/test_inline.c: function inlining (graph/inline.c): a TF-made nested
 * PartitionedCall graph computes what TF computes once inlined; hand-written libraries for
 * naming, control edges, control_ret, list args, placeholders, Defun-style calls, errors. */
#include "util/test_util.h"

#include <stdio.h>
#include <string.h>

#include "graph/function.h"
#include "io/graphdef.h"
#include "runtime/model.h"

static frt_graph *load_text(const char *txt) {
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_buffer(txt, strlen(txt), true, "test.pbtxt", &g));
    return g;
}

static const frt_node *node(const frt_graph *g, const char *name) {
    int i = frt_graph_find(g, name);
    if (i < 0) fail_msg("no node '%s'", name);
    return &g->nodes[i];
}

static bool has_input(const frt_node *n, const char *in) {
    for (int k = 0; k < n->n_inputs; k++)
        if (strcmp(n->inputs[k], in) == 0) return true;
    return false;
}

/* Runs a finalized graph through a session: one feed, one fetch. */
static frt_tensor *run1(frt_graph *g, const char *feed, frt_tensor *x, const char *fetch) {
    frt_model *m = frt_model_from_graph(g, "inlined");
    frt_session *s = NULL;
    TU_OK(frt_session_new(NULL, m, &s));
    frt_tensor *out = NULL;
    TU_OK(frt_session_run(s, &feed, &x, 1, &fetch, &out, 1, NULL, 0));
    frt_session_free(s);
    frt_model_free(m);
    return out;
}

static void tf_nested_calls_compute_tf_values(void **state) {
    (void)state;
    char p[512];
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "func/nested/model.pb"), &g));
    assert_non_null(frt_graph_library(g));
    TU_OK(frt_graph_inline_functions(g));
    for (int i = 0; i < g->n_nodes; i++) {
        assert_string_not_equal(g->nodes[i].op, "PartitionedCall");
        assert_null(strstr(g->nodes[i].op, "__inference"));
    }
    /* Two levels of nesting, TF's naming, and the gate moved to input_control_node. */
    const frt_node *split = node(g, "PartitionedCall/PartitionedCall_1/split");
    assert_string_equal(split->op, "Split");
    assert_true(has_input(split, "PartitionedCall/PartitionedCall_1/x"));
    const frt_node *sub = node(g, "PartitionedCall/PartitionedCall_1/sub");
    assert_true(has_input(sub, "PartitionedCall/PartitionedCall_1/split:1"));
    assert_true(has_input(sub, "PartitionedCall/PartitionedCall_1/split:2"));
    const frt_node *icn = node(g, "PartitionedCall/input_control_node");
    assert_string_equal(icn->op, "NoOp");
    assert_true(has_input(icn, "^gate"));
    assert_true(has_input(node(g, "PartitionedCall/x"), "^PartitionedCall/input_control_node"));
    assert_true(has_input(node(g, "PartitionedCall/mul/x"),
                          "^PartitionedCall/input_control_node"));
    const frt_node *call = node(g, "PartitionedCall");
    assert_string_equal(call->op, "IdentityN");
    assert_int_equal(call->n_inputs, 2);
    assert_string_equal(call->inputs[0], "PartitionedCall/Identity");
    assert_string_equal(call->inputs[1], "PartitionedCall/Identity_1");
    TU_OK(frt_graph_finalize(g));

    frt_tensor *x = NULL, *want = NULL;
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "func/nested/input_0.npy"), &x));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "func/nested/output_0.npy"), &want));
    frt_tensor *got = run1(g, "x", x, "out");
    tu_assert_close_f32(got, want, 1e-6f, 1e-6f);
    frt_tensor_unref(x);
    frt_tensor_unref(want);
    frt_tensor_unref(got);
}

/* A stateful call with a control output, a list (N * T) argument and an attr placeholder. */
static const char k_lib[] =
    "node { name: 'a' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
    "node { name: 'b' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
    "node { name: 'call' op: 'StatefulPartitionedCall' input: 'a' input: 'b'\n"
    "  attr { key: 'Tin' value { list { type: DT_FLOAT type: DT_FLOAT } } }\n"
    "  attr { key: 'Tout' value { list { type: DT_FLOAT type: DT_FLOAT } } }\n"
    "  attr { key: 'f' value { func { name: 'sum2' attr { key: 'T' value { type: DT_FLOAT } }\n"
    "                                              attr { key: 'N' value { i: 2 } } } } } }\n"
    "node { name: 'use' op: 'Identity' input: 'call:1' input: '^call'\n"
    "  attr { key: 'T' value { type: DT_FLOAT } } }\n"
    "library { function {\n"
    "  signature { name: 'sum2'\n"
    "    input_arg { name: 'xs' type_attr: 'T' number_attr: 'N' }\n"
    "    output_arg { name: 'sum' type_attr: 'T' } output_arg { name: 'first' type_attr: 'T' }\n"
    "    attr { name: 'T' type: 'type' } attr { name: 'N' type: 'int' }\n"
    "    control_output: 'side' }\n"
    "  node_def { name: 'axis' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } }\n"
    "    attr { key: 'value' value { tensor { dtype: DT_INT32 int_val: 0 } } } }\n"
    "  node_def { name: 'add' op: 'ConcatV2' input: 'xs' input: 'axis:output:0'\n"
    "    attr { key: 'T' value { placeholder: 'T' } }\n"
    "    attr { key: 'N' value { placeholder: 'N' } } }\n"
    "  node_def { name: 'nop' op: 'NoOp' }\n"
    "  ret { key: 'sum' value: 'add:output:0' } ret { key: 'first' value: 'xs:0' }\n"
    "  control_ret { key: 'side' value: 'nop' }\n"
    "} }\n";

static void list_args_placeholders_control_ret(void **state) {
    (void)state;
    frt_graph *g = load_text(k_lib);
    TU_OK(frt_graph_inline_functions(g));
    const frt_node *x0 = node(g, "call/xs_0"), *x1 = node(g, "call/xs_1");
    assert_string_equal(x0->op, "Identity");
    assert_string_equal(x0->inputs[0], "a");
    assert_string_equal(x1->inputs[0], "b");
    const frt_node *add = node(g, "call/add");
    assert_int_equal(add->n_inputs, 3);
    assert_string_equal(add->inputs[0], "call/xs_0");
    assert_string_equal(add->inputs[1], "call/xs_1");
    assert_string_equal(add->inputs[2], "call/axis");
    const frt_attr_value *t = frt_attrs_find(&add->attrs, "T");
    assert_non_null(t);
    assert_int_equal(t->kind, FRT_ATTR_TYPE);
    assert_int_equal(t->v.type, FRT_DTYPE_FLOAT);
    const frt_attr_value *n = frt_attrs_find(&add->attrs, "N");
    assert_int_equal(n->kind, FRT_ATTR_I);
    assert_int_equal(n->v.i, 2);
    /* No control inputs on the call: no input_control_node. */
    assert_int_equal(frt_graph_find(g, "call/input_control_node"), -1);
    /* The body's NoOp has no data inputs but nothing to wait for. */
    assert_int_equal(node(g, "call/nop")->n_inputs, 0);
    const frt_node *call = node(g, "call");
    assert_string_equal(call->op, "IdentityN");
    assert_int_equal(call->n_inputs, 3);
    assert_string_equal(call->inputs[0], "call/add");
    assert_string_equal(call->inputs[1], "call/xs_0");
    assert_string_equal(call->inputs[2], "^call/nop");
    assert_null(frt_attrs_find(&call->attrs, "f"));
    TU_OK(frt_graph_finalize(g));

    frt_model *m = frt_model_from_graph(g, "lib");
    frt_session *s = NULL;
    TU_OK(frt_session_new(NULL, m, &s));
    frt_tensor *a = tu_f32(TU_DIMS(1), 1, TU_F32(2)), *b = tu_f32(TU_DIMS(1), 1, TU_F32(5));
    frt_tensor *out[2] = {0};
    const char *feeds[] = {"a", "b"}, *fetches[] = {"call:0", "use"};
    frt_tensor *fv[] = {a, b};
    TU_OK(frt_session_run(s, feeds, fv, 2, fetches, out, 2, NULL, 0));
    tu_assert_shape(out[0], TU_DIMS(2), 1);
    assert_float_equal(frt_tensor_f32(out[0])[0], 2.0f, 0.0f);
    assert_float_equal(frt_tensor_f32(out[0])[1], 5.0f, 0.0f);
    assert_float_equal(frt_tensor_f32(out[1])[0], 2.0f, 0.0f);
    frt_tensor_unref(out[0]);
    frt_tensor_unref(out[1]);
    frt_tensor_unref(a);
    frt_tensor_unref(b);
    frt_session_free(s);
    frt_model_free(m);
}

/* TF1 Defun style: the op is the function name; the node's attrs bind placeholders. A call
 * without outputs becomes a NoOp. */
static void defun_style_and_no_outputs(void **state) {
    (void)state;
    frt_graph *g = load_text(
        "node { name: 'a' op: 'Placeholder' attr { key: 'dtype' value { type: DT_INT32 } } }\n"
        "node { name: 'sq' op: 'Square2' input: 'a' attr { key: 'T' value { type: DT_INT32 } } }\n"
        "node { name: 'fx' op: 'Effect' input: '^a' }\n"
        "library {\n"
        " function { signature { name: 'Square2' input_arg { name: 'x' type_attr: 'T' }\n"
        "     output_arg { name: 'y' type_attr: 'T' } attr { name: 'T' type: 'type' } }\n"
        "   node_def { name: 'm' op: 'Mul' input: 'x' input: 'x'\n"
        "     attr { key: 'T' value { placeholder: 'T' } } }\n"
        "   ret { key: 'y' value: 'm:z:0' } }\n"
        " function { signature { name: 'Effect' }\n"
        "   node_def { name: 'c' op: 'Const' attr { key: 'dtype' value { type: DT_INT32 } }\n"
        "     attr { key: 'value' value { tensor { dtype: DT_INT32 int_val: 1 } } } } }\n"
        "}\n");
    TU_OK(frt_graph_inline_functions(g));
    assert_string_equal(node(g, "sq")->op, "IdentityN");
    assert_string_equal(node(g, "sq")->inputs[0], "sq/m");
    assert_string_equal(node(g, "sq/x")->op, "Identity");
    assert_string_equal(node(g, "fx")->op, "NoOp");
    assert_int_equal(node(g, "fx")->n_inputs, 0);
    const frt_node *c = node(g, "fx/c");
    assert_true(has_input(c, "^fx/input_control_node"));
    assert_true(has_input(node(g, "fx/input_control_node"), "^a"));
    TU_OK(frt_graph_finalize(g));
    int32_t three = 3;
    frt_tensor *a = tu_i32(NULL, 0, &three);
    frt_tensor *out = run1(g, "a", a, "sq");
    assert_int_equal(frt_tensor_i32(out)[0], 9);
    frt_tensor_unref(a);
    frt_tensor_unref(out);
}

static void errors_name_node_and_function(void **state) {
    (void)state;
    /* Unknown function. */
    frt_graph *g = load_text(
        "node { name: 'c' op: 'PartitionedCall'\n"
        "  attr { key: 'f' value { func { name: 'nowhere' } } } }\n");
    frt_status *st = frt_graph_inline_functions(g);
    assert_int_equal(frt_status_code(st), FRT_NOT_FOUND);
    assert_non_null(strstr(frt_status_message(st), "'c'"));
    tu_assert_error(st, FRT_NOT_FOUND, "'nowhere'");
    frt_graph_free(g);

    /* Recursion (through a nested call). */
    g = load_text(
        "node { name: 'c' op: 'PartitionedCall'\n"
        "  attr { key: 'f' value { func { name: 'r' } } } }\n"
        "library { function { signature { name: 'r' }\n"
        "  node_def { name: 'again' op: 'PartitionedCall'\n"
        "    attr { key: 'f' value { func { name: 'r' } } } } } }\n");
    tu_assert_error(frt_graph_inline_functions(g), FRT_INVALID_ARGUMENT, "calls itself");
    frt_graph_free(g);

    /* Unbound placeholder. */
    g = load_text(
        "node { name: 'a' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
        "node { name: 'c' op: 'PartitionedCall' input: 'a'\n"
        "  attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
        "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
        "  attr { key: 'f' value { func { name: 'g' } } } }\n"
        "library { function { signature { name: 'g' input_arg { name: 'x' type: DT_FLOAT }\n"
        "    output_arg { name: 'y' type: DT_FLOAT } }\n"
        "  node_def { name: 'i' op: 'Identity' input: 'x'\n"
        "    attr { key: 'T' value { placeholder: 'U' } } }\n"
        "  ret { key: 'y' value: 'i:output:0' } } }\n");
    st = frt_graph_inline_functions(g);
    assert_non_null(strstr(frt_status_message(st), "'U'"));
    assert_non_null(strstr(frt_status_message(st), "'i'"));
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "function 'g' at call node 'c'");
    frt_graph_free(g);

    /* Arity mismatch and a bad body output arg. */
    g = load_text(
        "node { name: 'c' op: 'PartitionedCall'\n"
        "  attr { key: 'f' value { func { name: 'g' } } } }\n"
        "library { function { signature { name: 'g'\n"
        "  input_arg { name: 'x' type: DT_FLOAT } } } }\n");
    tu_assert_error(frt_graph_inline_functions(g), FRT_INVALID_ARGUMENT, "0 data inputs");
    frt_graph_free(g);
    g = load_text(
        "node { name: 'c' op: 'PartitionedCall'\n"
        "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
        "  attr { key: 'f' value { func { name: 'g' } } } }\n"
        "library { function { signature { name: 'g' output_arg { name: 'y' type: DT_FLOAT } }\n"
        "  node_def { name: 'k' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } }\n"
        "    attr { key: 'value' value { tensor { dtype: DT_FLOAT float_val: 1 } } } }\n"
        "  ret { key: 'y' value: 'k:nope:0' } } }\n");
    tu_assert_error(frt_graph_inline_functions(g), FRT_INVALID_ARGUMENT, "output arg 'nope'");
    frt_graph_free(g);

    /* Finalized graphs are refused; graphs without calls are untouched. */
    g = load_text("node { name: 'a' op: 'NoOp' }\n");
    TU_OK(frt_graph_inline_functions(g));
    assert_int_equal(g->n_nodes, 1);
    TU_OK(frt_graph_finalize(g));
    tu_assert_error(frt_graph_inline_functions(g), FRT_FAILED_PRECONDITION, "finalized");
    frt_graph_free(g);
}

static void library_copy_is_deep(void **state) {
    (void)state;
    frt_graph *g = load_text(k_lib);
    frt_function_lib *copy = frt_function_lib_copy(frt_graph_library(g));
    frt_graph_free(g);
    const frt_function *fn = frt_function_lib_find(copy, "sum2");
    assert_non_null(fn);
    assert_int_equal(fn->n_in, 1);
    assert_string_equal(fn->in[0].number_attr, "N");
    assert_int_equal(fn->n_nodes, 3);
    assert_string_equal(frt_function_find_ret(fn, true, "side"), "nop");
    assert_string_equal(fn->control_outputs[0], "side");
    assert_int_equal(frt_attrs_find(&fn->nodes[1].attrs, "T")->kind, FRT_ATTR_PLACEHOLDER);
    assert_null(frt_function_lib_find(copy, "other"));
    frt_function_lib_free(copy);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tf_nested_calls_compute_tf_values),
        cmocka_unit_test(list_args_placeholders_control_ret),
        cmocka_unit_test(defun_style_and_no_outputs),
        cmocka_unit_test(errors_name_node_and_function),
        cmocka_unit_test(library_copy_is_deep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
