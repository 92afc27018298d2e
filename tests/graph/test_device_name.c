/* tests/graph/test_device_name.c: TF device names: full, partial, legacy and local forms,
 * wildcards, malformed names (each refused naming the string), canonical printing, matching
 * and merging. Cases follow TF's device_name_utils_test.cc. */
#include "util/test_util.h"

#include <stdio.h>
#include <string.h>

#include "graph/device_name.h"

static frt_device_name parse_ok(const char *s) {
    frt_device_name n;
    TU_OK(frt_device_name_parse(s, &n));
    return n;
}

static void assert_str(const char *got, size_t len, const char *want) {
    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("got '%.*s', expected '%s'", (int)len, got, want);
}

/* Prints n canonically and compares. */
static void assert_canonical(const frt_device_name *n, const char *want) {
    char buf[256];
    size_t len = frt_device_name_format(n, buf, sizeof buf);
    assert_int_equal(len, strlen(want));
    assert_string_equal(buf, want);
}

static void assert_round_trip(const char *s, const char *want) {
    frt_device_name n = parse_ok(s);
    assert_canonical(&n, want);
}

static void full_name(void **state) {
    (void)state;
    frt_device_name n = parse_ok("/job:localhost/replica:0/task:0/device:GPU:0");
    assert_true(n.has_job && n.has_replica && n.has_task && n.has_type && n.has_id);
    assert_str(n.job, n.job_len, "localhost");
    assert_int_equal(n.replica, 0);
    assert_int_equal(n.task, 0);
    assert_str(n.type, n.type_len, "GPU");
    assert_int_equal(n.id, 0);
    n = parse_ok("/job:foo_bar/replica:1/task:2/device:GPU:3");
    assert_str(n.job, n.job_len, "foo_bar");
    assert_int_equal(n.replica, 1);
    assert_int_equal(n.task, 2);
    assert_int_equal(n.id, 3);
    /* Any type name of letters, digits and '_'. */
    n = parse_ok("/job:*/replica:4/device:myspecialdevice:13");
    assert_false(n.has_job);
    assert_str(n.type, n.type_len, "myspecialdevice");
    assert_int_equal(n.id, 13);
}

static void partial_and_wildcards(void **state) {
    (void)state;
    frt_device_name n = parse_ok("/device:GPU:0");
    assert_false(n.has_job || n.has_replica || n.has_task);
    assert_true(n.has_type && n.has_id);
    n = parse_ok("/device:CPU:*");
    assert_true(n.has_type);
    assert_false(n.has_id);
    assert_str(n.type, n.type_len, "CPU");
    n = parse_ok("/device:GPU"); /* the id may be left out */
    assert_true(n.has_type);
    assert_false(n.has_id);
    n = parse_ok("/device:*:1");
    assert_false(n.has_type);
    assert_true(n.has_id);
    n = parse_ok("/job:*/replica:4/gpu:*");
    assert_false(n.has_job || n.has_task || n.has_id);
    assert_true(n.has_replica && n.has_type);
    assert_int_equal(n.replica, 4);
    /* Parts in any order; a later part overrides an earlier one. */
    n = parse_ok("/job:*/device:GPU/replica:4");
    assert_true(n.has_replica && n.has_type);
    n = parse_ok("/gpu:*/job:*/replica:4");
    assert_true(n.has_replica && n.has_type);
    assert_false(n.has_job);
    n = parse_ok("/job:a/job:b");
    assert_str(n.job, n.job_len, "b");
    n = parse_ok("/task:3");
    assert_true(n.has_task);
    assert_int_equal(n.task, 3);
    /* Empty specs. */
    n = parse_ok("");
    assert_false(frt_device_name_has_details(&n));
    n = parse_ok("/");
    assert_false(frt_device_name_has_details(&n));
    n = parse_ok("/job:*/replica:*/task:*/device:*:*");
    assert_false(frt_device_name_has_details(&n));
    assert_true(frt_device_name_has_details(&(frt_device_name){.has_id = true}));
}

