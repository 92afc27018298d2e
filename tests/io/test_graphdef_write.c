/* tests/io/test_graphdef_write.c: the GraphDef writer (io/graphdef_write.c): load → write →
 * load equality on every fixture in tests/data/ops and tests/data/models, byte stability,
 * every attr kind, the function library (kept only while referenced), atomic file writes. */
#include "util/test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "graph/function.h"
#include "io/file.h"
#include "io/graphdef.h"
#include "io/graphdef_write.h"

static bool tensors_equal(const frt_tensor *a, const frt_tensor *b) {
    if (a->dtype != b->dtype || a->ndim != b->ndim || a->n != b->n) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return false;
    if (a->dtype == FRT_DTYPE_STRING) {
        const frt_string *x = frt_tensor_strings(a), *y = frt_tensor_strings(b);
        for (int64_t i = 0; i < a->n; i++)
            if (x[i].len != y[i].len || (x[i].len && memcmp(x[i].ptr, y[i].ptr, x[i].len)))
                return false;
        return true;
    }
    size_t n = (size_t)a->n * frt_dtype_size(a->dtype);
    return n == 0 || memcmp(frt_tensor_data(a), frt_tensor_data(b), n) == 0;
}

static bool attrs_equal(const frt_attrs *a, const frt_attrs *b);

static bool shapes_equal(const frt_attr_shape *a, const frt_attr_shape *b) {
    if (a->unknown_rank != b->unknown_rank || a->ndim != b->ndim) return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i]) return false;
    return true;
}

static bool funcs_equal(const frt_attr_func *a, const frt_attr_func *b) {
    if (strcmp(a->name, b->name)) return false;
    frt_attrs empty;
    frt_attrs_init(&empty);
    return attrs_equal(a->attrs ? a->attrs : &empty, b->attrs ? b->attrs : &empty);
}

static bool values_equal(const frt_attr_value *a, const frt_attr_value *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case FRT_ATTR_NONE: return true;
    case FRT_ATTR_S:
    case FRT_ATTR_PLACEHOLDER:
        return a->v.s.len == b->v.s.len && (!a->v.s.len || !memcmp(a->v.s.ptr, b->v.s.ptr,
                                                                   a->v.s.len));
    case FRT_ATTR_I: return a->v.i == b->v.i;
    case FRT_ATTR_F: return memcmp(&a->v.f, &b->v.f, sizeof(float)) == 0;
    case FRT_ATTR_B: return a->v.b == b->v.b;
    case FRT_ATTR_TYPE: return a->v.type == b->v.type;
    case FRT_ATTR_SHAPE: return shapes_equal(&a->v.shape, &b->v.shape);
    case FRT_ATTR_TENSOR: return tensors_equal(a->v.tensor, b->v.tensor);
    case FRT_ATTR_FUNC: return funcs_equal(&a->v.func, &b->v.func);
    case FRT_ATTR_LIST: {
        const frt_attr_list *x = &a->v.list, *y = &b->v.list;
        if (x->elem != y->elem || x->n != y->n) return false;
        for (int i = 0; i < x->n; i++) {
            bool eq = true;
            switch (x->elem) {
            case FRT_ATTR_S:
                eq = x->v.s[i].len == y->v.s[i].len &&
                     (!x->v.s[i].len || !memcmp(x->v.s[i].ptr, y->v.s[i].ptr, x->v.s[i].len));
                break;
            case FRT_ATTR_I: eq = x->v.i[i] == y->v.i[i]; break;
            case FRT_ATTR_F: eq = !memcmp(&x->v.f[i], &y->v.f[i], sizeof(float)); break;
            case FRT_ATTR_B: eq = x->v.b[i] == y->v.b[i]; break;
            case FRT_ATTR_TYPE: eq = x->v.type[i] == y->v.type[i]; break;
            case FRT_ATTR_SHAPE: eq = shapes_equal(&x->v.shape[i], &y->v.shape[i]); break;
            case FRT_ATTR_TENSOR: eq = tensors_equal(x->v.tensor[i], y->v.tensor[i]); break;
            case FRT_ATTR_FUNC: eq = funcs_equal(&x->v.func[i], &y->v.func[i]); break;
            default: eq = false;
            }
            if (!eq) return false;
        }
        return true;
    }
    default: return false;
    }
}

static bool attrs_equal(const frt_attrs *a, const frt_attrs *b) {
    if (a->n != b->n) return false;
    for (int k = 0; k < a->n; k++) {
        const frt_attr_value *v = frt_attrs_find(b, a->keys[k]);
        if (!v || !values_equal(&a->vals[k], v)) return false;
    }
    return true;
}

