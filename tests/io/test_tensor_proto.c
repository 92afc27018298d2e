/* tests/io/test_tensor_proto.c: TensorProto → tensor (every typed field, fill-with-last,
 * zero fill, tensor_content moved not copied, bad sizes) and AttrValue → attr decoding. */
#include "util/test_util.h"

#include <stdlib.h>
#include <string.h>

#include "io/tensor_proto.h"
#include "io/text_format.h"

/* A TensorProto from text (freed by the caller with free_tp). */
static Tensorflow__TensorProto *tp_text(const char *txt) {
    ProtobufCMessage *m;
    TU_OK(frt_text_format_parse(txt, strlen(txt), &tensorflow__tensor_proto__descriptor, "tp",
                                &m));
    return (Tensorflow__TensorProto *)m;
}
static void free_tp(Tensorflow__TensorProto *tp) { protobuf_c_message_free_unpacked(&tp->base, NULL); }

static void assert_f32(const frt_tensor *t, const int64_t *dims, int ndim, const float *data) {
    frt_tensor *want = tu_f32(dims, ndim, data);
    tu_assert_equal(t, want);
    frt_tensor_unref(want);
}

static frt_tensor *decode_text(const char *txt) {
    Tensorflow__TensorProto *tp = tp_text(txt);
    frt_tensor *t;
    TU_OK(frt_tensor_from_proto(tp, &t));
    free_tp(tp);
    return t;
}

static void decode_error(const char *txt, frt_code code, const char *needle) {
    Tensorflow__TensorProto *tp = tp_text(txt);
    frt_tensor *t = (frt_tensor *)1;
    tu_assert_error(frt_tensor_from_proto(tp, &t), code, needle);
    assert_null(t);
    free_tp(tp);
}

static void typed_fields(void **state) {
    (void)state;
    frt_tensor *t = decode_text("dtype: DT_FLOAT tensor_shape { dim { size: 3 } } "
                                "float_val: 1.5 float_val: -2 float_val: 3e2");
    assert_f32(t, TU_DIMS(3), 1, TU_F32(1.5f, -2.0f, 300.0f));
    frt_tensor_unref(t);

    t = decode_text("dtype: DT_DOUBLE tensor_shape { dim { size: 2 } } double_val: [0.1, -1e300]");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_DOUBLE);
    assert_true(((double *)frt_tensor_data(t))[0] == 0.1);
    assert_true(((double *)frt_tensor_data(t))[1] == -1e300);
    frt_tensor_unref(t);

    t = decode_text("dtype: DT_INT32 tensor_shape { dim { size: 2 } } int_val: [-7, 2147483647]");
    assert_int_equal(frt_tensor_i32(t)[0], -7);
    assert_int_equal(frt_tensor_i32(t)[1], 2147483647);
    frt_tensor_unref(t);

    /* narrow types from int_val are truncated to their width, as TF does (300 -> 44) */
    t = decode_text("dtype: DT_INT8 tensor_shape { dim { size: 2 } } int_val: [300, -1]");
    assert_int_equal(((int8_t *)frt_tensor_data(t))[0], 44);
    assert_int_equal(((int8_t *)frt_tensor_data(t))[1], -1);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_UINT8 tensor_shape { dim { size: 2 } } int_val: [255, 256]");
    assert_int_equal(((uint8_t *)frt_tensor_data(t))[0], 255);
    assert_int_equal(((uint8_t *)frt_tensor_data(t))[1], 0);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_INT16 tensor_shape { dim { size: 1 } } int_val: -32768");
    assert_int_equal(((int16_t *)frt_tensor_data(t))[0], -32768);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_UINT16 tensor_shape { dim { size: 1 } } int_val: 65535");
    assert_int_equal(((uint16_t *)frt_tensor_data(t))[0], 65535);
    frt_tensor_unref(t);

    t = decode_text("dtype: DT_INT64 int64_val: -9223372036854775808");
    assert_int_equal(frt_tensor_ndim(t), 0);
    assert_true(frt_tensor_i64(t)[0] == INT64_MIN);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_UINT32 tensor_shape { dim { size: 1 } } uint32_val: 4294967295");
    assert_true(((uint32_t *)frt_tensor_data(t))[0] == UINT32_MAX);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_UINT64 tensor_shape { dim { size: 1 } } "
                    "uint64_val: 18446744073709551615");
    assert_true(((uint64_t *)frt_tensor_data(t))[0] == UINT64_MAX);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_BOOL tensor_shape { dim { size: 3 } } bool_val: [true, false, 1]");
    const uint8_t *b = frt_tensor_data(t);
    assert_true(b[0] == 1 && b[1] == 0 && b[2] == 1);
    frt_tensor_unref(t);
    /* half and bfloat16 both use half_val with raw 16-bit patterns */
    t = decode_text("dtype: DT_HALF tensor_shape { dim { size: 2 } } half_val: [15360, 49152]");
    assert_int_equal(((uint16_t *)frt_tensor_data(t))[0], 0x3c00);
    assert_int_equal(((uint16_t *)frt_tensor_data(t))[1], 0xc000);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_BFLOAT16 tensor_shape { dim { size: 1 } } half_val: 16256");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_BFLOAT16);
    assert_int_equal(((uint16_t *)frt_tensor_data(t))[0], 0x3f80);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_COMPLEX64 tensor_shape { dim { size: 2 } } "
                    "scomplex_val: [1, 2, 3, 4]");
    const float *c = frt_tensor_data(t);
    assert_true(c[0] == 1 && c[1] == 2 && c[2] == 3 && c[3] == 4);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_QUINT8 tensor_shape { dim { size: 1 } } int_val: 200");
    assert_int_equal(((uint8_t *)frt_tensor_data(t))[0], 200);
    frt_tensor_unref(t);
}

