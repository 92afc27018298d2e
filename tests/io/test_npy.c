/* tests/io/test_npy.c: .npy reading (files written by NumPy 2.4, tools/gen_io_fixtures.py)
 * and writing (byte-identical to NumPy's own output), plus rejected and damaged files. */
#include "util/test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/file.h"

static frt_tensor *read_fixture(const char *name) {
    char rel[256], p[512];
    snprintf(rel, sizeof rel, "io/npy/%s", name);
    frt_tensor *t = NULL;
    TU_OK(frt_npy_read(tu_data_path(p, sizeof p, rel), &t));
    return t;
}

static void reads_numpy_files(void **state) {
    (void)state;
    frt_tensor *t = read_fixture("f4_2x3.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_FLOAT);
    tu_assert_shape(t, TU_DIMS(2, 3), 2);
    for (int i = 0; i < 6; i++) assert_true(frt_tensor_f32(t)[i] == (float)i - 2.5f);
    frt_tensor_unref(t);

    t = read_fixture("f8_scalar.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_DOUBLE);
    assert_int_equal(frt_tensor_ndim(t), 0);
    assert_true(*(double *)frt_tensor_data(t) == 3.25);
    frt_tensor_unref(t);

    t = read_fixture("i8_empty.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT64);
    tu_assert_shape(t, TU_DIMS(0, 4), 2);
    assert_int_equal(frt_tensor_num_elements(t), 0);
    frt_tensor_unref(t);

    t = read_fixture("i4_3.npy");
    assert_int_equal(frt_tensor_i32(t)[0], -1);
    assert_int_equal(frt_tensor_i32(t)[2], 2147483647);
    frt_tensor_unref(t);

    t = read_fixture("b1_4.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_BOOL);
    const uint8_t *b = frt_tensor_data(t);
    assert_true(b[0] == 1 && b[1] == 0 && b[2] == 0 && b[3] == 1);
    frt_tensor_unref(t);

    t = read_fixture("u1_2x2.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_UINT8);
    assert_int_equal(((uint8_t *)frt_tensor_data(t))[1], 255);
    frt_tensor_unref(t);
    t = read_fixture("i1_3.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT8);
    assert_int_equal(((int8_t *)frt_tensor_data(t))[0], -128);
    frt_tensor_unref(t);
    t = read_fixture("i2_2.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT16);
    assert_int_equal(((int16_t *)frt_tensor_data(t))[0], -300);
    frt_tensor_unref(t);
    t = read_fixture("u2_2.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_UINT16);
    assert_int_equal(((uint16_t *)frt_tensor_data(t))[0], 65535);
    frt_tensor_unref(t);
    t = read_fixture("u4_2.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_UINT32);
    assert_true(((uint32_t *)frt_tensor_data(t))[0] == UINT32_MAX);
    frt_tensor_unref(t);
    t = read_fixture("u8_2.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_UINT64);
    assert_true(((uint64_t *)frt_tensor_data(t))[0] == UINT64_MAX);
    frt_tensor_unref(t);
    t = read_fixture("f2_3.npy");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_HALF);
    const uint16_t *h = frt_tensor_data(t);
    assert_true(h[0] == 0x3c00 && h[1] == 0xb800 && h[2] == 0x7bff);
    frt_tensor_unref(t);
    t = read_fixture("f4_1x1x2x1.npy");
    tu_assert_shape(t, TU_DIMS(1, 1, 2, 1), 4);
    assert_true(frt_tensor_f32(t)[1] == 2.0f);
    frt_tensor_unref(t);
}

static void reads_versions_2_and_3(void **state) {
    (void)state;
    const char *names[] = {"v2_f4_3.npy", "v3_f4_3.npy"};
    for (int k = 0; k < 2; k++) {
        frt_tensor *t = read_fixture(names[k]);
        tu_assert_shape(t, TU_DIMS(3), 1);
        assert_true(frt_tensor_f32(t)[0] == 1.0f && frt_tensor_f32(t)[2] == 3.0f);
        frt_tensor_unref(t);
    }
}

static void rejects_big_endian_and_fortran(void **state) {
    (void)state;
    char p[512];
    frt_tensor *t = (frt_tensor *)1;
    tu_data_path(p, sizeof p, "io/npy/be_f4_3.npy");
    tu_assert_error(frt_npy_read(p, &t), FRT_UNIMPLEMENTED, "big-endian .npy data ('>f4')");
    assert_null(t);
    tu_data_path(p, sizeof p, "io/npy/fortran_f4_2x3.npy");
    frt_status *st = frt_npy_read(p, &t);
    assert_non_null(strstr(frt_status_message(st), "fortran_f4_2x3.npy"));
    tu_assert_error(st, FRT_UNIMPLEMENTED, "Fortran-order");
    assert_null(t);
}

static char *tmpdir;

static const char *tmp_path(char *buf, size_t n, const char *name) {
    snprintf(buf, n, "%s/%s", tmpdir, name);
    return buf;
}

/* Our writer produces the same bytes as NumPy for the same array. */
static void writes_what_numpy_writes(void **state) {
    (void)state;
    const char *names[] = {"f4_2x3.npy", "f8_scalar.npy", "i8_empty.npy", "b1_4.npy",
                           "u1_2x2.npy", "i1_3.npy",      "i2_2.npy",     "u2_2.npy",
                           "u4_2.npy",   "u8_2.npy",      "f2_3.npy",     "i4_3.npy",
                           "f4_1x1x2x1.npy"};
    for (size_t k = 0; k < FRT_COUNTOF(names); k++) {
        frt_tensor *t = read_fixture(names[k]);
        char out[512], p[512], rel[256];
        TU_OK(frt_npy_write(tmp_path(out, sizeof out, names[k]), t));
        size_t a, b;
        uint8_t *mine = tu_read_file(out, &a);
        snprintf(rel, sizeof rel, "io/npy/%s", names[k]);
        uint8_t *theirs = tu_read_file(tu_data_path(p, sizeof p, rel), &b);
        if (a != b || memcmp(mine, theirs, a) != 0) fail_msg("%s differs from NumPy's", names[k]);
        free(mine);
        free(theirs);
        assert_int_equal((a - frt_tensor_nbytes(t)) % 64, 0); /* data 64-byte aligned */
        /* and it reads back */
        frt_tensor *r;
        TU_OK(frt_npy_read(out, &r));
        tu_assert_equal(r, t);
        frt_tensor_unref(r);
        frt_tensor_unref(t);
        unlink(out);
    }
    /* strings and bfloat16 have no .npy form */
    frt_tensor *s;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, TU_DIMS(1), 1, &s));
    char out[512];
    tu_assert_error(frt_npy_write(tmp_path(out, sizeof out, "s.npy"), s), FRT_UNIMPLEMENTED,
                    "string");
    frt_tensor_unref(s);
    frt_tensor *t = tu_f32(TU_DIMS(1), 1, TU_F32(1));
    tu_assert_error(frt_npy_write("/nonexistent/dir/x.npy", t), FRT_NOT_FOUND,
                    "'/nonexistent/dir/x.npy'");
    frt_tensor_unref(t);
}

/* A full disk (injected ENOSPC) while writing: the previous file is byte-identical afterwards
 * and no temporary is left in the directory. */
static void full_disk_keeps_the_previous_file(void **state) {
    (void)state;
    char out[512];
    tmp_path(out, sizeof out, "y.npy");
    frt_tensor *good = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    TU_OK(frt_npy_write(out, good));
    size_t len;
    uint8_t *before = tu_read_file(out, &len);
    frt_tensor *big = tu_rand_f32(TU_DIMS(100, 100), 2, 3);
    const long long after[] = {0, 64, 128, 20000};
    for (size_t i = 0; i < FRT_COUNTOF(after); i++) {
        frt_file_fail_writes_after(after[i]);
        tu_assert_error(frt_npy_write(out, big), FRT_RESOURCE_EXHAUSTED,
                        "No space left on device");
        frt_file_fail_writes_after(-1);
        size_t n;
        uint8_t *now = tu_read_file(out, &n);
        assert_int_equal(n, len);
        assert_memory_equal(now, before, len);
        free(now);
        DIR *d = opendir(tmpdir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d)))
            if (strstr(e->d_name, "y.npy.")) fail_msg("temporary %s left behind", e->d_name);
        closedir(d);
    }
    frt_tensor_unref(big);
    frt_tensor_unref(good);
    free(before);
    unlink(out);
}

static void damaged_files(void **state) {
    (void)state;
    char p[512], out[512];
    size_t len;
    uint8_t *good = tu_read_file(tu_data_path(p, sizeof p, "io/npy/f4_2x3.npy"), &len);
    char buf[4096];
    assert_true(len < sizeof buf);
    memcpy(buf, good, len);
    frt_tensor *t = (frt_tensor *)1;
    /* truncated data, truncated header, cut inside the preamble */
    const size_t cuts[] = {len - 1, len - 24, 128, 100, 9, 3, 0};
    for (size_t k = 0; k < FRT_COUNTOF(cuts); k++) {
        tu_write_file(tmp_path(out, sizeof out, "cut.npy"), buf, cuts[k]);
        frt_status *st = frt_npy_read(out, &t);
        assert_non_null(strstr(frt_status_message(st), "cut.npy"));
        tu_assert_error(st, FRT_DATA_LOSS, "");
        assert_null(t);
    }
    tu_write_file(out, buf, len - 1);
    tu_assert_error(frt_npy_read(out, &t), FRT_DATA_LOSS, "data is truncated (expected 24 bytes)");

    /* header edits: each replaces a piece of the dict */
    struct {
        const char *from, *to;
        frt_code code;
        const char *needle;
    } edits[] = {
        {"'<f4'", "'<U1'", FRT_UNIMPLEMENTED, "unsupported .npy dtype '<U1'"},
        {"'<f4'", "'<f3'", FRT_UNIMPLEMENTED, "unsupported .npy dtype '<f3'"},
        {"'<f4'", "'>i2'", FRT_UNIMPLEMENTED, "big-endian"},
        {"'<f4'", "'=f4'", FRT_OK, ""},
        {"(2, 3)", "(6,)  ", FRT_OK, ""},
        {"(2, 3)", "(2,-3)", FRT_DATA_LOSS, "non-negative"},
        {"'shape'", "'shapo'", FRT_DATA_LOSS, "unknown key"},
        {"False", "Nope ", FRT_DATA_LOSS, "'fortran_order' must be True or False"},
        {"{'descr'", "['descr'", FRT_DATA_LOSS, "expected '{'"},
    };
    for (size_t k = 0; k < FRT_COUNTOF(edits); k++) {
        memcpy(buf, good, len);
        char *at = strstr(buf + 10, edits[k].from);
        assert_non_null(at);
        assert_int_equal(strlen(edits[k].from), strlen(edits[k].to));
        memcpy(at, edits[k].to, strlen(edits[k].to));
        tu_write_file(out, buf, len);
        frt_status *st = frt_npy_read(out, &t);
        if (edits[k].code == FRT_OK) {
            if (st) fail_msg("edit %zu: %s", k, frt_status_message(st));
            assert_int_equal(frt_tensor_num_elements(t), 6);
            frt_tensor_unref(t);
        } else {
            tu_assert_error(st, edits[k].code, edits[k].needle);
            assert_null(t);
        }
    }
    /* bad magic and unknown version */
    memcpy(buf, good, len);
    buf[1] = 'X';
    tu_write_file(out, buf, len);
    tu_assert_error(frt_npy_read(out, &t), FRT_DATA_LOSS, "not a .npy file");
    memcpy(buf, good, len);
    buf[6] = 9;
    tu_write_file(out, buf, len);
    tu_assert_error(frt_npy_read(out, &t), FRT_UNIMPLEMENTED, "version 9.0");
    /* a header length far beyond the file */
    memcpy(buf, good, len);
    buf[8] = (char)0xff;
    buf[9] = (char)0xff;
    tu_write_file(out, buf, len);
    tu_assert_error(frt_npy_read(out, &t), FRT_DATA_LOSS, "header is truncated");
    /* a shape far beyond the data (2^40 x 4 floats: 16 TiB) is refused before allocating */
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 4), }";
    char head[128];
    memset(head, ' ', sizeof head);
    memcpy(head, "\x93NUMPY\x01\x00", 8);
    head[8] = (char)(sizeof head - 10);
    head[9] = 0;
    memcpy(head + 10, dict, sizeof dict - 1);
    head[sizeof head - 1] = '\n';
    tu_write_file(out, head, sizeof head);
    tu_assert_error(frt_npy_read(out, &t), FRT_DATA_LOSS,
                    "data is truncated (expected 17592186044416 bytes) for shape "
                    "[1099511627776,4] of float32; the file has 0 after the header");
    assert_null(t);
    unlink(out);
    free(good);
    tu_assert_error(frt_npy_read("/nonexistent/a.npy", &t), FRT_NOT_FOUND, "'/nonexistent/a.npy'");
}

static int setup(void **state) {
    (void)state;
    tmpdir = tu_mkdtemp("npy");
    return 0;
}
static int teardown(void **state) {
    (void)state;
    int rc = rmdir(tmpdir); /* fails unless every test removed what it wrote */
    free(tmpdir);
    return rc;
}

/* Every allocation of a read fails in turn: each error is RESOURCE_EXHAUSTED and names the
 * file being read. */
static void out_of_memory_names_the_file(void **state) {
    (void)state;
    char p[512];
    tu_data_path(p, sizeof p, "io/npy/f4_2x3.npy");
    for (long n = 1;; n++) {
        frt_tensor *t = NULL;
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_npy_read(p, &t);
        frt_testing_fail_alloc_after(0);
        if (!st) {
            frt_tensor_unref(t);
            break;
        }
        assert_null(t);
        if (!strstr(frt_status_message(st), p))
            fail_msg("allocation %ld: '%s' does not name the file", n, frt_status_message(st));
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "");
        assert_true(n < 100);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_numpy_files),
        cmocka_unit_test(reads_versions_2_and_3),
        cmocka_unit_test(rejects_big_endian_and_fortran),
        cmocka_unit_test(writes_what_numpy_writes),
        cmocka_unit_test(full_disk_keeps_the_previous_file),
        cmocka_unit_test(damaged_files),
        cmocka_unit_test(out_of_memory_names_the_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
