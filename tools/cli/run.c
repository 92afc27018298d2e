/* tools/cli/run.c: `flowrt run MODEL --input NAME=VALUE ... [--output NAME ...]
 * [--out-dir DIR] [--threads N] [--repeat N]` — feeds, runs, prints and saves outputs.
 * MODEL is a frozen GraphDef (.pb/.pbtxt), a MetaGraph (.meta, with --checkpoint), or a
 * SavedModel directory ([--tag T]... [--signature NAME]; NAME is then a signature key). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum { MAX_IO = 256 };

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The dtype a literal for tensor `name` should have: the node's `dtype` attr (Placeholder,
 * Const), else its `T`, else float32. */
static frt_dtype literal_dtype(const frt_model *m, const char *name) {
    int i = frt_model_find_node(m, name);
    frt_dtype dt = FRT_DTYPE_FLOAT;
    if (i < 0) return dt;
    frt_status *st = frt_model_node_dtype_attr(m, i, "dtype", &dt);
    if (st) {
        frt_status_free(st);
        st = frt_model_node_dtype_attr(m, i, "T", &dt);
        if (st) {
            frt_status_free(st);
            dt = FRT_DTYPE_FLOAT;
        }
    }
    return dt;
}

/* For a SavedModel, a signature key's dtype comes from the signature. */
static frt_dtype key_dtype(const frt_model *m, int sig, const char *key) {
    for (int i = 0; sig >= 0 && i < frt_model_signature_num_args(m, sig, 0); i++)
        if (strcmp(frt_model_signature_arg_key(m, sig, 0, i), key) == 0)
            return frt_model_signature_arg_dtype(m, sig, 0, i);
    return FRT_DTYPE_INVALID;
}

static frt_status *load_value(const frt_model *m, int sig, const char *name, const char *value,
                              frt_tensor **out) {
    /* Any existing non-directory is a file (frt_npy_read then says what is wrong with a
     * named pipe or device instead of it being parsed as a literal). */
    struct stat sb;
    if (ends_with(value, ".npy") || (stat(value, &sb) == 0 && !S_ISDIR(sb.st_mode))) {
        frt_status *st = frt_npy_read(value, out);
        return st ? frt_status_annotate(st, " (input '%s')", name) : NULL;
    }
    frt_dtype dt = key_dtype(m, sig, name);
    frt_status *st = cli_parse_literal(value, dt != FRT_DTYPE_INVALID ? dt : literal_dtype(m, name), out);
    return st ? frt_status_annotate(st, " (input '%s')", name) : NULL;
}

static void print_values(const frt_tensor *t) {
    int64_t n = frt_tensor_num_elements(t), show = n < 10 ? n : 10;
    const void *d = frt_tensor_data(t);
    printf("  [");
    for (int64_t i = 0; i < show; i++) {
        if (i) printf(", ");
        switch (frt_tensor_dtype(t)) {
        case FRT_DTYPE_FLOAT: printf("%.6g", ((const float *)d)[i]); break;
        case FRT_DTYPE_DOUBLE: printf("%.9g", ((const double *)d)[i]); break;
        case FRT_DTYPE_INT32: printf("%d", ((const int32_t *)d)[i]); break;
        case FRT_DTYPE_INT64: printf("%lld", (long long)((const int64_t *)d)[i]); break;
        case FRT_DTYPE_BOOL: printf("%s", ((const uint8_t *)d)[i] ? "true" : "false"); break;
        case FRT_DTYPE_UINT8: printf("%u", ((const uint8_t *)d)[i]); break;
        case FRT_DTYPE_INT8: printf("%d", ((const int8_t *)d)[i]); break;
        case FRT_DTYPE_INT16: printf("%d", ((const int16_t *)d)[i]); break;
        case FRT_DTYPE_STRING: {
            size_t len;
            const char *s = frt_tensor_string(t, i, &len);
            printf("\"%.*s\"", (int)(len > 40 ? 40 : len), s);
            break;
        }
        default: printf("?"); break;
        }
    }
    printf("%s]\n", n > show ? ", ..." : "");
}

static frt_status *save_output(const char *dir, const char *name, const frt_tensor *t) {
    size_t n = strlen(dir) + strlen(name) + 8;
    char *path = malloc(n);
    if (!path) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory");
    int k = snprintf(path, n, "%s/", dir);
    for (const char *p = name; *p; p++) path[k++] = (*p == '/' || *p == ':') ? '_' : *p;
    strcpy(path + k, ".npy");
    frt_status *st = frt_npy_write(path, t);
    if (!st) printf("  saved %s\n", path);
    free(path);
    return st;
}

