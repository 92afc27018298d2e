/* tests/kernels/test_variables.c: variable kernels run against a real resource manager —
 * TF1 VariableV2/Assign/AssignAdd/AssignSub/IsVariableInitialized, TF2 VarHandleOp/
 * ReadVariableOp/AssignVariableOp/AssignAdd|SubVariableOp/VarIsInitializedOp, the naming
 * rule (shared_name, else node name), error texts, snapshot semantics, and concurrent
 * AssignAddVariableOp losing no update. */
#include "util/test_util.h"

#include <pthread.h>
#include <string.h>

#include "core/resource.h"
#include "runtime/init.h"

/* Runs one kernel as the executor would, with rm as ctx->resources and node_name as the
 * node's name. outputs[i] receive new references (NULL on error). */
static frt_status *run_rm(const char *op, const char *node_name, const frt_attrs *attrs,
                          frt_resource_mgr *rm, frt_tensor *const *inputs, int n_in,
                          frt_tensor **outputs, int n_out) {
    for (int i = 0; i < n_out; i++) outputs[i] = NULL;
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, attrs);
    if (!d) return frt_status_new(FRT_NOT_FOUND, "no kernel for %s", op);
    frt_tensor *ins[8], *outs[8] = {0};
    for (int i = 0; i < n_in; i++) ins[i] = frt_tensor_ref(inputs[i]);
    frt_kernel_ctx c = {.def = d, .node_name = node_name, .attrs = attrs, .n_inputs = n_in,
                        .inputs = ins, .n_outputs = n_out, .outputs = outs,
                        .alloc = frt_cpu_allocator_default(), .resources = rm};
    frt_status *st = d->compute(&c);
    for (int i = 0; i < n_in; i++) frt_tensor_unref(ins[i]);
    for (int i = 0; i < n_out; i++) {
        if (st) frt_tensor_unref(outs[i]);
        else outputs[i] = outs[i];
    }
    return st;
}

static frt_attrs var_attrs(frt_dtype dt, const int64_t *dims, int ndim, const char *shared) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "dtype", dt);
    if (ndim >= 0) tu_attr_shape(&a, "shape", dims, ndim);
    if (shared) tu_attr_str(&a, "shared_name", shared);
    return a;
}

static frt_attrs type_attrs(const char *key, frt_dtype dt) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, key, dt);
    return a;
}

static frt_variable *handle_var(const frt_tensor *h) {
    assert_int_equal(h->dtype, FRT_DTYPE_RESOURCE);
    assert_int_equal(h->ndim, 0);
    frt_variable *v = frt_resource_as_variable(frt_tensor_resources(h)[0]);
    assert_non_null(v);
    return v;
}

static bool read_bool(const frt_tensor *t) {
    assert_int_equal(t->dtype, FRT_DTYPE_BOOL);
    assert_int_equal(t->ndim, 0);
    return *(const uint8_t *)frt_tensor_data(t) != 0;
}

static void name_rule(void **state) {
    (void)state;
    frt_attrs a = var_attrs(FRT_DTYPE_FLOAT, NULL, -1, NULL);
    assert_string_equal(frt_variable_name_for_node(&a, "dense/kernel"), "dense/kernel");
    tu_attr_str(&a, "shared_name", "");
    assert_string_equal(frt_variable_name_for_node(&a, "dense/kernel"), "dense/kernel");
    tu_attr_str(&a, "shared_name", "w");
    assert_string_equal(frt_variable_name_for_node(&a, "dense/kernel"), "w");
    assert_string_equal(frt_variable_name_for_node(NULL, "n"), "n");
    frt_attrs_deinit(&a);
}

