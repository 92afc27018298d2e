/* tools/cli/inspect.c: `flowrt inspect PATH` —
 * - a graph (.pb/.pbtxt/.meta): a summary in the spirit of TF's summarize_graph (inputs, likely
 *   outputs, op histogram, node and parameter counts, ops without a kernel, with --nodes every
 *   node);
 * - a SavedModel directory: tags, signatures with inputs and outputs, variables (like
 *   `saved_model_cli show --all`);
 * - a checkpoint prefix or directory: every tensor's name, dtype and shape, and with
 *   --tensor NAME or --values their values (like inspect_checkpoint). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static void print_dims(int ndim, const int64_t *dims) {
    if (ndim < 0) {
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

static void print_tensor_values(const frt_tensor *t) {
    int64_t n = frt_tensor_num_elements(t), show = n < 1000 ? n : 1000;
    const void *d = frt_tensor_data(t);
    printf("    [");
    for (int64_t i = 0; i < show; i++) {
        if (i) printf(i % 10 ? ", " : ",\n     ");
        switch (frt_tensor_dtype(t)) {
        case FRT_DTYPE_FLOAT: printf("%.7g", ((const float *)d)[i]); break;
        case FRT_DTYPE_DOUBLE: printf("%.15g", ((const double *)d)[i]); break;
        case FRT_DTYPE_INT32: printf("%d", ((const int32_t *)d)[i]); break;
        case FRT_DTYPE_INT64: printf("%lld", (long long)((const int64_t *)d)[i]); break;
        case FRT_DTYPE_BOOL: printf("%s", ((const uint8_t *)d)[i] ? "true" : "false"); break;
        case FRT_DTYPE_STRING: {
            size_t len;
            const char *s = frt_tensor_string(t, i, &len);
            printf("\"");
            for (size_t k = 0; k < len && k < 200; k++)
                printf((unsigned char)s[k] >= 32 && s[k] != '"' && (unsigned char)s[k] < 127 ? "%c" : "\\x%02x",
                       (unsigned char)s[k]);
            printf(len > 200 ? "...\"" : "\"");
            break;
        }
        default: printf("?"); break;
        }
    }
    printf("%s]\n", n > show ? ", ..." : "");
}

static int inspect_checkpoint(const char *path, const char *tensor, bool values) {
    frt_checkpoint *c;
    frt_status *st = frt_checkpoint_open(path, &c);
    if (st) return cli_fail(st);
    int n = frt_checkpoint_num_tensors(c), found = 0, rc = 0;
    printf("checkpoint: %s\ntensors: %d\n", frt_checkpoint_prefix(c), n);
    for (int i = 0; i < n; i++) {
        const char *name = frt_checkpoint_tensor_name(c, i);
        if (tensor && strcmp(name, tensor) != 0) continue;
        found++;
        int64_t dims[FRT_MAX_DIMS];
        int nd = frt_checkpoint_tensor_shape(c, i, dims);
        printf("  %s: %s ", name, frt_dtype_name(frt_checkpoint_tensor_dtype(c, i)));
        print_dims(nd, dims);
        printf("\n");
        if (tensor || values) {
            frt_tensor *t = NULL;
            if ((st = frt_checkpoint_read(c, name, &t))) {
                rc = cli_fail(st);
                break;
            }
            print_tensor_values(t);
            frt_tensor_unref(t);
        }
    }
    if (!rc && tensor && !found)
        rc = cli_failf("checkpoint '%s' has no tensor '%s'", frt_checkpoint_prefix(c), tensor);
    frt_checkpoint_close(c);
    return rc;
}

static int inspect_saved_model(const char *dir, const char *const *tags, int ntags) {
    frt_model *m;
    frt_status *st = frt_model_load_saved_model(dir, tags, ntags, &m);
    if (st) return cli_fail(st);
    printf("SavedModel: %s\ntags:", dir);
    for (int i = 0; i < frt_model_num_tags(m); i++) printf(" %s", frt_model_tag(m, i));
    printf("\n");
    for (int s = 0; s < frt_model_num_signatures(m); s++) {
        printf("signature '%s' (method %s):\n", frt_model_signature_name(m, s),
               frt_model_signature_method(m, s));
        for (int io = 0; io < 2; io++) {
            printf("  %s:\n", io ? "outputs" : "inputs");
            for (int i = 0; i < frt_model_signature_num_args(m, s, io); i++) {
                int64_t dims[FRT_MAX_DIMS];
                int nd = frt_model_signature_arg_shape(m, s, io, i, dims);
                printf("    %s: %s ", frt_model_signature_arg_key(m, s, io, i),
                       frt_dtype_name(frt_model_signature_arg_dtype(m, s, io, i)));
                print_dims(nd, dims);
                printf(" (tensor %s)\n", frt_model_signature_arg_tensor(m, s, io, i));
            }
        }
    }
    const char *prefix = frt_model_checkpoint_prefix(m);
    int rc = 0;
    if (prefix) {
        printf("variables (");
        fflush(stdout);
        frt_checkpoint *c;
        if ((st = frt_checkpoint_open(prefix, &c))) {
            printf(")\n");
            rc = cli_fail(st);
        } else {
            printf("checkpoint %s):\n", prefix);
            for (int i = 0; i < frt_checkpoint_num_tensors(c); i++) {
                int64_t dims[FRT_MAX_DIMS];
                int nd = frt_checkpoint_tensor_shape(c, i, dims);
                printf("  %s: %s ", frt_checkpoint_tensor_name(c, i),
                       frt_dtype_name(frt_checkpoint_tensor_dtype(c, i)));
                print_dims(nd, dims);
                printf("\n");
            }
            frt_checkpoint_close(c);
        }
    } else {
        printf("variables: none\n");
    }
    frt_model_free(m);
    return rc;
}

static bool file_exists(const char *dir, const char *name) {
    char p[4096];
    snprintf(p, sizeof p, "%s%s", dir, name);
    return access(p, F_OK) == 0;
}

static void print_shape_attr(const frt_model *m, int i) {
    int ndim;
    int64_t dims[FRT_MAX_DIMS];
    frt_status *st = frt_model_node_shape_attr(m, i, "shape", &ndim, dims);
    if (st) {
        frt_status_free(st);
        ndim = -1;
    }
    print_dims(ndim, dims);
}

/* --placement: where each node would run on this machine's devices, and why. */
static int inspect_placement(frt_model *m, const cli_device_opts *dev) {
    frt_session_options *o = frt_session_options_new();
    frt_session *s = NULL;
    int rc = o ? cli_device_apply(dev, o) : cli_failf("out of memory");
    frt_status *st = rc ? NULL : frt_session_new(o, m, &s);
    char *text = NULL;
    if (!rc && !st) st = frt_session_placement_report(s, &text);
    if (st) rc = cli_fail(st);
    if (text) fputs(text, stdout);
    free(text);
    frt_session_free(s);
    frt_session_options_free(o);
    frt_model_free(m);
    return rc;
}

