/* kernels/variables.c: variable ops — TF1 ref variables (VariableV2/Variable, Assign,
 * AssignAdd, AssignSub, IsVariableInitialized) and TF2 resource variables (VarHandleOp,
 * ReadVariableOp, AssignVariableOp, AssignAdd/SubVariableOp, VarIsInitializedOp,
 * DisableCopyOnRead).
 * Owns: the handle representation — a variable reference (TF1 ref output or TF2 resource
 * handle alike) is a scalar DT_RESOURCE tensor whose one element is the frt_variable.
 * Does not own: the variable store (core/resource.c), dereferencing ref edges for
 * consumers that want values (the executor), restoring checkpoints (checkpoint kernels).
 * Thread-safety: kernels keep no state; variables lock themselves, and AssignAdd/AssignSub
 * hold the variable's lock across read-add-swap so concurrent updates are not lost. */
#include <string.h>

#include "core/kernel.h"
#include "core/resource.h"

static frt_status *need_resources(const frt_kernel_ctx *ctx) {
    if (ctx->resources) return NULL;
    return frt_status_new(FRT_FAILED_PRECONDITION,
                          "%s needs a session's variable store (run it inside a session)",
                          ctx->def->op);
}

/* Output idx := a handle holding a new reference to v. */
static frt_status *output_handle(frt_kernel_ctx *ctx, int idx, frt_variable *v) {
    frt_tensor *t;
    FRT_TRY(frt_kernel_output(ctx, idx, FRT_DTYPE_RESOURCE, NULL, 0, &t));
    frt_tensor_resources(t)[0] = frt_resource_ref(&v->base);
    return NULL;
}

/* The variable named by input i (borrowed: the input tensor holds the reference). */
static frt_status *input_variable(const frt_kernel_ctx *ctx, int i, frt_variable **out) {
    *out = NULL;
    const frt_tensor *h = frt_kernel_input(ctx, i);
    if (!h || h->dtype != FRT_DTYPE_RESOURCE || h->n != 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "input %d of %s must be a variable handle (a scalar resource), "
                              "got a %s tensor of shape %s",
                              i, ctx->def->op, h ? frt_dtype_name(h->dtype) : "missing",
                              h ? FRT_SHAPE_STR(h) : "[]");
    frt_variable *v = frt_resource_as_variable(frt_tensor_resources(h)[0]);
    if (!v)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "input %d of %s is a resource handle that is not a variable", i,
                              ctx->def->op);
    *out = v;
    return NULL;
}

/* The value input must have the variable's dtype (TF: "Trying to assign variable with wrong
 * dtype"). */
static frt_status *check_value_dtype(const frt_kernel_ctx *ctx, const frt_variable *v,
                                     const frt_tensor *value) {
    if (v->dtype == FRT_DTYPE_INVALID || value->dtype == v->dtype) return NULL;
    return frt_status_new(FRT_INVALID_ARGUMENT,
                          "%s: trying to assign a %s value to variable '%s' of dtype %s",
                          ctx->def->op, frt_dtype_name(value->dtype), v->name,
                          frt_dtype_name(v->dtype));
}

/* ---- creating handles -------------------------------------------------------------------- */

/* VariableV2 / Variable / VarHandleOp: the variable (container, shared_name or node name),
 * created uninitialised with the declared dtype and shape on first use. */
static frt_status *variable_handle(frt_kernel_ctx *ctx) {
    FRT_TRY(need_resources(ctx));
    const frt_attrs *a = frt_kernel_attrs(ctx);
    const char *container;
    frt_dtype dtype;
    frt_attr_shape shape;
    bool has_shape = false;
    FRT_TRY(frt_attr_get_str(a, "container", "", &container));
    FRT_TRY(frt_attr_get_type(a, "dtype", FRT_DTYPE_INVALID, &dtype));
    FRT_TRY(frt_attr_get_shape(a, "shape", &shape, &has_shape));
    if (dtype == FRT_DTYPE_INVALID)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s has no dtype attr", ctx->def->op);
    const char *name = frt_variable_name_for_node(a, ctx->node_name);
    frt_variable *v;
    FRT_TRY(frt_resource_mgr_variable(ctx->resources, container, name, frt_dtype_base(dtype),
                                      has_shape ? &shape : NULL, &v));
    frt_status *st = output_handle(ctx, 0, v);
    frt_resource_unref(&v->base);
    return st;
}

