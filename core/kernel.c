/* core/kernel.c: kernel registry, compute-context helpers and the single-kernel runner.
 * Owns: the (op, device, dtype) table. Does not own: scheduling (executor.c).
 * Thread-safety: the registry is written only while frt_init (runtime/init.c, a layer above)
 * fills it under pthread_once; lookups never fill it themselves. */
#include "core/kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bfc.h"
#include "core/device.h"

struct frt_kernel_registry {
    int n, cap;
    const frt_kernel_def **defs;
};

static frt_kernel_registry global_registry;

frt_kernel_registry *frt_kernel_registry_mutable(void);
frt_kernel_registry *frt_kernel_registry_mutable(void) { return &global_registry; }
const frt_kernel_registry *frt_kernel_registry_global(void) { return &global_registry; }

static const char *type_attr(const frt_kernel_def *d) { return d->type_attr ? d->type_attr : "T"; }

void frt_kernel_registry_add(frt_kernel_registry *r, const frt_kernel_def *defs, int n) {
    for (int k = 0; k < n; k++) {
        const frt_kernel_def *d = &defs[k];
        for (int j = 0; j < r->n; j++) {
            const frt_kernel_def *e = r->defs[j];
            FRT_ASSERT(!(strcmp(e->op, d->op) == 0 && e->device == d->device &&
                         e->dtype == d->dtype) &&
                       "duplicate kernel registration");
        }
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->defs = frt_xrealloc(r->defs, (size_t)r->cap * sizeof *r->defs);
        }
        r->defs[r->n++] = d;
    }
}

const frt_kernel_def *frt_kernel_find(const char *op, frt_device_type dev,
                                      const frt_attrs *attrs) {
    const frt_kernel_registry *r = &global_registry;
    const frt_kernel_def *any = NULL;
    for (int j = 0; j < r->n; j++) {
        const frt_kernel_def *d = r->defs[j];
        if (d->device != dev || strcmp(d->op, op) != 0) continue;
        if (d->dtype == FRT_DTYPE_INVALID) {
            any = d;
            continue;
        }
        const frt_attr_value *v = frt_attrs_find(attrs, type_attr(d));
        if (v && v->kind == FRT_ATTR_TYPE && frt_dtype_base(v->v.type) == d->dtype) return d;
    }
    return any;
}

bool frt_kernel_exists(const char *op, frt_device_type dev) {
    for (int j = 0; j < global_registry.n; j++)
        if (global_registry.defs[j]->device == dev && strcmp(global_registry.defs[j]->op, op) == 0)
            return true;
    return false;
}

int frt_kernel_list_ops(const char ***names) {
    const char **out = frt_xmalloc((size_t)(global_registry.n + 1) * sizeof *out);
    int n = 0;
    for (int j = 0; j < global_registry.n; j++) {
        const char *op = global_registry.defs[j]->op;
        bool seen = false;
        for (int k = 0; k < n && !seen; k++) seen = strcmp(out[k], op) == 0;
        if (!seen) out[n++] = op;
    }
    *names = out;
    return n;
}

frt_status *frt_kernel_output(frt_kernel_ctx *c, int i, frt_dtype dt, const int64_t *dims,
                              int ndim, frt_tensor **out) {
    FRT_ASSERT(i >= 0 && i < c->n_outputs);
    *out = NULL;
    frt_tensor *t;
    FRT_TRY(frt_tensor_alloc(c->alloc, dt, dims, ndim, &t));
    frt_tensor_unref(c->outputs[i]);
    c->outputs[i] = t;
    *out = t;
    return NULL;
}

void frt_kernel_set_output(frt_kernel_ctx *c, int i, frt_tensor *t) {
    FRT_ASSERT(i >= 0 && i < c->n_outputs);
    frt_tensor_ref(t);
    frt_tensor_unref(c->outputs[i]);
    c->outputs[i] = t;
}

frt_status *frt_kernel_forward_input(frt_kernel_ctx *c, int in, int i, frt_dtype dt,
                                     const int64_t *dims, int ndim, frt_tensor **out) {
    FRT_ASSERT(in >= 0 && in < c->n_inputs);
    frt_tensor *src = c->inputs[in];
    int64_t n = frt_shape_num_elements(dims, ndim);
    if (src && src->dtype == dt && frt_dtype_size(dt) > 0 && src->n == n && n > 0 &&
        frt_tensor_is_exclusive(src)) {
        frt_tensor *t;
        FRT_TRY(frt_tensor_view(src, dims, ndim, &t));
        frt_tensor_unref(c->outputs[i]);
        c->outputs[i] = t;
        *out = t;
        return NULL;
    }
    return frt_kernel_output(c, i, dt, dims, ndim, out);
}

/* ---- scratch ---- */

struct frt_kernel_temp {
    void *p;
    size_t bytes;
    frt_kernel_temp *next;
};

frt_status *frt_kernel_request_scratch(frt_kernel_init_ctx *ic, size_t bytes, int *index) {
    *index = -1;
    if (ic->n_scratch >= FRT_KERNEL_MAX_SCRATCH)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "node '%s' (%s) asks for more than %d scratch buffers",
                              ic->node_name, ic->op, FRT_KERNEL_MAX_SCRATCH);
    ic->scratch_bytes[ic->n_scratch] = bytes;
    *index = ic->n_scratch++;
    return NULL;
}

