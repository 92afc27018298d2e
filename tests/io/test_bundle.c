/* tests/io/test_bundle.c: V2 checkpoints (io/bundle.c, io/checkpoint.c) against checkpoints
 * TensorFlow 2.21 wrote (tests/data/ckpt, tools/gen_ckpt_fixtures.py): every tensor equals
 * what TF reads back; partitioned tensors and slices; the writer reproduces the committed
 * bundle that TF was shown to load; merge; every kind of damage gives a clear error.
 * With FRT_BUNDLE_WRITE_PREFIX=<prefix> in the environment the program instead writes the
 * known bundle there and exits (the generator's writer proof). */
#include "util/test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/bundle.h"
#include "io/crc32c.h"
#include "io/file.h"
#include "io/proto/tensor_bundle.pb-c.h"
#include "io/sstable.h"

/* ---- the known bundle (must match WRITER_TENSORS in tools/gen_ckpt_fixtures.py) ---- */

static frt_tensor *mk(frt_dtype dt, const int64_t *dims, int nd, const void *data) {
    frt_tensor *t = NULL;
    int64_t n = frt_shape_num_elements(dims, nd);
    if (frt_tensor_new_copy(dt, dims, nd, data, (size_t)n * frt_dtype_size(dt), &t)) abort();
    return t;
}

static frt_tensor *mk_strings(const int64_t *dims, int nd, const char *const *s,
                              const size_t *len) {
    frt_tensor *t = NULL;
    if (frt_tensor_new(FRT_DTYPE_STRING, dims, nd, &t)) abort();
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++)
        if (frt_tensor_set_string(t, i, s[i], len[i])) abort();
    return t;
}

static frt_status *write_known_bundle(const char *prefix) {
    float a = 1.5f, w[6], part[8];
    for (int i = 0; i < 6; i++) w[i] = (float)i * 0.5f - 1;
    for (int i = 0; i < 8; i++) part[i] = (float)i;
    int64_t ids[4] = {1, -2, 3000000000LL, 7};
    uint8_t flags[3] = {1, 0, 1};
    double bias[2] = {0.25, -8.0};
    int32_t kern[4] = {1, 2, 3, 4};
    const char *names[3] = {"alpha", "", "a\0b"};
    size_t nlen[3] = {5, 0, 3};
    frt_tensor *t[10] = {
        mk(FRT_DTYPE_FLOAT, NULL, 0, &a),
        mk(FRT_DTYPE_FLOAT, TU_DIMS(2, 3), 2, w),
        mk(FRT_DTYPE_INT64, TU_DIMS(4), 1, ids),
        mk(FRT_DTYPE_BOOL, TU_DIMS(3), 1, flags),
        mk_strings(TU_DIMS(3), 1, names, nlen),
        mk(FRT_DTYPE_DOUBLE, TU_DIMS(2), 1, bias),
        mk(FRT_DTYPE_FLOAT, TU_DIMS(0, 3), 2, NULL),
        mk(FRT_DTYPE_INT32, TU_DIMS(2, 2), 2, kern),
        mk(FRT_DTYPE_FLOAT, TU_DIMS(2, 2), 2, part),
        mk(FRT_DTYPE_FLOAT, TU_DIMS(2, 2), 2, part + 4),
    };
    const char *keys[8] = {"a", "w", "ids", "flags", "names", "dense/bias", "empty",
                           "layer/kernel"};
    frt_bundle_writer *bw;
    frt_status *st = frt_bundle_writer_new(prefix, &bw);
    for (int i = 0; i < 8 && !st; i++) st = frt_bundle_writer_add(bw, keys[i], t[i]);
    if (!st) st = frt_bundle_writer_add_slice(bw, "part", "4 2 0,2:-", t[8]);
    if (!st) st = frt_bundle_writer_add_slice(bw, "part", "4 2 2,2:-", t[9]);
    if (!st) st = frt_bundle_writer_finish(bw);
    frt_bundle_writer_free(bw);
    for (int i = 0; i < 10; i++) frt_tensor_unref(t[i]);
    return st;
}

/* ---- file helpers ---- */

/* Copies every file of fixture folder `name` into dir. */
static void copy_fixture(const char *name, const char *dir) {
    char rel[256], src[768], dst[768];
    snprintf(rel, sizeof rel, "ckpt/%s", name);
    tu_data_path(src, sizeof src, rel);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", src, e->d_name);
        struct stat sb;
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        size_t n;
        uint8_t *b = tu_read_file(p, &n);
        snprintf(dst, sizeof dst, "%s/%s", dir, e->d_name);
        tu_write_file(dst, b, n);
        free(b);
    }
    closedir(d);
}

static void fixture_prefix(char *buf, size_t n, const char *name, const char *prefix) {
    char rel[256];
    snprintf(rel, sizeof rel, "ckpt/%s/%s", name, prefix);
    tu_data_path(buf, n, rel);
}

/* ---- comparing with what TF read back (expected/index.txt) ---- */

static void check_string_tensor(const frt_tensor *t, const char *hexpath) {
    FILE *f = fopen(hexpath, "r");
    assert_non_null(f);
    char line[8192];
    assert_non_null(fgets(line, sizeof line, f)); /* shape line */
    int64_t dims[FRT_MAX_DIMS];
    int nd = 0;
    for (char *p = strtok(line, " \n"); p; p = strtok(NULL, " \n")) dims[nd++] = atoll(p);
    tu_assert_shape(t, dims, nd);
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++) {
        assert_non_null(fgets(line, sizeof line, f));
        size_t hl = strcspn(line, "\n"), len;
        const char *s = frt_tensor_string(t, i, &len);
        assert_int_equal(len * 2, hl);
        for (size_t k = 0; k < len; k++) {
            unsigned v;
            sscanf(line + 2 * k, "%2x", &v);
            assert_int_equal((uint8_t)s[k], v);
        }
    }
    fclose(f);
}

/* Opens the fixture through the public API (a directory: its `checkpoint` file) and checks
 * the listing and every value against TF's. */
