/* cuda/reduce_ops.c: the host side of flowrt's own GPU reductions — Sum, Mean, Prod, Max,
 * Min over float32, the axes (reduction_indices) in host memory, keep_dims.
 * Owns: axis validation with the CPU kernel's checks and TF's messages (kernels/reduce.c),
 * and splitting the input's dims into kept and reduced groups (size-1 dims dropped,
 * neighbours of one kind merged) for the kernel. A reduction over size-1 dims only is a
 * view, as on the CPU.
 * Does not own: the reduction itself (cuda/kernels/reduce.cuh), ArgMax/ArgMin and integer
 * reductions (CPU only).
 * Thread-safety: kernels are stateless; they run with the device entered. */
#include <stdbool.h>

#include "core/array_shapes.h"
#include "cuda/elementwise_impl.h"

static frt_status *reduce_run(frt_kernel_ctx *c, frt_cu_reduce_op op) {
    const frt_tensor *x = c->inputs[0], *at = c->inputs[1];
    bool keep, red[FRT_MAX_DIMS] = {false};
    FRT_TRY(frt_shape_reduce_axes(x, at, c->attrs, red, &keep));
    int64_t out_dims[FRT_MAX_DIMS], xs[FRT_MAX_DIMS], s = 1;
    int out_nd = 0;
    for (int d = x->ndim - 1; d >= 0; d--) {
        xs[d] = s;
        s *= x->dims[d];
    }
    /* Groups: kept and reduced dims, size-1 dims dropped, neighbours of a kind merged (the
     * merged dim keeps its innermost stride). */
    int64_t kd[FRT_MAX_DIMS], ks[FRT_MAX_DIMS], rd[FRT_MAX_DIMS], rs[FRT_MAX_DIMS];
    int nk = 0, nr = 0, last = -1; /* last: the kind of the previous group, -1 none */
    int64_t count = 1;
    for (int d = 0; d < x->ndim; d++) {
        if (red[d]) {
            count *= x->dims[d];
            if (keep) out_dims[out_nd++] = 1;
        } else {
            out_dims[out_nd++] = x->dims[d];
        }
        if (x->dims[d] == 1) continue;
        int64_t *gd = red[d] ? rd : kd, *gs = red[d] ? rs : ks;
        int *ng = red[d] ? &nr : &nk;
        if (last == (int)red[d]) {
            gd[*ng - 1] *= x->dims[d];
        } else {
            gd[*ng] = x->dims[d];
            (*ng)++;
        }
        gs[*ng - 1] = xs[d];
        last = red[d];
    }
    int64_t on = frt_shape_num_elements(out_dims, out_nd);
    if (on > 0 && count > 0 && nr == 0) { /* only size-1 dims reduced: the same values */
        frt_tensor *v;
        FRT_TRY(frt_tensor_view(x, out_dims, out_nd, &v));
        frt_kernel_set_output(c, 0, v);
        frt_tensor_unref(v);
        return NULL;
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_FLOAT, out_dims, out_nd, &y));
    if (on == 0) return NULL;
    return frt_cuda_check(frt_cu_reduce_f32(frt_cuda_stream(c), op, frt_tensor_device_ptr(x),
                                            frt_tensor_device_ptr(y), on, nk, kd, ks, nr, rd, rs),
                          "frt_cu_reduce_f32");
}

#define REDUCE_OPS(X)                                                                      \
    X(Sum, FRT_CU_REDUCE_SUM) X(Mean, FRT_CU_REDUCE_MEAN) X(Prod, FRT_CU_REDUCE_PROD)       \
    X(Max, FRT_CU_REDUCE_MAX) X(Min, FRT_CU_REDUCE_MIN)

#define DEF_REDUCE(OP, CU)                                                                 \
    static frt_status *OP##_compute(frt_kernel_ctx *c) { return reduce_run(c, CU); }
REDUCE_OPS(DEF_REDUCE)

#define ROW(OP, CU)                                                                        \
    {#OP, FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, OP##_compute, NULL, NULL, FRT_HOST_IN(1), NULL},
static const frt_kernel_def defs[] = {REDUCE_OPS(ROW)};

void frt_cuda_register_reduce_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
