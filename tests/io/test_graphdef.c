/* tests/io/test_graphdef.c: GraphDef loading from binary and text files made by TensorFlow
 * (tests/data/io/small.pb{,txt}, tools/gen_io_fixtures.py), and every kind of bad file. */
#include "util/test_util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "graph/function.h"
#include "io/graphdef.h"

static const frt_attr_value *attr(frt_graph *g, const char *node, const char *key) {
    int i = frt_graph_find(g, node);
    if (i < 0) fail_msg("no node %s", node);
    const frt_attr_value *v = frt_attrs_find(&frt_graph_node(g, i)->attrs, key);
    if (!v) fail_msg("node %s has no attr %s", node, key);
    return v;
}

static const frt_tensor *const_value(frt_graph *g, const char *node) {
    const frt_attr_value *v = attr(g, node, "value");
    assert_int_equal(v->kind, FRT_ATTR_TENSOR);
    return v->v.tensor;
}

/* Everything the fixture graph holds; the same checks for the .pb and the .pbtxt. */
static void check_small_graph(frt_graph *g) {
    static const char *names[] = {"x", "w", "b", "mm", "y", "ints", "u", "idx", "strs", "i64",
                                  "bools", "halfs", "empty", "i8", "Reshape/shape", "Reshape",
                                  "pool"};
    assert_int_equal(g->n_nodes, (int)FRT_COUNTOF(names));
    for (int i = 0; i < g->n_nodes; i++) assert_string_equal(g->nodes[i].name, names[i]);
    assert_false(g->finalized);
    assert_int_equal(g->producer, 2474);
    assert_null(g->library);

    frt_node *mm = frt_graph_node(g, frt_graph_find(g, "mm"));
    assert_string_equal(mm->op, "MatMul");
    assert_int_equal(mm->n_inputs, 2);
    assert_string_equal(mm->inputs[0], "x");
    assert_string_equal(mm->inputs[1], "w");
    frt_node *idx = frt_graph_node(g, frt_graph_find(g, "idx"));
    assert_string_equal(idx->op, "Identity");
    assert_int_equal(idx->n_inputs, 2);
    assert_string_equal(idx->inputs[0], "u:1");
    assert_string_equal(idx->inputs[1], "^y");
    assert_string_equal(frt_graph_node(g, frt_graph_find(g, "u"))->op, "Unique");

    /* attrs of several kinds */
    const frt_attr_value *v = attr(g, "x", "dtype");
    assert_int_equal(v->kind, FRT_ATTR_TYPE);
    assert_int_equal(v->v.type, FRT_DTYPE_FLOAT);
    v = attr(g, "x", "shape");
    assert_int_equal(v->kind, FRT_ATTR_SHAPE);
    assert_false(v->v.shape.unknown_rank);
    assert_int_equal(v->v.shape.ndim, 2);
    assert_int_equal(v->v.shape.dims[0], -1);
    assert_int_equal(v->v.shape.dims[1], 3);
    v = attr(g, "mm", "transpose_b");
    assert_int_equal(v->kind, FRT_ATTR_B);
    assert_false(v->v.b);
    v = attr(g, "y", "_has_manual_control_dependencies");
    assert_int_equal(v->kind, FRT_ATTR_B);
    assert_true(v->v.b);
    v = attr(g, "pool", "padding");
    assert_int_equal(v->kind, FRT_ATTR_S);
    assert_int_equal(v->v.s.len, 5);
    assert_string_equal(v->v.s.ptr, "VALID");
    v = attr(g, "pool", "ksize");
    assert_int_equal(v->kind, FRT_ATTR_LIST);
    assert_int_equal(v->v.list.elem, FRT_ATTR_I);
    assert_int_equal(v->v.list.n, 4);
    assert_int_equal(v->v.list.v.i[2], 2);
    v = attr(g, "pool", "explicit_paddings");
    assert_int_equal(v->kind, FRT_ATTR_LIST); /* `list {}`: set, empty */
    assert_int_equal(v->v.list.n, 0);
    assert_int_equal(v->v.list.elem, FRT_ATTR_NONE);

    /* Const values: tensor_content, float_val splat, string_val, scalar, bool, half, empty */
    const frt_tensor *t = const_value(g, "w");
    tu_assert_shape(t, TU_DIMS(3, 2), 2);
    for (int i = 0; i < 6; i++) assert_true(frt_tensor_f32(t)[i] == 0.5f * (float)i);
    t = const_value(g, "b");
    tu_assert_shape(t, TU_DIMS(2), 1);
    assert_true(frt_tensor_f32(t)[0] == 1.5f && frt_tensor_f32(t)[1] == 1.5f);
    t = const_value(g, "ints");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT32);
    assert_int_equal(frt_tensor_i32(t)[0], 3);
    assert_int_equal(frt_tensor_i32(t)[3], 2);
    t = const_value(g, "strs");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_STRING);
    size_t len;
    assert_string_equal(frt_tensor_string(t, 0, &len), "ab");
    assert_string_equal(frt_tensor_string(t, 1, &len), "");
    assert_int_equal(len, 0);
    assert_memory_equal(frt_tensor_string(t, 2, &len), "c\n\xc3\xbf", 4);
    assert_int_equal(len, 4);
    t = const_value(g, "i64");
    assert_int_equal(frt_tensor_ndim(t), 0);
    assert_int_equal(frt_tensor_i64(t)[0], 7);
    t = const_value(g, "bools");
    const uint8_t *bo = frt_tensor_data(t);
    assert_true(bo[0] == 1 && bo[1] == 0 && bo[2] == 1);
    t = const_value(g, "halfs");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_HALF);
    const uint16_t *h = frt_tensor_data(t);
    assert_int_equal(h[0], 0x3c00);
    assert_int_equal(h[1], 0xc000);
    t = const_value(g, "empty");
    tu_assert_shape(t, TU_DIMS(2, 0), 2);
    assert_int_equal(frt_tensor_num_elements(t), 0);
    t = const_value(g, "i8");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_INT8);
    assert_int_equal(((const int8_t *)frt_tensor_data(t))[3], 4);
    t = const_value(g, "Reshape/shape");
    assert_int_equal(frt_tensor_i32(t)[0], -1);
}

