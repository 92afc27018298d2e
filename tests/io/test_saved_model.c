/* tests/io/test_saved_model.c: MetaGraph and SavedModel loading (io/meta_graph.h,
 * io/saved_model.h) on TF-written fixtures (tests/data/saved, tools/gen_saved_fixtures.py):
 * tag sets, signatures, saver fields, init ops, assets, checkpoint prefixes, functions inlined;
 * .pbtxt loads as .pb; plus hand-written SavedModels for each error path. */
#include "util/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph/metagraph.h"
#include "io/meta_graph.h"
#include "io/saved_model.h"

static char *data_dir(const char *rel) {
    char buf[1024];
    return strdup(tu_data_path(buf, sizeof buf, rel));
}

static char *cat(const char *a, const char *b) {
    char *s = malloc(strlen(a) + strlen(b) + 1);
    strcpy(s, a);
    strcat(s, b);
    return s;
}

static const frt_tensor_info *info(const frt_signature *s, bool input, const char *key) {
    int n = input ? s->n_inputs : s->n_outputs;
    const frt_tensor_info *t = input ? s->inputs : s->outputs;
    for (int i = 0; i < n; i++)
        if (!strcmp(t[i].key, key)) return &t[i];
    fail_msg("signature %s has no %s %s", s->name, input ? "input" : "output", key);
    return NULL;
}

static void assert_info(const frt_tensor_info *t, const char *tensor, frt_dtype dt, int ndim,
                        const int64_t *dims) {
    assert_string_equal(t->tensor, tensor);
    assert_int_equal(t->dtype, dt);
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++) assert_int_equal(t->dims[i], dims[i]);
}

static const frt_node *node(const frt_metagraph *mg, const char *name) {
    int i = frt_graph_find(mg->g, name);
    if (i < 0) fail_msg("no node %s", name);
    return &mg->g->nodes[i];
}

/* The {serve} MetaGraph of tf1 (also tf1_pbtxt, which holds the same message as text). */
static void check_tf1_serve(const frt_metagraph *mg, const char *dir) {
    assert_true(mg->g->finalized);
    assert_int_equal(mg->n_tags, 1);
    assert_string_equal(mg->tags[0], "serve");
    assert_string_equal(node(mg, "v")->op, "VariableV2");
    assert_string_equal(node(mg, "v/read")->op, "Identity");

    assert_int_equal(mg->n_signatures, 2);
    assert_string_equal(mg->signatures[0].name, "double"); /* sorted */
    assert_string_equal(mg->signatures[1].name, "serving_default");
    const frt_signature *s = frt_metagraph_find_signature(mg, "serving_default");
    assert_ptr_equal(s, &mg->signatures[1]);
    assert_string_equal(s->method, "tensorflow/serving/predict");
    assert_int_equal(s->n_inputs, 1);
    assert_int_equal(s->n_outputs, 1);
    assert_info(info(s, true, "x"), "x:0", FRT_DTYPE_FLOAT, 2, TU_DIMS(-1, 2));
    assert_info(info(s, false, "y"), "y:0", FRT_DTYPE_FLOAT, 2, TU_DIMS(-1, 2));
    s = frt_metagraph_find_signature(mg, "double");
    assert_info(info(s, true, "n"), "n:0", FRT_DTYPE_INT32, 0, NULL);
    assert_info(info(s, false, "doubled"), "n2:0", FRT_DTYPE_INT32, 0, NULL);
    assert_null(frt_metagraph_find_signature(mg, "nope"));

    assert_string_equal(mg->saver_filename_tensor, "save/Const:0");
    assert_string_equal(mg->saver_restore_op, "save/restore_all");
    assert_string_equal(mg->saver_save_tensor, "save/Identity:0");
    assert_int_equal(mg->saver_version, 2);

    assert_int_equal(mg->n_init_ops, 1);
    assert_string_equal(mg->init_ops[0], "main_op");

    /* TF 2.21's TF1 Builder records the asset in the saved_model_assets collection. */
    assert_int_equal(mg->n_assets, 1);
    assert_string_equal(mg->assets[0].tensor, "asset_path:0");
    char *want = cat(dir, "/assets/vocab.txt");
    assert_string_equal(mg->assets[0].path, want);
    free(want);
    assert_true(access(mg->assets[0].path, R_OK) == 0);

    want = cat(dir, "/variables/variables");
    assert_non_null(mg->checkpoint_prefix);
    assert_string_equal(mg->checkpoint_prefix, want);
    free(want);
}

