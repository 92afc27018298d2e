/* cuda/kernels/array_sim.c: the simulation's build of the data-movement launchers of
 * cuda/kernels/launch.h (pad, mirror pad, transpose, strided copy, row copies, gather,
 * fill): each launch is queued on the simulated stream as a job that, when the stream
 * reaches it, translates its pointers over the exact extents the kernel touches and runs
 * the bodies of array.cuh for every output element (sim_impl.h). array.cu is the GPU's.
 * Owns: the jobs. Does not own: the index maps (array.cuh), argument checks shared with
 * array.cu (common.cuh). Thread-safety: as launch.h; a job runs on its stream's thread. */
#include <stdlib.h>
#include <string.h>

#include "cuda/kernels/array.cuh"
#include "cuda/kernels/sim_impl.h"

/* ---- gathers through an index map: Pad, MirrorPad, Transpose, Slice/StridedSlice ---------- */

typedef enum map_kind { MAP_PAD, MAP_MIRROR, MAP_STRIDED } map_kind;

typedef struct map_job {
    map_kind kind;
    const char *what;
    const void *in;
    void *out;
    int64_t n;                       /* output elements */
    int64_t in_lo, in_hi;            /* input elements the map reaches */
    size_t es;
    frt_cu_pad_args pad;             /* MAP_PAD, MAP_MIRROR */
    frt_cu_strided_args strided;     /* MAP_STRIDED */
    unsigned char fill[16];          /* MAP_PAD */
} map_job;

static void map_run(void *arg) {
    map_job *j = arg;
    frt_cu_sim_span in, out;
    if (frt_cu_sim_span_init(&in, j->in, j->in_lo, j->in_hi, j->es, j->what) &&
        frt_cu_sim_span_init(&out, j->out, 0, j->n - 1, j->es, j->what)) {
        FRT_CU_SIM_FOR(i, j->n) {
            int64_t src = j->kind == MAP_PAD      ? frt_cu_pad_src(i, &j->pad)
                        : j->kind == MAP_MIRROR   ? frt_cu_mirror_pad_src(i, &j->pad)
                                                  : frt_cu_strided_src(i, &j->strided);
            char *d = frt_cu_sim_at(&out, i);
            const char *s = src >= 0 ? frt_cu_sim_at(&in, src) : (const char *)j->fill;
            if (!d || !s) break; /* a GPU would fault here */
            memcpy(d, s, j->es);
        }
    }
    free(j);
}

static map_job *map_job_new(map_kind kind, const char *what, const void *in, void *out,
                            int64_t n, size_t es) {
    map_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    j->kind = kind;
    j->what = what;
    j->in = in;
    j->out = out;
    j->n = n;
    j->es = es;
    return j;
}

cudaError_t frt_cu_pad(cudaStream_t s, const void *in, void *out, int ndim,
                       const int64_t *in_dims, const int64_t *before, const int64_t *out_dims,
                       size_t elem_size, const void *fill) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    map_job *j = map_job_new(MAP_PAD, "frt_cu_pad", in, out, n, elem_size);
    if (j) {
        frt_cu_pad_args_init(&j->pad, ndim, in_dims, before, out_dims, 0);
        j->in_lo = 0;
        j->in_hi = frt_cu_num_elements(ndim, in_dims) - 1;
        if (fill) memcpy(j->fill, fill, elem_size);
    }
    return frt_cu_sim_launch(s, map_run, j);
}

cudaError_t frt_cu_mirror_pad(cudaStream_t s, const void *in, void *out, int ndim,
                              const int64_t *in_dims, const int64_t *before,
                              const int64_t *out_dims, size_t elem_size, int offset) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size) ||
        (offset != 0 && offset != 1))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    map_job *j = map_job_new(MAP_MIRROR, "frt_cu_mirror_pad", in, out, n, elem_size);
    if (j) {
        frt_cu_pad_args_init(&j->pad, ndim, in_dims, before, out_dims, offset);
        j->in_lo = 0;
        j->in_hi = frt_cu_num_elements(ndim, in_dims) - 1;
    }
    return frt_cu_sim_launch(s, map_run, j);
}

cudaError_t frt_cu_transpose(cudaStream_t s, const void *in, void *out, int ndim,
                             const int64_t *in_dims, const int *perm, size_t elem_size) {
    if (ndim < 1 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, in_dims);
    if (n == 0) return cudaSuccess;
    map_job *j = map_job_new(MAP_STRIDED, "frt_cu_transpose", in, out, n, elem_size);
    if (j) {
        frt_cu_transpose_args_init(&j->strided, ndim, in_dims, perm);
        j->in_lo = 0;
        j->in_hi = n - 1;
    }
    return frt_cu_sim_launch(s, map_run, j);
}

