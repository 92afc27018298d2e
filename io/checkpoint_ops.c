/* io/checkpoint_ops.c: kernels of the checkpoint ops (ops.md §1): RestoreV2, SaveV2,
 * MergeV2Checkpoints, and the string helpers savers wire around them (ShardedFilename,
 * ShardedFilespec, StringJoin, StaticRegexFullMatch). Registered from runtime/init.c.
 * Owns: argument checking and the mapping onto io/bundle. Does not own: the bundle format.
 * Thread-safety: kernels keep no mutable state (StaticRegexFullMatch's compiled pattern is
 * read-only; glibc's regexec may be called concurrently). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/bundle.h"
#include "io/sstable.h"
#include "core/kernel.h"
#include "core/resource.h"

void frt_io_register_kernels(frt_kernel_registry *r);

/* ---- argument helpers ---- */

static frt_status *want_strings(frt_kernel_ctx *c, int i, const char *arg, bool scalar) {
    const frt_tensor *t = frt_kernel_input(c, i);
    if (!t || t->dtype != FRT_DTYPE_STRING)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: input '%s' must be a string tensor",
                              c->def->op, arg);
    if (scalar && t->ndim != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: input '%s' must be a scalar, got "
                              "shape %s", c->def->op, arg, FRT_SHAPE_STR(t));
    return NULL;
}

/* Element i of a string tensor as a NUL-terminated copy (the caller frees); NULL when out
 * of memory. */
static char *cstr(const frt_tensor *t, int64_t i) {
    const frt_string *s = &frt_tensor_strings(t)[i];
    return frt_strndup(s->ptr ? s->ptr : "", s->len);
}

/* ---- RestoreV2 / SaveV2 ---- */

static frt_status *restore_v2(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "prefix", true));
    FRT_TRY(want_strings(c, 1, "tensor_names", false));
    FRT_TRY(want_strings(c, 2, "shape_and_slices", false));
    const frt_tensor *names = frt_kernel_input(c, 1), *slices = frt_kernel_input(c, 2);
    const frt_attr_value *dv = frt_attrs_find(c->attrs, "dtypes");
    int n = dv && dv->kind == FRT_ATTR_LIST ? dv->v.list.n : 0;
    if (names->n != n || slices->n != n || c->n_outputs != n)
        return frt_status_new(FRT_INVALID_ARGUMENT, "RestoreV2: tensor_names has %lld "
                              "elements, shape_and_slices %lld, dtypes %d and the node %d "
                              "outputs; they must agree", (long long)names->n,
                              (long long)slices->n, n, c->n_outputs);
    if (n && dv->v.list.elem != FRT_ATTR_TYPE)
        return frt_status_new(FRT_INVALID_ARGUMENT, "RestoreV2: attr dtypes is not a type list");
    char *prefix = cstr(frt_kernel_input(c, 0), 0);
    if (!prefix) return frt_status_oom("RestoreV2: reading the prefix");
    frt_bundle *b = NULL;
    /* Tensors own their bytes unless the session opted into zero copy (flowrt.h). */
    unsigned flags =
        frt_resource_mgr_checkpoint_zero_copy(c->resources) ? FRT_BUNDLE_ZERO_COPY : 0;
    frt_status *st = frt_bundle_open_flags(prefix, flags, &b);
    for (int i = 0; i < n && !st; i++) {
        char *name = cstr(names, i), *spec = cstr(slices, i);
        frt_tensor *t = NULL;
        st = name && spec ? frt_bundle_read_slice(b, name, spec, &t)
                          : frt_status_oom("RestoreV2: reading tensor name %d", i);
        if (!st && t->dtype != frt_dtype_base(dv->v.list.v.type[i]))
            st = frt_status_new(FRT_INVALID_ARGUMENT, "tensor '%s' in checkpoint %s has dtype "
                                "%s but RestoreV2 expects %s (dtypes[%d])", name, prefix,
                                frt_dtype_name(t->dtype),
                                frt_dtype_name(frt_dtype_base(dv->v.list.v.type[i])), i);
        if (!st) frt_kernel_set_output(c, i, t);
        frt_tensor_unref(t);
        free(name);
        free(spec);
    }
    frt_bundle_free(b);
    free(prefix);
    return st;
}

