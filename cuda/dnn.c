/* cuda/dnn.c: the cuDNN kernels of CUDA devices (float32), through cuDNN 9's legacy API (why
 * not the graph API: cuda/README.md, "cuBLAS and cuDNN"): Conv2D, DepthwiseConv2dNative and
 * their _Fused forms (BiasAdd + Relu / Relu6 / Elu / LeakyRelu), MaxPool / MaxPoolV2 /
 * AvgPool, Softmax / LogSoftmax over the last axis, FusedBatchNorm / V2 / V3 in inference.
 * Registers them, and cuda/blas.c's rows, in frt_cuda_register_dnn.
 * Owns: TF's conv and pool geometry mapped onto cuDNN descriptors — NHWC and NCHW tensors
 * directly, the HWIO filter transposed per call into cuDNN's layout (OHWI for NHWC, OIHW for
 * NCHW; a depthwise [KH,KW,C,M] filter is HWIO with one input channel per group of a grouped
 * convolution with C groups), padding split into cuDNN's symmetric part and an explicit
 * frt_cu_pad of the input for the rest (SAME's odd totals, uneven EXPLICIT pads), as TF's GPU
 * kernels do; the per-instance cache of forward algorithms (cudnnGetConvolutionForward-
 * Algorithm_v7 within a workspace limit, keyed by the input and filter shapes); pooling in
 * NCHW with transposes around it for NHWC; the fused epilogues: cudnnConvolutionBias-
 * ActivationForward for BiasAdd (IDENTITY, which cuDNN allows only with IMPLICIT_PRECOMP_GEMM)
 * and BiasAdd + Relu, the convolution plus our bias + activation kernel for the others.
 * Does not own: conv/pool/fused/batch-norm attrs, shape checks and their TF error texts
 * (core/window_attrs.c, core/fused_attrs.c, core/batch_norm_attrs.c, shared with the CPU),
 * padding and transposes (cuda/kernels: frt_cu_pad, frt_cu_transpose), the epilogue kernels
 * (cuda/kernels/epilogue.cuh), handles and streams (cuda/device.c).
 * Numerics: float32 throughout (CUDNN_FMA_MATH: no TF32, unlike TF's default on Ampere and
 * later), so results match the CPU kernels to rounding.
 * Thread-safety: kernel state is read-only in compute except the algorithm cache, which its
 * mutex guards; compute runs with the device entered, so the cuDNN handle is ours. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/dnn_impl.h"
#include "cuda/kernels/launch.h"
#include "core/batch_norm_attrs.h"
#include "core/window_attrs.h"

/* The most workspace a convolution algorithm may ask for; beyond it the heuristic's next
 * choice is taken (TF's default limit is 4 GiB; ours is smaller because the workspace comes
 * from the same BFC pool as the tensors). When even the chosen workspace cannot be allocated
 * the convolution falls back to IMPLICIT_GEMM, which needs none. */
#define CONV_WORKSPACE_LIMIT ((size_t)1 << 30)

/* ---- descriptors ------------------------------------------------------------------------- */

/* Every descriptor one call may use; NULL until created. */
typedef struct descs {
    cudnnTensorDescriptor_t x, y, bias;
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    cudnnActivationDescriptor_t act;
    cudnnPoolingDescriptor_t pool;
} descs;

static void descs_free(descs *d) {
    /* Destroying a descriptor right after enqueueing the call that read it is fine: cuDNN
     * reads descriptors when the call is made, not when the stream runs it. */
    if (d->x) cudnnDestroyTensorDescriptor(d->x);
    if (d->y) cudnnDestroyTensorDescriptor(d->y);
    if (d->bias) cudnnDestroyTensorDescriptor(d->bias);
    if (d->w) cudnnDestroyFilterDescriptor(d->w);
    if (d->conv) cudnnDestroyConvolutionDescriptor(d->conv);
    if (d->act) cudnnDestroyActivationDescriptor(d->act);
    if (d->pool) cudnnDestroyPoolingDescriptor(d->pool);
}

/* A 4-d float tensor descriptor of logical dims n, c, h, w laid out NCHW or NHWC. */
static frt_status *tensor4(cudnnTensorDescriptor_t *d, bool nhwc, int64_t n, int64_t c,
                           int64_t h, int64_t w) {
    FRT_TRY(frt_cudnn_check(cudnnCreateTensorDescriptor(d), "cudnnCreateTensorDescriptor"));
    return frt_cudnn_check(cudnnSetTensor4dDescriptor(*d, nhwc ? CUDNN_TENSOR_NHWC
                                                               : CUDNN_TENSOR_NCHW,
                                                      CUDNN_DATA_FLOAT, (int)n, (int)c, (int)h,
                                                      (int)w),
                           "cudnnSetTensor4dDescriptor");
}

/* Element counts and dims the legacy API takes as int (strides included). */
static frt_status *fits(const char *op, const char *what, int64_t v) {
    return frt_cuda_fits_int(op, what, v);
}

