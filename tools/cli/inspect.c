/* tools/cli/inspect.c: `flowrt inspect MODEL [--nodes]` — a summary in the spirit of TF's
 * summarize_graph: inputs, likely outputs, op histogram, node and parameter counts, ops that
 * have no kernel, and optionally every node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct op_count {
    const char *op;
    int count;
} op_count;

static int by_count(const void *a, const void *b) {
    const op_count *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->op, y->op);
}

static void print_shape_attr(const frt_model *m, int i) {
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    frt_status *st = frt_model_node_shape_attr(m, i, "shape", &ndim, dims);
    if (st || ndim < 0) {
        frt_status_free(st);
        printf("unknown");
        return;
    }
    printf("[");
    for (int k = 0; k < ndim; k++) {
        if (dims[k] < 0) printf(k ? ",?" : "?");
        else printf(k ? ",%lld" : "%lld", (long long)dims[k]);
    }
    printf("]");
}

int cli_inspect(int argc, char **argv) {
    const char *path = NULL;
    bool nodes = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--nodes") == 0) nodes = true;
        else if (argv[i][0] == '-') return cli_failf("unknown option '%s' for inspect", argv[i]);
        else if (!path) path = argv[i];
        else return cli_failf("unexpected argument '%s'", argv[i]);
    }
    if (!path) return cli_failf("inspect: missing MODEL");
    frt_model *m;
    frt_status *st = frt_model_load(path, &m);
    if (st) return cli_fail(st);
    int n = frt_model_num_nodes(m);

    printf("model: %s\nnodes: %d\n", path, n);
    printf("inputs:\n");
    int n_inputs = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(frt_model_node_op(m, i), "Placeholder") != 0) continue;
        frt_dtype dt = FRT_DTYPE_INVALID;
        frt_status_free(frt_model_node_dtype_attr(m, i, "dtype", &dt));
        printf("  %s: %s ", frt_model_node_name(m, i), frt_dtype_name(dt));
        print_shape_attr(m, i);
        printf("\n");
        n_inputs++;
    }
    if (!n_inputs) printf("  (none)\n");

    int *sinks = calloc((size_t)n + 1, sizeof *sinks);
    op_count *hist = calloc((size_t)n + 1, sizeof *hist);
    if (!sinks || !hist) {
        free(sinks);
        free(hist);
        frt_model_free(m);
        return cli_failf("out of memory");
    }
    int ns = cli_sink_nodes(m, sinks);
    printf("likely outputs:\n");
    for (int i = 0; i < ns; i++)
        printf("  %s (%s)\n", frt_model_node_name(m, sinks[i]), frt_model_node_op(m, sinks[i]));
    if (!ns) printf("  (none)\n");

    int nh = 0;
    int64_t params = 0, const_bytes = 0;
    for (int i = 0; i < n; i++) {
        const char *op = frt_model_node_op(m, i);
        int k = 0;
        while (k < nh && strcmp(hist[k].op, op) != 0) k++;
        if (k == nh) hist[nh++] = (op_count){op, 0};
        hist[k].count++;
        const frt_tensor *c = frt_model_node_const_value(m, i);
        if (c) {
            params += frt_tensor_num_elements(c);
            const_bytes += (int64_t)frt_tensor_nbytes(c);
        }
    }
    qsort(hist, (size_t)nh, sizeof *hist, by_count);
    printf("parameters: %lld in Const nodes (%.2f MB)\n", (long long)params, const_bytes / 1e6);
    printf("ops:\n");
    for (int k = 0; k < nh; k++) printf("  %6d %s\n", hist[k].count, hist[k].op);
    int unsupported = 0;
    for (int k = 0; k < nh; k++) {
        if (frt_op_has_kernel(hist[k].op)) continue;
        printf(unsupported++ ? ", %s" : "ops without a kernel: %s", hist[k].op);
    }
    printf(unsupported ? "\n" : "ops without a kernel: none\n");

    if (nodes) {
        printf("nodes:\n");
        for (int i = 0; i < n; i++) {
            const char *dev = frt_model_node_device(m, i);
            printf("  %s = %s(", frt_model_node_name(m, i), frt_model_node_op(m, i));
            for (int j = 0; j < frt_model_node_num_inputs(m, i); j++)
                printf(j ? ", %s" : "%s", frt_model_node_input(m, i, j));
            printf(")%s%s\n", dev[0] ? " device=" : "", dev);
        }
    }
    free(sinks);
    free(hist);
    frt_model_free(m);
    return 0;
}
