/* runtime/session.c: frt_session — options, the plan cache, frt_session_run, and what a
 * session does with a MetaGraph: restoring variables through the graph's own saver, running
 * init ops (with asset paths fed), running signatures by key, freezing.
 * Owns: the session's thread pool, allocator, variable store and cached plans (one per
 * distinct feeds/fetches/targets signature, as TF's DirectSession caches executors).
 * Does not own: planning and execution (executor.c), checkpoint files (io/ kernels),
 * the freeze rewrite (graph/freeze.c) and GraphDef writing (io/graphdef_write.c).
 * Thread-safety: frt_session_run is thread-safe; the plan cache is guarded by a mutex. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/freeze.h"
#include "graph/shape_infer.h"
#include "io/graphdef_write.h"
#include "runtime/executor.h"
#include "runtime/model.h"
#include "core/resource.h"
#include "runtime/device.h"
#include "runtime/session_impl.h"
#include "runtime/var_binding.h"
#include "runtime/init.h"

frt_session_options *frt_session_options_new(void) {
    return frt_calloc(1, sizeof(frt_session_options));
}
void frt_session_options_free(frt_session_options *o) { free(o); }
/* Kept as given: frt_session_new refuses values outside [0, frt_session_max_threads()]. */
void frt_session_options_set_inter_op_threads(frt_session_options *o, int n) {
    o->inter_op_threads = n;
}
void frt_session_options_set_intra_op_threads(frt_session_options *o, int n) {
    o->intra_op_threads = n;
}
int frt_session_max_threads(void) { return 4 * frt_num_cpus(); }

/* A negative count, or one so large that starting it would exhaust the machine (100000
 * threads), is a caller's mistake to report, not to clamp silently. */
static frt_status *check_threads(const char *what, int n) {
    int cap = frt_session_max_threads();
    if (n < 0 || n > cap)
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s %d is out of range: 0 (one per core) to "
                              "%d (4 x %d cores)", what, n, cap, frt_num_cpus());
    return NULL;
}
void frt_session_options_set_optimize(frt_session_options *o, int on) { o->no_optimize = !on; }
void frt_session_options_set_memory_limit(frt_session_options *o, size_t bytes) {
    o->memory_limit = bytes;
}
void frt_session_options_set_checkpoint_zero_copy(frt_session_options *o, int on) {
    o->checkpoint_zero_copy = on != 0;
}
void frt_session_options_set_soft_placement(frt_session_options *o, int on) {
    o->no_soft_placement = !on;
}
void frt_session_options_set_log_device_placement(frt_session_options *o, int on) {
    o->log_device_placement = on != 0;
}
int frt_session_options_set_visible_gpus(frt_session_options *o, const char *list) {
    size_t n = list ? strlen(list) : 0;
    if (n >= sizeof o->visible_gpus) return -1;
    memcpy(o->visible_gpus, list ? list : "", n + 1);
    return 0;
}
void frt_session_options_set_gpu_memory_fraction(frt_session_options *o, double fraction) {
    o->gpu.per_process_gpu_memory_fraction = fraction;
}
void frt_session_options_set_allow_growth(frt_session_options *o, int on) {
    o->gpu.allow_growth = on != 0;
}
void frt_session_options_set_gpu_memory_limit(frt_session_options *o, size_t bytes) {
    o->gpu.memory_limit_bytes = bytes;
}
void frt_session_options_set_gpu_session_limit(frt_session_options *o, size_t bytes) {
    o->gpu_session_limit = bytes;
}
size_t frt_gpu_release_free_memory(void) {
    frt_init();
    return frt_devices_release_free_memory();
}

static frt_status *string_scalar(const char *v, frt_tensor **out) {
    FRT_TRY(frt_tensor_new(FRT_DTYPE_STRING, NULL, 0, out));
    frt_status *st = frt_tensor_set_string(*out, 0, v, strlen(v));
    if (st) {
        frt_tensor_unref(*out);
        *out = NULL;
    }
    return st;
}

/* Runs the MetaGraph's init ops (main_op / legacy_init_op / __saved_model_init_op) as
 * targets, feeding every asset tensor its file's full path. */
