/* graph/freeze.c: variables → constants on the subgraph the outputs need.
 * Owns: which nodes are variables, tracing resource handles through Identity/IdentityN,
 * rewriting reads, refusing graphs whose outputs depend on variable updates. Does not own:
 * the reachability walk (prune.c), variable values (the caller's lookup callback: the
 * session's variable store), writing files (io/graphdef_write.c).
 * Thread-safety: only reads g. */
#include "graph/freeze.h"

#include <stdlib.h>
#include <string.h>

#include "graph/function.h"
#include "graph/op_registry.h"
#include "graph/prune.h"

static bool is_variable_op(const char *op) {
    return !strcmp(op, "VariableV2") || !strcmp(op, "Variable") || !strcmp(op, "VarHandleOp");
}

static frt_dtype type_attr(const frt_node *n, const char *key) {
    const frt_attr_value *v = frt_attrs_find(&n->attrs, key);
    return v && v->kind == FRT_ATTR_TYPE ? frt_dtype_base((int)v->v.type) : FRT_DTYPE_INVALID;
}

static frt_dtype type_list_elem(const frt_node *n, const char *key, int i) {
    const frt_attr_value *v = frt_attrs_find(&n->attrs, key);
    if (!v || v->kind != FRT_ATTR_LIST || v->v.list.elem != FRT_ATTR_TYPE || i >= v->v.list.n)
        return FRT_DTYPE_INVALID;
    return frt_dtype_base((int)v->v.list.v.type[i]);
}

/* The variable node whose handle (VarHandleOp) or ref (VariableV2) edge e carries, looking
 * through Identity / IdentityN of DT_RESOURCE; -1 when e is not a variable. */
static int var_of(const frt_graph *g, frt_edge e) {
    for (int depth = 0; depth < g->n_nodes + 1; depth++) {
        const frt_node *n = &g->nodes[e.node];
        if (is_variable_op(n->op)) return e.index == 0 ? e.node : -1;
        if (!strcmp(n->op, "Identity") && e.index == 0 && n->n_data == 1 &&
            type_attr(n, "T") == FRT_DTYPE_RESOURCE) {
            e = n->data[0];
        } else if (!strcmp(n->op, "IdentityN") && e.index < n->n_data &&
                   type_list_elem(n, "T", e.index) == FRT_DTYPE_RESOURCE) {
            e = n->data[e.index];
        } else {
            return -1;
        }
    }
    return -1;
}

static bool is_resource_var(const frt_graph *g, int v) {
    return !strcmp(g->nodes[v].op, "VarHandleOp");
}

/* Collapses _REF types in every type attr (TF1 graphs built in code may still hold them). */
static void collapse_ref_types(frt_attrs *a) {
    for (int k = 0; k < a->n; k++) {
        frt_attr_value *v = &a->vals[k];
        if (v->kind == FRT_ATTR_TYPE) v->v.type = frt_dtype_base((int)v->v.type);
        if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_TYPE)
            for (int i = 0; i < v->v.list.n; i++)
                v->v.list.v.type[i] = frt_dtype_base((int)v->v.list.v.type[i]);
    }
}

/* Checks every data input of kept node i that carries a variable. */
static frt_status *check_uses(const frt_graph *g, int i) {
    const frt_node *n = &g->nodes[i];
    bool passes = !strcmp(n->op, "Identity") || !strcmp(n->op, "IdentityN") ||
                  !strcmp(n->op, "ReadVariableOp");
    const frt_op_def *d = frt_op_find(n->op);
    for (int k = 0; k < n->n_data; k++) {
        int v = var_of(g, n->data[k]);
        if (v < 0) continue;
        const char *vn = g->nodes[v].name;
        if (is_resource_var(g, v)) {
            if (passes) continue;
            bool writes = strstr(n->op, "Assign") != NULL;
            return frt_status_new(writes ? FRT_FAILED_PRECONDITION : FRT_UNIMPLEMENTED,
                                  "freeze: node '%s' (%s) %s variable '%s' through its handle; "
                                  "%s",
                                  n->name, n->op, writes ? "modifies" : "uses", vn,
                                  writes ? "the outputs depend on it, so a frozen graph "
                                           "cannot hold it"
                                         : "only ReadVariableOp reads can be frozen");
        }
        int kk;
        const frt_op_arg *arg = d ? frt_op_input_arg_at(d, &n->attrs, k, &kk) : NULL;
        if (arg && arg->is_ref)
            return frt_status_new(FRT_FAILED_PRECONDITION,
                                  "freeze: node '%s' (%s) modifies variable '%s'; the outputs "
                                  "depend on it, so a frozen graph cannot hold it",
                                  n->name, n->op, vn);
    }
    return NULL;
}

