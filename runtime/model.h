/* runtime/model.h: the loaded model behind the public frt_model handle (internal).
 * Thread-safety: immutable after load; reference counted so sessions can outlive the
 * caller's handle. */
#pragma once
#include <stdatomic.h>

#include "graph/graph.h"

struct frt_model {
    atomic_int refs;
    frt_graph *g;       /* finalized */
    char *path;
};

frt_model *frt_model_ref(frt_model *m);
/* Wraps a finalized graph (takes ownership of g). */
frt_model *frt_model_from_graph(frt_graph *g, const char *path);