static void fill_with_last_and_zeros(void **state) {
    (void)state;
    frt_tensor *t = decode_text("dtype: DT_FLOAT tensor_shape { dim { size: 2 } dim { size: 2 } } "
                                "float_val: [1, 2]");
    assert_f32(t, TU_DIMS(2, 2), 2, TU_F32(1, 2, 2, 2));
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_INT64 tensor_shape { dim { size: 3 } } int64_val: 5");
    for (int i = 0; i < 3; i++) assert_int_equal(frt_tensor_i64(t)[i], 5);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_COMPLEX64 tensor_shape { dim { size: 3 } } scomplex_val: [1, 2]");
    const float *c = frt_tensor_data(t);
    assert_true(c[4] == 1 && c[5] == 2);
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_FLOAT tensor_shape { dim { size: 3 } }"); /* no values */
    assert_f32(t, TU_DIMS(3), 1, TU_F32(0, 0, 0));
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_BOOL tensor_shape { dim { size: 2 } }");
    assert_true(((uint8_t *)frt_tensor_data(t))[1] == 0);
    frt_tensor_unref(t);
    /* a value field that does not match the dtype is not consulted: zeros */
    t = decode_text("dtype: DT_INT32 tensor_shape { dim { size: 2 } } float_val: 3");
    assert_int_equal(frt_tensor_i32(t)[1], 0);
    frt_tensor_unref(t);
    /* more values than elements: TF takes the first N (checked with TF 2.21) */
    t = decode_text("dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: [1, 2, 3]");
    assert_f32(t, TU_DIMS(2), 1, TU_F32(1, 2));
    frt_tensor_unref(t);
    /* zero elements: values ignored */
    t = decode_text("dtype: DT_FLOAT tensor_shape { dim { size: 0 } dim { size: 5 } } "
                    "float_val: 1");
    assert_int_equal(frt_tensor_num_elements(t), 0);
    assert_int_equal(frt_tensor_dim(t, 1), 5);
    frt_tensor_unref(t);
    /* _REF dtypes decode as their base type */
    t = decode_text("dtype: DT_FLOAT_REF float_val: 4");
    assert_int_equal(frt_tensor_dtype(t), FRT_DTYPE_FLOAT);
    assert_true(frt_tensor_f32(t)[0] == 4.0f);
    frt_tensor_unref(t);
}

