/* graph/validate.c: frt_graph_finalize (resolve input strings to edges, fill attr defaults,
 * set output counts, check the graph) and the topological order.
 * Owns: problem reporting (every problem at once, one line each), cycle detection.
 * Does not own: op definitions (op_registry.c), IR storage (graph.c), shapes (shape_infer.c).
 * Thread-safety: finalize needs the graph exclusively; topo_order only reads it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/op_registry.h"
#include "graph/problems.h"

/* Problems are collected into one growing message; past MAX_LINES only a count is kept. */
enum { MAX_LINES = 200 };

/* Edges from a NextIteration node are the back edges of TF1 while loops. */
static bool is_back_edge_source(const frt_graph *g, int node) {
    return strcmp(g->nodes[node].op, "NextIteration") == 0;
}

/* Kahn's algorithm over data and control edges (back edges skipped), in FIFO order seeded
 * by node index so the order is stable. Returns how many nodes were ordered; the others
 * are on a cycle or downstream of one (indeg > 0). -1 when out of memory. */
static int kahn(const frt_graph *g, int *order, int *indeg) {
    int n = g->n_nodes;
    int *off = frt_calloc((size_t)n + 1, sizeof *off);
    if (!off) return -1;
    for (int i = 0; i < n; i++) indeg[i] = 0;
    /* Count consumer edges per producer (CSR adjacency). */
    for (int i = 0; i < n; i++) {
        const frt_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_data; k++) {
            int p = nd->data[k].node;
            if (p < 0 || is_back_edge_source(g, p)) continue;
            off[p + 1]++;
            indeg[i]++;
        }
        for (int k = 0; k < nd->n_ctrl; k++) {
            int p = nd->ctrl[k];
            if (p < 0 || is_back_edge_source(g, p)) continue;
            off[p + 1]++;
            indeg[i]++;
        }
    }
    for (int i = 0; i < n; i++) off[i + 1] += off[i];
    int *adj = frt_malloc((size_t)off[n] * sizeof *adj + 1);
    int *fill = frt_calloc((size_t)n + 1, sizeof *fill);
    if (!adj || !fill) {
        free(off);
        free(adj);
        free(fill);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const frt_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_data + nd->n_ctrl; k++) {
            int p = k < nd->n_data ? nd->data[k].node : nd->ctrl[k - nd->n_data];
            if (p < 0 || is_back_edge_source(g, p)) continue;
            adj[off[p] + fill[p]++] = i;
        }
    }
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++)
        if (indeg[i] == 0) order[tail++] = i;
    while (head < tail) {
        int u = order[head++];
        for (int e = off[u]; e < off[u + 1]; e++)
            if (--indeg[adj[e]] == 0) order[tail++] = adj[e];
    }
    free(off);
    free(adj);
    free(fill);
    return tail;
}

/* Reports each cycle once as "a -> b -> a". Nodes left by Kahn all have an unordered
 * predecessor, so walking predecessors from any of them must close a cycle. */
static void report_cycles(const frt_graph *g, const int *indeg, frt_problems *p) {
    int n = g->n_nodes;
    int *state = frt_calloc((size_t)n, sizeof *state); /* 0 new, 1 on path, 2 done */
    int *path = frt_malloc((size_t)n * sizeof *path);
    int *pos = frt_malloc((size_t)n * sizeof *pos);
    if (!state || !path || !pos) p->text.oom = true;
    for (int s = 0; s < n && !p->text.oom; s++) {
        if (indeg[s] == 0 || state[s]) continue;
        int len = 0, u = s;
        while (state[u] == 0) {
            state[u] = 1;
            pos[u] = len;
            path[len++] = u;
            const frt_node *nd = &g->nodes[u];
            int next = -1;
            for (int k = 0; k < nd->n_data + nd->n_ctrl && next < 0; k++) {
                int q = k < nd->n_data ? nd->data[k].node : nd->ctrl[k - nd->n_data];
                if (q >= 0 && indeg[q] > 0 && !is_back_edge_source(g, q)) next = q;
            }
            FRT_ASSERT(next >= 0);
            u = next;
        }
        if (state[u] == 1) {
            /* path[pos[u]..len) is a cycle walked consumer -> producer; print it forwards. */
            char text[1024];
            size_t t = 0;
            text[0] = 0;
            for (int k = len - 1; k >= pos[u] && t < sizeof text - 64; k--)
                t += (size_t)snprintf(text + t, sizeof text - t, "'%s' -> ",
                                      g->nodes[path[k]].name);
            snprintf(text + t, sizeof text - t, "'%s'", g->nodes[path[len - 1]].name);
            frt_problems_add(p, &g->nodes[path[len - 1]], "is on a cycle: %s", text);
        }
        for (int k = 0; k < len; k++) state[path[k]] = 2;
    }
    free(state);
    free(path);
    free(pos);
}

