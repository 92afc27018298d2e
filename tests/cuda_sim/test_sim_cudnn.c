/* tests/cuda_sim/test_sim_cudnn.c: the simulated cuDNN (cuda/sim/cudnn_sim*.c): results
 * against hand-computed cases and against naive references written here over logical NCHW
 * arrays (so a layout or stride the simulation misreads shows up as a wrong number), the
 * algorithm list and workspaces, beta blending, stream-time reads, and every checker
 * violation and documented error status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cudnn.h>
#include "cuda/sim/sim_internal.h"

/* ---- helpers ---- */

#define CHECK_CUDA(e) assert_int_equal((e), cudaSuccess)
#define CHECK_DNN(e) assert_int_equal((e), CUDNN_STATUS_SUCCESS)
/* expr returns status and records at least one violation. */
#define EXPECT_VIOLATION(expr, status)                                                             \
    do {                                                                                           \
        long v0_ = frt_sim_violations();                                                           \
        assert_int_equal((expr), (status));                                                        \
        assert_true(frt_sim_violations() > v0_);                                                   \
    } while (0)
#define NO_VIOLATIONS() assert_int_equal(frt_sim_violations(), 0)

static float frand(unsigned *seed) {
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static int irand(unsigned *seed, int lo, int hi) { /* [lo, hi] */
    *seed = *seed * 1664525u + 1013904223u;
    return lo + (int)((*seed >> 8) % (unsigned)(hi - lo + 1));
}

/* A 4-d layout: logical dims N, C, H, W and element strides. */
typedef struct {
    int dims[4];
    int strides[4];
} layout;

static layout nchw(int n, int c, int h, int w) {
    return (layout){{n, c, h, w}, {c * h * w, h * w, w, 1}};
}
static layout nhwc(int n, int c, int h, int w) {
    return (layout){{n, c, h, w}, {h * w * c, 1, w * c, c}};
}
/* NCHW or NHWC with `gap` unused elements after each innermost run and each image. */
static layout gapped(int n, int c, int h, int w, bool is_nhwc, int gap) {
    layout l = {{n, c, h, w}, {0}};
    if (is_nhwc) {
        l.strides[1] = 1;
        l.strides[3] = c + gap;
        l.strides[2] = w * l.strides[3] + gap;
        l.strides[0] = h * l.strides[2] + gap;
    } else {
        l.strides[3] = 1;
        l.strides[2] = w + gap;
        l.strides[1] = h * l.strides[2] + gap;
        l.strides[0] = c * l.strides[1] + gap;
    }
    return l;
}

static size_t count(const layout *l) {
    return (size_t)l->dims[0] * l->dims[1] * l->dims[2] * l->dims[3];
}
static size_t extent(const layout *l) {
    size_t e = 1;
    for (int i = 0; i < 4; i++) e += (size_t)(l->dims[i] - 1) * l->strides[i];
    return e;
}
static size_t off(const layout *l, int n, int c, int h, int w) {
    return (size_t)n * l->strides[0] + (size_t)c * l->strides[1] + (size_t)h * l->strides[2] +
           (size_t)w * l->strides[3];
}
static size_t lin(const layout *l, int n, int c, int h, int w) {
    return (((size_t)n * l->dims[1] + c) * l->dims[2] + h) * l->dims[3] + w;
}

/* Logical NCHW array -> memory under l (gaps hold `fill`), and back. */
static float *pack(const layout *l, const float *logical, float fill) {
    size_t e = extent(l);
    float *m = malloc(e * sizeof *m);
    for (size_t i = 0; i < e; i++) m[i] = fill;
    for (int n = 0; n < l->dims[0]; n++)
        for (int c = 0; c < l->dims[1]; c++)
            for (int h = 0; h < l->dims[2]; h++)
                for (int w = 0; w < l->dims[3]; w++)
                    m[off(l, n, c, h, w)] = logical[lin(l, n, c, h, w)];
    return m;
}
static void unpack(const layout *l, const float *m, float *logical) {
    for (int n = 0; n < l->dims[0]; n++)
        for (int c = 0; c < l->dims[1]; c++)
            for (int h = 0; h < l->dims[2]; h++)
                for (int w = 0; w < l->dims[3]; w++)
                    logical[lin(l, n, c, h, w)] = m[off(l, n, c, h, w)];
}

static float *dev_alloc(size_t n) {
    void *p = NULL;
    CHECK_CUDA(cudaMalloc(&p, n * sizeof(float)));
    return p;
}
static float *dev_from(const float *host, size_t n) {
    float *d = dev_alloc(n);
    CHECK_CUDA(cudaMemcpy(d, host, n * sizeof(float), cudaMemcpyHostToDevice));
    return d;
}
/* The logical array under l, on the device (gaps hold `fill`). */
static float *dev_packed(const layout *l, const float *logical, float fill) {
    float *m = pack(l, logical, fill);
    float *d = dev_from(m, extent(l));
    free(m);
    return d;
}
static void to_host(float *host, const float *dev, size_t n) {
    CHECK_CUDA(cudaDeviceSynchronize());
    CHECK_CUDA(cudaMemcpy(host, dev, n * sizeof(float), cudaMemcpyDeviceToHost));
}
/* The logical array under l, from the device. */
static void dev_unpack(const layout *l, const float *dev, float *logical) {
    float *m = malloc(extent(l) * sizeof *m);
    to_host(m, dev, extent(l));
    unpack(l, m, logical);
    free(m);
}

static cudnnTensorDescriptor_t tdesc(const layout *l) {
    cudnnTensorDescriptor_t d;
    CHECK_DNN(cudnnCreateTensorDescriptor(&d));
    CHECK_DNN(cudnnSetTensor4dDescriptorEx(d, CUDNN_DATA_FLOAT, l->dims[0], l->dims[1], l->dims[2],
                                           l->dims[3], l->strides[0], l->strides[1], l->strides[2],
                                           l->strides[3]));
    return d;
}
static cudnnTensorDescriptor_t tdesc4(cudnnTensorFormat_t f, int n, int c, int h, int w) {
    cudnnTensorDescriptor_t d;
    CHECK_DNN(cudnnCreateTensorDescriptor(&d));
    CHECK_DNN(cudnnSetTensor4dDescriptor(d, f, CUDNN_DATA_FLOAT, n, c, h, w));
    return d;
}
static cudnnFilterDescriptor_t fdesc(cudnnTensorFormat_t f, int k, int c, int r, int s) {
    cudnnFilterDescriptor_t d;
    CHECK_DNN(cudnnCreateFilterDescriptor(&d));
    CHECK_DNN(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, f, k, c, r, s));
    return d;
}
static cudnnConvolutionDescriptor_t cdesc(int ph, int pw, int u, int v, int dh, int dw, int groups,
                                          cudnnConvolutionMode_t mode) {
    cudnnConvolutionDescriptor_t d;
    CHECK_DNN(cudnnCreateConvolutionDescriptor(&d));
    CHECK_DNN(cudnnSetConvolution2dDescriptor(d, ph, pw, u, v, dh, dw, mode, CUDNN_DATA_FLOAT));
    CHECK_DNN(cudnnSetConvolutionGroupCount(d, groups));
    return d;
}
static cudnnActivationDescriptor_t adesc(cudnnActivationMode_t mode, double coef) {
    cudnnActivationDescriptor_t d;
    CHECK_DNN(cudnnCreateActivationDescriptor(&d));
    CHECK_DNN(cudnnSetActivationDescriptor(d, mode, CUDNN_NOT_PROPAGATE_NAN, coef));
    return d;
}

static void assert_close(const float *got, const double *want, size_t n, double tol) {
    for (size_t i = 0; i < n; i++) {
        double err = fabs((double)got[i] - want[i]);
        if (!(err <= tol * (1.0 + fabs(want[i]))))
            fail_msg("element %zu: got %.9g, want %.9g", i, (double)got[i], want[i]);
    }
}

static const float one = 1.0f, zero = 0.0f;

static cudnnHandle_t handle;

static int setup(void **state) {
    frt_sim_reset_violations();
    return cudnnCreate(&handle) == CUDNN_STATUS_SUCCESS ? 0 : -1;
}
static int teardown(void **state) {
    cudnnStatus_t st = cudnnDestroy(handle);
    frt_sim_reset_violations();
    return st == CUDNN_STATUS_SUCCESS ? 0 : -1;
}

/* ---- the reference convolution, over logical NCHW / KCRS arrays ---- */

typedef struct {
    int n, c, h, w, k, r, s, ph, pw, u, v, dh, dw, groups;
    cudnnConvolutionMode_t mode;
} conv_cfg;

static int conv_oh(const conv_cfg *g) {
    return (g->h + 2 * g->ph - ((g->r - 1) * g->dh + 1)) / g->u + 1;
}
static int conv_ow(const conv_cfg *g) {
    return (g->w + 2 * g->pw - ((g->s - 1) * g->dw + 1)) / g->v + 1;
}

static void conv_ref(const conv_cfg *g, const float *x, const float *w, double *y) {
    int OH = conv_oh(g), OW = conv_ow(g), Cg = g->c / g->groups, Kg = g->k / g->groups;
    for (int n = 0; n < g->n; n++)
        for (int k = 0; k < g->k; k++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double acc = 0;
                    for (int c = 0; c < Cg; c++)
                        for (int r = 0; r < g->r; r++)
                            for (int s = 0; s < g->s; s++) {
                                int ih = oh * g->u - g->ph + r * g->dh,
                                    iw = ow * g->v - g->pw + s * g->dw;
                                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                                int rr = g->mode == CUDNN_CONVOLUTION ? g->r - 1 - r : r;
                                int ss = g->mode == CUDNN_CONVOLUTION ? g->s - 1 - s : s;
                                int ci = k / Kg * Cg + c;
                                acc += (double)x[((n * g->c + ci) * g->h + ih) * g->w + iw] *
                                       w[((k * Cg + c) * g->r + rr) * g->s + ss];
                            }
                    y[((n * g->k + k) * OH + oh) * OW + ow] = acc;
                }
}

/* ---- basics ---- */

