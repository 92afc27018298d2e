/* core/window_attrs.h: the attrs of TensorFlow's windowed ops (Conv2D,
 * DepthwiseConv2dNative and their _Fused forms; MaxPool, MaxPoolV2, AvgPool) parsed and
 * validated with TF's error texts, and the NHWC window geometry. Shared by the CPU kernels
 * (kernels/conv.c, kernels/pool.c) and the GPU's (cuda/dnn.c).
 * Owns: padding (VALID/SAME/EXPLICIT) and explicit_paddings, data_format, conv strides and
 * dilations, pool ksize and strides, the input/output dims by data_format, the conv and pool
 * geometry checks with their texts.
 * Does not own: the output-size arithmetic (frt_window_dim, core/shape.c), the fused
 * epilogue's attrs (per device), any per-pixel loop or layout transpose.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/shape.h"
#include "core/status.h"
#include "core/tensor.h"

/* Padding attrs as parsed at init: mode, data_format, and for EXPLICIT the spatial pads. */
typedef struct frt_window_attrs {
    bool nchw;
    frt_padding padding;
    int64_t pt, pb, pl, pr; /* EXPLICIT paddings: top, bottom, left, right */
} frt_window_attrs;

/* One node's geometry in NHWC order (NCHW tensors are transposed at the boundary). */
typedef struct frt_window_geom {
    int64_t N, H, W, C;     /* input */
    int64_t KH, KW;         /* window (filter) size */
    int64_t OH, OW, OC;     /* output; OC == C for pools */
    int64_t sh, sw, dh, dw; /* strides, dilations (1 for pools) */
    int64_t pt, pl;         /* padding before the first window row / column */
} frt_window_geom;

/* The padding attr value (NULL: missing). EXPLICIT only where allow_explicit (AvgPool has no
 * EXPLICIT). Errors: INVALID_ARGUMENT naming op. */
FRT_MUST_USE frt_status *frt_window_parse_padding(const char *op, const char *padding,
                                                  bool allow_explicit, frt_padding *mode);

/* explicit_paddings (np values, 2 per dim in data_format order) against a->padding and
 * a->nchw: 8 non-negative values with zero batch/depth pads for EXPLICIT (stored in a->pt..pr),
 * empty otherwise. Error texts are TF's. */
FRT_MUST_USE frt_status *frt_window_explicit_pads(frt_window_attrs *a, const int64_t *pads,
                                                  int np);

/* N, H, W, C of a 4-d input in data_format order. */
static inline void frt_window_geom_input(frt_window_geom *g, const frt_tensor *x, bool nchw) {
    g->N = x->dims[0];
    g->H = x->dims[nchw ? 2 : 1];
    g->W = x->dims[nchw ? 3 : 2];
    g->C = x->dims[nchw ? 1 : 3];
}

/* The output's dims in data_format order. */
static inline void frt_window_out_dims(const frt_window_geom *g, bool nchw, int64_t odims[4]) {
    odims[0] = g->N;
    odims[1] = nchw ? g->OC : g->OH;
    odims[2] = nchw ? g->OH : g->OW;
    odims[3] = nchw ? g->OW : g->OC;
}

/* Conv2D / DepthwiseConv2dNative (and _Fused*) attrs. */
typedef struct frt_conv_attrs {
    frt_window_attrs w;
    int64_t sh, sw, dh, dw; /* spatial strides and dilations */
    bool fused;             /* op starts with _Fused: filter_format HWIO, num_host_args 0 */
} frt_conv_attrs;

/* strides, dilations (default 1s), padding, explicit_paddings, data_format and, for _Fused
 * ops, filter_format and num_host_args, with TF's texts. The epilogue (fused_ops) is left to
 * the device's kernel. */
FRT_MUST_USE frt_status *frt_conv_attrs_parse(const char *op, const frt_attrs *a,
                                              frt_conv_attrs *out);

/* MaxPool / MaxPoolV2 / AvgPool attrs. */
typedef struct frt_pool_attrs {
    frt_window_attrs w;
    bool have_window; /* false for MaxPoolV2: ksize/strides arrive as inputs */
    bool avg;         /* AvgPool */
    int64_t kh, kw, sh, sw;
} frt_pool_attrs;

/* padding (no EXPLICIT for AvgPool), explicit_paddings, data_format and, except for
 * MaxPoolV2, ksize and strides. */
FRT_MUST_USE frt_status *frt_pool_attrs_parse(const char *op, const frt_attrs *a,
                                              frt_pool_attrs *out);

/* ksize/strides as 4 entries each in data_format order (attrs, or MaxPoolV2's inputs); N and
 * C must be 1. Sets p->kh, kw, sh, sw. */
FRT_MUST_USE frt_status *frt_pool_set_window(frt_pool_attrs *p, const char *op,
                                             const int64_t *k, int nk, const int64_t *st,
                                             int nst);
/* MaxPoolV2's window from its ksize and strides inputs (host tensors of 4 ints). */
FRT_MUST_USE frt_status *frt_pool_window_from_inputs(frt_pool_attrs *p, const frt_tensor *ksize,
                                                     const frt_tensor *strides);

/* A Conv2D / DepthwiseConv2dNative node's geometry (float32 only) from input x and filter f
 * (HWIO; depthwise: [KH, KW, C, multiplier]) under attrs w, strides and dilations, with TF's
 * texts (TF's GetWindowedOutputSizeVerbose's for each spatial dim): g, the output dims in
 * data_format order and the group count (C for depthwise). */
FRT_MUST_USE frt_status *frt_conv_geom(const char *op, const frt_window_attrs *w, int64_t sh,
                                       int64_t sw, int64_t dh, int64_t dw, bool depthwise,
                                       const frt_tensor *x, const frt_tensor *f,
                                       frt_window_geom *g, int64_t odims[4], int64_t *groups);

/* A pool node's geometry from its 4-d input x: g and the output dims in data_format order,
 * with pool.c's texts (explicit pads must be smaller than the window). */
FRT_MUST_USE frt_status *frt_pool_geom(const char *op, const frt_window_attrs *w, int64_t kh,
                                       int64_t kw, int64_t sh, int64_t sw, const frt_tensor *x,
                                       frt_window_geom *g, int64_t odims[4]);
