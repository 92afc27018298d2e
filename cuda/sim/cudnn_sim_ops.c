/* cuda/sim/cudnn_sim_ops.c: the simulated cuDNN's operations other than convolution:
 * cudnnPoolingForward (2d), cudnnSoftmaxForward, cudnnActivationForward,
 * cudnnBatchNormalizationForwardInference (and cudnnDeriveBNTensorDescriptor), cudnnAddTensor.
 * Each checks its arguments as cuDNN documents, snapshots what it needs into a job and queues
 * it on the handle's stream; the job computes in double with naive loops over the logical
 * index space, reaching memory through the descriptors' strides.
 * Owns: those operations' checks and reference math.
 * Does not own: descriptors and shared checks (cudnn_sim.c), convolutions (cudnn_sim_conv.c).
 * Thread-safety: thread-safe (no state; each job owns its copies). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/sim/cudnn_impl.h"
#include "cuda/sim/sim_internal.h"

static bool same_dims(const frt_sim_dnn_tensor *a, const frt_sim_dnn_tensor *b) {
    if (a->nd != b->nd) return false;
    for (int i = 0; i < a->nd; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

static bool same_strides(const frt_sim_dnn_tensor *a, const frt_sim_dnn_tensor *b) {
    for (int i = 0; i < a->nd; i++)
        if (a->strides[i] != b->strides[i]) return false;
    return true;
}

/* An elementwise x -> y: y may be x itself when the layouts agree (in place), but must not
 * overlap it otherwise. */
static cudnnStatus_t check_in_place(const char *fn, const frt_sim_dnn_view *x,
                                    const frt_sim_dnn_tensor *xd, const frt_sim_dnn_view *y,
                                    const frt_sim_dnn_tensor *yd) {
    if (x->dev == y->dev && same_strides(xd, yd)) return CUDNN_STATUS_SUCCESS;
    if (frt_sim_dnn_overlap(x, y))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: y overlaps x without being x itself with the same strides",
                                fn);
    return CUDNN_STATUS_SUCCESS;
}

/* handle, alpha, beta, the x and y descriptors: what every call here starts with. */
typedef struct {
    cudaStream_t stream;
    double alpha, beta;
    frt_sim_dnn_tensor xd, yd;
} common_args;

static cudnnStatus_t get_common(const char *fn, cudnnHandle_t handle, const void *alpha,
                                const void *beta, cudnnTensorDescriptor_t xDesc,
                                cudnnTensorDescriptor_t yDesc, common_args *c) {
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_handle(handle, fn, &c->stream))) return st;
    if ((st = frt_sim_dnn_scalar(fn, "alpha", alpha, &c->alpha))) return st;
    if ((st = frt_sim_dnn_scalar(fn, "beta", beta, &c->beta))) return st;
    if ((st = frt_sim_dnn_get_tensor(xDesc, fn, "xDesc", &c->xd))) return st;
    if ((st = frt_sim_dnn_get_tensor(yDesc, fn, "yDesc", &c->yd))) return st;
    return CUDNN_STATUS_SUCCESS;
}

/* ---- pooling ---- */

