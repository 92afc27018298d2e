/* io/npy.c: NumPy .npy files ↔ tensors (frt_npy_read / frt_npy_write in flowrt.h).
 * Owns: the .npy container (magic, versions 1.0/2.0/3.0, the header dict), dtype strings.
 * Does not own: .npz archives (not supported). Thread-safety: reentrant.
 * Format reference: numpy/lib/format.py (NEP 1). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/file.h"
#include "core/tensor.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "io/npy.c assumes a little-endian host"
#endif

#define MAGIC "\x93NUMPY"
#define MAGIC_LEN 6
#define MAX_HEADER (1u << 20) /* NumPy itself refuses headers above ~10 KB by default */

/* NumPy type code (kind + item size) ↔ dtype. X(DT, kind char, size) */
#define NPY_TYPES(X)                                                                       \
    X(FLOAT, 'f', 4) X(DOUBLE, 'f', 8) X(HALF, 'f', 2) X(INT8, 'i', 1) X(INT16, 'i', 2)       \
    X(INT32, 'i', 4) X(INT64, 'i', 8) X(UINT8, 'u', 1) X(UINT16, 'u', 2) X(UINT32, 'u', 4)    \
    X(UINT64, 'u', 8) X(BOOL, 'b', 1) X(COMPLEX64, 'c', 8) X(COMPLEX128, 'c', 16)

static frt_dtype dtype_from_code(char kind, long size) {
#define FROM(DT, K, S)                                                                     \
    if (kind == K && size == S) return FRT_DTYPE_##DT;
    NPY_TYPES(FROM)
    return FRT_DTYPE_INVALID;
}

static bool code_for_dtype(frt_dtype dt, char *kind, int *size) {
    switch (dt) {
#define TO(DT, K, S)                                                                       \
    case FRT_DTYPE_##DT: *kind = K, *size = S; return true;
        NPY_TYPES(TO)
    default: return false;
    }
}

/* ---- header dict parsing: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } ---- */

typedef struct hdr {
    const char *s;
    size_t n, i;
} hdr;

static void ws(hdr *h) {
    while (h->i < h->n && isspace((unsigned char)h->s[h->i])) h->i++;
}
static bool eat(hdr *h, char c) {
    ws(h);
    if (h->i < h->n && h->s[h->i] == c) {
        h->i++;
        return true;
    }
    return false;
}
/* A Python string literal without escapes ('...' or "..."), copied into buf. */
static bool pystr(hdr *h, char *buf, size_t cap) {
    ws(h);
    if (h->i >= h->n || (h->s[h->i] != '\'' && h->s[h->i] != '"')) return false;
    char q = h->s[h->i++];
    size_t k = 0;
    while (h->i < h->n && h->s[h->i] != q) {
        if (k + 1 >= cap) return false;
        buf[k++] = h->s[h->i++];
    }
    if (h->i >= h->n) return false;
    h->i++;
    buf[k] = 0;
    return true;
}
static bool word(hdr *h, const char *w) {
    ws(h);
    size_t n = strlen(w);
    if (h->n - h->i < n || memcmp(h->s + h->i, w, n) != 0) return false;
    h->i += n;
    return true;
}

static frt_status *bad_header(const char *path, const char *what) {
    return frt_status_new(FRT_DATA_LOSS, "'%s': invalid .npy header: %s", path, what);
}

typedef struct npy_info {
    char descr[32];
    bool fortran;
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    bool have_descr, have_fortran, have_shape;
} npy_info;

