/* tests/graph/test_inline.c: function inlining (graph/inline.c): a TF-made nested
 * PartitionedCall graph computes what TF computes once inlined; hand-written libraries for
 * naming, control edges, control_ret, list args, placeholders, Defun-style calls, errors;
 * the expansion count against real expansions, and the fan-out limit (a library doubling per
 * level refused before expanding, also from a .meta file through frt_model_load and the CLI). */
#include "util/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

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

/* ---- expansion size: counted before expanding, refused past the limit ---------------------- */

enum { CALL_PARTITIONED, CALL_DIRECT };

/* A library of n functions f0..f{n-1}: each but the last calls the next twice (through
 * PartitionedCall and StatefulPartitionedCall, or by op name) and adds the results; the last
 * negates. A graph calling f0 on x computes -2^(n-1) * x, and inlining it adds
 * 6 * 2^(n-1) - 4 nodes: 1 Identity for x, then per level 3 body nodes and 2 calls each adding
 * an Identity and the next level, and 1 Neg per leaf. Returns GraphDef text (free it). */
static char *doubling_text(int n, int form) {
    size_t cap = 4096 + (size_t)n * 1024, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
#define PUT(...) (len += (size_t)snprintf(s + len, cap - len, __VA_ARGS__))
    static const char flt[] = "attr { key: 'T' value { type: DT_FLOAT } }";
    static const char tio[] = "attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
                              "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }";
    PUT("node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n");
    if (form == CALL_PARTITIONED)
        PUT("node { name: 'call' op: 'PartitionedCall' input: 'x'\n  %s\n"
            "  attr { key: 'f' value { func { name: 'f0' } } } }\n", tio);
    else
        PUT("node { name: 'call' op: 'f0' input: 'x' }\n");
    PUT("library {\n");
    for (int i = 0; i < n; i++) {
        PUT(" function { signature { name: 'f%d' input_arg { name: 'x' type: DT_FLOAT }\n"
            "   output_arg { name: 'y' type: DT_FLOAT } }\n", i);
        if (i == n - 1) {
            PUT("  node_def { name: 'neg' op: 'Neg' input: 'x' %s }\n"
                "  ret { key: 'y' value: 'neg:y:0' } }\n", flt);
            continue;
        }
        const char *out = "y";
        if (form == CALL_PARTITIONED) {
            out = "output";
            PUT("  node_def { name: 'a' op: 'PartitionedCall' input: 'x'\n  %s\n"
                "    attr { key: 'f' value { func { name: 'f%d' } } } }\n", tio, i + 1);
            PUT("  node_def { name: 'b' op: 'StatefulPartitionedCall' input: 'x'\n  %s\n"
                "    attr { key: 'f' value { func { name: 'f%d' } } } }\n", tio, i + 1);
        } else {
            PUT("  node_def { name: 'a' op: 'f%d' input: 'x' }\n", i + 1);
            PUT("  node_def { name: 'b' op: 'f%d' input: 'x' }\n", i + 1);
        }
        PUT("  node_def { name: 's' op: 'AddV2' input: 'a:%s:0' input: 'b:%s:0' %s }\n"
            "  ret { key: 'y' value: 's:z:0' } }\n", out, out, flt);
    }
    PUT("}\n");
#undef PUT
    assert_true(len < cap);
    return s;
}

static uint64_t doubling_added(int n) { return 6 * (UINT64_C(1) << (n - 1)) - 4; }

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Counts, inlines with the default limit, and checks the count was the real growth. */
static void inline_and_check_count(frt_graph *g) {
    uint64_t want;
    TU_OK(frt_graph_inline_count(g, &want, NULL, NULL));
    int before = g->n_nodes;
    TU_OK(frt_graph_inline_functions(g));
    assert_int_equal((uint64_t)(g->n_nodes - before), want);
}

/* Control inputs on a call, body calls without inputs (which wait on input_control_node and
 * so expand one too), a body call with its own control input, the same functions called
 * with and without control inputs, and a function shared by two callers. */
