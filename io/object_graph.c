/* io/object_graph.c: TF2 object-graph variable binding (see object_graph.h).
 * Owns: matching call nodes to SavedConcreteFunction.bound_inputs, tracing captured
 * resources to their VarHandleOp, reading the checkpoint's TrackableObjectGraph and matching
 * it to the SavedObjectGraph by path. Does not own: assigning variables (runtime/
 * var_binding.c), the MetaGraph's other contents (meta_graph.c).
 * Thread-safety: reentrant. */
#include "io/object_graph.h"

#include <stdlib.h>
#include <string.h>

#include "io/bundle.h"
#include "io/pb_alloc.h"
#include "io/proto/trackable_object_graph.pb-c.h"
#include "io/proto_depth.h"

typedef Tensorflow__SavedObjectGraph__ConcreteFunctionsEntry cf_entry;
typedef Tensorflow__TrackableObjectGraph__TrackableObject tr_object;
typedef Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference obj_ref;

static const char *str(const char *s) { return s ? s : ""; }

/* ---- step 1: bound variables ---------------------------------------------------------- */

static int cmp_entry(const void *a, const void *b) {
    return strcmp(str((*(cf_entry *const *)a)->key), str((*(cf_entry *const *)b)->key));
}

/* The entry named name among the sorted entries, or NULL. */
static const Tensorflow__SavedConcreteFunction *find_cf(cf_entry **sorted, size_t n,
                                                        const char *name) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(str(sorted[mid]->key), name);
        if (c == 0) return sorted[mid]->value;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* The function a NodeDef calls: attr `f` (StatefulPartitionedCall, PartitionedCall) when it
 * holds a function, else NULL. */
static const char *called_function(const Tensorflow__NodeDef *nd) {
    for (size_t i = 0; i < nd->n_attr; i++) {
        const Tensorflow__NodeDef__AttrEntry *e = nd->attr[i];
        if (!e->key || strcmp(e->key, "f") != 0 || !e->value) continue;
        if (e->value->value_case == TENSORFLOW__ATTR_VALUE__VALUE_FUNC && e->value->func &&
            e->value->func->name && e->value->func->name[0])
            return e->value->func->name;
    }
    return NULL;
}

/* The VarHandleOp node index feeding input string `input` in g (through Identity nodes), or
 * -1 when the producer is anything else. */
static int var_handle_of(const frt_graph *g, const char *input) {
    const char *name;
    size_t len;
    int index;
    bool ctrl;
    if (!frt_parse_input_name(input, &name, &len, &index, &ctrl) || ctrl) return -1;
    int i = frt_graph_find_n(g, name, len);
    for (int hops = 0; i >= 0 && hops <= g->n_nodes; hops++) {
        const frt_node *n = &g->nodes[i];
        if (strcmp(n->op, "VarHandleOp") == 0) return index == 0 ? i : -1;
        if (strcmp(n->op, "Identity") != 0 || n->n_data < 1) return -1;
        index = n->data[0].index;
        i = n->data[0].node;
    }
    return -1;
}

static int cmp_bound(const void *a, const void *b) {
    return strcmp(((const frt_bound_variable *)a)->node, ((const frt_bound_variable *)b)->node);
}

void frt_bound_variables_free(frt_bound_variable *v, int n) {
    for (int i = 0; i < n; i++) free(v[i].node);
    free(v);
}

/* Adds (node, id) unless present; the same node bound to another object is an error. */
static frt_status *add_bound(frt_bound_variable **v, int *n, const char *node, int id,
                             const char *call, const char *fn) {
    for (int i = 0; i < *n; i++) {
        if (strcmp((*v)[i].node, node) != 0) continue;
        if ((*v)[i].object_id == id) return NULL;
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "VarHandleOp '%s' is bound to object-graph variables %d and %d "
                              "(node '%s' calling '%s')",
                              node, (*v)[i].object_id, id, call, fn);
    }
    frt_bound_variable *nv = frt_realloc(*v, (size_t)(*n + 1) * sizeof *nv);
    if (!nv) return frt_status_oom("binding variable '%s'", node);
    *v = nv;
    if (!((*v)[*n].node = frt_strdup(node))) return frt_status_oom("binding variable '%s'", node);
    (*v)[*n].object_id = id;
    (*n)++;
    return NULL;
}

