/* tests/util/test_util.h: small helpers shared by the cmocka tests: tensors from literals,
 * attr builders, running one kernel, comparing with tolerance, a thread-pool fixture,
 * deterministic random data, fixture paths, temporary directories and whole files. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/attr.h"
#include "core/kernel.h"
#include "core/tensor.h"

/* Tensors from literal data (abort the test on failure). */
frt_tensor *tu_f32(const int64_t *dims, int ndim, const float *data);
frt_tensor *tu_i32(const int64_t *dims, int ndim, const int32_t *data);
frt_tensor *tu_i64(const int64_t *dims, int ndim, const int64_t *data);
frt_tensor *tu_bool(const int64_t *dims, int ndim, const uint8_t *data);
frt_tensor *tu_scalar_i32(int32_t v);
frt_tensor *tu_scalar_f32(float v);

/* Attr builders: each adds one attr to a (frt_attrs_init'd) map. */
void tu_attr_int(frt_attrs *a, const char *key, int64_t v);
void tu_attr_float(frt_attrs *a, const char *key, float v);
void tu_attr_bool(frt_attrs *a, const char *key, bool v);
void tu_attr_type(frt_attrs *a, const char *key, frt_dtype v);
void tu_attr_str(frt_attrs *a, const char *key, const char *v);
void tu_attr_ints(frt_attrs *a, const char *key, const int64_t *v, int n);
void tu_attr_types(frt_attrs *a, const char *key, const frt_dtype *v, int n);
void tu_attr_tensor(frt_attrs *a, const char *key, frt_tensor *t); /* takes its own ref */
void tu_attr_shape(frt_attrs *a, const char *key, const int64_t *dims, int ndim);

/* Runs op with attrs on inputs; returns the status (outputs NULL on error). */
frt_status *tu_run(const char *op, const frt_attrs *attrs, frt_tensor *const *inputs, int n_in,
                   frt_tensor **outputs, int n_out);

/* Asserts dtype and shape equal, and every float within atol + rtol*|expected|. */
void tu_assert_close_f32(const frt_tensor *got, const frt_tensor *want, float atol, float rtol);
/* Asserts dtype, shape and bytes equal. */
void tu_assert_equal(const frt_tensor *got, const frt_tensor *want);
void tu_assert_shape(const frt_tensor *t, const int64_t *dims, int ndim);
/* Asserts st is an error of code `code` whose message contains `needle`; frees st. */
void tu_assert_error(frt_status *st, frt_code code, const char *needle);
/* Asserts st is NULL, printing its message otherwise. */
#define TU_OK(expr)                                                                        \
    do {                                                                                   \
        frt_status *tu_st_ = (expr);                                                       \
        if (tu_st_) fail_msg("%s: %s", #expr, frt_status_message(tu_st_));                 \
    } while (0)

/* A 3-thread pool for tests of the parallel paths, made and freed as cmocka group
 * fixtures: cmocka_run_group_tests(tests, tu_pool_setup, tu_pool_teardown). */
extern frt_threadpool *tu_pool;
int tu_pool_setup(void **state);
int tu_pool_teardown(void **state);

/* Deterministic pseudo-random floats in [-1, 1) (an LCG: same seed, same values on every
 * platform), and a tensor of them (aborts the test on failure). */
float tu_frand(unsigned *seed);
frt_tensor *tu_rand_f32(const int64_t *dims, int ndim, unsigned seed);

/* Path under tests/data (static buffer per call site is not needed: caller-provided). */
const char *tu_data_path(char *buf, size_t n, const char *rel);

/* Temporary directories and whole files; each fails the test when it cannot do its part.
 * tu_mkdtemp makes /tmp/frt_<tag>_XXXXXX and returns its path (free it). tu_rmtree removes
 * dir and everything below it (links are removed, not followed); returns 0 when all of it
 * went, -1 otherwise (it does not fail the test, so teardowns can report it). tu_read_file
 * returns the file's bytes plus a NUL after them (free it), its length in *len. */
char *tu_mkdtemp(const char *tag);
int tu_rmtree(const char *dir);
uint8_t *tu_read_file(const char *path, size_t *len);
void tu_write_file(const char *path, const void *data, size_t len);

#define TU_DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define TU_F32(...) ((const float[]){__VA_ARGS__})
#define TU_I32(...) ((const int32_t[]){__VA_ARGS__})

/* The process's first GPU with its memory opened (half of it, TF's fraction), or NULL when
 * there is none: for the CUDA backend's tests. */
typedef struct frt_device frt_device;
frt_device *tu_open_gpu(void);
