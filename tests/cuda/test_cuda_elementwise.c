/* tests/cuda/test_cuda_elementwise.c: flowrt's own GPU kernels (cuda/elementwise.c,
 * array_ops.c, reduce_ops.c over cuda/kernels/), each run through a plan on the CPU and the
 * first GPU with its node pinned to /device:GPU:0 (inputs fed on the host, copied in,
 * output copied back), and compared with the same node run on the CPU (frt_kernel_run_once):
 * values within tight tolerances, or the same error. Random inputs, special values,
 * broadcasting of every kind, empty tensors, views.
 * In the simulation build (make build-sim) the kernels' bodies run as host code on the
 * simulated streams; every test asserts that no simulation violation happened, and one
 * launches past an allocation on purpose to see the violation raised. `make test-gpu` runs
 * the same on a real GPU; without one the tests are skipped. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bfc.h"
#include "cuda/cuda_impl.h"
#include "cuda/kernels/launch.h"
#include "runtime/device.h"
#include "runtime/executor.h"
#include "runtime/init.h"
#include "util/graph_util.h"
#include "util/test_util.h"
#ifdef FRT_CUDA_SIM
#include "cuda/sim/sim_internal.h"
#endif

static frt_device *devices[2]; /* the CPU and the first GPU */
static bool have_gpu;

static int setup(void **state) {
    FRT_ASSERT(tu_pool_setup(state) == 0);
    devices[0] = frt_device_cpu();
    devices[1] = tu_open_gpu();
    have_gpu = devices[1] != NULL;
    return 0;
}

static int no_violations(void **state) {
    (void)state;
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
    return 0;
}

#define NEED_GPU()                                                                         \
    do {                                                                                   \
        if (!have_gpu) skip();                                                             \
    } while (0)

/* ---- running a node on the GPU and on the CPU -------------------------------------------- */

/* Runs op (attrs, inputs fed as placeholders) with its node pinned to /device:GPU:0; *out is
 * its output, copied back to the host. Asserts the node really ran there, with the CUDA
 * kernel. */
static frt_status *run_gpu(const char *op, const frt_attrs *attrs, frt_tensor *const *ins,
                           int n_in, frt_tensor **out) {
    *out = NULL;
    frt_graph *g = frt_graph_new();
    enum { MAX_IN = 20 };
    char names[MAX_IN][16];
    const char *feeds[MAX_IN];
    FRT_ASSERT(n_in <= MAX_IN);
    for (int i = 0; i < n_in; i++) {
        snprintf(names[i], sizeof names[i], "i%d", i);
        int p = tu_add_node(g, names[i], "Placeholder", NULL);
        tu_attr_type(tu_node_attrs(g, p), "dtype", ins[i]->dtype);
        feeds[i] = names[i];
    }
    int y = frt_graph_add_node(g, "y", op, "/device:GPU:0");
    for (int i = 0; i < n_in; i++) frt_node_add_input(frt_graph_node(g, y), names[i]);
    frt_attrs_copy(tu_node_attrs(g, y), attrs);
    TU_OK(frt_graph_finalize(g));
    frt_plan_config cfg = {.optimize = false, .n_devices = 2, .devices = devices,
                           .no_soft_placement = true};
    frt_plan *p = NULL;
    TU_OK(frt_plan_build_config(g, feeds, n_in, (const char *[]){"y"}, 1, NULL, 0, &cfg, &p));
    bool placed = false;
    for (int i = 0; i < p->n_nodes; i++)
        if (p->nodes[i].def && !strcmp(p->g->nodes[p->nodes[i].node].name, "y")) {
            assert_int_equal(p->nodes[i].device, 1);
            assert_int_equal(p->nodes[i].def->device, FRT_DEVICE_CUDA);
            placed = true;
        }
    assert_true(placed);
    frt_allocator *allocs[2] = {frt_cpu_allocator_default(), devices[1]->alloc};
    frt_exec_env env = {.pool = tu_pool, .intra_threads = 2, .alloc = allocs[0],
                        .allocs = allocs};
    frt_status *st = frt_plan_run(p, &env, ins, out);
    if (!st) assert_int_equal(frt_tensor_space(*out), FRT_MEM_HOST);
    frt_plan_free(p);
    frt_graph_free(g);
    return st;
}

/* The CPU's answer must be the GPU's: the same values within atol + rtol * |x| (floats) or
 * bytes (other types), or the same error. */
static void check_tol(const char *op, const frt_attrs *attrs, frt_tensor *const *ins, int n_in,
                      float atol, float rtol) {
    frt_tensor *want = NULL, *got = NULL;
    frt_status *cpu = frt_kernel_run_once(op, attrs, ins, n_in, &want, 1, tu_pool);
    frt_status *gpu = run_gpu(op, attrs, ins, n_in, &got);
    if (cpu) {
        if (!gpu) fail_msg("%s: the CPU fails (%s), the GPU does not", op, frt_status_message(cpu));
        assert_int_equal(frt_status_code(gpu), frt_status_code(cpu));
        const char *m = frt_status_message(cpu);
        if (strncmp(frt_status_message(gpu), m, strlen(m)) != 0)
            fail_msg("%s: the GPU says '%s', the CPU '%s'", op, frt_status_message(gpu), m);
        frt_status_free(cpu);
        frt_status_free(gpu);
        return;
    }
    if (gpu) fail_msg("%s on the GPU: %s", op, frt_status_message(gpu));
    if (want->dtype == FRT_DTYPE_FLOAT) {
        tu_assert_close_f32(got, want, atol, rtol);
    } else if (want->dtype == FRT_DTYPE_DOUBLE) { /* a NaN's payload is the hardware's */
        tu_assert_shape(got, want->dims, want->ndim);
        const double *g = frt_tensor_data(got), *w = frt_tensor_data(want);
        for (int64_t i = 0; i < got->n; i++)
            if (!(g[i] == w[i] || (isnan(g[i]) && isnan(w[i]))))
                fail_msg("%s: element %lld: got %.17g, expected %.17g", op, (long long)i, g[i],
                         w[i]);
    } else {
        tu_assert_equal(got, want);
    }
    frt_tensor_unref(want);
    frt_tensor_unref(got);
}

