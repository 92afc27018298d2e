/* tests/cuda_sim/test_sim_runtime.c: the simulated CUDA runtime: copies, streams and events
 * (ordering with events, and races the simulation exposes without them), faults on host
 * dereference of device pointers, every violation class, memory accounting,
 * FLOWRT_SIM_GPUS, many threads at once. main() sets FLOWRT_SIM_GPUS=2x256 before the first
 * call, so the tests run on two GPUs of 256 MiB. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <cuda_runtime_api.h>

#include "cuda/sim/sim_internal.h"

#define MIB ((size_t)1 << 20)
#define OK(x) assert_int_equal((x), cudaSuccess)
/* expr returns code and records at least one violation. */
#define VIOLATES(expr, code)                                 \
    do {                                                     \
        long v0_ = frt_sim_violations();                     \
        assert_int_equal((expr), (code));                    \
        assert_true(frt_sim_violations() > v0_);             \
    } while (0)

static int fresh(void **state) {
    (void)state;
    frt_sim_reset_violations();
    cudaGetLastError();
    OK(cudaSetDevice(0));
    return 0;
}

/* A test that misuses nothing ends with no violation. */
static int clean(void **state) {
    (void)state;
    OK(cudaDeviceSynchronize());
    assert_int_equal(frt_sim_violations(), 0);
    return 0;
}

/* ---- a gate: a host function that holds its stream until the test opens it ---- */

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int open;
} gate;

static void gate_init(gate *g) {
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->open = 0;
}

static void gate_hold(void *arg) {
    gate *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->open) pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
}