static void tf1_variable_assign_read(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs va = var_attrs(FRT_DTYPE_FLOAT, TU_DIMS(2), 1, NULL);
    frt_tensor *h, *h2, *out, *init;
    TU_OK(run_rm("VariableV2", "v", &va, rm, NULL, 0, &h, 1));
    frt_variable *v = handle_var(h);
    assert_string_equal(v->name, "v");
    assert_int_equal(v->dtype, FRT_DTYPE_FLOAT);
    assert_false(v->shape.unknown_rank);
    assert_int_equal(v->shape.ndim, 1);
    assert_int_equal(v->shape.dims[0], 2);

    frt_attrs ia = type_attrs("dtype", FRT_DTYPE_FLOAT);
    TU_OK(run_rm("IsVariableInitialized", "isinit", &ia, rm, &h, 1, &init, 1));
    assert_false(read_bool(init));
    frt_tensor_unref(init);

    /* Reading before any Assign is TF's "Attempting to use uninitialized value v". */
    frt_tensor *val = NULL;
    tu_assert_error(frt_variable_read(v, &val), FRT_FAILED_PRECONDITION,
                    "uninitialized value v");

    frt_attrs aa = type_attrs("T", FRT_DTYPE_FLOAT);
    frt_tensor *x = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    TU_OK(run_rm("Assign", "v/Assign", &aa, rm, (frt_tensor *[]){h, x}, 2, &out, 1));
    assert_ptr_equal(handle_var(out), v); /* output_ref is the same variable */
    TU_OK(frt_variable_read(v, &val));
    tu_assert_equal(val, x);
    frt_tensor_unref(val);

    TU_OK(run_rm("IsVariableInitialized", "isinit", &ia, rm, &h, 1, &init, 1));
    assert_true(read_bool(init));
    frt_tensor_unref(init);

    /* A second VariableV2 node with the same name finds the same variable. */
    TU_OK(run_rm("VariableV2", "v", &va, rm, NULL, 0, &h2, 1));
    assert_ptr_equal(handle_var(h2), v);
    frt_tensor_unref(h2);
    /* shared_name wins over the node name; another container is another variable. */
    frt_attrs sa = var_attrs(FRT_DTYPE_FLOAT, TU_DIMS(2), 1, "v");
    TU_OK(run_rm("VariableV2", "other_node", &sa, rm, NULL, 0, &h2, 1));
    assert_ptr_equal(handle_var(h2), v);
    frt_tensor_unref(h2);
    tu_attr_str(&sa, "container", "c2");
    TU_OK(run_rm("VariableV2", "other_node", &sa, rm, NULL, 0, &h2, 1));
    assert_ptr_not_equal(handle_var(h2), v);
    assert_string_equal(handle_var(h2)->container, "c2");
    frt_tensor_unref(h2);
    /* Same name, other dtype: an error naming the variable. */
    frt_attrs ba = var_attrs(FRT_DTYPE_INT32, TU_DIMS(2), 1, NULL);
    tu_assert_error(run_rm("VariableV2", "v", &ba, rm, NULL, 0, &h2, 1), FRT_INVALID_ARGUMENT,
                    "'v'");
    assert_null(h2);

    frt_attrs_deinit(&va);
    frt_attrs_deinit(&ia);
    frt_attrs_deinit(&aa);
    frt_attrs_deinit(&sa);
    frt_attrs_deinit(&ba);
    frt_tensor_unref(x);
    frt_tensor_unref(out);
    frt_tensor_unref(h);
    frt_resource_mgr_free(rm);
}

static void tf1_assign_validate_shape(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs va = var_attrs(FRT_DTYPE_FLOAT, TU_DIMS(2), 1, NULL);
    frt_tensor *h, *out, *val;
    TU_OK(run_rm("VariableV2", "v", &va, rm, NULL, 0, &h, 1));
    frt_attrs aa = type_attrs("T", FRT_DTYPE_FLOAT);
    frt_tensor *x3 = tu_f32(TU_DIMS(3), 1, TU_F32(1, 2, 3));
    /* validate_shape defaults to true for Assign: [3] into a [2] variable fails. */
    tu_assert_error(run_rm("Assign", "a", &aa, rm, (frt_tensor *[]){h, x3}, 2, &out, 1),
                    FRT_INVALID_ARGUMENT, "variable 'v'");
    assert_false(frt_variable_is_initialized(handle_var(h)));
    tu_attr_bool(&aa, "validate_shape", false);
    TU_OK(run_rm("Assign", "a", &aa, rm, (frt_tensor *[]){h, x3}, 2, &out, 1));
    TU_OK(frt_variable_read(handle_var(h), &val));
    tu_assert_shape(val, TU_DIMS(3), 1);
    frt_tensor_unref(val);
    frt_tensor_unref(out);
    /* Wrong dtype is an error whatever validate_shape says. */
    frt_tensor *xi = tu_i32(TU_DIMS(3), 1, TU_I32(1, 2, 3));
    tu_assert_error(run_rm("Assign", "a", &aa, rm, (frt_tensor *[]){h, xi}, 2, &out, 1),
                    FRT_INVALID_ARGUMENT, "'v'");
    frt_attrs_deinit(&va);
    frt_attrs_deinit(&aa);
    frt_tensor_unref(x3);
    frt_tensor_unref(xi);
    frt_tensor_unref(h);
    frt_resource_mgr_free(rm);
}