static void check_fixture(const char *name) {
    char dir[512], rel[256], idx[768];
    snprintf(rel, sizeof rel, "ckpt/%s", name);
    tu_data_path(dir, sizeof dir, rel);
    frt_checkpoint *c;
    TU_OK(frt_checkpoint_open(dir, &c));
    snprintf(idx, sizeof idx, "%s/expected/index.txt", dir);
    FILE *f = fopen(idx, "r");
    assert_non_null(f);
    char tname[256], dtname[32], file[256];
    int i = 0;
    while (fscanf(f, "%255s %31s %255s", tname, dtname, file) == 3) {
        assert_true(i < frt_checkpoint_num_tensors(c));
        assert_string_equal(frt_checkpoint_tensor_name(c, i), tname);
        frt_tensor *got;
        TU_OK(frt_checkpoint_read(c, tname, &got));
        int64_t dims[FRT_MAX_DIMS];
        int nd = frt_checkpoint_tensor_shape(c, i, dims);
        tu_assert_shape(got, dims, nd);
        assert_int_equal(frt_checkpoint_tensor_dtype(c, i), frt_tensor_dtype(got));
        char p[1024];
        snprintf(p, sizeof p, "%s/expected/%s", dir, file);
        if (strstr(file, ".hex")) {
            assert_int_equal(frt_tensor_dtype(got), FRT_DTYPE_STRING);
            check_string_tensor(got, p);
        } else {
            frt_tensor *want;
            TU_OK(frt_npy_read(p, &want));
            tu_assert_equal(got, want);
            frt_tensor_unref(want);
        }
        frt_tensor_unref(got);
        i++;
    }
    fclose(f);
    assert_true(i > 0);
    assert_int_equal(i, frt_checkpoint_num_tensors(c));
    frt_checkpoint_close(c);
}

static void reads_tf1_basic(void **s) { (void)s; check_fixture("tf1_basic"); }
static void reads_tf1_sharded(void **s) {
    (void)s;
    char p[512];
    fixture_prefix(p, sizeof p, "tf1_sharded", "model.ckpt.data-00001-of-00002");
    assert_int_equal(access(p, R_OK), 0); /* really two data shards */
    check_fixture("tf1_sharded");
}
static void reads_tf1_partitioned(void **s) { (void)s; check_fixture("tf1_partitioned"); }
static void reads_tf2(void **s) { (void)s; check_fixture("tf2"); }
static void reads_snappy_index(void **s) { (void)s; check_fixture("snappy"); }

static void lists_tensors_and_prefix(void **s) {
    (void)s;
    char p[512];
    fixture_prefix(p, sizeof p, "tf2", "ckpt-1");
    frt_bundle *b;
    TU_OK(frt_bundle_open(p, &b));
    assert_string_equal(frt_bundle_prefix(b), p);
    assert_true(frt_bundle_find(b, "_CHECKPOINTABLE_OBJECT_GRAPH") >= 0);
    int i = frt_bundle_find(b, "net/w/.ATTRIBUTES/VARIABLE_VALUE");
    assert_true(i >= 0);
    int64_t dims[FRT_MAX_DIMS];
    assert_int_equal(frt_bundle_tensor_shape(b, i, dims), 2);
    assert_true(dims[0] == 3 && dims[1] == 2);
    assert_int_equal(frt_bundle_find(b, "net/w"), -1);
    assert_int_equal(frt_bundle_find(b, ""), -1);
    frt_tensor *t;
    tu_assert_error(frt_bundle_read(b, "nope", &t), FRT_NOT_FOUND,
                    "Key nope not found in checkpoint");
    assert_null(t);
    /* Tensors outlive the reader (they hold the data mapping). */
    TU_OK(frt_bundle_read(b, "net/w/.ATTRIBUTES/VARIABLE_VALUE", &t));
    frt_bundle_free(b);
    assert_true(frt_tensor_f32(t)[5] == 5.0f);
    frt_tensor_unref(t);
}

/* ---- partitioned tensors and slices ---- */

static void reads_slices(void **s) {
    (void)s;
    char p[512];
    fixture_prefix(p, sizeof p, "tf1_partitioned", "model.ckpt");
    frt_bundle *b;
    TU_OK(frt_bundle_open(p, &b));
    /* part = arange(40).reshape(10, 4) in 3 row partitions (4, 3, 3 rows). */
    frt_tensor *t;
    TU_OK(frt_bundle_read_slice(b, "part", "10 4 2,5:1,2", &t)); /* spans partitions 0 and 1 */
    tu_assert_shape(t, TU_DIMS(5, 2), 2);
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 2; c++)
            assert_true(frt_tensor_f32(t)[r * 2 + c] == (float)((r + 2) * 4 + c + 1));
    frt_tensor_unref(t);
    TU_OK(frt_bundle_read_slice(b, "part", "10 4 -:-", &t));
    tu_assert_shape(t, TU_DIMS(10, 4), 2);
    for (int i = 0; i < 40; i++) assert_true(frt_tensor_f32(t)[i] == (float)i);
    frt_tensor_unref(t);
    /* column-partitioned int64 [2, 6] in 2 partitions */
    TU_OK(frt_bundle_read_slice(b, "cols", "2 6 1,1:2,3", &t));
    tu_assert_shape(t, TU_DIMS(1, 3), 2);
    for (int i = 0; i < 3; i++) assert_int_equal(frt_tensor_i64(t)[i], 6 + 2 + i);
    frt_tensor_unref(t);
    /* a slice of an ordinary tensor */
    TU_OK(frt_bundle_read_slice(b, "plain", "", &t));
    assert_true(frt_tensor_f32(t)[0] == 3.0f);
    frt_tensor_unref(t);
    tu_assert_error(frt_bundle_read_slice(b, "part", "10 5 0,1:-", &t), FRT_INVALID_ARGUMENT,
                    "does not match the shape [10,4]");
    tu_assert_error(frt_bundle_read_slice(b, "part", "10 4 0,11:-", &t), FRT_INVALID_ARGUMENT,
                    "bad extent");
    tu_assert_error(frt_bundle_read_slice(b, "part", "10 4 0,1", &t), FRT_INVALID_ARGUMENT,
                    "malformed");
    tu_assert_error(frt_bundle_read_slice(b, "part", "garbage", &t), FRT_INVALID_ARGUMENT,
                    "malformed");
    frt_bundle_free(b);
}

