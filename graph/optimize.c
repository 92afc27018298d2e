/* graph/optimize.c: the optimizer's driver: which nodes a step needs (prune), the working
 * graph (optimize_impl.h), removing Consts nobody uses any more, and writing the result as a
 * new finalized graph with the original names.
 * Owns: the working graph's helpers (fed/fetched/pinned edges, uses, new Consts with unique
 * names, the step's static shapes). Does not own: the passes (const_fold.c, fuse.c),
 * reachability (prune.c), shape functions (shape_infer.c), kernels.
 * Thread-safety: only reads g. */
#include "graph/optimize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/function.h"
#include "graph/optimize_impl.h"
#include "graph/prune.h"

/* ---- working-graph helpers ---------------------------------------------------------- */

static bool edge_in(const frt_edge *es, int n, frt_edge e) {
    for (int i = 0; i < n; i++)
        if (es[i].node == e.node && es[i].index == e.index) return true;
    return false;
}

bool frt_opt_edge_fed(const frt_opt_graph *w, frt_edge e) {
    return edge_in(w->feeds, w->nfeeds, e);
}

bool frt_opt_edge_fetched(const frt_opt_graph *w, frt_edge e) {
    return edge_in(w->fetches, w->nfetches, e);
}

bool frt_opt_pinned(const frt_opt_graph *w, int i) {
    if (i < w->g->n_nodes && w->target[i]) return true;
    for (int k = 0; k < w->nfetches; k++)
        if (w->fetches[k].node == i) return true;
    for (int k = 0; k < w->nfeeds; k++)
        if (w->feeds[k].node == i) return true;
    return false;
}

const frt_tensor *frt_opt_const_value(const frt_opt_graph *w, frt_edge e) {
    const frt_opt_node *n = &w->nodes[e.node];
    if (!n->live || !n->is_const || e.index != 0 || frt_opt_edge_fed(w, e)) return NULL;
    return frt_attr_get_tensor(&n->attrs, "value");
}

int frt_opt_uses(const frt_opt_graph *w, frt_edge e, int *ctrl_uses) {
    int uses = 0, cuses = 0;
    for (int i = 0; i < w->n; i++) {
        const frt_opt_node *n = &w->nodes[i];
        if (!n->live) continue;
        for (int k = 0; k < n->n_data; k++)
            uses += n->data[k].node == e.node && n->data[k].index == e.index;
        for (int k = 0; k < n->n_ctrl; k++) cuses += n->ctrl[k] == e.node;
    }
    for (int k = 0; k < w->nfetches; k++)
        uses += w->fetches[k].node == e.node && w->fetches[k].index == e.index;
    if (ctrl_uses) *ctrl_uses = cuses;
    return uses;
}

/* What a run may be fed at e: a Placeholder's (or PlaceholderWithDefault's) shape attr, which
 * frt_plan_run checks every feed against; anything else is unknown. */
static frt_shape fed_shape(const frt_graph *g, frt_edge e) {
    const frt_node *n = &g->nodes[e.node];
    if (e.index != 0 || (strcmp(n->op, "Placeholder") && strcmp(n->op, "PlaceholderWithDefault")))
        return frt_shape_unknown();
    frt_attr_shape sh;
    bool found = false;
    frt_status *st = frt_attr_get_shape(&n->attrs, "shape", &sh, &found);
    if (st || !found || sh.unknown_rank) {
        frt_status_free(st);
        return frt_shape_unknown();
    }
    return frt_shape_make(sh.dims, sh.ndim);
}

frt_shape frt_opt_shape(frt_opt_graph *w, frt_edge e) {
    if (!w->shapes_done) {
        w->shapes_done = true;
        const frt_graph *g = w->g;
        bool *keep = frt_calloc((size_t)g->n_nodes + 1, sizeof *keep);
        frt_shape *fs = frt_calloc((size_t)w->nfeeds + 1, sizeof *fs);
        for (int i = 0; keep && i < g->n_nodes; i++) keep[i] = w->nodes[i].region;
        for (int i = 0; fs && i < w->nfeeds; i++) fs[i] = fed_shape(g, w->feeds[i]);
        /* Contradictions are the executor's to report: here they only mean "unknown" (and
         * out of memory means unknown too: fusions that need a shape are skipped). */
        frt_status *st = keep && fs ? frt_graph_infer_shapes(g, keep, w->feeds, fs, w->nfeeds,
                                                             &w->shapes)
                                    : NULL;
        if (st) {
            frt_status_free(st);
            w->shapes = NULL;
        }
        free(fs);
        free(keep);
    }
    if (e.node < 0 || e.node >= w->g->n_nodes) return frt_shape_unknown();
    if (frt_opt_edge_fed(w, e)) return fed_shape(w->g, e); /* fed nodes are outside the region */
    if (!w->shapes) return frt_shape_unknown();
    return *frt_shape_map_get(w->shapes, e);
}

