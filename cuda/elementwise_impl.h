/* cuda/elementwise_impl.h: what the host sides of flowrt's own GPU kernels share
 * (cuda/elementwise.c, cuda/array_ops.c, cuda/reduce_ops.c, all registered by
 * frt_cuda_register_elementwise): the dtypes that data-movement kernels register and the
 * registration of the two other files. Launch errors become statuses through
 * frt_cuda_check (cuda_impl.h), named after the launcher.
 * Owns: those. Does not own: the kernels (cuda/kernels/), the device (cuda/device.c).
 * Thread-safety: immutable. */
#pragma once
#include "core/kernel.h"
#include "cuda/cuda_impl.h"
#include "cuda/kernels/launch.h"

/* The dtypes the data-movement and view kernels (Identity, Reshape, Transpose, ConcatV2,
 * Pad, Slice, GatherV2, Fill...) register on the GPU: every fixed-size type device memory
 * holds, except int32. TF keeps int32 tensors in host memory around its GPU kernels (they
 * are shapes and indices); flowrt registers no int32 GPU kernels, so int32 work stays on the
 * CPU. X(args..., DTYPE_SUFFIX). */
#define FRT_CUDA_MOVE_TYPES(X, ...)                                                        \
    X(__VA_ARGS__, FLOAT) X(__VA_ARGS__, DOUBLE) X(__VA_ARGS__, HALF)                      \
    X(__VA_ARGS__, BFLOAT16) X(__VA_ARGS__, INT64) X(__VA_ARGS__, BOOL)                    \
    X(__VA_ARGS__, UINT8) X(__VA_ARGS__, INT8) X(__VA_ARGS__, INT16) X(__VA_ARGS__, UINT16) \
    X(__VA_ARGS__, UINT32) X(__VA_ARGS__, UINT64) X(__VA_ARGS__, COMPLEX64)                \
    X(__VA_ARGS__, COMPLEX128)

/* Families registered by frt_cuda_register_elementwise (cuda/elementwise.c). */
void frt_cuda_register_array_ops(frt_kernel_registry *r);  /* cuda/array_ops.c */
void frt_cuda_register_reduce_ops(frt_kernel_registry *r); /* cuda/reduce_ops.c */