static void slice_keys_match_formats_md(void **s) {
    (void)s;
    uint8_t *k;
    size_t n;
    frt_bundle_slice_key("w", 2, TU_DIMS(0, 0), TU_DIMS(5, -1), &k, &n);
    const uint8_t want[] = {0x00, 0x77, 0x00, 0x01, 0x01, 0x02, 0x80, 0x85, 0x80, 0x7f};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(k, want, n);
    free(k);
    /* SignedNumIncreasing of 100, 300, 2^20 (formats.md §4.6) */
    frt_bundle_slice_key("", 1, TU_DIMS(100), TU_DIMS(300), &k, &n);
    const uint8_t w2[] = {0x00, 0x00, 0x01, 0x01, 0x01, 0xc0, 0x64, 0xc1, 0x2c};
    assert_int_equal(n, sizeof w2);
    assert_memory_equal(k, w2, n);
    free(k);
    frt_bundle_slice_key("", 1, TU_DIMS(1 << 20), TU_DIMS(5), &k, &n);
    const uint8_t w3[] = {0x00, 0x00, 0x01, 0x01, 0x01, 0xf0, 0x10, 0x00, 0x00, 0x85};
    assert_int_equal(n, sizeof w3);
    assert_memory_equal(k, w3, n);
    free(k);
    /* a negative length means a whole dimension: start 0, length -1 */
    frt_bundle_slice_key("", 1, TU_DIMS(7), TU_DIMS(-1), &k, &n);
    const uint8_t w4[] = {0x00, 0x00, 0x01, 0x01, 0x01, 0x80, 0x7f};
    assert_int_equal(n, sizeof w4);
    assert_memory_equal(k, w4, n);
    free(k);
}

/* ---- writer ---- */