static frt_status *run_init_ops(frt_session *s) {
    const frt_metagraph *mg = s->model->mg;
    if (mg->n_init_ops == 0) return NULL;
    int na = mg->n_assets;
    const char **names = frt_calloc((size_t)na + 1, sizeof *names);
    frt_tensor **vals = frt_calloc((size_t)na + 1, sizeof *vals);
    frt_status *st = NULL;
    if (!names || !vals) {
        na = 0;
        st = frt_status_oom("feeding %d asset paths", mg->n_assets);
    }
    for (int i = 0; i < na && !st; i++) {
        names[i] = mg->assets[i].tensor;
        st = string_scalar(mg->assets[i].path, &vals[i]);
    }
    if (!st)
        st = frt_session_run(s, names, vals, na, NULL, NULL, 0,
                             (const char *const *)mg->init_ops, mg->n_init_ops);
    for (int i = 0; vals && i < na; i++) frt_tensor_unref(vals[i]);
    free(names);
    free(vals);
    return st ? frt_status_annotate(st, " (running the model's init op '%s')", mg->init_ops[0])
              : NULL;
}

frt_status *frt_session_new(const frt_session_options *opts, const frt_model *m,
                            frt_session **out) {
    *out = NULL;
    frt_init();
    if (opts) {
        FRT_TRY(check_threads("inter_op_threads", opts->inter_op_threads));
        FRT_TRY(check_threads("intra_op_threads", opts->intra_op_threads));
    }
    int inter = opts && opts->inter_op_threads ? opts->inter_op_threads : frt_num_cpus();
    int intra = opts && opts->intra_op_threads ? opts->intra_op_threads : frt_num_cpus();
    frt_session *s = frt_calloc(1, sizeof *s);
    if (!s) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory creating a session");
    s->pool = frt_threadpool_new(inter);
    s->alloc = frt_cpu_allocator_new("cpu", opts ? opts->memory_limit : 0);
    s->resources = frt_resource_mgr_new();
    if (s->resources && opts && opts->checkpoint_zero_copy)
        frt_resource_mgr_set_checkpoint_zero_copy(s->resources, true);
    if (!s->pool || !s->alloc || !s->resources) {
        frt_threadpool_free(s->pool);
        frt_allocator_unref(s->alloc);
        frt_resource_mgr_free(s->resources);
        free(s);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED,
                              "cannot create a session: out of memory or cannot start %d "
                              "threads", inter);
    }
    /* The CPU, with the session's own host allocator, then the visible GPUs. */
    frt_device_request req = {0};
    if (opts) {
        req = (frt_device_request){.visible_gpus = opts->visible_gpus, .memory = opts->gpu,
                                   .session_gpu_limit = opts->gpu_session_limit};
        s->no_soft_placement = opts->no_soft_placement;
        s->log_device_placement = opts->log_device_placement;
    }
    frt_status *dst = frt_devices_for_session(&req, s->alloc, s->devices, s->allocs,
                                              &s->n_devices);
    if (dst) {
        frt_threadpool_free(s->pool);
        frt_allocator_unref(s->alloc);
        frt_resource_mgr_free(s->resources);
        free(s);
        return dst;
    }
    /* OpenBLAS runs single-threaded (set once by the matmul kernels' registration): GEMMs
     * are split over this pool instead, so BLAS threads never oversubscribe the cores. */
    s->intra = intra;
    s->optimize = !(opts && opts->no_optimize);
    s->model = frt_model_ref((frt_model *)m);
    pthread_mutex_init(&s->mu, NULL);
    /* Like TF's LoadSavedModel: restore the variables, then run the init ops. */
    frt_status *st = NULL;
    if (m->mg->checkpoint_prefix) st = frt_session_restore(s, m->mg->checkpoint_prefix);
    if (!st) st = frt_metagraph_bind_variables(m->mg, s->resources);
    if (!st) st = run_init_ops(s);
    if (st) {
        frt_session_free(s);
        return st;
    }
    *out = s;
    return NULL;
}

void frt_session_free(frt_session *s) {
    if (!s) return;
    frt_threadpool_free(s->pool);
    for (plan_entry *e = s->plans, *next; e; e = next) {
        next = e->next;
        frt_plan_free(e->plan);
        free(e->key);
        free(e);
    }
    pthread_mutex_destroy(&s->mu);
    frt_resource_mgr_free(s->resources);
    frt_allocator_unref(s->alloc);
    for (int d = 1; d < s->n_devices; d++) frt_allocator_unref(s->allocs[d]);
    /* Like TF's allow_growth, but TF never gives memory back: growth regions that nothing
     * uses any more go back to the device when a session closes. */
    if (s->n_devices > 1) frt_devices_release_free_memory();
    frt_model_free(s->model);
    free(s);
}

