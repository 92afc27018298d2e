/* runtime/session_impl.h: the session's insides, shared by session.c (options, plans, runs,
 * MetaGraph operations) and session_report.c (statistics and placement reports).
 * Thread-safety: as frt_session: plans and the last run's figures are guarded by mu. */
#pragma once
#include <pthread.h>
#include <stdbool.h>

#include "flowrt/flowrt.h"
#include "runtime/device.h"
#include "runtime/executor.h"
#include "runtime/model.h"

struct frt_session_options {
    int inter_op_threads, intra_op_threads;
    bool no_optimize;
    size_t memory_limit;
    bool checkpoint_zero_copy;
    bool no_soft_placement, log_device_placement;
    char visible_gpus[128];
    frt_gpu_memory_options gpu;
    size_t gpu_session_limit;
};

typedef struct plan_entry {
    char *key;
    frt_plan *plan;
    struct plan_entry *next;
} plan_entry;

struct frt_session {
    frt_model *model;
    frt_threadpool *pool;
    int intra;
    frt_allocator *alloc;         /* host memory: the CPU device's, with the memory limit */
    /* The devices this session runs on (borrowed from the process, runtime/device.h), CPU
     * first, and the allocator it uses on each ([0] == alloc). */
    int n_devices;
    frt_device *devices[FRT_SESSION_MAX_DEVICES];
    frt_allocator *allocs[FRT_SESSION_MAX_DEVICES];
    frt_resource_mgr *resources;  /* variables: live as long as the session */
    bool optimize;                /* graph optimizer on plans */
    bool no_soft_placement, log_device_placement;
    const frt_plan *last_plan;    /* of the last run (for frt_session_stats_json) */
    long last_copies, last_copy_bytes; /* copies the last run made */
    pthread_mutex_t mu;
    plan_entry *plans;
};

