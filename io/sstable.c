/* io/sstable.c: LevelDB-format tables (formats.md §4.3) as TensorFlow's table.cc/
 * table_builder.cc read and write them for checkpoint indexes.
 * Owns: file bytes (read through io/file.c: regular files only, bounded by their size),
 * footer, block decoding (trailer crc checked on every block load, Snappy), block iteration
 * and seek, the builder (blocks, separators, footer).
 * Does not own: key/value meaning (io/bundle.c).
 * Thread-safety: see io/sstable.h. */
#include "io/sstable.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <snappy-c.h>

#include "io/crc32c.h"
#include "io/file.h"

/* ---- byte helpers ---- */

bool frt_bytes_try_append(frt_bytes *b, const void *data, size_t n) {
    if (n == 0) return true;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = frt_realloc(b->p, cap);
        if (!p) return false;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
    return true;
}

void frt_bytes_append(frt_bytes *b, const void *data, size_t n) {
    if (!frt_bytes_try_append(b, data, n)) frt_assert_fail(__FILE__, __LINE__, "out of memory");
}

void frt_bytes_put_varint64(frt_bytes *b, uint64_t v) {
    uint8_t tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    frt_bytes_append(b, tmp, (size_t)n);
}

void frt_bytes_put_fixed32(frt_bytes *b, uint32_t v) {
    uint8_t t[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    frt_bytes_append(b, t, 4);
}

void frt_bytes_put_fixed64(frt_bytes *b, uint64_t v) {
    frt_bytes_put_fixed32(b, (uint32_t)v);
    frt_bytes_put_fixed32(b, (uint32_t)(v >> 32));
}

bool frt_get_varint64(const uint8_t **p, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    const uint8_t *q = *p;
    for (int shift = 0; shift < 70 && q < end; shift += 7) {
        uint8_t byte = *q++;
        if (shift == 63 && byte > 1) return false;
        r |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *p = q;
            *v = r;
            return true;
        }
    }
    return false;
}

static uint32_t get_fixed32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- blocks ---- */

typedef struct block {
    const uint8_t *data;   /* contents (decompressed) */
    size_t restarts_off;   /* end of the entries, start of the restart array */
    uint32_t nrestarts;
    uint64_t file_off;     /* where the block lives, for messages */
    uint8_t *owned;        /* decompressed copy, or NULL */
} block;

struct frt_sstable {
    char *name;
    uint8_t *data;
    size_t size;
    block index;
};

static frt_status *corrupt(const frt_sstable *t, uint64_t off, const char *what) {
    return frt_status_new(FRT_DATA_LOSS, "corrupted table '%s' at offset %llu: %s", t->name,
                          (unsigned long long)off, what);
}

/* Block checksums are verified unless a fuzzer or test turned it off (see sstable.h). */
static atomic_bool verify_crc = true;

void frt_sstable_set_verify_crc_for_fuzzing(bool on) {
    atomic_store_explicit(&verify_crc, on, memory_order_relaxed);
}

/* Reads the block at (off, size) with its 5-byte trailer: checks the masked crc32c of the
 * stored bytes plus type byte (TF always verifies it), decompresses type 1 (Snappy). */
static frt_status *read_block(const frt_sstable *t, uint64_t off, uint64_t size, block *out) {
    memset(out, 0, sizeof *out);
    out->file_off = off;
    if (off > t->size || size > t->size - off || t->size - off - size < 5)
        return corrupt(t, off, "block extends past the end of the file (truncated?)");
    const uint8_t *p = t->data + off;
    uint32_t stored = frt_crc32c_unmask(get_fixed32(p + size + 1));
    if (atomic_load_explicit(&verify_crc, memory_order_relaxed) &&
        frt_crc32c(p, size + 1) != stored)
        return frt_status_new(FRT_DATA_LOSS,
                              "block checksum mismatch in '%s' at offset %llu (size %llu)",
                              t->name, (unsigned long long)off, (unsigned long long)size);
    size_t n = (size_t)size;
    switch (p[size]) {
    case 0:
        out->data = p;
        break;
    case 1: {
        size_t ulen = 0;
        /* A Snappy element expands at most 64 bytes out of 3 in, so a claimed length beyond
         * that ratio is a lie: refuse it before allocating. */
        if (snappy_uncompressed_length((const char *)p, n, &ulen) != SNAPPY_OK ||
            ulen > n / 3 * 64 + 64)
            return corrupt(t, off, "bad Snappy block header");
        out->owned = frt_malloc(ulen ? ulen : 1);
        if (!out->owned) return frt_status_oom("decompressing a block of '%s'", t->name);
        if (snappy_uncompress((const char *)p, n, (char *)out->owned, &ulen) != SNAPPY_OK) {
            free(out->owned);
            out->owned = NULL;
            return corrupt(t, off, "bad Snappy block");
        }
        out->data = out->owned;
        n = ulen;
        break;
    }
    default:
        return corrupt(t, off, "unknown block compression type");
    }
    if (n < 4) {
        free(out->owned);
        out->owned = NULL;
        return corrupt(t, off, "block too short");
    }
    uint32_t nr = get_fixed32(out->data + n - 4);
    if (nr > (n - 4) / 4 || (nr == 0 && n != 4)) {
        free(out->owned);
        out->owned = NULL;
        return corrupt(t, off, "bad restart array");
    }
    out->nrestarts = nr;
    out->restarts_off = n - 4 - 4 * (size_t)nr;
    return NULL;
}

