/* cuda/kernels/launch.h: C launchers of flowrt's own CUDA kernels. Each body is written once
 * (cuda/kernels/*.cuh) and built twice: by nvcc into __global__ kernels (the .cu files), and,
 * in the simulation build, as host code that the simulated stream runs (the _sim.c files) —
 * the mechanism is described in cuda/README.md. Launchers enqueue on `s` and return at once.
 * Pointers are device pointers; shapes and other arguments are host values.
 * Thread-safety: launchers are thread-safe (the stream orders the work). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

/* N-d constant pad: out[i] = in[i - before] inside, else *fill (elem_size bytes, host
 * pointer; NULL = zeros). dims of out = in_dims + before + after. ndim <= 8. */
cudaError_t frt_cu_pad(cudaStream_t s, const void *in, void *out, int ndim,
                       const int64_t *in_dims, const int64_t *before, const int64_t *out_dims,
                       size_t elem_size, const void *fill);
