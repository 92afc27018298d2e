/* io/function_lib.h: FunctionDefLibrary (protobuf-c) → function library IR (graph/function.h).
 * Thread-safety: reentrant; see frt_function_lib_from_proto about the message. */
#pragma once
#include "graph/function.h"
#include "io/proto/function.pb-c.h"

/* Converts every FunctionDef (signature, attrs, body nodes, ret/control_ret, arg_attr,
 * resource_arg_unique_id) and GradientDef of lib. Attr tensors are decoded with
 * frt_tensor_from_proto, so tensor_content buffers are moved out of lib (lib stays owned by
 * the caller, who frees it as usual). *out: caller owns (frt_function_lib_free); NULL on
 * error. Errors: INVALID_ARGUMENT naming the function (and body node / attr) for a missing
 * signature or an undecodable attr; UNIMPLEMENTED for unsupported tensor dtypes. */
FRT_MUST_USE frt_status *frt_function_lib_from_proto(Tensorflow__FunctionDefLibrary *lib,
                                                     frt_function_lib **out);
