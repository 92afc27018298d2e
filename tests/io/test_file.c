/* tests/io/test_file.c: io/file.c and every loader handed what is not a regular file.
 * A named pipe, /dev/zero and a directory in place of each path a user can pass (GraphDef
 * .pb/.pbtxt, .meta, a SavedModel's saved_model.pb, .npy, checkpoint prefix, .index, data
 * shard, `checkpoint` state file) must fail at once with a status naming the path and
 * saying what it is: a SIGALRM handler ends the program if anything blocks. Reads are
 * bounded (state file 1 MiB, protos 2 GiB), a GraphDef truncated while it is loaded is an
 * error rather than SIGBUS, and the atomic writer leaves the previous file byte-identical and
 * no temporary behind when a write fails (injected ENOSPC). */
#include "util/test_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flowrt/flowrt.h"
#include "io/bundle.h"
#include "io/file.h"
#include "io/graphdef.h"
#include "io/meta_graph.h"
#include "io/saved_model.h"
#include "io/sstable.h"

static char *dir;

/* ---- a file truncated under the loader ------------------------------------------------
 * mmap and read are interposed (this executable's definitions win over libc's for the
 * statically linked library): with truncate_path set, the file is cut to nothing right after
 * it is mapped or just before it is read, as another process truncating it would. */
static const char *truncate_path;

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    long r = syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (r != -1 && fd >= 0 && truncate_path) {
        int rc = truncate(truncate_path, 0);
        (void)rc;
        truncate_path = NULL;
    }
    return (void *)r;
}

ssize_t read(int fd, void *buf, size_t n) {
    if (truncate_path) {
        int rc = truncate(truncate_path, 0);
        (void)rc;
        truncate_path = NULL;
    }
    return syscall(SYS_read, fd, buf, n);
}

/* ---- fixtures ---------------------------------------------------------------------------- */

static void on_alarm(int sig) {
    (void)sig;
    static const char m[] = "test_file: timed out: a loader blocked on a special file\n";
    ssize_t rc = write(2, m, sizeof m - 1);
    (void)rc;
    _exit(1);
}

static int setup(void **state) {
    (void)state;
    dir = tu_mkdtemp("file");
    signal(SIGALRM, on_alarm);
    alarm(20);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    alarm(0);
    frt_file_fail_writes_after(-1);
    truncate_path = NULL;
    int rc = tu_rmtree(dir);
    free(dir);
    return rc;
}

static char *in_dir(const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    assert_non_null(p);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

enum kind { FIFO, ZERO, DIRECTORY, NKINDS };
static const char *const kind_name[] = {"is a named pipe (FIFO)", "is a character device",
                                         "is a directory"};

/* Puts a named pipe, a link to /dev/zero or a directory at path. */
static void make_special(const char *path, enum kind k) {
    int rc = k == FIFO ? mkfifo(path, 0600) : k == ZERO ? symlink("/dev/zero", path)
                                                        : mkdir(path, 0700);
    if (rc != 0) fail_msg("cannot make %s: %s", path, strerror(errno));
}

/* Asserts st is FAILED_PRECONDITION naming path and saying it is kind k; frees st. */
static void expect_special(frt_status *st, const char *path, enum kind k) {
    if (!st) fail_msg("'%s' (%s) was accepted", path, kind_name[k]);
    const char *m = frt_status_message(st);
    char quoted[1100];
    snprintf(quoted, sizeof quoted, "'%s'", path);
    if (!strstr(m, quoted) || !strstr(m, kind_name[k]))
        fail_msg("for '%s' (%s) got %s", path, kind_name[k], m);
    frt_status_free(st);
}

static bool has_temporaries(void) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.") || strstr(e->d_name, "tempstate")) found = true;
    closedir(d);
    return found;
}

/* ---- the helper itself -------------------------------------------------------------------- */

static void open_refuses_special_files_at_once(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", k);
        char *p = in_dir(name);
        make_special(p, (enum kind)k);
        int fd = 7;
        uint64_t size;
        expect_special(frt_file_open(p, "test", &fd, &size), p, (enum kind)k);
        assert_int_equal(fd, -1);
        uint8_t *data = (uint8_t *)1;
        size_t len;
        expect_special(frt_file_read(p, "test", 0, &data, &len), p, (enum kind)k);
        assert_null(data);
        free(p);
    }
    expect_special(frt_file_open("/dev/zero", "test", &(int){0}, &(uint64_t){0}), "/dev/zero",
                   ZERO);
    tu_assert_error(frt_file_read("/nonexistent/x", "test", 0, &(uint8_t *){0}, &(size_t){0}),
                    FRT_NOT_FOUND, "'/nonexistent/x'");
}

