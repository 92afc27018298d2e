/* graph/place.c: the placer: which device runs each node, decided as TF's placer
 * (common_runtime/placer.cc, colocation_graph.cc) decides it, plus one rule of ours.
 * Owns: reading node pins, colocation groups (reference and resource edges, then `_class`
 * "loc:@X") as a union-find, each group's device (pins intersected, a kernel for every
 * member, soft placement), TF's metadata and generator heuristics, the host-memory rule,
 * and the reason recorded for each node. docs/placement.md gives the rules in order.
 * Does not own: the device-name grammar (graph/device_name.c), which devices exist and what
 * kernels they have (the caller's env), copies between memory spaces (graph/partition.c).
 * Thread-safety: reads the finalized graph; all state is per call. */
#include "graph/place.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/device_name.h"
#include "graph/op_registry.h"
#include "graph/problems.h"
#include "graph/place_impl.h"

enum { MAX_LINES = 200, LINE_MAX_BYTES = 2048 };

/* Per-node scratch; fields marked "root" mean something on a group's root only. */
typedef struct pnode {
    uint64_t kmask;          /* devices with a kernel for the node; bit 0 (the CPU) always */
    uint64_t gmask;          /* root: the members' kmasks ANDed */
    int parent;              /* union-find */
    int next;                /* circular list of the group's members */
    int size;                /* root: number of members */
    int link;                /* the node it was first joined with, or -1 */
    int claim;               /* a node not kept: the first kept node naming it in loc:@ */
    int pin;                 /* its own spec in specs[], or -1 (unpinned) */
    int gspec;               /* root: the merged spec in gspecs[], or -1 */
    int dev;                 /* root: the group's device */
    int anchor;              /* root: the first member whose pin holds, or -1 */
    int memo_dev, memo_node; /* root: last answer of lacking_kernel() */
    unsigned char flags;
} pnode;

enum {
    PIN_OVERRIDDEN = 1u << 0, /* the group gave up its pin for a resource producer's */
    HOST_MOVED = 1u << 1,     /* moved to the CPU by the host-memory rule */
};

/* Lines of one INVALID_ARGUMENT status, as graph/validate.c collects them. */
typedef struct placer {
    const frt_graph *g;
    const bool *keep;
    const frt_place_env *env;
    int n, nd;
    frt_device_name devs[FRT_PLACE_MAX_DEVICES]; /* env devices as localhost/0/0 names */
    pnode *pn;
    frt_device_name *specs, *gspecs;             /* own pins; merged group pins */
    int n_specs;
    frt_placement *out;
    frt_problems bad;
} placer;

static uint64_t bit(int d) { return (uint64_t)1 << d; }
static bool kept(const placer *P, int i) { return frt_place_kept(P->keep, i); }
static const frt_node *node(const placer *P, int i) { return &P->g->nodes[i]; }

static frt_status *report(const frt_problems *p, const char *head) {
    if (p->text.oom) return frt_status_oom("listing %s", head);
    char more[64] = "";
    if (p->n > MAX_LINES) snprintf(more, sizeof more, "\n... and %d more", p->n - MAX_LINES);
    return frt_status_new(FRT_INVALID_ARGUMENT, "%s (%d node%s):\n%s%s", head, p->n,
                          p->n == 1 ? "" : "s", p->text.s, more);
}

frt_status *frt_place_check_env(const frt_graph *g, const frt_place_env *env,
                                const char *what) {
    if (!g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION, "%s needs a finalized graph", what);
    if (!env || !env->devices || env->n_devices < 1 || env->n_devices > FRT_PLACE_MAX_DEVICES)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: %d devices described; 1 to %d are needed, the CPU first",
                              what, env && env->devices ? env->n_devices : 0,
                              FRT_PLACE_MAX_DEVICES);
    for (int d = 0; d < env->n_devices; d++) {
        const frt_place_device *dv = &env->devices[d];
        if (!dv->type || !*dv->type || dv->index < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "%s: device %d ('%s') needs a type and an index >= 0", what,
                                  d, dv->name ? dv->name : "");
    }
    return NULL;
}