static void loads_binary(void **state) {
    (void)state;
    char p[512];
    frt_graph *g;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "io/small.pb"), &g));
    check_small_graph(g);
    frt_graph_free(g);
}

static void loads_text(void **state) {
    (void)state;
    char p[512];
    frt_graph *g;
    TU_OK(frt_graphdef_load_file(tu_data_path(p, sizeof p, "io/small.pbtxt"), &g));
    check_small_graph(g);
    frt_graph_free(g);
}

/* Text content is recognised without the extension, and binary with a .pbtxt-less name. */
static void sniffs_content(void **state) {
    (void)state;
    char p[512];
    size_t tl, bl;
    char *txt = (char *)tu_read_file(tu_data_path(p, sizeof p, "io/small.pbtxt"), &tl);
    char *bin = (char *)tu_read_file(tu_data_path(p, sizeof p, "io/small.pb"), &bl);
    assert_true(frt_graphdef_looks_like_text(txt, tl));
    assert_false(frt_graphdef_looks_like_text(bin, bl));
    assert_true(frt_graphdef_looks_like_text("# c\n  versions: {}", 18));
    assert_false(frt_graphdef_looks_like_text("", 0));

    char *tmpl = tu_mkdtemp("io");
    char path[600];
    snprintf(path, sizeof path, "%s/model.pb", tmpl);
    tu_write_file(path, txt, tl);
    frt_graph *g;
    TU_OK(frt_graphdef_load_file(path, &g)); /* text inside a .pb */
    check_small_graph(g);
    frt_graph_free(g);
    unlink(path);
    rmdir(tmpl);
    free(tmpl);
    free(txt);
    free(bin);
}

