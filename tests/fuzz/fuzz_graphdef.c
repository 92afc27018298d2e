/* tests/fuzz/fuzz_graphdef.c: a binary GraphDef (as a frozen .pb) decoded, converted to the
 * graph IR and finalized (input resolution and validation). */
#include "fuzz_util.h"

#include "graph/graph.h"
#include "io/graphdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    frt_graph *g = NULL;
    frt_status *st = frt_graphdef_load_buffer(data, size, false, "fuzz.pb", &g);
    if (!st) st = frt_graph_finalize(g);
    fz_check(st);
    frt_graph_free(g);
    return 0;
}