static void check(const char *op, const frt_attrs *attrs, frt_tensor *const *ins, int n_in) {
    check_tol(op, attrs, ins, n_in, 1e-6f, 1e-5f);
}

/* The GPU fails with this code and a message that contains needle. */
static void check_gpu_error(const char *op, const frt_attrs *attrs, frt_tensor *const *ins,
                            int n_in, frt_code code, const char *needle) {
    frt_tensor *got = NULL;
    tu_assert_error(run_gpu(op, attrs, ins, n_in, &got), code, needle);
    assert_null(got);
}

static void unref_all(frt_tensor **t, int n) {
    for (int i = 0; i < n; i++) frt_tensor_unref(t[i]);
}

/* attrs with T = dt. */
static void attrs_t(frt_attrs *a, frt_dtype dt) {
    frt_attrs_init(a);
    tu_attr_type(a, "T", dt);
}

static frt_tensor *tensor_of(frt_dtype dt, const int64_t *dims, int ndim, const void *data) {
    frt_tensor *t = NULL;
    int64_t n = frt_shape_num_elements(dims, ndim);
    TU_OK(frt_tensor_new_copy(dt, dims, ndim, data, (size_t)n * frt_dtype_size(dt), &t));
    return t;
}

/* Random values of any fixed-size type: random bytes (floats: from tu_rand_f32). */
static frt_tensor *rand_of(frt_dtype dt, const int64_t *dims, int ndim, unsigned seed) {
    if (dt == FRT_DTYPE_FLOAT) return tu_rand_f32(dims, ndim, seed);
    frt_tensor *t = NULL;
    TU_OK(frt_tensor_new(dt, dims, ndim, &t));
    unsigned char *p = frt_tensor_data(t);
    for (size_t i = 0; i < frt_tensor_nbytes(t); i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
        if (dt == FRT_DTYPE_BOOL) p[i] &= 1;
    }
    return t;
}

/* ---- broadcasting binary ops ---------------------------------------------------------------- */

typedef struct shape_pair {
    int xn, yn;
    int64_t x[6], y[6];
} shape_pair;

static const shape_pair pairs[] = {
    {3, 3, {2, 3, 4}, {2, 3, 4}},       /* same shape */
    {3, 1, {2, 3, 4}, {4}},             /* row vector */
    {1, 3, {4}, {2, 3, 4}},             /* the mirror case */
    {3, 2, {2, 1, 4}, {3, 1}},          /* both sides broadcast */
    {0, 1, {0}, {5}},                   /* scalar op vector */
    {1, 0, {5}, {0}},
    {1, 1, {1}, {1}},
    {4, 4, {2, 3, 1, 5}, {1, 3, 4, 1}},
    {5, 5, {3, 1, 2, 1, 2}, {1, 2, 1, 2, 1}},
    {2, 1, {0, 3}, {3}},                /* empty */
    {2, 1, {2, 0}, {1}},
    {6, 3, {2, 1, 3, 1, 2, 3}, {3, 1, 3}},
    {2, 2, {2, 3}, {4, 3}},             /* incompatible: the CPU's error */
};

static void binary_ops(void **state) {
    (void)state;
    NEED_GPU();
    static const char *ops[] = {"Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "Maximum",
                                "Minimum", "SquaredDifference", "Pow"};
    for (size_t o = 0; o < FRT_COUNTOF(ops); o++)
        for (size_t k = 0; k < FRT_COUNTOF(pairs); k++) {
            frt_attrs a;
            attrs_t(&a, FRT_DTYPE_FLOAT);
            frt_tensor *in[2] = {tu_rand_f32(pairs[k].x, pairs[k].xn, 11 + (unsigned)k),
                                 tu_rand_f32(pairs[k].y, pairs[k].yn, 101 + (unsigned)o)};
            if (in[0]->n > 0) frt_tensor_f32(in[0])[0] = NAN; /* NaN in, NaN out */
            check(ops[o], &a, in, 2);
            unref_all(in, 2);
            frt_attrs_deinit(&a);
        }
}

static void bias_add(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        const char *op, *fmt;
        int xn;
        int64_t x[4], c;
    } cases[] = {
        {"BiasAdd", "NHWC", 4, {2, 3, 4, 5}, 5},  {"BiasAdd", "NCHW", 4, {2, 5, 3, 4}, 5},
        {"BiasAdd", "NCHW", 3, {2, 5, 7}, 5},     {"BiasAdd", "NCHW", 2, {3, 5}, 5},
        {"BiasAdd", "NHWC", 2, {0, 5}, 5},        {"BiasAddV1", NULL, 3, {2, 3, 6}, 6},
        {"BiasAdd", "NHWC", 3, {2, 3, 4}, 5},     /* channel mismatch: the CPU's error */
    };
    for (size_t k = 0; k < FRT_COUNTOF(cases); k++) {
        frt_attrs a;
        attrs_t(&a, FRT_DTYPE_FLOAT);
        if (cases[k].fmt) tu_attr_str(&a, "data_format", cases[k].fmt);
        frt_tensor *in[2] = {tu_rand_f32(cases[k].x, cases[k].xn, 3 + (unsigned)k),
                             tu_rand_f32(&cases[k].c, 1, 5)};
        check(cases[k].op, &a, in, 2);
        unref_all(in, 2);
        frt_attrs_deinit(&a);
    }
    /* a 2-D bias */
    frt_attrs a;
    attrs_t(&a, FRT_DTYPE_FLOAT);
    frt_tensor *in[2] = {tu_rand_f32(TU_DIMS(2, 3), 2, 1), tu_rand_f32(TU_DIMS(1, 3), 2, 2)};
    check("BiasAdd", &a, in, 2);
    unref_all(in, 2);
    frt_attrs_deinit(&a);
}

