/* core/attr.c: attribute maps and typed getters.
 * Owns: attr value lifetime (deep copy/free). Does not own: defaults (graph/op_registry.c
 * fills them before kernels see the attrs). Thread-safety: immutable after build. */
#include "core/attr.h"

#include <stdlib.h>
#include <string.h>

void frt_attrs_init(frt_attrs *a) { memset(a, 0, sizeof *a); }

static void func_deinit(frt_attr_func *f) {
    free(f->name);
    if (f->attrs) {
        frt_attrs_deinit(f->attrs);
        free(f->attrs);
    }
}

static void list_deinit(frt_attr_list *l) {
    switch (l->elem) {
    case FRT_ATTR_S:
        for (int k = 0; k < l->n; k++) free(l->v.s[k].ptr);
        break;
    case FRT_ATTR_TENSOR:
        for (int k = 0; k < l->n; k++) frt_tensor_unref(l->v.tensor[k]);
        break;
    case FRT_ATTR_FUNC:
        for (int k = 0; k < l->n; k++) func_deinit(&l->v.func[k]);
        break;
    default: break;
    }
    free(l->v.i); /* every member of the union is a malloc'd array */
}

void frt_attr_value_deinit(frt_attr_value *v) {
    switch (v->kind) {
    case FRT_ATTR_S:
    case FRT_ATTR_PLACEHOLDER: free(v->v.s.ptr); break;
    case FRT_ATTR_TENSOR: frt_tensor_unref(v->v.tensor); break;
    case FRT_ATTR_FUNC: func_deinit(&v->v.func); break;
    case FRT_ATTR_LIST: list_deinit(&v->v.list); break;
    default: break;
    }
    memset(v, 0, sizeof *v);
}

void frt_attrs_deinit(frt_attrs *a) {
    for (int k = 0; k < a->n; k++) {
        free(a->keys[k]);
        frt_attr_value_deinit(&a->vals[k]);
    }
    free(a->keys);
    free(a->vals);
    memset(a, 0, sizeof *a);
}

static int find_key(const frt_attrs *a, const char *key) {
    for (int k = 0; k < a->n; k++)
        if (strcmp(a->keys[k], key) == 0) return k;
    return -1;
}

frt_status *frt_attrs_try_set(frt_attrs *a, const char *key, frt_attr_value *v) {
    int k = find_key(a, key);
    if (k >= 0) {
        frt_attr_value_deinit(&a->vals[k]);
    } else {
        if (a->n == a->cap) {
            /* from 1, not 8: most nodes have one to four attrs, and a value is 80 bytes,
             * so a roomy start cost ~600 bytes per node on million-node graphs */
            int cap = a->cap ? a->cap * 2 : 1;
            char **keys = frt_realloc(a->keys, (size_t)cap * sizeof *keys);
            if (keys) a->keys = keys;
            frt_attr_value *vals = keys ? frt_realloc(a->vals, (size_t)cap * sizeof *vals) : NULL;
            if (!vals) return frt_status_oom("setting attr '%s'", key);
            a->vals = vals;
            a->cap = cap;
        }
        char *dup = frt_strdup(key);
        if (!dup) return frt_status_oom("setting attr '%s'", key);
        k = a->n++;
        a->keys[k] = dup;
    }
    a->vals[k] = *v;
    memset(v, 0, sizeof *v);
    return NULL;
}

void frt_attrs_set(frt_attrs *a, const char *key, frt_attr_value *v) {
    frt_status *st = frt_attrs_try_set(a, key, v);
    if (st) frt_assert_fail(__FILE__, __LINE__, frt_status_message(st));
}

const frt_attr_value *frt_attrs_find(const frt_attrs *a, const char *key) {
    if (!a) return NULL;
    int k = find_key(a, key);
    return k < 0 ? NULL : &a->vals[k];
}

