/* tests/cuda/test_cuda_memory.c: GPU memory caps as a user meets them — through the CLI
 * (--gpu-memory-fraction, --allow-growth, --gpu-memory-limit, --stats-json) and through the
 * C API (two sessions with their own budgets in one process). A model whose peak fits runs
 * with peak_bytes <= limit_bytes; one that does not fit fails with RESOURCE_EXHAUSTED naming
 * the node, the shape and bytes, the device and the allocator's state, exit code 1, never a
 * crash; growth regions stay under the limit; each budget holds. In the simulation build the
 * GPU is a simulated 64 MiB one (FLOWRT_SIM_GPUS=64), so the numbers are exact; on a real GPU
 * (make test-gpu) the CLI cases use fractions of whatever the GPU has. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "runtime/init.h"
#include "runtime/session_impl.h"
#include "util/test_util.h"

#define MODEL "models/mobilenet_v2_035_96/model.pb"
#define INPUT "x=models/mobilenet_v2_035_96/input_0.npy"

static char *tmpdir;

typedef struct result {
    int rc;
    char out[8192], err[1 << 17], json[8192];
} result;

static void slurp(const char *path, char *buf, size_t n) {
    FILE *f = fopen(path, "r");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = 0;
    if (f) fclose(f);
}

static result *cli(const char *flags) {
    static result r;
    char cmd[4096], p[600];
    snprintf(cmd, sizeof cmd, "cd '%s' && FLOWRT_SIM_GPUS=64 '%s' run " MODEL " --input " INPUT
             " %s --stats-json '%s/s.json' > '%s/out' 2> '%s/err'", FRT_TEST_DATA,
             FRT_CLI_PATH, flags, tmpdir, tmpdir, tmpdir);
    snprintf(p, sizeof p, "%s/s.json", tmpdir);
    remove(p);
    int st = system(cmd);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    slurp(p, r.json, sizeof r.json);
    snprintf(p, sizeof p, "%s/out", tmpdir);
    slurp(p, r.out, sizeof r.out);
    snprintf(p, sizeof p, "%s/err", tmpdir);
    slurp(p, r.err, sizeof r.err);
    return &r;
}

/* The number after "key": in the GPU's entry of the stats JSON. */
static long long gpu_field(const result *r, const char *key) {
    const char *gpu = strstr(r->json, "device:GPU:0");
    if (!gpu) fail_msg("no GPU in the statistics: %s", r->json);
    char k[64];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *v = strstr(gpu, k);
    if (!v) fail_msg("no %s in the GPU's statistics: %s", key, r->json);
    return atoll(v + strlen(k));
}

static bool have_gpu(void) {
    frt_session *s = NULL;
    frt_model *m = NULL;
    char path[600];
    TU_OK(frt_model_load(tu_data_path(path, sizeof path, MODEL), &m));
    TU_OK(frt_session_new(NULL, m, &s));
    bool gpu = s->n_devices > 1;
    frt_session_free(s);
    frt_model_free(m);
    return gpu;
}

static void fraction_fits(void **state) {
    (void)state;
    result *r = cli("--gpu-memory-fraction 0.25 --log-device-placement");
    if (r->rc) fail_msg("exit %d: %s", r->rc, r->err);
    long long peak = gpu_field(r, "peak_bytes"), limit = gpu_field(r, "limit_bytes");
#ifdef FRT_CUDA_SIM
    assert_int_equal(limit, 16 << 20); /* a quarter of the simulated 64 MiB */
    assert_non_null(strstr(r->json, "\"simulated\": true"));
#endif
    assert_true(peak > 0 && peak <= limit);
    assert_int_equal(gpu_field(r, "regions"), 1); /* the whole limit, at first use */
    char one_region[64];
    snprintf(one_region, sizeof one_region, "\"region_sizes\": [%lld]", limit);
    if (!strstr(r->json, one_region)) fail_msg("expected %s: %s", one_region, r->json);
    assert_non_null(strstr(r->json, "\"fragmentation\": 0."));
    assert_non_null(strstr(r->json, "\"mode\": \"fraction\""));
    assert_non_null(strstr(r->err, "(_FusedConv2D): /job:localhost/replica:0/task:0/device:GPU:0"));
    printf("fraction 0.25: peak %lld of %lld bytes\n", peak, limit);
}

