/* graph/fuse.c: TF Grappler remapper-style fusions on the working graph.
 *  - Conv2D / DepthwiseConv2dNative (float, Const filter) followed by any run of
 *      Mul by a Const scalar or per-output-channel vector  (folded into a new, scaled filter),
 *      BiasAdd / Add / AddV2 of such a Const, Sub of one (either side: K - x negates the scale),
 *      FusedBatchNorm / V2 / V3 in inference mode on Const vectors (as Mul + Add: TF1 slim
 *      graphs; only output 0 in use),
 *    then optionally Relu / Relu6 / Elu / LeakyRelu, becomes one node named like the chain's
 *    last node: _FusedConv2D / _FusedDepthwiseConv2dNative (fused_ops ["BiasAdd"(, act)],
 *    TF 2.21's attrs) when there is a bias or an activation, else the plain conv with the
 *    scaled filter. The per-channel scales and shifts of Keras 3's unfused batch norms
 *    (x * scale + shift after constant folding) vanish this way.
 *  - A Pad / PadV2 (constant 0, spatial pads only) whose output only such a conv reads, when
 *    the conv pads VALID or EXPLICIT, folds into the conv's explicit_paddings (TF accepts
 *    EXPLICIT on Conv2D, _FusedConv2D and DepthwiseConv2dNative). EXPLICIT pads that equal
 *    SAME's for the statically known input size (Keras' ZeroPadding2D before stride-2
 *    convs) become SAME, so a depthwise conv still fuses; otherwise a depthwise chain that
 *    would fuse keeps its Pad (_FusedDepthwiseConv2dNative has no EXPLICIT).
 *  - MatMul (float) + BiasAdd / Add / AddV2 of a Const vector over columns (+ activation)
 *    becomes _FusedMatMul.
 * A chain grows only through tensors used by exactly one node and not fetched, fed or
 * targeted, whose producers have no control successors; control inputs of the chain's nodes
 * move to the fused node. Rewrites change results only by float reassociation (the scale is
 * applied to the filter instead of the product).
 * Owns: the patterns and the attrs of the fused nodes. Does not own: the fused kernels
 * (kernels/conv.c, kernels/matmul.c), the working graph (optimize.c).
 * Thread-safety: one working graph per call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph/optimize_impl.h"
#include "core/alloc.h"

#define MAX_CHAIN 16

static frt_dtype type_of(const frt_opt_node *n) {
    const frt_attr_value *v = frt_attrs_find(&n->attrs, "T");
    return v && v->kind == FRT_ATTR_TYPE ? v->v.type : FRT_DTYPE_INVALID;
}

static const char *str_attr(const frt_opt_node *n, const char *key, const char *def) {
    const frt_attr_value *v = frt_attrs_find(&n->attrs, key);
    return v && v->kind == FRT_ATTR_S && v->v.s.ptr ? v->v.s.ptr : def;
}

static bool is_activation(const char *op) {
    return !strcmp(op, "Relu") || !strcmp(op, "Relu6") || !strcmp(op, "Elu") ||
           !strcmp(op, "LeakyRelu");
}

/* Whether outputs 1.. of node i (FusedBatchNorm's batch statistics) are neither used nor
 * fed, so that the node may become a one-output node. */
static bool only_output0_used(const frt_opt_graph *w, int i) {
    for (int k = 1; k < w->nodes[i].n_outputs; k++) {
        frt_edge e = {i, k};
        if (frt_opt_edge_fed(w, e) || frt_opt_uses(w, e, NULL) != 0) return false;
    }
    return true;
}

/* The only consumer of output 0 of node i (and its input slot), or -1 when that tensor has
 * other uses, is fetched or fed, or i is pinned, has control successors or other outputs in
 * use. */
static int sole_consumer(const frt_opt_graph *w, int i, int *slot) {
    const frt_opt_node *n = &w->nodes[i];
    frt_edge e = {i, 0};
    int cuses = 0;
    if (n->n_outputs < 1 || frt_opt_pinned(w, i) || frt_opt_edge_fed(w, e) ||
        frt_opt_uses(w, e, &cuses) != 1 || cuses != 0 || !only_output0_used(w, i))
        return -1;
    for (int j = 0; j < w->n; j++) {
        const frt_opt_node *m = &w->nodes[j];
        for (int k = 0; m->live && k < m->n_data; k++)
            if (m->data[k].node == i && m->data[k].index == 0) {
                *slot = k;
                return j;
            }
    }
    return -1; /* the one use is a fetch */
}

