/* runtime/executor.c: runs execution plans as dataflow on a thread pool.
 * Owns: the per-run state (pending counts, value refcounts), scheduling, copies between
 * memory spaces, scratch memory of kernels, error collection. Does not own: building plans
 * (plan.c), kernels (kernels/), the public API (session.c).
 *
 * Run model: every plan node has a pending count (data + control predecessors). Ready nodes
 * go to the inter-op pool; a finishing node runs its first newly ready successor inline (as
 * TF's executor does) and queues the rest. Each value slot counts its remaining consumers;
 * the last consumer takes over the slot's reference, so a kernel can write in place into an
 * input nobody else needs, and every tensor is freed as soon as its last consumer ran.
 * Room for TF1 control flow: dead values and loop frames will extend the per-slot state and
 * the pending counts (a Merge fires on its first live input); nothing here assumes a DAG of
 * always-live values beyond the run loop in run_node.
 * Thread-safety: plans are immutable; each run has its own run_state. */
#include "runtime/executor.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/resource.h"
#include "graph/shape_infer.h"

/* ---- running -------------------------------------------------------------------------- */

typedef struct run_state {
    const frt_plan *p;
    const frt_exec_env *env;
    frt_tensor **values;
    atomic_int *remaining;        /* consumers of each slot yet to take it */
    atomic_int *pending;          /* predecessors of each plan node yet to finish */
    atomic_int outstanding;       /* plan nodes not finished */
    atomic_bool cancelled;
    bool done;                    /* all nodes finished; guarded by mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    frt_status *error;            /* first error; guarded by mu */
    struct node_task *tasks;      /* one per plan node: a node is queued at most once a run,
                                   * so queueing never allocates (nor fails, nor runs a node
                                   * inline on a device's callback thread) */
} run_state;

typedef struct node_task {
    frt_pool_task task;           /* first: the pool hands its arg back */
    run_state *rs;
    int pi;
} node_task;

static void record_error(run_state *rs, frt_status *st) {
    pthread_mutex_lock(&rs->mu);
    if (!rs->error) rs->error = st;
    else frt_status_free(st);
    atomic_store(&rs->cancelled, true);
    pthread_mutex_unlock(&rs->mu);
}

/* Takes input slot s for one consumer: a new reference, and when this was the last consumer
 * the slot's own reference is dropped, so the consumer may end up holding the only one. */
static frt_tensor *take_input(run_state *rs, int s) {
    frt_tensor *t = frt_tensor_ref(rs->values[s]);
    if (atomic_fetch_sub(&rs->remaining[s], 1) == 1) {
        frt_tensor_unref(rs->values[s]);
        rs->values[s] = NULL;
    }
    return t;
}

/* Replaces a variable handle (a ref edge) by the variable's current value. */
static frt_status *deref(frt_tensor **t) {
    frt_tensor *h = *t;
    if (h->dtype != FRT_DTYPE_RESOURCE || h->n != 1 || !frt_tensor_resources(h)[0])
        return NULL; /* already a value (e.g. a fed tensor) */
    frt_variable *v = (frt_variable *)frt_tensor_resources(h)[0];
    frt_tensor *val = NULL;
    frt_status *st = frt_variable_read(v, &val);
    frt_tensor_unref(h);
    *t = val;
    return st;
}

static frt_device *plan_device(const frt_plan *p, int d) {
    return p->devices ? p->devices[d] : frt_device_cpu();
}

static frt_allocator *device_alloc(const run_state *rs, int d) {
    return rs->env->allocs ? rs->env->allocs[d] : rs->env->alloc;
}

/* The allocator of memory space `space` (-1: host; else a device index). */
static frt_allocator *space_alloc(const run_state *rs, int space) {
    return space < 0 ? rs->env->alloc : device_alloc(rs, space);
}

/* An asynchronous copy to the host in flight: what its completion needs. */
typedef struct copy_wait {
    run_state *rs;
    int pi;
    frt_tensor *out;
    /* device-to-device staging waits here instead (sync): */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    frt_status *st;
} copy_wait;

static void finish_async(run_state *rs, int pi);

