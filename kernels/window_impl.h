/* kernels/window_impl.h: helpers shared by the windowed kernel families (conv.c: Conv2D and
 * DepthwiseConv2dNative; pool.c: MaxPool, MaxPoolV2, AvgPool).
 * Owns: the padding attr (VALID/SAME/EXPLICIT) and explicit_paddings validation, the NHWC
 * window geometry (input dims by data_format, output dims), and the NCHW boundary (run the
 * NHWC kernel on transposed copies). The output-size arithmetic itself is frt_window_dim
 * (core/shape.c, shared with cuda/). Does not own: strides/ksize/dilations attrs (their
 * rules and TF error texts differ per family), any per-pixel loop.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernel.h"
#include "core/shape.h"

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
static inline frt_status *frt_window_parse_padding(const char *op, const char *padding,
                                                   bool allow_explicit, frt_padding *mode) {
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

/* explicit_paddings (np values, 2 per dim in data_format order) against a->padding and
 * a->nchw: 8 non-negative values with zero batch/depth pads for EXPLICIT (stored in a->pt..pr),
 * empty otherwise. Error texts are TF's. */
static inline frt_status *frt_window_explicit_pads(frt_window_attrs *a, const int64_t *pads,
                                                   int np) {
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

/* dst[n][b][a] = src[n][a][b] for each of N planes of A x B elements of es bytes, in 32x32
 * blocks; 4- and 8-byte elements are copied as integers (bit-exact, and no per-element
 * memcpy call). */
#define FRT_WINDOW_TRANSPOSE_(T)                                                            \
    do {                                                                                    \
        const T *s = (const T *)src + n * A * B;                                            \
        T *d = (T *)dst + n * A * B;                                                        \
        for (int64_t a0 = 0; a0 < A; a0 += 32)                                              \
            for (int64_t b0 = 0; b0 < B; b0 += 32)                                          \
                for (int64_t a = a0; a < A && a < a0 + 32; a++)                             \
                    for (int64_t b = b0; b < B && b < b0 + 32; b++) d[b * A + a] = s[a * B + b]; \
    } while (0)
static inline void frt_window_transpose_planes(const void *src, void *dst, int64_t N,
                                               int64_t A, int64_t B, size_t es) {
    for (int64_t n = 0; n < N; n++) {
        if (es == 4) {
            FRT_WINDOW_TRANSPOSE_(uint32_t);
        } else if (es == 8) {
            FRT_WINDOW_TRANSPOSE_(uint64_t);
        } else {
            const char *s = (const char *)src + (size_t)(n * A * B) * es;
            char *d = (char *)dst + (size_t)(n * A * B) * es;
            for (int64_t a0 = 0; a0 < A; a0 += 32)
                for (int64_t b0 = 0; b0 < B; b0 += 32)
                    for (int64_t a = a0; a < A && a < a0 + 32; a++)
                        for (int64_t b = b0; b < B && b < b0 + 32; b++)
                            memcpy(d + (size_t)(b * A + a) * es, s + (size_t)(a * B + b) * es,
                                   es);
        }
    }
}
#undef FRT_WINDOW_TRANSPOSE_

/* The NHWC body of a windowed kernel: reads `in` (g's input), writes all of `out`. */
typedef frt_status *(*frt_window_nhwc_fn)(void *arg, const void *in, void *out);

/* Runs fn on x's and out's buffers for NHWC; for NCHW, on temporary copies (c's temps)
 * transposed to NHWC, transposing the result into out when fn succeeds. Errors: fn's, or
 * RESOURCE_EXHAUSTED naming op when the copies cannot be allocated. */
static inline frt_status *frt_window_run_nhwc(frt_kernel_ctx *c, const char *op, bool nchw,
                                              const frt_window_geom *g, const frt_tensor *x,
                                              frt_tensor *out, frt_window_nhwc_fn fn,
                                              void *arg) {
    if (!nchw) return fn(arg, frt_tensor_data(x), frt_tensor_data(out));
    size_t es = frt_dtype_size(x->dtype);
    void *xin, *xout;
    frt_status *st = frt_kernel_temp_alloc(c, (size_t)x->n * es, &xin);
    if (!st) st = frt_kernel_temp_alloc(c, (size_t)out->n * es, &xout);
    if (st) return frt_status_annotate(st, " (%s: NCHW transpose)", op);
    frt_window_transpose_planes(frt_tensor_data(x), xin, g->N, g->C, g->H * g->W, es);
    st = fn(arg, xin, xout);
    if (!st)
        frt_window_transpose_planes(xout, frt_tensor_data(out), g->N, g->OH * g->OW, g->OC, es);
    return st;
}
