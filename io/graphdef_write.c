/* io/graphdef_write.c: graph IR (and its function library) → packed binary GraphDef.
 * Owns: building protobuf-c messages that borrow the IR's strings and tensor bytes (every
 * message struct comes from a pool freed after packing), deterministic map ordering. Does
 * not own: the atomic file write (io/file.c), reading (graphdef.c, function_lib.c), tensor
 * decoding rules (tensor_proto.c). Thread-safety: reentrant. */
#include "io/graphdef_write.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/function.h"
#include "io/file.h"
#include "io/proto/graph.pb-c.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "io/graphdef_write.c assumes a little-endian host (tensor_content is little-endian)"
#endif

/* ---- allocation pool ----------------------------------------------------------------------- */

typedef struct pool {
    void **p;
    size_t n, cap;
} pool;

static void *palloc(pool *pl, size_t size) {
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? pl->cap * 2 : 256;
        pl->p = frt_xrealloc(pl->p, pl->cap * sizeof *pl->p);
    }
    void *m = frt_xcalloc(1, size ? size : 1);
    pl->p[pl->n++] = m;
    return m;
}

static void pool_free(pool *pl) {
    for (size_t i = 0; i < pl->n; i++) free(pl->p[i]);
    free(pl->p);
}

/* A new message of descriptor d, initialised to its defaults. */
static void *pmsg(pool *pl, const ProtobufCMessageDescriptor *d) {
    void *m = palloc(pl, d->sizeof_message);
    protobuf_c_message_init(d, m);
    return m;
}

#define PARRAY(pl, n, T) ((T *)palloc((pl), (size_t)(n) * sizeof(T)))
/* protobuf-c's string fields are char *, never written through while packing. */
#define STR(s) ((char *)(s))

/* ---- attrs ---------------------------------------------------------------------------------- */

/* Every map<string, AttrValue> entry type has this layout. */
typedef struct kv_entry {
    ProtobufCMessage base;
    char *key;
    Tensorflow__AttrValue *value;
} kv_entry;

typedef struct wctx {
    pool pl;
    const char *node;   /* for messages */
} wctx;

static Tensorflow__TensorShapeProto *dims_proto(wctx *w, const int64_t *dims, int ndim,
                                               bool unknown_rank) {
    Tensorflow__TensorShapeProto *sp = pmsg(&w->pl, &tensorflow__tensor_shape_proto__descriptor);
    sp->unknown_rank = unknown_rank;
    if (ndim > 0) {
        sp->n_dim = (size_t)ndim;
        sp->dim = PARRAY(&w->pl, ndim, Tensorflow__TensorShapeProto__Dim *);
        for (int i = 0; i < ndim; i++) {
            sp->dim[i] = pmsg(&w->pl, &tensorflow__tensor_shape_proto__dim__descriptor);
            sp->dim[i]->size = dims[i];
        }
    }
    return sp;
}

/* A splat (a compressed Const, core/tensor.h) is written as it was read: its kept values
 * in the dtype's typed field, which readers repeat up to the shape (formats.md §2). */
static void splat_proto(wctx *w, const frt_tensor *t, Tensorflow__TensorProto *tp) {
    size_t k = (size_t)frt_tensor_num_stored(t);
    void *d = frt_tensor_data(t);
#define WIDEN(FIELD, T, CT)                                                                \
    do {                                                                                   \
        tp->n_##FIELD = k;                                                                 \
        tp->FIELD = PARRAY(&w->pl, k, CT);                                                 \
        for (size_t i = 0; i < k; i++) tp->FIELD[i] = (CT)((const T *)d)[i];               \
    } while (0)
    switch (t->dtype) {
    case FRT_DTYPE_FLOAT: tp->n_float_val = k, tp->float_val = d; break;
    case FRT_DTYPE_DOUBLE: tp->n_double_val = k, tp->double_val = d; break;
    case FRT_DTYPE_INT64: tp->n_int64_val = k, tp->int64_val = d; break;
    case FRT_DTYPE_UINT32: tp->n_uint32_val = k, tp->uint32_val = d; break;
    case FRT_DTYPE_UINT64: tp->n_uint64_val = k, tp->uint64_val = d; break;
    case FRT_DTYPE_COMPLEX64: tp->n_scomplex_val = 2 * k, tp->scomplex_val = d; break;
    case FRT_DTYPE_COMPLEX128: tp->n_dcomplex_val = 2 * k, tp->dcomplex_val = d; break;
    case FRT_DTYPE_INT32:
    case FRT_DTYPE_QINT32: tp->n_int_val = k, tp->int_val = d; break;
    case FRT_DTYPE_INT16:
    case FRT_DTYPE_QINT16: WIDEN(int_val, int16_t, int32_t); break;
    case FRT_DTYPE_INT8:
    case FRT_DTYPE_QINT8: WIDEN(int_val, int8_t, int32_t); break;
    case FRT_DTYPE_UINT16:
    case FRT_DTYPE_QUINT16: WIDEN(int_val, uint16_t, int32_t); break;
    case FRT_DTYPE_UINT8:
    case FRT_DTYPE_QUINT8: WIDEN(int_val, uint8_t, int32_t); break;
    case FRT_DTYPE_HALF:
    case FRT_DTYPE_BFLOAT16: WIDEN(half_val, uint16_t, int32_t); break;
    case FRT_DTYPE_BOOL: WIDEN(bool_val, uint8_t, protobuf_c_boolean); break;
    default: break; /* no other dtype decodes to a splat */
    }
#undef WIDEN
}

