/* tests/e2e/test_mutations.c: bad input never crashes flowrt. Every frozen single-op graph in
 * tests/data/ops (made by TF) is loaded, mutated deterministically (fixed-seed PRNG) and run:
 * int attrs set to 0 / -1 / 1<<40 / small random values, int lists truncated, extended, zeroed,
 * negated, type and string attrs changed, Const values (shapes, perms, paddings, axes, bounds,
 * multiples) replaced by negative, out-of-range, huge or wrong-length tensors, inputs rewired,
 * feeds of the wrong rank, dtype, zero-sized or large dims, and the serialized model.pb with
 * flipped bits, overwritten bytes or truncated through frt_model_load. Each run must succeed
 * or return a status with a non-empty message; anything else (crash, abort, hang, UB under
 * the sanitizers, an allocation of gigabytes) fails the test.
 *
 * Env: FRT_MUT_VERBOSE=1 prints every mutation before running it (find the one that
 * crashed); FRT_MUT_VERBOSE=2 also prints each error; FRT_MUT_ONLY=<substr> runs only the
 * cases whose name contains it, FRT_MUT_CASE=<name> only that case; FRT_MUT_SCALE=k runs
 * k times as many mutations per case and FRT_MUT_SEED=n draws other values (exploration:
 * the default stays bounded and deterministic). */
#include <fnmatch.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "graph/graph.h"
#include "io/graphdef.h"
#include "runtime/model.h"
#include "util/test_util.h"

enum {
    MAX_IO = 8,
    MAX_GRAPH_MUTATIONS = 10, /* per case: attrs, Const values, inputs */
    MAX_FEED_MUTATIONS = 3,
    BYTE_MUTATIONS = 2,
    NPY_MUTATIONS = 1,
    HANG_SECONDS = 30,
};
/* A run must never hold more than this at once (the mutations are designed to need far
 * less: anything bigger has to be refused). */
static const size_t PEAK_LIMIT = (size_t)1 << 30;

#if defined(__SANITIZE_ADDRESS__)
/* Huge requests fail (NULL) instead of aborting, as they do without ASan; kernels must turn
 * that into RESOURCE_EXHAUSTED. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}
#endif

/* ---- deterministic PRNG (splitmix64) ---------------------------------------------------- */

static uint64_t next_u64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static int64_t rand_range(uint64_t *s, int64_t lo, int64_t hi) { /* [lo, hi] */
    return lo + (int64_t)(next_u64(s) % (uint64_t)(hi - lo + 1));
}
static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* ---- cases -------------------------------------------------------------------------------- */

typedef struct mcase {
    char name[128], dir[1024], model[256];
    bool text;
    int nin, nout;
    char in_names[MAX_IO][128], out_names[MAX_IO][128];
    char in_paths[MAX_IO][1500];
    frt_tensor *feeds[MAX_IO];
    unsigned char *bytes;
    size_t nbytes;
} mcase;

static void parse_case(mcase *c) {
    char path[1400], line[1200];
    snprintf(path, sizeof path, "%s/case.txt", c->dir);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    while (fgets(line, sizeof line, f)) {
        char kw[32], a[256], b[256];
        if (line[0] == '#' || sscanf(line, "%31s", kw) != 1) continue;
        if (strcmp(kw, "model") == 0) {
            if (sscanf(line, "%*s %255s", c->model) != 1) fail_msg("%s: bad model line", path);
        } else if (strcmp(kw, "input") == 0 && c->nin < MAX_IO) {
            if (sscanf(line, "%*s %255s %255s", a, b) != 2) fail_msg("%s: bad input", path);
            snprintf(c->in_names[c->nin], sizeof c->in_names[0], "%.127s", a);
            char *np = c->in_paths[c->nin];
            snprintf(np, sizeof c->in_paths[0], "%s/%s", c->dir, b);
            TU_OK(frt_npy_read(np, &c->feeds[c->nin]));
            c->nin++;
        } else if (strcmp(kw, "output") == 0 && c->nout < MAX_IO) {
            if (sscanf(line, "%*s %255s", a) != 1) fail_msg("%s: bad output", path);
            snprintf(c->out_names[c->nout++], sizeof c->out_names[0], "%.127s", a);
        }
    }
    fclose(f);
    size_t ml = strlen(c->model);
    c->text = ml > 6 && strcmp(c->model + ml - 6, ".pbtxt") == 0;
    snprintf(path, sizeof path, "%s/%s", c->dir, c->model);
    f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    c->bytes = malloc((size_t)len + 1);
    if (len < 0 || fread(c->bytes, 1, (size_t)len, f) != (size_t)len) fail_msg("read %s", path);
    c->nbytes = (size_t)len;
    fclose(f);
}

static void free_case(mcase *c) {
    for (int i = 0; i < c->nin; i++) frt_tensor_unref(c->feeds[i]);
    free(c->bytes);
}

/* ---- bookkeeping ------------------------------------------------------------------------ */

static char cur_desc[512];
static int verbose;
static long n_runs, n_ok, n_err, codes[16];
static int scale = 1;        /* FRT_MUT_SCALE: multiplies the per-case mutation counts */
static uint64_t extra_seed;  /* FRT_MUT_SEED: other random values, same kinds */

static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "\ntest_mutations: HANG (no answer in 30 s): ";
    if (write(2, msg, sizeof msg - 1) < 0) {}
    if (write(2, cur_desc, strlen(cur_desc)) < 0) {}
    if (write(2, "\n", 1) < 0) {}
    _exit(3);
}