/* A float Const broadcast along the channel axis only: a scalar (any rank up to out_rank
 * with every dim 1) or, for channels-last layouts, [..., 1, oc]. */
static bool channel_const(const frt_tensor *k, int64_t oc, int out_rank, bool channels_last) {
    if (k->dtype != FRT_DTYPE_FLOAT || k->ndim > out_rank) return false;
    for (int d = 0; d + 1 < k->ndim; d++)
        if (k->dims[d] != 1) return false;
    if (k->n == 1) return true;
    return channels_last && k->ndim >= 1 && k->dims[k->ndim - 1] == oc;
}

static float channel_at(const frt_tensor *k, int64_t c) {
    return frt_tensor_f32(k)[k->n == 1 ? 0 : c];
}

typedef struct chain {
    int nodes[MAX_CHAIN];
    int len;
    const char *act;   /* activation op, or NULL */
    float alpha;       /* LeakyRelu's alpha */
    bool has_bias, scaled;
    float *scale, *bias; /* conv: oc each */
    const frt_tensor *kbias; /* MatMul: the bias Const */
} chain;

static bool is_fused_bn(const char *op) {
    return !strcmp(op, "FusedBatchNorm") || !strcmp(op, "FusedBatchNormV2") ||
           !strcmp(op, "FusedBatchNormV3");
}

/* FusedBatchNorm* u in inference mode (is_training false; its default is true) on constant
 * float vectors of oc channels, in the conv's data_format, only output 0 in use:
 * y = x * a + (offset - mean * a) with a = scale * rsqrt(variance + epsilon), computed in
 * float as kernels/batch_norm.c (and TF's CPU kernel) does. */
static bool bn_step(const frt_opt_graph *w, chain *ch, int u, int slot, int64_t oc, bool nchw) {
    const frt_opt_node *un = &w->nodes[u];
    if (slot != 0 || un->n_data != 5) return false;
    bool training = true;
    float eps = 1e-4f;
    frt_dtype ut = FRT_DTYPE_FLOAT;
    frt_status *st = frt_attr_get_bool(&un->attrs, "is_training", true, &training);
    if (!st) st = frt_attr_get_float(&un->attrs, "epsilon", 1e-4f, &eps);
    if (!st) st = frt_attr_get_type(&un->attrs, "U", FRT_DTYPE_FLOAT, &ut);
    if (st) { /* malformed attrs: the kernel reports them */
        frt_status_free(st);
        return false;
    }
    if (training || ut != FRT_DTYPE_FLOAT ||
        strcmp(str_attr(un, "data_format", "NHWC"), nchw ? "NCHW" : "NHWC") ||
        !only_output0_used(w, u))
        return false;
    const float *v[4];
    for (int k = 0; k < 4; k++) {
        const frt_tensor *t = frt_opt_const_value(w, un->data[1 + k]);
        if (!t || t->dtype != FRT_DTYPE_FLOAT || t->ndim != 1 || t->dims[0] != oc) return false;
        v[k] = frt_tensor_f32(t);
    }
    for (int64_t c = 0; c < oc; c++) {
        float a = v[0][c] * (1.0f / sqrtf(v[3][c] + eps));
        float b = v[1][c] - v[2][c] * a;
        ch->scale[c] *= a;
        ch->bias[c] = ch->bias[c] * a + b;
    }
    ch->scaled = ch->has_bias = true;
    return true;
}

/* One step of a conv chain through consumer u (input slot `slot`) of the chain's end.
 * false: u does not fit; the chain ends before it. */