static frt_status *tensor_proto(wctx *w, const char *key, const frt_tensor *t,
                                Tensorflow__TensorProto **out) {
    Tensorflow__TensorProto *tp = pmsg(&w->pl, &tensorflow__tensor_proto__descriptor);
    tp->dtype = (Tensorflow__DataType)t->dtype;
    tp->tensor_shape = dims_proto(w, t->dims, t->ndim, false);
    if (t->dtype == FRT_DTYPE_RESOURCE || t->dtype == FRT_DTYPE_VARIANT)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "node '%s': attr '%s' holds a %s tensor, which cannot be written "
                              "to a GraphDef", w->node, key, frt_dtype_tf_name(t->dtype));
    if (t->dtype == FRT_DTYPE_STRING) {
        const frt_string *s = frt_tensor_strings(t);
        int64_t n = frt_tensor_num_stored(t); /* a splat's kept values; TF repeats the last */
        tp->n_string_val = (size_t)n;
        tp->string_val = PARRAY(&w->pl, n, ProtobufCBinaryData);
        for (int64_t i = 0; i < n; i++)
            tp->string_val[i] = (ProtobufCBinaryData){s[i].len, (uint8_t *)s[i].ptr};
    } else if (t->splat) {
        splat_proto(w, t, tp);
    } else if (t->n > 0) {
        tp->tensor_content.len = (size_t)t->n * frt_dtype_size(t->dtype);
        tp->tensor_content.data = frt_tensor_data(t);
    }
    *out = tp;
    return NULL;
}

static frt_status *func_proto(wctx *w, const frt_attr_func *f, Tensorflow__NameAttrList **out);

