/* tests/cuda/test_cuda_device.c: the CUDA device and its backend (cuda/device.c) through
 * core/device.h and the executor: GPUs listed with TF's names, copies to the device and back
 * with their `keep` references released, copies ordered against the compute stream (the
 * simulation's streams run after random delays, so a missing event shows up as wrong bytes),
 * one BFC allocator per GPU made by the first open_memory, sync, and plans whose nodes are
 * pinned to GPUs.
 * In the simulation build ctest runs it three times: FLOWRT_SIM_GPUS unset (one GPU of
 * 1024 MiB), 2x1024 and 0 (no GPU: only the CPU is listed and pinned nodes run there); no
 * test may leave a simulation violation behind. `make test-gpu` runs it on real GPUs. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bfc.h"
#include "cuda/cuda_impl.h"
#include "runtime/device.h"
#include "runtime/executor.h"
#include "runtime/init.h"
#include "util/graph_util.h"
#include "util/test_util.h"
#ifdef FRT_CUDA_SIM
#include "cuda/sim/sim_internal.h"
#endif

frt_kernel_registry *frt_kernel_registry_mutable(void);

enum { MAX_GPUS = 8 };
#define MiB ((size_t)1 << 20)

static frt_device *const *all_devices;
static int n_all;
static frt_device *gpus[MAX_GPUS];
static int n_gpus;

/* The GPUs this run should see. */
static int expected_gpus(void) {
#ifdef FRT_CUDA_SIM
    const char *s = getenv("FLOWRT_SIM_GPUS");
    if (!s) return 1;
    if (!strcmp(s, "0")) return 0;
    const char *x = strchr(s, 'x');
    return x ? atoi(s) : 1;
#else
    int n = 0;
    if (cudaGetDeviceCount(&n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return n;
#endif
}

static int no_violations(void **state) {
    (void)state;
#ifdef FRT_CUDA_SIM
    assert_int_equal(frt_sim_violations(), 0);
#endif
    return 0;
}

static int refs(const frt_tensor *t) { return atomic_load(&((frt_tensor *)t)->refs); }

/* ---- waiting for a copy to the host ---------------------------------------------------- */

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    frt_status *st;
} waiter;

static void waiter_init(waiter *w) {
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->done = 0;
    w->st = NULL;
}

static void waiter_deinit(waiter *w) {
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

static void copy_done(void *arg, frt_status *st) {
    waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    w->st = st;
    w->done++;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Waits until `count` copies to the host have called back; returns the last status. */
static frt_status *wait_done(waiter *w, int count) {
    pthread_mutex_lock(&w->mu);
    while (w->done < count) pthread_cond_wait(&w->cv, &w->mu);
    frt_status *st = w->st;
    pthread_mutex_unlock(&w->mu);
    return st;
}

/* ---- setup: every GPU's memory opened at once from several threads --------------------- */

static const frt_gpu_memory_options quarter = {.per_process_gpu_memory_fraction = 0.25};

static void *open_quarter(void *arg) {
    frt_device *d = arg;
    return d->ops->open_memory(d, &quarter);
}

static int setup(void **state) {
    FRT_ASSERT(tu_pool_setup(state) == 0);
    frt_devices_all(&all_devices, &n_all);
    for (int i = 1; i < n_all && n_gpus < MAX_GPUS; i++)
        if (!strcmp(all_devices[i]->type, "GPU")) gpus[n_gpus++] = all_devices[i];
    /* The first open_memory creates the allocator, the others find it: racing threads
     * must agree on one. */
    enum { THREADS = 4 };
    for (int g = 0; g < n_gpus; g++) {
        pthread_t th[THREADS];
        for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, open_quarter, gpus[g]);
        for (int t = 0; t < THREADS; t++) {
            void *st = NULL;
            pthread_join(th[t], &st);
            FRT_ASSERT(st == NULL && "open_memory failed");
        }
    }
    return 0;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void devices_listed(void **state) {
    (void)state;
    assert_null(frt_devices_error());
    assert_int_equal(n_gpus, expected_gpus());
    assert_int_equal(n_all, 1 + n_gpus);
    assert_ptr_equal(all_devices[0], frt_device_cpu());
    for (int i = 0; i < n_gpus; i++) {
        const frt_device *d = gpus[i];
        char want[80];
        snprintf(want, sizeof want, "/job:localhost/replica:0/task:0/device:GPU:%d", i);
        assert_string_equal(d->name, want);
        assert_string_equal(d->type, "GPU");
        assert_int_equal(d->index, i);
        assert_int_equal(d->kernels, FRT_DEVICE_CUDA);
        assert_int_equal(d->space, FRT_MEM_DEVICE(i));
        assert_non_null(d->stream);
        assert_ptr_equal(d->stream, (frt_stream *)((const frt_cuda_device *)d)->compute);
        assert_true(d->ops->copy_to_device && d->ops->copy_to_host && d->ops->sync &&
                    d->ops->enter && d->ops->leave && d->ops->open_memory && d->ops->destroy);
        assert_true(d->total_memory > 0);
#ifdef FRT_CUDA_SIM
        assert_true(d->simulated);
        assert_int_equal(d->total_memory, 1024 * MiB);
#else
        assert_false(d->simulated);
#endif
    }
}

/* The first options win: a quarter of each GPU (256 MiB of a simulated 1024 MiB one), and
 * a later call with other options changes nothing. */
static void open_memory_once_with_first_options(void **state) {
    (void)state;
    for (int i = 0; i < n_gpus; i++) {
        frt_device *d = gpus[i];
        frt_allocator *a = d->alloc;
        assert_non_null(a);
        assert_int_equal(a->space, FRT_MEM_DEVICE(i));
        assert_string_equal(frt_bfc_mode(a), "fraction");
        frt_alloc_stats st;
        frt_allocator_stats(a, &st);
#ifdef FRT_CUDA_SIM
        assert_int_equal(st.limit, 256 * MiB);
#else
        size_t free_b = 0, total = 0;
        assert_int_equal(cudaSetDevice(((frt_cuda_device *)d)->ordinal), cudaSuccess);
        assert_int_equal(cudaMemGetInfo(&free_b, &total), cudaSuccess);
        assert_int_equal(st.limit, ((size_t)(0.25 * (double)total)) / 256 * 256);
#endif
        frt_gpu_memory_options half = {.per_process_gpu_memory_fraction = 0.5,
                                       .allow_growth = true};
        assert_null(d->ops->open_memory(d, &half));
        assert_ptr_equal(d->alloc, a);
        frt_alloc_stats again;
        frt_allocator_stats(a, &again);
        assert_int_equal(again.limit, st.limit);
        assert_string_equal(frt_bfc_mode(a), "fraction");
    }
}

/* Host -> device -> host: the bytes come back, and each copy let go of its `keep`. */
static void round_trip(void **state) {
    (void)state;
    for (int i = 0; i < n_gpus; i++) {
        frt_device *d = gpus[i];
        const int64_t dims[] = {1000};
        frt_tensor *src = tu_rand_f32(dims, 1, 11u + (unsigned)i), *dev = NULL, *back = NULL;
        TU_OK(frt_tensor_alloc(d->alloc, FRT_DTYPE_FLOAT, dims, 1, &dev));
        TU_OK(frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_FLOAT, dims, 1, &back));
        memset(frt_tensor_data(back), 0, frt_tensor_nbytes(back));
        size_t n = frt_tensor_nbytes(src);
        assert_int_equal(frt_tensor_space(dev), FRT_MEM_DEVICE(i));

        TU_OK(d->ops->copy_to_device(d, frt_tensor_device_ptr(dev), frt_tensor_data(src), n, src));
        waiter w;
        waiter_init(&w);
        TU_OK(d->ops->copy_to_host(d, frt_tensor_data(back), frt_tensor_device_ptr(dev), n, dev,
                                   copy_done, &w));
        TU_OK(wait_done(&w, 1));
        assert_int_equal(refs(dev), 1); /* released before done */
        tu_assert_equal(back, src);
        TU_OK(d->ops->sync(d));
        assert_int_equal(refs(src), 1);

        /* empty copies touch nothing and still call done */
        TU_OK(d->ops->copy_to_device(d, NULL, frt_tensor_data(src), 0, src));
        TU_OK(d->ops->copy_to_host(d, frt_tensor_data(back), NULL, 0, dev, copy_done, &w));
        TU_OK(wait_done(&w, 2));
        assert_int_equal(refs(src), 1);
        assert_int_equal(refs(dev), 1);
        waiter_deinit(&w);

        frt_tensor_unref(src);
        frt_tensor_unref(dev);
        frt_tensor_unref(back);
        frt_alloc_stats st;
        frt_allocator_stats(d->alloc, &st);
        assert_int_equal(st.in_use, 0);
        TU_OK(frt_bfc_check(d->alloc));
    }
}

/* A copy's done runs on an ordinary thread, so it may call CUDA (the simulation would count
 * a call from CUDA's callback thread as a violation), and sync returns only once the done of
 * every copy to the host queued before it has run. */
static void copy_done_calls_cuda(void *arg, frt_status *st) {
    int dev = -1;
    if (cudaGetDevice(&dev) != cudaSuccess) st = frt_status_new(FRT_INTERNAL, "cudaGetDevice");
    usleep(2000); /* a slow callback: sync must still wait for it */
    copy_done(arg, st);
}

static void sync_waits_for_copies_to_the_host(void **state) {
    (void)state;
    enum { COPIES = 16 };
    for (int i = 0; i < n_gpus; i++) {
        frt_device *d = gpus[i];
        const int64_t dims[] = {256};
        frt_tensor *src = tu_rand_f32(dims, 1, 5), *dev = NULL, *back[COPIES];
        TU_OK(frt_tensor_alloc(d->alloc, FRT_DTYPE_FLOAT, dims, 1, &dev));
        size_t n = frt_tensor_nbytes(src);
        TU_OK(d->ops->copy_to_device(d, frt_tensor_device_ptr(dev), frt_tensor_data(src), n, src));
        waiter w;
        waiter_init(&w);
        for (int k = 0; k < COPIES; k++) {
            TU_OK(frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_FLOAT, dims, 1, &back[k]));
            TU_OK(d->ops->copy_to_host(d, frt_tensor_data(back[k]), frt_tensor_device_ptr(dev), n,
                                       dev, copy_done_calls_cuda, &w));
        }
        TU_OK(d->ops->sync(d));
        pthread_mutex_lock(&w.mu);
        assert_int_equal(w.done, COPIES);
        assert_null(w.st);
        pthread_mutex_unlock(&w.mu);
        assert_int_equal(refs(dev), 1);
        assert_int_equal(refs(src), 1);
        for (int k = 0; k < COPIES; k++) {
            tu_assert_equal(back[k], src);
            frt_tensor_unref(back[k]);
        }
        waiter_deinit(&w);
        frt_tensor_unref(src);
        frt_tensor_unref(dev);
    }
}

/* The orderings a copy promises, many times over:
 * - into memory that compute-stream work still writes (a memset standing for a kernel whose
 *   output was freed): the copy lands after it;
 * - compute work enqueued after the copy (a device-to-device copy standing for a kernel)
 *   reads the copied bytes;
 * - a copy to the host after that reads what the compute work wrote.
 * Without the events the simulation's randomly delayed streams give stale bytes. */
static void copies_ordered_against_compute(void **state) {
    (void)state;
    enum { N = 2048, ROUNDS = 150 };
    for (int i = 0; i < n_gpus; i++) {
        frt_device *d = gpus[i];
        cudaStream_t compute = ((frt_cuda_device *)d)->compute;
        const int64_t dims[] = {N};
        frt_tensor *a = NULL, *b = NULL, *back = NULL;
        TU_OK(frt_tensor_alloc(d->alloc, FRT_DTYPE_FLOAT, dims, 1, &a));
        TU_OK(frt_tensor_alloc(d->alloc, FRT_DTYPE_FLOAT, dims, 1, &b));
        TU_OK(frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_FLOAT, dims, 1, &back));
        size_t n = frt_tensor_nbytes(a);
        void *pa = frt_tensor_device_ptr(a), *pb = frt_tensor_device_ptr(b);
        waiter w;
        waiter_init(&w);
        for (int r = 0; r < ROUNDS; r++) {
            frt_tensor *src = tu_rand_f32(dims, 1, 100u + (unsigned)r);
            d->ops->enter(d); /* as a kernel would */
            assert_int_equal(cudaMemsetAsync(pa, 0, n, compute), cudaSuccess);
            assert_int_equal(cudaMemsetAsync(pb, 0, n, compute), cudaSuccess);
            d->ops->leave(d);
            TU_OK(d->ops->copy_to_device(d, pa, frt_tensor_data(src), n, src));
            d->ops->enter(d);
            assert_int_equal(cudaMemcpyAsync(pb, pa, n, cudaMemcpyDeviceToDevice, compute),
                             cudaSuccess);
            d->ops->leave(d);
            TU_OK(d->ops->copy_to_host(d, frt_tensor_data(back), pb, n, b, copy_done, &w));
            TU_OK(wait_done(&w, r + 1));
            tu_assert_equal(back, src);
            frt_tensor_unref(src);
        }
        TU_OK(d->ops->sync(d));
        waiter_deinit(&w);
        assert_int_equal(refs(a), 1);
        assert_int_equal(refs(b), 1);
        frt_tensor_unref(a);
        frt_tensor_unref(b);
        frt_tensor_unref(back);
    }
}

