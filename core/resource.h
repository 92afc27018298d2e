/* core/resource.h: per-session resources — variables (TF1 ref variables and TF2 resource
 * variables alike) looked up by (container, shared_name).
 * A variable holds an immutable value tensor: assignment swaps in a new tensor, reads take a
 * reference to the current one (a snapshot), so readers never see a half-written value.
 * Thread-safety: all functions are thread-safe. */
#pragma once
#include <pthread.h>
#include <stdbool.h>

#include "core/attr.h"
#include "core/tensor.h"

typedef struct frt_variable {
    frt_resource base;           /* first: a DT_RESOURCE tensor element can point to it */
    char *name;                  /* shared_name (or node name), for messages */
    char *container;
    frt_dtype dtype;             /* declared dtype */
    frt_attr_shape shape;        /* declared shape (unknown_rank when not declared) */
    pthread_mutex_t mu;
    frt_tensor *value;           /* NULL until initialised; guarded by mu */
} frt_variable;

typedef struct frt_resource_mgr frt_resource_mgr;

frt_resource_mgr *frt_resource_mgr_new(void);
void frt_resource_mgr_free(frt_resource_mgr *m);   /* NULL-safe */
/* Whether checkpoint restores into this session's variables may alias the data files' mmap
 * (frt_session_options_set_checkpoint_zero_copy; set before the session runs). m may be
 * NULL (a kernel run outside a session): false. */
void frt_resource_mgr_set_checkpoint_zero_copy(frt_resource_mgr *m, bool on);
bool frt_resource_mgr_checkpoint_zero_copy(const frt_resource_mgr *m);

/* The variable (container, name), created uninitialised on first use. *out: new reference.
 * An existing variable declared with another dtype is an INVALID_ARGUMENT error. */
frt_status *frt_resource_mgr_variable(frt_resource_mgr *m, const char *container,
                                      const char *name, frt_dtype dtype,
                                      const frt_attr_shape *shape, frt_variable **out);
/* Calls fn for every variable (in creation order), under no lock of the variable. */
void frt_resource_mgr_each_variable(frt_resource_mgr *m,
                                    void (*fn)(frt_variable *v, void *ctx), void *ctx);

/* New reference to the current value; FAILED_PRECONDITION naming the variable when it was
 * never initialised (TF: "Attempting to use uninitialized value NAME"). */
frt_status *frt_variable_read(frt_variable *v, frt_tensor **out);
bool frt_variable_is_initialized(frt_variable *v);
/* Replaces the value with `value` (a reference is taken; no copy: tensors are immutable).
 * validate_shape: the value's shape must match the declared (or current) shape. */
frt_status *frt_variable_assign(frt_variable *v, frt_tensor *value, bool validate_shape);

/* The name a VariableV2/VarHandleOp node's variable is known by: attr shared_name when it is
 * non-empty, else the node's name (TF's ContainerInfo with use_node_name_sharing). Freezing
 * and the variable kernels must agree on this rule. Borrowed from attrs or node_name. */
const char *frt_variable_name_for_node(const frt_attrs *attrs, const char *node_name);

/* r as a variable, or NULL when r is NULL or another kind of resource. */
frt_variable *frt_resource_as_variable(frt_resource *r);

/* Read-modify-write under the variable's mutex, so concurrent updates (AssignAdd) are never
 * lost: fn(current value, ctx, &next) runs with the lock held and must not block; on
 * success *next (a reference fn hands over) replaces the value. FAILED_PRECONDITION
 * ("Attempting to use uninitialized value NAME") without calling fn when uninitialised;
 * fn's error is returned unchanged and the value is kept. */
typedef frt_status *(*frt_variable_update_fn)(const frt_tensor *cur, void *ctx,
                                              frt_tensor **next);
frt_status *frt_variable_update(frt_variable *v, frt_variable_update_fn fn, void *ctx);