static void test_version_errors_stream(void **state) {
    assert_int_equal(cudnnGetVersion(), CUDNN_VERSION);
    assert_int_equal(CUDNN_VERSION, 91900);
    assert_string_equal(cudnnGetErrorString(CUDNN_STATUS_BAD_PARAM), "CUDNN_STATUS_BAD_PARAM");
    assert_string_equal(cudnnGetErrorString(CUDNN_STATUS_NOT_SUPPORTED),
                        "CUDNN_STATUS_NOT_SUPPORTED");
    assert_string_equal(cudnnGetErrorString(CUDNN_STATUS_SUCCESS), "CUDNN_STATUS_SUCCESS");
    cudaStream_t s, got = (cudaStream_t)&got;
    CHECK_DNN(cudnnGetStream(handle, &got));
    assert_null(got);
    CHECK_CUDA(cudaStreamCreate(&s));
    CHECK_DNN(cudnnSetStream(handle, s));
    CHECK_DNN(cudnnGetStream(handle, &got));
    assert_ptr_equal(got, s);
    CHECK_DNN(cudnnSetStream(handle, NULL));
    CHECK_CUDA(cudaStreamDestroy(s));
    /* enum values are cuDNN 9's */
    assert_int_equal(CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED, 7);
    assert_int_equal(CUDNN_ACTIVATION_IDENTITY, 5);
    assert_int_equal(CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, 2);
    assert_int_equal(CUDNN_SOFTMAX_LOG, 2);
    assert_int_equal(CUDNN_BATCHNORM_SPATIAL, 1);
    assert_int_equal(CUDNN_STATUS_EXECUTION_FAILED, 5000);

    cudnnTensorDescriptor_t t = tdesc4(CUDNN_TENSOR_NHWC, 2, 3, 4, 5);
    cudnnDataType_t dt;
    int n, c, h, w, ns, cs, hs, ws, nb, dims[8], strides[8];
    CHECK_DNN(cudnnGetTensor4dDescriptor(t, &dt, &n, &c, &h, &w, &ns, &cs, &hs, &ws));
    assert_int_equal(dt, CUDNN_DATA_FLOAT);
    assert_true(n == 2 && c == 3 && h == 4 && w == 5);
    assert_true(ns == 60 && cs == 1 && hs == 15 && ws == 3);
    CHECK_DNN(cudnnGetTensorNdDescriptor(t, 8, &dt, &nb, dims, strides));
    assert_int_equal(nb, 4);
    assert_int_equal(strides[2], 15);
    size_t bytes;
    CHECK_DNN(cudnnGetTensorSizeInBytes(t, &bytes));
    assert_int_equal(bytes, 120 * sizeof(float));
    CHECK_DNN(cudnnDestroyTensorDescriptor(t));
    NO_VIOLATIONS();
}

/* ---- convolution ---- */

/* Runs a plain convolution with algo (its workspace allocated as the size query says). */
static void run_conv(cudnnTensorDescriptor_t xd, const float *x, cudnnFilterDescriptor_t fd,
                     const float *w, cudnnConvolutionDescriptor_t cd,
                     cudnnConvolutionFwdAlgo_t algo, float alpha, float beta,
                     cudnnTensorDescriptor_t yd, float *y) {
    size_t ws_bytes = 0;
    CHECK_DNN(cudnnGetConvolutionForwardWorkspaceSize(handle, xd, fd, cd, yd, algo, &ws_bytes));
    void *ws = NULL;
    if (ws_bytes) CHECK_CUDA(cudaMalloc(&ws, ws_bytes));
    CHECK_DNN(cudnnConvolutionForward(handle, &alpha, xd, x, fd, w, cd, algo, ws, ws_bytes, &beta,
                                      yd, y));
    CHECK_CUDA(cudaDeviceSynchronize());
    if (ws) CHECK_CUDA(cudaFree(ws));
}

static void test_conv_hand_nchw(void **state) {
    /* x = 1..9 (3x3), filter [[1,0],[0,1]]: y[i][j] = x[i][j] + x[i+1][j+1] */
    float xh[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wh[4] = {1, 0, 0, 1}, yh[4];
    float *x = dev_from(xh, 9), *w = dev_from(wh, 4), *y = dev_alloc(4);
    cudnnTensorDescriptor_t xd = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 3, 3),
                            yd = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 2, 2);
    cudnnFilterDescriptor_t fd = fdesc(CUDNN_TENSOR_NCHW, 1, 1, 2, 2);
    cudnnConvolutionDescriptor_t cd = cdesc(0, 0, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION);
    int n, c, h, ww;
    CHECK_DNN(cudnnGetConvolution2dForwardOutputDim(cd, xd, fd, &n, &c, &h, &ww));
    assert_true(n == 1 && c == 1 && h == 2 && ww == 2);
    run_conv(xd, x, fd, w, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 1, 0, yd, y);
    to_host(yh, y, 4);
    assert_true(yh[0] == 6 && yh[1] == 8 && yh[2] == 12 && yh[3] == 14);
    /* CUDNN_CONVOLUTION flips the filter: [[1,2],[3,4]] acts as [[4,3],[2,1]] */
    float w2[4] = {1, 2, 3, 4};
    CHECK_CUDA(cudaMemcpy(w, w2, sizeof w2, cudaMemcpyHostToDevice));
    CHECK_DNN(
        cudnnSetConvolution2dDescriptor(cd, 0, 0, 1, 1, 1, 1, CUDNN_CONVOLUTION, CUDNN_DATA_FLOAT));
    run_conv(xd, x, fd, w, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, 1, 0, yd, y);
    to_host(yh, y, 4);
    assert_true(yh[0] == 4 * 1 + 3 * 2 + 2 * 4 + 1 * 5);
    assert_true(yh[3] == 4 * 5 + 3 * 6 + 2 * 8 + 1 * 9);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyFilterDescriptor(fd);
    cudnnDestroyConvolutionDescriptor(cd);
    cudaFree(x), cudaFree(w), cudaFree(y);
    NO_VIOLATIONS();
}

static void test_conv_hand_nhwc(void **state) {
    /* 2x2 image, 2 channels interleaved (NHWC): pixel p holds (p+1, 10(p+1)); a 1x1 filter
     * (2, 3) gives 2(p+1) + 30(p+1) = 32(p+1). Read as NCHW it would not. The filter is KRSC. */
    float xh[8] = {1, 10, 2, 20, 3, 30, 4, 40}, wh[2] = {2, 3}, yh[4];
    float *x = dev_from(xh, 8), *w = dev_from(wh, 2), *y = dev_alloc(4);
    cudnnTensorDescriptor_t xd = tdesc4(CUDNN_TENSOR_NHWC, 1, 2, 2, 2),
                            yd = tdesc4(CUDNN_TENSOR_NHWC, 1, 1, 2, 2);
    cudnnFilterDescriptor_t fd = fdesc(CUDNN_TENSOR_NHWC, 1, 2, 1, 1);
    cudnnConvolutionDescriptor_t cd = cdesc(0, 0, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION);
    run_conv(xd, x, fd, w, cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, 1, 0, yd, y);
    to_host(yh, y, 4);
    for (int p = 0; p < 4; p++) assert_true(yh[p] == 32.0f * (p + 1));
    /* a 3x3 KRSC filter with padding 1, 2 channels -> 2 outputs, against the reference */
    conv_cfg g = {1, 2, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION};
    float wl[36], wk[36]; /* logical KCRS, memory KRSC */
    unsigned seed = 7;
    for (int i = 0; i < 36; i++) wl[i] = frand(&seed);
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < 2; c++)
            for (int r = 0; r < 3; r++)
                for (int s = 0; s < 3; s++)
                    wk[((k * 3 + r) * 3 + s) * 2 + c] = wl[((k * 2 + c) * 3 + r) * 3 + s];
    float *w3 = dev_from(wk, 36), *y2 = dev_alloc(8), xl[8], yl[8];
    layout xl_ = nhwc(1, 2, 2, 2), yl_ = nhwc(1, 2, 2, 2);
    unpack(&xl_, xh, xl);
    cudnnFilterDescriptor_t fd3 = fdesc(CUDNN_TENSOR_NHWC, 2, 2, 3, 3);
    cudnnTensorDescriptor_t yd2 = tdesc(&yl_);
    CHECK_DNN(cudnnSetConvolution2dDescriptor(cd, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                                              CUDNN_DATA_FLOAT));
    run_conv(xd, x, fd3, w3, cd, CUDNN_CONVOLUTION_FWD_ALGO_GEMM, 1, 0, yd2, y2);
    double want[8];
    conv_ref(&g, xl, wl, want);
    dev_unpack(&yl_, y2, yl);
    assert_close(yl, want, 8, 1e-6);
    cudnnDestroyTensorDescriptor(xd);
    cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyTensorDescriptor(yd2);
    cudnnDestroyFilterDescriptor(fd);
    cudnnDestroyFilterDescriptor(fd3);
    cudnnDestroyConvolutionDescriptor(cd);
    cudaFree(x), cudaFree(w), cudaFree(y), cudaFree(w3), cudaFree(y2);
    NO_VIOLATIONS();
}

/* Filter memory for logical KCRS under format. */
static float *filter_mem(const conv_cfg *g, const float *wl, cudnnTensorFormat_t f) {
    int Cg = g->c / g->groups;
    size_t nw = (size_t)g->k * Cg * g->r * g->s;
    float *m = malloc(nw * sizeof *m);
    for (int k = 0; k < g->k; k++)
        for (int c = 0; c < Cg; c++)
            for (int r = 0; r < g->r; r++)
                for (int s = 0; s < g->s; s++) {
                    size_t src = (((size_t)k * Cg + c) * g->r + r) * g->s + s;
                    size_t dst =
                        f == CUDNN_TENSOR_NHWC ? (((size_t)k * g->r + r) * g->s + s) * Cg + c : src;
                    m[dst] = wl[src];
                }
    return m;
}

