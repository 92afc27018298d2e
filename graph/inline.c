/* graph/inline.c: function inlining — replaces PartitionedCall / StatefulPartitionedCall
 * nodes and direct (TF1 Defun-style) calls by the bodies of the library functions they call,
 * recursively, following TensorFlow's InlineFunctionBody with a fetchable caller.
 * Owns: name prefixing, FunctionDef input-string translation (arg / node:out_arg:k → flat
 * graph indices), attr placeholder substitution, the recursion guard, counting what an
 * expansion adds before doing it and refusing past FRT_INLINE_MAX_ADDED_NODES. Does not own:
 * the library IR (function.c), op definitions (op_registry.c), validation (finalize).
 * Thread-safety: needs the graph exclusively. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/function.h"
#include "graph/op_registry.h"

enum { MAX_DEPTH = 256 };

typedef struct frame {
    const frt_function *fn;
    int parent;  /* frame index, -1 for the top level */
} frame;

typedef struct inliner {
    frt_graph *g;
    const frt_function_lib *lib;
    frame *frames;
    int n_frames;
    int *node_frame;  /* per node: the frame its node came from (-1: top level) */
    int cap_nf;
    int base_nodes;      /* g->n_nodes before inlining */
    uint64_t max_added;  /* the most nodes inlining may add */
} inliner;

/* Everything about one call being expanded. */
typedef struct call {
    const frt_function *fn;
    char *name, *device;
    bool partitioned;     /* PartitionedCall / StatefulPartitionedCall */
    frt_attrs bind;       /* instantiation attrs (callee's placeholders) */
    frt_attrs call_attrs; /* the call node's own attrs (Tin/Tout fallbacks) */
    int n_data, n_ctrl;
    char **data, **ctrl;  /* the call node's inputs, graph syntax */
    int *arg_start, *arg_count; /* per input arg: first flat input, length */
    int body_first;       /* graph index of the first body node */
    bool has_ctrl_node;
} call;

/* Out of memory, the string helpers below return NULL (and take NULL: join(NULL, ...) is
 * NULL), so a chain of them is checked once at its end. */
static char *join(const char *a, const char *sep, const char *b) {
    if (!a || !b) return NULL;
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *s = frt_malloc(la + ls + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la);
    memcpy(s + la, sep, ls);
    memcpy(s + la + ls, b, lb + 1);
    return s;
}

static char *tensor_str(const char *node, int index) {
    if (index == 0) return frt_strdup(node);
    char buf[16];
    snprintf(buf, sizeof buf, "%d", index);
    return join(node, ":", buf);
}

/* Graph name of element j of input arg a (Identity C/<arg>, C/<arg>_<j> for lists). */
static char *arg_elem_name(const call *c, int a, int j) {
    const frt_func_arg *arg = &c->fn->in[a];
    char *base = join(c->name, "/", arg->name);
    if (!arg->number_attr && !arg->type_list_attr) return base;
    char buf[16];
    snprintf(buf, sizeof buf, "%d", j);
    char *s = join(base, "_", buf);
    free(base);
    return s;
}

static int find_arg(const frt_function *fn, const char *name, size_t len) {
    for (int i = 0; i < fn->n_in; i++)
        if (strlen(fn->in[i].name) == len && memcmp(fn->in[i].name, name, len) == 0) return i;
    return -1;
}

/* Graph index of body node name[0..len) of the call being expanded, -1 when there is none,
 * -2 when out of memory. */
static int find_body(const inliner *in, const call *c, const char *name, size_t len) {
    char *full = frt_malloc(strlen(c->name) + len + 2);
    if (!full) return -2;
    sprintf(full, "%s/%.*s", c->name, (int)len, name);
    int i = frt_graph_find(in->g, full);
    free(full);
    return i >= c->body_first ? i : -1;
}

static frt_status *oom(const call *c) {
    return frt_status_oom("inlining function '%s' at call node '%s'", c->fn->name, c->name);
}

static frt_status *err(const call *c, const char *fmt, const char *a, const char *b) {
    char msg[512];
    snprintf(msg, sizeof msg, fmt, a, b);
    return frt_status_new(FRT_INVALID_ARGUMENT, "inlining function '%s' at call node '%s': %s",
                          c->fn->name, c->name, msg);
}

/* ---- attr placeholders ------------------------------------------------------------------ */