const char *frt_place_device_name(const frt_place_env *env, int d, char *buf, size_t cap) {
    const frt_place_device *dv = &env->devices[d];
    if (dv->name && *dv->name) return dv->name;
    frt_device_name_full(dv->type, dv->index, buf, cap);
    return buf;
}

/* ---- devices ---------------------------------------------------------------------- */

static void env_names(placer *P) {
    for (int d = 0; d < P->nd; d++) {
        const frt_place_device *dv = &P->env->devices[d];
        P->devs[d] = (frt_device_name){
            .has_job = true, .has_replica = true, .has_task = true, .has_type = true,
            .has_id = true, .job = "localhost", .job_len = 9, .replica = 0, .task = 0,
            .type = dv->type, .type_len = strlen(dv->type), .id = dv->index};
    }
}

/* The first device of mask in preference order: the accelerators in env order, then the
 * CPU (TF sorts by device-type priority, GPU before CPU). -1 for an empty mask. */
static int first_device(const placer *P, uint64_t mask) {
    for (int d = 1; d < P->nd; d++)
        if (mask & bit(d)) return d;
    return (mask & 1) ? 0 : -1;
}

/* The devices a (partial) spec names: job/replica/task must be absent or localhost/0/0. */
static uint64_t matching(const placer *P, const frt_device_name *spec) {
    uint64_t m = 0;
    for (int d = 0; d < P->nd; d++)
        if (frt_device_name_matches(spec, &P->devs[d])) m |= bit(d);
    return m;
}

static bool has_kernel(const placer *P, int d, int i) {
    return !P->env->has_kernel || P->env->has_kernel(P->env->ctx, d, node(P, i));
}

/* The CPU always qualifies: devices[0] has every kernel the runtime has, and a node no
 * device can run is left to the executor's runnability check, which lists them all. */
static void kernel_masks(placer *P) {
    for (int i = 0; i < P->n; i++) {
        if (!kept(P, i)) continue;
        uint64_t m = 1;
        for (int d = 1; d < P->nd; d++)
            if (has_kernel(P, d, i)) m |= bit(d);
        P->pn[i].kmask = P->pn[i].gmask = m;
    }
}

/* ---- pins ------------------------------------------------------------------------- */

static bool has_device(const frt_node *nd) { return nd->device && *nd->device; }

/* Parses every kept node's device string (TF's placer uses ParseFullName: "GPU:0" without
 * a slash is malformed there). Specs without details ("", "/", "/job:*") pin nothing. */
static frt_status *parse_pins(placer *P) {
    int count = 0;
    for (int i = 0; i < P->n; i++)
        if (kept(P, i) && has_device(node(P, i))) count++;
    P->specs = frt_calloc(2 * (size_t)count + 1, sizeof *P->specs);
    if (!P->specs) return frt_status_oom("parsing the device strings of %d nodes", count);
    P->gspecs = P->specs + count;
    for (int i = 0; i < P->n; i++) {
        const frt_node *nd = node(P, i);
        if (!kept(P, i) || !has_device(nd)) continue;
        frt_device_name name;
        frt_status *st = frt_device_name_parse(nd->device, &name);
        if (st) {
            frt_device_name local;
            frt_status *lst = frt_device_name_parse_local(nd->device, &local);
            if (lst)
                frt_problems_add(&P->bad, nd, "%s", frt_status_message(st));
            else
                frt_problems_add(&P->bad, nd, "%s (a NodeDef needs the full form: '/device:%.*s:%d')",
                            frt_status_message(st), (int)local.type_len, local.type, local.id);
            frt_status_free(lst);
            frt_status_free(st);
            continue;
        }
        if (!frt_device_name_has_details(&name)) continue;
        int k = P->n_specs++;
        P->specs[k] = P->gspecs[k] = name;
        P->pn[i].pin = P->pn[i].gspec = k;
    }
    return P->bad.n ? report(&P->bad, "malformed device specifications") : NULL;
}

/* ---- colocation groups ------------------------------------------------------------ */

static int find(placer *P, int i) {
    pnode *pn = P->pn;
    while (pn[i].parent != i) {
        pn[i].parent = pn[pn[i].parent].parent; /* path halving */
        i = pn[i].parent;
    }
    return i;
}