static void writer_reproduces_committed_bytes(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[512];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt", d);
    TU_OK(write_known_bundle(prefix));
    const char *files[] = {"model.ckpt.index", "model.ckpt.data-00000-of-00001"};
    for (int i = 0; i < 2; i++) {
        char mine[768], theirs[512], rel[256];
        snprintf(mine, sizeof mine, "%s/%s", d, files[i]);
        snprintf(rel, sizeof rel, "ckpt/flowrt_written/%s", files[i]);
        tu_data_path(theirs, sizeof theirs, rel);
        size_t n1, n2;
        uint8_t *a = tu_read_file(mine, &n1), *b = tu_read_file(theirs, &n2);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1);
        free(a);
        free(b);
    }
    /* and reads back */
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    assert_int_equal(frt_bundle_num_tensors(b), 9);
    frt_tensor *t;
    TU_OK(frt_bundle_read(b, "names", &t));
    size_t len;
    const char *str = frt_tensor_string(t, 2, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(str, "a\0b", 3);
    frt_tensor_unref(t);
    TU_OK(frt_bundle_read(b, "part", &t));
    tu_assert_shape(t, TU_DIMS(4, 2), 2);
    for (int i = 0; i < 8; i++) assert_true(frt_tensor_f32(t)[i] == (float)i);
    frt_tensor_unref(t);
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

static void writer_rejects_bad_adds(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[512];
    snprintf(prefix, sizeof prefix, "%s/x", d);
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    frt_tensor *t = tu_scalar_f32(1);
    TU_OK(frt_bundle_writer_add(w, "a", t));
    tu_assert_error(frt_bundle_writer_add(w, "a", t), FRT_INVALID_ARGUMENT, "duplicate");
    tu_assert_error(frt_bundle_writer_add(w, "", t), FRT_INVALID_ARGUMENT, "empty");
    tu_assert_error(frt_bundle_writer_add_slice(w, "p", "4 0,2", t), FRT_INVALID_ARGUMENT,
                    "does not match");
    frt_bundle_writer_free(w); /* unfinished: leaves nothing behind */
    frt_tensor_unref(t);
    char tmp[768];
    snprintf(tmp, sizeof tmp, "%s.index", prefix);
    assert_int_not_equal(access(tmp, F_OK), 0);
    tu_assert_error(frt_bundle_writer_new("/nonexistent/dir/x", &w), FRT_NOT_FOUND,
                    "/nonexistent/dir/x.data-00000-of-00001");
    tu_rmtree(d);
    free(d);
}

/* ---- merge ---- */

static void write_part(const char *prefix, const char *spec, float base, const char *extra) {
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    frt_tensor *t = tu_f32(TU_DIMS(1, 2), 2, (float[]){base, base + 1});
    TU_OK(frt_bundle_writer_add_slice(w, "p", spec, t));
    frt_tensor *e = tu_scalar_f32(base * 10);
    TU_OK(frt_bundle_writer_add(w, extra, e));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_tensor_unref(t);
    frt_tensor_unref(e);
}

static void merges_shards(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), p0[1024], p1[1024], d0[600], d1[600], dest[600], f[700];
    snprintf(d0, sizeof d0, "%s/tmp_a", d);
    snprintf(d1, sizeof d1, "%s/tmp_b", d);
    mkdir(d0, 0755);
    mkdir(d1, 0755);
    snprintf(p0, sizeof p0, "%s/part-00000-of-00002", d0);
    snprintf(p1, sizeof p1, "%s/part-00001-of-00002", d1);
    snprintf(dest, sizeof dest, "%s/model", d);
    write_part(p0, "2 2 0,1:-", 1, "x");
    write_part(p1, "2 2 1,1:-", 3, "y");
    const char *in[2] = {p0, p1};
    TU_OK(frt_bundle_merge(in, 2, dest, true, false));
    snprintf(f, sizeof f, "%s.data-00001-of-00002", dest);
    assert_int_equal(access(f, R_OK), 0);
    assert_int_not_equal(access(d0, F_OK), 0); /* emptied directories are removed */
    assert_int_not_equal(access(d1, F_OK), 0);
    frt_bundle *b;
    TU_OK(frt_bundle_open(dest, &b));
    assert_int_equal(frt_bundle_num_tensors(b), 3);
    frt_tensor *t;
    TU_OK(frt_bundle_read(b, "p", &t));
    tu_assert_shape(t, TU_DIMS(2, 2), 2);
    for (int i = 0; i < 4; i++) assert_true(frt_tensor_f32(t)[i] == (float)(i + 1));
    frt_tensor_unref(t);
    TU_OK(frt_bundle_read(b, "y", &t));
    assert_true(frt_tensor_f32(t)[0] == 30.0f);
    frt_tensor_unref(t);
    frt_bundle_free(b);

    /* a key in two inputs; a missing input with and without allow_missing */
    snprintf(p0, sizeof p0, "%s/q0", d);
    snprintf(p1, sizeof p1, "%s/q1", d);
    write_part(p0, "2 2 0,1:-", 1, "x");
    write_part(p1, "2 2 1,1:-", 3, "x");
    tu_assert_error(frt_bundle_merge(in, 2, dest, false, false), FRT_INVALID_ARGUMENT,
                    "duplicate tensor 'x'");
    snprintf(p1, sizeof p1, "%s/missing", d);
    tu_assert_error(frt_bundle_merge(in, 2, dest, false, false), FRT_NOT_FOUND, "missing.index");
    TU_OK(frt_bundle_merge(in, 2, dest, false, true));
    TU_OK(frt_bundle_open(dest, &b));
    assert_int_equal(frt_bundle_num_tensors(b), 2);
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

/* Files directly in dir (a temporary left behind would show up here). */
static int count_files(const char *dir) {
    DIR *dd = opendir(dir);
    assert_non_null(dd);
    int n = 0;
    for (struct dirent *de; (de = readdir(dd));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(dd);
    return n;
}

/* The data and index file names are allocated too: out of memory there is a status, not a
 * NULL path handed to the file writer; a failed finish can be retried. */
static void writer_out_of_memory_is_a_status(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/ckpt", d);
    frt_bundle_writer *w = NULL;
    for (long n = 1;; n++) {
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_bundle_writer_new(prefix, &w);
        frt_testing_fail_alloc_after(0);
        if (!st) break;
        assert_null(w);
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "out of memory");
        assert_int_equal(count_files(d), 0);
        assert_true(n < 100);
    }
    frt_tensor *t = tu_scalar_f32(5);
    TU_OK(frt_bundle_writer_add(w, "v", t));
    frt_tensor_unref(t);
    frt_testing_fail_alloc_after(1); /* the index's file name */
    frt_status *st = frt_bundle_writer_finish(w);
    frt_testing_fail_alloc_after(0);
    tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "out of memory");
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    assert_int_equal(count_files(d), 2); /* .index and .data-00000-of-00001 */
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    TU_OK(frt_bundle_read(b, "v", &t));
    assert_true(frt_tensor_f32(t)[0] == 5.0f);
    frt_tensor_unref(t);
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

/* Every allocation of reading a string and a numeric tensor fails in turn: each error is
 * RESOURCE_EXHAUSTED and names the checkpoint. */
static void string_read_out_of_memory_names_the_file(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[512];
    snprintf(prefix, sizeof prefix, "%s/model.ckpt", d);
    TU_OK(write_known_bundle(prefix));
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    for (long n = 1, k = 0; k < 2; n++) {
        frt_tensor *t = NULL;
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_bundle_read(b, k ? "dense/bias" : "names", &t);
        frt_testing_fail_alloc_after(0);
        if (!st) {
            frt_tensor_unref(t);
            k++, n = 0;
            continue;
        }
        if (!strstr(frt_status_message(st), prefix))
            fail_msg("allocation %ld: '%s' does not name the file", n, frt_status_message(st));
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "");
        assert_true(n < 100);
    }
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

/* Merging into another file system copies the shards: through io/file.c, so a full disk
 * leaves neither a partial shard nor a temporary in the destination. */
static void merge_across_file_systems_is_atomic(void **s) {
    (void)s;
    char shm[] = "/dev/shm/frt_bundle_XXXXXX";
    char *d = tu_mkdtemp("bundle"), src[600], dest[700], out[600];
    struct stat a, b;
    bool made = mkdtemp(shm) != NULL;
    if (!made || stat(shm, &a) != 0 || stat(d, &b) != 0 || a.st_dev == b.st_dev) {
        tu_rmtree(d);
        free(d);
        if (made) tu_rmtree(shm);
        skip(); /* no second file system here */
    }
    snprintf(src, sizeof src, "%s/part", shm);
    snprintf(out, sizeof out, "%s/out", d);
    snprintf(dest, sizeof dest, "%s/model", out);
    mkdir(out, 0755);
    write_part(src, "2 2 0,1:-", 1, "x");
    const char *in[1] = {src};
    frt_file_fail_writes_after(0);
    frt_status *st = frt_bundle_merge(in, 1, dest, false, false);
    frt_file_fail_writes_after(-1);
    tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "No space left on device");
    assert_int_equal(count_files(out), 0);
    assert_int_equal(count_files(shm), 2); /* the input is untouched */
    TU_OK(frt_bundle_merge(in, 1, dest, false, false));
    assert_int_equal(count_files(out), 2);
    assert_int_equal(count_files(shm), 0);
    frt_bundle *bu;
    TU_OK(frt_bundle_open(dest, &bu));
    frt_tensor *t;
    TU_OK(frt_bundle_read(bu, "x", &t));
    assert_true(frt_tensor_f32(t)[0] == 10.0f);
    frt_tensor_unref(t);
    frt_bundle_free(bu);
    tu_rmtree(shm);
    tu_rmtree(d);
    free(d);
}

/* ---- damage ---- */

typedef struct damaged {
    char *dir;
    char prefix[600];
} damaged;

static damaged damage_copy(const char *fixture) {
    damaged x = {.dir = tu_mkdtemp("bundle")};
    copy_fixture(fixture, x.dir);
    snprintf(x.prefix, sizeof x.prefix, "%s/model.ckpt", x.dir);
    return x;
}

static void damage_free(damaged *x) {
    tu_rmtree(x->dir);
    free(x->dir);
}

/* Reads every tensor of b and hands each failure to check (which frees it) with the
 * tensor's name and `file`; returns how many reads failed. */
static int failed_reads(frt_bundle *b, void (*check)(frt_status *, const char *, const char *),
                        const char *file) {
    int failed = 0;
    for (int i = 0; i < frt_bundle_num_tensors(b); i++) {
        frt_tensor *t;
        frt_status *st = frt_bundle_read(b, frt_bundle_tensor_name(b, i), &t);
        if (!st) {
            frt_tensor_unref(t);
            continue;
        }
        failed++;
        check(st, frt_bundle_tensor_name(b, i), file);
    }
    return failed;
}

