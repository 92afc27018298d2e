/* io/bundle.c: V2 checkpoint bundles (formats.md §4) — reader, writer, merge.
 * Owns: header/entry decoding, data shard access (by default pread into tensors that own
 * their bytes, so a shard truncated or rewritten later cannot fault them; with
 * FRT_BUNDLE_ZERO_COPY a lazy mmap shared with the tensors that wrap it), per-tensor
 * checksums (numeric and DT_STRING records) and the process-global switch that turns them
 * off for fuzzers, partitioned tensors and their OrderedCode slice keys, slices for
 * RestoreV2, the writer's data and index files, and MergeV2Checkpoints' merge. Does not
 * own: the table format (io/sstable.c), CRC arithmetic (io/crc32c.c), `checkpoint` state
 * files (io/checkpoint.c), kernels (io/checkpoint_ops.c).
 * Thread-safety: see io/bundle.h. */
#include "io/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/crc32c.h"
#include "io/file.h"
#include "io/pb_alloc.h"
#include "io/proto/tensor_bundle.pb-c.h"
#include "io/sstable.h"

/* TF's kTensorBundleVersion: the producer we write and the newest consumer we are. */
#define BUNDLE_VERSION 1

/* ---- entries ---- */

typedef struct slice {
    int64_t start[FRT_MAX_DIMS], len[FRT_MAX_DIMS]; /* len -1: the whole dimension */
} slice;

typedef struct entry {
    uint8_t *key;       /* NUL-terminated copy too (slice keys may hold NULs: use klen) */
    size_t klen;
    frt_dtype dtype;
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    int shard;
    uint64_t off, size;
    uint32_t crc;       /* masked, as stored */
    int nslices;
    slice *slices;
} entry;

static void entry_deinit(entry *e) {
    free(e->key);
    free(e->slices);
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

static int entry_cmp(const void *x, const void *y) {
    const entry *a = x, *b = y;
    return key_cmp(a->key, a->klen, b->key, b->klen);
}

/* File names of a prefix's shards and index: NULL when out of memory. */
static char *data_path(const char *prefix, int shard, int n) {
    size_t len = strlen(prefix) + 40;
    char *p = frt_malloc(len);
    if (p) snprintf(p, len, "%s.data-%05d-of-%05d", prefix, shard, n);
    return p;
}

static char *index_path(const char *prefix) {
    size_t len = strlen(prefix) + 8;
    char *p = frt_malloc(len);
    if (p) snprintf(p, len, "%s.index", prefix);
    return p;
}

/* Printable form of a key for messages (slice keys are binary). */
static const char *key_str(const entry *e) {
    return (e->klen && e->key[0] == 0) ? "<slice key>" : (const char *)e->key;
}

/* Decodes one BundleEntryProto value. */
static frt_status *entry_decode(const char *file, const uint8_t *key, size_t klen,
                                const uint8_t *val, size_t vlen, entry *e) {
    memset(e, 0, sizeof *e);
    frt_pb_alloc pa;
    frt_pb_alloc_init(&pa);
    Tensorflow__BundleEntryProto *p = tensorflow__bundle_entry_proto__unpack(&pa.base, vlen, val);
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(klen && key[0] == 0 ? 0 : klen), (const char *)key);
    if (!p && pa.failed)
        return frt_status_oom("decoding the entry for tensor '%s' in '%s'", name, file);
    if (!p)
        return frt_status_new(FRT_DATA_LOSS, "bad entry for tensor '%s' in '%s'", name, file);
    frt_status *st = NULL;
    e->dtype = (frt_dtype)p->dtype;
    e->shard = p->shard_id;
    e->off = (uint64_t)p->offset;
    e->size = (uint64_t)p->size;
    e->crc = p->crc32c;
    if (!frt_dtype_is_valid(p->dtype) || p->dtype > 100)
        st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has invalid dtype %d", name,
                            file, (int)p->dtype);
    else if (p->offset < 0 || p->size < 0 || p->shard_id < 0)
        st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has a negative offset/size",
                            name, file);
    if (!st && p->shape) {
        if (p->shape->unknown_rank || p->shape->n_dim > FRT_MAX_DIMS)
            st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has an unsupported shape",
                                name, file);
        else {
            e->ndim = (int)p->shape->n_dim;
            for (int d = 0; d < e->ndim && !st; d++) {
                e->dims[d] = p->shape->dim[d]->size;
                if (e->dims[d] < 0)
                    st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has a negative dim",
                                        name, file);
            }
            if (!st && frt_shape_num_elements(e->dims, e->ndim) < 0)
                st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' is too large", name,
                                    file);
        }
    }
    if (!st && p->n_slices) {
        e->slices = frt_calloc(p->n_slices, sizeof *e->slices);
        e->nslices = e->slices ? (int)p->n_slices : 0;
        if (!e->slices) st = frt_status_oom("reading the slices of tensor '%s'", name);
        for (size_t s = 0; s < p->n_slices && !st; s++) {
            const Tensorflow__TensorSliceProto *sp = p->slices[s];
            if ((int)sp->n_extent != e->ndim) {
                st = frt_status_new(FRT_DATA_LOSS, "slice %zu of tensor '%s' in '%s' has rank "
                                    "%zu, the tensor %d", s, name, file, sp->n_extent, e->ndim);
                break;
            }
            for (int d = 0; d < e->ndim && !st; d++) {
                const Tensorflow__TensorSliceProto__Extent *x = sp->extent[d];
                bool has = x->has_length_case ==
                           TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
                e->slices[s].start[d] = has ? x->start : 0;
                e->slices[s].len[d] = has ? x->length : -1;
                if (has && (x->start < 0 || x->length < 0 || x->start > e->dims[d] ||
                            x->length > e->dims[d] - x->start))
                    st = frt_status_new(FRT_DATA_LOSS, "slice %zu of tensor '%s' in '%s' lies "
                                        "outside its shape", s, name, file);
            }
        }
    }
    tensorflow__bundle_entry_proto__free_unpacked(p, NULL);
    if (st) {
        entry_deinit(e);
        return st;
    }
    e->key = frt_malloc(klen + 1);
    if (!e->key) {
        entry_deinit(e);
        return frt_status_oom("reading the entry for tensor '%s' in '%s'", name, file);
    }
    memcpy(e->key, key, klen);
    e->key[klen] = 0;
    e->klen = klen;
    return NULL;
}

/* Serialises e (as TF's BundleWriter would: shape always present, defaults omitted). */
static void entry_encode(const entry *e, frt_bytes *out) {
    Tensorflow__BundleEntryProto p = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    Tensorflow__TensorShapeProto__Dim dims[FRT_MAX_DIMS], *dimp[FRT_MAX_DIMS];
    for (int d = 0; d < e->ndim; d++) {
        dims[d] = (Tensorflow__TensorShapeProto__Dim)TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT;
        dims[d].size = e->dims[d];
        dimp[d] = &dims[d];
    }
    shape.n_dim = (size_t)e->ndim;
    shape.dim = dimp;
    p.dtype = (Tensorflow__DataType)e->dtype;
    p.shape = &shape;
    p.shard_id = e->shard;
    p.offset = (int64_t)e->off;
    p.size = (int64_t)e->size;
    p.crc32c = e->crc;
    int ns = e->nslices;
    Tensorflow__TensorSliceProto *sl = ns ? frt_xcalloc((size_t)ns, sizeof *sl) : NULL;
    Tensorflow__TensorSliceProto **slp = ns ? frt_xcalloc((size_t)ns, sizeof *slp) : NULL;
    Tensorflow__TensorSliceProto__Extent *ex =
        ns ? frt_xcalloc((size_t)ns * (size_t)(e->ndim ? e->ndim : 1), sizeof *ex) : NULL;
    Tensorflow__TensorSliceProto__Extent **exp =
        ns ? frt_xcalloc((size_t)ns * (size_t)(e->ndim ? e->ndim : 1), sizeof *exp) : NULL;
    for (int s = 0; s < ns; s++) {
        sl[s] = (Tensorflow__TensorSliceProto)TENSORFLOW__TENSOR_SLICE_PROTO__INIT;
        sl[s].n_extent = (size_t)e->ndim;
        sl[s].extent = exp + (size_t)s * (size_t)e->ndim;
        for (int d = 0; d < e->ndim; d++) {
            Tensorflow__TensorSliceProto__Extent *x = &ex[(size_t)s * (size_t)e->ndim + (size_t)d];
            *x = (Tensorflow__TensorSliceProto__Extent)TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__INIT;
            if (e->slices[s].len[d] >= 0) {
                x->start = e->slices[s].start[d];
                x->has_length_case = TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
                x->length = e->slices[s].len[d];
            }
            sl[s].extent[d] = x;
        }
        slp[s] = &sl[s];
    }
    p.n_slices = (size_t)ns;
    p.slices = slp;
    size_t n = tensorflow__bundle_entry_proto__get_packed_size(&p);
    uint8_t *buf = frt_xmalloc(n);
    tensorflow__bundle_entry_proto__pack(&p, buf);
    frt_bytes_append(out, buf, n);
    free(buf);
    free(sl);
    free(slp);
    free(ex);
    free(exp);
}

