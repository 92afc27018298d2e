/* include/flowrt/flowrt.h: the public C API of flowrt, a dataflow runtime for TensorFlow models.
 *
 * Conventions (see docs/style.md):
 * - Every fallible function returns frt_status*: NULL means OK, otherwise the caller owns the
 *   status and frees it with frt_status_free. Codes are TensorFlow's.
 * - Arguments are borrowed. Results returned through out-pointers are owned by the caller
 *   (free with the matching _free/_unref); on error out-pointers are set to NULL.
 * - Handles are opaque; no struct layout is public.
 * - Thread-safety is stated per type below. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define FRT_MUST_USE __attribute__((warn_unused_result))
#define FRT_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FRT_MUST_USE
#define FRT_PRINTF(a, b)
#endif

/* ---- status ---------------------------------------------------------------------------- */

typedef enum frt_code {
    FRT_OK = 0,
    FRT_CANCELLED = 1,
    FRT_UNKNOWN = 2,
    FRT_INVALID_ARGUMENT = 3,
    FRT_NOT_FOUND = 5,
    FRT_ALREADY_EXISTS = 6,
    FRT_RESOURCE_EXHAUSTED = 8,
    FRT_FAILED_PRECONDITION = 9,
    FRT_OUT_OF_RANGE = 11,
    FRT_UNIMPLEMENTED = 12,
    FRT_INTERNAL = 13,
    FRT_DATA_LOSS = 15,
} frt_code;

typedef struct frt_status frt_status;

/* printf-style; never returns NULL (on OOM a static out-of-memory status is returned). */
FRT_MUST_USE frt_status *frt_status_new(frt_code code, const char *fmt, ...) FRT_PRINTF(2, 3);
/* Appends formatted text to st's message and returns st (NULL stays NULL). */
frt_status *frt_status_annotate(frt_status *st, const char *fmt, ...) FRT_PRINTF(2, 3);
frt_code frt_status_code(const frt_status *st);          /* FRT_OK for NULL */
const char *frt_status_message(const frt_status *st);    /* borrowed; "" for NULL */
const char *frt_code_name(frt_code code);                /* "INVALID_ARGUMENT", ... */
void frt_status_free(frt_status *st);                    /* NULL-safe */

#define FRT_TRY(expr)                                                                   \
    do {                                                                                \
        frt_status *frt_try_ = (expr);                                                  \
        if (frt_try_) return frt_try_;                                                  \
    } while (0)

/* ---- data types (values are TensorFlow's DataType enum) --------------------------------- */

typedef enum frt_dtype {
    FRT_DTYPE_INVALID = 0,
    FRT_DTYPE_FLOAT = 1,
    FRT_DTYPE_DOUBLE = 2,
    FRT_DTYPE_INT32 = 3,
    FRT_DTYPE_UINT8 = 4,
    FRT_DTYPE_INT16 = 5,
    FRT_DTYPE_INT8 = 6,
    FRT_DTYPE_STRING = 7,
    FRT_DTYPE_COMPLEX64 = 8,
    FRT_DTYPE_INT64 = 9,
    FRT_DTYPE_BOOL = 10,
    FRT_DTYPE_QINT8 = 11,
    FRT_DTYPE_QUINT8 = 12,
    FRT_DTYPE_QINT32 = 13,
    FRT_DTYPE_BFLOAT16 = 14,
    FRT_DTYPE_QINT16 = 15,
    FRT_DTYPE_QUINT16 = 16,
    FRT_DTYPE_UINT16 = 17,
    FRT_DTYPE_COMPLEX128 = 18,
    FRT_DTYPE_HALF = 19,
    FRT_DTYPE_RESOURCE = 20,
    FRT_DTYPE_VARIANT = 21,
    FRT_DTYPE_UINT32 = 22,
    FRT_DTYPE_UINT64 = 23,
} frt_dtype;

/* "float32", "int64", ... (NumPy spelling); "invalid" for unknown values. */
const char *frt_dtype_name(frt_dtype dt);
/* Bytes per element; 0 for variable-size or opaque types (string, resource, variant). */
size_t frt_dtype_size(frt_dtype dt);

/* ---- tensors ----------------------------------------------------------------------------
 * A tensor is a dtype, a shape (rank <= FRT_MAX_DIMS) and a row-major buffer. Reference
 * counted: _new returns one reference; _ref/_unref are thread-safe. Contents must not be
 * modified once the tensor was handed to a session (feeds) or returned by one (fetches). */

#define FRT_MAX_DIMS 8
typedef struct frt_tensor frt_tensor;

