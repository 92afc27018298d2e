/* cuda/sim/cudnn_sim.c: the simulated cuDNN's handles and descriptors, and the checks and
 * device-data helpers its operations share (what is simulated: cuda/sim/include/cudnn.h).
 * Owns: the objects behind handles and descriptors, their creation, setting and destruction,
 * the status strings, pointer and stream checks, job launch.
 * Does not own: the operations (cudnn_sim_conv.c, cudnn_sim_ops.c), device memory and streams
 * (runtime_sim.c).
 * Thread-safety: thread-safe; one lock serialises every touch of an object, so two threads
 * setting one descriptor at once race only in which value wins, as in cuDNN where a
 * descriptor is thread-compatible.
 * Handles and descriptors are the runtime's handles (frt_sim_handle_new): addresses that are
 * never mapped nor reused, so a destroyed or made-up one is reported, never read. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/sim/cudnn_impl.h"
#include "cuda/sim/sim_internal.h"

/* ---- the registry ---- */

typedef enum { OBJ_HANDLE = 1, OBJ_TENSOR, OBJ_FILTER, OBJ_CONV, OBJ_POOL, OBJ_ACT } obj_kind;

static const char *const kind_names[] = {
    [OBJ_HANDLE] = "cudnnHandle_t",           [OBJ_TENSOR] = "cudnnTensorDescriptor_t",
    [OBJ_FILTER] = "cudnnFilterDescriptor_t", [OBJ_CONV] = "cudnnConvolutionDescriptor_t",
    [OBJ_POOL] = "cudnnPoolingDescriptor_t",  [OBJ_ACT] = "cudnnActivationDescriptor_t",
};

/* What a handle or descriptor stands for; the API's struct types stay incomplete, their
 * pointers are the runtime's never-mapped handle addresses. */
typedef struct {
    bool set; /* a Set call succeeded (handles: always) */
} obj;

typedef struct {
    obj o;
    cudaStream_t stream;
    int device; /* current when the handle was made: cuDNN ties a handle to it */
} handle_obj;
typedef struct {
    obj o;
    frt_sim_dnn_tensor t;
} tensor_obj;
typedef struct {
    obj o;
    frt_sim_dnn_filter f;
} filter_obj;
typedef struct {
    obj o;
    frt_sim_dnn_conv c;
} conv_obj;
typedef struct {
    obj o;
    frt_sim_dnn_pool p;
} pool_obj;
typedef struct {
    obj o;
    frt_sim_dnn_act a;
} act_obj;

/* Held while an object is read, written or freed, so that a snapshot never reads freed
 * memory even when a caller races a destroy against a use. */
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;

/* A new zeroed object of `size` bytes behind a new handle; NULL when memory or handles run
 * out. */
static void *obj_new(obj_kind kind, size_t size, void (*init)(obj *)) {
    obj *o = calloc(1, size);
    if (!o) return NULL;
    if (init) init(o);
    void *h = frt_sim_handle_new(kind_names[kind], o);
    if (!h) free(o);
    return h;
}

/* Locks the registry and returns the object behind live handle h; the caller reads or writes
 * it and unlocks. NULL (unlocked, after a violation) when h is NULL, destroyed, made up or of
 * another kind, or, with need_set, was never set. */
static obj *obj_lock(const void *h, obj_kind kind, const char *fn, const char *arg, bool need_set) {
    char what[160];
    snprintf(what, sizeof what, "%s: %s", fn, arg);
    pthread_mutex_lock(&reg_mu);
    obj *o = frt_sim_handle_get(h, kind_names[kind], what);
    if (o && need_set && !o->set) {
        frt_sim_violation("%s: %s %p was created but never set", what, kind_names[kind], h);
        o = NULL;
    }
    if (!o) pthread_mutex_unlock(&reg_mu);
    return o;
}

static void obj_unlock(void) { pthread_mutex_unlock(&reg_mu); }

