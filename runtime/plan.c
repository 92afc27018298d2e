/* runtime/plan.c: builds execution plans (frt_plan_build), as a sequence of named passes over
 * one builder. In order:
 *
 *   resolve    feed, fetch and target names to edges and nodes of the graph
 *   optimize   constant folding for this step (graph/optimize.h; fusions come later)
 *   prune      the nodes the step needs (graph/prune.h); unfed placeholders, and ops no
 *              device has a kernel for, reported all at once
 *   place      a device per node (graph/place.h), asking the devices for kernels
 *   fuse       the optimizer's fusions, only where every node of a chain is on one device
 *              that has the fused kernel; a rewritten graph is resolved, pruned and placed
 *              again
 *   partition  the copies between memory spaces that the placement induces
 *   shapes     static shapes and dtypes (graph/shape_infer.h): contradictions now
 *   order      plan nodes: the kept nodes in topological order with their kernels, then one
 *              node per copy
 *   slots      one value slot per fed tensor and per output
 *   wire       inputs (through copies), successors, fetch slots, roots
 *   init       kernel instances: init once per plan, constant inputs visible, scratch asked
 *
 * Owns: the order of the passes and the plan they produce. Does not own: the graph passes
 * (graph/), the devices (core/device.h), running a plan (executor.c).
 * Thread-safety: a plan is immutable once built; building reads the graph only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strbuf.h"
#include "graph/op_registry.h"
#include "graph/optimize.h"
#include "graph/place.h"
#include "graph/prune.h"
#include "graph/shape_infer.h"
#include "runtime/executor.h"

typedef struct builder {
    const frt_plan_config *cfg;
    const char *const *feed_names, *const *fetch_names, *const *target_names;
    int nfeeds, nfetches, ntargets;
    const frt_graph *g;           /* the graph being planned: the caller's or p->owned_g */
    frt_edge *feeds, *fetches;    /* resolved against g */
    int *targets;
    bool *keep;                   /* per node of g: needed by the step */
    frt_place_device *pdevs;      /* the devices as graph/place.h sees them */
    frt_place_env penv;
    frt_placement place;
    frt_partition part;
    frt_shape_map *sm;
    int *plan_index;              /* per node of g: its plan node, or -1 */
    int *copy_plan;               /* per copy: its plan node */
    frt_plan *p;
} builder;

static frt_status *oom(const char *what) { return frt_status_oom("planning a run: %s", what); }

/* ---- small helpers ---------------------------------------------------------------------- */