/* Unites the groups of a and b (union by size); merges their pins the way TF's
 * MergeDevNames does under soft placement: a conflicting field is dropped, and the nodes
 * whose own pins then do not hold are found (and reported) when reasons are given. */
static void join(placer *P, int a, int b) {
    pnode *pn = P->pn;
    if (pn[a].link < 0) pn[a].link = b;
    if (pn[b].link < 0) pn[b].link = a;
    int ra = find(P, a), rb = find(P, b);
    if (ra == rb) return;
    if (pn[ra].size < pn[rb].size || (pn[ra].size == pn[rb].size && rb < ra)) {
        int t = ra;
        ra = rb;
        rb = t;
    }
    pn[rb].parent = ra;
    pn[ra].size += pn[rb].size;
    pn[ra].gmask &= pn[rb].gmask;
    if (pn[rb].gspec >= 0) {
        if (pn[ra].gspec < 0)
            pn[ra].gspec = pn[rb].gspec;
        else
            (void)frt_device_name_merge(&P->gspecs[pn[ra].gspec], &P->gspecs[pn[rb].gspec]);
    }
    int t = pn[ra].next; /* splice the two circular member lists */
    pn[ra].next = pn[rb].next;
    pn[rb].next = t;
}

/* A reference or resource edge src -> dst. As TF's EnsureCompatibilityAcrossResourceEdge
 * does, when the two groups' pins conflict the consumer's group takes the producer's pin
 * (a resource consumer stays with its variable); that is not an error even without soft
 * placement. */
static void join_resource(placer *P, int src, int dst) {
    pnode *pn = P->pn;
    int rs = find(P, src), rd = find(P, dst);
    if (rs != rd && pn[rs].gspec >= 0 && pn[rd].gspec >= 0 &&
        !frt_device_name_compatible(&P->gspecs[pn[rs].gspec], &P->gspecs[pn[rd].gspec])) {
        P->gspecs[pn[rd].gspec] = P->gspecs[pn[rs].gspec];
        int m = rd;
        do {
            if (pn[m].pin >= 0) pn[m].flags |= PIN_OVERRIDDEN;
            m = pn[m].next;
        } while (m != rd);
    }
    join(P, src, dst);
}

/* The dtype of flat input k of argument arg, from its fixed type or its type attr. */
static frt_dtype arg_type(const frt_node *nd, const frt_op_arg *arg, int k) {
    if (arg->type != FRT_DTYPE_INVALID) return arg->type;
    const char *attr = arg->type_attr ? arg->type_attr : arg->type_list_attr;
    const frt_attr_value *v = attr ? frt_attrs_find(&nd->attrs, attr) : NULL;
    if (!v) return FRT_DTYPE_INVALID;
    if (v->kind == FRT_ATTR_TYPE) return v->v.type;
    if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_TYPE && k < v->v.list.n)
        return v->v.list.v.type[k];
    return FRT_DTYPE_INVALID;
}

/* Whether data input j of nd is a Ref(T) argument or a DT_RESOURCE (TF's IsRefOrResource of
 * the consumer's input type). */
static bool ref_or_resource_input(const frt_op_def *def, const frt_node *nd, int j) {
    int k = 0;
    const frt_op_arg *arg = frt_op_input_arg_at(def, &nd->attrs, j, &k);
    if (!arg) return false;
    return arg->is_ref || arg_type(nd, arg, k) == FRT_DTYPE_RESOURCE;
}

/* Ops whose resource inputs do not pull them to the producer: TF's input colocation
 * exemptions (IdentityN, PartitionedCall, StatefulPartitionedCall: they forward resources
 * rather than use them) and function calls, which TF's placer inspects instead. */
static bool exempt_from_resource_colocation(const frt_op_def *def, const frt_node *nd) {
    return strcmp(nd->op, "IdentityN") == 0 || strcmp(nd->op, "PartitionedCall") == 0 ||
           strcmp(nd->op, "StatefulPartitionedCall") == 0 ||
           frt_op_has_trait(def, FRT_OP_FUNCTION_CALL);
}