/* ---- unary math and activations -------------------------------------------------------------- */

static void unary_ops(void **state) {
    (void)state;
    NEED_GPU();
    static const char *ops[] = {"Relu", "Relu6", "Elu", "Selu", "LeakyRelu", "Sigmoid", "Tanh",
                                "Softplus", "Softsign", "Exp", "Expm1", "Log", "Log1p", "Sqrt",
                                "Rsqrt", "Square", "Neg", "Abs", "Reciprocal", "Inv", "Sign",
                                "Floor", "Ceil", "Round", "Rint", "Erf", "Sin", "Cos"};
    static const float special[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-30f, 50.0f,
                                    -50.0f, 100.0f, -100.0f, 2.5f, -2.5f, 6.0f, 7.5f, -1.0f};
    for (size_t o = 0; o < FRT_COUNTOF(ops); o++) {
        frt_attrs a;
        attrs_t(&a, FRT_DTYPE_FLOAT);
        if (!strcmp(ops[o], "LeakyRelu")) tu_attr_float(&a, "alpha", 0.1f);
        frt_tensor *x = tu_rand_f32(TU_DIMS(17, 33), 2, 7 + (unsigned)o);
        float *p = frt_tensor_f32(x);
        for (int64_t i = 0; i < x->n; i++) p[i] *= 4.0f; /* [-4, 4) */
        memcpy(p, special, sizeof special);
        check(ops[o], &a, &x, 1);
        frt_tensor_unref(x);
        x = tu_rand_f32(TU_DIMS(0, 3), 2, 1); /* empty */
        check(ops[o], &a, &x, 1);
        frt_tensor_unref(x);
        x = tu_scalar_f32(0.75f);
        check(ops[o], &a, &x, 1);
        frt_tensor_unref(x);
        frt_attrs_deinit(&a);
    }
}

/* ---- AddN: no CPU kernel; the sum in the GPU's order is the CPU's AddV2 chain ------------ */

static void add_n(void **state) {
    (void)state;
    NEED_GPU();
    static const int counts[] = {1, 2, 3, 8, 9, 17};
    for (size_t k = 0; k < FRT_COUNTOF(counts); k++) {
        int n = counts[k];
        frt_tensor *in[17];
        for (int i = 0; i < n; i++) in[i] = tu_rand_f32(TU_DIMS(3, 5), 2, 31 + (unsigned)i);
        frt_attrs a;
        attrs_t(&a, FRT_DTYPE_FLOAT);
        frt_tensor *want = frt_tensor_ref(in[0]);
        for (int i = 1; i < n; i++) {
            frt_tensor *pair[2] = {want, in[i]}, *sum = NULL;
            TU_OK(frt_kernel_run_once("AddV2", &a, pair, 2, &sum, 1, tu_pool));
            frt_tensor_unref(want);
            want = sum;
        }
        tu_attr_int(&a, "N", n);
        frt_tensor *got = NULL;
        TU_OK(run_gpu("AddN", &a, in, n, &got));
        tu_assert_equal(got, want); /* the same additions in the same order */
        frt_tensor_unref(got);
        frt_tensor_unref(want);
        unref_all(in, n);
        frt_attrs_deinit(&a);
    }
    /* shapes must agree */
    frt_attrs a;
    attrs_t(&a, FRT_DTYPE_FLOAT);
    tu_attr_int(&a, "N", 2);
    frt_tensor *in[2] = {tu_rand_f32(TU_DIMS(2, 3), 2, 1), tu_rand_f32(TU_DIMS(3), 1, 2)};
    check_gpu_error("AddN", &a, in, 2, FRT_INVALID_ARGUMENT,
                    "Inputs to operation y of type AddN must have the same size and shape.  "
                    "Input 0: [2,3] != input 1: [3]");
    unref_all(in, 2);
    frt_attrs_deinit(&a);
}

/* ---- reductions ------------------------------------------------------------------------------ */