static void assert_graphs_equal(const frt_graph *a, const frt_graph *b, const char *what) {
    if (a->n_nodes != b->n_nodes) fail_msg("%s: %d vs %d nodes", what, a->n_nodes, b->n_nodes);
    assert_int_equal(a->producer, b->producer);
    assert_int_equal(a->min_consumer, b->min_consumer);
    for (int i = 0; i < a->n_nodes; i++) {
        const frt_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->op, y->op);
        assert_string_equal(x->device, y->device);
        assert_int_equal(x->n_inputs, y->n_inputs);
        for (int k = 0; k < x->n_inputs; k++) assert_string_equal(x->inputs[k], y->inputs[k]);
        if (!attrs_equal(&x->attrs, &y->attrs))
            fail_msg("%s: node '%s' attrs differ after the round trip", what, x->name);
    }
}

/* Writes g, reloads it, checks equality and that writing again gives the same bytes. */
static frt_graph *round_trip(const frt_graph *g, const char *what) {
    void *d1, *d2;
    size_t n1, n2;
    TU_OK(frt_graphdef_write_buffer(g, &d1, &n1));
    TU_OK(frt_graphdef_write_buffer(g, &d2, &n2));
    assert_int_equal(n1, n2);
    assert_memory_equal(d1, d2, n1);
    frt_graph *h = NULL;
    TU_OK(frt_graphdef_load_buffer(d1, n1, false, what, &h));
    assert_graphs_equal(g, h, what);
    void *d3;
    size_t n3;
    TU_OK(frt_graphdef_write_buffer(h, &d3, &n3));
    if (n3 != n1 || memcmp(d3, d1, n1)) fail_msg("%s: rewriting the reloaded graph differs", what);
    free(d1);
    free(d2);
    free(d3);
    return h;
}

static int round_trip_dir(const char *rel) {
    char dir[512];
    tu_data_path(dir, sizeof dir, rel);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s/model.pb", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0) continue;
        frt_graph *g = NULL;
        TU_OK(frt_graphdef_load_file(path, &g));
        frt_graph_free(round_trip(g, path));
        /* A finalized graph (defaults filled) writes and reloads too. */
        TU_OK(frt_graph_finalize(g));
        frt_graph *h = round_trip(g, path);
        TU_OK(frt_graph_finalize(h));
        frt_graph_free(h);
        frt_graph_free(g);
        count++;
    }
    closedir(d);
    return count;
}

static void every_fixture_round_trips(void **state) {
    (void)state;
    assert_true(round_trip_dir("ops") > 300);
    assert_true(round_trip_dir("models") >= 4);
}

static const char k_kinds[] =
    "node { name: 'c' op: 'Const' device: '/device:CPU:0'\n"
    "  attr { key: 'dtype' value { type: DT_STRING } }\n"
    "  attr { key: 'value' value { tensor { dtype: DT_STRING tensor_shape { dim { size: 2 } }\n"
    "    string_val: 'ab' string_val: '\\000z' } } } }\n"
    "node { name: 'k' op: 'Const' input: '^c'\n"
    "  attr { key: 'value' value { tensor { dtype: DT_HALF tensor_shape { } half_val: 15360 } } }\n"
    "  attr { key: 'zz' value { } }\n"
    "  attr { key: 'f' value { f: -0.5 } } attr { key: 'b' value { b: true } }\n"
    "  attr { key: 'i' value { i: -7 } } attr { key: 's' value { s: 'x\\001y' } }\n"
    "  attr { key: 'sh' value { shape { dim { size: -1 } dim { size: 3 } } } }\n"
    "  attr { key: 'ur' value { shape { unknown_rank: true } } }\n"
    "  attr { key: 'e' value { list { } } }\n"
    "  attr { key: 'li' value { list { i: 1 i: 2 } } }\n"
    "  attr { key: 'lf' value { list { f: 1.5 } } }\n"
    "  attr { key: 'lb' value { list { b: false b: true } } }\n"
    "  attr { key: 'ls' value { list { s: 'p' s: '' } } }\n"
    "  attr { key: 'lt' value { list { type: DT_INT64 type: DT_BOOL } } }\n"
    "  attr { key: 'lsh' value { list { shape { } shape { unknown_rank: true } } } }\n"
    "  attr { key: 'lte' value { list { tensor { dtype: DT_INT32 int_val: 4 } } } }\n"
    "  attr { key: 'fn' value { func { name: 'g' attr { key: 'T' value { type: DT_FLOAT } } } } }\n"
    "  attr { key: 'lfn' value { list { func { name: 'h' } } } }\n"
    "  attr { key: 'ph' value { placeholder: 'T' } } }\n"
    "versions { producer: 27 min_consumer: 3 }\n";