/* Frees the --input names parsed so far and returns rc (an argument error's exit status). */
static int arg_error(char **names, int n, int rc) {
    for (int i = 0; i < n; i++) free(names[i]);
    return rc;
}

/* --stats-json FILE: the session's devices, memory and copies (README "Run statistics"). */
static int write_stats(frt_session *s, const char *path) {
    if (!path) return 0;
    char *json = NULL;
    frt_status *st = frt_session_stats_json(s, &json);
    if (st) return cli_fail(st);
    /* written beside it, then renamed: a reader never sees half a file */
    char tmp[4096];
    int rc = 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        rc = cli_failf("--stats-json: path too long");
    } else {
        FILE *f = fopen(tmp, "w");
        bool ok = f && fputs(json, f) >= 0;
        if (f && fclose(f) != 0) ok = false;
        if (!ok || rename(tmp, path) != 0) {
            rc = cli_failf("--stats-json: cannot write '%s': %s", path, strerror(errno));
            unlink(tmp);
        }
    }
    free(json);
    return rc;
}

int cli_run(int argc, char **argv) {
    const char *model_path = NULL, *out_dir = NULL, *checkpoint = NULL, *signature = NULL;
    const char *tags[16];
    int ntags = 0;
    const char *in_names[MAX_IO], *in_values[MAX_IO], *out_names[MAX_IO];
    char *name_bufs[MAX_IO];
    int nin = 0, nout = 0, threads = 0, repeat = 1;
    bool optimize = true;
    cli_device_opts dev = {0};
    const char *stats_json = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        int df = cli_device_flag(argc, argv, &i, &dev);
        if (df < 0) return arg_error(name_bufs, nin, 1);
        if (df > 0) continue;
        if (strcmp(a, "--stats-json") == 0 && has_val) {
            stats_json = argv[++i];
        } else if (strcmp(a, "--input") == 0 && has_val) {
            const char *spec = argv[++i], *eq = strchr(spec, '=');
            if (!eq || eq == spec)
                return arg_error(name_bufs, nin,
                                 cli_failf("--input expects NAME=VALUE, got '%s'", spec));
            if (nin == MAX_IO) return arg_error(name_bufs, nin, cli_failf("too many --input"));
            name_bufs[nin] = strndup(spec, (size_t)(eq - spec));
            in_names[nin] = name_bufs[nin];
            in_values[nin++] = eq + 1;
        } else if (strcmp(a, "--output") == 0 && has_val) {
            if (nout == MAX_IO) return arg_error(name_bufs, nin, cli_failf("too many --output"));
            out_names[nout++] = argv[++i];
        } else if (strcmp(a, "--no-optimize") == 0) {
            optimize = false;
        } else if (strcmp(a, "--checkpoint") == 0 && has_val) {
            checkpoint = argv[++i];
        } else if (strcmp(a, "--signature") == 0 && has_val) {
            signature = argv[++i];
        } else if (strcmp(a, "--tag") == 0 && has_val) {
            if (ntags == 16) return arg_error(name_bufs, nin, cli_failf("too many --tag"));
            tags[ntags++] = argv[++i];
        } else if (strcmp(a, "--out-dir") == 0 && has_val) {
            out_dir = argv[++i];
        } else if (strcmp(a, "--threads") == 0 && has_val) {
            /* the session's own cap (4 x cores), checked before the model is loaded */
            const char *v = argv[++i];
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            int cap = frt_session_max_threads();
            if (end == v || *end || errno || n < 0 || n > cap)
                return arg_error(name_bufs, nin,
                                 cli_failf("--threads must be an integer from 0 (one per core) "
                                           "to %d (4 x the cores), got '%s'", cap, v));
            threads = (int)n;
        } else if (strcmp(a, "--repeat") == 0 && has_val) {
            repeat = atoi(argv[++i]);
            if (repeat < 1)
                return arg_error(name_bufs, nin, cli_failf("--repeat must be at least 1"));
        } else if (a[0] == '-' && a[1] == '-') {
            return arg_error(name_bufs, nin,
                             cli_failf("unknown or incomplete option '%s' for run", a));
        } else if (!model_path) {
            model_path = a;
        } else {
            return arg_error(name_bufs, nin, cli_failf("unexpected argument '%s'", a));
        }
    }
    if (!model_path)
        return arg_error(name_bufs, nin, cli_failf("run: missing MODEL (a .pb or .pbtxt file)"));

    frt_model *m = NULL;
    frt_session *s = NULL;
    frt_tensor *feeds[MAX_IO] = {0}, *fetches[MAX_IO] = {0};
    int rc = 0;
    frt_status *st = cli_load_model(model_path, tags, ntags, checkpoint, &m);
    if (st) {
        rc = cli_fail(st);
        goto done;
    }
    /* a model with signatures (SavedModel) runs one by key; others run tensors by name */
    int sig = -1;
    if (frt_model_num_signatures(m) > 0) {
        const char *want = signature ? signature : "serving_default";
        sig = frt_model_find_signature(m, want);
        if (sig < 0) {
            char have[1024] = "";
            size_t k = 0;
            for (int i = 0; i < frt_model_num_signatures(m) && k < sizeof have; i++)
                k += (size_t)snprintf(have + k, sizeof have - k, "%s'%s'", i ? ", " : "",
                                      frt_model_signature_name(m, i));
            rc = cli_failf("'%s' has no signature '%s'; it has: %s", model_path, want, have);
            goto done;
        }
    } else if (signature) {
        rc = cli_failf("'%s' has no signatures; --signature needs a SavedModel", model_path);
        goto done;
    }
    for (int i = 0; i < nin; i++) {
        if ((st = load_value(m, sig, in_names[i], in_values[i], &feeds[i]))) {
            rc = cli_fail(st);
            goto done;
        }
    }
    if (nout == 0 && sig >= 0) {
        nout = frt_model_signature_num_args(m, sig, 1);
        if (nout > MAX_IO) nout = MAX_IO;
        for (int i = 0; i < nout; i++) out_names[i] = frt_model_signature_arg_key(m, sig, 1, i);
    }
    if (nout == 0) {
        int *sinks = calloc((size_t)frt_model_num_nodes(m) + 1, sizeof *sinks);
        int ns = sinks ? frt_model_sink_nodes(m, sinks) : 0;
        for (int i = 0; i < ns && nout < MAX_IO; i++) out_names[nout++] = frt_model_node_name(m, sinks[i]);
        free(sinks);
        if (nout == 0) {
            rc = cli_failf("'%s': the graph has no sink nodes to fetch; pass --output", model_path);
            goto done;
        }
    }
    frt_session_options *o = frt_session_options_new();
    if (!o) {
        rc = cli_failf("out of memory");
        goto done;
    }
    frt_session_options_set_optimize(o, optimize);
    if (threads > 0) {
        frt_session_options_set_inter_op_threads(o, threads);
        frt_session_options_set_intra_op_threads(o, threads);
    }
    if (cli_device_apply(&dev, o)) {
        frt_session_options_free(o);
        rc = 1;
        goto done;
    }
    st = frt_session_new(o, m, &s);
    frt_session_options_free(o);
    if (st) {
        rc = cli_fail(st);
        goto done;
    }
    for (int r = 0; r < repeat; r++) {
        for (int i = 0; i < nout; i++) {
            frt_tensor_unref(fetches[i]);
            fetches[i] = NULL;
        }
        st = sig >= 0 ? frt_session_run_signature(s, frt_model_signature_name(m, sig), in_names,
                                                  feeds, nin, out_names, fetches, nout)
                      : frt_session_run(s, in_names, feeds, nin, out_names, fetches, nout, NULL, 0);
        if (st) {
            rc = cli_fail(st);
            write_stats(s, stats_json); /* the memory figures of a failed step help too */
            goto done;
        }
    }
    if (stats_json && (rc = write_stats(s, stats_json))) goto done;
    if (out_dir && mkdir(out_dir, 0777) != 0 && errno != EEXIST) {
        rc = cli_failf("cannot create --out-dir '%s': %s", out_dir, strerror(errno));
        goto done;
    }
    for (int i = 0; i < nout; i++) {
        char shape[128];
        printf("%s: %s %s\n", out_names[i], frt_dtype_name(frt_tensor_dtype(fetches[i])),
               cli_shape_str(fetches[i], shape, sizeof shape));
        print_values(fetches[i]);
        if (out_dir && (st = save_output(out_dir, out_names[i], fetches[i]))) {
            rc = cli_fail(st);
            goto done;
        }
    }
done:
    for (int i = 0; i < nin; i++) {
        frt_tensor_unref(feeds[i]);
        free(name_bufs[i]);
    }
    for (int i = 0; i < nout; i++) frt_tensor_unref(fetches[i]);
    frt_session_free(s);
    frt_model_free(m);
    return rc;
}
