/* tests/graph/test_place.c: placement and partitioning over fake devices (a CPU and one or
 * two "GPU"s described by callbacks: no GPU has StringJoin, GPU:1 may lack one more op,
 * Reshape reads its shape from host memory, Shape/Size/Rank write theirs there). Covers pins
 * in every device-string form, `_class` and reference/resource colocation, defaults, soft
 * placement on and off, machines without the pinned GPU, TF's heuristics and ours, copies
 * (deduplicated, for fetches and feeds, none for control edges or host inputs), argument
 * errors and allocation failures. */
#include "util/graph_util.h"
#include "util/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/place.h"

/* ---- fake devices ----------------------------------------------------------------- */

typedef struct fake {
    const char *gpu1_lacks; /* an op GPU:1 (devices[2]) has no kernel for, or NULL */
    const char *cpu_lacks;  /* an op the CPU has no kernel for (error listings), or NULL */
    bool gpu_is_host;       /* the GPUs' memory is the host's: every argument is there */
} fake;

static bool is_op(const frt_node *n, const char *op) { return op && strcmp(n->op, op) == 0; }

static bool fake_has_kernel(void *ctx, int d, const frt_node *n) {
    const fake *f = ctx;
    if (d == 0) return !is_op(n, f->cpu_lacks);
    if (is_op(n, "StringJoin")) return false;
    return !(d == 2 && is_op(n, f->gpu1_lacks));
}

static uint64_t fake_host_inputs(void *ctx, int d, const frt_node *n) {
    (void)d;
    if (((const fake *)ctx)->gpu_is_host) return ~(uint64_t)0;
    return is_op(n, "Reshape") ? 1u << 1 : 0; /* TF: HostMemory("shape") */
}

static uint64_t fake_host_outputs(void *ctx, int d, const frt_node *n) {
    (void)d;
    if (((const fake *)ctx)->gpu_is_host) return ~(uint64_t)0;
    return is_op(n, "Shape") || is_op(n, "Size") || is_op(n, "Rank") ? ~(uint64_t)0 : 0;
}

static const frt_place_device DEVS[] = {
    {"/job:localhost/replica:0/task:0/device:CPU:0", "CPU", 0},
    {"/job:localhost/replica:0/task:0/device:GPU:0", "GPU", 0},
    {"/job:localhost/replica:0/task:0/device:GPU:1", "GPU", 1},
};
enum { CPU = 0, GPU0 = 1, GPU1 = 2 };

static fake F;

/* n_devices: 1 (CPU only), 2 (CPU, GPU:0) or 3 (CPU, GPU:0, GPU:1). */
static frt_place_env env_of(int n_devices) {
    return (frt_place_env){.n_devices = n_devices, .devices = DEVS,
                           .has_kernel = fake_has_kernel, .host_inputs = fake_host_inputs,
                           .host_outputs = fake_host_outputs, .ctx = &F};
}

/* ---- graph building --------------------------------------------------------------- */

static int add(frt_graph *g, const char *name, const char *op, const char *inputs,
               const char *device) {
    int i = tu_add_node(g, name, op, inputs);
    frt_node *n = frt_graph_node(g, i);
    free(n->device);
    n->device = frt_xstrdup(device ? device : "");
    return i;
}

/* An op with T = float (MatMul, Identity, Softmax, ...). */
static int fop(frt_graph *g, const char *name, const char *op, const char *inputs,
               const char *device) {
    int i = add(g, name, op, inputs, device);
    tu_attr_type(tu_node_attrs(g, i), "T", FRT_DTYPE_FLOAT);
    return i;
}

static int ph(frt_graph *g, const char *name, frt_dtype dt, const char *device) {
    int i = add(g, name, "Placeholder", NULL, device);
    tu_attr_type(tu_node_attrs(g, i), "dtype", dt);
    return i;
}

static int sjoin(frt_graph *g, const char *name, const char *inputs, const char *device) {
    int i = add(g, name, "StringJoin", inputs, device);
    tu_attr_int(tu_node_attrs(g, i), "N", 2);
    return i;
}

static int iconst(frt_graph *g, const char *name, int32_t v) {
    frt_tensor *t = tu_i32(TU_DIMS(1), 1, (int32_t[]){v});
    int i = tu_add_const(g, name, t);
    frt_tensor_unref(t);
    return i;
}

/* `_class` = the given list of strings ("loc:@x", ...). */
static void set_class(frt_graph *g, int i, const char *const *v, int n) {
    frt_attr_value x = {.kind = FRT_ATTR_LIST};
    x.v.list.elem = FRT_ATTR_S;
    x.v.list.n = n;
    x.v.list.v.s = frt_xcalloc((size_t)n, sizeof(frt_string));
    for (int k = 0; k < n; k++) {
        x.v.list.v.s[k].ptr = frt_xstrdup(v[k]);
        x.v.list.v.s[k].len = strlen(v[k]);
    }
    frt_attrs_set(tu_node_attrs(g, i), "_class", &x);
}

static void set_class1(frt_graph *g, int i, const char *loc) { set_class(g, i, &loc, 1); }

/* ---- checking --------------------------------------------------------------------- */