static void strings(void **state) {
    (void)state;
    frt_tensor *t = decode_text("dtype: DT_STRING tensor_shape { dim { size: 3 } } "
                                "string_val: 'a\\000b' string_val: 'cd'");
    size_t len;
    assert_memory_equal(frt_tensor_string(t, 0, &len), "a\0b", 3);
    assert_int_equal(len, 3);
    assert_string_equal(frt_tensor_string(t, 1, &len), "cd");
    assert_string_equal(frt_tensor_string(t, 2, &len), "cd"); /* last value repeated */
    frt_tensor_unref(t);
    t = decode_text("dtype: DT_STRING tensor_shape { dim { size: 2 } }");
    assert_string_equal(frt_tensor_string(t, 1, &len), "");
    frt_tensor_unref(t);
    /* tensor_content for strings: varint lengths, then the bytes */
    t = decode_text("dtype: DT_STRING tensor_shape { dim { size: 2 } } "
                    "tensor_content: '\\002\\003hixyz'");
    assert_string_equal(frt_tensor_string(t, 0, &len), "hi");
    assert_string_equal(frt_tensor_string(t, 1, &len), "xyz");
    frt_tensor_unref(t);
    decode_error("dtype: DT_STRING tensor_shape { dim { size: 2 } } tensor_content: '\\002\\003hi'",
                 FRT_INVALID_ARGUMENT, "lengths sum to 5 bytes but 2 remain");
    decode_error("dtype: DT_STRING tensor_shape { dim { size: 2 } } tensor_content: '\\002'",
                 FRT_INVALID_ARGUMENT, "truncated length of element 1");
    /* 2^40 elements cannot have their lengths in 2 bytes: refused before allocating them */
    decode_error("dtype: DT_STRING tensor_shape { dim { size: 1099511627776 } } "
                 "tensor_content: '\\001a'",
                 FRT_INVALID_ARGUMENT, "2 bytes cannot hold 1099511627776 lengths");
}

/* tensor_content of the right size is moved into the tensor, not copied. */
static void content_is_moved_not_copied(void **state) {
    (void)state;
    Tensorflow__TensorProto *tp = tp_text(
        "dtype: DT_FLOAT tensor_shape { dim { size: 2 } } "
        "tensor_content: '\\000\\000\\200?\\000\\000\\000@'");
    void *bytes = tp->tensor_content.data;
    frt_tensor *t;
    TU_OK(frt_tensor_copy_from_proto(tp, &t)); /* the copying variant leaves tp alone */
    assert_ptr_not_equal(frt_tensor_data(t), bytes);
    assert_ptr_equal(tp->tensor_content.data, bytes);
    frt_tensor_unref(t);

    TU_OK(frt_tensor_from_proto(tp, &t));
    assert_ptr_equal(frt_tensor_data(t), bytes);
    assert_null(tp->tensor_content.data);
    assert_int_equal(tp->tensor_content.len, 0);
    assert_f32(t, TU_DIMS(2), 1, TU_F32(1, 2));
    /* decoding the emptied message again must not silently give zeros */
    frt_tensor *t2 = (frt_tensor *)1;
    tu_assert_error(frt_tensor_from_proto(tp, &t2), FRT_INTERNAL, "moved out");
    assert_null(t2);
    free_tp(tp); /* the tensor keeps the bytes alive */
    assert_true(frt_tensor_f32(t)[1] == 2.0f);
    frt_tensor_unref(t);
}