static cudnnStatus_t pool_out(const char *fn, const frt_sim_dnn_pool *p,
                              const frt_sim_dnn_tensor *x, int out[4]) {
    if (x->nd != 4)
        return frt_sim_dnn_fail(x->nd == 5 ? CUDNN_STATUS_NOT_SUPPORTED : CUDNN_STATUS_BAD_PARAM,
                                "%s: the input has %d dims; the simulation models 2d pooling (4-d "
                                "tensors) only",
                                fn, x->nd);
    out[0] = x->dims[0];
    out[1] = x->dims[1];
    for (int i = 0; i < 2; i++) {
        int padded = x->dims[2 + i] + 2 * p->pad[i];
        if (p->win[i] > padded)
            return frt_sim_dnn_fail(
                CUDNN_STATUS_BAD_PARAM,
                "%s: spatial dim %d: window %d is larger than the padded input %d", fn, i,
                p->win[i], padded);
        out[2 + i] = 1 + (padded - p->win[i]) / p->stride[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetPooling2dForwardOutputDim(const cudnnPoolingDescriptor_t poolingDesc,
                                                const cudnnTensorDescriptor_t inputTensorDesc,
                                                int *n, int *c, int *h, int *w) {
    static const char fn[] = "cudnnGetPooling2dForwardOutputDim";
    if (!n || !c || !h || !w)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: an output pointer is NULL", fn);
    frt_sim_dnn_pool p;
    frt_sim_dnn_tensor x;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_pool(poolingDesc, fn, "poolingDesc", &p))) return st;
    if ((st = frt_sim_dnn_get_tensor(inputTensorDesc, fn, "inputTensorDesc", &x))) return st;
    int out[4] = {0};
    if ((st = pool_out(fn, &p, &x, out))) return st;
    *n = out[0], *c = out[1], *h = out[2], *w = out[3];
    return CUDNN_STATUS_SUCCESS;
}

typedef struct {
    frt_sim_dnn_pool p;
    frt_sim_dnn_view x, y;
    double alpha, beta;
} pool_job;

static void pool_run(void *arg) {
    static const char fn[] = "cudnnPoolingForward";
    pool_job *j = arg;
    const float *x = frt_sim_dnn_host(&j->x, fn, "x");
    float *y = frt_sim_dnn_host(&j->y, fn, "y");
    if (!x || !y) goto done;
    const frt_sim_dnn_pool *p = &j->p;
    const int64_t *xs = j->x.strides, *ys = j->y.strides;
    int H = j->x.dims[2], W = j->x.dims[3];
    bool is_max = p->mode == CUDNN_POOLING_MAX || p->mode == CUDNN_POOLING_MAX_DETERMINISTIC;
    for (int n = 0; n < j->y.dims[0]; n++)
        for (int c = 0; c < j->y.dims[1]; c++)
            for (int oh = 0; oh < j->y.dims[2]; oh++)
                for (int ow = 0; ow < j->y.dims[3]; ow++) {
                    double sum = 0, best = -INFINITY;
                    bool nan_seen = false;
                    int count = 0;
                    for (int r = 0; r < p->win[0]; r++) {
                        int ih = oh * p->stride[0] - p->pad[0] + r;
                        if (ih < 0 || ih >= H) continue;
                        for (int s = 0; s < p->win[1]; s++) {
                            int iw = ow * p->stride[1] - p->pad[1] + s;
                            if (iw < 0 || iw >= W) continue;
                            double v = x[n * xs[0] + c * xs[1] + ih * xs[2] + iw * xs[3]];
                            count++;
                            sum += v;
                            if (isnan(v))
                                nan_seen = true;
                            else if (v > best)
                                best = v;
                        }
                    }
                    double v;
                    if (is_max)
                        v = nan_seen && p->nan == CUDNN_PROPAGATE_NAN ? NAN : best;
                    else if (p->mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING)
                        v = sum / (p->win[0] * p->win[1]);
                    else
                        v = sum / count; /* count > 0: the padding is smaller than the window */
                    float *out = &y[n * ys[0] + c * ys[1] + oh * ys[2] + ow * ys[3]];
                    *out = frt_sim_dnn_blend(v, j->alpha, j->beta, out);
                }
done:
    free(j);
}

cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc,
                                  const void *alpha, const cudnnTensorDescriptor_t xDesc,
                                  const void *x, const void *beta,
                                  const cudnnTensorDescriptor_t yDesc, void *y) {
    static const char fn[] = "cudnnPoolingForward";
    common_args a;
    pool_job j = {0};
    cudnnStatus_t st;
    if ((st = get_common(fn, handle, alpha, beta, xDesc, yDesc, &a))) return st;
    if ((st = frt_sim_dnn_get_pool(poolingDesc, fn, "poolingDesc", &j.p))) return st;
    int out[4] = {0};
    if ((st = pool_out(fn, &j.p, &a.xd, out))) return st;
    if (a.yd.nd != 4 || a.yd.dims[0] != out[0] || a.yd.dims[1] != out[1])
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: yDesc's n and c must be xDesc's (%d, %d)", fn, out[0], out[1]);
    if (a.yd.dims[2] != out[2] || a.yd.dims[3] != out[3])
        return frt_sim_dnn_fail(
            CUDNN_STATUS_BAD_PARAM,
            "%s: yDesc is %dx%d spatially but cudnnGetPooling2dForwardOutputDim "
            "gives %dx%d",
            fn, a.yd.dims[2], a.yd.dims[3], out[2], out[3]);
    /* cuDNN documents NOT_SUPPORTED for a w stride other than 1 (so NHWC only with C == 1). */
    if (a.xd.strides[3] != 1 || a.yd.strides[3] != 1)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                                "%s: the w stride of x (%d) or y (%d) is not 1", fn,
                                a.xd.strides[3], a.yd.strides[3]);
    /* A window wholly in the padding has nothing to pool; the simulation refuses it. */
    if (j.p.pad[0] >= j.p.win[0] || j.p.pad[1] >= j.p.win[1])
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: padding %dx%d is not smaller than the window %dx%d", fn,
                                j.p.pad[0], j.p.pad[1], j.p.win[0], j.p.win[1]);
    if ((st = frt_sim_dnn_check_dense(fn, "yDesc", &a.yd))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "x", x, &a.xd, &j.x))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "y", y, &a.yd, &j.y))) return st;
    if (frt_sim_dnn_overlap(&j.x, &j.y))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: y overlaps x", fn);
    j.alpha = a.alpha, j.beta = a.beta;
    pool_job *job = malloc(sizeof *job);
    if (!job) return CUDNN_STATUS_ALLOC_FAILED;
    *job = j;
    return frt_sim_dnn_launch(a.stream, pool_run, job);
}

