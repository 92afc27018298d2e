/* tests/io/test_crc32c.c: CRC-32C check values (formats.md §4.2/§8, RFC 3720 vectors), the
 * SSE4.2 path against the table path on every length 0..300 at every alignment and on long
 * buffers (the three-stream loop), extend, and TF's masking. */
#include "util/test_util.h"

#include <stdlib.h>
#include <string.h>

#include "io/crc32c.h"

static void check_values(void **s) {
    (void)s;
    assert_int_equal(frt_crc32c("123456789", 9), 0xE3069283u);
    assert_int_equal(frt_crc32c_extend_sw(0, "123456789", 9), 0xE3069283u);
    uint8_t b[32];
    memset(b, 0, 32);
    assert_int_equal(frt_crc32c(b, 32), 0x8A9136AAu);
    memset(b, 0xff, 32);
    assert_int_equal(frt_crc32c(b, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) b[i] = (uint8_t)i;
    assert_int_equal(frt_crc32c(b, 32), 0x46DD794Eu);
    assert_int_equal(frt_crc32c(b, 0), 0);
    if (frt_crc32c_hw_available())
        assert_int_equal(frt_crc32c_extend_hw(0, "123456789", 9), 0xE3069283u);
}

static void hw_matches_sw(void **s) {
    (void)s;
    if (!frt_crc32c_hw_available()) skip();
    enum { N = 200000 };
    uint8_t *buf = malloc(N + 16);
    srand(5);
    for (int i = 0; i < N + 16; i++) buf[i] = (uint8_t)rand();
    for (int align = 0; align < 8; align++)
        for (size_t n = 0; n <= 300; n++) {
            uint32_t sw = frt_crc32c_extend_sw(0x1234u, buf + align, n);
            assert_int_equal(frt_crc32c_extend_hw(0x1234u, buf + align, n), sw);
        }
    const size_t longs[] = {12287, 12288, 12289, 3 * 4096 * 5 + 77, N};
    for (size_t k = 0; k < FRT_COUNTOF(longs); k++)
        for (int align = 0; align < 3; align++)
            assert_int_equal(frt_crc32c_extend_hw(7, buf + align, longs[k]),
                             frt_crc32c_extend_sw(7, buf + align, longs[k]));
    free(buf);
}

static void extend_is_concatenation(void **s) {
    (void)s;
    const char *t = "hello, checkpoint world";
    size_t n = strlen(t);
    for (size_t cut = 0; cut <= n; cut++)
        assert_int_equal(frt_crc32c_extend(frt_crc32c(t, cut), t + cut, n - cut),
                         frt_crc32c(t, n));
}

static void masking(void **s) {
    (void)s;
    assert_int_equal(frt_crc32c_mask(0), 0xA282EAD8u);
    /* formats.md §5.6: the entry crc of float 0.5 (bytes 00 00 00 3F) */
    const uint8_t half[4] = {0, 0, 0, 0x3f};
    assert_int_equal(frt_crc32c(half, 4), 0x26973E52u);
    assert_int_equal(frt_crc32c_mask(frt_crc32c(half, 4)), 522663942u);
    /* formats.md §4.5: an empty string tensor's entry crc */
    const uint8_t m0[4] = {0xd8, 0xea, 0x82, 0xa2};
    assert_int_equal(frt_crc32c_mask(frt_crc32c(m0, 4)), 1678557686u);
    for (uint32_t v = 0; v < 100000; v += 7)
        assert_int_equal(frt_crc32c_unmask(frt_crc32c_mask(v * 2654435761u)), v * 2654435761u);
    assert_int_not_equal(frt_crc32c_mask(0x12345678u), 0x12345678u);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(check_values),
        cmocka_unit_test(hw_matches_sw),
        cmocka_unit_test(extend_is_concatenation),
        cmocka_unit_test(masking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