int cli_inspect(int argc, char **argv) {
    const char *path = NULL, *tensor = NULL;
    const char *tags[16];
    int ntags = 0;
    bool nodes = false, values = false, placement = false;
    cli_device_opts dev = {0};
    for (int i = 0; i < argc; i++) {
        int df = cli_device_flag(argc, argv, &i, &dev);
        if (df < 0) return 1;
        if (df > 0) continue;
        if (strcmp(argv[i], "--nodes") == 0) nodes = true;
        else if (strcmp(argv[i], "--placement") == 0) placement = true;
        else if (strcmp(argv[i], "--values") == 0) values = true;
        else if (strcmp(argv[i], "--tensor") == 0 && i + 1 < argc) tensor = argv[++i];
        else if (strcmp(argv[i], "--tag") == 0 && i + 1 < argc && ntags < 16) tags[ntags++] = argv[++i];
        else if (argv[i][0] == '-') return cli_failf("unknown option '%s' for inspect", argv[i]);
        else if (!path) path = argv[i];
        else return cli_failf("unexpected argument '%s'", argv[i]);
    }
    if (!path) return cli_failf("inspect: missing MODEL or CHECKPOINT");
    struct stat sb;
    bool dir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (dir && (file_exists(path, "/saved_model.pb") || file_exists(path, "/saved_model.pbtxt")))
        return inspect_saved_model(path, tags, ntags);
    /* graphs are .pb/.pbtxt/.meta files; anything else is taken as a checkpoint prefix, so
     * that an old V1 checkpoint file gets the checkpoint reader's "not supported" message */
    size_t len = strlen(path);
    bool graph_file = !dir && ((len > 3 && strcmp(path + len - 3, ".pb") == 0) ||
                               (len > 6 && strcmp(path + len - 6, ".pbtxt") == 0) ||
                               (len > 5 && strcmp(path + len - 5, ".meta") == 0));
    if ((dir && file_exists(path, "/checkpoint")) || file_exists(path, ".index") || tensor ||
        values || (!dir && !graph_file))
        return inspect_checkpoint(path, tensor, values);
    frt_model *m;
    frt_status *st = cli_load_model(path, NULL, 0, NULL, &m);
    if (st) return cli_fail(st);
    if (placement) return inspect_placement(m, &dev);
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
    int ns = frt_model_sink_nodes(m, sinks);
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