static void test_conv_random(void **state) {
    unsigned seed = 12345;
    int runs = 0;
    for (int iter = 0; iter < 60; iter++) {
        conv_cfg g;
        g.n = irand(&seed, 1, 2);
        g.groups = irand(&seed, 1, 3);
        int cg = irand(&seed, 1, 3), kg = irand(&seed, 1, 3);
        if (iter % 5 == 4) cg = 1, kg = irand(&seed, 1, 2); /* depthwise: groups == C */
        g.c = cg * g.groups, g.k = kg * g.groups;
        g.h = irand(&seed, 1, 8), g.w = irand(&seed, 1, 8);
        g.r = irand(&seed, 1, 3), g.s = irand(&seed, 1, 3);
        g.ph = irand(&seed, 0, 2), g.pw = irand(&seed, 0, 2);
        g.u = irand(&seed, 1, 3), g.v = irand(&seed, 1, 3);
        g.dh = irand(&seed, 1, 2), g.dw = irand(&seed, 1, 2);
        g.mode = irand(&seed, 0, 1) ? CUDNN_CROSS_CORRELATION : CUDNN_CONVOLUTION;
        if ((g.r - 1) * g.dh + 1 > g.h + 2 * g.ph || (g.s - 1) * g.dw + 1 > g.w + 2 * g.pw)
            continue;
        int OH = conv_oh(&g), OW = conv_ow(&g);
        bool x_nhwc = irand(&seed, 0, 1), y_nhwc = irand(&seed, 0, 1);
        cudnnTensorFormat_t ff = irand(&seed, 0, 1) ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
        layout xl = gapped(g.n, g.c, g.h, g.w, x_nhwc, irand(&seed, 0, 2));
        layout yl = gapped(g.n, g.k, OH, OW, y_nhwc, irand(&seed, 0, 2));
        size_t nx = count(&xl), ny = count(&yl), nw = (size_t)g.k * cg * g.r * g.s;
        float *xv = malloc(nx * sizeof *xv), *wv = malloc(nw * sizeof *wv),
              *y0 = malloc(ny * sizeof *y0);
        float *got = malloc(ny * sizeof *got);
        double *want = malloc(ny * sizeof *want);
        for (size_t i = 0; i < nx; i++) xv[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) wv[i] = frand(&seed);
        for (size_t i = 0; i < ny; i++) y0[i] = frand(&seed);
        conv_ref(&g, xv, wv, want);
        float *wm = filter_mem(&g, wv, ff);
        float *x = dev_packed(&xl, xv, NAN), *w = dev_from(wm, nw), *y = dev_alloc(extent(&yl));
        cudnnTensorDescriptor_t xd = tdesc(&xl), yd = tdesc(&yl);
        cudnnFilterDescriptor_t fd = fdesc(ff, g.k, cg, g.r, g.s);
        cudnnConvolutionDescriptor_t cd = cdesc(g.ph, g.pw, g.u, g.v, g.dh, g.dw, g.groups, g.mode);
        int n, c, h, ww;
        CHECK_DNN(cudnnGetConvolution2dForwardOutputDim(cd, xd, fd, &n, &c, &h, &ww));
        assert_true(n == g.n && c == g.k && h == OH && ww == OW);
        cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
        int returned;
        CHECK_DNN(cudnnGetConvolutionForwardAlgorithm_v7(
            handle, xd, fd, cd, yd, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf));
        assert_int_equal(returned, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
        for (int a = 0; a < returned && perf[a].status == CUDNN_STATUS_SUCCESS; a++) {
            /* y = 1.5 conv + 0.5 y0, through every supported algorithm */
            float *ym = pack(&yl, y0, NAN);
            CHECK_CUDA(cudaMemcpy(y, ym, extent(&yl) * sizeof(float), cudaMemcpyHostToDevice));
            free(ym);
            run_conv(xd, x, fd, w, cd, perf[a].algo, 1.5f, 0.5f, yd, y);
            dev_unpack(&yl, y, got);
            double *blended = malloc(ny * sizeof *blended);
            for (size_t i = 0; i < ny; i++) blended[i] = 1.5 * want[i] + 0.5 * y0[i];
            assert_close(got, blended, ny, 1e-5);
            free(blended);
            runs++;
        }
        cudnnDestroyTensorDescriptor(xd);
        cudnnDestroyTensorDescriptor(yd);
        cudnnDestroyFilterDescriptor(fd);
        cudnnDestroyConvolutionDescriptor(cd);
        cudaFree(x), cudaFree(w), cudaFree(y);
        free(xv), free(wv), free(y0), free(got), free(want), free(wm);
    }
    assert_true(runs >= 60);
    NO_VIOLATIONS();
}

/* A small convolution set up for the fused and misuse tests. */
typedef struct {
    conv_cfg g;
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t fd;
    cudnnConvolutionDescriptor_t cd;
    float *x, *w, *y, *bias, *ws;
    size_t ws_bytes; /* for IMPLICIT_PRECOMP_GEMM */
    float xv[2 * 3 * 5 * 5], wv[4 * 3 * 3 * 3], bv[4];
} small_conv;

static void small_conv_init(small_conv *sc) {
    memset(sc, 0, sizeof *sc);
    sc->g = (conv_cfg){2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION};
    unsigned seed = 99;
    for (size_t i = 0; i < sizeof sc->xv / sizeof(float); i++) sc->xv[i] = frand(&seed);
    for (size_t i = 0; i < sizeof sc->wv / sizeof(float); i++) sc->wv[i] = frand(&seed);
    for (int i = 0; i < 4; i++) sc->bv[i] = frand(&seed);
    sc->xd = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 5, 5);
    sc->yd = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 5, 5);
    sc->bd = tdesc4(CUDNN_TENSOR_NCHW, 1, 4, 1, 1);
    sc->fd = fdesc(CUDNN_TENSOR_NCHW, 4, 3, 3, 3);
    sc->cd = cdesc(1, 1, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION);
    sc->x = dev_from(sc->xv, 150);
    sc->w = dev_from(sc->wv, 108);
    sc->bias = dev_from(sc->bv, 4);
    sc->y = dev_alloc(200);
    CHECK_DNN(cudnnGetConvolutionForwardWorkspaceSize(
        handle, sc->xd, sc->fd, sc->cd, sc->yd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
        &sc->ws_bytes));
    assert_true(sc->ws_bytes > 0);
    CHECK_CUDA(cudaMalloc((void **)&sc->ws, sc->ws_bytes));
}

static void small_conv_free(small_conv *sc) {
    cudnnDestroyTensorDescriptor(sc->xd);
    cudnnDestroyTensorDescriptor(sc->yd);
    cudnnDestroyTensorDescriptor(sc->bd);
    cudnnDestroyFilterDescriptor(sc->fd);
    cudnnDestroyConvolutionDescriptor(sc->cd);
    cudaFree(sc->x), cudaFree(sc->w), cudaFree(sc->y), cudaFree(sc->bias), cudaFree(sc->ws);
}

static void test_conv_bias_activation(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    double conv[200], want[200];
    conv_ref(&sc.g, sc.xv, sc.wv, conv);
    float zv[200], got[200];
    unsigned seed = 5;
    for (int i = 0; i < 200; i++) zv[i] = frand(&seed);
    float *z = dev_from(zv, 200);
    cudnnActivationDescriptor_t relu = adesc(CUDNN_ACTIVATION_RELU, 0);
    /* y = relu(2 conv + 0.5 z + bias), z separate */
    float a1 = 2.0f, a2 = 0.5f;
    CHECK_DNN(cudnnConvolutionBiasActivationForward(
        handle, &a1, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
        CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, sc.ws, sc.ws_bytes, &a2, sc.yd, z, sc.bd,
        sc.bias, relu, sc.yd, sc.y));
    to_host(got, sc.y, 200);
    int negatives = 0;
    for (int i = 0; i < 200; i++) {
        double v = 2 * conv[i] + 0.5 * zv[i] + sc.bv[i / 25 % 4];
        negatives += v < 0;
        want[i] = v > 0 ? v : 0;
    }
    assert_true(negatives > 10); /* the relu did something */
    assert_close(got, want, 200, 1e-5);
    /* z is y itself (TensorFlow's way without a side input), IMPLICIT_GEMM, no workspace */
    CHECK_CUDA(cudaMemcpy(sc.y, zv, sizeof zv, cudaMemcpyHostToDevice));
    CHECK_DNN(cudnnConvolutionBiasActivationForward(
        handle, &a1, sc.xd, sc.x, sc.fd, sc.w, sc.cd, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
        NULL, 0, &a2, sc.yd, sc.y, sc.bd, sc.bias, relu, sc.yd, sc.y));
    to_host(got, sc.y, 200);
    assert_close(got, want, 200, 1e-5);
    /* alpha2 = 0: z is not read (NaN there changes nothing) */
    float nanv[200];
    for (int i = 0; i < 200; i++) nanv[i] = NAN;
    CHECK_CUDA(cudaMemcpy(z, nanv, sizeof nanv, cudaMemcpyHostToDevice));
    float a0 = 0.0f;
    CHECK_DNN(cudnnConvolutionBiasActivationForward(
        handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
        CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, sc.ws, sc.ws_bytes, &a0, sc.yd, z, sc.bd,
        sc.bias, relu, sc.yd, sc.y));
    to_host(got, sc.y, 200);
    for (int i = 0; i < 200; i++) {
        double v = conv[i] + sc.bv[i / 25 % 4];
        want[i] = v > 0 ? v : 0;
    }
    assert_close(got, want, 200, 1e-5);
    cudnnDestroyActivationDescriptor(relu);
    cudaFree(z);
    small_conv_free(&sc);
    NO_VIOLATIONS();
}