static cudnnStatus_t obj_destroy(const void *h, obj_kind kind, const char *fn) {
    char what[160];
    snprintf(what, sizeof what, "%s: the %s to destroy", fn, kind_names[kind]);
    pthread_mutex_lock(&reg_mu);
    obj *o = frt_sim_handle_retire(h, kind_names[kind], what);
    free(o); /* the handle stays retired: later uses are violations, never reads */
    pthread_mutex_unlock(&reg_mu);
    return o ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_BAD_PARAM;
}

/* ---- shared checks ---- */

cudnnStatus_t frt_sim_dnn_fail(cudnnStatus_t st, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    frt_sim_violation("%s (%s)", buf, cudnnGetErrorString(st));
    return st;
}

#define SNAPSHOT(kind, type, field, out)                                                           \
    do {                                                                                           \
        type *o_ = (type *)obj_lock(d, kind, fn, arg, true);                                       \
        if (!o_) return CUDNN_STATUS_BAD_PARAM;                                                    \
        *(out) = o_->field;                                                                        \
        obj_unlock();                                                                              \
        return CUDNN_STATUS_SUCCESS;                                                               \
    } while (0)

cudnnStatus_t frt_sim_dnn_get_handle(cudnnHandle_t d, const char *fn, cudaStream_t *stream) {
    handle_obj *h = (handle_obj *)obj_lock(d, OBJ_HANDLE, fn, "handle", true);
    if (!h) return CUDNN_STATUS_BAD_PARAM;
    *stream = h->stream;
    int device = h->device;
    obj_unlock();
    /* cuDNN binds a handle to the device current at cudnnCreate. */
    int current = -1;
    if (cudaGetDevice(&current) != cudaSuccess || current != device)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: handle %p belongs to device %d but device %d is current", fn,
                                (void *)d, device, current);
    return CUDNN_STATUS_SUCCESS;
}
cudnnStatus_t frt_sim_dnn_get_tensor(cudnnTensorDescriptor_t d, const char *fn, const char *arg,
                                     frt_sim_dnn_tensor *out) {
    SNAPSHOT(OBJ_TENSOR, tensor_obj, t, out);
}
cudnnStatus_t frt_sim_dnn_get_filter(cudnnFilterDescriptor_t d, const char *fn, const char *arg,
                                     frt_sim_dnn_filter *out) {
    SNAPSHOT(OBJ_FILTER, filter_obj, f, out);
}
cudnnStatus_t frt_sim_dnn_get_conv(cudnnConvolutionDescriptor_t d, const char *fn, const char *arg,
                                   frt_sim_dnn_conv *out) {
    SNAPSHOT(OBJ_CONV, conv_obj, c, out);
}
cudnnStatus_t frt_sim_dnn_get_pool(cudnnPoolingDescriptor_t d, const char *fn, const char *arg,
                                   frt_sim_dnn_pool *out) {
    SNAPSHOT(OBJ_POOL, pool_obj, p, out);
}
cudnnStatus_t frt_sim_dnn_get_act(cudnnActivationDescriptor_t d, const char *fn, const char *arg,
                                  frt_sim_dnn_act *out) {
    SNAPSHOT(OBJ_ACT, act_obj, a, out);
}

size_t frt_sim_dnn_count(const frt_sim_dnn_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->nd; i++) n *= (size_t)t->dims[i];
    return n;
}

size_t frt_sim_dnn_extent_bytes(const frt_sim_dnn_tensor *t) {
    size_t last = 0;
    for (int i = 0; i < t->nd; i++) last += (size_t)(t->dims[i] - 1) * (size_t)t->strides[i];
    return (last + 1) * sizeof(float);
}

