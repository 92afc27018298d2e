/* cuda/cuda.h: the CUDA backend's one entry point for the rest of flowrt. runtime/init.c
 * includes it (and no other cuda/ header) when the backend is built (FRT_HAVE_CUDA).
 * Thread-safety: called once, by frt_init under pthread_once. */
#pragma once
#include "core/kernel.h"

/* Registers the "GPU" device backend (runtime/device.h) and the backend's kernel families
 * into r. GPUs are counted and created later, on the first listing of devices; none found
 * (no driver, no device) is an ordinary CPU-only process. */
void frt_cuda_register(frt_kernel_registry *r);
