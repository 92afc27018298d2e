/* kernels/window_impl.h: helpers shared by the windowed kernel families (conv.c: Conv2D and
 * DepthwiseConv2dNative; pool.c: MaxPool, MaxPoolV2, AvgPool).
 * Owns: the NCHW boundary on the CPU (run the NHWC kernel on transposed copies).
 * Does not own: the attrs and the NHWC window geometry (core/window_attrs.c), the
 * output-size arithmetic (frt_window_dim, core/shape.c); both are shared with cuda/.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernel.h"
#include "core/window_attrs.h"

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
