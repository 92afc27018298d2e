/* io/pb_alloc.c: protobuf-c allocations through frt_malloc (see pb_alloc.h).
 * Owns: the failure flag per unpack. Thread-safety: per-call state only. */
#include "io/pb_alloc.h"

#include <stdlib.h>

#include "core/status.h"

static void *pb_alloc(void *data, size_t size) {
    void *p = frt_malloc(size);
    if (!p) ((frt_pb_alloc *)data)->failed = true;
    return p;
}

static void pb_free(void *data, void *p) {
    (void)data;
    free(p);
}

void frt_pb_alloc_init(frt_pb_alloc *a) {
    a->base.alloc = pb_alloc;
    a->base.free = pb_free;
    a->base.allocator_data = a;
    a->failed = false;
}
