/* runtime/executor.c: builds execution plans and runs them as dataflow on a thread pool.
 * Owns: plan construction (pruning via graph/, kernel lookup and init, value slots, successor
 * lists), the per-run state (pending counts, value refcounts), scheduling, error collection.
 * Does not own: kernels (kernels/), graph passes (graph/), the public API (session.c).
 *
 * Run model: every plan node has a pending count (data + control predecessors). Ready nodes
 * go to the inter-op pool; a finishing node runs its first newly ready successor inline (as
 * TF's executor does) and queues the rest. Each value slot counts its remaining consumers;
 * the last consumer takes over the slot's reference, so a kernel can write in place into an
 * input nobody else needs, and every tensor is freed as soon as its last consumer ran.
 * Room for TF1 control flow: dead values and loop frames will extend the per-slot state and
 * the pending counts (a Merge fires on its first live input); nothing here assumes a DAG of
 * always-live values beyond the run loop in run_node.
 * Thread-safety: plans are immutable; each run has its own run_state. */
#include "runtime/executor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/op_registry.h"
#include "graph/optimize.h"
#include "graph/prune.h"
#include "graph/shape_infer.h"
#include "core/resource.h"

/* ---- plan construction ---------------------------------------------------------------- */

/* Appends to a growing string; false (and *buf unchanged) when out of memory. */
static bool sb_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    FRT_PRINTF(4, 5);
static bool sb_printf(char **buf, size_t *len, size_t *cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    bool ok = true;
    if (n > 0) {
        if (*len + (size_t)n + 1 > *cap) {
            size_t c = (*len + (size_t)n + 1) * 2;
            char *b = frt_realloc(*buf, c);
            if (b) {
                *buf = b;
                *cap = c;
            }
            ok = b != NULL;
        }
        if (ok) {
            vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
            *len += (size_t)n;
        }
    }
    va_end(ap);
    return ok;
}

static int find_feed(const frt_edge *feeds, int n, frt_edge e) {
    for (int i = 0; i < n; i++)
        if (feeds[i].node == e.node && feeds[i].index == e.index) return i;
    return -1;
}

static bool is_placeholder(const frt_node *n) {
    return strcmp(n->op, "Placeholder") == 0;
}

static char *placeholder_desc(const frt_node *n, char *buf, size_t cap) {
    frt_dtype dt = FRT_DTYPE_INVALID;
    frt_status_free(frt_attr_get_type(&n->attrs, "dtype", FRT_DTYPE_INVALID, &dt));
    frt_attr_shape sh;
    bool found = false;
    frt_status_free(frt_attr_get_shape(&n->attrs, "shape", &sh, &found));
    size_t k = (size_t)snprintf(buf, cap, "%s", frt_dtype_name(dt));
    if (found && !sh.unknown_rank && k < cap) {
        frt_shape s = frt_shape_make(sh.dims, sh.ndim);
        snprintf(buf + k, cap - k, ", shape %s", frt_shape_fmt(&s, (char[128]){0}, 128));
    }
    return buf;
}

void frt_plan_free(frt_plan *p) {
    if (!p) return;
    for (int i = 0; i < p->n_nodes; i++) {
        frt_plan_node *pn = &p->nodes[i];
        if (pn->state && pn->def && pn->def->free_state) pn->def->free_state(pn->state);
        free(pn->in_slots);
        free(pn->in_deref);
        free(pn->succ);
    }
    free(p->nodes);
    free(p->slot_uses);
    free(p->feed_slots);
    free(p->feeds);
    free(p->feed_dtypes);
    frt_graph_free(p->owned_g);
    free(p->fetch_slots);
    free(p->fetch_deref);
    free(p->roots);
    free(p);
}

static frt_status *resolve_names(const frt_graph *g, const char *const *names, int n,
                                 const char *what, frt_edge *out) {
    for (int i = 0; i < n; i++) {
        frt_status *st = frt_graph_resolve_tensor(g, names[i], &out[i]);
        if (st) return frt_status_annotate(st, " (in %s)", what);
    }
    return NULL;
}

