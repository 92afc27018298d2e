/* core/attr.h: node attribute values (TensorFlow's AttrValue) and typed getters.
 * Graph IR stores them; kernels read them through their init/compute context.
 * Thread-safety: immutable once the graph is built. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/tensor.h"

typedef enum frt_attr_kind {
    FRT_ATTR_NONE = 0,   /* unset; an empty list also has elem kind NONE */
    FRT_ATTR_S,
    FRT_ATTR_I,
    FRT_ATTR_F,
    FRT_ATTR_B,
    FRT_ATTR_TYPE,
    FRT_ATTR_SHAPE,
    FRT_ATTR_TENSOR,
    FRT_ATTR_FUNC,
    FRT_ATTR_PLACEHOLDER,
    FRT_ATTR_LIST,
} frt_attr_kind;

typedef struct frt_attr_shape {
    bool unknown_rank;
    int ndim;
    int64_t dims[FRT_MAX_DIMS]; /* -1 = unknown */
} frt_attr_shape;

typedef struct frt_attrs frt_attrs;
typedef struct frt_attr_value frt_attr_value;

typedef struct frt_attr_func {
    char *name;
    frt_attrs *attrs;   /* owned; may be NULL */
} frt_attr_func;

typedef struct frt_attr_list {
    frt_attr_kind elem;  /* kind of the elements; NONE when empty */
    int n;
    union {
        frt_string *s;
        int64_t *i;
        float *f;
        bool *b;
        frt_dtype *type;
        frt_attr_shape *shape;
        frt_tensor **tensor;
        frt_attr_func *func;
    } v;
} frt_attr_list;

struct frt_attr_value {
    frt_attr_kind kind;
    union {
        frt_string s;        /* S and PLACEHOLDER */
        int64_t i;
        float f;
        bool b;
        frt_dtype type;
        frt_attr_shape shape;
        frt_tensor *tensor;  /* one reference owned */
        frt_attr_func func;
        frt_attr_list list;
    } v;
};

/* An attr map: keys are unique. */
struct frt_attrs {
    int n, cap;
    char **keys;
    frt_attr_value *vals;
};

void frt_attrs_init(frt_attrs *a);
void frt_attrs_deinit(frt_attrs *a);
/* Moves *v into the map (v is zeroed) under key, replacing an existing key.
 * RESOURCE_EXHAUSTED when out of memory: then *v is untouched and still the caller's. */
FRT_MUST_USE frt_status *frt_attrs_try_set(frt_attrs *a, const char *key, frt_attr_value *v);
const frt_attr_value *frt_attrs_find(const frt_attrs *a, const char *key);
void frt_attr_value_deinit(frt_attr_value *v);
/* Deep copies. RESOURCE_EXHAUSTED when out of memory, with *dst holding nothing. */
FRT_MUST_USE frt_status *frt_attr_value_try_copy(frt_attr_value *dst, const frt_attr_value *src);
FRT_MUST_USE frt_status *frt_attrs_try_copy(frt_attrs *dst, const frt_attrs *src);
/* The same, aborting when out of memory (callers not yet converted). */
void frt_attrs_set(frt_attrs *a, const char *key, frt_attr_value *v);
void frt_attr_value_copy(frt_attr_value *dst, const frt_attr_value *src);
void frt_attrs_copy(frt_attrs *dst, const frt_attrs *src);

/* Typed getters: NULL status with *out = default when the attr is absent (def_ok), an
 * INVALID_ARGUMENT status naming the attr when it has the wrong kind. Pass a NULL-able
 * default by using the _req variants, which fail when the attr is missing. */
frt_status *frt_attr_get_int(const frt_attrs *a, const char *key, int64_t def, int64_t *out);
frt_status *frt_attr_get_float(const frt_attrs *a, const char *key, float def, float *out);
frt_status *frt_attr_get_bool(const frt_attrs *a, const char *key, bool def, bool *out);
frt_status *frt_attr_get_type(const frt_attrs *a, const char *key, frt_dtype def,
                              frt_dtype *out);
/* String value borrowed from the attrs; def returned when absent. */
frt_status *frt_attr_get_str(const frt_attrs *a, const char *key, const char *def,
                             const char **out);
/* List of ints (absent -> n = 0 unless required). out must hold max entries. */
frt_status *frt_attr_get_int_list(const frt_attrs *a, const char *key, int max, int64_t *out,
                                  int *n);
frt_status *frt_attr_get_type_list(const frt_attrs *a, const char *key, int max,
                                   frt_dtype *out, int *n);
frt_status *frt_attr_get_shape(const frt_attrs *a, const char *key, frt_attr_shape *out,
                               bool *found);
/* A tensor attr whose values can be read; NULL when absent, not a tensor, or a splat (a
 * compressed constant, core/tensor.h), which frt_attr_get_splat returns instead. */
const frt_tensor *frt_attr_get_tensor(const frt_attrs *a, const char *key);
const frt_tensor *frt_attr_get_splat(const frt_attrs *a, const char *key);
/* Whether a and b hold the same keys with equal values; tensors are equal only when they
 * are the same tensor (copies share it), so false may mean merely "not known equal". */
bool frt_attrs_equal(const frt_attrs *a, const frt_attrs *b);
