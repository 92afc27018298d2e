/* tests/runtime/test_executor.c: the executor and session through graphs built in code:
 * control dependencies order side effects, pruning and feeds cut the graph, unsupported ops
 * are reported before anything runs (only when needed), several threads share one session,
 * tensors are freed after their last consumer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "graph/graph.h"
#include "runtime/model.h"
#include "util/test_util.h"
#include "runtime/init.h"

/* ---- a test-only kernel with a visible side effect: it logs its node name ---- */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[4096];

static frt_status *record_compute(frt_kernel_ctx *ctx) {
    pthread_mutex_lock(&log_mu);
    strncat(log_buf, ctx->node_name, sizeof log_buf - strlen(log_buf) - 2);
    strcat(log_buf, " ");
    pthread_mutex_unlock(&log_mu);
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_FLOAT, NULL, 0, &out));
    float sum = 1;
    for (int i = 0; i < ctx->n_inputs; i++) sum += frt_tensor_f32(ctx->inputs[i])[0];
    frt_tensor_f32(out)[0] = sum;
    return NULL;
}

static const frt_kernel_def record_def[] = {
    {.op = "TestRecord", .device = FRT_DEVICE_CPU, .dtype = FRT_DTYPE_INVALID,
     .compute = record_compute},
};

frt_kernel_registry *frt_kernel_registry_mutable(void);

static int setup(void **state) {
    (void)state;
    frt_init();
    static bool added;
    if (!added) frt_kernel_registry_add(frt_kernel_registry_mutable(), record_def, 1);
    added = true;
    return 0;
}

/* ---- graph building helpers ---- */

static int add(frt_graph *g, const char *name, const char *op, const char *const *inputs) {
    int i = frt_graph_add_node(g, name, op, "");
    for (int k = 0; inputs && inputs[k]; k++) frt_node_add_input(frt_graph_node(g, i), inputs[k]);
    return i;
}

static void add_const(frt_graph *g, const char *name, const int64_t *dims, int ndim,
                      const float *v) {
    int i = add(g, name, "Const", NULL);
    frt_tensor *t = tu_f32(dims, ndim, v);
    tu_attr_tensor(&frt_graph_node(g, i)->attrs, "value", t);
    tu_attr_type(&frt_graph_node(g, i)->attrs, "dtype", FRT_DTYPE_FLOAT);
    frt_tensor_unref(t);
}