static frt_status *subst_attrs(frt_attrs *a, const frt_attrs *bind, const call *c,
                               const char *node);

static frt_status *subst_value(frt_attr_value *v, const char *key, const frt_attrs *bind,
                               const call *c, const char *node) {
    if (v->kind == FRT_ATTR_PLACEHOLDER) {
        const char *ph = v->v.s.ptr ? v->v.s.ptr : "";
        const frt_attr_value *b = frt_attrs_find(bind, ph);
        if (!b) {
            char what[256];
            snprintf(what, sizeof what, "attr '%s' of body node '%s'", key, node);
            return err(c, "%s refers to attr placeholder '%s', which the call does not bind",
                       what, ph);
        }
        frt_attr_value nv;
        frt_status *st = frt_attr_value_try_copy(&nv, b);
        if (st) return st;
        frt_attr_value_deinit(v);
        *v = nv;
        return NULL;
    }
    if (v->kind == FRT_ATTR_FUNC && v->v.func.attrs)
        return subst_attrs(v->v.func.attrs, bind, c, node);
    if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_FUNC)
        for (int k = 0; k < v->v.list.n; k++)
            if (v->v.list.v.func[k].attrs)
                FRT_TRY(subst_attrs(v->v.list.v.func[k].attrs, bind, c, node));
    return NULL;
}

static frt_status *subst_attrs(frt_attrs *a, const frt_attrs *bind, const call *c,
                               const char *node) {
    for (int k = 0; k < a->n; k++) FRT_TRY(subst_value(&a->vals[k], a->keys[k], bind, c, node));
    return NULL;
}

/* ---- output argument ranges --------------------------------------------------------------- */

/* Flat range of output arg `arg` of graph node p (a body node already added). */
static frt_status *output_range(const inliner *in, const call *c, const frt_node *p,
                                const char *arg, size_t arg_len, int *start, int *count) {
    char argname[256];
    snprintf(argname, sizeof argname, "%.*s", (int)arg_len, arg);
    const frt_function *callee = frt_function_lib_find(in->lib, p->op);
    if (callee) {
        int s = 0;
        for (int j = 0; j < callee->n_out; j++) {
            int n;
            FRT_TRY(frt_function_arg_types(callee, &callee->out[j], &p->attrs, NULL, 0, &n));
            if (strcmp(callee->out[j].name, argname) == 0) {
                *start = s;
                *count = n;
                return NULL;
            }
            s += n;
        }
        char what[300];
        snprintf(what, sizeof what, "output arg '%s' of body node '%s'", argname, p->name);
        return err(c, "%s: function '%s' has no such output", what, p->op);
    }
    const frt_op_def *d = frt_op_find(p->op);
    if (!d)
        return err(c, "body node '%s' has unknown op '%s'", p->name, p->op);
    frt_attrs filled;
    frt_status *st = frt_attrs_try_copy(&filled, &p->attrs);
    if (st) return st;
    if ((st = frt_op_try_fill_defaults(d, &filled))) {
        frt_attrs_deinit(&filled);
        return st;
    }
    int s = 0;
    for (int j = 0; j < d->n_outputs && !st; j++) {
        int n;
        st = frt_op_arg_count(d, &filled, &d->outputs[j], &n);
        if (st) break;
        if (strcmp(d->outputs[j].name, argname) == 0) {
            *start = s;
            *count = n;
            frt_attrs_deinit(&filled);
            return NULL;
        }
        s += n;
    }
    frt_attrs_deinit(&filled);
    if (st)
        return frt_status_annotate(st, " (body node '%s' (%s) of function '%s', call '%s')",
                                   p->name, p->op, c->fn->name, c->name);
    char what[300];
    snprintf(what, sizeof what, "output arg '%s' of body node '%s'", argname, p->name);
    return err(c, "%s: op %s has no such output", what, p->op);
}

/* ---- input translation ---------------------------------------------------------------------- */

typedef struct strs {
    int n, cap;
    char **v;
} strs;

