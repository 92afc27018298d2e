/* cuda/sim/runtime_impl.h: what the files of the simulated CUDA runtime share: devices
 * (runtime_sim.c), entry checks and the last error (sim_check.c), allocations
 * (sim_memory.c), streams and their workers (sim_streams.c), events (sim_events.c), copies
 * (sim_copy.c).
 * cuBLAS and cuDNN use sim_internal.h only.
 * Thread-safety: everything here is thread-safe, except the *_reset functions, which only
 * frt_sim_test_reinit calls. */
#pragma once
#include <pthread.h>
#include <stdint.h>

#include "cuda/sim/sim_internal.h"

typedef struct sim_stream sim_stream;

typedef struct sim_device {
    int index;
    size_t total;         /* bytes */
    size_t used;          /* bytes held by live allocations; guarded by sim_memory.c's lock */
    pthread_mutex_t mu;   /* guards the fields below */
    sim_stream *legacy;   /* the NULL stream, started on first use */
    sim_stream **streams; /* every stream whose worker still runs, the NULL stream included */
    size_t n_streams, cap_streams;
} sim_device;

/* ---- runtime_sim.c: the configuration, read from the environment on first use ---- */
int frt_sim_device_count(void);
sim_device *frt_sim_device(int index); /* NULL when there is no such device */
unsigned frt_sim_delay_us(void);       /* each queued item waits [0, this] microseconds */
uint64_t frt_sim_seed(void);

/* ---- sim_check.c: entry checks, the per-thread last error ---- */
/* Every API function starts with this: inside a cudaLaunchHostFunc callback, CUDA calls are
 * not permitted (a violation and cudaErrorNotPermitted). */
cudaError_t frt_sim_api_enter(const char *api);
/* The calling thread's current device; cudaErrorNoDevice or cudaErrorInvalidDevice, with a
 * violation naming api, when it does not exist. */
cudaError_t frt_sim_current(const char *api, sim_device **out);
int frt_sim_current_index(void);
void frt_sim_set_current_index(int index);
/* Records e (unless cudaSuccess) as the thread's last error; returns e. */
cudaError_t frt_sim_ret(cudaError_t e);
/* Violation message, then code: `return frt_sim_ret(frt_sim_fail(code, ...))`. */
cudaError_t frt_sim_fail(cudaError_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set by a stream's worker around a user's host function. */
void frt_sim_set_in_host_fn(int on);
cudaError_t frt_sim_take_last_error(int reset);

/* ---- sim_handles.c ---- */
/* Marks every live handle of this kind destroyed (frt_sim_test_reinit). */
void frt_sim_handles_retire_kind(const char *kind);

/* ---- sim_streams.c ---- */
/* The stream behind handle h (NULL: the current device's NULL stream, started if needed). */
cudaError_t frt_sim_stream_resolve(cudaStream_t h, const char *what, sim_stream **out);
/* The NULL stream of device d, started if needed (NULL when its thread cannot start). */
sim_stream *frt_sim_legacy_stream(sim_device *d);
/* Queues fn(arg) on s; cudaErrorMemoryAllocation when no item can be allocated. */
cudaError_t frt_sim_stream_push(sim_stream *s, void (*fn)(void *arg), void *arg);
int frt_sim_stream_device(const sim_stream *s);
/* The number of items queued on s so far, and a wait until that many have run. */
uint64_t frt_sim_stream_mark(sim_stream *s);
void frt_sim_stream_wait(sim_stream *s, uint64_t mark);
/* Waits for everything queued so far on every stream of d (destroyed ones still draining
 * included), as cudaDeviceSynchronize. */
void frt_sim_device_sync(sim_device *d);
void frt_sim_sync_all_devices(void);
/* Stops every stream of every device after its queue drains (frt_sim_test_reinit). */
void frt_sim_streams_reset(void);

/* ---- sim_events.c ---- */
void frt_sim_events_reset(void);

/* ---- sim_memory.c ---- */
void frt_sim_memory_reset(void); /* frees every allocation (frt_sim_test_reinit) */
