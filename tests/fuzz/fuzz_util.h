/* tests/fuzz/fuzz_util.h: what the libFuzzer harnesses share. Each fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput; linked with -fsanitize=fuzzer it is a fuzzer (make fuzz), linked
 * with replay_main.c it replays files (the ctest fuzz/<name> runs the seeds and every crash
 * ever found, tests/data/bad/fuzz/<name>/, so harnesses never rot and fixed bugs stay fixed).
 * Thread-safety: harnesses are single-threaded. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "include/flowrt/flowrt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* path = <this process's scratch directory>/name; the directory (on tmpfs where there is
 * one) is made on first use and removed at exit. */
void fz_path(char *path, size_t cap, const char *name);
/* Writes bytes to path (replacing it); aborts on I/O failure (the harness's, not flowrt's). */
void fz_write(const char *path, const void *data, size_t len);
/* Copies tests/data/<rel> to path. */
void fz_copy_data(const char *rel, const char *path);
/* Judges a status from hostile input and frees it: NULL and any clean error pass; an error
 * with an empty message or the INTERNAL code (a broken invariant reached from input) aborts,
 * so the fuzzer reports it. */
void fz_check(frt_status *st);
/* Opens the checkpoint at prefix and reads every tensor it lists, judging each status. */
void fz_read_checkpoint(const char *prefix);
/* A session on m as the harnesses make them: one inter-op and one intra-op thread, a
 * 256 MiB memory limit (a hostile but legal shape is refused, not an OOM), the optimizer as
 * asked. NULL with *st set when creation fails. */
frt_session *fz_session_new(const frt_model *m, int optimize, frt_status **st);
/* Deterministic bits derived from the input (a seed for feeds, flags). */
uint64_t fz_hash(const uint8_t *data, size_t len);
uint64_t fz_next(uint64_t *state);
