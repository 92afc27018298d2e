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

/* The key kernels are registered under: which kind of device runs them (core/device.h). */
typedef enum frt_device_type { FRT_DEVICE_CPU = 0, FRT_DEVICE_CUDA = 1 } frt_device_type;

typedef struct frt_device frt_device;   /* core/device.h */
typedef struct frt_stream frt_stream;   /* a device's ordered work queue; opaque here */

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
    uint64_t host_mem;            /* which arguments live in host memory (TF's HostMemory),
                                   * on devices whose memory is not the host's: bits
                                   * FRT_HOST_IN(i), FRT_HOST_OUT(k), FRT_HOST_LAST_IN */
    const char *type_attr;        /* attr holding the dtype; NULL = "T" */
} frt_kernel_def;

#define FRT_HOST_IN(i) ((uint64_t)1 << (i))          /* input i, i < 48 */
#define FRT_HOST_OUT(k) ((uint64_t)1 << (48 + (k)))  /* output k, k < 15 */
#define FRT_HOST_LAST_IN ((uint64_t)1 << 63)         /* the last input (ConcatV2's axis) */

/* Whether d reads input j of n_inputs from host memory / makes output k there. */
static inline bool frt_kernel_input_on_host(const frt_kernel_def *d, int j, int n_inputs) {
    if (j == n_inputs - 1 && (d->host_mem & FRT_HOST_LAST_IN)) return true;
    return j < 48 && (d->host_mem & FRT_HOST_IN(j));
}
static inline bool frt_kernel_output_on_host(const frt_kernel_def *d, int k) {
    return k < 15 && (d->host_mem & FRT_HOST_OUT(k));
}

/* Opaque per-session resources (variables, later); kernels that need them get accessors. */
typedef struct frt_resource_mgr frt_resource_mgr;

/* Most scratch buffers one kernel instance may request in init. */
#define FRT_KERNEL_MAX_SCRATCH 4

typedef struct frt_kernel_temp frt_kernel_temp;

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
    const frt_device *device;     /* where the node runs */
    /* Scratch requests (frt_kernel_request_scratch); filled by the context's owner. */
    int n_scratch;
    size_t scratch_bytes[FRT_KERNEL_MAX_SCRATCH];
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
    frt_allocator *alloc;         /* the node's device memory (host memory on the CPU) */
    frt_threadpool *pool;
    int intra_threads;
    frt_resource_mgr *resources;
    const frt_device *device;     /* where the node runs */
    frt_stream *stream;           /* the stream its work goes on; NULL on the CPU */
    void *const *scratch;         /* the buffers requested in init, this invocation's */
    frt_kernel_temp *temps;       /* frt_kernel_temp allocations, released after compute */
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
/* ---- scratch memory ----
 * Working memory of the size of the data comes from the node's device allocator, so it
 * counts against memory limits and lives where the kernel runs (on a GPU: device memory):
 *  - a size known in init: frt_kernel_request_scratch there, frt_kernel_scratch in compute
 *    (TF Lite Micro's RequestScratchBufferInArena / GetScratchBuffer);
 *  - a size known only in compute: frt_kernel_temp (TF's allocate_temp).
 * Both are released when compute returns. Small bookkeeping (a few pointers or offsets) may
 * still use frt_malloc. */

/* Asks for `bytes` of scratch in every compute of this instance; *index names it there.
 * INVALID_ARGUMENT beyond FRT_KERNEL_MAX_SCRATCH requests. */
frt_status *frt_kernel_request_scratch(frt_kernel_init_ctx *ic, size_t bytes, int *index);
/* The buffer requested as `index` (64-byte aligned), valid until compute returns. */
static inline void *frt_kernel_scratch(const frt_kernel_ctx *c, int index) {
    return c->scratch[index];
}
/* `bytes` from the node's allocator, valid until compute returns (RESOURCE_EXHAUSTED naming
 * the node and the allocator's state when it cannot be met). Call it from the thread that
 * runs compute, not from inside a parallel loop. */
frt_status *frt_kernel_temp_alloc(frt_kernel_ctx *c, size_t bytes, void **out);
/* For the context's owner (the executor, frt_kernel_run_once): releases every
 * frt_kernel_temp_alloc of c after compute; allocates / frees the n scratch buffers an init
 * requested (RESOURCE_EXHAUSTED naming the node when a cannot meet them, none kept). */
void frt_kernel_release_temps(frt_kernel_ctx *c);
frt_status *frt_kernel_scratch_alloc(frt_allocator *a, const char *node, int n,
                                     const size_t *bytes, void **out);
void frt_kernel_scratch_free(frt_allocator *a, int n, const size_t *bytes, void **bufs);

/* Parallel loops go through the session's pool: */
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