/* ---- softmax ---- */

typedef struct {
    cudnnSoftmaxAlgorithm_t algo;
    cudnnSoftmaxMode_t mode;
    frt_sim_dnn_view x, y;
    double alpha, beta;
} softmax_job;

/* The linear (logical N, C, spatial) index of the i-th member of group g: INSTANCE has one
 * group per image, over C and the spatial positions; CHANNEL one per image and spatial
 * position, over C. */
static size_t softmax_member(cudnnSoftmaxMode_t mode, size_t g, size_t i, size_t C, size_t sp) {
    if (mode == CUDNN_SOFTMAX_MODE_INSTANCE) return g * C * sp + i;
    return (g / sp * C + i) * sp + g % sp;
}

static void softmax_run(void *arg) {
    static const char fn[] = "cudnnSoftmaxForward";
    softmax_job *j = arg;
    const float *x = frt_sim_dnn_host(&j->x, fn, "x");
    float *y = frt_sim_dnn_host(&j->y, fn, "y");
    size_t N = (size_t)j->x.dims[0], C = (size_t)j->x.dims[1], sp = 1;
    for (int i = 2; i < j->x.nd; i++) sp *= (size_t)j->x.dims[i];
    bool instance = j->mode == CUDNN_SOFTMAX_MODE_INSTANCE;
    size_t groups = instance ? N : N * sp, inner = instance ? C * sp : C;
    double *v = malloc(sizeof(double) * inner);
    if (!x || !y || !v) goto done;
    for (size_t g = 0; g < groups; g++) {
        double mx = -INFINITY, sum = 0;
        for (size_t i = 0; i < inner; i++) {
            v[i] = x[frt_sim_dnn_offset(&j->x, softmax_member(j->mode, g, i, C, sp))];
            if (v[i] > mx) mx = v[i];
        }
        if (j->algo == CUDNN_SOFTMAX_FAST) mx = 0; /* FAST does not subtract the maximum */
        for (size_t i = 0; i < inner; i++) sum += exp(v[i] - mx);
        /* all of a group is read before any of it is written: x may be y */
        for (size_t i = 0; i < inner; i++) {
            double r = j->algo == CUDNN_SOFTMAX_LOG ? v[i] - mx - log(sum) : exp(v[i] - mx) / sum;
            float *out = &y[frt_sim_dnn_offset(&j->y, softmax_member(j->mode, g, i, C, sp))];
            *out = frt_sim_dnn_blend(r, j->alpha, j->beta, out);
        }
    }
done:
    free(v);
    free(j);
}

