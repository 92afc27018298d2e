/* runtime/device.h: the devices of this process (TensorFlow's DeviceMgr): the CPU, then
 * every accelerator a backend finds, created once and shared by all sessions — one device,
 * and so one allocator, per GPU per process. Sessions borrow the devices they may use.
 * Thread-safety: thread-safe; the list is built once and immutable afterwards. */
#pragma once
#include <stdbool.h>

#include "core/bfc.h"
#include "core/device.h"

typedef struct frt_device_backend {
    const char *type;                              /* "GPU" */
    /* Devices present; 0 when there are none or no driver (an ordinary situation). */
    int (*count)(void);
    frt_status *(*create)(int index, frt_device **out);
} frt_device_backend;

/* Adds a backend (static storage). Only frt_init calls it, before any device is listed. */
void frt_devices_register_backend(const frt_device_backend *b);

/* The process's devices, CPU first (borrowed; live until exit). Accelerators are created on
 * the first call; one that fails to start is left out and its error kept for
 * frt_devices_error. */
void frt_devices_all(frt_device *const **out, int *n);
/* Why an accelerator that exists could not be used (NULL when none failed); borrowed. */
const char *frt_devices_error(void);

/* The most devices one session uses: the CPU and 16 GPUs. */
#define FRT_SESSION_MAX_DEVICES 17

/* What a session asks of the process's devices. */
typedef struct frt_device_request {
    const char *visible_gpus;     /* TF's visible_device_list, "0,1" (indices among the
                                   * process's GPUs); NULL or "" = all */
    frt_gpu_memory_options memory; /* for the GPU allocators, if this session creates them */
    size_t session_gpu_limit;     /* this session's own budget on each GPU; 0 = none */
} frt_device_request;

/* The devices a session runs on: the CPU first (with host_alloc, the session's own host
 * allocator), then the visible GPUs, each opened (its process-wide allocator made with
 * req->memory when this is its first use) and given a budget allocator of this session's
 * over it. devs/allocs hold FRT_SESSION_MAX_DEVICES; allocs[1..] are new references.
 * INVALID_ARGUMENT (one line) for a visible list that does not parse or names a GPU that
 * does not exist, or bad memory options. */
FRT_MUST_USE frt_status *frt_devices_for_session(const frt_device_request *req,
                                                 frt_allocator *host_alloc, frt_device **devs,
                                                 frt_allocator **allocs, int *n);
/* Gives back, on every GPU whose allocator grows (allow_growth), the regions wholly free;
 * returns the bytes given back. */
size_t frt_devices_release_free_memory(void);
