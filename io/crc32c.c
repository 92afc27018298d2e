/* io/crc32c.c: CRC-32C, reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF.
 * Owns: a slicing-by-8 table fallback and an SSE4.2 path (three interleaved streams for
 * long inputs, since the crc32 instruction has a latency of 3 cycles but a throughput of 1).
 * Does not own: masking policy (crc32c.h), file formats.
 * Thread-safety: the tables are built once under pthread_once (which ThreadSanitizer
 * understands, unlike C11 call_once: see runtime/init.c) and read-only afterwards. */
#include "io/crc32c.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82f63b78u

static uint32_t table[8][256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void build_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (POLY & (0u - (c & 1)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
}

static inline uint64_t load64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint32_t frt_crc32c_extend_sw(uint32_t crc, const void *data, size_t n) {
    pthread_once(&table_once, build_tables);
    const uint8_t *p = data;
    uint32_t c = ~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
        n--;
    }
    while (n >= 8) {
        uint64_t v = load64(p) ^ c;   /* little-endian hosts only (as the whole runtime) */
        c = table[7][v & 0xff] ^ table[6][(v >> 8) & 0xff] ^ table[5][(v >> 16) & 0xff] ^
            table[4][(v >> 24) & 0xff] ^ table[3][(v >> 32) & 0xff] ^
            table[2][(v >> 40) & 0xff] ^ table[1][(v >> 48) & 0xff] ^ table[0][v >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ table[0][(c ^ *p++) & 0xff];
    return ~c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define HAVE_X86 1
#include <nmmintrin.h>

bool frt_crc32c_hw_available(void) { return __builtin_cpu_supports("sse4.2"); }

/* a*b mod P over GF(2), in the reflected representation (bit 31 = x^0). Advancing a raw CRC
 * register over k zero bits is a multiplication by x^k, which combines the three streams. */
static uint32_t gf2_multiply(uint32_t a, uint32_t b) {
    uint32_t prod = 0;
    for (int i = 0; i < 32; i++) {
        if (a & 0x80000000u) prod ^= b;
        a <<= 1;
        b = (b >> 1) ^ (POLY & (0u - (b & 1)));
    }
    return prod;
}

/* x^k in the reflected representation used by crc32c (bit 31 = x^0). */
static uint32_t xpow(uint64_t k) {
    uint32_t result = 0x80000000u, base = 0x40000000u; /* x^0, x^1 */
    while (k) {
        if (k & 1) result = gf2_multiply(result, base);
        base = gf2_multiply(base, base);
        k >>= 1;
    }
    return result;
}

#define BLOCK 4096 /* bytes per stream per round of the 3-way loop */

static uint32_t shift_block;    /* multiplier moving a raw CRC state past BLOCK bytes */
static pthread_once_t shift_once = PTHREAD_ONCE_INIT;
static void build_shift(void) { shift_block = xpow((uint64_t)BLOCK * 8); }

__attribute__((target("sse4.2"))) uint32_t frt_crc32c_extend_hw(uint32_t crc, const void *data,
                                                                size_t n) {
    const uint8_t *p = data;
    uint64_t c = (uint32_t)~crc;
    while (n && ((uintptr_t)p & 7)) {
        c = _mm_crc32_u8((uint32_t)c, *p++);
        n--;
    }
    if (n >= 3 * BLOCK) {
        pthread_once(&shift_once, build_shift);
        while (n >= 3 * BLOCK) {
            /* Streams b and c start from state 0; the linear CRC state update lets us fold
             * them in afterwards: state(A||B) = shift(state(A)) ^ state_from_0(B). */
            uint64_t c0 = c, c1 = 0, c2 = 0;
            for (size_t i = 0; i < BLOCK; i += 8) {
                c0 = _mm_crc32_u64(c0, load64(p + i));
                c1 = _mm_crc32_u64(c1, load64(p + BLOCK + i));
                c2 = _mm_crc32_u64(c2, load64(p + 2 * BLOCK + i));
            }
            c = gf2_multiply((uint32_t)c0, shift_block) ^ (uint32_t)c1;
            c = gf2_multiply((uint32_t)c, shift_block) ^ (uint32_t)c2;
            p += 3 * BLOCK;
            n -= 3 * BLOCK;
        }
    }
    while (n >= 8) {
        c = _mm_crc32_u64(c, load64(p));
        p += 8;
        n -= 8;
    }
    while (n--) c = _mm_crc32_u8((uint32_t)c, *p++);
    return ~(uint32_t)c;
}
#else
bool frt_crc32c_hw_available(void) { return false; }
uint32_t frt_crc32c_extend_hw(uint32_t crc, const void *data, size_t n) {
    return frt_crc32c_extend_sw(crc, data, n);
}
#endif

uint32_t frt_crc32c_extend(uint32_t crc, const void *data, size_t n) {
#ifdef HAVE_X86
    if (__builtin_cpu_supports("sse4.2")) return frt_crc32c_extend_hw(crc, data, n);
#endif
    return frt_crc32c_extend_sw(crc, data, n);
}