/* The flat input dtypes of a node from its op definition and attrs, as a new array of *n
 * entries (FRT_DTYPE_INVALID where unknown); NULL when they cannot be told (unknown op,
 * unresolved attrs: reported elsewhere or left to the kernel) or when out of memory (then
 * *oom is set). */
static frt_dtype *input_types(const frt_node *nd, int *n, bool *oom) {
    const frt_op_def *d = frt_op_find(nd->op);
    int max = nd->n_data;
    if (!d || max < 0) return NULL;
    frt_dtype *t = frt_malloc((size_t)max * sizeof *t + 1);
    if (!t) {
        *oom = true;
        return NULL;
    }
    frt_status *st = frt_op_input_types(d, &nd->attrs, t, max, n);
    if (st || *n != max) {
        if (frt_status_code(st) == FRT_RESOURCE_EXHAUSTED) *oom = true;
        frt_status_free(st);
        free(t);
        return NULL;
    }
    return t;
}

/* Pass 2b: every data edge carries the dtype its consumer's op definition expects (TF's
 * graph import checks the same), so no kernel ever reads a tensor of another dtype than
 * its type attrs say. Edges with an unknown type on either side are left alone. */
static void check_edge_types(const frt_graph *g, frt_problems *p) {
    for (int i = 0; i < g->n_nodes && !p->text.oom; i++) {
        const frt_node *nd = &g->nodes[i];
        int nt = 0;
        frt_dtype *want = input_types(nd, &nt, &p->text.oom);
        for (int k = 0; want && k < nd->n_data; k++) {
            int src = nd->data[k].node, idx = nd->data[k].index;
            if (src < 0 || want[k] == FRT_DTYPE_INVALID) continue;
            /* The producer's one output, not an array of all of them: a Split has up to 10^6
             * outputs, and holding every consumed producer's array made a 72 KB file of 300
             * Splits take 1.2 GB to validate. */
            const frt_node *sn = &g->nodes[src];
            const frt_op_def *sd = frt_op_find(sn->op);
            if (!sd || idx < 0 || idx >= sn->n_outputs) continue;
            frt_dtype have = frt_op_output_type_at(sd, &sn->attrs, idx);
            if (have == FRT_DTYPE_INVALID || have == want[k]) continue;
            frt_problems_add(p, nd, "input %d '%s' is %s (output %d of '%s' (%s)), but the op "
                        "expects %s here",
                        k, nd->inputs[k], frt_dtype_name(have), idx, sn->name, sn->op,
                        frt_dtype_name(want[k]));
        }
        free(want);
    }
}

/* The attrs the op definition declares have the declared kind, hold valid dtypes and meet
 * their minimums (TF's ValidateAttrValue at graph import), so kernels never see an int
 * where a type belongs, DT_INVALID, or a list shorter than the op allows. */