/* Runs a loaded (finalized) model with the given feeds; checks the contract. Frees m. */
static void run_model(frt_model *m, const mcase *c, frt_tensor *const *feeds) {
    frt_session_options *o = frt_session_options_new();
    frt_session_options_set_inter_op_threads(o, 1);
    frt_session_options_set_intra_op_threads(o, 1);
    frt_session_options_set_memory_limit(o, 256u << 20);
    frt_session *s = NULL;
    frt_status *st = frt_session_new(o, m, &s);
    frt_session_options_free(o);
    frt_model_free(m);
    frt_tensor *fetches[MAX_IO] = {0};
    const char *in[MAX_IO], *out[MAX_IO];
    for (int i = 0; i < c->nin; i++) in[i] = c->in_names[i];
    for (int i = 0; i < c->nout; i++) out[i] = c->out_names[i];
    if (!st) {
        st = frt_session_run(s, in, feeds, c->nin, out, fetches, c->nout, NULL, 0);
        size_t peak = frt_session_peak_bytes(s);
        if (peak > PEAK_LIMIT)
            fail_msg("%s: held %zu bytes at once (limit %zu)", cur_desc, peak, PEAK_LIMIT);
    }
    frt_session_free(s);
    if (st) {
        n_err++;
        frt_code code = frt_status_code(st);
        codes[(unsigned)code < 16 ? code : 15]++;
        if (code == FRT_OK || !frt_status_message(st)[0])
            fail_msg("%s: error status with code %d and message '%s'", cur_desc, (int)code,
                     frt_status_message(st));
        /* bad input is the caller's problem, never an internal error of ours */
        if (code == FRT_INTERNAL || code == FRT_UNKNOWN)
            fail_msg("%s: %s: %s", cur_desc, frt_code_name(code), frt_status_message(st));
        if (verbose > 1) fprintf(stderr, "    -> %s: %s\n", frt_code_name(code),
                                 frt_status_message(st));
        for (int k = 0; k < c->nout; k++)
            if (fetches[k]) fail_msg("%s: fetch %d set on error", cur_desc, k);
        frt_status_free(st);
        return;
    }
    n_ok++;
    for (int k = 0; k < c->nout; k++) {
        const frt_tensor *t = fetches[k];
        if (!t) fail_msg("%s: fetch %s is NULL on success", cur_desc, c->out_names[k]);
        int64_t n = frt_shape_num_elements(t->dims, t->ndim);
        if (n != frt_tensor_num_elements(t) || t->ndim < 0 || t->ndim > FRT_MAX_DIMS)
            fail_msg("%s: fetch %s has inconsistent shape", cur_desc, c->out_names[k]);
        if (n > 0 && frt_dtype_size(t->dtype) && !frt_tensor_data(t))
            fail_msg("%s: fetch %s has no data", cur_desc, c->out_names[k]);
        frt_tensor_unref(fetches[k]);
    }
}

/* Bugs found by this test in files whose owners are fixing them: mutations whose
 * description matches a pattern (fnmatch) are skipped until the fix lands. Remove an entry
 * with its fix. */
static const char *const known_bugs[] = {
    NULL,
};
static long n_skipped;

/* Sets the description of the next run (attr mutations append what they did). */
static void describe(const char *fmt, ...) FRT_PRINTF(1, 2);
static void describe(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cur_desc, sizeof cur_desc, fmt, ap);
    va_end(ap);
}

/* Starts the described run; false when it is a known bug to skip. */
static bool start(void) {
    for (int k = 0; known_bugs[k]; k++)
        if (fnmatch(known_bugs[k], cur_desc, 0) == 0) {
            n_skipped++;
            if (verbose) fprintf(stderr, "%s: SKIPPED (known bug)\n", cur_desc);
            return false;
        }
    n_runs++;
    if (verbose) {
        fprintf(stderr, "%s\n", cur_desc);
        fflush(stderr);
    }
    alarm(HANG_SECONDS);
    return true;
}

static frt_graph *load_raw(const mcase *c) {
    frt_graph *g = NULL;
    TU_OK(frt_graphdef_load_buffer(c->bytes, c->nbytes, c->text, c->name, &g));
    return g;
}

/* Finalizes g (freeing it on error) and runs it. */
static void finalize_and_run(frt_graph *g, const mcase *c, frt_tensor *const *feeds) {
    frt_status *st = frt_graph_finalize(g);
    if (st) {
        n_err++;
        codes[(unsigned)frt_status_code(st) < 16 ? frt_status_code(st) : 15]++;
        if (!frt_status_message(st)[0] || frt_status_code(st) == FRT_OK)
            fail_msg("%s: finalize failed without a message", cur_desc);
        if (verbose > 1) fprintf(stderr, "    -> finalize: %s\n", frt_status_message(st));
        frt_status_free(st);
        frt_graph_free(g);
        return;
    }
    run_model(frt_model_from_graph(g, c->name), c, feeds);
}

/* ---- value builders --------------------------------------------------------------------- */

static const frt_dtype some_dtypes[] = {
    FRT_DTYPE_FLOAT,  FRT_DTYPE_DOUBLE, FRT_DTYPE_INT32,     FRT_DTYPE_INT64,
    FRT_DTYPE_BOOL,   FRT_DTYPE_STRING, FRT_DTYPE_HALF,      FRT_DTYPE_UINT8,
    FRT_DTYPE_INT8,   FRT_DTYPE_INT16,  FRT_DTYPE_COMPLEX64, FRT_DTYPE_RESOURCE,
    FRT_DTYPE_VARIANT, FRT_DTYPE_BFLOAT16, FRT_DTYPE_INVALID,
};
enum { N_SOME_DTYPES = sizeof some_dtypes / sizeof some_dtypes[0] };

static frt_dtype other_dtype(uint64_t *r, frt_dtype not) {
    for (;;) {
        frt_dtype d = some_dtypes[next_u64(r) % N_SOME_DTYPES];
        if (d != not) return d;
    }
}

/* An int32/int64 tensor from int64 values (saturated for int32). */
static frt_tensor *int_tensor(frt_dtype dt, const int64_t *dims, int ndim, const int64_t *v) {
    frt_tensor *t = NULL;
    TU_OK(frt_tensor_new(dt, dims, ndim, &t));
    int64_t n = frt_tensor_num_elements(t);
    for (int64_t i = 0; i < n; i++) {
        if (dt == FRT_DTYPE_INT32) {
            int64_t x = v[i] > INT32_MAX ? INT32_MAX : v[i] < INT32_MIN ? INT32_MIN : v[i];
            frt_tensor_i32(t)[i] = (int32_t)x;
        } else {
            frt_tensor_i64(t)[i] = v[i];
        }
    }
    return t;
}

static void set_tensor_attr(frt_node *n, const char *key, frt_tensor *t) {
    frt_attr_value v = {.kind = FRT_ATTR_TENSOR};
    v.v.tensor = t; /* moves our reference */
    frt_attrs_set(&n->attrs, key, &v);
}

static void set_int_list(frt_node *n, const char *key, const int64_t *vals, int len) {
    frt_attr_value v = {.kind = FRT_ATTR_LIST};
    v.v.list.elem = len ? FRT_ATTR_I : FRT_ATTR_NONE;
    v.v.list.n = len;
    v.v.list.v.i = malloc(sizeof(int64_t) * (size_t)(len ? len : 1));
    if (len) memcpy(v.v.list.v.i, vals, sizeof(int64_t) * (size_t)len);
    frt_attrs_set(&n->attrs, key, &v);
}

/* ---- graph mutations -------------------------------------------------------------------- */

/* A mutation target: one attr of one node, one input of one node, or one feed. */
typedef enum { SLOT_ATTR, SLOT_INPUT, SLOT_FEED, SLOT_RETYPE } slot_kind;
typedef struct slot {
    slot_kind kind;
    char node[128], attr[64];
    frt_attr_kind akind, elem;   /* attr kind; list element kind */
    frt_dtype tdtype;            /* tensor attrs: the tensor's dtype */
    int index;                   /* input index / feed index */
    int nvariants;
} slot;

