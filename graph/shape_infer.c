/* graph/shape_infer.c: static shape and dtype inference (session creation), and the per-op
 * shape functions the op table points at.
 * Owns: partial shapes, broadcasting of partial shapes, windowed output sizes, constant
 * and partially known int values ("shape tensors": Shape -> StridedSlice -> Pack -> Reshape).
 * Does not own: the op table (op_registry.c), run-time shape checks (kernels).
 * Semantics follow TensorFlow's shape functions (core/ops/ and common_shape_fns.cc): an
 * error only for a statically certain contradiction; anything unknown stays unknown.
 * Thread-safety: inference reads the finalized graph; the result map is immutable. */
#include "graph/shape_infer.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- partial shapes ------------------------------------------------------------------------ */

frt_shape frt_shape_make(const int64_t *dims, int ndim) {
    frt_shape s = {.ndim = ndim};
    for (int i = 0; i < ndim && i < FRT_MAX_DIMS; i++) s.dims[i] = dims[i] < 0 ? -1 : dims[i];
    return s;
}

bool frt_shape_is_full(const frt_shape *s) {
    if (s->ndim < 0) return false;
    for (int i = 0; i < s->ndim; i++)
        if (s->dims[i] < 0) return false;
    return true;
}

char *frt_shape_fmt(const frt_shape *s, char *buf, size_t n) {
    if (s->ndim < 0) {
        snprintf(buf, n, "<unknown>");
        return buf;
    }
    size_t t = 0;
    t += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < s->ndim && t < n; i++) {
        if (s->dims[i] < 0) t += (size_t)snprintf(buf + t, n - t, "%s?", i ? "," : "");
        else t += (size_t)snprintf(buf + t, n - t, "%s%lld", i ? "," : "", (long long)s->dims[i]);
    }
    if (t < n) snprintf(buf + t, n - t, "]");
    return buf;
}

#define SFMT(s) frt_shape_fmt((s), (char[128]){0}, 128)

static frt_status *bad(const char *fmt, ...) FRT_PRINTF(1, 2);
static frt_status *bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    frt_status *st = frt_status_newv(FRT_INVALID_ARGUMENT, fmt, ap);
    va_end(ap);
    return st;
}

static bool dim_merge(int64_t a, int64_t b, int64_t *out) {
    if (a >= 0 && b >= 0 && a != b) return false;
    *out = a >= 0 ? a : b;
    return true;
}

/* Most specific shape compatible with both; false on a contradiction. */
static bool shape_merge(const frt_shape *a, const frt_shape *b, frt_shape *out) {
    if (a->ndim < 0) {
        *out = *b;
        return true;
    }
    if (b->ndim < 0) {
        *out = *a;
        return true;
    }
    if (a->ndim != b->ndim) return false;
    frt_shape r = {.ndim = a->ndim};
    for (int i = 0; i < a->ndim; i++)
        if (!dim_merge(a->dims[i], b->dims[i], &r.dims[i])) return false;
    *out = r;
    return true;
}

/* Dim arithmetic on values from files: -1 (unknown) when an operand is unknown or the
 * result overflows, so hostile sizes never reach undefined behaviour. */
static int64_t dim_add(int64_t a, int64_t b) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r)) return -1;
    return r;
}

static int64_t dim_mul(int64_t a, int64_t b) {
    int64_t r;
    if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r)) return -1;
    return r;
}

static frt_shape unknown_dims(int ndim) {
    frt_shape s = {.ndim = ndim};
    for (int i = 0; i < ndim && i < FRT_MAX_DIMS; i++) s.dims[i] = -1;
    return s;
}

/* NumPy broadcasting of partial shapes (TF's BroadcastBinaryOpOutputShapeFn). */
static frt_status *bcast2(const frt_shape *x, const frt_shape *y, frt_shape *out) {
    if (x->ndim < 0 || y->ndim < 0) {
        *out = frt_shape_unknown();
        return NULL;
    }
    int r = x->ndim > y->ndim ? x->ndim : y->ndim;
    frt_shape o = {.ndim = r};
    for (int i = 0; i < r; i++) {
        int xi = i - (r - x->ndim), yi = i - (r - y->ndim);
        int64_t a = xi >= 0 ? x->dims[xi] : 1, b = yi >= 0 ? y->dims[yi] : 1;
        if (a == 1) o.dims[i] = b;
        else if (b == 1) o.dims[i] = a;
        else if (a < 0) o.dims[i] = b;
        else if (b < 0) o.dims[i] = a;
        else if (a == b) o.dims[i] = a;
        else return bad("Incompatible shapes: %s vs. %s", SFMT(x), SFMT(y));
    }
    *out = o;
    return NULL;
}

static bool is_int_type(frt_dtype t) { return t == FRT_DTYPE_INT32 || t == FRT_DTYPE_INT64; }

/* ---- reading inputs ---------------------------------------------------------------------- */

/* Fully known int values of input i (a Const, or a fully known partial value). */
static bool const_ints(const frt_shape_ctx *c, int i, int64_t *v, int max, int *n) {
    if (i >= c->n_in) return false;
    const frt_tensor *t = c->in_values[i];
    if (t) {
        if (!is_int_type(t->dtype) || t->ndim > 1 || t->n > max) return false;
        for (int64_t k = 0; k < t->n; k++) v[k] = frt_tensor_int_at(t, k);
        *n = (int)t->n;
        return true;
    }
    const frt_shape *pv = &c->in_pv[i];
    if (pv->ndim < 0 || pv->ndim > max || !frt_shape_is_full(pv)) return false;
    for (int k = 0; k < pv->ndim; k++) v[k] = pv->dims[k];
    *n = pv->ndim;
    return true;
}

static bool const_scalar(const frt_shape_ctx *c, int i, int64_t *v) {
    int64_t buf[FRT_MAX_DIMS];
    int n;
    if (!const_ints(c, i, buf, FRT_MAX_DIMS, &n) || n != 1) return false;
    *v = buf[0];
    return true;
}

/* Input i read as a shape (Reshape's shape, Fill's dims): -1 where unknown or negative. */
static frt_shape shape_from_input(const frt_shape_ctx *c, int i) {
    int64_t v[FRT_MAX_DIMS];
    int n;
    if (i >= c->n_in) return frt_shape_unknown();
    const frt_tensor *t = c->in_values[i];
    if (t) {
        if (t->ndim == 1 && t->n <= FRT_MAX_DIMS && is_int_type(t->dtype)) {
            for (int64_t k = 0; k < t->n; k++) v[k] = frt_tensor_int_at(t, k);
            return frt_shape_make(v, (int)t->n);
        }
        return frt_shape_unknown();
    }
    if (c->in_pv[i].ndim >= 0 && c->in[i].ndim == 1) return c->in_pv[i];
    (void)n;
    /* Only the length is known: the rank. */
    if (c->in[i].ndim == 1 && c->in[i].dims[0] >= 0 && c->in[i].dims[0] <= FRT_MAX_DIMS)
        return unknown_dims((int)c->in[i].dims[0]);
    return frt_shape_unknown();
}

static frt_status *need_rank(const frt_shape *s, int rank, const char *what) {
    if (s->ndim >= 0 && s->ndim != rank)
        return bad("%s must be rank %d but is rank %d (shape %s)", what, rank, s->ndim, SFMT(s));
    return NULL;
}

static frt_status *need_rank_at_least(const frt_shape *s, int rank, const char *what) {
    if (s->ndim >= 0 && s->ndim < rank)
        return bad("%s must be at least rank %d but is rank %d (shape %s)", what, rank, s->ndim,
                   SFMT(s));
    return NULL;
}

static frt_status *attr_str(const frt_shape_ctx *c, const char *key, const char *def,
                            const char **out) {
    return frt_attr_get_str(c->attrs, key, def, out);
}

/* Axis a in [-rank, rank) -> [0, rank), or an error. */
static frt_status *norm_axis(int64_t a, int rank, const char *what, int *out) {
    *out = 0;
    if (a < -rank || a >= rank)
        return bad("Expected %s in the range [%d, %d), but got %lld", what, -rank, rank,
                   (long long)a);
    *out = (int)(a < 0 ? a + rank : a);
    return NULL;
}

/* ---- simple shape functions ---------------------------------------------------------------- */

frt_status *frt_shape_fn_const(frt_shape_ctx *c) {
    const frt_tensor *t = frt_attr_get_tensor(c->attrs, "value");
    if (!t) t = frt_attr_get_splat(c->attrs, "value"); /* its shape, not its values */
    if (t) c->out[0] = frt_shape_make(t->dims, t->ndim);
    return NULL;
}

