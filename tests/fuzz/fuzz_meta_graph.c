/* tests/fuzz/fuzz_meta_graph.c: a binary or text MetaGraphDef (.meta) restored from TF's
 * tf1_mlp_ckpt checkpoint: loaded (saver_def, collections, function library inlining) and a
 * session created, which runs the saver's restore op. */
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    char prefix[600], path[700];
    fz_path(prefix, sizeof prefix, "model.ckpt");
    if (!ready) {
        snprintf(path, sizeof path, "%s.index", prefix);
        fz_copy_data("savedmodels/tf1_mlp_ckpt/model.ckpt.index", path);
        snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
        fz_copy_data("savedmodels/tf1_mlp_ckpt/model.ckpt.data-00000-of-00001", path);
        ready = true;
    }
    snprintf(path, sizeof path, "%s.meta", prefix);
    fz_write(path, data, size);
    frt_model *m = NULL;
    frt_status *st = frt_model_load_meta(path, prefix, &m);
    frt_session *s = st ? NULL : fz_session_new(m, 1, &st);
    fz_check(st);
    frt_session_free(s);
    frt_model_free(m);
    return 0;
}