static void tf1_default_tags(void **state) {
    (void)state;
    char *dir = data_dir("saved/tf1");
    frt_metagraph *mg;
    TU_OK(frt_saved_model_load(dir, NULL, 0, &mg));
    check_tf1_serve(mg, dir);
    frt_metagraph_free(mg);
    /* {"serve"} given explicitly (duplicates ignored: tags are a set). */
    TU_OK(frt_saved_model_load(dir, (const char *[]){"serve", "serve"}, 2, &mg));
    check_tf1_serve(mg, dir);
    frt_metagraph_free(mg);
    free(dir);
}

static void tf1_other_tag_sets(void **state) {
    (void)state;
    char *dir = data_dir("saved/tf1");
    frt_metagraph *mg;
    /* Order does not matter. The second MetaGraph has its own saver (save_1). */
    TU_OK(frt_saved_model_load(dir, (const char *[]){"gpu", "serve"}, 2, &mg));
    assert_int_equal(mg->n_tags, 2);
    assert_int_equal(mg->n_signatures, 1);
    assert_string_equal(mg->signatures[0].name, "serving_default");
    assert_string_equal(mg->saver_restore_op, "save_1/restore_all");
    assert_string_equal(mg->saver_filename_tensor, "save_1/Const:0");
    assert_int_equal(mg->n_init_ops, 1);
    assert_string_equal(mg->init_ops[0], "main_op");
    frt_metagraph_free(mg);

    TU_OK(frt_saved_model_load(dir, (const char *[]){"train"}, 1, &mg));
    assert_int_equal(mg->n_signatures, 0);
    assert_string_equal(mg->saver_restore_op, "save_2/restore_all");
    frt_metagraph_free(mg);

    /* Subsets and supersets do not match: the set must be equal. */
    frt_status *st = frt_saved_model_load(dir, (const char *[]){"serve", "tpu"}, 2, &mg);
    assert_null(mg);
    assert_int_equal(frt_status_code(st), FRT_NOT_FOUND);
    const char *msg = frt_status_message(st);
    assert_non_null(strstr(msg, "saved/tf1/saved_model.pb"));
    assert_non_null(strstr(msg, "no MetaGraph with tags {serve, tpu}"));
    assert_non_null(strstr(msg, "available tag sets: {serve}, {serve, gpu}, {train}"));
    frt_status_free(st);
    tu_assert_error(frt_saved_model_load(dir, (const char *[]){"gpu"}, 1, &mg), FRT_NOT_FOUND,
                    "{gpu}");
    free(dir);
}

static void pbtxt_loads_like_pb(void **state) {
    (void)state;
    char *dir = data_dir("saved/tf1"), *tdir = data_dir("saved/tf1_pbtxt");
    frt_metagraph *a, *b;
    TU_OK(frt_saved_model_load(dir, NULL, 0, &a));
    TU_OK(frt_saved_model_load(tdir, NULL, 0, &b));
    check_tf1_serve(b, tdir);
    /* Same graph: node by node. */
    assert_int_equal(a->g->n_nodes, b->g->n_nodes);
    for (int i = 0; i < a->g->n_nodes; i++) {
        const frt_node *x = &a->g->nodes[i], *y = &b->g->nodes[i];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->op, y->op);
        assert_int_equal(x->n_data, y->n_data);
        assert_int_equal(x->n_ctrl, y->n_ctrl);
        assert_int_equal(x->attrs.n, y->attrs.n);
    }
    frt_metagraph_free(a);
    frt_metagraph_free(b);
    free(dir);
    free(tdir);
}