static void shape_attr(const frt_shape_ctx *c, frt_shape *out) {
    frt_attr_shape s;
    bool found;
    frt_status *st = frt_attr_get_shape(c->attrs, "shape", &s, &found);
    if (st) {
        frt_status_free(st); /* a malformed hint is not a contradiction */
        return;
    }
    if (found && !s.unknown_rank && s.ndim >= 0 && s.ndim <= FRT_MAX_DIMS)
        *out = frt_shape_make(s.dims, s.ndim);
}

frt_status *frt_shape_fn_placeholder(frt_shape_ctx *c) {
    shape_attr(c, &c->out[0]);
    return NULL;
}

frt_status *frt_shape_fn_variable(frt_shape_ctx *c) {
    shape_attr(c, &c->out[0]);
    return NULL;
}

frt_status *frt_shape_fn_placeholder_with_default(frt_shape_ctx *c) {
    /* The output is the attr shape (a fed value may differ where it says unknown), but the
     * default input must be compatible with it. */
    shape_attr(c, &c->out[0]);
    frt_shape m;
    if (!shape_merge(&c->out[0], &c->in[0], &m))
        return bad("default input shape %s is incompatible with the shape attr %s",
                   SFMT(&c->in[0]), SFMT(&c->out[0]));
    if (c->out[0].ndim < 0) c->out[0] = c->in[0];
    return NULL;
}

frt_status *frt_shape_fn_unchanged(frt_shape_ctx *c) {
    if (c->n_in > 0) c->out[0] = c->in[0];
    return NULL;
}

frt_status *frt_shape_fn_cast(frt_shape_ctx *c) { return frt_shape_fn_unchanged(c); }
frt_status *frt_shape_fn_zeros_like(frt_shape_ctx *c) { return frt_shape_fn_unchanged(c); }

frt_status *frt_shape_fn_softmax(frt_shape_ctx *c) {
    FRT_TRY(need_rank_at_least(&c->in[0], 1, "logits"));
    c->out[0] = c->in[0];
    return NULL;
}

frt_status *frt_shape_fn_identity_n(frt_shape_ctx *c) {
    for (int i = 0; i < c->n_out && i < c->n_in; i++) c->out[i] = c->in[i];
    return NULL;
}

frt_status *frt_shape_fn_scalar(frt_shape_ctx *c) {
    for (int i = 0; i < c->n_out; i++) c->out[i] = (frt_shape){.ndim = 0};
    return NULL;
}

frt_status *frt_shape_fn_var_handle(frt_shape_ctx *c) { return frt_shape_fn_scalar(c); }

frt_status *frt_shape_fn_bcast(frt_shape_ctx *c) {
    frt_status *st = bcast2(&c->in[0], &c->in[1], &c->out[0]);
    bool strict = true;
    if (st && frt_attrs_find(c->attrs, "incompatible_shape_error")) {
        frt_status *s2 = frt_attr_get_bool(c->attrs, "incompatible_shape_error", true, &strict);
        frt_status_free(s2);
    }
    if (st && !strict) {
        /* Equal/NotEqual with incompatible_shape_error=false return a scalar. */
        frt_status_free(st);
        c->out[0] = (frt_shape){.ndim = 0};
        return NULL;
    }
    return st;
}

frt_status *frt_shape_fn_select(frt_shape_ctx *c) {
    if (!shape_merge(&c->in[1], &c->in[2], &c->out[0]))
        return bad("'t' and 'e' must have the same shape: %s vs. %s", SFMT(&c->in[1]),
                   SFMT(&c->in[2]));
    return NULL;
}

frt_status *frt_shape_fn_select_v2(frt_shape_ctx *c) {
    frt_shape te;
    FRT_TRY(bcast2(&c->in[1], &c->in[2], &te));
    return bcast2(&c->in[0], &te, &c->out[0]);
}

frt_status *frt_shape_fn_addn(frt_shape_ctx *c) {
    frt_shape s = frt_shape_unknown();
    for (int i = 0; i < c->n_in; i++)
        if (!shape_merge(&s, &c->in[i], &s))
            return bad("Inputs to AddN must have the same shape: inputs[0] = %s vs. inputs[%d] "
                       "= %s",
                       SFMT(&c->in[0]), i, SFMT(&c->in[i]));
    c->out[0] = s;
    return NULL;
}

frt_status *frt_shape_fn_switch(frt_shape_ctx *c) {
    FRT_TRY(need_rank(&c->in[1], 0, "pred"));
    c->out[0] = c->out[1] = c->in[0];
    return NULL;
}

frt_status *frt_shape_fn_merge(frt_shape_ctx *c) {
    /* Inputs may legitimately differ (branches of a cond): keep what they agree on. Inputs
     * not inferred yet (loop back edges) have unknown rank, which makes the result unknown. */
    frt_shape s = c->n_in > 0 ? c->in[0] : frt_shape_unknown();
    for (int i = 1; i < c->n_in && s.ndim >= 0; i++) {
        if (c->in[i].ndim != s.ndim) {
            s = frt_shape_unknown();
            break;
        }
        for (int k = 0; k < s.ndim; k++)
            if (s.dims[k] != c->in[i].dims[k]) s.dims[k] = -1;
    }
    c->out[0] = s;
    c->out[1] = (frt_shape){.ndim = 0};
    return NULL;
}

/* ---- matrix products and bias ----------------------------------------------------------- */

frt_status *frt_shape_fn_matmul(frt_shape_ctx *c) {
    const frt_shape *a = &c->in[0], *b = &c->in[1];
    FRT_TRY(need_rank(a, 2, "a"));
    FRT_TRY(need_rank(b, 2, "b"));
    bool ta = false, tb = false;
    FRT_TRY(frt_attr_get_bool(c->attrs, "transpose_a", false, &ta));
    FRT_TRY(frt_attr_get_bool(c->attrs, "transpose_b", false, &tb));
    bool ra = a->ndim == 2, rb = b->ndim == 2;
    int64_t m = ra ? a->dims[ta ? 1 : 0] : -1, ka = ra ? a->dims[ta ? 0 : 1] : -1;
    int64_t kb = rb ? b->dims[tb ? 1 : 0] : -1, n = rb ? b->dims[tb ? 0 : 1] : -1;
    int64_t k;
    if (!dim_merge(ka, kb, &k))
        return bad("Matrix size-incompatible: In[0]: %s, In[1]: %s (inner dimensions %lld and "
                   "%lld differ)",
                   SFMT(a), SFMT(b), (long long)ka, (long long)kb);
    c->out[0] = (frt_shape){.ndim = 2, .dims = {m, n}};
    return NULL;
}

frt_status *frt_shape_fn_batch_matmul(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0], *y = &c->in[1];
    FRT_TRY(need_rank_at_least(x, 2, "x"));
    FRT_TRY(need_rank_at_least(y, 2, "y"));
    if (x->ndim < 0 || y->ndim < 0) return NULL;
    bool ax = false, ay = false;
    FRT_TRY(frt_attr_get_bool(c->attrs, "adj_x", false, &ax));
    FRT_TRY(frt_attr_get_bool(c->attrs, "adj_y", false, &ay));
    int rx = x->ndim, ry = y->ndim;
    int64_t m = x->dims[rx - (ax ? 1 : 2)], kx = x->dims[rx - (ax ? 2 : 1)];
    int64_t ky = y->dims[ry - (ay ? 1 : 2)], n = y->dims[ry - (ay ? 2 : 1)], k;
    if (!dim_merge(kx, ky, &k))
        return bad("Matrix size-incompatible: In[0]: %s, In[1]: %s (inner dimensions %lld and "
                   "%lld differ)",
                   SFMT(x), SFMT(y), (long long)kx, (long long)ky);
    frt_shape bx = {.ndim = rx - 2}, by = {.ndim = ry - 2}, bo;
    memcpy(bx.dims, x->dims, sizeof(int64_t) * (size_t)(rx - 2));
    memcpy(by.dims, y->dims, sizeof(int64_t) * (size_t)(ry - 2));
    if (strcmp(c->op, "BatchMatMul") == 0) {
        /* v1: batch dims must be equal, no broadcasting. */
        if (!shape_merge(&bx, &by, &bo))
            return bad("BatchMatMul batch dimensions must be equal: %s vs. %s", SFMT(x), SFMT(y));
    } else {
        frt_status *st = bcast2(&bx, &by, &bo);
        if (st) {
            frt_status_free(st);
            return bad("Incompatible batch dimensions: %s vs. %s", SFMT(x), SFMT(y));
        }
    }
    if (bo.ndim + 2 > FRT_MAX_DIMS) return NULL;
    bo.dims[bo.ndim] = m;
    bo.dims[bo.ndim + 1] = n;
    bo.ndim += 2;
    c->out[0] = bo;
    return NULL;
}