static void test_conv_identity_restriction(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    cudnnActivationDescriptor_t id = adesc(CUDNN_ACTIVATION_IDENTITY, 0);
    cudnnActivationDescriptor_t sig = adesc(CUDNN_ACTIVATION_SIGMOID, 0);
    float a0 = 0.0f;
    /* IDENTITY with another algorithm: NOT_SUPPORTED, as cuDNN documents */
    EXPECT_VIOLATION(
        cudnnConvolutionBiasActivationForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
                                              CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0,
                                              &a0, sc.yd, sc.y, sc.bd, sc.bias, id, sc.yd, sc.y),
        CUDNN_STATUS_NOT_SUPPORTED);
    /* only RELU and IDENTITY */
    EXPECT_VIOLATION(cudnnConvolutionBiasActivationForward(
                         handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
                         CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, sc.ws, sc.ws_bytes, &a0,
                         sc.yd, sc.y, sc.bd, sc.bias, sig, sc.yd, sc.y),
                     CUDNN_STATUS_NOT_SUPPORTED);
    /* bias must be 1xKx1x1 */
    EXPECT_VIOLATION(cudnnConvolutionBiasActivationForward(
                         handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
                         CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, sc.ws, sc.ws_bytes, &a0,
                         sc.yd, sc.y, sc.yd, sc.bias, id, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    frt_sim_reset_violations();
    /* IDENTITY with IMPLICIT_PRECOMP_GEMM: conv + bias */
    CHECK_DNN(cudnnConvolutionBiasActivationForward(
        handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
        CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, sc.ws, sc.ws_bytes, &a0, sc.yd, sc.y,
        sc.bd, sc.bias, id, sc.yd, sc.y));
    double conv[200], want[200];
    float got[200];
    conv_ref(&sc.g, sc.xv, sc.wv, conv);
    for (int i = 0; i < 200; i++) want[i] = conv[i] + sc.bv[i / 25 % 4];
    to_host(got, sc.y, 200);
    assert_close(got, want, 200, 1e-5);
    cudnnDestroyActivationDescriptor(id);
    cudnnDestroyActivationDescriptor(sig);
    small_conv_free(&sc);
    NO_VIOLATIONS();
}

static void test_conv_algorithms(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    cudnnConvolutionFwdAlgoPerf_t perf[8], found[8];
    int n, nf, max;
    CHECK_DNN(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &max));
    assert_int_equal(max, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    CHECK_DNN(
        cudnnGetConvolutionForwardAlgorithm_v7(handle, sc.xd, sc.fd, sc.cd, sc.yd, 8, &n, perf));
    CHECK_DNN(
        cudnnFindConvolutionForwardAlgorithm(handle, sc.xd, sc.fd, sc.cd, sc.yd, 8, &nf, found));
    assert_int_equal(n, 8);
    assert_int_equal(nf, 8);
    /* 3x3, stride 1, NCHW: everything but DIRECT; the first needs a workspace */
    assert_int_equal(perf[0].status, CUDNN_STATUS_SUCCESS);
    assert_true(perf[0].memory > 0);
    bool saw_implicit = false;
    for (int i = 0; i < n; i++) {
        assert_int_equal(found[i].algo, perf[i].algo); /* Find: the heuristic's order */
        if (perf[i].status != CUDNN_STATUS_SUCCESS) {
            assert_int_equal(perf[i].algo, CUDNN_CONVOLUTION_FWD_ALGO_DIRECT);
            continue;
        }
        assert_true(found[i].time == (float)(i + 1)); /* fake times: the ranks */
        size_t bytes;
        CHECK_DNN(cudnnGetConvolutionForwardWorkspaceSize(handle, sc.xd, sc.fd, sc.cd, sc.yd,
                                                          perf[i].algo, &bytes));
        assert_int_equal(bytes, perf[i].memory);
        if (perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM) {
            saw_implicit = true;
            assert_int_equal(bytes, 0);
        }
        if (perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT) assert_true(bytes > 100000);
    }
    assert_true(saw_implicit);
    /* a partial list */
    CHECK_DNN(
        cudnnGetConvolutionForwardAlgorithm_v7(handle, sc.xd, sc.fd, sc.cd, sc.yd, 2, &n, perf));
    assert_int_equal(n, 2);
    /* stride 2: no FFT or Winograd; the size query says NOT_SUPPORTED without a violation */
    cudnnConvolutionDescriptor_t cd2 = cdesc(1, 1, 2, 2, 1, 1, 1, CUDNN_CROSS_CORRELATION);
    cudnnTensorDescriptor_t yd2 = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 3, 3);
    size_t bytes = 1;
    assert_int_equal(cudnnGetConvolutionForwardWorkspaceSize(
                         handle, sc.xd, sc.fd, cd2, yd2, CUDNN_CONVOLUTION_FWD_ALGO_FFT, &bytes),
                     CUDNN_STATUS_NOT_SUPPORTED);
    assert_int_equal(bytes, 0);
    NO_VIOLATIONS();
    CHECK_DNN(cudnnGetConvolutionForwardAlgorithm_v7(handle, sc.xd, sc.fd, cd2, yd2, 8, &n, perf));
    int supported = 0;
    for (int i = 0; i < n; i++) {
        if (perf[i].status == CUDNN_STATUS_SUCCESS) {
            assert_int_equal(supported, i); /* supported ones first */
            supported++;
            assert_true(perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM ||
                        perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ||
                        perf[i].algo == CUDNN_CONVOLUTION_FWD_ALGO_GEMM);
        }
    }
    assert_int_equal(supported, 3);
    /* running an unsupported algorithm is a violation */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, cd2,
                                             CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD, sc.ws,
                                             sc.ws_bytes, &zero, yd2, sc.y),
                     CUDNN_STATUS_NOT_SUPPORTED);
    /* NHWC: no FFT */
    cudnnTensorDescriptor_t xh = tdesc4(CUDNN_TENSOR_NHWC, 2, 3, 5, 5);
    assert_int_equal(cudnnGetConvolutionForwardWorkspaceSize(handle, xh, sc.fd, sc.cd, sc.yd,
                                                             CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING,
                                                             &bytes),
                     CUDNN_STATUS_NOT_SUPPORTED);
    EXPECT_VIOLATION(
        cudnnGetConvolutionForwardAlgorithm_v7(handle, sc.xd, sc.fd, sc.cd, sc.yd, 0, &n, perf),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetConvolutionForwardWorkspaceSize(handle, sc.xd, sc.fd, sc.cd, sc.yd,
                                                             (cudnnConvolutionFwdAlgo_t)8, &bytes),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnDestroyTensorDescriptor(xh);
    cudnnDestroyTensorDescriptor(yd2);
    cudnnDestroyConvolutionDescriptor(cd2);
    small_conv_free(&sc);
}

static void test_conv_workspace(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    const cudnnConvolutionFwdAlgo_t precomp = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp,
                                             sc.ws, sc.ws_bytes - 4, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* claiming more workspace than was allocated */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp,
                                             sc.ws, sc.ws_bytes + 4, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* the workspace is not the output */
    float *big = NULL;
    CHECK_CUDA(cudaMalloc((void **)&big, sc.ws_bytes + 800));
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp,
                                             big, sc.ws_bytes, &zero, sc.yd,
                                             big + sc.ws_bytes / 4 - 10),
                     CUDNN_STATUS_BAD_PARAM);
    frt_sim_reset_violations();
    /* after a run the workspace holds garbage (all bits set: NaN), never the caller's data */
    float *fill = malloc(sc.ws_bytes);
    for (size_t i = 0; i < sc.ws_bytes / 4; i++) fill[i] = 3.0f;
    CHECK_CUDA(cudaMemcpy(sc.ws, fill, sc.ws_bytes, cudaMemcpyHostToDevice));
    CHECK_DNN(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp, sc.ws,
                                      sc.ws_bytes, &zero, sc.yd, sc.y));
    to_host(fill, sc.ws, sc.ws_bytes / 4);
    for (size_t i = 0; i < sc.ws_bytes / 4; i++) assert_true(isnan(fill[i]));
    free(fill);
    cudaFree(big);
    small_conv_free(&sc);
    NO_VIOLATIONS();
}

static void test_conv_inconsistent(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    const cudnnConvolutionFwdAlgo_t ig = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    int n, c, h, w;
    /* input channels != filter channels x groups */
    cudnnFilterDescriptor_t f2 = fdesc(CUDNN_TENSOR_NCHW, 4, 2, 3, 3);
    EXPECT_VIOLATION(cudnnGetConvolution2dForwardOutputDim(sc.cd, sc.xd, f2, &n, &c, &h, &w),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, f2, sc.w, sc.cd, ig, NULL,
                                             0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* groups: 3 channels = 1 x 3 groups but 4 outputs are not a multiple of 3 */
    cudnnFilterDescriptor_t f3 = fdesc(CUDNN_TENSOR_NCHW, 4, 1, 3, 3);
    cudnnConvolutionDescriptor_t g3 = cdesc(1, 1, 1, 1, 1, 1, 3, CUDNN_CROSS_CORRELATION);
    EXPECT_VIOLATION(cudnnGetConvolution2dForwardOutputDim(g3, sc.xd, f3, &n, &c, &h, &w),
                     CUDNN_STATUS_BAD_PARAM);
    /* output dims other than cudnnGetConvolution2dForwardOutputDim's */
    cudnnTensorDescriptor_t ybad = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 4, 5);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, ybad, sc.y),
                     CUDNN_STATUS_NOT_SUPPORTED);
    cudnnTensorDescriptor_t ybadc = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 5, 5);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, ybadc, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* a filter larger than the padded input */
    cudnnTensorDescriptor_t tiny = tdesc4(CUDNN_TENSOR_NCHW, 1, 3, 1, 1);
    cudnnConvolutionDescriptor_t nopad = cdesc(0, 0, 1, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION);
    EXPECT_VIOLATION(cudnnGetConvolution2dForwardOutputDim(nopad, tiny, sc.fd, &n, &c, &h, &w),
                     CUDNN_STATUS_BAD_PARAM);
    /* in place */
    cudnnTensorDescriptor_t same = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 5, 5);
    cudnnFilterDescriptor_t f33 = fdesc(CUDNN_TENSOR_NCHW, 3, 3, 3, 3);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, f33, sc.w, sc.cd, ig, NULL,
                                             0, &zero, same, sc.x),
                     CUDNN_STATUS_BAD_PARAM);
    /* an output whose strides make elements overlap */
    cudnnTensorDescriptor_t overl;
    CHECK_DNN(cudnnCreateTensorDescriptor(&overl));
    CHECK_DNN(cudnnSetTensor4dDescriptorEx(overl, CUDNN_DATA_FLOAT, 2, 4, 5, 5, 100, 25, 5, 2));
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, overl, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* 5-d tensors (3d convolution) are not simulated */
    cudnnTensorDescriptor_t x5;
    CHECK_DNN(cudnnCreateTensorDescriptor(&x5));
    CHECK_DNN(cudnnSetTensorNdDescriptor(x5, CUDNN_DATA_FLOAT, 5, (const int[]){1, 3, 4, 4, 4},
                                         (const int[]){192, 64, 16, 4, 1}));
    EXPECT_VIOLATION(cudnnGetConvolution2dForwardOutputDim(sc.cd, x5, sc.fd, &n, &c, &h, &w),
                     CUDNN_STATUS_NOT_SUPPORTED);
    cudnnDestroyTensorDescriptor(x5);
    cudnnDestroyTensorDescriptor(overl);
    cudnnDestroyTensorDescriptor(same);
    cudnnDestroyTensorDescriptor(tiny);
    cudnnDestroyTensorDescriptor(ybad);
    cudnnDestroyTensorDescriptor(ybadc);
    cudnnDestroyFilterDescriptor(f2);
    cudnnDestroyFilterDescriptor(f3);
    cudnnDestroyFilterDescriptor(f33);
    cudnnDestroyConvolutionDescriptor(g3);
    cudnnDestroyConvolutionDescriptor(nopad);
    small_conv_free(&sc);
}

/* ---- misuse: descriptors, handles, pointers, streams ---- */

