/* runtime/model.h: the loaded model behind the public frt_model handle (internal): a graph
 * with its MetaGraph context (signatures, saver, init ops, assets; empty for frozen graphs).
 * Thread-safety: immutable after load; reference counted so sessions can outlive the
 * caller's handle. */
#pragma once
#include <stdatomic.h>

#include "graph/metagraph.h"

struct frt_model {
    atomic_int refs;
    frt_metagraph *mg;  /* owned */
    frt_graph *g;       /* mg->g, finalized */
    char *path;
};

frt_model *frt_model_ref(frt_model *m);
/* Wraps a finalized graph (takes ownership of g). NULL when out of memory, and then g is
 * still the caller's (as is mg below). */
frt_model *frt_model_from_graph(frt_graph *g, const char *path);
/* Wraps a loaded MetaGraph (takes ownership of mg). */
frt_model *frt_model_from_metagraph(frt_metagraph *mg, const char *path);
