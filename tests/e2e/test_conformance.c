/* tests/e2e/test_conformance.c: every case made with real TensorFlow by the generators in
 * tools/ (tests/data/<suite>/<case>/case.txt: the model — a frozen graph, a .meta with its
 * checkpoint, or a SavedModel with tags and a signature —, TF's inputs and TF's outputs, or
 * the error flowrt must report) runs through the public API and must match TF within the
 * case's tolerance. Suites: ops, models, savedmodels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/test_util.h"

enum { MAX_IO = 32 };

typedef struct tcase {
    char dir[1024];
    char model[256];       /* `model`, `savedmodel` or `meta` path, relative to dir */
    char kind[32];         /* which of the three */
    char checkpoint[256];
    char signature[128];
    char error[256];       /* expected error substring; empty: must succeed */
    char tags[4][64];
    int ntags, repeat;
    int nin, nout;
    char in_names[MAX_IO][256], in_files[MAX_IO][256];
    char out_names[MAX_IO][256], out_files[MAX_IO][256];
    double atol[MAX_IO], rtol[MAX_IO];
} tcase;

static void parse_case(tcase *c) {
    char path[1200];
    snprintf(path, sizeof path, "%s/case.txt", c->dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    char line[1200];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char kw[32];
        if (sscanf(line, "%31s", kw) != 1) continue;
        if (strcmp(kw, "model") == 0 || strcmp(kw, "savedmodel") == 0 || strcmp(kw, "meta") == 0) {
            if (sscanf(line, "%*s %255s", c->model) != 1) fail_msg("%s: bad model line", path);
            snprintf(c->kind, sizeof c->kind, "%s", kw);
        } else if (strcmp(kw, "checkpoint") == 0) {
            if (sscanf(line, "%*s %255s", c->checkpoint) != 1) fail_msg("%s: bad checkpoint", path);
        } else if (strcmp(kw, "signature") == 0) {
            if (sscanf(line, "%*s %127s", c->signature) != 1) fail_msg("%s: bad signature", path);
        } else if (strcmp(kw, "tag") == 0 && c->ntags < 4) {
            if (sscanf(line, "%*s %63s", c->tags[c->ntags++]) != 1) fail_msg("%s: bad tag", path);
        } else if (strcmp(kw, "repeat") == 0) {
            if (sscanf(line, "%*s %d", &c->repeat) != 1 || c->repeat < 1)
                fail_msg("%s: bad repeat", path);
        } else if (strcmp(kw, "error") == 0) {
            const char *e = line + strlen("error");
            while (*e == ' ') e++;
            size_t len = strcspn(e, "\r\n");
            if (len >= sizeof c->error) len = sizeof c->error - 1;
            memcpy(c->error, e, len);
            c->error[len] = 0;
        } else if (strcmp(kw, "input") == 0 && c->nin < MAX_IO) {
            if (sscanf(line, "%*s %255s %255s", c->in_names[c->nin], c->in_files[c->nin]) != 2)
                fail_msg("%s: bad input line", path);
            c->nin++;
        } else if (strcmp(kw, "output") == 0 && c->nout < MAX_IO) {
            int k = c->nout++;
            c->atol[k] = c->rtol[k] = 0;
            if (sscanf(line, "%*s %255s %255s %lf %lf", c->out_names[k], c->out_files[k],
                       &c->atol[k], &c->rtol[k]) < 2)
                fail_msg("%s: bad output line", path);
        } else {
            fail_msg("%s: unknown line '%s'", path, line);
        }
    }
    fclose(f);
}

static frt_tensor *load_npy(const tcase *c, const char *file) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", c->dir, file);
    frt_tensor *t = NULL;
    TU_OK(frt_npy_read(path, &t));
    return t;
}

static void compare(const tcase *c, int k, const frt_tensor *got, const frt_tensor *want) {
    const char *name = c->out_names[k];
    if (frt_tensor_dtype(got) != frt_tensor_dtype(want))
        fail_msg("%s: output %s has dtype %s, TF gave %s", c->dir, name,
                 frt_dtype_name(frt_tensor_dtype(got)), frt_dtype_name(frt_tensor_dtype(want)));
    bool same = frt_tensor_ndim(got) == frt_tensor_ndim(want);
    for (int i = 0; same && i < frt_tensor_ndim(got); i++)
        same = frt_tensor_dim(got, i) == frt_tensor_dim(want, i);
    if (!same) {
        char a[96], b[96];
        fail_msg("%s: output %s has shape %s, TF gave %s", c->dir, name,
                 frt_shape_str(got->dims, got->ndim, a, sizeof a),
                 frt_shape_str(want->dims, want->ndim, b, sizeof b));
    }
    int64_t n = frt_tensor_num_elements(got);
    frt_dtype dt = frt_tensor_dtype(got);
    if (dt == FRT_DTYPE_FLOAT || dt == FRT_DTYPE_DOUBLE) {
        double worst = 0;
        int64_t at = -1;
        for (int64_t i = 0; i < n; i++) {
            double g = dt == FRT_DTYPE_FLOAT ? frt_tensor_f32(got)[i] : ((double *)frt_tensor_data(got))[i];
            double w = dt == FRT_DTYPE_FLOAT ? frt_tensor_f32(want)[i] : ((double *)frt_tensor_data(want))[i];
            if (isnan(w) && isnan(g)) continue;
            if (isinf(w) && g == w) continue;
            double excess = fabs(g - w) - (c->atol[k] + c->rtol[k] * fabs(w));
            if (!(excess <= worst)) {
                worst = isnan(excess) ? INFINITY : excess;
                at = i;
            }
        }
        if (at >= 0) {
            double g = dt == FRT_DTYPE_FLOAT ? frt_tensor_f32(got)[at] : ((double *)frt_tensor_data(got))[at];
            double w = dt == FRT_DTYPE_FLOAT ? frt_tensor_f32(want)[at] : ((double *)frt_tensor_data(want))[at];
            fail_msg("%s: output %s element %lld: flowrt %.9g, TF %.9g (atol %g rtol %g)", c->dir,
                     name, (long long)at, g, w, c->atol[k], c->rtol[k]);
        }
    } else {
        size_t nb = frt_tensor_nbytes(got);
        if (nb && memcmp(frt_tensor_data(got), frt_tensor_data(want), nb) != 0)
            fail_msg("%s: output %s differs from TF (%s, exact comparison)", c->dir, name,
                     frt_dtype_name(dt));
    }
}