static void test_misuse(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    const cudnnConvolutionFwdAlgo_t ig = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    /* a descriptor created but never set */
    cudnnTensorDescriptor_t unset;
    CHECK_DNN(cudnnCreateTensorDescriptor(&unset));
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, unset, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnConvolutionDescriptor_t cunset;
    CHECK_DNN(cudnnCreateConvolutionDescriptor(&cunset));
    CHECK_DNN(cudnnSetConvolutionGroupCount(cunset, 1)); /* groups alone do not make it set */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, cunset, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* destroyed descriptors, twice destroyed, made up, NULL, of another kind */
    cudnnTensorDescriptor_t gone = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 5, 5);
    CHECK_DNN(cudnnDestroyTensorDescriptor(gone));
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, gone, sc.x, sc.fd, sc.w, sc.cd, ig, NULL,
                                             0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnDestroyTensorDescriptor(gone), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetTensor4dDescriptor(gone, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 1, 1, 1),
        CUDNN_STATUS_BAD_PARAM);
    int fake;
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, (cudnnTensorDescriptor_t)&fake, sc.x,
                                             sc.fd, sc.w, sc.cd, ig, NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, NULL, sc.x, sc.fd, sc.w, sc.cd, ig, NULL,
                                             0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, (cudnnTensorDescriptor_t)sc.fd, sc.x,
                                             sc.fd, sc.w, sc.cd, ig, NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnActivationDescriptor_t agone = adesc(CUDNN_ACTIVATION_RELU, 0);
    CHECK_DNN(cudnnDestroyActivationDescriptor(agone));
    EXPECT_VIOLATION(cudnnActivationForward(handle, agone, &one, sc.xd, sc.x, &zero, sc.xd, sc.x),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnPoolingDescriptor_t pgone;
    CHECK_DNN(cudnnCreatePoolingDescriptor(&pgone));
    EXPECT_VIOLATION(cudnnPoolingForward(handle, pgone, &one, sc.xd, sc.x, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    CHECK_DNN(cudnnDestroyPoolingDescriptor(pgone));
    /* a destroyed handle */
    cudnnHandle_t h2;
    CHECK_DNN(cudnnCreate(&h2));
    CHECK_DNN(cudnnDestroy(h2));
    EXPECT_VIOLATION(cudnnConvolutionForward(h2, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig, NULL, 0,
                                             &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetStream(h2, NULL), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnDestroy(h2), CUDNN_STATUS_BAD_PARAM);
    /* pointers: NULL, host memory, too short for the descriptor, freed, misaligned */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, NULL, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.xv, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    float *short_y = dev_alloc(199);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, short_y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y + 1),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, (char *)sc.y + 2),
                     CUDNN_STATUS_BAD_PARAM);
    CHECK_CUDA(cudaFree(short_y));
    EXPECT_VIOLATION(cudnnAddTensor(handle, &one, sc.bd, sc.bias, &one, sc.yd, short_y),
                     CUDNN_STATUS_BAD_PARAM);
    /* alpha and beta: host floats, not NULL nor device memory */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, NULL, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, sc.bias, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* streams: a destroyed one cannot be set, and one destroyed after being set fails the launch */
    cudaStream_t s;
    CHECK_CUDA(cudaStreamCreate(&s));
    CHECK_CUDA(cudaStreamDestroy(s));
    EXPECT_VIOLATION(cudnnSetStream(handle, s), CUDNN_STATUS_BAD_PARAM);
    CHECK_CUDA(cudaStreamCreate(&s));
    CHECK_DNN(cudnnSetStream(handle, s));
    CHECK_CUDA(cudaStreamDestroy(s));
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_EXECUTION_FAILED);
    frt_sim_reset_violations();
    CHECK_DNN(cudnnSetStream(handle, NULL));
    /* and after all that, the valid call still works */
    CHECK_DNN(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig, NULL, 0,
                                      &zero, sc.yd, sc.y));
    CHECK_CUDA(cudaDeviceSynchronize());
    NO_VIOLATIONS();
    cudnnDestroyTensorDescriptor(unset);
    cudnnDestroyConvolutionDescriptor(cunset);
    small_conv_free(&sc);
}

