/* cuda/sim/sim_internal.h: what the pieces of the CUDA simulation share (the runtime, the
 * simulated cuBLAS and cuDNN, the host builds of flowrt's .cu kernels). Only the simulation
 * build (make build-sim) compiles cuda/sim/; nothing else may include this.
 * The simulation implements, on the host, the subset of the CUDA runtime, cuBLAS and cuDNN
 * that cuda/ calls, each with NVIDIA's documented semantics and its own naive reference
 * code, checking every call strictly. Device pointers lie in an address range that is
 * reserved but never mapped, so host code that touches device memory faults; the
 * simulation translates them to the host memory that backs them.
 * Thread-safety: everything here is thread-safe. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

#include <cuda_runtime_api.h>   /* the simulation's own, from cuda/sim/include */

/* The host memory behind device range [p, p + bytes), which must lie inside one live
 * allocation (of any simulated device); NULL after recording a violation naming `what`
 * when it does not. bytes may be 0 (p must still be inside or one past a live allocation). */
void *frt_sim_host_ptr(const void *dev_ptr, size_t bytes, const char *what);

/* Runs fn(arg) later, on the thread of stream s, in stream order (s == NULL: the legacy
 * default stream of the current device). Checks the handle: cudaErrorInvalidResourceHandle
 * (and a violation) for a stream that was destroyed or never created; fn is then not run
 * and arg is handed to fn's owner's cleanup by the caller. */
cudaError_t frt_sim_enqueue(cudaStream_t s, void (*fn)(void *arg), void *arg);

/* Records a checker violation: prints "cuda-sim: violation: ..." to stderr and counts it.
 * Tests assert the count stays 0 (and that deliberate misuse raises it). */
void frt_sim_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Violations recorded since the process started (or the last reset). */
long frt_sim_violations(void);
void frt_sim_reset_violations(void);

/* Whether p lies in the simulated device address range (a live, freed or never allocated
 * address alike): host code must not dereference it. Host-pointer arguments (cuBLAS's and
 * cuDNN's alpha and beta) are checked with it. */
int frt_sim_is_device_ptr(const void *p);

/* Checks stream handle s as frt_sim_enqueue does, queuing nothing: cudaSuccess, or the
 * error (after a violation naming `what`) for a destroyed or unknown handle, or for NULL
 * when the current device does not exist. For cublasSetStream and cudnnSetStream. */
cudaError_t frt_sim_check_stream(cudaStream_t s, const char *what);

/* Handles (streams, events, cuBLAS and cuDNN handles) are addresses in a reserved range that
 * is never mapped, never reused: a destroyed or made-up handle is told apart from a live one,
 * and dereferencing any handle faults. kind names the type in messages ("cublasHandle_t");
 * obj belongs to the caller. frt_sim_handle_new returns NULL when handles run out (2^26). */
void *frt_sim_handle_new(const char *kind, void *obj);
/* The obj of live handle h of this kind; NULL after a violation naming `what` when h was
 * destroyed, never created, or is a handle of another kind. */
void *frt_sim_handle_get(const void *h, const char *kind, const char *what);
/* As frt_sim_handle_get, and marks h destroyed, so later uses are violations. The caller
 * frees obj once nothing can still use it (the runtime keeps its stream and event structs). */
void *frt_sim_handle_retire(const void *h, const char *kind, const char *what);

/* Test-only: waits for all queued work, frees every allocation, destroys every stream and
 * event (their handles stay invalid) and reads FLOWRT_SIM_GPUS, FLOWRT_SIM_DELAY_US and
 * FLOWRT_SIM_SEED again. No other thread may use the simulation meanwhile. Handles of
 * cuBLAS and cuDNN stay valid but hold streams that no longer exist. */
void frt_sim_test_reinit(void);