/* ---- padding --------------------------------------------------------------------------- */

/* One spatial dim: TF's padding before the first window (from frt_window_dim) and the part
 * of the padding after the input that the last window reaches; cuDNN pads both sides by
 * `sym`, the input is padded explicitly by `eb` before and `ea` after. */
typedef struct pad_split {
    int64_t before, after, sym, eb, ea;
} pad_split;

/* After = what the last of `out` windows (span keff, stride s) needs beyond in + before,
 * never negative: rows no window reaches are not padded (for VALID, SAME and EXPLICIT alike
 * the unreached rest is below one stride, so cuDNN's floor gives `out` windows again). */
static pad_split split_pad(int64_t in, int64_t keff, int64_t s, int64_t out, int64_t before) {
    pad_split p = {.before = before};
    int64_t need = (out - 1) * s + keff - in - before;
    p.after = need > 0 ? need : 0;
    p.sym = p.before < p.after ? p.before : p.after;
    p.eb = p.before - p.sym;
    p.ea = p.after - p.sym;
    return p;
}

/* Pads 4-d `in` (dims in memory order) by before/after on dims 1..3 into a temp of the node:
 * *out and out_dims. fill: host float, NULL = zeros. */
static frt_status *pad4(frt_kernel_ctx *ctx, const float *in, const int64_t in_dims[4],
                        const int64_t before[4], const int64_t after[4], const float *fill,
                        float **out, int64_t out_dims[4]) {
    for (int i = 0; i < 4; i++) out_dims[i] = in_dims[i] + before[i] + after[i];
    int64_t n = out_dims[0] * out_dims[1] * out_dims[2] * out_dims[3];
    FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)n * sizeof(float), (void **)out));
    return frt_cuda_check(frt_cu_pad(frt_cuda_stream(ctx), in, *out, 4, in_dims, before,
                                     out_dims, sizeof(float), fill),
                          "launching the padding of the input (asymmetric padding)");
}

/* Permutes 4-d `in` (dims in memory order) into out: out dim k is in dim perm[k]. */
static frt_status *permute4(frt_kernel_ctx *ctx, const float *in, float *out,
                            const int64_t in_dims[4], const int perm[4], const char *what) {
    return frt_cuda_check(frt_cu_transpose(frt_cuda_stream(ctx), in, out, 4, in_dims, perm,
                                           sizeof(float)),
                          what);
}

/* ---- convolutions ---------------------------------------------------------------------- */

#define ALGO_CACHE 8

/* A forward algorithm chosen for one input shape (after explicit padding) and filter. */
typedef struct algo_entry {
    int64_t key[8]; /* N, C, H, W of cuDNN's input; K, C per group, R, S of the filter */
    cudnnConvolutionFwdAlgo_t algo;
    cudnnMathType_t math;
    size_t workspace;
} algo_entry;

typedef struct conv_state {
    frt_window_attrs w;
    int64_t sh, sw, dh, dw;
    bool fused;     /* _Fused*: bias = input 2, epilogue in f */
    frt_cuda_fused f;
    /* The algorithm cache: kernel state is shared by concurrent runs of the plan, so the
     * cache (the only state written in compute) has a lock; a miss asks cuDNN without it. */
    pthread_mutex_t mu;
    int n_cached, next;
    algo_entry cache[ALGO_CACHE];
} conv_state;