static bool conv_step(const frt_opt_graph *w, chain *ch, int u, int slot, int64_t oc,
                      bool nchw) {
    const frt_opt_node *un = &w->nodes[u];
    if (!un->region || type_of(un) != FRT_DTYPE_FLOAT) return false;
    if (is_activation(un->op)) {
        if (slot != 0 || un->n_data != 1) return false;
        ch->act = un->op;
        ch->alpha = 0.2f;
        const frt_attr_value *a = frt_attrs_find(&un->attrs, "alpha");
        if (a && a->kind == FRT_ATTR_F) ch->alpha = a->v.f;
        return true;
    }
    if (is_fused_bn(un->op)) return bn_step(w, ch, u, slot, oc, nchw);
    if (un->n_data != 2) return false;
    const frt_tensor *k = frt_opt_const_value(w, un->data[1 - slot]);
    if (!k) return false;
    if (!strcmp(un->op, "BiasAdd")) {
        if (slot != 0 || k->dtype != FRT_DTYPE_FLOAT || k->ndim != 1 || k->dims[0] != oc ||
            strcmp(str_attr(un, "data_format", "NHWC"), nchw ? "NCHW" : "NHWC"))
            return false;
        for (int64_t c = 0; c < oc; c++) ch->bias[c] += frt_tensor_f32(k)[c];
        ch->has_bias = true;
        return true;
    }
    if (!channel_const(k, oc, 4, !nchw)) return false;
    if (!strcmp(un->op, "Mul")) {
        for (int64_t c = 0; c < oc; c++) {
            ch->scale[c] *= channel_at(k, c);
            ch->bias[c] *= channel_at(k, c);
        }
        ch->scaled = true;
    } else if (!strcmp(un->op, "Add") || !strcmp(un->op, "AddV2")) {
        for (int64_t c = 0; c < oc; c++) ch->bias[c] += channel_at(k, c);
        ch->has_bias = true;
    } else if (!strcmp(un->op, "Sub") && slot == 0) {
        for (int64_t c = 0; c < oc; c++) ch->bias[c] -= channel_at(k, c);
        ch->has_bias = true;
    } else if (!strcmp(un->op, "Sub")) { /* K - x */
        for (int64_t c = 0; c < oc; c++) {
            ch->scale[c] = -ch->scale[c];
            ch->bias[c] = channel_at(k, c) - ch->bias[c];
        }
        ch->scaled = ch->has_bias = true;
    } else {
        return false;
    }
    return true;
}

/* Grows a chain from node `start` with conv_step (step == NULL: MatMul's bias steps). */
static void grow(const frt_opt_graph *w, chain *ch, int start,
                 bool (*step)(const frt_opt_graph *, chain *, int, int, int64_t, bool),
                 int64_t oc, bool nchw) {
    ch->nodes[0] = start;
    ch->len = 1;
    int cur = start, slot = 0;
    while (ch->len < MAX_CHAIN && !ch->act) {
        int u = sole_consumer(w, cur, &slot);
        if (u < 0 || !step(w, ch, u, slot, oc, nchw)) break;
        ch->nodes[ch->len++] = u;
        cur = u;
    }
}

/* Whether the caller lets op replace these nodes (placement: one device that has op). */
static bool may_fuse(const frt_opt_graph *w, const char *op, const frt_attrs *attrs,
                     const int *nodes, int n) {
    return !w->opts.may_fuse || w->opts.may_fuse(w->opts.may_fuse_ctx, op, attrs, nodes, n);
}

static frt_tensor *f32_tensor(const int64_t *dims, int ndim) {
    frt_tensor *t = NULL;
    frt_status *st = frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_FLOAT, dims, ndim,
                                      &t);
    if (st) { /* out of memory: the fusion is skipped */
        frt_status_free(st);
        return NULL;
    }
    return t;
}

/* Out of memory sets w->oom in these setters (the fusion is then abandoned). */
static void copy_attr(frt_opt_graph *w, frt_attrs *dst, const frt_attrs *src, const char *key) {
    const frt_attr_value *v = frt_attrs_find(src, key);
    if (!v || w->oom) return;
    frt_attr_value c;
    frt_status *st = frt_attr_value_try_copy(&c, v);
    if (st) {
        frt_status_free(st);
        w->oom = true;
        return;
    }
    frt_opt_set_attr(w, dst, key, &c);
}

static void set_int(frt_opt_graph *w, frt_attrs *a, const char *key, int64_t i) {
    frt_attr_value v = {.kind = FRT_ATTR_I, .v.i = i};
    frt_opt_set_attr(w, a, key, &v);
}

static void set_float(frt_opt_graph *w, frt_attrs *a, const char *key, float f) {
    frt_attr_value v = {.kind = FRT_ATTR_F, .v.f = f};
    frt_opt_set_attr(w, a, key, &v);
}

/* A string attr value (S); false when out of memory. */
static bool str_value(const char *s, frt_string *out) {
    out->ptr = frt_strdup(s);
    out->len = out->ptr ? strlen(s) : 0;
    return out->ptr != NULL;
}