static void is_checksum_error(frt_status *st, const char *tensor, const char *file) {
    char want[1600];
    snprintf(want, sizeof want, "checksum mismatch for tensor '%s' in '%s'", tensor, file);
    tu_assert_error(st, FRT_DATA_LOSS, want);
}

static void is_missing_file(frt_status *st, const char *tensor, const char *file) {
    (void)tensor;
    tu_assert_error(st, FRT_NOT_FOUND, file);
}

static long file_size(const char *path) {
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)sb.st_size;
}

static void edit_file(const char *path, long flip_at, long truncate_to) {
    size_t n;
    uint8_t *b = tu_read_file(path, &n);
    assert_non_null(b);
    if (flip_at >= 0) b[flip_at] ^= 0x10;
    if (truncate_to >= 0) n = (size_t)truncate_to;
    tu_write_file(path, b, n);
    free(b);
}

static void flipped_bit_in_index_is_block_checksum_error(void **s) {
    (void)s;
    damaged x = damage_copy("tf1_basic");
    char p[700];
    snprintf(p, sizeof p, "%s.index", x.prefix);
    edit_file(p, 20, -1); /* inside the first data block */
    frt_bundle *b;
    frt_status *st = frt_bundle_open(x.prefix, &b);
    assert_int_equal(frt_status_code(st), FRT_DATA_LOSS);
    assert_non_null(strstr(frt_status_message(st), "block checksum mismatch"));
    assert_non_null(strstr(frt_status_message(st), p));
    assert_non_null(strstr(frt_status_message(st), "offset 0"));
    frt_status_free(st);
    damage_free(&x);
}

static void flipped_bit_in_data_is_tensor_checksum_error(void **s) {
    (void)s;
    damaged x = damage_copy("tf1_basic");
    frt_bundle *b;
    TU_OK(frt_bundle_open(x.prefix, &b));
    /* find where dense/kernel lives by reading the others: flip the first data byte of the
     * file and check exactly one tensor fails and names itself and the file */
    char p[700];
    snprintf(p, sizeof p, "%s.data-00000-of-00001", x.prefix);
    frt_bundle_free(b);
    edit_file(p, 0, -1);
    TU_OK(frt_bundle_open(x.prefix, &b));
    assert_int_equal(failed_reads(b, is_checksum_error, p), 1);
    frt_bundle_free(b);
    damage_free(&x);
}

static void flipped_bit_in_string_tensor(void **s) {
    (void)s;
    damaged x = damage_copy("tf2");
    snprintf(x.prefix, sizeof x.prefix, "%s/ckpt-1", x.dir);
    char p[700];
    snprintf(p, sizeof p, "%s.data-00000-of-00001", x.prefix);
    edit_file(p, file_size(p) - 3, -1); /* the object graph string is written last */
    frt_bundle *b;
    TU_OK(frt_bundle_open(x.prefix, &b));
    frt_tensor *t;
    tu_assert_error(frt_bundle_read(b, "_CHECKPOINTABLE_OBJECT_GRAPH", &t), FRT_DATA_LOSS,
                    "checksum mismatch for tensor '_CHECKPOINTABLE_OBJECT_GRAPH'");
    frt_bundle_free(b);
    damage_free(&x);
}

static void truncated_index(void **s) {
    (void)s;
    damaged x = damage_copy("tf1_basic");
    char p[700];
    snprintf(p, sizeof p, "%s.index", x.prefix);
    edit_file(p, -1, file_size(p) - 10);
    frt_bundle *b;
    tu_assert_error(frt_bundle_open(x.prefix, &b), FRT_DATA_LOSS, "model.ckpt.index");
    edit_file(p, -1, 20);
    tu_assert_error(frt_bundle_open(x.prefix, &b), FRT_DATA_LOSS, "truncated");
    assert_null(b);
    damage_free(&x);
}

static void truncated_data(void **s) {
    (void)s;
    damaged x = damage_copy("tf1_basic");
    char p[700];
    snprintf(p, sizeof p, "%s.data-00000-of-00001", x.prefix);
    edit_file(p, -1, 10);
    frt_bundle *b;
    TU_OK(frt_bundle_open(x.prefix, &b));
    frt_tensor *t;
    tu_assert_error(frt_bundle_read(b, "dense/kernel", &t), FRT_DATA_LOSS,
                    "model.ckpt.data-00000-of-00001' is truncated: tensor 'dense/kernel'");
    frt_bundle_free(b);
    damage_free(&x);
}

static void missing_shard(void **s) {
    (void)s;
    damaged x = damage_copy("tf1_sharded");
    char p[700];
    snprintf(p, sizeof p, "%s.data-00001-of-00002", x.prefix);
    unlink(p);
    frt_bundle *b;
    TU_OK(frt_bundle_open(x.prefix, &b));
    int missing = failed_reads(b, is_missing_file, p);
    assert_true(missing > 0 && missing < frt_bundle_num_tensors(b));
    frt_bundle_free(b);
    damage_free(&x);
}

static void v1_checkpoint_rejected(void **s) {
    (void)s;
    char p[512];
    fixture_prefix(p, sizeof p, "tf1_v1", "model.ckpt");
    frt_checkpoint *c;
    tu_assert_error(frt_checkpoint_open(p, &c), FRT_UNIMPLEMENTED, "V1 format");
    tu_assert_error(frt_checkpoint_open(p, &c), FRT_UNIMPLEMENTED, "not supported");
    assert_null(c);
}

static void missing_index_and_bad_state_file(void **s) {
    (void)s;
    frt_checkpoint *c;
    tu_assert_error(frt_checkpoint_open("/nonexistent/model.ckpt", &c), FRT_NOT_FOUND,
                    "/nonexistent/model.ckpt.index");
    damaged x = damage_copy("tf2");
    char p[700];
    snprintf(p, sizeof p, "%s/checkpoint", x.dir);
    const char bad[] = "model_checkpoint_path: \"ckpt-1\"\nbogus_field: 3\n";
    tu_write_file(p, bad, sizeof bad - 1);
    tu_assert_error(frt_checkpoint_open(x.dir, &c), FRT_DATA_LOSS, "bad checkpoint state file");
    const char other[] = "model_checkpoint_path: \"ckpt-2\"\n";
    tu_write_file(p, other, sizeof other - 1);
    tu_assert_error(frt_checkpoint_open(x.dir, &c), FRT_NOT_FOUND, "ckpt-2.index");
    unlink(p);
    tu_assert_error(frt_checkpoint_open(x.dir, &c), FRT_NOT_FOUND, "no checkpoint state file");
    damage_free(&x);
}

