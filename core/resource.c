/* core/resource.c: the session's variable store.
 * Owns: variable lifetime and lookup. Does not own: the ops that use variables
 * (kernels/variables.c). Thread-safety: one mutex for the table, one per variable. */
#include "core/resource.h"

#include <stdlib.h>
#include <string.h>

struct frt_resource_mgr {
    bool checkpoint_zero_copy; /* set once before any run: read without the lock */
    pthread_mutex_t mu;
    int n, cap;
    frt_variable **vars;
};

static void variable_destroy(frt_resource *r) {
    frt_variable *v = (frt_variable *)r;
    frt_tensor_unref(v->value);
    pthread_mutex_destroy(&v->mu);
    free(v->name);
    free(v->container);
    free(v);
}

frt_resource_mgr *frt_resource_mgr_new(void) {
    frt_resource_mgr *m = frt_calloc(1, sizeof *m);
    if (m) pthread_mutex_init(&m->mu, NULL);
    return m;
}

void frt_resource_mgr_free(frt_resource_mgr *m) {
    if (!m) return;
    for (int i = 0; i < m->n; i++) frt_resource_unref(&m->vars[i]->base);
    free(m->vars);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

frt_status *frt_resource_mgr_variable(frt_resource_mgr *m, const char *container,
                                      const char *name, frt_dtype dtype,
                                      const frt_attr_shape *shape, frt_variable **out) {
    *out = NULL;
    container = container ? container : "";
    frt_status *st = NULL;
    pthread_mutex_lock(&m->mu);
    for (int i = 0; i < m->n; i++) {
        frt_variable *v = m->vars[i];
        if (strcmp(v->name, name) != 0 || strcmp(v->container, container) != 0) continue;
        if (dtype != FRT_DTYPE_INVALID && v->dtype != FRT_DTYPE_INVALID && v->dtype != dtype)
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "variable '%s' exists with dtype %s, requested as %s", name,
                                frt_dtype_name(v->dtype), frt_dtype_name(dtype));
        else
            *out = (frt_variable *)frt_resource_ref(&v->base);
        pthread_mutex_unlock(&m->mu);
        return st;
    }
    frt_variable *v = frt_calloc(1, sizeof *v);
    char *nm = frt_strdup(name), *ct = frt_strdup(container);
    if (v && nm && ct && m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 16;
        frt_variable **vars = frt_realloc(m->vars, (size_t)cap * sizeof *vars);
        if (vars) {
            m->vars = vars;
            m->cap = cap;
        }
    }
    if (!v || !nm || !ct || m->n == m->cap) {
        pthread_mutex_unlock(&m->mu);
        free(v);
        free(nm);
        free(ct);
        return frt_status_oom("creating variable '%s'", name);
    }
    atomic_init(&v->base.refs, 2); /* the table's and the caller's */
    v->base.destroy = variable_destroy;
    v->name = nm;
    v->container = ct;
    v->dtype = dtype;
    if (shape) v->shape = *shape;
    else v->shape.unknown_rank = true;
    pthread_mutex_init(&v->mu, NULL);
    m->vars[m->n++] = v;
    pthread_mutex_unlock(&m->mu);
    *out = v;
    return NULL;
}

void frt_resource_mgr_set_checkpoint_zero_copy(frt_resource_mgr *m, bool on) {
    m->checkpoint_zero_copy = on;
}

bool frt_resource_mgr_checkpoint_zero_copy(const frt_resource_mgr *m) {
    return m && m->checkpoint_zero_copy;
}

void frt_resource_mgr_each_variable(frt_resource_mgr *m,
                                    void (*fn)(frt_variable *v, void *ctx), void *ctx) {
    pthread_mutex_lock(&m->mu);
    int n = m->n;
    frt_variable **copy = frt_xmalloc((size_t)(n + 1) * sizeof *copy);
    for (int i = 0; i < n; i++) copy[i] = (frt_variable *)frt_resource_ref(&m->vars[i]->base);
    pthread_mutex_unlock(&m->mu);
    for (int i = 0; i < n; i++) {
        fn(copy[i], ctx);
        frt_resource_unref(&copy[i]->base);
    }
    free(copy);
}

frt_status *frt_variable_read(frt_variable *v, frt_tensor **out) {
    pthread_mutex_lock(&v->mu);
    *out = frt_tensor_ref(v->value);
    pthread_mutex_unlock(&v->mu);
    if (!*out)
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "Attempting to use uninitialized value %s", v->name);
    return NULL;
}

bool frt_variable_is_initialized(frt_variable *v) {
    pthread_mutex_lock(&v->mu);
    bool init = v->value != NULL;
    pthread_mutex_unlock(&v->mu);
    return init;
}

static bool shape_matches(const frt_attr_shape *s, const frt_tensor *t) {
    if (s->unknown_rank) return true;
    if (s->ndim != t->ndim) return false;
    for (int i = 0; i < s->ndim; i++)
        if (s->dims[i] >= 0 && s->dims[i] != t->dims[i]) return false;
    return true;
}

frt_status *frt_variable_assign(frt_variable *v, frt_tensor *value, bool validate_shape) {
    if (v->dtype != FRT_DTYPE_INVALID && value->dtype != v->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "cannot assign a %s value to variable '%s' of dtype %s",
                              frt_dtype_name(value->dtype), v->name, frt_dtype_name(v->dtype));
    pthread_mutex_lock(&v->mu);
    frt_status *st = NULL;
    if (validate_shape) {
        bool ok = v->value ? frt_tensor_same_shape(v->value, value) && shape_matches(&v->shape, value)
                           : shape_matches(&v->shape, value);
        if (!ok) {
            char a[96], b[96];
            const int64_t *dims = v->value ? v->value->dims : v->shape.dims;
            int ndim = v->value ? v->value->ndim : v->shape.ndim;
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "shape of the value %s does not match variable '%s' of shape %s",
                                frt_shape_str(value->dims, value->ndim, a, sizeof a), v->name,
                                frt_shape_str(dims, ndim, b, sizeof b));
        }
    }
    if (!st) {
        frt_tensor *old = v->value;
        v->value = frt_tensor_ref(value);
        frt_tensor_unref(old);
    }
    pthread_mutex_unlock(&v->mu);
    return st;
}

const char *frt_variable_name_for_node(const frt_attrs *attrs, const char *node_name) {
    const frt_attr_value *a = attrs ? frt_attrs_find(attrs, "shared_name") : NULL;
    if (a && a->kind == FRT_ATTR_S && a->v.s.len > 0 && a->v.s.ptr) return a->v.s.ptr;
    return node_name;
}

frt_variable *frt_resource_as_variable(frt_resource *r) {
    return r && r->destroy == variable_destroy ? (frt_variable *)r : NULL;
}

frt_status *frt_variable_update(frt_variable *v, frt_variable_update_fn fn, void *ctx) {
    pthread_mutex_lock(&v->mu);
    frt_status *st = NULL;
    if (!v->value) {
        st = frt_status_new(FRT_FAILED_PRECONDITION, "Attempting to use uninitialized value %s",
                            v->name);
    } else {
        frt_tensor *next = NULL;
        st = fn(v->value, ctx, &next);
        if (!st) {
            frt_tensor_unref(v->value);
            v->value = next;
        } else {
            frt_tensor_unref(next);
        }
    }
    pthread_mutex_unlock(&v->mu);
    return st;
}