static void conv_free(void *p) {
    conv_state *s = p;
    if (!s) return;
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Attrs shared by both ops, validated once per node (core/window_attrs.c: TF's texts). */
static frt_status *conv_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    frt_conv_attrs ca;
    FRT_TRY(frt_conv_attrs_parse(ic->op, ic->attrs, &ca));
    conv_state s = {.w = ca.w, .sh = ca.sh, .sw = ca.sw, .dh = ca.dh, .dw = ca.dw,
                    .fused = ca.fused};
    if (s.fused) FRT_TRY(frt_cuda_fused_parse(ic->op, ic->attrs, false, &s.f));
    conv_state *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_oom("%s: kernel state", ic->op);
    *p = s;
    pthread_mutex_init(&p->mu, NULL);
    *state = p;
    return NULL;
}

/* How a convolution's epilogue runs. */
typedef enum conv_mode {
    CONV_PLAIN,        /* cudnnConvolutionForward, then our kernel for any bias/activation */
    CONV_FUSED_BIAS,   /* cudnnConvolutionBiasActivationForward, IDENTITY (PRECOMP_GEMM only) */
    CONV_FUSED_RELU,   /* cudnnConvolutionBiasActivationForward, RELU, any algorithm */
} conv_mode;

/* The algorithm for d's shapes: from the cache, else the first of cuDNN's heuristic list that
 * is supported, within CONV_WORKSPACE_LIMIT and in float32 math (the heuristic also lists
 * tensor-op variants, which round to TF32); IMPLICIT_PRECOMP_GEMM when the mode needs it. */
static frt_status *choose_algo(conv_state *s, cudnnHandle_t h, const descs *d,
                               const int64_t key[8], conv_mode mode, algo_entry *out) {
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < s->n_cached; i++)
        if (memcmp(s->cache[i].key, key, sizeof s->cache[i].key) == 0) {
            *out = s->cache[i];
            pthread_mutex_unlock(&s->mu);
            return NULL;
        }
    pthread_mutex_unlock(&s->mu);

    algo_entry e = {.algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, .math = CUDNN_FMA_MATH};
    memcpy(e.key, key, sizeof e.key);
    bool found = false;
    if (mode == CONV_FUSED_BIAS) {
        e.algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
        found = true;
    } else {
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT * 2];
        int max = 0, n = 0;
        FRT_TRY(frt_cudnn_check(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &max),
                                "cudnnGetConvolutionForwardAlgorithmMaxCount"));
        if (max > (int)FRT_COUNTOF(perf)) max = (int)FRT_COUNTOF(perf);
        FRT_TRY(frt_cudnn_check(cudnnGetConvolutionForwardAlgorithm_v7(h, d->x, d->w, d->conv,
                                                                       d->y, max, &n, perf),
                                "cudnnGetConvolutionForwardAlgorithm_v7"));
        for (int i = 0; i < n && !found; i++) {
            bool exact = perf[i].mathType == CUDNN_FMA_MATH ||
                         perf[i].mathType == CUDNN_DEFAULT_MATH;
            if (perf[i].status == CUDNN_STATUS_SUCCESS && exact &&
                perf[i].memory <= CONV_WORKSPACE_LIMIT) {
                e.algo = perf[i].algo;
                e.math = perf[i].mathType;
                found = true;
            }
        }
    }
    /* The heuristic's memory field is an estimate; the size query is what the call checks. */
    FRT_TRY(frt_cudnn_check(cudnnSetConvolutionMathType(d->conv, e.math),
                            "cudnnSetConvolutionMathType"));
    FRT_TRY(frt_cudnn_check(cudnnGetConvolutionForwardWorkspaceSize(h, d->x, d->w, d->conv, d->y,
                                                                    e.algo, &e.workspace),
                            "cudnnGetConvolutionForwardWorkspaceSize"));

    pthread_mutex_lock(&s->mu);
    s->cache[s->next] = e;
    s->next = (s->next + 1) % ALGO_CACHE;
    if (s->n_cached < ALGO_CACHE) s->n_cached++;
    pthread_mutex_unlock(&s->mu);
    *out = e;
    return NULL;
}

/* The shapes of one convolution call, in TF's terms and cuDNN's. */
typedef struct conv_geom {
    frt_window_geom g;    /* NHWC-order geometry (kernels/window_impl.h) */
    int64_t cin_g;        /* input channels per group (the filter's third dim) */
    int64_t groups;
    pad_split ph, pw;
} conv_geom;

/* Enqueues the convolution of d (algorithm e, workspace ws) and its epilogue into y. */
static frt_status *conv_launch(frt_kernel_ctx *ctx, const conv_state *s, descs *d,
                               const algo_entry *e, void *ws, conv_mode mode, const float *x,
                               const float *w, const float *bias, float *y, int64_t y_n,
                               int64_t oc, int64_t inner) {
    cudnnHandle_t h = frt_cuda_device_of(ctx)->cudnn;
    const float one = 1.0f, zero = 0.0f;
    FRT_TRY(frt_cudnn_check(cudnnSetConvolutionMathType(d->conv, e->math),
                            "cudnnSetConvolutionMathType"));
    if (mode == CONV_PLAIN) {
        FRT_TRY(frt_cudnn_check(cudnnConvolutionForward(h, &one, d->x, x, d->w, w, d->conv,
                                                        e->algo, ws, e->workspace, &zero, d->y,
                                                        y),
                                "cudnnConvolutionForward"));
        if (!s->fused || (!bias && s->f.act == FRT_CU_ACT_NONE)) return NULL;
        return frt_cuda_check(frt_cu_bias_act(frt_cuda_stream(ctx), y, bias, y_n, oc, inner,
                                              s->f.act, s->f.alpha),
                              "launching the convolution's bias and activation");
    }
    FRT_TRY(frt_cudnn_check(cudnnCreateTensorDescriptor(&d->bias),
                            "cudnnCreateTensorDescriptor"));
    FRT_TRY(frt_cudnn_check(cudnnSetTensor4dDescriptor(d->bias, CUDNN_TENSOR_NCHW,
                                                       CUDNN_DATA_FLOAT, 1, (int)oc, 1, 1),
                            "cudnnSetTensor4dDescriptor (bias)"));
    FRT_TRY(frt_cudnn_check(cudnnCreateActivationDescriptor(&d->act),
                            "cudnnCreateActivationDescriptor"));
    /* Relu keeps NaN, as TF's. */
    FRT_TRY(frt_cudnn_check(
        cudnnSetActivationDescriptor(d->act, mode == CONV_FUSED_RELU ? CUDNN_ACTIVATION_RELU
                                                                     : CUDNN_ACTIVATION_IDENTITY,
                                     CUDNN_PROPAGATE_NAN, 0.0),
        "cudnnSetActivationDescriptor"));
    /* z is y itself with alpha2 = 0: not read (the conv's output may hold anything). */
    return frt_cudnn_check(cudnnConvolutionBiasActivationForward(
                               h, &one, d->x, x, d->w, w, d->conv, e->algo, ws, e->workspace,
                               &zero, d->y, y, d->bias, bias, d->act, d->y, y),
                           "cudnnConvolutionBiasActivationForward");
}

