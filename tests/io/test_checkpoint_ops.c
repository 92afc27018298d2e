/* tests/io/test_checkpoint_ops.c: the checkpoint kernels (io/checkpoint_ops.c) through
 * frt_kernel_run_once: SaveV2 -> RestoreV2 round trips (whole tensors and slices), restoring
 * TF-written checkpoints, MergeV2Checkpoints, the error messages, and the string helpers
 * savers use (ShardedFilename/Filespec, StringJoin, StaticRegexFullMatch). */
#include "util/test_util.h"
#include "runtime/init.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static frt_tensor *strs(const int64_t *dims, int nd, const char *const *v) {
    frt_tensor *t;
    TU_OK(frt_tensor_new(FRT_DTYPE_STRING, dims, nd, &t));
    for (int64_t i = 0; i < frt_tensor_num_elements(t); i++)
        TU_OK(frt_tensor_set_string(t, i, v[i], strlen(v[i])));
    return t;
}
static frt_tensor *str1(const char *s) { return strs(NULL, 0, &s); }

static void assert_str(const frt_tensor *t, int64_t i, const char *want) {
    size_t n;
    const char *s = frt_tensor_string(t, i, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(s, want, n);
}

/* RestoreV2(prefix, names, slices) with dtypes; outputs in outs. */
static frt_status *restore(const char *prefix, int n, const char *const *names,
                           const char *const *slices, const frt_dtype *dt, frt_tensor **outs) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_types(&a, "dtypes", dt, n);
    frt_tensor *in[3] = {str1(prefix), strs(TU_DIMS(n), 1, names), strs(TU_DIMS(n), 1, slices)};
    frt_status *st = tu_run("RestoreV2", &a, in, 3, outs, n);
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
    return st;
}

static void save_restore_round_trip(void **s) {
    (void)s;
    char *d = tu_mkdtemp("ckops"), prefix[300];
    snprintf(prefix, sizeof prefix, "%s/model", d);
    const char *words[2] = {"hello", "world!"};
    frt_tensor *v[4] = {tu_f32(TU_DIMS(2, 2), 2, TU_F32(1, 2, 3, 4)),
                        tu_i64(TU_DIMS(3), 1, (int64_t[]){-1, 0, 1LL << 40}),
                        strs(TU_DIMS(2), 1, words),
                        tu_f32(TU_DIMS(2, 2), 2, TU_F32(5, 6, 7, 8))};
    const char *names[4] = {"w", "step", "vocab", "p"};
    const char *slices[4] = {"", "", "", "4 2 2,2:-"};
    frt_dtype dts[4] = {FRT_DTYPE_FLOAT, FRT_DTYPE_INT64, FRT_DTYPE_STRING, FRT_DTYPE_FLOAT};
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_types(&a, "dtypes", dts, 4);
    frt_tensor *in[7] = {str1(prefix), strs(TU_DIMS(4), 1, names), strs(TU_DIMS(4), 1, slices),
                         v[0], v[1], v[2], v[3]};
    TU_OK(tu_run("SaveV2", &a, in, 7, NULL, 0));
    frt_attrs_deinit(&a);
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);

    frt_tensor *out[4];
    const char *rslices[4] = {"", "", "", "4 2 2,2:-"};
    TU_OK(restore(prefix, 4, names, rslices, dts, out));
    for (int i = 0; i < 2; i++) tu_assert_equal(out[i], v[i]);
    assert_str(out[2], 0, "hello");
    assert_str(out[2], 1, "world!");
    tu_assert_equal(out[3], v[3]);
    for (int i = 0; i < 4; i++) frt_tensor_unref(out[i]);
    /* a sub-slice of the whole tensor w */
    const char *n1[1] = {"w"}, *s1[1] = {"2 2 1,1:-"};
    TU_OK(restore(prefix, 1, n1, s1, dts, out));
    tu_assert_shape(out[0], TU_DIMS(1, 2), 2);
    assert_true(frt_tensor_f32(out[0])[0] == 3 && frt_tensor_f32(out[0])[1] == 4);
    frt_tensor_unref(out[0]);
    /* the partition that was not saved is not covered */
    const char *n2[1] = {"p"}, *s2[1] = {"4 2 0,2:-"};
    tu_assert_error(restore(prefix, 1, n2, s2, dts, out), FRT_NOT_FOUND, "do not cover");
    for (int i = 0; i < 4; i++) frt_tensor_unref(v[i]);
    assert_int_equal(tu_rmtree(d), 0);
    free(d);
}