static void legacy_forms(void **state) {
    (void)state;
    const char *cases[][3] = {{"/cpu:0", "CPU", "0"}, {"/CPU:2", "CPU", "2"},
                              {"/gpu:0", "GPU", "0"}, {"/GPU:1", "GPU", "1"}};
    for (size_t i = 0; i < FRT_COUNTOF(cases); i++) {
        frt_device_name n = parse_ok(cases[i][0]);
        assert_true(n.has_type && n.has_id);
        assert_str(n.type, n.type_len, cases[i][1]);
        assert_int_equal(n.id, cases[i][2][0] - '0');
    }
    frt_device_name n = parse_ok("/job:w/replica:1/task:2/gpu:3");
    assert_true(n.has_job && n.has_replica && n.has_task && n.has_type && n.has_id);
    n = parse_ok("/cpu:*");
    assert_true(n.has_type);
    assert_false(n.has_id);
    /* Under /device: the type keeps its case, as in TF: "gpu" is not "GPU". */
    n = parse_ok("/device:gpu:0");
    assert_str(n.type, n.type_len, "gpu");
}

static void malformed(void **state) {
    (void)state;
    const char *bad[] = {"/device:GPU:x", "/gpu:-1", "garbage", "/job:", "/job:123",
                         "/job:123/replica:1/task:2/gpu:", "/gpu:", "/Gpu:0", "/device:",
                         "/device:GPU:", "/device:GPU:0/extra", "/job:foo/replica:-1",
                         "/job:foo/replica:1/task:-2/device:GPU:3", "/job:foo/replica:1/bar:3",
                         "GPU:0", "/device:GPU:0/", "//device:GPU:0", "/device:GP-U:0",
                         "/replica:99999999999", "/device:GPU:2147483648", "/job:a b",
                         "/device:0:0", "gpu:0", " /gpu:0"};
    for (size_t i = 0; i < FRT_COUNTOF(bad); i++) {
        frt_device_name n;
        frt_status *st = frt_device_name_parse(bad[i], &n);
        if (!st) fail_msg("'%s' parsed", bad[i]);
        char want[128];
        snprintf(want, sizeof want, "'%s'", bad[i]);
        tu_assert_error(st, FRT_INVALID_ARGUMENT, want);
        assert_false(frt_device_name_has_details(&n)); /* cleared on error */
    }
    frt_device_name n;
    tu_assert_error(frt_device_name_parse("/gpu:-1", &n), FRT_INVALID_ARGUMENT,
                    "expected a number or '*'");
    tu_assert_error(frt_device_name_parse("garbage", &n), FRT_INVALID_ARGUMENT,
                    "at offset 0");
    /* The largest id is INT_MAX. */
    n = parse_ok("/device:GPU:2147483647");
    assert_int_equal(n.id, 2147483647);
}

static void local_names(void **state) {
    (void)state;
    frt_device_name n;
    TU_OK(frt_device_name_parse_local("CPU:10", &n));
    assert_str(n.type, n.type_len, "CPU");
    assert_int_equal(n.id, 10);
    assert_true(n.has_type && n.has_id);
    assert_false(n.has_job);
    const char *bad[] = {"cpu:abc", "abc:", "abc", "myspecialdevice", "/GPU:0", "GPU:0x",
                         "GPU:*", ""};
    for (size_t i = 0; i < FRT_COUNTOF(bad); i++)
        tu_assert_error(frt_device_name_parse_local(bad[i], &n), FRT_INVALID_ARGUMENT,
                        bad[i]);
    /* Full first, then local (TF's ParseFullOrLocalName). */
    TU_OK(frt_device_name_parse_any("GPU:1", &n));
    assert_int_equal(n.id, 1);
    TU_OK(frt_device_name_parse_any("/gpu:1", &n));
    assert_str(n.type, n.type_len, "GPU");
    tu_assert_error(frt_device_name_parse_any("myspecialdevice", &n), FRT_INVALID_ARGUMENT,
                    "'myspecialdevice'");
}

