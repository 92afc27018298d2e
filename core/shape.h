/* core/shape.h: NumPy broadcasting (TensorFlow's BCast) for elementwise kernels on any
 * device: the output shape, a collapsed form that merges adjacent dims with the same
 * broadcast pattern, per-operand element strides (0 where broadcast), flags for the common
 * fast cases, and a row iterator that walks the collapsed output one innermost row at a time.
 * Also TF's windowed output-size rule (VALID/SAME/EXPLICIT) for convolutions and pools.
 * Shared by kernels/ and cuda/: no kernel-specific logic here.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"
#include "core/tensor.h"

#define FRT_BCAST_MAX_IN 3

typedef struct frt_bcast {
    int n_in;                        /* operands: 2 (binary ops) or 3 (SelectV2) */
    /* Broadcast output shape, rank = the largest operand rank. */
    int out_ndim;
    int64_t out_dims[FRT_MAX_DIMS];
    int64_t n;                       /* output elements */
    int64_t in_n[FRT_BCAST_MAX_IN];  /* elements of each operand */
    /* Collapsed form: output dims of size 1 dropped, adjacent dims with the same broadcast
     * pattern merged. ndim >= 1; dims[ndim-1] is the innermost (row) length. When n == 1
     * this is dims = {1} with zero strides. */
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    int64_t strides[FRT_BCAST_MAX_IN][FRT_MAX_DIMS]; /* element strides; 0 = broadcast */
    /* Fast-case flags. */
    bool same_shape;                 /* every operand has n elements: flat index everywhere */
    bool scalar[FRT_BCAST_MAX_IN];   /* operand k has exactly one element */
    /* Binary only: y is a vector over the last collapsed dim, repeated over rows, and x has
     * the output's shape (BiasAdd-like). x_row is the mirror case. */
    bool y_row, x_row;
} frt_bcast;

/* Broadcasts x against y. On error: INVALID_ARGUMENT "Incompatible shapes: [2,3] vs. [4]"
 * (TF's text). Shapes are borrowed; b is caller-owned and needs no cleanup. */
FRT_MUST_USE frt_status *frt_bcast_init(frt_bcast *b, const int64_t *x, int xn, const int64_t *y,
                                        int yn);
/* Three-way broadcast (SelectV2: condition, then, else). Error text names all three. */
FRT_MUST_USE frt_status *frt_bcast_init3(frt_bcast *b, const int64_t *a, int an,
                                         const int64_t *bb, int bn, const int64_t *c, int cn);

/* Row iterator over the collapsed output: the position of flat output index `i`, the
 * element offset of each operand there, and how many elements remain in the current
 * innermost row. Typical loop over [lo, hi):
 *   frt_bcast_iter it; frt_bcast_iter_init(b, &it, lo);
 *   for (int64_t i = lo; i < hi;) {
 *       int64_t len = min(frt_bcast_iter_row_left(b, &it), hi - i);
 *       ... len elements: operand k from it.off[k] with step b->strides[k][b->ndim-1] ...
 *       i += len; frt_bcast_iter_advance(b, &it, len);
 *   } */
typedef struct frt_bcast_iter {
    int64_t coord[FRT_MAX_DIMS];
    int64_t off[FRT_BCAST_MAX_IN];
} frt_bcast_iter;

void frt_bcast_iter_init(const frt_bcast *b, frt_bcast_iter *it, int64_t i);
static inline int64_t frt_bcast_iter_row_left(const frt_bcast *b, const frt_bcast_iter *it) {
    return b->dims[b->ndim - 1] - it->coord[b->ndim - 1];
}
/* Moves forward by len elements, len <= row_left (carrying into outer dims at a row end). */
void frt_bcast_iter_advance(const frt_bcast *b, frt_bcast_iter *it, int64_t len);

/* Offset of operand k for flat output index i (slow; for setup and tests). */
int64_t frt_bcast_offset(const frt_bcast *b, int k, int64_t i);

/* ---- windowed ops (Conv2D, DepthwiseConv2dNative, MaxPool, AvgPool) ---------------------- */

typedef enum frt_padding { FRT_PADDING_VALID, FRT_PADDING_SAME, FRT_PADDING_EXPLICIT } frt_padding;

/* TF's GetWindowedOutputSizeVerbose for one spatial dim: input size `in`, effective window
 * size keff = (k - 1) * dilation + 1, stride s > 0. Sets *out to the output size and
 * *pad_before to the padding before the first window (SAME: half the total, rounded down;
 * EXPLICIT: explicit_before, with explicit_after added to the input's end). Division
 * truncates as in C++, so a slightly-too-small VALID input gives 0; *out < 0 is left for the
 * caller to report in its op's words. */
void frt_window_dim(int64_t in, int64_t keff, int64_t s, frt_padding mode,
                    int64_t explicit_before, int64_t explicit_after, int64_t *out,
                    int64_t *pad_before);
