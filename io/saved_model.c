/* io/saved_model.c: SavedModel directories → frt_metagraph.
 * Owns: finding saved_model.pb/.pbtxt, choosing the MetaGraph by tag set (TF's
 * FindMetaGraphDef), the variables/ checkpoint prefix, asking object_graph.c for the TF2
 * variable bindings. Does not own: the MetaGraph's contents (meta_graph.c), restoring or
 * initialising (the session).
 * Thread-safety: reentrant. */
#include "io/saved_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "io/file.h"
#include "io/graphdef.h"
#include "io/meta_graph.h"
#include "io/object_graph.h"
#include "io/pb_alloc.h"
#include "io/proto/saved_model.pb-c.h"
#include "io/text_format.h"

/* NULL when out of memory. */
static bool is_file(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Anything at all at path: a saved_model.pb that is a named pipe or a directory is read
 * (and refused, saying what it is) rather than reported missing. */
static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

bool frt_saved_model_is_dir(const char *dir) {
    char *pb = frt_path_join(dir, "saved_model.pb"), *txt = frt_path_join(dir, "saved_model.pbtxt");
    bool yes = (pb && is_file(pb)) || (txt && is_file(txt)); /* out of memory: no */
    free(pb);
    free(txt);
    return yes;
}

/* Reads and decodes the SavedModel message; *file receives the path read (for messages). */
static frt_status *read_saved_model(const char *dir, Tensorflow__SavedModel **out,
                                    char **file) {
    *out = NULL;
    *file = NULL;
    struct stat sb;
    if (stat(dir, &sb) != 0)
        return frt_status_new(errno == ENOENT || errno == ENOTDIR ? FRT_NOT_FOUND
                                                                  : FRT_FAILED_PRECONDITION,
                              "SavedModel directory '%s': %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return frt_status_new(FRT_INVALID_ARGUMENT,
                              "'%s' is not a directory (a SavedModel is a directory holding "
                              "saved_model.pb)",
                              dir);
    /* TF's loader prefers the binary file. */
    char *path = frt_path_join(dir, "saved_model.pb");
    bool text = false;
    if (path && !exists(path)) {
        free(path);
        path = frt_path_join(dir, "saved_model.pbtxt");
        text = true;
        if (path && !exists(path)) {
            free(path);
            char *cpb = frt_path_join(dir, "saved_model.cpb");
            if (!cpb) return frt_status_oom("opening SavedModel '%s'", dir);
            bool chunked = is_file(cpb);
            free(cpb);
            if (chunked)
                return frt_status_new(FRT_UNIMPLEMENTED,
                                      "SavedModel '%s' is chunked (saved_model.cpb, for protos "
                                      "over 2 GiB), which is not supported",
                                      dir);
            return frt_status_new(FRT_NOT_FOUND,
                                  "SavedModel directory '%s' has neither saved_model.pb nor "
                                  "saved_model.pbtxt",
                                  dir);
        }
    }
    if (!path) return frt_status_oom("opening SavedModel '%s'", dir);
    uint8_t *data;
    size_t len;
    frt_status *st = frt_file_read(path, "SavedModel", FRT_FILE_MAX_PROTO, &data, &len);
    if (!st && len == 0) {
        free(data);
        st = frt_status_new(FRT_DATA_LOSS, "'%s': file is empty, not a SavedModel", path);
    }
    if (st) {
        free(path);
        return st;
    }
    Tensorflow__SavedModel *sm = NULL;
    if (text) {
        ProtobufCMessage *m = NULL;
        st = frt_text_format_parse((const char *)data, len, &tensorflow__saved_model__descriptor,
                                   path, &m);
        sm = (Tensorflow__SavedModel *)m;
    } else if (!(st = frt_graphdef_check_wire(&tensorflow__saved_model__descriptor, data, len,
                                              path))) {
        frt_pb_alloc pa;
        frt_pb_alloc_init(&pa);
        sm = tensorflow__saved_model__unpack(&pa.base, len, data);
        if (!sm && pa.failed) st = frt_status_oom("decoding SavedModel '%s'", path);
        else if (!sm)
            st = frt_status_new(FRT_DATA_LOSS,
                                "'%s': not a valid binary SavedModel (truncated or corrupt)",
                                path);
    }
    free(data);
    if (st) {
        free(path);
        return st;
    }
    *out = sm;
    *file = path;
    return NULL;
}

static bool has_tag(char *const *tags, size_t n, const char *t) {
    for (size_t i = 0; i < n; i++)
        if (tags[i] && strcmp(tags[i], t) == 0) return true;
    return false;
}

/* Set equality of the MetaGraph's tags and the requested ones. */
static bool tags_match(const Tensorflow__MetaGraphDef *m, const char *const *want, int nwant) {
    char *const *have = m->meta_info_def ? m->meta_info_def->tags : NULL;
    size_t nhave = m->meta_info_def ? m->meta_info_def->n_tags : 0;
    for (int i = 0; i < nwant; i++)
        if (!has_tag(have, nhave, want[i])) return false;
    for (size_t i = 0; i < nhave; i++) {
        bool found = false;
        for (int k = 0; k < nwant && !found; k++) found = have[i] && !strcmp(have[i], want[k]);
        if (!found) return false;
    }
    return true;
}

/* "{a, b}" into buf (truncated with "..." when long). */
static void append(char *buf, size_t n, const char *s) {
    size_t l = strlen(buf);
    if (l + 4 >= n) return;
    size_t room = n - l - 1, sl = strlen(s);
    if (sl > room - 3) {
        memcpy(buf + l, s, room - 3);
        strcpy(buf + l + room - 3, "...");
    } else {
        memcpy(buf + l, s, sl + 1);
    }
}

static void format_tags(char *buf, size_t n, char *const *tags, size_t nt) {
    append(buf, n, "{");
    for (size_t i = 0; i < nt; i++) {
        if (i) append(buf, n, ", ");
        append(buf, n, tags[i] ? tags[i] : "");
    }
    append(buf, n, "}");
}

frt_status *frt_saved_model_load(const char *dir, const char *const *tags, int ntags,
                                 frt_metagraph **out) {
    *out = NULL;
    static const char *const serve[] = {"serve"};
    if (ntags <= 0 || !tags) {
        tags = serve;
        ntags = 1;
    }
    Tensorflow__SavedModel *sm;
    char *file;
    FRT_TRY(read_saved_model(dir, &sm, &file));
    Tensorflow__MetaGraphDef *chosen = NULL;
    for (size_t i = 0; i < sm->n_meta_graphs && !chosen; i++)
        if (sm->meta_graphs[i] && tags_match(sm->meta_graphs[i], tags, ntags))
            chosen = sm->meta_graphs[i];
    frt_status *st = NULL;
    if (!chosen) {
        char want[256] = "", have[1024] = "";
        format_tags(want, sizeof want, (char *const *)tags, (size_t)ntags);
        for (size_t i = 0; i < sm->n_meta_graphs; i++) {
            const Tensorflow__MetaGraphDef *m = sm->meta_graphs[i];
            if (i) append(have, sizeof have, ", ");
            format_tags(have, sizeof have, m && m->meta_info_def ? m->meta_info_def->tags : NULL,
                        m && m->meta_info_def ? m->meta_info_def->n_tags : 0);
        }
        st = frt_status_new(FRT_NOT_FOUND,
                            "'%s': no MetaGraph with tags %s; available tag sets: %s", file,
                            want, sm->n_meta_graphs ? have : "(none)");
    }
    frt_metagraph *mg = NULL;
    if (!st) {
        st = frt_meta_graph_from_proto(chosen, dir, &mg);
        if (st) st = frt_status_annotate(st, " in '%s'", file);
    }
    if (!st) {
        char *index = frt_path_join(dir, "variables/variables.index");
        if (!index || (exists(index) &&
                       !(mg->checkpoint_prefix = frt_path_join(dir, "variables/variables"))))
            st = frt_status_oom("loading SavedModel '%s'", dir);
        free(index);
    }
    if (!st) {
        /* TF2: variables the signatures capture, bound through the object graph */
        st = frt_object_graph_var_bindings(chosen, mg->g, mg->checkpoint_prefix,
                                           &mg->var_bindings, &mg->n_var_bindings);
        if (st) st = frt_status_annotate(st, " (binding the variables of '%s' through its "
                                         "object graph)", file);
    }
    tensorflow__saved_model__free_unpacked(sm, NULL);
    free(file);
    if (st) {
        frt_metagraph_free(mg);
        return st;
    }
    *out = mg;
    return NULL;
}