static void every_attr_kind(void **state) {
    (void)state;
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_buffer(k_kinds, sizeof k_kinds - 1, true, "kinds", &g));
    frt_graph *h = round_trip(g, "kinds");
    const frt_attr_value *z = frt_attrs_find(&h->nodes[1].attrs, "zz");
    assert_non_null(z);
    assert_int_equal(z->kind, FRT_ATTR_NONE);
    assert_int_equal(frt_attrs_find(&h->nodes[1].attrs, "e")->kind, FRT_ATTR_LIST);
    assert_int_equal(h->producer, 27);
    assert_string_equal(h->nodes[0].device, "/device:CPU:0");
    assert_int_equal(frt_tensor_strings(frt_attr_get_tensor(&h->nodes[0].attrs, "value"))[1].len,
                     2);
    frt_graph_free(h);
    frt_graph_free(g);
}

static const char k_lib[] =
    "node { name: 'a' op: 'Placeholder' attr { key: 'dtype' value { type: DT_FLOAT } } }\n"
    "node { name: 'call' op: 'StatefulPartitionedCall' input: 'a'\n"
    "  attr { key: 'Tin' value { list { type: DT_FLOAT } } }\n"
    "  attr { key: 'Tout' value { list { type: DT_FLOAT } } }\n"
    "  attr { key: 'f' value { func { name: 'fn' } } } }\n"
    "library {\n"
    " function {\n"
    "  signature { name: 'fn' input_arg { name: 'x' type_attr: 'T' }\n"
    "    output_arg { name: 'y' type: DT_FLOAT }\n"
    "    output_arg { name: 'z' type: DT_FLOAT number_attr: 'N' }\n"
    "    attr { name: 'T' type: 'type' default_value { type: DT_FLOAT } }\n"
    "    attr { name: 'N' type: 'int' }\n"
    "    control_output: 'c2' control_output: 'c1' is_stateful: true }\n"
    "  attr { key: '_noinline' value { b: true } }\n"
    "  attr { key: '_input_shapes' value { list { shape { dim { size: 2 } } } } }\n"
    "  arg_attr { key: 1 value { attr { key: '_user' value { s: 'u' } } } }\n"
    "  arg_attr { key: 0 value { attr { key: '_b' value { i: 1 } }\n"
    "                            attr { key: '_a' value { i: 2 } } } }\n"
    "  resource_arg_unique_id { key: 3 value: 9 } resource_arg_unique_id { key: 0 value: 4 }\n"
    "  node_def { name: 'n' op: 'Identity' input: 'x' input: '^m' device: '/cpu:0'\n"
    "    attr { key: 'T' value { placeholder: 'T' } } }\n"
    "  node_def { name: 'm' op: 'NoOp' }\n"
    "  ret { key: 'z' value: 'n:output:0' } ret { key: 'y' value: 'n:output:0' }\n"
    "  control_ret { key: 'c2' value: 'm' } control_ret { key: 'c1' value: 'n' }\n"
    " }\n"
    " function { signature { name: 'other' } }\n"
    " gradient { function_name: 'fn' gradient_func: 'other' }\n"
    "}\n";