static void tf1_assign_add_sub(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs va = var_attrs(FRT_DTYPE_INT32, TU_DIMS(2), 1, NULL);
    frt_tensor *h, *out, *val;
    TU_OK(run_rm("VariableV2", "counter", &va, rm, NULL, 0, &h, 1));
    frt_attrs aa = type_attrs("T", FRT_DTYPE_INT32);
    frt_tensor *d = tu_i32(TU_DIMS(2), 1, TU_I32(10, 1));
    tu_assert_error(run_rm("AssignAdd", "add", &aa, rm, (frt_tensor *[]){h, d}, 2, &out, 1),
                    FRT_FAILED_PRECONDITION, "uninitialized value counter");
    frt_tensor *x = tu_i32(TU_DIMS(2), 1, TU_I32(1, 2147483647));
    TU_OK(run_rm("Assign", "init", &aa, rm, (frt_tensor *[]){h, x}, 2, &out, 1));
    frt_tensor_unref(out);
    frt_tensor *snap;
    TU_OK(frt_variable_read(handle_var(h), &snap));
    TU_OK(run_rm("AssignAdd", "add", &aa, rm, (frt_tensor *[]){h, d}, 2, &out, 1));
    assert_ptr_equal(handle_var(out), handle_var(h));
    frt_tensor_unref(out);
    TU_OK(frt_variable_read(handle_var(h), &val));
    assert_int_equal(frt_tensor_i32(val)[0], 11);
    assert_int_equal(frt_tensor_i32(val)[1], INT32_MIN); /* wraps like TF's int32 add */
    frt_tensor_unref(val);
    /* The snapshot taken before the update still holds the old value. */
    assert_int_equal(frt_tensor_i32(snap)[0], 1);
    assert_int_equal(frt_tensor_i32(snap)[1], 2147483647);
    frt_tensor_unref(snap);
    TU_OK(run_rm("AssignSub", "sub", &aa, rm, (frt_tensor *[]){h, d}, 2, &out, 1));
    frt_tensor_unref(out);
    TU_OK(frt_variable_read(handle_var(h), &val));
    tu_assert_equal(val, x);
    frt_tensor_unref(val);
    /* Shape mismatch names the variable and both shapes; the value is unchanged. */
    frt_tensor *d3 = tu_i32(TU_DIMS(3), 1, TU_I32(1, 1, 1));
    tu_assert_error(run_rm("AssignAdd", "add", &aa, rm, (frt_tensor *[]){h, d3}, 2, &out, 1),
                    FRT_INVALID_ARGUMENT, "'counter' with shape [2] using a tensor with shape [3]");
    frt_tensor *df = tu_f32(TU_DIMS(2), 1, TU_F32(1, 1));
    tu_assert_error(run_rm("AssignAdd", "add", &aa, rm, (frt_tensor *[]){h, df}, 2, &out, 1),
                    FRT_INVALID_ARGUMENT, "'counter'");
    TU_OK(frt_variable_read(handle_var(h), &val));
    tu_assert_equal(val, x);
    frt_tensor_unref(val);
    frt_attrs_deinit(&va);
    frt_attrs_deinit(&aa);
    frt_tensor_unref(d);
    frt_tensor_unref(d3);
    frt_tensor_unref(df);
    frt_tensor_unref(x);
    frt_tensor_unref(h);
    frt_resource_mgr_free(rm);
}