/* ---- hostile indexes: nothing sized by what the index claims ---- */

/* prefix.index: a header saying num_shards, and "x" = float scalar 2.5 in shard 0 (whose
 * data file is written too). */
static void write_index_claiming_shards(const char *prefix, int num_shards) {
    float v = 2.5f;
    char path[700];
    snprintf(path, sizeof path, "%s.data-00000-of-%05d", prefix, num_shards);
    tu_write_file(path, &v, sizeof v);
    Tensorflow__BundleHeaderProto h = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
    h.num_shards = num_shards;
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    e.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    e.shape = &shape;
    e.size = sizeof v;
    e.crc32c = frt_crc32c_mask(frt_crc32c(&v, sizeof v));
    uint8_t hb[64], eb[64];
    size_t hn = tensorflow__bundle_header_proto__pack(&h, hb);
    size_t en = tensorflow__bundle_entry_proto__pack(&e, eb);
    frt_sstable_builder *tb = frt_sstable_builder_new(0, 0);
    TU_OK(frt_sstable_builder_add(tb, "", 0, hb, hn));
    TU_OK(frt_sstable_builder_add(tb, "x", 1, eb, en));
    uint8_t *file;
    size_t fn;
    frt_sstable_builder_finish(tb, &file, &fn);
    frt_sstable_builder_free(tb);
    snprintf(path, sizeof path, "%s.index", prefix);
    tu_write_file(path, file, fn);
    free(file);
}

/* Runs fn(arg) in a child whose address space is capped at 2 GiB, so that an allocation
 * sized by a damaged file fails there (and frt_x* allocators abort) instead of succeeding
 * lazily; asserts the child exited 0. Not under ASan/TSan, which reserve terabytes. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif
static void in_small_address_space(void (*fn)(const char *), const char *arg) {
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct rlimit rl = {(rlim_t)2 << 30, (rlim_t)2 << 30};
        setrlimit(RLIMIT_AS, &rl);
        fn(arg);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void open_and_read_x(const char *prefix) {
    frt_bundle *b = NULL;
    frt_tensor *t = NULL;
    frt_status *st = frt_bundle_open(prefix, &b);
    if (!st) st = frt_bundle_read(b, "x", &t);
    bool ok = !st && frt_tensor_f32(t)[0] == 2.5f;
    if (st) fprintf(stderr, "%s\n", frt_status_message(st));
    frt_status_free(st);
    frt_tensor_unref(t);
    frt_bundle_free(b);
    _exit(ok ? 0 : 1);
}

static void merge_fails_on_missing_shard(const char *prefix) {
    char dest[700];
    snprintf(dest, sizeof dest, "%s_merged", prefix);
    frt_status *st = frt_bundle_merge(&prefix, 1, dest, false, false);
    bool ok = frt_status_code(st) == FRT_NOT_FOUND &&
              strstr(frt_status_message(st), ".data-00001-of-2147483647") != NULL;
    if (!ok) fprintf(stderr, "%s\n", frt_status_message(st));
    frt_status_free(st);
    _exit(ok ? 0 : 1);
}

static void huge_num_shards_allocates_nothing_per_shard(void **s) {
    (void)s;
    if (SANITIZED) skip();
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    write_index_claiming_shards(prefix, INT32_MAX);
    in_small_address_space(open_and_read_x, prefix);
    in_small_address_space(merge_fails_on_missing_shard, prefix);
    tu_rmtree(d);
    free(d);
}

static void overlapping_partitions_are_refused(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    /* rows 0-1, 1 (again) and 3: four rows' worth, but row 2 is missing */
    frt_tensor *two = tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4));
    frt_tensor *one = tu_f32(TU_DIMS(1, 2), 2, TU_F32(5, 6));
    TU_OK(frt_bundle_writer_add_slice(w, "p", "4 2 0,2:-", two));
    TU_OK(frt_bundle_writer_add_slice(w, "p", "4 2 1,1:-", one));
    TU_OK(frt_bundle_writer_add_slice(w, "p", "4 2 3,1:-", one));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    frt_tensor *t = NULL;
    tu_assert_error(frt_bundle_read(b, "p", &t), FRT_DATA_LOSS, "partitions 0 and 1 of tensor "
                    "'p'");
    assert_null(t);
    frt_bundle_free(b);
    frt_tensor_unref(two);
    frt_tensor_unref(one);
    tu_rmtree(d);
    free(d);
}

static void uncovered_huge_partitioned_shape_is_not_allocated(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    frt_tensor *one = tu_f32(TU_DIMS(1, 2), 2, TU_F32(5, 6));
    /* a 2^40 x 2 float tensor (8 TiB) of which one row is stored */
    TU_OK(frt_bundle_writer_add_slice(w, "p", "1099511627776 2 0,1:-", one));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    frt_tensor *t = NULL;
    tu_assert_error(frt_bundle_read(b, "p", &t), FRT_NOT_FOUND, "do not cover");
    TU_OK(frt_bundle_read_slice(b, "p", "1099511627776 2 0,1:-", &t));
    tu_assert_equal(t, one);
    frt_tensor_unref(t);
    frt_bundle_free(b);
    frt_tensor_unref(one);
    tu_rmtree(d);
    free(d);
}

/* ---- crafted entries with correct checksums (found with the CRC checks off) ---- */

/* prefix.index holding one entry `key` = *e, and prefix.data-00000-of-00001 = data[0..n);
 * e's size is filled in, and its crc32c unless e has one (a string record's crc is not the
 * crc of its bytes). */