cudnnStatus_t cudnnSoftmaxForward(cudnnHandle_t handle, cudnnSoftmaxAlgorithm_t algo,
                                  cudnnSoftmaxMode_t mode, const void *alpha,
                                  const cudnnTensorDescriptor_t xDesc, const void *x,
                                  const void *beta, const cudnnTensorDescriptor_t yDesc, void *y) {
    static const char fn[] = "cudnnSoftmaxForward";
    common_args a;
    softmax_job j = {.algo = algo, .mode = mode};
    cudnnStatus_t st;
    if ((st = get_common(fn, handle, alpha, beta, xDesc, yDesc, &a))) return st;
    if ((int)algo < 0 || (int)algo > CUDNN_SOFTMAX_LOG || (int)mode < 0 ||
        (int)mode > CUDNN_SOFTMAX_MODE_CHANNEL)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: algo %d or mode %d is not valid", fn,
                                (int)algo, (int)mode);
    if (!same_dims(&a.xd, &a.yd))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: xDesc and yDesc have different dims",
                                fn);
    if (a.xd.nd > 5)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: %d dims; cuDNN takes 4 or 5", fn,
                                a.xd.nd);
    if ((st = frt_sim_dnn_check_dense(fn, "yDesc", &a.yd))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "x", x, &a.xd, &j.x))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "y", y, &a.yd, &j.y))) return st;
    if ((st = check_in_place(fn, &j.x, &a.xd, &j.y, &a.yd))) return st;
    j.alpha = a.alpha, j.beta = a.beta;
    softmax_job *job = malloc(sizeof *job);
    if (!job) return CUDNN_STATUS_ALLOC_FAILED;
    *job = j;
    return frt_sim_dnn_launch(a.stream, softmax_run, job);
}

/* ---- activation ---- */

typedef struct {
    frt_sim_dnn_act act;
    frt_sim_dnn_view x, y;
    double alpha, beta;
} act_job;

static double activate(const frt_sim_dnn_act *a, double v) {
    bool prop = a->nan == CUDNN_PROPAGATE_NAN;
    switch (a->mode) {
    case CUDNN_ACTIVATION_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case CUDNN_ACTIVATION_TANH: return tanh(v);
    case CUDNN_ACTIVATION_ELU: return v > 0 ? v : a->coef * expm1(v);
    case CUDNN_ACTIVATION_SWISH: return v / (1.0 + exp(-v)); /* swish_beta: cuDNN's default 1 */
    case CUDNN_ACTIVATION_RELU:
        if (isnan(v)) return prop ? v : 0.0;
        return v > 0 ? v : 0.0;
    case CUDNN_ACTIVATION_CLIPPED_RELU:
        if (isnan(v)) return prop ? v : 0.0;
        return v <= 0 ? 0.0 : v < a->coef ? v : a->coef;
    default: return v;
    }
}

static void act_run(void *arg) {
    static const char fn[] = "cudnnActivationForward";
    act_job *j = arg;
    const float *x = frt_sim_dnn_host(&j->x, fn, "x");
    float *y = frt_sim_dnn_host(&j->y, fn, "y");
    if (x && y) {
        size_t n = 1;
        for (int i = 0; i < j->x.nd; i++) n *= (size_t)j->x.dims[i];
        for (size_t i = 0; i < n; i++) {
            float *out = &y[frt_sim_dnn_offset(&j->y, i)];
            double r = activate(&j->act, x[frt_sim_dnn_offset(&j->x, i)]);
            *out = frt_sim_dnn_blend(r, j->alpha, j->beta, out);
        }
    }
    free(j);
}