/* ---- OrderedCode slice keys (tensorflow/core/lib/strings/ordered_code.cc) ---- */

/* The encoders return false when out of memory (b keeps what was appended before). */
static bool oc_num_increasing(frt_bytes *b, uint64_t v) {
    uint8_t buf[9];
    int n = 0;
    for (uint64_t x = v; x; x >>= 8) n++;
    buf[0] = (uint8_t)n;
    for (int i = 0; i < n; i++) buf[1 + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return frt_bytes_try_append(b, buf, (size_t)n + 1);
}

static bool oc_string(frt_bytes *b, const char *s) {
    for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
        uint8_t esc[2] = {*p, *p == 0xff ? 0x00 : 0xff};
        if (!frt_bytes_try_append(b, esc, *p == 0xff ? 2 : 1)) return false;
    }
    /* A C name holds no NUL, so only 0xFF needs escaping (as FF 00). */
    static const uint8_t term[2] = {0x00, 0x01};
    return frt_bytes_try_append(b, term, 2);
}

static bool oc_signed_increasing(frt_bytes *b, int64_t v) {
    uint64_t x = v < 0 ? ~(uint64_t)v : (uint64_t)v;
    if (x < 64) {
        uint8_t c = (uint8_t)(0x80 ^ (uint8_t)v);
        return frt_bytes_try_append(b, &c, 1);
    }
    static const uint8_t head[11][2] = {{0, 0},       {0, 0},       {0xc0, 0},    {0xe0, 0},
                                        {0xf0, 0},    {0xf8, 0},    {0xfc, 0},    {0xfe, 0},
                                        {0xff, 0},    {0xff, 0x80}, {0xff, 0xc0}};
    int bits = 0;
    for (uint64_t t = x; t; t >>= 1) bits++;
    int n = (bits + 7) / 7;
    uint8_t be[10];
    for (int i = 0; i < 10; i++) {
        int shift = 8 * (9 - i);
        be[i] = shift >= 64 ? (v < 0 ? 0xff : 0) : (uint8_t)((uint64_t)v >> shift);
    }
    uint8_t *o = be + 10 - n;
    o[0] ^= head[n][0];
    o[1] ^= head[n][1];
    return frt_bytes_try_append(b, o, (size_t)n);
}

bool frt_bundle_slice_key(const char *name, int ndim, const int64_t *start, const int64_t *len,
                          uint8_t **key, size_t *klen) {
    frt_bytes b = {0};
    bool ok = oc_num_increasing(&b, 0) && oc_string(&b, name) &&
              oc_num_increasing(&b, (uint64_t)ndim);
    for (int d = 0; ok && d < ndim; d++) {
        bool full = len[d] < 0;
        ok = oc_signed_increasing(&b, full ? 0 : start[d]) &&
             oc_signed_increasing(&b, full ? -1 : len[d]);
    }
    if (!ok) {
        free(b.p);
        b.p = NULL;
        b.n = 0;
    }
    *key = b.p;
    *klen = b.n;
    return ok;
}

/* ---- shape_and_slices specs ---- */

/* start/len: the extent per dimension; whole[d] (may be NULL) says it was written "-". */
static frt_status *parse_spec(const char *spec, int *ndim, int64_t *full, int64_t *start,
                              int64_t *len, bool *whole) {
    char *copy = frt_strdup(spec), *save = NULL, *tok[FRT_MAX_DIMS + 2];
    if (!copy) return frt_status_oom("parsing shape_and_slice '%s'", spec);
    int nt = 0;
    frt_status *st = NULL;
    for (char *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        if (nt == FRT_MAX_DIMS + 1) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "shape_and_slice '%s' has too many dims",
                                spec);
            goto done;
        }
        tok[nt++] = t;
    }
    if (nt < 2) {
        st = frt_status_new(FRT_INVALID_ARGUMENT, "malformed shape_and_slice '%s': expected "
                            "\"d0 d1 ... slice\"", spec);
        goto done;
    }
    *ndim = nt - 1;
    for (int d = 0; d < *ndim; d++) {
        char *end;
        errno = 0;
        long long v = strtoll(tok[d], &end, 10);
        if (*end || errno || v < 0) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "malformed shape_and_slice '%s': bad "
                                "dimension '%s'", spec, tok[d]);
            goto done;
        }
        full[d] = v;
    }
    char *s = tok[nt - 1];
    for (int d = 0; d < *ndim; d++) {
        char *part = s, *colon = strchr(s, ':');
        if ((colon == NULL) != (d == *ndim - 1)) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "malformed shape_and_slice '%s': the "
                                "slice needs %d ':'-separated extents", spec, *ndim);
            goto done;
        }
        if (colon) *colon = 0;
        s = colon ? colon + 1 : s;
        if (whole) whole[d] = strcmp(part, "-") == 0;
        if (strcmp(part, "-") == 0) {
            start[d] = 0;
            len[d] = full[d];
            continue;
        }
        char *e1, *e2;
        errno = 0;
        long long a = strtoll(part, &e1, 10);
        long long l = (*e1 == ',') ? strtoll(e1 + 1, &e2, 10) : -1;
        if (*e1 != ',' || *e2 || errno || a < 0 || l < 0 || a > full[d] || l > full[d] - a) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "malformed shape_and_slice '%s': bad "
                                "extent '%s' for dimension %d of size %lld", spec, part, d,
                                (long long)full[d]);
            goto done;
        }
        start[d] = a;
        len[d] = l;
    }
done:
    free(copy);
    return st;
}

/* ---- CRC switch (for fuzzers and tests: see bundle.h) ---- */

static atomic_bool verify_crc = true;

void frt_bundle_set_verify_crc_for_fuzzing(bool on) {
    atomic_store_explicit(&verify_crc, on, memory_order_relaxed);
    frt_sstable_set_verify_crc_for_fuzzing(on);
}

static bool verifying(void) { return atomic_load_explicit(&verify_crc, memory_order_relaxed); }

/* ---- data shards: the reader's open files, or mappings shared with the tensors that wrap
 * them (zero-copy readers) ---- */

typedef struct mapping {
    atomic_int refs;
    int fd;             /* the open shard (owned reads); -1 once mapped */
    uint8_t *addr;      /* zero-copy readers: the whole shard, NULL when empty */
    size_t len;         /* the shard's size when opened */
    char *path;
} mapping;

static void mapping_unref(mapping *m) {
    if (m && atomic_fetch_sub(&m->refs, 1) == 1) {
        if (m->fd >= 0) close(m->fd);
        if (m->addr) munmap(m->addr, m->len);
        free(m->path);
        free(m);
    }
}