static void block_release(block *b) {
    free(b->owned);
    memset(b, 0, sizeof *b);
}

typedef struct block_iter {
    const frt_sstable *t;
    const block *b;
    size_t cur, next;      /* offset of the current entry and of the one after it */
    frt_bytes key;
    const uint8_t *val;
    size_t vlen;
    bool valid;
} block_iter;

/* Decodes the entry at off (building on the current key). Past the entries: invalid. */
static frt_status *bi_decode(block_iter *it, size_t off) {
    const block *b = it->b;
    if (off >= b->restarts_off) {
        it->valid = false;
        return NULL;
    }
    const uint8_t *p = b->data + off, *end = b->data + b->restarts_off;
    uint64_t shared, nonshared, vlen;
    if (!frt_get_varint64(&p, end, &shared) || !frt_get_varint64(&p, end, &nonshared) ||
        !frt_get_varint64(&p, end, &vlen) || shared > it->key.n ||
        nonshared > (uint64_t)(end - p) || vlen > (uint64_t)(end - p) - nonshared) {
        it->valid = false;
        return corrupt(it->t, b->file_off, "bad block entry");
    }
    it->key.n = (size_t)shared;
    if (!frt_bytes_try_append(&it->key, p, (size_t)nonshared)) {
        it->valid = false;
        return frt_status_oom("reading a key of table '%s'", it->t->name);
    }
    it->val = p + nonshared;
    it->vlen = (size_t)vlen;
    it->cur = off;
    it->next = (size_t)(it->val + vlen - b->data);
    it->valid = true;
    return NULL;
}

static frt_status *bi_seek_restart(block_iter *it, uint32_t r) {
    if (it->b->nrestarts == 0) {
        it->valid = false;
        return NULL;
    }
    uint32_t off = get_fixed32(it->b->data + it->b->restarts_off + 4 * (size_t)r);
    if (off >= it->b->restarts_off && !(off == 0 && it->b->restarts_off == 0))
        return corrupt(it->t, it->b->file_off, "restart point out of range");
    it->key.n = 0;
    return bi_decode(it, off);
}

static int key_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    size_t m = an < bn ? an : bn;
    int c = m ? memcmp(a, b, m) : 0;
    if (c) return c;
    return an < bn ? -1 : an > bn;
}

/* First entry >= target: binary search the restart points (keys there are stored whole),
 * then scan forward. */
static frt_status *bi_seek(block_iter *it, const uint8_t *target, size_t tn) {
    uint32_t lo = 0, hi = it->b->nrestarts ? it->b->nrestarts - 1 : 0;
    while (lo < hi) {
        uint32_t mid = (lo + hi + 1) / 2;
        FRT_TRY(bi_seek_restart(it, mid));
        if (!it->valid) return corrupt(it->t, it->b->file_off, "empty restart entry");
        if (key_cmp(it->key.p, it->key.n, target, tn) < 0)
            lo = mid;
        else
            hi = mid - 1;
    }
    FRT_TRY(bi_seek_restart(it, lo));
    while (it->valid && key_cmp(it->key.p, it->key.n, target, tn) < 0)
        FRT_TRY(bi_decode(it, it->next));
    return NULL;
}

/* ---- tables ---- */

static frt_status *decode_handle(const frt_sstable *t, const uint8_t **p, const uint8_t *end,
                                 uint64_t *off, uint64_t *size, uint64_t where) {
    if (!frt_get_varint64(p, end, off) || !frt_get_varint64(p, end, size))
        return corrupt(t, where, "bad block handle");
    return NULL;
}

