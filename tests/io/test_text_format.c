/* tests/io/test_text_format.c: the descriptor-driven protobuf text-format parser: the syntax
 * superset of formats.md §7.2, numbers, strings and escapes, and errors with line:column. */
#include "util/test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/proto/function.pb-c.h"
#include "io/proto/checkpoint_state.pb-c.h"
#include "io/proto/graph.pb-c.h"
#include "io/proto/meta_graph.pb-c.h"
#include "io/proto/saved_model.pb-c.h"
#include "io/proto/tensor_bundle.pb-c.h"
#include "io/text_format.h"

static ProtobufCMessage *parse_ok(const char *txt, const ProtobufCMessageDescriptor *d) {
    ProtobufCMessage *m = NULL;
    TU_OK(frt_text_format_parse(txt, strlen(txt), d, "t.pbtxt", &m));
    assert_non_null(m);
    return m;
}

static void parse_err(const char *txt, const ProtobufCMessageDescriptor *d, frt_code code,
                      const char *needle) {
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    tu_assert_error(frt_text_format_parse(txt, strlen(txt), d, "t.pbtxt", &m), code, needle);
    assert_null(m);
}

/* An input that must fail: the error code and a piece of its message. */
typedef struct err_case {
    const char *txt;
    frt_code code;
    const char *needle;
} err_case;

/* Each case's text, parsed as d, fails as the case says. */
static void parse_errs(const ProtobufCMessageDescriptor *d, const err_case *cases, size_t n) {
    for (size_t i = 0; i < n; i++) parse_err(cases[i].txt, d, cases[i].code, cases[i].needle);
}

#define FREE(m) protobuf_c_message_free_unpacked((ProtobufCMessage *)(m), NULL)

static void syntax_superset(void **state) {
    (void)state;
    const char *txt =
        "# leading comment\n"
        "node { name: 'a', op: \"Const\"; }  # trailing comment\n"
        "node: { name: \"b\" input: [\"a\", \"^c\"] input: 'a:1' }\n"
        "node < name: 'c' attr < key: 'T' value < type: DT_FLOAT > > >\n"
        "node: [{name: 'd'}, {name: 'e' device: '/cpu:0'}],\n"
        "versions { producer: 27 bad_consumers: [1, 2] bad_consumers: 3 bad_consumers: [] }\n";
    Tensorflow__GraphDef *g = (Tensorflow__GraphDef *)parse_ok(txt, &tensorflow__graph_def__descriptor);
    assert_int_equal(g->n_node, 5);
    assert_string_equal(g->node[0]->name, "a");
    assert_string_equal(g->node[0]->op, "Const");
    assert_int_equal(g->node[1]->n_input, 3);
    assert_string_equal(g->node[1]->input[1], "^c");
    assert_string_equal(g->node[1]->input[2], "a:1");
    assert_int_equal(g->node[2]->n_attr, 1);
    assert_string_equal(g->node[2]->attr[0]->key, "T");
    assert_int_equal(g->node[2]->attr[0]->value->value_case, TENSORFLOW__ATTR_VALUE__VALUE_TYPE);
    assert_int_equal(g->node[2]->attr[0]->value->type, TENSORFLOW__DATA_TYPE__DT_FLOAT);
    assert_string_equal(g->node[4]->name, "e");
    assert_string_equal(g->node[4]->device, "/cpu:0");
    assert_string_equal(g->node[3]->device, ""); /* unset string: protobuf-c's default */
    assert_int_equal(g->versions->producer, 27);
    assert_int_equal(g->versions->n_bad_consumers, 3);
    assert_int_equal(g->versions->bad_consumers[2], 3);
    FREE(g);

    /* empty input and comment-only input are empty messages */
    g = (Tensorflow__GraphDef *)parse_ok("", &tensorflow__graph_def__descriptor);
    assert_int_equal(g->n_node, 0);
    FREE(g);
    g = (Tensorflow__GraphDef *)parse_ok("  # nothing\n\n", &tensorflow__graph_def__descriptor);
    assert_null(g->versions);
    FREE(g);
    /* many repeated elements grow the arrays correctly */
    static char big[16384];
    size_t k = 0;
    for (int i = 0; i < 500; i++) k += (size_t)snprintf(big + k, sizeof big - k, "bad_consumers: %d ", i);
    Tensorflow__VersionDef *v = (Tensorflow__VersionDef *)parse_ok(big, &tensorflow__version_def__descriptor);
    assert_int_equal(v->n_bad_consumers, 500);
    for (int i = 0; i < 500; i++) assert_int_equal(v->bad_consumers[i], i);
    FREE(v);
}

