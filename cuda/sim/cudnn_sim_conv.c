/* cuda/sim/cudnn_sim_conv.c: the simulated cuDNN's 2d convolution forward: output dims, the
 * algorithms (support rules, workspace sizes, the heuristic list and Find), and
 * cudnnConvolutionForward / cudnnConvolutionBiasActivationForward with a naive reference.
 * Owns: the consistency checks between tensor, filter and convolution descriptors, the
 * per-algorithm rules, the queued convolution job.
 * Does not own: descriptors and shared checks (cudnn_sim.c), the other operations
 * (cudnn_sim_ops.c).
 * Thread-safety: thread-safe (no state but an atomic launch counter; each job owns its
 * copies).
 * The algorithm rules follow the float rows of cuDNN's table of supported configurations for
 * cudnnConvolutionForward: IMPLICIT_GEMM and IMPLICIT_PRECOMP_GEMM take anything; GEMM needs
 * dilation 1; FFT and FFT_TILING need NCHW tensors packed in H and W, an NCHW filter, unit
 * strides and dilations and a filter larger than the padding (FFT: padded input at most 256);
 * WINOGRAD needs 3x3 filters, WINOGRAD_NONFUSED 3x3 or 5x5, both NCHW with unit strides and
 * dilations; DIRECT is not implemented by cuDNN. The workspace sizes are the simulation's own
 * (0 for IMPLICIT_GEMM, the filter plus a little for IMPLICIT_PRECOMP_GEMM, an im2col buffer
 * for GEMM, lots for FFT), never smaller than the filter, which a job with a workspace stages
 * there and computes from. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/sim/cudnn_impl.h"
#include "cuda/sim/sim_internal.h"

static const char *const algo_names[] = {
    "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
    "WINOGRAD",      "WINOGRAD_NONFUSED",
};

/* The heuristic's order: a workspace-hungry algorithm first, so callers exercise their
 * workspace handling; IMPLICIT_GEMM (no workspace) is always among the supported ones. */
static const cudnnConvolutionFwdAlgo_t heuristic_order[CUDNN_CONVOLUTION_FWD_ALGO_COUNT] = {
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT,
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
    CUDNN_CONVOLUTION_FWD_ALGO_DIRECT,
};

static void dims_str(char *buf, size_t n, const int *dims, int nd) {
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < nd && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%d", i ? "," : "[", dims[i]);
    if (len < n) snprintf(buf + len, n - len, "]");
}

/* The output dims of x under f and cv, checking that they fit together (cuDNN's
 * BAD_PARAM list for cudnnGetConvolution2dForwardOutputDim and cudnnConvolutionForward). */
static cudnnStatus_t out_dims(const char *fn, const frt_sim_dnn_tensor *x,
                              const frt_sim_dnn_filter *f, const frt_sim_dnn_conv *cv, int out[4]) {
    if (x->nd != 4)
        return frt_sim_dnn_fail(x->nd == 5 ? CUDNN_STATUS_NOT_SUPPORTED : CUDNN_STATUS_BAD_PARAM,
                                "%s: xDesc has %d dims; the simulation models 2d convolutions "
                                "(4-d tensors) only",
                                fn, x->nd);
    if (cv->groups < 1 || x->dims[1] != f->c * cv->groups)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: xDesc has %d channels but the filter has %d input channels "
                                "x %d groups",
                                fn, x->dims[1], f->c, cv->groups);
    if (f->k % cv->groups)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: the filter's %d output channels are not a multiple of the "
                                "group count %d",
                                fn, f->k, cv->groups);
    int fs[2] = {f->r, f->s};
    out[0] = x->dims[0];
    out[1] = f->k;
    for (int i = 0; i < 2; i++) {
        int padded = x->dims[2 + i] + 2 * cv->pad[i];
        int span = (fs[i] - 1) * cv->dil[i] + 1;
        if (span > padded)
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                    "%s: spatial dim %d: the dilated filter spans %d but the "
                                    "padded input is %d",
                                    fn, i, span, padded);
        out[2 + i] = 1 + (padded - span) / cv->stride[i];
    }
    return CUDNN_STATUS_SUCCESS;
}

