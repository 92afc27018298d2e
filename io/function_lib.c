/* io/function_lib.c: FunctionDefLibrary → function library IR.
 * Owns: the field-by-field mapping of FunctionDef / OpDef signature / GradientDef into
 * graph/function.h. Does not own: attr and tensor decoding rules (tensor_proto.c), inlining
 * (graph/inline.c), writing back (graphdef_write.c). Thread-safety: reentrant. */
#include "io/function_lib.h"

#include <stdlib.h>
#include <string.h>

#include "io/tensor_proto.h"

/* A copy of s, NULL when empty; *ok turns false when out of memory. */
static char *nonempty_dup(const char *s, bool *ok) {
    char *d = s && *s ? frt_strdup(s) : NULL;
    if (s && *s && !d) *ok = false;
    return d;
}

/* False when a is NULL (not added) or out of memory. */
static bool convert_arg(frt_func_arg *a, const Tensorflow__OpDef__ArgDef *ad) {
    if (!a) return false;
    bool ok = true;
    a->type = frt_dtype_base((int)ad->type);
    a->type_attr = nonempty_dup(ad->type_attr, &ok);
    a->number_attr = nonempty_dup(ad->number_attr, &ok);
    a->type_list_attr = nonempty_dup(ad->type_list_attr, &ok);
    a->is_ref = ad->is_ref || (int)ad->type > 100;
    return ok;
}