static frt_status *const_attrs(const frt_node *n, frt_freeze_lookup_fn lookup, void *ctx,
                               frt_attrs *out) {
    frt_tensor *t = NULL;
    frt_status *st = lookup(ctx, n->name, n->op, &n->attrs, &t);
    if (st)
        return frt_status_annotate(st, " (freezing variable '%s' (%s))", n->name, n->op);
    if (!t)
        return frt_status_new(FRT_INTERNAL, "freeze: the lookup gave no value for variable "
                              "'%s' (%s)", n->name, n->op);
    frt_dtype want = type_attr(n, "dtype");
    if (want != FRT_DTYPE_INVALID && t->dtype != want) {
        st = frt_status_new(FRT_INVALID_ARGUMENT,
                            "freeze: variable '%s' (%s) has dtype %s but its value is %s",
                            n->name, n->op, frt_dtype_tf_name(want),
                            frt_dtype_tf_name(t->dtype));
        frt_tensor_unref(t);
        return st;
    }
    frt_attr_value v = {.kind = FRT_ATTR_TYPE, .v.type = t->dtype};
    frt_attrs_set(out, "dtype", &v);
    frt_attr_value tv = {.kind = FRT_ATTR_TENSOR, .v.tensor = t}; /* takes t's reference */
    frt_attrs_set(out, "value", &tv);
    return NULL;
}

static void set_type(frt_attrs *a, const char *key, frt_dtype t) {
    frt_attr_value v = {.kind = FRT_ATTR_TYPE, .v.type = t};
    frt_attrs_set(a, key, &v);
}

/* Adds kept node i of g to h, rewritten. */
static frt_status *add_frozen(const frt_graph *g, const bool *keep, int i,
                              frt_freeze_lookup_fn lookup, void *ctx, frt_graph *h) {
    const frt_node *n = &g->nodes[i];
    const char *op = n->op;
    frt_attrs attrs;
    frt_attrs_init(&attrs);
    bool drop_data = false;
    if (is_variable_op(n->op)) {
        FRT_TRY(const_attrs(n, lookup, ctx, &attrs));
        op = "Const";
        drop_data = true;
    } else if (!strcmp(n->op, "ReadVariableOp")) {
        if (n->n_data != 1 || var_of(g, n->data[0]) < 0)
            return frt_status_new(FRT_UNIMPLEMENTED,
                                  "freeze: node '%s' (ReadVariableOp) reads a handle that does "
                                  "not come from a VarHandleOp in this graph",
                                  n->name);
        op = "Identity";
        set_type(&attrs, "T", type_attr(n, "dtype"));
    } else {
        frt_attrs_copy(&attrs, &n->attrs);
        collapse_ref_types(&attrs);
        if (!strcmp(n->op, "Identity") && n->n_data == 1 &&
            type_attr(n, "T") == FRT_DTYPE_RESOURCE) {
            int v = var_of(g, n->data[0]);
            if (v >= 0) set_type(&attrs, "T", type_attr(&g->nodes[v], "dtype"));
        } else if (!strcmp(n->op, "IdentityN")) {
            frt_attr_value *tl = NULL;
            for (int k = 0; k < attrs.n; k++)
                if (!strcmp(attrs.keys[k], "T")) tl = &attrs.vals[k];
            for (int k = 0; tl && tl->kind == FRT_ATTR_LIST && tl->v.list.elem == FRT_ATTR_TYPE &&
                            k < n->n_data && k < tl->v.list.n;
                 k++) {
                if (tl->v.list.v.type[k] != FRT_DTYPE_RESOURCE) continue;
                int v = var_of(g, n->data[k]);
                if (v >= 0) tl->v.list.v.type[k] = type_attr(&g->nodes[v], "dtype");
            }
        }
    }
    int idx = frt_graph_add_node(h, n->name, op, n->device);
    frt_node *m = frt_graph_node(h, idx);
    frt_attrs_deinit(&m->attrs);
    m->attrs = attrs;
    for (int k = 0; k < n->n_inputs; k++) {
        const char *in = n->inputs[k];
        if (in[0] == '^') {
            int c = frt_graph_find(g, in + 1);
            if (c >= 0 && !keep[c]) continue; /* control input on a removed node */
        } else if (drop_data) {
            continue;
        }
        frt_node_add_input(m, in);
    }
    return NULL;
}

frt_status *frt_graph_freeze(const frt_graph *g, const frt_edge *outputs, int n_outputs,
                             frt_freeze_lookup_fn lookup, void *ctx, frt_graph **out) {
    *out = NULL;
    if (!g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION, "freezing needs a finalized graph");
    bool *keep = frt_xcalloc((size_t)g->n_nodes + 1, sizeof *keep);
    frt_status *st = frt_graph_prune(g, NULL, 0, outputs, n_outputs, NULL, 0, keep);
    for (int i = 0; i < g->n_nodes && !st; i++)
        if (keep[i]) st = check_uses(g, i);
    frt_graph *h = NULL;
    if (!st) {
        h = frt_graph_new();
        if (!h) {
            free(keep);
            return frt_status_oom("freezing a graph of %d nodes", g->n_nodes);
        }
        h->producer = g->producer;
        h->min_consumer = g->min_consumer;
        for (int i = 0; i < g->n_nodes && !st; i++)
            if (keep[i]) st = add_frozen(g, keep, i, lookup, ctx, h);
    }
    free(keep);
    if (!st) {
        const frt_function_lib *lib = frt_graph_library(g);
        frt_function_lib *copy = lib ? frt_function_lib_copy(lib) : NULL;
        if (lib && !copy) st = frt_status_oom("copying the function library");
        if (copy) frt_graph_set_library(h, copy);
        if (!st) st = frt_graph_finalize(h);
        if (st) st = frt_status_annotate(st, " (in the frozen graph)");
    }
    if (st) {
        frt_graph_free(h);
        return st;
    }
    *out = h;
    return NULL;
}
