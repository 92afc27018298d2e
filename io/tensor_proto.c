/* io/tensor_proto.c: TensorProto / TensorShapeProto / AttrValue → runtime values.
 * Owns: TensorFlow's value rules for TensorProto (tensor_content vs typed fields, fill with
 * the last value, zero fill), moving tensor_content out of the message, attr decoding.
 * Does not own: reading files (graphdef.c), attr defaults (graph/op_registry.c).
 * Thread-safety: see tensor_proto.h. */
#include "io/tensor_proto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "io/tensor_proto.c assumes a little-endian host (tensor_content is little-endian)"
#endif

/* Stored in version_number (ignored by TensorFlow) once tensor_content was moved out. */
#define MOVED_MARK ((int32_t)-0x4652544D)

static const char *tf_dtype_name(int v) {
    const ProtobufCEnumValue *e =
        protobuf_c_enum_descriptor_get_value(&tensorflow__data_type__descriptor, v);
    return e ? e->name : "unknown";
}

static frt_status *oom(void) { return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory"); }

/* ---- shapes ------------------------------------------------------------------------------ */

frt_status *frt_shape_from_proto(const Tensorflow__TensorShapeProto *sp, frt_attr_shape *out) {
    memset(out, 0, sizeof *out);
    if (!sp) return NULL; /* absent shape = scalar */
    if (sp->unknown_rank) {
        if (sp->n_dim)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "shape has unknown_rank set but also %zu dims", sp->n_dim);
        out->unknown_rank = true;
        return NULL;
    }
    if (sp->n_dim > FRT_MAX_DIMS)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "shape has rank %zu, more than the supported maximum of %d",
                              sp->n_dim, FRT_MAX_DIMS);
    for (size_t i = 0; i < sp->n_dim; i++) {
        int64_t d = sp->dim[i] ? sp->dim[i]->size : 0;
        if (d < -1)
            return frt_status_new(FRT_INVALID_ARGUMENT, "shape dim %zu has invalid size %lld",
                                  i, (long long)d);
        out->dims[i] = d;
    }
    out->ndim = (int)sp->n_dim;
    return NULL;
}

/* A concrete shape for a tensor value: no unknown rank, no -1. */
static frt_status *tensor_dims(const Tensorflow__TensorShapeProto *sp, int64_t *dims,
                               int *ndim) {
    frt_attr_shape s;
    FRT_TRY(frt_shape_from_proto(sp, &s));
    if (s.unknown_rank)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor shape has unknown rank");
    for (int i = 0; i < s.ndim; i++) {
        if (s.dims[i] < 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "tensor shape %s has an unknown (-1) dimension",
                                  frt_shape_str(s.dims, s.ndim, (char[96]){0}, 96));
        dims[i] = s.dims[i];
    }
    *ndim = s.ndim;
    return NULL;
}

/* ---- typed value fields -------------------------------------------------------------------
 * One fill function per dtype: copy min(n, count) values, converting (narrow integer types
 * are truncated to the element width, as TF does), then repeat the last one; zeros when the
 * field is empty. X(DT, element ctype, field, conversion of one value v). */
#define AS_IS(v) (v)
#define AS_BOOL(v) ((v) != 0)
#define TYPED_FIELDS(X)                                                                    \
    X(FLOAT, float, float_val, AS_IS)                                                      \
    X(DOUBLE, double, double_val, AS_IS)                                                   \
    X(INT32, int32_t, int_val, AS_IS)                                                      \
    X(UINT8, uint8_t, int_val, AS_IS)                                                      \
    X(INT16, int16_t, int_val, AS_IS)                                                      \
    X(INT8, int8_t, int_val, AS_IS)                                                        \
    X(UINT16, uint16_t, int_val, AS_IS)                                                    \
    X(QINT8, int8_t, int_val, AS_IS)                                                       \
    X(QUINT8, uint8_t, int_val, AS_IS)                                                     \
    X(QINT16, int16_t, int_val, AS_IS)                                                     \
    X(QUINT16, uint16_t, int_val, AS_IS)                                                   \
    X(QINT32, int32_t, int_val, AS_IS)                                                     \
    X(INT64, int64_t, int64_val, AS_IS)                                                    \
    X(BOOL, uint8_t, bool_val, AS_BOOL)                                                    \
    X(HALF, uint16_t, half_val, AS_IS)                                                     \
    X(BFLOAT16, uint16_t, half_val, AS_IS)                                                 \
    X(UINT32, uint32_t, uint32_val, AS_IS)                                                 \
    X(UINT64, uint64_t, uint64_val, AS_IS)