static frt_status *save_v2(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "prefix", true));
    FRT_TRY(want_strings(c, 1, "tensor_names", false));
    FRT_TRY(want_strings(c, 2, "shape_and_slices", false));
    const frt_tensor *names = frt_kernel_input(c, 1), *slices = frt_kernel_input(c, 2);
    int n = c->n_inputs - 3;
    if (names->n != n || slices->n != n)
        return frt_status_new(FRT_INVALID_ARGUMENT, "SaveV2: tensor_names has %lld elements "
                              "and shape_and_slices %lld, but %d tensors are given",
                              (long long)names->n, (long long)slices->n, n);
    char *prefix = cstr(frt_kernel_input(c, 0), 0);
    if (!prefix) return frt_status_oom("SaveV2: reading the prefix");
    frt_bundle_writer *w = NULL;
    frt_status *st = frt_bundle_writer_new(prefix, &w);
    for (int i = 0; i < n && !st; i++) {
        char *name = cstr(names, i), *spec = cstr(slices, i);
        const frt_tensor *t = frt_kernel_input(c, 3 + i);
        st = !name || !spec ? frt_status_oom("SaveV2: reading tensor name %d", i)
             : spec[0]      ? frt_bundle_writer_add_slice(w, name, spec, t)
                            : frt_bundle_writer_add(w, name, t);
        if (st) st = frt_status_annotate(st, " (SaveV2 to '%s')", prefix);
        free(name);
        free(spec);
    }
    if (!st) st = frt_bundle_writer_finish(w);
    frt_bundle_writer_free(w);
    free(prefix);
    return st;
}

static frt_status *merge_v2(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "checkpoint_prefixes", false));
    FRT_TRY(want_strings(c, 1, "destination_prefix", true));
    bool del = true, allow = false;
    FRT_TRY(frt_attr_get_bool(c->attrs, "delete_old_dirs", true, &del));
    FRT_TRY(frt_attr_get_bool(c->attrs, "allow_missing_files", false, &allow));
    const frt_tensor *in = frt_kernel_input(c, 0);
    char **p = frt_calloc((size_t)(in->n ? in->n : 1), sizeof *p);
    if (!p) return frt_status_oom("MergeV2Checkpoints: reading %lld prefixes", (long long)in->n);
    bool ok = true;
    for (int64_t i = 0; i < in->n; i++) ok = (p[i] = cstr(in, i)) && ok;
    char *dest = cstr(frt_kernel_input(c, 1), 0);
    frt_status *st = ok && dest
                         ? frt_bundle_merge((const char *const *)p, (int)in->n, dest, del, allow)
                         : frt_status_oom("MergeV2Checkpoints: reading the prefixes");
    for (int64_t i = 0; i < in->n; i++) free(p[i]);
    free(p);
    free(dest);
    return st;
}

/* ---- file names ---- */

static frt_status *scalar_int(frt_kernel_ctx *c, int i, const char *arg, int64_t *v) {
    const frt_tensor *t = frt_kernel_input(c, i);
    if (!t || (t->dtype != FRT_DTYPE_INT32 && t->dtype != FRT_DTYPE_INT64) || t->ndim != 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s: input '%s' must be an int32 scalar",
                              c->def->op, arg);
    *v = frt_tensor_int_at(t, 0);
    return NULL;
}

static frt_status *set_scalar_string(frt_kernel_ctx *c, const char *s) {
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_STRING, NULL, 0, &out));
    return frt_tensor_set_string(out, 0, s, strlen(s));
}

/* "%s-%05d-of-%05d", as TF's ShardedFilename. */
static frt_status *sharded_filename(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "basename", true));
    int64_t shard = 0, num = 0;
    FRT_TRY(scalar_int(c, 1, "shard", &shard));
    FRT_TRY(scalar_int(c, 2, "num_shards", &num));
    char *base = cstr(frt_kernel_input(c, 0), 0);
    size_t n = base ? strlen(base) + 48 : 0;
    char *s = base ? frt_malloc(n) : NULL;
    if (!s) {
        free(base);
        return frt_status_oom("ShardedFilename");
    }
    snprintf(s, n, "%s-%05d-of-%05d", base, (int)shard, (int)num);
    frt_status *st = set_scalar_string(c, s);
    free(s);
    free(base);
    return st;
}

static frt_status *sharded_filespec(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "basename", true));
    int64_t num = 0;
    FRT_TRY(scalar_int(c, 1, "num_shards", &num));
    char *base = cstr(frt_kernel_input(c, 0), 0);
    size_t n = base ? strlen(base) + 32 : 0;
    char *s = base ? frt_malloc(n) : NULL;
    if (!s) {
        free(base);
        return frt_status_oom("ShardedFilespec");
    }
    snprintf(s, n, "%s-\?\?\?\?\?-of-%05d", base, (int)num);
    frt_status *st = set_scalar_string(c, s);
    free(s);
    free(base);
    return st;
}

/* ---- StringJoin: elementwise concatenation, scalars broadcast ---- */