static frt_status *resolve_targets(const frt_graph *g, const char *const *targets, int n,
                                   int *out) {
    for (int i = 0; i < n; i++) {
        const char *name;
        size_t len;
        int index;
        bool ctrl;
        if (!frt_parse_input_name(targets[i], &name, &len, &index, &ctrl))
            return frt_status_new(FRT_INVALID_ARGUMENT, "'%s' is not a node name (in targets)",
                                  targets[i]);
        out[i] = frt_graph_find_n(g, name, len);
        if (out[i] < 0)
            return frt_status_new(FRT_NOT_FOUND, "target '%s': the graph has no node '%.*s'",
                                  targets[i], (int)len, name);
    }
    return NULL;
}

/* Collects every problem that would stop the run before any kernel runs. */
static frt_status *check_runnable(const frt_graph *g, const bool *keep, const frt_edge *feeds,
                                  int nfeeds) {
    char *unsup = NULL, *unfed = NULL;
    size_t ul = 0, uc = 0, fl = 0, fc = 0;
    int n_unsup = 0, n_unfed = 0;
    bool ok = true;
    for (int i = 0; i < g->n_nodes && ok; i++) {
        if (!keep[i]) continue;
        const frt_node *n = &g->nodes[i];
        if (is_placeholder(n) && find_feed(feeds, nfeeds, (frt_edge){i, 0}) < 0) {
            /* kept by pruning, so something needs its value, and nobody feeds it */
            char d[128];
            ok = sb_printf(&unfed, &fl, &fc, "%s'%s' (%s)", n_unfed ? ", " : "", n->name,
                           placeholder_desc(n, d, sizeof d));
            n_unfed++;
            continue;
        }
        if (!frt_kernel_find(n->op, FRT_DEVICE_CPU, &n->attrs)) {
            const char *why = frt_kernel_exists(n->op, FRT_DEVICE_CPU) ? " for this dtype" : "";
            ok = sb_printf(&unsup, &ul, &uc, "\n  node '%s' (%s)%s", n->name, n->op, why);
            n_unsup++;
        }
    }
    frt_status *st = NULL;
    if (!ok) {
        st = frt_status_oom("listing the nodes that cannot run");
    } else if (n_unsup) {
        st = frt_status_new(FRT_UNIMPLEMENTED,
                            "%d node%s needed by this run ha%s no CPU kernel:%s", n_unsup,
                            n_unsup == 1 ? "" : "s", n_unsup == 1 ? "s" : "ve", unsup);
        if (n_unfed) st = frt_status_annotate(st, "\nalso missing feeds for placeholders: %s", unfed);
    } else if (n_unfed) {
        st = frt_status_new(FRT_INVALID_ARGUMENT, "you must feed a value for placeholder%s %s",
                            n_unfed == 1 ? "" : "s", unfed);
    }
    free(unsup);
    free(unfed);
    return st;
}

/* Whether output e of its producer is a TF1 reference (Ref(T) output arg: VariableV2,
 * Assign...). Such outputs carry the variable's handle. */
static bool output_is_ref(const frt_graph *g, frt_edge e) {
    const frt_node *n = &g->nodes[e.node];
    const frt_op_def *d = frt_op_find(n->op);
    int k;
    const frt_op_arg *a = d ? frt_op_output_arg_at(d, &n->attrs, e.index, &k) : NULL;
    return a && a->is_ref;
}

static bool input_is_ref(const frt_node *n, int j) {
    const frt_op_def *d = frt_op_find(n->op);
    int k;
    const frt_op_arg *a = d ? frt_op_input_arg_at(d, &n->attrs, j, &k) : NULL;
    return a && a->is_ref;
}