/* fused_ops = ["BiasAdd"(, act)], num_args = 1, epsilon and leakyrelu_alpha. */
static void set_fused_attrs(frt_opt_graph *w, frt_attrs *a, const chain *ch) {
    frt_attr_value v = {.kind = FRT_ATTR_LIST};
    v.v.list.elem = FRT_ATTR_S;
    v.v.list.v.s = frt_calloc(2, sizeof(frt_string));
    const char *ops[2] = {"BiasAdd", ch->act};
    bool ok = v.v.list.v.s != NULL;
    for (int i = 0; ok && i < (ch->act ? 2 : 1); i++)
        if ((ok = str_value(ops[i], &v.v.list.v.s[i]))) v.v.list.n++;
    if (!ok) {
        frt_attr_value_deinit(&v);
        w->oom = true;
        return;
    }
    frt_opt_set_attr(w, a, "fused_ops", &v);
    set_int(w, a, "num_args", 1);
    set_float(w, a, "epsilon", 0.0001f);
    set_float(w, a, "leakyrelu_alpha",
              ch->act && !strcmp(ch->act, "LeakyRelu") ? ch->alpha : 0.2f);
}

/* Rewrites the chain's last node into op(inputs, attrs), moves the chain's control inputs
 * to it, and drops the other chain nodes. attrs are moved in (freed when out of memory,
 * which sets w->oom and leaves the chain as it was). */
static void replace_chain(frt_opt_graph *w, const chain *ch, const char *op,
                          const frt_edge *inputs, int nin, frt_attrs *attrs) {
    int last = ch->nodes[ch->len - 1];
    int nctrl = 0;
    for (int i = 0; i < ch->len; i++) nctrl += w->nodes[ch->nodes[i]].n_ctrl;
    int *ctrl = frt_malloc((size_t)nctrl * sizeof *ctrl + 1), nc = 0;
    char *op_copy = frt_strdup(op);
    frt_edge *data = frt_malloc((size_t)nin * sizeof *data);
    if (!ctrl || !op_copy || !data || w->oom) {
        free(ctrl);
        free(op_copy);
        free(data);
        frt_attrs_deinit(attrs);
        w->oom = true;
        return;
    }
    for (int i = 0; i < ch->len; i++) {
        const frt_opt_node *n = &w->nodes[ch->nodes[i]];
        for (int k = 0; k < n->n_ctrl; k++) {
            bool dup = false;
            for (int j = 0; j < nc; j++) dup = dup || ctrl[j] == n->ctrl[k];
            if (!dup) ctrl[nc++] = n->ctrl[k];
        }
    }
    frt_opt_node *l = &w->nodes[last];
    l->device = w->nodes[ch->nodes[0]].device;
    free(l->op);
    l->op = op_copy;
    frt_attrs_deinit(&l->attrs);
    l->attrs = *attrs;
    free(l->data);
    l->data = data;
    memcpy(l->data, inputs, (size_t)nin * sizeof *l->data);
    l->n_data = nin;
    free(l->ctrl);
    l->ctrl = ctrl;
    l->n_ctrl = nc;
    l->n_outputs = 1;
    l->is_const = false;
    for (int i = 0; i + 1 < ch->len; i++) w->nodes[ch->nodes[i]].live = false;
}

/* ---- padding: Pad folding and EXPLICIT normalisation ---------------------------------- */

#define MAX_PAD_FOLD (1 << 20) /* larger pads stay a Pad (and its errors stay its own) */

/* The conv's padding after the rewrite: mode, and for EXPLICIT the 8 explicit_paddings. */
typedef struct pad_plan {
    int pad;          /* the Pad / PadV2 folded in, or -1 */
    const char *mode; /* "VALID", "SAME" or "EXPLICIT" */
    int64_t pads[8];  /* data_format order */
} pad_plan;

/* The Pad / PadV2 producing conv c's input that may fold into it (float; paddings a Const
 * int32/int64 [4, 2] with zero batch and channel rows, spatial rows in [0, MAX_PAD_FOLD];
 * PadV2's constant_values a scalar Const +0.0; its output used only by the conv), its
 * paddings added to pads; else -1. */
