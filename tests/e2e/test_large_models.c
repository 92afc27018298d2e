/* tests/e2e/test_large_models.c: files whose declared sizes dwarf their length, and graphs
 * with very many nodes. A ~260-byte .pbtxt Const claiming 5e8 floats with one float_val
 * stays compressed (a splat): `flowrt inspect` reports it without expanding it (peak RSS of
 * the child, from wait4), a session with a memory limit refuses it naming the node, and a
 * legit compressed Const still runs with TensorFlow's values. Graphs over the node limit
 * (lowered for the test) are refused naming the file; a 10^5-node chain runs. */
#define _DEFAULT_SOURCE /* wait4 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "graph/graph.h"
#include "graph/optimize.h"
#include "io/graphdef_write.h"
#include "io/tensor_proto.h"
#include "io/text_format.h"
#include "runtime/model.h"
#include "util/test_util.h"

static char *tmpdir;

/* Writes text to <tmpdir>/name and returns the path (static buffer). */
static const char *write_tmp(const char *name, const char *text) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    tu_write_file(path, text, strlen(text));
    return path;
}

/* A float Const `name` of shape [n] given by the float_val list vals ("1.5" or "1 2"). */
static const char *const_pbtxt(const char *name, long long n, const char *vals) {
    static char buf[1024];
    char list[256] = "";
    const char *p = vals;
    while (*p) {
        char *end;
        double v = strtod(p, &end);
        if (end == p) break;
        snprintf(list + strlen(list), sizeof list - strlen(list), " float_val: %g", v);
        p = end;
    }
    snprintf(buf, sizeof buf,
             "node {\n  name: \"%s\"\n  op: \"Const\"\n"
             "  attr {\n    key: \"dtype\"\n    value { type: DT_FLOAT }\n  }\n"
             "  attr {\n    key: \"value\"\n    value {\n      tensor {\n"
             "        dtype: DT_FLOAT\n        tensor_shape { dim { size: %lld } }\n"
             "       %s\n      }\n    }\n  }\n}\n",
             name, n, list);
    return buf;
}

/* Runs `flowrt ARGV...` with stdout to <tmpdir>/out and stderr to /dev/null; returns its
 * exit code and its peak RSS in KiB. */
