/* tests/fuzz/fuzz_ckpt_data_nocrc.c: fuzz_ckpt_data with the tensor CRC check off. */
#define FZ_VERIFY_CRC false
#include "fuzz_ckpt_data.c"