/* Plan node `to` waits for `from` (a data or control edge). */
static frt_status *add_succ(frt_plan *p, int from, int to) {
    frt_plan_node *sp = &p->nodes[from];
    int *succ = frt_realloc(sp->succ, (size_t)(sp->n_succ + 1) * sizeof *succ);
    if (!succ) return frt_status_oom("planning the successors of a node");
    sp->succ = succ;
    sp->succ[sp->n_succ++] = to;
    p->nodes[to].n_preds++;
    return NULL;
}

#define OOM_IF_NULL(ptr, ...)                                                          \
    do {                                                                               \
        if (!(ptr)) {                                                                  \
            st = frt_status_oom(__VA_ARGS__);                                          \
            goto done;                                                                 \
        }                                                                              \
    } while (0)

frt_status *frt_plan_build(const frt_graph *g, const char *const *feed_names, int nfeeds,
                           const char *const *fetch_names, int nfetches,
                           const char *const *targets, int ntargets, bool optimize,
                           frt_plan **out) {
    *out = NULL;
    frt_status *st = NULL;
    frt_edge *feeds = frt_calloc((size_t)nfeeds + 1, sizeof *feeds);
    frt_edge *fetches = frt_calloc((size_t)nfetches + 1, sizeof *fetches);
    int *tgt = frt_calloc((size_t)ntargets + 1, sizeof *tgt);
    bool *keep = NULL;
    int *order = NULL, *plan_index = NULL, *used_outputs = NULL;
    frt_shape_map *sm = NULL;     /* static shapes and dtypes of this step */
    frt_plan *p = frt_calloc(1, sizeof *p);
    if (!feeds || !fetches || !tgt || !p) {
        frt_plan_free(p);
        p = NULL;
    }
    OOM_IF_NULL(p, "planning a run");
    p->g = g;

    if ((st = resolve_names(g, feed_names, nfeeds, "feeds", feeds))) goto done;
    for (int i = 0; i < nfeeds; i++)
        if (find_feed(feeds, i, feeds[i]) >= 0) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "tensor '%s' is fed more than once",
                                feed_names[i]);
            goto done;
        }
    if ((st = resolve_names(g, fetch_names, nfetches, "fetches", fetches))) goto done;
    if ((st = resolve_targets(g, targets, ntargets, tgt))) goto done;
    if (nfetches + ntargets == 0) {
        st = frt_status_new(FRT_INVALID_ARGUMENT, "nothing to run: no fetches and no targets");
        goto done;
    }
    if (optimize) {
        /* Constant folding and fusions for this step (as Grappler does per step): fed and
         * fetched tensors keep their names, so they are resolved again on the result, which
         * the plan owns. */
        frt_graph *opt = NULL;
        frt_optimize_options oo = {.null_if_unchanged = true}; /* then g itself runs */
        if ((st = frt_graph_optimize_opts(g, feeds, nfeeds, fetches, nfetches, tgt, ntargets,
                                          &oo, &opt)))
            goto done;
        if (opt) {
            p->owned_g = opt;
            p->g = g = opt;
            if ((st = resolve_names(g, feed_names, nfeeds, "feeds", feeds))) goto done;
            if ((st = resolve_names(g, fetch_names, nfetches, "fetches", fetches))) goto done;
            if ((st = resolve_targets(g, targets, ntargets, tgt))) goto done;
        }
    }
    keep = frt_calloc((size_t)g->n_nodes + 1, sizeof *keep);
    order = frt_calloc((size_t)g->n_nodes + 1, sizeof *order);
    plan_index = frt_calloc((size_t)g->n_nodes + 1, sizeof *plan_index);
    OOM_IF_NULL(keep && order && plan_index, "planning a run over %d nodes", g->n_nodes);
    if ((st = frt_graph_prune(g, feeds, nfeeds, fetches, nfetches, tgt, ntargets, keep))) goto done;
    if ((st = check_runnable(g, keep, feeds, nfeeds))) goto done;
    /* Static shapes: contradictions (e.g. a MatMul whose inner dims differ) are reported now,
     * naming the node, before any kernel runs; fed tensors' dtypes become known. */
    {
        frt_shape *fed_shapes = frt_calloc((size_t)nfeeds + 1, sizeof *fed_shapes);
        OOM_IF_NULL(fed_shapes, "planning a run");
        for (int i = 0; i < nfeeds; i++) fed_shapes[i] = frt_shape_unknown();
        st = frt_graph_infer_shapes(g, keep, feeds, fed_shapes, nfeeds, &sm);
        free(fed_shapes);
        if (st) goto done;
        p->feed_dtypes = frt_calloc((size_t)nfeeds + 1, sizeof *p->feed_dtypes);
        OOM_IF_NULL(p->feed_dtypes, "planning a run");
        for (int i = 0; i < nfeeds; i++) {
            /* the producer's declared output dtype, as TF checks a fed tensor against it */
            const frt_node *fn = &g->nodes[feeds[i].node];
            p->feed_dtypes[i] = frt_shape_map_dtype(sm, feeds[i]);
            if (p->feed_dtypes[i] == FRT_DTYPE_INVALID && strcmp(fn->op, "Placeholder") == 0)
                frt_status_free(frt_attr_get_type(&fn->attrs, "dtype", FRT_DTYPE_INVALID,
                                                  &p->feed_dtypes[i]));
        }
    }
    if ((st = frt_graph_topo_order(g, order))) goto done;

    /* plan nodes in topological order, output slots after the feed slots */
    p->n_feeds = nfeeds;
    p->feeds = feeds;
    feeds = NULL;
    p->feed_slots = frt_calloc((size_t)nfeeds + 1, sizeof *p->feed_slots);
    OOM_IF_NULL(p->feed_slots, "planning a run");
    int slots = 0;
    for (int i = 0; i < nfeeds; i++) p->feed_slots[i] = slots++;
    for (int k = 0; k < g->n_nodes; k++) plan_index[k] = -1;
    /* Ops without a definition (kernels registered for ops the registry does not know) get
     * as many outputs as their consumers and the fetches use (at least one). */
    used_outputs = frt_calloc((size_t)g->n_nodes + 1, sizeof *used_outputs);
    p->nodes = frt_calloc((size_t)g->n_nodes + 1, sizeof *p->nodes);
    OOM_IF_NULL(used_outputs && p->nodes, "planning a run over %d nodes", g->n_nodes);
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; keep[i] && j < g->nodes[i].n_data; j++) {
            frt_edge e = g->nodes[i].data[j];
            if (e.index + 1 > used_outputs[e.node]) used_outputs[e.node] = e.index + 1;
        }
    for (int i = 0; i < nfetches; i++)
        if (fetches[i].index + 1 > used_outputs[fetches[i].node])
            used_outputs[fetches[i].node] = fetches[i].index + 1;
    for (int k = 0; k < g->n_nodes; k++) {
        int i = order[k];
        if (!keep[i]) continue;
        const frt_node *n = &g->nodes[i];
        frt_plan_node *pn = &p->nodes[p->n_nodes];
        plan_index[i] = p->n_nodes++;
        pn->node = i;
        pn->def = frt_kernel_find(n->op, FRT_DEVICE_CPU, &n->attrs);
        pn->n_out = n->n_outputs >= 0 ? n->n_outputs : used_outputs[i] > 1 ? used_outputs[i] : 1;
        if (pn->n_out > FRT_GRAPH_MAX_OUTPUTS - slots) {
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "the nodes to run have more than %d outputs in all "
                                "(FRT_GRAPH_MAX_OUTPUTS; node '%s' (%s) adds %d)",
                                FRT_GRAPH_MAX_OUTPUTS, n->name, n->op, pn->n_out);
            goto done;
        }
        pn->out_base = slots;
        slots += pn->n_out;
    }
    p->n_slots = slots;
    p->slot_uses = frt_calloc((size_t)slots + 1, sizeof *p->slot_uses);
    OOM_IF_NULL(p->slot_uses, "planning a run");

    /* inputs, successors */
    for (int pi = 0; pi < p->n_nodes; pi++) {
        frt_plan_node *pn = &p->nodes[pi];
        const frt_node *n = &g->nodes[pn->node];
        pn->n_in = n->n_data;
        pn->in_slots = frt_calloc((size_t)n->n_data + 1, sizeof *pn->in_slots);
        pn->in_deref = frt_calloc((size_t)n->n_data + 1, sizeof *pn->in_deref);
        OOM_IF_NULL(pn->in_slots && pn->in_deref, "planning node '%s'", n->name);
        for (int j = 0; j < n->n_data; j++) {
            int f = find_feed(p->feeds, nfeeds, n->data[j]);
            int slot;
            if (f >= 0) {
                slot = p->feed_slots[f];
            } else {
                pn->in_deref[j] = output_is_ref(g, n->data[j]) && !input_is_ref(n, j);
                int src = plan_index[n->data[j].node];
                FRT_ASSERT(src >= 0 && "pruning kept a node whose producer it dropped");
                slot = p->nodes[src].out_base + n->data[j].index;
                if ((st = add_succ(p, src, pi))) goto done;
            }
            pn->in_slots[j] = slot;
            p->slot_uses[slot]++;
        }
        for (int j = 0; j < n->n_ctrl; j++) {
            int src = plan_index[n->ctrl[j]];
            FRT_ASSERT(src >= 0 && "pruning dropped a control predecessor");
            if ((st = add_succ(p, src, pi))) goto done;
        }
    }
    p->n_fetches = nfetches;
    p->fetch_slots = frt_calloc((size_t)nfetches + 1, sizeof *p->fetch_slots);
    p->fetch_deref = frt_calloc((size_t)nfetches + 1, sizeof *p->fetch_deref);
    OOM_IF_NULL(p->fetch_slots && p->fetch_deref, "planning a run");
    for (int i = 0; i < nfetches; i++) {
        int f = find_feed(p->feeds, nfeeds, fetches[i]);
        p->fetch_deref[i] = f < 0 && output_is_ref(g, fetches[i]);
        int slot = f >= 0 ? p->feed_slots[f]
                          : p->nodes[plan_index[fetches[i].node]].out_base + fetches[i].index;
        p->fetch_slots[i] = slot;
        p->slot_uses[slot]++;
    }
    p->roots = frt_calloc((size_t)p->n_nodes + 1, sizeof *p->roots);
    OOM_IF_NULL(p->roots, "planning a run");
    for (int pi = 0; pi < p->n_nodes; pi++)
        if (p->nodes[pi].n_preds == 0) p->roots[p->n_roots++] = pi;

    /* kernel instances: init once per plan, with constant inputs visible (unless fed) and
     * input dtypes from shape inference where known */
    for (int pi = 0; pi < p->n_nodes && !st; pi++) {
        frt_plan_node *pn = &p->nodes[pi];
        const frt_node *n = &g->nodes[pn->node];
        if (!pn->def->init) continue;
        const frt_tensor **consts = frt_calloc((size_t)n->n_data + 1, sizeof *consts);
        frt_dtype *types = frt_calloc((size_t)n->n_data + 1, sizeof *types);
        if (!consts || !types) {
            free(consts);
            free(types);
            st = frt_status_oom("initializing the kernel of node '%s'", n->name);
            break;
        }
        for (int j = 0; j < n->n_data; j++) {
            const frt_node *src = &g->nodes[n->data[j].node];
            int f = find_feed(p->feeds, nfeeds, n->data[j]);
            if (f < 0 && strcmp(src->op, "Const") == 0)
                consts[j] = frt_attr_get_tensor(&src->attrs, "value");
            types[j] = consts[j] ? consts[j]->dtype
                       : f >= 0  ? p->feed_dtypes[f]
                                 : frt_shape_map_dtype(sm, n->data[j]);
        }
        frt_kernel_init_ctx ic = {.node_name = n->name, .op = n->op, .attrs = &n->attrs,
                                  .n_inputs = n->n_data, .input_types = types,
                                  .const_inputs = consts, .n_outputs = pn->n_out};
        st = pn->def->init(&ic, &pn->state);
        if (st) st = frt_status_annotate(st, " [[node %s (%s) on CPU:0]]", n->name, n->op);
        free(consts);
        free(types);
    }