cudnnStatus_t frt_sim_dnn_view_of(const char *fn, const char *arg, const void *dev,
                                  const frt_sim_dnn_tensor *t, frt_sim_dnn_view *out) {
    memset(out, 0, sizeof *out);
    if (!dev) return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %s is NULL", fn, arg);
    if ((uintptr_t)dev % sizeof(float))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %s %p is not aligned to a float", fn,
                                arg, dev);
    size_t bytes = frt_sim_dnn_extent_bytes(t);
    char what[160];
    snprintf(what, sizeof what, "%s: %s (%zu bytes from its descriptor)", fn, arg, bytes);
    if (!frt_sim_host_ptr(dev, bytes, what)) return CUDNN_STATUS_BAD_PARAM;
    out->dev = dev;
    out->bytes = bytes;
    out->nd = t->nd;
    for (int i = 0; i < t->nd; i++) {
        out->dims[i] = t->dims[i];
        out->strides[i] = t->strides[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t frt_sim_dnn_check_dense(const char *fn, const char *arg,
                                      const frt_sim_dnn_tensor *t) {
    /* Sorted by stride, each dim of size > 1 must step past the whole of the previous ones. */
    int idx[CUDNN_DIM_MAX], n = 0;
    for (int i = 0; i < t->nd; i++)
        if (t->dims[i] > 1) idx[n++] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t->strides[idx[j]] < t->strides[idx[j - 1]]; j--) {
            int tmp = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = tmp;
        }
    for (int i = 1; i < n; i++) {
        int64_t need = (int64_t)t->strides[idx[i - 1]] * t->dims[idx[i - 1]];
        if (t->strides[idx[i]] < need)
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                    "%s: output %s has overlapping elements (dim %d of size %d, "
                                    "stride %d; dim %d needs a stride of at least %lld)",
                                    fn, arg, idx[i - 1], t->dims[idx[i - 1]],
                                    t->strides[idx[i - 1]], idx[i], (long long)need);
    }
    return CUDNN_STATUS_SUCCESS;
}

bool frt_sim_dnn_overlap(const frt_sim_dnn_view *a, const frt_sim_dnn_view *b) {
    uintptr_t a0 = (uintptr_t)a->dev, b0 = (uintptr_t)b->dev;
    return a0 < b0 + b->bytes && b0 < a0 + a->bytes;
}

float *frt_sim_dnn_host(const frt_sim_dnn_view *v, const char *fn, const char *arg) {
    char what[160];
    snprintf(what, sizeof what, "%s: %s, when the stream ran it", fn, arg);
    return frt_sim_host_ptr(v->dev, v->bytes, what);
}

int64_t frt_sim_dnn_offset(const frt_sim_dnn_view *v, size_t i) {
    int64_t off = 0;
    for (int d = v->nd - 1; d >= 0; d--) {
        off += (int64_t)(i % (size_t)v->dims[d]) * v->strides[d];
        i /= (size_t)v->dims[d];
    }
    return off;
}

cudnnStatus_t frt_sim_dnn_scalar(const char *fn, const char *arg, const void *p, double *out) {
    *out = 0;
    if (!p)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: %s is NULL (a host pointer to float)",
                                fn, arg);
    if (frt_sim_is_device_ptr(p))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: %s %p is a device pointer; cuDNN reads scaling factors from "
                                "host memory",
                                fn, arg, p);
    float f;
    memcpy(&f, p, sizeof f);
    *out = f;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t frt_sim_dnn_launch(cudaStream_t stream, void (*run)(void *job), void *job) {
    if (frt_sim_enqueue(stream, run, job) != cudaSuccess) {
        free(job);
        return CUDNN_STATUS_EXECUTION_FAILED;
    }
    return CUDNN_STATUS_SUCCESS;
}

/* ---- library and handles ---- */

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

