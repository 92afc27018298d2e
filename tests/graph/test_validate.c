/* tests/graph/test_validate.c: frt_graph_finalize resolves inputs, fills defaults, sets
 * output counts and reports every problem at once; topological order skips loop back edges. */
#include "util/graph_util.h"
#include "util/test_util.h"

#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

/* A float scalar Const. */
static int add_const(frt_graph *g, const char *name) {
    frt_tensor *t = tu_scalar_f32(1);
    int i = tu_add_const(g, name, t);
    frt_tensor_unref(t);
    return i;
}

static void resolves_edges_and_sets_outputs(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    int x = tu_add_node(g, "x", "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, x), "dtype", FRT_DTYPE_FLOAT);
    int w = add_const(g, "w");
    int init = tu_add_node(g, "init", "NoOp", NULL);
    int mm = tu_add_node(g, "dense/MatMul", "MatMul", "x,w:0,^init");
    tu_attr_type(tu_node_attrs(g, mm), "T", FRT_DTYPE_FLOAT);
    int un = tu_add_node(g, "un", "Unpack", "dense/MatMul");
    tu_attr_int(tu_node_attrs(g, un), "num", 3);
    int idn = tu_add_node(g, "idn", "IdentityN", "un:2,un:1");
    tu_attr_types(tu_node_attrs(g, idn), "T",
                  (const frt_dtype[]){FRT_DTYPE_FLOAT, FRT_DTYPE_FLOAT}, 2);
    int p = tu_add_node(g, "p", "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, p), "dtype", FRT_DTYPE_BOOL);
    int sw = tu_add_node(g, "sw", "Switch", "idn:1,p");
    int mystery = tu_add_node(g, "mystery", "SomeCustomOp", "sw:1,x:0,^mm_missing_is_not_checked");
    frt_status *st = frt_graph_finalize(g);
    /* The unknown op's inputs are still resolved, so a missing node is reported. */
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "unknown node 'mm_missing_is_not_checked'");
    frt_graph_free(g);

    g = frt_graph_new();
    x = tu_add_node(g, "x", "Placeholder", NULL);
    w = add_const(g, "w");
    init = tu_add_node(g, "init", "NoOp", NULL);
    mm = tu_add_node(g, "dense/MatMul", "MatMul", "x,w:0,^init");
    un = tu_add_node(g, "un", "Unpack", "dense/MatMul");
    tu_attr_int(tu_node_attrs(g, un), "num", 3);
    idn = tu_add_node(g, "idn", "IdentityN", "un:2,un:1");
    tu_attr_types(tu_node_attrs(g, idn), "T",
                  (const frt_dtype[]){FRT_DTYPE_FLOAT, FRT_DTYPE_FLOAT}, 2);
    p = tu_add_node(g, "p", "Placeholder", NULL);
    sw = tu_add_node(g, "sw", "Switch", "idn:1,p");
    mystery = tu_add_node(g, "mystery", "SomeCustomOp", "sw:1,x,^init");
    TU_OK(frt_graph_finalize(g));
    assert_true(g->finalized);

    const frt_node *n = frt_graph_node(g, mm);
    assert_int_equal(n->n_data, 2);
    assert_int_equal(n->data[0].node, x);
    assert_int_equal(n->data[0].index, 0);
    assert_int_equal(n->data[1].node, w);
    assert_int_equal(n->n_ctrl, 1);
    assert_int_equal(n->ctrl[0], init);
    assert_int_equal(n->n_outputs, 1);
    assert_int_equal(frt_graph_node(g, un)->n_outputs, 3);
    assert_int_equal(frt_graph_node(g, idn)->n_outputs, 2);
    assert_int_equal(frt_graph_node(g, idn)->data[0].index, 2);
    assert_int_equal(frt_graph_node(g, sw)->n_outputs, 2);
    assert_int_equal(frt_graph_node(g, init)->n_outputs, 0);
    /* Unknown op: arity unchecked, n_outputs unknown, its inputs still resolved. */
    assert_int_equal(frt_graph_node(g, mystery)->n_outputs, -1);
    assert_int_equal(frt_graph_node(g, mystery)->n_data, 2);
    assert_int_equal(frt_graph_node(g, mystery)->data[0].node, sw);
    assert_int_equal(frt_graph_node(g, mystery)->data[0].index, 1);
    assert_int_equal(frt_graph_node(g, mystery)->ctrl[0], init);
    /* Defaults: MatMul's transpose flags appear. */
    bool ta = true;
    TU_OK(frt_attr_get_bool(tu_node_attrs(g, mm), "transpose_a", true, &ta));
    assert_non_null(frt_attrs_find(tu_node_attrs(g, mm), "transpose_a"));
    assert_false(ta);
    /* Resolving a tensor name now checks the output index. */
    frt_edge e;
    TU_OK(frt_graph_resolve_tensor(g, "un:2", &e));
    assert_int_equal(e.node, un);
    assert_int_equal(e.index, 2);
    tu_assert_error(frt_graph_resolve_tensor(g, "un:3", &e), FRT_INVALID_ARGUMENT, "3 outputs");
    /* Finalizing twice is harmless. */
    TU_OK(frt_graph_finalize(g));
    assert_int_equal(frt_graph_node(g, mm)->n_data, 2);
    frt_graph_free(g);
}

static void conv2d_gets_default_dilations(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "x", "Placeholder", NULL);
    add_const(g, "f");
    int c = tu_add_node(g, "conv", "Conv2D", "x,f");
    tu_attr_type(tu_node_attrs(g, c), "T", FRT_DTYPE_FLOAT);
    tu_attr_ints(tu_node_attrs(g, c), "strides", (const int64_t[]){1, 1, 1, 1}, 4);
    tu_attr_str(tu_node_attrs(g, c), "padding", "SAME");
    TU_OK(frt_graph_finalize(g));
    int64_t d[8];
    int n;
    TU_OK(frt_attr_get_int_list(tu_node_attrs(g, c), "dilations", 8, d, &n));
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) assert_int_equal(d[i], 1);
    const char *fmt = NULL;
    TU_OK(frt_attr_get_str(tu_node_attrs(g, c), "data_format", NULL, &fmt));
    assert_string_equal(fmt, "NHWC");
    assert_non_null(frt_attrs_find(tu_node_attrs(g, c), "explicit_paddings"));
    frt_graph_free(g);
}