/* Conv2D, DepthwiseConv2dNative and their fused forms: the shape checks the CPU kernel shares
 * (frt_conv_geom, core/window_attrs.c), then cuDNN. */
static frt_status *conv_compute(frt_kernel_ctx *ctx, bool depthwise) {
    conv_state *s = frt_kernel_state(ctx);
    const frt_tensor *x = frt_kernel_input(ctx, 0), *f = frt_kernel_input(ctx, 1);
    const char *op = ctx->def->op;
    conv_geom cg = {.groups = 0};
    frt_window_geom *g = &cg.g;
    int64_t odims[4];
    FRT_TRY(frt_conv_geom(op, &s->w, s->sh, s->sw, s->dh, s->dw, depthwise, x, f, g, odims,
                          &cg.groups));
    cg.cin_g = depthwise ? 1 : f->dims[2];
    const frt_window_attrs *w = &s->w;
    const float *bias;
    FRT_TRY(frt_cuda_fused_bias(ctx, s->fused ? &s->f : NULL, 2, g->OC, &bias));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, FRT_DTYPE_FLOAT, odims, 4, &out));
    if (out->n == 0) return NULL;
    float *y = frt_tensor_device_ptr(out);
    int64_t inner = w->nchw ? g->OH * g->OW : 1; /* elements per channel run, for the bias */
    cudaStream_t stream = frt_cuda_stream(ctx);
    if (x->n == 0 || f->n == 0) { /* an empty sum: zeros, then the epilogue */
        FRT_TRY(frt_cuda_check(cudaMemsetAsync(y, 0, (size_t)out->n * sizeof(float), stream),
                               "zeroing an empty convolution"));
        if (!s->fused) return NULL;
        return frt_cuda_check(frt_cu_bias_act(stream, y, bias, out->n, g->OC, inner, s->f.act,
                                              s->f.alpha),
                              "launching the convolution's bias and activation");
    }

    /* cuDNN pads symmetrically; the rest is padded explicitly, into a temp. */
    cg.ph = split_pad(g->H, (g->KH - 1) * g->dh + 1, g->sh, g->OH, g->pt);
    cg.pw = split_pad(g->W, (g->KW - 1) * g->dw + 1, g->sw, g->OW, g->pl);
    int64_t Hp = g->H + cg.ph.eb + cg.ph.ea, Wp = g->W + cg.pw.eb + cg.pw.ea;
    FRT_TRY(fits(op, "batch", g->N));
    FRT_TRY(fits(op, "channels", g->C));
    FRT_TRY(fits(op, "output channels", g->OC));
    FRT_TRY(fits(op, "input elements (padded)", g->N * g->C * Hp * Wp));
    FRT_TRY(fits(op, "output elements", out->n));
    FRT_TRY(fits(op, "filter elements", f->n));
    FRT_TRY(fits(op, "strides", g->sh > g->sw ? g->sh : g->sw));
    FRT_TRY(fits(op, "dilations", g->dh > g->dw ? g->dh : g->dw));
    const float *xin = frt_tensor_device_ptr(x);
    if (cg.ph.eb || cg.ph.ea || cg.pw.eb || cg.pw.ea) {
        int hi = w->nchw ? 2 : 1, wi = hi + 1;
        int64_t before[4] = {0}, after[4] = {0}, pdims[4];
        before[hi] = cg.ph.eb, after[hi] = cg.ph.ea;
        before[wi] = cg.pw.eb, after[wi] = cg.pw.ea;
        float *padded;
        FRT_TRY(pad4(ctx, xin, x->dims, before, after, NULL, &padded, pdims));
        xin = padded;
    }

    /* The filter in cuDNN's layout: HWIO [KH,KW,Cg,OC] -> OHWI (KRSC, NHWC) or OIHW (KCRS,
     * NCHW). A depthwise [KH,KW,C,M] filter is HWIO [KH,KW,1,C*M]: output channel c*M + m is
     * in group c, as in TF. Filters are usually constants; transposing them per call costs
     * one pass over the filter (small next to the convolution); init could do it once. */
    float *wt;
    FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)f->n * sizeof(float), (void **)&wt));
    {
        int64_t hwio[4] = {g->KH, g->KW, cg.cin_g, g->OC};
        static const int to_ohwi[4] = {3, 0, 1, 2}, to_oihw[4] = {3, 2, 0, 1};
        FRT_TRY(permute4(ctx, frt_tensor_device_ptr(f), wt, hwio, w->nchw ? to_oihw : to_ohwi,
                         "launching the filter's transpose"));
    }

    conv_mode mode = CONV_PLAIN;
    if (s->fused && bias && s->f.act == FRT_CU_ACT_NONE) mode = CONV_FUSED_BIAS;
    if (s->fused && bias && s->f.act == FRT_CU_ACT_RELU) mode = CONV_FUSED_RELU;

    cudnnHandle_t h = frt_cuda_device_of(ctx)->cudnn;
    descs d = {0};
    frt_status *st = tensor4(&d.x, !w->nchw, g->N, g->C, Hp, Wp);
    if (!st) st = tensor4(&d.y, !w->nchw, g->N, g->OC, g->OH, g->OW);
    if (!st)
        st = frt_cudnn_check(cudnnCreateFilterDescriptor(&d.w), "cudnnCreateFilterDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnSetFilter4dDescriptor(d.w, CUDNN_DATA_FLOAT,
                                                        w->nchw ? CUDNN_TENSOR_NCHW
                                                                : CUDNN_TENSOR_NHWC,
                                                        (int)g->OC, (int)cg.cin_g, (int)g->KH,
                                                        (int)g->KW),
                             "cudnnSetFilter4dDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnCreateConvolutionDescriptor(&d.conv),
                             "cudnnCreateConvolutionDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnSetConvolution2dDescriptor(
                                 d.conv, (int)cg.ph.sym, (int)cg.pw.sym, (int)g->sh, (int)g->sw,
                                 (int)g->dh, (int)g->dw, CUDNN_CROSS_CORRELATION,
                                 CUDNN_DATA_FLOAT),
                             "cudnnSetConvolution2dDescriptor");
    if (!st && cg.groups > 1)
        st = frt_cudnn_check(cudnnSetConvolutionGroupCount(d.conv, (int)cg.groups),
                             "cudnnSetConvolutionGroupCount");
    if (!st)
        st = frt_cudnn_check(cudnnSetConvolutionMathType(d.conv, CUDNN_FMA_MATH),
                             "cudnnSetConvolutionMathType");
    if (!st) { /* our geometry and cuDNN's must agree: a mismatch is a bug of ours */
        int on = 0, oc = 0, oh = 0, ow = 0;
        st = frt_cudnn_check(cudnnGetConvolution2dForwardOutputDim(d.conv, d.x, d.w, &on, &oc,
                                                                   &oh, &ow),
                             "cudnnGetConvolution2dForwardOutputDim");
        if (!st && (on != g->N || oc != g->OC || oh != g->OH || ow != g->OW))
            st = frt_status_new(FRT_INTERNAL,
                                "%s: cuDNN computes output [%d,%d,%d,%d], TF's rules "
                                "[%lld,%lld,%lld,%lld] (NCHW order)",
                                op, on, oc, oh, ow, (long long)g->N, (long long)g->OC,
                                (long long)g->OH, (long long)g->OW);
    }
    algo_entry e;
    int64_t key[8] = {g->N, g->C, Hp, Wp, g->OC, cg.cin_g, g->KH, g->KW};
    if (!st) st = choose_algo(s, h, &d, key, mode, &e);
    void *ws = NULL;
    if (!st && e.workspace) {
        st = frt_kernel_temp_alloc(ctx, e.workspace, &ws);
        if (st && frt_status_code(st) == FRT_RESOURCE_EXHAUSTED) {
            /* No room for this algorithm's workspace now: IMPLICIT_GEMM needs none. */
            frt_status_free(st);
            ws = NULL;
            e.algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
            e.math = CUDNN_FMA_MATH;
            if (mode == CONV_FUSED_BIAS) mode = CONV_PLAIN;
            st = frt_cudnn_check(cudnnGetConvolutionForwardWorkspaceSize(
                                     h, d.x, d.w, d.conv, d.y, e.algo, &e.workspace),
                                 "cudnnGetConvolutionForwardWorkspaceSize");
            if (!st && e.workspace) st = frt_kernel_temp_alloc(ctx, e.workspace, &ws);
        }
    }
    if (!st) st = conv_launch(ctx, s, &d, &e, ws, mode, xin, wt, bias, y, out->n, g->OC, inner);
    descs_free(&d);
    return st;
}