static frt_status *load(const tcase *c, frt_model **m) {
    char path[1400], ckpt[1400];
    snprintf(path, sizeof path, "%s/%s", c->dir, c->model);
    if (strcmp(c->kind, "savedmodel") == 0) {
        const char *tags[4];
        for (int i = 0; i < c->ntags; i++) tags[i] = c->tags[i];
        return frt_model_load_saved_model(path, tags, c->ntags, m);
    }
    if (strcmp(c->kind, "meta") == 0) {
        snprintf(ckpt, sizeof ckpt, "%s/%s", c->dir, c->checkpoint);
        return frt_model_load_meta(path, c->checkpoint[0] ? ckpt : NULL, m);
    }
    return frt_model_load(path, m);
}

/* Loads, creates a session (restoring variables) and runs `repeat` times; fetches hold the
 * last run's outputs. Any failure is returned. */
static frt_status *run_model(const tcase *c, frt_tensor **feeds, frt_tensor **fetches) {
    frt_model *m = NULL;
    frt_session *s = NULL;
    const char *in_names[MAX_IO], *out_names[MAX_IO];
    for (int i = 0; i < c->nin; i++) in_names[i] = c->in_names[i];
    for (int i = 0; i < c->nout; i++) out_names[i] = c->out_names[i];
    frt_status *st = load(c, &m);
    if (!st) st = frt_session_new(NULL, m, &s);
    /* frozen graphs run twice (the second run reuses the cached plan); stateful models run
     * exactly `repeat` times */
    int repeat = c->repeat ? c->repeat : strcmp(c->kind, "model") == 0 ? 2 : 1;
    bool by_signature = strcmp(c->kind, "savedmodel") == 0;
    for (int rep = 0; rep < repeat && !st; rep++) {
        for (int k = 0; k < c->nout; k++) {
            frt_tensor_unref(fetches[k]);
            fetches[k] = NULL;
        }
        st = by_signature ? frt_session_run_signature(s, c->signature[0] ? c->signature : NULL,
                                                      in_names, feeds, c->nin, out_names,
                                                      fetches, c->nout)
                          : frt_session_run(s, in_names, feeds, c->nin, out_names, fetches,
                                            c->nout, NULL, 0);
    }
    frt_session_free(s);
    frt_model_free(m);
    return st;
}

static void run_case(void **state) {
    tcase *c = *state;
    parse_case(c);
    frt_tensor *feeds[MAX_IO], *fetches[MAX_IO] = {0};
    for (int i = 0; i < c->nin; i++) feeds[i] = load_npy(c, c->in_files[i]);
    frt_status *st = run_model(c, feeds, fetches);
    if (c->error[0]) {
        if (!st) fail_msg("%s: expected an error containing '%s', but it ran", c->dir, c->error);
        if (!strstr(frt_status_message(st), c->error))
            fail_msg("%s: error '%s' lacks '%s'", c->dir, frt_status_message(st), c->error);
        frt_status_free(st);
    } else {
        if (st) fail_msg("%s: %s", c->dir, frt_status_message(st));
        for (int k = 0; k < c->nout; k++) {
            frt_tensor *want = load_npy(c, c->out_files[k]);
            compare(c, k, fetches[k], want);
            frt_tensor_unref(want);
        }
    }
    for (int k = 0; k < c->nout; k++) frt_tensor_unref(fetches[k]);
    for (int i = 0; i < c->nin; i++) frt_tensor_unref(feeds[i]);
}

static int run_suite(const char *suite) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s/index.txt", FRT_TEST_DATA, suite);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "missing %s\n", path);
        return 1;
    }
    struct CMUnitTest *tests = NULL;
    tcase *cases = NULL;
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        tests = realloc(tests, (size_t)(n + 1) * sizeof *tests);
        cases = realloc(cases, (size_t)(n + 1) * sizeof *cases);
        n++;
    }
    rewind(f);
    int k = 0;
    char (*names)[1100] = calloc((size_t)n + 1, sizeof *names);
    while (fgets(line, sizeof line, f) && k < n) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        memset(&cases[k], 0, sizeof cases[k]);
        snprintf(cases[k].dir, sizeof cases[k].dir, "%s/%s/%s", FRT_TEST_DATA, suite, line);
        snprintf(names[k], sizeof names[k], "%s/%s", suite, line);
        tests[k] = (struct CMUnitTest){names[k], run_case, NULL, NULL, &cases[k]};
        k++;
    }
    fclose(f);
    int failed = _cmocka_run_group_tests(suite, tests, (size_t)k, NULL, NULL);
    free(tests);
    free(cases);
    free(names);
    return failed;
}

int main(void) {
    int failed = run_suite("ops");
    failed += run_suite("models");
    failed += run_suite("savedmodels");
    return failed ? 1 : 0;
}