static int find_feed(const frt_edge *feeds, int n, frt_edge e) {
    for (int i = 0; i < n; i++)
        if (feeds[i].node == e.node && feeds[i].index == e.index) return i;
    return -1;
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

static frt_device *device_of(const builder *b, int d) { return b->cfg->devices[d]; }

/* ---- the devices, as the graph passes see them ------------------------------------------ */

static bool has_kernel_cb(void *ctx, int d, const frt_node *n) {
    return frt_device_has_kernel(device_of(ctx, d), n->op, &n->attrs);
}

/* Host-memory arguments of n's kernel on device d: every one on a host device. */
static uint64_t host_args(const builder *b, int d, const frt_node *n, bool outputs) {
    const frt_device *dev = device_of(b, d);
    if (frt_device_is_host(dev)) return ~(uint64_t)0;
    const frt_kernel_def *k = frt_device_find_kernel(dev, n->op, &n->attrs);
    if (!k) return 0;
    uint64_t bits = 0;
    int count = outputs ? (n->n_outputs > 0 ? n->n_outputs : 1) : n->n_data;
    for (int j = 0; j < count && j < 64; j++) {
        bool host = outputs ? frt_kernel_output_on_host(k, j)
                            : frt_kernel_input_on_host(k, j, n->n_data);
        if (host) bits |= (uint64_t)1 << (j < 63 ? j : 63);
    }
    return bits;
}
static uint64_t host_inputs_cb(void *ctx, int d, const frt_node *n) {
    return host_args(ctx, d, n, false);
}
static uint64_t host_outputs_cb(void *ctx, int d, const frt_node *n) {
    return host_args(ctx, d, n, true);
}

/* The optimizer's question after placement: may `op` replace these nodes? Only when they
 * all run on one device that has op's kernel. */
static bool may_fuse_cb(void *ctx, const char *op, const frt_attrs *attrs, const int *nodes,
                        int n) {
    builder *b = ctx;
    int d = b->place.device[nodes[0]];
    for (int i = 1; i < n; i++)
        if (b->place.device[nodes[i]] != d) return false;
    return d >= 0 && frt_device_has_kernel(device_of(b, d), op, attrs);
}

static frt_status *describe_devices(builder *b) {
    int n = b->cfg->n_devices;
    b->pdevs = frt_calloc((size_t)n, sizeof *b->pdevs);
    if (!b->pdevs) return oom("listing devices");
    for (int d = 0; d < n; d++) {
        const frt_device *dev = device_of(b, d);
        b->pdevs[d] = (frt_place_device){.name = dev->name, .type = dev->type,
                                         .index = dev->index};
    }
    b->penv = (frt_place_env){.n_devices = n, .devices = b->pdevs,
                              .has_kernel = has_kernel_cb, .host_inputs = host_inputs_cb,
                              .host_outputs = host_outputs_cb, .ctx = b,
                              .no_soft_placement = b->cfg->no_soft_placement};
    return NULL;
}

/* ---- resolve ---------------------------------------------------------------------------- */

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

static frt_status *pass_resolve(builder *b) {
    FRT_TRY(resolve_names(b->g, b->feed_names, b->nfeeds, "feeds", b->feeds));
    FRT_TRY(resolve_names(b->g, b->fetch_names, b->nfetches, "fetches", b->fetches));
    return resolve_targets(b->g, b->target_names, b->ntargets, b->targets);
}

static frt_status *check_request(builder *b) {
    for (int i = 0; i < b->nfeeds; i++)
        if (find_feed(b->feeds, i, b->feeds[i]) >= 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "tensor '%s' is fed more than once",
                                  b->feed_names[i]);
    if (b->nfetches + b->ntargets == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "nothing to run: no fetches and no targets");
    return NULL;
}

/* Makes g (a rewrite the plan owns) the graph being planned, resolving the names again:
 * rewrites keep every fed and fetched tensor's name. */
static frt_status *adopt_graph(builder *b, frt_graph *g) {
    frt_graph_free(b->p->owned_g);
    b->p->owned_g = g;
    b->p->g = b->g = g;
    free(b->keep);
    b->keep = frt_calloc((size_t)g->n_nodes + 1, sizeof *b->keep);
    if (!b->keep) return oom("the nodes of the optimized graph");
    return pass_resolve(b);
}

/* ---- optimize, prune, place, fuse ------------------------------------------------------- */

static frt_status *run_optimizer(builder *b, const frt_optimize_options *o) {
    frt_graph *opt = NULL;
    FRT_TRY(frt_graph_optimize_opts(b->g, b->feeds, b->nfeeds, b->fetches, b->nfetches,
                                    b->targets, b->ntargets, o, &opt));
    return opt ? adopt_graph(b, opt) : NULL;
}

static frt_status *pass_optimize(builder *b) {
    if (!b->cfg->optimize) return NULL;
    /* Constant folding for this step, as Grappler does per step. */
    frt_optimize_options o = {.no_fuse = true, .null_if_unchanged = true};
    return run_optimizer(b, &o);
}

/* Collects every problem that would stop the run before any kernel runs: placeholders the
 * step needs that nobody feeds, and ops no device has a kernel for. */
static frt_status *check_runnable(const builder *b) {
    const frt_graph *g = b->g;
    frt_strbuf unsup = {0}, unfed = {0};
    int n_unsup = 0, n_unfed = 0;
    bool ok = true;
    for (int i = 0; i < g->n_nodes && ok; i++) {
        if (!b->keep[i]) continue;
        const frt_node *n = &g->nodes[i];
        if (!strcmp(n->op, "Placeholder") && find_feed(b->feeds, b->nfeeds, (frt_edge){i, 0}) < 0) {
            char d[128];
            ok = frt_strbuf_printf(&unfed, "%s'%s' (%s)", n_unfed ? ", " : "", n->name,
                                   placeholder_desc(n, d, sizeof d));
            n_unfed++;
            continue;
        }
        bool any = false, op_known = false;
        for (int d = 0; d < b->cfg->n_devices && !any; d++) {
            any = frt_device_has_kernel(device_of(b, d), n->op, &n->attrs);
            op_known = op_known || frt_kernel_exists(n->op, device_of(b, d)->kernels);
        }
        if (!any) {
            ok = frt_strbuf_printf(&unsup, "\n  node '%s' (%s)%s", n->name, n->op,
                                   op_known ? " for this dtype" : "");
            n_unsup++;
        }
    }
    frt_status *st = NULL;
    const char *where = b->cfg->n_devices == 1 ? "CPU kernel" : "kernel on any device";
    if (!ok) {
        st = frt_status_oom("listing the nodes that cannot run");
    } else if (n_unsup) {
        st = frt_status_new(FRT_UNIMPLEMENTED, "%d node%s needed by this run ha%s no %s:%s",
                            n_unsup, n_unsup == 1 ? "" : "s", n_unsup == 1 ? "s" : "ve", where,
                            unsup.s);
        if (n_unfed)
            st = frt_status_annotate(st, "\nalso missing feeds for placeholders: %s", unfed.s);
    } else if (n_unfed) {
        st = frt_status_new(FRT_INVALID_ARGUMENT, "you must feed a value for placeholder%s %s",
                            n_unfed == 1 ? "" : "s", unfed.s);
    }
    frt_strbuf_free(&unsup);
    frt_strbuf_free(&unfed);
    return st;
}

static frt_status *pass_prune(builder *b) {
    FRT_TRY(frt_graph_prune(b->g, b->feeds, b->nfeeds, b->fetches, b->nfetches, b->targets,
                            b->ntargets, b->keep));
    return check_runnable(b);
}

static frt_status *pass_place(builder *b) {
    frt_placement_free(&b->place);
    return frt_graph_place(b->g, b->keep, &b->penv, &b->place);
}

static frt_status *pass_fuse(builder *b) {
    if (!b->cfg->optimize) return NULL;
    frt_optimize_options o = {.no_fold = true, .null_if_unchanged = true,
                              .may_fuse = may_fuse_cb, .may_fuse_ctx = b};
    const frt_graph *before = b->g;
    FRT_TRY(run_optimizer(b, &o));
    if (b->g == before) return NULL;
    /* The fused graph: its nodes are needed and placed afresh (a fused node sits where its
     * chain did: every node of it was on one device that has the fused kernel). */
    FRT_TRY(pass_prune(b));
    return pass_place(b);
}

static frt_status *pass_partition(builder *b) {
    return frt_graph_partition(b->g, b->keep, &b->penv, &b->place, b->feeds, b->nfeeds,
                               b->fetches, b->nfetches, &b->part);
}

/* ---- shapes ----------------------------------------------------------------------------- */

static frt_status *pass_shapes(builder *b) {
    const frt_graph *g = b->g;
    frt_shape *fed = frt_calloc((size_t)b->nfeeds + 1, sizeof *fed);
    if (!fed) return oom("fed shapes");
    for (int i = 0; i < b->nfeeds; i++) fed[i] = frt_shape_unknown();
    frt_status *st = frt_graph_infer_shapes(g, b->keep, b->feeds, fed, b->nfeeds, &b->sm);
    free(fed);
    if (st) return st;
    frt_plan *p = b->p;
    p->feed_dtypes = frt_calloc((size_t)b->nfeeds + 1, sizeof *p->feed_dtypes);
    if (!p->feed_dtypes) return oom("feed dtypes");
    for (int i = 0; i < b->nfeeds; i++) {
        /* the producer's declared output dtype, as TF checks a fed tensor against it */
        const frt_node *fn = &g->nodes[b->feeds[i].node];
        p->feed_dtypes[i] = frt_shape_map_dtype(b->sm, b->feeds[i]);
        if (p->feed_dtypes[i] == FRT_DTYPE_INVALID && !strcmp(fn->op, "Placeholder"))
            frt_status_free(frt_attr_get_type(&fn->attrs, "dtype", FRT_DTYPE_INVALID,
                                              &p->feed_dtypes[i]));
    }
    return NULL;
}

/* ---- order ------------------------------------------------------------------------------ */

static frt_status *pass_order(builder *b) {
    const frt_graph *g = b->g;
    frt_plan *p = b->p;
    int *order = frt_calloc((size_t)g->n_nodes + 1, sizeof *order);
    b->plan_index = frt_calloc((size_t)g->n_nodes + 1, sizeof *b->plan_index);
    b->copy_plan = frt_calloc((size_t)b->part.n_copies + 1, sizeof *b->copy_plan);
    p->nodes = frt_calloc((size_t)g->n_nodes + (size_t)b->part.n_copies + 1, sizeof *p->nodes);
    frt_status *st = NULL;
    if (!order || !b->plan_index || !b->copy_plan || !p->nodes)
        st = oom("ordering the nodes");
    if (!st) st = frt_graph_topo_order(g, order);
    for (int k = 0; !st && k < g->n_nodes; k++) b->plan_index[k] = -1;
    for (int k = 0; !st && k < g->n_nodes; k++) {
        int i = order[k];
        if (!b->keep[i]) continue;
        const frt_node *n = &g->nodes[i];
        frt_plan_node *pn = &p->nodes[p->n_nodes];
        b->plan_index[i] = p->n_nodes++;
        pn->node = i;
        pn->device = b->place.device[i];
        pn->copy_to = -1;
        pn->def = frt_device_find_kernel(device_of(b, pn->device), n->op, &n->attrs);
        p->devices_used |= (uint64_t)1 << pn->device;
        FRT_ASSERT(pn->def && "placement chose a device without the node's kernel");
    }
    for (int c = 0; !st && c < b->part.n_copies; c++) {
        const frt_copy *cp = &b->part.copies[c];
        frt_plan_node *pn = &p->nodes[p->n_nodes];
        b->copy_plan[c] = p->n_nodes++;
        pn->node = cp->src.node;
        /* the device that carries the copy: the destination, or for a copy to the host the
         * source (a fed tensor is on the host already: then the CPU) */
        pn->device = cp->dst_space >= 0 ? cp->dst_space : cp->src_space >= 0 ? cp->src_space : 0;
        pn->copy_to = cp->dst_space;
        p->devices_used |= (uint64_t)1 << pn->device;
        p->n_copies++;
    }
    free(order);
    return st;
}

/* --log-device-placement: one line per node in TF1's format, then the copies. */
static void log_placement(const builder *b) {
    const frt_plan *p = b->p;
    for (int pi = 0; pi < p->n_nodes; pi++) {
        const frt_plan_node *pn = &p->nodes[pi];
        const frt_node *n = &b->g->nodes[pn->node];
        if (pn->def) {
            fprintf(stderr, "%s: (%s): %s\n", n->name, n->op, device_of(b, pn->device)->name);
            continue;
        }
        const frt_copy *cp = &b->part.copies[pi - (p->n_nodes - p->n_copies)];
        const char *kind = cp->dst_space < 0 ? "DeviceToHost"
                           : cp->src_space < 0 ? "HostToDevice" : "DeviceToDevice";
        fprintf(stderr, "%s:%d/_copy: (_%s): %s\n", n->name, cp->src.index, kind,
                device_of(b, pn->device)->name);
    }
}

/* ---- slots ------------------------------------------------------------------------------ */

static frt_status *pass_slots(builder *b) {
    const frt_graph *g = b->g;
    frt_plan *p = b->p;
    p->n_feeds = b->nfeeds;
    p->feed_slots = frt_calloc((size_t)b->nfeeds + 1, sizeof *p->feed_slots);
    /* Ops without a definition (kernels registered for ops the registry does not know) get
     * as many outputs as their consumers and the fetches use (at least one). */
    int *used = frt_calloc((size_t)g->n_nodes + 1, sizeof *used);
    if (!p->feed_slots || !used) {
        free(used);
        return oom("value slots");
    }
    int slots = 0;
    for (int i = 0; i < b->nfeeds; i++) p->feed_slots[i] = slots++;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; b->keep[i] && j < g->nodes[i].n_data; j++) {
            frt_edge e = g->nodes[i].data[j];
            if (e.index + 1 > used[e.node]) used[e.node] = e.index + 1;
        }
    for (int i = 0; i < b->nfetches; i++)
        if (b->fetches[i].index + 1 > used[b->fetches[i].node])
            used[b->fetches[i].node] = b->fetches[i].index + 1;
    frt_status *st = NULL;
    for (int pi = 0; pi < p->n_nodes && !st; pi++) {
        frt_plan_node *pn = &p->nodes[pi];
        const frt_node *n = &g->nodes[pn->node];
        if (pn->def)
            pn->n_out = n->n_outputs >= 0 ? n->n_outputs : used[pn->node] > 1 ? used[pn->node] : 1;
        else
            pn->n_out = 1; /* a copy */
        if (pn->n_out > FRT_GRAPH_MAX_OUTPUTS - slots) {
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "the nodes to run have more than %d outputs in all "
                                "(FRT_GRAPH_MAX_OUTPUTS; node '%s' (%s) adds %d)",
                                FRT_GRAPH_MAX_OUTPUTS, n->name, n->op, pn->n_out);
            break;
        }
        pn->out_base = slots;
        slots += pn->n_out;
    }
    free(used);
    if (st) return st;
    p->n_slots = slots;
    p->slot_uses = frt_calloc((size_t)slots + 1, sizeof *p->slot_uses);
    return p->slot_uses ? NULL : oom("value slots");
}