const char *cudnnGetErrorString(cudnnStatus_t status) {
    switch (status) {
#define S(x)                                                                                       \
    case x: return #x;
        S(CUDNN_STATUS_SUCCESS)
        S(CUDNN_STATUS_NOT_INITIALIZED)
        S(CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH)
        S(CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH)
        S(CUDNN_STATUS_DEPRECATED)
        S(CUDNN_STATUS_LICENSE_ERROR)
        S(CUDNN_STATUS_RUNTIME_IN_PROGRESS)
        S(CUDNN_STATUS_RUNTIME_FP_OVERFLOW)
        S(CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED)
        S(CUDNN_STATUS_BAD_PARAM)
        S(CUDNN_STATUS_INVALID_VALUE)
        S(CUDNN_STATUS_BAD_PARAM_NULL_POINTER)
        S(CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER)
        S(CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED)
        S(CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND)
        S(CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT)
        S(CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH)
        S(CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH)
        S(CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES)
        S(CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE)
        S(CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH)
        S(CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE)
        S(CUDNN_STATUS_NOT_SUPPORTED)
        S(CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN)
        S(CUDNN_STATUS_NOT_SUPPORTED_SHAPE)
        S(CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE)
        S(CUDNN_STATUS_NOT_SUPPORTED_LAYOUT)
        S(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER)
        S(CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART)
        S(CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH)
        S(CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING)
        S(CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE)
        S(CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT)
        S(CUDNN_STATUS_NOT_SUPPORTED_PADDING)
        S(CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM)
        S(CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API)
        S(CUDNN_STATUS_NOT_SUPPORTED_INVALID_DYNAMIC_SHAPE)
        S(CUDNN_STATUS_INTERNAL_ERROR)
        S(CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED)
        S(CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE)
        S(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED)
        S(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED)
        S(CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM)
        S(CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED)
        S(CUDNN_STATUS_EXECUTION_FAILED)
        S(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER)
        S(CUDNN_STATUS_EXECUTION_FAILED_CUBLAS)
        S(CUDNN_STATUS_EXECUTION_FAILED_CUDART)
        S(CUDNN_STATUS_EXECUTION_FAILED_CURAND)
#undef S
    }
    return "CUDNN_UNKNOWN_STATUS_FOUND";
}

cudnnStatus_t cudnnCreate(cudnnHandle_t *handle) {
    if (!handle) return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnCreate: handle is NULL");
    *handle = NULL;
    /* cuDNN's NOT_INITIALIZED: no device to bind to (not a violation: the machine's doing). */
    int device, count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0 ||
        cudaGetDevice(&device) != cudaSuccess)
        return CUDNN_STATUS_NOT_INITIALIZED;
    handle_obj *h = calloc(1, sizeof *h);
    if (!h) return CUDNN_STATUS_ALLOC_FAILED;
    h->o.set = true;
    h->device = device;
    *handle = frt_sim_handle_new(kind_names[OBJ_HANDLE], h);
    if (!*handle) {
        free(h);
        return CUDNN_STATUS_ALLOC_FAILED;
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t handle) {
    /* cuDNN documents that destroying a handle synchronises the device. */
    cudnnStatus_t st = obj_destroy(handle, OBJ_HANDLE, "cudnnDestroy");
    if (st == CUDNN_STATUS_SUCCESS) (void)cudaDeviceSynchronize();
    return st;
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId) {
    if (frt_sim_check_stream(streamId, "cudnnSetStream: streamId") != cudaSuccess)
        return CUDNN_STATUS_BAD_PARAM;
    handle_obj *h = (handle_obj *)obj_lock(handle, OBJ_HANDLE, "cudnnSetStream", "handle", true);
    if (!h) return CUDNN_STATUS_BAD_PARAM;
    h->stream = streamId;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetStream(cudnnHandle_t handle, cudaStream_t *streamId) {
    if (!streamId)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetStream: streamId is NULL");
    return frt_sim_dnn_get_handle(handle, "cudnnGetStream", streamId);
}

/* ---- common argument checks of the setters ---- */

static cudnnStatus_t check_dtype(const char *fn, cudnnDataType_t t) {
    if ((int)t < 0 || (int)t > CUDNN_DATA_COMPLEX_FP64)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dataType %d is not a cudnnDataType_t",
                                fn, (int)t);
    if (t != CUDNN_DATA_FLOAT)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                                "%s: dataType %d: the simulation models CUDNN_DATA_FLOAT only", fn,
                                (int)t);
    return CUDNN_STATUS_SUCCESS;
}

