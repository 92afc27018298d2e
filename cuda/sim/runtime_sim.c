/* cuda/sim/runtime_sim.c: the simulated machine: its GPUs, read from the environment on
 * first use, and the CUDA runtime functions about devices, versions and errors.
 *   FLOWRT_SIM_GPUS      "2x1024": two GPUs of 1024 MiB; "1024": one; "0": none, so
 *                        cudaGetDeviceCount says cudaErrorNoDevice as on a machine without a
 *                        GPU. Default one GPU of 1024 MiB. A bad value is reported on stderr
 *                        and means no GPU.
 *   FLOWRT_SIM_DELAY_US  the most a stream waits before each item (default 200; 0: none).
 *   FLOWRT_SIM_SEED      seeds those waits (default 1).
 * Every device is "flowrt simulated GPU (not a real device)", compute capability 9.0.
 * Owns: the configuration, the device structs, frt_sim_test_reinit.
 * Does not own: memory (sim_memory.c), streams (sim_streams.c), events (sim_events.c),
 * copies (sim_copy.c), checks and the last error (sim_check.c).
 * Thread-safety: thread-safe; the configuration is immutable after first use (except for
 * frt_sim_test_reinit, which no other thread may overlap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda/sim/runtime_impl.h"

#define DEVICE_NAME "flowrt simulated GPU (not a real device)"
#define MAX_GPUS 64
#define MAX_MIB ((unsigned long long)1 << 24) /* 16 TiB: only counted, never allocated */
#define DEFAULT_MIB 1024
#define DEFAULT_DELAY_US 200
#define MAX_DELAY_US 1000000
#define SIM_VERSION 13000 /* CUDA 13.0, as the headers declare */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int n_devices;
static sim_device *devices;
static unsigned delay_us;
static uint64_t seed;

/* ---- the environment ---- */

/* A decimal number at *p up to max, advancing *p; 0 when there is none or it is too big. */
static int parse_number(const char **p, unsigned long long max, unsigned long long *out) {
    const char *s = *p;
    unsigned long long v = 0;
    if (*s < '0' || *s > '9') return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        unsigned long long digit = (unsigned long long)(*s - '0');
        if (v > (max - digit) / 10) return 0;
        v = v * 10 + digit;
    }
    *p = s;
    *out = v;
    return 1;
}

/* "COUNTxMIB", "MIB" (one GPU) or "0" (none); 0 when the text is none of these. */
static int parse_gpus(const char *text, int *count, size_t *mib) {
    const char *p = text;
    unsigned long long a, b;
    if (!parse_number(&p, MAX_MIB, &a)) return 0;
    if (*p == '\0') {
        *count = a ? 1 : 0;
        *mib = (size_t)a;
        return 1;
    }
    if (*p != 'x' || a > MAX_GPUS) return 0;
    p++;
    if (!parse_number(&p, MAX_MIB, &b) || *p != '\0' || b == 0) return 0;
    *count = (int)a;
    *mib = (size_t)b;
    return 1;
}

static void read_gpus(int *count, size_t *mib) {
    const char *text = getenv("FLOWRT_SIM_GPUS");
    *count = 1;
    *mib = DEFAULT_MIB;
    if (text && !parse_gpus(text, count, mib)) {
        fprintf(stderr, "cuda-sim: FLOWRT_SIM_GPUS='%s' is not COUNTxMIB (\"2x1024\": two GPUs "
                        "of 1024 MiB, at most %d), MIB (\"1024\": one GPU) or 0 (no GPU); "
                        "simulating no GPU\n", text, MAX_GPUS);
        *count = 0;
    }
}

static unsigned long long read_number(const char *name, unsigned long long max,
                                      unsigned long long fallback) {
    const char *text = getenv(name);
    unsigned long long v;
    const char *p = text;
    if (!text) return fallback;
    if (parse_number(&p, max, &v) && *p == '\0') return v;
    fprintf(stderr, "cuda-sim: %s='%s' is not a number from 0 to %llu; using %llu\n", name, text,
            max, fallback);
    return fallback;
}