/* Offsets where a top-level field of the GraphDef ends: a file cut there is still valid. */
static bool is_field_boundary(const uint8_t *b, size_t len, size_t cut) {
    size_t i = 0;
    while (i < len) {
        if (i == cut) return true;
        uint64_t key = 0, l = 0;
        int s = 0;
        while (b[i] & 0x80) key |= (uint64_t)(b[i++] & 0x7f) << s, s += 7;
        key |= (uint64_t)b[i++] << s;
        assert_int_equal(key & 7, 2); /* all GraphDef fields written here are messages */
        s = 0;
        while (b[i] & 0x80) l |= (uint64_t)(b[i++] & 0x7f) << s, s += 7;
        l |= (uint64_t)b[i++] << s;
        i += l;
    }
    return false;
}

static void truncated_binary_is_data_loss(void **state) {
    (void)state;
    char p[512];
    size_t len;
    uint8_t *bin = tu_read_file(tu_data_path(p, sizeof p, "io/small.pb"), &len);
    int losses = 0;
    for (size_t cut = 1; cut < len; cut++) {
        frt_graph *g = NULL;
        frt_status *st = frt_graphdef_load_buffer(bin, cut, false, "cut.pb", &g);
        if (is_field_boundary(bin, len, cut)) {
            assert_null(st); /* fewer nodes, but well-formed */
            assert_non_null(g);
            assert_true(g->n_nodes <= 17);
            frt_graph_free(g);
        } else {
            assert_null(g);
            tu_assert_error(st, FRT_DATA_LOSS, "'cut.pb': not a valid binary GraphDef");
            losses++;
        }
    }
    assert_true(losses > (int)len * 9 / 10);
    free(bin);
}

static void garbage_is_data_loss(void **state) {
    (void)state;
    uint8_t junk[257];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = (uint8_t)(x >> 16);
    }
    junk[0] = 0x0f; /* field 1 with wire type 7: never valid */
    frt_graph *g;
    tu_assert_error(frt_graphdef_load_buffer(junk, sizeof junk, false, "junk.pb", &g),
                    FRT_DATA_LOSS, "junk.pb");
    assert_null(g);
    /* a node whose length runs past the end */
    static const uint8_t over[] = {0x0a, 0x40, 0x0a, 0x01, 'a'};
    tu_assert_error(frt_graphdef_load_buffer(over, sizeof over, false, "over.pb", &g),
                    FRT_DATA_LOSS, "truncated or corrupt");
    /* garbage text: error with line and column */
    static const char txt[] = "node {\n  name: \"a\"\n  op: ?\n}\n";
    tu_assert_error(frt_graphdef_load_buffer(txt, sizeof txt - 1, true, "g.pbtxt", &g),
                    FRT_INVALID_ARGUMENT, "'g.pbtxt':3:7:");
    static const char unclosed[] = "node {\n  name: \"a\"\n";
    tu_assert_error(frt_graphdef_load_buffer(unclosed, sizeof unclosed - 1, true, "u.pbtxt", &g),
                    FRT_INVALID_ARGUMENT, "missing '}'");
}

static void missing_empty_and_directory(void **state) {
    (void)state;
    frt_graph *g = (frt_graph *)1;
    tu_assert_error(frt_graphdef_load_file("/nonexistent/dir/model.pb", &g), FRT_NOT_FOUND,
                    "'/nonexistent/dir/model.pb'");
    assert_null(g);
    char *tmpl = tu_mkdtemp("io");
    char path[600];
    snprintf(path, sizeof path, "%s/empty.pb", tmpl);
    tu_write_file(path, "", 0);
    tu_assert_error(frt_graphdef_load_file(path, &g), FRT_DATA_LOSS, "empty");
    assert_null(g);
    tu_assert_error(frt_graphdef_load_file(tmpl, &g), FRT_FAILED_PRECONDITION, "directory");
    unlink(path);
    rmdir(tmpl);
    free(tmpl);
    tu_assert_error(frt_graphdef_load_buffer("", 0, false, NULL, &g), FRT_DATA_LOSS, "empty");
}