/* The checks every convolution call makes on its descriptors, yDesc included. */
static cudnnStatus_t check_conv(const char *fn, const frt_sim_dnn_tensor *x,
                                const frt_sim_dnn_filter *f, const frt_sim_dnn_conv *cv,
                                const frt_sim_dnn_tensor *y) {
    int out[4] = {0};
    cudnnStatus_t st = out_dims(fn, x, f, cv, out);
    if (st) return st;
    if (y->nd != x->nd)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: yDesc has %d dims, xDesc %d", fn,
                                y->nd, x->nd);
    if (y->dims[0] != out[0] || y->dims[1] != out[1]) {
        char got[64], want[64];
        dims_str(got, sizeof got, y->dims, 4);
        dims_str(want, sizeof want, out, 4);
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: yDesc is %s but the convolution gives %s (batch or output "
                                "channels differ)",
                                fn, got, want);
    }
    if (y->dims[2] != out[2] || y->dims[3] != out[3]) {
        char got[64], want[64];
        dims_str(got, sizeof got, y->dims, 4);
        dims_str(want, sizeof want, out, 4);
        return frt_sim_dnn_fail(
            CUDNN_STATUS_NOT_SUPPORTED,
            "%s: yDesc is %s but cudnnGetConvolution2dForwardOutputDim gives %s", fn, got, want);
    }
    return CUDNN_STATUS_SUCCESS;
}

/* Packed in H and W, with the NCHW order of strides: what the FFT algorithms read. */
static bool nchw_hw_packed(const frt_sim_dnn_tensor *t) {
    return t->strides[3] == 1 && t->strides[2] == t->dims[3] &&
           t->strides[1] >= t->dims[2] * t->dims[3] &&
           t->strides[0] >= (int64_t)t->strides[1] * t->dims[1];
}

/* NULL when algo supports the configuration, else why not. */
static const char *unsupported(cudnnConvolutionFwdAlgo_t algo, const frt_sim_dnn_tensor *x,
                               const frt_sim_dnn_filter *f, const frt_sim_dnn_conv *cv,
                               const frt_sim_dnn_tensor *y) {
    bool unit = cv->stride[0] == 1 && cv->stride[1] == 1;
    bool undilated = cv->dil[0] == 1 && cv->dil[1] == 1;
    switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM:
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM: return NULL;
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM: return undilated ? NULL : "GEMM needs dilation 1";
    case CUDNN_CONVOLUTION_FWD_ALGO_DIRECT: return "DIRECT is not implemented by cuDNN";
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT:
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
        if (!nchw_hw_packed(x) || !nchw_hw_packed(y) || f->format != CUDNN_TENSOR_NCHW)
            return "FFT algorithms need NCHW tensors packed in H and W and an NCHW filter";
        if (!unit || !undilated) return "FFT algorithms need stride 1 and dilation 1";
        if (f->r <= cv->pad[0] || f->s <= cv->pad[1])
            return "FFT algorithms need a filter larger than the padding";
        if (algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT &&
            (x->dims[2] + 2 * cv->pad[0] > 256 || x->dims[3] + 2 * cv->pad[1] > 256))
            return "FFT needs a padded input of at most 256x256";
        return NULL;
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD:
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED:
        if (!nchw_hw_packed(x) || !nchw_hw_packed(y) || f->format != CUDNN_TENSOR_NCHW)
            return "Winograd algorithms need NCHW tensors and an NCHW filter";
        if (!unit || !undilated) return "Winograd algorithms need stride 1 and dilation 1";
        if (f->r == 3 && f->s == 3) return NULL;
        if (algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED && f->r == 5 && f->s == 5)
            return NULL;
        return algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD
                   ? "WINOGRAD needs a 3x3 filter"
                   : "WINOGRAD_NONFUSED needs a 3x3 or 5x5 filter";
    default: return "not a cudnnConvolutionFwdAlgo_t";
    }
}

static size_t round_up(size_t n) { return (n + 255) / 256 * 256; }