static void bad_sizes_and_shapes(void **state) {
    (void)state;
    decode_error("dtype: DT_FLOAT tensor_shape { dim { size: 3 } } tensor_content: '\\000\\000\\200?'",
                 FRT_INVALID_ARGUMENT, "tensor_content has 4 bytes but a float32 tensor of shape "
                                       "[3] needs 12");
    decode_error("dtype: DT_INT64 tensor_shape { dim { size: 1 } } tensor_content: '12345678x'",
                 FRT_INVALID_ARGUMENT, "has 9 bytes");
    decode_error("dtype: DT_FLOAT tensor_shape { dim { size: -1 } }", FRT_INVALID_ARGUMENT,
                 "unknown (-1) dimension");
    decode_error("dtype: DT_FLOAT tensor_shape { dim { size: -5 } }", FRT_INVALID_ARGUMENT,
                 "invalid size -5");
    decode_error("dtype: DT_FLOAT tensor_shape { unknown_rank: true }", FRT_INVALID_ARGUMENT,
                 "unknown rank");
    decode_error("dtype: DT_FLOAT tensor_shape { dim{size:1} dim{size:1} dim{size:1} dim{size:1} "
                 "dim{size:1} dim{size:1} dim{size:1} dim{size:1} dim{size:1} }",
                 FRT_INVALID_ARGUMENT, "rank 9, more than the supported maximum of 8");
    decode_error("dtype: DT_FLOAT tensor_shape { dim { size: 2147483648 } dim { size: 2147483648 } }",
                 FRT_INVALID_ARGUMENT, "too large");
    /* 2^60 strings of 16 bytes: the byte count wraps to 0 in 64 bits; still a splat, refused
     * by the splat's own 2 GiB bound */
    decode_error("dtype: DT_STRING tensor_shape { dim { size: 1152921504606846976 } } "
                 "string_val: 'a'",
                 FRT_INVALID_ARGUMENT, "larger than 2 GiB");
    decode_error("dtype: DT_FLOAT tensor_shape { dim { size: 9223372036854775807 } "
                 "dim { size: 4 } }",
                 FRT_INVALID_ARGUMENT, "too many elements");
    decode_error("float_val: 1", FRT_INVALID_ARGUMENT, "DT_INVALID");
    decode_error("dtype: DT_RESOURCE", FRT_UNIMPLEMENTED, "DT_RESOURCE");
    decode_error("dtype: DT_FLOAT8_E5M2 float8_val: 'a'", FRT_UNIMPLEMENTED, "DT_FLOAT8_E5M2");
    decode_error("dtype: 77", FRT_UNIMPLEMENTED, "(77)");
    frt_tensor *t = (frt_tensor *)1;
    tu_assert_error(frt_tensor_from_proto(NULL, &t), FRT_INVALID_ARGUMENT, "missing");
    assert_null(t);
}

/* ---- attrs --------------------------------------------------------------------------------- */

static Tensorflow__AttrValue *av_text(const char *txt) {
    ProtobufCMessage *m;
    TU_OK(frt_text_format_parse(txt, strlen(txt), &tensorflow__attr_value__descriptor, "av", &m));
    return (Tensorflow__AttrValue *)m;
}

static void decode_attr(const char *txt, frt_attr_value *v) {
    Tensorflow__AttrValue *av = av_text(txt);
    TU_OK(frt_attr_value_from_proto(av, v));
    protobuf_c_message_free_unpacked(&av->base, NULL);
}