static void tf1_legacy_init_op_no_variables(void **state) {
    (void)state;
    char *dir = data_dir("saved/tf1_legacy");
    frt_metagraph *mg;
    TU_OK(frt_saved_model_load(dir, NULL, 0, &mg));
    assert_int_equal(mg->n_init_ops, 1);
    assert_string_equal(mg->init_ops[0], "main_op"); /* from legacy_init_op */
    assert_null(mg->checkpoint_prefix);             /* no variables/: nothing to restore */
    assert_string_equal(mg->saver_restore_op, "save/restore_all");
    assert_int_equal(mg->n_assets, 1);
    frt_metagraph_free(mg);
    free(dir);
}

static void tf2_module(void **state) {
    (void)state;
    char *dir = data_dir("saved/tf2");
    frt_metagraph *mg;
    TU_OK(frt_saved_model_load(dir, (const char *[]){"serve"}, 1, &mg));
    assert_true(mg->g->finalized);
    /* __saved_model_init_op is an init op, not a signature. */
    assert_int_equal(mg->n_signatures, 2);
    assert_string_equal(mg->signatures[0].name, "peek");
    assert_string_equal(mg->signatures[1].name, "serving_default");
    const frt_signature *s = &mg->signatures[1];
    assert_int_equal(s->n_inputs, 1);
    assert_info(info(s, true, "delta"), "serving_default_delta:0", FRT_DTYPE_INT64, 0, NULL);
    assert_info(info(s, false, "count"), "StatefulPartitionedCall_1:0", FRT_DTYPE_INT64, 0,
                NULL);
    s = &mg->signatures[0];
    assert_int_equal(s->n_inputs, 0);
    assert_int_equal(s->n_outputs, 3);
    assert_string_equal(s->outputs[0].key, "twice"); /* sorted by key */
    assert_string_equal(s->outputs[1].key, "value");
    assert_string_equal(s->outputs[2].key, "vocab");
    assert_info(&s->outputs[2], "StatefulPartitionedCall:2", FRT_DTYPE_STRING, 0, NULL);

    assert_string_equal(mg->saver_filename_tensor, "saver_filename:0");
    assert_string_equal(mg->saver_restore_op, "StatefulPartitionedCall_3");
    assert_string_equal(mg->saver_save_tensor, "StatefulPartitionedCall_2:0");
    assert_int_equal(mg->saver_version, 2);
    assert_int_equal(mg->n_init_ops, 1);
    assert_string_equal(mg->init_ops[0], "NoOp");

    /* TF2 writes asset_file_def. */
    assert_int_equal(mg->n_assets, 1);
    assert_string_equal(mg->assets[0].tensor, "asset_path_initializer:0");
    char *want = cat(dir, "/assets/words.txt");
    assert_string_equal(mg->assets[0].path, want);
    free(want);
    want = cat(dir, "/variables/variables");
    assert_string_equal(mg->checkpoint_prefix, want);
    free(want);

    /* Functions are inlined: no call op is left, the call nodes still resolve, and the
     * bodies' variable ops are in the graph. */
    bool assign_add = false;
    for (int i = 0; i < mg->g->n_nodes; i++) {
        const frt_node *n = &mg->g->nodes[i];
        assert_string_not_equal(n->op, "StatefulPartitionedCall");
        assert_string_not_equal(n->op, "PartitionedCall");
        if (!strcmp(n->op, "AssignAddVariableOp")) assign_add = true;
    }
    assert_true(assign_add);
    assert_string_equal(node(mg, "count")->op, "VarHandleOp");
    frt_edge e;
    TU_OK(frt_graph_resolve_tensor(mg->g, "StatefulPartitionedCall_1:0", &e));
    frt_metagraph_free(mg);
    free(dir);
}

