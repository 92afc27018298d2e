/* tests/e2e/test_cli.c: the `flowrt` binary as a user runs it: outputs printed and saved,
 * literal and .npy feeds, inspect, and every kind of bad input giving exit code 1 and one
 * clear line on stderr that names the file, node or tensor. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/test_util.h"

typedef struct result {
    int rc;
    char out[16384], err[4096];
} result;

static char *tmpdir;
/* Shell words run before flowrt (a timeout, a file size limit); normally empty. */
static const char *cmd_prefix = "";

static void slurp(const char *path, char *buf, size_t n) {
    FILE *f = fopen(path, "r");
    size_t k = f ? fread(buf, 1, n - 1, f) : 0;
    buf[k] = 0;
    if (f) fclose(f);
}

/* Runs `flowrt ARGS` (ARGS is shell-quoted by the caller) from the repository's test data. */
static result *run(const char *args) {
    static result r;
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s'%s' %s > '%s/out' 2> '%s/err'", FRT_TEST_DATA,
             cmd_prefix, FRT_CLI_PATH, args, tmpdir, tmpdir);
    int st = system(cmd);
    r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    char p[512];
    snprintf(p, sizeof p, "%s/out", tmpdir);
    slurp(p, r.out, sizeof r.out);
    snprintf(p, sizeof p, "%s/err", tmpdir);
    slurp(p, r.err, sizeof r.err);
    return &r;
}

/* Runs `flowrt ARGS`, failing the test unless it exits 0. */
static result *run_ok(const char *args) {
    result *r = run(args);
    if (r->rc != 0) fail_msg("flowrt %s: exit %d: %s", args, r->rc, r->err);
    return r;
}

/* Asserts the .npy the CLI saved as <tmpdir>/SAVED is within atol + rtol*|want| of the
 * fixture tests/data/WANT. */
static void expect_saved_npy(const char *saved, const char *want_rel, float atol, float rtol) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, saved);
    frt_tensor *got, *want;
    TU_OK(frt_npy_read(path, &got));
    TU_OK(frt_npy_read(tu_data_path(path, sizeof path, want_rel), &want));
    tu_assert_close_f32(got, want, atol, rtol);
    frt_tensor_unref(got);
    frt_tensor_unref(want);
}

/* Exit code 1, exactly one line on stderr starting "flowrt: error:", containing each needle. */
static void expect_error(const char *args, const char *needle1, const char *needle2) {
    result *r = run(args);
    if (r->rc != 1) fail_msg("flowrt %s: exit %d, expected 1 (stderr: %s)", args, r->rc, r->err);
    if (strncmp(r->err, "flowrt: error: ", 15) != 0)
        fail_msg("flowrt %s: stderr does not start with 'flowrt: error: ': %s", args, r->err);
    char *nl = strchr(r->err, '\n');
    if (!nl || nl[1] != 0) fail_msg("flowrt %s: stderr is not one line: %s", args, r->err);
    if (needle1 && !strstr(r->err, needle1))
        fail_msg("flowrt %s: stderr lacks '%s': %s", args, needle1, r->err);
    if (needle2 && !strstr(r->err, needle2))
        fail_msg("flowrt %s: stderr lacks '%s': %s", args, needle2, r->err);
}

static const char *X_LITERAL = "'x=[[1,-2,3],[4,5,-6],[7,8,9]]'";

static void run_prints_and_saves_outputs(void **state) {
    (void)state;
    char args[1024];
    snprintf(args, sizeof args,
             "run ../../models/digits/model.pb --input images=../../models/digits/samples.npy "
             "--out-dir '%s/o'", tmpdir);
    result *r = run_ok(args);
    assert_non_null(strstr(r->out, "Identity: float32 [64,10]"));
    expect_saved_npy("o/Identity.npy", "../../models/digits/expected_probs.npy", 1e-5f, 1e-4f);
}

static void literal_feed_and_pruned_unsupported_ops(void **state) {
    (void)state;
    char args[512];
    /* `supported` = relu(x) + 1 does not need the graph's Cumsum/MatrixDeterminant */
    snprintf(args, sizeof args, "run bad/unsupported.pb --input %s --output supported", X_LITERAL);
    result *r = run_ok(args);
    assert_non_null(strstr(r->out, "supported: float32 [3,3]"));
    assert_non_null(strstr(r->out, "[2, 1, 4, 5, 6, 1, 8, 9, 10]"));
}