/* Many copies in flight from several threads at once; sync then returns with all done.
 * (cmocka's asserts belong to the main thread: the copiers count their failures.) */
typedef struct copier {
    frt_device *d;
    int seed;
    int failures;
} copier;

static void *copy_many(void *arg) {
    copier *c = arg;
    enum { N = 512, COPIES = 40 };
    const int64_t dims[] = {N};
    frt_tensor *dev[COPIES] = {0}, *back[COPIES] = {0}, *src[COPIES] = {0};
    waiter w;
    waiter_init(&w);
    int queued = 0;
    for (int k = 0; k < COPIES; k++) {
        src[k] = tu_rand_f32(dims, 1, (unsigned)(c->seed * 1000 + k));
        size_t n = frt_tensor_nbytes(src[k]);
        frt_status *st = frt_tensor_alloc(c->d->alloc, FRT_DTYPE_FLOAT, dims, 1, &dev[k]);
        if (!st) st = frt_tensor_alloc(frt_cpu_allocator_default(), FRT_DTYPE_FLOAT, dims, 1,
                                       &back[k]);
        if (!st) st = c->d->ops->copy_to_device(c->d, frt_tensor_device_ptr(dev[k]),
                                                frt_tensor_data(src[k]), n, src[k]);
        if (!st) st = c->d->ops->copy_to_host(c->d, frt_tensor_data(back[k]),
                                              frt_tensor_device_ptr(dev[k]), n, dev[k],
                                              copy_done, &w);
        if (st) {
            c->failures++;
            frt_status_free(st);
            break;
        }
        queued++;
    }
    frt_status *st = wait_done(&w, queued);
    if (st) {
        c->failures++;
        frt_status_free(st);
    }
    for (int k = 0; k < queued; k++)
        if (memcmp(frt_tensor_data(back[k]), frt_tensor_data(src[k]),
                   frt_tensor_nbytes(src[k])) != 0)
            c->failures++;
    st = c->d->ops->sync(c->d);
    if (st) {
        c->failures++;
        frt_status_free(st);
    }
    for (int k = 0; k < COPIES; k++) {
        if (src[k] && refs(src[k]) != 1) c->failures++;
        frt_tensor_unref(src[k]);
        frt_tensor_unref(dev[k]);
        frt_tensor_unref(back[k]);
    }
    waiter_deinit(&w);
    return NULL;
}