done:
    free(used_outputs);
    frt_shape_map_free(sm);
    free(feeds);
    free(fetches);
    free(tgt);
    free(keep);
    free(order);
    free(plan_index);
    if (st) {
        frt_plan_free(p);
        return st;
    }
    *out = p;
    return NULL;
}

/* ---- running -------------------------------------------------------------------------- */

typedef struct run_state {
    const frt_plan *p;
    const frt_exec_env *env;
    frt_tensor **values;
    atomic_int *remaining;        /* consumers of each slot yet to take it */
    atomic_int *pending;          /* predecessors of each plan node yet to finish */
    atomic_int outstanding;       /* plan nodes not finished */
    atomic_bool cancelled;
    bool done;                    /* all nodes finished; guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    frt_status *error;            /* first error; guarded by mu */
} run_state;

typedef struct node_task {
    run_state *rs;
    int pi;
} node_task;

static void record_error(run_state *rs, frt_status *st) {
    pthread_mutex_lock(&rs->mu);
    if (!rs->error) rs->error = st;
    else frt_status_free(st);
    atomic_store(&rs->cancelled, true);
    pthread_mutex_unlock(&rs->mu);
}

/* Takes input slot s for one consumer: a new reference, and when this was the last consumer
 * the slot's own reference is dropped, so the consumer may end up holding the only one. */