/* Takes owned; false (owned freed) when it is NULL or out of memory. */
static bool strs_push(strs *s, char *owned) {
    if (!owned) return false;
    if (s->n == s->cap) {
        int cap = s->cap ? s->cap * 2 : 8;
        char **v = frt_realloc(s->v, (size_t)cap * sizeof *v);
        if (!v) {
            free(owned);
            return false;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = owned;
    return true;
}

static void strs_free(strs *s) {
    for (int i = 0; i < s->n; i++) free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static bool parse_uint(const char *s, size_t len, int *out) {
    if (len == 0 || len > 7) return false;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Translates one FunctionDef input (or ret) string into graph input strings appended to
 * out (several for a whole list arg). where names the body node for messages. */
static frt_status *translate(const inliner *in, const call *c, const char *s, const char *where,
                             strs *out) {
    if (s[0] == '^') {
        const char *nm = s + 1;
        size_t len = strlen(nm);
        int a = find_arg(c->fn, nm, len);
        if (a >= 0 && c->arg_count[a] > 0) {
            char *e = arg_elem_name(c, a, 0);
            bool ok = strs_push(out, join("^", "", e));
            free(e);
            return ok ? NULL : oom(c);
        }
        int p = find_body(in, c, nm, len);
        if (p == -2) return oom(c);
        if (p < 0) return err(c, "control input '%s' of '%s' names no body node", s, where);
        return strs_push(out, join("^", "", in->g->nodes[p].name)) ? NULL : oom(c);
    }
    const char *c1 = strchr(s, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (c2 && strchr(c2 + 1, ':')) return err(c, "input '%s' of '%s' is malformed", s, where);
    size_t l0 = c1 ? (size_t)(c1 - s) : strlen(s);
    int a = find_arg(c->fn, s, l0);
    if (a >= 0 && !c2) {
        int k = -1;
        if (c1 && !parse_uint(c1 + 1, strlen(c1 + 1), &k))
            return err(c, "input '%s' of '%s' is malformed", s, where);
        if (k >= c->arg_count[a])
            return err(c, "input '%s' of '%s' is past the end of the argument", s, where);
        for (int j = k < 0 ? 0 : k; j < (k < 0 ? c->arg_count[a] : k + 1); j++)
            if (!strs_push(out, arg_elem_name(c, a, j))) return oom(c);
        return NULL;
    }
    if (!c1)
        return err(c, "input '%s' of '%s' names no function argument (body tensors are "
                   "written node:out_arg:k)", s, where);
    int p = find_body(in, c, s, l0);
    if (p == -2) return oom(c);
    if (p < 0) return err(c, "input '%s' of '%s' names no body node or argument", s, where);
    const frt_node *pn = &in->g->nodes[p];
    size_t la = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    int start, count;
    FRT_TRY(output_range(in, c, pn, c1 + 1, la, &start, &count));
    if (c2) {
        int k;
        if (!parse_uint(c2 + 1, strlen(c2 + 1), &k))
            return err(c, "input '%s' of '%s' has a bad element index", s, where);
        if (k >= count)
            return err(c, "input '%s' of '%s' is past the end of the output argument", s,
                       where);
        return strs_push(out, tensor_str(pn->name, start + k)) ? NULL : oom(c);
    }
    for (int j = 0; j < count; j++)
        if (!strs_push(out, tensor_str(pn->name, start + j))) return oom(c);
    return NULL;
}

/* ---- one call ------------------------------------------------------------------------------- */

static void call_deinit(call *c) {
    free(c->name);
    free(c->device);
    frt_attrs_deinit(&c->bind);
    frt_attrs_deinit(&c->call_attrs);
    for (int i = 0; i < c->n_data; i++) free(c->data[i]);
    for (int i = 0; i < c->n_ctrl; i++) free(c->ctrl[i]);
    free(c->data);
    free(c->ctrl);
    free(c->arg_start);
    free(c->arg_count);
}

/* False when out of memory. */
static bool set_frame(inliner *in, int node, int fr) {
    if (node >= in->cap_nf) {
        int cap = in->cap_nf ? in->cap_nf : 64;
        while (cap <= node) cap *= 2;
        int *nf = frt_realloc(in->node_frame, (size_t)cap * sizeof *nf);
        if (!nf) return false;
        in->node_frame = nf;
        for (int i = in->cap_nf; i < cap; i++) in->node_frame[i] = -1;
        in->cap_nf = cap;
    }
    in->node_frame[node] = fr;
    return true;
}

static int get_frame(const inliner *in, int node) {
    return node < in->cap_nf ? in->node_frame[node] : -1;
}

static frt_status *add_node(inliner *in, const call *c, const char *name, const char *op,
                            const char *device, int fr, int *idx) {
    if (frt_graph_find(in->g, name) >= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "inlining function '%s' at call node '%s' would create node '%s', "
                              "but the graph already has a node of that name",
                              c->fn->name, c->name, name);
    /* The count made before expanding cannot see everything (frt_graph_inline_count);
     * this bounds the rest by the same limit. */
    int added = in->g->n_nodes - in->base_nodes;
    if ((uint64_t)added >= in->max_added || in->g->n_nodes == INT_MAX)
        return frt_status_new(FRT_RESOURCE_EXHAUSTED,
                              "inlining function '%s' at call node '%s': inlining has added %d "
                              "nodes to the graph, the limit is %llu",
                              c->fn->name, c->name, added, (unsigned long long)in->max_added);
    FRT_TRY(frt_graph_try_add_node(in->g, name, op, device, idx));
    return set_frame(in, *idx, fr) ? NULL : oom(c);
}

static frt_status *set_type_attr(frt_attrs *a, const char *key, frt_dtype t) {
    frt_attr_value v = {.kind = FRT_ATTR_TYPE, .v.type = t};
    return frt_attrs_try_set(a, key, &v);
}

/* Dtype fallback for PartitionedCall from its Tin/Tout list attrs. */
static frt_dtype list_type(const frt_attrs *a, const char *key, int i) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    if (!v || v->kind != FRT_ATTR_LIST || v->v.list.elem != FRT_ATTR_TYPE || i >= v->v.list.n)
        return FRT_DTYPE_INVALID;
    return v->v.list.v.type[i];
}

static frt_status *arg_types(const call *c, const frt_func_arg *arg, bool output, int flat0,
                             frt_dtype **types, int *count) {
    FRT_TRY(frt_function_arg_types(c->fn, arg, &c->bind, NULL, 0, count));
    *types = frt_malloc((size_t)*count * sizeof **types + 1);
    if (!*types) return oom(c);
    frt_status *st = frt_function_arg_types(c->fn, arg, &c->bind, *types, *count, count);
    if (st) {
        free(*types);
        *types = NULL;
        return st;
    }
    for (int j = 0; j < *count; j++) {
        if ((*types)[j] == FRT_DTYPE_INVALID && c->partitioned)
            (*types)[j] = list_type(&c->call_attrs, output ? "Tout" : "Tin", flat0 + j);
        if ((*types)[j] == FRT_DTYPE_INVALID) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "cannot tell the dtype of %s arg '%s' (type attr '%s' is not bound)",
                     output ? "output" : "input", arg->name, arg->type_attr ? arg->type_attr : "");
            free(*types);
            *types = NULL;
            return err(c, "%s%s", msg, "");
        }
    }
    return NULL;
}

static frt_status *expand(inliner *in, call *c, int ci) {
    frt_graph *g = in->g;
    const frt_function *fn = c->fn;
    /* Recursion guard: the callee must not already be on this node's call chain. */
    int depth = 0;
    for (int f = get_frame(in, ci); f >= 0; f = in->frames[f].parent, depth++) {
        if (in->frames[f].fn == fn)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "inlining call node '%s': function '%s' calls itself "
                                  "(recursion cannot be inlined)", c->name, fn->name);
        if (depth > MAX_DEPTH)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "inlining call node '%s': function calls nest deeper than %d",
                                  c->name, MAX_DEPTH);
    }
    frame *frames = frt_realloc(in->frames, (size_t)(in->n_frames + 1) * sizeof *frames);
    if (!frames) return oom(c);
    in->frames = frames;
    int fr = in->n_frames++;
    in->frames[fr] = (frame){fn, get_frame(in, ci)};

    /* Signature defaults complete the binding. */
    for (int i = 0; i < fn->n_attr_defs; i++)
        if (fn->attr_defs[i].has_default && !frt_attrs_find(&c->bind, fn->attr_defs[i].name)) {
            frt_attr_value v;
            FRT_TRY(frt_attr_value_try_copy(&v, &fn->attr_defs[i].def));
            frt_status *st = frt_attrs_try_set(&c->bind, fn->attr_defs[i].name, &v);
            if (st) {
                frt_attr_value_deinit(&v);
                return st;
            }
        }

    /* Bind inputs. */
    c->arg_start = frt_calloc((size_t)fn->n_in + 1, sizeof *c->arg_start);
    c->arg_count = frt_calloc((size_t)fn->n_in + 1, sizeof *c->arg_count);
    frt_dtype **in_types = frt_calloc((size_t)fn->n_in + 1, sizeof *in_types);
    if (!c->arg_start || !c->arg_count || !in_types) {
        free(in_types);
        return oom(c); /* call_deinit frees the rest */
    }
    frt_status *st = NULL;
    int flat = 0;
    for (int a = 0; a < fn->n_in && !st; a++) {
        c->arg_start[a] = flat;
        st = arg_types(c, &fn->in[a], false, flat, &in_types[a], &c->arg_count[a]);
        flat += c->arg_count[a];
    }
    if (!st && flat != c->n_data) {
        char got[64], want[64];
        snprintf(got, sizeof got, "%d", c->n_data);
        snprintf(want, sizeof want, "%d", flat);
        st = err(c, "the call has %s data inputs but the function takes %s", got, want);
    }

    /* Control inputs of the call gate the whole body. */
    char *ctrl_node = NULL;
    if (!st && c->n_ctrl > 0) {
        ctrl_node = join(c->name, "/", "input_control_node");
        int idx = -1;
        st = ctrl_node ? add_node(in, c, ctrl_node, "NoOp", c->device, fr, &idx) : oom(c);
        for (int k = 0; !st && k < c->n_ctrl; k++)
            st = frt_node_try_add_input(&g->nodes[idx], c->ctrl[k]);
    }
    char *ctrl_input = ctrl_node ? join("^", "", ctrl_node) : NULL;
    if (!st && ctrl_node && !ctrl_input) st = oom(c);
    for (int a = 0; a < fn->n_in && !st; a++)
        for (int j = 0; j < c->arg_count[a] && !st; j++) {
            char *nm = arg_elem_name(c, a, j);
            int idx = -1;
            st = nm ? add_node(in, c, nm, "Identity", c->device, fr, &idx) : oom(c);
            free(nm);
            if (st) break;
            frt_node *n = &g->nodes[idx];
            st = frt_node_try_add_input(n, c->data[c->arg_start[a] + j]);
            if (!st && ctrl_input) st = frt_node_try_add_input(n, ctrl_input);
            if (!st) st = set_type_attr(&n->attrs, "T", in_types[a][j]);
        }
    for (int a = 0; a < fn->n_in; a++) free(in_types[a]);
    free(in_types);

    /* Body nodes: first all of them (with attrs), then their inputs, which may refer to any
     * body node's output args. */
    c->body_first = g->n_nodes;
    for (int b = 0; b < fn->n_nodes && !st; b++) {
        const frt_func_node *bn = &fn->nodes[b];
        char *nm = join(c->name, "/", bn->name);
        int idx = -1;
        st = nm ? add_node(in, c, nm, bn->op, bn->device, fr, &idx) : oom(c);
        free(nm);
        if (st) break;
        frt_node *n = &g->nodes[idx];
        frt_attrs_deinit(&n->attrs);
        st = frt_attrs_try_copy(&n->attrs, &bn->attrs);
        if (!st) st = subst_attrs(&n->attrs, &c->bind, c, bn->name);
    }
    for (int b = 0; b < fn->n_nodes && !st; b++) {
        const frt_func_node *bn = &fn->nodes[b];
        strs ins = {0};
        bool has_data = false;
        for (int k = 0; k < bn->n_inputs && !st; k++) {
            if (bn->inputs[k][0] != '^') has_data = true;
            st = translate(in, c, bn->inputs[k], bn->name, &ins);
        }
        if (!st && !has_data && ctrl_input && !strs_push(&ins, frt_strdup(ctrl_input)))
            st = oom(c);
        frt_node *n = &g->nodes[c->body_first + b];
        for (int k = 0; !st && k < ins.n; k++) st = frt_node_try_add_input(n, ins.v[k]);
        strs_free(&ins);
    }
    free(ctrl_node);
    free(ctrl_input);

    /* The call node becomes IdentityN over the rets (NoOp without outputs), after every
     * control output. */
    strs rets = {0};
    int n_types = 0;
    frt_dtype *types = NULL;
    for (int o = 0; o < fn->n_out && !st; o++) {
        const frt_func_arg *arg = &fn->out[o];
        frt_dtype *t = NULL;
        int cnt;
        st = arg_types(c, arg, true, n_types, &t, &cnt);
        if (st) break;
        frt_dtype *nt = frt_realloc(types, (size_t)(n_types + cnt) * sizeof *types + 1);
        if (!nt) {
            free(t);
            st = oom(c);
            break;
        }
        types = nt;
        memcpy(types + n_types, t, (size_t)cnt * sizeof *t);
        free(t);
        n_types += cnt;
        const char *r = frt_function_find_ret(fn, false, arg->name);
        if (!r) {
            st = err(c, "output arg '%s' has no ret entry%s", arg->name, "");
            break;
        }
        int before = rets.n;
        st = translate(in, c, r, "ret", &rets);
        if (!st && rets.n - before != cnt) {
            char msg[64];
            snprintf(msg, sizeof msg, "%d tensors, the signature says %d", rets.n - before, cnt);
            st = err(c, "ret '%s' names %s", r, msg);
        }
    }
    for (int k = 0; k < fn->n_control_ret && !st; k++) {
        char *cr = join("^", "", fn->control_ret[k].value);
        st = cr ? translate(in, c, cr, "control_ret", &rets) : oom(c);
        free(cr);
    }
    char *op = st ? NULL : frt_strdup(n_types > 0 ? "IdentityN" : "NoOp");
    if (!st && !op) st = oom(c);
    if (!st) {
        frt_node *n = &g->nodes[ci];
        for (int k = 0; k < n->n_inputs; k++) free(n->inputs[k]);
        n->n_inputs = 0;
        for (int k = 0; k < rets.n && !st; k++) st = frt_node_try_add_input(n, rets.v[k]);
        frt_attrs_deinit(&n->attrs);
        free(n->op);
        n->op = op; /* the graph is freed on error: it only has to stay freeable */
        if (!st && n_types > 0) {
            frt_attr_value v = {.kind = FRT_ATTR_LIST};
            v.v.list.elem = FRT_ATTR_TYPE;
            v.v.list.n = n_types;
            v.v.list.v.type = types;
            types = NULL;
            st = frt_attrs_try_set(&n->attrs, "T", &v);
            if (st) frt_attr_value_deinit(&v);
        }
    }
    free(types);
    strs_free(&rets);
    return st;
}

