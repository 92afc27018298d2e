/* io/meta_graph.c: MetaGraphDef → frt_metagraph (graph, signatures, saver, init ops, assets).
 * Owns: reading `.meta` files, decoding signatures/collections/asset defs, choosing the init
 * op as TF's loader does (tensorflow/cc/saved_model/loader_util.cc GetInitOp), checking that
 * every name they mention exists. Does not own: NodeDef conversion (graphdef.c), function
 * inlining (graph/inline.c), running restore/init (the session), picking a MetaGraph out of a
 * SavedModel (saved_model.c). Thread-safety: reentrant. */
#include "io/meta_graph.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "graph/function.h"
#include "io/file.h"
#include "io/graphdef.h"
#include "io/pb_alloc.h"
#include "io/proto_depth.h"
#include "io/text_format.h"

#define INIT_OP_SIGNATURE "__saved_model_init_op"
#define MAIN_OP_KEY "saved_model_main_op"
#define LEGACY_INIT_OP_KEY "legacy_init_op"
#define ASSETS_KEY "saved_model_assets"
#define ASSET_TYPE_URL_SUFFIX "tensorflow.AssetFileDef"

/* ---- small helpers -------------------------------------------------------------------- */

/* Node name of an op/tensor reference: "^x" and "x:3" both give "x". */
static char *node_of(const char *ref) {
    if (ref[0] == '^') ref++;
    size_t n = strlen(ref);
    const char *colon = strrchr(ref, ':');
    if (colon && colon[1]) {
        const char *p = colon + 1;
        while (*p && isdigit((unsigned char)*p)) p++;
        if (!*p) n = (size_t)(colon - ref);
    }
    return frt_strndup(ref, n); /* NULL when out of memory */
}

/* Appends s (taken) unless already there; false (s freed) when s is NULL or out of memory. */
static bool push_str(char ***arr, int *n, char *s) {
    if (!s) return false;
    for (int i = 0; i < *n; i++)
        if (strcmp((*arr)[i], s) == 0) {
            free(s);
            return true;
        }
    char **a = frt_realloc(*arr, (size_t)(*n + 1) * sizeof *a);
    if (!a) {
        free(s);
        return false;
    }
    *arr = a;
    (*arr)[(*n)++] = s;
    return true;
}

static const Tensorflow__CollectionDef *find_collection(const Tensorflow__MetaGraphDef *mgd,
                                                        const char *key) {
    for (size_t i = 0; i < mgd->n_collection_def; i++) {
        const Tensorflow__MetaGraphDef__CollectionDefEntry *e = mgd->collection_def[i];
        if (e->key && strcmp(e->key, key) == 0) return e->value;
    }
    return NULL;
}

/* The node must exist in g (init ops, restore op). */
static frt_status *check_node(const frt_graph *g, const char *node, const char *what) {
    if (frt_graph_find(g, node) >= 0) return NULL;
    return frt_status_new(FRT_INVALID_ARGUMENT, "%s names node '%s', which is not in the graph",
                          what, node);
}

static frt_status *check_tensor(const frt_graph *g, const char *tensor, const char *what) {
    frt_edge e;
    frt_status *st = frt_graph_resolve_tensor(g, tensor, &e);
    if (st) return frt_status_annotate(st, " (%s)", what);
    return NULL;
}

/* ---- signatures ------------------------------------------------------------------------- */

static int cmp_info(const void *a, const void *b) {
    return strcmp(((const frt_tensor_info *)a)->key, ((const frt_tensor_info *)b)->key);
}
static int cmp_sig(const void *a, const void *b) {
    return strcmp(((const frt_signature *)a)->name, ((const frt_signature *)b)->name);
}

static bool info_is_dense(const Tensorflow__TensorInfo *ti) {
    return ti && ti->encoding_case == TENSORFLOW__TENSOR_INFO__ENCODING_NAME && ti->name &&
           ti->name[0];
}