static frt_tensor *take_input(run_state *rs, int s) {
    frt_tensor *t = frt_tensor_ref(rs->values[s]);
    if (atomic_fetch_sub(&rs->remaining[s], 1) == 1) {
        frt_tensor_unref(rs->values[s]);
        rs->values[s] = NULL;
    }
    return t;
}

/* Replaces a variable handle (a ref edge) by the variable's current value. */
static frt_status *deref(frt_tensor **t) {
    frt_tensor *h = *t;
    if (h->dtype != FRT_DTYPE_RESOURCE || h->n != 1 || !frt_tensor_resources(h)[0])
        return NULL; /* already a value (e.g. a fed tensor) */
    frt_variable *v = (frt_variable *)frt_tensor_resources(h)[0];
    frt_tensor *val = NULL;
    frt_status *st = frt_variable_read(v, &val);
    frt_tensor_unref(h);
    *t = val;
    return st;
}

static void compute_node(run_state *rs, const frt_plan_node *pn) {
    const frt_plan *p = rs->p;
    const frt_node *n = &p->g->nodes[pn->node];
    frt_tensor *ins_small[8], *outs_small[8];
    frt_tensor **ins = pn->n_in <= 8 ? ins_small : frt_calloc((size_t)pn->n_in, sizeof *ins);
    frt_tensor **outs = pn->n_out <= 8 ? outs_small : frt_calloc((size_t)pn->n_out, sizeof *outs);
    if (!ins || !outs) { /* the run is cancelled; frt_plan_run releases every value */
        if (ins != ins_small) free(ins);
        if (outs != outs_small) free(outs);
        record_error(rs, frt_status_oom("starting node %s (%s)", n->name, n->op));
        return;
    }
    memset(outs, 0, (size_t)pn->n_out * sizeof *outs);
    frt_status *st = NULL;
    for (int j = 0; j < pn->n_in; j++) {
        if (!rs->values[pn->in_slots[j]] && !st)
            st = frt_status_new(FRT_INTERNAL, "input %d has no value", j);
        ins[j] = st ? NULL : take_input(rs, pn->in_slots[j]);
        if (!st && pn->in_deref[j]) st = deref(&ins[j]);
    }
    if (!st) {
        frt_kernel_ctx ctx = {.def = pn->def, .node_name = n->name, .attrs = &n->attrs,
                              .state = pn->state, .n_inputs = pn->n_in, .inputs = ins,
                              .n_outputs = pn->n_out, .outputs = outs,
                              .alloc = rs->env->alloc, .pool = rs->env->pool,
                              .intra_threads = rs->env->intra_threads,
                              .resources = rs->env->resources};
        st = pn->def->compute(&ctx);
    }
    for (int j = 0; j < pn->n_in; j++) frt_tensor_unref(ins[j]);
    for (int k = 0; !st && k < pn->n_out; k++)
        if (!outs[k] && p->slot_uses[pn->out_base + k] > 0)
            st = frt_status_new(FRT_INTERNAL, "kernel produced no output %d", k);
    if (st) {
        record_error(rs, frt_status_annotate(st, " [[node %s (%s) on CPU:0]]", n->name, n->op));
        for (int k = 0; k < pn->n_out; k++) frt_tensor_unref(outs[k]);
    } else {
        for (int k = 0; k < pn->n_out; k++) {
            int s = pn->out_base + k;
            if (p->slot_uses[s] > 0) rs->values[s] = outs[k];
            else frt_tensor_unref(outs[k]);
        }
    }
    if (ins != ins_small) free(ins);
    if (outs != outs_small) free(outs);
}