static void canonical_form(void **state) {
    (void)state;
    assert_round_trip("/job:localhost/replica:0/task:0/device:GPU:0",
                      "/job:localhost/replica:0/task:0/device:GPU:0");
    assert_round_trip("/job:foo/replica:3/task:2/cpu:3", "/job:foo/replica:3/task:2/device:CPU:3");
    assert_round_trip("/gpu:1", "/device:GPU:1");
    assert_round_trip("/GPU:1", "/device:GPU:1");
    assert_round_trip("/gpu:*", "/device:GPU:*");
    assert_round_trip("/device:GPU", "/device:GPU:*");
    assert_round_trip("/job:*/replica:4", "/replica:4");
    assert_round_trip("/task:1/job:w", "/job:w/task:1");
    assert_round_trip("", "");
    assert_round_trip("/device:*:1", ""); /* TF prints an id only after a type */
    /* snprintf convention: the full length, the buffer cut and terminated. */
    frt_device_name n = parse_ok("/gpu:1");
    char small[6];
    assert_int_equal(frt_device_name_format(&n, small, sizeof small), strlen("/device:GPU:1"));
    assert_string_equal(small, "/devi");
    assert_int_equal(frt_device_name_format(&n, NULL, 0), strlen("/device:GPU:1"));
    char buf[128];
    size_t len = frt_device_name_full("GPU", 1, buf, sizeof buf);
    assert_string_equal(buf, "/job:localhost/replica:0/task:0/device:GPU:1");
    assert_int_equal(len, strlen(buf));
}

static void matching(void **state) {
    (void)state;
    frt_device_name gpu1 = parse_ok("/job:localhost/replica:0/task:0/device:GPU:1");
    frt_device_name cpu0 = parse_ok("/job:localhost/replica:0/task:0/device:CPU:0");
    const char *match_gpu1[] = {"", "/device:GPU:*", "/gpu:1", "/GPU:1", "/job:localhost",
                                "/replica:0/task:0", "/device:*:1", "/job:*/device:GPU"};
    for (size_t i = 0; i < FRT_COUNTOF(match_gpu1); i++) {
        frt_device_name s = parse_ok(match_gpu1[i]);
        if (!frt_device_name_matches(&s, &gpu1)) fail_msg("'%s' should match GPU:1", match_gpu1[i]);
    }
    const char *no_gpu1[] = {"/gpu:0", "/cpu:1", "/job:worker", "/replica:1", "/task:1",
                             "/device:gpu:1"};
    for (size_t i = 0; i < FRT_COUNTOF(no_gpu1); i++) {
        frt_device_name s = parse_ok(no_gpu1[i]);
        if (frt_device_name_matches(&s, &gpu1)) fail_msg("'%s' should not match", no_gpu1[i]);
    }
    frt_device_name s = parse_ok("/cpu:*");
    assert_true(frt_device_name_matches(&s, &cpu0));
    /* A name lacking a field the spec has does not match it. */
    frt_device_name partial = parse_ok("/device:GPU:1");
    s = parse_ok("/job:localhost/device:GPU:1");
    assert_false(frt_device_name_matches(&s, &partial));
    assert_true(frt_device_name_matches(&partial, &s));
}

static void compatible_and_merge(void **state) {
    (void)state;
    frt_device_name a = parse_ok("/device:GPU:0"), b = parse_ok("/task:0");
    assert_true(frt_device_name_compatible(&a, &b));
    assert_true(frt_device_name_merge(&a, &b));
    assert_canonical(&a, "/task:0/device:GPU:0");
    /* Conflicting types: neither type nor id survives (TF's soft merge). */
    a = parse_ok("/job:localhost/device:GPU:0");
    b = parse_ok("/device:CPU:0");
    assert_false(frt_device_name_compatible(&a, &b));
    assert_false(frt_device_name_merge(&a, &b));
    assert_canonical(&a, "/job:localhost");
    /* Conflicting ids: the type stays. */
    a = parse_ok("/gpu:0");
    b = parse_ok("/gpu:1");
    assert_false(frt_device_name_compatible(&a, &b));
    assert_false(frt_device_name_merge(&a, &b));
    assert_canonical(&a, "/device:GPU:*");
    /* An absent field is filled; a conflicting job or replica is dropped. */
    a = parse_ok("/device:GPU");
    b = parse_ok("/gpu:1");
    assert_true(frt_device_name_merge(&a, &b));
    assert_canonical(&a, "/device:GPU:1");
    a = parse_ok("/job:a/replica:0");
    b = parse_ok("/job:b/replica:1/task:2");
    assert_false(frt_device_name_merge(&a, &b));
    assert_canonical(&a, "/task:2");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_name),        cmocka_unit_test(partial_and_wildcards),
        cmocka_unit_test(legacy_forms),     cmocka_unit_test(malformed),
        cmocka_unit_test(local_names),      cmocka_unit_test(canonical_form),
        cmocka_unit_test(matching),         cmocka_unit_test(compatible_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