/* Zero-filled tensor (empty strings for FRT_DTYPE_STRING). INVALID_ARGUMENT for bad dims. */
FRT_MUST_USE frt_status *frt_tensor_new(frt_dtype dt, const int64_t *dims, int ndim,
                                        frt_tensor **out);
/* Copies nbytes (must equal num_elements * dtype size) from data. Not for strings. */
FRT_MUST_USE frt_status *frt_tensor_new_copy(frt_dtype dt, const int64_t *dims, int ndim,
                                             const void *data, size_t nbytes, frt_tensor **out);
frt_tensor *frt_tensor_ref(frt_tensor *t);   /* returns t */
void frt_tensor_unref(frt_tensor *t);        /* NULL-safe */

frt_dtype frt_tensor_dtype(const frt_tensor *t);
int frt_tensor_ndim(const frt_tensor *t);
int64_t frt_tensor_dim(const frt_tensor *t, int i);
int64_t frt_tensor_num_elements(const frt_tensor *t);
size_t frt_tensor_nbytes(const frt_tensor *t);       /* 0 for strings */
void *frt_tensor_data(const frt_tensor *t);          /* borrowed; NULL when empty */
/* Whether t is a splat: a constant stored compressed, as its TensorProto was, with fewer
 * values than elements, every later element repeating the last value (TensorFlow's fill
 * rule). A Const whose expansion would take more than FRT_SPLAT_MAX_EXPANDED bytes stays so
 * in a loaded model and is expanded only when a session runs it. A splat's dtype, shape,
 * element count and nbytes are the declared ones, but frt_tensor_data holds only the
 * stored values (frt_tensor_string(t, i) is right for every i). Only
 * frt_model_node_const_value returns splats; sessions never do. */
#define FRT_SPLAT_MAX_EXPANDED 1024
int frt_tensor_is_splat(const frt_tensor *t);
/* Element i of a string tensor; *len receives its length (the bytes may hold NULs). */
const char *frt_tensor_string(const frt_tensor *t, int64_t i, size_t *len);
/* Sets element i of a string tensor to a copy of s[0..len). */
FRT_MUST_USE frt_status *frt_tensor_set_string(frt_tensor *t, int64_t i, const char *s,
                                               size_t len);

/* ---- models ------------------------------------------------------------------------------
 * A loaded model: its graph. Immutable after load, so thread-safe to share. */

typedef struct frt_model frt_model;

/* Loads a frozen GraphDef: binary (.pb) or text (.pbtxt; also detected from content).
 * Errors: NOT_FOUND (no file), DATA_LOSS (truncated/corrupt), INVALID_ARGUMENT (bad graph:
 * every problem is listed, each naming its node and op). */
FRT_MUST_USE frt_status *frt_model_load(const char *path, frt_model **out);
void frt_model_free(frt_model *m);                   /* NULL-safe */

int frt_model_num_nodes(const frt_model *m);
/* Index of the node named by name ("node", "node:k" or "^node"), or -1. */
int frt_model_find_node(const frt_model *m, const char *name);
/* Node i (0 <= i < num_nodes); strings are borrowed from the model. */
const char *frt_model_node_name(const frt_model *m, int i);
const char *frt_model_node_op(const frt_model *m, int i);
const char *frt_model_node_device(const frt_model *m, int i);   /* "" when unset */
int frt_model_node_num_inputs(const frt_model *m, int i);       /* data and control */
const char *frt_model_node_input(const frt_model *m, int i, int j); /* "n", "n:k", "^n" */
int frt_model_node_num_outputs(const frt_model *m, int i);      /* -1 when unknown */
/* Placeholder dtype and static shape from the node's attrs. *ndim = -1 for unknown rank;
 * unknown dims are -1. dims must hold FRT_MAX_DIMS. NOT_FOUND if the node has no such attr. */
FRT_MUST_USE frt_status *frt_model_node_dtype_attr(const frt_model *m, int i, const char *attr,
                                                   frt_dtype *out);
FRT_MUST_USE frt_status *frt_model_node_shape_attr(const frt_model *m, int i, const char *attr,
                                                   int *ndim, int64_t *dims);
/* The graph's likely outputs: nodes with outputs that no node consumes (data or control),
 * other than Const and Placeholder. out must hold num_nodes entries (node indices, in graph
 * order); returns the count. */
int frt_model_sink_nodes(const frt_model *m, int *out);
/* Const node's value (borrowed, valid while m lives); NULL if not a Const. A large Const
 * stored compressed comes back as a splat (frt_tensor_is_splat), not expanded. */