/* Positive dims and strides, at most 2^31 - 1 elements (cuDNN's 2 Giga-element limit). */
static cudnnStatus_t check_shape(const char *fn, int nd, const int *dims, const int *strides) {
    int64_t count = 1;
    for (int i = 0; i < nd; i++) {
        if (dims[i] <= 0)
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dim %d is %d, not positive", fn, i,
                                    dims[i]);
        if (strides && strides[i] <= 0)
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: stride %d is %d, not positive", fn,
                                    i, strides[i]);
        count *= dims[i];
        if (count > INT32_MAX)
            return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                                    "%s: more than 2^31 - 1 elements (cuDNN's limit)", fn);
    }
    return CUDNN_STATUS_SUCCESS;
}

/* Stores a validated tensor under the registry lock. */
static cudnnStatus_t tensor_store(cudnnTensorDescriptor_t d, const char *fn,
                                  const frt_sim_dnn_tensor *t) {
    tensor_obj *o = (tensor_obj *)obj_lock(d, OBJ_TENSOR, fn, "tensorDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->t = *t;
    o->o.set = true;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

/* ---- tensor descriptors ---- */

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *tensorDesc) {
    if (!tensorDesc)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "cudnnCreateTensorDescriptor: tensorDesc is NULL");
    *tensorDesc = obj_new(OBJ_TENSOR, sizeof(tensor_obj), NULL);
    return *tensorDesc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc) {
    if (!tensorDesc) return CUDNN_STATUS_SUCCESS;
    return obj_destroy(tensorDesc, OBJ_TENSOR, "cudnnDestroyTensorDescriptor");
}

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t tensorDesc,
                                         cudnnTensorFormat_t format, cudnnDataType_t dataType,
                                         int n, int c, int h, int w) {
    static const char fn[] = "cudnnSetTensor4dDescriptor";
    frt_sim_dnn_tensor t = {.dtype = dataType, .nd = 4, .dims = {n, c, h, w}};
    cudnnStatus_t st = check_shape(fn, 4, t.dims, NULL);
    if (st) return st;
    if ((st = check_dtype(fn, dataType))) return st;
    if (format == CUDNN_TENSOR_NCHW) {
        t.strides[3] = 1, t.strides[2] = w, t.strides[1] = h * w, t.strides[0] = c * h * w;
    } else if (format == CUDNN_TENSOR_NHWC) {
        t.strides[1] = 1, t.strides[3] = c, t.strides[2] = w * c, t.strides[0] = h * w * c;
    } else {
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: format %d is not CUDNN_TENSOR_NCHW or CUDNN_TENSOR_NHWC "
                                "(NCHW_VECT_C is for 8-bit data)",
                                fn, (int)format);
    }
    return tensor_store(tensorDesc, fn, &t);
}

cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t tensorDesc,
                                           cudnnDataType_t dataType, int n, int c, int h, int w,
                                           int nStride, int cStride, int hStride, int wStride) {
    static const char fn[] = "cudnnSetTensor4dDescriptorEx";
    frt_sim_dnn_tensor t = {.dtype = dataType,
                            .nd = 4,
                            .dims = {n, c, h, w},
                            .strides = {nStride, cStride, hStride, wStride}};
    cudnnStatus_t st = check_shape(fn, 4, t.dims, t.strides);
    if (st) return st;
    if ((st = check_dtype(fn, dataType))) return st;
    return tensor_store(tensorDesc, fn, &t);
}

cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t tensorDesc,
                                         cudnnDataType_t dataType, int nbDims, const int dimA[],
                                         const int strideA[]) {
    static const char fn[] = "cudnnSetTensorNdDescriptor";
    if (nbDims < 4 || nbDims > CUDNN_DIM_MAX)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: nbDims %d is outside [4, %d]", fn,
                                nbDims, CUDNN_DIM_MAX);
    if (!dimA || !strideA)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: dimA or strideA is NULL", fn);
    frt_sim_dnn_tensor t = {.dtype = dataType, .nd = nbDims};
    memcpy(t.dims, dimA, sizeof(int) * (size_t)nbDims);
    memcpy(t.strides, strideA, sizeof(int) * (size_t)nbDims);
    cudnnStatus_t st = check_shape(fn, nbDims, t.dims, t.strides);
    if (st) return st;
    if ((st = check_dtype(fn, dataType))) return st;
    return tensor_store(tensorDesc, fn, &t);
}