static void add_placeholder(frt_graph *g, const char *name, const int64_t *dims, int ndim) {
    int i = add(g, name, "Placeholder", NULL);
    tu_attr_type(&frt_graph_node(g, i)->attrs, "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(&frt_graph_node(g, i)->attrs, "shape", dims, ndim);
}

static void add_binary(frt_graph *g, const char *name, const char *op, const char *a,
                       const char *b) {
    int i = add(g, name, op, (const char *[]){a, b, NULL});
    tu_attr_type(&frt_graph_node(g, i)->attrs, "T", FRT_DTYPE_FLOAT);
}

static frt_model *finish(frt_graph *g) {
    TU_OK(frt_graph_finalize(g));
    return frt_model_from_graph(g, "test");
}

static frt_session *session(frt_model *m, int threads) {
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_inter_op_threads(o, threads);
    frt_session *s;
    TU_OK(frt_session_new(o, m, &s));
    frt_session_options_free(o);
    return s;
}

/* ---- tests ---- */

/* Thread counts outside [0, 4 x cores] are refused by frt_session_new (were: negatives
 * clamped to 0, 100000 threads started). */
static void thread_counts_out_of_range_are_refused(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add(g, "a", "TestRecord", NULL);
    frt_model *m = finish(g);
    int cap = frt_session_max_threads();
    assert_true(cap >= 4);
    const int bad[] = {-5, -1, cap + 1, 100000};
    for (size_t i = 0; i < FRT_COUNTOF(bad); i++)
        for (int intra = 0; intra < 2; intra++) {
            frt_session_options *o = frt_session_options_new();
            if (intra) frt_session_options_set_intra_op_threads(o, bad[i]);
            else frt_session_options_set_inter_op_threads(o, bad[i]);
            frt_session *s = (frt_session *)1;
            char want[64];
            snprintf(want, sizeof want, "%s_op_threads %d is out of range", intra ? "intra" : "inter",
                     bad[i]);
            tu_assert_error(frt_session_new(o, m, &s), FRT_INVALID_ARGUMENT, want);
            assert_null(s);
            frt_session_options_free(o);
        }
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_inter_op_threads(o, cap);
    frt_session_options_set_intra_op_threads(o, 0);
    frt_session *s = NULL;
    TU_OK(frt_session_new(o, m, &s));
    frt_session_free(s);
    frt_session_options_free(o);
    frt_model_free(m);
}

/* Sinks are listed in graph order, and finding them allocates nothing: with every
 * allocation failing it still works (it used to abort on out of memory). */
static void sink_nodes_need_no_memory(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add(g, "a", "TestRecord", NULL);
    add(g, "b", "TestRecord", (const char *[]){"a", NULL});
    add(g, "c", "TestRecord", NULL);
    add(g, "d", "TestRecord", (const char *[]){"^c", NULL});
    add(g, "e", "TestRecord", NULL);
    frt_model *m = finish(g);
    int sinks[5];
    frt_testing_fail_alloc_sticky(true);
    frt_testing_fail_alloc_after(1);
    int ns = frt_model_sink_nodes(m, sinks);
    frt_testing_fail_alloc_after(0);
    frt_testing_fail_alloc_sticky(false);
    assert_int_equal(ns, 3);
    assert_string_equal(frt_model_node_name(m, sinks[0]), "b");
    assert_string_equal(frt_model_node_name(m, sinks[1]), "d");
    assert_string_equal(frt_model_node_name(m, sinks[2]), "e");
    frt_model_free(m);
}

static void control_deps_order_side_effects(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add(g, "c", "TestRecord", (const char *[]){"^b", NULL});
    add(g, "b", "TestRecord", (const char *[]){"^a", NULL});
    add(g, "a", "TestRecord", NULL);
    add(g, "d", "TestRecord", (const char *[]){"c", "^a", NULL});
    frt_model *m = finish(g);
    /* a, b, c all feed something (b and a only through control edges): d is the one sink */
    int sinks[4];
    assert_int_equal(frt_model_sink_nodes(m, sinks), 1);
    assert_string_equal(frt_model_node_name(m, sinks[0]), "d");
    frt_session *s = session(m, 4);
    for (int rep = 0; rep < 50; rep++) {
        log_buf[0] = 0;
        frt_tensor *out;
        TU_OK(frt_session_run(s, NULL, NULL, 0, (const char *[]){"d"}, &out, 1, NULL, 0));
        assert_string_equal(log_buf, "a b c d ");
        assert_true(frt_tensor_f32(out)[0] == 2.0f);
        frt_tensor_unref(out);
    }
    /* a target runs for its effect only, and nothing else does */
    log_buf[0] = 0;
    TU_OK(frt_session_run(s, NULL, NULL, 0, NULL, NULL, 0, (const char *[]){"b"}, 1));
    assert_string_equal(log_buf, "a b ");
    frt_session_free(s);
    frt_model_free(m);
}

static void feeds_cut_the_graph(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add(g, "up", "TestRecord", NULL);
    add(g, "mid", "TestRecord", (const char *[]){"up", NULL});
    add(g, "out", "TestRecord", (const char *[]){"mid", NULL});
    frt_model *m = finish(g);
    frt_session *s = session(m, 2);
    frt_tensor *x = tu_scalar_f32(10), *out;
    log_buf[0] = 0;
    TU_OK(frt_session_run(s, (const char *[]){"mid:0"}, &x, 1, (const char *[]){"out"}, &out, 1,
                          NULL, 0));
    assert_string_equal(log_buf, "out ");  /* `up` and `mid` never ran */
    assert_true(frt_tensor_f32(out)[0] == 11.0f);
    frt_tensor_unref(out);
    /* fetching a fed tensor returns the feed itself */
    log_buf[0] = 0;
    TU_OK(frt_session_run(s, (const char *[]){"mid"}, &x, 1, (const char *[]){"mid"}, &out, 1,
                          NULL, 0));
    assert_string_equal(log_buf, "");
    assert_ptr_equal(frt_tensor_data(out), frt_tensor_data(x));
    frt_tensor_unref(out);
    frt_tensor_unref(x);
    frt_session_free(s);
    frt_model_free(m);
}

static void unsupported_ops_reported_only_when_needed(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_const(g, "x", TU_DIMS(2), 1, TU_F32(1, 2));
    add(g, "weird1", "NoSuchOpA", (const char *[]){"x", NULL});
    add(g, "weird2", "NoSuchOpB", (const char *[]){"weird1", NULL});
    add(g, "fine", "TestRecord", (const char *[]){"x", NULL});
    frt_model *m = finish(g);
    frt_session *s = session(m, 2);
    frt_tensor *out = NULL;
    log_buf[0] = 0;
    TU_OK(frt_session_run(s, NULL, NULL, 0, (const char *[]){"fine"}, &out, 1, NULL, 0));
    frt_tensor_unref(out);
    log_buf[0] = 0;
    frt_status *st =
        frt_session_run(s, NULL, NULL, 0, (const char *[]){"weird2", "fine"}, (frt_tensor *[2]){0}, 2, NULL, 0);
    assert_string_equal(log_buf, ""); /* reported before any kernel ran */
    assert_non_null(strstr(frt_status_message(st), "'weird1' (NoSuchOpA)"));
    tu_assert_error(st, FRT_UNIMPLEMENTED, "'weird2' (NoSuchOpB)");
    frt_session_free(s);
    frt_model_free(m);
}

static void feed_errors_name_the_tensor(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_placeholder(g, "x", TU_DIMS(-1, 2), 2);
    add_const(g, "one", TU_DIMS(1), 1, TU_F32(1));
    add_binary(g, "y", "AddV2", "x", "one");
    frt_model *m = finish(g);
    frt_session *s = session(m, 1);
    frt_tensor *out = NULL;
    tu_assert_error(frt_session_run(s, NULL, NULL, 0, (const char *[]){"y"}, &out, 1, NULL, 0),
                    FRT_INVALID_ARGUMENT, "'x' (float32, shape [?,2])");
    frt_tensor *bad_shape = tu_f32(TU_DIMS(2, 3), 2, NULL);
    tu_assert_error(frt_session_run(s, (const char *[]){"x"}, &bad_shape, 1,
                                    (const char *[]){"y"}, &out, 1, NULL, 0),
                    FRT_INVALID_ARGUMENT, "expects shape [?,2], got [2,3]");
    frt_tensor *bad_type = tu_i32(TU_DIMS(1, 2), 2, NULL);
    tu_assert_error(frt_session_run(s, (const char *[]){"x"}, &bad_type, 1,
                                    (const char *[]){"y"}, &out, 1, NULL, 0),
                    FRT_INVALID_ARGUMENT, "expects dtype float32, got int32");
    tu_assert_error(frt_session_run(s, (const char *[]){"x"}, &bad_type, 1,
                                    (const char *[]){"nope:0"}, &out, 1, NULL, 0),
                    FRT_NOT_FOUND, "no node 'nope'");
    tu_assert_error(frt_session_run(s, (const char *[]){"x"}, &bad_type, 1,
                                    (const char *[]){"y:3"}, &out, 1, NULL, 0),
                    FRT_INVALID_ARGUMENT, "index 3 is out of range");
    assert_null(out);
    frt_tensor_unref(bad_shape);
    frt_tensor_unref(bad_type);
    frt_session_free(s);
    frt_model_free(m);
}

typedef struct worker_arg {
    frt_session *s;
    int id;
    int failures;
} worker_arg;

static void *worker(void *p) {
    worker_arg *w = p;
    for (int rep = 0; rep < 200; rep++) {
        float v = (float)(w->id * 1000 + rep);
        frt_tensor *x = tu_f32(TU_DIMS(1, 2), 2, (float[]){v, -v}), *out = NULL;
        frt_status *st = frt_session_run(w->s, (const char *[]){"x"}, &x, 1,
                                         (const char *[]){"z"}, &out, 1, NULL, 0);
        /* z = (x + 1) * (x + 1) */
        if (st || frt_tensor_f32(out)[0] != (v + 1) * (v + 1) ||
            frt_tensor_f32(out)[1] != (1 - v) * (1 - v))
            w->failures++;
        frt_status_free(st);
        frt_tensor_unref(out);
        frt_tensor_unref(x);
    }
    return NULL;
}

static void concurrent_runs_share_a_session(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_placeholder(g, "x", TU_DIMS(-1, 2), 2);
    add_const(g, "one", TU_DIMS(1), 1, TU_F32(1));
    add_binary(g, "y", "AddV2", "x", "one");
    add_binary(g, "z", "Mul", "y", "y");
    frt_model *m = finish(g);
    frt_session *s = session(m, 3);
    frt_model_free(m); /* the session keeps its own reference */
    pthread_t th[6];
    worker_arg args[6];
    for (int i = 0; i < 6; i++) {
        args[i] = (worker_arg){s, i, 0};
        pthread_create(&th[i], NULL, worker, &args[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].failures, 0);
    }
    assert_true(frt_session_peak_bytes(s) > 0);
    frt_session_free(s);
}

static void kernel_errors_name_the_node(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_const(g, "a", TU_DIMS(2, 3), 2, TU_F32(1, 2, 3, 4, 5, 6));
    add_const(g, "b", TU_DIMS(4), 1, TU_F32(1, 2, 3, 4));
    add_binary(g, "model/add", "AddV2", "a", "b");
    add_placeholder(g, "x", NULL, -1); /* unknown rank: only the kernel can tell */
    add_binary(g, "model/add2", "AddV2", "a", "x");
    frt_model *m = finish(g);
    frt_session *s = session(m, 2);
    frt_tensor *out = NULL;
    /* statically known shapes: caught when the run is prepared, before any kernel */
    tu_assert_error(frt_session_run(s, NULL, NULL, 0, (const char *[]){"model/add"}, &out, 1,
                                    NULL, 0),
                    FRT_INVALID_ARGUMENT, "node 'model/add' (AddV2): Incompatible shapes: [2,3] vs. [4]");
    /* shapes known only at run time: the kernel's error, annotated with the node */
    frt_tensor *x = tu_f32(TU_DIMS(4), 1, NULL);
    frt_status *st = frt_session_run(s, (const char *[]){"x"}, &x, 1,
                                     (const char *[]){"model/add2"}, &out, 1, NULL, 0);
    assert_non_null(strstr(frt_status_message(st), "[2,3] vs. [4]"));
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "[[node model/add2 (AddV2) on CPU:0]]");
    assert_null(out);
    frt_tensor_unref(x);
    frt_session_free(s);
    frt_model_free(m);
}