static frt_status *open_owned(uint8_t *data, size_t n, const char *name, frt_sstable **out) {
    *out = NULL;
    frt_sstable *t = frt_calloc(1, sizeof *t);
    if (!t) {
        free(data);
        return frt_status_oom("opening table '%s'", name);
    }
    t->name = frt_strdup(name);
    t->data = data;
    t->size = n;
    frt_status *st = NULL;
    if (!t->name) {
        st = frt_status_oom("opening table '%s'", name);
    } else if (n < FRT_SSTABLE_FOOTER_SIZE) {
        st = frt_status_new(FRT_DATA_LOSS,
                            "'%s' is too short (%zu bytes) to be a table: truncated?", name, n);
    } else {
        const uint8_t *f = data + n - FRT_SSTABLE_FOOTER_SIZE;
        uint64_t magic = get_fixed32(f + 40) | (uint64_t)get_fixed32(f + 44) << 32;
        uint64_t moff, msize, ioff, isize;
        const uint8_t *p = f, *end = f + 40;
        if (magic != FRT_SSTABLE_MAGIC)
            st = frt_status_new(FRT_DATA_LOSS,
                                "'%s' is not a table (bad magic in footer): truncated?", name);
        else if (!(st = decode_handle(t, &p, end, &moff, &msize, n - 48)) &&
                 !(st = decode_handle(t, &p, end, &ioff, &isize, n - 48)))
            st = read_block(t, ioff, isize, &t->index);
    }
    if (st) {
        frt_sstable_free(t);
        return st;
    }
    *out = t;
    return NULL;
}

frt_status *frt_sstable_open(const char *path, frt_sstable **out) {
    *out = NULL;
    /* A regular file only (a named pipe or /dev/zero would block or never end), read up to
     * the size it had when opened. */
    uint8_t *data;
    size_t n;
    FRT_TRY(frt_file_read(path, "checkpoint index", 0, &data, &n));
    return open_owned(data, n, path, out);
}

frt_status *frt_sstable_open_buffer(const void *data, size_t n, const char *name,
                                    frt_sstable **out) {
    uint8_t *copy = frt_malloc(n ? n : 1);
    if (!copy) return frt_status_oom("opening table '%s'", name ? name : "<buffer>");
    if (n) memcpy(copy, data, n);
    return open_owned(copy, n, name ? name : "<buffer>", out);
}

void frt_sstable_free(frt_sstable *t) {
    if (!t) return;
    block_release(&t->index);
    free(t->data);
    free(t->name);
    free(t);
}

const char *frt_sstable_name(const frt_sstable *t) { return t->name; }

bool frt_sstable_file_has_magic(const char *path) {
    int fd;
    uint64_t size;
    frt_status *st = frt_file_open(path, "checkpoint", &fd, &size);
    if (st) {
        frt_status_free(st);
        return false;
    }
    uint8_t m[8];
    bool ok = size >= 8 && pread(fd, m, 8, (off_t)(size - 8)) == 8 &&
              (get_fixed32(m) | (uint64_t)get_fixed32(m + 4) << 32) == FRT_SSTABLE_MAGIC;
    close(fd);
    return ok;
}

/* ---- table iterator: index block -> data block ---- */

struct frt_sstable_iter {
    const frt_sstable *t;
    block_iter index;
    block data;
    block_iter entry;
};

frt_status *frt_sstable_iter_new(const frt_sstable *t, frt_sstable_iter **out) {
    frt_sstable_iter *it = frt_calloc(1, sizeof *it);
    if (!it) return frt_status_oom("reading table '%s'", t->name);
    it->t = t;
    it->index.t = it->entry.t = t;
    it->index.b = &t->index;
    it->entry.b = &it->data;
    *out = it;
    return NULL;
}

void frt_sstable_iter_free(frt_sstable_iter *it) {
    if (!it) return;
    block_release(&it->data);
    free(it->index.key.p);
    free(it->entry.key.p);
    free(it);
}

/* Loads the data block named by the current index entry. */
static frt_status *load_data_block(frt_sstable_iter *it) {
    block_release(&it->data);
    it->entry.valid = false;
    if (!it->index.valid) return NULL;
    const uint8_t *p = it->index.val, *end = p + it->index.vlen;
    uint64_t off, size;
    FRT_TRY(decode_handle(it->t, &p, end, &off, &size, it->t->index.file_off));
    return read_block(it->t, off, size, &it->data);
}

