/* cuda/sim/sim_check.c: the checker's bookkeeping: violations (counted, printed), the
 * per-thread last error of cudaGetLastError, the per-thread current device, and the
 * "inside a host function" flag that makes CUDA calls from callbacks violations.
 * Does not own: the checks themselves (each API function makes its own).
 * Thread-safety: thread-safe; the counter is atomic, the rest is thread-local. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cuda/sim/runtime_impl.h"

static atomic_long violations;
static _Thread_local cudaError_t last_error = cudaSuccess;
static _Thread_local int current_index;
static _Thread_local int in_host_fn;

static void vreport(const char *fmt, va_list ap) {
    /* One fprintf call per line, so lines from several threads do not interleave. */
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "cuda-sim: violation: %s\n", msg);
    atomic_fetch_add(&violations, 1);
}

void frt_sim_violation(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
}

long frt_sim_violations(void) { return atomic_load(&violations); }

void frt_sim_reset_violations(void) { atomic_store(&violations, 0); }

cudaError_t frt_sim_fail(cudaError_t code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vreport(fmt, ap);
    va_end(ap);
    return code;
}

cudaError_t frt_sim_ret(cudaError_t e) {
    if (e != cudaSuccess) last_error = e;
    return e;
}

cudaError_t frt_sim_take_last_error(int reset) {
    cudaError_t e = last_error;
    if (reset) last_error = cudaSuccess;
    return e;
}

void frt_sim_set_in_host_fn(int on) { in_host_fn = on; }

cudaError_t frt_sim_api_enter(const char *api) {
    if (!in_host_fn) return cudaSuccess;
    return frt_sim_fail(cudaErrorNotPermitted,
                        "%s called from a cudaLaunchHostFunc callback, which must not call CUDA",
                        api);
}

int frt_sim_current_index(void) { return current_index; }

void frt_sim_set_current_index(int index) { current_index = index; }

cudaError_t frt_sim_current(const char *api, sim_device **out) {
    *out = frt_sim_device(current_index);
    if (*out) return cudaSuccess;
    if (frt_sim_device_count() == 0)
        return frt_sim_fail(cudaErrorNoDevice, "%s: there is no simulated GPU (FLOWRT_SIM_GPUS)",
                            api);
    return frt_sim_fail(cudaErrorInvalidDevice, "%s: current device %d does not exist (%d GPUs)",
                        api, current_index, frt_sim_device_count());
}