static int foldable_pad(const frt_opt_graph *w, int c, bool nchw, int64_t pads[8]) {
    frt_edge in = w->nodes[c].data[0];
    const frt_opt_node *p = &w->nodes[in.node];
    bool v2 = !strcmp(p->op, "PadV2");
    int slot = -1;
    if (!p->live || !p->region || in.index != 0 || (!v2 && strcmp(p->op, "Pad")) ||
        type_of(p) != FRT_DTYPE_FLOAT || p->n_data != (v2 ? 3 : 2) ||
        sole_consumer(w, in.node, &slot) != c || slot != 0)
        return -1;
    const frt_tensor *pd = frt_opt_const_value(w, p->data[1]);
    if (!pd || pd->ndim != 2 || pd->dims[0] != 4 || pd->dims[1] != 2 ||
        (pd->dtype != FRT_DTYPE_INT32 && pd->dtype != FRT_DTYPE_INT64))
        return -1;
    if (v2) {
        const frt_tensor *cv = frt_opt_const_value(w, p->data[2]);
        if (!cv || cv->dtype != FRT_DTYPE_FLOAT || cv->ndim != 0 ||
            frt_tensor_f32(cv)[0] != 0.0f || signbit(frt_tensor_f32(cv)[0]))
            return -1;
    }
    int64_t v[8];
    for (int k = 0; k < 8; k++)
        v[k] = pd->dtype == FRT_DTYPE_INT32 ? frt_tensor_i32(pd)[k]
                                            : frt_tensor_i64(pd)[k];
    int ci = nchw ? 1 : 3;
    for (int k = 0; k < 8; k++)
        if (v[k] < 0 || v[k] > MAX_PAD_FOLD || ((k / 2 == 0 || k / 2 == ci) && v[k] != 0))
            return -1;
    for (int k = 0; k < 8; k++) pads[k] += v[k];
    return in.node;
}

/* Whether SAME padding on input size `in` gives the same windows as explicit pads (pb, pa):
 * the same leading pad and the same output size (TF's GetWindowedOutputSize). */
static bool same_matches(int64_t in, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pa) {
    if (in <= 0 || k <= 0 || s <= 0 || d <= 0) return false;
    int64_t keff = (k - 1) * d + 1, out = (in + s - 1) / s;
    int64_t need = (out - 1) * s + keff - in;
    if (need < 0) need = 0;
    return pb == need / 2 && in + pb + pa >= keff && (in + pb + pa - keff) / s + 1 == out;
}

/* The padding of conv c (filter f) with pp->pad folded in (when allow_pad): false when
 * nothing changes (no Pad to fold and the conv's padding is not EXPLICIT) or the attrs are
 * not understood (the kernel reports those). EXPLICIT becomes VALID when every pad is 0, or SAME when the input's
 * spatial size is statically known and SAME pads it the same way (as Keras' ZeroPadding2D
 * before a stride-2 VALID conv does): TF's _FusedDepthwiseConv2dNative has no EXPLICIT. */
static bool plan_padding(frt_opt_graph *w, int c, const frt_tensor *f, bool nchw,
                         bool allow_pad, pad_plan *pp) {
    const frt_opt_node *cn = &w->nodes[c];
    memset(pp, 0, sizeof *pp);
    pp->pad = -1;
    const char *mode = str_attr(cn, "padding", "");
    if (!strcmp(mode, "EXPLICIT")) {
        int np = 0;
        frt_status *st = frt_attr_get_int_list(&cn->attrs, "explicit_paddings", 8, pp->pads, &np);
        if (st || np != 8) {
            frt_status_free(st);
            return false;
        }
        for (int k = 0; k < 8; k++)
            if (pp->pads[k] < 0 || pp->pads[k] > MAX_PAD_FOLD) return false;
    } else if (strcmp(mode, "VALID")) {
        return false;
    }
    if (allow_pad) pp->pad = foldable_pad(w, c, nchw, pp->pads);
    if (pp->pad < 0 && strcmp(mode, "EXPLICIT")) return false;
    int ci = nchw ? 1 : 3, hi = nchw ? 2 : 1, wi = hi + 1;
    if (pp->pads[0] || pp->pads[1] || pp->pads[2 * ci] || pp->pads[2 * ci + 1]) return false;
    bool zero = true;
    for (int k = 0; k < 8; k++) zero = zero && pp->pads[k] == 0;
    pp->mode = zero ? "VALID" : "EXPLICIT";
    int64_t st[8], dil[8];
    int ns = 0, nd = 0;
    frt_status *e = frt_attr_get_int_list(&cn->attrs, "strides", 8, st, &ns);
    if (!e) e = frt_attr_get_int_list(&cn->attrs, "dilations", 8, dil, &nd);
    if (e || ns != 4 || (nd != 0 && nd != 4)) {
        frt_status_free(e);
        return false; /* malformed: left for the kernel to report */
    }
    if (nd == 0) dil[hi] = dil[wi] = 1;
    if (zero) return true;
    frt_edge input = pp->pad >= 0 ? w->nodes[pp->pad].data[0] : cn->data[0];
    frt_shape xs = frt_opt_shape(w, input);
    if (xs.ndim == 4 &&
        same_matches(xs.dims[hi], f->dims[0], st[hi], dil[hi], pp->pads[2 * hi],
                     pp->pads[2 * hi + 1]) &&
        same_matches(xs.dims[wi], f->dims[1], st[wi], dil[wi], pp->pads[2 * wi],
                     pp->pads[2 * wi + 1]))
        pp->mode = "SAME";
    return true;
}