static void host_copy_done(void *arg, frt_status *st) {
    copy_wait *w = arg;
    run_state *rs = w->rs;
    const frt_plan_node *pn = &rs->p->nodes[w->pi];
    if (st) {
        const frt_node *n = &rs->p->g->nodes[pn->node];
        record_error(rs, frt_status_annotate(st, " [[copying an output of node %s (%s) to the "
                                                 "host]]", n->name, n->op));
        frt_tensor_unref(w->out);
    } else if (rs->p->slot_uses[pn->out_base] > 0) {
        rs->values[pn->out_base] = w->out;
    } else {
        frt_tensor_unref(w->out);
    }
    int pi = w->pi;
    free(w);
    finish_async(rs, pi);
}

static void staging_done(void *arg, frt_status *st) {
    copy_wait *w = arg;
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->done = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Device to host, waiting here (the staging half of a device-to-device copy). */
static frt_status *copy_to_host_sync(frt_device *d, void *dst, const void *src, size_t n,
                                     frt_tensor *keep) {
    copy_wait w = {.done = false};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    frt_status *st = d->ops->copy_to_host(d, dst, src, n, keep, staging_done, &w);
    if (!st) {
        pthread_mutex_lock(&w.mu);
        while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        st = w.st;
    }
    pthread_mutex_destroy(&w.mu);
    pthread_cond_destroy(&w.cv);
    return st;
}

static frt_device *space_device(const frt_plan *p, int space) {
    for (int d = 0; d < p->n_devices; d++)
        if (plan_device(p, d)->space == space) return plan_device(p, d);
    return NULL;
}

/* A copy node: t's bytes into a new tensor in memory space pn->copy_to. Copies into a
 * device are ordered on its streams and done once enqueued; a copy to the host finishes
 * later (*async set): its completion stores the output and notifies the successors. */
static frt_status *run_copy(run_state *rs, int pi, frt_tensor *t, frt_tensor **out,
                            bool *async) {
    const frt_plan *p = rs->p;
    const frt_plan_node *pn = &p->nodes[pi];
    *async = false;
    if (t->dtype == FRT_DTYPE_STRING || t->dtype == FRT_DTYPE_RESOURCE || t->splat)
        return frt_status_new(FRT_INTERNAL, "a %s%s tensor cannot be copied between devices",
                              t->splat ? "compressed " : "", frt_dtype_name(t->dtype));
    int from = frt_tensor_space(t);
    frt_device *sd = frt_mem_is_host(from) ? NULL : space_device(p, from);
    frt_device *dd = pn->copy_to >= 0 ? plan_device(p, pn->copy_to) : NULL;
    if (!frt_mem_is_host(from) && !sd)
        return frt_status_new(FRT_INTERNAL, "a tensor in memory space %d of no device", from);
    FRT_TRY(frt_tensor_alloc(space_alloc(rs, pn->copy_to), t->dtype, t->dims, t->ndim, out));
    size_t n = frt_tensor_nbytes(t);
    void *dst = frt_tensor_device_ptr(*out);
    const void *src = frt_tensor_device_ptr(t);
    if (rs->env->stats) {
        atomic_fetch_add(&rs->env->stats->copies, 1);
        atomic_fetch_add(&rs->env->stats->copy_bytes, (long)n);
    }
    if (!sd && !dd) {
        if (n) memcpy(dst, src, n); /* an empty tensor may have no buffer: NULL pointers */
        return NULL;
    }
    if (!sd) return dd->ops->copy_to_device(dd, dst, src, n, t);
    if (!dd) {
        copy_wait *w = frt_calloc(1, sizeof *w);
        if (!w) return frt_status_oom("a copy to the host");
        *w = (copy_wait){.rs = rs, .pi = pi, .out = *out};
        frt_status *st = sd->ops->copy_to_host(sd, dst, src, n, t, host_copy_done, w);
        if (st) {
            free(w);
            return st;
        }
        *out = NULL; /* the completion owns it now */
        *async = true;
        return NULL;
    }
    /* device to device, staged through host memory (blocking this thread: rare) */
    frt_tensor *host = NULL;
    FRT_TRY(frt_tensor_alloc(rs->env->alloc, t->dtype, t->dims, t->ndim, &host));
    frt_status *st = copy_to_host_sync(sd, frt_tensor_device_ptr(host), src, n, t);
    if (!st) st = dd->ops->copy_to_device(dd, dst, frt_tensor_device_ptr(host), n, host);
    frt_tensor_unref(host);
    return st;
}

static frt_status *run_kernel(run_state *rs, const frt_plan_node *pn, const frt_node *n,
                              frt_tensor **ins, frt_tensor **outs) {
    frt_allocator *a = device_alloc(rs, pn->device);
    frt_device *dev = plan_device(rs->p, pn->device);
    for (int j = 0; !frt_device_is_host(dev) && j < pn->n_in; j++)
        FRT_ASSERT((!frt_kernel_input_on_host(pn->def, j, pn->n_in) ||
                    frt_mem_is_host(frt_tensor_space(ins[j]))) &&
                   "a host-memory input arrived in device memory: the partition missed a copy");
    void *scratch[FRT_KERNEL_MAX_SCRATCH];
    FRT_TRY(frt_kernel_scratch_alloc(a, n->name, pn->n_scratch, pn->scratch_bytes, scratch));
    frt_kernel_ctx ctx = {.def = pn->def, .node_name = n->name, .attrs = &n->attrs,
                          .state = pn->state, .n_inputs = pn->n_in, .inputs = ins,
                          .n_outputs = pn->n_out, .outputs = outs, .alloc = a,
                          .pool = rs->env->pool, .intra_threads = rs->env->intra_threads,
                          .resources = rs->env->resources, .device = dev, .scratch = scratch};
    ctx.stream = dev->stream;
    if (dev->ops->enter) dev->ops->enter(dev);
    frt_status *st = pn->def->compute(&ctx);
    if (dev->ops->leave) dev->ops->leave(dev);
    frt_kernel_release_temps(&ctx);
    frt_kernel_scratch_free(a, pn->n_scratch, pn->scratch_bytes, scratch);
    return st;
}

/* Runs plan node pi; false when it finishes later (an asynchronous copy to the host: its
 * completion notifies the successors). */
static bool compute_node(run_state *rs, int pi) {
    const frt_plan *p = rs->p;
    const frt_plan_node *pn = &p->nodes[pi];
    const frt_node *n = &p->g->nodes[pn->node];
    frt_tensor *ins_small[8], *outs_small[8];
    frt_tensor **ins = pn->n_in <= 8 ? ins_small : frt_calloc((size_t)pn->n_in, sizeof *ins);
    frt_tensor **outs = pn->n_out <= 8 ? outs_small : frt_calloc((size_t)pn->n_out, sizeof *outs);
    if (!ins || !outs) { /* the run is cancelled; frt_plan_run releases every value */
        if (ins != ins_small) free(ins);
        if (outs != outs_small) free(outs);
        record_error(rs, frt_status_oom("starting node %s (%s)", n->name, n->op));
        return true;
    }
    memset(outs, 0, (size_t)pn->n_out * sizeof *outs);
    frt_status *st = NULL;
    for (int j = 0; j < pn->n_in; j++) {
        if (!rs->values[pn->in_slots[j]] && !st)
            st = frt_status_new(FRT_INTERNAL, "input %d has no value", j);
        ins[j] = st ? NULL : take_input(rs, pn->in_slots[j]);
        if (!st && pn->in_deref[j]) st = deref(&ins[j]);
    }
    bool async = false;
    int n_in = pn->n_in; /* once a copy is handed off, its completion may end the run and
                          * the caller free the plan: neither rs nor pn may be read again */
    if (!st) st = pn->def ? run_kernel(rs, pn, n, ins, outs) : run_copy(rs, pi, ins[0], &outs[0], &async);
    for (int j = 0; j < n_in; j++) frt_tensor_unref(ins[j]);
    if (async) {
        if (ins != ins_small) free(ins);
        if (outs != outs_small) free(outs);
        return false;
    }
    for (int k = 0; !st && k < pn->n_out; k++)
        if (!outs[k] && p->slot_uses[pn->out_base + k] > 0)
            st = frt_status_new(FRT_INTERNAL, "kernel produced no output %d", k);
    if (st) {
        const frt_device *dev = plan_device(p, pn->device);
        if (pn->def)
            st = frt_status_annotate(st, " [[node %s (%s) on %s:%d]]", n->name, n->op,
                                     dev->type, dev->index);
        else
            st = frt_status_annotate(st, " [[copying an output of node %s (%s) for %s:%d]]",
                                     n->name, n->op, dev->type, dev->index);
        record_error(rs, st);
        for (int k = 0; k < pn->n_out; k++) frt_tensor_unref(outs[k]);
    } else {
        for (int k = 0; k < pn->n_out; k++) {
            int s = pn->out_base + k;
            if (p->slot_uses[s] > 0) rs->values[s] = outs[k];
            else frt_tensor_unref(outs[k]);
        }
    }
    if (ins != ins_small) free(ins);
    if (outs != outs_small) free(outs);
    return true;
}

static void node_task_fn(void *arg);

static void schedule_node(run_state *rs, int pi);

/* Plan node pi is done: notifies its successors (the first newly ready one is returned in
 * *next to run inline when next is given, the others queued) and counts it. False when it
 * was the last node of the run (rs may be gone once the waiter wakes). */
static bool finish_node(run_state *rs, int pi, int *next) {
    const frt_plan_node *pn = &rs->p->nodes[pi];
    if (next) *next = -1;
    for (int k = 0; k < pn->n_succ; k++) {
        int s = pn->succ[k];
        if (atomic_fetch_sub(&rs->pending[s], 1) != 1) continue;
        if (next && *next < 0) *next = s;
        else schedule_node(rs, s);
    }
    if (atomic_fetch_sub(&rs->outstanding, 1) == 1) {
        /* the waiter reads `done` under mu, so rs stays alive until we unlock */
        pthread_mutex_lock(&rs->mu);
        rs->done = true;
        pthread_cond_broadcast(&rs->cv);
        pthread_mutex_unlock(&rs->mu);
        return false;
    }
    return true;
}

static void run_node(run_state *rs, int pi) {
    while (pi >= 0) {
        bool now = atomic_load(&rs->cancelled) || compute_node(rs, pi);
        if (!now) return; /* its completion finishes it */
        int next;
        if (!finish_node(rs, pi, &next)) return;
        pi = next;
    }
}

/* An asynchronous node completed (on a device's callback thread, which must not run
 * kernels): its successors all go to the pool. */
static void finish_async(run_state *rs, int pi) { finish_node(rs, pi, NULL); }

static void schedule_node(run_state *rs, int pi) {
    node_task *t = &rs->tasks[pi];
    t->rs = rs;
    t->pi = pi;
    t->task.fn = node_task_fn;
    t->task.arg = t;
    frt_threadpool_push(rs->env->pool, &t->task);
}

static void node_task_fn(void *arg) {
    node_task *t = arg;
    run_node(t->rs, t->pi);
}

static frt_status *check_feed(const frt_node *n, int index, const frt_tensor *t) {
    char what[300];
    snprintf(what, sizeof what, "%s:%d", n->name, index);
    if (strcmp(n->op, "Placeholder") != 0 && strcmp(n->op, "PlaceholderWithDefault") != 0)
        return NULL;
    frt_dtype dt = FRT_DTYPE_INVALID;
    frt_status_free(frt_attr_get_type(&n->attrs, "dtype", FRT_DTYPE_INVALID, &dt));
    if (dt != FRT_DTYPE_INVALID && frt_dtype_base(dt) != t->dtype)
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "feed '%s': placeholder '%s' expects dtype %s, got %s", what,
                              n->name, frt_dtype_name(frt_dtype_base(dt)),
                              frt_dtype_name(t->dtype));
    frt_attr_shape sh;
    bool found;
    frt_status_free(frt_attr_get_shape(&n->attrs, "shape", &sh, &found));
    if (!found || sh.unknown_rank) return NULL;
    bool ok = sh.ndim == t->ndim;
    for (int i = 0; ok && i < sh.ndim; i++) ok = sh.dims[i] < 0 || sh.dims[i] == t->dims[i];
    if (!ok) {
        char want[128], got[96];
        frt_shape s = frt_shape_make(sh.dims, sh.ndim);
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "feed '%s': placeholder '%s' expects shape %s, got %s", what,
                              n->name, frt_shape_fmt(&s, want, sizeof want),
                              frt_shape_str(t->dims, t->ndim, got, sizeof got));
    }
    return NULL;
}