/* NULL (w->oom set) when out of memory. */
static frt_opt_node *add_node(frt_opt_graph *w) {
    if (w->n == w->cap) {
        int cap = w->cap ? 2 * w->cap : 64;
        frt_opt_node *nodes = frt_realloc(w->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            w->oom = true;
            return NULL;
        }
        w->nodes = nodes;
        w->cap = cap;
    }
    frt_opt_node *n = &w->nodes[w->n++];
    memset(n, 0, sizeof *n);
    frt_attrs_init(&n->attrs);
    n->device = "";
    return n;
}

static bool name_taken(const frt_opt_graph *w, const char *name) {
    if (frt_graph_find(w->g, name) >= 0) return true;
    for (int i = w->g->n_nodes; i < w->n; i++)
        if (strcmp(w->nodes[i].name, name) == 0) return true;
    return false;
}

void frt_opt_set_attr(frt_opt_graph *w, frt_attrs *a, const char *key, frt_attr_value *v) {
    frt_status *st = frt_attrs_try_set(a, key, v);
    if (!st) return;
    frt_status_free(st);
    frt_attr_value_deinit(v);
    w->oom = true;
}

static void set_const_attrs(frt_opt_graph *w, frt_attrs *a, frt_tensor *t) {
    frt_attr_value dt = {.kind = FRT_ATTR_TYPE, .v.type = t->dtype};
    frt_opt_set_attr(w, a, "dtype", &dt);
    frt_attr_value v = {.kind = FRT_ATTR_TENSOR, .v.tensor = frt_tensor_ref(t)};
    frt_opt_set_attr(w, a, "value", &v);
}

int frt_opt_add_const(frt_opt_graph *w, const char *base, const char *suffix, frt_tensor *t) {
    size_t len = strlen(base) + strlen(suffix) + 32;
    char *name = frt_malloc(len), *op = frt_strdup("Const");
    if (name) {
        snprintf(name, len, "%s/%s", base, suffix);
        for (int k = 1; name_taken(w, name); k++)
            snprintf(name, len, "%s/%s_%d", base, suffix, k);
    }
    frt_opt_node *n = name && op ? add_node(w) : NULL;
    if (!n) {
        free(name);
        free(op);
        w->oom = true;
        return -1;
    }
    n->name = name;
    n->op = op;
    n->n_outputs = 1;
    n->live = n->region = n->is_const = true;
    set_const_attrs(w, &n->attrs, t);
    return w->oom ? -1 : w->n - 1;
}

void frt_opt_make_const(frt_opt_graph *w, int i, frt_tensor *t) {
    frt_opt_node *n = &w->nodes[i];
    char *op = frt_strdup("Const");
    frt_attrs attrs;
    frt_attrs_init(&attrs);
    if (op) set_const_attrs(w, &attrs, t);
    if (!op || w->oom) {
        free(op);
        frt_attrs_deinit(&attrs);
        w->oom = true;
        return;
    }
    free(n->op);
    n->op = op;
    frt_attrs_deinit(&n->attrs);
    n->attrs = attrs;
    free(n->data);
    free(n->ctrl);
    n->data = NULL;
    n->ctrl = NULL;
    n->n_data = n->n_ctrl = 0;
    n->n_outputs = 1;
    n->is_const = true;
}

/* ---- building and writing ---------------------------------------------------------------- */

static void working_free(frt_opt_graph *w) {
    for (int i = 0; i < w->n; i++) {
        frt_opt_node *n = &w->nodes[i];
        free(n->name);
        free(n->op);
        frt_attrs_deinit(&n->attrs);
        free(n->data);
        free(n->ctrl);
    }
    free(w->nodes);
    free(w->target);
    free(w->order);
    frt_shape_map_free(w->shapes);
}

