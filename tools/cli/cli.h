/* tools/cli/cli.h: shared pieces of the flowrt command-line tool. Uses only the public API
 * (include/flowrt/flowrt.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

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

/* Device and GPU-memory flags shared by run and inspect (tools/cli/device_flags.c). */
typedef struct cli_device_opts {
    const char *visible_gpus;
    bool no_soft_placement, log_device_placement, allow_growth;
    double fraction;            /* 0 = TF's default */
    size_t limit, session_limit; /* bytes; 0 = none */
} cli_device_opts;
/* argv[*i] is one of them: consumes it (and its value, advancing *i) and returns 1; 0 when it
 * is not one; -1 after printing the error for a bad value. */
int cli_device_flag(int argc, char **argv, int *i, cli_device_opts *d);
/* Sets them on o; 1 after printing an error. */
int cli_device_apply(const cli_device_opts *d, frt_session_options *o);