static int run_cli(const char *const *argv, long *maxrss_kb) {
    char out[512];
    snprintf(out, sizeof out, "%s/out", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open("/dev/null", O_WRONLY);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0) _exit(126);
        execv(FRT_CLI_PATH, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    assert_int_equal(wait4(pid, &st, 0, &ru), pid);
    *maxrss_kb = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void inspect_does_not_expand_a_declared_size(void **state) {
    (void)state;
    const char *path = write_tmp("big.pbtxt", const_pbtxt("big", 500000000, "1.5"));
    size_t len;
    free(tu_read_file(path, &len));
    assert_true(len < 300); /* 2 GB declared by a few hundred bytes */
    long rss = 0;
    int rc = run_cli((const char *const[]){"flowrt", "inspect", path, NULL}, &rss);
    assert_int_equal(rc, 0);
    /* the expansion would be 2 GB; loading the model itself takes a few MB */
    if (rss >= 100 * 1024) fail_msg("flowrt inspect peaked at %ld KiB", rss);
    char out[512];
    snprintf(out, sizeof out, "%s/out", tmpdir);
    char *text = (char *)tu_read_file(out, &len);
    assert_non_null(strstr(text, "parameters: 500000000 in Const nodes"));
    free(text);

    frt_model *m;
    TU_OK(frt_model_load(path, &m));
    const frt_tensor *c = frt_model_node_const_value(m, 0);
    assert_true(frt_tensor_is_splat(c));
    assert_int_equal(frt_tensor_num_elements(c), 500000000);
    assert_true(*(const float *)frt_tensor_data(c) == 1.5f);
    frt_model_free(m);
}

static void memory_limit_refuses_a_big_splat_naming_the_node(void **state) {
    (void)state;
    frt_model *m;
    TU_OK(frt_model_load(write_tmp("big.pbtxt", const_pbtxt("big", 500000000, "1.5")), &m));
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_memory_limit(o, 64 << 20);
    frt_session *s;
    TU_OK(frt_session_new(o, m, &s));
    frt_session_options_free(o);
    const char *fetch = "big";
    frt_tensor *y = NULL;
    frt_status *st = frt_session_run(s, NULL, NULL, 0, &fetch, &y, 1, NULL, 0);
    assert_null(y);
    assert_non_null(strstr(frt_status_message(st), "[[node big (Const)"));
    tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "2000000000 bytes");
    frt_session_free(s);
    frt_model_free(m);
}

/* Runs fetch on the model in pbtxt text (optimizer on and off); returns the output. */
static frt_tensor *run_text(const char *text, const char *fetch, bool optimize) {
    frt_model *m;
    TU_OK(frt_model_load(write_tmp("g.pbtxt", text), &m));
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_optimize(o, optimize);
    frt_session *s;
    TU_OK(frt_session_new(o, m, &s));
    frt_session_options_free(o);
    frt_tensor *y = NULL;
    TU_OK(frt_session_run(s, NULL, NULL, 0, &fetch, &y, 1, NULL, 0));
    assert_false(frt_tensor_is_splat(y));
    frt_session_free(s);
    frt_model_free(m);
    return y;
}

static void legit_splat_consts_run_with_tf_values(void **state) {
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        /* [1000] from one value: every element is that value */
        frt_tensor *y = run_text(const_pbtxt("c", 1000, "2.5"), "c", opt);
        tu_assert_shape(y, TU_DIMS(1000), 1);
        for (int i = 0; i < 1000; i++) assert_true(frt_tensor_f32(y)[i] == 2.5f);
        frt_tensor_unref(y);

        /* [2000] from 1, 2, 3: the values, then the last repeated (TF's FromProto); through
         * a consumer, as constant folding and shape inference see it */
        char text[4096];
        snprintf(text, sizeof text,
                 "%snode { name: \"one\" op: \"Const\" attr { key: \"dtype\" value { type: "
                 "DT_FLOAT } } attr { key: \"value\" value { tensor { dtype: DT_FLOAT "
                 "float_val: 1 } } } }\n"
                 "node { name: \"sum\" op: \"AddV2\" input: \"c\" input: \"one\" attr { key: "
                 "\"T\" value { type: DT_FLOAT } } }\n",
                 const_pbtxt("c", 2000, "1 2 3"));
        y = run_text(text, "sum", opt);
        tu_assert_shape(y, TU_DIMS(2000), 1);
        const float *v = frt_tensor_f32(y);
        assert_true(v[0] == 2.0f && v[1] == 3.0f && v[2] == 4.0f && v[1999] == 4.0f);
        frt_tensor_unref(y);
    }
}

/* A splat is expanded on its first run and kept: later runs (and runs on other threads) get
 * the same expanded tensor instead of a fresh expansion each time, optimizer on and off. */
static void splat_is_expanded_once_per_session(void **state) {
    (void)state;
    for (int opt = 0; opt < 2; opt++) {
        frt_model *m;
        TU_OK(frt_model_load(write_tmp("g.pbtxt", const_pbtxt("c", 100000, "0.5")), &m));
        frt_session_options *o = frt_session_options_new();
        frt_session_options_set_optimize(o, opt);
        frt_session *s;
        TU_OK(frt_session_new(o, m, &s));
        frt_session_options_free(o);
        const char *fetch = "c";
        frt_tensor *y1 = NULL, *y2 = NULL;
        TU_OK(frt_session_run(s, NULL, NULL, 0, &fetch, &y1, 1, NULL, 0));
        size_t peak = frt_session_peak_bytes(s);
        TU_OK(frt_session_run(s, NULL, NULL, 0, &fetch, &y2, 1, NULL, 0));
        assert_false(frt_tensor_is_splat(y1));
        tu_assert_shape(y2, TU_DIMS(100000), 1);
        assert_true(frt_tensor_f32(y2)[0] == 0.5f && frt_tensor_f32(y2)[99999] == 0.5f);
        assert_ptr_equal(frt_tensor_data(y1), frt_tensor_data(y2));
        assert_int_equal(frt_session_peak_bytes(s), peak); /* no second 400 KB */
        frt_tensor_unref(y1);
        frt_tensor_unref(y2);
        frt_session_free(s);
        frt_model_free(m);
    }
}

