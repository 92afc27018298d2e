/* tests/runtime/test_alloc_faults.c: allocation failure at every allocation site of a load
 * and a run (SQLite's fault-injection loop): for N = 1, 2, ... the Nth checked allocation
 * fails (frt_testing_fail_alloc_after), and loading a model, reading its input .npy,
 * creating a session, planning, running and fetching must either succeed with TF's outputs
 * or return a clean RESOURCE_EXHAUSTED status, never abort or crash. The loop ends at the
 * first N that no allocation reaches. Under the ASan build (ctest sets detect_leaks=1) LSan
 * proves that every failure path frees what it built. Each case runs twice: the Nth
 * allocation alone failing (cleanup code then runs with working memory), and it and every
 * later one failing (sticky: error reporting itself is out of memory). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "util/test_util.h"
#include "runtime/init.h"

typedef enum { FROZEN, META, SAVED_MODEL } model_kind;

typedef struct fault_case {
    const char *dir;         /* under tests/data */
    const char *model;       /* file (or SavedModel directory) in dir */
    bool no_optimize;
    model_kind kind;
    const char *checkpoint;  /* META: prefix in dir */
    const char *in, *out;    /* tensor names, or SAVED_MODEL signature keys */
    const char *want;        /* TF's output in dir; default output_0.npy */
    float atol, rtol;
} fault_case;

/* One attempt at the whole path; *y is the fetched output on success. Everything else it
 * made is freed. */
static frt_status *load_and_run(const char *dir, const fault_case *c, frt_tensor **y) {
    char model_path[1200], input_path[1200];
    snprintf(model_path, sizeof model_path, "%s/%s", dir, c->model);
    snprintf(input_path, sizeof input_path, "%s/input_0.npy", dir);
    *y = NULL;
    frt_session_options *o = frt_session_options_new();
    if (!o) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory (options)");
    frt_session_options_set_inter_op_threads(o, 1); /* one allocating thread at a time */
    frt_session_options_set_intra_op_threads(o, 1);
    frt_session_options_set_optimize(o, !c->no_optimize);
    frt_model *m = NULL;
    frt_session *s = NULL;
    frt_tensor *x = NULL;
    char ckpt_path[1200];
    snprintf(ckpt_path, sizeof ckpt_path, "%s/%s", dir, c->checkpoint ? c->checkpoint : "");
    frt_status *st = c->kind == FROZEN ? frt_model_load(model_path, &m)
                     : c->kind == META ? frt_model_load_meta(model_path, ckpt_path, &m)
                                       : frt_model_load_saved_model(model_path, NULL, 0, &m);
    if (!st) st = frt_npy_read(input_path, &x);
    if (!st) st = frt_session_new(o, m, &s); /* restores variables, runs init ops */
    const char *in = c->in ? c->in : "x", *out = c->out ? c->out : "Identity";
    for (int run = 0; run < 2 && !st; run++) { /* the second run reuses the cached plan */
        frt_tensor *r = NULL;
        st = c->kind == SAVED_MODEL
                 ? frt_session_run_signature(s, NULL, &in, &x, 1, &out, &r, 1)
                 : frt_session_run(s, &in, &x, 1, &out, &r, 1, NULL, 0);
        if (run == 0) *y = r;
        else frt_tensor_unref(r);
    }
    if (st) {
        frt_tensor_unref(*y);
        *y = NULL;
    }
    frt_tensor_unref(x);
    frt_session_free(s);
    frt_model_free(m);
    frt_session_options_free(o);
    return st;
}

static void assert_outputs(const fault_case *c, frt_tensor *y, const frt_tensor *want) {
    tu_assert_close_f32(y, want, c->atol ? c->atol : 1e-5f, c->rtol ? c->rtol : 1e-4f);
    frt_tensor_unref(y);
}

/* Walks N = 1, 1 + stride, ... until a run meets no injected failure. The path's allocations
 * are counted first (a run armed never to fail); the stride keeps the walk to about
 * max_steps attempts (the ASan build runs this in CI), FRT_ALLOC_FAULTS_ALL=1 makes it 1. */