/* The bindings of one call node nd calling fn with bound inputs cf. */
static frt_status *bind_call(const Tensorflow__SavedObjectGraph *og, const frt_graph *g,
                             const Tensorflow__NodeDef *nd, const char *fn,
                             const Tensorflow__SavedConcreteFunction *cf,
                             frt_bound_variable **v, int *n) {
    size_t ndata = 0;
    while (ndata < nd->n_input && nd->input[ndata] && nd->input[ndata][0] != '^') ndata++;
    size_t nb = cf->n_bound_inputs;
    if (ndata < nb)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "node '%s' calls '%s' with %zu data inputs, but the object graph "
                              "says it captures %zu (bound_inputs)",
                              str(nd->name), fn, ndata, nb);
    for (size_t k = 0; k < nb; k++) {
        int32_t id = cf->bound_inputs[k];
        if (id < 0 || (size_t)id >= og->n_nodes || !og->nodes[id])
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "concrete function '%s' (called by node '%s') has bound input "
                                  "%d, but the object graph has %zu nodes",
                                  fn, str(nd->name), (int)id, og->n_nodes);
        if (og->nodes[id]->kind_case != TENSORFLOW__SAVED_OBJECT__KIND_VARIABLE) continue;
        int vh = var_handle_of(g, nd->input[ndata - nb + k]);
        if (vh < 0) continue;
        FRT_TRY(add_bound(v, n, g->nodes[vh].name, id, str(nd->name), fn));
    }
    return NULL;
}

frt_status *frt_object_graph_bound_variables(const Tensorflow__MetaGraphDef *mgd,
                                             const frt_graph *g, frt_bound_variable **out,
                                             int *n) {
    *out = NULL;
    *n = 0;
    const Tensorflow__SavedObjectGraph *og = mgd->object_graph_def;
    if (!og || og->n_concrete_functions == 0 || !mgd->graph_def) return NULL;
    size_t ncf = og->n_concrete_functions;
    cf_entry **sorted = frt_malloc(ncf * sizeof *sorted);
    if (!sorted) return frt_status_oom("reading %zu concrete functions", ncf);
    memcpy(sorted, og->concrete_functions, ncf * sizeof *sorted);
    qsort(sorted, ncf, sizeof *sorted, cmp_entry);
    frt_bound_variable *v = NULL;
    int nv = 0;
    frt_status *st = NULL;
    const Tensorflow__GraphDef *gd = mgd->graph_def;
    for (size_t i = 0; i < gd->n_node && !st; i++) {
        const Tensorflow__NodeDef *nd = gd->node[i];
        const char *fn = called_function(nd);
        const Tensorflow__SavedConcreteFunction *cf = fn ? find_cf(sorted, ncf, fn) : NULL;
        if (!cf && nd->op) { /* a direct call: the op is the function */
            cf = find_cf(sorted, ncf, nd->op);
            fn = nd->op;
        }
        if (cf && cf->n_bound_inputs > 0) st = bind_call(og, g, nd, fn, cf, &v, &nv);
    }
    free(sorted);
    if (st) {
        frt_bound_variables_free(v, nv);
        return st;
    }
    if (nv > 1) qsort(v, (size_t)nv, sizeof *v, cmp_bound);
    *out = v;
    *n = nv;
    return NULL;
}

/* ---- step 2: checkpoint keys ------------------------------------------------------------ */

void frt_var_bindings_free(frt_var_binding *b, int n) {
    for (int i = 0; i < n; i++) {
        free(b[i].node);
        free(b[i].checkpoint_key);
    }
    free(b);
}

/* Reads and decodes the checkpoint's object graph; *out NULL (no error) when absent. */
static frt_status *read_trackable(const char *prefix, Tensorflow__TrackableObjectGraph **out) {
    *out = NULL;
    frt_bundle *b = NULL;
    FRT_TRY(frt_bundle_open(prefix, &b));
    frt_tensor *t = NULL;
    frt_status *st = NULL;
    if (frt_bundle_find(b, FRT_OBJECT_GRAPH_CHECKPOINT_KEY) >= 0)
        st = frt_bundle_read(b, FRT_OBJECT_GRAPH_CHECKPOINT_KEY, &t);
    frt_bundle_free(b);
    if (st || !t) return st;
    if (t->dtype != FRT_DTYPE_STRING || t->n != 1) {
        st = frt_status_new(FRT_DATA_LOSS,
                            "checkpoint '%s': " FRT_OBJECT_GRAPH_CHECKPOINT_KEY " is a %s %s "
                            "tensor, expected a scalar string",
                            prefix, frt_dtype_name(t->dtype), FRT_SHAPE_STR(t));
    } else {
        const frt_string *s = frt_tensor_strings(t);
        st = frt_proto_check_depth(&tensorflow__trackable_object_graph__descriptor,
                                   (const uint8_t *)s->ptr, s->len, prefix, NULL);
        bool broken = frt_status_code(st) == FRT_DATA_LOSS; /* said in this file's words */
        if (broken) frt_status_free(st), st = NULL;
        frt_pb_alloc pa;
        frt_pb_alloc_init(&pa);
        if (!st && !broken)
            *out = tensorflow__trackable_object_graph__unpack(&pa.base, s->len,
                                                              (const uint8_t *)s->ptr);
        if (!st && !*out && pa.failed)
            st = frt_status_oom("decoding the object graph of checkpoint '%s'", prefix);
        else if (!st && !*out)
            st = frt_status_new(FRT_DATA_LOSS,
                                "checkpoint '%s': " FRT_OBJECT_GRAPH_CHECKPOINT_KEY " is not a "
                                "valid serialized TrackableObjectGraph",
                                prefix);
    }
    frt_tensor_unref(t);
    return st;
}

