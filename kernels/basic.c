/* kernels/basic.c: graph plumbing kernels: Const, Placeholder, PlaceholderWithDefault,
 * Identity, IdentityN, StopGradient, Snapshot, PreventGradient, NoOp, CheckNumerics,
 * ZerosLike, OnesLike.
 * Owns: pass-through outputs (references, never copies), the unfed-placeholder error.
 * Does not own: feeding (the executor replaces fed Placeholder outputs before running them).
 * Thread-safety: kernels keep no state, except a Const holding a splat, whose expansion is
 * published once with an atomic compare-and-swap. */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "kernels/array_impl.h"
#include "core/kernel.h"

/* Const: the decoded `value` attr tensor itself, one more reference and no copy. A splat
 * (a compressed proto kept unexpanded, core/tensor.h) is expanded on the node's first
 * run, from the session's allocator, so its memory limit applies (RESOURCE_EXHAUSTED naming
 * the node instead of an OOM kill; TF expands such protos when building the graph), and the
 * expansion is kept in the node's state for every later run: expanding it again each run
 * made a 4 MB splat weight cost a third more per MatMul run (bench_models). */
typedef struct const_state {
    _Atomic(frt_tensor *) expanded; /* NULL until the first run that expands succeeds */
} const_state;

static frt_status *const_init(frt_kernel_init_ctx *ic, void **state) {
    *state = NULL;
    if (!frt_attr_get_splat(ic->attrs, "value")) return NULL; /* nothing to keep */
    const_state *s = frt_malloc(sizeof *s);
    if (!s) return frt_status_oom("preparing Const node '%s'", ic->node_name);
    atomic_init(&s->expanded, NULL);
    *state = s;
    return NULL;
}

static void const_free(void *state) {
    const_state *s = state;
    if (!s) return; /* not a splat */
    frt_tensor_unref(atomic_load(&s->expanded));
    free(s);
}

static frt_status *const_compute(frt_kernel_ctx *c) {
    const_state *cs = c->state;
    frt_tensor *kept = cs ? atomic_load_explicit(&cs->expanded, memory_order_acquire) : NULL;
    if (kept) {
        frt_kernel_set_output(c, 0, kept);
        return NULL;
    }
    const frt_tensor *v = frt_attr_get_tensor(c->attrs, "value");
    if (!v) v = frt_attr_get_splat(c->attrs, "value");
    if (!v) return frt_status_new(FRT_INVALID_ARGUMENT, "Const node '%s' has no 'value' attr",
                                  c->node_name);
    frt_dtype want;
    FRT_TRY(frt_attr_get_type(c->attrs, "dtype", v->dtype, &want));
    if (frt_dtype_base(want) != v->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "Const node '%s': dtype attr %s does not match value dtype %s",
                              c->node_name, frt_dtype_name(want), frt_dtype_name(v->dtype));
    frt_tensor *t;
    FRT_TRY(frt_tensor_materialize(v, c->alloc, &t));
    if (cs && v->splat) {
        /* the state keeps t's reference; a run that lost the race uses the winner's */
        frt_tensor *none = NULL;
        if (!atomic_compare_exchange_strong_explicit(&cs->expanded, &none, t,
                                                     memory_order_acq_rel,
                                                     memory_order_acquire)) {
            frt_tensor_unref(t);
            t = none;
        }
        frt_kernel_set_output(c, 0, t);
        return NULL;
    }
    frt_kernel_set_output(c, 0, t);
    frt_tensor_unref(t);
    return NULL;
}

/* Placeholder only runs when nothing fed it: TF's error text, shape as PartialTensorShape
 * prints it ("[?,3]"); like TF (checked with 2.21) no shape part when the rank is unknown
 * or 0. */