static void colocate_resource_edges(placer *P) {
    for (int i = 0; i < P->n; i++) {
        const frt_node *nd = node(P, i);
        const frt_op_def *def = kept(P, i) ? frt_op_find(nd->op) : NULL;
        if (!def || exempt_from_resource_colocation(def, nd)) continue;
        for (int j = 0; j < nd->n_data; j++) {
            int p = nd->data[j].node;
            if (kept(P, p) && ref_or_resource_input(def, nd, j)) join_resource(P, p, i);
        }
    }
}

/* `_class` entries "loc:@X" (TF's kColocationGroupPrefix): every node naming X joins X's
 * group. X not kept (pruned away) still groups the nodes that name it, as in TF, where the
 * group key is the name; a name of no node at all is ignored. A single string instead of
 * a list is ignored too (TF logs it and goes on). */
static void colocate_classes(placer *P) {
    for (int i = 0; i < P->n; i++) {
        if (!kept(P, i)) continue;
        const frt_attr_value *v = frt_attrs_find(&node(P, i)->attrs, "_class");
        if (!v || v->kind != FRT_ATTR_LIST || v->v.list.elem != FRT_ATTR_S) continue;
        for (int k = 0; k < v->v.list.n; k++) {
            const frt_string *s = &v->v.list.v.s[k];
            if (s->len <= 5 || memcmp(s->ptr, "loc:@", 5) != 0) continue;
            int x = frt_graph_find_n(P->g, s->ptr + 5, s->len - 5);
            if (x < 0 || x == i) continue;
            if (kept(P, x))
                join(P, i, x);
            else if (P->pn[x].claim < 0)
                P->pn[x].claim = i;
            else
                join(P, i, P->pn[x].claim);
        }
    }
}

/* ---- each group's device ---------------------------------------------------------- */

/* A pinned group goes to the first device matching its merged pin with a kernel for every
 * member; failing that (soft placement, TF's GetSoftDeviceCandidates) and for unpinned
 * groups, to the first device with a kernel for every member. */
static void place_groups(placer *P) {
    for (int i = 0; i < P->n; i++) {
        pnode *r = &P->pn[i];
        if (!kept(P, i) || r->parent != i) continue;
        uint64_t ok = r->gmask;
        if (r->gspec >= 0 && frt_device_name_has_details(&P->gspecs[r->gspec])) {
            uint64_t match = matching(P, &P->gspecs[r->gspec]) & ok;
            if (match) {
                r->dev = first_device(P, match);
                continue;
            }
        }
        r->dev = first_device(P, ok);
    }
    for (int i = 0; i < P->n; i++) {
        if (!kept(P, i) || P->pn[i].pin < 0) continue;
        pnode *r = &P->pn[find(P, i)];
        if (r->anchor < 0 && frt_device_name_matches(&P->specs[P->pn[i].pin], &P->devs[r->dev]))
            r->anchor = i;
    }
}

/* A member of root r's group with no kernel on device w (remembered per group, since the
 * members of a group mostly ask about the same device), or -1. */
static int lacking_kernel(placer *P, int r, int w) {
    pnode *R = &P->pn[r];
    if (R->memo_dev != w) {
        R->memo_dev = w;
        R->memo_node = -1;
        int m = r;
        do {
            if (!(P->pn[m].kmask & bit(w))) {
                R->memo_node = m;
                break;
            }
            m = P->pn[m].next;
        } while (m != r);
    }
    return R->memo_node;
}

/* The node a COLOCATED reason names for node i of group r, which would have gone to w on
 * its own: a member whose pin holds, else a member with no kernel on w, else the node i
 * was joined with. */
static int colocated_with(placer *P, int i, int r, int w) {
    int a = P->pn[r].anchor;
    if (a >= 0 && a != i) return a;
    int m = w >= 0 && w != P->pn[r].dev ? lacking_kernel(P, r, w) : -1;
    return m >= 0 ? m : P->pn[i].link;
}