static void concurrent_copies_and_sync(void **state) {
    (void)state;
    enum { THREADS = 4 };
    for (int i = 0; i < n_gpus; i++) {
        pthread_t th[THREADS];
        copier c[THREADS];
        for (int t = 0; t < THREADS; t++) {
            c[t] = (copier){.d = gpus[i], .seed = t + 1};
            pthread_create(&th[t], NULL, copy_many, &c[t]);
        }
        for (int t = 0; t < THREADS; t++) {
            pthread_join(th[t], NULL);
            assert_int_equal(c[t].failures, 0);
        }
        TU_OK(gpus[i]->ops->sync(gpus[i]));
        frt_alloc_stats st;
        frt_allocator_stats(gpus[i]->alloc, &st);
        assert_int_equal(st.in_use, 0);
    }
}

#ifdef FRT_CUDA_SIM
/* A copy that cannot be enqueued (here into freed device memory) is an error naming the
 * call, and its `keep` is not held; done is not called. */
static void failed_copies_keep_nothing(void **state) {
    (void)state;
    for (int i = 0; i < n_gpus; i++) {
        frt_device *d = gpus[i];
        void *gone = NULL;
        assert_int_equal(cudaSetDevice(i), cudaSuccess);
        assert_int_equal(cudaMalloc(&gone, 4096), cudaSuccess);
        assert_int_equal(cudaFree(gone), cudaSuccess);
        frt_tensor *src = tu_rand_f32((int64_t[]){64}, 1, 3);
        tu_assert_error(d->ops->copy_to_device(d, gone, frt_tensor_data(src), 256, src),
                        FRT_INTERNAL, "cudaMemcpyAsync to the GPU");
        waiter w;
        waiter_init(&w);
        tu_assert_error(d->ops->copy_to_host(d, frt_tensor_data(src), gone, 256, src, copy_done,
                                             &w),
                        FRT_INTERNAL, "cudaMemcpyAsync to the host");
        TU_OK(d->ops->sync(d));
        assert_int_equal(w.done, 0);
        assert_int_equal(refs(src), 1);
        waiter_deinit(&w);
        frt_tensor_unref(src);
        assert_true(frt_sim_violations() > 0); /* the simulation saw the misuse */
        frt_sim_reset_violations();
    }
}
#endif