static void library_round_trips_sorted(void **state) {
    (void)state;
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_buffer(k_lib, sizeof k_lib - 1, true, "lib", &g));
    frt_graph *h = round_trip(g, "lib");
    const frt_function_lib *lib = frt_graph_library(h);
    assert_non_null(lib);
    assert_int_equal(lib->n, 2);
    assert_int_equal(lib->n_gradients, 1);
    assert_string_equal(lib->gradients[0].value, "other");
    const frt_function *fn = frt_function_lib_find(lib, "fn");
    assert_non_null(fn);
    assert_int_equal(fn->n_in, 1);
    assert_string_equal(fn->in[0].type_attr, "T");
    assert_null(fn->in[0].number_attr);
    assert_string_equal(fn->out[1].number_attr, "N");
    assert_int_equal(fn->out[1].type, FRT_DTYPE_FLOAT);
    assert_true(fn->is_stateful);
    assert_int_equal(fn->n_attr_defs, 2);
    assert_true(fn->attr_defs[0].has_default);
    assert_int_equal(fn->attr_defs[0].def.v.type, FRT_DTYPE_FLOAT);
    assert_false(fn->attr_defs[1].has_default);
    /* control_output keeps signature order; maps come back sorted by key. */
    assert_string_equal(fn->control_outputs[0], "c2");
    assert_string_equal(fn->ret[0].key, "y");
    assert_string_equal(fn->control_ret[0].key, "c1");
    assert_int_equal(fn->n_arg_attrs, 2);
    assert_int_equal(fn->arg_attrs[0].index, 0);
    assert_string_equal(fn->arg_attrs[0].attrs.keys[0], "_a");
    assert_int_equal(fn->n_resource_ids, 2);
    assert_int_equal(fn->resource_ids[0][0], 0);
    assert_int_equal(fn->resource_ids[0][1], 4);
    assert_int_equal(fn->n_nodes, 2);
    assert_string_equal(fn->nodes[0].device, "/cpu:0");
    assert_string_equal(fn->nodes[0].inputs[1], "^m");
    assert_int_equal(frt_attrs_find(&fn->nodes[0].attrs, "T")->kind, FRT_ATTR_PLACEHOLDER);
    assert_true(frt_attrs_find(&fn->attrs, "_noinline")->v.b);
    frt_graph_free(h);

    /* Once the call is gone (inlined) the library is not written. */
    frt_graph_free(g);
    g = NULL;
    TU_OK(frt_graphdef_load_buffer(k_lib, sizeof k_lib - 1, true, "lib", &g));
    frt_attr_value n2 = {.kind = FRT_ATTR_I, .v.i = 1};
    frt_attrs *fa = frt_attrs_find(&g->nodes[1].attrs, "f")->v.func.attrs;
    assert_null(fa);
    /* bind N so the inliner can size output z */
    frt_attr_value fv;
    frt_attr_value_copy(&fv, frt_attrs_find(&g->nodes[1].attrs, "f"));
    fv.v.func.attrs = frt_xcalloc(1, sizeof *fv.v.func.attrs);
    frt_attrs_init(fv.v.func.attrs);
    frt_attrs_set(fv.v.func.attrs, "N", &n2);
    frt_attrs_set(&g->nodes[1].attrs, "f", &fv);
    TU_OK(frt_graph_inline_functions(g));
    void *d;
    size_t n;
    TU_OK(frt_graphdef_write_buffer(g, &d, &n));
    frt_graph *k = NULL;
    TU_OK(frt_graphdef_load_buffer(d, n, false, "inlined", &k));
    assert_null(frt_graph_library(k));
    assert_int_equal(k->n_nodes, g->n_nodes);
    TU_OK(frt_graph_finalize(k));
    free(d);
    frt_graph_free(k);
    frt_graph_free(g);
}

static void writes_files_atomically(void **state) {
    (void)state;
    char *tmpl = tu_mkdtemp("gdw");
    char path[256], bad[256], txt[256];
    snprintf(path, sizeof path, "%s/out.pb", tmpl);
    snprintf(bad, sizeof bad, "%s/missing/out.pb", tmpl);
    snprintf(txt, sizeof txt, "%s/out.pbtxt", tmpl);
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_buffer(k_kinds, sizeof k_kinds - 1, true, "kinds", &g));
    TU_OK(frt_graphdef_write_file(g, path));
    TU_OK(frt_graphdef_write_file(g, path)); /* replaces */
    frt_graph *h = NULL;
    TU_OK(frt_graphdef_load_file(path, &h));
    assert_graphs_equal(g, h, path);
    frt_graph_free(h);
    tu_assert_error(frt_graphdef_write_file(g, bad), FRT_NOT_FOUND, "missing/out.pb");
    tu_assert_error(frt_graphdef_write_file(g, txt), FRT_UNIMPLEMENTED, "out.pbtxt");
    /* A full disk (injected ENOSPC) at the start, in the middle, at the end: the previous
     * file stays byte-identical. */
    size_t len;
    uint8_t *before = tu_read_file(path, &len);
    frt_graph *lib = NULL;
    TU_OK(frt_graphdef_load_buffer(k_lib, sizeof k_lib - 1, true, "lib", &lib));
    const long long after[] = {0, 10, (long long)len - 1};
    for (size_t i = 0; i < FRT_COUNTOF(after); i++) {
        frt_file_fail_writes_after(after[i]);
        tu_assert_error(frt_graphdef_write_file(lib, path), FRT_RESOURCE_EXHAUSTED,
                        "No space left on device");
        frt_file_fail_writes_after(-1);
        size_t n;
        uint8_t *now = tu_read_file(path, &n);
        assert_int_equal(n, len);
        assert_memory_equal(now, before, len);
        free(now);
    }
    free(before);
    frt_graph_free(lib);
    /* Only the written file is left: no temporaries. */
    DIR *dd = opendir(tmpl);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(dd)))
        if (e->d_name[0] != '.') files++;
    closedir(dd);
    assert_int_equal(files, 1);
    unlink(path);
    rmdir(tmpl);
    free(tmpl);
    frt_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_fixture_round_trips),
        cmocka_unit_test(every_attr_kind),
        cmocka_unit_test(library_round_trips_sorted),
        cmocka_unit_test(writes_files_atomically),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
