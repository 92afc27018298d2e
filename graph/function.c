/* graph/function.c: the function library IR — storage, builders, lookup, deep copy, and
 * resolving a signature argument's flat length and dtypes from instantiation attrs.
 * Does not own: protobuf conversion (io/function_lib.c, io/graphdef_write.c), inlining
 * (inline.c). Thread-safety: see function.h. */
#include "graph/function.h"

#include <stdlib.h>
#include <string.h>

/* Out of memory: the builders below return NULL (or false), having added nothing. */

/* A copy of s, NULL for NULL; *ok turns false when out of memory. */
static char *dup_or_null(const char *s, bool *ok) {
    char *d = s ? frt_strdup(s) : NULL;
    if (s && !d) *ok = false;
    return d;
}

/* Appends one zeroed element of size es to the array whose pointer is at arr_p (*n
 * elements): the new slot, or NULL. The pointer is read and written with memcpy, so any
 * element type works without aliasing it as void *. */
static void *grow(void *arr_p, int *n, size_t es) {
    char *old;
    memcpy(&old, arr_p, sizeof old);
    char *a = frt_realloc(old, (size_t)(*n + 1) * es);
    if (!a) return NULL;
    memcpy(arr_p, &a, sizeof a);
    memset(a + (size_t)*n * es, 0, es);
    return a + (size_t)(*n)++ * es;
}
#define GROW(arr, n) grow(&(arr), &(n), sizeof *(arr))

frt_function_lib *frt_function_lib_new(void) {
    return frt_calloc(1, sizeof(frt_function_lib));
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
        int cap = lib->cap ? lib->cap * 2 : 8;
        frt_function **fns = frt_realloc(lib->fns, (size_t)cap * sizeof *fns);
        if (!fns) return NULL;
        lib->fns = fns;
        lib->cap = cap;
    }
    frt_function *fn = frt_calloc(1, sizeof *fn);
    if (fn && !(fn->name = frt_strdup(name ? name : ""))) {
        free(fn);
        fn = NULL;
    }
    if (!fn) return NULL;
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
    char *nm = frt_strdup(name ? name : "");
    frt_func_arg *a = !nm ? NULL : output ? GROW(fn->out, fn->n_out) : GROW(fn->in, fn->n_in);
    if (!a) {
        free(nm);
        return NULL;
    }
    a->name = nm;
    return a;
}

