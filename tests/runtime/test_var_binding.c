/* tests/runtime/test_var_binding.c: frt_metagraph_bind_variables (runtime/var_binding.h) on a
 * hand-built metagraph and a flowrt-written checkpoint: uninitialised variables are assigned
 * from their checkpoint keys (variable named by shared_name, or node name + container),
 * initialised ones are left alone, and dtype/shape mismatches, missing keys and bindings to
 * non-VarHandleOps are errors naming what is wrong. */
#include "util/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowrt/flowrt.h"
#include "graph/metagraph.h"
#include "io/bundle.h"
#include "runtime/var_binding.h"

typedef struct fixture {
    char *dir;
    char prefix[128];
    frt_metagraph *mg;
    frt_resource_mgr *res;
} fixture;

static int add(frt_graph *g, const char *name, const char *op, frt_dtype dt,
               const int64_t *dims, int ndim) {
    int i = frt_graph_add_node(g, name, op, "");
    frt_attrs *a = &frt_graph_node(g, i)->attrs;
    tu_attr_type(a, "dtype", dt);
    tu_attr_shape(a, "shape", dims, ndim);
    return i;
}

/* Graph: VarHandleOp v (shared_name sv, float [2]), VarHandleOp w (container ctr, no
 * shared_name, float with unknown shape), Placeholder p. Checkpoint: k = [1, 2],
 * k3 = [1, 2, 3], ki = int32 [7, 8]. */
static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = tu_mkdtemp("varbind");
    snprintf(f->prefix, sizeof f->prefix, "%s/ckpt", f->dir);
    frt_bundle_writer *w;
    if (frt_bundle_writer_new(f->prefix, &w)) return -1;
    frt_tensor *k = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    frt_tensor *k3 = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 3));
    frt_tensor *ki = tu_i32(TU_DIMS(2), 1, TU_I32(7, 8));
    TU_OK(frt_bundle_writer_add(w, "k", k));
    TU_OK(frt_bundle_writer_add(w, "k3", k3));
    TU_OK(frt_bundle_writer_add(w, "ki", ki));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_tensor_unref(k);
    frt_tensor_unref(k3);
    frt_tensor_unref(ki);

    frt_graph *g = frt_graph_new();
    int v = add(g, "v", "VarHandleOp", FRT_DTYPE_FLOAT, TU_DIMS(2), 1);
    tu_attr_str(&frt_graph_node(g, v)->attrs, "shared_name", "sv");
    int wn = add(g, "w", "VarHandleOp", FRT_DTYPE_FLOAT, NULL, -1);
    tu_attr_str(&frt_graph_node(g, wn)->attrs, "container", "ctr");
    int p = frt_graph_add_node(g, "p", "Placeholder", "");
    tu_attr_type(&frt_graph_node(g, p)->attrs, "dtype", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));
    f->mg = frt_metagraph_new(g);
    f->mg->checkpoint_prefix = strdup(f->prefix);
    f->res = frt_resource_mgr_new();
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    frt_metagraph_free(f->mg);
    frt_resource_mgr_free(f->res);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Sets the metagraph's bindings to (node[i], key[i]). */
static void bind(fixture *f, const char *const *node, const char *const *key, int n) {
    for (int i = 0; i < f->mg->n_var_bindings; i++) {
        free(f->mg->var_bindings[i].node);
        free(f->mg->var_bindings[i].checkpoint_key);
    }
    free(f->mg->var_bindings);
    f->mg->var_bindings = calloc((size_t)n + 1, sizeof *f->mg->var_bindings);
    for (int i = 0; i < n; i++) {
        f->mg->var_bindings[i].node = strdup(node[i]);
        f->mg->var_bindings[i].checkpoint_key = strdup(key[i]);
    }
    f->mg->n_var_bindings = n;
}

static frt_variable *var(fixture *f, const char *container, const char *name) {
    frt_variable *v;
    TU_OK(frt_resource_mgr_variable(f->res, container, name, FRT_DTYPE_INVALID, NULL, &v));
    return v;
}