static frt_status *parse_header(const char *path, const char *s, size_t n, npy_info *info) {
    hdr h = {s, n, 0};
    memset(info, 0, sizeof *info);
    if (!eat(&h, '{')) return bad_header(path, "expected '{'");
    while (!eat(&h, '}')) {
        char key[32];
        if (!pystr(&h, key, sizeof key)) return bad_header(path, "expected a quoted key");
        if (!eat(&h, ':')) return bad_header(path, "expected ':'");
        if (!strcmp(key, "descr")) {
            ws(&h);
            if (h.i < h.n && h.s[h.i] == '[')
                return frt_status_new(FRT_UNIMPLEMENTED,
                                      "'%s': structured .npy dtypes are not supported", path);
            if (!pystr(&h, info->descr, sizeof info->descr))
                return bad_header(path, "'descr' must be a dtype string");
            info->have_descr = true;
        } else if (!strcmp(key, "fortran_order")) {
            if (word(&h, "True")) info->fortran = true;
            else if (word(&h, "False")) info->fortran = false;
            else return bad_header(path, "'fortran_order' must be True or False");
            info->have_fortran = true;
        } else if (!strcmp(key, "shape")) {
            if (!eat(&h, '(')) return bad_header(path, "'shape' must be a tuple");
            while (!eat(&h, ')')) {
                ws(&h);
                if (h.i >= h.n || !isdigit((unsigned char)h.s[h.i]))
                    return bad_header(path, "'shape' must hold non-negative integers");
                int64_t v = 0;
                while (h.i < h.n && isdigit((unsigned char)h.s[h.i])) {
                    if (v > (INT64_MAX - 9) / 10) return bad_header(path, "dimension too large");
                    v = v * 10 + (h.s[h.i++] - '0');
                }
                if (h.i < h.n && h.s[h.i] == 'L') h.i++; /* Python 2 long */
                if (info->ndim == FRT_MAX_DIMS)
                    return frt_status_new(FRT_UNIMPLEMENTED,
                                          "'%s': .npy array has more than %d dimensions", path,
                                          FRT_MAX_DIMS);
                info->dims[info->ndim++] = v;
                if (!eat(&h, ',')) {
                    if (!eat(&h, ')')) return bad_header(path, "expected ',' or ')' in 'shape'");
                    break;
                }
            }
            info->have_shape = true;
        } else {
            return bad_header(path, "unknown key");
        }
        if (!eat(&h, ',')) {
            if (!eat(&h, '}')) return bad_header(path, "expected ',' or '}'");
            break;
        }
    }
    if (!info->have_descr || !info->have_fortran || !info->have_shape)
        return bad_header(path, "missing 'descr', 'fortran_order' or 'shape'");
    return NULL;
}

static frt_status *dtype_from_descr(const char *path, const char *d, frt_dtype *out) {
    char order = d[0];
    if (!strchr("<>|=", order) || !isalpha((unsigned char)d[1]))
        return frt_status_new(FRT_UNIMPLEMENTED, "'%s': unsupported .npy dtype '%s'", path, d);
    char *end;
    long size = strtol(d + 2, &end, 10);
    frt_dtype dt = *end || end == d + 2 ? FRT_DTYPE_INVALID : dtype_from_code(d[1], size);
    if (dt == FRT_DTYPE_INVALID)
        return frt_status_new(FRT_UNIMPLEMENTED, "'%s': unsupported .npy dtype '%s'", path, d);
    if (order == '>' && size > 1)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "'%s': big-endian .npy data ('%s') is not supported; save it "
                              "little-endian (arr.astype(arr.dtype.newbyteorder('<')))",
                              path, d);
    *out = dt;
    return NULL;
}