/* ---- wire ------------------------------------------------------------------------------- */

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

/* The slot holding tensor e where it was produced or fed; *producer its plan node or -1. */
static int source_slot(const builder *b, frt_edge e, int *producer) {
    int f = find_feed(b->p->feeds, b->nfeeds, e);
    if (f >= 0) {
        *producer = -1;
        return b->p->feed_slots[f];
    }
    *producer = b->plan_index[e.node];
    FRT_ASSERT(*producer >= 0 && "pruning kept a node whose producer it dropped");
    return b->p->nodes[*producer].out_base + e.index;
}

/* Wires plan node `to`'s input j to tensor e, through copy c (or directly when c < 0). */
static frt_status *wire_input(builder *b, int to, int j, frt_edge e, int c) {
    frt_plan *p = b->p;
    int producer;
    int slot = source_slot(b, e, &producer);
    if (c >= 0) {
        int cp = b->copy_plan[c];
        slot = p->nodes[cp].out_base;
        producer = cp;
    }
    p->nodes[to].in_slots[j] = slot;
    p->slot_uses[slot]++;
    return producer >= 0 ? add_succ(p, producer, to) : NULL;
}

static frt_status *alloc_inputs(frt_plan_node *pn, int n, const char *name) {
    pn->n_in = n;
    pn->in_slots = frt_calloc((size_t)n + 1, sizeof *pn->in_slots);
    pn->in_deref = frt_calloc((size_t)n + 1, sizeof *pn->in_deref);
    if (!pn->in_slots || !pn->in_deref)
        return frt_status_oom("planning the inputs of node '%s'", name);
    return NULL;
}

