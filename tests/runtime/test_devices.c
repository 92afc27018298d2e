/* tests/runtime/test_devices.c: the device seams — scratch requested in init and temporary
 * memory in compute come from the node's allocator (so they count against memory limits),
 * buffers know their memory space (host-only data refused elsewhere, host code touching
 * device bytes stopped), the planner's fusions happen only where the chosen device has the
 * fused kernel, and nodes land on a second device that has their kernels. */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/device.h"
#include "runtime/executor.h"
#include "runtime/init.h"
#include "util/graph_util.h"
#include "util/test_util.h"

frt_kernel_registry *frt_kernel_registry_mutable(void);

/* ---- a test kernel: sums its float input through a scratch buffer and a temp ---------- */

enum { SCRATCH_BYTES = 1 << 20 };

typedef struct scratch_state {
    int index;
} scratch_state;

static frt_status *scratch_init(frt_kernel_init_ctx *ic, void **state) {
    scratch_state *s = frt_malloc(sizeof *s);
    if (!s) return frt_status_oom("test kernel state");
    frt_status *st = frt_kernel_request_scratch(ic, SCRATCH_BYTES, &s->index);
    if (st) {
        free(s);
        return st;
    }
    *state = s;
    return NULL;
}

static frt_status *scratch_compute(frt_kernel_ctx *c) {
    const scratch_state *s = frt_kernel_state(c);
    const frt_tensor *x = frt_kernel_input(c, 0);
    float *scratch = frt_kernel_scratch(c, s->index);
    assert_true(((uintptr_t)scratch % 64) == 0);
    memset(scratch, 0xab, SCRATCH_BYTES); /* all of it is ours */
    float *temp;
    FRT_TRY(frt_kernel_temp_alloc(c, (size_t)x->n * sizeof(float), (void **)&temp));
    double sum = 0;
    for (int64_t i = 0; i < x->n; i++) temp[i] = frt_tensor_f32(x)[i];
    for (int64_t i = 0; i < x->n; i++) sum += temp[i];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_FLOAT, NULL, 0, &y));
    frt_tensor_f32(y)[0] = (float)sum;
    return NULL;
}

static void scratch_free(void *s) { free(s); }

static const frt_kernel_def test_defs[] = {
    {"FrtTestScratch", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, scratch_compute, scratch_init,
     scratch_free, 0, NULL},
};

static frt_graph *scratch_graph(void) {
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "x", "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, 0), "dtype", FRT_DTYPE_FLOAT);
    tu_add_node(g, "s", "FrtTestScratch", "x");
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void scratch_and_temps_through_run_once(void **state) {
    (void)state;
    frt_tensor *x = tu_f32((int64_t[]){4}, 1, (float[]){1, 2, 3, 4});
    frt_tensor *y = NULL;
    frt_attrs a;
    frt_attrs_init(&a);
    TU_OK(frt_kernel_run_once("FrtTestScratch", &a, &x, 1, &y, 1, NULL));
    assert_float_equal(frt_tensor_f32(y)[0], 10.0f, 0);
    frt_tensor_unref(x);
    frt_tensor_unref(y);
    frt_attrs_deinit(&a);
}

/* Scratch and temps count against the run's allocator: its peak sees them, and a limit
 * below them fails the step naming the node, and the next run with room works. */
static void scratch_counts_against_memory_limits(void **state) {
    (void)state;
    frt_graph *g = scratch_graph();
    frt_plan *p = NULL;
    TU_OK(frt_plan_build(g, (const char *[]){"x"}, 1, (const char *[]){"s"}, 1, NULL, 0, false,
                         &p));
    frt_tensor *x = tu_rand_f32((int64_t[]){1000}, 1, 7), *y = NULL;

    frt_allocator *roomy = frt_cpu_allocator_new("roomy", 0);
    frt_exec_env env = {.pool = tu_pool, .alloc = roomy};
    TU_OK(frt_plan_run(p, &env, &x, &y));
    frt_alloc_stats st;
    frt_allocator_stats(roomy, &st);
    assert_true(st.peak >= SCRATCH_BYTES + 1000 * sizeof(float));
    assert_int_equal(st.in_use, frt_tensor_nbytes(y)); /* scratch and temp given back */
    frt_tensor_unref(y);

    frt_allocator *tight = frt_cpu_allocator_new("tight", SCRATCH_BYTES / 2);
    env.alloc = tight;
    tu_assert_error(frt_plan_run(p, &env, &x, &y), FRT_RESOURCE_EXHAUSTED,
                    "scratch memory for node 's'");
    assert_null(y);
    frt_allocator_stats(tight, &st);
    assert_int_equal(st.in_use, 0);

    frt_allocator *temp_only = frt_cpu_allocator_new("temp_only", SCRATCH_BYTES + 64);
    env.alloc = temp_only; /* room for the scratch, not the temp */
    tu_assert_error(frt_plan_run(p, &env, &x, &y), FRT_RESOURCE_EXHAUSTED,
                    "temporary memory for node 's'");
    env.alloc = roomy; /* the plan is still usable */
    TU_OK(frt_plan_run(p, &env, &x, &y));
    frt_tensor_unref(y);

    frt_allocator_unref(roomy);
    frt_allocator_unref(tight);
    frt_allocator_unref(temp_only);
    frt_tensor_unref(x);
    frt_plan_free(p);
    frt_graph_free(g);
}

/* ---- memory spaces ---------------------------------------------------------------------- */

/* An allocator that claims to hand out device memory (it is host memory underneath). */
static frt_allocator *fake_device_allocator(void) {
    frt_allocator *a = frt_cpu_allocator_new("fake_gpu_mem", 0);
    a->space = FRT_MEM_DEVICE(0);
    return a;
}

static void host_only_data_refused_in_device_memory(void **state) {
    (void)state;
    frt_allocator *a = fake_device_allocator();
    frt_tensor *t = NULL;
    tu_assert_error(frt_tensor_alloc(a, FRT_DTYPE_STRING, (int64_t[]){2}, 1, &t),
                    FRT_INTERNAL, "string tensors live in host memory");
    tu_assert_error(frt_tensor_alloc(a, FRT_DTYPE_RESOURCE, NULL, 0, &t), FRT_INTERNAL,
                    "resource tensors live in host memory");
    TU_OK(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, (int64_t[]){2}, 1, &t));
    assert_int_equal(frt_tensor_space(t), FRT_MEM_DEVICE(0));
    assert_non_null(frt_tensor_device_ptr(t));
    frt_tensor_unref(t);
    frt_allocator_unref(a);
}