#define DEFINE_FILL(DT, T, FIELD, CONV)                                                    \
    static void fill_##DT(const Tensorflow__TensorProto *tp, void *dst, int64_t n) {       \
        T *d = dst;                                                                        \
        int64_t m = (int64_t)tp->n_##FIELD < n ? (int64_t)tp->n_##FIELD : n;               \
        for (int64_t i = 0; i < m; i++) d[i] = (T)CONV(tp->FIELD[i]);                      \
        T last = m ? d[m - 1] : (T)0;                                                      \
        for (int64_t i = m; i < n; i++) d[i] = last;                                       \
    }
TYPED_FIELDS(DEFINE_FILL)

/* Complex values come as (re, im) pairs; the last pair is repeated. */
#define DEFINE_FILL_COMPLEX(DT, T, FIELD)                                                  \
    static void fill_##DT(const Tensorflow__TensorProto *tp, void *dst, int64_t n) {       \
        T *d = dst;                                                                        \
        int64_t pairs = (int64_t)(tp->n_##FIELD / 2), m = pairs < n ? pairs : n;           \
        for (int64_t i = 0; i < 2 * m; i++) d[i] = tp->FIELD[i];                           \
        T re = m ? d[2 * m - 2] : 0, im = m ? d[2 * m - 1] : 0;                            \
        for (int64_t i = m; i < n; i++) {                                                  \
            d[2 * i] = re;                                                                 \
            d[2 * i + 1] = im;                                                             \
        }                                                                                  \
    }
DEFINE_FILL_COMPLEX(COMPLEX64, float, scomplex_val)
DEFINE_FILL_COMPLEX(COMPLEX128, double, dcomplex_val)

typedef void (*fill_fn)(const Tensorflow__TensorProto *, void *, int64_t);

static fill_fn fill_for(frt_dtype dt) {
    switch (dt) {
#define FILL_CASE(DT, T, FIELD, CONV)                                                      \
    case FRT_DTYPE_##DT: return fill_##DT;
        TYPED_FIELDS(FILL_CASE)
    case FRT_DTYPE_COMPLEX64: return fill_COMPLEX64;
    case FRT_DTYPE_COMPLEX128: return fill_COMPLEX128;
    default: return NULL;
    }
}

/* Values tp's typed field holds for dt (pairs for complex), whatever the shape says. */
static int64_t typed_count(const Tensorflow__TensorProto *tp, frt_dtype dt) {
    switch (dt) {
#define COUNT_CASE(DT, T, FIELD, CONV)                                                     \
    case FRT_DTYPE_##DT: return (int64_t)tp->n_##FIELD;
        TYPED_FIELDS(COUNT_CASE)
    case FRT_DTYPE_COMPLEX64: return (int64_t)(tp->n_scomplex_val / 2);
    case FRT_DTYPE_COMPLEX128: return (int64_t)(tp->n_dcomplex_val / 2);
    case FRT_DTYPE_STRING: return (int64_t)tp->n_string_val;
    default: return 0;
    }
}

/* ---- strings ----------------------------------------------------------------------------- */

static frt_status *set_str(frt_tensor *t, int64_t i, const void *p, size_t len) {
    return frt_tensor_set_string(t, i, (const char *)p, len);
}

static frt_status *strings_from_vals(const Tensorflow__TensorProto *tp, frt_tensor *t) {
    int64_t n = t->n, m = (int64_t)tp->n_string_val < n ? (int64_t)tp->n_string_val : n;
    for (int64_t i = 0; i < n; i++) {
        if (m == 0) break; /* all empty */
        const ProtobufCBinaryData *s = &tp->string_val[i < m ? i : m - 1];
        FRT_TRY(set_str(t, i, s->data, s->len));
    }
    return NULL;
}