static void release_mapping(void *ctx, void *data, size_t size) {
    (void)data;
    (void)size;
    mapping_unref(ctx);
}

static frt_status *map_file(const char *path, mapping **out) {
    int fd;
    uint64_t size;
    /* io/file.c: a named pipe fails at once instead of blocking, a device is refused. */
    FRT_TRY(frt_file_open(path, "checkpoint data", &fd, &size));
    mapping *m = frt_calloc(1, sizeof *m);
    char *p = frt_strdup(path);
    if (!m || !p) {
        free(m);
        free(p);
        close(fd);
        return frt_status_oom("opening checkpoint data '%s'", path);
    }
    atomic_init(&m->refs, 1);
    m->len = (size_t)size;
    m->path = p;
    m->fd = fd;
    *out = m;
    return NULL;
}

/* Zero-copy readers: maps the opened shard m (read-only, private) and closes its file. A
 * mapping faults (SIGBUS) where the file is later truncated: the hazard the caller took. */
static frt_status *map_shard(mapping *m) {
    if (m->len) {
        void *a = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, m->fd, 0);
        if (a == MAP_FAILED)
            return frt_status_new(FRT_UNKNOWN, "cannot mmap '%s': %s", m->path,
                                  strerror(errno));
        m->addr = a;
    }
    close(m->fd);
    m->fd = -1;
    return NULL;
}

/* ---- reader ---- */

struct frt_bundle {
    char *prefix, *index;
    int num_shards;
    entry *e;           /* every key but the header, in key order */
    int ne;
    int *pub;           /* indices into e of listed tensors */
    int npub;
    bool zero_copy;     /* FRT_BUNDLE_ZERO_COPY: tensors alias mapped shards */
    pthread_mutex_t mu; /* guards maps */
    /* Data shards mapped so far, in the order first used. Not an array of num_shards
     * slots: num_shards comes from the (untrusted) header, up to INT32_MAX. */
    struct shard_map {
        int shard;
        mapping *m;
    } *maps;
    int nmaps, capmaps;
};

/* TF falls back to its V1 reader when there is no .index: say what the files are. */
static frt_status *missing_index(const char *prefix, const char *ipath) {
    size_t n = strlen(prefix) + 32;
    char *pat = frt_malloc(n);
    if (!pat) return frt_status_oom("looking for checkpoint '%s'", prefix);
    snprintf(pat, n, "%s-\?\?\?\?\?-of-\?\?\?\?\?", prefix);
    glob_t g;
    bool v1 = frt_sstable_file_has_magic(prefix);
    if (!v1 && glob(pat, 0, NULL, &g) == 0) {
        v1 = g.gl_pathc > 0 && frt_sstable_file_has_magic(g.gl_pathv[0]);
        globfree(&g);
    }
    free(pat);
    const char *kind = frt_file_kind(prefix);
    if (!v1 && kind)
        return frt_status_new(FRT_NOT_FOUND, "checkpoint index '%s' not found, and '%s' is %s, "
                              "not a checkpoint prefix", ipath, prefix, kind);
    if (v1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "checkpoint '%s' uses the deprecated TF1 V1 format "
                              "(SaverDef.version=0/1), which is not supported; re-save it with "
                              "TensorFlow as a V2 checkpoint", prefix);
    return frt_status_new(FRT_NOT_FOUND, "checkpoint index '%s' not found", ipath);
}

static frt_status *check_header(const char *file, const uint8_t *val, size_t vlen,
                                int *num_shards) {
    frt_pb_alloc pa;
    frt_pb_alloc_init(&pa);
    Tensorflow__BundleHeaderProto *h = tensorflow__bundle_header_proto__unpack(&pa.base, vlen, val);
    if (!h && pa.failed) return frt_status_oom("decoding the bundle header of '%s'", file);
    if (!h) return frt_status_new(FRT_DATA_LOSS, "bad bundle header in '%s'", file);
    frt_status *st = NULL;
    if (h->endianness != TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__LITTLE)
        st = frt_status_new(FRT_UNIMPLEMENTED, "checkpoint '%s' was written on a big-endian "
                            "host; big-endian checkpoints are not supported", file);
    else if (h->version && (h->version->producer < 0 ||
                            h->version->min_consumer > BUNDLE_VERSION))
        st = frt_status_new(FRT_UNIMPLEMENTED, "checkpoint '%s' needs bundle version >= %d "
                            "(producer %d); this reader supports version %d", file,
                            h->version->min_consumer, h->version->producer, BUNDLE_VERSION);
    else if (h->num_shards < 1)
        st = frt_status_new(FRT_DATA_LOSS, "bundle header in '%s' has num_shards %d", file,
                            h->num_shards);
    if (!st && h->version)
        for (size_t i = 0; i < h->version->n_bad_consumers; i++)
            if (h->version->bad_consumers[i] == BUNDLE_VERSION)
                st = frt_status_new(FRT_UNIMPLEMENTED, "checkpoint '%s' disallows readers of "
                                    "bundle version %d", file, BUNDLE_VERSION);
    if (!st) *num_shards = h->num_shards;
    tensorflow__bundle_header_proto__free_unpacked(h, NULL);
    return st;
}

static frt_status *load_entries(frt_bundle *b, frt_sstable *t) {
    frt_sstable_iter *it;
    FRT_TRY(frt_sstable_iter_new(t, &it));
    frt_status *st = frt_sstable_iter_seek_first(it);
    bool header = false;
    int cap = 0;
    while (!st && frt_sstable_iter_valid(it)) {
        size_t kl, vl;
        const uint8_t *k = frt_sstable_iter_key(it, &kl), *v = frt_sstable_iter_value(it, &vl);
        if (kl == 0) {
            st = check_header(b->index, v, vl, &b->num_shards);
            header = true;
        } else if (!header) {
            st = frt_status_new(FRT_DATA_LOSS, "'%s' has no bundle header: not a checkpoint "
                                "index", b->index);
        } else {
            if (b->ne == cap) {
                entry *e = frt_realloc(b->e, (size_t)(cap ? 2 * cap : 64) * sizeof *e);
                if (!e) {
                    st = frt_status_oom("reading checkpoint index '%s'", b->index);
                    break;
                }
                b->e = e;
                cap = cap ? 2 * cap : 64;
            }
            st = entry_decode(b->index, k, kl, v, vl, &b->e[b->ne]);
            if (!st) b->ne++;
        }
        if (!st) st = frt_sstable_iter_next(it);
    }
    frt_sstable_iter_free(it);
    if (!st && !header)
        st = frt_status_new(FRT_DATA_LOSS, "'%s' has no bundle header: not a checkpoint index",
                            b->index);
    return st;
}

frt_status *frt_bundle_open(const char *prefix, frt_bundle **out) {
    return frt_bundle_open_flags(prefix, 0, out);
}

frt_status *frt_bundle_open_flags(const char *prefix, unsigned flags, frt_bundle **out) {
    *out = NULL;
    frt_bundle *b = frt_calloc(1, sizeof *b);
    if (!b) return frt_status_oom("opening checkpoint '%s'", prefix);
    b->zero_copy = (flags & FRT_BUNDLE_ZERO_COPY) != 0;
    pthread_mutex_init(&b->mu, NULL);
    b->prefix = frt_strdup(prefix);
    b->index = index_path(prefix);
    if (!b->prefix || !b->index) {
        frt_bundle_free(b);
        return frt_status_oom("opening checkpoint '%s'", prefix);
    }
    frt_sstable *t = NULL;
    frt_status *st = frt_sstable_open(b->index, &t);
    if (st && frt_status_code(st) == FRT_NOT_FOUND) {
        frt_status_free(st);
        st = missing_index(prefix, b->index);
    }
    if (!st) st = load_entries(b, t);
    frt_sstable_free(t);
    if (st) {
        frt_bundle_free(b);
        return st;
    }
    b->pub = frt_malloc((size_t)(b->ne ? b->ne : 1) * sizeof *b->pub);
    if (!b->pub) {
        frt_bundle_free(b);
        return frt_status_oom("opening checkpoint '%s'", prefix);
    }
    for (int i = 0; i < b->ne; i++)
        if (b->e[i].key[0] != 0) b->pub[b->npub++] = i;
    *out = b;
    return NULL;
}