static frt_status *convert_info(const frt_graph *g, const char *sig, const char *dir,
                                const char *key, const Tensorflow__TensorInfo *ti,
                                frt_tensor_info *out) {
    key = key ? key : "";
    if (!info_is_dense(ti))
        return frt_status_new(FRT_INVALID_ARGUMENT, "signature '%s' %s '%s' has no tensor name",
                              sig, dir, key);
    char what[256];
    snprintf(what, sizeof what, "signature '%s' %s '%s'", sig, dir, key);
    FRT_TRY(check_tensor(g, ti->name, what));
    int dt = (int)ti->dtype;
    if (dt != 0 && !frt_dtype_is_valid(dt))
        return frt_status_new(FRT_INVALID_ARGUMENT, "%s has an unknown dtype %d", what, dt);
    const Tensorflow__TensorShapeProto *sh = ti->tensor_shape;
    int ndim = -1;
    int64_t dims[FRT_MAX_DIMS];
    if (sh && !sh->unknown_rank) {
        if (sh->n_dim > FRT_MAX_DIMS)
            return frt_status_new(FRT_INVALID_ARGUMENT, "%s has rank %zu, more than %d", what,
                                  sh->n_dim, FRT_MAX_DIMS);
        ndim = (int)sh->n_dim;
        for (int i = 0; i < ndim; i++) {
            int64_t d = sh->dim[i]->size;
            if (d < -1)
                return frt_status_new(FRT_INVALID_ARGUMENT, "%s has a bad dimension %lld",
                                      what, (long long)d);
            dims[i] = d;
        }
    }
    out->key = frt_strdup(key);
    out->tensor = frt_strdup(ti->name);
    if (!out->key || !out->tensor) {
        free(out->key);
        free(out->tensor);
        out->key = out->tensor = NULL;
        return frt_status_oom("reading %s", what);
    }
    out->dtype = frt_dtype_base(dt);
    out->ndim = ndim;
    for (int i = 0; i < ndim; i++) out->dims[i] = dims[i];
    return NULL;
}

/* The inputs and outputs maps: entry i is (key(i), value(i)). */
#define ENTRY_KEY(sd, field, i) ((sd)->field[i]->key)
#define ENTRY_VAL(sd, field, i) ((sd)->field[i]->value)
static frt_status *convert_infos(const frt_graph *g, const char *sig,
                                 const Tensorflow__SignatureDef *sd, bool inputs,
                                 frt_tensor_info **out, int *nout) {
    const char *dir = inputs ? "input" : "output";
    size_t n = inputs ? sd->n_inputs : sd->n_outputs;
    *out = frt_calloc(n + 1, sizeof **out);
    *nout = 0;
    if (!*out) return frt_status_oom("reading the %ss of signature '%s'", dir, sig);
    for (size_t i = 0; i < n; i++) {
        const char *key = inputs ? ENTRY_KEY(sd, inputs, i) : ENTRY_KEY(sd, outputs, i);
        const Tensorflow__TensorInfo *ti =
            inputs ? ENTRY_VAL(sd, inputs, i) : ENTRY_VAL(sd, outputs, i);
        FRT_TRY(convert_info(g, sig, dir, key, ti, &(*out)[i]));
        (*nout)++;
        for (size_t k = 0; k < i; k++)
            if (strcmp((*out)[k].key, (*out)[i].key) == 0)
                return frt_status_new(FRT_INVALID_ARGUMENT, "signature '%s' has %s '%s' twice",
                                      sig, dir, (*out)[i].key);
    }
    qsort(*out, (size_t)*nout, sizeof **out, cmp_info);
    return NULL;
}

static bool sig_is_dense(const Tensorflow__SignatureDef *sd) {
    for (size_t i = 0; i < sd->n_inputs; i++)
        if (sd->inputs[i]->value && !info_is_dense(sd->inputs[i]->value) &&
            sd->inputs[i]->value->encoding_case != TENSORFLOW__TENSOR_INFO__ENCODING__NOT_SET)
            return false;
    for (size_t i = 0; i < sd->n_outputs; i++)
        if (sd->outputs[i]->value && !info_is_dense(sd->outputs[i]->value) &&
            sd->outputs[i]->value->encoding_case != TENSORFLOW__TENSOR_INFO__ENCODING__NOT_SET)
            return false;
    return true;
}

