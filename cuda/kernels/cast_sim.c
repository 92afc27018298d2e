/* cuda/kernels/cast_sim.c: the simulation's build of frt_cu_cast (cuda/kernels/launch.h):
 * a job on the simulated stream that translates both pointers over the n elements (of each
 * side's size) and runs the body of cast.cuh for every element (sim_impl.h). cast.cu is the
 * GPU's build.
 * Owns: the job. Does not own: the conversions (cast.cuh).
 * Thread-safety: as launch.h; a job runs on its stream's thread. */
#include <stdlib.h>

#include "cuda/kernels/cast.cuh"
#include "cuda/kernels/sim_impl.h"

typedef struct cast_job {
    frt_cu_type src, dst;
    const void *x;
    void *y;
    int64_t n;
    bool truncate;
} cast_job;

static size_t type_size(frt_cu_type t) {
    switch (t) {
    case FRT_CU_F64: case FRT_CU_I64: return 8;
    case FRT_CU_F32: case FRT_CU_I32: return 4;
    case FRT_CU_F16: case FRT_CU_BF16: return 2;
    default: return 1;
    }
}

static void cast_run(void *arg) {
    cast_job *j = arg;
    frt_cu_sim_span x, y;
    if (frt_cu_sim_span_init(&x, j->x, 0, j->n - 1, type_size(j->src), "frt_cu_cast input") &&
        frt_cu_sim_span_init(&y, j->y, 0, j->n - 1, type_size(j->dst), "frt_cu_cast output")) {
        FRT_CU_SIM_FOR(i, j->n) frt_cu_cast_elem(j->src, j->dst, x.host, y.host, i, j->truncate);
    }
    free(j);
}

cudaError_t frt_cu_cast(cudaStream_t s, frt_cu_type src, const void *x, frt_cu_type dst,
                        void *y, int64_t n, int truncate) {
    if (n < 0 || (int)src < 0 || src >= FRT_CU_TYPES || (int)dst < 0 || dst >= FRT_CU_TYPES)
        return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    cast_job *j = malloc(sizeof *j);
    if (j) {
        j->src = src;
        j->dst = dst;
        j->x = x;
        j->y = y;
        j->n = n;
        j->truncate = truncate != 0;
    }
    return frt_cu_sim_launch(s, cast_run, j);
}
