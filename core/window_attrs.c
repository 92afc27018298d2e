/* core/window_attrs.c: conv and pool attrs with TF's checks and texts (see
 * core/window_attrs.h). Used by kernels/conv.c, kernels/pool.c and cuda/dnn.c.
 * Thread-safety: pure functions over caller-owned values. */
#include "core/window_attrs.h"

#include <string.h>

frt_status *frt_window_parse_padding(const char *op, const char *padding, bool allow_explicit,
                                     frt_padding *mode) {
    if (!padding)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: missing attr 'padding'", op);
    if (strcmp(padding, "VALID") == 0) *mode = FRT_PADDING_VALID;
    else if (strcmp(padding, "SAME") == 0) *mode = FRT_PADDING_SAME;
    else if (strcmp(padding, "EXPLICIT") == 0 && allow_explicit) *mode = FRT_PADDING_EXPLICIT;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: unknown padding '%s' (expected %s)", op,
                              padding,
                              allow_explicit ? "SAME, VALID or EXPLICIT" : "SAME or VALID");
    return NULL;
}

frt_status *frt_window_explicit_pads(frt_window_attrs *a, const int64_t *pads, int np) {
    if (a->padding != FRT_PADDING_EXPLICIT) {
        if (np != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "explicit_paddings attribute must be empty if the padding is "
                                  "not EXPLICIT");
        return NULL;
    }
    int hi = a->nchw ? 2 : 1, wi = hi + 1, ci = a->nchw ? 1 : 3;
    if (np != 8)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "explicit_paddings attribute must contain 8 values, but got: %d",
                              np);
    for (int i = 0; i < 8; i++)
        if (pads[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "All elements of explicit_paddings must be nonnegative");
    if (pads[0] || pads[1] || pads[2 * ci] || pads[2 * ci + 1])
        return frt_status_new(FRT_UNIMPLEMENTED, "Nonzero explicit padding in the batch or "
                                                 "depth dimensions is not supported");
    a->pt = pads[2 * hi];
    a->pb = pads[2 * hi + 1];
    a->pl = pads[2 * wi];
    a->pr = pads[2 * wi + 1];
    return NULL;
}