static const char k_ctrl_shapes[] =
    "node { name: 'gate' op: 'NoOp' }\n"
    "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
    "node { name: 'top' op: 'PartitionedCall' input: 'x' input: '^gate'\n"
    "  attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
    "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
    "  attr { key: 'f' value { func { name: 'outer' } } } }\n"
    "node { name: 'top2' op: 'outer' input: 'x' }\n"
    "library {\n"
    " function { signature { name: 'outer' input_arg { name: 'x' type: DT_FLOAT }\n"
    "     output_arg { name: 'y' type: DT_FLOAT } }\n"
    "   node_def { name: 'k' op: 'konst' }\n"
    "   node_def { name: 'm' op: 'mid' input: 'x' input: '^k' }\n"
    "   node_def { name: 'add' op: 'AddV2' input: 'm:y:0' input: 'k:c:0'\n"
    "     attr { key: 'T' value { type: DT_FLOAT } } }\n"
    "   ret { key: 'y' value: 'add:z:0' } }\n"
    " function { signature { name: 'konst' output_arg { name: 'c' type: DT_FLOAT } }\n"
    "   node_def { name: 'one' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } }\n"
    "     attr { key: 'value' value { tensor { dtype: DT_FLOAT float_val: 1 } } } }\n"
    "   ret { key: 'c' value: 'one:output:0' } }\n"
    " function { signature { name: 'mid' input_arg { name: 'x' type: DT_FLOAT }\n"
    "     output_arg { name: 'y' type: DT_FLOAT } }\n"
    "   node_def { name: 'k2' op: 'konst' }\n"
    "   node_def { name: 'n' op: 'Neg' input: 'x' attr { key: 'T' value { type: DT_FLOAT } } }\n"
    "   node_def { name: 'a' op: 'AddV2' input: 'n:y:0' input: 'k2:c:0'\n"
    "     attr { key: 'T' value { type: DT_FLOAT } } }\n"
    "   ret { key: 'y' value: 'a:z:0' } }\n"
    "}\n";

static void count_is_the_real_growth(void **state) {
    (void)state;
    char p[512];
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "func/nested/model.pb"), &g));
    inline_and_check_count(g);
    frt_graph_free(g);
    g = load_text(k_lib);
    inline_and_check_count(g);
    frt_graph_free(g);

    g = load_text(k_ctrl_shapes);
    inline_and_check_count(g);
    /* The input_control_nodes the count expects, for the call with control inputs only. */
    assert_string_equal(node(g, "top/k/input_control_node")->op, "NoOp");
    assert_string_equal(node(g, "top/m/input_control_node")->op, "NoOp");
    assert_string_equal(node(g, "top/m/k2/input_control_node")->op, "NoOp");
    assert_int_equal(frt_graph_find(g, "top2/k/input_control_node"), -1);
    assert_string_equal(node(g, "top2/m/input_control_node")->op, "NoOp");
    TU_OK(frt_graph_finalize(g));
    frt_tensor *x = tu_scalar_f32(5), *y = run1(g, "x", x, "top");
    assert_float_equal(frt_tensor_f32(y)[0], -3.0f, 0.0f);  /* -5 + 1 + 1 */
    frt_tensor_unref(x);
    frt_tensor_unref(y);

    for (int form = CALL_PARTITIONED; form <= CALL_DIRECT; form++)
        for (int n = 1; n <= 6; n++) {
            char *txt = doubling_text(n, form);
            g = load_text(txt);
            free(txt);
            uint64_t c;
            TU_OK(frt_graph_inline_count(g, &c, NULL, NULL));
            assert_int_equal(c, doubling_added(n));
            inline_and_check_count(g);
            frt_graph_free(g);
        }
}

/* 31 functions each calling the next twice: 2^30 leaves, 6.4e9 nodes. Refused by the count,
 * before anything is built: the graph is untouched and it takes microseconds, not the 93 s
 * and 19 GB the expansion took before it hit a cap. */