const frt_tensor *frt_model_node_const_value(const frt_model *m, int i);
/* Whether a CPU kernel exists for this op (any dtype). */
int frt_op_has_kernel(const char *op);

/* ---- sessions ------------------------------------------------------------------------------
 * A session prepares a model for execution once and runs it many times. frt_session_run is
 * thread-safe: several threads may run one session at once. */

typedef struct frt_session_options frt_session_options;
frt_session_options *frt_session_options_new(void);          /* NULL on OOM */
void frt_session_options_free(frt_session_options *o);        /* NULL-safe */
/* Threads that run ready nodes in parallel; 0 = number of cores (the default). n must be
 * from 0 to frt_session_max_threads(): frt_session_new refuses other values (negative ones
 * included) with INVALID_ARGUMENT naming the value and the cap. */
void frt_session_options_set_inter_op_threads(frt_session_options *o, int n);
/* Threads one kernel may use (BLAS, parallel loops); 0 = number of cores (the default). The
 * same range as inter-op threads. */
void frt_session_options_set_intra_op_threads(frt_session_options *o, int n);
/* The most threads of either kind a session accepts: 4 x the number of online cores. */
int frt_session_max_threads(void);
/* Graph optimizations per step (constant folding, conv/matmul + bias + activation fusion,
 * as TF's Grappler does); on by default. Fed and fetched tensors are never optimized away. */
void frt_session_options_set_optimize(frt_session_options *o, int on);
/* Cap on the bytes that tensors allocated while running may hold at once (0 = none, the
 * default). A step that would exceed it fails with RESOURCE_EXHAUSTED naming the node, the
 * shape and the bytes; the session stays usable. */
void frt_session_options_set_memory_limit(frt_session_options *o, size_t bytes);
/* Variables restored from checkpoints (by the graph's saver or a SavedModel's object graph)
 * alias a read-only mmap of the data files instead of owning a copy (off by default; see
 * FRT_CHECKPOINT_ZERO_COPY). HAZARD: a data file truncated in place while the session lives
 * (a training job overwriting the checkpoint) makes the next run touching those variables
 * raise SIGBUS and kill the process. Use only for checkpoints nothing modifies in place. */
void frt_session_options_set_checkpoint_zero_copy(frt_session_options *o, int on);

/* ---- devices (docs/placement.md, README "GPUs") ----
 * Nodes run on the CPU or a GPU, placed as TensorFlow places them: a node's device string is
 * honoured, colocated nodes share a device, unpinned nodes go to the first GPU with a
 * kernel for them. */
/* Soft placement (on by default, as in TF): a node pinned to a device that is absent or has
 * no kernel for it runs where it can. Off: such nodes make the run fail, all listed at once
 * (node, op, device asked, devices that have a kernel). */
void frt_session_options_set_soft_placement(frt_session_options *o, int on);
/* Print every node's device to stderr when a run's plan is built, in TF1's format
 * ("name: (Op): /job:localhost/replica:0/task:0/device:GPU:0"), and the copies it induces. */
void frt_session_options_set_log_device_placement(frt_session_options *o, int on);
/* The GPUs the session may use, as TF's visible_device_list: "0,1" (indices among the
 * process's GPUs, which CUDA_VISIBLE_DEVICES already restricts); NULL or "" = all, the
 * default. frt_session_new refuses a list that does not parse or names a missing GPU.
 * Returns -1 (nothing set) for a list longer than 127 characters. */
int frt_session_options_set_visible_gpus(frt_session_options *o, const char *list);
/* GPU memory, with TF's GPUOptions meaning. One allocator per GPU per process serves every
 * session; the options of the first session to use a GPU make it (TF does the same).
 *  - fraction F in (0, 1]: the limit is F x the GPU's memory; 0 = TF's default (the memory
 *    free at start minus a reserve). frt_session_new refuses other values.
 *  - allow_growth: take memory in growing regions up to the limit instead of the whole
 *    limit at the first allocation (TF_FORCE_GPU_ALLOW_GROWTH=true|false overrides it).
 *  - memory limit in bytes (TF's virtual device memory_limit): caps whatever else is set;
 *    0 = none. */
void frt_session_options_set_gpu_memory_fraction(frt_session_options *o, double fraction);
void frt_session_options_set_allow_growth(frt_session_options *o, int on);
void frt_session_options_set_gpu_memory_limit(frt_session_options *o, size_t bytes);
/* This session's own budget on each GPU, inside the process's cap (0 = none): several
 * models in one process each get theirs. An allocation beyond it fails the step with
 * RESOURCE_EXHAUSTED; other sessions are unaffected. */