/* The workspace algo needs (the configuration is supported). */
static size_t workspace_bytes(cudnnConvolutionFwdAlgo_t algo, const frt_sim_dnn_tensor *x,
                              const frt_sim_dnn_filter *f, const frt_sim_dnn_conv *cv,
                              const frt_sim_dnn_tensor *y) {
    size_t N = (size_t)x->dims[0], C = (size_t)x->dims[1], K = (size_t)f->k, Cg = (size_t)f->c;
    size_t RS = (size_t)f->r * (size_t)f->s, OHW = (size_t)y->dims[2] * (size_t)y->dims[3];
    size_t filter = round_up(K * Cg * RS * sizeof(float));
    switch (algo) {
    case CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM:
        return filter + round_up(Cg * RS * sizeof(int) + 64); /* the offset table */
    case CUDNN_CONVOLUTION_FWD_ALGO_GEMM:
        return filter + round_up(C * RS * OHW * sizeof(float)); /* im2col of one image */
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT: {
        size_t fh = 64, fw = 64; /* planes of at least 64x64: FFT wants lots of memory */
        while (fh < (size_t)(x->dims[2] + 2 * cv->pad[0])) fh *= 2;
        while (fw < (size_t)(x->dims[3] + 2 * cv->pad[1])) fw *= 2;
        size_t plane = fh * (fw / 2 + 1) * 2 * sizeof(float); /* complex */
        return filter + round_up(plane * (N * C + K * Cg + N * K));
    }
    case CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING:
        return filter + round_up((size_t)32 * 17 * 2 * sizeof(float) * (C + K * Cg + K));
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD: return filter + round_up(16 * K * Cg * sizeof(float));
    case CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED: {
        size_t tiles = (size_t)((y->dims[2] + 3) / 4) * (size_t)((y->dims[3] + 3) / 4) * N;
        return filter + round_up(36 * sizeof(float) * (K * Cg + C * tiles + K * tiles));
    }
    default: return 0;
    }
}

static bool algo_valid(cudnnConvolutionFwdAlgo_t algo) {
    return (int)algo >= 0 && (int)algo < CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
}

/* The four descriptors of a convolution call, snapshotted and checked. */
typedef struct {
    frt_sim_dnn_tensor x, y;
    frt_sim_dnn_filter f;
    frt_sim_dnn_conv cv;
} conv_descs;

static cudnnStatus_t get_descs(const char *fn, cudnnTensorDescriptor_t xd,
                               cudnnFilterDescriptor_t wd, cudnnConvolutionDescriptor_t cd,
                               cudnnTensorDescriptor_t yd, conv_descs *d) {
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_tensor(xd, fn, "xDesc", &d->x))) return st;
    if ((st = frt_sim_dnn_get_filter(wd, fn, "wDesc", &d->f))) return st;
    if ((st = frt_sim_dnn_get_conv(cd, fn, "convDesc", &d->cv))) return st;
    if ((st = frt_sim_dnn_get_tensor(yd, fn, "yDesc", &d->y))) return st;
    return check_conv(fn, &d->x, &d->f, &d->cv, &d->y);
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t convDesc,
                                                    const cudnnTensorDescriptor_t inputTensorDesc,
                                                    const cudnnFilterDescriptor_t filterDesc,
                                                    int *n, int *c, int *h, int *w) {
    static const char fn[] = "cudnnGetConvolution2dForwardOutputDim";
    if (!n || !c || !h || !w)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: an output pointer is NULL", fn);
    frt_sim_dnn_tensor x;
    frt_sim_dnn_filter f;
    frt_sim_dnn_conv cv;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_conv(convDesc, fn, "convDesc", &cv))) return st;
    if ((st = frt_sim_dnn_get_tensor(inputTensorDesc, fn, "inputTensorDesc", &x))) return st;
    if ((st = frt_sim_dnn_get_filter(filterDesc, fn, "filterDesc", &f))) return st;
    int out[4] = {0};
    if ((st = out_dims(fn, &x, &f, &cv, out))) return st;
    *n = out[0], *c = out[1], *h = out[2], *w = out[3];
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, int *count) {
    static const char fn[] = "cudnnGetConvolutionForwardAlgorithmMaxCount";
    cudaStream_t s;
    cudnnStatus_t st = frt_sim_dnn_get_handle(handle, fn, &s);
    if (st) return st;
    if (!count) return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: count is NULL", fn);
    *count = CUDNN_CONVOLUTION_FWD_ALGO_COUNT;
    return CUDNN_STATUS_SUCCESS;
}

