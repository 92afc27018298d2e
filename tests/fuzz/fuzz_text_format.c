/* tests/fuzz/fuzz_text_format.c: the protobuf text parser on the messages users hand it as
 * text: a GraphDef (.pbtxt, converted and finalized), a MetaGraphDef, a SavedModel and a
 * checkpoint state file. The message type follows the text, so TF's own files seed it. */
#include "fuzz_util.h"

#include <string.h>

#include "graph/graph.h"
#include "io/graphdef.h"
#include "io/proto/checkpoint_state.pb-c.h"
#include "io/proto/saved_model.pb-c.h"
#include "io/text_format.h"

static bool has(const uint8_t *d, size_t n, const char *word) {
    return memmem(d, n, word, strlen(word)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const ProtobufCMessageDescriptor *d = NULL;
    if (has(data, size, "meta_graphs")) d = &tensorflow__saved_model__descriptor;
    else if (has(data, size, "graph_def") || has(data, size, "meta_info_def"))
        d = &tensorflow__meta_graph_def__descriptor;
    else if (has(data, size, "model_checkpoint_path"))
        d = &tensorflow__checkpoint_state__descriptor;
    if (!d) {
        frt_graph *g = NULL;
        frt_status *st = frt_graphdef_load_buffer(data, size, true, "fuzz.pbtxt", &g);
        if (!st) st = frt_graph_finalize(g);
        fz_check(st);
        frt_graph_free(g);
        return 0;
    }
    ProtobufCMessage *m = NULL;
    fz_check(frt_text_format_parse((const char *)data, size, d, "fuzz.pbtxt", &m));
    if (m) protobuf_c_message_free_unpacked(m, NULL);
    return 0;
}