void frt_bundle_free(frt_bundle *b) {
    if (!b) return;
    for (int i = 0; i < b->ne; i++) entry_deinit(&b->e[i]);
    for (int i = 0; i < b->nmaps; i++) mapping_unref(b->maps[i].m);
    pthread_mutex_destroy(&b->mu);
    free(b->maps);
    free(b->e);
    free(b->pub);
    free(b->prefix);
    free(b->index);
    free(b);
}

const char *frt_bundle_prefix(const frt_bundle *b) { return b->prefix; }
int frt_bundle_num_tensors(const frt_bundle *b) { return b->npub; }
const char *frt_bundle_tensor_name(const frt_bundle *b, int i) {
    return (const char *)b->e[b->pub[i]].key;
}
frt_dtype frt_bundle_tensor_dtype(const frt_bundle *b, int i) { return b->e[b->pub[i]].dtype; }
int frt_bundle_tensor_shape(const frt_bundle *b, int i, int64_t *dims) {
    const entry *e = &b->e[b->pub[i]];
    memcpy(dims, e->dims, (size_t)e->ndim * sizeof *dims);
    return e->ndim;
}

static const entry *find_key(const frt_bundle *b, const uint8_t *key, size_t klen) {
    int lo = 0, hi = b->ne - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = key_cmp(b->e[mid].key, b->e[mid].klen, key, klen);
        if (c == 0) return &b->e[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

int frt_bundle_find(const frt_bundle *b, const char *name) {
    const entry *e = find_key(b, (const uint8_t *)name, strlen(name));
    if (!e || e->key[0] == 0) return -1;
    int idx = (int)(e - b->e), lo = 0, hi = b->npub - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (b->pub[mid] == idx) return mid;
        if (b->pub[mid] < idx)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* A data shard (borrowed from the reader), opened (and mapped, for zero-copy readers) on
 * first use. */
static frt_status *get_shard(const frt_bundle *cb, const entry *e, mapping **out) {
    frt_bundle *b = (frt_bundle *)cb; /* the lazy map cache is internal state */
    if (e->shard >= b->num_shards)
        return frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' names data shard %d of %d",
                              key_str(e), b->index, e->shard, b->num_shards);
    frt_status *st = NULL;
    *out = NULL;
    pthread_mutex_lock(&b->mu);
    for (int i = 0; i < b->nmaps && !*out; i++)
        if (b->maps[i].shard == e->shard) *out = b->maps[i].m;
    if (!*out) {
        char *p = data_path(b->prefix, e->shard, b->num_shards);
        st = p ? map_file(p, out) : frt_status_oom("opening a shard of '%s'", b->prefix);
        free(p);
        if (!st && b->zero_copy && (st = map_shard(*out)) != NULL) {
            mapping_unref(*out);
            *out = NULL;
        }
        if (!st) {
            if (b->nmaps == b->capmaps) {
                int cap = b->capmaps ? 2 * b->capmaps : 4;
                struct shard_map *maps = frt_realloc(b->maps, (size_t)cap * sizeof *maps);
                if (maps) {
                    b->maps = maps;
                    b->capmaps = cap;
                }
            }
            if (b->nmaps < b->capmaps) {
                b->maps[b->nmaps++] = (struct shard_map){e->shard, *out};
            } else {
                mapping_unref(*out);
                *out = NULL;
                st = frt_status_oom("opening a shard of '%s'", b->prefix);
            }
        }
    }
    pthread_mutex_unlock(&b->mu);
    return st;
}

static frt_status *truncated(const entry *e, const mapping *m, uint64_t have) {
    return frt_status_new(FRT_DATA_LOSS, "checkpoint data file '%s' is truncated: tensor '%s' "
                          "needs bytes [%llu, %llu) but the file has %llu", m->path, key_str(e),
                          (unsigned long long)e->off, (unsigned long long)(e->off + e->size),
                          (unsigned long long)have);
}

/* The shard holding e, with e's bytes inside it (as far as its size when opened says). */
static frt_status *entry_shard(const frt_bundle *b, const entry *e, mapping **m) {
    FRT_TRY(get_shard(b, e, m));
    if (e->off > (*m)->len || e->size > (*m)->len - e->off) return truncated(e, *m, (*m)->len);
    return NULL;
}

/* Reads e's bytes from its shard into dst with pread, extending *crc (when not NULL) over
 * each chunk while it is still in cache. A shard that shrank since it was opened is
 * DATA_LOSS, as a truncated one: nothing here can fault. */
static frt_status *pread_entry(const entry *e, const mapping *m, uint8_t *dst, uint32_t *crc) {
    enum { CHUNK = 256 << 10 }; /* stays in L2 between the copy and the crc */
    uint32_t c = 0;
    for (uint64_t done = 0; done < e->size;) {
        size_t want = e->size - done < CHUNK ? (size_t)(e->size - done) : CHUNK;
        ssize_t got = pread(m->fd, dst + done, want, (off_t)(e->off + done));
        if (got < 0 && errno == EINTR) continue;
        if (got < 0)
            return frt_status_new(FRT_UNKNOWN, "cannot read checkpoint data file '%s' "
                                  "(tensor '%s'): %s", m->path, key_str(e), strerror(errno));
        if (got == 0) return truncated(e, m, e->off + done);
        if (crc) c = frt_crc32c_extend(c, dst + done, (size_t)got);
        done += (uint64_t)got;
    }
    if (crc) *crc = c;
    return NULL;
}

static frt_status *checksum_error(const entry *e, const mapping *m) {
    return frt_status_new(FRT_DATA_LOSS, "checksum mismatch for tensor '%s' in '%s'",
                          key_str(e), m->path);
}

/* DT_STRING record (formats.md §4.5): varint lengths, masked crc of the lengths as uint32
 * (uint64 when larger), then the bytes; the entry crc runs over all of it. */
static frt_status *read_strings(const entry *e, const mapping *m, const uint8_t *p, int64_t n,
                                frt_tensor **out) {
    const uint8_t *q = p, *end = p + e->size;
    if ((uint64_t)n > e->size)
        return frt_status_new(FRT_DATA_LOSS, "string tensor '%s' in '%s' is too short",
                              key_str(e), m->path);
    uint64_t *lens = frt_malloc((size_t)(n ? n : 1) * sizeof *lens);
    if (!lens)
        return frt_status_oom("reading string tensor '%s' from '%s'", key_str(e), m->path);
    uint32_t c = 0;
    uint64_t total = 0;
    frt_status *st = NULL;
    for (int64_t i = 0; i < n && !st; i++) {
        if (!frt_get_varint64(&q, end, &lens[i])) {
            st = frt_status_new(FRT_DATA_LOSS, "string tensor '%s' in '%s': bad length",
                                key_str(e), m->path);
            break;
        }
        uint8_t le[8];
        for (int k = 0; k < 8; k++) le[k] = (uint8_t)(lens[i] >> (8 * k));
        if (verifying()) c = frt_crc32c_extend(c, le, lens[i] <= 0xffffffffu ? 4 : 8);
        /* Checked before adding (total <= e->size holds): lengths summing past 2^64 would
         * otherwise wrap to a total that matches the record, and stepping q over them
         * overflows the pointer. */
        if (lens[i] > e->size - total) {
            st = frt_status_new(FRT_DATA_LOSS, "string tensor '%s' in '%s' is truncated",
                                key_str(e), m->path);
            break;
        }
        total += lens[i];
    }
    if (!st && end - q < 4)
        st = frt_status_new(FRT_DATA_LOSS, "string tensor '%s' in '%s' is truncated",
                            key_str(e), m->path);
    if (!st) {
        uint32_t stored = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                          (uint32_t)q[3] << 24;
        if (verifying() && frt_crc32c_unmask(stored) != c) st = checksum_error(e, m);
        c = frt_crc32c_extend(c, q, 4);
        q += 4;
    }
    if (!st && (uint64_t)(end - q) != total)
        st = frt_status_new(FRT_DATA_LOSS, "string tensor '%s' in '%s': lengths do not match "
                            "its size", key_str(e), m->path);
    if (!st && verifying() && frt_crc32c_mask(frt_crc32c_extend(c, q, (size_t)total)) != e->crc)
        st = checksum_error(e, m);
    frt_tensor *t = NULL;
    if (!st) st = frt_tensor_new(FRT_DTYPE_STRING, e->dims, e->ndim, &t);
    for (int64_t i = 0; i < n && !st; i++) {
        st = frt_tensor_set_string(t, i, (const char *)q, (size_t)lens[i]);
        q += lens[i];
    }
    free(lens);
    if (st) {
        frt_tensor_unref(t);
        if (frt_status_code(st) == FRT_RESOURCE_EXHAUSTED) /* the tensor's: name the file */
            st = frt_status_annotate(st, " (reading tensor '%s' from '%s')", key_str(e),
                                     m->path);
        return st;
    }
    *out = t;
    return NULL;
}

/* Owned reads: the tensor's bytes (a string record: a scratch copy of it) are read into
 * memory we own, checked, and nothing keeps the file. */
static frt_status *read_owned(const entry *e, const mapping *m, int64_t n, frt_tensor **out) {
    if (e->dtype == FRT_DTYPE_STRING) {
        uint8_t *rec = frt_malloc(e->size ? (size_t)e->size : 1);
        if (!rec) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory reading tensor "
                                        "'%s' from '%s'", key_str(e), m->path);
        frt_status *st = pread_entry(e, m, rec, NULL);
        if (!st) st = read_strings(e, m, rec, n, out);
        free(rec);
        return st;
    }
    frt_tensor *t;
    frt_status *st =
        frt_tensor_alloc(frt_cpu_allocator_default(), e->dtype, e->dims, e->ndim, &t);
    if (st)
        return frt_status_annotate(st, " (reading tensor '%s' from '%s')", key_str(e), m->path);
    uint32_t c = 0;
    st = pread_entry(e, m, n ? frt_tensor_data(t) : NULL, verifying() ? &c : NULL);
    if (!st && verifying() && frt_crc32c_mask(c) != e->crc) st = checksum_error(e, m);
    if (st) {
        frt_tensor_unref(t);
        return st;
    }
    *out = t;
    return NULL;
}

/* Reads one stored (non-partitioned) entry. */
static frt_status *read_entry(const frt_bundle *b, const entry *e, frt_tensor **out) {
    *out = NULL;
    int64_t n = frt_shape_num_elements(e->dims, e->ndim);
    size_t es = frt_dtype_size(e->dtype);
    if (e->dtype != FRT_DTYPE_STRING && es == 0)
        return frt_status_new(FRT_UNIMPLEMENTED, "tensor '%s' in checkpoint '%s' has dtype %s, "
                              "which cannot be restored", key_str(e), b->prefix,
                              frt_dtype_name(e->dtype));
    if (es && (uint64_t)n > UINT64_MAX / es)
        return frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has a shape too large to "
                              "hold", key_str(e), b->index);
    if (es && (uint64_t)n * es != e->size)
        return frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' has %llu bytes but its shape "
                              "needs %llu", key_str(e), b->index, (unsigned long long)e->size,
                              (unsigned long long)((uint64_t)n * es));
    mapping *m = NULL;
    FRT_TRY(entry_shard(b, e, &m));
    if (!b->zero_copy) return read_owned(e, m, n, out);
    const uint8_t *p = m->addr ? m->addr + e->off : (const uint8_t *)"";
    if (e->dtype == FRT_DTYPE_STRING) return read_strings(e, m, p, n, out);
    if (verifying() && frt_crc32c_mask(frt_crc32c(p, e->size)) != e->crc)
        return checksum_error(e, m);
    if (n == 0) return frt_tensor_new(e->dtype, e->dims, e->ndim, out);
    size_t align = es > 8 ? 8 : es;
    if (((uintptr_t)p & (align - 1)) == 0) {
        /* Zero copy: the tensor keeps the (read-only, private) mapping alive. Wrapped
         * buffers are never treated as exclusive, so no kernel writes into them. */
        atomic_fetch_add(&m->refs, 1);
        frt_status *st = frt_tensor_wrap(e->dtype, e->dims, e->ndim, (void *)p, e->size,
                                         release_mapping, m, out);
        if (st) mapping_unref(m);
        return st;
    }
    return frt_tensor_new_copy(e->dtype, e->dims, e->ndim, p, e->size, out);
}

