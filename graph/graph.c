/* graph/graph.c: graph IR storage — nodes, the name index, input-name parsing.
 * Owns: node memory and lookup. Does not own: validation (validate.c), op definitions
 * (op_registry.c). Thread-safety: see graph.h. */
#include "graph/graph.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

frt_graph *frt_graph_new(void) { return frt_calloc(1, sizeof(frt_graph)); }

void frt_graph_free(frt_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_nodes; i++) {
        frt_node *n = &g->nodes[i];
        free(n->name);
        free(n->op);
        free(n->device);
        for (int k = 0; k < n->n_inputs; k++) free(n->inputs[k]);
        free(n->inputs);
        frt_attrs_deinit(&n->attrs);
        free(n->data);
        free(n->ctrl);
    }
    free(g->nodes);
    free(g->hash);
    if (g->library && g->library_free) g->library_free(g->library);
    free(g);
}

static uint64_t hash_str(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static void hash_insert(frt_graph *g, int idx) {
    const char *name = g->nodes[idx].name;
    size_t len = strlen(name);
    size_t mask = (size_t)g->hash_cap - 1;
    for (size_t h = hash_str(name, len) & mask;; h = (h + 1) & mask) {
        if (g->hash[h] == 0) {
            g->hash[h] = idx + 1;
            return;
        }
        if (strcmp(g->nodes[g->hash[h] - 1].name, name) == 0) return; /* keep the first */
    }
}

static bool hash_grow(frt_graph *g) {
    int cap = g->hash_cap ? g->hash_cap * 2 : 64;
    int *hash = frt_calloc((size_t)cap, sizeof *hash);
    if (!hash) return false;
    free(g->hash);
    g->hash = hash;
    g->hash_cap = cap;
    for (int i = 0; i < g->n_nodes; i++) hash_insert(g, i);
    return true;
}

frt_status *frt_graph_try_add_node(frt_graph *g, const char *name, const char *op,
                                  const char *device, int *idx) {
    *idx = -1;
    name = name ? name : "";
    if (g->n_nodes == g->cap) {
        int cap = g->cap ? g->cap * 2 : 64;
        frt_node *nodes = frt_realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return frt_status_oom("adding node '%s' to a graph", name);
        g->nodes = nodes;
        g->cap = cap;
    }
    /* the hash table keeps at most half its slots full */
    if ((g->n_nodes + 1) * 2 > g->hash_cap && !hash_grow(g))
        return frt_status_oom("adding node '%s' to a graph", name);
    frt_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->name = frt_strdup(name);
    n->op = frt_strdup(op ? op : "");
    n->device = frt_strdup(device ? device : "");
    if (!n->name || !n->op || !n->device) {
        free(n->name);
        free(n->op);
        free(n->device);
        return frt_status_oom("adding node '%s' to a graph", name);
    }
    n->n_outputs = -1;
    frt_attrs_init(&n->attrs);
    *idx = g->n_nodes++;
    hash_insert(g, *idx);
    return NULL;
}

int frt_graph_add_node(frt_graph *g, const char *name, const char *op, const char *device) {
    int idx;
    frt_status *st = frt_graph_try_add_node(g, name, op, device, &idx);
    if (st) frt_assert_fail(__FILE__, __LINE__, frt_status_message(st));
    return idx;
}

/* The capacity after cap, doubling: one realloc per input made a node with 200 000 inputs (a
 * hostile or generated file) take 330 s under ASan. 0 when an int cannot count further. */
static int grown_capacity(int cap) {
    if (cap == INT_MAX) return 0;
    return cap < 4 ? 4 : cap > INT_MAX / 2 ? INT_MAX : 2 * cap;
}

frt_status *frt_node_try_add_input(frt_node *n, const char *input) {
    if (n->n_inputs == n->cap_inputs) {
        int cap = grown_capacity(n->cap_inputs);
        char **inputs = cap ? frt_realloc(n->inputs, (size_t)cap * sizeof *inputs) : NULL;
        if (!inputs) return frt_status_oom("adding input '%s' to node '%s'", input, n->name);
        n->inputs = inputs;
        n->cap_inputs = cap;
    }
    if (!(n->inputs[n->n_inputs] = frt_strdup(input)))
        return frt_status_oom("adding input '%s' to node '%s'", input, n->name);
    n->n_inputs++;
    return NULL;
}

void frt_node_add_input(frt_node *n, const char *input) {
    frt_status *st = frt_node_try_add_input(n, input);
    if (st) frt_assert_fail(__FILE__, __LINE__, frt_status_message(st));
}

int frt_graph_find_n(const frt_graph *g, const char *name, size_t len) {
    if (!g->hash_cap) return -1;
    size_t mask = (size_t)g->hash_cap - 1;
    for (size_t h = hash_str(name, len) & mask;; h = (h + 1) & mask) {
        int v = g->hash[h];
        if (v == 0) return -1;
        const char *nm = g->nodes[v - 1].name;
        if (strlen(nm) == len && memcmp(nm, name, len) == 0) return v - 1;
    }
}

int frt_graph_find(const frt_graph *g, const char *name) {
    return frt_graph_find_n(g, name, strlen(name));
}

bool frt_parse_input_name(const char *s, const char **name, size_t *name_len, int *index,
                          bool *ctrl) {
    *ctrl = s[0] == '^';
    if (*ctrl) s++;
    *name = s;
    *index = 0;
    const char *colon = strrchr(s, ':');
    if (!colon || *ctrl) {
        *name_len = strlen(s);
        return *name_len > 0;
    }
    *name_len = (size_t)(colon - s);
    const char *d = colon + 1;
    if (!*d) return false;
    long v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || v > 1000000) return false;
        v = v * 10 + (*d - '0');
    }
    *index = (int)v;
    return *name_len > 0;
}

frt_status *frt_graph_resolve_tensor(const frt_graph *g, const char *tensor, frt_edge *out) {
    const char *name;
    size_t len;
    int index;
    bool ctrl;
    if (!frt_parse_input_name(tensor, &name, &len, &index, &ctrl) || ctrl)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "'%s' is not a tensor name (expected 'node' or 'node:k')", tensor);
    int i = frt_graph_find_n(g, name, len);
    if (i < 0)
        return frt_status_new(FRT_NOT_FOUND, "tensor '%s': the graph has no node '%.*s'", tensor,
                              (int)len, name);
    const frt_node *n = &g->nodes[i];
    if (n->n_outputs >= 0 && index >= n->n_outputs)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "tensor '%s': node '%s' (%s) has %d output%s, index %d is out of "
                              "range",
                              tensor, n->name, n->op, n->n_outputs, n->n_outputs == 1 ? "" : "s",
                              index);
    out->node = i;
    out->index = index;
    return NULL;
}

static int max_nodes_for_testing; /* 0: FRT_GRAPH_MAX_NODES */

int frt_graph_max_nodes(void) {
    return max_nodes_for_testing > 0 ? max_nodes_for_testing : FRT_GRAPH_MAX_NODES;
}

void frt_graph_set_max_nodes_for_testing(int n) { max_nodes_for_testing = n > 0 ? n : 0; }
