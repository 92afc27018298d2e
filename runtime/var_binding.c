/* runtime/var_binding.c: assigns the TF2 object-graph bound variables after a restore (see
 * var_binding.h). Owns: finding each bound VarHandleOp's variable, checking and assigning
 * its checkpoint value. Does not own: computing the bindings (io/object_graph.c), running
 * the saver (session.c). Thread-safety: as var_binding.h. */
#include "runtime/var_binding.h"

#include <stdio.h>
#include <string.h>

#include "io/bundle.h"

static bool shape_compatible(const frt_attr_shape *s, const frt_tensor *t) {
    if (s->unknown_rank) return true;
    if (s->ndim != t->ndim) return false;
    for (int i = 0; i < s->ndim; i++)
        if (s->dims[i] >= 0 && s->dims[i] != t->dims[i]) return false;
    return true;
}

static char *attr_shape_str(const frt_attr_shape *s, char *buf, size_t n) {
    if (s->unknown_rank) {
        snprintf(buf, n, "<unknown>");
        return buf;
    }
    return frt_shape_str(s->dims, s->ndim, buf, n);
}

/* Assigns binding b's checkpoint value to its variable when uninitialised; *ckpt is the
 * checkpoint, opened on first need. */
static frt_status *bind_one(const frt_metagraph *mg, const frt_var_binding *b,
                            frt_resource_mgr *res, frt_bundle **ckpt) {
    int idx = frt_graph_find(mg->g, b->node);
    const frt_node *n = idx >= 0 ? &mg->g->nodes[idx] : NULL;
    if (!n || strcmp(n->op, "VarHandleOp") != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "variable binding for checkpoint key '%s' names node '%s', which "
                              "is not a VarHandleOp of the graph",
                              b->checkpoint_key, b->node);
    const char *container = "";
    frt_dtype dtype = FRT_DTYPE_INVALID;
    frt_attr_shape shape = {.unknown_rank = true};
    bool has_shape = false;
    FRT_TRY(frt_attr_get_str(&n->attrs, "container", "", &container));
    FRT_TRY(frt_attr_get_type(&n->attrs, "dtype", FRT_DTYPE_INVALID, &dtype));
    FRT_TRY(frt_attr_get_shape(&n->attrs, "shape", &shape, &has_shape));
    if (!has_shape) shape.unknown_rank = true;
    dtype = frt_dtype_base(dtype);
    const char *name = frt_variable_name_for_node(&n->attrs, n->name);
    frt_variable *v = NULL;
    FRT_TRY(frt_resource_mgr_variable(res, container, name, dtype, has_shape ? &shape : NULL,
                                      &v));
    frt_status *st = NULL;
    frt_tensor *t = NULL;
    if (frt_variable_is_initialized(v)) goto done;
    if (!*ckpt) {
        unsigned flags = frt_resource_mgr_checkpoint_zero_copy(res) ? FRT_BUNDLE_ZERO_COPY : 0;
        st = frt_bundle_open_flags(mg->checkpoint_prefix, flags, ckpt);
        if (st) goto done;
    }
    st = frt_bundle_read(*ckpt, b->checkpoint_key, &t);
    if (st) {
        st = frt_status_annotate(st, " (binding variable '%s' of VarHandleOp '%s')", name,
                                 n->name);
        goto done;
    }
    if (dtype != FRT_DTYPE_INVALID && t->dtype != dtype) {
        st = frt_status_new(FRT_INVALID_ARGUMENT,
                            "variable '%s': checkpoint key '%s' holds a %s tensor, but "
                            "VarHandleOp '%s' has dtype %s",
                            name, b->checkpoint_key, frt_dtype_name(t->dtype), n->name,
                            frt_dtype_name(dtype));
        goto done;
    }
    if (!shape_compatible(&shape, t)) {
        char want[96];
        st = frt_status_new(FRT_INVALID_ARGUMENT,
                            "variable '%s': checkpoint key '%s' holds shape %s, but "
                            "VarHandleOp '%s' has shape %s",
                            name, b->checkpoint_key, FRT_SHAPE_STR(t), n->name,
                            attr_shape_str(&shape, want, sizeof want));
        goto done;
    }
    st = frt_variable_assign(v, t, true);
done:
    frt_tensor_unref(t);
    frt_resource_unref(&v->base);
    return st;
}

frt_status *frt_metagraph_bind_variables(const frt_metagraph *mg, frt_resource_mgr *res) {
    if (!mg || !mg->checkpoint_prefix || mg->n_var_bindings <= 0) return NULL;
    frt_bundle *ckpt = NULL;
    frt_status *st = NULL;
    for (int i = 0; i < mg->n_var_bindings && !st; i++)
        st = bind_one(mg, &mg->var_bindings[i], res, &ckpt);
    frt_bundle_free(ckpt);
    return st;
}
