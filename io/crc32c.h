/* io/crc32c.h: CRC-32C (Castagnoli), as TensorFlow and LevelDB use it for checkpoint blocks
 * and tensors, plus their checksum masking (formats.md §4.2).
 * Owns: the checksum and mask arithmetic. Does not own: where checksums live in files.
 * Thread-safety: pure functions. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Continues crc (the CRC of earlier bytes, 0 for none) over data[0..n). Uses the SSE4.2
 * crc32 instruction when the CPU has it, a table otherwise. */
uint32_t frt_crc32c_extend(uint32_t crc, const void *data, size_t n);
static inline uint32_t frt_crc32c(const void *data, size_t n) {
    return frt_crc32c_extend(0, data, n);
}
/* The two implementations, exposed for tests. hw requires frt_crc32c_hw_available(). */
uint32_t frt_crc32c_extend_sw(uint32_t crc, const void *data, size_t n);
uint32_t frt_crc32c_extend_hw(uint32_t crc, const void *data, size_t n);
bool frt_crc32c_hw_available(void);

/* Stored checksums are masked (rotate right 15, add a constant) so that a CRC over bytes
 * that embed CRCs stays well distributed. */
#define FRT_CRC32C_MASK_DELTA 0xa282ead8u
static inline uint32_t frt_crc32c_mask(uint32_t crc) {
    return ((crc >> 15) | (crc << 17)) + FRT_CRC32C_MASK_DELTA;
}
static inline uint32_t frt_crc32c_unmask(uint32_t masked) {
    uint32_t r = masked - FRT_CRC32C_MASK_DELTA;
    return (r >> 17) | (r << 15);
}