static void node_task_fn(void *arg);

static void run_node(run_state *rs, int pi) {
    const frt_plan *p = rs->p;
    while (pi >= 0) {
        const frt_plan_node *pn = &p->nodes[pi];
        if (!atomic_load(&rs->cancelled)) compute_node(rs, pn);
        int next = -1;
        for (int k = 0; k < pn->n_succ; k++) {
            int s = pn->succ[k];
            if (atomic_fetch_sub(&rs->pending[s], 1) != 1) continue;
            if (next < 0) {
                next = s;
                continue;
            }
            node_task *t = frt_malloc(sizeof *t);
            if (t) {
                t->rs = rs;
                t->pi = s;
                frt_threadpool_schedule(rs->env->pool, node_task_fn, t);
            } else {
                run_node(rs, s); /* no memory for a task: run it here */
            }
        }
        if (atomic_fetch_sub(&rs->outstanding, 1) == 1) {
            /* the waiter reads `done` under mu, so rs stays alive until we unlock */
            pthread_mutex_lock(&rs->mu);
            rs->done = true;
            pthread_cond_broadcast(&rs->cv);
            pthread_mutex_unlock(&rs->mu);
            return;
        }
        pi = next;
    }
}

static void node_task_fn(void *arg) {
    node_task *t = arg;
    run_state *rs = t->rs;
    int pi = t->pi;
    free(t);
    run_node(rs, pi);
}

