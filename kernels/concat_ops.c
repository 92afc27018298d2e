/* kernels/concat_ops.c: ConcatV2 (axis last), Concat (v1, axis first), Pack, Unpack.
 * Owns: TF's ConcatOp/PackOp shape checks and messages, the row-interleaving copy (each
 * input contributes one contiguous run per outer row; rows split over the thread pool).
 * Does not own: Split (slice_ops.c).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

typedef struct concat_job {
    int n;
    const char **src;
    const size_t *run;   /* bytes input k adds to each output row */
    size_t row;          /* output row bytes */
    char *dst;
} concat_job;

static void concat_rows(void *arg, int64_t lo, int64_t hi) {
    const concat_job *j = arg;
    for (int64_t r = lo; r < hi; r++) {
        char *d = j->dst + (size_t)r * j->row;
        for (int k = 0; k < j->n; k++) {
            if (!j->run[k]) continue;
            memcpy(d, j->src[k] + (size_t)r * j->run[k], j->run[k]);
            d += j->run[k];
        }
    }
}

/* out (already allocated) = for each of `outer` rows, the runs of every input in order. */
static frt_status *concat_copy(frt_kernel_ctx *c, frt_tensor *const *ins, int n, int64_t outer,
                               const int64_t *inner, frt_tensor *out) {
    if (out->n == 0) return NULL;
    size_t es = frt_array_elem_size(out->dtype);
    const char **src = frt_malloc(sizeof(char *) * (size_t)n);
    size_t *run = frt_malloc(sizeof(size_t) * (size_t)n);
    if (!src || !run) {
        free(src);
        free(run);
        return frt_status_oom("concatenating %d tensors", n);
    }
    size_t row = 0;
    for (int k = 0; k < n; k++) {
        src[k] = frt_tensor_data(ins[k]);
        run[k] = (size_t)inner[k] * es;
        row += run[k];
    }
    concat_job j = {n, src, run, row, frt_tensor_data(out)};
    if ((size_t)outer * row < FRT_ARRAY_PARALLEL_BYTES)
        concat_rows(&j, 0, outer);
    else
        frt_kernel_parallel_for(c, outer, (int64_t)(FRT_ARRAY_PARALLEL_BYTES / (row + 1)) + 1,
                                concat_rows, &j);
    free(src);
    free(run);
    return frt_array_own_strings(out);
}

static frt_status *concat_impl(frt_kernel_ctx *c, frt_tensor *const *ins, int n,
                               const frt_tensor *axis_t) {
    int64_t dims[FRT_MAX_DIMS];
    int axis;
    FRT_TRY(frt_shape_concat(ins, n, axis_t, dims, &axis));
    const frt_tensor *x0 = ins[0];
    int rank = x0->ndim;
    /* Only one input holds data: the output is that input (TF forwards it too). */
    int nonempty = -1, count = 0;
    for (int k = 0; k < n; k++)
        if (ins[k]->n > 0) {
            nonempty = k;
            count++;
        }
    if (count == 1) return frt_array_set_view(c, 0, ins[nonempty], dims, rank);

    int64_t outer = 1;
    for (int d = 0; d < axis; d++) outer *= dims[d];
    int64_t *inner = frt_malloc(sizeof(int64_t) * (size_t)n);
    if (!inner) return frt_status_oom("concatenating %d tensors", n);
    for (int k = 0; k < n; k++) {
        inner[k] = 1;
        for (int d = axis; d < rank; d++) inner[k] *= ins[k]->dims[d];
    }
    frt_tensor *y;
    frt_status *st = frt_kernel_output(c, 0, x0->dtype, dims, rank, &y);
    if (!st) st = concat_copy(c, ins, n, outer, inner, y);
    free(inner);
    return st;
}

static frt_status *concat_v2_compute(frt_kernel_ctx *c) {
    if (c->n_inputs < 2) return frt_status_new(FRT_INVALID_ARGUMENT, "ConcatV2 needs an axis");
    if (c->inputs[0]->ndim == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "ConcatOp : Can't concatenate scalars (use tf.stack instead)");
    return concat_impl(c, c->inputs, c->n_inputs - 1, c->inputs[c->n_inputs - 1]);
}

static frt_status *concat_v1_compute(frt_kernel_ctx *c) {
    if (c->n_inputs < 2) return frt_status_new(FRT_INVALID_ARGUMENT, "Concat needs values");
    if (c->inputs[1]->ndim == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "ConcatOp : Can't concatenate scalars (use tf.stack instead)");
    return concat_impl(c, c->inputs + 1, c->n_inputs - 1, c->inputs[0]);
}

