/* io/pb_alloc.h: the ProtobufCAllocator that makes protobuf-c's unpacking allocate through
 * frt_malloc, so out-of-memory while decoding is injectable in tests and is told apart from
 * corrupt input (protobuf-c returns NULL for both).
 * Thread-safety: one frt_pb_alloc per unpack call (it records that call's failure). */
#pragma once
#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>

typedef struct frt_pb_alloc {
    ProtobufCAllocator base;  /* pass &a.base to *__unpack */
    bool failed;              /* an allocation failed: a NULL result means out of memory */
} frt_pb_alloc;

/* Memory comes from frt_malloc and goes back with free(), so what was unpacked with it may
 * be freed with *__free_unpacked(msg, NULL) as well. */
void frt_pb_alloc_init(frt_pb_alloc *a);