frt_status *frt_shape_fn_bias_add(frt_shape_ctx *c) {
    const frt_shape *v = &c->in[0], *b = &c->in[1];
    const char *fmt;
    FRT_TRY(attr_str(c, "data_format", "NHWC", &fmt));
    bool nchw = strcmp(fmt, "NCHW") == 0;
    FRT_TRY(need_rank(b, 1, "bias"));
    FRT_TRY(need_rank_at_least(v, nchw ? 3 : 2, "value"));
    c->out[0] = *v;
    if (v->ndim < 0) return NULL;
    int ch = nchw ? v->ndim - 3 : v->ndim - 1;
    int64_t bl = b->ndim == 1 ? b->dims[0] : -1;
    if (!dim_merge(v->dims[ch], bl, &c->out[0].dims[ch]))
        return bad("Must provide as many biases as the channel dimension of value: bias %s vs. "
                   "value %s",
                   SFMT(b), SFMT(v));
    return NULL;
}

/* ---- windowed ops: Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool -------------------------- */

typedef enum { PAD_VALID, PAD_SAME, PAD_EXPLICIT } pad_mode;

/* TF's GetWindowedOutputSizeVerbose (ops.md 2.3); -1 when in or k is unknown. */
static frt_status *windowed(int64_t in, int64_t k, int64_t d, int64_t s, pad_mode mode,
                            int64_t pb, int64_t pa, int64_t *out) {
    *out = -1;
    if (s <= 0) return bad("Stride must be > 0, but got %lld", (long long)s);
    if (d < 1) return bad("Dilation rate must be >= 1, but got %lld", (long long)d);
    if (in < 0 || k < 1) return NULL;
    /* TF's shape function (GetWindowedOutputSizeFromDimsV2) subtracts the effective filter
     * size from the (padded) input first and rejects a negative difference, so a window
     * larger than the input is an error even where the kernel would give 0 outputs. */
    int64_t keff = dim_add(dim_mul(k - 1, d), 1), o;
    int64_t padded = mode == PAD_EXPLICIT ? dim_add(in, dim_add(pb, pa)) : in;
    if (keff < 0 || padded < 0) return NULL; /* overflow: leave it to the kernel */
    if (mode == PAD_SAME) {
        o = in / s + (in % s != 0);
    } else {
        if (padded < keff)
            return bad("Negative dimension size caused by subtracting %lld from %lld",
                       (long long)keff, (long long)padded);
        o = (padded - keff) / s + 1;
    }
    *out = o;
    return NULL;
}

typedef enum { WIN_CONV, WIN_DEPTHWISE, WIN_POOL } win_kind;

