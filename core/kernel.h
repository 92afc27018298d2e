/* core/kernel.h: the kernel interface — definitions registered by (op, device, dtype),
 * the init context (parse attrs once per node) and the compute context (one invocation).
 * Kernels see only this header, tensors, attrs and the thread pool: never the executor,
 * the graph or file formats.
 * Thread-safety: the registry is immutable after frt_init(); a compute context belongs to
 * one invocation; kernel state from init is shared by concurrent runs and must be read-only
 * in compute. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "core/attr.h"
#include "core/tensor.h"
#include "core/threadpool.h"

typedef enum frt_device_type { FRT_DEVICE_CPU = 0, FRT_DEVICE_CUDA = 1 } frt_device_type;

typedef struct frt_kernel_ctx frt_kernel_ctx;
typedef struct frt_kernel_init_ctx frt_kernel_init_ctx;
typedef frt_status *(*frt_kernel_fn)(frt_kernel_ctx *ctx);

typedef struct frt_kernel_def {
    const char *op;               /* TensorFlow op name: "AddV2" */
    frt_device_type device;
    frt_dtype dtype;              /* value of type_attr; FRT_DTYPE_INVALID = any dtype */
    frt_kernel_fn compute;
    /* Optional: parse attrs once per node; *state is passed to every compute. */
    frt_status *(*init)(frt_kernel_init_ctx *ic, void **state);
    void (*free_state)(void *state);
    uint32_t host_mem;            /* bit i: input i stays in host memory (TF's HostMemory) */
    const char *type_attr;        /* attr holding the dtype; NULL = "T" */
} frt_kernel_def;

/* Opaque per-session resources (variables, later); kernels that need them get accessors. */
typedef struct frt_resource_mgr frt_resource_mgr;

struct frt_kernel_init_ctx {
    const char *node_name;
    const char *op;
    const frt_attrs *attrs;       /* defaults already filled from the op definition */
    int n_inputs;
    const frt_dtype *input_types; /* FRT_DTYPE_INVALID when unknown */
    /* Value of input i when it is a constant known at session build, else NULL. Kernels may
     * pre-pack weights from it (borrowed; take a ref to keep it). */
    const frt_tensor *const *const_inputs;
    int n_outputs;
};

struct frt_kernel_ctx {
    const frt_kernel_def *def;
    const char *node_name;
    const frt_attrs *attrs;
    void *state;
    int n_inputs;
    frt_tensor **inputs;          /* executor-owned references */
    int n_outputs;
    frt_tensor **outputs;         /* kernel sets each to a reference it hands over */
    frt_allocator *alloc;
    frt_threadpool *pool;
    int intra_threads;
    frt_resource_mgr *resources;
};

static inline int frt_kernel_num_inputs(const frt_kernel_ctx *c) { return c->n_inputs; }
static inline const frt_tensor *frt_kernel_input(const frt_kernel_ctx *c, int i) {
    return c->inputs[i];
}
static inline int frt_kernel_num_outputs(const frt_kernel_ctx *c) { return c->n_outputs; }
static inline void *frt_kernel_state(const frt_kernel_ctx *c) { return c->state; }
static inline const frt_attrs *frt_kernel_attrs(const frt_kernel_ctx *c) { return c->attrs; }

/* Allocates output i (uninitialised). *out is borrowed: the context owns it. */
frt_status *frt_kernel_output(frt_kernel_ctx *c, int i, frt_dtype dt, const int64_t *dims,
                              int ndim, frt_tensor **out);
/* Sets output i to t (the context takes its own reference). */
void frt_kernel_set_output(frt_kernel_ctx *c, int i, frt_tensor *t);
/* Output i reusing input `in`'s buffer when the executor gave us the only reference and the
 * byte size matches (elementwise ops write in place); otherwise a fresh allocation. */
frt_status *frt_kernel_forward_input(frt_kernel_ctx *c, int in, int i, frt_dtype dt,
                                     const int64_t *dims, int ndim, frt_tensor **out);
/* Scratch memory for this invocation comes from frt_malloc & co. in kernels' init or compute
 * (a NULL is returned as frt_status_oom, not the session allocator's limit); parallel loops
 * go through the session's pool: */
static inline void frt_kernel_parallel_for(frt_kernel_ctx *c, int64_t n, int64_t grain,
                                           frt_range_fn fn, void *arg) {
    frt_parallel_for(c->pool, c->intra_threads, n, grain, fn, arg);
}

/* ---- registry ---- */

typedef struct frt_kernel_registry frt_kernel_registry;
/* Adds n defs (borrowed, must be static). A duplicate (op, device, dtype) is a bug: asserts. */
void frt_kernel_registry_add(frt_kernel_registry *r, const frt_kernel_def *defs, int n);
/* The global registry (filled by frt_init). */
const frt_kernel_registry *frt_kernel_registry_global(void);
/* Kernel for op on device selected by the dtype in attrs[def->type_attr]; NULL if none. */
const frt_kernel_def *frt_kernel_find(const char *op, frt_device_type dev,
                                      const frt_attrs *attrs);
bool frt_kernel_exists(const char *op, frt_device_type dev);
/* Lists every registered op name once into *names (malloc'd array of borrowed strings). */
int frt_kernel_list_ops(const char ***names);

/* Runs one kernel outside any graph: init (with every input treated as constant), compute,
 * free state. outputs[0..n_outputs) receive new references. Used by tests and constant
 * folding. pool may be NULL. */
frt_status *frt_kernel_run_once(const char *op, const frt_attrs *attrs,
                                frt_tensor *const *inputs, int n_inputs, frt_tensor **outputs,
                                int n_outputs, frt_threadpool *pool);