static frt_status *attr_proto(wctx *w, const char *key, const frt_attr_value *v,
                              Tensorflow__AttrValue **out) {
    Tensorflow__AttrValue *av = pmsg(&w->pl, &tensorflow__attr_value__descriptor);
    *out = av;
    switch (v->kind) {
    case FRT_ATTR_NONE: break;
    case FRT_ATTR_S:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
        av->s = (ProtobufCBinaryData){v->v.s.len, (uint8_t *)v->v.s.ptr};
        break;
    case FRT_ATTR_PLACEHOLDER:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_PLACEHOLDER;
        av->placeholder = STR(v->v.s.ptr ? v->v.s.ptr : "");
        break;
    case FRT_ATTR_I: av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I, av->i = v->v.i; break;
    case FRT_ATTR_F: av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_F, av->f = v->v.f; break;
    case FRT_ATTR_B: av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B, av->b = v->v.b; break;
    case FRT_ATTR_TYPE:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
        av->type = (Tensorflow__DataType)v->v.type;
        break;
    case FRT_ATTR_SHAPE:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
        av->shape = dims_proto(w, v->v.shape.dims, v->v.shape.ndim, v->v.shape.unknown_rank);
        break;
    case FRT_ATTR_TENSOR:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
        return tensor_proto(w, key, v->v.tensor, &av->tensor);
    case FRT_ATTR_FUNC:
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_FUNC;
        return func_proto(w, &v->v.func, &av->func);
    case FRT_ATTR_LIST: {
        av->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
        Tensorflow__AttrValue__ListValue *lv =
            pmsg(&w->pl, &tensorflow__attr_value__list_value__descriptor);
        av->list = lv;
        const frt_attr_list *l = &v->v.list;
        size_t n = (size_t)l->n;
        switch (l->elem) {
        case FRT_ATTR_NONE: break;
        case FRT_ATTR_S:
            lv->n_s = n;
            lv->s = PARRAY(&w->pl, n, ProtobufCBinaryData);
            for (size_t i = 0; i < n; i++)
                lv->s[i] = (ProtobufCBinaryData){l->v.s[i].len, (uint8_t *)l->v.s[i].ptr};
            break;
        case FRT_ATTR_I: lv->n_i = n, lv->i = l->v.i; break;
        case FRT_ATTR_F: lv->n_f = n, lv->f = l->v.f; break;
        case FRT_ATTR_B:
            lv->n_b = n;
            lv->b = PARRAY(&w->pl, n, protobuf_c_boolean);
            for (size_t i = 0; i < n; i++) lv->b[i] = l->v.b[i];
            break;
        case FRT_ATTR_TYPE:
            lv->n_type = n;
            lv->type = PARRAY(&w->pl, n, Tensorflow__DataType);
            for (size_t i = 0; i < n; i++) lv->type[i] = (Tensorflow__DataType)l->v.type[i];
            break;
        case FRT_ATTR_SHAPE:
            lv->n_shape = n;
            lv->shape = PARRAY(&w->pl, n, Tensorflow__TensorShapeProto *);
            for (size_t i = 0; i < n; i++)
                lv->shape[i] = dims_proto(w, l->v.shape[i].dims, l->v.shape[i].ndim,
                                          l->v.shape[i].unknown_rank);
            break;
        case FRT_ATTR_TENSOR:
            lv->n_tensor = n;
            lv->tensor = PARRAY(&w->pl, n, Tensorflow__TensorProto *);
            for (size_t i = 0; i < n; i++)
                FRT_TRY(tensor_proto(w, key, l->v.tensor[i], &lv->tensor[i]));
            break;
        case FRT_ATTR_FUNC:
            lv->n_func = n;
            lv->func = PARRAY(&w->pl, n, Tensorflow__NameAttrList *);
            for (size_t i = 0; i < n; i++) FRT_TRY(func_proto(w, &l->v.func[i], &lv->func[i]));
            break;
        default:
            return frt_status_new(FRT_INTERNAL, "node '%s': attr '%s' is a list of kind %d",
                                  w->node, key, (int)l->elem);
        }
        break;
    }
    default:
        return frt_status_new(FRT_INTERNAL, "node '%s': attr '%s' has kind %d", w->node, key,
                              (int)v->kind);
    }
    return NULL;
}