static frt_status *windowed_op(frt_shape_ctx *c, win_kind kind) {
    const frt_shape *x = &c->in[0];
    const char *fmt, *padding;
    FRT_TRY(attr_str(c, "data_format", "NHWC", &fmt));
    FRT_TRY(attr_str(c, "padding", "", &padding));
    if (strcmp(fmt, "NHWC") && strcmp(fmt, "NCHW")) return NULL; /* NCHW_VECT_C etc. */
    bool nchw = strcmp(fmt, "NCHW") == 0;
    int hi = nchw ? 2 : 1, wi = nchw ? 3 : 2, ci = nchw ? 1 : 3;
    pad_mode mode;
    if (strcmp(padding, "VALID") == 0) mode = PAD_VALID;
    else if (strcmp(padding, "SAME") == 0) mode = PAD_SAME;
    else if (strcmp(padding, "EXPLICIT") == 0 && kind != WIN_POOL) mode = PAD_EXPLICIT;
    else if (strcmp(padding, "EXPLICIT") == 0 && strcmp(c->op, "MaxPool") == 0)
        mode = PAD_EXPLICIT;
    else return bad("padding must be SAME, VALID or EXPLICIT, got '%s'", padding);

    int64_t strides[8], dil[8] = {1, 1, 1, 1}, ksize[8], pads[8] = {0};
    int ns, nd = 4, nk = 0, np = 0;
    FRT_TRY(frt_attr_get_int_list(c->attrs, "strides", 8, strides, &ns));
    if (ns != 4) return bad("%s requires the stride attribute to contain 4 values, but got: %d",
                            c->op, ns);
    if (kind != WIN_POOL) {
        FRT_TRY(frt_attr_get_int_list(c->attrs, "dilations", 8, dil, &nd));
        if (nd == 0) {
            nd = 4;
            for (int i = 0; i < 4; i++) dil[i] = 1;
        }
        if (nd != 4)
            return bad("%s requires the dilations attribute to contain 4 values, but got: %d",
                       c->op, nd);
    } else {
        FRT_TRY(frt_attr_get_int_list(c->attrs, "ksize", 8, ksize, &nk));
        if (nk != 4)
            return bad("%s requires the ksize attribute to contain 4 values, but got: %d", c->op,
                       nk);
    }
    if (mode == PAD_EXPLICIT) {
        FRT_TRY(frt_attr_get_int_list(c->attrs, "explicit_paddings", 8, pads, &np));
        if (np != 8)
            return bad("explicit_paddings must contain 8 values for EXPLICIT padding, got %d", np);
        for (int i = 0; i < 8; i++)
            if (pads[i] < 0) return bad("explicit_paddings must be non-negative");
    }
    if (strides[0] != 1 || strides[ci] != 1)
        if (kind != WIN_POOL)
            return bad("Current implementation does not yet support strides in the batch and "
                       "depth dimensions.");
    FRT_TRY(need_rank(x, 4, "input"));
    const frt_shape *f = kind == WIN_POOL ? NULL : &c->in[1];
    if (f) FRT_TRY(need_rank(f, 4, "filter"));

    int64_t kh, kw;
    if (f) {
        kh = f->ndim == 4 ? f->dims[0] : -1;
        kw = f->ndim == 4 ? f->dims[1] : -1;
    } else {
        kh = ksize[hi];
        kw = ksize[wi];
    }
    int64_t in_h = x->ndim == 4 ? x->dims[hi] : -1, in_w = x->ndim == 4 ? x->dims[wi] : -1;
    int64_t oh, ow;
    FRT_TRY(windowed(in_h, kh, dil[hi], strides[hi], mode, pads[2 * hi], pads[2 * hi + 1], &oh));
    FRT_TRY(windowed(in_w, kw, dil[wi], strides[wi], mode, pads[2 * wi], pads[2 * wi + 1], &ow));

    int64_t batch = x->ndim == 4 ? x->dims[0] : -1, cin = x->ndim == 4 ? x->dims[ci] : -1, cout;
    if (kind == WIN_POOL) {
        cout = ksize[ci] == 1 ? cin : -1; /* depth pooling is rare: leave it unknown */
    } else {
        int64_t fin = f->ndim == 4 ? f->dims[2] : -1, fout = f->ndim == 4 ? f->dims[3] : -1;
        if (kind == WIN_CONV) {
            if (cin >= 0 && fin > 0 && cin % fin != 0)
                return bad("Depth of input (%lld) is not a multiple of input depth of filter "
                           "(%lld)",
                           (long long)cin, (long long)fin);
            if (cin >= 0 && fin > 0 && fout >= 0 && fout % (cin / fin) != 0)
                return bad("Depth of output (%lld) is not a multiple of the number of groups "
                           "(%lld)",
                           (long long)fout, (long long)(cin / fin));
            cout = fout;
        } else {
            int64_t d;
            if (!dim_merge(cin, fin, &d))
                return bad("input depth %lld does not match the filter's input depth %lld "
                           "(input %s, filter %s)",
                           (long long)cin, (long long)fin, SFMT(x), SFMT(f));
            cout = dim_mul(d, fout);
        }
    }
    frt_shape o = {.ndim = 4};
    o.dims[0] = batch;
    o.dims[hi] = oh;
    o.dims[wi] = ow;
    o.dims[ci] = cout;
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_conv2d(frt_shape_ctx *c) { return windowed_op(c, WIN_CONV); }
frt_status *frt_shape_fn_depthwise(frt_shape_ctx *c) { return windowed_op(c, WIN_DEPTHWISE); }
frt_status *frt_shape_fn_pool(frt_shape_ctx *c) { return windowed_op(c, WIN_POOL); }

frt_status *frt_shape_fn_fused_bn(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    const char *fmt;
    FRT_TRY(attr_str(c, "data_format", "NHWC", &fmt));
    bool five = strcmp(fmt, "NDHWC") == 0 || strcmp(fmt, "NCDHW") == 0;
    bool cfirst = strcmp(fmt, "NCHW") == 0 || strcmp(fmt, "NCDHW") == 0;
    bool training = true;
    FRT_TRY(frt_attr_get_bool(c->attrs, "is_training", true, &training));
    FRT_TRY(need_rank(x, five ? 5 : 4, "x"));
    int64_t ch = x->ndim >= 0 ? x->dims[cfirst ? 1 : x->ndim - 1] : -1;
    /* scale and offset always; mean and variance only at inference (may be empty when
     * training). */
    static const char *names[] = {"scale", "offset", "mean", "variance"};
    for (int i = 1; i < 5 && i < c->n_in; i++) {
        if (training && i >= 3) break;
        FRT_TRY(need_rank(&c->in[i], 1, names[i - 1]));
        int64_t v = c->in[i].ndim == 1 ? c->in[i].dims[0] : -1;
        if (!dim_merge(ch, v, &ch))
            return bad("%s must have the channel dimension's size %s, got %s", names[i - 1],
                       SFMT(x), SFMT(&c->in[i]));
    }
    c->out[0] = *x;
    if (x->ndim >= 0) c->out[0].dims[cfirst ? 1 : x->ndim - 1] = ch;
    for (int i = 1; i < 5 && i < c->n_out; i++) c->out[i] = (frt_shape){.ndim = 1, .dims = {ch}};
    return NULL; /* V3's reserve_space_3 stays unknown, as in TF */
}

/* ---- reductions --------------------------------------------------------------------------- */

frt_status *frt_shape_fn_reduce(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    bool keep = false;
    FRT_TRY(frt_attr_get_bool(c->attrs, "keep_dims", false, &keep));
    int64_t axes[64];
    int na;
    if (x->ndim < 0) return NULL;
    if (!const_ints(c, 1, axes, 64, &na)) {
        if (keep) c->out[0] = unknown_dims(x->ndim);
        return NULL;
    }
    bool reduced[FRT_MAX_DIMS] = {0};
    for (int i = 0; i < na; i++) {
        if (axes[i] < -x->ndim || axes[i] >= x->ndim)
            return bad("Invalid reduction dimension %lld for input with %d dimensions",
                       (long long)axes[i], x->ndim);
        reduced[axes[i] < 0 ? axes[i] + x->ndim : axes[i]] = true;
    }
    frt_shape o = {.ndim = 0};
    for (int i = 0; i < x->ndim; i++) {
        if (!reduced[i]) o.dims[o.ndim++] = x->dims[i];
        else if (keep) o.dims[o.ndim++] = 1;
    }
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_argminmax(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t a;
    if (x->ndim < 0) return NULL;
    if (!const_scalar(c, 1, &a)) {
        if (x->ndim > 0) c->out[0] = unknown_dims(x->ndim - 1);
        return NULL;
    }
    int ax;
    FRT_TRY(norm_axis(a, x->ndim, "dimension", &ax));
    frt_shape o = {.ndim = 0};
    for (int i = 0; i < x->ndim; i++)
        if (i != ax) o.dims[o.ndim++] = x->dims[i];
    c->out[0] = o;
    return NULL;
}

/* ---- shape manipulation --------------------------------------------------------------------- */

frt_status *frt_shape_fn_reshape(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    frt_shape t = shape_from_input(c, 1);
    /* Two explicit -1 entries in a constant shape are an error (TF's kernel). */
    const frt_tensor *sv = c->in_values[1];
    if (sv && is_int_type(sv->dtype)) {
        int64_t first = -1;
        for (int64_t k = 0; k < sv->n; k++) {
            int64_t v = frt_tensor_int_at(sv, k);
            if (v < -1) return bad("Size %lld must be non-negative, not %lld", (long long)k,
                                   (long long)v);
            if (v == -1) {
                if (first >= 0)
                    return bad("Only one input size may be -1, not both %lld and %lld",
                               (long long)first, (long long)k);
                first = k;
            }
        }
    }
    if (t.ndim < 0) return NULL;
    int unknown = -1, n_unknown = 0;
    int64_t prod = 1;
    for (int i = 0; i < t.ndim; i++) {
        if (t.dims[i] < 0) {
            unknown = i;
            n_unknown++;
        } else prod = prod < 0 ? -1 : dim_mul(prod, t.dims[i]);
    }
    if (frt_shape_is_full(x) && prod >= 0 && frt_shape_num_elements(x->dims, x->ndim) >= 0) {
        int64_t n = frt_shape_num_elements(x->dims, x->ndim);
        if (n_unknown == 0 && n != prod)
            return bad("Input to reshape is a tensor with %lld values, but the requested shape "
                       "has %lld",
                       (long long)n, (long long)prod);
        if (n_unknown == 1 && prod > 0) {
            if (n % prod != 0)
                return bad("Input to reshape is a tensor with %lld values, but the requested "
                           "shape requires a multiple of %lld",
                           (long long)n, (long long)prod);
            t.dims[unknown] = n / prod;
        }
    }
    c->out[0] = t;
    return NULL;
}

frt_status *frt_shape_fn_squeeze(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t sq[FRT_MAX_DIMS * 4];
    int ns;
    FRT_TRY(frt_attr_get_int_list(c->attrs, "squeeze_dims", FRT_MAX_DIMS * 4, sq, &ns));
    if (x->ndim < 0) return NULL;
    bool drop[FRT_MAX_DIMS] = {0};
    for (int i = 0; i < ns; i++) {
        if (sq[i] < -x->ndim || sq[i] >= x->ndim)
            return bad("Tried to squeeze dim index %lld for tensor with %d dimensions",
                       (long long)sq[i], x->ndim);
        int d = (int)(sq[i] < 0 ? sq[i] + x->ndim : sq[i]);
        if (x->dims[d] >= 0 && x->dims[d] != 1)
            return bad("Can not squeeze dim[%d], expected a dimension of 1, got %lld", d,
                       (long long)x->dims[d]);
        drop[d] = true;
    }
    if (ns == 0) {
        for (int i = 0; i < x->ndim; i++) {
            if (x->dims[i] < 0) return NULL; /* might be 1: the rank is unknown */
            drop[i] = x->dims[i] == 1;
        }
    }
    frt_shape o = {.ndim = 0};
    for (int i = 0; i < x->ndim; i++)
        if (!drop[i]) o.dims[o.ndim++] = x->dims[i];
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_expand_dims(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t d;
    if (x->ndim < 0 || !const_scalar(c, 1, &d)) return NULL;
    if (d < -x->ndim - 1 || d > x->ndim)
        return bad("Tried to expand dim index %lld for tensor with %d dimensions", (long long)d,
                   x->ndim);
    if (x->ndim + 1 > FRT_MAX_DIMS) return NULL;
    int at = (int)(d < 0 ? d + x->ndim + 1 : d);
    frt_shape o = {.ndim = x->ndim + 1};
    for (int i = 0, j = 0; i < o.ndim; i++) o.dims[i] = i == at ? 1 : x->dims[j++];
    c->out[0] = o;
    return NULL;
}

/* Shared by ConcatV2 (axis last) and Concat (axis first). */
static frt_status *concat_common(frt_shape_ctx *c, int first, int n, int axis_in) {
    int rank = -1, rank_from = -1;
    for (int i = 0; i < n; i++) {
        const frt_shape *s = &c->in[first + i];
        if (s->ndim < 0) continue;
        if (rank >= 0 && s->ndim != rank)
            return bad("Ranks of all input tensors should match: shape[%d] = %s vs. shape[%d] = "
                       "%s",
                       rank_from, SFMT(&c->in[first + rank_from]), i, SFMT(s));
        rank = s->ndim;
        if (rank_from < 0) rank_from = i;
    }
    if (rank < 0) return NULL;
    int64_t a;
    if (!const_scalar(c, axis_in, &a)) {
        c->out[0] = unknown_dims(rank);
        return NULL;
    }
    if (rank == 0) return bad("Can't concatenate scalars (use tf.stack instead)");
    int ax;
    FRT_TRY(norm_axis(a, rank, "concatenating dimensions", &ax));
    frt_shape o = unknown_dims(rank);
    int64_t sum = 0;
    bool first_seen = false;
    for (int i = 0; i < n; i++) {
        const frt_shape *s = &c->in[first + i];
        if (s->ndim < 0) {
            sum = -1;
            continue;
        }
        for (int d = 0; d < rank; d++) {
            if (d == ax) continue;
            if (!dim_merge(o.dims[d], s->dims[d], &o.dims[d]))
                return bad("Dimension %d in both shapes must be equal: shape[%d] = %s vs. "
                           "shape[%d] = %s",
                           d, rank_from, SFMT(&c->in[first + rank_from]), i, SFMT(s));
        }
        if (sum >= 0) sum = dim_add(sum, s->dims[ax]);
        first_seen = true;
    }
    o.dims[ax] = first_seen ? sum : -1;
    c->out[0] = o;
    /* Partial values of 1-D int pieces concatenate (shape vectors). */
    if (ax == 0 && rank == 1 && is_int_type(c->out_types[0])) {
        frt_shape pv = {.ndim = 0};
        for (int i = 0; i < n; i++) {
            const frt_shape *p = &c->in_pv[first + i];
            if (p->ndim < 0 || pv.ndim + p->ndim > FRT_MAX_DIMS) return NULL;
            for (int k = 0; k < p->ndim; k++) pv.dims[pv.ndim++] = p->dims[k];
        }
        c->out_pv[0] = pv;
    }
    return NULL;
}

frt_status *frt_shape_fn_concat_v2(frt_shape_ctx *c) {
    return concat_common(c, 0, c->n_in - 1, c->n_in - 1);
}

frt_status *frt_shape_fn_concat(frt_shape_ctx *c) { return concat_common(c, 1, c->n_in - 1, 0); }

frt_status *frt_shape_fn_pack(frt_shape_ctx *c) {
    frt_shape s = frt_shape_unknown();
    for (int i = 0; i < c->n_in; i++)
        if (!shape_merge(&s, &c->in[i], &s))
            return bad("Shapes of all inputs must match: values[0].shape = %s != values[%d].shape "
                       "= %s",
                       SFMT(&c->in[0]), i, SFMT(&c->in[i]));
    int64_t axis = 0;
    FRT_TRY(frt_attr_get_int(c->attrs, "axis", 0, &axis));
    if (s.ndim < 0) return NULL;
    int ax;
    FRT_TRY(norm_axis(axis, s.ndim + 1, "axis", &ax));
    if (s.ndim + 1 > FRT_MAX_DIMS) return NULL;
    frt_shape o = {.ndim = s.ndim + 1};
    for (int i = 0, j = 0; i < o.ndim; i++) o.dims[i] = i == ax ? c->n_in : s.dims[j++];
    c->out[0] = o;
    /* Packing int scalars builds a shape vector: keep what is known of each element. */
    if (s.ndim == 0 && c->n_in <= FRT_MAX_DIMS && is_int_type(c->out_types[0])) {
        frt_shape pv = {.ndim = c->n_in};
        for (int i = 0; i < c->n_in; i++) {
            int64_t v;
            pv.dims[i] = const_scalar(c, i, &v) && v >= 0 ? v : -1;
        }
        c->out_pv[0] = pv;
    }
    return NULL;
}

frt_status *frt_shape_fn_unpack(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t axis = 0;
    FRT_TRY(frt_attr_get_int(c->attrs, "axis", 0, &axis));
    if (x->ndim < 0) return NULL;
    int ax;
    FRT_TRY(norm_axis(axis, x->ndim, "axis", &ax));
    if (x->dims[ax] >= 0 && x->dims[ax] != c->n_out)
        return bad("Input shape axis %d must equal %d, got shape %s", ax, c->n_out, SFMT(x));
    frt_shape o = {.ndim = 0};
    for (int i = 0; i < x->ndim; i++)
        if (i != ax) o.dims[o.ndim++] = x->dims[i];
    for (int i = 0; i < c->n_out; i++) c->out[i] = o;
    return NULL;
}

static void shape_of(const frt_shape *x, frt_shape *out, frt_shape *pv) {
    *out = (frt_shape){.ndim = 1, .dims = {x->ndim}};
    if (x->ndim >= 0) *pv = *x;
}

frt_status *frt_shape_fn_shape(frt_shape_ctx *c) {
    shape_of(&c->in[0], &c->out[0], &c->out_pv[0]);
    return NULL;
}

frt_status *frt_shape_fn_shape_n(frt_shape_ctx *c) {
    for (int i = 0; i < c->n_out && i < c->n_in; i++)
        shape_of(&c->in[i], &c->out[i], &c->out_pv[i]);
    return NULL;
}

frt_status *frt_shape_fn_transpose(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t perm[FRT_MAX_DIMS];
    int np;
    if (!const_ints(c, 1, perm, FRT_MAX_DIMS, &np)) {
        frt_shape p = c->in[1];
        if (x->ndim >= 0) c->out[0] = unknown_dims(x->ndim);
        else if (p.ndim == 1 && p.dims[0] >= 0 && p.dims[0] <= FRT_MAX_DIMS)
            c->out[0] = unknown_dims((int)p.dims[0]);
        return NULL;
    }
    if (x->ndim >= 0 && np != x->ndim)
        return bad("transpose expects a vector of size %d. But input(1) is a vector of size %d",
                   x->ndim, np);
    bool seen[FRT_MAX_DIMS] = {0};
    for (int i = 0; i < np; i++) {
        if (perm[i] < 0 || perm[i] >= np || seen[perm[i]])
            return bad("perm must be a permutation of 0..%d, got %lld at position %d", np - 1,
                       (long long)perm[i], i);
        seen[perm[i]] = true;
    }
    frt_shape o = {.ndim = np};
    for (int i = 0; i < np; i++) o.dims[i] = x->ndim >= 0 ? x->dims[perm[i]] : -1;
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_pad(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    const frt_tensor *p = c->in_values[1];
    const frt_shape *ps = &c->in[1];
    if (ps->ndim >= 0 && (ps->ndim != 2 || (ps->dims[1] >= 0 && ps->dims[1] != 2)))
        return bad("paddings must be a matrix with 2 columns: %s", SFMT(ps));
    int64_t rank = x->ndim >= 0 ? x->ndim : (ps->ndim == 2 ? ps->dims[0] : -1);
    if (x->ndim >= 0 && ps->ndim == 2 && ps->dims[0] >= 0 && ps->dims[0] != x->ndim)
        return bad("The first dimension of paddings must be the rank of inputs: paddings %s, "
                   "input %s",
                   SFMT(ps), SFMT(x));
    if (rank < 0 || rank > FRT_MAX_DIMS) return NULL;
    frt_shape o = unknown_dims((int)rank);
    if (!p || !is_int_type(p->dtype) || p->n != 2 * rank) {
        c->out[0] = o;
        return NULL;
    }
    for (int i = 0; i < rank; i++) {
        int64_t b = frt_tensor_int_at(p, 2 * i), a = frt_tensor_int_at(p, 2 * i + 1);
        if (b < 0 || a < 0)
            return bad("Paddings must be non-negative: %lld %lld", (long long)b, (long long)a);
        if (x->ndim >= 0) o.dims[i] = dim_add(dim_add(b, x->dims[i]), a);
    }
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_fill(frt_shape_ctx *c) {
    c->out[0] = shape_from_input(c, 0);
    return NULL;
}

frt_status *frt_shape_fn_broadcast_to(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    frt_shape t = shape_from_input(c, 1);
    if (t.ndim < 0) return NULL;
    if (x->ndim > t.ndim)
        return bad("Rank of input (%d) must be no greater than rank of output shape (%d)",
                   x->ndim, t.ndim);
    if (x->ndim >= 0) {
        for (int i = 0; i < x->ndim; i++) {
            int j = i + t.ndim - x->ndim;
            int64_t a = x->dims[i], b = t.dims[j];
            if (a >= 0 && b >= 0 && a != 1 && a != b)
                return bad("Incompatible shapes: %s vs. %s", SFMT(x), SFMT(&t));
            if (b < 0 && a > 1) t.dims[j] = a;
        }
    }
    c->out[0] = t;
    return NULL;
}

frt_status *frt_shape_fn_tile(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t m[FRT_MAX_DIMS];
    int nm;
    if (!const_ints(c, 1, m, FRT_MAX_DIMS, &nm)) {
        if (x->ndim >= 0) c->out[0] = unknown_dims(x->ndim);
        return NULL;
    }
    if (x->ndim >= 0 && nm != x->ndim)
        return bad("Expected multiples argument to be a vector of length %d but got length %d",
                   x->ndim, nm);
    frt_shape o = unknown_dims(nm);
    for (int i = 0; i < nm; i++) {
        if (m[i] < 0) return bad("Expected multiples[%d] >= 0, but got %lld", i, (long long)m[i]);
        if (m[i] == 0) o.dims[i] = 0;
        else if (x->ndim >= 0) o.dims[i] = dim_mul(x->dims[i], m[i]);
    }
    c->out[0] = o;
    return NULL;
}

frt_status *frt_shape_fn_split(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[1];
    int64_t a;
    if (x->ndim < 0) return NULL;
    if (!const_scalar(c, 0, &a)) {
        for (int i = 0; i < c->n_out; i++) c->out[i] = unknown_dims(x->ndim);
        return NULL;
    }
    int ax;
    FRT_TRY(norm_axis(a, x->ndim, "split_dim", &ax));
    frt_shape o = *x;
    if (x->dims[ax] >= 0) {
        if (c->n_out == 0 || x->dims[ax] % c->n_out != 0)
            return bad("Number of ways to split should evenly divide the split dimension, but "
                       "got split_dim %d (size = %lld) and num_split %d",
                       ax, (long long)x->dims[ax], c->n_out);
        o.dims[ax] = x->dims[ax] / c->n_out;
    }
    for (int i = 0; i < c->n_out; i++) c->out[i] = o;
    return NULL;
}

frt_status *frt_shape_fn_split_v(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t a, sizes[256];
    int ns;
    if (x->ndim < 0) return NULL;
    if (!const_scalar(c, 2, &a)) {
        for (int i = 0; i < c->n_out; i++) c->out[i] = unknown_dims(x->ndim);
        return NULL;
    }
    int ax;
    FRT_TRY(norm_axis(a, x->ndim, "split_dim", &ax));
    for (int i = 0; i < c->n_out; i++) {
        c->out[i] = *x;
        c->out[i].dims[ax] = -1;
    }
    if (c->in_values[1] && c->in_values[1]->n > 256) return NULL;
    if (!c->in_values[1] || !const_ints(c, 1, sizes, 256, &ns)) return NULL;
    if (ns != c->n_out)
        return bad("size_splits has %d entries, but num_split is %d", ns, c->n_out);
    int neg = -1;
    int64_t sum = 0;
    for (int i = 0; i < ns; i++) {
        if (sizes[i] == -1 && neg < 0) neg = i;
        else if (sizes[i] < 0) return bad("size_splits may contain only one -1 and no other "
                                          "negative value");
        else sum += sizes[i];
    }
    int64_t d = x->dims[ax];
    if (d >= 0 && ((neg < 0 && sum != d) || (neg >= 0 && sum > d)))
        return bad("Determined shape must either match input shape along split_dim exactly if "
                   "fully specified, or be less than the size of the input along split_dim if "
                   "not fully specified. Got: %lld",
                   (long long)sum);
    for (int i = 0; i < ns; i++)
        c->out[i].dims[ax] = i == neg ? (d >= 0 ? d - sum : -1) : sizes[i];
    return NULL;
}

frt_status *frt_shape_fn_gather_v2(frt_shape_ctx *c) {
    const frt_shape *p = &c->in[0], *idx = &c->in[1];
    int64_t axis = 0, batch_dims = 0;
    bool v2 = c->n_in >= 3;
    if (v2) FRT_TRY(frt_attr_get_int(c->attrs, "batch_dims", 0, &batch_dims));
    if (p->ndim < 0 || idx->ndim < 0) return NULL;
    if (v2 && !const_scalar(c, 2, &axis)) return NULL;
    if (p->ndim == 0) return bad("params must be at least 1 dimensional");
    int ax;
    FRT_TRY(norm_axis(axis, p->ndim, "axis", &ax));
    if (batch_dims < 0) batch_dims += idx->ndim;
    if (batch_dims < 0 || batch_dims > idx->ndim || batch_dims > ax)
        return bad("batch_dims (%lld) must be in [0, %d] and at most axis (%d)",
                   (long long)batch_dims, idx->ndim, ax);
    int rank = p->ndim - 1 + idx->ndim - (int)batch_dims;
    if (rank > FRT_MAX_DIMS) return NULL;
    frt_shape o = {.ndim = 0};
    for (int i = 0; i < ax; i++) o.dims[o.ndim++] = p->dims[i];
    for (int i = (int)batch_dims; i < idx->ndim; i++) o.dims[o.ndim++] = idx->dims[i];
    for (int i = ax + 1; i < p->ndim; i++) o.dims[o.ndim++] = p->dims[i];
    c->out[0] = o;
    return NULL;
}

static bool scalar_double(const frt_shape_ctx *c, int i, double *v) {
    const frt_tensor *t = c->in_values[i];
    if (!t || t->n != 1) return false;
    switch (t->dtype) {
    case FRT_DTYPE_FLOAT: *v = frt_tensor_f32(t)[0]; return true;
    case FRT_DTYPE_DOUBLE: *v = ((const double *)frt_tensor_data(t))[0]; return true;
    case FRT_DTYPE_INT32:
    case FRT_DTYPE_INT64: *v = (double)frt_tensor_int_at(t, 0); return true;
    default: return false;
    }
}

frt_status *frt_shape_fn_range(frt_shape_ctx *c) {
    c->out[0] = (frt_shape){.ndim = 1, .dims = {-1}};
    double s, l, d;
    if (!scalar_double(c, 0, &s) || !scalar_double(c, 1, &l) || !scalar_double(c, 2, &d))
        return NULL;
    if (d == 0) return bad("Requires delta != 0: %g", d);
    if (d > 0 && s > l) return bad("Requires start <= limit when delta > 0: %g/%g", s, l);
    if (d < 0 && s < l) return bad("Requires start >= limit when delta < 0: %g/%g", s, l);
    int64_t n;
    if (is_int_type(c->in_values[0]->dtype)) {
        int64_t si = frt_tensor_int_at(c->in_values[0], 0);
        int64_t li = frt_tensor_int_at(c->in_values[1], 0);
        int64_t di = frt_tensor_int_at(c->in_values[2], 0);
        int64_t span = li > si ? li - si : si - li, ad = di < 0 ? -di : di;
        n = (span + ad - 1) / ad;
    } else {
        n = (int64_t)ceil(fabs((l - s) / d));
    }
    c->out[0].dims[0] = n;
    return NULL;
}

frt_status *frt_shape_fn_slice(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t b[FRT_MAX_DIMS], s[FRT_MAX_DIMS];
    int nb, ns;
    bool hb = const_ints(c, 1, b, FRT_MAX_DIMS, &nb), hs = const_ints(c, 2, s, FRT_MAX_DIMS, &ns);
    int rank = x->ndim;
    if (rank < 0 && hb) rank = nb;
    if (rank < 0 && hs) rank = ns;
    if (rank < 0) return NULL;
    if ((hb && nb != rank) || (hs && ns != rank))
        return bad("Expected begin and size arguments to be 1-D tensors of size %d", rank);
    frt_shape o = unknown_dims(rank);
    for (int i = 0; i < rank; i++) {
        int64_t d = x->ndim >= 0 ? x->dims[i] : -1;
        if (hb && (b[i] < 0 || (d >= 0 && b[i] > d)))
            return bad("Expected begin[%d] in [0, %lld], but got %lld", i, (long long)d,
                       (long long)b[i]);
        if (!hs) continue;
        if (s[i] >= 0) {
            if (hb && d >= 0 && b[i] + s[i] > d)
                return bad("Expected size[%d] in [0, %lld], but got %lld", i,
                           (long long)(d - b[i]), (long long)s[i]);
            o.dims[i] = s[i];
        } else if (s[i] == -1) {
            o.dims[i] = hb && d >= 0 ? d - b[i] : -1;
        } else {
            return bad("Expected size[%d] >= -1, but got %lld", i, (long long)s[i]);
        }
    }
    c->out[0] = o;
    return NULL;
}

/* StridedSlice with constant begin/end/strides (ops.md 2.10, TF's ValidateStridedSliceOp).
 * Also slices a partially known 1-D value (Shape(x)[0] and friends). */
frt_status *frt_shape_fn_strided_slice(frt_shape_ctx *c) {
    const frt_shape *x = &c->in[0];
    int64_t begin[32], end[32], strides[32];
    int nb, ne, nst;
    int64_t bm = 0, em = 0, elm = 0, nam = 0, sam = 0;
    FRT_TRY(frt_attr_get_int(c->attrs, "begin_mask", 0, &bm));
    FRT_TRY(frt_attr_get_int(c->attrs, "end_mask", 0, &em));
    FRT_TRY(frt_attr_get_int(c->attrs, "ellipsis_mask", 0, &elm));
    FRT_TRY(frt_attr_get_int(c->attrs, "new_axis_mask", 0, &nam));
    FRT_TRY(frt_attr_get_int(c->attrs, "shrink_axis_mask", 0, &sam));
    /* TF reads the masks as int32 and rejects other values */
    const int64_t masks[5] = {bm, em, elm, nam, sam};
    static const char *const mask_names[5] = {"begin_mask", "end_mask", "ellipsis_mask",
                                              "new_axis_mask", "shrink_axis_mask"};
    for (int k = 0; k < 5; k++)
        if (masks[k] < INT32_MIN || masks[k] > INT32_MAX)
            return bad("Attr %s has value %lld out of range for an int32", mask_names[k],
                       (long long)masks[k]);
    if (x->ndim < 0 || !const_ints(c, 1, begin, 31, &nb) || !const_ints(c, 2, end, 31, &ne) ||
        !const_ints(c, 3, strides, 31, &nst))
        return NULL;
    if (nb != ne || nb != nst)
        return bad("Expected begin, end, and strides to be 1D equal size tensors, but got "
                   "shapes [%d], [%d], and [%d] instead",
                   nb, ne, nst);
    if (elm & (elm - 1)) return bad("Multiple ellipses in slice spec not allowed");
    int n = nb;
    if (!elm) {
        elm = (int64_t)1 << n; /* implicit ellipsis at the end */
        begin[n] = end[n] = 0;
        strides[n] = 1;
        n++;
    }
    /* Dense spec: one entry per input dim. */
    int rank = x->ndim;
    int64_t db[FRT_MAX_DIMS], de[FRT_MAX_DIMS], ds[FRT_MAX_DIMS];
    bool dbm[FRT_MAX_DIMS], dem[FRT_MAX_DIMS], dshrink[FRT_MAX_DIMS];
    /* Output layout: for each output dim, the dense dim it comes from, or -1 for new axes. */
    int out_src[2 * FRT_MAX_DIMS + 32], n_out = 0;
    int d = 0;
    for (int i = 0; i < n; i++) {
        if (elm & ((int64_t)1 << i)) {
            int after = 0;
            for (int j = i + 1; j < n; j++) after += (nam >> j) & 1;
            int e = rank - (n - i) + 1 + after;
            if (e > rank) e = rank;
            for (; d < e; d++) {
                db[d] = de[d] = 0;
                ds[d] = 1;
                dbm[d] = dem[d] = true;
                dshrink[d] = false;
                out_src[n_out++] = d;
            }
        } else if (nam & ((int64_t)1 << i)) {
            out_src[n_out++] = -1;
        } else {
            if (d >= rank)
                return bad("Index out of range using input dim %d; input has only %d dims", d,
                           rank);
            db[d] = begin[i];
            de[d] = end[i];
            ds[d] = strides[i];
            dbm[d] = (bm >> i) & 1;
            dem[d] = (em >> i) & 1;
            dshrink[d] = (sam >> i) & 1;
            if (!dshrink[d]) out_src[n_out++] = d;
            d++;
        }
    }
    /* Per dim: begin index, size (-1 unknown). */
    int64_t first[FRT_MAX_DIMS], size[FRT_MAX_DIMS];
    for (int k = 0; k < d; k++) {
        int64_t D = x->dims[k], s = ds[k];
        if (s == 0) return bad("strides[%d] must be non-zero", k);
        first[k] = -1;
        if (dshrink[k]) {
            if (s < 0) return bad("only stride 1 allowed on non-range indexing.");
            size[k] = 1;
            if (D >= 0) {
                int64_t b = db[k] < 0 ? db[k] + D : db[k];
                if (b < 0 || b >= D)
                    return bad("slice index %lld of dimension %d out of bounds.",
                               (long long)db[k], k);
                first[k] = b;
            } else if (db[k] >= 0) {
                first[k] = db[k];
            }
            continue;
        }
        if (D < 0) {
            size[k] = -1;
            continue;
        }
        int64_t b, e;
        if (dbm[k]) b = s > 0 ? 0 : D - 1;
        else {
            b = db[k] < 0 ? db[k] + D : db[k];
            b = s > 0 ? (b < 0 ? 0 : b > D ? D : b) : (b < -1 ? -1 : b > D - 1 ? D - 1 : b);
        }
        if (dem[k]) e = s > 0 ? D : -1;
        else {
            e = de[k] < 0 ? de[k] + D : de[k];
            e = s > 0 ? (e < 0 ? 0 : e > D ? D : e) : (e < -1 ? -1 : e > D - 1 ? D - 1 : e);
        }
        int64_t L = e - b;
        if (L == 0 || (L < 0) != (s < 0)) size[k] = 0;
        else size[k] = L / s + (L % s != 0);
        first[k] = b;
    }
    if (n_out > FRT_MAX_DIMS) return NULL;
    frt_shape o = {.ndim = n_out};
    for (int i = 0; i < n_out; i++) o.dims[i] = out_src[i] < 0 ? 1 : size[out_src[i]];
    c->out[0] = o;
    /* Partial value: slicing a known-length 1-D int value such as Shape(x). */
    const frt_shape *pv = &c->in_pv[0];
    if (rank == 1 && d == 1 && pv->ndim >= 0 && first[0] >= 0 && size[0] >= 0 &&
        is_int_type(c->out_types[0])) {
        frt_shape r = {.ndim = 0};
        for (int64_t k = 0; k < size[0] && r.ndim < FRT_MAX_DIMS; k++) {
            int64_t idx = first[0] + k * ds[0];
            if (idx < 0 || idx >= pv->ndim) return NULL;
            r.dims[r.ndim++] = pv->dims[idx];
        }
        c->out_pv[0] = r;
    }
    return NULL;
}

/* ---- the inference pass -------------------------------------------------------------------- */

struct frt_shape_map {
    int n_nodes;
    int *first;                 /* first slot of node i, -1 when not inferred */
    int *count;
    frt_shape *shapes;
    frt_dtype *types;
    const frt_tensor **values;
    frt_shape *pv;
};

static int slot(const frt_shape_map *m, frt_edge e) {
    if (!m || e.node < 0 || e.node >= m->n_nodes || m->first[e.node] < 0) return -1;
    if (e.index < 0 || e.index >= m->count[e.node]) return -1;
    return m->first[e.node] + e.index;
}

const frt_shape *frt_shape_map_get(const frt_shape_map *m, frt_edge e) {
    static const frt_shape unknown = {.ndim = -1};
    int s = slot(m, e);
    return s < 0 ? &unknown : &m->shapes[s];
}

frt_dtype frt_shape_map_dtype(const frt_shape_map *m, frt_edge e) {
    int s = slot(m, e);
    return s < 0 ? FRT_DTYPE_INVALID : m->types[s];
}

const frt_tensor *frt_shape_map_const(const frt_shape_map *m, frt_edge e) {
    int s = slot(m, e);
    return s < 0 ? NULL : m->values[s];
}

void frt_shape_map_free(frt_shape_map *m) {
    if (!m) return;
    free(m->first);
    free(m->count);
    free(m->shapes);
    free(m->types);
    free(m->values);
    free(m->pv);
    free(m);
}

static int find_fed(const frt_edge *fed, int n_fed, frt_edge e) {
    for (int i = 0; i < n_fed; i++)
        if (fed[i].node == e.node && fed[i].index == e.index) return i;
    return -1;
}

/* Error lines, one per failing node. */
typedef struct errbuf {
    char *buf;
    size_t len;
    int n;
    bool oom;  /* out of memory: reported instead of the errors */
} errbuf;

static void add_error(errbuf *eb, const frt_node *nd, const char *msg) {
    size_t l = strlen(msg) + strlen(nd->name) + strlen(nd->op) + 32;
    char *buf = frt_realloc(eb->buf, eb->len + l);
    if (!buf) {
        eb->oom = true;
        return;
    }
    eb->buf = buf;
    eb->len += (size_t)snprintf(eb->buf + eb->len, l, "%snode '%s' (%s): %s", eb->n ? "\n" : "",
                                nd->name, nd->op, msg);
    eb->n++;
}

static void pv_from_const(const frt_tensor *t, frt_shape *pv) {
    if (!t || !is_int_type(t->dtype) || t->ndim > 1 || t->n > FRT_MAX_DIMS) return;
    pv->ndim = (int)t->n;
    for (int64_t k = 0; k < t->n; k++) {
        int64_t v = frt_tensor_int_at(t, k);
        pv->dims[k] = v < 0 ? -1 : v;
    }
}

frt_status *frt_graph_infer_shapes(const frt_graph *g, const bool *keep, const frt_edge *fed,
                                   const frt_shape *fed_shapes, int n_fed, frt_shape_map **out) {
    *out = NULL;
    for (int i = 0; i < n_fed; i++)
        if (fed_shapes[i].ndim < -1 || fed_shapes[i].ndim > FRT_MAX_DIMS)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "fed shape %d has rank %d; ranks go from 0 to %d (-1: unknown)",
                                  i, fed_shapes[i].ndim, FRT_MAX_DIMS);
    int n = g->n_nodes;
    int *order = frt_malloc((size_t)n * sizeof *order + 1);
    if (!order) return frt_status_oom("inferring shapes over %d nodes", n);
    frt_status *st = frt_graph_topo_order(g, order);
    if (st) {
        free(order);
        return st;
    }
    frt_shape_map *m = frt_calloc(1, sizeof *m);
    if (m) {
        m->n_nodes = n;
        m->first = frt_malloc((size_t)n * sizeof *m->first + 1);
        m->count = frt_calloc((size_t)n + 1, sizeof *m->count);
    }
    if (!m || !m->first || !m->count) {
        free(order);
        frt_shape_map_free(m);
        return frt_status_oom("inferring shapes over %d nodes", n);
    }
    int total = 0;
    for (int i = 0; i < n; i++) {
        m->first[i] = -1;
        if ((keep && !keep[i]) || g->nodes[i].n_outputs < 0) continue;
        if (g->nodes[i].n_outputs > FRT_GRAPH_MAX_OUTPUTS - total) {
            /* a small file of many Splits with num_split 10^6 sized the maps at gigabytes
             * (and once wrapped the int total, writing outside them) */
            free(order);
            frt_shape_map_free(m);
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "the nodes to run have more than %d outputs in all "
                                  "(FRT_GRAPH_MAX_OUTPUTS; node '%s' (%s) adds %d)",
                                  FRT_GRAPH_MAX_OUTPUTS, g->nodes[i].name, g->nodes[i].op,
                                  g->nodes[i].n_outputs);
        }
        m->first[i] = total;
        m->count[i] = g->nodes[i].n_outputs;
        total += m->count[i];
    }
    m->shapes = frt_malloc((size_t)total * sizeof *m->shapes + 1);
    m->types = frt_malloc((size_t)total * sizeof *m->types + 1);
    m->values = frt_calloc((size_t)total + 1, sizeof *m->values);
    m->pv = frt_malloc((size_t)total * sizeof *m->pv + 1);
    if (!m->shapes || !m->types || !m->values || !m->pv) {
        free(order);
        frt_shape_map_free(m);
        return frt_status_oom("inferring shapes over %d nodes", n);
    }
    for (int s = 0; s < total; s++) {
        m->shapes[s] = m->pv[s] = frt_shape_unknown();
        m->types[s] = FRT_DTYPE_INVALID;
    }

    errbuf eb = {0};
    for (int oi = 0; oi < n && !eb.oom; oi++) {
        int i = order[oi];
        if (m->first[i] < 0) continue;
        const frt_node *nd = &g->nodes[i];
        const frt_op_def *d = frt_op_find(nd->op);
        int base = m->first[i], n_out = m->count[i], n_in = nd->n_data;
        frt_shape *in = frt_malloc((size_t)n_in * sizeof *in + 1);
        frt_shape *in_pv = frt_malloc((size_t)n_in * sizeof *in_pv + 1);
        frt_dtype *in_types = frt_malloc((size_t)n_in * sizeof *in_types + 1);
        const frt_tensor **in_values = frt_calloc((size_t)n_in + 1, sizeof *in_values);
        if (!in || !in_pv || !in_types || !in_values) {
            free(in);
            free(in_pv);
            free(in_types);
            free(in_values);
            eb.oom = true;
            break;
        }
        for (int k = 0; k < n_in; k++) {
            frt_edge e = nd->data[k];
            int f = find_fed(fed, n_fed, e);
            in[k] = *frt_shape_map_get(m, e);
            in_types[k] = frt_shape_map_dtype(m, e);
            int sl = slot(m, e);
            in_pv[k] = f < 0 && sl >= 0 ? m->pv[sl] : frt_shape_unknown();
            in_values[k] = f >= 0 ? NULL : frt_shape_map_const(m, e);
            if (f >= 0) in[k] = fed_shapes[f]; /* producer may be pruned away */
        }
        int n_types = 0;
        if (d) {
            /* Missing type attrs just leave the dtype unknown. */
            frt_status *ts = frt_op_output_types(d, &nd->attrs, &m->types[base], n_out, &n_types);
            frt_status_free(ts);
        }
        frt_shape_ctx c = {.node = nd->name, .op = nd->op, .attrs = &nd->attrs, .n_in = n_in,
                           .in = in, .in_types = in_types, .in_values = in_values,
                           .in_pv = in_pv, .n_out = n_out, .out = &m->shapes[base],
                           .out_types = &m->types[base], .out_pv = &m->pv[base]};
        frt_status *fs = d && d->shape_fn ? d->shape_fn(&c) : NULL;
        if (frt_status_code(fs) == FRT_RESOURCE_EXHAUSTED) eb.oom = true;
        if (fs) {
            add_error(&eb, nd, frt_status_message(fs));
            frt_status_free(fs);
            for (int k = 0; k < n_out; k++)
                m->shapes[base + k] = m->pv[base + k] = frt_shape_unknown();
        }
        if (strcmp(nd->op, "Const") == 0 && n_out == 1) {
            const frt_tensor *t = frt_attr_get_tensor(&nd->attrs, "value");
            m->values[base] = t;
            pv_from_const(t, &m->pv[base]);
        }
        if (d && (d->traits & FRT_OP_FORWARD) && n_in > 0 && n_out > 0) {
            m->pv[base] = in_pv[0];
            m->values[base] = strcmp(nd->op, "Identity") == 0 ? in_values[0] : NULL;
        }
        if (strcmp(nd->op, "Cast") == 0 && n_out == 1 && is_int_type(m->types[base]))
            m->pv[base] = in_pv[0];
        /* A partial value must match the shape: drop it otherwise (a safety net). */
        for (int k = 0; k < n_out; k++) {
            frt_shape *pv = &m->pv[base + k], *s = &m->shapes[base + k];
            if (pv->ndim < 0) continue;
            bool ok = is_int_type(m->types[base + k]) &&
                      ((s->ndim == 0 && pv->ndim == 1) ||
                       (s->ndim == 1 && (s->dims[0] < 0 || s->dims[0] == pv->ndim)));
            if (!ok) *pv = frt_shape_unknown();
        }
        /* Fed outputs take the fed shape; contradictions with what the graph says are errors. */
        for (int k = 0; k < n_out; k++) {
            int f = find_fed(fed, n_fed, (frt_edge){i, k});
            if (f < 0) continue;
            frt_shape merged;
            if (!shape_merge(&m->shapes[base + k], &fed_shapes[f], &merged)) {
                char msg[400];
                snprintf(msg, sizeof msg, "fed shape %s for output %d is incompatible with its "
                         "shape %s",
                         SFMT(&fed_shapes[f]), k, SFMT(&m->shapes[base + k]));
                add_error(&eb, nd, msg);
            } else {
                m->shapes[base + k] = merged;
            }
            m->values[base + k] = NULL;
            m->pv[base + k] = frt_shape_unknown();
        }
        free(in);
        free(in_pv);
        free(in_types);
        free(in_values);
    }
    free(order);
    if (eb.oom) {
        frt_shape_map_free(m);
        free(eb.buf);
        return frt_status_oom("inferring shapes over %d nodes", n);
    }
    if (eb.n) {
        frt_shape_map_free(m);
        st = frt_status_new(FRT_INVALID_ARGUMENT, "%s", eb.buf);
        free(eb.buf);
        return st;
    }
    *out = m;
    return NULL;
}