/* NULL when out of memory. */
static char *plan_key(const char *const *a, int na, const char *const *b, int nb,
                      const char *const *c, int nc) {
    size_t len = 4;
    const char *const *lists[3] = {a, b, c};
    int counts[3] = {na, nb, nc};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < counts[l]; i++) len += strlen(lists[l][i] ? lists[l][i] : "") + 1;
    char *key = frt_malloc(len), *p = key;
    if (!key) return NULL;
    for (int l = 0; l < 3; l++) {
        for (int i = 0; i < counts[l]; i++) {
            const char *s = lists[l][i] ? lists[l][i] : "";
            size_t n = strlen(s);
            memcpy(p, s, n);
            p += n;
            *p++ = '\x1f';
        }
        *p++ = '\x1e';
    }
    *p = 0;
    return key;
}

static frt_status *get_plan(frt_session *s, const char *const *feed_names, int nfeeds,
                            const char *const *fetch_names, int nfetches,
                            const char *const *targets, int ntargets, const frt_plan **out) {
    for (int i = 0; i < nfeeds; i++)
        if (!feed_names[i]) return frt_status_new(FRT_INVALID_ARGUMENT, "feed name %d is NULL", i);
    for (int i = 0; i < nfetches; i++)
        if (!fetch_names[i])
            return frt_status_new(FRT_INVALID_ARGUMENT, "fetch name %d is NULL", i);
    for (int i = 0; i < ntargets; i++)
        if (!targets[i]) return frt_status_new(FRT_INVALID_ARGUMENT, "target %d is NULL", i);
    char *key = plan_key(feed_names, nfeeds, fetch_names, nfetches, targets, ntargets);
    if (!key) return frt_status_oom("looking up the plan of a run");
    frt_status *st = NULL;
    pthread_mutex_lock(&s->mu);
    plan_entry *e = s->plans;
    while (e && strcmp(e->key, key) != 0) e = e->next;
    if (!e) {
        frt_plan *p = NULL;
        frt_plan_config cfg = {.optimize = s->optimize, .n_devices = s->n_devices,
                               .devices = s->devices,
                               .no_soft_placement = s->no_soft_placement,
                               .log_placement = s->log_device_placement};
        st = frt_plan_build_config(s->model->g, feed_names, nfeeds, fetch_names, nfetches,
                                   targets, ntargets, &cfg, &p);
        if (!st && !(e = frt_calloc(1, sizeof *e))) {
            frt_plan_free(p);
            st = frt_status_oom("caching the plan of a run");
        }
        if (!st) {
            e->key = key;
            key = NULL;
            e->plan = p;
            e->next = s->plans;
            s->plans = e;
        }
    }
    pthread_mutex_unlock(&s->mu);
    free(key);
    *out = e ? e->plan : NULL;
    return st;
}

frt_status *frt_session_run(frt_session *s, const char *const *feed_names,
                            frt_tensor *const *feeds, int nfeeds,
                            const char *const *fetch_names, frt_tensor **fetches, int nfetches,
                            const char *const *targets, int ntargets) {
    for (int i = 0; i < nfetches; i++) fetches[i] = NULL;
    if (nfeeds < 0 || nfetches < 0 || ntargets < 0)
        return frt_status_new(FRT_INVALID_ARGUMENT, "negative count passed to frt_session_run");
    const frt_plan *p = NULL;
    FRT_TRY(get_plan(s, feed_names, nfeeds, fetch_names, nfetches, targets, ntargets, &p));
    frt_run_stats stats = {0};
    frt_exec_env env = {.pool = s->pool, .intra_threads = s->intra, .alloc = s->alloc,
                        .allocs = s->allocs, .resources = s->resources, .stats = &stats};
    frt_status *st = frt_plan_run(p, &env, feeds, fetches);
    pthread_mutex_lock(&s->mu);
    s->last_plan = p;
    s->last_copies = atomic_load(&stats.copies);
    s->last_copy_bytes = atomic_load(&stats.copy_bytes);
    pthread_mutex_unlock(&s->mu);
    return st;
}

size_t frt_session_peak_bytes(const frt_session *s) {
    frt_alloc_stats st;
    frt_allocator_stats(s->alloc, &st);
    return st.peak;
}

/* ---- MetaGraph operations ---------------------------------------------------------------- */