static frt_status *conv2d(frt_kernel_ctx *ctx) { return conv_compute(ctx, false); }
static frt_status *depthwise(frt_kernel_ctx *ctx) { return conv_compute(ctx, true); }

/* ---- pooling ------------------------------------------------------------------------------ */

typedef frt_pool_attrs pool_state;

static frt_status *pool_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    pool_state s;
    FRT_TRY(frt_pool_attrs_parse(ic->op, ic->attrs, &s));
    pool_state *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_oom("%s: kernel state", ic->op);
    *p = s;
    *state = p;
    return NULL;
}

/* cuDNN pools NCHW tensors only (its w stride must be 1), so NHWC data is transposed to NCHW
 * and back, as TF's GPU pooling does (a channel count of 1 needs no transpose: the two
 * layouts are the same bytes). Padding: cuDNN's symmetric part, the rest explicit — with -inf
 * for MaxPool (never the maximum of a window that holds an input element); AvgPool then
 * divides by the whole window (COUNT_INCLUDE_PADDING) and our kernel rescales each average to
 * the count of in-bounds elements, TF's divisor. Without explicit padding AvgPool is
 * COUNT_EXCLUDE_PADDING directly. MaxPool ignores NaN (NOT_PROPAGATE_NAN), as the CPU kernel
 * does. */