/* One line of the no-soft-placement error for node i, pinned where it cannot go. */
static void report_pin(placer *P, int i, frt_place_reason why, int related) {
    const frt_node *nd = node(P, i);
    char have[LINE_MAX_BYTES / 2] = "", name[128];
    size_t len = 0;
    for (int d = 0; d < P->nd && len < sizeof have; d++) {
        if (!has_kernel(P, d, i)) continue;
        int k = snprintf(have + len, sizeof have - len, "%s%s", len ? ", " : "",
                         frt_place_device_name(P->env, d, name, sizeof name));
        if (k > 0) len += (size_t)k;
    }
    const char *group = related >= 0 ? node(P, related)->name : "?";
    int gdev = P->pn[find(P, i)].dev;
    switch (why) {
    case FRT_PLACE_SOFT_NO_DEVICE:
        frt_problems_add(&P->bad, nd, "device '%s' matches no device; devices with a kernel for it: "
                    "[%s]", nd->device, have);
        break;
    case FRT_PLACE_SOFT_NO_KERNEL:
        frt_problems_add(&P->bad, nd, "device '%s' has no kernel for it; devices with a kernel for "
                    "it: [%s]", nd->device, have);
        break;
    default:
        frt_problems_add(&P->bad, nd, "device '%s' conflicts with its colocation group (with '%s', "
                    "placed on %s); devices with a kernel for it: [%s]", nd->device, group,
                    frt_place_device_name(P->env, gdev, name, sizeof name), have);
        break;
    }
}

/* Node i's device (its group's) and why; a pin that does not hold is an error line under
 * env->no_soft_placement unless a resource edge overrode it (TF does that silently). */
static void explain(placer *P, int i) {
    pnode *pi = &P->pn[i];
    int r = find(P, i), d = P->pn[r].dev;
    frt_place_reason why;
    int related = -1;
    if (pi->pin >= 0) {
        const frt_device_name *own = &P->specs[pi->pin];
        if (frt_device_name_matches(own, &P->devs[d])) {
            why = FRT_PLACE_PINNED;
        } else {
            uint64_t match = matching(P, own);
            int w = first_device(P, match & pi->kmask);
            if (pi->flags & PIN_OVERRIDDEN)
                why = FRT_PLACE_COLOCATED;
            else if (!match)
                why = FRT_PLACE_SOFT_NO_DEVICE;
            else if (w < 0)
                why = FRT_PLACE_SOFT_NO_KERNEL;
            else
                why = FRT_PLACE_COLOCATED;
            if (why == FRT_PLACE_COLOCATED) related = colocated_with(P, i, r, w);
            if (P->env->no_soft_placement && !(pi->flags & PIN_OVERRIDDEN))
                report_pin(P, i, why, related);
        }
    } else {
        int alone = first_device(P, pi->kmask);
        if (P->pn[r].size > 1 && d != alone) {
            why = FRT_PLACE_COLOCATED;
            related = colocated_with(P, i, r, alone);
        } else {
            why = d == 0 && P->nd > 1 ? FRT_PLACE_NO_KERNEL : FRT_PLACE_DEFAULT;
        }
    }
    P->out->device[i] = d;
    P->out->why[i] = why;
    P->out->related[i] = related;
}

/* ---- heuristics ------------------------------------------------------------------- */

typedef struct out_edge {
    int node, input; /* the consumer and which data input; input -1: a control edge */
} out_edge;

/* Consumers of every kept node among kept nodes, as CSR: adj[off[i] .. off[i+1]). */
static frt_status *consumers(const placer *P, int **off_out, out_edge **adj_out) {
    int n = P->n;
    int *off = frt_calloc((size_t)n + 2, sizeof *off);
    if (!off) return frt_status_oom("listing the consumers of %d nodes", n);
    for (int i = 0; i < n; i++) {
        const frt_node *nd = node(P, i);
        if (!kept(P, i)) continue;
        for (int j = 0; j < nd->n_data; j++)
            if (kept(P, nd->data[j].node)) off[nd->data[j].node + 2]++;
        for (int j = 0; j < nd->n_ctrl; j++)
            if (kept(P, nd->ctrl[j])) off[nd->ctrl[j] + 2]++;
    }
    for (int i = 0; i < n; i++) off[i + 2] += off[i + 1];
    out_edge *adj = frt_malloc((size_t)off[n + 1] * sizeof *adj + 1);
    if (!adj) {
        free(off);
        return frt_status_oom("listing the consumers of %d nodes", n);
    }
    /* off[i + 1] is the fill cursor of node i; once filled it is where node i + 1 starts. */
    for (int i = 0; i < n; i++) {
        const frt_node *nd = node(P, i);
        if (!kept(P, i)) continue;
        for (int j = 0; j < nd->n_data; j++)
            if (kept(P, nd->data[j].node)) adj[off[nd->data[j].node + 1]++] = (out_edge){i, j};
        for (int j = 0; j < nd->n_ctrl; j++)
            if (kept(P, nd->ctrl[j])) adj[off[nd->ctrl[j] + 1]++] = (out_edge){i, -1};
    }
    *off_out = off;
    *adj_out = adj;
    return NULL;
}

