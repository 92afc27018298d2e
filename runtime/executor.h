/* runtime/executor.h: prepared execution plans and the dataflow executor (internal).
 * A plan is built once per distinct (feeds, fetches, targets) signature of a session: the
 * pruned nodes in topological order, each with its kernel instance, input value slots and
 * successors. Running a plan needs only a small per-run state, so several threads can run
 * one plan at once.
 * Thread-safety: a plan is immutable after frt_plan_build; frt_plan_run is re-entrant. */
#pragma once
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/device.h"
#include "core/kernel.h"
#include "graph/graph.h"

typedef struct frt_plan_node {
    int node;                     /* graph node index (a copy: its source tensor's producer) */
    int device;                   /* index into the plan's devices */
    const frt_kernel_def *def;    /* NULL for a copy */
    int copy_to;                  /* a copy: the memory space it copies into (-1: the host;
                                   * else a device index); -1 for kernels */
    void *state;                  /* from def->init; read-only during runs */
    int n_scratch;                /* scratch buffers requested in init, and their sizes */
    size_t scratch_bytes[FRT_KERNEL_MAX_SCRATCH];
    int n_in;
    int *in_slots;                /* value slot of each data input */
    bool *in_deref;               /* input j is a ref edge read by value: pass the variable's
                                   * current value, not its handle (TF1 ref semantics) */
    int n_out;
    int out_base;                 /* outputs use slots out_base .. out_base + n_out - 1 */
    int n_succ;
    int *succ;                    /* plan nodes to notify when this one is done */
    int n_preds;                  /* notifications needed before it may run */
} frt_plan_node;

typedef struct frt_plan {
    const frt_graph *g;           /* the graph the plan runs: the session's, or owned_g */
    frt_graph *owned_g;           /* the step's optimized graph, when optimizing */
    int n_devices;
    frt_device *const *devices;   /* borrowed from the config; [0] is the CPU */
    int n_nodes;
    frt_plan_node *nodes;         /* kernels in topological order, then the copies */
    int n_copies;                 /* the last n_copies nodes */
    uint64_t devices_used;        /* bit d: some node runs on (or copies for) device d */
    int n_slots;
    int *slot_uses;               /* consumers of each slot (input positions + fetches) */
    int n_feeds;
    frt_edge *feeds;              /* fed tensors, in the caller's order */
    int *feed_slots;              /* slot of each feed */
    frt_dtype *feed_dtypes;       /* dtype each feed must have; INVALID when unknown */
    int n_fetches;
    int *fetch_slots;
    bool *fetch_deref;            /* fetch i names a ref output: return the variable's value */
    int n_roots;
    int *roots;                   /* plan nodes with no predecessors */
} frt_plan;

/* What one run did, beyond its results (filled when the env asks for it). */
typedef struct frt_run_stats {
    atomic_long copies;           /* copies between memory spaces made */
    atomic_long copy_bytes;
} frt_run_stats;

typedef struct frt_exec_env {
    frt_threadpool *pool;         /* inter-op pool; also lends threads to parallel loops */
    int intra_threads;
    frt_allocator *alloc;         /* host memory (the CPU device's) */
    frt_allocator *const *allocs; /* per plan device, [0] == alloc; NULL: only the CPU */
    frt_resource_mgr *resources;
    frt_run_stats *stats;         /* NULL: not counted */
} frt_exec_env;

typedef struct frt_plan_config {
    bool optimize;                /* constant folding and fusions for this step */
    int n_devices;                /* 0: the CPU alone */
    frt_device *const *devices;   /* [0] must be the CPU; borrowed, must outlive the plan */
    bool no_soft_placement;
    bool log_placement;           /* print each node's device (TF1's format) to stderr */
} frt_plan_config;

/* Builds a plan of g for the given feeds/fetches/targets on the config's devices. Reports,
 * before anything runs: unknown names, placeholders needed but not fed, every needed op
 * without a kernel on any device (all at once), placements that cannot be honoured. */
frt_status *frt_plan_build_config(const frt_graph *g, const char *const *feed_names,
                                  int nfeeds, const char *const *fetch_names, int nfetches,
                                  const char *const *targets, int ntargets,
                                  const frt_plan_config *cfg, frt_plan **out);
/* The same on the CPU alone. */
frt_status *frt_plan_build(const frt_graph *g, const char *const *feed_names, int nfeeds,
                           const char *const *fetch_names, int nfetches,
                           const char *const *targets, int ntargets, bool optimize,
                           frt_plan **out);
void frt_plan_free(frt_plan *p);
/* Text for `flowrt inspect --placement`: where every node of g (the whole graph, as is)
 * would run on cfg's devices and why, the nodes per device and the copies induced. *out is
 * malloc'd. */
frt_status *frt_plan_explain_placement(const frt_graph *g, const frt_plan_config *cfg,
                                       char **out);

/* Runs p: feeds borrowed (checked against placeholders' dtype and shape), fetches get new
 * references. All fetches are NULL on error. */
frt_status *frt_plan_run(const frt_plan *p, const frt_exec_env *env, frt_tensor *const *feeds,
                         frt_tensor **fetches);
