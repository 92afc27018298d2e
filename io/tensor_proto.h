/* io/tensor_proto.h: decoding TensorProto, TensorShapeProto and AttrValue messages
 * (protobuf-c structs) into runtime tensors, shapes and attr values.
 * Thread-safety: thread-compatible (a message must not be decoded by two threads at once
 * when its content may be moved out). */
#pragma once
#include <stdbool.h>

#include "io/proto/attr_value.pb-c.h"
#include "io/proto/tensor.pb-c.h"
#include "io/proto/tensor_shape.pb-c.h"
#include "core/attr.h"

/* The largest tensor a TensorProto may describe, in bytes once decoded (16 per string
 * element): 2 GiB, as TensorFlow refuses protos over 2 GB. Checked before anything is
 * allocated, so a few bytes declaring a huge shape are refused, not expanded. */
#define FRT_TENSOR_PROTO_MAX_BYTES ((uint64_t)1 << 31)

/* Decodes tp into a new tensor (*out: caller owns one reference) following TensorFlow's
 * Tensor::FromProto (formats.md §2): tensor_content (raw little-endian) when non-empty,
 * otherwise the typed field for the dtype, repeating the last value when it holds fewer
 * values than elements (zeros when it holds none; extra values are ignored, as TF does).
 * When that repetition would expand to more than FRT_SPLAT_MAX_EXPANDED bytes the result is
 * a splat (core/tensor.h: only the given values are stored; Const expands it when run).
 * INVALID_ARGUMENT for a tensor over FRT_TENSOR_PROTO_MAX_BYTES.
 * _REF dtypes decode as their base type.
 *
 * To avoid copying weights, a tensor_content buffer of the right size is moved out of tp
 * (tp->tensor_content becomes empty, so protobuf_c_message_free_unpacked no longer frees
 * it) and the tensor frees it with free(); tp must therefore come from protobuf-c's unpack
 * with the default allocator, or from frt_text_format_parse. A proto whose content was moved
 * is marked, and decoding it again is an INTERNAL error rather than silently yielding zeros;
 * use frt_tensor_copy_from_proto for messages decoded more than once.
 *
 * Errors (tp is never freed): INVALID_ARGUMENT for bad shapes (unknown rank, negative dims,
 * rank > FRT_MAX_DIMS, overflow), a tensor_content of the wrong length, or malformed string
 * content; UNIMPLEMENTED for dtypes we cannot hold (resource, variant, float8, int4...). */
FRT_MUST_USE frt_status *frt_tensor_from_proto(Tensorflow__TensorProto *tp, frt_tensor **out);
/* Same decoding, but never modifies tp (tensor_content is copied). */
FRT_MUST_USE frt_status *frt_tensor_copy_from_proto(const Tensorflow__TensorProto *tp,
                                                    frt_tensor **out);

/* A possibly partial shape (attr `shape`): unknown_rank sets out->unknown_rank (ndim 0);
 * unknown dims are -1. INVALID_ARGUMENT for rank > FRT_MAX_DIMS, dims < -1, or unknown_rank
 * together with dims. */
FRT_MUST_USE frt_status *frt_shape_from_proto(const Tensorflow__TensorShapeProto *sp,
                                              frt_attr_shape *out);

/* Decodes an AttrValue of any kind (lists of every kind, func with nested attrs,
 * placeholder) into *out (caller owns; release with frt_attr_value_deinit). An AttrValue
 * with nothing set gives FRT_ATTR_NONE; an empty list gives FRT_ATTR_LIST with elem NONE.
 * Tensors are decoded with frt_tensor_from_proto (content moved out of av). On error *out is
 * zeroed and nothing is leaked. */
FRT_MUST_USE frt_status *frt_attr_value_from_proto(Tensorflow__AttrValue *av,
                                                   frt_attr_value *out);
/* Same, but never modifies av (tensor contents are copied). */
FRT_MUST_USE frt_status *frt_attr_value_copy_from_proto(const Tensorflow__AttrValue *av,
                                                        frt_attr_value *out);
/* Decodes av and stores it in attrs under key (replacing an existing value). steal selects
 * frt_attr_value_from_proto (true) or frt_attr_value_copy_from_proto (false). Errors name
 * the attr key. */
FRT_MUST_USE frt_status *frt_attrs_add_from_proto(frt_attrs *attrs, const char *key,
                                                  Tensorflow__AttrValue *av, bool steal);