static void read_is_bounded_and_exact(void **state) {
    (void)state;
    char *p = in_dir("f");
    tu_write_file(p, "hello", 5);
    uint8_t *data;
    size_t len;
    TU_OK(frt_file_read(p, "test", 5, &data, &len));
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello\0", 6); /* NUL-terminated */
    free(data);
    tu_assert_error(frt_file_read(p, "test", 4, &data, &len), FRT_INVALID_ARGUMENT,
                    "is 5 bytes, more than a test file may be (4 bytes)");
    tu_write_file(p, "", 0);
    TU_OK(frt_file_read(p, "test", 0, &data, &len));
    assert_int_equal(len, 0);
    free(data);
    free(p);
}

static void writer_replaces_atomically(void **state) {
    (void)state;
    char *p = in_dir("out.bin");
    TU_OK(frt_file_write(p, "test", "old", 3));
    frt_file_writer *w;
    TU_OK(frt_file_writer_new(p, "test", &w));
    uint8_t big[100000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    TU_OK(frt_file_writer_write(w, "ab", 2));
    TU_OK(frt_file_writer_write(w, big, sizeof big));
    TU_OK(frt_file_writer_close(w));
    size_t len;
    uint8_t *got = tu_read_file(p, &len); /* closed, not committed: still the old file */
    assert_int_equal(len, 3);
    free(got);
    TU_OK(frt_file_writer_commit(w));
    frt_file_writer_free(w);
    got = tu_read_file(p, &len);
    assert_int_equal(len, 2 + sizeof big);
    assert_memory_equal(got + 2, big, sizeof big);
    free(got);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    assert_false(has_temporaries());
    /* freed uncommitted: the temporary goes, the file stays */
    TU_OK(frt_file_writer_new(p, "test", &w));
    TU_OK(frt_file_writer_write(w, "x", 1));
    frt_file_writer_free(w);
    assert_false(has_temporaries());
    got = tu_read_file(p, &len);
    assert_int_equal(len, 2 + sizeof big);
    free(got);
    free(p);
}

static void full_disk_keeps_the_old_file(void **state) {
    (void)state;
    char *p = in_dir("out.bin");
    TU_OK(frt_file_write(p, "test", "previous good bytes", 19));
    uint8_t big[200000] = {1};
    /* failing in the first buffer (at commit), in the middle, and at the last byte */
    const long long after[] = {0, 10, 70000, sizeof big - 1};
    for (size_t i = 0; i < FRT_COUNTOF(after); i++) {
        frt_file_fail_writes_after(after[i]);
        tu_assert_error(frt_file_write(p, "test", big, sizeof big), FRT_RESOURCE_EXHAUSTED,
                        "No space left on device");
        frt_file_fail_writes_after(-1);
        size_t len;
        uint8_t *got = tu_read_file(p, &len);
        assert_int_equal(len, 19);
        assert_memory_equal(got, "previous good bytes", 19);
        free(got);
        assert_false(has_temporaries());
    }
    /* the error is sticky: later writes and the commit report it too */
    frt_file_writer *w;
    TU_OK(frt_file_writer_new(p, "test", &w));
    frt_file_fail_writes_after(0);
    tu_assert_error(frt_file_writer_write(w, big, sizeof big), FRT_RESOURCE_EXHAUSTED, "'");
    frt_file_fail_writes_after(-1);
    tu_assert_error(frt_file_writer_write(w, "x", 1), FRT_RESOURCE_EXHAUSTED,
                    "No space left on device");
    tu_assert_error(frt_file_writer_commit(w), FRT_RESOURCE_EXHAUSTED,
                    "No space left on device");
    frt_file_writer_free(w);
    assert_false(has_temporaries());
    free(p);
}

static void writer_refuses_to_replace_special_files(void **state) {
    (void)state;
    char *p = in_dir("pipe.npy");
    make_special(p, FIFO);
    frt_file_writer *w = NULL;
    expect_special(frt_file_writer_new(p, "test", &w), p, FIFO);
    assert_null(w);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    free(p);
    p = in_dir("no/such/dir.npy");
    tu_assert_error(frt_file_write(p, "test", "x", 1), FRT_NOT_FOUND, "no/such/dir.npy");
    free(p);
}

/* ---- every loader -------------------------------------------------------------------------- */

static void graph_files(void **state) {
    (void)state;
    const char *names[] = {"m.pb", "m.pbtxt", "m.meta"};
    for (int k = 0; k < NKINDS; k++)
        for (int i = 0; i < 3; i++) {
            char name[32];
            snprintf(name, sizeof name, "%d%s", k, names[i]);
            char *p = in_dir(name);
            make_special(p, (enum kind)k);
            frt_graph *g = NULL;
            frt_metagraph *mg = NULL;
            frt_model *m = NULL;
            expect_special(i < 2 ? frt_graphdef_load_file(p, &g)
                                 : frt_meta_graph_load_file(p, &mg),
                           p, (enum kind)k);
            assert_null(g);
            assert_null(mg);
            if (k != DIRECTORY) { /* a directory is taken for a SavedModel */
                expect_special(frt_model_load(p, &m), p, (enum kind)k);
                assert_null(m);
            }
            free(p);
        }
}

static void saved_model_pb(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        char name[16];
        snprintf(name, sizeof name, "sm%d", k);
        char *sm = in_dir(name);
        assert_int_equal(mkdir(sm, 0700), 0);
        char pb[1100];
        snprintf(pb, sizeof pb, "%s/saved_model.pb", sm);
        make_special(pb, (enum kind)k);
        frt_metagraph *mg = NULL;
        expect_special(frt_saved_model_load(sm, NULL, 0, &mg), pb, (enum kind)k);
        frt_model *m = NULL;
        expect_special(frt_model_load(sm, &m), pb, (enum kind)k);
        free(sm);
    }
}