cudnnStatus_t cudnnActivationForward(cudnnHandle_t handle,
                                     cudnnActivationDescriptor_t activationDesc, const void *alpha,
                                     const cudnnTensorDescriptor_t xDesc, const void *x,
                                     const void *beta, const cudnnTensorDescriptor_t yDesc,
                                     void *y) {
    static const char fn[] = "cudnnActivationForward";
    common_args a;
    act_job j = {0};
    cudnnStatus_t st;
    if ((st = get_common(fn, handle, alpha, beta, xDesc, yDesc, &a))) return st;
    if ((st = frt_sim_dnn_get_act(activationDesc, fn, "activationDesc", &j.act))) return st;
    /* cuDNN: IDENTITY is only for cudnnConvolutionBiasActivationForward. */
    if (j.act.mode == CUDNN_ACTIVATION_IDENTITY)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: CUDNN_ACTIVATION_IDENTITY does not work here (only in "
                                "cudnnConvolutionBiasActivationForward)",
                                fn);
    if (!same_dims(&a.xd, &a.yd))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: xDesc and yDesc have different dims",
                                fn);
    if ((st = frt_sim_dnn_check_dense(fn, "yDesc", &a.yd))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "x", x, &a.xd, &j.x))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "y", y, &a.yd, &j.y))) return st;
    if ((st = check_in_place(fn, &j.x, &a.xd, &j.y, &a.yd))) return st;
    j.alpha = a.alpha, j.beta = a.beta;
    act_job *job = malloc(sizeof *job);
    if (!job) return CUDNN_STATUS_ALLOC_FAILED;
    *job = j;
    return frt_sim_dnn_launch(a.stream, act_run, job);
}

/* ---- batch norm (inference) ---- */

static bool bn_mode_valid(cudnnBatchNormMode_t mode) {
    return (int)mode >= CUDNN_BATCHNORM_PER_ACTIVATION &&
           (int)mode <= CUDNN_BATCHNORM_SPATIAL_PERSISTENT;
}

/* The dims of the scale/bias/mean/var tensor for x under mode: 1xCx1x1(x1) spatially, 1xCxHxW(xD)
 * per activation. */
static void bn_param_dims(const frt_sim_dnn_tensor *x, cudnnBatchNormMode_t mode, int *dims) {
    dims[0] = 1;
    dims[1] = x->dims[1];
    for (int i = 2; i < x->nd; i++)
        dims[i] = mode == CUDNN_BATCHNORM_PER_ACTIVATION ? x->dims[i] : 1;
}

cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc,
                                            const cudnnTensorDescriptor_t xDesc,
                                            cudnnBatchNormMode_t mode) {
    static const char fn[] = "cudnnDeriveBNTensorDescriptor";
    frt_sim_dnn_tensor x;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_tensor(xDesc, fn, "xDesc", &x))) return st;
    if (!bn_mode_valid(mode))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d is not a cudnnBatchNormMode_t",
                                fn, (int)mode);
    if (x.nd != 4 && x.nd != 5)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: xDesc has %d dims, not 4 or 5", fn,
                                x.nd);
    int dims[CUDNN_DIM_MAX], strides[CUDNN_DIM_MAX];
    bn_param_dims(&x, mode, dims);
    strides[x.nd - 1] = 1;
    for (int i = x.nd - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
    return cudnnSetTensorNdDescriptor(derivedBnDesc, CUDNN_DATA_FLOAT, x.nd, dims, strides);
}

typedef struct {
    cudnnBatchNormMode_t mode;
    frt_sim_dnn_view x, y, scale, bias, mean, var;
    double alpha, beta, eps;
} bn_job;

