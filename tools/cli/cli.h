/* tools/cli/cli.h: shared pieces of the flowrt command-line tool. Uses only the public API
 * (include/flowrt/flowrt.h). */
#pragma once
#include <stdbool.h>

#include "flowrt/flowrt.h"

int cli_run(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_freeze(int argc, char **argv);

/* Loads MODEL: a SavedModel directory (tags; none = serve), a .meta (with an optional
 * checkpoint prefix or directory) or a frozen GraphDef. */
frt_status *cli_load_model(const char *path, const char *const *tags, int ntags,
                           const char *checkpoint, frt_model **out);

/* Prints "flowrt: error: <message>" on one line (newlines folded) and returns 1. */
int cli_fail(frt_status *st);
int cli_failf(const char *fmt, ...) FRT_PRINTF(1, 2);

/* Parses a JSON-style literal (nested lists of numbers/bools, or a scalar) into a tensor of
 * dtype dt. */
frt_status *cli_parse_literal(const char *text, frt_dtype dt, frt_tensor **out);

/* Writes "[2,3]"-style shape of t into buf. */
const char *cli_shape_str(const frt_tensor *t, char *buf, size_t n);