static frt_status *pool_run(frt_kernel_ctx *ctx, const pool_state *s) {
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    const char *op = ctx->def->op;
    const frt_window_attrs *w = &s->w;
    frt_window_geom g;
    int64_t odims[4];
    FRT_TRY(frt_pool_geom(op, w, s->kh, s->kw, s->sh, s->sw, x, &g, odims));
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(ctx, 0, x->dtype, odims, 4, &out));
    if (out->n == 0) return NULL;
    pad_split ph = split_pad(g.H, g.KH, g.sh, g.OH, g.pt);
    pad_split pw = split_pad(g.W, g.KW, g.sw, g.OW, g.pl);
    int64_t Hp = g.H + ph.eb + ph.ea, Wp = g.W + pw.eb + pw.ea;
    FRT_TRY(fits(op, "input elements (padded)", g.N * g.C * Hp * Wp));
    FRT_TRY(fits(op, "output elements", out->n));
    FRT_TRY(fits(op, "window", g.KH > g.KW ? g.KH : g.KW));
    FRT_TRY(fits(op, "strides", g.sh > g.sw ? g.sh : g.sw));
    bool explicit_pad = ph.eb || ph.ea || pw.eb || pw.ea;
    bool transpose = !w->nchw && g.C > 1;
    const float *src = frt_tensor_device_ptr(x);
    float *dst = frt_tensor_device_ptr(out);
    if (transpose) {
        float *xt;
        FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)x->n * sizeof(float), (void **)&xt));
        static const int to_nchw[4] = {0, 3, 1, 2};
        FRT_TRY(permute4(ctx, src, xt, x->dims, to_nchw, "launching the NHWC->NCHW transpose"));
        src = xt;
        FRT_TRY(frt_kernel_temp_alloc(ctx, (size_t)out->n * sizeof(float), (void **)&dst));
    }
    if (explicit_pad) {
        int64_t in_dims[4] = {g.N, g.C, g.H, g.W}, before[4] = {0, 0, ph.eb, pw.eb},
                after[4] = {0, 0, ph.ea, pw.ea}, pdims[4];
        const float ninf = -INFINITY;
        float *padded;
        FRT_TRY(pad4(ctx, src, in_dims, before, after, s->avg ? NULL : &ninf, &padded, pdims));
        src = padded;
    }
    cudnnPoolingMode_t mode = !s->avg       ? CUDNN_POOLING_MAX
                              : explicit_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                                             : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
    cudnnHandle_t h = frt_cuda_device_of(ctx)->cudnn;
    descs d = {0};
    const float one = 1.0f, zero = 0.0f;
    frt_status *st = tensor4(&d.x, false, g.N, g.C, Hp, Wp);
    if (!st) st = tensor4(&d.y, false, g.N, g.C, g.OH, g.OW);
    if (!st)
        st = frt_cudnn_check(cudnnCreatePoolingDescriptor(&d.pool),
                             "cudnnCreatePoolingDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnSetPooling2dDescriptor(d.pool, mode, CUDNN_NOT_PROPAGATE_NAN,
                                                         (int)g.KH, (int)g.KW, (int)ph.sym,
                                                         (int)pw.sym, (int)g.sh, (int)g.sw),
                             "cudnnSetPooling2dDescriptor");
    if (!st) {
        int on = 0, oc = 0, oh = 0, ow = 0;
        st = frt_cudnn_check(cudnnGetPooling2dForwardOutputDim(d.pool, d.x, &on, &oc, &oh, &ow),
                             "cudnnGetPooling2dForwardOutputDim");
        if (!st && (oh != g.OH || ow != g.OW))
            st = frt_status_new(FRT_INTERNAL,
                                "%s: cuDNN computes %dx%d outputs, TF's rules %lldx%lld", op, oh,
                                ow, (long long)g.OH, (long long)g.OW);
    }
    if (!st)
        st = frt_cudnn_check(cudnnPoolingForward(h, d.pool, &one, d.x, src, &zero, d.y, dst),
                             "cudnnPoolingForward");
    descs_free(&d);
    if (st) return st;
    if (s->avg && explicit_pad)
        FRT_TRY(frt_cuda_check(
            frt_cu_avgpool_rescale(frt_cuda_stream(ctx), dst, g.N * g.C, g.OH, g.OW,
                                   (frt_cu_pool_dim){g.H, g.KH, g.sh, g.pt},
                                   (frt_cu_pool_dim){g.W, g.KW, g.sw, g.pl}),
            "launching the average pool's count correction"));
    if (transpose) {
        int64_t nchw[4] = {g.N, g.C, g.OH, g.OW};
        static const int to_nhwc[4] = {0, 2, 3, 1};
        FRT_TRY(permute4(ctx, dst, frt_tensor_device_ptr(out), nchw, to_nhwc,
                         "launching the NCHW->NHWC transpose"));
    }
    return NULL;
}

