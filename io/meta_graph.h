/* io/meta_graph.h: MetaGraphDef (a `.meta` file, or one entry of a SavedModel) → frt_metagraph
 * (graph/metagraph.h): the graph with its functions inlined and finalized, signatures, the
 * saver's restore op, init ops, assets and tags.
 * Thread-safety: reentrant (no shared state). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "graph/metagraph.h"
#include "io/proto/meta_graph.pb-c.h"

/* Builds a metagraph from an unpacked MetaGraphDef. export_dir (may be NULL) is the SavedModel
 * directory: asset paths become export_dir/assets/<filename> (just <filename> without one).
 * mgd stays owned by the caller but is modified as by frt_graph_from_graphdef (its graph's
 * function library and Const tensor contents are moved into the graph); it must come from
 * protobuf-c's unpack (NULL allocator) or frt_text_format_parse.
 *
 * What it fills (see frt_metagraph):
 *  - g: graph_def → IR, then frt_graph_inline_functions, then frt_graph_finalize (which
 *    re-adds attrs stripped as defaults, so stripped_default_attrs needs nothing more);
 *  - tags: meta_info_def.tags;
 *  - signatures: every signature_def but `__saved_model_init_op`, sorted by name, inputs and
 *    outputs sorted by key, dtype collapsed to its base type, ndim -1 when the shape is absent
 *    or of unknown rank. Signatures using sparse or composite tensor encodings (CooSparse,
 *    CompositeTensor) are left out: only dense tensors can be fed and fetched by name;
 *  - saver_*: from saver_def when it names a restore op (else all NULL, version 0);
 *  - init_ops: node names, as TF's loader picks them: the `__saved_model_init_op`
 *    signature's output if present, else the `saved_model_main_op` collection, else
 *    `legacy_init_op` (node_list values, "^" and ":k" removed, duplicates dropped);
 *  - assets: asset_file_def, or when empty the `saved_model_assets` collection (any_list of
 *    tensorflow.AssetFileDef).
 *  - checkpoint_prefix: left NULL (the callers below set it).
 * Every tensor and node named by signatures, saver, init ops and assets must exist in the
 * graph. Errors: INVALID_ARGUMENT naming the signature/key, collection or node (and graph
 * errors from the GraphDef loader, the inliner and finalize); DATA_LOSS for an undecodable
 * AssetFileDef in a collection. *out: caller owns (frt_metagraph_free); NULL on error. */
FRT_MUST_USE frt_status *frt_meta_graph_from_proto(Tensorflow__MetaGraphDef *mgd,
                                                   const char *export_dir,
                                                   frt_metagraph **out);

/* Loads a `.meta` file (binary MetaGraphDef as tf.train.Saver writes it; text format when
 * the content looks like text, see frt_graphdef_looks_like_text). When "<path without
 * .meta>.index" exists (Saver's model.ckpt.meta next to model.ckpt.index), that prefix
 * becomes checkpoint_prefix. Errors name the path: NOT_FOUND (no file), DATA_LOSS (empty or
 * corrupt), FAILED_PRECONDITION (unreadable), plus frt_meta_graph_from_proto's.
 * *out: caller owns; NULL on error. */
FRT_MUST_USE frt_status *frt_meta_graph_load_file(const char *meta_path, frt_metagraph **out);
