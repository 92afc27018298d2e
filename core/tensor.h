/* core/tensor.h: tensors and their reference-counted buffers (internal view).
 * A tensor owns one reference to a buffer; views (Reshape, Identity) share the buffer.
 * Buffers come from an allocator or wrap external memory (mmap'd files, decoded protos).
 * Thread-safety: refcounts are atomic; contents are immutable once published. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/alloc.h"
#include "core/dtype.h"
#include "core/status.h"

/* A reference-counted object a DT_RESOURCE tensor element points to (a variable, later a
 * lookup table). The tensor's buffer owns one reference per non-NULL element. */
typedef struct frt_resource {
    atomic_int refs;
    void (*destroy)(struct frt_resource *r);
} frt_resource;
static inline frt_resource *frt_resource_ref(frt_resource *r) {
    if (r) atomic_fetch_add(&r->refs, 1);
    return r;
}
static inline void frt_resource_unref(frt_resource *r) {
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) r->destroy(r);
}

typedef struct frt_buffer {
    atomic_int refs;
    void *data;                  /* in memory space `space`: host code may touch it only
                                  * when that is FRT_MEM_HOST (frt_tensor_data asserts it) */
    size_t size;
    int space;                   /* the allocator's; wrapped memory is host memory */
    int64_t n_strings;           /* > 0: data is frt_string[n_strings], each ptr owned */
    int64_t n_resources;         /* > 0: data is frt_resource *[n_resources], each ref owned */
    frt_allocator *alloc;        /* non-NULL: alloc->free(alloc, data, size) on release */
    void (*release)(void *ctx, void *data, size_t size); /* external memory */
    void *release_ctx;
} frt_buffer;

struct frt_tensor {
    atomic_int refs;
    frt_dtype dtype;
    int ndim;
    bool splat;                  /* only a prefix is stored, the last of it repeats:
                                  * see frt_tensor_splat_new */
    int64_t dims[FRT_MAX_DIMS];
    int64_t n;                   /* number of elements */
    frt_buffer *buf;             /* NULL only when the tensor has no bytes */
    size_t offset;               /* byte offset of element 0 in buf */
};

/* Element count of dims, or -1 if a dim is negative or the product overflows. */
int64_t frt_shape_num_elements(const int64_t *dims, int ndim);

/* Uninitialised tensor from allocator a (zeroed/empty strings for FRT_DTYPE_STRING).
 * RESOURCE_EXHAUSTED when a cannot meet the request. */
FRT_MUST_USE frt_status *frt_tensor_alloc(frt_allocator *a, frt_dtype dt, const int64_t *dims,
                                          int ndim, frt_tensor **out);
/* Wraps external memory; release(ctx, data, size) runs when the last reference goes. */
FRT_MUST_USE frt_status *frt_tensor_wrap(frt_dtype dt, const int64_t *dims, int ndim,
                                         void *data, size_t size,
                                         void (*release)(void *, void *, size_t), void *ctx,
                                         frt_tensor **out);
/* A splat: a tensor of shape dims (n elements) of which only the first `stored` (>= 1) are
 * kept, every later element repeating the last kept one: what a TensorProto with fewer
 * values than elements describes (TF's compressed protos, io/tensor_proto.c). The kept
 * elements are allocated zeroed (empty strings): write them through frt_tensor_data or
 * frt_tensor_set_string. dtype, dims, n and frt_tensor_nbytes are the declared ones, but
 * the data holds only `stored` elements, so a splat must never reach a kernel:
 * frt_attr_get_tensor hides it and the Const kernel materialises it. stored >= n gives an
 * ordinary zeroed tensor. */
FRT_MUST_USE frt_status *frt_tensor_splat_new(frt_dtype dt, const int64_t *dims, int ndim,
                                              int64_t stored, frt_tensor **out);
/* Elements t stores: n, or a splat's kept prefix. */
int64_t frt_tensor_num_stored(const frt_tensor *t);
/* A new reference to t when it is not a splat; otherwise a new tensor from allocator a with
 * every element set to the splat's value (RESOURCE_EXHAUSTED when a refuses the size). */
FRT_MUST_USE frt_status *frt_tensor_materialize(const frt_tensor *t, frt_allocator *a,
                                                frt_tensor **out);
/* A tensor sharing base's bytes with another shape (same element count) and/or dtype of
 * the same size. */
FRT_MUST_USE frt_status *frt_tensor_view(const frt_tensor *base, const int64_t *dims, int ndim,
                                         frt_tensor **out);
/* True when t holds the only reference to its bytes, so a kernel may write into it. */
bool frt_tensor_is_exclusive(const frt_tensor *t);
/* "[2,3]" (writes at most n bytes); returns buf. */
char *frt_shape_str(const int64_t *dims, int ndim, char *buf, size_t n);
#define FRT_SHAPE_STR(t) frt_shape_str((t)->dims, (t)->ndim, (char[96]){0}, 96)
bool frt_tensor_same_shape(const frt_tensor *a, const frt_tensor *b);

static inline float *frt_tensor_f32(const frt_tensor *t) { return (float *)frt_tensor_data(t); }
static inline int32_t *frt_tensor_i32(const frt_tensor *t) { return (int32_t *)frt_tensor_data(t); }
static inline int64_t *frt_tensor_i64(const frt_tensor *t) { return (int64_t *)frt_tensor_data(t); }
static inline frt_string *frt_tensor_strings(const frt_tensor *t) {
    return (frt_string *)frt_tensor_data(t);
}
/* Elements of a DT_RESOURCE tensor (NULL-initialised; set with frt_resource_ref'd values). */
static inline frt_resource **frt_tensor_resources(const frt_tensor *t) {
    return (frt_resource **)frt_tensor_data(t);
}
/* The bytes of t wherever they live (device memory included): for copies and device
 * kernels, never for host code to dereference. frt_tensor_data is the host accessor and
 * asserts that t is in host memory. Strings and resources are host-only: allocating them
 * from a device allocator is an INTERNAL error. */
void *frt_tensor_device_ptr(const frt_tensor *t);
/* FRT_MEM_HOST or FRT_MEM_DEVICE(i) (core/alloc.h). */
int frt_tensor_space(const frt_tensor *t);

/* Integer tensor element i (int32 or int64) as int64. */
int64_t frt_tensor_int_at(const frt_tensor *t, int64_t i);