frt_status *frt_conv_attrs_parse(const char *op, const frt_attrs *a, frt_conv_attrs *out) {
    int64_t strides[8], dil[8], pads[16];
    int ns = 0, nd = 0, np = 0;
    FRT_TRY(frt_attr_get_int_list(a, "strides", 8, strides, &ns));
    FRT_TRY(frt_attr_get_int_list(a, "dilations", 8, dil, &nd));
    FRT_TRY(frt_attr_get_int_list(a, "explicit_paddings", 16, pads, &np));
    const char *padding = NULL, *fmt = NULL;
    FRT_TRY(frt_attr_get_str(a, "padding", NULL, &padding));
    FRT_TRY(frt_attr_get_str(a, "data_format", "NHWC", &fmt));
    frt_conv_attrs s = {0};
    if (strcmp(fmt, "NHWC") == 0) s.w.nchw = false;
    else if (strcmp(fmt, "NCHW") == 0) s.w.nchw = true;
    else
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: unsupported data_format '%s'", op,
                              fmt);
    int hi = s.w.nchw ? 2 : 1, wi = hi + 1, ci = s.w.nchw ? 1 : 3;
    if (ns != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Sliding window strides field must specify 4 dimensions");
    if (nd == 0) {
        nd = 4;
        dil[0] = dil[1] = dil[2] = dil[3] = 1;
    }
    if (nd != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Sliding window dilations field must specify 4 dimensions");
    if (strides[0] != 1 || strides[ci] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED, "Current implementation does not yet support "
                                                 "strides in the batch and depth dimensions.");
    if (dil[0] != 1 || dil[ci] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED, "Current implementation does not yet support "
                                                 "dilations in the batch and depth dimensions.");
    s.sh = strides[hi];
    s.sw = strides[wi];
    s.dh = dil[hi];
    s.dw = dil[wi];
    if (s.sh <= 0 || s.sw <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Sliding window strides must be positive, "
                                                    "got [%lld,%lld]",
                              (long long)s.sh, (long long)s.sw);
    if (s.dh <= 0 || s.dw <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "Dilated rates should be larger than 0, "
                                                    "got [%lld,%lld]",
                              (long long)s.dh, (long long)s.dw);
    FRT_TRY(frt_window_parse_padding(op, padding, true, &s.w.padding));
    FRT_TRY(frt_window_explicit_pads(&s.w, pads, np));
    s.fused = strncmp(op, "_Fused", 6) == 0;
    if (s.fused) {
        const char *ff = NULL;
        FRT_TRY(frt_attr_get_str(a, "filter_format", "HWIO", &ff));
        if (strcmp(ff, "HWIO") != 0)
            return frt_status_new(FRT_UNIMPLEMENTED, "%s: filter_format '%s' (only HWIO)", op,
                                  ff);
        int64_t nh = 0;
        FRT_TRY(frt_attr_get_int(a, "num_host_args", 0, &nh));
        if (nh != 0)
            return frt_status_new(FRT_UNIMPLEMENTED, "%s: num_host_args = %lld (only 0)", op,
                                  (long long)nh);
    }
    *out = s;
    return NULL;
}

frt_status *frt_pool_set_window(frt_pool_attrs *s, const char *op, const int64_t *k, int nk,
                                const int64_t *st, int nst) {
    if (nk != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Sliding window ksize field must specify 4 dimensions", op);
    if (nst != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Sliding window stride field must specify 4 dimensions", op);
    int hi = s->w.nchw ? 2 : 1, wi = hi + 1, ci = s->w.nchw ? 1 : 3;
    if (k[0] != 1 || st[0] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: Pooling is not yet supported on the batch dimension.", op);
    if (k[ci] != 1 || st[ci] != 1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s: pooling over the depth dimension is not implemented", op);
    s->kh = k[hi];
    s->kw = k[wi];
    s->sh = st[hi];
    s->sw = st[wi];
    if (s->kh <= 0 || s->kw <= 0 || s->sh <= 0 || s->sw <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: ksize and strides must be positive, got ksize [%lld,%lld], "
                              "strides [%lld,%lld]",
                              op, (long long)s->kh, (long long)s->kw, (long long)s->sh,
                              (long long)s->sw);
    return NULL;
}

frt_status *frt_pool_attrs_parse(const char *op, const frt_attrs *a, frt_pool_attrs *out) {
    frt_pool_attrs s = {0};
    const char *padding = NULL, *fmt = NULL;
    FRT_TRY(frt_attr_get_str(a, "padding", NULL, &padding));
    FRT_TRY(frt_attr_get_str(a, "data_format", "NHWC", &fmt));
    if (strcmp(fmt, "NHWC") == 0) s.w.nchw = false;
    else if (strcmp(fmt, "NCHW") == 0) s.w.nchw = true;
    else
        return frt_status_new(FRT_UNIMPLEMENTED, "%s: unsupported data_format '%s'", op, fmt);
    s.avg = strcmp(op, "AvgPool") == 0;
    FRT_TRY(frt_window_parse_padding(op, padding, !s.avg, &s.w.padding));
    int64_t pads[16];
    int np = 0;
    FRT_TRY(frt_attr_get_int_list(a, "explicit_paddings", 16, pads, &np));
    FRT_TRY(frt_window_explicit_pads(&s.w, pads, np));
    s.have_window = strcmp(op, "MaxPoolV2") != 0;
    if (s.have_window) {
        int64_t k[8], st[8];
        int nk = 0, nst = 0;
        FRT_TRY(frt_attr_get_int_list(a, "ksize", 8, k, &nk));
        FRT_TRY(frt_attr_get_int_list(a, "strides", 8, st, &nst));
        FRT_TRY(frt_pool_set_window(&s, op, k, nk, st, nst));
    }
    *out = s;
    return NULL;
}

/* TF's GetWindowedOutputSizeVerbose for one spatial dim of a convolution (`what`: "rows" or
 * "cols"; filter size k dilated by d), with its error text. */
static frt_status *conv_window_dim(const char *what, int64_t in, int64_t k, int64_t d,
                                   int64_t s, frt_padding mode, int64_t eb, int64_t ea,
                                   int64_t *out, int64_t *pb) {
    int64_t keff = (k - 1) * d + 1;
    frt_window_dim(in, keff, s, mode, eb, ea, out, pb);
    if (*out < 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Computed output size would be negative: %lld [input %s: %lld, "
                              "effective filter size: %lld, stride: %lld]",
                              (long long)*out, what, (long long)in, (long long)keff, (long long)s);
    return NULL;
}

frt_status *frt_conv_geom(const char *op, const frt_window_attrs *w, int64_t sh, int64_t sw,
                          int64_t dh, int64_t dw, bool depthwise, const frt_tensor *x,
                          const frt_tensor *f, frt_window_geom *g, int64_t odims[4],
                          int64_t *groups_out) {
    if (x->ndim != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input must be 4-dimensional%s",
                              FRT_SHAPE_STR(x));
    if (f->ndim != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT, "filter must be 4-dimensional: %s",
                              FRT_SHAPE_STR(f));
    if (x->dtype != FRT_DTYPE_FLOAT || f->dtype != FRT_DTYPE_FLOAT)
        return frt_status_new(FRT_UNIMPLEMENTED, "%s: only float32 is implemented, got %s",
                              op, frt_dtype_name(x->dtype));
    *g = (frt_window_geom){.KH = f->dims[0], .KW = f->dims[1], .sh = sh, .sw = sw, .dh = dh,
                           .dw = dw};
    frt_window_geom_input(g, x, w->nchw);
    int64_t fin = f->dims[2];
    if (depthwise) {
        if (fin != g->C)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "input and filter must have the same depth: %lld vs %lld "
                                  "(input %s, filter %s)",
                                  (long long)g->C, (long long)fin, FRT_SHAPE_STR(x),
                                  FRT_SHAPE_STR(f));
        g->OC = g->C * f->dims[3];
        *groups_out = g->C;
    } else {
        if (fin <= 0 || g->C % fin != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "input depth must be evenly divisible by filter depth: "
                                  "%lld vs %lld (input %s, filter %s)",
                                  (long long)g->C, (long long)fin, FRT_SHAPE_STR(x),
                                  FRT_SHAPE_STR(f));
        int64_t groups = g->C / fin;
        if (groups <= 0) /* input depth 0: TF 2.21's message */
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "grouped convolution must have at least one group: %lld groups",
                                  (long long)groups);
        if (f->dims[3] % groups != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "output depth must be evenly divisible by number of groups: "
                                  "%lld vs %lld (filter %s)",
                                  (long long)f->dims[3], (long long)groups, FRT_SHAPE_STR(f));
        g->OC = f->dims[3];
        *groups_out = groups;
    }
    FRT_TRY(conv_window_dim("rows", g->H, g->KH, g->dh, g->sh, w->padding, w->pt, w->pb,
                            &g->OH, &g->pt));
    FRT_TRY(conv_window_dim("cols", g->W, g->KW, g->dw, g->sw, w->padding, w->pl, w->pr,
                            &g->OW, &g->pl));
    frt_window_out_dims(g, w->nchw, odims);
    return NULL;
}

/* GetWindowedOutputSizeVerbose with dilation 1, with the pools' error text. */
static frt_status *pool_window_dim(const char *op, int64_t in, int64_t k, int64_t s,
                                   frt_padding mode, int64_t eb, int64_t ea, int64_t *out,
                                   int64_t *pb) {
    frt_window_dim(in, k, s, mode, eb, ea, out, pb);
    if (*out < 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: Computed output size would be negative: %lld [input: %lld, "
                              "window: %lld, stride: %lld]",
                              op, (long long)*out, (long long)in, (long long)k, (long long)s);
    return NULL;
}

frt_status *frt_pool_geom(const char *op, const frt_window_attrs *w, int64_t kh, int64_t kw,
                          int64_t sh, int64_t sw, const frt_tensor *x, frt_window_geom *g,
                          int64_t odims[4]) {
    if (x->ndim != 4)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: input must be 4-dimensional, got %s",
                              op, FRT_SHAPE_STR(x));
    *g = (frt_window_geom){.KH = kh, .KW = kw, .sh = sh, .sw = sw, .dh = 1, .dw = 1};
    frt_window_geom_input(g, x, w->nchw);
    g->OC = g->C;
    FRT_TRY(pool_window_dim(op, g->H, g->KH, g->sh, w->padding, w->pt, w->pb, &g->OH, &g->pt));
    FRT_TRY(pool_window_dim(op, g->W, g->KW, g->sw, w->padding, w->pl, w->pr, &g->OW, &g->pl));
    if (w->padding == FRT_PADDING_EXPLICIT &&
        (w->pt >= g->KH || w->pb >= g->KH || w->pl >= g->KW || w->pr >= g->KW))
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: explicit padding must be smaller than the window", op);
    frt_window_out_dims(g, w->nchw, odims);
    return NULL;
}

frt_status *frt_pool_window_from_inputs(frt_pool_attrs *p, const frt_tensor *ksize,
                                        const frt_tensor *strides) {
    int64_t k[4], st[4];
    const frt_tensor *in[2] = {ksize, strides};
    for (int i = 0; i < 2; i++) {
        const frt_tensor *t = in[i];
        if (t->ndim != 1 || t->n != 4 ||
            (t->dtype != FRT_DTYPE_INT32 && t->dtype != FRT_DTYPE_INT64))
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "MaxPoolV2: %s must be a vector of 4 ints, got %s %s",
                                  i == 0 ? "ksize" : "strides", frt_dtype_name(t->dtype),
                                  FRT_SHAPE_STR(t));
        for (int d = 0; d < 4; d++) (i == 0 ? k : st)[d] = frt_tensor_int_at(t, d);
    }
    return frt_pool_set_window(p, "MaxPoolV2", k, 4, st, 4);
}
