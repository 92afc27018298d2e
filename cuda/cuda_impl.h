/* cuda/cuda_impl.h: what the CUDA backend's files share — the CUDA device object behind
 * core/device.h, and how kernels reach their stream and library handles.
 * The same C sources build against NVIDIA's headers (the real backend, FRT_HAVE_CUDA) or
 * against the simulation's (cuda/sim/include, FRT_CUDA_SIM too): nothing here may use what
 * the simulation does not declare.
 * Thread-safety: a device is immutable after creation except under its own locks; kernels
 * run with the device entered (frt_device_ops.enter), so they may use its stream and
 * handles without further locking. */
#pragma once
#include <pthread.h>
#include <stdbool.h>

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "core/bfc.h"
#include "core/device.h"
#include "core/kernel.h"

typedef struct frt_cuda_device {
    frt_device base;             /* base.stream == (frt_stream *)compute */
    int ordinal;                 /* CUDA's device number (after CUDA_VISIBLE_DEVICES) */
    int cc_major, cc_minor;      /* compute capability */
    cudaStream_t compute;        /* kernels, cuBLAS, cuDNN */
    cudaStream_t h2d, d2h;       /* copies, ordered against compute with events */
    cublasHandle_t cublas;       /* bound to compute */
    cudnnHandle_t cudnn;         /* bound to compute */
    pthread_mutex_t launch_mu;   /* held between enter and leave */
    /* One event, recorded on a stream and waited for by another under order_mu: a wait
     * captures the record made before it (CUDA's documented semantics), so the event may be
     * recorded again at once. */
    pthread_mutex_t order_mu;
    cudaEvent_t order_event;
    pthread_mutex_t memory_mu;   /* guards creating base.alloc */
    frt_region_source regions;   /* cudaMalloc / cudaFree on this device */
    /* Copies to the host finish on the device's own thread (cuda/device.c): it waits for
     * each copy's event in turn and calls its done, with the error when the device failed. */
    pthread_t completer;
    bool completer_running;
    pthread_mutex_t done_mu;     /* guards the rest */
    pthread_cond_t done_cv;      /* work queued, stop asked for, or a copy completed */
    struct frt_cuda_pending *head, *tail; /* copies in flight, oldest first */
    struct frt_cuda_pending *spare;       /* finished entries, their events kept for reuse */
    unsigned long long queued, completed; /* copies queued and completed so far */
    bool stopping;
} frt_cuda_device;

/* The CUDA device a kernel runs on, its compute stream, its library handles. */
static inline frt_cuda_device *frt_cuda_device_of(const frt_kernel_ctx *c) {
    return (frt_cuda_device *)c->device;
}
static inline cudaStream_t frt_cuda_stream(const frt_kernel_ctx *c) {
    return frt_cuda_device_of(c)->compute;
}

/* A status for a failed CUDA / cuBLAS / cuDNN call, naming what was being done and the
 * library's error name and text: "cudaMemcpyAsync to GPU:0: cudaErrorInvalidValue (invalid
 * argument)". RESOURCE_EXHAUSTED for out-of-memory codes, INTERNAL otherwise; NULL when the
 * call succeeded. frt_cuda_check also clears the thread's last CUDA error, so a later
 * cudaGetLastError after a kernel launch reports that launch only (cuda/check.c). */
FRT_MUST_USE frt_status *frt_cuda_check(cudaError_t e, const char *what);
FRT_MUST_USE frt_status *frt_cublas_check(cublasStatus_t e, const char *what);
FRT_MUST_USE frt_status *frt_cudnn_check(cudnnStatus_t e, const char *what);

/* Kernel families of the backend, registered by the backend's registration (cuda/device.c
 * calls them from frt_cuda_register, cuda/cuda.h). */
void frt_cuda_register_elementwise(frt_kernel_registry *r);  /* cuda/kernels: own kernels */
void frt_cuda_register_dnn(frt_kernel_registry *r);          /* cuda/dnn.c, cuda/blas.c */
