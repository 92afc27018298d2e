/* tests/io/test_object_graph.c: TF2 object-graph variable bindings (io/object_graph.h) on
 * TF-made SavedModels: the Keras 3 model saved with tf.saved_model.save (signature reads
 * VarHandleOps other than those the saver restores) and the tf.Module of tests/data/saved/tf2
 * (one variable, plus an asset capture that must be skipped); errors for damaged object
 * graphs and checkpoints; and the Keras model run end to end through the public API. */
#include "util/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowrt/flowrt.h"
#include "graph/metagraph.h"
#include "io/bundle.h"
#include "io/file.h"
#include "io/meta_graph.h"
#include "io/object_graph.h"
#include "io/proto/saved_model.pb-c.h"
#include "io/proto/trackable_object_graph.pb-c.h"
#include "io/saved_model.h"

#define KERAS "savedmodels/keras_tf_saved_model_save/model"
#define TF2 "saved/tf2"

/* ---- helpers ---- */

typedef struct loaded {
    Tensorflow__SavedModel *sm;
    Tensorflow__MetaGraphDef *mgd; /* sm's only MetaGraph */
    frt_metagraph *mg;             /* built from mgd (for its finalized graph) */
} loaded;

static void load_raw(const char *rel, loaded *l) {
    char dir[1024], path[1100];
    tu_data_path(dir, sizeof dir, rel);
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    uint8_t *data;
    size_t len;
    TU_OK(frt_file_read(path, "SavedModel", 0, &data, &len));
    l->sm = tensorflow__saved_model__unpack(NULL, len, data);
    free(data);
    assert_non_null(l->sm);
    assert_int_equal(l->sm->n_meta_graphs, 1);
    l->mgd = l->sm->meta_graphs[0];
    TU_OK(frt_meta_graph_from_proto(l->mgd, dir, &l->mg));
}

static void unload(loaded *l) {
    frt_metagraph_free(l->mg);
    tensorflow__saved_model__free_unpacked(l->sm, NULL);
}

static Tensorflow__SavedConcreteFunction *concrete(Tensorflow__MetaGraphDef *mgd,
                                                   const char *name) {
    Tensorflow__SavedObjectGraph *og = mgd->object_graph_def;
    for (size_t i = 0; i < og->n_concrete_functions; i++)
        if (!strcmp(og->concrete_functions[i]->key, name)) return og->concrete_functions[i]->value;
    fail_msg("no concrete function %s", name);
    return NULL;
}

static Tensorflow__NodeDef *nodedef(Tensorflow__MetaGraphDef *mgd, const char *name) {
    for (size_t i = 0; i < mgd->graph_def->n_node; i++)
        if (!strcmp(mgd->graph_def->node[i]->name, name)) return mgd->graph_def->node[i];
    fail_msg("no node %s", name);
    return NULL;
}

static void assert_binding(const frt_var_binding *b, const char *node, const char *key) {
    assert_string_equal(b->node, node);
    assert_string_equal(b->checkpoint_key, key);
}

static frt_tensor *string_scalar(const void *s, size_t len) {
    frt_tensor *t = NULL;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, NULL, 0, &t));
    TU_OK(frt_tensor_set_string(t, 0, s, len));
    return t;
}

/* Writes a bundle at prefix holding `count/.ATTRIBUTES/VARIABLE_VALUE` (int64 5) and, when
 * graph is non-NULL, _CHECKPOINTABLE_OBJECT_GRAPH = graph (unreferenced by this function). */
static void write_ckpt(const char *prefix, frt_tensor *graph) {
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    int64_t five = 5;
    frt_tensor *v = NULL;
    TU_OK(frt_tensor_new_copy(FRT_DTYPE_INT64, NULL, 0, &five, sizeof five, &v));
    TU_OK(frt_bundle_writer_add(w, "count/.ATTRIBUTES/VARIABLE_VALUE", v));
    if (graph) TU_OK(frt_bundle_writer_add(w, FRT_OBJECT_GRAPH_CHECKPOINT_KEY, graph));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_tensor_unref(v);
}

/* A serialized TrackableObjectGraph: root (0) has children vocab -> 1 and count -> 2 (the
 * SavedObjectGraph of tf2 has count = 1, vocab = 2); node 2 carries attribute `attr` with
 * checkpoint key `key`. */