static void check_meta(const frt_metagraph *mg) {
    assert_true(mg->g->finalized);
    assert_int_equal(mg->n_tags, 0);
    assert_int_equal(mg->n_signatures, 0);
    assert_int_equal(mg->n_init_ops, 0);
    assert_int_equal(mg->n_assets, 0);
    assert_string_equal(mg->saver_filename_tensor, "save/Const:0");
    assert_string_equal(mg->saver_restore_op, "save/restore_all");
    assert_string_equal(mg->saver_save_tensor, "save/control_dependency:0");
    assert_int_equal(mg->saver_version, 2);
    assert_string_equal(node(mg, "w")->op, "VariableV2");
    assert_string_equal(node(mg, "b")->op, "VariableV2");
    assert_string_equal(node(mg, "y")->op, "AddV2");
}

static void meta_file(void **state) {
    (void)state;
    char *path = data_dir("saved/meta/model.ckpt.meta");
    frt_metagraph *mg;
    TU_OK(frt_meta_graph_load_file(path, &mg));
    check_meta(mg);
    char *want = data_dir("saved/meta/model.ckpt");
    assert_string_equal(mg->checkpoint_prefix, want);
    free(want);
    frt_metagraph_free(mg);
    free(path);
    /* Text format, recognised by content; no text.index next to it, so no prefix. */
    path = data_dir("saved/meta/text.meta");
    TU_OK(frt_meta_graph_load_file(path, &mg));
    check_meta(mg);
    assert_null(mg->checkpoint_prefix);
    frt_metagraph_free(mg);
    free(path);
}

/* ---- error paths, on files written into a temporary directory ------------------------- */

/* Writes data as dir/name; returns the path (free it). */
static char *write_file(const char *dir, const char *name, const void *data, size_t len) {
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    tu_write_file(p, data, len);
    return p;
}

static void rm_dir(char *dir, char **files, int n) {
    for (int i = 0; i < n; i++) free(files[i]);
    tu_rmtree(dir);
    free(dir);
}

/* A SavedModel whose one MetaGraph ({serve}) is `body` (text), loaded from a temp dir. */
static frt_status *load_text(const char *body, frt_metagraph **mg) {
    char *dir = tu_mkdtemp("saved");
    char *text = malloc(strlen(body) + 128);
    sprintf(text, "saved_model_schema_version: 1\nmeta_graphs {\n%s\n}\n", body);
    char *f = write_file(dir, "saved_model.pbtxt", text, strlen(text));
    free(text);
    frt_status *st = frt_saved_model_load(dir, NULL, 0, mg);
    rm_dir(dir, &f, 1);
    return st;
}

#define GRAPH                                                                                \
    "meta_info_def { tags: 'serve' }\n"                                                     \
    "graph_def {\n"                                                                          \
    "  node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n" \
    "  node { name: 'v' op: 'VariableV2' attr { key: 'dtype' value { type: DT_FLOAT } }\n"   \
    "         attr { key: 'shape' value { shape { } } } }\n"                                  \
    "  node { name: 'init' op: 'NoOp' }\n"                                                   \
    "}\n"