static void all_problems_reported_together(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_const(g, "w");
    tu_add_node(g, "x", "Placeholder", NULL);
    tu_add_node(g, "x", "Placeholder", NULL);              /* duplicate */
    tu_add_node(g, "", "NoOp", NULL);                      /* empty name */
    tu_add_node(g, "dense/MatMul", "MatMul", "x,w:3");     /* index out of range */
    tu_add_node(g, "ghost_user", "Identity", "ghost");      /* unknown node */
    tu_add_node(g, "bad_syntax", "Identity", "x:abc");      /* malformed */
    tu_add_node(g, "arity", "AddV2", "x");                  /* 1 of 2 inputs */
    tu_add_node(g, "order", "AddV2", "x,^w,x");              /* data after control */
    int an = tu_add_node(g, "addn", "AddN", "x,x");          /* missing N */
    (void)an;
    tu_add_node(g, "opless", "", NULL);                     /* no op */
    tu_add_node(g, "a", "Identity", "b");                   /* cycle a <- b <- a */
    tu_add_node(g, "b", "Identity", "a");
    tu_add_node(g, "after_cycle", "Identity", "a");          /* downstream, not on the cycle */
    frt_status *st = frt_graph_finalize(g);
    assert_non_null(st);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    const char *m = frt_status_message(st);
    const char *want[] = {
        "node 'x' (Placeholder): duplicate node name",
        "node '' (NoOp): node has an empty name",
        "node 'dense/MatMul' (MatMul): input 1 'w:3' refers to output 3 of 'w' (Const), which "
        "has 1 output",
        "node 'ghost_user' (Identity): input 0 'ghost' refers to unknown node 'ghost'",
        "node 'bad_syntax' (Identity): input 0 'x:abc' is malformed",
        "node 'arity' (AddV2): has 1 data input, but the op takes 2",
        "node 'order' (AddV2): data input 2 'x' comes after a control input",
        "node 'addn' (AddN): AddN: missing attr 'N'",
        "node 'opless' (): node has no op",
        "is on a cycle: ",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(m, want[i])) fail_msg("missing problem '%s' in:\n%s", want[i], m);
    assert_true(strstr(m, "'a' -> 'b' -> 'a'") || strstr(m, "'b' -> 'a' -> 'b'"));
    assert_null(strstr(m, "after_cycle"));
    /* One problem per line. */
    int lines = 1;
    for (const char *p = m; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, (int)(sizeof want / sizeof *want));
    frt_status_free(st);
    assert_false(g->finalized);
    frt_graph_free(g);
}

static void noop_has_no_data_output(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "init", "NoOp", NULL);
    tu_add_node(g, "id", "Identity", "init");
    tu_assert_error(frt_graph_finalize(g), FRT_INVALID_ARGUMENT,
                    "refers to output 0 of 'init' (NoOp), which has 0 outputs");
    frt_graph_free(g);
}

/* Edges carry the dtype the consumer expects, and declared attrs have their kind, a valid
 * dtype and their minimum (found by tests/e2e/test_mutations: a MaxPool whose T disagreed
 * with its input read 8-byte elements from a 4-byte buffer). */