static const char *reason_name(frt_place_reason r) {
    static const char *const names[] = {"DEFAULT",     "PINNED",         "COLOCATED",
                                        "SOFT_NO_DEVICE", "SOFT_NO_KERNEL", "NO_KERNEL",
                                        "HOST_MEMORY", "METADATA",       "GENERATOR"};
    return (unsigned)r < FRT_COUNTOF(names) ? names[r] : "?";
}

/* Node `name` is on device dev for reason why, naming `related` (NULL: none). */
static void expect(const frt_graph *g, const frt_placement *p, const char *name, int dev,
                   frt_place_reason why, const char *related) {
    int i = frt_graph_find(g, name);
    assert_true(i >= 0);
    int r = related ? frt_graph_find(g, related) : -1;
    if (p->device[i] != dev || p->why[i] != why || p->related[i] != r)
        fail_msg("node '%s': device %d %s related %d, expected device %d %s related %d (%s)",
                 name, p->device[i], reason_name(p->why[i]), p->related[i], dev,
                 reason_name(why), r, related ? related : "-");
}

static frt_placement place_ok(frt_graph *g, const bool *keep, int n_devices) {
    frt_place_env env = env_of(n_devices);
    frt_placement p;
    TU_OK(frt_graph_place(g, keep, &env, &p));
    assert_int_equal(p.n_nodes, g->n_nodes);
    return p;
}

static frt_graph *finalized(frt_graph *g) {
    TU_OK(frt_graph_finalize(g));
    return g;
}

static void reset(void) { F = (fake){0}; }

/* ---- placement -------------------------------------------------------------------- */

static void device_string_forms(void **state) {
    (void)state;
    reset();
    static const struct {
        const char *device;
        int dev;
        frt_place_reason why;
    } cases[] = {
        {"/job:localhost/replica:0/task:0/device:GPU:1", GPU1, FRT_PLACE_PINNED},
        {"/device:GPU:1", GPU1, FRT_PLACE_PINNED},
        {"/gpu:1", GPU1, FRT_PLACE_PINNED},
        {"/GPU:1", GPU1, FRT_PLACE_PINNED},
        {"/job:localhost/replica:0/task:0/gpu:1", GPU1, FRT_PLACE_PINNED},
        {"/cpu:0", CPU, FRT_PLACE_PINNED},
        {"/CPU:0", CPU, FRT_PLACE_PINNED},
        {"/device:CPU:*", CPU, FRT_PLACE_PINNED},
        {"/cpu:*", CPU, FRT_PLACE_PINNED},
        {"/device:GPU:*", GPU0, FRT_PLACE_PINNED},
        {"/device:GPU", GPU0, FRT_PLACE_PINNED},
        {"/device:*:1", GPU1, FRT_PLACE_PINNED},
        {"/job:localhost", GPU0, FRT_PLACE_PINNED},
        {"/job:localhost/replica:0/task:0", GPU0, FRT_PLACE_PINNED},
        {"", GPU0, FRT_PLACE_DEFAULT},
        {"/", GPU0, FRT_PLACE_DEFAULT},
        {"/job:*/device:*:*", GPU0, FRT_PLACE_DEFAULT},
        /* Nothing matches: soft placement, as if unpinned. */
        {"/job:worker/device:GPU:0", GPU0, FRT_PLACE_SOFT_NO_DEVICE},
        {"/job:localhost/replica:1/gpu:0", GPU0, FRT_PLACE_SOFT_NO_DEVICE},
        {"/task:3/cpu:0", GPU0, FRT_PLACE_SOFT_NO_DEVICE},
        {"/device:gpu:0", GPU0, FRT_PLACE_SOFT_NO_DEVICE}, /* "gpu" is not "GPU" */
        {"/device:GPU:7", GPU0, FRT_PLACE_SOFT_NO_DEVICE},
        {"/device:TPU:0", GPU0, FRT_PLACE_SOFT_NO_DEVICE},
    };
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, "/cpu:0");
    char name[32];
    for (size_t k = 0; k < FRT_COUNTOF(cases); k++) {
        snprintf(name, sizeof name, "m%zu", k);
        fop(g, name, "MatMul", "x,x", cases[k].device);
    }
    finalized(g);
    frt_placement p = place_ok(g, NULL, 3);
    for (size_t k = 0; k < FRT_COUNTOF(cases); k++) {
        snprintf(name, sizeof name, "m%zu", k);
        int i = frt_graph_find(g, name);
        if (p.device[i] != cases[k].dev || p.why[i] != cases[k].why)
            fail_msg("'%s': device %d %s, expected %d %s", cases[k].device, p.device[i],
                     reason_name(p.why[i]), cases[k].dev, reason_name(cases[k].why));
    }
    expect(g, &p, "x", CPU, FRT_PLACE_PINNED, NULL);
    frt_placement_free(&p);
    frt_placement_free(&p); /* freed twice: the first call left it empty */
    frt_placement_free(NULL);
    frt_graph_free(g);
}