static void restore_errors(void **s) {
    (void)s;
    char p[512];
    tu_data_path(p, sizeof p, "ckpt/tf1_basic/model.ckpt");
    frt_tensor *out[2];
    const char *names[2] = {"dense/kernel", "nope"}, *sl[2] = {"", ""};
    frt_dtype dt[2] = {FRT_DTYPE_FLOAT, FRT_DTYPE_FLOAT};
    char want[600];
    snprintf(want, sizeof want, "Key nope not found in checkpoint %s", p);
    tu_assert_error(restore(p, 2, names, sl, dt, out), FRT_NOT_FOUND, want);
    assert_null(out[0]);
    frt_dtype wrong[1] = {FRT_DTYPE_INT32};
    tu_assert_error(restore(p, 1, names, sl, wrong, out), FRT_INVALID_ARGUMENT,
                    "tensor 'dense/kernel' in checkpoint");
    tu_assert_error(restore("/nonexistent/x", 1, names, sl, dt, out), FRT_NOT_FOUND,
                    "/nonexistent/x.index");
    /* names/dtypes disagree */
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_types(&a, "dtypes", dt, 2);
    frt_tensor *in[3] = {str1(p), strs(TU_DIMS(1), 1, names), strs(TU_DIMS(1), 1, sl)};
    tu_assert_error(tu_run("RestoreV2", &a, in, 3, out, 2), FRT_INVALID_ARGUMENT, "must agree");
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
}

static void restores_tf_checkpoints(void **s) {
    (void)s;
    char p[512];
    tu_data_path(p, sizeof p, "ckpt/tf1_partitioned/model.ckpt");
    const char *names[2] = {"part", "plain"}, *sl[2] = {"10 4 3,4:-", ""};
    frt_dtype dt[2] = {FRT_DTYPE_FLOAT, FRT_DTYPE_FLOAT};
    frt_tensor *out[2];
    TU_OK(restore(p, 2, names, sl, dt, out));
    tu_assert_shape(out[0], TU_DIMS(4, 4), 2);
    for (int i = 0; i < 16; i++) assert_true(frt_tensor_f32(out[0])[i] == (float)(12 + i));
    assert_true(frt_tensor_f32(out[1])[0] == 3.0f);
    frt_tensor_unref(out[0]);
    frt_tensor_unref(out[1]);
    tu_data_path(p, sizeof p, "ckpt/tf2/ckpt-1");
    const char *n2[2] = {"step/.ATTRIBUTES/VARIABLE_VALUE", "note/.ATTRIBUTES/VARIABLE_VALUE"};
    frt_dtype d2[2] = {FRT_DTYPE_INT64, FRT_DTYPE_STRING};
    const char *whole[2] = {"", ""};
    TU_OK(restore(p, 2, n2, whole, d2, out));
    assert_int_equal(frt_tensor_i64(out[0])[0], 42);
    assert_str(out[1], 0, "hello");
    frt_tensor_unref(out[0]);
    frt_tensor_unref(out[1]);
}

static void merge_kernel(void **s) {
    (void)s;
    char *d = tu_mkdtemp("ckops"), p0[300], p1[300], dest[300];
    snprintf(p0, sizeof p0, "%s/m_temp/part-00000-of-00002", d);
    snprintf(p1, sizeof p1, "%s/m_temp/part-00001-of-00002", d);
    snprintf(dest, sizeof dest, "%s/m", d);
    char mk[400];
    snprintf(mk, sizeof mk, "%s/m_temp", d);
    assert_int_equal(mkdir(mk, 0755), 0);
    const char *pf[2] = {p0, p1};
    for (int i = 0; i < 2; i++) {
        frt_attrs a;
        frt_attrs_init(&a);
        frt_dtype dt = FRT_DTYPE_FLOAT;
        tu_attr_types(&a, "dtypes", &dt, 1);
        const char *nm = i ? "b" : "a", *sl = "";
        frt_tensor *in[4] = {str1(pf[i]), strs(TU_DIMS(1), 1, &nm), strs(TU_DIMS(1), 1, &sl),
                             tu_scalar_f32((float)i + 0.5f)};
        TU_OK(tu_run("SaveV2", &a, in, 4, NULL, 0));
        for (int k = 0; k < 4; k++) frt_tensor_unref(in[k]);
        frt_attrs_deinit(&a);
    }
    frt_attrs a;
    frt_attrs_init(&a);
    frt_tensor *in[2] = {strs(TU_DIMS(2), 1, pf), str1(dest)};
    TU_OK(tu_run("MergeV2Checkpoints", &a, in, 2, NULL, 0)); /* delete_old_dirs defaults true */
    frt_tensor_unref(in[0]);
    frt_tensor_unref(in[1]);
    frt_attrs_deinit(&a);
    assert_int_not_equal(access(mk, F_OK), 0);
    const char *names[2] = {"a", "b"}, *sl[2] = {"", ""};
    frt_dtype dt[2] = {FRT_DTYPE_FLOAT, FRT_DTYPE_FLOAT};
    frt_tensor *out[2];
    TU_OK(restore(dest, 2, names, sl, dt, out));
    assert_true(frt_tensor_f32(out[0])[0] == 0.5f && frt_tensor_f32(out[1])[0] == 1.5f);
    frt_tensor_unref(out[0]);
    frt_tensor_unref(out[1]);
    assert_int_equal(tu_rmtree(d), 0);
    free(d);
}