/* The heuristic list, supported algorithms first in heuristic_order, then the others with
 * status NOT_SUPPORTED; time is fake_time(rank) for the supported ones, -1 otherwise. */
static cudnnStatus_t algo_list(const char *fn, cudnnHandle_t handle, cudnnTensorDescriptor_t xd,
                               cudnnFilterDescriptor_t wd, cudnnConvolutionDescriptor_t cd,
                               cudnnTensorDescriptor_t yd, int requested, int *returned,
                               cudnnConvolutionFwdAlgoPerf_t *perf, bool timed) {
    cudaStream_t s;
    cudnnStatus_t st = frt_sim_dnn_get_handle(handle, fn, &s);
    if (st) return st;
    if (requested < 1 || !returned || !perf)
        return frt_sim_dnn_fail(
            CUDNN_STATUS_BAD_PARAM,
            "%s: requestedAlgoCount %d < 1, or returnedAlgoCount or perfResults "
            "is NULL",
            fn, requested);
    *returned = 0;
    conv_descs d;
    if ((st = get_descs(fn, xd, wd, cd, yd, &d))) return st;
    cudnnConvolutionFwdAlgoPerf_t all[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int n = 0, rank = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < CUDNN_CONVOLUTION_FWD_ALGO_COUNT; i++) {
            cudnnConvolutionFwdAlgo_t a = heuristic_order[i];
            bool ok = unsupported(a, &d.x, &d.f, &d.cv, &d.y) == NULL;
            if (ok != (pass == 0)) continue;
            cudnnConvolutionFwdAlgoPerf_t p = {0};
            p.algo = a;
            p.status = ok ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_NOT_SUPPORTED;
            p.time = ok && timed ? (float)++rank : -1.0f;
            p.memory = ok ? workspace_bytes(a, &d.x, &d.f, &d.cv, &d.y) : 0;
            p.determinism = CUDNN_DETERMINISTIC;
            p.mathType = d.cv.math;
            all[n++] = p;
        }
    }
    int m = requested < n ? requested : n;
    memcpy(perf, all, sizeof all[0] * (size_t)m);
    *returned = m;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnFilterDescriptor_t filterDesc, const cudnnConvolutionDescriptor_t convDesc,
    const cudnnTensorDescriptor_t destDesc, const int requestedAlgoCount, int *returnedAlgoCount,
    cudnnConvolutionFwdAlgoPerf_t *perfResults) {
    return algo_list("cudnnGetConvolutionForwardAlgorithm_v7", handle, srcDesc, filterDesc,
                     convDesc, destDesc, requestedAlgoCount, returnedAlgoCount, perfResults, false);
}

cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const cudnnFilterDescriptor_t wDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
    const int requestedAlgoCount, int *returnedAlgoCount,
    cudnnConvolutionFwdAlgoPerf_t *perfResults) {
    /* Nothing is timed: the "times" are the ranks 1, 2, 3, ... of the heuristic's order. */
    return algo_list("cudnnFindConvolutionForwardAlgorithm", handle, xDesc, wDesc, convDesc, yDesc,
                     requestedAlgoCount, returnedAlgoCount, perfResults, true);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(
    cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const cudnnFilterDescriptor_t wDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
    cudnnConvolutionFwdAlgo_t algo, size_t *sizeInBytes) {
    static const char fn[] = "cudnnGetConvolutionForwardWorkspaceSize";
    cudaStream_t s;
    cudnnStatus_t st = frt_sim_dnn_get_handle(handle, fn, &s);
    if (st) return st;
    if (!sizeInBytes)
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: sizeInBytes is NULL", fn);
    *sizeInBytes = 0;
    conv_descs d;
    if ((st = get_descs(fn, xDesc, wDesc, convDesc, yDesc, &d))) return st;
    if (!algo_valid(algo))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: algo %d is not a cudnnConvolutionFwdAlgo_t", fn, (int)algo);
    /* A query, so no violation: callers may ask about every algorithm. */
    if (unsupported(algo, &d.x, &d.f, &d.cv, &d.y)) return CUDNN_STATUS_NOT_SUPPORTED;
    *sizeInBytes = workspace_bytes(algo, &d.x, &d.f, &d.cv, &d.y);
    return CUDNN_STATUS_SUCCESS;
}

/* ---- the job ---- */

typedef struct {
    const char *fn;
    conv_descs d;
    frt_sim_dnn_view x, w, y, z, bias, ws;
    size_t ws_need;
    cudnnConvolutionFwdAlgo_t algo;
    bool fused;
    double alpha, beta;    /* plain: y = alpha * conv + beta * y */
    double alpha1, alpha2; /* fused: y = act(alpha1 * conv + alpha2 * z + bias) */
    frt_sim_dnn_act act;
    unsigned long token; /* per launch, seeds the workspace pattern */
} conv_job;

static atomic_ulong launches;

static uint8_t pattern(unsigned long token, size_t i) {
    uint64_t v = (token + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)i * 0xD1B54A32D192ED03ull;
    return (uint8_t)(v >> 56);
}

/* The filter's element (k, c, r, s) offset for its memory format. */
static int64_t filter_off(const frt_sim_dnn_filter *f, int k, int c, int r, int s) {
    if (f->format == CUDNN_TENSOR_NHWC) return (((int64_t)k * f->r + r) * f->s + s) * f->c + c;
    return (((int64_t)k * f->c + c) * f->r + r) * f->s + s;
}

static double relu(double v, cudnnNanPropagation_t nan) {
    if (isnan(v)) return nan == CUDNN_PROPAGATE_NAN ? v : 0.0;
    return v > 0 ? v : 0.0;
}

static void conv_run(void *arg) {
    conv_job *j = arg;
    const frt_sim_dnn_tensor *xd = &j->d.x;
    const frt_sim_dnn_filter *f = &j->d.f;
    const frt_sim_dnn_conv *cv = &j->d.cv;
    float *x = frt_sim_dnn_host(&j->x, j->fn, "x");
    float *w = frt_sim_dnn_host(&j->w, j->fn, "w");
    float *y = frt_sim_dnn_host(&j->y, j->fn, "y");
    float *z = j->fused ? frt_sim_dnn_host(&j->z, j->fn, "z") : NULL;
    float *bias = j->fused ? frt_sim_dnn_host(&j->bias, j->fn, "bias") : NULL;
    uint8_t *ws = j->ws_need ? (uint8_t *)frt_sim_dnn_host(&j->ws, j->fn, "workSpace") : NULL;
    if (!x || !w || !y || (j->fused && (!z || !bias)) || (j->ws_need && !ws)) goto done;

    /* Stage the filter (packed KCRS) at the start of the workspace and fill the rest with this
     * launch's pattern; the convolution reads the staged copy. */
    size_t nw = (size_t)f->k * (size_t)f->c * (size_t)f->r * (size_t)f->s;
    const float *wt = w;
    bool staged = ws != NULL;
    if (staged) {
        float *wsf = (float *)ws;
        size_t i = 0;
        for (int k = 0; k < f->k; k++)
            for (int c = 0; c < f->c; c++)
                for (int r = 0; r < f->r; r++)
                    for (int s = 0; s < f->s; s++) wsf[i++] = w[filter_off(f, k, c, r, s)];
        for (size_t b = nw * sizeof(float); b < j->ws_need; b++) ws[b] = pattern(j->token, b);
        wt = wsf;
    }

    int N = xd->dims[0], Cg = f->c, K = f->k, R = f->r, S = f->s;
    int OH = j->d.y.dims[2], OW = j->d.y.dims[3], H = xd->dims[2], W = xd->dims[3];
    int Kg = K / cv->groups;
    const int64_t *xs = j->x.strides, *ys = j->y.strides;
    for (int n = 0; n < N; n++)
        for (int k = 0; k < K; k++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    int g = k / Kg;
                    double acc = 0;
                    for (int c = 0; c < Cg; c++)
                        for (int r = 0; r < R; r++) {
                            int ih = oh * cv->stride[0] - cv->pad[0] + r * cv->dil[0];
                            if (ih < 0 || ih >= H) continue;
                            for (int s = 0; s < S; s++) {
                                int iw = ow * cv->stride[1] - cv->pad[1] + s * cv->dil[1];
                                if (iw < 0 || iw >= W) continue;
                                /* CONVOLUTION flips the filter; CROSS_CORRELATION does not. */
                                int fr = cv->mode == CUDNN_CONVOLUTION ? R - 1 - r : r;
                                int fs = cv->mode == CUDNN_CONVOLUTION ? S - 1 - s : s;
                                int64_t wo = staged ? (((int64_t)k * Cg + c) * R + fr) * S + fs
                                                    : filter_off(f, k, c, fr, fs);
                                double xv = x[n * xs[0] + (int64_t)(g * Cg + c) * xs[1] +
                                              ih * xs[2] + iw * xs[3]];
                                acc += xv * (double)wt[wo];
                            }
                        }
                    float *out = &y[n * ys[0] + k * ys[1] + oh * ys[2] + ow * ys[3]];
                    if (!j->fused) {
                        *out = frt_sim_dnn_blend(acc, j->alpha, j->beta, out);
                        continue;
                    }
                    double v = j->alpha1 * acc + (double)bias[k * j->bias.strides[1]];
                    /* z has y's dims; alpha2 == 0 leaves it unread, like beta == 0. */
                    if (j->alpha2 != 0.0)
                        v += j->alpha2 * (double)z[n * j->z.strides[0] + k * j->z.strides[1] +
                                                   oh * j->z.strides[2] + ow * j->z.strides[3]];
                    if (j->act.mode == CUDNN_ACTIVATION_RELU) v = relu(v, j->act.nan);
                    *out = (float)v;
                }

    if (staged) {
        /* A workspace shared with a launch that ran at the same time no longer holds what this
         * one put there. */
        bool intact = true;
        const float *wsf = (const float *)ws;
        size_t i = 0;
        for (int k = 0; k < f->k && intact; k++)
            for (int c = 0; c < f->c; c++)
                for (int r = 0; r < f->r; r++)
                    for (int s = 0; s < f->s; s++, i++)
                        if (memcmp(&wsf[i], &w[filter_off(f, k, c, r, s)], sizeof(float)))
                            intact = false;
        for (size_t b = nw * sizeof(float); b < j->ws_need && intact; b++)
            if (ws[b] != pattern(j->token, b)) intact = false;
        if (!intact)
            frt_sim_violation("%s (algo %s): workspace %p was overwritten while the convolution "
                              "ran: another launch that may run concurrently shares it",
                              j->fn, algo_names[j->algo], j->ws.dev);
        memset(ws, 0xff, j->ws_need); /* NaNs for whoever reads it next */
    }
done:
    free(j);
}

/* The checks and launch both forward calls share. */
static cudnnStatus_t conv_launch(conv_job *j, cudnnHandle_t handle, const void *x, const void *w,
                                 cudnnConvolutionFwdAlgo_t algo, void *workSpace,
                                 size_t workSpaceSizeInBytes, void *y, cudaStream_t *stream) {
    const char *fn = j->fn;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_get_handle(handle, fn, stream))) return st;
    if (!algo_valid(algo))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: algo %d is not a cudnnConvolutionFwdAlgo_t", fn, (int)algo);
    const char *why = unsupported(algo, &j->d.x, &j->d.f, &j->d.cv, &j->d.y);
    if (why)
        return frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED, "%s: algo %s: %s", fn, algo_names[algo],
                                why);
    if ((st = frt_sim_dnn_check_dense(fn, "yDesc", &j->d.y))) return st;
    frt_sim_dnn_tensor ft = {
        .dtype = CUDNN_DATA_FLOAT, .nd = 4, .dims = {j->d.f.k, j->d.f.c, j->d.f.r, j->d.f.s}};
    ft.strides[0] = j->d.f.c * j->d.f.r * j->d.f.s; /* the filter's extent is its packed size */
    ft.strides[1] = j->d.f.r * j->d.f.s, ft.strides[2] = j->d.f.s, ft.strides[3] = 1;
    if ((st = frt_sim_dnn_view_of(fn, "x", x, &j->d.x, &j->x))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "w", w, &ft, &j->w))) return st;
    if ((st = frt_sim_dnn_view_of(fn, "y", y, &j->d.y, &j->y))) return st;
    if (frt_sim_dnn_overlap(&j->y, &j->x) || frt_sim_dnn_overlap(&j->y, &j->w))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: y overlaps x or w (no in-place convolution)", fn);
    j->algo = algo;
    j->ws_need = workspace_bytes(algo, &j->d.x, &j->d.f, &j->d.cv, &j->d.y);
    if (j->ws_need && (!workSpace || workSpaceSizeInBytes < j->ws_need))
        return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                                "%s: algo %s needs a workspace of %zu bytes "
                                "(cudnnGetConvolutionForwardWorkspaceSize) but got %p, %zu bytes",
                                fn, algo_names[algo], j->ws_need, workSpace, workSpaceSizeInBytes);
    if (workSpace && workSpaceSizeInBytes) {
        /* The whole workspace the caller claims must exist, needed or not. */
        char what[160];
        snprintf(what, sizeof what, "%s: workSpace (%zu bytes, as passed)", fn,
                 workSpaceSizeInBytes);
        if ((uintptr_t)workSpace % sizeof(float))
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: workSpace %p is not aligned", fn,
                                    workSpace);
        if (!frt_sim_host_ptr(workSpace, workSpaceSizeInBytes, what)) return CUDNN_STATUS_BAD_PARAM;
    }
    if (j->ws_need) {
        j->ws = (frt_sim_dnn_view){.dev = workSpace, .bytes = j->ws_need};
        if (frt_sim_dnn_overlap(&j->ws, &j->x) || frt_sim_dnn_overlap(&j->ws, &j->w) ||
            frt_sim_dnn_overlap(&j->ws, &j->y))
            return frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: workSpace overlaps x, w or y", fn);
    }
    j->token = atomic_fetch_add(&launches, 1);
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void *alpha,
                                      const cudnnTensorDescriptor_t xDesc, const void *x,
                                      const cudnnFilterDescriptor_t wDesc, const void *w,
                                      const cudnnConvolutionDescriptor_t convDesc,
                                      cudnnConvolutionFwdAlgo_t algo, void *workSpace,
                                      size_t workSpaceSizeInBytes, const void *beta,
                                      const cudnnTensorDescriptor_t yDesc, void *y) {
    static const char fn[] = "cudnnConvolutionForward";
    conv_job *j = calloc(1, sizeof *j);
    if (!j) return CUDNN_STATUS_ALLOC_FAILED;
    j->fn = fn;
    cudaStream_t stream;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_scalar(fn, "alpha", alpha, &j->alpha)) ||
        (st = frt_sim_dnn_scalar(fn, "beta", beta, &j->beta)) ||
        (st = get_descs(fn, xDesc, wDesc, convDesc, yDesc, &j->d)) ||
        (st = conv_launch(j, handle, x, w, algo, workSpace, workSpaceSizeInBytes, y, &stream))) {
        free(j);
        return st;
    }
    return frt_sim_dnn_launch(stream, conv_run, j);
}