static void splat_writes_back_compressed(void **state) {
    (void)state;
    frt_model *m;
    TU_OK(frt_model_load(write_tmp("big.pbtxt", const_pbtxt("big", 500000000, "1 7")), &m));
    void *data = NULL;
    size_t len = 0;
    TU_OK(frt_graphdef_write_buffer(m->g, &data, &len));
    assert_true(len < 200);
    char path[512];
    snprintf(path, sizeof path, "%s/big.pb", tmpdir);
    tu_write_file(path, data, len);
    free(data);
    frt_model_free(m);
    TU_OK(frt_model_load(path, &m));
    const frt_tensor *c = frt_model_node_const_value(m, 0);
    assert_true(frt_tensor_is_splat(c));
    assert_int_equal(frt_tensor_num_elements(c), 500000000);
    assert_true(frt_tensor_f32(c)[0] == 1.0f && frt_tensor_f32(c)[1] == 7.0f);
    frt_model_free(m);
}

static void string_splat_expands_like_tf(void **state) {
    (void)state;
    const char *txt = "dtype: DT_STRING tensor_shape { dim { size: 100 } } "
                      "string_val: 'a' string_val: 'bc'";
    ProtobufCMessage *msg;
    TU_OK(frt_text_format_parse(txt, strlen(txt), &tensorflow__tensor_proto__descriptor, "tp",
                                &msg));
    frt_tensor *t, *full;
    TU_OK(frt_tensor_from_proto((Tensorflow__TensorProto *)msg, &t));
    protobuf_c_message_free_unpacked(msg, NULL);
    assert_true(frt_tensor_is_splat(t));
    assert_int_equal(frt_tensor_num_stored(t), 2);
    TU_OK(frt_tensor_materialize(t, frt_cpu_allocator_default(), &full));
    assert_false(frt_tensor_is_splat(full));
    for (int64_t i = 0; i < 100; i++) {
        size_t la, lb;
        const char *a = frt_tensor_string(t, i, &la), *b = frt_tensor_string(full, i, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(a, b, la);
        assert_string_equal(b, i == 0 ? "a" : "bc");
    }
    frt_tensor_unref(t);
    frt_tensor_unref(full);
}

static void over_2gib_const_is_refused(void **state) {
    (void)state;
    frt_model *m = NULL;
    frt_status *st =
        frt_model_load(write_tmp("huge.pbtxt", const_pbtxt("huge", 600000000, "1")), &m);
    assert_null(m);
    assert_non_null(strstr(frt_status_message(st), "huge"));
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "larger than 2 GiB");
}

/* Writes a binary GraphDef (flowrt's own writer) of a float Placeholder `x` and n chained
 * Identity nodes n1..nN; returns the path (static buffer). */
static const char *write_chain(const char *file, int n) {
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, file);
    frt_graph *g = frt_graph_new();
    frt_graph_add_node(g, "x", "Placeholder", "");
    tu_attr_type(&g->nodes[0].attrs, "dtype", FRT_DTYPE_FLOAT);
    char name[32], prev[32] = "x";
    for (int i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "n%d", i);
        int k = frt_graph_add_node(g, name, "Identity", "");
        frt_node_add_input(&g->nodes[k], prev);
        tu_attr_type(&g->nodes[k].attrs, "T", FRT_DTYPE_FLOAT);
        memcpy(prev, name, sizeof name);
    }
    TU_OK(frt_graphdef_write_file(g, path));
    frt_graph_free(g);
    return path;
}

static void graphs_over_the_node_limit_are_refused(void **state) {
    (void)state;
    frt_graph_set_max_nodes_for_testing(1000);
    frt_model *m = NULL;
    TU_OK(frt_model_load(write_chain("ok.pb", 999), &m)); /* x + 999: at the limit */
    frt_model_free(m);
    m = NULL;
    const char *path = write_chain("over.pb", 1000);
    frt_status *st = frt_model_load(path, &m);
    assert_null(m);
    assert_non_null(strstr(frt_status_message(st), path));
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "1001 nodes, more than the 1000 a graph may have");

    /* text: counted once parsed, before the graph is built */
    size_t cap = 1 << 17, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text, cap, "node { name: 'x' op: 'Placeholder' "
                                       "attr { key: 'dtype' value { type: DT_FLOAT } } }\n");
    for (int i = 1; i <= 1000; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "node { name: 'n%d' op: 'Identity' input: '%s%d' }\n", i,
                                i == 1 ? "x" : "n", i - 1);
    if (len >= cap) fail_msg("text buffer too small");
    path = write_tmp("over.pbtxt", text);
    free(text);
    st = frt_model_load(path, &m);
    assert_null(m);
    assert_non_null(strstr(frt_status_message(st), path));
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "1001 nodes");
    frt_graph_set_max_nodes_for_testing(0);
    assert_int_equal(frt_graph_max_nodes(), FRT_GRAPH_MAX_NODES);
}

