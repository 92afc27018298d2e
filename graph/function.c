/* graph/function.c: the function library IR — storage, builders, lookup, deep copy, and
 * resolving a signature argument's flat length and dtypes from instantiation attrs.
 * Does not own: protobuf conversion (io/function_lib.c, io/graphdef_write.c), inlining
 * (inline.c). Thread-safety: see function.h. */
#include "graph/function.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) { return s ? frt_xstrdup(s) : NULL; }

#define GROW(arr, n)                                                                       \
    ((arr) = frt_xrealloc((arr), (size_t)((n) + 1) * sizeof *(arr)), &(arr)[(n)++])

frt_function_lib *frt_function_lib_new(void) {
    return frt_xcalloc(1, sizeof(frt_function_lib));
}

static void arg_deinit(frt_func_arg *a) {
    free(a->name);
    free(a->type_attr);
    free(a->number_attr);
    free(a->type_list_attr);
}

static void kv_free(frt_func_kv *kv, int n) {
    for (int i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void function_free(frt_function *fn) {
    if (!fn) return;
    free(fn->name);
    for (int i = 0; i < fn->n_in; i++) arg_deinit(&fn->in[i]);
    for (int i = 0; i < fn->n_out; i++) arg_deinit(&fn->out[i]);
    free(fn->in);
    free(fn->out);
    for (int i = 0; i < fn->n_attr_defs; i++) {
        free(fn->attr_defs[i].name);
        free(fn->attr_defs[i].type);
        frt_attr_value_deinit(&fn->attr_defs[i].def);
    }
    free(fn->attr_defs);
    for (int i = 0; i < fn->n_control_outputs; i++) free(fn->control_outputs[i]);
    free(fn->control_outputs);
    frt_attrs_deinit(&fn->attrs);
    for (int i = 0; i < fn->n_nodes; i++) {
        frt_func_node *n = &fn->nodes[i];
        free(n->name);
        free(n->op);
        free(n->device);
        for (int k = 0; k < n->n_inputs; k++) free(n->inputs[k]);
        free(n->inputs);
        frt_attrs_deinit(&n->attrs);
    }
    free(fn->nodes);
    kv_free(fn->ret, fn->n_ret);
    kv_free(fn->control_ret, fn->n_control_ret);
    for (int i = 0; i < fn->n_arg_attrs; i++) frt_attrs_deinit(&fn->arg_attrs[i].attrs);
    free(fn->arg_attrs);
    free(fn->resource_ids);
    free(fn);
}

void frt_function_lib_free(frt_function_lib *lib) {
    if (!lib) return;
    for (int i = 0; i < lib->n; i++) function_free(lib->fns[i]);
    free(lib->fns);
    kv_free(lib->gradients, lib->n_gradients);
    free(lib);
}

frt_function *frt_function_lib_add(frt_function_lib *lib, const char *name) {
    if (lib->n == lib->cap) {
        lib->cap = lib->cap ? lib->cap * 2 : 8;
        lib->fns = frt_xrealloc(lib->fns, (size_t)lib->cap * sizeof *lib->fns);
    }
    frt_function *fn = frt_xcalloc(1, sizeof *fn);
    fn->name = frt_xstrdup(name ? name : "");
    frt_attrs_init(&fn->attrs);
    lib->fns[lib->n++] = fn;
    return fn;
}

const frt_function *frt_function_lib_find(const frt_function_lib *lib, const char *name) {
    if (!lib || !name) return NULL;
    for (int i = 0; i < lib->n; i++)
        if (strcmp(lib->fns[i]->name, name) == 0) return lib->fns[i];
    return NULL;
}

frt_func_arg *frt_function_add_arg(frt_function *fn, bool output, const char *name) {
    frt_func_arg *a = output ? GROW(fn->out, fn->n_out) : GROW(fn->in, fn->n_in);
    memset(a, 0, sizeof *a);
    a->name = frt_xstrdup(name ? name : "");
    return a;
}

frt_func_node *frt_function_add_node(frt_function *fn, const char *name, const char *op,
                                     const char *device) {
    if (fn->n_nodes == fn->cap_nodes) {
        fn->cap_nodes = fn->cap_nodes ? fn->cap_nodes * 2 : 16;
        fn->nodes = frt_xrealloc(fn->nodes, (size_t)fn->cap_nodes * sizeof *fn->nodes);
    }
    frt_func_node *n = &fn->nodes[fn->n_nodes++];
    memset(n, 0, sizeof *n);
    n->name = frt_xstrdup(name ? name : "");
    n->op = frt_xstrdup(op ? op : "");
    n->device = frt_xstrdup(device ? device : "");
    frt_attrs_init(&n->attrs);
    return n;
}

void frt_func_node_add_input(frt_func_node *n, const char *input) {
    char **slot = GROW(n->inputs, n->n_inputs);
    *slot = frt_xstrdup(input);
}

void frt_function_add_ret(frt_function *fn, bool control, const char *key, const char *value) {
    frt_func_kv *kv = control ? GROW(fn->control_ret, fn->n_control_ret)
                              : GROW(fn->ret, fn->n_ret);
    kv->key = frt_xstrdup(key ? key : "");
    kv->value = frt_xstrdup(value ? value : "");
}

void frt_function_add_control_output(frt_function *fn, const char *name) {
    char **slot = GROW(fn->control_outputs, fn->n_control_outputs);
    *slot = frt_xstrdup(name ? name : "");
}

frt_func_attr_def *frt_function_add_attr_def(frt_function *fn, const char *name,
                                             const char *type) {
    frt_func_attr_def *d = GROW(fn->attr_defs, fn->n_attr_defs);
    memset(d, 0, sizeof *d);
    d->name = frt_xstrdup(name ? name : "");
    d->type = frt_xstrdup(type ? type : "");
    return d;
}

const char *frt_function_find_ret(const frt_function *fn, bool control, const char *key) {
    const frt_func_kv *kv = control ? fn->control_ret : fn->ret;
    int n = control ? fn->n_control_ret : fn->n_ret;
    for (int i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0) return kv[i].value;
    return NULL;
}

/* ---- deep copy ---------------------------------------------------------------------------- */

static void arg_copy(frt_func_arg *d, const frt_func_arg *s) {
    d->name = frt_xstrdup(s->name);
    d->type = s->type;
    d->type_attr = dup_or_null(s->type_attr);
    d->number_attr = dup_or_null(s->number_attr);
    d->type_list_attr = dup_or_null(s->type_list_attr);
    d->is_ref = s->is_ref;
}

static frt_function *function_copy(frt_function_lib *dst, const frt_function *s) {
    frt_function *d = frt_function_lib_add(dst, s->name);
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < (o ? s->n_out : s->n_in); i++) {
            frt_func_arg *a = frt_function_add_arg(d, o, "");
            free(a->name);
            arg_copy(a, o ? &s->out[i] : &s->in[i]);
        }
    for (int i = 0; i < s->n_attr_defs; i++) {
        frt_func_attr_def *a = frt_function_add_attr_def(d, s->attr_defs[i].name,
                                                         s->attr_defs[i].type);
        a->has_default = s->attr_defs[i].has_default;
        if (a->has_default) frt_attr_value_copy(&a->def, &s->attr_defs[i].def);
    }
    for (int i = 0; i < s->n_control_outputs; i++)
        frt_function_add_control_output(d, s->control_outputs[i]);
    d->is_stateful = s->is_stateful;
    frt_attrs_deinit(&d->attrs);
    frt_attrs_copy(&d->attrs, &s->attrs);
    for (int i = 0; i < s->n_nodes; i++) {
        const frt_func_node *sn = &s->nodes[i];
        frt_func_node *n = frt_function_add_node(d, sn->name, sn->op, sn->device);
        for (int k = 0; k < sn->n_inputs; k++) frt_func_node_add_input(n, sn->inputs[k]);
        frt_attrs_copy(&n->attrs, &sn->attrs);
    }
    for (int i = 0; i < s->n_ret; i++)
        frt_function_add_ret(d, false, s->ret[i].key, s->ret[i].value);
    for (int i = 0; i < s->n_control_ret; i++)
        frt_function_add_ret(d, true, s->control_ret[i].key, s->control_ret[i].value);
    for (int i = 0; i < s->n_arg_attrs; i++) {
        frt_func_arg_attrs *a = GROW(d->arg_attrs, d->n_arg_attrs);
        a->index = s->arg_attrs[i].index;
        frt_attrs_copy(&a->attrs, &s->arg_attrs[i].attrs);
    }
    if (s->n_resource_ids) {
        d->resource_ids = frt_xmalloc((size_t)s->n_resource_ids * sizeof *d->resource_ids);
        memcpy(d->resource_ids, s->resource_ids,
               (size_t)s->n_resource_ids * sizeof *d->resource_ids);
        d->n_resource_ids = s->n_resource_ids;
    }
    return d;
}

frt_function_lib *frt_function_lib_copy(const frt_function_lib *lib) {
    if (!lib) return NULL;
    frt_function_lib *d = frt_function_lib_new();
    for (int i = 0; i < lib->n; i++) function_copy(d, lib->fns[i]);
    for (int i = 0; i < lib->n_gradients; i++) {
        frt_func_kv *kv = GROW(d->gradients, d->n_gradients);
        kv->key = frt_xstrdup(lib->gradients[i].key);
        kv->value = frt_xstrdup(lib->gradients[i].value);
    }
    return d;
}

/* ---- argument lengths ------------------------------------------------------------------- */

frt_status *frt_function_arg_types(const frt_function *fn, const frt_func_arg *arg,
                                   const frt_attrs *bind, frt_dtype *types, int max,
                                   int *count) {
    *count = 0;
    if (arg->type_list_attr) {
        const frt_attr_value *v = bind ? frt_attrs_find(bind, arg->type_list_attr) : NULL;
        if (!v || v->kind != FRT_ATTR_LIST ||
            (v->v.list.n > 0 && v->v.list.elem != FRT_ATTR_TYPE))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "function '%s': arg '%s' needs list(type) attr '%s', which "
                                  "the call %s",
                                  fn->name, arg->name, arg->type_list_attr,
                                  v ? "binds to a value of another kind" : "does not bind");
        *count = v->v.list.n;
        for (int i = 0; types && i < v->v.list.n && i < max; i++) types[i] = v->v.list.v.type[i];
        return NULL;
    }
    int n = 1;
    if (arg->number_attr) {
        const frt_attr_value *v = bind ? frt_attrs_find(bind, arg->number_attr) : NULL;
        if (!v || v->kind != FRT_ATTR_I || v->v.i < 0 || v->v.i > 1000000)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "function '%s': arg '%s' needs int attr '%s' >= 0, which the "
                                  "call %s",
                                  fn->name, arg->name, arg->number_attr,
                                  v ? "binds to a bad value" : "does not bind");
        n = (int)v->v.i;
    }
    frt_dtype t = arg->type;
    if (arg->type_attr) {
        const frt_attr_value *v = bind ? frt_attrs_find(bind, arg->type_attr) : NULL;
        t = v && v->kind == FRT_ATTR_TYPE ? v->v.type : FRT_DTYPE_INVALID;
    }
    for (int i = 0; types && i < n && i < max; i++) types[i] = frt_dtype_base((int)t);
    *count = n;
    return NULL;
}

/* ---- the graph's library ----------------------------------------------------------------- */

static void lib_free_void(void *lib) { frt_function_lib_free(lib); }

const frt_function_lib *frt_graph_library(const frt_graph *g) {
    return g && g->library && g->library_free == lib_free_void ? g->library : NULL;
}

void frt_graph_set_library(frt_graph *g, frt_function_lib *lib) {
    if (g->library && g->library_free) g->library_free(g->library);
    g->library = lib;
    g->library_free = lib ? lib_free_void : NULL;
}