/* Pack: stack N same-shaped tensors along a new axis = a concat of runs. */
static frt_status *pack_compute(frt_kernel_ctx *c) {
    int n = c->n_inputs;
    if (n < 1) return frt_status_new(FRT_INVALID_ARGUMENT, "Pack needs at least one value");
    const frt_tensor *x0 = c->inputs[0];
    int64_t a;
    FRT_TRY(frt_attr_get_int(c->attrs, "axis", 0, &a));
    int r1 = x0->ndim + 1;
    if (a < -r1 || a >= r1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "axis = %lld not in [%d, %d)", (long long)a,
                              -r1, r1);
    if (r1 > FRT_MAX_DIMS)
        return frt_status_new(FRT_UNIMPLEMENTED, "Pack output rank above %d", FRT_MAX_DIMS);
    int axis = (int)(a < 0 ? a + r1 : a);
    char s1[96], s2[96];
    for (int k = 1; k < n; k++) {
        const frt_tensor *x = c->inputs[k];
        if (!frt_tensor_same_shape(x, x0) || x->dtype != x0->dtype)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "Shapes of all inputs must match: values[0].shape = %s != "
                                  "values[%d].shape = %s",
                                  frt_shape_str(x0->dims, x0->ndim, s1, sizeof s1), k,
                                  frt_shape_str(x->dims, x->ndim, s2, sizeof s2));
    }
    int64_t dims[FRT_MAX_DIMS];
    for (int d = 0, s = 0; d < r1; d++) dims[d] = d == axis ? n : x0->dims[s++];
    if (n == 1) return frt_array_set_view(c, 0, x0, dims, r1);
    int64_t outer = 1, inner1 = 1;
    for (int d = 0; d < axis; d++) outer *= x0->dims[d];
    for (int d = axis; d < x0->ndim; d++) inner1 *= x0->dims[d];
    int64_t *inner = frt_malloc(sizeof(int64_t) * (size_t)n);
    if (!inner) return frt_status_oom("packing %d tensors", n);
    for (int k = 0; k < n; k++) inner[k] = inner1;
    frt_tensor *y;
    frt_status *st = frt_kernel_output(c, 0, x0->dtype, dims, r1, &y);
    if (!st) st = concat_copy(c, c->inputs, n, outer, inner, y);
    free(inner);
    return st;
}

/* Unpack: output k = x[..., k, ...] along axis; each is `outer` runs of `inner` elements. */
static frt_status *unpack_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t a, num;
    FRT_TRY(frt_attr_get_int(c->attrs, "axis", 0, &a));
    FRT_TRY(frt_attr_get_int(c->attrs, "num", c->n_outputs, &num));
    int r = x->ndim;
    if (a < -r || a >= r)
        return frt_status_new(FRT_INVALID_ARGUMENT, "axis = %lld not in [%d, %d)", (long long)a,
                              -r, r);
    int axis = (int)(a < 0 ? a + r : a);
    if (x->dims[axis] != num || num != c->n_outputs)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Input shape axis %d must equal %lld, got shape %s", axis,
                              (long long)num, FRT_SHAPE_STR(x));
    int64_t dims[FRT_MAX_DIMS], outer = 1, inner = 1;
    for (int d = 0, s = 0; d < r; d++)
        if (d != axis) dims[s++] = x->dims[d];
    for (int d = 0; d < axis; d++) outer *= x->dims[d];
    for (int d = axis + 1; d < r; d++) inner *= x->dims[d];
    size_t es = frt_array_elem_size(x->dtype), run = (size_t)inner * es;
    const char *src = frt_tensor_data(x);
    for (int k = 0; k < num; k++) {
        frt_tensor *y;
        FRT_TRY(frt_kernel_output(c, k, x->dtype, dims, r - 1, &y));
        if (!y->n) continue;
        char *d = frt_tensor_data(y);
        for (int64_t o = 0; o < outer; o++)
            memcpy(d + (size_t)o * run, src + ((size_t)(o * num + k)) * run, run);
        FRT_TRY(frt_array_own_strings(y));
    }
    return NULL;
}

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"ConcatV2", CPU, ANY, concat_v2_compute, NULL, NULL, 0, NULL},
    {"Concat", CPU, ANY, concat_v1_compute, NULL, NULL, 1u, NULL},
    {"Pack", CPU, ANY, pack_compute, NULL, NULL, 0, NULL},
    {"Unpack", CPU, ANY, unpack_compute, NULL, NULL, 0, NULL},
};

void frt_kernels_register_concat_ops(frt_kernel_registry *r);
void frt_kernels_register_concat_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