static void test_bad_params(void **state) {
    cudnnTensorDescriptor_t t;
    CHECK_DNN(cudnnCreateTensorDescriptor(&t));
    EXPECT_VIOLATION(
        cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, -2, 3, 3),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 1, 0, 3, 3),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetTensor4dDescriptor(t, (cudnnTensorFormat_t)7, CUDNN_DATA_FLOAT, 1, 1, 3, 3),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, (cudnnDataType_t)99, 1, 1, 3, 3),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_HALF, 1, 1, 3, 3),
                     CUDNN_STATUS_NOT_SUPPORTED);
    EXPECT_VIOLATION(cudnnSetTensor4dDescriptorEx(t, CUDNN_DATA_FLOAT, 1, 1, 3, 3, 9, 9, -3, 1),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetTensor4dDescriptor(t, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, 65536, 65536, 1, 1),
        CUDNN_STATUS_NOT_SUPPORTED);
    EXPECT_VIOLATION(cudnnSetTensorNdDescriptor(t, CUDNN_DATA_FLOAT, 3, (const int[]){1, 2, 3},
                                                (const int[]){6, 3, 1}),
                     CUDNN_STATUS_NOT_SUPPORTED);
    EXPECT_VIOLATION(cudnnSetTensorNdDescriptor(t, CUDNN_DATA_FLOAT, 4, NULL, NULL),
                     CUDNN_STATUS_BAD_PARAM);
    /* a failed Set leaves the descriptor unset */
    size_t bytes;
    EXPECT_VIOLATION(cudnnGetTensorSizeInBytes(t, &bytes), CUDNN_STATUS_BAD_PARAM);
    cudnnFilterDescriptor_t f;
    CHECK_DNN(cudnnCreateFilterDescriptor(&f));
    EXPECT_VIOLATION(cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, 1, 1, 0, 3),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetFilter4dDescriptor(f, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW_VECT_C, 1, 1, 3, 3),
        CUDNN_STATUS_BAD_PARAM);
    cudnnConvolutionDescriptor_t c;
    CHECK_DNN(cudnnCreateConvolutionDescriptor(&c));
    EXPECT_VIOLATION(cudnnSetConvolution2dDescriptor(c, -1, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolution2dDescriptor(c, 0, 0, 0, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolution2dDescriptor(c, 0, 0, 1, 1, 1, 0, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolution2dDescriptor(c, 0, 0, 1, 1, 1, 1, (cudnnConvolutionMode_t)2,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolutionGroupCount(c, 0), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolutionMathType(c, (cudnnMathType_t)4), CUDNN_STATUS_BAD_PARAM);
    CHECK_DNN(cudnnSetConvolutionMathType(c, CUDNN_TENSOR_OP_MATH));
    EXPECT_VIOLATION(cudnnSetConvolutionNdDescriptor(c, 3, (const int[]){0, 0, 0},
                                                     (const int[]){1, 1, 1}, (const int[]){1, 1, 1},
                                                     CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_NOT_SUPPORTED);
    CHECK_DNN(cudnnSetConvolutionNdDescriptor(c, 2, (const int[]){1, 2}, (const int[]){1, 1},
                                              (const int[]){1, 1}, CUDNN_CROSS_CORRELATION,
                                              CUDNN_DATA_FLOAT));
    cudnnPoolingDescriptor_t p;
    CHECK_DNN(cudnnCreatePoolingDescriptor(&p));
    EXPECT_VIOLATION(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 0,
                                                 2, 0, 0, 1, 1),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2,
                                                 2, -1, 0, 1, 1),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetPooling2dDescriptor(p, (cudnnPoolingMode_t)4, CUDNN_NOT_PROPAGATE_NAN,
                                                 2, 2, 0, 0, 1, 1),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnActivationDescriptor_t a;
    CHECK_DNN(cudnnCreateActivationDescriptor(&a));
    EXPECT_VIOLATION(
        cudnnSetActivationDescriptor(a, (cudnnActivationMode_t)7, CUDNN_NOT_PROPAGATE_NAN, 0),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnSetActivationDescriptor(a, CUDNN_ACTIVATION_RELU, (cudnnNanPropagation_t)2, 0),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnCreate(NULL), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnCreateTensorDescriptor(NULL), CUDNN_STATUS_BAD_PARAM);
    /* destroying NULL does nothing */
    CHECK_DNN(cudnnDestroyTensorDescriptor(NULL));
    cudnnDestroyTensorDescriptor(t);
    cudnnDestroyFilterDescriptor(f);
    cudnnDestroyConvolutionDescriptor(c);
    cudnnDestroyPoolingDescriptor(p);
    cudnnDestroyActivationDescriptor(a);
}

/* ---- pooling ---- */

static void test_pooling(void **state) {
    /* 1x1x3x3 = 1..9, window 2x2, padding 1, stride 2 -> 2x2 windows:
     * (-1..0, -1..0) = {1}, (-1..0, 1..2) = {2, 3}, (1..2, -1..0) = {4, 7},
     * (1..2, 1..2) = {5, 6, 8, 9} */
    float xh[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, got[4];
    float *x = dev_from(xh, 9), *y = dev_alloc(4);
    cudnnTensorDescriptor_t xd = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 3, 3),
                            yd = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 2, 2);
    cudnnPoolingDescriptor_t p;
    CHECK_DNN(cudnnCreatePoolingDescriptor(&p));
    int n, c, h, w;
    const struct {
        cudnnPoolingMode_t mode;
        float want[4];
    } cases[] = {
        {CUDNN_POOLING_MAX, {1, 3, 7, 9}},
        {CUDNN_POOLING_MAX_DETERMINISTIC, {1, 3, 7, 9}},
        {CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, {1 / 4.0f, 5 / 4.0f, 11 / 4.0f, 28 / 4.0f}},
        {CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING, {1, 5 / 2.0f, 11 / 2.0f, 28 / 4.0f}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK_DNN(cudnnSetPooling2dDescriptor(p, cases[i].mode, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 1, 1,
                                              2, 2));
        CHECK_DNN(cudnnGetPooling2dForwardOutputDim(p, xd, &n, &c, &h, &w));
        assert_true(n == 1 && c == 1 && h == 2 && w == 2);
        CHECK_DNN(cudnnPoolingForward(handle, p, &one, xd, x, &zero, yd, y));
        to_host(got, y, 4);
        for (int j = 0; j < 4; j++) assert_float_equal(got[j], cases[i].want[j], 1e-6);
    }
    /* beta blending: y = 2 max + 1 y, y holding the last average */
    float two = 2.0f;
    CHECK_DNN(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 1, 1,
                                          2, 2));
    CHECK_DNN(cudnnPoolingForward(handle, p, &two, xd, x, &one, yd, y));
    to_host(got, y, 4);
    assert_float_equal(got[3], 2 * 9 + 28 / 4.0f, 1e-6);
    assert_float_equal(got[0], 2 * 1 + 1, 1e-6);
    /* NaN: skipped without propagation, kept with it */
    xh[4] = NAN;
    CHECK_CUDA(cudaMemcpy(x, xh, sizeof xh, cudaMemcpyHostToDevice));
    CHECK_DNN(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 2, 2, 1, 1,
                                          2, 2));
    CHECK_DNN(cudnnPoolingForward(handle, p, &one, xd, x, &zero, yd, y));
    to_host(got, y, 4);
    assert_float_equal(got[3], 9, 0);
    CHECK_DNN(
        cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_PROPAGATE_NAN, 2, 2, 1, 1, 2, 2));
    CHECK_DNN(cudnnPoolingForward(handle, p, &one, xd, x, &zero, yd, y));
    to_host(got, y, 4);
    assert_true(isnan(got[3]) && got[0] == 1);
    NO_VIOLATIONS();
    /* misuse: wrong output dims, NHWC with C > 1 (w stride != 1), padding as large as the window */
    cudnnTensorDescriptor_t ybad = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 3, 3);
    EXPECT_VIOLATION(cudnnPoolingForward(handle, p, &one, xd, x, &zero, ybad, y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnTensorDescriptor_t xn = tdesc4(CUDNN_TENSOR_NHWC, 1, 2, 3, 3),
                            yn = tdesc4(CUDNN_TENSOR_NHWC, 1, 2, 2, 2);
    float *x2 = dev_alloc(18), *y2 = dev_alloc(8);
    EXPECT_VIOLATION(cudnnPoolingForward(handle, p, &one, xn, x2, &zero, yn, y2),
                     CUDNN_STATUS_NOT_SUPPORTED);
    CHECK_DNN(
        cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_PROPAGATE_NAN, 2, 2, 2, 2, 3, 3));
    cudnnTensorDescriptor_t y3 = tdesc4(CUDNN_TENSOR_NCHW, 1, 1, 2, 2);
    EXPECT_VIOLATION(cudnnPoolingForward(handle, p, &one, xd, x, &zero, y3, y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnDestroyTensorDescriptor(xd), cudnnDestroyTensorDescriptor(yd),
        cudnnDestroyTensorDescriptor(ybad);
    cudnnDestroyTensorDescriptor(xn), cudnnDestroyTensorDescriptor(yn),
        cudnnDestroyTensorDescriptor(y3);
    cudnnDestroyPoolingDescriptor(p);
    cudaFree(x), cudaFree(y), cudaFree(x2), cudaFree(y2);
}

static void test_pooling_strided(void **state) {
    /* 2x3x5x4 max and average over a gapped NCHW layout, against a reference */
    layout xl = gapped(2, 3, 5, 4, false, 1), yl = gapped(2, 3, 3, 2, false, 2);
    float xv[120], got[36];
    unsigned seed = 3;
    for (int i = 0; i < 120; i++) xv[i] = frand(&seed);
    float *x = dev_packed(&xl, xv, NAN), *y = dev_alloc(extent(&yl));
    cudnnTensorDescriptor_t xd = tdesc(&xl), yd = tdesc(&yl);
    cudnnPoolingDescriptor_t p;
    CHECK_DNN(cudnnCreatePoolingDescriptor(&p));
    for (int mode = 0; mode < 3; mode++) {
        /* window 3x2, padding 1x0, stride 2x2: out 3x2 */
        CHECK_DNN(cudnnSetPooling2dDescriptor(p, (cudnnPoolingMode_t)mode, CUDNN_NOT_PROPAGATE_NAN,
                                              3, 2, 1, 0, 2, 2));
        CHECK_DNN(cudnnPoolingForward(handle, p, &one, xd, x, &zero, yd, y));
        double want[36];
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int oh = 0; oh < 3; oh++)
                    for (int ow = 0; ow < 2; ow++) {
                        double mx = -INFINITY, sum = 0;
                        int cnt = 0;
                        for (int r = 0; r < 3; r++)
                            for (int s = 0; s < 2; s++) {
                                int ih = oh * 2 - 1 + r, iw = ow * 2 + s;
                                if (ih < 0 || ih >= 5 || iw < 0 || iw >= 4) continue;
                                double v = xv[((n * 3 + c) * 5 + ih) * 4 + iw];
                                mx = v > mx ? v : mx, sum += v, cnt++;
                            }
                        want[((n * 3 + c) * 3 + oh) * 2 + ow] = mode == 0   ? mx
                                                                : mode == 1 ? sum / 6
                                                                            : sum / cnt;
                    }
        dev_unpack(&yl, y, got);
        assert_close(got, want, 36, 1e-6);
    }
    cudnnDestroyTensorDescriptor(xd), cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyPoolingDescriptor(p);
    cudaFree(x), cudaFree(y);
    NO_VIOLATIONS();
}

/* ---- softmax ---- */

static void test_softmax(void **state) {
    int N = 2, C = 4, H = 2, W = 3;
    size_t total = (size_t)N * C * H * W;
    float xv[48], got[48];
    unsigned seed = 11;
    for (size_t i = 0; i < total; i++) xv[i] = 3 * frand(&seed);
    for (int nhwc_layout = 0; nhwc_layout < 2; nhwc_layout++) {
        layout l = nhwc_layout ? nhwc(N, C, H, W) : nchw(N, C, H, W);
        float *x = dev_packed(&l, xv, 0), *y = dev_alloc(total);
        cudnnTensorDescriptor_t d = tdesc(&l);
        for (int algo = 0; algo < 3; algo++)
            for (int mode = 0; mode < 2; mode++) {
                CHECK_DNN(cudnnSoftmaxForward(handle, (cudnnSoftmaxAlgorithm_t)algo,
                                              (cudnnSoftmaxMode_t)mode, &one, d, x, &zero, d, y));
                double want[48];
                for (int n = 0; n < N; n++)
                    for (int c = 0; c < C; c++)
                        for (int h = 0; h < H; h++)
                            for (int w = 0; w < W; w++) {
                                double mx = -INFINITY, sum = 0;
                                /* the group: every (c, h, w) of image n, or every c at (n, h, w) */
                                for (int c2 = 0; c2 < C; c2++)
                                    for (int h2 = 0; h2 < H; h2++)
                                        for (int w2 = 0; w2 < W; w2++) {
                                            if (mode == CUDNN_SOFTMAX_MODE_CHANNEL &&
                                                (h2 != h || w2 != w))
                                                continue;
                                            double v = xv[lin(&l, n, c2, h2, w2)];
                                            mx = v > mx ? v : mx;
                                        }
                                for (int c2 = 0; c2 < C; c2++)
                                    for (int h2 = 0; h2 < H; h2++)
                                        for (int w2 = 0; w2 < W; w2++) {
                                            if (mode == CUDNN_SOFTMAX_MODE_CHANNEL &&
                                                (h2 != h || w2 != w))
                                                continue;
                                            sum += exp(xv[lin(&l, n, c2, h2, w2)] - mx);
                                        }
                                double v = xv[lin(&l, n, c, h, w)];
                                want[lin(&l, n, c, h, w)] = algo == CUDNN_SOFTMAX_LOG
                                                                ? v - mx - log(sum)
                                                                : exp(v - mx) / sum;
                            }
                dev_unpack(&l, y, got);
                assert_close(got, want, total, 1e-5);
            }
        /* in place */
        CHECK_DNN(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL,
                                      &one, d, x, &zero, d, x));
        dev_unpack(&l, x, got);
        double sum = 0;
        for (int c = 0; c < C; c++) sum += got[lin(&l, 1, c, 1, 2)];
        assert_float_equal(sum, 1.0, 1e-5);
        cudnnDestroyTensorDescriptor(d);
        cudaFree(x), cudaFree(y);
    }
    NO_VIOLATIONS();
    cudnnTensorDescriptor_t a = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 2, 3),
                            b = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 3, 2);
    float *x = dev_alloc(48), *y = dev_alloc(48);
    EXPECT_VIOLATION(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL,
                                         &one, a, x, &zero, b, y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSoftmaxForward(handle, (cudnnSoftmaxAlgorithm_t)3,
                                         CUDNN_SOFTMAX_MODE_CHANNEL, &one, a, x, &zero, a, y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_LOG, (cudnnSoftmaxMode_t)2, &one, a,
                                         x, &zero, a, y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_CHANNEL,
                                         &one, a, x, &zero, a, x + 1),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnDestroyTensorDescriptor(a), cudnnDestroyTensorDescriptor(b);
    cudaFree(x), cudaFree(y);
}

/* ---- activations ---- */

