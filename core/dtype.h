/* core/dtype.h: dtype helpers and the X-macros that fan kernels out over dtypes.
 * Thread-safety: pure functions. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "include/flowrt/flowrt.h"

/* One string element of a FRT_DTYPE_STRING tensor; the tensor's buffer owns ptr. */
typedef struct frt_string {
    char *ptr;
    size_t len;
} frt_string;

/* Parses "DT_FLOAT" style names (text format) into a dtype; FRT_DTYPE_INVALID if unknown. */
frt_dtype frt_dtype_from_tf_name(const char *name);
/* "DT_FLOAT" style names, for printing graphs. */
const char *frt_dtype_tf_name(frt_dtype dt);
/* Reference dtypes (v + 100) collapse to their base type. */
static inline frt_dtype frt_dtype_base(int v) { return (frt_dtype)(v > 100 ? v - 100 : v); }
bool frt_dtype_is_valid(int v);

/* X-macro fan-outs in the spirit of TF_CALL_*: X(args..., DTYPE_SUFFIX, ctype). */
#define FRT_FLOAT_TYPES(X, ...) X(__VA_ARGS__, FLOAT, float) X(__VA_ARGS__, DOUBLE, double)
#define FRT_INT_TYPES(X, ...) X(__VA_ARGS__, INT32, int32_t) X(__VA_ARGS__, INT64, int64_t)
#define FRT_REAL_TYPES(X, ...) FRT_FLOAT_TYPES(X, __VA_ARGS__) FRT_INT_TYPES(X, __VA_ARGS__)
/* Every fixed-size type a copy-only kernel (Identity, Reshape, Concat...) can move. */
#define FRT_POD_TYPES(X, ...)                                                              \
    FRT_REAL_TYPES(X, __VA_ARGS__)                                                         \
    X(__VA_ARGS__, BOOL, uint8_t) X(__VA_ARGS__, UINT8, uint8_t)                           \
    X(__VA_ARGS__, INT8, int8_t) X(__VA_ARGS__, INT16, int16_t)                            \
    X(__VA_ARGS__, UINT16, uint16_t) X(__VA_ARGS__, HALF, uint16_t)                        \
    X(__VA_ARGS__, BFLOAT16, uint16_t) X(__VA_ARGS__, UINT32, uint32_t)                    \
    X(__VA_ARGS__, UINT64, uint64_t)
