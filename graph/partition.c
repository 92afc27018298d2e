/* graph/partition.c: frt_graph_partition: the copies a placement needs between memory
 * spaces (the host's, each device's), one per (tensor, destination space).
 * Owns: where each output lives and where each input is read from (graph/place.h's rules),
 * copy deduplication and order, fetch and feed copies.
 * Does not own: placement (graph/place.c), running copies or naming streams (the runtime).
 * Thread-safety: reads the finalized graph and the placement; all state is per call. */
#include <stdlib.h>
#include <string.h>

#include "graph/place.h"
#include "graph/place_impl.h"

enum { HOST = -1 };

typedef struct parter {
    const frt_graph *g;
    const bool *keep;
    const frt_place_env *env;
    const int *dev;            /* the placement's devices */
    const frt_edge *feeds;
    int n_feeds;
    bool *has_fed;             /* per node: one of its outputs is fed */
    uint64_t *host_out;        /* per kept node off the CPU: its host_outputs mask */
    int *table;                /* open addressing over copies: index + 1, 0 = empty */
    size_t table_mask;
    int cap_copies;
    frt_partition *out;
} parter;

static bool kept(const parter *P, int i) { return frt_place_kept(P->keep, i); }

static frt_status *check_edge(const frt_graph *g, frt_edge e, const char *what, int i) {
    if (e.node < 0 || e.node >= g->n_nodes)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s %d: node index %d is outside the graph "
                              "(%d nodes)", what, i, e.node, g->n_nodes);
    const frt_node *n = &g->nodes[e.node];
    if (e.index < 0 || (n->n_outputs >= 0 && e.index >= n->n_outputs))
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s %d: '%s:%d' is out of range: node '%s' "
                              "(%s) has %d outputs", what, i, n->name, e.index, n->name, n->op,
                              n->n_outputs);
    return NULL;
}

static frt_status *check_args(const parter *P, const frt_placement *p, const frt_edge *fetches,
                              int n_fetches) {
    const frt_graph *g = P->g;
    if (p->n_nodes != g->n_nodes || (g->n_nodes && !p->device))
        return frt_status_new(FRT_INVALID_ARGUMENT, "partitioning: the placement covers %d "
                              "nodes, the graph has %d", p->n_nodes, g->n_nodes);
    for (int i = 0; i < P->n_feeds; i++) FRT_TRY(check_edge(g, P->feeds[i], "feed", i));
    for (int i = 0; i < n_fetches; i++) FRT_TRY(check_edge(g, fetches[i], "fetch", i));
    for (int i = 0; i < g->n_nodes; i++) {
        if (!kept(P, i)) continue;
        if (p->device[i] < 0 || p->device[i] >= P->env->n_devices)
            return frt_status_new(FRT_INVALID_ARGUMENT, "partitioning: node '%s' (%s) is kept "
                                  "but placed on device %d (of %d)", g->nodes[i].name,
                                  g->nodes[i].op, p->device[i], P->env->n_devices);
    }
    return NULL;
}

static bool is_fed(const parter *P, frt_edge e) {
    if (!P->has_fed[e.node]) return false;
    for (int i = 0; i < P->n_feeds; i++)
        if (P->feeds[i].node == e.node && P->feeds[i].index == e.index) return true;
    return false;
}

/* The memory space tensor e lives in: the host for a feed, an output of a CPU node or a
 * HostMemory output, else its producer's device. -2 when its producer is not kept. */
static int src_space(const parter *P, frt_edge e) {
    if (is_fed(P, e)) return HOST;
    if (!kept(P, e.node)) return -2;
    int d = P->dev[e.node];
    return d == 0 || frt_place_mask_bit(P->host_out[e.node], e.index) ? HOST : d;
}

static size_t slot_of(const parter *P, frt_edge e, int dst) {
    uint64_t h = (uint64_t)(unsigned)e.node * 0x9E3779B97F4A7C15u;
    h ^= (uint64_t)(unsigned)e.index * 0xC2B2AE3D27D4EB4Fu + (uint64_t)(unsigned)(dst + 2);
    h ^= h >> 29;
    return (size_t)h & P->table_mask;
}

/* The copy of e into space dst, made on first need; -1 when out of memory. */
static int get_copy(parter *P, frt_edge e, int src, int dst, int dst_device) {
    frt_partition *out = P->out;
    size_t s = slot_of(P, e, dst);
    for (;; s = (s + 1) & P->table_mask) {
        int c = P->table[s] - 1;
        if (c < 0) break;
        const frt_copy *cp = &out->copies[c];
        if (cp->src.node == e.node && cp->src.index == e.index && cp->dst_space == dst) return c;
    }
    if (out->n_copies == P->cap_copies) {
        int cap = P->cap_copies ? 2 * P->cap_copies : 16;
        frt_copy *grown = frt_realloc(out->copies, (size_t)cap * sizeof *grown);
        if (!grown) return -1;
        out->copies = grown;
        P->cap_copies = cap;
    }
    out->copies[out->n_copies] =
        (frt_copy){.src = e, .src_space = src, .dst_space = dst, .dst_device = dst_device};
    P->table[s] = ++out->n_copies;
    return out->n_copies - 1;
}