/* Copies the intersection [istart, istart+ilen) (full-tensor coordinates) from src, whose
 * element 0 sits at sorig, into dst, whose element 0 sits at dorig. */
static frt_status *copy_region(frt_tensor *dst, const int64_t *dorig, const frt_tensor *src,
                               const int64_t *sorig, const int64_t *istart,
                               const int64_t *ilen, int ndim) {
    int64_t sstride[FRT_MAX_DIMS], dstride[FRT_MAX_DIMS], idx[FRT_MAX_DIMS] = {0};
    int64_t ss = 1, ds = 1, outer = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        sstride[d] = ss;
        dstride[d] = ds;
        ss *= src->dims[d];
        ds *= dst->dims[d];
        if (ilen[d] == 0) return NULL;
        if (d < ndim - 1) outer *= ilen[d];
    }
    int64_t run = ndim ? ilen[ndim - 1] : 1;
    size_t es = frt_dtype_size(dst->dtype);
    for (int64_t o = 0; o < outer; o++) {
        int64_t so = 0, doff = 0;
        for (int d = 0; d < ndim; d++) {
            int64_t i = istart[d] + (d < ndim - 1 ? idx[d] : 0);
            so += (i - sorig[d]) * sstride[d];
            doff += (i - dorig[d]) * dstride[d];
        }
        if (dst->dtype == FRT_DTYPE_STRING) {
            const frt_string *s = frt_tensor_strings(src);
            for (int64_t k = 0; k < run; k++)
                FRT_TRY(frt_tensor_set_string(dst, doff + k, s[so + k].ptr, s[so + k].len));
        } else {
            memcpy((uint8_t *)frt_tensor_data(dst) + (size_t)doff * es,
                   (const uint8_t *)frt_tensor_data(src) + (size_t)so * es, (size_t)run * es);
        }
        for (int d = ndim - 2; d >= 0; d--) {
            if (++idx[d] < ilen[d]) break;
            idx[d] = 0;
        }
    }
    return NULL;
}

/* Extent of stored source s of e (the whole tensor when e is not partitioned). */
static void source_extent(const entry *e, int s, int64_t *sstart, int64_t *slen) {
    for (int d = 0; d < e->ndim; d++) {
        bool whole = !e->nslices || e->slices[s].len[d] < 0;
        sstart[d] = whole ? 0 : e->slices[s].start[d];
        slen[d] = whole ? e->dims[d] : e->slices[s].len[d];
    }
}

/* Volume of the intersection of [a0, a0+al) and [b0, b0+bl), and its extent in i0/il. */
static int64_t intersect(int nd, const int64_t *a0, const int64_t *al, const int64_t *b0,
                         const int64_t *bl, int64_t *i0, int64_t *il) {
    int64_t vol = 1;
    for (int d = 0; d < nd; d++) {
        int64_t lo = a0[d] > b0[d] ? a0[d] : b0[d];
        int64_t hi1 = a0[d] + al[d], hi2 = b0[d] + bl[d], hi = hi1 < hi2 ? hi1 : hi2;
        i0[d] = lo;
        il[d] = hi > lo ? hi - lo : 0;
        vol *= il[d];
    }
    return vol;
}