static void bn_run(void *arg) {
    static const char fn[] = "cudnnBatchNormalizationForwardInference";
    bn_job *j = arg;
    const float *x = frt_sim_dnn_host(&j->x, fn, "x");
    float *y = frt_sim_dnn_host(&j->y, fn, "y");
    const float *scale = frt_sim_dnn_host(&j->scale, fn, "bnScale");
    const float *bias = frt_sim_dnn_host(&j->bias, fn, "bnBias");
    const float *mean = frt_sim_dnn_host(&j->mean, fn, "estimatedMean");
    const float *var = frt_sim_dnn_host(&j->var, fn, "estimatedVariance");
    if (x && y && scale && bias && mean && var) {
        size_t C = (size_t)j->x.dims[1], sp = 1;
        for (int i = 2; i < j->x.nd; i++) sp *= (size_t)j->x.dims[i];
        size_t n = (size_t)j->x.dims[0] * C * sp;
        for (size_t i = 0; i < n; i++) {
            size_t c = i / sp % C;
            /* the parameter tensor's linear index: c, or (c, spatial position) per activation */
            size_t pi = j->mode == CUDNN_BATCHNORM_PER_ACTIVATION ? c * sp + i % sp : c;
            double m = mean[frt_sim_dnn_offset(&j->mean, pi)],
                   v = var[frt_sim_dnn_offset(&j->var, pi)];
            double r = scale[frt_sim_dnn_offset(&j->scale, pi)] *
                           ((double)x[frt_sim_dnn_offset(&j->x, i)] - m) / sqrt(v + j->eps) +
                       bias[frt_sim_dnn_offset(&j->bias, pi)];
            float *out = &y[frt_sim_dnn_offset(&j->y, i)];
            *out = frt_sim_dnn_blend(r, j->alpha, j->beta, out);
        }
    }
    free(j);
}

cudnnStatus_t cudnnBatchNormalizationForwardInference(
    cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void *alpha, const void *beta,
    const cudnnTensorDescriptor_t xDesc, const void *x, const cudnnTensorDescriptor_t yDesc,
    void *y, const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, const void *bnScale,
    const void *bnBias, const void *estimatedMean, const void *estimatedVariance, double epsilon) {
    static const char fn[] = "cudnnBatchNormalizationForwardInference";
    common_args a;
    bn_job j = {.mode = mode, .eps = epsilon};
    frt_sim_dnn_tensor pd;
    cudnnStatus_t st;
    if ((st = get_common(fn, handle, alpha, beta, xDesc, yDesc, &a))) return st;
    if ((st = frt_sim_dnn_get_tensor(bnScaleBiasMeanVarDesc, fn, "bnScaleBiasMeanVarDesc", &pd)))
        return st;
    if (!bn_mode_valid(mode))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: mode %d is not a cudnnBatchNormMode_t",
                                fn, (int)mode);
    if (a.xd.nd != 4 && a.xd.nd != 5)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: xDesc has %d dims, not 4 or 5", fn,
                                a.xd.nd);
    if (!same_dims(&a.xd, &a.yd))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: xDesc and yDesc have different dims",
                                fn);
    frt_sim_dnn_tensor want = {.nd = a.xd.nd};
    bn_param_dims(&a.xd, mode, want.dims);
    if (!same_dims(&pd, &want))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: bnScaleBiasMeanVarDesc's dims are not those "
                                "cudnnDeriveBNTensorDescriptor gives for mode %d",
                                fn, (int)mode);
    if (!(epsilon >= CUDNN_BN_MIN_EPSILON))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: epsilon %g is below CUDNN_BN_MIN_EPSILON", fn, epsilon);
    if ((st = frt_sim_dnn_check_dense(fn, "yDesc", &a.yd))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "x", x, &a.xd, &j.x)) ||
        (st = frt_sim_dnn_view_of(fn, "y", y, &a.yd, &j.y)) ||
        (st = frt_sim_dnn_view_of(fn, "bnScale", bnScale, &pd, &j.scale)) ||
        (st = frt_sim_dnn_view_of(fn, "bnBias", bnBias, &pd, &j.bias)) ||
        (st = frt_sim_dnn_view_of(fn, "estimatedMean", estimatedMean, &pd, &j.mean)) ||
        (st = frt_sim_dnn_view_of(fn, "estimatedVariance", estimatedVariance, &pd, &j.var)))
        return st;
    if ((st = check_in_place(fn, &j.x, &a.xd, &j.y, &a.yd))) return st;
    if (frt_sim_dnn_overlap(&j.y, &j.scale) || frt_sim_dnn_overlap(&j.y, &j.bias) ||
        frt_sim_dnn_overlap(&j.y, &j.mean) || frt_sim_dnn_overlap(&j.y, &j.var))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: y overlaps a parameter tensor", fn);
    j.alpha = a.alpha, j.beta = a.beta;
    bn_job *job = malloc(sizeof *job);
    if (!job) return CUDNN_STATUS_ALLOC_FAILED;
    *job = j;
    return frt_sim_dnn_launch(a.stream, bn_run, job);
}