frt_func_node *frt_function_add_node(frt_function *fn, const char *name, const char *op,
                                     const char *device) {
    if (fn->n_nodes == fn->cap_nodes) {
        int cap = fn->cap_nodes ? fn->cap_nodes * 2 : 16;
        frt_func_node *nodes = frt_realloc(fn->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return NULL;
        fn->nodes = nodes;
        fn->cap_nodes = cap;
    }
    frt_func_node *n = &fn->nodes[fn->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = frt_strdup(name ? name : "");
    n->op = frt_strdup(op ? op : "");
    n->device = frt_strdup(device ? device : "");
    if (!n->name || !n->op || !n->device) {
        free(n->name);
        free(n->op);
        free(n->device);
        return NULL;
    }
    frt_attrs_init(&n->attrs);
    fn->n_nodes++;
    return n;
}

bool frt_func_node_add_input(frt_func_node *n, const char *input) {
    char *s = frt_strdup(input);
    char **slot = s ? GROW(n->inputs, n->n_inputs) : NULL;
    if (!slot) {
        free(s);
        return false;
    }
    *slot = s;
    return true;
}

bool frt_function_add_ret(frt_function *fn, bool control, const char *key, const char *value) {
    char *k = frt_strdup(key ? key : ""), *v = frt_strdup(value ? value : "");
    frt_func_kv *kv = !k || !v ? NULL
                      : control ? GROW(fn->control_ret, fn->n_control_ret)
                                : GROW(fn->ret, fn->n_ret);
    if (!kv) {
        free(k);
        free(v);
        return false;
    }
    kv->key = k;
    kv->value = v;
    return true;
}

bool frt_function_add_control_output(frt_function *fn, const char *name) {
    char *s = frt_strdup(name ? name : "");
    char **slot = s ? GROW(fn->control_outputs, fn->n_control_outputs) : NULL;
    if (!slot) {
        free(s);
        return false;
    }
    *slot = s;
    return true;
}

frt_func_attr_def *frt_function_add_attr_def(frt_function *fn, const char *name,
                                             const char *type) {
    char *nm = frt_strdup(name ? name : ""), *ty = frt_strdup(type ? type : "");
    frt_func_attr_def *d = nm && ty ? GROW(fn->attr_defs, fn->n_attr_defs) : NULL;
    if (!d) {
        free(nm);
        free(ty);
        return NULL;
    }
    d->name = nm;
    d->type = ty;
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

static bool arg_copy(frt_func_arg *d, const frt_func_arg *s) {
    bool ok = true;
    d->type = s->type;
    d->type_attr = dup_or_null(s->type_attr, &ok);
    d->number_attr = dup_or_null(s->number_attr, &ok);
    d->type_list_attr = dup_or_null(s->type_list_attr, &ok);
    d->is_ref = s->is_ref;
    return ok;
}

static bool attrs_copy(frt_attrs *d, const frt_attrs *s) {
    frt_status *st = frt_attrs_try_copy(d, s);
    frt_status_free(st);
    return !st;
}

/* Adds a copy of s to dst; false when out of memory (dst is then freed by the caller). */
static bool function_copy(frt_function_lib *dst, const frt_function *s) {
    frt_function *d = frt_function_lib_add(dst, s->name);
    if (!d) return false;
    for (int o = 0; o < 2; o++)
        for (int i = 0; i < (o ? s->n_out : s->n_in); i++) {
            const frt_func_arg *sa = o ? &s->out[i] : &s->in[i];
            frt_func_arg *a = frt_function_add_arg(d, o, sa->name);
            if (!a || !arg_copy(a, sa)) return false;
        }
    for (int i = 0; i < s->n_attr_defs; i++) {
        frt_func_attr_def *a = frt_function_add_attr_def(d, s->attr_defs[i].name,
                                                         s->attr_defs[i].type);
        if (!a) return false;
        if (s->attr_defs[i].has_default) {
            frt_status *st = frt_attr_value_try_copy(&a->def, &s->attr_defs[i].def);
            frt_status_free(st);
            if (st) return false;
            a->has_default = true;
        }
    }
    for (int i = 0; i < s->n_control_outputs; i++)
        if (!frt_function_add_control_output(d, s->control_outputs[i])) return false;
    d->is_stateful = s->is_stateful;
    frt_attrs_deinit(&d->attrs);
    if (!attrs_copy(&d->attrs, &s->attrs)) return false;
    for (int i = 0; i < s->n_nodes; i++) {
        const frt_func_node *sn = &s->nodes[i];
        frt_func_node *n = frt_function_add_node(d, sn->name, sn->op, sn->device);
        if (!n) return false;
        for (int k = 0; k < sn->n_inputs; k++)
            if (!frt_func_node_add_input(n, sn->inputs[k])) return false;
        if (!attrs_copy(&n->attrs, &sn->attrs)) return false;
    }
    for (int i = 0; i < s->n_ret; i++)
        if (!frt_function_add_ret(d, false, s->ret[i].key, s->ret[i].value)) return false;
    for (int i = 0; i < s->n_control_ret; i++)
        if (!frt_function_add_ret(d, true, s->control_ret[i].key, s->control_ret[i].value))
            return false;
    for (int i = 0; i < s->n_arg_attrs; i++) {
        frt_func_arg_attrs *a = GROW(d->arg_attrs, d->n_arg_attrs);
        if (!a) return false;
        a->index = s->arg_attrs[i].index;
        if (!attrs_copy(&a->attrs, &s->arg_attrs[i].attrs)) return false;
    }
    if (s->n_resource_ids) {
        d->resource_ids = frt_malloc((size_t)s->n_resource_ids * sizeof *d->resource_ids);
        if (!d->resource_ids) return false;
        memcpy(d->resource_ids, s->resource_ids,
               (size_t)s->n_resource_ids * sizeof *d->resource_ids);
        d->n_resource_ids = s->n_resource_ids;
    }
    return true;
}

frt_function_lib *frt_function_lib_copy(const frt_function_lib *lib) {
    if (!lib) return NULL;
    frt_function_lib *d = frt_function_lib_new();
    bool ok = d != NULL;
    for (int i = 0; ok && i < lib->n; i++) ok = function_copy(d, lib->fns[i]);
    for (int i = 0; ok && i < lib->n_gradients; i++) {
        char *k = frt_strdup(lib->gradients[i].key), *v = frt_strdup(lib->gradients[i].value);
        frt_func_kv *kv = k && v ? GROW(d->gradients, d->n_gradients) : NULL;
        if (kv) {
            kv->key = k;
            kv->value = v;
        } else {
            free(k);
            free(v);
            ok = false;
        }
    }
    if (!ok) {
        frt_function_lib_free(d);
        return NULL;
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
