/* io/text_format.h: a protobuf text-format parser driven by protobuf-c descriptors, so one
 * parser reads GraphDef .pbtxt, MetaGraphDef/SavedModel .pbtxt and `checkpoint` files.
 * Thread-safety: reentrant (no shared state). */
#pragma once
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "core/status.h"

/* Parses text[0..len) (need not be NUL-terminated) as a message of type desc.
 * *out: a new message the caller frees with protobuf_c_message_free_unpacked(*out, NULL);
 * every field is malloc'd as protobuf-c's unpack would do it. NULL on error.
 *
 * Accepts the superset of formats.md §7.2: # comments; optional ',' or ';' after fields;
 * `name {`, `name: {`, `name <...>`; lists `name: [a, b]` for repeated fields (scalars or
 * messages); integers in decimal, hex (0x) and octal (leading 0) with optional '-'; floats
 * with exponents, an f suffix, inf/infinity/nan (any case); bools true/false/True/False/t/f/
 * 1/0; enums by name or number; '...' and "..." strings, concatenated when adjacent, with
 * the escapes \a \b \f \n \r \t \v \\ \' \" \? \ooo \xHH \uXXXX \UXXXXXXXX (UTF-8 out).
 * google.protobuf.Any is accepted in its plain form (type_url, value); the expanded
 * `[type.googleapis.com/...] { }` form is UNIMPLEMENTED.
 *
 * Errors: INVALID_ARGUMENT "'<name>':LINE:COL: <what>" (1-based), e.g.
 * "'model.pbtxt':12:7: unknown field 'nodee' in tensorflow.NodeDef". name_for_errors may be
 * NULL ("<text>"). Unknown fields, unknown enum names, out-of-range numbers, a second
 * member of a oneof, and a singular scalar given twice are errors. */
FRT_MUST_USE frt_status *frt_text_format_parse(const char *text, size_t len,
                                               const ProtobufCMessageDescriptor *desc,
                                               const char *name_for_errors,
                                               ProtobufCMessage **out);
