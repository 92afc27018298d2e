/* tests/runtime/test_alloc_faults.c: allocation failure at every allocation site of a load
 * and a run (SQLite's fault-injection loop): for N = 1, 2, ... the Nth checked allocation
 * fails (frt_testing_fail_alloc_after), and loading a model, reading its input .npy,
 * creating a session, planning, running and fetching must either succeed with TF's outputs
 * or return a clean RESOURCE_EXHAUSTED status, never abort or crash. The loop ends at the
 * first N that no allocation reaches. Under the ASan build (ctest sets detect_leaks=1) LSan
 * proves that every failure path frees what it built. Each case runs twice: the Nth
 * allocation alone failing (cleanup code then runs with working memory), and it and every
 * later one failing (sticky: error reporting itself is out of memory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/status.h"
#include "util/test_util.h"

typedef struct fault_case {
    const char *dir;    /* under tests/data */
    const char *model;  /* file in dir */
    bool no_optimize;
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
    frt_status *st = frt_model_load(model_path, &m);
    if (!st) st = frt_npy_read(input_path, &x);
    if (!st) st = frt_session_new(o, m, &s);
    const char *in = "x", *out = "Identity";
    if (!st) st = frt_session_run(s, &in, &x, 1, &out, y, 1, NULL, 0);
    if (!st) { /* a second run reuses the cached plan */
        frt_tensor *y2 = NULL;
        st = frt_session_run(s, &in, &x, 1, &out, &y2, 1, NULL, 0);
        frt_tensor_unref(y2);
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

/* Walks N = 1, 2, ... until a run meets no injected failure; returns how many allocation
 * sites the path has (the last N that failed one). */
static long walk(const fault_case *c, bool sticky) {
    char dir[1024], want_path[1200];
    tu_data_path(dir, sizeof dir, c->dir);
    snprintf(want_path, sizeof want_path, "%s/output_0.npy", dir);
    frt_tensor *want = NULL, *y = NULL;
    TU_OK(frt_npy_read(want_path, &want));
    TU_OK(load_and_run(dir, c, &y)); /* warm: one-time registries are not part of the walk */
    tu_assert_close_f32(y, want, 1e-5f, 1e-4f);
    frt_tensor_unref(y);
    long n = 1;
    for (;; n++) {
        assert_true(n < 200000);
        frt_testing_fail_alloc_sticky(sticky);
        frt_testing_fail_alloc_after(n);
        frt_status *st = load_and_run(dir, c, &y);
        long hits = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        frt_testing_fail_alloc_sticky(false);
        if (hits == 0) { /* nothing failed: the path has n - 1 allocations */
            if (st) fail_msg("%s: failed with no injected failure: %s", c->dir, frt_status_message(st));
            tu_assert_close_f32(y, want, 1e-5f, 1e-4f);
            frt_tensor_unref(y);
            break;
        }
        if (!st) { /* recovered (e.g. the optimizer skipped a fusion): results must hold */
            tu_assert_close_f32(y, want, 1e-5f, 1e-4f);
            frt_tensor_unref(y);
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
    printf("%s%s%s: %ld allocation sites walked\n", c->dir, c->no_optimize ? " (no optimize)" : "",
           sticky ? " (sticky)" : "", n - 1);
    return n - 1;
}

static void run_case(const fault_case *c) {
    assert_true(walk(c, false) > 10);
    assert_true(walk(c, true) > 10);
}

static void frozen_pb_mlp(void **state) {
    (void)state;
    run_case(&(fault_case){"models/mlp", "model.pb", false});
}

static void frozen_pb_mlp_unoptimized(void **state) {
    (void)state;
    run_case(&(fault_case){"models/mlp", "model.pb", true});
}

static void frozen_pb_cnn(void **state) {
    (void)state;
    run_case(&(fault_case){"models/small_cnn", "model.pb", false});
}

static void text_pbtxt_mlp(void **state) {
    (void)state;
    run_case(&(fault_case){"ops/pbtxt_mlp", "model.pbtxt", false});
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

int main(void) {
    frt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hook_counts_and_stops),
        cmocka_unit_test(frozen_pb_mlp),
        cmocka_unit_test(frozen_pb_mlp_unoptimized),
        cmocka_unit_test(frozen_pb_cnn),
        cmocka_unit_test(text_pbtxt_mlp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