static void gate_open(gate *g) {
    pthread_mutex_lock(&g->mu);
    g->open = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void gate_deinit(gate *g) {
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* ---- devices ---- */

static void devices_from_environment(void **state) {
    (void)state;
    int n = -1, dev = -1, v;
    OK(cudaGetDeviceCount(&n));
    assert_int_equal(n, 2);
    struct cudaDeviceProp p;
    OK(cudaGetDeviceProperties(&p, 1));
    assert_string_equal(p.name, "flowrt simulated GPU (not a real device)");
    assert_int_equal(p.totalGlobalMem, 256 * MIB);
    assert_int_equal(p.major, 9);
    assert_int_equal(p.minor, 0);
    assert_true(p.multiProcessorCount > 0);
    OK(cudaSetDevice(1));
    OK(cudaGetDevice(&dev));
    assert_int_equal(dev, 1);
    size_t free_b, total;
    OK(cudaMemGetInfo(&free_b, &total));
    assert_int_equal(total, 256 * MIB);
    assert_int_equal(free_b, total);
    OK(cudaDriverGetVersion(&v));
    assert_int_equal(v, 13000);
    OK(cudaRuntimeGetVersion(&v));
    assert_int_equal(v, 13000);
}

static void error_names_and_last_error(void **state) {
    (void)state;
    assert_string_equal(cudaGetErrorName(cudaErrorInvalidValue), "cudaErrorInvalidValue");
    assert_string_equal(cudaGetErrorString(cudaErrorMemoryAllocation), "out of memory");
    assert_string_equal(cudaGetErrorString(cudaSuccess), "no error");
    assert_string_equal(cudaGetErrorName((cudaError_t)12345), "unrecognized error code");
    void *p;
    assert_int_equal(cudaMalloc(&p, (size_t)1 << 40), cudaErrorMemoryAllocation);
    assert_int_equal(cudaPeekAtLastError(), cudaErrorMemoryAllocation);
    assert_int_equal(cudaGetLastError(), cudaErrorMemoryAllocation);
    assert_int_equal(cudaGetLastError(), cudaSuccess);
}

/* ---- memory and copies ---- */

static void memcpy_round_trips(void **state) {
    (void)state;
    enum { N = 1000 };
    float in[N], out[N], mid[N];
    for (int i = 0; i < N; i++) in[i] = (float)i * 0.5f - 7;
    float *a, *b;
    OK(cudaMalloc((void **)&a, sizeof in));
    OK(cudaMalloc((void **)&b, sizeof in));
    assert_int_equal((uintptr_t)a % 256, 0);
    assert_int_equal((uintptr_t)b % 256, 0);
    assert_true(frt_sim_is_device_ptr(a));
    assert_false(frt_sim_is_device_ptr(in));

    /* Fresh device memory is not zeroed: the simulation fills it with NaNs. */
    OK(cudaMemcpy(out, a, sizeof out, cudaMemcpyDeviceToHost));
    for (int i = 0; i < N; i++) assert_true(out[i] != out[i]);

    OK(cudaMemcpy(a, in, sizeof in, cudaMemcpyHostToDevice));
    OK(cudaMemcpy(b, a, sizeof in, cudaMemcpyDeviceToDevice));
    OK(cudaMemcpy(out, b, sizeof out, cudaMemcpyDeviceToHost));
    assert_memory_equal(out, in, sizeof in);
    OK(cudaMemcpy(mid, out, sizeof out, cudaMemcpyHostToHost));
    assert_memory_equal(mid, in, sizeof in);

    /* cudaMemcpyDefault infers the direction; a copy may start inside an allocation. */
    memset(out, 0, sizeof out);
    OK(cudaMemcpy(out + 10, a + 10, (N - 10) * sizeof(float), cudaMemcpyDefault));
    assert_memory_equal(out + 10, in + 10, (N - 10) * sizeof(float));

    cudaStream_t s;
    OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    OK(cudaMemsetAsync(b, 0, sizeof in, s));
    OK(cudaMemcpyAsync(b, in, 100 * sizeof(float), cudaMemcpyHostToDevice, s));
    OK(cudaMemcpyAsync(out, b, sizeof out, cudaMemcpyDeviceToHost, s));
    OK(cudaStreamSynchronize(s));
    assert_memory_equal(out, in, 100 * sizeof(float));
    for (int i = 100; i < N; i++) assert_true(out[i] == 0);
    OK(cudaStreamDestroy(s));

    unsigned char bytes[64];
    OK(cudaMemset(a, 0x5a, sizeof bytes));
    OK(cudaMemcpy(bytes, a, sizeof bytes, cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < sizeof bytes; i++) assert_int_equal(bytes[i], 0x5a);

    void *z = (void *)1;
    OK(cudaMalloc(&z, 0)); /* CUDA gives NULL for zero bytes */
    assert_null(z);
    OK(cudaFree(NULL));
    OK(cudaFree(a));
    OK(cudaFree(b));
}

static void translation_bounds(void **state) {
    (void)state;
    char *p;
    OK(cudaMalloc((void **)&p, 1000));
    char *h = frt_sim_host_ptr(p, 1000, "whole");
    assert_non_null(h);
    assert_ptr_equal(frt_sim_host_ptr(p + 10, 990, "tail"), h + 10);
    assert_ptr_equal(frt_sim_host_ptr(p + 1000, 0, "one past the end"), h + 1000);
    assert_int_equal(frt_sim_violations(), 0);
    assert_null(frt_sim_host_ptr(p + 10, 991, "past the end"));
    assert_null(frt_sim_host_ptr(p + 1000, 1, "at the end"));
    assert_null(frt_sim_host_ptr(p + 1100, 0, "in the gap"));
    assert_null(frt_sim_host_ptr(h, 1, "host memory"));
    assert_null(frt_sim_host_ptr(NULL, 1, "NULL"));
    assert_int_equal(frt_sim_violations(), 5);
    OK(cudaFree(p));
    assert_null(frt_sim_host_ptr(p, 1, "freed"));
    assert_int_equal(frt_sim_violations(), 6);
    frt_sim_reset_violations();
}

static void out_of_memory_and_accounting(void **state) {
    (void)state;
    size_t free_b, total;
    void *p, *q, *r;
    assert_int_equal(cudaMalloc(&p, 300 * MIB), cudaErrorMemoryAllocation);
    assert_int_equal(frt_sim_violations(), 0); /* running out is not misuse */
    OK(cudaMalloc(&p, 150 * MIB));
    OK(cudaMemGetInfo(&free_b, &total));
    assert_int_equal(free_b, 106 * MIB);
    assert_int_equal(cudaMalloc(&q, 107 * MIB), cudaErrorMemoryAllocation);
    assert_null(q);
    OK(cudaMalloc(&q, 100));
    OK(cudaMemGetInfo(&free_b, &total));
    assert_int_equal(free_b, 106 * MIB - 256); /* counted in 256-byte units */
    OK(cudaSetDevice(1)); /* device 1 has its own memory */
    OK(cudaMalloc(&r, 150 * MIB));
    OK(cudaFree(r));
    OK(cudaSetDevice(0));
    OK(cudaFree(p));
    OK(cudaFree(q));
    OK(cudaMemGetInfo(&free_b, &total));
    assert_int_equal(free_b, total);
}

/* ---- streams and events ---- */

enum { RACE_BYTES = 1 << 16, ROUNDS = 200 };

/* Stream a fills buf with v; stream b copies buf to the host, after an event or not.
 * Returns whether the copy saw v everywhere. */
static int round_trip(cudaStream_t a, cudaStream_t b, cudaEvent_t e, unsigned char *buf,
                      unsigned char *host, int v) {
    OK(cudaMemsetAsync(buf, v, RACE_BYTES, a));
    if (e) {
        OK(cudaEventRecord(e, a));
        OK(cudaStreamWaitEvent(b, e, 0));
    }
    OK(cudaMemcpyAsync(host, buf, RACE_BYTES, cudaMemcpyDeviceToHost, b));
    OK(cudaStreamSynchronize(b));
    OK(cudaStreamSynchronize(a));
    for (int i = 0; i < RACE_BYTES; i++)
        if (host[i] != v) return 0;
    return 1;
}

static void streams_ordered_by_events(void **state) {
    (void)state;
    cudaStream_t a, b;
    cudaEvent_t e;
    unsigned char *buf, *host = malloc(RACE_BYTES);
    OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    OK(cudaStreamCreate(&b));
    OK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    OK(cudaMalloc((void **)&buf, RACE_BYTES));
    for (int r = 0; r < 50; r++) assert_true(round_trip(a, b, e, buf, host, r + 1));
    OK(cudaEventDestroy(e));
    OK(cudaStreamDestroy(a));
    OK(cudaStreamDestroy(b));
    OK(cudaFree(buf));
    free(host);
}

/* Without the event nothing orders the two streams, and the random delays before each item
 * let the copy overtake the fill (about every other round). */
static void streams_race_without_events(void **state) {
    (void)state;
    cudaStream_t a, b;
    unsigned char *buf, *host = malloc(RACE_BYTES);
    OK(cudaStreamCreateWithFlags(&a, cudaStreamNonBlocking));
    OK(cudaStreamCreateWithFlags(&b, cudaStreamNonBlocking));
    OK(cudaMalloc((void **)&buf, RACE_BYTES));
    int wrong = 0;
    for (int r = 0; r < ROUNDS && wrong < 3; r++)
        wrong += !round_trip(a, b, NULL, buf, host, r % 250 + 1);
    assert_true(wrong > 0);
    OK(cudaStreamDestroy(a));
    OK(cudaStreamDestroy(b));
    OK(cudaFree(buf));
    free(host);
}

/* The same, made deterministic: a stream held by a gate has not run its fill when another
 * stream (here the NULL stream, through cudaMemcpy) reads: sync calls wait for the NULL
 * stream only. */
static void null_stream_does_not_wait_for_others(void **state) {
    (void)state;
    cudaStream_t a;
    unsigned char *buf, host[256];
    gate g;
    gate_init(&g);
    OK(cudaStreamCreate(&a));
    OK(cudaMalloc((void **)&buf, sizeof host));
    OK(cudaMemset(buf, 1, sizeof host));
    OK(cudaLaunchHostFunc(a, gate_hold, &g));
    OK(cudaMemsetAsync(buf, 2, sizeof host, a));
    OK(cudaMemcpy(host, buf, sizeof host, cudaMemcpyDeviceToHost));
    assert_int_equal(host[0], 1); /* the fill on a has not run */
    gate_open(&g);
    OK(cudaStreamSynchronize(a));
    OK(cudaMemcpy(host, buf, sizeof host, cudaMemcpyDeviceToHost));
    assert_int_equal(host[0], 2);
    OK(cudaStreamDestroy(a));
    OK(cudaFree(buf));
    gate_deinit(&g);
}

/* Async copies read host memory when the stream gets there, not at the call. */
static void async_copy_reads_host_memory_late(void **state) {
    (void)state;
    cudaStream_t a;
    int *dev, src = 1, dst = 0;
    gate g;
    gate_init(&g);
    OK(cudaStreamCreate(&a));
    OK(cudaMalloc((void **)&dev, sizeof src));
    OK(cudaLaunchHostFunc(a, gate_hold, &g));
    OK(cudaMemcpyAsync(dev, &src, sizeof src, cudaMemcpyHostToDevice, a));
    src = 2;
    gate_open(&g);
    OK(cudaMemcpyAsync(&dst, dev, sizeof dst, cudaMemcpyDeviceToHost, a));
    OK(cudaStreamSynchronize(a));
    assert_int_equal(dst, 2);
    OK(cudaStreamDestroy(a));
    OK(cudaFree(dev));
    gate_deinit(&g);
}

static void event_query_and_synchronize(void **state) {
    (void)state;
    cudaStream_t a;
    cudaEvent_t e;
    gate g;
    gate_init(&g);
    OK(cudaStreamCreate(&a));
    OK(cudaEventCreate(&e));
    OK(cudaEventQuery(e)); /* never recorded: complete, as CUDA documents */
    OK(cudaEventSynchronize(e));
    OK(cudaLaunchHostFunc(a, gate_hold, &g));
    OK(cudaEventRecord(e, a));
    assert_int_equal(cudaEventQuery(e), cudaErrorNotReady);
    assert_int_equal(cudaGetLastError(), cudaSuccess); /* not ready is not an error */
    gate_open(&g);
    OK(cudaEventSynchronize(e));
    OK(cudaEventQuery(e));
    /* Destroying an event with a record still queued is allowed. */
    gate_init(&g);
    OK(cudaLaunchHostFunc(a, gate_hold, &g));
    OK(cudaEventRecord(e, a));
    OK(cudaEventDestroy(e));
    gate_open(&g);
    OK(cudaStreamSynchronize(a));
    OK(cudaStreamDestroy(a));
    gate_deinit(&g);
}

static void stream_destroy_lets_queued_work_finish(void **state) {
    (void)state;
    cudaStream_t a;
    int *dev, host[64] = {0};
    gate g;
    gate_init(&g);
    OK(cudaStreamCreate(&a));
    OK(cudaMalloc((void **)&dev, sizeof host));
    OK(cudaLaunchHostFunc(a, gate_hold, &g));
    OK(cudaMemsetAsync(dev, 0, sizeof host, a));
    OK(cudaMemcpyAsync(host, dev, sizeof host, cudaMemcpyDeviceToHost, a));
    host[0] = 7;
    OK(cudaStreamDestroy(a)); /* returns at once: the gate is still shut */
    assert_int_equal(host[0], 7);
    gate_open(&g);
    OK(cudaDeviceSynchronize());
    assert_int_equal(host[0], 0);
    OK(cudaFree(dev));
    gate_deinit(&g);
}

static atomic_int slow_done;

static void slow(void *arg) {
    (void)arg;
    sleep_ms(50);
    atomic_store(&slow_done, 1);
}

/* cudaFree synchronises the device, so work queued before it finishes first (under ASan, a
 * missing wait would be a use after free of the memory behind the allocation). */
static void free_waits_for_queued_work(void **state) {
    (void)state;
    cudaStream_t a;
    char *dev;
    atomic_store(&slow_done, 0);
    OK(cudaStreamCreate(&a));
    OK(cudaMalloc((void **)&dev, 1 << 20));
    OK(cudaLaunchHostFunc(a, slow, NULL));
    OK(cudaMemsetAsync(dev, 3, 1 << 20, a));
    OK(cudaFree(dev));
    assert_int_equal(atomic_load(&slow_done), 1);
    OK(cudaStreamDestroy(a));
}

/* ---- faults ---- */

/* Forks a child that writes through p: it must die of SIGSEGV. Under ASan, whose handler
 * would turn the signal into a report and exit(1), the child restores the default action
 * first (ASan lets programs install their own SIGSEGV handling). */
static void assert_write_faults(void *p) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        *(volatile float *)p = 1.0f;
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
}

static void host_deref_of_device_pointer_faults(void **state) {
    (void)state;
    float *p;
    cudaStream_t s;
    OK(cudaMalloc((void **)&p, 4096));
    OK(cudaStreamCreate(&s));
    assert_write_faults(p);
    assert_write_faults(p + 100);
    assert_write_faults(s); /* handles are not memory either */
    OK(cudaFree(p));
    assert_write_faults(p);
    OK(cudaStreamDestroy(s));
}

/* ---- violations ---- */

static void bad_stream_handles(void **state) {
    (void)state;
    cudaStream_t s;
    cudaEvent_t e;
    char *dev;
    OK(cudaMalloc((void **)&dev, 64));
    OK(cudaStreamCreate(&s));
    OK(cudaStreamDestroy(s));
    VIOLATES(cudaMemsetAsync(dev, 0, 64, s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaStreamDestroy(s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaStreamDestroy(NULL), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaStreamSynchronize((cudaStream_t)(uintptr_t)0x1234),
             cudaErrorInvalidResourceHandle);
    OK(cudaEventCreate(&e));
    VIOLATES(cudaMemcpyAsync(dev, dev + 32, 8, cudaMemcpyDeviceToDevice, (cudaStream_t)(void *)e),
             cudaErrorInvalidResourceHandle);
    VIOLATES(frt_sim_enqueue(s, NULL, NULL), cudaErrorInvalidResourceHandle);
    VIOLATES(frt_sim_check_stream(s, "test"), cudaErrorInvalidResourceHandle);
    assert_int_equal(cudaGetLastError(), cudaErrorInvalidResourceHandle);
    OK(cudaEventDestroy(e));
    OK(cudaFree(dev));
}

static void bad_event_handles(void **state) {
    (void)state;
    cudaEvent_t e, e1;
    cudaStream_t s, s1;
    OK(cudaEventCreate(&e));
    OK(cudaStreamCreate(&s));
    OK(cudaEventDestroy(e));
    VIOLATES(cudaEventQuery(e), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaEventRecord(e, s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaEventSynchronize(e), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaStreamWaitEvent(s, e, 0), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaEventDestroy(e), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaEventQuery((cudaEvent_t)(void *)s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaEventCreateWithFlags(&e, 0x100), cudaErrorInvalidValue);
    /* An event is recorded on streams of its own device only. */
    OK(cudaSetDevice(1));
    OK(cudaEventCreate(&e1));
    OK(cudaStreamCreate(&s1));
    OK(cudaSetDevice(0));
    VIOLATES(cudaEventRecord(e1, s), cudaErrorInvalidResourceHandle);
    OK(cudaEventRecord(e1, s1));
    OK(cudaStreamWaitEvent(s, e1, 0)); /* waiting across devices is fine */
    VIOLATES(cudaStreamWaitEvent(s, e1, 7), cudaErrorInvalidValue);
    OK(cudaStreamSynchronize(s));
    OK(cudaEventDestroy(e1));
    OK(cudaStreamDestroy(s1));
    OK(cudaStreamDestroy(s));
}

static void pointers_outside_live_allocations(void **state) {
    (void)state;
    char *dev, *old, host[512];
    OK(cudaMalloc((void **)&old, 256));
    OK(cudaFree(old));
    OK(cudaMalloc((void **)&dev, 256));
    VIOLATES(cudaMemcpy(old, host, 16, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(host, old, 16, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    VIOLATES(cudaMemset(old, 0, 16), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(dev, host, 257, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(host, dev + 200, 57, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    VIOLATES(cudaMemsetAsync(dev + 300, 0, 1, NULL), cudaErrorInvalidValue); /* in the gap */
    VIOLATES(cudaMemcpy(dev, dev + 8, 16, cudaMemcpyDeviceToDevice), cudaErrorInvalidValue);
    OK(cudaMemcpy(host, dev + 200, 56, cudaMemcpyDeviceToHost));
    OK(cudaFree(dev));
}

static void copy_kind_must_match_pointers(void **state) {
    (void)state;
    char *dev, host[64] = {0}, other[64];
    OK(cudaMalloc((void **)&dev, 64));
    VIOLATES(cudaMemcpy(host, other, 64, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(dev, dev, 64, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(host, other, 64, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(dev, host, 64, cudaMemcpyDeviceToHost), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(host, dev, 64, cudaMemcpyHostToHost), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpyAsync(dev, host, 64, cudaMemcpyDeviceToDevice, NULL),
             cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(dev, host, 64, (enum cudaMemcpyKind)9), cudaErrorInvalidMemcpyDirection);
    VIOLATES(cudaMemset(host, 0, 64), cudaErrorInvalidValue);
    VIOLATES(cudaMemcpy(NULL, host, 64, cudaMemcpyHostToDevice), cudaErrorInvalidValue);
    OK(cudaFree(dev));
}

static void bad_frees(void **state) {
    (void)state;
    char *dev, host[8];
    OK(cudaMalloc((void **)&dev, 1024));
    VIOLATES(cudaFree(dev + 16), cudaErrorInvalidValue);
    VIOLATES(cudaFree(dev + 2048), cudaErrorInvalidValue);
    VIOLATES(cudaFree(host), cudaErrorInvalidValue);
    OK(cudaFree(dev));
    VIOLATES(cudaFree(dev), cudaErrorInvalidValue);
}

static void missing_devices(void **state) {
    (void)state;
    struct cudaDeviceProp p;
    VIOLATES(cudaSetDevice(2), cudaErrorInvalidDevice);
    VIOLATES(cudaSetDevice(-1), cudaErrorInvalidDevice);
    VIOLATES(cudaGetDeviceProperties(&p, 5), cudaErrorInvalidDevice);
    VIOLATES(cudaGetDeviceCount(NULL), cudaErrorInvalidValue);
    VIOLATES(cudaMalloc(NULL, 16), cudaErrorInvalidValue);
    int dev;
    OK(cudaGetDevice(&dev));
    assert_int_equal(dev, 0); /* unchanged by the failed calls */
}

typedef struct {
    cudaError_t got;
    void *p;
} host_fn_result;

static void calls_cuda(void *arg) {
    host_fn_result *r = arg;
    r->got = cudaMalloc(&r->p, 16);
}

static void host_functions_must_not_call_cuda(void **state) {
    (void)state;
    host_fn_result r = {cudaSuccess, NULL};
    cudaStream_t s;
    OK(cudaStreamCreate(&s));
    long v0 = frt_sim_violations();
    OK(cudaLaunchHostFunc(s, calls_cuda, &r));
    OK(cudaStreamSynchronize(s));
    assert_int_equal(r.got, cudaErrorNotPermitted);
    assert_null(r.p);
    assert_true(frt_sim_violations() > v0);
    VIOLATES(cudaLaunchHostFunc(s, NULL, NULL), cudaErrorInvalidValue);
    OK(cudaStreamDestroy(s));
}

/* ---- many threads ---- */

enum { THREADS = 8, ITERS = 200 };

static void *alloc_worker(void *arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    cudaStream_t s;
    if (cudaStreamCreate(&s)) return (void *)1;
    unsigned char *host = malloc(1 << 16), *back = malloc(1 << 16);
    uintptr_t bad = 0;
    for (int i = 0; i < ITERS && !bad; i++) {
        size_t n = 1 + (size_t)(rand_r(&seed) % (1 << 16));
        unsigned char *dev;
        if (cudaMalloc((void **)&dev, n) || (uintptr_t)dev % 256) {
            bad = 2;
            break;
        }
        memset(host, (int)(seed + (unsigned)i), n);
        if (i % 2) {
            bad |= cudaMemcpy(dev, host, n, cudaMemcpyHostToDevice) != cudaSuccess;
            bad |= cudaMemcpy(back, dev, n, cudaMemcpyDeviceToHost) != cudaSuccess;
        } else {
            bad |= cudaMemcpyAsync(dev, host, n, cudaMemcpyHostToDevice, s) != cudaSuccess;
            bad |= cudaMemcpyAsync(back, dev, n, cudaMemcpyDeviceToHost, s) != cudaSuccess;
            bad |= cudaStreamSynchronize(s) != cudaSuccess;
        }
        if (!bad && memcmp(host, back, n)) bad = 3;
        if (cudaFree(dev)) bad = 4;
    }
    cudaStreamDestroy(s);
    free(host);
    free(back);
    return (void *)bad;
}

static void many_threads_allocate_at_once(void **state) {
    (void)state;
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, alloc_worker, (void *)(uintptr_t)(i + 1)), 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        assert_int_equal((uintptr_t)r, 0);
    }
    size_t free_b, total;
    OK(cudaMemGetInfo(&free_b, &total));
    assert_int_equal(free_b, total);
}

/* ---- FLOWRT_SIM_GPUS ---- */

static void gpus(const char *value, int count, size_t mib) {
    if (value)
        setenv("FLOWRT_SIM_GPUS", value, 1);
    else
        unsetenv("FLOWRT_SIM_GPUS");
    frt_sim_test_reinit();
    int n = -1;
    cudaError_t e = cudaGetDeviceCount(&n);
    assert_int_equal(n, count);
    assert_int_equal(e, count ? cudaSuccess : cudaErrorNoDevice);
    if (count) {
        struct cudaDeviceProp p;
        OK(cudaGetDeviceProperties(&p, count - 1));
        assert_int_equal(p.totalGlobalMem, mib * MIB);
    }
}

static void gpus_environment_variable(void **state) {
    (void)state;
    gpus(NULL, 1, 1024);
    gpus("2x1024", 2, 1024);
    gpus("64x1", 64, 1);
    gpus("512", 1, 512);
    gpus("0x512", 0, 0);
    assert_int_equal(frt_sim_violations(), 0);
    gpus("0", 0, 0); /* a machine without a GPU: misuse is now calling on a device */
    assert_int_equal(frt_sim_violations(), 0);
    void *p;
    VIOLATES(cudaMalloc(&p, 16), cudaErrorNoDevice);
    VIOLATES(cudaSetDevice(0), cudaErrorNoDevice);
    cudaStream_t s;
    VIOLATES(cudaStreamCreate(&s), cudaErrorNoDevice);
    const char *bad[] = {"", "abc", "2x", "x5", "3x0", "65x1", "1x-5", "2x1024x", " 1", "2X4",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) gpus(bad[i], 0, 0);
    frt_sim_reset_violations();
    /* Handles and pointers from before a re-init are gone. */
    gpus("2x256", 2, 256);
    char *dev;
    OK(cudaMalloc((void **)&dev, 16));
    OK(cudaStreamCreate(&s));
    gpus("2x256", 2, 256);
    VIOLATES(cudaStreamSynchronize(s), cudaErrorInvalidResourceHandle);
    VIOLATES(cudaMemset(dev, 0, 16), cudaErrorInvalidValue);
    frt_sim_reset_violations();
}

int main(void) {
    /* Before the first call, as a program would see it. */
    setenv("FLOWRT_SIM_GPUS", "2x256", 1);
    setenv("FLOWRT_SIM_DELAY_US", "200", 1); /* the race test needs the random delays */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(devices_from_environment, fresh, clean),
        cmocka_unit_test_setup_teardown(error_names_and_last_error, fresh, clean),
        cmocka_unit_test_setup_teardown(memcpy_round_trips, fresh, clean),
        cmocka_unit_test_setup_teardown(translation_bounds, fresh, clean),
        cmocka_unit_test_setup_teardown(out_of_memory_and_accounting, fresh, clean),
        cmocka_unit_test_setup_teardown(streams_ordered_by_events, fresh, clean),
        cmocka_unit_test_setup_teardown(streams_race_without_events, fresh, clean),
        cmocka_unit_test_setup_teardown(null_stream_does_not_wait_for_others, fresh, clean),
        cmocka_unit_test_setup_teardown(async_copy_reads_host_memory_late, fresh, clean),
        cmocka_unit_test_setup_teardown(event_query_and_synchronize, fresh, clean),
        cmocka_unit_test_setup_teardown(stream_destroy_lets_queued_work_finish, fresh, clean),
        cmocka_unit_test_setup_teardown(free_waits_for_queued_work, fresh, clean),
        cmocka_unit_test_setup_teardown(host_deref_of_device_pointer_faults, fresh, clean),
        cmocka_unit_test_setup(bad_stream_handles, fresh),
        cmocka_unit_test_setup(bad_event_handles, fresh),
        cmocka_unit_test_setup(pointers_outside_live_allocations, fresh),
        cmocka_unit_test_setup(copy_kind_must_match_pointers, fresh),
        cmocka_unit_test_setup(bad_frees, fresh),
        cmocka_unit_test_setup(missing_devices, fresh),
        cmocka_unit_test_setup(host_functions_must_not_call_cuda, fresh),
        cmocka_unit_test_setup_teardown(many_threads_allocate_at_once, fresh, clean),
        cmocka_unit_test_setup_teardown(gpus_environment_variable, fresh, clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