static frt_status *node_inputs(parter *P, int c, int *row) {
    const frt_node *nd = &P->g->nodes[c];
    int d = P->dev[c];
    uint64_t host_in = d != 0 && P->env->host_inputs
                           ? P->env->host_inputs(P->env->ctx, d, nd) : 0;
    for (int j = 0; j < nd->n_data; j++) {
        frt_edge e = nd->data[j];
        int src = src_space(P, e);
        if (src == -2) {
            const frt_node *pn = &P->g->nodes[e.node];
            return frt_status_new(FRT_INVALID_ARGUMENT, "partitioning: node '%s' (%s) input %d "
                                  "reads '%s:%d', which is not fed and whose node is not kept",
                                  nd->name, nd->op, j, pn->name, e.index);
        }
        int dst = d == 0 || frt_place_mask_bit(host_in, j) ? HOST : d;
        row[j] = src == dst ? -1 : get_copy(P, e, src, dst, d);
        if (src != dst && row[j] < 0)
            return frt_status_oom("recording copies for node '%s' (%s)", nd->name, nd->op);
    }
    return NULL;
}

static frt_status *fetch_copies(parter *P, const frt_edge *fetches, int n_fetches) {
    frt_partition *out = P->out;
    for (int i = 0; i < n_fetches; i++) {
        frt_edge f = fetches[i];
        int src = src_space(P, f);
        if (src == -2) {
            const frt_node *nd = &P->g->nodes[f.node];
            return frt_status_new(FRT_INVALID_ARGUMENT, "partitioning: fetch %d '%s:%d' is "
                                  "not fed and node '%s' (%s) is not kept", i, nd->name,
                                  f.index, nd->name, nd->op);
        }
        out->fetch_copy[i] = src == HOST ? -1 : get_copy(P, f, src, HOST, 0);
        if (src != HOST && out->fetch_copy[i] < 0)
            return frt_status_oom("recording the copy of fetch %d", i);
    }
    return NULL;
}

/* Scratch and result arrays: input_copy is one block, the row pointers first. */
static frt_status *alloc_all(parter *P, int n_fetches) {
    const frt_graph *g = P->g;
    int n = g->n_nodes;
    size_t inputs = 0;
    for (int i = 0; i < n; i++)
        if (kept(P, i)) inputs += (size_t)g->nodes[i].n_data;
    size_t table = 16;
    while (table < 2 * (inputs + (size_t)n_fetches) + 1) table *= 2;
    frt_partition *out = P->out;
    out->input_copy = frt_malloc((size_t)n * sizeof(int *) + inputs * sizeof(int) + 1);
    out->fetch_copy = frt_malloc((size_t)n_fetches * sizeof(int) + 1);
    P->has_fed = frt_calloc((size_t)n + 1, sizeof *P->has_fed);
    P->host_out = frt_calloc((size_t)n + 1, sizeof *P->host_out);
    P->table = frt_calloc(table, sizeof *P->table);
    P->table_mask = table - 1;
    if (!out->input_copy || !out->fetch_copy || !P->has_fed || !P->host_out || !P->table)
        return frt_status_oom("partitioning a graph of %d nodes", n);
    int *cell = (int *)(out->input_copy + n);
    for (int i = 0; i < n; i++) {
        out->input_copy[i] = kept(P, i) ? cell : NULL;
        if (kept(P, i)) cell += g->nodes[i].n_data;
    }
    return NULL;
}

static frt_status *partition(parter *P, const frt_edge *fetches, int n_fetches) {
    const frt_graph *g = P->g;
    FRT_TRY(alloc_all(P, n_fetches));
    for (int i = 0; i < P->n_feeds; i++) P->has_fed[P->feeds[i].node] = true;
    for (int i = 0; i < g->n_nodes; i++)
        if (kept(P, i) && P->dev[i] != 0 && P->env->host_outputs)
            P->host_out[i] = P->env->host_outputs(P->env->ctx, P->dev[i], &g->nodes[i]);
    for (int i = 0; i < g->n_nodes; i++)
        if (kept(P, i)) FRT_TRY(node_inputs(P, i, P->out->input_copy[i]));
    return fetch_copies(P, fetches, n_fetches);
}

frt_status *frt_graph_partition(const frt_graph *g, const bool *keep, const frt_place_env *env,
                                const frt_placement *p, const frt_edge *feeds, int n_feeds,
                                const frt_edge *fetches, int n_fetches, frt_partition *out) {
    memset(out, 0, sizeof *out);
    FRT_TRY(frt_place_check_env(g, env, "partitioning"));
    if (n_feeds < 0 || n_fetches < 0 || (n_feeds && !feeds) || (n_fetches && !fetches))
        return frt_status_new(FRT_INVALID_ARGUMENT, "partitioning: %d feeds and %d fetches "
                              "given", n_feeds, n_fetches);
    parter P = {.g = g, .keep = keep, .env = env, .dev = p->device, .feeds = feeds,
                .n_feeds = n_feeds, .out = out};
    FRT_TRY(check_args(&P, p, fetches, n_fetches));
    out->n_nodes = g->n_nodes;
    out->n_fetches = n_fetches;
    frt_status *st = partition(&P, fetches, n_fetches);
    free(P.has_fed);
    free(P.host_out);
    free(P.table);
    if (st) frt_partition_free(out);
    return st;
}

void frt_partition_free(frt_partition *p) {
    if (!p) return;
    free(p->copies);
    free(p->input_copy);
    free(p->fetch_copy);
    memset(p, 0, sizeof *p);
}