/* Rewrites conv c's padding attrs to pp; a folded Pad's input and control inputs move to the
 * conv and the Pad goes. Out of memory sets w->oom. */
static void apply_padding(frt_opt_graph *w, int c, const pad_plan *pp) {
    frt_opt_node *cn = &w->nodes[c];
    if (pp->pad >= 0) {
        frt_opt_node *p = &w->nodes[pp->pad];
        int *ctrl = frt_realloc(cn->ctrl, (size_t)(cn->n_ctrl + p->n_ctrl) * sizeof *ctrl + 1);
        if (!ctrl) {
            w->oom = true;
            return;
        }
        cn->ctrl = ctrl;
        cn->data[0] = p->data[0];
        for (int k = 0; k < p->n_ctrl; k++) {
            bool dup = false;
            for (int j = 0; j < cn->n_ctrl; j++) dup = dup || cn->ctrl[j] == p->ctrl[k];
            if (!dup) cn->ctrl[cn->n_ctrl++] = p->ctrl[k];
        }
        p->live = false;
    }
    frt_attr_value m = {.kind = FRT_ATTR_S};
    if (!str_value(pp->mode, &m.v.s)) {
        w->oom = true;
        return;
    }
    frt_opt_set_attr(w, &cn->attrs, "padding", &m);
    frt_attr_value l = {.kind = FRT_ATTR_LIST};
    bool expl = !strcmp(pp->mode, "EXPLICIT");
    l.v.list.elem = expl ? FRT_ATTR_I : FRT_ATTR_NONE;
    l.v.list.n = expl ? 8 : 0;
    if (expl) {
        if (!(l.v.list.v.i = frt_malloc(8 * sizeof(int64_t)))) {
            w->oom = true;
            return;
        }
        memcpy(l.v.list.v.i, pp->pads, 8 * sizeof(int64_t));
    }
    frt_opt_set_attr(w, &cn->attrs, "explicit_paddings", &l);
}