static frt_status *inline_node(inliner *in, int ci, const frt_function *fn,
                               const frt_attrs *bind, bool partitioned) {
    const frt_node *n = &in->g->nodes[ci];
    call c = {0};
    c.fn = fn;
    c.partitioned = partitioned;
    frt_attrs_init(&c.bind);
    frt_attrs_init(&c.call_attrs);
    c.name = frt_strdup(n->name);
    c.device = frt_strdup(n->device);
    frt_status *st = c.name && c.device ? NULL : frt_status_oom("inlining call node '%s'", n->name);
    if (!st && bind) st = frt_attrs_try_copy(&c.bind, bind);
    if (!st) st = frt_attrs_try_copy(&c.call_attrs, &n->attrs);
    if (!st) {
        c.data = frt_calloc((size_t)n->n_inputs + 1, sizeof *c.data);
        c.ctrl = frt_calloc((size_t)n->n_inputs + 1, sizeof *c.ctrl);
        if (!c.data || !c.ctrl) st = frt_status_oom("inlining call node '%s'", n->name);
    }
    for (int k = 0; !st && k < n->n_inputs; k++) {
        char *s = frt_strdup(n->inputs[k]);
        if (!s) st = frt_status_oom("inlining call node '%s'", n->name);
        else if (n->inputs[k][0] == '^') c.ctrl[c.n_ctrl++] = s;
        else c.data[c.n_data++] = s;
    }
    if (!st) st = expand(in, &c, ci);
    call_deinit(&c);
    return st;
}