static void tf2_resource_ops(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs va = var_attrs(FRT_DTYPE_FLOAT, NULL, 0, "w"); /* scalar */
    frt_tensor *h, *val, *b;
    TU_OK(run_rm("VarHandleOp", "w_handle", &va, rm, NULL, 0, &h, 1));
    assert_string_equal(handle_var(h)->name, "w");
    frt_attrs noattrs;
    frt_attrs_init(&noattrs);
    TU_OK(run_rm("VarIsInitializedOp", "i", &noattrs, rm, &h, 1, &b, 1));
    assert_false(read_bool(b));
    frt_tensor_unref(b);
    frt_attrs ra = type_attrs("dtype", FRT_DTYPE_FLOAT);
    frt_status *st = run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val, 1);
    assert_int_equal(frt_status_code(st), FRT_FAILED_PRECONDITION);
    assert_non_null(strstr(frt_status_message(st), "Could not find variable w"));
    assert_non_null(strstr(frt_status_message(st), "uninitialized"));
    frt_status_free(st);
    assert_null(val);

    frt_tensor *x = tu_scalar_f32(2.5f);
    TU_OK(run_rm("AssignVariableOp", "assign", &ra, rm, (frt_tensor *[]){h, x}, 2, NULL, 0));
    TU_OK(run_rm("VarIsInitializedOp", "i", &noattrs, rm, &h, 1, &b, 1));
    assert_true(read_bool(b));
    frt_tensor_unref(b);
    TU_OK(run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val, 1));
    assert_float_equal(frt_tensor_f32(val)[0], 2.5f, 0);
    /* ReadVariableOp returns the value itself (a snapshot), no copy. */
    frt_tensor *cur;
    TU_OK(frt_variable_read(handle_var(h), &cur));
    assert_ptr_equal(frt_tensor_data(cur), frt_tensor_data(val));
    frt_tensor_unref(cur);

    frt_tensor *d = tu_scalar_f32(1.0f), *val2;
    TU_OK(run_rm("AssignAddVariableOp", "add", &ra, rm, (frt_tensor *[]){h, d}, 2, NULL, 0));
    TU_OK(run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val2, 1));
    assert_float_equal(frt_tensor_f32(val2)[0], 3.5f, 0);
    assert_float_equal(frt_tensor_f32(val)[0], 2.5f, 0); /* old snapshot unchanged */
    frt_tensor_unref(val2);
    TU_OK(run_rm("AssignSubVariableOp", "sub", &ra, rm, (frt_tensor *[]){h, d}, 2, NULL, 0));
    TU_OK(run_rm("AssignSubVariableOp", "sub", &ra, rm, (frt_tensor *[]){h, d}, 2, NULL, 0));
    TU_OK(run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val2, 1));
    assert_float_equal(frt_tensor_f32(val2)[0], 1.5f, 0);
    frt_tensor_unref(val2);
    TU_OK(run_rm("DisableCopyOnRead", "dcor", &noattrs, rm, &h, 1, NULL, 0));

    /* AssignVariableOp: validate_shape defaults to false, so the shape may change... */
    frt_tensor *x2 = tu_f32(TU_DIMS(2), 1, TU_F32(7, 8));
    TU_OK(run_rm("AssignVariableOp", "assign", &ra, rm, (frt_tensor *[]){h, x2}, 2, NULL, 0));
    TU_OK(run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val2, 1));
    tu_assert_equal(val2, x2);
    frt_tensor_unref(val2);
    /* ...but not with validate_shape = true. */
    frt_attrs vs = type_attrs("dtype", FRT_DTYPE_FLOAT);
    tu_attr_bool(&vs, "validate_shape", true);
    tu_assert_error(run_rm("AssignVariableOp", "assign", &vs, rm, (frt_tensor *[]){h, x}, 2,
                           NULL, 0),
                    FRT_INVALID_ARGUMENT, "'w'");
    /* Wrong dtypes: assigning an int, reading as int. */
    frt_tensor *xi = tu_scalar_i32(3);
    tu_assert_error(run_rm("AssignVariableOp", "assign", &ra, rm, (frt_tensor *[]){h, xi}, 2,
                           NULL, 0),
                    FRT_INVALID_ARGUMENT, "variable 'w' of dtype float");
    frt_attrs ri = type_attrs("dtype", FRT_DTYPE_INT32);
    tu_assert_error(run_rm("ReadVariableOp", "r", &ri, rm, &h, 1, &val2, 1),
                    FRT_INVALID_ARGUMENT, "wrong dtype");

    frt_attrs_deinit(&va);
    frt_attrs_deinit(&ra);
    frt_attrs_deinit(&vs);
    frt_attrs_deinit(&ri);
    frt_attrs_deinit(&noattrs);
    frt_tensor_unref(val);
    frt_tensor_unref(x);
    frt_tensor_unref(x2);
    frt_tensor_unref(xi);
    frt_tensor_unref(d);
    frt_tensor_unref(h);
    frt_resource_mgr_free(rm);
}

