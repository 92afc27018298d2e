/* tests/util/test_util.c: shared test helpers (see test_util.h). */
#include "util/test_util.h"

#include "core/bfc.h"
#include "runtime/device.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static frt_tensor *make(frt_dtype dt, const int64_t *dims, int ndim, const void *data) {
    frt_tensor *t = NULL;
    frt_status *st = frt_tensor_new(dt, dims, ndim, &t);
    if (st) fail_msg("tensor_new: %s", frt_status_message(st));
    if (data && frt_tensor_nbytes(t)) memcpy(frt_tensor_data(t), data, frt_tensor_nbytes(t));
    return t;
}

frt_tensor *tu_f32(const int64_t *d, int n, const float *v) { return make(FRT_DTYPE_FLOAT, d, n, v); }
frt_tensor *tu_i32(const int64_t *d, int n, const int32_t *v) { return make(FRT_DTYPE_INT32, d, n, v); }
frt_tensor *tu_i64(const int64_t *d, int n, const int64_t *v) { return make(FRT_DTYPE_INT64, d, n, v); }
frt_tensor *tu_bool(const int64_t *d, int n, const uint8_t *v) { return make(FRT_DTYPE_BOOL, d, n, v); }
frt_tensor *tu_scalar_i32(int32_t v) { return make(FRT_DTYPE_INT32, NULL, 0, &v); }
frt_tensor *tu_scalar_f32(float v) { return make(FRT_DTYPE_FLOAT, NULL, 0, &v); }

void tu_attr_int(frt_attrs *a, const char *key, int64_t v) {
    frt_attr_value x = {.kind = FRT_ATTR_I, .v.i = v};
    frt_attrs_set(a, key, &x);
}
void tu_attr_float(frt_attrs *a, const char *key, float v) {
    frt_attr_value x = {.kind = FRT_ATTR_F, .v.f = v};
    frt_attrs_set(a, key, &x);
}
void tu_attr_bool(frt_attrs *a, const char *key, bool v) {
    frt_attr_value x = {.kind = FRT_ATTR_B, .v.b = v};
    frt_attrs_set(a, key, &x);
}
void tu_attr_type(frt_attrs *a, const char *key, frt_dtype v) {
    frt_attr_value x = {.kind = FRT_ATTR_TYPE, .v.type = v};
    frt_attrs_set(a, key, &x);
}
void tu_attr_str(frt_attrs *a, const char *key, const char *v) {
    frt_attr_value x = {.kind = FRT_ATTR_S};
    x.v.s.ptr = frt_xstrdup(v);
    x.v.s.len = strlen(v);
    frt_attrs_set(a, key, &x);
}
/* Makes x a list of n elements of kind elem and returns a heap copy of v (n elements of es
 * bytes) for the caller to store in the list's matching union member. */
static void *list_init(frt_attr_value *x, frt_attr_kind elem, const void *v, int n, size_t es) {
    x->kind = FRT_ATTR_LIST;
    x->v.list.elem = n ? elem : FRT_ATTR_NONE;
    x->v.list.n = n;
    void *p = frt_xmalloc((size_t)n * es);
    if (n) memcpy(p, v, (size_t)n * es);
    return p;
}
void tu_attr_ints(frt_attrs *a, const char *key, const int64_t *v, int n) {
    frt_attr_value x = {.kind = FRT_ATTR_LIST};
    int64_t *p = list_init(&x, FRT_ATTR_I, v, n, sizeof *v);
    x.v.list.v.i = p;
    frt_attrs_set(a, key, &x);
}
void tu_attr_types(frt_attrs *a, const char *key, const frt_dtype *v, int n) {
    frt_attr_value x = {.kind = FRT_ATTR_LIST};
    frt_dtype *p = list_init(&x, FRT_ATTR_TYPE, v, n, sizeof *v);
    x.v.list.v.type = p;
    frt_attrs_set(a, key, &x);
}
void tu_attr_tensor(frt_attrs *a, const char *key, frt_tensor *t) {
    frt_attr_value x = {.kind = FRT_ATTR_TENSOR, .v.tensor = frt_tensor_ref(t)};
    frt_attrs_set(a, key, &x);
}
void tu_attr_shape(frt_attrs *a, const char *key, const int64_t *dims, int ndim) {
    frt_attr_value x = {.kind = FRT_ATTR_SHAPE};
    x.v.shape.unknown_rank = ndim < 0;
    x.v.shape.ndim = ndim < 0 ? 0 : ndim;
    for (int i = 0; i < ndim; i++) x.v.shape.dims[i] = dims[i];
    frt_attrs_set(a, key, &x);
}

frt_status *tu_run(const char *op, const frt_attrs *attrs, frt_tensor *const *inputs, int n_in,
                   frt_tensor **outputs, int n_out) {
    return frt_kernel_run_once(op, attrs, inputs, n_in, outputs, n_out, NULL);
}

