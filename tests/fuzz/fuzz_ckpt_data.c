/* tests/fuzz/fuzz_ckpt_data.c: a checkpoint's data shard under TF's tf1_basic index (nine
 * tensors: float, double, int32, int64, half, bool, uint8, string, empty), every tensor read.
 * With the tensor CRC checked (this harness) damage must be caught; fuzz_ckpt_data_nocrc.c
 * builds the same harness with the check off, so the decoding behind it (strings above all)
 * sees crafted bytes, as a file with correct CRCs would carry them. */
#include "fuzz_util.h"

#include <stdbool.h>
#include <stdio.h>

#include "io/bundle.h"

#ifndef FZ_VERIFY_CRC
#define FZ_VERIFY_CRC true
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool ready;
    char prefix[600], path[700];
    fz_path(prefix, sizeof prefix, "model.ckpt");
    if (!ready) {
        snprintf(path, sizeof path, "%s.index", prefix);
        fz_copy_data("ckpt/tf1_basic/model.ckpt.index", path);
        frt_bundle_set_verify_crc_for_fuzzing(FZ_VERIFY_CRC);
        ready = true;
    }
    snprintf(path, sizeof path, "%s.data-00000-of-00001", prefix);
    fz_write(path, data, size);
    fz_read_checkpoint(prefix);
    return 0;
}