/* A map<string, AttrValue> (entry descriptor d), sorted by key. */
static frt_status *attr_map(wctx *w, const frt_attrs *a, const ProtobufCMessageDescriptor *d,
                            size_t *n_out, void ***out) {
    *n_out = 0;
    *out = NULL;
    if (!a || a->n == 0) return NULL;
    int *order = PARRAY(&w->pl, a->n, int);
    for (int i = 0; i < a->n; i++) order[i] = i;
    /* qsort has no context argument: insertion sort (attr maps are small). */
    for (int i = 1; i < a->n; i++) {
        int v = order[i], j = i;
        while (j > 0 && strcmp(a->keys[order[j - 1]], a->keys[v]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
    void **entries = PARRAY(&w->pl, a->n, void *);
    for (int i = 0; i < a->n; i++) {
        kv_entry *e = pmsg(&w->pl, d);
        e->key = STR(a->keys[order[i]]);
        FRT_TRY(attr_proto(w, a->keys[order[i]], &a->vals[order[i]], &e->value));
        entries[i] = e;
    }
    *n_out = (size_t)a->n;
    *out = entries;
    return NULL;
}

static frt_status *func_proto(wctx *w, const frt_attr_func *f, Tensorflow__NameAttrList **out) {
    Tensorflow__NameAttrList *nl = pmsg(&w->pl, &tensorflow__name_attr_list__descriptor);
    *out = nl;
    nl->name = STR(f->name ? f->name : "");
    return attr_map(w, f->attrs, &tensorflow__name_attr_list__attr_entry__descriptor, &nl->n_attr,
                    (void ***)&nl->attr);
}

/* ---- nodes and functions ------------------------------------------------------------------ */

static frt_status *node_proto(wctx *w, const char *name, const char *op, const char *device,
                              char *const *inputs, int n_inputs, const frt_attrs *attrs,
                              Tensorflow__NodeDef **out) {
    Tensorflow__NodeDef *nd = pmsg(&w->pl, &tensorflow__node_def__descriptor);
    *out = nd;
    nd->name = STR(name);
    nd->op = STR(op);
    if (device && *device) nd->device = STR(device);
    nd->n_input = (size_t)n_inputs;
    nd->input = (char **)inputs;
    w->node = name;
    return attr_map(w, attrs, &tensorflow__node_def__attr_entry__descriptor, &nd->n_attr,
                    (void ***)&nd->attr);
}

static Tensorflow__OpDef__ArgDef *arg_proto(wctx *w, const frt_func_arg *a) {
    Tensorflow__OpDef__ArgDef *ad = pmsg(&w->pl, &tensorflow__op_def__arg_def__descriptor);
    ad->name = STR(a->name);
    ad->type = (Tensorflow__DataType)a->type;
    if (a->type_attr) ad->type_attr = STR(a->type_attr);
    if (a->number_attr) ad->number_attr = STR(a->number_attr);
    if (a->type_list_attr) ad->type_list_attr = STR(a->type_list_attr);
    ad->is_ref = a->is_ref;
    return ad;
}

static int cmp_kv(const void *a, const void *b) {
    return strcmp((*(frt_func_kv *const *)a)->key, (*(frt_func_kv *const *)b)->key);
}

/* map<string, string> entries sorted by key. */
static void string_map(wctx *w, const frt_func_kv *kv, int n,
                       const ProtobufCMessageDescriptor *d, size_t *n_out, void ***out) {
    *n_out = (size_t)n;
    *out = NULL;
    if (n == 0) return;
    const frt_func_kv **sorted = PARRAY(&w->pl, n, const frt_func_kv *);
    for (int i = 0; i < n; i++) sorted[i] = &kv[i];
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_kv);
    void **entries = PARRAY(&w->pl, n, void *);
    for (int i = 0; i < n; i++) {
        struct {
            ProtobufCMessage base;
            char *key, *value;
        } *e = pmsg(&w->pl, d);
        e->key = STR(sorted[i]->key);
        e->value = STR(sorted[i]->value);
        entries[i] = e;
    }
    *out = entries;
}

static int cmp_arg_attrs(const void *a, const void *b) {
    uint32_t x = (*(const frt_func_arg_attrs *const *)a)->index;
    uint32_t y = (*(const frt_func_arg_attrs *const *)b)->index;
    return x < y ? -1 : x > y;
}

static int cmp_u32pair(const void *a, const void *b) {
    uint32_t x = (*(const uint32_t *const *)a)[0], y = (*(const uint32_t *const *)b)[0];
    return x < y ? -1 : x > y;
}

static frt_status *function_proto(wctx *w, const frt_function *fn,
                                  Tensorflow__FunctionDef **out) {
    Tensorflow__FunctionDef *fd = pmsg(&w->pl, &tensorflow__function_def__descriptor);
    *out = fd;
    Tensorflow__OpDef *sig = pmsg(&w->pl, &tensorflow__op_def__descriptor);
    fd->signature = sig;
    sig->name = STR(fn->name);
    sig->n_input_arg = (size_t)fn->n_in;
    sig->input_arg = PARRAY(&w->pl, fn->n_in, Tensorflow__OpDef__ArgDef *);
    for (int i = 0; i < fn->n_in; i++) sig->input_arg[i] = arg_proto(w, &fn->in[i]);
    sig->n_output_arg = (size_t)fn->n_out;
    sig->output_arg = PARRAY(&w->pl, fn->n_out, Tensorflow__OpDef__ArgDef *);
    for (int i = 0; i < fn->n_out; i++) sig->output_arg[i] = arg_proto(w, &fn->out[i]);
    sig->n_control_output = (size_t)fn->n_control_outputs;
    sig->control_output = fn->control_outputs;
    sig->is_stateful = fn->is_stateful;
    sig->n_attr = (size_t)fn->n_attr_defs;
    sig->attr = PARRAY(&w->pl, fn->n_attr_defs, Tensorflow__OpDef__AttrDef *);
    w->node = fn->name;
    for (int i = 0; i < fn->n_attr_defs; i++) {
        const frt_func_attr_def *ad = &fn->attr_defs[i];
        Tensorflow__OpDef__AttrDef *p = pmsg(&w->pl, &tensorflow__op_def__attr_def__descriptor);
        p->name = STR(ad->name);
        p->type = STR(ad->type);
        if (ad->has_default) FRT_TRY(attr_proto(w, ad->name, &ad->def, &p->default_value));
        sig->attr[i] = p;
    }
    FRT_TRY(attr_map(w, &fn->attrs, &tensorflow__function_def__attr_entry__descriptor,
                     &fd->n_attr, (void ***)&fd->attr));
    fd->n_node_def = (size_t)fn->n_nodes;
    fd->node_def = PARRAY(&w->pl, fn->n_nodes, Tensorflow__NodeDef *);
    for (int i = 0; i < fn->n_nodes; i++) {
        const frt_func_node *n = &fn->nodes[i];
        frt_status *st = node_proto(w, n->name, n->op, n->device, n->inputs, n->n_inputs,
                                    &n->attrs, &fd->node_def[i]);
        if (st) return frt_status_annotate(st, " in function '%s'", fn->name);
    }
    string_map(w, fn->ret, fn->n_ret, &tensorflow__function_def__ret_entry__descriptor,
               &fd->n_ret, (void ***)&fd->ret);
    string_map(w, fn->control_ret, fn->n_control_ret,
               &tensorflow__function_def__control_ret_entry__descriptor, &fd->n_control_ret,
               (void ***)&fd->control_ret);
    if (fn->n_arg_attrs) {
        const frt_func_arg_attrs **sorted = PARRAY(&w->pl, fn->n_arg_attrs,
                                                   const frt_func_arg_attrs *);
        for (int i = 0; i < fn->n_arg_attrs; i++) sorted[i] = &fn->arg_attrs[i];
        qsort(sorted, (size_t)fn->n_arg_attrs, sizeof *sorted, cmp_arg_attrs);
        fd->n_arg_attr = (size_t)fn->n_arg_attrs;
        fd->arg_attr = PARRAY(&w->pl, fn->n_arg_attrs, Tensorflow__FunctionDef__ArgAttrEntry *);
        for (int i = 0; i < fn->n_arg_attrs; i++) {
            Tensorflow__FunctionDef__ArgAttrEntry *e =
                pmsg(&w->pl, &tensorflow__function_def__arg_attr_entry__descriptor);
            e->key = sorted[i]->index;
            e->value = pmsg(&w->pl, &tensorflow__function_def__arg_attrs__descriptor);
            FRT_TRY(attr_map(w, &sorted[i]->attrs,
                             &tensorflow__function_def__arg_attrs__attr_entry__descriptor,
                             &e->value->n_attr, (void ***)&e->value->attr));
            fd->arg_attr[i] = e;
        }
    }
    if (fn->n_resource_ids) {
        const uint32_t **sorted = PARRAY(&w->pl, fn->n_resource_ids, const uint32_t *);
        for (int i = 0; i < fn->n_resource_ids; i++) sorted[i] = fn->resource_ids[i];
        qsort(sorted, (size_t)fn->n_resource_ids, sizeof *sorted, cmp_u32pair);
        fd->n_resource_arg_unique_id = (size_t)fn->n_resource_ids;
        fd->resource_arg_unique_id = PARRAY(&w->pl, fn->n_resource_ids,
                                            Tensorflow__FunctionDef__ResourceArgUniqueIdEntry *);
        for (int i = 0; i < fn->n_resource_ids; i++) {
            Tensorflow__FunctionDef__ResourceArgUniqueIdEntry *e =
                pmsg(&w->pl, &tensorflow__function_def__resource_arg_unique_id_entry__descriptor);
            e->key = sorted[i][0];
            e->value = sorted[i][1];
            fd->resource_arg_unique_id[i] = e;
        }
    }
    return NULL;
}

/* ---- the library is kept only while something refers to it ------------------------------ */

static bool func_refers(const frt_function_lib *lib, const frt_attr_func *f);

static bool attrs_refer(const frt_function_lib *lib, const frt_attrs *a) {
    for (int k = 0; a && k < a->n; k++) {
        const frt_attr_value *v = &a->vals[k];
        if (v->kind == FRT_ATTR_FUNC && func_refers(lib, &v->v.func)) return true;
        if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_FUNC)
            for (int i = 0; i < v->v.list.n; i++)
                if (func_refers(lib, &v->v.list.v.func[i])) return true;
    }
    return false;
}

static bool func_refers(const frt_function_lib *lib, const frt_attr_func *f) {
    return frt_function_lib_find(lib, f->name) || attrs_refer(lib, f->attrs);
}

static bool library_needed(const frt_graph *g, const frt_function_lib *lib) {
    if (!lib || lib->n == 0) return false;
    for (int i = 0; i < g->n_nodes; i++)
        if (frt_function_lib_find(lib, g->nodes[i].op) || attrs_refer(lib, &g->nodes[i].attrs))
            return true;
    return false;
}

/* ---- entry points -------------------------------------------------------------------------- */

static frt_status *build(wctx *w, const frt_graph *g, Tensorflow__GraphDef *gd) {
    gd->n_node = (size_t)g->n_nodes;
    gd->node = PARRAY(&w->pl, g->n_nodes, Tensorflow__NodeDef *);
    for (int i = 0; i < g->n_nodes; i++) {
        const frt_node *n = &g->nodes[i];
        FRT_TRY(node_proto(w, n->name, n->op, n->device, n->inputs, n->n_inputs, &n->attrs,
                           &gd->node[i]));
    }
    gd->versions = pmsg(&w->pl, &tensorflow__version_def__descriptor);
    gd->versions->producer = g->producer;
    gd->versions->min_consumer = g->min_consumer;
    const frt_function_lib *lib = frt_graph_library(g);
    if (library_needed(g, lib)) {
        Tensorflow__FunctionDefLibrary *l =
            pmsg(&w->pl, &tensorflow__function_def_library__descriptor);
        gd->library = l;
        l->n_function = (size_t)lib->n;
        l->function = PARRAY(&w->pl, lib->n, Tensorflow__FunctionDef *);
        for (int i = 0; i < lib->n; i++) FRT_TRY(function_proto(w, lib->fns[i], &l->function[i]));
        l->n_gradient = (size_t)lib->n_gradients;
        l->gradient = PARRAY(&w->pl, lib->n_gradients, Tensorflow__GradientDef *);
        for (int i = 0; i < lib->n_gradients; i++) {
            Tensorflow__GradientDef *gr = pmsg(&w->pl, &tensorflow__gradient_def__descriptor);
            gr->function_name = STR(lib->gradients[i].key);
            gr->gradient_func = STR(lib->gradients[i].value);
            l->gradient[i] = gr;
        }
    }
    return NULL;
}

frt_status *frt_graphdef_write_buffer(const frt_graph *g, void **data, size_t *len) {
    *data = NULL;
    *len = 0;
    wctx w = {0};
    Tensorflow__GraphDef *gd = pmsg(&w.pl, &tensorflow__graph_def__descriptor);
    frt_status *st = build(&w, g, gd);
    if (!st) {
        size_t n = tensorflow__graph_def__get_packed_size(gd);
        if (n > (size_t)INT32_MAX) {
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "the GraphDef would be %zu bytes, over protobuf's 2 GiB limit",
                                n);
        } else {
            uint8_t *buf = frt_xmalloc(n + 1);
            size_t got = tensorflow__graph_def__pack(gd, buf);
            FRT_ASSERT(got == n);
            *data = buf;
            *len = n;
        }
    }
    pool_free(&w.pl);
    return st;
}

static bool has_text_extension(const char *path) {
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return false;
    return !strcmp(dot, ".pbtxt") || !strcmp(dot, ".pbtext") || !strcmp(dot, ".txt");
}

frt_status *frt_graphdef_write_file(const frt_graph *g, const char *path) {
    if (has_text_extension(path))
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "'%s': only binary GraphDefs can be written (use .pb)", path);
    void *data;
    size_t len;
    FRT_TRY(frt_graphdef_write_buffer(g, &data, &len));
    frt_status *st = frt_file_write(path, "GraphDef", data, len); /* temp, fsync, rename */
    free(data);
    return st;
}