#ifndef FRT_CUDA_SIM
/* Whether a library whose file name contains `name` is mapped into this process. */
static bool mapped(const char *name) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) found = strstr(line, name) != NULL;
    if (f) fclose(f);
    return found;
}

/* cuBLAS is opened on first use (cuda/cublas_load_real.c): a process without a GPU never
 * loads it; once called, the forwarders reach the real library. */
static void cublas_loaded_on_first_use(void **state) {
    (void)state;
    if (n_gpus == 0) assert_false(mapped("libcublas"));
    const char *text = cublasGetStatusString(CUBLAS_STATUS_INVALID_VALUE);
    assert_non_null(text);
    assert_null(strstr(text, "could not be loaded"));
    assert_true(mapped("libcublas"));
}
#endif

/* ---- plans over the GPUs ----------------------------------------------------------------- */

/* Snapshot on the GPU, unless the backend registers one: the output is a device-to-device
 * copy of the input on the compute stream. */
static frt_status *snapshot_gpu(frt_kernel_ctx *c) {
    const frt_tensor *x = frt_kernel_input(c, 0);
    frt_tensor *y = NULL;
    FRT_TRY(frt_kernel_output(c, 0, x->dtype, x->dims, x->ndim, &y));
    size_t n = frt_tensor_nbytes(x);
    if (n == 0) return NULL;
    return frt_cuda_check(cudaMemcpyAsync(frt_tensor_device_ptr(y), frt_tensor_device_ptr(x), n,
                                          cudaMemcpyDeviceToDevice, frt_cuda_stream(c)),
                          "Snapshot");
}

