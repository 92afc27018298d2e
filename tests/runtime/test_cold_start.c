/* tests/runtime/test_cold_start.c: the first API calls of a process made from several threads
 * at once. Nothing calls frt_init before the threads start, so they race into it (kernel
 * registry), the op registry's parse and the CRC-32C tables together; the threads that load
 * a model then build and run their own session. Under `make test-tsan` (ThreadSanitizer,
 * halt_on_error) a race in that one-time initialisation fails the run; in every build the
 * results must match TensorFlow's and agree bit for bit across threads.
 * One test per process on purpose: a second test would find the registries already filled. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "io/crc32c.h"
#include "util/test_util.h"

#define N_THREADS 8
#define N_KINDS 4

/* What each thread does first (index % N_KINDS), so that different entry points race. */
enum { LOAD_SAVED_MODEL, LOAD_GRAPHDEF, ASK_KERNELS, CRC_TABLES };

typedef struct worker {
    int kind;
    pthread_barrier_t *start;
    char *error;       /* first failure, for the main thread to report (cmocka asserts are
                        * not for worker threads) */
    frt_tensor *out;   /* the model's output (LOAD_*) */
    int has_kernels;   /* ASK_KERNELS: frt_op_has_kernel said yes to every op asked */
    uint32_t crc_sw, crc_hw; /* CRC_TABLES: both implementations over the same bytes */
} worker;

static char *failure(const char *what, frt_status *st) {
    const char *msg = frt_status_message(st);
    char *e = malloc(strlen(what) + strlen(msg) + 3);
    if (e) strcat(strcat(strcpy(e, what), ": "), msg);
    frt_status_free(st);
    return e ? e : strdup("out of memory");
}

/* Loads path, makes a session on it and runs input -> output once. */
static char *load_and_run(const char *model, int saved, const char *input_npy, const char *in,
                          const char *out, frt_tensor **y) {
    char path[1024];
    frt_model *m = NULL;
    frt_session *s = NULL;
    frt_tensor *x = NULL;
    frt_status *st = saved ? frt_model_load_saved_model(tu_data_path(path, sizeof path, model),
                                                        NULL, 0, &m)
                           : frt_model_load(tu_data_path(path, sizeof path, model), &m);
    if (st) return failure(model, st);
    if ((st = frt_session_new(NULL, m, &s))) {
        frt_model_free(m);
        return failure("frt_session_new", st);
    }
    st = frt_npy_read(tu_data_path(path, sizeof path, input_npy), &x);
    if (!st)
        st = saved ? frt_session_run_signature(s, NULL, &in, &x, 1, &out, y, 1)
                   : frt_session_run(s, &in, &x, 1, &out, y, 1, NULL, 0);
    frt_tensor_unref(x);
    frt_session_free(s);
    frt_model_free(m);
    return st ? failure(out, st) : NULL;
}

static void *cold_start(void *p) {
    worker *w = p;
    pthread_barrier_wait(w->start);
    switch (w->kind) {
    case LOAD_SAVED_MODEL: /* restores variables from a checkpoint (CRC-checked) */
        w->error = load_and_run("savedmodels/tf1_savedmodel/model", 1,
                                "savedmodels/tf1_savedmodel/input_0.npy", "x", "y", &w->out);
        break;
    case LOAD_GRAPHDEF:
        w->error = load_and_run("../../models/digits/model.pb", 0, "../../models/digits/samples.npy",
                                "images", "Identity", &w->out);
        break;
    case CRC_TABLES: { /* the table and the 3-stream shift are built on first use */
        uint8_t bytes[3 * 4096 + 100]; /* past 3 blocks: the hw path uses its shift */
        for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (uint8_t)(i * 131u);
        w->crc_sw = frt_crc32c_extend_sw(0, bytes, sizeof bytes);
        w->crc_hw = frt_crc32c_hw_available() ? frt_crc32c_extend_hw(0, bytes, sizeof bytes)
                                              : w->crc_sw;
        break;
    }
    default:
        w->has_kernels = frt_op_has_kernel("Conv2D") && frt_op_has_kernel("MatMul") &&
                         frt_op_has_kernel("RestoreV2") && !frt_op_has_kernel("NoSuchOp");
        break;
    }
    return NULL;
}

static void first_calls_race_into_init(void **state) {
    (void)state;
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, N_THREADS), 0);
    worker w[N_THREADS];
    pthread_t th[N_THREADS];
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){.kind = i % N_KINDS, .start = &start};
        assert_int_equal(pthread_create(&th[i], NULL, cold_start, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);

    char p[1024];
    frt_tensor *want_saved, *want_digits;
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "savedmodels/tf1_savedmodel/output_1.npy"),
                       &want_saved));
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, "../../models/digits/expected_probs.npy"),
                       &want_digits));
    const frt_tensor *first[2] = {NULL, NULL}; /* per model, the first thread's output */
    for (int i = 0; i < N_THREADS; i++) {
        if (w[i].error) fail_msg("thread %d: %s", i, w[i].error);
        if (w[i].kind == ASK_KERNELS) {
            assert_true(w[i].has_kernels);
            continue;
        }
        if (w[i].kind == CRC_TABLES) {
            assert_int_equal(w[i].crc_sw, w[i].crc_hw);
            assert_int_equal(w[i].crc_sw, w[CRC_TABLES].crc_sw);
            continue;
        }
        tu_assert_close_f32(w[i].out, w[i].kind == LOAD_SAVED_MODEL ? want_saved : want_digits,
                            1e-5f, 1e-5f);
        if (!first[w[i].kind]) first[w[i].kind] = w[i].out;
        else tu_assert_equal(w[i].out, first[w[i].kind]);
    }
    for (int i = 0; i < N_THREADS; i++) frt_tensor_unref(w[i].out);
    frt_tensor_unref(want_saved);
    frt_tensor_unref(want_digits);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(first_calls_race_into_init)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
