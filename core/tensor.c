/* core/tensor.c: tensor and buffer lifetime, views, string elements.
 * Owns: reference counting, element counts, shape printing. Does not own: allocation policy
 * (runtime/alloc_*.c). Thread-safety: atomic refcounts. */
#include "core/tensor.h"

#include "core/bfc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t frt_shape_num_elements(const int64_t *dims, int ndim) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0) return -1;
        if (dims[i] && n > INT64_MAX / dims[i]) return -1;
        n *= dims[i];
    }
    return n;
}

static frt_status *check_shape(frt_dtype dt, const int64_t *dims, int ndim, int64_t *n) {
    if (ndim < 0 || ndim > FRT_MAX_DIMS)
        return frt_status_new(FRT_INVALID_ARGUMENT, "rank %d is outside [0, %d]", ndim,
                              FRT_MAX_DIMS);
    if (!frt_dtype_is_valid(dt) || dt == FRT_DTYPE_INVALID)
        return frt_status_new(FRT_INVALID_ARGUMENT, "invalid dtype %d", (int)dt);
    *n = frt_shape_num_elements(dims, ndim);
    if (*n < 0) {
        char s[96];
        return frt_status_new(FRT_INVALID_ARGUMENT, "invalid shape %s",
                              frt_shape_str(dims, ndim, s, sizeof s));
    }
    size_t es = dt == FRT_DTYPE_STRING     ? sizeof(frt_string)
                : dt == FRT_DTYPE_RESOURCE ? sizeof(frt_resource *)
                                           : frt_dtype_size(dt);
    if (es && (uint64_t)*n > (uint64_t)(SIZE_MAX / 2) / es)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor too large");
    return NULL;
}

static frt_tensor *tensor_shell(frt_dtype dt, const int64_t *dims, int ndim, int64_t n) {
    frt_tensor *t = frt_calloc(1, sizeof *t);
    if (!t) return NULL;
    atomic_init(&t->refs, 1);
    t->dtype = dt;
    t->ndim = ndim;
    if (ndim) memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->n = n;
    return t;
}

static void buffer_unref(frt_buffer *b) {
    if (!b || atomic_fetch_sub(&b->refs, 1) != 1) return;
    if (b->n_strings > 0) {
        frt_string *s = b->data;
        for (int64_t i = 0; i < b->n_strings; i++) free(s[i].ptr);
    }
    if (b->n_resources > 0) {
        frt_resource **r = b->data;
        for (int64_t i = 0; i < b->n_resources; i++) frt_resource_unref(r[i]);
    }
    if (b->alloc) {
        b->alloc->free(b->alloc, b->data, b->size);
        frt_allocator_unref(b->alloc);
    } else if (b->release) {
        b->release(b->release_ctx, b->data, b->size);
    }
    free(b);
}

frt_status *frt_tensor_alloc(frt_allocator *a, frt_dtype dt, const int64_t *dims, int ndim,
                             frt_tensor **out) {
    *out = NULL;
    int64_t n = 0;
    FRT_TRY(check_shape(dt, dims, ndim, &n));
    if (dt == FRT_DTYPE_VARIANT)
        return frt_status_new(FRT_UNIMPLEMENTED, "cannot allocate %s tensors",
                              frt_dtype_name(dt));
    bool str = dt == FRT_DTYPE_STRING, res = dt == FRT_DTYPE_RESOURCE;
    size_t bytes = (size_t)n * (str ? sizeof(frt_string)
                                : res ? sizeof(frt_resource *) : frt_dtype_size(dt));
    if ((str || res) && !frt_mem_is_host(a->space))
        return frt_status_new(FRT_INTERNAL, "%s tensors live in host memory, not on %s",
                              frt_dtype_name(dt), a->name);
    frt_tensor *t = tensor_shell(dt, dims, ndim, n);
    if (!t) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    if (bytes) {
        frt_buffer *b = frt_calloc(1, sizeof *b);
        void *p = b ? a->alloc(a, bytes) : NULL;
        if (!p) {
            free(b);
            free(t);
            char s[96], state[192];
            frt_bfc_describe(a, state, sizeof state);
            return frt_status_new(FRT_RESOURCE_EXHAUSTED,
                                  "OOM allocating %s tensor with shape %s (%zu bytes) on %s: %s",
                                  frt_dtype_name(dt), frt_shape_str(dims, ndim, s, sizeof s),
                                  bytes, a->name, state);
        }
        atomic_init(&b->refs, 1);
        b->data = p;
        b->size = bytes;
        b->alloc = frt_allocator_ref(a);
        b->space = a->space;
        if (str || res) memset(p, 0, bytes);
        if (str) b->n_strings = n;
        if (res) b->n_resources = n;
        t->buf = b;
    }
    *out = t;
    return NULL;
}