/* Region = what the step needs; live = region plus what the fed tensors' names need. */
static frt_status *working_init(frt_opt_graph *w, const frt_graph *g) {
    int n = g->n_nodes;
    bool *region = frt_calloc((size_t)n + 1, sizeof *region);
    bool *named = frt_calloc((size_t)n + 1, sizeof *named);
    w->order = frt_calloc((size_t)n + 1, sizeof *w->order);
    int ntargets = 0;
    int *targets = frt_calloc((size_t)n + 1, sizeof *targets);
    frt_status *st = NULL;
    if (!region || !named || !w->order || !targets)
        st = frt_status_oom("optimizing a graph of %d nodes", n);
    for (int i = 0; i < n && !st; i++)
        if (w->target[i]) targets[ntargets++] = i;
    if (!st)
        st = frt_graph_prune(g, w->feeds, w->nfeeds, w->fetches, w->nfetches, targets, ntargets,
                             region);
    if (!st) st = frt_graph_prune(g, NULL, 0, w->feeds, w->nfeeds, NULL, 0, named);
    if (!st) st = frt_graph_topo_order(g, w->order);
    free(targets);
    for (int i = 0; i < n && !st; i++) {
        frt_opt_node *m = add_node(w);
        if (!m) {
            st = frt_status_oom("optimizing a graph of %d nodes", n);
            break;
        }
        const frt_node *s = &g->nodes[i];
        m->device = s->device;
        m->name = frt_strdup(s->name);
        m->op = frt_strdup(s->op);
        m->data = frt_malloc((size_t)s->n_data * sizeof *m->data + 1);
        m->ctrl = frt_malloc((size_t)s->n_ctrl * sizeof *m->ctrl + 1);
        if (!m->name || !m->op || !m->data || !m->ctrl ||
            (st = frt_attrs_try_copy(&m->attrs, &s->attrs))) {
            if (!st) st = frt_status_oom("optimizing node '%s'", s->name);
            break;
        }
        m->n_data = s->n_data;
        if (s->n_data) memcpy(m->data, s->data, (size_t)s->n_data * sizeof *m->data);
        m->n_ctrl = s->n_ctrl;
        if (s->n_ctrl) memcpy(m->ctrl, s->ctrl, (size_t)s->n_ctrl * sizeof *m->ctrl);
        m->n_outputs = s->n_outputs;
        m->region = region[i];
        m->live = m->region || named[i];
        m->is_const = strcmp(s->op, "Const") == 0 && s->n_ctrl == 0 &&
                      frt_attr_get_tensor(&s->attrs, "value") != NULL;
    }
    free(region);
    free(named);
    return st;
}

/* A control edge from a Const without control inputs orders nothing (the Const has no
 * effects and no prerequisites): dropped, as TF's dependency optimizer does. Keras' frozen
 * functions hang every variable read off a NoOp this way. */
static void drop_const_control_edges(frt_opt_graph *w) {
    for (int i = 0; i < w->n; i++) {
        frt_opt_node *n = &w->nodes[i];
        if (!n->live || !n->region) continue;
        int k = 0;
        for (int j = 0; j < n->n_ctrl; j++)
            if (!w->nodes[n->ctrl[j]].is_const) n->ctrl[k++] = n->ctrl[j];
        n->n_ctrl = k;
    }
}

/* Region Consts that nothing uses any more (their consumers were folded or fused away). */
static void remove_dead_consts(frt_opt_graph *w) {
    for (int i = 0; i < w->n; i++) {
        frt_opt_node *n = &w->nodes[i];
        if (!n->live || !n->region || !n->is_const || frt_opt_pinned(w, i)) continue;
        int cuses = 0;
        if (frt_opt_uses(w, (frt_edge){i, 0}, &cuses) == 0 && cuses == 0) n->live = false;
    }
}

/* NULL when out of memory. */
static char *input_name(const frt_opt_graph *w, int node, int index, bool ctrl) {
    const char *nm = w->nodes[node].name;
    size_t len = strlen(nm) + 16;
    char *s = frt_malloc(len);
    if (!s) return NULL;
    if (ctrl) snprintf(s, len, "^%s", nm);
    else if (index == 0) snprintf(s, len, "%s", nm);
    else snprintf(s, len, "%s:%d", nm, index);
    return s;
}

/* Whether the passes left every live node as g has it (nothing added, removed or rewritten:
 * op, edges and attrs compared), so writing a copy would only duplicate g. */
static bool unchanged(const frt_opt_graph *w) {
    const frt_graph *g = w->g;
    if (w->n != g->n_nodes) return false;
    for (int i = 0; i < g->n_nodes; i++) {
        const frt_opt_node *m = &w->nodes[i];
        const frt_node *s = &g->nodes[i];
        if (!m->live && !m->region) continue; /* pruned either way */
        if (!m->live || strcmp(m->op, s->op) != 0 || m->n_data != s->n_data ||
            m->n_ctrl != s->n_ctrl ||
            (s->n_data && memcmp(m->data, s->data, (size_t)s->n_data * sizeof *s->data)) ||
            (s->n_ctrl && memcmp(m->ctrl, s->ctrl, (size_t)s->n_ctrl * sizeof *s->ctrl)) ||
            !frt_attrs_equal(&m->attrs, &s->attrs))
            return false;
    }
    return true;
}

