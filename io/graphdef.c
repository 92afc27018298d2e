/* io/graphdef.c: GraphDef files (.pb binary, .pbtxt text) → graph IR.
 * Owns: reading the file (through io/file.c, into owned memory), text-vs-binary detection,
 * NodeDef → frt_node conversion, attaching the function library (converted by
 * function_lib.c). Does not own: validation and input resolution (graph/validate.c,
 * frt_graph_finalize), TensorProto rules (tensor_proto.c), the text grammar (text_format.c).
 * Thread-safety: reentrant. */
#include "io/graphdef.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "graph/function.h"
#include "io/file.h"
#include "io/function_lib.h"
#include "io/pb_alloc.h"
#include "io/proto_depth.h"
#include "io/tensor_proto.h"
#include "io/text_format.h"

static frt_status *too_many_nodes(size_t n) {
    return frt_status_new(FRT_INVALID_ARGUMENT,
                          "the GraphDef has %zu nodes, more than the %d a graph may have "
                          "(FRT_GRAPH_MAX_NODES)",
                          n, frt_graph_max_nodes());
}

frt_status *frt_graphdef_check_wire(const ProtobufCMessageDescriptor *d, const void *data,
                                    size_t len, const char *name) {
    size_t n_nodes = 0;
    FRT_TRY(frt_proto_check_depth(d, data, len, name, &n_nodes));
    if (n_nodes > (size_t)frt_graph_max_nodes())
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "'%s' has %zu nodes, more than the %d a graph may have "
                              "(FRT_GRAPH_MAX_NODES)",
                              name, n_nodes, frt_graph_max_nodes());
    return NULL;
}

frt_status *frt_graph_from_graphdef(Tensorflow__GraphDef *gd, frt_graph **out) {
    *out = NULL;
    if (gd->n_node > (size_t)frt_graph_max_nodes()) return too_many_nodes(gd->n_node);
    frt_graph *g = frt_graph_new();
    if (!g) return frt_status_oom("creating a graph");
    for (size_t i = 0; i < gd->n_node; i++) {
        Tensorflow__NodeDef *nd = gd->node[i];
        int idx;
        frt_status *st = frt_graph_try_add_node(g, nd->name, nd->op, nd->device, &idx);
        if (st) {
            frt_graph_free(g);
            return st;
        }
        frt_node *n = frt_graph_node(g, idx);
        for (size_t k = 0; k < nd->n_input && !st; k++)
            st = frt_node_try_add_input(n, nd->input[k]);
        if (st) {
            frt_graph_free(g);
            return st;
        }
        for (size_t k = 0; k < nd->n_attr; k++) {
            Tensorflow__NodeDef__AttrEntry *e = nd->attr[k];
            frt_status *st = frt_attrs_add_from_proto(&n->attrs, e->key ? e->key : "",
                                                      e->value, true);
            if (st) {
                st = frt_status_annotate(st, " of node '%s' (%s)", n->name, n->op);
                frt_graph_free(g);
                return st;
            }
        }
    }
    if (gd->versions) {
        g->producer = gd->versions->producer;
        g->min_consumer = gd->versions->min_consumer;
    }
    if (gd->library && (gd->library->n_function || gd->library->n_gradient)) {
        frt_function_lib *lib;
        frt_status *st = frt_function_lib_from_proto(gd->library, &lib);
        if (st) {
            frt_graph_free(g);
            return frt_status_annotate(st, " in the function library");
        }
        frt_graph_set_library(g, lib);
    }
    *out = g;
    return NULL;
}

bool frt_graphdef_looks_like_text(const void *data, size_t len) {
    const unsigned char *s = data;
    size_t i = 0, lim = len < 4096 ? len : 4096;
    for (size_t k = 0; k < lim; k++) {
        unsigned char c = s[k];
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\v' && c != '\f') ||
            c == 0x7f)
            return false;
    }
    for (;;) { /* whitespace and comments */
        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
                           s[i] == '\v' || s[i] == '\f'))
            i++;
        if (i < len && s[i] == '#') {
            while (i < len && s[i] != '\n') i++;
            continue;
        }
        break;
    }
    if (i == len || !(s[i] == '_' || isalpha(s[i]))) return false;
    while (i < len && (s[i] == '_' || isalnum(s[i]))) i++;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    return i < len && (s[i] == ':' || s[i] == '{' || s[i] == '<');
}

frt_status *frt_graphdef_load_buffer(const void *data, size_t len, bool text,
                                     const char *name_for_errors, frt_graph **out) {
    *out = NULL;
    const char *name = name_for_errors ? name_for_errors : "<buffer>";
    if (len == 0)
        return frt_status_new(FRT_DATA_LOSS, "'%s': file is empty, not a GraphDef", name);
    Tensorflow__GraphDef *gd = NULL;
    if (text) {
        ProtobufCMessage *m;
        FRT_TRY(frt_text_format_parse(data, len, &tensorflow__graph_def__descriptor, name, &m));
        gd = (Tensorflow__GraphDef *)m;
    } else {
        FRT_TRY(frt_graphdef_check_wire(&tensorflow__graph_def__descriptor, data, len, name));
        frt_pb_alloc pa;
        frt_pb_alloc_init(&pa);
        gd = tensorflow__graph_def__unpack(&pa.base, len, data);
        if (!gd && pa.failed) return frt_status_oom("decoding GraphDef '%s'", name);
        if (!gd)
            return frt_status_new(FRT_DATA_LOSS,
                                  "'%s': not a valid binary GraphDef (truncated or corrupt)",
                                  name);
    }
    frt_status *st = frt_graph_from_graphdef(gd, out);
    tensorflow__graph_def__free_unpacked(gd, NULL);
    if (st) return frt_status_annotate(st, " in '%s'", name);
    return NULL;
}

static bool has_text_extension(const char *path) {
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash)) return false;
    return !strcmp(dot, ".pbtxt") || !strcmp(dot, ".pbtext") || !strcmp(dot, ".txt");
}

frt_status *frt_graphdef_load_file(const char *path, frt_graph **out) {
    *out = NULL;
    /* Read into owned memory, not mapped: a file truncated while it is parsed must be an
     * error, not a SIGBUS. */
    uint8_t *data;
    size_t len;
    FRT_TRY(frt_file_read(path, "GraphDef", FRT_FILE_MAX_PROTO, &data, &len));
    bool text = has_text_extension(path) || frt_graphdef_looks_like_text(data, len);
    frt_status *st = frt_graphdef_load_buffer(data, len, text, path, out);
    free(data);
    return st;
}