static void npy_files(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        char name[32];
        snprintf(name, sizeof name, "x%d.npy", k);
        char *p = in_dir(name);
        make_special(p, (enum kind)k);
        frt_tensor *t = NULL;
        expect_special(frt_npy_read(p, &t), p, (enum kind)k);
        assert_null(t);
        free(p);
    }
}

/* A one-tensor checkpoint at dir/<name>. */
static char *write_checkpoint(const char *name) {
    char *prefix = in_dir(name);
    frt_bundle_writer *w;
    TU_OK(frt_bundle_writer_new(prefix, &w));
    frt_tensor *t = tu_f32(TU_DIMS(2), 1, TU_F32(1, 2));
    TU_OK(frt_bundle_writer_add(w, "v", t));
    TU_OK(frt_bundle_writer_finish(w));
    frt_bundle_writer_free(w);
    frt_tensor_unref(t);
    return prefix;
}

static void checkpoint_files(void **state) {
    (void)state;
    for (int k = 0; k < NKINDS; k++) {
        char name[32], path[1100];
        frt_bundle *b = NULL;
        frt_checkpoint *c = NULL;
        /* the .index */
        snprintf(name, sizeof name, "i%d", k);
        char *prefix = in_dir(name);
        snprintf(path, sizeof path, "%s.index", prefix);
        make_special(path, (enum kind)k);
        expect_special(frt_bundle_open(prefix, &b), path, (enum kind)k);
        expect_special(frt_checkpoint_open(prefix, &c), path, (enum kind)k);
        frt_sstable *t = NULL;
        expect_special(frt_sstable_open(path, &t), path, (enum kind)k);
        assert_null(t);
        free(prefix);
        /* the prefix itself, with no index */
        snprintf(name, sizeof name, "p%d", k);
        prefix = in_dir(name);
        make_special(prefix, (enum kind)k);
        expect_special(frt_bundle_open(prefix, &b), prefix, (enum kind)k);
        if (k != DIRECTORY) /* a directory is resolved through its state file (below) */
            expect_special(frt_checkpoint_open(prefix, &c), prefix, (enum kind)k);
        assert_null(b);
        assert_null(c);
        free(prefix);
        /* the data shard, found when a tensor is read */
        snprintf(name, sizeof name, "d%d", k);
        prefix = write_checkpoint(name);
        snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
        assert_int_equal(unlink(path), 0);
        make_special(path, (enum kind)k);
        TU_OK(frt_bundle_open(prefix, &b));
        frt_tensor *v = NULL;
        expect_special(frt_bundle_read(b, "v", &v), path, (enum kind)k);
        assert_null(v);
        frt_bundle_free(b);
        free(prefix);
        /* a directory's `checkpoint` state file */
        snprintf(name, sizeof name, "c%d", k);
        char *cdir = in_dir(name);
        assert_int_equal(mkdir(cdir, 0700), 0);
        snprintf(path, sizeof path, "%s/checkpoint", cdir);
        make_special(path, (enum kind)k);
        expect_special(frt_checkpoint_open(cdir, &c), path, (enum kind)k);
        assert_null(c);
        free(cdir);
    }
}

/* A checkpoint save that runs out of disk in the data file or in the index leaves the previous
 * checkpoint's two files as they were (not a new data file under an old index). */