static frt_status *add_signatures(frt_metagraph *mg, const Tensorflow__MetaGraphDef *mgd,
                                  char ***sig_init, int *n_sig_init) {
    mg->signatures = frt_calloc(mgd->n_signature_def + 1, sizeof *mg->signatures);
    if (!mg->signatures) return frt_status_oom("reading %zu signatures", mgd->n_signature_def);
    for (size_t i = 0; i < mgd->n_signature_def; i++) {
        const Tensorflow__MetaGraphDef__SignatureDefEntry *e = mgd->signature_def[i];
        const char *name = e->key ? e->key : "";
        const Tensorflow__SignatureDef *sd = e->value;
        if (!sd) continue;
        if (strcmp(name, INIT_OP_SIGNATURE) == 0) {
            /* Its outputs name the init op ("NoOp"); TF runs it after restoring. */
            for (size_t k = 0; k < sd->n_outputs; k++) {
                const Tensorflow__TensorInfo *ti = sd->outputs[k]->value;
                if (!info_is_dense(ti))
                    return frt_status_new(FRT_INVALID_ARGUMENT,
                                          "signature '%s' output has no op name", name);
                if (!push_str(sig_init, n_sig_init, node_of(ti->name)))
                    return frt_status_oom("reading signature '%s'", name);
            }
            continue;
        }
        if (!sig_is_dense(sd)) continue; /* sparse/composite tensors: see meta_graph.h */
        for (int k = 0; k < mg->n_signatures; k++)
            if (strcmp(mg->signatures[k].name, name) == 0)
                return frt_status_new(FRT_INVALID_ARGUMENT, "signature '%s' appears twice",
                                      name);
        frt_signature *s = &mg->signatures[mg->n_signatures];
        memset(s, 0, sizeof *s);
        s->name = frt_strdup(name);
        s->method = frt_strdup(sd->method_name ? sd->method_name : "");
        mg->n_signatures++;
        if (!s->name || !s->method) return frt_status_oom("reading signature '%s'", name);
        FRT_TRY(convert_infos(mg->g, name, sd, true, &s->inputs, &s->n_inputs));
        FRT_TRY(convert_infos(mg->g, name, sd, false, &s->outputs, &s->n_outputs));
    }
    qsort(mg->signatures, (size_t)mg->n_signatures, sizeof *mg->signatures, cmp_sig);
    return NULL;
}

/* ---- saver, init ops, assets, tags ---------------------------------------------------- */

static frt_status *add_saver(frt_metagraph *mg, const Tensorflow__MetaGraphDef *mgd) {
    const Tensorflow__SaverDef *sv = mgd->saver_def;
    if (!sv || !sv->restore_op_name || !sv->restore_op_name[0]) return NULL;
    if (!sv->filename_tensor_name || !sv->filename_tensor_name[0])
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "saver_def has restore op '%s' but no filename_tensor_name",
                              sv->restore_op_name);
    char *restore = node_of(sv->restore_op_name);
    if (!restore) return frt_status_oom("reading saver_def");
    frt_status *st = check_node(mg->g, restore, "saver_def.restore_op_name");
    if (!st) st = check_tensor(mg->g, sv->filename_tensor_name, "saver_def.filename_tensor_name");
    if (st) {
        free(restore);
        return st;
    }
    mg->saver_restore_op = restore;
    mg->saver_filename_tensor = frt_strdup(sv->filename_tensor_name);
    if (!mg->saver_filename_tensor) return frt_status_oom("reading saver_def");
    if (sv->save_tensor_name && sv->save_tensor_name[0] &&
        !(mg->saver_save_tensor = frt_strdup(sv->save_tensor_name)))
        return frt_status_oom("reading saver_def");
    mg->saver_version = (int)sv->version;
    return NULL;
}

static frt_status *add_init_ops(frt_metagraph *mg, const Tensorflow__MetaGraphDef *mgd,
                                char **sig_init, int n_sig_init) {
    if (n_sig_init > 0) {
        mg->init_ops = sig_init;
        mg->n_init_ops = n_sig_init;
    } else {
        const char *keys[] = {MAIN_OP_KEY, LEGACY_INIT_OP_KEY};
        for (int k = 0; k < 2 && mg->n_init_ops == 0; k++) {
            const Tensorflow__CollectionDef *c = find_collection(mgd, keys[k]);
            if (!c) continue;
            if (c->kind_case != TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST)
                return frt_status_new(FRT_INVALID_ARGUMENT,
                                      "collection '%s' is not a node_list", keys[k]);
            for (size_t i = 0; i < c->node_list->n_value; i++)
                if (c->node_list->value[i] && c->node_list->value[i][0] &&
                    !push_str(&mg->init_ops, &mg->n_init_ops, node_of(c->node_list->value[i])))
                    return frt_status_oom("reading collection '%s'", keys[k]);
        }
    }
    for (int i = 0; i < mg->n_init_ops; i++)
        FRT_TRY(check_node(mg->g, mg->init_ops[i], "init op"));
    return NULL;
}