static int attr_variants(const frt_attr_value *v) {
    switch (v->kind) {
    case FRT_ATTR_I: return 5;
    case FRT_ATTR_S: return 3;
    case FRT_ATTR_TYPE: return 2;
    case FRT_ATTR_B: return 1;
    case FRT_ATTR_F: return 2;
    case FRT_ATTR_SHAPE: return 4;
    case FRT_ATTR_TENSOR: {
        frt_dtype dt = v->v.tensor->dtype;
        return dt == FRT_DTYPE_INT32 || dt == FRT_DTYPE_INT64 ? 8 : 3;
    }
    case FRT_ATTR_LIST:
        if (v->v.list.elem == FRT_ATTR_I || v->v.list.elem == FRT_ATTR_NONE) return 6;
        if (v->v.list.elem == FRT_ATTR_TYPE) return 2;
        return 0;
    default: return 0;
    }
}

/* Applies variant `var` of an int-valued attr. */
static void mutate_int(frt_node *n, const char *key, int var, uint64_t *r) {
    static const int64_t fixed[] = {0, -1, (int64_t)1 << 40};
    int64_t x = var < 3 ? fixed[var] : var == 3 ? rand_range(r, -3, 8) : INT64_MIN;
    frt_attr_value v = {.kind = FRT_ATTR_I};
    v.v.i = x;
    frt_attrs_set(&n->attrs, key, &v);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " = %lld",
             (long long)x);
}

static void mutate_int_list(frt_node *n, const char *key, const frt_attr_list *l, int var,
                            uint64_t *r) {
    int64_t vals[FRT_MAX_DIMS * 2 + 2];
    int len = l->elem == FRT_ATTR_I ? l->n : 0;
    if (len > FRT_MAX_DIMS * 2) len = FRT_MAX_DIMS * 2;
    for (int i = 0; i < len; i++) vals[i] = l->v.i[i];
    const char *what = "";
    switch (var) {
    case 0: what = "truncated"; len = len > 0 ? (int)rand_range(r, 0, len - 1) : 0; break;
    case 1:
        what = "extended";
        vals[len++] = rand_range(r, -2, 4);
        if (next_u64(r) & 1) vals[len++] = rand_range(r, -2, 4);
        break;
    case 2: what = "zeroed"; for (int i = 0; i < len; i++) vals[i] = 0; break;
    case 3:
        what = "negated";
        for (int i = 0; i < len; i++) vals[i] = vals[i] ? -vals[i] : -1;
        break;
    case 4:
        what = "one huge";
        if (len == 0) vals[len++] = 1;
        vals[rand_range(r, 0, len - 1)] = (next_u64(r) & 1) ? (int64_t)1 << 40 : INT32_MAX;
        break;
    default:
        what = "random";
        if (len == 0) len = (int)rand_range(r, 1, 4);
        for (int i = 0; i < len; i++) vals[i] = rand_range(r, -4, 9);
        break;
    }
    set_int_list(n, key, vals, len);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " %s (n=%d)",
             what, len);
}

static void mutate_str(frt_node *n, const char *key, const frt_attr_value *old, int var) {
    static const char *swaps[][2] = {{"SAME", "VALID"},  {"VALID", "EXPLICIT"},
                                     {"EXPLICIT", "SAME"}, {"NHWC", "NCHW"},
                                     {"NCHW", "NCDHW"},  {"NDHWC", "NHWC"}};
    const char *s = var == 0 ? "garbage\x01" : var == 1 ? "" : "NHWC";
    if (var == 2)
        for (size_t k = 0; k < sizeof swaps / sizeof swaps[0]; k++)
            if (old->v.s.ptr && strcmp(old->v.s.ptr, swaps[k][0]) == 0) s = swaps[k][1];
    frt_attr_value v = {.kind = FRT_ATTR_S};
    v.v.s.len = strlen(s);
    v.v.s.ptr = malloc(v.v.s.len + 1);
    memcpy(v.v.s.ptr, s, v.v.s.len + 1);
    frt_attrs_set(&n->attrs, key, &v);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " = '%s'", s);
}

static void mutate_shape(frt_node *n, const char *key, const frt_attr_value *old, int var,
                         uint64_t *r) {
    frt_attr_value v = {.kind = FRT_ATTR_SHAPE};
    v.v.shape = old->v.shape;
    frt_attr_shape *s = &v.v.shape;
    switch (var) {
    case 0: s->unknown_rank = true; s->ndim = 0; break;
    case 1:
        if (s->ndim < FRT_MAX_DIMS) s->dims[s->ndim++] = rand_range(r, 1, 3);
        s->unknown_rank = false;
        break;
    case 2: for (int i = 0; i < s->ndim; i++) s->dims[i] = i == 0 ? 0 : -1; break;
    default:
        s->unknown_rank = false;
        if (s->ndim == 0) s->ndim = 1;
        s->dims[rand_range(r, 0, s->ndim - 1)] = (int64_t)1 << 40;
        break;
    }
    frt_attrs_set(&n->attrs, key, &v);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " variant %d",
             var);
}

/* Const values: shape tensors (perm, paddings, axes, begin/end/strides, multiples, block
 * shapes, Reshape's shape) get negative, out-of-range, huge and wrong-length values. */