static void fuse_conv(frt_opt_graph *w, int c) {
    const frt_opt_node *cn = &w->nodes[c];
    bool dw = !strcmp(cn->op, "DepthwiseConv2dNative");
    if (!dw && strcmp(cn->op, "Conv2D")) return;
    if (type_of(cn) != FRT_DTYPE_FLOAT || cn->n_data != 2) return;
    const frt_tensor *f = frt_opt_const_value(w, cn->data[1]);
    if (!f || f->dtype != FRT_DTYPE_FLOAT || f->ndim != 4) return;
    const char *fmt = str_attr(cn, "data_format", "NHWC");
    bool nchw = !strcmp(fmt, "NCHW");
    if (!nchw && strcmp(fmt, "NHWC")) return;
    int64_t oc = dw ? f->dims[2] * f->dims[3] : f->dims[3];
    if (oc <= 0) return;
    chain ch = {.scale = frt_malloc((size_t)oc * sizeof(float)),
                .bias = frt_calloc((size_t)oc, sizeof(float))};
    if (!ch.scale || !ch.bias) {
        free(ch.scale);
        free(ch.bias);
        w->oom = true;
        return;
    }
    for (int64_t i = 0; i < oc; i++) ch.scale[i] = 1.0f;
    grow(w, &ch, c, conv_step, oc, nchw);
    bool fused = ch.has_bias || ch.act;
    if (ch.len > 1 && !may_fuse(w, fused ? (dw ? "_FusedDepthwiseConv2dNative" : "_FusedConv2D")
                                         : cn->op,
                                &cn->attrs, ch.nodes, ch.len)) {
        ch.len = 1;
        fused = false;
    }
    pad_plan pp;
    bool repad = plan_padding(w, c, f, nchw, true, &pp);
    if (repad && pp.pad >= 0 && !may_fuse(w, cn->op, &cn->attrs, (int[]){pp.pad, c}, 2))
        repad = plan_padding(w, c, f, nchw, false, &pp); /* keep the Pad where it runs */
    /* TF's _FusedDepthwiseConv2dNative has no EXPLICIT padding: when folding the Pad would
     * need it, the fusion wins if the conv's own padding allows one (the Pad copies the
     * input once; unfused bias and activation would each pass over the output). */
    if (fused && dw && repad && !strcmp(pp.mode, "EXPLICIT")) {
        pad_plan own;
        bool reown = plan_padding(w, c, f, nchw, false, &own);
        if (!strcmp(reown ? own.mode : str_attr(cn, "padding", ""), "EXPLICIT")) {
            ch.len = 1; /* no fusion either way: fold the Pad */
        } else {
            repad = reown;
            pp = own;
        }
    }
    if (fused && dw && !strcmp(repad ? pp.mode : str_attr(cn, "padding", ""), "EXPLICIT"))
        ch.len = 1;
    frt_tensor *nf = NULL, *nb = NULL;
    if (ch.len > 1 && ch.scaled) {
        nf = f32_tensor(f->dims, 4);
        if (nf)
            for (int64_t i = 0; i < f->n; i++)
                frt_tensor_f32(nf)[i] = frt_tensor_f32(f)[i] * ch.scale[i % oc];
        else ch.len = 1;
    }
    if (ch.len > 1 && fused) {
        nb = f32_tensor(&oc, 1);
        if (nb) memcpy(frt_tensor_f32(nb), ch.bias, (size_t)oc * sizeof(float));
        else ch.len = 1;
    }
    if (repad) {
        apply_padding(w, c, &pp);
        cn = &w->nodes[c];
    }
    if (ch.len > 1 && !w->oom) {
        char *base = frt_strdup(w->nodes[ch.nodes[ch.len - 1]].name);
        frt_edge in[3] = {w->nodes[c].data[0], w->nodes[c].data[1], {0, 0}};
        if (!base) w->oom = true;
        if (nf && base) in[1] = (frt_edge){frt_opt_add_const(w, base, "frt_fused_filter", nf), 0};
        if (nb && base) in[2] = (frt_edge){frt_opt_add_const(w, base, "frt_fused_bias", nb), 0};
        free(base);
        cn = &w->nodes[c]; /* add_const may have moved the nodes */
        frt_attrs attrs;
        frt_attrs_init(&attrs);
        const char *op = cn->op;
        if (w->oom) {
            /* replace_chain gives up too */
        } else if (!fused) {
            frt_status *st = frt_attrs_try_copy(&attrs, &cn->attrs);
            if (st) {
                frt_status_free(st);
                w->oom = true;
            }
        } else {
            static const char *conv_keys[] = {"T", "strides", "padding", "explicit_paddings",
                                              "data_format", "dilations", "use_cudnn_on_gpu"};
            static const char *dw_keys[] = {"T", "strides", "padding", "data_format",
                                            "dilations"};
            const char **keys = dw ? dw_keys : conv_keys;
            int nkeys = dw ? (int)FRT_COUNTOF(dw_keys) : (int)FRT_COUNTOF(conv_keys);
            for (int i = 0; i < nkeys; i++) copy_attr(w, &attrs, &cn->attrs, keys[i]);
            if (!dw) {
                frt_attr_value targs = {.kind = FRT_ATTR_LIST};
                targs.v.list.elem = FRT_ATTR_TYPE;
                targs.v.list.v.type = frt_calloc(1, sizeof(frt_dtype));
                if (targs.v.list.v.type) {
                    targs.v.list.n = 1;
                    targs.v.list.v.type[0] = FRT_DTYPE_FLOAT;
                    frt_opt_set_attr(w, &attrs, "TArgs", &targs);
                } else {
                    w->oom = true;
                }
            }
            set_fused_attrs(w, &attrs, &ch);
            op = dw ? "_FusedDepthwiseConv2dNative" : "_FusedConv2D";
        }
        /* replace_chain copies op before it frees cn's (op may point into it) */
        replace_chain(w, &ch, op, in, fused ? 3 : 2, &attrs);
    }
    frt_tensor_unref(nf);
    frt_tensor_unref(nb);
    free(ch.scale);
    free(ch.bias);
}

