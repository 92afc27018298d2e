/* kernels/accel_const.c: Const on an accelerator (FRT_DEVICE_CUDA): the value is copied into
 * the device's memory once, when the plan is built, and every run hands out that tensor —
 * as TF's GPU Const kernel holds its tensor on the device. Device-neutral: it uses only the
 * device interface (core/device.h), so any accelerator backend gets it.
 * Owns: the one upload per plan node. Does not own: the CPU Const (kernels/basic.c), the
 * device's allocator and copies (the backend).
 * Memory: the copy comes from the device's process-wide allocator (plans are built before
 * any run has a session budget to charge), so it counts against the GPU's cap and shows in
 * its statistics, but not in a session's own budget.
 * Thread-safety: the uploaded tensor is immutable; compute only adds references. */
#include <string.h>

#include "core/device.h"
#include "core/kernel.h"

static frt_status *upload(frt_kernel_init_ctx *ic, const frt_tensor *v, void **state);

static frt_status *accel_const_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    const frt_tensor *v = frt_attr_get_tensor(ic->attrs, "value");
    frt_tensor *expanded = NULL; /* a splat (core/tensor.h), expanded on the host first */
    if (!v && frt_attr_get_splat(ic->attrs, "value")) {
        FRT_TRY(frt_tensor_materialize(frt_attr_get_splat(ic->attrs, "value"),
                                       frt_cpu_allocator_default(), &expanded));
        v = expanded;
    }
    if (!v) return frt_status_new(FRT_INVALID_ARGUMENT, "Const node '%s' has no 'value' attr",
                                  ic->node_name);
    frt_status *st = upload(ic, v, state);
    frt_tensor_unref(expanded);
    return st;
}

static frt_status *upload(frt_kernel_init_ctx *ic, const frt_tensor *v, void **state) {
    frt_dtype want;
    FRT_TRY(frt_attr_get_type(ic->attrs, "dtype", v->dtype, &want));
    if (frt_dtype_base(want) != v->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Const node '%s': dtype attr %s does not match value dtype %s",
                              ic->node_name, frt_dtype_name(want), frt_dtype_name(v->dtype));
    const frt_device *cd = ic->device;
    frt_device *d = (frt_device *)cd;
    if (frt_device_is_host(d) || !d->alloc || v->dtype == FRT_DTYPE_INT32) {
        /* host memory (int32: its output is host memory by TF's rule): the value as is */
        *state = frt_tensor_ref((frt_tensor *)v);
        return NULL;
    }
    frt_tensor *t = NULL;
    FRT_TRY(frt_tensor_alloc(d->alloc, v->dtype, v->dims, v->ndim, &t));
    size_t n = frt_tensor_nbytes(v);
    frt_status *st = n ? d->ops->copy_to_device(d, frt_tensor_device_ptr(t),
                                                frt_tensor_device_ptr(v), n, (frt_tensor *)v)
                       : NULL;
    if (!st) st = d->ops->sync(d);
    if (st) {
        frt_tensor_unref(t);
        return frt_status_annotate(st, " (uploading Const '%s' to %s)", ic->node_name, d->name);
    }
    *state = t;
    return NULL;
}

static void accel_const_free(void *state) { frt_tensor_unref(state); }

static frt_status *accel_const_compute(frt_kernel_ctx *c) {
    frt_kernel_set_output(c, 0, c->state);
    return NULL;
}

/* Numbers only: strings and resources live in host memory (their Consts stay on the CPU),
 * and int32 follows TF's rule for GPU kernels: int32 tensors stay in host memory. */
#define ACCEL_CONST(T)                                                                     \
    {"Const", FRT_DEVICE_CUDA, T, accel_const_compute, accel_const_init, accel_const_free,  \
     0, "dtype"}
static const frt_kernel_def defs[] = {
    ACCEL_CONST(FRT_DTYPE_FLOAT),
    ACCEL_CONST(FRT_DTYPE_HALF),
    ACCEL_CONST(FRT_DTYPE_DOUBLE),
    ACCEL_CONST(FRT_DTYPE_INT64),
    ACCEL_CONST(FRT_DTYPE_BOOL),
    {"Const", FRT_DEVICE_CUDA, FRT_DTYPE_INT32, accel_const_compute, accel_const_init,
     accel_const_free, FRT_HOST_OUT(0), "dtype"},
};

void frt_kernels_register_accel_const(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)(sizeof defs / sizeof *defs));
}