/* tensor_content for DT_STRING: n varint32 lengths, then the bytes concatenated. */
static frt_status *strings_from_content(const ProtobufCBinaryData *c, frt_tensor *t) {
    const uint8_t *p = c->data, *end = c->data + c->len;
    uint64_t *lens = frt_malloc((size_t)t->n * sizeof *lens);
    if (!lens) return oom();
    uint64_t total = 0;
    for (int64_t i = 0; i < t->n; i++) {
        uint64_t v = 0;
        int shift = 0;
        for (;;) {
            if (p == end || shift > 28) {
                free(lens);
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "string tensor_content: bad or truncated length of "
                                      "element %lld",
                                      (long long)i);
            }
            uint8_t b = *p++;
            v |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
        }
        lens[i] = v;
        total += v;
    }
    if (total != (uint64_t)(end - p)) {
        free(lens);
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "string tensor_content: lengths sum to %llu bytes but %zu remain",
                              (unsigned long long)total, (size_t)(end - p));
    }
    for (int64_t i = 0; i < t->n; i++) {
        frt_status *st = set_str(t, i, p, (size_t)lens[i]);
        if (st) {
            free(lens);
            return st;
        }
        p += lens[i];
    }
    free(lens);
    return NULL;
}

/* ---- tensors ----------------------------------------------------------------------------- */

static void release_free(void *ctx, void *data, size_t size) {
    (void)ctx;
    (void)size;
    free(data);
}

/* Whether a tensor of n elements given by tp's typed values stays compressed (a splat):
 * fewer values than elements, expanding to more than FRT_SPLAT_MAX_EXPANDED bytes. A
 * 300-byte file may declare 5e8 floats with one value: expanding that at load would let
 * the file's declared size, not its length, decide what loading costs. */
static bool kept_compressed(const Tensorflow__TensorProto *tp, frt_dtype dt, int64_t n) {
    size_t es = dt == FRT_DTYPE_STRING ? sizeof(frt_string) : frt_dtype_size(dt);
    /* n * es would wrap for a declared shape near 2^64 bytes: divide instead (es is a power
     * of two, so this is the same bound). */
    return typed_count(tp, dt) < n && es && (uint64_t)n > FRT_SPLAT_MAX_EXPANDED / es;
}

/* The splat of tp's typed values: they are kept, and the last (or zero) repeats. */
static frt_status *splat_from_vals(const Tensorflow__TensorProto *tp, frt_dtype dt,
                                   const int64_t *dims, int ndim, frt_tensor **out) {
    int64_t m = typed_count(tp, dt), kept = m > 0 ? m : 1;
    int64_t n = frt_shape_num_elements(dims, ndim);
    size_t elem = dt == FRT_DTYPE_STRING ? sizeof(frt_string) : frt_dtype_size(dt);
    if (elem && (uint64_t)n > FRT_TENSOR_PROTO_MAX_BYTES / elem)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "a %s tensor of shape %s (%lld elements) is larger than 2 GiB, "
                              "the limit on one constant (TensorFlow refuses protos over 2 GB)",
                              frt_dtype_name(dt), frt_shape_str(dims, ndim, (char[96]){0}, 96),
                              (long long)n);
    frt_tensor *t;
    FRT_TRY(frt_tensor_splat_new(dt, dims, ndim, kept, &t));
    if (dt == FRT_DTYPE_STRING) {
        for (int64_t i = 0; i < m; i++) {
            frt_status *st = set_str(t, i, tp->string_val[i].data, tp->string_val[i].len);
            if (st) {
                frt_tensor_unref(t);
                return st;
            }
        }
    } else {
        fill_for(dt)(tp, frt_tensor_data(t), kept);
    }
    *out = t;
    return NULL;
}

