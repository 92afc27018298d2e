/* graph/metagraph.h: what a MetaGraphDef or SavedModel adds around its graph — signatures,
 * how to restore variables (the saver's restore op and filename tensor), which ops
 * initialise the session, and asset files to feed. Built by io/ (meta_graph.c,
 * saved_model.c), used by the session. Frozen graphs have an empty one.
 * Thread-safety: immutable once built. */
#pragma once
#include "graph/graph.h"

typedef struct frt_tensor_info {
    char *key;            /* signature key ("x", "output_0") */
    char *tensor;         /* tensor name in the graph ("serving_default_x:0") */
    frt_dtype dtype;      /* base dtype (ref types collapsed) */
    int ndim;             /* -1: unknown rank */
    int64_t dims[FRT_MAX_DIMS];
} frt_tensor_info;

typedef struct frt_signature {
    char *name;           /* "serving_default" */
    char *method;         /* "tensorflow/serving/predict" */
    int n_inputs, n_outputs;
    frt_tensor_info *inputs, *outputs;   /* sorted by key */
} frt_signature;

typedef struct frt_asset {
    char *tensor;         /* tensor to feed with the asset's full path during init */
    char *path;           /* full path of the file (export_dir/assets/<filename>) */
} frt_asset;

/* A TF2 SavedModel variable bound through the object graph (io/object_graph.h): the
 * top-level VarHandleOp a signature function captures, and the checkpoint key holding its
 * value. Needed because the saver's restore function may fill other VarHandleOps (other
 * shared_names) than the ones the signatures read, as tf.saved_model.save of Keras 3
 * models does; the session assigns these after restoring (runtime/var_binding.h). */
typedef struct frt_var_binding {
    char *node;            /* VarHandleOp node name in g */
    char *checkpoint_key;  /* "<object path>/.ATTRIBUTES/VARIABLE_VALUE" */
} frt_var_binding;

typedef struct frt_metagraph {
    frt_graph *g;                 /* finalized, functions inlined; owned */
    char **tags;
    int n_tags;
    int n_signatures;
    frt_signature *signatures;    /* sorted by name */
    /* restore: run restore_op with filename_tensor fed the checkpoint prefix (SaverDef) */
    char *saver_filename_tensor;  /* NULL when the graph has no saver */
    char *saver_restore_op;
    char *saver_save_tensor;
    int saver_version;            /* SaverDef.version: 2 = V2; 0/1 = V1 (unsupported) */
    char *checkpoint_prefix;      /* what to restore when a session starts; NULL: nothing */
    char **init_ops;              /* run (as targets) after restoring: main/legacy init op */
    int n_init_ops;
    frt_asset *assets;            /* fed while the init ops run */
    int n_assets;
    frt_var_binding *var_bindings;  /* TF2 object-graph bindings (sorted by node); may be empty */
    int n_var_bindings;
} frt_metagraph;

frt_metagraph *frt_metagraph_new(frt_graph *g);   /* takes ownership of g; NULL (g not
                                                     taken) when out of memory */
void frt_metagraph_free(frt_metagraph *mg);       /* NULL-safe */
const frt_signature *frt_metagraph_find_signature(const frt_metagraph *mg, const char *name);