static frt_tensor *renumbered_graph(const char *attr, const char *key) {
    typedef Tensorflow__TrackableObjectGraph__TrackableObject obj;
    typedef Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference ref;
    typedef Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor ser;
    ref c0 = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__OBJECT_REFERENCE__INIT;
    ref c1 = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__OBJECT_REFERENCE__INIT;
    c0.node_id = 1;
    c0.local_name = "vocab";
    c1.node_id = 2;
    c1.local_name = "count";
    ref *children[] = {&c0, &c1};
    ser a = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__SERIALIZED_TENSOR__INIT;
    a.name = (char *)attr;
    a.full_name = "count";
    a.checkpoint_key = (char *)key;
    ser *attrs[] = {&a};
    obj n0 = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__INIT;
    obj n1 = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__INIT;
    obj n2 = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__INIT;
    n0.n_children = 2;
    n0.children = children;
    n2.n_attributes = 1;
    n2.attributes = attrs;
    obj *nodes[] = {&n0, &n1, &n2};
    Tensorflow__TrackableObjectGraph g = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__INIT;
    g.n_nodes = 3;
    g.nodes = nodes;
    size_t n = tensorflow__trackable_object_graph__get_packed_size(&g);
    uint8_t *buf = malloc(n + 1);
    tensorflow__trackable_object_graph__pack(&g, buf);
    frt_tensor *t = string_scalar(buf, n);
    free(buf);
    return t;
}

/* ---- TF-made SavedModels ---- */

static void test_keras_bound_variables(void **state) {
    (void)state;
    loaded l;
    load_raw(KERAS, &l);
    frt_bound_variable *v;
    int n;
    TU_OK(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n));
    /* StatefulPartitionedCall(serving_default_inputs, kernel, bias, kernel, bias) calls the
     * signature wrapper with bound_inputs [41, 42, 69, 70]; the save/restore calls pass
     * Variable..Variable_3 to functions the object graph does not list. */
    assert_int_equal(n, 4);
    assert_string_equal(v[0].node, "small_cnn/conv/bias");
    assert_int_equal(v[0].object_id, 42);
    assert_string_equal(v[1].node, "small_cnn/conv/kernel");
    assert_int_equal(v[1].object_id, 41);
    assert_string_equal(v[2].node, "small_cnn/probs/bias");
    assert_int_equal(v[2].object_id, 70);
    assert_string_equal(v[3].node, "small_cnn/probs/kernel");
    assert_int_equal(v[3].object_id, 69);
    frt_bound_variables_free(v, n);
    unload(&l);
}

static void test_keras_saved_model_bindings(void **state) {
    (void)state;
    char dir[1024];
    tu_data_path(dir, sizeof dir, KERAS);
    frt_metagraph *mg;
    TU_OK(frt_saved_model_load(dir, NULL, 0, &mg));
    assert_non_null(mg->checkpoint_prefix);
    assert_int_equal(mg->n_var_bindings, 4);
    assert_binding(&mg->var_bindings[0], "small_cnn/conv/bias",
                   "_layers/1/bias/.ATTRIBUTES/VARIABLE_VALUE");
    assert_binding(&mg->var_bindings[1], "small_cnn/conv/kernel",
                   "_layers/1/_kernel/.ATTRIBUTES/VARIABLE_VALUE");
    assert_binding(&mg->var_bindings[2], "small_cnn/probs/bias",
                   "_layers/4/bias/.ATTRIBUTES/VARIABLE_VALUE");
    assert_binding(&mg->var_bindings[3], "small_cnn/probs/kernel",
                   "_layers/4/_kernel/.ATTRIBUTES/VARIABLE_VALUE");
    for (int i = 0; i < 4; i++) {
        int k = frt_graph_find(mg->g, mg->var_bindings[i].node);
        assert_true(k >= 0);
        assert_string_equal(mg->g->nodes[k].op, "VarHandleOp");
    }
    frt_metagraph_free(mg);
}

static void test_tf2_module(void **state) {
    (void)state;
    loaded l;
    load_raw(TF2, &l);
    frt_bound_variable *v;
    int n;
    TU_OK(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n));
    /* peek's wrapper captures [count (variable 1), vocab (asset 2, fed by a ReadVariableOp)]
     * and bump's captures [count]: one binding, the asset skipped. */
    assert_int_equal(concrete(l.mgd, "__inference_signature_wrapper_peek_130")->n_bound_inputs, 2);
    assert_int_equal(n, 1);
    assert_string_equal(v[0].node, "count");
    assert_int_equal(v[0].object_id, 1);
    frt_bound_variables_free(v, n);
    unload(&l);

    char dir[1024];
    tu_data_path(dir, sizeof dir, TF2);
    frt_metagraph *mg;
    TU_OK(frt_saved_model_load(dir, NULL, 0, &mg));
    assert_int_equal(mg->n_var_bindings, 1);
    assert_binding(&mg->var_bindings[0], "count", "count/.ATTRIBUTES/VARIABLE_VALUE");
    frt_metagraph_free(mg);
}

