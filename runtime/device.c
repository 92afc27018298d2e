/* runtime/device.c: the process-wide device list (runtime/device.h).
 * Owns: enumerating the registered backends once, keeping their devices for the life of the
 * process. Does not own: what a device is (core/device.h), the CPU device (core/device.c),
 * GPUs (cuda/), which devices a session uses (session.c).
 * Thread-safety: the list is built under pthread_once and read-only afterwards. */
#include "runtime/device.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_BACKENDS 4
#define MAX_DEVICES 65

static const frt_device_backend *backends[MAX_BACKENDS];
static int n_backends;

static pthread_once_t list_once = PTHREAD_ONCE_INIT;
static frt_device *devices[MAX_DEVICES];
static int n_devices;
static char list_error[512];

void frt_devices_register_backend(const frt_device_backend *b) {
    FRT_ASSERT(n_backends < MAX_BACKENDS && "too many device backends");
    backends[n_backends++] = b;
}

static void build_list(void) {
    devices[n_devices++] = frt_device_cpu();
    for (int b = 0; b < n_backends; b++) {
        int count = backends[b]->count();
        for (int i = 0; i < count && n_devices < MAX_DEVICES; i++) {
            frt_device *d = NULL;
            frt_status *st = backends[b]->create(i, &d);
            if (st) {
                if (!list_error[0])
                    snprintf(list_error, sizeof list_error, "%s:%d: %s", backends[b]->type, i,
                             frt_status_message(st));
                frt_status_free(st);
                continue;
            }
            devices[n_devices++] = d;
        }
    }
}

void frt_devices_all(frt_device *const **out, int *n) {
    int rc = pthread_once(&list_once, build_list);
    FRT_ASSERT(rc == 0);
    *out = devices;
    *n = n_devices;
}

const char *frt_devices_error(void) {
    frt_device *const *d;
    int n;
    frt_devices_all(&d, &n);
    return list_error[0] ? list_error : NULL;
}