frt_status *frt_tensor_wrap(frt_dtype dt, const int64_t *dims, int ndim, void *data,
                            size_t size, void (*release)(void *, void *, size_t), void *ctx,
                            frt_tensor **out) {
    *out = NULL;
    int64_t n = 0;
    FRT_TRY(check_shape(dt, dims, ndim, &n));
    if (frt_dtype_size(dt) == 0 || (size_t)n * frt_dtype_size(dt) > size)
        return frt_status_new(FRT_INVALID_ARGUMENT, "cannot wrap %zu bytes as %s tensor",
                              size, frt_dtype_name(dt));
    frt_tensor *t = tensor_shell(dt, dims, ndim, n);
    frt_buffer *b = frt_calloc(1, sizeof *b);
    if (!t || !b) {
        free(t);
        free(b);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    }
    atomic_init(&b->refs, 1);
    b->data = data;
    b->size = size;
    b->release = release;
    b->release_ctx = ctx;
    t->buf = b;
    *out = t;
    return NULL;
}

frt_status *frt_tensor_view(const frt_tensor *base, const int64_t *dims, int ndim,
                            frt_tensor **out) {
    *out = NULL;
    if (base->splat)
        return frt_status_new(FRT_INTERNAL, "cannot view a splat tensor (materialise it first)");
    int64_t n = 0;
    FRT_TRY(check_shape(base->dtype, dims, ndim, &n));
    if (n != base->n) {
        char a[96], b[96];
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "cannot view tensor of shape %s (%lld elements) as %s",
                              frt_shape_str(base->dims, base->ndim, a, sizeof a), (long long)base->n,
                              frt_shape_str(dims, ndim, b, sizeof b));
    }
    frt_tensor *t = tensor_shell(base->dtype, dims, ndim, n);
    if (!t) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    t->buf = base->buf;
    t->offset = base->offset;
    if (t->buf) atomic_fetch_add(&t->buf->refs, 1);
    *out = t;
    return NULL;
}

frt_status *frt_tensor_splat_new(frt_dtype dt, const int64_t *dims, int ndim, int64_t stored,
                                 frt_tensor **out) {
    *out = NULL;
    int64_t n = 0;
    FRT_TRY(check_shape(dt, dims, ndim, &n));
    if (stored < 1) stored = 1;
    if (stored >= n) return frt_tensor_new(dt, dims, ndim, out); /* nothing left to repeat */
    frt_tensor *t;
    FRT_TRY(frt_tensor_new(dt, &stored, 1, &t)); /* the stored elements */
    t->ndim = ndim;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->n = n;
    t->splat = true;
    *out = t;
    return NULL;
}

/* Elements a splat stores (its buffer's); every later element repeats the last of them. */
static int64_t splat_stored(const frt_tensor *t) {
    if (!t->splat) return t->n;
    if (t->dtype == FRT_DTYPE_STRING) return t->buf->n_strings;
    return (int64_t)(t->buf->size / frt_dtype_size(t->dtype));
}

frt_status *frt_tensor_materialize(const frt_tensor *t, frt_allocator *a, frt_tensor **out) {
    *out = NULL;
    if (!t->splat) {
        *out = frt_tensor_ref((frt_tensor *)t);
        return NULL;
    }
    frt_tensor *m;
    FRT_TRY(frt_tensor_alloc(a, t->dtype, t->dims, t->ndim, &m));
    int64_t k = splat_stored(t);
    if (t->dtype == FRT_DTYPE_STRING) {
        for (int64_t i = 0; i < m->n; i++) {
            size_t len;
            const char *s = frt_tensor_string(t, i, &len);
            frt_status *st = frt_tensor_set_string(m, i, s, len);
            if (st) {
                frt_tensor_unref(m);
                return st;
            }
        }
    } else {
        /* the stored elements, then copies of the last one, doubling what is filled */
        size_t es = frt_dtype_size(t->dtype), total = (size_t)m->n * es;
        char *d = frt_tensor_data(m);
        memcpy(d, frt_tensor_data(t), (size_t)k * es);
        char *last = d + (size_t)(k - 1) * es;
        size_t need = total - (size_t)(k - 1) * es;
        for (size_t have = es; have < need;) {
            size_t c = have < need - have ? have : need - have;
            memcpy(last + have, last, c);
            have += c;
        }
    }
    *out = m;
    return NULL;
}

int frt_tensor_is_splat(const frt_tensor *t) { return t && t->splat; }
int64_t frt_tensor_num_stored(const frt_tensor *t) { return splat_stored(t); }

bool frt_tensor_is_exclusive(const frt_tensor *t) {
    return atomic_load(&((frt_tensor *)t)->refs) == 1 &&
           (!t->buf || (atomic_load(&t->buf->refs) == 1 && t->buf->alloc != NULL));
}