static void check_attrs(const frt_node *nd, const frt_op_def *d, frt_problems *p) {
    for (int k = 0; k < nd->attrs.n; k++) {
        const frt_op_attr *a = frt_op_find_attr(d, nd->attrs.keys[k]);
        const frt_attr_value *v = &nd->attrs.vals[k];
        if (!a) continue; /* undeclared ("_output_shapes", "_class"): TF keeps them too */
        bool empty_list = v->kind == FRT_ATTR_LIST && v->v.list.n == 0;
        if (v->kind != a->kind ||
            (a->kind == FRT_ATTR_LIST && !empty_list && v->v.list.elem != a->elem)) {
            if (v->kind == FRT_ATTR_PLACEHOLDER) continue; /* function bodies: bound later */
            frt_problems_add(p, nd, "attr '%s' must be of type '%s'", a->name, a->type);
            continue;
        }
        if (v->kind == FRT_ATTR_TYPE &&
            (v->v.type == FRT_DTYPE_INVALID || !frt_dtype_is_valid((int)v->v.type)))
            frt_problems_add(p, nd, "attr '%s' has an invalid DataType (%d)", a->name,
                        (int)v->v.type);
        if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_TYPE)
            for (int e = 0; e < v->v.list.n; e++)
                if (v->v.list.v.type[e] == FRT_DTYPE_INVALID ||
                    !frt_dtype_is_valid((int)v->v.list.v.type[e])) {
                    frt_problems_add(p, nd, "attr '%s' has an invalid DataType (%d) in its list",
                                a->name, (int)v->v.list.v.type[e]);
                    break;
                }
        if (v->kind == FRT_ATTR_TENSOR && strcmp(a->name, "value") == 0 &&
            (strcmp(nd->op, "Const") == 0 || strcmp(nd->op, "HostConst") == 0)) {
            const frt_attr_value *dt = frt_attrs_find(&nd->attrs, "dtype");
            if (dt && dt->kind == FRT_ATTR_TYPE && v->v.tensor &&
                v->v.tensor->dtype != frt_dtype_base((int)dt->v.type))
                frt_problems_add(p, nd, "value has dtype %s, but attr 'dtype' is %s",
                            frt_dtype_name(v->v.tensor->dtype), frt_dtype_name(dt->v.type));
        }
        if (!a->has_minimum) continue;
        if (v->kind == FRT_ATTR_I && v->v.i < a->minimum)
            frt_problems_add(p, nd, "attr '%s' has value %lld, less than the minimum %lld", a->name,
                        (long long)v->v.i, (long long)a->minimum);
        if (v->kind == FRT_ATTR_LIST && v->v.list.n < a->minimum)
            frt_problems_add(p, nd, "attr '%s' has a list of length %d, less than the minimum %lld",
                        a->name, v->v.list.n, (long long)a->minimum);
    }
}