frt_status *frt_session_restore(frt_session *s, const char *checkpoint) {
    const frt_metagraph *mg = s->model->mg;
    if (!mg->saver_restore_op || !mg->saver_filename_tensor)
        return frt_status_new(FRT_FAILED_PRECONDITION,
                              "model '%s' has no saver (saver_def), so it cannot restore '%s'",
                              s->model->path, checkpoint);
    if (mg->saver_version < 2)
        return frt_status_new(FRT_UNIMPLEMENTED,
                              "model '%s' uses the deprecated TF1 V1 checkpoint format "
                              "(SaverDef.version=%d), which is not supported; re-save it with "
                              "TensorFlow as a V2 checkpoint",
                              s->model->path, mg->saver_version);
    /* a directory means the latest checkpoint named by its `checkpoint` state file */
    frt_checkpoint *c = NULL;
    FRT_TRY(frt_checkpoint_open(checkpoint, &c));
    frt_tensor *name = NULL;
    frt_status *st = string_scalar(frt_checkpoint_prefix(c), &name);
    const char *feed = mg->saver_filename_tensor, *target = mg->saver_restore_op;
    if (!st) st = frt_session_run(s, &feed, &name, 1, NULL, NULL, 0, &target, 1);
    if (st) st = frt_status_annotate(st, " (restoring checkpoint '%s')", frt_checkpoint_prefix(c));
    frt_tensor_unref(name);
    frt_checkpoint_close(c);
    return st;
}

static frt_status *find_sig(const frt_session *s, const char *name, const frt_signature **out) {
    const frt_metagraph *mg = s->model->mg;
    if (!name) name = "serving_default";
    *out = frt_metagraph_find_signature(mg, name);
    if (*out) return NULL;
    frt_status *st = frt_status_new(FRT_NOT_FOUND, "model '%s' has no signature '%s'; it has:",
                                    s->model->path, name);
    for (int i = 0; i < mg->n_signatures; i++)
        st = frt_status_annotate(st, "%s '%s'", i ? "," : "", mg->signatures[i].name);
    if (mg->n_signatures == 0) st = frt_status_annotate(st, " none");
    return st;
}

static const frt_tensor_info *find_arg(const frt_tensor_info *args, int n, const char *key) {
    for (int i = 0; i < n; i++)
        if (strcmp(args[i].key, key) == 0) return &args[i];
    return NULL;
}

static frt_status *unknown_key(const frt_signature *sig, bool output, const char *key) {
    const frt_tensor_info *args = output ? sig->outputs : sig->inputs;
    int n = output ? sig->n_outputs : sig->n_inputs;
    frt_status *st = frt_status_new(FRT_NOT_FOUND, "signature '%s' has no %s '%s'; its %ss:",
                                    sig->name, output ? "output" : "input", key,
                                    output ? "output" : "input");
    for (int i = 0; i < n; i++) st = frt_status_annotate(st, "%s '%s'", i ? "," : "", args[i].key);
    return st;
}

static frt_status *check_arg(const frt_signature *sig, const frt_tensor_info *a,
                             const frt_tensor *t) {
    if (!t)
        return frt_status_new(FRT_INVALID_ARGUMENT, "input '%s' of signature '%s' is NULL",
                              a->key, sig->name);
    if (a->dtype != FRT_DTYPE_INVALID && a->dtype != t->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "input '%s' of signature '%s' expects dtype %s, got %s", a->key,
                              sig->name, frt_dtype_name(a->dtype), frt_dtype_name(t->dtype));
    bool ok = a->ndim < 0 || a->ndim == t->ndim;
    for (int i = 0; ok && a->ndim > 0 && i < a->ndim; i++) ok = a->dims[i] < 0 || a->dims[i] == t->dims[i];
    if (!ok) {
        char want[128], got[96];
        frt_shape s = frt_shape_make(a->dims, a->ndim);
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "input '%s' of signature '%s' expects shape %s, got %s", a->key,
                              sig->name, frt_shape_fmt(&s, want, sizeof want),
                              frt_shape_str(t->dims, t->ndim, got, sizeof got));
    }
    return NULL;
}

