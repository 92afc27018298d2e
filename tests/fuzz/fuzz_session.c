/* tests/fuzz/fuzz_session.c: load + create a session + run, on small models with fuzzed attrs,
 * Const values and shapes, so validation, shape inference, the optimizer and the kernels see
 * hostile values. The input is a GraphDef (binary or text; seeded with TF's single-op graphs
 * from tests/data/ops and its models); every Placeholder is fed a tensor of its dtype and
 * shape (unknown dims and ranks drawn from the input's hash, small values so indices, axes
 * and sizes land near their bounds) and the graph's sink nodes are fetched. The session has a
 * 256 MiB memory limit, so a hostile but legal shape is refused, not an OOM.
 * FZ_DEBUG=1 prints each run's outcome (to see that replayed inputs reach the kernels). */
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "io/graphdef.h"
#include "runtime/model.h"

enum { MAX_FEEDS = 8, MAX_FETCHES = 8, MAX_FEED_ELEMS = 1 << 16 };

/* Ops with effects outside the process (files): a fuzzed graph must not write anywhere. */
static bool writes_files(const frt_model *m) {
    static const char *const ops[] = {"SaveV2", "Save", "SaveSlices", "MergeV2Checkpoints",
                                      "WriteFile"};
    for (int i = 0; i < frt_model_num_nodes(m); i++)
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
            if (!strcmp(frt_model_node_op(m, i), ops[k])) return true;
    return false;
}

/* A feed for placeholder i, or NULL when its dtype cannot be fed here. */
static frt_tensor *make_feed(const frt_model *m, int i, uint64_t *rng) {
    frt_dtype dt;
    frt_status *st = frt_model_node_dtype_attr(m, i, "dtype", &dt);
    if (st) {
        frt_status_free(st);
        return NULL;
    }
    int ndim = -1;
    int64_t dims[FRT_MAX_DIMS];
    st = frt_model_node_shape_attr(m, i, "shape", &ndim, dims);
    if (st) frt_status_free(st), ndim = -1;
    if (ndim < 0) ndim = (int)(fz_next(rng) % 4);
    int64_t n = 1;
    for (int k = 0; k < ndim; k++) {
        if (dims[k] < 0 || ndim == 0) dims[k] = (int64_t)(fz_next(rng) % 4);
        if (dims[k] > MAX_FEED_ELEMS || (n *= dims[k]) > MAX_FEED_ELEMS) return NULL;
    }
    frt_tensor *t = NULL;
    if ((st = frt_tensor_new(dt, dims, ndim, &t))) {
        frt_status_free(st);
        return NULL;
    }
    uint8_t *p = frt_tensor_data(t);
    for (int64_t k = 0; p && k < n; k++) {
        int64_t v = (int64_t)(fz_next(rng) % 9) - 3; /* -3 .. 5 */
        switch (dt) {
        case FRT_DTYPE_FLOAT: ((float *)p)[k] = (float)v * 0.75f; break;
        case FRT_DTYPE_DOUBLE: ((double *)p)[k] = (double)v * 0.75; break;
        case FRT_DTYPE_INT32: ((int32_t *)p)[k] = (int32_t)v; break;
        case FRT_DTYPE_INT64: ((int64_t *)p)[k] = v; break;
        case FRT_DTYPE_BOOL: p[k] = v > 0; break;
        case FRT_DTYPE_UINT8:
        case FRT_DTYPE_INT8: p[k] = (uint8_t)v; break;
        default: break; /* zeros */
        }
    }
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    frt_graph *g = NULL;
    bool text = frt_graphdef_looks_like_text(data, size);
    frt_status *st = frt_graphdef_load_buffer(data, size, text, "fuzz.pb", &g);
    if (!st) st = frt_graph_finalize(g);
    if (st) {
        fz_check(st);
        frt_graph_free(g);
        return 0;
    }
    frt_model *m = frt_model_from_graph(g, "fuzz.pb");
    if (!m) {
        frt_graph_free(g);
        return 0;
    }
    uint64_t rng = fz_hash(data, size);
    frt_session *s = writes_files(m) ? NULL : fz_session_new(m, (int)(rng & 1), &st);
    if (st || !s) {
        fz_check(st);
        frt_model_free(m);
        return 0;
    }
    const char *feed_names[MAX_FEEDS], *fetch_names[MAX_FETCHES];
    frt_tensor *feeds[MAX_FEEDS], *fetches[MAX_FETCHES];
    int nfeed = 0, nfetch = 0, nn = frt_model_num_nodes(m);
    for (int i = 0; i < nn && nfeed < MAX_FEEDS; i++) {
        if (strcmp(frt_model_node_op(m, i), "Placeholder")) continue;
        frt_tensor *t = make_feed(m, i, &rng);
        if (!t) continue;
        feed_names[nfeed] = frt_model_node_name(m, i);
        feeds[nfeed++] = t;
    }
    int *sinks = malloc((size_t)(nn > 0 ? nn : 1) * sizeof *sinks);
    int ns = sinks ? frt_model_sink_nodes(m, sinks) : 0;
    for (int k = 0; k < ns && nfetch < MAX_FETCHES; k++)
        fetch_names[nfetch++] = frt_model_node_name(m, sinks[k]);
    free(sinks);
    if (nfetch > 0) {
        st = frt_session_run(s, feed_names, feeds, nfeed, fetch_names, fetches, nfetch, NULL, 0);
        if (getenv("FZ_DEBUG")) fprintf(stderr, "run: %s\n", st ? frt_status_message(st) : "ok");
        if (!st)
            for (int k = 0; k < nfetch; k++) frt_tensor_unref(fetches[k]);
        fz_check(st);
    }
    for (int k = 0; k < nfeed; k++) frt_tensor_unref(feeds[k]);
    frt_session_free(s);
    frt_model_free(m);
    return 0;
}