static void test_no_object_graph(void **state) {
    (void)state;
    const char *dirs[] = {"saved/tf1", "saved/tf1_pbtxt", "saved/tf1_legacy"};
    for (int i = 0; i < 3; i++) {
        char dir[1024];
        tu_data_path(dir, sizeof dir, dirs[i]);
        frt_metagraph *mg;
        TU_OK(frt_saved_model_load(dir, NULL, 0, &mg));
        assert_int_equal(mg->n_var_bindings, 0);
        assert_null(mg->var_bindings);
        frt_metagraph_free(mg);
    }
    /* TF2 graph without a checkpoint prefix: nothing to bind */
    loaded l;
    load_raw(KERAS, &l);
    frt_var_binding *b = (frt_var_binding *)1;
    int n = -1;
    TU_OK(frt_object_graph_var_bindings(l.mgd, l.mg->g, NULL, &b, &n));
    assert_null(b);
    assert_int_equal(n, 0);
    unload(&l);
}

/* ---- damaged object graphs ---- */

static void test_bad_bound_inputs(void **state) {
    (void)state;
    const char *wrapper = "__inference_signature_wrapper_serving_default_2506";
    frt_bound_variable *v;
    int n;
    loaded l;

    /* an id outside the object graph */
    load_raw(KERAS, &l);
    concrete(l.mgd, wrapper)->bound_inputs[1] = 999;
    tu_assert_error(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n),
                    FRT_INVALID_ARGUMENT, "has bound input 999");
    assert_null(v);
    unload(&l);

    /* more bound inputs than the call has data inputs (control inputs do not count) */
    load_raw(KERAS, &l);
    Tensorflow__NodeDef *call = nodedef(l.mgd, "StatefulPartitionedCall");
    assert_int_equal(call->n_input, 5);
    for (size_t i = 1; i < 5; i++) call->input[i][0] = '^';
    tu_assert_error(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n),
                    FRT_INVALID_ARGUMENT, "node 'StatefulPartitionedCall' calls '");
    unload(&l);

    /* one VarHandleOp standing for two variable objects */
    load_raw(KERAS, &l);
    call = nodedef(l.mgd, "StatefulPartitionedCall");
    free(call->input[2]);
    call->input[2] = strdup("small_cnn/conv/kernel");
    tu_assert_error(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n),
                    FRT_INVALID_ARGUMENT, "'small_cnn/conv/kernel' is bound to object-graph "
                                          "variables 41 and 42");
    unload(&l);

    /* a capture not fed by a VarHandleOp is skipped, not an error */
    load_raw(KERAS, &l);
    call = nodedef(l.mgd, "StatefulPartitionedCall");
    free(call->input[1]);
    call->input[1] = strdup("serving_default_inputs");
    TU_OK(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &n));
    assert_int_equal(n, 3);
    assert_string_equal(v[0].node, "small_cnn/conv/bias");
    assert_string_equal(v[1].node, "small_cnn/probs/bias");
    frt_bound_variables_free(v, n);
    unload(&l);
}

static void test_checkpoint_object_graphs(void **state) {
    (void)state;
    loaded l;
    load_raw(TF2, &l);
    frt_bound_variable *v;
    int nv;
    TU_OK(frt_object_graph_bound_variables(l.mgd, l.mg->g, &v, &nv));
    assert_int_equal(nv, 1);
    const Tensorflow__SavedObjectGraph *og = l.mgd->object_graph_def;
    char *d = tu_mkdtemp("objgraph"), prefix[600];
    frt_var_binding *b;
    int n;

    /* name-based checkpoint: no object graph, no bindings, no error */
    snprintf(prefix, sizeof prefix, "%s/plain", d);
    write_ckpt(prefix, NULL);
    TU_OK(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n));
    assert_int_equal(n, 0);
    assert_null(b);

    /* matched by path, not by node id */
    snprintf(prefix, sizeof prefix, "%s/renumbered", d);
    frt_tensor *t = renumbered_graph("VARIABLE_VALUE", "the/count/key");
    write_ckpt(prefix, t);
    frt_tensor_unref(t);
    TU_OK(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n));
    assert_int_equal(n, 1);
    assert_binding(&b[0], "count", "the/count/key");
    frt_var_bindings_free(b, n);

    /* the variable's node has no VARIABLE_VALUE attribute */
    snprintf(prefix, sizeof prefix, "%s/noattr", d);
    t = renumbered_graph("OTHER", "x");
    write_ckpt(prefix, t);
    frt_tensor_unref(t);
    TU_OK(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n));
    assert_int_equal(n, 0);

    /* not a TrackableObjectGraph */
    snprintf(prefix, sizeof prefix, "%s/garbage", d);
    t = string_scalar("\xff\xff\xff\xff not a proto", 16);
    write_ckpt(prefix, t);
    frt_tensor_unref(t);
    tu_assert_error(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n),
                    FRT_DATA_LOSS, "not a valid serialized TrackableObjectGraph");
    tu_assert_error(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n),
                    FRT_DATA_LOSS, prefix);

    /* not a string scalar */
    snprintf(prefix, sizeof prefix, "%s/float", d);
    float one = 1;
    TU_OK(frt_tensor_new_copy(FRT_DTYPE_FLOAT, NULL, 0, &one, sizeof one, &t));
    write_ckpt(prefix, t);
    frt_tensor_unref(t);
    tu_assert_error(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n),
                    FRT_DATA_LOSS, "expected a scalar string");

    /* no checkpoint there */
    snprintf(prefix, sizeof prefix, "%s/missing", d);
    tu_assert_error(frt_object_graph_checkpoint_keys(og, v, nv, prefix, &b, &n),
                    FRT_NOT_FOUND, "missing");

    frt_bound_variables_free(v, nv);
    unload(&l);
    tu_rmtree(d);
    free(d);
}