/* While the current data block is exhausted, move on to the next one. */
static frt_status *skip_empty_blocks(frt_sstable_iter *it) {
    while (!it->entry.valid && it->index.valid) {
        FRT_TRY(bi_decode(&it->index, it->index.next));
        FRT_TRY(load_data_block(it));
        if (it->index.valid) FRT_TRY(bi_seek_restart(&it->entry, 0));
    }
    return NULL;
}

frt_status *frt_sstable_iter_seek_first(frt_sstable_iter *it) {
    FRT_TRY(bi_seek_restart(&it->index, 0));
    FRT_TRY(load_data_block(it));
    if (it->index.valid) FRT_TRY(bi_seek_restart(&it->entry, 0));
    return skip_empty_blocks(it);
}

frt_status *frt_sstable_iter_seek(frt_sstable_iter *it, const void *key, size_t klen) {
    FRT_TRY(bi_seek(&it->index, key, klen));
    FRT_TRY(load_data_block(it));
    if (it->index.valid) FRT_TRY(bi_seek(&it->entry, key, klen));
    return skip_empty_blocks(it);
}

frt_status *frt_sstable_iter_next(frt_sstable_iter *it) {
    if (!it->entry.valid) return NULL;
    FRT_TRY(bi_decode(&it->entry, it->entry.next));
    return skip_empty_blocks(it);
}

bool frt_sstable_iter_valid(const frt_sstable_iter *it) { return it->entry.valid; }

const uint8_t *frt_sstable_iter_key(const frt_sstable_iter *it, size_t *len) {
    *len = it->entry.key.n;
    return it->entry.key.p;
}

const uint8_t *frt_sstable_iter_value(const frt_sstable_iter *it, size_t *len) {
    *len = it->entry.vlen;
    return it->entry.val;
}

/* ---- builder ---- */

typedef struct block_builder {
    frt_bytes buf;
    uint32_t *restarts;
    int nr, cap;
    int counter, interval;
    frt_bytes last_key;
} block_builder;

static void bb_reset(block_builder *bb) {
    bb->buf.n = 0;
    if (!bb->cap) {
        bb->cap = 16;
        bb->restarts = frt_xmalloc((size_t)bb->cap * sizeof *bb->restarts);
    }
    bb->restarts[0] = 0;
    bb->nr = 1;
    bb->counter = 0;
    bb->last_key.n = 0;
}

static void bb_add(block_builder *bb, const uint8_t *key, size_t klen, const uint8_t *val,
                   size_t vlen) {
    size_t shared = 0;
    if (bb->counter < bb->interval) {
        size_t m = klen < bb->last_key.n ? klen : bb->last_key.n;
        while (shared < m && key[shared] == bb->last_key.p[shared]) shared++;
    } else {
        if (bb->nr == bb->cap) {
            bb->cap *= 2;
            bb->restarts = frt_xrealloc(bb->restarts, (size_t)bb->cap * sizeof *bb->restarts);
        }
        bb->restarts[bb->nr++] = (uint32_t)bb->buf.n;
        bb->counter = 0;
    }
    frt_bytes_put_varint64(&bb->buf, shared);
    frt_bytes_put_varint64(&bb->buf, klen - shared);
    frt_bytes_put_varint64(&bb->buf, vlen);
    frt_bytes_append(&bb->buf, key + shared, klen - shared);
    frt_bytes_append(&bb->buf, val, vlen);
    bb->last_key.n = 0;
    frt_bytes_append(&bb->last_key, key, klen);
    bb->counter++;
}

static size_t bb_estimate(const block_builder *bb) {
    return bb->buf.n + (size_t)bb->nr * 4 + 4;
}

/* Appends the restart array: the block's final contents are bb->buf. */
static void bb_finish(block_builder *bb) {
    for (int i = 0; i < bb->nr; i++) frt_bytes_put_fixed32(&bb->buf, bb->restarts[i]);
    frt_bytes_put_fixed32(&bb->buf, (uint32_t)bb->nr);
}

static void bb_deinit(block_builder *bb) {
    free(bb->buf.p);
    free(bb->restarts);
    free(bb->last_key.p);
}

struct frt_sstable_builder {
    size_t block_size;
    frt_bytes file;
    block_builder data, index;
    frt_bytes last_key;
    bool any, pending;
    uint64_t pending_off, pending_size;
};