static bool str_copy(frt_string *d, frt_string s) {
    d->ptr = frt_malloc(s.len + 1);
    d->len = d->ptr ? s.len : 0;
    if (!d->ptr) return false;
    if (s.len) memcpy(d->ptr, s.ptr, s.len);
    d->ptr[s.len] = 0;
    return true;
}

static bool func_copy(frt_attr_func *d, const frt_attr_func *s) {
    d->attrs = NULL;
    if (!(d->name = frt_strdup(s->name ? s->name : ""))) return false;
    if (s->attrs) {
        frt_status *st = NULL;
        if (!(d->attrs = frt_calloc(1, sizeof *d->attrs)) ||
            (st = frt_attrs_try_copy(d->attrs, s->attrs))) {
            frt_status_free(st);
            free(d->attrs);
            free(d->name);
            d->attrs = NULL;
            d->name = NULL;
            return false;
        }
    }
    return true;
}

static size_t elem_size(frt_attr_kind k) {
    switch (k) {
    case FRT_ATTR_S: return sizeof(frt_string);
    case FRT_ATTR_I: return sizeof(int64_t);
    case FRT_ATTR_F: return sizeof(float);
    case FRT_ATTR_B: return sizeof(bool);
    case FRT_ATTR_TYPE: return sizeof(frt_dtype);
    case FRT_ATTR_SHAPE: return sizeof(frt_attr_shape);
    case FRT_ATTR_TENSOR: return sizeof(frt_tensor *);
    case FRT_ATTR_FUNC: return sizeof(frt_attr_func);
    default: return 1;
    }
}

frt_status *frt_attr_value_try_copy(frt_attr_value *d, const frt_attr_value *s) {
    *d = *s;
    bool ok = true;
    switch (s->kind) {
    case FRT_ATTR_S:
    case FRT_ATTR_PLACEHOLDER: ok = str_copy(&d->v.s, s->v.s); break;
    case FRT_ATTR_TENSOR: frt_tensor_ref(s->v.tensor); break;
    case FRT_ATTR_FUNC: ok = func_copy(&d->v.func, &s->v.func); break;
    case FRT_ATTR_LIST: {
        const frt_attr_list *sl = &s->v.list;
        frt_attr_list *dl = &d->v.list;
        size_t es = elem_size(sl->elem);
        dl->n = 0; /* counts the elements copied, so a failure frees only those */
        if (!(dl->v.i = frt_malloc((size_t)sl->n * es))) {
            ok = false;
            break;
        }
        if (sl->n) memcpy(dl->v.i, sl->v.i, (size_t)sl->n * es);
        for (int k = 0; k < sl->n && ok; k++, dl->n++) {
            if (sl->elem == FRT_ATTR_S) ok = str_copy(&dl->v.s[k], sl->v.s[k]);
            if (sl->elem == FRT_ATTR_TENSOR) frt_tensor_ref(sl->v.tensor[k]);
            if (sl->elem == FRT_ATTR_FUNC) ok = func_copy(&dl->v.func[k], &sl->v.func[k]);
        }
        if (!ok) dl->n--; /* the failed element holds nothing */
        break;
    }
    default: break;
    }
    if (ok) return NULL;
    frt_attr_value_deinit(d);
    return frt_status_oom("copying an attr value");
}

void frt_attr_value_copy(frt_attr_value *d, const frt_attr_value *s) {
    frt_status *st = frt_attr_value_try_copy(d, s);
    if (st) frt_assert_fail(__FILE__, __LINE__, frt_status_message(st));
}

frt_status *frt_attrs_try_copy(frt_attrs *dst, const frt_attrs *src) {
    frt_attrs_init(dst);
    for (int k = 0; k < src->n; k++) {
        frt_attr_value v;
        frt_status *st = frt_attr_value_try_copy(&v, &src->vals[k]);
        if (!st && (st = frt_attrs_try_set(dst, src->keys[k], &v))) frt_attr_value_deinit(&v);
        if (st) {
            frt_attrs_deinit(dst);
            return frt_status_annotate(st, " (attr '%s')", src->keys[k]);
        }
    }
    return NULL;
}