static frt_status *add_asset(frt_metagraph *mg, const Tensorflow__AssetFileDef *a,
                             const char *export_dir, const char *where) {
    if (!a || !info_is_dense(a->tensor_info) || !a->filename || !a->filename[0])
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "%s: asset without a tensor name or a filename", where);
    FRT_TRY(check_tensor(mg->g, a->tensor_info->name, where));
    frt_asset *assets = frt_realloc(mg->assets, (size_t)(mg->n_assets + 1) * sizeof *assets);
    if (!assets) return frt_status_oom("reading asset '%s'", a->filename);
    mg->assets = assets;
    frt_asset *as = &mg->assets[mg->n_assets++];
    as->tensor = frt_strdup(a->tensor_info->name);
    if (export_dir) {
        char *assets = frt_path_join(export_dir, "assets");
        as->path = assets ? frt_path_join(assets, a->filename) : NULL;
        free(assets);
    } else {
        as->path = frt_strdup(a->filename);
    }
    if (!as->tensor || !as->path) return frt_status_oom("reading asset '%s'", a->filename);
    return NULL;
}

static frt_status *add_assets(frt_metagraph *mg, const Tensorflow__MetaGraphDef *mgd,
                              const char *export_dir) {
    /* TF (loader.cc GetAssetFileDefs): the asset_file_def field when non-empty, else the
     * legacy collection. */
    if (mgd->n_asset_file_def > 0) {
        for (size_t i = 0; i < mgd->n_asset_file_def; i++)
            FRT_TRY(add_asset(mg, mgd->asset_file_def[i], export_dir, "asset_file_def"));
        return NULL;
    }
    const Tensorflow__CollectionDef *c = find_collection(mgd, ASSETS_KEY);
    if (!c) return NULL;
    if (c->kind_case != TENSORFLOW__COLLECTION_DEF__KIND_ANY_LIST)
        return frt_status_new(FRT_INVALID_ARGUMENT, "collection '%s' is not an any_list",
                              ASSETS_KEY);
    for (size_t i = 0; i < c->any_list->n_value; i++) {
        const Google__Protobuf__Any *any = c->any_list->value[i];
        const char *url = any->type_url ? any->type_url : "";
        size_t ul = strlen(url), sl = strlen(ASSET_TYPE_URL_SUFFIX);
        if (ul < sl || strcmp(url + ul - sl, ASSET_TYPE_URL_SUFFIX) != 0)
            return frt_status_new(FRT_INVALID_ARGUMENT,
                                  "collection '%s' entry %zu has type '%s', expected %s",
                                  ASSETS_KEY, i, url, ASSET_TYPE_URL_SUFFIX);
        frt_status *depth = frt_proto_check_depth(&tensorflow__asset_file_def__descriptor,
                                                  any->value.data, any->value.len,
                                                  "collection '" ASSETS_KEY "'", NULL);
        bool broken = frt_status_code(depth) == FRT_DATA_LOSS; /* said below, naming the entry */
        if (depth && !broken) return depth;
        frt_status_free(depth);
        frt_pb_alloc pa;
        frt_pb_alloc_init(&pa);
        Tensorflow__AssetFileDef *a =
            broken ? NULL
                   : tensorflow__asset_file_def__unpack(&pa.base, any->value.len, any->value.data);
        if (!a && pa.failed) return frt_status_oom("decoding collection '%s'", ASSETS_KEY);
        if (!a)
            return frt_status_new(FRT_DATA_LOSS,
                                  "collection '%s' entry %zu is not a valid AssetFileDef",
                                  ASSETS_KEY, i);
        frt_status *st = add_asset(mg, a, export_dir, "collection '" ASSETS_KEY "'");
        tensorflow__asset_file_def__free_unpacked(a, NULL);
        FRT_TRY(st);
    }
    return NULL;
}

static frt_status *add_tags(frt_metagraph *mg, const Tensorflow__MetaGraphDef *mgd) {
    const Tensorflow__MetaGraphDef__MetaInfoDef *mi = mgd->meta_info_def;
    if (!mi) return NULL;
    for (size_t i = 0; i < mi->n_tags; i++)
        if (mi->tags[i] && !push_str(&mg->tags, &mg->n_tags, frt_strdup(mi->tags[i])))
            return frt_status_oom("reading the MetaGraph's tags");
    return NULL;
}

/* ---- entry points ------------------------------------------------------------------------ */