/* ---- public API ---- */

frt_status *frt_tensor_new(frt_dtype dt, const int64_t *dims, int ndim, frt_tensor **out) {
    FRT_TRY(frt_tensor_alloc(frt_cpu_allocator_default(), dt, dims, ndim, out));
    if ((*out)->buf) memset((*out)->buf->data, 0, (*out)->buf->size);
    return NULL;
}

frt_status *frt_tensor_new_copy(frt_dtype dt, const int64_t *dims, int ndim, const void *data,
                                size_t nbytes, frt_tensor **out) {
    *out = NULL;
    if (frt_dtype_size(dt) == 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "frt_tensor_new_copy: not for %s tensors",
                              frt_dtype_name(dt));
    frt_tensor *t;
    FRT_TRY(frt_tensor_alloc(frt_cpu_allocator_default(), dt, dims, ndim, &t));
    if (frt_tensor_nbytes(t) != nbytes) {
        size_t want = frt_tensor_nbytes(t);
        frt_tensor_unref(t);
        return frt_status_new(FRT_INVALID_ARGUMENT, "expected %zu bytes of data, got %zu", want,
                              nbytes);
    }
    if (nbytes) memcpy(frt_tensor_data(t), data, nbytes);
    *out = t;
    return NULL;
}

frt_tensor *frt_tensor_ref(frt_tensor *t) {
    if (t) atomic_fetch_add(&t->refs, 1);
    return t;
}

void frt_tensor_unref(frt_tensor *t) {
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1) return;
    buffer_unref(t->buf);
    free(t);
}

frt_dtype frt_tensor_dtype(const frt_tensor *t) { return t->dtype; }
int frt_tensor_ndim(const frt_tensor *t) { return t->ndim; }
int64_t frt_tensor_dim(const frt_tensor *t, int i) {
    return i >= 0 && i < t->ndim ? t->dims[i] : 0;
}
int64_t frt_tensor_num_elements(const frt_tensor *t) { return t->n; }
size_t frt_tensor_nbytes(const frt_tensor *t) {
    return (size_t)t->n * frt_dtype_size(t->dtype); /* 0 for string and resource */
}
void *frt_tensor_data(const frt_tensor *t) {
    if (!t->buf) return NULL;
    FRT_ASSERT(frt_mem_is_host(t->buf->space) && "host code read a device tensor's bytes");
    return (char *)t->buf->data + t->offset;
}

void *frt_tensor_device_ptr(const frt_tensor *t) {
    return t->buf ? (char *)t->buf->data + t->offset : NULL;
}

int frt_tensor_space(const frt_tensor *t) { return t->buf ? t->buf->space : FRT_MEM_HOST; }

const char *frt_tensor_string(const frt_tensor *t, int64_t i, size_t *len) {
    if (t->dtype != FRT_DTYPE_STRING || i < 0 || i >= t->n) {
        if (len) *len = 0;
        return NULL;
    }
    if (t->splat && i >= splat_stored(t)) i = splat_stored(t) - 1;
    frt_string *s = frt_tensor_strings(t) + i;
    if (len) *len = s->len;
    return s->ptr ? s->ptr : "";
}

frt_status *frt_tensor_set_string(frt_tensor *t, int64_t i, const char *s, size_t len) {
    if (t->dtype != FRT_DTYPE_STRING)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor is %s, not string",
                              frt_dtype_name(t->dtype));
    if (i < 0 || i >= splat_stored(t))
        return frt_status_new(FRT_OUT_OF_RANGE, "string index %lld out of range [0, %lld)",
                              (long long)i, (long long)splat_stored(t));
    char *p = len < SIZE_MAX ? frt_malloc(len + 1) : NULL;
    if (!p) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    if (len) memcpy(p, s, len);
    p[len] = 0;
    frt_string *e = frt_tensor_strings(t) + i;
    free(e->ptr);
    e->ptr = p;
    e->len = len;
    return NULL;
}

char *frt_shape_str(const int64_t *dims, int ndim, char *buf, size_t n) {
    size_t k = 0;
    if (n == 0) return buf;
    buf[0] = 0;
    k += (size_t)snprintf(buf + k, n - k, "[");
    for (int i = 0; i < ndim && k < n; i++)
        k += (size_t)snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
    return buf;
}

bool frt_tensor_same_shape(const frt_tensor *a, const frt_tensor *b) {
    if (a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

int64_t frt_tensor_int_at(const frt_tensor *t, int64_t i) {
    if (t->splat && i >= splat_stored(t)) i = splat_stored(t) - 1;
    if (t->dtype == FRT_DTYPE_INT64) return frt_tensor_i64(t)[i];
    return frt_tensor_i32(t)[i];
}