static frt_status *oom_on(frt_allocator *a, const char *node, size_t bytes, const char *what) {
    char state[192];
    frt_bfc_describe(a, state, sizeof state);
    return frt_status_new(FRT_RESOURCE_EXHAUSTED, "OOM allocating %zu bytes of %s for node '%s' "
                          "on %s: %s", bytes, what, node, a->name, state);
}

frt_status *frt_kernel_temp_alloc(frt_kernel_ctx *c, size_t bytes, void **out) {
    *out = NULL;
    frt_kernel_temp *t = frt_malloc(sizeof *t);
    void *p = t ? c->alloc->alloc(c->alloc, bytes ? bytes : 1) : NULL;
    if (!p) {
        free(t);
        return oom_on(c->alloc, c->node_name, bytes, "temporary memory");
    }
    t->p = p;
    t->bytes = bytes ? bytes : 1;
    t->next = c->temps;
    c->temps = t;
    *out = p;
    return NULL;
}

void frt_kernel_release_temps(frt_kernel_ctx *c) {
    for (frt_kernel_temp *t = c->temps, *next; t; t = next) {
        next = t->next;
        c->alloc->free(c->alloc, t->p, t->bytes);
        free(t);
    }
    c->temps = NULL;
}

frt_status *frt_kernel_scratch_alloc(frt_allocator *a, const char *node, int n,
                                     const size_t *bytes, void **out) {
    for (int i = 0; i < n; i++) out[i] = NULL;
    for (int i = 0; i < n; i++) {
        out[i] = a->alloc(a, bytes[i] ? bytes[i] : 1);
        if (!out[i]) {
            frt_kernel_scratch_free(a, n, bytes, out);
            return oom_on(a, node, bytes[i], "scratch memory");
        }
    }
    return NULL;
}

void frt_kernel_scratch_free(frt_allocator *a, int n, const size_t *bytes, void **bufs) {
    for (int i = 0; i < n; i++)
        if (bufs[i]) a->free(a, bufs[i], bytes[i] ? bytes[i] : 1);
}

frt_status *frt_kernel_run_once(const char *op, const frt_attrs *attrs,
                                frt_tensor *const *inputs, int n_inputs, frt_tensor **outputs,
                                int n_outputs, frt_threadpool *pool) {
    for (int i = 0; i < n_outputs; i++) outputs[i] = NULL;
    const frt_kernel_def *d = frt_kernel_find(op, FRT_DEVICE_CPU, attrs);
    if (!d) return frt_status_new(FRT_NOT_FOUND, "no CPU kernel for op %s", op);
    frt_dtype types[64];
    if (n_inputs > 64 || n_outputs > 64)
        return frt_status_new(FRT_INVALID_ARGUMENT, "too many inputs or outputs");
    /* Our own references, so no kernel ever writes into the caller's (borrowed) inputs. */
    frt_tensor *ins[64];
    for (int i = 0; i < n_inputs; i++) {
        ins[i] = frt_tensor_ref(inputs[i]);
        types[i] = inputs[i] ? inputs[i]->dtype : FRT_DTYPE_INVALID;
    }
    frt_kernel_init_ctx ic = {.node_name = op, .op = op, .attrs = attrs, .n_inputs = n_inputs,
                              .input_types = types,
                              .const_inputs = (const frt_tensor *const *)ins,
                              .n_outputs = n_outputs, .device = frt_device_cpu()};
    void *state = NULL;
    frt_tensor *outs[64] = {0};
    frt_status *ist = d->init ? d->init(&ic, &state) : NULL;
    if (ist) {
        for (int i = 0; i < n_inputs; i++) frt_tensor_unref(ins[i]);
        return ist;
    }
    frt_allocator *alloc = frt_cpu_allocator_default();
    void *scratch[FRT_KERNEL_MAX_SCRATCH];
    frt_status *st = frt_kernel_scratch_alloc(alloc, op, ic.n_scratch, ic.scratch_bytes, scratch);
    if (!st) {
        frt_kernel_ctx c = {.def = d, .node_name = op, .attrs = attrs, .state = state,
                            .n_inputs = n_inputs, .inputs = ins,
                            .n_outputs = n_outputs, .outputs = outs,
                            .alloc = alloc, .pool = pool, .intra_threads = 0,
                            .device = frt_device_cpu(), .scratch = scratch};
        st = d->compute(&c);
        frt_kernel_release_temps(&c);
        frt_kernel_scratch_free(alloc, ic.n_scratch, ic.scratch_bytes, scratch);
    }
    if (d->free_state) d->free_state(state);
    for (int i = 0; i < n_inputs; i++) frt_tensor_unref(ins[i]);
    for (int i = 0; !st && i < n_outputs; i++)
        if (!outs[i]) st = frt_status_new(FRT_INTERNAL, "kernel %s did not set output %d", op, i);
    if (st) {
        for (int i = 0; i < n_outputs; i++) frt_tensor_unref(outs[i]);
        return st;
    }
    for (int i = 0; i < n_outputs; i++) outputs[i] = outs[i];
    return NULL;
}