void frt_session_options_set_gpu_session_limit(frt_session_options *o, size_t bytes);
/* Gives back to the GPUs the memory that allow_growth took and nothing uses now (sessions
 * closing do this too); returns the bytes given back. TF never gives GPU memory back. */
size_t frt_gpu_release_free_memory(void);

typedef struct frt_session frt_session;
/* opts may be NULL (defaults). The session keeps what it needs of m; m may be freed after.
 * INVALID_ARGUMENT for thread counts outside [0, frt_session_max_threads()]. */
FRT_MUST_USE frt_status *frt_session_new(const frt_session_options *opts, const frt_model *m,
                                         frt_session **out);
void frt_session_free(frt_session *s);                        /* NULL-safe */

/* Runs the graph. feed_names/fetch_names are tensor names ("node" or "node:k"); any tensor
 * may be fed, which cuts the graph there. targets are node names run for their effects.
 * feeds: borrowed. On success fetches[i] are new references owned by the caller; on error
 * all are NULL. Errors name the node: missing feed, wrong feed dtype/shape, unknown name,
 * unsupported ops (all listed at once, before any kernel runs), kernel failures. */
FRT_MUST_USE frt_status *frt_session_run(frt_session *s,
                                         const char *const *feed_names,
                                         frt_tensor *const *feeds, int nfeeds,
                                         const char *const *fetch_names, frt_tensor **fetches,
                                         int nfetches, const char *const *targets, int ntargets);

/* Highest bytes held at once by tensors allocated while running (all runs so far). */
size_t frt_session_peak_bytes(const frt_session *s);
/* The session's devices and memory as JSON (README "Run statistics"): per device its name,
 * whether it is simulated, the allocator's mode, limit_bytes, in_use_bytes, peak_bytes,
 * regions, largest_free_bytes, num_allocs, and the nodes the last run placed there; the
 * last run's copies (count and bytes). *out is malloc'd (free it). */
FRT_MUST_USE frt_status *frt_session_stats_json(frt_session *s, char **out);
/* Where each node of the model would run on this session's devices, and why (pinned,
 * colocated with X, no GPU kernel for op/dtype, host-memory input, default...), with the
 * nodes per device and the copies this induces; the whole graph, unoptimized. *out is
 * malloc'd text (free it). */
FRT_MUST_USE frt_status *frt_session_placement_report(frt_session *s, char **out);

/* ---- checkpoints (TensorFlow's V2 tensor bundles: PREFIX.index + PREFIX.data-*) ----------
 * Tensors read from a checkpoint own their memory (read with pread, checksum verified): the
 * files may be truncated, rewritten or deleted afterwards without harm to them.
 * Thread-safety: a checkpoint handle may be read from several threads at once. */

typedef struct frt_checkpoint frt_checkpoint;
/* path: a checkpoint prefix ("dir/model.ckpt-1000"), or a directory holding a `checkpoint`
 * state file (its latest checkpoint is opened). Errors: NOT_FOUND (no index), DATA_LOSS
 * (checksum mismatch, truncated), UNIMPLEMENTED (V1 checkpoints), each naming the file. */
FRT_MUST_USE frt_status *frt_checkpoint_open(const char *path, frt_checkpoint **out);
/* Flags for frt_checkpoint_open_flags. */
enum {
    /* Zero-copy: tensors alias a read-only mmap of the data files (where aligned) instead of
     * owning a copy; faster, and the pages are shared with the page cache. HAZARD: if a data
     * file is truncated in place while such a tensor lives (a training job overwriting the
     * checkpoint), touching the tensor raises SIGBUS and kills the process; bytes rewritten
     * in place show through unchecked. Use only for files nothing modifies in place. */
    FRT_CHECKPOINT_ZERO_COPY = 1,
};
/* frt_checkpoint_open with flags (0 = frt_checkpoint_open); the same errors. */
FRT_MUST_USE frt_status *frt_checkpoint_open_flags(const char *path, unsigned flags,
                                                   frt_checkpoint **out);
void frt_checkpoint_close(frt_checkpoint *c);                      /* NULL-safe */
const char *frt_checkpoint_prefix(const frt_checkpoint *c);        /* borrowed */
/* Tensors sorted by name (the bundle header excluded). */
int frt_checkpoint_num_tensors(const frt_checkpoint *c);
const char *frt_checkpoint_tensor_name(const frt_checkpoint *c, int i);
frt_dtype frt_checkpoint_tensor_dtype(const frt_checkpoint *c, int i);
/* Full shape (dims must hold FRT_MAX_DIMS); returns the rank. */
int frt_checkpoint_tensor_shape(const frt_checkpoint *c, int i, int64_t *dims);
/* Reads a whole tensor (partitioned variables reassembled), checksums verified. */
FRT_MUST_USE frt_status *frt_checkpoint_read(const frt_checkpoint *c, const char *name,
                                             frt_tensor **out);

