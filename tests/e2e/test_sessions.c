/* tests/e2e/test_sessions.c: several models in one process, each session with its own
 * variables (no name clashes: two sessions of one SavedModel count independently), sessions
 * used from several threads at once, a model freed while its session lives on, and a
 * checkpoint truncated under a session that restored it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/test_util.h"

static frt_model *load_saved(const char *rel) {
    char path[1024];
    frt_model *m = NULL;
    TU_OK(frt_model_load_saved_model(tu_data_path(path, sizeof path, rel), NULL, 0, &m));
    return m;
}

static int32_t increment(frt_session *s) {
    const char *key = "count";
    frt_tensor *out = NULL;
    TU_OK(frt_session_run_signature(s, "increment", NULL, NULL, 0, &key, &out, 1));
    int32_t v = *(int32_t *)frt_tensor_data(out);
    frt_tensor_unref(out);
    return v;
}

static void sessions_have_their_own_variables(void **state) {
    (void)state;
    frt_model *counter = load_saved("savedmodels/tf2_counter/model");
    frt_model *tf1 = load_saved("savedmodels/tf1_savedmodel/model");
    frt_session *a, *b, *c;
    TU_OK(frt_session_new(NULL, counter, &a));
    TU_OK(frt_session_new(NULL, counter, &b));
    TU_OK(frt_session_new(NULL, tf1, &c));
    frt_model_free(counter); /* sessions keep what they need */
    /* saved at 10 */
    assert_int_equal(increment(a), 11);
    assert_int_equal(increment(a), 12);
    assert_int_equal(increment(b), 11);
    assert_int_equal(increment(a), 13);
    /* the TF1 model in the same process still gives TF's answer */
    frt_tensor *x, *want, *y = NULL;
    char p[1024];
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "savedmodels/tf1_savedmodel/input_0.npy"), &x));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "savedmodels/tf1_savedmodel/output_1.npy"), &want));
    const char *in = "x", *out = "y";
    TU_OK(frt_session_run_signature(c, NULL, &in, &x, 1, &out, &y, 1));
    tu_assert_close_f32(y, want, 1e-5f, 1e-5f);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_tensor_unref(want);
    frt_session_free(a);
    frt_session_free(b);
    frt_session_free(c);
    frt_model_free(tf1);
}

typedef struct job {
    frt_session *s;
    int n;
} job;

static void *incrementer(void *p) {
    job *j = p;
    for (int i = 0; i < j->n; i++) {
        const char *key = "count";
        frt_tensor *out = NULL;
        frt_status *st = frt_session_run_signature(j->s, "increment", NULL, NULL, 0, &key, &out, 1);
        frt_status_free(st);
        frt_tensor_unref(out);
    }
    return NULL;
}

static void concurrent_increments_are_not_lost(void **state) {
    (void)state;
    frt_model *m = load_saved("savedmodels/tf2_counter/model");
    frt_session *s;
    TU_OK(frt_session_new(NULL, m, &s));
    pthread_t th[4];
    job j = {s, 50};
    for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, incrementer, &j);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    const char *key = "count";
    frt_tensor *out = NULL;
    TU_OK(frt_session_run_signature(s, "read", NULL, NULL, 0, &key, &out, 1));
    assert_int_equal(*(int32_t *)frt_tensor_data(out), 10 + 4 * 50);
    frt_tensor_unref(out);
    frt_session_free(s);
    frt_model_free(m);
}

static void null_signature_input_is_an_error(void **state) {
    (void)state;
    frt_model *m = load_saved("savedmodels/tf2_counter/model");
    frt_session *s;
    TU_OK(frt_session_new(NULL, m, &s));
    const char *in = "x", *out = "y";
    frt_tensor *none = NULL, *y = (frt_tensor *)1;
    tu_assert_error(frt_session_run_signature(s, "scale", &in, &none, 1, &out, &y, 1),
                    FRT_INVALID_ARGUMENT, "input 'x' of signature 'scale' is NULL");
    assert_null(y);
    frt_session_free(s);
    frt_model_free(m);
}