static frt_status *pass_wire(builder *b) {
    const frt_graph *g = b->g;
    frt_plan *p = b->p;
    int n_kernels = p->n_nodes - p->n_copies;
    for (int pi = 0; pi < n_kernels; pi++) {
        frt_plan_node *pn = &p->nodes[pi];
        const frt_node *n = &g->nodes[pn->node];
        FRT_TRY(alloc_inputs(pn, n->n_data, n->name));
        const int *copies = b->part.input_copy ? b->part.input_copy[pn->node] : NULL;
        for (int j = 0; j < n->n_data; j++) {
            frt_edge e = n->data[j];
            bool fed = find_feed(p->feeds, b->nfeeds, e) >= 0;
            pn->in_deref[j] = !fed && output_is_ref(g, e) && !input_is_ref(n, j);
            FRT_TRY(wire_input(b, pi, j, e, copies ? copies[j] : -1));
        }
        for (int j = 0; j < n->n_ctrl; j++) {
            int src = b->plan_index[n->ctrl[j]];
            FRT_ASSERT(src >= 0 && "pruning dropped a control predecessor");
            FRT_TRY(add_succ(p, src, pi));
        }
    }
    for (int c = 0; c < b->part.n_copies; c++) {
        int pi = b->copy_plan[c];
        FRT_TRY(alloc_inputs(&p->nodes[pi], 1, g->nodes[p->nodes[pi].node].name));
        frt_edge src = b->part.copies[c].src;
        /* a copy moves the value: a ref edge is read by value (TF1 ref semantics) */
        p->nodes[pi].in_deref[0] =
            find_feed(p->feeds, b->nfeeds, src) < 0 && output_is_ref(g, src);
        FRT_TRY(wire_input(b, pi, 0, src, -1));
    }
    p->n_fetches = b->nfetches;
    p->fetch_slots = frt_calloc((size_t)b->nfetches + 1, sizeof *p->fetch_slots);
    p->fetch_deref = frt_calloc((size_t)b->nfetches + 1, sizeof *p->fetch_deref);
    if (!p->fetch_slots || !p->fetch_deref) return oom("fetch slots");
    for (int i = 0; i < b->nfetches; i++) {
        int producer, slot = source_slot(b, b->fetches[i], &producer);
        int c = b->part.fetch_copy ? b->part.fetch_copy[i] : -1;
        p->fetch_deref[i] = producer >= 0 && c < 0 && output_is_ref(g, b->fetches[i]);
        if (c >= 0) slot = p->nodes[b->copy_plan[c]].out_base;
        p->fetch_slots[i] = slot;
        p->slot_uses[slot]++;
    }
    p->roots = frt_calloc((size_t)p->n_nodes + 1, sizeof *p->roots);
    if (!p->roots) return oom("roots");
    for (int pi = 0; pi < p->n_nodes; pi++)
        if (p->nodes[pi].n_preds == 0) p->roots[p->n_roots++] = pi;
    return NULL;
}

