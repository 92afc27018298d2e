/* io/file.c: opening, reading and atomically writing the files a user names (io/file.h).
 * Owns: the non-blocking regular-file open every loader uses (a FIFO given as a model, a
 * .npy or a checkpoint must fail at once, not block in open(); /dev/zero must not be read
 * forever), bounded whole-file reads into owned memory, the temporary-file + fsync + rename
 * writer behind .npy outputs, frozen GraphDefs and checkpoints, and the write-failure hook
 * the tests use to simulate a full disk. Does not own: what the bytes mean, the checkpoint
 * data shards' mmap (io/bundle.c). Thread-safety: reentrant; a writer is thread-compatible;
 * the test hook is process-wide. */
#include "io/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- reading ---- */

static const char *describe_mode(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a named pipe (FIFO)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

char *frt_path_join(const char *dir, const char *name) {
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    size_t n = dl + strlen(name) + 2;
    char *p = frt_malloc(n);
    if (p) snprintf(p, n, "%.*s/%s", (int)dl, dir, name);
    return p;
}

const char *frt_file_kind(const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0 || S_ISREG(sb.st_mode)) return NULL;
    return describe_mode(sb.st_mode);
}

frt_status *frt_file_open(const char *path, const char *what, int *fd, uint64_t *size) {
    *fd = -1;
    *size = 0;
    /* O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. It only
     * matters for the open; it is cleared below once the file is known to be regular. */
    int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (f < 0) {
        int e = errno;
        const char *kind = e == ENXIO ? frt_file_kind(path) : NULL; /* a socket */
        if (kind)
            return frt_status_new(FRT_FAILED_PRECONDITION, "'%s' is %s, not a %s file", path,
                                  kind, what);
        return frt_status_new(e == ENOENT || e == ENOTDIR ? FRT_NOT_FOUND
                                                          : FRT_FAILED_PRECONDITION,
                              "'%s': cannot open %s file: %s", path, what, strerror(e));
    }
    struct stat sb;
    frt_status *st = NULL;
    int flags;
    if (fstat(f, &sb) != 0)
        st = frt_status_new(FRT_FAILED_PRECONDITION, "'%s': cannot stat %s file: %s", path,
                            what, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = frt_status_new(FRT_FAILED_PRECONDITION, "'%s' is %s, not a %s file", path,
                            describe_mode(sb.st_mode), what);
    else if ((flags = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) < 0)
        st = frt_status_new(FRT_FAILED_PRECONDITION, "'%s': fcntl: %s", path, strerror(errno));
    if (st) {
        close(f);
        return st;
    }
    *fd = f;
    *size = (uint64_t)sb.st_size;
    return NULL;
}

frt_status *frt_file_read(const char *path, const char *what, uint64_t max_size,
                          uint8_t **data, size_t *len) {
    *data = NULL;
    *len = 0;
    int fd;
    uint64_t size;
    FRT_TRY(frt_file_open(path, what, &fd, &size));
    if (max_size == 0 || max_size > SIZE_MAX / 2) max_size = SIZE_MAX / 2;
    if (size > max_size) {
        close(fd);
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "'%s' is %llu bytes, more than a %s file may be (%llu bytes)",
                              path, (unsigned long long)size, what,
                              (unsigned long long)max_size);
    }
    size_t n = (size_t)size, got = 0;
    uint8_t *buf = frt_malloc(n + 1);
    if (!buf) {
        close(fd);
        return frt_status_oom("reading the %zu bytes of '%s'", n, path);
    }
    frt_status *st = NULL;
    /* Exactly the size fstat gave: a file that grows meanwhile is read as it was (and a
     * special file never gets here, so nothing is read without bound). */
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            st = frt_status_new(FRT_FAILED_PRECONDITION, "'%s': read failed: %s", path,
                                strerror(errno));
            break;
        }
        if (r == 0) {
            st = frt_status_new(FRT_DATA_LOSS, "'%s': file shrank while being read (%zu of "
                                "%zu bytes): truncated?", path, got, n);
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    if (st) {
        free(buf);
        return st;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return NULL;
}

/* ---- writing ---- */

/* Bytes that may still be written before writes fail with ENOSPC; -1: no injection. */
static _Atomic long long write_budget = -1;

void frt_file_fail_writes_after(long long nbytes) {
    atomic_store(&write_budget, nbytes < 0 ? -1 : nbytes);
}

/* write(2), restarted on EINTR and short writes, through the test hook. */
static int write_all(int fd, const uint8_t *p, size_t n) {
    while (n > 0) {
        size_t chunk = n;
        long long b = atomic_load(&write_budget);
        if (b >= 0) {
            if (b == 0) {
                errno = ENOSPC;
                return -1;
            }
            if ((unsigned long long)chunk > (unsigned long long)b) chunk = (size_t)b;
        }
        ssize_t k = write(fd, p, chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        if (b >= 0) atomic_fetch_sub(&write_budget, (long long)k);
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

enum { WRITE_BUF = 1 << 16 };

struct frt_file_writer {
    char *path, *tmp, *what;
    int fd;
    uint8_t *buf;
    size_t nbuf;
    frt_status *err; /* the first failure, returned again by every later call */
    bool closed, committed;
};

static frt_status *sticky(frt_file_writer *w) {
    return frt_status_new(frt_status_code(w->err), "%s", frt_status_message(w->err));
}

static frt_status *fail(frt_file_writer *w, const char *doing, int e) {
    /* A full disk or quota is RESOURCE_EXHAUSTED, as TensorFlow's IOError maps ENOSPC. */
    frt_code code = e == ENOSPC || e == EDQUOT ? FRT_RESOURCE_EXHAUSTED : FRT_FAILED_PRECONDITION;
    if (!w->err)
        w->err = frt_status_new(code, "'%s': %s %s file failed: %s", w->path, doing, w->what,
                                strerror(e));
    return sticky(w);
}

frt_status *frt_file_writer_new(const char *path, const char *what, frt_file_writer **out) {
    *out = NULL;
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (exists && !S_ISREG(sb.st_mode))
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "'%s' is %s; refusing to replace it with a %s file", path,
                              describe_mode(sb.st_mode), what);
    frt_file_writer *w = frt_calloc(1, sizeof *w);
    size_t n = strlen(path) + 16;
    if (w) {
        w->fd = -1;
        w->path = frt_strdup(path);
        w->what = frt_strdup(what);
        w->tmp = frt_malloc(n);
        w->buf = frt_malloc(WRITE_BUF);
    }
    if (!w || !w->path || !w->what || !w->tmp || !w->buf) {
        frt_file_writer_free(w);
        return frt_status_oom("starting to write '%s'", path);
    }
    /* Same directory as the target, so the rename cannot cross file systems. */
    snprintf(w->tmp, n, "%s.tmp.XXXXXX", path);
    w->fd = mkostemp(w->tmp, O_CLOEXEC);
    if (w->fd < 0) {
        int e = errno;
        free(w->tmp);
        w->tmp = NULL;
        frt_file_writer_free(w);
        return frt_status_new(e == ENOENT || e == ENOTDIR ? FRT_NOT_FOUND
                                                          : FRT_FAILED_PRECONDITION,
                              "'%s': cannot create a %s file next to it: %s", path, what,
                              strerror(e));
    }
    /* mkostemp makes 0600 files; keep a replaced file's mode, else the usual 0644 (these
     * are models, tensors and checkpoints, not secrets). Best effort. */
    int rc = fchmod(w->fd, exists ? (sb.st_mode & 07777) : 0644);
    (void)rc;
    *out = w;
    return NULL;
}

static frt_status *flush(frt_file_writer *w) {
    if (w->nbuf && write_all(w->fd, w->buf, w->nbuf) != 0) return fail(w, "writing", errno);
    w->nbuf = 0;
    return NULL;
}

frt_status *frt_file_writer_write(frt_file_writer *w, const void *p, size_t n) {
    if (w->err) return sticky(w);
    if (w->closed)
        return frt_status_new(FRT_FAILED_PRECONDITION, "'%s': writing after close", w->path);
    if (w->nbuf + n > WRITE_BUF) FRT_TRY(flush(w));
    if (n >= WRITE_BUF) {
        if (write_all(w->fd, p, n) != 0) return fail(w, "writing", errno);
        return NULL;
    }
    memcpy(w->buf + w->nbuf, p, n);
    w->nbuf += n;
    return NULL;
}

frt_status *frt_file_writer_close(frt_file_writer *w) {
    if (w->err) return sticky(w);
    if (w->closed) return NULL;
    FRT_TRY(flush(w));
    /* A full disk may only show at fsync (delayed allocation) or close (NFS). */
    if (fsync(w->fd) != 0) return fail(w, "syncing", errno);
    int fd = w->fd;
    w->fd = -1;
    if (close(fd) != 0) return fail(w, "closing", errno);
    w->closed = true;
    return NULL;
}

frt_status *frt_file_writer_commit(frt_file_writer *w) {
    FRT_TRY(frt_file_writer_close(w));
    if (w->committed) return NULL;
    if (rename(w->tmp, w->path) != 0) return fail(w, "renaming the finished", errno);
    w->committed = true;
    return NULL;
}

void frt_file_writer_free(frt_file_writer *w) {
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    if (w->tmp && !w->committed) unlink(w->tmp);
    frt_status_free(w->err);
    free(w->buf);
    free(w->tmp);
    free(w->what);
    free(w->path);
    free(w);
}

frt_status *frt_file_write(const char *path, const char *what, const void *data, size_t n) {
    frt_file_writer *w;
    FRT_TRY(frt_file_writer_new(path, what, &w));
    frt_status *st = frt_file_writer_write(w, data, n);
    if (!st) st = frt_file_writer_commit(w);
    frt_file_writer_free(w);
    return st;
}