static void reductions(void **state) {
    (void)state;
    NEED_GPU();
    static const char *ops[] = {"Sum", "Mean", "Prod", "Max", "Min"};
    static const struct {
        int xn, an;
        int64_t x[4], axes[4];
    } cases[] = {
        {4, 0, {3, 4, 5, 2}, {0}},       {4, 1, {3, 4, 5, 2}, {0}},
        {4, 1, {3, 4, 5, 2}, {1}},       {4, 1, {3, 4, 5, 2}, {-1}},
        {4, 2, {3, 4, 5, 2}, {0, 2}},    {4, 2, {3, 4, 5, 2}, {3, 1}},
        {4, 4, {3, 4, 5, 2}, {0, 1, 2, 3}}, {4, 2, {3, 4, 5, 2}, {1, 2}},
        {3, 1, {3, 1, 4}, {1}},          /* size-1 dims only: a view */
        {3, 2, {3, 1, 4}, {1, 2}},
        {2, 1, {0, 4}, {0}},             /* empty reductions: identities, Mean NaN */
        {2, 1, {0, 4}, {1}},             /* empty output */
        {0, 0, {0}, {0}},                /* a scalar */
        {1, 1, {1000}, {0}},
        {2, 1, {3, 4}, {2}},             /* out of range: the CPU's error */
        {2, 2, {3, 4}, {1, -1}},         /* duplicate */
    };
    for (size_t o = 0; o < FRT_COUNTOF(ops); o++)
        for (size_t k = 0; k < FRT_COUNTOF(cases); k++)
            for (int keep = 0; keep < 2; keep++) {
                frt_attrs a;
                attrs_t(&a, FRT_DTYPE_FLOAT);
                tu_attr_bool(&a, "keep_dims", keep);
                bool i64 = (k + o) % 2;
                tu_attr_type(&a, "Tidx", i64 ? FRT_DTYPE_INT64 : FRT_DTYPE_INT32);
                frt_tensor *in[2] = {tu_rand_f32(cases[k].x, cases[k].xn, 5 + (unsigned)k), NULL};
                int32_t ax32[4];
                for (int i = 0; i < cases[k].an; i++) ax32[i] = (int32_t)cases[k].axes[i];
                in[1] = i64 ? tu_i64(TU_DIMS(cases[k].an), 1, cases[k].axes)
                            : tu_i32(TU_DIMS(cases[k].an), 1, ax32);
                check_tol(ops[o], &a, in, 2, 1e-5f, 1e-5f);
                unref_all(in, 2);
                frt_attrs_deinit(&a);
            }
}

/* ---- Transpose --------------------------------------------------------------------------------- */

static void next_perm(int *p, int n) { /* the lexicographic successor */
    int i = n - 2;
    while (i >= 0 && p[i] > p[i + 1]) i--;
    if (i < 0) return;
    int j = n - 1;
    while (p[j] < p[i]) j--;
    int t = p[i];
    p[i] = p[j];
    p[j] = t;
    for (int a = i + 1, b = n - 1; a < b; a++, b--) {
        t = p[a];
        p[a] = p[b];
        p[b] = t;
    }
}

static void transpose_one(frt_dtype dt, const int64_t *dims, int nd, const int *perm,
                          unsigned seed) {
    frt_attrs a;
    attrs_t(&a, dt);
    int32_t p[FRT_MAX_DIMS];
    for (int i = 0; i < nd; i++) p[i] = perm[i];
    frt_tensor *in[2] = {rand_of(dt, dims, nd, seed), tu_i32(TU_DIMS(nd), 1, p)};
    check("Transpose", &a, in, 2);
    unref_all(in, 2);
    frt_attrs_deinit(&a);
}

static void transpose(void **state) {
    (void)state;
    NEED_GPU();
    int p[4] = {0, 1, 2, 3};
    for (int k = 0; k < 24; k++, next_perm(p, 4)) {
        transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(2, 3, 4, 5), 4, p, 1 + (unsigned)k);
        transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(1, 3, 1, 4), 4, p, 1 + (unsigned)k); /* views */
    }
    transpose_one(FRT_DTYPE_INT64, TU_DIMS(3, 7), 2, (int[]){1, 0}, 3);
    transpose_one(FRT_DTYPE_HALF, TU_DIMS(3, 7, 2), 3, (int[]){2, 0, 1}, 4);
    transpose_one(FRT_DTYPE_BOOL, TU_DIMS(5, 2, 3), 3, (int[]){1, 2, 0}, 5);
    transpose_one(FRT_DTYPE_COMPLEX128, TU_DIMS(2, 3), 2, (int[]){1, 0}, 6);
    transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(2, 3, 2, 2, 3, 2), 6,
                  (int[]){5, 1, 3, 0, 4, 2}, 7);
    transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(0, 3), 2, (int[]){1, 0}, 8);
    transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(4, 3), 2, (int[]){1, 1}, 9); /* not a perm */
    transpose_one(FRT_DTYPE_FLOAT, TU_DIMS(4, 3), 2, (int[]){0, 2}, 9); /* out of range */
    frt_attrs a;
    attrs_t(&a, FRT_DTYPE_FLOAT);
    frt_tensor *in[2] = {tu_rand_f32(TU_DIMS(4, 3), 2, 1), tu_i32(TU_DIMS(3), 1, TU_I32(0, 1, 2))};
    check("Transpose", &a, in, 2); /* perm of the wrong size */
    unref_all(in, 2);
    frt_attrs_deinit(&a);
}

/* ---- ConcatV2 ---------------------------------------------------------------------------------- */

static void concat_one(frt_dtype dt, int n, const int64_t (*shapes)[3], int nd, int64_t axis,
                       bool axis64) {
    frt_attrs a;
    attrs_t(&a, dt);
    tu_attr_int(&a, "N", n);
    tu_attr_type(&a, "Tidx", axis64 ? FRT_DTYPE_INT64 : FRT_DTYPE_INT32);
    frt_tensor *in[8];
    for (int i = 0; i < n; i++) in[i] = rand_of(dt, shapes[i], nd, 20 + (unsigned)i);
    in[n] = axis64 ? tu_i64(NULL, 0, &axis) : tu_scalar_i32((int32_t)axis);
    check("ConcatV2", &a, in, n + 1);
    unref_all(in, n + 1);
    frt_attrs_deinit(&a);
}