void frt_attrs_copy(frt_attrs *dst, const frt_attrs *src) {
    frt_status *st = frt_attrs_try_copy(dst, src);
    if (st) frt_assert_fail(__FILE__, __LINE__, frt_status_message(st));
}

static const char *kind_name(frt_attr_kind k) {
    static const char *names[] = {"none", "string", "int", "float", "bool", "type",
                                  "shape", "tensor", "func", "placeholder", "list"};
    return (unsigned)k < FRT_COUNTOF(names) ? names[k] : "?";
}

static frt_status *wrong_kind(const char *key, frt_attr_kind want, frt_attr_kind got) {
    return frt_status_new(FRT_INVALID_ARGUMENT, "attr '%s' has kind %s, expected %s", key,
                          kind_name(got), kind_name(want));
}

#define GETTER(NAME, CT, KIND, FIELD)                                                      \
    frt_status *NAME(const frt_attrs *a, const char *key, CT def, CT *out) {               \
        const frt_attr_value *v = frt_attrs_find(a, key);                                  \
        *out = def;                                                                        \
        if (!v || v->kind == FRT_ATTR_NONE) return NULL;                                   \
        if (v->kind != KIND) return wrong_kind(key, KIND, v->kind);                        \
        *out = v->v.FIELD;                                                                 \
        return NULL;                                                                       \
    }
GETTER(frt_attr_get_int, int64_t, FRT_ATTR_I, i)
GETTER(frt_attr_get_float, float, FRT_ATTR_F, f)
GETTER(frt_attr_get_bool, bool, FRT_ATTR_B, b)
GETTER(frt_attr_get_type, frt_dtype, FRT_ATTR_TYPE, type)

frt_status *frt_attr_get_str(const frt_attrs *a, const char *key, const char *def,
                             const char **out) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    *out = def;
    if (!v || v->kind == FRT_ATTR_NONE) return NULL;
    if (v->kind != FRT_ATTR_S) return wrong_kind(key, FRT_ATTR_S, v->kind);
    *out = v->v.s.ptr ? v->v.s.ptr : "";
    return NULL;
}

static frt_status *get_list(const frt_attrs *a, const char *key, frt_attr_kind elem,
                            const frt_attr_list **out) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    *out = NULL;
    if (!v || v->kind == FRT_ATTR_NONE) return NULL;
    if (v->kind != FRT_ATTR_LIST) return wrong_kind(key, FRT_ATTR_LIST, v->kind);
    if (v->v.list.n && v->v.list.elem != elem)
        return frt_status_new(FRT_INVALID_ARGUMENT, "attr '%s' is a list(%s), expected list(%s)",
                              key, kind_name(v->v.list.elem), kind_name(elem));
    *out = &v->v.list;
    return NULL;
}

frt_status *frt_attr_get_int_list(const frt_attrs *a, const char *key, int max, int64_t *out,
                                  int *n) {
    const frt_attr_list *l;
    *n = 0;
    FRT_TRY(get_list(a, key, FRT_ATTR_I, &l));
    if (!l) return NULL;
    if (l->n > max)
        return frt_status_new(FRT_INVALID_ARGUMENT, "attr '%s' has %d entries, at most %d",
                              key, l->n, max);
    for (int k = 0; k < l->n; k++) out[k] = l->v.i[k];
    *n = l->n;
    return NULL;
}

frt_status *frt_attr_get_type_list(const frt_attrs *a, const char *key, int max,
                                   frt_dtype *out, int *n) {
    const frt_attr_list *l;
    *n = 0;
    FRT_TRY(get_list(a, key, FRT_ATTR_TYPE, &l));
    if (!l) return NULL;
    if (l->n > max)
        return frt_status_new(FRT_INVALID_ARGUMENT, "attr '%s' has %d entries, at most %d",
                              key, l->n, max);
    for (int k = 0; k < l->n; k++) out[k] = l->v.type[k];
    *n = l->n;
    return NULL;
}