static void test_activations(void **state) {
    float xv[24], got[24];
    unsigned seed = 17;
    for (int i = 0; i < 24; i++) xv[i] = 8 * frand(&seed);
    xv[0] = 7.0f, xv[1] = -0.5f, xv[2] = 0.0f;
    layout xl = nhwc(2, 3, 2, 2), yl = gapped(2, 3, 2, 2, false, 1);
    float *x = dev_packed(&xl, xv, 0), *y = dev_alloc(extent(&yl));
    cudnnTensorDescriptor_t xd = tdesc(&xl), yd = tdesc(&yl);
    const struct {
        cudnnActivationMode_t mode;
        double coef;
    } cases[] = {{CUDNN_ACTIVATION_RELU, 0},    {CUDNN_ACTIVATION_CLIPPED_RELU, 6},
                 {CUDNN_ACTIVATION_SIGMOID, 0}, {CUDNN_ACTIVATION_TANH, 0},
                 {CUDNN_ACTIVATION_ELU, 1.5},   {CUDNN_ACTIVATION_SWISH, 0}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cudnnActivationDescriptor_t a = adesc(cases[k].mode, cases[k].coef);
        CHECK_DNN(cudnnActivationForward(handle, a, &one, xd, x, &zero, yd, y));
        double want[24];
        for (int i = 0; i < 24; i++) {
            double v = xv[i], c = cases[k].coef;
            switch (cases[k].mode) {
            case CUDNN_ACTIVATION_RELU: want[i] = v > 0 ? v : 0; break;
            case CUDNN_ACTIVATION_CLIPPED_RELU: want[i] = v < 0 ? 0 : v > c ? c : v; break;
            case CUDNN_ACTIVATION_SIGMOID: want[i] = 1 / (1 + exp(-v)); break;
            case CUDNN_ACTIVATION_TANH: want[i] = tanh(v); break;
            case CUDNN_ACTIVATION_ELU: want[i] = v > 0 ? v : c * (exp(v) - 1); break;
            default: want[i] = v / (1 + exp(-v)); break;
            }
        }
        dev_unpack(&yl, y, got);
        assert_close(got, want, 24, 1e-6);
        if (cases[k].mode == CUDNN_ACTIVATION_CLIPPED_RELU) assert_true(got[0] == 6.0f); /* Relu6 */
        cudnnDestroyActivationDescriptor(a);
    }
    /* RELU in place, with beta: y = relu(x) + 2 x */
    cudnnActivationDescriptor_t relu = adesc(CUDNN_ACTIVATION_RELU, 0);
    float two = 2.0f;
    CHECK_DNN(cudnnActivationForward(handle, relu, &one, xd, x, &two, xd, x));
    dev_unpack(&xl, x, got);
    for (int i = 0; i < 24; i++)
        assert_float_equal(got[i], (xv[i] > 0 ? xv[i] : 0) + 2 * xv[i], 1e-5);
    NO_VIOLATIONS();
    /* NaN: RELU without propagation gives 0 */
    float nanv = NAN;
    CHECK_CUDA(cudaMemcpy(x, &nanv, sizeof nanv, cudaMemcpyHostToDevice));
    CHECK_DNN(cudnnActivationForward(handle, relu, &one, xd, x, &zero, yd, y));
    dev_unpack(&yl, y, got);
    assert_true(got[lin(&xl, 0, 0, 0, 0)] == 0.0f);
    /* IDENTITY is only for the fused convolution; in place needs equal strides */
    cudnnActivationDescriptor_t id = adesc(CUDNN_ACTIVATION_IDENTITY, 0);
    EXPECT_VIOLATION(cudnnActivationForward(handle, id, &one, xd, x, &zero, yd, y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnTensorDescriptor_t xnchw = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 2, 2);
    EXPECT_VIOLATION(cudnnActivationForward(handle, relu, &one, xd, x, &zero, xnchw, x),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnTensorDescriptor_t other = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 2, 3);
    EXPECT_VIOLATION(cudnnActivationForward(handle, relu, &one, xd, x, &zero, other, y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnDestroyActivationDescriptor(relu), cudnnDestroyActivationDescriptor(id);
    cudnnDestroyTensorDescriptor(xd), cudnnDestroyTensorDescriptor(yd);
    cudnnDestroyTensorDescriptor(xnchw), cudnnDestroyTensorDescriptor(other);
    cudaFree(x), cudaFree(y);
}

/* ---- batch norm ---- */

static void test_batch_norm(void **state) {
    int N = 2, C = 3, H = 2, W = 2;
    float xv[24], got[24], scale[3] = {1.5f, -0.5f, 2.0f}, bias[3] = {0.1f, 0.2f, -0.3f};
    float mean[3] = {0.2f, -0.1f, 0.0f}, var[3] = {0.5f, 2.0f, 0.01f};
    unsigned seed = 23;
    for (int i = 0; i < 24; i++) xv[i] = frand(&seed);
    layout xl = nhwc(N, C, H, W);
    float *x = dev_packed(&xl, xv, 0), *y = dev_alloc(24);
    float *ds = dev_from(scale, 3), *db = dev_from(bias, 3), *dm = dev_from(mean, 3),
          *dv = dev_from(var, 3);
    cudnnTensorDescriptor_t xd = tdesc(&xl), pd;
    CHECK_DNN(cudnnCreateTensorDescriptor(&pd));
    CHECK_DNN(cudnnDeriveBNTensorDescriptor(pd, xd, CUDNN_BATCHNORM_SPATIAL));
    cudnnDataType_t dt;
    int n, c, h, w, ns, cs, hs, ws;
    CHECK_DNN(cudnnGetTensor4dDescriptor(pd, &dt, &n, &c, &h, &w, &ns, &cs, &hs, &ws));
    assert_true(n == 1 && c == 3 && h == 1 && w == 1);
    double eps = 1e-3;
    CHECK_DNN(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, &one, &zero,
                                                      xd, x, xd, y, pd, ds, db, dm, dv, eps));
    double want[24];
    for (int nn = 0; nn < N; nn++)
        for (int cc = 0; cc < C; cc++)
            for (int i = 0; i < H * W; i++) {
                size_t k = lin(&xl, nn, cc, i / W, i % W);
                want[k] = scale[cc] * (xv[k] - mean[cc]) / sqrt(var[cc] + eps) + bias[cc];
            }
    dev_unpack(&xl, y, got);
    assert_close(got, want, 24, 1e-5);
    NO_VIOLATIONS();
    cudnnTensorDescriptor_t bad = tdesc4(CUDNN_TENSOR_NCHW, 1, 3, 2, 2);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, &one,
                                                             &zero, xd, x, xd, y, bad, ds, db, dm,
                                                             dv, eps),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, &one,
                                                             &zero, xd, x, xd, y, pd, ds, db, dm,
                                                             dv, -1.0),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_SPATIAL, &one,
                                                             &zero, xd, x, xd, y, pd, ds, db, NULL,
                                                             dv, eps),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, (cudnnBatchNormMode_t)3, &one,
                                                             &zero, xd, x, xd, y, pd, ds, db, dm,
                                                             dv, eps),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnDestroyTensorDescriptor(xd), cudnnDestroyTensorDescriptor(pd),
        cudnnDestroyTensorDescriptor(bad);
    cudaFree(x), cudaFree(y), cudaFree(ds), cudaFree(db), cudaFree(dm), cudaFree(dv);
}

/* ---- add ---- */

static void test_add_tensor(void **state) {
    float yv[24], bv[3] = {1, 10, 100}, got[24];
    unsigned seed = 29;
    for (int i = 0; i < 24; i++) yv[i] = frand(&seed);
    for (int nhwc_layout = 0; nhwc_layout < 2; nhwc_layout++) {
        layout yl = nhwc_layout ? nhwc(2, 3, 2, 2) : nchw(2, 3, 2, 2);
        float *y = dev_packed(&yl, yv, 0), *b = dev_from(bv, 3);
        cudnnTensorDescriptor_t yd = tdesc(&yl), bd = tdesc4(CUDNN_TENSOR_NCHW, 1, 3, 1, 1);
        float half = 0.5f;
        /* C = 0.5 bias + 1 C, the bias broadcast over N, H, W */
        CHECK_DNN(cudnnAddTensor(handle, &half, bd, b, &one, yd, y));
        dev_unpack(&yl, y, got);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 4; i++) {
                    size_t k = lin(&yl, n, c, i / 2, i % 2);
                    assert_float_equal(got[k], yv[k] + 0.5f * bv[c], 1e-5);
                }
        /* beta = 0: C = A, even where C held NaN */
        float nanv[24];
        for (int i = 0; i < 24; i++) nanv[i] = NAN;
        CHECK_CUDA(cudaMemcpy(y, nanv, sizeof nanv, cudaMemcpyHostToDevice));
        CHECK_DNN(cudnnAddTensor(handle, &one, bd, b, &zero, yd, y));
        dev_unpack(&yl, y, got);
        for (int n = 0; n < 2; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 4; i++)
                    assert_float_equal(got[lin(&yl, n, c, i / 2, i % 2)], bv[c], 0);
        cudnnDestroyTensorDescriptor(yd), cudnnDestroyTensorDescriptor(bd);
        cudaFree(y), cudaFree(b);
    }
    NO_VIOLATIONS();
    cudnnTensorDescriptor_t yd = tdesc4(CUDNN_TENSOR_NCHW, 2, 3, 2, 2),
                            bd = tdesc4(CUDNN_TENSOR_NCHW, 1, 2, 1, 1);
    float *y = dev_alloc(24), *b = dev_alloc(3);
    EXPECT_VIOLATION(cudnnAddTensor(handle, &one, bd, b, &one, yd, y), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnAddTensor(handle, &one, yd, y, &one, yd, y),
                     CUDNN_STATUS_BAD_PARAM); /* C overlaps A */
    cudnnDestroyTensorDescriptor(yd), cudnnDestroyTensorDescriptor(bd);
    cudaFree(y), cudaFree(b);
}

/* ---- stream semantics ---- */

static atomic_int release;

static void wait_for_release(void *arg) {
    while (!atomic_load(&release)) nanosleep(&(struct timespec){0, 100000}, NULL);
}

static void test_reads_at_execution(void **state) {
    /* The stream is held by a host function while the activation is queued behind it; x is
     * rewritten (through the NULL stream) before the stream is let go: the activation must
     * see the new x, so it reads when it runs, not when it is called. */
    cudaStream_t s;
    CHECK_CUDA(cudaStreamCreate(&s));
    CHECK_DNN(cudnnSetStream(handle, s));
    float before[4] = {-1, -2, -3, -4}, after[4] = {1, -2, 3, -4}, got[4];
    float *x = dev_from(before, 4), *y = dev_alloc(4);
    CHECK_CUDA(cudaDeviceSynchronize());
    cudnnTensorDescriptor_t d = tdesc4(CUDNN_TENSOR_NCHW, 1, 4, 1, 1);
    cudnnActivationDescriptor_t relu = adesc(CUDNN_ACTIVATION_RELU, 0);
    atomic_store(&release, 0);
    CHECK_CUDA(cudaLaunchHostFunc(s, wait_for_release, NULL));
    float two = 2.0f; /* alpha is read at the call: changing it afterwards changes nothing */
    CHECK_DNN(cudnnActivationForward(handle, relu, &two, d, x, &zero, d, y));
    two = 100.0f;
    CHECK_CUDA(cudaMemcpy(x, after, sizeof after, cudaMemcpyHostToDevice));
    CHECK_CUDA(cudaStreamSynchronize(NULL));
    atomic_store(&release, 1);
    CHECK_CUDA(cudaStreamSynchronize(s));
    to_host(got, y, 4);
    assert_true(got[0] == 2 && got[1] == 0 && got[2] == 6 && got[3] == 0);
    CHECK_DNN(cudnnSetStream(handle, NULL));
    CHECK_CUDA(cudaStreamDestroy(s));
    cudnnDestroyTensorDescriptor(d);
    cudnnDestroyActivationDescriptor(relu);
    cudaFree(x), cudaFree(y);
    NO_VIOLATIONS();
}

static void test_beta_zero_ignores_output(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    float nanv[200], got[200];
    for (int i = 0; i < 200; i++) nanv[i] = NAN;
    CHECK_CUDA(cudaMemcpy(sc.y, nanv, sizeof nanv, cudaMemcpyHostToDevice));
    CHECK_DNN(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
                                      CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, NULL, 0, &zero,
                                      sc.yd, sc.y));
    to_host(got, sc.y, 200);
    for (int i = 0; i < 200; i++) assert_false(isnan(got[i]));
    small_conv_free(&sc);
    NO_VIOLATIONS();
}