/* Assembles [start, start+len) of the tensor described by full entry e from its stored
 * partitions (or from the whole stored tensor). The partitions are checked first (each
 * stored under its slice key with the slice's shape, none overlapping another, together
 * covering the request) so that a damaged index cannot make us allocate the full shape it
 * claims, nor return zeros where two overlapping slices leave a gap. */
static frt_status *assemble(const frt_bundle *b, const entry *e, const int64_t *start,
                            const int64_t *len, frt_tensor **out) {
    int nd = e->ndim, nsrc = e->nslices ? e->nslices : 1;
    int64_t want = frt_shape_num_elements(len, nd), covered = 0;
    const entry **src_e = frt_calloc((size_t)nsrc, sizeof *src_e);
    if (!src_e) return frt_status_oom("reading tensor '%s'", (const char *)e->key);
    frt_status *st = NULL;
    for (int s = 0; s < nsrc && !st; s++) {
        int64_t sstart[FRT_MAX_DIMS], slen[FRT_MAX_DIMS], istart[FRT_MAX_DIMS],
            ilen[FRT_MAX_DIMS];
        source_extent(e, s, sstart, slen);
        for (int t = 0; t < s && !st; t++) {
            /* TF's TensorSliceSet::Register: "Overlapping slices" */
            int64_t tstart[FRT_MAX_DIMS], tlen[FRT_MAX_DIMS];
            source_extent(e, t, tstart, tlen);
            if (intersect(nd, sstart, slen, tstart, tlen, istart, ilen) > 0)
                st = frt_status_new(FRT_DATA_LOSS, "partitions %d and %d of tensor '%s' in "
                                    "'%s' overlap", t, s, (const char *)e->key, b->index);
        }
        if (st) break;
        int64_t vol = intersect(nd, sstart, slen, start, len, istart, ilen);
        if (vol == 0 && want != 0) continue;
        const entry *se = e;
        if (e->nslices) {
            uint8_t *k;
            size_t kl;
            if (!frt_bundle_slice_key((const char *)e->key, nd, e->slices[s].start,
                                      e->slices[s].len, &k, &kl)) {
                st = frt_status_oom("reading tensor '%s'", (const char *)e->key);
                break;
            }
            se = find_key(b, k, kl);
            free(k);
            if (!se) {
                st = frt_status_new(FRT_DATA_LOSS, "partition %d of tensor '%s' is missing "
                                    "from '%s'", s, (const char *)e->key, b->index);
                break;
            }
            bool ok = se->dtype == e->dtype && se->ndim == nd && se->nslices == 0;
            for (int d = 0; ok && d < nd; d++) ok = se->dims[d] == slen[d];
            if (!ok) {
                st = frt_status_new(FRT_DATA_LOSS, "partition %d of tensor '%s' in '%s' does "
                                    "not match its slice", s, (const char *)e->key, b->index);
                break;
            }
        }
        src_e[s] = se;
        covered += vol;
    }
    if (!st && covered != want)
        st = frt_status_new(FRT_NOT_FOUND, "the partitions of tensor '%s' in checkpoint '%s' do "
                            "not cover the requested slice", (const char *)e->key, b->prefix);
    frt_tensor *dst = NULL;
    if (!st) st = frt_tensor_new(e->dtype, len, nd, &dst);
    for (int s = 0; s < nsrc && !st; s++) {
        if (!src_e[s]) continue;
        int64_t sstart[FRT_MAX_DIMS], slen[FRT_MAX_DIMS], istart[FRT_MAX_DIMS],
            ilen[FRT_MAX_DIMS];
        source_extent(e, s, sstart, slen);
        intersect(nd, sstart, slen, start, len, istart, ilen);
        frt_tensor *src;
        st = read_entry(b, src_e[s], &src);
        if (!st) st = copy_region(dst, start, src, sstart, istart, ilen, nd);
        frt_tensor_unref(src);
    }
    free(src_e);
    if (st) {
        frt_tensor_unref(dst);
        return st;
    }
    *out = dst;
    return NULL;
}

static frt_status *lookup(const frt_bundle *b, const char *name, const entry **e) {
    *e = find_key(b, (const uint8_t *)name, strlen(name));
    if (!*e || name[0] == 0)
        return frt_status_new(FRT_NOT_FOUND, "Key %s not found in checkpoint %s", name,
                              b->prefix);
    return NULL;
}

frt_status *frt_bundle_read(const frt_bundle *b, const char *name, frt_tensor **out) {
    *out = NULL;
    const entry *e;
    FRT_TRY(lookup(b, name, &e));
    if (!e->nslices) return read_entry(b, e, out);
    int64_t zero[FRT_MAX_DIMS] = {0};
    return assemble(b, e, zero, e->dims, out);
}

frt_status *frt_bundle_read_slice(const frt_bundle *b, const char *name,
                                  const char *shape_and_slice, frt_tensor **out) {
    *out = NULL;
    if (!shape_and_slice || !shape_and_slice[0]) return frt_bundle_read(b, name, out);
    int nd;
    int64_t full[FRT_MAX_DIMS], start[FRT_MAX_DIMS], len[FRT_MAX_DIMS];
    FRT_TRY(parse_spec(shape_and_slice, &nd, full, start, len, NULL));
    const entry *e;
    FRT_TRY(lookup(b, name, &e));
    bool same = nd == e->ndim;
    for (int d = 0; same && d < nd; d++) same = full[d] == e->dims[d];
    if (!same) {
        char a[96], c[96];
        return frt_status_new(FRT_INVALID_ARGUMENT, "shape in shape_and_slice spec %s does not "
                              "match the shape %s stored in checkpoint for tensor '%s'",
                              frt_shape_str(full, nd, a, sizeof a),
                              frt_shape_str(e->dims, e->ndim, c, sizeof c), name);
    }
    return assemble(b, e, start, len, out);
}

/* ---- writing ---- */

/* Writes the index table for entries (sorted here) to a temporary file next to path, synced
 * and closed but not yet renamed: *out commits it (io/file.c), so that the caller can put
 * the data file and the index in place only once both are complete. */
static frt_status *write_index(const char *path, entry *e, int n, int num_shards,
                               frt_file_writer **out) {
    *out = NULL;
    qsort(e, (size_t)n, sizeof *e, entry_cmp);
    for (int i = 1; i < n; i++)
        if (entry_cmp(&e[i - 1], &e[i]) == 0)
            return frt_status_new(FRT_INVALID_ARGUMENT, "duplicate tensor key '%s'",
                                  key_str(&e[i]));
    frt_sstable_builder *tb = frt_sstable_builder_new(0, 0);
    Tensorflow__VersionDef ver = TENSORFLOW__VERSION_DEF__INIT;
    ver.producer = BUNDLE_VERSION;
    Tensorflow__BundleHeaderProto h = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
    h.num_shards = num_shards;
    h.version = &ver;
    uint8_t hb[64];
    size_t hn = tensorflow__bundle_header_proto__pack(&h, hb);
    frt_status *st = frt_sstable_builder_add(tb, "", 0, hb, hn);
    frt_bytes v = {0};
    for (int i = 0; i < n && !st; i++) {
        v.n = 0;
        entry_encode(&e[i], &v);
        st = frt_sstable_builder_add(tb, e[i].key, e[i].klen, v.p, v.n);
    }
    free(v.p);
    uint8_t *file = NULL;
    size_t fn = 0;
    if (!st) frt_sstable_builder_finish(tb, &file, &fn);
    frt_sstable_builder_free(tb);
    if (st) return st;
    frt_file_writer *fw;
    st = frt_file_writer_new(path, "checkpoint index", &fw);
    if (!st) st = frt_file_writer_write(fw, file, fn);
    if (!st) st = frt_file_writer_close(fw);
    free(file);
    if (st) {
        frt_file_writer_free(fw);
        return st;
    }
    *out = fw;
    return NULL;
}