static frt_status *pool(frt_kernel_ctx *ctx) { return pool_run(ctx, frt_kernel_state(ctx)); }

/* MaxPoolV2: ksize and strides are int32 host-memory inputs 1 and 2. */
static frt_status *maxpool_v2(frt_kernel_ctx *ctx) {
    pool_state s = *(const pool_state *)frt_kernel_state(ctx);
    FRT_TRY(frt_pool_window_from_inputs(&s, frt_kernel_input(ctx, 1),
                                        frt_kernel_input(ctx, 2)));
    return pool_run(ctx, &s);
}

/* ---- Softmax, LogSoftmax ------------------------------------------------------------------ */

/* Over the last dim: x as [rows, D, 1, 1] NCHW, cuDNN's CHANNEL mode (one softmax per row);
 * ACCURATE subtracts the maximum first, as the CPU kernel does; LOG is log-softmax. */
static frt_status *softmax_run(frt_kernel_ctx *ctx, bool log_sm) {
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    const char *op = ctx->def->op;
    if (x->dtype != FRT_DTYPE_FLOAT)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: expected float, got %s", op,
                              frt_dtype_name(x->dtype));
    if (x->ndim < 1)
        return frt_status_new(FRT_INVALID_ARGUMENT, "logits must have >= 1 dimension, got %s",
                              FRT_SHAPE_STR(x));
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(ctx, 0, 0, FRT_DTYPE_FLOAT, x->dims, x->ndim, &y));
    if (x->n == 0) return NULL;
    int64_t D = x->dims[x->ndim - 1], rows = x->n / D;
    FRT_TRY(fits(op, "logits elements", x->n));
    descs d = {0};
    const float one = 1.0f, zero = 0.0f;
    frt_status *st = tensor4(&d.x, false, rows, D, 1, 1);
    if (!st)
        st = frt_cudnn_check(cudnnSoftmaxForward(frt_cuda_device_of(ctx)->cudnn,
                                                 log_sm ? CUDNN_SOFTMAX_LOG
                                                        : CUDNN_SOFTMAX_ACCURATE,
                                                 CUDNN_SOFTMAX_MODE_CHANNEL, &one, d.x,
                                                 frt_tensor_device_ptr(x), &zero, d.x,
                                                 frt_tensor_device_ptr(y)),
                             "cudnnSoftmaxForward");
    descs_free(&d);
    return st;
}

static frt_status *softmax(frt_kernel_ctx *ctx) { return softmax_run(ctx, false); }
static frt_status *log_softmax(frt_kernel_ctx *ctx) { return softmax_run(ctx, true); }

/* ---- FusedBatchNorm, V2, V3 (inference) ---------------------------------------------------- */

typedef struct bn_state {
    float epsilon;
    bool channels_first; /* NCHW / NCDHW */
} bn_state;

/* Attrs as the CPU kernel reads them (core/batch_norm_attrs.c). Training mode (batch statistics) is not
 * implemented on the GPU: such a node fails at plan building, naming the way out. */
static frt_status *bn_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    const frt_attrs *at = ic->attrs;
    bn_state s = {0};
    frt_bn_attrs ba;
    FRT_TRY(frt_bn_attrs_parse(ic->op, at, &ba));
    s.epsilon = ba.epsilon;
    s.channels_first = ba.channels_first;
    bool training = ba.training;
    if (training)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "%s with is_training=true is not implemented on GPU (inference "
                              "only); place the node on the CPU",
                              ic->op);
    bn_state *p = frt_malloc(sizeof *p);
    if (!p) return frt_status_oom("%s: kernel state", ic->op);
    *p = s;
    *state = p;
    return NULL;
}

/* y = scale * (x - mean) / sqrt(variance + epsilon) + offset per channel, through
 * cudnnBatchNormalizationForwardInference (SPATIAL) on x described with its layout's strides.
 * Outputs 1..4 pass mean and variance through and V3's reserve_space_3 is empty, as the CPU
 * kernel's. */