static frt_status *decode(Tensorflow__TensorProto *tp, bool steal, frt_tensor **out) {
    *out = NULL;
    if (!tp) return frt_status_new(FRT_INVALID_ARGUMENT, "missing TensorProto");
    if (tp->version_number == MOVED_MARK)
        return frt_status_new(FRT_INTERNAL,
                              "TensorProto was already decoded and its content moved out");
    int raw = (int)tp->dtype;
    frt_dtype dt = frt_dtype_base(raw);
    if (raw == 0 || raw == 100)
        return frt_status_new(FRT_INVALID_ARGUMENT, "TensorProto has dtype DT_INVALID");
    if (!frt_dtype_is_valid(raw))
        return frt_status_new(FRT_UNIMPLEMENTED, "TensorProto dtype %s (%d) is not supported",
                              tf_dtype_name(raw), raw);
    if (dt == FRT_DTYPE_RESOURCE || dt == FRT_DTYPE_VARIANT)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "TensorProto of dtype %s cannot be decoded into a value",
                              tf_dtype_name(raw));
    int64_t dims[FRT_MAX_DIMS];
    int ndim = 0;
    FRT_TRY(tensor_dims(tp->tensor_shape, dims, &ndim));
    int64_t n = frt_shape_num_elements(dims, ndim);
    if (n < 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor shape %s has too many elements",
                              frt_shape_str(dims, ndim, (char[96]){0}, 96));
    if (n == 0) return frt_tensor_new(dt, dims, ndim, out); /* values are ignored */

    const ProtobufCBinaryData *content = &tp->tensor_content;
    if (dt == FRT_DTYPE_STRING) {
        /* every element's length takes at least one byte of tensor_content: check that
         * before allocating n elements for a shape the content cannot hold */
        if (content->len && (uint64_t)n > content->len)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "string tensor_content: bad or truncated length of element "
                                  "%zu (%zu bytes cannot hold %lld lengths)",
                                  content->len, content->len, (long long)n);
        if (!content->len && kept_compressed(tp, dt, n))
            return splat_from_vals(tp, dt, dims, ndim, out);
        frt_tensor *t;
        FRT_TRY(frt_tensor_new(dt, dims, ndim, &t));
        frt_status *st = content->len ? strings_from_content(content, t)
                                      : strings_from_vals(tp, t);
        if (st) {
            frt_tensor_unref(t);
            return st;
        }
        *out = t;
        return NULL;
    }

    size_t es = frt_dtype_size(dt);
    if ((uint64_t)n > SIZE_MAX / 2 / es)
        return frt_status_new(FRT_INVALID_ARGUMENT, "tensor shape %s is too large",
                              frt_shape_str(dims, ndim, (char[96]){0}, 96));
    size_t nbytes = (size_t)n * es;
    if (content->len) {
        if (content->len != nbytes)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "tensor_content has %zu bytes but a %s tensor of shape %s "
                                  "needs %zu",
                                  content->len, frt_dtype_name(dt),
                                  frt_shape_str(dims, ndim, (char[96]){0}, 96), nbytes);
        /* malloc returns 16-byte aligned memory; check anyway and copy when it is not. */
        if (steal && ((uintptr_t)content->data % (es < 16 ? es : 16)) == 0) {
            FRT_TRY(frt_tensor_wrap(dt, dims, ndim, content->data, nbytes, release_free, NULL,
                                    out));
            tp->tensor_content.data = NULL;
            tp->tensor_content.len = 0;
            tp->version_number = MOVED_MARK;
            return NULL;
        }
        return frt_tensor_new_copy(dt, dims, ndim, content->data, nbytes, out);
    }
    fill_fn fill = fill_for(dt);
    if (!fill)
        return frt_status_new(FRT_UNIMPLEMENTED, "TensorProto dtype %s is not supported",
                              tf_dtype_name(raw));
    if (kept_compressed(tp, dt, n)) return splat_from_vals(tp, dt, dims, ndim, out);
    frt_tensor *t;
    FRT_TRY(frt_tensor_alloc(frt_cpu_allocator_default(), dt, dims, ndim, &t));
    fill(tp, frt_tensor_data(t), n);
    *out = t;
    return NULL;
}

frt_status *frt_tensor_from_proto(Tensorflow__TensorProto *tp, frt_tensor **out) {
    return decode(tp, true, out);
}

