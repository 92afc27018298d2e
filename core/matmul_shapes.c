/* core/matmul_shapes.c: BatchMatMul's checks and batch geometry with TF's texts (see
 * core/matmul_shapes.h). Used by kernels/matmul.c and cuda/blas.c.
 * Thread-safety: pure functions over caller-owned values. */
#include "core/matmul_shapes.h"

frt_status *frt_bmm_attrs(const frt_attrs *attrs, const frt_tensor *x, const frt_tensor *y,
                          bool *ta, bool *tb) {
    FRT_TRY(frt_attr_get_bool(attrs, "adj_x", false, ta));
    FRT_TRY(frt_attr_get_bool(attrs, "adj_y", false, tb));
    if (x->ndim < 2)
        return frt_status_new(FRT_INVALID_ARGUMENT, "In[0] ndims must be >= 2: %d", x->ndim);
    if (y->ndim < 2)
        return frt_status_new(FRT_INVALID_ARGUMENT, "In[1] ndims must be >= 2: %d", y->ndim);
    return NULL;
}

frt_status *frt_bmm_geom_init(const frt_tensor *x, const frt_tensor *y, bool ta, bool tb,
                              bool broadcast, frt_bmm_geom *g) {
    int xr = x->ndim, yr = y->ndim;
    int64_t M = x->dims[xr - (ta ? 1 : 2)], K = x->dims[xr - (ta ? 2 : 1)];
    int64_t Kb = y->dims[yr - (tb ? 1 : 2)], N = y->dims[yr - (tb ? 2 : 1)];
    if (K != Kb)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Matrix size-incompatible: In[0]: %s, In[1]: %s",
                              FRT_SHAPE_STR(x), FRT_SHAPE_STR(y));
    /* Batch dims, right-aligned. */
    int xb = xr - 2, yb = yr - 2, ob = xb > yb ? xb : yb;
    if (!broadcast && xb != yb)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "In[0] and In[1] has different ndims: %s vs. %s",
                              FRT_SHAPE_STR(x), FRT_SHAPE_STR(y));
    int64_t xcount = 1, ycount = 1;
    for (int i = ob - 1; i >= 0; i--) {
        int xi = i - (ob - xb), yi = i - (ob - yb);
        int64_t xd = xi >= 0 ? x->dims[xi] : 1, yd = yi >= 0 ? y->dims[yi] : 1;
        if (xd != yd && !broadcast)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "In[0].dim(%d) and In[1].dim(%d) must be the same: %s vs %s",
                                  i, i, FRT_SHAPE_STR(x), FRT_SHAPE_STR(y));
        if (xd != yd && xd != 1 && yd != 1)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "In[0] and In[1] must have compatible batch dimensions: "
                                  "%s vs. %s",
                                  FRT_SHAPE_STR(x), FRT_SHAPE_STR(y));
        g->odims[i] = xd == 1 ? yd : xd;
        g->xs[i] = xd == 1 ? 0 : xcount;
        g->ys[i] = yd == 1 ? 0 : ycount;
        xcount *= xd;
        ycount *= yd;
    }
    g->odims[ob] = M;
    g->odims[ob + 1] = N;
    g->M = M;
    g->N = N;
    g->K = K;
    g->ob = ob;
    g->xcount = xcount;
    g->ycount = ycount;
    return NULL;
}

frt_status *frt_bmm_v3_check_types(const frt_attrs *attrs) {
    frt_dtype ta, tb, tout;
    FRT_TRY(frt_attr_get_type(attrs, "Ta", FRT_DTYPE_INVALID, &ta));
    FRT_TRY(frt_attr_get_type(attrs, "Tb", ta, &tb));
    FRT_TRY(frt_attr_get_type(attrs, "Tout", ta, &tout));
    if (tb != ta || tout != ta)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "BatchMatMulV3 with Ta=%s, Tb=%s, Tout=%s (only equal types)",
                              frt_dtype_name(ta), frt_dtype_name(tb), frt_dtype_name(tout));
    return NULL;
}
