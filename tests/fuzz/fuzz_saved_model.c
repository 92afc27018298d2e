/* tests/fuzz/fuzz_saved_model.c: a SavedModel directory whose saved_model.pb is the input,
 * beside the variables and assets of TF's tf1_savedmodel fixture: the directory is loaded
 * (MetaGraph chosen by tag, signatures, saver, assets) and a session created, which restores
 * the variables through the graph's own saver and runs the main op. A fuzzed graph that
 * would write files (SaveV2 and friends run only when fetched) is never run. */
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    char dir[600], path[700];
    fz_path(dir, sizeof dir, "sm");
    if (!ready) {
        static const char *const files[] = {"variables/variables.index",
                                            "variables/variables.data-00000-of-00001",
                                            "assets/vocab.txt"};
        mkdir(dir, 0755);
        snprintf(path, sizeof path, "%s/variables", dir), mkdir(path, 0755);
        snprintf(path, sizeof path, "%s/assets", dir), mkdir(path, 0755);
        for (int i = 0; i < 3; i++) {
            char rel[256];
            snprintf(rel, sizeof rel, "savedmodels/tf1_savedmodel/model/%s", files[i]);
            snprintf(path, sizeof path, "%s/%s", dir, files[i]);
            fz_copy_data(rel, path);
        }
        ready = true;
    }
    snprintf(path, sizeof path, "%s/saved_model.pb", dir);
    fz_write(path, data, size);
    const char *tags[] = {"serve"};
    frt_model *m = NULL;
    frt_status *st = frt_model_load_saved_model(dir, tags, 1, &m);
    frt_session *s = st ? NULL : fz_session_new(m, 1, &st);
    fz_check(st);
    frt_session_free(s);
    frt_model_free(m);
    return 0;
}
