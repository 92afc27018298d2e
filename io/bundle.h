/* io/bundle.h: TensorFlow V2 checkpoints ("tensor bundles", formats.md §4): PREFIX.index (a
 * table of BundleEntryProto under a BundleHeaderProto) plus PREFIX.data-SSSSS-of-NNNNN.
 * Reader (tensors read into memory they own, or, opted into, zero-copy tensors over a lazy
 * mmap of the data shards; checksums verified; partitioned variables reassembled; slices
 * for RestoreV2), writer (one data shard, bytes as TF writes them) and merge (what
 * MergeV2Checkpoints does).
 * Thread-safety: a reader may be used from several threads at once (shards are mapped under
 * a lock); tensors it returns stay valid after it is freed. A writer is thread-compatible. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/tensor.h"

typedef struct frt_bundle frt_bundle;

/* Opens PREFIX.index. Errors: NOT_FOUND naming the index when there is none (UNIMPLEMENTED
 * instead when PREFIX looks like a V1 checkpoint), DATA_LOSS for damaged or truncated
 * indexes (naming the file), UNIMPLEMENTED for big-endian bundles and future versions. */
FRT_MUST_USE frt_status *frt_bundle_open(const char *prefix, frt_bundle **out);
/* Flags for frt_bundle_open_flags. */
enum {
    /* Tensors alias a read-only mmap of the data shards where aligned (no copy) instead of
     * owning their bytes. Hazard: a shard truncated in place while such a tensor lives (a
     * training job overwriting the checkpoint) makes the next touch of its bytes SIGBUS, and
     * rewritten bytes show through unchecked. Only for files nothing rewrites in place. */
    FRT_BUNDLE_ZERO_COPY = 1u,
};
/* frt_bundle_open with flags (0: as frt_bundle_open, whose reads pread into tensors that
 * own their bytes: a shard changed later gives DATA_LOSS on later reads, never a fault). */
FRT_MUST_USE frt_status *frt_bundle_open_flags(const char *prefix, unsigned flags,
                                               frt_bundle **out);
void frt_bundle_free(frt_bundle *b);                       /* NULL-safe */
const char *frt_bundle_prefix(const frt_bundle *b);        /* borrowed */

/* Tensors in key order; the header and the per-slice keys of partitioned tensors are not
 * listed (a partitioned tensor is listed once, with its full shape). */
int frt_bundle_num_tensors(const frt_bundle *b);
const char *frt_bundle_tensor_name(const frt_bundle *b, int i);   /* borrowed */
frt_dtype frt_bundle_tensor_dtype(const frt_bundle *b, int i);
int frt_bundle_tensor_shape(const frt_bundle *b, int i, int64_t *dims); /* returns rank */
/* Index of name among the listed tensors, or -1. */
int frt_bundle_find(const frt_bundle *b, const char *name);

/* Reads the whole tensor `name` (*out: caller owns one reference). Errors: NOT_FOUND "Key
 * <name> not found in checkpoint <prefix>", NOT_FOUND naming a missing data shard,
 * DATA_LOSS naming the tensor and file (checksum mismatch, truncated shard, bad size),
 * UNIMPLEMENTED for dtypes we cannot hold (variant). */
FRT_MUST_USE frt_status *frt_bundle_read(const frt_bundle *b, const char *name,
                                         frt_tensor **out);
/* RestoreV2's shape_and_slices: "" reads the whole tensor; otherwise "d0 d1 ... s" where s
 * is per-dimension "start,length" or "-" joined by ':' (e.g. "10 20 0,5:-"). The full shape
 * must match the stored one; the slice may span several stored partitions. INVALID_ARGUMENT
 * for a malformed spec or a shape mismatch. */
FRT_MUST_USE frt_status *frt_bundle_read_slice(const frt_bundle *b, const char *name,
                                               const char *shape_and_slice, frt_tensor **out);

/* For fuzzers and tests only, never production code: off skips every checksum check of
 * bundles (the index's block checksums, io/sstable.c, and the data's tensor and string-length
 * checksums), so that crafted files reach the parsers behind them. Process-global, takes
 * effect for open bundles too; on by default. */
void frt_bundle_set_verify_crc_for_fuzzing(bool on);

/* The OrderedCode key under which slice (start[d], len[d]; len -1 = whole dimension) of
 * tensor name is stored (formats.md §4.6). *key is malloc'd; false (*key NULL) when out of
 * memory. */
bool frt_bundle_slice_key(const char *name, int ndim, const int64_t *start, const int64_t *len,
                          uint8_t **key, size_t *klen);

/* ---- writing ---- */

typedef struct frt_bundle_writer frt_bundle_writer;
/* Starts PREFIX.data-00000-of-00001 (written to a temporary name until finish). */
FRT_MUST_USE frt_status *frt_bundle_writer_new(const char *prefix, frt_bundle_writer **out);
/* Appends tensor t (numeric or string) under name. INVALID_ARGUMENT for an empty or
 * duplicate name or an unsupported dtype; for I/O errors, naming the data file,
 * RESOURCE_EXHAUSTED (a full disk) or FAILED_PRECONDITION. */
FRT_MUST_USE frt_status *frt_bundle_writer_add(frt_bundle_writer *w, const char *name,
                                               const frt_tensor *t);
/* Appends t as the slice `shape_and_slice` (SaveV2's syntax, as read_slice) of the
 * partitioned tensor name. */
FRT_MUST_USE frt_status *frt_bundle_writer_add_slice(frt_bundle_writer *w, const char *name,
                                                     const char *shape_and_slice,
                                                     const frt_tensor *t);
/* Completes and syncs the data file and PREFIX.index under temporary names (io/file.c),
 * then renames both into place, data first: after an error while writing (a full disk) the
 * previous checkpoint's files are as they were and no temporary is left once the writer is
 * freed. Two renames are not atomic together: should the index's rename fail after the
 * data's succeeded, the new data sits beside the old index (whose tensor CRCs then refuse
 * the mismatched reads). */
FRT_MUST_USE frt_status *frt_bundle_writer_finish(frt_bundle_writer *w);
/* NULL-safe; an unfinished writer removes its temporary file. */
void frt_bundle_writer_free(frt_bundle_writer *w);

/* Merges the bundles at prefixes[0..n) into one bundle at dest whose data shards are theirs
 * renamed (shard ids assigned in order), as MergeV2Checkpoints does. Input index files are
 * removed afterwards; delete_old_dirs also removes each input's (then empty) directory.
 * allow_missing: inputs without an index are skipped. Errors: NOT_FOUND for a missing input,
 * INVALID_ARGUMENT for a key present in two inputs (partitioned tensors' slices merge). */
FRT_MUST_USE frt_status *frt_bundle_merge(const char *const *prefixes, int n, const char *dest,
                                          bool delete_old_dirs, bool allow_missing);