/* ---- init ------------------------------------------------------------------------------- */

static frt_status *init_kernel(builder *b, frt_plan_node *pn) {
    const frt_graph *g = b->g;
    const frt_node *n = &g->nodes[pn->node];
    const frt_tensor **consts = frt_calloc((size_t)n->n_data + 1, sizeof *consts);
    frt_dtype *types = frt_calloc((size_t)n->n_data + 1, sizeof *types);
    frt_status *st = NULL;
    if (!consts || !types) st = frt_status_oom("initializing the kernel of node '%s'", n->name);
    for (int j = 0; !st && j < n->n_data; j++) {
        const frt_node *src = &g->nodes[n->data[j].node];
        int f = find_feed(b->p->feeds, b->nfeeds, n->data[j]);
        if (f < 0 && !strcmp(src->op, "Const"))
            consts[j] = frt_attr_get_tensor(&src->attrs, "value");
        types[j] = consts[j] ? consts[j]->dtype
                   : f >= 0  ? b->p->feed_dtypes[f]
                             : frt_shape_map_dtype(b->sm, n->data[j]);
    }
    if (!st) {
        frt_device *dev = device_of(b, pn->device);
        frt_kernel_init_ctx ic = {.node_name = n->name, .op = n->op, .attrs = &n->attrs,
                                  .n_inputs = n->n_data, .input_types = types,
                                  .const_inputs = consts, .n_outputs = pn->n_out,
                                  .device = dev};
        st = pn->def->init ? pn->def->init(&ic, &pn->state) : NULL;
        pn->n_scratch = ic.n_scratch;
        memcpy(pn->scratch_bytes, ic.scratch_bytes, sizeof pn->scratch_bytes);
        if (st)
            st = frt_status_annotate(st, " [[node %s (%s) on %s:%d]]", n->name, n->op,
                                     dev->type, dev->index);
    }
    free(consts);
    free(types);
    return st;
}

