/* tests/graph/test_freeze.c: the freeze pass (graph/freeze.c) on graphs built in code:
 * TF1 ref variables with init/Assign, TF2 resource variables read through inlined-argument
 * Identity nodes, lookup errors, outputs that depend on variable updates. */
#include "util/test_util.h"

#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#include "graph/freeze.h"
#include "graph/function.h"
#include "io/graphdef.h"
#include "io/graphdef_write.h"
#include "runtime/model.h"

typedef struct vars {
    const char *names[4];
    frt_tensor *values[4];
    int n, calls;
} vars;

static frt_status *lookup(void *ctx, const char *node, const char *op, const frt_attrs *attrs,
                          frt_tensor **value) {
    vars *v = ctx;
    v->calls++;
    assert_non_null(frt_attrs_find(attrs, "dtype"));
    assert_true(!strcmp(op, "VariableV2") || !strcmp(op, "VarHandleOp"));
    for (int i = 0; i < v->n; i++)
        if (!strcmp(v->names[i], node)) {
            *value = frt_tensor_ref(v->values[i]);
            return NULL;
        }
    return frt_status_new(FRT_FAILED_PRECONDITION, "Attempting to use uninitialized value");
}

static int add(frt_graph *g, const char *name, const char *op, const char *in0,
               const char *in1) {
    int i = frt_graph_add_node(g, name, op, "");
    if (in0) frt_node_add_input(frt_graph_node(g, i), in0);
    if (in1) frt_node_add_input(frt_graph_node(g, i), in1);
    return i;
}

static frt_attrs *attrs(frt_graph *g, int i) { return &frt_graph_node(g, i)->attrs; }

/* x [1,2] @ v [2,2] where v is a TF1 VariableV2 with its initializer, an init NoOp and a
 * save-like subgraph that must vanish. */
static frt_graph *tf1_graph(void) {
    frt_graph *g = frt_graph_new();
    int v = add(g, "v", "VariableV2", NULL, NULL);
    tu_attr_type(attrs(g, v), "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(attrs(g, v), "shape", TU_DIMS(2, 2), 2);
    int init = add(g, "v/initial_value", "Const", NULL, NULL);
    frt_tensor *z = tu_f32(TU_DIMS(2, 2), 2, TU_F32(0, 0, 0, 0));
    tu_attr_tensor(attrs(g, init), "value", z);
    frt_tensor_unref(z);
    tu_attr_type(attrs(g, init), "dtype", FRT_DTYPE_FLOAT);
    int as = add(g, "v/Assign", "Assign", "v", "v/initial_value");
    tu_attr_type(attrs(g, as), "T", FRT_DTYPE_FLOAT);
    add(g, "init", "NoOp", "^v/Assign", NULL);
    int rd = add(g, "v/read", "Identity", "v", NULL);
    tu_attr_type(attrs(g, rd), "T", (frt_dtype)(FRT_DTYPE_FLOAT + 100)); /* a _REF type */
    int x = add(g, "x", "Placeholder", NULL, NULL);
    tu_attr_type(attrs(g, x), "dtype", FRT_DTYPE_FLOAT);
    int mm = add(g, "MatMul", "MatMul", "x", "v/read");
    tu_attr_type(attrs(g, mm), "T", FRT_DTYPE_FLOAT);
    int save = add(g, "save/Identity", "Identity", "v", "^init");
    tu_attr_type(attrs(g, save), "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));
    return g;
}

static frt_tensor *run(frt_graph *frozen, const char *feed, frt_tensor *x, const char *fetch) {
    frt_model *m = frt_model_from_graph(frozen, "frozen");
    frt_session *s = NULL;
    TU_OK(frt_session_new(NULL, m, &s));
    frt_tensor *out = NULL;
    TU_OK(frt_session_run(s, &feed, &x, feed ? 1 : 0, &fetch, &out, 1, NULL, 0));
    frt_session_free(s);
    frt_model_free(m);
    return out;
}

static void tf1_variables_become_consts(void **state) {
    (void)state;
    frt_graph *g = tf1_graph();
    vars vs = {.names = {"v"}, .n = 1};
    vs.values[0] = tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4));
    frt_edge outs[] = {{frt_graph_find(g, "MatMul"), 0}};
    frt_graph *f = NULL;
    TU_OK(frt_graph_freeze(g, outs, 1, lookup, &vs, &f));
    assert_int_equal(vs.calls, 1);
    assert_int_equal(f->n_nodes, 4); /* v, v/read, x, MatMul */
    assert_true(f->finalized);
    const frt_node *v = &f->nodes[frt_graph_find(f, "v")];
    assert_string_equal(v->op, "Const");
    tu_assert_equal(frt_attr_get_tensor(&v->attrs, "value"), vs.values[0]);
    const frt_node *rd = &f->nodes[frt_graph_find(f, "v/read")];
    assert_string_equal(rd->op, "Identity");
    assert_int_equal(frt_attrs_find(&rd->attrs, "T")->v.type, FRT_DTYPE_FLOAT);
    assert_int_equal(frt_graph_find(f, "v/Assign"), -1);
    assert_int_equal(frt_graph_find(f, "init"), -1);
    assert_int_equal(frt_graph_find(f, "save/Identity"), -1);
    assert_null(frt_graph_library(f));

    frt_tensor *x = tu_f32(TU_DIMS(1, 2), 2, TU_F32(1, 1));
    frt_tensor *y = run(f, "x", x, "MatMul");
    frt_tensor *want = tu_f32(TU_DIMS(1, 2), 2, TU_F32(4, 6));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_tensor_unref(vs.values[0]);
    frt_graph_free(g);
}

