/* io/proto_depth.h: how deeply a binary protobuf message nests, measured before unpacking.
 * protobuf-c's unpack recurses once per nested message and has no depth limit, so a small
 * hostile file (AttrValue.func → NameAttrList.attr → AttrValue … thousands deep) overflows
 * the stack inside it. Every loader of a message type that can nest without bound checks the
 * wire bytes here first; the same walk refuses broken framing and counts NodeDefs (for the
 * node limit, io/graphdef.h frt_graphdef_check_wire).
 * Thread-safety: reentrant; uses a fixed, small amount of stack and no heap. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "core/status.h"

/* Messages nested deeper than this are refused. It is protobuf's own default for binary
 * parsing (C++ CodedInputStream's recursion limit); TensorFlow's graphs nest about a dozen
 * deep (GraphDef → library → function → node → attr → list → tensor → shape → dim).
 * At this depth protobuf-c's unpack needs about 1 KiB of stack per level, so loading the
 * deepest allowed model takes ~110 KiB: it is tested on a thread with a 256 KiB stack, in the
 * release and the sanitizer builds (tests/io/test_proto_depth.c). */
#define FRT_PROTO_MAX_DEPTH 100

/* Scans data as a message of type d without recursion: every length-delimited field that d's
 * descriptors say is a message is entered, anything else skipped. INVALID_ARGUMENT naming
 * `name`, the limit and the path of field names where the bytes nest deeper than
 * FRT_PROTO_MAX_DEPTH; DATA_LOSS naming `name` where the framing is broken (a length past
 * the end, a truncated varint or fixed field, a field number 0, a group or unknown wire
 * type: nothing TensorFlow writes, and what protobuf-c would refuse too). NULL otherwise. */
/* node_defs (may be NULL) receives the number of tensorflow.NodeDef messages anywhere in the
 * bytes (graph nodes and function-body nodes), so loaders can apply the node limit before
 * protobuf-c allocates them. */
FRT_MUST_USE frt_status *frt_proto_check_depth(const ProtobufCMessageDescriptor *d,
                                               const uint8_t *data, size_t len,
                                               const char *name, size_t *node_defs);