frt_sstable_builder *frt_sstable_builder_new(size_t block_size, int restart_interval) {
    frt_sstable_builder *b = frt_xcalloc(1, sizeof *b);
    b->block_size = block_size ? block_size : 262144;
    b->data.interval = restart_interval > 0 ? restart_interval : 16;
    b->index.interval = 1;
    bb_reset(&b->data);
    bb_reset(&b->index);
    return b;
}

void frt_sstable_builder_free(frt_sstable_builder *b) {
    if (!b) return;
    free(b->file.p);
    bb_deinit(&b->data);
    bb_deinit(&b->index);
    free(b->last_key.p);
    free(b);
}

/* Writes a finished block plus its trailer (type 0, masked crc of contents + type). */
static void write_block(frt_sstable_builder *b, block_builder *bb, uint64_t *off,
                        uint64_t *size) {
    bb_finish(bb);
    *off = b->file.n;
    *size = bb->buf.n;
    frt_bytes_append(&b->file, bb->buf.p, bb->buf.n);
    uint8_t type = 0;
    uint32_t crc = frt_crc32c_extend(frt_crc32c(bb->buf.p, bb->buf.n), &type, 1);
    frt_bytes_append(&b->file, &type, 1);
    frt_bytes_put_fixed32(&b->file, frt_crc32c_mask(crc));
    bb_reset(bb);
}

static void flush(frt_sstable_builder *b) {
    if (b->data.buf.n == 0) return;
    write_block(b, &b->data, &b->pending_off, &b->pending_size);
    b->pending = true;
}

static void add_index_entry(frt_sstable_builder *b, const uint8_t *key, size_t klen) {
    frt_bytes h = {0};
    frt_bytes_put_varint64(&h, b->pending_off);
    frt_bytes_put_varint64(&h, b->pending_size);
    bb_add(&b->index, key, klen, h.p, h.n);
    free(h.p);
    b->pending = false;
}

frt_status *frt_sstable_builder_add(frt_sstable_builder *b, const void *key, size_t klen,
                                    const void *val, size_t vlen) {
    const uint8_t *k = key;
    if (b->any && key_cmp(k, klen, b->last_key.p, b->last_key.n) <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "table keys must be added in strictly increasing order");
    if (b->pending) {
        /* LevelDB's FindShortestSeparator: the shortest key in [last, next). */
        frt_bytes sep = {0};
        frt_bytes_append(&sep, b->last_key.p, b->last_key.n);
        size_t m = klen < sep.n ? klen : sep.n, i = 0;
        while (i < m && sep.p[i] == k[i]) i++;
        if (i < m && sep.p[i] < 0xff && sep.p[i] + 1 < k[i]) {
            sep.p[i]++;
            sep.n = i + 1;
        }
        add_index_entry(b, sep.p, sep.n);
        free(sep.p);
    }
    b->last_key.n = 0;
    frt_bytes_append(&b->last_key, k, klen);
    b->any = true;
    bb_add(&b->data, k, klen, val, vlen);
    if (bb_estimate(&b->data) >= b->block_size) flush(b);
    return NULL;
}

void frt_sstable_builder_finish(frt_sstable_builder *b, uint8_t **out, size_t *n) {
    flush(b);
    uint64_t moff, msize, ioff, isize;
    block_builder meta = {.interval = 16};
    bb_reset(&meta);
    write_block(b, &meta, &moff, &msize);
    bb_deinit(&meta);
    if (b->pending) {
        /* LevelDB's FindShortSuccessor of the last key. */
        frt_bytes succ = {0};
        frt_bytes_append(&succ, b->last_key.p, b->last_key.n);
        for (size_t i = 0; i < succ.n; i++)
            if (succ.p[i] != 0xff) {
                succ.p[i]++;
                succ.n = i + 1;
                break;
            }
        add_index_entry(b, succ.p, succ.n);
        free(succ.p);
    }
    write_block(b, &b->index, &ioff, &isize);
    size_t start = b->file.n;
    frt_bytes_put_varint64(&b->file, moff);
    frt_bytes_put_varint64(&b->file, msize);
    frt_bytes_put_varint64(&b->file, ioff);
    frt_bytes_put_varint64(&b->file, isize);
    static const uint8_t zeros[40];
    frt_bytes_append(&b->file, zeros, 40 - (b->file.n - start));
    frt_bytes_put_fixed64(&b->file, FRT_SSTABLE_MAGIC);
    *out = b->file.p;
    *n = b->file.n;
    b->file = (frt_bytes){0};
}
