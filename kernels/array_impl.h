/* kernels/array_impl.h: small helpers shared by the data-movement kernel families (basic,
 * shape_ops, slice_ops, concat_ops, gather_ops, pad_ops, transpose, space_batch, reduce).
 * Owns: element sizes that include strings, the string deep-copy pass, reading index-typed
 * host inputs, TF-style dtype names. Does not own: any op semantics.
 * Thread-safety: pure functions. */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/array_shapes.h"
#include "core/kernel.h"

/* Bytes one element occupies in a tensor buffer (frt_string for strings). */
static inline size_t frt_array_elem_size(frt_dtype dt) {
    return dt == FRT_DTYPE_STRING ? sizeof(frt_string) : frt_dtype_size(dt);
}

/* Data-movement kernels move string elements as frt_string structs (shallow copies that
 * point into the input's bytes); this pass then gives every element of t its own bytes, so
 * the output's buffer owns what it frees. On OOM the not-yet-copied elements are cleared
 * (never freed twice) and RESOURCE_EXHAUSTED is returned. No-op for other dtypes. */
static inline frt_status *frt_array_own_strings(frt_tensor *t) {
    if (t->dtype != FRT_DTYPE_STRING) return NULL;
    frt_string *s = frt_tensor_strings(t);
    for (int64_t i = 0; i < t->n; i++) {
        if (!s[i].ptr) continue;
        char *p = frt_malloc(s[i].len + 1);
        if (!p) {
            for (int64_t j = i; j < t->n; j++) s[j] = (frt_string){0};
            return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory copying strings");
        }
        memcpy(p, s[i].ptr, s[i].len);
        p[s[i].len] = 0;
        s[i].ptr = p;
    }
    return NULL;
}

/* Checks that t holds int32 or int64 (index inputs: shapes, axes, paddings). */
static inline frt_status *frt_array_check_index(const frt_tensor *t, const char *what) {
    return frt_shape_check_index(t, what);
}

/* TensorFlow's DataTypeString spelling ("float", "int32"), used in TF-matching messages. */
static inline const char *frt_array_tf_type_name(frt_dtype dt) {
    switch (dt) {
    case FRT_DTYPE_FLOAT: return "float";
    case FRT_DTYPE_DOUBLE: return "double";
    case FRT_DTYPE_INT32: return "int32";
    case FRT_DTYPE_UINT8: return "uint8";
    case FRT_DTYPE_INT16: return "int16";
    case FRT_DTYPE_INT8: return "int8";
    case FRT_DTYPE_STRING: return "string";
    case FRT_DTYPE_COMPLEX64: return "complex64";
    case FRT_DTYPE_INT64: return "int64";
    case FRT_DTYPE_BOOL: return "bool";
    case FRT_DTYPE_QINT8: return "qint8";
    case FRT_DTYPE_QUINT8: return "quint8";
    case FRT_DTYPE_QINT32: return "qint32";
    case FRT_DTYPE_BFLOAT16: return "bfloat16";
    case FRT_DTYPE_QINT16: return "qint16";
    case FRT_DTYPE_QUINT16: return "quint16";
    case FRT_DTYPE_UINT16: return "uint16";
    case FRT_DTYPE_COMPLEX128: return "complex128";
    case FRT_DTYPE_HALF: return "half";
    case FRT_DTYPE_RESOURCE: return "resource";
    case FRT_DTYPE_VARIANT: return "variant";
    case FRT_DTYPE_UINT32: return "uint32";
    case FRT_DTYPE_UINT64: return "uint64";
    default: return "unknown";
    }
}

/* Element-count threshold above which copy loops are split over the thread pool. */
#define FRT_ARRAY_PARALLEL_BYTES (1 << 16)

/* Writes the es-byte element at elem into dst[0..n) by doubling memcpy (strings: shallow). */
static inline void frt_array_fill(void *dst, const void *elem, size_t es, int64_t n) {
    if (n <= 0) return;
    char *d = dst;
    memcpy(d, elem, es);
    size_t total = (size_t)n * es, done = es;
    while (done < total) {
        size_t k = done < total - done ? done : total - done;
        memcpy(d + done, d, k);
        done += k;
    }
}

/* Tiles src (dims in[0..ndim), row-major, es-byte elements) `mult[d]` times along each dim
 * into dst (dims in[d] * mult[d]): out[.., k, ..] = in[.., k mod in[d], ..]. Copies the
 * innermost rows and then replicates whole blocks with memcpy, so it serves Tile and
 * BroadcastTo (in[d] == 1, mult[d] = target). out_stride[d]: elements per output index of
 * dim d; in_stride likewise for src. No element may be zero-sized here (caller returns
 * early for empty outputs). */
static inline void frt_array_tile_rec(int d, int ndim, const int64_t *in, const int64_t *mult,
                                      const int64_t *in_stride, const int64_t *out_stride,
                                      size_t es, const char *src, char *dst) {
    int64_t D = in[d];
    size_t block;
    if (d == ndim - 1) {
        memcpy(dst, src, (size_t)D * es);
        block = (size_t)D * es;
    } else {
        for (int64_t k = 0; k < D; k++)
            frt_array_tile_rec(d + 1, ndim, in, mult, in_stride, out_stride, es,
                               src + (size_t)(k * in_stride[d]) * es,
                               dst + (size_t)(k * out_stride[d]) * es);
        block = (size_t)(D * out_stride[d]) * es;
    }
    size_t total = block * (size_t)mult[d], done = block;
    while (done < total) {
        size_t k = done < total - done ? done : total - done;
        memcpy(dst + done, dst, k);
        done += k;
    }
}

static inline void frt_array_tile(const void *src, void *dst, const int64_t *in,
                                  const int64_t *mult, int ndim, size_t es) {
    if (ndim == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t in_stride[FRT_MAX_DIMS], out_stride[FRT_MAX_DIMS];
    int64_t is = 1, os = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        in_stride[d] = is;
        out_stride[d] = os;
        is *= in[d];
        os *= in[d] * mult[d];
    }
    frt_array_tile_rec(0, ndim, in, mult, in_stride, out_stride, es, src, dst);
}

/* Output i = a zero-copy view of base with another shape (same element count). */
static inline frt_status *frt_array_set_view(frt_kernel_ctx *c, int i, const frt_tensor *base,
                                             const int64_t *dims, int ndim) {
    frt_tensor *v;
    FRT_TRY(frt_tensor_view(base, dims, ndim, &v));
    frt_kernel_set_output(c, i, v);
    frt_tensor_unref(v);
    return NULL;
}