static void bad_handles_and_no_session(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs ra = type_attrs("dtype", FRT_DTYPE_FLOAT);
    frt_tensor *x = tu_scalar_f32(1), *out;
    /* A value where a handle belongs. */
    tu_assert_error(run_rm("ReadVariableOp", "r", &ra, rm, &x, 1, &out, 1),
                    FRT_INVALID_ARGUMENT, "must be a variable handle");
    tu_assert_error(run_rm("AssignVariableOp", "a", &ra, rm, (frt_tensor *[]){x, x}, 2, NULL, 0),
                    FRT_INVALID_ARGUMENT, "input 0 of AssignVariableOp");
    /* An empty resource handle (no variable behind it). */
    frt_tensor *empty;
    TU_OK(frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_RESOURCE, NULL, 0, &empty));
    tu_assert_error(run_rm("ReadVariableOp", "r", &ra, rm, &empty, 1, &out, 1),
                    FRT_INVALID_ARGUMENT, "not a variable");
    frt_tensor_unref(empty);
    /* Outside a session (frt_kernel_run_once has no resource manager). */
    frt_attrs va = var_attrs(FRT_DTYPE_FLOAT, NULL, 0, NULL);
    tu_assert_error(tu_run("VarHandleOp", &va, NULL, 0, &out, 1), FRT_FAILED_PRECONDITION,
                    "VarHandleOp needs a session");
    tu_assert_error(tu_run("VariableV2", &va, NULL, 0, &out, 1), FRT_FAILED_PRECONDITION,
                    "session");
    frt_attrs_deinit(&va);
    frt_attrs_deinit(&ra);
    frt_tensor_unref(x);
    frt_resource_mgr_free(rm);
}

typedef struct adder {
    frt_resource_mgr *rm;
    frt_tensor *h, *one;
    frt_status *st;
} adder;

static void *add_many(void *arg) {
    adder *a = arg;
    frt_attrs ra = type_attrs("dtype", FRT_DTYPE_INT64);
    for (int i = 0; i < 2000 && !a->st; i++)
        a->st = run_rm("AssignAddVariableOp", "add", &ra, a->rm, (frt_tensor *[]){a->h, a->one},
                       2, NULL, 0);
    frt_attrs_deinit(&ra);
    return NULL;
}

static void concurrent_adds_lose_nothing(void **state) {
    (void)state;
    frt_resource_mgr *rm = frt_resource_mgr_new();
    frt_attrs va = var_attrs(FRT_DTYPE_INT64, NULL, 0, "count");
    frt_tensor *h, *val;
    TU_OK(run_rm("VarHandleOp", "count", &va, rm, NULL, 0, &h, 1));
    frt_tensor *zero = tu_i64(NULL, 0, (int64_t[]){0}), *one = tu_i64(NULL, 0, (int64_t[]){1});
    frt_attrs ra = type_attrs("dtype", FRT_DTYPE_INT64);
    TU_OK(run_rm("AssignVariableOp", "init", &ra, rm, (frt_tensor *[]){h, zero}, 2, NULL, 0));
    enum { N = 4 };
    pthread_t th[N];
    adder ad[N];
    for (int i = 0; i < N; i++) {
        ad[i] = (adder){rm, h, one, NULL};
        assert_int_equal(pthread_create(&th[i], NULL, add_many, &ad[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        TU_OK(ad[i].st);
    }
    TU_OK(run_rm("ReadVariableOp", "r", &ra, rm, &h, 1, &val, 1));
    assert_int_equal(frt_tensor_i64(val)[0], N * 2000);
    frt_tensor_unref(val);
    frt_attrs_deinit(&va);
    frt_attrs_deinit(&ra);
    frt_tensor_unref(zero);
    frt_tensor_unref(one);
    frt_tensor_unref(h);
    frt_resource_mgr_free(rm);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(name_rule),
        cmocka_unit_test(tf1_variable_assign_read),
        cmocka_unit_test(tf1_assign_validate_shape),
        cmocka_unit_test(tf1_assign_add_sub),
        cmocka_unit_test(tf2_resource_ops),
        cmocka_unit_test(bad_handles_and_no_session),
        cmocka_unit_test(concurrent_adds_lose_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