static void concat(void **state) {
    (void)state;
    NEED_GPU();
    static const int64_t s1[3][3] = {{2, 3, 4}, {2, 5, 4}, {2, 1, 4}};
    concat_one(FRT_DTYPE_FLOAT, 3, s1, 3, 1, false);
    concat_one(FRT_DTYPE_FLOAT, 3, s1, 3, -2, true);
    static const int64_t s0[3][3] = {{2, 3, 4}, {1, 3, 4}, {3, 3, 4}};
    concat_one(FRT_DTYPE_FLOAT, 3, s0, 3, 0, false);
    concat_one(FRT_DTYPE_INT64, 3, s0, 3, 0, true);
    static const int64_t s2[2][3] = {{2, 3, 4}, {2, 3, 1}};
    concat_one(FRT_DTYPE_FLOAT, 2, s2, 3, 2, false);
    concat_one(FRT_DTYPE_BOOL, 2, s2, 3, -1, false);
    concat_one(FRT_DTYPE_HALF, 2, s2, 3, 2, false);
    static const int64_t e[3][3] = {{2, 0, 4}, {2, 3, 4}, {2, 0, 4}}; /* one non-empty input */
    concat_one(FRT_DTYPE_FLOAT, 3, e, 3, 1, false);
    static const int64_t e2[2][3] = {{0, 3, 4}, {0, 2, 4}}; /* empty output */
    concat_one(FRT_DTYPE_FLOAT, 2, e2, 3, 1, false);
    static const int64_t bad[2][3] = {{2, 3, 4}, {2, 5, 3}};
    concat_one(FRT_DTYPE_FLOAT, 2, bad, 3, 1, false);    /* dims differ: the CPU's error */
    concat_one(FRT_DTYPE_FLOAT, 2, s2, 3, 3, false);     /* axis out of range */
}

/* ---- Pad, PadV2, MirrorPad --------------------------------------------------------------------- */

static void pad_one(const char *op, frt_dtype dt, const int64_t *dims, int nd,
                    const int32_t *paddings, const char *mode, const void *value) {
    frt_attrs a;
    attrs_t(&a, dt);
    tu_attr_type(&a, "Tpaddings", FRT_DTYPE_INT32);
    if (mode) tu_attr_str(&a, "mode", mode);
    frt_tensor *in[3] = {rand_of(dt, dims, nd, 77), tu_i32(TU_DIMS(nd, 2), 2, paddings), NULL};
    int n = 2;
    if (value) in[n++] = tensor_of(dt, NULL, 0, value);
    check(op, &a, in, n);
    unref_all(in, n);
    frt_attrs_deinit(&a);
}

static void pad(void **state) {
    (void)state;
    NEED_GPU();
    const float v = 1.5f;
    const int64_t v64 = -7;
    pad_one("Pad", FRT_DTYPE_FLOAT, TU_DIMS(2, 3, 4), 3, TU_I32(1, 2, 0, 0, 3, 1), NULL, NULL);
    pad_one("Pad", FRT_DTYPE_HALF, TU_DIMS(2, 3), 2, TU_I32(0, 1, 2, 0), NULL, NULL);
    pad_one("Pad", FRT_DTYPE_FLOAT, TU_DIMS(2, 3), 2, TU_I32(0, 0, 0, 0), NULL, NULL);
    pad_one("Pad", FRT_DTYPE_FLOAT, TU_DIMS(0, 3), 2, TU_I32(1, 1, 0, 2), NULL, NULL);
    pad_one("Pad", FRT_DTYPE_FLOAT, TU_DIMS(2, 3), 2, TU_I32(0, -1, 0, 0), NULL, NULL);
    pad_one("PadV2", FRT_DTYPE_FLOAT, TU_DIMS(2, 3, 4), 3, TU_I32(0, 2, 1, 1, 0, 3), NULL, &v);
    pad_one("PadV2", FRT_DTYPE_INT64, TU_DIMS(3, 2), 2, TU_I32(2, 0, 1, 1), NULL, &v64);
    pad_one("MirrorPad", FRT_DTYPE_FLOAT, TU_DIMS(3, 4, 5), 3, TU_I32(2, 1, 0, 3, 4, 4),
            "REFLECT", NULL);
    pad_one("MirrorPad", FRT_DTYPE_FLOAT, TU_DIMS(3, 4, 5), 3, TU_I32(3, 1, 0, 4, 5, 2),
            "SYMMETRIC", NULL);
    pad_one("MirrorPad", FRT_DTYPE_INT64, TU_DIMS(2, 3), 2, TU_I32(1, 1, 2, 2), "REFLECT", NULL);
    pad_one("MirrorPad", FRT_DTYPE_FLOAT, TU_DIMS(2, 3), 2, TU_I32(2, 0, 0, 0), "REFLECT",
            NULL); /* too much padding: the CPU's error */
    /* a scalar */
    frt_attrs a;
    attrs_t(&a, FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "Tpaddings", FRT_DTYPE_INT32);
    frt_tensor *in[2] = {tu_scalar_f32(3), NULL};
    TU_OK(frt_tensor_new(FRT_DTYPE_INT32, TU_DIMS(0, 2), 2, &in[1]));
    check("Pad", &a, in, 2);
    unref_all(in, 2);
    frt_attrs_deinit(&a);
}

/* ---- Slice and StridedSlice ------------------------------------------------------------------- */

static void slice(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        int32_t b[3], s[3];
    } cases[] = {
        {{1, 0, 2}, {2, -1, 3}}, {{0, 0, 0}, {4, 5, 6}}, {{3, 5, 0}, {1, 0, 6}},
        {{0, 1, 5}, {4, 1, 1}},  {{2, 0, 0}, {3, 5, 6}}, /* past the end: the CPU's error */
    };
    for (size_t k = 0; k < FRT_COUNTOF(cases); k++) {
        frt_attrs a;
        attrs_t(&a, FRT_DTYPE_FLOAT);
        tu_attr_type(&a, "Index", FRT_DTYPE_INT32);
        frt_tensor *in[3] = {tu_rand_f32(TU_DIMS(4, 5, 6), 3, 9), tu_i32(TU_DIMS(3), 1, cases[k].b),
                             tu_i32(TU_DIMS(3), 1, cases[k].s)};
        check("Slice", &a, in, 3);
        unref_all(in, 3);
        frt_attrs_deinit(&a);
    }
}

