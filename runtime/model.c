/* runtime/model.c: frt_model — loading a frozen GraphDef and read-only introspection for
 * tools (inspect). Owns: the model handle's lifetime. Does not own: file decoding (io/),
 * validation (graph/validate.c). Thread-safety: immutable after load. */
#include "runtime/model.h"

#include <stdlib.h>
#include <string.h>

#include "io/graphdef.h"
#include "runtime/kernel.h"

frt_model *frt_model_from_graph(frt_graph *g, const char *path) {
    frt_model *m = frt_xcalloc(1, sizeof *m);
    atomic_init(&m->refs, 1);
    m->g = g;
    m->path = frt_xstrdup(path ? path : "");
    return m;
}

frt_model *frt_model_ref(frt_model *m) {
    if (m) atomic_fetch_add(&m->refs, 1);
    return m;
}

void frt_model_free(frt_model *m) {
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1) return;
    frt_graph_free(m->g);
    free(m->path);
    free(m);
}

frt_status *frt_model_load(const char *path, frt_model **out) {
    *out = NULL;
    frt_init();
    frt_graph *g = NULL;
    FRT_TRY(frt_graphdef_load_file(path, &g));
    frt_status *st = frt_graph_finalize(g);
    if (st) {
        frt_graph_free(g);
        return frt_status_annotate(st, "\n(in graph '%s')", path);
    }
    *out = frt_model_from_graph(g, path);
    return NULL;
}

static const frt_node *node_at(const frt_model *m, int i) {
    return i >= 0 && i < m->g->n_nodes ? &m->g->nodes[i] : NULL;
}

int frt_model_num_nodes(const frt_model *m) { return m->g->n_nodes; }

int frt_model_find_node(const frt_model *m, const char *name) {
    const char *nm;
    size_t len;
    int index;
    bool ctrl;
    if (!frt_parse_input_name(name, &nm, &len, &index, &ctrl)) return -1;
    return frt_graph_find_n(m->g, nm, len);
}
const char *frt_model_node_name(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    return n ? n->name : NULL;
}
const char *frt_model_node_op(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    return n ? n->op : NULL;
}
const char *frt_model_node_device(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    return n ? n->device : NULL;
}
int frt_model_node_num_inputs(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    return n ? n->n_inputs : 0;
}
const char *frt_model_node_input(const frt_model *m, int i, int j) {
    const frt_node *n = node_at(m, i);
    return n && j >= 0 && j < n->n_inputs ? n->inputs[j] : NULL;
}
int frt_model_node_num_outputs(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    return n ? n->n_outputs : -1;
}

frt_status *frt_model_node_dtype_attr(const frt_model *m, int i, const char *attr,
                                      frt_dtype *out) {
    const frt_node *n = node_at(m, i);
    const frt_attr_value *v = n ? frt_attrs_find(&n->attrs, attr) : NULL;
    if (!v || v->kind != FRT_ATTR_TYPE)
        return frt_status_new(FRT_NOT_FOUND, "node %d has no type attr '%s'", i, attr);
    *out = frt_dtype_base(v->v.type);
    return NULL;
}

frt_status *frt_model_node_shape_attr(const frt_model *m, int i, const char *attr, int *ndim,
                                      int64_t *dims) {
    const frt_node *n = node_at(m, i);
    const frt_attr_value *v = n ? frt_attrs_find(&n->attrs, attr) : NULL;
    if (!v || v->kind != FRT_ATTR_SHAPE)
        return frt_status_new(FRT_NOT_FOUND, "node %d has no shape attr '%s'", i, attr);
    *ndim = v->v.shape.unknown_rank ? -1 : v->v.shape.ndim;
    for (int k = 0; k < v->v.shape.ndim; k++) dims[k] = v->v.shape.dims[k];
    return NULL;
}

const frt_tensor *frt_model_node_const_value(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    if (!n || strcmp(n->op, "Const") != 0) return NULL;
    return frt_attr_get_tensor(&n->attrs, "value");
}