/* Alone in its group and unpinned: the heuristics move only such nodes. */
static bool loose(placer *P, int i) {
    return kept(P, i) && P->pn[i].pin < 0 && P->pn[find(P, i)].size == 1;
}

/* TF's NC_METADATA class (graph/graph.cc): only the input's shape is read. */
static bool is_metadata(const frt_node *nd) {
    return strcmp(nd->op, "Shape") == 0 || strcmp(nd->op, "Size") == 0 ||
           strcmp(nd->op, "Rank") == 0;
}

/* TF's IsGeneratorNode: no data inputs, one output, not a reference. */
static bool is_generator(const frt_node *nd) {
    if (nd->n_data != 0 || nd->n_outputs != 1) return false;
    const frt_op_def *def = frt_op_find(nd->op);
    int k = 0;
    const frt_op_arg *arg = def ? frt_op_output_arg_at(def, &nd->attrs, 0, &k) : NULL;
    return !(arg && arg->is_ref);
}

/* A generator still to be placed by heuristic A (which TF runs after every other node). */
static bool pending_generator(placer *P, int i) {
    return loose(P, i) && !(P->pn[i].flags & HOST_MOVED) && is_generator(node(P, i));
}

static void move(placer *P, int i, int d, frt_place_reason why, int related) {
    P->out->device[i] = d;
    P->out->why[i] = why;
    P->out->related[i] = related;
}

/* Ours: a loose node off the CPU whose every data consumer reads it from host memory
 * (consumer on the CPU, or a HostMemory input there), and which writes at least one of the
 * outputs read in device memory (so a copy would be needed), runs on the CPU. A device
 * whose memory is the host's writes host memory: nothing moves off it. Consumers first
 * (reverse topological order), so shape arithmetic feeding a host input moves as a chain;
 * metadata nodes stay for heuristic B, which keeps them with their input. */
static void host_memory_rule(placer *P, const int *order, const int *off, const out_edge *adj) {
    int *dev = P->out->device;
    const frt_place_env *env = P->env;
    for (int k = P->n - 1; k >= 0; k--) {
        int i = order[k];
        if (!loose(P, i) || dev[i] == 0 || is_metadata(node(P, i))) continue;
        uint64_t out_host = env->host_outputs ? env->host_outputs(env->ctx, dev[i], node(P, i))
                                              : 0;
        int first = -1;
        bool host = true, copied = false;
        for (int e = off[i]; e < off[i + 1] && host; e++) {
            const frt_node *c = node(P, adj[e].node);
            if (adj[e].input < 0) continue;
            if (first < 0) first = adj[e].node;
            host = frt_place_in_host(env, env->host_inputs, dev[adj[e].node], c, adj[e].input);
            copied |= !frt_place_mask_bit(out_host, c->data[adj[e].input].index);
        }
        if (first < 0 || !host || !copied) continue;
        move(P, i, 0, FRT_PLACE_HOST_MEMORY, first);
        P->pn[i].flags |= HOST_MOVED;
    }
}

/* TF's heuristic B: a metadata node goes with its input when it has a kernel there. Inputs
 * first (topological order); an input that is a pending generator is not placed yet, so
 * the node keeps its own device, as in TF. */
static void metadata_rule(placer *P, const int *order) {
    int *dev = P->out->device;
    for (int k = 0; k < P->n; k++) {
        int i = order[k];
        const frt_node *nd = node(P, i);
        if (!loose(P, i) || !is_metadata(nd) || nd->n_data < 1) continue;
        int p = nd->data[0].node;
        if (!kept(P, p) || pending_generator(P, p)) continue;
        if (dev[p] != dev[i] && (P->pn[i].kmask & bit(dev[p])))
            move(P, i, dev[p], FRT_PLACE_METADATA, p);
    }
}