static frt_status *check_feed(const frt_node *n, int index, const frt_tensor *t) {
    char what[300];
    snprintf(what, sizeof what, "%s:%d", n->name, index);
    if (strcmp(n->op, "Placeholder") != 0 && strcmp(n->op, "PlaceholderWithDefault") != 0)
        return NULL;
    frt_dtype dt = FRT_DTYPE_INVALID;
    frt_status_free(frt_attr_get_type(&n->attrs, "dtype", FRT_DTYPE_INVALID, &dt));
    if (dt != FRT_DTYPE_INVALID && frt_dtype_base(dt) != t->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "feed '%s': placeholder '%s' expects dtype %s, got %s", what,
                              n->name, frt_dtype_name(frt_dtype_base(dt)),
                              frt_dtype_name(t->dtype));
    frt_attr_shape sh;
    bool found;
    frt_status_free(frt_attr_get_shape(&n->attrs, "shape", &sh, &found));
    if (!found || sh.unknown_rank) return NULL;
    bool ok = sh.ndim == t->ndim;
    for (int i = 0; ok && i < sh.ndim; i++) ok = sh.dims[i] < 0 || sh.dims[i] == t->dims[i];
    if (!ok) {
        char want[128], got[96];
        frt_shape s = frt_shape_make(sh.dims, sh.ndim);
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "feed '%s': placeholder '%s' expects shape %s, got %s", what,
                              n->name, frt_shape_fmt(&s, want, sizeof want),
                              frt_shape_str(t->dims, t->ndim, got, sizeof got));
    }
    return NULL;
}