static void mutate_tensor(frt_node *n, const char *key, const frt_tensor *old, int var,
                          uint64_t *r) {
    frt_dtype dt = old->dtype;
    int64_t count = old->n;
    const char *what;
    frt_tensor *t = NULL;
    if (dt == FRT_DTYPE_INT32 || dt == FRT_DTYPE_INT64) {
        int64_t vals[64], dims[FRT_MAX_DIMS];
        int ndim = old->ndim;
        memcpy(dims, old->dims, sizeof dims);
        int64_t m = count < 64 ? count : 64;
        if (count > 64) { /* keep large ones' shape: mutate by dtype only */
            var = 7;
        }
        for (int64_t i = 0; i < m; i++) vals[i] = frt_tensor_int_at(old, i);
        switch (var) {
        case 0: what = "all -1"; for (int64_t i = 0; i < m; i++) vals[i] = -1; break;
        case 1:
            what = "huge";
            for (int64_t i = 0; i < m; i++)
                vals[i] = (next_u64(r) & 1) ? (int64_t)1 << 40 : INT32_MAX;
            break;
        case 2: what = "out of range +7"; for (int64_t i = 0; i < m; i++) vals[i] += 7; break;
        case 3:
            what = "random small";
            for (int64_t i = 0; i < m; i++) vals[i] = rand_range(r, -5, 9);
            break;
        case 4: /* wrong length */
            what = "wrong length";
            ndim = 1;
            dims[0] = m + (next_u64(r) & 1 ? 1 : -1);
            if (dims[0] < 0) dims[0] = 2;
            if (dims[0] > 64) dims[0] = 64;
            for (int64_t i = 0; i < dims[0]; i++) vals[i] = rand_range(r, -1, 3);
            break;
        case 5: /* rank change: scalar <-> matrix */
            what = "rank changed";
            if (ndim == 0) {
                ndim = 2;
                dims[0] = dims[1] = 1;
            } else if (m == 1) {
                ndim = 0;
            } else {
                ndim = 2;
                dims[0] = 1;
                dims[1] = m;
            }
            break;
        case 6:
            what = "INT64_MIN";
            for (int64_t i = 0; i < m; i++) vals[i] = (next_u64(r) & 1) ? INT64_MIN : INT32_MIN;
            break;
        default: { /* dtype change, same values */
            what = "dtype changed";
            frt_dtype nd = dt == FRT_DTYPE_INT32 ? FRT_DTYPE_INT64 : FRT_DTYPE_INT32;
            if (next_u64(r) & 1) nd = FRT_DTYPE_FLOAT;
            TU_OK(frt_tensor_new(nd, old->dims, old->ndim, &t));
            for (int64_t i = 0; i < count; i++) {
                int64_t x = frt_tensor_int_at(old, i);
                if (nd == FRT_DTYPE_FLOAT) frt_tensor_f32(t)[i] = (float)x;
                else if (nd == FRT_DTYPE_INT32) frt_tensor_i32(t)[i] = (int32_t)x;
                else frt_tensor_i64(t)[i] = x;
            }
            break;
        }
        }
        if (!t) t = int_tensor(dt, dims, ndim, vals);
    } else {
        int64_t dims[FRT_MAX_DIMS];
        memcpy(dims, old->dims, sizeof dims);
        int ndim = old->ndim;
        if (var == 0) {
            what = "shape changed";
            if (ndim > 0 && (next_u64(r) & 1)) {
                ndim--; /* drop the last dim, keeping the element count */
                if (ndim > 0) dims[ndim - 1] *= old->dims[ndim];
                else if (count != 1) ndim = 1, dims[0] = count;
            } else if (ndim < FRT_MAX_DIMS) {
                dims[ndim++] = 1;
            }
            TU_OK(frt_tensor_view(old, dims, ndim, &t));
        } else if (var == 1) {
            what = "element count changed";
            if (ndim == 0) {
                ndim = 1;
                dims[0] = 2;
            } else {
                dims[ndim - 1] += 1;
            }
            if (frt_shape_num_elements(dims, ndim) > (1 << 20)) dims[ndim - 1] -= 2;
            if (dims[ndim - 1] < 0) dims[ndim - 1] = 0;
            TU_OK(frt_tensor_new(dt, dims, ndim, &t));
            if (dt == FRT_DTYPE_FLOAT)
                for (int64_t i = 0; i < t->n; i++) frt_tensor_f32(t)[i] = NAN;
        } else {
            what = "dtype changed";
            TU_OK(frt_tensor_new(dt == FRT_DTYPE_INT32 ? FRT_DTYPE_FLOAT : FRT_DTYPE_INT32,
                                 dims, ndim, &t));
        }
    }
    set_tensor_attr(n, key, t);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " %s", what);
}

static void mutate_type_list(frt_node *n, const char *key, const frt_attr_list *l, int var,
                             uint64_t *r) {
    frt_attr_value v = {.kind = FRT_ATTR_LIST};
    int len = var == 0 ? (l->n > 0 ? l->n - 1 : 0) : l->n;
    v.v.list.elem = len ? FRT_ATTR_TYPE : FRT_ATTR_NONE;
    v.v.list.n = len;
    v.v.list.v.type = malloc(sizeof(frt_dtype) * (size_t)(len ? len : 1));
    for (int i = 0; i < len; i++) v.v.list.v.type[i] = l->v.type[i];
    if (var == 1 && len > 0) {
        int k = (int)rand_range(r, 0, len - 1);
        v.v.list.v.type[k] = other_dtype(r, v.v.list.v.type[k]);
    }
    frt_attrs_set(&n->attrs, key, &v);
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " variant %d",
             var);
}

static void apply_attr(frt_graph *g, const slot *sl, int var, uint64_t *r) {
    int ni = frt_graph_find(g, sl->node);
    assert_true(ni >= 0);
    frt_node *n = frt_graph_node(g, ni);
    /* the value as finalized (defaults included) comes from the baseline graph's copy, but
     * the raw graph's is the same when present; take the raw one or synthesize */
    const frt_attr_value *old = frt_attrs_find(&n->attrs, sl->attr);
    frt_attr_value tmp;
    memset(&tmp, 0, sizeof tmp);
    if (!old || old->kind != sl->akind) {
        tmp.kind = sl->akind;
        if (sl->akind == FRT_ATTR_LIST) tmp.v.list.elem = FRT_ATTR_NONE;
        old = &tmp;
    }
    switch (sl->akind) {
    case FRT_ATTR_I: mutate_int(n, sl->attr, var, r); break;
    case FRT_ATTR_S: {
        frt_attr_value copy;
        frt_attr_value_copy(&copy, old);
        mutate_str(n, sl->attr, &copy, var);
        frt_attr_value_deinit(&copy);
        break;
    }
    case FRT_ATTR_TYPE: {
        frt_attr_value v = {.kind = FRT_ATTR_TYPE};
        v.v.type = other_dtype(r, old->v.type);
        snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " = %s",
                 frt_dtype_name(v.v.type));
        frt_attrs_set(&n->attrs, sl->attr, &v);
        break;
    }
    case FRT_ATTR_B: {
        frt_attr_value v = {.kind = FRT_ATTR_B};
        v.v.b = !old->v.b;
        frt_attrs_set(&n->attrs, sl->attr, &v);
        break;
    }
    case FRT_ATTR_F: {
        frt_attr_value v = {.kind = FRT_ATTR_F};
        static const float fs[] = {-1.0f, 0.0f, 1e30f};
        v.v.f = var == 0 ? NAN : fs[next_u64(r) % 3];
        frt_attrs_set(&n->attrs, sl->attr, &v);
        break;
    }
    case FRT_ATTR_SHAPE: {
        frt_attr_value copy;
        frt_attr_value_copy(&copy, old);
        mutate_shape(n, sl->attr, &copy, var, r);
        frt_attr_value_deinit(&copy);
        break;
    }
    case FRT_ATTR_TENSOR: {
        frt_tensor *keep = frt_tensor_ref(old->v.tensor);
        mutate_tensor(n, sl->attr, keep, var, r);
        frt_tensor_unref(keep);
        break;
    }
    case FRT_ATTR_LIST: {
        frt_attr_value copy;
        frt_attr_value_copy(&copy, old);
        if (sl->elem == FRT_ATTR_TYPE) mutate_type_list(n, sl->attr, &copy.v.list, var, r);
        else mutate_int_list(n, sl->attr, &copy.v.list, var, r);
        frt_attr_value_deinit(&copy);
        break;
    }
    default: break;
    }
}