/* MatMul's steps: one bias (BiasAdd, or Add/AddV2 of a [n] / [1, n] / scalar Const when n is
 * known), then optionally an activation. */
static bool matmul_step(const frt_opt_graph *w, chain *ch, int u, int slot, int64_t n,
                        bool unused) {
    (void)unused;
    const frt_opt_node *un = &w->nodes[u];
    if (!un->region || type_of(un) != FRT_DTYPE_FLOAT) return false;
    if (is_activation(un->op)) {
        if (!ch->has_bias || slot != 0 || un->n_data != 1) return false;
        ch->act = un->op;
        ch->alpha = 0.2f;
        const frt_attr_value *a = frt_attrs_find(&un->attrs, "alpha");
        if (a && a->kind == FRT_ATTR_F) ch->alpha = a->v.f;
        return true;
    }
    if (ch->has_bias || un->n_data != 2) return false;
    const frt_tensor *k = frt_opt_const_value(w, un->data[1 - slot]);
    if (!k || k->dtype != FRT_DTYPE_FLOAT) return false;
    if (!strcmp(un->op, "BiasAdd")) {
        if (slot != 0 || k->ndim != 1 || (n >= 0 && k->dims[0] != n)) return false;
    } else if (!strcmp(un->op, "Add") || !strcmp(un->op, "AddV2")) {
        if (n < 0 || !channel_const(k, n, 2, true)) return false;
    } else {
        return false;
    }
    ch->has_bias = true;
    ch->kbias = k;
    return true;
}

static void fuse_matmul(frt_opt_graph *w, int m) {
    const frt_opt_node *mn = &w->nodes[m];
    if (strcmp(mn->op, "MatMul") || type_of(mn) != FRT_DTYPE_FLOAT || mn->n_data != 2) return;
    const frt_tensor *b = frt_opt_const_value(w, mn->data[1]);
    const frt_attr_value *tb = frt_attrs_find(&mn->attrs, "transpose_b");
    bool transb = tb && tb->kind == FRT_ATTR_B && tb->v.b;
    int64_t n = b && b->ndim == 2 ? b->dims[transb ? 0 : 1] : -1;
    chain ch = {0};
    grow(w, &ch, m, matmul_step, n, false);
    if (ch.len < 2 || !may_fuse(w, "_FusedMatMul", &mn->attrs, ch.nodes, ch.len)) return;
    const frt_tensor *k = ch.kbias;
    frt_edge in[3] = {mn->data[0], mn->data[1], {0, 0}};
    const frt_opt_node *bn = &w->nodes[ch.nodes[1]];
    int kslot = bn->data[0].node == ch.nodes[0] ? 1 : 0;
    if (k->ndim == 1 && (n < 0 || k->dims[0] == n)) {
        in[2] = bn->data[kslot]; /* already the bias vector */
    } else {
        int64_t len = n;
        frt_tensor *nb = f32_tensor(&len, 1);
        if (!nb) return;
        for (int64_t c = 0; c < n; c++) frt_tensor_f32(nb)[c] = channel_at(k, c);
        char *base = frt_strdup(w->nodes[ch.nodes[ch.len - 1]].name);
        if (base) in[2] = (frt_edge){frt_opt_add_const(w, base, "frt_fused_bias", nb), 0};
        else w->oom = true;
        free(base);
        frt_tensor_unref(nb);
        mn = &w->nodes[m];
    }
    frt_attrs attrs;
    frt_attrs_init(&attrs);
    copy_attr(w, &attrs, &mn->attrs, "transpose_a");
    copy_attr(w, &attrs, &mn->attrs, "transpose_b");
    copy_attr(w, &attrs, &mn->attrs, "T");
    set_fused_attrs(w, &attrs, &ch);
    replace_chain(w, &ch, "_FusedMatMul", in, 3, &attrs);
}

void frt_opt_fuse(frt_opt_graph *w) {
    for (int k = 0; k < w->g->n_nodes && !w->oom; k++) {
        int i = w->order[k];
        const frt_opt_node *n = &w->nodes[i];
        if (!n->live || !n->region) continue;
        if (!strcmp(n->op, "MatMul")) fuse_matmul(w, i);
        else fuse_conv(w, i);
    }
}
