/* tools/demo_digits.c: `flowrt_demo DIR` — runs the bundled digits CNN (DIR/model.pb) on its
 * sample images (DIR/samples.npy) through the public API, prints each prediction against
 * its label (DIR/labels.npy) and the accuracy, and how far flowrt's probabilities are from
 * TensorFlow's (DIR/expected_probs.npy). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowrt/flowrt.h"

static int fail(frt_status *st) {
    fprintf(stderr, "flowrt_demo: error: %s\n", frt_status_message(st));
    frt_status_free(st);
    return 1;
}

static char *join(const char *dir, const char *file) {
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", dir, file);
    return p;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "models/digits";
    char *model_path = join(dir, "model.pb"), *samples_path = join(dir, "samples.npy");
    char *labels_path = join(dir, "labels.npy"), *expected_path = join(dir, "expected_probs.npy");
    frt_model *m = NULL;
    frt_session *s = NULL;
    frt_tensor *x = NULL, *labels = NULL, *expected = NULL, *probs = NULL;
    frt_status *st = NULL;
    int rc = 1;
    if ((st = frt_model_load(model_path, &m)) || (st = frt_npy_read(samples_path, &x)) ||
        (st = frt_npy_read(labels_path, &labels))) {
        rc = fail(st);
        goto done;
    }
    /* the model's one Placeholder is the input; its last unconsumed node is the output */
    const char *in_name = NULL, *out_name = NULL;
    int n = frt_model_num_nodes(m);
    for (int i = 0; i < n; i++)
        if (strcmp(frt_model_node_op(m, i), "Placeholder") == 0) in_name = frt_model_node_name(m, i);
    int *sinks = calloc((size_t)n + 1, sizeof *sinks);
    int ns = sinks ? frt_model_sink_nodes(m, sinks) : 0;
    if (ns > 0) out_name = frt_model_node_name(m, sinks[ns - 1]);
    free(sinks);
    if (!in_name || !out_name) {
        fprintf(stderr, "flowrt_demo: error: '%s' has no single input/output\n", model_path);
        goto done;
    }
    if ((st = frt_session_new(NULL, m, &s)) ||
        (st = frt_session_run(s, &in_name, &x, 1, &out_name, &probs, 1, NULL, 0))) {
        rc = fail(st);
        goto done;
    }
    int64_t batch = frt_tensor_dim(probs, 0), classes = frt_tensor_dim(probs, 1);
    if (frt_tensor_ndim(probs) != 2 || frt_tensor_num_elements(labels) != batch ||
        frt_tensor_dtype(labels) != FRT_DTYPE_INT32) {
        fprintf(stderr, "flowrt_demo: error: unexpected output or label shapes\n");
        goto done;
    }
    const float *p = frt_tensor_data(probs);
    const int32_t *lab = frt_tensor_data(labels);
    int correct = 0;
    printf("digits demo: %s, input '%s', output '%s'\n", model_path, in_name, out_name);
    for (int64_t b = 0; b < batch; b++) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (p[b * classes + c] > p[b * classes + best]) best = c;
        correct += best == lab[b];
        printf("  sample %2lld: predicted %d (p=%.3f), label %d%s\n", (long long)b, best,
               p[b * classes + best], lab[b], best == lab[b] ? "" : "  <-- wrong");
    }
    printf("accuracy: %d/%lld = %.1f%%\n", correct, (long long)batch, 100.0 * correct / batch);
    if (!frt_npy_read(expected_path, &expected) &&
        frt_tensor_num_elements(expected) == frt_tensor_num_elements(probs)) {
        const float *e = frt_tensor_data(expected);
        double maxdiff = 0;
        for (int64_t i = 0; i < frt_tensor_num_elements(probs); i++)
            maxdiff = fmax(maxdiff, fabs((double)p[i] - e[i]));
        printf("max |flowrt - TensorFlow| over all probabilities: %.3g\n", maxdiff);
    }
    rc = 0;
done:
    frt_tensor_unref(x);
    frt_tensor_unref(labels);
    frt_tensor_unref(expected);
    frt_tensor_unref(probs);
    frt_session_free(s);
    frt_model_free(m);
    free(model_path);
    free(samples_path);
    free(labels_path);
    free(expected_path);
    return rc;
}