void tu_assert_shape(const frt_tensor *t, const int64_t *dims, int ndim) {
    char a[96], b[96];
    bool ok = t->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++) ok = t->dims[i] == dims[i];
    if (!ok)
        fail_msg("shape %s, expected %s", frt_shape_str(t->dims, t->ndim, a, sizeof a),
                 frt_shape_str(dims, ndim, b, sizeof b));
}

void tu_assert_close_f32(const frt_tensor *got, const frt_tensor *want, float atol, float rtol) {
    assert_non_null(got);
    assert_int_equal(got->dtype, FRT_DTYPE_FLOAT);
    assert_int_equal(want->dtype, FRT_DTYPE_FLOAT);
    tu_assert_shape(got, want->dims, want->ndim);
    const float *g = frt_tensor_f32(got), *w = frt_tensor_f32(want);
    for (int64_t i = 0; i < got->n; i++) {
        if (isnan(w[i]) && isnan(g[i])) continue;
        if (isinf(w[i]) && g[i] == w[i]) continue;
        if (!(fabsf(g[i] - w[i]) <= atol + rtol * fabsf(w[i])))
            fail_msg("element %lld: got %.9g, expected %.9g", (long long)i, g[i], w[i]);
    }
}

void tu_assert_equal(const frt_tensor *got, const frt_tensor *want) {
    assert_non_null(got);
    assert_int_equal(got->dtype, want->dtype);
    tu_assert_shape(got, want->dims, want->ndim);
    size_t nb = frt_tensor_nbytes(got);
    if (nb && memcmp(frt_tensor_data(got), frt_tensor_data(want), nb) != 0) {
        const unsigned char *g = frt_tensor_data(got), *w = frt_tensor_data(want);
        size_t i = 0;
        while (g[i] == w[i]) i++;
        fail_msg("bytes differ at offset %zu (element %zu)", i, i / frt_dtype_size(got->dtype));
    }
}

void tu_assert_error(frt_status *st, frt_code code, const char *needle) {
    if (!st) fail_msg("expected an error containing '%s', got OK", needle);
    if (frt_status_code(st) != code || !strstr(frt_status_message(st), needle)) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", frt_status_message(st));
        frt_code c = frt_status_code(st);
        frt_status_free(st);
        fail_msg("expected %s containing '%s', got %s: %s", frt_code_name(code), needle,
                 frt_code_name(c), msg);
    }
    frt_status_free(st);
}

frt_threadpool *tu_pool;

int tu_pool_setup(void **state) {
    (void)state;
    tu_pool = frt_threadpool_new(3);
    return tu_pool ? 0 : -1;
}
int tu_pool_teardown(void **state) {
    (void)state;
    frt_threadpool_free(tu_pool);
    tu_pool = NULL;
    return 0;
}

float tu_frand(unsigned *seed) {
    *seed = *seed * 1103515245u + 12345u;
    return (float)((*seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}

frt_tensor *tu_rand_f32(const int64_t *dims, int ndim, unsigned seed) {
    frt_tensor *t = tu_f32(dims, ndim, NULL);
    for (int64_t i = 0; i < t->n; i++) frt_tensor_f32(t)[i] = tu_frand(&seed);
    return t;
}

const char *tu_data_path(char *buf, size_t n, const char *rel) {
    snprintf(buf, n, "%s/%s", FRT_TEST_DATA, rel);
    return buf;
}

char *tu_mkdtemp(const char *tag) {
    size_t n = strlen(tag) + 32;
    char *d = malloc(n);
    assert_non_null(d);
    snprintf(d, n, "/tmp/frt_%s_XXXXXX", tag);
    if (!mkdtemp(d)) fail_msg("mkdtemp %s failed", d);
    return d;
}

int tu_rmtree(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        size_t n = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(n);
        if (!p) {
            rc = -1;
            break;
        }
        snprintf(p, n, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            if (tu_rmtree(p)) rc = -1;
        } else if (unlink(p)) {
            rc = -1;
        }
        free(p);
    }
    closedir(d);
    return rmdir(dir) || rc ? -1 : 0;
}

uint8_t *tu_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) fail_msg("short read of %s", path);
    fclose(f);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

void tu_write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) fail_msg("cannot create %s", path);
    if (fwrite(data, 1, len, f) != len) fail_msg("short write to %s", path);
    assert_int_equal(fclose(f), 0);
}

frt_device *tu_open_gpu(void) {
    frt_device *const *all;
    int n = 0;
    frt_devices_all(&all, &n);
    for (int i = 1; i < n; i++) {
        if (strcmp(all[i]->type, "GPU") != 0) continue;
        frt_gpu_memory_options o = {.per_process_gpu_memory_fraction = 0.5};
        frt_status *st = all[i]->ops->open_memory(all[i], &o);
        FRT_ASSERT(st == NULL && "open_memory failed");
        return all[i];
    }
    return NULL;
}