static frt_status *pass_init(builder *b) {
    for (int pi = 0; pi < b->p->n_nodes; pi++)
        if (b->p->nodes[pi].def) FRT_TRY(init_kernel(b, &b->p->nodes[pi]));
    return NULL;
}

/* ---- the plan --------------------------------------------------------------------------- */

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

static void builder_free(builder *b) {
    free(b->feeds);
    free(b->fetches);
    free(b->targets);
    free(b->keep);
    free(b->pdevs);
    frt_placement_free(&b->place);
    frt_partition_free(&b->part);
    frt_shape_map_free(b->sm);
    free(b->plan_index);
    free(b->copy_plan);
}

frt_status *frt_plan_build_config(const frt_graph *g, const char *const *feed_names,
                                  int nfeeds, const char *const *fetch_names, int nfetches,
                                  const char *const *targets, int ntargets,
                                  const frt_plan_config *cfg, frt_plan **out) {
    *out = NULL;
    frt_device *cpu_only[1] = {frt_device_cpu()};
    frt_plan_config one = {.optimize = cfg->optimize, .n_devices = 1, .devices = cpu_only,
                           .no_soft_placement = cfg->no_soft_placement};
    if (cfg->n_devices <= 0) cfg = &one;
    FRT_ASSERT(frt_device_is_host(cfg->devices[0]) && "devices[0] must be the CPU");
    builder b = {.cfg = cfg, .feed_names = feed_names, .fetch_names = fetch_names,
                 .target_names = targets, .nfeeds = nfeeds, .nfetches = nfetches,
                 .ntargets = ntargets, .g = g};
    b.feeds = frt_calloc((size_t)nfeeds + 1, sizeof *b.feeds);
    b.fetches = frt_calloc((size_t)nfetches + 1, sizeof *b.fetches);
    b.targets = frt_calloc((size_t)ntargets + 1, sizeof *b.targets);
    b.keep = frt_calloc((size_t)g->n_nodes + 1, sizeof *b.keep);
    b.p = frt_calloc(1, sizeof *b.p);
    frt_status *st = NULL;
    if (!b.feeds || !b.fetches || !b.targets || !b.keep || !b.p) st = oom("its bookkeeping");
    if (!st) {
        b.p->g = g;
        b.p->n_devices = cfg == &one ? 0 : cfg->n_devices;
        b.p->devices = cfg == &one ? NULL : cfg->devices;
        st = describe_devices(&b);
    }
    if (!st) st = pass_resolve(&b);
    if (!st) st = check_request(&b);
    if (!st) st = pass_optimize(&b);
    if (!st) st = pass_prune(&b);
    if (!st) st = pass_place(&b);
    if (!st) st = pass_fuse(&b);
    if (!st) st = pass_partition(&b);
    if (!st) st = pass_shapes(&b);
    if (!st) {
        b.p->feeds = b.feeds; /* the plan keeps the resolved feeds */
        b.feeds = NULL;
        st = pass_order(&b);
    }
    if (!st) st = pass_slots(&b);
    if (!st) st = pass_wire(&b);
    if (!st) st = pass_init(&b);
    if (!st && cfg->log_placement) log_placement(&b);
    builder_free(&b);
    if (st) {
        frt_plan_free(b.p);
        return st;
    }
    *out = b.p;
    return NULL;
}

