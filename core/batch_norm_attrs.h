/* core/batch_norm_attrs.h: FusedBatchNorm / V2 / V3's attrs and input checks with TF's error
 * texts. Shared by the CPU kernel (kernels/batch_norm.c) and the GPU's (cuda/dnn.c).
 * Owns: epsilon, exponential_avg_factor, is_training, data_format (4-d and 5-d), U; the five
 * inputs' count, ranks, dtypes (float32 only) and channel counts.
 * Does not own: the normalisation itself, batch statistics, which modes a device runs.
 * Thread-safety: pure functions over caller-owned values. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/status.h"
#include "core/tensor.h"

typedef struct frt_bn_attrs {
    float epsilon, avg_factor;
    bool training;
    bool channels_first; /* NCHW / NCDHW */
} frt_bn_attrs;

/* The attrs of node op (FusedBatchNorm, V2 or V3). */
FRT_MUST_USE frt_status *frt_bn_attrs_parse(const char *op, const frt_attrs *attrs,
                                            frt_bn_attrs *out);

/* x, scale, offset, mean, variance (n inputs, which must be 5): x 4-d or 5-d, all float32,
 * the vectors of x's channel count *C (in training, empty mean/variance are allowed). */
FRT_MUST_USE frt_status *frt_bn_check_inputs(const char *op, const frt_bn_attrs *a,
                                             frt_tensor *const *in, int n, int64_t *C);
