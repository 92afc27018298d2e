/* io/sstable.h: LevelDB-format sorted string tables as TensorFlow writes them for checkpoint
 * indexes (formats.md §4.3): reader with ordered iteration and seek, and a writer producing
 * the bytes TF writes for uncompressed tables. Plus the byte helpers (growable buffer,
 * varints) the bundle code shares.
 * Owns: footer, block handles, blocks and trailers (type, masked crc32c, Snappy), restart
 * points, prefix-compressed keys, separator keys. Does not own: what keys and values mean.
 * Thread-safety: a table is immutable after open and may be shared; an iterator belongs to
 * one thread; a builder is thread-compatible. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* ---- byte helpers ---- */

/* A growable byte buffer (zero-initialise it; free p when done). Appends abort only when
 * malloc fails, as frt_xrealloc does. */
typedef struct frt_bytes {
    uint8_t *p;
    size_t n, cap;
} frt_bytes;
/* Appends; false (b unchanged) when out of memory. frt_bytes_append aborts instead (the
 * writers, not yet converted). */
bool frt_bytes_try_append(frt_bytes *b, const void *data, size_t n);
void frt_bytes_append(frt_bytes *b, const void *data, size_t n);
void frt_bytes_put_varint64(frt_bytes *b, uint64_t v);
void frt_bytes_put_fixed32(frt_bytes *b, uint32_t v);
void frt_bytes_put_fixed64(frt_bytes *b, uint64_t v);
/* Decodes a varint at *p (< end), advancing *p. false when truncated or over 10 bytes. */
bool frt_get_varint64(const uint8_t **p, const uint8_t *end, uint64_t *v);

/* ---- reading ---- */

#define FRT_SSTABLE_MAGIC 0xdb4775248b80fb57ull
#define FRT_SSTABLE_FOOTER_SIZE 48

typedef struct frt_sstable frt_sstable;
/* Reads the whole file at path (an index file is small) and checks its footer and index
 * block. Only a regular file is read, never more than its size (frt_file_read): a named pipe
 * or device is FAILED_PRECONDITION saying what it is. Errors: NOT_FOUND (no file),
 * DATA_LOSS naming the file (too short, bad magic, bad handle, block checksum mismatch with
 * its offset, undecodable block). */
FRT_MUST_USE frt_status *frt_sstable_open(const char *path, frt_sstable **out);
/* Same over bytes in memory (copied); name is used in messages. */
FRT_MUST_USE frt_status *frt_sstable_open_buffer(const void *data, size_t n, const char *name,
                                                 frt_sstable **out);
void frt_sstable_free(frt_sstable *t);                 /* NULL-safe */
const char *frt_sstable_name(const frt_sstable *t);    /* borrowed */
/* True when the file's last 8 bytes are the SSTable magic (a V1 checkpoint sniff). False
 * for anything but a regular file (never blocks on a named pipe). */
bool frt_sstable_file_has_magic(const char *path);

/* For fuzzers and tests only: off skips every block checksum check (process-global, for
 * tables opened afterwards as well as open ones), so that crafted tables reach the block
 * parser. Production code never calls it; frt_bundle_set_verify_crc_for_fuzzing does. */
void frt_sstable_set_verify_crc_for_fuzzing(bool on);

/* An ordered cursor. Every data block it loads has its checksum verified. */
typedef struct frt_sstable_iter frt_sstable_iter;
FRT_MUST_USE frt_status *frt_sstable_iter_new(const frt_sstable *t, frt_sstable_iter **out);
void frt_sstable_iter_free(frt_sstable_iter *it);      /* NULL-safe */
FRT_MUST_USE frt_status *frt_sstable_iter_seek_first(frt_sstable_iter *it);
/* Positions at the first key >= key (unsigned bytewise order); invalid if none. */
FRT_MUST_USE frt_status *frt_sstable_iter_seek(frt_sstable_iter *it, const void *key,
                                               size_t klen);
FRT_MUST_USE frt_status *frt_sstable_iter_next(frt_sstable_iter *it);
bool frt_sstable_iter_valid(const frt_sstable_iter *it);
/* Borrowed, valid until the iterator moves. */
const uint8_t *frt_sstable_iter_key(const frt_sstable_iter *it, size_t *len);
const uint8_t *frt_sstable_iter_value(const frt_sstable_iter *it, size_t *len);

/* ---- writing ---- */

typedef struct frt_sstable_builder frt_sstable_builder;
/* block_size 0 = TF's 262144; restart_interval 0 = 16. Never writes compressed blocks. */
frt_sstable_builder *frt_sstable_builder_new(size_t block_size, int restart_interval);
void frt_sstable_builder_free(frt_sstable_builder *b);  /* NULL-safe */
/* Keys must be strictly increasing (INVALID_ARGUMENT otherwise). */
FRT_MUST_USE frt_status *frt_sstable_builder_add(frt_sstable_builder *b, const void *key,
                                                 size_t klen, const void *val, size_t vlen);
/* Finishes the table: *out (malloc'd, caller frees) holds the whole file. The builder can
 * only be freed afterwards. */
void frt_sstable_builder_finish(frt_sstable_builder *b, uint8_t **out, size_t *n);