static void type_problems_reported(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    int x = tu_add_node(g, "x", "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, x), "dtype", FRT_DTYPE_FLOAT);
    int mp = tu_add_node(g, "pool", "MaxPool", "x");
    tu_attr_type(tu_node_attrs(g, mp), "T", FRT_DTYPE_INT64);
    tu_attr_ints(tu_node_attrs(g, mp), "ksize", (const int64_t[]){1, 2}, 2);
    tu_attr_ints(tu_node_attrs(g, mp), "strides", (const int64_t[]){1, 1, 1, 1}, 4);
    tu_attr_str(tu_node_attrs(g, mp), "padding", "SAME");
    int kind = tu_add_node(g, "kind", "Identity", "x");
    tu_attr_int(tu_node_attrs(g, kind), "T", 1);
    int inv = tu_add_node(g, "inv", "Identity", "x");
    tu_attr_type(tu_node_attrs(g, inv), "T", FRT_DTYPE_INVALID);
    frt_tensor *iv = tu_scalar_i32(1);
    int bad_const = tu_add_const(g, "bad_const", iv);
    frt_tensor_unref(iv);
    tu_attr_type(tu_node_attrs(g, bad_const), "dtype", FRT_DTYPE_FLOAT);
    int ok = tu_add_node(g, "ok", "Relu", "x");
    tu_attr_type(tu_node_attrs(g, ok), "T", FRT_DTYPE_FLOAT);
    frt_status *st = frt_graph_finalize(g);
    assert_non_null(st);
    const char *m = frt_status_message(st);
    const char *want[] = {
        "node 'pool' (MaxPool): attr 'ksize' has a list of length 2, less than the minimum 4",
        "node 'pool' (MaxPool): input 0 'x' is float32 (output 0 of 'x' (Placeholder)), but "
        "the op expects int64 here",
        "node 'kind' (Identity): attr 'T' must be of type 'type'",
        "node 'inv' (Identity): attr 'T' has an invalid DataType (0)",
        "node 'bad_const' (Const): value has dtype int32, but attr 'dtype' is float32",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(m, want[i])) fail_msg("missing problem '%s' in:\n%s", want[i], m);
    assert_null(strstr(m, "'ok'"));
    frt_status_free(st);
    frt_graph_free(g);
}

/* A TF1 while loop: Enter -> Merge <- NextIteration, Merge -> Switch -> (Exit, body). */
static frt_graph *while_loop(int *ids) {
    frt_graph *g = frt_graph_new();
    ids[0] = add_const(g, "start");
    ids[1] = tu_add_node(g, "enter", "Enter", "start");
    tu_attr_str(tu_node_attrs(g, ids[1]), "frame_name", "loop");
    ids[2] = tu_add_node(g, "merge", "Merge", "enter,next");
    tu_attr_int(tu_node_attrs(g, ids[2]), "N", 2);
    ids[3] = add_const(g, "limit");
    ids[4] = tu_add_node(g, "less", "Less", "merge,limit");
    ids[5] = tu_add_node(g, "cond", "LoopCond", "less");
    ids[6] = tu_add_node(g, "switch", "Switch", "merge,cond");
    ids[7] = tu_add_node(g, "exit", "Exit", "switch");
    ids[8] = tu_add_node(g, "body", "Identity", "switch:1");
    ids[9] = add_const(g, "one");
    ids[10] = tu_add_node(g, "add", "AddV2", "body,one");
    ids[11] = tu_add_node(g, "next", "NextIteration", "add");
    return g;
}

static void loops_are_not_cycles(void **state) {
    (void)state;
    int ids[12];
    frt_graph *g = while_loop(ids);
    TU_OK(frt_graph_finalize(g));
    int order[12], pos[12];
    TU_OK(frt_graph_topo_order(g, order));
    for (int i = 0; i < 12; i++) pos[order[i]] = i;
    for (int i = 0; i < g->n_nodes; i++) {
        const frt_node *n = frt_graph_node(g, i);
        for (int k = 0; k < n->n_data; k++) {
            int p = n->data[k].node;
            if (strcmp(frt_graph_node(g, p)->op, "NextIteration") == 0) continue;
            assert_true(pos[p] < pos[i]);
        }
    }
    assert_true(pos[ids[11]] > pos[ids[10]]);
    frt_graph_free(g);

    /* The same loop with an Identity in place of NextIteration is a real cycle. */
    g = while_loop(ids);
    free(frt_graph_node(g, ids[11])->op);
    frt_graph_node(g, ids[11])->op = strdup("Identity");
    frt_status *st = frt_graph_finalize(g);
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "is on a cycle");
    int order2[12];
    tu_assert_error(frt_graph_topo_order(g, order2), FRT_FAILED_PRECONDITION, "finalized");
    frt_graph_free(g);
}

static void topo_order_is_stable(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "c", "Identity", "a");
    tu_add_node(g, "b", "NoOp", "^a");
    tu_add_node(g, "a", "Placeholder", NULL);
    TU_OK(frt_graph_finalize(g));
    int order[3];
    TU_OK(frt_graph_topo_order(g, order));
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 0);
    assert_int_equal(order[2], 1);
    frt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resolves_edges_and_sets_outputs),
        cmocka_unit_test(conv2d_gets_default_dilations),
        cmocka_unit_test(all_problems_reported_together),
        cmocka_unit_test(noop_has_no_data_output),
        cmocka_unit_test(type_problems_reported),
        cmocka_unit_test(loops_are_not_cycles),
        cmocka_unit_test(topo_order_is_stable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
