/* tools/cli/freeze.c: `flowrt freeze (SAVEDMODEL_DIR [--signature NAME] | MODEL.meta
 * --checkpoint PREFIX) [--tag TAG ...] [--outputs a,b] -o frozen.pb` — loads the model,
 * restores its variables in a session, and writes a frozen GraphDef (variables as
 * constants, pruned to the outputs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { MAX_OUT = 256 };

int cli_freeze(int argc, char **argv) {
    const char *model_path = NULL, *checkpoint = NULL, *signature = NULL, *out_path = NULL;
    const char *tags[16];
    int ntags = 0;
    char *outputs_arg = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output-file") == 0) && has_val) out_path = argv[++i];
        else if (strcmp(a, "--checkpoint") == 0 && has_val) checkpoint = argv[++i];
        else if (strcmp(a, "--signature") == 0 && has_val) signature = argv[++i];
        else if (strcmp(a, "--outputs") == 0 && has_val) outputs_arg = argv[++i];
        else if (strcmp(a, "--tag") == 0 && has_val && ntags < 16) tags[ntags++] = argv[++i];
        else if (a[0] == '-') return cli_failf("unknown or incomplete option '%s' for freeze", a);
        else if (!model_path) model_path = a;
        else return cli_failf("unexpected argument '%s'", a);
    }
    if (!model_path) return cli_failf("freeze: missing MODEL (a SavedModel directory or a .meta)");
    if (!out_path) return cli_failf("freeze: missing -o frozen.pb");

    frt_model *m = NULL;
    frt_session *s = NULL;
    frt_status *st = cli_load_model(model_path, tags, ntags, checkpoint, &m);
    if (st) return cli_fail(st);
    int rc = 0;
    const char *outs[MAX_OUT];
    int nout = 0;
    char *copy = outputs_arg ? strdup(outputs_arg) : NULL;
    if (copy) {
        for (char *tok = strtok(copy, ","); tok && nout < MAX_OUT; tok = strtok(NULL, ","))
            if (*tok) outs[nout++] = tok;
    } else if (signature || frt_model_num_signatures(m) > 0) {
        const char *want = signature ? signature : "serving_default";
        int sig = frt_model_find_signature(m, want);
        if (sig < 0 && !signature && frt_model_num_signatures(m) > 0) sig = 0;
        if (sig < 0) {
            rc = cli_failf("'%s' has no signature '%s'", model_path, want);
            goto done;
        }
        for (int i = 0; i < frt_model_signature_num_args(m, sig, 1) && nout < MAX_OUT; i++)
            outs[nout++] = frt_model_signature_arg_tensor(m, sig, 1, i);
    } else {
        rc = cli_failf("'%s' has no signatures: name the outputs with --outputs a,b", model_path);
        goto done;
    }
    if ((st = frt_session_new(NULL, m, &s)) || (st = frt_session_freeze(s, outs, nout, out_path))) {
        rc = cli_fail(st);
        goto done;
    }
    printf("froze %s -> %s (%d output%s:", model_path, out_path, nout, nout == 1 ? "" : "s");
    for (int i = 0; i < nout; i++) printf(" %s", outs[i]);
    printf(")\n");
done:
    free(copy);
    frt_session_free(s);
    frt_model_free(m);
    return rc;
}