frt_status *frt_plan_run(const frt_plan *p, const frt_exec_env *env, frt_tensor *const *feeds,
                         frt_tensor **fetches) {
    for (int i = 0; i < p->n_fetches; i++) fetches[i] = NULL;
    run_state rs = {.p = p, .env = env};
    rs.values = frt_calloc((size_t)p->n_slots + 1, sizeof *rs.values);
    rs.remaining = frt_calloc((size_t)p->n_slots + 1, sizeof *rs.remaining);
    rs.pending = frt_calloc((size_t)p->n_nodes + 1, sizeof *rs.pending);
    rs.tasks = frt_calloc((size_t)p->n_nodes + 1, sizeof *rs.tasks);
    if (!rs.values || !rs.remaining || !rs.pending || !rs.tasks) {
        free(rs.values);
        free(rs.remaining);
        free(rs.pending);
        free(rs.tasks);
        return frt_status_new(FRT_RESOURCE_EXHAUSTED, "out of memory starting a run");
    }
    pthread_mutex_init(&rs.mu, NULL);
    pthread_cond_init(&rs.cv, NULL);
    for (int s = 0; s < p->n_slots; s++) atomic_init(&rs.remaining[s], p->slot_uses[s]);
    for (int i = 0; i < p->n_nodes; i++) atomic_init(&rs.pending[i], p->nodes[i].n_preds);
    atomic_init(&rs.outstanding, p->n_nodes);
    atomic_init(&rs.cancelled, false);

    frt_status *st = NULL;
    for (int i = 0; i < p->n_feeds; i++) {
        if (!feeds[i]) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "feed %d is NULL", i);
            break;
        }
        if ((st = check_feed(&p->g->nodes[p->feeds[i].node], p->feeds[i].index, feeds[i])))
            break;
        frt_dtype want = p->feed_dtypes[i];
        if (want != FRT_DTYPE_INVALID && frt_dtype_base(want) != feeds[i]->dtype) {
            const frt_node *n = &p->g->nodes[p->feeds[i].node];
            st = frt_status_new(FRT_INVALID_ARGUMENT,
                                "feed '%s:%d': node '%s' (%s) produces %s, got %s", n->name,
                                p->feeds[i].index, n->name, n->op,
                                frt_dtype_name(frt_dtype_base(want)),
                                frt_dtype_name(feeds[i]->dtype));
            break;
        }
        if (!frt_mem_is_host(frt_tensor_space(feeds[i]))) {
            st = frt_status_new(FRT_INVALID_ARGUMENT, "feed %d is not in host memory", i);
            break;
        }
        rs.values[p->feed_slots[i]] = frt_tensor_ref(feeds[i]);
    }
    if (!st && p->n_nodes > 0) {
        /* queue all roots but one, run that one on a pool thread too, then wait */
        for (int r = 0; r < p->n_roots; r++) {
            schedule_node(&rs, p->roots[r]);
        }
        pthread_mutex_lock(&rs.mu);
        while (!rs.done) pthread_cond_wait(&rs.cv, &rs.mu);
        pthread_mutex_unlock(&rs.mu);
        st = rs.error;
        /* Work enqueued on accelerators may still run: wait for it, so its errors are this
         * run's and nothing it uses outlives the call. */
        for (int d = 1; d < p->n_devices; d++) {
            if (!(p->devices_used & ((uint64_t)1 << d))) continue;
            frt_device *dev = plan_device(p, d);
            frt_status *ds = dev->ops->sync(dev);
            if (ds && !st) st = frt_status_annotate(ds, " [[waiting for %s]]", dev->name);
            else frt_status_free(ds);
        }
    }
    for (int i = 0; !st && i < p->n_fetches; i++) {
        fetches[i] = frt_tensor_ref(rs.values[p->fetch_slots[i]]);
        if (p->fetch_deref[i]) st = deref(&fetches[i]);
        /* the plan copies every fetch to the host (graph/place.h: partition) */
        FRT_ASSERT((st || !fetches[i] || frt_mem_is_host(frt_tensor_space(fetches[i]))) &&
                   "a fetch left in device memory");
    }
    if (st)
        for (int i = 0; i < p->n_fetches; i++) {
            frt_tensor_unref(fetches[i]);
            fetches[i] = NULL;
        }
    for (int s = 0; s < p->n_slots; s++) frt_tensor_unref(rs.values[s]);
    pthread_mutex_destroy(&rs.mu);
    pthread_cond_destroy(&rs.cv);
    free(rs.values);
    free(rs.remaining);
    free(rs.pending);
    free(rs.tasks);
    return st;
}
