/* cuda/check.c: statuses for failed CUDA runtime, cuBLAS and cuDNN calls.
 * Owns: the mapping of the three libraries' error codes to flowrt codes and messages.
 * Does not own: deciding what to do about an error (callers), the device (cuda/device.c).
 * Thread-safety: reentrant (the libraries' error strings are static; CUDA's last error is
 * per host thread). */
#include "cuda/cuda_impl.h"

frt_status *frt_cuda_check(cudaError_t e, const char *what) {
    if (e == cudaSuccess) return NULL;
    /* The runtime also keeps the error as the thread's last error; clear it, so that the
     * cudaGetLastError after a later kernel launch reports that launch and nothing older. */
    (void)cudaGetLastError();
    return frt_status_new(e == cudaErrorMemoryAllocation ? FRT_RESOURCE_EXHAUSTED : FRT_INTERNAL,
                          "%s: %s (%s)", what, cudaGetErrorName(e), cudaGetErrorString(e));
}

frt_status *frt_cublas_check(cublasStatus_t e, const char *what) {
    if (e == CUBLAS_STATUS_SUCCESS) return NULL;
    return frt_status_new(e == CUBLAS_STATUS_ALLOC_FAILED ? FRT_RESOURCE_EXHAUSTED : FRT_INTERNAL,
                          "%s: cuBLAS error %d (%s)", what, (int)e, cublasGetStatusString(e));
}

frt_status *frt_cudnn_check(cudnnStatus_t e, const char *what) {
    if (e == CUDNN_STATUS_SUCCESS) return NULL;
    bool oom = e == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED ||
               e == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED;
    return frt_status_new(oom ? FRT_RESOURCE_EXHAUSTED : FRT_INTERNAL, "%s: cuDNN error %d (%s)",
                          what, (int)e, cudnnGetErrorString(e));
}