cudnnStatus_t cudnnConvolutionBiasActivationForward(
    cudnnHandle_t handle, const void *alpha1, const cudnnTensorDescriptor_t xDesc, const void *x,
    const cudnnFilterDescriptor_t wDesc, const void *w, const cudnnConvolutionDescriptor_t convDesc,
    cudnnConvolutionFwdAlgo_t algo, void *workSpace, size_t workSpaceSizeInBytes,
    const void *alpha2, const cudnnTensorDescriptor_t zDesc, const void *z,
    const cudnnTensorDescriptor_t biasDesc, const void *bias,
    const cudnnActivationDescriptor_t activationDesc, const cudnnTensorDescriptor_t yDesc,
    void *y) {
    static const char fn[] = "cudnnConvolutionBiasActivationForward";
    conv_job *j = calloc(1, sizeof *j);
    if (!j) return CUDNN_STATUS_ALLOC_FAILED;
    j->fn = fn;
    j->fused = true;
    cudaStream_t stream;
    frt_sim_dnn_tensor zd, bd;
    cudnnStatus_t st;
    if ((st = frt_sim_dnn_scalar(fn, "alpha1", alpha1, &j->alpha1)) ||
        (st = frt_sim_dnn_scalar(fn, "alpha2", alpha2, &j->alpha2)) ||
        (st = get_descs(fn, xDesc, wDesc, convDesc, yDesc, &j->d)) ||
        (st = frt_sim_dnn_get_tensor(zDesc, fn, "zDesc", &zd)) ||
        (st = frt_sim_dnn_get_tensor(biasDesc, fn, "biasDesc", &bd)) ||
        (st = frt_sim_dnn_get_act(activationDesc, fn, "activationDesc", &j->act)))
        goto fail;
    /* cuDNN: only RELU and IDENTITY, and IDENTITY only with IMPLICIT_PRECOMP_GEMM. */
    if (j->act.mode != CUDNN_ACTIVATION_RELU && j->act.mode != CUDNN_ACTIVATION_IDENTITY) {
        st = frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                              "%s: activation mode %d; only RELU and IDENTITY are supported", fn,
                              (int)j->act.mode);
        goto fail;
    }
    if (j->act.mode == CUDNN_ACTIVATION_IDENTITY &&
        algo != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM) {
        st = frt_sim_dnn_fail(CUDNN_STATUS_NOT_SUPPORTED,
                              "%s: the IDENTITY activation works only with "
                              "CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, not algo %d",
                              fn, (int)algo);
        goto fail;
    }
    bool z_same = zd.nd == j->d.y.nd;
    for (int i = 0; z_same && i < zd.nd; i++) z_same = zd.dims[i] == j->d.y.dims[i];
    if (!z_same) {
        st = frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: zDesc's dims differ from yDesc's", fn);
        goto fail;
    }
    if (bd.nd != 4 || bd.dims[0] != 1 || bd.dims[1] != j->d.f.k || bd.dims[2] != 1 ||
        bd.dims[3] != 1) {
        char got[64];
        dims_str(got, sizeof got, bd.dims, bd.nd);
        st = frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM, "%s: biasDesc is %s, not [1,%d,1,1]", fn, got,
                              j->d.f.k);
        goto fail;
    }
    if ((st = conv_launch(j, handle, x, w, algo, workSpace, workSpaceSizeInBytes, y, &stream)) ||
        (st = frt_sim_dnn_view_of(fn, "z", z, &zd, &j->z)) ||
        (st = frt_sim_dnn_view_of(fn, "bias", bias, &bd, &j->bias)))
        goto fail;
    /* z may be y itself (same address and layout), but no other overlap. */
    bool z_is_y = j->z.dev == j->y.dev;
    for (int i = 0; z_is_y && i < zd.nd; i++) z_is_y = zd.strides[i] == j->d.y.strides[i];
    if ((!z_is_y && frt_sim_dnn_overlap(&j->z, &j->y)) || frt_sim_dnn_overlap(&j->bias, &j->y) ||
        (j->ws_need &&
         (frt_sim_dnn_overlap(&j->ws, &j->z) || frt_sim_dnn_overlap(&j->ws, &j->bias)))) {
        st = frt_sim_dnn_fail(CUDNN_STATUS_BAD_PARAM,
                              "%s: y overlaps bias or z (z may only be y itself), or the workspace "
                              "overlaps z or bias",
                              fn);
        goto fail;
    }
    return frt_sim_dnn_launch(stream, conv_run, j);
fail:
    free(j);
    return st;
}
