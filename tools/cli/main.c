/* tools/cli/main.c: `flowrt` entry point — dispatches subcommands and owns error printing.
 * Public API only. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: flowrt <command> [args]\n"
            "  run MODEL --input NAME=VALUE ... [--output NAME ...] [--out-dir DIR]\n"
            "            [--threads N] [--repeat N] [--checkpoint PREFIX]\n"
            "            [--tag TAG ...] [--signature NAME] [--no-optimize]\n"
            "            [--stats-json FILE] [DEVICE FLAGS]\n"
            "      MODEL: frozen GraphDef (.pb/.pbtxt), MetaGraph (.meta, restored from\n"
            "      --checkpoint) or SavedModel directory. NAME: a tensor name (node or\n"
            "      node:k), or for a SavedModel a signature key.\n"
            "      VALUE: a .npy file or a literal such as 3.5 or [[1,2],[3,4]].\n"
            "  inspect MODEL|CHECKPOINT [--nodes] [--tensor NAME] [--values]\n"
            "          [--placement [DEVICE FLAGS]]\n"
            "      a graph: inputs, likely outputs, op histogram, node and parameter counts;\n"
            "      a SavedModel: tags, signatures, variables; a checkpoint: its tensors.\n"
            "  freeze (SAVEDMODEL_DIR [--signature NAME] | MODEL.meta --checkpoint PREFIX)\n"
            "         [--tag TAG ...] [--outputs a,b] -o frozen.pb\n"
            "      variables become constants, pruned to the outputs.\n"
            "  DEVICE FLAGS: [--visible-gpus 0,1] [--no-soft-placement]\n"
            "      [--log-device-placement] [--gpu-memory-fraction F] [--allow-growth]\n"
            "      [--gpu-memory-limit MB] [--gpu-session-limit MB]\n");
}

/* Multi-line messages (lists of problems) become one line: "a:\n  b\n  c" -> "a: b; c". */
static void print_folded(const char *msg) {
    for (const char *p = msg; *p; p++) {
        if (*p == '\n') {
            fputs(p > msg && p[-1] == ':' ? " " : "; ", stderr);
            while (p[1] == ' ') p++;
        } else {
            fputc(*p, stderr);
        }
    }
}

int cli_fail(frt_status *st) {
    fputs("flowrt: error: ", stderr);
    print_folded(frt_status_message(st));
    fputc('\n', stderr);
    frt_status_free(st);
    return 1;
}

int cli_failf(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fputs("flowrt: error: ", stderr);
    print_folded(buf);
    fputc('\n', stderr);
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "run") == 0) return cli_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "inspect") == 0) return cli_inspect(argc - 2, argv + 2);
    if (strcmp(argv[1], "freeze") == 0) return cli_freeze(argc - 2, argv + 2);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    return cli_failf("unknown command '%s' (see 'flowrt --help')", argv[1]);
}