static void set_input(frt_node *n, int j, const char *s) {
    free(n->inputs[j]);
    n->inputs[j] = malloc(strlen(s) + 1);
    strcpy(n->inputs[j], s);
}

static void apply_input(frt_graph *g, const slot *sl, int var, uint64_t *r) {
    frt_node *n = frt_graph_node(g, frt_graph_find(g, sl->node));
    int j = (int)rand_range(r, 0, n->n_inputs - 1);
    char buf[300];
    const char *what;
    switch (var) {
    case 0: what = "to a missing node"; set_input(n, j, "no_such_node_xyz"); break;
    case 1: what = "to itself (cycle)"; set_input(n, j, n->name); break;
    case 2:
        what = "bad output index";
        snprintf(buf, sizeof buf, "%.200s:%d", n->inputs[j],
                 (int)rand_range(r, 1, 9) * ((next_u64(r) & 1) ? 1 : 1000000));
        set_input(n, j, buf);
        break;
    case 3: what = "dropped"; /* arity mismatch */
        free(n->inputs[j]);
        memmove(&n->inputs[j], &n->inputs[j + 1], sizeof(char *) * (size_t)(n->n_inputs - j - 1));
        n->n_inputs--;
        break;
    default: what = "duplicated"; {
        snprintf(buf, sizeof buf, "%.250s", n->inputs[j]);
        frt_node_add_input(n, buf);
        if (next_u64(r) & 1) { /* and swapped with the first */
            char *t = n->inputs[0];
            n->inputs[0] = n->inputs[j];
            n->inputs[j] = t;
        }
        break;
    }
    }
    snprintf(cur_desc + strlen(cur_desc), sizeof cur_desc - strlen(cur_desc), " %s", what);
}

/* ---- feed mutations ----------------------------------------------------------------------- */

/* Element i of an int32/int64 tensor, 0 for other dtypes. */
static int64_t int_at_any(const frt_tensor *t, int64_t i) {
    return t->dtype == FRT_DTYPE_INT32 || t->dtype == FRT_DTYPE_INT64 ? frt_tensor_int_at(t, i)
                                                                       : 0;
}

static frt_tensor *mutate_feed(const frt_tensor *f, int var, uint64_t *r, const char **what) {
    int64_t dims[FRT_MAX_DIMS];
    memcpy(dims, f->dims, sizeof dims);
    int ndim = f->ndim;
    frt_dtype dt = f->dtype;
    frt_tensor *t = NULL;
    switch (var) {
    case 0: /* one more dim of size 1 */
        *what = "rank + 1";
        if (ndim < FRT_MAX_DIMS) {
            memmove(dims + 1, dims, sizeof(int64_t) * (size_t)ndim);
            dims[0] = 1;
            ndim++;
        }
        TU_OK(frt_tensor_view(f, dims, ndim, &t));
        return t;
    case 1: /* one fewer dim, or a scalar */
        *what = "rank - 1";
        if (ndim == 0) {
            ndim = 1;
            dims[0] = 1;
        } else if (ndim == 1) {
            ndim = 0;
        } else {
            dims[ndim - 2] *= dims[ndim - 1];
            ndim--;
        }
        if (frt_shape_num_elements(dims, ndim) != f->n) {
            TU_OK(frt_tensor_new(dt, dims, ndim, &t));
            return t;
        }
        TU_OK(frt_tensor_view(f, dims, ndim, &t));
        return t;
    case 2: { /* another dtype, same shape */
        *what = "dtype changed";
        frt_dtype nd = dt == FRT_DTYPE_FLOAT ? FRT_DTYPE_INT32 : FRT_DTYPE_FLOAT;
        if (next_u64(r) % 3 == 0) nd = dt == FRT_DTYPE_INT64 ? FRT_DTYPE_BOOL : FRT_DTYPE_INT64;
        if (next_u64(r) % 5 == 0) nd = FRT_DTYPE_STRING;
        TU_OK(frt_tensor_new(nd, dims, ndim, &t));
        return t;
    }
    case 3: /* a zero-sized dim */
        *what = "zero-sized dim";
        if (ndim == 0) {
            ndim = 1;
            dims[0] = 0;
        } else {
            dims[rand_range(r, 0, ndim - 1)] = 0;
        }
        TU_OK(frt_tensor_new(dt, dims, ndim, &t));
        return t;
    case 5: { /* same shape and dtype, hostile values */
        *what = "values";
        TU_OK(frt_tensor_new(dt, dims, ndim, &t));
        int kind = (int)(next_u64(r) % 5);
        for (int64_t i = 0; i < t->n; i++) {
            void *d = frt_tensor_data(t);
            int64_t iv = kind == 0 ? -1 : kind == 1 ? ((next_u64(r) & 1) ? (int64_t)1 << 40 : INT32_MAX)
                         : kind == 2 ? int_at_any(f, i) + 7
                         : kind == 3 ? INT64_MIN : rand_range(r, -5, 9);
            static const float fv[] = {NAN, INFINITY, -INFINITY, -0.0f, 3e38f, 1e-45f};
            switch (dt) {
            case FRT_DTYPE_INT32:
                ((int32_t *)d)[i] = iv > INT32_MAX ? INT32_MAX : iv < INT32_MIN ? INT32_MIN
                                                                                : (int32_t)iv;
                break;
            case FRT_DTYPE_INT64: ((int64_t *)d)[i] = iv; break;
            case FRT_DTYPE_FLOAT: ((float *)d)[i] = fv[next_u64(r) % 6]; break;
            case FRT_DTYPE_BOOL: ((uint8_t *)d)[i] = (uint8_t)rand_range(r, 0, 255); break;
            default: break;
            }
        }
        return t;
    }
    default: { /* one large dim, total kept at most 1M elements */
        *what = "large dim";
        if (ndim == 0) {
            ndim = 1;
            dims[0] = 1;
        }
        int k = (int)rand_range(r, 0, ndim - 1);
        for (int i = 0; i < ndim; i++) dims[i] = i == k ? 1 << 20 : 1;
        if (next_u64(r) & 1) dims[k] = 4097; /* large but cheap: an odd size */
        TU_OK(frt_tensor_new(dt, dims, ndim, &t));
        return t;
    }
    }
}