static void hand_written_details(void **state) {
    (void)state;
    frt_metagraph *mg;
    /* Ref dtype collapses; absent shape = unknown rank; sparse signatures are left out;
     * init op names lose "^" and ":0"; no saver_def -> NULL fields; export-relative asset. */
    TU_OK(load_text(GRAPH
                    "signature_def { key: 's' value {\n"
                    "  inputs { key: 'b' value { name: 'x:0' dtype: DT_FLOAT } }\n"
                    "  inputs { key: 'a' value { name: 'x' dtype: DT_FLOAT\n"
                    "           tensor_shape { dim { size: 3 } dim { size: -1 } } } }\n"
                    "  outputs { key: 'v' value { name: 'v:0' dtype: DT_FLOAT_REF } } } }\n"
                    "signature_def { key: 'sparse' value {\n"
                    "  inputs { key: 'sp' value { coo_sparse { values_tensor_name: 'x:0' } } }"
                    " } }\n"
                    "collection_def { key: 'saved_model_main_op' value { node_list {\n"
                    "  value: '^init' value: 'init:0' } } }\n"
                    "collection_def { key: 'legacy_init_op' value { node_list {\n"
                    "  value: 'x' } } }\n"
                    "asset_file_def { tensor_info { name: 'x:0' } filename: 'f.txt' }\n",
                    &mg));
    assert_int_equal(mg->n_signatures, 1);
    const frt_signature *s = &mg->signatures[0];
    assert_string_equal(s->name, "s");
    assert_string_equal(s->method, "");
    assert_string_equal(s->inputs[0].key, "a");
    assert_info(&s->inputs[0], "x", FRT_DTYPE_FLOAT, 2, TU_DIMS(3, -1));
    assert_info(&s->inputs[1], "x:0", FRT_DTYPE_FLOAT, -1, NULL);
    assert_info(&s->outputs[0], "v:0", FRT_DTYPE_FLOAT, -1, NULL);
    assert_int_equal(mg->n_init_ops, 1); /* main op wins over legacy_init_op; deduplicated */
    assert_string_equal(mg->init_ops[0], "init");
    assert_null(mg->saver_filename_tensor);
    assert_null(mg->saver_restore_op);
    assert_null(mg->checkpoint_prefix);
    assert_int_equal(mg->n_assets, 1);
    assert_string_equal(mg->assets[0].tensor, "x:0");
    assert_non_null(strstr(mg->assets[0].path, "/assets/f.txt"));
    frt_metagraph_free(mg);
}