frt_status *frt_session_run_signature(frt_session *s, const char *signature,
                                      const char *const *input_keys, frt_tensor *const *inputs,
                                      int ninputs, const char *const *output_keys,
                                      frt_tensor **outputs, int noutputs) {
    const frt_signature *sig;
    int nout = noutputs > 0 ? noutputs : 0;
    for (int i = 0; i < nout; i++) outputs[i] = NULL;
    FRT_TRY(find_sig(s, signature, &sig));
    if (noutputs <= 0) {
        nout = sig->n_outputs;
        for (int i = 0; i < nout; i++) outputs[i] = NULL;
    }
    const char **feeds = frt_calloc((size_t)ninputs + 1, sizeof *feeds);
    const char **fetches = frt_calloc((size_t)nout + 1, sizeof *fetches);
    frt_status *st = NULL;
    if (!feeds || !fetches) st = frt_status_oom("running signature '%s'", sig->name);
    /* a key names a signature input; anything else must be a tensor of the graph */
    for (int i = 0; i < ninputs && !st; i++) {
        const frt_tensor_info *a = find_arg(sig->inputs, sig->n_inputs, input_keys[i]);
        if (a) {
            feeds[i] = a->tensor;
            st = check_arg(sig, a, inputs[i]);
        } else if (frt_model_find_node(s->model, input_keys[i]) >= 0) {
            feeds[i] = input_keys[i];
        } else {
            st = unknown_key(sig, false, input_keys[i]);
        }
    }
    for (int i = 0; i < nout && !st; i++) {
        if (noutputs <= 0) {
            fetches[i] = sig->outputs[i].tensor;
            continue;
        }
        const frt_tensor_info *a = find_arg(sig->outputs, sig->n_outputs, output_keys[i]);
        if (a) fetches[i] = a->tensor;
        else if (frt_model_find_node(s->model, output_keys[i]) >= 0) fetches[i] = output_keys[i];
        else st = unknown_key(sig, true, output_keys[i]);
    }
    if (!st) st = frt_session_run(s, feeds, inputs, ninputs, fetches, outputs, nout, NULL, 0);
    free(feeds);
    free(fetches);
    return st ? frt_status_annotate(st, " (signature '%s')", sig->name) : NULL;
}

/* Freeze: the lookup reads the session's variable a node refers to (same naming rule as the
 * variable kernels). */
static frt_status *freeze_lookup(void *ctx, const char *node_name, const char *op,
                                 const frt_attrs *attrs, frt_tensor **out) {
    frt_session *s = ctx;
    (void)op;
    const char *container = "";
    frt_status_free(frt_attr_get_str(attrs, "container", "", &container));
    frt_variable *v = NULL;
    FRT_TRY(frt_resource_mgr_variable(s->resources, container,
                                      frt_variable_name_for_node(attrs, node_name),
                                      FRT_DTYPE_INVALID, NULL, &v));
    frt_status *st = frt_variable_read(v, out);
    frt_resource_unref(&v->base);
    return st;
}

frt_status *frt_session_freeze(frt_session *s, const char *const *outputs, int noutputs,
                               const char *path) {
    const frt_graph *g = s->model->g;
    const frt_metagraph *mg = s->model->mg;
    const char **names = NULL;
    int n = noutputs;
    if (n <= 0) {
        const frt_signature *sig = frt_metagraph_find_signature(mg, "serving_default");
        if (!sig && mg->n_signatures > 0) sig = &mg->signatures[0];
        if (!sig)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "model '%s' has no signature: name the outputs to freeze",
                                  s->model->path);
        n = sig->n_outputs;
        names = frt_calloc((size_t)n + 1, sizeof *names);
        if (!names) return frt_status_oom("freezing model '%s'", s->model->path);
        for (int i = 0; i < n; i++) names[i] = sig->outputs[i].tensor;
    }
    frt_edge *edges = frt_calloc((size_t)n + 1, sizeof *edges);
    frt_status *st = edges ? NULL : frt_status_oom("freezing model '%s'", s->model->path);
    for (int i = 0; i < n && !st; i++)
        st = frt_graph_resolve_tensor(g, names ? names[i] : outputs[i], &edges[i]);
    frt_graph *frozen = NULL;
    if (!st) st = frt_graph_freeze(g, edges, n, freeze_lookup, s, &frozen);
    /* As TF's freeze_graph (clear_devices): a frozen graph runs wherever it is loaded. */
    for (int i = 0; !st && i < frozen->n_nodes; i++) frozen->nodes[i].device[0] = 0;
    if (!st) st = frt_graphdef_write_file(frozen, path);
    frt_graph_free(frozen);
    free(edges);
    free(names);
    return st;
}
