/* runtime/model.c: frt_model — loading frozen GraphDefs, MetaGraphs and SavedModels, and
 * read-only introspection for tools (inspect): nodes, signatures, tags.
 * Owns: the model handle's lifetime and the choice of loader. Does not own: file decoding
 * (io/), validation (graph/validate.c), restoring variables (session.c).
 * Thread-safety: immutable after load. */
#include "runtime/model.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/graphdef.h"
#include "io/meta_graph.h"
#include "io/saved_model.h"
#include "core/kernel.h"
#include "runtime/init.h"

frt_model *frt_model_from_metagraph(frt_metagraph *mg, const char *path) {
    frt_model *m = frt_calloc(1, sizeof *m);
    char *p = frt_strdup(path ? path : "");
    if (!m || !p) {
        free(m);
        free(p);
        return NULL;
    }
    atomic_init(&m->refs, 1);
    m->mg = mg;
    m->g = mg->g;
    m->path = p;
    return m;
}

frt_model *frt_model_from_graph(frt_graph *g, const char *path) {
    frt_metagraph *mg = frt_metagraph_new(g);
    frt_model *m = mg ? frt_model_from_metagraph(mg, path) : NULL;
    if (mg && !m) {
        mg->g = NULL; /* still the caller's */
        frt_metagraph_free(mg);
    }
    return m;
}

frt_model *frt_model_ref(frt_model *m) {
    if (m) atomic_fetch_add(&m->refs, 1);
    return m;
}

void frt_model_free(frt_model *m) {
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1) return;
    frt_metagraph_free(m->mg);
    free(m->path);
    free(m);
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

frt_status *frt_model_load(const char *path, frt_model **out) {
    *out = NULL;
    frt_init();
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return frt_model_load_saved_model(path, NULL, 0, out);
    if (ends_with(path, ".meta")) return frt_model_load_meta(path, NULL, out);
    frt_graph *g = NULL;
    FRT_TRY(frt_graphdef_load_file(path, &g));
    frt_status *st = frt_graph_finalize(g);
    if (st) {
        frt_graph_free(g);
        return frt_status_annotate(st, "\n(in graph '%s')", path);
    }
    if (!(*out = frt_model_from_graph(g, path))) {
        frt_graph_free(g);
        return frt_status_oom("loading model '%s'", path);
    }
    return NULL;
}

frt_status *frt_model_load_saved_model(const char *dir, const char *const *tags, int ntags,
                                       frt_model **out) {
    *out = NULL;
    frt_init();
    static const char *const serve[] = {"serve"};
    if (!tags || ntags <= 0) {
        tags = serve;
        ntags = 1;
    }
    frt_metagraph *mg = NULL;
    FRT_TRY(frt_saved_model_load(dir, tags, ntags, &mg));
    if (!(*out = frt_model_from_metagraph(mg, dir))) {
        frt_metagraph_free(mg);
        return frt_status_oom("loading SavedModel '%s'", dir);
    }
    return NULL;
}

frt_status *frt_model_load_meta(const char *meta_path, const char *checkpoint,
                                frt_model **out) {
    *out = NULL;
    frt_init();
    char *prefix = NULL;
    if (checkpoint) {
        /* a directory means its `checkpoint` state file's latest checkpoint */
        frt_checkpoint *c = NULL;
        FRT_TRY(frt_checkpoint_open(checkpoint, &c));
        prefix = frt_strdup(frt_checkpoint_prefix(c));
        frt_checkpoint_close(c);
        if (!prefix) return frt_status_oom("loading MetaGraph '%s'", meta_path);
    }
    frt_metagraph *mg = NULL;
    frt_status *st = frt_meta_graph_load_file(meta_path, &mg);
    if (st) {
        free(prefix);
        return st;
    }
    if (prefix && !mg->saver_restore_op) {
        free(prefix);
        frt_metagraph_free(mg);
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "'%s' has no saver_def, so checkpoint '%s' cannot be restored",
                              meta_path, checkpoint);
    }
    free(mg->checkpoint_prefix);
    mg->checkpoint_prefix = prefix;
    if (!(*out = frt_model_from_metagraph(mg, meta_path))) {
        frt_metagraph_free(mg);
        return frt_status_oom("loading MetaGraph '%s'", meta_path);
    }
    return NULL;
}