static void sink_nodes_are_default_outputs(void **state) {
    (void)state;
    result *r = run_ok("run ops/pbtxt_mlp/model.pbtxt --input x=ops/pbtxt_mlp/input_0.npy");
    assert_non_null(strstr(r->out, "Identity: float32"));
}

static void inspect_summarizes(void **state) {
    (void)state;
    result *r = run_ok("inspect bad/unsupported.pb --nodes");
    assert_non_null(strstr(r->out, "x: float32 [3,3]"));
    assert_non_null(strstr(r->out, "needs_unsupported (Identity)"));
    assert_non_null(strstr(r->out, "supported (Identity)"));
    assert_non_null(strstr(r->out, "ops without a kernel: Cumsum, MatrixDeterminant"));
    assert_non_null(strstr(r->out, "mul = Mul(cumsum, det)"));
    assert_non_null(strstr(r->out, "nodes: 10"));
}

static void corrupt_files(void **state) {
    (void)state;
    expect_error("run bad/truncated.pb", "'bad/truncated.pb'", "truncated or corrupt");
    expect_error("run bad/garbage.pb", "'bad/garbage.pb'", "not a valid binary GraphDef");
    expect_error("run bad/bad_syntax.pbtxt", "'bad/bad_syntax.pbtxt':6:", "unknown field");
    expect_error("run bad/dangling_input.pbtxt", "node 'y' (AddV2)", "'does_not_exist'");
    expect_error("run bad/cycle.pbtxt", "cycle", "'a'");
    expect_error("run bad/no_such_file.pb", "'bad/no_such_file.pb'", "No such file");
    expect_error("inspect bad/truncated.pb", "'bad/truncated.pb'", NULL);
}

static void truncated_at_every_cut_never_crashes(void **state) {
    (void)state;
    /* cut a real model at many points: always exit 1 with a message, never a signal */
    FILE *f = fopen(FRT_TEST_DATA "/../../models/digits/model.pb", "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    for (size_t cut = 1; cut < n; cut += n / 23 + 1) {
        char path[512], args[700];
        snprintf(path, sizeof path, "%s/cut.pb", tmpdir);
        FILE *o = fopen(path, "wb");
        fwrite(buf, 1, cut, o);
        fclose(o);
        snprintf(args, sizeof args, "run '%s' --input images=../../models/digits/samples.npy", path);
        result *r = run(args);
        if (r->rc != 1) fail_msg("cut at %zu: exit %d (%s)", cut, r->rc, r->err);
        assert_non_null(strstr(r->err, "flowrt: error: "));
    }
}