static frt_status *placeholder_compute(frt_kernel_ctx *c) {
    frt_dtype dt;
    FRT_TRY(frt_attr_get_type(c->attrs, "dtype", FRT_DTYPE_INVALID, &dt));
    frt_attr_shape sh;
    bool found = false;
    FRT_TRY(frt_attr_get_shape(c->attrs, "shape", &sh, &found));
    const char *tn = frt_array_tf_type_name(frt_dtype_base(dt));
    if (!found || sh.unknown_rank || sh.ndim <= 0)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "You must feed a value for placeholder tensor '%s' with dtype %s",
                              c->node_name, tn);
    char buf[FRT_MAX_DIMS * 22 + 4];
    size_t k = 0;
    buf[k++] = '[';
    for (int i = 0; i < sh.ndim && i < FRT_MAX_DIMS; i++) {
        if (i) buf[k++] = ',';
        if (sh.dims[i] < 0)
            buf[k++] = '?';
        else
            k += (size_t)snprintf(buf + k, sizeof buf - k, "%lld", (long long)sh.dims[i]);
    }
    buf[k++] = ']';
    buf[k] = 0;
    return frt_status_new(FRT_INVALID_ARGUMENT,
                          "You must feed a value for placeholder tensor '%s' with dtype %s and "
                          "shape %s",
                          c->node_name, tn, buf);
}

/* Identity and friends: output i is input i (same tensor, one more reference). At inference
 * StopGradient/PreventGradient are identities; Snapshot may alias too because tensors are
 * immutable once produced. */
static frt_status *passthrough_compute(frt_kernel_ctx *c) {
    int n = c->n_outputs < c->n_inputs ? c->n_outputs : c->n_inputs;
    for (int i = 0; i < n; i++) frt_kernel_set_output(c, i, c->inputs[i]);
    return NULL;
}

static frt_status *noop_compute(frt_kernel_ctx *c) {
    (void)c;
    return NULL;
}

/* CheckNumerics: TF's "<message> : Tensor had NaN values" (Inf, or "Inf and NaN"). */
static frt_status *check_numerics_result(frt_kernel_ctx *c, bool inf, bool nan) {
    if (!inf && !nan) {
        frt_kernel_set_output(c, 0, c->inputs[0]);
        return NULL;
    }
    const char *msg;
    FRT_TRY(frt_attr_get_str(c->attrs, "message", "", &msg));
    return frt_status_new(FRT_INVALID_ARGUMENT, "%s : Tensor had %s values", msg,
                          inf && nan ? "Inf and NaN" : inf ? "Inf" : "NaN");
}

#define DEFINE_CHECK_FLOAT(DT, T)                                                           \
    static frt_status *check_numerics_##DT(frt_kernel_ctx *c) {                             \
        const frt_tensor *x = c->inputs[0];                                                 \
        const T *p = frt_tensor_data(x);                                                    \
        bool inf = false, nan = false;                                                      \
        for (int64_t i = 0; i < x->n; i++) {                                                \
            if (isnan(p[i])) nan = true;                                                    \
            else if (isinf(p[i])) inf = true;                                               \
        }                                                                                   \
        return check_numerics_result(c, inf, nan);                                          \
    }
DEFINE_CHECK_FLOAT(FLOAT, float)
DEFINE_CHECK_FLOAT(DOUBLE, double)

/* 16-bit floats by bit pattern: exponent all ones is Inf (mantissa 0) or NaN. */
#define DEFINE_CHECK_16(DT, EXP, MANT)                                                      \
    static frt_status *check_numerics_##DT(frt_kernel_ctx *c) {                             \
        const frt_tensor *x = c->inputs[0];                                                 \
        const uint16_t *p = frt_tensor_data(x);                                             \
        bool inf = false, nan = false;                                                      \
        for (int64_t i = 0; i < x->n; i++) {                                                \
            if ((p[i] & (EXP)) != (EXP)) continue;                                          \
            if (p[i] & (MANT)) nan = true;                                                  \
            else inf = true;                                                                \
        }                                                                                   \
        return check_numerics_result(c, inf, nan);                                          \
    }
DEFINE_CHECK_16(HALF, 0x7C00u, 0x03FFu)
DEFINE_CHECK_16(BFLOAT16, 0x7F80u, 0x007Fu)