cudnnStatus_t cudnnGetTensor4dDescriptor(const cudnnTensorDescriptor_t tensorDesc,
                                         cudnnDataType_t *dataType, int *n, int *c, int *h, int *w,
                                         int *nStride, int *cStride, int *hStride, int *wStride) {
    static const char fn[] = "cudnnGetTensor4dDescriptor";
    if (!dataType || !n || !c || !h || !w || !nStride || !cStride || !hStride || !wStride)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: an output pointer is NULL", fn);
    frt_sim_dnn_tensor t;
    cudnnStatus_t st = frt_sim_dnn_get_tensor(tensorDesc, fn, "tensorDesc", &t);
    if (st) return st;
    if (t.nd != 4)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: the descriptor has %d dims, not 4", fn,
                                t.nd);
    *dataType = t.dtype;
    *n = t.dims[0], *c = t.dims[1], *h = t.dims[2], *w = t.dims[3];
    *nStride = t.strides[0], *cStride = t.strides[1], *hStride = t.strides[2],
    *wStride = t.strides[3];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetTensorNdDescriptor(const cudnnTensorDescriptor_t tensorDesc,
                                         int nbDimsRequested, cudnnDataType_t *dataType,
                                         int *nbDims, int dimA[], int strideA[]) {
    static const char fn[] = "cudnnGetTensorNdDescriptor";
    if (nbDimsRequested < 0 || !dataType || !nbDims || (nbDimsRequested > 0 && (!dimA || !strideA)))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: nbDimsRequested %d is negative or an output pointer is NULL",
                                fn, nbDimsRequested);
    frt_sim_dnn_tensor t;
    cudnnStatus_t st = frt_sim_dnn_get_tensor(tensorDesc, fn, "tensorDesc", &t);
    if (st) return st;
    *dataType = t.dtype;
    *nbDims = t.nd;
    for (int i = 0; i < t.nd && i < nbDimsRequested; i++)
        dimA[i] = t.dims[i], strideA[i] = t.strides[i];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetTensorSizeInBytes(const cudnnTensorDescriptor_t tensorDesc, size_t *size) {
    static const char fn[] = "cudnnGetTensorSizeInBytes";
    if (!size) return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: size is NULL", fn);
    frt_sim_dnn_tensor t;
    cudnnStatus_t st = frt_sim_dnn_get_tensor(tensorDesc, fn, "tensorDesc", &t);
    if (st) return st;
    *size = frt_sim_dnn_extent_bytes(&t);
    return CUDNN_STATUS_SUCCESS;
}