/* ---- assignment ---------------------------------------------------------------------------- */

static frt_status *assign_common(frt_kernel_ctx *ctx, bool validate_default, bool has_output) {
    frt_variable *v;
    FRT_TRY(input_variable(ctx, 0, &v));
    bool validate;
    FRT_TRY(frt_attr_get_bool(frt_kernel_attrs(ctx), "validate_shape", validate_default,
                              &validate));
    frt_tensor *value = ctx->inputs[1];
    FRT_TRY(check_value_dtype(ctx, v, value));
    FRT_TRY(frt_variable_assign(v, value, validate));
    if (has_output) frt_kernel_set_output(ctx, 0, ctx->inputs[0]);
    return NULL;
}

/* TF1 Assign: validate_shape defaults to true; outputs the (updated) variable reference. */
static frt_status *assign(frt_kernel_ctx *ctx) { return assign_common(ctx, true, true); }
/* TF2 AssignVariableOp: validate_shape defaults to false; no outputs. */
static frt_status *assign_variable(frt_kernel_ctx *ctx) {
    return assign_common(ctx, false, false);
}

/* ---- AssignAdd / AssignSub ------------------------------------------------------------- */

typedef struct update_args {
    frt_kernel_ctx *ctx;
    frt_variable *v;
    const frt_tensor *delta;
    bool sub;
} update_args;

/* Integers wrap (computed in the unsigned type, as TF's Eigen adds do in practice) rather
 * than overflow, which would be undefined in C. */
#define ADD_TYPES(X)                                                                       \
    X(FLOAT, float, float) X(DOUBLE, double, double) X(INT32, int32_t, uint32_t)           \
    X(INT64, int64_t, uint64_t) X(INT8, int8_t, uint8_t) X(INT16, int16_t, uint16_t)       \
    X(UINT8, uint8_t, uint8_t) X(UINT16, uint16_t, uint16_t) X(UINT32, uint32_t, uint32_t) \
    X(UINT64, uint64_t, uint64_t)

#define ADD_LOOP(DT, T, U)                                                                 \
    case FRT_DTYPE_##DT: {                                                                 \
        const T *x = frt_tensor_data(cur), *d = frt_tensor_data(u->delta);                 \
        T *z = frt_tensor_data(next);                                                      \
        if (u->sub)                                                                        \
            for (int64_t i = 0; i < cur->n; i++) z[i] = (T)((U)x[i] - (U)d[i]);            \
        else                                                                               \
            for (int64_t i = 0; i < cur->n; i++) z[i] = (T)((U)x[i] + (U)d[i]);            \
        break;                                                                             \
    }

/* Runs under the variable's lock: a new value tensor cur ± delta (values are immutable). */
static frt_status *add_update(const frt_tensor *cur, void *ctx, frt_tensor **out) {
    update_args *u = ctx;
    *out = NULL;
    if (!frt_tensor_same_shape(cur, u->delta)) {
        char a[96], b[96];
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Cannot update variable '%s' with shape %s using a tensor with "
                              "shape %s, shapes must be equal",
                              u->v->name, frt_shape_str(cur->dims, cur->ndim, a, sizeof a),
                              frt_shape_str(u->delta->dims, u->delta->ndim, b, sizeof b));
    }
    if (cur->dtype != u->delta->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "cannot update variable '%s' of dtype %s with a %s value",
                              u->v->name, frt_dtype_name(cur->dtype),
                              frt_dtype_name(u->delta->dtype));
    frt_tensor *next;
    FRT_TRY(frt_tensor_alloc(u->ctx->alloc, cur->dtype, cur->dims, cur->ndim, &next));
    switch (cur->dtype) {
        ADD_TYPES(ADD_LOOP)
    default:
        frt_tensor_unref(next);
        return frt_status_new(FRT_UNIMPLEMENTED, "%s does not support variables of dtype %s",
                              u->ctx->def->op, frt_dtype_name(cur->dtype));
    }
    *out = next;
    return NULL;
}