/* ZerosLike: all-zero bytes are 0 for every fixed-size type and "" for strings. */
static frt_status *zeros_like_compute(frt_kernel_ctx *c) {
    const frt_tensor *x = c->inputs[0];
    frt_tensor *y;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, x->dims, x->ndim, &y));
    if (x->dtype != FRT_DTYPE_STRING && frt_tensor_nbytes(y))
        memset(frt_tensor_data(y), 0, frt_tensor_nbytes(y));
    return NULL;
}

#define ONES_TYPES(X)                                                                       \
    X(FLOAT, float, 1.0f) X(DOUBLE, double, 1.0) X(INT32, int32_t, 1) X(INT64, int64_t, 1)  \
    X(BOOL, uint8_t, 1) X(UINT8, uint8_t, 1) X(INT8, int8_t, 1) X(INT16, int16_t, 1)        \
    X(UINT16, uint16_t, 1) X(UINT32, uint32_t, 1) X(UINT64, uint64_t, 1)                    \
    X(HALF, uint16_t, 0x3C00) X(BFLOAT16, uint16_t, 0x3F80)

#define DEFINE_ONES(DT, T, ONE)                                                             \
    static frt_status *ones_like_##DT(frt_kernel_ctx *c) {                                  \
        const frt_tensor *x = c->inputs[0];                                                 \
        frt_tensor *y;                                                                      \
        FRT_TRY(frt_kernel_output(c, 0, x->dtype, x->dims, x->ndim, &y));                   \
        T *p = frt_tensor_data(y);                                                          \
        for (int64_t i = 0; i < y->n; i++) p[i] = (T)(ONE);                                 \
        return NULL;                                                                        \
    }
ONES_TYPES(DEFINE_ONES)

#define ANY FRT_DTYPE_INVALID
#define CPU FRT_DEVICE_CPU
#define ONES_ROW(DT, T, ONE) {"OnesLike", CPU, FRT_DTYPE_##DT, ones_like_##DT, NULL, NULL, 0, NULL},

static const frt_kernel_def defs[] = {
    {"Const", CPU, ANY, const_compute, const_init, const_free, 0, "dtype"},
    {"Placeholder", CPU, ANY, placeholder_compute, NULL, NULL, 0, "dtype"},
    {"PlaceholderWithDefault", CPU, ANY, passthrough_compute, NULL, NULL, 0, "dtype"},
    {"Identity", CPU, ANY, passthrough_compute, NULL, NULL, 0, NULL},
    {"IdentityN", CPU, ANY, passthrough_compute, NULL, NULL, 0, NULL},
    {"StopGradient", CPU, ANY, passthrough_compute, NULL, NULL, 0, NULL},
    {"Snapshot", CPU, ANY, passthrough_compute, NULL, NULL, 0, NULL},
    {"PreventGradient", CPU, ANY, passthrough_compute, NULL, NULL, 0, NULL},
    {"NoOp", CPU, ANY, noop_compute, NULL, NULL, 0, NULL},
    {"CheckNumerics", CPU, FRT_DTYPE_FLOAT, check_numerics_FLOAT, NULL, NULL, 0, NULL},
    {"CheckNumerics", CPU, FRT_DTYPE_DOUBLE, check_numerics_DOUBLE, NULL, NULL, 0, NULL},
    {"CheckNumerics", CPU, FRT_DTYPE_HALF, check_numerics_HALF, NULL, NULL, 0, NULL},
    {"CheckNumerics", CPU, FRT_DTYPE_BFLOAT16, check_numerics_BFLOAT16, NULL, NULL, 0, NULL},
    {"ZerosLike", CPU, ANY, zeros_like_compute, NULL, NULL, 0, NULL},
    ONES_TYPES(ONES_ROW)
};

void frt_kernels_register_basic(frt_kernel_registry *r);
void frt_kernels_register_basic(frt_kernel_registry *r) {
    frt_kernel_registry_add(r, defs, (int)FRT_COUNTOF(defs));
}