/* ---- filter descriptors ---- */

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *filterDesc) {
    if (!filterDesc)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "cudnnCreateFilterDescriptor: filterDesc is NULL");
    *filterDesc = obj_new(OBJ_FILTER, sizeof(filter_obj), NULL);
    return *filterDesc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc) {
    if (!filterDesc) return CUDNN_STATUS_SUCCESS;
    return obj_destroy(filterDesc, OBJ_FILTER, "cudnnDestroyFilterDescriptor");
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t filterDesc,
                                         cudnnDataType_t dataType, cudnnTensorFormat_t format,
                                         int k, int c, int h, int w) {
    static const char fn[] = "cudnnSetFilter4dDescriptor";
    int dims[4] = {k, c, h, w};
    cudnnStatus_t st = check_shape(fn, 4, dims, NULL);
    if (st) return st;
    if ((st = check_dtype(fn, dataType))) return st;
    if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: format %d is not CUDNN_TENSOR_NCHW or CUDNN_TENSOR_NHWC", fn,
                                (int)format);
    filter_obj *o = (filter_obj *)obj_lock(filterDesc, OBJ_FILTER, fn, "filterDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->f = (frt_sim_dnn_filter){dataType, format, k, c, h, w};
    o->o.set = true;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

/* ---- convolution descriptors ---- */

/* cuDNN's defaults, which the 2d and Nd setters leave alone. */
static void conv_defaults(obj *o) {
    ((conv_obj *)o)->c.groups = 1;
    ((conv_obj *)o)->c.math = CUDNN_DEFAULT_MATH;
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *convDesc) {
    if (!convDesc)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "cudnnCreateConvolutionDescriptor: convDesc is NULL");
    *convDesc = obj_new(OBJ_CONV, sizeof(conv_obj), conv_defaults);
    return *convDesc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc) {
    if (!convDesc) return CUDNN_STATUS_SUCCESS;
    return obj_destroy(convDesc, OBJ_CONV, "cudnnDestroyConvolutionDescriptor");
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc,
                                          cudnnMathType_t mathType) {
    static const char fn[] = "cudnnSetConvolutionMathType";
    if ((int)mathType < 0 || (int)mathType > CUDNN_FMA_MATH)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mathType %d is not a cudnnMathType_t",
                                fn, (int)mathType);
    conv_obj *o = (conv_obj *)obj_lock(convDesc, OBJ_CONV, fn, "convDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->c.math = mathType;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t convDesc, int groupCount) {
    static const char fn[] = "cudnnSetConvolutionGroupCount";
    if (groupCount < 1)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: groupCount %d is not positive", fn,
                                groupCount);
    conv_obj *o = (conv_obj *)obj_lock(convDesc, OBJ_CONV, fn, "convDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->c.groups = groupCount;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

static cudnnStatus_t conv_set(const char *fn, cudnnConvolutionDescriptor_t convDesc, const int *pad,
                              const int *stride, const int *dil, cudnnConvolutionMode_t mode,
                              cudnnDataType_t computeType) {
    for (int i = 0; i < 2; i++) {
        if (pad[i] < 0 || stride[i] < 1 || dil[i] < 1)
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                    "%s: spatial dim %d: pad %d must be >= 0, stride %d and "
                                    "dilation %d >= 1",
                                    fn, i, pad[i], stride[i], dil[i]);
    }
    if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: mode %d is not a cudnnConvolutionMode_t", fn, (int)mode);
    cudnnStatus_t st = check_dtype(fn, computeType);
    if (st) return st;
    conv_obj *o = (conv_obj *)obj_lock(convDesc, OBJ_CONV, fn, "convDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    frt_sim_dnn_conv *c = &o->c;
    c->nsp = 2;
    for (int i = 0; i < 2; i++) c->pad[i] = pad[i], c->stride[i] = stride[i], c->dil[i] = dil[i];
    c->mode = mode;
    c->compute = computeType;
    o->o.set = true;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t convDesc, int pad_h,
                                              int pad_w, int u, int v, int dilation_h,
                                              int dilation_w, cudnnConvolutionMode_t mode,
                                              cudnnDataType_t computeType) {
    return conv_set("cudnnSetConvolution2dDescriptor", convDesc, (const int[]){pad_h, pad_w},
                    (const int[]){u, v}, (const int[]){dilation_h, dilation_w}, mode, computeType);
}

cudnnStatus_t cudnnSetConvolutionNdDescriptor(cudnnConvolutionDescriptor_t convDesc,
                                              int arrayLength, const int padA[],
                                              const int filterStrideA[], const int dilationA[],
                                              cudnnConvolutionMode_t mode,
                                              cudnnDataType_t computeType) {
    static const char fn[] = "cudnnSetConvolutionNdDescriptor";
    if (arrayLength <= 0 || arrayLength > CUDNN_DIM_MAX - 2)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: arrayLength %d is outside [1, %d]", fn,
                                arrayLength, CUDNN_DIM_MAX - 2);
    if (!padA || !filterStrideA || !dilationA)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: padA, filterStrideA or dilationA is NULL", fn);
    if (arrayLength != 2)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                                "%s: arrayLength %d: the simulation models 2d convolutions only",
                                fn, arrayLength);
    return conv_set(fn, convDesc, padA, filterStrideA, dilationA, mode, computeType);
}

/* ---- pooling descriptors ---- */

cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t *poolingDesc) {
    if (!poolingDesc)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "cudnnCreatePoolingDescriptor: poolingDesc is NULL");
    *poolingDesc = obj_new(OBJ_POOL, sizeof(pool_obj), NULL);
    return *poolingDesc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t poolingDesc) {
    if (!poolingDesc) return CUDNN_STATUS_SUCCESS;
    return obj_destroy(poolingDesc, OBJ_POOL, "cudnnDestroyPoolingDescriptor");
}

cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t poolingDesc,
                                          cudnnPoolingMode_t mode,
                                          cudnnNanPropagation_t maxpoolingNanOpt, int windowHeight,
                                          int windowWidth, int verticalPadding,
                                          int horizontalPadding, int verticalStride,
                                          int horizontalStride) {
    static const char fn[] = "cudnnSetPooling2dDescriptor";
    if ((int)mode < 0 || (int)mode > CUDNN_POOLING_MAX_DETERMINISTIC)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d is not a cudnnPoolingMode_t",
                                fn, (int)mode);
    if (maxpoolingNanOpt != CUDNN_NOT_PROPAGATE_NAN && maxpoolingNanOpt != CUDNN_PROPAGATE_NAN)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: maxpoolingNanOpt %d is not a cudnnNanPropagation_t", fn,
                                (int)maxpoolingNanOpt);
    if (windowHeight < 1 || windowWidth < 1 || verticalStride < 1 || horizontalStride < 1 ||
        verticalPadding < 0 || horizontalPadding < 0)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: window %dx%d and stride %dx%d must be positive, padding %dx%d "
                                "not negative",
                                fn, windowHeight, windowWidth, verticalStride, horizontalStride,
                                verticalPadding, horizontalPadding);
    pool_obj *o = (pool_obj *)obj_lock(poolingDesc, OBJ_POOL, fn, "poolingDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->p = (frt_sim_dnn_pool){mode,
                              maxpoolingNanOpt,
                              {windowHeight, windowWidth},
                              {verticalPadding, horizontalPadding},
                              {verticalStride, horizontalStride}};
    o->o.set = true;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}

/* ---- activation descriptors ---- */

cudnnStatus_t cudnnCreateActivationDescriptor(cudnnActivationDescriptor_t *activationDesc) {
    if (!activationDesc)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "cudnnCreateActivationDescriptor: activationDesc is NULL");
    *activationDesc = obj_new(OBJ_ACT, sizeof(act_obj), NULL);
    return *activationDesc ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_ALLOC_FAILED;
}

cudnnStatus_t cudnnDestroyActivationDescriptor(cudnnActivationDescriptor_t activationDesc) {
    if (!activationDesc) return CUDNN_STATUS_SUCCESS;
    return obj_destroy(activationDesc, OBJ_ACT, "cudnnDestroyActivationDescriptor");
}

cudnnStatus_t cudnnSetActivationDescriptor(cudnnActivationDescriptor_t activationDesc,
                                           cudnnActivationMode_t mode,
                                           cudnnNanPropagation_t reluNanOpt, double coef) {
    static const char fn[] = "cudnnSetActivationDescriptor";
    if ((int)mode < 0 || (int)mode > CUDNN_ACTIVATION_SWISH)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: mode %d is not a cudnnActivationMode_t", fn, (int)mode);
    if (reluNanOpt != CUDNN_NOT_PROPAGATE_NAN && reluNanOpt != CUDNN_PROPAGATE_NAN)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: reluNanOpt %d is not a cudnnNanPropagation_t", fn,
                                (int)reluNanOpt);
    if (isnan(coef)) return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: coef is NaN", fn);
    act_obj *o = (act_obj *)obj_lock(activationDesc, OBJ_ACT, fn, "activationDesc", false);
    if (!o) return CUDNN_STATUS_BAD_PARAM;
    o->a = (frt_sim_dnn_act){mode, reluNanOpt, coef};
    o->o.set = true;
    obj_unlock();
    return CUDNN_STATUS_SUCCESS;
}