static void doubling_library_refused_before_expanding(void **state) {
    (void)state;
    for (int form = CALL_PARTITIONED; form <= CALL_DIRECT; form++) {
        char *txt = doubling_text(31, form);
        frt_graph *g = load_text(txt);
        free(txt);
        uint64_t c;
        int worst;
        TU_OK(frt_graph_inline_count(g, &c, &worst, NULL));
        assert_int_equal(c, doubling_added(31));
        assert_string_equal(g->nodes[worst].name, "call");
        int before = g->n_nodes;
        double t0 = now_s();
        frt_status *st = frt_graph_inline_functions(g);
        double dt = now_s() - t0;
        assert_true(dt < 1.0);
        const char *msg = frt_status_message(st);
        assert_non_null(strstr(msg, "function 'f0' at call node 'call'"));
        assert_non_null(strstr(msg, "6442450940"));
        assert_non_null(strstr(msg, "limit of 1048576"));
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "would add");
        assert_int_equal(g->n_nodes, before);
        frt_graph_free(g);
    }
    /* 64 levels saturate the count rather than wrap it. */
    char *txt = doubling_text(70, CALL_DIRECT);
    frt_graph *g = load_text(txt);
    free(txt);
    uint64_t c;
    TU_OK(frt_graph_inline_count(g, &c, NULL, NULL));
    assert_true(c == UINT64_MAX);
    tu_assert_error(frt_graph_inline_functions(g), FRT_RESOURCE_EXHAUSTED, "more than 1844");
    frt_graph_free(g);
}

/* 11 functions, 1024 leaves: well under the limit, inlined and computing -1024 x. */
static void doubling_under_the_limit_inlines(void **state) {
    (void)state;
    for (int form = CALL_PARTITIONED; form <= CALL_DIRECT; form++) {
        char *txt = doubling_text(11, form);
        frt_graph *g = load_text(txt);
        free(txt);
        inline_and_check_count(g);
        assert_string_equal(node(g, "call/a/b/a/b/a/b/a/b/a/b/neg")->op, "Neg");
        TU_OK(frt_graph_finalize(g));
        frt_tensor *x = tu_scalar_f32(0.5f), *y = run1(g, "x", x, "call");
        assert_float_equal(frt_tensor_f32(y)[0], -512.0f, 0.0f);
        frt_tensor_unref(x);
        frt_tensor_unref(y);
    }
}

/* The limit is sharp: exactly the count passes, one less is refused with g untouched. */
static void limit_is_sharp(void **state) {
    (void)state;
    char *txt = doubling_text(6, CALL_PARTITIONED);
    frt_graph *g = load_text(txt);
    uint64_t c;
    TU_OK(frt_graph_inline_count(g, &c, NULL, NULL));
    int before = g->n_nodes;
    assert_int_equal(c, 188);
    tu_assert_error(frt_graph_inline_functions_limited(g, c - 1), FRT_RESOURCE_EXHAUSTED,
                    "would add 188 nodes to the graph, more than the limit of 187");
    assert_int_equal(g->n_nodes, before);
    frt_graph_free(g);
    g = load_text(txt);
    TU_OK(frt_graph_inline_functions_limited(g, c));
    assert_int_equal((uint64_t)(g->n_nodes - before), c);
    frt_graph_free(g);
    free(txt);

    /* Several calls add up; the message names the largest. */
    txt = doubling_text(6, CALL_DIRECT);
    g = load_text(txt);
    free(txt);
    frt_node_add_input(&g->nodes[frt_graph_add_node(g, "call2", "f1", "")], "x");
    int worst;
    uint64_t worst_n;
    TU_OK(frt_graph_inline_count(g, &c, &worst, &worst_n));
    assert_int_equal(c, 188 + 92);
    assert_int_equal(worst_n, 188);
    assert_string_equal(g->nodes[worst].name, "call");
    tu_assert_error(frt_graph_inline_functions_limited(g, 200), FRT_RESOURCE_EXHAUSTED,
                    "function 'f0' at call node 'call' would add 188 nodes to the graph (all "
                    "calls: 280), more than the limit of 200");
    frt_graph_free(g);
}

/* A callee bound through an attr placeholder is out of the count's sight; the same limit,
 * checked per added node, still stops the expansion. */