static void walk(const fault_case *c, bool sticky, long max_steps) {
    char dir[1024], want_path[1200];
    tu_data_path(dir, sizeof dir, c->dir);
    snprintf(want_path, sizeof want_path, "%s/%s", dir, c->want ? c->want : "output_0.npy");
    frt_tensor *want = NULL, *y = NULL;
    TU_OK(frt_npy_read(want_path, &want));
    TU_OK(load_and_run(dir, c, &y)); /* warm: one-time registries are not part of the walk */
    assert_outputs(c, y, want);
    frt_testing_fail_alloc_after(LONG_MAX);
    TU_OK(load_and_run(dir, c, &y));
    long total = frt_testing_alloc_count();
    frt_testing_fail_alloc_after(0);
    assert_outputs(c, y, want);
    assert_true(total > 10);
    const char *all = getenv("FRT_ALLOC_FAULTS_ALL");
    long stride = all && *all == '1' ? 1 : (total + max_steps - 1) / max_steps, steps = 0, n;
    for (n = 1;; n += stride, steps++) {
        assert_true(n <= total + stride);
        frt_testing_fail_alloc_sticky(sticky);
        frt_testing_fail_alloc_after(n);
        frt_status *st = load_and_run(dir, c, &y);
        long hits = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        frt_testing_fail_alloc_sticky(false);
        if (hits == 0) { /* past the path's last allocation */
            if (st) fail_msg("%s: failed with no injected failure: %s", c->dir, frt_status_message(st));
            assert_true(n > total);
            assert_outputs(c, y, want);
            break;
        }
        if (!st) { /* recovered (e.g. the optimizer skipped a fusion): results must hold */
            assert_outputs(c, y, want);
            continue;
        }
        const char *msg = frt_status_message(st); /* tensors say "OOM" as TF does */
        if (frt_status_code(st) != FRT_RESOURCE_EXHAUSTED ||
            (!strstr(msg, "out of memory") && !strstr(msg, "OOM")))
            fail_msg("%s%s: allocation %ld failed, and the status is %s: %s", c->dir,
                     sticky ? " (sticky)" : "", n, frt_code_name(frt_status_code(st)),
                     frt_status_message(st));
        frt_status_free(st);
    }
    frt_tensor_unref(want);
    printf("%s%s%s: %ld allocation sites, %ld failed in turn (every %ld%s)\n", c->dir,
           c->no_optimize ? " (no optimize)" : "", sticky ? " (sticky)" : "", total, steps,
           stride, stride == 1 ? ": all" : "");
}

/* max_steps: the one-at-a-time walk's budget; the sticky walk gets 300. */
static void run_case(const fault_case *c, long max_steps) {
    walk(c, false, max_steps);
    walk(c, true, 300);
}

static void frozen_pb_mlp(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "models/mlp", .model = "model.pb"}, 2000);
}

static void frozen_pb_mlp_unoptimized(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "models/mlp", .model = "model.pb", .no_optimize = true}, 400);
}

static void frozen_pb_cnn(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "models/small_cnn", .model = "model.pb"}, 800);
}

static void meta_checkpoint_mlp(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "savedmodels/tf1_mlp_ckpt", .model = "model.ckpt.meta", .kind = META,
                           .checkpoint = "model.ckpt", .out = "logits", .rtol = 1e-5f},
             500);
}

/* Partitioned variables: slice keys and the assembly of partitions on restore. */
static void meta_checkpoint_partitioned(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "savedmodels/tf1_partitioned", .model = "model.ckpt.meta",
                           .kind = META, .checkpoint = "model.ckpt", .out = "y", .rtol = 1e-5f},
             300);
}

static void saved_model_tf1(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "savedmodels/tf1_savedmodel", .model = "model", .kind = SAVED_MODEL,
                           .out = "y", .want = "output_1.npy", .rtol = 1e-5f},
             400);
}

static void saved_model_tf2(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "savedmodels/tf2_counter", .model = "model", .kind = SAVED_MODEL,
                           .out = "y", .rtol = 1e-5f},
             400);
}

static void text_pbtxt_mlp(void **state) {
    (void)state;
    run_case(&(fault_case){.dir = "ops/pbtxt_mlp", .model = "model.pbtxt"}, 600);
}

/* The hook itself: only the Nth fails, or (sticky) every one from the Nth on. */
static void hook_counts_and_stops(void **state) {
    (void)state;
    frt_testing_fail_alloc_after(2);
    void *a = frt_malloc(8), *b = frt_malloc(8), *c = frt_malloc(8);
    assert_non_null(a);
    assert_null(b);
    assert_non_null(c);
    assert_int_equal(frt_testing_alloc_failures(), 1);
    free(a);
    free(c);
    frt_testing_fail_alloc_sticky(true);
    frt_testing_fail_alloc_after(1);
    assert_null(frt_calloc(1, 8));
    assert_null(frt_strdup("x"));
    assert_int_equal(frt_testing_alloc_failures(), 2);
    frt_testing_fail_alloc_after(0);
    frt_testing_fail_alloc_sticky(false);
    a = frt_realloc(NULL, 8);
    assert_non_null(a);
    free(a);
    assert_null(frt_calloc(SIZE_MAX / 2, 4)); /* n * sz overflows */
}

int main(int argc, char **argv) {
    frt_init();
    if (argc > 1) cmocka_set_test_filter(argv[1]); /* e.g. "saved_model*" */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hook_counts_and_stops),
        cmocka_unit_test(frozen_pb_mlp),
        cmocka_unit_test(frozen_pb_mlp_unoptimized),
        cmocka_unit_test(frozen_pb_cnn),
        cmocka_unit_test(text_pbtxt_mlp),
        cmocka_unit_test(meta_checkpoint_mlp),
        cmocka_unit_test(meta_checkpoint_partitioned),
        cmocka_unit_test(saved_model_tf1),
        cmocka_unit_test(saved_model_tf2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