static frt_status *add_common(frt_kernel_ctx *ctx, bool sub, bool has_output) {
    frt_variable *v;
    FRT_TRY(input_variable(ctx, 0, &v));
    FRT_TRY(check_value_dtype(ctx, v, ctx->inputs[1]));
    update_args u = {ctx, v, ctx->inputs[1], sub};
    FRT_TRY(frt_variable_update(v, add_update, &u));
    if (has_output) frt_kernel_set_output(ctx, 0, ctx->inputs[0]);
    return NULL;
}

static frt_status *assign_add(frt_kernel_ctx *ctx) { return add_common(ctx, false, true); }
static frt_status *assign_sub(frt_kernel_ctx *ctx) { return add_common(ctx, true, true); }
static frt_status *assign_add_variable(frt_kernel_ctx *ctx) {
    return add_common(ctx, false, false);
}
static frt_status *assign_sub_variable(frt_kernel_ctx *ctx) {
    return add_common(ctx, true, false);
}

/* ---- reading ---------------------------------------------------------------------------- */

/* ReadVariableOp: a snapshot (a reference to the current immutable value). */
static frt_status *read_variable(frt_kernel_ctx *ctx) {
    frt_variable *v;
    FRT_TRY(input_variable(ctx, 0, &v));
    frt_tensor *val = NULL;
    frt_status *st = frt_variable_read(v, &val);
    if (st) {
        frt_status_free(st);
        /* TF 2.x: "Could not find variable x. This could mean that the variable has been
         * deleted. In TF1, it can also mean the variable is uninitialized." */
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "Could not find variable %s: it is uninitialized or has been "
                              "deallocated (container '%s')",
                              v->name, v->container);
    }
    frt_dtype want;
    st = frt_attr_get_type(frt_kernel_attrs(ctx), "dtype", FRT_DTYPE_INVALID, &want);
    if (!st && want != FRT_DTYPE_INVALID && frt_dtype_base(want) != val->dtype)
        st = frt_status_new(FRT_INVALID_ARGUMENT,
                            "Trying to read variable %s with wrong dtype. Expected %s got %s",
                            v->name, frt_dtype_name(frt_dtype_base(want)),
                            frt_dtype_name(val->dtype));
    if (!st) frt_kernel_set_output(ctx, 0, val);
    frt_tensor_unref(val);
    return st;
}

/* VarIsInitializedOp / IsVariableInitialized: scalar bool. */
static frt_status *is_initialized(frt_kernel_ctx *ctx) {
    frt_variable *v;
    FRT_TRY(input_variable(ctx, 0, &v));
    frt_tensor *t;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_BOOL, NULL, 0, &t));
    *(uint8_t *)frt_tensor_data(t) = frt_variable_is_initialized(v) ? 1 : 0;
    return NULL;
}

/* DisableCopyOnRead: TF's copy-on-read mode only matters for sparse updates; our values are
 * immutable snapshots, so nothing to do beyond checking the handle. */
static frt_status *disable_copy_on_read(frt_kernel_ctx *ctx) {
    frt_variable *v;
    return input_variable(ctx, 0, &v);
}

/* Every kernel handles any dtype (FRT_DTYPE_INVALID); dtype checks happen in compute. */
#define ANY(OP, FN) {OP, FRT_DEVICE_CPU, FRT_DTYPE_INVALID, FN, NULL, NULL, 0, NULL}
static const frt_kernel_def defs[] = {
    ANY("VariableV2", variable_handle),
    ANY("Variable", variable_handle),
    ANY("VarHandleOp", variable_handle),
    ANY("Assign", assign),
    ANY("AssignAdd", assign_add),
    ANY("AssignSub", assign_sub),
    ANY("AssignVariableOp", assign_variable),
    ANY("AssignAddVariableOp", assign_add_variable),
    ANY("AssignSubVariableOp", assign_sub_variable),
    ANY("ReadVariableOp", read_variable),
    ANY("VarIsInitializedOp", is_initialized),
    ANY("IsVariableInitialized", is_initialized),
    ANY("DisableCopyOnRead", disable_copy_on_read),
};

void frt_kernels_register_variables(frt_kernel_registry *r);
void frt_kernels_register_variables(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
}