frt_status *frt_attr_get_shape(const frt_attrs *a, const char *key, frt_attr_shape *out,
                               bool *found) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    memset(out, 0, sizeof *out);
    out->unknown_rank = true;
    *found = false;
    if (!v || v->kind == FRT_ATTR_NONE) return NULL;
    if (v->kind != FRT_ATTR_SHAPE) return wrong_kind(key, FRT_ATTR_SHAPE, v->kind);
    *out = v->v.shape;
    *found = true;
    return NULL;
}

const frt_tensor *frt_attr_get_tensor(const frt_attrs *a, const char *key) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    return v && v->kind == FRT_ATTR_TENSOR && v->v.tensor && !v->v.tensor->splat ? v->v.tensor
                                                                              : NULL;
}

const frt_tensor *frt_attr_get_splat(const frt_attrs *a, const char *key) {
    const frt_attr_value *v = frt_attrs_find(a, key);
    return v && v->kind == FRT_ATTR_TENSOR && v->v.tensor && v->v.tensor->splat ? v->v.tensor
                                                                             : NULL;
}

static bool func_equal(const frt_attr_func *a, const frt_attr_func *b) {
    if (strcmp(a->name ? a->name : "", b->name ? b->name : "") != 0) return false;
    if (!a->attrs || !b->attrs) return (a->attrs ? a->attrs->n : 0) == (b->attrs ? b->attrs->n : 0);
    return frt_attrs_equal(a->attrs, b->attrs);
}

static bool str_equal(frt_string a, frt_string b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool value_equal(const frt_attr_value *a, const frt_attr_value *b) {
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case FRT_ATTR_NONE: return true;
    case FRT_ATTR_S:
    case FRT_ATTR_PLACEHOLDER: return str_equal(a->v.s, b->v.s);
    case FRT_ATTR_I: return a->v.i == b->v.i;
    case FRT_ATTR_F: return memcmp(&a->v.f, &b->v.f, sizeof a->v.f) == 0;
    case FRT_ATTR_B: return a->v.b == b->v.b;
    case FRT_ATTR_TYPE: return a->v.type == b->v.type;
    case FRT_ATTR_SHAPE: return memcmp(&a->v.shape, &b->v.shape, sizeof a->v.shape) == 0;
    case FRT_ATTR_TENSOR: return a->v.tensor == b->v.tensor; /* copies share the tensor */
    case FRT_ATTR_FUNC: return func_equal(&a->v.func, &b->v.func);
    case FRT_ATTR_LIST: {
        const frt_attr_list *x = &a->v.list, *y = &b->v.list;
        if (x->n != y->n || (x->n && x->elem != y->elem)) return false;
        for (int k = 0; k < x->n; k++) {
            bool eq;
            switch (x->elem) {
            case FRT_ATTR_S: eq = str_equal(x->v.s[k], y->v.s[k]); break;
            case FRT_ATTR_TENSOR: eq = x->v.tensor[k] == y->v.tensor[k]; break;
            case FRT_ATTR_FUNC: eq = func_equal(&x->v.func[k], &y->v.func[k]); break;
            default: {
                size_t es = elem_size(x->elem);
                eq = memcmp((const char *)x->v.i + k * es, (const char *)y->v.i + k * es, es) == 0;
            }
            }
            if (!eq) return false;
        }
        return true;
    }
    default: return false;
    }
}

bool frt_attrs_equal(const frt_attrs *a, const frt_attrs *b) {
    if (a->n != b->n) return false;
    for (int k = 0; k < a->n; k++) {
        const frt_attr_value *v = frt_attrs_find(b, a->keys[k]);
        if (!v || !value_equal(&a->vals[k], v)) return false;
    }
    return true;
}
