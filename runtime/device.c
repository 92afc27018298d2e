/* runtime/device.c: the process-wide device list (runtime/device.h).
 * Owns: enumerating the registered backends once, keeping their devices for the life of the
 * process. Does not own: what a device is (core/device.h), the CPU device (core/device.c),
 * GPUs (cuda/), which devices a session uses (session.c).
 * Thread-safety: the list is built under pthread_once and read-only afterwards. */
#include "runtime/device.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The GPUs of the process: devices[1..]. */
static int n_gpus(void) {
    frt_device *const *d;
    int n;
    frt_devices_all(&d, &n);
    return n - 1;
}

/* Parses "0,2" into want[]; INVALID_ARGUMENT naming the list when it does not parse or
 * names a GPU that is not there. */
static frt_status *parse_visible(const char *list, bool *want, int ngpu) {
    long idx[FRT_SESSION_MAX_DEVICES * 4];
    int n = 0;
    for (const char *p = list; *p;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || (*end && *end != ',') || (*end == ',' && !end[1]) ||
            n == (int)(sizeof idx / sizeof *idx))
            return frt_status_new(FRT_INVALID_ARGUMENT, "visible GPUs '%s': expected GPU "
                                  "indices separated by commas, such as \"0,1\"", list);
        idx[n++] = v;
        p = *end ? end + 1 : end;
    }
    for (int i = 0; i < n; i++) {
        if (idx[i] >= ngpu)
            return frt_status_new(FRT_INVALID_ARGUMENT, "visible GPUs '%s': there is no GPU %ld "
                                  "(this process has %d GPU%s%s%s)", list, idx[i], ngpu,
                                  ngpu == 1 ? "" : "s", frt_devices_error() ? "; " : "",
                                  frt_devices_error() ? frt_devices_error() : "");
        want[idx[i]] = true;
    }
    return NULL;
}

frt_status *frt_devices_for_session(const frt_device_request *req, frt_allocator *host_alloc,
                                    frt_device **devs, frt_allocator **allocs, int *n) {
    *n = 0;
    FRT_TRY(frt_gpu_memory_options_check(&req->memory));
    frt_device *const *all;
    int nall;
    frt_devices_all(&all, &nall);
    bool want[FRT_SESSION_MAX_DEVICES] = {0};
    int ngpu = n_gpus();
    if (ngpu > FRT_SESSION_MAX_DEVICES - 1) ngpu = FRT_SESSION_MAX_DEVICES - 1;
    if (req->visible_gpus && req->visible_gpus[0]) {
        FRT_TRY(parse_visible(req->visible_gpus, want, ngpu));
    } else {
        for (int i = 0; i < ngpu; i++) want[i] = true;
    }
    devs[0] = all[0];
    allocs[0] = host_alloc;
    int k = 1;
    frt_status *st = NULL;
    for (int i = 0; i < ngpu && !st; i++) {
        if (!want[i]) continue;
        frt_device *d = all[1 + i];
        if (d->ops->open_memory) st = d->ops->open_memory(d, &req->memory);
        if (!st && !d->alloc)
            st = frt_status_new(FRT_INTERNAL, "%s has no memory allocator", d->name);
        if (st) break;
        char name[32];
        snprintf(name, sizeof name, "%s:%d", d->type, d->index);
        allocs[k] = frt_budget_allocator_new(name, d->alloc, req->session_gpu_limit);
        if (!allocs[k]) {
            st = frt_status_oom("opening %s", d->name);
            break;
        }
        devs[k++] = d;
    }
    if (st) {
        for (int j = 1; j < k; j++) frt_allocator_unref(allocs[j]);
        return st;
    }
    *n = k;
    return NULL;
}

size_t frt_devices_release_free_memory(void) {
    frt_device *const *all;
    int nall;
    frt_devices_all(&all, &nall);
    size_t freed = 0;
    for (int i = 1; i < nall; i++) {
        const char *mode = all[i]->alloc ? frt_bfc_mode(all[i]->alloc) : NULL;
        if (mode && strstr(mode, "allow_growth")) freed += frt_bfc_release_free_regions(all[i]->alloc);
    }
    return freed;
}