frt_status *frt_npy_read(const char *path, frt_tensor **out) {
    *out = NULL;
    /* io/file.c: a named pipe fails at once instead of blocking in open, and only a regular
     * file is read, so the size check below always bounds the data read. */
    int fd;
    uint64_t fsize;
    FRT_TRY(frt_file_open(path, ".npy", &fd, &fsize));
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int e = errno;
        close(fd);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED, "'%s': cannot open .npy file: %s", path,
                              strerror(e));
    }
    unsigned char pre[12];
    frt_status *st = NULL;
    char *header = NULL;
    frt_tensor *t = NULL;
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, MAGIC, MAGIC_LEN) != 0) {
        st = frt_status_new(FRT_DATA_LOSS, "'%s': not a .npy file (bad magic or too short)",
                            path);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    size_t hlen;
    if (major == 1) {
        if (fread(pre + 8, 1, 2, f) != 2) goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else if (major == 2 || major == 3) {
        if (fread(pre + 8, 1, 4, f) != 4) goto truncated;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 |
               (size_t)pre[11] << 24;
    } else {
        st = frt_status_new(FRT_UNIMPLEMENTED, "'%s': .npy format version %d.%d is not supported",
                            path, major, minor);
        goto done;
    }
    if (hlen > MAX_HEADER) {
        st = bad_header(path, "header too long");
        goto done;
    }
    header = frt_malloc(hlen + 1);
    if (!header) {
        st = frt_status_oom("reading the header of '%s'", path);
        goto done;
    }
    if (fread(header, 1, hlen, f) != hlen) goto truncated;
    header[hlen] = 0;
    npy_info info;
    if ((st = parse_header(path, header, hlen, &info))) goto done;
    frt_dtype dt = FRT_DTYPE_INVALID;
    if ((st = dtype_from_descr(path, info.descr, &dt))) goto done;
    int64_t n = frt_shape_num_elements(info.dims, info.ndim);
    if (info.fortran && info.ndim > 1 && n > 1) {
        /* A Fortran-order array with at most one element per axis is laid out the same. */
        int big = 0;
        for (int i = 0; i < info.ndim; i++) big += info.dims[i] > 1;
        if (big > 1) {
            st = frt_status_new(FRT_UNIMPLEMENTED,
                                "'%s': Fortran-order (column-major) .npy arrays are not "
                                "supported; save with np.ascontiguousarray",
                                path);
            goto done;
        }
    }
    /* The data must be in the file before we allocate for it: a damaged header's shape
     * must not make us allocate (and zero) gigabytes for a file of a few bytes. */
    long here = ftell(f);
    size_t es = frt_dtype_size(dt);
    if (n >= 0 && here >= 0 &&
        ((uint64_t)n > UINT64_MAX / es ||
         (uint64_t)n * es > (fsize > (uint64_t)here ? fsize - (uint64_t)here : 0))) {
        char shape[96], want[32] = "more than 2^64";
        if ((uint64_t)n <= UINT64_MAX / es)
            snprintf(want, sizeof want, "%llu", (unsigned long long)((uint64_t)n * es));
        st = frt_status_new(FRT_DATA_LOSS, "'%s': .npy data is truncated (expected %s bytes) "
                            "for shape %s of %s; the file has %lld after the header", path,
                            want, frt_shape_str(info.dims, info.ndim, shape, sizeof shape),
                            frt_dtype_name(dt), (long long)fsize - here);
        goto done;
    }
    if ((st = frt_tensor_new(dt, info.dims, info.ndim, &t))) {
        st = frt_status_annotate(st, " (reading '%s')", path);
        goto done;
    }
    size_t nbytes = frt_tensor_nbytes(t);
    if (nbytes && fread(frt_tensor_data(t), 1, nbytes, f) != nbytes) {
        frt_tensor_unref(t);
        t = NULL;
        st = frt_status_new(FRT_DATA_LOSS, "'%s': .npy data is truncated (expected %zu bytes)",
                            path, nbytes);
        goto done;
    }
    if (dt == FRT_DTYPE_BOOL) { /* NumPy booleans are 0/1 bytes; normalise anything else */
        uint8_t *b = frt_tensor_data(t);
        for (size_t i = 0; i < nbytes; i++) b[i] = b[i] != 0;
    }
    *out = t;
    goto done;
truncated:
    st = frt_status_new(FRT_DATA_LOSS, "'%s': .npy header is truncated", path);
done:
    free(header);
    fclose(f);
    return st;
}

frt_status *frt_npy_write(const char *path, const frt_tensor *t) {
    char kind;
    int size;
    if (!code_for_dtype(t->dtype, &kind, &size))
        return frt_status_new(FRT_UNIMPLEMENTED, "'%s': cannot write a %s tensor as .npy", path,
                              frt_dtype_name(t->dtype));
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%c%c%d', 'fortran_order': False, 'shape': (",
                     size == 1 ? '|' : '<', kind, size);
    for (int i = 0; i < t->ndim; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%lld,%s", (long long)t->dims[i],
                      i + 1 < t->ndim ? " " : "");
    if (t->ndim > 1) k--; /* NumPy writes (2, 3) but (3,) */
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    /* Version 1.0: magic(6) + version(2) + uint16 header length, then the dict padded with
     * spaces and a final '\n' so the data starts at a multiple of 64 bytes. */
    size_t total = 10 + (size_t)k + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t hlen = padded - 10;
    char head[640];
    memcpy(head, MAGIC, MAGIC_LEN);
    head[6] = 1;
    head[7] = 0;
    head[8] = (char)(hlen & 0xff);
    head[9] = (char)(hlen >> 8);
    memcpy(head + 10, dict, (size_t)k);
    memset(head + 10 + k, ' ', hlen - (size_t)k - 1);
    head[padded - 1] = '\n';

    /* Atomically (io/file.c): on a full disk the previous file stays as it was, and no
     * truncated .npy is left behind. */
    frt_file_writer *w;
    FRT_TRY(frt_file_writer_new(path, ".npy", &w));
    size_t nbytes = frt_tensor_nbytes(t);
    frt_status *st = frt_file_writer_write(w, head, padded);
    if (!st && nbytes) st = frt_file_writer_write(w, frt_tensor_data(t), nbytes);
    if (!st) st = frt_file_writer_commit(w);
    frt_file_writer_free(w);
    return st;
}