/* map[saved id] = checkpoint node id (-1: none), by walking both graphs from their roots
 * breadth-first along children with equal local names. NULL when out of memory. */
static int *match_by_path(const Tensorflow__SavedObjectGraph *og,
                          const Tensorflow__TrackableObjectGraph *tg) {
    size_t ns = og->n_nodes, nt = tg->n_nodes;
    int *map = frt_malloc((ns + 1) * sizeof *map);
    if (!map) return NULL;
    for (size_t i = 0; i < ns; i++) map[i] = -1;
    if (ns == 0 || nt == 0) return map;
    int *queue = frt_malloc(ns * sizeof *queue);
    if (!queue) {
        free(map);
        return NULL;
    }
    size_t head = 0, tail = 0;
    map[0] = 0;
    queue[tail++] = 0;
    while (head < tail) {
        int s = queue[head++];
        const Tensorflow__SavedObject *so = og->nodes[s];
        const tr_object *to = tg->nodes[map[s]];
        if (!so || !to) continue;
        for (size_t c = 0; c < so->n_children; c++) {
            const obj_ref *sc = so->children[c];
            if (!sc || sc->node_id < 0 || (size_t)sc->node_id >= ns || map[sc->node_id] >= 0)
                continue;
            for (size_t k = 0; k < to->n_children; k++) {
                const obj_ref *tc = to->children[k];
                if (!tc || strcmp(str(tc->local_name), str(sc->local_name)) != 0) continue;
                if (tc->node_id >= 0 && (size_t)tc->node_id < nt) {
                    map[sc->node_id] = tc->node_id;
                    queue[tail++] = sc->node_id;
                }
                break;
            }
        }
    }
    free(queue);
    return map;
}

/* The checkpoint key of a node's VARIABLE_VALUE attribute, or NULL. */
static const char *variable_key(const tr_object *to) {
    for (size_t i = 0; to && i < to->n_attributes; i++) {
        const Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor *a =
            to->attributes[i];
        if (a && a->name && strcmp(a->name, "VARIABLE_VALUE") == 0 && a->checkpoint_key &&
            a->checkpoint_key[0])
            return a->checkpoint_key;
    }
    return NULL;
}

static int cmp_binding(const void *a, const void *b) {
    return strcmp(((const frt_var_binding *)a)->node, ((const frt_var_binding *)b)->node);
}

frt_status *frt_object_graph_checkpoint_keys(const Tensorflow__SavedObjectGraph *og,
                                             const frt_bound_variable *vars, int nvars,
                                             const char *checkpoint_prefix,
                                             frt_var_binding **out, int *n) {
    *out = NULL;
    *n = 0;
    if (!og || nvars <= 0 || !checkpoint_prefix) return NULL;
    Tensorflow__TrackableObjectGraph *tg = NULL;
    FRT_TRY(read_trackable(checkpoint_prefix, &tg));
    if (!tg) return NULL;
    int *map = match_by_path(og, tg);
    frt_var_binding *b = map ? frt_calloc((size_t)nvars, sizeof *b) : NULL;
    int nb = 0;
    bool ok = b != NULL;
    for (int i = 0; ok && i < nvars; i++) {
        int id = vars[i].object_id;
        if (id < 0 || (size_t)id >= og->n_nodes || map[id] < 0) continue;
        const char *key = variable_key(tg->nodes[map[id]]);
        if (!key) continue;
        b[nb].node = frt_strdup(vars[i].node);
        b[nb].checkpoint_key = frt_strdup(key);
        nb++;
        ok = b[nb - 1].node && b[nb - 1].checkpoint_key;
    }
    free(map);
    tensorflow__trackable_object_graph__free_unpacked(tg, NULL);
    if (!ok) {
        frt_var_bindings_free(b, nb);
        return frt_status_oom("binding the variables of checkpoint '%s'", checkpoint_prefix);
    }
    if (nb == 0) {
        free(b);
        b = NULL;
    }
    if (nb > 1) qsort(b, (size_t)nb, sizeof *b, cmp_binding);
    *out = b;
    *n = nb;
    return NULL;
}

frt_status *frt_object_graph_var_bindings(const Tensorflow__MetaGraphDef *mgd,
                                          const frt_graph *g, const char *checkpoint_prefix,
                                          frt_var_binding **out, int *n) {
    *out = NULL;
    *n = 0;
    if (!checkpoint_prefix) return NULL;
    frt_bound_variable *v = NULL;
    int nv = 0;
    FRT_TRY(frt_object_graph_bound_variables(mgd, g, &v, &nv));
    frt_status *st = NULL;
    if (nv > 0)
        st = frt_object_graph_checkpoint_keys(mgd->object_graph_def, v, nv, checkpoint_prefix,
                                              out, n);
    frt_bound_variables_free(v, nv);
    return st;
}
