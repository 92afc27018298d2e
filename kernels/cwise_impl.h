/* kernels/cwise_impl.h: the flat elementwise driver shared by cwise_unary.c and
 * activations.c: a typed loop over n contiguous elements, run over [0, x->n) split into
 * grain-sized chunks on the session's pool.
 * Owns: the chunk job and its range function. Does not own: input checks, output
 * allocation or forwarding (each family keeps its own, with its own error texts), per-element
 * semantics. Thread-safety: pure; the job lives on the caller's stack for the call. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/kernel.h"

/* y[i] = f(x[i], param) for i in [0, n); y may alias x (in-place forwarding). param is
 * LeakyRelu's alpha; loops without a parameter ignore it. */
typedef void (*frt_cwise_loop)(const void *x, void *y, int64_t n, float param);

typedef struct frt_cwise_job {
    frt_cwise_loop loop;
    const char *x;
    char *y;
    size_t x_size, y_size; /* bytes per element */
    float param;
} frt_cwise_job;

static inline void frt_cwise_range(void *arg, int64_t lo, int64_t hi) {
    const frt_cwise_job *j = arg;
    j->loop(j->x + lo * j->x_size, j->y + lo * j->y_size, hi - lo, j->param);
}

/* Runs loop over every element of x into y (same element count; no-op when empty). */
static inline void frt_cwise_map(frt_kernel_ctx *c, frt_cwise_loop loop, const frt_tensor *x,
                                 frt_tensor *y, size_t x_size, size_t y_size, int64_t grain,
                                 float param) {
    if (x->n == 0) return;
    frt_cwise_job job = {loop, frt_tensor_data(x), frt_tensor_data(y), x_size, y_size, param};
    frt_kernel_parallel_for(c, x->n, grain, frt_cwise_range, &job);
}