/* Host code reading a device tensor's bytes is a bug: frt_tensor_data stops it. */
static void host_read_of_device_bytes_aborts(void **state) {
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        frt_allocator *a = fake_device_allocator();
        frt_tensor *t = NULL;
        if (frt_tensor_alloc(a, FRT_DTYPE_FLOAT, (int64_t[]){2}, 1, &t)) _exit(2);
        float *f = frt_tensor_data(t); /* must not return */
        _exit(f ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void feeds_must_be_host_tensors(void **state) {
    (void)state;
    frt_graph *g = scratch_graph();
    frt_plan *p = NULL;
    TU_OK(frt_plan_build(g, (const char *[]){"x"}, 1, (const char *[]){"s"}, 1, NULL, 0, false,
                         &p));
    frt_allocator *a = fake_device_allocator();
    frt_tensor *x = NULL, *y = NULL;
    TU_OK(frt_tensor_alloc(a, FRT_DTYPE_FLOAT, (int64_t[]){2}, 1, &x));
    frt_exec_env env = {.pool = tu_pool, .alloc = frt_cpu_allocator_default()};
    tu_assert_error(frt_plan_run(p, &env, &x, &y), FRT_INVALID_ARGUMENT,
                    "feed 0 is not in host memory");
    frt_tensor_unref(x);
    frt_allocator_unref(a);
    frt_plan_free(p);
    frt_graph_free(g);
}

/* ---- a second device -------------------------------------------------------------------- */

/* "GPU:0" of this test: host memory, and kernels for Conv2D, BiasAdd and Relu (the CPU's
 * compute functions, registered under FRT_DEVICE_CUDA) but not for _FusedConv2D. A build with
 * the CUDA backend has real GPU kernels under that key, which a host-memory device cannot
 * run: there the test is skipped (tests/cuda/ places nodes on real or simulated GPUs). */
static frt_kernel_def fake_gpu_defs[3];
static bool fake_gpu_kernels;

static void register_fake_gpu_kernels(void) {
    const char *ops[3] = {"Conv2D", "BiasAdd", "Relu"};
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    for (int i = 0; i < 3; i++)
        if (frt_kernel_find(ops[i], FRT_DEVICE_CUDA, &a)) {
            frt_attrs_deinit(&a);
            return;
        }
    for (int i = 0; i < 3; i++) {
        const frt_kernel_def *cpu = frt_kernel_find(ops[i], FRT_DEVICE_CPU, &a);
        FRT_ASSERT(cpu && "the CPU kernels this test borrows");
        fake_gpu_defs[i] = *cpu;
        fake_gpu_defs[i].device = FRT_DEVICE_CUDA;
    }
    frt_attrs_deinit(&a);
    frt_kernel_registry_add(frt_kernel_registry_mutable(), fake_gpu_defs, 3);
    fake_gpu_kernels = true;
}

static frt_device fake_gpu = {
    .name = "/job:localhost/replica:0/task:0/device:GPU:0",
    .type = "GPU",
    .index = 0,
    .kernels = FRT_DEVICE_CUDA,
    .space = FRT_MEM_HOST, /* host memory: no copies, so the test needs no device code */
};

/* x -> Conv2D -> BiasAdd -> Relu: on the CPU alone the optimizer fuses the chain into
 * _FusedConv2D; with the fake GPU, which has the three kernels but not the fused one, the
 * chain runs there unfused, and gives the same values. */
static void fusion_only_where_the_device_has_the_fused_kernel(void **state) {
    (void)state;
    if (!fake_gpu_kernels) skip();
    frt_graph *g = frt_graph_new();
    tu_add_node(g, "x", "Placeholder", NULL);
    tu_attr_type(tu_node_attrs(g, 0), "dtype", FRT_DTYPE_FLOAT);
    frt_tensor *w = tu_rand_f32((int64_t[]){3, 3, 2, 4}, 4, 3);
    frt_tensor *b = tu_rand_f32((int64_t[]){4}, 1, 5);
    tu_add_const(g, "w", w);
    tu_add_const(g, "b", b);
    int conv = tu_add_node(g, "conv", "Conv2D", "x,w");
    tu_attr_type(tu_node_attrs(g, conv), "T", FRT_DTYPE_FLOAT);
    tu_attr_ints(tu_node_attrs(g, conv), "strides", (int64_t[]){1, 1, 1, 1}, 4);
    tu_attr_str(tu_node_attrs(g, conv), "padding", "SAME");
    int ba = tu_add_node(g, "bias", "BiasAdd", "conv,b");
    tu_attr_type(tu_node_attrs(g, ba), "T", FRT_DTYPE_FLOAT);
    int re = tu_add_node(g, "relu", "Relu", "bias");
    tu_attr_type(tu_node_attrs(g, re), "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));
    frt_tensor *x = tu_rand_f32((int64_t[]){1, 5, 5, 2}, 4, 9), *y_cpu = NULL, *y_gpu = NULL;
    frt_exec_env env = {.pool = tu_pool, .alloc = frt_cpu_allocator_default()};

    frt_plan *p = NULL;
    frt_plan_config cpu_only = {.optimize = true};
    TU_OK(frt_plan_build_config(g, (const char *[]){"x"}, 1, (const char *[]){"relu"}, 1, NULL,
                                0, &cpu_only, &p));
    assert_true(frt_graph_find(p->g, "relu") >= 0);
    assert_string_equal(p->g->nodes[frt_graph_find(p->g, "relu")].op, "_FusedConv2D");
    TU_OK(frt_plan_run(p, &env, &x, &y_cpu));
    frt_plan_free(p);

    frt_device *devs[2] = {frt_device_cpu(), &fake_gpu};
    frt_plan_config two = {.optimize = true, .n_devices = 2, .devices = devs};
    TU_OK(frt_plan_build_config(g, (const char *[]){"x"}, 1, (const char *[]){"relu"}, 1, NULL,
                                0, &two, &p));
    assert_string_equal(p->g->nodes[frt_graph_find(p->g, "relu")].op, "Relu");
    int on_gpu = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        const char *op = p->g->nodes[p->nodes[i].node].op;
        if (!strcmp(op, "Conv2D") || !strcmp(op, "BiasAdd") || !strcmp(op, "Relu")) {
            assert_int_equal(p->nodes[i].device, 1);
            assert_true(p->nodes[i].def->device == FRT_DEVICE_CUDA);
            on_gpu++;
        }
    }
    assert_int_equal(on_gpu, 3);
    frt_allocator *allocs[2] = {env.alloc, env.alloc};
    env.allocs = allocs;
    TU_OK(frt_plan_run(p, &env, &x, &y_gpu));
    tu_assert_close_f32(y_gpu, y_cpu, 1e-5f, 1e-5f);
    frt_plan_free(p);

    frt_tensor_unref(x);
    frt_tensor_unref(y_cpu);
    frt_tensor_unref(y_gpu);
    frt_tensor_unref(w);
    frt_tensor_unref(b);
    frt_graph_free(g);
}

int main(void) {
    frt_kernel_registry_add(frt_kernel_registry_mutable(), test_defs, 1);
    frt_init();
    register_fake_gpu_kernels();
    fake_gpu.ops = frt_device_cpu()->ops; /* host memory: the CPU's copies and sync */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scratch_and_temps_through_run_once),
        cmocka_unit_test(scratch_counts_against_memory_limits),
        cmocka_unit_test(host_only_data_refused_in_device_memory),
        cmocka_unit_test(host_read_of_device_bytes_aborts),
        cmocka_unit_test(feeds_must_be_host_tensors),
        cmocka_unit_test(fusion_only_where_the_device_has_the_fused_kernel),
    };
    return cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown);
}