cudaError_t frt_cu_strided_copy(cudaStream_t s, const void *in, void *out, int ndim,
                                const int64_t *out_dims, int64_t in_offset,
                                const int64_t *in_strides, size_t elem_size) {
    if (ndim < 0 || ndim > FRT_CU_MAX_DIMS || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    int64_t n = frt_cu_num_elements(ndim, out_dims);
    if (n == 0) return cudaSuccess;
    map_job *j = map_job_new(MAP_STRIDED, "frt_cu_strided_copy", in, out, n, elem_size);
    if (j) {
        frt_cu_strided_args_init(&j->strided, ndim, out_dims, in_offset, in_strides);
        frt_cu_offset_range(ndim, out_dims, in_strides, &j->in_lo, &j->in_hi);
        j->in_lo += in_offset;
        j->in_hi += in_offset;
    }
    return frt_cu_sim_launch(s, map_run, j);
}

/* ---- row copies ------------------------------------------------------------------------------ */

typedef struct rows_job {
    const void *in;
    void *out;
    int64_t rows;
    size_t es;
    frt_cu_rows_args a;
} rows_job;

static void rows_run(void *arg) {
    rows_job *j = arg;
    int64_t n = j->rows * j->a.cols;
    frt_cu_sim_span in, out;
    if (frt_cu_sim_span_init(&in, j->in, 0, (j->rows - 1) * j->a.in_pitch + j->a.cols - 1,
                             j->es, "frt_cu_copy_rows input") &&
        frt_cu_sim_span_init(&out, j->out, 0, (j->rows - 1) * j->a.out_pitch + j->a.cols - 1,
                             j->es, "frt_cu_copy_rows output")) {
        FRT_CU_SIM_FOR(i, n) {
            char *d = frt_cu_sim_at(&out, frt_cu_rows_dst(i, &j->a));
            const char *s = frt_cu_sim_at(&in, frt_cu_rows_src(i, &j->a));
            if (!d || !s) break;
            memcpy(d, s, j->es);
        }
    }
    free(j);
}

cudaError_t frt_cu_copy_rows(cudaStream_t s, const void *in, void *out, int64_t rows,
                             int64_t cols, int64_t in_pitch, int64_t out_pitch,
                             size_t elem_size) {
    if (rows < 0 || cols < 0 || in_pitch < cols || out_pitch < cols ||
        !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    if (rows == 0 || cols == 0) return cudaSuccess;
    rows_job *j = malloc(sizeof *j);
    if (j) {
        j->in = in;
        j->out = out;
        j->rows = rows;
        j->es = elem_size;
        j->a.cols = cols;
        j->a.in_pitch = in_pitch;
        j->a.out_pitch = out_pitch;
    }
    return frt_cu_sim_launch(s, rows_run, j);
}

/* ---- GatherV2 -------------------------------------------------------------------------------- */

typedef struct gather_job {
    const void *params, *indices;
    void *out;
    int64_t batch;
    size_t es;
    frt_cu_gather_args a;
} gather_job;

static void gather_run(void *arg) {
    gather_job *j = arg;
    const frt_cu_gather_args *a = &j->a;
    int64_t n = j->batch * a->outer * a->n_idx * a->inner;
    frt_cu_sim_span params, indices, out;
    static const unsigned char zeros[16];
    if (frt_cu_sim_span_init(&params, j->params, 0, j->batch * a->outer * a->limit * a->inner - 1,
                             j->es, "frt_cu_gather params") &&
        frt_cu_sim_span_init(&indices, j->indices, 0, j->batch * a->n_idx - 1,
                             (size_t)a->index_size, "frt_cu_gather indices") &&
        frt_cu_sim_span_init(&out, j->out, 0, n - 1, j->es, "frt_cu_gather output")) {
        FRT_CU_SIM_FOR(i, n) {
            int64_t src = frt_cu_gather_src(i, a, indices.host);
            char *d = frt_cu_sim_at(&out, i);
            const char *s = src >= 0 ? frt_cu_sim_at(&params, src) : (const char *)zeros;
            if (!d || !s) break;
            memcpy(d, s, j->es);
        }
    }
    free(j);
}

cudaError_t frt_cu_gather(cudaStream_t s, const void *params, const void *indices,
                          size_t index_size, void *out, int64_t batch, int64_t outer,
                          int64_t n_idx, int64_t limit, int64_t inner, size_t elem_size) {
    if ((index_size != 4 && index_size != 8) || batch < 0 || outer < 0 || n_idx < 0 ||
        limit < 0 || inner < 0 || !frt_cu_elem_size_ok(elem_size))
        return cudaErrorInvalidValue;
    if (batch * outer * n_idx * inner == 0) return cudaSuccess;
    gather_job *j = malloc(sizeof *j);
    if (j) {
        j->params = params;
        j->indices = indices;
        j->out = out;
        j->batch = batch;
        j->es = elem_size;
        j->a.outer = outer;
        j->a.n_idx = n_idx;
        j->a.limit = limit;
        j->a.inner = inner;
        j->a.index_size = (int)index_size;
    }
    return frt_cu_sim_launch(s, gather_run, j);
}

/* ---- Fill ------------------------------------------------------------------------------------ */

typedef struct fill_job {
    void *out;
    int64_t n;
    size_t es;
    unsigned char value[16];
} fill_job;

static void fill_run(void *arg) {
    fill_job *j = arg;
    frt_cu_sim_span out;
    if (frt_cu_sim_span_init(&out, j->out, 0, j->n - 1, j->es, "frt_cu_fill")) {
        FRT_CU_SIM_FOR(i, j->n) {
            char *d = frt_cu_sim_at(&out, i);
            if (!d) break;
            memcpy(d, j->value, j->es);
        }
    }
    free(j);
}

cudaError_t frt_cu_fill(cudaStream_t s, void *out, int64_t n, size_t elem_size,
                        const void *value) {
    if (n < 0 || !value || !frt_cu_elem_size_ok(elem_size)) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    fill_job *j = malloc(sizeof *j);
    if (j) {
        j->out = out;
        j->n = n;
        j->es = elem_size;
        memcpy(j->value, value, elem_size);
    }
    return frt_cu_sim_launch(s, fill_run, j);
}