static frt_status *convert_function(frt_function_lib *lib, Tensorflow__FunctionDef *fd,
                                    size_t index) {
    const Tensorflow__OpDef *sig = fd->signature;
    if (!sig || !sig->name || !*sig->name)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "function library entry %zu has no signature name", index);
    frt_function *fn = frt_function_lib_add(lib, sig->name);
    if (!fn) return frt_status_oom("reading function '%s'", sig->name);
    for (size_t i = 0; i < sig->n_input_arg; i++)
        if (!convert_arg(frt_function_add_arg(fn, false, sig->input_arg[i]->name),
                         sig->input_arg[i]))
            return frt_status_oom("reading the inputs of function '%s'", fn->name);
    for (size_t i = 0; i < sig->n_output_arg; i++)
        if (!convert_arg(frt_function_add_arg(fn, true, sig->output_arg[i]->name),
                         sig->output_arg[i]))
            return frt_status_oom("reading the outputs of function '%s'", fn->name);
    for (size_t i = 0; i < sig->n_control_output; i++)
        if (!frt_function_add_control_output(fn, sig->control_output[i]))
            return frt_status_oom("reading function '%s'", fn->name);
    fn->is_stateful = sig->is_stateful;
    for (size_t i = 0; i < sig->n_attr; i++) {
        Tensorflow__OpDef__AttrDef *ad = sig->attr[i];
        frt_func_attr_def *d = frt_function_add_attr_def(fn, ad->name, ad->type);
        if (!d) return frt_status_oom("reading the attrs of function '%s'", fn->name);
        if (ad->default_value) {
            frt_status *st = frt_attr_value_from_proto(ad->default_value, &d->def);
            if (st)
                return frt_status_annotate(st, " in the default of attr '%s' of function '%s'",
                                           d->name, fn->name);
            d->has_default = true;
        }
    }
    for (size_t i = 0; i < fd->n_attr; i++) {
        Tensorflow__FunctionDef__AttrEntry *e = fd->attr[i];
        frt_status *st = frt_attrs_add_from_proto(&fn->attrs, e->key ? e->key : "", e->value,
                                                  true);
        if (st) return frt_status_annotate(st, " of function '%s'", fn->name);
    }
    for (size_t i = 0; i < fd->n_node_def; i++) {
        Tensorflow__NodeDef *nd = fd->node_def[i];
        frt_func_node *n = frt_function_add_node(fn, nd->name, nd->op, nd->device);
        if (!n) return frt_status_oom("reading the nodes of function '%s'", fn->name);
        for (size_t k = 0; k < nd->n_input; k++)
            if (!frt_func_node_add_input(n, nd->input[k]))
                return frt_status_oom("reading node '%s' of function '%s'", n->name, fn->name);
        for (size_t k = 0; k < nd->n_attr; k++) {
            Tensorflow__NodeDef__AttrEntry *e = nd->attr[k];
            frt_status *st = frt_attrs_add_from_proto(&n->attrs, e->key ? e->key : "",
                                                      e->value, true);
            if (st)
                return frt_status_annotate(st, " of node '%s' (%s) in function '%s'", n->name,
                                           n->op, fn->name);
        }
    }
    for (size_t i = 0; i < fd->n_ret; i++)
        if (!frt_function_add_ret(fn, false, fd->ret[i]->key, fd->ret[i]->value))
            return frt_status_oom("reading the rets of function '%s'", fn->name);
    for (size_t i = 0; i < fd->n_control_ret; i++)
        if (!frt_function_add_ret(fn, true, fd->control_ret[i]->key, fd->control_ret[i]->value))
            return frt_status_oom("reading the control rets of function '%s'", fn->name);
    if (fd->n_arg_attr) {
        fn->arg_attrs = frt_calloc(fd->n_arg_attr, sizeof *fn->arg_attrs);
        if (!fn->arg_attrs) return frt_status_oom("reading function '%s'", fn->name);
        for (size_t i = 0; i < fd->n_arg_attr; i++) {
            Tensorflow__FunctionDef__ArgAttrEntry *e = fd->arg_attr[i];
            frt_func_arg_attrs *a = &fn->arg_attrs[fn->n_arg_attrs++];
            a->index = e->key;
            frt_attrs_init(&a->attrs);
            for (size_t k = 0; e->value && k < e->value->n_attr; k++) {
                Tensorflow__FunctionDef__ArgAttrs__AttrEntry *ae = e->value->attr[k];
                frt_status *st = frt_attrs_add_from_proto(&a->attrs, ae->key ? ae->key : "",
                                                          ae->value, true);
                if (st)
                    return frt_status_annotate(st, " of arg %u of function '%s'", a->index,
                                               fn->name);
            }
        }
    }
    if (fd->n_resource_arg_unique_id) {
        fn->resource_ids =
            frt_malloc(fd->n_resource_arg_unique_id * sizeof *fn->resource_ids);
        if (!fn->resource_ids) return frt_status_oom("reading function '%s'", fn->name);
        for (size_t i = 0; i < fd->n_resource_arg_unique_id; i++) {
            fn->resource_ids[i][0] = fd->resource_arg_unique_id[i]->key;
            fn->resource_ids[i][1] = fd->resource_arg_unique_id[i]->value;
        }
        fn->n_resource_ids = (int)fd->n_resource_arg_unique_id;
    }
    return NULL;
}

frt_status *frt_function_lib_from_proto(Tensorflow__FunctionDefLibrary *lib,
                                        frt_function_lib **out) {
    *out = NULL;
    frt_function_lib *l = frt_function_lib_new();
    if (!l) return frt_status_oom("reading a function library");
    for (size_t i = 0; i < lib->n_function; i++) {
        frt_status *st = convert_function(l, lib->function[i], i);
        if (st) {
            frt_function_lib_free(l);
            return st;
        }
    }
    if (lib->n_gradient) {
        l->gradients = frt_calloc(lib->n_gradient, sizeof *l->gradients);
        l->n_gradients = l->gradients ? (int)lib->n_gradient : 0;
        bool ok = l->gradients != NULL;
        for (size_t i = 0; ok && i < lib->n_gradient; i++) {
            const Tensorflow__GradientDef *gd = lib->gradient[i];
            l->gradients[i].key = frt_strdup(gd->function_name ? gd->function_name : "");
            l->gradients[i].value = frt_strdup(gd->gradient_func ? gd->gradient_func : "");
            ok = l->gradients[i].key && l->gradients[i].value;
        }
        if (!ok) {
            frt_function_lib_free(l);
            return frt_status_oom("reading the gradients of a function library");
        }
    }
    *out = l;
    return NULL;
}
