/* cuda/kernels/epilogue_sim.c: the simulation's build of the launchers of
 * cuda/kernels/epilogue.h: jobs on the simulated stream that translate their pointers over
 * the exact extents the kernel touches and run the bodies of epilogue.cuh for every element
 * (sim_impl.h). epilogue.cu is the GPU's build.
 * Owns: the jobs. Does not own: the per-element arithmetic (epilogue.cuh).
 * Thread-safety: as epilogue.h; a job runs on its stream's thread. */
#include <stdlib.h>

#include "cuda/kernels/epilogue.cuh"
#include "cuda/kernels/sim_impl.h"

/* ---- bias + activation ------------------------------------------------------------------- */

typedef struct bias_act_job {
    float *y;
    const float *bias;
    int64_t n;
    frt_cu_bias_act_args a;
} bias_act_job;

static void bias_act_run(void *arg) {
    bias_act_job *j = arg;
    frt_cu_sim_span y, b;
    int64_t nb = j->bias ? j->a.channels : 0;
    if (frt_cu_sim_span_init(&y, j->y, 0, j->n - 1, sizeof(float), "frt_cu_bias_act y") &&
        frt_cu_sim_span_init(&b, j->bias, 0, nb - 1, sizeof(float), "frt_cu_bias_act bias")) {
        FRT_CU_SIM_FOR(i, j->n) {
            float *yi = (float *)(void *)frt_cu_sim_at(&y, i);
            const float *bi = NULL;
            if (j->bias)
                bi = (const float *)(void *)frt_cu_sim_at(&b, frt_cu_bias_channel(i, &j->a));
            if (!yi || (j->bias && !bi)) break;
            *yi = frt_cu_bias_act_elem(*yi, bi, &j->a);
        }
    }
    free(j);
}

cudaError_t frt_cu_bias_act(cudaStream_t s, float *y, const float *bias, int64_t n,
                            int64_t channels, int64_t inner, frt_cu_act act, float alpha) {
    int op = frt_cu_act_op(act);
    if (n < 0 || channels < 1 || inner < 1 || op < -1) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    bias_act_job *j = malloc(sizeof *j);
    if (j) {
        j->y = y;
        j->bias = bias;
        j->n = n;
        j->a.channels = channels;
        j->a.inner = inner;
        j->a.op = op;
        j->a.alpha = alpha;
    }
    return frt_cu_sim_launch(s, bias_act_run, j);
}

/* ---- average pool count correction ------------------------------------------------------- */

typedef struct avgpool_job {
    float *y;
    int64_t n;
    frt_cu_avgpool_args a;
} avgpool_job;

static void avgpool_run(void *arg) {
    avgpool_job *j = arg;
    frt_cu_sim_span y;
    if (frt_cu_sim_span_init(&y, j->y, 0, j->n - 1, sizeof(float), "frt_cu_avgpool_rescale y")) {
        FRT_CU_SIM_FOR(i, j->n) {
            float *yi = (float *)(void *)frt_cu_sim_at(&y, i);
            if (!yi) break;
            *yi *= frt_cu_avgpool_factor(i, &j->a);
        }
    }
    free(j);
}

cudaError_t frt_cu_avgpool_rescale(cudaStream_t s, float *y, int64_t planes, int64_t out_h,
                                   int64_t out_w, frt_cu_pool_dim h, frt_cu_pool_dim w) {
    if (planes < 0 || out_h < 1 || out_w < 1 || !frt_cu_pool_dim_ok(&h) ||
        !frt_cu_pool_dim_ok(&w))
        return cudaErrorInvalidValue;
    if (planes == 0) return cudaSuccess;
    avgpool_job *j = malloc(sizeof *j);
    if (j) {
        j->y = y;
        j->n = planes * out_h * out_w;
        j->a.out_h = out_h;
        j->a.out_w = out_w;
        j->a.h = h;
        j->a.w = w;
    }
    return frt_cu_sim_launch(s, avgpool_run, j);
}