static void malformed_pins_listed_together(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, "/gpu:-1");
    fop(g, "a", "MatMul", "x,x", "garbage");
    fop(g, "b", "MatMul", "x,x", "GPU:0"); /* TF's placer refuses the local form too */
    fop(g, "c", "MatMul", "x,x", "/device:GPU:x");
    fop(g, "d", "MatMul", "x,x", "/job:");
    fop(g, "fine", "MatMul", "x,x", "/gpu:0");
    finalized(g);
    frt_place_env env = env_of(3);
    frt_placement p;
    frt_status *st = frt_graph_place(g, NULL, &env, &p);
    assert_non_null(st);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    const char *msg = frt_status_message(st);
    const char *want[] = {"(5 nodes)", "node 'x' (Placeholder): malformed device name '/gpu:-1'",
                          "node 'a' (MatMul): malformed device name 'garbage'", "'GPU:0'",
                          "'/device:GPU:x'", "node 'd' (MatMul): malformed device name '/job:'",
                          "needs the full form: '/device:GPU:0'"};
    for (size_t k = 0; k < FRT_COUNTOF(want); k++)
        if (!strstr(msg, want[k])) fail_msg("'%s' not in: %s", want[k], msg);
    assert_null(strstr(msg, "'fine'"));
    assert_null(p.device);
    frt_status_free(st);
    /* Nodes left out by keep are not parsed (nor are edges from them followed). */
    bool keep[6] = {false, false, false, false, false, true};
    TU_OK(frt_graph_place(g, keep, &env, &p));
    expect(g, &p, "fine", GPU0, FRT_PLACE_PINNED, NULL);
    assert_int_equal(p.device[0], -1);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void unpinned_nodes_and_kernels(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "s", FRT_DTYPE_STRING, NULL);
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "m", "MatMul", "x,x", NULL);
    sjoin(g, "j", "s,s", NULL);
    finalized(g);
    frt_placement p = place_ok(g, NULL, 3);
    expect(g, &p, "m", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "j", CPU, FRT_PLACE_NO_KERNEL, NULL);
    /* s feeds only j, on the CPU, which reads it from host memory. */
    expect(g, &p, "s", CPU, FRT_PLACE_HOST_MEMORY, "j");
    expect(g, &p, "x", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    /* A machine with only a CPU: everything there, by default. */
    p = place_ok(g, NULL, 1);
    for (int i = 0; i < g->n_nodes; i++) {
        assert_int_equal(p.device[i], CPU);
        assert_int_equal(p.why[i], FRT_PLACE_DEFAULT);
    }
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void class_colocation(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    ph(g, "s", FRT_DTYPE_STRING, NULL);
    fop(g, "a", "MatMul", "x,x", "/device:GPU:1");
    set_class1(g, fop(g, "b", "MatMul", "x,x", NULL), "loc:@a");
    /* c (no GPU kernel) pulls d to the CPU. */
    set_class1(g, sjoin(g, "c", "s,s", NULL), "loc:@d");
    fop(g, "d", "MatMul", "x,x", NULL);
    /* e and f name a node that is not kept: they still form one group, as in TF. */
    fop(g, "gone", "MatMul", "x,x", NULL);
    set_class1(g, sjoin(g, "e", "s,s", NULL), "loc:@gone");
    set_class1(g, fop(g, "f", "MatMul", "x,x", NULL), "loc:@gone");
    /* Entries without the loc:@ prefix and names of no node are ignored. */
    set_class(g, fop(g, "h", "MatMul", "x,x", NULL),
              (const char *const[]){"loc:@nosuchnode", "a", "loc:@"}, 3);
    /* A single string instead of a list is ignored (TF logs it). */
    int k = fop(g, "k", "MatMul", "x,x", NULL);
    tu_attr_str(tu_node_attrs(g, k), "_class", "loc:@c");
    /* A pin that the group's kernels cannot honour: soft placement moves the whole group. */
    set_class1(g, fop(g, "p", "MatMul", "x,x", "/gpu:0"), "loc:@q");
    sjoin(g, "q", "s,s", NULL);
    finalized(g);
    bool keep[13];
    for (int i = 0; i < 13; i++) keep[i] = i != frt_graph_find(g, "gone");
    assert_int_equal(g->n_nodes, 13);
    frt_placement p = place_ok(g, keep, 3);
    expect(g, &p, "a", GPU1, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "b", GPU1, FRT_PLACE_COLOCATED, "a");
    expect(g, &p, "c", CPU, FRT_PLACE_NO_KERNEL, NULL);
    expect(g, &p, "d", CPU, FRT_PLACE_COLOCATED, "c");
    expect(g, &p, "e", CPU, FRT_PLACE_NO_KERNEL, NULL);
    expect(g, &p, "f", CPU, FRT_PLACE_COLOCATED, "e");
    expect(g, &p, "h", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "k", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "p", CPU, FRT_PLACE_COLOCATED, "q");
    expect(g, &p, "q", CPU, FRT_PLACE_NO_KERNEL, NULL);
    assert_int_equal(p.device[frt_graph_find(g, "gone")], -1);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static int var_handle(frt_graph *g, const char *name, const char *device) {
    int i = add(g, name, "VarHandleOp", NULL, device);
    tu_attr_type(tu_node_attrs(g, i), "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(tu_node_attrs(g, i), "shape", NULL, 0);
    return i;
}

static int dtype_op(frt_graph *g, const char *name, const char *op, const char *inputs,
                    const char *device) {
    int i = add(g, name, op, inputs, device);
    tu_attr_type(tu_node_attrs(g, i), "dtype", FRT_DTYPE_FLOAT);
    return i;
}

static void resource_and_ref_edges(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    var_handle(g, "v", "/cpu:0");
    dtype_op(g, "read", "ReadVariableOp", "v", NULL);
    /* Pinned elsewhere: the consumer gives its pin up for the variable's (TF does so even
     * without soft placement). */
    dtype_op(g, "assign", "AssignVariableOp", "v,x", "/device:GPU:0");
    /* IdentityN forwards resources: exempt from the rule (TF's exemption registry). */
    int idn = add(g, "idn", "IdentityN", "v", NULL);
    tu_attr_types(tu_node_attrs(g, idn), "T", (frt_dtype[]){FRT_DTYPE_RESOURCE}, 1);
    /* An unpinned variable and its readers follow the one that needs the CPU. */
    var_handle(g, "w", NULL);
    dtype_op(g, "wread", "ReadVariableOp", "w", NULL);
    int ws = add(g, "wstr", "StringJoin", "s,s", NULL);
    tu_attr_int(tu_node_attrs(g, ws), "N", 2);
    set_class1(g, ws, "loc:@w");
    ph(g, "s", FRT_DTYPE_STRING, NULL);
    /* TF1 reference variables: Assign takes Ref(T) and joins; Identity reads by value. */
    int vv = add(g, "vv", "VariableV2", NULL, "/cpu:0");
    tu_attr_type(tu_node_attrs(g, vv), "dtype", FRT_DTYPE_FLOAT);
    tu_attr_shape(tu_node_attrs(g, vv), "shape", NULL, 0);
    fop(g, "vassign", "Assign", "vv,x", NULL);
    fop(g, "vread", "Identity", "vv", NULL);
    finalized(g);
    frt_placement p = place_ok(g, NULL, 2);
    expect(g, &p, "v", CPU, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "read", CPU, FRT_PLACE_COLOCATED, "v");
    expect(g, &p, "assign", CPU, FRT_PLACE_COLOCATED, "v");
    expect(g, &p, "idn", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "w", CPU, FRT_PLACE_COLOCATED, "wstr");
    expect(g, &p, "wread", CPU, FRT_PLACE_COLOCATED, "wstr");
    expect(g, &p, "wstr", CPU, FRT_PLACE_NO_KERNEL, NULL);
    expect(g, &p, "vv", CPU, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "vassign", CPU, FRT_PLACE_COLOCATED, "vv");
    expect(g, &p, "vread", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    /* The overridden pin is no error without soft placement either. */
    frt_place_env env = env_of(2);
    env.no_soft_placement = true;
    TU_OK(frt_graph_place(g, NULL, &env, &p));
    expect(g, &p, "assign", CPU, FRT_PLACE_COLOCATED, "v");
    frt_placement_free(&p);
    frt_graph_free(g);
}

/* One graph of pins that cannot all hold. */
static frt_graph *bad_pins(void) {
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    ph(g, "s", FRT_DTYPE_STRING, NULL);
    sjoin(g, "j", "s,s", "/device:GPU:0");           /* no GPU kernel */
    fop(g, "far", "MatMul", "x,x", "/device:GPU:1");  /* no such device (one GPU) */
    fop(g, "a", "MatMul", "x,x", "/gpu:0");
    set_class1(g, fop(g, "b", "MatMul", "x,x", "/cpu:0"), "loc:@a"); /* conflicts with a */
    fop(g, "ok", "MatMul", "x,x", "/cpu:0");
    return finalized(g);
}

static void soft_placement_on(void **state) {
    (void)state;
    reset();
    frt_graph *g = bad_pins();
    frt_placement p = place_ok(g, NULL, 2);
    expect(g, &p, "j", CPU, FRT_PLACE_SOFT_NO_KERNEL, NULL);
    /* TF's soft placement drops type and id: the first device with a kernel, GPU:0. */
    expect(g, &p, "far", GPU0, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    /* Conflicting pins in a group: both dropped, the group placed as unpinned. */
    expect(g, &p, "a", GPU0, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "b", GPU0, FRT_PLACE_COLOCATED, "a");
    expect(g, &p, "ok", CPU, FRT_PLACE_PINNED, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void soft_placement_off_lists_every_node(void **state) {
    (void)state;
    reset();
    frt_graph *g = bad_pins();
    frt_place_env env = env_of(2);
    env.no_soft_placement = true;
    frt_placement p;
    frt_status *st = frt_graph_place(g, NULL, &env, &p);
    assert_non_null(st);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    const char *msg = frt_status_message(st);
    const char *want[] = {
        "without soft placement (3 nodes)",
        "node 'j' (StringJoin): device '/device:GPU:0' has no kernel for it; devices with a "
        "kernel for it: [/job:localhost/replica:0/task:0/device:CPU:0]",
        "node 'far' (MatMul): device '/device:GPU:1' matches no device; devices with a kernel "
        "for it: [/job:localhost/replica:0/task:0/device:CPU:0, "
        "/job:localhost/replica:0/task:0/device:GPU:0]",
        "node 'b' (MatMul): device '/cpu:0' conflicts with its colocation group (with 'a', "
        "placed on /job:localhost/replica:0/task:0/device:GPU:0)",
    };
    for (size_t k = 0; k < FRT_COUNTOF(want); k++)
        if (!strstr(msg, want[k])) fail_msg("'%s' not in: %s", want[k], msg);
    assert_null(strstr(msg, "'ok'"));
    assert_null(strstr(msg, "node 'a'"));
    assert_null(p.device);
    frt_status_free(st);
    /* A device with no kernel at all for a node lists none. */
    F.cpu_lacks = "StringJoin";
    st = frt_graph_place(g, NULL, &env, &p);
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "devices with a kernel for it: []");
    frt_graph_free(g);
}

static void gpu_pins_on_machines_without_them(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, "/device:GPU:0");
    fop(g, "a", "MatMul", "x,x", "/job:localhost/replica:0/task:0/device:GPU:0");
    fop(g, "b", "MatMul", "a,a", "/gpu:1");
    fop(g, "c", "Relu", "b", "/device:GPU:*");
    fop(g, "d", "Relu", "c", NULL);
    finalized(g);
    /* Only GPU:0: the GPU:1 pin falls back to GPU:0 (TF drops the id, keeps the kernels). */
    frt_placement p = place_ok(g, NULL, 2);
    expect(g, &p, "a", GPU0, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "b", GPU0, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    expect(g, &p, "c", GPU0, FRT_PLACE_PINNED, NULL);
    frt_placement_free(&p);
    /* No GPU at all: the whole GPU-pinned graph runs on the CPU. */
    p = place_ok(g, NULL, 1);
    expect(g, &p, "x", CPU, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    expect(g, &p, "a", CPU, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    expect(g, &p, "b", CPU, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    expect(g, &p, "c", CPU, FRT_PLACE_SOFT_NO_DEVICE, NULL);
    expect(g, &p, "d", CPU, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void two_gpus(void **state) {
    (void)state;
    reset();
    F.gpu1_lacks = "Softmax";
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "m0", "MatMul", "x,x", NULL);
    fop(g, "m1", "MatMul", "x,x", "/device:GPU:1");
    set_class1(g, fop(g, "with1", "Relu", "m0", NULL), "loc:@m1");
    fop(g, "sm", "Softmax", "m1", "/gpu:1");     /* GPU:1 has no kernel: soft → GPU:0 */
    fop(g, "sm_any", "Softmax", "m1", "/device:GPU:*"); /* the first GPU with a kernel */
    fop(g, "r1", "Relu", "m1", "/device:*:1");
    finalized(g);
    frt_placement p = place_ok(g, NULL, 3);
    expect(g, &p, "m0", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "m1", GPU1, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "with1", GPU1, FRT_PLACE_COLOCATED, "m1");
    expect(g, &p, "sm", GPU0, FRT_PLACE_SOFT_NO_KERNEL, NULL);
    expect(g, &p, "sm_any", GPU0, FRT_PLACE_PINNED, NULL);
    expect(g, &p, "r1", GPU1, FRT_PLACE_PINNED, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

/* x -> Shape -> StridedSlice -> Pack(., -1) -> Reshape(x, .) -> out: shape arithmetic. */
static frt_graph *shape_chain(void) {
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "shape", "Shape", "x", NULL);
    iconst(g, "begin", 0);
    iconst(g, "end", 1);
    iconst(g, "strides", 1);
    int ss = add(g, "ss", "StridedSlice", "shape,begin,end,strides", NULL);
    tu_attr_type(tu_node_attrs(g, ss), "T", FRT_DTYPE_INT32);
    tu_attr_type(tu_node_attrs(g, ss), "Index", FRT_DTYPE_INT32);
    tu_attr_int(tu_node_attrs(g, ss), "shrink_axis_mask", 1);
    frt_tensor *m1 = tu_scalar_i32(-1);
    tu_add_const(g, "minus1", m1);
    frt_tensor_unref(m1);
    int pk = add(g, "pack", "Pack", "ss,minus1", NULL);
    tu_attr_type(tu_node_attrs(g, pk), "T", FRT_DTYPE_INT32);
    tu_attr_int(tu_node_attrs(g, pk), "N", 2);
    fop(g, "reshape", "Reshape", "x,pack", NULL);
    fop(g, "out", "Relu", "reshape", NULL);
    return finalized(g);
}

static void host_memory_rule(void **state) {
    (void)state;
    reset();
    frt_graph *g = shape_chain();
    frt_placement p = place_ok(g, NULL, 2);
    expect(g, &p, "x", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "shape", GPU0, FRT_PLACE_DEFAULT, NULL); /* its input is a generator */
    expect(g, &p, "ss", CPU, FRT_PLACE_HOST_MEMORY, "pack");
    expect(g, &p, "pack", CPU, FRT_PLACE_HOST_MEMORY, "reshape");
    expect(g, &p, "begin", CPU, FRT_PLACE_HOST_MEMORY, "ss");
    expect(g, &p, "minus1", CPU, FRT_PLACE_HOST_MEMORY, "pack");
    expect(g, &p, "reshape", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "out", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    /* A GPU whose memory is the host's writes host memory: no copy to save, nothing moves. */
    F.gpu_is_host = true;
    p = place_ok(g, NULL, 2);
    expect(g, &p, "ss", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "pack", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "begin", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
    /* Control consumers do not count; a node whose outputs nobody reads stays. */
    reset();
    g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "r", "Relu", "x", NULL);
    add(g, "after", "NoOp", "^r", "/cpu:0");
    finalized(g);
    p = place_ok(g, NULL, 2);
    expect(g, &p, "r", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void metadata_rule(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "s", FRT_DTYPE_STRING, NULL);
    sjoin(g, "j", "s,s", NULL);
    add(g, "shape", "Shape", "j", NULL);
    tu_attr_type(tu_node_attrs(g, frt_graph_find(g, "shape")), "T", FRT_DTYPE_STRING);
    add(g, "size", "Size", "j", NULL);
    tu_attr_type(tu_node_attrs(g, frt_graph_find(g, "size")), "T", FRT_DTYPE_STRING);
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "m", "MatMul", "x,x", NULL);
    fop(g, "rank", "Rank", "m", NULL);
    /* Pinned or colocated metadata nodes keep their constraints. */
    add(g, "pinned_shape", "Shape", "j", "/gpu:0");
    tu_attr_type(tu_node_attrs(g, frt_graph_find(g, "pinned_shape")), "T", FRT_DTYPE_STRING);
    finalized(g);
    frt_placement p = place_ok(g, NULL, 2);
    expect(g, &p, "j", CPU, FRT_PLACE_NO_KERNEL, NULL);
    expect(g, &p, "shape", CPU, FRT_PLACE_METADATA, "j");
    expect(g, &p, "size", CPU, FRT_PLACE_METADATA, "j");
    expect(g, &p, "rank", GPU0, FRT_PLACE_DEFAULT, NULL); /* already with its input */
    expect(g, &p, "pinned_shape", GPU0, FRT_PLACE_PINNED, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void generator_rule(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    fop(g, "m", "MatMul", "x,x", "/gpu:1");
    /* c's consumers (one data, one control) are all on GPU:1. */
    frt_tensor *t = tu_scalar_f32(2);
    tu_add_const(g, "c", t);
    fop(g, "mc", "MatMul", "c,c", "/gpu:1");
    add(g, "after", "NoOp", "^c", "/gpu:1");
    /* d's consumers disagree: it stays where it would go alone. */
    tu_add_const(g, "d", t);
    fop(g, "on0", "Relu", "d", "/gpu:0");
    fop(g, "on1", "Relu", "d", "/gpu:1");
    /* No consumers: default. */
    tu_add_const(g, "lonely", t);
    frt_tensor_unref(t);
    finalized(g);
    frt_placement p = place_ok(g, NULL, 3);
    expect(g, &p, "x", GPU1, FRT_PLACE_GENERATOR, "m");
    expect(g, &p, "c", GPU1, FRT_PLACE_GENERATOR, "mc");
    expect(g, &p, "d", GPU0, FRT_PLACE_DEFAULT, NULL);
    expect(g, &p, "lonely", GPU0, FRT_PLACE_DEFAULT, NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void bad_arguments(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, NULL);
    frt_place_env env = env_of(3);
    frt_placement p;
    tu_assert_error(frt_graph_place(g, NULL, &env, &p), FRT_FAILED_PRECONDITION, "finalized");
    finalized(g);
    env.n_devices = 0;
    tu_assert_error(frt_graph_place(g, NULL, &env, &p), FRT_INVALID_ARGUMENT, "0 devices");
    env.n_devices = FRT_PLACE_MAX_DEVICES + 1;
    tu_assert_error(frt_graph_place(g, NULL, &env, &p), FRT_INVALID_ARGUMENT, "1 to 64");
    frt_place_device nameless[] = {{NULL, "", 0}};
    env = (frt_place_env){.n_devices = 1, .devices = nameless};
    tu_assert_error(frt_graph_place(g, NULL, &env, &p), FRT_INVALID_ARGUMENT, "needs a type");
    /* NULL callbacks: every device has every kernel, nothing in host memory off the CPU;
     * a device without a name is named canonically in messages. */
    frt_place_device two[] = {{NULL, "CPU", 0}, {NULL, "GPU", 0}};
    env = (frt_place_env){.n_devices = 2, .devices = two};
    TU_OK(frt_graph_place(g, NULL, &env, &p));
    assert_int_equal(p.device[0], 1);
    frt_placement_free(&p);
    frt_graph_free(g);
}

/* ---- partitioning ----------------------------------------------------------------- */

static void expect_copy(const frt_partition *pt, int c, const frt_graph *g, const char *src,
                        int index, int src_space, int dst_space, int dst_device) {
    assert_true(c >= 0 && c < pt->n_copies);
    const frt_copy *cp = &pt->copies[c];
    if (cp->src.node != frt_graph_find(g, src) || cp->src.index != index ||
        cp->src_space != src_space || cp->dst_space != dst_space ||
        cp->dst_device != dst_device)
        fail_msg("copy %d: %s:%d %d -> %d (for %d), expected %s:%d %d -> %d (for %d)", c,
                 g->nodes[cp->src.node].name, cp->src.index, cp->src_space, cp->dst_space,
                 cp->dst_device, src, index, src_space, dst_space, dst_device);
}

static int input_copy(const frt_partition *pt, const frt_graph *g, const char *name, int j) {
    return pt->input_copy[frt_graph_find(g, name)][j];
}

static void partition_dedups_and_fetches(void **state) {
    (void)state;
    reset();
    frt_graph *g = frt_graph_new();
    ph(g, "x", FRT_DTYPE_FLOAT, "/cpu:0");
    fop(g, "a", "MatMul", "x,x", "/gpu:0");
    fop(g, "c1", "Identity", "a", "/cpu:0");
    fop(g, "c2", "Identity", "a", "/cpu:0");
    fop(g, "c3", "Relu", "a", "/cpu:0");
    fop(g, "g1", "Relu", "a", "/gpu:1");
    fop(g, "g0", "Relu", "a", "/gpu:0");
    add(g, "ctl", "NoOp", "^a,^g1", "/cpu:0"); /* control edges across devices: no copy */
    finalized(g);
    frt_placement p = place_ok(g, NULL, 3);
    frt_place_env env = env_of(3);
    frt_edge fetches[] = {{frt_graph_find(g, "a"), 0}, {frt_graph_find(g, "c1"), 0},
                          {frt_graph_find(g, "g1"), 0}};
    frt_partition pt;
    TU_OK(frt_graph_partition(g, NULL, &env, &p, NULL, 0, fetches, 3, &pt));
    assert_int_equal(pt.n_copies, 4);
    /* x (CPU) -> a (GPU:0): one copy for both inputs. */
    expect_copy(&pt, 0, g, "x", 0, -1, GPU0, GPU0);
    assert_int_equal(input_copy(&pt, g, "a", 0), 0);
    assert_int_equal(input_copy(&pt, g, "a", 1), 0);
    /* a to the host once for three CPU consumers, once more to GPU:1; none for g0. */
    expect_copy(&pt, 1, g, "a", 0, GPU0, -1, CPU);
    assert_int_equal(input_copy(&pt, g, "c1", 0), 1);
    assert_int_equal(input_copy(&pt, g, "c2", 0), 1);
    assert_int_equal(input_copy(&pt, g, "c3", 0), 1);
    expect_copy(&pt, 2, g, "a", 0, GPU0, GPU1, GPU1);
    assert_int_equal(input_copy(&pt, g, "g1", 0), 2);
    assert_int_equal(input_copy(&pt, g, "g0", 0), -1);
    /* Fetches: a reuses its host copy, c1 is on the host, g1 needs one. */
    assert_int_equal(pt.n_fetches, 3);
    assert_int_equal(pt.fetch_copy[0], 1);
    assert_int_equal(pt.fetch_copy[1], -1);
    assert_int_equal(pt.fetch_copy[2], 3);
    expect_copy(&pt, 3, g, "g1", 0, GPU1, -1, CPU);
    assert_int_equal(pt.n_nodes, g->n_nodes);
    assert_non_null(pt.input_copy[frt_graph_find(g, "ctl")]); /* kept, no data inputs */
    frt_partition_free(&pt);
    frt_partition_free(&pt);
    frt_partition_free(NULL);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void partition_host_inputs_and_feeds(void **state) {
    (void)state;
    reset();
    frt_graph *g = shape_chain();
    frt_placement p = place_ok(g, NULL, 2);
    frt_place_env env = env_of(2);
    frt_edge out = {frt_graph_find(g, "out"), 0};
    frt_partition pt;
    /* Shape arithmetic stays on the host: only the fetch is copied. */
    TU_OK(frt_graph_partition(g, NULL, &env, &p, NULL, 0, &out, 1, &pt));
    assert_int_equal(pt.n_copies, 1);
    expect_copy(&pt, 0, g, "out", 0, GPU0, -1, CPU);
    assert_int_equal(input_copy(&pt, g, "reshape", 1), -1);
    assert_int_equal(input_copy(&pt, g, "ss", 0), -1); /* Shape's output is host memory */
    assert_int_equal(pt.fetch_copy[0], 0);
    frt_partition_free(&pt);
    /* x fed: a host tensor, copied once to GPU:0 for reshape and shape. x itself is not
     * kept (pruned at the feed), and fetching the fed x needs no copy. */
    bool keep[16];
    assert_true(g->n_nodes <= 16);
    for (int i = 0; i < g->n_nodes; i++) keep[i] = i != frt_graph_find(g, "x");
    frt_edge feed = {frt_graph_find(g, "x"), 0};
    frt_edge fetches[] = {out, feed};
    TU_OK(frt_graph_partition(g, keep, &env, &p, &feed, 1, fetches, 2, &pt));
    assert_int_equal(pt.n_copies, 2);
    expect_copy(&pt, 0, g, "x", 0, -1, GPU0, GPU0);
    assert_int_equal(input_copy(&pt, g, "shape", 0), 0);
    assert_int_equal(input_copy(&pt, g, "reshape", 0), 0);
    expect_copy(&pt, 1, g, "out", 0, GPU0, -1, CPU);
    assert_int_equal(pt.fetch_copy[1], -1);
    assert_null(pt.input_copy[feed.node]);
    frt_partition_free(&pt);
    /* The same graph on a CPU-only machine copies nothing. */
    frt_placement_free(&p);
    p = place_ok(g, NULL, 1);
    env = env_of(1);
    TU_OK(frt_graph_partition(g, NULL, &env, &p, NULL, 0, &out, 1, &pt));
    assert_int_equal(pt.n_copies, 0);
    assert_null(pt.copies);
    frt_partition_free(&pt);
    frt_placement_free(&p);
    frt_graph_free(g);
}

static void partition_errors(void **state) {
    (void)state;
    reset();
    frt_graph *g = shape_chain();
    frt_placement p = place_ok(g, NULL, 2);
    frt_place_env env = env_of(2);
    frt_partition pt;
    bool keep[16];
    for (int i = 0; i < g->n_nodes; i++) keep[i] = i != frt_graph_find(g, "x");
    /* x neither kept nor fed. */
    tu_assert_error(frt_graph_partition(g, keep, &env, &p, NULL, 0, NULL, 0, &pt),
                    FRT_INVALID_ARGUMENT, "node 'shape' (Shape) input 0 reads 'x:0'");
    assert_null(pt.copies);
    frt_edge fx = {frt_graph_find(g, "x"), 0};
    TU_OK(frt_graph_partition(g, keep, &env, &p, &fx, 1, NULL, 0, &pt));
    frt_partition_free(&pt);
    frt_edge bad = {frt_graph_find(g, "x"), 3};
    tu_assert_error(frt_graph_partition(g, NULL, &env, &p, NULL, 0, &bad, 1, &pt),
                    FRT_INVALID_ARGUMENT, "fetch 0: 'x:3' is out of range");
    bad = (frt_edge){99, 0};
    tu_assert_error(frt_graph_partition(g, NULL, &env, &p, &bad, 1, NULL, 0, &pt),
                    FRT_INVALID_ARGUMENT, "feed 0: node index 99");
    tu_assert_error(frt_graph_partition(g, keep, &env, &p, &fx, 1, NULL, -1, &pt),
                    FRT_INVALID_ARGUMENT, "-1 fetches");
    /* A kept node the placement left out. */
    p.device[frt_graph_find(g, "out")] = -1;
    tu_assert_error(frt_graph_partition(g, NULL, &env, &p, NULL, 0, NULL, 0, &pt),
                    FRT_INVALID_ARGUMENT, "node 'out' (Relu) is kept but placed on device -1");
    frt_placement_free(&p);
    frt_placement wrong = {0};
    tu_assert_error(frt_graph_partition(g, NULL, &env, &wrong, NULL, 0, NULL, 0, &pt),
                    FRT_INVALID_ARGUMENT, "covers 0 nodes");
    frt_graph_free(g);
}

/* ---- allocation failures ---------------------------------------------------------- */

/* Fails the 1st, 2nd, ... allocation of one call until it succeeds; each failure must be
 * RESOURCE_EXHAUSTED (or the call's other error) and leave nothing allocated. */
static void alloc_failures(void **state) {
    (void)state;
    reset();
    frt_graph *g = shape_chain();
    frt_place_env env = env_of(2);
    frt_edge out = {frt_graph_find(g, "out"), 0};
    for (long n = 1;; n++) {
        frt_placement p;
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_graph_place(g, NULL, &env, &p);
        long failed = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        if (!failed) {
            TU_OK(st);
            frt_placement_free(&p);
            break;
        }
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "out of memory");
        assert_null(p.device);
    }
    frt_placement p = place_ok(g, NULL, 2);
    for (long n = 1;; n++) {
        frt_partition pt;
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_graph_partition(g, NULL, &env, &p, NULL, 0, &out, 1, &pt);
        long failed = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        if (!failed) {
            TU_OK(st);
            frt_partition_free(&pt);
            break;
        }
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "out of memory");
        assert_null(pt.input_copy);
    }
    frt_placement_free(&p);
    frt_graph_free(g);
    /* The error listing of no-soft placement: either its message or out of memory. */
    g = bad_pins();
    env.no_soft_placement = true;
    for (long n = 1;; n++) {
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_graph_place(g, NULL, &env, &p);
        long failed = frt_testing_alloc_failures();
        frt_testing_fail_alloc_after(0);
        assert_non_null(st);
        if (!failed) {
            tu_assert_error(st, FRT_INVALID_ARGUMENT, "node 'far'");
            break;
        }
        assert_true(frt_status_code(st) == FRT_RESOURCE_EXHAUSTED ||
                    frt_status_code(st) == FRT_INVALID_ARGUMENT);
        frt_status_free(st);
    }
    frt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(device_string_forms),
        cmocka_unit_test(malformed_pins_listed_together),
        cmocka_unit_test(unpinned_nodes_and_kernels),
        cmocka_unit_test(class_colocation),
        cmocka_unit_test(resource_and_ref_edges),
        cmocka_unit_test(soft_placement_on),
        cmocka_unit_test(soft_placement_off_lists_every_node),
        cmocka_unit_test(gpu_pins_on_machines_without_them),
        cmocka_unit_test(two_gpus),
        cmocka_unit_test(host_memory_rule),
        cmocka_unit_test(metadata_rule),
        cmocka_unit_test(generator_rule),
        cmocka_unit_test(bad_arguments),
        cmocka_unit_test(partition_dedups_and_fetches),
        cmocka_unit_test(partition_host_inputs_and_feeds),
        cmocka_unit_test(partition_errors),
        cmocka_unit_test(alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