static frt_status *batch_norm(frt_kernel_ctx *ctx) {
    const bn_state *s = frt_kernel_state(ctx);
    const char *op = ctx->def->op;
    const frt_tensor *x = frt_kernel_input(ctx, 0);
    frt_bn_attrs ba = {.epsilon = s->epsilon, .channels_first = s->channels_first};
    int64_t C;
    FRT_TRY(frt_bn_check_inputs(op, &ba, ctx->inputs, ctx->n_inputs, &C));
    frt_tensor *const *v = ctx->inputs;
    int nd = x->ndim, cdim = s->channels_first ? 1 : nd - 1;
    frt_tensor *y;
    FRT_TRY(frt_kernel_forward_input(ctx, 0, 0, FRT_DTYPE_FLOAT, x->dims, x->ndim, &y));
    for (int i = 1; i <= 4 && i < ctx->n_outputs; i++)
        frt_kernel_set_output(ctx, i, (frt_tensor *)v[i % 2 ? 3 : 4]);
    if (ctx->n_outputs > 5) {
        frt_tensor *r3;
        FRT_TRY(frt_kernel_output(ctx, 5, FRT_DTYPE_FLOAT, (int64_t[]){0}, 1, &r3));
    }
    if (x->n == 0) return NULL;
    FRT_TRY(fits(op, "input elements", x->n));
    /* cuDNN's logical order is N, C, spatial...; memory order is x's. */
    int dims[5], strides[5];
    int64_t mstride[5], run = 1;
    for (int i = nd - 1; i >= 0; i--) {
        mstride[i] = run;
        run *= x->dims[i];
    }
    dims[0] = (int)x->dims[0], strides[0] = (int)mstride[0];
    dims[1] = (int)C, strides[1] = (int)mstride[cdim];
    for (int i = 2, j = s->channels_first ? 2 : 1; i < nd; i++, j++)
        dims[i] = (int)x->dims[j], strides[i] = (int)mstride[j];
    cudnnTensorDescriptor_t xd = NULL, pd = NULL;
    const float one = 1.0f, zero = 0.0f;
    double eps = s->epsilon > CUDNN_BN_MIN_EPSILON ? s->epsilon : CUDNN_BN_MIN_EPSILON;
    frt_status *st =
        frt_cudnn_check(cudnnCreateTensorDescriptor(&xd), "cudnnCreateTensorDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnSetTensorNdDescriptor(xd, CUDNN_DATA_FLOAT, nd, dims, strides),
                             "cudnnSetTensorNdDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnCreateTensorDescriptor(&pd), "cudnnCreateTensorDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnDeriveBNTensorDescriptor(pd, xd, CUDNN_BATCHNORM_SPATIAL),
                             "cudnnDeriveBNTensorDescriptor");
    if (!st)
        st = frt_cudnn_check(cudnnBatchNormalizationForwardInference(
                                 frt_cuda_device_of(ctx)->cudnn, CUDNN_BATCHNORM_SPATIAL, &one,
                                 &zero, xd, frt_tensor_device_ptr(x), xd,
                                 frt_tensor_device_ptr(y), pd, frt_tensor_device_ptr(v[1]),
                                 frt_tensor_device_ptr(v[2]), frt_tensor_device_ptr(v[3]),
                                 frt_tensor_device_ptr(v[4]), eps),
                             "cudnnBatchNormalizationForwardInference");
    if (xd) cudnnDestroyTensorDescriptor(xd);
    if (pd) cudnnDestroyTensorDescriptor(pd);
    return st;
}

/* ---- registration ------------------------------------------------------------------------ */

#define CUDA_ROW(OP, FN, INIT, FREE, HOST)                                                  \
    {OP, FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, FN, INIT, FREE, HOST, NULL}
static const frt_kernel_def defs[] = {
    CUDA_ROW("Conv2D", conv2d, conv_init, conv_free, 0),
    CUDA_ROW("_FusedConv2D", conv2d, conv_init, conv_free, 0),
    CUDA_ROW("DepthwiseConv2dNative", depthwise, conv_init, conv_free, 0),
    CUDA_ROW("_FusedDepthwiseConv2dNative", depthwise, conv_init, conv_free, 0),
    CUDA_ROW("MaxPool", pool, pool_init, free, 0),
    CUDA_ROW("MaxPoolV2", maxpool_v2, pool_init, free, FRT_HOST_IN(1) | FRT_HOST_IN(2)),
    CUDA_ROW("AvgPool", pool, pool_init, free, 0),
    CUDA_ROW("Softmax", softmax, NULL, NULL, 0),
    CUDA_ROW("LogSoftmax", log_softmax, NULL, NULL, 0),
    CUDA_ROW("FusedBatchNorm", batch_norm, bn_init, free, 0),
    CUDA_ROW("FusedBatchNormV2", batch_norm, bn_init, free, 0),
    CUDA_ROW("FusedBatchNormV3", batch_norm, bn_init, free, 0),
};

void frt_cuda_register_dnn(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, FRT_COUNTOF(defs));
    frt_cuda_register_blas(r);
}