static void load_config(void) {
    int count;
    size_t mib;
    read_gpus(&count, &mib);
    delay_us = (unsigned)read_number("FLOWRT_SIM_DELAY_US", MAX_DELAY_US, DEFAULT_DELAY_US);
    seed = read_number("FLOWRT_SIM_SEED", UINT64_MAX, 1);
    devices = count ? calloc((size_t)count, sizeof *devices) : NULL;
    if (count && !devices) {
        fprintf(stderr, "cuda-sim: out of memory for %d devices; simulating no GPU\n", count);
        count = 0;
    }
    for (int i = 0; i < count; i++) {
        devices[i].index = i;
        devices[i].total = mib << 20;
        pthread_mutex_init(&devices[i].mu, NULL);
    }
    n_devices = count;
}

static void free_devices(void) {
    for (int i = 0; i < n_devices; i++) {
        pthread_mutex_destroy(&devices[i].mu);
        free(devices[i].streams);
    }
    free(devices);
    devices = NULL;
    n_devices = 0;
}

int frt_sim_device_count(void) {
    pthread_once(&once, load_config);
    return n_devices;
}

sim_device *frt_sim_device(int index) {
    pthread_once(&once, load_config);
    return index >= 0 && index < n_devices ? &devices[index] : NULL;
}

unsigned frt_sim_delay_us(void) {
    pthread_once(&once, load_config);
    return delay_us;
}

uint64_t frt_sim_seed(void) {
    pthread_once(&once, load_config);
    return seed;
}

void frt_sim_test_reinit(void) {
    pthread_once(&once, load_config);
    frt_sim_streams_reset();
    frt_sim_events_reset();
    frt_sim_memory_reset();
    free_devices();
    load_config();
    frt_sim_set_current_index(0);
    frt_sim_take_last_error(1);
}

/* ---- devices ---- */

/* Device `index`, or the error (and violation) for an index that does not exist. */
static cudaError_t lookup(const char *api, int index, sim_device **out) {
    *out = frt_sim_device(index);
    if (*out) return cudaSuccess;
    if (frt_sim_device_count() == 0)
        return frt_sim_fail(cudaErrorNoDevice, "%s: device %d: there is no simulated GPU "
                            "(FLOWRT_SIM_GPUS)", api, index);
    return frt_sim_fail(cudaErrorInvalidDevice, "%s: device %d does not exist (%d GPUs)", api,
                        index, frt_sim_device_count());
}

/* No device is an answer here, not a violation: it is how a program finds out. */
cudaError_t cudaGetDeviceCount(int *count) {
    cudaError_t e = frt_sim_api_enter("cudaGetDeviceCount");
    if (e) return frt_sim_ret(e);
    if (!count)
        return frt_sim_ret(
            frt_sim_fail(cudaErrorInvalidValue, "cudaGetDeviceCount: count is NULL"));
    *count = frt_sim_device_count();
    return frt_sim_ret(*count ? cudaSuccess : cudaErrorNoDevice);
}

cudaError_t cudaSetDevice(int device) {
    cudaError_t e = frt_sim_api_enter("cudaSetDevice");
    sim_device *d;
    if (!e) e = lookup("cudaSetDevice", device, &d);
    if (!e) frt_sim_set_current_index(device);
    return frt_sim_ret(e);
}

cudaError_t cudaGetDevice(int *device) {
    cudaError_t e = frt_sim_api_enter("cudaGetDevice");
    if (e) return frt_sim_ret(e);
    if (!device)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue, "cudaGetDevice: device is NULL"));
    sim_device *d;
    if ((e = frt_sim_current("cudaGetDevice", &d))) return frt_sim_ret(e);
    *device = d->index;
    return cudaSuccess;
}