/* A text GraphDef of n Splits s<i> with num_split 10^6 of a float feed x, each one's last
 * output read by an Identity i<i> when `consumed`; written to tmpdir/name. */
static const char *write_splits(const char *name, int n, bool consumed) {
    size_t cap = (size_t)n * 300 + 4096, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text, cap,
                            "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { "
                            "type: DT_FLOAT } } }\n"
                            "node { name: 'd' op: 'Const' attr { key: 'dtype' value { type: "
                            "DT_INT32 } } attr { key: 'value' value { tensor { dtype: DT_INT32 "
                            "tensor_shape { } int_val: 0 } } } }\n");
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "node { name: 's%d' op: 'Split' input: 'd' input: 'x' attr { "
                                "key: 'T' value { type: DT_FLOAT } } attr { key: 'num_split' "
                                "value { i: 1000000 } } }\n", i);
        if (consumed)
            len += (size_t)snprintf(text + len, cap - len,
                                    "node { name: 'i%d' op: 'Identity' input: 's%d:999999' "
                                    "attr { key: 'T' value { type: DT_FLOAT } } }\n", i, i);
    }
    if (len >= cap) fail_msg("text buffer too small");
    const char *path = write_tmp(name, text);
    free(text);
    return path;
}

/* Loads n Splits with num_split 10^6 of one small feed and runs them all as targets,
 * optimizer on and off: refused at planning with INVALID_ARGUMENT. */
static void run_many_splits(int n) {
    frt_model *m;
    TU_OK(frt_model_load(write_splits("splits.pbtxt", n, false), &m));
    char **targets = calloc((size_t)n, sizeof *targets);
    for (int i = 0; i < n; i++) {
        targets[i] = malloc(16);
        snprintf(targets[i], 16, "s%d", i);
    }
    for (int opt = 0; opt < 2; opt++) {
        frt_session_options *o = frt_session_options_new();
        frt_session_options_set_optimize(o, opt);
        frt_session *s;
        TU_OK(frt_session_new(o, m, &s));
        frt_session_options_free(o);
        frt_tensor *x = tu_f32(TU_DIMS(4), 1, TU_F32(1, 2, 3, 4));
        const char *feed = "x";
        frt_status *st = frt_session_run(s, &feed, &x, 1, NULL, NULL, 0,
                                         (const char *const *)targets, n);
        tu_assert_error(st, FRT_INVALID_ARGUMENT,
                        "more than 16777216 outputs in all (FRT_GRAPH_MAX_OUTPUTS; node 's");
        frt_tensor_unref(x);
        frt_session_free(s);
    }
    for (int i = 0; i < n; i++) free(targets[i]);
    free(targets);
    frt_model_free(m);
}

/* 4295 Splits with num_split 10^6 (a 700 KB file) have more outputs than an int counts:
 * planning a run over them wrapped the slot count and wrote outside its arrays (a crash in
 * shape inference); now it is refused. */
static void outputs_past_int_are_refused(void **state) {
    (void)state;
    run_many_splits(4295);
}

/* 17 such Splits (a 3 KB file) stay within an int but would size shape inference's maps and
 * the plan's slots at gigabytes: over FRT_GRAPH_MAX_OUTPUTS, refused before that memory is
 * taken (the child's peak RSS stays small). */
static void outputs_past_the_limit_are_refused_cheaply(void **state) {
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        run_many_splits(17); /* a failed assertion exits non-zero */
        _exit(0);
    }
    int status;
    struct rusage ru;
    assert_int_equal(wait4(pid, &status, 0, &ru), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (ru.ru_maxrss > 400 * 1024)
        fail_msg("peak RSS %ld KB: memory taken before refusing", ru.ru_maxrss);
}