frt_status *frt_tensor_copy_from_proto(const Tensorflow__TensorProto *tp, frt_tensor **out) {
    /* decode only writes through tp when steal is true */
    return decode((Tensorflow__TensorProto *)tp, false, out);
}

/* ---- attr values ------------------------------------------------------------------------- */

static frt_status *dup_bytes(const void *p, size_t len, frt_string *s) {
    s->ptr = len < SIZE_MAX ? frt_malloc(len + 1) : NULL;
    s->len = s->ptr ? len : 0;
    if (!s->ptr) return frt_status_oom("copying a %zu-byte attr string", len);
    if (len) memcpy(s->ptr, p, len);
    s->ptr[len] = 0;
    return NULL;
}

static frt_status *attr_decode(Tensorflow__AttrValue *av, bool steal, frt_attr_value *out);

static frt_status *func_decode(Tensorflow__NameAttrList *nl, bool steal, frt_attr_func *f) {
    f->attrs = NULL;
    f->name = frt_strdup(nl && nl->name ? nl->name : "");
    if (!f->name) return frt_status_oom("copying a function attr's name");
    if (!nl || nl->n_attr == 0) return NULL;
    f->attrs = frt_calloc(1, sizeof *f->attrs);
    if (!f->attrs) return frt_status_oom("copying the attrs of function '%s'", f->name);
    frt_attrs_init(f->attrs);
    for (size_t k = 0; k < nl->n_attr; k++) {
        Tensorflow__NameAttrList__AttrEntry *e = nl->attr[k];
        FRT_TRY(frt_attrs_add_from_proto(f->attrs, e->key ? e->key : "", e->value, steal));
    }
    return NULL;
}

/* Fills out->v.list from lv; the caller deinits out on error (every element written so far
 * is valid, the rest zeroed). */
static frt_status *list_decode(Tensorflow__AttrValue__ListValue *lv, bool steal,
                               frt_attr_list *l) {
    memset(l, 0, sizeof *l);
    if (!lv) return NULL;
    /* A ListValue holds one kind; TF picks the first non-empty field in this order. */
    size_t n = 0;
    frt_attr_kind k = FRT_ATTR_NONE;
    if (lv->n_s) k = FRT_ATTR_S, n = lv->n_s;
    else if (lv->n_i) k = FRT_ATTR_I, n = lv->n_i;
    else if (lv->n_f) k = FRT_ATTR_F, n = lv->n_f;
    else if (lv->n_b) k = FRT_ATTR_B, n = lv->n_b;
    else if (lv->n_type) k = FRT_ATTR_TYPE, n = lv->n_type;
    else if (lv->n_shape) k = FRT_ATTR_SHAPE, n = lv->n_shape;
    else if (lv->n_tensor) k = FRT_ATTR_TENSOR, n = lv->n_tensor;
    else if (lv->n_func) k = FRT_ATTR_FUNC, n = lv->n_func;
    if (k == FRT_ATTR_NONE) return NULL;
    int kinds = !!lv->n_s + !!lv->n_i + !!lv->n_f + !!lv->n_b + !!lv->n_type + !!lv->n_shape +
                !!lv->n_tensor + !!lv->n_func;
    if (kinds > 1)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "attr list holds values of %d different kinds", kinds);
    if (n > INT32_MAX) return frt_status_new(FRT_INVALID_ARGUMENT, "attr list too long");
    size_t es = 0;
    switch (k) {
    case FRT_ATTR_S: es = sizeof(frt_string); break;
    case FRT_ATTR_I: es = sizeof(int64_t); break;
    case FRT_ATTR_F: es = sizeof(float); break;
    case FRT_ATTR_B: es = sizeof(bool); break;
    case FRT_ATTR_TYPE: es = sizeof(frt_dtype); break;
    case FRT_ATTR_SHAPE: es = sizeof(frt_attr_shape); break;
    case FRT_ATTR_TENSOR: es = sizeof(frt_tensor *); break;
    default: es = sizeof(frt_attr_func); break;
    }
    l->v.i = frt_calloc(n, es);
    if (!l->v.i) return frt_status_oom("decoding an attr list of %zu values", n);
    l->elem = k;
    l->n = (int)n;
    for (size_t j = 0; j < n; j++) {
        frt_status *st = NULL;
        switch (k) {
        case FRT_ATTR_S: st = dup_bytes(lv->s[j].data, lv->s[j].len, &l->v.s[j]); break;
        case FRT_ATTR_I: l->v.i[j] = lv->i[j]; break;
        case FRT_ATTR_F: l->v.f[j] = lv->f[j]; break;
        case FRT_ATTR_B: l->v.b[j] = lv->b[j] != 0; break;
        case FRT_ATTR_TYPE: l->v.type[j] = frt_dtype_base(lv->type[j]); break;
        case FRT_ATTR_SHAPE: st = frt_shape_from_proto(lv->shape[j], &l->v.shape[j]); break;
        case FRT_ATTR_TENSOR:
            st = steal ? frt_tensor_from_proto(lv->tensor[j], &l->v.tensor[j])
                       : frt_tensor_copy_from_proto(lv->tensor[j], &l->v.tensor[j]);
            break;
        default: st = func_decode(lv->func[j], steal, &l->v.func[j]); break;
        }
        if (st) return frt_status_annotate(st, " (list element %zu)", j);
    }
    return NULL;
}