static void sharded_names(void **s) {
    (void)s;
    frt_attrs a;
    frt_attrs_init(&a);
    frt_tensor *in[3] = {str1("/tmp/model_temp/part"), tu_scalar_i32(3), tu_scalar_i32(12)}, *out;
    TU_OK(tu_run("ShardedFilename", &a, in, 3, &out, 1));
    assert_str(out, 0, "/tmp/model_temp/part-00003-of-00012");
    frt_tensor_unref(out);
    frt_tensor *in2[2] = {in[0], in[2]};
    TU_OK(tu_run("ShardedFilespec", &a, in2, 2, &out, 1));
    assert_str(out, 0, "/tmp/model_temp/part-\?\?\?\?\?-of-00012");
    frt_tensor_unref(out);
    frt_tensor *bad[3] = {in[0], tu_f32(TU_DIMS(1), 1, TU_F32(1)), in[2]};
    tu_assert_error(tu_run("ShardedFilename", &a, bad, 3, &out, 1), FRT_INVALID_ARGUMENT,
                    "shard");
    frt_tensor_unref(bad[1]);
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
}

static void string_join(void **s) {
    (void)s;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_str(&a, "separator", "/");
    tu_attr_int(&a, "N", 3);
    const char *v[3] = {"a", "bb", ""};
    frt_tensor *in[3] = {str1("pre"), strs(TU_DIMS(3), 1, v), str1("x")}, *out;
    TU_OK(tu_run("StringJoin", &a, in, 3, &out, 1));
    tu_assert_shape(out, TU_DIMS(3), 1);
    assert_str(out, 0, "pre/a/x");
    assert_str(out, 1, "pre/bb/x");
    assert_str(out, 2, "pre//x");
    frt_tensor_unref(out);
    frt_tensor_unref(in[2]);
    in[2] = strs(TU_DIMS(2), 1, v);
    tu_assert_error(tu_run("StringJoin", &a, in, 3, &out, 1), FRT_INVALID_ARGUMENT,
                    "same shape");
    for (int i = 0; i < 3; i++) frt_tensor_unref(in[i]);
    frt_attrs_deinit(&a);
    /* TF1 savers: StringJoin(prefix, "_temp_<uuid>/part") with the default separator */
    frt_attrs_init(&a);
    frt_tensor *in2[2] = {str1("model"), str1("_temp/part")};
    TU_OK(tu_run("StringJoin", &a, in2, 2, &out, 1));
    assert_int_equal(frt_tensor_ndim(out), 0);
    assert_str(out, 0, "model_temp/part");
    frt_tensor_unref(out);
    frt_tensor_unref(in2[0]);
    frt_tensor_unref(in2[1]);
    frt_attrs_deinit(&a);
}

static void regex_full_match(void **s) {
    (void)s;
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_str(&a, "pattern", "^s3://.*");
    const char *v[4] = {"s3://bucket/x", "/tmp/s3://", "s3:/", "s3://"};
    frt_tensor *in = strs(TU_DIMS(4), 1, v), *out;
    TU_OK(tu_run("StaticRegexFullMatch", &a, &in, 1, &out, 1));
    const uint8_t *b = frt_tensor_data(out);
    assert_true(b[0] == 1 && b[1] == 0 && b[2] == 0 && b[3] == 1);
    frt_tensor_unref(out);
    frt_attrs_deinit(&a);
    frt_attrs_init(&a);
    tu_attr_str(&a, "pattern", "ab"); /* full match, not search */
    const char *w[2] = {"ab", "xaby"};
    frt_tensor *in2 = strs(TU_DIMS(2), 1, w);
    TU_OK(tu_run("StaticRegexFullMatch", &a, &in2, 1, &out, 1));
    b = frt_tensor_data(out);
    assert_true(b[0] == 1 && b[1] == 0);
    frt_tensor_unref(out);
    frt_attrs_deinit(&a);
    frt_attrs_init(&a);
    tu_attr_str(&a, "pattern", "(unclosed");
    tu_assert_error(tu_run("StaticRegexFullMatch", &a, &in, 1, &out, 1), FRT_INVALID_ARGUMENT,
                    "invalid pattern '(unclosed'");
    frt_attrs_deinit(&a);
    frt_tensor_unref(in);
    frt_tensor_unref(in2);
}

int main(void) {
    frt_init(); /* kernels are looked up directly, not through a session */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_restore_round_trip),
        cmocka_unit_test(restore_errors),
        cmocka_unit_test(restores_tf_checkpoints),
        cmocka_unit_test(merge_kernel),
        cmocka_unit_test(sharded_names),
        cmocka_unit_test(string_join),
        cmocka_unit_test(regex_full_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
