/* tests/fuzz/fuzz_util.c: scratch files, fixture copies and the status judge for harnesses. */
#include "fuzz_util.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/bundle.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(FZ_ASAN)
/* An allocation libFuzzer would call too large (-malloc_limit_mb) is still reported; smaller
 * failed requests return NULL, as they do without ASan, and flowrt must turn that into
 * RESOURCE_EXHAUSTED. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }
#endif

static char g_dir[512];

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void remove_dir(void) {
    if (g_dir[0]) nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_path(char *path, size_t cap, const char *name) {
    if (!g_dir[0]) {
        struct stat sb;
        const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm"
                           : getenv("TMPDIR")                               ? getenv("TMPDIR")
                                                                            : "/tmp";
        snprintf(g_dir, sizeof g_dir, "%s/frt_fuzz_XXXXXX", base);
        if (!mkdtemp(g_dir)) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(remove_dir);
        /* Relative paths in fuzzed graphs (a saver's filename, say) land in here. */
        if (chdir(g_dir) != 0) abort();
    }
    if ((size_t)snprintf(path, cap, "%s/%s", g_dir, name) >= cap) abort();
}

void fz_write(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

void fz_copy_data(const char *rel, const char *path) {
    char src[1024];
    snprintf(src, sizeof src, "%s/%s", FRT_TEST_DATA, rel);
    FILE *f = fopen(src, "rb");
    if (!f) {
        perror(src);
        abort();
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) abort();
    fz_write(path, buf, len);
    free(buf);
}

void fz_check(frt_status *st) {
    if (!st) return;
    const char *msg = frt_status_message(st);
    if (!msg[0] || frt_status_code(st) == FRT_INTERNAL) {
        fprintf(stderr, "fuzz: unclean status %d: '%s'\n", (int)frt_status_code(st), msg);
        abort();
    }
    frt_status_free(st);
}

void fz_read_checkpoint(const char *prefix) {
    frt_bundle *b = NULL;
    frt_status *st = frt_bundle_open(prefix, &b);
    for (int i = 0; !st && i < frt_bundle_num_tensors(b); i++) {
        frt_tensor *t = NULL;
        fz_check(frt_bundle_read(b, frt_bundle_tensor_name(b, i), &t));
        frt_tensor_unref(t);
    }
    fz_check(st);
    frt_bundle_free(b);
}

frt_session *fz_session_new(const frt_model *m, int optimize, frt_status **st) {
    frt_session_options *o = frt_session_options_new();
    if (!o) abort();
    frt_session_options_set_inter_op_threads(o, 1);
    frt_session_options_set_intra_op_threads(o, 1);
    frt_session_options_set_memory_limit(o, (size_t)256 << 20);
    frt_session_options_set_optimize(o, optimize);
    frt_session *s = NULL;
    *st = frt_session_new(o, m, &s);
    frt_session_options_free(o);
    return s;
}

uint64_t fz_hash(const uint8_t *data, size_t len) {
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) h = (h ^ data[i]) * 1099511628211ull;
    return h;
}

uint64_t fz_next(uint64_t *s) { /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