static frt_status *write_graph(const frt_opt_graph *w, frt_graph **out) {
    if (w->opts.null_if_unchanged && unchanged(w)) {
        *out = NULL; /* a million-node graph is not copied to change nothing */
        return NULL;
    }
    frt_graph *h = frt_graph_new();
    if (!h) return frt_status_oom("writing the optimized graph");
    h->producer = w->g->producer;
    h->min_consumer = w->g->min_consumer;
    frt_status *st = NULL;
    for (int i = 0; i < w->n && !st; i++) {
        const frt_opt_node *n = &w->nodes[i];
        if (!n->live) continue;
        int idx;
        if ((st = frt_graph_try_add_node(h, n->name, n->op, n->device, &idx))) break;
        frt_node *m = frt_graph_node(h, idx);
        if ((st = frt_attrs_try_copy(&m->attrs, &n->attrs))) break;
        for (int k = 0; k < n->n_data + n->n_ctrl && !st; k++) {
            char *s = k < n->n_data ? input_name(w, n->data[k].node, n->data[k].index, false)
                                    : input_name(w, n->ctrl[k - n->n_data], 0, true);
            st = s ? frt_node_try_add_input(m, s) : frt_status_oom("writing the optimized graph");
            free(s);
        }
        if (st) break;
        /* Passes only drop nodes nobody uses (data or control). */
        for (int k = 0; k < n->n_data; k++)
            FRT_ASSERT(w->nodes[n->data[k].node].live && "optimizer dropped a used node");
        for (int k = 0; k < n->n_ctrl; k++)
            FRT_ASSERT(w->nodes[n->ctrl[k]].live && "optimizer dropped a control input");
    }
    if (st) {
        frt_graph_free(h);
        return st;
    }
    const frt_function_lib *lib = frt_graph_library(w->g);
    frt_function_lib *copy = lib ? frt_function_lib_copy(lib) : NULL;
    if (lib && !copy) {
        frt_graph_free(h);
        return frt_status_oom("copying the function library of the optimized graph");
    }
    if (copy) frt_graph_set_library(h, copy);
    st = frt_graph_finalize(h);
    if (frt_status_code(st) == FRT_RESOURCE_EXHAUSTED) {
        frt_graph_free(h);
        return st;
    }
    if (st) {
        frt_graph_free(h);
        return frt_status_new(FRT_INTERNAL, "graph optimizer: the rewritten graph is invalid: %s",
                              frt_status_message(st));
    }
    *out = h;
    return NULL;
}

frt_status *frt_graph_optimize_opts(const frt_graph *g, const frt_edge *feeds, int nfeeds,
                                    const frt_edge *fetches, int nfetches, const int *targets,
                                    int ntargets, const frt_optimize_options *opts,
                                    frt_graph **out) {
    *out = NULL;
    if (!g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION, "optimizing needs a finalized graph");
    for (int i = 0; i < ntargets; i++)
        if (targets[i] < 0 || targets[i] >= g->n_nodes)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "target %d: node index %d is outside the graph (%d nodes)", i,
                                  targets[i], g->n_nodes);
    frt_opt_graph w = {.g = g, .feeds = feeds, .nfeeds = nfeeds, .fetches = fetches,
                       .nfetches = nfetches};
    if (opts) w.opts = *opts;
    if (w.opts.max_fold_bytes <= 0) w.opts.max_fold_bytes = 10 << 20;
    w.target = frt_calloc((size_t)g->n_nodes + 1, sizeof *w.target);
    if (!w.target) return frt_status_oom("optimizing a graph of %d nodes", g->n_nodes);
    for (int i = 0; i < ntargets; i++) w.target[targets[i]] = true;
    frt_status *st = working_init(&w, g);
    if (!st) {
        if (!w.opts.no_fold) frt_opt_fold_constants(&w);
        if (!w.opts.no_fuse && !w.oom) frt_opt_fuse(&w);
        if (!w.opts.no_fold) drop_const_control_edges(&w);
        remove_dead_consts(&w);
        st = w.oom ? frt_status_oom("optimizing a graph of %d nodes", g->n_nodes)
                   : write_graph(&w, out);
    }
    working_free(&w);
    return st;
}

frt_status *frt_graph_optimize(const frt_graph *g, const frt_edge *feeds, int nfeeds,
                               const frt_edge *fetches, int nfetches, const int *targets,
                               int ntargets, frt_graph **out) {
    return frt_graph_optimize_opts(g, feeds, nfeeds, fetches, nfetches, targets, ntargets, NULL,
                                   out);
}
