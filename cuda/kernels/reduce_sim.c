/* cuda/kernels/reduce_sim.c: the simulation's build of frt_cu_reduce_f32
 * (cuda/kernels/launch.h): a job on the simulated stream that translates the input over the
 * exact extent the reduction reads and runs the body of reduce.cuh for every output element
 * (sim_impl.h). reduce.cu is the GPU's build.
 * Owns: the job. Does not own: the reduction (reduce.cuh).
 * Thread-safety: as launch.h; a job runs on its stream's thread. */
#include <stdlib.h>

#include "cuda/kernels/reduce.cuh"
#include "cuda/kernels/sim_impl.h"

typedef struct reduce_job {
    frt_cu_reduce_op op;
    const float *x;
    float *out;
    int64_t n_out;
    frt_cu_reduce_args a;
} reduce_job;

static void reduce_run(void *arg) {
    reduce_job *j = arg;
    int64_t lo = 0, hi = -1; /* nothing is read when no element is reduced */
    if (j->a.count > 0) frt_cu_reduce_extent(&j->a, &lo, &hi);
    frt_cu_sim_span x, out;
    if (frt_cu_sim_span_init(&x, j->x, lo, hi, sizeof(float), "frt_cu_reduce_f32 input") &&
        frt_cu_sim_span_init(&out, j->out, 0, j->n_out - 1, sizeof(float),
                             "frt_cu_reduce_f32 output")) {
        const float *x0 = (const float *)(void *)x.host; /* lo is 0: strides are >= 0 */
        FRT_CU_SIM_FOR(o, j->n_out) {
            float *d = (float *)(void *)frt_cu_sim_at(&out, o);
            if (!d) break;
            *d = frt_cu_reduce_elem(j->op, x0, o, &j->a);
        }
    }
    free(j);
}

cudaError_t frt_cu_reduce_f32(cudaStream_t s, frt_cu_reduce_op op, const float *x, float *out,
                              int64_t n_out, int kept_ndim, const int64_t *kept_dims,
                              const int64_t *kept_strides, int red_ndim,
                              const int64_t *red_dims, const int64_t *red_strides) {
    if (n_out < 0 || kept_ndim < 0 || kept_ndim > FRT_CU_MAX_DIMS || red_ndim < 0 ||
        red_ndim > FRT_CU_MAX_DIMS || (int)op < 0 || op >= FRT_CU_REDUCE_OPS ||
        !frt_cu_reduce_strides_ok(kept_ndim, kept_strides, red_ndim, red_strides))
        return cudaErrorInvalidValue;
    if (n_out == 0) return cudaSuccess;
    reduce_job *j = malloc(sizeof *j);
    if (j) {
        j->op = op;
        j->x = x;
        j->out = out;
        j->n_out = n_out;
        frt_cu_reduce_args_init(&j->a, kept_ndim, kept_dims, kept_strides, red_ndim, red_dims,
                                red_strides);
    }
    return frt_cu_sim_launch(s, reduce_run, j);
}