frt_status *frt_plan_build(const frt_graph *g, const char *const *feed_names, int nfeeds,
                           const char *const *fetch_names, int nfetches,
                           const char *const *targets, int ntargets, bool optimize,
                           frt_plan **out) {
    frt_plan_config cfg = {.optimize = optimize};
    return frt_plan_build_config(g, feed_names, nfeeds, fetch_names, nfetches, targets,
                                 ntargets, &cfg, out);
}

/* ---- explaining placement (flowrt inspect --placement) ---------------------------------- */

static const char *short_name(const frt_device *d, char *buf, size_t n) {
    snprintf(buf, n, "%s:%d", d->type, d->index);
    return buf;
}

static bool explain_node(const builder *b, int i, frt_strbuf *out) {
    const frt_graph *g = b->g;
    const frt_node *n = &g->nodes[i];
    int d = b->place.device[i], rel = b->place.related[i];
    const char *relname = rel >= 0 ? g->nodes[rel].name : "?";
    char dev[32], dt[64] = "";
    frt_dtype t;
    if (!frt_attr_get_type(&n->attrs, "T", FRT_DTYPE_INVALID, &t) && t != FRT_DTYPE_INVALID)
        snprintf(dt, sizeof dt, "/%s", frt_dtype_name(t));
    const char *pin = n->device && n->device[0] ? n->device : "";
    char why[512];
    switch (b->place.why[i]) {
    case FRT_PLACE_PINNED: snprintf(why, sizeof why, "pinned ('%s')", pin); break;
    case FRT_PLACE_COLOCATED: snprintf(why, sizeof why, "colocated with '%s'", relname); break;
    case FRT_PLACE_SOFT_NO_DEVICE:
        snprintf(why, sizeof why, "pinned to '%s', which does not exist: soft placement", pin);
        break;
    case FRT_PLACE_SOFT_NO_KERNEL:
        snprintf(why, sizeof why, "pinned to '%s', which has no kernel for %s%s: soft placement",
                 pin, n->op, dt);
        break;
    case FRT_PLACE_NO_KERNEL: snprintf(why, sizeof why, "no GPU kernel for %s%s", n->op, dt); break;
    case FRT_PLACE_HOST_MEMORY:
        snprintf(why, sizeof why, "host-memory input of '%s'", relname);
        break;
    case FRT_PLACE_METADATA: snprintf(why, sizeof why, "describes '%s'", relname); break;
    case FRT_PLACE_GENERATOR:
        snprintf(why, sizeof why, "generator, with its consumer '%s'", relname);
        break;
    default: snprintf(why, sizeof why, "default"); break;
    }
    return frt_strbuf_printf(out, "  %s (%s): %s  %s\n", n->name, n->op,
                             short_name(device_of(b, d), dev, sizeof dev), why);
}