static void hand_written_errors(void **state) {
    (void)state;
    frt_metagraph *mg;
    tu_assert_error(load_text(GRAPH "signature_def { key: 'serving_default' value {\n"
                                    "  outputs { key: 'y' value { name: 'missing:0' } } } }",
                              &mg),
                    FRT_NOT_FOUND, "missing");
    frt_status *st = load_text(GRAPH "signature_def { key: 'serving_default' value {\n"
                                     "  outputs { key: 'y' value { name: 'x:3' } } } }",
                               &mg);
    assert_non_null(strstr(frt_status_message(st), "signature 'serving_default' output 'y'"));
    assert_non_null(strstr(frt_status_message(st), "saved_model.pbtxt"));
    frt_status_free(st);
    tu_assert_error(load_text(GRAPH "signature_def { key: 's' value {\n"
                                    "  inputs { key: 'k' value { dtype: DT_FLOAT } } } }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "signature 's' input 'k' has no tensor name");
    tu_assert_error(load_text(GRAPH "collection_def { key: 'legacy_init_op' value {\n"
                                    "  node_list { value: 'no_such_op' } } }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "init op names node 'no_such_op'");
    tu_assert_error(load_text(GRAPH "signature_def { key: '__saved_model_init_op' value {\n"
                                    "  outputs { key: '__saved_model_init_op'\n"
                                    "            value { name: 'gone' } } } }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "'gone'");
    tu_assert_error(load_text(GRAPH "saver_def { filename_tensor_name: 'x:0'\n"
                                    "  restore_op_name: 'save/restore_all' }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "saver_def.restore_op_name");
    tu_assert_error(load_text(GRAPH "saver_def { restore_op_name: 'init' }", &mg),
                    FRT_INVALID_ARGUMENT, "no filename_tensor_name");
    tu_assert_error(load_text(GRAPH "collection_def { key: 'saved_model_assets' value {\n"
                                    "  any_list { value { type_url: 'x/tensorflow.Other'\n"
                                    "  value: '' } } } }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "expected tensorflow.AssetFileDef");
    tu_assert_error(load_text(GRAPH "collection_def { key: 'saved_model_assets' value {\n"
                                    "  any_list { value {\n"
                                    "  type_url: 'type.googleapis.com/tensorflow.AssetFileDef'\n"
                                    "  value: '\\x0a\\x7f' } } } }",
                              &mg),
                    FRT_DATA_LOSS, "not a valid AssetFileDef");
    tu_assert_error(load_text(GRAPH "asset_file_def { tensor_info { name: 'nope:0' }\n"
                                    "  filename: 'f' }",
                              &mg),
                    FRT_NOT_FOUND, "nope");
    /* Graph errors carry the file name. */
    tu_assert_error(load_text("meta_info_def { tags: 'serve' }\n"
                              "graph_def { node { name: 'a' op: 'Identity' input: 'b' } }",
                              &mg),
                    FRT_INVALID_ARGUMENT, "saved_model.pbtxt");
    /* Text syntax error: line:col and file. */
    st = load_text("meta_info_def { tagz: 'serve' }", &mg);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    assert_non_null(strstr(frt_status_message(st), "saved_model.pbtxt':3:"));
    frt_status_free(st);
    assert_null(mg);
}

static void bad_directories_and_files(void **state) {
    (void)state;
    frt_metagraph *mg;
    tu_assert_error(frt_saved_model_load("/nonexistent/model", NULL, 0, &mg), FRT_NOT_FOUND,
                    "'/nonexistent/model'");
    char *dir = tu_mkdtemp("saved");
    tu_assert_error(frt_saved_model_load(dir, NULL, 0, &mg), FRT_NOT_FOUND,
                    "neither saved_model.pb nor saved_model.pbtxt");
    assert_false(frt_saved_model_is_dir(dir));
    char *files[3];
    files[0] = write_file(dir, "saved_model.cpb", "x", 1);
    tu_assert_error(frt_saved_model_load(dir, NULL, 0, &mg), FRT_UNIMPLEMENTED, "chunked");
    files[1] = write_file(dir, "saved_model.pb", "\x12\x7f garbage", 10);
    assert_true(frt_saved_model_is_dir(dir));
    tu_assert_error(frt_saved_model_load(dir, NULL, 0, &mg), FRT_DATA_LOSS, "saved_model.pb'");
    /* A file given as the directory, a directory given as a .meta. */
    tu_assert_error(frt_saved_model_load(files[1], NULL, 0, &mg), FRT_INVALID_ARGUMENT,
                    "not a directory");
    tu_assert_error(frt_meta_graph_load_file(dir, &mg), FRT_FAILED_PRECONDITION,
                    "is a directory");
    tu_assert_error(frt_meta_graph_load_file("/nonexistent/x.meta", &mg), FRT_NOT_FOUND,
                    "/nonexistent/x.meta");
    files[2] = write_file(dir, "empty.meta", "", 0);
    tu_assert_error(frt_meta_graph_load_file(files[2], &mg), FRT_DATA_LOSS, "empty");
    /* The real .meta cut short. */
    char *meta = data_dir("saved/meta/model.ckpt.meta");
    size_t n;
    uint8_t *buf = tu_read_file(meta, &n);
    free(meta);
    unlink(files[2]);
    free(files[2]);
    files[2] = write_file(dir, "cut.meta", buf, n / 2);
    free(buf);
    tu_assert_error(frt_meta_graph_load_file(files[2], &mg), FRT_DATA_LOSS, "cut.meta");
    assert_null(mg);
    rm_dir(dir, files, 3);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tf1_default_tags),
        cmocka_unit_test(tf1_other_tag_sets),
        cmocka_unit_test(pbtxt_loads_like_pb),
        cmocka_unit_test(tf1_legacy_init_op_no_variables),
        cmocka_unit_test(tf2_module),
        cmocka_unit_test(meta_file),
        cmocka_unit_test(hand_written_details),
        cmocka_unit_test(hand_written_errors),
        cmocka_unit_test(bad_directories_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