/* ---- nodes ---- */

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

int frt_model_sink_nodes(const frt_model *m, int *out) {
    const frt_graph *g = m->g;
    /* out (num_nodes entries) first holds the "consumed" flags: flag i is read before out[k]
     * for k <= i is written, so this needs no memory of its own (and cannot run out of it,
     * which used to abort `flowrt run` without --output) */
    for (int i = 0; i < g->n_nodes; i++) out[i] = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        for (int j = 0; j < g->nodes[i].n_data; j++) out[g->nodes[i].data[j].node] = 1;
        for (int j = 0; j < g->nodes[i].n_ctrl; j++) out[g->nodes[i].ctrl[j]] = 1;
    }
    int count = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const frt_node *n = &g->nodes[i];
        if (out[i] || n->n_outputs == 0 || strcmp(n->op, "Const") == 0 ||
            strcmp(n->op, "Placeholder") == 0)
            continue;
        out[count++] = i;
    }
    return count;
}

const frt_tensor *frt_model_node_const_value(const frt_model *m, int i) {
    const frt_node *n = node_at(m, i);
    if (!n || strcmp(n->op, "Const") != 0) return NULL;
    const frt_tensor *t = frt_attr_get_tensor(&n->attrs, "value");
    return t ? t : frt_attr_get_splat(&n->attrs, "value"); /* never expanded here */
}

/* ---- signatures and MetaGraph facts ---- */

static const frt_signature *sig_at(const frt_model *m, int s) {
    return s >= 0 && s < m->mg->n_signatures ? &m->mg->signatures[s] : NULL;
}

static const frt_tensor_info *arg_at(const frt_model *m, int s, int is_output, int i) {
    const frt_signature *sig = sig_at(m, s);
    if (!sig) return NULL;
    int n = is_output ? sig->n_outputs : sig->n_inputs;
    if (i < 0 || i >= n) return NULL;
    return is_output ? &sig->outputs[i] : &sig->inputs[i];
}

int frt_model_num_signatures(const frt_model *m) { return m->mg->n_signatures; }
const char *frt_model_signature_name(const frt_model *m, int s) {
    const frt_signature *sig = sig_at(m, s);
    return sig ? sig->name : NULL;
}
const char *frt_model_signature_method(const frt_model *m, int s) {
    const frt_signature *sig = sig_at(m, s);
    return sig ? (sig->method ? sig->method : "") : NULL;
}
int frt_model_find_signature(const frt_model *m, const char *name) {
    if (!name) name = "serving_default"; /* as frt_session_run_signature */
    for (int s = 0; s < m->mg->n_signatures; s++)
        if (strcmp(m->mg->signatures[s].name, name) == 0) return s;
    return -1;
}
int frt_model_signature_num_args(const frt_model *m, int s, int is_output) {
    const frt_signature *sig = sig_at(m, s);
    return !sig ? 0 : is_output ? sig->n_outputs : sig->n_inputs;
}
const char *frt_model_signature_arg_key(const frt_model *m, int s, int is_output, int i) {
    const frt_tensor_info *a = arg_at(m, s, is_output, i);
    return a ? a->key : NULL;
}
const char *frt_model_signature_arg_tensor(const frt_model *m, int s, int is_output, int i) {
    const frt_tensor_info *a = arg_at(m, s, is_output, i);
    return a ? a->tensor : NULL;
}
frt_dtype frt_model_signature_arg_dtype(const frt_model *m, int s, int is_output, int i) {
    const frt_tensor_info *a = arg_at(m, s, is_output, i);
    return a ? a->dtype : FRT_DTYPE_INVALID;
}
int frt_model_signature_arg_shape(const frt_model *m, int s, int is_output, int i,
                                  int64_t *dims) {
    const frt_tensor_info *a = arg_at(m, s, is_output, i);
    if (!a) return -1;
    for (int k = 0; k < a->ndim; k++) dims[k] = a->dims[k];
    return a->ndim;
}
int frt_model_num_tags(const frt_model *m) { return m->mg->n_tags; }
const char *frt_model_tag(const frt_model *m, int i) {
    return i >= 0 && i < m->mg->n_tags ? m->mg->tags[i] : NULL;
}
const char *frt_model_checkpoint_prefix(const frt_model *m) { return m->mg->checkpoint_prefix; }