static void strided_slice(void **state) {
    (void)state;
    NEED_GPU();
    static const struct {
        int n;
        int64_t b[4], e[4], s[4];
        int begin_mask, end_mask, ellipsis, new_axis, shrink;
    } cases[] = {
        {3, {1, 0, 2}, {3, 5, 6}, {1, 2, 1}, 0, 0, 0, 0, 0},
        {3, {-1, 0, 0}, {0, 5, 6}, {-1, 1, 2}, 0, 0, 0, 0, 0},
        {2, {0, 1}, {0, 3}, {1, 1}, 0, 0, 1, 0, 0},          /* [..., 1:3] */
        {2, {0, 1}, {0, 3}, {1, 1}, 0, 0, 0, 1, 0},          /* [newaxis, 1:3] */
        {1, {2}, {3}, {1}, 0, 0, 0, 0, 1},                   /* [2] */
        {1, {-1}, {0}, {1}, 0, 0, 0, 0, 1},                  /* [-1] */
        {3, {0, 0, 0}, {0, 0, 0}, {1, 1, -1}, 7, 7, 0, 0, 0}, /* [:, :, ::-1] */
        {1, {0}, {4}, {1}, 0, 0, 0, 0, 0},                   /* everything: a view */
        {1, {3}, {1}, {1}, 0, 0, 0, 0, 0},                   /* empty */
        {1, {-10}, {10}, {2}, 0, 0, 0, 0, 0},                /* clamped */
        {4, {1, 0, 0, 0}, {2, 0, 0, 0}, {1, 1, 1, -2}, 8, 8, 2, 4, 1}, /* [1, ..., new, ::-2] */
        {3, {0, 4, 0}, {0, 0, 0}, {1, -1, 3}, 5, 7, 0, 0, 0},
        {1, {0}, {4}, {0}, 0, 0, 0, 0, 0},                   /* stride 0: the CPU's error */
        {1, {10}, {11}, {1}, 0, 0, 0, 0, 1},                 /* out of bounds */
        {2, {0, 0}, {0, 0}, {1, 1}, 0, 0, 3, 0, 0},          /* two ellipses */
    };
    for (size_t k = 0; k < FRT_COUNTOF(cases); k++) {
        frt_attrs a;
        attrs_t(&a, FRT_DTYPE_FLOAT);
        tu_attr_type(&a, "Index", FRT_DTYPE_INT64);
        tu_attr_int(&a, "begin_mask", cases[k].begin_mask);
        tu_attr_int(&a, "end_mask", cases[k].end_mask);
        tu_attr_int(&a, "ellipsis_mask", cases[k].ellipsis);
        tu_attr_int(&a, "new_axis_mask", cases[k].new_axis);
        tu_attr_int(&a, "shrink_axis_mask", cases[k].shrink);
        int n = cases[k].n;
        frt_tensor *in[4] = {tu_rand_f32(TU_DIMS(4, 5, 6), 3, 13), tu_i64(TU_DIMS(n), 1, cases[k].b),
                             tu_i64(TU_DIMS(n), 1, cases[k].e), tu_i64(TU_DIMS(n), 1, cases[k].s)};
        check("StridedSlice", &a, in, 4);
        unref_all(in, 4);
        frt_attrs_deinit(&a);
    }
}

/* ---- GatherV2 ------------------------------------------------------------------------------------ */

static void gather_one(frt_dtype dt, const int64_t *pd, int pn, frt_tensor *idx, int64_t axis,
                       int64_t batch_dims) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tparams", dt);
    tu_attr_type(&a, "Tindices", idx->dtype);
    tu_attr_type(&a, "Taxis", FRT_DTYPE_INT32);
    tu_attr_int(&a, "batch_dims", batch_dims);
    frt_tensor *in[3] = {rand_of(dt, pd, pn, 55), idx, tu_scalar_i32((int32_t)axis)};
    check("GatherV2", &a, in, 3);
    frt_tensor_unref(in[0]);
    frt_tensor_unref(in[2]);
    frt_attrs_deinit(&a);
}

static void gather(void **state) {
    (void)state;
    NEED_GPU();
    frt_tensor *i3 = tu_i32(TU_DIMS(3), 1, TU_I32(4, 0, 2));
    frt_tensor *i2 = tu_i64(TU_DIMS(2, 2), 2, (int64_t[]){3, 1, 1, 0});
    frt_tensor *s = tu_scalar_i32(2);
    frt_tensor *b = tu_i32(TU_DIMS(2, 4), 2, TU_I32(4, 0, 1, 1, 2, 3, 0, 4));
    frt_tensor *e = tu_i32(TU_DIMS(0), 1, NULL);
    gather_one(FRT_DTYPE_FLOAT, TU_DIMS(5, 4), 2, i3, 0, 0);
    gather_one(FRT_DTYPE_FLOAT, TU_DIMS(5, 4), 2, i2, 1, 0);
    gather_one(FRT_DTYPE_FLOAT, TU_DIMS(5, 4), 2, i2, -2, 0);
    gather_one(FRT_DTYPE_INT64, TU_DIMS(5, 4), 2, s, 0, 0);
    gather_one(FRT_DTYPE_HALF, TU_DIMS(2, 5, 3), 3, b, 1, 1);
    gather_one(FRT_DTYPE_FLOAT, TU_DIMS(5, 4), 2, e, 0, 0);
    gather_one(FRT_DTYPE_FLOAT, TU_DIMS(5, 4), 2, i3, 2, 0); /* axis out of range */
    unref_all((frt_tensor *[]){i3, i2, s, b, e}, 5);

    /* An index out of range: the CPU fails, the GPU gives zeros there (TF's GPU kernel). */
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "Tparams", FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "Tindices", FRT_DTYPE_INT32);
    tu_attr_type(&a, "Taxis", FRT_DTYPE_INT32);
    frt_tensor *in[3] = {tu_rand_f32(TU_DIMS(5, 4), 2, 3), tu_i32(TU_DIMS(3), 1, TU_I32(1, 7, -1)),
                         tu_scalar_i32(0)};
    frt_tensor *got = NULL;
    TU_OK(run_gpu("GatherV2", &a, in, 3, &got));
    tu_assert_shape(got, TU_DIMS(3, 4), 2);
    for (int j = 0; j < 4; j++) {
        assert_float_equal(frt_tensor_f32(got)[j], frt_tensor_f32(in[0])[4 + j], 0);
        assert_float_equal(frt_tensor_f32(got)[4 + j], 0, 0);
        assert_float_equal(frt_tensor_f32(got)[8 + j], 0, 0);
    }
    frt_tensor_unref(got);
    unref_all(in, 3);
    frt_attrs_deinit(&a);
}