static void limit_holds_where_the_count_is_blind(void **state) {
    (void)state;
    static const char txt[] =
        "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
        "node { name: 'c' op: 'PartitionedCall' input: 'x'\n"
        "  attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
        "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
        "  attr { key: 'f' value { func { name: 'apply'\n"
        "    attr { key: 'g' value { func { name: 'leaf' } } } } } } }\n"
        "library {\n"
        " function { signature { name: 'apply' input_arg { name: 'x' type: DT_FLOAT }\n"
        "     output_arg { name: 'y' type: DT_FLOAT } attr { name: 'g' type: 'func' } }\n"
        "   node_def { name: 'a' op: 'PartitionedCall' input: 'x'\n"
        "     attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
        "     attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
        "     attr { key: 'f' value { placeholder: 'g' } } }\n"
        "   ret { key: 'y' value: 'a:output:0' } }\n"
        " function { signature { name: 'leaf' input_arg { name: 'x' type: DT_FLOAT }\n"
        "     output_arg { name: 'y' type: DT_FLOAT } }\n"
        "   node_def { name: 'n' op: 'Neg' input: 'x'\n"
        "     attr { key: 'T' value { type: DT_FLOAT } } }\n"
        "   ret { key: 'y' value: 'n:y:0' } }\n"
        "}\n";
    frt_graph *g = load_text(txt);
    uint64_t c;
    TU_OK(frt_graph_inline_count(g, &c, NULL, NULL));
    assert_int_equal(c, 2);  /* c/x and c/a; c/a's expansion is not seen */
    tu_assert_error(frt_graph_inline_functions_limited(g, c), FRT_RESOURCE_EXHAUSTED,
                    "inlining has added 2 nodes to the graph, the limit is 2");
    frt_graph_free(g);
    g = load_text(txt);
    TU_OK(frt_graph_inline_functions(g));
    assert_string_equal(node(g, "c/a/n")->op, "Neg");
    frt_graph_free(g);
}

/* End to end: the 31-level library in a text .meta file is a one-line error from
 * frt_model_load and from the CLI, in well under a second. */
static void doubling_meta_file_is_a_clean_error(void **state) {
    (void)state;
    char *dir = tu_mkdtemp("inline");
    char path[512], cmd[2048];
    snprintf(path, sizeof path, "%s/doubling.meta", dir);
    char *graph = doubling_text(31, CALL_PARTITIONED);
    size_t n = strlen(graph) + 64;
    char *meta = malloc(n);
    assert_non_null(meta);
    snprintf(meta, n, "graph_def {\n%s}\n", graph);
    tu_write_file(path, meta, strlen(meta));
    free(graph);
    free(meta);

    frt_model *m = NULL;
    double t0 = now_s();
    frt_status *st = frt_model_load(path, &m);
    double dt = now_s() - t0;
    assert_null(m);
    assert_true(dt < 1.0);
    assert_non_null(strstr(frt_status_message(st), "function 'f0'"));
    assert_non_null(strstr(frt_status_message(st), "doubling.meta"));
    tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "limit of 1048576");

    snprintf(cmd, sizeof cmd, "'%s' inspect '%s' > '%s/out' 2> '%s/err'", FRT_CLI_PATH, path,
             dir, dir);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 1);
    snprintf(path, sizeof path, "%s/err", dir);
    size_t len;
    char *err = (char *)tu_read_file(path, &len);
    assert_non_null(strstr(err, "function 'f0' at call node 'call' would add 6442450940 nodes"));
    assert_non_null(strchr(err, '\n'));
    assert_int_equal(strchr(err, '\n') - err + 1, (long)len);  /* one line */
    free(err);
    assert_int_equal(tu_rmtree(dir), 0);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tf_nested_calls_compute_tf_values),
        cmocka_unit_test(list_args_placeholders_control_ret),
        cmocka_unit_test(defun_style_and_no_outputs),
        cmocka_unit_test(errors_name_node_and_function),
        cmocka_unit_test(library_copy_is_deep),
        cmocka_unit_test(count_is_the_real_growth),
        cmocka_unit_test(doubling_library_refused_before_expanding),
        cmocka_unit_test(doubling_under_the_limit_inlines),
        cmocka_unit_test(limit_is_sharp),
        cmocka_unit_test(limit_holds_where_the_count_is_blind),
        cmocka_unit_test(doubling_meta_file_is_a_clean_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
