/* runtime/device.h: the devices of this process (TensorFlow's DeviceMgr): the CPU, then
 * every accelerator a backend finds, created once and shared by all sessions — one device,
 * and so one allocator, per GPU per process. Sessions borrow the devices they may use.
 * Thread-safety: thread-safe; the list is built once and immutable afterwards. */
#pragma once
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
