/* graph/place_impl.h: helpers shared by the placer (graph/place.c) and the partitioner
 * (graph/partition.c): which nodes a pass covers, host-memory bits, the env check.
 * Thread-safety: reentrant (pure functions of their arguments and the env's callbacks). */
#pragma once
#include "graph/place.h"

static inline bool frt_place_kept(const bool *keep, int i) { return !keep || keep[i]; }

/* Bit j of a host_inputs/host_outputs mask: j >= 64 reads bit 63 (graph/place.h). */
static inline bool frt_place_mask_bit(uint64_t mask, int j) {
    return (mask >> (j < 64 ? j : 63)) & 1u;
}

/* Whether argument j of n on device d is in host memory: always on the CPU (devices[0]),
 * elsewhere as fn (host_inputs or host_outputs; NULL = never) says. */
static inline bool frt_place_in_host(const frt_place_env *env,
                                     uint64_t (*fn)(void *, int, const frt_node *), int d,
                                     const frt_node *n, int j) {
    if (d == 0) return true;
    return fn && frt_place_mask_bit(fn(env->ctx, d, n), j);
}

/* INVALID_ARGUMENT for an env without devices, with more than FRT_PLACE_MAX_DEVICES, or a
 * device without a type; FAILED_PRECONDITION for a graph not finalized. `what` names the
 * pass in the message. */
FRT_MUST_USE frt_status *frt_place_check_env(const frt_graph *g, const frt_place_env *env,
                                             const char *what);
/* The name of device d for messages: its own, or the canonical one from type and index. */
const char *frt_place_device_name(const frt_place_env *env, int d, char *buf, size_t cap);