static const frt_kernel_def snapshot_defs[] = {
    {"Snapshot", FRT_DEVICE_CUDA, FRT_DTYPE_FLOAT, snapshot_gpu, NULL, NULL, 0, NULL},
};

static void register_test_kernels(void) {
    frt_attrs a;
    frt_attrs_init(&a);
    tu_attr_type(&a, "T", FRT_DTYPE_FLOAT);
    if (!frt_kernel_find("Snapshot", FRT_DEVICE_CUDA, &a))
        frt_kernel_registry_add(frt_kernel_registry_mutable(), snapshot_defs, 1);
    frt_attrs_deinit(&a);
}

/* x -> s0 (Snapshot pinned to GPU:0) -> s1 (pinned to GPU:1, or GPU:0 with one GPU),
 * fetched. With GPUs the snapshots run there, with copies in and out (and between the two
 * GPUs); without, soft placement puts them on the CPU. Either way s1 == x. */
static void plan_pinned_to_gpus(void **state) {
    (void)state;
    frt_graph *g = frt_graph_new();
    int x = frt_graph_add_node(g, "x", "Placeholder", "");
    tu_attr_type(tu_node_attrs(g, x), "dtype", FRT_DTYPE_FLOAT);
    int s0 = frt_graph_add_node(g, "s0", "Snapshot", "/device:GPU:0");
    frt_node_add_input(frt_graph_node(g, s0), "x");
    tu_attr_type(tu_node_attrs(g, s0), "T", FRT_DTYPE_FLOAT);
    int s1 = frt_graph_add_node(g, "s1", "Snapshot",
                                n_gpus > 1 ? "/device:GPU:1" : "/device:GPU:0");
    frt_node_add_input(frt_graph_node(g, s1), "s0");
    tu_attr_type(tu_node_attrs(g, s1), "T", FRT_DTYPE_FLOAT);
    TU_OK(frt_graph_finalize(g));

    frt_plan_config cfg = {.optimize = false, .n_devices = n_all, .devices = all_devices};
    frt_plan *p = NULL;
    TU_OK(frt_plan_build_config(g, (const char *[]){"x"}, 1, (const char *[]){"s1"}, 1, NULL,
                                0, &cfg, &p));
    int want0 = n_gpus > 0 ? 1 : 0, want1 = n_gpus > 1 ? 2 : want0;
    for (int i = 0; i < p->n_nodes; i++) {
        const char *name = p->g->nodes[p->nodes[i].node].name;
        if (!p->nodes[i].def) continue; /* a copy */
        if (!strcmp(name, "s0")) assert_int_equal(p->nodes[i].device, want0);
        if (!strcmp(name, "s1")) assert_int_equal(p->nodes[i].device, want1);
    }
    assert_int_equal(p->n_copies, n_gpus == 0 ? 0 : n_gpus == 1 ? 2 : 3);

    frt_allocator *allocs[MAX_GPUS + 1];
    allocs[0] = frt_cpu_allocator_default();
    for (int i = 1; i < n_all; i++) allocs[i] = all_devices[i]->alloc;
    frt_exec_env env = {.pool = tu_pool, .intra_threads = 1, .alloc = allocs[0],
                        .allocs = allocs};
    for (int r = 0; r < 20; r++) {
        frt_tensor *in = tu_rand_f32((int64_t[]){3, 333}, 2, 40u + (unsigned)r), *got = NULL;
        TU_OK(frt_plan_run(p, &env, &in, &got));
        assert_int_equal(frt_tensor_space(got), FRT_MEM_HOST);
        tu_assert_equal(got, in);
        frt_tensor_unref(got);
        assert_int_equal(refs(in), 1);
        frt_tensor_unref(in);
    }
    frt_plan_free(p);
    frt_graph_free(g);
    for (int i = 0; i < n_gpus; i++) {
        frt_alloc_stats st;
        frt_allocator_stats(gpus[i]->alloc, &st);
        assert_int_equal(st.in_use, 0);
    }
}

int main(void) {
    frt_init();
    register_test_kernels();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(devices_listed, no_violations),
        cmocka_unit_test_teardown(open_memory_once_with_first_options, no_violations),
        cmocka_unit_test_teardown(round_trip, no_violations),
        cmocka_unit_test_teardown(sync_waits_for_copies_to_the_host, no_violations),
        cmocka_unit_test_teardown(copies_ordered_against_compute, no_violations),
        cmocka_unit_test_teardown(concurrent_copies_and_sync, no_violations),
#ifdef FRT_CUDA_SIM
        cmocka_unit_test_teardown(failed_copies_keep_nothing, no_violations),
#else
        cmocka_unit_test(cublas_loaded_on_first_use),
#endif
        cmocka_unit_test_teardown(plan_pinned_to_gpus, no_violations),
    };
    return cmocka_run_group_tests(tests, setup, tu_pool_teardown);
}