static void bad_feeds_and_fetches(void **state) {
    (void)state;
    char args[1024];
    expect_error("run bad/unsupported.pb --output supported", "must feed a value",
                 "'x' (float32, shape [3,3])");
    expect_error("run bad/unsupported.pb --input 'x=[[1,2],[3,4]]' --output supported",
                 "'x'", "expects shape [3,3], got [2,2]");
    /* an int32 .npy fed to a float placeholder */
    frt_tensor *t = tu_i32(TU_DIMS(3, 3), 2, NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/int.npy", tmpdir);
    TU_OK(frt_npy_write(path, t));
    frt_tensor_unref(t);
    snprintf(args, sizeof args, "run bad/unsupported.pb --input 'x=%s' --output supported", path);
    expect_error(args, "'x'", "expects dtype float32, got int32");
    snprintf(args, sizeof args, "run bad/unsupported.pb --input %s --output nope:0", X_LITERAL);
    expect_error(args, "'nope:0'", "no node 'nope'");
    snprintf(args, sizeof args, "run bad/unsupported.pb --input %s --output supported:4", X_LITERAL);
    expect_error(args, "'supported:4'", "out of range");
    snprintf(args, sizeof args, "run bad/unsupported.pb --input %s --input 'ghost=1' --output supported", X_LITERAL);
    expect_error(args, "'ghost'", "no node");
    snprintf(args, sizeof args, "run bad/unsupported.pb --input %s --output needs_unsupported", X_LITERAL);
    expect_error(args, "'cumsum' (Cumsum)", "'det' (MatrixDeterminant)");
    expect_error("run bad/unsupported.pb --input 'x=[[1,2,3],[4,5' --output supported",
                 "bad literal", "(input 'x')");
    expect_error("run bad/unsupported.pb --input x=missing.npy --output supported", "missing.npy",
                 NULL);
    expect_error("frobnicate", "unknown command 'frobnicate'", NULL);
    expect_error("run", "missing MODEL", NULL);
}

/* ---- checkpoints, MetaGraphs, SavedModels ---- */

static void saved_model_state_persists_across_repeats(void **state) {
    (void)state;
    /* the counter was saved at 10; five increments in one session give 15 */
    result *r = run_ok("run savedmodels/tf2_counter_increment/model --signature increment --repeat 5");
    assert_non_null(strstr(r->out, "count: int32 []"));
    assert_non_null(strstr(r->out, "[15]"));
}

static void saved_model_outputs_by_key(void **state) {
    (void)state;
    char args[1024];
    snprintf(args, sizeof args,
             "run savedmodels/tf2_counter_scale/model --signature scale "
             "--input x=savedmodels/tf2_counter_scale/input_0.npy --out-dir '%s/sm'", tmpdir);
    run_ok(args);
    expect_saved_npy("sm/y.npy", /* KEY.npy */
                     "savedmodels/tf2_counter_scale/output_0.npy", 1e-5f, 1e-5f);
    expect_error("run savedmodels/tf2_counter_scale/model --signature nope", "no signature 'nope'",
                 "'serving_default'");
    expect_error("run savedmodels/tf2_counter_scale/model --tag gpu", "gpu", NULL);
    expect_error("run savedmodels/tf2_counter_scale/model --input nokey=1", "'nokey'",
                 "signature 'serving_default'");
}

static void meta_with_checkpoint_and_freeze(void **state) {
    (void)state;
    char args[1024];
    const char *c = "savedmodels/tf1_mlp_ckpt";
    snprintf(args, sizeof args,
             "run %s/model.ckpt.meta --checkpoint %s --input x=%s/input_0.npy --output probs "
             "--out-dir '%s/meta'", c, c, c, tmpdir);
    run_ok(args);
    expect_saved_npy("meta/probs.npy", "savedmodels/tf1_mlp_ckpt/output_1.npy", 1e-6f, 1e-5f);
    /* freeze, then run the frozen graph: no variables left, same answer */
    snprintf(args, sizeof args, "freeze %s/model.ckpt.meta --checkpoint %s/model.ckpt --outputs probs -o '%s/f.pb'",
             c, c, tmpdir);
    run_ok(args);
    snprintf(args, sizeof args, "inspect '%s/f.pb'", tmpdir);
    result *r = run(args);
    assert_null(strstr(r->out, "Variable"));
    assert_null(strstr(r->out, "RestoreV2"));
    snprintf(args, sizeof args, "run '%s/f.pb' --input x=%s/input_0.npy --output probs --out-dir '%s/frozen'",
             tmpdir, c, tmpdir);
    run_ok(args);
    expect_saved_npy("frozen/probs.npy", "savedmodels/tf1_mlp_ckpt/output_1.npy", 1e-6f, 1e-5f);
    snprintf(args, sizeof args, "freeze %s/model.ckpt.meta --outputs probs -o '%s/g.pb'", c, tmpdir);
    expect_error(args, "uninitialized", NULL); /* no checkpoint: nothing to freeze */
    expect_error("freeze savedmodels/tf2_counter/model", "missing -o", NULL);
}

static void inspect_checkpoints_and_saved_models(void **state) {
    (void)state;
    result *r = run_ok("inspect ckpt/tf1_basic --tensor counts");
    assert_non_null(strstr(r->out, "counts: int32 [4]"));
    assert_non_null(strstr(r->out, "[1, -2, 2147483647, 0]"));
    r = run("inspect ckpt/tf1_basic/model.ckpt");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "dense/kernel: float32 [3,4]"));
    assert_non_null(strstr(r->out, "tensors: 9"));
    r = run("inspect savedmodels/tf2_counter/model");
    assert_int_equal(r->rc, 0);
    assert_non_null(strstr(r->out, "signature 'scale'"));
    assert_non_null(strstr(r->out, "x: float32 [?,3] (tensor scale_x:0)"));
    assert_non_null(strstr(r->out, "count/.ATTRIBUTES/VARIABLE_VALUE: int32 []"));
    expect_error("inspect ckpt/tf1_v1/model.ckpt", "V1", "not supported");
    expect_error("inspect ckpt/tf1_basic/model.ckpt --tensor nope", "no tensor 'nope'", NULL);
    expect_error("inspect ckpt/no_such_prefix", "no_such_prefix", NULL);
}