/* TF's heuristic A: a generator whose consumers (data and control) all run on one device
 * where it has a kernel runs there too. Consumers first: a generator may feed another
 * through a control edge. */
static void generator_rule(placer *P, const int *order, const int *off, const out_edge *adj) {
    int *dev = P->out->device;
    for (int k = P->n - 1; k >= 0; k--) {
        int i = order[k];
        if (off[i] == off[i + 1] || !pending_generator(P, i)) continue;
        int d = dev[adj[off[i]].node];
        bool same = true;
        for (int e = off[i] + 1; e < off[i + 1] && same; e++) same = dev[adj[e].node] == d;
        if (same && d != dev[i] && (P->pn[i].kmask & bit(d)))
            move(P, i, d, FRT_PLACE_GENERATOR, adj[off[i]].node);
    }
}

static frt_status *heuristics(placer *P) {
    int *order = frt_malloc((size_t)P->n * sizeof *order + 1);
    if (!order) return frt_status_oom("ordering %d nodes for placement", P->n);
    frt_status *st = frt_graph_topo_order(P->g, order);
    int *off = NULL;
    out_edge *adj = NULL;
    if (!st) st = consumers(P, &off, &adj);
    if (!st) {
        host_memory_rule(P, order, off, adj);
        metadata_rule(P, order);
        generator_rule(P, order, off, adj);
    }
    free(order);
    free(off);
    free(adj);
    return st;
}

/* ---- the pass --------------------------------------------------------------------- */

static frt_status *init(placer *P, frt_placement *out) {
    int n = P->n;
    out->n_nodes = n;
    out->device = frt_malloc((size_t)n * sizeof *out->device + 1);
    out->why = frt_malloc((size_t)n * sizeof *out->why + 1);
    out->related = frt_malloc((size_t)n * sizeof *out->related + 1);
    P->pn = frt_calloc((size_t)n + 1, sizeof *P->pn);
    if (!out->device || !out->why || !out->related || !P->pn)
        return frt_status_oom("placing a graph of %d nodes", n);
    for (int i = 0; i < n; i++) {
        out->device[i] = out->related[i] = -1;
        out->why[i] = FRT_PLACE_DEFAULT;
        P->pn[i] = (pnode){.parent = i, .next = i, .size = 1, .link = -1, .claim = -1,
                           .pin = -1, .gspec = -1, .anchor = -1, .memo_dev = -1,
                           .memo_node = -1};
    }
    env_names(P);
    return NULL;
}

static frt_status *place(placer *P) {
    FRT_TRY(parse_pins(P));
    kernel_masks(P);
    /* TF's order (ColocationGraph::Initialize): reference/resource edges, then _class. */
    colocate_resource_edges(P);
    colocate_classes(P);
    place_groups(P);
    for (int i = 0; i < P->n; i++)
        if (kept(P, i)) explain(P, i);
    if (P->bad.n || P->bad.text.oom)
        return report(&P->bad, "device pins that cannot be honoured without soft placement");
    return heuristics(P);
}

frt_status *frt_graph_place(const frt_graph *g, const bool *keep, const frt_place_env *env,
                            frt_placement *out) {
    memset(out, 0, sizeof *out);
    FRT_TRY(frt_place_check_env(g, env, "placement"));
    placer P = {.g = g, .keep = keep, .env = env, .n = g->n_nodes, .nd = env->n_devices,
                .out = out, .bad = {.max_lines = MAX_LINES, .line_max = LINE_MAX_BYTES}};
    frt_status *st = init(&P, out);
    if (!st) st = place(&P);
    free(P.pn);
    free(P.specs);
    frt_strbuf_free(&P.bad.text);
    if (st) frt_placement_free(out);
    return st;
}

void frt_placement_free(frt_placement *p) {
    if (!p) return;
    free(p->device);
    free(p->why);
    free(p->related);
    memset(p, 0, sizeof *p);
}