static void memory_limit_fails_the_step_not_the_session(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    add_placeholder(g, "x", NULL, -1);
    add_const(g, "one", TU_DIMS(1), 1, TU_F32(1));
    add_binary(g, "big", "AddV2", "x", "one");
    frt_model *m = finish(g);
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_memory_limit(o, 1 << 20);
    frt_session *s;
    TU_OK(frt_session_new(o, m, &s));
    frt_session_options_free(o);
    frt_tensor *x = tu_f32(TU_DIMS(1 << 19), 1, NULL), *out = NULL; /* 2 MB: over the cap */
    frt_status *st = frt_session_run(s, (const char *[]){"x"}, &x, 1, (const char *[]){"big"},
                                     &out, 1, NULL, 0);
    assert_non_null(strstr(frt_status_message(st), "2097152 bytes"));
    tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "[[node big (AddV2) on CPU:0]]");
    frt_tensor_unref(x);
    x = tu_f32(TU_DIMS(1000), 1, NULL); /* the session is still usable */
    TU_OK(frt_session_run(s, (const char *[]){"x"}, &x, 1, (const char *[]){"big"}, &out, 1,
                          NULL, 0));
    assert_true(frt_tensor_f32(out)[999] == 1.0f);
    frt_tensor_unref(out);
    frt_tensor_unref(x);
    frt_session_free(s);
    frt_model_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sink_nodes_need_no_memory),
        cmocka_unit_test(control_deps_order_side_effects),
        cmocka_unit_test(feeds_cut_the_graph),
        cmocka_unit_test(unsupported_ops_reported_only_when_needed),
        cmocka_unit_test(feed_errors_name_the_tensor),
        cmocka_unit_test(concurrent_runs_share_a_session),
        cmocka_unit_test(kernel_errors_name_the_node),
        cmocka_unit_test(memory_limit_fails_the_step_not_the_session),
        cmocka_unit_test(thread_counts_out_of_range_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