static void clear_placeholder_shape(frt_graph *g, const char *tensor) {
    char name[128];
    snprintf(name, sizeof name, "%s", tensor);
    name[strcspn(name, ":")] = 0;
    int i = frt_graph_find(g, name);
    if (i < 0) return;
    frt_attr_value v = {.kind = FRT_ATTR_SHAPE};
    v.v.shape.unknown_rank = true;
    frt_attrs_set(&frt_graph_node(g, i)->attrs, "shape", &v);
}

/* A tensor of dtype `to` and t's shape holding small values (i % 4, or strings). */
static frt_tensor *converted(const frt_tensor *t, frt_dtype to) {
    frt_tensor *o = NULL;
    TU_OK(frt_tensor_new(to, t->dims, t->ndim, &o));
    for (int64_t i = 0; i < o->n; i++) {
        int v = (int)(i % 4);
        void *d = frt_tensor_data(o);
        switch (to) {
        case FRT_DTYPE_FLOAT: ((float *)d)[i] = (float)v; break;
        case FRT_DTYPE_DOUBLE: ((double *)d)[i] = v; break;
        case FRT_DTYPE_INT32: ((int32_t *)d)[i] = v; break;
        case FRT_DTYPE_INT64: ((int64_t *)d)[i] = v; break;
        case FRT_DTYPE_INT16: ((int16_t *)d)[i] = (int16_t)v; break;
        case FRT_DTYPE_INT8: case FRT_DTYPE_UINT8: case FRT_DTYPE_BOOL:
            ((uint8_t *)d)[i] = (uint8_t)(to == FRT_DTYPE_BOOL ? v & 1 : v);
            break;
        case FRT_DTYPE_STRING: TU_OK(frt_tensor_set_string(o, i, "abc", (size_t)v)); break;
        default: break; /* zeros */
        }
    }
    return o;
}

/* Graph-wide dtype change: every type attr equal to one dtype of the graph (a feed's, or
 * the first one found) becomes another, Const values and feeds of it are converted, so the
 * graph is consistent and kernels run on a dtype they may not support. */
static void retype(frt_graph *g, const mcase *c, uint64_t *r, frt_tensor **feeds,
                   frt_dtype *from, frt_dtype *to) {
    static const frt_dtype targets[] = {
        FRT_DTYPE_DOUBLE, FRT_DTYPE_INT32, FRT_DTYPE_INT64, FRT_DTYPE_INT8, FRT_DTYPE_UINT8,
        FRT_DTYPE_INT16,  FRT_DTYPE_HALF,  FRT_DTYPE_BOOL,  FRT_DTYPE_BFLOAT16,
        FRT_DTYPE_STRING, FRT_DTYPE_FLOAT, FRT_DTYPE_COMPLEX64,
    };
    *from = c->nin ? c->feeds[next_u64(r) % (uint64_t)c->nin]->dtype : FRT_DTYPE_FLOAT;
    do {
        *to = targets[next_u64(r) % (sizeof targets / sizeof targets[0])];
    } while (*to == *from);
    for (int i = 0; i < g->n_nodes; i++) {
        frt_attrs *a = &frt_graph_node(g, i)->attrs;
        for (int k = 0; k < a->n; k++) {
            frt_attr_value *v = &a->vals[k];
            if (v->kind == FRT_ATTR_TYPE && v->v.type == *from) v->v.type = *to;
            if (v->kind == FRT_ATTR_LIST && v->v.list.elem == FRT_ATTR_TYPE)
                for (int e = 0; e < v->v.list.n; e++)
                    if (v->v.list.v.type[e] == *from) v->v.list.v.type[e] = *to;
            if (v->kind == FRT_ATTR_TENSOR && v->v.tensor->dtype == *from) {
                frt_tensor *t = converted(v->v.tensor, *to);
                frt_tensor_unref(v->v.tensor);
                v->v.tensor = t;
            }
        }
    }
    for (int i = 0; i < c->nin; i++)
        feeds[i] = c->feeds[i]->dtype == *from ? converted(c->feeds[i], *to)
                                               : frt_tensor_ref(c->feeds[i]);
}

/* ---- one case ---------------------------------------------------------------------------- */

typedef struct cand {
    int slot, var;
} cand;

