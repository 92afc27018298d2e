/* graph/place.h: placement and partitioning — which device runs each node, and which
 * tensors must be copied between memory spaces — as passes over a finalized graph.
 * graph/ names no device: the caller describes its devices (names and types, as strings)
 * and answers, through callbacks, whether a device has a kernel for a node and which of a
 * kernel's arguments live in host memory. The rules are TensorFlow's placer's (docs/placement.md).
 * Thread-safety: reads a finalized (immutable) graph; the callbacks must be thread-safe if
 * the caller places from several threads. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "graph/graph.h"

typedef struct frt_place_device {
    const char *name;       /* full TF name: "/job:localhost/replica:0/task:0/device:GPU:0" */
    const char *type;       /* "CPU", "GPU" */
    int index;              /* the N of device:TYPE:N */
} frt_place_device;

/* The most devices an env may describe (kernel availability is kept as a 64-bit mask). */
#define FRT_PLACE_MAX_DEVICES 64

typedef struct frt_place_env {
    int n_devices;                   /* 1 ..= FRT_PLACE_MAX_DEVICES */
    const frt_place_device *devices; /* devices[0] is the host CPU, which has every kernel
                                      * the runtime has; the others in preference order */
    /* Whether device d has a kernel for node n (its op and dtype attrs). Asked for d >= 1,
     * and for d = 0 only to list the devices in an error; NULL: every device has every
     * kernel. host_inputs / host_outputs NULL: nothing is in host memory off the CPU. */
    bool (*has_kernel)(void *ctx, int d, const frt_node *n);
    /* Bit j set: data input j of n, run on device d, is read from host memory (TF's
     * HostMemory; always set on a device whose memory is the host's). Inputs >= 64: host
     * memory only when bit 63 is set. */
    uint64_t (*host_inputs)(void *ctx, int d, const frt_node *n);
    /* The same for n's outputs. */
    uint64_t (*host_outputs)(void *ctx, int d, const frt_node *n);
    void *ctx;
    bool no_soft_placement;          /* a pin that cannot be honoured is an error */
} frt_place_env;

/* Why a node is where it is (for `inspect --placement` and --log-device-placement). */
typedef enum frt_place_reason {
    FRT_PLACE_DEFAULT = 0,      /* unpinned: the first device with a kernel */
    FRT_PLACE_PINNED,           /* its device string chose it */
    FRT_PLACE_COLOCATED,        /* _class loc:@X, or a reference/resource edge: with X */
    FRT_PLACE_SOFT_NO_DEVICE,   /* pinned to a device that does not exist: soft placement */
    FRT_PLACE_SOFT_NO_KERNEL,   /* pinned to a device with no kernel for it: soft placement */
    FRT_PLACE_NO_KERNEL,        /* unpinned, and no accelerator has a kernel for op/dtype */
    FRT_PLACE_HOST_MEMORY,      /* its outputs feed only host-memory inputs: kept on the host */
    FRT_PLACE_METADATA,         /* Shape/Size/Rank: with the tensor it describes */
    FRT_PLACE_GENERATOR,        /* no inputs, one output: with its consumers (TF's heuristic A) */
} frt_place_reason;

typedef struct frt_placement {
    int n_nodes;                /* g->n_nodes */
    int *device;                /* per node: index into env->devices; -1 when not kept */
    frt_place_reason *why;      /* per node */
    int *related;               /* per node: the node a COLOCATED/METADATA reason names (for
                                 * HOST_MEMORY/GENERATOR: its first consumer), or -1 */
} frt_placement;

/* Places every node with keep[i] (NULL = all). Node device strings are parsed as TF's
 * placer parses them (graph/device_name.h, frt_device_name_parse); strings that do not parse
 * are one INVALID_ARGUMENT naming each node. A pin that cannot be honoured (no such device,
 * no kernel there, or a colocation group placed elsewhere) is dropped under soft placement,
 * as TF does: the group goes to the first device, in preference order, with a kernel for
 * every member. With env->no_soft_placement, every node whose pin cannot be honoured is
 * reported in one INVALID_ARGUMENT status (node, op, device asked, devices that have a
 * kernel). Only data and control edges between kept nodes count. The rules, in order, are
 * in docs/placement.md. out's arrays are allocated here; free with frt_placement_free.
 * FAILED_PRECONDITION when g is not finalized; INVALID_ARGUMENT for a bad env. */
FRT_MUST_USE frt_status *frt_graph_place(const frt_graph *g, const bool *keep,
                                         const frt_place_env *env, frt_placement *out);
void frt_placement_free(frt_placement *p);

/* One tensor copied to another memory space: made once per (tensor, destination). */
typedef struct frt_copy {
    frt_edge src;               /* the tensor */
    int src_space, dst_space;   /* -1 = host memory, else a device index in env->devices */
    int dst_device;             /* the device whose consumers read it (for naming/streams) */
} frt_copy;

typedef struct frt_partition {
    int n_copies;
    frt_copy *copies;
    /* Per node with keep[i]: input_copy[i][j] is the copy data input j reads, or -1 when it
     * reads the producer's value where it lives. NULL rows for nodes not kept. */
    int **input_copy;
    int n_nodes;
    /* Per fetch: the copy that brings it to the host, or -1 when it is there already. */
    int *fetch_copy;
    int n_fetches;
} frt_partition;

/* Finds the copies the placement p induces: every data edge whose value lives in another
 * memory space than its consumer reads it from (per env's host_inputs/host_outputs), and
 * every fetch whose value is not in host memory. Feeds are host tensors: a fed tensor read
 * in device memory is copied too (its src is the fed edge). Control edges need no copy.
 * Copies come in a deterministic order: by consumer node index and input, then fetches; a
 * copy to the host made for several devices' consumers names the first as dst_device.
 * INVALID_ARGUMENT when a kept node reads (or a fetch names) an unfed tensor of a node not
 * kept, or when p does not place a kept node. */
FRT_MUST_USE frt_status *frt_graph_partition(const frt_graph *g, const bool *keep,
                                             const frt_place_env *env, const frt_placement *p,
                                             const frt_edge *feeds, int n_feeds,
                                             const frt_edge *fetches, int n_fetches,
                                             frt_partition *out);
void frt_partition_free(frt_partition *p);
