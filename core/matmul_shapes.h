/* core/matmul_shapes.h: BatchMatMul / V2 / V3's checks and batch geometry (adj_x, adj_y,
 * ranks, the contracted size, batch dims right-aligned and, for V2/V3, broadcast NumPy-style)
 * with TF's error texts. Shared by the CPU kernel (kernels/matmul.c) and the GPU's
 * (cuda/blas.c).
 * Owns: the shape rules and the per-batch operand offsets. Does not own: dtype support (per
 * device), the products themselves, MatMul / _FusedMatMul's checks.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/status.h"
#include "core/tensor.h"

/* One batched product: out[b] = op(x[b]) op(y[b]) with [M, K] x [K, N] matrices. */
typedef struct frt_bmm_geom {
    int64_t M, N, K;
    int ob;                         /* batch dims of the output */
    int64_t odims[FRT_MAX_DIMS];    /* output dims, ob + 2 of them */
    int64_t xs[FRT_MAX_DIMS];       /* batch strides in matrices, 0 where x broadcasts */
    int64_t ys[FRT_MAX_DIMS];       /* the same for y */
    int64_t xcount, ycount;         /* matrices in x and in y */
} frt_bmm_geom;

/* adj_x / adj_y into *ta / *tb, and both inputs at least 2-d. */
FRT_MUST_USE frt_status *frt_bmm_attrs(const frt_attrs *attrs, const frt_tensor *x,
                                       const frt_tensor *y, bool *ta, bool *tb);

/* The geometry of x op y; broadcast: V2/V3 (batch dims broadcast), else V1 (equal ones). */
FRT_MUST_USE frt_status *frt_bmm_geom_init(const frt_tensor *x, const frt_tensor *y, bool ta,
                                           bool tb, bool broadcast, frt_bmm_geom *g);

/* BatchMatMulV3's Ta, Tb and Tout: UNIMPLEMENTED unless all three are one type (what both
 * devices' kernels run). */
FRT_MUST_USE frt_status *frt_bmm_v3_check_types(const frt_attrs *attrs);

/* The matrix offsets into x and y (in matrices) of output batch b. */
static inline void frt_bmm_batch_offsets(const frt_bmm_geom *g, int64_t b, int64_t *xo,
                                         int64_t *yo) {
    int64_t rem = b, xoff = 0, yoff = 0;
    for (int i = g->ob - 1; i >= 0; i--) {
        int64_t idx = rem % g->odims[i];
        rem /= g->odims[i];
        xoff += idx * g->xs[i];
        yoff += idx * g->ys[i];
    }
    *xo = xoff;
    *yo = yoff;
}