frt_status *frt_plan_run(const frt_plan *p, const frt_exec_env *env, frt_tensor *const *feeds,
                         frt_tensor **fetches) {
    for (int i = 0; i < p->n_fetches; i++) fetches[i] = NULL;
    run_state rs = {.p = p, .env = env};
    rs.values = frt_calloc((size_t)p->n_slots + 1, sizeof *rs.values);
    rs.remaining = frt_calloc((size_t)p->n_slots + 1, sizeof *rs.remaining);
    rs.pending = frt_calloc((size_t)p->n_nodes + 1, sizeof *rs.pending);
    if (!rs.values || !rs.remaining || !rs.pending) {
        free(rs.values);
        free(rs.remaining);
        free(rs.pending);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory starting a run");
    }
    pthread_mutex_init(&rs.mu, NULL);
    pthread_cond_init(&rs.cv, NULL);
    for (int s = 0; s < p->n_slots; s++) atomic_init(&rs.remaining[s], p->slot_uses[s]);
    for (int i = 0; i < p->n_nodes; i++) atomic_init(&rs.pending[i], p->nodes[i].n_preds);
    atomic_init(&rs.outstanding, p->n_nodes);
    atomic_init(&rs.cancelled, false);

    frt_status *st = NULL;
    for (int i = 0; i < p->n_feeds; i++) {
        if (!feeds[i]) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "feed %d is NULL", i);
            break;
        }
        if ((st = check_feed(&p->g->nodes[p->feeds[i].node], p->feeds[i].index, feeds[i])))
            break;
        frt_dtype want = p->feed_dtypes[i];
        if (want != FRT_DTYPE_INVALID && frt_dtype_base(want) != feeds[i]->dtype) {
            const frt_node *n = &p->g->nodes[p->feeds[i].node];
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "feed '%s:%d': node '%s' (%s) produces %s, got %s", n->name,
                                p->feeds[i].index, n->name, n->op,
                                frt_dtype_name(frt_dtype_base(want)),
                                frt_dtype_name(feeds[i]->dtype));
            break;
        }
        rs.values[p->feed_slots[i]] = frt_tensor_ref(feeds[i]);
    }
    if (!st && p->n_nodes > 0) {
        /* queue all roots but one, run that one on a pool thread too, then wait */
        for (int r = 0; r < p->n_roots; r++) {
            node_task *t = frt_malloc(sizeof *t);
            if (!t) {
                run_node(&rs, p->roots[r]);
                continue;
            }
            t->rs = &rs;
            t->pi = p->roots[r];
            frt_threadpool_schedule(env->pool, node_task_fn, t);
        }
        pthread_mutex_lock(&rs.mu);
        while (!rs.done) pthread_cond_wait(&rs.cv, &rs.mu);
        pthread_mutex_unlock(&rs.mu);
        st = rs.error;
    }
    for (int i = 0; !st && i < p->n_fetches; i++) {
        fetches[i] = frt_tensor_ref(rs.values[p->fetch_slots[i]]);
        if (p->fetch_deref[i]) st = deref(&fetches[i]);
    }
    if (st)
        for (int i = 0; i < p->n_fetches; i++) {
            frt_tensor_unref(fetches[i]);
            fetches[i] = NULL;
        }
    for (int s = 0; s < p->n_slots; s++) frt_tensor_unref(rs.values[s]);
    pthread_mutex_destroy(&rs.mu);
    pthread_cond_destroy(&rs.cv);
    free(rs.values);
    free(rs.remaining);
    free(rs.pending);
    return st;
}