/* ---- hostile files and conditions ---- */

/* Named pipes, devices and directories where files are expected fail at once (the timeout
 * turns a blocked open into exit 124, not 1) with the path and what it is. */
static void special_files_are_refused_at_once(void **state) {
    (void)state;
    char p[512], args[1200], want[600];
    cmd_prefix = "timeout 20 ";
    snprintf(p, sizeof p, "%s/h_pipe.pb", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(args, sizeof args, "run '%s' --input x=1", p);
    snprintf(want, sizeof want, "'%s'", p);
    expect_error(args, want, "is a named pipe (FIFO)");
    snprintf(args, sizeof args, "inspect '%s'", p);
    expect_error(args, want, "is a named pipe (FIFO)");
    expect_error("run /dev/zero", "'/dev/zero'", "is a character device");
    /* a feed: a FIFO is a file even without .npy, and a .npy that is a directory */
    snprintf(p, sizeof p, "%s/h_feed", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(args, sizeof args, "run bad/unsupported.pb --input 'x=%s' --output supported", p);
    snprintf(want, sizeof want, "'%s'", p);
    expect_error(args, want, "is a named pipe (FIFO)");
    snprintf(p, sizeof p, "%s/h_dir.npy", tmpdir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(args, sizeof args, "run bad/unsupported.pb --input 'x=%s' --output supported", p);
    snprintf(want, sizeof want, "'%s'", p);
    expect_error(args, want, "is a directory");
    /* a SavedModel whose saved_model.pb is a FIFO: said so, not "has neither" */
    snprintf(p, sizeof p, "%s/h_sm", tmpdir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/h_sm/saved_model.pb", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(want, sizeof want, "'%s'", p);
    snprintf(args, sizeof args, "run '%s/h_sm'", tmpdir);
    expect_error(args, want, "is a named pipe (FIFO)");
    snprintf(args, sizeof args, "inspect '%s/h_sm'", tmpdir);
    expect_error(args, want, "is a named pipe (FIFO)");
    /* checkpoints: a FIFO prefix, a FIFO .index, a FIFO state file */
    snprintf(p, sizeof p, "%s/h_ck", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(want, sizeof want, "'%s'", p);
    snprintf(args, sizeof args, "inspect '%s'", p);
    expect_error(args, want, "is a named pipe (FIFO)");
    snprintf(p, sizeof p, "%s/h_ck2.index", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(want, sizeof want, "'%s'", p);
    snprintf(args, sizeof args, "inspect '%s/h_ck2'", tmpdir);
    expect_error(args, want, "is a named pipe (FIFO)");
    snprintf(p, sizeof p, "%s/h_ckdir", tmpdir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/h_ckdir/checkpoint", tmpdir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(want, sizeof want, "'%s'", p);
    snprintf(args, sizeof args, "run savedmodels/tf1_mlp_ckpt/model.ckpt.meta --checkpoint "
             "'%s/h_ckdir' --input x=savedmodels/tf1_mlp_ckpt/input_0.npy --output probs", tmpdir);
    expect_error(args, want, "is a named pipe (FIFO)");
    cmd_prefix = "";
}

/* --threads: 0 (one per core) up to 4 x the cores; anything else is refused, not clamped. */
static void threads_are_bounded(void **state) {
    (void)state;
    const char *run_x = "run bad/unsupported.pb --input 'x=[[1,2,3],[4,5,6],[7,8,9]]' "
                        "--output supported --threads";
    char args[512];
    const char *bad[] = {"-5", "100000", "abc", "2x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "%s '%s'", run_x, bad[i]);
        expect_error(args, "--threads must be an integer from 0", NULL);
    }
    snprintf(args, sizeof args, "%s 1", run_x);
    run_ok(args);
    snprintf(args, sizeof args, "%s 0", run_x);
    run_ok(args);
}

/* A write that fails part way (the file size limit makes write() fail with EFBIG, as a full
 * disk fails it with ENOSPC): exit 1 naming the file, the previous output byte-identical, no
 * temporary left. */
static void failed_writes_keep_previous_outputs(void **state) {
    (void)state;
    char args[1024], path[512];
    /* --out-dir: the digits output (2688 bytes) against a 1 KiB limit; zeros as the second
     * input, so that a rewritten file would differ */
    frt_tensor *x;
    TU_OK(frt_npy_read(FRT_TEST_DATA "/../../models/digits/samples.npy", &x));
    memset(frt_tensor_data(x), 0, frt_tensor_nbytes(x));
    snprintf(path, sizeof path, "%s/zeros.npy", tmpdir);
    TU_OK(frt_npy_write(path, x));
    frt_tensor_unref(x);
    snprintf(args, sizeof args, "run ../../models/digits/model.pb --input "
             "images=../../models/digits/samples.npy --out-dir '%s/full'", tmpdir);
    run_ok(args);
    snprintf(path, sizeof path, "%s/full/Identity.npy", tmpdir);
    size_t len, n;
    uint8_t *before = tu_read_file(path, &len);
    cmd_prefix = "trap '' XFSZ; ulimit -f 2; ";
    snprintf(args, sizeof args, "run ../../models/digits/model.pb --input 'images=%s/zeros.npy' "
             "--out-dir '%s/full'", tmpdir, tmpdir);
    expect_error(args, "Identity.npy'", "File too large");
    cmd_prefix = "";
    uint8_t *now = tu_read_file(path, &n);
    assert_int_equal(n, len);
    assert_memory_equal(now, before, len);
    free(now);
    free(before);
    /* freeze -o: a 2.2 KB frozen graph, then a bigger one (two outputs) that does not fit */
    const char *c = "savedmodels/tf1_mlp_ckpt";
    snprintf(args, sizeof args, "freeze %s/model.ckpt.meta --checkpoint %s/model.ckpt "
             "--outputs probs -o '%s/full/f.pb'", c, c, tmpdir);
    run_ok(args);
    snprintf(path, sizeof path, "%s/full/f.pb", tmpdir);
    before = tu_read_file(path, &len);
    cmd_prefix = "trap '' XFSZ; ulimit -f 2; ";
    snprintf(args, sizeof args, "freeze %s/model.ckpt.meta --checkpoint %s/model.ckpt "
             "--outputs probs,Mean -o '%s/full/f.pb'", c, c, tmpdir);
    expect_error(args, "f.pb'", "File too large");
    cmd_prefix = "";
    now = tu_read_file(path, &n);
    assert_int_equal(n, len);
    assert_memory_equal(now, before, len);
    free(now);
    free(before);
    snprintf(path, sizeof path, "%s/full", tmpdir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) fail_msg("temporary %s left in %s", e->d_name, path);
    closedir(d);
}

/* A small graph pinned to /device:GPU:0 in three spellings, written as a TF export would. */
static const char *write_pinned_graph(void) {
    static char path[512];
    snprintf(path, sizeof path, "%s/pinned.pbtxt", tmpdir);
    const char *text =
        "node { name: 'x' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
        "node { name: 'y' op: 'Relu' input: 'x' device: '/device:GPU:0'\n"
        "       attr { key: 'T' value { type: DT_FLOAT } } }\n"
        "node { name: 'z' op: 'AddV2' input: 'y' input: 'y' device: '/gpu:0'\n"
        "       attr { key: 'T' value { type: DT_FLOAT } } }\n"
        "node { name: 'w' op: 'Mul' input: 'z' input: 'x'\n"
        "       device: '/job:localhost/replica:0/task:0/device:GPU:0'\n"
        "       attr { key: 'T' value { type: DT_FLOAT } } }\n";
    tu_write_file(path, text, strlen(text));
    return path;
}

/* Device flags on a machine without a GPU (FLOWRT_SIM_GPUS=0 makes the simulation build
 * have none too): GPU-pinned nodes run on the CPU under soft placement, are one error
 * naming each without it; placement is logged in TF1's format; statistics are JSON. */
static void devices_without_a_gpu(void **state) {
    (void)state;
    const char *g = write_pinned_graph();
    cmd_prefix = "FLOWRT_SIM_GPUS=0 ";
    char args[1024];
    snprintf(args, sizeof args, "run '%s' --input 'x=[1,-2,3]' --output w "
             "--log-device-placement --stats-json '%s/s.json'", g, tmpdir);
    result *r = run_ok(args);
    assert_non_null(strstr(r->out, "w: float32 [3]"));
    assert_non_null(strstr(r->out, "[2, -0, 18]")); /* relu(-2) + 0 = 0, times -2 */
    assert_non_null(strstr(r->err, "w: (Mul): /job:localhost/replica:0/task:0/device:CPU:0\n"));
    assert_non_null(strstr(r->err, "y: (Relu): /job:localhost/replica:0/task:0/device:CPU:0\n"));
    char json[4096], path[600];
    snprintf(path, sizeof path, "%s/s.json", tmpdir);
    slurp(path, json, sizeof json);
    const char *fields[] = {"\"devices\": [", "\"name\": \"/job:localhost/replica:0/task:0/device:CPU:0\"",
                            "\"simulated\": false", "\"mode\": \"host\"", "\"limit_bytes\": 0",
                            "\"in_use_bytes\": ", "\"peak_bytes\": ", "\"regions\": 0",
                            "\"largest_free_bytes\": 0", "\"num_allocs\": ", "\"nodes\": 3",
                            "\"copies\": {\"count\": 0, \"bytes\": 0}"};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        if (!strstr(json, fields[i])) fail_msg("stats lack %s: %s", fields[i], json);

    snprintf(args, sizeof args, "run '%s' --input 'x=[1,-2,3]' --output w --no-soft-placement", g);
    expect_error(args, "'y' (Relu)", "'w' (Mul)");
    snprintf(args, sizeof args, "inspect '%s' --placement", g);
    r = run_ok(args);
    assert_non_null(strstr(r->out, "z (AddV2): CPU:0  pinned to '/gpu:0', which does not exist"));
    assert_non_null(strstr(r->out, "nodes per device: CPU:0 4"));
    cmd_prefix = "";
}

static void bad_device_flags(void **state) {
    (void)state;
    const char *g = write_pinned_graph();
    char args[1024];
    const char *bad[][3] = {
        {"--gpu-memory-fraction 0", "--gpu-memory-fraction must be in (0, 1]", "'0'"},
        {"--gpu-memory-fraction 1.5", "--gpu-memory-fraction must be in (0, 1]", "'1.5'"},
        {"--gpu-memory-fraction nan", "--gpu-memory-fraction must be in (0, 1]", "'nan'"},
        {"--gpu-memory-limit 0", "--gpu-memory-limit expects a positive number of MB", "'0'"},
        {"--gpu-memory-limit -3", "--gpu-memory-limit expects a positive number of MB", "'-3'"},
        {"--gpu-session-limit x", "--gpu-session-limit expects a positive", "'x'"},
        {"--visible-gpus 0,x", "visible GPUs '0,x'", "GPU indices separated by commas"},
        {"--visible-gpus 17", "visible GPUs '17': there is no GPU 17", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(args, sizeof args, "run '%s' --input 'x=[1]' %s", g, bad[i][0]);
        expect_error(args, bad[i][1], bad[i][2]);
    }
}

static int setup(void **state) {
    (void)state;
    tmpdir = tu_mkdtemp("cli");
    return 0;
}

static int teardown(void **state) {
    (void)state;
    int rc = tu_rmtree(tmpdir);
    free(tmpdir);
    return rc;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(run_prints_and_saves_outputs),
        cmocka_unit_test(literal_feed_and_pruned_unsupported_ops),
        cmocka_unit_test(sink_nodes_are_default_outputs),
        cmocka_unit_test(inspect_summarizes),
        cmocka_unit_test(corrupt_files),
        cmocka_unit_test(truncated_at_every_cut_never_crashes),
        cmocka_unit_test(bad_feeds_and_fetches),
        cmocka_unit_test(saved_model_state_persists_across_repeats),
        cmocka_unit_test(saved_model_outputs_by_key),
        cmocka_unit_test(meta_with_checkpoint_and_freeze),
        cmocka_unit_test(inspect_checkpoints_and_saved_models),
        cmocka_unit_test(special_files_are_refused_at_once),
        cmocka_unit_test(threads_are_bounded),
        cmocka_unit_test(failed_writes_keep_previous_outputs),
        cmocka_unit_test(devices_without_a_gpu),
        cmocka_unit_test(bad_device_flags),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
