/* io/graphdef_write.h: graph IR → binary GraphDef (the inverse of io/graphdef.h).
 * Thread-safety: reentrant; the graph is only read. */
#pragma once
#include <stddef.h>

#include "graph/graph.h"

/* Serializes g (finalized or not) as a binary GraphDef: nodes in index order with their raw
 * input strings, device and every attr (tensors as TensorProto with tensor_content for
 * fixed-size dtypes and string_val for strings; shapes, lists, funcs, placeholders), versions
 * (g->producer / g->min_consumer), and the function library when some node still calls or
 * references a library function (op name or func attr); otherwise the library is omitted.
 * Map entries are sorted by key (TensorFlow's deterministic serialization), so equal graphs
 * give equal bytes. *data: caller frees with free(); NULL on error.
 * Errors: UNIMPLEMENTED for a resource/variant tensor attr (naming node and attr);
 * INVALID_ARGUMENT when the result would pass protobuf's 2 GiB limit. */
FRT_MUST_USE frt_status *frt_graphdef_write_buffer(const frt_graph *g, void **data,
                                                   size_t *len);

/* Same, written to path atomically (frt_file_write: a temporary file in the same directory,
 * fsync, then rename), so readers never see a partial file and on an error (a full disk) the
 * previous file is untouched and no temporary remains. Text extensions (.pbtxt, .pbtext,
 * .txt) are refused (UNIMPLEMENTED: only binary is written). Errors name the path:
 * NOT_FOUND when its directory does not exist, RESOURCE_EXHAUSTED when the disk is full,
 * FAILED_PRECONDITION when it cannot be written otherwise. */
FRT_MUST_USE frt_status *frt_graphdef_write_file(const frt_graph *g, const char *path);