frt_status *frt_meta_graph_from_proto(Tensorflow__MetaGraphDef *mgd, const char *export_dir,
                                      frt_metagraph **out) {
    *out = NULL;
    frt_graph *g = NULL;
    if (mgd->graph_def) {
        FRT_TRY(frt_graph_from_graphdef(mgd->graph_def, &g));
    } else if (!(g = frt_graph_new())) {
        return frt_status_oom("loading a MetaGraph");
    }
    frt_status *st = frt_graph_inline_functions(g);
    if (!st) st = frt_graph_finalize(g);
    if (st) {
        frt_graph_free(g);
        return st;
    }
    frt_metagraph *mg = frt_metagraph_new(g);
    if (!mg) {
        frt_graph_free(g);
        return frt_status_oom("loading a MetaGraph");
    }
    char **sig_init = NULL;
    int n_sig_init = 0;
    st = add_tags(mg, mgd);
    if (!st) st = add_signatures(mg, mgd, &sig_init, &n_sig_init);
    if (!st) st = add_saver(mg, mgd);
    if (!st) {
        st = add_init_ops(mg, mgd, sig_init, n_sig_init);
        if (mg->init_ops == sig_init) sig_init = NULL, n_sig_init = 0; /* moved */
    }
    if (!st) st = add_assets(mg, mgd, export_dir);
    for (int i = 0; i < n_sig_init; i++) free(sig_init[i]);
    free(sig_init);
    if (st) {
        frt_metagraph_free(mg);
        return st;
    }
    *out = mg;
    return NULL;
}

/* *out = "<prefix>" for "<prefix>.meta" when "<prefix>.index" exists, else NULL. */
static frt_status *checkpoint_next_to(const char *meta_path, char **out) {
    *out = NULL;
    size_t n = strlen(meta_path);
    if (n <= 5 || strcmp(meta_path + n - 5, ".meta") != 0) return NULL;
    char *prefix = frt_malloc(n + 2);
    if (!prefix) return frt_status_oom("looking for the checkpoint of '%s'", meta_path);
    memcpy(prefix, meta_path, n - 5);
    strcpy(prefix + n - 5, ".index");
    struct stat sb;
    /* Anything there counts: a named pipe or directory then gets the checkpoint reader's
     * message saying what it is, instead of the variables silently going unrestored. */
    bool ok = stat(prefix, &sb) == 0;
    prefix[n - 5] = 0;
    if (!ok) {
        free(prefix);
        return NULL;
    }
    *out = prefix;
    return NULL;
}

frt_status *frt_meta_graph_load_file(const char *meta_path, frt_metagraph **out) {
    *out = NULL;
    uint8_t *data;
    size_t len;
    FRT_TRY(frt_file_read(meta_path, "MetaGraphDef", FRT_FILE_MAX_PROTO, &data, &len));
    if (len == 0) {
        free(data);
        return frt_status_new(FRT_DATA_LOSS, "'%s': file is empty, not a MetaGraphDef",
                              meta_path);
    }
    Tensorflow__MetaGraphDef *mgd = NULL;
    frt_status *st = NULL;
    if (frt_graphdef_looks_like_text(data, len)) {
        ProtobufCMessage *m = NULL;
        st = frt_text_format_parse((const char *)data, len, &tensorflow__meta_graph_def__descriptor,
                                   meta_path, &m);
        mgd = (Tensorflow__MetaGraphDef *)m;
    } else if (!(st = frt_graphdef_check_wire(&tensorflow__meta_graph_def__descriptor, data,
                                              len, meta_path))) {
        frt_pb_alloc pa;
        frt_pb_alloc_init(&pa);
        mgd = tensorflow__meta_graph_def__unpack(&pa.base, len, data);
        if (!mgd && pa.failed) st = frt_status_oom("decoding MetaGraphDef '%s'", meta_path);
        else if (!mgd)
            st = frt_status_new(FRT_DATA_LOSS,
                                "'%s': not a valid binary MetaGraphDef (truncated or corrupt)",
                                meta_path);
    }
    free(data);
    if (st) return st;
    frt_metagraph *mg = NULL;
    st = frt_meta_graph_from_proto(mgd, NULL, &mg);
    tensorflow__meta_graph_def__free_unpacked(mgd, NULL);
    if (!st) st = checkpoint_next_to(meta_path, &mg->checkpoint_prefix);
    if (st) {
        frt_metagraph_free(mg);
        return frt_status_annotate(st, " in '%s'", meta_path);
    }
    *out = mg;
    return NULL;
}