static void full_disk_keeps_the_old_checkpoint(void **state) {
    (void)state;
    char *prefix = write_checkpoint("ck");
    char data[1100], index[1100];
    snprintf(data, sizeof data, "%s.data-00000-of-00001", prefix);
    snprintf(index, sizeof index, "%s.index", prefix);
    size_t dlen, ilen;
    uint8_t *old_data = tu_read_file(data, &dlen), *old_index = tu_read_file(index, &ilen);
    frt_tensor *big = tu_rand_f32(TU_DIMS(1000), 1, 7); /* 4000 bytes of data */
    const long long after[] = {0, 100, 4000, 4010}; /* in the data, then in the index */
    for (size_t i = 0; i < FRT_COUNTOF(after); i++) {
        frt_bundle_writer *w;
        TU_OK(frt_bundle_writer_new(prefix, &w));
        frt_file_fail_writes_after(after[i]);
        frt_status *st = frt_bundle_writer_add(w, "v", big);
        if (!st) st = frt_bundle_writer_finish(w);
        frt_file_fail_writes_after(-1);
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "No space left on device");
        frt_bundle_writer_free(w);
        size_t n;
        uint8_t *now = tu_read_file(data, &n);
        assert_int_equal(n, dlen);
        assert_memory_equal(now, old_data, dlen);
        free(now);
        now = tu_read_file(index, &n);
        assert_int_equal(n, ilen);
        assert_memory_equal(now, old_index, ilen);
        free(now);
        assert_false(has_temporaries());
    }
    frt_bundle *b;
    frt_tensor *v;
    TU_OK(frt_bundle_open(prefix, &b)); /* and it still reads */
    TU_OK(frt_bundle_read(b, "v", &v));
    assert_int_equal(frt_tensor_num_elements(v), 2);
    frt_tensor_unref(v);
    frt_bundle_free(b);
    frt_tensor_unref(big);
    free(old_data);
    free(old_index);
    free(prefix);
}

static void state_file_and_protos_are_bounded(void **state) {
    (void)state;
    char *cdir = in_dir("ckpt");
    assert_int_equal(mkdir(cdir, 0700), 0);
    char path[1100];
    snprintf(path, sizeof path, "%s/checkpoint", cdir);
    int fd = open(path, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (1 << 20) + 1), 0); /* sparse: no disk used */
    close(fd);
    frt_checkpoint *c = NULL;
    tu_assert_error(frt_checkpoint_open(cdir, &c), FRT_INVALID_ARGUMENT, "1048576 bytes");
    free(cdir);
    /* TF cannot parse protos over 2 GiB either; refused before reading a byte */
    char *pb = in_dir("huge.pb");
    fd = open(pb, O_WRONLY | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 31), 0);
    close(fd);
    frt_graph *g = NULL;
    tu_assert_error(frt_graphdef_load_file(pb, &g), FRT_INVALID_ARGUMENT, "2147483647 bytes");
    frt_metagraph *mg = NULL;
    tu_assert_error(frt_meta_graph_load_file(pb, &mg), FRT_INVALID_ARGUMENT, "2147483647");
    free(pb);
}

static void graphdef_truncated_while_loading(void **state) {
    (void)state;
    char src[1024];
    size_t len;
    uint8_t *bytes = tu_read_file(tu_data_path(src, sizeof src, "../../models/digits/model.pb"),
                                  &len);
    char *p = in_dir("model.pb");
    tu_write_file(p, bytes, len);
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_file(p, &g)); /* intact, it loads */
    frt_graph_free(g);
    g = NULL;
    /* Mapped, this was SIGBUS as the parser touched the vanished pages. */
    truncate_path = p;
    tu_assert_error(frt_graphdef_load_file(p, &g), FRT_DATA_LOSS, "truncated");
    assert_null(g);
    truncate_path = NULL;
    free(bytes);
    free(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(open_refuses_special_files_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(read_is_bounded_and_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(writer_replaces_atomically, setup, teardown),
        cmocka_unit_test_setup_teardown(full_disk_keeps_the_old_file, setup, teardown),
        cmocka_unit_test_setup_teardown(writer_refuses_to_replace_special_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(graph_files, setup, teardown),
        cmocka_unit_test_setup_teardown(saved_model_pb, setup, teardown),
        cmocka_unit_test_setup_teardown(npy_files, setup, teardown),
        cmocka_unit_test_setup_teardown(checkpoint_files, setup, teardown),
        cmocka_unit_test_setup_teardown(full_disk_keeps_the_old_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(state_file_and_protos_are_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(graphdef_truncated_while_loading, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
