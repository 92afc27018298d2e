/* tests/fuzz/fuzz_npy.c: a .npy file as a feed (frt_npy_read, the path `--input x=FILE`
 * takes). */
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[600];
    fz_path(path, sizeof path, "x.npy");
    fz_write(path, data, size);
    frt_tensor *t = NULL;
    fz_check(frt_npy_read(path, &t));
    frt_tensor_unref(t);
    return 0;
}