static void attr_scalars(void **state) {
    (void)state;
    frt_attr_value v;
    decode_attr("s: 'a\\000b'", &v);
    assert_int_equal(v.kind, FRT_ATTR_S);
    assert_int_equal(v.v.s.len, 3);
    assert_memory_equal(v.v.s.ptr, "a\0b", 4); /* NUL-terminated copy */
    frt_attr_value_deinit(&v);
    decode_attr("s: ''", &v); /* set but empty: still a string */
    assert_int_equal(v.kind, FRT_ATTR_S);
    assert_int_equal(v.v.s.len, 0);
    assert_string_equal(v.v.s.ptr, "");
    frt_attr_value_deinit(&v);
    decode_attr("i: -5", &v);
    assert_int_equal(v.kind, FRT_ATTR_I);
    assert_int_equal(v.v.i, -5);
    decode_attr("i: 0", &v);
    assert_int_equal(v.kind, FRT_ATTR_I);
    decode_attr("f: 0.25", &v);
    assert_int_equal(v.kind, FRT_ATTR_F);
    assert_true(v.v.f == 0.25f);
    decode_attr("b: false", &v);
    assert_int_equal(v.kind, FRT_ATTR_B);
    assert_false(v.v.b);
    decode_attr("type: DT_INT64_REF", &v);
    assert_int_equal(v.kind, FRT_ATTR_TYPE);
    assert_int_equal(v.v.type, FRT_DTYPE_INT64);
    decode_attr("shape { unknown_rank: true }", &v);
    assert_int_equal(v.kind, FRT_ATTR_SHAPE);
    assert_true(v.v.shape.unknown_rank);
    assert_int_equal(v.v.shape.ndim, 0);
    decode_attr("shape { }", &v); /* scalar */
    assert_false(v.v.shape.unknown_rank);
    assert_int_equal(v.v.shape.ndim, 0);
    decode_attr("shape { dim { size: -1 } dim { size: 7 } }", &v);
    assert_int_equal(v.v.shape.ndim, 2);
    assert_int_equal(v.v.shape.dims[0], -1);
    assert_int_equal(v.v.shape.dims[1], 7);
    decode_attr("tensor { dtype: DT_INT32 int_val: 9 }", &v);
    assert_int_equal(v.kind, FRT_ATTR_TENSOR);
    assert_int_equal(frt_tensor_i32(v.v.tensor)[0], 9);
    frt_attr_value_deinit(&v);
    decode_attr("placeholder: 'T'", &v);
    assert_int_equal(v.kind, FRT_ATTR_PLACEHOLDER);
    assert_string_equal(v.v.s.ptr, "T");
    frt_attr_value_deinit(&v);
    decode_attr("", &v);
    assert_int_equal(v.kind, FRT_ATTR_NONE);
}

