/* io/graphdef.h: loading GraphDef files (binary .pb or text .pbtxt) into the graph IR.
 * The result is not finalized: the caller runs frt_graph_finalize.
 * Thread-safety: reentrant (no shared state). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "graph/graph.h"
#include "io/proto/graph.pb-c.h"

/* Loads the GraphDef at path; text or binary is chosen from the extension (.pbtxt, .pbtext,
 * .txt mean text) or else from the content (frt_graphdef_looks_like_text).
 * *out: a new graph the caller owns (frt_graph_free); NULL on error.
 * The file is read into memory (never mapped) through frt_file_read, so a named pipe or
 * device fails at once and a file truncated meanwhile is DATA_LOSS, not a crash.
 * Errors name the path: NOT_FOUND (no such file), DATA_LOSS (empty, truncated or corrupt
 * binary), INVALID_ARGUMENT (text syntax errors with line:column, bad tensors/attrs naming
 * the node; a file over 2 GiB, protobuf's limit), FAILED_PRECONDITION (unreadable: not a
 * regular file, saying what it is, e.g. "is a named pipe (FIFO)"; permissions). */
FRT_MUST_USE frt_status *frt_graphdef_load_file(const char *path, frt_graph **out);

/* Checks a binary GraphDef, MetaGraphDef or SavedModel (message type d) before it is
 * unpacked: its nesting depth (io/proto_depth.h: INVALID_ARGUMENT past 100 levels, DATA_LOSS
 * for broken framing) and its NodeDefs, graph and function bodies together, against the
 * node limit (frt_graph_max_nodes: INVALID_ARGUMENT), so a file of millions of tiny nodes is
 * refused before protobuf-c allocates them. Errors name `name`. */
FRT_MUST_USE frt_status *frt_graphdef_check_wire(const ProtobufCMessageDescriptor *d,
                                                 const void *data, size_t len,
                                                 const char *name);

/* Same from memory (data: borrowed). text selects the parser; name_for_errors is used in
 * messages (may be NULL: "<buffer>"). */
FRT_MUST_USE frt_status *frt_graphdef_load_buffer(const void *data, size_t len, bool text,
                                                  const char *name_for_errors,
                                                  frt_graph **out);

/* Builds the graph IR from an unpacked GraphDef: nodes, raw input strings, attrs, versions.
 * gd stays owned by the caller, but is modified: its function library is converted to
 * the IR of graph/function.h and attached to *out (frt_graph_library; NULL when the GraphDef
 * has no functions) and Const tensor_content buffers (in nodes and function bodies) are moved
 * into the graph's tensors (see frt_tensor_from_proto), so weights are not copied. gd must come from
 * tensorflow__graph_def__unpack(NULL allocator, ...) or frt_text_format_parse.
 * Errors are INVALID_ARGUMENT/UNIMPLEMENTED naming the node, op and attr. */
FRT_MUST_USE frt_status *frt_graph_from_graphdef(Tensorflow__GraphDef *gd, frt_graph **out);

/* Content sniffing: true when data starts (after whitespace and # comments) with an
 * identifier followed by ':', '{' or '<', and its first 4 KiB hold no control bytes other
 * than whitespace; binary protobuf fails the second test at the first length byte. */
bool frt_graphdef_looks_like_text(const void *data, size_t len);