/* ---- add ---- */

typedef struct {
    frt_sim_dnn_view a, c;
    double alpha, beta;
} add_job;

static void add_run(void *arg) {
    static const char fn[] = "cudnnAddTensor";
    add_job *j = arg;
    const float *A = frt_sim_dnn_host(&j->a, fn, "A");
    float *C = frt_sim_dnn_host(&j->c, fn, "C");
    if (A && C) {
        size_t n = 1;
        for (int i = 0; i < j->c.nd; i++) n *= (size_t)j->c.dims[i];
        for (size_t i = 0; i < n; i++) {
            /* A's element: C's coordinates, 0 where A has extent 1 (broadcast) */
            int64_t ao = 0;
            size_t rest = i;
            for (int d = j->c.nd - 1; d >= 0; d--) {
                size_t coord = rest % (size_t)j->c.dims[d];
                rest /= (size_t)j->c.dims[d];
                if (j->a.dims[d] != 1) ao += (int64_t)coord * j->a.strides[d];
            }
            float *out = &C[frt_sim_dnn_offset(&j->c, i)];
            *out = frt_sim_dnn_blend(A[ao], j->alpha, j->beta, out);
        }
    }
    free(j);
}

cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void *alpha,
                             const cudnnTensorDescriptor_t aDesc, const void *A, const void *beta,
                             const cudnnTensorDescriptor_t cDesc, void *C) {
    static const char fn[] = "cudnnAddTensor";
    common_args a;
    add_job j = {0};
    cudnnStatus_t st;
    if ((st = get_common(fn, handle, alpha, beta, aDesc, cDesc, &a))) return st;
    if (a.xd.nd != a.yd.nd)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: aDesc has %d dims, cDesc %d", fn,
                                a.xd.nd, a.yd.nd);
    if (a.yd.nd > 5)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: %d dims; cuDNN takes up to 5", fn,
                                a.yd.nd);
    for (int i = 0; i < a.xd.nd; i++)
        if (a.xd.dims[i] != 1 && a.xd.dims[i] != a.yd.dims[i])
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                    "%s: dim %d of A is %d; it must be 1 or C's %d", fn, i,
                                    a.xd.dims[i], a.yd.dims[i]);
    if ((st = frt_sim_dnn_check_dense(fn, "cDesc", &a.yd))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "A", A, &a.xd, &j.a))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "C", C, &a.yd, &j.c))) return st;
    if (frt_sim_dnn_overlap(&j.a, &j.c))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: C overlaps A", fn);
    j.alpha = a.alpha, j.beta = a.beta;
    add_job *job = malloc(sizeof *job);
    if (!job) return CUDNN_STATUS_ALLOC_FAILED;
    *job = j;
    return frt_sim_dnn_launch(a.stream, add_run, job);
}