/* ---- Cast ------------------------------------------------------------------------------------------ */

static void cast_one(frt_tensor *x, frt_dtype dst, bool truncate) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "SrcT", x->dtype);
    tu_attr_type(&a, "DstT", dst);
    tu_attr_bool(&a, "Truncate", truncate);
    check("Cast", &a, &x, 1);
    frt_attrs_deinit(&a);
}

static void cast(void **state) {
    (void)state;
    NEED_GPU();
    static const frt_dtype types[] = {FRT_DTYPE_FLOAT, FRT_DTYPE_DOUBLE, FRT_DTYPE_HALF,
                                      FRT_DTYPE_BFLOAT16, FRT_DTYPE_INT32, FRT_DTYPE_INT64,
                                      FRT_DTYPE_BOOL, FRT_DTYPE_UINT8, FRT_DTYPE_INT8};
    static const float fs[] = {NAN, -NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 2.5f, -2.5f, 3.5f,
                               1e10f, -1e10f, 65520.0f, 65519.0f, 1e-8f, 6e-8f, 300.7f, -129.9f,
                               2147483520.0f, -2147483648.0f, 1.00048828125f, 0.33333334f};
    frt_tensor *x = tensor_of(FRT_DTYPE_FLOAT, TU_DIMS(FRT_COUNTOF(fs)), 1, fs);
    for (size_t d = 0; d < FRT_COUNTOF(types); d++) {
        cast_one(x, types[d], false);
        cast_one(x, types[d], true);
    }
    frt_tensor_unref(x);
    for (size_t s = 1; s < FRT_COUNTOF(types); s++) {
        frt_tensor *r = rand_of(types[s], TU_DIMS(7, 9), 2, 17 + (unsigned)s);
        for (size_t d = 0; d < FRT_COUNTOF(types); d++) cast_one(r, types[d], s == 1);
        frt_tensor_unref(r);
    }
    static const int64_t is[] = {0, 1, -1, 9007199254740993LL, INT64_MIN, INT64_MAX,
                                 16777217, 4294967297LL, 255, 256, -129};
    x = tensor_of(FRT_DTYPE_INT64, TU_DIMS(FRT_COUNTOF(is)), 1, is);
    for (size_t d = 0; d < FRT_COUNTOF(types); d++) cast_one(x, types[d], false);
    frt_tensor_unref(x);
    x = tu_rand_f32(TU_DIMS(0, 4), 2, 1);
    cast_one(x, FRT_DTYPE_INT64, false);
    frt_tensor_unref(x);
}

/* ---- Fill, ZerosLike, OnesLike, views -------------------------------------------------------------- */

static void fills(void **state) {
    (void)state;
    NEED_GPU();
    static const frt_dtype types[] = {FRT_DTYPE_FLOAT, FRT_DTYPE_HALF, FRT_DTYPE_INT64,
                                      FRT_DTYPE_BOOL, FRT_DTYPE_DOUBLE, FRT_DTYPE_BFLOAT16,
                                      FRT_DTYPE_INT8};
    for (size_t k = 0; k < FRT_COUNTOF(types); k++) {
        frt_attrs a;
        attrs_t(&a, types[k]);
        frt_tensor *x = rand_of(types[k], TU_DIMS(3, 5), 2, 3 + (unsigned)k);
        check("ZerosLike", &a, &x, 1);
        check("OnesLike", &a, &x, 1);
        frt_tensor_unref(x);
        tu_attr_type(&a, "index_type", FRT_DTYPE_INT32);
        frt_tensor *in[2] = {tu_i32(TU_DIMS(3), 1, TU_I32(2, 1, 3)), rand_of(types[k], NULL, 0, 9)};
        check("Fill", &a, in, 2);
        frt_tensor_unref(in[0]);
        in[0] = tu_i32(TU_DIMS(2), 1, TU_I32(0, 3));
        check("Fill", &a, in, 2);
        unref_all(in, 2);
        frt_attrs_deinit(&a);
    }
}