static void growth_stays_under_the_limit(void **state) {
    (void)state;
    result *r = cli("--gpu-memory-fraction 0.5 --allow-growth");
    if (r->rc) fail_msg("exit %d: %s", r->rc, r->err);
    long long peak = gpu_field(r, "peak_bytes"), limit = gpu_field(r, "limit_bytes");
    assert_true(peak <= limit);
    assert_true(gpu_field(r, "regions") >= 1);
    assert_non_null(strstr(r->json, "\"mode\": \"fraction+allow_growth\""));
    printf("growth: peak %lld, %lld regions, limit %lld\n", peak, gpu_field(r, "regions"),
           limit);
}

/* Too small for the model: one line, exit 1, naming the node, shape, bytes and state. */
static void a_cap_below_the_model_fails_cleanly(void **state) {
    (void)state;
    result *r = cli("--gpu-memory-limit 0.5");
    assert_int_equal(r->rc, 1);
    if (strncmp(r->err, "flowrt: error: OOM allocating ", 30) || !strstr(r->err, " bytes) on ") ||
        !strstr(r->err, "limit 512.0 KiB") || !strstr(r->err, "largest free chunk") ||
        !strstr(r->err, "[[node ") || !strstr(r->err, " on GPU:0]]"))
        fail_msg("OOM message lacks what a user needs: %s", r->err);
    char *nl = strchr(r->err, '\n');
    if (!nl || nl[1]) fail_msg("more than one line on stderr: %s", r->err);
    printf("as printed: %s", r->err);
}

/* Two sessions of one process, each with its own budget inside the one GPU allocator. */
static void two_sessions_keep_their_budgets(void **state) {
    (void)state;
    char path[600];
    frt_model *m = NULL;
    TU_OK(frt_model_load(tu_data_path(path, sizeof path, MODEL), &m));
    frt_tensor *x = NULL;
    TU_OK(frt_npy_read(tu_data_path(path, sizeof path, "models/mobilenet_v2_035_96/input_0.npy"),
                       &x));
    size_t budgets[2] = {8u << 20, 1u << 20};
    frt_session *s[2] = {0};
    for (int i = 0; i < 2; i++) {
        frt_session_options *o = frt_session_options_new();
        frt_session_options_set_gpu_session_limit(o, budgets[i]);
        TU_OK(frt_session_new(o, m, &s[i]));
        frt_session_options_free(o);
    }
    const char *in = "x", *out = "Identity";
    frt_tensor *y = NULL;
    TU_OK(frt_session_run(s[0], &in, &x, 1, &out, &y, 1, NULL, 0));
    frt_tensor_unref(y);
    /* 1 MiB is less than this model's activations: the step fails, the session stays */
    tu_assert_error(frt_session_run(s[1], &in, &x, 1, &out, &y, 1, NULL, 0),
                    FRT_RESOURCE_EXHAUSTED, "on GPU:0");
    TU_OK(frt_session_run(s[0], &in, &x, 1, &out, &y, 1, NULL, 0)); /* the other one is fine */
    frt_tensor_unref(y);
    for (int i = 0; i < 2; i++) {
        frt_alloc_stats st;
        frt_allocator_stats(s[i]->allocs[1], &st);
        assert_true(st.peak <= budgets[i]);
        assert_int_equal(st.limit, budgets[i]);
        printf("session %d: budget %zu, peak %zu\n", i, budgets[i], st.peak);
        frt_session_free(s[i]);
    }
    frt_tensor_unref(x);
    frt_model_free(m);
}

static int setup(void **state) {
    (void)state;
    tmpdir = tu_mkdtemp("cuda_memory");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    int rc = tu_rmtree(tmpdir);
    free(tmpdir);
    return rc;
}

int main(void) {
    frt_init();
    if (!have_gpu()) {
        printf("skipped: no GPU\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fraction_fits),
        cmocka_unit_test(growth_stays_under_the_limit),
        cmocka_unit_test(a_cap_below_the_model_fails_cleanly),
        cmocka_unit_test(two_sessions_keep_their_budgets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
