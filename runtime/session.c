/* runtime/session.c: frt_session — options, the plan cache and frt_session_run.
 * Owns: the session's thread pool, allocator and cached plans (one per distinct
 * feeds/fetches/targets signature, as TF's DirectSession caches executors).
 * Does not own: planning and execution (executor.c).
 * Thread-safety: frt_session_run is thread-safe; the plan cache is guarded by a mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/executor.h"
#include "runtime/model.h"
#include "runtime/resource.h"

struct frt_session_options {
    int inter_op_threads, intra_op_threads;
};

typedef struct plan_entry {
    char *key;
    frt_plan *plan;
    struct plan_entry *next;
} plan_entry;

struct frt_session {
    frt_model *model;
    frt_threadpool *pool;
    int intra;
    frt_allocator *alloc;
    frt_resource_mgr *resources;  /* variables: live as long as the session */
    pthread_mutex_t mu;
    plan_entry *plans;
};

frt_session_options *frt_session_options_new(void) {
    return calloc(1, sizeof(frt_session_options));
}
void frt_session_options_free(frt_session_options *o) { free(o); }
void frt_session_options_set_inter_op_threads(frt_session_options *o, int n) {
    o->inter_op_threads = n < 0 ? 0 : n;
}
void frt_session_options_set_intra_op_threads(frt_session_options *o, int n) {
    o->intra_op_threads = n < 0 ? 0 : n;
}

frt_status *frt_session_new(const frt_session_options *opts, const frt_model *m,
                            frt_session **out) {
    *out = NULL;
    frt_init();
    int inter = opts && opts->inter_op_threads ? opts->inter_op_threads : frt_num_cpus();
    int intra = opts && opts->intra_op_threads ? opts->intra_op_threads : frt_num_cpus();
    frt_session *s = calloc(1, sizeof *s);
    if (!s) return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory creating a session");
    s->pool = frt_threadpool_new(inter);
    s->alloc = frt_cpu_allocator_new("cpu", 0);
    s->resources = frt_resource_mgr_new();
    if (!s->pool || !s->alloc || !s->resources) {
        frt_threadpool_free(s->pool);
        frt_allocator_unref(s->alloc);
        frt_resource_mgr_free(s->resources);
        free(s);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED, "cannot start %d threads", inter);
    }
    /* OpenBLAS runs single-threaded (set once by the matmul kernels' registration): GEMMs
     * are split over this pool instead, so BLAS threads never oversubscribe the cores. */
    s->intra = intra;
    s->model = frt_model_ref((frt_model *)m);
    pthread_mutex_init(&s->mu, NULL);
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
    frt_model_free(s->model);
    free(s);
}

static char *plan_key(const char *const *a, int na, const char *const *b, int nb,
                      const char *const *c, int nc) {
    size_t len = 4;
    const char *const *lists[3] = {a, b, c};
    int counts[3] = {na, nb, nc};
    for (int l = 0; l < 3; l++)
        for (int i = 0; i < counts[l]; i++) len += strlen(lists[l][i] ? lists[l][i] : "") + 1;
    char *key = frt_xmalloc(len), *p = key;
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
    frt_status *st = NULL;
    pthread_mutex_lock(&s->mu);
    plan_entry *e = s->plans;
    while (e && strcmp(e->key, key) != 0) e = e->next;
    if (!e) {
        frt_plan *p = NULL;
        st = frt_plan_build(s->model->g, feed_names, nfeeds, fetch_names, nfetches, targets,
                            ntargets, &p);
        if (!st) {
            e = frt_xcalloc(1, sizeof *e);
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
    frt_exec_env env = {.pool = s->pool, .intra_threads = s->intra, .alloc = s->alloc,
                        .resources = s->resources};
    return frt_plan_run(p, &env, feeds, fetches);
}

size_t frt_session_peak_bytes(const frt_session *s) {
    frt_alloc_stats st;
    frt_allocator_stats(s->alloc, &st);
    return st.peak;
}