struct frt_bundle_writer {
    char *prefix, *data;
    frt_file_writer *f; /* the data file, under a temporary name until finish */
    uint64_t off;
    entry *e;
    int ne, cap;
    frt_status *err;     /* sticky I/O error */
    bool finished;
};

frt_status *frt_bundle_writer_new(const char *prefix, frt_bundle_writer **out) {
    *out = NULL;
    frt_bundle_writer *w = frt_calloc(1, sizeof *w);
    if (!w) return frt_status_oom("starting checkpoint '%s'", prefix);
    w->prefix = frt_strdup(prefix);
    w->data = data_path(prefix, 0, 1);
    frt_status *st = w->prefix && w->data
                         ? frt_file_writer_new(w->data, "checkpoint data", &w->f)
                         : frt_status_oom("starting checkpoint '%s'", prefix);
    if (st) {
        frt_bundle_writer_free(w);
        return st;
    }
    *out = w;
    return NULL;
}

void frt_bundle_writer_free(frt_bundle_writer *w) {
    if (!w) return;
    frt_file_writer_free(w->f); /* removes the temporary unless committed */
    for (int i = 0; i < w->ne; i++) entry_deinit(&w->e[i]);
    frt_status_free(w->err);
    free(w->e);
    free(w->prefix);
    free(w->data);
    free(w);
}

static void wwrite(frt_bundle_writer *w, const void *p, size_t n, uint32_t *crc) {
    if (n && !w->err) w->err = frt_file_writer_write(w->f, p, n);
    *crc = frt_crc32c_extend(*crc, p, n);
    w->off += n;
}

static entry *new_entry(frt_bundle_writer *w) {
    if (w->ne == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 32;
        w->e = frt_xrealloc(w->e, (size_t)w->cap * sizeof *w->e);
    }
    entry *e = &w->e[w->ne++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Appends t's bytes to the data file and fills e's location and checksum. */
static frt_status *append_data(frt_bundle_writer *w, const frt_tensor *t, entry *e) {
    if (w->err || w->finished)
        return frt_status_new(FRT_FAILED_PRECONDITION, "bundle writer for '%s' is %s",
                              w->prefix, w->finished ? "finished" : "in error");
    e->dtype = t->dtype;
    e->ndim = t->ndim;
    memcpy(e->dims, t->dims, sizeof e->dims);
    e->off = w->off;
    uint32_t c = 0;
    if (t->dtype == FRT_DTYPE_STRING) {
        const frt_string *s = t->n ? frt_tensor_strings(t) : NULL;
        frt_bytes hdr = {0};
        for (int64_t i = 0; i < t->n; i++) frt_bytes_put_varint64(&hdr, s[i].len);
        uint32_t lc = 0;
        for (int64_t i = 0; i < t->n; i++) {
            uint8_t le[8];
            for (int k = 0; k < 8; k++) le[k] = (uint8_t)((uint64_t)s[i].len >> (8 * k));
            lc = frt_crc32c_extend(lc, le, (uint64_t)s[i].len <= 0xffffffffu ? 4 : 8);
        }
        frt_bytes_put_fixed32(&hdr, frt_crc32c_mask(lc));
        uint32_t ignored = 0;
        wwrite(w, hdr.p, hdr.n, &ignored);
        c = frt_crc32c_extend(lc, hdr.p + hdr.n - 4, 4);
        free(hdr.p);
        for (int64_t i = 0; i < t->n; i++) wwrite(w, s[i].ptr, s[i].len, &c);
    } else if (frt_dtype_size(t->dtype) == 0) {
        w->ne--;
        return frt_status_new(FRT_INVALID_ARGUMENT, "cannot save a %s tensor",
                              frt_dtype_name(t->dtype));
    } else {
        wwrite(w, t->n ? frt_tensor_data(t) : "", frt_tensor_nbytes(t), &c);
    }
    e->size = w->off - e->off;
    e->crc = frt_crc32c_mask(c);
    if (w->err) return frt_status_new(frt_status_code(w->err), "%s", frt_status_message(w->err));
    return NULL;
}

static bool has_key(const frt_bundle_writer *w, const uint8_t *k, size_t kl) {
    for (int i = 0; i < w->ne; i++)
        if (key_cmp(w->e[i].key, w->e[i].klen, k, kl) == 0) return true;
    return false;
}

static void set_key(entry *e, const void *k, size_t kl) {
    e->key = frt_xmalloc(kl + 1);
    memcpy(e->key, k, kl);
    e->key[kl] = 0;
    e->klen = kl;
}

frt_status *frt_bundle_writer_add(frt_bundle_writer *w, const char *name, const frt_tensor *t) {
    size_t kl = strlen(name);
    if (kl == 0 || has_key(w, (const uint8_t *)name, kl))
        return frt_status_new(FRT_INVALID_ARGUMENT, "cannot save tensor under %s name '%s'",
                              kl ? "duplicate" : "empty", name);
    entry *e = new_entry(w);
    FRT_TRY(append_data(w, t, e));
    set_key(e, name, kl);
    return NULL;
}

frt_status *frt_bundle_writer_add_slice(frt_bundle_writer *w, const char *name,
                                        const char *shape_and_slice, const frt_tensor *t) {
    int nd;
    int64_t full[FRT_MAX_DIMS], start[FRT_MAX_DIMS], len[FRT_MAX_DIMS];
    bool whole[FRT_MAX_DIMS];
    FRT_TRY(parse_spec(shape_and_slice, &nd, full, start, len, whole));
    bool ok = t->ndim == nd && name[0];
    for (int d = 0; ok && d < nd; d++) ok = t->dims[d] == len[d];
    if (!ok)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor '%s' of shape %s does not match "
                              "its slice '%s'", name, FRT_SHAPE_STR(t), shape_and_slice);
    /* As TF's TensorSlice: "-" is stored as an extent without a length, "0,n" explicitly
     * even when it covers the dimension (the slice key differs). */
    slice sl;
    for (int d = 0; d < nd; d++) {
        sl.start[d] = whole[d] ? 0 : start[d];
        sl.len[d] = whole[d] ? -1 : len[d];
    }
    uint8_t *k;
    size_t kl;
    if (!frt_bundle_slice_key(name, nd, sl.start, sl.len, &k, &kl))
        return frt_status_oom("saving slice '%s' of '%s'", shape_and_slice, name);
    if (has_key(w, k, kl)) {
        free(k);
        return frt_status_new(FRT_INVALID_ARGUMENT, "slice '%s' of '%s' saved twice",
                              shape_and_slice, name);
    }
    entry *full_e = NULL;
    for (int i = 0; i < w->ne && !full_e; i++)
        if (strcmp((const char *)w->e[i].key, name) == 0) full_e = &w->e[i];
    if (full_e && (full_e->nslices == 0 || full_e->dtype != t->dtype || full_e->ndim != nd ||
                   memcmp(full_e->dims, full, (size_t)nd * sizeof *full) != 0)) {
        free(k);
        return frt_status_new(FRT_INVALID_ARGUMENT, "slice '%s' of '%s' conflicts with an "
                              "earlier save of that name", shape_and_slice, name);
    }
    entry *e = new_entry(w);
    frt_status *st = append_data(w, t, e);
    if (st) {
        free(k);
        return st;
    }
    e->key = k;
    e->klen = kl;
    if (!full_e) {
        full_e = new_entry(w);
        set_key(full_e, name, strlen(name));
        full_e->dtype = t->dtype;
        full_e->ndim = nd;
        memcpy(full_e->dims, full, (size_t)nd * sizeof *full);
    }
    full_e->slices = frt_xrealloc(full_e->slices, (size_t)(full_e->nslices + 1) * sizeof sl);
    full_e->slices[full_e->nslices++] = sl;
    return NULL;
}

frt_status *frt_bundle_writer_finish(frt_bundle_writer *w) {
    if (w->finished)
        return frt_status_new(FRT_FAILED_PRECONDITION, "bundle '%s' already finished",
                              w->prefix);
    if (w->err) return frt_status_new(frt_status_code(w->err), "%s", frt_status_message(w->err));
    /* Both files complete and synced before either replaces a previous checkpoint's: a full
     * disk leaves the old data and index as they were (and removes the temporaries). */
    char *ip = index_path(w->prefix);
    if (!ip) return frt_status_oom("finishing checkpoint '%s'", w->prefix);
    frt_file_writer *iw = NULL;
    frt_status *st = frt_file_writer_close(w->f);
    if (!st) st = write_index(ip, w->e, w->ne, 1, &iw);
    if (!st) st = frt_file_writer_commit(w->f);
    if (!st) st = frt_file_writer_commit(iw);
    frt_file_writer_free(iw);
    free(ip);
    if (!st) w->finished = true;
    return st;
}

/* ---- merge (MergeV2Checkpoints) ---- */

static frt_status *move_file(const char *from, const char *to) {
    if (strcmp(from, to) == 0) return NULL;
    if (rename(from, to) == 0) return NULL;
    if (errno != EXDEV)
        return frt_status_new(errno == ENOENT ? FRT_NOT_FOUND : FRT_UNKNOWN,
                              "cannot rename '%s' to '%s': %s", from, to, strerror(errno));
    /* Across file systems: copy, then remove. Through io/file.c like every other write: only
     * a regular file is read (a named pipe does not block), and the copy goes to a temporary
     * next to `to`, synced and renamed, so a full disk leaves no partial shard behind. */
    int fd;
    uint64_t size;
    FRT_TRY(frt_file_open(from, "checkpoint data", &fd, &size));
    frt_file_writer *w;
    frt_status *st = frt_file_writer_new(to, "checkpoint data", &w);
    if (st) {
        close(fd);
        return st;
    }
    uint8_t buf[1 << 16];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            st = frt_status_new(FRT_FAILED_PRECONDITION, "'%s': read failed: %s", from,
                                strerror(errno));
        if (n <= 0 || (st = frt_file_writer_write(w, buf, (size_t)n))) break;
    }
    close(fd);
    if (!st) st = frt_file_writer_commit(w);
    frt_file_writer_free(w);
    if (!st) remove(from);
    return st;
}

