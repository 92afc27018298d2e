/* io/file.h: the one way io/ opens, reads and writes the files a user names.
 * Reading: a path is opened without blocking (a named pipe must not hang the open) and only
 * regular files are accepted; the error says what the path is instead ("is a named pipe
 * (FIFO)", "is a directory", "is a character device", ...). Whole-file reads are bounded by
 * the file's size and by a limit the caller's format allows, and go into owned memory (no
 * mmap, so a file truncated meanwhile is a DATA_LOSS status, not a SIGBUS).
 * Writing: a temporary file next to the target, fsync, rename: readers never see a partial
 * file, and on any error the temporary is removed and the previous file is left untouched.
 * Thread-safety: reentrant; writers are thread-compatible. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Protocol buffers over 2 GiB cannot be parsed (TensorFlow refuses them too): the bound for
 * GraphDef, MetaGraphDef and SavedModel files. */
#define FRT_FILE_MAX_PROTO ((uint64_t)INT32_MAX)

/* Opens path read-only (O_NONBLOCK while opening, then cleared; close-on-exec) and checks it
 * is a regular file. what names the expected content in messages ("GraphDef", ".npy",
 * "checkpoint index"). *fd: caller closes; *size: the file's size at open. Errors name the
 * path: NOT_FOUND (missing), FAILED_PRECONDITION (not a regular file, saying what it is;
 * permission denied; other open failures). *fd is -1 on error. */
FRT_MUST_USE frt_status *frt_file_open(const char *path, const char *what, int *fd,
                                       uint64_t *size);

/* Reads the whole regular file at path into *data (caller frees; a NUL follows the *len
 * bytes). Refuses files over max_size bytes (0: no limit but the address space) with
 * INVALID_ARGUMENT naming the size and the bound. An empty file is returned as *len 0 (the
 * caller decides whether that is an error). A file that shrinks while read is DATA_LOSS.
 * Plus frt_file_open's errors. *data is NULL on error. */
FRT_MUST_USE frt_status *frt_file_read(const char *path, const char *what, uint64_t max_size,
                                       uint8_t **data, size_t *len);

/* "dir/name", with dir's trailing slashes dropped (name may hold slashes itself). NULL
 * when out of memory; caller frees. */
char *frt_path_join(const char *dir, const char *name);

/* A human description of what path is when it is not a regular file: "a directory",
 * "a named pipe (FIFO)", ... NULL when it is a regular file or cannot be stat'ed. */
const char *frt_file_kind(const char *path);

/* ---- atomic writes ---- */

typedef struct frt_file_writer frt_file_writer;

/* Starts writing path: creates "<path>.tmp.XXXXXX" in the same directory. An existing path
 * that is not a regular file (a device, a FIFO, a directory) is refused rather than
 * replaced. Errors name path: NOT_FOUND (no such directory), FAILED_PRECONDITION (not
 * writable, not a regular file). *out: caller frees with
 * frt_file_writer_free, which removes the temporary unless committed. */
FRT_MUST_USE frt_status *frt_file_writer_new(const char *path, const char *what,
                                             frt_file_writer **out);
/* Appends n bytes (buffered). The first failure is sticky: later writes and the commit
 * return it again. Errors name path and give the system's reason: RESOURCE_EXHAUSTED for a
 * full disk or quota ("No space left on device", as TensorFlow reports ENOSPC), else
 * FAILED_PRECONDITION. */
FRT_MUST_USE frt_status *frt_file_writer_write(frt_file_writer *w, const void *p, size_t n);
/* Flushes, fsyncs and closes the temporary; the target is not touched yet. Lets several
 * files be completed before any is renamed into place (a checkpoint's data and index). */
FRT_MUST_USE frt_status *frt_file_writer_close(frt_file_writer *w);
/* Closes (when not done yet) and renames the temporary over path. After an error the
 * temporary remains for frt_file_writer_free to remove. */
FRT_MUST_USE frt_status *frt_file_writer_commit(frt_file_writer *w);
void frt_file_writer_free(frt_file_writer *w); /* NULL-safe; removes an uncommitted temp */
/* The whole of data[0, n) to path, atomically (new, write, commit, free). */
FRT_MUST_USE frt_status *frt_file_write(const char *path, const char *what, const void *data,
                                        size_t n);

/* Testing only: after nbytes more bytes have reached files through frt_file_writer, every
 * write fails with ENOSPC, as on a full disk (the one write that crosses the bound is
 * short). nbytes < 0 turns injection off (the default). Process-wide. */
void frt_file_fail_writes_after(long long nbytes);