static void write_one_entry(const char *prefix, const char *key, Tensorflow__BundleEntryProto *e,
                            const void *data, size_t n) {
    char path[700];
    snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
    tu_write_file(path, data, n);
    e->size = (int64_t)n;
    if (!e->crc32c) e->crc32c = frt_crc32c_mask(frt_crc32c(data, n));
    Tensorflow__BundleHeaderProto h = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
    h.num_shards = 1;
    size_t en = tensorflow__bundle_entry_proto__get_packed_size(e);
    uint8_t hb[64], *eb = malloc(en);
    size_t hn = tensorflow__bundle_header_proto__pack(&h, hb);
    tensorflow__bundle_entry_proto__pack(e, eb);
    frt_sstable_builder *tb = frt_sstable_builder_new(0, 0);
    TU_OK(frt_sstable_builder_add(tb, "", 0, hb, hn));
    TU_OK(frt_sstable_builder_add(tb, key, strlen(key), eb, en));
    uint8_t *file;
    size_t fn;
    frt_sstable_builder_finish(tb, &file, &fn);
    frt_sstable_builder_free(tb);
    snprintf(path, sizeof path, "%s.index", prefix);
    tu_write_file(path, file, fn);
    free(file);
    free(eb);
}

/* String lengths 1 and 2^64-1 sum to 0 modulo 2^64: the record's byte count (none after the
 * lengths' crc) then matched, string 0 was read from past the record, string 1 was given
 * 2^64-1 bytes and the cursor stepped over it (pointer overflow). Both checksums are right,
 * so only the lengths can refuse it. */
static void string_lengths_summing_past_2_64_are_refused(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    uint64_t lens[2] = {1, UINT64_MAX};
    frt_bytes rec = {0};
    uint32_t lc = 0;
    for (int i = 0; i < 2; i++) {
        frt_bytes_put_varint64(&rec, lens[i]);
        uint8_t le[8];
        for (int k = 0; k < 8; k++) le[k] = (uint8_t)(lens[i] >> (8 * k));
        lc = frt_crc32c_extend(lc, le, lens[i] <= 0xffffffffu ? 4 : 8);
    }
    frt_bytes_put_fixed32(&rec, frt_crc32c_mask(lc));
    Tensorflow__TensorShapeProto__Dim dim = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT, *dp = &dim;
    dim.size = 2;
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = &dp;
    Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    e.dtype = TENSORFLOW__DATA_TYPE__DT_STRING;
    e.shape = &shape;
    /* the record's crc: lengths (as uint32/uint64), their stored crc, then no bytes */
    e.crc32c = frt_crc32c_mask(frt_crc32c_extend(lc, rec.p + rec.n - 4, 4));
    write_one_entry(prefix, "s", &e, rec.p, rec.n);
    free(rec.p);
    frt_bundle *b;
    TU_OK(frt_bundle_open(prefix, &b));
    frt_tensor *t = NULL;
    tu_assert_error(frt_bundle_read(b, "s", &t), FRT_DATA_LOSS, "string tensor 's'");
    assert_null(t);
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

/* An entry with two negative dims (or a slice with two bad extents) made a status per bad
 * one and returned the last: the first leaked (LSan, ~90 bytes). */
static void entry_with_several_bad_dims_leaks_nothing(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    Tensorflow__TensorShapeProto__Dim dims[2] = {TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT,
                                                 TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT};
    Tensorflow__TensorShapeProto__Dim *dp[2] = {&dims[0], &dims[1]};
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 2;
    shape.dim = dp;
    Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    e.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    e.shape = &shape;
    dims[0].size = dims[1].size = -1;
    write_one_entry(prefix, "x", &e, "", 0);
    frt_bundle *b;
    tu_assert_error(frt_bundle_open(prefix, &b), FRT_DATA_LOSS, "negative dim");
    /* a [1,1] tensor whose one slice lies outside it in both dimensions */
    dims[0].size = dims[1].size = 1;
    Tensorflow__TensorSliceProto__Extent ex[2] = {
        TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__INIT,
        TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__INIT};
    Tensorflow__TensorSliceProto__Extent *exp[2] = {&ex[0], &ex[1]};
    for (int i = 0; i < 2; i++) {
        ex[i].start = 5;
        ex[i].has_length_case = TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
        ex[i].length = 1;
    }
    Tensorflow__TensorSliceProto sl = TENSORFLOW__TENSOR_SLICE_PROTO__INIT, *slp = &sl;
    sl.n_extent = 2;
    sl.extent = exp;
    e.n_slices = 1;
    e.slices = &slp;
    write_one_entry(prefix, "x", &e, "", 0);
    tu_assert_error(frt_bundle_open(prefix, &b), FRT_DATA_LOSS, "outside its shape");
    tu_rmtree(d);
    free(d);
}

/* ---- files changed under a running process ---- */

/* prefix: "w" = 65536 floats (256 KiB, spanning pages) with values i * 0.5. */
static frt_tensor *write_big_bundle(const char *prefix) {
    frt_tensor *w;
    TU_OK(frt_tensor_new(FRT_DTYPE_FLOAT, TU_DIMS(65536), 1, &w));
    for (int i = 0; i < 65536; i++) frt_tensor_f32(w)[i] = (float)i * 0.5f;
    frt_tensor *a = tu_scalar_f32(1.0f);
    frt_bundle_writer *bw;
    TU_OK(frt_bundle_writer_new(prefix, &bw));
    TU_OK(frt_bundle_writer_add(bw, "a", a));
    TU_OK(frt_bundle_writer_add(bw, "w", w));
    TU_OK(frt_bundle_writer_finish(bw));
    frt_bundle_writer_free(bw);
    frt_tensor_unref(a);
    return w;
}

/* A training job overwriting the checkpoint a server restored from: with the restored
 * tensor aliasing the data file's mapping, truncating the file made its next read SIGBUS.
 * Restored tensors own their bytes: they keep the restored values, and later reads of the
 * shrunken file are DATA_LOSS. */
static void data_truncated_after_restore_keeps_values(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600], data[700];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    snprintf(data, sizeof data, "%s.data-00000-of-00001", prefix);
    frt_tensor *want = write_big_bundle(prefix);
    frt_checkpoint *c;
    TU_OK(frt_checkpoint_open(prefix, &c));
    frt_tensor *t;
    TU_OK(frt_checkpoint_read(c, "w", &t));
    assert_true(frt_tensor_is_exclusive(t)); /* its own memory, nothing aliased */
    assert_int_equal(truncate(data, 0), 0);
    tu_assert_equal(t, want);
    frt_tensor *again = NULL;
    tu_assert_error(frt_checkpoint_read(c, "w", &again), FRT_DATA_LOSS, "is truncated");
    assert_null(again);
    frt_checkpoint_close(c);
    tu_assert_equal(t, want);
    frt_tensor_unref(t);
    frt_tensor_unref(want);
    tu_rmtree(d);
    free(d);
}