static bool is_partitioned_call(const char *op) {
    return strcmp(op, "PartitionedCall") == 0 || strcmp(op, "StatefulPartitionedCall") == 0;
}

/* ---- counting before expanding ----------------------------------------------------------- */

/* Nested calls multiply, so the expansion is counted before any of it is built (see
 * FRT_INLINE_MAX_ADDED_NODES): one walk over each function body per control-input variant,
 * memoised, instead of one per call. */
typedef struct sizer {
    const frt_function_lib *lib;
    int cap;              /* hash slots, a power of two */
    int *slot;            /* function index + 1, 0 = empty */
    uint64_t *memo;       /* [2 * fn + ctrl]: nodes one call of fn adds, less its boundary */
    unsigned char *state; /* [2 * fn + ctrl]: 0 not counted, 1 being counted, 2 counted */
} sizer;

static uint64_t sat_add(uint64_t a, uint64_t b) {
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint32_t hash_name(const char *s) {
    uint32_t h = 2166136261u;  /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Index of the function named name (the first of that name, as frt_function_lib_find), or -1. */
static int sizer_find(const sizer *s, const char *name) {
    if (!name || s->cap == 0) return -1;
    uint32_t mask = (uint32_t)s->cap - 1;
    for (uint32_t h = hash_name(name) & mask;; h = (h + 1) & mask) {
        int k = s->slot[h] - 1;
        if (k < 0) return -1;
        if (strcmp(s->lib->fns[k]->name, name) == 0) return k;
    }
}

static frt_status *sizer_init(sizer *s, const frt_function_lib *lib) {
    memset(s, 0, sizeof *s);
    s->lib = lib;
    if (!lib || lib->n == 0) return NULL;
    s->cap = 16;
    while (s->cap < 2 * lib->n) s->cap *= 2;
    s->slot = frt_calloc((size_t)s->cap, sizeof *s->slot);
    s->memo = frt_calloc(2 * (size_t)lib->n, sizeof *s->memo);
    s->state = frt_calloc(2 * (size_t)lib->n, sizeof *s->state);
    if (!s->slot || !s->memo || !s->state) {
        s->cap = 0; /* sizer_deinit frees what was had */
        return frt_status_oom("inlining a library of %d functions", lib->n);
    }
    for (int k = 0; k < lib->n; k++) {
        if (sizer_find(s, lib->fns[k]->name) >= 0) continue;  /* a duplicate: first wins */
        uint32_t mask = (uint32_t)s->cap - 1, h = hash_name(lib->fns[k]->name) & mask;
        while (s->slot[h]) h = (h + 1) & mask;
        s->slot[h] = k + 1;
    }
    return NULL;
}

static void sizer_deinit(sizer *s) {
    free(s->slot);
    free(s->memo);
    free(s->state);
}

/* The function a node with this op and these attrs calls (as frt_graph_inline_functions
 * finds it), or -1. */
static int sizer_callee(const sizer *s, const char *op, const frt_attrs *attrs) {
    if (is_partitioned_call(op)) {
        const frt_attr_value *f = frt_attrs_find(attrs, "f");
        if (!f || f->kind != FRT_ATTR_FUNC) return -1;  /* an error when expanded */
        return sizer_find(s, f->v.func.name ? f->v.func.name : "");
    }
    return sizer_find(s, op);
}

/* The nodes one call of function k adds besides its boundary (input_control_node, argument
 * Identities): the body nodes, and for each body call node its boundary and, recursively,
 * what its callee adds. ctrl: whether the call has control inputs. level: nesting depth, to
 * bound this recursion as expand bounds the real one. */
static uint64_t body_nodes(sizer *s, int k, bool ctrl, int level) {
    size_t m = 2 * (size_t)k + ctrl;
    if (s->state[m] == 2) return s->memo[m];
    /* Recursion, or nesting deeper than expand allows: expand refuses it when it gets
     * there, and the per-node check in add_node bounds what it builds before. */
    if (s->state[m] == 1 || level > MAX_DEPTH + 2) return 0;
    s->state[m] = 1;
    const frt_function *fn = s->lib->fns[k];
    uint64_t n = (uint64_t)fn->n_nodes;
    for (int b = 0; b < fn->n_nodes; b++) {
        const frt_func_node *bn = &fn->nodes[b];
        int callee = sizer_callee(s, bn->op, &bn->attrs);
        if (callee < 0) continue;
        /* As expand translates bn's inputs: each "^x" stays a control input, a node without
         * data inputs waits on input_control_node, each data input is counted as one tensor
         * (one argument Identity of the callee). */
        uint64_t data = 0;
        bool has_ctrl = false;
        for (int i = 0; i < bn->n_inputs; i++) {
            if (bn->inputs[i][0] == '^') has_ctrl = true;
            else data++;
        }
        if (data == 0 && ctrl) has_ctrl = true;
        n = sat_add(n, sat_add(data + has_ctrl, body_nodes(s, callee, has_ctrl, level + 1)));
    }
    s->memo[m] = n;
    s->state[m] = 2;
    return n;
}

frt_status *frt_graph_inline_count(const frt_graph *g, uint64_t *added, int *worst,
                                   uint64_t *worst_n) {
    *added = 0;
    int best = -1;
    uint64_t best_n = 0;
    sizer s;
    frt_status *st = sizer_init(&s, frt_graph_library(g));
    for (int i = 0; i < g->n_nodes && !st && s.cap > 0; i++) {
        const frt_node *n = &g->nodes[i];
        int callee = sizer_callee(&s, n->op, &n->attrs);
        if (callee < 0) continue;
        uint64_t data = 0;
        bool ctrl = false;
        for (int k = 0; k < n->n_inputs; k++) {
            if (n->inputs[k][0] == '^') ctrl = true;
            else data++;
        }
        uint64_t c = sat_add(data + ctrl, body_nodes(&s, callee, ctrl, 1));
        *added = sat_add(*added, c);
        if (best < 0 || c > best_n) best = i, best_n = c;
    }
    sizer_deinit(&s);
    if (worst) *worst = best;
    if (worst_n) *worst_n = best_n;
    return st;
}

/* count as text; UINT64_MAX is a saturated count. */
static const char *count_str(char *buf, size_t n, uint64_t count) {
    if (count == UINT64_MAX) snprintf(buf, n, "more than %llu", (unsigned long long)(count - 1));
    else snprintf(buf, n, "%llu", (unsigned long long)count);
    return buf;
}

frt_status *frt_graph_inline_functions(frt_graph *g) {
    return frt_graph_inline_functions_limited(g, FRT_INLINE_MAX_ADDED_NODES);
}

frt_status *frt_graph_inline_functions_limited(frt_graph *g, uint64_t max_added) {
    if (g->finalized)
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "functions must be inlined before the graph is finalized");
    const frt_function_lib *lib = frt_graph_library(g);
    uint64_t added, worst_n;
    int worst;
    FRT_TRY(frt_graph_inline_count(g, &added, &worst, &worst_n));
    if (added > max_added) {
        const frt_node *w = &g->nodes[worst];
        const frt_attr_value *f = frt_attrs_find(&w->attrs, "f");
        const char *fname = !is_partitioned_call(w->op) ? w->op
                            : f->v.func.name ? f->v.func.name : "";
        char a[48], b[64] = "";
        if (added != worst_n)
            snprintf(b, sizeof b, " (all calls: %s)", count_str(a, sizeof a, added));
        return frt_status_new(FRT_RESOURCE_EXHAUSTED,
                              "inlining function '%s' at call node '%s' would add %s nodes to "
                              "the graph%s, more than the limit of %llu (nested calls "
                              "multiply)", fname, w->name, count_str(a, sizeof a, worst_n), b,
                              (unsigned long long)max_added);
    }
    inliner in = {.g = g, .lib = lib, .base_nodes = g->n_nodes, .max_added = max_added};
    frt_status *st = NULL;
    /* Nodes added by an expansion are appended, so nested calls are met later in the loop. */
    for (int i = 0; i < g->n_nodes && !st; i++) {
        const frt_node *n = &g->nodes[i];
        if (is_partitioned_call(n->op)) {
            const frt_attr_value *f = frt_attrs_find(&n->attrs, "f");
            if (!f || f->kind != FRT_ATTR_FUNC) {
                st = frt_status_new(FRT_INVALID_ARGUMENT,
                                    "call node '%s' (%s) has no func attr 'f'", n->name, n->op);
                break;
            }
            const char *fname = f->v.func.name ? f->v.func.name : "";
            const frt_function *fn = frt_function_lib_find(lib, fname);
            if (!fn) {
                st = frt_status_new(FRT_NOT_FOUND,
                                    "call node '%s' (%s) calls function '%s', which is not in "
                                    "the graph's function library",
                                    n->name, n->op, fname);
                break;
            }
            st = inline_node(&in, i, fn, f->v.func.attrs, true);
        } else {
            const frt_function *fn = frt_function_lib_find(lib, n->op);
            if (fn) st = inline_node(&in, i, fn, &n->attrs, false);
        }
    }
    free(in.frames);
    free(in.node_frame);
    return st;
}