static void integers(void **state) {
    (void)state;
    Tensorflow__TensorProto *t = (Tensorflow__TensorProto *)parse_ok(
        "int_val: [10, 0x1F, 0X10, 017, 0, -5, -0x10, 2147483647, -2147483648]"
        " int64_val: [9223372036854775807, -9223372036854775808]"
        " uint64_val: 18446744073709551615 uint32_val: 0xffffffff version_number: -1",
        &tensorflow__tensor_proto__descriptor);
    static const int32_t want[] = {10, 31, 16, 15, 0, -5, -16, INT32_MAX, INT32_MIN};
    assert_int_equal(t->n_int_val, 9);
    for (int i = 0; i < 9; i++) assert_int_equal(t->int_val[i], want[i]);
    assert_true(t->int64_val[0] == INT64_MAX && t->int64_val[1] == INT64_MIN);
    assert_true(t->uint64_val[0] == UINT64_MAX);
    assert_true(t->uint32_val[0] == UINT32_MAX);
    assert_int_equal(t->version_number, -1);
    FREE(t);
    /* fixed64 keys of a map (GraphDebugInfo) */
    Tensorflow__GraphDebugInfo *d = (Tensorflow__GraphDebugInfo *)parse_ok(
        "name_to_trace_id { key: 'n' value: 18446744073709551615 }",
        &tensorflow__graph_debug_info__descriptor);
    assert_true(d->name_to_trace_id[0]->value == UINT64_MAX);
    FREE(d);

    const ProtobufCMessageDescriptor *td = &tensorflow__tensor_proto__descriptor;
    static const err_case bad[] = {
        {"int_val: 2147483648", FRT_INVALID_ARGUMENT, "out of range"},
        {"int_val: -2147483649", FRT_INVALID_ARGUMENT, "out of range"},
        {"uint32_val: -1", FRT_INVALID_ARGUMENT, "out of range"},
        {"uint32_val: 4294967296", FRT_INVALID_ARGUMENT, "out of range"},
        {"int64_val: 9223372036854775808", FRT_INVALID_ARGUMENT, "out of range"},
        {"uint64_val: 18446744073709551616", FRT_INVALID_ARGUMENT, "invalid integer"},
        {"int_val: 1.5", FRT_INVALID_ARGUMENT, "invalid integer value '1.5'"},
        {"int_val: 08", FRT_INVALID_ARGUMENT, "invalid integer value '08'"},
        {"int_val: abc", FRT_INVALID_ARGUMENT, "invalid integer value 'abc'"},
    };
    parse_errs(td, bad, FRT_COUNTOF(bad));
}

