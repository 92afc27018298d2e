/* tests/fuzz/fuzz_ckpt_index.c: a checkpoint's .index (an SSTable of BundleEntryProtos, maybe
 * Snappy-compressed) opened, then every tensor it lists read from a fixed data shard (TF's
 * tf1_basic). Block CRCs are not checked: fuzzed bytes would almost all fail them, and a
 * crafted file can carry correct CRCs, so the parser behind the check is what is fuzzed. */
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>

#include "io/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    char prefix[600], path[700];
    fz_path(prefix, sizeof prefix, "model.ckpt");
    if (!ready) {
        snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
        fz_copy_data("ckpt/tf1_basic/model.ckpt.data-00000-of-00001", path);
        frt_bundle_set_verify_crc_for_fuzzing(false);
        ready = true;
    }
    snprintf(path, sizeof path, "%s.index", prefix);
    fz_write(path, data, size);
    fz_read_checkpoint(prefix);
    return 0;
}