static frt_status *attr_decode(Tensorflow__AttrValue *av, bool steal, frt_attr_value *out) {
    memset(out, 0, sizeof *out);
    if (!av) return NULL;
    frt_status *st = NULL;
    switch (av->value_case) {
    case TENSORFLOW__ATTR_VALUE__VALUE__NOT_SET: break;
    case TENSORFLOW__ATTR_VALUE__VALUE_S:
        out->kind = FRT_ATTR_S;
        st = dup_bytes(av->s.data, av->s.len, &out->v.s);
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_I:
        out->kind = FRT_ATTR_I;
        out->v.i = av->i;
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_F:
        out->kind = FRT_ATTR_F;
        out->v.f = av->f;
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_B:
        out->kind = FRT_ATTR_B;
        out->v.b = av->b != 0;
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_TYPE:
        out->kind = FRT_ATTR_TYPE;
        out->v.type = frt_dtype_base(av->type); /* DT_FLOAT_REF -> DT_FLOAT */
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_SHAPE:
        out->kind = FRT_ATTR_SHAPE;
        st = frt_shape_from_proto(av->shape, &out->v.shape);
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_TENSOR:
        st = steal ? frt_tensor_from_proto(av->tensor, &out->v.tensor)
                   : frt_tensor_copy_from_proto(av->tensor, &out->v.tensor);
        if (!st) out->kind = FRT_ATTR_TENSOR;
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_LIST:
        out->kind = FRT_ATTR_LIST;
        st = list_decode(av->list, steal, &out->v.list);
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_FUNC:
        out->kind = FRT_ATTR_FUNC;
        st = func_decode(av->func, steal, &out->v.func);
        break;
    case TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER: {
        const char *p = av->placeholder ? av->placeholder : "";
        out->kind = FRT_ATTR_PLACEHOLDER;
        st = dup_bytes(p, strlen(p), &out->v.s);
        break;
    }
    default:
        st = frt_status_new(FRT_INVALID_ARGUMENT, "AttrValue has unknown kind %d",
                            (int)av->value_case);
        break;
    }
    if (st) frt_attr_value_deinit(out);
    return st;
}

frt_status *frt_attr_value_from_proto(Tensorflow__AttrValue *av, frt_attr_value *out) {
    return attr_decode(av, true, out);
}

frt_status *frt_attr_value_copy_from_proto(const Tensorflow__AttrValue *av,
                                           frt_attr_value *out) {
    return attr_decode((Tensorflow__AttrValue *)av, false, out);
}

frt_status *frt_attrs_add_from_proto(frt_attrs *attrs, const char *key, Tensorflow__AttrValue *av,
                                     bool steal) {
    frt_attr_value v;
    frt_status *st = attr_decode(av, steal, &v);
    if (!st && (st = frt_attrs_try_set(attrs, key, &v))) frt_attr_value_deinit(&v);
    if (st) return frt_status_annotate(st, " in attr '%s'", key);
    return NULL;
}