/* TF2: VarHandleOp → Identity(resource) (an inlined function arg) → ReadVariableOp, plus a
 * direct ReadVariableOp and an AssignVariableOp that no output needs. */
static void tf2_resource_reads_become_identities(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    int h = add(g, "w", "VarHandleOp", NULL, NULL);
    tu_attr_type(attrs(g, h), "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(attrs(g, h), "shape", TU_DIMS(2), 1);
    tu_attr_str(attrs(g, h), "shared_name", "w");
    int arg = add(g, "call/w_arg", "Identity", "w", NULL);
    tu_attr_type(attrs(g, arg), "T", FRT_DTYPE_RESOURCE);
    int r1 = add(g, "call/ReadVariableOp", "ReadVariableOp", "call/w_arg", NULL);
    tu_attr_type(attrs(g, r1), "dtype", FRT_DTYPE_FLOAT);
    int r2 = add(g, "read2", "ReadVariableOp", "w", NULL);
    tu_attr_type(attrs(g, r2), "dtype", FRT_DTYPE_FLOAT);
    int sum = add(g, "sum", "AddV2", "call/ReadVariableOp", "read2");
    tu_attr_type(attrs(g, sum), "T", FRT_DTYPE_FLOAT);
    int idn = add(g, "call", "IdentityN", "sum", "call/w_arg");
    frt_dtype ts[] = {FRT_DTYPE_FLOAT, FRT_DTYPE_RESOURCE};
    tu_attr_types(attrs(g, idn), "T", ts, 2);
    int k = add(g, "k", "Const", NULL, NULL);
    frt_tensor *kv = tu_f32(TU_DIMS(2), 1, TU_F32(9, 9));
    tu_attr_tensor(attrs(g, k), "value", kv);
    frt_tensor_unref(kv);
    tu_attr_type(attrs(g, k), "dtype", FRT_DTYPE_FLOAT);
    int as = add(g, "assign", "AssignVariableOp", "w", "k");
    tu_attr_type(attrs(g, as), "dtype", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));

    vars vs = {.names = {"w"}, .n = 1};
    vs.values[0] = tu_f32(TU_DIMS(2), 1, TU_F32(1.5f, -2));
    frt_edge outs[] = {{frt_graph_find(g, "call"), 0}, {frt_graph_find(g, "call"), 1}};
    frt_graph *f = NULL;
    TU_OK(frt_graph_freeze(g, outs, 2, lookup, &vs, &f));
    assert_int_equal(f->n_nodes, 6);
    assert_int_equal(frt_graph_find(f, "assign"), -1);
    assert_int_equal(frt_graph_find(f, "k"), -1);
    assert_string_equal(f->nodes[frt_graph_find(f, "w")].op, "Const");
    const frt_node *r = &f->nodes[frt_graph_find(f, "call/ReadVariableOp")];
    assert_string_equal(r->op, "Identity");
    assert_string_equal(r->inputs[0], "call/w_arg");
    assert_int_equal(frt_attrs_find(&r->attrs, "T")->v.type, FRT_DTYPE_FLOAT);
    const frt_node *a = &f->nodes[frt_graph_find(f, "call/w_arg")];
    assert_int_equal(frt_attrs_find(&a->attrs, "T")->v.type, FRT_DTYPE_FLOAT);
    const frt_attr_value *t = frt_attrs_find(&f->nodes[frt_graph_find(f, "call")].attrs, "T");
    assert_int_equal(t->v.list.v.type[1], FRT_DTYPE_FLOAT);

    frt_tensor *y = run(f, NULL, NULL, "call:0");
    frt_tensor *want = tu_f32(TU_DIMS(2), 1, TU_F32(3, -4));
    tu_assert_close_f32(y, want, 0, 0);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_tensor_unref(vs.values[0]);
    frt_graph_free(g);
}