static void floats(void **state) {
    (void)state;
    Tensorflow__TensorProto *t = (Tensorflow__TensorProto *)parse_ok(
        "float_val: [1e3, 1.5f, -2.5E-1, .5, 7, -inf, Infinity, nan, -NaN, 0.10000000149011612,"
        " 3.4028234663852886e+38, 1F, inf]"
        " double_val: 1.0000000116860974e-07",
        &tensorflow__tensor_proto__descriptor);
    assert_int_equal(t->n_float_val, 13);
    assert_true(t->float_val[0] == 1000.0f);
    assert_true(t->float_val[1] == 1.5f);
    assert_true(t->float_val[2] == -0.25f);
    assert_true(t->float_val[3] == 0.5f);
    assert_true(t->float_val[4] == 7.0f);
    assert_true(isinf(t->float_val[5]) && t->float_val[5] < 0);
    assert_true(isinf(t->float_val[6]) && t->float_val[6] > 0);
    assert_true(isnan(t->float_val[7]) && isnan(t->float_val[8]));
    assert_true(t->float_val[9] == 0.1f);
    assert_true(t->float_val[10] == 3.4028234663852886e+38f);
    assert_true(t->float_val[11] == 1.0f);
    assert_true(isinf(t->float_val[12]));
    assert_true(t->double_val[0] == 1.0000000116860974e-07);
    FREE(t);
    const ProtobufCMessageDescriptor *td = &tensorflow__tensor_proto__descriptor;
    static const err_case bad[] = {
        {"float_val: 1.2.3", FRT_INVALID_ARGUMENT, "invalid floating-point value '1.2.3'"},
        {"float_val: infin", FRT_INVALID_ARGUMENT, "invalid floating-point"},
        {"float_val: 'x'", FRT_INVALID_ARGUMENT, "expected a value for field 'float_val'"},
    };
    parse_errs(td, bad, FRT_COUNTOF(bad));
}