static void views(void **state) {
    (void)state;
    NEED_GPU();
    frt_attrs a;
    attrs_t(&a, FRT_DTYPE_FLOAT);
    frt_tensor *x = tu_rand_f32(TU_DIMS(2, 1, 6), 3, 4);
    check("Identity", &a, &x, 1);
    check("StopGradient", &a, &x, 1);
    check("Snapshot", &a, &x, 1);
    check("Squeeze", &a, &x, 1);
    tu_attr_ints(&a, "squeeze_dims", TU_DIMS(1), 1);
    check("Squeeze", &a, &x, 1);
    tu_attr_ints(&a, "squeeze_dims", TU_DIMS(0), 1);
    check("Squeeze", &a, &x, 1); /* not of size 1: the CPU's error */
    frt_attrs_deinit(&a);

    attrs_t(&a, FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "Tshape", FRT_DTYPE_INT32);
    static const int32_t shapes[][3] = {{3, -1, 2}, {12, 1, 1}, {5, -1, 1}, {-1, -1, 2}};
    for (size_t k = 0; k < FRT_COUNTOF(shapes); k++) {
        frt_tensor *in[2] = {x, tu_i32(TU_DIMS(3), 1, shapes[k])};
        check("Reshape", &a, in, 2);
        frt_tensor_unref(in[1]);
    }
    frt_attrs_deinit(&a);

    attrs_t(&a, FRT_DTYPE_FLOAT);
    tu_attr_type(&a, "Tdim", FRT_DTYPE_INT32);
    for (int32_t d = -4; d <= 4; d++) {
        frt_tensor *in[2] = {x, tu_scalar_i32(d)};
        check("ExpandDims", &a, in, 2);
        frt_tensor_unref(in[1]);
    }
    frt_attrs_deinit(&a);
    frt_tensor_unref(x);
}

/* ---- the simulation sees launches that reach past their memory --------------------------------- */

#ifdef FRT_CUDA_SIM
static void out_of_bounds_launches_are_violations(void **state) {
    (void)state;
    NEED_GPU();
    frt_cuda_device *d = (frt_cuda_device *)devices[1];
    assert_int_equal(cudaSetDevice(d->ordinal), cudaSuccess);
    float *in = NULL, *out = NULL;
    assert_int_equal(cudaMalloc((void **)&in, 6 * sizeof(float)), cudaSuccess);
    assert_int_equal(cudaMalloc((void **)&out, 20 * sizeof(float)), cudaSuccess);
    assert_int_equal(cudaMemset(in, 0, 6 * sizeof(float)), cudaSuccess);
    assert_int_equal(cudaDeviceSynchronize(), cudaSuccess);
    long before = frt_sim_violations();
    /* a pad of [2,3] by one on each side is [4,5] = 20 elements: fits */
    assert_int_equal(frt_cu_pad(d->compute, in, out, 2, TU_DIMS(2, 3), TU_DIMS(1, 1),
                                TU_DIMS(4, 5), sizeof(float), NULL),
                     cudaSuccess);
    assert_int_equal(cudaStreamSynchronize(d->compute), cudaSuccess);
    assert_int_equal(frt_sim_violations(), before);
    /* out dims larger than the allocation: the launch is queued, the kernel faults */
    assert_int_equal(frt_cu_pad(d->compute, in, out, 2, TU_DIMS(2, 3), TU_DIMS(1, 1),
                                TU_DIMS(5, 5), sizeof(float), NULL),
                     cudaSuccess);
    assert_int_equal(cudaStreamSynchronize(d->compute), cudaSuccess);
    assert_int_equal(frt_sim_violations(), before + 1);
    /* a strided read past the input */
    assert_int_equal(frt_cu_strided_copy(d->compute, in, out, 1, TU_DIMS(4), 0, TU_DIMS(2),
                                         sizeof(float)),
                     cudaSuccess);
    assert_int_equal(cudaStreamSynchronize(d->compute), cudaSuccess);
    assert_int_equal(frt_sim_violations(), before + 2);
    frt_sim_reset_violations();
    /* arguments out of range are refused at the call; nothing to do succeeds at once */
    assert_int_equal(frt_cu_pad(d->compute, in, out, 9, TU_DIMS(2), TU_DIMS(0), TU_DIMS(6),
                                sizeof(float), NULL),
                     cudaErrorInvalidValue);
    assert_int_equal(frt_cu_transpose(d->compute, in, out, 1, TU_DIMS(3), (int[]){0}, 3),
                     cudaErrorInvalidValue);
    assert_int_equal(frt_cu_unary_f32(d->compute, FRT_CU_UNARY_OPS, in, out, 3, 0),
                     cudaErrorInvalidValue);
    assert_int_equal(frt_cu_fill(d->compute, NULL, 0, 4, &(float){1}), cudaSuccess);
    assert_int_equal(cudaFree(in), cudaSuccess);
    assert_int_equal(cudaFree(out), cudaSuccess);
}
#endif

int main(void) {
    frt_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(binary_ops, no_violations),
        cmocka_unit_test_teardown(bias_add, no_violations),
        cmocka_unit_test_teardown(unary_ops, no_violations),
        cmocka_unit_test_teardown(add_n, no_violations),
        cmocka_unit_test_teardown(reductions, no_violations),
        cmocka_unit_test_teardown(transpose, no_violations),
        cmocka_unit_test_teardown(concat, no_violations),
        cmocka_unit_test_teardown(pad, no_violations),
        cmocka_unit_test_teardown(slice, no_violations),
        cmocka_unit_test_teardown(strided_slice, no_violations),
        cmocka_unit_test_teardown(gather, no_violations),
        cmocka_unit_test_teardown(cast, no_violations),
        cmocka_unit_test_teardown(fills, no_violations),
        cmocka_unit_test_teardown(views, no_violations),
#ifdef FRT_CUDA_SIM
        cmocka_unit_test_teardown(out_of_bounds_launches_are_violations, no_violations),
#endif
    };
    return cmocka_run_group_tests(tests, setup, tu_pool_teardown);
}