cudaError_t cudaGetDeviceProperties(struct cudaDeviceProp *prop, int device) {
    cudaError_t e = frt_sim_api_enter("cudaGetDeviceProperties");
    if (e) return frt_sim_ret(e);
    if (!prop)
        return frt_sim_ret(frt_sim_fail(cudaErrorInvalidValue,
                                        "cudaGetDeviceProperties: prop is NULL"));
    sim_device *d;
    if ((e = lookup("cudaGetDeviceProperties", device, &d))) return frt_sim_ret(e);
    memset(prop, 0, sizeof *prop);
    snprintf(prop->name, sizeof prop->name, "%s", DEVICE_NAME);
    prop->totalGlobalMem = d->total;
    /* The limits of compute capability 9.0 (an H100's). */
    prop->sharedMemPerBlock = 48 * 1024;
    prop->regsPerBlock = 65536;
    prop->warpSize = 32;
    prop->maxThreadsPerBlock = 1024;
    prop->maxThreadsDim[0] = 1024;
    prop->maxThreadsDim[1] = 1024;
    prop->maxThreadsDim[2] = 64;
    prop->maxGridSize[0] = 2147483647;
    prop->maxGridSize[1] = 65535;
    prop->maxGridSize[2] = 65535;
    prop->major = 9;
    prop->minor = 0;
    prop->multiProcessorCount = 132;
    return cudaSuccess;
}

static cudaError_t version(const char *api, int *out) {
    cudaError_t e = frt_sim_api_enter(api);
    if (e) return e;
    if (!out) return frt_sim_fail(cudaErrorInvalidValue, "%s: NULL argument", api);
    *out = SIM_VERSION;
    return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int *driverVersion) {
    return frt_sim_ret(version("cudaDriverGetVersion", driverVersion));
}

cudaError_t cudaRuntimeGetVersion(int *runtimeVersion) {
    return frt_sim_ret(version("cudaRuntimeGetVersion", runtimeVersion));
}

/* ---- errors ---- */

static const struct {
    cudaError_t code;
    const char *name, *text;
} errors[] = {
    {cudaSuccess, "cudaSuccess", "no error"},
    {cudaErrorInvalidValue, "cudaErrorInvalidValue", "invalid argument"},
    {cudaErrorMemoryAllocation, "cudaErrorMemoryAllocation", "out of memory"},
    {cudaErrorInitializationError, "cudaErrorInitializationError", "initialization error"},
    {cudaErrorInvalidMemcpyDirection, "cudaErrorInvalidMemcpyDirection",
     "invalid copy direction for memcpy"},
    {cudaErrorNoDevice, "cudaErrorNoDevice", "no CUDA-capable device is detected"},
    {cudaErrorInvalidDevice, "cudaErrorInvalidDevice", "invalid device ordinal"},
    {cudaErrorInvalidResourceHandle, "cudaErrorInvalidResourceHandle", "invalid resource handle"},
    {cudaErrorNotReady, "cudaErrorNotReady", "device not ready"},
    {cudaErrorIllegalAddress, "cudaErrorIllegalAddress",
     "an illegal memory access was encountered"},
    {cudaErrorNotPermitted, "cudaErrorNotPermitted", "operation not permitted"},
    {cudaErrorNotSupported, "cudaErrorNotSupported", "operation not supported"},
    {cudaErrorUnknown, "cudaErrorUnknown", "unknown error"},
};

static int error_index(cudaError_t e) {
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == e) return (int)i;
    return -1;
}

const char *cudaGetErrorName(cudaError_t error) {
    int i = error_index(error);
    return i < 0 ? "unrecognized error code" : errors[i].name;
}

const char *cudaGetErrorString(cudaError_t error) {
    int i = error_index(error);
    return i < 0 ? "unrecognized error code" : errors[i].text;
}

cudaError_t cudaGetLastError(void) { return frt_sim_take_last_error(1); }

cudaError_t cudaPeekAtLastError(void) { return frt_sim_take_last_error(0); }