/* FRT_BUNDLE_ZERO_COPY: tensors wrap the mapping (not exclusive, so no kernel writes into
 * them), hold the right values, and outlive the reader. */
static void zero_copy_opt_in_maps_the_data(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    frt_tensor *want = write_big_bundle(prefix);
    frt_bundle *b;
    TU_OK(frt_bundle_open_flags(prefix, FRT_BUNDLE_ZERO_COPY, &b));
    frt_tensor *t, *a;
    TU_OK(frt_bundle_read(b, "w", &t));
    TU_OK(frt_bundle_read(b, "a", &a));
    assert_false(frt_tensor_is_exclusive(t));
    frt_bundle_free(b);
    tu_assert_equal(t, want);
    assert_true(frt_tensor_f32(a)[0] == 1.0f);
    frt_tensor_unref(t);
    frt_tensor_unref(a);
    frt_checkpoint *c;
    TU_OK(frt_checkpoint_open_flags(prefix, FRT_CHECKPOINT_ZERO_COPY, &c));
    TU_OK(frt_checkpoint_read(c, "w", &t));
    assert_false(frt_tensor_is_exclusive(t));
    frt_checkpoint_close(c);
    tu_assert_equal(t, want);
    frt_tensor_unref(t);
    frt_tensor_unref(want);
    tu_rmtree(d);
    free(d);
}

/* frt_bundle_set_verify_crc_for_fuzzing(false) lets damaged checksums through, in the index
 * blocks and in the data, so a fuzzer reaches the parsers; on again, both are caught. */
static void crc_switch_for_fuzzing(void **s) {
    (void)s;
    char *d = tu_mkdtemp("bundle"), prefix[600], path[700];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    float v[4] = {1, 2, 3, 4};
    Tensorflow__TensorShapeProto__Dim dim = TENSORFLOW__TENSOR_SHAPE_PROTO__DIM__INIT, *dp = &dim;
    dim.size = 4;
    Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
    shape.n_dim = 1;
    shape.dim = &dp;
    Tensorflow__BundleEntryProto e = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
    e.dtype = TENSORFLOW__DATA_TYPE__DT_FLOAT;
    e.shape = &shape;
    write_one_entry(prefix, "x", &e, v, sizeof v);
    /* damage the data, and the entry's crc32c (its last 4 bytes) inside the index block */
    snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
    edit_file(path, 0, -1);
    uint8_t eb[64];
    size_t en = tensorflow__bundle_entry_proto__pack(&e, eb);
    snprintf(path, sizeof path, "%s.index", prefix);
    size_t n;
    uint8_t *idx = tu_read_file(path, &n);
    uint8_t *at = memmem(idx, n, eb, en);
    assert_non_null(at);
    long crc_at = (long)(at - idx) + (long)en - 1;
    free(idx);
    edit_file(path, crc_at, -1);
    frt_bundle *b;
    tu_assert_error(frt_bundle_open(prefix, &b), FRT_DATA_LOSS, "block checksum mismatch");
    frt_bundle_set_verify_crc_for_fuzzing(false);
    frt_status *st = frt_bundle_open(prefix, &b);
    frt_tensor *t = NULL;
    if (!st) st = frt_bundle_read(b, "x", &t);
    frt_bundle_set_verify_crc_for_fuzzing(true);
    TU_OK(st);
    assert_true(frt_tensor_f32(t)[1] == 2.0f);
    frt_tensor_unref(t);
    tu_assert_error(frt_bundle_read(b, "x", &t), FRT_DATA_LOSS, "checksum mismatch");
    frt_bundle_free(b);
    tu_rmtree(d);
    free(d);
}

int main(void) {
    const char *wp = getenv("FRT_BUNDLE_WRITE_PREFIX");
    if (wp && wp[0]) {
        frt_status *st = write_known_bundle(wp);
        if (st) fprintf(stderr, "%s\n", frt_status_message(st));
        return st ? 1 : 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_tf1_basic),
        cmocka_unit_test(reads_tf1_sharded),
        cmocka_unit_test(reads_tf1_partitioned),
        cmocka_unit_test(reads_tf2),
        cmocka_unit_test(reads_snappy_index),
        cmocka_unit_test(lists_tensors_and_prefix),
        cmocka_unit_test(reads_slices),
        cmocka_unit_test(slice_keys_match_formats_md),
        cmocka_unit_test(writer_reproduces_committed_bytes),
        cmocka_unit_test(writer_rejects_bad_adds),
        cmocka_unit_test(merges_shards),
        cmocka_unit_test(writer_out_of_memory_is_a_status),
        cmocka_unit_test(merge_across_file_systems_is_atomic),
        cmocka_unit_test(string_read_out_of_memory_names_the_file),
        cmocka_unit_test(flipped_bit_in_index_is_block_checksum_error),
        cmocka_unit_test(flipped_bit_in_data_is_tensor_checksum_error),
        cmocka_unit_test(flipped_bit_in_string_tensor),
        cmocka_unit_test(truncated_index),
        cmocka_unit_test(truncated_data),
        cmocka_unit_test(missing_shard),
        cmocka_unit_test(v1_checkpoint_rejected),
        cmocka_unit_test(missing_index_and_bad_state_file),
        cmocka_unit_test(huge_num_shards_allocates_nothing_per_shard),
        cmocka_unit_test(overlapping_partitions_are_refused),
        cmocka_unit_test(uncovered_huge_partitioned_shape_is_not_allocated),
        cmocka_unit_test(string_lengths_summing_past_2_64_are_refused),
        cmocka_unit_test(entry_with_several_bad_dims_leaks_nothing),
        cmocka_unit_test(data_truncated_after_restore_keeps_values),
        cmocka_unit_test(zero_copy_opt_in_maps_the_data),
        cmocka_unit_test(crc_switch_for_fuzzing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