static void bad_const_names_node(void **state) {
    (void)state;
    static const char txt[] =
        "node { name: \"c\" op: \"Const\" attr { key: \"value\" value { tensor {\n"
        "  dtype: DT_FLOAT tensor_shape { dim { size: 3 } } tensor_content: \"\\000\\000\" } } } }";
    frt_graph *g;
    frt_status *st = frt_graphdef_load_buffer(txt, sizeof txt - 1, true, "bad.pbtxt", &g);
    assert_non_null(st);
    assert_int_equal(frt_status_code(st), FRT_INVALID_ARGUMENT);
    const char *m = frt_status_message(st);
    assert_non_null(strstr(m, "tensor_content has 2 bytes"));
    assert_non_null(strstr(m, "attr 'value'"));
    assert_non_null(strstr(m, "node 'c' (Const)"));
    assert_non_null(strstr(m, "bad.pbtxt"));
    frt_status_free(st);
    assert_null(g);
}

static void keeps_function_library(void **state) {
    (void)state;
    static const char txt[] =
        "node { name: \"call\" op: \"f\" input: \"a\" }\n"
        "library {\n"
        "  function {\n"
        "    signature { name: \"f\" input_arg { name: \"x\" type: DT_FLOAT }\n"
        "                output_arg { name: \"y\" type: DT_FLOAT } }\n"
        "    node_def { name: \"n\" op: \"Identity\" input: \"x\"\n"
        "               attr { key: \"T\" value { type: DT_FLOAT } } }\n"
        "    ret { key: \"y\" value: \"n:output:0\" }\n"
        "  }\n"
        "}\n"
        "versions { producer: 1569 min_consumer: 12 }\n";
    frt_graph *g;
    TU_OK(frt_graphdef_load_buffer(txt, sizeof txt - 1, true, "lib.pbtxt", &g));
    assert_int_equal(g->n_nodes, 1);
    assert_int_equal(g->producer, 1569);
    assert_int_equal(g->min_consumer, 12);
    assert_non_null(g->library);
    assert_non_null(g->library_free);
    const frt_function_lib *lib = frt_graph_library(g);
    assert_non_null(lib);
    assert_int_equal(lib->n, 1);
    assert_string_equal(lib->fns[0]->name, "f");
    assert_int_equal(lib->fns[0]->n_nodes, 1);
    assert_string_equal(lib->fns[0]->ret[0].value, "n:output:0");
    frt_graph_free(g); /* frees the library too (ASan checks) */
}

/* The node limit is checked on the wire bytes before unpacking. A varint that protobuf-c
 * accepts but frt_get_varint64 does not (10 bytes, the last over 1) in front of the nodes
 * must not switch that count off: the file is refused without unpacking its nodes. */
static void node_count_survives_overlong_varints(void **state) {
    (void)state;
    enum { NODES = 2000 };
    uint8_t buf[11 + 2 * NODES];
    size_t n = 0;
    buf[n++] = 0x18; /* field 3 (the deprecated int32 `version`), varint */
    for (int i = 0; i < 9; i++) buf[n++] = 0xff;
    buf[n++] = 0x7f;
    for (int i = 0; i < NODES; i++) buf[n++] = 0x0a, buf[n++] = 0; /* node {} */
    frt_graph_set_max_nodes_for_testing(NODES - 1);
    frt_graph *g = NULL;
    frt_testing_fail_alloc_after(LONG_MAX); /* counts allocations, fails none */
    frt_status *st = frt_graphdef_load_buffer(buf, n, false, "overlong.pb", &g);
    long allocs = frt_testing_alloc_count();
    frt_testing_fail_alloc_after(0);
    frt_graph_set_max_nodes_for_testing(0);
    assert_null(g);
    tu_assert_error(st, FRT_INVALID_ARGUMENT, "2000 nodes, more than the 1999");
    if (allocs < 0 || allocs > 50)
        fail_msg("%ld allocations: the nodes were unpacked before the limit was checked", allocs);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_binary),
        cmocka_unit_test(loads_text),
        cmocka_unit_test(sniffs_content),
        cmocka_unit_test(truncated_binary_is_data_loss),
        cmocka_unit_test(garbage_is_data_loss),
        cmocka_unit_test(missing_empty_and_directory),
        cmocka_unit_test(bad_const_names_node),
        cmocka_unit_test(keeps_function_library),
        cmocka_unit_test(node_count_survives_overlong_varints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