frt_status *frt_plan_explain_placement(const frt_graph *g, const frt_plan_config *cfg,
                                       char **out) {
    *out = NULL;
    builder b = {.cfg = cfg, .g = g};
    frt_status *st = describe_devices(&b);
    if (!st) st = frt_graph_place(g, NULL, &b.penv, &b.place);
    if (!st) st = frt_graph_partition(g, NULL, &b.penv, &b.place, NULL, 0, NULL, 0, &b.part);
    frt_strbuf text = {0};
    bool ok = !st;
    int per_dev[FRT_PLACE_MAX_DEVICES] = {0};
    if (ok) ok = frt_strbuf_printf(&text, "placement of %d nodes:\n", g->n_nodes);
    for (int i = 0; ok && i < g->n_nodes; i++) {
        per_dev[b.place.device[i]]++;
        ok = explain_node(&b, i, &text);
    }
    for (int d = 0; ok && d < cfg->n_devices; d++) {
        char dev[32];
        ok = frt_strbuf_printf(&text, "%s%s %d", d ? ", " : "nodes per device: ",
                               short_name(device_of(&b, d), dev, sizeof dev), per_dev[d]);
    }
    int to_dev = 0, to_host = 0;
    for (int c = 0; ok && c < b.part.n_copies; c++)
        b.part.copies[c].dst_space < 0 ? to_host++ : to_dev++;
    if (ok)
        ok = frt_strbuf_printf(&text, "\ncopies: %d (%d into a device's memory, %d to the "
                               "host)\n", b.part.n_copies, to_dev, to_host);
    if (!st && !ok) st = frt_status_oom("explaining the placement of %d nodes", g->n_nodes);
    builder_free(&b);
    if (st) {
        frt_strbuf_free(&text);
        return st;
    }
    *out = text.s;
    return NULL;
}