/* A SavedModel whose variables/ checkpoint has a damaged object graph fails to load, naming
 * the SavedModel file and the checkpoint. */
static void test_saved_model_damaged_checkpoint(void **state) {
    (void)state;
    char src[1024], path[1100];
    tu_data_path(src, sizeof src, TF2);
    snprintf(path, sizeof path, "%s/saved_model.pb", src);
    uint8_t *data;
    size_t len;
    TU_OK(frt_file_read(path, "SavedModel", 0, &data, &len));
    char *d = tu_mkdtemp("objgraph"), dst[700], prefix[700];
    snprintf(dst, sizeof dst, "%s/saved_model.pb", d);
    tu_write_file(dst, data, len);
    free(data);
    snprintf(dst, sizeof dst, "%s/variables", d);
    assert_int_equal(mkdir(dst, 0755), 0);
    snprintf(prefix, sizeof prefix, "%s/variables/variables", d);
    frt_tensor *t = string_scalar("\x0a\x05garbage", 9);
    write_ckpt(prefix, t);
    frt_tensor_unref(t);
    frt_metagraph *mg = (frt_metagraph *)1;
    frt_status *st = frt_saved_model_load(d, NULL, 0, &mg);
    assert_null(mg);
    assert_non_null(st);
    assert_int_equal(frt_status_code(st), FRT_DATA_LOSS);
    assert_non_null(strstr(frt_status_message(st), prefix));
    snprintf(dst, sizeof dst, "%s/saved_model.pb", d);
    assert_non_null(strstr(frt_status_message(st), dst));
    frt_status_free(st);
    tu_rmtree(d);
    free(d);
}

/* ---- end to end through the public API ---- */

static void test_keras_end_to_end(void **state) {
    (void)state;
    char dir[1024], in_path[1024], out_path[1024];
    tu_data_path(dir, sizeof dir, KERAS);
    tu_data_path(in_path, sizeof in_path, "savedmodels/keras_tf_saved_model_save/input_0.npy");
    tu_data_path(out_path, sizeof out_path,
                 "savedmodels/keras_tf_saved_model_save/output_0.npy");
    frt_model *m;
    TU_OK(frt_model_load_saved_model(dir, NULL, 0, &m));
    frt_session *s;
    TU_OK(frt_session_new(NULL, m, &s));
    frt_tensor *x, *want, *got = NULL;
    TU_OK(frt_npy_read(in_path, &x));
    TU_OK(frt_npy_read(out_path, &want));
    const char *in_key = "inputs", *out_key = "output_0";
    TU_OK(frt_session_run_signature(s, NULL, &in_key, &x, 1, &out_key, &got, 1));
    tu_assert_close_f32(got, want, 1e-6f, 1e-4f);
    frt_tensor_unref(x);
    frt_tensor_unref(want);
    frt_tensor_unref(got);
    frt_session_free(s);
    frt_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keras_bound_variables),
        cmocka_unit_test(test_keras_saved_model_bindings),
        cmocka_unit_test(test_tf2_module),
        cmocka_unit_test(test_no_object_graph),
        cmocka_unit_test(test_bad_bound_inputs),
        cmocka_unit_test(test_checkpoint_object_graphs),
        cmocka_unit_test(test_saved_model_damaged_checkpoint),
        cmocka_unit_test(test_keras_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