frt_status *frt_graph_finalize(frt_graph *g) {
    frt_problems p = {.max_lines = MAX_LINES, .line_max = 1024};
    int n = g->n_nodes;
    g->finalized = false;

    /* Pass 1: names, op definitions, defaults, output counts. */
    int *n_in = frt_malloc((size_t)n * sizeof *n_in + 1);
    if (!n_in) return frt_status_oom("validating a graph of %d nodes", n);
    for (int i = 0; i < n && !p.text.oom; i++) {
        frt_node *nd = &g->nodes[i];
        n_in[i] = -1;
        nd->n_outputs = -1;
        if (!nd->name[0]) frt_problems_add(&p, nd, "node has an empty name");
        else if (frt_graph_find(g, nd->name) != i)
            frt_problems_add(&p, nd, "duplicate node name (first defined as node #%d)",
                        frt_graph_find(g, nd->name));
        if (!nd->op[0]) {
            frt_problems_add(&p, nd, "node has no op");
            continue;
        }
        const frt_op_def *d = frt_op_find(nd->op);
        if (!d) continue; /* unknown ops are fine until someone needs to run them */
        frt_status *st = frt_op_try_fill_defaults(d, &nd->attrs);
        if (st) {
            frt_status_free(st);
            p.text.oom = true;
            break;
        }
        check_attrs(nd, d, &p);
        st = frt_op_arity(d, &nd->attrs, &n_in[i], &nd->n_outputs);
        if (st) {
            frt_problems_add(&p, nd, "%s", frt_status_message(st));
            frt_status_free(st);
        }
    }

    /* Pass 2: inputs to edges. */
    for (int i = 0; i < n && !p.text.oom; i++) {
        frt_node *nd = &g->nodes[i];
        free(nd->data);
        free(nd->ctrl);
        nd->data = frt_malloc((size_t)nd->n_inputs * sizeof *nd->data + 1);
        nd->ctrl = frt_malloc((size_t)nd->n_inputs * sizeof *nd->ctrl + 1);
        nd->n_data = nd->n_ctrl = 0;
        if (!nd->data || !nd->ctrl) {
            p.text.oom = true;
            break;
        }
        bool misplaced_reported = false;
        for (int k = 0; k < nd->n_inputs; k++) {
            const char *in = nd->inputs[k], *name;
            size_t len;
            int index;
            bool ctrl;
            bool ok = frt_parse_input_name(in, &name, &len, &index, &ctrl);
            int src = ok ? frt_graph_find_n(g, name, len) : -1;
            if (!ok) frt_problems_add(&p, nd, "input %d '%s' is malformed", k, in);
            else if (src < 0)
                frt_problems_add(&p, nd, "input %d '%s' refers to unknown node '%.*s'", k, in,
                            (int)len, name);
            if (ctrl) {
                nd->ctrl[nd->n_ctrl++] = src;
                continue;
            }
            if (nd->n_ctrl > 0 && !misplaced_reported) {
                frt_problems_add(&p, nd,
                            "data input %d '%s' comes after a control input (control inputs "
                            "must follow all data inputs)",
                            k, in);
                misplaced_reported = true;
            }
            if (src >= 0 && g->nodes[src].n_outputs >= 0 && index >= g->nodes[src].n_outputs) {
                const frt_node *s = &g->nodes[src];
                frt_problems_add(&p, nd, "input %d '%s' refers to output %d of '%s' (%s), which has "
                            "%d output%s",
                            k, in, index, s->name, s->op, s->n_outputs,
                            s->n_outputs == 1 ? "" : "s");
                src = -1;
            }
            nd->data[nd->n_data++] = (frt_edge){src, src >= 0 ? index : -1};
        }
        if (n_in[i] >= 0 && nd->n_data != n_in[i])
            frt_problems_add(&p, nd, "has %d data input%s, but the op takes %d", nd->n_data,
                        nd->n_data == 1 ? "" : "s", n_in[i]);
    }
    free(n_in);

    if (!p.text.oom) check_edge_types(g, &p);

    /* Pass 3: cycles (only over resolved edges). */
    int *order = p.text.oom ? NULL : frt_malloc((size_t)n * sizeof *order + 1);
    int *indeg = order ? frt_malloc((size_t)n * sizeof *indeg + 1) : NULL;
    int got = indeg ? kahn(g, order, indeg) : -1;
    if (got < 0) p.text.oom = true;
    else if (got < n) report_cycles(g, indeg, &p);
    free(order);
    free(indeg);

    if (p.text.oom) {
        frt_strbuf_free(&p.text);
        return frt_status_oom("validating a graph of %d nodes", n);
    }
    if (p.n == 0) {
        g->finalized = true;
        return NULL;
    }
    if (p.n > MAX_LINES)
        frt_strbuf_printf(&p.text, "\n... and %d more problems", p.n - MAX_LINES);
    frt_status *st = frt_status_new(FRT_INVALID_ARGUMENT, "%s", p.text.s);
    frt_strbuf_free(&p.text);
    return st;
}

frt_status *frt_graph_topo_order(const frt_graph *g, int *order) {
    if (!g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "topological order needs a finalized graph");
    int *indeg = frt_malloc((size_t)g->n_nodes * sizeof *indeg + 1);
    int got = indeg ? kahn(g, order, indeg) : -1;
    free(indeg);
    if (got < 0) return frt_status_oom("ordering a graph of %d nodes", g->n_nodes);
    if (got < g->n_nodes)
        return frt_status_new(FRT_INVALID_ARGUMENT, "graph has a cycle (%d nodes unordered)",
                              g->n_nodes - got);
    return NULL;
}