/* ---- MetaGraphs, SavedModels and signatures ------------------------------------------------
 * frt_model_load also accepts a SavedModel directory (tags "serve") and a `.meta` file (no
 * checkpoint). A session created from a model with variables restores them (the graph's own
 * saver restore op, as TensorFlow does) and runs its init op before returning. */

/* tags: the MetaGraph's tag set (NULL/0 = {"serve"}). NOT_FOUND names the available ones. */
FRT_MUST_USE frt_status *frt_model_load_saved_model(const char *dir, const char *const *tags,
                                                    int ntags, frt_model **out);
/* checkpoint: a prefix or a directory with a `checkpoint` file; NULL = restore nothing. */
FRT_MUST_USE frt_status *frt_model_load_meta(const char *meta_path, const char *checkpoint,
                                             frt_model **out);

int frt_model_num_signatures(const frt_model *m);
const char *frt_model_signature_name(const frt_model *m, int s);
const char *frt_model_signature_method(const frt_model *m, int s);
int frt_model_find_signature(const frt_model *m, const char *name);  /* NULL = serving_default; -1 when absent */
/* Inputs (is_output = 0) or outputs (1) of signature s, sorted by key. */
int frt_model_signature_num_args(const frt_model *m, int s, int is_output);
const char *frt_model_signature_arg_key(const frt_model *m, int s, int is_output, int i);
const char *frt_model_signature_arg_tensor(const frt_model *m, int s, int is_output, int i);
frt_dtype frt_model_signature_arg_dtype(const frt_model *m, int s, int is_output, int i);
/* Rank (-1 unknown) and dims (-1 unknown; dims holds FRT_MAX_DIMS). */
int frt_model_signature_arg_shape(const frt_model *m, int s, int is_output, int i,
                                  int64_t *dims);
/* The MetaGraph's tags (SavedModels), and the checkpoint a session restores (or NULL). */
int frt_model_num_tags(const frt_model *m);
const char *frt_model_tag(const frt_model *m, int i);
const char *frt_model_checkpoint_prefix(const frt_model *m);

/* Runs signature `signature` (NULL = "serving_default"): inputs and outputs by key (tensor
 * names are accepted too). noutputs = 0 fetches every output of the signature in key order
 * into outputs (which must hold frt_model_signature_num_args(m, s, 1) entries). */
FRT_MUST_USE frt_status *frt_session_run_signature(frt_session *s, const char *signature,
                                                   const char *const *input_keys,
                                                   frt_tensor *const *inputs, int ninputs,
                                                   const char *const *output_keys,
                                                   frt_tensor **outputs, int noutputs);
/* Restores every variable from a checkpoint prefix by running the graph's saver. */
FRT_MUST_USE frt_status *frt_session_restore(frt_session *s, const char *checkpoint);
/* Writes a frozen GraphDef to path: variables become Consts holding the session's current
 * values, the graph is pruned to `outputs` (tensor names; NULL/0 = the serving_default
 * signature's outputs, or the first signature's when there is no serving_default; a model
 * without signatures is INVALID_ARGUMENT), training-only nodes go, and device placements
 * are cleared (as TF's freeze_graph does by default). */
FRT_MUST_USE frt_status *frt_session_freeze(frt_session *s, const char *const *outputs,
                                            int noutputs, const char *path);

/* ---- .npy files -------------------------------------------------------------------------- */

/* Reads a NumPy .npy file (format 1.0/2.0/3.0, little-endian, C order). Only a regular file
 * is read: a named pipe, device or directory is FAILED_PRECONDITION saying what it is. */
FRT_MUST_USE frt_status *frt_npy_read(const char *path, frt_tensor **out);
/* Writes t as .npy (format 1.0). Not for strings. Atomic: the bytes go to a temporary file
 * next to path, synced, then renamed over it; on any error (naming path and the reason:
 * RESOURCE_EXHAUSTED for a full disk, as in TensorFlow, else FAILED_PRECONDITION) the
 * temporary is removed and an existing file at path is left untouched. */
FRT_MUST_USE frt_status *frt_npy_write(const char *path, const frt_tensor *t);

#ifdef __cplusplus
}
#endif
