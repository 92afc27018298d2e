/* cuda/sim/cudnn_impl.h: what the files of the simulated cuDNN share (cudnn_sim.c: handles,
 * descriptors and checks; cudnn_sim_conv.c: convolutions and their algorithms;
 * cudnn_sim_ops.c: pooling, softmax, activation, batch norm, add). Nothing outside
 * cuda/sim/cudnn_sim*.c includes this.
 * Every object the API hands out is registered; calls reach an object only through a
 * snapshot copied under the registry lock, so a destroyed or never created handle or
 * descriptor is reported (a violation) instead of being read. Work is queued on the handle's
 * stream as a job that owns copies of everything it needs except the data, which it reaches
 * through device addresses translated when it runs. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cudnn.h> /* the simulation's own, from cuda/sim/include */

/* ---- descriptor contents (what a snapshot copies) ---- */

typedef struct {
    cudnnDataType_t dtype;
    int nd;
    int dims[CUDNN_DIM_MAX];    /* logical order: N, C, then spatial */
    int strides[CUDNN_DIM_MAX]; /* in elements */
} frt_sim_dnn_tensor;

typedef struct {
    cudnnDataType_t dtype;
    cudnnTensorFormat_t format; /* NCHW: KCRS in memory; NHWC: KRSC */
    int k, c, r, s;
} frt_sim_dnn_filter;

typedef struct {
    int nsp; /* spatial dims: 2 */
    int pad[2], stride[2], dil[2];
    cudnnConvolutionMode_t mode;
    cudnnDataType_t compute;
    int groups;
    cudnnMathType_t math;
} frt_sim_dnn_conv;

typedef struct {
    cudnnPoolingMode_t mode;
    cudnnNanPropagation_t nan;
    int win[2], pad[2], stride[2];
} frt_sim_dnn_pool;

typedef struct {
    cudnnActivationMode_t mode;
    cudnnNanPropagation_t nan;
    double coef;
} frt_sim_dnn_act;

/* ---- snapshots: each returns CUDNN_STATUS_SUCCESS and a copy, or records a violation naming
 * fn and arg and returns CUDNN_STATUS_BAD_PARAM (NULL, destroyed, never created, of another
 * kind, or created but never set) ---- */
cudnnStatus_t frt_sim_dnn_get_handle(cudnnHandle_t h, const char *fn, cudaStream_t *stream);
cudnnStatus_t frt_sim_dnn_get_tensor(cudnnTensorDescriptor_t d, const char *fn, const char *arg,
                                     frt_sim_dnn_tensor *out);
cudnnStatus_t frt_sim_dnn_get_filter(cudnnFilterDescriptor_t d, const char *fn, const char *arg,
                                     frt_sim_dnn_filter *out);
cudnnStatus_t frt_sim_dnn_get_conv(cudnnConvolutionDescriptor_t d, const char *fn, const char *arg,
                                   frt_sim_dnn_conv *out);
cudnnStatus_t frt_sim_dnn_get_pool(cudnnPoolingDescriptor_t d, const char *fn, const char *arg,
                                   frt_sim_dnn_pool *out);
cudnnStatus_t frt_sim_dnn_get_act(cudnnActivationDescriptor_t d, const char *fn, const char *arg,
                                  frt_sim_dnn_act *out);

/* Records a violation ("fn: ...") and returns st. */
cudnnStatus_t frt_sim_dnn_fail(cudnnStatus_t st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- device data ---- */

/* A tensor in device memory as a job sees it: the device address, the byte extent its
 * descriptor implies, and the dims and strides. */
typedef struct {
    const void *dev;
    size_t bytes;
    int nd;
    int dims[CUDNN_DIM_MAX];
    int64_t strides[CUDNN_DIM_MAX];
} frt_sim_dnn_view;

/* Elements a descriptor counts, and the byte extent it covers (the last element's end). */
size_t frt_sim_dnn_count(const frt_sim_dnn_tensor *t);
size_t frt_sim_dnn_extent_bytes(const frt_sim_dnn_tensor *t);
/* The view of dev under t after checking that dev is not NULL, is float aligned and that the
 * whole extent lies in one live allocation; a violation and BAD_PARAM otherwise. */
cudnnStatus_t frt_sim_dnn_view_of(const char *fn, const char *arg, const void *dev,
                                  const frt_sim_dnn_tensor *t, frt_sim_dnn_view *out);
/* An output must not have two logical elements at one address; violation and BAD_PARAM. */
cudnnStatus_t frt_sim_dnn_check_dense(const char *fn, const char *arg, const frt_sim_dnn_tensor *t);
/* Whether the byte ranges of two views intersect. */
bool frt_sim_dnn_overlap(const frt_sim_dnn_view *a, const frt_sim_dnn_view *b);
/* The host memory behind v when the job runs (NULL after a violation: the job then does
 * nothing). */
float *frt_sim_dnn_host(const frt_sim_dnn_view *v, const char *fn, const char *arg);
/* The element offset of the linear (row-major over dims) index i. */
int64_t frt_sim_dnn_offset(const frt_sim_dnn_view *v, size_t i);
/* *p as a float (alpha, beta are host pointers to float); violation and BAD_PARAM for NULL. */
cudnnStatus_t frt_sim_dnn_scalar(const char *fn, const char *arg, const void *p, double *out);
/* cuDNN's blend: alpha * v + beta * old, where beta == 0 does not read old. */
static inline float frt_sim_dnn_blend(double v, double alpha, double beta, const float *old) {
    return (float)(beta == 0.0 ? alpha * v : alpha * v + beta * (double)*old);
}

/* Queues run(job) on stream; on failure (a bad stream: the runtime records the violation)
 * frees job and returns CUDNN_STATUS_EXECUTION_FAILED. */
cudnnStatus_t frt_sim_dnn_launch(cudaStream_t stream, void (*run)(void *job), void *job);