/* The remaining checks, one call each. */
static void test_more_violations(void **state) {
    small_conv sc;
    small_conv_init(&sc);
    const cudnnConvolutionFwdAlgo_t ig = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    const cudnnConvolutionFwdAlgo_t precomp = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
    cudnnTensorDescriptor_t t5;
    CHECK_DNN(cudnnCreateTensorDescriptor(&t5));
    CHECK_DNN(cudnnSetTensorNdDescriptor(t5, CUDNN_DATA_FLOAT, 5, (const int[]){2, 3, 5, 5, 1},
                                         (const int[]){75, 25, 5, 1, 1}));
    cudnnTensorDescriptor_t t6;
    CHECK_DNN(cudnnCreateTensorDescriptor(&t6));
    CHECK_DNN(cudnnSetTensorNdDescriptor(t6, CUDNN_DATA_FLOAT, 6, (const int[]){1, 2, 3, 5, 5, 1},
                                         (const int[]){150, 75, 25, 5, 1, 1}));
    /* getters and setters */
    cudnnDataType_t dt;
    int i1, i2, i3, i4, i5, i6, i7, i8, dims[8], strides[8];
    EXPECT_VIOLATION(cudnnGetStream(handle, NULL), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetTensor4dDescriptor(t5, &dt, &i1, &i2, &i3, &i4, &i5, &i6, &i7, &i8),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(
        cudnnGetTensor4dDescriptor(sc.xd, &dt, &i1, &i2, &i3, &i4, &i5, &i6, &i7, NULL),
        CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetTensorNdDescriptor(sc.xd, -1, &dt, &i1, dims, strides),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetTensorSizeInBytes(sc.xd, NULL), CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, NULL),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnConvolutionDescriptor_t c;
    CHECK_DNN(cudnnCreateConvolutionDescriptor(&c));
    EXPECT_VIOLATION(cudnnSetConvolution2dDescriptor(c, 0, 0, 1, 1, 1, 1, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_HALF),
                     CUDNN_STATUS_NOT_SUPPORTED);
    EXPECT_VIOLATION(cudnnSetConvolutionNdDescriptor(c, 0, (const int[]){0}, (const int[]){1},
                                                     (const int[]){1}, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnSetConvolutionNdDescriptor(c, 2, NULL, (const int[]){1, 1},
                                                     (const int[]){1, 1}, CUDNN_CROSS_CORRELATION,
                                                     CUDNN_DATA_FLOAT),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnPoolingDescriptor_t p;
    CHECK_DNN(cudnnCreatePoolingDescriptor(&p));
    EXPECT_VIOLATION(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, (cudnnNanPropagation_t)5, 2,
                                                 2, 0, 0, 1, 1),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnActivationDescriptor_t a;
    CHECK_DNN(cudnnCreateActivationDescriptor(&a));
    EXPECT_VIOLATION(
        cudnnSetActivationDescriptor(a, CUDNN_ACTIVATION_ELU, CUDNN_NOT_PROPAGATE_NAN, NAN),
        CUDNN_STATUS_BAD_PARAM);
    /* convolution */
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig,
                                             NULL, 0, &zero, t5, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd,
                                             (cudnnConvolutionFwdAlgo_t)-1, NULL, 0, &zero, sc.yd,
                                             sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    float *big = dev_alloc(400);
    EXPECT_VIOLATION(cudnnConvolutionForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, precomp,
                                             (char *)big + 2, sc.ws_bytes, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnActivationDescriptor_t relu = adesc(CUDNN_ACTIVATION_RELU, 0);
    cudnnTensorDescriptor_t zbad = tdesc4(CUDNN_TENSOR_NCHW, 2, 4, 5, 4);
    EXPECT_VIOLATION(cudnnConvolutionBiasActivationForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w,
                                                           sc.cd, ig, NULL, 0, &zero, zbad, sc.y,
                                                           sc.bd, sc.bias, relu, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionBiasActivationForward(
                         handle, &one, sc.xd, sc.x, sc.fd, sc.w, sc.cd, ig, NULL, 0, &zero, sc.yd,
                         big + 1, sc.bd, sc.bias, relu, sc.yd, big),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnConvolutionBiasActivationForward(handle, &one, sc.xd, sc.x, sc.fd, sc.w,
                                                           sc.cd, ig, NULL, 0, &zero, sc.yd, sc.y,
                                                           sc.bd, NULL, relu, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    /* pooling */
    CHECK_DNN(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 7, 2, 0, 0,
                                          1, 1));
    EXPECT_VIOLATION(cudnnGetPooling2dForwardOutputDim(p, sc.xd, &i1, &i2, &i3, &i4),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnGetPooling2dForwardOutputDim(p, t5, &i1, &i2, &i3, &i4),
                     CUDNN_STATUS_NOT_SUPPORTED);
    CHECK_DNN(cudnnSetPooling2dDescriptor(p, CUDNN_POOLING_MAX, CUDNN_NOT_PROPAGATE_NAN, 1, 1, 0, 0,
                                          1, 1));
    EXPECT_VIOLATION(cudnnPoolingForward(handle, p, &one, sc.xd, sc.x, &zero, sc.yd, sc.y),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnPoolingForward(handle, p, &one, sc.xd, sc.x, &zero, sc.xd, sc.x),
                     CUDNN_STATUS_BAD_PARAM);
    /* softmax, activation: more than 5 dims for softmax */
    EXPECT_VIOLATION(cudnnSoftmaxForward(handle, CUDNN_SOFTMAX_ACCURATE, CUDNN_SOFTMAX_MODE_CHANNEL,
                                         &one, t6, big, &zero, t6, big),
                     CUDNN_STATUS_NOT_SUPPORTED);
    /* batch norm */
    cudnnTensorDescriptor_t pd;
    CHECK_DNN(cudnnCreateTensorDescriptor(&pd));
    EXPECT_VIOLATION(cudnnDeriveBNTensorDescriptor(pd, sc.xd, (cudnnBatchNormMode_t)9),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnDeriveBNTensorDescriptor(pd, t6, CUDNN_BATCHNORM_SPATIAL),
                     CUDNN_STATUS_BAD_PARAM);
    CHECK_DNN(cudnnDeriveBNTensorDescriptor(pd, sc.xd, CUDNN_BATCHNORM_PER_ACTIVATION));
    CHECK_DNN(cudnnGetTensor4dDescriptor(pd, &dt, &i1, &i2, &i3, &i4, &i5, &i6, &i7, &i8));
    assert_true(i1 == 1 && i2 == 3 && i3 == 5 && i4 == 5 && i5 == 75 && i8 == 1);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_PER_ACTIVATION,
                                                             &one, &zero, t6, big, t6, big, pd,
                                                             sc.x, sc.x, sc.x, sc.x, 0.0),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_PER_ACTIVATION,
                                                             &one, &zero, sc.xd, sc.x, sc.xd, big,
                                                             pd, big + 100, sc.x, sc.x, sc.x, 0.0),
                     CUDNN_STATUS_BAD_PARAM);
    /* add */
    EXPECT_VIOLATION(cudnnAddTensor(handle, &one, t5, sc.x, &one, sc.xd, big),
                     CUDNN_STATUS_BAD_PARAM);
    EXPECT_VIOLATION(cudnnAddTensor(handle, &one, t6, sc.x, &one, t6, big),
                     CUDNN_STATUS_NOT_SUPPORTED);
    frt_sim_reset_violations();
    /* per-activation batch norm works, and so does a 5-d add */
    /* scale, bias, mean and variance all x's first image: one value per (c, h, w) */
    CHECK_DNN(cudnnBatchNormalizationForwardInference(handle, CUDNN_BATCHNORM_PER_ACTIVATION, &one,
                                                      &zero, sc.xd, sc.x, sc.xd, big, pd, sc.x,
                                                      sc.x, sc.x, sc.x, 1.0));
    float got[150];
    to_host(got, big, 150);
    for (int i = 0; i < 150; i++) {
        double x0 = sc.xv[i % 75];
        assert_float_equal(got[i], x0 * (sc.xv[i] - x0) / sqrt(x0 + 1.0) + x0, 1e-5);
    }
    CHECK_DNN(cudnnAddTensor(handle, &one, t5, sc.x, &zero, t5, big));
    to_host(got, big, 150);
    for (int i = 0; i < 150; i++) assert_float_equal(got[i], sc.xv[i], 0);
    NO_VIOLATIONS();
    cudaFree(big);
    cudnnDestroyTensorDescriptor(t5), cudnnDestroyTensorDescriptor(t6),
        cudnnDestroyTensorDescriptor(zbad);
    cudnnDestroyTensorDescriptor(pd);
    cudnnDestroyConvolutionDescriptor(c);
    cudnnDestroyPoolingDescriptor(p);
    cudnnDestroyActivationDescriptor(a), cudnnDestroyActivationDescriptor(relu);
    small_conv_free(&sc);
}

static void test_handle_device(void **state) {
    /* cuDNN ties a handle to the device current at cudnnCreate (main asks for two GPUs) */
    int n = 0;
    CHECK_CUDA(cudaGetDeviceCount(&n));
    if (n < 2) skip();
    cudnnTensorDescriptor_t d = tdesc4(CUDNN_TENSOR_NCHW, 1, 4, 1, 1);
    cudnnActivationDescriptor_t relu = adesc(CUDNN_ACTIVATION_RELU, 0);
    float *x = dev_alloc(4);
    CHECK_CUDA(cudaMemset(x, 0, 4 * sizeof(float)));
    CHECK_CUDA(cudaSetDevice(1));
    EXPECT_VIOLATION(cudnnActivationForward(handle, relu, &one, d, x, &zero, d, x),
                     CUDNN_STATUS_BAD_PARAM);
    cudnnHandle_t h1;
    CHECK_DNN(cudnnCreate(&h1));
    frt_sim_reset_violations();
    float *x1 = dev_alloc(4);
    CHECK_CUDA(cudaMemset(x1, 0, 4 * sizeof(float)));
    CHECK_DNN(cudnnActivationForward(h1, relu, &one, d, x1, &zero, d, x1));
    CHECK_CUDA(cudaDeviceSynchronize());
    CHECK_CUDA(cudaFree(x1));
    CHECK_DNN(cudnnDestroy(h1));
    CHECK_CUDA(cudaSetDevice(0));
    CHECK_DNN(cudnnActivationForward(handle, relu, &one, d, x, &zero, d, x));
    CHECK_CUDA(cudaDeviceSynchronize());
    cudaFree(x);
    cudnnDestroyTensorDescriptor(d);
    cudnnDestroyActivationDescriptor(relu);
    NO_VIOLATIONS();
}

int main(void) {
    /* two simulated GPUs unless the environment says otherwise (read on first use) */
    setenv("FLOWRT_SIM_GPUS", "2x256", 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_version_errors_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_hand_nchw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_hand_nhwc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_bias_activation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_identity_restriction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_algorithms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_workspace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_inconsistent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pooling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pooling_strided, setup, teardown),
        cmocka_unit_test_setup_teardown(test_softmax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_norm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_tensor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reads_at_execution, setup, teardown),
        cmocka_unit_test_setup_teardown(test_beta_zero_ignores_output, setup, teardown),
        cmocka_unit_test_setup_teardown(test_more_violations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handle_device, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