/* 300 Splits with num_split 10^6, each consumed (a 72 KB file): validating the edge dtypes
 * kept an array of every consumed producer's output dtypes, 1.2 GB here; now it looks up
 * the one output an edge uses, so `flowrt inspect` stays at a few MB. */
static void edge_checks_do_not_hold_every_output_dtype(void **state) {
    (void)state;
    const char *path = write_splits("splits_used.pbtxt", 300, true);
    long rss = 0;
    assert_int_equal(run_cli((const char *const[]){"flowrt", "inspect", path, NULL}, &rss), 0);
    if (rss >= 100 * 1024) fail_msg("flowrt inspect peaked at %ld KiB", rss);
}

static void chain_of_100k_identities_runs(void **state) {
    (void)state;
    frt_model *m;
    TU_OK(frt_model_load(write_chain("chain.pb", 100000), &m));
    frt_session *s;
    TU_OK(frt_session_new(NULL, m, &s));
    frt_tensor *x = tu_scalar_f32(3.5f), *y = NULL;
    const char *feed = "x", *fetch = "n100000";
    TU_OK(frt_session_run(s, &feed, &x, 1, &fetch, &y, 1, NULL, 0));
    assert_true(frt_tensor_f32(y)[0] == 3.5f);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_session_free(s);
    frt_model_free(m);
}

/* The per-step optimizer copies the graph only when it rewrote something: a chain of
 * Identities runs the session's own graph (no second million-node copy). */
static void optimizer_copies_only_what_it_rewrites(void **state) {
    (void)state;
    frt_model *m;
    TU_OK(frt_model_load(write_chain("c10.pb", 10), &m));
    frt_optimize_options o = {.null_if_unchanged = true};
    frt_edge feed = {0, 0}, fetch = {10, 0};
    frt_graph *h = (frt_graph *)1;
    TU_OK(frt_graph_optimize_opts(m->g, &feed, 1, &fetch, 1, NULL, 0, &o, &h));
    assert_null(h);
    o.null_if_unchanged = false;
    TU_OK(frt_graph_optimize_opts(m->g, &feed, 1, &fetch, 1, NULL, 0, &o, &h));
    assert_non_null(h);
    assert_int_equal(h->n_nodes, 11);
    frt_graph_free(h);
    frt_model_free(m);

    /* a foldable AddV2 of two Consts: rewritten, so copied */
    TU_OK(frt_model_load(
        write_tmp("fold.pbtxt",
                  "node { name: 'a' op: 'Const' attr { key: 'dtype' value { type: DT_FLOAT } } "
                  "attr { key: 'value' value { tensor { dtype: DT_FLOAT float_val: 1 } } } }\n"
                  "node { name: 's' op: 'AddV2' input: 'a' input: 'a' "
                  "attr { key: 'T' value { type: DT_FLOAT } } }\n"),
        &m));
    o.null_if_unchanged = true;
    fetch = (frt_edge){1, 0};
    TU_OK(frt_graph_optimize_opts(m->g, NULL, 0, &fetch, 1, NULL, 0, &o, &h));
    assert_non_null(h);
    assert_string_equal(h->nodes[frt_graph_find(h, "s")].op, "Const");
    frt_graph_free(h);
    frt_model_free(m);
}

static int setup(void **state) {
    (void)state;
    tmpdir = tu_mkdtemp("large");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    int rc = tu_rmtree(tmpdir);
    free(tmpdir);
    return rc;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(inspect_does_not_expand_a_declared_size),
        cmocka_unit_test(memory_limit_refuses_a_big_splat_naming_the_node),
        cmocka_unit_test(legit_splat_consts_run_with_tf_values),
        cmocka_unit_test(splat_is_expanded_once_per_session),
        cmocka_unit_test(splat_writes_back_compressed),
        cmocka_unit_test(string_splat_expands_like_tf),
        cmocka_unit_test(over_2gib_const_is_refused),
        cmocka_unit_test(graphs_over_the_node_limit_are_refused),
        cmocka_unit_test(outputs_past_int_are_refused),
        cmocka_unit_test(outputs_past_the_limit_are_refused_cheaply),
        cmocka_unit_test(edge_checks_do_not_hold_every_output_dtype),
        cmocka_unit_test(chain_of_100k_identities_runs),
        cmocka_unit_test(optimizer_copies_only_what_it_rewrites),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
