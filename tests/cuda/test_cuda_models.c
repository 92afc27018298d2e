/* tests/cuda/test_cuda_models.c: the TensorFlow-made model fixtures (tests/data/models: MLP,
 * CNNs, MobileNetV2 0.35, a ResNet-style network with residual adds) run with a GPU
 * visible — in the simulation build on the simulated GPU, on a real one under make
 * test-gpu — must match TF's outputs within each case's tolerance, with every compute node
 * on the GPU (only host-memory shape arithmetic may stay on the CPU), no simulation
 * violation, and the GPU memory peak within the allocator's limit. Prints each model's
 * placement (nodes per device, copies) for the record. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/init.h"
#include "runtime/session_impl.h"
#include "util/test_util.h"
#ifdef FRT_CUDA_SIM
#include "cuda/sim/sim_internal.h"
#endif

enum { MAX_IO = 8 };

typedef struct mcase {
    char dir[1024], model[256];
    int nin, nout;
    char in_names[MAX_IO][128], in_files[MAX_IO][128];
    char out_names[MAX_IO][128], out_files[MAX_IO][128];
    double atol[MAX_IO], rtol[MAX_IO];
} mcase;

static void parse(mcase *c) {
    char path[1200], line[1200], kw[32];
    snprintf(path, sizeof path, "%s/case.txt", c->dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || sscanf(line, "%31s", kw) != 1) continue;
        if (!strcmp(kw, "model")) {
            if (sscanf(line, "%*s %255s", c->model) != 1) fail_msg("%s: bad model", path);
        } else if (!strcmp(kw, "input") && c->nin < MAX_IO) {
            if (sscanf(line, "%*s %127s %127s", c->in_names[c->nin], c->in_files[c->nin]) != 2)
                fail_msg("%s: bad input", path);
            c->nin++;
        } else if (!strcmp(kw, "output") && c->nout < MAX_IO) {
            int k = c->nout++;
            if (sscanf(line, "%*s %127s %127s %lf %lf", c->out_names[k], c->out_files[k],
                       &c->atol[k], &c->rtol[k]) != 4)
                fail_msg("%s: bad output", path);
        }
    }
    fclose(f);
}

static frt_tensor *npy(const mcase *c, const char *file) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", c->dir, file);
    frt_tensor *t = NULL;
    TU_OK(frt_npy_read(path, &t));
    return t;
}

/* Ops that do the model's arithmetic: none of them may be left on the CPU. */
static bool is_compute_op(const char *op) {
    static const char *ops[] = {"Conv2D", "_FusedConv2D", "DepthwiseConv2dNative",
                                "_FusedDepthwiseConv2dNative", "MatMul", "_FusedMatMul",
                                "BiasAdd", "Relu", "Relu6", "Add", "AddV2", "Mul", "Sub",
                                "Mean", "Softmax", "MaxPool", "AvgPool", "Pad",
                                "FusedBatchNormV3", "Rsqrt"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strcmp(op, ops[i])) return true;
    return false;
}

static void run_model_on_gpu(void **state) {
    mcase *c = *state;
    parse(c);
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", c->dir, c->model);
    frt_model *m = NULL;
    frt_session *s = NULL;
    TU_OK(frt_model_load(path, &m));
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_gpu_memory_fraction(o, 0.25);
    TU_OK(frt_session_new(o, m, &s));
    frt_session_options_free(o);
    if (s->n_devices < 2) {
        frt_session_free(s);
        frt_model_free(m);
        skip(); /* no GPU: nothing to check here (the CPU suite ran these already) */
    }
    const char *in_names[MAX_IO], *out_names[MAX_IO];
    frt_tensor *feeds[MAX_IO], *fetches[MAX_IO] = {0};
    for (int i = 0; i < c->nin; i++) {
        in_names[i] = c->in_names[i];
        feeds[i] = npy(c, c->in_files[i]);
    }
    for (int k = 0; k < c->nout; k++) out_names[k] = c->out_names[k];
    for (int rep = 0; rep < 2; rep++) { /* the second run reuses the plan and the memory */
        for (int k = 0; k < c->nout; k++) {
            frt_tensor_unref(fetches[k]);
            fetches[k] = NULL;
        }
        TU_OK(frt_session_run(s, in_names, feeds, c->nin, out_names, fetches, c->nout, NULL, 0));
    }
    for (int k = 0; k < c->nout; k++) {
        frt_tensor *want = npy(c, c->out_files[k]);
        tu_assert_close_f32(fetches[k], want, (float)c->atol[k], (float)c->rtol[k]);
        frt_tensor_unref(want);
        frt_tensor_unref(fetches[k]);
    }
    for (int i = 0; i < c->nin; i++) frt_tensor_unref(feeds[i]);

    const frt_plan *p = s->last_plan;
    int per_dev[FRT_SESSION_MAX_DEVICES] = {0};
    for (int i = 0; i < p->n_nodes; i++) {
        const frt_plan_node *pn = &p->nodes[i];
        if (!pn->def) continue;
        per_dev[pn->device]++;
        const char *op = p->g->nodes[pn->node].op;
        if (pn->device == 0 && is_compute_op(op))
            fail_msg("%s: node '%s' (%s) runs on the CPU", c->dir, p->g->nodes[pn->node].name, op);
    }
    frt_alloc_stats st;
    frt_allocator_stats(s->allocs[1], &st);
    frt_alloc_stats base;
    frt_allocator_stats(s->devices[1]->alloc, &base);
    printf("placement %s: CPU:0 %d nodes, GPU:0 %d nodes, %ld copies (%ld bytes); GPU peak "
           "%zu bytes, limit %zu\n", strrchr(c->dir, '/') + 1, per_dev[0], per_dev[1],
           s->last_copies, s->last_copy_bytes, st.peak, base.limit);
    assert_true(per_dev[1] > per_dev[0]);
    assert_true(st.peak <= base.limit);
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
    frt_session_free(s);
    frt_model_free(m);
}

int main(void) {
    frt_init();
    char path[600], line[256];
    snprintf(path, sizeof path, "%s/models/index.txt", FRT_TEST_DATA);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return 1;
    }
    static mcase cases[32];
    static struct CMUnitTest tests[32];
    static char names[32][128];
    int n = 0;
    while (n < 32 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        snprintf(cases[n].dir, sizeof cases[n].dir, "%s/models/%s", FRT_TEST_DATA, line);
        snprintf(names[n], sizeof names[n], "%.100s", line);
        tests[n] = (struct CMUnitTest){.name = names[n], .test_func = run_model_on_gpu,
                                       .initial_state = &cases[n]};
        n++;
    }
    fclose(f);
    return _cmocka_run_group_tests("models_on_gpu", tests, (size_t)n, NULL, NULL);
}