static void bools_and_enums(void **state) {
    (void)state;
    Tensorflow__TensorProto *t = (Tensorflow__TensorProto *)parse_ok(
        "bool_val: [true, false, True, False, t, f, 1, 0] dtype: 19",
        &tensorflow__tensor_proto__descriptor);
    static const int want[] = {1, 0, 1, 0, 1, 0, 1, 0};
    assert_int_equal(t->n_bool_val, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(t->bool_val[i], want[i]);
    assert_int_equal(t->dtype, TENSORFLOW__DATA_TYPE__DT_HALF); /* enum by number */
    FREE(t);
    Tensorflow__AttrValue *a = (Tensorflow__AttrValue *)parse_ok(
        "list { type: [DT_FLOAT, DT_INT64_REF, 23] }", &tensorflow__attr_value__descriptor);
    assert_int_equal(a->list->n_type, 3);
    assert_int_equal(a->list->type[1], 109);
    assert_int_equal(a->list->type[2], 23);
    FREE(a);
    const ProtobufCMessageDescriptor *td = &tensorflow__tensor_proto__descriptor;
    static const err_case bad[] = {
        {"bool_val: yes", FRT_INVALID_ARGUMENT, "invalid bool value 'yes'"},
        {"bool_val: 2", FRT_INVALID_ARGUMENT, "invalid bool value '2'"},
        {"bool_val: TRUE", FRT_INVALID_ARGUMENT, "invalid bool value 'TRUE'"},
        {"dtype: DT_FLAOT", FRT_INVALID_ARGUMENT,
         "'t.pbtxt':1:8: unknown value 'DT_FLAOT' for enum field 'dtype' (tensorflow.DataType)"},
        {"dtype: 2147483648", FRT_INVALID_ARGUMENT, "out of range"},
    };
    parse_errs(td, bad, FRT_COUNTOF(bad));
}

static void strings_and_escapes(void **state) {
    (void)state;
    Tensorflow__AttrValue *a = (Tensorflow__AttrValue *)parse_ok(
        "s: \"ab\" 'cd' \n \"\\n\\t\\r\\\\\\'\\\"\\?\\a\\b\\f\\v\" '\\0\\12\\101\\377' "
        "\"\\x41\\x4a\\xf\" '\\u00e9\\U0001F600\\ud83d\\ude00' \"\\303\\251\"",
        &tensorflow__attr_value__descriptor);
    static const char want[] = "abcd\n\t\r\\'\"?\a\b\f\v"
                               "\0\nA\xff"
                               "AJ\x0f"
                               "\xc3\xa9\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
                               "\xc3\xa9";
    assert_int_equal(a->value_case, TENSORFLOW__ATTR_VALUE__VALUE_S);
    assert_int_equal(a->s.len, sizeof want - 1);
    assert_memory_equal(a->s.data, want, sizeof want - 1);
    FREE(a);
    a = (Tensorflow__AttrValue *)parse_ok("s: ''", &tensorflow__attr_value__descriptor);
    assert_int_equal(a->value_case, TENSORFLOW__ATTR_VALUE__VALUE_S); /* set, though empty */
    assert_int_equal(a->s.len, 0);
    FREE(a);
    a = (Tensorflow__AttrValue *)parse_ok("placeholder: \"T\" # the attr\n",
                                          &tensorflow__attr_value__descriptor);
    assert_string_equal(a->placeholder, "T");
    FREE(a);

    const ProtobufCMessageDescriptor *ad = &tensorflow__attr_value__descriptor;
    static const err_case bad[] = {
        {"s: 'a\\qb'", FRT_INVALID_ARGUMENT, "'t.pbtxt':1:6: invalid escape '\\q'"},
        {"s: \"abc", FRT_INVALID_ARGUMENT, "'t.pbtxt':1:4: unterminated string"},
        {"s: \"ab\nc\"", FRT_INVALID_ARGUMENT, "unterminated string"},
        {"s: '\\400'", FRT_INVALID_ARGUMENT, "octal escape"},
        {"s: '\\xZ'", FRT_INVALID_ARGUMENT, "\\x escape needs a hex digit"},
        {"s: '\\u12'", FRT_INVALID_ARGUMENT, "needs 4 hex digits"},
        {"s: '\\ud800x'", FRT_INVALID_ARGUMENT, "U+D800"},
        {"s: '\\U00110000'", FRT_INVALID_ARGUMENT, "invalid unicode code point"},
        {"s: abc", FRT_INVALID_ARGUMENT, "expected a quoted string"},
        {"placeholder: 'a\\0b'", FRT_INVALID_ARGUMENT, "cannot hold a NUL byte"},
    };
    parse_errs(ad, bad, FRT_COUNTOF(bad));
}

static void errors_with_line_and_column(void **state) {
    (void)state;
    const ProtobufCMessageDescriptor *gd = &tensorflow__graph_def__descriptor;
    static const err_case bad[] = {
        {"node {\n  name: 'a'\n}\nnode {\n  nodee: 'b'\n}\n", FRT_INVALID_ARGUMENT,
         "'t.pbtxt':5:3: unknown field 'nodee' in tensorflow.NodeDef"},
        {"versions { producer: 1 }\nnodes {}", FRT_INVALID_ARGUMENT,
         "'t.pbtxt':2:1: unknown field 'nodes' in tensorflow.GraphDef"},
        {"node { name 'a' }", FRT_INVALID_ARGUMENT,
         "'t.pbtxt':1:13: expected ':' after field 'name'"},
        {"node { name: 'a' ", FRT_INVALID_ARGUMENT, "missing '}' to close tensorflow.NodeDef"},
        {"node { name: 'a' >", FRT_INVALID_ARGUMENT, "1:18: expected a field name"},
        {"node < name: 'a' }", FRT_INVALID_ARGUMENT, "expected a field name"},
        {"versions: 3", FRT_INVALID_ARGUMENT, "expected '{' to open field 'versions'"},
        {"node { name: 'a' name: 'b' }", FRT_INVALID_ARGUMENT,
         "1:18: non-repeated field 'name' of tensorflow.NodeDef is given more than once"},
        {"versions {} versions {}", FRT_INVALID_ARGUMENT, "given more than once"},
        {"versions { producer: [1, 2] }", FRT_INVALID_ARGUMENT,
         "list value given for non-repeated field 'producer'"},
        {"versions { bad_consumers: [1 2] }", FRT_INVALID_ARGUMENT, "expected ',' or ']'"},
        {"node { attr { key: 'x' value { i: 1 f: 2 } } }", FRT_INVALID_ARGUMENT,
         "1:37: field 'f' of tensorflow.AttrValue is in the same oneof as 'i'"},
        {"[type.googleapis.com/tensorflow.GraphDef] {}", FRT_UNIMPLEMENTED,
         "'t.pbtxt':1:1: extension syntax '[...]' is not supported in tensorflow.GraphDef"},
        {"node { name: 'a' }\n\x01", FRT_INVALID_ARGUMENT,
         "2:1: expected a field name in tensorflow.GraphDef, found byte 0x01"},
        {"1: 2", FRT_INVALID_ARGUMENT, "expected a field name"},
    };
    parse_errs(gd, bad, FRT_COUNTOF(bad));
    /* deep nesting is an error, not a stack overflow */
    size_t n = 5000;
    char *deep = malloc(n * 30);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += (size_t)sprintf(deep + k, "list { func { attr { value { ");
    deep[k] = 0;
    parse_err(deep, &tensorflow__attr_value__descriptor, FRT_INVALID_ARGUMENT, "nested more than");
    free(deep);
    /* the name defaults when none is given */
    ProtobufCMessage *m;
    tu_assert_error(frt_text_format_parse("x: 1", 4, gd, NULL, &m), FRT_INVALID_ARGUMENT,
                    "'<text>':1:1:");
    /* length is honoured: text after len is not read */
    TU_OK(frt_text_format_parse("versions {}garbage", 11, gd, NULL, &m));
    FREE(m);
}

/* Maps with integer keys (FunctionDef.arg_attr) and nested maps. */
static void maps(void **state) {
    (void)state;
    Tensorflow__FunctionDef *f = (Tensorflow__FunctionDef *)parse_ok(
        "signature { name: 'f' input_arg { name: 'x' type: DT_FLOAT } }\n"
        "ret { key: 'y' value: 'n:output:0' }\n"
        "arg_attr { key: 0 value { attr { key: '_user_specified_name' value { s: 'x' } } } }\n"
        "resource_arg_unique_id { key: 1 value: 2 }",
        &tensorflow__function_def__descriptor);
    assert_string_equal(f->signature->input_arg[0]->name, "x");
    assert_string_equal(f->ret[0]->key, "y");
    assert_int_equal(f->arg_attr[0]->key, 0);
    assert_memory_equal(f->arg_attr[0]->value->attr[0]->value->s.data, "x", 1);
    assert_int_equal(f->resource_arg_unique_id[0]->value, 2);
    FREE(f);
}

static int entry_cmp(const void *a, const void *b) {
    return strcmp((*(Tensorflow__NodeDef__AttrEntry *const *)a)->key,
                  (*(Tensorflow__NodeDef__AttrEntry *const *)b)->key);
}
static void sort_attrs(Tensorflow__GraphDef *g) {
    for (size_t i = 0; i < g->n_node; i++)
        qsort(g->node[i]->attr, g->node[i]->n_attr, sizeof *g->node[i]->attr, entry_cmp);
}

/* The same parser reads the other TF text files: `checkpoint` state, SavedModel pbtxt. */
static void other_messages(void **state) {
    (void)state;
    Tensorflow__CheckpointState *cs = (Tensorflow__CheckpointState *)parse_ok(
        "model_checkpoint_path: \"/tmp/bad_half_plus_two/00000123/export\"\n"
        "all_model_checkpoint_paths: \"/tmp/bad_half_plus_two/00000123/export\"\n"
        "all_model_checkpoint_timestamps: 1700000000.5\n",
        &tensorflow__checkpoint_state__descriptor);
    assert_string_equal(cs->model_checkpoint_path, "/tmp/bad_half_plus_two/00000123/export");
    assert_int_equal(cs->n_all_model_checkpoint_paths, 1);
    assert_true(cs->all_model_checkpoint_timestamps[0] == 1700000000.5);
    FREE(cs);
    Tensorflow__SavedModel *sm = (Tensorflow__SavedModel *)parse_ok(
        "saved_model_schema_version: 1\n"
        "meta_graphs {\n"
        "  meta_info_def { tags: \"serve\" stripped_default_attrs: true\n"
        "    any_info { type_url: \"type.googleapis.com/x\" value: \"\\001\" } }\n"
        "  graph_def { node { name: \"a/Assign\" op: \"Assign\" input: \"a\"\n"
        "      attr { key: \"_class\" value { list { s: \"loc:@a\" } } } }\n"
        "    versions { producer: 19 } }\n"
        "  saver_def { filename_tensor_name: \"save/Const:0\"\n"
        "    keep_checkpoint_every_n_hours: 10000.0 version: V2 }\n"
        "  collection_def { key: \"saved_model_main_op\" value { node_list { value: \"NoOp\" } } }\n"
        "  signature_def { key: \"serving_default\" value {\n"
        "    inputs { key: \"x\" value { name: \"x:0\" dtype: DT_FLOAT_REF tensor_shape { dim { size: -1 } } } }\n"
        "    method_name: \"tensorflow/serving/predict\" } }\n"
        "  object_graph_def { nodes { variable { dtype: DT_FLOAT shape {} trainable: true name: \"a\" } }\n"
        "    concrete_functions { key: \"f\" value { bound_inputs: [1, 2]\n"
        "      canonicalized_input_signature { tuple_value { values { int64_value: -3 } } } } } }\n"
        "}\n",
        &tensorflow__saved_model__descriptor);
    assert_int_equal(sm->saved_model_schema_version, 1);
    Tensorflow__MetaGraphDef *mg = sm->meta_graphs[0];
    assert_string_equal(mg->meta_info_def->tags[0], "serve");
    assert_true(mg->meta_info_def->stripped_default_attrs);
    assert_int_equal(mg->meta_info_def->any_info->value.len, 1);
    assert_int_equal(mg->graph_def->versions->producer, 19);
    assert_int_equal(mg->saver_def->version, TENSORFLOW__SAVER_DEF__CHECKPOINT_FORMAT_VERSION__V2);
    assert_true(mg->saver_def->keep_checkpoint_every_n_hours == 10000.0f);
    assert_string_equal(mg->collection_def[0]->value->node_list->value[0], "NoOp");
    Tensorflow__TensorInfo *ti = mg->signature_def[0]->value->inputs[0]->value;
    assert_int_equal(ti->encoding_case, TENSORFLOW__TENSOR_INFO__ENCODING_NAME);
    assert_string_equal(ti->name, "x:0");
    assert_int_equal(ti->dtype, TENSORFLOW__DATA_TYPE__DT_FLOAT_REF);
    Tensorflow__SavedObjectGraph *og = mg->object_graph_def;
    assert_int_equal(og->nodes[0]->kind_case, TENSORFLOW__SAVED_OBJECT__KIND_VARIABLE);
    assert_int_equal(og->concrete_functions[0]->value->n_bound_inputs, 2);
    assert_int_equal(og->concrete_functions[0]->value->canonicalized_input_signature->tuple_value
                         ->values[0]->int64_value, -3);
    FREE(sm);
    /* Extent.length presence is tracked */
    Tensorflow__TensorSliceProto *sl = (Tensorflow__TensorSliceProto *)parse_ok(
        "extent { start: 0 length: 0 } extent { }", &tensorflow__tensor_slice_proto__descriptor);
    assert_int_equal(sl->extent[0]->has_length_case, TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH);
    assert_int_equal(sl->extent[1]->has_length_case, TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH__NOT_SET);
    FREE(sl);
}

/* The TF-written text fixture, packed by protobuf-c, equals the TF-written binary one once
 * that is unpacked and packed the same way (map entries sorted: their order is free). */
static void text_matches_binary(void **state) {
    (void)state;
    char p[512];
    FILE *f = fopen(tu_data_path(p, sizeof p, "io/small.pbtxt"), "rb");
    assert_non_null(f);
    char txt[16384];
    size_t tl = fread(txt, 1, sizeof txt, f);
    fclose(f);
    f = fopen(tu_data_path(p, sizeof p, "io/small.pb"), "rb");
    uint8_t bin[16384];
    size_t bl = fread(bin, 1, sizeof bin, f);
    fclose(f);
    ProtobufCMessage *m;
    TU_OK(frt_text_format_parse(txt, tl, &tensorflow__graph_def__descriptor, "small.pbtxt", &m));
    Tensorflow__GraphDef *b = tensorflow__graph_def__unpack(NULL, bl, bin);
    assert_non_null(b);
    sort_attrs((Tensorflow__GraphDef *)m);
    sort_attrs(b);
    size_t n1 = protobuf_c_message_get_packed_size(m), n2 = protobuf_c_message_get_packed_size(&b->base);
    assert_int_equal(n1, n2);
    uint8_t *p1 = malloc(n1), *p2 = malloc(n2);
    protobuf_c_message_pack(m, p1);
    protobuf_c_message_pack(&b->base, p2);
    assert_memory_equal(p1, p2, n1);
    free(p1);
    free(p2);
    FREE(m);
    FREE(b);
}

/* Python's text format prints the assets collection's Any values expanded. */
static void expanded_any(void **state) {
    (void)state;
    const char *text =
        "collection_def { key: 'saved_model_assets' value { any_list { value {\n"
        "  [type.googleapis.com/tensorflow.AssetFileDef] {\n"
        "    tensor_info { name: 'Const:0' }\n    filename: 'vocab.txt'\n  }\n"
        "} } } }\n";
    ProtobufCMessage *m = NULL;
    TU_OK(frt_text_format_parse(text, strlen(text), &tensorflow__meta_graph_def__descriptor,
                                "m.pbtxt", &m));
    Tensorflow__MetaGraphDef *mg = (Tensorflow__MetaGraphDef *)m;
    assert_int_equal(mg->n_collection_def, 1);
    Tensorflow__CollectionDef__AnyList *al = mg->collection_def[0]->value->any_list;
    assert_non_null(al);
    assert_int_equal(al->n_value, 1);
    assert_string_equal(al->value[0]->type_url, "type.googleapis.com/tensorflow.AssetFileDef");
    Tensorflow__AssetFileDef *a = tensorflow__asset_file_def__unpack(
        NULL, al->value[0]->value.len, al->value[0]->value.data);
    assert_non_null(a);
    assert_string_equal(a->filename, "vocab.txt");
    assert_string_equal(a->tensor_info->name, "Const:0");
    tensorflow__asset_file_def__free_unpacked(a, NULL);
    protobuf_c_message_free_unpacked(m, NULL);
    /* an Any of a type we do not know, and a broken one */
    const char *unknown = "any_info { [type.googleapis.com/foo.Bar] { x: 1 } }";
    tu_assert_error(frt_text_format_parse(unknown, strlen(unknown),
                                          &tensorflow__meta_graph_def__meta_info_def__descriptor, "m.pbtxt", &m),
                    FRT_UNIMPLEMENTED, "expanded Any of type 'type.googleapis.com/foo.Bar'");
    const char *broken = "any_info { [type.googleapis.com/tensorflow.AssetFileDef { } }";
    tu_assert_error(frt_text_format_parse(broken, strlen(broken),
                                          &tensorflow__meta_graph_def__meta_info_def__descriptor, "m.pbtxt", &m),
                    FRT_INVALID_ARGUMENT, "'m.pbtxt':1:12: unterminated '[' in Any type URL");
}

/* "versions {\n producer: <head><len chars of fill><tail> }" in a malloc'd buffer. */
static char *long_token_text(const char *head, char fill, size_t len, const char *tail) {
    const char *pre = "versions {\n producer: ";
    size_t np = strlen(pre), nh = strlen(head), nt = strlen(tail);
    char *t = malloc(np + nh + len + nt + 3);
    assert_non_null(t);
    memcpy(t, pre, np);
    memcpy(t + np, head, nh);
    memset(t + np + nh, fill, len);
    memcpy(t + np + nh + len, tail, nt);
    strcpy(t + np + nh + len + nt, " }");
    return t;
}

/* Issue 6, defect 1: a number token longer than the token buffer and followed by a sign made
 * read_number read buf[k - 1] past the buffer (out of bounds on the stack; a 1 MB token
 * crashed the release build). Every token is bounded, a long one is an error naming line 2,
 * and one that just fits still parses. */
static void overlong_tokens(void **state) {
    (void)state;
    static const struct {
        const char *head, *tail;
        char fill;
    } shapes[] = {{"1", "+", 'a'}, {"1", "-", 'a'}, {"1", "e+", '0'}, {"1", "", '0'},
                  {"0x", "+", 'f'}, {"", "", 'z'}};
    const size_t lens[] = {128, 200, 1 << 20};
    for (size_t i = 0; i < FRT_COUNTOF(shapes); i++) {
        for (size_t j = 0; j < FRT_COUNTOF(lens); j++) {
            char *t = long_token_text(shapes[i].head, shapes[i].fill, lens[j], shapes[i].tail);
            parse_err(t, &tensorflow__graph_def__descriptor, FRT_INVALID_ARGUMENT, "'t.pbtxt':2:");
            parse_err(t, &tensorflow__graph_def__descriptor, FRT_INVALID_ARGUMENT,
                      "value of field 'producer' is longer than 127 characters");
            free(t);
        }
    }
    /* A field name longer than its buffer is an error of its own, not a truncated lookup. */
    char name[400];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    char txt[512];
    snprintf(txt, sizeof txt, "versions {\n %s: 1 }", name);
    parse_err(txt, &tensorflow__graph_def__descriptor, FRT_INVALID_ARGUMENT,
              "field name in tensorflow.VersionDef is longer than 255 characters");
    /* 126 digits fit the 127-character bound; an integer that long overflows, and says so. */
    char *t = long_token_text("", '1', 126, "");
    parse_err(t, &tensorflow__graph_def__descriptor, FRT_INVALID_ARGUMENT, "invalid integer");
    free(t);
    t = long_token_text("", '0', 126, "");
    Tensorflow__GraphDef *g = (Tensorflow__GraphDef *)parse_ok(t, &tensorflow__graph_def__descriptor);
    assert_int_equal(g->versions->producer, 0);
    FREE(g);
    free(t);
}

/* Every allocation of a parse fails in turn: each error is RESOURCE_EXHAUSTED and names the
 * file, as syntax errors do. */
static void out_of_memory_names_the_file(void **state) {
    (void)state;
    const char *txt = "node { name: 'a' op: 'Const' attr { key: 'value' value { tensor { "
                      "dtype: DT_STRING string_val: 'x\\001y' } } } }";
    for (long n = 1;; n++) {
        ProtobufCMessage *m = NULL;
        frt_testing_fail_alloc_after(n);
        frt_status *st = frt_text_format_parse(txt, strlen(txt), &tensorflow__graph_def__descriptor,
                                               "oom.pbtxt", &m);
        frt_testing_fail_alloc_after(0);
        if (!st) {
            protobuf_c_message_free_unpacked(m, NULL);
            break;
        }
        assert_null(m);
        if (!strstr(frt_status_message(st), "oom.pbtxt"))
            fail_msg("allocation %ld: '%s' does not name the file", n, frt_status_message(st));
        tu_assert_error(st, FRT_RESOURCE_EXHAUSTED, "out of memory");
        assert_true(n < 200);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(syntax_superset),
        cmocka_unit_test(integers),
        cmocka_unit_test(floats),
        cmocka_unit_test(bools_and_enums),
        cmocka_unit_test(strings_and_escapes),
        cmocka_unit_test(errors_with_line_and_column),
        cmocka_unit_test(maps),
        cmocka_unit_test(other_messages),
        cmocka_unit_test(text_matches_binary),
        cmocka_unit_test(expanded_any),
        cmocka_unit_test(overlong_tokens),
        cmocka_unit_test(out_of_memory_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