static void run_case(void **state) {
    mcase *c = *state;
    parse_case(c);
    uint64_t seed = hash_str(c->name) ^ extra_seed;

    /* baseline: the unmutated graph runs */
    describe("%s: baseline", c->name);
    start();
    frt_graph *base = load_raw(c);
    TU_OK(frt_graph_finalize(base));
    {
        frt_model *m = frt_model_from_graph(base, c->name); /* owns base */
        frt_session *s = NULL;
        frt_tensor *fetches[MAX_IO] = {0};
        const char *in[MAX_IO], *out[MAX_IO];
        for (int i = 0; i < c->nin; i++) in[i] = c->in_names[i];
        for (int i = 0; i < c->nout; i++) out[i] = c->out_names[i];
        TU_OK(frt_session_new(NULL, m, &s));
        TU_OK(frt_session_run(s, in, c->feeds, c->nin, out, fetches, c->nout, NULL, 0));
        for (int k = 0; k < c->nout; k++) frt_tensor_unref(fetches[k]);
        frt_session_free(s);
        frt_model_free(m);
    }
    base = load_raw(c);
    TU_OK(frt_graph_finalize(base));

    /* slots: attrs (defaults included), inputs of every non-Placeholder node, feeds */
    int nslots = 0, cap = 64;
    slot *slots = calloc((size_t)cap, sizeof *slots);
    for (int i = 0; i < base->n_nodes; i++) {
        frt_node *n = frt_graph_node(base, i);
        for (int k = 0; k < n->attrs.n + (n->n_inputs > 0); k++) {
            if (nslots == cap) slots = realloc(slots, (size_t)(cap *= 2) * sizeof *slots);
            slot *sl = &slots[nslots];
            memset(sl, 0, sizeof *sl);
            snprintf(sl->node, sizeof sl->node, "%s", n->name);
            if (k < n->attrs.n) {
                const frt_attr_value *v = &n->attrs.vals[k];
                if (strcmp(n->attrs.keys[k], "_output_shapes") == 0) continue;
                sl->kind = SLOT_ATTR;
                snprintf(sl->attr, sizeof sl->attr, "%s", n->attrs.keys[k]);
                sl->akind = v->kind;
                sl->elem = v->kind == FRT_ATTR_LIST ? v->v.list.elem : FRT_ATTR_NONE;
                sl->nvariants = attr_variants(v);
            } else {
                sl->kind = SLOT_INPUT; /* which input: chosen when applied */
                sl->index = n->n_inputs;
                sl->nvariants = 5;
            }
            if (sl->nvariants > 0) nslots++;
        }
    }
    for (int i = 0; i < c->nin; i++) {
        if (nslots == cap) slots = realloc(slots, (size_t)(cap *= 2) * sizeof *slots);
        slots[nslots] = (slot){.kind = SLOT_FEED, .index = i, .nvariants = 6};
        nslots++;
    }
    if (nslots == cap) slots = realloc(slots, (size_t)(cap *= 2) * sizeof *slots);
    slots[nslots++] = (slot){.kind = SLOT_RETYPE, .nvariants = 4};
    frt_graph_free(base);

    /* candidates, in rounds: every slot gets one variant before any gets a second */
    int ncand = 0;
    for (int s = 0; s < nslots; s++) ncand += slots[s].nvariants;
    cand *cands = calloc((size_t)ncand + 1, sizeof *cands);
    {
        int k = 0, maxv = 0;
        for (int s = 0; s < nslots; s++) maxv = slots[s].nvariants > maxv ? slots[s].nvariants : maxv;
        uint64_t r = seed;
        int *perm = calloc((size_t)nslots + 1, sizeof *perm);
        int **vperm = calloc((size_t)nslots + 1, sizeof *vperm);
        for (int s = 0; s < nslots; s++) {
            perm[s] = s;
            vperm[s] = calloc((size_t)slots[s].nvariants, sizeof(int));
            for (int v = 0; v < slots[s].nvariants; v++) vperm[s][v] = v;
            for (int v = slots[s].nvariants - 1; v > 0; v--) {
                int w = (int)(next_u64(&r) % (uint64_t)(v + 1)), t = vperm[s][v];
                vperm[s][v] = vperm[s][w];
                vperm[s][w] = t;
            }
        }
        for (int s = nslots - 1; s > 0; s--) {
            int w = (int)(next_u64(&r) % (uint64_t)(s + 1)), t = perm[s];
            perm[s] = perm[w];
            perm[w] = t;
        }
        for (int round = 0; round < maxv; round++)
            for (int i = 0; i < nslots; i++)
                if (round < slots[perm[i]].nvariants)
                    cands[k++] = (cand){perm[i], vperm[perm[i]][round]};
        for (int s = 0; s < nslots; s++) free(vperm[s]);
        free(vperm);
        free(perm);
    }

    int done_graph = 0, done_feed = 0;
    for (int ci = 0; ci < ncand; ci++) {
        const slot *sl = &slots[cands[ci].slot];
        int var = cands[ci].var;
        bool is_feed = sl->kind == SLOT_FEED;
        if (is_feed ? done_feed >= MAX_FEED_MUTATIONS * scale
                    : done_graph >= MAX_GRAPH_MUTATIONS * scale)
            continue;
        if (is_feed) done_feed++;
        else done_graph++;
        uint64_t r = seed ^ (0x1000193ull * (uint64_t)(ci + 1));
        next_u64(&r);
        if (sl->kind == SLOT_FEED) {
            frt_tensor *feeds[MAX_IO];
            const char *what = "";
            for (int i = 0; i < c->nin; i++) feeds[i] = frt_tensor_ref(c->feeds[i]);
            frt_tensor_unref(feeds[sl->index]);
            feeds[sl->index] = mutate_feed(c->feeds[sl->index], var, &r, &what);
            bool unshape = next_u64(&r) % 3 != 0;
            describe("%s: feed %s %s %s %s%s", c->name, c->in_names[sl->index], what,
                     frt_dtype_name(feeds[sl->index]->dtype), FRT_SHAPE_STR(feeds[sl->index]),
                     unshape ? " (placeholder shape cleared)" : "");
            frt_graph *g = load_raw(c);
            if (unshape) clear_placeholder_shape(g, c->in_names[sl->index]);
            if (start()) finalize_and_run(g, c, feeds);
            else frt_graph_free(g);
            for (int i = 0; i < c->nin; i++) frt_tensor_unref(feeds[i]);
        } else {
            frt_graph *g = load_raw(c);
            if (sl->kind == SLOT_RETYPE) {
                frt_tensor *feeds[MAX_IO];
                frt_dtype from, to;
                retype(g, c, &r, feeds, &from, &to);
                describe("%s: every %s retyped to %s", c->name, frt_dtype_name(from),
                         frt_dtype_name(to));
                if (start()) finalize_and_run(g, c, feeds);
                else frt_graph_free(g);
                for (int i = 0; i < c->nin; i++) frt_tensor_unref(feeds[i]);
                continue;
            }
            if (sl->kind == SLOT_ATTR) {
                describe("%s: node %s attr %s", c->name, sl->node, sl->attr);
                apply_attr(g, sl, var, &r);
            } else {
                describe("%s: node %s input", c->name, sl->node);
                apply_input(g, sl, var, &r);
            }
            if (start()) finalize_and_run(g, c, c->feeds);
            else frt_graph_free(g);
        }
    }

    /* bytes: bit flips, overwritten runs, truncation, through frt_model_load */
    char tmpl[] = "/tmp/frt_mutXXXXXX.pb", tmpl_t[] = "/tmp/frt_mutXXXXXX.pbtxt";
    char *path = c->text ? tmpl_t : tmpl;
    int fd = mkstemps(path, c->text ? 6 : 3);
    assert_true(fd >= 0);
    unsigned char *buf = malloc(c->nbytes + 16);
    for (int b = 0; b < BYTE_MUTATIONS * scale; b++) {
        uint64_t r = seed ^ (0xB17E5ull * (uint64_t)(b + 1));
        next_u64(&r);
        memcpy(buf, c->bytes, c->nbytes);
        size_t len = c->nbytes;
        int kind = (int)(next_u64(&r) % 4);
        const char *what;
        if (kind == 0 || len < 4) {
            what = "bits flipped";
            int nf = (int)rand_range(&r, 1, 8);
            for (int i = 0; i < nf && len; i++) buf[next_u64(&r) % len] ^= (unsigned char)(1u << (next_u64(&r) % 8));
        } else if (kind == 1) {
            what = "truncated";
            len = (size_t)(next_u64(&r) % len);
        } else if (kind == 2) {
            what = "bytes overwritten";
            size_t at = (size_t)(next_u64(&r) % len), k = (size_t)rand_range(&r, 1, 6);
            for (size_t i = at; i < at + k && i < len; i++)
                buf[i] = (next_u64(&r) & 1) ? 0xFF : (unsigned char)next_u64(&r);
        } else {
            what = "varint made huge";
            /* a length/varint byte: set the continuation bits of a few consecutive bytes */
            size_t at = (size_t)(next_u64(&r) % len);
            for (size_t i = at; i < at + 5 && i < len; i++) buf[i] |= 0x80;
        }
        describe("%s: model bytes %s (len %zu of %zu)", c->name, what, len, c->nbytes);
        if (!start()) continue;
        if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, len, 0) != (ssize_t)len)
            fail_msg("cannot write %s", path);
        frt_model *m = NULL;
        frt_status *st = frt_model_load(path, &m);
        if (st) {
            n_err++;
            codes[(unsigned)frt_status_code(st) < 16 ? frt_status_code(st) : 15]++;
            if (!frt_status_message(st)[0] || m)
                fail_msg("%s: load failed without a message or left a model", cur_desc);
            if (verbose > 1) fprintf(stderr, "    -> load: %s\n", frt_status_message(st));
            frt_status_free(st);
        } else {
            run_model(m, c, c->feeds);
        }
    }
    close(fd);
    unlink(path);

    /* .npy feeds: the header (dict, magic, lengths) damaged or the file truncated */
    char tmpl_n[] = "/tmp/frt_mutXXXXXX.npy";
    fd = c->nin ? mkstemps(tmpl_n, 4) : -1;
    for (int b = 0; b < NPY_MUTATIONS * scale && c->nin; b++) {
        uint64_t r = seed ^ (0x9E11ull * (uint64_t)(b + 1));
        next_u64(&r);
        int k = (int)(next_u64(&r) % (uint64_t)c->nin);
        FILE *nf = fopen(c->in_paths[k], "rb");
        assert_non_null(nf);
        unsigned char nb[1 << 16];
        size_t len = fread(nb, 1, sizeof nb, nf);
        fclose(nf);
        size_t span = len < 128 ? len : 128; /* v1 headers are 64-byte aligned, ~128 B */
        const char *what;
        switch (next_u64(&r) % 4) {
        case 0: what = "header bits flipped";
            for (int i = 0, nf2 = (int)rand_range(&r, 1, 4); i < nf2; i++)
                nb[next_u64(&r) % span] ^= (unsigned char)(1u << (next_u64(&r) % 8));
            break;
        case 1: what = "truncated"; len = (size_t)(next_u64(&r) % len); break;
        case 2: { /* a digit of the shape (or of anything) made large */
            what = "header digit replaced";
            size_t at = (size_t)(next_u64(&r) % span);
            for (size_t i = 0; i < span; i++)
                if (nb[(at + i) % span] >= '0' && nb[(at + i) % span] <= '9') {
                    nb[(at + i) % span] = (unsigned char)"09-9"[next_u64(&r) % 4];
                    break;
                }
            break;
        }
        default: what = "header length changed";
            if (len > 9) nb[8] = (unsigned char)next_u64(&r), nb[9] = (unsigned char)next_u64(&r);
            break;
        }
        describe("%s: npy feed %s %s (len %zu)", c->name, c->in_names[k], what, len);
        if (!start()) continue;
        if (ftruncate(fd, 0) != 0 || pwrite(fd, nb, len, 0) != (ssize_t)len)
            fail_msg("cannot write %s", tmpl_n);
        frt_tensor *t = NULL;
        frt_status *st = frt_npy_read(tmpl_n, &t);
        if (st) {
            n_err++;
            codes[(unsigned)frt_status_code(st) < 16 ? frt_status_code(st) : 15]++;
            if (!frt_status_message(st)[0] || t)
                fail_msg("%s: read failed without a message or left a tensor", cur_desc);
            if (verbose > 1) fprintf(stderr, "    -> npy: %s\n", frt_status_message(st));
            frt_status_free(st);
            continue;
        }
        frt_tensor *feeds[MAX_IO];
        for (int i = 0; i < c->nin; i++) feeds[i] = i == k ? t : c->feeds[i];
        frt_graph *g = load_raw(c);
        clear_placeholder_shape(g, c->in_names[k]);
        finalize_and_run(g, c, feeds);
        frt_tensor_unref(t);
    }
    if (fd >= 0) {
        close(fd);
        unlink(tmpl_n);
    }
    alarm(0);
    free(buf);
    free(cands);
    free(slots);
    free_case(c);
}