static void lookup_errors_name_the_variable(void **state) {
    (void)state;
    frt_graph *g = tf1_graph();
    vars vs = {.n = 0};
    frt_edge outs[] = {{frt_graph_find(g, "MatMul"), 0}};
    frt_graph *f = (frt_graph *)1;
    frt_status *st = frt_graph_freeze(g, outs, 1, lookup, &vs, &f);
    assert_null(f);
    assert_non_null(strstr(frt_status_message(st), "uninitialized"));
    tu_assert_error(st, FRT_FAILED_PRECONDITION, "variable 'v' (VariableV2)");

    /* A value of the wrong dtype. */
    vs = (vars){.names = {"v"}, .n = 1};
    vs.values[0] = tu_i32(TU_DIMS(2, 2), 2, TU_I32(1, 2, 3, 4));
    tu_assert_error(frt_graph_freeze(g, outs, 1, lookup, &vs, &f), FRT_INVALID_ARGUMENT,
                    "variable 'v' (VariableV2) has dtype DT_FLOAT");
    frt_tensor_unref(vs.values[0]);
    frt_graph_free(g);
}

static void outputs_depending_on_updates_are_refused(void **state) {
    (void)state;
    frt_graph *g = tf1_graph();
    vars vs = {.names = {"v"}, .n = 1};
    vs.values[0] = tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4));
    frt_graph *f = NULL;
    /* save/Identity waits for init, which runs v/Assign. */
    frt_edge outs[] = {{frt_graph_find(g, "save/Identity"), 0}};
    tu_assert_error(frt_graph_freeze(g, outs, 1, lookup, &vs, &f), FRT_FAILED_PRECONDITION,
                    "node 'v/Assign' (Assign) modifies variable 'v'");
    assert_null(f);
    /* Fetching the variable itself is fine: it becomes the Const. */
    frt_edge vo[] = {{frt_graph_find(g, "v"), 0}};
    TU_OK(frt_graph_freeze(g, vo, 1, lookup, &vs, &f));
    assert_int_equal(f->n_nodes, 1);
    frt_graph_free(f);
    /* Bad output edge; unfinalized graph. */
    frt_edge bad[] = {{frt_graph_find(g, "v"), 3}};
    tu_assert_error(frt_graph_freeze(g, bad, 1, lookup, &vs, &f), FRT_INVALID_ARGUMENT,
                    "out of range");
    frt_graph *raw = frt_graph_new();
    tu_assert_error(frt_graph_freeze(raw, vo, 0, lookup, &vs, &f), FRT_FAILED_PRECONDITION,
                    "finalized");
    frt_graph_free(raw);
    frt_tensor_unref(vs.values[0]);
    frt_graph_free(g);

    /* A resource update reached through a control edge. */
    g = frt_graph_new();
    int h = add(g, "w", "VarHandleOp", NULL, NULL);
    tu_attr_type(attrs(g, h), "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(attrs(g, h), "shape", NULL, 0);
    int k = add(g, "k", "Const", NULL, NULL);
    frt_tensor *kv = tu_scalar_f32(1);
    tu_attr_tensor(attrs(g, k), "value", kv);
    frt_tensor_unref(kv);
    tu_attr_type(attrs(g, k), "dtype", FRT_DTYPE_FLOAT);
    int as = add(g, "assign", "AssignVariableOp", "w", "k");
    tu_attr_type(attrs(g, as), "dtype", FRT_DTYPE_FLOAT);
    int o = add(g, "out", "Identity", "k", "^assign");
    tu_attr_type(attrs(g, o), "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));
    frt_edge oo[] = {{o, 0}};
    tu_assert_error(frt_graph_freeze(g, oo, 1, lookup, &vs, &f), FRT_FAILED_PRECONDITION,
                    "node 'assign' (AssignVariableOp) modifies variable 'w'");
    frt_graph_free(g);
}

/* Variable values of a TF-made fixture: tests/data/func/tf2_module/vars/<node>.npy. */
static frt_status *npy_lookup(void *ctx, const char *node, const char *op,
                              const frt_attrs *attrs, frt_tensor **value) {
    (void)attrs;
    int *calls = ctx;
    (*calls)++;
    assert_string_equal(op, "VarHandleOp");
    char rel[256], p[512];
    snprintf(rel, sizeof rel, "func/tf2_module/vars/%s.npy", node);
    return frt_npy_read(tu_data_path(p, sizeof p, rel), value);
}

/* A real TF2 SavedModel graph: inline the serving/save/restore functions, freeze the serving
 * output, and get TF's values; the frozen graph writes and reloads without a library. */
static void tf2_saved_model_graph_inlines_and_freezes(void **state) {
    (void)state;
    char p[512];
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "func/tf2_module/model.pb"), &g));
    TU_OK(frt_graph_inline_functions(g));
    TU_OK(frt_graph_finalize(g));
    frt_edge out;
    TU_OK(frt_graph_resolve_tensor(g, "StatefulPartitionedCall:0", &out));
    frt_graph *f = NULL;
    int calls = 0;
    TU_OK(frt_graph_freeze(g, &out, 1, npy_lookup, &calls, &f));
    assert_int_equal(calls, 2);
    for (int i = 0; i < f->n_nodes; i++) {
        const char *op = f->nodes[i].op;
        assert_true(strcmp(op, "VarHandleOp") && strcmp(op, "ReadVariableOp") &&
                    strcmp(op, "RestoreV2") && strcmp(op, "SaveV2") &&
                    strcmp(op, "StatefulPartitionedCall") && strcmp(op, "AssignVariableOp"));
    }
    assert_true(f->n_nodes < g->n_nodes / 2);
    frt_graph_free(g);

    void *buf;
    size_t len;
    TU_OK(frt_graphdef_write_buffer(f, &buf, &len));
    frt_graph *h = NULL;
    TU_OK(frt_graphdef_load_buffer(buf, len, false, "frozen", &h));
    free(buf);
    assert_null(frt_graph_library(h));
    assert_int_equal(h->n_nodes, f->n_nodes);
    frt_graph_free(f);
    TU_OK(frt_graph_finalize(h));

    frt_tensor *x = NULL, *want = NULL;
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "func/tf2_module/input_0.npy"), &x));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "func/tf2_module/output_0.npy"), &want));
    frt_tensor *y = run(h, "serving_default_x", x, "StatefulPartitionedCall:0");
    tu_assert_close_f32(y, want, 1e-6f, 1e-6f);
    frt_tensor_unref(x);
    frt_tensor_unref(want);
    frt_tensor_unref(y);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tf1_variables_become_consts),
        cmocka_unit_test(tf2_resource_reads_become_identities),
        cmocka_unit_test(lookup_errors_name_the_variable),
        cmocka_unit_test(outputs_depending_on_updates_are_refused),
        cmocka_unit_test(tf2_saved_model_graph_inlines_and_freezes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