static void attr_lists(void **state) {
    (void)state;
    frt_attr_value v;
    decode_attr("list { s: 'ab' s: '' }", &v);
    assert_int_equal(v.kind, FRT_ATTR_LIST);
    assert_int_equal(v.v.list.elem, FRT_ATTR_S);
    assert_int_equal(v.v.list.n, 2);
    assert_string_equal(v.v.list.v.s[0].ptr, "ab");
    assert_int_equal(v.v.list.v.s[1].len, 0);
    frt_attr_value_deinit(&v);
    decode_attr("list { i: [1, -2, 3] }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_I);
    assert_int_equal(v.v.list.v.i[1], -2);
    frt_attr_value_deinit(&v);
    decode_attr("list { f: [0.5, 2] }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_F);
    assert_true(v.v.list.v.f[0] == 0.5f);
    frt_attr_value_deinit(&v);
    decode_attr("list { b: [true, false] }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_B);
    assert_true(v.v.list.v.b[0] && !v.v.list.v.b[1]);
    frt_attr_value_deinit(&v);
    decode_attr("list { type: [DT_FLOAT, DT_RESOURCE, DT_INT32_REF] }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_TYPE);
    assert_int_equal(v.v.list.n, 3);
    assert_int_equal(v.v.list.v.type[1], FRT_DTYPE_RESOURCE);
    assert_int_equal(v.v.list.v.type[2], FRT_DTYPE_INT32);
    frt_attr_value_deinit(&v);
    decode_attr("list { shape { dim { size: 2 } } shape { unknown_rank: true } }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_SHAPE);
    assert_int_equal(v.v.list.v.shape[0].dims[0], 2);
    assert_true(v.v.list.v.shape[1].unknown_rank);
    frt_attr_value_deinit(&v);
    decode_attr("list { tensor { dtype: DT_FLOAT float_val: 1 } tensor { dtype: DT_INT32 } }", &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_TENSOR);
    assert_true(frt_tensor_f32(v.v.list.v.tensor[0])[0] == 1.0f);
    assert_int_equal(frt_tensor_dtype(v.v.list.v.tensor[1]), FRT_DTYPE_INT32);
    frt_attr_value_deinit(&v);
    decode_attr("list { func { name: 'f' } func { name: 'g' attr { key: 'T' value { type: DT_HALF } } } }",
                &v);
    assert_int_equal(v.v.list.elem, FRT_ATTR_FUNC);
    assert_string_equal(v.v.list.v.func[0].name, "f");
    assert_null(v.v.list.v.func[0].attrs);
    assert_int_equal(frt_attrs_find(v.v.list.v.func[1].attrs, "T")->v.type, FRT_DTYPE_HALF);
    frt_attr_value_deinit(&v);
    decode_attr("list { }", &v);
    assert_int_equal(v.kind, FRT_ATTR_LIST);
    assert_int_equal(v.v.list.elem, FRT_ATTR_NONE);
    assert_int_equal(v.v.list.n, 0);
    frt_attr_value_deinit(&v);
}

static void attr_func_nested(void **state) {
    (void)state;
    frt_attr_value v;
    decode_attr("func { name: 'body' attr { key: 'T' value { type: DT_FLOAT } }"
                " attr { key: 'inner' value { func { name: 'cond' attr { key: 'n' value { i: 3 } } } } }"
                " attr { key: 'k' value { tensor { dtype: DT_FLOAT float_val: 2 } } } }",
                &v);
    assert_int_equal(v.kind, FRT_ATTR_FUNC);
    assert_string_equal(v.v.func.name, "body");
    assert_int_equal(v.v.func.attrs->n, 3);
    const frt_attr_value *in = frt_attrs_find(v.v.func.attrs, "inner");
    assert_int_equal(in->kind, FRT_ATTR_FUNC);
    assert_string_equal(in->v.func.name, "cond");
    assert_int_equal(frt_attrs_find(in->v.func.attrs, "n")->v.i, 3);
    assert_true(frt_tensor_f32(frt_attr_get_tensor(v.v.func.attrs, "k"))[0] == 2.0f);
    frt_attr_value_deinit(&v);
}

static void attr_errors(void **state) {
    (void)state;
    frt_attr_value v;
    Tensorflow__AttrValue *av = av_text("shape { dim{size:1} dim{size:1} dim{size:1} dim{size:1} "
                                        "dim{size:1} dim{size:1} dim{size:1} dim{size:1} "
                                        "dim{size:1} }");
    tu_assert_error(frt_attr_value_from_proto(av, &v), FRT_INVALID_ARGUMENT, "rank 9");
    assert_int_equal(v.kind, FRT_ATTR_NONE);
    protobuf_c_message_free_unpacked(&av->base, NULL);
    av = av_text("list { i: 1 f: 2 }");
    tu_assert_error(frt_attr_value_from_proto(av, &v), FRT_INVALID_ARGUMENT, "2 different kinds");
    protobuf_c_message_free_unpacked(&av->base, NULL);
    /* an error deep inside a list of funcs leaks nothing and names the attr */
    av = av_text("list { func { name: 'f' } func { name: 'g' attr { key: 'bad' value { tensor {"
                 " dtype: DT_FLOAT tensor_shape { dim { size: -3 } } } } } } }");
    frt_attrs attrs;
    frt_attrs_init(&attrs);
    tu_assert_error(frt_attrs_add_from_proto(&attrs, "fl", av, true), FRT_INVALID_ARGUMENT,
                    "in attr 'bad' (list element 1) in attr 'fl'");
    assert_int_equal(attrs.n, 0);
    frt_attrs_deinit(&attrs);
    protobuf_c_message_free_unpacked(&av->base, NULL);
    av = av_text("shape { unknown_rank: true dim { size: 1 } }");
    tu_assert_error(frt_attr_value_copy_from_proto(av, &v), FRT_INVALID_ARGUMENT, "unknown_rank");
    protobuf_c_message_free_unpacked(&av->base, NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_fields),
        cmocka_unit_test(fill_with_last_and_zeros),
        cmocka_unit_test(strings),
        cmocka_unit_test(content_is_moved_not_copied),
        cmocka_unit_test(bad_sizes_and_shapes),
        cmocka_unit_test(attr_scalars),
        cmocka_unit_test(attr_lists),
        cmocka_unit_test(attr_func_nested),
        cmocka_unit_test(attr_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
