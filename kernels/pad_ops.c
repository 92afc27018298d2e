/* kernels/pad_ops.c: Pad, PadV2 (constant fill), MirrorPad (REFLECT / SYMMETRIC).
 * Owns: the fill-then-copy-interior loop and the per-dim mirror index maps. Does not own:
 * paddings validation and output shapes (core/array_shapes.c, shared with cuda/array_ops.c),
 * SpaceToBatchND's implicit zero padding (space_batch.c).
 * Thread-safety: kernels keep no state. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

typedef struct rows_job {
    const char *src;
    char *dst;
    int nd;                        /* rows walk dims [0, nd-1); dim nd-1 is the run */
    const int64_t *dims;           /* input dims */
    int64_t out_stride[FRT_MAX_DIMS];
    size_t run;                    /* bytes of one input row */
} rows_job;

/* Input row r (row-major over all dims but the last) goes to dst + sum idx[d]*out_stride[d]. */
static void copy_rows(void *arg, int64_t lo, int64_t hi) {
    const rows_job *j = arg;
    int outer = j->nd - 1;
    int64_t idx[FRT_MAX_DIMS] = {0}, r = lo, off = 0;
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = r % j->dims[d];
        r /= j->dims[d];
        off += idx[d] * j->out_stride[d];
    }
    for (int64_t row = lo; row < hi; row++) {
        memcpy(j->dst + off, j->src + (size_t)row * j->run, j->run);
        for (int k = outer - 1; k >= 0; k--) {
            off += j->out_stride[k];
            if (++idx[k] < j->dims[k]) break;
            off -= idx[k] * j->out_stride[k];
            idx[k] = 0;
        }
    }
}

static frt_status *pad_impl(frt_kernel_ctx *c, const void *fill_value) {
    const frt_tensor *x = c->inputs[0];
    int64_t before[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    bool none;
    FRT_TRY(frt_shape_pad(x, c->inputs[1], before, dims, &none));
    if (none) {
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, &y));
    if (y->n == 0) return NULL;
    size_t es = frt_array_elem_size(x->dtype);
    char *out = frt_tensor_data(y);
    bool zero = true;
    if (fill_value)
        for (size_t b = 0; b < es && zero; b++) zero = ((const char *)fill_value)[b] == 0;
    if (zero)
        memset(out, 0, (size_t)y->n * es);
    else
        frt_array_fill(out, fill_value, es, y->n);
    if (x->n > 0) {
        rows_job j = {.src = frt_tensor_data(x), .nd = x->ndim, .dims = x->dims,
                      .run = (size_t)x->dims[x->ndim - 1] * es};
        int64_t s = (int64_t)es, off = 0;
        for (int d = x->ndim - 1; d >= 0; d--) {
            j.out_stride[d] = s;
            off += before[d] * s;
            s *= dims[d];
        }
        j.dst = out + off;
        int64_t rows = x->n / x->dims[x->ndim - 1];
        if ((size_t)x->n * es < FRT_ARRAY_PARALLEL_BYTES)
            copy_rows(&j, 0, rows);
        else
            frt_kernel_parallel_for(c, rows, (int64_t)(FRT_ARRAY_PARALLEL_BYTES / (j.run + 1)) + 1,
                                    copy_rows, &j);
    }
    return frt_array_own_strings(y);
}

static frt_status *pad_compute(frt_kernel_ctx *c) { return pad_impl(c, NULL); }

static frt_status *pad_v2_compute(frt_kernel_ctx *c) {
    const frt_tensor *v = c->inputs[2];
    FRT_TRY(frt_shape_pad_value(v, c->inputs[0]->dtype));
    return pad_impl(c, frt_tensor_data(v));
}

/* MirrorPad: output index o of a dim maps to input index via v = o - before:
 * REFLECT (offset 1) -v or 2(D-1)-v; SYMMETRIC (offset 0) -v-1 or 2D-1-v. */
static frt_status *mirror_pad_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    int64_t before[FRT_MAX_DIMS], dims[FRT_MAX_DIMS];
    int offset;
    FRT_TRY(frt_shape_mirror_pad(c->attrs, x, c->inputs[1], before, dims, &offset));
    int64_t total_out = 0;
    for (int d = 0; d < x->ndim; d++) total_out += dims[d];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, dims, x->ndim, &y));
    if (y->n == 0) return NULL;
    size_t es = frt_array_elem_size(x->dtype);
    if (x->ndim == 0) {
        memcpy(frt_tensor_data(y), frt_tensor_data(x), es);
        return frt_array_own_strings(y);
    }
    int64_t *maps;
    FRT_TRY(frt_kernel_temp_alloc(c, sizeof(int64_t) * (size_t)total_out, (void **)&maps));
    int64_t *map[FRT_MAX_DIMS], in_stride[FRT_MAX_DIMS];
    int64_t *m = maps, s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= x->dims[d];
    }
    for (int d = 0; d < x->ndim; d++) {
        int64_t D = x->dims[d];
        map[d] = m;
        for (int64_t o = 0; o < dims[d]; o++) {
            int64_t v = o - before[d];
            m[o] = v < 0 ? -v - 1 + offset : v >= D ? 2 * D - 1 - offset - v : v;
        }
        m += dims[d];
    }
    int last = x->ndim - 1;
    int64_t W = dims[last], rows = y->n / W;
    const char *src = frt_tensor_data(x);
    char *dst = frt_tensor_data(y);
    int64_t idx[FRT_MAX_DIMS] = {0};
    for (int64_t r = 0; r < rows; r++) {
        int64_t base = 0;
        for (int d = 0; d < last; d++) base += map[d][idx[d]] * in_stride[d];
        const char *srow = src + (size_t)base * es;
        char *drow = dst + (size_t)(r * W) * es;
        for (int64_t o = 0; o < before[last]; o++)
            memcpy(drow + (size_t)o * es, srow + (size_t)map[last][o] * es, es);
        memcpy(drow + (size_t)before[last] * es, srow, (size_t)x->dims[last] * es);
        for (int64_t o = before[last] + x->dims[last]; o < W; o++)
            memcpy(drow + (size_t)o * es, srow + (size_t)map[last][o] * es, es);
        for (int d = last - 1; d >= 0; d--) {
            if (++idx[d] < dims[d]) break;
            idx[d] = 0;
        }
    }
    return frt_array_own_strings(y);
}

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU

static const frt_kernel_def defs[] = {
    {"Pad", CPU, ANY, pad_compute, NULL, NULL, 1u << 1, NULL},
    {"PadV2", CPU, ANY, pad_v2_compute, NULL, NULL, 1u << 1, NULL},
    {"MirrorPad", CPU, ANY, mirror_pad_compute, NULL, NULL, 1u << 1, NULL},
};

void frt_kernels_register_pad_ops(frt_kernel_registry *r);
void frt_kernels_register_pad_ops(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