static frt_status *string_join(frt_kernel_ctx *c) {
    const char *sep = "";
    FRT_TRY(frt_attr_get_str(c->attrs, "separator", "", &sep));
    size_t seplen = strlen(sep);
    const frt_tensor *shape = NULL;
    for (int i = 0; i < c->n_inputs; i++) {
        char arg[32];
        snprintf(arg, sizeof arg, "inputs[%d]", i);
        FRT_TRY(want_strings(c, i, arg, false));
        const frt_tensor *t = frt_kernel_input(c, i);
        if (t->ndim == 0) continue;
        if (!shape)
            shape = t;
        else if (!frt_tensor_same_shape(shape, t))
            return frt_status_new(FRT_INVALID_ARGUMENT, "StringJoin: inputs must be scalars or "
                                  "have the same shape, got %s and %s", FRT_SHAPE_STR(shape),
                                  FRT_SHAPE_STR(t));
    }
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_STRING, shape ? shape->dims : NULL,
                              shape ? shape->ndim : 0, &out));
    frt_bytes buf = {0};
    frt_status *st = NULL;
    for (int64_t k = 0; k < out->n && !st; k++) {
        buf.n = 0;
        for (int i = 0; i < c->n_inputs; i++) {
            const frt_tensor *t = frt_kernel_input(c, i);
            const frt_string *s = &frt_tensor_strings(t)[t->ndim ? k : 0];
            if ((i && !frt_bytes_try_append(&buf, sep, seplen)) ||
                !frt_bytes_try_append(&buf, s->ptr, s->len))
                st = frt_status_oom("StringJoin");
        }
        if (!st) st = frt_tensor_set_string(out, k, buf.n ? (const char *)buf.p : "", buf.n);
    }
    free(buf.p);
    return st;
}

/* ---- StaticRegexFullMatch (TF uses RE2; POSIX extended syntax covers what savers use) ---- */

static frt_status *regex_init(frt_kernel_init_ctx *ic, void **state) {
    const char *pat = NULL;
    FRT_TRY(frt_attr_get_str(ic->attrs, "pattern", NULL, &pat));
    if (!pat)
        return frt_status_new(FRT_INVALID_ARGUMENT, "StaticRegexFullMatch: missing attr pattern");
    size_t n = strlen(pat) + 8;
    char *full = frt_malloc(n);
    regex_t *re = frt_malloc(sizeof *re);
    if (!full || !re) {
        free(full);
        free(re);
        return frt_status_oom("StaticRegexFullMatch: compiling its pattern");
    }
    snprintf(full, n, "^(%s)$", pat);
    int rc = regcomp(re, full, REG_EXTENDED | REG_NOSUB);
    free(full);
    if (rc != 0) {
        char msg[128];
        regerror(rc, re, msg, sizeof msg);
        free(re);
        return frt_status_new(FRT_INVALID_ARGUMENT, "StaticRegexFullMatch: invalid pattern "
                              "'%s': %s", pat, msg);
    }
    *state = re;
    return NULL;
}

static void regex_free(void *state) {
    if (!state) return;
    regfree(state);
    free(state);
}

static frt_status *regex_full_match(frt_kernel_ctx *c) {
    FRT_TRY(want_strings(c, 0, "input", false));
    const frt_tensor *in = frt_kernel_input(c, 0);
    frt_tensor *out;
    FRT_TRY(frt_kernel_output(c, 0, FRT_DTYPE_BOOL, in->dims, in->ndim, &out));
    uint8_t *o = frt_tensor_data(out);
    for (int64_t i = 0; i < in->n; i++) {
        const frt_string *s = &frt_tensor_strings(in)[i];
        /* regexec stops at a NUL; a string holding one cannot match a text pattern fully. */
        char *z = frt_strndup(s->ptr ? s->ptr : "", s->len);
        if (!z) return frt_status_oom("StaticRegexFullMatch");
        o[i] = strlen(z) == s->len && regexec(c->state, z, 0, NULL, 0) == 0;
        free(z);
    }
    return NULL;
}

static const frt_kernel_def defs[] = {
    {"RestoreV2", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, restore_v2, NULL, NULL, 0, NULL},
    {"SaveV2", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, save_v2, NULL, NULL, 0, NULL},
    {"MergeV2Checkpoints", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, merge_v2, NULL, NULL, 0, NULL},
    {"ShardedFilename", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, sharded_filename, NULL, NULL, 0, NULL},
    {"ShardedFilespec", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, sharded_filespec, NULL, NULL, 0, NULL},
    {"StringJoin", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, string_join, NULL, NULL, 0, NULL},
    {"StaticRegexFullMatch", FRT_DEVICE_CPU, FRT_DTYPE_INVALID, regex_full_match, regex_init,
     regex_free, 0, NULL},
};

void frt_io_register_kernels(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