static void test_assigns_uninitialised(void **state) {
    fixture *f = *state;
    bind(f, (const char *[]){"v", "w"}, (const char *[]){"k", "k3"}, 2);
    TU_OK(frt_metagraph_bind_variables(f->mg, f->res));
    frt_variable *v = var(f, "", "sv"), *w = var(f, "ctr", "w");
    frt_tensor *t;
    TU_OK(frt_variable_read(v, &t));
    frt_tensor *want = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    tu_assert_equal(t, want);
    frt_tensor_unref(t);
    frt_tensor_unref(want);
    TU_OK(frt_variable_read(w, &t));
    want = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 3));
    tu_assert_equal(t, want);
    frt_tensor_unref(t);
    frt_tensor_unref(want);
    /* the node-name variable is not created under the empty container */
    frt_variable *stray = var(f, "", "w");
    assert_false(frt_variable_is_initialized(stray));
    frt_resource_unref(&stray->base);
    frt_resource_unref(&v->base);
    frt_resource_unref(&w->base);
}

static void test_keeps_initialised(void **state) {
    fixture *f = *state;
    frt_variable *v = var(f, "", "sv");
    frt_tensor *restored = tu_f32(TU_DIMS(2), 1, TU_F32(9, 9));
    TU_OK(frt_variable_assign(v, restored, true));
    bind(f, (const char *[]){"v"}, (const char *[]){"k"}, 1);
    TU_OK(frt_metagraph_bind_variables(f->mg, f->res));
    frt_tensor *t;
    TU_OK(frt_variable_read(v, &t));
    tu_assert_equal(t, restored);
    frt_tensor_unref(t);
    frt_tensor_unref(restored);
    /* the checkpoint is not even opened when nothing needs it */
    free(f->mg->checkpoint_prefix);
    f->mg->checkpoint_prefix = strdup("/nonexistent/ckpt");
    TU_OK(frt_metagraph_bind_variables(f->mg, f->res));
    frt_resource_unref(&v->base);
}

static void test_errors(void **state) {
    fixture *f = *state;
    bind(f, (const char *[]){"v"}, (const char *[]){"k3"}, 1);
    frt_status *st = frt_metagraph_bind_variables(f->mg, f->res);
    tu_assert_error(st, FRT_INVALID_ARGUMENT,
                    "variable 'sv': checkpoint key 'k3' holds shape [3], but VarHandleOp 'v' "
                    "has shape [2]");
    bind(f, (const char *[]){"v"}, (const char *[]){"ki"}, 1);
    tu_assert_error(frt_metagraph_bind_variables(f->mg, f->res), FRT_INVALID_ARGUMENT,
                    "checkpoint key 'ki' holds a int32 tensor, but VarHandleOp 'v' has dtype "
                    "float");
    bind(f, (const char *[]){"v"}, (const char *[]){"nokey"}, 1);
    tu_assert_error(frt_metagraph_bind_variables(f->mg, f->res), FRT_NOT_FOUND, "nokey");
    bind(f, (const char *[]){"p"}, (const char *[]){"k"}, 1);
    tu_assert_error(frt_metagraph_bind_variables(f->mg, f->res), FRT_INVALID_ARGUMENT,
                    "names node 'p', which is not a VarHandleOp");
    bind(f, (const char *[]){"gone"}, (const char *[]){"k"}, 1);
    tu_assert_error(frt_metagraph_bind_variables(f->mg, f->res), FRT_INVALID_ARGUMENT,
                    "'gone'");
    /* the failed bindings left the variable uninitialised */
    frt_variable *v = var(f, "", "sv");
    assert_false(frt_variable_is_initialized(v));
    frt_resource_unref(&v->base);
    /* a missing checkpoint is reported when a variable needs it */
    free(f->mg->checkpoint_prefix);
    f->mg->checkpoint_prefix = strdup("/nonexistent/ckpt");
    bind(f, (const char *[]){"v"}, (const char *[]){"k"}, 1);
    tu_assert_error(frt_metagraph_bind_variables(f->mg, f->res), FRT_NOT_FOUND,
                    "/nonexistent/ckpt");
    /* no checkpoint prefix: nothing to do */
    free(f->mg->checkpoint_prefix);
    f->mg->checkpoint_prefix = NULL;
    TU_OK(frt_metagraph_bind_variables(f->mg, f->res));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_assigns_uninitialised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keeps_initialised, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
