/* cuda/kernels/cwise_sim.c: the simulation's build of the float32 elementwise launchers of
 * cuda/kernels/launch.h (unary, broadcasting binary, AddN): jobs on the simulated stream
 * that translate their pointers over the exact extents the kernel touches and run the
 * bodies of cwise.cuh for every element (sim_impl.h). cwise.cu is the GPU's build.
 * Owns: the jobs. Does not own: per-element semantics (cwise.cuh).
 * Thread-safety: as launch.h; a job runs on its stream's thread. */
#include <stdlib.h>
#include <string.h>

#include "cuda/kernels/cwise.cuh"
#include "cuda/kernels/sim_impl.h"

/* ---- unary ----------------------------------------------------------------------------------- */

typedef struct unary_job {
    frt_cu_unary_op op;
    const float *x;
    float *y;
    int64_t n;
    float alpha;
} unary_job;

static void unary_run(void *arg) {
    unary_job *j = arg;
    frt_cu_sim_span x, y;
    if (frt_cu_sim_span_init(&x, j->x, 0, j->n - 1, sizeof(float), "frt_cu_unary_f32 input") &&
        frt_cu_sim_span_init(&y, j->y, 0, j->n - 1, sizeof(float), "frt_cu_unary_f32 output")) {
        FRT_CU_SIM_FOR(i, j->n) {
            const float *xi = (const float *)(void *)frt_cu_sim_at(&x, i);
            float *yi = (float *)(void *)frt_cu_sim_at(&y, i);
            if (!xi || !yi) break;
            *yi = frt_cu_unary(j->op, *xi, j->alpha);
        }
    }
    free(j);
}

cudaError_t frt_cu_unary_f32(cudaStream_t s, frt_cu_unary_op op, const float *x, float *y,
                             int64_t n, float alpha) {
    if (n < 0 || (int)op < 0 || op >= FRT_CU_UNARY_OPS) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    unary_job *j = malloc(sizeof *j);
    if (j) {
        j->op = op;
        j->x = x;
        j->y = y;
        j->n = n;
        j->alpha = alpha;
    }
    return frt_cu_sim_launch(s, unary_run, j);
}

/* ---- broadcasting binary ops ----------------------------------------------------------------- */

typedef struct binary_job {
    frt_cu_binary_op op;
    const float *x, *y;
    float *z;
    int64_t n;
    frt_cu_bcast_args a;
} binary_job;

static void binary_run(void *arg) {
    binary_job *j = arg;
    const frt_cu_bcast_args *a = &j->a;
    int64_t xlo, xhi, ylo, yhi;
    frt_cu_offset_range(a->ndim, a->dims, a->x_strides, &xlo, &xhi);
    frt_cu_offset_range(a->ndim, a->dims, a->y_strides, &ylo, &yhi);
    frt_cu_sim_span x, y, z;
    if (frt_cu_sim_span_init(&x, j->x, xlo, xhi, sizeof(float), "frt_cu_binary_f32 x") &&
        frt_cu_sim_span_init(&y, j->y, ylo, yhi, sizeof(float), "frt_cu_binary_f32 y") &&
        frt_cu_sim_span_init(&z, j->z, 0, j->n - 1, sizeof(float), "frt_cu_binary_f32 z")) {
        FRT_CU_SIM_FOR(i, j->n) {
            int64_t xo, yo;
            frt_cu_bcast_offsets(i, a, &xo, &yo);
            const float *xi = (const float *)(void *)frt_cu_sim_at(&x, xo);
            const float *yi = (const float *)(void *)frt_cu_sim_at(&y, yo);
            float *zi = (float *)(void *)frt_cu_sim_at(&z, i);
            if (!xi || !yi || !zi) break;
            *zi = frt_cu_binary(j->op, *xi, *yi);
        }
    }
    free(j);
}

cudaError_t frt_cu_binary_f32(cudaStream_t s, frt_cu_binary_op op, const float *x,
                              const float *y, float *z, int ndim, const int64_t *dims,
                              const int64_t *x_strides, const int64_t *y_strides) {
    if (ndim < 1 || ndim > FRT_CU_MAX_DIMS || (int)op < 0 || op >= FRT_CU_BINARY_OPS)
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, dims);
    if (n == 0) return cudaSuccess;
    binary_job *j = malloc(sizeof *j);
    if (j) {
        j->op = op;
        j->x = x;
        j->y = y;
        j->z = z;
        j->n = n;
        frt_cu_bcast_args_init(&j->a, ndim, dims, x_strides, y_strides);
    }
    return frt_cu_sim_launch(s, binary_run, j);
}

/* ---- AddN ------------------------------------------------------------------------------------ */

typedef struct add_n_job {
    float *out;
    int64_t len;
    frt_cu_add_n_args a;             /* device pointers */
} add_n_job;

static void add_n_run(void *arg) {
    add_n_job *j = arg;
    frt_cu_add_n_args host = j->a;   /* the same launch with host pointers */
    bool ok = true;
    for (int k = 0; k < j->a.n && ok; k++) {
        frt_cu_sim_span in;
        ok = frt_cu_sim_span_init(&in, j->a.in[k], 0, j->len - 1, sizeof(float),
                                  "frt_cu_add_n_f32 input");
        host.in[k] = (const float *)(void *)in.host;
    }
    frt_cu_sim_span out;
    if (ok && frt_cu_sim_span_init(&out, j->out, 0, j->len - 1, sizeof(float),
                                   "frt_cu_add_n_f32 output")) {
        FRT_CU_SIM_FOR(i, j->len) {
            float *o = (float *)(void *)frt_cu_sim_at(&out, i);
            if (!o) break;
            *o = frt_cu_add_n_elem(i, &host);
        }
    }
    free(j);
}

cudaError_t frt_cu_add_n_f32(cudaStream_t s, const float *const *ins, int n, float *out,
                             int64_t len) {
    if (n < 1 || len < 0 || !ins) return cudaErrorInvalidValue;
    if (len == 0) return cudaSuccess;
    for (int next = 0; next < n;) {
        add_n_job *j = malloc(sizeof *j);
        if (j) {
            j->out = out;
            j->len = len;
            frt_cu_add_n_args_next(&j->a, ins, n, out, &next);
        }
        cudaError_t e = frt_cu_sim_launch(s, add_n_run, j);
        if (e != cudaSuccess) return e;
    }
    return cudaSuccess;
}
