/* io/saved_model.h: loading a SavedModel directory (saved_model.pb or saved_model.pbtxt, plus
 * variables/ and assets/) into a frt_metagraph (graph/metagraph.h) for the session.
 * Thread-safety: reentrant (no shared state). */
#pragma once
#include "graph/metagraph.h"

/* Loads the MetaGraph of SavedModel directory dir whose tag set equals {tags[0..ntags)} as a
 * set (order and duplicates ignored; the first match wins, as in TF's LoadSavedModel);
 * ntags == 0 (tags may be NULL) means {"serve"}. Reads saved_model.pb, else
 * saved_model.pbtxt (text format). On top of frt_meta_graph_from_proto (io/meta_graph.h):
 * asset paths are dir/assets/<filename>, and checkpoint_prefix is dir/variables/variables
 * when dir/variables/variables.index exists (else NULL: nothing to restore). With both an
 * object_graph_def and that checkpoint, var_bindings holds the TF2 object-graph variable
 * bindings (io/object_graph.h frt_object_graph_var_bindings; its errors name the file).
 * Errors name the directory or file: NOT_FOUND when dir does not exist, holds neither file,
 * or has no MetaGraph with the requested tags (the message lists the available tag sets);
 * UNIMPLEMENTED for a chunked saved_model.cpb alone; DATA_LOSS for a corrupt or truncated
 * saved_model.pb; INVALID_ARGUMENT for text syntax errors (line:col) and bad graphs;
 * FAILED_PRECONDITION when saved_model.pb (or .pbtxt) is there but is not a regular file,
 * saying what it is ("is a named pipe (FIFO)"; it is never opened in a way that blocks).
 * *out: caller owns (frt_metagraph_free); NULL on error. */
FRT_MUST_USE frt_status *frt_saved_model_load(const char *dir, const char *const *tags,
                                              int ntags, frt_metagraph **out);

/* True when dir looks like a SavedModel (has saved_model.pb or saved_model.pbtxt). */
bool frt_saved_model_is_dir(const char *dir);