/* Bounds the address space (outside ASan, which reserves terabytes of shadow) so that a
 * request for gigabytes fails quickly with RESOURCE_EXHAUSTED instead of paging. */
static void limit_memory(void) {
#if !defined(__SANITIZE_ADDRESS__)
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld kB", &kb) == 1) break;
    fclose(f);
    if (kb < 0) return;
    struct rlimit rl = {.rlim_cur = (rlim_t)kb * 1024 + ((rlim_t)3 << 30)};
    rl.rlim_max = RLIM_INFINITY;
    struct rlimit old;
    if (getrlimit(RLIMIT_AS, &old) == 0) rl.rlim_max = old.rlim_max;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max) rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_AS, &rl);
#endif
}

int main(void) {
    const char *v = getenv("FRT_MUT_VERBOSE");
    verbose = v ? atoi(v) : 0;
    if (getenv("FRT_MUT_SCALE")) scale = atoi(getenv("FRT_MUT_SCALE"));
    if (scale < 1) scale = 1;
    if (getenv("FRT_MUT_SEED")) extra_seed = strtoull(getenv("FRT_MUT_SEED"), NULL, 0);
    const char *only = getenv("FRT_MUT_ONLY"), *exact = getenv("FRT_MUT_CASE");
    signal(SIGALRM, on_alarm);
    limit_memory();
    char path[600], line[512];
    snprintf(path, sizeof path, "%s/ops/index.txt", FRT_TEST_DATA);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "missing %s\n", path);
        return 1;
    }
    int n = 0, cap = 512;
    mcase *cases = calloc((size_t)cap, sizeof *cases);
    struct CMUnitTest *tests = calloc((size_t)cap, sizeof *tests);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#' || (only && !strstr(line, only))) continue;
        if (exact && strcmp(line, exact) != 0) continue;
        if (n == cap) {
            cap *= 2;
            cases = realloc(cases, (size_t)cap * sizeof *cases);
            tests = realloc(tests, (size_t)cap * sizeof *tests);
        }
        memset(&cases[n], 0, sizeof cases[n]);
        snprintf(cases[n].name, sizeof cases[n].name, "%.127s", line);
        snprintf(cases[n].dir, sizeof cases[n].dir, "%s/ops/%s", FRT_TEST_DATA, line);
        tests[n] = (struct CMUnitTest){cases[n].name, run_case, NULL, NULL, &cases[n]};
        n++;
    }
    fclose(f);
    int failed = _cmocka_run_group_tests("mutations", tests, (size_t)n, NULL, NULL);
    fprintf(stderr, "mutations: %ld runs over %d cases: %ld ran, %ld refused (", n_runs, n,
            n_ok, n_err);
    for (int k = 0; k < 16; k++)
        if (codes[k]) fprintf(stderr, " %s %ld", frt_code_name((frt_code)k), codes[k]);
    fprintf(stderr, " ), %ld known bugs skipped\n", n_skipped);
    free(tests);
    free(cases);
    return failed ? 1 : 0;
}