static void accessors_tolerate_bad_indices(void **state) {
    (void)state;
    frt_model *m = load_saved("savedmodels/tf2_counter/model");
    assert_int_equal(frt_model_find_signature(m, NULL), frt_model_find_signature(m, "serving_default"));
    assert_true(frt_model_find_signature(m, NULL) >= 0);
    assert_int_equal(frt_model_find_signature(m, "nope"), -1);
    assert_null(frt_model_signature_name(m, 99));
    assert_null(frt_model_node_name(m, -1));
    frt_checkpoint *c;
    TU_OK(frt_checkpoint_open(frt_model_checkpoint_prefix(m), &c));
    int64_t dims[FRT_MAX_DIMS];
    assert_null(frt_checkpoint_tensor_name(c, frt_checkpoint_num_tensors(c)));
    assert_null(frt_checkpoint_tensor_name(c, -1));
    assert_int_equal(frt_checkpoint_tensor_dtype(c, 1000), FRT_DTYPE_INVALID);
    assert_int_equal(frt_checkpoint_tensor_shape(c, -5, dims), -1);
    frt_checkpoint_close(c);
    frt_model_free(m);
}

/* tf1_savedmodel's model directory copied into a new temporary directory (returned). */
static char *copy_tf1_savedmodel(void) {
    static const char *const files[] = {"saved_model.pb", "assets/vocab.txt",
                                        "variables/variables.index",
                                        "variables/variables.data-00000-of-00001"};
    char *dir = tu_mkdtemp("sessions"), src[1024], dst[1024], rel[256];
    snprintf(dst, sizeof dst, "%s/assets", dir);
    assert_int_equal(mkdir(dst, 0755), 0);
    snprintf(dst, sizeof dst, "%s/variables", dir);
    assert_int_equal(mkdir(dst, 0755), 0);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(rel, sizeof rel, "savedmodels/tf1_savedmodel/model/%s", files[i]);
        size_t n;
        uint8_t *b = tu_read_file(tu_data_path(src, sizeof src, rel), &n);
        assert_non_null(b);
        snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
        tu_write_file(dst, b, n);
        free(b);
    }
    return dir;
}

static frt_tensor *run_tf1(frt_session *s, const frt_tensor *x) {
    const char *in = "x", *out = "y";
    frt_tensor *y = NULL;
    TU_OK(frt_session_run_signature(s, NULL, &in, (frt_tensor *const *)&x, 1, &out, &y, 1));
    return y;
}

/* A training job overwriting the checkpoint a server restored: the session's variables
 * aliased the data file's mmap, so truncating the file made the next run SIGBUS. Restored
 * variables own their memory; runs go on giving TF's answer. The zero-copy opt-in still
 * restores (its hazard: the file must not be truncated while the session lives). */
static void checkpoint_truncated_under_a_session(void **state) {
    (void)state;
    char p[1024];
    frt_tensor *x, *want;
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "savedmodels/tf1_savedmodel/input_0.npy"), &x));
    tu_data_path(p, sizeof p, "savedmodels/tf1_savedmodel/output_1.npy");
    TU_OK(frt_npy_read(p, &want));
    for (int zero_copy = 0; zero_copy < 2; zero_copy++) {
        char *dir = copy_tf1_savedmodel();
        frt_model *m;
        frt_session *s;
        frt_session_options *o = frt_session_options_new();
        frt_session_options_set_checkpoint_zero_copy(o, zero_copy);
        TU_OK(frt_model_load_saved_model(dir, NULL, 0, &m));
        TU_OK(frt_session_new(o, m, &s));
        frt_tensor *y = run_tf1(s, x);
        tu_assert_close_f32(y, want, 1e-5f, 1e-5f);
        frt_tensor_unref(y);
        if (!zero_copy) {
            snprintf(p, sizeof p, "%s/variables/variables.data-00000-of-00001", dir);
            assert_int_equal(truncate(p, 0), 0);
            y = run_tf1(s, x);
            tu_assert_close_f32(y, want, 1e-5f, 1e-5f);
            frt_tensor_unref(y);
        }
        frt_session_free(s);
        frt_model_free(m);
        frt_session_options_free(o);
        tu_rmtree(dir);
        free(dir);
    }
    frt_tensor_unref(x);
    frt_tensor_unref(want);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sessions_have_their_own_variables),
        cmocka_unit_test(concurrent_increments_are_not_lost),
        cmocka_unit_test(accessors_tolerate_bad_indices),
        cmocka_unit_test(null_signature_input_is_an_error),
        cmocka_unit_test(checkpoint_truncated_under_a_session),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