frt_status *frt_bundle_merge(const char *const *prefixes, int n, const char *dest,
                             bool delete_old_dirs, bool allow_missing) {
    entry *all = NULL;
    int ne = 0, cap = 0, total = 0;
    frt_status *st = NULL;
    bool *present = frt_xcalloc((size_t)(n ? n : 1), sizeof *present);
    /* Shards of input i become dest's shards first_shard[i] .. + num_shards[i] - 1. Their
     * paths are made one at a time while moving: num_shards comes from each input's header
     * (untrusted, up to INT32_MAX), so nothing is sized by it. */
    int *first_shard = frt_xcalloc((size_t)(n ? n : 1), sizeof *first_shard);
    int *num_shards = frt_xcalloc((size_t)(n ? n : 1), sizeof *num_shards);
    for (int i = 0; i < n && !st; i++) {
        frt_bundle *b;
        st = frt_bundle_open(prefixes[i], &b);
        if (st && allow_missing && frt_status_code(st) == FRT_NOT_FOUND) {
            frt_status_free(st);
            st = NULL;
            continue;
        }
        if (st) break;
        if (b->num_shards > INT32_MAX - total) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "MergeV2Checkpoints: the checkpoints to "
                                "merge into '%s' have more than %d data shards in all (%s.index "
                                "says %d)", dest, INT32_MAX, prefixes[i], b->num_shards);
            frt_bundle_free(b);
            break;
        }
        present[i] = true;
        first_shard[i] = total;
        num_shards[i] = b->num_shards;
        for (int k = 0; k < b->ne && !st; k++) {
            if (b->e[k].shard >= b->num_shards) {
                st = frt_status_new(FRT_DATA_LOSS, "tensor '%s' in '%s' names data shard %d "
                                    "of %d", key_str(&b->e[k]), b->index, b->e[k].shard,
                                    b->num_shards);
                break;
            }
            if (ne == cap) {
                cap = cap ? 2 * cap : 64;
                all = frt_xrealloc(all, (size_t)cap * sizeof *all);
            }
            entry *e = &all[ne++];
            *e = b->e[k];
            e->key = frt_xmalloc(e->klen + 1);
            memcpy(e->key, b->e[k].key, e->klen + 1);
            if (e->nslices) {
                e->slices = frt_xmalloc((size_t)e->nslices * sizeof *e->slices);
                memcpy(e->slices, b->e[k].slices, (size_t)e->nslices * sizeof *e->slices);
            }
            e->shard += total;
        }
        total += b->num_shards;
        frt_bundle_free(b);
    }
    if (!st && total == 0)
        st = frt_status_new(FRT_NOT_FOUND, "MergeV2Checkpoints: none of the %d checkpoints to "
                            "merge into '%s' exists", n, dest);
    /* Keys seen twice: slices of one partitioned tensor merge, anything else is an error. */
    if (!st) {
        qsort(all, (size_t)ne, sizeof *all, entry_cmp);
        int w = 0, r = 0;
        for (; r < ne; r++) {
            if (w > 0 && entry_cmp(&all[w - 1], &all[r]) == 0) {
                entry *a = &all[w - 1], *b = &all[r];
                if (!a->nslices || !b->nslices || a->dtype != b->dtype || a->ndim != b->ndim ||
                    memcmp(a->dims, b->dims, (size_t)a->ndim * sizeof *a->dims) != 0) {
                    st = frt_status_new(FRT_INVALID_ARGUMENT, "duplicate tensor '%s' while "
                                        "merging checkpoints into '%s'", key_str(b), dest);
                    break;
                }
                a->slices = frt_xrealloc(a->slices, (size_t)(a->nslices + b->nslices) *
                                                        sizeof *a->slices);
                memcpy(a->slices + a->nslices, b->slices, (size_t)b->nslices * sizeof *b->slices);
                a->nslices += b->nslices;
                entry_deinit(b);
            } else {
                all[w++] = all[r];
            }
        }
        /* Owners now: [0, w) and, after an error, the unvisited [r, ne). */
        for (int k = r; k < ne; k++) all[w++] = all[k];
        ne = w;
    }
    for (int i = 0; i < n && !st; i++)
        for (int k = 0; present[i] && k < num_shards[i] && !st; k++) {
            char *from = data_path(prefixes[i], k, num_shards[i]);
            char *to = data_path(dest, first_shard[i] + k, total);
            st = from && to ? move_file(from, to)
                            : frt_status_oom("merging checkpoints into '%s'", dest);
            free(from);
            free(to);
        }
    if (!st) {
        char *ip = index_path(dest);
        frt_file_writer *iw = NULL;
        st = ip ? write_index(ip, all, ne, total, &iw)
                : frt_status_oom("merging checkpoints into '%s'", dest);
        if (!st) st = frt_file_writer_commit(iw);
        frt_file_writer_free(iw);
        for (int i = 0; i < n && !st; i++) {
            if (!present[i]) continue;
            char *old = index_path(prefixes[i]);
            if (old && strcmp(old, ip) != 0) remove(old); /* best effort, as the dirs below */
            free(old);
            if (delete_old_dirs) {
                char *dir = frt_xstrdup(prefixes[i]);
                rmdir(dirname(dir)); /* best effort: only an emptied directory goes */
                free(dir);
            }
        }
        free(ip);
    }
    for (int i = 0; i < ne; i++) entry_deinit(&all[i]);
    free(all);
    free(first_shard);
    free(num_shards);
    free(present);
    return st;
}
